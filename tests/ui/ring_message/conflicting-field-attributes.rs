use std::collections::HashMap;

#[ringmpsc::ring_message]
struct Span {
    #[ring(boxed)]
    #[ring(inline)]
    attributes: HashMap<String, String>,
}

fn main() {}
