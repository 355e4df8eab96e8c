//! The public single-owner ring: [`RingBuffer`], used as [`Ring`] (heap)
//! or `StackRing` (inline).

use std::cell::Cell;
use std::fmt;

#[cfg(feature = "stack-ring")]
use super::core::const_unless_loom;
use super::core::{CloseGuard, ProducerCursor, RingCore, RingRef};
use super::reservation::Reservation;
use super::split::{RingConsumer, RingProducer};
#[cfg(feature = "stack-ring")]
use super::storage::InlineStorage;
use super::storage::{HeapStorage, Storage};
use crate::config::{Config, MAX_RING_BITS, MIN_RING_BITS};
use crate::error::{ConfigError, PushError};
use crate::metrics::MetricsSnapshot;

/// A single-owner SPSC ring buffer over storage `S`; use it as [`Ring`]
/// (heap) or `StackRing` (inline, feature `stack-ring`).
///
/// Pushing and consuming take `&self`, reserving takes `&mut self` (two
/// reservations can never be alive at once). The ring is `Send` but not
/// `Sync`: to use it from several threads, use a [`Channel`](crate::Channel)
/// or [`split`](RingBuffer::split) it inside a thread scope.
pub struct RingBuffer<T, S: Storage<T>> {
    core: RingCore<T, S>,
    producer: ProducerCursor,
    consuming: Cell<bool>,
}

/// SPSC ring with a heap buffer of a power-of-two number of slots.
///
/// ```
/// use ringmpsc::Ring;
///
/// let mut ring = Ring::with_capacity(16).unwrap();
/// ring.push(1u64).unwrap();
/// // Zero copy: write straight into the ring, then publish.
/// let reservation = ring.reserve(3).unwrap();
/// let published = reservation.copy_from_slice(&[2, 3, 4]);
/// assert_eq!(published, 3);
///
/// let mut sum = 0;
/// assert_eq!(ring.consume_batch(|v| sum += *v), 4);
/// assert_eq!(sum, 10);
/// ```
pub type Ring<T> = RingBuffer<T, HeapStorage<T>>;

/// SPSC ring with its `N` slots inline (feature `stack-ring`); `N` must be
/// a power of two, checked at compile time. Constructible in `const`
/// context.
///
/// ```
/// use ringmpsc::StackRing;
///
/// const EMPTY: StackRing<u32, 8> = StackRing::new();
/// let ring = EMPTY;
/// ring.push(5).unwrap();
/// assert_eq!(ring.pop(), Some(5));
/// ```
///
/// A capacity that is not a power of two, or below 2, does not compile:
///
/// ```compile_fail
/// let ring = ringmpsc::StackRing::<u32, 6>::new();
/// ```
///
/// ```compile_fail
/// let ring = ringmpsc::StackRing::<u32, 1>::new();
/// ```
#[cfg(feature = "stack-ring")]
pub type StackRing<T, const N: usize> = RingBuffer<T, InlineStorage<T, N>>;

