//! The SPSC ring: the algorithm once, and the public ring types on it.
//!
//! Dependencies point down this list, never up:
//!
//! - `storage`: where slots live ([`HeapStorage`], [`InlineStorage`]); a slot
//!   is the `sync` shim's cell, so loom sees every access.
//! - `core`: the algorithm over a borrowed header and slice of slots
//!   (`RingRef`), the owned ring (`RingCore`), and `RawRing` for owners
//!   that keep a ring alive by other means. The slot reads and writes are
//!   here and in `reservation`, nowhere else.
//! - `reservation`: zero-copy writes ([`Reservation`]).
//! - `split`: the producer and consumer halves ([`RingProducer`],
//!   [`RingConsumer`]).
//! - `buffer`: the single-owner ring ([`RingBuffer`], [`Ring`], `StackRing`).
//! - `static_ring`: `StaticRing`, a ring in a `static`.
//!
//! The ring knows nothing of channels or waking: a channel hooks in through
//! `reservation::AfterPublish`.

mod buffer;
pub(crate) mod core;
pub(crate) mod reservation;
mod split;
#[cfg(feature = "stack-ring")]
mod static_ring;
pub(crate) mod storage;

#[cfg(feature = "stack-ring")]
pub use buffer::StackRing;
pub use buffer::{Ring, RingBuffer};
pub use reservation::Reservation;
pub use split::{RingConsumer, RingProducer};
#[cfg(feature = "stack-ring")]
pub use static_ring::StaticRing;
pub use storage::{HeapStorage, InlineStorage, Storage};
