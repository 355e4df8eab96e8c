//! The collector's own counters, `Relaxed` atomics: they order nothing,
//! they count (SC-CONS-1).
//!
//! The identity every run ends with: `submitted == consumed == exported +
//! dropped`. A span counts as `submitted` when a producer accepted it into
//! a ring, `consumed` when the consumer took it out, `exported` when an
//! exporter confirmed it, `dropped` (with a reason) when it was given up.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// Why spans were given up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// The exporter's endpoint refused them for good (4xx other than 429).
    Rejected,
    /// Retries ran out (retryable errors every time).
    RetriesExhausted,
    /// The circuit breaker was open: the endpoint kept failing.
    CircuitOpen,
    /// The shutdown deadline passed with the export unfinished.
    ShutdownDeadline,
    /// The exporter failed in a way that is not retried (I/O, encoding).
    ExportFailed,
}

impl DropReason {
    /// The name used in reports.
    pub fn name(self) -> &'static str {
        match self {
            DropReason::Rejected => "rejected",
            DropReason::RetriesExhausted => "retries_exhausted",
            DropReason::CircuitOpen => "circuit_open",
            DropReason::ShutdownDeadline => "shutdown_deadline",
            DropReason::ExportFailed => "export_failed",
        }
    }
}

/// Counters of one pipeline.
#[derive(Debug, Default)]
pub struct Metrics {
    /// One counter per producer, each on its own cache line: producers on
    /// different threads never write the same line.
    submitted: [crossbeam_utils::CachePadded<AtomicU64>; crate::pipeline::MAX_WORKERS],
    consumed: AtomicU64,
    exported: AtomicU64,
    batches: AtomicU64,
    refused: AtomicU64,
    dropped: Mutex<BTreeMap<DropReason, u64>>,
}

/// A copy of the counters at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    /// Accepted into a ring.
    pub submitted: u64,
    /// Taken out of the rings by the consumer.
    pub consumed: u64,
    /// Confirmed by the exporter.
    pub exported: u64,
    /// Given up, by reason.
    pub dropped: BTreeMap<&'static str, u64>,
    /// Batches handed to the exporter.
    pub batches: u64,
    /// Submissions refused because the rings were full or closed (the span
    /// went back to the caller; not part of the identity).
    pub refused: u64,
}

impl Snapshot {
    /// Every span given up, all reasons together.
    pub fn dropped_total(&self) -> u64 {
        self.dropped.values().sum()
    }

    /// SC-CONS-1: `submitted == consumed == exported + dropped`.
    pub fn conserved(&self) -> bool {
        self.submitted == self.consumed && self.consumed == self.exported + self.dropped_total()
    }
}

impl Metrics {
    /// Spans accepted into producer `worker`'s ring.
    pub fn submitted(&self, worker: usize, n: u64) {
        let counter = &self.submitted[worker % self.submitted.len()];
        // Relaxed, and a load and store: only this producer writes it.
        counter.store(counter.load(Ordering::Relaxed) + n, Ordering::Relaxed);
    }
    /// Spans taken out by the consumer.
    pub fn consumed(&self, n: u64) {
        self.consumed.fetch_add(n, Ordering::Relaxed);
    }
    /// Spans the exporter confirmed.
    pub fn exported(&self, n: u64) {
        self.exported.fetch_add(n, Ordering::Relaxed);
    }
    /// A batch handed to the exporter.
    pub fn batch(&self) {
        self.batches.fetch_add(1, Ordering::Relaxed);
    }
    /// A submission refused (full or closed); the caller has the span back.
    pub fn refused(&self) {
        self.refused.fetch_add(1, Ordering::Relaxed);
    }
    /// Spans given up, with the reason.
    pub fn dropped(&self, reason: DropReason, n: u64) {
        if n > 0 {
            *self
                .dropped
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(reason)
                .or_default() += n;
        }
    }

    /// The counters now.
    pub fn snapshot(&self) -> Snapshot {
        let dropped = self.dropped.lock().unwrap_or_else(|e| e.into_inner());
        Snapshot {
            submitted: self.submitted.iter().map(|c| c.load(Ordering::Relaxed)).sum(),
            consumed: self.consumed.load(Ordering::Relaxed),
            exported: self.exported.load(Ordering::Relaxed),
            dropped: dropped.iter().map(|(r, n)| (r.name(), *n)).collect(),
            batches: self.batches.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
        }
    }
}
