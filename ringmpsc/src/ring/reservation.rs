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

use super::core::{CloseGuard, Next, ProducerCursor, RingRef};
use super::storage::Slot;

/// What runs after a reservation is published. The ring knows nothing of
/// who listens; a channel uses it to wake its consumer (WAIT-1).
pub(crate) trait AfterPublish {
    /// `fenced`: the publish issued a light barrier after its `tail` store
    /// (`CloseGuard::Needed`, CH-CLOSE-1).
    fn after_publish(&self, fenced: bool);
}

/// The bytes [`Reservation::copy_from_slice`] copies at a time when it
/// copies more than this; up to this, it copies in one go.
#[cfg(not(loom))]
const COPY_CHUNK: usize = 1024;

/// How far past the chunk it copies [`Reservation::copy_from_slice`] asks
/// for the slots' lines (HINT-1).
#[cfg(not(loom))]
const COPY_AHEAD: usize = 4096;

/// Slots reserved on a ring, published when committed or filled.
///
/// Dropping a reservation publishes nothing (values written through
/// `as_mut_slice` and not committed are leaked, not dropped). While it is
/// alive its producer is mutably borrowed, so there is never a second one.
///
/// ```
/// use ringmpsc::Ring;
///
/// let mut ring = Ring::with_capacity(8).unwrap();
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
    /// Where the slots start: at the cursor's `tail`, or past a window
    /// skip that the commit records (RB-WIN-1).
    next: Next,
    /// RESV-1: the reserved slots, free and owned by this producer.
    slots: &'a [Slot<T>],
    after_publish: Option<&'a dyn AfterPublish>,
    guard: CloseGuard,
    _exclusive: PhantomData<&'a mut [MaybeUninit<T>]>,
}

impl<'a, T> Reservation<'a, T> {
    /// # Safety
    /// RESV-1: `slots` are free slots of `ring` just reserved through
    /// `cursor`, starting at `next`, and no other producer or reservation
    /// of the ring exists while this one lives.
    pub(crate) unsafe fn new(
        ring: RingRef<'a, T>,
        cursor: &'a ProducerCursor,
        next: Next,
        slots: &'a [Slot<T>],
        after_publish: Option<&'a dyn AfterPublish>,
        guard: CloseGuard,
    ) -> Self {
        Reservation {
            ring,
            cursor,
            next,
            slots,
            after_publish,
            guard,
            _exclusive: PhantomData,
        }
    }

    /// Number of reserved slots: at least 1, unless 0 were asked for.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// `true` only for a reservation of 0 slots (`reserve(0)`).
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The reserved slots, to write in place with `MaybeUninit::write`.
    /// Publish them with the `unsafe` [`commit`](Self::commit) or
    /// [`commit_n`](Self::commit_n).
    ///
    /// ```
    /// use std::mem::MaybeUninit;
    ///
    /// let mut ring = ringmpsc::Ring::with_capacity(4).unwrap();
    /// let mut r = ring.reserve(2).unwrap();
    /// for (i, slot) in r.as_mut_slice().iter_mut().enumerate() {
    ///     slot.write(i as u8);
    /// }
    /// // SAFETY: both slots were written just above.
    /// unsafe { r.commit() };
    /// assert_eq!(ring.len(), 2);
    /// ```
    #[cfg(not(loom))]
    pub fn as_mut_slice(&mut self) -> &mut [MaybeUninit<T>] {
        let first = crate::sync::UnsafeCell::slice_ptr(self.slots);
        // SAFETY: RB-OWN-1 and RESV-1: the slots are free, owned by this
        // producer, contiguous and not visible to the consumer until
        // published; `&mut self` keeps this the only reference to them.
        unsafe { std::slice::from_raw_parts_mut(first, self.slots.len()) }
    }

    /// Publishes every reserved slot; returns how many were published.
    ///
    /// If the ring or channel was closed after the reservation was taken,
    /// nothing is published (nobody could receive it): the values are
    /// dropped and 0 is returned (CH-CLOSE-1).
    ///
    /// # Safety
    /// Every slot of [`as_mut_slice`](Self::as_mut_slice) must have been
    /// initialised.
    #[inline]
    pub unsafe fn commit(self) -> usize {
        let len = self.slots.len();
        // SAFETY: RB-PUB-1: the caller promises all `len` slots are written.
        unsafe { self.commit_n(len) }
    }

