//! Where a ring's slots live: on the heap (`Ring`) or inline (`StackRing`).
//!
//! The algorithm in [`core`](super::core) only ever sees a slice of slots,
//! so both buffers share one implementation of it. A slot is the `sync`
//! shim's cell: under loom every access to it is checked.

use std::mem::MaybeUninit;

use crate::sync::UnsafeCell;

/// One ring cell: interior-mutable, possibly uninitialised.
pub type Slot<T> = UnsafeCell<MaybeUninit<T>>;

mod sealed {
    /// The slots of a storage (STORAGE-1): a power of two of them, at
    /// least one, in place while borrowed. Implemented in this module only.
    pub trait Slots<T> {
        fn slots(&self) -> &[super::Slot<T>];
    }
}

/// A buffer of ring slots: [`HeapStorage`] or [`InlineStorage`] (sealed).
pub trait Storage<T>: sealed::Slots<T> {
    /// Number of slots, a power of two.
    fn capacity(&self) -> usize {
        self.slots().len()
    }
}

/// Heap buffer of `2^ring_bits` slots, the storage of [`Ring`](crate::Ring).
pub struct HeapStorage<T> {
    buf: Box<[Slot<T>]>,
}

impl<T> HeapStorage<T> {
    /// `capacity` slots (a power of two, at least 1); `None` when the
    /// allocator refuses or the size overflows.
    pub(crate) fn try_new(capacity: usize) -> Option<Self> {
        assert!(capacity.is_power_of_two(), "STORAGE-1: validated by Config");
        let mut buf: Vec<Slot<T>> = Vec::new();
        buf.try_reserve_exact(capacity).ok()?;
        #[cfg(not(loom))]
        {
            // SAFETY: STORAGE-1: the vector has room for `capacity` slots
            // (reserved above), so its spare capacity is valid for writes of
            // `capacity` slots; a slot is `UnsafeCell<MaybeUninit<T>>`, of
            // which any bytes, zeros and uninitialised included, are a valid
            // value.
            unsafe {
                // STORAGE-2: touch every page now, so that the ring's first
                // lap takes no page faults on the hot path.
                buf.as_mut_ptr().write_bytes(0, capacity);
                buf.set_len(capacity);
            }
        }
        #[cfg(loom)]
        buf.extend((0..capacity).map(|_| UnsafeCell::new(MaybeUninit::uninit())));
        Some(HeapStorage {
            buf: buf.into_boxed_slice(),
        })
    }
}

impl<T> sealed::Slots<T> for HeapStorage<T> {
    #[inline]
    fn slots(&self) -> &[Slot<T>] {
        &self.buf
    }
}

impl<T> Storage<T> for HeapStorage<T> {}

impl<T> std::fmt::Debug for HeapStorage<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HeapStorage")
            .field("capacity", &self.buf.len())
            .finish()
    }
}

/// `N` slots stored inline, the storage of `StackRing` (feature
/// `stack-ring`). `N` must be a power of two of at least 2 (as
/// [`Config`](crate::Config)'s `ring_bits >= 1`); this is checked at
/// compile time.
pub struct InlineStorage<T, const N: usize> {
    buf: [Slot<T>; N],
}

#[cfg_attr(not(feature = "stack-ring"), allow(dead_code))]
impl<T, const N: usize> InlineStorage<T, N> {
    /// Evaluated at compile time for each `N` used.
    pub(crate) const VALID: () = assert!(
        N.is_power_of_two() && N >= 2,
        "the capacity N of an inline ring must be a power of two of at least 2"
    );

    #[cfg(not(loom))]
    pub(crate) const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        InlineStorage {
            buf: [const { UnsafeCell::new(MaybeUninit::uninit()) }; N],
        }
    }

    #[cfg(loom)]
    pub(crate) fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        InlineStorage {
            buf: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
        }
    }
}

impl<T, const N: usize> sealed::Slots<T> for InlineStorage<T, N> {
    #[inline]
    fn slots(&self) -> &[Slot<T>] {
        &self.buf
    }
}

impl<T, const N: usize> Storage<T> for InlineStorage<T, N> {}

impl<T, const N: usize> std::fmt::Debug for InlineStorage<T, N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineStorage").field("capacity", &N).finish()
    }
}
