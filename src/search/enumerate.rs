//! Breadth-first enumeration with observational equivalence.
//!
//! A *state* is the list of grids a program produces on every train and
//! test input. States live in a compact [`Store`] (sizes plus the cells of
//! each grid, back to back); each remembers its parent state and the op that
//! made it, so its program is rebuilt by walking parents. A depth expands
//! every state of the previous depth by every op of the alphabet, in
//! parallel over parents; children whose grids equal a stored state (hash,
//! then full comparison) are dropped, and so are children INVALID on a
//! train input.

use super::memo::{Entry, Memo, Table, NO_ROW};
use super::pieces::{Cells, PieceStore};
use crate::grid::Grid;
use crate::lang::args::color::{BG, FG, LC};
use crate::lang::interp::{changed_colors, color_tokens, size_hint, SizeHint};
use crate::lang::{Interp, Op, Program};
use crate::maps::{fmix64, fx, MixHasher, PassHasher};
use crate::score::{matching_cells, Metric, PairOutcome};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// A map keyed by precomputed hashes.
pub type IdMap<V> = HashMap<u64, V, BuildHasherDefault<PassHasher>>;

/// A map from ops to indices (the alphabets' positions).
pub type OpMap<V> = HashMap<Op, V, BuildHasherDefault<MixHasher>>;

