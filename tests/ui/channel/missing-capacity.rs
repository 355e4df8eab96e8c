#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed() {
        ticks: Tick,
    }
}

// Code using the channel, so that any follow-on error would show.
struct Count(u64);

impl FeedHandler for Count {
    fn ticks(&mut self, _msg: Tick) {
        self.0 += 1;
    }
}

fn main() {
    let (producers, mut consumer) = Feed::channel();
    producers.ticks.push(Tick(1)).unwrap();
    consumer.consume_all(&mut Count(0));
}
