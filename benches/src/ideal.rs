//! The limit rows: what no channel can beat on this machine.
//!
//! (a) One thread writing a ring-sized buffer and reading it back, with no
//! synchronisation at all. (b) An ideal cross-core SPSC ring: a plain
//! power-of-two buffer, of the fastest size the workload's capacity allows
//! ([`ideal_ring`]), one Release store of `tail` per chunk and one of
//! `head` per drain, cached indices, nothing else — no close flag, no
//! metrics, no waking. Its producer writes single items below a cached
//! limit, as `ringmpsc`'s push does, and a chunk as contiguous runs,
//! long chunks into the room there is (as a reservation does), each
//! value made in its slot or the chunk made first and copied, whichever
//! runs faster (as the batch rows' libraries copy); its
//! consumer walks short batches with masked indices and long ones as runs,
//! backs off when it finds the ring empty and, finding only a few values
//! while the producer is still publishing, lets a batch gather first
//! (temporal slipping, as `ringmpsc`'s `ready`): the fastest of the
//! [`IdealVariant`]s that `bin/limit_study.rs` measures side by side, and
//! above every library there (DESIGN.md §6, rule 7). Invariant IDs refer
//! to `specs/ring-buffer-invariants.md`, whose protocol this ring follows.

use std::cell::UnsafeCell;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use crossbeam_utils::{Backoff, CachePadded};

use crate::msg::{expected_checksum, make_chunk, value, Msg};
use crate::workloads::{pin_consumer, pin_producer, Sample};

/// (a): `total` messages written into a `capacity`-slot buffer and read
/// back by the same thread, one buffer-full at a time.
pub fn single_thread<M: Msg>(capacity: usize, total: u64) -> Sample {
    let mut buf = vec![M::default(); capacity];
    let start = Instant::now();
    let (mut seq, mut checksum) = (0u64, 0u64);
    while seq < total {
        let n = (total - seq).min(capacity as u64) as usize;
        for (i, slot) in buf[..n].iter_mut().enumerate() {
            *slot = M::new(value(0, seq + i as u64));
        }
        // Keep the writes and the reads apart: no fusing them away.
        black_box(&mut buf);
        for m in &buf[..n] {
            checksum = checksum.wrapping_add(m.fold());
        }
        seq += n as u64;
    }
    Sample::new(total, checksum, expected_checksum::<M>(1, total), start.elapsed())
}

struct IdealRing<M> {
    slots: Box<[UnsafeCell<MaybeUninit<M>>]>,
    head: CachePadded<AtomicU64>,
    tail: CachePadded<AtomicU64>,
}

// SAFETY: RB-UNIQ-1: one producer thread and one consumer thread, each
// touching only the slots RB-OWN-1/RB-OWN-2 give it, ordered by RB-ORD-1/2.
unsafe impl<M: Send> Sync for IdealRing<M> {}

impl<M> IdealRing<M> {
    /// The slots of sequences `from..to` (`to - from <= capacity`) as at
    /// most two contiguous runs: to the end of the buffer, then from its
    /// start.
    fn runs(&self, from: u64, to: u64) -> [&[UnsafeCell<MaybeUninit<M>>]; 2] {
        let capacity = self.slots.len();
        let start = from as usize & (capacity - 1);
        let count = (to - from) as usize;
        let first = count.min(capacity - start);
        [&self.slots[start..start + first], &self.slots[..count - first]]
    }
}

/// What the ideal ring's consumer does when it finds the ring empty.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EmptyPoll {
    /// One `spin_loop` hint, then poll again.
    Spin,
    /// `crossbeam_utils::Backoff::snooze`, reset after every non-empty
    /// poll: what every polling consumer in the suite does.
    Backoff,
}

/// How the ideal ring's consumer walks the slots of a batch. (Its
/// producer writes a single item directly and a chunk as contiguous runs.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Walk {
    /// One masked index per item.
    Masked,
    /// At most two contiguous slice runs per batch.
    Runs,
    /// Masked up to [`SHORT_RUN`] items, runs above: what `ringmpsc`'s
    /// consumer does.
    Hybrid,
}

/// The longest batch [`Walk::Hybrid`] walks with masked indices.
pub const SHORT_RUN: u64 = 256;

