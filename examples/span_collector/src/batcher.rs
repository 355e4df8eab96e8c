//! Groups spans by trace into batches of at most `max_spans`, flushed when
//! full (exactly `max_spans`, SC-BATCH-1) or when the oldest span in it is
//! `max_age` old (SC-BATCH-2). O(1) work per span: one hash lookup and one
//! push; the flat batch is assembled once per flush.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::span::{Span, TraceId};

/// Spans to export together, grouped by trace (each trace's spans
/// contiguous, traces in order of first arrival).
#[derive(Debug, Default)]
pub struct Batch {
    /// The spans.
    pub spans: Vec<Span>,
}

impl Batch {
    /// Spans in the batch.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// `true` when empty.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }
}

/// The batch being filled.
#[derive(Debug)]
pub struct Batcher {
    max_spans: usize,
    max_age: Duration,
    /// Index of each trace's group in `groups`.
    traces: HashMap<TraceId, usize>,
    groups: Vec<Vec<Span>>,
    len: usize,
    /// When the first span of the current batch arrived.
    oldest: Option<Instant>,
}

impl Batcher {
    /// A batcher flushing at `max_spans` spans (at least 1) or `max_age`.
    pub fn new(max_spans: usize, max_age: Duration) -> Self {
        Batcher {
            max_spans: max_spans.max(1),
            max_age,
            traces: HashMap::new(),
            groups: Vec::new(),
            len: 0,
            oldest: None,
        }
    }

    /// Adds a span; returns the batch if this span filled it.
    pub fn push(&mut self, span: Span) -> Option<Batch> {
        if self.len == 0 {
            self.oldest = Some(Instant::now());
        }
        match self.traces.get(&span.trace_id) {
            Some(&i) => self.groups[i].push(span),
            None => {
                self.traces.insert(span.trace_id, self.groups.len());
                self.groups.push(vec![span]);
            }
        }
        self.len += 1;
        (self.len >= self.max_spans).then(|| self.take())
    }

    /// Spans waiting in the current batch.
    pub fn len(&self) -> usize {
        self.len
    }

    /// `true` when no span waits.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// When the current batch must be flushed by age; `None` when empty.
    pub fn deadline(&self) -> Option<Instant> {
        self.oldest.map(|t| t + self.max_age)
    }

    /// The current batch, however full; the batcher starts over.
    pub fn take(&mut self) -> Batch {
        let mut spans = Vec::with_capacity(self.len);
        for group in self.groups.drain(..) {
            spans.extend(group);
        }
        self.traces.clear();
        self.len = 0;
        self.oldest = None;
        Batch { spans }
    }
}
