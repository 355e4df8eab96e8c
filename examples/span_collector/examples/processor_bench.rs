//! `RingSpanProcessor` against the SDK's `BatchSpanProcessor` inside a real
//! `SdkTracerProvider` (1, 2, 4 and 8 application threads, an exporter that
//! counts and drops): ns per `span.end()` (which runs `on_end`), p50 and
//! p99, spans/s, and spans dropped. Then the OTLP/HTTP receiver's spans/s
//! under a load generator over loopback. Prints markdown tables.
//!
//! ```text
//! cargo run --release -p span-collector --example processor_bench
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use opentelemetry::trace::{Span as _, Tracer, TracerProvider};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{BatchSpanProcessor, SdkTracerProvider, SpanData, SpanExporter};
use prost::Message;
use span_collector::batcher::Batch;
use span_collector::bridge::BridgeSettings;
use span_collector::collector::Collector;
use span_collector::error::ExportError;
use span_collector::exporter::{BoxFuture, Exporter};
use span_collector::generate::TraceGenerator;
use span_collector::RingSpanProcessor;

const SPANS_PER_THREAD: usize = 50_000;

#[derive(Debug, Clone, Default)]
struct CountSdk(Arc<AtomicU64>);

impl SpanExporter for CountSdk {
    fn export(&self, batch: Vec<SpanData>) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        std::future::ready(Ok(()))
    }
}

/// (p50 ns, p99 ns, spans/s, dropped)
fn run(provider: &SdkTracerProvider, exported: &AtomicU64, threads: usize) -> (u64, u64, f64, u64) {
    let start = Instant::now();
    let mut all: Vec<u64> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let tracer = provider.tracer("bench");
                s.spawn(move || {
                    let mut ns = Vec::with_capacity(SPANS_PER_THREAD);
                    for i in 0..SPANS_PER_THREAD {
                        let mut span = tracer.start(if i % 2 == 0 { "even" } else { "odd" });
                        let _ = t;
                        let t0 = Instant::now();
                        span.end();
                        ns.push(t0.elapsed().as_nanos() as u64);
                    }
                    ns
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().unwrap()).collect()
    });
    let _ = provider.force_flush();
    let elapsed = start.elapsed();
    all.sort_unstable();
    let total = (threads * SPANS_PER_THREAD) as u64;
    let got = exported.load(Ordering::Relaxed);
    (
        all[all.len() / 2],
        all[all.len() * 99 / 100],
        total as f64 / elapsed.as_secs_f64(),
        total.saturating_sub(got),
    )
}

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

/// Spans/s through the OTLP/HTTP receiver: 4 client tasks posting
/// protobuf requests of 100 spans over loopback.
async fn receiver() -> f64 {
    let (collector, producers) = Collector::start(8, Arc::new(Count::default()), BridgeSettings::default());
    let receivers = Arc::new(span_collector::serve::Receivers::new(
        producers,
        collector.metrics_handle(),
        4 << 20,
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1/traces", listener.local_addr().unwrap());
    let router = span_collector::serve::http_router(Arc::clone(&receivers));
    tokio::spawn(async move { axum::serve(listener, router).await });
    let body = {
        let spans = TraceGenerator::new(1).trace(100);
        span_collector::span::request_of(&spans).encode_to_vec()
    };
    const REQUESTS: usize = 500;
    let start = Instant::now();
    let tasks: Vec<_> = (0..4)
        .map(|_| {
            let (url, body) = (url.clone(), body.clone());
            tokio::spawn(async move {
                let client = reqwest::Client::new();
                for _ in 0..REQUESTS {
                    let r = client
                        .post(&url)
                        .header("content-type", "application/x-protobuf")
                        .body(body.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(r.status(), 200);
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
    drop(receivers);
    let report = collector.shutdown().await;
    assert!(report.conserved());
    report.exported as f64 / start.elapsed().as_secs_f64()
}

fn main() {
    println!(
        "| threads | processor | `span.end()` p50 | p99 | spans/s | dropped |\n|---|---|---|---|---|---|"
    );
    for threads in [1, 2, 4, 8] {
        for kind in ["RingSpanProcessor", "BatchSpanProcessor"] {
            let exporter = CountSdk::default();
            let builder = SdkTracerProvider::builder();
            let provider = match kind {
                "RingSpanProcessor" => builder.with_span_processor(RingSpanProcessor::new(exporter.clone())),
                _ => builder.with_span_processor(BatchSpanProcessor::builder(exporter.clone()).build()),
            }
            .build();
            let (p50, p99, rate, dropped) = run(&provider, &exporter.0, threads);
            let _ = provider.shutdown_with_timeout(Duration::from_secs(10));
            println!(
                "| {threads} | {kind} | {p50} ns | {p99} ns | {:.2} M | {dropped} |",
                rate / 1e6
            );
        }
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rate = rt.block_on(receiver());
    println!("\n| OTLP/HTTP receiver, 4 clients x 500 requests of 100 spans (protobuf, loopback) | spans/s |\n|---|---|");
    println!("| `span-collector serve` routes, in process | {:.0} |", rate);
}
