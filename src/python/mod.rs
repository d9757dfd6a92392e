//! The Python module `gridscore._gridscore` (feature `python`, built by
//! maturin from `pyproject.toml`; the package `python/gridscore` wraps it).
//! See `docs/python.md`.
//!
//! Rows come from the same serialisation as the CLI's JSON Lines
//! ([`crate::engine::rows`]); search results from [`search_task_limited`] with
//! [`submission_entry`] and [`full_report_line`]; options are parsed by the CLI's
//! own argument definitions where the library has them, so Python and the
//! CLI cannot drift apart. The engine runs on a worker thread with the GIL
//! released while the calling thread checks for signals every 50 ms: Ctrl-C
//! cancels the run (the scheduler stops within a tick) and raises
//! `KeyboardInterrupt`.

mod convert;

use crate::engine::rows::rows;
use crate::engine::{Backend, BatchOptions, Cancel};
use crate::lang::candidates::{Candidate, CandidateError, CandidateReader};
use crate::lang::Program;
use crate::sched::devices::{open_devices, DeviceSpec};
use crate::sched::{SchedOptions, Scheduler};
use crate::score::Metric;
use crate::search::cli::SearchArgs;
use crate::search::submission::{full_report_line, search_task_limited, submission_entry};
use crate::shard::Shard;
use crate::task::{task_from_json, task_to_json, Task};
use convert::{to_python, to_value, Objects};
use pyo3::create_exception;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyModule, PyString, PyTuple};
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

create_exception!(
    gridscore,
    GridscoreError,
    PyValueError,
    "Base class of gridscore's errors (a ValueError); the message is the CLI's."
);
create_exception!(
    gridscore,
    TaskError,
    GridscoreError,
    "A task (file, directory, combined file or dict) that cannot be read or is invalid."
);
create_exception!(
    gridscore,
    CandidatesError,
    GridscoreError,
    "A candidates file that cannot be read (bad programs are rows, not errors)."
);
create_exception!(
    gridscore,
    DeviceError,
    GridscoreError,
    "A device list that does not parse, or devices that cannot be opened."
);
create_exception!(
    gridscore,
    EngineError,
    GridscoreError,
    "The work itself failed (every device, the CPU included)."
);
create_exception!(
    gridscore,
    MergeError,
    GridscoreError,
    "Shard results that do not merge (a shard twice, or one missing)."
);

/// Why a run on the worker thread failed, turned into a Python exception
/// on the calling thread.
enum Failure {
    Device(String),
    Engine(String),
    Candidates(String),
    /// Ctrl-C: the caller has already raised KeyboardInterrupt.
    Cancelled,
}

impl Failure {
    fn into_py(self) -> PyErr {
        match self {
            Failure::Device(m) => DeviceError::new_err(m),
            Failure::Engine(m) => EngineError::new_err(m),
            Failure::Candidates(m) => CandidatesError::new_err(m),
            Failure::Cancelled => pyo3::exceptions::PyKeyboardInterrupt::new_err(()),
        }
    }
}

type Devices = Vec<Arc<dyn Backend>>;

/// Devices opened once per (device list, threads) and kept for the
/// process: opening GPUs and building thread pools is not repeated on each
/// call.
fn devices(spec: &DeviceSpec, threads: usize) -> Result<Devices, Failure> {
    static CACHE: Mutex<Vec<((DeviceSpec, usize), Devices)>> = Mutex::new(Vec::new());
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, d)) = cache.iter().find(|(k, _)| k.0 == *spec && k.1 == threads) {
        return Ok(d.clone());
    }
    let opened = open_devices(spec, threads).map_err(|e| Failure::Device(e.to_string()))?;
    cache.push(((spec.clone(), threads), opened.devices.clone()));
    Ok(opened.devices)
}

fn parse_devices(device: &str) -> PyResult<DeviceSpec> {
    device
        .parse::<DeviceSpec>()
        .map_err(|e| DeviceError::new_err(e.to_string()))
}

