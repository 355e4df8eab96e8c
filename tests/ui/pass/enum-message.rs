use std::collections::LinkedList;

use ringmpsc::RingMessage;

#[ringmpsc::ring_message]
#[derive(Debug, Clone)]
enum Event {
    Started,
    Batch(LinkedList<u32>),
    Stopped { code: i32, reason: String },
}

fn main() {
    let e = Event::Batch(LinkedList::from([1, 2]).into());
    if let Event::Batch(list) = e.clone() {
        assert_eq!(list.len(), 2);
    }
    assert_eq!(Event::BOXED_FIELDS, ["Batch.0"]);
    let _ = (Event::Started, Event::Stopped { code: 1, reason: String::new() });
}
