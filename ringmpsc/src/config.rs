//! Channel and ring configuration, validated before anything is allocated.

use crate::error::ConfigError;
use crate::wait::WaitStrategy;

/// Smallest accepted `ring_bits` (a ring of 2 slots).
pub const MIN_RING_BITS: u8 = 1;
/// Largest accepted `ring_bits` (a ring of 1 Mi slots).
pub const MAX_RING_BITS: u8 = 20;
/// Smallest accepted `max_producers`.
pub const MIN_PRODUCERS: usize = 1;
/// Largest accepted `max_producers`.
pub const MAX_PRODUCERS: usize = 128;

/// Sizing and behaviour of a [`Ring`](crate::Ring) or [`Channel`](crate::Channel).
///
/// Every ring holds `2^ring_bits` slots; a channel holds one ring per live
/// producer, at most `max_producers` of them. Values are checked by
/// [`Config::validate`], which `Ring::new` and `Channel::new` call: an out of
/// range value is a [`ConfigError`], never a panic or a silent clamp.
///
/// # Choosing `ring_bits`
/// A ring needs room for what its producer publishes while the consumer
/// is busy elsewhere. Every slot a producer writes was read by the
/// consumer a lap earlier, on another core; a ring whose slots fit in the
/// L1 cache most likely moves its lines between the two cores' closest
/// caches, a large one through slower ones. On a 2-vCPU AMD EPYC guest an
/// ideal SPSC ring of 2048 `u64` slots (16 KiB) ran single items at 1.3×
/// the same ring with 16384 slots (the repository's
/// `benchmarks/history.md`). So a large ring keeps a producer of single
/// values to its first 16 KiB of slots (its window) while the consumer
/// keeps up: at the window's end, a producer that finds the ring empty
/// goes back to the first slot, and only a backlog takes it further. A
/// large ring then costs little while idle and absorbs a burst when one
/// comes; it always holds its whole capacity. Reservations of 8 slots or
/// more are not held to the window: the wait for an empty ring at each
/// window's end cost batches more than the small ring saved them
/// (batches of 8 to 64 `u64` ran 1.08–1.15× without it; batches of 2 and
/// 4 ran as fast either way). Large messages
/// can go the other way: on that host 96-byte messages ran 2.3–4× faster
/// on rings of 16384 or 65536 slots (1.5 and 6 MiB) than on rings of 4096
/// (384 KiB), single producer or four.
/// Measure on your machine: the `ring_size_study` benchmark runs both. The
/// default's 64 Ki slots favour absorbing bursts.
///
/// ```
/// use ringmpsc::{Config, WaitStrategy};
///
/// let config = Config::new(10, 4, true).with_wait_strategy(WaitStrategy::BusySpin);
/// assert_eq!(config.capacity(), 1024);
/// assert!(config.validate().is_ok());
/// assert!(Config::new(21, 4, false).validate().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Config {
    /// Each ring holds `2^ring_bits` slots; valid range `1..=20`.
    pub ring_bits: u8,
    /// Most producers alive at once; valid range `1..=128`.
    pub max_producers: usize,
    /// Keep per-ring counters (see [`MetricsSnapshot`](crate::MetricsSnapshot)).
    pub enable_metrics: bool,
    /// How a blocked side waits: see [`WaitStrategy`].
    pub wait_strategy: WaitStrategy,
}

impl Config {
    /// A configuration with the default wait strategy ([`WaitStrategy::Park`]).
    pub const fn new(ring_bits: u8, max_producers: usize, enable_metrics: bool) -> Self {
        Config {
            ring_bits,
            max_producers,
            enable_metrics,
            wait_strategy: WaitStrategy::Park,
        }
    }

    /// The same configuration with another wait strategy.
    pub const fn with_wait_strategy(self, wait_strategy: WaitStrategy) -> Self {
        Config {
            wait_strategy,
            ..self
        }
    }

    /// The same configuration with rings of `2^ring_bits` slots.
    ///
    /// ```
    /// use ringmpsc::Config;
    ///
    /// let config = Config::default().with_ring_bits(10).with_max_producers(4).with_metrics(true);
    /// assert_eq!(config, Config::new(10, 4, true));
    /// ```
    pub const fn with_ring_bits(self, ring_bits: u8) -> Self {
        Config { ring_bits, ..self }
    }

