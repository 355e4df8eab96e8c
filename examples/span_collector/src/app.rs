//! The command: generate spans on producer threads, run them through the
//! pipeline, report. Stops early on Ctrl-C/SIGTERM, still draining,
//! flushing and exporting everything accepted (SC-SHUT-1).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::collector::Collector;
use crate::config::{Cli, ExporterSpec};
use crate::generate::TraceGenerator;
use crate::metrics::Snapshot;

/// The final report: the counters and the rates.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    /// Accepted into a ring.
    pub submitted: u64,
    /// Taken out of the rings.
    pub consumed: u64,
    /// Confirmed by the exporter.
    pub exported: u64,
    /// Given up, by reason.
    pub dropped: std::collections::BTreeMap<&'static str, u64>,
    /// Batches exported or given up.
    pub batches: u64,
    /// Wall time of the run.
    pub elapsed_secs: f64,
    /// Exported spans per second.
    pub spans_per_sec: f64,
}

impl Report {
    fn new(s: &Snapshot, elapsed: Duration) -> Self {
        Report {
            submitted: s.submitted,
            consumed: s.consumed,
            exported: s.exported,
            dropped: s.dropped.clone(),
            batches: s.batches,
            elapsed_secs: elapsed.as_secs_f64(),
            spans_per_sec: s.exported as f64 / elapsed.as_secs_f64().max(1e-9),
        }
    }
}

/// Waits for Ctrl-C or SIGTERM.
pub(crate) async fn stop_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = match signal(SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = tokio::signal::ctrl_c().await;
}

/// Runs the command; the exit code is 0 when every submitted span was
/// exported, 1 when any was dropped (the report says why), 2 for a
/// configuration error.
pub async fn run(cli: Cli) -> i32 {
    let spec = match ExporterSpec::from_flag_or_env(cli.exporter.as_deref()) {
        Ok(spec) => spec,
        Err(e) => {
            eprintln!("span-collector: {e}");
            return 2;
        }
    };
    let exporter = match spec.build().await {
        Ok(exporter) => exporter,
        Err(e) => {
            eprintln!("span-collector: {e}");
            return 2;
        }
    };
    let (collector, producers) = Collector::start(cli.producers as usize, exporter, cli.bridge());
    let stop = Arc::new(AtomicBool::new(false));
    let start = Instant::now();

    // Producer threads: each generates traces and submits them, waiting
    // while its ring is full.
    let per = cli.spans / producers.len() as u64;
    let extra = cli.spans % producers.len() as u64;
    let threads: Vec<_> = producers
        .into_iter()
        .enumerate()
        .map(|(i, producer)| {
            let quota = per + u64::from((i as u64) < extra);
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut generator = TraceGenerator::new(0x5eed + i as u64);
                let mut sent = 0;
                while sent < quota && !stop.load(Ordering::Relaxed) {
                    let len = (quota - sent).min(1 + generator_len(&mut generator));
                    for span in generator.trace(len as usize) {
                        if producer.send_span(span).is_err() {
                            return;
                        }
                        sent += 1;
                    }
                }
            })
        })
        .collect();

    let progress = progress_bar(cli.spans, &collector);
    let all_sent = tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .for_each(|t| t.join().expect("producer thread"))
    });
    tokio::select! {
        _ = all_sent => {}
        () = stop_signal() => {
            eprintln!("span-collector: stopping: draining and exporting what was accepted");
            stop.store(true, Ordering::Relaxed);
        }
    }
    let destination = collector.destination().to_owned();
    let snapshot = collector.shutdown().await;
    if let Some((bar, ticker)) = progress {
        ticker.abort();
        bar.finish_and_clear();
    }
    finish(
        &snapshot,
        start.elapsed(),
        destination,
        cli.report_json.as_deref(),
    )
}

/// Prints the report, writes it as JSON if asked; the exit status: 0 when
/// every submitted span was exported, 1 otherwise.
pub(crate) fn finish(
    snapshot: &Snapshot,
    elapsed: Duration,
    destination: String,
    report_json: Option<&std::path::Path>,
) -> i32 {
    let report = Report::new(snapshot, elapsed);
    print_report(&report, snapshot, &destination);
    if let Some(path) = report_json {
        let json = serde_json::to_string_pretty(&report).expect("a report serializes");
        if let Err(e) = std::fs::write(path, json + "\n") {
            eprintln!("span-collector: cannot write {}: {e}", path.display());
            return 1;
        }
    }
    if snapshot.conserved() && snapshot.dropped_total() == 0 {
        0
    } else {
        1
    }
}

/// Spans per trace: 1 to 12.
fn generator_len(_g: &mut TraceGenerator) -> u64 {
    fastrand::u64(0..12)
}

/// A progress bar on a terminal, ticking from the exported counter.
fn progress_bar(
    total: u64,
    collector: &Collector,
) -> Option<(indicatif::ProgressBar, tokio::task::JoinHandle<()>)> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(total);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} spans exported ({per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let (b, metrics) = (bar.clone(), collector.metrics_handle());
    let ticker = tokio::spawn(async move {
        loop {
            b.set_position(metrics.snapshot().exported);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    });
    Some((bar, ticker))
}

fn print_report(report: &Report, snapshot: &Snapshot, destination: &str) {
    println!(
        "span-collector: {} spans exported to {destination}",
        report.exported
    );
    println!(
        "  {:.0} spans/s over {:.2} s, {} batches",
        report.spans_per_sec, report.elapsed_secs, report.batches
    );
    let dropped = snapshot.dropped_total();
    println!(
        "  submitted {} == consumed {} == exported {} + dropped {}: {}",
        report.submitted,
        report.consumed,
        report.exported,
        dropped,
        if snapshot.conserved() {
            "conserved"
        } else {
            "NOT CONSERVED"
        }
    );
    for (reason, n) in &report.dropped {
        println!("  dropped {n} spans: {reason}");
    }
}
