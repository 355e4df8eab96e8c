//! The SPSC ring algorithm, written once for every storage. Every `unsafe`
//! operation on slots lives in this file and in `reservation.rs`.
//!
//! A ring is a power-of-two array of slots plus two unbounded `u64`
//! sequence numbers: `tail` (next slot the producer writes, written only by
//! the producer) and `head` (next slot the consumer reads, written only by
//! the consumer). Slots `[head, tail)` hold initialised values owned by the
//! consumer; slots `[tail, head + capacity)` are free and owned by the
//! producer. Invariant IDs (`RB-*`) refer to `specs/ring-buffer-invariants.md`.
//!
//! [`RingRef`] is the algorithm: a header plus the slots, borrowed, no
//! storage type. [`RingCore`] owns a header and a [`Storage`]. [`RawRing`]
//! is a `RingRef` without its lifetime, for owners (the channel) that keep
//! the ring alive by other means (CH-LIFE-1).

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crossbeam_utils::CachePadded;

use super::reservation::{AfterPublish, Reservation};
use super::storage::{HeapStorage, InlineStorage, Slot, Storage};
use crate::error::PushError;
use crate::metrics::{Counter, MetricsSnapshot};
use crate::sync::{self, barrier, AtomicBool, AtomicU64, AtomicU8, Ordering};
use crate::wait::{CLOSING, FENCE};

/// Declares a `const fn`, or a plain `fn` under loom, whose atomics and
/// cells are not const-constructible.
macro_rules! const_unless_loom {
    ($(#[$m:meta])* $vis:vis fn $name:ident $($rest:tt)*) => {
        #[cfg(not(loom))]
        $(#[$m])* $vis const fn $name $($rest)*
        #[cfg(loom)]
        $(#[$m])* $vis fn $name $($rest)*
    };
}
#[cfg_attr(not(feature = "stack-ring"), allow(unused_imports))]
pub(crate) use const_unless_loom;

/// The consumer's cache line: only the consumer writes it.
#[derive(Debug)]
struct ConsumerLine {
    head: AtomicU64,
    batches: Counter,
    /// Sequences of window skips that `head` has passed, for the metrics.
    skipped: Counter,
}

/// The producer's published line: only the producer writes it; the
/// consumer reads `tail` on every poll, and `gap` when its `head` is at a
/// window's end.
#[derive(Debug)]
struct ProducerLine {
    tail: AtomicU64,
    /// The last window skip (RB-WIN-1): its first skipped sequence plus
    /// one, 0 before the first; the skip runs to the end of that lap.
    /// Stored before the `tail` that publishes past it, on the same line,
    /// so a consumer that has just loaded that `tail` most likely finds it
    /// in the same cache line.
    gap: AtomicU64,
    full_events: Counter,
    /// Sequences skipped by window skips, for the metrics.
    skipped: Counter,
}

/// The close flag and the cut (CH-CLOSE-1): written once each, by the
/// closer; a reservation's commit reads `closed` after publishing (a
/// channel push only once its signal says [`CLOSING`]) and the consumer
/// before every non-empty batch, so the line stays shared in both caches.
#[derive(Debug)]
struct CloseLine {
    /// Set once, by the closer.
    closed: AtomicBool,
    /// The cut plus one, 0 while unknown: once `closed` is set, the
    /// consumer reads only sequences below the cut, and a publish that
    /// reaches past it is withdrawn by its producer. The closer stores the
    /// `tail` it loads right after its heavy barrier.
    cut: AtomicU64,
}

/// The shared, storage-independent part of a ring: its two sequence
/// numbers, the close flag and the counters. The capacity is the length of
/// the slot slice, never stored twice.
///
/// RB-LAYOUT-1: `head` and `tail` each sit on their own 128-byte line
/// (`CachePadded`), so neither side's writes evict the other side's line.
///
/// FIX-1: **the all-zero bytes must stay a valid header** — an empty, open
/// ring with metrics off. `channel!` channels and inline channels zero their
/// ring block in place instead of building it on the stack. Every field is
/// an integer, a `bool` or an atomic of them; a field whose zero is not its
/// initial value (a pointer, a `NonZero`, a flag that starts `true`) breaks
/// that, and the test `zeroed_header_is_a_new_header` with it.
#[derive(Debug)]
pub(crate) struct RingHeader {
    consumer: CachePadded<ConsumerLine>,
    producer: CachePadded<ProducerLine>,
    close: CachePadded<CloseLine>,
    metrics: bool,
}

impl RingHeader {
    const_unless_loom! {
        pub(crate) fn new(metrics: bool) -> Self {
            RingHeader {
                consumer: CachePadded::new(ConsumerLine {
                    head: AtomicU64::new(0),
                    batches: Counter::new(),
                    skipped: Counter::new(),
                }),
                producer: CachePadded::new(ProducerLine {
                    tail: AtomicU64::new(0),
                    gap: AtomicU64::new(0),
                    full_events: Counter::new(),
                    skipped: Counter::new(),
                }),
                close: CachePadded::new(CloseLine { closed: AtomicBool::new(false), cut: AtomicU64::new(0) }),
                metrics,
            }
        }
    }
}

impl RingHeader {
    /// Closes a lone ring, whose owner closes it while none of its pushes
    /// or reservations runs (RB-CLOSE-1): later publishes fail, and the
    /// values in the ring stay readable.
    pub(crate) fn close(&self) {
        self.raise();
        self.cut_here();
    }

    /// Raises the close flag: a publish that sees it is withdrawn unless
    /// the cut covers it.
    fn raise(&self) {
        // Relaxed: ordered against the producers' and the consumer's loads
        // by the barrier pair in `close_and_cut` / `publish_unless_closed` /
        // `begin_batch` (CH-CLOSE-1).
        self.close.closed.store(true, Ordering::Relaxed);
    }

    /// Sets the cut at the `tail` published now.
    fn cut_here(&self) {
        // Acquire: pairs with the Release store of `tail` in `publish`; the
        // slots below the cut are initialised.
        let tail = self.producer.tail.load(Ordering::Acquire);
        // Release: pairs with the Acquire load in `known_cut`, so whoever learns
        // the cut also sees the slots below it.
        self.close.cut.store(tail + 1, Ordering::Release);
    }

    /// The cut, once the closer has stored it.
    fn known_cut(&self) -> Option<u64> {
        // Acquire: pairs with the Release store in `cut_here`.
        self.close.cut.load(Ordering::Acquire).checked_sub(1)
    }

    /// The cut of a closed ring, waiting out the moment between the
    /// closer's `closed` store and its cut (the closer runs no user code
    /// there).
    fn cut(&self) -> u64 {
        loop {
            match self.known_cut() {
                Some(cut) => return cut,
                None => crate::sync::yield_now(),
            }
        }
    }

    #[inline]
    pub(crate) fn is_closed(&self) -> bool {
        // Relaxed: a snapshot; the close protocol does not rely on it.
        self.close.closed.load(Ordering::Relaxed)
    }

    /// Values the consumer can still read, in a ring of `capacity` slots:
    /// a snapshot.
    pub(crate) fn len(&self, capacity: usize) -> usize {
        self.look(capacity, capacity as u64).len
    }

    /// A slipping consumer's look at a ring of `capacity` slots and a
    /// window of `window` (WAIT-5): a snapshot.
    pub(crate) fn look(&self, capacity: usize, window: u64) -> Look {
        // Load `head` first: it only grows, and never past the `tail` loaded
        // after it, so the difference cannot underflow.
        // Acquire: pairs with the consumer's Release store of `head`.
        let head = self.consumer.head.load(Ordering::Acquire);
        // Acquire: pairs with the producer's Release store of `tail`.
        let tail = self.producer.tail.load(Ordering::Acquire);
        // An empty ring, the usual case among many: a cut only lowers the
        // end, so its line is not read.
        if tail <= head {
            return Look::default();
        }
        // A publish past the cut is being withdrawn and will not be read.
        let end = self.known_cut().map_or(tail, |cut| tail.min(cut));
        if end <= head {
            return Look::default();
        }
        let skipped = self.gap_within(head, end, capacity as u64).map_or(0, Gap::len);
        // A reader other than the consumer may hold a `head` from before
        // an earlier skip: a stale snapshot, never more than the capacity.
        let len = (end.saturating_sub(head).saturating_sub(skipped) as usize).min(capacity);
        Look {
            len,
            // As `await_drain` decides: a producer waits only for a ring
            // holding less than a window.
            near_window_end: (len as u64) < window && near_window_end(end, window, capacity as u64),
        }
    }

    /// The window skip that starts in `[head, end)`, if any (RB-WIN-1):
    /// at most one can, since a producer skips only when the ring is
    /// empty. `end` is a `tail` or cut loaded with Acquire; a skip starts
    /// below it only if that `tail` published past the skip.
    #[inline]
    fn gap_within(&self, head: u64, end: u64, capacity: u64) -> Option<Gap> {
        // Relaxed: stored before the Release store of every `tail` past the
        // skip, which the caller's Acquire load of `end` saw. A later
        // skip's record, seen early, starts at or after `end`.
        let start = self.producer.gap.load(Ordering::Relaxed).checked_sub(1)?;
        if start < head || start >= end {
            return None;
        }
        Some(Gap::from(start, capacity))
    }
}

/// Skipped sequences `[start, end)`: the rest of a lap that a producer
/// left empty (RB-WIN-1). No slot of theirs holds a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Gap {
    start: u64,
    end: u64,
}

impl Gap {
    /// The skip from `start` to the end of its lap.
    fn from(start: u64, capacity: u64) -> Self {
        Gap {
            start,
            end: (start | (capacity - 1)) + 1,
        }
    }

    fn len(self) -> u64 {
        self.end - self.start
    }
}

/// Closes every ring of `headers` (CH-CLOSE-1): afterwards no publish can
/// succeed, and every value whose push or commit reported success is below
/// its ring's cut, where the consumer reads it. Never waits for a producer.
/// The consumer's side of the close handshake. `signal` is the channel's
/// (`Notifier::signal`): [`CLOSING`] is raised in it first, so producers
/// that publish through [`RingRef::push_signalled`] look at `closed`.
pub(crate) fn close_and_cut<'a>(signal: &AtomicU8, headers: impl Iterator<Item = &'a RingHeader> + Clone) {
    // Relaxed: ordered before the producers' loads by the heavy barrier
    // below, as the `closed` stores are.
    signal.fetch_or(CLOSING, Ordering::Relaxed);
    headers.clone().for_each(RingHeader::raise);
    // Heavy barrier: pairs with the light barrier in
    // `publish_unless_closed` and `push_signalled`. A producer either sees
    // `closed` (and `CLOSING`) after its publish, or its `tail` store is
    // visible to the load in `cut_here`.
    // It also pairs with the light barrier in `begin_batch`: a consumer
    // either sees `closed`, or the `tail` it loaded is at most the cut.
    barrier::heavy();
    headers.for_each(RingHeader::cut_here);
}

/// The producer's private view of its ring: its own `tail` and how far it
/// may write without looking at the consumer (`limit`: the room the last
/// `head` it loaded leaves, the disruptor's "sequence clear of consumers",
/// or the next window boundary if that comes first, RB-WIN-1), so it
/// touches the consumer's line only when the ring looks full or a lap's
/// window ends, and its fast path checks both with one comparison.
/// `Cell`s: a producer handle is `!Sync`. RB-SEQ-1 keeps `tail <= limit`.
#[derive(Debug)]
pub(crate) struct ProducerCursor {
    tail: Cell<u64>,
    limit: Cell<u64>,
    /// The light barrier of `publish_unless_closed`, read once: on the
    /// cursor's line, not a global load per publish.
    light_barrier: barrier::Light,
    /// Whether the ring's consumer may run on another thread while this
    /// producer pushes, so that waiting at a window's end for it to empty
    /// the ring can pay off (RB-WIN-1): a channel's producer, or a split
    /// ring's (from its first split on). A lone ring's own pushes come
    /// from the thread that also consumes (`Ring` is `!Sync`), which
    /// cannot drain while it waits: with a standing backlog under a
    /// window, pushing 100 and popping 90 at a time on one thread took
    /// 7.9 ns per value with the wait and 3.9 ns without.
    drained_elsewhere: Cell<bool>,
}

impl ProducerCursor {
    /// A cursor for a fresh lone ring. Its `limit` of 0 makes the first
    /// push load `head`, so it needs no capacity.
    pub(crate) const fn new() -> Self {
        ProducerCursor {
            tail: Cell::new(0),
            limit: Cell::new(0),
            light_barrier: barrier::Light::FENCE,
            drained_elsewhere: Cell::new(false),
        }
    }

    /// Its `tail` and cached `limit` (what [`lend`](Self::lend) hands out).
    #[inline(always)]
    pub(crate) fn position(&self) -> (u64, u64) {
        (self.tail.get(), self.limit.get())
    }

    /// Lends the cursor to a caller that keeps it in its registers over a
    /// run of pushes (`Burst`), which gives it back with
    /// [`give_back`](Self::give_back): returns its `tail` and cached
    /// `limit`, and leaves the `limit` at the `tail`. So a push through
    /// this cursor before it is given back, as after a lender that was
    /// leaked, finds no room below the limit and takes the slow path,
    /// which takes the published `tail` (RB-CUR-1, `make_room`).
    #[inline(always)]
    pub(crate) fn lend(&self) -> (u64, u64) {
        let (tail, limit) = self.position();
        self.limit.set(tail);
        (tail, limit)
    }

    /// Takes back a [`lent`](Self::lend) cursor at `tail`, the published
    /// `tail`, with the cached `limit` the lender kept (RB-CUR-1, RB-SEQ-1).
    #[inline(always)]
    pub(crate) fn give_back(&self, tail: u64, limit: u64) {
        debug_assert!(tail <= limit, "RB-SEQ-1");
        self.tail.set(tail);
        self.limit.set(limit);
    }

    /// Moves `tail` past a slot published with
    /// [`RingRef::publish_free`] (RB-SEQ-1: below the cached limit).
    #[inline(always)]
    pub(crate) fn advance_to(&self, tail: u64) {
        debug_assert!(tail <= self.limit.get(), "RB-SEQ-1");
        self.tail.set(tail);
    }

    /// The ring's consumer may from now on run on another thread while
    /// this cursor's producer pushes (see `drained_elsewhere`).
    pub(crate) fn drain_elsewhere(&self) {
        self.drained_elsewhere.set(true);
    }

    /// A cursor that takes over a ring from a previous producer (CH-REG-2).
    /// Its `limit` is its `tail`, so its first push looks at the consumer
    /// (and at a skip the previous producer left, RB-WIN-1).
    pub(crate) fn attach<T>(ring: RingRef<'_, T>) -> Self {
        // Acquire: pairs with the Release store of the previous producer's
        // tail, so the start value and the skip record below it are current.
        let tail = ring.header.producer.tail.load(Ordering::Acquire);
        ProducerCursor {
            tail: Cell::new(tail),
            limit: Cell::new(tail),
            light_barrier: barrier::Light::current(),
            drained_elsewhere: Cell::new(true),
        }
    }
}

/// Where a producer writes next: at its cursor's `tail` (`from`), or, after
/// a window skip, at the start of the next lap (`at > from`, RB-WIN-1).
/// Published by [`RingRef::publish`], which records the skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Next {
    from: u64,
    at: u64,
}

