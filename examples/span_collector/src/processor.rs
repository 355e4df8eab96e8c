//! [`RingSpanProcessor`]: an `opentelemetry_sdk` span processor on the ring
//! runtime, in place of the SDK's `BatchSpanProcessor`.
//!
//! `on_end` pushes into the calling thread's own producer — registered on
//! first use, its ring recycled when the thread exits — and never blocks:
//! a span it cannot queue is a counted drop (SC-PROC-1). Producers pay
//! nothing to wake the worker (the channel runs `BusySpin`, whose producers
//! never check for a sleeper); instead each thread unparks the worker once
//! per half batch it queued — a high-water mark — and the worker otherwise
//! sleeps until its scheduled delay. The worker batches and calls the
//! exporter.
//! `force_flush` and `shutdown` go through the same rings as the spans, so
//! everything queued before them is exported before they return; they wait
//! for a plain thread, not for an async task, so they cannot deadlock a
//! tokio current-thread runtime (SC-PROC-2).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};
use opentelemetry_sdk::Resource;
use ringmpsc::{Channel, Config, Producer, Registrar};

/// What crosses the rings: spans, and the control messages that must come
/// after every span queued before them. A span is boxed once its slot is
/// reserved, so a slot is 16 bytes and a full ring allocates nothing.
enum Msg {
    Span(Box<SpanData>),
    Flush(Arc<Ack>),
    Shutdown(Arc<Ack>),
}

/// A one-shot answer to `force_flush`/`shutdown`.
#[derive(Default)]
struct Ack {
    done: Mutex<Option<OTelSdkResult>>,
    cv: Condvar,
}

impl Ack {
    fn answer(&self, result: OTelSdkResult) {
        *self.done.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
        self.cv.notify_all();
    }

