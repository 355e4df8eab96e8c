//! The span collector end to end, in process: ownership transfer,
//! back-pressure, shutdown, the OTLP/HTTP exporter against a real HTTP
//! server on 127.0.0.1, retries and drops. The conservation identity
//! (SC-CONS-1) is asserted in every test. IDs refer to
//! specs/span-collector-invariants.md.

use std::collections::VecDeque;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use prost::Message;
use span_collector::batcher::Batch;
use span_collector::bridge::BridgeSettings;
use span_collector::collector::Collector;
use span_collector::error::ExportError;
use span_collector::exporter::{BoxFuture, Exporter, OtlpHttpExporter, OtlpSettings};
use span_collector::generate::TraceGenerator;
use span_collector::metrics::Snapshot;
use span_collector::retry::RetryPolicy;
use span_collector::span::{spans_from_request, Span};

const LIMIT: Duration = Duration::from_secs(60);

fn settings(batch_size: usize) -> BridgeSettings {
    BridgeSettings {
        batch_size,
        flush_interval: Duration::from_millis(50),
        ..BridgeSettings::default()
    }
}

fn assert_conserved(s: &Snapshot) {
    assert!(s.conserved(), "SC-CONS-1 broken: {s:?}");
}

/// Keeps every exported span (and the address of its attribute vector).
#[derive(Default)]
struct Capture {
    spans: Mutex<Vec<Span>>,
    batches: Mutex<Vec<usize>>,
    delay: Duration,
}

impl Exporter for Capture {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            tokio::time::sleep(self.delay).await;
            self.batches.lock().unwrap().push(batch.len());
            self.spans.lock().unwrap().extend(batch.spans.iter().cloned());
            Ok(())
        })
    }
    fn destination(&self) -> String {
        "memory".into()
    }
}

/// Records the attribute allocations it sees, then drops the spans.
#[derive(Default)]
struct Addresses(Mutex<Vec<usize>>);

impl Exporter for Addresses {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let mut seen = self.0.lock().unwrap();
            seen.extend(batch.spans.iter().map(|s| &*s.attributes as *const _ as usize));
            Ok(())
        })
    }
    fn destination(&self) -> String {
        "addresses".into()
    }
}

/// SC-OWN-1, SC-OWN-2: the boxed attributes that come out are the very
/// allocations that went in (moved, never copied), and every span is
/// dropped exactly once (the shared origin's count returns to one).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spans_move_through_without_copies() {
    let exporter = Arc::new(Addresses::default());
    let (collector, producers) = Collector::start(2, exporter.clone(), settings(64));
    let mut generator = TraceGenerator::new(7);
    let mut sent = Vec::new();
    let origin = generator.trace(1)[0].origin.clone();
    let before = Arc::strong_count(&origin);
    for i in 0..500 {
        let mut span = generator.trace(1).pop().unwrap();
        span.origin = origin.clone();
        sent.push(&*span.attributes as *const _ as usize);
        producers[i % 2].send_span(span).unwrap();
    }
    drop(producers);
    let report = tokio::time::timeout(LIMIT, collector.shutdown()).await.unwrap();
    assert_conserved(&report);
    assert_eq!(report.exported, 500);
    let mut seen = exporter.0.lock().unwrap().clone();
    seen.sort_unstable();
    sent.sort_unstable();
    assert_eq!(
        seen, sent,
        "the exported attributes are the submitted allocations"
    );
    assert_eq!(
        Arc::strong_count(&origin),
        before,
        "every span dropped exactly once"
    );
}

