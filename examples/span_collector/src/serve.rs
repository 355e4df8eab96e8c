//! `span-collector serve`: an OTLP receiver. OTLP/HTTP `POST /v1/traces`
//! (protobuf or JSON, gzip accepted) and OTLP/gRPC `TraceService/Export`
//! feed the same pipeline; each receiver worker owns a producer of it.
//! Bad input gets the protocol's answer and the server stays up; full
//! rings give 429 / `RESOURCE_EXHAUSTED` with `Retry-After`, so clients
//! retry instead of spans vanishing (SC-SERVE-1..3).

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
    TraceService, TraceServiceServer,
};
use opentelemetry_proto::tonic::collector::trace::v1::{
    ExportTracePartialSuccess, ExportTraceServiceRequest, ExportTraceServiceResponse,
};
use prost::Message;
use tokio::sync::Mutex;

use crate::collector::{Collector, SpanProducer};
use crate::error::SubmitError;
use crate::metrics::Metrics;
use crate::span::spans_from_request;

/// Receiver workers, each owning one producer of the pipeline.
pub const RECEIVER_WORKERS: usize = 8;

/// How long a request waits for room in its worker's ring before the
/// server answers 429 / `RESOURCE_EXHAUSTED`.
const ROOM_WAIT: Duration = Duration::from_millis(500);

/// The receivers' shared state.
#[derive(Debug)]
pub struct Receivers {
    workers: Vec<Mutex<SpanProducer>>,
    next: AtomicUsize,
    metrics: Arc<Metrics>,
    /// Largest request body, compressed or not.
    pub max_body: usize,
}

/// What became of a request's spans.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Accepted {
    /// Spans queued.
    pub accepted: u64,
    /// Spans refused: malformed, or no room in time.
    pub rejected: u64,
    /// Refused because the rings stayed full (retryable).
    pub full: bool,
}

impl Receivers {
    /// Receivers over `producers`.
    pub fn new(producers: Vec<SpanProducer>, metrics: Arc<Metrics>, max_body: usize) -> Self {
        Receivers {
            workers: producers.into_iter().map(Mutex::new).collect(),
            next: AtomicUsize::new(0),
            metrics,
            max_body,
        }
    }

    /// Queues the spans of `request` through one worker's producer.
    pub async fn accept(&self, request: ExportTraceServiceRequest) -> Accepted {
        let spans = spans_from_request(request);
        let mut out = Accepted::default();
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.workers.len();
        let mut producer = self.workers[i].lock().await;
        let total = spans.len() as u64;
        for (n, span) in spans.into_iter().enumerate() {
            let Ok(span) = span else {
                out.rejected += 1;
                continue;
            };
            match tokio::time::timeout(ROOM_WAIT, producer.submit_span_async(span)).await {
                Ok(Ok(())) => out.accepted += 1,
                Ok(Err(SubmitError::Closed(_) | SubmitError::Full(_))) | Err(_) => {
                    out.rejected += total - n as u64;
                    out.full = true;
                    break;
                }
            }
        }
        out
    }

    /// The counters in Prometheus text format.
    pub fn prometheus(&self) -> String {
        let s = self.metrics.snapshot();
        let mut out = String::new();
        let mut counter = |name: &str, help: &str, value: u64| {
            out += &format!("# HELP {name} {help}\n# TYPE {name} counter\n{name} {value}\n");
        };
        counter(
            "span_collector_spans_submitted_total",
            "Spans accepted into a ring.",
            s.submitted,
        );
        counter(
            "span_collector_spans_consumed_total",
            "Spans taken out of the rings.",
            s.consumed,
        );
        counter(
            "span_collector_spans_exported_total",
            "Spans the exporter confirmed.",
            s.exported,
        );
        counter(
            "span_collector_batches_total",
            "Batches handed to the exporter.",
            s.batches,
        );
        counter(
            "span_collector_spans_refused_total",
            "Submissions refused (rings full or closed).",
            s.refused,
        );
        out += "# HELP span_collector_spans_dropped_total Spans given up, by reason.\n# TYPE span_collector_spans_dropped_total counter\n";
        for (reason, n) in &s.dropped {
            out += &format!("span_collector_spans_dropped_total{{reason=\"{reason}\"}} {n}\n");
        }
        out
    }
}

