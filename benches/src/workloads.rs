//! The workloads, generic over a [`Queue`] and a [`Msg`]. Each returns what
//! it measured together with the checksum it reached and the one it had to
//! reach; `None` when the library does not support the shape.

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use crate::msg::{expected_checksum, make_chunk, value, Msg, Small};
use crate::queues::{Queue, Waiting, IDLE};

/// One timed run of a throughput workload.
#[derive(Clone, Copy, Debug)]
pub struct Sample {
    /// Messages the consumer(s) actually received.
    pub messages: u64,
    /// The checksum folded by the consumer(s).
    pub checksum: u64,
    /// The checksum they had to reach.
    pub expected: u64,
    /// Wall time from the start line to the last message received.
    pub elapsed: Duration,
    /// Process CPU time over the run, where measured.
    pub cpu: Option<Duration>,
}

impl Sample {
    /// A sample without CPU time.
    pub fn new(messages: u64, checksum: u64, expected: u64, elapsed: Duration) -> Self {
        Sample {
            messages,
            checksum,
            expected,
            elapsed,
            cpu: None,
        }
    }

    /// Messages per second.
    pub fn rate(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Every message arrived and the checksum matches.
    pub fn exact(&self) -> bool {
        self.checksum == self.expected
    }
}

/// Round-trip latencies of a ping-pong run.
#[derive(Clone, Debug)]
pub struct Latency {
    /// Sorted round-trip times, nanoseconds.
    pub round_trips_ns: Vec<u64>,
    /// Sum of the values echoed back, and the sum sent.
    pub checksum: u64,
    /// The sum sent.
    pub expected: u64,
}

impl Latency {
    /// The `q`-quantile (0..=1), nanoseconds.
    pub fn quantile(&self, q: f64) -> f64 {
        let v = &self.round_trips_ns;
        if v.is_empty() {
            return f64::NAN;
        }
        v[((v.len() - 1) as f64 * q).round() as usize] as f64
    }
    /// Every value came back.
    pub fn exact(&self) -> bool {
        self.checksum == self.expected && !self.round_trips_ns.is_empty()
    }
}

/// Wake-ups of an idle consumer.
#[derive(Clone, Debug)]
pub struct IdleWake {
    /// Sorted send-to-receive times after an idle period, nanoseconds.
    pub wake_ns: Vec<u64>,
    /// Consumer CPU time over wall time while it waited.
    pub idle_cpu_fraction: f64,
    /// Sum of the stamps received.
    pub checksum: u64,
    /// Sum of the stamps sent.
    pub expected: u64,
}

impl IdleWake {
    /// Median wake-up latency, nanoseconds.
    pub fn median_ns(&self) -> f64 {
        let v = &self.wake_ns;
        if v.is_empty() {
            return f64::NAN;
        }
        v[v.len() / 2] as f64
    }
    /// Every message arrived.
    pub fn exact(&self) -> bool {
        self.checksum == self.expected && !self.wake_ns.is_empty()
    }
}

/// Fails a run that stops making progress (a lost message would otherwise
/// hang it forever) with a message saying how far it got. Reads the clock
/// only after [`CLOCK_EVERY`](Self::CLOCK_EVERY) checks in a row without
/// progress, so it costs nothing on the measured path, also where the
/// measured path is a poll that finds nothing (ping-pong's: a clock read
/// on every empty poll took 30 % of its samples and set how often each
/// library looked).
struct Watchdog {
    stalled_since: Option<Instant>,
    seen: u64,
    /// Checks without progress since the last clock read.
    idle_checks: u32,
}

impl Watchdog {
    const LIMIT: Duration = Duration::from_secs(20);
    /// Checks without progress between two clock reads: a few hundred
    /// microseconds of polling at most, far below [`LIMIT`](Self::LIMIT).
    const CLOCK_EVERY: u32 = 4096;

    fn new() -> Self {
        Watchdog {
            stalled_since: None,
            seen: 0,
            idle_checks: 0,
        }
    }

    #[inline]
    fn check(&mut self, progress: u64, total: u64, what: &str) {
        if progress != self.seen {
            self.seen = progress;
            self.stalled_since = None;
            self.idle_checks = 0;
            return;
        }
        self.idle_checks += 1;
        if self.idle_checks < Self::CLOCK_EVERY {
            return;
        }
        self.idle_checks = 0;
        let since = *self.stalled_since.get_or_insert_with(Instant::now);
        if since.elapsed() > Self::LIMIT {
            panic!(
                "{what} stalled: {progress} of {total} after {:?} without progress",
                Self::LIMIT
            );
        }
    }
}

/// CPUs online. Not `available_parallelism`, which reads the calling
/// thread's affinity and so would see one CPU in a thread spawned by a
/// pinned one.
pub fn online_cpus() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_NPROCESSORS_ONLN) };
    usize::try_from(n).unwrap_or(1).max(1)
}

