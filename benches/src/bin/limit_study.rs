//! Which configuration of the ideal ring is a ceiling, and why the
//! disruptor beat the old one: every ideal-ring variant
//! ([`IdealVariant::ALL`], on the workload's 16384 slots) and the ceiling
//! configurations on each ring size the limit rows try ([`ring_sizes`])
//! beside the SPSC libraries, in the same run, rounds interleaved so that
//! a slow minute of the host hits every row. Every round is divided by
//! ringmpsc's: a ceiling stays above 1.0.
//!
//! `cargo run --release -p ringmpsc-benches --bin limit_study -- [RUNS [WORKLOAD]]`

use ringmpsc_benches::ideal::{ideal_ring_with, ring_sizes, IdealVariant};
use ringmpsc_benches::msg::Small;
use ringmpsc_benches::suite::{cases, Outcome, Params, CAPACITY};

/// The SPSC workloads and their batch size.
const WORKLOADS: [(&str, usize); 3] = [("spsc_single", 1), ("spsc_batch64", 64), ("spsc_batch4096", 4096)];
/// The libraries shown beside the variants.
const LIBRARIES: [&str; 4] = ["ringmpsc", "ringmpsc-busyspin", "rtrb", "disruptor"];
/// The row every round is divided by (an index into `LIBRARIES`).
const REFERENCE: usize = 0;

fn median_and_span(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
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
        let rows = ideals.len() + libraries.len();
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
        }
        eprintln!();
        // Each round's rate over the reference row's in the same round: the
        // host's slow minutes cancel out of these.
        let reference = rates.len() - libraries.len() + REFERENCE;
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
            .chain(libraries.iter().map(|c| c.library.to_string()));
        for ((label, rates), ratios) in labels.zip(rates).zip(ratios) {
            let (median, min, max) = median_and_span(rates);
            let (ratio, low, high) = median_and_span(ratios);
            println!("  {label:<38} {median:>8.1}  [{min:.1}–{max:.1}]  {ratio:>5.2}× [{low:.2}–{high:.2}]");
        }
    }
}
