//! Pieces: cutting a grid into pieces (objects, colors, separator cells)
//! and the ops that pick, keep, drop, recolor or move them (`DSL.md`,
//! "Pieces"). Color 0 is the background. WGSL twins:
//! `shaders/ops_pieces.wgsl`.

use super::Scratch;
use crate::grid::{Grid, MAX_CELLS};
use crate::lang::args::{Count, Crit, Dir4, Label, Split};
use crate::lang::Op;

/// No piece.
pub const NONE: u16 = u16::MAX;

/// How a grid is cut: by a [`Split`], or into the 8-connected groups of
/// cells not of one color (v1's `object`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CutKey {
    Split(Split),
    NotColor(u8),
}

/// One piece: its cells are those labelled with its index.
#[derive(Copy, Clone, Debug, Default)]
pub struct Piece {
    /// Non-0 cells.
    pub cells: u16,
    /// All its cells.
    pub size: u16,
    /// Bounding box of its cells.
    pub r0: u8,
    pub r1: u8,
    pub c0: u8,
    pub c1: u8,
    /// Bit c: the piece has a cell of color c (0 included for `cell`).
    pub colors: u16,
    /// Row-major index of its first cell.
    pub first: u16,
    /// A key grouping pieces whose shapes may be equal (box size and number
    /// of cells).
    pub shape: u64,
}

impl Piece {
    /// A piece of no cell yet, its statistics ready to take cells.
    fn empty() -> Piece {
        Piece {
            r0: u8::MAX,
            c0: u8::MAX,
            first: NONE,
            ..Piece::default()
        }
    }
    /// Takes the run of cells `cells` (their colors), columns `j0..=j1`
    /// of row `i`, starting at row-major index `at` (runs come in raster
    /// order: the first one holds the piece's first cell).
    fn add_run(&mut self, cells: &[u8], i: u8, j0: u8, j1: u8, at: u16) {
        let (mut nonzero, mut colors) = (0u16, 0u16);
        for &v in cells {
            nonzero += u16::from(v != 0);
            colors |= 1 << v;
        }
        self.size += cells.len() as u16;
        self.cells += nonzero;
        self.colors |= colors;
        self.r0 = self.r0.min(i);
        self.r1 = self.r1.max(i);
        self.c0 = self.c0.min(j0);
        self.c1 = self.c1.max(j1);
        if self.first == NONE {
            self.first = at;
        }
    }
    fn area(&self) -> u32 {
        (self.r1 as u32 - self.r0 as u32 + 1) * (self.c1 as u32 - self.c0 as u32 + 1)
    }
    fn nonzero_colors(&self) -> u32 {
        (self.colors & !1).count_ones()
    }
}

/// The pieces of a grid: a label per cell and the pieces in order of their
/// first cell.
pub struct Pieces {
    pub label: Box<[u16; MAX_CELLS]>,
    pub list: Vec<Piece>,
    /// Scratch of the labelling: runs, their union-find parents, and the
    /// piece id of each root run.
    runs: Vec<(usize, u8, u8, u8)>,
    parent: Vec<u16>,
    ids: Vec<u16>,
    /// Recent cuts (the search runs every op of a split on the same few
    /// grids, one train or test grid after the other). The entry whose cut
    /// is in `label`, `list` and `known` lends them its buffers (`out`):
    /// they are swapped, never copied.
    cache: Vec<Cached>,
    /// The entries' keys ([`Pieces::key_of`] of the grid, the split as the
    /// seed).
    keys: Vec<u64>,
    /// The entry whose buffers `label`, `list` and `known` hold.
    out: Option<usize>,
    /// The cache entry replaced next.
    next: usize,
    /// The entry last stored under each slot of keys (the key's high bits;
    /// [`NO_ENTRY`] for none): a lookup reads one slot and checks that
    /// entry's key and grid.
    slots: Box<[u8; SLOTS]>,
    /// (address, fingerprint) of the grids of
    /// [`super::Interp::declare_inputs`].
    pub(crate) declared: Vec<(usize, u64)>,
    /// What was worked out from the cut in `label` and `list` (lent with
    /// them by the cache entry).
    known: Box<Known>,
}

/// What the ops worked out from one cut, kept with it: the selection of
/// each criterion asked for (when the cut has at most 64 pieces), and the
/// shape counts (`pick`, `keep_pieces` and `drop_pieces` ask the same
/// criteria of the same cut).
#[derive(Default)]
struct Known {
    /// Bit c: criterion c was asked.
    asked: u32,
    /// Bit c: criterion c has a selection (`select` returned true).
    found: u32,
    /// The selection of each criterion asked, bit p for piece p.
    selected: [u64; Crit::ALL.len()],
    /// `shapes` holds [`Pieces::shape_counts`].
    has_shapes: bool,
    shapes: Vec<u32>,
}

const _: () = assert!(Crit::ALL.len() <= 32);

impl Known {
    fn forget(&mut self) {
        self.asked = 0;
        self.has_shapes = false;
    }
}

/// One remembered cut.
struct Cached {
    split: CutKey,
    grid: Grid,
    found: bool,
    label: Box<[u16; MAX_CELLS]>,
    list: Vec<Piece>,
    known: Box<Known>,
}