/// Hash of one grid's size and cells (`None` = INVALID), chained onto `h`.
#[inline]
pub fn hash_grid(mut h: u64, g: Option<&Grid>) -> u64 {
    let Some(g) = g else {
        return fx(h, 0xdead_beef);
    };
    h = fx(h, ((g.h() as u64) << 8) | g.w() as u64 | 0x1_0000);
    // Four independent lanes over 32-byte blocks (no chain of multiplies
    // through the whole grid), folded into h, then the tail eight bytes at
    // a time.
    let mut blocks = g.data().chunks_exact(32);
    let word =
        |b: &[u8], k: usize| u64::from_le_bytes(b[8 * k..8 * k + 8].try_into().expect("8 bytes"));
    if blocks.len() > 0 {
        let mut l = [
            h,
            h ^ 0x9e37_79b9_7f4a_7c15,
            h ^ 0x6a09_e667_f3bc_c909,
            h ^ 0xbb67_ae85_84ca_a73b,
        ];
        for b in &mut blocks {
            for (k, lane) in l.iter_mut().enumerate() {
                *lane = fx(*lane, word(b, k));
            }
        }
        h = fx(fx(fx(l[0], l[1]), l[2]), l[3]);
    }
    let mut chunks = blocks.remainder().chunks_exact(8);
    for c in &mut chunks {
        h = fx(h, u64::from_le_bytes(c.try_into().expect("8 bytes")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut b = [0u8; 8];
        b[..rest.len()].copy_from_slice(rest);
        h = fx(h, u64::from_le_bytes(b));
    }
    h
}

/// (hash of all grids, hash of the test grids only).
#[inline]
pub fn hash_state(grids: &[Grid], valid: &[bool], ntrain: usize) -> (u64, u64) {
    let mut h = 0x243f_6a88_85a3_08d3;
    for g in &grids[..ntrain] {
        h = hash_grid(h, Some(g));
    }
    let t = test_hash(grids, valid, ntrain);
    (fmix64(h ^ t), t)
}

/// The second hash of [`hash_state`]: the test grids' only.
pub fn test_hash(grids: &[Grid], valid: &[bool], ntrain: usize) -> u64 {
    let mut t = 0x1319_8a2e_0370_7344;
    for k in ntrain..grids.len() {
        t = hash_grid(t, valid[k].then_some(&grids[k]));
    }
    fmix64(t)
}

/// Where a state came from.
#[derive(Copy, Clone, Debug)]
pub struct StateMeta {
    /// Parent state (`u32::MAX` for the root).
    pub parent: u32,
    /// The op that made it from its parent.
    pub op: Op,
    /// Its index in the parent's op list (alphabet, then derived ops).
    pub op_idx: u32,
    /// Program length.
    pub depth: u8,
    /// Exact train pairs of this state.
    pub exact: u32,
    /// Total train score of this state.
    pub score: u64,
}

/// Every stored state, grids packed back to back.
pub struct Store {
    npairs: usize,
    pub meta: Vec<StateMeta>,
    /// `npairs` sizes per state; (0, 0) = INVALID (test inputs only).
    sizes: Vec<(u8, u8)>,
    /// Start of each state's cells in `data`.
    offsets: Vec<usize>,
    data: Vec<u8>,
}

impl Store {
    /// An empty store for states of `npairs` grids.
    pub fn new(npairs: usize) -> Store {
        Store {
            npairs,
            meta: Vec::new(),
            sizes: Vec::new(),
            offsets: Vec::new(),
            data: Vec::new(),
        }
    }
    /// Grids per state.
    pub fn npairs(&self) -> usize {
        self.npairs
    }
    /// Number of states.
    pub fn len(&self) -> usize {
        self.meta.len()
    }
    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }
    /// Bytes of grid data (and sizes) held.
    pub fn bytes(&self) -> usize {
        self.data.len() + self.sizes.len() * 2 + self.offsets.len() * 8 + self.meta.len() * 32
    }
    /// Appends a state from packed sizes and cells.
    pub fn push(&mut self, meta: StateMeta, sizes: &[(u8, u8)], cells: &[u8]) {
        debug_assert_eq!(sizes.len(), self.npairs);
        self.meta.push(meta);
        self.sizes.extend_from_slice(sizes);
        self.offsets.push(self.data.len());
        self.data.extend_from_slice(cells);
    }
    /// Loads state `s` into `grids`/`valid`.
    pub fn load(&self, s: usize, grids: &mut [Grid], valid: &mut [bool]) {
        let mut off = self.offsets[s];
        for k in 0..self.npairs {
            let (h, w) = self.sizes[s * self.npairs + k];
            if h == 0 {
                valid[k] = false;
                continue;
            }
            valid[k] = true;
            let n = h as usize * w as usize;
            grids[k].resize(h as usize, w as usize);
            grids[k]
                .data_mut()
                .copy_from_slice(&self.data[off..off + n]);
            off += n;
        }
    }
    /// The size and cells of grid `k` of state `s` (`None`: INVALID).
    pub fn grid(&self, s: usize, k: usize) -> Option<((u8, u8), &[u8])> {
        let sizes = &self.sizes[s * self.npairs..(s + 1) * self.npairs];
        let off = self.offsets[s]
            + sizes[..k]
                .iter()
                .map(|&(h, w)| h as usize * w as usize)
                .sum::<usize>();
        let (h, w) = sizes[k];
        (h != 0).then(|| ((h, w), &self.data[off..off + h as usize * w as usize]))
    }
    /// Whether state `s` equals the given grids.
    pub fn equals(&self, s: usize, grids: &[Grid], valid: &[bool]) -> bool {
        let mut off = self.offsets[s];
        for k in 0..self.npairs {
            let (h, w) = self.sizes[s * self.npairs + k];
            if (h != 0) != valid[k] {
                return false;
            }
            if h == 0 {
                continue;
            }
            let g = &grids[k];
            if (g.h(), g.w()) != (h as usize, w as usize) {
                return false;
            }
            let n = g.len();
            if self.data[off..off + n] != *g.data() {
                return false;
            }
            off += n;
        }
        true
    }
    /// Whether state `s` equals a packed state.
    pub fn equals_packed(&self, s: usize, sizes: &[(u8, u8)], cells: &[u8]) -> bool {
        let a = &self.sizes[s * self.npairs..(s + 1) * self.npairs];
        if a != sizes {
            return false;
        }
        let off = self.offsets[s];
        self.data.get(off..off + cells.len()) == Some(cells)
    }
    /// The states of `range`, most promising first (more exact train
    /// pairs, then higher score, then enumeration order): the order in which
    /// the last depth expands them, so that a time limit cuts the least
    /// promising parents.
    pub fn by_promise(&self, range: std::ops::Range<usize>) -> Vec<u32> {
        let mut v: Vec<u32> = range.map(|s| s as u32).collect();
        v.sort_by_key(|&s| {
            let m = &self.meta[s as usize];
            (std::cmp::Reverse(m.exact), std::cmp::Reverse(m.score), s)
        });
        v
    }
    /// Whether the program of state `s` may be extended into pieces: none
    /// of its ops is one that does not make pieces
    /// ([`crate::lang::OpCode::makes_pieces`]).
    pub fn makes_pieces(&self, s: usize) -> bool {
        let mut cur = s;
        while self.meta[cur].parent != u32::MAX {
            if !self.meta[cur].op.code.makes_pieces() {
                return false;
            }
            cur = self.meta[cur].parent as usize;
        }
        true
    }

    /// The program that made state `s`.
    pub fn program(&self, s: usize) -> Program {
        let mut ops = Vec::new();
        let mut cur = s;
        while self.meta[cur].parent != u32::MAX {
            ops.push(self.meta[cur].op);
            cur = self.meta[cur].parent as usize;
        }
        ops.reverse();
        Program::from_ops(ops).expect("search programs are valid")
    }
}

/// Packs grids into sizes and cells.
pub fn pack(grids: &[Grid], valid: &[bool], sizes: &mut Vec<(u8, u8)>, cells: &mut Vec<u8>) {
    for (g, &v) in grids.iter().zip(valid) {
        if v {
            sizes.push((g.h() as u8, g.w() as u8));
            cells.extend_from_slice(g.data());
        } else {
            sizes.push((0, 0));
        }
    }
}

/// Stored states by hash (full comparison on collision).
#[derive(Default)]
pub struct Seen {
    first: IdMap<u32>,
    more: IdMap<Vec<u32>>,
}

impl Seen {
    /// Whether a stored state equals these grids.
    pub fn contains(&self, store: &Store, hash: u64, grids: &[Grid], valid: &[bool]) -> bool {
        match self.first.get(&hash) {
            None => false,
            Some(&s) => {
                store.equals(s as usize, grids, valid)
                    || self
                        .more
                        .get(&hash)
                        .is_some_and(|v| v.iter().any(|&s| store.equals(s as usize, grids, valid)))
            }
        }
    }
    /// Whether a stored state equals this packed state.
    pub fn contains_packed(
        &self,
        store: &Store,
        hash: u64,
        sizes: &[(u8, u8)],
        cells: &[u8],
    ) -> bool {
        match self.first.get(&hash) {
            None => false,
            Some(&s) => {
                store.equals_packed(s as usize, sizes, cells)
                    || self.more.get(&hash).is_some_and(|v| {
                        v.iter()
                            .any(|&s| store.equals_packed(s as usize, sizes, cells))
                    })
            }
        }
    }
    /// Records state `s` under `hash`.
    pub fn insert(&mut self, hash: u64, s: u32) {
        use std::collections::hash_map::Entry;
        match self.first.entry(hash) {
            Entry::Vacant(e) => {
                e.insert(s);
            }
            Entry::Occupied(_) => self.more.entry(hash).or_default().push(s),
        }
    }
    /// Number of hash collisions between distinct states seen so far.
    pub fn collisions(&self) -> usize {
        self.more.values().map(Vec::len).sum()
    }
}

/// Train score of a state's grids: (exact pairs, total under `metric`).
#[inline]
pub fn score_train(grids: &[Grid], expected: &[Grid], metric: Metric) -> (u32, u64) {
    let mut exact = 0;
    let mut total = 0u64;
    for (g, e) in grids.iter().zip(expected) {
        let (x, s) = pair_score(g, e, metric);
        exact += x;
        total += s;
    }
    (exact, total)
}

/// The score of a grid of `h` x `w` with `matching` cells equal to `e`'s.
#[inline]
pub fn score_of(h: usize, w: usize, matching: usize, e: &Grid, metric: Metric) -> u64 {
    let o = PairOutcome {
        h: h as u8,
        w: w as u8,
        matching: matching as u16,
        hash: 1,
    };
    o.score(metric, e.h(), e.w()) as u64
}

/// At most what one train pair can add to a child's (exact, score), known
/// before its op runs.
struct PairBound {
    exact: u32,
    score: u64,
    /// The op's output cannot have the expected output's size.
    other_size: bool,
}

/// The bound of train pair (`x`, `e`) for `op` (tokens resolved): from the
/// size the op gives (`size_hint`: another size cannot be exact, and
/// scores at most a grid equal on the whole overlap) and, with the
/// parent's wrong cells by color (`wrong`), from the cells the op cannot
/// change (`changed_colors`: a wrong cell of another color stays wrong).
/// None when the op is INVALID on a grid of `x`'s size.
fn pair_bound(
    op: &Op,
    x: &Grid,
    e: &Grid,
    wrong: Option<&[u16; 10]>,
    metric: Metric,
) -> Option<PairBound> {
    let (eh, ew) = (e.h(), e.w());
    // Most ops keep the size (a bit test, not `size_hint`'s whole match).
    let hint = if op.code.keeps_size() {
        SizeHint::Size(x.h(), x.w())
    } else {
        size_hint(op, x.h(), x.w())
    };
    let (exact, score, other_size) = match hint {
        SizeHint::Invalid => return None,
        SizeHint::Size(h, w) if (h, w) != (eh, ew) => {
            (0, score_of(h, w, h.min(eh) * w.min(ew), e, metric), true)
        }
        _ => {
            let stuck: usize = match (wrong, changed_colors(op)) {
                (Some(wrong), Some(m)) => (0..10)
                    .filter(|&c| m >> c & 1 == 0)
                    .map(|c| wrong[c] as usize)
                    .sum(),
                _ => 0,
            };
            let exact = u32::from(stuck == 0);
            (exact, score_of(eh, ew, e.len() - stuck, e, metric), false)
        }
    };
    Some(PairBound {
        exact,
        score,
        other_size,
    })
}

/// One train pair's (exact, score) under `metric`.
#[inline]
pub(crate) fn pair_score(g: &Grid, e: &Grid, metric: Metric) -> (u32, u64) {
    let o = PairOutcome {
        h: g.h() as u8,
        w: g.w() as u8,
        matching: matching_cells(g, e),
        hash: 1,
    };
    (
        u32::from(o.exact(e.h(), e.w())),
        o.score(metric, e.h(), e.w()) as u64,
    )
}

/// The color map that turns the train grids into the expected outputs cell
/// by cell, when the sizes agree, the map is a function, and it is not the
/// identity on the colors present.
pub fn derived_map(grids: &[Grid], expected: &[Grid]) -> Option<Op> {
    let mut f = [u8::MAX; 10];
    for (g, e) in grids.iter().zip(expected) {
        if (g.h(), g.w()) != (e.h(), e.w()) {
            return None;
        }
        for (&a, &b) in g.data().iter().zip(e.data()) {
            let slot = &mut f[a as usize];
            if *slot == u8::MAX {
                *slot = b;
            } else if *slot != b {
                return None;
            }
        }
    }
    let mut m = [0u8; 10];
    let mut identity = true;
    for k in 0..10 {
        m[k] = if f[k] == u8::MAX { k as u8 } else { f[k] };
        identity &= m[k] == k as u8;
    }
    (!identity && !expected.is_empty()).then(|| Op::map(m))
}

/// When a search must stop: a deadline, or a cancellation (a signal, or
/// the Python caller's Ctrl-C).
#[derive(Clone, Debug, Default)]
pub struct Stop {
    pub deadline: Option<std::time::Instant>,
    pub cancel: crate::engine::Cancel,
}

impl Stop {
    /// Whether the search must stop now.
    #[inline]
    pub fn now(&self) -> bool {
        self.cancel.is_cancelled()
            || self
                .deadline
                .is_some_and(|d| std::time::Instant::now() >= d)
    }
}

/// A child produced while expanding one parent (before deduplication).
#[derive(Clone, Debug)]
pub struct Child {
    pub op: Op,
    pub op_idx: u32,
    /// The state's hash ([`hash_state`]; 0 at the last depth, where
    /// children are neither stored nor compared with stored states).
    pub hash: u64,
    /// The test grids' hash ([`test_hash`]).
    pub test_hash: u64,
    pub exact: u32,
    pub score: u64,
    /// Range of this child's sizes in [`Expansion::sizes`].
    pub sizes_at: usize,
    /// Range of this child's cells in [`Expansion::cells`].
    pub cells: (usize, usize),
    /// Where its piece bitsets start in [`Expansion::piece_bits`] (`nz`
    /// then `wrong`), when it is a piece.
    pub piece_at: Option<usize>,
}

/// Everything one parent produced.
#[derive(Default)]
pub struct Expansion {
    pub parent: u32,
    pub children: Vec<Child>,
    pub sizes: Vec<(u8, u8)>,
    pub cells: Vec<u8>,
    /// Piece bitsets of the children that are pieces.
    pub piece_bits: Vec<u64>,
    /// Candidates generated (ops applied or skipped as identical).
    pub generated: u64,
    /// Candidates valid on every train input.
    pub valid: u64,
    /// Ops skipped without running them: their child equals the parent or
    /// an earlier sibling on every grid of this state.
    pub skipped: u64,
    /// Whether the deadline stopped it part-way.
    pub aborted: bool,
}

/// The most bytes of buffers a spare expansion keeps (see
/// [`WorkerPool::give_back`]).
pub const SPARE_BYTES: usize = 256 << 10;

/// The most bytes all the spare expansions of a [`WorkerPool`] keep.
pub const SPARE_TOTAL: usize = 16 << 20;

impl Expansion {
    /// Bytes its buffers hold (their capacity).
    fn capacity_bytes(&self) -> usize {
        use std::mem::size_of;
        self.children.capacity() * size_of::<Child>()
            + self.sizes.capacity() * size_of::<(u8, u8)>()
            + self.cells.capacity()
            + self.piece_bits.capacity() * size_of::<u64>()
    }
}

/// Whether an op has a color token argument.
#[inline]
pub fn uses_tokens(op: &Op) -> bool {
    op.uses_tokens()
}

/// The op with its color tokens replaced by their values (bg, fg, lc).
#[inline]
pub fn resolve(op: &Op, (bg, fg, lc): (u8, u8, u8)) -> Op {
    let mut o = *op;
    for k in op.code.spec().color_args() {
        o.args[k] = match op.args[k] {
            BG => bg as i32,
            FG => fg as i32,
            LC => lc as i32,
            v => v,
        };
    }
    o
}

/// The ops a search tries: on the root state (the task's inputs) or on
/// other states, as an intermediate op or as the last op of a program.
#[derive(Clone, Debug, Default)]
pub struct Alphabet {
    /// Indexed by `2 * root + last`.
    lists: [Vec<Op>; 4],
    index: [OpMap<u32>; 4],
}

impl Alphabet {
    /// The alphabets of `domains` (ops for which `keep` is false left out).
    pub fn new(domains: &super::Domains, keep: impl Fn(&Op) -> bool) -> Alphabet {
        let mut lists: [Vec<Op>; 4] = Default::default();
        let mut index: [OpMap<u32>; 4] = Default::default();
        for k in 0..4 {
            let mut v = domains.alphabet(k >= 2, k % 2 == 1);
            v.retain(&keep);
            index[k] = v.iter().enumerate().map(|(i, &o)| (o, i as u32)).collect();
            lists[k] = v;
        }
        Alphabet { lists, index }
    }
    fn slot(parent: u32, last: bool) -> usize {
        2 * usize::from(parent == 0) + usize::from(last)
    }
    /// The ops tried on state `parent` (state 0 is the root), at the last
    /// depth or not.
    #[inline]
    pub fn for_parent(&self, parent: u32, last: bool) -> &[Op] {
        &self.lists[Self::slot(parent, last)]
    }
    /// The index of each op in [`Alphabet::for_parent`]'s list.
    pub fn index(&self, parent: u32, last: bool) -> &OpMap<u32> {
        &self.index[Self::slot(parent, last)]
    }
    /// The longest list (for sizing work).
    pub fn max_len(&self) -> usize {
        self.lists.iter().map(Vec::len).max().unwrap_or(0)
    }
}

/// Per-worker buffers.
pub struct Worker {
    pub interp: Interp,
    pub pg: Vec<Grid>,
    pub pv: Vec<bool>,
    pub cg: Vec<Grid>,
    pub cv: Vec<bool>,
    pub tokens: Vec<(u8, u8, u8)>,
    /// `ub[k]`: at most what train pairs k.. can add to a child's (exact,
    /// score), from the sizes its op gives them (`ub[ntrain]` = (0, 0)).
    pub ub: Vec<(u32, u64)>,
    /// `wrong[k][c]`: the cells of color c where the parent's train grid k
    /// differs from the expected output (when it has the output's size).
    pub wrong: Vec<[u16; 10]>,
    /// Per pair: the memo slot holding the child's grid, or [`NO_ROW`]
    /// when `cg` holds it.
    pub src: Vec<u32>,
    /// Per train pair: the op with its tokens resolved on the parent's grid.
    ops: Vec<Op>,
}

/// Workers kept for the jobs of one parallel loop: a job takes one (or a
/// new one) and gives it back when it ends, so that buffers and the
/// interpreter's caches outlive the job. Expansions too: the consumer of
/// an expansion gives it back, and its buffers (with their capacity) are
/// filled again for a later parent.
pub struct WorkerPool {
    npairs: usize,
    idle: std::sync::Mutex<Vec<Worker>>,
    /// Spare expansions, and the bytes their buffers hold.
    spare: std::sync::Mutex<(Vec<Expansion>, usize)>,
}

impl WorkerPool {
    /// A pool of workers for states of `npairs` grids.
    pub fn new(npairs: usize) -> WorkerPool {
        WorkerPool {
            npairs,
            idle: std::sync::Mutex::new(Vec::new()),
            spare: std::sync::Mutex::new((Vec::new(), 0)),
        }
    }

    /// A spare expansion (its buffers' contents are stale; [`expand`]
    /// clears them), or a new one.
    pub fn spare(&self) -> Expansion {
        let Ok(mut spare) = self.spare.lock() else {
            return Expansion::default();
        };
        let (list, bytes) = &mut *spare;
        match list.pop() {
            Some(e) => {
                *bytes -= e.capacity_bytes();
                e
            }
            None => Expansion::default(),
        }
    }

    /// Gives an expansion back, once read, for [`WorkerPool::spare`]. It is
    /// freed instead when its buffers hold more than [`SPARE_BYTES`], or
    /// when the spares would then hold more than [`SPARE_TOTAL`].
    pub fn give_back(&self, e: Expansion) {
        let size = e.capacity_bytes();
        if size > SPARE_BYTES {
            return;
        }
        if let Ok(mut spare) = self.spare.lock() {
            let (list, bytes) = &mut *spare;
            if *bytes + size <= SPARE_TOTAL {
                *bytes += size;
                list.push(e);
            }
        }
    }

    /// An idle worker, or a new one.
    pub fn take(&self) -> PooledWorker<'_> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        PooledWorker {
            pool: self,
            worker: Some(idle.unwrap_or_else(|| Worker::new(self.npairs))),
        }
    }
}

