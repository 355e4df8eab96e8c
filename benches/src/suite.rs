//! Every workload × library case, shared by `compare`, the criterion
//! benches and the exactness test. Workload ids are stable; they are the
//! `workload` field of `compare --json`.

use crate::async_queues::{self, AsyncQueue, FlumeAsync, KanalAsync, RingMpscAsync, TokioAsync};
use crate::ideal;
use crate::msg::{Large, Small};
use crate::queues::{
    Crossbeam, Disruptor, Flume, Gen2, Gen4, Gen4L, Gen8, GenBackpressure, GenPair, GenSpsc, Kanal,
    NaiveDecomposition, Queue, RingMpsc, RingMpscBurst, RingMpscBusySpin, Rtrb, StdSync, Thingbuf, TokioMpsc,
};
use crate::workloads::{self, IdleWake, Latency, Sample};

/// Total slots of every throughput channel (split across rings where a
/// library has one ring per producer).
pub const CAPACITY: usize = 16384;
/// Slots per pair, and batch size, of the N-pairs workload.
pub const PAIR_CAPACITY: usize = 65536;
/// Batch of the N-pairs workload.
pub const PAIR_CHUNK: usize = 32768;
/// Pairs in the N-pairs workload.
pub const PAIRS: usize = 4;
/// Producers of the back-pressure workload (64 slots in total).
pub const BACKPRESSURE_PRODUCERS: usize = 4;

/// Sizes of one run.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Messages per throughput run (split across producers).
    pub messages: u64,
    /// Round trips per ping-pong run.
    pub round_trips: u64,
    /// Wake-ups per idle run.
    pub wakes: u64,
    /// Messages per back-pressure run.
    pub backpressure_messages: u64,
    /// Messages per N-pairs run (all pairs together).
    pub pair_messages: u64,
}

impl Params {
    /// The published figures.
    pub const FULL: Params = Params {
        messages: 4_000_000,
        round_trips: 20_000,
        wakes: 20,
        backpressure_messages: 200_000,
        pair_messages: 8 * PAIR_CHUNK as u64 * PAIRS as u64,
    };
    /// `compare --quick`: under a minute in all.
    pub const QUICK: Params = Params {
        messages: 200_000,
        round_trips: 2_000,
        wakes: 4,
        backpressure_messages: 20_000,
        pair_messages: 2 * PAIR_CHUNK as u64 * PAIRS as u64,
    };
    /// The exactness test: tiny, still crossing every wrap and batch edge.
    pub const TEST: Params = Params {
        messages: 20_000,
        round_trips: 200,
        wakes: 2,
        backpressure_messages: 2_000,
        pair_messages: 2 * PAIR_CHUNK as u64 * PAIRS as u64,
    };
}

/// What one run measured.
#[derive(Clone, Debug)]
pub enum Outcome {
    /// Messages per second (throughput, back-pressure with CPU, limits).
    Rate(Sample),
    /// Ping-pong round trips.
    Latency(Latency),
    /// Idle wake-ups.
    Idle(IdleWake),
}

impl Outcome {
    /// The count and checksum came out exact.
    pub fn exact(&self) -> bool {
        match self {
            Outcome::Rate(s) => s.exact(),
            Outcome::Latency(l) => l.exact(),
            Outcome::Idle(i) => i.exact(),
        }
    }

    /// The headline figure: msg/s, or ns for latencies.
    pub fn value(&self) -> f64 {
        match self {
            Outcome::Rate(s) => s.rate(),
            Outcome::Latency(l) => l.quantile(0.5),
            Outcome::Idle(i) => i.median_ns(),
        }
    }

    /// `msg/s` or `ns`.
    pub fn unit(&self) -> &'static str {
        match self {
            Outcome::Rate(_) => "msg/s",
            Outcome::Latency(_) | Outcome::Idle(_) => "ns",
        }
    }

    /// The secondary figure: p99 (ping-pong), idle CPU share (idle wake),
    /// CPU seconds (back-pressure).
    pub fn secondary(&self) -> Option<f64> {
        match self {
            Outcome::Rate(s) => s.cpu.map(|c| c.as_secs_f64()),
            Outcome::Latency(l) => Some(l.quantile(0.99)),
            Outcome::Idle(i) => Some(i.idle_cpu_fraction),
        }
    }
}

/// One workload run by one library.
#[derive(Clone, Copy)]
pub struct Case {
    /// Stable workload id.
    pub workload: &'static str,
    /// Library (crate) name.
    pub library: &'static str,
    /// Runs it once; `None` if the library lacks the shape.
    pub run: fn(&Params) -> Option<Outcome>,
}

