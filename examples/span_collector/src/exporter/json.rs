//! OTLP/JSON lines: one `ExportTraceServiceRequest` per line, appended to
//! a file, never overwriting it (SC-EXP-2).

use std::path::{Path, PathBuf};

use tokio::io::AsyncWriteExt;
use tokio::sync::Mutex;

use super::{BoxFuture, Exporter};
use crate::batcher::Batch;
use crate::error::ExportError;
use crate::metrics::DropReason;
use crate::span::request_of;

/// Appends OTLP/JSON requests to a file, one per line.
#[derive(Debug)]
pub struct JsonLinesExporter {
    path: PathBuf,
    file: Mutex<tokio::io::BufWriter<tokio::fs::File>>,
}

fn failed(e: impl std::fmt::Display) -> ExportError {
    ExportError::new(DropReason::ExportFailed, e.to_string())
}

impl JsonLinesExporter {
    /// Opens `path` for appending (creating it and its directory).
    ///
    /// # Errors
    /// The I/O error when the file cannot be opened.
    pub async fn open(path: &Path) -> std::io::Result<Self> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            tokio::fs::create_dir_all(dir).await?;
        }
        let file = tokio::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .await?;
        Ok(JsonLinesExporter {
            path: path.to_path_buf(),
            file: Mutex::new(tokio::io::BufWriter::new(file)),
        })
    }
}

impl Exporter for JsonLinesExporter {
    fn export<'a>(&'a self, batch: &'a Batch) -> BoxFuture<'a, Result<(), ExportError>> {
        Box::pin(async move {
            let mut line = serde_json::to_vec(&request_of(&batch.spans)).map_err(failed)?;
            line.push(b'\n');
            // One write per line under the lock: concurrent exports never
            // interleave within a line. Flushed before the spans count as
            // exported.
            let mut file = self.file.lock().await;
            file.write_all(&line).await.map_err(failed)?;
            file.flush().await.map_err(failed)
        })
    }

    fn shutdown(&self) -> BoxFuture<'_, Result<(), ExportError>> {
        Box::pin(async move {
            let mut file = self.file.lock().await;
            file.flush().await.map_err(failed)?;
            file.get_mut().sync_data().await.map_err(failed)
        })
    }

    fn destination(&self) -> String {
        self.path.display().to_string()
    }
}
