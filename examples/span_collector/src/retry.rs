//! Retrying an export: exponential back-off with jitter, the server's
//! `Retry-After`, a bounded number of attempts, and a circuit breaker so a
//! dead endpoint does not stall the pipeline (SC-RETRY-1..3).

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How often and how long to retry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Back-off before the second attempt.
    pub initial_backoff: Duration,
    /// Largest back-off (and largest `Retry-After` honoured).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// The wait before attempt `attempt + 1` (`attempt` from 1): the
    /// server's `Retry-After` if it gave one (capped), else exponential
    /// back-off with full jitter in `[backoff / 2, backoff]`.
    pub fn delay(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        if let Some(after) = retry_after {
            return after.min(self.max_backoff);
        }
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(16));
        let backoff = exp.min(self.max_backoff);
        let half = backoff / 2;
        half + half.mul_f64(fastrand::f64())
    }
}

/// Opens after `threshold` consecutive failed exports and stays open for
/// `cool_down`: exports fail at once meanwhile (counted, never silent).
/// Then one export is let through to probe the endpoint.
#[derive(Debug)]
pub struct CircuitBreaker {
    threshold: u32,
    cool_down: Duration,
    failures: AtomicU32,
    open_until: Mutex<Option<Instant>>,
}

impl CircuitBreaker {
    /// A closed breaker.
    pub fn new(threshold: u32, cool_down: Duration) -> Self {
        CircuitBreaker {
            threshold: threshold.max(1),
            cool_down,
            failures: AtomicU32::new(0),
            open_until: Mutex::new(None),
        }
    }

    /// `true` while exports should not be attempted.
    pub fn is_open(&self) -> bool {
        let mut open = self.open_until.lock().unwrap_or_else(|e| e.into_inner());
        match *open {
            Some(until) if Instant::now() < until => true,
            Some(_) => {
                // Half-open: let the next export probe the endpoint.
                *open = None;
                false
            }
            None => false,
        }
    }

    /// An export succeeded: close the breaker.
    pub fn success(&self) {
        // Relaxed: a count; the breaker's state is under its lock.
        self.failures.store(0, Ordering::Relaxed);
    }

    /// An export failed for good: open after `threshold` in a row.
    pub fn failure(&self) {
        // Relaxed: as above.
        if self.failures.fetch_add(1, Ordering::Relaxed) + 1 >= self.threshold {
            *self.open_until.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(Instant::now() + self.cool_down);
        }
    }
}

/// `Retry-After` as seconds or an HTTP date we cannot parse cheaply
/// (ignored then).
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SC-RETRY-1: back-off grows, stays jittered within bounds, honours
    /// and caps `Retry-After`.
    #[test]
    fn delays() {
        let p = RetryPolicy::default();
        for attempt in 1..10 {
            let d = p.delay(attempt, None);
            let full = p
                .initial_backoff
                .saturating_mul(1 << (attempt - 1))
                .min(p.max_backoff);
            assert!(d >= full / 2 && d <= full, "{attempt}: {d:?}");
        }
        assert_eq!(p.delay(1, Some(Duration::from_secs(1))), Duration::from_secs(1));
        assert_eq!(p.delay(1, Some(Duration::from_secs(60))), p.max_backoff);
        assert_eq!(parse_retry_after(" 2 "), Some(Duration::from_secs(2)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    /// SC-RETRY-3: the breaker opens after the threshold and closes on success.
    #[test]
    fn breaker() {
        let b = CircuitBreaker::new(2, Duration::from_secs(60));
        b.failure();
        assert!(!b.is_open());
        b.failure();
        assert!(b.is_open());
        let b = CircuitBreaker::new(1, Duration::ZERO);
        b.failure();
        assert!(!b.is_open(), "cool-down over: half-open");
        b.success();
        assert!(!b.is_open());
    }
}