/// A worker lent by a [`WorkerPool`], given back when dropped.
pub struct PooledWorker<'a> {
    pool: &'a WorkerPool,
    worker: Option<Worker>,
}

impl PooledWorker<'_> {
    /// The worker.
    pub fn get(&mut self) -> &mut Worker {
        self.worker.as_mut().expect("a worker until dropped")
    }
}

impl Drop for PooledWorker<'_> {
    fn drop(&mut self) {
        if let (Some(w), Ok(mut idle)) = (self.worker.take(), self.pool.idle.lock()) {
            idle.push(w);
        }
    }
}

impl Worker {
    /// Buffers for states of `npairs` grids.
    pub fn new(npairs: usize) -> Worker {
        Worker {
            interp: Interp::new(),
            pg: vec![Grid::default(); npairs],
            pv: vec![false; npairs],
            cg: vec![Grid::default(); npairs],
            cv: vec![false; npairs],
            tokens: vec![(0, 0, 0); npairs],
            ub: vec![(0, 0); npairs + 1],
            wrong: vec![[0; 10]; npairs],
            src: vec![NO_ROW; npairs],
            ops: vec![Op::new(crate::lang::OpCode::Id, &[]); npairs],
        }
    }
}

/// What an expansion needs to see.
pub struct ExpandCtx<'a> {
    pub store: &'a Store,
    pub seen: &'a Seen,
    pub alphabet: &'a Alphabet,
    pub expected: &'a [Grid],
    pub ntrain: usize,
    pub metric: Metric,
    /// Drop children equal to stored states (observational equivalence).
    pub prune: bool,
    /// The last depth: children are not stored, so they are not checked
    /// against the stored states; their test grids are computed only for
    /// children that the shortlist could take or that are pieces; ops that
    /// keep the size are not tried on a parent whose size differs from a
    /// train output's.
    pub last: bool,
    /// The last depth's shortlist bar: a child whose (exact, score) is below
    /// it cannot enter the shortlist (None: it can).
    pub bar: Option<(u32, u64)>,
    pub stop: &'a Stop,
    /// Try the derived color map on each parent.
    pub derive_map: bool,
    /// Collect pieces (children with the train outputs' sizes and valid
    /// test grids): the train cells' layout (None: no more pieces are
    /// wanted).
    pub pieces: Option<&'a Cells>,
    /// The pieces stored before this chunk of parents: a last-depth child
    /// below the bar whose signature is saturated there
    /// ([`PieceStore::saturated`]) changes nothing, and its test grids are
    /// not computed.
    pub stored: Option<&'a PieceStore>,
    /// Op results remembered across this depth's parents (see
    /// [`super::memo`]); [`expand`]'s `pos` is the parent's position in it.
    pub memo: Option<&'a Memo>,
}

