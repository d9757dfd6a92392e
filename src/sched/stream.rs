//! Streaming top-N scoring: candidates are read in blocks, each block is
//! scored across the devices, and only the N best results are kept in a
//! bounded heap. Memory stays flat however many candidates stream through
//! (apart from an 8-byte fingerprint per distinct program, which labels
//! duplicates across blocks).
//!
//! The rows produced are the N best rows of a full (non-streaming) run,
//! then every candidate that did not parse (in file order: never hidden,
//! whatever N is), then at most N candidates not run.

use super::{DeviceStats, Scheduler};
use crate::engine::batch::{dedup, BatchReport, CandidateResult, Hash64, Status};
use crate::engine::{Backend, BatchOptions, EngineError};
use crate::lang::candidates::{fingerprint, CandidateBlock};
use crate::lang::{Candidate, Program};
use crate::maps::PassHasher;
use crate::score::{CandidateScore, PairOutcome};
use crate::task::Task;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// Rank key: smaller is better (more exact, higher score, fewer ops,
/// earlier).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct Key {
    neg_exact: std::cmp::Reverse<u32>,
    neg_score: std::cmp::Reverse<u64>,
    ops: usize,
    index: usize,
}

fn key(s: &CandidateScore, ops: usize, index: usize) -> Key {
    Key {
        neg_exact: std::cmp::Reverse(s.exact),
        neg_score: std::cmp::Reverse(s.score),
        ops,
        index,
    }
}

struct Entry {
    key: Key,
    result: CandidateResult,
    program: Program,
    dup_index: Option<usize>,
}

