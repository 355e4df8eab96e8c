//! Consumer readiness: wait until something is queued, then drain in bulk
//! — for a thread ([`wait_ready`]) or an async task ([`ReadyFuture`]), on
//! a [`Channel`](crate::Channel) and on every `channel!` consumer, with the
//! one wake protocol of [`wait`](crate::wait) (WAIT-1, WAIT-3).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Instant;

use crate::error::{RecvError, RecvTimeoutError};
use crate::wait::{Notifier, Wake};

/// What a consumer waits on: a channel's shared state.
pub(crate) trait Readiness: Sync {
    /// A value is queued in some ring.
    fn has_data(&self) -> bool;
    /// Closed, or no producer (nor registrar) left (CH-DISC-1).
    fn no_more_senders(&self) -> bool;
    fn notifier(&self) -> &Notifier;
}

/// `Some(Ok)` when a value is queued, `Some(Err)` when none is and none can
/// come any more, `None` to keep waiting.
fn state(source: &dyn Readiness) -> Option<Result<(), RecvError>> {
    if source.has_data() {
        return Some(Ok(()));
    }
    // CH-DISC-1: the Acquire in `no_more_senders` makes the last
    // publishes visible, so look at the rings once more.
    if source.no_more_senders() {
        return Some(if source.has_data() { Ok(()) } else { Err(RecvError) });
    }
    None
}

/// Blocks the thread until a value is queued, the channel is disconnected,
/// or the deadline passes.
pub(crate) fn wait_ready(source: &dyn Readiness, deadline: Option<Instant>) -> Result<(), RecvTimeoutError> {
    loop {
        if let Some(outcome) = state(source) {
            return outcome.map_err(|RecvError| RecvTimeoutError::Disconnected);
        }
        let wake = source
            .notifier()
            .wait_consumer(|| state(source).is_some(), deadline);
        if wake == Wake::TimedOut {
            return Err(RecvTimeoutError::Timeout);
        }
    }
}

/// The future of `ready_async`: resolves to `Ok(())` once a value is
/// queued, to `Err(RecvError)` once the channel is empty and nothing can
/// arrive any more. Dropping it leaves no registration behind.
#[must_use = "futures do nothing unless polled"]
pub struct ReadyFuture<'a> {
    source: &'a dyn Readiness,
}

impl<'a> ReadyFuture<'a> {
    pub(crate) fn new(source: &'a dyn Readiness) -> Self {
        ReadyFuture { source }
    }
}

impl Future for ReadyFuture<'_> {
    type Output = Result<(), RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let source = self.source;
        let mut outcome = None;
        let poll = source.notifier().poll_consumer(cx, || {
            outcome = state(source);
            outcome.is_some()
        });
        match (poll, outcome) {
            (Poll::Ready(()), Some(outcome)) => Poll::Ready(outcome),
            _ => Poll::Pending,
        }
    }
}

impl Drop for ReadyFuture<'_> {
    fn drop(&mut self) {
        // WAIT-3: a cancelled wait leaves no waker behind.
        self.source.notifier().cancel_consumer();
    }
}

impl fmt::Debug for ReadyFuture<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReadyFuture").finish_non_exhaustive()
    }
}
