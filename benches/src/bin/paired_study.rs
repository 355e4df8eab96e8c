//! Ratios of cases to a reference case, measured so that the host's speed
//! spells divide out (`ringmpsc_benches::spell`). One process runs the
//! reference, then each case, run by run (reference, A, B, ...,
//! reference, A, B, ...), and a case's run counts only when the reference
//! runs before and after it agree within the tolerance: both ends of its
//! ratio then ran in one spell.
//!
//! `cargo run --release -p ringmpsc-benches --bin paired_study -- [--runs N] [--tolerance F] REFERENCE CASE...`
//!
//! Cases are `WORKLOAD/LIBRARY` as the compare command names them (the
//! limit rows are `limit/ideal-spsc-chunk1` and the like), e.g.
//! `spsc_batch4096/rtrb spsc_batch4096/ringmpsc spsc_batch4096/ringmpsc-busyspin`.
//! For rates the ratio is case ÷ reference; for latencies (ns) it is
//! reference ÷ case, so that above 1 is always the case ahead. The
//! output gives, per case, the median, quartiles and highest ratio of the
//! counted rounds, how many counted, and in how many of those the case
//! ran ahead: with a limit row as the reference, that is how often the
//! case beat the ceiling within one spell.

use std::io::Write;

use ringmpsc_benches::spell::{self, quantile, TOLERANCE};
use ringmpsc_benches::suite::{cases, find_case, Case, Outcome, Params};

const USAGE: &str = "usage: paired_study [--runs N] [--tolerance F] REFERENCE CASE...\n\
                     cases are WORKLOAD/LIBRARY, e.g. spsc_batch4096/rtrb spsc_batch4096/ringmpsc";

struct Options {
    runs: usize,
    tolerance: f64,
    reference: String,
    cases: Vec<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        runs: 100,
        tolerance: TOLERANCE,
        reference: String::new(),
        cases: Vec::new(),
    };
    let mut names = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--runs" => {
                options.runs = value("--runs")?
                    .parse()
                    .ok()
                    .filter(|&r| r >= 2)
                    .ok_or("--runs needs a whole number of at least 2")?;
            }
            "--tolerance" => {
                options.tolerance = value("--tolerance")?
                    .parse()
                    .ok()
                    .filter(|t: &f64| *t > 0.0 && *t < 1.0)
                    .ok_or("--tolerance needs a fraction between 0 and 1, e.g. 0.1")?;
            }
            other if other.starts_with("--") => return Err(format!("unknown option `{other}`\n{USAGE}")),
            name => names.push(name.to_string()),
        }
    }
    if names.len() < 2 {
        return Err(format!("a reference and at least one case are needed\n{USAGE}"));
    }
    options.reference = names.remove(0);
    options.cases = names;
    Ok(options)
}

/// The case named `WORKLOAD/LIBRARY`.
fn find<'a>(all: &'a [Case], name: &str) -> Result<&'a Case, String> {
    let (workload, library) = name
        .split_once('/')
        .ok_or(format!("`{name}` is not WORKLOAD/LIBRARY"))?;
    find_case(all, workload, library)
}

/// One run of `case`: its figure (msg/s or ns), or why there is none.
fn run(case: &Case, name: &str) -> Result<Outcome, String> {
    match (case.run)(&Params::FULL) {
        Some(outcome) if outcome.exact() => Ok(outcome),
        Some(_) => Err(format!("{name}: count or checksum is off")),
        None => Err(format!("{name}: the library does not support this workload")),
    }
}

/// `case ÷ reference`, oriented so that above 1 is the case ahead.
fn ratio(case: &Outcome, reference: f64) -> f64 {
    match case {
        Outcome::Rate(_) => case.value() / reference,
        _ => reference / case.value(),
    }
}

fn main() {
    if std::env::args().skip(1).any(|a| a == "--help" || a == "-h") {
        println!("{USAGE}");
        return;
    }
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let all = cases();
    let names: Vec<&String> = std::iter::once(&options.reference)
        .chain(&options.cases)
        .collect();
    let picked: Result<Vec<&Case>, String> = names.iter().map(|name| find(&all, name)).collect();
    let picked = match picked {
        Ok(picked) => picked,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    // rounds[r][i]: case i's outcome in round r (case 0 is the reference).
    let mut rounds: Vec<Vec<Outcome>> = Vec::with_capacity(options.runs);
    for r in 0..options.runs {
        eprint!("\rround {}/{}", r + 1, options.runs);
        let _ = std::io::stderr().flush();
        let round: Result<Vec<Outcome>, String> = picked.iter().zip(&names).map(|(c, n)| run(c, n)).collect();
        match round {
            Ok(round) => rounds.push(round),
            Err(message) => {
                eprintln!("\n{message}");
                std::process::exit(1);
            }
        }
    }
    eprintln!();
    println!(
        "{} rounds; a case's run counts when the reference runs before and after it agree within {:.0} %",
        options.runs,
        options.tolerance * 100.0
    );
    println!(
        "{:<48} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9}",
        "case ÷ reference", "median", "q25", "q75", "max", "counted", "ahead"
    );
    for (i, name) in names.iter().enumerate().skip(1) {
        let mut ratios: Vec<f64> = rounds
            .windows(2)
            .filter_map(|pair| {
                let (before, after) = (pair[0][0].value(), pair[1][0].value());
                spell::level(before, after, options.tolerance).map(|level| ratio(&pair[0][i], level))
            })
            .collect();
        if ratios.is_empty() {
            println!("{name:<48} no round had agreeing reference runs");
            continue;
        }
        ratios.sort_by(f64::total_cmp);
        // Counted rounds where the case ran ahead of the reference.
        let ahead = ratios.iter().filter(|&&r| r > 1.0).count();
        println!(
            "{name:<48} {:>7.3} {:>7.3} {:>7.3} {:>7.3} {:>5}/{:<3} {:>9}",
            quantile(&ratios, 0.5),
            quantile(&ratios, 0.25),
            quantile(&ratios, 0.75),
            quantile(&ratios, 1.0),
            ratios.len(),
            options.runs - 1,
            ahead
        );
    }
}
