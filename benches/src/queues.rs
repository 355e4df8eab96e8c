//! One [`Queue`] per library: how it is built, how a producer sends (one
//! value or a batch) and how the consumer drains, each through the
//! library's best API for the job.

use std::marker::PhantomData;
use std::time::Duration;

use crossbeam_utils::Backoff;
use disruptor::Producer as _;
use ringmpsc::{Channel, Config, WaitStrategy};

use crate::msg::{Large, Msg, Small};

/// How the consumer should wait when it has nothing to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Waiting {
    /// Throughput runs: poll (libraries that only spin) or block (those
    /// whose receive parks), whatever the library does best.
    Throughput,
    /// Idle runs: park if the library can.
    Idle,
}

/// A channel library under test.
pub trait Queue<M: Msg> {
    /// The library's name in reports (its crate name).
    const NAME: &'static str;
    /// Whether its blocking receive parks the thread (else it spins).
    const PARKS: bool;
    /// A producer handle.
    type Tx: Send + 'static;
    /// The consumer handle.
    type Rx: Send + 'static;

    /// `producers` producers over `capacity` slots in total; `None` if the
    /// library does not support that shape (e.g. an SPSC ring with two
    /// producers).
    fn channel(capacity: usize, producers: usize, waiting: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)>;

    /// Sends one message, waiting while the queue is full.
    fn send(tx: &mut Self::Tx, m: M);

    /// Sends the message `make` builds, waiting while the queue is full.
    /// Libraries whose API builds a message in its slot use it for large
    /// messages; the others build it and `send` it.
    #[inline(always)]
    fn send_with<F: FnOnce() -> M>(tx: &mut Self::Tx, make: F) {
        Self::send(tx, make())
    }

    /// Sends `count` messages, `make(seq)` for `seq` in `0..count`, one
    /// at a time as [`send_with`](Self::send_with) does. A library whose
    /// API keeps a run of single sends faster than separate calls (the
    /// `ringmpsc-burst` row) uses it.
    #[inline(always)]
    fn send_each<F: FnMut(u64) -> M>(tx: &mut Self::Tx, count: u64, mut make: F) {
        for seq in 0..count {
            Self::send_with(tx, || make(seq));
        }
    }

    /// Sends a batch; libraries with a batch API use it.
    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        for m in batch {
            Self::send(tx, *m);
        }
    }

    /// Hands every message available now to `f`; returns how many.
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize;

    /// Waits until at least one message is there (parking if the library
    /// parks, else spinning politely), then drains.
    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        let backoff = Backoff::new();
        loop {
            let n = Self::try_drain(rx, &mut f);
            if n > 0 {
                return n;
            }
            backoff.snooze();
        }
    }

    /// Waits for a message with the library's blocking receive for one
    /// value and hands it to `f`, with anything else that receive drains;
    /// returns how many. Libraries whose blocking receive is their bulk
    /// wait (or that have none) wait as [`wait_drain`](Self::wait_drain).
    fn wait_one<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize {
        Self::wait_drain(rx, f)
    }
}

/// Sleeps a little between retries of a full, spin-only queue.
#[inline]
fn full_backoff(backoff: &Backoff) {
    backoff.snooze();
}

// ---------------------------------------------------------------- ringmpsc

/// The largest message the ringmpsc rows send with `send(value)`; larger
/// ones go through `send_with` (the size below which ringmpsc's own `send`
/// keeps values in registers).
const SMALL_MESSAGE: usize = 16;

/// `ringmpsc::Channel` as a user gets it by default: `Config::default()`
/// (parking waits) with the workload's ring size; producers block in
/// `send` (`send_with` for messages over 16 bytes) when
/// their ring is full, the consumer waits in `ready` before
/// each drain with `consume_all`.
pub type RingMpsc = RingMpscWith<false>;

/// `ringmpsc::Channel` with `WaitStrategy::BusySpin`: the consumer spins in
/// `ready`, producers skip the wake check and spin in `send` while their
/// ring is full. The row `ringmpsc-busyspin`.
pub type RingMpscBusySpin = RingMpscWith<true>;

/// `ringmpsc::Channel`, default (`BUSY = false`) or busy-spinning.
pub struct RingMpscWith<const BUSY: bool>;

impl<M: Msg, const BUSY: bool> Queue<M> for RingMpscWith<BUSY> {
    const NAME: &'static str = if BUSY { "ringmpsc-busyspin" } else { "ringmpsc" };
    const PARKS: bool = !BUSY;
    type Tx = ringmpsc::Producer<M>;
    type Rx = Channel<M>;

