use ringmpsc::RingMessage;

#[derive(RingMessage, Debug, Clone, Copy)]
#[ring_message(max_size = 32)]
struct Tick {
    price: u64,
    qty: u32,
    #[ring(inline)]
    side: u8,
}

fn main() {
    let t = Tick { price: 1, qty: 2, side: 0 };
    let _copy = t;
    assert_eq!(Tick::SIZE, 16);
}
