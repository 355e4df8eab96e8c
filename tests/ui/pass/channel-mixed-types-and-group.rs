#![deny(missing_docs, missing_debug_implementations)]
//! A channel with two message types and a producer group, in a crate that
//! denies missing docs and Debug impls.

/// A span.
#[ringmpsc::ring_message]
#[derive(Debug)]
pub struct Span {
    /// Its trace.
    pub trace_id: u128,
}

/// An event.
#[ringmpsc::ring_message]
#[derive(Debug)]
pub enum Event {
    /// Started.
    Started,
}

ringmpsc::channel! {
    /// The pipeline.
    pub Pipeline(capacity = 64, metrics = true) {
        /// HTTP spans.
        http: Span,
        grpc: Span,
        workers: [Span; 3],
        internal: Event,
    }
}

struct Count(usize);

impl PipelineHandler for Count {
    fn http(&mut self, _: Span) {
        self.0 += 1;
    }
    fn grpc(&mut self, _: Span) {
        self.0 += 1;
    }
    fn workers(&mut self, index: usize, _: Span) {
        assert!(index < 3);
        self.0 += 1;
    }
    fn internal(&mut self, _: Event) {
        self.0 += 1;
    }
}

fn main() {
    assert_eq!(Pipeline::CAPACITY, 64);
    assert_eq!(Pipeline::PRODUCERS, 6);
    let (producers, mut consumer) = Pipeline::channel();
    producers.http.push(Span { trace_id: 1 }).unwrap();
    producers.workers[1].push(Span { trace_id: 2 }).unwrap();
    producers.internal.push(Event::Started).unwrap();
    let mut count = Count(0);
    assert_eq!(consumer.consume_all(&mut count), 3);
    assert!(consumer.is_empty());
    println!("{producers:?} {consumer:?}");
}