/// SC-BATCH-1, SC-BATCH-2: batches never exceed the size; a partial batch
/// is flushed by age; spans of one trace stay together.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn batches_are_exact_and_flushed_by_age() {
    let exporter = Arc::new(Capture::default());
    let (collector, producers) = Collector::start(1, exporter.clone(), settings(100));
    let mut generator = TraceGenerator::new(3);
    let mut n = 0;
    while n < 250 {
        for span in generator.trace(5) {
            producers[0].send_span(span).unwrap();
            n += 1;
        }
    }
    // The 50 left over go out by age, without a shutdown.
    let start = Instant::now();
    while collector.metrics().exported < 250 {
        assert!(start.elapsed() < LIMIT, "the partial batch was never flushed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let batches = exporter.batches.lock().unwrap().clone();
    assert!(batches.iter().all(|&b| b <= 100), "{batches:?}");
    assert_eq!(batches.iter().filter(|&&b| b == 100).count(), 2, "{batches:?}");
    drop(producers);
    let report = collector.shutdown().await;
    assert_conserved(&report);
}

/// SC-BP-1: tiny export capacity and a slow exporter; async producers wait
/// for room without spinning (their wake-ups are counted) and nothing is
/// lost.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_pressure_waits_without_spinning() {
    let exporter = Arc::new(Capture {
        delay: Duration::from_millis(20),
        ..Capture::default()
    });
    let bridge = BridgeSettings {
        batch_size: 256,
        max_concurrent_exports: 1,
        drain_limit: 256,
        flush_interval: Duration::from_millis(20),
        ..BridgeSettings::default()
    };
    let (collector, producers) = Collector::start(4, exporter.clone(), bridge);
    const PER: usize = 3_000;
    let polls = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (p, mut producer) in producers.into_iter().enumerate() {
        let polls = polls.clone();
        tasks.push(tokio::spawn(async move {
            let mut generator = TraceGenerator::new(p as u64);
            for _ in 0..PER {
                let span = generator.trace(1).pop().unwrap();
                let mut send = std::pin::pin!(producer.submit_span_async(span));
                std::future::poll_fn(|cx| {
                    polls.fetch_add(1, Ordering::Relaxed);
                    send.as_mut().poll(cx)
                })
                .await
                .unwrap();
            }
        }));
    }
    for t in tasks {
        tokio::time::timeout(LIMIT, t)
            .await
            .expect("a producer stalled")
            .unwrap();
    }
    let report = collector.shutdown().await;
    assert_conserved(&report);
    assert_eq!(report.exported, 4 * PER as u64);
    // A spinning producer would poll far more often than once per span
    // plus once per wake-up for room.
    let polls = polls.load(Ordering::Relaxed);
    assert!(
        polls <= 3 * 4 * PER,
        "{polls} polls for {} spans: spinning",
        4 * PER
    );
}

/// SC-SHUT-1: at shutdown, spans in every ring and a partial batch are all
/// exported; producers see `Closed` afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_exports_everything_queued() {
    let exporter = Arc::new(Capture::default());
    let bridge = BridgeSettings {
        batch_size: 10_000,
        flush_interval: Duration::from_secs(3600),
        ..BridgeSettings::default()
    };
    let (collector, producers) = Collector::start(16, exporter.clone(), bridge);
    let mut generator = TraceGenerator::new(11);
    for producer in &producers {
        for span in generator.trace(37) {
            producer.submit_span(span).unwrap();
        }
    }
    let report = tokio::time::timeout(LIMIT, collector.shutdown()).await.unwrap();
    assert_conserved(&report);
    assert_eq!(report.exported, 16 * 37);
    assert_eq!(exporter.spans.lock().unwrap().len(), 16 * 37);
    let late = generator.trace(1).pop().unwrap();
    assert!(matches!(
        producers[0].submit_span(late),
        Err(span_collector::error::SubmitError::Closed(_))
    ));
}

