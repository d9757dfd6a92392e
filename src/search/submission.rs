//! Running the search over task files: attempts, the ARC Prize submission
//! file, the JSON Lines report, the progress bar and the summary.
//!
//! Reliability (issue 11, `docs/reliability.md`): outputs are rewritten
//! atomically after every finished task, `resume` skips the tasks already
//! in the submission, one bad file or task never stops the others, the
//! time limit cuts backend batches (`TimeLimited`) and a cap on resident
//! memory sets each task's state budget ([`options_within`]).

use super::{search_task, Budget, SearchOptions, SearchResult};
use crate::engine::{Backend, Cancel, EngineError};
use crate::grid::Grid;
use crate::lang::Program;
use crate::task::{Task, TaskError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Why a search run failed.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Task(#[from] TaskError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{}: cannot write: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: cannot resume from it: {message}", path.display())]
    Resume { path: PathBuf, message: String },
    #[error("{0}")]
    Usage(String),
}

/// For each test input, the two attempts (from the ranked programs'
/// predictions, `preds[rank][test]`): the first valid output, then the first
/// valid output that differs from it. Missing attempts fall back to a copy
/// of the input, then to `[[0]]`. Also returns the ranks that gave test
/// input 0 its attempts.
pub fn choose_attempts(task: &Task, preds: &[Vec<Option<Grid>>]) -> (Vec<[Grid; 2]>, Vec<usize>) {
    let mut used = Vec::new();
    let attempts = task
        .test
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let valid = |r: usize| preds[r].get(i).and_then(|g| g.as_ref());
            let first = (0..preds.len()).find_map(|r| valid(r).map(|g| (r, g)));
            let a1 = first.map(|(_, g)| g.clone());
            let second = first.and_then(|(_, g1)| {
                (0..preds.len()).find_map(|r| valid(r).filter(|g| *g != g1).map(|g| (r, g)))
            });
            if i == 0 {
                used.extend(first.map(|(r, _)| r));
                used.extend(second.map(|(r, _)| r));
            }
            let zero = Grid::filled(1, 1, 0);
            let a1 = a1.unwrap_or_else(|| t.input.clone());
            let a2 = match second {
                Some((_, g)) => g.clone(),
                None if t.input != a1 => t.input.clone(),
                None => zero,
            };
            [a1, a2]
        })
        .collect();
    (attempts, used)
}

/// Whether every test output is matched by one of its attempts (`None`
/// when some test output is unknown), and (matched, known) counts.
pub fn check_attempts(task: &Task, attempts: &[[Grid; 2]]) -> (Option<bool>, (usize, usize)) {
    let mut known = 0;
    let mut ok = 0;
    for (t, a) in task.test.iter().zip(attempts) {
        if let Some(o) = &t.output {
            known += 1;
            ok += usize::from(a.iter().any(|g| g == o));
        }
    }
    let all_known = known == task.test.len() && known > 0;
    (all_known.then_some(ok == known), (ok, known))
}

/// The ARC Prize submission entry of one task: one object with
/// `attempt_1` and `attempt_2` per test input.
pub fn submission_entry(attempts: &[[Grid; 2]]) -> Value {
    Value::Array(
        attempts
            .iter()
            .map(|[a, b]| json!({"attempt_1": a, "attempt_2": b}))
            .collect(),
    )
}

/// One line of the report.
/// Searches one task with its time limit kept on the backend too: batches
/// sent after the deadline are cut (and counted: the second value, the
/// report's `programs_cut`), and after the deadline the final ranking runs
/// on the CPU. What `gridscore search` and Python's `search` run per task.
pub fn search_task_limited(
    task: &crate::task::Task,
    opts: &SearchOptions,
    backend: &dyn Backend,
    cancel: &crate::engine::Cancel,
) -> Result<(SearchResult, u64), SearchError> {
    let limited = TimeLimited {
        inner: backend,
        deadline: opts.time_limit.map(|t| Instant::now() + t),
        cancel,
        cut: AtomicU64::new(0),
        cpu: std::sync::OnceLock::new(),
    };
    let r = search_task(task, opts, &limited)?;
    Ok((r, limited.cut.load(Ordering::Relaxed)))
}

