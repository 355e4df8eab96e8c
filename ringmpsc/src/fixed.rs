//! Runtime of `channel!`-generated channels: a fixed set of rings, possibly
//! of different message types, in one zero-initialised allocation.
//!
//! The generated code only names these types and calls
//! [`fixed_channel`]; it contains no `unsafe`. A [`RingSet`] is a
//! [`FixedRing`], an array of ring sets, or a tuple of ring sets, so a
//! declaration like `{ http: Span, workers: [Span; 4], internal: Event }`
//! becomes the type `(FixedRing<Span, N>, [FixedRing<Span, N>; 4],
//! FixedRing<Event, N>)`, whose producers and consumers come out in the same
//! shape. Invariant IDs refer to `specs/ring-buffer-invariants.md` and
//! `specs/macros.md`.

use std::fmt;
use std::sync::Arc;

use crate::channel::{Producer, RawRing};
use crate::ring::RingCore;
use crate::storage::InlineStorage;
use crate::wait::{Notifier, WaitStrategy, WakeProducersOnDrop};

/// What a fixed channel's handles share: the rings and the park/wake state.
pub(crate) trait FixedHost: Send + Sync {
    fn notifier(&self) -> &Notifier;
    fn producers(&self) -> usize;
    fn close(&self);
    fn is_closed(&self) -> bool;
}

/// One ring of `N` slots inside a fixed channel. Built only by
/// [`fixed_channel`].
pub struct FixedRing<T, const N: usize> {
    core: RingCore<T, InlineStorage<T, N>>,
}

// SAFETY: RB-UNIQ-1: a fixed ring is reached only through the one producer
// and the one consumer that `fixed_channel` creates for it; values cross
// threads, hence `T: Send`.
unsafe impl<T: Send, const N: usize> Send for FixedRing<T, N> {}
// SAFETY: as for `Send`.
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

/// A tree of fixed rings: a [`FixedRing`], an array or a tuple (up to 12)
/// of ring sets. Sealed.
///
/// # Safety
/// FIX-1: the all-zero byte pattern is a valid value of the type, which
/// becomes a set of empty rings once `finish_init` ran.
pub unsafe trait RingSet: sealed::Sealed + Send + Sync + Sized + 'static {
    /// The producers, in the shape of the set.
    type Producers;
    /// The consumers, in the shape of the set.
    type Consumers;
    /// Rings in the set.
    const RINGS: usize;
    #[doc(hidden)]
    fn finish_init(&mut self, enable_metrics: bool);
    #[doc(hidden)]
    /// # Safety
    /// RB-UNIQ-1: called once per allocation, so each ring gets one
    /// producer and one consumer; `host` keeps `self` alive (CH-LIFE-1).
    unsafe fn handles(
        &self,
        host: &Arc<dyn FixedHostHandle>,
        next_id: &mut usize,
    ) -> (Self::Producers, Self::Consumers);
    #[doc(hidden)]
    fn close(&self);
    #[doc(hidden)]
    fn is_closed(&self) -> bool;
}

/// The public face of [`FixedHost`] for the `RingSet` signature; not
/// implementable outside the crate.
#[doc(hidden)]
#[allow(private_bounds)]
pub trait FixedHostHandle: FixedHost {}
impl<H: FixedHost> FixedHostHandle for H {}

impl<T: Send + 'static, const N: usize> sealed::Sealed for FixedRing<T, N> {}

// SAFETY: FIX-1: a `RingCore` with inline storage is atomics, integers and
// `MaybeUninit` slots: all zero is a valid value; `finish_init` sets the
// capacity and mask.
unsafe impl<T: Send + 'static, const N: usize> RingSet for FixedRing<T, N> {
    type Producers = Producer<T>;
    type Consumers = FixedConsumer<T>;
    const RINGS: usize = 1;

    fn finish_init(&mut self, enable_metrics: bool) {
        self.core.finish_zeroed_init(enable_metrics);
    }

    unsafe fn handles(
        &self,
        host: &Arc<dyn FixedHostHandle>,
        next_id: &mut usize,
    ) -> (Producer<T>, FixedConsumer<T>) {
        let ring = RawRing::new(self.core.ring());
        let id = *next_id;
        *next_id += 1;
        let host: Arc<dyn FixedHost> = host.clone();
        // SAFETY: RB-UNIQ-1 and CH-LIFE-1 are this function's own contract.
        let producer = unsafe { Producer::fixed(ring, id, Arc::clone(&host)) };
        (producer, FixedConsumer { ring, host })
    }

    fn close(&self) {
        self.core.ring().close();
    }

    fn is_closed(&self) -> bool {
        self.core.ring().is_closed()
    }
}

impl<X: RingSet, const K: usize> sealed::Sealed for [X; K] {}

// SAFETY: FIX-1: an array of zero-valid values is zero-valid.
unsafe impl<X: RingSet, const K: usize> RingSet for [X; K] {
    type Producers = [X::Producers; K];
    type Consumers = [X::Consumers; K];
    const RINGS: usize = X::RINGS * K;

    fn finish_init(&mut self, enable_metrics: bool) {
        self.iter_mut().for_each(|x| x.finish_init(enable_metrics));
    }

