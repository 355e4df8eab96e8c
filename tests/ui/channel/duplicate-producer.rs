#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        ticks: Tick,
        quotes: Tick,
        ticks: Tick,
    }
}

fn main() {}