fn parse_metric(metric: &str) -> PyResult<Metric> {
    <Metric as clap::ValueEnum>::from_str(metric, false).map_err(|_| {
        GridscoreError::new_err(format!(
            "unknown metric `{metric}` (expected tiered, exact or cells)"
        ))
    })
}

/// Runs `work` on a worker thread, with the GIL released, checking for
/// signals (Ctrl-C) every 50 ms. On a signal, `cancel` is set (the
/// scheduler stops within a tick; the worker's result is dropped) and the
/// signal's exception (`KeyboardInterrupt`) is raised.
fn run_interruptible<T: Send + 'static>(
    py: Python<'_>,
    cancel: Cancel,
    work: impl FnOnce() -> Result<T, Failure> + Send + 'static,
) -> PyResult<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("gridscore-python".into())
        .spawn(move || {
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(work));
            let _ = tx.send(r);
        })
        .map_err(|e| EngineError::new_err(format!("cannot start a thread: {e}")))?;
    let mut rx = rx;
    loop {
        let (got, back) = py.detach(move || {
            let got = rx.recv_timeout(Duration::from_millis(50));
            (got, rx)
        });
        rx = back;
        match got {
            Ok(Ok(r)) => return r.map_err(Failure::into_py),
            Ok(Err(panic)) => {
                let what = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Err(EngineError::new_err(format!(
                    "internal error: the engine panicked: {what}"
                )));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    cancel.cancel();
                    return Err(e);
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(EngineError::new_err(
                    "internal error: the engine thread ended",
                ))
            }
        }
    }
}

/// Pauses Python's cyclic garbage collector while many rows are built (it
/// would otherwise scan the growing list again and again; rows hold no
/// cycles), and resumes it when dropped if it was running.
struct GcPause<'py> {
    gc: Option<Bound<'py, PyModule>>,
}

impl<'py> GcPause<'py> {
    fn new(py: Python<'py>) -> PyResult<GcPause<'py>> {
        let gc = py.import("gc")?;
        if gc.call_method0("isenabled")?.is_truthy()? {
            gc.call_method0("disable")?;
            return Ok(GcPause { gc: Some(gc) });
        }
        Ok(GcPause { gc: None })
    }
}

impl Drop for GcPause<'_> {
    fn drop(&mut self) {
        if let Some(gc) = &self.gc {
            let _ = gc.call_method0("enable");
        }
    }
}

/// A task from a Python dict (grids as lists of lists or 2-D integer
/// arrays), validated exactly as a task file is.
fn task_of(task: &Bound<'_, PyAny>, task_id: Option<String>) -> PyResult<Task> {
    let v = to_value(task)?;
    let given = task_id.or_else(|| v.get("id").and_then(|i| i.as_str()).map(str::to_string));
    let named = given.is_some();
    let id = given.unwrap_or_else(|| "task".to_string());
    task_from_json(&v, Path::new("<task>"), &id).map_err(|e| {
        let msg = e.to_string();
        // A dict without an id is `<task>`, not `<task>: task task, ...`.
        let msg = if named {
            msg
        } else {
            msg.replacen("<task>: task task, ", "<task>: ", 1).replacen(
                "<task>: task task: ",
                "<task>: ",
                1,
            )
        };
        TaskError::new_err(msg)
    })
}

/// Candidates as handed over by Python, parsed later without the GIL.
enum RawCandidates {
    /// A candidates file.
    Path(PathBuf),
    /// The contents of a candidates file.
    Bytes(Vec<u8>),
    /// (id, program text): item `i` is candidate `i`, as on line `i + 1`.
    Items(Vec<(String, String)>),
}

/// Candidates from a path (str or os.PathLike) of a candidates file, the
/// bytes of one, or an iterable of program strings and `(id, program)`
/// pairs.
fn candidates_of(candidates: &Bound<'_, PyAny>) -> PyResult<RawCandidates> {
    if candidates.is_instance_of::<PyString>() || candidates.hasattr("__fspath__")? {
        return Ok(RawCandidates::Path(candidates.extract()?));
    }
    if let Ok(b) = candidates.cast::<PyBytes>() {
        return Ok(RawCandidates::Bytes(b.as_bytes().to_vec()));
    }
    let mut out = Vec::new();
    for (index, item) in candidates.try_iter()?.enumerate() {
        let item = item?;
        if let Ok(s) = item.cast::<PyString>() {
            out.push((index.to_string(), s.to_cow()?.into_owned()));
        } else if let Some(p) = pair(&item) {
            out.push(p);
        } else {
            return Err(PyTypeError::new_err(format!(
                "candidate {index}: expected a program string or an (id, program) pair, got {}",
                item.get_type().name()?
            )));
        }
    }
    Ok(RawCandidates::Items(out))
}

