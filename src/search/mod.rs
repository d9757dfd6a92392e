//! Program search: enumerate every program up to a depth over the ops of
//! `DSL.md` with argument domains drawn from the task ([`domains`]), collapse
//! observationally equivalent programs into states ([`enumerate`]), score
//! them, and turn the best two into ARC Prize attempts ([`submission`]).
//!
//! `docs/search.md` describes the algorithm, the domains and measured
//! results. Entry points: [`search_task`] for one task, [`run`] for files
//! and directories with a submission and a report, [`cli::SearchArgs`] for
//! the `gridscore search` subcommand.

pub mod cli;
pub mod compose;
pub mod domains;
pub mod enumerate;
pub mod memo;
pub mod pieces;
pub mod sizes;
pub mod submission;
pub mod views;

use crate::engine::{Backend, EngineError};
use crate::grid::Grid;
use crate::lang::Program;
use crate::score::{CandidateScore, Metric, PairOutcome, MASK_WORDS};
use crate::task::Task;
use enumerate::{
    derived_map, expand, hash_state, pack, score_train, Alphabet, ExpandCtx, Expansion, IdMap,
    Seen, StateMeta, Stop, Store, Worker, WorkerPool,
};
use memo::Memo;
use pieces::{Cells, Origin, PieceStore};
use rayon::prelude::*;
use serde::Serialize;
use std::time::{Duration, Instant};
use views::{View, ViewKind};

pub use domains::Domains;
pub use submission::{run, RunOutputs, SearchError, Summary};

/// Where the last depth's candidates are scored.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum LastDepth {
    /// On the backend when it is a GPU, else from the states on the CPU.
    #[default]
    Auto,
    /// Extend the states on the CPU and score their grids directly.
    States,
    /// Send the last depth's programs to the backend in batches.
    Backend,
}

/// Search options.
#[derive(Clone, Debug)]
pub struct SearchOptions {
    /// Longest program (number of ops).
    pub depth: usize,
    /// Per-task time limit: deepening stops and the best so far is returned.
    pub time_limit: Option<Duration>,
    /// Most stored states (all depths) before deepening stops.
    pub max_states: usize,
    /// Most bytes of stored states before deepening stops.
    pub max_bytes: usize,
    /// Most bytes of op results remembered across a depth's parents (all
    /// threads together; 0: none). Only a speed-up: the results are the
    /// same (see [`memo`]).
    pub memo_bytes: usize,
    /// The metric that ranks after exact pairs.
    pub metric: Metric,
    /// Where the last depth is scored.
    pub last_depth: LastDepth,
    /// Programs per backend call.
    pub batch_size: usize,
    /// Distinct-prediction classes kept for the final ranking.
    pub shortlist: usize,
    /// Collapse observationally equivalent programs (off only for tests).
    pub prune: bool,
    /// Stop as soon as a program exact on every train pair is found (faster;
    /// the second attempt is then the best found so far, not the best).
    pub stop_when_solved: bool,
    /// Restrict the alphabet to these ops (`None` = every op).
    pub only_ops: Option<Vec<crate::lang::OpCode>>,
    /// Compose answers from several pieces (overlays).
    pub compose: bool,
    /// Also search the task with colors renamed by frequency (`norm`).
    pub normalize: bool,
    /// Also search the transposed task (and transposed norm view).
    pub transpose: bool,
    /// Most pieces kept per view for composition.
    pub max_pieces: usize,
    /// Search every depth and view even once a program exact on every
    /// train pair is found (slower; the second attempts come from a wider
    /// search). Without it, a view stops deepening after the depth where
    /// its best program became exact, and later views are skipped once a
    /// view has such a program.
    pub thorough: bool,
    /// Set (from any thread) to stop the search as a passed time limit
    /// would: the best found so far is returned (a signal, or the Python
    /// caller's Ctrl-C).
    pub cancel: crate::engine::Cancel,
}

impl Default for SearchOptions {
    fn default() -> Self {
        SearchOptions {
            depth: 2,
            time_limit: None,
            max_states: 2_000_000,
            max_bytes: 2 << 30,
            memo_bytes: 64 << 20,
            metric: Metric::Tiered,
            last_depth: LastDepth::Auto,
            batch_size: 1 << 16,
            shortlist: 8,
            prune: true,
            only_ops: None,
            stop_when_solved: false,
            compose: true,
            normalize: true,
            transpose: false,
            max_pieces: 20_000,
            thorough: false,
            cancel: crate::engine::Cancel::default(),
        }
    }
}

/// Which budget stopped the search.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Budget {
    /// The per-task time limit.
    Time,
    /// The cap on stored states.
    States,
    /// The cap on bytes of stored states.
    Memory,
}

/// What happened at one depth.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DepthStats {
    /// The view of the task searched.
    pub view: ViewKind,
    pub depth: usize,
    /// Programs generated (state x op).
    pub candidates: u64,
    /// Those valid on every train input (at the last depth, children
    /// rejected early because they cannot reach the shortlist are not
    /// counted).
    pub valid: u64,
    /// Distinct new states among them (observational equivalence); at the
    /// last depth, the children offered to the shortlist or as pieces.
    pub states: u64,
    /// Ops not run because their child was certainly the parent or an
    /// earlier sibling (or, at the last depth, an op keeping the size on a
    /// parent of the wrong size); counted in `candidates`.
    pub skipped: u64,
    /// Op applications not run because the same op had run on the same
    /// grid of the same pair for another parent of this depth (the memo:
    /// speed only, see `docs/search.md`).
    pub remembered: u64,
    /// Milliseconds spent.
    pub ms: u64,
    /// False when a budget cut this depth short.
    pub complete: bool,
}

