//! The MPSC channel: one SPSC ring per producer, one consumer polling them.
//!
//! [`Channel`] is the consumer end, [`Producer`] a producer that owns one
//! ring, [`Registrar`] a clonable, thread-safe handle that registers more
//! producers after the channel has moved to its consumer thread. Rings are
//! allocated the first time a slot is used and recycled once their producer
//! is gone and they are drained. Invariant IDs (`CH-*`, `RB-*`, `WAIT-*`)
//! refer to `specs/ring-buffer-invariants.md`.

use std::fmt;
use std::marker::PhantomData;
use std::mem::MaybeUninit;
use std::ptr::{self, NonNull};
use std::time::{Duration, Instant};

use crate::config::Config;
use crate::error::{
    ConfigError, PushError, RecvError, RecvTimeoutError, RegisterError, SendError, TryRecvError,
};
use crossbeam_utils::CachePadded;

use crate::metrics::MetricsSnapshot;
use crate::reservation::Reservation;
use crate::ring::{ProducerCursor, RingCore, RingHeader, RingRef};
use crate::storage::HeapStorage;
#[cfg(feature = "stack-ring")]
use crate::storage::InlineStorage;
use crate::sync::{Arc, AtomicBool, AtomicPtr, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait::{Notifier, Wake, WakeProducersOnDrop};

/// One producer slot of a channel: its ring, published once (CH-REG-1),
/// and whether a live producer owns it.
struct RingSlot<T> {
    /// Null until the slot's ring exists.
    header: AtomicPtr<RingHeader>,
    slots: AtomicPtr<MaybeUninit<T>>,
    /// The heap ring to free on drop; null for inline rings.
    heap: AtomicPtr<RingCore<T, HeapStorage<T>>>,
    /// A live producer owns the ring. Written under the registry lock.
    active: AtomicBool,
}

impl<T> RingSlot<T> {
    fn empty() -> Self {
        RingSlot {
            header: AtomicPtr::new(ptr::null_mut()),
            slots: AtomicPtr::new(ptr::null_mut()),
            heap: AtomicPtr::new(ptr::null_mut()),
            active: AtomicBool::new(false),
        }
    }

    /// Publishes a ring in this slot (CH-REG-1).
    fn publish(&self, ring: RingRef<'_, T>) {
        // Relaxed: ordered by the Release store of `header` below.
        self.slots.store(ring.slots(), Ordering::Relaxed);
        // Release: the ring's construction and `slots` happen before any
        // thread that sees the header; pairs with the Acquire in `ring`.
        self.header.store(
            ring.header() as *const RingHeader as *mut RingHeader,
            Ordering::Release,
        );
    }

    /// The slot's ring, if it was published.
    fn ring(&self) -> Option<RawRing<T>> {
        // Acquire: pairs with the Release store in `publish` (CH-REG-1).
        let header = NonNull::new(self.header.load(Ordering::Acquire))?;
        // Relaxed: ordered by the Acquire above.
        let slots = self.slots.load(Ordering::Relaxed);
        Some(RawRing { header, slots })
    }
}

/// A ring reached through raw pointers; valid while the channel's
/// `Shared` (or a fixed channel's ring block) lives (CH-LIFE-1).
pub(crate) struct RawRing<T> {
    header: NonNull<RingHeader>,
    slots: *mut MaybeUninit<T>,
}

impl<T> Clone for RawRing<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for RawRing<T> {}

impl<T> RawRing<T> {
    pub(crate) fn new(ring: RingRef<'_, T>) -> Self {
        RawRing {
            header: NonNull::from(ring.header()),
            slots: ring.slots(),
        }
    }

    /// # Safety
    /// CH-LIFE-1: the `Shared` that owns the ring outlives `'a`.
    #[inline]
    pub(crate) unsafe fn get<'a>(self) -> RingRef<'a, T> {
        // SAFETY: CH-LIFE-1 (caller's duty): the header and slots stay
        // allocated, in place, while `Shared` lives; STORAGE-1 for the count.
        unsafe { RingRef::from_raw(self.header.as_ref(), self.slots) }
    }
}

/// Inline rings of a `StackChannel`, freed as one allocation.
struct InlineRings {
    rings: *mut (),
    len: usize,
    free: unsafe fn(*mut (), usize),
}

#[cfg(feature = "stack-ring")]
/// # Safety
/// `rings`/`len` must come from `Box::into_raw` of a
/// `Box<[RingCore<T, InlineStorage<T, N>>]>`, freed once.
unsafe fn free_inline<T, const N: usize>(rings: *mut (), len: usize) {
    let rings = ptr::slice_from_raw_parts_mut(rings.cast::<RingCore<T, InlineStorage<T, N>>>(), len);
    // SAFETY: the caller passes the pointer and length of the boxed slice.
    drop(unsafe { Box::from_raw(rings) });
}

/// State shared by the consumer end, the producers and the registrars.
struct Shared<T> {
    config: Config,
    slots: Box<[RingSlot<T>]>,
    /// Slots `0..allocated` have a published ring (CH-REG-1).
    allocated: AtomicUsize,
    /// Serialises registration, producer drop and close (CH-REG-2).
    registry: Mutex<()>,
    producers: AtomicUsize,
    /// Live producers plus live registrars: who may still send (CH-DISC-1).
    senders: AtomicUsize,
    closed: AtomicBool,
    notifier: Notifier,
    inline: Option<InlineRings>,
    _owns: PhantomData<T>,
}

// SAFETY: CH-LIFE-1: `Shared` owns the rings and the values in them; the
// raw pointers it holds point into allocations it owns. Sharing it moves
// values between threads, hence `T: Send`; the ring protocol (RB-UNIQ-1,
// RB-ORD-*) makes the concurrent accesses sound.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as for `Send`: all shared mutation goes through atomics, the
// registry lock, or the single-producer/single-consumer ring protocol.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    fn new(config: Config, inline: Option<InlineRings>) -> Self {
        Shared {
            config,
            slots: (0..config.max_producers).map(|_| RingSlot::empty()).collect(),
            allocated: AtomicUsize::new(0),
            registry: Mutex::new(()),
            producers: AtomicUsize::new(0),
            senders: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            notifier: Notifier::new(config.wait_strategy),
            inline,
            _owns: PhantomData,
        }
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data of its own, so poisoning carries no
        // broken invariant.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The published rings, in slot order.
    fn rings(&self) -> impl Iterator<Item = RawRing<T>> + '_ {
        // Acquire: pairs with the Release increment in `register`.
        let n = self.allocated.load(Ordering::Acquire);
        self.slots[..n].iter().filter_map(RingSlot::ring)
    }

    fn has_data(&self) -> bool {
        // SAFETY: CH-LIFE-1: `&self` keeps `Shared` alive.
        self.rings().any(|r| unsafe { r.get() }.len() > 0)
    }

    /// Closed, or nobody left who could send (CH-DISC-1).
    fn no_more_senders(&self) -> bool {
        // Acquire: pairs with the AcqRel decrement when a producer drops,
        // so its last pushes are visible to the emptiness check that follows.
        self.closed.load(Ordering::Acquire) || self.senders.load(Ordering::Acquire) == 0
    }

    fn close(&self) {
        let _guard = self.lock();
        // Release: pairs with the Acquire in `no_more_senders`.
        self.closed.store(true, Ordering::Release);
        for ring in self.rings() {
            // SAFETY: CH-LIFE-1: `&self` keeps `Shared` alive.
            unsafe { ring.get() }.close();
        }
        drop(_guard);
        self.notifier.wake_all();
    }

    /// Registers a producer (an associated function: loom's `Arc` cannot be
    /// a method receiver).
    fn register(this: &Arc<Self>) -> Result<Producer<T>, RegisterError> {
        let _guard = this.lock();
        // Relaxed: written under the lock we hold.
        if this.closed.load(Ordering::Relaxed) {
            return Err(RegisterError::Closed);
        }
        let (id, ring) = this.claim_slot()?;
        // Relaxed: `active` is only written and read for claiming under the lock.
        this.slots[id].active.store(true, Ordering::Relaxed);
        this.producers.fetch_add(1, Ordering::Relaxed);
        // Relaxed: a new sender only delays disconnection; nothing to publish.
        this.senders.fetch_add(1, Ordering::Relaxed);
        // SAFETY: CH-LIFE-1: the producer keeps `Shared` alive via its Arc.
        let cursor = CachePadded::new(ProducerCursor::attach(unsafe { ring.get() }));
        Ok(Producer {
            ring,
            cursor,
            wakes_consumer: this.notifier.parks(),
            id,
            owner: Owner::Channel(Arc::clone(this)),
        })
    }

    /// Finds a free, drained ring or allocates a new one (CH-REG-2).
    /// Called under the registry lock.
    fn claim_slot(&self) -> Result<(usize, RawRing<T>), RegisterError> {
        // Relaxed: `allocated` only grows under the lock we hold.
        let allocated = self.allocated.load(Ordering::Relaxed);
        for (id, slot) in self.slots[..allocated].iter().enumerate() {
            // Relaxed: written under the lock we hold.
            if slot.active.load(Ordering::Relaxed) {
                continue;
            }
            let ring = slot
                .ring()
                .expect("CH-REG-1: slots below `allocated` are published");
            // SAFETY: CH-LIFE-1: `&self` keeps `Shared` alive. An empty
            // ring (head == tail, loaded with Acquire) has no pending read
            // by the consumer, so a new producer may take it.
            if unsafe { ring.get() }.len() == 0 {
                return Ok((id, ring));
            }
        }
        if allocated == self.slots.len() {
            return Err(RegisterError::TooManyProducers {
                max: self.config.max_producers,
            });
        }
        let core = Box::into_raw(Box::new(RingCore::<T, HeapStorage<T>>::new_heap(
            self.config.capacity(),
            self.config.enable_metrics,
        )));
        let slot = &self.slots[allocated];
        // Relaxed: read only in `Drop`, after every other handle is gone.
        slot.heap.store(core, Ordering::Relaxed);
        // SAFETY: CH-LIFE-1: `core` is freed only in `Shared::drop`.
        slot.publish(unsafe { &*core }.ring());
        // Release: pairs with the Acquire in `rings`; the slot is published.
        self.allocated.store(allocated + 1, Ordering::Release);
        Ok((allocated, slot.ring().expect("published above")))
    }

    /// A producer leaves: its ring becomes free once drained (CH-REG-2).
    fn release(&self, id: usize) {
        let guard = self.lock();
        // Relaxed: claimed under the lock, which orders this producer's
        // last writes before the next claim.
        self.slots[id].active.store(false, Ordering::Relaxed);
        self.producers.fetch_sub(1, Ordering::Relaxed);
        drop(guard);
        self.drop_sender();
    }

    fn drop_sender(&self) {
        // AcqRel: Release publishes this sender's pushes to the consumer's
        // Acquire load in `no_more_senders` (CH-DISC-1).
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last sender: a parked consumer must see the disconnect.
            self.notifier.wake_all();
        }
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        for slot in self.slots.iter() {
            // Relaxed: `&mut self`, no other handle exists.
            let core = slot.heap.load(Ordering::Relaxed);
            if !core.is_null() {
                // SAFETY: CH-LIFE-1: `core` came from `Box::into_raw` in
                // `claim_slot` and is freed only here; dropping it drops
                // the values left in the ring (RB-DROP-1).
                drop(unsafe { Box::from_raw(core) });
            }
        }
        if let Some(inline) = self.inline.take() {
            // SAFETY: built by `Channel::with_inline_rings` from a boxed
            // slice of that length, freed only here.
            unsafe { (inline.free)(inline.rings, inline.len) };
        }
    }
}

