//! Runs the program search on ARC tasks with the CPU backend (the same as
//! `gridscore search`, for use before the subcommand is wired in).
//!
//! cargo run --release --example search_arc -- ../shared/arc/training \
//!     --depth 2 --out submission.json --report report.jsonl

use clap::Parser;
use gridscore::engine::CpuBackend;
use gridscore::search::{cli::SearchArgs, run};

#[derive(Parser)]
#[command(about = "Search programs for ARC tasks on the CPU backend")]
struct Cli {
    #[command(flatten)]
    args: SearchArgs,
    /// CPU worker threads for the backend (0 = physical cores).
    #[arg(long, default_value_t = 0)]
    threads: usize,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if cli.args.device != "cpu" && cli.args.device != "auto" {
        anyhow::bail!("this example only has the cpu backend (--device cpu)");
    }
    let backend = CpuBackend::new(cli.threads);
    let summary = run(
        &cli.args.tasks,
        &cli.args.options(),
        &backend,
        &cli.args.outputs(),
    )?;
    eprintln!("{summary}");
    Ok(())
}
