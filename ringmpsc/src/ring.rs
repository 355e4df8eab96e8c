//! The SPSC ring algorithm, written once for every storage.
//!
//! A ring is a power-of-two array of slots plus two unbounded `u64`
//! sequence numbers: `tail` (next slot the producer writes, written only by
//! the producer) and `head` (next slot the consumer reads, written only by
//! the consumer). Slots `[head, tail)` hold initialised values owned by the
//! consumer; slots `[tail, head + capacity)` are free and owned by the
//! producer. Invariant IDs (`RB-*`) refer to `specs/ring-buffer-invariants.md`.
//!
//! [`RingRef`] is the algorithm: a header plus a slot pointer, no storage
//! type. [`RingCore`] owns a header and a [`Storage`]. [`RingBuffer`] is the
//! public single-owner ring; [`Ring`] and `StackRing` are its heap and
//! inline forms.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::config::Config;
use crate::error::{ConfigError, PushError};
use crate::metrics::{Counter, MetricsSnapshot};
use crate::reservation::Reservation;
use crate::storage::{HeapStorage, InlineStorage, Storage};
use crate::sync::{AtomicBool, AtomicU64, Ordering, SlotTracker};

/// Declares a `const fn`, or a plain `fn` under loom, whose atomics are not
/// const-constructible.
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $name:ident $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $name $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $name $($rest)*
    };
}

/// The consumer's cache line: only the consumer writes it.
#[derive(Debug)]
struct ConsumerLine {
    head: AtomicU64,
    batches: Counter,
}

/// The producer's cache line: only the producer writes it, except `closed`,
/// which the consumer sets once.
#[derive(Debug)]
struct ProducerLine {
    tail: AtomicU64,
    closed: AtomicBool,
    full_events: Counter,
}

/// The shared, storage-independent part of a ring.
///
/// RB-LAYOUT-1: `head` and `tail` each sit on their own 128-byte line
/// (`CachePadded`), and the read-only fields on a third, so neither side's
/// writes evict the other side's line.
#[derive(Debug)]
pub(crate) struct RingHeader {
    capacity: u64,
    mask: u64,
    metrics: bool,
    tracker: SlotTracker,
    consumer: CachePadded<ConsumerLine>,
    producer: CachePadded<ProducerLine>,
}

impl RingHeader {
    const_unless_loom! {
        pub(crate) fn new(capacity: usize, metrics: bool) -> Self {
            RingHeader {
                capacity: capacity as u64,
                mask: capacity as u64 - 1,
                metrics,
                tracker: SlotTracker::new(capacity),
                consumer: CachePadded::new(ConsumerLine { head: AtomicU64::new(0), batches: Counter::new() }),
                producer: CachePadded::new(ProducerLine {
                    tail: AtomicU64::new(0),
                    closed: AtomicBool::new(false),
                    full_events: Counter::new(),
                }),
            }
        }
    }
}

/// The producer's private view of its ring: its own `tail` and the last
/// `head` it loaded (rtrb's cached head), so it touches the consumer's line
/// only when the ring looks full. `Cell`s: the producer handle is `!Sync`.
#[derive(Debug)]
pub(crate) struct ProducerCursor {
    tail: Cell<u64>,
    cached_head: Cell<u64>,
}

impl ProducerCursor {
    /// A cursor for a fresh ring.
    pub(crate) const fn new() -> Self {
        ProducerCursor {
            tail: Cell::new(0),
            cached_head: Cell::new(0),
        }
    }

    /// A cursor that takes over a ring from a previous producer (CH-REG-2).
    pub(crate) fn attach<T>(ring: RingRef<'_, T>) -> Self {
        // Acquire: pairs with the Release stores of the previous producer's
        // tail and of the consumer's head, so both start values are current.
        let tail = ring.header.producer.tail.load(Ordering::Acquire);
        let head = ring.header.consumer.head.load(Ordering::Acquire);
        ProducerCursor {
            tail: Cell::new(tail),
            cached_head: Cell::new(head),
        }
    }
}

/// The ring algorithm: a header and the base of its slots.
///
/// Copyable and storage-independent. The `unsafe` methods are split by
/// side; their contract is RB-UNIQ-1: the caller is the ring's only producer
/// (resp. only consumer) for the duration of the call.
pub(crate) struct RingRef<'a, T> {
    header: &'a RingHeader,
    slots: *mut MaybeUninit<T>,
}

