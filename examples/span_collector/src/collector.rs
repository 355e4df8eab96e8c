//! The collector: starts the pipeline and its consumer task, hands out the
//! producers, and shuts everything down in order.

use std::sync::Arc;

use tokio::task::JoinHandle;

use crate::bridge::{self, BridgeSettings};
use crate::error::SubmitError;
use crate::exporter::Exporter;
use crate::metrics::{Metrics, Snapshot};
use crate::pipeline::{Control, SpanPipeline, MAX_WORKERS};
use crate::span::Span;

/// A worker's handle into the pipeline: its own ring (SC-OWN-1). `Send`;
/// one thread or task at a time.
#[derive(Debug)]
pub struct SpanProducer {
    ring: ringmpsc::Producer<Span>,
    /// This producer's worker number: its counter in the metrics.
    worker: usize,
    metrics: Arc<Metrics>,
}

impl SpanProducer {
    /// Counts the outcome of one submission: submitted, or refused with
    /// the span handed back.
    fn count(&self, outcome: Result<(), SubmitError>) -> Result<(), SubmitError> {
        match &outcome {
            Ok(()) => self.metrics.submitted(self.worker, 1),
            Err(_) => self.metrics.refused(),
        }
        outcome
    }

    /// Submits a span without waiting; the span comes back when the ring is
    /// full or the collector closed. Never allocates, never blocks.
    ///
    /// # Errors
    /// [`SubmitError::Full`] or [`SubmitError::Closed`], holding the span.
    pub fn submit_span(&self, span: Span) -> Result<(), SubmitError> {
        self.count(self.ring.push(span).map_err(|e| match e {
            ringmpsc::PushError::Full(s) => SubmitError::Full(s),
            ringmpsc::PushError::Closed(s) => SubmitError::Closed(s),
        }))
    }

    /// Submits a span, blocking the thread while the ring is full
    /// (back-pressure).
    ///
    /// # Errors
    /// [`SubmitError::Closed`] with the span once the collector closed.
    pub fn send_span(&self, span: Span) -> Result<(), SubmitError> {
        self.count(
            self.ring
                .send(span)
                .map_err(|e| SubmitError::Closed(e.into_inner())),
        )
    }

    /// Submits a span from an async task, waiting without blocking the
    /// thread while the ring is full. Cancel-safe: a dropped future has not
    /// submitted its span.
    ///
    /// # Errors
    /// [`SubmitError::Closed`] with the span once the collector closed.
    pub async fn submit_span_async(&mut self, span: Span) -> Result<(), SubmitError> {
        let outcome = self.ring.send_async(span).await;
        self.count(outcome.map_err(|e| SubmitError::Closed(e.into_inner())))
    }
}

/// A running collector: the consumer task and the internal producer.
#[derive(Debug)]
pub struct Collector {
    control: ringmpsc::Producer<Control>,
    task: JoinHandle<()>,
    metrics: Arc<Metrics>,
    destination: String,
}

impl Collector {
    /// Starts a collector on the current tokio runtime with `workers`
    /// producers (at most 16); the unused rings are released at once.
    ///
    /// # Panics
    /// Outside a tokio runtime.
    pub fn start(
        workers: usize,
        exporter: Arc<dyn Exporter>,
        settings: BridgeSettings,
    ) -> (Collector, Vec<SpanProducer>) {
        let (producers, consumer) = SpanPipeline::channel();
        let metrics = Arc::new(Metrics::default());
        let destination = exporter.destination();
        let task = tokio::spawn(bridge::run(consumer, exporter, Arc::clone(&metrics), settings));
        let spans = producers
            .workers
            .into_iter()
            .take(workers.clamp(1, MAX_WORKERS))
            .enumerate()
            .map(|(worker, ring)| SpanProducer {
                ring,
                worker,
                metrics: Arc::clone(&metrics),
            })
            .collect();
        let collector = Collector {
            control: producers.internal,
            task,
            metrics,
            destination,
        };
        (collector, spans)
    }

    /// The counters now.
    pub fn metrics(&self) -> Snapshot {
        self.metrics.snapshot()
    }

    /// The shared counters.
    pub fn metrics_handle(&self) -> Arc<Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Where the spans go.
    pub fn destination(&self) -> &str {
        &self.destination
    }

    /// Exports the partial batch now.
    pub fn flush(&self) {
        let _ = self.control.send(Control::Flush);
    }

    /// Stops intake, drains every ring, flushes, finishes the exports (up
    /// to the shutdown deadline) and returns the final counters. Producers
    /// still held elsewhere get `Closed` from now on.
    pub async fn shutdown(mut self) -> Snapshot {
        // The consumer closes the pipeline when it reads this; what any
        // ring holds by then is still drained and exported (SC-SHUT-1).
        let _ = self.control.send_async(Control::Shutdown).await;
        let _ = (&mut self.task).await;
        self.metrics.snapshot()
    }
}