impl Walk {
    /// Whether a batch of `count` items is walked as runs.
    fn runs(self, count: u64) -> bool {
        match self {
            Walk::Masked => false,
            Walk::Runs => true,
            Walk::Hybrid => count > SHORT_RUN,
        }
    }
}

/// How much of a chunk the ideal ring's producer writes at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// Waits until the whole chunk fits, then writes and publishes it:
    /// one `tail` store per chunk.
    Whole,
    /// Writes the room there is, up to the chunk, as soon as one slot is
    /// free: what `ringmpsc`'s `reserve` and `rtrb`'s `push_partial_slice`
    /// do. The same as [`Fill::Whole`] for single items.
    Available,
}

/// How the ideal ring's producer writes a chunk's values into its slots.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Write {
    /// Each value is made in its slot.
    Direct,
    /// The chunk is made in a buffer of the producer's first, then copied
    /// into the slots, as a user of a slice API (`ringmpsc`'s reservation,
    /// `rtrb`'s `push_partial_slice`) does, and as the batch rows do: in
    /// one `memcpy`, or for runs over a kilobyte as `ringmpsc`'s
    /// `copy_from_slice` copies them (`copy_asking_ahead`).
    Copy,
}

/// One configuration of the ideal ring, for the study that picks the
/// ceiling (`bin/limit_study.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdealVariant {
    /// The consumer's empty poll.
    pub empty: EmptyPoll,
    /// The batch walk.
    pub walk: Walk,
    /// Whether the consumer lets a batch gather while the producer is
    /// still publishing (temporal slipping, as `ringmpsc`'s `ready` does:
    /// see [`SLIP_TARGET`]).
    pub slip: bool,
    /// How the producer fills the ring with a chunk.
    pub fill: Fill,
    /// How the producer writes a chunk's values.
    pub write: Write,
}

/// The slipping consumer's target: with fewer values than this published,
/// it waits [`SLIP_PAUSES`] pauses and looks again, while the producer
/// keeps publishing, for at most [`SLIP_MAX`]. The same figures as
/// `ringmpsc`'s `ready` (specs WAIT-5), so the ceiling has what the
/// library has. One difference: this consumer also slips after polls
/// that found the ring empty, where `ready` hands a value that ended its
/// wait out at once; the ceiling keeps the wider slip, as the limit rows
/// of the report ran it.
pub const SLIP_TARGET: u64 = 256;
/// Pauses between two looks of a slipping consumer.
pub const SLIP_PAUSES: u32 = 8;
/// The longest a consumer slips.
pub const SLIP_MAX: std::time::Duration = std::time::Duration::from_micros(2);

impl IdealVariant {
    /// The configurations the limit rows try for chunks of `chunk`, the
    /// fastest of which is the ceiling. Chunks of [`LONG_CHUNK`] and more
    /// fill the room there is, as a `ringmpsc` reservation does: on a host
    /// where that reservation beat the whole-chunk ideal at 4096 (1.15×),
    /// filling the room raised the ideal's 4096 row 1.135× but cost its
    /// 64 row 0.87×, so each chunk length takes the fill that is fastest
    /// for it. Chunks are written both ways ([`Write`]): the batch rows'
    /// libraries copy a chunk made first, so the ceiling tries that too,
    /// although on an AMD EPYC guest it ran at 0.74× the direct writes at
    /// 4096 and 0.55× at 64 (`limit_study`, 9 and 7 rounds); each try
    /// costs the limit row a few milliseconds.
    pub fn ceilings(chunk: usize) -> Vec<IdealVariant> {
        let fill = if chunk >= LONG_CHUNK {
            Fill::Available
        } else {
            Fill::Whole
        };
        let writes: &[Write] = if chunk == 1 {
            // Single items are made in their slots, as a push does.
            &[Write::Direct]
        } else {
            &[Write::Direct, Write::Copy]
        };
        writes
            .iter()
            .map(|&write| IdealVariant::new(EmptyPoll::Backoff, Walk::Hybrid, true, fill, write))
            .collect()
    }

    const fn new(empty: EmptyPoll, walk: Walk, slip: bool, fill: Fill, write: Write) -> Self {
        IdealVariant {
            empty,
            walk,
            slip,
            fill,
            write,
        }
    }