    unsafe fn handles(
        &self,
        host: &Arc<dyn FixedHostHandle>,
        next_id: &mut usize,
    ) -> (Self::Producers, Self::Consumers) {
        let mut producers = Vec::with_capacity(K);
        let mut consumers = Vec::with_capacity(K);
        for x in self {
            // SAFETY: forwarded contract: each element once.
            let (p, c) = unsafe { x.handles(host, next_id) };
            producers.push(p);
            consumers.push(c);
        }
        let (Ok(producers), Ok(consumers)) = (producers.try_into(), consumers.try_into()) else {
            unreachable!("exactly K handles were built");
        };
        (producers, consumers)
    }

    fn close(&self) {
        self.iter().for_each(X::close);
    }

    fn is_closed(&self) -> bool {
        self.iter().all(X::is_closed)
    }
}

macro_rules! tuple_ring_set {
    ($($x:ident . $i:tt),+) => {
        impl<$($x: RingSet),+> sealed::Sealed for ($($x,)+) {}

        // SAFETY: FIX-1: a tuple of zero-valid values is zero-valid.
        unsafe impl<$($x: RingSet),+> RingSet for ($($x,)+) {
            type Producers = ($($x::Producers,)+);
            type Consumers = ($($x::Consumers,)+);
            const RINGS: usize = 0 $(+ $x::RINGS)+;

            fn finish_init(&mut self, enable_metrics: bool) {
                $(self.$i.finish_init(enable_metrics);)+
            }

            #[allow(non_snake_case)]
            unsafe fn handles(&self, host: &Arc<dyn FixedHostHandle>, next_id: &mut usize) -> (Self::Producers, Self::Consumers) {
                // SAFETY: forwarded contract: each element once, in order.
                $(let $x = unsafe { self.$i.handles(host, next_id) };)+
                (($($x.0,)+), ($($x.1,)+))
            }

            fn close(&self) {
                $(self.$i.close();)+
            }

            fn is_closed(&self) -> bool {
                true $(&& self.$i.is_closed())+
            }
        }
    };
}

tuple_ring_set!(A.0);
tuple_ring_set!(A.0, B.1);
tuple_ring_set!(A.0, B.1, C.2);
tuple_ring_set!(A.0, B.1, C.2, D.3);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10);
tuple_ring_set!(A.0, B.1, C.2, D.3, E.4, F.5, G.6, H.7, I.8, J.9, K.10, L.11);

/// The shared state of one fixed channel.
struct FixedShared<R> {
    notifier: Notifier,
    rings: Box<R>,
}

impl<R: RingSet> FixedHost for FixedShared<R> {
    fn notifier(&self) -> &Notifier {
        &self.notifier
    }
    fn producers(&self) -> usize {
        R::RINGS
    }
    fn close(&self) {
        self.rings.close();
        self.notifier.wake_all();
    }
    fn is_closed(&self) -> bool {
        self.rings.is_closed()
    }
}

/// Builds a fixed channel: one zeroed allocation for every ring, then one
/// producer and one consumer per ring, in the shape of `R`.
pub fn fixed_channel<R: RingSet>(enable_metrics: bool) -> (R::Producers, R::Consumers, FixedControl) {
    // Zeroed in place: the rings can be far larger than a thread's stack.
    let rings = Box::<R>::new_zeroed();
    // SAFETY: FIX-1: all-zero bytes are a valid `R` (the `RingSet` contract).
    let mut rings = unsafe { rings.assume_init() };
    rings.finish_init(enable_metrics);
    let shared = Arc::new(FixedShared {
        notifier: Notifier::new(WaitStrategy::Park),
        rings,
    });
    let host: Arc<dyn FixedHostHandle> = shared.clone();
    let mut next_id = 0;
    // SAFETY: RB-UNIQ-1: called once for this new allocation; CH-LIFE-1:
    // every handle keeps `host`, which owns the rings.
    let (producers, consumers) = unsafe { shared.rings.handles(&host, &mut next_id) };
    (producers, consumers, FixedControl { host })
}

/// The consumer of one ring of a fixed channel.
pub struct FixedConsumer<T> {
    ring: RawRing<T>,
    host: Arc<dyn FixedHost>,
}

// SAFETY: RB-UNIQ-1: the one consumer of its ring; consuming takes
// `&mut self`. CH-LIFE-1: it keeps the ring's host alive.
unsafe impl<T: Send> Send for FixedConsumer<T> {}

impl<T> FixedConsumer<T> {
    /// Hands up to `limit` values to `f` by value; returns the count.
    #[inline]
    pub fn consume_up_to_owned<F: FnMut(T)>(&mut self, limit: usize, f: F) -> usize {
        // Producers parked on a full ring are woken after the batch, also
        // when the handler panics.
        let mut wake = WakeProducersOnDrop::new(self.host.notifier());
        // SAFETY: CH-LIFE-1: `self.host` keeps the ring alive; RB-UNIQ-1:
        // `&mut self` of the ring's only consumer.
        wake.consumed = unsafe { self.ring.get().consume_up_to(limit, f) };
        wake.consumed
    }

    /// Values queued in this ring.
    pub fn len(&self) -> usize {
        // SAFETY: CH-LIFE-1: `self.host` keeps the ring alive.
        unsafe { self.ring.get() }.len()
    }

    /// `true` when this ring is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl<T> fmt::Debug for FixedConsumer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FixedConsumer").field("len", &self.len()).finish()
    }
}

/// Closes a fixed channel; closes it when dropped (the consumer is gone).
pub struct FixedControl {
    host: Arc<dyn FixedHost>,
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