    fn channel(capacity: usize, producers: usize, waiting: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        let per_ring = (capacity / producers).max(2);
        let bits = per_ring.trailing_zeros() as u8;
        let config = Config::default()
            .with_ring_bits(bits)
            .with_max_producers(producers);
        // The busy-spin row spins in every workload it is listed in.
        let _ = waiting;
        let config = if BUSY {
            config.with_wait_strategy(WaitStrategy::BusySpin)
        } else {
            config
        };
        let channel = Channel::new(config).ok()?;
        let txs = (0..producers)
            .map(|_| channel.register().ok())
            .collect::<Option<Vec<_>>>()?;
        Some((txs, channel))
    }

    // Always inlined, as a user's own loop around `send` would be: with the
    // wait inside, LLVM kept this wrapper out of line, which put a call the
    // library does not have into every default-row message.
    #[inline(always)]
    fn send(tx: &mut Self::Tx, m: M) {
        // What a user calls: `send` waits for room per the configured wait
        // strategy (default: pauses while its waits stay short, yields,
        // then parks until the consumer frees room in this producer's ring;
        // busy-spin: a spin).
        if tx.send(m).is_err() {
            panic!("the consumer is gone");
        }
    }

    #[inline(always)]
    fn send_with<F: FnOnce() -> M>(tx: &mut Self::Tx, make: F) {
        // Small messages: `send(value)`, what a user writes. Large ones:
        // `send_with`, which builds the message in its slot, as the docs
        // advise for messages larger than a couple of words (the 96-byte
        // row; 1.49× `send` there).
        if std::mem::size_of::<M>() <= SMALL_MESSAGE {
            return Self::send(tx, make());
        }
        if tx.send_with(make).is_err() {
            panic!("the consumer is gone");
        }
    }

    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        // `reserve` with the benchmark's back-off when full, as every peer's
        // batch row waits. The library's own blocking `reserve_with_backoff`
        // measured 5 % slower here (limit_study, batch 64, two alternations):
        // its spin looks at `head` more often than this back-off does.
        let mut rest = batch;
        let backoff = Backoff::new();
        while !rest.is_empty() {
            match tx.reserve(rest.len()) {
                Some(r) => {
                    let n = r.copy_from_slice(rest);
                    rest = &rest[n..];
                    backoff.reset();
                }
                None => full_backoff(&backoff),
            }
        }
    }

    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        rx.consume_all(|m| f(*m))
    }

    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        // The documented bulk idiom, in both rows: wait with `ready` (per
        // the configured strategy: a spin, then parking; or a spin), then
        // drain everything queued with one `consume_all` (one `head` store
        // per ring). While the producers are still publishing, `ready`
        // lets a batch gather first (WAIT-5).
        match rx.ready() {
            Ok(()) => rx.consume_all(|m| f(*m)),
            Err(_) => 0,
        }
    }

    fn wait_one<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        // The documented call for one value at once: `recv` (per the
        // configured strategy), which hands out the first value it finds
        // where `ready` would let a batch gather (WAIT-5).
        match rx.recv() {
            Ok(m) => {
                f(m);
                1
            }
            Err(_) => 0,
        }
    }
}

/// `ringmpsc::Channel` as the `ringmpsc` row, its producers sending through
/// a `Burst` (`Producer::burst`): the same sends, waits and wake-ups, with
/// the cursor kept in the producer loop's registers. The row
/// `ringmpsc-burst`.
pub struct RingMpscBurst;

impl<M: Msg> Queue<M> for RingMpscBurst {
    const NAME: &'static str = "ringmpsc-burst";
    const PARKS: bool = true;
    type Tx = ringmpsc::Producer<M>;
    type Rx = Channel<M>;

    fn channel(capacity: usize, producers: usize, waiting: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        <RingMpsc as Queue<M>>::channel(capacity, producers, waiting)
    }

    #[inline(always)]
    fn send(tx: &mut Self::Tx, m: M) {
        <RingMpsc as Queue<M>>::send(tx, m)
    }

    #[inline(always)]
    fn send_each<F: FnMut(u64) -> M>(tx: &mut Self::Tx, count: u64, mut make: F) {
        let mut burst = tx.burst();
        for seq in 0..count {
            // As the `ringmpsc` row: `send(value)` for small messages,
            // `send_with` (built in the slot) for large ones.
            let sent = if std::mem::size_of::<M>() <= SMALL_MESSAGE {
                burst.send(make(seq))
            } else {
                burst.send_with(|| make(seq))
            };
            if sent.is_err() {
                panic!("the consumer is gone");
            }
        }
    }

    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize {
        <RingMpsc as Queue<M>>::try_drain(rx, f)
    }

    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize {
        <RingMpsc as Queue<M>>::wait_drain(rx, f)
    }
}