impl Next {
    /// No skip: the next slot is the one of `tail`.
    fn at_tail(tail: u64) -> Self {
        Next { from: tail, at: tail }
    }
}

/// The bytes of slots a ring keeps its producer to while its consumer
/// keeps up (RB-WIN-1): half of a 32 KiB L1 data cache, so a ring's
/// working set fits both cores' closest caches. On a 2-vCPU AMD EPYC
/// guest an ideal ring of 2048 `u64` slots ran single items 1.4× faster
/// than one of 16384 (one of 16384 slots using only its first 2048 at the
/// same speed as the small one), and 96-byte values 1.8× faster in 128
/// slots than in 4096 or 16384.
const WINDOW_BYTES: usize = 16 * 1024;

/// The window of a ring of `capacity` slots of `T`: the largest power of
/// two of slots in [`WINDOW_BYTES`], at most the capacity (then there is
/// no window). Under loom, half of any ring of 4 slots or more, so that
/// small models skip.
#[inline]
pub(crate) fn window<T>(capacity: u64) -> u64 {
    if cfg!(loom) {
        return if capacity >= 4 { capacity / 2 } else { capacity };
    }
    let size = std::mem::size_of::<T>();
    if size == 0 {
        return capacity;
    }
    let slots = (WINDOW_BYTES / size).max(1);
    // The largest power of two not above `slots`.
    let slots = 1u64 << (usize::BITS - 1 - slots.leading_zeros());
    slots.min(capacity)
}

/// Reservations of at least this many slots are not held to a window
/// (RB-WIN-1). A window pays for single values, whose producer and
/// consumer then work in lines that stay in their caches; its price is a
/// meeting at every window's end, where the producer waits for the
/// consumer to empty the ring. A producer of batches moves so many values
/// per `tail` store that the meeting costs more than the small ring saves:
/// batches of 64 `u64` ran 1.08× and 1.13× without it (`spsc_batch64`, 6
/// and 7 alternated rounds; with it, `perf` put about a tenth of the
/// producer's time in `await_drain`), and the ideal ring moved chunks of
/// 64 faster on 16384 slots than on 2048 (`limit_study`: 1310 against
/// 1148 M msg/s). Batches of 8, 16 and 32 ran 1.13–1.15× without it (the
/// same workload, 8 alternated rounds each); batches of 2 and 4 ran level
/// (0.98× and 1.04×, 15 rounds), so they keep the window.
const UNWINDOWED_FROM: u64 = 8;

/// The window a request for `wanted` slots of a ring of `capacity` slots
/// of `T` is held to: the ring's [`window`], or none (the capacity) for a
/// reservation of [`UNWINDOWED_FROM`] slots or more (RB-WIN-1).
#[inline]
fn window_for<T>(capacity: u64, wanted: u64) -> u64 {
    if wanted >= UNWINDOWED_FROM {
        capacity
    } else {
        window::<T>(capacity)
    }
}

/// Whether sequence `seq` is at the end of a window (RB-WIN-1): a multiple
/// of the window inside a lap, where a producer may skip the rest of the
/// lap and where a consumer may find a skip. Never in a ring without a
/// window.
#[inline]
fn at_window_end(seq: u64, window: u64, capacity: u64) -> bool {
    window < capacity && seq & (window - 1) == 0 && seq & (capacity - 1) != 0
}

/// How close to a window's end, in values, the queued values of a ring
/// must end for a slipping consumer to drain it at once (WAIT-5): at
/// most half a window. A consumer lags its producer by a few hundred
/// nanoseconds, and the producer must wait at the window's end for all of
/// that lag (RB-WIN-1); a consumer that stops letting a batch gather this
/// close to the end arrives with less left to read. On the host of
/// [`WINDOW_BYTES`], with the finer looks of [`await_drain`], the mean
/// wait at a window's end fell from 340 to 145 ns on single `u64` pushes,
/// from 530 to 355 ns with two producers, and from 450 to 220 ns (128
/// slots of 96 bytes) with four.
const NEAR_WINDOW_END: u64 = 64;

