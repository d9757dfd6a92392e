//! `gridscore score`: score and rank candidates on a task.

use super::common::{self, DeviceSpec};
use super::{flags, signals};
use super::{CliError, CliResult};
use anyhow::Context;
use gridscore::engine::rows::write_jsonl;
use gridscore::engine::{BatchOptions, BatchReport, CandidateResult, EngineError, Status};
use gridscore::metrics::{peak_rss_bytes, Stopwatch};
use gridscore::sched::{DeviceStats, SchedOptions, Scheduler};
use gridscore::score::Metric;
use gridscore::shard::Shard;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Output format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per candidate, in rank order.
    Jsonl,
    /// A readable table of the top candidates.
    Table,
}

/// Options shared by the commands that run batches.
#[derive(clap::Args, Clone)]
pub struct RunArgs {
    /// CPU worker threads [default: physical cores, within the cgroup CPU
    /// quota and the affinity mask]; at most the CPUs this process can use.
    #[arg(long, default_value_t = 0, value_parser = flags::parse_threads, allow_hyphen_values = true)]
    pub threads: usize,
    /// Devices: auto (real GPUs if present, else the CPU), cpu, gpu (every
    /// GPU adapter, software ones such as lavapipe included), all (every GPU
    /// and the CPU), or a comma list such as cpu,gpu.
    #[arg(long, default_value = "auto", value_parser = common::parse_device_spec)]
    pub device: DeviceSpec,
    /// Chunks submitted and not yet read back, per device.
    #[arg(long = "max-inflight", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub max_inflight: u64,
    /// Target duration of one chunk in milliseconds (chunk sizes are
    /// calibrated on each device's first chunk).
    #[arg(long = "chunk-ms", default_value_t = 100, value_parser = clap::value_parser!(u64).range(1..=60_000))]
    pub chunk_ms: u64,
}

#[derive(clap::Args)]
pub struct ScoreArgs {
    /// A task file ({"train": [...], "test": [...]}), a directory of task
    /// files, or a combined challenges file ({task_id: task}).
    pub task: PathBuf,
    /// Candidates file: one program per line (`NAME: program` gives an id),
    /// or JSON lines {"id": ..., "program": ...}; `#` comments.
    #[arg(long, short = 'c')]
    pub candidates: PathBuf,
    /// Solutions file ({task_id: [grid, ...]}) giving test outputs, for a
    /// combined challenges file.
    #[arg(long)]
    pub solutions: Option<PathBuf>,
    /// Only this task id (for a directory or combined file).
    #[arg(long = "task-id")]
    pub task_id: Option<String>,
    /// Print only the N best candidates (all are scored; every candidate
    /// that does not parse is still listed).
    #[arg(long, value_parser = flags::parse_top, allow_hyphen_values = true)]
    pub top: Option<usize>,
    /// Pair score that ranks candidates after exact pairs.
    #[arg(long, value_enum, default_value_t = Metric::Tiered)]
    pub metric: Metric,
    /// Output format [default: jsonl when stdout is not a terminal, else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the results here instead of stdout (written to a temporary
    /// file beside it and renamed at the end: an interrupted run leaves the
    /// previous file).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a JSON summary (candidates, evaluations, wall_s, cpu_s,
    /// evals_per_s, deadline_hit, devices) here (atomically).
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// How many of the best candidates carry their test predictions.
    #[arg(long, default_value_t = 10, value_parser = flags::parse_predictions, allow_hyphen_values = true)]
    pub predictions: usize,
    /// Seconds from the start (0 to 10000000) after which no new chunk
    /// starts; unscored candidates are reported with status not_run.
    #[arg(long, value_parser = flags::parse_secs, allow_hyphen_values = true)]
    pub deadline: Option<f64>,
    /// Seconds (0 to 3600) that running chunks may go on after the deadline.
    #[arg(long, default_value_t = 0.5, value_parser = flags::parse_grace, allow_hyphen_values = true)]
    pub grace: f64,
    /// Print wall time, CPU time, each device's busy time, chunks and
    /// throughput to stderr.
    #[arg(long)]
    pub profile: bool,
    /// Run only shard I of N (for job arrays): the tasks of a directory or
    /// combined file are dealt by sorted task id, one task's candidates by
    /// index (I-1, I-1+N, ...); `gridscore merge` turns the shards' outputs
    /// into what one run writes.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<Shard>,
    #[command(flatten)]
    pub run: RunArgs,
}

