//! The MPSC channel: FIFO, counts, close, disconnect, recycling, fairness,
//! waking and panic safety. Invariant IDs refer to
//! specs/ring-buffer-invariants.md.
// Real threads: under `--cfg loom` only the lib's `loom_*` models run.
#![cfg(not(loom))]

mod common;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Duration;

use common::{count, drain_close_drain, drops, push_spin, scaled, DropCounter};
use ringmpsc::{
    Channel, Config, PushError, RecvError, RecvTimeoutError, RegisterError, TryRecvError, WaitStrategy,
};

fn channel<T>(bits: u8, producers: usize, wait: WaitStrategy) -> Channel<T> {
    Channel::new(Config::new(bits, producers, true).with_wait_strategy(wait)).unwrap()
}

/// RB-ORD-1, RB-OWN-2, CH-REG-1: 8 producers x 100k messages arrive
/// complete, exactly once, FIFO per producer, with the exact checksum.
fn fifo_stress(wait: WaitStrategy, bits: u8) {
    const PRODUCERS: u64 = 8;
    let per = scaled(100_000);
    let mut ch = channel::<(u64, u64)>(bits, PRODUCERS as usize, wait);
    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let producer = ch.register().unwrap();
            thread::spawn(move || {
                for seq in 0..per {
                    producer.send((p, seq)).unwrap();
                }
            })
        })
        .collect();
    let mut next = vec![0u64; PRODUCERS as usize];
    let (mut received, mut checksum) = (0u64, 0u64);
    while received < PRODUCERS * per {
        let n = ch.consume_all(|&(p, seq)| {
            assert_eq!(seq, next[p as usize], "FIFO broken for producer {p}");
            next[p as usize] += 1;
            checksum = checksum.wrapping_add(p * per + seq);
        });
        if n == 0 {
            // 2-core CI: give the producers the core instead of spinning.
            thread::yield_now();
        }
        received += n as u64;
    }
    for h in handles {
        h.join().unwrap();
    }
    let total = PRODUCERS * per;
    assert_eq!(received, total);
    assert_eq!(checksum, total * (total - 1) / 2);
    assert!(next.iter().all(|&n| n == per));
    let m = ch.metrics();
    assert_eq!((m.messages_sent, m.messages_received), (total, total));
    // CH-DISC-1: every producer is gone and the rings are drained.
    assert_eq!(ch.try_recv(), Err(TryRecvError::Disconnected));
}

#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn fifo_8_producers_busy_spin() {
    fifo_stress(WaitStrategy::BusySpin, 10);
}

#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn fifo_8_producers_park_small_rings() {
    // Tiny rings: producers block in `send` all the time (WAIT-2).
    fifo_stress(WaitStrategy::Park, 3);
}

#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn fifo_8_producers_yield() {
    fifo_stress(WaitStrategy::Yield, 6);
}

/// Config errors come back from `Channel::new`.
#[test]
fn channel_new_validates_config() {
    let e = Channel::<u8>::new(Config::new(8, 200, false)).unwrap_err();
    assert_eq!(e.to_string(), "max_producers = 200 is out of range 1..=128");
    assert!(Channel::<u8>::new(Config::default()).is_ok());
}

/// CH-REG-2: register beyond max fails, then succeeds once a producer is
/// dropped and its ring drained.
#[test]
fn register_limit_and_recycling() {
    let mut ch = channel::<u32>(4, 2, WaitStrategy::BusySpin);
    let a = ch.register().unwrap();
    let b = ch.register().unwrap();
    assert_eq!(
        ch.register().unwrap_err(),
        RegisterError::TooManyProducers { max: 2 }
    );
    assert_eq!(ch.producer_count(), 2);
    a.push(1).unwrap();
    let a_id = a.id();
    drop(a);
    // Its ring still holds a value: not recyclable yet.
    assert!(matches!(
        ch.register(),
        Err(RegisterError::TooManyProducers { .. })
    ));
    assert_eq!(ch.try_recv(), Ok(1));
    let c = ch.register().unwrap();
    assert_eq!(c.id(), a_id, "the drained ring is reused");
    c.push(2).unwrap();
    b.push(3).unwrap();
    let mut got = Vec::new();
    ch.consume_all(|v| got.push(*v));
    got.sort();
    assert_eq!(got, [2, 3]);
    // Recycling over many registrations never exceeds the bound.
    drop((b, c));
    for i in 0..50 {
        let p = ch.register().unwrap();
        p.push(i).unwrap();
        drop(p);
        assert_eq!(ch.try_recv(), Ok(i));
    }
}

