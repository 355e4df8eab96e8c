#[ringmpsc::ring_message(max_bytes = 64)]
struct Tick {
    price: u64,
}

fn main() {}
