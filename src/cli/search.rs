//! `gridscore search`: enumerate programs for ARC tasks and write ARC Prize
//! submissions (see `docs/search.md`).

use super::common;
use super::{CliError, CliResult};
use gridscore::sched::{SchedOptions, Scheduler};
use gridscore::search::submission::run_tasks;
use gridscore::search::{cli::SearchArgs, run, RunOutputs, SearchError, SearchOptions};
use gridscore::shard::Shard;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct SearchCmd {
    #[command(flatten)]
    pub args: SearchArgs,
    /// CPU worker threads [default: physical cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Search only shard I of N (for job arrays): the tasks are dealt by
    /// sorted task id (positions I-1, I-1+N, ...); `gridscore merge`
    /// combines the shards' submissions (or reports) into what one run
    /// writes.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
}

pub fn run_cmd(a: SearchCmd) -> CliResult {
    let spec = common::parse_device_spec(&a.args.device)
        .map_err(|e| CliError::usage(anyhow::anyhow!("--device: {e}")))?;
    let devices = common::open_devices(&spec, a.threads)?;
    let sched = Scheduler::new(devices, SchedOptions::default());
    let (opts, outputs) = (a.args.options(), a.args.outputs());
    let result = match a.shard {
        None => run(&a.args.tasks, &opts, &sched, &outputs),
        Some(shard) => shard_run(&a.args.tasks, shard, &opts, &sched, &outputs),
    };
    match result {
        Ok(summary) => {
            eprintln!("{summary}");
            Ok(())
        }
        Err(e @ SearchError::Task(_)) => Err(CliError::usage(e)),
        Err(e @ SearchError::Write { .. }) => Err(CliError::usage(e)),
        Err(e) => Err(CliError::failed(e)),
    }
}

/// `--shard I/N`: this shard's tasks (dealt by sorted task id) only.
fn shard_run(
    paths: &[PathBuf],
    shard: Shard,
    opts: &SearchOptions,
    sched: &Scheduler,
    outputs: &RunOutputs,
) -> Result<gridscore::search::Summary, SearchError> {
    let start = std::time::Instant::now();
    let mut tasks = Vec::new();
    for p in paths {
        tasks.extend(gridscore::task::load_tasks(
            p,
            outputs.solutions.as_deref(),
        )?);
    }
    let n = tasks.len();
    let mine = shard.select_tasks(tasks);
    if mine.is_empty() {
        eprintln!("gridscore: shard {shard} has none of the {n} tasks (more shards than tasks)");
    }
    run_tasks(&mine, start, opts, sched, outputs)
}
