//! Full ranking of a stream of candidate blocks (`gridscore score` without
//! `--top`): each block is deduplicated against every program seen before
//! and its new programs are scored across the devices while the next blocks
//! are read and parsed (see [`crate::lang::candidates::read_blocks`]).
//!
//! Only a compact record of each candidate is kept (its index, line, id when
//! it names one, and its distinct program); a distinct program keeps its
//! parsed form and its outcomes. The rows are built from these when written
//! ([`FullRun::row`]), so they are never all in memory at once, and can be
//! formatted in parallel. The rows are exactly those of
//! [`crate::sched::score`] on the same candidates: ranked rows in rank order,
//! then the others (parse errors and candidates not run) in file order.

use super::{DeviceStats, Scheduler};
use crate::engine::batch::{BatchReport, CandidateResult, Hash64, Status};
use crate::engine::{Backend, BatchOptions, EngineError};
use crate::grid::Grid;
use crate::lang::candidates::CandidateBlock;
use crate::lang::{Candidate, Program};
use crate::maps::PassHasher;
use crate::score::{Expected, PairOutcome};
use crate::task::Task;
use std::cmp::Reverse;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;

/// `Slot::distinct` of a candidate that did not parse.
const PARSE_ERROR: u32 = u32::MAX;

/// What is kept of one candidate.
struct Slot {
    index: usize,
    line: usize,
    /// Its distinct program, or [`PARSE_ERROR`].
    distinct: u32,
    /// Its id when it is not its index (a named candidate), or for a parse
    /// error the position of the candidate in `FullRun::errors`.
    id: Option<Box<str>>,
}

/// Sends batches of new programs (with the number of the first) to the
/// evaluator thread.
type BatchSender = std::sync::mpsc::SyncSender<(usize, Arc<Vec<Program>>)>;

/// What [`FullRun::add_block`] leaves of a block, freed off the main thread.
struct Trash {
    texts: Vec<String>,
    programs: Vec<Program>,
}

/// Appends `v` in decimal.
fn push_uint(buf: &mut Vec<u8>, v: u64) {
    buf.extend_from_slice(crate::text::decimal(v, &mut [0; 20]).as_bytes());
}

/// Appends `"{h:016x}"`: a hash as 16 lowercase hex digits in quotes.
fn push_hash(buf: &mut Vec<u8>, h: u64) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = [b'"'; 18];
    for (k, c) in out[1..17].iter_mut().enumerate() {
        *c = HEX[((h >> (60 - 4 * k)) & 15) as usize];
    }
    buf.extend_from_slice(&out);
}

/// New distinct programs sent to the devices together.
const EVAL_BATCH: usize = 16_384;

/// One distinct program.
struct Distinct {
    /// Its number of ops.
    ops: usize,
    /// Position (in file order) of its first candidate.
    first: usize,
    done: bool,
    exact: u32,
    score: u64,
}

/// The result of a full ranking run: every candidate's row, built on demand.
pub struct FullRun {
    task_id: String,
    expected: Expected,
    train_pairs: usize,
    np: usize,
    metric: crate::score::Metric,
    slots: Vec<Slot>,
    /// Candidates that did not parse, in file order.
    errors: Vec<Candidate>,
    distinct: Vec<Distinct>,
    /// The distinct programs, in batches as they were sent to the devices.
    batches: Vec<Arc<Vec<Program>>>,
    /// The number of the first distinct program of each batch.
    batch_starts: Vec<usize>,
    /// `np` outcomes per distinct program.
    outcomes: Vec<PairOutcome>,
    /// Positions of the ranked candidates in rank order, then of the others
    /// in file order.
    order: Vec<u32>,
    /// Test predictions of the first ranked candidates.
    predictions: Vec<Vec<Option<Grid>>>,
    /// Candidates read, scored, not parsed, not run; distinct programs;
    /// evaluations.
    pub candidates: usize,
    pub scored: usize,
    pub parse_errors: usize,
    pub not_run: usize,
    pub distinct_programs: usize,
    pub evaluations: u64,
    pub devices: Vec<DeviceStats>,
    pub deadline_hit: bool,
    pub faults: Vec<String>,
}

