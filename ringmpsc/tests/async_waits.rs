//! Waiting without a thread: async producers and consumers on tokio's
//! multi-thread runtime, and the blocking readiness waits. Every async test
//! runs under a timeout, so a lost wake-up fails instead of hanging.
//! Invariant IDs refer to specs/ring-buffer-invariants.md.
#![cfg(not(miri))]
// Real threads: under `--cfg loom` only the lib's `loom_*` models run.
#![cfg(not(loom))]

use std::future::poll_fn;
use std::pin::Pin;
use std::time::Duration;

use futures_core::Stream;
use ringmpsc::{Channel, Config, RecvError, RecvTimeoutError, TryRecvError};
use tokio::time::timeout;

const LIMIT: Duration = Duration::from_secs(120);

fn channel<T>(bits: u8, producers: usize) -> Channel<T> {
    Channel::new(Config::new(bits, producers, false)).unwrap()
}

/// WAIT-1, WAIT-2, RB-ORD-1: 8 producer tasks x 20k messages through
/// 4-slot rings, drained in batches after `ready_async`: per-producer FIFO,
/// exact count and sum.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn eight_producer_tasks_through_four_slot_rings() {
    const PRODUCERS: u64 = 8;
    const PER: u64 = 20_000;
    let mut ch = channel::<(u64, u64)>(2, PRODUCERS as usize);
    let tasks: Vec<_> = (0..PRODUCERS)
        .map(|p| {
            let mut producer = ch.register().unwrap();
            tokio::spawn(async move {
                for seq in 0..PER {
                    producer.send_async((p, seq)).await.unwrap();
                }
            })
        })
        .collect();
    let consumer = tokio::spawn(async move {
        let mut next = vec![0u64; PRODUCERS as usize];
        let (mut count, mut sum) = (0u64, 0u64);
        while ch.ready_async().await.is_ok() {
            ch.consume_all(|&(p, seq)| {
                assert_eq!(seq, next[p as usize], "FIFO broken for producer {p}");
                next[p as usize] += 1;
                count += 1;
                sum += seq;
            });
        }
        (count, sum)
    });
    let (count, sum) = timeout(LIMIT, async {
        for t in tasks {
            t.await.unwrap();
        }
        consumer.await.unwrap()
    })
    .await
    .expect("a lost wake-up: the pipeline stalled");
    assert_eq!(count, PRODUCERS * PER);
    assert_eq!(sum, PRODUCERS * PER * (PER - 1) / 2);
}

/// WAIT-1, WAIT-2: one producer and one consumer task through a 2-slot
/// ring, one value per wake-up, 100k messages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_value_per_wake_up_through_two_slots() {
    const N: u64 = 100_000;
    let mut ch = channel::<u64>(1, 1);
    let mut producer = ch.register().unwrap();
    let sender = tokio::spawn(async move {
        for i in 0..N {
            producer.send_async(i).await.unwrap();
        }
    });
    let receiver = tokio::spawn(async move {
        let mut expected = 0;
        while let Ok(v) = ch.recv_async().await {
            assert_eq!(v, expected);
            expected += 1;
        }
        expected
    });
    let received = timeout(LIMIT, async {
        sender.await.unwrap();
        receiver.await.unwrap()
    })
    .await
    .expect("a lost wake-up: the pipeline stalled");
    assert_eq!(received, N);
}

/// WAIT-4, CH-DROP-1: the consumer dropped while a producer task awaits
/// room: the value comes back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_dropped_while_producer_awaits_room() {
    let ch = channel::<String>(1, 1);
    let mut producer = ch.register().unwrap();
    producer.push("a".into()).unwrap();
    producer.push("b".into()).unwrap();
    let waiting = tokio::spawn(async move { producer.send_async("c".into()).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    drop(ch);
    let back = timeout(LIMIT, waiting)
        .await
        .expect("not woken")
        .unwrap()
        .unwrap_err();
    assert_eq!(back.into_inner(), "c");
}

/// WAIT-4, CH-CLOSE-1: `close` while a producer task awaits room: the value
/// comes back, and what was queued is still received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_while_producer_awaits_room() {
    let mut ch = channel::<u32>(1, 1);
    let mut producer = ch.register().unwrap();
    producer.push(1).unwrap();
    producer.push(2).unwrap();
    let waiting = tokio::spawn(async move { producer.send_async(3).await });
    tokio::time::sleep(Duration::from_millis(20)).await;
    ch.close();
    let back = timeout(LIMIT, waiting)
        .await
        .expect("not woken")
        .unwrap()
        .unwrap_err();
    assert_eq!(back.into_inner(), 3);
    assert_eq!(ch.recv_async().await, Ok(1));
    assert_eq!(ch.recv_async().await, Ok(2));
    assert_eq!(ch.recv_async().await, Err(RecvError));
}

