//! Runtime of `channel!`-generated channels: a fixed set of rings, possibly
//! of different message types, in one allocation.
//!
//! The generated code only names these types and calls [`fixed_channel`];
//! it contains no `unsafe`. A [`RingSet`] is a [`FixedRing`], an array of
//! ring sets, or a pair of ring sets, so a declaration like `{ http: Span,
//! workers: [Span; 4], internal: Event }` becomes the balanced tree
//! `(FixedRing<Span, N>, ([FixedRing<Span, N>; 4], FixedRing<Event, N>))`,
//! whose producers and consumers come out in the same shape. Pairs nest
//! without limit, so a channel may have any number of entries. Invariant IDs
//! refer to `specs/ring-buffer-invariants.md` and `specs/macros.md`.

use std::fmt;
use std::ptr::NonNull;
use std::time::{Duration, Instant};

use super::producer::Producer;
use super::ready::{wait_ready, Gathered, Readiness, ReadyFuture, RingSpan};
use crate::error::{RecvError, RecvTimeoutError};
use crate::metrics::MetricsSnapshot;
use crate::ring::core::{close_and_cut, window, RawRing, RingCore, RingHeader, RingRef};
use crate::ring::storage::InlineStorage;
use crate::sync::{Arc, AtomicBool, AtomicUsize, Ordering};
use crate::wait::{Notifier, WaitStrategy, WakeProducersOnDrop};

/// One ring of `N` slots inside a fixed channel. Built only by
/// [`fixed_channel`].
pub struct FixedRing<T, const N: usize> {
    core: RingCore<T, InlineStorage<T, N>>,
}

// SAFETY: RB-UNIQ-1: a fixed ring is reached only through the one producer
// and the one consumer that `fixed_channel` creates for it; values cross
// threads, hence `T: Send`.
unsafe impl<T: Send, const N: usize> Send for FixedRing<T, N> {}
// SAFETY: RB-UNIQ-1, as for `Send`.
unsafe impl<T: Send, const N: usize> Sync for FixedRing<T, N> {}

impl<T, const N: usize> fmt::Debug for FixedRing<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedRing")
            .field("capacity", &N)
            .field("len", &self.core.ring().len())
            .finish()
    }
}

mod sealed {
    pub trait Sealed {}
}

/// The ring headers of a set with each ring's shape, and the slots of its
/// smallest ring, gathered before its host exists (opaque).
#[derive(Debug)]
pub struct Headers {
    headers: Vec<RingEntry>,
    ring_slots: usize,
}

/// One ring of a block, as its host sees it without its type.
#[derive(Debug)]
struct RingEntry {
    header: NonNull<RingHeader>,
    slots: usize,
    /// The ring's window (RB-WIN-1), which depends on its value type.
    window: u64,
}

/// Makes the handles of one ring block, once (opaque). Only
/// [`fixed_channel`] creates one, for the block it has just allocated, and
/// no other code can reach that block: so each ring gets exactly one
/// producer and one consumer (RB-UNIQ-1), all keeping the host (CH-LIFE-1).
#[derive(Debug)]
pub struct Handles {
    host: Arc<FixedHost>,
    next_id: usize,
}

/// The handle types of a tree of fixed rings, for any message type: the
/// generated code names its handles through this, so a message type that
/// is not a [`RingMessage`](crate::RingMessage) is reported once, by the
/// macro's own check, not by every type that mentions it. Sealed.
pub trait RingShape: sealed::Sealed {
    /// The producers, in the shape of the set.
    type Producers;
    /// The consumers, in the shape of the set.
    type Consumers;
}

impl<T, const N: usize> RingShape for FixedRing<T, N> {
    type Producers = Producer<T>;
    type Consumers = FixedConsumer<T>;
}

impl<X: RingShape, const K: usize> RingShape for [X; K] {
    type Producers = [X::Producers; K];
    type Consumers = [X::Consumers; K];
}

