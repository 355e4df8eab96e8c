//! [`InlineChannel`]: a channel whose rings are allocated up front, in one
//! block, with inline storage (feature `stack-ring`).

use std::fmt;
use std::ops::{Deref, DerefMut};

use super::consumer::Channel;
use super::registry::{InlineRings, Shared};
use crate::config::{Config, MAX_PRODUCERS, MAX_RING_BITS, MIN_RING_BITS};
use crate::ring::core::{RawRing, RingCore};
use crate::ring::storage::InlineStorage;
use crate::wait::WaitStrategy;

/// A channel whose `P` rings of `N` slots each are allocated up front in
/// one heap block. `N` must be a power of two in `2..=2^20` and `P` in
/// `1..=128`, both checked at compile time. Dereferences to [`Channel`].
///
/// ```compile_fail
/// let channel = ringmpsc::InlineChannel::<u64, 1, 2>::new(); // one slot
/// ```
///
/// ```
/// use ringmpsc::InlineChannel;
///
/// let mut channel = InlineChannel::<u64, 1024, 2>::new();
/// let producer = channel.register().unwrap();
/// producer.push(3).unwrap();
/// assert_eq!(channel.try_recv(), Ok(3));
/// ```
pub struct InlineChannel<T, const N: usize, const P: usize> {
    channel: Channel<T>,
}

/// The former name of [`InlineChannel`], whose rings live in one heap
/// block, not on the stack.
pub type StackChannel<T, const N: usize, const P: usize> = InlineChannel<T, N, P>;

/// Frees the ring block of an inline channel.
///
/// # Safety
/// `rings`/`len` come from `Box::into_raw` of a
/// `Box<[RingCore<T, InlineStorage<T, N>>]>` of that length, freed once.
unsafe fn free_rings<T, const N: usize>(rings: *mut (), len: usize) {
    let rings = std::ptr::slice_from_raw_parts_mut(rings.cast::<RingCore<T, InlineStorage<T, N>>>(), len);
    // SAFETY: CH-LIFE-1: the caller passes the pointer and length of the
    // boxed slice, once.
    drop(unsafe { Box::from_raw(rings) });
}

impl<T, const N: usize, const P: usize> InlineChannel<T, N, P> {
    const VALID: () = {
        assert!(
            N.is_power_of_two() && N >= 1 << MIN_RING_BITS && N <= 1 << MAX_RING_BITS,
            "InlineChannel N must be a power of two in 2..=2^20"
        );
        assert!(P >= 1 && P <= MAX_PRODUCERS, "InlineChannel P must be in 1..=128");
    };

    /// A channel with the default wait strategy and metrics off.
    pub fn new() -> Self {
        Self::with_wait_strategy(WaitStrategy::default(), false)
    }

    /// A channel with the given wait strategy and metrics setting.
    pub fn with_wait_strategy(wait_strategy: WaitStrategy, enable_metrics: bool) -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID;
        let config =
            Config::new(N.trailing_zeros() as u8, P, enable_metrics).with_wait_strategy(wait_strategy);
        let block = RingCore::<T, InlineStorage<T, N>>::boxed_slice(P, enable_metrics);
        let len = block.len();
        let rings = Box::into_raw(block);
        // SAFETY: CH-LIFE-1: the block stays allocated until `free_rings`
        // runs in `Shared::drop`; this borrow ends before `Shared` exists.
        let raw: Vec<RawRing<T>> = unsafe { &*rings }
            .iter()
            .map(|r| RawRing::from(r.ring()))
            .collect();
        let inline = InlineRings {
            rings: rings.cast::<()>(),
            len,
            free: free_rings::<T, N>,
        };
        // SAFETY: CH-LIFE-1: `raw` points into `inline`'s block of `P`
        // (= `max_producers`) rings, which `Shared` frees on drop.
        let shared = unsafe { Shared::with_inline(config, inline, &raw) };
        InlineChannel {
            channel: Channel::from_shared(shared),
        }
    }

    /// The channel itself, e.g. to move it away from the wrapper.
    pub fn into_inner(self) -> Channel<T> {
        self.channel
    }
}

impl<T, const N: usize, const P: usize> Default for InlineChannel<T, N, P> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T, const N: usize, const P: usize> Deref for InlineChannel<T, N, P> {
    type Target = Channel<T>;
    fn deref(&self) -> &Channel<T> {
        &self.channel
    }
}

impl<T, const N: usize, const P: usize> DerefMut for InlineChannel<T, N, P> {
    fn deref_mut(&mut self) -> &mut Channel<T> {
        &mut self.channel
    }
}

impl<T, const N: usize, const P: usize> fmt::Debug for InlineChannel<T, N, P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("InlineChannel").field(&self.channel).finish()
    }
}
