//! The state a channel's consumer end, producers and registrars share: the
//! registry of rings (one entry per possible producer), the close flag, the
//! count of who may still send, and the park/wake state.
//!
//! Rings are allocated the first time an entry is used and recycled once
//! their producer is gone and they are drained (CH-REG-1, CH-REG-2).

use std::marker::PhantomData;
use std::ptr::{self, NonNull};

use super::producer::Producer;
use super::ready::{Gathered, Readiness, RingSpan};
use crate::config::Config;
use crate::error::RegisterError;
use crate::ring::core::{close_and_cut, RawRing, RingCore, RingHeader, RingRef};
use crate::ring::storage::{HeapStorage, Slot};
use crate::sync::{Arc, AtomicBool, AtomicPtr, AtomicUsize, Mutex, MutexGuard, Ordering};
use crate::wait::Notifier;

/// One registry entry: its ring, published once (CH-REG-1), and whether a
/// live producer owns it.
struct RegistryEntry<T> {
    /// Null until the entry's ring exists.
    header: AtomicPtr<RingHeader>,
    slots: AtomicPtr<Slot<T>>,
    /// The heap ring to free on drop; null for inline rings.
    heap: AtomicPtr<RingCore<T, HeapStorage<T>>>,
    /// A live producer owns the ring. Written under the registry lock.
    active: AtomicBool,
}

impl<T> RegistryEntry<T> {
    fn empty() -> Self {
        RegistryEntry {
            header: AtomicPtr::new(ptr::null_mut()),
            slots: AtomicPtr::new(ptr::null_mut()),
            heap: AtomicPtr::new(ptr::null_mut()),
            active: AtomicBool::new(false),
        }
    }

    /// Publishes a ring in this entry (CH-REG-1).
    fn publish(&self, ring: RawRing<T>) {
        let (header, slots) = ring.parts();
        // Relaxed: ordered by the Release store of `header` below.
        self.slots.store(slots.as_ptr(), Ordering::Relaxed);
        // Release: the ring's construction and `slots` happen before any
        // thread that sees the header; pairs with the Acquire in `ring`.
        self.header.store(header.as_ptr(), Ordering::Release);
    }

    /// The entry's ring, if it was published.
    fn ring(&self, capacity: usize) -> Option<RawRing<T>> {
        // Acquire: pairs with the Release store in `publish` (CH-REG-1).
        let header = NonNull::new(self.header.load(Ordering::Acquire))?;
        // Relaxed: ordered by the Acquire above.
        let slots = NonNull::new(self.slots.load(Ordering::Relaxed))?;
        // SAFETY: CH-REG-1: both pointers were stored together by `publish`, from one
        // ring of the channel, whose rings all have `capacity` slots.
        Some(unsafe { RawRing::from_parts(header, slots, capacity) })
    }
}

/// Inline rings of an inline channel, freed as one allocation.
#[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
pub(crate) struct InlineRings {
    pub(crate) rings: *mut (),
    pub(crate) len: usize,
    /// Frees `rings`; called once, from `Shared::drop`.
    pub(crate) free: unsafe fn(*mut (), usize),
}

/// State shared by the consumer end, the producers and the registrars.
pub(crate) struct Shared<T> {
    pub(crate) config: Config,
    entries: Box<[RegistryEntry<T>]>,
    /// Entries `0..allocated` have a published ring (CH-REG-1).
    allocated: AtomicUsize,
    /// Serialises registration, producer drop and close (CH-REG-2).
    registry: Mutex<()>,
    producers: AtomicUsize,
    /// Live producers plus live registrars: who may still send (CH-DISC-1).
    senders: AtomicUsize,
    closed: AtomicBool,
    pub(crate) notifier: Notifier,
    inline: Option<InlineRings>,
    _owns: PhantomData<T>,
}

// SAFETY: CH-LIFE-1: `Shared` owns the rings and the values in them; the
// raw pointers it holds point into allocations it owns. Sharing it moves
// values between threads, hence `T: Send`; the ring protocol (RB-UNIQ-1,
// RB-ORD-*) makes the concurrent accesses sound.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: CH-LIFE-1, RB-UNIQ-1: as for `Send`: all shared mutation goes through atomics, the
// registry lock, or the single-producer/single-consumer ring protocol.
unsafe impl<T: Send> Sync for Shared<T> {}

