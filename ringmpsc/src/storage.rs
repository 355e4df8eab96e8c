//! Where a ring's slots live: on the heap (`Ring`) or inline (`StackRing`).
//!
//! The ring algorithm in [`ring`](crate::ring) only ever sees a base pointer
//! and a capacity, so both buffers share one implementation of it.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;

/// One slot: interior-mutable, possibly uninitialised.
pub(crate) type Slot<T> = UnsafeCell<MaybeUninit<T>>;

mod sealed {
    pub trait Sealed {}
}

/// A buffer of ring slots. Sealed: implemented by [`HeapStorage`] and
/// [`InlineStorage`] only.
///
/// # Safety
/// `slots()` must point to `capacity()` contiguous, interior-mutable slots
/// that stay valid and in place for as long as `&self` is borrowed, and
/// `capacity()` must be a power of two that never changes.
pub unsafe trait Storage<T>: sealed::Sealed {
    /// Number of slots, a power of two.
    fn capacity(&self) -> usize;
    /// Base pointer of the slots.
    fn slots(&self) -> *mut MaybeUninit<T>;
}

/// Heap buffer of `2^ring_bits` slots, the storage of [`Ring`](crate::Ring).
pub struct HeapStorage<T> {
    buf: Box<[Slot<T>]>,
}

impl<T> HeapStorage<T> {
    pub(crate) fn new(capacity: usize) -> Self {
        debug_assert!(capacity.is_power_of_two());
        let buf = Box::<[Slot<T>]>::new_uninit_slice(capacity);
        // SAFETY: STORAGE-1: a slot is `UnsafeCell<MaybeUninit<T>>`, of
        // which any bytes, uninitialised included, are a valid value; no
        // element needs writing.
        let buf = unsafe { buf.assume_init() };
        HeapStorage { buf }
    }
}

impl<T> sealed::Sealed for HeapStorage<T> {}

// SAFETY: STORAGE-1: the boxed slice is never resized or moved out while
// `&self` lives; its length is the power of two checked in `new`.
unsafe impl<T> Storage<T> for HeapStorage<T> {
    #[inline]
    fn capacity(&self) -> usize {
        self.buf.len()
    }
    #[inline]
    fn slots(&self) -> *mut MaybeUninit<T> {
        // `raw_get` keeps the provenance of the whole slice and the write
        // permission that `UnsafeCell` grants through a shared reference.
        UnsafeCell::raw_get(self.buf.as_ptr())
    }
}

impl<T> std::fmt::Debug for HeapStorage<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeapStorage")
            .field("capacity", &self.buf.len())
            .finish()
    }
}

/// `N` slots stored inline, the storage of `StackRing` (feature `stack-ring`).
/// `N` must be a power of two; this is checked at compile time.
pub struct InlineStorage<T, const N: usize> {
    buf: [Slot<T>; N],
}

#[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
impl<T, const N: usize> InlineStorage<T, N> {
    /// Evaluated at compile time for each `N` used.
    pub(crate) const VALID: () = assert!(N.is_power_of_two(), "StackRing capacity N must be a power of two");

    pub(crate) const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        InlineStorage {
            buf: [const { UnsafeCell::new(MaybeUninit::uninit()) }; N],
        }
    }
}

impl<T, const N: usize> sealed::Sealed for InlineStorage<T, N> {}

// SAFETY: STORAGE-1: the array lives inside `self`, which cannot move while
// borrowed; `N` is a power of two by `VALID`, asserted when constructed.
unsafe impl<T, const N: usize> Storage<T> for InlineStorage<T, N> {
    #[inline]
    fn capacity(&self) -> usize {
        N
    }
    #[inline]
    fn slots(&self) -> *mut MaybeUninit<T> {
        UnsafeCell::raw_get(self.buf.as_ptr())
    }
}

impl<T, const N: usize> std::fmt::Debug for InlineStorage<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineStorage").field("capacity", &N).finish()
    }
}
