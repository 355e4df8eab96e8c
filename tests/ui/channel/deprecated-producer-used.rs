// `#[deprecated]` on an entry reaches the field: using it warns (an error
// here), and only the use is reported.
#![deny(deprecated)]

#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        ticks: Tick,
        #[deprecated(note = "use `ticks`")]
        legacy: Tick,
    }
}

struct Sum(u64);

impl FeedHandler for Sum {
    fn ticks(&mut self, msg: Tick) {
        self.0 += msg.0;
    }
    fn legacy(&mut self, msg: Tick) {
        self.0 += msg.0;
    }
}

fn main() {
    let (producers, mut consumer) = Feed::channel();
    producers.legacy.push(Tick(1)).unwrap();
    consumer.consume_all(&mut Sum(0));
}
