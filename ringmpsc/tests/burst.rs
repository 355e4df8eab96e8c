//! `Burst`: a run of sends that keeps the producer's cursor in registers
//! makes the same promises as the producer's own sends. Invariant IDs
//! refer to specs/ring-buffer-invariants.md.
// Real threads: under `--cfg loom` only the lib's `loom_*` models run.
#![cfg(not(loom))]

mod common;

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread;
use std::time::Duration;

use common::{drain_close_drain, scaled};
use ringmpsc::{Channel, Config, PushError, RecvError, SendError, TryRecvError, WaitStrategy};

fn channel<T>(bits: u8, producers: usize, wait: WaitStrategy) -> Channel<T> {
    Channel::new(Config::new(bits, producers, true).with_wait_strategy(wait)).unwrap()
}

/// Drains everything queued now, in order.
fn drain<T: Copy>(ch: &mut Channel<T>) -> Vec<T> {
    let mut out = Vec::new();
    ch.consume_all(|v| out.push(*v));
    out
}

/// RB-CUR-1, RB-ORD-1, RB-OWN-2: 8 producers sending through bursts into
/// rings of 16 slots (the limit refilled every few sends, waits for room
/// on every lap): complete, exactly once, FIFO per producer, exact sum.
#[test]
#[cfg_attr(miri, ignore = "large stress loops; too slow under miri")]
fn bursts_from_8_producers_arrive_complete_and_in_order() {
    const PRODUCERS: u64 = 8;
    let per = scaled(100_000);
    let mut ch = channel::<(u64, u64)>(4, PRODUCERS as usize, WaitStrategy::Park);
    let handles: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let mut producer = ch.register().unwrap();
            thread::spawn(move || {
                let mut burst = producer.burst();
                for seq in 0..per {
                    burst.send((p, seq)).unwrap();
                }
            })
        })
        .collect();
    let mut next = vec![0u64; PRODUCERS as usize];
    let (mut received, mut checksum) = (0u64, 0u64);
    while received < PRODUCERS * per {
        ch.ready().unwrap();
        received += ch.consume_all(|&(p, seq)| {
            assert_eq!(seq, next[p as usize], "FIFO broken for producer {p}");
            next[p as usize] += 1;
            checksum = checksum.wrapping_add(p * per + seq);
        }) as u64;
    }
    for h in handles {
        h.join().unwrap();
    }
    let total = PRODUCERS * per;
    assert_eq!(checksum, total * (total - 1) / 2);
    let m = ch.metrics();
    assert_eq!((m.messages_sent, m.messages_received), (total, total));
    // CH-DISC-1: every producer is gone and the rings are drained.
    assert_eq!(ch.try_recv(), Err(TryRecvError::Disconnected));
}

/// RB-CUR-1: a burst that is leaked, not dropped, never gives the cursor
/// back, and the producer's own pushes after it take the published `tail`:
/// they neither overwrite a queued value nor leave a hole; across wraps.
#[test]
fn after_a_leaked_burst_the_producer_pushes_from_its_last_publish() {
    let mut ch = channel::<u64>(4, 1, WaitStrategy::Park); // 16 slots
    let mut producer = ch.register().unwrap();
    let mut sent = 0u64;
    let mut seen = Vec::new();
    for round in 0..6 {
        let mut burst = producer.burst();
        for _ in 0..5 + round {
            burst.push(sent).unwrap();
            sent += 1;
        }
        // Leaked: the burst never gives the cursor back, so the
        // producer's next push must take the published `tail` from the
        // ring (a write-back on drop alone would fail here).
        std::mem::forget(burst);
        // A reservation of no slots reads the cursor as the burst left
        // it and has nothing to publish.
        let empty = producer
            .reserve(0)
            .map(|r| r.fill_with(|_| unreachable!("no slot")));
        assert_eq!(empty, Some(0));
        for _ in 0..3 {
            producer.push(sent).unwrap();
            sent += 1;
        }
        seen.extend(drain(&mut ch));
    }
    assert_eq!(seen, (0..sent).collect::<Vec<_>>());
}