/// Whether `id` is the decimal spelling of `index` (the id of an unnamed
/// candidate), so that it need not be stored.
fn is_index(id: &str, index: usize) -> bool {
    id == crate::text::decimal(index as u64, &mut [0; 20])
}

/// Scores every candidate of `blocks` on `task` (see the module
/// documentation). A read error ends the run with [`EngineError::Read`].
pub fn score_blocks<I>(
    task: &Task,
    blocks: I,
    sched: &Scheduler,
    opts: &BatchOptions,
) -> Result<FullRun, EngineError>
where
    I: Iterator<Item = std::io::Result<CandidateBlock>>,
{
    let np = task.num_pairs();
    let expected = task.expected_sizes();
    let task_arc = Arc::new(task.clone());
    let mut run = FullRun {
        task_id: task.id.clone(),
        expected,
        train_pairs: task.train.len(),
        np,
        metric: opts.metric,
        slots: Vec::new(),
        errors: Vec::new(),
        distinct: Vec::new(),
        batches: Vec::new(),
        batch_starts: Vec::new(),
        outcomes: Vec::new(),
        order: Vec::new(),
        predictions: Vec::new(),
        candidates: 0,
        scored: 0,
        parse_errors: 0,
        not_run: 0,
        distinct_programs: 0,
        evaluations: 0,
        devices: Vec::new(),
        deadline_hit: false,
        faults: Vec::new(),
    };
    // Distinct program of each fingerprint; programs of equal fingerprints
    // that differ (a 64-bit collision) go to `others`.
    let mut by_fp: HashMap<u64, u32, BuildHasherDefault<PassHasher>> = HashMap::default();
    let mut others: HashMap<Program, u32> = HashMap::new();
    // New distinct programs not yet sent to the evaluator.
    let mut pending: Vec<Program> = Vec::new();
    // Batches of new programs go to an evaluator thread (up to four wait
    // while one runs, so that a burst of new programs does not stall the
    // deduplication), so that reading, parsing and deduplicating the next
    // blocks overlap the scoring of the last ones.
    let (ptx, prx) = std::sync::mpsc::sync_channel::<(usize, Arc<Vec<Program>>)>(4);
    let (rtx, rrx) = std::sync::mpsc::channel::<(usize, Option<super::SchedRun>)>();
    let mut ptx = Some(ptx);
    std::thread::scope(|scope| -> Result<(), EngineError> {
        let evaluator = move || {
            for (start, programs) in prx {
                let stop_now = sched
                    .options()
                    .deadline
                    .is_some_and(|d| std::time::Instant::now() >= d);
                let r = (!stop_now).then(|| sched.evaluate(task_arc.clone(), programs));
                let cancelled = r.as_ref().is_some_and(|r| r.cancelled);
                if rtx.send((start, r)).is_err() || cancelled {
                    break;
                }
            }
        };
        super::stream::spawn_evaluator(scope, evaluator)?;
        // What a block leaves behind (candidate texts and ids, programs
        // seen before) is freed on another thread: the frees are a large
        // part of the sequential thread's work otherwise.
        let (trash_tx, trash_rx) = std::sync::mpsc::channel::<Trash>();
        std::thread::Builder::new()
            .name("gridscore-free".into())
            .spawn_scoped(scope, move || trash_rx.into_iter().for_each(drop))
            .map_err(|e| {
                EngineError::Read(std::io::Error::other(format!(
                    "cannot start the freeing thread: {e}"
                )))
            })?;
        let result = (|| -> Result<(), EngineError> {
            for block in blocks {
                let block = block.map_err(EngineError::Read)?;
                let trash = run.add_block(block, &mut by_fp, &mut others, &mut pending)?;
                // The freeing thread ends only with the channel.
                let _ = trash_tx.send(trash);
                if pending.len() >= EVAL_BATCH {
                    run.send(&mut pending, ptx.as_ref())?;
                }
                while let Ok(r) = rrx.try_recv() {
                    run.apply(r, opts.metric)?;
                }
            }
            run.send(&mut pending, ptx.as_ref())?;
            ptx = None;
            drop(trash_tx);
            for r in rrx.iter() {
                run.apply(r, opts.metric)?;
            }
            Ok(())
        })();
        // On an error the evaluator ends after the batch it runs.
        ptx = None;
        result
    })?;
    drop(ptx);
    run.candidates = run.slots.len();
    run.distinct_programs = run.distinct.len();
    run.parse_errors = run.errors.len();
    run.rank();
    if !run.deadline_hit {
        // The scheduler predicts on its first healthy device, else the CPU.
        let programs: Vec<&Program> = run
            .order
            .iter()
            .take(run.scored.min(opts.predictions))
            .map(|&p| run.program(run.slots[p as usize].distinct as usize))
            .collect();
        run.predictions = sched.predict(task, &programs)?;
    }
    Ok(run)
}

