//! [`Channel`]: the consumer end, which polls every producer's ring.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::producer::{Producer, Registrar};
use super::ready::{wait_ready, ReadyFuture};
use super::registry::Shared;
use crate::config::Config;
use crate::error::{ConfigError, RecvError, RecvTimeoutError, RegisterError, TryRecvError};
use crate::metrics::MetricsSnapshot;
use crate::ring::core::{second_pass_from, RawRing, RingRef};
use crate::sync::Arc;
use crate::wait::{Wake, WakeProducersOnDrop};

/// The consumer end of an MPSC channel of ring-decomposed SPSC rings.
///
/// Consuming takes `&mut self`, so only one thread consumes at a time.
/// Producers come from [`register`](Channel::register) or from a
/// [`Registrar`]. Order is FIFO per producer; there is no order across
/// producers.
///
/// ```
/// use ringmpsc::{Channel, Config};
///
/// let mut channel = Channel::new(Config::new(10, 4, false)).unwrap();
/// let handles: Vec<_> = (0..4u64)
///     .map(|p| {
///         let producer = channel.register().unwrap();
///         std::thread::spawn(move || {
///             for i in 0..1000 {
///                 producer.send(p * 1000 + i).unwrap();
///             }
///         })
///     })
///     .collect();
///
/// let mut received = 0;
/// while received < 4000 {
///     received += channel.consume_all(|_msg| {});
/// }
/// for h in handles {
///     h.join().unwrap();
/// }
/// assert!(channel.is_empty());
/// ```
pub struct Channel<T> {
    shared: Arc<Shared<T>>,
    /// The consumer's cache of published rings, in entry order.
    rings: Vec<RawRing<T>>,
    /// Where the next poll starts: right after the last ring served
    /// (CH-FAIR-1).
    next: usize,
    /// The fewest values taken from one ring in a pass that make the drain
    /// pass again (CH-DRAIN-1), `u32::MAX` where no batch qualifies:
    /// computed once, so an empty poll reads no more than its rings. A
    /// `u32` beside `stream_waited`, so the handle stays six words.
    second_pass_from: u32,
    /// The stream's last poll returned `Pending`: a value now is one it
    /// waited for (BAR-2, see [`RecvFuture`]'s `waited`).
    stream_waited: bool,
}

// SAFETY: CH-LIFE-1: the raw rings point into `shared`, which the channel
// keeps alive; consuming needs `&mut self` (RB-UNIQ-1), so moving the
// channel moves the consumer role.
unsafe impl<T: Send> Send for Channel<T> {}
// SAFETY: RB-UNIQ-1: the `&self` methods (register, len, close, metrics, ...) only use
// atomics and the registry lock; consuming needs `&mut self`.
unsafe impl<T: Send> Sync for Channel<T> {}

