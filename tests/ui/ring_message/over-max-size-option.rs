#[ringmpsc::ring_message(max_size = 16)]
struct Quote {
    bid: u64,
    ask: u64,
    size: u64,
}

fn main() {}
