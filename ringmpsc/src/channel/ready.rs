//! Consumer readiness: wait until something is queued, then drain in bulk
//! — for a thread ([`wait_ready`]) or an async task ([`ReadyFuture`]), on
//! a [`Channel`](crate::Channel) and on every `channel!` consumer, with the
//! one wake protocol of [`wait`](crate::wait) (WAIT-1, WAIT-3). A thread
//! that finds a few values queued while producers are still publishing
//! lets a batch gather before it returns (WAIT-5).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use crate::error::{RecvError, RecvTimeoutError};
use crate::ring::core::Look;
use crate::wait::{Notifier, Wake};

/// What a consumer waits on: a channel's shared state.
pub(crate) trait Readiness: Sync {
    /// A value is queued in some ring.
    fn has_data(&self) -> bool;
    /// What is queued in the rings of `among` ([`ALL_RINGS`] for every
    /// one), for a slipping consumer (WAIT-5): a snapshot.
    fn gathered(&self, among: RingSpan) -> Gathered;
    /// Closed, or no producer (nor registrar) left (CH-DISC-1).
    fn no_more_senders(&self) -> bool;
    fn notifier(&self) -> &Notifier;
}

/// `Some(Ok)` when a value is queued, `Some(Err)` when none is and none can
/// come any more, `None` to keep waiting.
fn state(source: &dyn Readiness) -> Option<Result<(), RecvError>> {
    if source.has_data() {
        return Some(Ok(()));
    }
    // CH-DISC-1: the Acquire in `no_more_senders` makes the last
    // publishes visible, so look at the rings once more.
    if source.no_more_senders() {
        return Some(if source.has_data() { Ok(()) } else { Err(RecvError) });
    }
    None
}

/// Blocks the thread until a value is queued, the channel is disconnected,
/// or the deadline passes.
pub(crate) fn wait_ready(source: &dyn Readiness, deadline: Option<Instant>) -> Result<(), RecvTimeoutError> {
    loop {
        // One look serves as the data check and as the slip's first look,
        // so a ready consumer reads the producers' lines once, not twice.
        let first = source.gathered(ALL_RINGS);
        if first.queued > 0 {
            // The slip's later looks read only the rings from the first to
            // the last that held values: they tell whether those producers
            // are still publishing, and the drain that follows looks at
            // every ring anyway.
            slip(first, || source.gathered(first.held), SLIP_MAX, deadline);
            return Ok(());
        }
        // CH-DISC-1, as in `state`: nothing was queued at that look.
        if source.no_more_senders() {
            return if source.has_data() {
                Ok(())
            } else {
                Err(RecvTimeoutError::Disconnected)
            };
        }
        let mut outcome = None;
        let wake = source.notifier().wait_consumer(
            || {
                outcome = state(source);
                outcome.is_some()
            },
            deadline,
        );
        // WAIT-5: a value that ended a wait, spinning or asleep, is handed
        // out at once. The consumer had emptied the rings before it, so it
        // keeps up with the producers and a slip would only delay the value
        // (a ping-pong through `ready` paid two slips a round trip); looking
        // at the rings again would also read them twice.
        match (wake, outcome) {
            (Wake::TimedOut, _) => return Err(RecvTimeoutError::Timeout),
            (_, Some(Ok(()))) => return Ok(()),
            (_, Some(Err(RecvError))) => return Err(RecvTimeoutError::Disconnected),
            // A wait ends `Ready` or `Slept` only once its check found an
            // outcome; should one not have, look again from the top.
            (_, None) => {}
        }
    }
}

/// How many queued values a slipping consumer waits for (WAIT-5).
/// Measured on single `u64` pushes (`profile spsc_single`): a drain right
/// away took about 6 values, and the producer ran at an eighth of the
/// rate it reached when 256 had gathered.
const SLIP_TARGET: usize = 256;

/// Spin-loop pauses between two looks at the rings while slipping: each
/// look reads the producers' lines, which they then have to take back.
const SLIP_PAUSES: u32 = 8;

/// The longest a consumer slips (WAIT-5).
const SLIP_MAX: Duration = Duration::from_micros(2);

/// The rings `first..=last` of a channel (those of them it has). Two
/// bytes, so that a [`Gathered`] stays two words (returned in registers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RingSpan {
    first: u8,
    last: u8,
}