/// A scripted answer: a status and an optional `Retry-After`.
type Answer = (u16, Option<&'static str>);

/// A scripted OTLP/HTTP endpoint on 127.0.0.1: answers with the statuses
/// in `script` (then 200), decodes every request it accepts with the
/// official proto types.
#[derive(Clone, Default)]
struct Endpoint {
    script: Arc<Mutex<VecDeque<Answer>>>,
    accepted: Arc<Mutex<Vec<ExportTraceServiceRequest>>>,
    attempts: Arc<AtomicUsize>,
    times: Arc<Mutex<Vec<Instant>>>,
}

impl Endpoint {
    async fn start(script: Vec<Answer>) -> (Endpoint, String) {
        let endpoint = Endpoint {
            script: Arc::new(Mutex::new(script.into())),
            ..Endpoint::default()
        };
        let state = endpoint.clone();
        let app = axum::Router::new().route(
            "/v1/traces",
            axum::routing::post(move |headers: HeaderMap, body: Bytes| {
                let state = state.clone();
                async move { state.handle(headers, body) }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (endpoint, url)
    }

    fn handle(&self, headers: HeaderMap, body: Bytes) -> (StatusCode, HeaderMap, Vec<u8>) {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        self.times.lock().unwrap().push(Instant::now());
        let mut out = HeaderMap::new();
        if let Some((status, retry_after)) = self.script.lock().unwrap().pop_front() {
            if let Some(after) = retry_after {
                out.insert("retry-after", after.parse().unwrap());
            }
            return (StatusCode::from_u16(status).unwrap(), out, Vec::new());
        }
        assert_eq!(headers["content-type"], "application/x-protobuf");
        let raw = if headers.get("content-encoding").is_some_and(|v| v == "gzip") {
            use std::io::Read;
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        } else {
            body.to_vec()
        };
        let request = ExportTraceServiceRequest::decode(&raw[..]).expect("a valid OTLP protobuf body");
        self.accepted.lock().unwrap().push(request);
        (StatusCode::OK, out, Vec::new())
    }

    fn spans(&self) -> Vec<Span> {
        self.accepted
            .lock()
            .unwrap()
            .iter()
            .cloned()
            .flat_map(spans_from_request)
            .map(Result::unwrap)
            .collect()
    }
}

fn otlp(url: &str, retry: RetryPolicy) -> Arc<dyn Exporter> {
    let mut settings = OtlpSettings::with_env(url, |_| None).unwrap();
    settings.retry = retry;
    settings.timeout = Duration::from_secs(5);
    Arc::new(OtlpHttpExporter::new(settings).unwrap())
}

fn quick_retry() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 3,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(500),
    }
}

/// SC-EXP-1: spans decoded by a real HTTP server with the official proto
/// types equal what was sent, field by field: ids, names, times, status,
/// every attribute type, events, links, resource and scope.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_round_trip_is_exact() {
    let (endpoint, url) = Endpoint::start(Vec::new()).await;
    let (collector, producers) = Collector::start(2, otlp(&url, quick_retry()), settings(50));
    let mut generator = TraceGenerator::new(42);
    let mut sent = Vec::new();
    for i in 0..40 {
        for span in generator.trace(5) {
            sent.push(span.clone());
            producers[i % 2].send_span(span).unwrap();
        }
    }
    drop(producers);
    let report = tokio::time::timeout(LIMIT, collector.shutdown()).await.unwrap();
    assert_conserved(&report);
    assert_eq!(report.exported, 200);
    let mut got = endpoint.spans();
    let key = |s: &Span| (s.trace_id, s.span_id.0);
    got.sort_by_key(key);
    sent.sort_by_key(key);
    assert_eq!(got.len(), sent.len());
    for (g, s) in got.iter().zip(&sent) {
        assert_eq!(g, s, "a field changed on the way");
    }
    assert!(got
        .iter()
        .any(|s| s.status.code == 2 && !s.detail.events.is_empty()));
}

/// SC-RETRY-1: 503 with `Retry-After` is retried after the time the
/// server asked for, then succeeds; nothing is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_retries_503_honouring_retry_after() {
    let (endpoint, url) = Endpoint::start(vec![(503, Some("1"))]).await;
    let (collector, producers) = Collector::start(1, otlp(&url, quick_retry()), settings(10));
    for span in TraceGenerator::new(1).trace(10) {
        producers[0].send_span(span).unwrap();
    }
    drop(producers);
    let report = tokio::time::timeout(LIMIT, collector.shutdown()).await.unwrap();
    assert_conserved(&report);
    assert_eq!((report.exported, report.dropped_total()), (10, 0));
    assert_eq!(endpoint.attempts.load(Ordering::SeqCst), 2);
    let times = endpoint.times.lock().unwrap().clone();
    // Retry-After: 1 is capped by the policy's 500 ms maximum back-off.
    assert!(
        times[1] - times[0] >= Duration::from_millis(450),
        "{:?}",
        times[1] - times[0]
    );
}

/// SC-RETRY-2: a 400 is not retried; its spans are counted as dropped
/// under `rejected`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn otlp_does_not_retry_400() {
    let (endpoint, url) = Endpoint::start(vec![(400, None)]).await;
    let (collector, producers) = Collector::start(1, otlp(&url, quick_retry()), settings(10));
    for span in TraceGenerator::new(2).trace(10) {
        producers[0].send_span(span).unwrap();
    }
    drop(producers);
    let report = tokio::time::timeout(LIMIT, collector.shutdown()).await.unwrap();
    assert_conserved(&report);
    assert_eq!(report.exported, 0);
    assert_eq!(report.dropped.get("rejected"), Some(&10));
    assert_eq!(endpoint.attempts.load(Ordering::SeqCst), 1);
}

/// SC-RETRY-3: a dead endpoint gives counted drops with a reason and a
/// prompt end (retries bounded, then the circuit opens), not a hang.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_endpoint_drops_with_a_reason_and_ends() {
    // A port that was just free: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}");
    let (collector, producers) = Collector::start(1, otlp(&url, quick_retry()), settings(10));
    for _ in 0..10 {
        for span in TraceGenerator::new(3).trace(10) {
            producers[0].send_span(span).unwrap();
        }
    }
    drop(producers);
    let start = Instant::now();
    let report = tokio::time::timeout(LIMIT, collector.shutdown())
        .await
        .expect("hung on a dead endpoint");
    assert!(start.elapsed() < Duration::from_secs(30));
    assert_conserved(&report);
    assert_eq!(report.exported, 0);
    assert_eq!(report.dropped_total(), 100);
    let reasons: Vec<_> = report.dropped.keys().copied().collect();
    assert!(
        reasons
            .iter()
            .all(|r| ["retries_exhausted", "circuit_open"].contains(r)),
        "{reasons:?}"
    );
}
