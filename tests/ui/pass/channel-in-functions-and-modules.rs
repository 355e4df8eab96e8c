// A channel declared in a function body with a local message type, and one
// in a module used from outside it.
mod pipeline {
    #[ringmpsc::ring_message]
    pub struct Span(pub u64);

    ringmpsc::channel! {
        pub Spans(capacity = 8) {
            pub_path: Span,
        }
    }
}

use pipeline::{Span, Spans, SpansHandler};

struct Sum(u64);

impl SpansHandler for Sum {
    fn pub_path(&mut self, msg: Span) {
        self.0 += msg.0;
    }
}

fn local() -> u64 {
    #[ringmpsc::ring_message]
    struct Local(u64);

    ringmpsc::channel! {
        Inner(capacity = 2) {
            only: Local,
        }
    }

    struct Keep(u64);
    impl InnerHandler for Keep {
        fn only(&mut self, msg: Local) {
            self.0 = msg.0;
        }
    }
    let (producers, mut consumer) = Inner::channel();
    producers.only.push(Local(5)).unwrap();
    let mut keep = Keep(0);
    consumer.consume_all(&mut keep);
    keep.0
}

fn main() {
    let (producers, mut consumer) = Spans::channel();
    producers.pub_path.push(Span(3)).unwrap();
    let mut sum = Sum(0);
    consumer.consume_all(&mut sum);
    assert_eq!(sum.0 + local(), 8);
}
