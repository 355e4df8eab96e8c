// More than 12 entries: the ring set nests tuples.
#[ringmpsc::ring_message]
struct M(u32);

ringmpsc::channel! {
    Wide(capacity = 2) {
        a: M, b: M, c: M, d: M, e: M, f: M, g: M, h: M, i: M, j: M, k: M, l: M, m: M, n: M,
    }
}

struct Sum(u32);

impl WideHandler for Sum {
    fn a(&mut self, m: M) { self.0 += m.0 }
    fn b(&mut self, m: M) { self.0 += m.0 }
    fn c(&mut self, m: M) { self.0 += m.0 }
    fn d(&mut self, m: M) { self.0 += m.0 }
    fn e(&mut self, m: M) { self.0 += m.0 }
    fn f(&mut self, m: M) { self.0 += m.0 }
    fn g(&mut self, m: M) { self.0 += m.0 }
    fn h(&mut self, m: M) { self.0 += m.0 }
    fn i(&mut self, m: M) { self.0 += m.0 }
    fn j(&mut self, m: M) { self.0 += m.0 }
    fn k(&mut self, m: M) { self.0 += m.0 }
    fn l(&mut self, m: M) { self.0 += m.0 }
    fn m(&mut self, m: M) { self.0 += m.0 }
    fn n(&mut self, m: M) { self.0 += m.0 * 100 }
}

fn main() {
    let (p, mut c) = Wide::channel();
    p.a.push(M(1)).unwrap();
    p.n.push(M(1)).unwrap();
    let mut sum = Sum(0);
    assert_eq!(c.consume_all(&mut sum), 2);
    assert_eq!(sum.0, 101);
}
