//! Runs every workload against ringmpsc and its peers, in one process, and
//! prints a markdown table (DESIGN.md §6).
//!
//! ```text
//! cargo run --release -p ringmpsc-benches --bin compare -- [--quick] [--runs N]
//!     [--only WORKLOAD[,WORKLOAD..]] [--json PATH] [--write PATH]
//! ```
//!
//! `--write BENCHMARKS.md` writes the report to a file (and its SVG charts,
//! one per tier, to `benchmarks/` beside it), `--json PATH` the
//! same figures machine-readable. Progress goes to stderr. A run whose
//! count or checksum is off fails the command.

use std::collections::BTreeMap;
use std::error::Error;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

use ringmpsc_benches::charts::{self, Panel};
use ringmpsc_benches::spell::{self, median, TOLERANCE};
use ringmpsc_benches::suite::{
    cases, is_ours, limit_for, Case, Outcome, Params, ASYNC_WORKLOADS, THROUGHPUT_WORKLOADS, WORKLOADS,
};
use serde::Serialize;

/// Runs per workload when `--runs` is not given.
const DEFAULT_RUNS: usize = 5;

struct Options {
    quick: bool,
    runs: usize,
    only: Option<Vec<String>>,
    json: Option<String>,
    write: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        quick: false,
        runs: DEFAULT_RUNS,
        only: None,
        json: None,
        write: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
        match arg.as_str() {
            "--quick" => o.quick = true,
            "--runs" => {
                o.runs = value("--runs")?.parse().map_err(|e| format!("--runs: {e}"))?;
                if o.runs == 0 {
                    return Err("--runs must be at least 1".into());
                }
            }
            "--only" => o.only = Some(value("--only")?.split(',').map(str::to_owned).collect()),
            "--json" => o.json = Some(value("--json")?),
            "--write" => o.write = Some(value("--write")?),
            "-h" | "--help" => {
                println!(
                    "compare [--quick] [--runs N] [--only WORKLOAD,..] [--json PATH] [--write PATH]\n\
                     workloads: {}",
                    WORKLOADS.join(", ")
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument `{other}` (try --help)")),
        }
    }
    if let Some(only) = &o.only {
        if let Some(bad) = only.iter().find(|w| !WORKLOADS.contains(&w.as_str())) {
            return Err(format!(
                "unknown workload `{bad}`; known: {}",
                WORKLOADS.join(", ")
            ));
        }
    }
    Ok(o)
}

/// One JSON record: a workload run by a library.
#[derive(Serialize, Clone)]
struct Record {
    workload: &'static str,
    library: &'static str,
    unit: &'static str,
    median: f64,
    min: f64,
    max: f64,
    runs: usize,
    /// p99 (ns) for `pingpong` and `pingpong_blocking`, idle CPU share
    /// for `idle_wake`, CPU seconds for `backpressure`: the median over
    /// runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    secondary: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secondary_unit: Option<&'static str>,
    /// The runs in the order they ran: run `i` of every library of a
    /// workload ran in the same round. A limit (b) run with a workload
    /// has, for each round, its fastest run of that round.
    per_run: Vec<f64>,
    /// For a limit (b) run with a workload's rounds: that workload.
    #[serde(skip_serializing_if = "Option::is_none")]
    bounds: Option<&'static str>,
    /// For a row with a limit (b): the limit runs right before and right
    /// after each of its runs, in `per_run`'s order. When the two agree,
    /// the run was in one spell of the host, at their level
    /// ([`spell::level`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    limit_around: Vec<[f64; 2]>,
}

impl Record {
    /// The level of the host's spell in each run, where it held through
    /// the run; empty for a row without a limit (b).
    fn spell_levels(&self) -> Vec<Option<f64>> {
        self.limit_around
            .iter()
            .map(|&[before, after]| spell::level(before, after, TOLERANCE))
            .collect()
    }
}

/// A ratio column's figure: the median of per-round ratios over the
/// rounds it counts.
struct Ratio {
    value: f64,
    /// Rounds counted, where the spell is known: both rows in one spell
    /// at the same level. `Some(0)`: no round was, and `value` counts
    /// every round.
    counted: Option<usize>,
    rounds: usize,
}

impl Ratio {
    /// The table cell: the figure with `mark` (`×` or nothing), then in
    /// brackets `label` and the rounds counted, e.g. `1.12× (rtrb, 6/9)`.
    fn cell(&self, mark: &str, label: Option<&str>) -> String {
        let rounds = match self.counted {
            None => None,
            Some(0) => Some(format!("no round in one spell, all {}", self.rounds)),
            Some(k) => Some(format!("{k}/{}", self.rounds)),
        };
        let notes: Vec<String> = label.map(str::to_owned).into_iter().chain(rounds).collect();
        if notes.is_empty() {
            format!("{:.2}{mark}", self.value)
        } else {
            format!("{:.2}{mark} ({})", self.value, notes.join(", "))
        }
    }
}

/// `a ÷ b` as the median over rounds of the two libraries' ratio in the
/// same round, counting only the rounds where both ran in one spell of the
/// host at the same level (their limit runs around them agree, within and
/// between the two rows): a ratio across two spells measures the host.
/// Rows without a limit, or with no such round, count every round; with
/// different run counts it is the ratio of medians.
fn paired_ratio(a: &Record, b: &Record) -> Ratio {
    let rounds = a.per_run.len();
    if rounds != b.per_run.len() || rounds == 0 {
        return Ratio {
            value: a.median / b.median,
            counted: None,
            rounds: rounds.min(b.per_run.len()),
        };
    }
    let mut all: Vec<f64> = a.per_run.iter().zip(&b.per_run).map(|(x, y)| x / y).collect();
    let (a_levels, b_levels) = (a.spell_levels(), b.spell_levels());
    if a_levels.len() != rounds || b_levels.len() != rounds {
        return Ratio {
            value: median(&mut all),
            counted: None,
            rounds,
        };
    }
    let mut same_spell: Vec<f64> = (0..rounds)
        .filter(|&i| match (a_levels[i], b_levels[i]) {
            (Some(x), Some(y)) => spell::agree(x, y, TOLERANCE),
            _ => false,
        })
        .map(|i| all[i])
        .collect();
    if same_spell.is_empty() {
        return Ratio {
            value: median(&mut all),
            counted: Some(0),
            rounds,
        };
    }
    Ratio {
        value: median(&mut same_spell),
        counted: Some(same_spell.len()),
        rounds,
    }
}

/// Each run of `row` ÷ the level of the limit (b) around it, for the runs
/// made in one spell (`None` for the others).
fn over_limit(row: &Record) -> Vec<Option<f64>> {
    row.spell_levels()
        .iter()
        .zip(&row.per_run)
        .map(|(level, value)| level.map(|level| value / level))
        .collect()
}

/// `row ÷ limit (b)`: the median over the runs made in one spell of each
/// run ÷ the limit runs around it. Without such a run, each run ÷ its
/// round's fastest limit run.
fn limit_ratio(row: &Record, limit: &Record) -> Ratio {
    let mut counted: Vec<f64> = over_limit(row).into_iter().flatten().collect();
    if counted.is_empty() {
        return Ratio {
            counted: Some(0),
            ..paired_ratio(row, limit)
        };
    }
    Ratio {
        value: median(&mut counted),
        counted: Some(counted.len()),
        rounds: row.per_run.len(),
    }
}

/// The ceiling's test (DESIGN.md §6, rule 7) over the rows of one
/// workload: their highest run ÷ the limit (b) runs around it.
#[derive(Debug, PartialEq)]
struct Highest<'a> {
    /// The highest ratio, over the runs made in one spell.
    ratio: f64,
    /// The library of the row that ran it.
    library: &'a str,
    /// How many runs were made in one spell, and so counted.
    counted: usize,
    /// How many runs the rows made in all.
    runs: usize,
}