impl<T> Channel<T> {
    /// A channel with no producer yet; rings are allocated on registration.
    ///
    /// # Errors
    /// [`ConfigError`] if a field of `config` is out of range.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        config.validate_for::<T>()?;
        Ok(Self::from_shared(Shared::new(config)))
    }

    pub(crate) fn from_shared(shared: Shared<T>) -> Self {
        // Every ring of a channel has the configured capacity.
        let capacity = shared.config.capacity();
        Channel {
            shared: Arc::new(shared),
            rings: Vec::new(),
            next: 0,
            // Half a ring of at most 512 slots, or never (`u32::MAX`).
            second_pass_from: u32::try_from(second_pass_from(capacity)).unwrap_or(u32::MAX),
            stream_waited: false,
        }
    }

    /// Registers a producer with its own ring.
    ///
    /// A new ring's buffer is allocated and written once here (zeros), so
    /// that its pages are present before the first push and the first lap
    /// takes no page faults: registration costs one `memset` of
    /// `capacity × size_of::<T>()` bytes. A recycled ring is reused as is.
    ///
    /// # Errors
    /// [`RegisterError::TooManyProducers`] when `max_producers` producers
    /// are alive (a dropped producer's ring is reused once drained),
    /// [`RegisterError::Closed`] after [`close`](Self::close).
    pub fn register(&self) -> Result<Producer<T>, RegisterError> {
        Shared::register(&self.shared)
    }

    /// A clonable, `Send + Sync` handle that registers producers from any
    /// thread, also after the channel has moved. While a registrar lives,
    /// the channel is not disconnected.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::<u32>::new(Config::new(4, 2, false)).unwrap();
    /// let registrar = channel.registrar();
    /// let t = std::thread::spawn(move || registrar.register().unwrap().push(9).unwrap());
    /// t.join().unwrap();
    /// assert_eq!(channel.recv(), Ok(9));
    /// ```
    pub fn registrar(&self) -> Registrar<T> {
        Registrar::new(Arc::clone(&self.shared))
    }

    /// The channel's configuration.
    pub fn config(&self) -> &Config {
        &self.shared.config
    }

    /// Picks up rings published since the last poll.
    fn refresh(&mut self) {
        let allocated = self.shared.allocated();
        while self.rings.len() < allocated {
            let ring = self
                .shared
                .raw_ring(self.rings.len())
                .expect("CH-REG-1: published before counted");
            self.rings.push(ring);
        }
    }

    /// Ring `i` of the consumer's cache, borrowed from `self`.
    #[inline]
    fn ring(&self, i: usize) -> RingRef<'_, T> {
        // SAFETY: CH-LIFE-1: `self.shared` owns the ring and lives as long
        // as the borrow of `self`.
        unsafe { self.rings[i].get() }
    }

    /// Consumes every value present in every ring, by reference; returns
    /// the count. Each value is dropped after `f` returns. In a channel of
    /// rings of at most 512 slots, after taking half a ring or more from
    /// some ring it looks at the rings once more (CH-DRAIN-1), so it may
    /// also take values published while it ran.
    pub fn consume_all<F: FnMut(&T)>(&mut self, mut f: F) -> usize {
        self.consume_all_up_to_owned(usize::MAX, |v| f(&v))
    }

    /// Consumes every value present in every ring, by value.
    pub fn consume_all_owned<F: FnMut(T)>(&mut self, f: F) -> usize {
        self.consume_all_up_to_owned(usize::MAX, f)
    }

    /// Consumes at most `limit` values, by reference. Each call starts with
    /// the ring after the last one served, so busy producers take equal
    /// turns when the backlog exceeds `limit` (CH-FAIR-1).
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 2, false)).unwrap();
    /// let (a, b) = (channel.register().unwrap(), channel.register().unwrap());
    /// for i in 0..4 {
    ///     a.push(('a', i)).unwrap();
    ///     b.push(('b', i)).unwrap();
    /// }
    /// // A bounded drain: at most 3 values per call, producers take turns.
    /// let mut seen = Vec::new();
    /// while channel.consume_all_up_to(3, |v| seen.push(*v)) > 0 {}
    /// assert_eq!(seen.len(), 8);
    /// assert!(seen.iter().filter(|v| v.0 == 'a').map(|v| v.1).eq(0..4)); // FIFO per producer
    /// ```
    pub fn consume_all_up_to<F: FnMut(&T)>(&mut self, limit: usize, mut f: F) -> usize {
        self.consume_all_up_to_owned(limit, |v| f(&v))
    }

    /// Consumes at most `limit` values, by value, fairly across rings.
    ///
    /// If `f` panics, the values it was already handed stay consumed, the
    /// others stay queued, and the channel remains usable.
    pub fn consume_all_up_to_owned<F: FnMut(T)>(&mut self, limit: usize, mut f: F) -> usize {
        self.drain_fairly(limit, |ring, room| {
            // SAFETY: RB-UNIQ-1: `drain_fairly` holds `&mut self`, so this is
            // the only consumer.
            unsafe { ring.consume_up_to(room, &mut f) }
        })
    }

    /// Consumes every value present in every ring, in place: `f` sees
    /// each ring's values as (at most two) contiguous slices, oldest first,
    /// and each value is dropped after `f` has seen its slice. Nothing is
    /// moved out of the ring, and `f`'s own loop over a slice can
    /// vectorise (as with rtrb's `ReadChunk::as_slices`). Returns the
    /// count.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap(); // 16 slots
    /// let producer = channel.register().unwrap();
    /// let mut sum = 0u64;
    /// for round in 0..3u64 {
    ///     for i in 0..10 {
    ///         producer.push(round * 10 + i).unwrap();
    ///     }
    ///     // Ten values, across the wrap point from the second round on.
    ///     assert_eq!(channel.consume_slices(|values| sum += values.iter().sum::<u64>()), 10);
    /// }
    /// assert_eq!(sum, (0..30).sum());
    /// ```
    ///
    /// If `f` panics, the slice it was handed counts as consumed and its
    /// values are dropped; the others stay queued, and the channel remains
    /// usable.
    #[cfg(not(loom))]
    pub fn consume_slices<F: FnMut(&[T])>(&mut self, f: F) -> usize {
        self.consume_slices_up_to(usize::MAX, f)
    }

    /// [`consume_slices`](Self::consume_slices) for at most `limit`
    /// values, fairly across rings as
    /// [`consume_all_up_to`](Self::consume_all_up_to) (CH-FAIR-1).
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 2, false)).unwrap();
    /// let (a, b) = (channel.register().unwrap(), channel.register().unwrap());
    /// for i in 0..4 {
    ///     a.push(i).unwrap();
    ///     b.push(100 + i).unwrap();
    /// }
    /// let mut seen = Vec::new();
    /// assert_eq!(channel.consume_slices_up_to(3, |s| seen.extend_from_slice(s)), 3);
    /// assert_eq!(seen, [0, 1, 2]);
    /// // The next call starts with the other producer's ring.
    /// assert_eq!(channel.consume_slices_up_to(3, |s| seen.extend_from_slice(s)), 3);
    /// assert_eq!(seen, [0, 1, 2, 100, 101, 102]);
    /// ```
    #[cfg(not(loom))]
    pub fn consume_slices_up_to<F: FnMut(&[T])>(&mut self, limit: usize, mut f: F) -> usize {
        self.drain_fairly(limit, |ring, room| {
            // SAFETY: RB-UNIQ-1: `drain_fairly` holds `&mut self`, so this is
            // the only consumer.
            unsafe { ring.consume_slices_up_to(room, &mut f) }
        })
    }

    /// Takes up to `limit` values with `take(ring, room)`, one ring after
    /// another, starting after the last ring served (CH-FAIR-1), and wakes
    /// the producers waiting for the room it freed (WAIT-2).
    ///
    /// A pass that took half a ring or more from some ring, in a channel
    /// whose half-ring batches are short (RB-REL-1), is followed by a
    /// second (CH-DRAIN-1): that ring's producer was likely waiting for
    /// room, and it refilled the ring while the handlers ran, so the call
    /// takes those values too instead of leaving them to the caller's next
    /// wait and look. Two passes at most, so a call ends while producers
    /// keep every ring full. Not with large rings: a second look right
    /// behind their producers finds a few values where the caller's wait
    /// would let a batch gather (WAIT-5). The threshold is computed once
    /// (`second_pass_from`): read from the configuration per call, it cost
    /// ping-pong 10 ns per round trip in 6 of 7 rounds.
    ///
    /// In the back-pressure benchmark (4 producers sharing a CPU, 16 slots
    /// each, one producer running at a time) two passes ran 1.12× one in a
    /// build that chose the count at run time (10 alternated rounds; 0.97×
    /// kanal against 0.84×; four passes 1.12×, sixteen 1.15×), and 1.05×
    /// the one-pass build in three sets of 10 alternated rounds against it.
    #[inline]
    fn drain_fairly(&mut self, limit: usize, mut take: impl FnMut(RingRef<'_, T>, usize) -> usize) -> usize {
        self.refresh();
        let n = self.rings.len();
        if n == 0 || limit == 0 {
            return 0;
        }
        let mut wake = WakeProducersOnDrop::new(&self.shared.notifier);
        for _pass in 0..2 {
            // `next` stays below `n` (rings are never removed), so no division.
            let start = if self.next >= n { 0 } else { self.next };
            // The most taken from one ring this pass.
            let mut most = 0;
            // A counted loop with the wrap computed, not `(start..n).chain(0..start)`:
            // the chained ranges cost the ping-pong round trip about 10 ns
            // (p50 0.92-0.95x, 2 x 10 alternated rounds).
            for k in 0..n {
                let i = if start + k < n { start + k } else { start + k - n };
                // WAIT-2: its producer may wait for the room this call frees.
                wake.touched |= 1 << i;
                let taken = take(self.ring(i), limit - wake.consumed);
                if taken > 0 {
                    most = most.max(taken);
                    // CH-FAIR-1: the next call starts after the last ring served.
                    self.next = if i + 1 == n { 0 } else { i + 1 };
                    wake.consumed += taken;
                    if wake.consumed == limit {
                        return wake.consumed;
                    }
                }
            }
            if most < self.second_pass_from as usize {
                break;
            }
        }
        wake.consumed
    }

    /// Takes one value without waiting; busy producers take turns
    /// (CH-FAIR-1).
    ///
    /// ```
    /// use ringmpsc::{Channel, Config, TryRecvError};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let producer = channel.register().unwrap();
    /// assert_eq!(channel.try_recv(), Err(TryRecvError::Empty));
    /// producer.push(1).unwrap();
    /// assert_eq!(channel.try_recv(), Ok(1));
    /// drop(producer);
    /// assert_eq!(channel.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    ///
    /// # Errors
    /// [`TryRecvError::Empty`] when nothing is queued,
    /// [`TryRecvError::Disconnected`] when nothing ever will be.
    pub fn try_recv(&mut self) -> Result<T, TryRecvError> {
        if let Some(v) = self.pop_one() {
            return Ok(v);
        }
        if !self.shared.no_more_senders() {
            return Err(TryRecvError::Empty);
        }
        // CH-DISC-1: nobody sends any more; what is queued now is all there
        // will be, so look once more before reporting the disconnect.
        self.pop_one().ok_or(TryRecvError::Disconnected)
    }

    fn pop_one(&mut self) -> Option<T> {
        let mut out = None;
        self.consume_all_up_to_owned(1, |v| out = Some(v));
        out
    }

    /// Waits for a value, per the configured [`WaitStrategy`](crate::WaitStrategy).
    ///
    /// # Errors
    /// [`RecvError`] when the channel is empty and either closed or without
    /// any producer or registrar left.
    pub fn recv(&mut self) -> Result<T, RecvError> {
        self.recv_deadline(None).map_err(|_| RecvError)
    }

    /// Waits at most `timeout` for a value.
    ///
    /// ```
    /// use std::time::Duration;
    /// use ringmpsc::{Channel, Config, RecvTimeoutError};
    ///
    /// let mut channel = Channel::<u32>::new(Config::new(4, 1, false)).unwrap();
    /// let producer = channel.register().unwrap();
    /// let timeout = Duration::from_millis(10);
    /// assert_eq!(channel.recv_timeout(timeout), Err(RecvTimeoutError::Timeout));
    /// std::thread::spawn(move || producer.send(7).unwrap());
    /// assert_eq!(channel.recv_timeout(Duration::from_secs(10)), Ok(7));
    /// // The producer is gone and everything it sent was received.
    /// assert_eq!(channel.recv_timeout(timeout), Err(RecvTimeoutError::Disconnected));
    /// ```
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] when nothing arrived in time,
    /// [`RecvTimeoutError::Disconnected`] as for [`recv`](Self::recv).
    pub fn recv_timeout(&mut self, timeout: Duration) -> Result<T, RecvTimeoutError> {
        self.recv_deadline(Instant::now().checked_add(timeout))
    }

    fn recv_deadline(&mut self, deadline: Option<Instant>) -> Result<T, RecvTimeoutError> {
        let mut waited = false;
        loop {
            match self.try_recv() {
                Ok(v) => {
                    if !waited {
                        // BAR-2, as in `poll_recv`.
                        self.shared.notifier.values_came_unasked();
                    }
                    return Ok(v);
                }
                Err(TryRecvError::Disconnected) => return Err(RecvTimeoutError::Disconnected),
                Err(TryRecvError::Empty) => {}
            }
            let shared = &*self.shared;
            let ready = || shared.has_data() || shared.no_more_senders();
            waited = true;
            if shared.notifier.wait_consumer(ready, deadline) == Wake::TimedOut {
                return Err(RecvTimeoutError::Timeout);
            }
        }
    }

    /// Blocks until a value is queued, per the configured
    /// [`WaitStrategy`](crate::WaitStrategy); then drain in bulk with
    /// [`consume_all`](Self::consume_all) and friends.
    ///
    /// While producers are still publishing and only a few values are
    /// queued, `ready` lets a batch gather before it returns: until 256
    /// values are queued or a ring is half full, for at most 2 µs, and not
    /// past a look that finds no new value. A drain right behind a
    /// producer reads the lines it is writing and slows it several-fold.
    /// A lone value found at once waits one more look, well under a
    /// microsecond; a value that ends a wait (the rings were empty when
    /// `ready` was called) none: that consumer keeps up with its producers.
    /// For the first value at once, use [`try_recv`](Self::try_recv) or
    /// [`recv`](Self::recv).
    ///
    /// ```
    /// use ringmpsc::{Channel, Config, RecvError};
    ///
    /// let mut channel = Channel::new(Config::new(6, 2, false)).unwrap();
    /// let producer = channel.register().unwrap();
    /// std::thread::spawn(move || (0..100u32).for_each(|i| producer.send(i).unwrap()));
    /// let mut sum = 0;
    /// while channel.ready().is_ok() {
    ///     channel.consume_all(|v| sum += v); // everything queued, in one go
    /// }
    /// assert_eq!(sum, 99 * 100 / 2);
    /// assert_eq!(channel.ready(), Err(RecvError)); // disconnected and drained
    /// ```
    ///
    /// # Errors
    /// [`RecvError`] once the channel is empty and nothing can arrive any
    /// more: it is closed, or every producer and registrar is gone.
    pub fn ready(&mut self) -> Result<(), RecvError>
    where
        T: Send,
    {
        wait_ready(&*self.shared, None).map_err(|_| RecvError)
    }

    /// Like [`ready`](Self::ready), waiting at most `timeout`.
    ///
    /// # Errors
    /// [`RecvTimeoutError::Timeout`] when nothing arrived in time,
    /// [`RecvTimeoutError::Disconnected`] as [`ready`](Self::ready).
    pub fn ready_timeout(&mut self, timeout: Duration) -> Result<(), RecvTimeoutError>
    where
        T: Send,
    {
        wait_ready(&*self.shared, Instant::now().checked_add(timeout))
    }

    /// Waits without blocking the thread until a value is queued: the async
    /// [`ready`](Self::ready). Works on any executor. The task costs no CPU
    /// while it waits under [`WaitStrategy::Park`](crate::WaitStrategy);
    /// dropping the future leaves no registration behind.
    ///
    /// ```
    /// # futures_executor_block_on(async {
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let producer = channel.register().unwrap();
    /// std::thread::spawn(move || producer.send(5u8).unwrap());
    /// channel.ready_async().await.unwrap();
    /// assert_eq!(channel.try_recv(), Ok(5));
    /// # });
    /// # fn futures_executor_block_on<F: std::future::Future>(f: F) -> F::Output {
    /// #     struct Unpark(std::thread::Thread);
    /// #     impl std::task::Wake for Unpark {
    /// #         fn wake(self: std::sync::Arc<Self>) { self.0.unpark() }
    /// #     }
    /// #     let waker = std::sync::Arc::new(Unpark(std::thread::current())).into();
    /// #     let mut cx = std::task::Context::from_waker(&waker);
    /// #     let mut f = std::pin::pin!(f);
    /// #     loop {
    /// #         if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) { return v; }
    /// #         std::thread::park();
    /// #     }
    /// # }
    /// ```
    ///
    /// The future resolves to [`RecvError`] as [`ready`](Self::ready) does.
    pub fn ready_async(&mut self) -> ReadyFuture<'_>
    where
        T: Send,
    {
        ReadyFuture::new(&*self.shared)
    }

    /// Receives one value without blocking the thread: the async
    /// [`recv`](Self::recv). Dropping the future receives nothing.
    ///
    /// The future resolves to [`RecvError`] once the channel is empty and
    /// nothing can arrive any more.
    pub fn recv_async(&mut self) -> RecvFuture<'_, T> {
        RecvFuture {
            channel: self,
            waited: false,
        }
    }

    /// A poll of [`RecvFuture`]; `waited` says whether the future has
    /// returned `Pending` before.
    fn poll_recv(&mut self, cx: &mut Context<'_>, waited: &mut bool) -> Poll<Result<T, RecvError>> {
        loop {
            match self.try_recv() {
                Ok(v) => {
                    if !*waited {
                        // BAR-2: a value taken without a wait; after an
                        // idle spell the producers may still be fencing.
                        self.shared.notifier.values_came_unasked();
                    }
                    return Poll::Ready(Ok(v));
                }
                Err(TryRecvError::Disconnected) => return Poll::Ready(Err(RecvError)),
                Err(TryRecvError::Empty) => {}
            }
            let shared = &*self.shared;
            let ready = || shared.has_data() || shared.no_more_senders();
            if shared.notifier.poll_consumer(cx, ready).is_pending() {
                *waited = true;
                return Poll::Pending;
            }
        }
    }

    /// Values queued across all rings (a snapshot).
    pub fn len(&self) -> usize {
        self.shared.rings().map(RingRef::len).sum()
    }

    /// `true` when no value is queued.
    pub fn is_empty(&self) -> bool {
        !self.shared.has_data()
    }

    /// Live producers.
    pub fn producer_count(&self) -> usize {
        self.shared.live_producers()
    }

    /// Closes the channel: `push`, `send`, `reserve`, commits and
    /// `register` fail from now on (values come back); what is queued can
    /// still be consumed, after which receives report a disconnect.
    ///
    /// When it returns, every publish that reported success is queued: a
    /// push racing the close either fails with its value or is received
    /// (CH-CLOSE-1). It never waits for a producer: it records where each
    /// ring ends, and a racing publish past that point is withdrawn by its
    /// producer.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config, TryRecvError};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let mut producer = channel.register().unwrap();
    /// producer.push(1).unwrap();
    /// let reservation = producer.reserve(1).unwrap();
    /// channel.close();
    /// assert_eq!(reservation.fill_with(|_| 2), 0); // nothing published after close
    /// assert!(producer.push(3).unwrap_err().is_closed());
    /// assert_eq!(channel.try_recv(), Ok(1));
    /// assert_eq!(channel.try_recv(), Err(TryRecvError::Disconnected));
    /// ```
    pub fn close(&self) {
        self.shared.close();
    }

    /// `true` once the channel was closed.
    pub fn is_closed(&self) -> bool {
        self.shared.is_closed()
    }

    /// Counters summed over every ring (zero with metrics off).
    pub fn metrics(&self) -> MetricsSnapshot {
        self.shared
            .rings()
            .map(RingRef::metrics)
            .fold(MetricsSnapshot::default(), |a, b| a + b)
    }
}

