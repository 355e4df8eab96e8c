use std::collections::HashSet;

use ringmpsc::RingMessage;

#[ringmpsc::ring_message(max_size = 64, max_align = 16)]
#[derive(Debug)]
struct Pair(u64, HashSet<u32>);

fn main() {
    let p = Pair(1, HashSet::from([3]).into());
    assert!(p.1.contains(&3));
    assert_eq!(Pair::BOXED_FIELDS, ["1"]);
    assert!(Pair::SIZE <= 64);
}