/// RB-OWN-1, RB-CUR-1: `push` on a full ring gives the value back, and the
/// burst goes on once the consumer frees room (its cached limit is
/// refreshed through the producer's own path), also past a producer push
/// made between two bursts.
#[test]
fn burst_push_gives_the_value_back_when_full_and_resumes() {
    let mut ch = channel::<u64>(3, 1, WaitStrategy::Park); // 8 slots
    let mut producer = ch.register().unwrap();
    let mut burst = producer.burst();
    for v in 0..8 {
        burst.push(v).unwrap();
    }
    assert_eq!(burst.push(8), Err(PushError::Full(8)));
    assert_eq!(ch.consume_all_up_to(3, |_| {}), 3);
    for v in 8..11 {
        burst.push(v).unwrap();
    }
    assert_eq!(burst.push(11), Err(PushError::Full(11)));
    // Dropped, the burst gives the cursor back: the producer pushes on
    // its own.
    drop(burst);
    assert_eq!(producer.push(11), Err(PushError::Full(11)));
    assert_eq!(drain(&mut ch), (3..11).collect::<Vec<_>>());
    producer.push(11).unwrap();
    let mut burst = producer.burst();
    burst.send(12).unwrap();
    assert_eq!(drain(&mut ch), [11, 12]);
}