impl<T> Drop for Channel<T> {
    /// The consumer is gone: producers see `Closed` from now on, and the
    /// queued values are dropped now, since nobody can receive them — also
    /// those that hold a handle of this channel (CH-DROP-1).
    fn drop(&mut self) {
        self.shared.close();
        self.refresh();
        for i in 0..self.rings.len() {
            // SAFETY: RB-UNIQ-1: `&mut self` makes this the only consumer;
            // after the close it reads only below each ring's cut, where no
            // producer publishes any more (CH-CLOSE-1).
            unsafe { self.ring(i).drop_queued() };
        }
    }
}

/// A channel is a stream of its values; it ends once the channel is empty
/// and nothing can arrive any more (closed, or every producer and registrar
/// gone).
impl<T> futures_core::Stream for Channel<T> {
    type Item = T;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<T>> {
        let this = self.get_mut();
        let mut waited = this.stream_waited;
        let poll = this.poll_recv(cx, &mut waited);
        this.stream_waited = poll.is_pending();
        poll.map(Result::ok)
    }
}

/// The future of [`Channel::recv_async`].
#[must_use = "futures do nothing unless polled"]
pub struct RecvFuture<'a, T> {
    channel: &'a mut Channel<T>,
    /// Returned `Pending` before: a value now is one it waited for.
    waited: bool,
}