    fn wait(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        let mut done = self.done.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(result) = done.take() {
                return result;
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(OTelSdkError::Timeout(timeout));
            }
            done = self
                .cv
                .wait_timeout(done, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Counters of a processor.
#[derive(Debug, Default)]
struct Counters {
    queued: AtomicU64,
    exported: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicU64,
}

/// A processor's counts, for tests and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessorStats {
    /// Spans queued by `on_end`.
    pub queued: u64,
    /// Spans the exporter accepted.
    pub exported: u64,
    /// Spans `on_end` could not queue (ring full, no ring free, shut down).
    pub dropped: u64,
    /// Spans in batches the exporter failed.
    pub failed: u64,
}

/// Each thread's producers, one per processor it has ended spans on.
/// Dropped when the thread exits, which hands the rings back.
struct ThreadProducers(RefCell<HashMap<u64, ThreadProducer>>);

/// This thread's producer for one processor, and how many spans it queued
/// since it last woke the worker.
struct ThreadProducer {
    producer: Producer<Msg>,
    since_wake: usize,
}

thread_local! {
    static PRODUCERS: ThreadProducers = ThreadProducers(RefCell::new(HashMap::new()));
}

static NEXT_PROCESSOR: AtomicU64 = AtomicU64::new(0);

/// The span processor. Build it with [`RingSpanProcessor::new`] or
/// [`RingSpanProcessor::builder`].
///
/// ```
/// use opentelemetry::trace::{Tracer, TracerProvider};
/// use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
/// use span_collector::RingSpanProcessor;
///
/// let exporter = InMemorySpanExporter::default();
/// let provider = SdkTracerProvider::builder()
///     .with_span_processor(RingSpanProcessor::new(exporter.clone()))
///     .build();
/// let tracer = provider.tracer("example");
/// tracer.in_span("work", |_cx| {});
/// provider.force_flush().unwrap();
/// assert_eq!(exporter.get_finished_spans().unwrap().len(), 1);
/// ```
pub struct RingSpanProcessor {
    id: u64,
    /// The worker, to unpark at the high-water mark and for control messages.
    worker_thread: std::thread::Thread,
    /// Spans a thread queues before it wakes the worker.
    high_water: usize,
    registrar: Registrar<Msg>,
    counters: Arc<Counters>,
    resource: Arc<Mutex<Option<Resource>>>,
    worker: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// Options of a [`RingSpanProcessor`].
#[derive(Debug, Clone, Copy)]
pub struct RingSpanProcessorBuilder<E> {
    exporter: E,
    ring_bits: u8,
    max_threads: usize,
    max_batch: usize,
    interval: Duration,
}

impl<E: SpanExporter + 'static> RingSpanProcessorBuilder<E> {
    /// Slots per thread's ring: `2^bits` (default 14, 16384 spans of 16
    /// bytes each).
    pub fn with_ring_bits(mut self, bits: u8) -> Self {
        self.ring_bits = bits;
        self
    }

    /// Threads that can hold a ring at once (default and most: 128). A
    /// thread's ring is recycled when it exits.
    pub fn with_max_threads(mut self, threads: usize) -> Self {
        self.max_threads = threads;
        self
    }

    /// Spans per export, at most (default 512).
    pub fn with_max_export_batch_size(mut self, spans: usize) -> Self {
        self.max_batch = spans.max(1);
        self
    }

    /// Longest a span waits before export (default 1 s).
    pub fn with_scheduled_delay(mut self, delay: Duration) -> Self {
        self.interval = delay;
        self
    }

    /// Starts the worker thread.
    ///
    /// # Panics
    /// If the ring size or thread count is out of the runtime's range.
    pub fn build(self) -> RingSpanProcessor {
        // BusySpin: producers never check for a sleeping consumer; the
        // worker parks on its own and is unparked explicitly.
        let config = Config::default()
            .with_ring_bits(self.ring_bits)
            .with_max_producers(self.max_threads)
            .with_wait_strategy(ringmpsc::WaitStrategy::BusySpin);
        let channel = Channel::new(config).expect("ring_bits 1..=20 and max_threads 1..=128");
        let registrar = channel.registrar();
        let counters = Arc::new(Counters::default());
        let resource = Arc::new(Mutex::new(None));
        let worker = Worker {
            channel,
            exporter: self.exporter,
            counters: Arc::clone(&counters),
            resource: Arc::clone(&resource),
            max_batch: self.max_batch,
            interval: self.interval,
        };
        let handle = std::thread::Builder::new()
            .name("ring-span-processor".into())
            .spawn(move || worker.run())
            .expect("spawning the processor's worker thread");
        RingSpanProcessor {
            id: NEXT_PROCESSOR.fetch_add(1, Ordering::Relaxed),
            worker_thread: handle.thread().clone(),
            high_water: (self.max_batch / 2).max(1),
            registrar,
            counters,
            resource,
            worker: Mutex::new(Some(handle)),
        }
    }
}

impl RingSpanProcessor {
    /// A processor exporting to `exporter` with the default options.
    pub fn new<E: SpanExporter + 'static>(exporter: E) -> Self {
        Self::builder(exporter).build()
    }

    /// A builder for the options.
    pub fn builder<E: SpanExporter + 'static>(exporter: E) -> RingSpanProcessorBuilder<E> {
        RingSpanProcessorBuilder {
            exporter,
            ring_bits: 14,
            max_threads: ringmpsc::MAX_PRODUCERS,
            max_batch: 512,
            interval: Duration::from_secs(1),
        }
    }

    /// The counts so far.
    pub fn stats(&self) -> ProcessorStats {
        ProcessorStats {
            queued: self.counters.queued.load(Ordering::Relaxed),
            exported: self.counters.exported.load(Ordering::Relaxed),
            dropped: self.counters.dropped.load(Ordering::Relaxed),
            failed: self.counters.failed.load(Ordering::Relaxed),
        }
    }

