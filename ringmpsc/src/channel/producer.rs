//! The producer side: [`Producer`] (owns one ring) and [`Registrar`]
//! (registers more producers from any thread).

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::ptr::NonNull;
use std::task::{Context, Poll};

use crossbeam_utils::CachePadded;

use super::burst::Burst;
use super::fixed::FixedHost;
use super::registry::Shared;
use crate::error::{PushError, RegisterError, SendError};
use crate::ring::core::{CloseGuard, ProducerCursor, Published, RawRing, RingRef, Unpushed};
use crate::ring::reservation::{AfterPublish, Reservation};
use crate::sync::{Arc, AtomicU8};
use crate::wait::Notifier;

impl AfterPublish for Notifier {
    /// A committed reservation wakes a parked consumer (WAIT-1).
    #[inline]
    fn after_publish(&self, fenced: bool) {
        self.wake_consumer(fenced);
    }
}

/// Values up to this size (two registers) take `send_with`'s path in
/// `send`: with the retry out of line, the value stays in registers. A
/// larger value that goes to an out-of-line retry has to live in memory
/// from the start, so for those `send` keeps its loop, and `send_with`
/// builds them in place. Measured (`profile`, 5 rounds): `u64` single
/// items 1.15×, and the default row level with busy-spin; a 96-byte value
/// through the loop-free path 0.36–1.0× the loop, depending on the caller.
const SMALL_VALUE: usize = 16;

/// A producer: owns one ring of its channel. `Send`, not `Sync`: one
/// thread at a time pushes through it.
///
/// Dropping it hands its ring back; the consumer drains what is left and
/// the ring is recycled for a later registration.
pub struct Producer<T> {
    ring: RawRing<T>,
    /// On a line of its own: the producer writes it on every publish, and
    /// the handle may sit next to data the consumer reads (a heap block, a
    /// stack frame), which would make each push bounce that line too.
    cursor: CachePadded<ProducerCursor>,
    /// The channel's notifier, whose `signal` every push loads for the wake
    /// check (WAIT-1) and the close check (CH-CLOSE-1). A pointer into
    /// `owner`, resolved once, so the fast path loads it instead of
    /// matching `owner` and following its `Arc` on every push.
    notifier: NonNull<Notifier>,
    /// The notifier's `signal`, resolved once: the fast path loads the
    /// byte through it without adding the field's offset on every push.
    signal: NonNull<AtomicU8>,
    id: usize,
    owner: Owner<T>,
}

/// What keeps a producer's ring alive (CH-LIFE-1).
enum Owner<T> {
    /// A [`Channel`](crate::Channel)'s shared state.
    Channel(Arc<Shared<T>>),
    /// The ring block of a `channel!`-generated channel.
    Fixed(Arc<FixedHost>),
}

// SAFETY: RB-UNIQ-1: the producer is its ring's only producer and is
// `!Sync` (its cursor is made of `Cell`s), so moving it moves the role;
// CH-LIFE-1: its owner keeps the ring alive, and both owners are
// `Send + Sync` for `T: Send`; `notifier` and `signal` point into the
// owner, so they are shared references to a `Sync` notifier and its byte.
unsafe impl<T: Send> Send for Producer<T> {}

impl<T> Producer<T> {
    /// The producer of entry `id` of a channel.
    ///
    /// # Safety
    /// CH-LIFE-1 and RB-UNIQ-1: `ring` belongs to `shared`, and no other
    /// producer of it is alive.
    pub(crate) unsafe fn for_channel(ring: RingRef<'_, T>, id: usize, shared: Arc<Shared<T>>) -> Self {
        Producer {
            ring: RawRing::from(ring),
            cursor: CachePadded::new(ProducerCursor::attach(ring)),
            notifier: NonNull::from(&shared.notifier),
            signal: NonNull::from(shared.notifier.signal()),
            id,
            owner: Owner::Channel(shared),
        }
    }

    /// The producer of ring `id` of a fixed (`channel!`) channel.
    ///
    /// # Safety
    /// CH-LIFE-1 and RB-UNIQ-1: `ring` lives as long as `host`, and this is
    /// the only producer ever created for it.
    pub(crate) unsafe fn for_fixed(ring: RingRef<'_, T>, id: usize, host: Arc<FixedHost>) -> Self {
        Producer {
            ring: RawRing::from(ring),
            cursor: CachePadded::new(ProducerCursor::attach(ring)),
            notifier: NonNull::from(host.notifier()),
            signal: NonNull::from(host.notifier().signal()),
            id,
            owner: Owner::Fixed(host),
        }
    }

