//! The SPSC ring on its own: push, reserve/commit, consume, drop.
//! Invariant IDs refer to specs/ring-buffer-invariants.md.
// Real threads: under `--cfg loom` only the lib's `loom_*` models run.
#![cfg(not(loom))]

mod common;

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};

use common::{count, drops, DropCounter};
use proptest::prelude::*;
use ringmpsc::{Config, PushError, Ring};

fn ring<T>(bits: u8) -> Ring<T> {
    Ring::new(Config::new(bits, 1, false)).unwrap()
}

/// RB-CLOSE-1 and error contract: the value comes back on a full ring.
#[test]
fn push_on_full_ring_returns_the_value() {
    let r = ring::<String>(1);
    r.push("a".into()).unwrap();
    r.push("b".into()).unwrap();
    match r.push("c".into()) {
        Err(PushError::Full(v)) => assert_eq!(v, "c"),
        other => panic!("expected Full, got {other:?}"),
    }
    assert_eq!(r.pop().as_deref(), Some("a"));
    r.push("c".into()).unwrap();
    r.close();
    assert_eq!(r.push("d".into()).unwrap_err().into_inner(), "d");
    // RB-CLOSE-1: committed values are still drained after close.
    let mut seen = Vec::new();
    r.consume_batch_owned(|s| seen.push(s));
    assert_eq!(seen, ["b", "c"]);
}

/// Config validation reaches `Ring::new`.
#[test]
fn ring_new_rejects_out_of_range_config() {
    let e = Ring::<u8>::new(Config::new(0, 1, false)).unwrap_err();
    assert_eq!(e.field, "ring_bits");
    assert!(Ring::<u8>::new(Config::new(21, 1, false)).is_err());
    assert!(Ring::<u8>::new(Config::new(20, 1, false)).is_ok());
}

/// RB-SEQ-2, RB-PUB-1: reservations on tiny rings wrap correctly and
/// never hand out more than is contiguous.
#[test]
fn wrap_around_reservations_on_tiny_rings() {
    for bits in 1..=3u8 {
        let mut r = ring::<u64>(bits);
        let cap = 1usize << bits;
        let mut next = 0u64;
        let mut expected = 0u64;
        for round in 0..200usize {
            let want = round % (cap + 2) + 1;
            let mut left = want;
            while left > 0 {
                let Some(res) = r.reserve(left) else { break };
                assert!(res.len() <= left && res.len() <= cap);
                let n = res.fill_with(|i| next + i as u64);
                next += n as u64;
                left -= n;
            }
            let mut got = Vec::new();
            r.consume_up_to(round % 3 + 1, |v| got.push(*v));
            r.consume_batch(|v| got.push(*v));
            for v in got {
                assert_eq!(v, expected, "FIFO across the wrap (bits {bits})");
                expected += 1;
            }
        }
        assert_eq!(expected, next);
        assert!(r.is_empty());
    }
}

/// RB-PUB-1, RESV-1: `copy_from_slice` of more than a kilobyte (copied a
/// chunk at a time, the lines ahead asked for) writes every byte of every
/// value, also where a chunk ends inside a value, stops at the reservation's
/// end (the wrap point) and publishes exactly what it copied.
#[test]
fn long_copies_from_slices_publish_every_value_whole() {
    /// 96 bytes: 1024-byte chunks end inside values.
    type Wide = [u32; 24];
    let wide = |i: u32| -> Wide { std::array::from_fn(|k| i * 100 + k as u32) };

    let mut r = ring::<u64>(10);
    let values: Vec<u64> = (0..1000).map(|i| i * 7 + 1).collect();
    let mut sent = 0;
    // 1000 values, then 1000 more that reach the wrap point at 1024.
    for _ in 0..2 {
        let res = r.reserve(values.len()).unwrap();
        let expected = res.len().min(values.len());
        assert_eq!(res.copy_from_slice(&values), expected);
        let mut got = Vec::new();
        r.consume_batch(|v| got.push(*v));
        assert_eq!(got, values[..expected], "every value, whole and in order");
        sent += expected;
    }
    assert_eq!(sent, 1000 + 24, "the second copy stopped at the wrap point");

    let mut r = ring::<Wide>(6);
    let values: Vec<Wide> = (0..50).map(wide).collect();
    let res = r.reserve(50).unwrap();
    assert_eq!(res.copy_from_slice(&values), 50);
    let mut got = Vec::new();
    r.consume_batch(|v| got.push(*v));
    assert_eq!(got, values);
}

