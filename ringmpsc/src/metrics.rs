//! Per-ring counters, read as a [`MetricsSnapshot`].
//!
//! Each counter sits on the cache line of the side that writes it (the
//! producer's line for full events, the consumer's for batches), has a
//! single writer and uses `Relaxed` ordering: no control flow depends on
//! it. Sent and received counts are derived from the ring's own sequence
//! numbers, so they cost nothing. With `enable_metrics` off the hot paths do
//! not touch the counters at all.

use std::ops::{Add, AddAssign};

use crate::sync::{AtomicU64, Ordering};

/// Counters of a ring or (summed over its rings) of a channel.
///
/// All zero unless the ring or channel was built with `enable_metrics`.
///
/// ```
/// use ringmpsc::{Channel, Config};
///
/// let mut channel = Channel::new(Config::new(4, 2, true)).unwrap();
/// let producer = channel.register().unwrap();
/// producer.push(7u32).unwrap();
/// channel.consume_all(|_| {});
/// let m = channel.metrics();
/// assert_eq!((m.messages_sent, m.messages_received, m.batches_consumed), (1, 1, 1));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct MetricsSnapshot {
    /// Messages published by producers.
    pub messages_sent: u64,
    /// Messages taken by the consumer.
    pub messages_received: u64,
    /// Consume calls that took at least one message (one head store each).
    pub batches_consumed: u64,
    /// Times a producer found its ring full.
    pub full_events: u64,
}

impl Add for MetricsSnapshot {
    type Output = MetricsSnapshot;
    fn add(self, o: MetricsSnapshot) -> MetricsSnapshot {
        MetricsSnapshot {
            messages_sent: self.messages_sent + o.messages_sent,
            messages_received: self.messages_received + o.messages_received,
            batches_consumed: self.batches_consumed + o.batches_consumed,
            full_events: self.full_events + o.full_events,
        }
    }
}

impl AddAssign for MetricsSnapshot {
    fn add_assign(&mut self, o: MetricsSnapshot) {
        *self = *self + o;
    }
}

/// A counter with one writer: a plain load and store instead of an atomic
/// read-modify-write, which would lock the bus on every increment.
#[derive(Debug)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        Counter(AtomicU64::new(0))
    }

    /// Only the counter's single writer may call this.
    #[inline]
    pub(crate) fn bump(&self) {
        self.add(1);
    }

    /// Adds `n`; only the counter's single writer may call this.
    #[inline]
    pub(crate) fn add(&self, n: u64) {
        // Relaxed: a statistic; single writer, so load + store loses nothing.
        self.0
            .store(self.0.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }

    #[inline]
    pub(crate) fn get(&self) -> u64 {
        // Relaxed: a statistic, nothing is ordered by it.
        self.0.load(Ordering::Relaxed)
    }
}
