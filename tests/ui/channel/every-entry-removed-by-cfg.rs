#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        #[cfg(any())]
        ticks: Tick,
    }
}

fn main() {
    let (_producers, _consumer) = Feed::channel();
}