impl std::fmt::Debug for Case {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.workload, self.library)
    }
}

/// `Case`s of one workload for a list of queues; `$q` names the queue type
/// inside `$body`.
macro_rules! cases {
    ($workload:literal, $msg:ty, |$q:ident, $p:ident| $body:expr, [$($lib:ty),* $(,)?]) => {
        vec![$(
            Case {
                workload: $workload,
                library: <$lib as Queue<$msg>>::NAME,
                run: |$p: &Params| {
                    type $q = $lib;
                    $body
                },
            }
        ),*]
    };
}

/// The throughput workloads (msg/s with N producers and one consumer).
pub const THROUGHPUT_WORKLOADS: [&str; 7] = [
    "spsc_single",
    "spsc_batch64",
    "spsc_batch4096",
    "mpsc_2p",
    "mpsc_4p",
    "mpsc_8p",
    "mpsc_4p_96b",
];

/// The async workloads (tokio tasks), msg/s.
pub const ASYNC_WORKLOADS: [&str; 2] = ["async_spsc", "async_mpsc_4p"];

/// The workloads in report order.
pub const WORKLOADS: [&str; 16] = [
    "spsc_single",
    "spsc_batch64",
    "spsc_batch4096",
    "mpsc_2p",
    "mpsc_4p",
    "mpsc_8p",
    "mpsc_4p_96b",
    "pingpong",
    "pingpong_blocking",
    "idle_wake",
    "backpressure",
    "npairs_4",
    "async_spsc",
    "async_mpsc_4p",
    "async_idle_wake",
    "limit",
];

/// `Case`s of one async workload for a list of async queues.
macro_rules! async_cases {
    ($workload:literal, |$q:ident, $p:ident| $body:expr, [$($lib:ty),* $(,)?]) => {
        vec![$(
            Case {
                workload: $workload,
                library: <$lib as AsyncQueue<Small>>::NAME,
                run: |$p: &Params| {
                    type $q = $lib;
                    Some($body)
                },
            }
        ),*]
    };
}