    /// The ring, borrowed from `self`.
    #[inline]
    pub(super) fn ring(&self) -> RingRef<'_, T> {
        // SAFETY: CH-LIFE-1: `self.owner` keeps the ring alive for as long
        // as `self` is borrowed.
        unsafe { self.ring.get() }
    }

    /// The channel's notifier.
    #[inline]
    fn notifier(&self) -> &Notifier {
        // SAFETY: CH-LIFE-1: `notifier` points at the notifier inside
        // `owner`'s `Arc`, which lives at least as long as `self`; the
        // notifier is only ever used through shared references.
        unsafe { self.notifier.as_ref() }
    }

    /// The channel's `signal` (see [`Notifier::signal`]).
    #[inline]
    pub(super) fn signal(&self) -> &AtomicU8 {
        // SAFETY: CH-LIFE-1: `signal` points into the notifier inside
        // `owner`'s `Arc`, as `notifier` does; it is only read through
        // shared references.
        unsafe { self.signal.as_ref() }
    }

    /// The notifier to wake after a reservation's commit, if the consumer
    /// may park.
    fn wake_target(&self) -> Option<&Notifier> {
        let notifier = self.notifier();
        notifier.parks().then_some(notifier)
    }

    /// One push attempt: the value `make` builds, published unless the
    /// channel is closed, then the wake check on the `signal` the push
    /// loaded (WAIT-1).
    #[inline(always)]
    fn try_push_with<F: FnOnce() -> T>(&self, make: F) -> Result<(), Unpushed<F, T>> {
        // SAFETY: RB-UNIQ-1: this producer is the ring's only producer and
        // `!Sync`; `reserve` borrows it mutably, so no reservation is open.
        // Every closer of the ring raises this channel's signal.
        let published = unsafe { self.ring().push_signalled(&self.cursor, make, || self.signal()) }?;
        // One test for both bits: a consumer that sleeps and a close are
        // rare, and both are handled out of line.
        if published.seen() != 0 {
            return self.after_signal(published);
        }
        Ok(())
    }

    /// A push saw a bit raised in the signal: `FENCE` fences and loads it
    /// again (BAR-1); then `CLOSING` withdraws the push if its ring is
    /// closed past it (CH-CLOSE-1), and `ARMED` wakes the consumer
    /// (WAIT-1). Out of line and given only `self`, so the push's fast path
    /// keeps nothing live across it.
    #[cold]
    #[inline(never)]
    fn after_signal<F>(&self, published: Published) -> Result<(), Unpushed<F, T>> {
        self.settle_published(published).map_err(Unpushed::Closed)
    }

    /// [`after_signal`](Self::after_signal)'s work, for this producer's
    /// last publish (also a [`Burst`]'s): the value back if a close
    /// withdrew it.
    pub(super) fn settle_published(&self, published: Published) -> Result<(), T> {
        let published = published.ordered(self.notifier().signal());
        if published.closing() {
            // SAFETY: RB-UNIQ-1, as in `try_push_with`: this producer (or
            // the burst that borrows it) made that push and has published
            // nothing since.
            if let Some(value) = unsafe { self.ring().settle_closing(&self.cursor) } {
                return Err(value);
            }
        }
        self.notifier().wake_consumer_seen(published.seen());
        Ok(())
    }

    /// A run of sends that keeps this producer's cursor in the caller's
    /// registers: see [`Burst`]. Borrows the producer mutably until the
    /// burst is dropped.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let mut producer = channel.register().unwrap();
    /// let mut burst = producer.burst();
    /// for i in 0..10u32 {
    ///     burst.push(i).unwrap();
    /// }
    /// drop(burst);
    /// producer.push(10).unwrap(); // the producer again, after its burst
    /// let mut seen = Vec::new();
    /// channel.consume_all(|v| seen.push(*v));
    /// assert_eq!(seen, (0..=10).collect::<Vec<_>>());
    /// ```
    pub fn burst(&mut self) -> Burst<'_, T> {
        Burst::new(self)
    }

    /// Lends the cursor to a [`Burst`]: its `tail` and cached limit, the
    /// limit left at the `tail` (RB-CUR-1).
    #[inline(always)]
    pub(super) fn lend_cursor(&self) -> (u64, u64) {
        self.cursor.lend()
    }

    /// Takes the cursor back from a [`Burst`] at the `tail` it published
    /// last and the limit it kept (RB-CUR-1).
    #[inline(always)]
    pub(super) fn give_back_cursor(&self, tail: u64, limit: u64) {
        self.cursor.give_back(tail, limit);
    }

    /// The producer's number, unique among live producers of the channel
    /// (a recycled ring's number is reused).
    pub fn id(&self) -> usize {
        self.id
    }

    /// Appends `value` to this producer's ring without waiting.
    ///
    /// # Errors
    /// [`PushError::Full`] when the ring is full, [`PushError::Closed`]
    /// when the channel is closed or its consumer is gone; both return
    /// `value`.
    // Always inlined: it is a handful of loads and stores, and when `send`
    // wraps it LLVM otherwise kept it out of line, which cost the default
    // configuration a call and a `Result` in memory per message.
    #[inline(always)]
    pub fn push(&self, value: T) -> Result<(), PushError<T>> {
        match self.try_push_with(|| value) {
            Ok(()) => Ok(()),
            Err(Unpushed::Full(make)) => Err(self.ring().full_or_closed(make())),
            Err(Unpushed::Closed(value)) => Err(PushError::Closed(value)),
        }
    }

    /// Appends `value`, waiting for room per the channel's wait strategy.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(1, 1, false)).unwrap(); // 2 slots
    /// let producer = channel.register().unwrap();
    /// let sender = std::thread::spawn(move || {
    ///     for i in 0..100u32 {
    ///         producer.send(i).unwrap(); // waits while the ring is full
    ///     }
    /// });
    /// let mut sum = 0;
    /// while let Ok(v) = channel.recv() {
    ///     sum += v;
    /// }
    /// sender.join().unwrap();
    /// assert_eq!(sum, 99 * 100 / 2);
    /// ```
    ///
    /// # Errors
    /// [`SendError`] holding `value` when the channel is closed or its
    /// consumer is gone.
    // Always inlined, as `push`: the wait is out of line (`#[cold]`), so
    // what is left is the push and a branch, and LLVM otherwise kept it out
    // of line in a producer loop.
    #[inline(always)]
    pub fn send(&self, value: T) -> Result<(), SendError<T>> {
        // A constant for each `T`: one of the two paths is compiled.
        if std::mem::size_of::<T>() <= SMALL_VALUE {
            return self.send_with(move || value);
        }
        let mut value = value;
        loop {
            match self.push(value) {
                Ok(()) => return Ok(()),
                Err(PushError::Closed(v)) => return Err(SendError(v)),
                Err(PushError::Full(v)) => value = v,
            }
            self.wait_for_room();
        }
    }

    /// Appends the value `make` builds, waiting for room per the channel's
    /// wait strategy, as [`send`](Self::send) does. `make` runs once a slot
    /// is free, so the value is built in its slot: for messages larger
    /// than a couple of words this is the fast way to send. With `send`,
    /// the value is built before the room check and, depending on how the
    /// caller's loop compiles, on the stack first and then copied (96-byte
    /// messages, 4 producers: 1.49× `send`).
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let producer = channel.register().unwrap();
    /// producer.send_with(|| [7u64; 12]).unwrap();
    /// assert_eq!(channel.recv(), Ok([7; 12]));
    /// ```
    ///
    /// # Errors
    /// [`SendError`] holding the value when the channel is closed or its
    /// consumer is gone (`make` runs to build it).
    #[inline(always)]
    pub fn send_with<F: FnOnce() -> T>(&self, make: F) -> Result<(), SendError<T>> {
        match self.try_push_with(make) {
            Ok(()) => Ok(()),
            Err(Unpushed::Closed(v)) => Err(SendError(v)),
            Err(Unpushed::Full(make)) => self.send_after_waiting(make),
        }
    }

    /// `send_with` once the ring was found full: waits for room, retries.
    /// Out of line, so that the fast path holds no retry loop (a value
    /// that goes round a loop lives in memory from the start).
    #[cold]
    #[inline(never)]
    fn send_after_waiting<F: FnOnce() -> T>(&self, make: F) -> Result<(), SendError<T>> {
        let mut make = make;
        loop {
            // A full ring that is closed never gets room for this value.
            if self.ring().is_closed() {
                return Err(SendError(make()));
            }
            self.wait_for_room();
            // The match repeats `send_with`'s: one helper returning a nested
            // `Result` for both measured 0.95-0.97x on single items (8 rounds).
            match self.try_push_with(make) {
                Ok(()) => return Ok(()),
                Err(Unpushed::Closed(v)) => return Err(SendError(v)),
                Err(Unpushed::Full(m)) => make = m,
            }
        }
    }

    /// Ready to retry a push: room in the ring, or closed.
    fn can_retry(&self) -> bool {
        let ring = self.ring();
        ring.is_closed() || ring.has_room(&self.cursor)
    }

    #[cold]
    fn wait_for_room(&self) {
        self.notifier().wait_producer(self.id, || self.can_retry(), None);
    }

    /// Appends `value` without blocking the thread: the async
    /// [`send`](Self::send), waiting for room in this producer's ring. The
    /// future is `Send` (it borrows the producer mutably), so it runs in
    /// `tokio::spawn` or any executor; under
    /// [`WaitStrategy::Park`](crate::WaitStrategy) a waiting task costs no
    /// CPU and is woken when *its* ring gets room.
    ///
    /// Cancel-safe: a future dropped before it completed has not sent its
    /// value (it is dropped with the future).
    ///
    /// ```
    /// # futures_executor_block_on(async {
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(1, 1, false)).unwrap(); // 2 slots
    /// let mut producer = channel.register().unwrap();
    /// let consumer = std::thread::spawn(move || {
    ///     let mut sum = 0;
    ///     while let Ok(v) = channel.recv() {
    ///         sum += v;
    ///     }
    ///     sum
    /// });
    /// for i in 0..100u32 {
    ///     producer.send_async(i).await.unwrap(); // waits while the ring is full
    /// }
    /// drop(producer);
    /// assert_eq!(consumer.join().unwrap(), 99 * 100 / 2);
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
    /// The future resolves to [`SendError`] holding `value` when the
    /// channel is closed or its consumer is gone.
    pub fn send_async(&mut self, value: T) -> SendFuture<'_, T> {
        SendFuture {
            producer: self,
            value: Some(value),
            registered: false,
        }
    }

    /// Reserves up to `n` contiguous slots for zero-copy writes (fewer at
    /// the wrap point); `None` when the ring is full or closed. `n == 0`
    /// gives an empty reservation.
    // Inlined, with the reservation's methods: out of line, the
    // reservation came back through memory and was copied on with wider
    // loads than the stores that wrote it, which the CPU cannot forward;
    // each such load waited for the store buffer to drain, full of slot
    // writes waiting for lines the consumer holds. Inlined, it stays in
    // registers: `spsc_batch64` 1.48x (15 alternated rounds); batches of
    // 8 1.11x from inlining `reserve`, then 1.57x from inlining the
    // reservation's methods (5 rounds each).
    #[inline]
    pub fn reserve(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        let after_publish = self.wake_target().map(|n| n as &dyn AfterPublish);
        // SAFETY: RB-UNIQ-1: `&mut self` of the ring's only producer, held
        // by the reservation.
        unsafe {
            self.ring()
                .reserve(&self.cursor, n, after_publish, CloseGuard::Needed)
        }
    }

    /// Like [`reserve`](Self::reserve), but waits (per the wait strategy)
    /// while the ring is full; `None` only when the channel is closed.
    ///
    /// ```
    /// use ringmpsc::{Channel, Config};
    ///
    /// let mut channel = Channel::new(Config::new(4, 1, false)).unwrap();
    /// let mut producer = channel.register().unwrap();
    /// let mut next = 0u64;
    /// while next < 10 {
    ///     // Fewer slots than asked come back at the wrap point: loop.
    ///     let reservation = producer.reserve_with_backoff(10 - next as usize).unwrap();
    ///     next += reservation.fill_with(|i| next + i as u64) as u64;
    /// }
    /// let mut seen = Vec::new();
    /// channel.consume_all(|v| seen.push(*v));
    /// assert!(seen.into_iter().eq(0..10));
    /// ```
    #[inline]
    pub fn reserve_with_backoff(&mut self, n: usize) -> Option<Reservation<'_, T>> {
        if n == 0 {
            // Zero slots need no room: an empty reservation, unless closed.
            return self.reserve(0);
        }
        loop {
            let ring = self.ring();
            if ring.is_closed() {
                return None;
            }
            if ring.has_room(&self.cursor) {
                // Only this producer fills the ring, so the room stays.
                return self.reserve(n);
            }
            self.wait_for_room();
        }
    }

    /// Registers another producer of the same channel, with its own ring
    /// (so no order holds between the two).
    ///
    /// # Errors
    /// As [`Channel::register`](crate::Channel::register).
    /// [`RegisterError::Unsupported`] for a producer of a
    /// `channel!`-generated channel, whose set of producers is fixed.
    pub fn try_clone(&self) -> Result<Producer<T>, RegisterError> {
        match &self.owner {
            Owner::Channel(shared) => Shared::register(shared),
            Owner::Fixed(_) => Err(RegisterError::Unsupported),
        }
    }

    /// `true` once the channel is closed or its consumer is gone.
    pub fn is_closed(&self) -> bool {
        self.ring().is_closed()
    }

    /// Slots in this producer's ring.
    pub fn capacity(&self) -> usize {
        self.ring().capacity()
    }
}