impl ScoreArgs {
    /// `--format`, else a table on a terminal and JSONL otherwise.
    fn output_format(&self) -> Format {
        match self.format {
            Some(f) => f,
            None if std::io::stdout().is_terminal() && self.out.is_none() => Format::Table,
            None => Format::Jsonl,
        }
    }
}

/// Opens the devices and builds a scheduler; `progress` counts programs.
pub fn scheduler(
    run: &RunArgs,
    deadline: Option<Instant>,
    grace: f64,
    progress: Option<ProgressBar>,
) -> Result<Scheduler, CliError> {
    let devices = common::open_devices(&run.device, run.threads)?;
    let progress = progress
        .map(|pb| Arc::new(move |n: usize| pb.inc(n as u64)) as Arc<dyn Fn(usize) + Send + Sync>);
    Ok(Scheduler::new(
        devices,
        SchedOptions {
            max_inflight: run.max_inflight as usize,
            deadline,
            // Validated: finite, 0 to MAX_GRACE_SECS.
            grace: Duration::from_secs_f64(grace.clamp(0.0, flags::MAX_GRACE_SECS)),
            target_chunk: Duration::from_millis(run.chunk_ms),
            progress,
            cancel: signals::cancel(),
            ..Default::default()
        },
    ))
}

/// A progress bar on stderr (drawn only when stderr is a terminal).
pub fn progress_bar(total: Option<u64>, what: &str) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(total, ProgressDrawTarget::stderr());
    if !std::io::stderr().is_terminal() {
        pb.set_draw_target(ProgressDrawTarget::hidden());
    }
    let template = if total.is_some() {
        format!("{{bar:40}} {{pos}}/{{len}} {what} {{per_sec}} eta {{eta}}")
    } else {
        format!("{{spinner}} {{pos}} {what} {{per_sec}} {{msg}}")
    };
    if let Ok(style) = ProgressStyle::with_template(&template) {
        pb.set_style(style);
    }
    pb
}