/// RB-PUB-1: the safe helpers publish exactly what they wrote.
#[test]
fn safe_fill_helpers_publish_only_written_slots() {
    let mut r = ring::<u32>(3);
    let res = r.reserve(8).unwrap();
    assert_eq!(res.write_iter([1, 2, 3]), 3);
    assert_eq!(r.len(), 3);
    let res = r.reserve(2).unwrap();
    assert_eq!(res.copy_from_slice(&[4, 5, 6, 7]), 2);
    {
        // Uncommitted: publishes nothing.
        let mut res = r.reserve(3).unwrap();
        res.as_mut_slice()[0].write(99);
    }
    let mut res = r.reserve(3).unwrap();
    for (i, slot) in res.as_mut_slice().iter_mut().enumerate() {
        slot.write(10 + i as u32);
    }
    // SAFETY: every slot was written above.
    unsafe { res.commit_n(2) };
    let mut seen = Vec::new();
    r.consume_batch(|v| seen.push(*v));
    assert_eq!(seen, [1, 2, 3, 4, 5, 10, 11]);
    // Zero slots always fit: an empty reservation, which publishes nothing.
    assert!(r
        .reserve(0)
        .is_some_and(|res| res.is_empty() && res.fill_with(|_| 0) == 0));
}

/// RB-DROP-1: consumed, left in the ring at drop, and left after close are
/// each dropped exactly once.
#[test]
fn every_value_is_dropped_exactly_once() {
    let d = drops();
    {
        let r = ring::<DropCounter>(3);
        for i in 0..6 {
            r.push(DropCounter::new(i, &d)).unwrap();
        }
        assert_eq!(r.consume_up_to(2, |_| {}), 2);
        assert_eq!(count(&d), 2, "consumed by reference: dropped after the handler");
        let mut kept = Vec::new();
        r.consume_up_to_owned(1, |v| kept.push(v));
        assert_eq!(count(&d), 2, "owned values belong to the handler");
        drop(kept);
        assert_eq!(count(&d), 3);
        r.close();
        assert!(r.push(DropCounter::new(9, &d)).is_err());
        assert_eq!(count(&d), 4, "the returned value was dropped by the caller");
    }
    assert_eq!(count(&d), 7, "the 3 left in the ring are dropped with it");
}

thread_local! {
    /// Drops of [`Homed`] values on this thread: (all, away from home).
    static HOMED_DROPS: std::cell::Cell<(usize, usize)> = const { std::cell::Cell::new((0, 0)) };
}

/// A value that knows the address it was written at: its drop counts
/// itself, and whether it was moved away from there first.
struct Homed(usize);

impl Drop for Homed {
    fn drop(&mut self) {
        let moved = usize::from(self as *const Homed as usize != self.0);
        HOMED_DROPS.with(|d| d.set((d.get().0 + 1, d.get().1 + moved)));
    }
}

/// Writes a [`Homed`] into every slot: each keeps its slot's address.
fn write_homed(slots: &mut [std::mem::MaybeUninit<Homed>]) {
    for slot in slots {
        let home = slot.as_ptr() as usize;
        slot.write(Homed(home));
    }
}

/// RB-DROP-1, CH-DROP-1: the values left queued when a ring, or a
/// channel's consumer end, goes away are dropped where they sit, not moved
/// out first (a large value would cost a copy, and a stack frame of its
/// size, each). Written in place through reservations, so that each knows
/// its slot's address.
#[test]
fn values_left_queued_are_dropped_in_their_slots() {
    let mut r = ring::<Homed>(3);
    let mut reservation = r.reserve(5).unwrap();
    write_homed(reservation.as_mut_slice());
    // SAFETY: `write_homed` wrote every reserved slot.
    assert_eq!(unsafe { reservation.commit() }, 5);
    drop(r);
    assert_eq!(HOMED_DROPS.get(), (5, 0), "(dropped, moved first) for a ring");

    let ch = ringmpsc::Channel::<Homed>::new(Config::new(3, 1, false)).unwrap();
    let mut producer = ch.register().unwrap();
    let mut reservation = producer.reserve(6).unwrap();
    write_homed(reservation.as_mut_slice());
    // SAFETY: as above.
    assert_eq!(unsafe { reservation.commit() }, 6);
    drop(ch);
    assert_eq!(
        HOMED_DROPS.get(),
        (11, 0),
        "(dropped, moved first) with a channel's"
    );
}