    /// Every configuration, for the study.
    pub const ALL: [IdealVariant; 12] = [
        IdealVariant::new(EmptyPoll::Spin, Walk::Masked, false, Fill::Whole, Write::Direct),
        IdealVariant::new(EmptyPoll::Spin, Walk::Runs, false, Fill::Whole, Write::Direct),
        IdealVariant::new(EmptyPoll::Spin, Walk::Hybrid, false, Fill::Whole, Write::Direct),
        IdealVariant::new(
            EmptyPoll::Backoff,
            Walk::Masked,
            false,
            Fill::Whole,
            Write::Direct,
        ),
        IdealVariant::new(EmptyPoll::Backoff, Walk::Runs, false, Fill::Whole, Write::Direct),
        IdealVariant::new(
            EmptyPoll::Backoff,
            Walk::Hybrid,
            false,
            Fill::Whole,
            Write::Direct,
        ),
        IdealVariant::new(EmptyPoll::Spin, Walk::Hybrid, true, Fill::Whole, Write::Direct),
        IdealVariant::new(EmptyPoll::Backoff, Walk::Hybrid, true, Fill::Whole, Write::Direct),
        IdealVariant::new(
            EmptyPoll::Spin,
            Walk::Hybrid,
            true,
            Fill::Available,
            Write::Direct,
        ),
        IdealVariant::new(
            EmptyPoll::Backoff,
            Walk::Hybrid,
            true,
            Fill::Available,
            Write::Direct,
        ),
        IdealVariant::new(EmptyPoll::Backoff, Walk::Hybrid, true, Fill::Whole, Write::Copy),
        IdealVariant::new(
            EmptyPoll::Backoff,
            Walk::Hybrid,
            true,
            Fill::Available,
            Write::Copy,
        ),
    ];

    /// A short label, e.g. `backoff+runs`, with `+slip` when it slips,
    /// `+available` when it fills the room there is and `+copy` when it
    /// copies chunks made first.
    pub fn label(self) -> String {
        let empty = match self.empty {
            EmptyPoll::Spin => "spin",
            EmptyPoll::Backoff => "backoff",
        };
        let walk = match self.walk {
            Walk::Masked => "masked",
            Walk::Runs => "runs",
            Walk::Hybrid => "hybrid",
        };
        let slip = if self.slip { "+slip" } else { "" };
        let fill = match self.fill {
            Fill::Whole => "",
            Fill::Available => "+available",
        };
        let write = match self.write {
            Write::Direct => "",
            Write::Copy => "+copy",
        };
        format!("{empty}+{walk}{slip}{fill}{write}")
    }
}

/// The shortest chunk the ceiling writes into the room there is
/// ([`Fill::Available`]); shorter ones wait until the whole chunk fits.
pub const LONG_CHUNK: usize = 1024;

/// The smallest ring [`ideal_ring`] tries, unless [`MIN_RING_BYTES`]
/// allows fewer slots.
pub const MIN_RING_SLOTS: usize = 1024;

/// The bytes of the smallest ring [`ideal_ring`] tries for large messages:
/// `ringmpsc` keeps its producer to the first 16 KiB of slots while its
/// consumer keeps up (its window, RB-WIN-1), so the ceiling tries a ring
/// that small too (128 slots of 96 bytes).
pub const MIN_RING_BYTES: usize = 16 * 1024;

/// The ring sizes [`ideal_ring`] tries for a workload of `capacity` slots
/// of `slot_bytes` bytes and chunks of `chunk`: every power of two from
/// [`MIN_RING_SLOTS`] or the most that fit in [`MIN_RING_BYTES`], if
/// fewer (or from the chunk, if longer), up to `capacity`.
pub fn ring_sizes(capacity: usize, chunk: usize, slot_bytes: usize) -> impl Iterator<Item = usize> {
    let in_bytes = MIN_RING_BYTES / slot_bytes.max(1);
    let fewest = if in_bytes < MIN_RING_SLOTS {
        // The largest power of two not above `in_bytes`.
        1 << (usize::BITS - 1 - in_bytes.max(1).leading_zeros())
    } else {
        MIN_RING_SLOTS
    };
    let smallest = fewest.max(chunk).next_power_of_two().min(capacity);
    std::iter::successors(Some(smallest), move |&slots| {
        Some(slots * 2).filter(|&s| s <= capacity)
    })
}

