//! The collector's errors, one enum per concern.

use crate::metrics::DropReason;
use crate::span::Span;

/// A span could not be submitted; it comes back to the caller.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// The producer's ring is full right now; retry or wait.
    #[error("the producer's ring is full")]
    Full(Span),
    /// The collector is shutting down; no span is accepted any more.
    #[error("the collector is closed")]
    Closed(Span),
}

impl SubmitError {
    /// The span that was not submitted.
    pub fn into_span(self) -> Span {
        match self {
            SubmitError::Full(s) | SubmitError::Closed(s) => s,
        }
    }
}

/// An export gave up on a batch; its spans are counted as dropped.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{reason:?}: {message}")]
pub struct ExportError {
    /// Why, as counted in the report.
    pub reason: DropReason,
    /// What happened.
    pub message: String,
}

impl ExportError {
    /// An error with a reason and a message.
    pub fn new(reason: DropReason, message: impl Into<String>) -> Self {
        ExportError {
            reason,
            message: message.into(),
        }
    }
}

/// A configuration that cannot run.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// `--exporter` is not `stdout`, `json:PATH` or `otlp:URL`.
    #[error("unknown exporter `{0}`: expected `stdout`, `json:PATH` or `otlp:URL`")]
    Exporter(String),
    /// A value out of its range.
    #[error("{0}")]
    Invalid(String),
}