impl<A: RingShape, B: RingShape> RingShape for (A, B) {
    type Producers = (A::Producers, B::Producers);
    type Consumers = (A::Consumers, B::Consumers);
}

/// The leaf of an entry that `#[cfg]` removed.
impl RingShape for () {
    type Producers = ();
    type Consumers = ();
}

/// A tree of fixed rings: a [`FixedRing`], an array of ring sets, or a pair
/// of ring sets. Sealed.
///
/// # Safety
/// FIX-1: the all-zero byte pattern is a valid value of the type, which
/// becomes a set of empty rings once `finish_zeroed` ran.
pub unsafe trait RingSet: RingShape + Send + Sync + Sized + 'static {
    /// Rings in the set.
    const RINGS: usize;
    #[doc(hidden)]
    #[cfg(not(loom))]
    fn finish_zeroed(&mut self, enable_metrics: bool);
    #[doc(hidden)]
    #[cfg(loom)]
    fn build(enable_metrics: bool) -> Self;
    #[doc(hidden)]
    fn headers(&self, out: &mut Headers);
    #[doc(hidden)]
    fn handles(&self, make: &mut Handles) -> (Self::Producers, Self::Consumers);
}

impl<T, const N: usize> sealed::Sealed for FixedRing<T, N> {}

// SAFETY: FIX-1: a `RingCore` with inline storage is a `RingHeader` (all
// zero is an empty, open ring) and `MaybeUninit` slots.
unsafe impl<T: Send + 'static, const N: usize> RingSet for FixedRing<T, N> {
    const RINGS: usize = 1;

    #[cfg(not(loom))]
    fn finish_zeroed(&mut self, enable_metrics: bool) {
        self.core.finish_zeroed(enable_metrics);
    }

    #[cfg(loom)]
    fn build(enable_metrics: bool) -> Self {
        FixedRing {
            core: RingCore::new_inline(enable_metrics),
        }
    }

    fn headers(&self, out: &mut Headers) {
        out.headers.push(RingEntry {
            header: NonNull::from(self.core.header()),
            slots: N,
            window: window::<T>(N as u64),
        });
        out.ring_slots = out.ring_slots.min(N);
    }

    fn handles(&self, make: &mut Handles) -> (Producer<T>, FixedConsumer<T>) {
        let ring = self.core.ring();
        let id = make.next_id;
        make.next_id += 1;
        // SAFETY: RB-UNIQ-1 and CH-LIFE-1: `make` exists only inside
        // `fixed_channel`, which walks its block once (see `Handles`).
        let producer = unsafe { Producer::for_fixed(ring, id, Arc::clone(&make.host)) };
        let consumer = FixedConsumer {
            ring: RawRing::from(ring),
            id,
            host: Arc::clone(&make.host),
        };
        (producer, consumer)
    }
}

impl<X: RingShape, const K: usize> sealed::Sealed for [X; K] {}

// SAFETY: FIX-1: an array of zero-valid values is zero-valid.
unsafe impl<X: RingSet, const K: usize> RingSet for [X; K] {
    const RINGS: usize = X::RINGS * K;

    #[cfg(not(loom))]
    fn finish_zeroed(&mut self, enable_metrics: bool) {
        self.iter_mut().for_each(|x| x.finish_zeroed(enable_metrics));
    }

    #[cfg(loom)]
    fn build(enable_metrics: bool) -> Self {
        std::array::from_fn(|_| X::build(enable_metrics))
    }

    fn headers(&self, out: &mut Headers) {
        self.iter().for_each(|x| x.headers(out));
    }

    fn handles(&self, make: &mut Handles) -> (Self::Producers, Self::Consumers) {
        let mut consumers: [Option<X::Consumers>; K] = std::array::from_fn(|_| None);
        let producers = std::array::from_fn(|i| {
            let (producer, consumer) = self[i].handles(make);
            consumers[i] = Some(consumer);
            producer
        });
        (producers, consumers.map(|c| c.expect("filled in order above")))
    }
}