impl<T> Shared<T> {
    /// A registry for `config`, with no ring yet.
    pub(crate) fn new(config: Config) -> Self {
        Shared {
            config,
            entries: (0..config.max_producers)
                .map(|_| RegistryEntry::empty())
                .collect(),
            allocated: AtomicUsize::new(0),
            registry: Mutex::new(()),
            producers: AtomicUsize::new(0),
            senders: AtomicUsize::new(0),
            closed: AtomicBool::new(false),
            notifier: Notifier::new(config.wait_strategy, config.max_producers),
            inline: None,
            _owns: PhantomData,
        }
    }

    /// A registry whose entries use `rings`, all published up front.
    #[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
    ///
    /// # Safety
    /// CH-LIFE-1: each of `raw` points into `inline`, which holds
    /// `config.max_producers` rings and is freed only by `Shared::drop`.
    pub(crate) unsafe fn with_inline(config: Config, inline: InlineRings, raw: &[RawRing<T>]) -> Self {
        let mut shared = Shared::new(config);
        debug_assert_eq!(raw.len(), shared.entries.len());
        for (entry, ring) in shared.entries.iter().zip(raw) {
            entry.publish(*ring);
        }
        // Relaxed: not shared with any thread yet.
        shared.allocated.store(raw.len(), Ordering::Relaxed);
        shared.inline = Some(inline);
        shared
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data of its own, so poisoning carries no
        // broken invariant.
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Rings published so far (CH-REG-1).
    pub(crate) fn allocated(&self) -> usize {
        // Acquire: pairs with the Release increment in `claim_entry`.
        self.allocated.load(Ordering::Acquire)
    }

    /// The ring of entry `id`, raw, for a handle that keeps `self` alive.
    pub(crate) fn raw_ring(&self, id: usize) -> Option<RawRing<T>> {
        self.entries.get(id)?.ring(self.config.capacity())
    }

    /// The published rings, in entry order, borrowed from `self`.
    pub(crate) fn rings(&self) -> impl Iterator<Item = RingRef<'_, T>> + Clone + '_ {
        (0..self.allocated()).filter_map(|id| self.published(id))
    }

    /// The ring of entry `id`, if published, borrowed from `self`.
    fn published(&self, id: usize) -> Option<RingRef<'_, T>> {
        let raw = self.raw_ring(id)?;
        // SAFETY: CH-LIFE-1: `self` owns the ring and is borrowed for the
        // lifetime of the result.
        Some(unsafe { raw.get() })
    }

    pub(crate) fn has_data(&self) -> bool {
        self.rings().any(|r| r.len() > 0)
    }

    /// Closed, or nobody left who could send (CH-DISC-1).
    pub(crate) fn no_more_senders(&self) -> bool {
        // Acquire: pairs with the AcqRel decrement when a producer drops,
        // so its last pushes are visible to the emptiness check that follows.
        self.closed.load(Ordering::Acquire) || self.senders.load(Ordering::Acquire) == 0
    }

    pub(crate) fn live_producers(&self) -> usize {
        // Relaxed: a snapshot for the caller; orders nothing.
        self.producers.load(Ordering::Relaxed)
    }

    pub(crate) fn is_closed(&self) -> bool {
        // Relaxed: a snapshot for the caller.
        self.closed.load(Ordering::Relaxed)
    }

    /// Closes every ring and cuts it (CH-CLOSE-1): when this returns, every
    /// publish that reported success is below its ring's cut and no later
    /// one can succeed. Under the registry lock, so no ring is
    /// registered or recycled meanwhile.
    pub(crate) fn close(&self) {
        let guard = self.lock();
        close_and_cut(self.notifier.signal(), self.rings().map(RingRef::header));
        // Release: after the cuts, so a consumer that sees `closed` (the
        // Acquire in `no_more_senders`) also sees every ring's cut and the
        // publishes below it.
        self.closed.store(true, Ordering::Release);
        drop(guard);
        self.notifier.wake_all();
    }

