//! How a blocked side waits, and the park/wake handshake.
//!
//! The consumer blocks in `recv` when every ring is empty; a producer blocks
//! in `send` when its ring is full. [`WaitStrategy`] chooses between burning
//! a core (lowest latency), yielding, and parking the thread until the other
//! side makes progress — the Disruptor's busy-spin, yielding and blocking
//! strategies.
//!
//! The park handshake (WAIT-1, WAIT-2 in `specs/ring-buffer-invariants.md`)
//! is Dekker-style: the sleeper raises its flag, issues a `SeqCst` fence and
//! checks its condition once more before it sleeps; the waker publishes its
//! progress, issues a `SeqCst` fence and reads the flag. Whichever fence
//! comes first in the single total order, one side sees the other, so a
//! wake-up is never lost. The waker takes the lock only when the flag is up,
//! so producers pay one fence and one load while the consumer is awake.

use std::time::Instant;

use crossbeam_utils::Backoff;

use crate::sync::{
    fence, spin_hint, yield_now, AtomicBool, AtomicUsize, Condvar, Mutex, MutexGuard, Ordering,
};

/// How a blocked consumer (`recv`) or producer (`send`) waits.
///
/// ```
/// use ringmpsc::{Config, WaitStrategy};
///
/// // Dedicated cores, lowest latency:
/// let spin = Config::default().with_wait_strategy(WaitStrategy::BusySpin);
/// // A consumer that is idle most of the time (the default):
/// let park = Config::default().with_wait_strategy(WaitStrategy::Park);
/// assert_ne!(spin, park);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WaitStrategy {
    /// Spin on the CPU until the condition holds. Lowest wake-up latency,
    /// one full core per waiter; producers never pay for waking.
    BusySpin,
    /// Spin briefly, then `yield` the time slice between checks.
    Yield,
    /// Spin briefly, then park the thread until the other side makes
    /// progress. Producers pay a fence and a load per publish to know
    /// whether the consumer sleeps.
    #[default]
    Park,
}

/// The park/wake state of one channel.
#[derive(Debug)]
pub(crate) struct Notifier {
    strategy: WaitStrategy,
    consumer_asleep: AtomicBool,
    producers_asleep: AtomicUsize,
    lock: Mutex<()>,
    consumer_cv: Condvar,
    producer_cv: Condvar,
}

/// Why a wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    Ready,
    TimedOut,
}

impl Notifier {
    pub(crate) fn new(strategy: WaitStrategy) -> Self {
        Notifier {
            strategy,
            consumer_asleep: AtomicBool::new(false),
            producers_asleep: AtomicUsize::new(0),
            lock: Mutex::new(()),
            consumer_cv: Condvar::new(),
            producer_cv: Condvar::new(),
        }
    }

    pub(crate) fn parks(&self) -> bool {
        self.strategy == WaitStrategy::Park
    }

