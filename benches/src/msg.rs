//! Message types and their checksums.

use ringmpsc::RingMessage;

/// A benchmark message: built from a distinct `u64`, folded back into the
/// checksum by the consumer, which must read the whole message to do so.
pub trait Msg: Copy + Send + Sync + Default + RingMessage + 'static {
    /// Label for reports.
    const LABEL: &'static str;
    /// The message carrying `value`.
    fn new(value: u64) -> Self;
    /// What the consumer adds to the checksum.
    fn fold(&self) -> u64;
}

/// 8 bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ringmpsc::RingMessage)]
pub struct Small(pub u64);

impl Msg for Small {
    const LABEL: &'static str = "u64";
    #[inline]
    fn new(value: u64) -> Self {
        Small(value)
    }
    #[inline]
    fn fold(&self) -> u64 {
        self.0
    }
}

/// 96 bytes: twelve words, the first and last of which the consumer folds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ringmpsc::RingMessage)]
pub struct Large(pub [u64; 12]);

impl Msg for Large {
    const LABEL: &'static str = "96-byte";
    #[inline]
    fn new(value: u64) -> Self {
        let mut words = [0u64; 12];
        for (i, w) in words.iter_mut().enumerate() {
            *w = value.rotate_left(i as u32 * 5) ^ i as u64;
        }
        Large(words)
    }
    #[inline]
    fn fold(&self) -> u64 {
        self.0[0].wrapping_add(self.0[11])
    }
}

/// The value producer `producer` writes as its `seq`-th message: distinct
/// across producers and sequence numbers.
#[inline]
pub fn value(producer: usize, seq: u64) -> u64 {
    ((producer as u64) << 40) | seq
}

/// Replaces what `chunk` holds with the messages producer `producer`
/// writes as its sequence numbers `seqs`: how every batch row's producer
/// (each library's, and the ceiling's that copies chunks) makes a chunk
/// before sending it. Not inlined, so that they all run this one copy of
/// the loop. Inlined, each library's producer had its own copy wherever
/// the linker put that library's code: at 4096 the `ringmpsc` and
/// `ringmpsc-busyspin` rows, whose producers run the same code, then
/// stood at 1.07× and 0.95× rtrb in one build, and 1.11× and 1.11× with
/// this one copy. (In another build, the default row's loop crossed a
/// 64-byte line and the busy-spin row's did not.)
#[inline(never)]
pub fn make_chunk<M: Msg>(chunk: &mut Vec<M>, producer: usize, seqs: std::ops::Range<u64>) {
    chunk.clear();
    chunk.extend(seqs.map(|seq| M::new(value(producer, seq))));
}

/// The checksum a consumer must reach after reading every message of
/// `producers` producers sending `per_producer` each.
pub fn expected_checksum<M: Msg>(producers: usize, per_producer: u64) -> u64 {
    let mut sum = 0u64;
    for p in 0..producers {
        for seq in 0..per_producer {
            sum = sum.wrapping_add(M::new(value(p, seq)).fold());
        }
    }
    sum
}