impl FullRun {
    /// Distinct program `d`.
    fn program(&self, d: usize) -> &Program {
        let b = self.batch_starts.partition_point(|&s| s <= d) - 1;
        &self.batches[b][d - self.batch_starts[b]]
    }

    /// Records the candidates of a block: each parsed program is matched
    /// with the distinct programs seen before, new ones go to `pending`.
    /// Returns what is left of the block, to be freed.
    fn add_block(
        &mut self,
        block: CandidateBlock,
        by_fp: &mut HashMap<u64, u32, BuildHasherDefault<PassHasher>>,
        others: &mut HashMap<Program, u32>,
        pending: &mut Vec<Program>,
    ) -> Result<Trash, EngineError> {
        let np = self.np;
        let CandidateBlock {
            candidates,
            fingerprints,
        } = block;
        let mut trash = Trash {
            // Each candidate's text, and its id when that is its index.
            texts: Vec::with_capacity(2 * candidates.len()),
            programs: Vec::new(),
        };
        for (c, fp) in candidates.into_iter().zip(fingerprints) {
            let pos = self.slots.len();
            let Candidate {
                id,
                index,
                line,
                program,
                ..
            } = c;
            let program = match program {
                Ok(p) => p,
                Err(e) => {
                    self.slots.push(Slot {
                        index,
                        line,
                        distinct: PARSE_ERROR,
                        id: None,
                    });
                    self.errors.push(Candidate {
                        id,
                        index,
                        line,
                        text: c.text,
                        program: Err(e),
                    });
                    continue;
                }
            };
            let first_pending = self.distinct.len() - pending.len();
            let known = by_fp.get(&fp).copied().and_then(|d| {
                let same = match (d as usize).checked_sub(first_pending) {
                    Some(k) => pending[k] == program,
                    None => *self.program(d as usize) == program,
                };
                if same {
                    Some(d)
                } else {
                    others.get(&program).copied()
                }
            });
            let d = match known {
                Some(d) => {
                    trash.programs.push(program);
                    d
                }
                None => {
                    let d = u32::try_from(self.distinct.len())
                        .ok()
                        .filter(|&d| d != PARSE_ERROR)
                        .ok_or_else(|| {
                            EngineError::Read(std::io::Error::other(
                                "more than 4294967294 distinct programs",
                            ))
                        })?;
                    match by_fp.entry(fp) {
                        std::collections::hash_map::Entry::Vacant(e) => {
                            e.insert(d);
                        }
                        std::collections::hash_map::Entry::Occupied(_) => {
                            others.insert(program.clone(), d);
                        }
                    }
                    self.distinct.push(Distinct {
                        ops: program.len(),
                        first: pos,
                        done: false,
                        exact: 0,
                        score: 0,
                    });
                    self.outcomes
                        .extend(std::iter::repeat_n(PairOutcome::INVALID, np));
                    pending.push(program);
                    d
                }
            };
            let id = if is_index(&id, index) {
                trash.texts.push(id);
                None
            } else {
                Some(id.into_boxed_str())
            };
            trash.texts.push(c.text);
            self.slots.push(Slot {
                index,
                line,
                distinct: d,
                id,
            });
        }
        Ok(trash)
    }

    /// Sends the pending programs to the evaluator as one batch.
    fn send(
        &mut self,
        pending: &mut Vec<Program>,
        tx: Option<&BatchSender>,
    ) -> Result<(), EngineError> {
        if pending.is_empty() {
            return Ok(());
        }
        let start = self.distinct.len() - pending.len();
        let batch = Arc::new(std::mem::take(pending));
        self.batches.push(batch.clone());
        self.batch_starts.push(start);
        let sent = tx.is_some_and(|tx| tx.send((start, batch)).is_ok());
        if !sent {
            // The evaluator stopped (cancelled): the run ends.
            return Err(EngineError::Cancelled);
        }
        Ok(())
    }

