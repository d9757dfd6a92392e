//! `gridscore score`: score and rank candidates on a task.

use super::common::{self, DeviceSpec};
use super::{CliError, CliResult};
use anyhow::Context;
use gridscore::engine::{score_batch, BatchOptions, BatchReport, CandidateResult, Status};
use gridscore::metrics::Stopwatch;
use gridscore::score::Metric;
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// Output format.
#[derive(Copy, Clone, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object per candidate, in rank order.
    Jsonl,
    /// A readable table of the top candidates.
    Table,
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
    /// Print only the N best candidates (all are scored).
    #[arg(long)]
    pub top: Option<usize>,
    /// Pair score that ranks candidates after exact pairs.
    #[arg(long, value_enum, default_value_t = Metric::Tiered)]
    pub metric: Metric,
    /// Output format [default: jsonl when stdout is not a terminal, else table].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the results here instead of stdout.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Write a JSON summary (candidates, evaluations, wall_s, cpu_s,
    /// evals_per_s, devices) here.
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// CPU worker threads [default: physical cores].
    #[arg(long, default_value_t = 0)]
    pub threads: usize,
    /// Devices: auto (GPUs if present, else CPU), cpu, gpu (software
    /// adapters included), all, or a comma list such as cpu,gpu.
    #[arg(long, default_value = "auto", value_parser = common::parse_device_spec)]
    pub device: DeviceSpec,
    /// How many of the best candidates carry their test predictions.
    #[arg(long, default_value_t = 10)]
    pub predictions: usize,
}

pub fn run(a: ScoreArgs) -> CliResult {
    let watch = Stopwatch::start();
    let tasks = common::tasks(&a.task, a.solutions.as_deref(), a.task_id.as_deref())?;
    let candidates = common::candidates(&a.candidates)?;
    let devices = common::open_devices(&a.device, a.threads)?;
    let backend = devices[0].as_ref();
    let format = a
        .format
        .unwrap_or(if std::io::stdout().is_terminal() && a.out.is_none() {
            Format::Table
        } else {
            Format::Jsonl
        });
    let opts = BatchOptions {
        metric: a.metric,
        predictions: a.predictions,
    };
    let mut out = common::output(a.out.as_ref())?;
    let mut evaluations = 0u64;
    let multi = tasks.len() > 1;
    for task in &tasks {
        let report = score_batch(task, &candidates, backend, &opts)
            .with_context(|| format!("task {}", task.id))
            .map_err(CliError::failed)?;
        evaluations += report.evaluations;
        let written = match format {
            Format::Jsonl => write_jsonl(&mut out, &task.id, &report, a.top),
            Format::Table => write_table(&mut out, &task.id, &report, a.top, multi),
        };
        if let Err(e) = written {
            if e.kind() == std::io::ErrorKind::BrokenPipe {
                return Ok(());
            }
            return Err(CliError::failed(e));
        }
    }
    if let Err(e) = out.flush() {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(CliError::failed(e));
        }
    }
    if let Some(path) = &a.summary {
        let wall = watch.wall_s();
        let summary = json!({
            "tasks": tasks.len(),
            "candidates": candidates.len() * tasks.len(),
            "parse_errors": candidates.iter().filter(|c| c.program.is_err()).count(),
            "evaluations": evaluations,
            "wall_s": wall,
            "cpu_s": watch.cpu_s(),
            "evals_per_s": if wall > 0.0 { evaluations as f64 / wall } else { 0.0 },
            "devices": devices.iter().map(|d| json!({"name": d.name(), "kind": d.kind()})).collect::<Vec<_>>(),
        });
        common::write_json(path, &summary)?;
    }
    Ok(())
}

/// One JSONL row.
pub fn row_json(task: &str, r: &CandidateResult) -> serde_json::Value {
    let mut v = serde_json::to_value(r).expect("results serialize");
    v["task"] = json!(task);
    v
}

fn write_jsonl(
    out: &mut dyn Write,
    task: &str,
    report: &BatchReport,
    top: Option<usize>,
) -> std::io::Result<()> {
    let n = top.unwrap_or(usize::MAX);
    for r in report.results.iter().take(n) {
        serde_json::to_writer(&mut *out, &row_json(task, r))?;
        out.write_all(b"\n")?;
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
    let ok = report
        .results
        .iter()
        .filter(|r| r.status == Status::Ok)
        .count();
    let errors: Vec<&CandidateResult> = report
        .results
        .iter()
        .filter(|r| r.status == Status::ParseError)
        .collect();
    let pairs = report.results.first().map_or(0, |r| r.pairs);
    if multi || !report.results.is_empty() {
        writeln!(
            out,
            "task {task}: {} candidates, {ok} scored ({} distinct programs), {} parse errors, {pairs} train pairs",
            report.results.len(),
            report.distinct,
            errors.len()
        )?;
    }
    let id_w = report
        .results
        .iter()
        .take(n)
        .map(|r| r.id.len())
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
            program.push_str(&format!("  (duplicate of {d})"));
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
            truncate(&r.id, id_w),
            format!("{}/{}", r.exact, r.pairs),
            r.score,
            test,
            r.ops,
            program
        )?;
    }
    if ok > n {
        writeln!(
            out,
            "      ... {} more (use --top N or --format jsonl)",
            ok - n
        )?;
    }
    for r in &errors {
        writeln!(
            out,
            "  !   {:<id_w$}  {}",
            truncate(&r.id, id_w),
            r.error.as_deref().unwrap_or("")
        )?;
    }
    Ok(())
}

fn truncate(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let t: String = s.chars().take(w.saturating_sub(1)).collect();
        format!("{t}~")
    }
}