/// The task's line of `--report`: [`report_line`] with the programs cut at
/// the deadline and the process's peak resident memory so far.
pub fn full_report_line(r: &SearchResult, programs_cut: u64) -> Value {
    let mut line = report_line(r);
    line["programs_cut"] = json!(programs_cut);
    line["peak_rss_bytes"] = json!(crate::metrics::peak_rss_bytes());
    line
}

/// The task's search result as JSON (the fields of `--report` but the
/// run-level ones of [`full_report_line`]).
pub fn report_line(r: &SearchResult) -> Value {
    json!({
        "task": r.task,
        "solved_train": r.solved_train,
        "test_correct": r.test_correct,
        "test_outputs_correct": [r.test_outputs_correct.0, r.test_outputs_correct.1],
        "programs": r.programs.iter().map(|p| &p.program).collect::<Vec<_>>(),
        "program_scores": r.programs,
        "candidates": r.candidates,
        "states": r.depths.iter().map(|d| d.states).collect::<Vec<_>>(),
        "depths": r.depths,
        "depth_reached": r.depth_reached,
        "stopped_by": r.stopped_by,
        "budget_hit": r.stopped_by.is_some(),
        "backend_mismatches": r.backend_mismatches,
        "pieces": r.pieces,
        "compositions": r.compositions,
        "attempt_sources": r.attempt_sources.iter().map(|pair| {
            pair.iter().map(|src| match src {
                Some(k) => json!({
                    "program": r.ranked[*k].program,
                    "stage": r.ranked[*k].stage,
                    "view": r.ranked[*k].view,
                    "pieces": r.ranked[*k].pieces,
                }),
                None => json!({"stage": "fallback"}),
            }).collect::<Vec<_>>()
        }).collect::<Vec<_>>(),
        "wall_s": (r.wall_s * 1000.0).round() / 1000.0,
    })
}

/// Where a run writes, and how it may be stopped.
#[derive(Clone, Default)]
pub struct RunOutputs {
    /// The submission file (`{task_id: [{attempt_1, attempt_2}, ...]}`),
    /// rewritten atomically after each finished task.
    pub out: Option<PathBuf>,
    /// The JSON Lines report, one line per task, rewritten atomically
    /// after each finished task.
    pub report: Option<PathBuf>,
    /// A solutions file (Kaggle format) giving test outputs by task id.
    pub solutions: Option<PathBuf>,
    /// Show the progress bar (it is hidden anyway when stderr is not a
    /// terminal).
    pub progress: bool,
    /// Skip the tasks already in `out` (and keep their entries and report
    /// lines).
    pub resume: bool,
    /// A cap on the peak resident memory of the process (bytes): each
    /// task's state budget is what is left of it after the process's
    /// current size and the search's working set (see `docs/reliability.md`).
    pub max_rss: Option<u64>,
    /// Set by a signal: no new task starts, the current one stops at its
    /// next backend call, and what is finished stays written.
    pub cancel: Cancel,
    /// Told each warning and each task error as it happens (the CLI prints
    /// them on stderr); they are also in the [`Summary`].
    pub notify: Option<Notify>,
    /// `--shard I/N`: search only this share of the tasks (dealt by sorted
    /// task id), for job arrays; `gridscore merge` joins the shards.
    pub shard: Option<crate::shard::Shard>,
}

/// What a run says as it goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// Something worth knowing that stops nothing.
    Warning(String),
    /// A file or task that failed (the others go on).
    Error(String),
}

/// A receiver of [`Notice`]s.
pub type Notify = Arc<dyn Fn(&Notice) + Send + Sync>;

impl fmt::Debug for RunOutputs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RunOutputs")
            .field("out", &self.out)
            .field("report", &self.report)
            .field("solutions", &self.solutions)
            .field("progress", &self.progress)
            .field("resume", &self.resume)
            .field("max_rss", &self.max_rss)
            .finish_non_exhaustive()
    }
}