/// Pins the calling thread to one CPU. Every thread workload puts its
/// consumer(s) on CPU 0 and its producers on the other CPUs, round-robin
/// (the async workloads leave their runtime's threads to the scheduler,
/// [`unpin`]): left alone,
/// the scheduler sometimes runs producer and consumer on one core for a
/// while, and a single run then measures time-sharing instead of
/// cross-core traffic (figures jump between ~25 and ~300 M msg/s). The
/// same placement applies to every library.
pub fn pin_to_cpu(cpu: usize) {
    let cpus = online_cpus();
    if cpus < 2 {
        return;
    }
    set_affinity(&[cpu % cpus]);
}

/// Lets the calling thread run on every online CPU again, undoing a
/// [`pin_to_cpu`]. A thread starts with its creator's affinity, so a
/// runtime whose worker threads are spawned by a pinned thread would run
/// them all on that one CPU: the async workloads call this before they
/// build their runtime, whose workers the scheduler then places.
pub fn unpin() {
    let all: Vec<usize> = (0..online_cpus()).collect();
    set_affinity(&all);
}

/// Restricts the calling thread to `cpus`, best effort: a refused
/// affinity leaves the thread where it is.
fn set_affinity(cpus: &[usize]) {
    // SAFETY: `set` is a plain bitmask that starts zeroed; CPU_SET is only
    // given CPUs below `CPU_SETSIZE`, so it writes within the mask.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for &cpu in cpus.iter().filter(|&&cpu| cpu < libc::CPU_SETSIZE as usize) {
            libc::CPU_SET(cpu, &mut set);
        }
        let _ = libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Pins a consumer thread (CPU 0).
pub fn pin_consumer() {
    pin_to_cpu(0);
}

/// Pins producer `i` (CPUs 1.., round-robin; CPU 1 on a 2-core machine).
pub fn pin_producer(i: usize) {
    let cpus = online_cpus();
    pin_to_cpu(1 + i % cpus.saturating_sub(1).max(1));
}

/// Joins producer threads that return the instant they started sending,
/// and gives the earliest: a run is timed from its first send, whichever
/// thread the scheduler ran first.
fn first_start(handles: Vec<thread::JoinHandle<Instant>>) -> Instant {
    handles
        .into_iter()
        .map(|h| h.join().expect("producer panicked"))
        .min()
        .expect("at least one producer")
}