/// The consumer end of an MPSC channel of ring-decomposed SPSC rings.
///
/// Consuming takes `&mut self`, so only one thread consumes at a time.
/// Producers come from [`register`](Channel::register) or from a
/// [`Registrar`]. Order is FIFO per producer; there is no order across
/// producers.
///
/// ```
/// use ringmpsc::{Channel, Config};
///
/// let mut channel = Channel::new(Config::new(10, 4, false)).unwrap();
/// let handles: Vec<_> = (0..4u64)
///     .map(|p| {
///         let producer = channel.register().unwrap();
///         std::thread::spawn(move || {
///             for i in 0..1000 {
///                 producer.send(p * 1000 + i).unwrap();
///             }
///         })
///     })
///     .collect();
///
/// let mut received = 0;
/// while received < 4000 {
///     received += channel.consume_all(|_msg| {});
/// }
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert!(channel.is_empty());
/// ```
pub struct Channel<T> {
    shared: Arc<Shared<T>>,
    /// The consumer's cache of published rings, in slot order.
    rings: Vec<RawRing<T>>,
    /// Where the next poll starts: rotates for fairness.
    next: usize,
}

// SAFETY: CH-LIFE-1: the raw ring pointers point into `shared`, which the
// channel keeps alive; consuming needs `&mut self` (RB-UNIQ-1), so moving
// the channel moves the consumer role.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: the `&self` methods (register, len, close, metrics, ...) only use
// atomics and the registry lock; consuming needs `&mut self`.
unsafe impl<T: Send> Sync for Channel<T> {}