impl<T> Drop for Producer<T> {
    fn drop(&mut self) {
        match &self.owner {
            Owner::Channel(shared) => shared.release(self.id),
            Owner::Fixed(host) => host.drop_sender(),
        }
    }
}

/// The future of [`Producer::send_async`].
#[must_use = "futures do nothing unless polled"]
pub struct SendFuture<'a, T> {
    producer: &'a mut Producer<T>,
    /// `None` once sent or handed back.
    value: Option<T>,
    /// Counted among the producers waiting for room (WAIT-2).
    registered: bool,
}

// The value is never pinned: it moves in and out of the `Option`.
impl<T> Unpin for SendFuture<'_, T> {}

impl<T> Future for SendFuture<'_, T> {
    type Output = Result<(), SendError<T>>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let value = this.value.take().expect("`SendFuture` polled after it completed");
            match this.producer.push(value) {
                Ok(()) => return Poll::Ready(Ok(())),
                Err(PushError::Closed(v)) => return Poll::Ready(Err(SendError(v))),
                Err(PushError::Full(v)) => this.value = Some(v),
            }
            let producer = &*this.producer;
            let notifier = producer.notifier();
            let ready = || producer.can_retry();
            if notifier
                .poll_producer(producer.id, cx, ready, &mut this.registered)
                .is_pending()
            {
                return Poll::Pending;
            }
        }
    }
}