/// Fairness: with a limit smaller than the backlog every producer is served.
#[test]
fn consume_all_up_to_serves_every_producer() {
    let mut ch = channel::<usize>(10, 4, WaitStrategy::BusySpin);
    let producers: Vec<_> = (0..4).map(|_| ch.register().unwrap()).collect();
    for (i, p) in producers.iter().enumerate() {
        for _ in 0..500 {
            p.push(i).unwrap();
        }
    }
    let mut served = [0usize; 4];
    for _ in 0..8 {
        assert_eq!(ch.consume_all_up_to(100, |&i| served[i] += 1), 100);
    }
    assert!(served.iter().all(|&n| n >= 100), "a producer starved: {served:?}");
    let mut owned = 0;
    ch.consume_all_up_to_owned(usize::MAX, |_| owned += 1);
    assert_eq!(owned + served.iter().sum::<usize>(), 2000);
}

/// RB-CLOSE-1: close while producers are mid-send: every value is either
/// delivered or returned, never lost or duplicated.
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn close_while_producers_send() {
    let mut ch = channel::<u64>(4, 4, WaitStrategy::Park);
    let accepted = Arc::new(AtomicU64::new(0));
    let returned = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let p = ch.register().unwrap();
            let (accepted, returned) = (Arc::clone(&accepted), Arc::clone(&returned));
            thread::spawn(move || {
                for i in 1.. {
                    match p.send(i) {
                        Ok(()) => accepted.fetch_add(i, Ordering::SeqCst),
                        Err(e) => {
                            returned.fetch_add(e.into_inner(), Ordering::SeqCst);
                            assert!(p.is_closed());
                            assert!(matches!(p.push(7), Err(PushError::Closed(7))));
                            return;
                        }
                    };
                }
            })
        })
        .collect();
    let sum = drain_close_drain(&mut ch, handles);
    assert!(ch.is_closed());
    assert_eq!(ch.register().unwrap_err(), RegisterError::Closed);
    assert_eq!(sum, accepted.load(Ordering::SeqCst));
    assert!(returned.load(Ordering::SeqCst) > 0);
    assert_eq!(ch.recv(), Err(RecvError));
}

/// The consumer end dropped: producers see `Closed` at once, queued values
/// are dropped exactly once (RB-DROP-1, RB-CLOSE-1).
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn consumer_dropped_while_producers_push() {
    let d = drops();
    let ch = channel::<DropCounter>(3, 2, WaitStrategy::Park);
    let p = ch.register().unwrap();
    let started = Arc::new(Barrier::new(2));
    let s2 = Arc::clone(&started);
    let d2 = Arc::clone(&d);
    let h = thread::spawn(move || {
        let mut created = 0;
        s2.wait();
        loop {
            created += 1;
            match p.send(DropCounter::new(created, &d2)) {
                Ok(()) => {}
                Err(e) => {
                    drop(e.into_inner());
                    return created;
                }
            }
        }
    });
    started.wait();
    thread::sleep(Duration::from_millis(20));
    drop(ch);
    let created = h.join().unwrap();
    assert_eq!(count(&d) as u64, created, "every value dropped exactly once");
}

/// CH-DISC-1: when every producer is dropped and the rings are empty,
/// `recv` returns an error instead of hanging.
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn all_producers_dropped_disconnects() {
    for wait in [WaitStrategy::Park, WaitStrategy::BusySpin, WaitStrategy::Yield] {
        let mut ch = channel::<u8>(4, 4, wait);
        let producers: Vec<_> = (0..3).map(|_| ch.register().unwrap()).collect();
        let h = thread::spawn(move || {
            thread::sleep(Duration::from_millis(10));
            producers[1].push(5).unwrap();
            drop(producers);
        });
        assert_eq!(ch.recv(), Ok(5));
        assert_eq!(ch.recv(), Err(RecvError), "{wait:?}");
        assert_eq!(
            ch.recv_timeout(Duration::from_secs(5)),
            Err(RecvTimeoutError::Disconnected)
        );
        h.join().unwrap();
    }
}