impl<T> Channel<T> {
    /// A channel with no producer yet; rings are allocated on registration.
    ///
    /// # Errors
    /// [`ConfigError`] if a field of `config` is out of range.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate()?;
        Ok(Channel {
            shared: Arc::new(Shared::new(config, None)),
            rings: Vec::new(),
            next: 0,
        })
    }

    #[cfg(feature = "stack-ring")]
    /// A channel whose `P` rings of `N` slots are allocated at once, in one
    /// block, and published up front. Backs `StackChannel`.
    fn with_inline_rings<const N: usize, const P: usize>(config: Config) -> Self {
        let mut block = Box::<[RingCore<T, InlineStorage<T, N>>]>::new_uninit_slice(P);
        for core in block.iter_mut() {
            // Written in place: an inline ring can be too large for the stack.
            let core = core.as_mut_ptr();
            // SAFETY: `core` points to an allocated, uninitialised
            // `RingCore`; its header is written here and its storage is an
            // array of `MaybeUninit` slots, valid uninitialised.
            unsafe { RingCore::init_inline_in_place(core, config.enable_metrics) };
        }
        // SAFETY: every element was initialised in the loop above.
        let block = unsafe { block.assume_init() };
        let len = block.len();
        let rings = Box::into_raw(block);
        let shared = Shared::new(
            config,
            Some(InlineRings {
                rings: rings.cast::<()>(),
                len,
                free: free_inline::<T, N>,
            }),
        );
        for (i, slot) in shared.slots.iter().enumerate() {
            // SAFETY: CH-LIFE-1: the block is freed only in `Shared::drop`;
            // `i < len` because `P == max_producers`.
            slot.publish(unsafe { &*rings.cast::<RingCore<T, InlineStorage<T, N>>>().add(i) }.ring());
        }
        // Relaxed: not shared with any thread yet.
        shared.allocated.store(len, Ordering::Relaxed);
        Channel {
            shared: Arc::new(shared),
            rings: Vec::new(),
            next: 0,
        }
    }

    /// Registers a producer with its own ring.
    ///
    /// # Errors
    /// [`RegisterError::TooManyProducers`] when `max_producers` producers
    /// are alive (a dropped producer's ring is reused once drained),
    /// [`RegisterError::Closed`] after [`close`](Self::close).
    pub fn register(&self) -> Result<Producer<T>, RegisterError> {
        Shared::register(&self.shared)
    }

    /// A clonable, `Send + Sync` handle that registers producers from any
    /// thread, also after the channel has moved. While a registrar lives,
    /// the channel is not disconnected.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::<u32>::new(Config::new(4, 2, false)).unwrap();
    /// let registrar = channel.registrar();
    /// let t = std::thread::spawn(move || registrar.register().unwrap().push(9).unwrap());
    /// t.join().unwrap();
    /// assert_eq!(channel.recv(), Ok(9));
    /// ```
    pub fn registrar(&self) -> Registrar<T> {
        Registrar::new(Arc::clone(&self.shared))
    }

    /// The channel's configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Picks up rings published since the last poll.
    fn refresh(&mut self) {
        // Acquire: pairs with the Release store of `allocated` (CH-REG-1).
        let allocated = self.shared.allocated.load(Ordering::Acquire);
        while self.rings.len() < allocated {
            let ring = self.shared.slots[self.rings.len()]
                .ring()
                .expect("CH-REG-1: published before counted");
            self.rings.push(ring);
        }
    }

    /// Consumes every value present in every ring, by reference; returns
    /// the count. Each value is dropped after `f` returns.
    pub fn consume_all<F: FnMut(&T)>(&mut self, mut f: F) -> usize {
        self.consume_all_up_to_owned(usize::MAX, |v| f(&v))
    }

    /// Consumes every value present in every ring, by value.
    pub fn consume_all_owned<F: FnMut(T)>(&mut self, f: F) -> usize {
        self.consume_all_up_to_owned(usize::MAX, f)
    }

    /// Consumes at most `limit` values, by reference. The ring polled first
    /// rotates from call to call, so no producer starves when the backlog
    /// exceeds `limit`.
    pub fn consume_all_up_to<F: FnMut(&T)>(&mut self, limit: usize, mut f: F) -> usize {
        self.consume_all_up_to_owned(limit, |v| f(&v))
    }

    /// Consumes at most `limit` values, by value, fairly across rings.
    ///
    /// If `f` panics, the values it was already handed stay consumed, the
    /// others stay queued, and the channel remains usable.
    pub fn consume_all_up_to_owned<F: FnMut(T)>(&mut self, limit: usize, mut f: F) -> usize {
        self.refresh();
        let n = self.rings.len();
        if n == 0 || limit == 0 {
            return 0;
        }
        // `next` stays below `n` (rings are never removed), so no division.
        let start = if self.next >= n { 0 } else { self.next };
        self.next = if start + 1 == n { 0 } else { start + 1 };
        let mut wake = WakeProducersOnDrop::new(&self.shared.notifier);
        let (first, second) = self.rings.split_at(start);
        for ring in second.iter().chain(first) {
            // SAFETY: CH-LIFE-1: `self.shared` keeps the ring alive;
            // RB-UNIQ-1: `&mut self` makes this the only consumer.
            wake.consumed += unsafe { ring.get().consume_up_to(limit - wake.consumed, &mut f) };
            if wake.consumed == limit {
                break;
            }
        }
        wake.consumed
    }

    /// Takes one value without waiting, rotating across rings.
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing is queued,
    /// [`TryRecvError::Disconnected`] when nothing ever will be.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(v) = self.pop_one() {
            return Ok(v);
        }
        if !self.shared.no_more_senders() {
            return Err(TryRecvError::Empty);
        }
        // CH-DISC-1: nobody sends any more; what is queued now is all there
        // will be, so look once more before reporting the disconnect.
        self.pop_one().ok_or(TryRecvError::Disconnected)
    }

    fn pop_one(&mut self) -> Option<T> {
        let mut out = None;
        self.consume_all_up_to_owned(1, |v| out = Some(v));
        out
    }

    /// Waits for a value, per the configured [`WaitStrategy`](crate::WaitStrategy).
    ///
    /// # Errors
    /// [`RecvError`] when the channel is empty and either closed or without
    /// any producer or registrar left.
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.recv_deadline(None).map_err(|_| RecvError)
    }

    /// Waits at most `timeout` for a value.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] when nothing arrived in time,
    /// [`RecvTimeoutError::Disconnected`] as for [`recv`](Self::recv).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline(Instant::now().checked_add(timeout))
    }

    fn recv_deadline(&mut self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        loop {
            match self.try_recv() {
                Ok(v) => return Ok(v),
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            let shared = &*self.shared;
            let ready = || shared.has_data() || shared.no_more_senders();
            if shared.notifier.wait_consumer(ready, deadline) == Wake::TimedOut {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }

    /// Values queued across all rings (a snapshot).
    pub fn len(&self) -> usize {
        // SAFETY: CH-LIFE-1: `self.shared` keeps the rings alive.
        self.shared.rings().map(|r| unsafe { r.get() }.len()).sum()
    }

    /// `true` when no value is queued.
    pub fn is_empty(&self) -> bool {
        !self.shared.has_data()
    }

    /// Live producers.
    pub fn producer_count(&self) -> usize {
        // Relaxed: a snapshot for the caller; orders nothing.
        self.shared.producers.load(Ordering::Relaxed)
    }

    /// Closes the channel: `push`, `send`, `reserve` and `register` fail
    /// from now on (values come back); what is queued can still be
    /// consumed, after which receives report a disconnect.
    pub fn close(&self) {
        self.shared.close();
    }

    /// `true` once the channel was closed.
    pub fn is_closed(&self) -> bool {
        // Relaxed: a snapshot for the caller.
        self.shared.closed.load(Ordering::Relaxed)
    }

    /// Counters summed over every ring (zero with metrics off).
    pub fn metrics(&self) -> MetricsSnapshot {
        // SAFETY: CH-LIFE-1: `self.shared` keeps the rings alive.
        self.shared
            .rings()
            .map(|r| unsafe { r.get() }.metrics())
            .fold(MetricsSnapshot::default(), |a, b| a + b)
    }
}

impl<T> Drop for Channel<T> {
    /// The consumer is gone: producers see `Closed` from now on. Queued
    /// values are dropped with the last handle (RB-DROP-1).
    fn drop(&mut self) {
        self.shared.close();
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("config", &self.shared.config)
            .field("producers", &self.producer_count())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// A producer: owns one ring of its channel. `Send`, not `Sync`: one
/// thread at a time pushes through it.
///
/// Dropping it hands its ring back; the consumer drains what is left and
/// the ring is recycled for a later registration.
pub struct Producer<T> {
    ring: RawRing<T>,
    /// On a line of its own: the producer writes it on every publish, and
    /// the handle may sit next to data the consumer reads (a heap block, a
    /// stack frame), which would make each push bounce that line too.
    cursor: CachePadded<ProducerCursor>,
    /// The consumer may park: wake it after each publish (WAIT-1).
    wakes_consumer: bool,
    id: usize,
    owner: Owner<T>,
}

/// What keeps a producer's ring alive (CH-LIFE-1).
enum Owner<T> {
    /// A [`Channel`]'s shared state.
    Channel(Arc<Shared<T>>),
    /// The ring block of a `channel!`-generated channel.
    #[cfg(not(loom))]
    Fixed(std::sync::Arc<dyn crate::fixed::FixedHost>),
}

// SAFETY: RB-UNIQ-1: the producer is its ring's only producer and is
// `!Sync` (its cursor is made of `Cell`s), so moving it moves the role;
// CH-LIFE-1: its owner keeps the ring alive. The fixed host is `Send + Sync`.
unsafe impl<T: Send> Send for Producer<T> {}

impl<T> Producer<T> {
    /// A producer of a fixed (`channel!`) channel's ring.
    ///
    /// # Safety
    /// CH-LIFE-1 and RB-UNIQ-1: `ring` lives as long as `host`, and this is
    /// the only producer ever created for it.
    #[cfg(not(loom))]
    pub(crate) unsafe fn fixed(
        ring: RawRing<T>,
        id: usize,
        host: std::sync::Arc<dyn crate::fixed::FixedHost>,
    ) -> Self {
        // SAFETY: CH-LIFE-1: `host` keeps the ring alive (caller's duty).
        let cursor = CachePadded::new(ProducerCursor::attach(unsafe { ring.get() }));
        Producer {
            ring,
            cursor,
            wakes_consumer: false,
            id,
            owner: Owner::Fixed(host),
        }
    }

    #[inline]
    fn ring(&self) -> RingRef<'_, T> {
        // SAFETY: CH-LIFE-1: `self.owner` keeps the ring alive for `&self`.
        unsafe { self.ring.get() }
    }

    fn notifier(&self) -> &Notifier {
        match &self.owner {
            Owner::Channel(shared) => &shared.notifier,
            #[cfg(not(loom))]
            Owner::Fixed(host) => host.notifier(),
        }
    }

    /// The producer's slot number, unique among live producers of the
    /// channel (a recycled slot's number is reused).
    pub fn id(&self) -> usize {
        self.id
    }

    /// Appends `value` to this producer's ring without waiting.
    ///
    /// # Errors
    /// [`PushError::Full`] when the ring is full, [`PushError::Closed`]
    /// when the channel is closed or its consumer is gone; both return
    /// `value`.
    #[inline]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        // SAFETY: RB-UNIQ-1: this producer is the ring's only producer and
        // `!Sync`; `reserve` borrows it mutably, so no reservation is open.
        unsafe { self.ring().push(&self.cursor, value) }?;
        if self.wakes_consumer {
            self.notifier().wake_consumer();
        }
        Ok(())
    }

    /// Appends `value`, waiting for room per the channel's wait strategy.
    ///
    /// # Errors
    /// [`SendError`] holding `value` when the channel is closed or its
    /// consumer is gone.
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        let mut value = value;
        loop {
            match self.push(value) {
                Ok(()) => return Ok(()),
                Err(PushError::Closed(v)) => return Err(SendError(v)),
                Err(PushError::Full(v)) => value = v,
            }
            self.wait_for_room();
        }
    }

    fn wait_for_room(&self) {
        let ring = self.ring();
        self.notifier()
            .wait_producer(|| ring.is_closed() || ring.has_room(&self.cursor), None);
    }

    /// Reserves up to `n` contiguous slots for zero-copy writes (fewer at
    /// the wrap point); `None` when the ring is full or closed.
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        let ring = self.ring();
        // SAFETY: RB-UNIQ-1: `&mut self` of the ring's only producer.
        let (first, len) = unsafe { ring.reserve(&self.cursor, n) }?;
        let notifier = self.wakes_consumer.then(|| self.notifier());
        // SAFETY: RESV-1: the slots were just reserved with this cursor.
        Some(unsafe { Reservation::new(ring, &self.cursor, first, len, notifier) })
    }

    /// Like [`reserve`](Self::reserve), but waits (per the wait strategy)
    /// while the ring is full; `None` only when the channel is closed.
    pub fn reserve_with_backoff(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        if n == 0 {
            return None;
        }
        loop {
            let ring = self.ring();
            if ring.is_closed() {
                return None;
            }
            if ring.has_room(&self.cursor) {
                // Only this producer fills the ring, so the room stays.
                return self.reserve(n);
            }
            self.wait_for_room();
        }
    }

    /// Registers another producer of the same channel, with its own ring
    /// (so no order holds between the two).
    ///
    /// # Errors
    /// As [`Channel::register`]. A producer of a `channel!`-generated
    /// channel cannot be cloned: its set of producers is fixed, so this
    /// returns [`RegisterError::TooManyProducers`].
    pub fn try_clone(&self) -> Result<Producer<T>, RegisterError> {
        match &self.owner {
            Owner::Channel(shared) => Shared::register(shared),
            #[cfg(not(loom))]
            Owner::Fixed(host) => Err(RegisterError::TooManyProducers {
                max: host.producers(),
            }),
        }
    }

    /// `true` once the channel is closed or its consumer is gone.
    pub fn is_closed(&self) -> bool {
        self.ring().is_closed()
    }

    /// Slots in this producer's ring.
    pub fn capacity(&self) -> usize {
        self.ring().capacity()
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        if let Owner::Channel(shared) = &self.owner {
            shared.release(self.id);
        }
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("id", &self.id)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Registers producers from any thread; clonable, `Send + Sync`. Counts as
/// a potential sender: while one lives, receives do not report a disconnect.
pub struct Registrar<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Registrar<T> {
    fn new(shared: Arc<Shared<T>>) -> Self {
        // Relaxed: a new sender only delays disconnection.
        shared.senders.fetch_add(1, Ordering::Relaxed);
        Registrar { shared }
    }

    /// Registers a producer with its own ring.
    ///
    /// # Errors
    /// As [`Channel::register`].
    pub fn register(&self) -> Result<Producer<T>, RegisterError> {
        Shared::register(&self.shared)
    }
}

impl<T> Clone for Registrar<T> {
    fn clone(&self) -> Self {
        Registrar::new(Arc::clone(&self.shared))
    }
}

impl<T> Drop for Registrar<T> {
    fn drop(&mut self) {
        self.shared.drop_sender();
    }
}

impl<T> fmt::Debug for Registrar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registrar").finish_non_exhaustive()
    }
}