/// (b): the ideal SPSC ring moving `total` messages in chunks of `chunk`,
/// in the fastest of its ceiling configurations for that chunk
/// ([`IdealVariant::ceilings`]) and with the fastest ring that a
/// workload of `capacity` slots allows: each configuration runs once on
/// each of [`ring_sizes`] and the fastest sample is returned (an inexact
/// one first, so that a lost message is never hidden). A ring that fits
/// in the L1 cache runs far faster than one of 16384 `u64` slots (on an
/// AMD EPYC host, 2048 slots at 1.3× on single items and 2.2× at chunks
/// of 64; `limit_study` shows every size), and `ringmpsc` with 8
/// producers, each on a ring of 2048 slots, had beaten the 16384-slot
/// ideal ring (DESIGN.md §6, rule 7).
pub fn ideal_ring<M: Msg>(capacity: usize, total: u64, chunk: usize) -> Sample {
    let mut best: Option<Sample> = None;
    for variant in IdealVariant::ceilings(chunk) {
        for slots in ring_sizes(capacity, chunk, std::mem::size_of::<M>()) {
            let sample = ideal_ring_with::<M>(slots, total, chunk, variant);
            if !sample.exact() {
                return sample;
            }
            if best.is_none_or(|b| sample.rate() > b.rate()) {
                best = Some(sample);
            }
        }
    }
    best.expect("at least one configuration and ring size")
}

/// [`ideal_ring`] in configuration `variant`.
pub fn ideal_ring_with<M: Msg>(capacity: usize, total: u64, chunk: usize, variant: IdealVariant) -> Sample {
    ideal_ring_run::<M>(capacity, total, chunk, variant, PushExtras::NONE)
}

/// Work a library's single push does that the ideal one does not, added
/// to the ideal producer of single items to measure what each costs
/// (`push_cost_study`). Never part of the ceiling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PushExtras {
    /// After each publish, load a byte of another line and test it, as
    /// `ringmpsc`'s push loads its channel's `signal` for the wake and
    /// close checks (WAIT-1, CH-CLOSE-1). Nothing ever writes that byte.
    pub signal: bool,
    /// Load `tail` from a cursor on a line of its own before each push and
    /// store it back after, as a push through `&self` does (`ringmpsc`'s
    /// `Producer::send`; a `Burst` keeps it in registers).
    pub cursor: bool,
}

impl PushExtras {
    /// The ideal push.
    pub const NONE: PushExtras = PushExtras {
        signal: false,
        cursor: false,
    };

    /// A short label: "ideal", "+signal", "+cursor", "+signal+cursor".
    pub fn label(self) -> String {
        match (self.signal, self.cursor) {
            (false, false) => "ideal".to_string(),
            (signal, cursor) => format!(
                "{}{}",
                if signal { "+signal" } else { "" },
                if cursor { "+cursor" } else { "" }
            ),
        }
    }
}

/// The ideal ring of `capacity` slots moving `total` single items in
/// configuration `variant`, its producer doing `extras` on every push
/// ([`PushExtras`]).
pub fn ideal_single_with_extras<M: Msg>(
    capacity: usize,
    total: u64,
    variant: IdealVariant,
    extras: PushExtras,
) -> Sample {
    ideal_ring_run::<M>(capacity, total, 1, variant, extras)
}

