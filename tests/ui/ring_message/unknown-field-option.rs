#[ringmpsc::ring_message]
struct Span {
    #[ring(heap)]
    name: String,
}

fn main() {}
