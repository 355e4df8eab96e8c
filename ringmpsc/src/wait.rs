//! How a blocked side waits, and the wake protocol shared by parked
//! threads and async tasks.
//!
//! The consumer waits when every ring is empty; a producer waits when its
//! ring is full. [`WaitStrategy`] chooses between burning a core (lowest
//! latency), yielding, and sleeping until the other side makes progress —
//! the Disruptor's busy-spin, yielding and blocking strategies.
//!
//! One protocol serves threads and tasks (WAIT-1 .. WAIT-4 in
//! `specs/ring-buffer-invariants.md`). A sleeper — a parked thread or a
//! task's `Waker` — sits in a [`Waiter`]: the consumer's, or the waiter of
//! the one ring a producer waits on. It is Dekker's handshake with an
//! asymmetric barrier pair:
//!
//! - the sleeper stores itself and raises `armed`, issues the *heavy*
//!   barrier, and checks its condition once more before it sleeps (or
//!   returns `Pending`);
//! - the waker publishes its progress (a `tail` or `head` store, a close, a
//!   departure), issues the *light* barrier, and reads `armed`; if raised,
//!   it takes the sleeper and wakes it.
//!
//! In the total order of barriers one side sees the other's store, so a
//! wake-up is never lost. The light side is a compiler fence where the
//! heavy side is a process-wide `membarrier` (see `sync::barrier`), so a
//! producer whose consumer is awake pays one load of `armed` per publish,
//! and the consumer pays one load of a counter per batch; the syscall is
//! paid by the side that is about to sleep anyway. Producers waiting for
//! room are woken only when *their* ring gets room.
//!
//! The consumer's `armed` is one bit of a state byte whose other bit,
//! [`CLOSING`], a close raises before its heavy barrier: a channel's
//! producer reads both in one load after each publish (CH-CLOSE-1), and
//! looks at its ring's `closed` flag only when `CLOSING` is set.

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use crossbeam_utils::Backoff;

use crate::sync::{barrier, fence, spin_hint, thread, yield_now, AtomicU8, AtomicUsize, Mutex, Ordering};

/// How a blocked consumer (`recv`, `ready`) or producer (`send`) waits.
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
///
/// For async waits (`ready_async`, `recv_async`, `send_async`): under
/// `Park` a waiting task costs no CPU and is woken by the other side; under
/// `BusySpin` and `Yield` the other side never pays for waking, so a
/// waiting task wakes itself and is polled again at once — it keeps its
/// executor thread busy, as a spinning thread keeps its core.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum WaitStrategy {
    /// Spin on the CPU until the condition holds. Lowest wake-up latency,
    /// one full core per waiter; producers never pay for waking.
    BusySpin,
    /// Spin briefly, then `yield` the time slice between checks.
    Yield,
    /// Wait actively for up to 50 µs (the consumer spins, checking after
    /// every pause as under `BusySpin`, unless its last sleep outlasted
    /// that; a producer waiting for room spins for up to 10 µs while its
    /// waits stay short, then yields its time slice between checks, so
    /// producers sharing a CPU keep filling their rings), then sleep until
    /// the other side makes progress. Producers pay a load (and a compiler
    /// fence) per publish to know whether the consumer sleeps; while an
    /// async consumer idles (its last wait lasted 1 ms or more), a fence
    /// per publish instead, which spares the consumer a system call per
    /// wait. That ends when a wait of the consumer finds values without
    /// sleeping (`ready_async` finding them at once, `recv`, `recv_async`
    /// or the stream taking one before it waited) or after a short sleep:
    /// a consumer that only polls (`try_recv`, `consume_all`) after an
    /// idle spell leaves its producers fencing until then.
    #[default]
    Park,
}

/// Checks of the condition an async waiter makes before it arms.
const SPIN_BEFORE_ARM: usize = 32;

/// A waiter whose last wait outlasted this after it armed skips its spin
/// the next time: an async waiter's before arming, a consumer thread's
/// before parking (see [`Waiter::spins`]).
const SPIN_PAYS_WITHIN: Duration = SPIN_BEFORE_PARK;

/// An async consumer whose last wait outlasted this after it armed is
/// idle: it arms with a fence while producers fence too (BAR-2). Long
/// enough that a fence per publish for the next batch is nothing against
/// the wait; a wait of a few producer wake-ups (tens of microseconds on a
/// busy machine) is not idle (with 50 µs, `async_spsc` spent 7 % of its
/// samples in the producers' fenced path).
const IDLE_AFTER: Duration = Duration::from_millis(1);

/// How long a parking thread spins before it sleeps.
///
/// Long enough that a producer whose ring a busy consumer keeps draining
/// does not sleep between two of the consumer's visits, so neither side
/// pays a wake-up syscall; short enough that an idle waiter costs next to
/// nothing.
const SPIN_BEFORE_PARK: Duration = Duration::from_micros(50);

/// How long a producer waiting for room spins with pauses before it starts
/// to yield (see [`Pace::Yield`]), while its waits stay short.
///
/// A consumer busy on another CPU frees a full ring a cache line (in a
/// small ring, a value) at a time as it hands the values out (RB-REL-1):
/// a producer that pauses refills it while the handlers run, where one
/// that yields hands its CPU to the producers sharing it, at a few
/// microseconds a switch on a virtual machine, and finds its ring
/// drained dry when it is back. In the back-pressure benchmark (4
/// producers on one CPU, 16 slots each, a consumer of about 110 ns a
/// value on the other) the pause with the early release took the default
/// row from 0.85× kanal to 0.92× (1.065× the yield alone, median of 12
/// alternated rounds); neither alone helped.
const PAUSE_BEFORE_YIELD: Duration = Duration::from_micros(10);