impl RawCandidates {
    /// Reads and parses the candidates, as the CLI does for a file; stops
    /// early once `cancel` is set.
    fn parse(self, cancel: &Cancel) -> Result<Vec<Candidate>, Failure> {
        let cancelled = |k: usize| k % 4096 == 4095 && cancel.is_cancelled();
        let read = |mut r: CandidateReader<&[u8]>| {
            let mut out = Vec::new();
            while let Ok(Some(c)) = r.next_candidate() {
                if cancelled(out.len()) {
                    return Err(Failure::Cancelled);
                }
                out.push(c);
            }
            Ok(out)
        };
        match self {
            RawCandidates::Path(path) => {
                let bytes = std::fs::read(&path).map_err(|e| {
                    Failure::Candidates(format!(
                        "{}: cannot read the candidates file: {e}",
                        path.display()
                    ))
                })?;
                read(CandidateReader::new(&bytes[..]))
            }
            RawCandidates::Bytes(b) => read(CandidateReader::new(&b[..])),
            RawCandidates::Items(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (index, (id, text)) in items.into_iter().enumerate() {
                    if cancelled(index) {
                        return Err(Failure::Cancelled);
                    }
                    let line = index + 1;
                    let text = text.trim().to_string();
                    let program = Program::parse(&text)
                        .map_err(|source| CandidateError::Parse { line, source });
                    out.push(Candidate {
                        id,
                        index,
                        line,
                        text,
                        program,
                    });
                }
                Ok(out)
            }
        }
    }
}

/// `(id, program)`: a 2-tuple or 2-list whose second item is a string; the
/// id is a string or an integer.
fn pair(item: &Bound<'_, PyAny>) -> Option<(String, String)> {
    let seq: Vec<Bound<'_, PyAny>> = if let Ok(t) = item.cast::<PyTuple>() {
        t.iter().collect()
    } else if let Ok(l) = item.cast::<PyList>() {
        l.iter().collect()
    } else {
        return None;
    };
    let [id, text] = &seq[..] else {
        return None;
    };
    let text = text.cast::<PyString>().ok()?.to_cow().ok()?.into_owned();
    let id = if let Ok(s) = id.cast::<PyString>() {
        s.to_cow().ok()?.into_owned()
    } else {
        id.extract::<i64>().ok()?.to_string()
    };
    Some((id, text))
}