/// Every ring of a channel (at most [`MAX_PRODUCERS`](crate::config::MAX_PRODUCERS),
/// below 256).
pub(crate) const ALL_RINGS: RingSpan = RingSpan {
    first: 0,
    last: u8::MAX,
};

impl RingSpan {
    /// No ring.
    const NONE: RingSpan = RingSpan {
        first: u8::MAX,
        last: 0,
    };

    /// The indices of its rings in a channel of `n` rings, in order
    /// (`start <= end`, also for no ring).
    pub(crate) fn indices(self, n: usize) -> std::ops::Range<usize> {
        let end = n.min(self.last as usize + 1);
        (self.first as usize).min(end)..end
    }

    /// The span that also holds ring `i`.
    fn with(self, i: usize) -> RingSpan {
        // Ring indices are below `MAX_PRODUCERS`, so they fit a byte.
        debug_assert!(i < crate::config::MAX_PRODUCERS);
        let i = i as u8;
        RingSpan {
            first: self.first.min(i),
            last: self.last.max(i),
        }
    }
}

/// One look of a slipping consumer at the rings (WAIT-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Gathered {
    /// Values queued over the rings looked at.
    queued: usize,
    /// The rings looked at from the first to the last that held values.
    held: RingSpan,
    /// Enough to drain now: [`SLIP_TARGET`] values, a ring at least half
    /// full, whose producer would soon have to wait for room, or a ring
    /// holding fewer values than its window, ending at or near a window's
    /// end, where its producer waits for the consumer to empty it
    /// (RB-WIN-1).
    enough: bool,
}

impl Gathered {
    /// The look at rings of `ring_slots` slots each (the smallest, where
    /// they differ) holding `queued` values, `fullest` in the fullest ring.
    pub(crate) fn new(queued: usize, fullest: usize, ring_slots: usize) -> Self {
        Gathered {
            queued,
            held: RingSpan::NONE,
            enough: queued >= SLIP_TARGET || fullest.saturating_mul(2) >= ring_slots,
        }
    }

    /// The look at `rings`. A producer waiting at a window's end waits
    /// for this consumer: slipping would only stretch the wait. Draining
    /// at once instead ran `spsc_batch64` 1.10× and `mpsc_2p` 1.045×,
    /// `spsc_single`, `mpsc_4p` and `mpsc_4p_96b` 1.01–1.02× (alternated
    /// rounds); counting a ring that holds a window or more as waiting had
    /// cost `mpsc_4p_96b` 0.93×. Draining already when the values end a
    /// little before the window's end (`Look::near_window_end`), with the
    /// producer's finer looks, ran `mpsc_4p_96b` 1.20–1.32× and the
    /// windowed `u64` rows 1.03–1.05× (10 to 30 alternated rounds).
    pub(crate) fn of(rings: impl Iterator<Item = (usize, Look)>, ring_slots: usize) -> Self {
        let (queued, fullest, waiting, held) = rings.fold(
            (0, 0, false, RingSpan::NONE),
            |(sum, max, waiting, held): (usize, usize, bool, RingSpan), (i, look)| {
                (
                    sum + look.len,
                    max.max(look.len),
                    waiting || look.near_window_end,
                    if look.len > 0 { held.with(i) } else { held },
                )
            },
        );
        let mut gathered = Gathered::new(queued, fullest, ring_slots);
        gathered.enough |= waiting;
        gathered.held = held;
        gathered
    }
}

/// Temporal slipping (WAIT-5, after FastForward's, Giacomoni et al.,
/// PPoPP 2008): values are queued, but not [`enough`](Gathered::enough).
/// Draining now would read the very lines the producers are writing and
/// take them away, a few values at a time, which slows the producers
/// several-fold; waiting a moment lets a batch gather instead. Looks every
/// [`SLIP_PAUSES`] pauses and returns as soon as enough is queued, a look
/// finds no new value (the producers paused, finished or are blocked:
/// nothing is gained by waiting), or `limit` ([`SLIP_MAX`]) or the
/// deadline passes. `first` is the look already taken; returns how many
/// looks it took in all.
pub(crate) fn slip(
    first: Gathered,
    mut look: impl FnMut() -> Gathered,
    limit: Duration,
    deadline: Option<Instant>,
) -> usize {
    let mut seen = first;
    let mut looks = 1;
    // Under loom a slip only adds interleavings of plain loads: the
    // protocol it could affect (WAIT-1) is checked without it.
    if cfg!(loom) || seen.enough {
        return looks;
    }
    let start = Instant::now();
    loop {
        (0..SLIP_PAUSES).for_each(|_| crate::sync::spin_hint());
        let now = look();
        looks += 1;
        if now.enough || now.queued == seen.queued {
            return looks;
        }
        seen = now;
        let t = Instant::now();
        if t - start >= limit || deadline.is_some_and(|d| t >= d) {
            return looks;
        }
    }
}