/// A producer whose last wait for room lasted longer than this pauses no
/// more before it yields (see [`Waiter::pauses`]): its consumer was not
/// draining on another CPU, and the pauses would only hold a CPU the
/// consumer may need.
const PAUSE_PAYS_WITHIN: Duration = Duration::from_micros(20);

/// Spin-loop pauses between two checks of a producer that pauses before
/// it yields (see [`Pace::Yield`]): each check reads the consumer's line
/// of `head`, which it then has to take back.
const PAUSES_BETWEEN_CHECKS: u32 = 16;

/// Checks a spinning consumer makes, one after each pause, between two
/// reads of the clock (see [`Pace::Pause`]): the end of the spin and a
/// deadline are noticed at most this many pauses late (a few
/// microseconds at most).
const CHECKS_PER_CLOCK_READ: u32 = 64;

/// What a parking waiter does between two checks of its condition while it
/// spins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pace {
    /// A check after every spin-loop pause, the clock read once in
    /// [`CHECKS_PER_CLOCK_READ`] checks: the consumer, whose wake-up
    /// latency is the channel's. It finds a value as soon as a
    /// busy-spinning one would: in a ping-pong through `recv` on both
    /// sides, a round trip took 0.76× the time it took with pauses
    /// doubling up to 16 between checks and the clock read after each
    /// (level with `BusySpin`), the generated channel's 0.75×; the
    /// throughput rows, where a waiting consumer's checks take the
    /// producer's lines, ran level (0.99–1.04× with loops aligned in both
    /// builds; alternated rounds).
    Pause,
    /// Yield the time slice: a producer waiting for room, after up to
    /// [`PAUSE_BEFORE_YIELD`] of pauses if `pause_first`. Once the pauses
    /// are over, its ring gets room only when the consumer reaches it, so
    /// nothing is lost by checking less often; and where producers share a
    /// CPU, the yield lets the others fill their rings meanwhile instead of
    /// the one that waits holding the CPU for its whole slice while the
    /// consumer drains the others dry. In the back-pressure benchmark (4
    /// producers on one CPU, 16 slots each, a slow consumer) this took the
    /// default row from 0.80× kanal to 0.98× (6 alternated rounds). Alone
    /// on its CPU a yield returns at once (about as long as
    /// [`PAUSES_BETWEEN_CHECKS`] pauses).
    Yield { pause_first: bool },
}

/// The spin of a parking waiter (the Disruptor's phased back-off): `Some`
/// when `ready()` held or the deadline passed within
/// [`SPIN_BEFORE_PARK`], `None` when the waiter should sleep.
fn spin_before_park(ready: &mut impl FnMut() -> bool, deadline: Option<Instant>, pace: Pace) -> Option<Wake> {
    if ready() {
        return Some(Wake::Ready);
    }
    let start = Instant::now();
    let mut spun = Duration::ZERO;
    loop {
        match pace {
            Pace::Yield { pause_first: true } if spun < PAUSE_BEFORE_YIELD => {
                (0..PAUSES_BETWEEN_CHECKS).for_each(|_| spin_hint());
            }
            Pace::Yield { .. } => yield_now(),
            Pace::Pause => {
                for _ in 1..CHECKS_PER_CLOCK_READ {
                    spin_hint();
                    if ready() {
                        return Some(Wake::Ready);
                    }
                }
                spin_hint();
            }
        }
        if ready() {
            return Some(Wake::Ready);
        }
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            return Some(Wake::TimedOut);
        }
        spun = now - start;
        if spun >= SPIN_BEFORE_PARK {
            return None;
        }
    }
}

/// Who sleeps in a [`Waiter`].
#[derive(Debug)]
enum Sleeper {
    Thread(thread::Thread),
    Task(Waker),
}

impl Sleeper {
    fn wake(self) {
        match self {
            Sleeper::Thread(t) => t.unpark(),
            Sleeper::Task(w) => w.wake(),
        }
    }
}

/// A bit of a waiter's state: a sleeper is in it (or about to be).
pub(crate) const ARMED: u8 = 1;

/// A bit of the consumer waiter's state: some ring of the channel is being
/// closed (CH-CLOSE-1). Raised before the closer's heavy barrier, never
/// lowered; a producer that sees it checks its ring's `closed` flag.
pub(crate) const CLOSING: u8 = 2;

/// A bit of the consumer waiter's state: a waker that sees it issues a
/// `SeqCst` fence and loads the state again before it trusts the other
/// bits (`barrier::fence_and_load`, BAR-1). Raised from the waiter's
/// creation and never lowered where the light barrier is a real fence (no
/// `membarrier`; always under loom and miri): a producer's signal load
/// after its publish is then not yet ordered. Where `membarrier` serves,
/// an idle async consumer raises it for a while, so that it can arm with
/// a fence instead of the heavy barrier (BAR-2,
/// `Notifier::idle_fenced`). It puts the fence's test into the test of the
/// signal a push makes anyway.
pub(crate) const FENCE: u8 = 4;