/// Cuts remembered.
const CACHE: usize = 96;

/// Slots of the cut cache's index: many more than entries, so that few live
/// entries share one (about one pair of the 96; the older of two sharing
/// entries is then found no more, which costs a recompute, never a wrong
/// cut).
const SLOTS: usize = 4096;
const _: () = assert!(SLOTS.is_power_of_two());

/// An empty slot.
const NO_ENTRY: u8 = u8::MAX;
const _: () = assert!(CACHE < NO_ENTRY as usize);

impl Default for Pieces {
    fn default() -> Self {
        Pieces {
            label: Box::new([NONE; MAX_CELLS]),
            list: Vec::with_capacity(64),
            runs: Vec::with_capacity(MAX_CELLS / 2),
            parent: Vec::with_capacity(MAX_CELLS / 2),
            ids: Vec::with_capacity(MAX_CELLS / 2),
            cache: Vec::new(),
            keys: Vec::new(),
            out: None,
            next: 0,
            slots: Box::new([NO_ENTRY; SLOTS]),
            declared: Vec::with_capacity(super::MAX_DECLARED),
            known: Box::default(),
        }
    }
}

/// The separator color of `cell` splits: among the colors that fill a
/// whole row or column, the one filling the most (ties: the smaller
/// color); None without such a line.
pub fn separator(x: &Grid) -> Option<u8> {
    let (h, w) = (x.h(), x.w());
    let mut lines = [0u32; 10];
    for i in 0..h {
        let r = x.row(i);
        if r.iter().all(|&v| v == r[0]) {
            lines[r[0] as usize] += 1;
        }
    }
    for j in 0..w {
        let c = x.get(0, j);
        if (0..h).all(|i| x.get(i, j) == c) {
            lines[c as usize] += 1;
        }
    }
    let best = (0..10).max_by_key(|&c| (lines[c], std::cmp::Reverse(c)))?;
    (lines[best] > 0).then_some(best as u8)
}

/// Most runs of non-separator lines in a grid side (30 lines).
const MAX_RUNS: usize = crate::grid::MAX_DIM.div_ceil(2);

/// Runs of lines as inclusive (first, last) pairs: the first `n` entries
/// of the array, `n` the second field.
type Runs = ([(usize, usize); MAX_RUNS], usize);

/// The runs of `false` in `sep` (the non-separator lines).
fn runs(sep: &[bool]) -> Runs {
    let mut v = [(0, 0); MAX_RUNS];
    let mut n = 0;
    let mut k = 0;
    while k < sep.len() {
        if sep[k] {
            k += 1;
            continue;
        }
        let a = k;
        while k < sep.len() && !sep[k] {
            k += 1;
        }
        v[n] = (a, k - 1);
        n += 1;
    }
    (v, n)
}

/// The runs of non-separator rows and of non-separator columns of the
/// `cell` split (None without a separator color).
fn cell_runs(x: &Grid) -> Option<(Runs, Runs)> {
    let s = separator(x)?;
    let (h, w) = (x.h(), x.w());
    let mut sep_row = [false; crate::grid::MAX_DIM];
    let mut sep_col = [false; crate::grid::MAX_DIM];
    for (i, r) in sep_row.iter_mut().enumerate().take(h) {
        *r = x.row(i).iter().all(|&v| v == s);
    }
    for (j, c) in sep_col.iter_mut().enumerate().take(w) {
        *c = (0..h).all(|i| x.get(i, j) == s);
    }
    Some((runs(&sep_row[..h]), runs(&sep_col[..w])))
}

/// `cell_colors`: one output cell per piece of the `cell` split (row runs
/// by column runs, in order), each the most frequent non-0 color of the
/// piece (ties: the smaller color; 0 when it has none). INVALID when the
/// split is (no separator, or no piece).
pub fn cell_colors(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let Some(((rows, nr), (cols, nc))) = cell_runs(x) else {
        return false;
    };
    if nr == 0 || nc == 0 || !out.resize(nr, nc) {
        return false;
    }
    for (a, &(r0, r1)) in rows[..nr].iter().enumerate() {
        for (b, &(c0, c1)) in cols[..nc].iter().enumerate() {
            let mut hist = [0u32; 10];
            for i in r0..=r1 {
                for &v in &x.row(i)[c0..=c1] {
                    hist[v as usize] += 1;
                }
            }
            out.set(a, b, super::shapes::nonzero_majority(&hist).unwrap_or(0));
        }
    }
    true
}

