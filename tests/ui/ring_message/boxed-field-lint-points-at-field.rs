// A lint about an auto-boxed field points at the field, not at the attribute.
#![deny(missing_docs)]
//! A crate that documents everything.

use std::collections::HashMap;

/// A span.
#[ringmpsc::ring_message]
pub struct Span {
    /// Its name.
    pub name: String,
    pub attributes: HashMap<String, String>,
}

fn main() {}