/// Totals of a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub tasks: usize,
    /// Tasks whose best program is exact on every train pair.
    pub solved_train: usize,
    /// Tasks with every test output matched by an attempt.
    pub test_correct: usize,
    /// Tasks whose test outputs are all known.
    pub test_known: usize,
    /// Test outputs matched by an attempt.
    pub test_outputs_correct: usize,
    /// Test outputs known.
    pub test_outputs: usize,
    /// Tasks stopped by the time limit / the state cap / the memory cap.
    pub stopped_time: usize,
    pub stopped_states: usize,
    pub stopped_memory: usize,
    pub candidates: u64,
    pub wall_s: f64,
    /// Tasks skipped because `--resume` found them in the submission.
    pub resumed: usize,
    /// Files and tasks that failed (file, task, reason), in order.
    pub errors: Vec<String>,
    /// Warnings (duplicate tasks, unmatched solutions, ...).
    pub warnings: Vec<String>,
    /// Programs a time limit cut from a backend batch (not scored).
    pub programs_cut: u64,
    /// A signal stopped the run: the tasks finished before it are written.
    pub interrupted: bool,
    /// Peak resident memory of the process so far (bytes).
    pub peak_rss_bytes: u64,
}

impl Summary {
    fn add(&mut self, r: &SearchResult) {
        self.tasks += 1;
        self.solved_train += usize::from(r.solved_train);
        if let Some(ok) = r.test_correct {
            self.test_known += 1;
            self.test_correct += usize::from(ok);
        }
        self.test_outputs_correct += r.test_outputs_correct.0;
        self.test_outputs += r.test_outputs_correct.1;
        match r.stopped_by {
            Some(Budget::Time) => self.stopped_time += 1,
            Some(Budget::States) => self.stopped_states += 1,
            Some(Budget::Memory) => self.stopped_memory += 1,
            None => {}
        }
        self.candidates += r.candidates;
    }
    /// Whether some file or task failed (a partial run: exit code 1).
    pub fn partial(&self) -> bool {
        !self.errors.is_empty()
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} tasks: {} solved on train, {} of {} test-correct ({} of {} test outputs)",
            self.tasks,
            self.solved_train,
            self.test_correct,
            self.test_known,
            self.test_outputs_correct,
            self.test_outputs
        )?;
        write!(
            f,
            "{} candidates in {:.1} s; budget stops: {} time, {} states, {} memory",
            self.candidates,
            self.wall_s,
            self.stopped_time,
            self.stopped_states,
            self.stopped_memory
        )?;
        if self.resumed > 0 {
            write!(
                f,
                "\n{} tasks already in the submission were skipped (--resume)",
                self.resumed
            )?;
        }
        if !self.errors.is_empty() {
            write!(
                f,
                "\n{} files or tasks failed (listed above); the others are written",
                self.errors.len()
            )?;
        }
        Ok(())
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// The state a run resumes from: the submission's entries and the report
/// lines of those tasks.
fn resume_from(outputs: &RunOutputs) -> Result<(Map<String, Value>, Vec<String>), SearchError> {
    let bad = |path: &Path, message: String| SearchError::Resume {
        path: path.to_path_buf(),
        message,
    };
    let Some(out) = &outputs.out else {
        return Err(SearchError::Usage(
            "--resume needs --out (the submission to resume)".into(),
        ));
    };
    if !out.exists() {
        return Ok((Map::new(), Vec::new()));
    }
    let bytes = crate::io::read_limited(out, crate::task::MAX_FILE_BYTES, true)
        .map_err(|e| bad(out, e.to_string()))?;
    let v: Value = serde_json::from_slice(crate::text::strip_bom(&bytes))
        .map_err(|e| bad(out, format!("not valid JSON: {e}")))?;
    let Value::Object(done) = v else {
        return Err(bad(
            out,
            "not a submission ({task_id: [{attempt_1, attempt_2}]})".into(),
        ));
    };
    let mut lines = Vec::new();
    if let Some(report) = &outputs.report {
        if report.exists() {
            let bytes = crate::io::read_limited(report, crate::task::MAX_FILE_BYTES, true)
                .map_err(|e| bad(report, e.to_string()))?;
            for line in String::from_utf8_lossy(&bytes).lines() {
                // Lines of tasks not in the submission are dropped: those
                // tasks run again.
                let task = serde_json::from_str::<Value>(line)
                    .ok()
                    .and_then(|v| v.get("task").and_then(Value::as_str).map(str::to_string));
                if task.is_some_and(|t| done.contains_key(&t)) {
                    lines.push(line.to_string());
                }
            }
        }
    }
    Ok((done, lines))
}

