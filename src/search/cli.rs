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
    /// Longest chain, in ops. Depth 3 and more run a whole depth-2 search
    /// first, then the deep one with the time left (depth 3 explodes: use
    /// --time-limit, e.g. 2.2 s per task: 238/416 training outputs in 6.4
    /// minutes on 2 cores).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=16))]
    pub depth: u32,
    /// Per-task time limit in seconds (0 to 10000000): enumeration stops at
    /// 80% of it, the pieces found are composed, a backend batch is cut
    /// short, and the best programs found so far are kept. Kept within
    /// max(10%, 0.5 s).
    #[arg(long, value_name = "SECS", value_parser = parse_secs, allow_hyphen_values = true)]
    pub time_limit: Option<f64>,
    /// Cap on the states kept for deepening (all depths of one task), 1 to
    /// 2^31.
    #[arg(long, default_value_t = 2_000_000, value_name = "N", value_parser = parse_max_states, allow_hyphen_values = true)]
    pub max_states: usize,
    /// Cap on the peak resident memory of the process, in MiB (16 to
    /// 2^30): each task's stored states get what the process and the
    /// search's working set leave of it. Kept within 10%.
    #[arg(long, default_value_t = 2048, value_name = "MIB", value_parser = parse_max_memory, allow_hyphen_values = true)]
    pub max_memory: usize,
    /// Devices that score programs: auto (real GPUs if present, else the
    /// CPU), cpu, gpu (software adapters included), all, or a comma list.
    #[arg(long, default_value = "auto")]
    pub device: String,
    /// Where the last depth is scored: auto (the backend when it is a GPU),
    /// states (from the CPU states' grids) or backend (programs in batches).
    #[arg(long, value_enum, default_value_t = LastDepth::Auto)]
    pub last_depth: LastDepth,
    /// Programs per backend call (with --last-depth backend), 1 to 2^24.
    #[arg(long, default_value_t = 1 << 16, value_name = "N", value_parser = parse_batch_size, allow_hyphen_values = true)]
    pub batch_size: usize,
    /// The score that ranks after exact pairs.
    #[arg(long, value_enum, default_value_t = Metric::Tiered)]
    pub metric: Metric,
    /// Write the ARC Prize submission here ({task: [{attempt_1,
    /// attempt_2}]}); rewritten atomically after every finished task.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Write one JSON line per task here (rewritten atomically after every
    /// finished task).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Skip the tasks already in --out (an interrupted run goes on where it
    /// stopped); their entries and report lines are kept.
    #[arg(long, requires = "out")]
    pub resume: bool,
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
    /// Most pieces kept per view for composition (the first found, most
    /// promising parents first; once full, the last depth only looks for
    /// better chains).
    #[arg(long, default_value_t = SearchOptions::default().max_pieces, value_name = "N")]
    pub max_pieces: usize,
    /// Most MiB of op results remembered across a depth's parents (all
    /// threads together; 0 turns it off). Speed only: the results are the
    /// same.
    #[arg(long, default_value_t = SearchOptions::default().memo_bytes >> 20, value_name = "MIB", allow_hyphen_values = true)]
    pub memo: usize,
}

impl SearchArgs {
    /// The search options these arguments ask for.
    pub fn options(&self) -> SearchOptions {
        SearchOptions {
            depth: self.depth as usize,
            // Validated by the parser: finite, 0 to MAX_SECS.
            time_limit: self
                .time_limit
                .map(|s| Duration::from_secs_f64(s.clamp(0.0, MAX_SECS))),
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
            max_pieces: self.max_pieces,
            memo_bytes: self.memo.saturating_mul(1 << 20),
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
            resume: self.resume,
            max_rss: Some((self.max_memory as u64).saturating_mul(1 << 20)),
            ..RunOutputs::default()
        }
    }
}

/// Longest time a flag takes, in seconds (about 116 days).
pub const MAX_SECS: f64 = 1e7;

/// A number of seconds: finite, 0 to [`MAX_SECS`].
pub fn parse_secs(s: &str) -> Result<f64, String> {
    let v: f64 = s
        .trim()
        .parse()
        .map_err(|_| format!("`{}` is not a number of seconds", crate::text::quote(s)))?;
    if !v.is_finite() || !(0.0..=MAX_SECS).contains(&v) {
        return Err(format!(
            "{} is not a number of seconds from 0 to {MAX_SECS:.0}",
            crate::text::quote(s)
        ));
    }
    Ok(v)
}

/// An integer in `min..=max` (`max == u64::MAX`: no upper bound), with a
/// one-line reason when it is not one: negative, too large, not an integer,
/// out of range.
pub fn parse_count(s: &str, min: u64, max: u64) -> Result<usize, String> {
    let t = s.trim();
    let range = if max == u64::MAX {
        format!("{min} or more")
    } else {
        format!("{min} to {max}")
    };
    let v: u64 = t.parse().map_err(|e: std::num::ParseIntError| {
        let q = crate::text::quote(t);
        match e.kind() {
            std::num::IntErrorKind::PosOverflow => format!("{q} is too large (expected {range})"),
            _ if t.starts_with('-') => format!("{q} is negative (expected {range})"),
            _ => format!("`{q}` is not an integer (expected {range})"),
        }
    })?;
    if !(min..=max).contains(&v) {
        return Err(format!("{v} is out of range (expected {range})"));
    }
    usize::try_from(v).map_err(|_| format!("{v} is too large for this machine"))
}

fn parse_max_states(s: &str) -> Result<usize, String> {
    parse_count(s, 1, 1 << 31)
}

fn parse_max_memory(s: &str) -> Result<usize, String> {
    parse_count(s, 16, 1 << 30)
}

fn parse_batch_size(s: &str) -> Result<usize, String> {
    parse_count(s, 1, 1 << 24)
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

    #[test]
    fn numeric_flags_are_validated() {
        let parse = |flag: &str, v: &str| Cli::try_parse_from(["x", "a", flag, v]).map(|c| c.args);
        for v in [
            "nan", "NaN", "inf", "-inf", "-1", "1e300", "10000001", "", "1s", "0x10",
        ] {
            let e = parse("--time-limit", v)
                .err()
                .unwrap_or_else(|| panic!("{v}"));
            assert!(e.to_string().contains("seconds"), "{v}: {e}");
        }
        assert_eq!(
            parse("--time-limit", "0").unwrap().options().time_limit,
            Some(Duration::ZERO)
        );
        for (flag, v) in [
            ("--max-states", "0"),
            ("--max-states", "99999999999999999999999"),
            ("--max-memory", "0"),
            ("--max-memory", "-5"),
            ("--max-memory", "1e3"),
            ("--batch-size", "0"),
            ("--batch-size", "18446744073709551616"),
        ] {
            assert!(parse(flag, v).is_err(), "{flag} {v}");
        }
        let a = parse("--max-memory", "300").unwrap();
        assert_eq!(a.outputs().max_rss, Some(300 << 20));
        assert!(
            Cli::try_parse_from(["x", "a", "--resume"]).is_err(),
            "--resume needs --out"
        );
    }
}
