// MAC-CH-6: `#[cfg]` on an entry removes it (no field, no handler method,
// not counted); other attributes go to the field and the handler method.
#![deny(warnings)]

#[ringmpsc::ring_message]
struct Tick(u64);

ringmpsc::channel! {
    Feed(capacity = 64) {
        /// Always there.
        ticks: Tick,
        /// Gated off: its type does not even exist.
        #[cfg(any())]
        gone: DoesNotExist,
        #[cfg(all())]
        kept: Tick,
        #[cfg(any())]
        gone_group: [Tick; 4],
        /// Deprecated: using the field warns, implementing the method does not.
        #[deprecated(note = "use `ticks`")]
        legacy: Tick,
    }
}

#[derive(Default)]
struct Sum(u64);

impl FeedHandler for Sum {
    fn ticks(&mut self, msg: Tick) {
        self.0 += msg.0;
    }
    fn kept(&mut self, msg: Tick) {
        self.0 += 10 * msg.0;
    }
    fn legacy(&mut self, msg: Tick) {
        self.0 += 100 * msg.0;
    }
}

fn main() {
    assert_eq!(Feed::PRODUCERS, 3);
    let (producers, mut consumer) = Feed::channel();
    producers.ticks.push(Tick(1)).unwrap();
    producers.kept.push(Tick(2)).unwrap();
    #[allow(deprecated)]
    producers.legacy.push(Tick(3)).unwrap();
    let mut sum = Sum::default();
    assert_eq!(consumer.consume_all(&mut sum), 3);
    assert_eq!(sum.0, 321);
}