    fn lock(&self) -> MutexGuard<'_, ()> {
        // The lock guards no data, so a poisoned lock is still usable.
        self.lock.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Producer side, after publishing: wakes the consumer if it sleeps.
    #[inline]
    pub(crate) fn wake_consumer(&self) {
        if !self.parks() {
            return;
        }
        // SeqCst fence: orders our `tail` store before the flag load
        // (WAIT-1); pairs with the fence in `wait` on the consumer side.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if self.consumer_asleep.load(Ordering::Relaxed) {
            self.pass_lock();
            self.consumer_cv.notify_one();
        }
    }

    /// Consumer side, after freeing slots: wakes producers blocked on a
    /// full ring (WAIT-2).
    #[inline]
    pub(crate) fn wake_producers(&self) {
        if !self.parks() {
            return;
        }
        // SeqCst fence: orders our `head` store before the counter load;
        // pairs with the fence in `wait` on the producer side.
        fence(Ordering::SeqCst);
        // Relaxed: ordered by the fence above.
        if self.producers_asleep.load(Ordering::Relaxed) > 0 {
            self.pass_lock();
            self.producer_cv.notify_all();
        }
    }

    /// Wakes every sleeper on either side (close, disconnect).
    pub(crate) fn wake_all(&self) {
        // SeqCst fence: the state change that precedes this call is ordered
        // before the sleepers' re-check (WAIT-1, WAIT-2).
        fence(Ordering::SeqCst);
        self.pass_lock();
        self.consumer_cv.notify_all();
        self.producer_cv.notify_all();
    }

    /// Takes and releases the lock: a sleeper whose flag we saw holds it
    /// from raising the flag until its wait has begun, so once we get it
    /// the sleeper is waiting and the notification that follows reaches it.
    /// Notifying after the release spares the woken thread from blocking
    /// again on a lock we still hold.
    fn pass_lock(&self) {
        drop(self.lock());
    }

    /// Consumer side: waits until `ready()` or the deadline.
    pub(crate) fn wait_consumer(&self, ready: impl FnMut() -> bool, deadline: Option<Instant>) -> Wake {
        self.wait(ready, deadline, Side::Consumer)
    }

    /// Producer side: waits until `ready()` or the deadline.
    pub(crate) fn wait_producer(&self, ready: impl FnMut() -> bool, deadline: Option<Instant>) -> Wake {
        self.wait(ready, deadline, Side::Producer)
    }

    fn wait(&self, mut ready: impl FnMut() -> bool, deadline: Option<Instant>, side: Side) -> Wake {
        let expired = |deadline: Option<Instant>| deadline.is_some_and(|d| Instant::now() >= d);
        match self.strategy {
            WaitStrategy::BusySpin => loop {
                if ready() {
                    return Wake::Ready;
                }
                if expired(deadline) {
                    return Wake::TimedOut;
                }
                spin_hint();
            },
            WaitStrategy::Yield => {
                let backoff = Backoff::new();
                loop {
                    if ready() {
                        return Wake::Ready;
                    }
                    if expired(deadline) {
                        return Wake::TimedOut;
                    }
                    if cfg!(loom) {
                        yield_now();
                    } else {
                        backoff.snooze();
                    }
                }
            }
            WaitStrategy::Park => {
                // A short spin first: a wake-up that comes within a few
                // microseconds costs no syscall. Skipped under loom, where
                // each spin step multiplies the explored interleavings.
                if !cfg!(loom) {
                    let backoff = Backoff::new();
                    while !backoff.is_completed() {
                        if ready() {
                            return Wake::Ready;
                        }
                        backoff.snooze();
                    }
                }
                self.park(ready, deadline, side)
            }
        }
    }

    fn park(&self, mut ready: impl FnMut() -> bool, deadline: Option<Instant>, side: Side) -> Wake {
        let mut guard = self.lock();
        loop {
            match side {
                // Relaxed: ordered by the fence below; written under the lock.
                Side::Consumer => self.consumer_asleep.store(true, Ordering::Relaxed),
                Side::Producer => {
                    self.producers_asleep.fetch_add(1, Ordering::Relaxed);
                }
            }
            // SeqCst fence: orders the flag store before the re-check of
            // `ready`; pairs with the fence in `wake_consumer` /
            // `wake_producers` (WAIT-1, WAIT-2).
            fence(Ordering::SeqCst);
            let is_ready = ready();
            let timed_out = !is_ready && {
                let cv = match side {
                    Side::Consumer => &self.consumer_cv,
                    Side::Producer => &self.producer_cv,
                };
                match deadline {
                    None => {
                        guard = cv.wait(guard).unwrap_or_else(|e| e.into_inner());
                        false
                    }
                    Some(d) => {
                        let now = Instant::now();
                        if now >= d {
                            true
                        } else {
                            guard = cv
                                .wait_timeout(guard, d - now)
                                .unwrap_or_else(|e| e.into_inner())
                                .0;
                            false
                        }
                    }
                }
            };
            match side {
                // Relaxed: only read behind the fences above.
                Side::Consumer => self.consumer_asleep.store(false, Ordering::Relaxed),
                Side::Producer => {
                    self.producers_asleep.fetch_sub(1, Ordering::Relaxed);
                }
            }
            if is_ready {
                return Wake::Ready;
            }
            if timed_out {
                return Wake::TimedOut;
            }
            // Woken (or spuriously): loop to re-check under the protocol.
        }
    }
}

/// Wakes blocked producers when a consume call ends, if it freed slots:
/// `consumed > 0`, or a handler panicked (the values handed out before the
/// panic are consumed, RB-PANIC-1). An empty poll pays nothing.
pub(crate) struct WakeProducersOnDrop<'a> {
    notifier: &'a Notifier,
    pub(crate) consumed: usize,
}

impl<'a> WakeProducersOnDrop<'a> {
    pub(crate) fn new(notifier: &'a Notifier) -> Self {
        WakeProducersOnDrop {
            notifier,
            consumed: 0,
        }
    }
}

impl Drop for WakeProducersOnDrop<'_> {
    fn drop(&mut self) {
        if self.consumed > 0 || std::thread::panicking() {
            self.notifier.wake_producers();
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Consumer,
    Producer,
}
