//! criterion benches of every workload × library case of the suite (at
//! `compare --quick` size), plus the question of issue "macro layer": does a
//! `channel!`-generated channel cost anything over the hand-written
//! `Channel` / `StackChannel` on the same workload?
//!
//! `cargo bench -p ringmpsc-benches` (all), or filter:
//! `cargo bench -p ringmpsc-benches -- generated_vs_handwritten`.

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use ringmpsc_benches::msg::Small;
use ringmpsc_benches::queues::{Gen4, GenSpsc, Queue, RingMpsc, RingMpscStack};
use ringmpsc_benches::suite::{cases, Outcome, Params, CAPACITY, WORKLOADS};
use ringmpsc_benches::workloads::{self, Sample};

/// The time one run stands for: the elapsed time of throughput runs, the
/// median round trip or wake-up of latency runs.
fn duration(outcome: Option<Outcome>) -> Duration {
    match outcome.expect("case supported") {
        o if !o.exact() => panic!("count or checksum is off"),
        Outcome::Rate(s) => s.elapsed,
        o => Duration::from_nanos(o.value() as u64),
    }
}

fn suite(c: &mut Criterion) {
    let params = Params::QUICK;
    let all = cases();
    for workload in WORKLOADS {
        let mut group = c.benchmark_group(workload);
        group
            .sample_size(10)
            .measurement_time(Duration::from_secs(2))
            .warm_up_time(Duration::from_millis(300));
        for case in all.iter().filter(|c| c.workload == workload) {
            let probe = (case.run)(&params);
            if let Some(Outcome::Rate(s)) = &probe {
                group.throughput(Throughput::Elements(s.messages));
            }
            group.bench_function(BenchmarkId::from_parameter(case.library), |b| {
                b.iter_custom(|iters| (0..iters).map(|_| duration((case.run)(&params))).sum())
            });
        }
        group.finish();
    }
}

/// One throughput run of a queue: `(producers, messages) -> elapsed`.
type Runner = fn(usize, u64) -> Duration;

fn run<Q: Queue<Small>>(producers: usize, messages: u64) -> Duration {
    let s: Sample = workloads::throughput::<Q, Small>(producers, messages / producers as u64, CAPACITY, 1)
        .expect("shape supported");
    assert!(s.exact(), "count or checksum is off");
    s.elapsed
}

/// The generated channel against the runtime channel it is built from, on
/// the same workload, interleaved in one group.
fn generated_vs_handwritten(c: &mut Criterion) {
    let messages = Params::QUICK.messages;
    for (label, producers) in [("spsc_single", 1usize), ("mpsc_4p", 4)] {
        let mut group = c.benchmark_group(format!("generated_vs_handwritten/{label}"));
        group
            .sample_size(20)
            .measurement_time(Duration::from_secs(3))
            .throughput(Throughput::Elements(messages));
        let runs: [(&str, Runner); 3] = if producers == 1 {
            [
                ("Channel", run::<RingMpsc>),
                ("StackChannel", run::<RingMpscStack<16384, 1>>),
                ("channel!", run::<GenSpsc>),
            ]
        } else {
            [
                ("Channel", run::<RingMpsc>),
                ("StackChannel", run::<RingMpscStack<4096, 4>>),
                ("channel!", run::<Gen4>),
            ]
        };
        for (name, f) in runs {
            group.bench_function(name, |b| {
                b.iter_custom(|iters| (0..iters).map(|_| f(producers, messages)).sum())
            });
        }
        group.finish();
    }
}

criterion_group!(benches, generated_vs_handwritten, suite);
criterion_main!(benches);
