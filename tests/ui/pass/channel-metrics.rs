// MAC-CH-8: `metrics = true` is readable: summed, and per producer.
#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Counted(capacity = 4, metrics = true) {
        ticks: Tick,
        workers: [Tick; 2],
    }
}

ringmpsc::channel! {
    Uncounted(capacity = 4) {
        ticks: Tick,
    }
}

struct Drop_;

impl CountedHandler for Drop_ {
    fn ticks(&mut self, _msg: Tick) {}
    fn workers(&mut self, _index: usize, _msg: Tick) {}
}

impl UncountedHandler for Drop_ {
    fn ticks(&mut self, _msg: Tick) {}
}

fn main() {
    let (producers, mut consumer) = Counted::channel();
    for i in 0..5 {
        let _ = producers.ticks.push(Tick(i)); // the fifth finds the ring full
    }
    producers.workers[1].push(Tick(9)).unwrap();
    assert_eq!(consumer.consume_all(&mut Drop_), 5);

    let each = consumer.producer_metrics();
    assert_eq!((each.ticks.messages_sent, each.ticks.full_events), (4, 1));
    assert_eq!(each.workers[0].messages_sent, 0);
    assert_eq!(each.workers[1].messages_received, 1);
    let all = consumer.metrics();
    assert_eq!((all.messages_sent, all.messages_received, all.full_events), (5, 5, 1));
    assert_eq!(all, each.ticks + each.workers[0] + each.workers[1]);

    let (producers, mut consumer) = Uncounted::channel();
    producers.ticks.push(Tick(1)).unwrap();
    consumer.consume_all(&mut Drop_);
    assert_eq!(consumer.metrics(), ringmpsc::MetricsSnapshot::default());
}