/// RB-PANIC-1, RB-DROP-1: a panicking handler consumes what it was handed,
/// leaves the rest, and the ring stays usable.
#[test]
fn handler_panic_mid_batch() {
    let d = drops();
    let r = ring::<DropCounter>(3);
    for i in 0..5 {
        r.push(DropCounter::new(i, &d)).unwrap();
    }
    let result = catch_unwind(AssertUnwindSafe(|| {
        r.consume_batch(|v| {
            if v.value == 2 {
                panic!("boom");
            }
        })
    }));
    assert!(result.is_err());
    assert_eq!(
        count(&d),
        3,
        "0, 1 and the panicking 2 were handed out and dropped"
    );
    assert_eq!(r.len(), 2);
    let mut rest = Vec::new();
    r.consume_batch(|v| rest.push(v.value));
    assert_eq!(rest, [3, 4]);
    r.push(DropCounter::new(5, &d)).unwrap();
    drop(r);
    assert_eq!(count(&d), 6);
}

/// RB-PANIC-1, RB-DROP-1 across the wrap: the batch is read as two runs
/// (buffer end, then buffer start); a panic in the second run consumes
/// exactly what was handed out, and FIFO order holds afterwards.
#[test]
fn handler_panic_in_the_wrapped_run() {
    let d = drops();
    let r = ring::<DropCounter>(3); // 8 slots
    for i in 0..6 {
        r.push(DropCounter::new(i, &d)).unwrap();
    }
    let mut first = Vec::new();
    r.consume_batch(|v| first.push(v.value));
    assert_eq!(first, [0, 1, 2, 3, 4, 5]);
    // head = 6: values 6 and 7 sit at the end of the buffer, 8.. at its start.
    for i in 6..12 {
        r.push(DropCounter::new(i, &d)).unwrap();
    }
    let mut seen = Vec::new();
    let result = catch_unwind(AssertUnwindSafe(|| {
        r.consume_batch(|v| {
            seen.push(v.value);
            if v.value == 9 {
                panic!("boom");
            }
        })
    }));
    assert!(result.is_err());
    assert_eq!(seen, [6, 7, 8, 9]);
    assert_eq!(count(&d), 10, "0..=9 were handed out and dropped");
    let mut rest = Vec::new();
    r.consume_batch(|v| rest.push(v.value));
    assert_eq!(rest, [10, 11]);
    assert_eq!(count(&d), 12);
}

/// RB-STAGE-1, RB-PANIC-1, RB-DROP-1: a by-value drain of small values
/// copies a stage of them out before handing any out. A panic in the first
/// stage or a later one leaves every value not yet handed out queued, in
/// order, and each value is dropped exactly once (the staged copies of the
/// rest are forgotten, not dropped).
#[test]
fn handler_panic_mid_stage_leaves_the_staged_values_queued() {
    assert!(
        std::mem::size_of::<DropCounter>() <= 16,
        "a value small enough to be staged"
    );
    for panic_at in [3, 40] {
        let d = drops();
        let r = ring::<DropCounter>(6); // 64 slots
        for i in 0..50 {
            r.push(DropCounter::new(i, &d)).unwrap();
        }
        let mut seen = Vec::new();
        let result = catch_unwind(AssertUnwindSafe(|| {
            r.consume_batch_owned(|v| {
                seen.push(v.value);
                if v.value == panic_at {
                    panic!("boom");
                }
            })
        }));
        assert!(result.is_err());
        assert!(seen.iter().copied().eq(0..=panic_at));
        assert_eq!(
            count(&d),
            panic_at as usize + 1,
            "only the values handed out were dropped"
        );
        assert_eq!(r.len(), 49 - panic_at as usize);
        let mut rest = Vec::new();
        r.consume_batch_owned(|v| rest.push(v.value));
        assert!(
            rest.iter().copied().eq(panic_at + 1..50),
            "the rest, once each, in order"
        );
        assert_eq!(count(&d), 50);
        drop(r);
        assert_eq!(count(&d), 50, "nothing dropped twice");
    }
}

