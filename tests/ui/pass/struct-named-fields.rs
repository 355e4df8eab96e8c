use std::collections::{BTreeMap, HashMap};

use ringmpsc::RingMessage;

#[ringmpsc::ring_message]
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Span {
    pub trace_id: u128,
    pub name: String,
    pub attributes: HashMap<String, String>,
    pub ordered: std::collections::BTreeMap<u8, u8>,
    pub fully_qualified: ::std::collections::VecDeque<u8>,
    pub already: Box<BTreeMap<u8, u8>>,
}

fn main() {
    let span = Span { attributes: HashMap::from([("k".to_owned(), "v".to_owned())]).into(), ..Default::default() };
    let copy = span.clone();
    assert_eq!(copy, span);
    assert_eq!(span.attributes["k"], "v");
    assert_eq!(Span::BOXED_FIELDS, ["attributes", "ordered", "fully_qualified", "already"]);
    assert_eq!(Span::SIZE, std::mem::size_of::<Span>());
}