impl sealed::Sealed for () {}

// SAFETY: FIX-1: `()` has no bytes. It is the leaf of an entry that
// `#[cfg]` removed: no ring, no handle.
unsafe impl RingSet for () {
    const RINGS: usize = 0;

    #[cfg(not(loom))]
    fn finish_zeroed(&mut self, _enable_metrics: bool) {}

    #[cfg(loom)]
    fn build(_enable_metrics: bool) -> Self {}

    fn headers(&self, _out: &mut Headers) {}

    fn handles(&self, _make: &mut Handles) -> (Self::Producers, Self::Consumers) {
        ((), ())
    }
}

impl<A: RingShape, B: RingShape> sealed::Sealed for (A, B) {}

// SAFETY: FIX-1: a pair of zero-valid values is zero-valid.
unsafe impl<A: RingSet, B: RingSet> RingSet for (A, B) {
    const RINGS: usize = A::RINGS + B::RINGS;

    #[cfg(not(loom))]
    fn finish_zeroed(&mut self, enable_metrics: bool) {
        self.0.finish_zeroed(enable_metrics);
        self.1.finish_zeroed(enable_metrics);
    }

    #[cfg(loom)]
    fn build(enable_metrics: bool) -> Self {
        (A::build(enable_metrics), B::build(enable_metrics))
    }

    fn headers(&self, out: &mut Headers) {
        self.0.headers(out);
        self.1.headers(out);
    }

    fn handles(&self, make: &mut Handles) -> (Self::Producers, Self::Consumers) {
        let (a, b) = (self.0.handles(make), self.1.handles(make));
        ((a.0, b.0), (a.1, b.1))
    }
}

/// The consumers of a [`RingSet`], in its shape: what the generated
/// consumer asks of all its rings at once.
pub trait ConsumerSet {
    /// Values queued in every ring of the set.
    fn len(&self) -> usize;
    /// `true` when every ring of the set is empty.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The counters of every ring of the set, summed.
    fn metrics(&self) -> MetricsSnapshot;
}

impl<T> ConsumerSet for FixedConsumer<T> {
    fn len(&self) -> usize {
        FixedConsumer::len(self)
    }
    fn metrics(&self) -> MetricsSnapshot {
        FixedConsumer::metrics(self)
    }
}

impl<X: ConsumerSet, const K: usize> ConsumerSet for [X; K] {
    fn len(&self) -> usize {
        self.iter().map(X::len).sum()
    }
    fn metrics(&self) -> MetricsSnapshot {
        self.iter()
            .map(X::metrics)
            .fold(MetricsSnapshot::default(), |a, b| a + b)
    }
}

impl<A: ConsumerSet, B: ConsumerSet> ConsumerSet for (A, B) {
    fn len(&self) -> usize {
        self.0.len() + self.1.len()
    }
    fn metrics(&self) -> MetricsSnapshot {
        self.0.metrics() + self.1.metrics()
    }
}

/// The leaf of an entry that `#[cfg]` removed.
impl ConsumerSet for () {
    fn len(&self) -> usize {
        0
    }
    fn metrics(&self) -> MetricsSnapshot {
        MetricsSnapshot::default()
    }
}

/// What every handle of one fixed channel shares: the ring block and the
/// park/wake state. Opaque.
pub struct FixedHost {
    notifier: Notifier,
    /// Every ring is closed and cut (CH-CLOSE-1).
    closed: AtomicBool,
    /// Producers still alive; at zero, and drained, the channel is
    /// disconnected (CH-DISC-2).
    senders: AtomicUsize,
    /// Every ring's header and its slots, in ring order (CH-LIFE-1: inside
    /// `block`).
    headers: Box<[RingEntry]>,
    /// Slots of the smallest ring, which a slipping consumer needs (WAIT-5).
    ring_slots: usize,
    block: NonNull<()>,
    /// Frees `block`; called once, from `Drop`.
    free: unsafe fn(NonNull<()>),
}