/// RB-REL-1: a batch that fills the ring frees its slots as their values
/// are handed out, a cache line at a time, or a value at a time in a ring
/// of at most 8 lines, so the producer gets room while the handlers still
/// run; what it pushes then waits for the next call, after the batch, in
/// order.
#[test]
fn a_full_batch_frees_its_slots_while_it_is_handed_out() {
    fn check<T: Copy + PartialEq + std::fmt::Debug>(bits: u8, make: fn(u64) -> T) {
        let size = std::mem::size_of::<T>();
        let capacity = 1usize << bits;
        let per_line = (64 / size).max(1);
        let step = if capacity <= 8 * per_line { 1 } else { per_line };
        let r = ring::<T>(bits); // no window: the rings are small
        for i in 0..capacity as u64 {
            r.push(make(i)).unwrap();
        }
        assert!(r.push(make(999)).is_err(), "full before the drain");
        // Each handler pushes once. When the handler of value `i` runs,
        // `i + 1` values are taken, and the slots of the whole steps among
        // them are free.
        let (mut handed, mut pushed) = (Vec::new(), 0u64);
        let taken = r.consume_batch_owned(|v| {
            let i = handed.len();
            let freed = (i + 1) / step * step;
            let room = r.push(make(capacity as u64 + pushed)).is_ok();
            assert_eq!(
                room,
                freed as u64 > pushed,
                "{size}-byte values, {capacity} slots, handler {i}"
            );
            pushed += room as u64;
            handed.push(v);
        });
        assert_eq!(taken, capacity, "the batch is what was queued when it began");
        assert!(handed.iter().copied().eq((0..capacity as u64).map(make)), "FIFO");
        assert!(
            pushed >= step as u64,
            "{size}-byte values: room came during the batch"
        );
        let mut rest = Vec::new();
        r.consume_batch_owned(|v| rest.push(v));
        assert!(
            rest.iter()
                .copied()
                .eq((capacity as u64..capacity as u64 + pushed).map(make)),
            "refills come next, in order"
        );
    }
    check::<u64>(4, |i| i); // staged (RB-STAGE-1), 16 slots in 2 lines: each value
    check::<u64>(7, |i| i); // 128 slots in 16 lines: 8 to a line
    check::<[u64; 4]>(4, |i| [i; 4]); // read from the slots, 16 slots in 8 lines: each value
    check::<[u64; 4]>(5, |i| [i; 4]); // 32 slots in 16 lines: 2 to a line
}

/// RB-DROP-1: a fill whose closure panics drops what it wrote and
/// publishes nothing.
#[test]
fn panicking_fill_drops_written_values() {
    let d = drops();
    let mut r = ring::<DropCounter>(3);
    let res = r.reserve(4).unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        res.fill_with(|i| {
            if i == 2 {
                panic!("fill")
            } else {
                DropCounter::new(i as u64, &d)
            }
        })
    }));
    assert!(result.is_err());
    assert_eq!(count(&d), 2);
    assert!(r.is_empty());
}

/// A nested consume from inside a handler is turned away (RB-UNIQ-1).
#[test]
fn nested_consume_returns_zero() {
    let r = ring::<u8>(2);
    r.push(1).unwrap();
    r.push(2).unwrap();
    let mut inner = usize::MAX;
    let outer = r.consume_up_to(1, |_| inner = r.consume_batch(|_| {}));
    assert_eq!((outer, inner), (1, 0));
    assert_eq!(r.len(), 1);
}

/// Zero-sized values still count.
#[test]
fn zero_sized_type() {
    let mut r = ring::<()>(2);
    for _ in 0..4 {
        r.push(()).unwrap();
    }
    assert!(r.push(()).is_err());
    assert_eq!(r.consume_batch(|_| {}), 4);
    assert_eq!(r.reserve(9).unwrap().fill_with(|_| ()), 4);
    assert_eq!(r.len(), 4);
}