impl PartialEq for Entry {
    fn eq(&self, o: &Self) -> bool {
        self.key == o.key
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Entry {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        self.key.cmp(&o.key)
    }
}

/// What the evaluator thread made of a block's new programs.
enum Eval {
    Ran(super::SchedRun),
    /// Not run: the deadline had passed.
    Deadline,
    /// The block had no new program.
    Nothing,
}

/// A block waiting for its outcomes: its candidates, their fingerprints,
/// the positions of its new programs, and each candidate's representative.
type Pending = (
    Vec<Candidate>,
    Vec<Option<u64>>,
    Vec<usize>,
    Vec<Option<usize>>,
);

/// The result of a streaming run.
pub struct StreamRun {
    /// The `top` best rows, every parse error and at most `top` rows not
    /// run, with counts of everything read.
    pub report: BatchReport,
    pub devices: Vec<DeviceStats>,
    pub deadline_hit: bool,
    pub faults: Vec<String>,
}

/// Scores a stream of candidates, keeping the `top` best rows; they are
/// scored in blocks of `block` candidates.
pub fn score_stream<I>(
    task: &Task,
    candidates: I,
    sched: &Scheduler,
    opts: &BatchOptions,
    top: usize,
    block: usize,
) -> Result<StreamRun, EngineError>
where
    I: Iterator<Item = std::io::Result<Candidate>>,
{
    let mut candidates = candidates.peekable();
    let blocks = std::iter::from_fn(move || {
        candidates.peek()?;
        let mut b = CandidateBlock::default();
        while b.candidates.len() < block.max(1) {
            match candidates.next() {
                Some(Ok(c)) => {
                    b.fingerprints
                        .push(c.program.as_ref().map_or(0, fingerprint));
                    b.candidates.push(c);
                }
                Some(Err(e)) => return Some(Err(e)),
                None => break,
            }
        }
        Some(Ok(b))
    });
    score_stream_blocks(task, blocks, sched, opts, top)
}

/// Scores a stream of candidate blocks (as [`crate::lang::candidates::read_blocks`]
/// gives them), keeping the `top` best rows: the rows of [`score_stream`].
pub fn score_stream_blocks<I>(
    task: &Task,
    blocks: I,
    sched: &Scheduler,
    opts: &BatchOptions,
    top: usize,
) -> Result<StreamRun, EngineError>
where
    I: Iterator<Item = std::io::Result<CandidateBlock>>,
{
    let expected = task.expected_sizes();
    let np = task.num_pairs();
    let task_arc = Arc::new(task.clone());
    let mut heap: BinaryHeap<Entry> = BinaryHeap::with_capacity(top + 1);
    let mut errors: Vec<CandidateResult> = Vec::new();
    let mut not_run: Vec<CandidateResult> = Vec::new();
    // First index of each distinct program, and whether it was scored.
    let mut seen: HashMap<u64, (usize, bool)> = HashMap::new();
    let mut new_in_block: HashMap<u64, (usize, bool)> = HashMap::new();
    let mut members: std::collections::HashSet<usize> = std::collections::HashSet::new();
    let mut report = BatchReport {
        results: Vec::new(),
        distinct: 0,
        evaluations: 0,
        candidates: 0,
        scored: 0,
        parse_errors: 0,
        not_run: 0,
    };
    let mut devices: Vec<DeviceStats> = Vec::new();
    let mut faults = Vec::new();
    let mut deadline_hit = false;
    let empty_result = |c: &Candidate, status: Status, error: Option<String>| CandidateResult {
        rank: None,
        id: c.id.clone(),
        program: match &c.program {
            Ok(p) => p.canonical(),
            Err(_) => c.text.clone(),
        },
        status,
        error,
        exact: 0,
        pairs: task.train.len(),
        score: 0,
        pair_scores: Vec::new(),
        test_scores: Vec::new(),
        test_exact: None,
        hashes: Vec::new(),
        duplicate_of: None,
        predictions: None,
        ops: c.program.as_ref().map_or(0, |p| p.len()),
        index: c.index,
        line: c.line,
    };
    // Programs sent to the devices so far (those of blocks not processed
    // yet included): they are not sent again.
    let mut known: std::collections::HashSet<u64, BuildHasherDefault<PassHasher>> =
        Default::default();
    let mut process = |buf: Vec<Candidate>,
                       fps: Vec<Option<u64>>,
                       reps: Vec<usize>,
                       rep_of: Vec<Option<usize>>,
                       eval: Eval|
     -> Result<(), EngineError> {
        report.candidates += buf.len();
        let earlier = |fp: Option<u64>| fp.and_then(|f| seen.get(&f).copied());
        let run = match eval {
            Eval::Ran(r) => Some(r),
            Eval::Deadline => {
                deadline_hit = true;
                None
            }
            Eval::Nothing => None,
        };
        let mut slot_of = vec![usize::MAX; buf.len()];
        for (k, &i) in reps.iter().enumerate() {
            slot_of[i] = k;
        }
        if let Some(run) = &run {
            if run.cancelled {
                return Err(EngineError::Cancelled);
            }
            deadline_hit |= run.deadline_hit;
            faults.extend(run.faults.iter().cloned());
            merge_stats(&mut devices, &run.devices);
            let done = run.done.iter().filter(|&&d| d).count();
            report.evaluations += (done * np) as u64;
        }
        report.distinct += reps.len();
        for (i, c) in buf.iter().enumerate() {
            let Ok(program) = &c.program else {
                // Every parse error is kept, whatever `top` is: they are
                // listed, never hidden (each row is bounded by the line
                // length limit of the candidates reader).
                report.parse_errors += 1;
                let msg = c.program.as_ref().err().map(|e| e.to_string());
                errors.push(empty_result(c, Status::ParseError, msg));
                continue;
            };
            let fp = fps[i].expect("parsed");
            if let Some((first, first_scored)) = earlier(Some(fp)) {
                if !first_scored {
                    report.not_run += 1;
                    if not_run.len() < top {
                        not_run.push(empty_result(c, Status::NotRun, Some("not run".into())));
                    }
                    continue;
                }
                report.scored += 1;
                if !members.contains(&first) {
                    continue;
                }
                let Some(orig) = heap.iter().find(|e| e.result.index == first) else {
                    continue;
                };
                let kk = Key {
                    index: c.index,
                    ..orig.key
                };
                if heap.len() >= top && heap.peek().is_some_and(|w| w.key <= kk) {
                    continue;
                }
                let mut r = orig.result.clone();
                (r.id, r.index, r.line) = (c.id.clone(), c.index, c.line);
                let program = orig.program.clone();
                heap.push(Entry {
                    key: kk,
                    result: r,
                    program,
                    dup_index: Some(first),
                });
                members.insert(c.index);
                if heap.len() > top {
                    if let Some(e) = heap.pop() {
                        members.remove(&e.result.index);
                    }
                }
                continue;
            }
            let k = slot_of[rep_of[i].expect("parsed")];
            let outcomes: Option<&[PairOutcome]> = run
                .as_ref()
                .filter(|r| r.done[k])
                .map(|r| &r.outcomes[k * np..(k + 1) * np]);
            let first = new_in_block
                .entry(fp)
                .or_insert((c.index, outcomes.is_some()))
                .0;
            let dup_index = (first != c.index).then_some(first);
            let Some(outcomes) = outcomes else {
                report.not_run += 1;
                if not_run.len() < top {
                    not_run.push(empty_result(c, Status::NotRun, Some("not run".into())));
                }
                continue;
            };
            report.scored += 1;
            let s = expected.score(outcomes, opts.metric);
            let kk = key(&s, program.len(), c.index);
            if heap.len() >= top && heap.peek().is_some_and(|w| w.key <= kk) {
                continue;
            }
            let mut r = empty_result(c, Status::Ok, None);
            r.exact = s.exact;
            r.score = s.score;
            r.test_exact = s
                .test_scores
                .iter()
                .any(Option::is_some)
                .then_some(s.test_exact);
            r.pair_scores = s.pair_scores;
            r.test_scores = s.test_scores;
            r.hashes = outcomes.iter().map(|o| Hash64(o.hash)).collect();
            heap.push(Entry {
                key: kk,
                result: r,
                program: program.clone(),
                dup_index,
            });
            members.insert(c.index);
            if heap.len() > top {
                if let Some(e) = heap.pop() {
                    members.remove(&e.result.index);
                }
            }
        }
        seen.extend(new_in_block.drain());
        Ok(())
    };
    // Each block's new programs go to an evaluator thread (one batch waits
    // while one runs), and a block is processed when its outcomes are back,
    // in file order: reading, parsing and deduplicating the next blocks
    // overlap the scoring.
    let (ptx, prx) = std::sync::mpsc::sync_channel::<Arc<Vec<Program>>>(1);
    let (rtx, rrx) = std::sync::mpsc::channel::<Eval>();
    let mut ptx = Some(ptx);
    let mut queue: std::collections::VecDeque<Pending> = Default::default();
    std::thread::scope(|scope| -> Result<(), EngineError> {
        let evaluator = move || {
            for programs in prx {
                let stop_now = sched
                    .options()
                    .deadline
                    .is_some_and(|d| std::time::Instant::now() >= d);
                let e = if programs.is_empty() {
                    Eval::Nothing
                } else if stop_now {
                    Eval::Deadline
                } else {
                    Eval::Ran(sched.evaluate(task_arc.clone(), programs))
                };
                let cancelled = matches!(&e, Eval::Ran(r) if r.cancelled);
                if rtx.send(e).is_err() || cancelled {
                    break;
                }
            }
        };
        spawn_evaluator(scope, evaluator)?;
        let mut next = |queue: &mut std::collections::VecDeque<Pending>, e: Eval| {
            let (buf, fps, reps, rep_of) = queue.pop_front().ok_or(EngineError::Cancelled)?;
            process(buf, fps, reps, rep_of, e)
        };
        let result = (|| -> Result<(), EngineError> {
            for b in blocks {
                let CandidateBlock {
                    candidates: buf,
                    fingerprints,
                } = b.map_err(EngineError::Read)?;
                // Programs seen in an earlier block are not evaluated again:
                // a duplicate ranks just below its first occurrence (same
                // scores, later index), so it can enter the top only when
                // that one is in it, and then its row is a copy.
                let fps: Vec<Option<u64>> = buf
                    .iter()
                    .zip(fingerprints)
                    .map(|(c, fp)| c.program.as_ref().ok().map(|_| fp))
                    .collect();
                let (reps, rep_of) = dedup(&buf);
                let reps: Vec<usize> = reps
                    .into_iter()
                    .filter(|&i| fps[i].is_some_and(|f| !known.contains(&f)))
                    .collect();
                known.extend(reps.iter().filter_map(|&i| fps[i]));
                let programs: Vec<Program> = reps
                    .iter()
                    .filter_map(|&i| buf[i].program.as_ref().ok().cloned())
                    .collect();
                queue.push_back((buf, fps, reps, rep_of));
                let sent = ptx
                    .as_ref()
                    .is_some_and(|tx| tx.send(Arc::new(programs)).is_ok());
                if !sent {
                    // The evaluator stopped: the run was cancelled.
                    return Err(EngineError::Cancelled);
                }
                while let Ok(e) = rrx.try_recv() {
                    next(&mut queue, e)?;
                }
            }
            ptx = None;
            for e in rrx.iter() {
                next(&mut queue, e)?;
            }
            Ok(())
        })();
        // On an error the evaluator ends after the batch it runs.
        ptx = None;
        result
    })?;
    drop(ptx);
    let mut best = heap.into_sorted_vec();
    let ids: HashMap<usize, String> = best
        .iter()
        .map(|e| (e.result.index, e.result.id.clone()))
        .collect();
    for (r, e) in best.iter_mut().enumerate() {
        e.result.rank = Some(r + 1);
        e.result.duplicate_of = e
            .dup_index
            .map(|d| ids.get(&d).cloned().unwrap_or_else(|| d.to_string()));
    }
    if !deadline_hit {
        // The scheduler predicts on its first healthy device, else the CPU.
        let programs: Vec<&Program> = best
            .iter()
            .take(opts.predictions)
            .map(|e| &e.program)
            .collect();
        let preds = sched.predict(task, &programs)?;
        for (e, p) in best.iter_mut().zip(preds) {
            e.result.predictions = Some(p);
        }
    }
    report.results = best.into_iter().map(|e| e.result).collect();
    report.results.extend(errors);
    not_run.truncate(top);
    report.results.extend(not_run);
    Ok(StreamRun {
        report,
        devices,
        deadline_hit,
        faults,
    })
}

/// Starts the thread that scores batches while the caller reads, parses
/// and deduplicates the next blocks (`score_stream_blocks`, and the full
/// ranking of `full::score_blocks`).
pub(crate) fn spawn_evaluator<'scope, F>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    evaluator: F,
) -> Result<(), EngineError>
where
    F: FnOnce() + Send + 'scope,
{
    std::thread::Builder::new()
        .name("gridscore-eval".into())
        .spawn_scoped(scope, evaluator)
        .map(drop)
        .map_err(|e| {
            EngineError::Read(std::io::Error::other(format!(
                "cannot start the evaluator thread: {e}"
            )))
        })
}

/// Adds one run's device statistics to running totals.
pub fn merge_stats(total: &mut Vec<DeviceStats>, run: &[DeviceStats]) {
    for s in run {
        match total
            .iter_mut()
            .find(|t| t.name == s.name && t.kind == s.kind)
        {
            Some(t) => {
                t.evaluations += s.evaluations;
                t.chunks += s.chunks;
                t.busy_s += s.busy_s;
                t.gpu_s = match (t.gpu_s, s.gpu_s) {
                    (Some(a), Some(b)) => Some(a + b),
                    (a, b) => a.or(b),
                };
                t.max_inflight = t.max_inflight.max(s.max_inflight);
                if t.failed.is_none() {
                    t.failed = s.failed.clone();
                }
                t.chunk_size = s.chunk_size;
            }
            None => total.push(s.clone()),
        }
    }
}