impl<T> Clone for RingRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RingRef<'_, T> {}

impl<'a, T> RingRef<'a, T> {
    /// # Safety
    /// `slots` must point to `header.capacity` slots that outlive `'a`
    /// (STORAGE-1).
    pub(crate) unsafe fn from_raw(header: &'a RingHeader, slots: *mut MaybeUninit<T>) -> Self {
        RingRef { header, slots }
    }

    pub(crate) fn header(self) -> &'a RingHeader {
        self.header
    }

    pub(crate) fn slots(self) -> *mut MaybeUninit<T> {
        self.slots
    }

    #[inline]
    pub(crate) fn capacity(self) -> usize {
        self.header.capacity as usize
    }

    /// Pointer to the slot of sequence `seq` (RB-SEQ-2).
    #[inline]
    fn slot(self, seq: u64) -> (*mut MaybeUninit<T>, usize) {
        let index = (seq & self.header.mask) as usize;
        // SAFETY: RB-SEQ-2: `index <= mask < capacity`, inside the buffer.
        (unsafe { self.slots.add(index) }, index)
    }

    /// Free slots as the producer sees them; reloads `head` only when the
    /// cached value says fewer than `wanted` are free.
    #[inline]
    fn free_slots(self, cursor: &ProducerCursor, wanted: u64) -> u64 {
        let tail = cursor.tail.get();
        let mut free = self.header.capacity - (tail - cursor.cached_head.get());
        if free < wanted {
            // Acquire: pairs with the Release store of `head` in
            // `consume_up_to`; the consumer's reads of the slots we are
            // about to reuse happen before our writes (RB-ORD-2).
            let head = self.header.consumer.head.load(Ordering::Acquire);
            cursor.cached_head.set(head);
            free = self.header.capacity - (tail - head);
        }
        debug_assert!(free <= self.header.capacity, "RB-SEQ-1");
        free
    }

    #[inline]
    fn note_full(self) {
        if self.header.metrics {
            self.header.producer.full_events.bump();
        }
    }

    /// Producer: appends one value, or gives it back.
    ///
    /// # Safety
    /// RB-UNIQ-1: the caller is this ring's only producer and `cursor` is
    /// its cursor.
    #[inline]
    pub(crate) unsafe fn push(self, cursor: &ProducerCursor, value: T) -> Result<(), PushError<T>> {
        // Relaxed: `closed` orders no data; once the close is visible to
        // this thread (RB-CLOSE-1) coherence keeps it visible.
        if self.header.producer.closed.load(Ordering::Relaxed) {
            return Err(PushError::Closed(value));
        }
        if self.free_slots(cursor, 1) == 0 {
            self.note_full();
            return Err(PushError::Full(value));
        }
        let tail = cursor.tail.get();
        let (slot, index) = self.slot(tail);
        self.header.tracker.write(index);
        // SAFETY: RB-OWN-1: at least one slot is free, so the slot of `tail`
        // is owned by the producer and the consumer does not read it.
        unsafe { slot.write(MaybeUninit::new(value)) };
        // SAFETY: RB-UNIQ-1 is the caller's duty; this publishes one
        // initialised slot (RB-PUB-1).
        unsafe { self.publish(cursor, 1) };
        Ok(())
    }

    /// Producer: up to `wanted` free slots contiguous from `tail` (fewer at
    /// the wrap point), as `(first slot, count)`.
    ///
    /// # Safety
    /// RB-UNIQ-1, as for [`push`](Self::push).
    #[inline]
    pub(crate) unsafe fn reserve(
        self,
        cursor: &ProducerCursor,
        wanted: usize,
    ) -> Option<(*mut MaybeUninit<T>, usize)> {
        if wanted == 0 || self.header.producer.closed.load(Ordering::Relaxed) {
            return None;
        }
        let wanted = wanted.min(self.capacity()) as u64;
        let free = self.free_slots(cursor, wanted);
        if free == 0 {
            self.note_full();
            return None;
        }
        let tail = cursor.tail.get();
        let to_end = self.header.capacity - (tail & self.header.mask);
        let len = wanted.min(free).min(to_end) as usize;
        let (first, index) = self.slot(tail);
        for i in index..index + len {
            self.header.tracker.write(i);
        }
        Some((first, len))
    }

    /// Producer: publishes the next `count` slots after `tail`.
    ///
    /// # Safety
    /// RB-UNIQ-1, and RB-PUB-1: those `count` slots were reserved and are
    /// initialised.
    #[inline]
    pub(crate) unsafe fn publish(self, cursor: &ProducerCursor, count: usize) {
        let tail = cursor.tail.get() + count as u64;
        debug_assert!(
            tail - cursor.cached_head.get() <= self.header.capacity,
            "RB-SEQ-1"
        );
        // Release: publishes the slot writes; pairs with the Acquire load
        // of `tail` in `consume_up_to` and `len` (RB-ORD-1).
        self.header.producer.tail.store(tail, Ordering::Release);
        cursor.tail.set(tail);
    }

    /// Producer: whether a slot is free now (reloads `head`).
    pub(crate) fn has_room(self, cursor: &ProducerCursor) -> bool {
        self.free_slots(cursor, u64::MAX) > 0
    }

    /// Consumer: hands up to `limit` values to `f` by value, in FIFO order,
    /// with one `head` store for the whole batch. Returns how many.
    ///
    /// If `f` panics, the values already handed out stay consumed and the
    /// rest stay in the ring (RB-PANIC-1).
    ///
    /// # Safety
    /// RB-UNIQ-1: the caller is this ring's only consumer for the call.
    #[inline]
    pub(crate) unsafe fn consume_up_to<F: FnMut(T)>(self, limit: usize, mut f: F) -> usize {
        // Relaxed: only this thread writes `head`.
        let head = self.header.consumer.head.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `tail` in `publish`; the
        // slot writes up to `tail` are visible (RB-ORD-1).
        let tail = self.header.producer.tail.load(Ordering::Acquire);
        debug_assert!(tail - head <= self.header.capacity, "RB-SEQ-1");
        let count = ((tail - head) as usize).min(limit);
        if count == 0 {
            return 0;
        }
        let mut batch = Batch {
            ring: self,
            head,
            taken: 0,
        };
        while batch.taken < count {
            let (slot, index) = self.slot(head + batch.taken as u64);
            self.header.tracker.write(index);
            // SAFETY: RB-OWN-2: `head + taken < tail`, so the slot holds an
            // initialised value owned by the consumer; `taken` advances
            // before `f` runs, so it is never read twice (RB-DROP-1).
            let value = unsafe { slot.read().assume_init() };
            batch.taken += 1;
            f(value);
        }
        count
    }

    /// Values in the ring: a snapshot that may be stale by the time it is read.
    pub(crate) fn len(self) -> usize {
        // Load `head` first: it only grows, and never past the `tail` loaded
        // after it, so the difference cannot underflow.
        // Acquire: pairs with the consumer's Release store of `head`.
        let head = self.header.consumer.head.load(Ordering::Acquire);
        // Acquire: pairs with the producer's Release store of `tail`.
        let tail = self.header.producer.tail.load(Ordering::Acquire);
        tail.saturating_sub(head) as usize
    }

    /// Closes the ring: later pushes and reservations fail (RB-CLOSE-1).
    pub(crate) fn close(self) {
        // Relaxed: a flag that orders no data; see `push`.
        self.header.producer.closed.store(true, Ordering::Relaxed);
    }

    pub(crate) fn is_closed(self) -> bool {
        // Relaxed: see `close`.
        self.header.producer.closed.load(Ordering::Relaxed)
    }

    pub(crate) fn metrics(self) -> MetricsSnapshot {
        if !self.header.metrics {
            return MetricsSnapshot::default();
        }
        // Acquire: pairs with the Release stores of `tail` and `head`, so a
        // snapshot after a join is exact.
        let sent = self.header.producer.tail.load(Ordering::Acquire);
        let received = self.header.consumer.head.load(Ordering::Acquire);
        MetricsSnapshot {
            messages_sent: sent,
            messages_received: received,
            batches_consumed: self.header.consumer.batches.get(),
            full_events: self.header.producer.full_events.get(),
        }
    }

    /// Drops every value still in the ring.
    ///
    /// # Safety
    /// No producer or consumer of the ring runs any more (the ring is being
    /// dropped), RB-DROP-1.
    pub(crate) unsafe fn drop_remaining(self) {
        // SAFETY: exclusivity is the caller's duty; it makes this call the
        // only consumer.
        unsafe { self.consume_up_to(usize::MAX, drop) };
    }
}

