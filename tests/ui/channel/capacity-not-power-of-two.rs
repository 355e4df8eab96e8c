#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 1000) {
        ticks: Tick,
    }
}

fn main() {}
