//! Pushes a few million messages from several producer threads through one
//! channel, checks that every one arrived (count, per-producer order and
//! checksum), and prints what moved and how fast.
//!
//! ```text
//! cargo run --release -p ringmpsc --example throughput -- [producers] [messages per producer]
//! ```

use std::error::Error;
use std::thread;
use std::time::Instant;

use ringmpsc::{Channel, Config, WaitStrategy};

fn main() -> Result<(), Box<dyn Error>> {
    let mut args = std::env::args().skip(1);
    let producers: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(4);
    let per_producer: u64 = args.next().map(|a| a.parse()).transpose()?.unwrap_or(2_000_000);
    if producers == 0 || producers > 128 {
        return Err("producers must be in 1..=128".into());
    }
    let config = Config::new(14, producers as usize, true).with_wait_strategy(WaitStrategy::Park);
    let mut channel = Channel::new(config)?;
    println!(
        "ringmpsc: {producers} producers x {per_producer} messages, rings of {} slots, {} cores",
        config.capacity(),
        thread::available_parallelism().map_or(1, |n| n.get())
    );

    let start = Instant::now();
    let handles: Vec<_> = (0..producers)
        .map(|p| {
            let mut producer = channel.register()?;
            Ok(thread::spawn(move || {
                // Batches of 256 through reservations: one tail store each.
                let mut seq = 0;
                while seq < per_producer {
                    let want = (per_producer - seq).min(256) as usize;
                    let reservation = producer.reserve_with_backoff(want).expect("channel open");
                    seq += reservation.fill_with(|i| (p << 40) | (seq + i as u64)) as u64;
                }
            }))
        })
        .collect::<Result<_, ringmpsc::RegisterError>>()?;

    let total = producers * per_producer;
    let mut next = vec![0u64; producers as usize];
    let (mut received, mut checksum) = (0u64, 0u64);
    let mut last_report = Instant::now();
    while received < total {
        let n = channel.consume_all(|&v| {
            let (p, seq) = ((v >> 40) as usize, v & ((1 << 40) - 1));
            assert_eq!(seq, next[p], "per-producer FIFO");
            next[p] += 1;
            checksum = checksum.wrapping_add(seq);
        });
        received += n as u64;
        if n == 0 {
            thread::yield_now();
        }
        if last_report.elapsed().as_secs() >= 1 {
            println!("  ... {received} / {total} messages");
            last_report = Instant::now();
        }
    }
    let elapsed = start.elapsed();
    for h in handles {
        h.join().map_err(|_| "producer panicked")?;
    }
    let expected = producers * (per_producer * (per_producer - 1) / 2);
    if checksum != expected {
        return Err(format!("checksum {checksum} != expected {expected}").into());
    }
    let m = channel.metrics();
    println!(
        "moved {received} messages in {:.3} s: {:.1} M msg/s (checksum ok, FIFO ok)",
        elapsed.as_secs_f64(),
        received as f64 / elapsed.as_secs_f64() / 1e6
    );
    println!(
        "metrics: sent {} received {} batches {} full events {}",
        m.messages_sent, m.messages_received, m.batches_consumed, m.full_events
    );
    Ok(())
}
