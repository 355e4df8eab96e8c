//! Regression tests for the promises on close, drop and fairness. Each
//! failed before the fix it names. Invariant IDs refer to
//! specs/ring-buffer-invariants.md.
// Real threads: under `--cfg loom` only the lib's `loom_*` models run.
#![cfg(not(loom))]

mod common;

use std::sync::{Arc, Barrier};
use std::thread;

use common::{count, drops, DropCounter};
use ringmpsc::{Channel, Config, Producer, RegisterError, Registrar, Ring, TryRecvError, WaitStrategy};

fn channel<T>(bits: u8, producers: usize) -> Channel<T> {
    Channel::new(Config::new(bits, producers, false).with_wait_strategy(WaitStrategy::BusySpin)).unwrap()
}

/// CH-CLOSE-1: a value whose `push` returned `Ok` is received before any
/// receive reports a disconnect, however the push races `close`, in order
/// and once; a push refused by the close gets its value back. Thousands of
/// close-while-pushing runs, zero values lost.
#[test]
#[cfg_attr(miri, ignore = "thousands of threaded runs")]
fn close_racing_pushes_loses_nothing() {
    let runs = if cfg!(debug_assertions) { 2_000 } else { 20_000 };
    let mut lost = 0;
    for run in 0..runs {
        let mut ch = channel::<u64>(6, 1);
        let producer = ch.register().unwrap();
        let start = Arc::new(Barrier::new(2));
        let go = Arc::clone(&start);
        let pusher = thread::spawn(move || {
            go.wait();
            let mut accepted = 0u64;
            loop {
                match producer.push(accepted) {
                    Ok(()) => accepted += 1,
                    Err(e) if e.is_closed() => {
                        // A push withdrawn after the close gives its own
                        // value back, intact.
                        assert_eq!(e.into_inner(), accepted, "a refused push lost its value");
                        break;
                    }
                    Err(_) => thread::yield_now(),
                }
            }
            accepted
        });
        start.wait();
        // Let the pusher get going for a varying moment.
        for _ in 0..(run % 64) {
            std::hint::spin_loop();
        }
        ch.close();
        let mut received = 0u64;
        while let Ok(v) = ch.recv() {
            assert_eq!(v, received, "run {run}: out of order or received twice");
            received += 1;
        }
        let accepted = pusher.join().unwrap();
        assert!(received <= accepted, "run {run}: received a value twice");
        lost += accepted - received;
    }
    assert_eq!(lost, 0, "values accepted by push and never received");
}

/// CH-CLOSE-1: a reservation taken before `close` and filled after it
/// publishes nothing: after `try_recv` said `Disconnected`, nothing appears.
#[test]
fn reservation_open_across_close_publishes_nothing() {
    let drops = drops();
    let mut ch = channel::<DropCounter>(4, 1);
    let mut producer = ch.register().unwrap();
    let reservation = producer.reserve(2).unwrap();
    ch.close();
    assert_eq!(ch.try_recv().unwrap_err(), TryRecvError::Disconnected);
    let published = reservation.fill_with(|i| DropCounter::new(i as u64, &drops));
    assert_eq!(published, 0, "a commit after close must report failure");
    assert_eq!(
        count(&drops),
        2,
        "the values that could not be published are dropped"
    );
    assert_eq!(ch.try_recv().unwrap_err(), TryRecvError::Disconnected);
    // The raw and the copying commits fail the same way.
    let r = producer.reserve_with_backoff(1);
    assert!(r.is_none(), "no reservation on a closed channel");
}

/// A message that keeps its own channel alive.
struct Holder {
    _registrar: Registrar<Holder>,
    _counter: DropCounter,
}

/// CH-DROP-1: dropping the consumer end drops the queued values, even those
/// that hold a handle of the channel (no reference cycle keeps them).
#[test]
fn consumer_drop_drops_values_holding_the_channel() {
    let drops = drops();
    let ch = channel::<Holder>(4, 2);
    let producer = ch.register().unwrap();
    for i in 0..3 {
        let holder = Holder {
            _registrar: ch.registrar(),
            _counter: DropCounter::new(i, &drops),
        };
        assert!(producer.push(holder).is_ok());
    }
    drop(producer);
    drop(ch);
    assert_eq!(count(&drops), 3, "queued values leaked");
}

/// CH-DROP-1, for an inline channel and for values holding a producer.
#[cfg(feature = "stack-ring")]
#[test]
fn inline_consumer_drop_drops_values_holding_a_producer() {
    // Both fields are held only to be dropped with the message.
    #[allow(dead_code)]
    struct Keeps(Option<Producer<Keeps>>, DropCounter);
    let drops = drops();
    let ch = ringmpsc::InlineChannel::<Keeps, 4, 2>::new();
    let producer = ch.register().unwrap();
    let second = ch.register().unwrap();
    assert!(producer
        .push(Keeps(Some(second), DropCounter::new(1, &drops)))
        .is_ok());
    assert!(producer.push(Keeps(None, DropCounter::new(2, &drops))).is_ok());
    drop(ch);
    assert_eq!(count(&drops), 2, "queued values leaked");
    assert!(producer
        .push(Keeps(None, DropCounter::new(3, &drops)))
        .unwrap_err()
        .is_closed());
}