/// The stage of the search that produced a candidate.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    /// One program of at most `depth` ops.
    Chain,
    /// An overlay of several pieces.
    Composition,
}

/// One ranked program.
#[derive(Clone, Debug, Serialize)]
pub struct Ranked {
    /// Canonical text (empty for the identity, the empty program).
    pub program: String,
    /// The stage that found it and the view of the task it was found in.
    pub stage: Stage,
    pub view: ViewKind,
    /// Layers of a composition (1 for a chain).
    pub pieces: usize,
    /// Exact train pairs.
    pub exact: u32,
    /// Total train score.
    pub score: u64,
    pub ops: usize,
    /// Exact test pairs (where the test outputs are known).
    pub test_exact: u32,
}

/// The result of searching one task.
#[derive(Clone, Debug)]
pub struct SearchResult {
    pub task: String,
    /// The best program is exact on every train pair.
    pub solved_train: bool,
    /// Every test output is matched by one of its two attempts (`None` when
    /// the test outputs are unknown).
    pub test_correct: Option<bool>,
    /// Test outputs matched by an attempt, of those known.
    pub test_outputs_correct: (usize, usize),
    /// The programs behind the attempts, best first (at most two).
    pub programs: Vec<Ranked>,
    /// The shortlist as ranked by the backend.
    pub ranked: Vec<Ranked>,
    /// Two attempts per test input.
    pub attempts: Vec<[Grid; 2]>,
    /// Per test input, the ranked programs (indices into `ranked`) behind
    /// the two attempts; None for a fallback (a copy of the input, `[[0]]`).
    pub attempt_sources: Vec<[Option<usize>; 2]>,
    /// Programs generated, all depths.
    pub candidates: u64,
    pub depths: Vec<DepthStats>,
    /// The deepest depth fully or partly explored.
    pub depth_reached: usize,
    /// The budget that stopped deepening, if any.
    pub stopped_by: Option<Budget>,
    /// Shortlisted programs whose backend score differs from the search's.
    pub backend_mismatches: usize,
    /// Hash collisions between distinct states (resolved by comparison).
    pub hash_collisions: usize,
    /// Pieces kept for composition (all views) and compositions found.
    pub pieces: usize,
    pub compositions: usize,
    pub wall_s: f64,
}

/// A shortlisted program with its search-side score.
#[derive(Clone, Debug)]
struct Entry {
    exact: u32,
    score: u64,
    /// Enumeration order: (program length, parent state, op index).
    key: (u8, u32, u32),
    test_hash: u64,
    program: Program,
}

impl Entry {
    fn better(&self, exact: u32, score: u64, key: (u8, u32, u32)) -> bool {
        (self.exact, self.score)
            .cmp(&(exact, score))
            .then(key.cmp(&self.key))
            .is_gt()
    }
}

/// The best `k` classes of distinct test predictions, each by its best
/// program (see `docs/search.md` for why this keeps the exact top two).
struct Tracker {
    k: usize,
    entries: Vec<Entry>,
}

impl Tracker {
    fn new(k: usize) -> Tracker {
        Tracker {
            k: k.max(2),
            entries: Vec::new(),
        }
    }
    fn offer(
        &mut self,
        exact: u32,
        score: u64,
        key: (u8, u32, u32),
        test_hash: u64,
        program: impl FnOnce() -> Program,
    ) {
        let beats = |e: &Entry| !e.better(exact, score, key);
        if self.entries.len() >= self.k && !beats(self.entries.last().expect("full")) {
            return;
        }
        if let Some(i) = self.entries.iter().position(|e| e.test_hash == test_hash) {
            if !beats(&self.entries[i]) {
                return;
            }
            self.entries.remove(i);
        }
        let e = Entry {
            exact,
            score,
            key,
            test_hash,
            program: program(),
        };
        let pos = self
            .entries
            .iter()
            .position(|x| e.better(x.exact, x.score, x.key))
            .unwrap_or(self.entries.len());
        self.entries.insert(pos, e);
        self.entries.truncate(self.k);
    }
    /// The (exact, score) a new program must reach to enter the
    /// shortlist, once it is full.
    fn bar(&self) -> Option<(u32, u64)> {
        if self.entries.len() < self.k {
            return None;
        }
        self.entries.last().map(|e| (e.exact, e.score))
    }
    /// Whether the best class is exact on every train pair.
    fn best_exact(&self, ntrain: usize) -> bool {
        ntrain > 0
            && self
                .entries
                .first()
                .is_some_and(|e| e.exact as usize == ntrain)
    }
    /// Whether the two best classes are exact on every train pair (then no
    /// longer program can displace them).
    fn top_two_exact(&self, ntrain: usize) -> bool {
        ntrain > 0
            && self.entries.len() >= 2
            && self.entries[..2].iter().all(|e| e.exact as usize == ntrain)
    }
}

/// What the search of one view found.
struct ViewOut {
    /// The shortlist (programs of the view).
    entries: Vec<Entry>,
    /// Compositions (programs of the view) with their number of layers
    /// and the longest piece program.
    compositions: Vec<(Program, usize, usize)>,
    depths: Vec<DepthStats>,
    stopped_by: Option<Budget>,
    hash_collisions: usize,
    pieces: usize,
}

/// A candidate answer, as a program of the task.
struct Cand {
    program: Program,
    stage: Stage,
    view: ViewKind,
    pieces: usize,
    /// The longest piece program (a chain: its own length).
    piece_depth: usize,
    /// Search-side train score (chains only, for the backend check).
    search_score: Option<(u32, u64)>,
    /// Order among equals: view, stage, then enumeration order.
    order: (usize, Stage, (u8, u32, u32)),
}

