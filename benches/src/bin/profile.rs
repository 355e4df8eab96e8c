//! Runs one workload × library case repeatedly, for a profiler:
//! `cargo run --release -p ringmpsc-benches --bin profile -- WORKLOAD LIBRARY [RUNS]`.

use ringmpsc_benches::suite::{cases, find_case, Params};

fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(workload), Some(library)) = (args.next(), args.next()) else {
        eprintln!("usage: profile WORKLOAD LIBRARY [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(5);
    let all = cases();
    let case = match find_case(&all, &workload, &library) {
        Ok(case) => case,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    for run in 0..runs {
        match (case.run)(&Params::FULL) {
            Some(o) => println!(
                "run {run}: {:.3} {} exact={}",
                o.value() / if o.unit() == "ns" { 1.0 } else { 1e6 },
                o.unit(),
                o.exact()
            ),
            None => println!("unsupported"),
        }
    }
}