/// Scores and ranks candidate programs on one ARC task.
///
/// Returns one dict per candidate in rank order, then the candidates that
/// did not parse (and any not run before `deadline`) in input order: exactly
/// the rows of `gridscore score --format jsonl` (`rank`, `id`, `program`,
/// `status`, `error`, `exact`, `pairs`, `score`, `pair_scores`,
/// `test_scores`, `test_exact`, `hashes`, `duplicate_of`, `predictions`,
/// `ops`, `index`, `line`, `task`).
///
/// task: an ARC task dict {"train": [...], "test": [...]} with grids as
///     lists of lists or 2-D integer numpy arrays; its "id" (or `task_id`)
///     names it in the rows.
/// candidates: program strings, (id, program) pairs (item i is candidate
///     i, as on line i+1 of a file), the path of a candidates file (a str
///     or os.PathLike, read as the CLI reads it), or the bytes of one.
/// metric: "tiered", "exact" or "cells".
/// device: "auto", "cpu", "gpu", "all" or a comma list such as "cpu,gpu".
/// top: return only the best `top` rows (all are scored).
/// deadline: seconds after which no new chunk starts; candidates not
///     scored by then have status "not_run".
/// predictions: how many of the best rows carry their test outputs.
/// threads: CPU worker threads (0: the physical cores).
/// shard: (i, n) scores only candidates i-1, i-1+n, ... (1 <= i <= n), as
///     `--shard i/n` does; merge_rankings() joins the shards.
///
/// Raises TaskError, CandidatesError, DeviceError, EngineError or
/// GridscoreError (all ValueError), with the CLI's messages. The GIL is
/// released while the engine runs; Ctrl-C raises KeyboardInterrupt.
#[pyfunction]
#[pyo3(signature = (task, candidates, *, metric="tiered", device="auto", top=None, deadline=None, predictions=10, threads=0, task_id=None, shard=None))]
#[allow(clippy::too_many_arguments)]
fn score<'py>(
    py: Python<'py>,
    task: &Bound<'py, PyAny>,
    candidates: &Bound<'py, PyAny>,
    metric: &str,
    device: &str,
    top: Option<usize>,
    deadline: Option<f64>,
    predictions: usize,
    threads: usize,
    task_id: Option<String>,
    shard: Option<(usize, usize)>,
) -> PyResult<Bound<'py, PyList>> {
    let start = Instant::now();
    let metric = parse_metric(metric)?;
    let spec = parse_devices(device)?;
    if let Some(d) = deadline {
        if !(d.is_finite() && d >= 0.0) {
            return Err(GridscoreError::new_err(
                "deadline must be a number of seconds >= 0",
            ));
        }
    }
    let shard = shard
        .map(|(i, n)| Shard::new(i, n))
        .transpose()
        .map_err(|e| GridscoreError::new_err(e.to_string()))?;
    let task = task_of(task, task_id)?;
    let raw = candidates_of(candidates)?;
    let cancel = Cancel::new();
    let flag = cancel.clone();
    let (task, report) = run_interruptible(py, cancel, move || {
        let mut candidates = raw.parse(&flag)?;
        if let Some(s) = shard {
            candidates.retain(|c| s.owns(c.index));
        }
        if flag.is_cancelled() {
            return Err(Failure::Cancelled);
        }
        let sched = Scheduler::new(
            devices(&spec, threads)?,
            SchedOptions {
                deadline: deadline.map(|d| start + Duration::from_secs_f64(d)),
                cancel: flag.clone(),
                ..SchedOptions::default()
            },
        );
        let opts = BatchOptions {
            metric,
            predictions,
        };
        let mut run = crate::sched::score(&task, &candidates, &sched, &opts)
            .map_err(|e| Failure::Engine(format!("task {}: {e}", task.id)))?;
        for r in &mut run.report.results {
            // The index among all candidates (a shard scores some).
            r.index = candidates[r.index].index;
        }
        drop_in_background(candidates);
        Ok((task, run.report))
    })?;
    let list = PyList::empty(py);
    let mut objects = Objects::new(py);
    let _gc = GcPause::new(py)?;
    for (k, row) in rows(&task.id, &report, top).enumerate() {
        if k % 8192 == 8191 {
            py.check_signals()?;
        }
        list.append(objects.convert(&row)?)?;
    }
    drop_in_background(report);
    Ok(list)
}

/// Frees a large value (10^5 candidates or results are millions of small
/// allocations) on another thread, so that the caller gets its rows first.
fn drop_in_background<T: Send + 'static>(v: T) {
    let _ = std::thread::Builder::new()
        .name("gridscore-free".into())
        .spawn(move || drop(v));
}

