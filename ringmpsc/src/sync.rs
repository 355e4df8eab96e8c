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
    // `fence`: the barrier fallback where `membarrier` is not built in.
    #[allow(unused_imports)]
    pub(crate) use std::sync::atomic::fence;
    pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering};
    pub(crate) use std::sync::{Arc, Mutex, MutexGuard};

    /// Parking and waking threads.
    pub(crate) mod thread {
        pub(crate) use std::thread::{current, park, park_timeout, Thread};
    }

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

    /// Issues the prefetch instruction `$x86` (x86-64) or `prfm $arm`
    /// (aarch64) for the line of `$address`; nothing elsewhere, nor under
    /// miri, which does not run inline assembly.
    macro_rules! prefetch {
        ($address:expr, $x86:literal, $arm:literal) => {{
            let address = $address;
            #[cfg(all(target_arch = "x86_64", not(miri)))]
            // SAFETY: HINT-1: a prefetch is a hint: it accesses no memory
            // architecturally and cannot fault, so any address is fine. On
            // x86-64 CPUs without `prefetchw` it is a no-op (it lies in the
            // NOP space).
            unsafe {
                std::arch::asm!(concat!($x86, " [{0}]"), in(reg) address, options(nostack, preserves_flags, readonly));
            }
            #[cfg(all(target_arch = "aarch64", not(miri)))]
            // SAFETY: HINT-1: `prfm` is a hint: it accesses no memory
            // architecturally and cannot fault, so any address is fine.
            unsafe {
                std::arch::asm!(concat!("prfm ", $arm, ", [{0}]"), in(reg) address, options(nostack, preserves_flags, readonly));
            }
            #[cfg(not(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri))))]
            let _ = address;
        }};
    }

    /// Asks the CPU to fetch the cache line of `address` for writing
    /// (`prefetchw`, `prfm pstl1keep`), so that a later store does not wait
    /// for the line to come over from another core. A hint: it reads and
    /// writes no memory and never faults, whatever the address. A no-op
    /// elsewhere, and under miri, which does not run inline assembly.
    #[inline(always)]
    pub(crate) fn prefetch_write<T>(address: *const T) {
        prefetch!(address, "prefetchw", "pstl1keep");
    }

    /// Asks the CPU to fetch the cache line of `address` for reading
    /// (`prefetcht0`, `prfm pldl1keep`): a consumer's empty poll names the
    /// slot the next value will be written to. A hint, as
    /// [`prefetch_write`]: it reads and writes no memory and never faults,
    /// whatever the address. A no-op elsewhere, and under miri.
    #[inline(always)]
    pub(crate) fn prefetch_read<T>(address: *const T) {
        prefetch!(address, "prefetcht0", "pldl1keep");
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
    pub(crate) use loom::sync::atomic::{
        fence, AtomicBool, AtomicPtr, AtomicU64, AtomicU8, AtomicUsize, Ordering,
    };
    pub(crate) use loom::sync::{Arc, Mutex, MutexGuard};

    /// Parking and waking threads; loom has no timeouts, so a timed park
    /// is a park (loom tests use no deadlines).
    pub(crate) mod thread {
        pub(crate) use loom::thread::{current, park, Thread};

        pub(crate) fn park_timeout(_: std::time::Duration) {
            park();
        }
    }

    /// Under loom a spin must yield, or the model checker explores the loop forever.
    pub(crate) fn spin_hint() {
        loom::thread::yield_now();
    }

    pub(crate) fn yield_now() {
        loom::thread::yield_now();
    }

    /// A hint only: nothing to model.
    pub(crate) fn prefetch_write<T>(_address: *const T) {}

    /// A hint only: nothing to model.
    pub(crate) fn prefetch_read<T>(_address: *const T) {}
}

pub(crate) use imp::*;

