//! Every workload's count and checksum come out exact for every library
//! (DESIGN.md §6 rule 1), at test size. Nothing here is timed.

use ringmpsc_benches::suite::{cases, Params, WORKLOADS};

#[test]
fn every_case_is_exact() {
    let params = Params::TEST;
    let all = cases();
    for workload in WORKLOADS {
        assert!(
            all.iter().any(|c| c.workload == workload),
            "workload {workload} has no case"
        );
    }
    let mut failures = Vec::new();
    for case in &all {
        let outcome = (case.run)(&params).unwrap_or_else(|| panic!("{case:?} is listed but unsupported"));
        if !outcome.exact() {
            failures.push(format!("{case:?}"));
        }
        println!("{case:?}: exact");
    }
    assert!(failures.is_empty(), "inexact count or checksum: {failures:?}");
}

#[test]
fn unsupported_shapes_are_refused_not_faked() {
    use ringmpsc_benches::msg::Small;
    use ringmpsc_benches::queues::{GenSpsc, Queue, Rtrb, Waiting};
    assert!(<Rtrb as Queue<Small>>::channel(1024, 2, Waiting::Throughput).is_none());
    assert!(<GenSpsc as Queue<Small>>::channel(1024, 1, Waiting::Throughput).is_none());
    assert!(<GenSpsc as Queue<Small>>::channel(16384, 1, Waiting::Throughput).is_some());
}

/// Every configuration of the ideal ring the limit study measures is
/// exact, on a ring small enough that chunks wrap, partial fills happen
/// and the producer waits for room (RB-OWN-1, RB-ORD-1/2).
#[test]
fn every_ideal_variant_is_exact() {
    use ringmpsc_benches::ideal::{ideal_ring_with, IdealVariant};
    use ringmpsc_benches::msg::Small;
    for variant in IdealVariant::ALL {
        for (capacity, chunk) in [(64, 1), (64, 7), (64, 64), (1024, 1000)] {
            let sample = ideal_ring_with::<Small>(capacity, 10_007, chunk, variant);
            assert!(sample.exact(), "{} chunk {chunk}: checksum off", variant.label());
        }
    }
}

/// `push_cost_study`'s producers: the ideal push with each of the extra
/// loads and stores still moves every value exactly once, in order (a
/// cursor stored back one behind, or not at all, would repeat values and
/// put the sum off).
#[test]
fn the_ideal_push_with_extras_is_exact() {
    use ringmpsc_benches::ideal::{ideal_single_with_extras, IdealVariant, PushExtras};
    use ringmpsc_benches::msg::Small;
    for signal in [false, true] {
        for cursor in [false, true] {
            let extras = PushExtras { signal, cursor };
            for capacity in [64, 1024] {
                let sample =
                    ideal_single_with_extras::<Small>(capacity, 10_007, IdealVariant::ceilings(1)[0], extras);
                assert!(
                    sample.exact(),
                    "{} on {capacity} slots: checksum off",
                    extras.label()
                );
            }
        }
    }
}