/// The final ranking, smallest first: more exact train pairs, then chains
/// before compositions, then fewer ops in all (`Program::len`: every op of
/// every piece, one per layer), then the shorter longest piece program,
/// then a higher score, then fewer pieces, then fewer words (ops and their
/// arguments, `Program::words`), then the earlier candidate.
type RankKey = (
    std::cmp::Reverse<u32>,
    bool,
    usize,
    usize,
    std::cmp::Reverse<u64>,
    usize,
    usize,
    (usize, Stage, (u8, u32, u32)),
);

fn rank_key(c: &Cand, s: &CandidateScore) -> RankKey {
    use std::cmp::Reverse;
    (
        Reverse(s.exact),
        c.pieces > 1,
        c.program.len(),
        c.piece_depth,
        Reverse(s.score),
        c.pieces,
        c.program.words(),
        c.order,
    )
}

/// Searches one task: every view (raw, and with `normalize` the norm view),
/// chains and compositions, ranked together on the backend.
pub fn search_task(
    task: &Task,
    opts: &SearchOptions,
    backend: &dyn Backend,
) -> Result<SearchResult, SearchError> {
    let start = Instant::now();
    // Enumeration stops at ENUMERATION_SHARE of the time limit, so that the
    // pieces found so far are still composed (and every view's candidates
    // ranked) before the limit itself.
    let stop = Stop {
        deadline: opts
            .time_limit
            .map(|t| start + t.mul_f64(ENUMERATION_SHARE)),
        cancel: opts.cancel.clone(),
    };
    let compose_stop = Stop {
        deadline: opts.time_limit.map(|t| start + t),
        cancel: opts.cancel.clone(),
    };
    let nt = task.train.len();
    let np = task.num_pairs();

    let mut cands: Vec<Cand> = Vec::new();
    let mut depths = Vec::new();
    let mut stopped_by = None;
    let mut hash_collisions = 0;
    let mut n_pieces = 0;
    let mut n_compositions = 0;
    // Depth 3 and more: a whole depth-2 search first (its last depth is the
    // cheap one, and its pieces are composed), then the deep search with the
    // time left, so that a time limit that cuts the deep search still
    // leaves at least the depth-2 answers.
    let passes: Vec<usize> = if opts.depth >= 3 {
        vec![2, opts.depth]
    } else {
        vec![opts.depth]
    };
    let views = views::views(task, opts.normalize, opts.transpose);
    for (pass, &depth) in passes.iter().enumerate() {
        // The deep pass is skipped when an exact chain was found (unless
        // thorough). An exact composition does not skip it: compositions
        // overfit more than chains, and the deep pass looks for a chain.
        let chain_exact = cands
            .iter()
            .any(|c| c.search_score.is_some_and(|(e, _)| e as usize == nt));
        if pass > 0 && (stop.now() || (nt > 0 && chain_exact && !opts.thorough)) {
            if stop.now() {
                stopped_by.get_or_insert(Budget::Time);
            }
            break;
        }
        let popts = SearchOptions {
            depth,
            ..opts.clone()
        };
        let opts = &popts;
        for (vi, view) in views.iter().enumerate() {
            if vi > 0 && stop.now() {
                stopped_by.get_or_insert(Budget::Time);
                break;
            }
            // A later view is skipped once an earlier one has an answer
            // exact on every train pair. In the depth-2 pass of a deep run
            // only an exact chain counts: compositions overfit, the norm
            // view's depth 2 is cheap next to the deep pass, and its
            // compositions are the second opinion (docs/search.md).
            let deep_first_pass = passes.len() > 1 && pass == 0;
            let solved = cands.iter().any(|c| {
                (c.stage == Stage::Composition && !deep_first_pass)
                    || c.search_score.is_some_and(|(e, _)| e as usize == nt)
            });
            if vi > 0 && nt > 0 && solved && !opts.thorough {
                break;
            }
            let out = search_view(view, opts, backend, &stop, &compose_stop)?;
            depths.extend(out.depths);
            stopped_by = stopped_by.or(out.stopped_by);
            hash_collisions += out.hash_collisions;
            n_pieces += out.pieces;
            n_compositions += out.compositions.len();
            for e in out.entries {
                let Some(program) = view.wrap(e.program) else {
                    continue;
                };
                let depth = program.len();
                cands.push(Cand {
                    program,
                    stage: Stage::Chain,
                    view: view.kind,
                    pieces: 1,
                    piece_depth: depth,
                    search_score: Some((e.exact, e.score)),
                    order: (vi, Stage::Chain, e.key),
                });
            }
            for (i, (p, layers, depth)) in out.compositions.into_iter().enumerate() {
                let Some(program) = view.wrap(p) else {
                    continue;
                };
                cands.push(Cand {
                    program,
                    stage: Stage::Composition,
                    view: view.kind,
                    pieces: layers,
                    piece_depth: depth,
                    search_score: None,
                    order: (vi, Stage::Composition, (0, 0, i as u32)),
                });
            }
        }
    }
    // One candidate per program.
    {
        let mut seen = std::collections::HashSet::new();
        cands.retain(|c| seen.insert(c.program.clone()));
    }

    // Final ranking and predictions on the backend (`rank_key`).
    let programs: Vec<&Program> = cands.iter().map(|c| &c.program).collect();
    let outcomes = backend.evaluate(task, &programs)?;
    let exp = task.expected_sizes();
    let scores: Vec<CandidateScore> = if np == 0 {
        vec![CandidateScore::default(); cands.len()]
    } else {
        outcomes
            .chunks(np)
            .map(|o| exp.score(o, opts.metric))
            .collect()
    };
    let backend_mismatches = cands
        .iter()
        .zip(&scores)
        .filter(|(c, s)| c.search_score.is_some_and(|x| x != (s.exact, s.score)))
        .count();
    let mut order: Vec<usize> = (0..cands.len()).collect();
    order.sort_by_cached_key(|&i| rank_key(&cands[i], &scores[i]));
    let ranked_programs: Vec<&Program> = order.iter().map(|&i| &cands[i].program).collect();
    let preds = backend.predict(task, &ranked_programs)?;
    let ranked: Vec<Ranked> = order
        .iter()
        .map(|&i| Ranked {
            program: cands[i].program.canonical(),
            stage: cands[i].stage,
            view: cands[i].view,
            pieces: cands[i].pieces,
            exact: scores[i].exact,
            score: scores[i].score,
            ops: cands[i].program.len(),
            test_exact: scores[i].test_exact,
        })
        .collect();

    let (attempts, used) = submission::choose_attempts(task, &preds);
    let attempt_sources = attempt_sources(&attempts, &preds);
    let mut programs_out: Vec<Ranked> = Vec::new();
    for r in used {
        if programs_out.len() < 2 && !programs_out.iter().any(|p| p.program == ranked[r].program) {
            programs_out.push(ranked[r].clone());
        }
    }
    for r in &ranked {
        if programs_out.len() >= 2 {
            break;
        }
        if !programs_out.iter().any(|p| p.program == r.program) {
            programs_out.push(r.clone());
        }
    }
    let solved_train = nt > 0 && ranked.first().is_some_and(|r| r.exact as usize == nt);
    let (test_correct, test_outputs_correct) = submission::check_attempts(task, &attempts);
    Ok(SearchResult {
        task: task.id.clone(),
        solved_train,
        test_correct,
        test_outputs_correct,
        programs: programs_out,
        ranked,
        attempts,
        attempt_sources,
        candidates: depths.iter().map(|d| d.candidates).sum(),
        depth_reached: depths.iter().map(|d| d.depth).max().unwrap_or(0),
        depths,
        stopped_by,
        backend_mismatches,
        hash_collisions,
        pieces: n_pieces,
        compositions: n_compositions,
        wall_s: start.elapsed().as_secs_f64(),
    })
}