/// RB-DROP-1, RB-PANIC-1, CH-DROP-1: a queued value whose drop panics
/// while the consumer end goes away counts as dropped; the value after it
/// stays queued until its ring goes, so each of the three is dropped once.
#[test]
fn a_panicking_drop_at_consumer_drop_drops_each_value_once() {
    struct Bomb {
        armed: bool,
        _counter: DropCounter,
    }
    impl Drop for Bomb {
        fn drop(&mut self) {
            if self.armed {
                panic!("a value's drop panics");
            }
        }
    }
    let drops = drops();
    let ch = channel::<Bomb>(3, 1);
    let producer = ch.register().unwrap();
    for (i, armed) in [false, true, false].into_iter().enumerate() {
        let counter = DropCounter::new(i as u64, &drops);
        assert!(producer
            .push(Bomb {
                armed,
                _counter: counter
            })
            .is_ok());
    }
    drop(producer);
    let dropped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| drop(ch)));
    assert!(dropped.is_err(), "the panic reaches the caller");
    assert_eq!(count(&drops), 3, "each value dropped exactly once");
}

/// Values each busy producer has queued; the calls below take fewer.
const BACKLOG: usize = if cfg!(miri) { 200 } else { 2_000 };

/// Two busy producers among sixteen, each with a backlog.
fn two_busy_of_sixteen() -> (Channel<usize>, Vec<Producer<usize>>) {
    let ch = channel::<usize>(12, 16);
    let producers: Vec<_> = (0..16).map(|_| ch.register().unwrap()).collect();
    for &busy in &[3, 4] {
        for _ in 0..BACKLOG {
            producers[busy].push(busy).unwrap();
        }
    }
    (ch, producers)
}

fn assert_fair(served: &[usize; 16]) {
    let (a, b) = (served[3], served[4]);
    assert!(a.max(b) <= 2 * a.min(b), "unfair split 3:{a} 4:{b}");
}

/// CH-FAIR-1: with limit 1 the busy producers take turns (`try_recv`).
#[test]
fn try_recv_gives_busy_producers_equal_turns() {
    let (mut ch, _producers) = two_busy_of_sixteen();
    let mut served = [0usize; 16];
    for _ in 0..BACKLOG * 4 / 5 {
        served[ch.try_recv().unwrap()] += 1;
    }
    assert_fair(&served);
}

/// CH-FAIR-1: the same with `consume_all_up_to` and limits 1 and 3.
#[test]
fn consume_all_up_to_gives_busy_producers_equal_turns() {
    for limit in [1, 3] {
        let (mut ch, _producers) = two_busy_of_sixteen();
        let mut served = [0usize; 16];
        for _ in 0..BACKLOG / 4 {
            ch.consume_all_up_to(limit, |&p| served[p] += 1);
        }
        assert_fair(&served);
    }
}

/// A ring too large to allocate is an error, not an abort or a panic.
#[test]
#[cfg_attr(miri, ignore = "asks the allocator for more than miri can model")]
fn impossible_ring_is_an_error() {
    type Huge = [u8; 1 << 40]; // 1 TiB a slot: 2^20 slots overflow no layout, fit no memory
    type Overflowing = [u8; 1 << 45]; // 2^20 slots: more than `isize::MAX` bytes
    let config = Config::new(20, 2, false);
    match Channel::<Huge>::new(config) {
        Err(e) => assert_eq!(e.field, "ring_bits"),
        Ok(ch) => assert!(matches!(ch.register(), Err(RegisterError::OutOfMemory))),
    }
    let e = Channel::<Overflowing>::new(config).unwrap_err();
    assert_eq!(e.field, "ring_bits");
    assert!(e.to_string().contains("ring_bits = 20"), "{e}");
    assert!(Ring::<Overflowing>::new(config).is_err());
    assert!(Ring::<Huge>::new(config).is_err());
}

/// `reserve_with_backoff(0)` on an open channel is an empty reservation,
/// not the `None` that means "closed"; `reserve(0)` likewise.
#[test]
fn zero_slot_reservations_are_empty_not_closed() {
    let ch = channel::<u64>(2, 1);
    let mut producer = ch.register().unwrap();
    let r = producer.reserve_with_backoff(0).expect("open channel");
    assert!(r.is_empty());
    assert_eq!(r.fill_with(|i| i as u64), 0);
    assert!(producer.reserve(0).is_some_and(|r| r.is_empty()));
    ch.close();
    assert!(producer.reserve_with_backoff(0).is_none());
}
