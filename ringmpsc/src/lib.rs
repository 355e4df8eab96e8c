//! # ringmpsc
//!
//! A lock-free multi-producer single-consumer channel built on **ring
//! decomposition**: every producer owns a dedicated SPSC ring, so producers
//! never contend with each other, and the single consumer drains each ring
//! in batches with one atomic store per batch (the Disruptor pattern).
//! Order is FIFO per producer; there is no order across producers.
//!
//! - [`Channel`] / [`Producer`]: the MPSC channel. [`InlineChannel`] keeps
//!   every ring in one up-front block (feature `stack-ring`).
//! - [`Ring`] / [`StackRing`]: the SPSC ring on its own; [`StaticRing`] lives
//!   in a `static` (feature `stack-ring`).
//! - [`Reservation`]: zero-copy writes straight into a ring.
//! - [`Config`] and [`WaitStrategy`]: sizing and blocking behaviour.
//! - Waiting without a thread: [`Channel::ready_async`],
//!   [`Channel::recv_async`], [`Producer::send_async`], and `Channel` is a
//!   `futures_core::Stream`; generated consumers have `ready`,
//!   `ready_timeout` and `ready_async` too. Executor-agnostic: no runtime
//!   dependency.
//!
//! ```
//! use ringmpsc::{Channel, Config};
//!
//! let mut channel = Channel::new(Config::new(12, 8, false))?;
//! let producer = channel.register()?;
//! let worker = std::thread::spawn(move || {
//!     for i in 0..10_000u64 {
//!         producer.send(i).unwrap();
//!     }
//! });
//! let mut sum = 0;
//! // `recv` blocks; it reports a disconnect once the producer is gone and
//! // everything it sent was received.
//! while let Ok(v) = channel.recv() {
//!     sum += v;
//! }
//! worker.join().unwrap();
//! assert_eq!(sum, 10_000 * 9_999 / 2);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Soundness: no safe call can cause undefined behaviour. Each `unsafe`
//! block names the invariant of `specs/ring-buffer-invariants.md` it relies
//! on; the ring and channel are model-checked with loom (`cfg(loom)`) and
//! their unsafe paths run under miri.
//!
//! ## Source layout
//!
//! One module per concept; dependencies point down this list, never up, and
//! there are no import cycles:
//!
//! - `channel/`: the MPSC channel — `registry` (shared state, ring
//!   allocation and recycling, close, disconnect), `producer` ([`Producer`],
//!   [`Registrar`], [`SendFuture`]), `ready` ([`ReadyFuture`]), `consumer`
//!   ([`Channel`], [`RecvFuture`]), `inline` ([`InlineChannel`]),
//!   `fixed` (the runtime behind [`channel!`](macro@crate::channel)). Waking the
//!   other side belongs to this layer.
//! - `wait`: [`WaitStrategy`] and the one wake protocol for parked threads
//!   and task wakers.
//! - `ring/`: the SPSC ring — `core` (the algorithm and `RawRing`; with
//!   `reservation`, the only code that touches slots), `storage`,
//!   `reservation` ([`Reservation`]), `split` ([`RingProducer`],
//!   [`RingConsumer`]), `buffer` ([`RingBuffer`], [`Ring`], [`StackRing`]),
//!   `static_ring` ([`StaticRing`]). It knows nothing of channels.
//! - `config`, `error`, `metrics`, `message`: plain types.
//! - `sync`: the std/loom shim every atomic, lock and slot cell comes from,
//!   so loom model-checks the real code.

#![cfg_attr(docsrs, feature(doc_cfg))]
// Links to the feature-gated items: to them with the feature (as on
// docs.rs), to the types they are built on without it.
#![cfg_attr(
    feature = "stack-ring",
    doc = "<!-- links -->\n\n[`StackRing`]: crate::StackRing\n[`StaticRing`]: crate::StaticRing\n[`InlineChannel`]: crate::InlineChannel"
)]
#![cfg_attr(
    not(feature = "stack-ring"),
    doc = "<!-- links -->\n\n[`StackRing`]: crate::RingBuffer\n[`StaticRing`]: crate::RingBuffer\n[`InlineChannel`]: crate::Channel"
)]

