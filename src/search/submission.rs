//! Running the search over task files: attempts, the ARC Prize submission
//! file, the JSON Lines report, the progress bar and the summary.

use super::{search_task, Budget, SearchOptions, SearchResult};
use crate::engine::{Backend, EngineError};
use crate::grid::Grid;
use crate::task::{load_tasks, Task, TaskError};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
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

/// Where a run writes.
#[derive(Clone, Debug, Default)]
pub struct RunOutputs {
    /// The submission file (`{task_id: [{attempt_1, attempt_2}, ...]}`).
    pub out: Option<PathBuf>,
    /// The JSON Lines report, one line per task, written as tasks finish.
    pub report: Option<PathBuf>,
    /// A solutions file (Kaggle format) giving test outputs by task id.
    pub solutions: Option<PathBuf>,
    /// Show the progress bar (it is hidden anyway when stderr is not a
    /// terminal).
    pub progress: bool,
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
        )
    }
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> SearchError + '_ {
    move |source| SearchError::Write {
        path: path.to_path_buf(),
        source,
    }
}

/// Searches every task of `paths` (task files, directories of task files,
/// or combined challenges files), writing the submission and the report.
pub fn run(
    paths: &[PathBuf],
    opts: &SearchOptions,
    backend: &dyn Backend,
    outputs: &RunOutputs,
) -> Result<Summary, SearchError> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for p in paths {
        tasks.extend(load_tasks(p, outputs.solutions.as_deref())?);
    }
    run_tasks(&tasks, start, opts, backend, outputs)
}

/// Searches loaded tasks (`outputs.solutions` is not read again), writing
/// the submission and the report; `start` is when the run began.
pub fn run_tasks(
    tasks: &[Task],
    start: Instant,
    opts: &SearchOptions,
    backend: &dyn Backend,
    outputs: &RunOutputs,
) -> Result<Summary, SearchError> {
    let mut report = match &outputs.report {
        Some(p) => Some((
            std::io::BufWriter::new(std::fs::File::create(p).map_err(write_err(p))?),
            p,
        )),
        None => None,
    };
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
    let mut summary = Summary::default();
    let mut submission = Map::new();
    for task in tasks {
        let r = search_task(task, opts, backend)?;
        summary.add(&r);
        submission.insert(task.id.clone(), submission_entry(&r.attempts));
        if let Some((w, p)) = &mut report {
            let line = report_line(&r).to_string();
            writeln!(w, "{line}")
                .and_then(|_| w.flush())
                .map_err(write_err(p))?;
        }
        bar.inc(1);
        bar.set_message(format!(
            "{} solved on train, {} test-correct",
            summary.solved_train, summary.test_correct
        ));
    }
    bar.finish_and_clear();
    if let Some(p) = &outputs.out {
        let text =
            serde_json::to_string(&Value::Object(submission)).expect("JSON values serialize");
        std::fs::write(p, text).map_err(write_err(p))?;
    }
    summary.wall_s = start.elapsed().as_secs_f64();
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
}
