//! Subcommands. Library errors get their context here; exit code 0 on
//! success, 1 when the work itself failed, 2 on bad usage or unreadable input.

mod bench;
mod common;
mod devices;
mod flags;
mod merge;
mod ops;
mod plan;
mod score;
mod search;
mod selfcheck;
mod show;
mod signals;

use clap::{Parser, Subcommand};

/// Score huge batches of ARC-AGI candidate grid programs on GPUs and CPUs.
///
/// Candidates are programs in the grid language of docs/DSL.md (e.g.
/// `crop_bbox 0 | upscale 2 2 | recolor 1 2`), one per line. gridscore runs
/// every candidate on every demo input, compares with the demo outputs and
/// ranks the candidates.
#[derive(Parser)]
#[command(name = "gridscore", version, about, long_about)]
#[command(
    after_help = "Examples:\n  gridscore score assets/tasks/recolor_upscale.json --candidates assets/candidates.txt\n  gridscore show assets/tasks/recolor_upscale.json --program 'upscale 2 2 | recolor 1 2'"
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Score and rank candidate programs on a task.
    Score(score::ScoreArgs),
    /// List the GPU adapters (backend, type, driver, limits) and the CPU.
    Devices(devices::DevicesArgs),
    /// Measure each device's throughput on a seeded workload at several
    /// batch sizes (table, --json, --svg chart).
    Bench(bench::BenchArgs),
    /// Search programs of up to --depth ops for ARC tasks and write ARC Prize
    /// submissions (two attempts per test input).
    Search(search::SearchCmd),
    /// Combine the outputs of `score --shard I/N` or `search --shard I/N`
    /// runs (score rows, submissions, search reports) into exactly what one
    /// run writes.
    Merge(merge::MergeArgs),
    /// Print how a batch would be run (threads, devices, chunk sizes, in-flight
    /// caps) and which limit set each number.
    Plan(plan::PlanArgs),
    /// The GPU differential test at scale: seeded random programs (as
    /// `random-programs` draws them) scored on every task by each GPU and by
    /// the CPU, every outcome and a sample of predictions compared exactly
    /// (exit 1 on any difference, 2 without a GPU).
    Selfcheck(selfcheck::SelfcheckArgs),
    /// Show a task's pairs as colored grids, and a program's outputs beside
    /// the expected ones.
    Show(show::ShowArgs),
    /// List the ops of the language: name, class, arguments with their
    /// kinds and ranges, one-line meaning (--json for program generators).
    Ops(ops::OpsArgs),
    /// Write N seeded random valid programs, one per line (drawn over every
    /// op, or the ops of v1 with --v1; the generator the differential tests
    /// use).
    RandomPrograms(ops::RandomArgs),
    /// Write the bundled example tasks and candidates (generated from known
    /// programs) into DIR.
    #[command(hide = true)]
    GenAssets {
        /// Output directory [default: assets].
        #[arg(default_value = "assets")]
        dir: std::path::PathBuf,
    },
}

/// Runs the CLI and returns the exit code: 0 success, 1 the work failed or
/// was partial (some file, task or output failed; the rest is done), 2 bad
/// usage or unreadable input, 128 + N after signal N (130 for SIGINT, 143
/// for SIGTERM).
pub fn main() -> i32 {
    signals::install();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            if !e.use_stderr() {
                // --help and --version.
                let _ = e.print();
                return 0;
            }
            eprintln!("gridscore: {}", clap_one_line(&e.render().to_string()));
            return 2;
        }
    };
    let result = match cli.command {
        Command::Score(a) => score::run(a),
        Command::Show(a) => show::run(a),
        Command::Selfcheck(a) => selfcheck::run(a),
        Command::Plan(a) => plan::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Devices(a) => devices::run(a),
        Command::Search(a) => search::run_cmd(a),
        Command::Ops(a) => ops::run_ops(a),
        Command::RandomPrograms(a) => ops::run_random(a),
        Command::Merge(a) => merge::run(a),
        Command::GenAssets { dir } => gridscore::assets::write_assets(&dir)
            .map_err(|e| CliError::failed(anyhow::anyhow!("{}: {e}", dir.display()))),
    };
    match result {
        Ok(()) => 0,
        Err(e) => {
            let line = gridscore::text::prefix(&common::one_line(&e.error), 2000);
            eprintln!("gridscore: {line}");
            e.code
        }
    }
}

/// A clap usage error on one line: the message without the usage block and
/// the help hint, its lines joined, control characters escaped, at most a
/// few hundred characters (clap quotes the whole bad value).
pub(crate) fn clap_one_line(text: &str) -> String {
    let head = text.split("\n\n").next().unwrap_or(text);
    let head = head.strip_prefix("error: ").unwrap_or(head);
    let joined = head
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    format!("{} (see --help)", gridscore::text::prefix(&joined, 400))
}

/// A note on stderr (one line, control characters escaped).
pub fn note(msg: &str) {
    eprintln!("gridscore: note: {}", gridscore::text::escape(msg));
}

/// A warning on stderr: something the user should know; nothing stops.
pub fn warn(msg: &str) {
    eprintln!("gridscore: warning: {}", gridscore::text::escape(msg));
}

/// An error on stderr about one file, task or output; the others go on and
/// the command ends with exit code 1.
pub fn error(msg: &str) {
    eprintln!("gridscore: error: {}", gridscore::text::escape(msg));
}

/// An error with its exit code.
pub struct CliError {
    pub error: anyhow::Error,
    pub code: i32,
}

impl CliError {
    /// Bad usage or unreadable input (exit 2).
    pub fn usage(e: impl Into<anyhow::Error>) -> CliError {
        CliError {
            error: e.into(),
            code: 2,
        }
    }
    /// The work failed (exit 1).
    pub fn failed(e: impl Into<anyhow::Error>) -> CliError {
        CliError {
            error: e.into(),
            code: 1,
        }
    }
    /// Some files, tasks or outputs failed, each already reported; the rest
    /// is done (exit 1).
    pub fn partial(n: usize, what: &str) -> CliError {
        CliError {
            error: anyhow::anyhow!(
                "partial result: {n} {what} failed (reported above); the rest is done"
            ),
            code: 1,
        }
    }
    /// Stopped by a signal (exit 128 + its number).
    pub fn interrupted(sig: i32) -> CliError {
        CliError {
            error: anyhow::anyhow!("{}", signals::message(sig)),
            code: signals::exit_code(sig),
        }
    }
    /// An engine error: an interruption when a signal came, else a failure.
    pub fn engine(e: impl Into<anyhow::Error>) -> CliError {
        match signals::received() {
            Some(sig) => CliError::interrupted(sig),
            None => CliError::failed(e),
        }
    }
}

pub type CliResult = Result<(), CliError>;