/// A channel whose `P` rings of `N` slots each are allocated up front in
/// one block (feature `stack-ring`). `N` must be a power of two and `P` in
/// `1..=128`, both checked at compile time. Dereferences to [`Channel`].
///
/// ```
/// use ringmpsc::StackChannel;
///
/// let mut channel = StackChannel::<u64, 1024, 2>::new();
/// let producer = channel.register().unwrap();
/// producer.push(3).unwrap();
/// assert_eq!(channel.try_recv(), Ok(3));
/// ```
#[cfg(feature = "stack-ring")]
pub struct StackChannel<T, const N: usize, const P: usize> {
    channel: Channel<T>,
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize, const P: usize> StackChannel<T, N, P> {
    const VALID: () = {
        assert!(
            N.is_power_of_two() && N <= 1 << crate::config::MAX_RING_BITS,
            "StackChannel N must be a power of two up to 2^20"
        );
        assert!(
            P >= 1 && P <= crate::config::MAX_PRODUCERS,
            "StackChannel P must be in 1..=128"
        );
    };

    /// A channel with the default wait strategy and metrics off.
    pub fn new() -> Self {
        Self::with_wait_strategy(crate::WaitStrategy::default(), false)
    }

    /// A channel with the given wait strategy and metrics setting.
    pub fn with_wait_strategy(wait_strategy: crate::WaitStrategy, enable_metrics: bool) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        let config =
            Config::new(N.trailing_zeros() as u8, P, enable_metrics).with_wait_strategy(wait_strategy);
        StackChannel {
            channel: Channel::with_inline_rings::<N, P>(config),
        }
    }

    /// The channel itself, e.g. to move it away from the wrapper.
    pub fn into_inner(self) -> Channel<T> {
        self.channel
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize, const P: usize> Default for StackChannel<T, N, P> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize, const P: usize> std::ops::Deref for StackChannel<T, N, P> {
    type Target = Channel<T>;
    fn deref(&self) -> &Channel<T> {
        &self.channel
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize, const P: usize> std::ops::DerefMut for StackChannel<T, N, P> {
    fn deref_mut(&mut self) -> &mut Channel<T> {
        &mut self.channel
    }
}

#[cfg(feature = "stack-ring")]
impl<T, const N: usize, const P: usize> fmt::Debug for StackChannel<T, N, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("StackChannel").field(&self.channel).finish()
    }
}
