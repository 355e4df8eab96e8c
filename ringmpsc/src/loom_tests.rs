//! Loom model checks of the real ring and channel code (run with
//! `RUSTFLAGS="--cfg loom"`). Capacities of 2 (4 where a window skip is
//! checked: under loom a ring of 4 slots has a window of 2, RB-WIN-1), at
//! most 3 threads; bound the
//! search with `LOOM_MAX_PREEMPTIONS`. Ring slots *are* loom cells (the
//! `sync` shim's `UnsafeCell`), and every read and write of one goes through
//! `with`/`with_mut` at the moment it happens, so a missing happens-before
//! edge between a slot write and its read fails the run.

use loom::thread;

use crate::{Channel, Config, PushError, RecvError, TryRecvError, WaitStrategy};

fn channel(wait: WaitStrategy, producers: usize) -> Channel<u64> {
    Channel::new(Config::new(1, producers, false).with_wait_strategy(wait)).unwrap()
}

fn push_until_accepted(p: &crate::Producer<u64>, mut v: u64) {
    loop {
        match p.push(v) {
            Ok(()) => return,
            Err(PushError::Full(back)) => {
                v = back;
                thread::yield_now();
            }
            Err(PushError::Closed(_)) => panic!("closed"),
        }
    }
}

/// RB-ORD-1, RB-ORD-2, RB-SEQ-2: three values through a 2-slot ring (one
/// wrap), consumed in batches, arrive in order; slot reuse after the wrap
/// is ordered after the consumer's read.
#[test]
fn loom_publication_and_wrap() {
    loom::model(|| values_arrive_in_order(1, 3));
}

/// RB-WIN-1, RB-ORD-1, RB-ORD-2: five values through a 4-slot ring whose
/// window is 2. Where the consumer has emptied the ring when the producer
/// reaches slot 2, the producer skips to the next lap, and while the
/// consumer still waits at the skip the producer fills the slots past it;
/// elsewhere it goes on without one. Either way the values arrive in
/// order, and no slot is written while it is read.
#[test]
fn loom_window_skip() {
    loom::model(|| values_arrive_in_order(2, 5));
}

/// One producer pushes `1..=count` through a busy-spinning channel of
/// rings of `2^ring_bits` slots while the consumer drains in batches; the
/// consumer must see them in order.
fn values_arrive_in_order(ring_bits: u8, count: u64) {
    let mut ch =
        Channel::new(Config::new(ring_bits, 1, false).with_wait_strategy(WaitStrategy::BusySpin)).unwrap();
    let p = ch.register().unwrap();
    let t = thread::spawn(move || {
        for v in 1..=count {
            push_until_accepted(&p, v);
        }
    });
    let mut seen = Vec::new();
    while seen.len() < count as usize {
        if ch.consume_all(|v| seen.push(*v)) == 0 {
            thread::yield_now();
        }
    }
    assert_eq!(seen, (1..=count).collect::<Vec<_>>());
    t.join().unwrap();
}

/// RB-PUB-1, RESV-1: a reservation filled in place and published is read
/// whole by a concurrent consumer, across the wrap point.
#[test]
fn loom_reserve_commit() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::BusySpin, 1);
        let mut p = ch.register().unwrap();
        let t = thread::spawn(move || {
            let mut next = 0;
            while next < 3 {
                match p.reserve(2) {
                    Some(r) => next += r.fill_with(|i| next + i as u64) as u64,
                    None => thread::yield_now(),
                }
            }
        });
        let mut seen = Vec::new();
        while seen.len() < 3 {
            if ch.consume_all_owned(|v| seen.push(v)) == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(&seen[..3], [0, 1, 2]);
        t.join().unwrap();
    });
}

/// RB-CLOSE-1: a value pushed concurrently with `close` is either accepted
/// (and drained afterwards) or returned, never lost.
#[test]
fn loom_close_while_pushing() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::BusySpin, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || match p.push(7) {
            Ok(()) => 1,
            Err(e) => {
                assert!(e.is_closed());
                0
            }
        });
        ch.close();
        let accepted = t.join().unwrap();
        let drained = ch.consume_all(|v| assert_eq!(*v, 7));
        assert_eq!(drained, accepted);
    });
}

