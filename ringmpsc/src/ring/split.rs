//! The two halves of a split ring, each movable to its own thread:
//! [`RingProducer`] and [`RingConsumer`]. They borrow the ring they came
//! from, so the borrow checker keeps the ring alive and undivided.

use std::fmt;

use super::core::{CloseGuard, ProducerCursor, RingRef};
use super::reservation::Reservation;
use crate::error::PushError;

/// The producer half of a [`split`](crate::RingBuffer::split) ring (or of a
/// [`StaticRing`](crate::RingBuffer)).
pub struct RingProducer<'a, T> {
    ring: RingRef<'a, T>,
    cursor: &'a mut ProducerCursor,
}

// SAFETY: RB-UNIQ-1: the half is the ring's only producer (it holds the
// ring's `&mut` borrow of the cursor); moving it moves that role to another
// thread, which is sound when the values may move (`T: Send`).
unsafe impl<T: Send> Send for RingProducer<'_, T> {}

impl<'a, T> RingProducer<'a, T> {
    /// The producer of `ring`; `cursor` is the ring's one producer cursor,
    /// so RB-UNIQ-1 holds by the `&mut` borrow.
    pub(crate) fn new(ring: RingRef<'a, T>, cursor: &'a mut ProducerCursor) -> Self {
        // The consumer half may be on another thread: a wait at a window's
        // end can pay off (RB-WIN-1). Left raised when the halves are gone
        // (a `Drop` here would hold the ring's borrow to the end of the
        // scope): a ring split once waits as every ring did before.
        cursor.drain_elsewhere();
        RingProducer { ring, cursor }
    }

    /// Appends `value`; on a full or closed ring the value comes back.
    ///
    /// # Errors
    /// [`PushError::Full`] or [`PushError::Closed`], holding `value`.
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        // SAFETY: RB-UNIQ-1: this half is the only producer and is `!Sync`.
        unsafe { self.ring.push(self.cursor, value, CloseGuard::Unneeded) }
    }

    /// Reserves up to `n` contiguous slots; see [`RingBuffer::reserve`](crate::RingBuffer::reserve).
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        // SAFETY: RB-UNIQ-1: `&mut self` of the only producer half, held by
        // the reservation.
        unsafe { self.ring.reserve(self.cursor, n, None, CloseGuard::Unneeded) }
    }

    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }
}

impl<T> fmt::Debug for RingProducer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingProducer")
            .field("capacity", &self.ring.capacity())
            .finish()
    }
}

/// The consumer half of a [`split`](crate::RingBuffer::split) ring. It has
/// the consume methods of [`RingBuffer`](crate::RingBuffer), with `&mut self`.
pub struct RingConsumer<'a, T> {
    ring: RingRef<'a, T>,
}

// SAFETY: RB-UNIQ-1: the half is the ring's only consumer; its consuming
// methods take `&mut self`, so moving it moves that role with it.
unsafe impl<T: Send> Send for RingConsumer<'_, T> {}

impl<'a, T> RingConsumer<'a, T> {
    /// The consumer of `ring`; the caller hands out one per ring (RB-UNIQ-1).
    pub(crate) fn new(ring: RingRef<'a, T>) -> Self {
        RingConsumer { ring }
    }

    /// Consumes every value present by reference; returns the count.
    pub fn consume_batch<F: FnMut(&T)>(&mut self, mut f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, |v| f(&v))
    }

    /// Consumes every value present by value; returns the count.
    pub fn consume_batch_owned<F: FnMut(T)>(&mut self, f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, f)
    }

    /// Consumes at most `limit` values by reference; returns the count.
    pub fn consume_up_to<F: FnMut(&T)>(&mut self, limit: usize, mut f: F) -> usize {
        self.consume_up_to_owned(limit, |v| f(&v))
    }

    /// Consumes at most `limit` values by value; returns the count.
    pub fn consume_up_to_owned<F: FnMut(T)>(&mut self, limit: usize, f: F) -> usize {
        // SAFETY: RB-UNIQ-1: `&mut self` of the only consumer half.
        unsafe { self.ring.consume_up_to(limit, f) }
    }

    /// Takes the oldest value, if any.
    pub fn pop(&mut self) -> Option<T> {
        let mut out = None;
        self.consume_up_to_owned(1, |v| out = Some(v));
        out
    }

    /// Values in the ring.
    pub fn len(&self) -> usize {
        self.ring.len()
    }

    /// `true` when the ring holds no value.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Slots in the ring.
    pub fn capacity(&self) -> usize {
        self.ring.capacity()
    }
}

impl<T> fmt::Debug for RingConsumer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingConsumer").field("len", &self.len()).finish()
    }
}