/// CPU time of the calling thread.
pub fn thread_cpu() -> Duration {
    cpu_clock(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// CPU time of the whole process, all threads.
pub fn process_cpu() -> Duration {
    cpu_clock(libc::CLOCK_PROCESS_CPUTIME_ID)
}

fn cpu_clock(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock ids are constants
    // the kernel supports.
    let rc = unsafe { libc::clock_gettime(clock, &mut ts) };
    if rc != 0 {
        return Duration::ZERO;
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Starts one thread per producer handle: it pins itself, waits at the
/// start line, sends `per_producer` distinct values (single items, or
/// batches of `chunk`), and returns the instant it started sending.
fn spawn_producers<Q: Queue<M>, M: Msg>(
    txs: Vec<Q::Tx>,
    per_producer: u64,
    chunk: usize,
    start_line: &Arc<Barrier>,
) -> Vec<thread::JoinHandle<Instant>> {
    txs.into_iter()
        .enumerate()
        .map(|(p, mut tx)| {
            let start_line = Arc::clone(start_line);
            thread::spawn(move || {
                pin_producer(p);
                start_line.wait();
                let started = Instant::now();
                if chunk <= 1 {
                    Q::send_each(&mut tx, per_producer, |seq| M::new(value(p, seq)));
                } else {
                    let mut batch = Vec::with_capacity(chunk);
                    let mut seq = 0;
                    while seq < per_producer {
                        let n = (per_producer - seq).min(chunk as u64);
                        make_chunk(&mut batch, p, seq..seq + n);
                        Q::send_batch(&mut tx, &batch);
                        seq += n;
                    }
                }
                // Dropping `tx` here ends this producer.
                started
            })
        })
        .collect()
}

/// N producers → 1 consumer. Each producer sends `per_producer` distinct
/// values, single items (`chunk == 1`) or in batches of `chunk`; the
/// consumer (this thread) folds every message into the checksum.
pub fn throughput<Q: Queue<M>, M: Msg>(
    producers: usize,
    per_producer: u64,
    capacity: usize,
    chunk: usize,
) -> Option<Sample> {
    let (txs, mut rx) = Q::channel(capacity, producers, Waiting::Throughput)?;
    let start_line = Arc::new(Barrier::new(producers + 1));
    let handles = spawn_producers::<Q, M>(txs, per_producer, chunk, &start_line);
    let total = producers as u64 * per_producer;
    pin_consumer();
    start_line.wait();
    let (mut received, mut checksum) = (0u64, 0u64);
    let mut watchdog = Watchdog::new();
    while received < total {
        received += Q::wait_drain(&mut rx, |m: M| checksum = checksum.wrapping_add(m.fold())) as u64;
        watchdog.check(received, total, Q::NAME);
    }
    let end = Instant::now();
    let elapsed = end - first_start(handles);
    Some(Sample::new(
        received,
        checksum,
        expected_checksum::<M>(producers, per_producer),
        elapsed,
    ))
}

/// Ping-pong: one value to an echo thread and back, `round_trips` times;
/// both sides poll (the lowest latency every library offers).
pub fn pingpong<Q: Queue<Small>>(round_trips: u64, capacity: usize) -> Option<Latency> {
    ping_pong::<Q, false>(round_trips, capacity)
}

/// Ping-pong through each library's blocking receive for one value
/// ([`Queue::wait_one`]) on both sides, its channels built for idle
/// waits (parking where the library parks): the round trip a user of
/// `recv` gets. Libraries without a blocking receive spin with a
/// back-off, as in every waiting workload.
pub fn pingpong_blocking<Q: Queue<Small>>(round_trips: u64, capacity: usize) -> Option<Latency> {
    ping_pong::<Q, true>(round_trips, capacity)
}

/// Ping-pong whose sides poll with `try_drain`, or block in `wait_one`
/// (`BLOCK`; a constant, so the polling loop carries no test of it).
fn ping_pong<Q: Queue<Small>, const BLOCK: bool>(round_trips: u64, capacity: usize) -> Option<Latency> {
    let waiting = if BLOCK { Waiting::Idle } else { Waiting::Throughput };
    let (mut ping_tx, mut ping_rx) = Q::channel(capacity, 1, waiting)?;
    let (mut pong_tx, mut pong_rx) = Q::channel(capacity, 1, waiting)?;
    let (mut ping_tx, mut pong_tx) = (ping_tx.pop()?, pong_tx.pop()?);
    let echo = thread::spawn(move || {
        pin_producer(0);
        let mut echoed = 0;
        while echoed < round_trips {
            let echo = |m| Q::send(&mut pong_tx, m);
            echoed += if BLOCK {
                Q::wait_one(&mut ping_rx, echo)
            } else {
                Q::try_drain(&mut ping_rx, echo)
            } as u64;
        }
    });
    pin_consumer();
    let mut round_trips_ns = Vec::with_capacity(round_trips as usize);
    let (mut checksum, mut expected) = (0u64, 0u64);
    for seq in 0..round_trips {
        let v = value(0, seq);
        expected = expected.wrapping_add(v);
        let t0 = Instant::now();
        Q::send(&mut ping_tx, Small::new(v));
        let mut got = None;
        let mut watchdog = Watchdog::new();
        while got.is_none() {
            let take = |m| got = Some(m);
            if BLOCK {
                Q::wait_one(&mut pong_rx, take)
            } else {
                Q::try_drain(&mut pong_rx, take)
            };
            watchdog.check(0, 1, Q::NAME);
        }
        round_trips_ns.push(t0.elapsed().as_nanos() as u64);
        checksum = checksum.wrapping_add(got.map_or(0, |m| m.fold()));
    }
    echo.join().expect("echo thread panicked");
    round_trips_ns.sort_unstable();
    Some(Latency {
        round_trips_ns,
        checksum,
        expected,
    })
}

/// Idle wake-up: the consumer waits (parked, where the library parks) for
/// `IDLE`, then one message arrives; measures send-to-receive time and the
/// consumer's CPU time while it waited.
pub fn idle_wake<Q: Queue<Small>>(wakes: u64) -> Option<IdleWake> {
    let (mut txs, mut rx) = Q::channel(1024, 1, Waiting::Idle)?;
    let mut tx = txs.pop()?;
    let epoch = Instant::now();
    let producer = thread::spawn(move || {
        pin_producer(0);
        let mut sent = 0u64;
        for _ in 0..wakes {
            thread::sleep(IDLE);
            let stamp = epoch.elapsed().as_nanos() as u64;
            sent = sent.wrapping_add(stamp);
            Q::send(&mut tx, Small::new(stamp));
        }
        sent
    });
    pin_consumer();
    let (mut wake_ns, mut checksum) = (Vec::new(), 0u64);
    let (mut cpu, mut wall) = (Duration::ZERO, Duration::ZERO);
    while (wake_ns.len() as u64) < wakes {
        let (cpu0, wall0) = (thread_cpu(), Instant::now());
        Q::wait_drain(&mut rx, |m| {
            let now = epoch.elapsed().as_nanos() as u64;
            wake_ns.push(now.saturating_sub(m.0));
            checksum = checksum.wrapping_add(m.0);
        });
        cpu += thread_cpu().saturating_sub(cpu0);
        wall += wall0.elapsed();
    }
    let expected = producer.join().expect("producer panicked");
    wake_ns.sort_unstable();
    let idle_cpu_fraction = cpu.as_secs_f64() / wall.as_secs_f64().max(1e-9);
    Some(IdleWake {
        wake_ns,
        idle_cpu_fraction,
        checksum,
        expected,
    })
}

/// The consumer's work per message in the back-pressure workload: enough
/// that producers outrun it.
#[inline]
pub fn consumer_work(v: u64) -> u64 {
    let mut x = v | 1;
    for _ in 0..64 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    x
}

/// Back-pressure: `producers` producers outrun a slow consumer through 64
/// slots in total; reports throughput and total process CPU time (parking
/// libraries park, spinning ones spin).
pub fn backpressure<Q: Queue<Small>>(producers: usize, per_producer: u64) -> Option<Sample> {
    let (txs, mut rx) = Q::channel(64, producers, Waiting::Idle)?;
    let start_line = Arc::new(Barrier::new(producers + 1));
    let handles = spawn_producers::<Q, Small>(txs, per_producer, 1, &start_line);
    let total = producers as u64 * per_producer;
    pin_consumer();
    let cpu0 = process_cpu();
    start_line.wait();
    let (mut received, mut checksum, mut sink) = (0u64, 0u64, 0u64);
    let mut watchdog = Watchdog::new();
    while received < total {
        received += Q::wait_drain(&mut rx, |m| {
            sink ^= consumer_work(m.0);
            checksum = checksum.wrapping_add(m.fold());
        }) as u64;
        watchdog.check(received, total, Q::NAME);
    }
    let (end, cpu) = (Instant::now(), process_cpu().saturating_sub(cpu0));
    std::hint::black_box(sink);
    let elapsed = end - first_start(handles);
    let mut sample = Sample::new(
        received,
        checksum,
        expected_checksum::<Small>(producers, per_producer),
        elapsed,
    );
    sample.cpu = Some(cpu);
    Some(sample)
}

/// N independent pairs (N producers and N consumers, one channel each),
/// batches of `chunk`: the aggregate the original RingMPSC headline used.
pub fn npairs<Q: Queue<Small>>(pairs: usize, per_pair: u64, capacity: usize, chunk: usize) -> Option<Sample> {
    let mut channels = Vec::with_capacity(pairs);
    for _ in 0..pairs {
        let (mut txs, rx) = Q::channel(capacity, 1, Waiting::Throughput)?;
        channels.push((txs.pop()?, rx));
    }
    let start_line = Arc::new(Barrier::new(2 * pairs + 1));
    let mut consumers = Vec::new();
    let mut producers = Vec::new();
    for (pair, (mut tx, mut rx)) in channels.into_iter().enumerate() {
        let s = Arc::clone(&start_line);
        producers.push(thread::spawn(move || {
            pin_producer(pair);
            s.wait();
            let started = Instant::now();
            let mut batch = Vec::with_capacity(chunk);
            let mut seq = 0;
            while seq < per_pair {
                let n = (per_pair - seq).min(chunk as u64);
                make_chunk(&mut batch, 0, seq..seq + n);
                Q::send_batch(&mut tx, &batch);
                seq += n;
            }
            started
        }));
        let s = Arc::clone(&start_line);
        consumers.push(thread::spawn(move || {
            pin_consumer();
            s.wait();
            let (mut received, mut checksum) = (0u64, 0u64);
            let mut watchdog = Watchdog::new();
            while received < per_pair {
                received += Q::wait_drain(&mut rx, |m| checksum = checksum.wrapping_add(m.fold())) as u64;
                watchdog.check(received, per_pair, Q::NAME);
            }
            (received, checksum, Instant::now())
        }));
    }
    start_line.wait();
    let (mut received, mut checksum) = (0u64, 0u64);
    let mut end = None;
    for c in consumers {
        let (r, sum, finished) = c.join().expect("consumer panicked");
        received += r;
        checksum = checksum.wrapping_add(sum);
        end = end.max(Some(finished));
    }
    let elapsed = end.expect("at least one pair") - first_start(producers);
    let expected = (0..pairs).fold(0u64, |acc, _| {
        acc.wrapping_add(expected_checksum::<Small>(1, per_pair))
    });
    Some(Sample::new(received, checksum, expected, elapsed))
}