/// The asymmetric barrier pair of the close handshake (CH-CLOSE-1).
///
/// The producer's side is on its fast path and costs a compiler fence; the
/// closing consumer's side is a process-wide barrier, Linux's
/// `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED)`, which runs a full memory
/// barrier on every CPU running a thread of this process. A light and a
/// heavy barrier then order each other's sides as two `SeqCst` fences
/// would. Where `membarrier` is missing (another OS, an old kernel, a
/// sandbox that filters it), and under loom and miri, which model no
/// process-wide barrier, both sides are `SeqCst` fences: the same Dekker
/// handshake, which loom checks.
pub(crate) mod barrier {
    #[cfg(all(target_os = "linux", not(loom), not(miri)))]
    mod process_wide {
        use std::sync::atomic::{AtomicU8, Ordering};

        const UNKNOWN: u8 = 0;
        const MEMBARRIER: u8 = 1;
        const FENCES: u8 = 2;

        /// Whether `membarrier` serves this process; moves once from
        /// `UNKNOWN` and never again, so a producer may keep what it read
        /// ([`Light`](super::Light)). While it is not `MEMBARRIER` the
        /// light side is a real fence, so any mix of the two sides stays
        /// ordered.
        static STATE: AtomicU8 = AtomicU8::new(UNKNOWN);

        /// Registers the process for private expedited barriers, once.
        pub(crate) fn init() -> bool {
            // Relaxed: the state only selects which barrier runs; each
            // choice is correct with either choice on the other side.
            match STATE.load(Ordering::Relaxed) {
                MEMBARRIER => return true,
                FENCES => return false,
                _ => {}
            }
            use rustix::thread::{membarrier, membarrier_query, MembarrierCommand, MembarrierQuery};
            let wanted = MembarrierQuery::PRIVATE_EXPEDITED | MembarrierQuery::REGISTER_PRIVATE_EXPEDITED;
            let ok = membarrier_query().contains(wanted)
                && membarrier(MembarrierCommand::RegisterPrivateExpedited).is_ok();
            let decided = if ok { MEMBARRIER } else { FENCES };
            // The first decision stands, also when two threads race here:
            // a producer that saw `MEMBARRIER` keeps its compiler fence.
            // Relaxed: see above.
            match STATE.compare_exchange(UNKNOWN, decided, Ordering::Relaxed, Ordering::Relaxed) {
                Ok(_) => ok,
                Err(first) => first == MEMBARRIER,
            }
        }

        /// Whether the light side may be a compiler fence: `init` chose
        /// `membarrier`. Once `true`, always `true`.
        #[inline]
        pub(crate) fn membarrier_in_use() -> bool {
            // Relaxed: see `STATE`.
            STATE.load(Ordering::Relaxed) == MEMBARRIER
        }

        pub(crate) fn heavy() {
            if !init()
                || rustix::thread::membarrier(rustix::thread::MembarrierCommand::PrivateExpedited).is_err()
            {
                std::sync::atomic::fence(Ordering::SeqCst);
            }
        }
    }

    #[cfg(not(all(target_os = "linux", not(loom), not(miri))))]
    mod process_wide {
        use crate::sync::{fence, Ordering};

        pub(crate) fn init() -> bool {
            false
        }

        #[inline]
        pub(crate) fn membarrier_in_use() -> bool {
            false
        }

        pub(crate) fn heavy() {
            fence(Ordering::SeqCst);
        }
    }

    /// Sets the barrier up before the first producer runs, so producers
    /// take the cheap side from the start. Idempotent. `true` when the
    /// light side is a compiler fence, from now on for good.
    pub(crate) fn init() -> bool {
        process_wide::init()
    }

    /// The fast side: orders this thread's earlier stores before its later
    /// loads, against a [`heavy`] barrier.
    #[inline]
    pub(crate) fn light() {
        Light::current().issue();
    }

    /// The light side as this process runs it, read once. [`init`] decides
    /// it once and never changes it, so a producer keeps it in its cursor
    /// instead of loading the global state on every publish (measured on
    /// single-item pushes: 1.07x).
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub(crate) struct Light {
        compiler_fence_only: bool,
    }

    impl Light {
        /// A `SeqCst` fence: right whatever [`init`] decides.
        pub(crate) const FENCE: Light = Light {
            compiler_fence_only: false,
        };

