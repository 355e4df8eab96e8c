#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 4194304) {
        ticks: Tick,
    }
}

fn main() {}