/// RB-WIN-1, RB-CUR-1: a ring of more than 16 KiB of slots skips to the
/// next lap at a window's end when it is empty there; a burst's sends
/// cross those skips (its slow path) and every value arrives once, in
/// order, with consumes of every size in between.
#[test]
fn bursts_cross_window_skips_in_order() {
    let mut ch = channel::<u64>(12, 1, WaitStrategy::Park); // 4096 slots of 8 bytes
    let mut producer = ch.register().unwrap();
    let (mut sent, mut next) = (0u64, 0u64);
    // Whole windows (2048 slots), each drained before the next: every
    // window's end finds the ring empty, so the next send skips.
    for _ in 0..5 {
        let mut burst = producer.burst();
        for _ in 0..2048 {
            burst.send(sent).unwrap();
            sent += 1;
        }
        assert_eq!(drain(&mut ch), (next..sent).collect::<Vec<_>>());
        next = sent;
    }
    // Then runs and drains of every size.
    let total = sent + scaled(60_000);
    let mut take = 1;
    while next < total {
        let mut burst = producer.burst();
        while sent < total {
            match burst.push(sent) {
                Ok(()) => sent += 1,
                Err(PushError::Full(v)) => {
                    assert_eq!(v, sent);
                    break;
                }
                Err(PushError::Closed(_)) => panic!("not closed"),
            }
            if sent % 3001 == 0 {
                break;
            }
        }
        take = take * 7 % 5003 + 1;
        ch.consume_all_up_to(take, |&v| {
            assert_eq!(v, next, "lost or repeated value");
            next += 1;
        });
    }
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

/// RB-CUR-1: a burst taken right after a leaked one, with no push of the
/// producer's own in between, is lent the cursor the leak left behind:
/// its first send takes the published `tail`, and nothing is overwritten
/// or skipped; across wraps of a ring of 16 slots.
#[test]
fn a_burst_after_a_leaked_burst_sends_from_the_last_publish() {
    let mut ch = channel::<u64>(4, 1, WaitStrategy::Park); // 16 slots
    let mut producer = ch.register().unwrap();
    let mut sent = 0u64;
    let mut seen = Vec::new();
    for round in 0..20 {
        let mut burst = producer.burst();
        for _ in 0..(round % 7) + 1 {
            burst.push(sent).unwrap();
            sent += 1;
        }
        std::mem::forget(burst);
        seen.extend(drain(&mut ch));
    }
    assert_eq!(seen, (0..sent).collect::<Vec<_>>());
}

/// RB-CUR-1, RB-WIN-1: bursts leaked at every offset of a windowed ring
/// (4096 slots, windows of 2048), a window's end among them, followed by
/// the producer's own pushes and reservations: every value arrives once,
/// in order, and a reservation never starts on a queued value.
#[test]
fn leaked_bursts_across_window_ends_leave_no_hole_nor_overwrite() {
    let mut ch = channel::<u64>(12, 1, WaitStrategy::Park); // 4096 slots of 8 bytes
    let mut producer = ch.register().unwrap();
    let (mut sent, mut next) = (0u64, 0u64);
    let total = scaled(40_000);
    let mut run = 1u64;
    while sent < total {
        let mut burst = producer.burst();
        for _ in 0..run {
            match burst.push(sent) {
                Ok(()) => sent += 1,
                Err(PushError::Full(_)) => break,
                Err(PushError::Closed(_)) => panic!("not closed"),
            }
        }
        std::mem::forget(burst);
        // The producer's own paths after the leak: a push, then a
        // reservation of a few slots.
        if producer.push(sent).is_ok() {
            sent += 1;
        }
        if let Some(r) = producer.reserve(3) {
            let n = r.fill_with(|i| sent + i as u64) as u64;
            sent += n;
        }
        run = run * 5 % 2111 + 1;
        ch.consume_all(|&v| {
            assert_eq!(v, next, "lost or repeated value");
            next += 1;
        });
    }
    assert_eq!(next, sent);
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

/// RB-CUR-1, RB-DROP-1: a value builder that panics inside a burst, below
/// the cached limit and at it (where the producer's own path runs), leaves
/// the producer's cursor where the last publish left it: nothing is
/// published for the panicking send, and later sends neither overwrite a
/// queued value nor leave a hole.
#[test]
fn a_panic_in_a_burst_send_leaves_the_cursor_true() {
    let mut ch = channel::<u64>(4, 1, WaitStrategy::Park); // 16 slots
    let mut producer = ch.register().unwrap();
    let mut sent = 0u64;
    let mut seen = Vec::new();
    for panic_after in [0u64, 3, 15, 16, 17, 31] {
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut burst = producer.burst();
            for i in 0..=panic_after {
                burst
                    .send_with(|| {
                        if i == panic_after {
                            panic!("builder panics");
                        }
                        sent + i
                    })
                    .unwrap();
                if i % 16 == 15 {
                    // Ring full: make room, so the next send runs the
                    // producer's own path for a fresh limit.
                    drop(burst);
                    seen.extend(drain(&mut ch));
                    burst = producer.burst();
                }
            }
        }));
        assert!(outcome.is_err(), "the builder panicked");
        sent += panic_after;
        seen.extend(drain(&mut ch));
        for _ in 0..5 {
            producer.push(sent).unwrap();
            sent += 1;
        }
        seen.extend(drain(&mut ch));
    }
    assert_eq!(seen, (0..sent).collect::<Vec<_>>());
}

/// CH-CLOSE-1: after `close`, a burst's `send` and `push` fail with the
/// value back, and every value whose send succeeded is received.
#[test]
fn a_closed_channel_gives_burst_values_back() {
    let mut ch = channel::<u64>(4, 1, WaitStrategy::Park);
    let mut producer = ch.register().unwrap();
    let mut burst = producer.burst();
    for v in 0..5 {
        burst.send(v).unwrap();
    }
    ch.close();
    assert_eq!(burst.send(5), Err(SendError(5)));
    assert_eq!(burst.push(6), Err(PushError::Closed(6)));
    drop(burst);
    assert_eq!(producer.push(7), Err(PushError::Closed(7)));
    assert_eq!(drain(&mut ch), (0..5).collect::<Vec<_>>());
    assert_eq!(ch.recv(), Err(RecvError));
}