/// A slot for one sleeper: the consumer, or the producer of one ring.
#[derive(Debug)]
pub(crate) struct Waiter {
    /// [`ARMED`] while a sleeper is in `slot` (or about to be): wakers
    /// check it after their light barrier. The consumer's also carries
    /// [`CLOSING`]. Both bits change by read-modify-writes, so neither
    /// overwrites the other.
    state: AtomicU8,
    slot: Mutex<Slot>,
    /// Whether the waiter spins before it arms (an async waiter) or
    /// parks (the consumer's thread): cleared when its last wait, once
    /// armed, lasted longer than [`SPIN_PAYS_WITHIN`], set again by one
    /// that did not. Only the waiting side reads or writes
    /// it, and it takes no part in the wake protocol, so it is a plain
    /// `std` atomic, outside what loom models.
    spins: std::sync::atomic::AtomicBool,
    /// Whether its last armed async wait lasted [`IDLE_AFTER`] or longer;
    /// only the waiting side touches it, as `spins`.
    idles: std::sync::atomic::AtomicBool,
    /// A producer thread waiting for room: whether it pauses before it
    /// yields, cleared when its last wait lasted longer than
    /// [`PAUSE_PAYS_WITHIN`], set again by one that did not. Only the
    /// waiting side touches it, as `spins`.
    pauses: std::sync::atomic::AtomicBool,
}

/// What a [`Waiter`]'s lock guards.
#[derive(Debug, Default)]
struct Slot {
    sleeper: Option<Sleeper>,
    /// When an async waiter first armed in its current wait.
    armed_at: Option<Instant>,
}

impl Waiter {
    pub(crate) fn new() -> Self {
        Self::with_state(0)
    }

    fn with_state(state: u8) -> Self {
        Waiter {
            state: AtomicU8::new(state),
            slot: Mutex::new(Slot::default()),
            spins: std::sync::atomic::AtomicBool::new(true),
            idles: std::sync::atomic::AtomicBool::new(false),
            pauses: std::sync::atomic::AtomicBool::new(true),
        }
    }