impl Pieces {
    /// A cache key of grid `x` and `seed`: [`super::fingerprint`] of the
    /// grid (from the declared inputs when `x` is one of them), mixed with
    /// the seed.
    #[inline]
    pub(crate) fn key_of(&self, x: &Grid, seed: u64) -> u64 {
        let at = x as *const Grid as usize;
        let base = match self.declared.iter().find(|d| d.0 == at) {
            Some(&(_, fp)) => fp,
            None => super::fingerprint(x, 0),
        };
        (base ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)).wrapping_mul(0xff51_afd7_ed55_8ccd)
    }

    /// Cuts `x` by `split`. Returns false when the split finds no piece.
    pub fn cut(&mut self, x: &Grid, split: Split) -> bool {
        self.cut_by(x, CutKey::Split(split))
    }

    /// Swaps `label`, `list` and `known` with cache entry `i`'s: lends
    /// them, or gives them back.
    fn swap_buffers(&mut self, i: usize) {
        let c = &mut self.cache[i];
        std::mem::swap(&mut self.label, &mut c.label);
        std::mem::swap(&mut self.list, &mut c.list);
        std::mem::swap(&mut self.known, &mut c.known);
    }

    /// Cuts `x` by `key` (remembering the last cuts). Returns false when
    /// there is no piece.
    pub fn cut_by(&mut self, x: &Grid, split: CutKey) -> bool {
        // The groups of cells not of color 0 are the `obj` split's pieces:
        // one cut for both.
        let split = match split {
            CutKey::NotColor(0) => CutKey::Split(Split::Obj),
            key => key,
        };
        // Give the lent buffers back to their entry.
        if let Some(i) = self.out.take() {
            self.swap_buffers(i);
        }
        let key = self.key_of(
            x,
            match split {
                CutKey::Split(s) => s as u64,
                CutKey::NotColor(b) => 16 + b as u64,
            },
        );
        // The key's high bits: the best mixed of a multiplicative hash.
        let slot = (key >> (64 - SLOTS.trailing_zeros())) as usize;
        let at = self.slots[slot] as usize;
        if at < self.cache.len() && self.keys[at] == key && {
            let c = &self.cache[at];
            c.split == split && c.grid == *x
        } {
            self.swap_buffers(at);
            self.out = Some(at);
            return self.cache[at].found;
        }
        let found = self.cut_fresh(x, split);
        let i = if self.cache.len() < CACHE {
            self.keys.push(key);
            self.cache.push(Cached {
                split,
                grid: x.clone(),
                found,
                label: Box::new([NONE; MAX_CELLS]),
                list: Vec::new(),
                known: Box::default(),
            });
            self.cache.len() - 1
        } else {
            let i = self.next;
            self.next = (self.next + 1) % CACHE;
            i
        };
        self.keys[i] = key;
        self.slots[slot] = i as u8;
        let c = &mut self.cache[i];
        c.split = split;
        c.grid.copy_from(x);
        c.found = found;
        // The entry's own buffers are scratch until `label`, `list` and
        // `known` are given back to it.
        self.out = Some(i);
        found
    }

    /// Labels the connected groups of cells not of color `bg` (8-connected
    /// with `eight`, else 4-connected; with `same`, of one color only),
    /// numbered in the order of their first cell, and pushes one piece per
    /// group. Runs of cells along each row are joined with the runs of the
    /// row above that touch them (union-find over runs, the root being the
    /// earliest run), then labelled.
    fn label_runs(&mut self, src: &[u8], h: usize, w: usize, bg: u8, eight: bool, same: bool) {
        // (row start index, first column, last column, color) of each run.
        let runs = &mut self.runs;
        let parent = &mut self.parent;
        runs.clear();
        parent.clear();
        fn find(parent: &mut [u16], mut r: usize) -> usize {
            while parent[r] as usize != r {
                let up = parent[parent[r] as usize];
                parent[r] = up;
                r = up as usize;
            }
            r
        }
        let mut prev = 0..0;
        for i in 0..h {
            let row = &src[i * w..(i + 1) * w];
            let first = runs.len();
            let mut j = 0;
            while j < w {
                let v = row[j];
                if v == bg {
                    j += 1;
                    continue;
                }
                let j0 = j;
                j += 1;
                while j < w && row[j] != bg && (!same || row[j] == v) {
                    j += 1;
                }
                let j1 = j - 1;
                let r = runs.len();
                runs.push((i * w, j0 as u8, j1 as u8, v));
                parent.push(r as u16);
                let reach = usize::from(eight);
                for q in prev.clone() {
                    let (_, a0, a1, av) = runs[q];
                    let (a0, a1) = (a0 as usize, a1 as usize);
                    if a0 <= j1 + reach && j0 <= a1 + reach && (!same || av == v) {
                        let (x, y) = (find(parent, r), find(parent, q));
                        let (lo, hi) = (x.min(y), x.max(y));
                        parent[hi] = lo as u16;
                    }
                }
            }
            prev = first..runs.len();
        }
        // Ids in the order of each group's first run (its first cell).
        let ids = &mut self.ids;
        ids.clear();
        ids.resize(runs.len(), NONE);
        // The pieces' statistics too, a run at a time (runs are in raster
        // order, so a piece's first run holds its first cell).
        for (r, &(base, j0, j1, _)) in runs.iter().enumerate() {
            let root = find(parent, r);
            if ids[root] == NONE {
                ids[root] = self.list.len() as u16;
                self.list.push(Piece::empty());
            }
            let id = ids[root];
            let (a, b) = (base + j0 as usize, base + j1 as usize);
            self.label[a..=b].fill(id);
            let i = (base / w) as u8;
            self.list[id as usize].add_run(&src[a..=b], i, j0, j1, a as u16);
        }
    }

    /// The pieces' statistics from the labels (the `color` and `cell`
    /// splits; `label_runs` makes them as it labels).
    fn stats_from_labels(&mut self, src: &[u8], h: usize, w: usize) {
        for p in self.list.iter_mut() {
            *p = Piece::empty();
        }
        // By runs of one label along each row: one update of the piece per
        // run, not per cell (in raster order, so a piece's first run holds
        // its first cell).
        for i in 0..h {
            let row = &self.label[i * w..(i + 1) * w];
            let cells = &src[i * w..(i + 1) * w];
            let mut j = 0;
            while j < w {
                let l = row[j];
                if l == NONE {
                    j += 1;
                    continue;
                }
                let start = j;
                while j < w && row[j] == l {
                    j += 1;
                }
                self.list[l as usize].add_run(
                    &cells[start..j],
                    i as u8,
                    start as u8,
                    (j - 1) as u8,
                    (i * w + start) as u16,
                );
            }
        }
    }

    fn cut_fresh(&mut self, x: &Grid, key: CutKey) -> bool {
        self.known.forget();
        let (h, w) = (x.h(), x.w());
        let n = h * w;
        let src = x.data();
        self.list.clear();
        self.label[..n].fill(NONE);
        let (split, bg) = match key {
            CutKey::Split(s) => (s, 0),
            CutKey::NotColor(b) => (Split::Obj, b),
        };
        match split {
            Split::Obj | Split::Obj4 | Split::Cobj => {
                let eight = split == Split::Obj;
                let same = split == Split::Cobj;
                self.label_runs(src, h, w, bg, eight, same);
            }
            Split::Color => {
                let mut of_color = [NONE; 10];
                for (k, &v) in src.iter().enumerate() {
                    let v = v as usize;
                    if v == 0 {
                        continue;
                    }
                    if of_color[v] == NONE {
                        of_color[v] = self.list.len() as u16;
                        self.list.push(Piece::default());
                    }
                    self.label[k] = of_color[v];
                }
            }
            Split::Cell => {
                let Some(((rows, nr), (cols, nc))) = cell_runs(x) else {
                    return false;
                };
                for &(r0, r1) in &rows[..nr] {
                    for &(c0, c1) in &cols[..nc] {
                        let id = self.list.len() as u16;
                        for i in r0..=r1 {
                            for j in c0..=c1 {
                                self.label[i * w + j] = id;
                            }
                        }
                        self.list.push(Piece::default());
                    }
                }
            }
        }
        if self.list.is_empty() {
            return false;
        }
        if matches!(split, Split::Color | Split::Cell) {
            self.stats_from_labels(src, h, w);
        }
        // A cheap key that equal shapes share (`same_shape` compares cells).
        for p in self.list.iter_mut() {
            p.shape = ((p.r1 - p.r0) as u64) << 32 | ((p.c1 - p.c0) as u64) << 16 | p.size as u64;
        }
        true
    }

    /// Whether pieces `a` and `b` have the same shape (bounding box size and
    /// cells).
    pub fn same_shape(&self, a: usize, b: usize, w: usize) -> bool {
        let (p, q) = (&self.list[a], &self.list[b]);
        if p.shape != q.shape || p.r1 - p.r0 != q.r1 - q.r0 || p.c1 - p.c0 != q.c1 - q.c0 {
            return false;
        }
        for di in 0..=(p.r1 - p.r0) as usize {
            for dj in 0..=(p.c1 - p.c0) as usize {
                let ka = (p.r0 as usize + di) * w + p.c0 as usize + dj;
                let kb = (q.r0 as usize + di) * w + q.c0 as usize + dj;
                if (self.label[ka] == a as u16) != (self.label[kb] == b as u16) {
                    return false;
                }
            }
        }
        true
    }

    /// How many pieces share each piece's shape (worked out once per cut).
    pub fn shapes(&mut self, w: usize) -> &[u32] {
        if !self.known.has_shapes {
            let mut counts = std::mem::take(&mut self.known.shapes);
            self.shape_counts(w, &mut counts);
            self.known.shapes = counts;
            self.known.has_shapes = true;
        }
        &self.known.shapes
    }

    /// How many pieces share each piece's shape.
    fn shape_counts(&self, w: usize, out: &mut Vec<u32>) {
        let n = self.list.len();
        out.clear();
        out.resize(n, 0);
        for a in 0..n {
            if out[a] != 0 {
                continue;
            }
            // Mark a's group with u32::MAX, count it, then write the count.
            let mut size = 1;
            out[a] = u32::MAX;
            for (b, v) in out.iter_mut().enumerate().skip(a + 1) {
                if *v == 0 && self.same_shape(a, b, w) {
                    *v = u32::MAX;
                    size += 1;
                }
            }
            for v in out[a..].iter_mut() {
                if *v == u32::MAX {
                    *v = size;
                }
            }
        }
    }

    /// Which pieces attain the criterion (`selected[p]`); false when none
    /// does (a `unique_*` criterion with no single such piece). Worked out
    /// once per cut and criterion when the cut has at most 64 pieces.
    pub fn select(&mut self, crit: Crit, w: usize, selected: &mut Vec<bool>) -> bool {
        let n = self.list.len();
        let bit = 1u32 << crit as u32;
        if n > 64 {
            return self.select_fresh(crit, w, selected);
        }
        if self.known.asked & bit != 0 {
            let bits = self.known.selected[crit as usize];
            selected.clear();
            selected.extend((0..n).map(|p| bits >> p & 1 == 1));
            return self.known.found & bit != 0;
        }
        let found = self.select_fresh(crit, w, selected);
        let bits = selected
            .iter()
            .enumerate()
            .fold(0u64, |b, (p, &s)| b | u64::from(s) << p);
        let known = &mut self.known;
        known.asked |= bit;
        known.found = if found {
            known.found | bit
        } else {
            known.found & !bit
        };
        known.selected[crit as usize] = bits;
        found
    }

    /// [`Pieces::select`], worked out.
    fn select_fresh(&mut self, crit: Crit, w: usize, selected: &mut Vec<bool>) -> bool {
        let n = self.list.len();
        selected.clear();
        selected.resize(n, false);
        match crit {
            Crit::UniqueColor => {
                // The one piece with a color no other piece has.
                let mut count = [0u32; 10];
                for p in &self.list {
                    for (c, k) in count.iter_mut().enumerate().skip(1) {
                        *k += (p.colors >> c & 1) as u32;
                    }
                }
                let unique: Vec<usize> = (0..n)
                    .filter(|&i| {
                        (1..10).any(|c| self.list[i].colors >> c & 1 == 1 && count[c] == 1)
                    })
                    .collect();
                if unique.len() != 1 {
                    return false;
                }
                selected[unique[0]] = true;
            }
            Crit::UniqueShape | Crit::CommonShape => {
                let counts = self.shapes(w);
                if crit == Crit::UniqueShape {
                    let unique: Vec<usize> = (0..n).filter(|&i| counts[i] == 1).collect();
                    if unique.len() != 1 {
                        return false;
                    }
                    selected[unique[0]] = true;
                } else {
                    let best = *counts.iter().max().unwrap_or(&0);
                    if best < 2 {
                        return false;
                    }
                    for i in 0..n {
                        selected[i] = counts[i] == best;
                    }
                }
            }
            // The pieces with the largest key, one loop per criterion (the
            // criterion's match is outside the loops).
            Crit::MaxCells => best_by(&self.list, selected, |p| p.cells as i64),
            Crit::MinCells => best_by(&self.list, selected, |p| -(p.cells as i64)),
            Crit::MaxArea => best_by(&self.list, selected, |p| p.area() as i64),
            Crit::MinArea => best_by(&self.list, selected, |p| -(p.area() as i64)),
            Crit::MaxColors => best_by(&self.list, selected, |p| p.nonzero_colors() as i64),
            Crit::MinColors => best_by(&self.list, selected, |p| -(p.nonzero_colors() as i64)),
            Crit::Top => best_by(&self.list, selected, |p| -(p.r0 as i64)),
            Crit::Bottom => best_by(&self.list, selected, |p| p.r1 as i64),
            Crit::Left => best_by(&self.list, selected, |p| -(p.c0 as i64)),
            Crit::Right => best_by(&self.list, selected, |p| p.c1 as i64),
            Crit::MaxHoles => best_by(&self.list, selected, |p| p.area() as i64 - p.cells as i64),
            Crit::MinHoles => best_by(&self.list, selected, |p| p.cells as i64 - p.area() as i64),
        }
        true
    }
}

