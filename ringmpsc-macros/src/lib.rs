//! Procedural macros of [`ringmpsc`](https://docs.rs/ringmpsc); use them
//! through the `ringmpsc` crate, which re-exports them and documents them
//! with examples. Each macro is split into parse, validate and expand;
//! validation errors are collected and reported together.

mod channel;
mod errors;
mod message;

use proc_macro::TokenStream;

/// Checks a message type for a ring slot and auto-boxes its variable-size
/// fields. See `ringmpsc::ring_message`.
#[proc_macro_attribute]
pub fn ring_message(args: TokenStream, item: TokenStream) -> TokenStream {
    message::attribute(args.into(), item.into()).into()
}

/// Checks a message type for a ring slot without rewriting it. See
/// `ringmpsc::RingMessage`.
#[proc_macro_derive(RingMessage, attributes(ring_message, ring))]
pub fn derive_ring_message(item: TokenStream) -> TokenStream {
    message::derive(item.into()).into()
}

/// Declares a statically sized channel with named, typed producers. See
/// `ringmpsc::channel`.
#[proc_macro]
pub fn channel(input: TokenStream) -> TokenStream {
    channel::channel(input.into()).into()
}