/// Whether sequence `seq` lies at a window's end or at most
/// [`NEAR_WINDOW_END`] values before it, and at most half a window
/// (RB-WIN-1, WAIT-5). Never in a ring without a window, nor before the
/// end of a lap, where no window ends.
#[inline]
fn near_window_end(seq: u64, window: u64, capacity: u64) -> bool {
    let to_end = seq.wrapping_neg() & (window - 1);
    let end = seq + to_end;
    window < capacity && to_end <= NEAR_WINDOW_END.min(window / 2) && end & (capacity - 1) != 0
}

/// A consumer's look at a ring while it lets a batch gather (WAIT-5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Look {
    /// Values queued: a snapshot.
    pub(crate) len: usize,
    /// Fewer values than a window are queued, ending at or a little before
    /// a window's end ([`NEAR_WINDOW_END`]): the producer is at or nearly
    /// at that end, where it waits for the consumer to empty the ring so
    /// that it can skip (RB-WIN-1), and a consumer that waits for more
    /// makes that wait longer.
    pub(crate) near_window_end: bool,
}

/// What the slow half of a producer's room check found: where it writes
/// next and how many slots from there are free.
#[derive(Debug, Clone, Copy)]
struct Room {
    next: Next,
    free: u64,
}

/// The slow half of the producer's room check, when its `limit` is
/// reached: loads `head`, decides a window skip at a window boundary
/// (RB-WIN-1), and sets the next `limit`. `wanted` slots are asked for;
/// a request longer than the window is not held to it. Out of line and
/// given scalars, so the fast path neither carries its code nor spills a
/// `RingRef` for the call.
#[cold]
#[inline(never)]
fn make_room(header: &RingHeader, capacity: u64, window: u64, cursor: &ProducerCursor, wanted: u64) -> Room {
    // RB-CUR-1: the published `tail` is the cursor's own, unless a burst
    // that was lent the cursor was leaked: its pushes moved only the
    // published one, and the `limit` it left sends every push here.
    // Relaxed: only this producer stores `tail`, so the load returns its
    // own last store.
    let tail = header.producer.tail.load(Ordering::Relaxed);
    debug_assert!(tail >= cursor.tail.get(), "RB-CUR-1");
    cursor.tail.set(tail);
    let mask = capacity - 1;
    // Acquire: pairs with the Release store of `head` in `Batch::drop`; the
    // consumer's reads of the slots we are about to reuse happen before our
    // writes (RB-ORD-2).
    let mut head = header.consumer.head.load(Ordering::Acquire);
    if at_window_end(tail, window, capacity) && wanted <= window {
        if cursor.drained_elsewhere.get() {
            head = await_drain(header, tail, head, window);
        }
        if head == tail {
            // RB-WIN-1: the ring is empty, so the rest of this lap holds
            // nothing and the consumer, at `tail`, reads nothing before it;
            // the next value goes to the start of the next lap. Room to the
            // next window's end: `head + capacity` covers it, since `tail`
            // is at least a window into its lap.
            let at = (tail | mask) + 1;
            let limit = at + window;
            debug_assert!(limit <= head + capacity, "RB-WIN-1");
            cursor.limit.set(limit);
            return Room {
                next: Next { from: tail, at },
                free: window,
            };
        }
    }
    // RB-WIN-1: while the consumer waits at the start of the last skip, the
    // skipped slots are free too: the producer may fill a whole capacity
    // of values past it.
    // Only a skip this ring's producers published past counts: a skip
    // whose publish a close withdrew left its record, not its gap.
    let skipped = header
        .gap_within(head, head + 1, capacity)
        .filter(|gap| tail > gap.end)
        .map_or(0, Gap::len);
    let room_end = head + capacity + skipped;
    // The next window's end after `tail`, where the next skip may come: the
    // next multiple of the window that is not the start of a lap.
    let boundary = if window < capacity {
        let next = (tail | (window - 1)) + 1;
        if next & mask == 0 {
            next + window
        } else {
            next
        }
    } else {
        u64::MAX
    };
    let limit = if boundary - tail >= wanted {
        room_end.min(boundary)
    } else {
        room_end
    };
    cursor.limit.set(limit);
    debug_assert!(tail <= limit, "RB-SEQ-1");
    Room {
        next: Next::at_tail(tail),
        free: limit - tail,
    }
}

/// A producer at a window boundary whose ring holds fewer values than the
/// window: waits a little for the consumer to empty it, so that it can
/// skip (RB-WIN-1), while the consumer keeps reading. Returns the last
/// `head` seen. A consumer that is parked, away on other rings, or
/// letting a batch gather makes no progress for a few looks: then no skip
/// this lap, and the producer goes on.
fn await_drain(header: &RingHeader, tail: u64, mut head: u64, window: u64) -> u64 {
    if cfg!(loom) || tail - head >= window {
        return head;
    }
    let mut idle_looks = 0;
    for _ in 0..DRAIN_LOOKS {
        if head == tail || idle_looks == DRAIN_IDLE_LOOKS {
            break;
        }
        (0..DRAIN_PAUSES).for_each(|_| sync::spin_hint());
        // Acquire: as the load in `make_room`.
        let now = header.consumer.head.load(Ordering::Acquire);
        idle_looks = if now == head { idle_looks + 1 } else { 0 };
        head = now;
    }
    head
}

/// Pauses between two looks of [`await_drain`] at the consumer's `head`:
/// the producer sees the ring empty at most two pauses late. With 8, and
/// the same patience, the mean wait at a window's end was some 100 to
/// 200 ns longer (see [`NEAR_WINDOW_END`]).
const DRAIN_PAUSES: u32 = 2;
/// The most looks of one [`await_drain`]: it spins at most some 512
/// pauses, a few microseconds, at a window's end.
const DRAIN_LOOKS: u32 = 256;
/// Looks in a row without progress after which [`await_drain`] gives up
/// (128 pauses): the consumer stores `head` once per batch, so a batch of
/// a window's values shows no progress until it ends. On the host of
/// [`WINDOW_BYTES`], a patience of 32 pauses let 1 lap in 5 of `mpsc_2p`
/// go without a skip in slow spells (0.73× its rate with 128); 128 skipped
/// at 99 % of the boundaries in every spell, and 512 pauses at most ran
/// as fast as 2048.
const DRAIN_IDLE_LOOKS: u32 = 64;

/// Whether a publish must guard against a close from another thread
/// (CH-CLOSE-1). A lone ring is closed only by its owner, never while a
/// push or reservation of it runs; a channel's ring is closed by the
/// consumer while producers publish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CloseGuard {
    /// No concurrent close: check `closed`, then publish.
    Unneeded,
    /// Publish, then check `closed` against the closer's cut.
    Needed,
}

/// The ring algorithm: a header and its slots, borrowed for `'a`.
///
/// Copyable and storage-independent. The `unsafe` methods are split by
/// side; their contract is RB-UNIQ-1: the caller is the ring's only producer
/// (resp. only consumer) for the duration of the call.
pub(crate) struct RingRef<'a, T> {
    header: &'a RingHeader,
    /// STORAGE-1: a non-empty power-of-two number of slots.
    slots: &'a [Slot<T>],
}

impl<T> Clone for RingRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RingRef<'_, T> {}

impl<'a, T> RingRef<'a, T> {
    /// The ring made of `header` and the slots of `storage` (STORAGE-1: a
    /// power of two of them, at least one).
    #[inline]
    pub(crate) fn new<S: Storage<T>>(header: &'a RingHeader, storage: &'a S) -> Self {
        RingRef {
            header,
            slots: storage.slots(),
        }
    }

    #[inline]
    pub(crate) fn capacity(self) -> usize {
        self.slots.len()
    }