/// Marks in `selected` the pieces whose key is the largest.
#[inline(always)]
fn best_by(list: &[Piece], selected: &mut [bool], key: impl Fn(&Piece) -> i64) {
    let best = list.iter().map(&key).max().unwrap_or(0);
    for (s, p) in selected.iter_mut().zip(list) {
        *s = key(p) == best;
    }
}

/// `pick S P`: the first piece (in order of first cell) attaining P, cropped
/// to its bounding box; cells of the box that are not the piece's are 0.
pub fn pick(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (split, crit) = (Split::from_arg(op.args[0]), Crit::from_arg(op.args[1]));
    let w = x.w();
    let Scratch { pieces, flags, .. } = s;
    if !pieces.cut(x, split) || !pieces.select(crit, w, flags) {
        return false;
    }
    let Some(id) = flags.iter().position(|&f| f) else {
        return false;
    };
    let p = pieces.list[id];
    let (r0, r1, c0, c1) = (p.r0 as usize, p.r1 as usize, p.c0 as usize, p.c1 as usize);
    let ow = c1 - c0 + 1;
    if !out.resize(r1 - r0 + 1, ow) {
        return false;
    }
    // Row by row: the piece's cells keep their color, the others become 0.
    let (src, label, id) = (x.data(), &pieces.label[..], id as u16);
    for (i, row) in out.data_mut().chunks_exact_mut(ow).enumerate() {
        let at = (r0 + i) * w + c0;
        for ((d, &v), &l) in row
            .iter_mut()
            .zip(&src[at..at + ow])
            .zip(&label[at..at + ow])
        {
            *d = if l == id { v } else { 0 };
        }
    }
    true
}

