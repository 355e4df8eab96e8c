//! Which configuration of the ideal ring is a ceiling, and why the
//! disruptor beat the old one: every ideal-ring variant
//! ([`IdealVariant::ALL`], on the workload's 16384 slots) and the ceiling
//! configurations on each ring size the limit rows try ([`ring_sizes`])
//! beside the SPSC libraries, in the same run, rounds interleaved so that
//! a slow minute of the host hits every row. Every round is divided by
//! ringmpsc's: a ceiling stays above 1.0.
//!
//! For batches, one more row: `ringmpsc` with its values made in their
//! slots (`reserve` + `fill_with`) instead of made first and copied, as
//! the batch rows' libraries all do; set beside the ideal ring's direct
//! writes, it shows what the zero-copy path gives up against the ceiling.
//!
//! `cargo run --release -p ringmpsc-benches --bin limit_study -- [RUNS [WORKLOAD]]`

use std::sync::{Arc, Barrier};
use std::thread;
use std::time::Instant;

use crossbeam_utils::Backoff;
use ringmpsc_benches::ideal::{ideal_ring_with, ring_sizes, IdealVariant};
use ringmpsc_benches::msg::{expected_checksum, value, Msg, Small};
use ringmpsc_benches::queues::{Queue, RingMpsc, Waiting};
use ringmpsc_benches::spell::median_and_span;
use ringmpsc_benches::suite::{cases, Outcome, Params, CAPACITY};
use ringmpsc_benches::workloads::{pin_consumer, pin_producer, Sample};

/// The SPSC workloads and their batch size.
const WORKLOADS: [(&str, usize); 3] = [("spsc_single", 1), ("spsc_batch64", 64), ("spsc_batch4096", 4096)];
/// The libraries shown beside the variants.
const LIBRARIES: [&str; 4] = ["ringmpsc", "ringmpsc-busyspin", "rtrb", "disruptor"];
/// The row every round is divided by (an index into `LIBRARIES`).
const REFERENCE: usize = 0;

/// The label of the in-place row.
const IN_PLACE: &str = "ringmpsc, made in place (fill_with)";

/// One producer sending `total` values in chunks of `chunk`, each chunk
/// made in its slots with `reserve` + `fill_with` (waiting with the batch
/// rows' back-off while the ring is full), on the `ringmpsc` row's
/// channel, drained by its consumer (`Queue::wait_drain`).
fn ringmpsc_made_in_place(total: u64, chunk: usize) -> Sample {
    let (mut txs, mut rx) =
        <RingMpsc as Queue<Small>>::channel(CAPACITY, 1, Waiting::Throughput).expect("one ring");
    let mut tx = txs.pop().expect("one producer");
    let start_line = Arc::new(Barrier::new(2));
    let producer = thread::spawn({
        let start_line = Arc::clone(&start_line);
        move || {
            pin_producer(0);
            start_line.wait();
            let started = Instant::now();
            let backoff = Backoff::new();
            let mut seq = 0u64;
            while seq < total {
                let wanted = (total - seq).min(chunk as u64) as usize;
                match tx.reserve(wanted) {
                    Some(r) => {
                        seq += r.fill_with(|i| Small::new(value(0, seq + i as u64))) as u64;
                        backoff.reset();
                    }
                    None => backoff.snooze(),
                }
            }
            started
        }
    });
    pin_consumer();
    start_line.wait();
    let (mut received, mut checksum) = (0u64, 0u64);
    while received < total {
        // 0 only once the producer is gone: the count then falls short.
        match <RingMpsc as Queue<Small>>::wait_drain(&mut rx, |m| checksum = checksum.wrapping_add(m.fold()))
        {
            0 => break,
            drained => received += drained as u64,
        }
    }
    let end = Instant::now();
    let started = producer.join().expect("the producer panicked");
    Sample::new(
        received,
        checksum,
        expected_checksum::<Small>(1, total),
        end - started,
    )
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let only = args.next();
    let params = Params::FULL;
    let all = cases();
    for (workload, chunk) in WORKLOADS {
        if only.as_deref().is_some_and(|o| o != workload) {
            continue;
        }
        let libraries: Vec<_> = LIBRARIES
            .iter()
            .filter_map(|l| all.iter().find(|c| c.workload == workload && c.library == *l))
            .collect();
        // The ideal rings measured: every variant on the workload's
        // capacity, then each ceiling configuration on each ring size.
        let ideals: Vec<(String, IdealVariant, usize)> = IdealVariant::ALL
            .iter()
            .map(|v| (format!("ideal {}", v.label()), *v, CAPACITY))
            .chain(IdealVariant::ceilings(chunk).into_iter().flat_map(|ceiling| {
                ring_sizes(CAPACITY, chunk, std::mem::size_of::<Small>()).map(move |slots| {
                    (
                        format!("ceiling {}, {slots} slots", ceiling.label()),
                        ceiling,
                        slots,
                    )
                })
            }))
            .collect();
        let in_place = chunk > 1;
        let rows = ideals.len() + libraries.len() + usize::from(in_place);
        let mut rates = vec![Vec::new(); rows];
        for run in 0..runs {
            eprint!("\r{workload}: round {}/{runs}", run + 1);
            for (i, (label, variant, slots)) in ideals.iter().enumerate() {
                let sample = ideal_ring_with::<Small>(*slots, params.messages, chunk, *variant);
                assert!(sample.exact(), "{label} lost messages");
                rates[i].push(sample.rate() / 1e6);
            }
            for (i, case) in libraries.iter().enumerate() {
                match (case.run)(&params) {
                    Some(Outcome::Rate(sample)) if sample.exact() => {
                        rates[ideals.len() + i].push(sample.rate() / 1e6)
                    }
                    _ => panic!("{workload} / {} was not exact", case.library),
                }
            }
            if in_place {
                let sample = ringmpsc_made_in_place(params.messages, chunk);
                assert!(sample.exact(), "{IN_PLACE} lost messages");
                rates[rows - 1].push(sample.rate() / 1e6);
            }
        }
        eprintln!();
        // Each round's rate over the reference row's in the same round: the
        // host's slow minutes cancel out of these.
        let reference = ideals.len() + REFERENCE;
        let ratios: Vec<Vec<f64>> = rates
            .iter()
            .map(|row| {
                row.iter()
                    .zip(&rates[reference])
                    .map(|(r, base)| r / base)
                    .collect()
            })
            .collect();
        println!(
            "{workload} (M msg/s, median [min–max] of {runs}; ÷ {} per round, median)",
            LIBRARIES[REFERENCE]
        );
        let labels = ideals
            .iter()
            .map(|(label, ..)| label.clone())
            .chain(libraries.iter().map(|c| c.library.to_string()))
            .chain(in_place.then(|| IN_PLACE.to_string()));
        for ((label, rates), ratios) in labels.zip(rates).zip(ratios) {
            let (median, min, max) = median_and_span(rates);
            let (ratio, low, high) = median_and_span(ratios);
            println!("  {label:<38} {median:>8.1}  [{min:.1}–{max:.1}]  {ratio:>5.2}× [{low:.2}–{high:.2}]");
        }
    }
}
