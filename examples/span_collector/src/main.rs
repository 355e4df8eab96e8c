//! `span-collector`: the command line of the span collector; wiring only.

use clap::Parser;

fn main() {
    let cli = span_collector::config::Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let code = match &cli.command {
        Some(span_collector::config::Command::Serve(serve)) => {
            runtime.block_on(span_collector::serve::serve(serve.args()))
        }
        None => runtime.block_on(span_collector::app::run(cli)),
    };
    std::process::exit(code);
}