/// `keep_pieces S P` (`drop = false`) / `drop_pieces S P`: the cells of the
/// pieces attaining P keep (drop: become 0) their color, the cells of the
/// other pieces become 0 (drop: keep it); cells of no piece are unchanged.
fn keep_or_drop(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch, drop: bool) -> bool {
    let (split, crit) = (Split::from_arg(op.args[0]), Crit::from_arg(op.args[1]));
    let w = x.w();
    let Scratch { pieces, flags, .. } = s;
    if !pieces.cut(x, split) || !pieces.select(crit, w, flags) {
        return false;
    }
    let n = pieces.list.len();
    // Every split but `cell` leaves only 0-cells out of its pieces (`cell`
    // leaves its separator lines).
    let rest_zero = match split {
        Split::Obj | Split::Obj4 | Split::Cobj | Split::Color => true,
        Split::Cell => false,
    };
    // Within the selected pieces' bounding boxes only, when they cover less
    // than the grid: drop clears the selected pieces' cells of a copy; keep,
    // when the cells of no piece are 0, copies them onto a grid of 0s.
    let area: usize = pieces
        .list
        .iter()
        .zip(&flags[..n])
        .filter(|f| *f.1)
        .map(|(p, _)| p.area() as usize)
        .sum();
    if (drop || rest_zero) && area < x.len() {
        if drop {
            out.copy_from(x);
        } else {
            out.resize(x.h(), x.w());
            out.data_mut().fill(0);
        }
        let (src, data, label) = (x.data(), out.data_mut(), &pieces.label[..]);
        for (id, p) in pieces.list.iter().enumerate().filter(|p| flags[p.0]) {
            let id = id as u16;
            for i in p.r0 as usize..=p.r1 as usize {
                let r = i * w + p.c0 as usize..i * w + p.c1 as usize + 1;
                let cells = data[r.clone()].iter_mut().zip(&src[r.clone()]);
                // The piece's cells: 0 (drop) or their color (keep).
                let paint = |v: u8| if drop { 0 } else { v };
                for ((d, &v), &l) in cells.zip(&label[r]) {
                    *d = if l == id { paint(v) } else { *d };
                }
            }
        }
        return true;
    }
    out.copy_from(x);
    let (data, label) = (out.data_mut(), &pieces.label[..]);
    let mut selected = flags[..n].iter().enumerate().filter(|f| *f.1).map(|f| f.0);
    match (selected.next(), selected.next()) {
        // One piece attains P (the usual case): a comparison per cell, which
        // the compiler vectorizes.
        (Some(id), None) => {
            let id = id as u16;
            if drop {
                for (d, &l) in data.iter_mut().zip(label) {
                    *d = if l == id { 0 } else { *d };
                }
            } else {
                for (d, &l) in data.iter_mut().zip(label) {
                    *d = if l == id || l == NONE { *d } else { 0 };
                }
            }
        }
        _ => {
            // A byte mask per piece (0 where its cells become 0), and all
            // ones for the cells of no piece (label NONE, looked up as `n`):
            // one AND per cell, no branch.
            let mut mask = [0xffu8; MAX_CELLS + 1];
            for (m, &f) in mask.iter_mut().zip(flags.iter().take(n)) {
                *m = if f == drop { 0 } else { 0xff };
            }
            for (d, &l) in data.iter_mut().zip(label) {
                *d &= mask[(l as usize).min(n)];
            }
        }
    }
    true
}

