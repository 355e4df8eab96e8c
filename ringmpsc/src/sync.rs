//! The one place the crate takes its concurrency primitives from.
//!
//! Production code imports atomics, locks, `Arc` and spin hints only from
//! here. Under `cfg(loom)` they are loom's instrumented versions, so the loom
//! tests model-check the real ring and channel code rather than a copy
//! (the pattern of tokio's `src/loom` module).

#[cfg(not(loom))]
mod imp {
    pub(crate) use std::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// One step of a busy-wait loop.
    #[inline]
    pub(crate) fn spin_hint() {
        std::hint::spin_loop();
    }

    /// Gives the rest of the time slice to another thread.
    #[inline]
    pub(crate) fn yield_now() {
        std::thread::yield_now();
    }

    /// Reports slot accesses to the model checker; free outside loom.
    #[derive(Debug, Default)]
    pub(crate) struct SlotTracker;

    impl SlotTracker {
        pub(crate) const fn new(_capacity: usize) -> Self {
            SlotTracker
        }
        #[inline(always)]
        pub(crate) fn write(&self, _index: usize) {}
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// Under loom a spin must yield, or the model checker explores the loop forever.
    pub(crate) fn spin_hint() {
        loom::thread::yield_now();
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }

    /// One loom cell per ring slot. Every slot read or write is reported to
    /// it, so loom fails the run if a slot is touched by both sides without
    /// a happens-before edge between them (a missing Release/Acquire).
    #[derive(Debug)]
    pub(crate) struct SlotTracker(Box<[loom::cell::UnsafeCell<()>]>);

    impl SlotTracker {
        pub(crate) fn new(capacity: usize) -> Self {
            SlotTracker((0..capacity).map(|_| loom::cell::UnsafeCell::new(())).collect())
        }
        pub(crate) fn write(&self, index: usize) {
            self.0[index].with_mut(|_| ());
        }
    }
}

pub(crate) use imp::*;
