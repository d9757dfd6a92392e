//! `gridscore search`: enumerate programs for ARC tasks and write ARC Prize
//! submissions (see `docs/search.md`).

use super::common;
use super::{flags, signals};
use super::{CliError, CliResult};
use gridscore::sched::{SchedOptions, Scheduler};
use gridscore::search::submission::Notice;
use gridscore::search::{cli::SearchArgs, run, SearchError};
use gridscore::shard::Shard;
use std::sync::Arc;

#[derive(clap::Args)]
pub struct SearchCmd {
    #[command(flatten)]
    pub args: SearchArgs,
    /// CPU worker threads [default: physical cores]; at most the CPUs this
    /// process can use.
    #[arg(long, default_value_t = 0, value_parser = flags::parse_threads, allow_hyphen_values = true)]
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
    // Outputs first: a bad path is found before any work.
    let mut inputs: Vec<&std::path::Path> = a.args.tasks.iter().map(|p| p.as_path()).collect();
    inputs.extend(a.args.solutions.as_deref());
    common::check_outputs(
        &[
            ("--out", a.args.out.as_deref()),
            ("--report", a.args.report.as_deref()),
        ],
        &inputs,
    )?;
    if let Some(out) = &a.args.out {
        if out.exists() && !a.args.resume {
            super::note(&format!(
                "{} exists: it is replaced when the first task finishes (--resume continues it instead)",
                out.display()
            ));
        }
        signals::set_note(format!(
            "{} holds every task finished so far; run again with --resume to go on",
            out.display()
        ));
    }
    let devices = common::open_devices(&spec, a.threads)?;
    let sched = Scheduler::new(
        devices,
        SchedOptions {
            cancel: signals::cancel(),
            ..SchedOptions::default()
        },
    );
    let mut outputs = a.args.outputs();
    outputs.cancel = signals::cancel();
    outputs.shard = a.shard;
    outputs.notify = Some(Arc::new(|n: &Notice| match n {
        Notice::Warning(w) => super::warn(w),
        Notice::Error(e) => super::error(e),
    }));
    match run(&a.args.tasks, &a.args.options(), &sched, &outputs) {
        Ok(summary) => {
            for line in summary.to_string().lines() {
                eprintln!("{}", gridscore::text::escape(line));
            }
            if summary.interrupted {
                return Err(CliError::interrupted(
                    signals::received().unwrap_or(libc::SIGINT),
                ));
            }
            if summary.partial() {
                return Err(CliError::partial(summary.errors.len(), "files or tasks"));
            }
            Ok(())
        }
        Err(e @ (SearchError::Task(_) | SearchError::Resume { .. } | SearchError::Usage(_))) => {
            Err(CliError::usage(e))
        }
        Err(e @ SearchError::Write { .. }) => Err(CliError::failed(e)),
        Err(e) => Err(CliError::engine(e)),
    }
}
