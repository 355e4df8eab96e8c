//! The ingest: one `channel!` with a group of worker producers (spans from
//! the application's threads or tasks) and an internal producer (control
//! messages from the collector itself).

use crate::span::Span;

/// Worker producers in the pipeline: the most `--producers` can ask for.
pub const MAX_WORKERS: usize = 16;

/// Slots in each producer's ring.
pub const RING_CAPACITY: usize = 512;

/// What the collector tells its own consumer, in order with nothing else.
#[ringmpsc::ring_message]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    /// Export the partial batch now.
    Flush,
    /// Stop: close the pipeline, drain every ring, flush, finish exports.
    Shutdown,
}

ringmpsc::channel! {
    /// Spans from up to 16 workers, plus the collector's control messages.
    pub SpanPipeline(capacity = 512) {
        /// One ring per worker thread or task.
        workers: [Span; 16],
        /// Control messages from the collector.
        internal: Control,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_match_the_declaration() {
        assert_eq!(SpanPipeline::CAPACITY, RING_CAPACITY);
        assert_eq!(SpanPipeline::PRODUCERS, MAX_WORKERS + 1);
    }
}