/// The future of `ready_async`: resolves to `Ok(())` once a value is
/// queued, to `Err(RecvError)` once the channel is empty and nothing can
/// arrive any more. Dropping it leaves no registration behind.
#[must_use = "futures do nothing unless polled"]
pub struct ReadyFuture<'a> {
    source: &'a dyn Readiness,
    /// Its last poll was ready, which ended the wait and disarmed: the
    /// drop has nothing to undo (WAIT-3).
    finished: bool,
}

impl<'a> ReadyFuture<'a> {
    pub(crate) fn new(source: &'a dyn Readiness) -> Self {
        ReadyFuture {
            source,
            finished: false,
        }
    }
}

impl Future for ReadyFuture<'_> {
    type Output = Result<(), RecvError>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let source = self.source;
        let mut outcome = None;
        let poll = source.notifier().poll_consumer(cx, || {
            outcome = state(source);
            outcome.is_some()
        });
        // A ready poll ended the wait through `finish`, which disarmed.
        self.finished = poll.is_ready();
        match (poll, outcome) {
            (Poll::Ready(()), Some(outcome)) => Poll::Ready(outcome),
            _ => Poll::Pending,
        }
    }
}

impl Drop for ReadyFuture<'_> {
    fn drop(&mut self) {
        // WAIT-3: a cancelled wait leaves no waker behind. A finished one
        // left none already, so it skips the waiter's lock: a second lock
        // and read-modify-write on every `ready_async`, which a consumer
        // woken after an idle spell pays on cold lines.
        if !self.finished {
            self.source.notifier().cancel_consumer();
        }
    }
}