/// Minimum capacity (2 slots) still works across many wraps.
#[test]
fn minimum_capacity_ring() {
    let r = ring::<u64>(1);
    assert_eq!(r.capacity(), 2);
    for i in 0..1000 {
        r.push(i).unwrap();
        assert_eq!(r.pop(), Some(i));
    }
}

/// Metrics off: zero; on: exact.
#[test]
fn ring_metrics() {
    let off = ring::<u8>(2);
    off.push(1).unwrap();
    assert_eq!(off.metrics(), Default::default());
    let on = Ring::new(Config::new(1, 1, true)).unwrap();
    on.push(1u8).unwrap();
    on.push(2).unwrap();
    assert!(on.push(3).is_err());
    on.consume_batch(|_| {});
    let m = on.metrics();
    assert_eq!(
        (
            m.messages_sent,
            m.messages_received,
            m.batches_consumed,
            m.full_events
        ),
        (2, 2, 1, 1)
    );
}

/// RB-ORD-1/2 across threads through `split`.
#[test]
fn split_halves_move_data_across_threads() {
    let mut r = ring::<u64>(4);
    let n = common::scaled(100_000);
    let (p, mut c) = r.split();
    std::thread::scope(|s| {
        s.spawn(move || {
            for i in 0..n {
                let mut v = i;
                while let Err(e) = p.push(v) {
                    v = e.into_inner();
                    std::thread::yield_now();
                }
            }
        });
        let mut expected = 0;
        while expected < n {
            let got = c.consume_batch(|v| {
                assert_eq!(*v, expected);
                expected += 1;
            });
            if got == 0 {
                std::thread::yield_now();
            }
        }
    });
}

#[derive(Debug, Clone)]
enum Op {
    Push(u32),
    Reserve(usize, usize),
    Consume(usize),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        any::<u32>().prop_map(Op::Push),
        (0usize..10, 0usize..10).prop_map(|(n, k)| Op::Reserve(n, k)),
        (0usize..10).prop_map(Op::Consume),
    ]
}

/// Runs `ops` on a ring of `2^bits` slots of `T` and on a bounded
/// `VecDeque` of the values `T` carries, and checks they agree at every
/// step.
fn ring_matches_model<T: Copy>(
    bits: u8,
    ops: Vec<Op>,
    make: fn(u32) -> T,
    value: fn(&T) -> u32,
) -> Result<(), TestCaseError> {
    let mut r = ring::<T>(bits);
    let cap = 1usize << bits;
    let mut model = VecDeque::new();
    let mut counter = 0u32;
    for op in ops {
        match op {
            Op::Push(v) => {
                let res = r.push(make(v));
                if model.len() < cap {
                    prop_assert!(res.is_ok());
                    model.push_back(v);
                } else {
                    prop_assert_eq!(value(&res.unwrap_err().into_inner()), v);
                }
            }
            Op::Reserve(n, k) => {
                let free = cap - model.len();
                match r.reserve(n) {
                    None => prop_assert!(n > 0 && free == 0),
                    Some(res) => {
                        prop_assert!(res.is_empty() == (n == 0) && res.len() <= n.min(free));
                        let k = k.min(res.len());
                        let written = res.write_iter((0..k as u32).map(|i| make(counter + i)));
                        prop_assert_eq!(written, k);
                        model.extend((0..k as u32).map(|i| counter + i));
                        counter += k as u32;
                    }
                }
            }
            Op::Consume(limit) => {
                let mut got = Vec::new();
                let n = r.consume_up_to(limit, |v| got.push(value(v)));
                let want: Vec<u32> = model.drain(..limit.min(model.len())).collect();
                prop_assert_eq!(n, want.len());
                prop_assert_eq!(got, want);
            }
        }
        prop_assert_eq!(r.len(), model.len());
    }
    Ok(())
}

/// A value of 4 KiB: a ring of 16 of them holds more than a window
/// (RB-WIN-1), so its producer skips to the start of the ring whenever
/// it finds the ring empty at the window's end.
#[derive(Clone, Copy)]
struct Page {
    value: u32,
    _rest: [u8; 4092],
}