/// A backend that keeps a task's time limit: batches of more than
/// [`TimeLimited::SMALL`] programs are cut at the deadline (the programs not
/// run come back INVALID, so the search passes them over), smaller ones
/// (the final ranking of the shortlist) always run in full — after the
/// deadline on the CPU, which gives the same results at once, rather than
/// behind a GPU chunk still finishing. A signal makes every call an error.
struct TimeLimited<'a> {
    inner: &'a dyn Backend,
    deadline: Option<Instant>,
    cancel: &'a Cancel,
    cut: AtomicU64,
    cpu: std::sync::OnceLock<Option<crate::engine::CpuBackend>>,
}

impl TimeLimited<'_> {
    const SMALL: usize = 64;

    /// The backend for a small call: the CPU once the deadline has passed
    /// (when its threads can be had), else the inner backend.
    fn small(&self) -> &dyn Backend {
        let late = self.deadline.is_some_and(|d| Instant::now() >= d);
        if late && self.inner.kind() != "cpu" {
            let cpu = self
                .cpu
                .get_or_init(|| crate::engine::CpuBackend::try_new(1).ok());
            if let Some(cpu) = cpu {
                return cpu;
            }
        }
        self.inner
    }
}

impl Backend for TimeLimited<'_> {
    fn name(&self) -> String {
        self.inner.name()
    }
    fn kind(&self) -> &'static str {
        self.inner.kind()
    }
    fn backend(&self) -> String {
        self.inner.backend()
    }
    fn max_programs(&self, task: &Task) -> (usize, &'static str) {
        self.inner.max_programs(task)
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<crate::score::PairOutcome>, EngineError> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        match self.deadline {
            Some(d) if programs.len() > Self::SMALL => {
                let p = self.inner.evaluate_until(task, programs, d)?;
                self.cut.fetch_add(p.not_done() as u64, Ordering::Relaxed);
                Ok(p.outcomes)
            }
            _ => self.small().evaluate(task, programs),
        }
    }
    /// In chunks that grow while they take under 50 ms, none started after
    /// the deadline: the programs not evaluated are INVALID (and counted as
    /// cut), as in `evaluate`.
    fn evaluate_masks(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<crate::engine::Masked, EngineError> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        let Some(deadline) = self.deadline.filter(|_| programs.len() > Self::SMALL) else {
            return self.small().evaluate_masks(task, programs);
        };
        let np = task.num_pairs();
        let mut out = crate::engine::Masked::new(programs.len() * np);
        let (mut i, mut size) = (0, Self::SMALL);
        while i < programs.len() {
            if Instant::now() >= deadline {
                self.cut
                    .fetch_add((programs.len() - i) as u64, Ordering::Relaxed);
                break;
            }
            let end = (i + size).min(programs.len());
            let t0 = Instant::now();
            let m = self.inner.evaluate_masks(task, &programs[i..end])?;
            if t0.elapsed() < std::time::Duration::from_millis(50) {
                size = size.saturating_mul(2);
            }
            let w = crate::score::MASK_WORDS;
            out.outcomes[i * np..end * np].copy_from_slice(&m.outcomes);
            out.masks[i * np * w..end * np * w].copy_from_slice(&m.masks);
            i = end;
        }
        Ok(out)
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        if self.cancel.is_cancelled() {
            return Err(EngineError::Cancelled);
        }
        if programs.len() > Self::SMALL {
            return self.inner.predict(task, programs);
        }
        self.small().predict(task, programs)
    }
}