/// The body of a request, decompressed, at most `limit` bytes.
fn decompress(headers: &HeaderMap, body: Bytes, limit: usize) -> Result<Vec<u8>, (StatusCode, String)> {
    match headers
        .get(header::CONTENT_ENCODING)
        .map(|v| v.to_str().unwrap_or("?").trim().to_ascii_lowercase())
    {
        None => Ok(body.to_vec()),
        Some(e) if e == "identity" || e.is_empty() => Ok(body.to_vec()),
        Some(e) if e == "gzip" => {
            let mut out = Vec::new();
            let read = flate2::read::GzDecoder::new(&body[..])
                .take(limit as u64 + 1)
                .read_to_end(&mut out);
            match read {
                Err(e) => Err((StatusCode::BAD_REQUEST, format!("malformed gzip body: {e}"))),
                Ok(_) if out.len() > limit => Err((
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("the decompressed body is over the limit of {limit} bytes"),
                )),
                Ok(_) => Ok(out),
            }
        }
        Some(e) => Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            format!("unsupported content-encoding `{e}`"),
        )),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Protobuf,
    Json,
}

fn encoding(headers: &HeaderMap) -> Option<Encoding> {
    let ct = headers.get(header::CONTENT_TYPE)?.to_str().ok()?;
    let mime = ct.split(';').next()?.trim().to_ascii_lowercase();
    match mime.as_str() {
        "application/x-protobuf" | "application/protobuf" => Some(Encoding::Protobuf),
        "application/json" => Some(Encoding::Json),
        _ => None,
    }
}

fn respond(encoding: Encoding, status: StatusCode, response: &ExportTraceServiceResponse) -> Response {
    match encoding {
        Encoding::Protobuf => (
            status,
            [(header::CONTENT_TYPE, "application/x-protobuf")],
            response.encode_to_vec(),
        )
            .into_response(),
        Encoding::Json => (
            status,
            [(header::CONTENT_TYPE, "application/json")],
            serde_json::to_vec(response).unwrap_or_default(),
        )
            .into_response(),
    }
}

/// Decodes an OTLP/HTTP request body by its headers, decompressed to at
/// most `limit` bytes: the request (and whether it was JSON), or the status
/// and message to answer with (400 malformed, 413 too large, 415
/// unsupported). Never panics, on any input (SC-SERVE-2).
///
/// # Errors
/// The HTTP status and a message for the client.
pub fn decode_request(
    headers: &HeaderMap,
    body: Bytes,
    limit: usize,
) -> Result<(ExportTraceServiceRequest, bool), (StatusCode, String)> {
    let Some(encoding) = encoding(headers) else {
        return Err((
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "content-type must be application/x-protobuf or application/json".into(),
        ));
    };
    let raw = decompress(headers, body, limit)?;
    let request = match encoding {
        Encoding::Protobuf => ExportTraceServiceRequest::decode(&raw[..]).map_err(|e| e.to_string()),
        Encoding::Json => {
            serde_json::from_slice::<ExportTraceServiceRequest>(&raw).map_err(|e| e.to_string())
        }
    };
    request
        .map(|r| (r, encoding == Encoding::Json))
        .map_err(|e| (StatusCode::BAD_REQUEST, format!("malformed OTLP request: {e}")))
}

/// `POST /v1/traces`.
async fn traces(State(receivers): State<Arc<Receivers>>, headers: HeaderMap, body: Bytes) -> Response {
    let (request, json) = match decode_request(&headers, body, receivers.max_body) {
        Ok(decoded) => decoded,
        Err((status, message)) => return (status, message).into_response(),
    };
    let encoding = if json { Encoding::Json } else { Encoding::Protobuf };
    let outcome = receivers.accept(request).await;
    if outcome.full && outcome.accepted == 0 {
        // Nothing was queued: the client may retry the whole request.
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "1")],
            "the collector's rings are full; retry later",
        )
            .into_response();
    }
    let response = ExportTraceServiceResponse {
        partial_success: (outcome.rejected > 0).then(|| ExportTracePartialSuccess {
            rejected_spans: outcome.rejected as i64,
            error_message: if outcome.full {
                "the collector's rings filled up during the request".into()
            } else {
                "spans with malformed ids were rejected".into()
            },
        }),
    };
    respond(encoding, StatusCode::OK, &response)
}

/// `GET /metrics`.
async fn metrics(State(receivers): State<Arc<Receivers>>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        receivers.prometheus(),
    )
        .into_response()
}

/// The OTLP/HTTP routes over `receivers`.
pub fn http_router(receivers: Arc<Receivers>) -> axum::Router {
    let limit = receivers.max_body;
    axum::Router::new()
        .route("/v1/traces", axum::routing::post(traces))
        .route("/metrics", axum::routing::get(metrics))
        .layer(DefaultBodyLimit::max(limit))
        .with_state(receivers)
}

/// The OTLP/gRPC `TraceService`.
#[derive(Debug, Clone)]
pub struct GrpcReceiver(pub Arc<Receivers>);