fn ideal_ring_run<M: Msg>(
    capacity: usize,
    total: u64,
    chunk: usize,
    variant: IdealVariant,
    extras: PushExtras,
) -> Sample {
    assert!(capacity.is_power_of_two() && chunk <= capacity);
    let ring = IdealRing::<M> {
        slots: (0..capacity)
            .map(|_| UnsafeCell::new(MaybeUninit::uninit()))
            .collect(),
        head: CachePadded::new(AtomicU64::new(0)),
        tail: CachePadded::new(AtomicU64::new(0)),
    };
    let mask = capacity as u64 - 1;
    let start_line = Barrier::new(2);
    let (checksum, elapsed) = thread::scope(|s| {
        let ring = &ring;
        let start_line = &start_line;
        s.spawn(move || {
            pin_producer(0);
            start_line.wait();
            if chunk == 1 {
                // Each combination is its own loop, so the ceiling's
                // carries no test for the extras.
                match (extras.signal, extras.cursor) {
                    (false, false) => produce_single::<M, false, false>(ring, total),
                    (true, false) => produce_single::<M, true, false>(ring, total),
                    (false, true) => produce_single::<M, false, true>(ring, total),
                    (true, true) => produce_single::<M, true, true>(ring, total),
                }
                return;
            }
            let (mut tail, mut cached_head) = (0u64, 0u64);
            // `Write::Copy`'s chunk, made before any of it is sent: values
            // of sequences `staged_from..staged_to`.
            let mut staging: Vec<M> = Vec::with_capacity(chunk);
            let (mut staged_from, mut staged_to) = (0u64, 0u64);
            while tail < total {
                let wanted = match variant.write {
                    Write::Direct => (total - tail).min(chunk as u64),
                    Write::Copy => {
                        if tail == staged_to {
                            staged_from = tail;
                            staged_to = (tail + chunk as u64).min(total);
                            make_chunk(&mut staging, 0, staged_from..staged_to);
                        }
                        staged_to - tail
                    }
                };
                // The room to wait for: the whole chunk, or one slot.
                let needed = match variant.fill {
                    Fill::Whole => wanted,
                    Fill::Available => 1,
                };
                if capacity as u64 - (tail - cached_head) < wanted {
                    // Acquire: pairs with the consumer's Release of `head` (RB-ORD-2).
                    cached_head = ring.head.load(Ordering::Acquire);
                    while capacity as u64 - (tail - cached_head) < needed {
                        std::hint::spin_loop();
                        // Acquire: as above.
                        cached_head = ring.head.load(Ordering::Acquire);
                    }
                }
                let n = wanted.min(capacity as u64 - (tail - cached_head));
                if variant.write == Write::Copy {
                    let mut staged = &staging[(tail - staged_from) as usize..][..n as usize];
                    for run in ring.runs(tail, tail + n) {
                        let (now, rest) = staged.split_at(run.len());
                        // SAFETY: RB-OWN-1: every slot of the run is below
                        // `head + capacity`, free, and only this thread
                        // writes it; `UnsafeCell<MaybeUninit<M>>` has `M`'s
                        // layout, the run holds `now.len()` of them, and
                        // `staging` is not the ring.
                        unsafe { copy_asking_ahead(now, UnsafeCell::raw_get(run.as_ptr()).cast::<M>()) };
                        staged = rest;
                    }
                } else if n == 1 {
                    let slot = ring.slots[(tail & mask) as usize].get();
                    // SAFETY: RB-OWN-1: `tail < head + capacity`, so the
                    // slot is free and only this thread writes it.
                    unsafe { (*slot).write(M::new(value(0, tail))) };
                    // The line 1024 bytes ahead, fetched for writing once
                    // per line, as ringmpsc's push does.
                    if tail.is_multiple_of(Prefetch::<M>::SLOTS_PER_LINE) {
                        prefetch_write(ring.slots[((tail + Prefetch::<M>::AHEAD) & mask) as usize].get());
                    }
                } else {
                    // A chunk is written as (at most) two contiguous runs:
                    // measured faster than masked writes for 64 items and
                    // more, and it is what `ringmpsc`'s reservation does.
                    let mut seq = tail;
                    for run in ring.runs(tail, tail + n) {
                        for slot in run {
                            // SAFETY: RB-OWN-1: every slot of the runs is
                            // below `head + capacity`, free, and only this
                            // thread writes it.
                            unsafe { (*slot.get()).write(M::new(value(0, seq))) };
                            seq += 1;
                        }
                    }
                }
                tail += n;
                // Release: publishes the chunk (RB-ORD-1).
                ring.tail.store(tail, Ordering::Release);
            }
        });
        pin_consumer();
        start_line.wait();
        let start = Instant::now();
        let (mut head, mut checksum) = (0u64, 0u64);
        let backoff = Backoff::new();
        while head < total {
            // Acquire: pairs with the producer's Release of `tail` (RB-ORD-1).
            let tail = ring.tail.load(Ordering::Acquire);
            if tail == head {
                match variant.empty {
                    EmptyPoll::Spin => std::hint::spin_loop(),
                    EmptyPoll::Backoff => backoff.snooze(),
                }
                continue;
            }
            backoff.reset();
            let tail = if variant.slip {
                slip(
                    &ring.tail,
                    head,
                    tail,
                    (capacity as u64 / 2).clamp(1, SLIP_TARGET),
                )
            } else {
                tail
            };
            match variant.walk.runs(tail - head) {
                false => {
                    for seq in head..tail {
                        let slot = ring.slots[(seq & mask) as usize].get();
                        // SAFETY: RB-OWN-2: `seq < tail`, the slot was written
                        // and published; only this thread reads it.
                        checksum = checksum.wrapping_add(unsafe { (*slot).assume_init_ref() }.fold());
                    }
                }
                true => {
                    for run in ring.runs(head, tail) {
                        for slot in run {
                            // SAFETY: RB-OWN-2, as above: every slot of the
                            // runs is below `tail`.
                            checksum =
                                checksum.wrapping_add(unsafe { (*slot.get()).assume_init_ref() }.fold());
                        }
                    }
                }
            }
            head = tail;
            // Release: the reads are done before the producer reuses the
            // slots (RB-ORD-2).
            ring.head.store(head, Ordering::Release);
        }
        (checksum, start.elapsed())
    });
    Sample::new(total, checksum, expected_checksum::<M>(1, total), elapsed)
}

