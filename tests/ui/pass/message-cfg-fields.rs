// MAC-MSG-1: `BOXED_FIELDS` lists exactly the boxed fields that `#[cfg]`
// kept, in structs and in enum variants.
use std::collections::{BTreeMap, HashMap};

use ringmpsc::RingMessage;

#[ringmpsc::ring_message]
struct Span {
    #[cfg(any())]
    removed: HashMap<String, String>,
    #[cfg(all())]
    attributes: BTreeMap<String, String>,
    #[cfg(any())]
    #[ring(boxed)]
    removed_too: [u8; 64],
    #[ring(boxed)]
    payload: [u8; 256],
    id: u64,
}

#[ringmpsc::ring_message]
enum Event {
    #[cfg(any())]
    Gone { map: HashMap<u8, u8> },
    Kept {
        map: HashMap<u8, u8>,
        #[cfg(any())]
        other: HashMap<u8, u8>,
    },
}

fn main() {
    assert_eq!(Span::BOXED_FIELDS, ["attributes", "payload"]);
    assert_eq!(Event::BOXED_FIELDS, ["Kept.map"]);
    let span = Span { attributes: BTreeMap::new().into(), payload: Box::new([1; 256]), id: 7 };
    assert_eq!(span.payload[0] as u64 + span.id, 8);
    assert!(span.attributes.is_empty());
    let Event::Kept { map } = (Event::Kept { map: HashMap::new().into() });
    assert!(map.is_empty());
}
