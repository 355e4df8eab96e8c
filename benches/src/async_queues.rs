//! Async channels under tokio: producer tasks and one consumer task, each
//! library through its async API (ringmpsc's `send_async` and
//! `ready_async` + a bulk drain, tokio's `recv_many`, flume's and kanal's
//! async receive followed by a non-blocking drain). Same rules as the
//! thread workloads: every message read into a checked checksum.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::msg::{expected_checksum, value, Msg, Small};
use crate::queues::IDLE;
use crate::workloads::{process_cpu, unpin, IdleWake, Sample};

/// An async channel library under test.
pub trait AsyncQueue<M: Msg> {
    /// The library's name in reports.
    const NAME: &'static str;
    /// A producer handle.
    type Tx: Send + 'static;
    /// The consumer handle.
    type Rx: Send + 'static;

    /// `producers` producers over `capacity` slots in total.
    fn channel(capacity: usize, producers: usize) -> (Vec<Self::Tx>, Self::Rx);

    /// Sends one message, awaiting room.
    fn send(tx: &mut Self::Tx, m: M) -> impl Future<Output = ()> + Send + '_;

    /// Awaits at least one message and drains what is there; 0 once every
    /// producer is gone and the channel is empty.
    fn recv_batch<'a, F: FnMut(M) + Send + 'a>(
        rx: &'a mut Self::Rx,
        f: F,
    ) -> impl Future<Output = usize> + Send + 'a;
}

/// `ringmpsc::Channel` with its default configuration (`Park`).
pub struct RingMpscAsync;

impl<M: Msg> AsyncQueue<M> for RingMpscAsync {
    const NAME: &'static str = "ringmpsc";
    type Tx = ringmpsc::Producer<M>;
    type Rx = ringmpsc::Channel<M>;

    fn channel(capacity: usize, producers: usize) -> (Vec<Self::Tx>, Self::Rx) {
        let per_ring = (capacity / producers).max(2);
        let config = ringmpsc::Config::default()
            .with_ring_bits(per_ring.trailing_zeros() as u8)
            .with_max_producers(producers);
        let channel = ringmpsc::Channel::new(config).expect("valid config");
        let txs = (0..producers)
            .map(|_| channel.register().expect("room"))
            .collect();
        (txs, channel)
    }

    async fn send(tx: &mut Self::Tx, m: M) {
        tx.send_async(m).await.expect("consumer alive");
    }

    async fn recv_batch<'a, F: FnMut(M) + Send + 'a>(rx: &'a mut Self::Rx, f: F) -> usize {
        match rx.ready_async().await {
            Ok(()) => rx.consume_all_owned(f),
            Err(_) => 0,
        }
    }
}

/// `tokio::sync::mpsc` bounded, draining with `recv_many`.
pub struct TokioAsync;

/// tokio's receiver and the buffer `recv_many` fills.
pub struct TokioAsyncRx<M> {
    rx: tokio::sync::mpsc::Receiver<M>,
    buf: Vec<M>,
}

impl<M: Msg> AsyncQueue<M> for TokioAsync {
    const NAME: &'static str = "tokio-mpsc";
    type Tx = tokio::sync::mpsc::Sender<M>;
    type Rx = TokioAsyncRx<M>;

    fn channel(capacity: usize, producers: usize) -> (Vec<Self::Tx>, Self::Rx) {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        let buf = Vec::with_capacity(capacity);
        (vec![tx; producers], TokioAsyncRx { rx, buf })
    }

    async fn send(tx: &mut Self::Tx, m: M) {
        tx.send(m).await.expect("receiver alive");
    }

    async fn recv_batch<'a, F: FnMut(M) + Send + 'a>(rx: &'a mut Self::Rx, mut f: F) -> usize {
        rx.buf.clear();
        let limit = rx.buf.capacity();
        let n = rx.rx.recv_many(&mut rx.buf, limit).await;
        rx.buf.iter().for_each(|m| f(*m));
        n
    }
}

/// `flume` bounded, async receive then a non-blocking drain.
pub struct FlumeAsync;

impl<M: Msg> AsyncQueue<M> for FlumeAsync {
    const NAME: &'static str = "flume";
    type Tx = flume::Sender<M>;
    type Rx = flume::Receiver<M>;

    fn channel(capacity: usize, producers: usize) -> (Vec<Self::Tx>, Self::Rx) {
        let (tx, rx) = flume::bounded(capacity);
        (vec![tx; producers], rx)
    }

    async fn send(tx: &mut Self::Tx, m: M) {
        tx.send_async(m).await.expect("receiver alive");
    }

