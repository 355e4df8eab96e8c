//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// A value that counts its drops, to prove each value is dropped exactly once.
#[derive(Debug)]
pub struct DropCounter {
    pub value: u64,
    drops: Arc<AtomicUsize>,
}

impl DropCounter {
    pub fn new(value: u64, drops: &Arc<AtomicUsize>) -> Self {
        DropCounter {
            value,
            drops: Arc::clone(drops),
        }
    }
}

impl Drop for DropCounter {
    fn drop(&mut self) {
        self.drops.fetch_add(1, Ordering::SeqCst);
    }
}

pub fn drops() -> Arc<AtomicUsize> {
    Arc::new(AtomicUsize::new(0))
}

pub fn count(drops: &Arc<AtomicUsize>) -> usize {
    drops.load(Ordering::SeqCst)
}

/// Pushes `value` until it fits; panics if the channel closes.
pub fn push_spin<T>(producer: &ringmpsc::Producer<T>, mut value: T) {
    loop {
        match producer.push(value) {
            Ok(()) => return,
            Err(ringmpsc::PushError::Full(v)) => {
                value = v;
                std::thread::yield_now();
            }
            Err(ringmpsc::PushError::Closed(_)) => panic!("channel closed"),
        }
    }
}

/// Scales loop counts down under miri.
pub const fn scaled(n: u64) -> u64 {
    if cfg!(miri) {
        n / 1000 + 8
    } else {
        n
    }
}

/// The consumer's side of a close racing sending threads (CH-CLOSE-1):
/// drains a while, closes, waits for the senders, then receives the rest.
/// Returns the sum of every value received.
pub fn drain_close_drain(ch: &mut ringmpsc::Channel<u64>, senders: Vec<std::thread::JoinHandle<()>>) -> u64 {
    let mut sum = 0;
    for _ in 0..200 {
        ch.consume_all(|v| sum += v);
    }
    ch.close();
    for h in senders {
        h.join().unwrap();
    }
    while let Ok(v) = ch.recv() {
        sum += v;
    }
    sum
}