    pub(crate) fn header(self) -> &'a RingHeader {
        self.header
    }

    /// The slot of sequence `seq` (RB-SEQ-2).
    #[inline]
    fn slot(self, seq: u64) -> &'a Slot<T> {
        // `len - 1` is the mask: STORAGE-1 makes `len` a power of two.
        let index = seq as usize & (self.slots.len() - 1);
        debug_assert!(index < self.slots.len(), "STORAGE-1");
        // SAFETY: STORAGE-1: `len` is a power of two, at least 1, so the
        // masked index is below it. (Checked, the index cost a test and a
        // branch for an empty slice on every push.)
        unsafe { self.slots.get_unchecked(index) }
    }

    /// Producer, after writing the slot of `tail`: once per cache line of
    /// slots (once per slot for slots of more than half a line), asks for
    /// the slot [`PREFETCH_AHEAD`] bytes further on, for writing, with
    /// [`prefetch_slot`](Self::prefetch_slot). The consumer read its lines
    /// a lap ago, so a store to them would wait for them to come back from
    /// the consumer's core; asked for early, they arrive while the pushes
    /// in between run. A hint (HINT-1): it touches no slot, so naming one
    /// the consumer owns is fine.
    ///
    /// Where that line lies past the end of a window, the producer may
    /// skip to the next lap's first slot there (RB-WIN-1), so it asks for
    /// the line it would write then too. Without it every lap of a ring
    /// kept to its window began with a cache line's worth of stores that
    /// waited: `spsc_single` (16384 slots, a window of 2048) ran 1.1× with
    /// it, about as fast as a ring of 2048 slots; `mpsc_2p` and `mpsc_4p`
    /// 1.03× and 1.05×.
    #[inline(always)]
    fn prefetch_ahead(self, tail: u64) {
        let size = std::mem::size_of::<T>();
        if size == 0 {
            return;
        }
        // Constants for each `T`: the test is a mask or a multiply.
        let slots_per_line = slots_per_line::<T>();
        let ahead = (PREFETCH_AHEAD / size).max(1) as u64;
        if tail.is_multiple_of(slots_per_line) {
            let target = tail + ahead;
            let capacity = self.slots.len() as u64;
            let window = window::<T>(capacity);
            if window < capacity && window > ahead && (target ^ tail) >= window {
                // `target` is in the next window: its offset there is the
                // slot's offset from the next lap's start.
                self.prefetch_slot(target & (window - 1));
            }
            self.prefetch_slot(target);
        }
    }

    /// Asks for the lines of the slot of `seq` for writing (HINT-1): its
    /// first, and where a slot may cross a line (its size does not divide
    /// a line, or its alignment does not keep it inside one), every later
    /// line up to its last byte, at most [`PREFETCH_AHEAD`] bytes of them.
    /// With only the first line asked for, a slot of 96 bytes whose buffer
    /// starts on a 32-byte boundary has every third line written cold:
    /// `mpsc_4p_96b` ran at 42 M msg/s against 64 to 70 for buffers at the
    /// other 8-byte offsets (an allocator's choice, a heap or an `mmap`),
    /// and at 60 to 71 at every offset with this.
    #[inline(always)]
    fn prefetch_slot(self, seq: u64) {
        let size = std::mem::size_of::<T>();
        let first = (self.slot(seq) as *const Slot<T>).cast::<u8>();
        sync::prefetch_write(first);
        // Constant for each `T`.
        let may_cross = !CACHE_LINE.is_multiple_of(size) || std::mem::align_of::<T>() < size;
        if may_cross {
            let span = size.min(PREFETCH_AHEAD);
            let mut offset = CACHE_LINE;
            while offset < span {
                sync::prefetch_write(first.wrapping_add(offset));
                offset += CACHE_LINE;
            }
            sync::prefetch_write(first.wrapping_add(span - 1));
        }
    }

    /// Where the producer writes next and how many slots are free from
    /// there; reloads `head` only when the cached `limit` says fewer than
    /// `wanted` are free (or a window boundary is reached, RB-WIN-1).
    #[inline]
    fn free_slots(self, cursor: &ProducerCursor, wanted: u64) -> Room {
        let tail = cursor.tail.get();
        let free = cursor.limit.get() - tail;
        if free < wanted {
            return self.make_room(cursor, wanted);
        }
        Room {
            next: Next::at_tail(tail),
            free,
        }
    }

    /// [`make_room`] for this ring.
    #[inline(always)]
    fn make_room(self, cursor: &ProducerCursor, wanted: u64) -> Room {
        let capacity = self.slots.len() as u64;
        make_room(
            self.header,
            capacity,
            window_for::<T>(capacity, wanted),
            cursor,
            wanted,
        )
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
    pub(crate) unsafe fn push(
        self,
        cursor: &ProducerCursor,
        value: T,
        guard: CloseGuard,
    ) -> Result<(), PushError<T>> {
        // SAFETY: RB-UNIQ-1 is the caller's duty.
        match unsafe { self.push_with(cursor, || value, guard) } {
            Ok(()) => Ok(()),
            Err(Unpushed::Full(make)) => Err(self.full_or_closed(make())),
            Err(Unpushed::Closed(value)) => Err(PushError::Closed(value)),
        }
    }

    /// Producer: writes the value `make` builds into the next slot if one
    /// is free (the slot of `tail`, or after a window skip the first of
    /// the next lap, RB-WIN-1), and returns where, unpublished; gives
    /// `make` back (not called) when the ring is full. The first half of
    /// every single-value push.
    ///
    /// One load of the cursor's `tail` for the whole push: the slot store
    /// could alias the cursor as far as the compiler knows, so a second
    /// load would be a reload after it.
    ///
    /// # Safety
    /// RB-UNIQ-1, as for [`push`](Self::push).
    #[inline(always)]
    unsafe fn write_next<F: FnOnce() -> T>(self, cursor: &ProducerCursor, make: F) -> Result<Next, F> {
        let tail = cursor.tail.get();
        let mut next = Next::at_tail(tail);
        if cursor.limit.get() == tail {
            let room = self.make_room(cursor, 1);
            if room.free == 0 {
                return Err(make);
            }
            next = room.next;
        }
        // SAFETY: RB-OWN-1: at least one slot is free from `next.at`
        // (RB-WIN-1 after a skip), so it belongs to the producer.
        unsafe { self.write_free(next.at, make) };
        Ok(next)
    }

    /// Producer: writes the value `make` builds into the slot of `at`, then
    /// asks for the line ahead ([`prefetch_ahead`](Self::prefetch_ahead)).
    ///
    /// # Safety
    /// RB-UNIQ-1, and RB-OWN-1: the slot of `at` is free, so it belongs to
    /// the producer and the consumer does not read it.
    #[inline(always)]
    unsafe fn write_free<F: FnOnce() -> T>(self, at: u64, make: F) {
        self.slot(at).with_mut(|slot| {
            // SAFETY: RB-OWN-1, the caller's duty: the slot is the
            // producer's.
            unsafe { slot.write(MaybeUninit::new(make())) }
        });
        self.prefetch_ahead(at);
    }

    /// Producer: appends the value `make` builds once a slot is known to
    /// be free, so that it can be built in the slot; `make` is not called
    /// when the ring is full.
    ///
    /// # Safety
    /// RB-UNIQ-1: the caller is this ring's only producer and `cursor` is
    /// its cursor.
    #[inline(always)]
    pub(crate) unsafe fn push_with<F: FnOnce() -> T>(
        self,
        cursor: &ProducerCursor,
        make: F,
        guard: CloseGuard,
    ) -> Result<(), Unpushed<F, T>> {
        // SAFETY: RB-UNIQ-1 is the caller's duty.
        let next = unsafe { self.write_next(cursor, make) }.map_err(Unpushed::Full)?;
        // SAFETY: RB-UNIQ-1 is the caller's duty; the slot of `next` was
        // just written (RB-PUB-1).
        if unsafe { self.publish_unless_closed(cursor, next, 1, guard) } {
            return Ok(());
        }
        // SAFETY: RB-OWN-1: the publish was withdrawn, so the slot of `next`
        // is the producer's again and holds the value written above, which
        // the consumer never read (CH-CLOSE-1).
        let value = self
            .slot(next.at)
            .with(|slot| unsafe { slot.read().assume_init() });
        Err(Unpushed::Closed(value))
    }

    /// Producer of a channel's ring: [`push_with`](Self::push_with) with
    /// `CloseGuard::Needed`, its close check folded into the load of the
    /// channel's `signal` that the wake check makes anyway (WAIT-1): after
    /// the publish and the light barrier, one load of `signal`, returned
    /// as [`Published`]. Only when it holds [`CLOSING`] must the caller
    /// look at the ring's `closed` flag, with
    /// [`settle_closing`](Self::settle_closing), which may withdraw the
    /// publish. `signal` is asked for after the slot write: a pointer held
    /// in a register across it was spilled to the stack on every push.
    ///
    /// CH-CLOSE-1 holds as for `Needed`: a closer raises `CLOSING` before
    /// its heavy barrier, as it raises `closed`, so in the barriers' total
    /// order either its cut covers this publish, or this load sees
    /// `CLOSING` and the `closed` load after it sees `closed`.
    ///
    /// # Safety
    /// RB-UNIQ-1, as for [`push`](Self::push); `signal` is the one every
    /// closer of this ring passes to [`close_and_cut`], and holds
    /// [`FENCE`] unless the light side is a compiler fence; a
    /// [`Published`] that is not zero is [`ordered`](Published::ordered),
    /// and settled if [`closing`](Published::closing), before the
    /// producer publishes again.
    #[inline(always)]
    pub(crate) unsafe fn push_signalled<F: FnOnce() -> T>(
        self,
        cursor: &ProducerCursor,
        make: F,
        signal: impl FnOnce() -> &'a AtomicU8,
    ) -> Result<Published, Unpushed<F, T>> {
        let tail = cursor.tail.get();
        if cursor.limit.get() == tail {
            // SAFETY: RB-UNIQ-1 is the caller's duty.
            return unsafe { Self::push_signalled_past_limit(self.header, self.slots, cursor, make, signal) };
        }
        // Below the cached limit the slot of `tail` is free and no skip
        // comes first (RB-WIN-1 skips only in `make_room`), so the fast path
        // carries no skip test: the slow path publishes on its own.
        // SAFETY: RB-UNIQ-1 is the caller's duty; RB-OWN-1: `tail < limit
        // <= head + capacity`, so the slot of `tail` is free.
        let published = unsafe { self.publish_free(tail, make, signal) };
        cursor.advance_to(tail + 1);
        Ok(published)
    }

    /// The fast path of [`push_signalled`](Self::push_signalled), for a
    /// caller that keeps the cursor itself (`Burst`, whose `tail` lives in
    /// the caller's registers): writes the value `make` builds into the
    /// slot of `tail`, publishes it, and loads `signal` after the light
    /// barrier. The caller's cursor moves to `tail + 1`.
    ///
    /// # Safety
    /// RB-UNIQ-1, as for [`push`](Self::push); RB-OWN-1: the slot of
    /// `tail` is free (`tail` is below the cursor's cached limit) and no
    /// window skip comes first (RB-WIN-1 skips only in `make_room`);
    /// `signal` as for `push_signalled`.
    #[inline(always)]
    pub(crate) unsafe fn publish_free<F: FnOnce() -> T>(
        self,
        tail: u64,
        make: F,
        signal: impl FnOnce() -> &'a AtomicU8,
    ) -> Published {
        // SAFETY: RB-OWN-1, the caller's duty: the slot of `tail` is free.
        unsafe { self.write_free(tail, make) };
        // Release: publishes the slot write; pairs with the Acquire load of
        // `tail` in `begin_batch` and `len` (RB-ORD-1), and in
        // `RingHeader::cut_here` (CH-CLOSE-1).
        self.header.producer.tail.store(tail + 1, Ordering::Release);
        // The light side, then the load (BAR-1): orders the `tail` store
        // before the `signal` load; pairs with the heavy barrier in
        // `close_and_cut` (CH-CLOSE-1) and with the one a parking consumer
        // issues after arming (WAIT-1). Where the light side is a fence
        // the byte holds `FENCE`, and `Published::ordered` fences.
        Published(barrier::load_after_publish(signal()))
    }

    /// [`push_signalled`](Self::push_signalled) at the cached limit: looks
    /// for room (perhaps past a window skip, RB-WIN-1), then writes and
    /// publishes as the fast path does. Out of line: it runs once per
    /// refill of the cached limit. Given the ring's parts, not a
    /// `RingRef`: three words passed by reference made the fast path store
    /// a copy of the ring on the stack on every push.
    ///
    /// # Safety
    /// As for [`push_signalled`](Self::push_signalled).
    #[cold]
    #[inline(never)]
    unsafe fn push_signalled_past_limit<F: FnOnce() -> T>(
        header: &'a RingHeader,
        slots: &'a [Slot<T>],
        cursor: &ProducerCursor,
        make: F,
        signal: impl FnOnce() -> &'a AtomicU8,
    ) -> Result<Published, Unpushed<F, T>> {
        let ring = RingRef { header, slots };
        // SAFETY: RB-UNIQ-1 is the caller's duty.
        let next = unsafe { ring.write_next(cursor, make) }.map_err(Unpushed::Full)?;
        // SAFETY: RB-UNIQ-1 is the caller's duty; the slot of `next` was
        // just written (RB-PUB-1).
        unsafe { ring.publish(cursor, next, 1) };
        // BAR-1, as in `push_signalled`.
        Ok(Published(barrier::load_after_publish(signal())))
    }

    /// Producer, right after a [`push_signalled`](Self::push_signalled)
    /// whose [`Published`] is [`closing`](Published::closing): the publish
    /// stands if its ring is not closed or the cut covers it (`None`);
    /// else it is withdrawn and its value comes back. Cold and separate
    /// from the push, so the push keeps no ring pointer live across a call.
    ///
    /// # Safety
    /// RB-UNIQ-1; this producer has published nothing since that push.
    #[cold]
    #[inline(never)]
    pub(crate) unsafe fn settle_closing(self, cursor: &ProducerCursor) -> Option<T> {
        // Relaxed: the push's light barrier orders it (see `close_and_cut`).
        if !self.header.close.closed.load(Ordering::Relaxed) {
            return None;
        }
        // The push published exactly the slot before the cursor's `tail`,
        // after a skip if the last one recorded ends there (RB-WIN-1): a
        // skip's first value is published once, by the push that made it.
        let at = cursor.tail.get() - 1;
        let capacity = self.slots.len() as u64;
        // Relaxed: this producer's own record, or one `attach` acquired.
        let from = match self.header.producer.gap.load(Ordering::Relaxed).checked_sub(1) {
            Some(start) if Gap::from(start, capacity).end == at => start,
            _ => at,
        };
        let next = Next { from, at };
        if self.withdraw_past_cut(cursor, next, 1) {
            return None;
        }
        // SAFETY: RB-OWN-1: the publish was withdrawn, so the slot of `at`
        // is the producer's again and holds the value the push wrote, which
        // the consumer never read (CH-CLOSE-1).
        Some(self.slot(at).with(|slot| unsafe { slot.read().assume_init() }))
    }

    /// Why a push found no free slot.
    #[cold]
    pub(crate) fn full_or_closed(self, value: T) -> PushError<T> {
        if self.is_closed() {
            return PushError::Closed(value);
        }
        self.note_full();
        PushError::Full(value)
    }

    /// Producer: publishes the `count` slots from `next` unless the ring
    /// is closed (CH-CLOSE-1). On `false` nothing is published and the
    /// `count` written values are the caller's again.
    ///
    /// A lone ring checks `closed` first. A channel's ring publishes first
    /// and checks after, so an open ring pays one load and no store for
    /// its close guarantee; a publish that sees `closed` is withdrawn
    /// unless the closer's cut covers it.
    ///
    /// # Safety
    /// RB-UNIQ-1, and RB-PUB-1: the next `count` slots were reserved and
    /// are initialised (as for [`publish`](Self::publish)).
    #[inline]
    pub(crate) unsafe fn publish_unless_closed(
        self,
        cursor: &ProducerCursor,
        next: Next,
        count: usize,
        guard: CloseGuard,
    ) -> bool {
        let closed = &self.header.close.closed;
        if guard == CloseGuard::Unneeded {
            // Relaxed: the owner's own earlier `close`, if any.
            if closed.load(Ordering::Relaxed) {
                return false;
            }
            // SAFETY: RB-UNIQ-1 and RB-PUB-1, the caller's duty.
            unsafe { self.publish(cursor, next, count) };
            return true;
        }
        // SAFETY: RB-UNIQ-1 and RB-PUB-1, the caller's duty.
        unsafe { self.publish(cursor, next, count) };
        // Light barrier: orders the `tail` store before the `closed` load;
        // pairs with the heavy barrier in `close_and_cut`. A compiler fence
        // where a process-wide barrier exists.
        cursor.light_barrier.issue();
        // Relaxed: the barrier pair orders it (see `close_and_cut`).
        if !closed.load(Ordering::Relaxed) {
            return true;
        }
        self.withdraw_past_cut(cursor, next, count)
    }

    /// A publish of `count` slots from `next` saw `closed`: it stands if the
    /// cut covers it, else it is withdrawn (`false`).
    #[cold]
    fn withdraw_past_cut(self, cursor: &ProducerCursor, next: Next, count: usize) -> bool {
        let cut = self.header.cut();
        if next.at + count as u64 <= cut {
            // The closer loaded our `tail`: the consumer will read these.
            return true;
        }
        // The closer's load came before our one `tail` store, and every
        // publish still counted in our `tail` stood, so the cut is exactly
        // the `tail` before this publish (before its skip, if it made one).
        debug_assert_eq!(cut, next.from, "CH-CLOSE-1");
        // Once it has seen `closed` the consumer reads only below the cut,
        // and before that only below a `tail` the cut covers, so these slots
        // are ours again. A skip's record stays, below `tail` no more, so
        // no reader counts its gap (RB-WIN-1). Release: as any `tail`
        // store; nothing new is in it.
        self.header.producer.tail.store(next.from, Ordering::Release);
        cursor.tail.set(next.from);
        false
    }

    /// Producer: up to `wanted` free slots contiguous from `tail` (fewer at
    /// the wrap point), as a [`Reservation`]; `after_publish` runs when it
    /// is committed.
    ///
    /// # Safety
    /// RB-UNIQ-1, as for [`push`](Self::push), for as long as the
    /// reservation lives.
    #[inline]
    pub(crate) unsafe fn reserve(
        self,
        cursor: &'a ProducerCursor,
        wanted: usize,
        after_publish: Option<&'a dyn AfterPublish>,
        guard: CloseGuard,
    ) -> Option<Reservation<'a, T>> {
        if self.is_closed() {
            return None;
        }
        let capacity = self.slots.len();
        // Zero slots always fit: an empty reservation.
        let (next, len) = if wanted == 0 {
            (Next::at_tail(cursor.tail.get()), 0)
        } else {
            let wanted = wanted.min(capacity) as u64;
            let room = self.free_slots(cursor, wanted);
            if room.free == 0 {
                self.note_full();
                return None;
            }
            let index = room.next.at as usize & (capacity - 1);
            (room.next, (wanted.min(room.free) as usize).min(capacity - index))
        };
        let index = next.at as usize & (capacity - 1);
        // SAFETY: RESV-1: `index..index + len` are free slots from `next`
        // (RB-OWN-1, RB-WIN-1) that do not cross the wrap point (RB-SEQ-2);
        // the caller keeps this the only producer while the reservation
        // lives.
        Some(unsafe {
            Reservation::new(
                self,
                cursor,
                next,
                &self.slots[index..index + len],
                after_publish,
                guard,
            )
        })
    }

    /// Producer: publishes the `count` slots from `next` (the cursor's
    /// `tail`, passed in so a push loads it once, or after a window skip
    /// the start of the next lap, whose skip it records first, RB-WIN-1);
    /// see [`publish_unless_closed`](Self::publish_unless_closed) for
    /// close.
    ///
    /// # Safety
    /// RB-UNIQ-1, and RB-PUB-1: those `count` slots were reserved and are
    /// initialised.
    #[inline]
    pub(crate) unsafe fn publish(self, cursor: &ProducerCursor, next: Next, count: usize) {
        debug_assert_eq!(next.from, cursor.tail.get(), "RB-UNIQ-1: the cursor's own tail");
        if next.at != next.from {
            self.record_skip(next.from);
        }
        let tail = next.at + count as u64;
        debug_assert!(tail <= cursor.limit.get(), "RB-SEQ-1");
        // Release: publishes the slot writes; pairs with the Acquire load
        // of `tail` in `begin_batch` and `len` (RB-ORD-1), and in
        // `RingHeader::cut_here` (CH-CLOSE-1).
        self.header.producer.tail.store(tail, Ordering::Release);
        cursor.tail.set(tail);
    }

    /// Producer, publishing past a window skip from `from` (RB-WIN-1):
    /// records it for the consumer, before the `tail` store that follows
    /// (Relaxed: that Release store orders it).
    #[cold]
    fn record_skip(self, from: u64) {
        self.header.producer.gap.store(from + 1, Ordering::Relaxed);
        if self.header.metrics {
            let gap = Gap::from(from, self.slots.len() as u64);
            self.header.producer.skipped.add(gap.len());
        }
    }

    /// Producer: whether a slot is free; loads `head` only when the cached
    /// `limit` says the ring is full (a cached free slot is still free:
    /// only this producer fills the ring).
    #[inline]
    pub(crate) fn has_room(self, cursor: &ProducerCursor) -> bool {
        self.free_slots(cursor, 1).free > 0
    }

    /// Consumer: the start of a consume call that takes up to `limit`
    /// values: the guard that stores `head` when the call ends (also when a
    /// handler unwinds, RB-PANIC-1) and how many values to take; `None`
    /// when there are none.
    #[inline]
    fn begin_batch(self, limit: usize) -> Option<(Batch<'a>, usize)> {
        // Relaxed: only this thread writes `head`.
        let head = self.header.consumer.head.load(Ordering::Relaxed);
        // Acquire: pairs with the Release store of `tail` in `publish`; the
        // slot writes up to `tail` are visible (RB-ORD-1).
        let tail = self.header.producer.tail.load(Ordering::Acquire);
        if tail == head {
            // An empty poll: two loads, no barrier; it stores nothing and
            // counts no batch. It asks for the line the next value will be
            // written to (HINT-1): when the producer publishes, the
            // consumer's next poll fetches that line along with `tail`'s
            // instead of after it, one trip between the cores instead of
            // two. Ping-pong p50 0.87x and 0.94x (default and aligned-loop
            // builds, 10 and 8 alternated rounds); throughput rows level.
            sync::prefetch_read(self.slot(head) as *const Slot<T>);
            return None;
        }
        // Light barrier: orders the `tail` load before the `closed` load;
        // pairs with the heavy barrier in `close_and_cut`. Either the
        // closer's cut covers the `tail` we loaded, or we see `closed` and
        // stop at the cut, below any publish being withdrawn (CH-CLOSE-1).
        barrier::light();
        // Relaxed: the barrier pair orders it. Closed but not yet cut: the
        // closer is between its two stores; read nothing for now.
        let end = if self.header.close.closed.load(Ordering::Relaxed) {
            self.header.known_cut().map_or(head, |cut| tail.min(cut))
        } else {
            tail
        };
        debug_assert!(head <= end, "CH-CLOSE-1: the consumer read past the cut");
        // RB-WIN-1: a skip is published only when the ring was empty at its
        // start, so a skip below `end` starts exactly at `head`, at the end
        // of the window: the values are all past it. Only there is the
        // record worth a load (the producer may be writing its line).
        let capacity = self.slots.len() as u64;
        let gap = if at_window_end(head, window::<T>(capacity), capacity) {
            self.header.gap_within(head, end, capacity)
        } else {
            None
        };
        let (head, skipped) = match gap {
            Some(gap) => {
                debug_assert_eq!(gap.start, head, "RB-WIN-1");
                (gap.end, gap.len())
            }
            None => (head, 0),
        };
        debug_assert!(end - head <= self.slots.len() as u64, "RB-SEQ-1");
        let count = ((end - head) as usize).min(limit);
        if count == 0 {
            return None;
        }
        let batch = Batch {
            header: self.header,
            head,
            taken: 0,
            skipped,
        };
        Some((batch, count))
    }

    /// The slots of the `count` values from sequence `head` on, as at most
    /// two contiguous runs: from `head`'s slot to the end of the buffer,
    /// then from its start (RB-SEQ-2).
    #[inline]
    fn runs(self, head: u64, count: usize) -> [&'a [Slot<T>]; 2] {
        let start = head as usize & (self.slots.len() - 1);
        let first = count.min(self.slots.len() - start);
        [&self.slots[start..start + first], &self.slots[..count - first]]
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
        let Some((mut batch, count)) = self.begin_batch(limit) else {
            return 0;
        };
        let head = batch.head;
        // RB-REL-1: a batch of at least half the ring frees its slots a
        // cache line at a time (a value at a time in a ring of a few
        // lines) as their values are handed out, so that a producer
        // waiting for room refills the ring while the handlers run.
        let release_early = releases_early(count, self.slots.len());
        let each_value = releases_each_value::<T>(self.slots.len());
        let per_line = slots_per_line::<T>();
        // Whether `head` is stored once `taken` values are handed out.
        let frees_at =
            |taken: usize| release_early && (each_value || (head + taken as u64).is_multiple_of(per_line));
        if count <= SHORT_BATCH && stages::<T>() {
            // Short batches of small values: read a stage of them at once,
            // then hand them out (RB-STAGE-1). The reads of a stage's lines
            // overlap, and the handlers run on the stage, not on lines the
            // producer may be writing the next values into.
            let mut stage = Stage([MaybeUninit::uninit(); STAGE_BYTES]);
            let copies = stage.0.as_mut_ptr().cast::<MaybeUninit<T>>();
            let per_stage = STAGE_BYTES / std::mem::size_of::<T>();
            while batch.taken < count {
                let staged = (count - batch.taken).min(per_stage);
                for k in 0..staged {
                    let slot = self.slot(head + (batch.taken + k) as u64);
                    // SAFETY: RB-STAGE-1: a bitwise copy of a slot below
                    // `tail` (RB-OWN-2), as `MaybeUninit`: the slot stays
                    // the value's owner until `taken` passes it.
                    let copy = slot.with(|slot| unsafe { slot.read() });
                    debug_assert!((k + 1) * std::mem::size_of::<T>() <= STAGE_BYTES, "RB-STAGE-1");
                    // SAFETY: RB-STAGE-1: place `k < per_stage` of the
                    // stage, which holds `per_stage` values of `T` and is
                    // aligned for them (`stages`); a copy is never dropped.
                    unsafe { copies.add(k).write(copy) };
                }
                for k in 0..staged {
                    // SAFETY: RB-STAGE-1: the copy of the slot at `head +
                    // taken`, written above from an initialised slot
                    // (RB-OWN-2); `taken` advances before `f` runs, which
                    // moves ownership from the slot to this value, so it is
                    // handed out once (RB-DROP-1).
                    let value = unsafe { copies.add(k).read().assume_init() };
                    batch.taken += 1;
                    if frees_at(batch.taken) {
                        batch.release();
                    }
                    f(value);
                }
            }
            return count;
        }
        if count <= SHORT_BATCH {
            // Short batches: one masked index per item is cheapest (no run
            // set-up; measured faster on 64-item batches).
            while batch.taken < count {
                let slot = self.slot(head + batch.taken as u64);
                // SAFETY: RB-OWN-2: `head + taken < tail`, so the slot holds
                // an initialised value that belongs to the consumer; `taken`
                // advances before `f` runs, so it is never read twice
                // (RB-DROP-1).
                let value = slot.with(|slot| unsafe { slot.read().assume_init() });
                batch.taken += 1;
                if frees_at(batch.taken) {
                    batch.release();
                }
                f(value);
            }
            return count;
        }
        // Long batches: at most two contiguous runs of slots, from `head`'s
        // slot to the end of the buffer, then from its start. Walking them
        // as slices needs no per-item masking, so a folding handler
        // vectorises (a masked index per item made LLVM emit gathers).
        for run in self.runs(head, count) {
            for slot in run {
                // SAFETY: RB-OWN-2: the slot is one of the `count` slots
                // from `head` on, all below `tail`, so it holds an
                // initialised value that belongs to the consumer; `taken`
                // advances before `f` runs, so it is never read twice
                // (RB-DROP-1).
                let value = slot.with(|slot| unsafe { slot.read().assume_init() });
                batch.taken += 1;
                f(value);
            }
        }
        count
    }

    /// Consumer: drops every queued value in place, in FIFO order, with
    /// one `head` store: for an owner that goes away with values still
    /// queued. Nothing is moved out first, so a large value costs no copy
    /// (and no stack frame of its size).
    ///
    /// If a value's `drop` panics, it counts as consumed and the values
    /// after it stay queued (RB-PANIC-1), for the ring's own drop if one is
    /// still to come: none is dropped twice.
    ///
    /// # Safety
    /// RB-UNIQ-1: the caller is this ring's only consumer for the call.
    pub(crate) unsafe fn drop_queued(self) {
        let Some((mut batch, count)) = self.begin_batch(usize::MAX) else {
            return;
        };
        let head = batch.head;
        while batch.taken < count {
            let slot = self.slot(head + batch.taken as u64);
            // `taken` advances before the drop runs, so a value is dropped
            // at most once even if its drop unwinds (RB-DROP-1).
            batch.taken += 1;
            // SAFETY: RB-OWN-2: `head + taken <= tail`, so the slot holds an
            // initialised value that belongs to the consumer, and the
            // producer does not write it until `batch` moves `head` past it;
            // it is dropped here once and never read again (RB-DROP-1).
            slot.with_mut(|slot| unsafe { (*slot).assume_init_drop() });
        }
    }

    /// Consumer: hands up to `limit` values to `f` in place, as (at most
    /// two) contiguous slices in FIFO order, from `head`'s slot to the end
    /// of the buffer, then from its start; each slice's values are dropped
    /// after `f` has seen it. Nothing is moved out, and a folding `f` can
    /// vectorise over its slice. One `head` store for the whole batch.
    /// Returns how many.
    ///
    /// If `f` panics, the slice it was handed counts as consumed and its
    /// values are dropped; later values stay in the ring (RB-PANIC-1).
    ///
    /// # Safety
    /// RB-UNIQ-1: the caller is this ring's only consumer for the call.
    #[cfg(not(loom))]
    pub(crate) unsafe fn consume_slices_up_to<F: FnMut(&[T])>(self, limit: usize, mut f: F) -> usize {
        let Some((mut batch, count)) = self.begin_batch(limit) else {
            return 0;
        };
        let head = batch.head;
        for run in self.runs(head, count) {
            if run.is_empty() {
                continue;
            }
            let values = crate::sync::UnsafeCell::slice_ptr(run).cast::<T>();
            // The run is consumed from here on, whatever `f` does: `batch`
            // moves `head` past it and `dropped` drops its values once,
            // after `f`, also when `f` unwinds (RB-DROP-1, RB-PANIC-1).
            batch.taken += run.len();
            let dropped = DropInPlace {
                values,
                len: run.len(),
            };
            // SAFETY: RB-OWN-2: the run's slots are among the `count` from
            // `head` on, all below `tail`, so they hold initialised values
            // that belong to the consumer; the producer does not write them
            // until `head` passes them, which `batch` does after `dropped`
            // is gone. `slice_ptr` keeps the provenance of the whole run, and
            // a slot is a `T` (`repr(transparent)` cells).
            f(unsafe { std::slice::from_raw_parts(values, run.len()) });
            drop(dropped);
        }
        count
    }

    /// Values in the ring: a snapshot that may be stale by the time it is read.
    pub(crate) fn len(self) -> usize {
        self.header.len(self.slots.len())
    }

    /// A slipping consumer's look at the ring (WAIT-5): a snapshot.
    pub(crate) fn look(self) -> Look {
        let capacity = self.slots.len();
        self.header.look(capacity, window::<T>(capacity as u64))
    }

    pub(crate) fn close(self) {
        self.header.close();
    }

    pub(crate) fn is_closed(self) -> bool {
        self.header.is_closed()
    }

    pub(crate) fn metrics(self) -> MetricsSnapshot {
        if !self.header.metrics {
            return MetricsSnapshot::default();
        }
        // Acquire: pairs with the Release stores of `tail` and `head`, so a
        // snapshot after a join is exact. Window skips count no message
        // (RB-WIN-1).
        // While a push or a batch runs, a sequence and its count of skips
        // may be one skip apart: a snapshot.
        let sent = (self.header.producer.tail.load(Ordering::Acquire))
            .saturating_sub(self.header.producer.skipped.get());
        let received = (self.header.consumer.head.load(Ordering::Acquire))
            .saturating_sub(self.header.consumer.skipped.get());
        MetricsSnapshot {
            messages_sent: sent,
            messages_received: received,
            batches_consumed: self.header.consumer.batches.get(),
            full_events: self.header.producer.full_events.get(),
        }
    }
}

