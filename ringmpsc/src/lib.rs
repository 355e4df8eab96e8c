//! # ringmpsc
//!
//! A lock-free multi-producer single-consumer channel built on **ring
//! decomposition**: every producer owns a dedicated SPSC ring, so producers
//! never contend with each other, and the single consumer drains each ring
//! in batches with one atomic store per batch (the Disruptor pattern).
//! Order is FIFO per producer; there is no order across producers.
//!
//! - [`Channel`] / [`Producer`]: the MPSC channel. [`StackChannel`] keeps
//!   every ring in one up-front block (feature `stack-ring`).
//! - [`Ring`] / [`StackRing`]: the SPSC ring on its own.
//! - [`Reservation`]: zero-copy writes straight into a ring.
//! - [`Config`] and [`WaitStrategy`]: sizing and blocking behaviour.
//!
//! ```
//! use ringmpsc::{Channel, Config};
//!
//! let mut channel = Channel::new(Config::new(12, 8, false))?;
//! let producer = channel.register()?;
//! let worker = std::thread::spawn(move || {
//!     for i in 0..10_000u64 {
//!         producer.send(i).unwrap();
//!     }
//! });
//! let mut sum = 0;
//! // `recv` blocks; it reports a disconnect once the producer is gone and
//! // everything it sent was received.
//! while let Ok(v) = channel.recv() {
//!     sum += v;
//! }
//! worker.join().unwrap();
//! assert_eq!(sum, 10_000 * 9_999 / 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Soundness: no safe call can cause undefined behaviour. Each `unsafe`
//! block names the invariant of `specs/ring-buffer-invariants.md` it relies
//! on; the ring and channel are model-checked with loom (`cfg(loom)`) and
//! their unsafe paths run under miri.

#![cfg_attr(docsrs, feature(doc_cfg))]

mod channel;
mod config;
mod error;
mod metrics;
mod reservation;
mod ring;
mod storage;
mod sync;
mod wait;

#[cfg(all(test, loom))]
mod loom_tests;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

#[cfg(feature = "stack-ring")]
pub use channel::StackChannel;
pub use channel::{Channel, Producer, Registrar};
pub use config::{
    Config, HIGH_THROUGHPUT_CONFIG, LOW_LATENCY_CONFIG, MAX_PRODUCERS, MAX_RING_BITS, MIN_PRODUCERS,
    MIN_RING_BITS,
};
pub use error::{
    ConfigError, PushError, RecvError, RecvTimeoutError, RegisterError, SendError, TryRecvError,
};
pub use metrics::MetricsSnapshot;
pub use reservation::Reservation;
pub use ring::{Ring, RingBuffer, RingConsumer, RingProducer};
#[cfg(feature = "stack-ring")]
pub use ring::{StackRing, StaticRing};
pub use storage::{HeapStorage, InlineStorage, Storage};
pub use wait::WaitStrategy;
