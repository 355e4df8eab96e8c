//! Zero-copy writes: reserve slots, fill them in place, publish them.
//!
//! A [`Reservation`] is a run of free, contiguous slots at the producer's
//! end of a ring. Nothing in it is visible to the consumer until it is
//! published, and publishing can never expose uninitialised memory from safe
//! code: the safe ways to publish ([`fill_with`](Reservation::fill_with),
//! [`write_iter`](Reservation::write_iter),
//! [`copy_from_slice`](Reservation::copy_from_slice)) count what they wrote,
//! and the raw way ([`commit`](Reservation::commit) after writing through
//! [`as_mut_slice`](Reservation::as_mut_slice)) is `unsafe`.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use crate::ring::{ProducerCursor, RingRef};
use crate::wait::Notifier;

/// Slots reserved on a ring, published when committed or filled.
///
/// Dropping a reservation publishes nothing (values written through
/// `as_mut_slice` and not committed are leaked, not dropped). While it is
/// alive its producer is mutably borrowed, so there is never a second one.
///
/// ```
/// use ringmpsc::{Config, Ring};
///
/// let mut ring = Ring::new(Config::new(3, 1, false)).unwrap(); // 8 slots
/// // `reserve` may return fewer slots than asked at the wrap point: loop.
/// let mut next = 0u32;
/// while next < 6 {
///     let r = ring.reserve(6 - next as usize).unwrap();
///     next += r.fill_with(|i| next + i as u32) as u32;
/// }
/// let mut seen = Vec::new();
/// ring.consume_batch(|v| seen.push(*v));
/// assert_eq!(seen, [0, 1, 2, 3, 4, 5]);
/// ```
pub struct Reservation<'a, T> {
    ring: RingRef<'a, T>,
    cursor: &'a ProducerCursor,
    first: *mut MaybeUninit<T>,
    len: usize,
    notifier: Option<&'a Notifier>,
    _exclusive: PhantomData<&'a mut [MaybeUninit<T>]>,
}

impl<'a, T> Reservation<'a, T> {
    /// # Safety
    /// RESV-1: `first..first + len` are free slots of `ring` just reserved
    /// through `cursor`, whose producer stays borrowed for `'a`.
    pub(crate) unsafe fn new(
        ring: RingRef<'a, T>,
        cursor: &'a ProducerCursor,
        first: *mut MaybeUninit<T>,
        len: usize,
        notifier: Option<&'a Notifier>,
    ) -> Self {
        Reservation {
            ring,
            cursor,
            first,
            len,
            notifier,
            _exclusive: PhantomData,
        }
    }

    /// Number of reserved slots (at least 1).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Always `false`: an empty reservation is never handed out.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The reserved slots, to write in place with `MaybeUninit::write`.
    /// Publish them with the `unsafe` [`commit`](Self::commit) or
    /// [`commit_n`](Self::commit_n).
    pub fn as_mut_slice(&mut self) -> &mut [MaybeUninit<T>] {
        // SAFETY: RB-OWN-1 and RESV-1: the slots are free, owned by this
        // producer, contiguous and not visible to the consumer until
        // published; `&mut self` keeps this the only reference to them.
        unsafe { std::slice::from_raw_parts_mut(self.first, self.len) }
    }

    /// Publishes every reserved slot.
    ///
    /// # Safety
    /// Every slot of [`as_mut_slice`](Self::as_mut_slice) must have been
    /// initialised.
    pub unsafe fn commit(self) {
        let len = self.len;
        // SAFETY: the caller promises all `len` slots are written.
        unsafe { self.commit_n(len) }
    }

    /// Publishes the first `k` reserved slots (at most [`len`](Self::len));
    /// the rest are released unwritten.
    ///
    /// # Safety
    /// The first `k` slots of [`as_mut_slice`](Self::as_mut_slice) must have
    /// been initialised.
    pub unsafe fn commit_n(self, k: usize) {
        let k = k.min(self.len);
        // SAFETY: RB-PUB-1: the caller promises the first `k` reserved slots
        // are initialised; RB-UNIQ-1: the reservation holds the producer.
        unsafe { self.ring.publish(self.cursor, k) };
        if let Some(notifier) = self.notifier {
            notifier.wake_consumer();
        }
    }

    /// Fills every slot with `f(index)` and publishes them; returns the count.
    ///
    /// If `f` panics, the values written so far are dropped and nothing is
    /// published.
    pub fn fill_with<F: FnMut(usize) -> T>(self, mut f: F) -> usize {
        self.fill(|i| Some(f(i)))
    }

    /// Moves values from `iter` into the slots until either runs out, then
    /// publishes them; returns how many were written.
    pub fn write_iter<I: IntoIterator<Item = T>>(self, iter: I) -> usize {
        let mut iter = iter.into_iter();
        self.fill(|_| iter.next())
    }

    /// Copies `min(len, src.len())` values from `src` and publishes them;
    /// returns the count.
    pub fn copy_from_slice(mut self, src: &[T]) -> usize
    where
        T: Copy,
    {
        let n = src.len().min(self.len);
        for (slot, value) in self.as_mut_slice().iter_mut().zip(&src[..n]) {
            slot.write(*value);
        }
        // SAFETY: RB-PUB-1: the loop above initialised the first `n` slots.
        unsafe { self.commit_n(n) };
        n
    }

    fn fill(mut self, mut next: impl FnMut(usize) -> Option<T>) -> usize {
        let mut written = Written {
            slots: self.as_mut_slice(),
            count: 0,
        };
        while written.count < written.slots.len() {
            match next(written.count) {
                Some(value) => {
                    written.slots[written.count].write(value);
                    written.count += 1;
                }
                None => break,
            }
        }
        let count = written.count;
        std::mem::forget(written);
        // SAFETY: RB-PUB-1: exactly the first `count` slots were written.
        unsafe { self.commit_n(count) };
        count
    }
}

/// Drops the values written so far if filling unwinds (RB-DROP-1).
struct Written<'s, T> {
    slots: &'s mut [MaybeUninit<T>],
    count: usize,
}

impl<T> Drop for Written<'_, T> {
    fn drop(&mut self) {
        for slot in &mut self.slots[..self.count] {
            // SAFETY: RB-DROP-1: the first `count` slots were initialised
            // by `fill` and are not published, so nobody else drops them.
            unsafe { slot.assume_init_drop() };
        }
    }
}

impl<T> fmt::Debug for Reservation<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation").field("len", &self.len).finish()
    }
}