    /// The same configuration with room for `max_producers` live producers.
    pub const fn with_max_producers(self, max_producers: usize) -> Self {
        Config {
            max_producers,
            ..self
        }
    }

    /// The same configuration with per-ring counters on or off.
    pub const fn with_metrics(self, enable_metrics: bool) -> Self {
        Config {
            enable_metrics,
            ..self
        }
    }

    /// Slots per ring, `2^ring_bits` (saturating for out-of-range values;
    /// such a config fails [`validate`](Config::validate) anyway).
    pub const fn capacity(&self) -> usize {
        if self.ring_bits as u32 >= usize::BITS {
            usize::MAX
        } else {
            1usize << self.ring_bits
        }
    }

    /// Checks every field against its range.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field that is out of range.
    pub const fn validate(&self) -> Result<(), ConfigError> {
        if self.ring_bits < MIN_RING_BITS || self.ring_bits > MAX_RING_BITS {
            return Err(ConfigError {
                field: "ring_bits",
                value: self.ring_bits as usize,
                min: MIN_RING_BITS as usize,
                max: MAX_RING_BITS as usize,
            });
        }
        if self.max_producers < MIN_PRODUCERS || self.max_producers > MAX_PRODUCERS {
            return Err(ConfigError {
                field: "max_producers",
                value: self.max_producers,
                min: MIN_PRODUCERS,
                max: MAX_PRODUCERS,
            });
        }
        Ok(())
    }
}

impl Config {
    /// [`validate`](Config::validate), and check that a ring of `T` of this
    /// size can exist: `2^ring_bits * size_of::<T>()` bytes must fit in
    /// `isize::MAX`. The error then names `ring_bits` and the largest value
    /// that fits.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the first field that is out of range.
    pub fn validate_for<T>(&self) -> Result<(), ConfigError> {
        self.validate()?;
        let fits = |bits: u8| {
            (1usize << bits)
                .checked_mul(std::mem::size_of::<T>())
                .is_some_and(|b| b <= isize::MAX as usize)
        };
        if fits(self.ring_bits) {
            return Ok(());
        }
        let max = (MIN_RING_BITS..self.ring_bits)
            .rev()
            .find(|&b| fits(b))
            .unwrap_or(0);
        Err(ConfigError::new(
            "ring_bits",
            self.ring_bits as usize,
            MIN_RING_BITS as usize,
            max as usize,
        ))
    }
}

impl Default for Config {
    /// 16 bits (64 Ki slots per ring), 16 producers, metrics off.
    fn default() -> Self {
        Config::new(16, 16, false)
    }
}

/// Small rings (4 Ki slots) that stay in L1/L2: lowest latency.
pub const LOW_LATENCY_CONFIG: Config = Config::new(12, 16, false);

/// Large rings (256 Ki slots) for bursty, high-volume producers.
pub const HIGH_THROUGHPUT_CONFIG: Config = Config::new(18, 16, false);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid() {
        assert_eq!(Config::default().capacity(), 1 << 16);
        assert_eq!(LOW_LATENCY_CONFIG.ring_bits, 12);
        assert_eq!(HIGH_THROUGHPUT_CONFIG.ring_bits, 18);
        for c in [Config::default(), LOW_LATENCY_CONFIG, HIGH_THROUGHPUT_CONFIG] {
            assert!(c.validate().is_ok());
        }
    }

    #[test]
    fn out_of_range_names_field_value_and_range() {
        let e = Config::new(0, 4, false).validate().unwrap_err();
        assert_eq!(e.field, "ring_bits");
        assert_eq!(e.to_string(), "ring_bits = 0 is out of range 1..=20");
        let e = Config::new(21, 4, false).validate().unwrap_err();
        assert_eq!(e.value, 21);
        let e = Config::new(4, 0, false).validate().unwrap_err();
        assert_eq!(e.to_string(), "max_producers = 0 is out of range 1..=128");
        let e = Config::new(4, 129, false).validate().unwrap_err();
        assert_eq!(e.field, "max_producers");
        assert_eq!(Config::new(255, 1, false).capacity(), usize::MAX);
    }
}