/// For each test input, the first ranked program whose prediction is each
/// attempt (None: a fallback).
fn attempt_sources(attempts: &[[Grid; 2]], preds: &[Vec<Option<Grid>>]) -> Vec<[Option<usize>; 2]> {
    attempts
        .iter()
        .enumerate()
        .map(|(i, pair)| {
            let find = |g: &Grid| {
                preds
                    .iter()
                    .position(|p| p.get(i).and_then(|o| o.as_ref()) == Some(g))
            };
            [find(&pair[0]), find(&pair[1])]
        })
        .collect()
}

/// The share of `--time-limit` given to enumeration; the rest is kept for
/// composing the pieces found and ranking.
const ENUMERATION_SHARE: f64 = 0.8;

/// Bytes of piece bitsets kept per view at most.
const PIECE_BYTES: usize = 64 << 20;

/// Enumerates one view: the shortlist of chains, the pieces and the
/// compositions made of them.
fn search_view(
    view: &View,
    opts: &SearchOptions,
    backend: &dyn Backend,
    stop: &Stop,
    compose_stop: &Stop,
) -> Result<ViewOut, SearchError> {
    let task = &view.task;
    let nt = task.train.len();
    let np = task.num_pairs();
    let expected: Vec<Grid> = task.train.iter().map(|p| p.output.clone()).collect();
    let domains = Domains::of_task(task);
    let alphabet = Alphabet::new(&domains, |o| {
        opts.only_ops
            .as_ref()
            .is_none_or(|only| only.contains(&o.code))
    });
    let derive_map = opts
        .only_ops
        .as_ref()
        .is_none_or(|o| o.contains(&crate::lang::OpCode::Map));
    let cells = (opts.compose && nt > 0).then(|| Cells::new(&expected));
    let mut pieces = PieceSink {
        store: PieceStore::new(
            cells.as_ref().map_or(1, |c| c.words),
            opts.max_pieces
                .min(PIECE_BYTES / (16 * cells.as_ref().map_or(1, |c| c.words))),
        ),
        test_sizes: sizes::predict(task),
    };

    let mut store = Store::new(np);
    let mut seen = Seen::default();
    let mut tracker = Tracker::new(opts.shortlist);
    {
        let grids: Vec<Grid> = task.inputs().cloned().collect();
        let valid = vec![true; np];
        let (h, th) = hash_state(&grids, &valid, nt);
        let (mut sizes, mut cells_v) = (Vec::new(), Vec::new());
        pack(&grids, &valid, &mut sizes, &mut cells_v);
        let (exact, score) = score_train(&grids[..nt], &expected, opts.metric);
        store.push(
            StateMeta {
                parent: u32::MAX,
                op: crate::lang::Op::new(crate::lang::OpCode::Id, &[]),
                op_idx: 0,
                depth: 0,
                exact,
                score,
            },
            &sizes,
            &cells_v,
        );
        seen.insert(h, 0);
        tracker.offer(exact, score, (0, 0, 0), th, Program::empty);
        if let Some(c) = &cells {
            if c.sizes_match(&grids[..nt]) {
                let mut bits = vec![0u64; 2 * c.words];
                let (nz, wrong) = bits.split_at_mut(c.words);
                c.signature(&grids[..nt], &expected, nz, wrong);
                pieces.offer(nz, wrong, &sizes[nt..], Origin::State(0), 0, th);
            }
        }
    }

    let use_backend = match opts.last_depth {
        LastDepth::Auto => backend.kind() == "gpu",
        LastDepth::States => false,
        LastDepth::Backend => true,
    };
    let mut depths = Vec::new();
    let mut stopped_by = None;
    let mut frontier = 0..1usize;
    for d in 1..=opts.depth.min(crate::lang::MAX_OPS) {
        if tracker.top_two_exact(nt) || frontier.is_empty() {
            break;
        }
        if stop.now() {
            stopped_by = Some(Budget::Time);
            break;
        }
        let t0 = Instant::now();
        let last = d == opts.depth;
        let mut stats = DepthStats {
            view: view.kind,
            depth: d,
            complete: true,
            ..Default::default()
        };
        let next_start = store.len();
        let stop = if last && use_backend {
            depth_on_backend(
                task,
                opts,
                backend,
                &store,
                &alphabet,
                &expected,
                frontier.clone(),
                d,
                stop,
                derive_map,
                &mut stats,
                &mut tracker,
                cells.as_ref().map(|c| (c, &mut pieces)),
            )?
        } else {
            let mut st = DepthState {
                store: &mut store,
                seen: &mut seen,
                tracker: &mut tracker,
                stats: &mut stats,
                pieces: &mut pieces,
            };
            depth_on_states(
                &mut st,
                opts,
                &alphabet,
                &expected,
                cells.as_ref(),
                nt,
                frontier.clone(),
                d,
                last,
                stop,
                derive_map,
            )
        };
        stats.ms = t0.elapsed().as_millis() as u64;
        if stop.is_some() {
            stats.complete = false;
        }
        depths.push(stats);
        frontier = next_start..store.len();
        if stop.is_some() {
            stopped_by = stop;
            break;
        }
        if (opts.stop_when_solved || !opts.thorough) && tracker.best_exact(nt) {
            break;
        }
    }

    // Compositions: the greedy stack over the pieces of at most t ops, for
    // each t up to the depth (simpler pieces first: they generalise
    // better), and a second stack whose top layer differs from the first's.
    let mut compositions: Vec<(Program, usize, usize)> = Vec::new();
    if let Some(c) = &cells {
        if !tracker.top_two_exact(nt) && !pieces.store.is_empty() {
            let palette: Vec<u8> = (1..10u8)
                .filter(|&col| c.target[col as usize].iter().any(|&w| w != 0))
                .collect();
            let variants = compose::variants(&palette);
            let deepest = pieces.store.len.iter().copied().max().unwrap_or(0) as usize;
            let mut found: Vec<compose::Composition> = Vec::new();
            for t in 0..=deepest {
                if !pieces.store.len.iter().any(|&l| l as usize == t) {
                    continue;
                }
                let first =
                    compose::greedy_upto(&pieces.store, c, &variants, None, t, compose_stop);
                let second = first.as_ref().and_then(|f| {
                    compose::greedy_upto(
                        &pieces.store,
                        c,
                        &variants,
                        Some(f.layers[0]),
                        t,
                        compose_stop,
                    )
                });
                for comp in first.into_iter().chain(second) {
                    if !found.contains(&comp) {
                        found.push(comp);
                    }
                }
            }
            for comp in &found {
                let origins: Vec<(Origin, u8)> = comp
                    .layers
                    .iter()
                    .map(|&(i, _)| (pieces.store.origin[i], pieces.store.len[i]))
                    .collect();
                let mut push = |origins: &[(Origin, u8)]| {
                    if let Some(p) = composition_program(comp, origins, &store) {
                        let depth = origins.iter().map(|o| o.1 as usize).max().unwrap_or(0);
                        compositions.push((p, comp.layers.len(), depth));
                    }
                };
                push(&origins);
                // The same composition with one piece swapped for another
                // program of the same train cells: same train result,
                // maybe other test outputs (second attempts).
                let mut variants = 0;
                for (k, &(i, _)) in comp.layers.iter().enumerate() {
                    for &(origin, len, _) in pieces.store.alternatives_of(i) {
                        if variants == MAX_COMPOSITION_VARIANTS {
                            break;
                        }
                        let mut o = origins.clone();
                        o[k] = (origin, len);
                        push(&o);
                        variants += 1;
                    }
                }
            }
        }
    }
    Ok(ViewOut {
        entries: tracker.entries,
        compositions,
        depths,
        stopped_by,
        hash_collisions: seen.collisions(),
        pieces: pieces.store.len(),
    })
}

