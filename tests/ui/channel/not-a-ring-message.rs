struct Plain(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        plain: Plain,
    }
}

struct Count(u64);

impl FeedHandler for Count {
    fn plain(&mut self, msg: Plain) {
        self.0 += msg.0;
    }
}

fn main() {
    let (producers, mut consumer) = Feed::channel();
    producers.plain.push(Plain(1)).unwrap();
    consumer.consume_all(&mut Count(0));
}