/// Stores the consumer's new `head` when a batch ends, also when the
/// handler unwinds (RB-PANIC-1).
struct Batch<'a, T> {
    ring: RingRef<'a, T>,
    head: u64,
    taken: usize,
}

impl<T> Drop for Batch<'_, T> {
    #[inline]
    fn drop(&mut self) {
        let header = self.ring.header;
        // Release: the reads of the consumed slots happen before the
        // producer reuses them; pairs with the Acquire load of `head` in
        // `free_slots` (RB-ORD-2).
        header
            .consumer
            .head
            .store(self.head + self.taken as u64, Ordering::Release);
        if header.metrics {
            header.consumer.batches.bump();
        }
    }
}

/// A header and its storage; drops what is left in the ring when dropped.
pub(crate) struct RingCore<T, S: Storage<T>> {
    header: RingHeader,
    storage: S,
    _owns: PhantomData<T>,
}

impl<T> RingCore<T, HeapStorage<T>> {
    pub(crate) fn new_heap(capacity: usize, metrics: bool) -> Self {
        RingCore {
            header: RingHeader::new(capacity, metrics),
            storage: HeapStorage::new(capacity),
            _owns: PhantomData,
        }
    }
}

#[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
impl<T, const N: usize> RingCore<T, InlineStorage<T, N>> {
    const_unless_loom! {
        pub(crate) fn new_inline(metrics: bool) -> Self {
            RingCore { header: RingHeader::new(N, metrics), storage: InlineStorage::new(), _owns: PhantomData }
        }
    }
}