impl Highest<'_> {
    /// The report's cell, e.g. `1.16 (rtrb, 150/165 runs)`.
    fn cell(&self) -> String {
        format!(
            "{:.2} ({}, {}/{} runs)",
            self.ratio, self.library, self.counted, self.runs
        )
    }
}

/// [`Highest`] of `rows`; `None` when no run of theirs counted.
fn highest_over_limit<'a>(rows: &[&'a Record]) -> Option<Highest<'a>> {
    let mut highest: Option<(f64, &str)> = None;
    let (mut counted, mut runs) = (0, 0);
    for row in rows {
        runs += row.per_run.len();
        for ratio in over_limit(row).into_iter().flatten() {
            counted += 1;
            if highest.is_none_or(|(h, _)| ratio > h) {
                highest = Some((ratio, row.library));
            }
        }
    }
    highest.map(|(ratio, library)| Highest {
        ratio,
        library,
        counted,
        runs,
    })
}

/// Runs every case of one workload `runs` times, interleaved (run 1 of
/// every library, then run 2, ...), so that a slow spell of the machine
/// does not land on one library's runs only. The workload's limit (b),
/// if any, runs before, between and after the libraries of every round:
/// each row's record keeps the limit runs right around each of its runs,
/// which tell the spell the run was in (`paired_ratio`, `limit_ratio`),
/// and the limit's record keeps each round's fastest run, for its cell
/// and the charts.
fn measure_workload(
    cases: &[&Case],
    limit: Option<&Case>,
    params: &Params,
    runs: usize,
    progress: &str,
) -> Result<(Vec<Record>, Option<Record>), String> {
    let mut outcomes: Vec<Vec<Outcome>> = vec![Vec::new(); cases.len()];
    // around[i][r]: the limit runs right before and after case i's run r.
    let mut around: Vec<Vec<[f64; 2]>> = vec![Vec::new(); cases.len()];
    let mut limit_outcomes: Vec<Outcome> = Vec::new();
    let mut supported = vec![true; cases.len()];
    for run in 0..runs {
        let mut round_limit: Option<Outcome> = None;
        // Runs the limit once; returns its value (`None` without a limit).
        let run_limit = |round_limit: &mut Option<Outcome>| -> Result<Option<f64>, String> {
            let Some(case) = limit else { return Ok(None) };
            let outcome = run_case(case, params, progress, run, runs)?
                .ok_or_else(|| format!("{case:?}: not supported"))?;
            let value = outcome.value();
            if round_limit.as_ref().is_none_or(|best| value > best.value()) {
                *round_limit = Some(outcome);
            }
            Ok(Some(value))
        };
        let mut before = run_limit(&mut round_limit)?;
        for i in run_order(cases, &outcomes) {
            if !supported[i] {
                continue;
            }
            match run_case(cases[i], params, progress, run, runs)? {
                Some(outcome) => outcomes[i].push(outcome),
                None => {
                    supported[i] = false;
                    continue;
                }
            }
            let after = run_limit(&mut round_limit)?;
            if let (Some(before), Some(after)) = (before, after) {
                around[i].push([before, after]);
            }
            before = after;
        }
        limit_outcomes.extend(round_limit);
    }
    let mut records = Vec::new();
    for ((case, outcomes), around) in cases.iter().zip(outcomes).zip(around) {
        match record(case, &outcomes) {
            Some(record) => {
                let record = Record {
                    limit_around: around,
                    ..record
                };
                announce(progress, &record);
                records.push(record);
            }
            None => eprintln!("\r{progress} {} / {}: not supported", case.workload, case.library),
        }
    }
    let limit = limit.and_then(|case| record(case, &limit_outcomes));
    if let Some(record) = &limit {
        announce(progress, record);
    }
    Ok((records, limit))
}