pub fn run(a: ScoreArgs) -> CliResult {
    let watch = Stopwatch::start();
    let started = Instant::now();
    // Outputs first: a bad path is found before any work.
    let mut inputs = vec![a.task.as_path(), a.candidates.as_path()];
    inputs.extend(a.solutions.as_deref());
    common::check_outputs(
        &[
            ("--out", a.out.as_deref()),
            ("--summary", a.summary.as_deref()),
        ],
        &inputs,
    )?;
    if let Some(p) = &a.out {
        signals::set_note(format!("{} is left as it was", p.display()));
    }
    let loaded = common::tasks(&a.task, a.solutions.as_deref(), a.task_id.as_deref())?;
    let (tasks, by_candidate) = shard_tasks(a.shard, loaded.tasks);
    let mut failed = loaded.failed;
    // Validated: finite, 0 to MAX_SECS, so the instant cannot overflow.
    let deadline = a
        .deadline
        .map(|d| started + Duration::from_secs_f64(d.clamp(0.0, flags::MAX_SECS)));
    if let Some(top) = a.top {
        return run_streaming(&a, &tasks, by_candidate, top, deadline, &watch, failed);
    }
    let pool = gridscore::lang::candidates::host_pool(flags::threads(a.run.threads))
        .map_err(CliError::failed)?;
    // The candidates file is opened before the devices: an unreadable file
    // is reported first.
    let mut first_reader = Some(read_candidate_blocks(&a.candidates, &pool)?);
    let pb = progress_bar(None, "programs");
    let sched = scheduler(&a.run, deadline, a.grace, Some(pb.clone()))?;
    let format = a.output_format();
    let opts = BatchOptions {
        metric: a.metric,
        predictions: a.predictions,
    };
    let mut out = common::Output::open(a.out.as_ref())?;
    let (mut evaluations, mut ncand, mut nerr) = (0u64, 0usize, 0usize);
    let mut deadline_hit = false;
    let mut faults: Vec<String> = Vec::new();
    let mut devices: Vec<DeviceStats> = Vec::new();
    let multi = tasks.len() > 1;
    for (k, task) in tasks.iter().enumerate() {
        let mut reader = match first_reader.take() {
            Some(r) => r,
            None => read_candidate_blocks(&a.candidates, &pool)?,
        };
        let result = gridscore::sched::full::score_blocks(
            task,
            reader.by_ref().map(|b| {
                let mut b = b?;
                if let Some(s) = by_candidate {
                    b.retain(|c| s.owns(c.index));
                }
                Ok(b)
            }),
            &sched,
            &opts,
        );
        if k == 0 {
            for w in reader.warnings() {
                pb.suspend(|| super::warn(&format!("{}: {w}", a.candidates.display())));
            }
        }
        let run = match result {
            Ok(run) => run,
            Err(EngineError::Cancelled) => {
                return Err(CliError::interrupted(
                    signals::received().unwrap_or(libc::SIGINT),
                ))
            }
            Err(EngineError::Read(e)) => {
                return Err(CliError::usage(anyhow::anyhow!(
                    "{}: cannot read the candidates file: {e}",
                    a.candidates.display()
                )))
            }
            Err(e) => {
                pb.suspend(|| {
                    super::error(&format!(
                        "task {}: {e}; its rows are not written, the other tasks go on",
                        gridscore::text::quote(&task.id)
                    ))
                });
                failed += 1;
                continue;
            }
        };
        evaluations += run.evaluations;
        ncand += run.candidates;
        nerr += run.parse_errors;
        deadline_hit |= run.deadline_hit;
        faults.extend(run.faults.iter().map(|f| format!("task {}: {f}", task.id)));
        merge_stats(&mut devices, &run.devices);
        let written = match format {
            Format::Jsonl => run.write_jsonl(&mut out, &pool),
            Format::Table => write_table(&mut out, &task.id, &run.head(20), None, multi),
        };
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::failed(e));
        }
        if k + 1 == tasks.len() {
            // The process ends soon: skip freeing millions of small
            // allocations one by one.
            std::mem::forget(run);
        }
    }
    pb.finish_and_clear();
    out.commit()?;
    finish(
        &a,
        &watch,
        tasks.len(),
        ncand,
        nerr,
        evaluations,
        deadline_hit,
        &faults,
        &devices,
    )?;
    if failed > 0 {
        return Err(CliError::partial(failed, "files or tasks"));
    }
    Ok(())
}

/// Opens the candidates file and reads it in blocks parsed on `pool` (a
/// file that cannot be opened, or a directory, is a usage error).
fn read_candidate_blocks(
    path: &std::path::Path,
    pool: &Arc<rayon::ThreadPool>,
) -> Result<gridscore::lang::candidates::BlockReader, CliError> {
    let open = || -> std::io::Result<gridscore::lang::candidates::BlockReader> {
        let file = std::fs::File::open(path)?;
        if file.metadata()?.is_dir() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::IsADirectory,
                "is a directory",
            ));
        }
        gridscore::lang::candidates::read_blocks(
            file,
            &gridscore::lang::candidates::BlockOptions {
                pool: Some(pool.clone()),
                // Small blocks keep the memory of the blocks read ahead
                // low (about 8 MiB a block) and start scoring sooner.
                lines: 8192,
                ..Default::default()
            },
        )
    };
    open()
        .with_context(|| format!("{}: cannot read the candidates file", path.display()))
        .map_err(CliError::usage)
}

#[allow(clippy::too_many_arguments)]
fn finish(
    a: &ScoreArgs,
    watch: &Stopwatch,
    ntasks: usize,
    ncandidates: usize,
    parse_errors: usize,
    evaluations: u64,
    deadline_hit: bool,
    faults: &[String],
    devices: &[DeviceStats],
) -> CliResult {
    for f in faults {
        super::warn(&format!(
            "device fault (its work went to other devices): {f}"
        ));
    }
    if deadline_hit {
        super::note("deadline reached; unscored candidates are reported as not_run");
    }
    let wall = watch.wall_s();
    let cpu = watch.cpu_s();
    let summary = json!({
        "tasks": ntasks,
        "candidates": ncandidates,
        "parse_errors": parse_errors,
        "evaluations": evaluations,
        "wall_s": wall,
        "cpu_s": cpu,
        "parallelism": if wall > 0.0 { cpu / wall } else { 0.0 },
        "evals_per_s": if wall > 0.0 { evaluations as f64 / wall } else { 0.0 },
        "deadline_hit": deadline_hit,
        "peak_rss_bytes": peak_rss_bytes(),
        "faults": faults,
        "devices": devices,
    });
    if a.profile {
        eprint!("{}", profile_text(&summary, devices));
    }
    if let Some(path) = &a.summary {
        common::write_json(path, &summary)?;
    }
    Ok(())
}

