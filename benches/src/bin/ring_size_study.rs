//! How the channel's capacity moves its throughput: `ringmpsc` (default
//! configuration) and kanal on single items, one producer and four, with
//! `u64` and 96-byte messages, on each capacity of a list. The compare
//! command holds every library to the same 16384 slots; this shows what
//! that choice does to each, in one run, rounds interleaved so that a slow
//! minute of the host hits every row. Every round is divided by the same
//! library's rate at 16384 slots in that round.
//!
//! `cargo run --release -p ringmpsc-benches --bin ring_size_study -- [RUNS [CAPACITIES]]`
//!
//! `CAPACITIES` is a comma-separated list of total slots (powers of two;
//! default `4096,16384,65536,262144`). With four producers each ringmpsc
//! ring holds a quarter of them.

use ringmpsc_benches::msg::{Large, Msg, Small};
use ringmpsc_benches::queues::{Kanal, RingMpsc};
use ringmpsc_benches::spell::median_and_span;
use ringmpsc_benches::suite::CAPACITY;
use ringmpsc_benches::workloads::{throughput, Sample};

/// Messages per run, as the compare command's throughput rows.
const MESSAGES: u64 = 4_000_000;

/// One measured configuration: its label and how to run it once.
struct Row {
    label: String,
    /// Shape and message, e.g. `mpsc_4p 96b`.
    group: String,
    library: &'static str,
    capacity: usize,
    run: Box<dyn Fn() -> Option<Sample>>,
}

/// One run of `library` (`ringmpsc` or `kanal`) moving `M` from
/// `producers` producers through `capacity` slots.
fn runner<M: Msg>(library: &str, producers: usize, capacity: usize) -> Box<dyn Fn() -> Option<Sample>> {
    let per_producer = MESSAGES / producers as u64;
    match library {
        "ringmpsc" => Box::new(move || throughput::<RingMpsc, M>(producers, per_producer, capacity, 1)),
        _ => Box::new(move || throughput::<Kanal, M>(producers, per_producer, capacity, 1)),
    }
}

/// Every row, grouped by shape and message, each group by library, then
/// by capacity.
fn rows(capacities: &[usize]) -> Vec<Row> {
    let mut rows = Vec::new();
    for (shape, producers) in [("spsc", 1usize), ("mpsc_4p", 4)] {
        for message in ["u64", "96b"] {
            for library in ["ringmpsc", "kanal"] {
                for &capacity in capacities {
                    rows.push(Row {
                        label: format!("{shape} {message} {library}, {capacity} slots"),
                        group: format!("{shape} {message}"),
                        library,
                        capacity,
                        run: match message {
                            "u64" => runner::<Small>(library, producers, capacity),
                            _ => runner::<Large>(library, producers, capacity),
                        },
                    });
                }
            }
        }
    }
    rows
}

fn parse_capacities(arg: Option<String>) -> Result<Vec<usize>, String> {
    let Some(arg) = arg else {
        return Ok(vec![4096, CAPACITY, 65536, 262144]);
    };
    arg.split(',')
        .map(|c| match c.trim().parse::<usize>() {
            // Four producers split the capacity, each ring at least 2 slots,
            // at most 2^20 (Config's range).
            Ok(n) if n.is_power_of_two() && (8..=1 << 20).contains(&n) => Ok(n),
            _ => Err(format!(
                "capacity {c:?}: expected a power of two from 8 to {}",
                1 << 20
            )),
        })
        .collect()
}

fn main() {
    let mut args = std::env::args().skip(1);
    let runs: usize = match args.next().map(|r| r.parse()) {
        None => 5,
        Some(Ok(r)) if r > 0 => r,
        Some(_) => {
            eprintln!("RUNS must be a positive number");
            std::process::exit(2);
        }
    };
    let mut capacities = match parse_capacities(args.next()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    // The reference capacity is always measured.
    if !capacities.contains(&CAPACITY) {
        capacities.push(CAPACITY);
    }
    capacities.sort_unstable();
    let rows = rows(&capacities);
    let mut rates = vec![Vec::new(); rows.len()];
    for round in 0..runs {
        for (i, row) in rows.iter().enumerate() {
            eprint!("\rround {}/{runs}: {:<48}", round + 1, row.label);
            match (row.run)() {
                Some(sample) if sample.exact() => rates[i].push(sample.rate() / 1e6),
                _ => panic!("{} failed or lost messages", row.label),
            }
        }
    }
    eprintln!();
    println!("M msg/s, median [min–max] of {runs}; ÷ the same library at {CAPACITY} slots per round, median");
    // Each round's rate over the same library's at the reference capacity
    // in that round: the host's slow minutes cancel out of these.
    for (i, row) in rows.iter().enumerate() {
        let reference = rows
            .iter()
            .position(|r| r.capacity == CAPACITY && r.library == row.library && r.group == row.group)
            .expect("the reference capacity is measured");
        let ratios = rates[i]
            .iter()
            .zip(&rates[reference])
            .map(|(r, b)| r / b)
            .collect();
        let (median, min, max) = median_and_span(rates[i].clone());
        let (ratio, low, high) = median_and_span(ratios);
        println!(
            "  {:<44} {median:>8.1}  [{min:.1}–{max:.1}]  {ratio:>5.2}× [{low:.2}–{high:.2}]",
            row.label
        );
    }
}