/// Batches up to this many values are read with a masked index per value;
/// longer ones as contiguous runs (see `consume_up_to`).
const SHORT_BATCH: usize = 256;

/// Whether a by-value consume of `count` values from a ring of `capacity`
/// slots frees them as it hands them out, a cache line (in a ring of at
/// most [`RELEASE_EACH_WITHIN_LINES`] lines, a value) at a time
/// (RB-REL-1): a short batch that fills at least half the ring, whose
/// producer is likely waiting for room.
#[inline]
pub(crate) const fn releases_early(count: usize, capacity: usize) -> bool {
    count <= SHORT_BATCH && count * 2 >= capacity
}

/// The fewest values a drain must take from one ring of `capacity` slots
/// in a pass for it to make a second pass (CH-DRAIN-1): half the ring where such a
/// batch is short and freed its slots as it went (RB-REL-1), else
/// `usize::MAX` (never).
#[doc(hidden)]
pub const fn second_pass_from(capacity: usize) -> usize {
    let half = capacity.div_ceil(2);
    if releases_early(half, capacity) {
        half
    } else {
        usize::MAX
    }
}

/// The bytes of values of a short batch read at once before their
/// handlers run (RB-STAGE-1): 32 values of 16 bytes, on the consumer's
/// stack.
const STAGE_BYTES: usize = 512;