/// The search options for one task under a cap on the process's peak
/// resident memory (see `docs/reliability.md`).
///
/// The search's memory is the process as it is now, the stored states
/// (`max_bytes` counts their cells), the bookkeeping per state that
/// `max_bytes` does not count (about 100 bytes), the working set of a
/// depth being expanded (the children of a chunk of parents, each holding
/// one grid per pair, while they wait to be stored), the memo's tables
/// ([`super::memo`]), and the last depth's hash set and backend batches.
/// This estimates each from the task (its largest grid, its pairs, its
/// alphabet) and gives the states what is left. When a depth of 3 or more cannot afford its working set, the depth
/// is lowered (the last depth stores no grids) and the result says
/// `stopped_by: memory`. Returns the options and, when the cap bites, a
/// warning.
pub fn options_within(
    task: &Task,
    opts: &SearchOptions,
    uses_backend: bool,
    max_rss: u64,
    rss_now: u64,
) -> Budgeted {
    let mut o = opts.clone();
    let np = task.num_pairs().max(1) as u64;
    let nops = super::Domains::of_task(task).ops().len().max(1) as u64 + 1;
    // The largest grid of the task bounds most children; a child keeps one
    // grid per pair.
    let cells = task
        .inputs()
        .chain(task.train.iter().map(|p| &p.output))
        .map(|g| g.len() as u64)
        .max()
        .unwrap_or(1);
    let per_child = np * cells + 2 * np + 96;
    let threads = rayon::current_num_threads().max(1) as u64;
    // Parents expanded at once (the search's chunk).
    let parents = (threads * 8).max(65_536 / nops);
    // The last depth's hash set, and the backend's batches when the last
    // depth goes to the backend.
    let mut last = (opts.max_states as u64).min(1 << 26) * 24;
    if uses_backend {
        last += (opts.batch_size as u64) * (np * 48 + 160);
    }
    // The memo's tables (all threads together, at most a sixteenth of the
    // cap), while any depth from the second on runs.
    o.memo_bytes = o
        .memo_bytes
        .min(usize::try_from(max_rss / 16).unwrap_or(usize::MAX));
    last += o.memo_bytes as u64;
    // Per stored state: cells plus about 100 bytes of bookkeeping that
    // Store::bytes does not count (metadata, hash map, offsets), and up to
    // 64 bytes per grid while the memo finds the grids that the parents of
    // a depth share.
    let per_state = np * cells + 2 * np + 40;
    let factor = (per_state + 100 + 64 * np) as f64 / per_state as f64;
    let plan = |depth: usize| {
        // Grids are kept while expanding every depth but the last: the
        // root alone at depth 1, a chunk of parents from depth 2 on.
        let working = match depth {
            0 | 1 => 0,
            2 => nops * per_child,
            _ => parents * nops * per_child,
        };
        let left = max_rss.saturating_sub(rss_now + working + last);
        (working, (left as f64 / factor) as u64)
    };
    let mut depth = opts.depth;
    let (mut working, mut budget) = plan(depth);
    // A depth of 3 or more is worth its working set only if the states it
    // stores get at least as much again.
    while depth >= 3 && budget < working {
        depth -= 1;
        (working, budget) = plan(depth);
    }
    let mut warning = None;
    if depth < opts.depth {
        warning = Some(format!(
            "task {}: --max-memory {} MiB: depth lowered from {} to {depth} (the process uses {} MiB; depth {} would add about {} MiB of working set and {} MiB for its last depth before storing any state)",
            crate::text::quote(&task.id),
            max_rss >> 20,
            opts.depth,
            rss_now >> 20,
            opts.depth,
            plan(opts.depth).0 >> 20,
            last >> 20,
        ));
    } else if budget < 1 << 20 && depth >= 2 {
        warning = Some(format!(
            "task {}: --max-memory {} MiB leaves {} MiB for stored states (the process uses {} MiB, the search's working set about {} MiB)",
            crate::text::quote(&task.id),
            max_rss >> 20,
            budget >> 20,
            rss_now >> 20,
            (working + last) >> 20
        ));
    }
    o.depth = depth;
    o.max_bytes = o
        .max_bytes
        .min(usize::try_from(budget).unwrap_or(usize::MAX).max(1));
    Budgeted {
        opts: o,
        warning,
        lowered: depth < opts.depth,
    }
}

/// Search options fitted to a memory cap ([`options_within`]).
#[derive(Clone, Debug)]
pub struct Budgeted {
    pub opts: SearchOptions,
    /// Said when the cap bites.
    pub warning: Option<String>,
    /// The depth was lowered to fit the cap.
    pub lowered: bool,
}

