#[ringmpsc::ring_message]
struct Tick(u64);

// Every mistake is reported in one go.
ringmpsc::channel! {
    Feed(capacity = 100, metrics = yes) {
        ticks: Tick,
        ticks: Tick,
        workers: [Tick; 0],
    }
}

fn main() {}