    fn slot(&self) -> crate::sync::MutexGuard<'_, Slot> {
        // The slot holds no invariant a panic could break.
        self.slot.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Whether an async waiter should spin before it arms. A spin of
    /// [`SPIN_BEFORE_ARM`] checks catches the other side only when it is a
    /// few hundred nanoseconds away; when the last wait lasted longer than
    /// [`SPIN_PAYS_WITHIN`] the other side is idle, and the spin would only
    /// add CPU time to the moment the waiter is woken again: a task that
    /// shares its CPU with its waker runs later the more CPU it used (in a
    /// harness of the async idle-wake benchmark, the spin and the heavy
    /// barrier each added about 2 µs to every wake-up).
    fn spins(&self) -> bool {
        // Relaxed: see `spins`.
        self.spins.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Whether the last armed async wait lasted [`IDLE_AFTER`] or longer.
    fn idles(&self) -> bool {
        // Relaxed: see `idles`.
        self.idles.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sleeper side, step 1: register, then the caller issues the heavy
    /// barrier and checks its condition again (WAIT-1).
    fn arm(&self, sleeper: Sleeper) {
        let mut slot = self.slot();
        if matches!(sleeper, Sleeper::Task(_)) && !cfg!(loom) {
            slot.armed_at.get_or_insert_with(Instant::now);
        }
        slot.sleeper = Some(sleeper);
        // Relaxed: ordered before the sleeper's re-check by the heavy
        // barrier that follows; the lock orders it with `notify`.
        self.state.fetch_or(ARMED, Ordering::Relaxed);
    }

    /// Sleeper side, when its wait ends: takes itself out and leaves no
    /// registration behind (WAIT-3). `true` when an async wait ends that
    /// armed on the way.
    fn disarm(&self) -> bool {
        let mut slot = self.slot();
        // Relaxed: under the lock, which `notify` also takes.
        self.state.fetch_and(!ARMED, Ordering::Relaxed);
        slot.sleeper = None;
        let armed_at = slot.armed_at.take();
        if let Some(armed_at) = armed_at {
            self.learn(armed_at.elapsed());
        }
        armed_at.is_some()
    }

    /// Remembers how long an async wait lasted once armed: the next wait
    /// spins before it arms only if this one was short, and counts as
    /// idle if this one was long.
    fn learn(&self, armed_for: Duration) {
        self.learn_spin(armed_for);
        // Relaxed: see `idles`.
        self.idles
            .store(armed_for >= IDLE_AFTER, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether a producer thread waiting for room pauses before it yields.
    fn pauses(&self) -> bool {
        // Relaxed: see `pauses`.
        self.pauses.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Remembers how long a producer thread waited for room: the next wait
    /// pauses first only if this one was short.
    fn learn_pause(&self, waited: Duration) {
        // Relaxed: see `pauses`.
        self.pauses
            .store(waited < PAUSE_PAYS_WITHIN, std::sync::atomic::Ordering::Relaxed);
    }

    /// Remembers how long a wait slept: the next one spins first only if
    /// this one was short. A parked consumer thread learns only this (the
    /// idle fence is for tasks, BAR-2).
    fn learn_spin(&self, slept: Duration) {
        // Relaxed: see `spins`.
        self.spins
            .store(slept < SPIN_PAYS_WITHIN, std::sync::atomic::Ordering::Relaxed);
    }

    /// Waker side, after its progress store and a light barrier: wakes the
    /// sleeper if there is one.
    #[inline]
    fn notify(&self) {
        // Relaxed: ordered after the caller's progress store by the light
        // barrier; pairs with the heavy barrier after `arm`.
        self.notify_if_armed(self.state.load(Ordering::Relaxed));
    }

    /// [`notify`](Self::notify) with the state already loaded.
    #[inline]
    fn notify_if_armed(&self, state: u8) {
        if state & ARMED != 0 {
            self.notify_slow();
        }
    }

    #[cold]
    fn notify_slow(&self) {
        let sleeper = {
            let mut slot = self.slot();
            // Relaxed: under the lock.
            self.state.fetch_and(!ARMED, Ordering::Relaxed);
            slot.sleeper.take()
        };
        // Woken outside the lock, so the sleeper does not block on it.
        if let Some(sleeper) = sleeper {
            sleeper.wake();
        }
    }
}

/// The park/wake state of one channel: the consumer's waiter and one
/// waiter per ring for its producer.
#[derive(Debug)]
pub(crate) struct Notifier {
    strategy: WaitStrategy,
    consumer: Waiter,
    /// Producers waiting for room on some ring; the consumer reads it after
    /// each batch and looks at the rings' waiters only when it is not zero.
    producers_waiting: AtomicUsize,
    /// `rooms[i]`: the producer of ring `i` waiting for room.
    rooms: Box<[Waiter]>,
    /// Whether the consumer may raise [`FENCE`] while idle (BAR-2): the
    /// light side is a compiler fence, so the bit is not already up for
    /// good.
    may_idle_fence: bool,
}

/// Why a blocking wait ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Wake {
    /// The condition held, found without sleeping.
    Ready,
    /// The condition held after the thread slept: the wait was idle.
    Slept,
    TimedOut,
}

/// Which side waits.
#[derive(Debug, Clone, Copy)]
enum Side {
    Consumer,
    /// The producer of ring `i`.
    Producer(usize),
}

impl Side {
    /// Whether a parking thread on this side spins before it parks: a
    /// producer always (its pauses and then yields keep producers that
    /// share a CPU filling their rings, see [`Pace::Yield`]); the consumer
    /// unless its last sleep outlasted the spin.
    fn spins_before_park(self, notifier: &Notifier) -> bool {
        match self {
            Side::Consumer => notifier.consumer.spins(),
            Side::Producer(_) => true,
        }
    }

    fn pace(self, notifier: &Notifier) -> Pace {
        match self {
            Side::Consumer => Pace::Pause,
            Side::Producer(i) => Pace::Yield {
                pause_first: notifier.rooms[i].pauses(),
            },
        }
    }
}

impl Notifier {
    /// The state for a channel of at most `rings` rings.
    pub(crate) fn new(strategy: WaitStrategy, rings: usize) -> Self {
        // Decided here, before the state byte and before any producer of
        // the channel exists, so producers take the cheap side from their
        // first publish: `FENCE` only where their light side is a real
        // fence, for the channel's whole life (CH-CLOSE-1, BAR-1).
        let fence = if barrier::init() { 0 } else { FENCE };
        Notifier {
            strategy,
            consumer: Waiter::with_state(fence),
            producers_waiting: AtomicUsize::new(0),
            rooms: (0..rings).map(|_| Waiter::new()).collect(),
            may_idle_fence: fence == 0,
        }
    }

    /// Whether waiters sleep (and so must be woken).
    pub(crate) fn parks(&self) -> bool {
        self.strategy == WaitStrategy::Park
    }

    /// Producer side, after a reservation's commit: wakes the consumer if
    /// it sleeps (WAIT-1). `fenced`: a light barrier already follows the
    /// `tail` store (a channel's commit issues one for its close check,
    /// CH-CLOSE-1), so it is not paid twice. A push loads the state itself
    /// and calls [`wake_consumer_seen`](Self::wake_consumer_seen).
    #[inline]
    pub(crate) fn wake_consumer(&self, fenced: bool) {
        if !fenced {
            // Light barrier: orders our `tail` store before the `armed`
            // load; pairs with the heavy barrier in the consumer's wait.
            barrier::light();
        }
        // The barrier, ours or the publish's, orders the `tail` store
        // before this `armed` load: a barrier orders every earlier store
        // before every later load, whatever loads come between.
        self.consumer.notify_if_armed(self.consumer_state());
    }

    /// A waker's load of the consumer's state after its light barrier:
    /// loaded again after a fence if an idle consumer raised [`FENCE`]
    /// (BAR-2). Where the bit is up for good the light barrier is already
    /// a fence, and the first load stands.
    #[inline]
    fn consumer_state(&self) -> u8 {
        // Relaxed: ordered by the caller's light barrier, or by the fence.
        let state = self.consumer.state.load(Ordering::Relaxed);
        if state & FENCE != 0 && self.may_idle_fence {
            return barrier::fence_and_load(&self.consumer.state);
        }
        state
    }

    /// The byte a channel producer loads after its publish, for both
    /// [`ARMED`] (the consumer sleeps, WAIT-1) and [`CLOSING`]
    /// (CH-CLOSE-1), and [`FENCE`] (BAR-1); see `RingRef::push_signalled`.
    #[inline]
    pub(crate) fn signal(&self) -> &AtomicU8 {
        &self.consumer.state
    }

    /// Producer side: wakes the consumer if `seen`, the [`signal`](Self::signal)
    /// loaded after a publish and a light barrier, says it is armed (WAIT-1).
    #[inline]
    pub(crate) fn wake_consumer_seen(&self, seen: u8) {
        self.consumer.notify_if_armed(seen);
    }

    /// Consumer side, after a consume call: wakes the producers waiting for
    /// room on the rings in `touched` (bit `i` for ring `i`), WAIT-2.
    #[inline]
    pub(crate) fn wake_producers(&self, touched: u128) {
        if !self.parks() {
            return;
        }
        // Light barrier: orders our `head` stores before the counter load;
        // pairs with the heavy barrier in the producer's wait.
        barrier::light();
        // Relaxed: ordered by the barrier pair, as `armed`.
        if self.producers_waiting.load(Ordering::Relaxed) > 0 {
            self.wake_rooms(touched);
        }
    }

    #[cold]
    fn wake_rooms(&self, touched: u128) {
        let mut bits = touched;
        while bits != 0 {
            let i = bits.trailing_zeros() as usize;
            bits &= bits - 1;
            if let Some(room) = self.rooms.get(i) {
                room.notify();
            }
        }
    }

    /// Wakes every sleeper on either side (close, disconnect), WAIT-4.
    pub(crate) fn wake_all(&self) {
        // Light barrier: the state change before this call is ordered
        // before the `armed` loads; pairs with the sleepers' heavy barrier.
        barrier::light();
        self.consumer.notify_if_armed(self.consumer_state());
        self.rooms.iter().for_each(Waiter::notify);
    }

    fn waiter(&self, side: Side) -> &Waiter {
        match side {
            Side::Consumer => &self.consumer,
            Side::Producer(i) => &self.rooms[i],
        }
    }

    /// Consumer side: blocks until `ready()` or the deadline.
    pub(crate) fn wait_consumer(&self, ready: impl FnMut() -> bool, deadline: Option<Instant>) -> Wake {
        self.wait(ready, deadline, Side::Consumer)
    }

    /// Producer of ring `ring`: blocks until `ready()` or the deadline.
    pub(crate) fn wait_producer(
        &self,
        ring: usize,
        ready: impl FnMut() -> bool,
        deadline: Option<Instant>,
    ) -> Wake {
        self.wait(ready, deadline, Side::Producer(ring))
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
            WaitStrategy::Park => match side {
                // A producer times a wait that its first check does not
                // end (two clock reads beside at least a pause or a
                // yield), so that its next one pauses before yielding only
                // if this one was short.
                Side::Producer(i) if !cfg!(loom) => {
                    if ready() {
                        return Wake::Ready;
                    }
                    let began = Instant::now();
                    let wake = self.spin_then_park(ready, deadline, side);
                    self.rooms[i].learn_pause(began.elapsed());
                    wake
                }
                _ => self.spin_then_park(ready, deadline, side),
            },
        }
    }

    fn spin_then_park(&self, mut ready: impl FnMut() -> bool, deadline: Option<Instant>, side: Side) -> Wake {
        // Spin first: a wake-up that comes within the spin costs no
        // syscall on either side. Skipped under loom, where each spin step
        // multiplies the explored interleavings, and by a consumer whose
        // last sleep a spin could not have shortened (`Waiter::spins`).
        if !cfg!(loom) && side.spins_before_park(self) {
            if let Some(wake) = spin_before_park(&mut ready, deadline, side.pace(self)) {
                if wake == Wake::Ready {
                    // Values came without a sleep: not idle.
                    self.end_idle_fence(side);
                }
                return wake;
            }
        }
        self.park(ready, deadline, side)
    }

    fn park(&self, ready: impl FnMut() -> bool, deadline: Option<Instant>, side: Side) -> Wake {
        if cfg!(loom) || !matches!(side, Side::Consumer) {
            return self.park_untimed(ready, deadline, side);
        }
        // A consumer times its sleep (two clock reads beside a system
        // call), so that its next wait spins only if this one was short.
        let parked_at = Instant::now();
        let wake = self.park_untimed(ready, deadline, side);
        self.consumer.learn_spin(parked_at.elapsed());
        wake
    }

    fn park_untimed(&self, mut ready: impl FnMut() -> bool, deadline: Option<Instant>, side: Side) -> Wake {
        let waiter = self.waiter(side);
        let mut registered = false;
        self.count_waiting(side, &mut registered);
        let _uncount = Uncount { notifier: self, side };
        let mut slept = false;
        loop {
            waiter.arm(Sleeper::Thread(thread::current()));
            // Orders `armed` before the re-check of `ready`; pairs with the
            // wakers' light barrier (WAIT-1, WAIT-2, BAR-2).
            self.armed_barrier(side, false);
            if ready() {
                waiter.disarm();
                return if slept { Wake::Slept } else { Wake::Ready };
            }
            match deadline {
                None => thread::park(),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        waiter.disarm();
                        return Wake::TimedOut;
                    }
                    thread::park_timeout(d - now);
                }
            }
            slept = true;
            waiter.disarm();
            // Most wake-ups are real: look before arming again, so that a
            // woken thread does not pay a second heavy barrier (a syscall
            // that interrupts the other CPUs running this process, among
            // them the waker) before it gets to work.
            if ready() {
                return Wake::Slept;
            }
            // Timed out or spurious: start over under the protocol.
        }
    }

    /// Counts a waiting producer once per wait (`registered` says whether
    /// it is counted already).
    fn count_waiting(&self, side: Side, registered: &mut bool) {
        if let (Side::Producer(_), false) = (side, *registered) {
            // Relaxed: ordered before the waiter's re-check by the heavy
            // barrier that follows its `arm`.
            self.producers_waiting.fetch_add(1, Ordering::Relaxed);
            *registered = true;
        }
    }

    /// Undoes [`count_waiting`](Self::count_waiting).
    fn uncount_waiting(&self, side: Side, registered: &mut bool) {
        if let (Side::Producer(_), true) = (side, *registered) {
            // Relaxed: a hint; a stale non-zero value only costs a look.
            self.producers_waiting.fetch_sub(1, Ordering::Relaxed);
            *registered = false;
        }
    }

    /// Async consumer: `Ready` once `ready()`; else registers the task's
    /// waker (WAIT-3) and returns `Pending`.
    pub(crate) fn poll_consumer(&self, cx: &mut Context<'_>, ready: impl FnMut() -> bool) -> Poll<()> {
        self.poll(cx, ready, Side::Consumer, &mut false)
    }

    /// Async producer of ring `ring`: as [`poll_consumer`](Self::poll_consumer).
    /// `registered` is the future's own registration, released when it is
    /// ready or by [`cancel_producer`](Self::cancel_producer).
    pub(crate) fn poll_producer(
        &self,
        ring: usize,
        cx: &mut Context<'_>,
        ready: impl FnMut() -> bool,
        registered: &mut bool,
    ) -> Poll<()> {
        self.poll(cx, ready, Side::Producer(ring), registered)
    }

    fn poll(
        &self,
        cx: &mut Context<'_>,
        mut ready: impl FnMut() -> bool,
        side: Side,
        registered: &mut bool,
    ) -> Poll<()> {
        let waiter = self.waiter(side);
        if ready() {
            self.finish(side, registered);
            return Poll::Ready(());
        }
        if !self.parks() {
            // Nobody wakes us under `BusySpin`/`Yield`: poll again soon.
            cx.waker().wake_by_ref();
            return Poll::Pending;
        }
        // A short spin first, as a parking thread spins: the other side is
        // often a few hundred nanoseconds away, and arming costs the heavy
        // barrier. Bounded well below a microsecond's worth of checks per
        // poll, so the executor thread is not held. Skipped under loom, and
        // after a wait that a spin could not have caught (`spins`).
        if !cfg!(loom) && waiter.spins() {
            for _ in 0..SPIN_BEFORE_ARM {
                spin_hint();
                if ready() {
                    self.finish(side, registered);
                    return Poll::Ready(());
                }
            }
        }
        self.count_waiting(side, registered);
        waiter.arm(Sleeper::Task(cx.waker().clone()));
        // As in `park` (WAIT-3, BAR-2).
        self.armed_barrier(side, true);
        if ready() {
            self.finish(side, registered);
            return Poll::Ready(());
        }
        Poll::Pending
    }

    fn finish(&self, side: Side, registered: &mut bool) {
        if self.parks() {
            let armed = self.waiter(side).disarm();
            if !armed || !self.waiter(side).idles() {
                // Values came without an armed wait, or after a short one:
                // not idle.
                self.end_idle_fence(side);
            }
        }
        self.uncount_waiting(side, registered);
    }

    /// The sleeper's barrier between `arm` and its last check (WAIT-1,
    /// WAIT-2, WAIT-3): the heavy barrier, except for a consumer that has
    /// [`FENCE`] raised while idle, which issues a `SeqCst` fence, since
    /// every waker then fences too (BAR-2). An async consumer whose last
    /// armed wait was idle ([`IDLE_AFTER`]) raises the bit here, before
    /// the heavy barrier this arm pays anyway: from then on its arms cost
    /// a fence, not a system call, and each publish costs its producer a
    /// fence, until the consumer finds values without an armed wait or
    /// after a short one ([`end_idle_fence`](Self::end_idle_fence)). In
    /// a harness of the async idle-wake benchmark the system call, run by
    /// the consumer while the worker that will wake it waits for the CPU,
    /// added about 2 µs to every wake-up.
    fn armed_barrier(&self, side: Side, task: bool) {
        if let Side::Consumer = side {
            if self.idle_fenced() {
                fence(Ordering::SeqCst);
                return;
            }
            if task && self.may_idle_fence && self.consumer.idles() {
                // BAR-2: raised before the heavy barrier, so every waker's
                // state load after it sees the bit. Relaxed: the barrier
                // orders it; only the consumer lowers it.
                self.consumer.state.fetch_or(FENCE, Ordering::Relaxed);
            }
        }
        barrier::heavy();
    }

    /// Lowers the consumer's idle [`FENCE`], if raised (BAR-2): producers
    /// publish with their compiler fence again, and the consumer's next
    /// arm issues the heavy barrier.
    fn end_idle_fence(&self, side: Side) {
        if let Side::Consumer = side {
            if self.idle_fenced() {
                // Relaxed: lowering needs no order; a waker that still sees
                // the bit only fences once more.
                self.consumer.state.fetch_and(!FENCE, Ordering::Relaxed);
            }
        }
    }

    /// Whether the consumer has [`FENCE`] raised while idle (BAR-2): where
    /// it may raise it, only the consumer raises and lowers the bit, so
    /// the bit is the whole record. Only the consumer asks.
    fn idle_fenced(&self) -> bool {
        // Relaxed: the consumer reads back its own stores of the bit.
        self.may_idle_fence && self.consumer.state.load(Ordering::Relaxed) & FENCE != 0
    }

    /// The consumer took a value without waiting for it (`recv`, or a
    /// first poll of `recv_async` or the stream, that found one): it is
    /// not idle, so producers go back to their compiler fence (BAR-2), as
    /// when a wait finds values at once. One load while the bit is down;
    /// where it is up for good (no `membarrier`), a second one, no call.
    #[inline]
    pub(crate) fn values_came_unasked(&self) {
        // Relaxed: the consumer reads back its own stores of the bit; the
        // bit's test comes first, so the usual case is this one load.
        if self.consumer.state.load(Ordering::Relaxed) & FENCE != 0 && self.may_idle_fence {
            self.lower_idle_fence();
        }
    }

    /// [`values_came_unasked`](Self::values_came_unasked) with the bit
    /// raised for an idle spell: lowered.
    #[cold]
    fn lower_idle_fence(&self) {
        if self.parks() {
            self.end_idle_fence(Side::Consumer);
        }
    }

    /// Whether the consumer has the idle fence up, for tests; `None`
    /// where it is never raised (no `membarrier`: the light side is a
    /// fence anyway).
    #[cfg(all(test, not(loom)))]
    pub(crate) fn consumer_idle_fenced(&self) -> Option<bool> {
        self.may_idle_fence.then(|| self.idle_fenced())
    }

    /// Whether the consumer is armed, for tests that wake it only once it
    /// sleeps.
    #[cfg(all(test, not(loom)))]
    pub(crate) fn consumer_armed(&self) -> bool {
        self.consumer.state.load(Ordering::Relaxed) & ARMED != 0
    }

    /// A waiting future is dropped: it leaves no registration (WAIT-3).
    pub(crate) fn cancel_consumer(&self) {
        self.consumer.disarm();
    }

    /// As [`cancel_consumer`](Self::cancel_consumer), for the producer of
    /// ring `ring`.
    pub(crate) fn cancel_producer(&self, ring: usize, registered: &mut bool) {
        if *registered {
            self.rooms[ring].disarm();
            self.uncount_waiting(Side::Producer(ring), registered);
        }
    }
}

/// Uncounts a blocked producer however its wait ends (also by a panic in
/// its condition).
struct Uncount<'a> {
    notifier: &'a Notifier,
    side: Side,
}