/// `keep_pieces S P`.
pub fn keep_pieces(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    keep_or_drop(op, x, out, s, false)
}

/// `drop_pieces S P`.
pub fn drop_pieces(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    keep_or_drop(op, x, out, s, true)
}

/// `recolor_by S L`: the non-0 cells of each piece take the piece's label
/// as their color (size: its non-0 cells; rank: 1 for the pieces with the
/// most non-0 cells, 2 for the next count, ...; shared: how many pieces have
/// its shape; each capped at 9).
pub fn recolor_by(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (split, label) = (Split::from_arg(op.args[0]), Label::from_arg(op.args[1]));
    let w = x.w();
    let Scratch { pieces, values, .. } = s;
    if !pieces.cut(x, split) {
        return false;
    }
    match label {
        Label::Size => {
            values.clear();
            values.extend(pieces.list.iter().map(|p| p.cells as u32));
        }
        Label::Rank => {
            let mut sizes: Vec<u16> = pieces.list.iter().map(|p| p.cells).collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            sizes.dedup();
            values.clear();
            values.extend(
                pieces
                    .list
                    .iter()
                    .map(|p| sizes.iter().position(|&c| c == p.cells).unwrap_or(0) as u32 + 1),
            );
        }
        Label::Shared => {
            values.clear();
            values.extend_from_slice(pieces.shapes(w));
        }
    }
    out.copy_from(x);
    for (k, d) in out.data_mut().iter_mut().enumerate() {
        let l = pieces.label[k];
        if l != NONE && *d != 0 {
            *d = values[l as usize].min(9) as u8;
        }
    }
    true
}

