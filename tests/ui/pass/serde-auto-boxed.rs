// MAC-MSG-7: serde derives below `#[ring_message]` see the boxed fields;
// `#[serde(with = ..)]` on an auto-boxed field works on the `Box`.
use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

/// Serializes a map with its keys sorted, for stable output.
mod sorted {
    use std::collections::{BTreeMap, HashMap};

    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    // The field is a `Box<HashMap<..>>` once `#[ring_message]` boxed it.
    #[allow(clippy::box_collection)]
    pub fn serialize<S: Serializer>(map: &Box<HashMap<String, u32>>, s: S) -> Result<S::Ok, S::Error> {
        map.iter().collect::<BTreeMap<_, _>>().serialize(s)
    }

    #[allow(clippy::box_collection)]
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<HashMap<String, u32>>, D::Error> {
        Ok(Box::new(HashMap::deserialize(d)?))
    }
}

#[ringmpsc::ring_message]
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Span {
    name: String,
    attributes: BTreeMap<String, String>,
    #[serde(with = "sorted")]
    counts: HashMap<String, u32>,
}

fn main() {
    let mut counts = HashMap::new();
    counts.insert("b".to_owned(), 2);
    counts.insert("a".to_owned(), 1);
    let mut attributes = BTreeMap::new();
    attributes.insert("k".to_owned(), "v".to_owned());
    let span = Span { name: "get".to_owned(), attributes: attributes.into(), counts: counts.into() };

    let json = serde_json::to_string(&span).unwrap();
    assert_eq!(json, r#"{"name":"get","attributes":{"k":"v"},"counts":{"a":1,"b":2}}"#);
    let back: Span = serde_json::from_str(&json).unwrap();
    assert_eq!(back, span);
}
