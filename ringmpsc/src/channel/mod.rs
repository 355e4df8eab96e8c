//! The MPSC channel: one SPSC ring per producer, one consumer polling them.
//!
//! Dependencies point down this list, and from here into `ring` and `wait`,
//! never back:
//!
//! - `registry`: the shared state of a [`Channel`] — one entry per possible
//!   producer, ring allocation, recycling, close and disconnect.
//! - `producer`: [`Producer`] (owns one ring; waking the consumer after a
//!   publish is the channel's business, hooked into the ring's
//!   reservations) and [`Registrar`].
//! - `burst`: [`Burst`], a run of sends through one producer that keeps
//!   its cursor in the caller's registers.
//! - `ready`: waiting until something is queued, for threads and tasks
//!   (`ReadyFuture`), shared by both channel kinds.
//! - `consumer`: [`Channel`], the consumer end, polling the rings fairly.
//! - `inline`: `InlineChannel`, every ring allocated up front in one block.
//! - `fixed`: the runtime behind `channel!` — a fixed tree of rings of
//!   possibly different message types, its producers and consumers.

mod burst;
mod consumer;
pub(crate) mod fixed;
#[cfg(feature = "stack-ring")]
mod inline;
mod producer;
mod ready;
mod registry;

pub use burst::Burst;
pub use consumer::Channel;
pub use consumer::RecvFuture;
#[cfg(feature = "stack-ring")]
pub use inline::{InlineChannel, StackChannel};
pub use producer::{Producer, Registrar, SendFuture};
pub use ready::ReadyFuture;
