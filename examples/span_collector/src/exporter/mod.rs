//! Where batches go: one async trait, three exporters.
//!
//! - [`StdoutExporter`]: a readable line per batch.
//! - [`JsonLinesExporter`]: OTLP/JSON, one `ExportTraceServiceRequest` per
//!   line, appended to a file (as the OpenTelemetry Collector's file
//!   exporter writes).
//! - [`OtlpHttpExporter`]: OTLP/HTTP protobuf, gzip, headers, timeout,
//!   retries and a circuit breaker.

mod json;
mod otlp;
mod stdout;

use std::future::Future;
use std::pin::Pin;

pub use json::JsonLinesExporter;
pub use otlp::{OtlpHttpExporter, OtlpSettings};
pub use stdout::StdoutExporter;

use crate::batcher::Batch;
use crate::error::ExportError;

/// A boxed, `Send` future: what [`Exporter`] methods return.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// An export destination. `export` either delivers the whole batch (`Ok`)
/// or gives it up with a reason (`Err`): the caller counts the spans as
/// exported or dropped accordingly (SC-EXP-1). It borrows the batch, so a
/// retry re-sends the same encoded bytes instead of cloning spans.
pub trait Exporter: Send + Sync + 'static {
    /// Delivers `batch`, retrying inside if the exporter retries.
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>>;

    /// Flushes what the exporter buffers; called once, after the last export.
    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async { Ok(()) })
    }

    /// Where the spans go, for the report.
    fn destination(&self) -> String;
}