/// Per-parent facts for skipping ops without running them.
struct ParentFacts {
    /// Colors present in each grid (bit c), 0 for INVALID grids.
    present: Vec<u16>,
}

/// Whether `op`, with its color tokens resolved by `tok`, leaves a grid
/// whose colors are `present` unchanged (a sufficient condition; false
/// when unsure).
fn noop_on(op: &Op, present: u16, tok: (u8, u8, u8)) -> bool {
    use crate::lang::OpCode::*;
    let r = resolve(op, tok);
    let has = |c: i32| present >> c & 1 == 1;
    let within = |a: i32, b: i32| present & !((1u16 << a) | (1u16 << b)) == 0;
    match op.code {
        Recolor => !has(r.args[0]) || r.args[0] == r.args[1],
        Swap => r.args[0] == r.args[1] || (!has(r.args[0]) && !has(r.args[1])),
        Keep | Paint => within(r.args[0], r.args[1]),
        FillEnclosed | Halo | Halo4 => !has(r.args[1]) || r.args[0] == r.args[1],
        Flood => !has(r.args[0]) || !has(r.args[1]) || r.args[0] == r.args[1],
        CropBbox | Compress => !has(r.args[0]),
        Gravity | Object => !has(r.args[1]),
        // Nothing to fill without 0-cells.
        Smear | Connect | FillHoles | BboxFill | ColorBoxes | Spread => !has(0),
        _ => false,
    }
}