/// Alternative compositions (one piece swapped) made per composition.
const MAX_COMPOSITION_VARIANTS: usize = 4;

/// The program of a composition: an overlay of the pieces' programs
/// (`origins`, one per layer).
fn composition_program(
    comp: &compose::Composition,
    origins: &[(Origin, u8)],
    store: &Store,
) -> Option<Program> {
    let mut layers = Vec::new();
    for (&(_, v), &(origin, _)) in comp.layers.iter().zip(origins) {
        let program = match origin {
            Origin::State(s) => store.program(s as usize),
            Origin::Child { parent, op } => store.program(parent as usize).with(op),
        };
        let mut ops = program.prefix().to_vec();
        if let pieces::Variant::Paint(c) = v {
            ops.push(crate::lang::Op::new(
                crate::lang::OpCode::Paint,
                &[c as i32, 0],
            ));
        }
        layers.push(crate::lang::Layer {
            mask: v.mask(),
            ops,
        });
    }
    Program::overlay(Vec::new(), layers, Vec::new()).ok()
}

/// The pieces of a view as they are found: the test sizes every piece
/// must have are those of the first piece (the shallowest program whose
/// train grids have the train outputs' sizes: the predicted output sizes).
struct PieceSink {
    store: PieceStore,
    test_sizes: Option<Vec<(u8, u8)>>,
}

