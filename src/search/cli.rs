//! Command-line arguments of `gridscore search` (flattened into the main
//! command line by `src/main.rs`, which picks the backend from `--device`).

use super::{LastDepth, RunOutputs, SearchOptions};
use crate::score::Metric;
use std::path::PathBuf;
use std::time::Duration;

/// Search programs that solve ARC tasks.
///
/// Enumerates every program of up to --depth ops over the ops of the
/// language, with arguments drawn from each task (its colors, size ratios,
/// split counts, crop sizes), collapses programs whose grids are identical on
/// every train and test input, ranks them (more exact train pairs, higher
/// total score, fewer ops, earlier) and writes two attempts per test input.
#[derive(Clone, Debug, clap::Args)]
pub struct SearchArgs {
    /// Task files, directories of task files, or combined challenges files.
    #[arg(required = true, value_name = "TASK_OR_DIR")]
    pub tasks: Vec<PathBuf>,
    /// Longest program, in ops (depth 3 explodes: use --time-limit).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=16))]
    pub depth: u32,
    /// Per-task time limit in seconds: deepening stops and the best programs
    /// found so far are kept.
    #[arg(long, value_name = "SECS")]
    pub time_limit: Option<f64>,
    /// Cap on the states kept for deepening (all depths of one task).
    #[arg(long, default_value_t = 2_000_000, value_name = "N")]
    pub max_states: usize,
    /// Cap on the memory of the kept states, in MiB.
    #[arg(long, default_value_t = 2048, value_name = "MIB")]
    pub max_memory: usize,
    /// Devices that score programs: auto (real GPUs if present, else the
    /// CPU), cpu, gpu (software adapters included), all, or a comma list.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Where the last depth is scored: auto (the backend when it is a GPU),
    /// states (from the CPU states' grids) or backend (programs in batches).
    #[arg(long, value_enum, default_value_t = LastDepth::Auto)]
    pub last_depth: LastDepth,
    /// Programs per backend call (with --last-depth backend).
    #[arg(long, default_value_t = 1 << 16, value_name = "N")]
    pub batch_size: usize,
    /// The score that ranks after exact pairs.
    #[arg(long, value_enum, default_value_t = Metric::Tiered)]
    pub metric: Metric,
    /// Write the ARC Prize submission here ({task: [{attempt_1, attempt_2}]}).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write one JSON line per task here.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// A solutions file (Kaggle format) with the test outputs.
    #[arg(long, value_name = "FILE")]
    pub solutions: Option<PathBuf>,
    /// Stop a task as soon as a program exact on every train pair is found
    /// (faster; the second attempt is then not the second best).
    #[arg(long)]
    pub first: bool,
    /// Hide the progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Search every depth and view even after a program exact on every
    /// train pair is found (slower; wider second attempts).
    #[arg(long)]
    pub thorough: bool,
    /// Do not compose answers from several pieces (chains only).
    #[arg(long)]
    pub no_compose: bool,
    /// Do not search the color-normalised view of each task.
    #[arg(long)]
    pub no_normalize: bool,
    /// Also search the transposed views of each task.
    #[arg(long)]
    pub transpose: bool,
}

impl SearchArgs {
    /// The search options these arguments ask for.
    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            depth: self.depth as usize,
            time_limit: self
                .time_limit
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(1e9))),
            max_states: self.max_states.max(1),
            max_bytes: self.max_memory.saturating_mul(1 << 20),
            metric: self.metric,
            last_depth: self.last_depth,
            batch_size: self.batch_size.max(1),
            stop_when_solved: self.first,
            thorough: self.thorough,
            compose: !self.no_compose,
            normalize: !self.no_normalize,
            transpose: self.transpose,
            ..SearchOptions::default()
        }
    }
    /// Where the run writes.
    pub fn outputs(&self) -> RunOutputs {
        RunOutputs {
            out: self.out.clone(),
            report: self.report.clone(),
            solutions: self.solutions.clone(),
            progress: !self.quiet,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Cli {
        #[command(flatten)]
        args: SearchArgs,
    }

    #[test]
    fn parses_flags() {
        let c = Cli::try_parse_from([
            "x",
            "a.json",
            "dir",
            "--depth",
            "3",
            "--time-limit",
            "1.5",
            "--out",
            "s.json",
        ])
        .unwrap();
        let o = c.args.options();
        assert_eq!(o.depth, 3);
        assert_eq!(o.time_limit, Some(Duration::from_millis(1500)));
        assert_eq!(c.args.tasks.len(), 2);
        assert_eq!(c.args.outputs().out, Some(PathBuf::from("s.json")));
        assert!(Cli::try_parse_from(["x"]).is_err());
        assert!(Cli::try_parse_from(["x", "a", "--depth", "17"]).is_err());
    }
}