impl ParentFacts {
    fn new(grids: &[Grid], valid: &[bool]) -> ParentFacts {
        ParentFacts {
            present: grids
                .iter()
                .zip(valid)
                .map(|(g, &v)| {
                    if v {
                        g.data().iter().fold(0u16, |m, &c| m | 1 << c)
                    } else {
                        0
                    }
                })
                .collect(),
        }
    }

    /// Whether the child of `op` (alphabet index `idx`) is certainly the
    /// parent itself or an earlier sibling: `op` changes no grid of the
    /// state, or its color tokens resolve on every grid to the colors of an
    /// earlier op of the alphabet.
    fn skip(&self, op: &Op, idx: usize, tokens: &[(u8, u8, u8)], index: &OpMap<u32>) -> bool {
        if op.code.spec().color_args().next().is_none()
            && !matches!(
                op.code,
                crate::lang::OpCode::Smear
                    | crate::lang::OpCode::Connect
                    | crate::lang::OpCode::FillHoles
                    | crate::lang::OpCode::BboxFill
                    | crate::lang::OpCode::Spread
            )
        {
            return false;
        }
        if self
            .present
            .iter()
            .zip(tokens)
            .all(|(&p, &t)| p == 0 || noop_on(op, p, t))
        {
            return true;
        }
        if op.uses_tokens() {
            let mut resolved: Option<Op> = None;
            for (&p, &t) in self.present.iter().zip(tokens) {
                if p == 0 {
                    continue;
                }
                let r = resolve(op, t);
                match resolved {
                    None => resolved = Some(r),
                    Some(q) if q != r => return false,
                    Some(_) => {}
                }
            }
            if let Some(r) = resolved {
                if let Some(&j) = index.get(&r) {
                    return (j as usize) < idx;
                }
            }
        }
        false
    }
}

impl Worker {
    /// Runs `o` on the parent's grid `k` into the child's, or takes its
    /// result from the memo's table when `row` has one: `None` when
    /// INVALID, else where the result is (a memo slot, or [`NO_ROW`]: in
    /// `cg[k]`). A result run here is remembered.
    #[inline]
    fn run_op(
        &mut self,
        table: Option<&mut Table>,
        row: u32,
        idx: usize,
        o: &Op,
        k: usize,
    ) -> Option<u32> {
        let (x, out) = (&self.pg[k], &mut self.cg[k]);
        let Some(t) = table.filter(|_| row != NO_ROW) else {
            return self.interp.apply_op(o, x, out).then_some(NO_ROW);
        };
        match t.get(row, idx) {
            Entry::Invalid => None,
            Entry::Result(slot) => Some(slot),
            Entry::Unknown => {
                let ok = self.interp.apply_op(o, x, out);
                t.put(row, idx, ok.then_some(&*out));
                ok.then_some(NO_ROW)
            }
        }
    }
}