/// Searches programs of up to `depth` ops for one ARC task (as
/// `gridscore search` does; see docs/search.md).
///
/// Returns {"task": id, "attempts": [...], "programs": [...], "stats":
/// {...}}: "attempts" is the task's ARC Prize submission entry (one
/// {"attempt_1", "attempt_2"} per test input, exactly what
/// `gridscore search --out` writes for it), "programs" the programs behind
/// the attempts with their scores, best first, and "stats" the task's line
/// of `gridscore search --report`.
///
/// The options are the CLI's flags: depth (0..=16), time_limit (seconds per
/// task), device, metric, max_states, max_memory (MiB), last_depth ("auto",
/// "states" or "backend"), batch_size, first (stop at the first program
/// exact on every train pair), threads, compose (answers stacked from
/// several programs), normalize (the color-normalised view), transpose (the
/// transposed views), thorough (every depth and view even once solved),
/// max_pieces (pieces kept per view for composition).
///
/// Raises TaskError, DeviceError, EngineError or GridscoreError (all
/// ValueError). The GIL is released while it runs; Ctrl-C raises
/// KeyboardInterrupt at once (the search itself ends in the background at
/// its next budget check, at the latest at `time_limit`).
#[pyfunction]
#[pyo3(signature = (task, *, depth=2, time_limit=None, device="auto", metric="tiered", max_states=2_000_000, max_memory=2048, last_depth="auto", batch_size=65536, first=false, threads=0, task_id=None, compose=true, normalize=true, transpose=false, thorough=false, max_pieces=20_000))]
#[allow(clippy::too_many_arguments)]
fn search<'py>(
    py: Python<'py>,
    task: &Bound<'py, PyAny>,
    depth: i64,
    time_limit: Option<f64>,
    device: &str,
    metric: &str,
    max_states: usize,
    max_memory: usize,
    last_depth: &str,
    batch_size: usize,
    first: bool,
    threads: usize,
    task_id: Option<String>,
    compose: bool,
    normalize: bool,
    transpose: bool,
    thorough: bool,
    max_pieces: usize,
) -> PyResult<Bound<'py, PyAny>> {
    // The CLI's own flags, so that defaults and checks cannot drift apart.
    let mut argv: Vec<String> = vec!["search".into(), "<task>".into()];
    for (on, flag) in [
        (!compose, "--no-compose"),
        (!normalize, "--no-normalize"),
        (transpose, "--transpose"),
        (thorough, "--thorough"),
    ] {
        if on {
            argv.push(flag.into());
        }
    }
    for (flag, value) in [
        ("--max-pieces", max_pieces.to_string()),
        ("--depth", depth.to_string()),
        ("--device", device.to_string()),
        ("--metric", metric.to_string()),
        ("--max-states", max_states.to_string()),
        ("--max-memory", max_memory.to_string()),
        ("--last-depth", last_depth.to_string()),
        ("--batch-size", batch_size.to_string()),
    ] {
        argv.push(format!("{flag}={value}"));
    }
    if let Some(t) = time_limit {
        if !(t.is_finite() && t >= 0.0) {
            return Err(GridscoreError::new_err(
                "time_limit must be a number of seconds >= 0",
            ));
        }
        argv.push(format!("--time-limit={t}"));
    }
    if first {
        argv.push("--first".into());
    }
    let args = parse_search_args(&argv)?;
    let spec = parse_devices(&args.device)?;
    let opts = args.options();
    let task = task_of(task, task_id)?;
    let cancel = Cancel::new();
    let flag = cancel.clone();
    let result = run_interruptible(py, cancel, move || {
        let sched = Scheduler::new(
            devices(&spec, threads)?,
            SchedOptions {
                cancel: flag.clone(),
                ..SchedOptions::default()
            },
        );
        let mut opts = opts;
        opts.cancel = flag.clone();
        let (r, cut) = search_task_limited(&task, &opts, &sched, &flag)
            .map_err(|e| Failure::Engine(format!("task {}: {e}", task.id)))?;
        let line = full_report_line(&r, cut);
        Ok(serde_json::json!({
            "task": r.task,
            "attempts": submission_entry(&r.attempts),
            "programs": line["program_scores"],
            "stats": line,
        }))
    })?;
    to_python(py, &result)
}

fn parse_search_args(argv: &[String]) -> PyResult<SearchArgs> {
    #[derive(clap::Parser)]
    #[command(name = "search")]
    struct Cmd {
        #[command(flatten)]
        args: SearchArgs,
    }
    <Cmd as clap::Parser>::try_parse_from(argv)
        .map(|c| c.args)
        .map_err(|e| {
            // clap's first line, with each flag named as its keyword.
            let text = e.to_string();
            let mut line = text
                .lines()
                .next()
                .unwrap_or("invalid search options")
                .trim_start_matches("error: ")
                .to_string();
            for flag in [
                "depth",
                "time-limit",
                "device",
                "metric",
                "max-states",
                "max-memory",
                "last-depth",
                "batch-size",
            ] {
                line = line.replace(&format!("--{flag}"), &flag.replace('-', "_"));
            }
            GridscoreError::new_err(line)
        })
}

