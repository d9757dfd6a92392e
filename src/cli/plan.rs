//! `gridscore plan`: how a batch would be run, and which limit set each
//! number.

use super::common;
use super::score::RunArgs;
use super::{CliError, CliResult};
use gridscore::engine::batch::dedup;
use gridscore::engine::Backend;
use gridscore::sched::{plan, HostInfo};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct PlanArgs {
    /// A task file, a directory of task files, or a combined file (the
    /// first task is planned).
    pub task: PathBuf,
    /// Candidates file.
    #[arg(long, short = 'c')]
    pub candidates: PathBuf,
    /// Only this task id.
    #[arg(long = "task-id")]
    pub task_id: Option<String>,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(a: PlanArgs) -> CliResult {
    let tasks = common::tasks(&a.task, None, a.task_id.as_deref())?.tasks;
    let candidates = common::candidates(&a.candidates)?;
    let devices = common::open_devices(&a.run.device, a.run.threads)?;
    let refs: Vec<&dyn Backend> = devices.iter().map(|d| d.as_ref()).collect();
    let (reps, _) = dedup(&candidates);
    let p = plan(
        HostInfo::detect(),
        &refs,
        &tasks[0],
        candidates.len(),
        reps.len(),
        a.run.max_inflight as usize,
        gridscore::sched::SchedOptions::default().first_chunk,
        a.run.chunk_ms,
    );
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&p).map_err(CliError::failed)?
        );
    } else {
        print!("task {}: {p}", gridscore::text::escape(&tasks[0].id));
    }
    Ok(())
}
