// MAC-CH-7: capacities and group sizes take any const expression.
#[ringmpsc::ring_message]
struct Tick(u64);

const CAPACITY: usize = 256;
const WORKERS: usize = 3;

mod limits {
    pub const SHARDS: usize = 2;
}

ringmpsc::channel! {
    Named(capacity = CAPACITY) {
        workers: [Tick; WORKERS],
        shards: [Tick; limits::SHARDS * 2],
    }
}

ringmpsc::channel! {
    Shifted(capacity = 1 << 12) {
        ticks: Tick,
    }
}

struct Sum(u64);

impl NamedHandler for Sum {
    fn workers(&mut self, index: usize, msg: Tick) {
        self.0 += index as u64 * msg.0;
    }
    fn shards(&mut self, index: usize, msg: Tick) {
        self.0 += 100 * index as u64 * msg.0;
    }
}

impl ShiftedHandler for Sum {
    fn ticks(&mut self, msg: Tick) {
        self.0 += msg.0;
    }
}

fn main() {
    assert_eq!((Named::CAPACITY, Named::PRODUCERS), (256, 7));
    assert_eq!((Shifted::CAPACITY, Shifted::PRODUCERS), (4096, 1));
    let (producers, mut consumer) = Named::channel();
    assert_eq!((producers.workers.len(), producers.shards.len()), (3, 4));
    producers.workers[2].push(Tick(1)).unwrap();
    producers.shards[3].push(Tick(1)).unwrap();
    let mut sum = Sum(0);
    assert_eq!(consumer.consume_all(&mut sum), 2);
    assert_eq!(sum.0, 302);

    let (producers, mut consumer) = Shifted::channel();
    for i in 0..4096 {
        producers.ticks.push(Tick(i)).unwrap();
    }
    assert!(producers.ticks.push(Tick(0)).is_err());
    let mut sum = Sum(0);
    assert_eq!(consumer.consume_all(&mut sum), 4096);
}