/// `ringmpsc::StackChannel<M, N, P>`: the runtime channel with its `P`
/// rings of `N` slots allocated up front.
pub struct RingMpscStack<const N: usize, const P: usize>;

impl<M: Msg, const N: usize, const P: usize> Queue<M> for RingMpscStack<N, P> {
    const NAME: &'static str = "ringmpsc-StackChannel";
    const PARKS: bool = true;
    type Tx = ringmpsc::Producer<M>;
    type Rx = Channel<M>;

    fn channel(capacity: usize, producers: usize, waiting: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        if producers != P || capacity / producers != N {
            return None;
        }
        let strategy = match waiting {
            Waiting::Throughput => WaitStrategy::BusySpin,
            Waiting::Idle => WaitStrategy::Park,
        };
        let channel = ringmpsc::StackChannel::<M, N, P>::with_wait_strategy(strategy, false).into_inner();
        let txs = (0..producers)
            .map(|_| channel.register().ok())
            .collect::<Option<Vec<_>>>()?;
        Some((txs, channel))
    }

    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        <RingMpsc as Queue<M>>::send(tx, m)
    }

    #[inline(always)]
    fn send_with<F: FnOnce() -> M>(tx: &mut Self::Tx, make: F) {
        <RingMpsc as Queue<M>>::send_with(tx, make)
    }

    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        <RingMpsc as Queue<M>>::send_batch(tx, batch)
    }

    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize {
        <RingMpsc as Queue<M>>::try_drain(rx, f)
    }

    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, f: F) -> usize {
        <RingMpsc as Queue<M>>::wait_drain(rx, f)
    }
}

// --------------------------------------------------- ringmpsc, channel!

/// Forwards each message of a generated channel to a closure.
pub struct Forward<F>(pub F);

/// Declares `channel!` channels for the benchmark shapes and their
/// [`Queue`] implementation (library `ringmpsc-channel!`).
macro_rules! generated_queue {
    ($(($queue:ident, $channel:ident, $handler:ident, $producers:ident, $msg:ty, $cap:literal, $n:literal)),* $(,)?) => {
        $(
            ringmpsc::channel! {
                #[doc = concat!("`", stringify!($n), "` producers of `", stringify!($msg), "`, ", stringify!($cap), " slots each.")]
                pub $channel(capacity = $cap) {
                    producers: [$msg; $n],
                }
            }

            impl<F: FnMut($msg)> $handler for Forward<F> {
                #[inline]
                fn producers(&mut self, _index: usize, msg: $msg) {
                    (self.0)(msg)
                }
            }

            #[doc = concat!("`ringmpsc::channel!`: ", stringify!($n), " producers of `", stringify!($msg), "`.")]
            pub struct $queue;

            impl Queue<$msg> for $queue {
                const NAME: &'static str = "ringmpsc-channel!";
                const PARKS: bool = false;
                type Tx = ringmpsc::Producer<$msg>;
                type Rx = paste_consumer!($channel);

                fn channel(capacity: usize, producers: usize, _waiting: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
                    if producers != $n || capacity / producers != $cap {
                        return None;
                    }
                    let (p, c) = $channel::channel();
                    Some((p.producers.into_iter().collect(), c))
                }

                #[inline]
                fn send(tx: &mut Self::Tx, m: $msg) {
                    <RingMpsc as Queue<$msg>>::send(tx, m)
                }

                #[inline(always)]
                fn send_with<F: FnOnce() -> $msg>(tx: &mut Self::Tx, make: F) {
                    <RingMpsc as Queue<$msg>>::send_with(tx, make)
                }

                fn send_batch(tx: &mut Self::Tx, batch: &[$msg]) {
                    <RingMpsc as Queue<$msg>>::send_batch(tx, batch)
                }

                #[inline]
                fn try_drain<F: FnMut($msg)>(rx: &mut Self::Rx, f: F) -> usize {
                    rx.consume_all(&mut Forward(f))
                }

                fn wait_drain<F: FnMut($msg)>(rx: &mut Self::Rx, f: F) -> usize {
                    // The generated consumer's bulk idiom, as the runtime
                    // rows: `ready`, then one `consume_all`.
                    match rx.ready() {
                        Ok(()) => rx.consume_all(&mut Forward(f)),
                        Err(_) => 0,
                    }
                }
            }
        )*
    };
}