/// Loads ARC tasks from a task file, a directory of task files (task id =
/// file stem) or a combined challenges file ({task_id: task}), with an
/// optional combined solutions file ({task_id: [grid, ...]}) for the test
/// outputs. Every grid is validated as the CLI does.
///
/// Returns {task_id: {"id", "train", "test"}} in the CLI's order (sorted by
/// id), grids as lists of lists. Raises TaskError with the CLI's message.
#[pyfunction]
#[pyo3(signature = (path, solutions=None))]
fn load_tasks<'py>(
    py: Python<'py>,
    path: PathBuf,
    solutions: Option<PathBuf>,
) -> PyResult<Bound<'py, PyDict>> {
    let tasks = py
        .detach(|| crate::task::load_tasks(&path, solutions.as_deref()))
        .map_err(|e| TaskError::new_err(e.to_string()))?;
    let out = PyDict::new(py);
    for t in &tasks {
        let mut v = serde_json::Map::new();
        v.insert("id".into(), t.id.clone().into());
        if let serde_json::Value::Object(m) = task_to_json(t) {
            v.extend(m);
        }
        out.set_item(&t.id, to_python(py, &serde_json::Value::Object(v))?)?;
    }
    Ok(out)
}

/// The CPU (threads, what bounds them, the host) and every GPU adapter
/// wgpu finds, as `gridscore devices --json` prints them.
#[pyfunction]
#[pyo3(name = "devices")]
fn devices_info(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let v = py.detach(crate::sched::devices::devices_json);
    to_python(py, &v)
}

/// Merges the rows of score() shards (shard=(i, n), or `--shard i/n` JSON
/// Lines read back) into exactly the rows of one run, as `gridscore merge`
/// does: re-ranked, `duplicate_of` and predictions as in one run.
///
/// shards: one list of rows per shard. top, predictions: those the shards
/// were scored with. Raises MergeError when a shard is given twice or one
/// is missing.
#[pyfunction]
#[pyo3(signature = (shards, *, top=None, predictions=10))]
fn merge_rankings<'py>(
    py: Python<'py>,
    shards: &Bound<'py, PyAny>,
    top: Option<usize>,
    predictions: usize,
) -> PyResult<Bound<'py, PyList>> {
    let mut all = Vec::new();
    for shard in shards.try_iter()? {
        let mut rows = Vec::new();
        for row in shard?.try_iter()? {
            rows.push(to_value(&row?)?);
        }
        all.push(rows);
    }
    let opts = crate::merge::MergeOptions { top, predictions };
    let merged = py
        .detach(|| crate::merge::merge_rankings(all, &opts))
        .map_err(|e| MergeError::new_err(e.to_string()))?;
    let list = PyList::empty(py);
    let mut objects = Objects::new(py);
    let _gc = GcPause::new(py)?;
    for row in &merged {
        list.append(objects.convert(row)?)?;
    }
    Ok(list)
}

/// gridscore's engine (see the `gridscore` package for the documented API).
#[pymodule]
fn _gridscore(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(score, m)?)?;
    m.add_function(wrap_pyfunction!(search, m)?)?;
    m.add_function(wrap_pyfunction!(load_tasks, m)?)?;
    m.add_function(wrap_pyfunction!(devices_info, m)?)?;
    m.add_function(wrap_pyfunction!(merge_rankings, m)?)?;
    m.add("GridscoreError", py.get_type::<GridscoreError>())?;
    m.add("TaskError", py.get_type::<TaskError>())?;
    m.add("CandidatesError", py.get_type::<CandidatesError>())?;
    m.add("DeviceError", py.get_type::<DeviceError>())?;
    m.add("EngineError", py.get_type::<EngineError>())?;
    m.add("MergeError", py.get_type::<MergeError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
