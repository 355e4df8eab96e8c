#[derive(ringmpsc::RingMessage)]
struct Span {
    #[ring(boxed)]
    name: String,
}

fn main() {}