impl fmt::Debug for ReadyFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyFuture").finish_non_exhaustive()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// No time limit in practice: the counting tests must not depend on
    /// how fast this machine pauses.
    const NO_LIMIT: Duration = Duration::from_secs(3600);

    /// A slip over looks at one ring of 16384 slots holding `script`'s
    /// counts in turn (the first is the look already taken), then the
    /// last one again; returns its looks.
    fn slip_over(script: &[usize]) -> usize {
        let look = |n: usize| Gathered::new(n, n, 16384);
        let mut i = 0;
        slip(
            look(script[0]),
            || {
                i += 1;
                look(script[i.min(script.len() - 1)])
            },
            NO_LIMIT,
            None,
        )
    }

    /// WAIT-5: when is enough queued.
    #[test]
    fn enough_is_the_target_or_a_half_full_ring() {
        assert!(!Gathered::new(SLIP_TARGET - 1, 100, 1024).enough);
        assert!(Gathered::new(SLIP_TARGET, 100, 1024).enough);
        // A small ring half full: its producer would soon wait for room.
        assert!(!Gathered::new(20, 7, 16).enough);
        assert!(Gathered::new(20, 8, 16).enough);
        let looks = |lens: [usize; 3]| {
            lens.map(|len| Look {
                len,
                near_window_end: false,
            })
            .into_iter()
            .enumerate()
        };
        let gathered = Gathered::of(looks([3, 8, 1]), 16);
        assert_eq!(
            (gathered.queued, gathered.enough),
            (12, Gathered::new(12, 8, 16).enough)
        );
        // A producer at or near a window's end (RB-WIN-1): drain now.
        let mut waiting = looks([3, 2, 1]).collect::<Vec<_>>();
        assert!(!Gathered::of(waiting.iter().copied(), 16).enough);
        waiting[1].1.near_window_end = true;
        assert!(Gathered::of(waiting.into_iter(), 16).enough);
    }

    /// WAIT-5: a look records the rings, from the first to the last, that
    /// held values.
    #[test]
    fn a_look_records_the_rings_that_held_values() {
        let look = |len| Look {
            len,
            near_window_end: false,
        };
        let lens = |lens: &[usize]| lens.iter().map(|&len| look(len)).enumerate().collect::<Vec<_>>();
        let gathered = Gathered::of(lens(&[0, 3, 0, 0, 1, 0]).into_iter(), 16);
        assert_eq!((gathered.queued, gathered.held.indices(6)), (4, 1..5));
        let one = Gathered::of(lens(&[0, 0, 2]).into_iter(), 16);
        assert_eq!(one.held.indices(3), 2..3);
        let none = Gathered::of(lens(&[0, 0]).into_iter(), 16);
        assert_eq!(none.held.indices(2), 1..1);
        let last = Gathered::of([(127, look(1))].into_iter(), 16);
        assert_eq!(last.held.indices(128), 127..128);
    }

    /// `ALL_RINGS` spans every ring a channel has, up to the most it can.
    #[test]
    fn all_rings_spans_every_ring_of_a_channel() {
        assert_eq!(ALL_RINGS.indices(4), 0..4);
        assert_eq!(
            ALL_RINGS.indices(crate::config::MAX_PRODUCERS),
            0..crate::config::MAX_PRODUCERS
        );
        assert!(ALL_RINGS.indices(0).is_empty());
    }

    /// A channel's state for the wait tests: rings whose values a test
    /// sets, and a record of the rings each look asked for.
    struct MockSource {
        notifier: Notifier,
        lens: Vec<std::sync::atomic::AtomicUsize>,
        asked: std::sync::Mutex<Vec<std::ops::Range<usize>>>,
    }

    impl MockSource {
        fn new(lens: &[usize]) -> Self {
            Self::waiting_by(crate::WaitStrategy::Park, lens)
        }

        fn waiting_by(strategy: crate::WaitStrategy, lens: &[usize]) -> Self {
            MockSource {
                notifier: Notifier::new(strategy, lens.len()),
                lens: lens.iter().map(|&len| len.into()).collect(),
                asked: Default::default(),
            }
        }

        fn len(&self, i: usize) -> usize {
            self.lens[i].load(std::sync::atomic::Ordering::Acquire)
        }

        fn asked(&self) -> Vec<std::ops::Range<usize>> {
            self.asked.lock().unwrap().clone()
        }
    }

    impl Readiness for MockSource {
        fn has_data(&self) -> bool {
            (0..self.lens.len()).any(|i| self.len(i) > 0)
        }
        fn gathered(&self, among: RingSpan) -> Gathered {
            let ids = among.indices(self.lens.len());
            self.asked.lock().unwrap().push(ids.clone());
            let looks = ids.map(|i| {
                let look = Look {
                    len: self.len(i),
                    near_window_end: false,
                };
                (i, look)
            });
            Gathered::of(looks, 1024)
        }
        fn no_more_senders(&self) -> bool {
            false
        }
        fn notifier(&self) -> &Notifier {
            &self.notifier
        }
    }

    /// WAIT-5: once the first look found values, the slip's later looks
    /// read only the rings from the first to the last that held them; the
    /// first reads every ring.
    #[test]
    fn a_slip_looks_again_only_at_the_rings_that_held_values() {
        let source = MockSource::new(&[0, 5, 0, 2, 0]);
        assert_eq!(wait_ready(&source, None), Ok(()));
        // Not enough queued, and no new value at the second look: the slip
        // ends there.
        assert_eq!(source.asked(), [0..5, 1..4]);
    }

    /// WAIT-5: enough values queued at the first look: no wait.
    #[test]
    fn slip_returns_at_once_when_enough_is_queued() {
        assert_eq!(slip_over(&[300]), 1);
        let half_full = Gathered::new(1, 1, 2);
        assert_eq!(
            slip(half_full, || unreachable!("no second look"), NO_LIMIT, None),
            1
        );
    }

    /// WAIT-5: a look that finds no new value ends the slip: a producer
    /// that paused or is blocked is not waited for.
    #[test]
    fn slip_stops_when_producers_pause() {
        assert_eq!(slip_over(&[1, 1]), 2);
        assert_eq!(slip_over(&[1, 5, 9, 9]), 4);
    }

    /// WAIT-5: the slip ends once enough is queued while values keep
    /// arriving.
    #[test]
    fn slip_stops_once_enough_is_queued() {
        assert_eq!(slip_over(&[1, 100, 200, 256, 400]), 4);
    }

    /// WAIT-5: a consumer that found the rings empty and then a value
    /// while it spun returns at once with it: no second look, no slip. The
    /// value is stored only after the first look, and a busy-spinning
    /// consumer never sleeps, so the value is found by the spin. The old
    /// rule (a value found while spinning means the producers are
    /// publishing: look again and slip) made three looks here.
    #[test]
    fn a_consumer_that_waited_for_a_value_returns_without_looking_again() {
        let source = MockSource::waiting_by(crate::WaitStrategy::BusySpin, &[0]);
        std::thread::scope(|s| {
            s.spawn(|| {
                while source.asked().is_empty() {
                    std::thread::yield_now();
                }
                source.lens[0].store(1, std::sync::atomic::Ordering::Release);
            });
            assert_eq!(wait_ready(&source, None), Ok(()));
        });
        assert_eq!(source.asked().len(), 1, "looked again after the wait");
    }

    /// WAIT-5: a consumer woken from a sleep returns at once, with the
    /// value that woke it: no slip, no second look. A lone value is not
    /// enough, so a slip would look again; the one look is the one made
    /// before the wait. No timing decides the outcome: the value comes
    /// only after a sleep that started once the consumer had armed, long
    /// enough for it to get from arming to its park on a loaded machine.
    #[test]
    #[cfg_attr(miri, ignore = "sleeps to make a park")]
    fn a_consumer_woken_from_a_sleep_returns_without_looking_again() {
        let source = MockSource::new(&[0]);
        std::thread::scope(|s| {
            s.spawn(|| {
                while !source.notifier.consumer_armed() {
                    std::thread::yield_now();
                }
                std::thread::sleep(Duration::from_millis(100));
                source.lens[0].store(1, std::sync::atomic::Ordering::Release);
                source.notifier.wake_consumer(false);
            });
            assert_eq!(wait_ready(&source, None), Ok(()));
        });
        assert_eq!(source.asked().len(), 1, "looked again after the sleep");
    }

    /// WAIT-3: a `ready_async` future leaves no registration behind when
    /// it is dropped pending, after a ready poll (which disarmed, so its
    /// drop skips the lock), or after a ready poll followed by a pending
    /// one (which armed again).
    #[test]
    fn a_ready_future_leaves_no_registration_however_it_ends() {
        let source = MockSource::new(&[0]);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        let set = |n: usize| source.lens[0].store(n, std::sync::atomic::Ordering::Release);
        let armed = || source.notifier.consumer_armed();

        let mut pending = ReadyFuture::new(&source);
        assert!(Pin::new(&mut pending).poll(&mut cx).is_pending());
        assert!(armed(), "a pending poll arms");
        drop(pending);
        assert!(!armed(), "dropped pending");

        let mut woken = ReadyFuture::new(&source);
        assert!(Pin::new(&mut woken).poll(&mut cx).is_pending());
        set(1);
        assert_eq!(Pin::new(&mut woken).poll(&mut cx), Poll::Ready(Ok(())));
        assert!(!armed(), "a ready poll disarms");
        drop(woken);
        assert!(!armed(), "dropped after ready");

        let mut again = ReadyFuture::new(&source);
        assert_eq!(Pin::new(&mut again).poll(&mut cx), Poll::Ready(Ok(())));
        set(0);
        assert!(Pin::new(&mut again).poll(&mut cx).is_pending());
        assert!(armed(), "polled again after ready: armed again");
        drop(again);
        assert!(!armed(), "dropped pending after a ready poll");
    }

    /// WAIT-5: producers that never pause and never gather enough are
    /// waited for at most `SLIP_MAX`, and a passed deadline ends the slip
    /// after one look more.
    #[test]
    fn slip_is_bounded_in_time() {
        let rising = || {
            let mut n = 0;
            move || {
                n += 1;
                Gathered::new(n, 0, usize::MAX)
            }
        };
        let first = Gathered::new(0, 0, usize::MAX);
        let start = Instant::now();
        assert!(slip(first, rising(), SLIP_MAX, None) >= 2);
        assert!(
            start.elapsed() >= SLIP_MAX,
            "ended before SLIP_MAX with producers still publishing"
        );
        assert_eq!(slip(first, rising(), NO_LIMIT, Some(Instant::now())), 2);
    }
}
