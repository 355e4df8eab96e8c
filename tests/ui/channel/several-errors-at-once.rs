#[ringmpsc::ring_message]
struct Tick(u64);

// Every mistake is reported in one go, and nothing else.
ringmpsc::channel! {
    Feed(capacity = 100, metrics = yes) {
        ticks: Tick,
        ticks: Tick,
        workers: [Tick; 0],
    }
}

struct Count(u64);

impl FeedHandler for Count {
    fn ticks(&mut self, _msg: Tick) {
        self.0 += 1;
    }
    fn workers(&mut self, _index: usize, _msg: Tick) {
        self.0 += 1;
    }
}

fn main() {
    let (producers, mut consumer) = Feed::channel();
    producers.workers[0].push(Tick(2)).unwrap();
    consumer.consume_all(&mut Count(0));
}