    /// Pushes through this thread's producer, registering it on first use.
    /// `Err` gives the message back when it cannot be queued.
    /// Runs `f` with this thread's producer, registering it on first use;
    /// `None` when there is none to be had (no ring free, closed, or the
    /// thread is exiting).
    fn with_producer<R>(&self, f: impl FnOnce(&mut ThreadProducer) -> R) -> Option<R> {
        PRODUCERS
            .try_with(|producers| {
                let mut map = producers.0.borrow_mut();
                if map.get(&self.id).is_none_or(|p| p.producer.is_closed()) {
                    let producer = self.registrar.register().ok()?;
                    map.insert(
                        self.id,
                        ThreadProducer {
                            producer,
                            since_wake: 0,
                        },
                    );
                }
                map.get_mut(&self.id).map(f)
            })
            .ok()
            .flatten()
    }

    /// Queues a control message; `Err` gives it back when it cannot be.
    fn push(&self, msg: Msg) -> Result<(), Msg> {
        let mut slot = Some(msg);
        let pushed = self.with_producer(|p| {
            p.producer
                .push(slot.take().expect("taken once"))
                .map_err(|e| e.into_inner())
        });
        let pushed = pushed.unwrap_or_else(|| Err(slot.take().expect("not taken")));
        self.worker_thread.unpark();
        pushed
    }

    /// Queues a span: boxed only once its slot is reserved. `false` when
    /// the ring is full or there is no ring.
    fn push_span(&self, span: SpanData) -> bool {
        let mut span = Some(span);
        let (queued, wake) = self
            .with_producer(|p| {
                let queued = match p.producer.reserve(1) {
                    Some(r) => r.fill_with(|_| Msg::Span(Box::new(span.take().expect("one slot")))) == 1,
                    None => false,
                };
                p.since_wake += 1;
                // The high-water mark, or a full ring: wake the worker.
                let wake = p.since_wake >= self.high_water || !queued;
                if wake {
                    p.since_wake = 0;
                }
                (queued, wake)
            })
            .unwrap_or((false, false));
        if wake {
            self.worker_thread.unpark();
        }
        queued
    }

    /// Sends a control message that every span queued before it precedes,
    /// retrying while this thread's ring is full, and waits for the answer.
    fn control(&self, make: fn(Arc<Ack>) -> Msg, timeout: Duration) -> OTelSdkResult {
        let ack = Arc::new(Ack::default());
        let deadline = Instant::now() + timeout;
        let mut msg = make(Arc::clone(&ack));
        loop {
            match self.push(msg) {
                Ok(()) => break,
                Err(back) => {
                    if Instant::now() >= deadline {
                        return Err(OTelSdkError::Timeout(timeout));
                    }
                    msg = back;
                    std::thread::sleep(Duration::from_micros(200));
                }
            }
        }
        ack.wait(deadline.saturating_duration_since(Instant::now()))
    }
}

impl Drop for RingSpanProcessor {
    /// Shuts down if nobody did: exports what is queued, stops the worker.
    fn drop(&mut self) {
        if self.worker.lock().unwrap_or_else(|e| e.into_inner()).is_some() {
            let _ = self.shutdown_with_timeout(Duration::from_secs(5));
        }
    }
}

impl fmt::Debug for RingSpanProcessor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RingSpanProcessor")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl SpanProcessor for RingSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        if self.push_span(span) {
            self.counters.queued.fetch_add(1, Ordering::Relaxed);
        } else {
            // SC-PROC-1: never blocks; a span that cannot be queued is counted.
            self.counters.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.control(Msg::Flush, Duration::from_secs(30))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let Some(worker) = self.worker.lock().unwrap_or_else(|e| e.into_inner()).take() else {
            return Err(OTelSdkError::AlreadyShutdown);
        };
        let result = self.control(Msg::Shutdown, timeout);
        if result.is_ok() {
            let _ = worker.join();
        }
        result
    }

    fn set_resource(&mut self, resource: &Resource) {
        *self.resource.lock().unwrap_or_else(|e| e.into_inner()) = Some(resource.clone());
    }
}

