// MAC-MSG-6: the common std types are ring messages out of the box.
use std::sync::Arc;
use std::time::Duration;

ringmpsc::channel! {
    Mixed(capacity = 16) {
        ticks: u64,
        names: String,
        blobs: Box<[u8]>,
        lists: Vec<u32>,
        shared: Arc<str>,
        maybe: Option<u16>,
        labels: &'static str,
        waits: Duration,
        flags: [bool; 2],
    }
}

#[derive(Default)]
struct Seen(Vec<String>);

impl MixedHandler for Seen {
    fn ticks(&mut self, msg: u64) {
        self.0.push(msg.to_string());
    }
    fn names(&mut self, msg: String) {
        self.0.push(msg);
    }
    fn blobs(&mut self, msg: Box<[u8]>) {
        self.0.push(format!("{msg:?}"));
    }
    fn lists(&mut self, msg: Vec<u32>) {
        self.0.push(format!("{msg:?}"));
    }
    fn shared(&mut self, msg: Arc<str>) {
        self.0.push(msg.to_string());
    }
    fn maybe(&mut self, msg: Option<u16>) {
        self.0.push(format!("{msg:?}"));
    }
    fn labels(&mut self, msg: &'static str) {
        self.0.push(msg.to_owned());
    }
    fn waits(&mut self, msg: Duration) {
        self.0.push(format!("{msg:?}"));
    }
    fn flags(&mut self, index: usize, msg: bool) {
        self.0.push(format!("{index}:{msg}"));
    }
}

fn main() {
    let (p, mut consumer) = Mixed::channel();
    p.ticks.push(7).unwrap();
    p.names.push("span".to_owned()).unwrap();
    p.blobs.push(vec![1, 2].into_boxed_slice()).unwrap();
    p.lists.push(vec![3]).unwrap();
    p.shared.push(Arc::from("arc")).unwrap();
    p.maybe.push(Some(5)).unwrap();
    p.labels.push("static").unwrap();
    p.waits.push(Duration::from_millis(1)).unwrap();
    p.flags[1].push(true).unwrap();
    let mut seen = Seen::default();
    assert_eq!(consumer.consume_all(&mut seen), 9);
    assert_eq!(
        seen.0,
        ["7", "span", "[1, 2]", "[3]", "arc", "Some(5)", "static", "1ms", "1:true"]
    );
}