/// Runs `case` once (run `run` of `runs`), showing it on the progress
/// line: `None` when the library does not support the workload, an error
/// when its count or checksum is off.
fn run_case(
    case: &Case,
    params: &Params,
    progress: &str,
    run: usize,
    runs: usize,
) -> Result<Option<Outcome>, String> {
    eprint!(
        "\r{progress} {} run {}/{runs}: {:<28}",
        case.workload,
        run + 1,
        case.library
    );
    let _ = std::io::stderr().flush();
    match (case.run)(params) {
        Some(o) if o.exact() => Ok(Some(o)),
        Some(_) => Err(format!("{case:?}: count or checksum is off")),
        None => Ok(None),
    }
}

/// The order a round runs `cases` in: the first round as given; later
/// ones ringmpsc's rows first, then the other libraries from the fastest
/// in the first round to the slowest. A round of the slower libraries
/// (tokio's 4 000 000 messages take most of a second) lasts as long as a
/// spell of the host, so the rows that ratios compare, ringmpsc's and the
/// best peers', run next to each other, where they share a spell.
fn run_order(cases: &[&Case], outcomes: &[Vec<Outcome>]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..cases.len()).collect();
    if outcomes.iter().all(|o| o.is_empty()) {
        return order;
    }
    // Smaller is faster: rates are negated, times (ns) taken as they are.
    let speed = |i: usize| match outcomes[i].first() {
        Some(o @ Outcome::Rate(_)) => -o.value(),
        Some(o) => o.value(),
        None => f64::INFINITY,
    };
    order.sort_by(|&a, &b| {
        is_ours(cases[b].library)
            .cmp(&is_ours(cases[a].library))
            .then(speed(a).total_cmp(&speed(b)))
    });
    order
}