/// The largest value, in bytes, that `consume_up_to` stages (its alignment
/// is bounded by the stage's, see [`stages`]).
const STAGED_MAX_SIZE: usize = 16;

/// The stage of `consume_up_to` (RB-STAGE-1): bytes, not `[T; N]`, so that
/// no type's instance of the consume path holds an array of that type (a
/// slot type of a terabyte would make it one of 32).
#[repr(C, align(16))]
struct Stage([MaybeUninit<u8>; STAGE_BYTES]);

/// Whether `consume_up_to` stages values of `T`: non-zero-sized, at most
/// [`STAGED_MAX_SIZE`] bytes and aligned to at most the stage's 16 bytes.
const fn stages<T>() -> bool {
    let size = std::mem::size_of::<T>();
    size > 0 && size <= STAGED_MAX_SIZE && std::mem::align_of::<T>() <= std::mem::align_of::<Stage>()
}

/// The largest ring, in cache lines of slots, whose early release
/// (RB-REL-1) frees every value as it is handed out.
const RELEASE_EACH_WITHIN_LINES: u64 = 8;

/// Whether an early-releasing consume (RB-REL-1) stores `head` after
/// every value it hands out, not once a cache line of them: in a ring of
/// `capacity` slots of `T` of at most [`RELEASE_EACH_WITHIN_LINES`]
/// lines, where a line held back is an eighth of the ring or more and a
/// producer waiting for room runs dry behind it. In larger rings the
/// stores would only take the line of `head` from the producer more
/// often. In the back-pressure benchmark (4 producers, 16 slots each, a
/// consumer of about 100 ns a value) 0.97x and 0.95x kanal against 0.90x
/// and 0.91x with a store each line (`paired_study`, 85 and 81 rounds in
/// one spell); with one producer thread calling `send` on a ring of
/// `u64` and a consumer of a few nanoseconds a value (15 alternated
/// rounds, four runs), 0.99-1.13x with 16 slots, 1.00-1.10x with 32 and
/// 1.00-1.13x with 64, where rings of 128 to 512 slots ran 0.97-0.99x
/// with a store each value (one run).
#[inline]
const fn releases_each_value<T>(capacity: usize) -> bool {
    capacity as u64 <= RELEASE_EACH_WITHIN_LINES * slots_per_line::<T>()
}

