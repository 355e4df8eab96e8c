#[derive(ringmpsc::RingMessage)]
#[ring_message(max_size = 8)]
enum Order {
    New { id: u64, price: u64 },
    Cancel(u64),
}

fn main() {}
