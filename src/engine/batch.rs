//! Scoring a batch of candidates on one task: syntactic duplicates run once,
//! parse errors reported in place, ranking as `DSL.md` says.

use super::{Backend, EngineError};
use crate::grid::Grid;
use crate::lang::{Candidate, Program};
use crate::score::{rank_cmp, CandidateScore, Metric, PairOutcome};
use crate::task::Task;
use serde::Serialize;
use std::collections::HashMap;

/// What happened to a candidate.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Parsed and scored.
    Ok,
    /// Did not parse; `error` says why.
    ParseError,
    /// Parsed but not scored (deadline, or every device failed).
    NotRun,
}

/// Options of a batch.
#[derive(Clone, Debug)]
pub struct BatchOptions {
    /// The metric that ranks (after exact pairs).
    pub metric: Metric,
    /// How many of the top-ranked candidates get test predictions.
    pub predictions: usize,
}

impl Default for BatchOptions {
    fn default() -> Self {
        BatchOptions {
            metric: Metric::Tiered,
            predictions: 10,
        }
    }
}

/// One candidate's result.
#[derive(Clone, Debug, Serialize)]
pub struct CandidateResult {
    /// 1-based rank; `None` for candidates that were not scored.
    pub rank: Option<usize>,
    pub id: String,
    /// The canonical program text (the text as given when it did not parse).
    pub program: String,
    pub status: Status,
    pub error: Option<String>,
    /// Exact train pairs.
    pub exact: u32,
    /// Number of train pairs.
    pub pairs: usize,
    /// Total train score under the metric.
    pub score: u64,
    pub pair_scores: Vec<u32>,
    pub test_scores: Vec<Option<u32>>,
    /// Output hash per pair (train then test), 16 hex digits, 0 = INVALID.
    pub hashes: Vec<String>,
    /// Id of the earlier candidate with the same canonical program.
    pub duplicate_of: Option<String>,
    /// Outputs on the test inputs (top candidates only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub predictions: Option<Vec<Option<Grid>>>,
    /// Number of ops.
    pub ops: usize,
    /// 0-based index among the candidates.
    pub index: usize,
    /// 1-based line in the candidates file.
    pub line: usize,
}

/// A scored batch.
#[derive(Clone, Debug)]
pub struct BatchReport {
    /// Every candidate: ranked ones in rank order, then the others in file
    /// order.
    pub results: Vec<CandidateResult>,
    /// Distinct programs evaluated.
    pub distinct: usize,
    /// (program, pair) evaluations run.
    pub evaluations: u64,
}

/// Scores `candidates` on `task` with `backend`.
pub fn score_batch(
    task: &Task,
    candidates: &[Candidate],
    backend: &dyn Backend,
    opts: &BatchOptions,
) -> Result<BatchReport, EngineError> {
    let (reps, rep_of) = dedup(candidates);
    let programs: Vec<&Program> = reps
        .iter()
        .map(|&i| {
            candidates[i]
                .program
                .as_ref()
                .expect("representatives parsed")
        })
        .collect();
    let outcomes = backend.evaluate(task, &programs)?;
    let np = task.num_pairs();
    let mut outcome_of: Vec<Option<&[PairOutcome]>> = vec![None; candidates.len()];
    for (k, &i) in reps.iter().enumerate() {
        outcome_of[i] = Some(&outcomes[k * np..(k + 1) * np]);
    }
    let scored: Vec<Option<&[PairOutcome]>> = (0..candidates.len())
        .map(|i| rep_of[i].and_then(|r| outcome_of[r]))
        .collect();
    let mut report = assemble(task, candidates, &rep_of, &scored, opts.metric);
    report.distinct = reps.len();
    report.evaluations = (reps.len() * np) as u64;
    attach_predictions(task, candidates, &mut report, backend, opts.predictions)?;
    Ok(report)
}

