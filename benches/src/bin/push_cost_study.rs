//! What the gap between `ringmpsc`'s single pushes and limit (b) is made
//! of: the ideal ring's producer of single items as is, and with the work
//! `ringmpsc`'s `send` does that it does not ([`PushExtras`]: the load of
//! the channel's `signal` after each publish, and the cursor kept behind
//! `&self`), beside `ringmpsc`'s `spsc_single` rows, rounds interleaved.
//! Every round is divided by the ideal ring's in that round, every other
//! round runs the rows in reverse, and every round is printed too: on a
//! host whose speed changes between spells, the rows' order can change
//! with it.
//!
//! Where the linker puts each loop moves its rate by up to 1.4× here
//! (BENCHMARKS.md); built with `RUSTFLAGS="-C llvm-args=-align-loops=64"`
//! every loop starts on a cache line and the rows keep their order.
//!
//! `cargo run --release -p ringmpsc-benches --bin push_cost_study -- [ROUNDS [SLOTS]]`

use ringmpsc_benches::ideal::{ideal_single_with_extras, IdealVariant, PushExtras};
use ringmpsc_benches::msg::Small;
use ringmpsc_benches::spell::median_and_span;
use ringmpsc_benches::suite::{cases, Outcome, Params, CAPACITY};

/// The ideal producer's variants: as is first (the reference), then with
/// each extra, then with both.
const EXTRAS: [PushExtras; 4] = [
    PushExtras::NONE,
    PushExtras {
        signal: true,
        cursor: false,
    },
    PushExtras {
        signal: false,
        cursor: true,
    },
    PushExtras {
        signal: true,
        cursor: true,
    },
];

/// The library rows shown beside them (`spsc_single`).
const LIBRARIES: [&str; 3] = ["ringmpsc", "ringmpsc-busyspin", "ringmpsc-burst"];

fn main() {
    let mut args = std::env::args().skip(1);
    let rounds: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(9).max(1);
    let slots: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(CAPACITY);
    if !slots.is_power_of_two() || slots > CAPACITY {
        eprintln!("SLOTS must be a power of two up to {CAPACITY}");
        std::process::exit(2);
    }
    let params = Params::FULL;
    // The ceiling's consumer for single items (the fastest configuration
    // `ideal_ring` tries).
    let variant = IdealVariant::ceilings(1)[0];
    let all = cases();
    let libraries: Vec<_> = LIBRARIES
        .iter()
        .map(|l| {
            all.iter()
                .find(|c| c.workload == "spsc_single" && c.library == *l)
                .expect("an spsc_single row")
        })
        .collect();
    let labels: Vec<String> = EXTRAS
        .iter()
        .map(|e| e.label())
        .chain(libraries.iter().map(|c| c.library.to_string()))
        .collect();
    let mut rates = vec![Vec::new(); labels.len()];
    println!(
        "single u64 pushes, M msg/s per round (ideal rows on {slots} slots, {}; libraries on {CAPACITY})",
        variant.label()
    );
    println!(
        "  round {}",
        labels.iter().map(|l| format!("{l:>19}")).collect::<String>()
    );
    for round in 0..rounds {
        eprint!("\rround {}/{rounds}", round + 1);
        // Every other round runs the rows in reverse, so that a spell of
        // the host starting within a round does not always favour the
        // same rows.
        let mut order: Vec<usize> = (0..labels.len()).collect();
        if round % 2 == 1 {
            order.reverse();
        }
        for row in order {
            let rate = match EXTRAS.get(row) {
                Some(extras) => {
                    let sample = ideal_single_with_extras::<Small>(slots, params.messages, variant, *extras);
                    assert!(sample.exact(), "{} lost messages", extras.label());
                    sample.rate()
                }
                None => match (libraries[row - EXTRAS.len()].run)(&params) {
                    Some(Outcome::Rate(sample)) if sample.exact() => sample.rate(),
                    _ => panic!("spsc_single / {} was not exact", labels[row]),
                },
            };
            rates[row].push(rate / 1e6);
        }
        eprint!("\r");
        println!(
            "  {round:>5} {}",
            rates
                .iter()
                .map(|r| format!("{:>19.1}", r[round]))
                .collect::<String>()
        );
    }
    println!("row (median [min–max] of {rounds}; ÷ ideal per round, median [min–max])");
    for (label, row) in labels.iter().zip(&rates) {
        let ratios = row.iter().zip(&rates[0]).map(|(r, base)| r / base).collect();
        let (median, min, max) = median_and_span(row.clone());
        let (ratio, low, high) = median_and_span(ratios);
        println!("  {label:<18} {median:>8.1}  [{min:.1}–{max:.1}]  {ratio:>5.2}× [{low:.2}–{high:.2}]");
    }
}