/// The record of one case's runs; `None` if it ran none.
fn record(case: &Case, outcomes: &[Outcome]) -> Option<Record> {
    let first = outcomes.first()?;
    let per_run: Vec<f64> = outcomes.iter().map(Outcome::value).collect();
    let mut values = per_run.clone();
    let mut secondary: Vec<f64> = outcomes.iter().filter_map(Outcome::secondary).collect();
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let secondary_unit = match case.workload {
        "pingpong" | "pingpong_blocking" => Some("ns p99"),
        "idle_wake" => Some("idle CPU share"),
        "async_idle_wake" => Some("process CPU share"),
        "backpressure" => Some("CPU s"),
        _ => None,
    };
    Some(Record {
        workload: case.workload,
        library: case.library,
        unit: first.unit(),
        median: median(&mut values),
        min,
        max,
        runs: outcomes.len(),
        secondary: (!secondary.is_empty()).then(|| median(&mut secondary)),
        secondary_unit: secondary_unit.filter(|_| !secondary.is_empty()),
        per_run,
        bounds: None,
        limit_around: Vec::new(),
    })
}

/// Prints a record's median to the progress stream.
fn announce(progress: &str, record: &Record) {
    let shown = if record.unit == "ns" {
        fmt_ns(record.median)
    } else {
        format!("{} M msg/s", fmt_rate(record.median))
    };
    eprintln!(
        "\r{progress} {} / {}: {shown}{:20}",
        record.workload, record.library, ""
    );
}

/// The baseline built from N rtrb rings: shown, but not counted as a peer.
const NAIVE: &str = "naive-rtrb-decomposition";
/// ringmpsc with `WaitStrategy::BusySpin`; the `ringmpsc` row is the default.
const BUSYSPIN: &str = "ringmpsc-busyspin";
/// The default configuration, its producers sending through a `Burst`.
const BURST: &str = "ringmpsc-burst";

/// The charts: one per tier, one panel per workload.
const TIERS: [(&str, &str, &[&str]); 5] = [
    (
        "spsc",
        "SPSC throughput, M msg/s (higher is better)",
        &["spsc_single", "spsc_batch64", "spsc_batch4096"],
    ),
    (
        "mpsc",
        "MPSC throughput, M msg/s (higher is better)",
        &["mpsc_2p", "mpsc_4p", "mpsc_8p", "mpsc_4p_96b"],
    ),
    (
        "latency",
        "Latency, ns (lower is better)",
        &["pingpong", "pingpong_blocking", "idle_wake"],
    ),
    (
        "contention",
        "Back-pressure and N pairs, M msg/s (higher is better)",
        &["backpressure", "npairs_4"],
    ),
    (
        "async",
        "Async (tokio tasks)",
        &["async_spsc", "async_mpsc_4p", "async_idle_wake"],
    ),
];

/// Draws the tier charts into `dir`; returns the Markdown that embeds them
/// (paths relative to the report).
fn draw_charts(
    records: &[Record],
    limits: &[(&str, Record)],
    dir: &Path,
    prefix: &str,
) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut markdown = String::from("\n## Charts\n\nringmpsc in red, peers in blue, the naive decomposition in grey; the black line is the workload's limit (b).\n");
    for (tier, title, workloads) in TIERS {
        let panels: Vec<Panel> = workloads
            .iter()
            .filter(|w| records.iter().any(|r| r.workload == **w))
            .map(|w| {
                let scale = |r: &Record| if r.unit == "ns" { r.median } else { r.median / 1e6 };
                let bars = records
                    .iter()
                    .filter(|r| r.workload == *w)
                    .map(|r| (r.library.to_owned(), scale(r)))
                    .collect();
                let limit = limits
                    .iter()
                    .find(|(lw, _)| lw == w)
                    .map(|(_, r)| (r.library.to_owned(), scale(r)));
                let unit = records.iter().find(|r| r.workload == *w).map_or("", |r| r.unit);
                Panel {
                    workload: (*w).to_owned(),
                    unit: if unit == "ns" { "ns" } else { "M msg/s" }.to_owned(),
                    bars,
                    limit,
                }
            })
            .collect();
        if panels.is_empty() {
            continue;
        }
        let file = format!("{tier}.svg");
        charts::draw(&dir.join(&file), title, &panels)?;
        let _ = writeln!(markdown, "\n![{title}]({prefix}{file})");
    }
    Ok(markdown)
}

