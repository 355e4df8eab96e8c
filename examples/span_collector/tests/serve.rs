//! `span-collector serve` as clients see it: OTLP/HTTP (protobuf, JSON,
//! gzip), OTLP/gRPC, every bad input answered and the server still up,
//! `/metrics`, and a SIGTERM that drains, flushes and reports. IDs refer to
//! specs/span-collector-invariants.md.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use opentelemetry_proto::tonic::collector::trace::v1::trace_service_client::TraceServiceClient;
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use span_collector::generate::TraceGenerator;
use span_collector::span::request_of;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("span-collector-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    let _ = std::fs::remove_file(&path);
    path
}

/// A `serve` process, killed if a test ends without stopping it (a failed
/// assertion must not leave it holding the test's output open).
struct Server {
    child: Child,
    http: String,
    grpc: String,
    out: PathBuf,
    report: PathBuf,
}

impl Server {
    fn start(tag: &str) -> Server {
        Server::start_with(tag, None, &[])
    }

    /// `exporter`: `None` for a JSON lines file of the test's own.
    fn start_with(tag: &str, exporter: Option<String>, env: &[(&str, &str)]) -> Server {
        let (http, grpc) = (free_port(), free_port());
        let out = scratch(&format!("{tag}.jsonl"));
        let report = scratch(&format!("{tag}-report.json"));
        let child = Command::new(env!("CARGO_BIN_EXE_span-collector"))
            .args([
                "serve",
                "--listen",
                &format!("127.0.0.1:{http}"),
                "--grpc-listen",
                &format!("127.0.0.1:{grpc}"),
            ])
            .args(["--max-body-bytes", "65536", "--flush-interval-ms", "20"])
            .arg("--exporter")
            .arg(exporter.unwrap_or_else(|| format!("json:{}", out.display())))
            .envs(env.iter().copied())
            .arg("--report-json")
            .arg(&report)
            .spawn()
            .unwrap();
        let server = Server {
            child,
            http: format!("http://127.0.0.1:{http}"),
            grpc: format!("http://127.0.0.1:{grpc}"),
            out,
            report,
        };
        let start = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", http)).is_err()
            || std::net::TcpStream::connect(("127.0.0.1", grpc)).is_err()
        {
            assert!(start.elapsed() < Duration::from_secs(30), "serve did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        server
    }

    /// SIGTERM, then the exit status and the report.
    fn stop(mut self) -> (i32, serde_json::Value, u64) {
        // Dropping afterwards finds the process already reaped.
        self.terminate()
    }

    fn terminate(&mut self) -> (i32, serde_json::Value, u64) {
        let killed = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let status = self.child.wait().unwrap();
        let report = serde_json::from_str(&std::fs::read_to_string(&self.report).unwrap()).unwrap();
        let spans = std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .map(|line| {
                let r: ExportTraceServiceRequest = serde_json::from_str(line).unwrap();
                r.resource_spans
                    .iter()
                    .flat_map(|rs| &rs.scope_spans)
                    .map(|ss| ss.spans.len() as u64)
                    .sum::<u64>()
            })
            .sum();
        (status.code().unwrap_or(-1), report, spans)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn request(spans: usize, seed: u64) -> ExportTraceServiceRequest {
    let spans = TraceGenerator::new(seed).trace(spans);
    request_of(&spans)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(bytes).unwrap();
    gz.finish().unwrap()
}

/// SC-SERVE-1, SC-SERVE-2, SC-SHUT-1: good requests over every encoding are
/// exported once; bad ones get 400/415/413 and the server keeps serving;
/// SIGTERM drains, flushes, reports and exits 0.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_answers_every_input_and_drains_on_sigterm() {
    let server = Server::start("all");
    let client = reqwest::Client::new();
    let url = format!("{}/v1/traces", server.http);
    let mut sent = 0u64;

    // Protobuf.
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(request(10, 1).encode_to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body = ExportTraceServiceResponse::decode(&r.bytes().await.unwrap()[..]).unwrap();
    assert!(body.partial_success.is_none());
    sent += 10;

    // Protobuf, gzip.
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(gzip(&request(7, 2).encode_to_vec()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    sent += 7;

    // JSON: upper-case hex ids, 64-bit integers as numbers, unknown fields.
    let json = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"py"}}]},
        "scopeSpans":[{"scope":{"name":"s"},"spans":[{"traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
        "name":"json-span","kind":2,"startTimeUnixNano":1544712660000000000,"endTimeUnixNano":"1544712661000000000",
        "attributes":[{"key":"n","value":{"intValue":"7"}},{"key":"d","value":{"doubleValue":1.5}}],"futureField":{"x":1}}]}]}]}"#;
    let r = client
        .post(&url)
        .header("content-type", "application/json")
        .body(json)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    sent += 1;

    // Bad input: each answered, none kills the server.
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(vec![0xff, 0xff, 0xff])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(&url)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = client
        .post(&url)
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .body(vec![0u8; 200_000])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "gzip")
        .body(gzip(&vec![0u8; 1_000_000]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413, "a decompression bomb is over the limit");
    let r = client
        .post(&url)
        .header("content-type", "application/x-protobuf")
        .header("content-encoding", "br")
        .body(vec![1])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);

    // Still serving: gRPC, gzip.
    let mut grpc = TraceServiceClient::connect(server.grpc.clone())
        .await
        .unwrap()
        .send_compressed(tonic::codec::CompressionEncoding::Gzip);
    let response = grpc.export(request(12, 3)).await.unwrap().into_inner();
    assert!(response.partial_success.is_none());
    sent += 12;

    // Metrics in Prometheus text.
    let metrics = client
        .get(format!("{}/metrics", server.http))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("# TYPE span_collector_spans_submitted_total counter"),
        "{metrics}"
    );
    assert!(
        metrics.contains(&format!("span_collector_spans_submitted_total {sent}")),
        "{metrics}"
    );

    let (code, report, exported) = tokio::task::spawn_blocking(move || server.stop()).await.unwrap();
    assert_eq!(code, 0, "{report}");
    assert_eq!(report["submitted"], sent);
    assert_eq!(report["exported"], sent);
    assert_eq!(exported, sent, "every accepted span in the output, once");
}

