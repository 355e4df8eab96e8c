//! `RingSpanProcessor` inside a real `SdkTracerProvider`: spans from many
//! threads exported exactly once after `force_flush`, short-lived threads
//! beyond the ring count, `shutdown` exporting what was queued, and flush
//! on a tokio current-thread runtime. IDs refer to
//! specs/span-collector-invariants.md.

use std::collections::HashSet;
use std::time::Duration;

use opentelemetry::trace::{Span as _, Tracer, TracerProvider};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData, SpanExporter};
use span_collector::RingSpanProcessor;

fn provider(exporter: &InMemorySpanExporter, threads: usize) -> SdkTracerProvider {
    let processor = RingSpanProcessor::builder(exporter.clone())
        .with_max_threads(threads)
        .with_scheduled_delay(Duration::from_millis(100))
        .build();
    SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build()
}

fn unique_ids(exporter: &InMemorySpanExporter) -> usize {
    let spans = exporter.get_finished_spans().unwrap();
    let ids: HashSet<_> = spans.iter().map(|s| s.span_context.span_id()).collect();
    assert_eq!(ids.len(), spans.len(), "a span was exported twice");
    spans.len()
}

/// SC-PROC-1, SC-PROC-2: 4 threads x 10k spans, each exported exactly once
/// after `force_flush`.
#[test]
fn four_threads_exported_exactly_once_after_force_flush() {
    let exporter = InMemorySpanExporter::default();
    let provider = provider(&exporter, 8);
    std::thread::scope(|s| {
        for t in 0..4 {
            let tracer = provider.tracer("load");
            s.spawn(move || {
                for i in 0..10_000 {
                    let mut span = tracer.start(format!("t{t}-{i}"));
                    span.end();
                }
            });
        }
    });
    provider.force_flush().unwrap();
    assert_eq!(unique_ids(&exporter), 40_000);
    provider.shutdown().unwrap();
}

/// SC-PROC-1: 400 short-lived threads, more over time than the 16 rings:
/// each thread's ring is recycled when it exits; nothing is lost.
#[test]
fn short_lived_threads_recycle_their_rings() {
    let exporter = InMemorySpanExporter::default();
    let provider = provider(&exporter, 16);
    for batch in 0..40 {
        std::thread::scope(|s| {
            for t in 0..10 {
                let tracer = provider.tracer("short");
                s.spawn(move || {
                    for i in 0..5 {
                        tracer.start(format!("b{batch}-t{t}-{i}")).end();
                    }
                });
            }
        });
        // Let the worker drain the exited threads' rings, so they recycle.
        provider.force_flush().unwrap();
    }
    assert_eq!(unique_ids(&exporter), 400 * 5);
    provider.shutdown().unwrap();
}

/// SC-PROC-2: `shutdown` exports everything queued before it returns.
#[test]
fn shutdown_exports_what_was_queued() {
    let exporter = Keep::default();
    let processor = RingSpanProcessor::builder(exporter.clone())
        .with_scheduled_delay(Duration::from_secs(3600))
        .with_max_export_batch_size(100_000)
        .build();
    let provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    let tracer = provider.tracer("shutdown");
    for i in 0..1_000 {
        tracer.start(format!("s{i}")).end();
    }
    provider.shutdown().unwrap();
    let spans = exporter.0.lock().unwrap();
    let ids: HashSet<_> = spans.iter().map(|s| s.span_context.span_id()).collect();
    assert_eq!((spans.len(), ids.len()), (1_000, 1_000));
}

/// An exporter that keeps what it got, also after shutdown.
#[derive(Debug, Default, Clone)]
struct Keep(std::sync::Arc<std::sync::Mutex<Vec<SpanData>>>);

impl SpanExporter for Keep {
    fn export(&self, batch: Vec<SpanData>) -> impl std::future::Future<Output = OTelSdkResult> + Send {
        self.0.lock().unwrap().extend(batch);
        std::future::ready(Ok(()))
    }
}

/// SC-PROC-2: flush and shutdown on a tokio current-thread runtime return
/// (the SDK's batch processor is known to deadlock there).
#[test]
fn flush_on_a_current_thread_runtime() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let exporter = InMemorySpanExporter::default();
    let provider = provider(&exporter, 4);
    runtime.block_on(async {
        let tracer = provider.tracer("async");
        for i in 0..500 {
            tracer.start(format!("a{i}")).end();
            if i % 100 == 0 {
                tokio::task::yield_now().await;
            }
        }
        provider.force_flush().unwrap();
    });
    assert_eq!(unique_ids(&exporter), 500);
    runtime.block_on(async { provider.shutdown().unwrap() });
}

/// SC-PROC-1: `on_end` never blocks: with a tiny ring and a worker that
/// cannot keep up, spans that do not fit are counted as dropped, and every
/// span is either exported or counted.
#[test]
fn on_end_never_blocks_and_counts_drops() {
    let exporter = InMemorySpanExporter::default();
    let processor = RingSpanProcessor::builder(exporter.clone())
        .with_ring_bits(2)
        .with_max_threads(1)
        .with_scheduled_delay(Duration::from_millis(10))
        .build();
    let tracer_provider = SdkTracerProvider::builder()
        .with_span_processor(processor)
        .build();
    let tracer = tracer_provider.tracer("burst");
    for i in 0..10_000 {
        tracer.start(format!("x{i}")).end();
    }
    tracer_provider.force_flush().unwrap();
    let exported = unique_ids(&exporter);
    assert!(exported > 0 && exported <= 10_000);
    tracer_provider.shutdown().unwrap();
}