/// Where `compare --write` puts its report inside an existing file: the
/// text between these markers is replaced, the rest (the reading) kept.
const BEGIN: &str = "<!-- compare:begin -->";
const END: &str = "<!-- compare:end -->";

fn write_report(path: &str, table: &str) -> std::io::Result<()> {
    let block = format!("{BEGIN}\n{table}\n{END}\n");
    let text = match std::fs::read_to_string(path) {
        Ok(old) => match (old.find(BEGIN), old.find(END)) {
            (Some(b), Some(e)) if b < e => format!(
                "{}{block}{}",
                &old[..b],
                old[e + END.len()..].trim_start_matches('\n')
            ),
            _ => block,
        },
        Err(_) => block,
    };
    std::fs::write(path, text)
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}

fn fmt_rate(v: f64) -> String {
    format!("{:.1}", v / 1e6)
}

fn fmt_ns(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.2} ms", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} µs", v / 1e3)
    } else {
        format!("{v:.0} ns")
    }
}

fn cell(r: &Record) -> String {
    if r.unit == "ns" {
        format!("{} ({}–{})", fmt_ns(r.median), fmt_ns(r.min), fmt_ns(r.max))
    } else {
        format!("{} ({}–{})", fmt_rate(r.median), fmt_rate(r.min), fmt_rate(r.max))
    }
}

