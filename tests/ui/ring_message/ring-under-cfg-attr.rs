use std::collections::BTreeMap;

#[ringmpsc::ring_message]
struct Span {
    #[cfg_attr(feature = "compact", ring(boxed))]
    attributes: BTreeMap<String, String>,
}

fn main() {}