impl PieceSink {
    /// Whether the store holds as many pieces as it may.
    fn full(&self) -> bool {
        self.store.len() >= self.store.cap
    }

    fn offer(
        &mut self,
        nz: &[u64],
        wrong: &[u64],
        test_sizes: &[(u8, u8)],
        origin: Origin,
        len: usize,
        test_hash: u64,
    ) {
        match &self.test_sizes {
            None => self.test_sizes = Some(test_sizes.to_vec()),
            Some(t) if t != test_sizes => return,
            Some(_) => {}
        }
        let h = PieceStore::hash(nz, wrong);
        self.store.offer(h, nz, wrong, origin, len, test_hash);
    }
}

/// Records a last-depth hash; true if it is new (false once the set holds
/// `cap` hashes: the count is then a lower bound).
fn count_new(set: &mut IdMap<()>, hash: u64, cap: usize) -> bool {
    if set.len() >= cap {
        return false;
    }
    set.insert(hash, ()).is_none()
}

struct DepthState<'a> {
    store: &'a mut Store,
    seen: &'a mut Seen,
    tracker: &'a mut Tracker,
    stats: &'a mut DepthStats,
    pieces: &'a mut PieceSink,
}

/// Expands the frontier on the CPU; returns the budget that cut it short.
#[allow(clippy::too_many_arguments)]
fn depth_on_states(
    st: &mut DepthState,
    opts: &SearchOptions,
    alphabet: &Alphabet,
    expected: &[Grid],
    cells: Option<&Cells>,
    nt: usize,
    frontier: std::ops::Range<usize>,
    d: usize,
    last: bool,
    stop: &Stop,
    derive_map: bool,
) -> Option<Budget> {
    // Stored depths keep enumeration order (it fixes state indices); the
    // last depth goes most promising parent first.
    let parents: Vec<u32> = if last {
        st.store.by_promise(frontier)
    } else {
        frontier.map(|s| s as u32).collect()
    };
    // Every parent but the root takes the same op list.
    let memo = Memo::new(
        st.store,
        &parents,
        alphabet.for_parent(1, last).len(),
        rayon::current_num_threads(),
        opts.memo_bytes,
    );
    let r = expand_parents(
        st,
        opts,
        alphabet,
        expected,
        cells,
        nt,
        &parents,
        d,
        last,
        stop,
        derive_map,
        memo.as_ref(),
    );
    st.stats.remembered += memo.map_or(0, |m| m.hits());
    r
}

/// [`depth_on_states`] for the parents in the order it chose.
#[allow(clippy::too_many_arguments)]
fn expand_parents(
    st: &mut DepthState,
    opts: &SearchOptions,
    alphabet: &Alphabet,
    expected: &[Grid],
    cells: Option<&Cells>,
    nt: usize,
    parents: &[u32],
    d: usize,
    last: bool,
    stop: &Stop,
    derive_map: bool,
    memo: Option<&Memo>,
) -> Option<Budget> {
    let keep = !last;
    let np = st.store_npairs();
    let chunk = (rayon::current_num_threads() * 8).max(65_536 / alphabet.max_len().max(1));
    let words = cells.map_or(0, |c| c.words);
    let pool = WorkerPool::new(np);
    let mut lo = 0;
    while lo < parents.len() {
        let hi = (lo + chunk).min(parents.len());
        let exps: Vec<Expansion> = {
            let ctx = ExpandCtx {
                store: st.store,
                seen: st.seen,
                alphabet,
                expected,
                ntrain: nt,
                metric: opts.metric,
                prune: opts.prune,
                last,
                bar: if last { st.tracker.bar() } else { None },
                stop,
                derive_map,
                pieces: cells.filter(|_| !st.pieces.full()),
                stored: Some(&st.pieces.store),
                memo,
            };
            (lo..hi)
                .into_par_iter()
                .map_init(
                    || pool.take(),
                    |w, i| expand(&ctx, w.get(), parents[i], i, pool.spare()),
                )
                .collect()
        };
        let mut aborted = false;
        for e in exps {
            st.stats.candidates += e.generated;
            st.stats.valid += e.valid;
            st.stats.skipped += e.skipped;
            aborted |= e.aborted;
            for c in &e.children {
                let key = (d as u8, e.parent, c.op_idx);
                let sizes = &e.sizes[c.sizes_at..c.sizes_at + np];
                let piece = c.piece_at.map(|at| {
                    let (nz, wrong) = e.piece_bits[at..at + 2 * words].split_at(words);
                    (nz, wrong)
                });
                if keep {
                    let cells_v = &e.cells[c.cells.0..c.cells.1];
                    if opts.prune && st.seen.contains_packed(st.store, c.hash, sizes, cells_v) {
                        continue;
                    }
                    if st.store.len() >= opts.max_states {
                        return Some(Budget::States);
                    }
                    if st.store.bytes() + cells_v.len() + 64 > opts.max_bytes {
                        return Some(Budget::Memory);
                    }
                    let idx = st.store.len();
                    st.store.push(
                        StateMeta {
                            parent: e.parent,
                            op: c.op,
                            op_idx: c.op_idx,
                            depth: d as u8,
                            exact: c.exact,
                            score: c.score,
                        },
                        sizes,
                        cells_v,
                    );
                    if opts.prune {
                        st.seen.insert(c.hash, idx as u32);
                    }
                    st.stats.states += 1;
                    let store = &*st.store;
                    st.tracker
                        .offer(c.exact, c.score, key, c.test_hash, || store.program(idx));
                    if let Some((nz, wrong)) = piece {
                        st.pieces.offer(
                            nz,
                            wrong,
                            &sizes[nt..],
                            Origin::State(idx as u32),
                            d,
                            c.test_hash,
                        );
                    }
                } else {
                    // Nothing is extended after the last depth, so children
                    // are not compared with the stored states: one equal to
                    // a stored state has a later key and changes nothing in
                    // the shortlist (which keeps the best program of each
                    // prediction class) or among the pieces (the first of
                    // each signature is kept).
                    st.stats.states += 1;
                    let store = &*st.store;
                    st.tracker.offer(c.exact, c.score, key, c.test_hash, || {
                        store.program(e.parent as usize).with(c.op)
                    });
                    if let Some((nz, wrong)) = piece {
                        st.pieces.offer(
                            nz,
                            wrong,
                            &sizes[nt..],
                            Origin::Child {
                                parent: e.parent,
                                op: c.op,
                            },
                            d,
                            c.test_hash,
                        );
                    }
                }
            }
            pool.give_back(e);
        }
        if aborted {
            return Some(Budget::Time);
        }
        lo = hi;
        if opts.stop_when_solved && st.tracker.best_exact(nt) && lo < parents.len() {
            st.stats.complete = false;
            return None;
        }
    }
    None
}