// SAFETY: CH-LIFE-1: the host owns the ring block, a `RingSet`, which is
// `Send + Sync`; the header pointers point into it.
unsafe impl Send for FixedHost {}
// SAFETY: CH-LIFE-1, as for `Send`; through `&self` only atomics are touched.
unsafe impl Sync for FixedHost {}

impl FixedHost {
    pub(crate) fn notifier(&self) -> &Notifier {
        &self.notifier
    }

    /// Every ring's header, with its shape.
    fn entries(&self) -> impl Iterator<Item = (&RingHeader, &RingEntry)> + Clone {
        self.entries_in(0..self.headers.len())
    }

    /// The headers of rings `ids`, with their shapes.
    fn entries_in(
        &self,
        ids: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (&RingHeader, &RingEntry)> + Clone {
        self.headers[ids].iter().map(|entry| {
            // SAFETY: CH-LIFE-1: the headers live in `block`, which `self`
            // owns for the length of the borrow.
            (unsafe { entry.header.as_ref() }, entry)
        })
    }

    fn rings(&self) -> impl Iterator<Item = &RingHeader> + Clone {
        self.entries().map(|(header, _)| header)
    }

    /// Each ring's values: snapshots.
    fn lens(&self) -> impl Iterator<Item = usize> + '_ {
        self.entries().map(|(header, entry)| header.len(entry.slots))
    }

    /// Closes every ring and cuts it (CH-CLOSE-1).
    fn close(&self) {
        close_and_cut(self.notifier.signal(), self.rings());
        // Release: after the cuts; pairs with the Acquire in `is_closed`.
        self.closed.store(true, Ordering::Release);
        self.notifier.wake_all();
    }

    fn is_closed(&self) -> bool {
        // Acquire: pairs with the Release store in `close`.
        self.closed.load(Ordering::Acquire)
    }

    /// A producer is dropped; the last one disconnects (CH-DISC-2).
    pub(crate) fn drop_sender(&self) {
        // AcqRel: Release publishes this producer's pushes to the Acquire
        // load in `no_more_senders`.
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last producer: a waiting consumer must see the disconnect.
            self.notifier.wake_all();
        }
    }
}

impl Readiness for FixedHost {
    fn has_data(&self) -> bool {
        self.lens().any(|len| len > 0)
    }

    fn gathered(&self, among: RingSpan) -> Gathered {
        let ids = among.indices(self.headers.len());
        let first = ids.start;
        let looks = self
            .entries_in(ids)
            .enumerate()
            .map(|(k, (header, entry))| (first + k, header.look(entry.slots, entry.window)));
        Gathered::of(looks, self.ring_slots)
    }

    fn no_more_senders(&self) -> bool {
        // Acquire: pairs with the AcqRel decrement in `drop_sender`, so the
        // last producer's pushes are visible to the look that follows.
        self.is_closed() || self.senders.load(Ordering::Acquire) == 0
    }

    fn notifier(&self) -> &Notifier {
        &self.notifier
    }
}

impl Drop for FixedHost {
    fn drop(&mut self) {
        // SAFETY: CH-LIFE-1: `block` and `free` were paired by
        // `fixed_channel`; this is the only call.
        unsafe { (self.free)(self.block) };
    }
}

impl fmt::Debug for FixedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedHost")
            .field("rings", &self.headers.len())
            .finish_non_exhaustive()
    }
}

/// Frees a ring block made by `fixed_channel::<R>`.
///
/// # Safety
/// `block` comes from `Box::<R>::into_raw` and is freed once.
unsafe fn free_block<R>(block: NonNull<()>) {
    // SAFETY: CH-LIFE-1: the caller's contract: a block of `R`, freed once.
    drop(unsafe { Box::from_raw(block.cast::<R>().as_ptr()) });
}