impl<T, const N: usize> RingCore<T, InlineStorage<T, N>> {
    /// Initialises a ring in place, for rings too large to build on the stack.
    ///
    /// # Safety
    /// `core` must be valid for writes and properly aligned.
    #[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
    pub(crate) unsafe fn init_inline_in_place(core: *mut Self, metrics: bool) {
        #[allow(clippy::let_unit_value)]
        let () = InlineStorage::<T, N>::VALID;
        // SAFETY: the caller guarantees `core` is writable and aligned. The
        // storage needs no write: its slots are `MaybeUninit`.
        unsafe { std::ptr::addr_of_mut!((*core).header).write(RingHeader::new(N, metrics)) };
    }
}

impl<T, const N: usize> RingCore<T, InlineStorage<T, N>> {
    /// Completes a ring whose bytes were all zeroed (FIX-1): zero is an
    /// empty, open ring except for the capacity, mask and metrics switch.
    #[cfg(not(loom))]
    pub(crate) fn finish_zeroed_init(&mut self, metrics: bool) {
        #[allow(clippy::let_unit_value)]
        let () = InlineStorage::<T, N>::VALID;
        self.header.capacity = N as u64;
        self.header.mask = N as u64 - 1;
        self.header.metrics = metrics;
    }
}

impl<T, S: Storage<T>> RingCore<T, S> {
    #[inline]
    pub(crate) fn ring(&self) -> RingRef<'_, T> {
        // SAFETY: STORAGE-1: `storage` lives as long as `&self` and holds
        // `header.capacity` slots (both built from the same capacity).
        unsafe { RingRef::from_raw(&self.header, self.storage.slots()) }
    }
}

impl<T, S: Storage<T>> Drop for RingCore<T, S> {
    fn drop(&mut self) {
        // SAFETY: RB-DROP-1: `&mut self` proves no producer or consumer runs.
        unsafe { self.ring().drop_remaining() };
    }
}

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

/// SPSC ring with a heap buffer of `2^ring_bits` slots.
///
/// ```
/// use ringmpsc::{Config, Ring};
///
/// let mut ring = Ring::new(Config::new(4, 1, false)).unwrap(); // 16 slots
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
/// A capacity that is not a power of two does not compile:
///
/// ```compile_fail
/// let ring = ringmpsc::StackRing::<u32, 6>::new();
/// ```
#[cfg(feature = "stack-ring")]
pub type StackRing<T, const N: usize> = RingBuffer<T, InlineStorage<T, N>>;