    /// Records the outcomes of a batch (`None`: not run, the deadline had
    /// passed).
    fn apply(
        &mut self,
        (start, run): (usize, Option<super::SchedRun>),
        metric: crate::score::Metric,
    ) -> Result<(), EngineError> {
        let np = self.np;
        let Some(r) = run else {
            self.deadline_hit = true;
            return Ok(());
        };
        if r.cancelled {
            return Err(EngineError::Cancelled);
        }
        self.deadline_hit |= r.deadline_hit;
        self.faults.extend(r.faults.iter().cloned());
        super::stream::merge_stats(&mut self.devices, &r.devices);
        for (k, &done) in r.done.iter().enumerate() {
            if !done {
                continue;
            }
            let o = &r.outcomes[k * np..(k + 1) * np];
            let (exact, score) = self.expected.rank_score(o, metric);
            let d = &mut self.distinct[start + k];
            (d.done, d.exact, d.score) = (true, exact, score);
            self.outcomes[(start + k) * np..(start + k + 1) * np].copy_from_slice(o);
            self.evaluations += np as u64;
        }
        Ok(())
    }

    /// Sorts the scored candidates (more exact, higher score, fewer ops,
    /// earlier) and puts the others after them in file order.
    fn rank(&mut self) {
        use rayon::prelude::*;
        /// (more exact, higher score, fewer ops, earlier); a candidate
        /// that was not scored (not run, or a parse error) has ops
        /// `u32::MAX` and no exact pairs and no score, so that the sort
        /// puts it after every scored one, in file order.
        type Key = (Reverse<u32>, Reverse<u64>, u32, u32);
        const UNSCORED: u32 = u32::MAX;
        // In parallel, into one vector of the final size: gathering the
        // keys of a million candidates takes tens of milliseconds, while
        // the other threads would wait.
        let mut keys: Vec<Key> = Vec::with_capacity(self.slots.len());
        self.slots
            .par_iter()
            .enumerate()
            .map(|(pos, s)| match self.distinct.get(s.distinct as usize) {
                Some(d) if d.done => (
                    Reverse(d.exact),
                    Reverse(d.score),
                    u32::try_from(d.ops).unwrap_or(UNSCORED - 1),
                    pos as u32,
                ),
                _ => (Reverse(0), Reverse(0), UNSCORED, pos as u32),
            })
            .collect_into_vec(&mut keys);
        keys.par_sort_unstable();
        self.scored = keys.partition_point(|k| k.2 != UNSCORED);
        self.not_run = self.slots.len() - self.scored - self.errors.len();
        let mut order: Vec<u32> = Vec::with_capacity(keys.len());
        keys.par_iter().map(|k| k.3).collect_into_vec(&mut order);
        self.order = order;
    }

    /// The task's id.
    pub fn task_id(&self) -> &str {
        &self.task_id
    }