/// WAIT-1: a consumer parked in `recv` is woken by the next push: no lost
/// wake-up (loom reports a deadlock if one is possible).
#[test]
fn loom_park_wakes_consumer() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            p.push(5).unwrap();
            p
        });
        assert_eq!(ch.recv(), Ok(5));
        drop(t.join().unwrap());
    });
}

/// WAIT-2: a producer parked in `send` on a full ring is woken when the
/// consumer frees a slot.
#[test]
fn loom_park_wakes_producer() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            for v in 0..3 {
                p.send(v).unwrap();
            }
        });
        for v in 0..3 {
            assert_eq!(ch.recv(), Ok(v));
        }
        t.join().unwrap();
    });
}

/// CH-DISC-1, WAIT-1: the last producer leaving wakes a parked consumer,
/// which drains what was sent, then reports the disconnect.
#[test]
fn loom_disconnect_wakes_consumer() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            p.push(1).unwrap();
            drop(p);
        });
        assert_eq!(ch.recv(), Ok(1));
        assert_eq!(ch.recv(), Err(RecvError));
        t.join().unwrap();
    });
}

/// CH-REG-1, CH-REG-2: a producer registered from another thread (ring
/// allocated and published there) is seen whole by the consumer, and a
/// retired, drained ring is recycled for the next registration.
#[test]
fn loom_register_and_recycle() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::BusySpin, 1);
        let reg = ch.registrar();
        let t = thread::spawn(move || {
            let p = reg.register().unwrap();
            p.push(1).unwrap();
            drop(p);
            // The ring holds a value until the consumer drains it, so this
            // either recycles the drained ring or finds none free.
            match reg.register() {
                Ok(q) => {
                    q.push(2).unwrap();
                    2
                }
                Err(e) => {
                    assert!(matches!(e, crate::RegisterError::TooManyProducers { max: 1 }));
                    1
                }
            }
        });
        let mut sum = 0;
        loop {
            match ch.try_recv() {
                Ok(v) => sum += v,
                Err(TryRecvError::Disconnected) => break,
                Err(TryRecvError::Empty) => thread::yield_now(),
            }
        }
        let last = t.join().unwrap();
        assert_eq!(sum, if last == 2 { 3 } else { 1 });
    });
}

/// RB-ORD-1, RB-ORD-2, WAIT-2, FIX-1 (the `channel!` runtime): a producer of
/// a fixed two-ring channel sends three values through its 2-slot ring,
/// parking while it is full; the consumer drains both rings and sees each
/// ring's values once, in order.
#[test]
fn loom_fixed_channel() {
    use crate::channel::fixed::{fixed_channel, FixedRing};

    loom::model(|| {
        let ((first, second), (mut first_rx, mut second_rx), control) =
            fixed_channel::<(FixedRing<u64, 2>, FixedRing<u32, 2>)>(false);
        let t = thread::spawn(move || {
            for v in 1..=3 {
                first.send(v).unwrap();
            }
        });
        second.push(7).unwrap();
        let mut seen = Vec::new();
        while seen.len() < 3 {
            if first_rx.consume_up_to_owned(usize::MAX, |v| seen.push(v)) == 0 {
                thread::yield_now();
            }
        }
        assert_eq!(seen, [1, 2, 3]);
        let mut other = Vec::new();
        second_rx.consume_up_to_owned(usize::MAX, |v| other.push(v));
        assert_eq!(other, [7]);
        t.join().unwrap();
        drop(control);
        assert!(second.push(8).unwrap_err().is_closed());
    });
}

/// CH-CLOSE-1: a close from a third thread (as a fixed channel's control
/// closes) races a push and a consumer that is consuming, on the bare ring
/// so that only the close protocol is explored: the consumer never reads a
/// value its producer withdraws, and every accepted value is received
/// exactly once. The push checks `closed` after its publish
/// (`CloseGuard::Needed`, a reservation's commit).
#[test]
fn loom_close_from_another_thread_while_consuming() {
    close_from_another_thread_while_consuming(Push::Guarded, false);
}

/// CH-CLOSE-1, as above, for a channel producer's push, which loads the
/// channel's signal and looks at `closed` only when it says `CLOSING`
/// (`push_signalled`).
#[test]
fn loom_signalled_close_from_another_thread_while_consuming() {
    close_from_another_thread_while_consuming(Push::Signalled, false);
}