/// The consumer type `channel!` generates for a channel name.
macro_rules! paste_consumer {
    (Gen1x16384) => {
        Gen1x16384Consumer
    };
    (Gen2x8192) => {
        Gen2x8192Consumer
    };
    (Gen4x4096) => {
        Gen4x4096Consumer
    };
    (Gen8x2048) => {
        Gen8x2048Consumer
    };
    (Gen4x16) => {
        Gen4x16Consumer
    };
    (Gen1x65536) => {
        Gen1x65536Consumer
    };
    (Gen4Large) => {
        Gen4LargeConsumer
    };
}

generated_queue! {
    (GenSpsc, Gen1x16384, Gen1x16384Handler, producers, Small, 16384, 1),
    (Gen2, Gen2x8192, Gen2x8192Handler, producers, Small, 8192, 2),
    (Gen4, Gen4x4096, Gen4x4096Handler, producers, Small, 4096, 4),
    (Gen8, Gen8x2048, Gen8x2048Handler, producers, Small, 2048, 8),
    (GenBackpressure, Gen4x16, Gen4x16Handler, producers, Small, 16, 4),
    (GenPair, Gen1x65536, Gen1x65536Handler, producers, Small, 65536, 1),
    (Gen4L, Gen4Large, Gen4LargeHandler, producers, Large, 4096, 4),
}

// ------------------------------------------- crossbeam, flume, std mpsc

/// A peer whose bounded channel hands out a clonable sender, a blocking
/// `recv` and a non-blocking draining iterator (`|rx| iterator`).
macro_rules! clonable_sender_queue {
    ($(#[$doc:meta])* $queue:ident, $name:literal, $bounded:path, $tx:ty, $rx:ty, |$r:ident| $drain:expr) => {
        $(#[$doc])*
        pub struct $queue;

        impl<M: Msg> Queue<M> for $queue {
            const NAME: &'static str = $name;
            const PARKS: bool = true;
            type Tx = $tx;
            type Rx = $rx;

            fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
                let (tx, rx) = $bounded(capacity);
                Some((vec![tx; producers], rx))
            }
            #[inline]
            fn send(tx: &mut Self::Tx, m: M) {
                tx.send(m).expect("receiver alive");
            }
            #[inline]
            fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
                let $r = rx;
                $drain.map(&mut f).count()
            }
            fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
                match rx.recv() {
                    Ok(m) => {
                        f(m);
                        1 + Self::try_drain(rx, f)
                    }
                    Err(_) => 0,
                }
            }
        }
    };
}

clonable_sender_queue!(
    /// `crossbeam-channel` bounded (array flavour).
    Crossbeam,
    "crossbeam-channel",
    crossbeam_channel::bounded,
    crossbeam_channel::Sender<M>,
    crossbeam_channel::Receiver<M>,
    |rx| rx.try_iter()
);

clonable_sender_queue!(
    /// `flume` bounded.
    Flume,
    "flume",
    flume::bounded,
    flume::Sender<M>,
    flume::Receiver<M>,
    |rx| rx.drain()
);

clonable_sender_queue!(
    /// `std::sync::mpsc::sync_channel`.
    StdSync,
    "std-sync_channel",
    std::sync::mpsc::sync_channel,
    std::sync::mpsc::SyncSender<M>,
    std::sync::mpsc::Receiver<M>,
    |rx| rx.try_iter()
);

// --------------------------------------------------------------- kanal

/// `kanal` bounded, draining into a reused buffer.
pub struct Kanal;

/// kanal's receiver and the buffer `drain_into` fills.
pub struct KanalRx<M> {
    rx: kanal::Receiver<M>,
    buf: Vec<M>,
}

impl<M: Msg> Queue<M> for Kanal {
    const NAME: &'static str = "kanal";
    const PARKS: bool = true;
    type Tx = kanal::Sender<M>;
    type Rx = KanalRx<M>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        let (tx, rx) = kanal::bounded(capacity);
        Some((
            vec![tx; producers],
            KanalRx {
                rx,
                buf: Vec::with_capacity(capacity),
            },
        ))
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        tx.send(m).expect("receiver alive");
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        rx.buf.clear();
        let n = rx.rx.drain_into(&mut rx.buf).unwrap_or(0);
        rx.buf.iter().for_each(|m| f(*m));
        n
    }
    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        match rx.rx.recv() {
            Ok(m) => {
                f(m);
                1 + Self::try_drain(rx, f)
            }
            Err(_) => 0,
        }
    }
}