/// Representatives of the distinct parsed programs (first occurrence), and
/// for each candidate the index of its representative (`None` if it did not
/// parse).
pub fn dedup(candidates: &[Candidate]) -> (Vec<usize>, Vec<Option<usize>>) {
    let mut first: HashMap<&Program, usize> = HashMap::with_capacity(candidates.len());
    let mut reps = Vec::new();
    let rep_of = candidates
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let p = c.program.as_ref().ok()?;
            Some(*first.entry(p).or_insert_with(|| {
                reps.push(i);
                i
            }))
        })
        .collect();
    (reps, rep_of)
}

/// Builds the ranked report from per-candidate outcomes (`None` = not run).
pub fn assemble(
    task: &Task,
    candidates: &[Candidate],
    rep_of: &[Option<usize>],
    outcomes: &[Option<&[PairOutcome]>],
    metric: Metric,
) -> BatchReport {
    let expected = task.expected_sizes();
    let mut scores: Vec<Option<CandidateScore>> = outcomes
        .iter()
        .map(|o| o.map(|o| expected.score(o, metric)))
        .collect();
    let mut ranked: Vec<usize> = (0..candidates.len())
        .filter(|&i| scores[i].is_some())
        .collect();
    let ops = |i: usize| candidates[i].program.as_ref().map_or(0, |p| p.len());
    ranked.sort_by(|&a, &b| {
        rank_cmp(
            (scores[a].as_ref().expect("ranked"), ops(a), a),
            (scores[b].as_ref().expect("ranked"), ops(b), b),
        )
    });
    let mut results = Vec::with_capacity(candidates.len());
    let make = |i: usize, rank: Option<usize>, score: Option<CandidateScore>| {
        let c = &candidates[i];
        let (status, error, program) = match (&c.program, &score) {
            (Err(e), _) => (Status::ParseError, Some(e.to_string()), c.text.clone()),
            (Ok(p), Some(_)) => (Status::Ok, None, p.canonical()),
            (Ok(p), None) => (Status::NotRun, Some("not run".to_string()), p.canonical()),
        };
        let s = score.unwrap_or_default();
        CandidateResult {
            rank,
            id: c.id.clone(),
            program,
            status,
            error,
            exact: s.exact,
            pairs: task.train.len(),
            score: s.score,
            pair_scores: s.pair_scores,
            test_scores: s.test_scores,
            hashes: outcomes[i]
                .map(|o| o.iter().map(|p| format!("{:016x}", p.hash)).collect())
                .unwrap_or_default(),
            duplicate_of: rep_of[i]
                .filter(|&r| r != i)
                .map(|r| candidates[r].id.clone()),
            predictions: None,
            ops: ops(i),
            index: i,
            line: c.line,
        }
    };
    let unranked: Vec<usize> = (0..candidates.len())
        .filter(|&i| scores[i].is_none())
        .collect();
    for (r, &i) in ranked.iter().enumerate() {
        let s = scores[i].take();
        results.push(make(i, Some(r + 1), s));
    }
    for i in unranked {
        results.push(make(i, None, None));
    }
    BatchReport {
        results,
        distinct: 0,
        evaluations: 0,
    }
}

/// Fills `predictions` for the first `k` ranked results.
pub fn attach_predictions(
    task: &Task,
    candidates: &[Candidate],
    report: &mut BatchReport,
    backend: &dyn Backend,
    k: usize,
) -> Result<(), EngineError> {
    let top: Vec<usize> = report
        .results
        .iter()
        .take_while(|r| r.status == Status::Ok)
        .take(k)
        .map(|r| r.index)
        .collect();
    let programs: Vec<&Program> = top
        .iter()
        .map(|&i| {
            candidates[i]
                .program
                .as_ref()
                .expect("ranked candidates parsed")
        })
        .collect();
    let preds = backend.predict(task, &programs)?;
    for (r, p) in report.results.iter_mut().zip(preds) {
        r.predictions = Some(p);
    }
    Ok(())
}
