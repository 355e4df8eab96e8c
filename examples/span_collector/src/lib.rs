//! # span_collector
//!
//! The reference application of `ringmpsc`: an OpenTelemetry-style span
//! pipeline written with its macros and waits. Spans are a
//! `#[ring_message]` type, the ingest is a `channel!` with a group of
//! worker producers and an internal producer, and the consumer task waits
//! with `ready_async` and drains in bulk into a batcher and exporters.
//!
//! Layers, one module each: [`span`] (the message and its OTLP mapping),
//! [`pipeline`] (the `channel!`), [`collector`] (start, producers,
//! shutdown), [`bridge`] (the consumer task), [`batcher`], [`exporter`]
//! (stdout, JSON lines, OTLP/HTTP), [`retry`], [`metrics`], [`config`],
//! [`generate`] (realistic traces), [`error`], and [`processor`]: the
//! [`RingSpanProcessor`], an `opentelemetry_sdk` span processor on the rings. Invariant IDs (`SC-*`)
//! refer to `specs/span-collector-invariants.md`.
//!
//! ```no_run
//! use span_collector::{bridge::BridgeSettings, collector::Collector, exporter::StdoutExporter, generate::TraceGenerator};
//!
//! # async fn run() {
//! let (collector, producers) = Collector::start(1, std::sync::Arc::new(StdoutExporter), BridgeSettings::default());
//! for span in TraceGenerator::new(1).trace(5) {
//!     producers[0].send_span(span).unwrap();
//! }
//! drop(producers);
//! let report = collector.shutdown().await;
//! assert!(report.conserved());
//! # }
//! ```

// A refused span comes back by value (no allocation on the refusal path),
// so `SubmitError` is as large as a span: 120 bytes.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod batcher;
pub mod bridge;
pub mod collector;
pub mod config;
pub mod error;
pub mod exporter;
pub mod generate;
pub mod metrics;
pub mod pipeline;
pub mod processor;
pub mod retry;
pub mod serve;
pub mod span;

pub use processor::RingSpanProcessor;
