#[ringmpsc::ring_message]
struct Tick(u64);

const WORKERS: usize = 100;

ringmpsc::channel! {
    Feed(capacity = 64) {
        ticks: Tick,
        workers: [Tick; WORKERS],
        more: [Tick; 100],
    }
}

// Code using the channel, so that any follow-on error would show.
struct Count(u64);

impl FeedHandler for Count {
    fn ticks(&mut self, _msg: Tick) {
        self.0 += 1;
    }
    fn workers(&mut self, _index: usize, _msg: Tick) {
        self.0 += 1;
    }
    fn more(&mut self, _index: usize, _msg: Tick) {
        self.0 += 1;
    }
}

fn main() {
    let (producers, mut consumer) = Feed::channel();
    producers.ticks.push(Tick(1)).unwrap();
    producers.workers[0].push(Tick(2)).unwrap();
    consumer.consume_all(&mut Count(0));
}