/// `fall D`: the 8-connected objects of non-0 cells slide towards D as
/// units, the object nearest to that side first (ties: order of first
/// cell), each until its next step would leave the grid or cover a cell of
/// an object already placed.
pub fn fall(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let dir = Dir4::from_arg(op.args[0]);
    let (h, w) = (x.h(), x.w());
    let Scratch { pieces, order, .. } = s;
    out.resize(h, w);
    out.data_mut().fill(0);
    if !pieces.cut(x, Split::Obj) {
        return true;
    }
    let (dy, dx): (isize, isize) = match dir {
        Dir4::Up => (-1, 0),
        Dir4::Down => (1, 0),
        Dir4::Left => (0, -1),
        Dir4::Right => (0, 1),
    };
    order.clear();
    order.extend(0..pieces.list.len() as u16);
    // Nearest to the side first: the largest extent towards it.
    order.sort_by_key(|&id| {
        let p = &pieces.list[id as usize];
        let key = match dir {
            Dir4::Up => p.r0 as i32,
            Dir4::Down => -(p.r1 as i32),
            Dir4::Left => p.c0 as i32,
            Dir4::Right => -(p.c1 as i32),
        };
        (key, p.first)
    });
    let src = x.data();
    for &id in order.iter() {
        let p = pieces.list[id as usize];
        let fits = |t: isize, out: &Grid| -> bool {
            for i in p.r0 as usize..=p.r1 as usize {
                for j in p.c0 as usize..=p.c1 as usize {
                    if pieces.label[i * w + j] != id {
                        continue;
                    }
                    let (ni, nj) = (i as isize + dy * t, j as isize + dx * t);
                    if ni < 0 || nj < 0 || ni as usize >= h || nj as usize >= w {
                        return false;
                    }
                    if out.get(ni as usize, nj as usize) != 0 {
                        return false;
                    }
                }
            }
            true
        };
        let mut t = 0;
        while fits(t + 1, out) {
            t += 1;
        }
        for i in p.r0 as usize..=p.r1 as usize {
            for j in p.c0 as usize..=p.c1 as usize {
                if pieces.label[i * w + j] == id {
                    let (ni, nj) = (
                        (i as isize + dy * t) as usize,
                        (j as isize + dx * t) as usize,
                    );
                    out.set(ni, nj, src[i * w + j]);
                }
            }
        }
    }
    true
}

/// The count of `count` and `upscale_by` on a grid.
pub fn count_of(x: &Grid, what: Count, pieces: &mut Pieces) -> usize {
    match what {
        Count::Cells => x.data().iter().filter(|&&v| v != 0).count(),
        Count::Colors => {
            let hist = x.histogram();
            (1..10).filter(|&c| hist[c] > 0).count()
        }
        Count::Objects => {
            if pieces.cut(x, Split::Obj) {
                pieces.list.len()
            } else {
                0
            }
        }
    }
}