#[tonic::async_trait]
impl TraceService for GrpcReceiver {
    async fn export(
        &self,
        request: tonic::Request<ExportTraceServiceRequest>,
    ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
        let outcome = self.0.accept(request.into_inner()).await;
        if outcome.full && outcome.accepted == 0 {
            return Err(tonic::Status::resource_exhausted(
                "the collector's rings are full; retry later",
            ));
        }
        Ok(tonic::Response::new(ExportTraceServiceResponse {
            partial_success: (outcome.rejected > 0).then(|| ExportTracePartialSuccess {
                rejected_spans: outcome.rejected as i64,
                error_message: "some spans were rejected".into(),
            }),
        }))
    }
}

/// The gRPC service over `receivers`, gzip accepted.
pub fn grpc_service(receivers: Arc<Receivers>) -> TraceServiceServer<GrpcReceiver> {
    let limit = receivers.max_body;
    TraceServiceServer::new(GrpcReceiver(receivers))
        .accept_compressed(tonic::codec::CompressionEncoding::Gzip)
        .max_decoding_message_size(limit)
}

/// Arguments of `serve`.
#[derive(Debug, Clone)]
pub struct ServeArgs {
    /// OTLP/HTTP address.
    pub listen: SocketAddr,
    /// OTLP/gRPC address, if any.
    pub grpc_listen: Option<SocketAddr>,
    /// Exporter flag.
    pub exporter: Option<String>,
    /// Report path.
    pub report_json: Option<PathBuf>,
    /// Largest request body.
    pub max_body: usize,
    /// Batching.
    pub bridge: crate::bridge::BridgeSettings,
}

/// Runs the receiver until SIGINT/SIGTERM: stops accepting, drains,
/// flushes, writes the report; exit status 0 (1 if spans were dropped, 2
/// for a configuration error).
pub async fn serve(args: ServeArgs) -> i32 {
    let spec = match crate::config::ExporterSpec::from_flag_or_env(args.exporter.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("span-collector: {e}");
            return 2;
        }
    };
    let exporter = match spec.build().await {
        Ok(e) => e,
        Err(e) => {
            eprintln!("span-collector: {e}");
            return 2;
        }
    };
    let http = match tokio::net::TcpListener::bind(args.listen).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("span-collector: cannot listen on {}: {e}", args.listen);
            return 2;
        }
    };
    let grpc = match args.grpc_listen {
        None => None,
        Some(addr) => match tokio::net::TcpListener::bind(addr).await {
            Ok(l) => Some(l),
            Err(e) => {
                eprintln!("span-collector: cannot listen on {addr}: {e}");
                return 2;
            }
        },
    };
    let start = Instant::now();
    let (collector, producers) = Collector::start(RECEIVER_WORKERS, exporter, args.bridge);
    let receivers = Arc::new(Receivers::new(
        producers,
        collector.metrics_handle(),
        args.max_body,
    ));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|s| *s).await;
    };
    eprintln!(
        "span-collector: OTLP/HTTP on http://{}/v1/traces{}; exporting to {}",
        http.local_addr().map_or(args.listen, |a| a),
        grpc.as_ref()
            .and_then(|g| g.local_addr().ok())
            .map_or(String::new(), |a| format!(", OTLP/gRPC on {a}")),
        collector.destination()
    );
    let router = http_router(Arc::clone(&receivers));
    let http_stop = stopped(stop_rx.clone());
    let http_task =
        tokio::spawn(async move { axum::serve(http, router).with_graceful_shutdown(http_stop).await });
    let grpc_task = grpc.map(|listener| {
        let incoming = tokio_stream::wrappers::TcpListenerStream::new(listener);
        let service = grpc_service(Arc::clone(&receivers));
        let rx = stop_rx.clone();
        tokio::spawn(async move {
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(incoming, stopped(rx))
                .await
        })
    });
    crate::app::stop_signal().await;
    eprintln!("span-collector: stopping: draining, flushing, exporting");
    let _ = stop_tx.send(true);
    let _ = http_task.await;
    if let Some(t) = grpc_task {
        let _ = t.await;
    }
    // The receivers' producers go with them; then the pipeline drains.
    drop(receivers);
    let snapshot = collector.shutdown().await;
    crate::app::finish(
        &snapshot,
        start.elapsed(),
        collector_destination(&spec),
        args.report_json.as_deref(),
    )
}

fn collector_destination(spec: &crate::config::ExporterSpec) -> String {
    match spec {
        crate::config::ExporterSpec::Stdout => "standard output".into(),
        crate::config::ExporterSpec::Json(p) => p.display().to_string(),
        crate::config::ExporterSpec::Otlp(u) => u.clone(),
    }
}
