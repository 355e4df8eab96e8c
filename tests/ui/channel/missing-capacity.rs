#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed() {
        ticks: Tick,
    }
}

fn main() {}