    /// Number of rows (one per candidate).
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }

    fn id(&self, pos: usize) -> String {
        let s = &self.slots[pos];
        match &s.id {
            Some(id) => id.to_string(),
            None => s.index.to_string(),
        }
    }

    /// The `k`-th row (0-based, in output order).
    pub fn row(&self, k: usize) -> CandidateResult {
        let pos = self.order[k] as usize;
        let s = &self.slots[pos];
        let Some(d) = self.distinct.get(s.distinct as usize) else {
            // Parse errors are few: found by binary search on the index.
            let c = self
                .errors
                .binary_search_by_key(&s.index, |c| c.index)
                .map(|i| &self.errors[i])
                .expect("every parse error is kept");
            return CandidateResult {
                rank: None,
                id: c.id.clone(),
                program: c.text.clone(),
                status: Status::ParseError,
                error: c.program.as_ref().err().map(|e| e.to_string()),
                exact: 0,
                pairs: self.train_pairs,
                score: 0,
                pair_scores: Vec::new(),
                test_scores: Vec::new(),
                test_exact: None,
                hashes: Vec::new(),
                duplicate_of: None,
                predictions: None,
                ops: 0,
                index: c.index,
                line: c.line,
            };
        };
        let di = s.distinct as usize;
        let duplicate_of = (d.first != pos).then(|| self.id(d.first));
        let mut r = CandidateResult {
            rank: None,
            id: self.id(pos),
            program: self.program(di).canonical(),
            status: Status::NotRun,
            error: Some("not run".to_string()),
            exact: 0,
            pairs: self.train_pairs,
            score: 0,
            pair_scores: Vec::new(),
            test_scores: Vec::new(),
            test_exact: None,
            hashes: Vec::new(),
            duplicate_of,
            predictions: None,
            ops: d.ops,
            index: s.index,
            line: s.line,
        };
        if d.done {
            let o = &self.outcomes[di * self.np..(di + 1) * self.np];
            let sc = self.expected.score(o, self.metric);
            r.rank = Some(k + 1);
            r.status = Status::Ok;
            r.error = None;
            r.exact = sc.exact;
            r.score = sc.score;
            r.pair_scores = sc.pair_scores;
            r.test_exact = sc
                .test_scores
                .iter()
                .any(Option::is_some)
                .then_some(sc.test_exact);
            r.test_scores = sc.test_scores;
            r.hashes = o.iter().map(|p| Hash64(p.hash)).collect();
            r.predictions = self.predictions.get(k).cloned();
        }
        r
    }

    /// Writes the `k`-th row as JSON: the bytes `serde_json` writes for
    /// [`crate::engine::rows::Row`] of [`FullRun::row`], without building
    /// the row (`text` is scratch space).
    fn write_row(&self, k: usize, buf: &mut Vec<u8>, text: &mut String) -> std::io::Result<()> {
        use std::fmt::Write as _;
        use std::io::Write as _;
        let pos = self.order[k] as usize;
        let s = &self.slots[pos];
        let d = self.distinct.get(s.distinct as usize);
        let with_predictions = d.is_some_and(|d| d.done) && k < self.predictions.len();
        let Some(d) = d.filter(|_| !with_predictions) else {
            // Parse errors and rows with predictions (a few): through serde.
            let r = self.row(k);
            let row = crate::engine::rows::Row {
                result: &r,
                task: &self.task_id,
            };
            return serde_json::to_writer(&mut *buf, &row).map_err(std::io::Error::from);
        };
        let json_str = |buf: &mut Vec<u8>, v: &str| serde_json::to_writer(buf, v);
        let id = |buf: &mut Vec<u8>, pos: usize| -> std::io::Result<()> {
            let s = &self.slots[pos];
            match &s.id {
                Some(id) => json_str(buf, id)?,
                None => {
                    buf.push(b'"');
                    push_uint(buf, s.index as u64);
                    buf.push(b'"');
                }
            }
            Ok(())
        };
        let di = s.distinct as usize;
        if d.done {
            buf.extend_from_slice(b"{\"rank\":");
            push_uint(buf, k as u64 + 1);
            buf.extend_from_slice(b",\"id\":");
        } else {
            buf.extend_from_slice(b"{\"rank\":null,\"id\":");
        }
        id(buf, pos)?;
        buf.extend_from_slice(b",\"program\":");
        text.clear();
        let _ = write!(text, "{}", self.program(di));
        // A program's text is plain ASCII without quotes or backslashes
        // (checked: anything else goes through the JSON writer).
        if text
            .bytes()
            .all(|b| (b' '..=b'~').contains(&b) && b != b'"' && b != b'\\')
        {
            buf.push(b'"');
            buf.extend_from_slice(text.as_bytes());
            buf.push(b'"');
        } else {
            json_str(buf, text)?;
        }
        if !d.done {
            write!(
                buf,
                ",\"status\":\"not_run\",\"error\":\"not run\",\"exact\":0,\"pairs\":{},\"score\":0,\"pair_scores\":[],\"test_scores\":[],\"test_exact\":null,\"hashes\":[]",
                self.train_pairs
            )?;
        } else {
            let o = &self.outcomes[di * self.np..(di + 1) * self.np];
            let (train, test) = o.split_at(self.expected.train.len());
            buf.extend_from_slice(b",\"status\":\"ok\",\"error\":null,\"exact\":");
            push_uint(buf, u64::from(d.exact));
            buf.extend_from_slice(b",\"pairs\":");
            push_uint(buf, self.train_pairs as u64);
            buf.extend_from_slice(b",\"score\":");
            push_uint(buf, d.score);
            buf.extend_from_slice(b",\"pair_scores\":[");
            for (i, (o, &(eh, ew))) in train.iter().zip(&self.expected.train).enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                push_uint(buf, u64::from(o.score(self.metric, eh, ew)));
            }
            buf.extend_from_slice(b"],\"test_scores\":[");
            let mut test_exact = 0u32;
            for (i, (o, e)) in test.iter().zip(&self.expected.test).enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                match e {
                    Some((eh, ew)) => {
                        test_exact += u32::from(o.exact(*eh, *ew));
                        push_uint(buf, u64::from(o.score(self.metric, *eh, *ew)));
                    }
                    None => buf.extend_from_slice(b"null"),
                }
            }
            buf.extend_from_slice(b"],\"test_exact\":");
            if self.expected.test.iter().any(Option::is_some) {
                push_uint(buf, u64::from(test_exact));
            } else {
                buf.extend_from_slice(b"null");
            }
            buf.extend_from_slice(b",\"hashes\":[");
            for (i, o) in o.iter().enumerate() {
                if i > 0 {
                    buf.push(b',');
                }
                push_hash(buf, o.hash);
            }
            buf.push(b']');
        }
        buf.extend_from_slice(b",\"duplicate_of\":");
        if d.first != pos {
            id(buf, d.first)?;
        } else {
            buf.extend_from_slice(b"null");
        }
        buf.extend_from_slice(b",\"ops\":");
        push_uint(buf, d.ops as u64);
        buf.extend_from_slice(b",\"index\":");
        push_uint(buf, s.index as u64);
        buf.extend_from_slice(b",\"line\":");
        push_uint(buf, s.line as u64);
        buf.extend_from_slice(b",\"task\":");
        json_str(buf, &self.task_id)?;
        buf.push(b'}');
        Ok(())
    }

    /// A report holding the first `n` ranked rows, every parse error and the
    /// first `n` rows not run, with the counts of the whole run (what a
    /// table of the `n` best shows).
    pub fn head(&self, n: usize) -> BatchReport {
        let mut results: Vec<CandidateResult> =
            (0..self.scored.min(n)).map(|k| self.row(k)).collect();
        let mut not_run = 0;
        for k in self.scored..self.order.len() {
            let s = &self.slots[self.order[k] as usize];
            if s.distinct == PARSE_ERROR {
                results.push(self.row(k));
            } else if not_run < n {
                not_run += 1;
                results.push(self.row(k));
            }
        }
        self.report(results)
    }

    /// A report with these results and the counts of the whole run.
    pub fn report(&self, results: Vec<CandidateResult>) -> BatchReport {
        BatchReport {
            results,
            distinct: self.distinct_programs,
            evaluations: self.evaluations,
            candidates: self.candidates,
            scored: self.scored,
            parse_errors: self.parse_errors,
            not_run: self.not_run,
        }
    }

    /// Writes every row as JSON Lines (the rows of
    /// [`crate::engine::rows::write_jsonl`] without `top`), formatting
    /// groups of rows in parallel on `pool`.
    pub fn write_jsonl(
        &self,
        out: &mut dyn std::io::Write,
        pool: &rayon::ThreadPool,
    ) -> std::io::Result<()> {
        use std::collections::BTreeMap;
        use std::sync::atomic::{AtomicUsize, Ordering};
        use std::sync::{Condvar, Mutex, MutexGuard};
        /// Rows formatted together.
        const ROWS: usize = 2048;
        /// Chunks formatted ahead of the one being written, at most.
        const AHEAD: usize = 16;
        struct State {
            /// Formatted chunks not yet written, by number.
            ready: BTreeMap<usize, std::io::Result<Vec<u8>>>,
            /// Chunks written.
            written: usize,
            /// The writer stopped (an error): formatters end.
            stop: bool,
        }
        let n = self.len();
        let chunks = n.div_ceil(ROWS);
        let state = Mutex::new(State {
            ready: BTreeMap::new(),
            written: 0,
            stop: false,
        });
        let changed = Condvar::new();
        let lock = || state.lock().unwrap_or_else(|e| e.into_inner());
        fn wait<'a>(cv: &Condvar, g: MutexGuard<'a, State>) -> MutexGuard<'a, State> {
            cv.wait(g).unwrap_or_else(|e| e.into_inner())
        }
        let next = AtomicUsize::new(0);
        let format = |c: usize| -> std::io::Result<Vec<u8>> {
            let (a, b) = (c * ROWS, ((c + 1) * ROWS).min(n));
            let mut buf = Vec::with_capacity((b - a) * 256);
            let mut text = String::new();
            for k in a..b {
                self.write_row(k, &mut buf, &mut text)?;
                buf.push(b'\n');
            }
            Ok(buf)
        };
        // Called from one of the pool's own threads, the formatters could
        // wait in this thread's queue while it waits for them: format and
        // write in turn instead.
        if pool.current_thread_index().is_some() {
            for c in 0..chunks {
                out.write_all(&format(c)?)?;
            }
            return Ok(());
        }
        /// Stops the formatters when the writer leaves, whatever the way
        /// (an error, or a panic in `out`).
        struct StopOnDrop<'a> {
            state: &'a Mutex<State>,
            changed: &'a Condvar,
        }
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.state.lock().unwrap_or_else(|e| e.into_inner()).stop = true;
                self.changed.notify_all();
            }
        }
        // Every thread of the pool formats the next chunk not taken (at
        // most AHEAD chunks ahead of the writer) while this thread writes
        // the chunks in order: no thread waits for a whole group of chunks
        // to finish.
        pool.in_place_scope(|scope| {
            for _ in 0..pool.current_num_threads().max(1) {
                scope.spawn(|_| loop {
                    let c = next.fetch_add(1, Ordering::Relaxed);
                    if c >= chunks {
                        break;
                    }
                    {
                        let mut st = lock();
                        while !st.stop && c >= st.written + AHEAD {
                            st = wait(&changed, st);
                        }
                        if st.stop {
                            break;
                        }
                    }
                    // A panic becomes this chunk's error, so that the
                    // writer waiting for it does not wait forever.
                    let part = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| format(c)))
                        .unwrap_or_else(|_| {
                            Err(std::io::Error::other("formatting the rows panicked"))
                        });
                    lock().ready.insert(c, part);
                    changed.notify_all();
                });
            }
            let _stop = StopOnDrop {
                state: &state,
                changed: &changed,
            };
            let mut result = Ok(());
            for c in 0..chunks {
                let part = {
                    let mut st = lock();
                    loop {
                        if let Some(p) = st.ready.remove(&c) {
                            break p;
                        }
                        st = wait(&changed, st);
                    }
                };
                let written = part.and_then(|p| out.write_all(&p));
                let mut st = lock();
                st.written = c + 1;
                if let Err(e) = written {
                    st.stop = true;
                    result = Err(e);
                }
                drop(st);
                changed.notify_all();
                if result.is_err() {
                    break;
                }
            }
            result
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_that_spell_the_index_are_recognised() {
        for index in [0usize, 7, 10, 12345, usize::MAX] {
            assert!(is_index(&index.to_string(), index));
            assert!(!is_index(&format!("0{index}"), index));
            assert!(!is_index(&(index as u128 + 1).to_string(), index));
        }
        assert!(!is_index("", 0));
        assert!(!is_index("x", 0));
    }

    #[test]
    fn numbers_and_hashes_are_written_as_format_writes_them() {
        let mut rng = crate::rng::Rng::new(17);
        let mut values = vec![0, 1, 9, 10, 99, 100, u64::from(u32::MAX), u64::MAX];
        values.extend((0..2000).map(|_| rng.next_u64() >> rng.below(64)));
        for v in values {
            let mut buf = b"x".to_vec();
            push_uint(&mut buf, v);
            assert_eq!(buf, format!("x{v}").into_bytes());
            let mut buf = Vec::new();
            push_hash(&mut buf, v);
            assert_eq!(buf, format!("\"{v:016x}\"").into_bytes());
        }
    }
}
