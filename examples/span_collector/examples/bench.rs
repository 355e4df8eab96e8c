//! End-to-end throughput of the span collector with 1, 2 and 4 producer
//! threads, and the per-span cost of a submission against pushing the same
//! spans into `tokio::sync::mpsc`. Spans are generated before the clock
//! starts; the exporter counts the spans and drops them (so this measures
//! the pipeline, not an encoder). Prints a markdown table, medians of 5
//! runs with min–max.
//!
//! ```text
//! cargo run --release -p span-collector --example bench
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use span_collector::batcher::Batch;
use span_collector::bridge::BridgeSettings;
use span_collector::collector::Collector;
use span_collector::error::ExportError;
use span_collector::exporter::{BoxFuture, Exporter};
use span_collector::generate::TraceGenerator;
use span_collector::span::Span;

const SPANS: usize = 400_000;
const RUNS: usize = 5;

/// Counts spans; the batch is dropped by the caller.
#[derive(Default)]
struct Count(AtomicU64);

impl Exporter for Count {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
            Ok(())
        })
    }
    fn destination(&self) -> String {
        "a counter".into()
    }
}

fn spans(producers: usize) -> Vec<Vec<Span>> {
    (0..producers)
        .map(|p| {
            let mut generator = TraceGenerator::new(p as u64);
            let mut out = Vec::with_capacity(SPANS / producers);
            while out.len() < SPANS / producers {
                out.extend(generator.trace(6));
            }
            out.truncate(SPANS / producers);
            out
        })
        .collect()
}

/// Spans/s from the first submission to the last export.
fn end_to_end(rt: &tokio::runtime::Runtime, producers: usize) -> f64 {
    let input = spans(producers);
    let total: usize = input.iter().map(Vec::len).sum();
    rt.block_on(async move {
        let exporter = Arc::new(Count::default());
        let (collector, handles) = Collector::start(producers, exporter.clone(), BridgeSettings::default());
        let start = Instant::now();
        let threads: Vec<_> = handles
            .into_iter()
            .zip(input)
            .map(|(h, spans)| {
                std::thread::spawn(move || spans.into_iter().for_each(|s| h.send_span(s).unwrap()))
            })
            .collect();
        tokio::task::spawn_blocking(move || threads.into_iter().for_each(|t| t.join().unwrap()))
            .await
            .unwrap();
        let report = collector.shutdown().await;
        let elapsed = start.elapsed();
        assert!(report.conserved() && report.exported as usize == total);
        total as f64 / elapsed.as_secs_f64()
    })
}

/// Nanoseconds per span to submit `SPANS` spans into room that is there,
/// a consumer task draining concurrently: ringmpsc's `submit_span` (a ring
/// of 512) vs `tokio::sync::mpsc::Sender::try_send` (capacity 512, the
/// consumer draining with `recv_many`). Each round of 512 starts empty.
fn submission_cost(rt: &tokio::runtime::Runtime) -> (f64, f64) {
    let input = spans(1).pop().unwrap();
    let ring = rt.block_on(async {
        let (collector, handles) = Collector::start(1, Arc::new(Count::default()), BridgeSettings::default());
        let mut elapsed = Duration::ZERO;
        for chunk in input.chunks(512) {
            let chunk = chunk.to_vec();
            while collector.metrics().consumed < collector.metrics().submitted {
                tokio::task::yield_now().await;
            }
            let t = Instant::now();
            for mut s in chunk {
                while let Err(e) = handles[0].submit_span(s) {
                    s = e.into_span();
                }
            }
            elapsed += t.elapsed();
        }
        drop(handles);
        collector.shutdown().await;
        elapsed
    });
    let tokio_cost = rt.block_on(async {
        // The same conditions: a consumer task drains concurrently.
        let (tx, mut rx) = tokio::sync::mpsc::channel::<Span>(512);
        let consumer = tokio::spawn(async move {
            let mut buf = Vec::with_capacity(512);
            while rx.recv_many(&mut buf, 512).await > 0 {
                buf.clear();
            }
        });
        let mut elapsed = Duration::ZERO;
        for chunk in input.chunks(512) {
            let chunk = chunk.to_vec();
            while tx.capacity() < tx.max_capacity() {
                tokio::task::yield_now().await;
            }
            let t = Instant::now();
            for s in chunk {
                tx.try_send(s).unwrap();
            }
            elapsed += t.elapsed();
        }
        drop(tx);
        consumer.await.unwrap();
        elapsed
    });
    let per = |d: Duration| d.as_nanos() as f64 / input.len() as f64;
    (per(ring), per(tokio_cost))
}

fn median(mut v: Vec<f64>) -> (f64, f64, f64) {
    v.sort_by(f64::total_cmp);
    (v[v.len() / 2], v[0], v[v.len() - 1])
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    println!("| producers | spans/s, end to end (median, min–max of {RUNS}) |\n|---|---|");
    for producers in [1, 2, 4] {
        let (m, lo, hi) = median((0..RUNS).map(|_| end_to_end(&rt, producers)).collect());
        println!(
            "| {producers} | {:.2} M ({:.2}–{:.2}) |",
            m / 1e6,
            lo / 1e6,
            hi / 1e6
        );
    }
    let costs: Vec<(f64, f64)> = (0..RUNS).map(|_| submission_cost(&rt)).collect();
    let (ring, _, _) = median(costs.iter().map(|c| c.0).collect());
    let (tokio_mpsc, _, _) = median(costs.iter().map(|c| c.1).collect());
    println!("\n| submission of one span (room available) | ns, median of {RUNS} |\n|---|---|");
    println!("| `SpanProducer::submit_span` (ring) | {ring:.1} |");
    println!("| `tokio::sync::mpsc::Sender::try_send` | {tokio_mpsc:.1} |");
}