// --------------------------------------------------------------- tokio

/// `tokio::sync::mpsc` through its blocking API from plain threads.
pub struct TokioMpsc;

/// tokio's receiver and the buffer `blocking_recv_many` fills.
pub struct TokioRx<M> {
    rx: tokio::sync::mpsc::Receiver<M>,
    buf: Vec<M>,
}

impl<M: Msg> Queue<M> for TokioMpsc {
    const NAME: &'static str = "tokio-mpsc";
    const PARKS: bool = true;
    type Tx = tokio::sync::mpsc::Sender<M>;
    type Rx = TokioRx<M>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        let (tx, rx) = tokio::sync::mpsc::channel(capacity);
        Some((
            vec![tx; producers],
            TokioRx {
                rx,
                buf: Vec::with_capacity(capacity),
            },
        ))
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        tx.blocking_send(m).expect("receiver alive");
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        let mut n = 0;
        while let Ok(m) = rx.rx.try_recv() {
            f(m);
            n += 1;
        }
        n
    }
    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        rx.buf.clear();
        let limit = rx.buf.capacity().max(1);
        let n = rx.rx.blocking_recv_many(&mut rx.buf, limit);
        rx.buf.iter().for_each(|m| f(*m));
        n
    }
}

// ------------------------------------------------------------ thingbuf

/// `thingbuf::mpsc::blocking`.
pub struct Thingbuf;

impl<M: Msg> Queue<M> for Thingbuf {
    const NAME: &'static str = "thingbuf";
    const PARKS: bool = true;
    type Tx = thingbuf::mpsc::blocking::Sender<M>;
    type Rx = thingbuf::mpsc::blocking::Receiver<M>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        let (tx, rx) = thingbuf::mpsc::blocking::channel(capacity);
        Some((vec![tx; producers], rx))
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        tx.send(m).expect("receiver alive");
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        let mut n = 0;
        while let Ok(m) = rx.try_recv_ref() {
            f(*m);
            n += 1;
        }
        n
    }
    fn wait_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        let first = rx.recv_ref().map(|m| *m);
        match first {
            Some(m) => {
                f(m);
                1 + Self::try_drain(rx, f)
            }
            None => 0,
        }
    }
}

// ---------------------------------------------------------------- rtrb

/// `rtrb`: SPSC only; chunk APIs for batches.
pub struct Rtrb;

fn rtrb_push<M: Msg>(tx: &mut rtrb::Producer<M>, m: M) {
    let mut m = m;
    let backoff = Backoff::new();
    while let Err(rtrb::PushError::Full(back)) = tx.push(m) {
        m = back;
        full_backoff(&backoff);
    }
}

fn rtrb_push_slice<M: Msg>(tx: &mut rtrb::Producer<M>, batch: &[M]) {
    let mut rest = batch;
    let backoff = Backoff::new();
    while !rest.is_empty() {
        let (pushed, remaining) = tx.push_partial_slice(rest);
        if pushed.is_empty() {
            full_backoff(&backoff);
        } else {
            backoff.reset();
        }
        rest = remaining;
    }
}

#[inline]
fn rtrb_drain<M: Msg>(rx: &mut rtrb::Consumer<M>, f: &mut impl FnMut(M)) -> usize {
    let n = rx.slots();
    if n == 0 {
        return 0;
    }
    let chunk = rx.read_chunk(n).expect("slots are available");
    let (a, b) = chunk.as_slices();
    a.iter().chain(b).for_each(|m| f(*m));
    chunk.commit_all();
    n
}

impl<M: Msg> Queue<M> for Rtrb {
    const NAME: &'static str = "rtrb";
    const PARKS: bool = false;
    type Tx = rtrb::Producer<M>;
    type Rx = rtrb::Consumer<M>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        if producers != 1 {
            return None;
        }
        let (tx, rx) = rtrb::RingBuffer::new(capacity);
        Some((vec![tx], rx))
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        rtrb_push(tx, m);
    }
    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        rtrb_push_slice(tx, batch);
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        rtrb_drain(rx, &mut f)
    }
}

/// The obvious ring decomposition: one `rtrb` ring per producer, polled
/// round-robin. The baseline that shows what ringmpsc adds.
pub struct NaiveDecomposition;