/// WAIT-3: a `send_async` that loses a `select!` has sent nothing, leaves
/// no registration behind, and the producer keeps working.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_send_sends_nothing() {
    let mut ch = channel::<u32>(1, 1);
    let mut producer = ch.register().unwrap();
    producer.push(1).unwrap();
    producer.push(2).unwrap();
    tokio::select! {
        sent = producer.send_async(99) => panic!("the ring is full, yet sent: {sent:?}"),
        () = tokio::time::sleep(Duration::from_millis(20)) => {}
    }
    let mut seen = Vec::new();
    ch.consume_all(|v| seen.push(*v));
    assert_eq!(seen, [1, 2], "the cancelled value must not arrive");
    timeout(LIMIT, producer.send_async(3)).await.unwrap().unwrap();
    assert_eq!(ch.try_recv(), Ok(3));
    assert_eq!(ch.try_recv(), Err(TryRecvError::Empty));
}

/// A channel is a `Stream` that ends on disconnect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channel_is_a_stream_ending_on_disconnect() {
    let mut ch = channel::<u32>(2, 2);
    let mut producer = ch.register().unwrap();
    let sender = tokio::spawn(async move {
        for i in 0..1_000 {
            producer.send_async(i).await.unwrap();
        }
    });
    let collected = timeout(LIMIT, async {
        let mut all = Vec::new();
        while let Some(v) = poll_fn(|cx| Pin::new(&mut ch).poll_next(cx)).await {
            all.push(v);
        }
        all
    })
    .await
    .expect("the stream did not end");
    sender.await.unwrap();
    assert!(collected.into_iter().eq(0..1_000));
}

/// WAIT-1, CH-DISC-1: the blocking `ready` and `ready_timeout`.
#[test]
fn blocking_ready_and_ready_timeout() {
    let mut ch = channel::<u64>(4, 2);
    let producer = ch.register().unwrap();
    assert_eq!(
        ch.ready_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    let t = std::thread::spawn(move || {
        for i in 0..1_000 {
            producer.send(i).unwrap();
        }
    });
    let mut sum = 0;
    while ch.ready().is_ok() {
        ch.consume_all(|v| sum += v);
    }
    t.join().unwrap();
    assert_eq!(sum, 999 * 1_000 / 2);
    assert_eq!(
        ch.ready_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Disconnected)
    );
}

/// WAIT-5: while producers stream into large rings, `ready` slips (lets a
/// batch gather) before it returns; the bulk idiom still receives every
/// value once, in order per producer, and a slip never turns queued
/// values into a timeout.
#[test]
fn slipping_ready_loses_nothing_and_never_times_out_on_data() {
    const PER_PRODUCER: u64 = if cfg!(miri) { 200 } else { 200_000 };
    let mut ch = channel::<(u64, u64)>(12, 3);
    let senders: Vec<_> = (0..3u64)
        .map(|p| {
            let producer = ch.register().unwrap();
            std::thread::spawn(move || (0..PER_PRODUCER).for_each(|i| producer.send((p, i)).unwrap()))
        })
        .collect();
    let mut next = [0u64; 3];
    let mut batches = 0u64;
    while ch.ready().is_ok() {
        batches += 1;
        ch.consume_all(|&(p, i)| {
            assert_eq!(i, next[p as usize], "FIFO per producer");
            next[p as usize] += 1;
        });
    }
    senders.into_iter().for_each(|t| t.join().unwrap());
    assert_eq!(next, [PER_PRODUCER; 3]);
    assert!(batches > 0);

    let mut ch = channel::<u64>(12, 1);
    let producer = ch.register().unwrap();
    producer.push(7).unwrap();
    // Queued, not enough, and the deadline already passed: still `Ok`.
    assert_eq!(ch.ready_timeout(Duration::ZERO), Ok(()));
    assert_eq!(ch.try_recv(), Ok(7));
}

