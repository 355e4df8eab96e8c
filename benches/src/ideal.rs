//! The limit rows: what no channel can beat on this machine.
//!
//! (a) One thread writing a ring-sized buffer and reading it back, with no
//! synchronisation at all. (b) An ideal cross-core SPSC ring: a plain
//! power-of-two buffer, one Release store of `tail` per chunk and one of
//! `head` per drain, cached indices, nothing else — no close flag, no
//! metrics, no waking. Invariant IDs refer to
//! `specs/ring-buffer-invariants.md`, whose protocol this ring follows.

use std::cell::UnsafeCell;
use std::hint::black_box;
use std::mem::MaybeUninit;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use crossbeam_utils::CachePadded;

use crate::msg::{expected_checksum, value, Msg};
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

/// (b): an ideal SPSC ring of `capacity` slots moving `total` messages in
/// chunks of `chunk`.
pub fn ideal_ring<M: Msg>(capacity: usize, total: u64, chunk: usize) -> Sample {
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
            let (mut tail, mut cached_head) = (0u64, 0u64);
            while tail < total {
                let n = (total - tail).min(chunk as u64);
                while capacity as u64 - (tail - cached_head) < n {
                    // Acquire: pairs with the consumer's Release of `head` (RB-ORD-2).
                    cached_head = ring.head.load(Ordering::Acquire);
                    std::hint::spin_loop();
                }
                for seq in tail..tail + n {
                    let slot = ring.slots[(seq & mask) as usize].get();
                    // SAFETY: RB-OWN-1: `seq < head + capacity`, so the slot
                    // is free and only this thread writes it.
                    unsafe { (*slot).write(M::new(value(0, seq))) };
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
        while head < total {
            // Acquire: pairs with the producer's Release of `tail` (RB-ORD-1).
            let tail = ring.tail.load(Ordering::Acquire);
            if tail == head {
                std::hint::spin_loop();
                continue;
            }
            for seq in head..tail {
                let slot = ring.slots[(seq & mask) as usize].get();
                // SAFETY: RB-OWN-2: `seq < tail`, the slot was written and
                // published; only this thread reads it.
                checksum = checksum.wrapping_add(unsafe { (*slot).assume_init_ref() }.fold());
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