        /// As [`init`] decided; a fence while undecided.
        #[inline]
        pub(crate) fn current() -> Light {
            Light {
                compiler_fence_only: process_wide::membarrier_in_use(),
            }
        }

        /// Runs the light side: a compiler fence where `membarrier` serves
        /// the process (its [`heavy`] side is process-wide), else a fence.
        #[inline]
        pub(crate) fn issue(self) {
            if self.compiler_fence_only {
                std::sync::atomic::compiler_fence(crate::sync::Ordering::SeqCst);
            } else {
                crate::sync::fence(crate::sync::Ordering::SeqCst);
            }
        }
    }

    /// A channel producer's load of its signal byte right after a publish
    /// (CH-CLOSE-1, WAIT-1), ordered after the publish in the compiler's
    /// order only: the light side where it is a compiler fence. Where it
    /// is a real fence the byte holds `wait::FENCE`, and the producer
    /// issues [`fence_and_load`] before it trusts the byte.
    ///
    /// On x86-64 the load itself is the ordering (BAR-1): a `mov` in
    /// inline assembly that may read memory, so the compiler keeps every
    /// earlier store before it, and writes none, so it keeps every value it
    /// holds in registers after it. A compiler fence forces both ways:
    /// every pointer of the handle was loaded again after each publish.
    #[cfg(all(target_arch = "x86_64", target_os = "linux", not(loom), not(miri)))]
    #[inline(always)]
    pub(crate) fn load_after_publish(byte: &crate::sync::AtomicU8) -> u8 {
        let value: u32;
        // SAFETY: BAR-1: `byte` is a live `AtomicU8`, and a one-byte `mov`
        // from it is what its Relaxed load compiles to on x86-64 (atomic at
        // the machine level, like every aligned load). The assembly writes
        // only its output register; `readonly` lets it read memory, which
        // keeps the earlier stores before it in the compiler's order.
        unsafe {
            std::arch::asm!(
                "movzx {value:e}, byte ptr [{byte}]",
                byte = in(reg) byte.as_ptr(),
                value = lateout(reg) value,
                options(nostack, preserves_flags, readonly),
            );
        }
        value as u8
    }

    /// See the x86-64 version: a compiler fence, then a Relaxed load.
    #[cfg(not(all(target_arch = "x86_64", target_os = "linux", not(loom), not(miri))))]
    #[inline(always)]
    pub(crate) fn load_after_publish(byte: &crate::sync::AtomicU8) -> u8 {
        std::sync::atomic::compiler_fence(crate::sync::Ordering::SeqCst);
        // Relaxed: ordered by the compiler fence against the sleeper's
        // heavy barrier, or, where `wait::FENCE` is set, read again after
        // `fence_and_load`'s fence.
        byte.load(crate::sync::Ordering::Relaxed)
    }

    /// The light side as a `SeqCst` fence, then a Relaxed load of `byte`:
    /// a producer whose [`load_after_publish`] found `wait::FENCE` (the
    /// process has no `membarrier`). Out of line: the fast path keeps no
    /// fence to reload around.
    #[cold]
    #[inline(never)]
    pub(crate) fn fence_and_load(byte: &crate::sync::AtomicU8) -> u8 {
        crate::sync::fence(crate::sync::Ordering::SeqCst);
        // Relaxed: the fence orders it against the heavy barrier.
        byte.load(crate::sync::Ordering::Relaxed)
    }

    /// The slow side: after it, either every other thread's stores before
    /// its [`light`] barrier are visible here, or this thread's stores
    /// before it are visible to that thread's loads after its [`light`].
    pub(crate) fn heavy() {
        process_wide::heavy();
    }

    #[cfg(all(test, not(loom)))]
    mod tests {
        use super::*;

        /// CH-CLOSE-1: the barrier a producer keeps stays the process's:
        /// `init` decides once, and a later `init` keeps the decision.
        #[test]
        fn the_light_barrier_is_decided_once() {
            let first = process_wide::init();
            assert_eq!(process_wide::init(), first);
            assert_eq!(
                Light::current(),
                Light {
                    compiler_fence_only: first
                }
            );
        }
    }
}