    /// Registers a producer (an associated function: loom's `Arc` cannot be
    /// a method receiver).
    pub(crate) fn register(this: &Arc<Self>) -> Result<Producer<T>, RegisterError> {
        let _guard = this.lock();
        // Relaxed: written under the lock we hold.
        if this.closed.load(Ordering::Relaxed) {
            return Err(RegisterError::Closed);
        }
        let (id, ring) = this.claim_entry()?;
        // Relaxed: `active` is only written and read for claiming under the lock.
        this.entries[id].active.store(true, Ordering::Relaxed);
        this.producers.fetch_add(1, Ordering::Relaxed);
        // Relaxed: a new sender only delays disconnection; nothing to publish.
        this.senders.fetch_add(1, Ordering::Relaxed);
        // SAFETY: CH-LIFE-1: the producer keeps `Shared`, which owns the
        // ring, alive through its `Arc`; RB-UNIQ-1: the entry was inactive,
        // so no other producer has the ring.
        Ok(unsafe { Producer::for_channel(ring, id, Arc::clone(this)) })
    }

    /// Finds a free, drained ring or allocates a new one (CH-REG-2).
    /// Called under the registry lock.
    fn claim_entry(&self) -> Result<(usize, RingRef<'_, T>), RegisterError> {
        // Relaxed: `allocated` only grows under the lock we hold.
        let allocated = self.allocated.load(Ordering::Relaxed);
        for (id, (entry, ring)) in self.entries.iter().zip(self.rings()).enumerate() {
            // Relaxed: written under the lock we hold. An empty ring
            // (`head == tail`, loaded with Acquire) has no pending read by
            // the consumer, so a new producer may take it.
            if !entry.active.load(Ordering::Relaxed) && ring.len() == 0 {
                return Ok((id, ring));
            }
        }
        if allocated == self.entries.len() {
            return Err(RegisterError::TooManyProducers {
                max: self.config.max_producers,
            });
        }
        let core =
            RingCore::<T, HeapStorage<T>>::new_heap(self.config.capacity(), self.config.enable_metrics)
                .ok_or(RegisterError::OutOfMemory)?;
        let core = Box::into_raw(Box::new(core));
        let entry = &self.entries[allocated];
        // Relaxed: read only in `Drop`, after every other handle is gone.
        entry.heap.store(core, Ordering::Relaxed);
        // SAFETY: CH-LIFE-1: `core` is freed only in `Shared::drop`, so it
        // outlives the borrow of `self`.
        let ring = unsafe { &*core }.ring();
        entry.publish(RawRing::from(ring));
        // Release: pairs with the Acquire in `allocated`; the entry is published.
        self.allocated.store(allocated + 1, Ordering::Release);
        Ok((allocated, ring))
    }

    /// A producer leaves: its ring becomes free once drained (CH-REG-2).
    pub(crate) fn release(&self, id: usize) {
        let guard = self.lock();
        // Relaxed: claimed under the lock, which orders this producer's
        // last writes before the next claim.
        self.entries[id].active.store(false, Ordering::Relaxed);
        self.producers.fetch_sub(1, Ordering::Relaxed);
        drop(guard);
        self.drop_sender();
    }

    /// A registrar appears: it may still send (CH-DISC-1).
    pub(crate) fn add_sender(&self) {
        // Relaxed: a new sender only delays disconnection.
        self.senders.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn drop_sender(&self) {
        // AcqRel: Release publishes this sender's pushes to the consumer's
        // Acquire load in `no_more_senders` (CH-DISC-1).
        if self.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last sender: a parked consumer must see the disconnect.
            self.notifier.wake_all();
        }
    }
}

impl<T: Send> Readiness for Shared<T> {
    fn has_data(&self) -> bool {
        Shared::has_data(self)
    }
    fn gathered(&self, among: RingSpan) -> Gathered {
        let looks = among
            .indices(self.allocated())
            .filter_map(|id| Some((id, self.published(id)?.look())));
        Gathered::of(looks, self.config.capacity())
    }
    fn no_more_senders(&self) -> bool {
        Shared::no_more_senders(self)
    }
    fn notifier(&self) -> &Notifier {
        &self.notifier
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        for entry in self.entries.iter() {
            // Relaxed: `&mut self`, no other handle exists.
            let core = entry.heap.load(Ordering::Relaxed);
            if !core.is_null() {
                // SAFETY: CH-LIFE-1: `core` came from `Box::into_raw` in
                // `claim_entry` and is freed only here; dropping it drops
                // the values left in the ring (RB-DROP-1).
                drop(unsafe { Box::from_raw(core) });
            }
        }
        if let Some(inline) = self.inline.take() {
            // SAFETY: CH-LIFE-1: `with_inline`'s caller passed the block
            // and its `free`; it is freed only here.
            unsafe { (inline.free)(inline.rings, inline.len) };
        }
    }
}