/// The worker thread's state.
struct Worker<E> {
    channel: Channel<Msg>,
    exporter: E,
    counters: Arc<Counters>,
    resource: Arc<Mutex<Option<Resource>>>,
    max_batch: usize,
    interval: Duration,
}

impl<E: SpanExporter> Worker<E> {
    fn run(mut self) {
        let mut batch: Vec<SpanData> = Vec::with_capacity(self.max_batch);
        let mut oldest: Option<Instant> = None;
        loop {
            let mut msgs = Vec::new();
            if self.channel.consume_all_owned(|m| msgs.push(m)) == 0 {
                // Unparked at a thread's high-water mark, by a control
                // message, or at the scheduled delay.
                let wait = oldest.map_or(self.interval, |t| self.interval.saturating_sub(t.elapsed()));
                std::thread::park_timeout(wait);
                self.channel.consume_all_owned(|m| msgs.push(m));
            }
            let mut acks = Vec::new();
            let mut stop = None;
            for msg in msgs {
                match msg {
                    Msg::Span(span) => {
                        oldest.get_or_insert_with(Instant::now);
                        batch.push(*span);
                        if batch.len() >= self.max_batch {
                            self.export(&mut batch);
                            oldest = None;
                        }
                    }
                    Msg::Flush(ack) => acks.push(ack),
                    Msg::Shutdown(ack) => stop = Some(ack),
                }
            }
            let aged = oldest.is_some_and(|t| t.elapsed() >= self.interval);
            if !acks.is_empty() || stop.is_some() || aged {
                // Flush and shutdown come after every span queued before
                // them in their own ring; spans of other threads queued
                // before the call are in their rings: take them too.
                let failed = self.counters.failed.load(Ordering::Relaxed);
                self.drain_all(&mut batch);
                self.export(&mut batch);
                oldest = None;
                let failed = self.counters.failed.load(Ordering::Relaxed) - failed;
                for ack in acks {
                    ack.answer(match failed {
                        0 => Ok(()),
                        n => Err(OTelSdkError::InternalFailure(format!(
                            "the exporter failed {n} spans"
                        ))),
                    });
                }
            }
            if let Some(ack) = stop {
                self.channel.close();
                self.drain_all(&mut batch);
                self.export(&mut batch);
                ack.answer(self.exporter.shutdown());
                return;
            }
        }
    }

    fn drain_all(&mut self, batch: &mut Vec<SpanData>) {
        let mut late = Vec::new();
        while self.channel.consume_all_owned(|m| late.push(m)) > 0 {}
        for msg in late {
            match msg {
                Msg::Span(span) => batch.push(*span),
                Msg::Flush(ack) => ack.answer(Ok(())),
                Msg::Shutdown(ack) => ack.answer(Ok(())),
            }
        }
    }

    fn export(&mut self, batch: &mut Vec<SpanData>) {
        // The provider hands the resource over after the worker started:
        // pass it on before the first export that follows.
        if let Some(resource) = self.resource.lock().unwrap_or_else(|e| e.into_inner()).take() {
            self.exporter.set_resource(&resource);
        }
        while !batch.is_empty() {
            let rest = batch.split_off(batch.len().min(self.max_batch));
            let chunk = std::mem::replace(batch, rest);
            let n = chunk.len() as u64;
            match block_on(self.exporter.export(chunk)) {
                Ok(()) => self.counters.exported.fetch_add(n, Ordering::Relaxed),
                Err(_) => self.counters.failed.fetch_add(n, Ordering::Relaxed),
            };
        }
    }
}

/// Runs a future on this thread: the worker is a plain thread, so an
/// exporter's future needs no runtime of ours.
fn block_on<F: Future>(future: F) -> F::Output {
    struct Unpark(std::thread::Thread);
    impl std::task::Wake for Unpark {
        fn wake(self: Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Arc::new(Unpark(std::thread::current())).into();
    let mut cx = std::task::Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        if let std::task::Poll::Ready(v) = future.as_mut().poll(&mut cx) {
            return v;
        }
        std::thread::park();
    }
}
