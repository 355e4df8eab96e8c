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
/// cycles), and makes three stores where the ring needs two (the slot and
/// the published `tail`). A burst borrows the producer mutably, so
/// nothing else can push meanwhile, and is lent the cursor, which the
/// compiler keeps in registers across the loop; it gives the cursor back
/// when it is dropped. On single `u64` values a loop of burst sends ran
/// 1.3–1.4× a loop of [`Producer::send`] (BENCHMARKS.md,
/// `push_cost_study`).
///
/// A burst that is leaked rather than dropped leaves nothing unsound
/// behind: the producer's next push finds the cursor at its lent limit
/// and takes it from the ring (RB-CUR-1).
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
    /// The producer's cursor, lent to the burst: `tail == limit` sends
    /// through the producer's own path, which loads `head` (and may wait),
    /// with the cursor given back for the call.
    tail: u64,
    limit: u64,
    /// Whether the burst holds the cursor: not while the producer's own
    /// path runs, so that a panic there leaves the cursor as that path
    /// left it.
    lent: bool,
}

impl<'p, T> Burst<'p, T> {
    /// The burst of `producer`, borrowed mutably for its whole life, so
    /// that no other push moves the cursor it is lent (RB-UNIQ-1,
    /// RB-CUR-1).
    pub(super) fn new(producer: &'p mut Producer<T>) -> Self {
        let producer: &'p Producer<T> = producer;
        let (tail, limit) = producer.lend_cursor();
        Burst {
            producer,
            ring: producer.ring(),
            signal: producer.signal(),
            tail,
            limit,
            lent: true,
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
            self.lent = false;
            let (result, tail, limit) = send_slow(self.producer, (self.tail, self.limit), make);
            (self.tail, self.limit, self.lent) = (tail, limit, true);
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
            self.lent = false;
            let (result, tail, limit) = push_slow(self.producer, (self.tail, self.limit), value);
            (self.tail, self.limit, self.lent) = (tail, limit, true);
            return result;
        }
        let published = self.publish_free(move || value);
        if published.seen() != 0 {
            return self.after_signal(published).map_err(PushError::Closed);
        }
        Ok(())
    }

    /// Below the cached limit: writes and publishes the slot of `tail`,
    /// moves the lent cursor past it, and returns the signal byte the
    /// publish loaded.
    #[inline(always)]
    fn publish_free<F: FnOnce() -> T>(&mut self, make: F) -> Published {
        let tail = self.tail;
        let signal = self.signal;
        // SAFETY: RB-UNIQ-1, RB-CUR-1: the burst borrows the producer
        // mutably for its whole life, the producer is its ring's only
        // producer, and the burst holds its cursor; RB-OWN-1: `tail <
        // limit`, the cursor's cached limit, so the slot of `tail` is free
        // and no skip comes first; `signal` is the channel's, which every
        // closer of this ring raises.
        let published = unsafe { self.ring.publish_free(tail, make, || signal) };
        // RB-CUR-1: only the burst's copy moves; the producer's cursor
        // waits at its lent limit until the burst gives it back.
        self.tail = tail + 1;
        published
    }

    /// A send saw a bit raised in the signal: handled by the producer's
    /// own path (BAR-1, CH-CLOSE-1, WAIT-1); a withdrawn publish moves the
    /// cursor back.
    #[inline(always)]
    fn after_signal(&mut self, published: Published) -> Result<(), T> {
        self.lent = false;
        let (result, tail, limit) = after_signal_slow(self.producer, (self.tail, self.limit), published);
        (self.tail, self.limit, self.lent) = (tail, limit, true);
        result
    }
}

impl<T> Drop for Burst<'_, T> {
    /// Gives the cursor back to the producer (RB-CUR-1).
    fn drop(&mut self) {
        if self.lent {
            self.producer.give_back_cursor(self.tail, self.limit);
        }
    }
}

/// Out of line and given the producer and the burst's copy of the cursor,
/// not the burst: the burst's fields stay in registers (a burst passed by
/// reference would live in memory). Runs the producer's own path with the
/// cursor given back, then lends it again (RB-CUR-1).
#[cold]
#[inline(never)]
fn send_slow<T, F: FnOnce() -> T>(
    producer: &Producer<T>,
    (tail, limit): (u64, u64),
    make: F,
) -> (Result<(), SendError<T>>, u64, u64) {
    producer.give_back_cursor(tail, limit);
    let result = producer.send_with(make);
    let (tail, limit) = producer.lend_cursor();
    (result, tail, limit)
}

/// As [`send_slow`], for a push.
#[cold]
#[inline(never)]
fn push_slow<T>(
    producer: &Producer<T>,
    (tail, limit): (u64, u64),
    value: T,
) -> (Result<(), PushError<T>>, u64, u64) {
    producer.give_back_cursor(tail, limit);
    let result = producer.push(value);
    let (tail, limit) = producer.lend_cursor();
    (result, tail, limit)
}

/// As [`send_slow`], after a publish that saw a bit raised in the signal.
#[cold]
#[inline(never)]
fn after_signal_slow<T>(
    producer: &Producer<T>,
    (tail, limit): (u64, u64),
    published: Published,
) -> (Result<(), T>, u64, u64) {
    producer.give_back_cursor(tail, limit);
    let result = producer.settle_published(published);
    let (tail, limit) = producer.lend_cursor();
    (result, tail, limit)
}

impl<T> fmt::Debug for Burst<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Burst")
            .field("producer", &self.producer.id())
            .finish_non_exhaustive()
    }
}