impl Drop for Uncount<'_> {
    fn drop(&mut self) {
        self.notifier.uncount_waiting(self.side, &mut true);
    }
}

/// Wakes the producers waiting on the rings a consume call touched when it
/// ends, if it freed slots: `consumed > 0`, or a handler panicked (the
/// values handed out before the panic are consumed, RB-PANIC-1). An empty
/// poll pays nothing.
pub(crate) struct WakeProducersOnDrop<'a> {
    notifier: &'a Notifier,
    pub(crate) consumed: usize,
    /// Bit `i`: ring `i` was consumed from.
    pub(crate) touched: u128,
}

impl<'a> WakeProducersOnDrop<'a> {
    pub(crate) fn new(notifier: &'a Notifier) -> Self {
        WakeProducersOnDrop {
            notifier,
            consumed: 0,
            touched: 0,
        }
    }
}

impl Drop for WakeProducersOnDrop<'_> {
    fn drop(&mut self) {
        if self.consumed > 0 || std::thread::panicking() {
            self.notifier.wake_producers(self.touched);
        }
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// The pre-park spin ends as soon as the condition holds, honours a
    /// deadline, and otherwise hands over to parking. No timing decides
    /// the outcome: the second check always comes before the spin first
    /// compares the clock (miri runs far slower than the 50 µs spin).
    #[test]
    fn spin_before_park_ends_on_ready_deadline_or_spin() {
        for pace in [
            Pace::Pause,
            Pace::Yield { pause_first: false },
            Pace::Yield { pause_first: true },
        ] {
            let mut checks = 0;
            let mut second = || {
                checks += 1;
                checks == 2
            };
            assert_eq!(spin_before_park(&mut second, None, pace), Some(Wake::Ready));
            assert_eq!(checks, 2, "{pace:?}: stops at the first check that holds");
            let passed = Some(Instant::now());
            assert_eq!(
                spin_before_park(&mut || false, passed, pace),
                Some(Wake::TimedOut)
            );
            assert_eq!(
                spin_before_park(&mut || false, None, pace),
                None,
                "{pace:?}: park after the spin"
            );
        }
    }

    /// An async waiter's spin before arming follows its last armed wait:
    /// off after one longer than `SPIN_PAYS_WITHIN`, on after a shorter one.
    #[test]
    fn an_async_waiter_spins_again_only_after_a_short_wait() {
        let waiter = Waiter::new();
        assert!(waiter.spins(), "a new waiter spins first");
        assert!(!waiter.idles());
        waiter.learn(SPIN_PAYS_WITHIN * 2);
        assert!(!waiter.spins(), "a long wait turns the spin off");
        assert!(!waiter.idles(), "not idle yet");
        waiter.learn(IDLE_AFTER);
        assert!(waiter.idles(), "idle from `IDLE_AFTER` on");
        waiter.learn(SPIN_PAYS_WITHIN / 2);
        assert!(waiter.spins(), "a short one turns it back on");
        assert!(!waiter.idles());
    }

    /// A producer thread waiting for room pauses before it yields only
    /// while its waits stay short: off after a wait longer than
    /// `PAUSE_PAYS_WITHIN` (its consumer was not draining on another CPU),
    /// on again after a short one; a wait its first check ends is not
    /// timed and changes nothing. No timing decides the outcome: the long
    /// wait's condition holds only `2 * PAUSE_PAYS_WITHIN` after its second
    /// check, which the wait makes once it has started its clock (a slow
    /// start, as under an emulator, only lengthens it), and the short
    /// wait's length is given, not measured.
    #[test]
    fn a_producer_pauses_before_yielding_only_after_a_short_wait() {
        let notifier = Notifier::new(WaitStrategy::Park, 1);
        let pauses = || notifier.rooms[0].pauses();
        assert!(pauses(), "a new producer pauses first");
        let (mut checks, mut end) = (0, None);
        notifier.wait_producer(
            0,
            || {
                checks += 1;
                let now = Instant::now();
                checks > 1 && now >= *end.get_or_insert(now + PAUSE_PAYS_WITHIN * 2)
            },
            None,
        );
        assert!(checks > 2, "the wait went on past its second check");
        assert!(!pauses(), "a long wait turns the pause off");
        notifier.wait_producer(0, || true, None);
        assert!(!pauses(), "a wait its first check ends leaves it off");
        notifier.rooms[0].learn_pause(PAUSE_PAYS_WITHIN / 2);
        assert!(pauses(), "a short wait turns it back on");
    }

    /// A consumer thread's spin before parking follows its last sleep: off
    /// after one longer than `SPIN_PAYS_WITHIN` (an idle consumer would
    /// spin for nothing after every value), on after a short one. A
    /// producer always spins (its yields let producers sharing a CPU fill
    /// their rings). No timing decides the outcome: the long sleep ends
    /// only after a `sleep` that started once the consumer had armed, and
    /// whether a wait spun shows in its first check, made before arming
    /// (a spin) or after (none).
    #[test]
    #[cfg_attr(miri, ignore = "sleeps to make a long park")]
    fn a_consumer_thread_spins_again_only_after_a_short_sleep() {
        let notifier = Notifier::new(WaitStrategy::Park, 1);
        let armed = || notifier.consumer.state.load(Ordering::Relaxed) & ARMED != 0;
        assert!(
            Side::Consumer.spins_before_park(&notifier),
            "a new consumer spins first"
        );
        let woken = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !armed() {
                    std::thread::yield_now();
                }
                std::thread::sleep(SPIN_PAYS_WITHIN * 2);
                woken.store(true, std::sync::atomic::Ordering::Release);
                notifier.wake_consumer(false);
            });
            let ready = || woken.load(std::sync::atomic::Ordering::Acquire);
            assert_eq!(notifier.wait(ready, None, Side::Consumer), Wake::Slept);
        });
        assert!(
            !Side::Consumer.spins_before_park(&notifier),
            "a long sleep turns the spin off"
        );
        assert!(
            Side::Producer(0).spins_before_park(&notifier),
            "a producer spins whatever the consumer learnt"
        );
        // The first check of the next wait comes after arming: no spin.
        let first_check_armed = |notifier: &Notifier| {
            let mut first = None;
            let ready = || {
                first.get_or_insert_with(armed);
                true
            };
            assert_eq!(notifier.wait(ready, None, Side::Consumer), Wake::Ready);
            first.unwrap()
        };
        assert!(first_check_armed(&notifier), "after a long sleep: parks at once");
        notifier.consumer.learn_spin(SPIN_PAYS_WITHIN / 2);
        assert!(!first_check_armed(&notifier), "after a short one: spins first");
    }

    /// Only a task's wait is timed (a thread spins by `spin_before_park`),
    /// from its first arm to its disarm.
    #[test]
    fn only_task_sleepers_are_timed() {
        let waiter = Waiter::new();
        waiter.arm(Sleeper::Thread(thread::current()));
        assert!(
            waiter.slot().armed_at.is_none(),
            "a parked thread spins by its own rule"
        );
        waiter.disarm();
        waiter.arm(Sleeper::Task(Waker::noop().clone()));
        let armed_at = waiter.slot().armed_at;
        assert!(armed_at.is_some());
        waiter.arm(Sleeper::Task(Waker::noop().clone()));
        assert_eq!(
            waiter.slot().armed_at,
            armed_at,
            "re-arming keeps the wait's start"
        );
        waiter.disarm();
        assert!(waiter.slot().armed_at.is_none(), "disarming ends the wait");
    }

    /// BAR-2: an async consumer whose last armed wait was long raises
    /// `FENCE` when it next arms, wakers reach it through the fenced load,
    /// and the bit comes down once values come without an armed wait or
    /// after a short one.
    #[test]
    #[cfg_attr(miri, ignore = "miri has no membarrier, so no idle fence")]
    fn an_idle_async_consumer_fences_until_values_come_unasked() {
        let notifier = Notifier::new(WaitStrategy::Park, 1);
        if !notifier.may_idle_fence {
            eprintln!("no membarrier here: the fence is up for good");
            return;
        }
        let mut cx = Context::from_waker(Waker::noop());
        let state = || notifier.consumer.state.load(Ordering::Relaxed);
        assert!(notifier.poll_consumer(&mut cx, || false).is_pending());
        assert_eq!(state() & FENCE, 0, "a first wait uses the heavy barrier");
        std::thread::sleep(IDLE_AFTER * 2);
        assert!(notifier.poll_consumer(&mut cx, || true).is_ready());
        assert_eq!(state() & FENCE, 0, "raised only when it arms again");
        assert!(notifier.poll_consumer(&mut cx, || false).is_pending());
        assert_eq!(state() & (FENCE | ARMED), FENCE | ARMED, "idle: raised");
        notifier.wake_consumer(false);
        assert_eq!(state() & ARMED, 0, "the waker took the sleeper");
        std::thread::sleep(IDLE_AFTER * 2);
        assert!(notifier.poll_consumer(&mut cx, || true).is_ready());
        assert_ne!(state() & FENCE, 0, "a long woken wait keeps it");
        assert!(notifier.poll_consumer(&mut cx, || true).is_ready());
        assert_eq!(state() & FENCE, 0, "values without a wait lower it");
        assert!(!notifier.idle_fenced());
        // Raised again, then lowered by a short armed wait.
        std::thread::sleep(IDLE_AFTER * 2);
        assert!(notifier.poll_consumer(&mut cx, || false).is_pending());
        std::thread::sleep(IDLE_AFTER * 2);
        assert!(notifier.poll_consumer(&mut cx, || true).is_ready());
        assert!(notifier.poll_consumer(&mut cx, || false).is_pending());
        assert_ne!(state() & FENCE, 0, "idle again: raised");
        // Armed "from the future": a short wait whatever the scheduler does.
        notifier.consumer.slot().armed_at = Some(Instant::now() + IDLE_AFTER * 1000);
        assert!(notifier.poll_consumer(&mut cx, || true).is_ready());
        assert_eq!(state() & FENCE, 0, "a short armed wait lowers it");
    }
}