/// Expands one parent by every op, into the buffers of `out` (cleared
/// first; a [`WorkerPool::spare`] expansion keeps their capacity). `pos`
/// is the parent's position in `ctx.memo` (unused without one).
pub fn expand(
    ctx: &ExpandCtx,
    w: &mut Worker,
    parent: u32,
    pos: usize,
    mut out: Expansion,
) -> Expansion {
    out.children.clear();
    out.sizes.clear();
    out.cells.clear();
    out.piece_bits.clear();
    out.parent = parent;
    (out.generated, out.valid, out.skipped, out.aborted) = (0, 0, 0, false);
    expand_into(ctx, w, parent, pos, &mut out);
    out
}

/// [`expand`] into `out` (its buffers cleared, its counts zero).
fn expand_into(ctx: &ExpandCtx, w: &mut Worker, parent: u32, pos: usize, out: &mut Expansion) {
    let np = w.pg.len();
    let nt = ctx.ntrain;
    if ctx.stop.now() {
        out.aborted = true;
        return;
    }
    ctx.store.load(parent as usize, &mut w.pg, &mut w.pv);
    w.interp.declare_inputs(&w.pg);
    // The ops tried: the alphabet, then the derived color map.
    let index = ctx.alphabet.index(parent, ctx.last);
    let alphabet = ctx.alphabet.for_parent(parent, ctx.last);
    let derived = if ctx.derive_map {
        derived_map(&w.pg[..nt], ctx.expected)
    } else {
        None
    };
    let nops = alphabet.len() + usize::from(derived.is_some());
    // Color tokens of each parent grid, resolved once per parent rather
    // than once per op (the same values: tokens are evaluated on the op's
    // input grid).
    for k in 0..np {
        w.tokens[k] = if w.pv[k] {
            color_tokens(&w.pg[k])
        } else {
            (0, 0, 0)
        };
    }
    let facts = ParentFacts::new(&w.pg, &w.pv);
    // At the last depth, ops that keep the size cannot fix a parent whose
    // size differs from a train output's.
    let wrong_size = ctx.last
        && w.pg[..nt]
            .iter()
            .zip(ctx.expected)
            .any(|(g, e)| (g.h(), g.w()) != (e.h(), e.w()));
    // The parent's wrong cells by color, for the bound of children that
    // cannot be pieces (below).
    if ctx.bar.is_some() {
        for k in 0..nt {
            let (g, e) = (&w.pg[k], &ctx.expected[k]);
            let counts = &mut w.wrong[k];
            *counts = [0; 10];
            if (g.h(), g.w()) == (e.h(), e.w()) {
                for (&a, &b) in g.data().iter().zip(e.data()) {
                    if a != b {
                        counts[a as usize] += 1;
                    }
                }
            }
        }
    }
    // The memo serves the ops of the list it was made for (not the root's
    // list, nor the derived map).
    let memo = ctx
        .memo
        .filter(|m| parent != 0 && m.nops() == alphabet.len());
    let mut table = memo.and_then(Memo::table);
    let rows: &[u32] = match (memo, &table) {
        (Some(m), Some(_)) => m.rows(pos),
        _ => &[],
    };
    let row = |k: usize, idx: usize| {
        if idx < alphabet.len()
            && !matches!(
                alphabet[idx].code.spec().class,
                crate::lang::OpClass::Geometry | crate::lang::OpClass::Color
            )
        {
            rows.get(k).copied().unwrap_or(NO_ROW)
        } else {
            NO_ROW
        }
    };
    let words = ctx.pieces.map_or(0, |c| c.words);
    let parent_makes_pieces = ctx.pieces.is_some() && ctx.store.makes_pieces(parent as usize);
    for idx in 0..nops {
        // The deadline, every 32 ops (one op on a 30 x 30 grid is at most a
        // few milliseconds).
        if idx % 32 == 31 && ctx.stop.now() {
            out.aborted = true;
            return;
        }
        let op = if idx < alphabet.len() {
            alphabet[idx]
        } else {
            derived.expect("derived op")
        };
        out.generated += 1;
        if wrong_size && op.code.keeps_size() {
            out.skipped += 1;
            continue;
        }
        if ctx.prune && facts.skip(&op, idx, &w.tokens, index) {
            out.skipped += 1;
            continue;
        }
        let has_tokens = op.uses_tokens();
        // What the parent's sizes say before the op runs (`size_hint`): a
        // train pair where the op is INVALID kills the child; on a pair
        // where its output cannot have the expected output's size it cannot
        // be exact, and scores at most what a grid equal to the expected
        // one on their whole overlap would. So a child that is then below
        // the bar is dropped without running the op (it cannot be a piece
        // either: pieces have the outputs' sizes).
        //
        // A child that cannot be a piece is bounded further: an op that
        // may change only cells of some colors (`changed_colors`) leaves
        // every wrong cell of the parent's other colors wrong.
        let can_be_piece = ctx.pieces.is_some() && parent_makes_pieces && op.code.makes_pieces();
        let bound_cells = !can_be_piece && ctx.bar.is_some();
        let mut mismatch = false;
        let mut invalid = false;
        w.ub[nt] = (0, 0);
        for k in (0..nt).rev() {
            let o = if has_tokens {
                resolve(&op, w.tokens[k])
            } else {
                op
            };
            w.ops[k] = o;
            let wrong = bound_cells.then_some(&w.wrong[k]);
            let Some(b) = pair_bound(&o, &w.pg[k], &ctx.expected[k], wrong, ctx.metric) else {
                invalid = true;
                break;
            };
            mismatch |= b.other_size;
            w.ub[k] = (w.ub[k + 1].0 + b.exact, w.ub[k + 1].1 + b.score);
        }
        if invalid || ctx.bar.is_some_and(|b| w.ub[0] < b) {
            continue;
        }
        let mut killed = false;
        // When the child cannot be a piece, only the shortlist can take it:
        // score the train pairs one by one and stop as soon as even exact
        // remaining pairs could not reach the shortlist's bar.
        // With pieces collected, that is known once a train grid has
        // another size than its output (the pairs so far are scored then),
        // or from the start when its program has an op that makes no
        // pieces.
        let (mut run_exact, mut run_score) = (0u32, 0u64);
        let mut scoring = (!can_be_piece || mismatch) && ctx.bar.is_some();
        let mut scored = 0;
        for k in 0..nt {
            // Resolved by the bound's loop above.
            let o = w.ops[k];
            let Some(src) = w.run_op(table.as_deref_mut(), row(k, idx), idx, &o, k) else {
                killed = true;
                break;
            };
            w.src[k] = src;
            let Some(bar) = ctx.bar else {
                continue;
            };
            if !scoring {
                let size = match (&table, src) {
                    (Some(t), s) if s != NO_ROW => t.size(s),
                    _ => (w.cg[k].h(), w.cg[k].w()),
                };
                let e = &ctx.expected[k];
                scoring = size != (e.h(), e.w());
            }
            if scoring {
                while scored <= k {
                    let e = &ctx.expected[scored];
                    let (x, s) = match (&mut table, w.src[scored]) {
                        (Some(t), slot) if slot != NO_ROW => {
                            let (x, s, filled) = t.score(slot, e, ctx.metric, &mut w.cg[scored]);
                            if filled {
                                w.src[scored] = NO_ROW;
                            }
                            (x, s)
                        }
                        _ => pair_score(&w.cg[scored], e, ctx.metric),
                    };
                    run_exact += x;
                    run_score += s;
                    scored += 1;
                }
                let (rest_exact, rest_score) = w.ub[k + 1];
                if (run_exact + rest_exact, run_score + rest_score) < bar {
                    killed = true;
                    break;
                }
            }
        }
        if killed {
            continue;
        }
        // The remembered train grids, into the child's grids, unless only
        // the scores were wanted: a scored last-depth child that cannot be
        // a piece needs only its test grids.
        if let Some(t) = table
            .as_ref()
            .filter(|_| !ctx.last || can_be_piece || !scoring)
        {
            for k in 0..nt {
                if w.src[k] != NO_ROW {
                    t.copy_into(w.src[k], &mut w.cg[k]);
                    w.src[k] = NO_ROW;
                }
            }
        }
        out.valid += 1;
        let piece_sizes = can_be_piece
            && ctx
                .pieces
                .is_some_and(|cells| cells.sizes_match(&w.cg[..nt]));
        // Pieces: the bitsets and the train score in one pass over the
        // cells (every train grid has its output's size).
        let piece_at = out.piece_bits.len();
        let (exact, score) = match ctx.pieces {
            Some(cells) if piece_sizes => {
                out.piece_bits.resize(piece_at + 2 * words, 0);
                let (nz, wrong) = out.piece_bits[piece_at..].split_at_mut(words);
                let (mut exact, mut score) = (0u32, 0u64);
                cells.signature_counting(&w.cg[..nt], ctx.expected, nz, wrong, |k, bad| {
                    let e = &ctx.expected[k];
                    let o = PairOutcome {
                        h: e.h() as u8,
                        w: e.w() as u8,
                        matching: (e.len() as u32 - bad) as u16,
                        hash: 1,
                    };
                    exact += u32::from(o.exact(e.h(), e.w()));
                    score += o.score(ctx.metric, e.h(), e.w()) as u64;
                });
                (exact, score)
            }
            _ if scoring => (run_exact, run_score),
            _ => score_train(&w.cg[..nt], ctx.expected, ctx.metric),
        };
        let below_bar = ctx.bar.is_some_and(|b| (exact, score) < b);
        if ctx.last && piece_sizes && below_bar {
            if let Some(stored) = ctx.stored {
                let (nz, wrong) = out.piece_bits[piece_at..].split_at(words);
                if stored.saturated(PieceStore::hash(nz, wrong), nz, wrong) {
                    out.piece_bits.truncate(piece_at);
                    continue;
                }
            }
        }
        if ctx.last && !piece_sizes && below_bar {
            // Neither a piece nor a shortlist candidate: its test grids
            // are not needed.
            out.piece_bits.truncate(piece_at);
            continue;
        }
        for k in nt..np {
            let o = if has_tokens {
                resolve(&op, w.tokens[k])
            } else {
                op
            };
            w.cv[k] = w.pv[k]
                && match w.run_op(table.as_deref_mut(), row(k, idx), idx, &o, k) {
                    None => false,
                    Some(NO_ROW) => true,
                    Some(slot) => {
                        if let Some(t) = &table {
                            t.copy_into(slot, &mut w.cg[k]);
                        }
                        true
                    }
                };
        }
        for v in &mut w.cv[..nt] {
            *v = true;
        }
        // The whole state's hash finds equal stored states; last-depth
        // children are not compared with them (nor stored): the test
        // grids' hash is all they need.
        let (hash, test_hash) = if ctx.last {
            (0, test_hash(&w.cg, &w.cv, nt))
        } else {
            hash_state(&w.cg, &w.cv, nt)
        };
        if !ctx.last && ctx.prune && ctx.seen.contains(ctx.store, hash, &w.cg, &w.cv) {
            out.piece_bits.truncate(piece_at);
            continue;
        }
        // A piece needs valid test grids too.
        let piece_at = if piece_sizes && w.cv[nt..].iter().all(|&v| v) {
            Some(piece_at)
        } else {
            out.piece_bits.truncate(piece_at);
            None
        };
        if ctx.last && piece_at.is_none() && ctx.bar.is_some_and(|b| (exact, score) < b) {
            continue;
        }
        let sizes_at = out.sizes.len();
        let c0 = out.cells.len();
        if ctx.last {
            // Sizes only (the test sizes of pieces); the grids are not kept
            // (a train grid left in the memo has its size there).
            for (k, (g, &v)) in w.cg.iter().zip(&w.cv).enumerate() {
                let (h, w) = match (&table, w.src[k]) {
                    (Some(t), slot) if k < nt && slot != NO_ROW => t.size(slot),
                    _ => (g.h(), g.w()),
                };
                out.sizes.push(if v { (h as u8, w as u8) } else { (0, 0) });
            }
        } else {
            pack(&w.cg, &w.cv, &mut out.sizes, &mut out.cells);
        }
        out.children.push(Child {
            op,
            op_idx: idx as u32,
            hash,
            test_hash,
            exact,
            score,
            sizes_at,
            cells: (c0, out.cells.len()),
            piece_at,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::OpCode;

    #[test]
    fn store_roundtrip_and_seen() {
        let a = Grid::from_rows(&[vec![1, 2, 3], vec![4, 5, 6]]).unwrap();
        let b = Grid::from_rows(&[vec![7]]).unwrap();
        let grids = vec![a.clone(), b.clone(), a.clone()];
        let valid = vec![true, true, false];
        let mut store = Store::new(3);
        let (mut s, mut c) = (Vec::new(), Vec::new());
        pack(&grids, &valid, &mut s, &mut c);
        let meta = StateMeta {
            parent: u32::MAX,
            op: Op::new(OpCode::Id, &[]),
            op_idx: 0,
            depth: 0,
            exact: 0,
            score: 0,
        };
        store.push(meta, &s, &c);
        let mut g2 = vec![Grid::default(); 3];
        let mut v2 = vec![false; 3];
        store.load(0, &mut g2, &mut v2);
        assert_eq!(v2, valid);
        assert_eq!(g2[0], a);
        assert_eq!(g2[1], b);
        assert!(store.equals(0, &grids, &valid));
        assert!(store.equals_packed(0, &s, &c));
        let (h, t) = hash_state(&grids, &valid, 2);
        let mut seen = Seen::default();
        seen.insert(h, 0);
        assert!(seen.contains(&store, h, &grids, &valid));
        // A forced collision with different grids is not a match.
        let other = vec![b.clone(), b.clone(), a.clone()];
        assert!(!seen.contains(&store, h, &other, &valid));
        // Test grids change both hashes; train grids only the full hash.
        let (h2, t2) = hash_state(&grids, &[true, true, true], 2);
        assert_ne!(h, h2);
        assert_ne!(t, t2);
        let (h3, t3) = hash_state(&other, &valid, 2);
        assert_ne!(h, h3);
        assert_eq!(t, t3);
    }

    #[test]
    fn resolved_tokens_give_the_same_grids() {
        let mut rng = crate::rng::Rng::new(3);
        let codes = crate::lang::random::all_codes();
        let mut it = Interp::new();
        let (mut a, mut b) = (Grid::default(), Grid::default());
        for _ in 0..3000 {
            let g = crate::lang::random::random_grid_sized(&mut rng, 1, 8);
            let op = crate::lang::random::random_op(&mut rng, &codes);
            let r = resolve(&op, color_tokens(&g));
            assert!(!uses_tokens(&r));
            let (va, vb) = (it.apply_op(&op, &g, &mut a), it.apply_op(&r, &g, &mut b));
            assert_eq!(va, vb, "{op}");
            if va {
                assert_eq!(a, b, "{op}");
            }
        }
    }

    /// Spare expansions come back with their buffers' capacity, unless
    /// those hold more than `SPARE_BYTES`; workers come back too.
    #[test]
    fn pools_keep_small_spares_and_workers() {
        let pool = WorkerPool::new(3);
        let mut e = pool.spare();
        assert_eq!(e.capacity_bytes(), 0);
        e.piece_bits.resize(1000, 7);
        pool.give_back(e);
        let e = pool.spare();
        assert!(e.piece_bits.capacity() >= 1000);
        let mut big = Expansion::default();
        big.cells.resize(SPARE_BYTES + 1, 0);
        pool.give_back(big);
        pool.give_back(e);
        assert!(pool.spare().piece_bits.capacity() >= 1000);
        assert_eq!(pool.spare().capacity_bytes(), 0);
        // No more than SPARE_TOTAL bytes in all.
        for _ in 0..SPARE_TOTAL / SPARE_BYTES + 3 {
            let mut e = Expansion::default();
            e.cells.reserve_exact(SPARE_BYTES);
            pool.give_back(e);
        }
        let mut kept = 0;
        loop {
            let e = pool.spare();
            if e.capacity_bytes() == 0 {
                break;
            }
            kept += e.capacity_bytes();
        }
        assert!(
            kept <= SPARE_TOTAL && kept + SPARE_BYTES > SPARE_TOTAL,
            "{kept}"
        );
        {
            let mut a = pool.take();
            a.get().src[0] = 5;
        }
        let mut b = pool.take();
        assert_eq!(b.get().src[0], 5, "the same worker, given back");
        let mut c = pool.take();
        assert_eq!(c.get().src[0], NO_ROW, "a new one while b is out");
        assert_eq!(c.get().pg.len(), 3);
    }

    /// The alphabets' op index finds every op, and the hasher behind it
    /// tells apart the ops it is given (byte strings: `maps`' tests).
    #[test]
    fn op_maps_find_every_op() {
        use std::hash::BuildHasher;
        let mut rng = crate::rng::Rng::new(5);
        let codes = crate::lang::random::all_codes();
        let ops: Vec<Op> = (0..5000)
            .map(|_| crate::lang::random::random_op(&mut rng, &codes))
            .collect();
        let mut m: OpMap<u32> = OpMap::default();
        for (i, o) in ops.iter().enumerate() {
            m.entry(*o).or_insert(i as u32);
        }
        for (i, o) in ops.iter().enumerate() {
            let j = m[o] as usize;
            assert_eq!(ops[j], *o);
            assert!(j <= i && ops[..j].iter().all(|p| p != o), "{o}");
        }
        let build = BuildHasherDefault::<MixHasher>::default();
        let hashes: std::collections::HashSet<u64> = m.keys().map(|o| build.hash_one(o)).collect();
        assert_eq!(hashes.len(), m.len(), "no two of these ops share a hash");
    }

    #[test]
    fn derived_map_fits_colors() {
        let a = Grid::from_rows(&[vec![1, 2], vec![2, 0]]).unwrap();
        let e = Grid::from_rows(&[vec![3, 2], vec![2, 0]]).unwrap();
        let op = derived_map(std::slice::from_ref(&a), std::slice::from_ref(&e)).unwrap();
        assert_eq!(op.to_string(), "map 0323456789");
        assert!(derived_map(std::slice::from_ref(&a), std::slice::from_ref(&a)).is_none());
        let bad = Grid::from_rows(&[vec![3, 2], vec![1, 0]]).unwrap();
        assert!(derived_map(std::slice::from_ref(&a), std::slice::from_ref(&bad)).is_none());
    }
}