fn report(
    records: &[Record],
    limits: &[(&str, Record)],
    params: &Params,
    runs: usize,
    quick: bool,
    seconds: f64,
) -> String {
    let by: BTreeMap<(&str, &str), &Record> = records.iter().map(|r| ((r.workload, r.library), r)).collect();
    let cores = ringmpsc_benches::workloads::online_cpus();
    let mut out = String::new();
    // The options that shape the figures, so the line reproduces them.
    let mut flags = Vec::new();
    if quick {
        flags.push("--quick".to_owned());
    }
    if runs != DEFAULT_RUNS {
        flags.push(format!("--runs {runs}"));
    }
    let flags = if flags.is_empty() {
        String::new()
    } else {
        format!(" -- {}", flags.join(" "))
    };
    let _ = writeln!(
        out,
        "Produced by `cargo run --release -p ringmpsc-benches --bin compare{flags}` in {seconds:.0} s.\n"
    );
    let _ = writeln!(out, "- Machine: {}, {cores} logical cores.", cpu_model());
    let _ = writeln!(
        out,
        "- Every cell: median of {runs} runs, (min–max); the runs of one workload are interleaved across libraries (a round runs each library once; after the first round, ringmpsc's rows first, then the others from the fastest to the slowest, so that the rows a ratio compares run next to each other). Every consumer folds every message into a checksum that is checked; producers write distinct values."
    );
    let _ = writeln!(
        out,
        "- Best peer: the fastest of the other crates; the naive decomposition (N rtrb rings polled round-robin) is our own baseline, shown apart. Limit (b): the ideal SPSC ring of the matching chunk, in the fastest of its configurations (values made in their slots, or chunks made first and copied) on the fastest ring size from 1024 slots (16 KiB of slots for larger messages) up to the workload's capacity; it runs before, between and after the libraries of every round (its cell: the median of each round's fastest limit run)."
    );
    let _ = writeln!(
        out,
        "- The host's speed moves between spells that differ up to several-fold and last a few to a few dozen runs, so the limit runs also tell which spell each run was in: a run counts for a ratio only when the limit runs right before and after it agree within {:.0} %. Every ratio column is the median of per-round ratios over the rounds where both rows counted and their spells' levels agree within {:.0} %; the brackets give the rounds counted (all rounds, said so, where none did). A ratio to the limit (b) is each counted run ÷ the mean of the limit runs around it; *highest run ÷ limit (b)* is the highest of those over every row of the workload: above 1, a library ran faster than the ceiling in the same spell.",
        TOLERANCE * 100.0,
        TOLERANCE * 100.0
    );
    let _ = writeln!(
        out,
        "- `ringmpsc` is the default configuration, its producers calling `send` per message; `ringmpsc-busyspin` the same with `WaitStrategy::BusySpin`; `ringmpsc-burst` the default configuration with each producer's sends made through one `Producer::burst()`, which keeps the ring's cursor in the loop's registers."
    );
    let _ = writeln!(
        out,
        "- Messages are `u64` unless stated; every channel holds {} slots in total (split across rings where a library has one ring per producer). Throughput runs move {} messages.",
        ringmpsc_benches::suite::CAPACITY,
        params.messages
    );
    let _ = writeln!(
        out,
        "- Threads of the thread workloads are pinned, the same way for every library: consumers on CPU 0, producers round-robin on the other CPUs; the async runtimes' threads are not (below)."
    );
    if cores <= 2 {
        let _ = writeln!(
            out,
            "- With {cores} cores, every row with N > 1 producers **oversubscribes** the machine: the N producers share CPU 1 while the consumer has CPU 0; N-pairs runs 8 threads."
        );
    }
    let libraries: Vec<&str> = {
        let mut seen = Vec::new();
        for r in records {
            if r.workload != "limit" && !seen.contains(&r.library) {
                seen.push(r.library);
            }
        }
        seen
    };

    let _ = writeln!(out, "\n## Throughput, M msg/s\n");
    let _ = write!(out, "| workload |");
    for l in &libraries {
        let _ = write!(out, " {l} |");
    }
    let _ = writeln!(
        out,
        " ringmpsc ÷ best peer | ringmpsc ÷ naive decomposition | ringmpsc ÷ limit (b) | default ÷ busyspin | burst ÷ limit (b) | highest run ÷ limit (b) |"
    );
    let _ = writeln!(
        out,
        "|---|{}---|---|---|---|---|---|",
        "---|".repeat(libraries.len())
    );
    for w in THROUGHPUT_WORKLOADS {
        if !records.iter().any(|r| r.workload == w) {
            continue;
        }
        let _ = write!(out, "| `{w}` |");
        for l in &libraries {
            let _ = write!(out, " {} |", by.get(&(w, *l)).map_or("—".to_owned(), |r| cell(r)));
        }
        let ours = by.get(&(w, "ringmpsc")).copied();
        let best_peer = records
            .iter()
            .filter(|r| r.workload == w && !is_ours(r.library) && r.library != NAIVE)
            .max_by(|a, b| a.median.total_cmp(&b.median));
        let vs_peer = match (ours, best_peer) {
            (Some(o), Some(p)) => paired_ratio(o, p).cell("×", Some(p.library)),
            _ => "—".into(),
        };
        let vs_naive = match (ours, by.get(&(w, NAIVE))) {
            (Some(o), Some(n)) => paired_ratio(o, n).cell("×", None),
            _ => "—".into(),
        };
        let limit = limits.iter().find(|(lw, _)| *lw == w).map(|(_, r)| r);
        let vs_limit = match (ours, limit) {
            (Some(o), Some(l)) => {
                let at = format!("{} at {} M/s", l.library, fmt_rate(l.median));
                limit_ratio(o, l).cell("", Some(&at))
            }
            _ => "—".into(),
        };
        let vs_busy = match (ours, by.get(&(w, BUSYSPIN))) {
            (Some(o), Some(b)) => paired_ratio(o, b).cell("×", None),
            _ => "—".into(),
        };
        let burst_vs_limit = match (by.get(&(w, BURST)), limit) {
            (Some(b), Some(l)) => limit_ratio(b, l).cell("", None),
            _ => "—".into(),
        };
        let rows: Vec<&Record> = records.iter().filter(|r| r.workload == w).collect();
        let highest = highest_over_limit(&rows).map_or("—".into(), |h| h.cell());
        let _ = writeln!(
            out,
            " {vs_peer} | {vs_naive} | {vs_limit} | {vs_busy} | {burst_vs_limit} | {highest} |"
        );
    }

    let per_library = |out: &mut String, w: &str, title: &str, value: &str, second: Option<&str>| {
        if !records.iter().any(|r| r.workload == w) {
            return;
        }
        let _ = writeln!(out, "\n## {title}\n");
        match second {
            Some(s) => {
                let _ = writeln!(out, "| library | {value} | {s} |\n|---|---|---|");
            }
            None => {
                let _ = writeln!(out, "| library | {value} |\n|---|---|");
            }
        }
        for r in records.iter().filter(|r| r.workload == w) {
            let second = match (second, r.secondary) {
                (None, _) => String::new(),
                (Some(_), Some(v)) => match w {
                    "pingpong" | "pingpong_blocking" => format!(" {} |", fmt_ns(v)),
                    "idle_wake" | "async_idle_wake" => format!(" {:.1} % |", v * 100.0),
                    _ => format!(" {v:.2} |"),
                },
                (Some(_), None) => " — |".into(),
            };
            let _ = writeln!(out, "| {} | {} |{second}", r.library, cell(r));
        }
    };
    per_library(
        &mut out,
        "pingpong",
        "Latency: ping-pong round trip (both sides poll)",
        "p50 round trip",
        Some("p99 (median of runs)"),
    );
    per_library(
        &mut out,
        "pingpong_blocking",
        "Latency: ping-pong round trip through the blocking receive (`recv` where the library has one; rtrb, the disruptor and the naive decomposition spin with a back-off)",
        "p50 round trip",
        Some("p99 (median of runs)"),
    );
    per_library(
        &mut out,
        "idle_wake",
        "Idle wake-up: one message after 10 ms idle (parking where the library parks)",
        "send → receive",
        Some("consumer CPU while idle"),
    );
    per_library(
        &mut out,
        "backpressure",
        "Back-pressure: 4 producers, 64 slots, a slow consumer; M msg/s and total process CPU seconds",
        "M msg/s",
        Some("CPU s (median)"),
    );
    per_library(
        &mut out,
        "npairs_4",
        "N-pairs aggregate (4 producers and 4 consumers, 4 independent channels, batch 32768): M msg/s summed — not an MPSC figure",
        "M msg/s",
        None,
    );
    if records.iter().any(|r| ASYNC_WORKLOADS.contains(&r.workload)) {
        let _ = writeln!(
            out,
            "\n## Async: tokio tasks (2 worker threads), M msg/s\n\nEach library through its async API: ringmpsc `send_async` and `ready_async` + `consume_all` (default config, `Park`), tokio `recv_many`, flume and kanal an async receive then a non-blocking drain. The runtime's threads are not pinned: the scheduler places them on either CPU, as it does a user's (the thread workloads pin theirs).\n\n| workload | library | M msg/s |\n|---|---|---|"
        );
        for w in ASYNC_WORKLOADS {
            for r in records.iter().filter(|r| r.workload == w) {
                let _ = writeln!(out, "| `{w}` | {} | {} |", r.library, cell(r));
            }
        }
    }
    per_library(
        &mut out,
        "async_idle_wake",
        "Async idle wake-up: a consumer task waiting 10 ms, then one message from a producer task",
        "send → receive",
        Some("process CPU while idle"),
    );
    per_library(
        &mut out,
        "limit",
        "Limits, M msg/s: (a) no synchronisation, (b) an ideal cross-core SPSC ring",
        "M msg/s",
        None,
    );
    out
}