/// All rings of `R`, empty, in one allocation.
fn ring_block<R: RingSet>(enable_metrics: bool) -> Box<R> {
    #[cfg(not(loom))]
    {
        // Zeroed in place: the rings can be far larger than a thread's
        // stack. The zeros are written here rather than asked of the
        // allocator (`new_zeroed`), whose fresh pages would fault in on the
        // first lap instead (STORAGE-2).
        let mut rings = Box::<R>::new_uninit();
        // SAFETY: FIX-1: all-zero bytes are a valid `R` (the `RingSet`
        // contract), written over the whole allocation of one `R`.
        let mut rings = unsafe {
            rings.as_mut_ptr().write_bytes(0, 1);
            rings.assume_init()
        };
        rings.finish_zeroed(enable_metrics);
        rings
    }
    #[cfg(loom)]
    Box::new(R::build(enable_metrics))
}

/// Builds a fixed channel: one allocation for every ring, then one
/// producer and one consumer per ring, in the shape of `R`.
pub fn fixed_channel<R: RingSet>(enable_metrics: bool) -> (R::Producers, R::Consumers, FixedControl) {
    let block = NonNull::from(Box::leak(ring_block::<R>(enable_metrics)));
    // SAFETY: CH-LIFE-1: the block is freed only when the host made below
    // goes, and every pointer taken from it is kept by a handle of the host.
    let rings = unsafe { block.as_ref() };
    let mut headers = Headers {
        headers: Vec::with_capacity(R::RINGS),
        ring_slots: usize::MAX,
    };
    rings.headers(&mut headers);
    let host = Arc::new(FixedHost {
        notifier: Notifier::new(WaitStrategy::Park, R::RINGS),
        closed: AtomicBool::new(false),
        senders: AtomicUsize::new(R::RINGS),
        headers: headers.headers.into_boxed_slice(),
        ring_slots: headers.ring_slots,
        block: block.cast(),
        free: free_block::<R>,
    });
    // RB-UNIQ-1: one walk over this new block; CH-LIFE-1: every handle
    // keeps `host`, which owns the rings.
    let mut make = Handles {
        host: Arc::clone(&host),
        next_id: 0,
    };
    let (producers, consumers) = rings.handles(&mut make);
    (producers, consumers, FixedControl { host })
}

/// The channel the generated `channel()` builds, chosen by method lookup:
/// `(&Build::<R>::new()).build(metrics)` calls [`fixed_channel`] when `R`
/// is a [`RingSet`] ([`BuildRings`], found first); when a message type is
/// not a ring message, lookup falls back to [`NotRingMessages`] one
/// auto-reference later. The fallback can never run: the macro's own check
/// has failed the build, and the fallback only keeps that error the only
/// one; were it ever selected otherwise, its `const` panic fails the build.
#[derive(Debug)]
pub struct Build<R>(std::marker::PhantomData<R>);

impl<R> Build<R> {
    /// The probe.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Build(std::marker::PhantomData)
    }
}

/// The real build of [`Build`].
pub trait BuildRings {
    /// The handles.
    type Handles;
    /// Builds the channel.
    fn build(&self, enable_metrics: bool) -> Self::Handles;
}

impl<R: RingSet> BuildRings for Build<R> {
    type Handles = (R::Producers, R::Consumers, FixedControl);
    fn build(&self, enable_metrics: bool) -> Self::Handles {
        fixed_channel::<R>(enable_metrics)
    }
}

/// The fallback of [`Build`] for message types that are not ring messages:
/// only reached in a build that already failed.
pub trait NotRingMessages {
    /// Never returns.
    fn build<X>(&self, enable_metrics: bool) -> X;
}

impl<R> NotRingMessages for &Build<R> {
    fn build<X>(&self, _enable_metrics: bool) -> X {
        // Fails the build if it is ever instantiated: only a build that
        // already failed (before code generation) may select this.
        const { panic!("`channel!` declared a message type that is not a ring message") }
    }
}

