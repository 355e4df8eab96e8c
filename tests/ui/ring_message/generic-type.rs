#[ringmpsc::ring_message]
struct Wrapper<T> {
    value: T,
}

fn main() {}
