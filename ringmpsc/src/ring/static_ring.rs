//! [`StaticRing`]: an inline ring that can live in a `static`.

use std::fmt;

use super::core::{const_unless_loom, ProducerCursor, RingCore};
use super::split::{RingConsumer, RingProducer};
use super::storage::InlineStorage;
use crate::sync::{AtomicBool, Ordering};

/// An inline SPSC ring that can live in a `static` (feature `stack-ring`):
/// `Sync`, const-constructible, and split into its producer and consumer
/// halves exactly once.
///
/// ```
/// use ringmpsc::StaticRing;
///
/// static EVENTS: StaticRing<u32, 64> = StaticRing::new();
///
/// let (producer, mut consumer) = EVENTS.split().unwrap();
/// assert!(EVENTS.split().is_none()); // never a second producer
/// std::thread::spawn(move || producer.push(42).unwrap()).join().unwrap();
/// assert_eq!(consumer.pop(), Some(42));
/// ```
pub struct StaticRing<T, const N: usize> {
    core: RingCore<T, InlineStorage<T, N>>,
    producer: std::cell::UnsafeCell<ProducerCursor>,
    split: AtomicBool,
}

// SAFETY: RB-UNIQ-1: through `&self` the ring only hands out its halves,
// once (guarded by the atomic `split` flag); the halves carry the ring's
// single-producer/single-consumer protocol. Values cross threads: `T: Send`.
unsafe impl<T: Send, const N: usize> Sync for StaticRing<T, N> {}

impl<T, const N: usize> StaticRing<T, N> {
    const_unless_loom! {
        /// An empty ring of `N` slots (a power of two), metrics off.
        pub fn new() -> Self {
            StaticRing {
                core: RingCore::new_inline(false),
                producer: std::cell::UnsafeCell::new(ProducerCursor::new()),
                split: AtomicBool::new(false),
            }
        }
    }

    /// The producer and consumer halves; `None` after the first call.
    pub fn split(&self) -> Option<(RingProducer<'_, T>, RingConsumer<'_, T>)> {
        // AcqRel: exactly one caller wins; orders nothing else.
        if self.split.swap(true, Ordering::AcqRel) {
            return None;
        }
        // SAFETY: RB-UNIQ-1: the `split` flag was false, so this is the one
        // and only borrow of the producer cursor.
        let cursor = unsafe { &mut *self.producer.get() };
        let ring = self.core.ring();
        Some((RingProducer::new(ring, cursor), RingConsumer::new(ring)))
    }

    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        N
    }

    /// Values in the ring.
    pub fn len(&self) -> usize {
        self.core.ring().len()
    }

    /// `true` when the ring holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T, const N: usize> Default for StaticRing<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize> fmt::Debug for StaticRing<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticRing")
            .field("capacity", &N)
            .field("len", &self.len())
            .finish()
    }
}
