//! `gridscore search`: enumerate programs for ARC tasks and write ARC Prize
//! submissions (see `docs/search.md`).

use super::common;
use super::{CliError, CliResult};
use gridscore::sched::{SchedOptions, Scheduler};
use gridscore::search::{cli::SearchArgs, run, SearchError};

#[derive(clap::Args)]
pub struct SearchCmd {
    #[command(flatten)]
    pub args: SearchArgs,
    /// CPU worker threads [default: physical cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
}

pub fn run_cmd(a: SearchCmd) -> CliResult {
    let spec = common::parse_device_spec(&a.args.device)
        .map_err(|e| CliError::usage(anyhow::anyhow!("--device: {e}")))?;
    let devices = common::open_devices(&spec, a.threads)?;
    let sched = Scheduler::new(devices, SchedOptions::default());
    match run(&a.args.tasks, &a.args.options(), &sched, &a.args.outputs()) {
        Ok(summary) => {
            eprintln!("{summary}");
            Ok(())
        }
        Err(e @ SearchError::Task(_)) => Err(CliError::usage(e)),
        Err(e @ SearchError::Write { .. }) => Err(CliError::usage(e)),
        Err(e) => Err(CliError::failed(e)),
    }
}