/// A live registrar keeps the channel connected; dropping it disconnects.
#[test]
fn registrar_counts_as_sender() {
    let mut ch = channel::<u8>(4, 4, WaitStrategy::Park);
    let reg = ch.registrar();
    let reg2 = reg.clone();
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
    let h = thread::spawn(move || {
        let p = reg2.register().unwrap();
        p.send(1).unwrap();
        let q = p.try_clone().unwrap();
        q.send(2).unwrap();
    });
    h.join().unwrap();
    assert_eq!(ch.recv_timeout(Duration::from_millis(10)), Ok(1));
    assert_eq!(ch.recv_timeout(Duration::from_millis(10)), Ok(2));
    assert_eq!(
        ch.recv_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    drop(reg);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Disconnected));
}

/// WAIT-1: a consumer parked in `recv` wakes on the next commit, from
/// `push`, `send` and a reservation commit.
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn recv_wakes_a_parked_consumer() {
    let mut ch = channel::<u32>(4, 2, WaitStrategy::Park);
    let mut p = ch.register().unwrap();
    let h = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        p.push(1).unwrap();
        thread::sleep(Duration::from_millis(30));
        p.send(2).unwrap();
        thread::sleep(Duration::from_millis(30));
        p.reserve(1).unwrap().fill_with(|_| 3);
        thread::sleep(Duration::from_millis(30));
        p
    });
    assert_eq!(ch.recv(), Ok(1));
    assert_eq!(ch.recv(), Ok(2));
    assert_eq!(ch.recv(), Ok(3));
    let mut p = h.join().unwrap();
    assert!(p.reserve_with_backoff(2).is_some());
}

/// WAIT-2: a producer parked in `send` on a full ring wakes when the
/// consumer frees room.
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn send_wakes_when_room_appears() {
    let mut ch = channel::<u32>(1, 1, WaitStrategy::Park);
    let p = ch.register().unwrap();
    let h = thread::spawn(move || {
        for i in 0..10 {
            p.send(i).unwrap();
        }
    });
    let mut got = Vec::new();
    while got.len() < 10 {
        thread::sleep(Duration::from_millis(2));
        ch.consume_all(|v| got.push(*v));
    }
    h.join().unwrap();
    assert_eq!(got, (0..10).collect::<Vec<_>>());
}

/// RB-PANIC-1: a panicking handler mid-batch: values handed out are not
/// handed out again, nothing is dropped twice or leaked, the channel works.
#[test]
fn handler_panic_keeps_channel_usable() {
    let d = drops();
    let mut ch = channel::<DropCounter>(4, 2, WaitStrategy::BusySpin);
    let a = ch.register().unwrap();
    let b = ch.register().unwrap();
    for i in 0..4 {
        a.push(DropCounter::new(i, &d)).unwrap();
        b.push(DropCounter::new(10 + i, &d)).unwrap();
    }
    let mut seen = Vec::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        ch.consume_all_owned(|v| {
            seen.push(v.value);
            if v.value == 2 || v.value == 12 {
                panic!("handler");
            }
        })
    }));
    assert!(r.is_err());
    let before = seen.len();
    ch.consume_all(|v| seen.push(v.value));
    let mut sorted = seen.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), seen.len(), "a value was handed out twice: {seen:?}");
    assert!(before >= 3);
    assert!(seen.len() <= 8);
    let remaining = 8 - seen.len();
    drop(ch);
    drop((a, b));
    assert_eq!(count(&d), 8, "{remaining} left queued; all dropped once");
}

/// RB-DROP-1, CH-DROP-1: values left after close and at channel drop are
/// dropped exactly once, when the consumer end goes.
#[test]
fn drop_accounting_across_close_and_drop() {
    let d = drops();
    let mut ch = channel::<DropCounter>(4, 2, WaitStrategy::BusySpin);
    let p = ch.register().unwrap();
    for i in 0..10 {
        p.push(DropCounter::new(i, &d)).unwrap();
    }
    assert_eq!(ch.consume_all_up_to(3, |_| {}), 3);
    assert_eq!(count(&d), 3);
    ch.close();
    let back = p.push(DropCounter::new(99, &d)).unwrap_err().into_inner();
    assert_eq!(back.value, 99);
    drop(back);
    assert_eq!(count(&d), 4);
    // CH-DROP-1: the consumer end goes, so do the 7 values left queued,
    // although the producer still holds the rings alive.
    drop(ch);
    assert_eq!(count(&d), 11);
    drop(p);
    assert_eq!(count(&d), 11, "nothing is dropped twice");
}

