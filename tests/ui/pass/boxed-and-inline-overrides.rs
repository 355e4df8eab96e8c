use std::collections::HashMap;

use ringmpsc::RingMessage;

#[ringmpsc::ring_message(max_size = 128)]
struct Record {
    #[ring(boxed)]
    payload: [u8; 256],
    #[ring(inline)]
    small: HashMap<u8, u8>,
}

fn main() {
    let r = Record { payload: Box::new([7; 256]), small: HashMap::new() };
    assert_eq!(r.payload[255], 7);
    assert!(r.small.is_empty());
    assert_eq!(Record::BOXED_FIELDS, ["payload"]);
}