pub use gridscore::sched::stream::merge_stats;

/// The `--profile` report.
pub fn profile_text(summary: &serde_json::Value, devices: &[DeviceStats]) -> String {
    let f = |k: &str| summary[k].as_f64().unwrap_or(0.0);
    let mut s = format!(
        "profile: wall {:.3} s, process CPU {:.3} s (parallelism {:.2} = CPU / wall), {} evaluations, {:.0} evaluations/s{}\n",
        f("wall_s"),
        f("cpu_s"),
        f("parallelism"),
        summary["evaluations"],
        f("evals_per_s"),
        if summary["deadline_hit"] == true { ", deadline hit" } else { "" }
    );
    for d in devices {
        s.push_str(&format!(
            "  {} [{}/{}]: {} evaluations in {} chunks, busy {:.3} s{}, max in flight {}{}\n",
            d.name,
            d.kind,
            d.backend,
            d.evaluations,
            d.chunks,
            d.busy_s,
            d.gpu_s.map_or(String::new(), |g| format!(", GPU {g:.3} s")),
            d.max_inflight,
            d.failed
                .as_ref()
                .map_or(String::new(), |e| format!(", FAILED: {e}")),
        ));
    }
    s
}

/// `--shard I/N`: several tasks are dealt by task id; one task keeps all
/// and the shard is returned to select its candidates.
fn shard_tasks(
    shard: Option<Shard>,
    tasks: Vec<gridscore::task::Task>,
) -> (Vec<gridscore::task::Task>, Option<Shard>) {
    match shard {
        Some(s) if tasks.len() > 1 => {
            let n = tasks.len();
            let mine = s.select_tasks(tasks);
            if mine.is_empty() {
                eprintln!(
                    "gridscore: shard {s} has none of the {n} tasks (more shards than tasks)"
                );
            }
            (mine, None)
        }
        other => (tasks, other),
    }
}

/// `--top N`: candidates are read incrementally and only the N best kept
/// (with every parse error).
fn run_streaming(
    a: &ScoreArgs,
    tasks: &[gridscore::task::Task],
    by_candidate: Option<Shard>,
    top: usize,
    deadline: Option<Instant>,
    watch: &Stopwatch,
    mut failed: usize,
) -> CliResult {
    let format = a.output_format();
    let opts = BatchOptions {
        metric: a.metric,
        predictions: a.predictions.min(top),
    };
    let pb = progress_bar(None, "programs");
    let sched = scheduler(&a.run, deadline, a.grace, Some(pb.clone()))?;
    let pool = gridscore::lang::candidates::host_pool(flags::threads(a.run.threads))
        .map_err(CliError::failed)?;
    let mut out = common::Output::open(a.out.as_ref())?;
    let (mut evaluations, mut ncand, mut nerr) = (0u64, 0usize, 0usize);
    let mut deadline_hit = false;
    let mut faults = Vec::new();
    let mut devices: Vec<DeviceStats> = Vec::new();
    for (k, task) in tasks.iter().enumerate() {
        let mut reader = read_candidate_blocks(&a.candidates, &pool)?;
        let result = gridscore::sched::stream::score_stream_blocks(
            task,
            reader.by_ref().map(|b| {
                let mut b = b?;
                if let Some(s) = by_candidate {
                    b.retain(|c| s.owns(c.index));
                }
                Ok(b)
            }),
            &sched,
            &opts,
            top,
        );
        if k == 0 {
            for w in reader.warnings() {
                pb.suspend(|| super::warn(&format!("{}: {w}", a.candidates.display())));
            }
        }
        let run = match result {
            Ok(run) => run,
            Err(EngineError::Cancelled) => {
                return Err(CliError::interrupted(
                    signals::received().unwrap_or(libc::SIGINT),
                ))
            }
            Err(e @ EngineError::Read(_)) => {
                return Err(CliError::usage(anyhow::anyhow!(
                    "{}: {e}",
                    a.candidates.display()
                )))
            }
            Err(e) => {
                pb.suspend(|| {
                    super::error(&format!(
                        "task {}: {e}; its rows are not written, the other tasks go on",
                        gridscore::text::quote(&task.id)
                    ))
                });
                failed += 1;
                continue;
            }
        };
        evaluations += run.report.evaluations;
        ncand += run.report.candidates;
        nerr += run.report.parse_errors;
        deadline_hit |= run.deadline_hit;
        faults.extend(run.faults.iter().map(|f| format!("task {}: {f}", task.id)));
        merge_stats(&mut devices, &run.devices);
        let written = match format {
            Format::Jsonl => write_jsonl(&mut out, &task.id, &run.report, Some(top)),
            Format::Table => {
                write_table(&mut out, &task.id, &run.report, Some(top), tasks.len() > 1)
            }
        };
        if let Err(e) = written.and_then(|_| out.flush()) {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::failed(e));
        }
    }
    pb.finish_and_clear();
    out.commit()?;
    finish(
        a,
        watch,
        tasks.len(),
        ncand,
        nerr,
        evaluations,
        deadline_hit,
        &faults,
        &devices,
    )?;
    if failed > 0 {
        return Err(CliError::partial(failed, "files or tasks"));
    }
    Ok(())
}