impl Page {
    fn new(value: u32) -> Self {
        Page {
            value,
            _rest: [0; 4092],
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// RB-SEQ-1, RB-OWN-*, RB-PUB-1: random push/reserve/commit/consume
    /// sequences behave exactly like a bounded `VecDeque`. (Not under miri:
    /// proptest reads the working directory, which miri isolates.)
    #[cfg_attr(miri, ignore)]
    #[test]
    fn ring_matches_vecdeque_model(bits in 1u8..=4, ops in prop::collection::vec(op(), 1..200)) {
        ring_matches_model::<u32>(bits, ops, |v| v, |v| *v)?;
    }

    /// RB-WIN-1: the same with values large enough that the rings have a
    /// window: its skips change no value's order, and a ring still holds
    /// its whole capacity, whenever its consumer stops.
    #[cfg_attr(miri, ignore)]
    #[test]
    fn windowed_ring_matches_vecdeque_model(bits in 2u8..=4, ops in prop::collection::vec(op(), 1..200)) {
        ring_matches_model::<Page>(bits, ops, Page::new, |p| p.value)?;
    }
}

/// The slot a reservation of one slot starts at.
fn next_slot<T>(r: &mut Ring<T>, base: *const T) -> (usize, ringmpsc::Reservation<'_, T>) {
    let mut reservation = r.reserve(1).unwrap();
    let at = reservation.as_mut_slice().as_ptr().cast::<T>();
    // SAFETY: STORAGE-1: both point into the ring's one buffer of
    // contiguous slots, which a reservation borrows from.
    (unsafe { at.offset_from(base) } as usize, reservation)
}

/// RB-WIN-1: a producer whose consumer keeps the ring empty goes back to
/// the first slot before it reaches the last, and after such a skip the
/// ring still takes its whole capacity when the consumer stops; every
/// value comes out once, in order, and the metrics count values, not
/// skipped slots.
#[test]
fn a_ring_kept_empty_reuses_its_first_slots_and_keeps_its_capacity() {
    let mut r = Ring::<Page>::new(Config::new(4, 1, true)).unwrap();
    let capacity = r.capacity();
    let base = {
        let mut reservation = r.reserve(0).unwrap();
        reservation.as_mut_slice().as_ptr().cast::<Page>()
    };
    let mut sent = 0u32;
    let mut slots = Vec::new();
    for _ in 0..3 * capacity {
        let (slot, reservation) = next_slot(&mut r, base);
        slots.push(slot);
        assert_eq!(reservation.fill_with(|_| Page::new(sent)), 1);
        let mut got = Vec::new();
        r.consume_batch(|p| got.push(p.value));
        assert_eq!(got, [sent]);
        sent += 1;
    }
    let furthest = *slots.iter().max().unwrap();
    assert!(
        furthest < capacity - 1,
        "a consumer that keeps up keeps the producer in the first slots: {slots:?}"
    );
    // Empty at a window's end: the next value goes to the first slot, and
    // the consumer has not yet seen the skip.
    let window = furthest + 1;
    while slots.last() != Some(&(window - 1)) {
        let (slot, reservation) = next_slot(&mut r, base);
        slots.push(slot);
        assert_eq!(reservation.fill_with(|_| Page::new(sent)), 1);
        r.consume_batch(|_| {});
        sent += 1;
    }
    let (slot, reservation) = next_slot(&mut r, base);
    assert_eq!(
        slot, 0,
        "empty at the window's end: the next value goes to the first slot"
    );
    assert_eq!(reservation.fill_with(|_| Page::new(sent)), 1);
    let mut queued = vec![sent];
    sent += 1;
    while r.push(Page::new(sent)).is_ok() {
        queued.push(sent);
        sent += 1;
    }
    assert_eq!(
        queued.len(),
        capacity,
        "a ring after a skip takes its whole capacity"
    );
    assert_eq!(r.len(), capacity);
    let mut got = Vec::new();
    r.consume_batch(|p| got.push(p.value));
    assert_eq!(got, queued, "in order, once each");
    assert_eq!(r.len(), 0);
    let metrics = r.metrics();
    assert_eq!(metrics.messages_sent, u64::from(sent));
    assert_eq!(metrics.messages_received, u64::from(sent));
}

/// RB-WIN-1: a reservation of 8 slots or more is not held to the window.
/// A producer of such batches whose consumer keeps the ring empty runs
/// through every slot of the ring, where one of single values goes back to
/// the first slots at the window's end; either way every value comes out
/// once, in order, and after the batches the ring still takes its whole
/// capacity.
#[test]
fn batch_reservations_are_not_held_to_the_window() {
    /// 256 bytes: a ring of 256 of them (64 KiB) has a window of 64 slots,
    /// small enough for miri.
    type Wide = [u64; 32];

    /// The furthest slot reached by `laps` laps of reservations of `batch`
    /// slots on a ring of 256 `Wide` slots, each consumed at once; checks
    /// every value and the capacity after them.
    fn furthest_slot(batch: usize, laps: usize) -> usize {
        let mut r = Ring::<Wide>::new(Config::new(8, 1, false)).unwrap();
        let capacity = r.capacity();
        let base = {
            let mut reservation = r.reserve(0).unwrap();
            reservation.as_mut_slice().as_ptr().cast::<Wide>()
        };
        let (mut sent, mut furthest) = (0u64, 0usize);
        for _ in 0..laps * capacity / batch {
            let mut reservation = r.reserve(batch).unwrap();
            assert_eq!(reservation.len(), batch, "an empty ring has room for the batch");
            let at = reservation.as_mut_slice().as_ptr().cast::<Wide>();
            // SAFETY: STORAGE-1: both point into the ring's one buffer.
            let slot = unsafe { at.offset_from(base) } as usize;
            furthest = furthest.max(slot + batch - 1);
            assert_eq!(reservation.fill_with(|i| [sent + i as u64; 32]), batch);
            let mut got = Vec::new();
            r.consume_batch(|v| got.push(v[31]));
            assert!(
                got.iter().copied().eq(sent..sent + batch as u64),
                "in order, once each"
            );
            sent += batch as u64;
        }
        let mut queued = 0;
        while r.push([sent + queued; 32]).is_ok() {
            queued += 1;
        }
        assert_eq!(queued, capacity as u64, "the ring still takes its whole capacity");
        let mut next = sent;
        r.consume_batch(|v| {
            assert_eq!(v[0], next);
            next += 1;
        });
        assert_eq!(next, sent + queued);
        furthest
    }
    assert_eq!(
        furthest_slot(64, 2),
        255,
        "batches of 64 run through the whole ring"
    );
    assert_eq!(furthest_slot(8, 2), 255, "so do batches of 8");
    assert_eq!(furthest_slot(4, 2), 63, "batches of 4 stay in the first window");
    assert_eq!(furthest_slot(1, 2), 63, "single values stay in the first window");
}

/// Minor page faults taken by the calling thread so far (Linux).
#[cfg(target_os = "linux")]
fn minor_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    // Fields after the parenthesised command name: state is field 3,
    // minflt field 10.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    rest.split_whitespace().nth(7).unwrap().parse().unwrap()
}

/// STORAGE-2: a heap ring's pages are present before its first push, so
/// the first lap takes no page faults on the hot path. Without the touch
/// at creation this lap faults in each of the buffer's 512 pages.
#[cfg(target_os = "linux")]
#[test]
#[cfg_attr(miri, ignore = "reads /proc")]
fn first_lap_takes_no_page_faults() {
    std::thread::spawn(|| {
        let capacity = 1 << 18; // 2 MiB of `u64`: 512 pages of 4 KiB.
        let ring = Ring::<u64>::with_capacity(capacity).unwrap();
        let before = minor_faults();
        for i in 0..capacity as u64 {
            ring.push(i).unwrap();
        }
        let faults = minor_faults() - before;
        let mut sum = 0u64;
        assert_eq!(ring.consume_batch(|v| sum += v), capacity);
        assert_eq!(sum, (capacity as u64 - 1) * capacity as u64 / 2);
        assert!(faults < 64, "the first lap took {faults} page faults");
    })
    .join()
    .unwrap();
}