/// The cache line size assumed by [`RingRef::prefetch_ahead`] and the
/// early release (RB-REL-1) (x86-64 and most ARM cores).
pub(crate) const CACHE_LINE: usize = 64;

/// How many slots of `T` a cache line holds (at least one): a constant for
/// each `T`.
const fn slots_per_line<T>() -> u64 {
    match CACHE_LINE.checked_div(std::mem::size_of::<T>()) {
        Some(0) | None => 1,
        Some(n) => n as u64,
    }
}

/// How far ahead of `tail` a pushing producer asks for its next line: 16
/// lines. The line comes back from the consumer's core, so the distance
/// must cover that trip at the producer's rate. Measured on single-item
/// pushes of `u64` (`profile spsc_single`, alternated): on an Intel Xeon
/// host 128 and 256 bytes ahead gained 14 % and 18 %, 512 and 1024 bytes
/// no more; on an AMD EPYC host, with the one-load push, 1024 bytes gained
/// 1.24× over 256, 512 bytes lost (0.74× 1024) and 2048 gained nothing.
const PREFETCH_AHEAD: usize = 1024;

/// Stores the consumer's new `head` when a batch ends, also when the
/// handler unwinds (RB-PANIC-1).
struct Batch<'a> {
    header: &'a RingHeader,
    /// The batch's first sequence: past the window skip it started with,
    /// if any (RB-WIN-1).
    head: u64,
    taken: usize,
    /// The sequences of that skip, for the metrics.
    skipped: u64,
}

impl Batch<'_> {
    /// Frees the slots of the values taken so far (RB-REL-1): `head`
    /// passes exactly those, so a handler that unwinds leaves the rest
    /// queued (RB-PANIC-1).
    #[inline]
    fn release(&self) {
        // Release: the reads of the consumed slots happen before the
        // producer reuses them; pairs with the Acquire load of `head` in
        // `free_slots` (RB-ORD-2).
        self.header
            .consumer
            .head
            .store(self.head + self.taken as u64, Ordering::Release);
    }
}

impl Drop for Batch<'_> {
    #[inline]
    fn drop(&mut self) {
        self.release();
        if self.header.metrics {
            self.header.consumer.batches.bump();
            self.header.consumer.skipped.add(self.skipped);
        }
    }
}

/// Drops a run of consumed values in place when it goes out of scope, also
/// when a handler unwinds: the values of `consume_slices_up_to`.
#[cfg(not(loom))]
struct DropInPlace<T> {
    values: *mut T,
    len: usize,
}

#[cfg(not(loom))]
impl<T> Drop for DropInPlace<T> {
    fn drop(&mut self) {
        // SAFETY: RB-DROP-1: `values` are `len` initialised values the
        // consumer took (counted in `Batch::taken`), which nobody else reads
        // or drops; this guard is their only owner and runs once.
        unsafe { std::ptr::drop_in_place(std::ptr::slice_from_raw_parts_mut(self.values, self.len)) }
    }
}