impl<M: Msg> Queue<M> for NaiveDecomposition {
    const NAME: &'static str = "naive-rtrb-decomposition";
    const PARKS: bool = false;
    type Tx = rtrb::Producer<M>;
    type Rx = Vec<rtrb::Consumer<M>>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        let per_ring = (capacity / producers).max(1);
        Some((0..producers).map(|_| rtrb::RingBuffer::new(per_ring)).unzip())
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        rtrb_push(tx, m);
    }
    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        rtrb_push_slice(tx, batch);
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        rx.iter_mut().map(|c| rtrb_drain(c, &mut f)).sum()
    }
}

// ----------------------------------------------------------- disruptor

/// The `disruptor` crate: single- or multi-producer, batch publication,
/// an `EventPoller` on the consumer thread.
pub struct Disruptor<M>(PhantomData<M>);

/// A disruptor producer of either kind.
pub enum DisruptorTx<M: Msg> {
    /// One producer.
    Single(disruptor::SingleProducer<M, disruptor::SingleConsumerBarrier>),
    /// Several producers.
    Multi(disruptor::MultiProducer<M, disruptor::SingleConsumerBarrier>),
}

/// The disruptor consumer side.
pub type DisruptorRx<M> = disruptor::EventPoller<M, disruptor::SingleProducerBarrier>;
/// The disruptor consumer side, multi-producer.
pub type DisruptorMultiRx<M> = disruptor::EventPoller<M, disruptor::MultiProducerBarrier>;

/// A disruptor poller of either kind.
pub enum DisruptorPoller<M> {
    /// After a single producer.
    Single(DisruptorRx<M>),
    /// After several producers.
    Multi(DisruptorMultiRx<M>),
}

/// Drains a poller (its barrier trait is private to the crate, so this is
/// a macro rather than a generic function).
macro_rules! poll_into {
    ($poller:expr, $f:expr) => {
        match $poller.poll() {
            Ok(mut events) => {
                let mut n = 0;
                for e in &mut events {
                    $f(*e);
                    n += 1;
                }
                n
            }
            Err(_) => 0,
        }
    };
}

impl<M: Msg> Queue<M> for Disruptor<M> {
    const NAME: &'static str = "disruptor";
    const PARKS: bool = false;
    type Tx = DisruptorTx<M>;
    type Rx = DisruptorPoller<M>;

    fn channel(capacity: usize, producers: usize, _: Waiting) -> Option<(Vec<Self::Tx>, Self::Rx)> {
        if producers == 1 {
            let builder = disruptor::build_single_producer(capacity, M::default, disruptor::BusySpin);
            let (poller, builder) = builder.new_event_poller();
            Some((
                vec![DisruptorTx::Single(builder.build())],
                DisruptorPoller::Single(poller),
            ))
        } else {
            let builder = disruptor::build_multi_producer(capacity, M::default, disruptor::BusySpin);
            let (poller, builder) = builder.new_event_poller();
            let first = builder.build();
            let mut txs: Vec<_> = (1..producers)
                .map(|_| DisruptorTx::Multi(first.clone()))
                .collect();
            txs.push(DisruptorTx::Multi(first));
            Some((txs, DisruptorPoller::Multi(poller)))
        }
    }
    #[inline]
    fn send(tx: &mut Self::Tx, m: M) {
        match tx {
            DisruptorTx::Single(p) => p.publish(|e| *e = m),
            DisruptorTx::Multi(p) => p.publish(|e| *e = m),
        }
    }
    fn send_batch(tx: &mut Self::Tx, batch: &[M]) {
        // A batch may not exceed the ring; publish in ring-sized pieces.
        for piece in batch.chunks(1024) {
            match tx {
                DisruptorTx::Single(p) => p.batch_publish(piece.len(), |iter| {
                    iter.zip(piece).for_each(|(e, m)| *e = *m);
                }),
                DisruptorTx::Multi(p) => p.batch_publish(piece.len(), |iter| {
                    iter.zip(piece).for_each(|(e, m)| *e = *m);
                }),
            }
        }
    }
    #[inline]
    fn try_drain<F: FnMut(M)>(rx: &mut Self::Rx, mut f: F) -> usize {
        match rx {
            DisruptorPoller::Single(p) => poll_into!(p, f),
            DisruptorPoller::Multi(p) => poll_into!(p, f),
        }
    }
}

/// How long the idle-wake workload leaves a consumer idle.
pub const IDLE: Duration = Duration::from_millis(10);

// Keep `Large` and `Small` in the public docs of this module.
#[doc(hidden)]
pub type _Messages = (Small, Large);