/// Searches every task of `paths` (task files, directories of task files,
/// or combined challenges files). After each task the submission and the
/// report are rewritten atomically (temporary file, then rename), so a kill
/// at any moment leaves every finished task on disk; `resume` skips them
/// next time. A bad file or task, or a task whose search fails, is an
/// error in the summary and the others go on.
pub fn run(
    paths: &[PathBuf],
    opts: &SearchOptions,
    backend: &dyn Backend,
    outputs: &RunOutputs,
) -> Result<Summary, SearchError> {
    let start = Instant::now();
    let mut summary = Summary::default();
    let notify = |summary: &mut Summary, n: Notice| {
        if let Some(f) = &outputs.notify {
            f(&n);
        }
        match n {
            Notice::Warning(w) => summary.warnings.push(w),
            Notice::Error(e) => summary.errors.push(e),
        }
    };
    // Output paths first: a bad one is found before any work.
    if let (Some(a), Some(b)) = (&outputs.out, &outputs.report) {
        if a == b {
            return Err(SearchError::Usage(format!(
                "--out and --report are the same file ({})",
                a.display()
            )));
        }
    }
    for p in outputs.out.iter().chain(&outputs.report) {
        crate::io::check_writable(p).map_err(write_err(p))?;
    }
    let (mut submission, mut report_lines) = if outputs.resume {
        resume_from(outputs)?
    } else {
        (Map::new(), Vec::new())
    };
    let loaded = crate::task::load_all(paths, outputs.solutions.as_deref());
    for w in &loaded.warnings {
        notify(&mut summary, Notice::Warning(w.to_string()));
    }
    if loaded.tasks.is_empty() {
        // Nothing to search: the first problem is the error, the others
        // are told first.
        let mut errors = loaded.errors.into_iter();
        if let Some(first) = errors.next() {
            for e in errors {
                notify(&mut summary, Notice::Error(e.to_string()));
            }
            return Err(SearchError::Task(first));
        }
    } else {
        for e in &loaded.errors {
            notify(&mut summary, Notice::Error(e.to_string()));
        }
    }
    // `--shard I/N`: this run's share of the tasks (by sorted task id).
    let all = match outputs.shard {
        Some(shard) => {
            let n = loaded.tasks.len();
            let mine = shard.select_tasks(loaded.tasks);
            if mine.is_empty() {
                notify(
                    &mut summary,
                    Notice::Warning(format!(
                        "shard {shard} has none of the {n} tasks (more shards than tasks)"
                    )),
                );
            }
            mine
        }
        None => loaded.tasks,
    };
    let tasks: Vec<&Task> = all
        .iter()
        .filter(|t| !submission.contains_key(&t.id))
        .collect();
    summary.resumed = all.len() - tasks.len();
    let target = if outputs.progress {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    let bar = ProgressBar::with_draw_target(Some(tasks.len() as u64), target);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} tasks [{elapsed_precise}<{eta}] {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let uses_backend = match opts.last_depth {
        super::LastDepth::Auto => backend.kind() == "gpu",
        super::LastDepth::States => false,
        super::LastDepth::Backend => true,
    };
    for task in tasks {
        if outputs.cancel.is_cancelled() {
            summary.interrupted = true;
            break;
        }
        let (task_opts, lowered) = match outputs.max_rss {
            Some(cap) => {
                let b = options_within(
                    task,
                    opts,
                    uses_backend,
                    cap,
                    crate::metrics::current_rss_bytes(),
                );
                if let Some(w) = b.warning {
                    bar.suspend(|| notify(&mut summary, Notice::Warning(w)));
                }
                (b.opts, b.lowered)
            }
            None => (opts.clone(), false),
        };
        // A signal stops the task's enumeration too, not only its backend
        // calls.
        let mut task_opts = task_opts;
        task_opts.cancel = outputs.cancel.clone();
        let (mut r, cut) = match search_task_limited(task, &task_opts, backend, &outputs.cancel) {
            Ok(r) => r,
            Err(SearchError::Engine(EngineError::Cancelled)) => {
                summary.interrupted = true;
                break;
            }
            Err(e) => {
                let msg = format!("task {}: {e}", crate::text::quote(&task.id));
                bar.suspend(|| notify(&mut summary, Notice::Error(msg.clone())));
                bar.inc(1);
                continue;
            }
        };
        if lowered && r.stopped_by.is_none() {
            // The memory cap chose a shallower search.
            r.stopped_by = Some(Budget::Memory);
        }
        summary.programs_cut += cut;
        summary.add(&r);
        submission.insert(task.id.clone(), submission_entry(&r.attempts));
        let line = full_report_line(&r, cut);
        report_lines.push(line.to_string());
        // The report first: if a kill falls between the two renames, the
        // task is missing from the submission and simply runs again.
        if let Some(p) = &outputs.report {
            let mut text = report_lines.join("\n");
            text.push('\n');
            crate::io::write_atomic(p, text.as_bytes()).map_err(write_err(p))?;
        }
        if let Some(p) = &outputs.out {
            let text = serde_json::to_string(&submission).expect("JSON values serialize");
            crate::io::write_atomic(p, text.as_bytes()).map_err(write_err(p))?;
        }
        bar.inc(1);
        bar.set_message(format!(
            "{} solved on train, {} test-correct",
            summary.solved_train, summary.test_correct
        ));
    }
    bar.finish_and_clear();
    summary.wall_s = start.elapsed().as_secs_f64();
    summary.peak_rss_bytes = crate::metrics::peak_rss_bytes();
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::{Pair, TestPair};

    fn g(rows: &[&[u8]]) -> Grid {
        Grid::from_rows(rows).unwrap()
    }

    #[test]
    fn attempts_pick_distinct_outputs_with_fallbacks() {
        let input = g(&[&[1, 2]]);
        let task = Task {
            id: "t".into(),
            train: vec![Pair {
                input: input.clone(),
                output: input.clone(),
            }],
            test: vec![
                TestPair {
                    input: input.clone(),
                    output: Some(g(&[&[5]])),
                },
                TestPair {
                    input: g(&[&[0]]),
                    output: Some(g(&[&[0]])),
                },
            ],
        };
        let (a, b, c) = (g(&[&[3]]), g(&[&[4]]), g(&[&[5]]));
        // Ranked predictions: INVALID on test 0, then a, a again, then b.
        let preds = vec![
            vec![None, None],
            vec![Some(a.clone()), None],
            vec![Some(a.clone()), None],
            vec![Some(b.clone()), None],
        ];
        let (att, used) = choose_attempts(&task, &preds);
        assert_eq!(att[0], [a.clone(), b.clone()]);
        assert_eq!(used, vec![1, 3]);
        // Nothing valid on test 1: the input, then [[0]] (the input is [[0]]).
        assert_eq!(att[1], [g(&[&[0]]), g(&[&[0]])]);
        assert_eq!(check_attempts(&task, &att), (Some(false), (1, 2)));
        let preds = vec![vec![Some(b), None], vec![Some(c), None]];
        let (att, _) = choose_attempts(&task, &preds);
        assert_eq!(check_attempts(&task, &att), (Some(true), (2, 2)));
        // One valid output only: the second attempt is a copy of the input.
        let (att, _) = choose_attempts(&task, &[vec![Some(a.clone()), None]]);
        assert_eq!(att[0], [a, input]);
        let v = submission_entry(&att);
        assert_eq!(v[0]["attempt_2"], serde_json::json!([[1, 2]]));
        assert_eq!(v.as_array().unwrap().len(), 2);
    }

    #[test]
    fn memory_cap_sets_the_state_budget_and_lowers_the_depth() {
        let mut rng = crate::rng::Rng::new(5);
        let mut grid = || crate::lang::random::random_grid(&mut rng, 30, 30);
        let task = Task {
            id: "big".into(),
            train: (0..3)
                .map(|_| crate::task::Pair {
                    input: grid(),
                    output: grid(),
                })
                .collect(),
            test: vec![],
        };
        let opts = SearchOptions {
            depth: 3,
            max_bytes: usize::MAX,
            ..SearchOptions::default()
        };
        let mib = 1u64 << 20;
        // A generous cap: depth 3, most of the cap for states.
        let b = options_within(&task, &opts, false, 4096 * mib, 10 * mib);
        assert_eq!(b.opts.depth, 3);
        assert!(!b.lowered && b.warning.is_none());
        assert!(b.opts.max_bytes as u64 > 2048 * mib && (b.opts.max_bytes as u64) < 4096 * mib);
        // A tight one: depth 3's working set of 30x30 children cannot fit.
        let b = options_within(&task, &opts, false, 150 * mib, 10 * mib);
        assert_eq!(b.opts.depth, 2);
        assert!(b.lowered);
        assert!(b.warning.unwrap().contains("depth lowered from 3 to 2"));
        // The budget never grows when the cap shrinks or the process grows.
        let mut last = u64::MAX;
        for cap in [4096u64, 2048, 1024, 512, 256] {
            let m = options_within(&task, &opts, true, cap * mib, 10 * mib)
                .opts
                .max_bytes as u64;
            assert!(m <= last);
            last = m;
        }
        let a = options_within(&task, &opts, false, 1024 * mib, 10 * mib)
            .opts
            .max_bytes;
        let b = options_within(&task, &opts, false, 1024 * mib, 500 * mib)
            .opts
            .max_bytes;
        assert!(b < a);
    }
}