impl DepthState<'_> {
    fn store_npairs(&self) -> usize {
        self.store.npairs()
    }
}

/// Scores the last depth's programs on the backend in batches.
#[allow(clippy::too_many_arguments)]
fn depth_on_backend(
    task: &Task,
    opts: &SearchOptions,
    backend: &dyn Backend,
    store: &Store,
    alphabet: &Alphabet,
    expected: &[Grid],
    frontier: std::ops::Range<usize>,
    d: usize,
    stop: &Stop,
    derive_map: bool,
    stats: &mut DepthStats,
    tracker: &mut Tracker,
    mut pieces: Option<(&Cells, &mut PieceSink)>,
) -> Result<Option<Budget>, SearchError> {
    let nt = task.train.len();
    let np = task.num_pairs();
    let exp = task.expected_sizes();
    let mut w = Worker::new(np);
    let mut seen_hashes: IdMap<()> = IdMap::default();
    let mut batch: Vec<Program> = Vec::new();
    let mut keys: Vec<(u8, u32, u32)> = Vec::new();
    let batch_size = opts.batch_size.max(1);
    let mut flush = |batch: &mut Vec<Program>,
                     keys: &mut Vec<(u8, u32, u32)>,
                     stats: &mut DepthStats,
                     tracker: &mut Tracker|
     -> Result<(), EngineError> {
        if batch.is_empty() {
            return Ok(());
        }
        if opts.stop_when_solved && tracker.best_exact(nt) {
            stats.complete = false;
            batch.clear();
            keys.clear();
            return Ok(());
        }
        let refs: Vec<&Program> = batch.iter().collect();
        // While pieces are collected, the backend also returns the match
        // masks, so that the last depth's programs become pieces as on the
        // CPU path (`Origin::Child`).
        let want_pieces = pieces.as_ref().is_some_and(|(_, sink)| !sink.full());
        let (outs, masks) = if want_pieces {
            let m = backend.evaluate_masks(task, &refs)?;
            (m.outcomes, Some(m.masks))
        } else {
            (backend.evaluate(task, &refs)?, None)
        };
        let (mut bits, mut sizes) = (Vec::new(), Vec::with_capacity(np));
        for (i, o) in outs.chunks(np.max(1)).enumerate().take(batch.len()) {
            stats.candidates += 1;
            if o[..nt].iter().any(|p| !p.valid()) {
                continue;
            }
            stats.valid += 1;
            let fold = |os: &[PairOutcome], seed: u64| {
                os.iter().fold(seed, |h, p| {
                    (h.rotate_left(7) ^ p.hash).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                })
            };
            let test_hash = fold(&o[nt..], 7);
            if !opts.prune || count_new(&mut seen_hashes, fold(o, 3), opts.max_states) {
                stats.states += 1;
            }
            let s = exp.score(o, opts.metric);
            let prog = &batch[i];
            tracker.offer(s.exact, s.score, keys[i], test_hash, || prog.clone());
            if let (Some((cells, sink)), Some(masks)) = (pieces.as_mut(), &masks) {
                sizes.clear();
                sizes.extend(o.iter().map(|p| (p.h, p.w)));
                let piece_sizes = sizes[..nt]
                    .iter()
                    .zip(&cells.sizes)
                    .all(|(&(h, w), &(eh, ew))| (h as usize, w as usize) == (eh, ew));
                let makes = prog.prefix().iter().all(|op| op.code.makes_pieces());
                if makes && piece_sizes && o[nt..].iter().all(|p| p.valid()) && !sink.full() {
                    let slots = &masks[i * np * MASK_WORDS..(i * np + nt) * MASK_WORDS];
                    cells.signature_from_masks(slots, &mut bits);
                    let (nz, wrong) = bits.split_at(cells.words);
                    let (parent, op) = (keys[i].1, prog.prefix().last().copied());
                    if let Some(op) = op {
                        sink.offer(
                            nz,
                            wrong,
                            &sizes[nt..],
                            Origin::Child { parent, op },
                            d,
                            test_hash,
                        );
                    }
                }
            }
        }
        batch.clear();
        keys.clear();
        Ok(())
    };
    for p in store.by_promise(frontier) {
        let p = p as usize;
        if stop.now() {
            flush(&mut batch, &mut keys, stats, tracker)?;
            return Ok(Some(Budget::Time));
        }
        let prog = store.program(p);
        store.load(p, &mut w.pg, &mut w.pv);
        let derived = if derive_map {
            derived_map(&w.pg[..nt], expected)
        } else {
            None
        };
        let ops = alphabet.for_parent(p as u32, true);
        for (idx, op) in ops.iter().copied().chain(derived).enumerate() {
            batch.push(prog.with(op));
            keys.push((d as u8, p as u32, idx as u32));
        }
        if batch.len() >= batch_size {
            flush(&mut batch, &mut keys, stats, tracker)?;
        }
    }
    flush(&mut batch, &mut keys, stats, tracker)?;
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracker_keeps_best_of_each_class() {
        let mut t = Tracker::new(2);
        let p = Program::empty;
        t.offer(1, 10, (1, 0, 0), 100, p);
        t.offer(1, 20, (1, 0, 1), 100, p); // same class, better
        t.offer(0, 50, (1, 0, 2), 200, p);
        t.offer(0, 40, (1, 0, 3), 300, p); // worse than both
        assert_eq!(t.entries.len(), 2);
        assert_eq!((t.entries[0].score, t.entries[0].test_hash), (20, 100));
        assert_eq!((t.entries[1].score, t.entries[1].test_hash), (50, 200));
        // Ties go to the earlier key.
        t.offer(0, 50, (1, 0, 9), 400, p);
        assert_eq!(t.entries[1].test_hash, 200);
        t.offer(0, 50, (0, 0, 0), 400, p);
        assert_eq!(t.entries[1].test_hash, 400);
        assert!(!t.top_two_exact(1));
        t.offer(1, 30, (2, 0, 0), 500, p);
        assert!(t.top_two_exact(1));
    }

    /// A ranking candidate of the raw view.
    fn ranked_cand(
        text: &str,
        stage: Stage,
        pieces: usize,
        piece_depth: usize,
        order: u32,
    ) -> Cand {
        Cand {
            program: Program::parse(text).unwrap(),
            stage,
            view: ViewKind::Raw,
            pieces,
            piece_depth,
            search_score: None,
            order: (0, stage, (1, 0, order)),
        }
    }

    #[test]
    fn equal_candidates_rank_by_fewer_words_before_enumeration_order() {
        // Both one op, exact on every pair: `crop_frame` (1 word) outranks
        // `pick cobj min_cells` (3 words) though it was enumerated later.
        let cand = |text: &str, order: u32| ranked_cand(text, Stage::Chain, 1, 1, order);
        let s = CandidateScore {
            exact: 4,
            score: 4000,
            ..CandidateScore::default()
        };
        let pick = cand("pick cobj min_cells", 1);
        let frame = cand("crop_frame", 2);
        assert_eq!((pick.program.words(), frame.program.words()), (3, 1));
        // A color map counts the colors it changes: `map 0223422789`
        // changes 1, 5 and 6, so a recolor (two arguments) outranks it.
        let map = cand("upscale 2 2 | map 0223422789", 1);
        let recolor = cand("recolor fg 2 | upscale 2 2", 2);
        assert_eq!((map.program.words(), recolor.program.words()), (7, 6));
        assert!(rank_key(&recolor, &s) < rank_key(&map, &s));
        assert!(rank_key(&frame, &s) < rank_key(&pick, &s));
        // Words come after ops: a 2-op program without arguments does not
        // outrank a 1-op program with two.
        let two = cand("rot90 | crop_frame", 0);
        assert!(rank_key(&pick, &s) < rank_key(&two, &s));
        // And after exactness.
        let better = CandidateScore {
            exact: 5,
            ..s.clone()
        };
        assert!(rank_key(&pick, &better) < rank_key(&frame, &s));
    }

    #[test]
    fn equally_exact_compositions_rank_by_fewer_ops_in_all() {
        // Two pieces, the deeper of depth 2 (4 ops in all, one per layer
        // included), outrank five pieces of depth 1 (a trailing `paint` is
        // the layer's color, not a step of its piece) with 10 ops in all:
        // the shorter description first.
        let comp = |text: &str, pieces: usize, piece_depth: usize| {
            ranked_cand(text, Stage::Composition, pieces, piece_depth, 0)
        };
        let two = comp("overlay { [z] ; [nz] recolor 3 0 | spread }", 2, 2);
        let five = comp(
            "overlay { [z] ; [nz] recolor 3 0 ; [nz] shift -3 0 bg ; [nz] shift -2 0 bg ; [nz] transpose | paint 1 0 }",
            5,
            1,
        );
        assert_eq!((two.program.len(), five.program.len()), (4, 10));
        let s = CandidateScore {
            exact: 3,
            score: 3000,
            ..CandidateScore::default()
        };
        assert!(rank_key(&two, &s) < rank_key(&five, &s));
        // A chain still comes first, whatever its length.
        let chain = ranked_cand(
            "rot90 | flip_h | recolor 1 2 | spread | trim",
            Stage::Chain,
            1,
            5,
            0,
        );
        assert!(rank_key(&chain, &s) < rank_key(&two, &s));
    }
}