/// `stamp`: the template (the object with the most cells, the first on
/// ties; at least 2 cells) drawn on every marker (an object of one cell),
/// markers in row-major order, the template's centre cell (r0 + h / 2,
/// c0 + w / 2 of its box) on the marker; only the template's own cells are
/// drawn, over whatever is there, and cells falling outside the grid are
/// dropped. INVALID without a template or a marker.
pub fn stamp(_: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let pieces = &mut s.pieces;
    if !pieces.cut(x, Split::Obj) {
        return false;
    }
    let mut t = 0;
    for (k, p) in pieces.list.iter().enumerate() {
        if p.cells > pieces.list[t].cells {
            t = k;
        }
    }
    let tp = pieces.list[t];
    if tp.cells < 2 || !pieces.list.iter().any(|p| p.cells == 1) {
        return false;
    }
    let (ci, cj) = (
        tp.r0 as isize + (tp.r1 as isize - tp.r0 as isize + 1) / 2,
        tp.c0 as isize + (tp.c1 as isize - tp.c0 as isize + 1) / 2,
    );
    out.copy_from(x);
    let d = x.data();
    let o = out.data_mut();
    for m in pieces.list.iter().filter(|p| p.cells == 1) {
        let (mi, mj) = (
            (m.first as usize / w) as isize,
            (m.first as usize % w) as isize,
        );
        for i in tp.r0 as usize..=tp.r1 as usize {
            for j in tp.c0 as usize..=tp.c1 as usize {
                if pieces.label[i * w + j] as usize != t {
                    continue;
                }
                let (pi, pj) = (i as isize - ci + mi, j as isize - cj + mj);
                if pi >= 0 && pj >= 0 && (pi as usize) < h && (pj as usize) < w {
                    o[pi as usize * w + pj as usize] = d[i * w + j];
                }
            }
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::random_grid;

    /// `keep_pieces` / `drop_pieces` against their definition cell by cell,
    /// from the cut and the selection: a cell of a selected piece keeps
    /// (drop: loses) its color, a cell of another piece loses (drop: keeps)
    /// it, a cell of no piece is unchanged.
    #[test]
    fn keep_and_drop_follow_their_definitions() {
        let mut rng = crate::rng::Rng::new(0x6e3);
        let (mut out, mut s) = (Grid::default(), Scratch::default());
        let mut flags = Vec::new();
        let mut checked = [0usize; 2];
        for t in 0..1500 {
            let (h, w) = (1 + rng.below(14), 1 + rng.below(14));
            let mut x = random_grid(&mut rng, h, w);
            // Sparse grids have small pieces, dense ones pieces that span
            // the grid (both ways of painting).
            let sparse = t % 2 == 0;
            for v in x.data_mut() {
                if sparse && rng.chance(0.5) {
                    *v = 0;
                }
            }
            for &split in Split::ALL {
                for &crit in Crit::ALL {
                    let mut p = Pieces::default();
                    if !p.cut(&x, split) || !p.select(crit, w, &mut flags) {
                        continue;
                    }
                    for drop in [false, true] {
                        let op = Op::new(
                            if drop {
                                crate::lang::OpCode::DropPieces
                            } else {
                                crate::lang::OpCode::KeepPieces
                            },
                            &[split.arg(), crit.arg()],
                        );
                        assert!(
                            keep_or_drop(&op, &x, &mut out, &mut s, drop),
                            "`{op}` on {x:?}"
                        );
                        assert_eq!((out.h(), out.w()), (h, w));
                        for k in 0..h * w {
                            let l = p.label[k];
                            let want = if l == NONE || flags[l as usize] != drop {
                                x.data()[k]
                            } else {
                                0
                            };
                            assert_eq!(out.data()[k], want, "`{op}` at cell {k} of {x:?}");
                        }
                        checked[usize::from(sparse)] += 1;
                    }
                }
            }
        }
        assert!(checked.iter().all(|&c| c > 1000), "{checked:?}");
    }

    /// Selections and shape counts kept with a cut equal those worked out
    /// afresh, whatever the order of the cuts and criteria asked (the
    /// cache lends and takes back each cut's buffers).
    #[test]
    fn kept_selections_equal_fresh_ones() {
        let mut rng = crate::rng::Rng::new(0x5e1);
        let grids: Vec<Grid> = (0..40)
            .map(|_| {
                let (h, w) = (1 + rng.below(12), 1 + rng.below(12));
                let mut x = random_grid(&mut rng, h, w);
                for v in x.data_mut() {
                    if rng.chance(0.5) {
                        *v = 0;
                    }
                }
                x
            })
            .collect();
        let mut kept = Pieces::default();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let mut repeats = 0;
        let mut asked = std::collections::HashSet::new();
        for _ in 0..20_000 {
            let x = &grids[rng.below(grids.len())];
            let split = Split::ALL[rng.below(Split::ALL.len())];
            let crit = Crit::ALL[rng.below(Crit::ALL.len())];
            let mut fresh = Pieces::default();
            let found = fresh.cut(x, split);
            assert_eq!(kept.cut(x, split), found);
            if !found {
                continue;
            }
            let w = x.w();
            repeats += usize::from(!asked.insert((x.data().to_vec(), x.w(), split, crit)));
            assert_eq!(
                kept.select(crit, w, &mut a),
                fresh.select_fresh(crit, w, &mut b)
            );
            assert_eq!(a, b, "{split:?} {crit:?} on {x:?}");
            let mut counts = Vec::new();
            fresh.shape_counts(w, &mut counts);
            assert_eq!(kept.shapes(w), &counts[..]);
        }
        assert!(repeats > 5_000, "{repeats}");
    }

    /// The statistics that labelling makes run by run equal those read back
    /// from the labels cell by cell.
    #[test]
    fn run_statistics_equal_those_of_the_labels() {
        let mut rng = crate::rng::Rng::new(0x9e);
        let mut p = Pieces::default();
        let field = |q: &Piece| {
            (
                q.cells, q.size, q.r0, q.r1, q.c0, q.c1, q.colors, q.first, q.shape,
            )
        };
        for t in 0..4000 {
            let (h, w) = (1 + rng.below(30), 1 + rng.below(30));
            let mut x = random_grid(&mut rng, h, w);
            // Sparse, few colors: pieces of several runs and rows.
            for v in x.data_mut() {
                *v = if rng.chance(0.4) { 0 } else { *v % 4 };
            }
            let key = match t % 4 {
                0 => CutKey::Split(Split::Obj),
                1 => CutKey::Split(Split::Obj4),
                2 => CutKey::Split(Split::Cobj),
                _ => CutKey::NotColor(rng.below(4) as u8),
            };
            if !p.cut_fresh(&x, key) {
                continue;
            }
            let from_runs: Vec<_> = p.list.iter().map(field).collect();
            p.stats_from_labels(x.data(), h, w);
            for q in p.list.iter_mut() {
                q.shape =
                    ((q.r1 - q.r0) as u64) << 32 | ((q.c1 - q.c0) as u64) << 16 | q.size as u64;
            }
            let from_labels: Vec<_> = p.list.iter().map(field).collect();
            assert_eq!(from_runs, from_labels, "{key:?} on {x:?}");
        }
    }
}