mod channel;
mod config;
mod error;
mod message;
mod metrics;
mod ring;
mod sync;
mod wait;

#[cfg(all(test, loom))]
mod loom_tests;

/// The README's examples, compiled and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

pub use channel::{Burst, Channel, Producer, ReadyFuture, RecvFuture, Registrar, SendFuture};
#[cfg(feature = "stack-ring")]
pub use channel::{InlineChannel, StackChannel};
pub use config::{
    Config, HIGH_THROUGHPUT_CONFIG, LOW_LATENCY_CONFIG, MAX_PRODUCERS, MAX_RING_BITS, MIN_PRODUCERS,
    MIN_RING_BITS,
};
pub use error::{
    ConfigError, PushError, RecvError, RecvTimeoutError, RegisterError, SendError, TryRecvError,
};
pub use message::RingMessage;
pub use metrics::MetricsSnapshot;
pub use ring::{
    HeapStorage, InlineStorage, Reservation, Ring, RingBuffer, RingConsumer, RingProducer, Storage,
};
#[cfg(feature = "stack-ring")]
pub use ring::{StackRing, StaticRing};
pub use wait::WaitStrategy;

/// Checks a message type for a ring slot and auto-boxes its variable-size
/// fields (feature `macros`).
///
/// On a struct (named or tuple fields) or an enum, it implements
/// [`RingMessage`] and checks at compile time that the type's size and
/// alignment fit the limits: `#[ring_message(max_size = 128, max_align =
/// 128)]` (the defaults). Fields of type `HashMap`, `BTreeMap`, `HashSet`,
/// `BTreeSet`, `VecDeque` or `LinkedList` (any path form) are rewritten to
/// `Box<..>` so the slot stays small; `#[ring(boxed)]` boxes any field,
/// `#[ring(inline)]` keeps one inline. Build a boxed field with
/// `value.into()`; read it through deref. Other attributes and derives keep
/// working on the rewritten type. The type must be `Send + 'static`, and
/// not generic.
///
/// ```
/// use std::collections::HashMap;
///
/// #[ringmpsc::ring_message]
/// #[derive(Debug, Clone, Default)]
/// pub struct Span {
///     pub trace_id: u128,
///     pub span_id: u64,
///     pub name: String,
///     pub attributes: HashMap<String, String>, // stored as Box<HashMap<..>>
///     #[ring(inline)]
///     pub tags: std::collections::BTreeSet<u8>, // kept inline on purpose
/// }
///
/// let mut attributes = HashMap::new();
/// attributes.insert("http.method".to_owned(), "GET".to_owned());
/// let span = Span { attributes: attributes.into(), ..Default::default() };
/// assert_eq!(span.attributes["http.method"], "GET");
/// assert_eq!(<Span as ringmpsc::RingMessage>::BOXED_FIELDS, ["attributes"]);
/// ```
///
/// A type over the limit does not compile; the error names the type, its
/// size, the limit and its largest fields, the ones to box:
///
/// ```compile_fail
/// #[ringmpsc::ring_message(max_size = 16)]
/// struct Quote { bid: u64, ask: u64, size: u64 } // 24 bytes
/// ```
///
/// # `#[cfg]` on fields
///
/// A field that `#[cfg]` removes is not listed in `BOXED_FIELDS` (nor in
/// the size error). A field's storage cannot depend on `cfg`: write
/// `#[ring(boxed)]` directly, not under `cfg_attr` (that is an error).
///
/// # Derives and serde
///
/// Put `#[ring_message]` **above** `#[derive(..)]`: derives written below
/// it see the rewritten fields (`Box<HashMap<..>>`), as the compiler does.
/// A derive written above it sees the fields as declared, and one that
/// generates code from field types (serde's `Deserialize`, for instance)
/// then fails with "expected `Box<HashMap<..>>`, found `HashMap<..>`".
/// serde (de)serializes a `Box<T>` as a `T`, so the wire format does not
/// change:
///
/// ```
/// use std::collections::HashMap;
/// # use serde_json as _;
///
/// #[ringmpsc::ring_message]
/// #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
/// struct Span {
///     name: String,
///     attributes: HashMap<String, String>, // a Box<HashMap<..>> to serde too
/// }
///
/// let span = Span { name: "get".into(), attributes: HashMap::new().into() };
/// let json = serde_json::to_string(&span).unwrap();
/// assert_eq!(json, r#"{"name":"get","attributes":{}}"#);
/// assert_eq!(serde_json::from_str::<Span>(&json).unwrap(), span);
/// ```
///
/// `#[serde(with = "module")]` (or `serialize_with`/`deserialize_with`) on
/// an auto-boxed field is handed the `Box`: write the functions for
/// `Box<T>`.
///
/// ```
/// use std::collections::{BTreeMap, HashMap};
/// # use serde_json as _;
///
/// mod sorted {
///     use std::collections::{BTreeMap, HashMap};
///     use serde::{Deserialize, Deserializer, Serialize, Serializer};
///
///     // `&Box<HashMap<..>>`: the field as `#[ring_message]` stores it.
///     #[allow(clippy::box_collection)]
///     pub fn serialize<S: Serializer>(map: &Box<HashMap<String, u32>>, s: S) -> Result<S::Ok, S::Error> {
///         map.iter().collect::<BTreeMap<_, _>>().serialize(s)
///     }
///
///     #[allow(clippy::box_collection)]
///     pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Box<HashMap<String, u32>>, D::Error> {
///         HashMap::deserialize(d).map(Box::new)
///     }
/// }
///
/// #[ringmpsc::ring_message]
/// #[derive(serde::Serialize, serde::Deserialize)]
/// struct Counts {
///     #[serde(with = "sorted")]
///     counts: HashMap<String, u32>,
/// }
///
/// let counts = Counts { counts: HashMap::from([("b".into(), 2), ("a".into(), 1)]).into() };
/// assert_eq!(serde_json::to_string(&counts).unwrap(), r#"{"counts":{"a":1,"b":2}}"#);
/// ```
#[cfg(feature = "macros")]
pub use ringmpsc_macros::ring_message;