/// The consumer of one ring of a fixed channel.
pub struct FixedConsumer<T> {
    ring: RawRing<T>,
    /// The ring's number, for its producer's waiter (WAIT-2).
    id: usize,
    host: Arc<FixedHost>,
}

// SAFETY: RB-UNIQ-1: the one consumer of its ring; consuming takes
// `&mut self`. CH-LIFE-1: it keeps the ring's host alive.
unsafe impl<T: Send> Send for FixedConsumer<T> {}

impl<T> FixedConsumer<T> {
    /// The ring, borrowed from `self`.
    #[inline]
    fn ring(&self) -> RingRef<'_, T> {
        // SAFETY: CH-LIFE-1: `self.host` keeps the ring alive for as long
        // as `self` is borrowed.
        unsafe { self.ring.get() }
    }

    /// Hands up to `limit` values to `f` by value; returns the count.
    #[inline]
    pub fn consume_up_to_owned<F: FnMut(T)>(&mut self, limit: usize, f: F) -> usize {
        // Producers parked on a full ring are woken after the batch, also
        // when the handler panics.
        let mut wake = WakeProducersOnDrop::new(self.host.notifier());
        wake.touched = 1 << self.id;
        // SAFETY: RB-UNIQ-1: `&mut self` of the ring's only consumer.
        wake.consumed = unsafe { self.ring().consume_up_to(limit, f) };
        wake.consumed
    }

    /// This ring's counters (all zero unless the channel was declared with
    /// `metrics = true`).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.ring().metrics()
    }

    /// Values queued in this ring.
    pub fn len(&self) -> usize {
        self.ring().len()
    }

    /// `true` when this ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> Drop for FixedConsumer<T> {
    /// Nobody consumes this ring any more: close it (unless the whole
    /// channel was closed already) and drop what is queued (CH-DROP-1).
    fn drop(&mut self) {
        if !self.host.is_closed() {
            close_and_cut(
                self.host.notifier().signal(),
                std::iter::once(self.ring().header()),
            );
        }
        // SAFETY: RB-UNIQ-1: `&mut self` of the ring's only consumer; after
        // the close it reads only below the cut, where no producer
        // publishes any more (CH-CLOSE-1).
        unsafe { self.ring().drop_queued() };
    }
}

impl<T> fmt::Debug for FixedConsumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedConsumer").field("len", &self.len()).finish()
    }
}

/// Closes a fixed channel; closes it when dropped (the consumer is gone).
pub struct FixedControl {
    host: Arc<FixedHost>,
}

impl FixedControl {
    /// Closes every ring: pushes fail from now on, queued values can still
    /// be consumed.
    pub fn close(&self) {
        self.host.close();
    }

    /// `true` once closed.
    pub fn is_closed(&self) -> bool {
        self.host.is_closed()
    }

    /// Blocks until a message is queued; the error once the channel is
    /// empty and nothing can arrive (closed, or every producer dropped).
    /// Lets a batch gather first while producers are still publishing, as
    /// [`Channel::ready`](crate::Channel::ready) does.
    ///
    /// # Errors
    /// [`RecvError`] when disconnected.
    pub fn ready(&self) -> Result<(), RecvError> {
        wait_ready(&*self.host, None).map_err(|_| RecvError)
    }

    /// [`ready`](Self::ready), waiting at most `timeout`.
    ///
    /// # Errors
    /// [`RecvTimeoutError`] on timeout or disconnect.
    pub fn ready_timeout(&self, timeout: Duration) -> Result<(), RecvTimeoutError> {
        wait_ready(&*self.host, Instant::now().checked_add(timeout))
    }

    /// The async [`ready`](Self::ready).
    pub fn ready_async(&self) -> ReadyFuture<'_> {
        ReadyFuture::new(&*self.host)
    }
}

impl Drop for FixedControl {
    fn drop(&mut self) {
        self.host.close();
    }
}

impl fmt::Debug for FixedControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedControl")
            .field("closed", &self.is_closed())
            .finish()
    }
}