/// `len`, `is_empty` and the wait-free `try_recv` rotation.
#[test]
fn len_and_try_recv_rotation() {
    let mut ch = channel::<u8>(4, 3, WaitStrategy::BusySpin);
    let ps: Vec<_> = (0..3).map(|_| ch.register().unwrap()).collect();
    assert!(ch.is_empty());
    for (i, p) in ps.iter().enumerate() {
        p.push(i as u8).unwrap();
        p.push(i as u8).unwrap();
    }
    assert_eq!(ch.len(), 6);
    let first: Vec<u8> = (0..3).map(|_| ch.try_recv().unwrap()).collect();
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(sorted, [0, 1, 2], "try_recv rotates across rings");
    assert_eq!(ch.len(), 3);
}

/// Producers registered from other threads through the registrar while the
/// consumer runs elsewhere; the channel itself moved to the consumer thread.
#[test]
#[cfg_attr(miri, ignore = "sleeps and large stress loops; too slow under miri")]
fn registrar_from_many_threads_after_channel_moved() {
    let ch = channel::<u64>(8, 8, WaitStrategy::Park);
    let reg = ch.registrar();
    let done = Arc::new(AtomicBool::new(false));
    let consumer = thread::spawn(move || {
        let mut ch = ch;
        let mut sum = 0;
        while let Ok(v) = ch.recv() {
            sum += v;
        }
        sum
    });
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let reg = reg.clone();
            thread::spawn(move || {
                let p = reg.register().unwrap();
                for i in 0..1000 {
                    push_spin(&p, t * 1000 + i);
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    drop(reg);
    done.store(true, Ordering::SeqCst);
    let n = 8000u64;
    assert_eq!(consumer.join().unwrap(), n * (n - 1) / 2);
}

#[cfg(feature = "stack-ring")]
#[test]
fn stack_channel_same_contract() {
    let d = drops();
    let mut ch = ringmpsc::StackChannel::<DropCounter, 4, 2>::new();
    let a = ch.register().unwrap();
    let _b = ch.register().unwrap();
    assert!(ch.register().is_err());
    for i in 0..4 {
        a.push(DropCounter::new(i, &d)).unwrap();
    }
    assert!(a.push(DropCounter::new(9, &d)).unwrap_err().is_full());
    assert_eq!(ch.consume_all_up_to(2, |v| assert!(v.value < 2)), 2);
    drop(a);
    assert_eq!(count(&d), 3, "two consumed and the returned one");
    // CH-DROP-1: the two left in the ring go with the consumer end.
    drop(ch);
    assert_eq!(count(&d), 5);
    drop(_b);
    assert_eq!(count(&d), 5, "nothing is dropped twice");
}

#[cfg(feature = "stack-ring")]
#[test]
fn stack_ring_in_a_const_context() {
    const fn make() -> ringmpsc::StackRing<u16, 4> {
        ringmpsc::StackRing::new()
    }
    let mut r = make();
    r.reserve(4).unwrap().fill_with(|i| i as u16);
    assert!(r.push(9).is_err());
    let mut v = Vec::new();
    r.consume_batch(|x| v.push(*x));
    assert_eq!(v, [0, 1, 2, 3]);
}

/// A `StaticRing` lives in a `static` and splits exactly once (RB-UNIQ-1).
#[cfg(feature = "stack-ring")]
#[test]
fn static_ring_splits_once() {
    static RING: ringmpsc::StaticRing<u64, 8> = ringmpsc::StaticRing::new();
    let (p, mut c) = RING.split().expect("first split");
    assert!(
        RING.split().is_none(),
        "a second producer/consumer pair is refused"
    );
    let t = thread::spawn(move || {
        for i in 0..1000 {
            let mut v = i;
            while let Err(e) = p.push(v) {
                v = e.into_inner();
                thread::yield_now();
            }
        }
    });
    let mut expected = 0;
    while expected < 1000 {
        if c.consume_batch(|v| {
            assert_eq!(*v, expected);
            expected += 1;
        }) == 0
        {
            thread::yield_now();
        }
    }
    t.join().unwrap();
}

/// RB-OWN-2, RB-DROP-1: `consume_slices` hands every value once, in FIFO
/// order per producer, as at most two slices per ring (the wrap point), and
/// drops each value exactly once after its slice was seen.
#[test]
fn consume_slices_in_place_across_the_wrap() {
    let d = drops();
    let mut ch = channel::<DropCounter>(3, 2, WaitStrategy::BusySpin); // 8 slots a ring
    let a = ch.register().unwrap();
    let b = ch.register().unwrap();
    let (mut next_a, mut next_b) = (0u64, 100u64);
    let mut seen_a = Vec::new();
    let mut seen_b = Vec::new();
    // Rounds of 6 move the start through every slot, so most rounds wrap.
    for _ in 0..8 {
        for _ in 0..6 {
            a.push(DropCounter::new(next_a, &d)).unwrap();
            b.push(DropCounter::new(next_b, &d)).unwrap();
            next_a += 1;
            next_b += 1;
        }
        let before = count(&d);
        let (mut slices, mut handed_out) = (0, 0);
        let taken = ch.consume_slices(|values| {
            slices += 1;
            // The earlier slices' values are dropped, this one's not yet.
            assert_eq!(count(&d), before + handed_out);
            handed_out += values.len();
            for v in values {
                if v.value < 100 {
                    seen_a.push(v.value)
                } else {
                    seen_b.push(v.value)
                }
            }
        });
        assert_eq!(taken, 12);
        assert!((2..=4).contains(&slices), "{slices} slices for two rings");
        assert_eq!(count(&d), before + 12, "every value dropped once after its slice");
    }
    assert_eq!(seen_a, (0..next_a).collect::<Vec<_>>());
    assert_eq!(seen_b, (100..next_b).collect::<Vec<_>>());
    assert!(ch.is_empty());
    drop((a, b, ch));
    assert_eq!(count(&d), 96);
}

/// CH-FAIR-1 and the limit: `consume_slices_up_to` takes at most `limit`
/// values and starts after the last ring served.
#[test]
fn consume_slices_up_to_is_bounded_and_fair() {
    let mut ch = channel::<u32>(4, 3, WaitStrategy::BusySpin);
    let producers: Vec<_> = (0..3).map(|_| ch.register().unwrap()).collect();
    for (p, producer) in producers.iter().enumerate() {
        for i in 0..10 {
            producer.push(p as u32 * 100 + i).unwrap();
        }
    }
    let mut served = Vec::new();
    while served.len() < 30 {
        let mut got = Vec::new();
        let n = ch.consume_slices_up_to(4, |s| got.extend_from_slice(s));
        assert!(n <= 4 && n == got.len());
        served.push(got);
    }
    // Every call takes from one ring only while that ring has 4 or more:
    // the first three calls serve producers 0, 1, 2 in turn.
    let firsts: Vec<u32> = served.iter().take(3).map(|g| g[0] / 100).collect();
    assert_eq!(firsts, [0, 1, 2]);
    let mut all: Vec<u32> = served.concat();
    all.sort_unstable();
    let expected: Vec<u32> = (0..3).flat_map(|p| (0..10).map(move |i| p * 100 + i)).collect();
    assert_eq!(all, expected);
    assert_eq!(ch.consume_slices_up_to(0, |_| panic!("limit 0")), 0);
}

/// RB-PANIC-1 for slices: a handler that panics on a slice leaves that
/// slice consumed and dropped once, the rest queued, the channel usable.
#[test]
fn consume_slices_handler_panic() {
    let d = drops();
    let mut ch = channel::<DropCounter>(3, 2, WaitStrategy::BusySpin);
    let a = ch.register().unwrap();
    let b = ch.register().unwrap();
    for i in 0..5 {
        a.push(DropCounter::new(i, &d)).unwrap();
        b.push(DropCounter::new(10 + i, &d)).unwrap();
    }
    let mut seen = Vec::new();
    let r = catch_unwind(AssertUnwindSafe(|| {
        ch.consume_slices(|values| {
            seen.extend(values.iter().map(|v| v.value));
            panic!("handler");
        })
    }));
    assert!(r.is_err());
    // The first slice (one ring's five values) was handed out and dropped.
    assert_eq!(seen.len(), 5);
    assert_eq!(count(&d), 5);
    ch.consume_slices(|values| seen.extend(values.iter().map(|v| v.value)));
    seen.sort_unstable();
    assert_eq!(seen, [0, 1, 2, 3, 4, 10, 11, 12, 13, 14]);
    assert_eq!(count(&d), 10);
    a.push(DropCounter::new(7, &d)).unwrap();
    assert_eq!(ch.consume_slices(|values| assert_eq!(values[0].value, 7)), 1);
    drop((a, b, ch));
    assert_eq!(count(&d), 11);
}

/// `send_with` runs its builder only once a slot is free (RB-OWN-1: the
/// value is written into a slot the producer owns): with the ring full,
/// the builder of a waiting `send_with` must see the flag the consumer
/// raises before it frees the first slot. FIFO holds across the wait.
#[test]
#[cfg_attr(miri, ignore = "waits on another thread; the miri test covers the path")]
fn send_with_builds_once_room_is_free() {
    let mut ch = channel::<[u64; 12]>(1, 1, WaitStrategy::Park);
    let p = ch.register().unwrap();
    p.send_with(|| [1; 12]).unwrap();
    p.send_with(|| [2; 12]).unwrap();
    assert!(
        matches!(p.push([0; 12]), Err(PushError::Full(_))),
        "2 slots, both taken"
    );
    let freed = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&freed);
    let sender = thread::spawn(move || {
        p.send_with(|| {
            assert!(seen.load(Ordering::SeqCst), "built before its slot was free");
            [3; 12]
        })
        .unwrap();
    });
    freed.store(true, Ordering::SeqCst);
    let mut got = Vec::new();
    while got.len() < 3 {
        ch.ready().unwrap();
        ch.consume_all(|v| got.push(v[0]));
    }
    sender.join().unwrap();
    assert_eq!(got, [1, 2, 3]);
}

/// CH-CLOSE-1: on a closed channel `send_with` returns the value it built,
/// whether the ring has room or is full (a full, closed ring must not
/// leave the sender waiting for room that never comes); `send` does the
/// same for small and large values.
#[test]
fn send_with_on_a_closed_channel_returns_the_value() {
    let ch = channel::<[u64; 12]>(1, 2, WaitStrategy::Park);
    let (full, roomy) = (ch.register().unwrap(), ch.register().unwrap());
    full.send([1; 12]).unwrap();
    full.send([2; 12]).unwrap();
    ch.close();
    assert_eq!(full.send_with(|| [3; 12]).unwrap_err().into_inner(), [3; 12]);
    assert_eq!(roomy.send_with(|| [4; 12]).unwrap_err().into_inner(), [4; 12]);
    assert_eq!(full.send([5; 12]).unwrap_err().into_inner(), [5; 12]);
    let small = channel::<u64>(1, 1, WaitStrategy::Park);
    let p = small.register().unwrap();
    p.send(1).unwrap();
    p.send(2).unwrap();
    small.close();
    assert_eq!(p.send(3).unwrap_err().into_inner(), 3, "full and closed");
}

/// CH-DRAIN-1: a pass that took at least half of a ring is followed by a
/// second, which takes what was published meanwhile, starting after the
/// last ring served; a pass that took less is not; and there is never a
/// third, even while handlers keep every ring full.
#[test]
fn a_drain_passes_again_only_after_taking_half_a_ring_and_at_most_twice() {
    // Rings of 4 slots: `a` full, `b` with one value whose handler refills `a`.
    let mut ch = channel::<u64>(2, 2, WaitStrategy::Park);
    let (a, b) = (ch.register().unwrap(), ch.register().unwrap());
    (0..4).for_each(|i| a.push(i).unwrap());
    b.push(100).unwrap();
    let mut seen = Vec::new();
    let taken = ch.consume_all(|&v| {
        seen.push(v);
        if v == 100 {
            a.push(4).unwrap();
            a.push(5).unwrap();
        }
    });
    assert_eq!(
        (taken, seen),
        (7, vec![0, 1, 2, 3, 100, 4, 5]),
        "a's refill in the second pass"
    );

    // Less than half of any ring taken: one pass. The second value's
    // handler refills the ring the pass served first; that stays queued.
    a.push(6).unwrap();
    b.push(1006).unwrap();
    let mut first = None;
    let taken = ch.consume_all(|&v| match first {
        None => first = Some(v),
        Some(f) => (if f < 1000 { a.push(7) } else { b.push(1007) }).unwrap(),
    });
    assert_eq!((taken, ch.len()), (2, 1), "no second pass");
    let refill = if first == Some(6) { 7 } else { 1007 };
    assert_eq!(ch.try_recv(), Ok(refill));

    // Handlers that refill the other ring whenever it has room: two passes
    // of two full rings, then the call ends with a ring full again.
    (0..4).for_each(|i| a.push(i).unwrap());
    (0..4).for_each(|i| b.push(1000 + i).unwrap());
    let taken = ch.consume_all(|&v| {
        let _ = if v < 1000 {
            b.push(1000 + v)
        } else {
            a.push(v - 1000)
        };
    });
    assert_eq!(taken, 16, "two passes over two full rings");
    assert_eq!(ch.len(), 4, "the third refill is left queued");
}
