#[ringmpsc::ring_message]
struct Span<'a> {
    name: &'a str,
}

fn main() {}