impl<T> Future for RecvFuture<'_, T> {
    type Output = Result<T, RecvError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        this.channel.poll_recv(cx, &mut this.waited)
    }
}

impl<T> Drop for RecvFuture<'_, T> {
    fn drop(&mut self) {
        // WAIT-3: a cancelled receive leaves no waker behind. One that
        // never returned `Pending` left none: every arm of its polls was
        // followed by the re-check that found it ready, and so by a
        // disarm. It skips the waiter's lock, which a receive of a value
        // already queued otherwise paid every time.
        if self.waited {
            self.channel.shared.notifier.cancel_consumer();
        }
    }
}

impl<T> fmt::Debug for RecvFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecvFuture").finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Channel<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Channel")
            .field("config", &self.shared.config)
            .field("producers", &self.producer_count())
            .field("len", &self.len())
            .field("closed", &self.is_closed())
            .finish()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::Config;
    use futures_core::Stream;
    use std::future::Future;
    use std::task::Waker;

    /// One way for the consumer to take a value: `None` if it got none.
    type Take = fn(&mut Channel<u32>) -> Option<u32>;

    /// Longer than the wait after which an async consumer counts as idle.
    const IDLE: Duration = Duration::from_millis(5);

    /// A `recv_async` that waits `IDLE` for `value`: the consumer idles,
    /// so its next arm raises the fence.
    fn recv_after_idling(channel: &mut Channel<u32>, producer: &crate::Producer<u32>, value: u32) {
        let mut cx = Context::from_waker(Waker::noop());
        let mut recv = std::pin::pin!(channel.recv_async());
        assert!(recv.as_mut().poll(&mut cx).is_pending());
        std::thread::sleep(IDLE);
        producer.push(value).unwrap();
        assert_eq!(recv.as_mut().poll(&mut cx), Poll::Ready(Ok(value)));
    }

    /// WAIT-3: a `recv_async` future leaves no registration behind when
    /// it is dropped pending, after it found a value at once (its drop
    /// then skips the waiter's lock), or after it waited for one.
    #[test]
    fn a_recv_future_leaves_no_registration_however_it_ends() {
        let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
        let producer = channel.register().unwrap();
        let shared = Arc::clone(&channel.shared);
        let armed = || shared.notifier.consumer_armed();
        let mut cx = Context::from_waker(Waker::noop());

        let mut pending = Box::pin(channel.recv_async());
        assert!(pending.as_mut().poll(&mut cx).is_pending());
        assert!(armed(), "a pending poll arms");
        drop(pending);
        assert!(!armed(), "dropped pending");

        producer.push(1).unwrap();
        let mut at_once = Box::pin(channel.recv_async());
        assert_eq!(at_once.as_mut().poll(&mut cx), Poll::Ready(Ok(1)));
        drop(at_once);
        assert!(!armed(), "dropped after a value found at once");

        let mut waited = Box::pin(channel.recv_async());
        assert!(waited.as_mut().poll(&mut cx).is_pending());
        assert!(waited.as_mut().poll(&mut cx).is_pending(), "still nothing");
        producer.push(2).unwrap();
        assert_eq!(waited.as_mut().poll(&mut cx), Poll::Ready(Ok(2)));
        drop(waited);
        assert!(!armed(), "dropped after a value waited for");
    }

    /// BAR-2: after an idle spell, producers fence until the consumer
    /// takes a value it did not wait for. A value that `recv_async` (or
    /// the stream) waited for keeps the fence; one its first poll finds
    /// lowers it. With the fence left up, a consumer receiving a burst
    /// with `recv_async` kept every producer fencing for the whole burst.
    #[test]
    #[cfg_attr(miri, ignore = "miri has no membarrier, so no idle fence")]
    fn values_taken_without_a_wait_lower_the_idle_fence() {
        let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
        let producer = channel.register().unwrap();
        let shared = Arc::clone(&channel.shared);
        let fenced = || shared.notifier.consumer_idle_fenced();
        if fenced().is_none() {
            eprintln!("no membarrier here: the fence is up for good");
            return;
        }
        recv_after_idling(&mut channel, &producer, 1);
        assert_eq!(fenced(), Some(false), "raised only when it arms again");

        // Each way to take a value, on a value it did not wait for.
        let takers: [(&str, Take); 3] = [
            ("recv_async", |channel| {
                let mut cx = Context::from_waker(Waker::noop());
                match std::pin::pin!(channel.recv_async()).poll(&mut cx) {
                    Poll::Ready(Ok(v)) => Some(v),
                    _ => None,
                }
            }),
            ("the stream", |channel| {
                let mut cx = Context::from_waker(Waker::noop());
                match Pin::new(channel).poll_next(&mut cx) {
                    Poll::Ready(v) => v,
                    Poll::Pending => None,
                }
            }),
            ("recv", |channel| channel.recv().ok()),
        ];
        for (value, (name, take)) in (2..).step_by(2).zip(takers) {
            recv_after_idling(&mut channel, &producer, value);
            assert_eq!(
                fenced(),
                Some(true),
                "idle: raised, and a value waited for keeps it"
            );
            producer.push(value + 1).unwrap();
            assert_eq!(take(&mut channel), Some(value + 1), "{name}");
            assert_eq!(fenced(), Some(false), "{name}: a value not waited for lowers it");
        }
    }
}