/// A spanned message for the generated channel.
#[ringmpsc::ring_message]
#[derive(Debug)]
struct Tick(u64);

ringmpsc::channel! {
    /// Four workers and a control producer.
    Ticks(capacity = 4) {
        workers: [Tick; 4],
        control: Tick,
    }
}

#[derive(Default)]
struct Sum {
    workers: u64,
    control: u64,
}

impl TicksHandler for Sum {
    fn workers(&mut self, _index: usize, msg: Tick) {
        self.workers += msg.0;
    }
    fn control(&mut self, msg: Tick) {
        self.control += msg.0;
    }
}

/// CH-DISC-2, WAIT-1: a generated channel drained by `ready_async` ends
/// once its producers are dropped, with every message received.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_channel_ends_when_producers_drop() {
    let (producers, mut consumer) = Ticks::channel();
    let mut tasks = Vec::new();
    for mut worker in producers.workers {
        tasks.push(tokio::spawn(async move {
            for i in 0..5_000 {
                worker.send_async(Tick(i)).await.unwrap();
            }
        }));
    }
    let mut control = producers.control;
    tasks.push(tokio::spawn(
        async move { control.send_async(Tick(7)).await.unwrap() },
    ));
    let sum = timeout(LIMIT, async move {
        let mut sum = Sum::default();
        while consumer.ready_async().await.is_ok() {
            consumer.consume_all(&mut sum);
        }
        sum
    })
    .await
    .expect("the generated consumer did not see the disconnect");
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(sum.workers, 4 * 4_999 * 5_000 / 2);
    assert_eq!(sum.control, 7);
}

/// The blocking waits of a generated consumer, including the disconnect.
#[test]
fn generated_blocking_ready_and_timeout() {
    let (producers, mut consumer) = Ticks::channel();
    assert_eq!(
        consumer.ready_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Timeout)
    );
    let control = producers.control;
    let t = std::thread::spawn(move || control.send(Tick(3)).unwrap());
    assert_eq!(consumer.ready(), Ok(()));
    t.join().unwrap();
    let mut sum = Sum::default();
    assert_eq!(consumer.consume_all(&mut sum), 1);
    drop(producers.workers);
    assert_eq!(consumer.ready(), Err(RecvError));
    assert_eq!(
        consumer.ready_timeout(Duration::from_millis(10)),
        Err(RecvTimeoutError::Disconnected)
    );
}

/// WAIT-1, WAIT-4, BAR-2: a consumer task left idle long enough to arm
/// with a fence instead of the heavy barrier is still reached by every
/// kind of waker: a push, a committed reservation, a burst (per-producer
/// FIFO, exact sum) and the last producer's departure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_consumer_task_is_woken_by_every_waker() {
    const BURST: u64 = 50_000;
    let mut ch = channel::<u64>(4, 1);
    let mut producer = ch.register().unwrap();
    let idle = Duration::from_millis(2);
    let sender = std::thread::spawn(move || {
        // Three idle wake-ups by push, then by reservation, then a burst.
        for v in 0..3 {
            std::thread::sleep(idle);
            producer.push(v).unwrap();
        }
        for v in 3..6 {
            std::thread::sleep(idle);
            let reservation = producer.reserve(1).expect("room");
            assert_eq!(reservation.copy_from_slice(&[v]), 1);
        }
        std::thread::sleep(idle);
        for v in 6..6 + BURST {
            producer.send(v).unwrap();
        }
        std::thread::sleep(idle);
        // Dropped here: the departure wakes the idle consumer (WAIT-4).
    });
    let received = timeout(LIMIT, async move {
        let mut received = Vec::new();
        while ch.ready_async().await.is_ok() {
            ch.consume_all(|&v| received.push(v));
        }
        received
    })
    .await
    .expect("a lost wake-up: the idle consumer was not woken");
    sender.join().unwrap();
    assert_eq!(received.len() as u64, 6 + BURST);
    assert!(received.iter().copied().eq(0..6 + BURST), "FIFO");
}