/// CH-CLOSE-1 and RB-WIN-1, as the two above, for a push that skips to
/// the next lap: a ring of 4 slots (window 2) whose first two values were
/// read, so the raced push finds it empty at the window's end. A withdrawn
/// skip leaves `tail` where it was, and the consumer never counts its gap.
#[test]
fn loom_close_races_a_window_skip() {
    close_from_another_thread_while_consuming(Push::Guarded, true);
    close_from_another_thread_while_consuming(Push::Signalled, true);
}

/// Which close check the raced push makes.
#[derive(Clone, Copy)]
enum Push {
    Guarded,
    Signalled,
}

fn close_from_another_thread_while_consuming(push: Push, skip: bool) {
    use std::sync::Arc;

    use crate::ring::core::{close_and_cut, CloseGuard, ProducerCursor, RingCore, Unpushed};
    use crate::ring::storage::HeapStorage;
    use crate::sync::AtomicU8;

    /// The ring shared by the three threads, each in its own role, and
    /// the channel's signal byte.
    struct Shared(RingCore<u64, HeapStorage<u64>>, AtomicU8);
    // SAFETY: RB-UNIQ-1 by construction of the model: one thread pushes,
    // one consumes, one only closes (atomics only).
    unsafe impl Sync for Shared {}
    // SAFETY: as for `Sync`; the values are `u64`.
    unsafe impl Send for Shared {}

    loom::model(move || {
        // As `Notifier::new` makes it under loom, where the light side is a
        // fence: `FENCE` raised (BAR-1).
        let ring = Arc::new(Shared(
            RingCore::new_heap(if skip { 4 } else { 2 }, false).unwrap(),
            AtomicU8::new(crate::wait::FENCE),
        ));
        let cursor = ProducerCursor::new();
        if skip {
            // Two values in and out before any thread starts: the ring is
            // empty at the end of its window.
            for v in [5, 6] {
                // SAFETY: RB-UNIQ-1: no other thread exists yet.
                assert!(unsafe { ring.0.ring().push(&cursor, v, CloseGuard::Needed) }.is_ok());
            }
            // SAFETY: as above.
            assert_eq!(unsafe { ring.0.ring().consume_up_to(usize::MAX, drop) }, 2);
        }
        let producer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || {
                let returned = match push {
                    // SAFETY: RB-UNIQ-1: this thread is the ring's only producer.
                    Push::Guarded => match unsafe { ring.0.ring().push(&cursor, 7, CloseGuard::Needed) } {
                        Ok(()) => return 1,
                        Err(e) => e.into_inner(),
                    },
                    // SAFETY: as above; the closer raises this signal, and
                    // a closing publish is settled at once.
                    Push::Signalled => {
                        match unsafe { ring.0.ring().push_signalled(&cursor, || 7, || &ring.1) }
                            .map(|published| published.ordered(&ring.1))
                        {
                            Ok(published) if !published.closing() => return 1,
                            Ok(_) => match unsafe { ring.0.ring().settle_closing(&cursor) } {
                                None => return 1,
                                Some(v) => v,
                            },
                            Err(Unpushed::Closed(v)) => v,
                            Err(Unpushed::Full(_)) => panic!("an empty ring with one push is not full"),
                        }
                    }
                };
                assert_eq!(returned, 7, "the withdrawn value comes back");
                0
            })
        };
        let closer = {
            let ring = Arc::clone(&ring);
            thread::spawn(move || close_and_cut(&ring.1, std::iter::once(ring.0.header())))
        };
        // SAFETY: RB-UNIQ-1: the main thread is the ring's only consumer.
        let mut received = unsafe { ring.0.ring().consume_up_to(usize::MAX, |v| assert_eq!(v, 7)) };
        closer.join().unwrap();
        let accepted = producer.join().unwrap();
        // SAFETY: as above.
        received += unsafe { ring.0.ring().consume_up_to(usize::MAX, |v| assert_eq!(v, 7)) };
        assert_eq!(received, accepted, "accepted values are received once");
    });
}

/// Receives until the channel reports a disconnect; returns the count.
fn drain_until_disconnected(ch: &mut Channel<u64>) -> u64 {
    let mut received = 0;
    loop {
        match ch.try_recv() {
            Ok(_) => received += 1,
            Err(TryRecvError::Disconnected) => return received,
            Err(TryRecvError::Empty) => thread::yield_now(),
        }
    }
}