/// The ideal consumer's slip: `tail` was just loaded with values after
/// `head`, fewer than `target`; look again every [`SLIP_PAUSES`] pauses
/// until `target` are published, a look finds nothing new, or
/// [`SLIP_MAX`] passes. Returns the last `tail` seen.
fn slip(published: &AtomicU64, head: u64, mut tail: u64, target: u64) -> u64 {
    if tail - head >= target {
        return tail;
    }
    let start = Instant::now();
    loop {
        (0..SLIP_PAUSES).for_each(|_| std::hint::spin_loop());
        // Acquire: pairs with the producer's Release of `tail` (RB-ORD-1).
        let now = published.load(Ordering::Acquire);
        if now - head >= target || now == tail {
            return now;
        }
        tail = now;
        if start.elapsed() >= SLIP_MAX {
            return tail;
        }
    }
}

/// The producer of single items: a cached limit (the `head` it last saw
/// plus the capacity), so each push costs one compare before its slot
/// write and `tail` store, and `head` is loaded only at the limit. The
/// general loop's room arithmetic and chunk bookkeeping ran slower than
/// `ringmpsc`'s push, which keeps such a limit: on an AMD EPYC guest,
/// `ringmpsc` on one ring of 2048 slots ran 1.15× the ideal ring of 2048
/// slots (12 alternated rounds) after its push lost its skip test.
///
/// `SIGNAL` and `CURSOR` add the [`PushExtras`] of those names.
fn produce_single<M: Msg, const SIGNAL: bool, const CURSOR: bool>(ring: &IdealRing<M>, total: u64) {
    let capacity = ring.slots.len() as u64;
    let mask = capacity - 1;
    let (mut tail, mut limit) = (0u64, capacity);
    // Each on a line of its own, on the heap as a channel's are; behind
    // `black_box` so that the compiler keeps every access.
    let signal = Box::new(CachePadded::new(AtomicU8::new(0)));
    let signal: &AtomicU8 = black_box(&signal);
    let cursor = Box::new(CachePadded::new(AtomicU64::new(0)));
    let cursor: &AtomicU64 = black_box(&cursor);
    while tail < total {
        if CURSOR {
            // Relaxed: only this thread touches the cursor; atomic so that
            // the load and the store stay in the loop, as through `Cell`s
            // behind `&self`.
            tail = cursor.load(Ordering::Relaxed);
        }
        if tail == limit {
            // Acquire: pairs with the consumer's Release of `head` (RB-ORD-2).
            let mut head = ring.head.load(Ordering::Acquire);
            while head + capacity == tail {
                std::hint::spin_loop();
                // Acquire: as above.
                head = ring.head.load(Ordering::Acquire);
            }
            limit = head + capacity;
        }
        // SAFETY: the index is masked below the capacity, a power of two
        // (`ideal_ring_with` asserts it), and RB-OWN-1: `tail < head +
        // capacity`, so the slot is free and only this thread writes it.
        unsafe {
            let slot = ring.slots.get_unchecked((tail & mask) as usize).get();
            (*slot).write(M::new(value(0, tail)));
        }
        // The line 1024 bytes ahead, fetched for writing once per line, as
        // ringmpsc's push does.
        if tail.is_multiple_of(Prefetch::<M>::SLOTS_PER_LINE) {
            // SAFETY: masked below the capacity, as above; a hint touches no slot.
            prefetch_write(
                unsafe {
                    ring.slots
                        .get_unchecked(((tail + Prefetch::<M>::AHEAD) & mask) as usize)
                }
                .get(),
            );
        }
        tail += 1;
        // Release: publishes the slot (RB-ORD-1).
        ring.tail.store(tail, Ordering::Release);
        // Relaxed: nothing writes the byte; only the load's cost counts.
        if SIGNAL && signal.load(Ordering::Relaxed) != 0 {
            unreachable!("nothing raises the study's signal");
        }
        if CURSOR {
            // Relaxed: as the load above.
            cursor.store(tail, Ordering::Relaxed);
        }
    }
}