    async fn recv_batch<'a, F: FnMut(M) + Send + 'a>(rx: &'a mut Self::Rx, mut f: F) -> usize {
        match rx.recv_async().await {
            Ok(m) => {
                f(m);
                1 + rx.drain().map(f).count()
            }
            Err(_) => 0,
        }
    }
}

/// `kanal` bounded async, async receive then a non-blocking drain.
pub struct KanalAsync;

impl<M: Msg> AsyncQueue<M> for KanalAsync {
    const NAME: &'static str = "kanal";
    type Tx = kanal::AsyncSender<M>;
    type Rx = kanal::AsyncReceiver<M>;

    fn channel(capacity: usize, producers: usize) -> (Vec<Self::Tx>, Self::Rx) {
        let (tx, rx) = kanal::bounded_async(capacity);
        (vec![tx; producers], rx)
    }

    async fn send(tx: &mut Self::Tx, m: M) {
        tx.send(m).await.expect("receiver alive");
    }

    async fn recv_batch<'a, F: FnMut(M) + Send + 'a>(rx: &'a mut Self::Rx, mut f: F) -> usize {
        match rx.recv().await {
            Ok(m) => {
                f(m);
                let mut n = 1;
                while let Ok(Some(m)) = rx.try_recv() {
                    f(m);
                    n += 1;
                }
                n
            }
            Err(_) => 0,
        }
    }
}

/// The runtime every async workload runs on: tokio, two worker threads,
/// placed by the scheduler on any CPU, as a user's are. The calling
/// thread, which runs the workload's `block_on`, is unpinned first: the
/// thread workloads pin it to CPU 0, and the workers would inherit that.
fn runtime() -> tokio::runtime::Runtime {
    unpin();
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_time()
        .build()
        .expect("a tokio runtime")
}

/// `producers` producer tasks send `per_producer` messages each to one
/// consumer task; msg/s from the start to the last message received.
pub fn async_throughput<Q: AsyncQueue<M>, M: Msg>(
    producers: usize,
    per_producer: u64,
    capacity: usize,
) -> Sample {
    let (txs, mut rx) = Q::channel(capacity, producers);
    let rt = runtime();
    let (messages, checksum, elapsed) = rt.block_on(async move {
        let start = Instant::now();
        for (p, mut tx) in txs.into_iter().enumerate() {
            tokio::spawn(async move {
                for seq in 0..per_producer {
                    Q::send(&mut tx, M::new(value(p, seq))).await;
                }
            });
        }
        let consumer = tokio::spawn(async move {
            let (mut messages, mut checksum) = (0u64, 0u64);
            loop {
                let n = Q::recv_batch(&mut rx, |m| checksum = checksum.wrapping_add(m.fold())).await;
                if n == 0 {
                    return (messages, checksum);
                }
                messages += n as u64;
            }
        });
        let (messages, checksum) = consumer.await.expect("consumer task");
        (messages, checksum, start.elapsed())
    });
    Sample::new(
        messages,
        checksum,
        expected_checksum::<M>(producers, per_producer),
        elapsed,
    )
}

/// Idle wake-up of an async consumer: the consumer task waits for `IDLE`,
/// then a producer task sends one message; send-to-receive time, and the
/// process's CPU share over the run (both sides idle most of it).
pub fn async_idle_wake<Q: AsyncQueue<Small>>(wakes: u64) -> IdleWake {
    let (mut txs, mut rx) = Q::channel(1024, 1);
    let mut tx = txs.pop().expect("one producer");
    let rt = runtime();
    let epoch = Instant::now();
    let (cpu0, wall0) = (process_cpu(), Instant::now());
    let (wake_ns, checksum, expected) = rt.block_on(async move {
        let producer = tokio::spawn(async move {
            let mut sent = 0u64;
            for _ in 0..wakes {
                tokio::time::sleep(IDLE).await;
                let stamp = epoch.elapsed().as_nanos() as u64;
                sent = sent.wrapping_add(stamp);
                Q::send(&mut tx, Small::new(stamp)).await;
            }
            sent
        });
        let (mut wake_ns, mut checksum) = (Vec::new(), 0u64);
        while (wake_ns.len() as u64) < wakes {
            Q::recv_batch(&mut rx, |m| {
                let now = epoch.elapsed().as_nanos() as u64;
                wake_ns.push(now.saturating_sub(m.0));
                checksum = checksum.wrapping_add(m.0);
            })
            .await;
        }
        (wake_ns, checksum, producer.await.expect("producer task"))
    });
    let cpu: Duration = process_cpu().saturating_sub(cpu0);
    let mut wake_ns = wake_ns;
    wake_ns.sort_unstable();
    IdleWake {
        wake_ns,
        idle_cpu_fraction: cpu.as_secs_f64() / wall0.elapsed().as_secs_f64().max(1e-9),
        checksum,
        expected,
    }
}
