//! A readable line per batch on standard output.

use std::io::Write;

use super::{BoxFuture, Exporter};
use crate::batcher::Batch;
use crate::error::ExportError;
use crate::metrics::DropReason;

/// Writes one line per batch: span count, traces, services and names.
#[derive(Debug, Default)]
pub struct StdoutExporter;

impl Exporter for StdoutExporter {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let mut traces = 0;
            let mut last = None;
            for span in &batch.spans {
                if last != Some(span.trace_id) {
                    traces += 1;
                    last = Some(span.trace_id);
                }
            }
            let first = batch.spans.first().map_or("", |s| s.name.as_str());
            let service = batch
                .spans
                .first()
                .and_then(|s| s.origin.service_name())
                .unwrap_or("-");
            let line = format!(
                "batch: {} spans in {traces} traces, first `{first}` from {service}\n",
                batch.len()
            );
            std::io::stdout()
                .lock()
                .write_all(line.as_bytes())
                .map_err(|e| ExportError::new(DropReason::ExportFailed, e.to_string()))
        })
    }

    fn destination(&self) -> String {
        "standard output".into()
    }
}