/// The write prefetch's spacing for `M`, as constants: computed at run
/// time inside the producer's closure, LLVM kept a `div` per message in
/// the loop (80 % of the producer's samples), which held the ideal ring
/// below ringmpsc on single items.
struct Prefetch<M>(std::marker::PhantomData<M>);

impl<M> Prefetch<M> {
    const SIZE: usize = if std::mem::size_of::<M>() == 0 {
        1
    } else {
        std::mem::size_of::<M>()
    };
    /// Slots per 64-byte line: the prefetch is issued once per line.
    const SLOTS_PER_LINE: u64 = max1(64 / Self::SIZE);
    /// How many slots ahead of `tail` the prefetched line starts (1024
    /// bytes, as ringmpsc's push).
    const AHEAD: u64 = max1(1024 / Self::SIZE);
}

/// Runs of more than this many bytes are copied a chunk at a time, with
/// the lines [`COPY_AHEAD`] bytes past each chunk asked for first: what
/// ringmpsc's `Reservation::copy_from_slice` does (its figures are there).
const COPY_CHUNK: usize = 1024;
/// See [`COPY_CHUNK`].
const COPY_AHEAD: usize = 4096;

/// Copies `src` to `dst` as ringmpsc's long copies do: in one go up to
/// [`COPY_CHUNK`] bytes, else a chunk at a time, each preceded by the
/// write prefetch of the lines up to [`COPY_AHEAD`] bytes past it.
///
/// # Safety
/// `dst` is valid for writes of `src.len()` values and does not overlap
/// `src`.
unsafe fn copy_asking_ahead<M: Copy>(src: &[M], dst: *mut M) {
    let bytes = std::mem::size_of_val(src);
    let (from, to) = (src.as_ptr().cast::<u8>(), dst.cast::<u8>());
    let (mut done, mut asked) = (0, COPY_CHUNK);
    while done < bytes {
        // Up to `COPY_CHUNK` bytes this is one copy and no ask (`asked`
        // starts past the end).
        let end = (done + COPY_CHUNK).min(bytes);
        while asked < (end + COPY_AHEAD).min(bytes) {
            prefetch_write(to.wrapping_add(asked));
            asked += 64;
        }
        // SAFETY: the caller's promise; `done..end` is inside both.
        unsafe { std::ptr::copy_nonoverlapping(from.add(done), to.add(done), end - done) };
        done = end;
    }
}

const fn max1(n: usize) -> u64 {
    if n == 0 {
        1
    } else {
        n as u64
    }
}

/// Fetches the cache line of `address` for writing (`prefetchw`); a hint
/// that accesses no memory, a no-op off x86-64.
#[inline(always)]
fn prefetch_write<T>(address: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: HINT-1 (specs/ring-buffer-invariants.md): `prefetchw`
    // accesses no memory architecturally and cannot fault, whatever the
    // address.
    unsafe {
        std::arch::asm!("prefetchw [{0}]", in(reg) address, options(nostack, preserves_flags, readonly));
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = address;
}
