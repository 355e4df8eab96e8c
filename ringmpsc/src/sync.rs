//! The one place the crate takes its concurrency primitives from.
//!
//! Production code imports atomics, locks, `Arc`, cells and spin hints only
//! from here. Under `cfg(loom)` they are loom's instrumented versions, so the
//! loom tests model-check the real ring and channel code rather than a copy
//! (the pattern of tokio's `src/loom` module). Ring slots are this module's
//! [`UnsafeCell`], reached only through `with`/`with_mut`: under loom every
//! slot read and write is reported at the moment it happens, so a write
//! after publication or a read before it fails the model.

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

    /// `std`'s `UnsafeCell` with loom's access API. `repr(transparent)`, so
    /// a slice of cells has the layout of a slice of `T`.
    #[derive(Debug)]
    #[repr(transparent)]
    pub struct UnsafeCell<T>(std::cell::UnsafeCell<T>);

    impl<T> UnsafeCell<T> {
        pub(crate) const fn new(value: T) -> Self {
            UnsafeCell(std::cell::UnsafeCell::new(value))
        }

        /// Reads through a shared pointer to the contents.
        #[inline(always)]
        pub(crate) fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Writes through a unique pointer to the contents.
        #[inline(always)]
        pub(crate) fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }

        /// A pointer to the contents of the first of `cells`, valid for all
        /// of them (outside loom only: loom's cells are not contiguous `T`s).
        #[inline(always)]
        pub(crate) fn slice_ptr(cells: &[UnsafeCell<T>]) -> *mut T {
            // `raw_get` keeps the provenance of the whole slice and the
            // write permission `UnsafeCell` grants through `&`;
            // `repr(transparent)` makes the cast exact.
            std::cell::UnsafeCell::raw_get(cells.as_ptr().cast::<std::cell::UnsafeCell<T>>())
        }
    }
}

#[cfg(loom)]
mod imp {
    pub(crate) use loom::cell::UnsafeCell;
    pub(crate) use loom::sync::atomic::{fence, AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
    pub(crate) use loom::sync::{Arc, Condvar, Mutex, MutexGuard};

    /// Under loom a spin must yield, or the model checker explores the loop forever.
    pub(crate) fn spin_hint() {
        loom::thread::yield_now();
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }
}

pub(crate) use imp::*;
