#[ringmpsc::ring_message(max_size = "big")]
struct Tick {
    price: u64,
}

fn main() {}