/// SC-SERVE-1, SC-PROC-1: the Rust SDK's own OTLP/HTTP exporter, behind a
/// `RingSpanProcessor` in a real `SdkTracerProvider`, sends spans to
/// `serve`; every one is exported once with its name and `service.name`.
#[test]
fn rust_sdk_otlp_http_exporter_through_ring_span_processor() {
    use opentelemetry::trace::{Tracer, TracerProvider};
    use opentelemetry_otlp::WithExportConfig;

    let server = Server::start("rust-sdk");
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(format!("{}/v1/traces", server.http))
        .build()
        .unwrap();
    let provider = opentelemetry_sdk::trace::SdkTracerProvider::builder()
        .with_span_processor(span_collector::RingSpanProcessor::new(exporter))
        .with_resource(
            opentelemetry_sdk::Resource::builder()
                .with_service_name("rust-sdk")
                .build(),
        )
        .build();
    let tracer = provider.tracer("rust-sdk-test");
    std::thread::scope(|s| {
        for t in 0..4 {
            let tracer = tracer.clone();
            s.spawn(move || {
                for i in 0..250 {
                    tracer.in_span(format!("rust-{t}-{i}"), |_cx| {});
                }
            });
        }
    });
    provider.force_flush().unwrap();
    provider.shutdown().unwrap();
    let out = server.out.clone();
    let (code, report, exported) = server.stop();
    assert_eq!(code, 0, "{report}");
    assert_eq!(exported, 1_000);
    let text = std::fs::read_to_string(out).unwrap();
    assert!(text.contains(r#""stringValue":"rust-sdk""#), "service.name kept");
    for t in 0..4 {
        assert!(text.contains(&format!(r#""name":"rust-{t}-249""#)));
    }
}

/// SC-SERVE-1: `serve --exporter otlp:URL` relays to an upstream collector
/// (here another `serve`), conserving every span.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relay_to_an_upstream_collector() {
    let upstream = Server::start("upstream");
    let relay = Server::start_with("relay", Some(format!("otlp:{}", upstream.http)), &[]);
    let client = reqwest::Client::new();
    for seed in 0..5 {
        let r = client
            .post(format!("{}/v1/traces", relay.http))
            .header("content-type", "application/x-protobuf")
            .body(request(20, seed).encode_to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let (code, report, _) = tokio::task::spawn_blocking(move || relay.stop()).await.unwrap();
    assert_eq!((code, report["exported"].as_u64()), (0, Some(100)), "{report}");
    let (code, report, exported) = tokio::task::spawn_blocking(move || upstream.stop())
        .await
        .unwrap();
    assert_eq!(code, 0, "{report}");
    assert_eq!(exported, 100, "every relayed span arrives once upstream");
}

/// SC-SERVE-3: when the rings stay full (the upstream never answers, so
/// every export slot is busy), the receiver answers 429 with `Retry-After`
/// and gRPC `RESOURCE_EXHAUSTED`, instead of losing spans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_rings_answer_429_and_resource_exhausted() {
    // An upstream that accepts connections and never answers.
    let stall = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let stall_url = format!("http://{}", stall.local_addr().unwrap());
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = stall.accept().await {
            held.push(socket);
        }
    });
    let relay = Server::start_with(
        "full",
        Some(format!("otlp:{stall_url}")),
        &[("OTEL_EXPORTER_OTLP_TIMEOUT", "60000")],
    );
    let client = reqwest::Client::new();
    let mut saw_429 = false;
    for seed in 0..200 {
        let r = client
            .post(format!("{}/v1/traces", relay.http))
            .header("content-type", "application/x-protobuf")
            .body(request(100, seed).encode_to_vec())
            .send()
            .await
            .unwrap();
        match r.status().as_u16() {
            200 => {}
            429 => {
                assert_eq!(r.headers()["retry-after"], "1");
                saw_429 = true;
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(saw_429, "the rings never filled");
    let mut grpc = TraceServiceClient::connect(relay.grpc.clone()).await.unwrap();
    let status = grpc.export(request(100, 999)).await.unwrap_err();
    assert_eq!(status.code(), tonic::Code::ResourceExhausted);
}