/// Implements [`RingMessage`] with the same compile-time checks as
/// [`ring_message`], without rewriting fields (feature `macros`). Limits go
/// in a helper attribute: `#[ring_message(max_size = 64)]`.
///
/// ```
/// #[derive(ringmpsc::RingMessage)]
/// #[ring_message(max_size = 32)]
/// enum Order {
///     New { id: u64, price: u64, qty: u32 },
///     Cancel(u64),
/// }
///
/// assert!(<Order as ringmpsc::RingMessage>::SIZE <= 32);
/// ```
#[cfg(feature = "macros")]
pub use ringmpsc_macros::RingMessage;

/// Declares a statically sized channel with named, typed producers
/// (feature `macros`).
///
/// ```
/// #[ringmpsc::ring_message]
/// #[derive(Debug)]
/// pub struct Span { pub trace_id: u128, pub duration_ns: u64 }
///
/// #[ringmpsc::ring_message]
/// #[derive(Debug)]
/// pub enum Event { Started, Stopped { code: i32 } }
///
/// ringmpsc::channel! {
///     /// Spans from two ingest paths and four workers, plus internal events.
///     pub SpanPipeline(capacity = 1024) {
///         /// Spans received over HTTP.
///         http: Span,
///         grpc: Span,
///         workers: [Span; 4],
///         internal: Event,
///     }
/// }
///
/// #[derive(Default)]
/// struct Collect { spans: u64, worker_spans: [u64; 4], events: u64 }
///
/// impl SpanPipelineHandler for Collect {
///     fn http(&mut self, _msg: Span) { self.spans += 1; }
///     fn grpc(&mut self, _msg: Span) { self.spans += 1; }
///     fn workers(&mut self, index: usize, _msg: Span) { self.worker_spans[index] += 1; }
///     fn internal(&mut self, _msg: Event) { self.events += 1; }
/// }
///
/// let (producers, mut consumer) = SpanPipeline::channel();
/// producers.http.push(Span { trace_id: 1, duration_ns: 10 }).unwrap();
/// producers.workers[2].push(Span { trace_id: 2, duration_ns: 20 }).unwrap();
/// let internal = producers.internal;
/// std::thread::spawn(move || internal.send(Event::Stopped { code: 0 }).unwrap())
///     .join()
///     .unwrap();
///
/// let mut handler = Collect::default();
/// assert_eq!(consumer.consume_all(&mut handler), 3);
/// assert_eq!((handler.spans, handler.worker_spans[2], handler.events), (1, 1, 1));
/// ```
///
/// It generates, for `Name`: the type `Name` with `Name::channel() ->
/// (NameProducers, NameConsumer)` (one allocation for every ring, `'static`
/// handles) and the constants `CAPACITY` and `PRODUCERS`;
/// `NameProducers`, with one public [`Producer`] field per producer (an
/// array for a group); the trait `NameHandler`, with one method per
/// producer taking the message by value (`index` first for a group); and
/// `NameConsumer` with `consume_all(&mut handler)`,
/// `consume_all_up_to(limit, &mut handler)` (fair across producers),
/// `ready`, `ready_timeout` and `ready_async` (wait until something is
/// queued; the error once every producer is dropped and the rings are
/// drained), `metrics()` (a [`MetricsSnapshot`] summed over the rings) and
/// `producer_metrics()` (a `NameMetrics` with one field per producer),
/// `len`, `is_empty`, `close` and `is_closed`.
///
/// Options: `capacity = N` (required, a power of two in `2..=1048576`) and
/// `metrics = bool` (counters for `metrics()`; off by default, as they cost
/// time on every push). The capacity and a group's size take any const
/// expression, checked at compile time like a literal. Message types are
/// [`RingMessage`]s: your own types, declared with
/// [`ring_message`](macro@ring_message), or common std types such as `u64`,
/// `String`, `Box<T>`, `Vec<T>` and `Arc<T>`.
///
/// An entry's `#[cfg(..)]` removes it when false (no field, no handler
/// method, not counted); its other attributes (docs, `#[deprecated]`,
/// `#[allow]`) go to its field and its handler method.
///
/// ```
/// use std::sync::Arc;
///
/// const WORKERS: usize = 3;
///
/// ringmpsc::channel! {
///     Logs(capacity = 1 << 10, metrics = true) {
///         lines: String,
///         blobs: Box<[u8]>,
///         workers: [Arc<str>; WORKERS],
///         #[cfg(feature = "never-enabled")]
///         debug: String,
///     }
/// }
///
/// struct Print;
/// impl LogsHandler for Print {
///     fn lines(&mut self, msg: String) { assert_eq!(msg, "started"); }
///     fn blobs(&mut self, msg: Box<[u8]>) { assert_eq!(&*msg, &[1, 2]); }
///     fn workers(&mut self, index: usize, msg: Arc<str>) { assert_eq!((index, &*msg), (2, "w")); }
/// }
///
/// assert_eq!((Logs::CAPACITY, Logs::PRODUCERS), (1024, 5));
/// let (producers, mut consumer) = Logs::channel();
/// producers.lines.push("started".to_owned()).unwrap();
/// producers.blobs.push(vec![1, 2].into_boxed_slice()).unwrap();
/// producers.workers[2].push(Arc::from("w")).unwrap();
/// assert_eq!(consumer.consume_all(&mut Print), 3);
/// assert_eq!(consumer.metrics().messages_received, 3);
/// assert_eq!(consumer.producer_metrics().workers[2].messages_sent, 1);
/// ```
///
/// Errors at compile time, each pointing at the offending token and each
/// the only error of its mistake (code using the channel still compiles):
/// a capacity that is not a power of two (with the nearest ones) or out of
/// range, no or duplicate producer names, a group of size 0 or written
/// `Type[N]`, more than 128 producers, a message type that is not a
/// [`RingMessage`].
#[cfg(feature = "macros")]
pub use ringmpsc_macros::channel;

/// Support for the code that the macros generate. Not a public API: it
/// may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::channel::fixed::{
        fixed_channel, Build, BuildRings, ConsumerSet, FixedConsumer, FixedControl, FixedHost, FixedRing,
        Handles, Headers, NotRingMessages, RingSet, RingShape,
    };
    pub use crate::message::{
        capacity_error, count_present, group_size_error, keep_present, layout_error, rings_error,
        usable_capacity, usable_group_size, ConstMessage, FieldSize,
    };
    pub use crate::ring::core::second_pass_from;
}
