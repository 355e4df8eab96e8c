//! Every error the crate returns, one type per operation.
//!
//! Errors of operations that take a value hand the value back: nothing is
//! dropped silently. Their `Debug` does not require `T: Debug`.
//!
//! One word per side for "the other side is gone", as in `std::sync::mpsc`:
//! a producer's operation fails with **closed** (`PushError::Closed`,
//! `SendError`, `RegisterError::Closed`) once the channel was closed or its
//! consumer dropped; a receive fails with **disconnected**
//! (`TryRecvError::Disconnected`, `RecvError`,
//! `RecvTimeoutError::Disconnected`) once the channel is empty and nothing
//! can arrive any more.

use std::error::Error;
use std::fmt;

/// A [`Config`](crate::Config) field is out of its valid range.
///
/// ```
/// use ringmpsc::{Channel, Config};
///
/// let err = Channel::<u64>::new(Config::new(24, 4, false)).unwrap_err();
/// assert_eq!(err.to_string(), "ring_bits = 24 is out of range 1..=20");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConfigError {
    /// The offending field, e.g. `"ring_bits"`.
    pub field: &'static str,
    /// The value it had.
    pub value: usize,
    /// Smallest accepted value.
    pub min: usize,
    /// Largest accepted value.
    pub max: usize,
}

impl ConfigError {
    pub(crate) const fn new(field: &'static str, value: usize, min: usize, max: usize) -> Self {
        ConfigError {
            field,
            value,
            min,
            max,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (field, value, min, max) = (self.field, self.value, self.min, self.max);
        if field == "capacity" && (min..=max).contains(&value) {
            // In range, so the power of two is what failed.
            write!(f, "{field} = {value} is not a power of two in {min}..={max}")
        } else if field == "ring_bits" && max < crate::config::MAX_RING_BITS as usize {
            // Within the crate's range, but too large for the message type.
            write!(
                f,
                "{field} = {value} is out of range {min}..={max} for this message type: a ring of 2^{value} slots does not fit in memory"
            )
        } else {
            write!(f, "{field} = {value} is out of range {min}..={max}")
        }
    }
}

impl Error for ConfigError {}

/// A `push` failed; the value comes back to the caller.
///
/// ```
/// use ringmpsc::{Config, PushError, Ring};
///
/// let ring = Ring::new(Config::new(1, 1, false)).unwrap(); // 2 slots
/// ring.push(1).unwrap();
/// ring.push(2).unwrap();
/// assert_eq!(ring.push(3), Err(PushError::Full(3)));
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub enum PushError<T> {
    /// The ring has no free slot right now; retry later.
    Full(T),
    /// The ring or channel is closed (or its consumer is gone); it never
    /// accepts a value again.
    Closed(T),
}

impl<T> PushError<T> {
    /// The value that was not pushed.
    pub fn into_inner(self) -> T {
        match self {
            PushError::Full(v) | PushError::Closed(v) => v,
        }
    }

    /// `true` for [`PushError::Full`].
    pub fn is_full(&self) -> bool {
        matches!(self, PushError::Full(_))
    }

    /// `true` for [`PushError::Closed`].
    pub fn is_closed(&self) -> bool {
        matches!(self, PushError::Closed(_))
    }
}

impl<T> fmt::Debug for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("Full(..)"),
            PushError::Closed(_) => f.write_str("Closed(..)"),
        }
    }
}

impl<T> fmt::Display for PushError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PushError::Full(_) => f.write_str("pushing into a full ring"),
            PushError::Closed(_) => f.write_str("pushing into a closed channel"),
        }
    }
}

impl<T> Error for PushError<T> {}

/// A blocking `send` failed because the channel is closed or its consumer
/// is gone; the value comes back in field `0`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SendError<T>(pub T);

impl<T> SendError<T> {
    /// The value that was not sent.
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> fmt::Debug for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SendError(..)")
    }
}

impl<T> fmt::Display for SendError<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("sending on a closed channel")
    }
}

impl<T> Error for SendError<T> {}

/// Registering a producer failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterError {
    /// `max` producers are alive already. A dropped producer's ring is
    /// recycled once the consumer has drained it.
    TooManyProducers {
        /// The channel's `max_producers`.
        max: usize,
    },
    /// The channel is closed or its consumer is gone.
    Closed,
    /// The new producer's ring could not be allocated.
    OutOfMemory,
    /// The channel cannot register producers: a `channel!`-generated
    /// channel has a fixed set of them, so its producers cannot be cloned.
    Unsupported,
}

impl fmt::Display for RegisterError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegisterError::TooManyProducers { max } => {
                write!(f, "too many producers: all {max} rings are in use")
            }
            RegisterError::Closed => f.write_str("registering on a closed channel"),
            RegisterError::OutOfMemory => f.write_str("the new producer's ring could not be allocated"),
            RegisterError::Unsupported => {
                f.write_str("registering is not supported: a `channel!` channel has a fixed set of producers")
            }
        }
    }
}

impl Error for RegisterError {}

/// `try_recv` found nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TryRecvError {
    /// Nothing to receive right now.
    Empty,
    /// Nothing to receive, ever: every ring is empty and the channel is
    /// closed or has no producer (nor registrar) left.
    Disconnected,
}

impl fmt::Display for TryRecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TryRecvError::Empty => f.write_str("receiving on an empty channel"),
            TryRecvError::Disconnected => f.write_str("receiving on an empty and disconnected channel"),
        }
    }
}

impl Error for TryRecvError {}

/// A blocking `recv` found the channel empty and disconnected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RecvError;

impl fmt::Display for RecvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("receiving on an empty and disconnected channel")
    }
}

impl Error for RecvError {}

/// `recv_timeout` gave up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RecvTimeoutError {
    /// Nothing arrived before the deadline.
    Timeout,
    /// The channel is empty and disconnected.
    Disconnected,
}

impl fmt::Display for RecvTimeoutError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecvTimeoutError::Timeout => f.write_str("timed out waiting on an empty channel"),
            RecvTimeoutError::Disconnected => f.write_str("receiving on an empty and disconnected channel"),
        }
    }
}

impl Error for RecvTimeoutError {}