    /// Publishes the first `k` reserved slots (at most [`len`](Self::len));
    /// the rest are released unwritten. Returns `k`, or 0 when the ring or
    /// channel was closed meanwhile (the `k` values are then dropped).
    ///
    /// # Safety
    /// The first `k` slots of [`as_mut_slice`](Self::as_mut_slice) must have
    /// been initialised.
    #[inline]
    pub unsafe fn commit_n(self, k: usize) -> usize {
        let k = k.min(self.slots.len());
        if k == 0 {
            return 0;
        }
        // SAFETY: RB-PUB-1: the caller promises the first `k` reserved slots
        // are initialised; RB-UNIQ-1: the reservation holds the producer.
        if !unsafe {
            self.ring
                .publish_unless_closed(self.cursor, self.next, k, self.guard)
        } {
            // CH-CLOSE-1: closed since the reservation was taken, and the
            // publish withdrawn. RB-DROP-1: the caller promised the `k`
            // values are written; nobody else can reach them, so drop them.
            drop(Written {
                slots: self.slots,
                count: k,
            });
            return 0;
        }
        if let Some(hook) = self.after_publish {
            hook.after_publish(self.guard == CloseGuard::Needed);
        }
        k
    }

    /// Fills every slot with `f(index)` and publishes them; returns the count
    /// published (0, with the values dropped, if the channel was closed
    /// since the reservation was taken).
    ///
    /// If `f` panics, the values written so far are dropped and nothing is
    /// published.
    ///
    /// Each value is made in its slot, so this is the fast way to send a
    /// batch whose values are computed: in the `limit_study` benchmark
    /// (`u64`, one producer, medians of per-round ratios), batches of 64
    /// made with it ran 1.57× and 1.67× (two runs of 5 rounds), and
    /// batches of 4096 1.24× (7 rounds), the same batches made in a `Vec`
    /// first and sent with [`copy_from_slice`](Self::copy_from_slice), as
    /// the benchmark's batch rows do.
    ///
    /// ```
    /// let mut ring = ringmpsc::Ring::with_capacity(8).unwrap();
    /// let mut next = 0u64;
    /// while next < 20 {
    ///     // Up to 5 at a time; fewer at the wrap point or when nearly full.
    ///     if let Some(r) = ring.reserve(5) {
    ///         next += r.fill_with(|i| 10 * (next + i as u64)) as u64;
    ///     }
    ///     ring.consume_batch(|v| assert_eq!(v % 10, 0));
    /// }
    /// ```
    #[inline]
    pub fn fill_with<F: FnMut(usize) -> T>(self, mut f: F) -> usize {
        self.fill(|i| Some(f(i)))
    }

    /// Moves values from `iter` into the slots until either runs out, then
    /// publishes them; returns how many were published (see
    /// [`fill_with`](Self::fill_with) for a close in between).
    ///
    /// ```
    /// let mut ring = ringmpsc::Ring::with_capacity(4).unwrap();
    /// let words = ["a", "b", "c", "d", "e", "f"].map(String::from);
    /// let mut words = words.into_iter();
    /// // The iterator is taken by value: pass `by_ref` to keep the rest.
    /// let sent = ring.reserve(4).unwrap().write_iter(words.by_ref());
    /// assert_eq!(sent, 4);
    /// let mut got = Vec::new();
    /// ring.consume_batch_owned(|w| got.push(w));
    /// assert_eq!(got, ["a", "b", "c", "d"]);
    /// assert_eq!(words.next().as_deref(), Some("e"));
    /// ```
    #[inline]
    pub fn write_iter<I: IntoIterator<Item = T>>(self, iter: I) -> usize {
        let mut iter = iter.into_iter();
        self.fill(|_| iter.next())
    }

    /// Copies `min(len, src.len())` values from `src` and publishes them;
    /// returns the count published (0 if the channel was closed since the
    /// reservation was taken).
    ///
    /// A reservation may hold fewer slots than asked for (at the wrap
    /// point, or when the ring is nearly full), so send a slice in a loop:
    ///
    /// ```
    /// let mut ring = ringmpsc::Ring::with_capacity(8).unwrap();
    /// let batch: Vec<u32> = (0..20).collect();
    /// let (mut rest, mut got) = (&batch[..], Vec::new());
    /// while !rest.is_empty() {
    ///     if let Some(r) = ring.reserve(rest.len()) {
    ///         let sent = r.copy_from_slice(rest);
    ///         rest = &rest[sent..];
    ///     }
    ///     ring.consume_batch(|v| got.push(*v));
    /// }
    /// assert_eq!(got, batch);
    /// ```
    #[inline]
    pub fn copy_from_slice(self, src: &[T]) -> usize
    where
        T: Copy,
    {
        // Under loom, whose cells are not contiguous values, one value at a
        // time.
        #[cfg(not(loom))]
        {
            let count = self.slots.len().min(src.len());
            if count * std::mem::size_of::<T>() > COPY_CHUNK {
                self.copy_ahead_of_stores(&src[..count]);
                // SAFETY: RB-PUB-1: the first `count` slots were just written.
                return unsafe { self.commit_n(count) };
            }
        }
        self.fill(|i| src.get(i).copied())
    }

