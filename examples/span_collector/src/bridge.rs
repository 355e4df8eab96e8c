//! The consumer task: waits with `ready_async` (never a timer poll, never
//! a spin), drains a bounded number of spans per wake-up into the batcher,
//! and hands full batches to a bounded set of concurrent exports. When all
//! export slots are busy it waits for one — the rings then fill and the
//! producers wait: back-pressure, not loss (SC-BP-1). It keeps draining
//! while exports are in flight.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Semaphore;
use tokio::task::JoinSet;

use crate::batcher::{Batch, Batcher};
use crate::exporter::Exporter;
use crate::metrics::{DropReason, Metrics};
use crate::pipeline::{Control, SpanPipelineConsumer, SpanPipelineHandler};
use crate::span::Span;

/// How the consumer task batches and exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BridgeSettings {
    /// Spans per batch, exactly (the last one may be smaller).
    pub batch_size: usize,
    /// Longest a span waits in a partial batch.
    pub flush_interval: Duration,
    /// Spans taken out of the rings per wake-up, at most.
    pub drain_limit: usize,
    /// Exports in flight at once.
    pub max_concurrent_exports: usize,
    /// How long shutdown waits for exports in flight.
    pub shutdown_deadline: Duration,
}

impl Default for BridgeSettings {
    fn default() -> Self {
        BridgeSettings {
            batch_size: 512,
            flush_interval: Duration::from_millis(200),
            drain_limit: 4096,
            max_concurrent_exports: 4,
            shutdown_deadline: Duration::from_secs(10),
        }
    }
}

/// Receives the pipeline's messages during one drain.
struct Drain<'a> {
    batcher: &'a mut Batcher,
    full: Vec<Batch>,
    spans: u64,
    flush: bool,
    shutdown: bool,
}

impl SpanPipelineHandler for Drain<'_> {
    fn workers(&mut self, _index: usize, span: Span) {
        self.spans += 1;
        if let Some(batch) = self.batcher.push(span) {
            self.full.push(batch);
        }
    }

    fn internal(&mut self, msg: Control) {
        match msg {
            Control::Flush => self.flush = true,
            Control::Shutdown => self.shutdown = true,
        }
    }
}

/// The running exports and what they hold.
struct Exports {
    exporter: Arc<dyn Exporter>,
    metrics: Arc<Metrics>,
    slots: Arc<Semaphore>,
    running: JoinSet<()>,
}

impl Exports {
    /// Starts exporting `batch`, first waiting for a free slot.
    async fn start(&mut self, batch: Batch) {
        if batch.is_empty() {
            return;
        }
        // Waiting here stops the draining: the rings fill, producers wait.
        let permit = Arc::clone(&self.slots)
            .acquire_owned()
            .await
            .expect("never closed");
        let (exporter, metrics) = (Arc::clone(&self.exporter), Arc::clone(&self.metrics));
        metrics.batch();
        self.running.spawn(async move {
            let n = batch.len() as u64;
            match exporter.export(&batch).await {
                Ok(()) => metrics.exported(n),
                Err(e) => {
                    eprintln!("span-collector: dropping {n} spans: {e}");
                    metrics.dropped(e.reason, n);
                }
            }
            drop(permit);
            // The spans are dropped here, once (SC-OWN-2).
            drop(batch);
        });
        // Reap finished exports so the set does not grow.
        while self.running.try_join_next().is_some() {}
    }

    /// Waits for every export, at most `deadline`; what is still running
    /// then is aborted and its spans counted as dropped.
    async fn finish(&mut self, deadline: Duration, in_flight: impl Fn() -> u64) {
        let all = async { while self.running.join_next().await.is_some() {} };
        if tokio::time::timeout(deadline, all).await.is_err() {
            self.running.abort_all();
            while self.running.join_next().await.is_some() {}
            // Counted after the abort: an export that finished meanwhile
            // counted itself.
            self.metrics.dropped(DropReason::ShutdownDeadline, in_flight());
        }
    }
}

/// Runs the consumer until the pipeline is shut down (a `Shutdown`
/// control message) or disconnected (every producer dropped), then drains
/// every ring, flushes the partial batch, finishes the exports within the
/// deadline and shuts the exporter down (SC-SHUT-1).
pub async fn run(
    mut consumer: SpanPipelineConsumer,
    exporter: Arc<dyn Exporter>,
    metrics: Arc<Metrics>,
    settings: BridgeSettings,
) {
    let mut batcher = Batcher::new(settings.batch_size, settings.flush_interval);
    let mut exports = Exports {
        exporter: Arc::clone(&exporter),
        metrics: Arc::clone(&metrics),
        slots: Arc::new(Semaphore::new(settings.max_concurrent_exports.max(1))),
        running: JoinSet::new(),
    };
    loop {
        let deadline = batcher.deadline();
        let woke = tokio::select! {
            ready = consumer.ready_async() => Some(ready),
            () = sleep_until(deadline) => None,
        };
        let disconnected = match woke {
            // The partial batch is old enough.
            None => {
                exports.start(batcher.take()).await;
                continue;
            }
            Some(ready) => ready.is_err(),
        };
        let mut drain = Drain {
            batcher: &mut batcher,
            full: Vec::new(),
            spans: 0,
            flush: false,
            shutdown: false,
        };
        consumer.consume_all_up_to(settings.drain_limit, &mut drain);
        let Drain {
            full,
            spans,
            flush,
            shutdown,
            ..
        } = drain;
        metrics.consumed(spans);
        for batch in full {
            exports.start(batch).await;
        }
        if flush {
            exports.start(batcher.take()).await;
        }
        if shutdown || disconnected {
            break;
        }
    }
    // SC-SHUT-1: no span is accepted any more; what was committed before
    // the close is still in the rings and is drained now.
    consumer.close();
    loop {
        let mut drain = Drain {
            batcher: &mut batcher,
            full: Vec::new(),
            spans: 0,
            flush: false,
            shutdown: false,
        };
        let n = consumer.consume_all(&mut drain);
        metrics.consumed(drain.spans);
        for batch in std::mem::take(&mut drain.full) {
            exports.start(batch).await;
        }
        if n == 0 {
            break;
        }
    }
    exports.start(batcher.take()).await;
    let m = Arc::clone(&metrics);
    exports
        .finish(settings.shutdown_deadline, move || {
            let s = m.snapshot();
            s.consumed - s.exported - s.dropped_total()
        })
        .await;
    if let Err(e) = exporter.shutdown().await {
        eprintln!("span-collector: exporter shutdown: {e}");
    }
}

async fn sleep_until(deadline: Option<std::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d.into()).await,
        None => std::future::pending().await,
    }
}
