//! ringmpsc against the channels its users would pick instead, under the
//! rules of DESIGN.md §6: every consumer reads every message into a checked
//! checksum, producers write distinct values, peers run in the same process
//! with the same message type and the same total capacity, each through its
//! best API for the workload.
//!
//! - [`msg`]: the message types (8 and 96 bytes) and their checksums.
//! - [`queues`]: one [`queues::Queue`] implementation per library.
//! - [`ideal`]: the limit rows (no synchronisation; an ideal SPSC ring, and
//!   the variants `limit_study` compares to choose it).
//! - [`workloads`]: the workloads, generic over queue and message.
//! - [`async_queues`]: the async libraries and workloads (tokio tasks).
//! - [`spell`]: which runs count, given the host's speed spells.
//! - [`suite`]: the table of workloads × libraries that `compare`, the
//!   criterion benches and the exactness test all run.

// Queue markers and handle wrappers are plumbing, not values to print.
#![allow(missing_debug_implementations)]

pub mod async_queues;
pub mod charts;
pub mod ideal;
pub mod msg;
pub mod queues;
pub mod spell;
pub mod suite;
pub mod workloads;