    /// Copies `src` (at most [`len`](Self::len) values) into the first
    /// slots, [`COPY_CHUNK`] bytes at a time, asking for the lines of the
    /// slots up to [`COPY_AHEAD`] bytes past each chunk for writing first
    /// (HINT-1). A reserved slot was last read by the consumer, on another
    /// core, so each line's first store waits for the line to come over;
    /// one long `memmove` asks for only as many lines as its stores in
    /// flight. Batches of 4096 `u64` (32 KiB, `spsc_batch4096`, alternated
    /// rounds) ran 1.20× one `memmove` (15 rounds, min 1.11) and 1.07×
    /// rtrb (12). Asking 4 KiB ahead ran 1.22× asking 1 KiB ahead, 2 KiB
    /// 1.10×; 8 KiB ran as 4 KiB and 16 KiB 0.97× it (15 rounds each); the
    /// chunks without the asks ran 0.90× the chunks with them, 1 KiB ahead.
    #[cfg(not(loom))]
    #[inline]
    fn copy_ahead_of_stores(&self, src: &[T])
    where
        T: Copy,
    {
        debug_assert!(src.len() <= self.slots.len(), "RESV-1");
        let bytes = std::mem::size_of_val(src);
        let from = src.as_ptr().cast::<u8>();
        let to = crate::sync::UnsafeCell::slice_ptr(self.slots).cast::<u8>();
        // The first chunk's lines are not asked for: its stores come first.
        let (mut done, mut asked) = (0, COPY_CHUNK);
        while done < bytes {
            let end = (done + COPY_CHUNK).min(bytes);
            let ask_until = (end + COPY_AHEAD).min(bytes);
            while asked < ask_until {
                // `wrapping_add`: a hint may name any address (HINT-1); this
                // one stays inside the reserved slots anyway.
                crate::sync::prefetch_write(to.wrapping_add(asked));
                asked += super::core::CACHE_LINE;
            }
            // SAFETY: RESV-1 and RB-OWN-1: the reserved slots are free,
            // contiguous (a reservation never crosses the wrap point) and
            // written only by this producer, which `&self` holds; `src`
            // fits in them (at most `len` values), so bytes `done..end` of
            // both are in bounds. `src` cannot overlap them: it is either
            // memory outside the ring or published values (RB-OWN-2),
            // never free slots. `T: Copy`, so its bytes are the value, and
            // the slots are `MaybeUninit`, valid with any bytes while a
            // value is copied in by parts.
            unsafe { std::ptr::copy_nonoverlapping(from.add(done), to.add(done), end - done) };
            done = end;
        }
    }

    // Inlined, as every method that takes the reservation by value: see
    // `Producer::reserve`.
    #[inline]
    fn fill(self, mut next: impl FnMut(usize) -> Option<T>) -> usize {
        let mut written = Written {
            slots: self.slots,
            count: 0,
        };
        while let Some(slot) = self.slots.get(written.count) {
            let Some(value) = next(written.count) else {
                break;
            };
            slot.with_mut(|slot| {
                // SAFETY: RB-OWN-1, RESV-1: a reserved slot, not yet
                // published, so only this producer touches it.
                unsafe { slot.write(MaybeUninit::new(value)) }
            });
            written.count += 1;
        }
        let count = written.count;
        std::mem::forget(written);
        // SAFETY: RB-PUB-1: exactly the first `count` slots were written.
        unsafe { self.commit_n(count) }
    }
}

/// Drops the first `count` slots' values: those written so far if filling
/// unwinds, or those a commit after close cannot publish (RB-DROP-1).
struct Written<'s, T> {
    slots: &'s [Slot<T>],
    count: usize,
}

impl<T> Drop for Written<'_, T> {
    fn drop(&mut self) {
        for slot in &self.slots[..self.count] {
            slot.with_mut(|slot| {
                // SAFETY: RB-DROP-1: the first `count` slots were
                // initialised by `fill` and are not published, so nobody
                // else drops them.
                unsafe { (*slot).assume_init_drop() }
            });
        }
    }
}

impl<T> fmt::Debug for Reservation<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Reservation")
            .field("len", &self.slots.len())
            .finish()
    }
}
