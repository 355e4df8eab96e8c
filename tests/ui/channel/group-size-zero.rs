#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        workers: [Tick; 0],
    }
}

fn main() {}