fn main() -> Result<(), Box<dyn Error>> {
    let options = parse_args()?;
    let params = if options.quick {
        Params::QUICK
    } else {
        Params::FULL
    };
    let selected: Vec<Case> = cases()
        .into_iter()
        .filter(|c| {
            options
                .only
                .as_ref()
                .is_none_or(|o| o.iter().any(|w| w == c.workload))
        })
        .collect();
    let started = Instant::now();
    let mut records = Vec::new();
    let workloads: Vec<&str> = WORKLOADS
        .iter()
        .copied()
        .filter(|w| selected.iter().any(|c| c.workload == *w))
        .collect();
    let all = cases();
    let mut limits = Vec::new();
    for (i, workload) in workloads.iter().enumerate() {
        let group: Vec<&Case> = selected.iter().filter(|c| c.workload == *workload).collect();
        // The limit row (b) runs interleaved with the rows it bounds, so
        // that each sees the same machine (`measure_workload`).
        let limit =
            limit_for(workload).and_then(|l| all.iter().find(|c| c.workload == "limit" && c.library == l));
        let progress = format!("[{}/{}]", i + 1, workloads.len());
        let (group_records, limit) = measure_workload(&group, limit, &params, options.runs, &progress)?;
        records.extend(group_records);
        limits.extend(limit.map(|record| {
            (
                *workload,
                Record {
                    bounds: Some(*workload),
                    ..record
                },
            )
        }));
    }
    let seconds = started.elapsed().as_secs_f64();
    let mut table = report(&records, &limits, &params, options.runs, options.quick, seconds);
    if let Some(path) = &options.write {
        // The charts go next to the report, in `benchmarks/`.
        let dir = Path::new(path)
            .parent()
            .unwrap_or(Path::new(""))
            .join("benchmarks");
        table.push_str(&draw_charts(&records, &limits, &dir, "benchmarks/")?);
        eprintln!("wrote charts to {}", dir.display());
    }
    println!("{table}");
    if let Some(path) = &options.write {
        write_report(path, &table)?;
        eprintln!("wrote {path}");
    }
    if let Some(path) = &options.json {
        // The paired limit rows too, each with the workload it bounds.
        let all: Vec<&Record> = records.iter().chain(limits.iter().map(|(_, r)| r)).collect();
        std::fs::write(path, serde_json::to_string_pretty(&all)?)?;
        eprintln!("wrote {path}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(library: &'static str, per_run: &[f64], limit_around: &[[f64; 2]]) -> Record {
        let mut values = per_run.to_vec();
        Record {
            workload: "spsc_single",
            library,
            unit: "msg/s",
            median: median(&mut values),
            min: 0.0,
            max: 0.0,
            runs: per_run.len(),
            secondary: None,
            secondary_unit: None,
            per_run: per_run.to_vec(),
            bounds: None,
            limit_around: limit_around.to_vec(),
        }
    }

    /// Round 0: both rows in one spell at one level. Round 1: the host
    /// changed speed around `a`. Round 2: both steady, in different spells.
    fn two_rows() -> (Record, Record) {
        let a = row(
            "a",
            &[200.0, 900.0, 600.0],
            &[[400.0, 410.0], [400.0, 100.0], [1000.0, 1000.0]],
        );
        let b = row(
            "b",
            &[100.0, 100.0, 100.0],
            &[[410.0, 405.0], [100.0, 100.0], [400.0, 400.0]],
        );
        (a, b)
    }

    #[test]
    fn a_ratio_counts_only_rounds_with_both_rows_in_one_spell() {
        let (a, b) = two_rows();
        let ratio = paired_ratio(&a, &b);
        assert_eq!(ratio.counted, Some(1));
        assert_eq!(ratio.value, 2.0);
        assert_eq!(ratio.cell("×", Some("b")), "2.00× (b, 1/3)");
    }

    #[test]
    fn without_a_round_in_one_spell_every_round_counts_and_the_cell_says_so() {
        let a = row("a", &[200.0, 300.0], &[[400.0, 100.0], [400.0, 400.0]]);
        let b = row("b", &[100.0, 100.0], &[[400.0, 400.0], [100.0, 100.0]]);
        let ratio = paired_ratio(&a, &b);
        assert_eq!(ratio.counted, Some(0));
        assert_eq!(ratio.value, 2.5);
        assert_eq!(ratio.cell("×", None), "2.50× (no round in one spell, all 2)");
    }

    #[test]
    fn rows_without_a_limit_count_every_round() {
        let a = row("a", &[200.0, 300.0, 400.0], &[]);
        let b = row("b", &[100.0, 100.0, 100.0], &[]);
        let ratio = paired_ratio(&a, &b);
        assert_eq!((ratio.counted, ratio.value), (None, 3.0));
        assert_eq!(ratio.cell("×", None), "3.00×");
    }

    #[test]
    fn limit_ratios_divide_each_steady_run_by_the_limit_around_it() {
        let (a, b) = two_rows();
        let limit = row("limit", &[410.0, 400.0, 1000.0], &[]);
        // a: 200 / 405 and 600 / 1000; round 1 does not count.
        let ratio = limit_ratio(&a, &limit);
        assert_eq!(ratio.counted, Some(2));
        assert!((ratio.value - (200.0 / 405.0 + 0.6) / 2.0).abs() < 1e-12);
        // The highest steady run of either row: b's 100 / 100 (a's best is 0.6).
        let highest = highest_over_limit(&[&a, &b]).unwrap();
        assert_eq!(
            highest,
            Highest {
                ratio: 1.0,
                library: "b",
                counted: 5,
                runs: 6
            }
        );
        assert_eq!(highest.cell(), "1.00 (b, 5/6 runs)");
    }
}
