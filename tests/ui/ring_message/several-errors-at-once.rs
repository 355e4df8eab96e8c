// Every mistake is reported in one go.
#[ringmpsc::ring_message(max_bytes = 64, max_align = 3)]
struct Span<T> {
    #[ring(boxed, inline)]
    value: T,
    #[ring(compressed)]
    name: String,
}

fn main() {}