/// CH-DROP-1: with the consumer end gone, a burst's sends fail with the
/// value back instead of waiting for room that never comes.
#[test]
fn a_burst_fails_once_the_consumer_is_gone() {
    let ch = channel::<u64>(1, 1, WaitStrategy::Park); // 2 slots
    let mut producer = ch.register().unwrap();
    let mut burst = producer.burst();
    burst.send(1).unwrap();
    drop(ch);
    assert_eq!(burst.send(2), Err(SendError(2)));
    assert_eq!(burst.push(3), Err(PushError::Closed(3)));
}

/// CH-CLOSE-1 under a race: producers sending through bursts while the
/// consumer closes; the sum of accepted values is exactly what arrives.
#[test]
#[cfg_attr(miri, ignore = "threads racing a close; too slow under miri")]
fn close_while_bursts_send() {
    let mut ch = channel::<u64>(4, 4, WaitStrategy::Park);
    let accepted = Arc::new(AtomicU64::new(0));
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let mut producer = ch.register().unwrap();
            let accepted = Arc::clone(&accepted);
            thread::spawn(move || {
                let mut burst = producer.burst();
                for i in 1.. {
                    match burst.send(i) {
                        Ok(()) => accepted.fetch_add(i, Ordering::SeqCst),
                        Err(SendError(v)) => {
                            assert_eq!(v, i, "the value that failed comes back");
                            return;
                        }
                    };
                }
            })
        })
        .collect();
    let sum = drain_close_drain(&mut ch, handles);
    assert_eq!(sum, accepted.load(Ordering::SeqCst));
}

/// WAIT-1: a burst's send below its cached limit wakes a waiting consumer
/// (the first send goes through the producer's own path and caches the
/// limit). The consumer is a `ready_async` future polled by hand with a
/// waker that counts its wake-ups, so a lost wake-up shows as a count that
/// did not move, with nothing else to make up for it.
#[test]
fn a_burst_send_wakes_a_waiting_consumer() {
    struct Count(AtomicU64);
    impl Wake for Count {
        fn wake(self: Arc<Self>) {
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
    let mut ch = channel::<u64>(4, 1, WaitStrategy::Park); // 16 slots
    let mut producer = ch.register().unwrap();
    let mut burst = producer.burst();
    burst.send(0).unwrap();
    assert_eq!(ch.try_recv(), Ok(0));
    let count = Arc::new(Count(AtomicU64::new(0)));
    let waker = Waker::from(Arc::clone(&count));
    let mut cx = Context::from_waker(&waker);
    for v in 1..4 {
        let mut ready = ch.ready_async();
        assert!(Pin::new(&mut ready).poll(&mut cx).is_pending());
        burst.send(v).unwrap();
        assert_eq!(count.0.load(Ordering::SeqCst), v, "a lost wake-up");
        assert!(matches!(Pin::new(&mut ready).poll(&mut cx), Poll::Ready(Ok(()))));
        drop(ready);
        assert_eq!(ch.try_recv(), Ok(v));
    }
}

/// WAIT-2: a burst waits in `send` on a full ring of 16 slots until the
/// consumer frees room, lap after lap.
#[test]
#[cfg_attr(miri, ignore = "sleeps; too slow under miri")]
fn a_burst_send_waits_for_room() {
    let mut ch = channel::<u32>(4, 1, WaitStrategy::Park); // 16 slots
    let mut producer = ch.register().unwrap();
    let h = thread::spawn(move || {
        let mut burst = producer.burst();
        for v in 0..400 {
            burst.send(v).unwrap();
        }
    });
    let mut expected = 0;
    while let Ok(v) = ch.recv() {
        assert_eq!(v, expected);
        expected += 1;
        if v % 50 == 0 {
            thread::sleep(Duration::from_millis(5));
        }
    }
    assert_eq!(expected, 400);
    h.join().unwrap();
}
