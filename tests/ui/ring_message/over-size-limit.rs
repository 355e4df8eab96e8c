#[ringmpsc::ring_message]
struct Quote {
    levels: [u64; 20],
}

fn main() {}