/// Every case, in report order.
pub fn cases() -> Vec<Case> {
    let mut all = Vec::new();
    all.extend(cases!("spsc_single", Small, |Q, p| workloads::throughput::<Q, Small>(1, p.messages, CAPACITY, 1).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, GenSpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("spsc_batch64", Small, |Q, p| workloads::throughput::<Q, Small>(1, p.messages, CAPACITY, 64).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, GenSpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("spsc_batch4096", Small, |Q, p| workloads::throughput::<Q, Small>(1, p.messages, CAPACITY, 4096).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, GenSpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("mpsc_2p", Small, |Q, p| workloads::throughput::<Q, Small>(2, p.messages / 2, CAPACITY, 1).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, Gen2, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("mpsc_4p", Small, |Q, p| workloads::throughput::<Q, Small>(4, p.messages / 4, CAPACITY, 1).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, Gen4, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("mpsc_8p", Small, |Q, p| workloads::throughput::<Q, Small>(8, p.messages / 8, CAPACITY, 1).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, Gen8, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("mpsc_4p_96b", Large, |Q, p| workloads::throughput::<Q, Large>(4, p.messages / 4, CAPACITY, 1).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, Gen4L, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Disruptor<Large>, NaiveDecomposition,
    ]));
    all.extend(cases!("pingpong", Small, |Q, p| workloads::pingpong::<Q>(p.round_trips, CAPACITY).map(Outcome::Latency), [
        RingMpsc, RingMpscBusySpin, GenSpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("pingpong_blocking", Small, |Q, p| workloads::pingpong_blocking::<Q>(p.round_trips, CAPACITY).map(Outcome::Latency), [
        RingMpsc, RingMpscBusySpin, GenSpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("idle_wake", Small, |Q, p| workloads::idle_wake::<Q>(p.wakes).map(Outcome::Idle), [
        RingMpsc, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("backpressure", Small, |Q, p| workloads::backpressure::<Q>(BACKPRESSURE_PRODUCERS, p.backpressure_messages / BACKPRESSURE_PRODUCERS as u64).map(Outcome::Rate), [
        RingMpsc, RingMpscBusySpin, RingMpscBurst, GenBackpressure, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Disruptor<Small>, NaiveDecomposition,
    ]));
    all.extend(cases!("npairs_4", Small, |Q, p| workloads::npairs::<Q>(PAIRS, p.pair_messages / PAIRS as u64, PAIR_CAPACITY, PAIR_CHUNK).map(Outcome::Rate), [
        RingMpsc, GenPair, Crossbeam, Flume, Kanal, StdSync, TokioMpsc, Thingbuf, Rtrb, Disruptor<Small>,
    ]));
    all.extend(async_cases!(
        "async_spsc",
        |Q, p| Outcome::Rate(async_queues::async_throughput::<Q, Small>(
            1, p.messages, CAPACITY
        )),
        [RingMpscAsync, TokioAsync, FlumeAsync, KanalAsync,]
    ));
    all.extend(async_cases!(
        "async_mpsc_4p",
        |Q, p| Outcome::Rate(async_queues::async_throughput::<Q, Small>(
            4,
            p.messages / 4,
            CAPACITY
        )),
        [RingMpscAsync, TokioAsync, FlumeAsync, KanalAsync,]
    ));
    all.extend(async_cases!(
        "async_idle_wake",
        |Q, p| Outcome::Idle(async_queues::async_idle_wake::<Q>(p.wakes)),
        [RingMpscAsync, TokioAsync, FlumeAsync, KanalAsync,]
    ));
    all.push(Case {
        workload: "limit",
        library: "unsynchronised-single-thread",
        run: |p| Some(Outcome::Rate(ideal::single_thread::<Small>(CAPACITY, p.messages))),
    });
    all.push(Case {
        workload: "limit",
        library: "ideal-spsc-chunk1",
        run: |p| Some(Outcome::Rate(ideal::ideal_ring::<Small>(CAPACITY, p.messages, 1))),
    });
    all.push(Case {
        workload: "limit",
        library: "ideal-spsc-chunk1-96b",
        run: |p| Some(Outcome::Rate(ideal::ideal_ring::<Large>(CAPACITY, p.messages, 1))),
    });
    all.push(Case {
        workload: "limit",
        library: "ideal-spsc-chunk64",
        run: |p| {
            Some(Outcome::Rate(ideal::ideal_ring::<Small>(
                CAPACITY, p.messages, 64,
            )))
        },
    });
    all.push(Case {
        workload: "limit",
        library: "ideal-spsc-chunk4096",
        run: |p| {
            Some(Outcome::Rate(ideal::ideal_ring::<Small>(
                CAPACITY, p.messages, 4096,
            )))
        },
    });
    all
}

/// The case `workload` / `library` in `all` (as [`cases()`] names them; the
/// limit rows are workload `limit`), or an error that lists the names
/// there are.
///
/// ```
/// use ringmpsc_benches::suite::{cases, find_case};
/// let all = cases();
/// assert_eq!(find_case(&all, "spsc_batch64", "rtrb").unwrap().library, "rtrb");
/// assert!(find_case(&all, "spsc_batch64", "no-such-crate").is_err());
/// assert!(find_case(&all, "no_such_workload", "rtrb").is_err());
/// ```
pub fn find_case<'a>(all: &'a [Case], workload: &str, library: &str) -> Result<&'a Case, String> {
    if let Some(case) = all
        .iter()
        .find(|c| c.workload == workload && c.library == library)
    {
        return Ok(case);
    }
    let libraries: Vec<&str> = all
        .iter()
        .filter(|c| c.workload == workload)
        .map(|c| c.library)
        .collect();
    if libraries.is_empty() {
        let mut workloads: Vec<&str> = Vec::new();
        for case in all {
            if !workloads.contains(&case.workload) {
                workloads.push(case.workload);
            }
        }
        return Err(format!(
            "no workload `{workload}`; known: {}",
            workloads.join(", ")
        ));
    }
    Err(format!(
        "no library `{library}` in `{workload}`; known there: {}",
        libraries.join(", ")
    ))
}

/// The limit row (b) a workload is compared with, if any.
pub fn limit_for(workload: &str) -> Option<&'static str> {
    match workload {
        "spsc_single" | "mpsc_2p" | "mpsc_4p" | "mpsc_8p" => Some("ideal-spsc-chunk1"),
        // Its own message size: 96-byte slots, not `u64`.
        "mpsc_4p_96b" => Some("ideal-spsc-chunk1-96b"),
        "spsc_batch64" => Some("ideal-spsc-chunk64"),
        "spsc_batch4096" => Some("ideal-spsc-chunk4096"),
        _ => None,
    }
}

/// `true` for the two ringmpsc rows (the runtime and the generated channel).
pub fn is_ours(library: &str) -> bool {
    library.starts_with("ringmpsc")
}