impl<T> Drop for SendFuture<'_, T> {
    fn drop(&mut self) {
        // WAIT-3: a finished or cancelled send leaves no waker behind.
        let id = self.producer.id;
        self.producer.notifier().cancel_producer(id, &mut self.registered);
    }
}

impl<T> fmt::Debug for SendFuture<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SendFuture")
            .field("sent", &self.value.is_none())
            .finish_non_exhaustive()
    }
}

impl<T> fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Producer")
            .field("id", &self.id)
            .field("closed", &self.is_closed())
            .finish()
    }
}

/// Registers producers from any thread; clonable, `Send + Sync`. Counts as
/// a potential sender: while one lives, receives do not report a disconnect.
pub struct Registrar<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Registrar<T> {
    pub(crate) fn new(shared: Arc<Shared<T>>) -> Self {
        shared.add_sender();
        Registrar { shared }
    }

    /// Registers a producer with its own ring.
    ///
    /// # Errors
    /// As [`Channel::register`](crate::Channel::register).
    pub fn register(&self) -> Result<Producer<T>, RegisterError> {
        Shared::register(&self.shared)
    }
}

impl<T> Clone for Registrar<T> {
    fn clone(&self) -> Self {
        Registrar::new(Arc::clone(&self.shared))
    }
}

impl<T> Drop for Registrar<T> {
    fn drop(&mut self) {
        self.shared.drop_sender();
    }
}

impl<T> fmt::Debug for Registrar<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Registrar").finish_non_exhaustive()
    }
}