fn write_table(
    out: &mut dyn Write,
    task: &str,
    report: &BatchReport,
    top: Option<usize>,
    multi: bool,
) -> std::io::Result<()> {
    let n = top.unwrap_or(20);
    let (ok, not_run) = (report.scored, report.not_run);
    let errors: Vec<&CandidateResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::ParseError)
        .collect();
    let pairs = report.results.first().map_or(0, |r| r.pairs);
    if multi || !report.results.is_empty() {
        writeln!(
            out,
            "task {}: {} candidates, {ok} scored ({} distinct programs), {} parse errors{}, {pairs} train pairs",
            esc(task),
            report.candidates,
            report.distinct,
            report.parse_errors,
            if not_run > 0 { format!(", {not_run} not run (deadline)") } else { String::new() }
        )?;
    }
    let id_w = report
        .results
        .iter()
        .take(n)
        .map(|r| esc(&r.id).chars().count())
        .max()
        .unwrap_or(2)
        .clamp(2, 24);
    writeln!(
        out,
        "{:>4}  {:<id_w$}  {:>5}  {:>6}  {:>4}  {:>3}  PROGRAM",
        "RANK", "ID", "EXACT", "SCORE", "TEST", "OPS"
    )?;
    for r in report
        .results
        .iter()
        .filter(|r| r.status == Status::Ok)
        .take(n)
    {
        let mut program = r.program.clone();
        if let Some(d) = &r.duplicate_of {
            program.push_str(&format!("  (duplicate of {})", truncate(&esc(d), 40)));
        }
        let solved = if r.exact as usize == r.pairs && r.pairs > 0 {
            "*"
        } else {
            " "
        };
        let known = r.test_scores.iter().flatten().count();
        let test = match r.test_exact {
            Some(e) => format!("{e}/{known}"),
            None => "-".to_string(),
        };
        writeln!(
            out,
            "{:>4}{solved} {:<id_w$}  {:>5}  {:>6}  {:>4}  {:>3}  {}",
            r.rank.unwrap_or(0),
            truncate(&esc(&r.id), id_w),
            format!("{}/{}", r.exact, r.pairs),
            r.score,
            test,
            r.ops,
            program
        )?;
    }
    if ok > n {
        let hint = if top.is_some() {
            "a larger --top"
        } else {
            "--top N"
        };
        writeln!(
            out,
            "      ... {} more scored (use {hint} or --format jsonl)",
            ok - n
        )?;
    }
    for r in &errors {
        writeln!(
            out,
            "  !   {:<id_w$}  {}",
            truncate(&esc(&r.id), id_w),
            esc(r.error.as_deref().unwrap_or(""))
        )?;
    }
    Ok(())
}

/// Text from the user, made safe for a terminal (control characters
/// escaped).
fn esc(s: &str) -> String {
    gridscore::text::escape(s).into_owned()
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let t: String = s.chars().take(w.saturating_sub(1)).collect();
        format!("{t}~")
    }
}