impl<T> RingBuffer<T, HeapStorage<T>> {
    /// A ring of `config.capacity()` slots. Only `ring_bits` and
    /// `enable_metrics` matter to a lone ring, but the whole config is
    /// validated; [`with_capacity`](Self::with_capacity) takes just the size.
    ///
    /// The buffer is written once here (zeros), so that its pages are
    /// present before the first push: the first lap takes no page faults.
    ///
    /// # Errors
    /// [`ConfigError`] if a field is out of range, or names `ring_bits` when
    /// the buffer cannot be allocated.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate_for::<T>()?;
        Self::build(config.capacity(), config.enable_metrics)
    }

    /// A ring of `capacity` slots, metrics off.
    ///
    /// ```
    /// let ring = ringmpsc::Ring::<u64>::with_capacity(1024).unwrap();
    /// assert_eq!(ring.capacity(), 1024);
    /// assert!(ringmpsc::Ring::<u64>::with_capacity(1000).is_err());
    /// ```
    ///
    /// # Errors
    /// [`ConfigError`] naming `capacity` unless it is a power of two in
    /// `2..=2^20`.
    pub fn with_capacity(capacity: usize) -> Result<Self, ConfigError> {
        let (min, max) = (1 << MIN_RING_BITS, 1 << MAX_RING_BITS);
        if !capacity.is_power_of_two() || !(min..=max).contains(&capacity) {
            return Err(ConfigError::new("capacity", capacity, min, max));
        }
        Self::build(capacity, false)
    }

    fn build(capacity: usize, enable_metrics: bool) -> Result<Self, ConfigError> {
        let bits = capacity.trailing_zeros() as usize;
        // The allocator refused: report the size as out of range.
        let refused = ConfigError::new("ring_bits", bits, MIN_RING_BITS as usize, bits - 1);
        Ok(RingBuffer {
            core: RingCore::new_heap(capacity, enable_metrics).ok_or(refused)?,
            producer: ProducerCursor::new(),
            consuming: Cell::new(false),
        })
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize> RingBuffer<T, InlineStorage<T, N>> {
    const_unless_loom! {
        /// An empty inline ring of `N` slots, metrics off.
        pub fn new() -> Self {
            Self::with_metrics(false)
        }
    }

    const_unless_loom! {
        /// An empty inline ring of `N` slots, metrics on or off.
        pub fn with_metrics(enable_metrics: bool) -> Self {
            RingBuffer { core: RingCore::new_inline(enable_metrics), producer: ProducerCursor::new(), consuming: Cell::new(false) }
        }
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize> Default for RingBuffer<T, InlineStorage<T, N>> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, S: Storage<T>> RingBuffer<T, S> {
    #[inline]
    fn ring(&self) -> RingRef<'_, T> {
        self.core.ring()
    }

    /// Appends `value`; on a full or closed ring the value comes back.
    ///
    /// # Errors
    /// [`PushError::Full`] or [`PushError::Closed`], holding `value`.
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        // SAFETY: RB-UNIQ-1: the ring is `!Sync` and `reserve` borrows it
        // mutably, so this thread is the only producer right now.
        unsafe { self.ring().push(&self.producer, value, CloseGuard::Unneeded) }
    }

    /// Reserves up to `n` contiguous slots for zero-copy writes. Fewer than
    /// `n` come back at the wrap point (loop until done); `None` when the
    /// ring is full or closed. `n == 0` gives an empty reservation.
    ///
    /// See [`Reservation`] for the ways to fill and publish the slots.
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        // SAFETY: RB-UNIQ-1: `&mut self` makes this the only producer, and
        // the reservation keeps that borrow until it is committed or dropped.
        unsafe {
            self.core
                .ring()
                .reserve(&self.producer, n, None, CloseGuard::Unneeded)
        }
    }

    /// Consumes every value present, by reference, in FIFO order; each is
    /// dropped after `f` returns. One `head` store for the batch.
    ///
    /// Returns the count; a call from inside another consume call on the
    /// same ring returns 0.
    pub fn consume_batch<F: FnMut(&T)>(&self, mut f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, |v| f(&v))
    }

    /// Consumes every value present, by value, in FIFO order.
    pub fn consume_batch_owned<F: FnMut(T)>(&self, f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, f)
    }

    /// Like [`consume_batch`](Self::consume_batch), at most `limit` values.
    pub fn consume_up_to<F: FnMut(&T)>(&self, limit: usize, mut f: F) -> usize {
        self.consume_up_to_owned(limit, |v| f(&v))
    }

    /// Like [`consume_batch_owned`](Self::consume_batch_owned), at most
    /// `limit` values.
    pub fn consume_up_to_owned<F: FnMut(T)>(&self, limit: usize, f: F) -> usize {
        if self.consuming.replace(true) {
            return 0;
        }
        let _reset = ResetOnDrop(&self.consuming);
        // SAFETY: RB-UNIQ-1: the ring is `!Sync` and the `consuming` flag
        // turns away a nested call from `f`, so this is the only consumer.
        unsafe { self.ring().consume_up_to(limit, f) }
    }

    /// Takes the oldest value, if any.
    pub fn pop(&self) -> Option<T> {
        let mut out = None;
        self.consume_up_to_owned(1, |v| out = Some(v));
        out
    }

    /// Values in the ring.
    pub fn len(&self) -> usize {
        self.ring().len()
    }

    /// `true` when the ring holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        self.ring().capacity()
    }

    /// Closes the ring: pushes and reservations fail from now on; what is
    /// in the ring can still be consumed.
    pub fn close(&self) {
        self.ring().close();
    }

    /// `true` once [`close`](Self::close) was called.
    pub fn is_closed(&self) -> bool {
        self.ring().is_closed()
    }

    /// The ring's counters (zero with metrics off).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.ring().metrics()
    }

    /// Splits the ring into a producer and a consumer half that can move
    /// to two threads of a scope.
    ///
    /// ```
    /// use ringmpsc::Ring;
    ///
    /// let mut ring = Ring::with_capacity(64).unwrap();
    /// let (producer, mut consumer) = ring.split();
    /// std::thread::scope(|s| {
    ///     s.spawn(move || {
    ///         for i in 0..1000u64 {
    ///             let mut v = i;
    ///             while let Err(e) = producer.push(v) {
    ///                 v = e.into_inner();
    ///                 std::thread::yield_now();
    ///             }
    ///         }
    ///     });
    ///     let (mut next, mut sum) = (0, 0);
    ///     while next < 1000 {
    ///         next += consumer.consume_batch(|v| sum += *v);
    ///     }
    ///     assert_eq!(sum, 999 * 1000 / 2);
    /// });
    /// ```
    pub fn split(&mut self) -> (RingProducer<'_, T>, RingConsumer<'_, T>) {
        let ring = self.core.ring();
        (
            RingProducer::new(ring, &mut self.producer),
            RingConsumer::new(ring),
        )
    }
}

impl<T, S: Storage<T>> fmt::Debug for RingBuffer<T, S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingBuffer")
            .field("capacity", &self.capacity())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

struct ResetOnDrop<'a>(&'a Cell<bool>);

impl Drop for ResetOnDrop<'_> {
    fn drop(&mut self) {
        self.0.set(false);
    }
}