/// A [`RingRef`] without its lifetime, for owners that keep the ring alive
/// by other means: a channel's shared state or a fixed channel's ring block
/// (CH-LIFE-1). Only [`get`](RawRing::get) turns it back into a ring.
pub(crate) struct RawRing<T> {
    header: NonNull<RingHeader>,
    slots: NonNull<Slot<T>>,
    len: usize,
}

impl<T> Clone for RawRing<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawRing<T> {}

impl<T> From<RingRef<'_, T>> for RawRing<T> {
    fn from(ring: RingRef<'_, T>) -> Self {
        RawRing {
            header: NonNull::from(ring.header),
            slots: NonNull::from(ring.slots).cast(),
            len: ring.slots.len(),
        }
    }
}

impl<T> RawRing<T> {
    /// The header and first slot, to store in atomics.
    pub(crate) fn parts(self) -> (NonNull<RingHeader>, NonNull<Slot<T>>) {
        (self.header, self.slots)
    }

    /// A ring from the [`parts`](Self::parts) of one and its capacity.
    ///
    /// # Safety
    /// `header` and `slots` are the parts of one `RawRing` of `len` slots.
    pub(crate) unsafe fn from_parts(
        header: NonNull<RingHeader>,
        slots: NonNull<Slot<T>>,
        len: usize,
    ) -> Self {
        RawRing { header, slots, len }
    }

    /// The ring again, borrowed for `'a`.
    ///
    /// # Safety
    /// CH-LIFE-1: the allocation this ring came from outlives `'a`.
    #[inline]
    pub(crate) unsafe fn get<'a>(self) -> RingRef<'a, T> {
        RingRef {
            // SAFETY: CH-LIFE-1 (caller's duty): the header stays allocated
            // and in place for `'a`.
            header: unsafe { self.header.as_ref() },
            // SAFETY: CH-LIFE-1 as above; pointer and length come from a
            // slice of STORAGE-1 slots, so the slice is the same one.
            slots: unsafe { std::slice::from_raw_parts(self.slots.as_ptr(), self.len) },
        }
    }
}

/// What a [`RingRef::push_signalled`] loaded from its channel's signal
/// after publishing: [`ARMED`](crate::wait::ARMED) for the wake check,
/// [`CLOSING`] for the close check.
#[must_use = "a closing publish must be settled (RingRef::settle_closing)"]
#[derive(Debug, Clone, Copy)]
pub(crate) struct Published(u8);

impl Published {
    /// The signal byte loaded again after a `SeqCst` fence if the first
    /// load found [`FENCE`]: only then do its other bits count (BAR-1).
    /// `signal` is the byte the push loaded.
    #[inline]
    pub(crate) fn ordered(self, signal: &AtomicU8) -> Published {
        if self.0 & FENCE == 0 {
            return self;
        }
        Published(barrier::fence_and_load(signal))
    }

    /// The signal byte as loaded.
    #[inline]
    pub(crate) fn seen(self) -> u8 {
        self.0
    }

    /// A close may have cut this publish off: settle it.
    #[inline]
    pub(crate) fn closing(self) -> bool {
        self.0 & CLOSING != 0
    }
}

/// Why [`RingRef::push_with`] (or [`RingRef::push_signalled`], with
/// `settle_closing`) published nothing.
pub(crate) enum Unpushed<F, T> {
    /// No free slot: the builder, not called.
    Full(F),
    /// Closed after the value was written: the publish was withdrawn and
    /// the value is the caller's again (CH-CLOSE-1).
    Closed(T),
}

/// A header and its storage: one ring, owned. Drops what is left in the
/// ring when dropped.
pub(crate) struct RingCore<T, S: Storage<T>> {
    header: RingHeader,
    storage: S,
    _owns: PhantomData<T>,
}

impl<T> RingCore<T, HeapStorage<T>> {
    /// A ring of `capacity` slots (a power of two) on the heap; `None` when
    /// the buffer cannot be allocated.
    pub(crate) fn new_heap(capacity: usize, metrics: bool) -> Option<Self> {
        Some(RingCore {
            header: RingHeader::new(metrics),
            storage: HeapStorage::try_new(capacity)?,
            _owns: PhantomData,
        })
    }
}

#[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
impl<T, const N: usize> RingCore<T, InlineStorage<T, N>> {
    const_unless_loom! {
        pub(crate) fn new_inline(metrics: bool) -> Self {
            RingCore { header: RingHeader::new(metrics), storage: InlineStorage::new(), _owns: PhantomData }
        }
    }

    /// Completes a ring whose bytes were all zeroed (FIX-1): zero is an
    /// empty, open ring with metrics off.
    #[cfg(not(loom))]
    pub(crate) fn finish_zeroed(&mut self, metrics: bool) {
        #[allow(clippy::let_unit_value)]
        let () = InlineStorage::<T, N>::VALID;
        self.header.metrics = metrics;
    }

    /// `count` empty inline rings in one allocation, built in place (an
    /// inline ring can be far larger than a thread's stack).
    pub(crate) fn boxed_slice(count: usize, metrics: bool) -> Box<[Self]> {
        #[cfg(not(loom))]
        {
            let mut rings = Box::<[Self]>::new_uninit_slice(count);
            // SAFETY: FIX-1: all-zero bytes are a valid empty header, and
            // inline storage is `MaybeUninit` slots, valid in any state. The
            // zeros are written here rather than asked of the allocator
            // (`new_zeroed_slice`), whose fresh pages would fault in on the
            // first lap instead (STORAGE-2).
            let mut rings = unsafe {
                rings.as_mut_ptr().write_bytes(0, count);
                rings.assume_init()
            };
            rings.iter_mut().for_each(|ring| ring.finish_zeroed(metrics));
            rings
        }
        #[cfg(loom)]
        (0..count).map(|_| Self::new_inline(metrics)).collect()
    }
}

impl<T, S: Storage<T>> RingCore<T, S> {
    #[inline]
    pub(crate) fn ring(&self) -> RingRef<'_, T> {
        RingRef::new(&self.header, &self.storage)
    }

    pub(crate) fn header(&self) -> &RingHeader {
        &self.header
    }
}

impl<T, S: Storage<T>> Drop for RingCore<T, S> {
    fn drop(&mut self) {
        // SAFETY: RB-UNIQ-1: `&mut self` proves no producer or consumer
        // runs, so this is the only consumer; it drops every value left in
        // `[head, tail)` once (RB-DROP-1).
        unsafe { self.ring().drop_queued() };
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// CH-DRAIN-1: the second pass follows half a ring only where that half
    /// is a short batch (rings of at most 512 slots).
    #[test]
    fn a_second_pass_follows_half_a_ring_of_at_most_512_slots() {
        assert_eq!(second_pass_from(1), 1);
        assert_eq!(second_pass_from(4), 2);
        assert_eq!(second_pass_from(512), 256);
        assert_eq!(second_pass_from(1024), usize::MAX);
        assert_eq!(second_pass_from(1 << 20), usize::MAX);
    }

    /// FIX-1: a zeroed header reads exactly like a new one. A field whose
    /// zero is not its initial value makes the two differ here.
    #[test]
    fn zeroed_header_is_a_new_header() {
        for metrics in [false, true] {
            let zeroed = Box::<RingCore<u64, InlineStorage<u64, 4>>>::new_zeroed();
            // SAFETY: FIX-1, the property under test; a field for which zero
            // is not a valid value would fail the comparison below (or miri).
            let mut zeroed = unsafe { zeroed.assume_init() };
            zeroed.finish_zeroed(metrics);
            let fresh = RingCore::<u64, InlineStorage<u64, 4>>::new_inline(metrics);
            assert_eq!(format!("{:?}", zeroed.header), format!("{:?}", fresh.header));
            assert!(zeroed.ring().len() == 0 && !zeroed.ring().is_closed());
        }
    }

    /// WAIT-5, RB-WIN-1: a consumer's look says the producer is at or near
    /// a window's end only when fewer values than a window end at most
    /// [`NEAR_WINDOW_END`] before it, as `await_drain` waits there only
    /// for a ring holding less than a window.
    #[test]
    fn a_look_sees_a_producer_at_or_near_a_window_end() {
        let core = Box::new(RingCore::<u64, InlineStorage<u64, 4096>>::new_inline(false));
        let ring = core.ring();
        let cursor = ProducerCursor::new();
        let window = window::<u64>(4096);
        assert_eq!(window, 2048);
        let push = |v: u64| {
            // SAFETY: RB-UNIQ-1: this thread is the ring's only producer,
            // and `cursor` is its cursor.
            unsafe { ring.push(&cursor, v, CloseGuard::Unneeded) }.expect("room")
        };
        let look = |len: usize, near_window_end: bool| Look { len, near_window_end };
        let near = window - NEAR_WINDOW_END;
        (0..near - 1).for_each(push);
        // One value too far from the window's end.
        assert_eq!(ring.look(), look(near as usize - 1, false));
        push(near - 1);
        assert_eq!(ring.look(), look(near as usize, true));
        (near..window).for_each(push);
        // A whole window queued: its producer goes on.
        assert_eq!(ring.look(), look(2048, false));
        // SAFETY: RB-UNIQ-1: this thread is the ring's only consumer.
        assert_eq!(unsafe { ring.consume_up_to(1, drop) }, 1);
        assert_eq!(ring.look(), look(2047, true));
        // The producer, finding values still queued, went on past the end;
        // values just past a window's end are far from the next one.
        push(window);
        assert_eq!(ring.look(), look(2048, false));
        // SAFETY: as above.
        assert_eq!(unsafe { ring.consume_up_to(2000, drop) }, 2000);
        assert_eq!(ring.look(), look(48, false));
    }
}
