#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64, slots = 4) {
        ticks: Tick,
    }
}

fn main() {}