impl<T> RingBuffer<T, HeapStorage<T>> {
    /// A ring of `config.capacity()` slots. Only `ring_bits` and
    /// `enable_metrics` matter to a lone ring, but the whole config is
    /// validated.
    ///
    /// # Errors
    /// [`ConfigError`] if a field is out of range.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(RingBuffer {
            core: RingCore::new_heap(config.capacity(), config.enable_metrics),
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
        unsafe { self.ring().push(&self.producer, value) }
    }

    /// Reserves up to `n` contiguous slots for zero-copy writes. Fewer than
    /// `n` come back at the wrap point (loop until done); `None` when the
    /// ring is full or closed, or `n == 0`.
    ///
    /// See [`Reservation`] for the ways to fill and publish the slots.
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        let ring = self.core.ring();
        // SAFETY: RB-UNIQ-1: `&mut self` makes this the only producer, and
        // the reservation keeps that borrow until it is committed or dropped.
        let (first, len) = unsafe { ring.reserve(&self.producer, n) }?;
        // SAFETY: RESV-1: `first..first+len` was just reserved on `ring` by
        // the producer whose cursor is passed along.
        Some(unsafe { Reservation::new(ring, &self.producer, first, len, None) })
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
    /// use ringmpsc::{Config, Ring};
    ///
    /// let mut ring = Ring::new(Config::new(6, 1, false)).unwrap();
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
            RingProducer {
                ring,
                cursor: &mut self.producer,
            },
            RingConsumer { ring },
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
#[cfg(feature = "stack-ring")]
pub struct StaticRing<T, const N: usize> {
    core: RingCore<T, InlineStorage<T, N>>,
    producer: std::cell::UnsafeCell<ProducerCursor>,
    split: AtomicBool,
}

// SAFETY: RB-UNIQ-1: through `&self` the ring only hands out its halves,
// once (guarded by the atomic `split` flag); the halves carry the ring's
// single-producer/single-consumer protocol. Values cross threads: `T: Send`.
#[cfg(feature = "stack-ring")]
unsafe impl<T: Send, const N: usize> Sync for StaticRing<T, N> {}

#[cfg(feature = "stack-ring")]
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
        Some((RingProducer { ring, cursor }, RingConsumer { ring }))
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

#[cfg(feature = "stack-ring")]
impl<T, const N: usize> Default for StaticRing<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize> fmt::Debug for StaticRing<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticRing")
            .field("capacity", &N)
            .field("len", &self.len())
            .finish()
    }
}

/// The producer half of a [`split`](RingBuffer::split) ring.
pub struct RingProducer<'a, T> {
    ring: RingRef<'a, T>,
    cursor: &'a mut ProducerCursor,
}

// SAFETY: RB-UNIQ-1: the half is the ring's only producer (it holds the
// ring's `&mut` borrow); moving it moves that role to another thread, which
// is sound when the values may move (`T: Send`).
unsafe impl<T: Send> Send for RingProducer<'_, T> {}

impl<'a, T> RingProducer<'a, T> {
    /// Appends `value`; on a full or closed ring the value comes back.
    ///
    /// # Errors
    /// [`PushError::Full`] or [`PushError::Closed`], holding `value`.
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        // SAFETY: RB-UNIQ-1: this half is the only producer and is `!Sync`.
        unsafe { self.ring.push(self.cursor, value) }
    }

    /// Reserves up to `n` contiguous slots; see [`RingBuffer::reserve`].
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        // SAFETY: RB-UNIQ-1: `&mut self` of the only producer half.
        let (first, len) = unsafe { self.ring.reserve(self.cursor, n) }?;
        // SAFETY: RESV-1: the slots were just reserved with this cursor.
        Some(unsafe { Reservation::new(self.ring, self.cursor, first, len, None) })
    }
}

impl<T> fmt::Debug for RingProducer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingProducer")
            .field("capacity", &self.ring.capacity())
            .finish()
    }
}

/// The consumer half of a [`split`](RingBuffer::split) ring.
pub struct RingConsumer<'a, T> {
    ring: RingRef<'a, T>,
}

// SAFETY: RB-UNIQ-1: the half is the ring's only consumer; its consuming
// methods take `&mut self`, so moving it moves that role with it.
unsafe impl<T: Send> Send for RingConsumer<'_, T> {}

impl<T> RingConsumer<'_, T> {
    /// Consumes every value present by reference; returns the count.
    pub fn consume_batch<F: FnMut(&T)>(&mut self, mut f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, |v| f(&v))
    }

    /// Consumes every value present by value; returns the count.
    pub fn consume_batch_owned<F: FnMut(T)>(&mut self, f: F) -> usize {
        self.consume_up_to_owned(usize::MAX, f)
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
}

impl<T> fmt::Debug for RingConsumer<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingConsumer").field("len", &self.len()).finish()
    }
}
