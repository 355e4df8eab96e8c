//! [`Burst`]: a run of sends through one [`Producer`] that keeps the
//! ring's cursor in the caller's registers.

use std::fmt;

use super::producer::Producer;
use crate::error::{PushError, SendError};
use crate::ring::core::{Published, RingRef};
use crate::sync::AtomicU8;

/// A run of sends through one producer, from
/// [`Producer::burst`]: the same sends as the producer's own, with the
/// same waits, close and wake-up guarantees, faster in a loop.
///
/// A send through `&Producer` reads its ring's cursor from the handle and
/// writes it back, so in a loop of sends each one waits for the store of
/// the one before (a store-to-load round trip through memory, several
/// cycles). A burst borrows the producer mutably, so nothing else can
/// push meanwhile, and keeps the cursor in its own fields, which the
/// compiler keeps in registers across the loop: on single `u64` values a
/// loop of burst sends ran 1.1–1.4× a loop of [`Producer::send`], with
/// one producer and with eight (BENCHMARKS.md, the `ringmpsc-burst` row).
///
/// The producer's cursor is written on every send (a store, never read
/// back in the loop), so a burst that is leaked rather than dropped
/// leaves nothing to repair (RB-CUR-1).
///
/// While a burst lives, its producer cannot push on its own:
///
/// ```compile_fail
/// use ringmpsc::{Channel, Config};
///
/// let mut channel = Channel::<u32>::new(Config::new(4, 1, false)).unwrap();
/// let mut producer = channel.register().unwrap();
/// let mut burst = producer.burst();
/// producer.push(1).unwrap(); // error: the burst borrows the producer
/// burst.push(2).unwrap();
/// ```
///
/// ```
/// use ringmpsc::{Channel, Config};
///
/// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap(); // 16 slots
/// let mut producer = channel.register().unwrap();
/// let sender = std::thread::spawn(move || {
///     let mut burst = producer.burst();
///     for i in 0..1000u64 {
///         burst.send(i).unwrap(); // waits while the ring is full
///     }
/// });
/// let mut sum = 0;
/// while let Ok(v) = channel.recv() {
///     sum += v;
/// }
/// sender.join().unwrap();
/// assert_eq!(sum, 999 * 1000 / 2);
/// ```
pub struct Burst<'p, T> {
    producer: &'p Producer<T>,
    ring: RingRef<'p, T>,
    signal: &'p AtomicU8,
    /// The producer's cursor, kept here: `tail == limit` sends through the
    /// producer's own path, which loads `head` (and may wait).
    tail: u64,
    limit: u64,
}

impl<'p, T> Burst<'p, T> {
    /// The burst of `producer`, borrowed mutably for its whole life, so
    /// that no other push moves the cursor it keeps (RB-UNIQ-1).
    pub(super) fn new(producer: &'p mut Producer<T>) -> Self {
        let producer: &'p Producer<T> = producer;
        let (tail, limit) = producer.cursor_position();
        Burst {
            producer,
            ring: producer.ring(),
            signal: producer.signal(),
            tail,
            limit,
        }
    }

    /// Appends `value`, waiting for room per the channel's wait strategy,
    /// as [`Producer::send`].
    ///
    /// # Errors
    /// [`SendError`] holding `value` when the channel is closed or its
    /// consumer is gone.
    #[inline(always)]
    pub fn send(&mut self, value: T) -> Result<(), SendError<T>> {
        self.send_with(move || value)
    }

    /// Appends the value `make` builds, in its slot, waiting for room per
    /// the channel's wait strategy, as [`Producer::send_with`].
    ///
    /// # Errors
    /// [`SendError`] holding the value when the channel is closed or its
    /// consumer is gone.
    #[inline(always)]
    pub fn send_with<F: FnOnce() -> T>(&mut self, make: F) -> Result<(), SendError<T>> {
        if self.tail == self.limit {
            let (result, tail, limit) = send_slow(self.producer, make);
            (self.tail, self.limit) = (tail, limit);
            return result;
        }
        let published = self.publish_free(make);
        if published.seen() != 0 {
            return self.after_signal(published).map_err(SendError);
        }
        Ok(())
    }

    /// Appends `value` without waiting, as [`Producer::push`].
    ///
    /// # Errors
    /// [`PushError::Full`] when the ring has no free slot,
    /// [`PushError::Closed`] when the channel is closed; both hold
    /// `value`.
    #[inline(always)]
    pub fn push(&mut self, value: T) -> Result<(), PushError<T>> {
        if self.tail == self.limit {
            let (result, tail, limit) = push_slow(self.producer, value);
            (self.tail, self.limit) = (tail, limit);
            return result;
        }
        let published = self.publish_free(move || value);
        if published.seen() != 0 {
            return self.after_signal(published).map_err(PushError::Closed);
        }
        Ok(())
    }

    /// Below the cached limit: writes and publishes the slot of `tail`,
    /// keeps the producer's cursor true, and returns the signal byte the
    /// publish loaded.
    #[inline(always)]
    fn publish_free<F: FnOnce() -> T>(&mut self, make: F) -> Published {
        let tail = self.tail;
        let signal = self.signal;
        // SAFETY: RB-UNIQ-1, RB-CUR-1: the burst borrows the producer
        // mutably for its whole life, and the producer is its ring's only
        // producer; RB-OWN-1: `tail < limit`, the cursor's cached limit,
        // so the slot of `tail` is free and no skip comes first; `signal`
        // is the channel's, which every closer of this ring raises.
        let published = unsafe { self.ring.publish_free(tail, make, || signal) };
        self.tail = tail + 1;
        // RB-CUR-1: the producer's cursor stays true, a store per send
        // that nothing in the loop reads back. (Written back only when the
        // burst ends instead, a leaked burst would leave it behind the
        // published `tail`; the store costs about 6 % of a loop of sends.)
        self.producer.set_cursor_tail(tail + 1);
        published
    }

    /// A send saw a bit raised in the signal: handled by the producer's
    /// own path (BAR-1, CH-CLOSE-1, WAIT-1); a withdrawn publish moves the
    /// cursor back.
    #[inline(always)]
    fn after_signal(&mut self, published: Published) -> Result<(), T> {
        let (result, tail, limit) = after_signal_slow(self.producer, published);
        (self.tail, self.limit) = (tail, limit);
        result
    }
}

/// Out of line and given the producer, not the burst: the burst's fields
/// stay in registers (a burst passed by reference would live in memory).
#[cold]
#[inline(never)]
fn send_slow<T, F: FnOnce() -> T>(producer: &Producer<T>, make: F) -> (Result<(), SendError<T>>, u64, u64) {
    let result = producer.send_with(make);
    let (tail, limit) = producer.cursor_position();
    (result, tail, limit)
}

/// As [`send_slow`], for a push.
#[cold]
#[inline(never)]
fn push_slow<T>(producer: &Producer<T>, value: T) -> (Result<(), PushError<T>>, u64, u64) {
    let result = producer.push(value);
    let (tail, limit) = producer.cursor_position();
    (result, tail, limit)
}

/// As [`send_slow`], after a publish that saw a bit raised in the signal.
#[cold]
#[inline(never)]
fn after_signal_slow<T>(producer: &Producer<T>, published: Published) -> (Result<(), T>, u64, u64) {
    let result = producer.settle_published(published);
    let (tail, limit) = producer.cursor_position();
    (result, tail, limit)
}

impl<T> fmt::Debug for Burst<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Burst")
            .field("producer", &self.producer.id())
            .finish_non_exhaustive()
    }
}