/// CH-CLOSE-1: a push racing `close` either fails with the value back or is
/// received before the consumer sees the disconnect — checked while the
/// producer may still be running, not after joining it.
#[test]
fn loom_push_racing_close() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::BusySpin, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            let accepted = u64::from(p.push(7).is_ok());
            (accepted, p)
        });
        ch.close();
        let received = drain_until_disconnected(&mut ch);
        let (accepted, p) = t.join().unwrap();
        assert_eq!(received, accepted, "an accepted value was lost");
        drop(p);
    });
}

/// CH-CLOSE-1: a reservation open across `close` either publishes before
/// the closer's cut (and is received) or reports 0 published.
#[test]
fn loom_reservation_across_close() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::BusySpin, 1);
        let mut p = ch.register().unwrap();
        let t = thread::spawn(move || {
            let published = match p.reserve(2) {
                Some(r) => r.fill_with(|i| i as u64) as u64,
                None => 0,
            };
            (published, p)
        });
        ch.close();
        let received = drain_until_disconnected(&mut ch);
        let (published, p) = t.join().unwrap();
        assert_eq!(received, published, "a published value was lost");
        drop(p);
    });
}

/// WAIT-1, WAIT-3: an async consumer waiting in `ready_async` is woken by
/// the next push (no lost wake-up), then drains it.
#[test]
fn loom_async_consumer_woken_by_publish() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            p.push(5).unwrap();
            p
        });
        assert_eq!(loom::future::block_on(ch.ready_async()), Ok(()));
        assert_eq!(ch.try_recv(), Ok(5));
        drop(t.join().unwrap());
    });
}

/// WAIT-2, WAIT-3: an async producer waiting for room on a full ring is
/// woken when the consumer frees a slot; every value arrives in order.
#[test]
fn loom_async_producer_woken_by_consume() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let mut p = ch.register().unwrap();
        let t = thread::spawn(move || {
            for v in 0..3 {
                loom::future::block_on(p.send_async(v)).unwrap();
            }
        });
        for v in 0..3 {
            assert_eq!(ch.recv(), Ok(v));
        }
        t.join().unwrap();
    });
}

/// CH-DISC-1, WAIT-4: the last producer leaving wakes a task waiting in
/// `ready_async`, which sees what was sent, then the disconnect.
#[test]
fn loom_disconnect_wakes_async_consumer() {
    loom::model(|| {
        let mut ch = channel(WaitStrategy::Park, 1);
        let p = ch.register().unwrap();
        let t = thread::spawn(move || {
            p.push(1).unwrap();
            drop(p);
        });
        assert_eq!(loom::future::block_on(ch.recv_async()), Ok(1));
        assert_eq!(loom::future::block_on(ch.ready_async()), Err(RecvError));
        t.join().unwrap();
    });
}

/// CH-CLOSE-1, WAIT-4: closing wakes a producer task waiting for room on a
/// full ring; it gets its value back.
#[test]
fn loom_close_wakes_async_producer() {
    loom::model(|| {
        let ch = channel(WaitStrategy::Park, 1);
        let mut p = ch.register().unwrap();
        p.push(1).unwrap();
        p.push(2).unwrap();
        let t = thread::spawn(move || loom::future::block_on(p.send_async(3)));
        ch.close();
        let back = t.join().unwrap().unwrap_err();
        assert_eq!(back.into_inner(), 3);
    });
}

/// CH-DISC-2, WAIT-4 (the `channel!` runtime): once every producer of a
/// fixed channel is dropped and its rings drained, `ready_async` reports
/// the disconnect instead of waiting forever.
#[test]
fn loom_fixed_channel_disconnects() {
    use crate::channel::fixed::{fixed_channel, FixedRing};

    loom::model(|| {
        let (first, mut rx, control) = fixed_channel::<FixedRing<u64, 2>>(false);
        let t = thread::spawn(move || {
            first.push(4).unwrap();
            drop(first);
        });
        assert_eq!(loom::future::block_on(control.ready_async()), Ok(()));
        let mut seen = Vec::new();
        rx.consume_up_to_owned(usize::MAX, |v| seen.push(v));
        if seen.is_empty() {
            // Woken by the departure before the value was visible: wait again.
            assert_eq!(loom::future::block_on(control.ready_async()), Ok(()));
            rx.consume_up_to_owned(usize::MAX, |v| seen.push(v));
        }
        assert_eq!(seen, [4]);
        assert_eq!(loom::future::block_on(control.ready_async()), Err(RecvError));
        t.join().unwrap();
    });
}
