//! Patterns: outer products, panels laid over each other, and repair of a
//! color's cells from the grid's symmetries (`DSL.md`, "Patterns"). WGSL
//! twins: `shaders/ops_pattern.wgsl`.

use super::layout::{bbox_of, crop_to};
use super::{split_part, Colors, Scratch};
use crate::grid::{Grid, MAX_CELLS, MAX_DIM};
use crate::lang::args::{Dir4, Order, Outer, SymKind};
use crate::lang::{Op, SYM_MAX_CELLS};

/// `outer M`: (H*H) x (W*W) blocks; block (bi, bj) is, for `self`, the grid
/// where `x[bi][bj]` != 0 (else all 0); for `inv`, the grid where `x[bi][bj]`
/// == 0; for `color`, the grid's non-0 cells painted with `x[bi][bj]` (0
/// elsewhere).
pub fn outer(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let m = Outer::from_arg(op.args[0]);
    let (h, w) = (x.h(), x.w());
    if !out.resize(h * h, w * w) {
        return false;
    }
    for i in 0..h * h {
        for j in 0..w * w {
            let (bi, bj, ii, jj) = (i / h, j / w, i % h, j % w);
            let b = x.get(bi, bj);
            let v = x.get(ii, jj);
            let c = match m {
                Outer::Self_ => {
                    if b != 0 {
                        v
                    } else {
                        0
                    }
                }
                Outer::Inv => {
                    if b == 0 {
                        v
                    } else {
                        0
                    }
                }
                Outer::Color => {
                    if v != 0 {
                        b
                    } else {
                        0
                    }
                }
            };
            out.set(i, j, c);
        }
    }
    true
}

/// `panels_h n ord` / `panels_v n ord`: the n parts of `split_h n` (or
/// `split_v n`) laid over each other: each cell is the first non-0 value
/// among the parts in order (fwd: left to right / top to bottom; back: the
/// reverse), else 0.
fn panels(op: &Op, x: &Grid, out: &mut Grid, horizontal: bool) -> bool {
    let n = op.args[0] as usize;
    let order = Order::from_arg(op.args[1]);
    let (h, w) = (x.h(), x.w());
    let len = if horizontal { w } else { h };
    let Some((p, _)) = split_part(len, n, 0) else {
        return false;
    };
    let (oh, ow) = if horizontal { (h, p) } else { (p, w) };
    out.resize(oh, ow);
    for i in 0..oh {
        for j in 0..ow {
            let mut c = 0;
            for k in 0..n {
                let part = if order == Order::Fwd { k } else { n - 1 - k };
                let (_, off) = split_part(len, n, part).expect("every part of a valid split");
                let v = if horizontal {
                    x.get(i, j + off)
                } else {
                    x.get(i + off, j)
                };
                if v != 0 {
                    c = v;
                    break;
                }
            }
            out.set(i, j, c);
        }
    }
    true
}

/// `panels_h n ord`.
pub fn panels_h(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    panels(op, x, out, true)
}

/// `panels_v n ord`.
pub fn panels_v(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    panels(op, x, out, false)
}

/// A candidate symmetry of `repair`, as a map of cells (see [`Sym::images`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Sym {
    /// Reflection in the vertical line j = a / 2.
    FlipH(i32),
    /// Reflection in the horizontal line i = b / 2.
    FlipV(i32),
    /// Reflection in the line i - j = t.
    Transpose(i32),
    /// Reflection in the line i + j = s.
    Anti(i32),
    /// Half turn about (b / 2, a / 2).
    Rot180(i32, i32),
    /// Quarter turn (clockwise; the inverse is also used) about (b / 2,
    /// a / 2).
    Rot90(i32, i32),
    /// Translation by (dy, dx) (the inverse is also used).
    Shift(i32, i32),
}

impl Sym {
    /// The image of cell (i, j), and (for quarter turns and translations)
    /// of the inverse map; either may be outside the grid.
    #[inline]
    pub fn images(self, i: i32, j: i32) -> [(i32, i32); 2] {
        match self {
            Sym::FlipH(a) => [(i, a - j); 2],
            Sym::FlipV(b) => [(b - i, j); 2],
            Sym::Transpose(t) => [(j + t, i - t); 2],
            Sym::Anti(s) => [(s - j, s - i); 2],
            Sym::Rot180(b, a) => [(b - i, a - j); 2],
            Sym::Rot90(b, a) => {
                // Doubled coordinates: I = 2i, centre (b, a).
                let (di, dj) = (2 * i - b, 2 * j - a);
                let cw = (b + dj, a - di);
                let ccw = (b - dj, a + di);
                let half = |(p, q): (i32, i32)| {
                    if p % 2 == 0 && q % 2 == 0 {
                        (p / 2, q / 2)
                    } else {
                        (-1, -1)
                    }
                };
                [half(cw), half(ccw)]
            }
            Sym::Shift(dy, dx) => [(i + dy, j + dx), (i - dy, j - dx)],
        }
    }
}

/// Every candidate symmetry of an h x w grid, in the order `repair` uses
/// them: reflections, half and quarter turns near the centre, then
/// translations by increasing length (|dy| + |dx|, then dy, then dx).
pub fn candidate_syms(h: i32, w: i32, out: &mut Vec<Sym>) {
    out.clear();
    for a in 1..=2 * w - 3 {
        out.push(Sym::FlipH(a));
    }
    for b in 1..=2 * h - 3 {
        out.push(Sym::FlipV(b));
    }
    for t in -(w - 1)..=(h - 1) {
        out.push(Sym::Transpose(t));
    }
    for s in 1..=h + w - 3 {
        out.push(Sym::Anti(s));
    }
    for db in -4..=4 {
        for da in -4..=4 {
            let (b, a) = (h - 1 + db, w - 1 + da);
            out.push(Sym::Rot180(b, a));
        }
    }
    for db in -4..=4 {
        for da in -4..=4 {
            let (b, a) = (h - 1 + db, w - 1 + da);
            out.push(Sym::Rot90(b, a));
        }
    }
    // The translations (dy, dx) with 0 <= dy < h, |dx| < w, (dy, dx) after
    // (0, 0), ordered by (|dy| + |dx|, dy, dx): for each length, dy rising,
    // and for each dy the negative dx before the positive one.
    for len in 1..h + w - 1 {
        for dy in 0..h.min(len + 1) {
            let r = len - dy;
            if r >= w {
                continue;
            }
            if dy > 0 && r > 0 {
                out.push(Sym::Shift(dy, -r));
            }
            out.push(Sym::Shift(dy, r));
        }
    }
}

/// The map (i, j) -> (p, q) = (cp + pi i + pj j, cq + qi i + qj j) that
/// `consistent` checks: the first image of [`Sym::images`], an affine map
/// with coefficients in {-1, 0, 1}.
#[derive(Copy, Clone, Debug)]
struct Affine {
    cp: i32,
    pi: i32,
    pj: i32,
    cq: i32,
    qi: i32,
    qj: i32,
}

impl Sym {
    /// The first image map as an [`Affine`] map; `None` for a quarter turn
    /// whose centre sends every cell between cells (no cell has an image).
    fn affine(self) -> Option<Affine> {
        let a = |cp, pi, pj, cq, qi, qj| {
            Some(Affine {
                cp,
                pi,
                pj,
                cq,
                qi,
                qj,
            })
        };
        match self {
            Sym::FlipH(a_) => a(0, 1, 0, a_, 0, -1),
            Sym::FlipV(b) => a(b, -1, 0, 0, 0, 1),
            Sym::Transpose(t) => a(t, 0, 1, -t, 1, 0),
            Sym::Anti(s) => a(s, 0, -1, s, -1, 0),
            Sym::Rot180(b, a_) => a(b, -1, 0, a_, 0, -1),
            // cw = (b + 2j - a, a - 2i + b) / 2, whole only when a + b is
            // even (then b - a is too).
            Sym::Rot90(b, a_) => {
                if (a_ + b) % 2 != 0 {
                    None
                } else {
                    a((b - a_) / 2, 0, 1, (a_ + b) / 2, -1, 0)
                }
            }
            Sym::Shift(dy, dx) => a(dy, 1, 0, dx, 0, 1),
        }
    }
}

/// The t in [0, n) with 0 <= c + k t <= hi (k in {-1, 1}), as a half-open
/// range (empty when there is none).
#[inline(always)]
fn band(c: i32, k: i32, hi: i32, n: i32) -> (i32, i32) {
    let (lo, up) = if k == 1 { (-c, hi - c) } else { (c - hi, c) };
    (lo.max(0), (up + 1).min(n))
}

/// How `walk_consistent` walks a grid of one size for one symmetry.
///
/// Every candidate map sends rows to rows or columns and columns to the
/// other, so one image coordinate moves with i only and the other with j
/// only: the cells whose image is inside the grid are a rectangle (rows
/// `i0..i1`, columns `j0..j0 + n`). Along a row of that rectangle the
/// image moves by one cell, in one of four directions; in the copy of the
/// grid that [`Views`] lays out for that direction (`view`) it moves one
/// byte forward. So the images of a row are consecutive bytes of one view,
/// from `k0` for row `i0`, `k0 + row_step` for row `i0 + 1`, and so on.
#[derive(Copy, Clone, Debug, Default)]
pub struct Walk {
    i0: i32,
    i1: i32,
    j0: i32,
    n: i32,
    /// Which of the [`Views`] holds the images' rows.
    view: u8,
    /// The index, in that view, of the image of cell (i0, j0).
    k0: i32,
    /// How far the images' row moves, in that view, from one row to the next.
    row_step: i32,
}

impl Walk {
    /// The walk of `sym` over an h x w grid (no cell when no image is
    /// inside the grid).
    pub fn new(sym: Sym, h: i32, w: i32) -> Walk {
        let Some(m) = sym.affine() else {
            return Walk::default();
        };
        // (i0..i1) x (j0..j1): p in [0, h) and q in [0, w).
        let ((i0, i1), (j0, j1)) = if m.pj == 0 {
            (band(m.cp, m.pi, h - 1, h), band(m.cq, m.qj, w - 1, w))
        } else {
            (band(m.cq, m.qi, w - 1, h), band(m.cp, m.pj, h - 1, w))
        };
        if i0 >= i1 || j0 >= j1 {
            return Walk::default();
        }
        let (p, q) = (m.cp + m.pi * i0 + m.pj * j0, m.cq + m.qi * i0 + m.qj * j0);
        // The view in which a step along j (the image moving by (pj, qj))
        // is one byte forward; see `Views::fill` for the four layouts.
        let (view, k0, row_step) = match (m.pj, m.qj) {
            (0, 1) => (0, p * w + q, m.pi * w),
            (0, _) => (1, p * w + (w - 1 - q), m.pi * w),
            (1, _) => (2, q * h + p, m.qi * h),
            _ => (3, q * h + (h - 1 - p), m.qi * h),
        };
        Walk {
            i0,
            i1,
            j0,
            n: j1 - j0,
            view,
            k0,
            row_step,
        }
    }

    /// The number of cells walked.
    fn cells(&self) -> u32 {
        ((self.i1 - self.i0) * self.n) as u32
    }
}

/// Bytes after each view, so that a 16-byte load that starts on a view's
/// last cell stays inside it.
const VIEW_PAD: usize = 16;
/// One view's length.
const VIEW_LEN: usize = MAX_CELLS + VIEW_PAD;

/// A grid's cells in four layouts, in which every candidate's images along
/// a row of the grid are consecutive bytes read forward (see [`Walk`]).
/// Cell (p, q) of an h x w grid is at:
/// - view 0, the grid row-major: `p * w + q`;
/// - view 1, each row reversed: `p * w + w - 1 - q`;
/// - view 2, the transpose: `q * h + p`;
/// - view 3, the transpose with each of its rows reversed: `q * h + h - 1 - p`.
///
/// Bytes past a view's cells are left from earlier grids; the walk masks
/// them off.
pub struct Views {
    buf: Vec<u8>,
}

impl Default for Views {
    fn default() -> Self {
        Views {
            buf: vec![0; 4 * VIEW_LEN],
        }
    }
}

impl Views {
    /// Lays out x's cells in the four views.
    fn fill(&mut self, x: &Grid) {
        let (h, w) = (x.h(), x.w());
        let (v0, rest) = self.buf.split_at_mut(VIEW_LEN);
        let (v1, rest) = rest.split_at_mut(VIEW_LEN);
        let (v2, v3) = rest.split_at_mut(VIEW_LEN);
        let d = x.data();
        v0[..d.len()].copy_from_slice(d);
        for (p, row) in d.chunks_exact(w).enumerate() {
            for (r, &v) in v1[p * w..(p + 1) * w].iter_mut().zip(row.iter().rev()) {
                *r = v;
            }
            for (q, &v) in row.iter().enumerate() {
                v2[q * h + p] = v;
                v3[q * h + (h - 1 - p)] = v;
            }
        }
    }

    /// View `v` (with its padding).
    #[inline(always)]
    fn view(&self, v: u8) -> &[u8] {
        let a = v as usize * VIEW_LEN;
        &self.buf[a..a + VIEW_LEN]
    }
}

/// Eight bytes of `d` from `k`, as one little-endian word (byte `k` lowest).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
#[inline(always)]
fn load8(d: &[u8], k: usize) -> u64 {
    u64::from_le_bytes(d[k..k + 8].try_into().expect("eight bytes"))
}

/// How many grid sizes [`Candidates`] keeps (a chain of ops crops and
/// tiles, so one batch's grids come in a few sizes; 30 x 30's list is
/// some 80 KB).
const CANDIDATE_SIZES: usize = 4;

/// One grid size's candidate symmetries with their walks.
type SizeList = ((i32, i32), Vec<(Sym, Walk)>);

/// The candidate symmetries of a few grid sizes with their walks, kept
/// between calls; the oldest size makes room for a new one.
#[derive(Default)]
pub struct Candidates {
    sizes: Vec<SizeList>,
    /// The entry the next new size replaces, once all are taken.
    next: usize,
}

impl Candidates {
    /// The candidates of an h x w grid, in [`candidate_syms`]' order.
    pub fn of(&mut self, h: i32, w: i32) -> &[(Sym, Walk)] {
        let at = match self.sizes.iter().position(|(size, _)| *size == (h, w)) {
            Some(at) => at,
            None => {
                let mut syms = Vec::new();
                candidate_syms(h, w, &mut syms);
                let list = syms.into_iter().map(|s| (s, Walk::new(s, h, w))).collect();
                if self.sizes.len() < CANDIDATE_SIZES {
                    self.sizes.push(((h, w), list));
                    self.sizes.len() - 1
                } else {
                    let at = self.next;
                    self.sizes[at] = ((h, w), list);
                    self.next = (at + 1) % CANDIDATE_SIZES;
                    at
                }
            }
        };
        &self.sizes[at].1
    }
}

/// [`walk_consistent`] with a fresh walk (the tests compare it with the
/// cell-by-cell definition; `repair` takes its walks from [`Candidates`]).
#[cfg(test)]
fn consistent(x: &Grid, c: u8, sym: Sym, min_support: u32) -> bool {
    let mut views = Views::default();
    views.fill(x);
    walk_consistent(
        x,
        &views,
        c,
        &Walk::new(sym, x.h() as i32, x.w() as i32),
        min_support,
    )
}

/// Whether the symmetry of `walk` (made for x's size) maps every known
/// cell (not of color `c`) whose image is inside the grid and known onto a
/// cell of the same color, with at least `min_support` such pairs; `views`
/// holds x's cells (see [`Views::fill`]).
#[inline(always)]
fn walk_consistent(x: &Grid, views: &Views, c: u8, walk: &Walk, min_support: u32) -> bool {
    // No more pairs than cells walked.
    if walk.cells() < min_support {
        return false;
    }
    // No cell walked (then `min_support` is 0).
    if walk.n == 0 {
        return true;
    }
    let (cells, images) = (views.view(0), views.view(walk.view));
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    let pairs = walk_sse2(cells, images, x.w(), c, walk);
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    let pairs = walk_words(cells, images, x.w(), c, walk);
    pairs.is_some_and(|p| p >= min_support)
}

/// The pairs of known cells along `walk` (`cells` is view 0, `images` the
/// walk's view), or `None` at the first pair of known cells of different
/// colors. Row by row, sixteen cells at a time (SSE2 is in the x86-64
/// baseline): one word of a row's cells against one of their images',
/// stopping at the first word with a conflict (on most grids most
/// candidates conflict within the first rows).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn walk_sse2(cells: &[u8], images: &[u8], w: usize, c: u8, walk: &Walk) -> Option<u32> {
    use std::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_sad_epu8, _mm_set1_epi8, _mm_setzero_si128,
        _mm_srli_si128, _mm_sub_epi8,
    };
    /// 16 bytes of `d` from `k`.
    #[inline(always)]
    fn load(d: &[u8], k: usize) -> __m128i {
        let b: &[u8; 16] = d[k..k + 16].try_into().expect("sixteen bytes");
        // SAFETY: `b` is 16 readable bytes; the load is unaligned.
        unsafe { _mm_loadu_si128(b.as_ptr() as *const __m128i) }
    }
    /// 16 bytes of 0xff, then 16 of 0: the mask of the first r bytes of a
    /// word is the 16 bytes from 16 - r.
    const FIRST: [u8; 32] = {
        let mut m = [0u8; 32];
        let mut k = 0;
        while k < 16 {
            m[k] = 0xff;
            k += 1;
        }
        m
    };
    let n = walk.n as usize;
    // The words of a row before its last, and the last word's mask.
    let full = (n - 1) / 16;
    let last = load(&FIRST, 16 - (n - 16 * full));
    let every = load(&FIRST, 0);
    // SAFETY (every block below): this build has SSE2 (the cfg above); these
    // intrinsics only compute on registers.
    let cs = unsafe { _mm_set1_epi8(c as i8) };
    // One count per byte position: at most one per word, at most 2 * 30
    // words per walk, so no byte overflows.
    let mut support = unsafe { _mm_setzero_si128() };
    // Known pairs of one word, or None when two of them differ.
    let check = |v: __m128i, u: __m128i, mask: __m128i| {
        let (known, conflicts) = unsafe {
            let hidden = _mm_or_si128(_mm_cmpeq_epi8(v, cs), _mm_cmpeq_epi8(u, cs));
            let known = _mm_andnot_si128(hidden, mask);
            // Known pairs whose colors differ.
            let conflicts = _mm_andnot_si128(_mm_cmpeq_epi8(u, v), known);
            (known, _mm_movemask_epi8(conflicts))
        };
        (conflicts == 0).then_some(known)
    };
    let (mut a, mut k) = (walk.i0 as usize * w + walk.j0 as usize, walk.k0 as usize);
    let row_step = walk.row_step as isize as usize;
    for _ in walk.i0..walk.i1 {
        // Known bytes are 0xff (-1): subtracting counts them.
        for t in 0..full {
            let known = check(load(cells, a + 16 * t), load(images, k + 16 * t), every)?;
            support = unsafe { _mm_sub_epi8(support, known) };
        }
        let t = 16 * full;
        let known = check(load(cells, a + t), load(images, k + t), last)?;
        support = unsafe { _mm_sub_epi8(support, known) };
        a += w;
        k = k.wrapping_add(row_step);
    }
    // The sums of the two halves' bytes, as two 64-bit lanes.
    let (lo, hi) = unsafe {
        let sums = _mm_sad_epu8(support, _mm_setzero_si128());
        (
            _mm_cvtsi128_si64(sums) as u64,
            _mm_cvtsi128_si64(_mm_srli_si128::<8>(sums)) as u64,
        )
    };
    Some((lo + hi) as u32)
}

/// [`walk_sse2`] eight cells at a time in a 64-bit word, on every other
/// CPU (and in the tests, against the same definition).
#[cfg(any(test, not(all(target_arch = "x86_64", target_feature = "sse2"))))]
fn walk_words(cells: &[u8], images: &[u8], w: usize, c: u8, walk: &Walk) -> Option<u32> {
    use crate::score::nonzero_bytes;
    let n = walk.n as usize;
    let full = (n - 1) / 8;
    // The last word of a row keeps only the row's bytes.
    let last = !0u64 >> (8 * (8 - (n - 8 * full)));
    let cs = u64::from(c) * 0x0101_0101_0101_0101;
    // One count per byte position: at most one per word, at most 4 * 30
    // words per walk, so no byte overflows.
    let mut support = 0u64;
    let mut k_row = walk.k0 as usize;
    for i in walk.i0 as usize..walk.i1 as usize {
        let a = i * w + walk.j0 as usize;
        for t in 0..=full {
            let v = load8(cells, a + 8 * t);
            let u = load8(images, k_row + 8 * t);
            let mut known = nonzero_bytes(v ^ cs) & nonzero_bytes(u ^ cs);
            if t == full {
                known &= last;
            }
            if known & nonzero_bytes(u ^ v) != 0 {
                return None;
            }
            support += known >> 7;
        }
        k_row = k_row.wrapping_add(walk.row_step as isize as usize);
    }
    // The sum of the eight byte counts.
    let pairs = (support & 0x00ff_00ff_00ff_00ff) + ((support >> 8) & 0x00ff_00ff_00ff_00ff);
    Some((pairs.wrapping_mul(0x0001_0001_0001_0001) >> 48) as u32)
}

/// [`consistent`], cell by cell, from [`Sym::images`]: the definition the
/// tests hold the fast one to.
#[cfg(test)]
fn consistent_cells(x: &Grid, c: u8, sym: Sym, min_support: u32) -> bool {
    pairs_cells(x, c, sym).is_some_and(|p| p >= min_support)
}

/// The pairs of known cells that `sym` maps onto each other, cell by cell,
/// or `None` when two of them differ (what the walks count).
#[cfg(test)]
fn pairs_cells(x: &Grid, c: u8, sym: Sym) -> Option<u32> {
    let (h, w) = (x.h() as i32, x.w() as i32);
    let mut support = 0;
    for i in 0..h {
        for j in 0..w {
            let v = x.get(i as usize, j as usize);
            if v == c {
                continue;
            }
            let (p, q) = sym.images(i, j)[0];
            if p < 0 || q < 0 || p >= h || q >= w {
                continue;
            }
            let u = x.get(p as usize, q as usize);
            if u == c {
                continue;
            }
            if u != v {
                return None;
            }
            support += 1;
        }
    }
    Some(support)
}

/// Fills the cells of color `c` in `out` (a copy of `x`) from the
/// consistent symmetries, in rounds: in each round every such cell looks at
/// its images under the symmetries in order and takes the first one that
/// was known at the end of the previous round. Returns false when `x` has
/// no cell of color `c` or when more than half of its cells are.
fn repair_into(x: &Grid, c: u8, out: &mut Grid, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let n = h * w;
    let known = x.data().iter().filter(|&&v| v != c).count() as u32;
    // Nothing to repair, or more hidden than shown.
    if known as usize == n || 2 * (known as usize) < n {
        return false;
    }
    let min_support = (known / 3).max(4);
    let Scratch {
        syms,
        candidates,
        views,
        ..
    } = s;
    views.fill(x);
    syms.clear();
    syms.extend(
        candidates
            .of(h as i32, w as i32)
            .iter()
            .filter(|(_, walk)| walk_consistent(x, views, c, walk, min_support))
            .map(|&(sym, _)| sym),
    );
    out.copy_from(x);
    let mut prev = x.clone();
    for _ in 0..4 {
        let mut changed = false;
        for i in 0..h {
            for j in 0..w {
                if prev.get(i, j) != c {
                    continue;
                }
                'sym: for sym in syms.iter() {
                    for (p, q) in sym.images(i as i32, j as i32) {
                        if p < 0 || q < 0 || p as usize >= h || q as usize >= w {
                            continue;
                        }
                        let u = prev.get(p as usize, q as usize);
                        if u != c {
                            out.set(i, j, u);
                            changed = true;
                            break 'sym;
                        }
                    }
                }
            }
        }
        if !changed {
            break;
        }
        prev.copy_from(out);
    }
    true
}

/// `repair c`: the cells of color c take the colors that the grid's
/// symmetries (reflections, turns, translations consistent with every other
/// cell) give them (see `DSL.md`); INVALID when there is no c-cell.
pub fn repair(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[0]);
    repair_into(x, c, out, s)
}

/// `repair_crop c`: `repair c`, cropped to the bounding box of the cells
/// that were of color c.
pub fn repair_crop(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[0]);
    let Some(b) = bbox_of(x, |v| v == c) else {
        return false;
    };
    let mut full = Grid::default();
    if !repair_into(x, c, &mut full, s) {
        return false;
    }
    crop_to(&full, out, b)
}

/// `extend dir`: the pattern continued towards dir. The grid is read as a
/// sequence of lines along dir (columns for `left` / `right`, rows for `up`
/// / `down`), line 0 on the side opposite dir (the leftmost column for
/// `right`); L is one more than the last line holding a non-0 cell, p the
/// smallest p >= 1 such that line k equals line k - p for p <= k < L (p = L
/// when there is none), and every line k becomes line k mod p. INVALID
/// without non-0 cells.
pub fn extend(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let dir = Dir4::from_arg(op.args[0]);
    let (h, w) = (x.h(), x.w());
    let cols = matches!(dir, Dir4::Left | Dir4::Right);
    let (n, m) = if cols { (w, h) } else { (h, w) };
    let rev = matches!(dir, Dir4::Left | Dir4::Up);
    // The row-major index of cell t of line k.
    let cell = |k: usize, t: usize| {
        let k = if rev { n - 1 - k } else { k };
        if cols {
            t * w + k
        } else {
            k * w + t
        }
    };
    let d = x.data();
    let Some(last) = (0..n).rev().find(|&k| (0..m).any(|t| d[cell(k, t)] != 0)) else {
        return false;
    };
    let l = last + 1;
    let p = (1..l)
        .find(|&p| (p..l).all(|k| (0..m).all(|t| d[cell(k, t)] == d[cell(k - p, t)])))
        .unwrap_or(l);
    out.resize(h, w);
    let o = out.data_mut();
    for k in 0..n {
        for t in 0..m {
            o[cell(k, t)] = d[cell(k % p, t)];
        }
    }
    true
}

/// Where cell (i, j) goes under map `g` of a symmetry kind, for the centre
/// (cy2 / 2, cx2 / 2) (doubled coordinates, so that axes and centres can lie
/// between cells). The maps of `r4`, in order: the quarter turn clockwise,
/// the half turn, the quarter turn counter-clockwise.
#[inline(always)]
fn sym_image(kind: SymKind, g: usize, i: i32, j: i32, cy2: i32, cx2: i32) -> (i32, i32) {
    match (kind, g) {
        (SymKind::H, _) => (i, cx2 - j),
        (SymKind::V, _) => (cy2 - i, j),
        (SymKind::R2, _) | (SymKind::R4, 1) => (cy2 - i, cx2 - j),
        (SymKind::R4, 0) => ((cy2 - cx2) / 2 + j, (cx2 + cy2) / 2 - i),
        (SymKind::R4, _) => ((cy2 + cx2) / 2 - j, (cx2 - cy2) / 2 + i),
    }
}

/// The number of maps of a symmetry kind.
fn sym_maps(kind: SymKind) -> usize {
    if kind == SymKind::R4 {
        3
    } else {
        1
    }
}

/// A centre's support in [`symmetrize`] once a pair of its cells conflicts.
const RULED_OUT: u32 = u32::MAX;

/// A vote against a centre in [`vote_centres`]' tally: above any support
/// (at most 2 per pair, under 10,000) and summed over at most 4,950 pairs
/// without overflow.
const CONFLICT: u32 = 1 << 16;

/// The longest side of [`symmetrize`]'s box of centres (doubled
/// coordinates over a whole grid), and of its tally with the quarter
/// turns' padding (see [`vote_centres`]).
const BOX_SIDE: usize = 2 * MAX_DIM - 1;
const TALLY_SIDE: usize = BOX_SIDE + 2 * ((BOX_SIDE - 1) / 2);
/// The tally's length: a power of two above every padded box, so that an
/// index masked with `TALLY_LEN - 1` needs no bound check.
const TALLY_LEN: usize = (TALLY_SIDE * TALLY_SIDE).next_power_of_two();

/// `symmetrize`'s votes per centre of the padded box (made on first
/// use and kept between calls; each call clears what it uses).
#[derive(Default)]
pub struct Tally(Option<Box<[u32; TALLY_LEN]>>);

impl Tally {
    /// The votes, all 0 up to `len`.
    fn cleared(&mut self, len: usize) -> Votes<'_> {
        let t = self.0.get_or_insert_with(|| {
            vec![0; TALLY_LEN]
                .into_boxed_slice()
                .try_into()
                .expect("TALLY_LEN votes")
        });
        t[..len].fill(0);
        Votes(t)
    }
}

/// A cleared [`Tally`].
struct Votes<'a>(&'a mut [u32; TALLY_LEN]);

impl Votes<'_> {
    /// Adds `v` to entry `k` (in the padded box by construction; the mask
    /// only spares the bound check).
    #[inline(always)]
    fn add(&mut self, k: i32, v: u32) {
        debug_assert!((0..TALLY_LEN as i32).contains(&k));
        self.0[k as usize & (TALLY_LEN - 1)] += v;
    }
}

/// Leaves in `support` the votes of every pair of `cells` (x's non-0 cells,
/// row-major, in the box from (r0, c0)) for the centres of the box (doubled
/// coordinates from (2 r0, 2 c0), `ny` rows of `nx`; one row for `h`, one
/// column for `v`): for each map that sends one cell of a pair onto the
/// other, 2 for the same color, RULED_OUT for another.
///
/// A centre is a sum of the pair's coordinates (the quarter turns' after
/// a turn of one of them), so each cell gets its part of the index into
/// the tally once and a vote is one add at the sum of two parts. The tally
/// is padded so that the quarter turns' centres outside the box land
/// inside it (they are dropped at the end), and each vote adds 2 or
/// CONFLICT, without a branch.
fn vote_centres(
    kind: SymKind,
    x: &Grid,
    cells: &[(i32, i32, u8)],
    (r0, c0): (usize, usize),
    (ny, nx): (usize, usize),
    tally: &mut Tally,
    support: &mut Vec<u32>,
) {
    let (y0, x0) = (2 * r0 as i32, 2 * c0 as i32);
    // Quarter turns' centres stray from the box by at most its other
    // extent: rows by (nx - 1) / 2, columns by (ny - 1) / 2.
    let (py, px) = if kind == SymKind::R4 {
        ((nx - 1) / 2, (ny - 1) / 2)
    } else {
        (0, 0)
    };
    let (fy, fx) = (ny + 2 * py, nx + 2 * px);
    debug_assert!(fy * fx <= TALLY_LEN);
    let mut tally = tally.cleared(fy * fx);
    let inc = |a: u8, b: u8| if a == b { 2 } else { CONFLICT };
    // The tally's index of centre (cy2, cx2) is cy2 fx + cx2 + at.
    let at = (py as i32 - y0) * fx as i32 + px as i32 - x0;
    let fx = fx as i32;
    match kind {
        SymKind::V => {
            // The pairs of each column, from the grid (whose non-0 cells
            // `cells` are).
            debug_assert_eq!(cells.len(), x.data().iter().filter(|&&v| v != 0).count());
            let mut col = [(0i32, 0u8); MAX_DIM];
            for j in 0..x.w() {
                let mut m = 0;
                for i in 0..x.h() {
                    let v = x.get(i, j);
                    if v != 0 {
                        col[m] = (i as i32, v);
                        m += 1;
                    }
                }
                for (a, &(ia, ca)) in col[..m].iter().enumerate() {
                    for &(ib, cb) in &col[a + 1..m] {
                        tally.add(ia + ib - y0, inc(ca, cb));
                    }
                }
            }
        }
        SymKind::H => {
            for (a, &(ia, ja, ca)) in cells.iter().enumerate() {
                // Cells are in row-major order: a row's pairs end at the
                // next row.
                for &(_, jb, cb) in cells[a + 1..].iter().take_while(|c| c.0 == ia) {
                    tally.add(ja + jb - x0, inc(ca, cb));
                }
            }
        }
        SymKind::R2 | SymKind::R4 => {
            // Per cell: k for the half turn's centre (ia + ib, ja + jb);
            // t and u for the quarter turns' (ia + ib + jb - ja, ja + jb +
            // ia - ib) = t(a) + u(b) and (ia + ib + ja - jb, ja + jb + ib -
            // ia) = u(a) + t(b). One array per part, so that the inner
            // loops read them in step.
            let n = cells.len();
            let (mut ks, mut ts, mut us, mut cs) = (
                [0i32; SYM_MAX_CELLS],
                [0i32; SYM_MAX_CELLS],
                [0i32; SYM_MAX_CELLS],
                [0u8; SYM_MAX_CELLS],
            );
            for (b, &(i, j, v)) in cells.iter().enumerate() {
                (ks[b], ts[b], us[b], cs[b]) =
                    (i * fx + j, (i - j) * fx + i + j, (i + j) * fx + j - i, v);
            }
            for a in 0..n {
                let (ka, ca) = (ks[a] + at, cs[a]);
                let rest = a + 1..n;
                if kind == SymKind::R4 {
                    let (ta, ua) = (ts[a] + at, us[a] + at);
                    for (((&kb, &tb), &ub), &cb) in ks[rest.clone()]
                        .iter()
                        .zip(&ts[rest.clone()])
                        .zip(&us[rest.clone()])
                        .zip(&cs[rest])
                    {
                        let v = inc(ca, cb);
                        tally.add(ka + kb, v);
                        tally.add(ta + ub, v);
                        tally.add(ua + tb, v);
                    }
                } else {
                    for (&kb, &cb) in ks[rest.clone()].iter().zip(&cs[rest]) {
                        tally.add(ka + kb, inc(ca, cb));
                    }
                }
            }
        }
    }
    // The box's centres, to the front, conflicts as RULED_OUT; a quarter
    // turn about a centre whose coordinates have an odd sum sends no cell
    // onto a cell (its half-turn votes are dropped).
    let fx = fx as usize;
    support.clear();
    support.resize(ny * nx, 0);
    for ty in 0..ny {
        for tx in 0..nx {
            let v = tally.0[(ty + py) * fx + tx + px];
            let odd = kind == SymKind::R4 && (ty + tx) % 2 == 1;
            support[ty * nx + tx] = match v {
                _ if odd => 0,
                v if v >= CONFLICT => RULED_OUT,
                v => v,
            };
        }
    }
}

/// `symmetrize K`: the figure completed by its symmetry K about the best
/// centre. See `docs/DSL.md` for the rule; the supporting and conflicting
/// pairs are counted here by votes: each ordered pair (a, b) of distinct
/// non-0 cells and each map g names the one centre where g(a) = b, which it
/// supports (same color) or rules out (another color). That is the
/// per-centre count the GPU twin makes, in n^2 / 2 steps.
pub fn symmetrize(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let kind = SymKind::from_arg(op.args[0]);
    let (h, w) = (x.h(), x.w());
    let d = x.data();
    let mut cells = [(0i32, 0i32, 0u8); SYM_MAX_CELLS];
    let mut n = 0;
    let (mut r0, mut r1, mut c0, mut c1) = (h, 0, w, 0);
    for (k, &v) in d.iter().enumerate() {
        if v != 0 {
            if n == SYM_MAX_CELLS {
                return false;
            }
            let (i, j) = (k / w, k % w);
            cells[n] = (i as i32, j as i32, v);
            n += 1;
            (r0, r1, c0, c1) = (r0.min(i), r1.max(i), c0.min(j), c1.max(j));
        }
    }
    if n == 0 {
        return false;
    }
    // Candidate centres: cy2 in 2 r0..=2 r1 and cx2 in 2 c0..=2 c1 (only
    // cx2 for `h`, only cy2 for `v`), row-major.
    let (ny, nx) = match kind {
        SymKind::H => (1, 2 * (c1 - c0) + 1),
        SymKind::V => (2 * (r1 - r0) + 1, 1),
        _ => (2 * (r1 - r0) + 1, 2 * (c1 - c0) + 1),
    };
    let (y0, x0) = (2 * r0 as i32, 2 * c0 as i32);
    // Support per centre of the box, RULED_OUT once a pair conflicts.
    let support = &mut s.values;
    let cells = &cells[..n];
    vote_centres(kind, x, cells, (r0, c0), (ny, nx), &mut s.tally, support);
    let top = support
        .iter()
        .copied()
        .filter(|&v| v != RULED_OUT)
        .max()
        .unwrap_or(0);
    if top == 0 {
        return false;
    }
    // Among the centres with the most support, the fewest open pairs (an
    // image on a 0-cell), then the first; counted directly (ties are few).
    let centre = |t: usize| (y0 + (t / nx) as i32, x0 + (t % nx) as i32);
    let open = |(cy2, cx2): (i32, i32)| {
        let mut k = 0;
        for &(i, j, _) in cells {
            for g in 0..sym_maps(kind) {
                let (qi, qj) = sym_image(kind, g, i, j, cy2, cx2);
                if qi >= 0
                    && qj >= 0
                    && (qi as usize) < h
                    && (qj as usize) < w
                    && d[qi as usize * w + qj as usize] == 0
                {
                    k += 1;
                }
            }
        }
        k
    };
    let mut tied = (0..ny * nx).filter(|&t| support[t] == top);
    let Some(first) = tied.next() else {
        return false;
    };
    let mut t = first;
    let mut t_open = None;
    for u in tied {
        let best = *t_open.get_or_insert_with(|| open(centre(t)));
        let o = open(centre(u));
        if o < best {
            (t, t_open) = (u, Some(o));
        }
    }
    let (cy2, cx2) = centre(t);
    out.copy_from(x);
    let o = out.data_mut();
    for (k, c) in o.iter_mut().enumerate() {
        if *c != 0 {
            continue;
        }
        let (i, j) = ((k / w) as i32, (k % w) as i32);
        for g in 0..sym_maps(kind) {
            let (qi, qj) = sym_image(kind, g, i, j, cy2, cx2);
            if qi >= 0 && qj >= 0 && (qi as usize) < h && (qj as usize) < w {
                let v = d[qi as usize * w + qj as usize];
                if v != 0 {
                    *c = v;
                    break;
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

    /// The votes give each centre of the box what counting its pairs one
    /// by one gives: for every non-0 cell and map, 1 when the image is
    /// another non-0 cell of the same color, RULED_OUT when of another.
    #[test]
    fn votes_count_every_centre_as_its_definition() {
        let mut rng = crate::rng::Rng::new(0x5e7);
        let (mut supported, mut ruled_out) = (0, 0);
        let mut tally = Tally::default();
        for t in 0..2_000 {
            // Every fifth grid up to 30 x 30 (sparse: at most 100 cells),
            // so that the tally's padding meets the largest boxes.
            let side = if t % 5 == 4 { 30 } else { 12 };
            let (h, w) = (1 + rng.below(side), 1 + rng.below(side));
            let mut x = random_grid(&mut rng, h, w);
            let keep = if side == 30 {
                0.1
            } else {
                [0.1, 0.3, 0.9][t % 3]
            };
            for v in x.data_mut() {
                if !rng.chance(keep) {
                    *v = 0;
                } else if t % 2 == 0 {
                    // Few colors, so that many pairs agree.
                    *v = 1 + *v % 2;
                }
            }
            let cells: Vec<(i32, i32, u8)> = (0..h * w)
                .filter(|&k| x.data()[k] != 0)
                .map(|k| ((k / w) as i32, (k % w) as i32, x.data()[k]))
                .collect();
            if cells.is_empty() || cells.len() > SYM_MAX_CELLS {
                continue;
            }
            let r0 = cells.iter().map(|c| c.0).min().unwrap();
            let r1 = cells.iter().map(|c| c.0).max().unwrap();
            let c0 = cells.iter().map(|c| c.1).min().unwrap();
            let c1 = cells.iter().map(|c| c.1).max().unwrap();
            for kind in [SymKind::H, SymKind::V, SymKind::R2, SymKind::R4] {
                let (ys, xs): (Vec<i32>, Vec<i32>) = match kind {
                    SymKind::H => (vec![2 * r0], (2 * c0..=2 * c1).collect()),
                    SymKind::V => ((2 * r0..=2 * r1).collect(), vec![2 * c0]),
                    _ => ((2 * r0..=2 * r1).collect(), (2 * c0..=2 * c1).collect()),
                };
                let mut want = Vec::new();
                for &cy2 in &ys {
                    for &cx2 in &xs {
                        let mut n = 0;
                        // Quarter turns about a centre with cy2 + cx2 odd
                        // send no cell onto a cell; no vote goes there.
                        let skip = kind == SymKind::R4 && (cy2 + cx2) % 2 != 0;
                        for &(i, j, v) in cells.iter().filter(|_| !skip) {
                            for g in 0..sym_maps(kind) {
                                let (p, q) = sym_image(kind, g, i, j, cy2, cx2);
                                if (p, q) == (i, j)
                                    || p < 0
                                    || q < 0
                                    || p >= h as i32
                                    || q >= w as i32
                                {
                                    continue;
                                }
                                let u = x.get(p as usize, q as usize);
                                if u == v {
                                    n += 1;
                                } else if u != 0 {
                                    n = RULED_OUT;
                                }
                                if n == RULED_OUT {
                                    break;
                                }
                            }
                            if n == RULED_OUT {
                                break;
                            }
                        }
                        want.push(n);
                    }
                }
                let mut got = Vec::new();
                let (ny, nx) = (ys.len(), xs.len());
                vote_centres(
                    kind,
                    &x,
                    &cells,
                    (r0 as usize, c0 as usize),
                    (ny, nx),
                    &mut tally,
                    &mut got,
                );
                assert_eq!(got, want, "{kind:?} {x:?}");
                supported += want.iter().filter(|&&n| n > 0 && n != RULED_OUT).count();
                ruled_out += want.iter().filter(|&&n| n == RULED_OUT).count();
            }
        }
        assert!(
            supported > 10_000 && ruled_out > 10_000,
            "{supported} supported, {ruled_out} ruled out"
        );
    }

    /// The candidates, in the order their definition gives: reflections,
    /// turns, then translations sorted by (|dy| + |dx|, dy, dx).
    #[test]
    fn candidates_come_in_their_defined_order() {
        for h in 1..=12 {
            for w in 1..=12 {
                let mut got = Vec::new();
                candidate_syms(h, w, &mut got);
                let mut shifts = Vec::new();
                for dy in 0..h {
                    for dx in -(w - 1)..w {
                        if dy == 0 && dx <= 0 {
                            continue;
                        }
                        shifts.push((dy.abs() + dx.abs(), dy, dx));
                    }
                }
                shifts.sort_unstable();
                let first = got.iter().position(|s| matches!(s, Sym::Shift(..)));
                let first = first.unwrap_or(got.len());
                assert!(got[..first].iter().all(|s| !matches!(s, Sym::Shift(..))));
                let want: Vec<Sym> = shifts
                    .iter()
                    .map(|&(_, dy, dx)| Sym::Shift(dy, dx))
                    .collect();
                assert_eq!(got[first..], want[..], "{h}x{w}");
                let n = (2 * w - 3).max(0) + (2 * h - 3).max(0) + (h + w - 1) + (h + w - 3).max(0);
                assert_eq!(first as i32, n + 2 * 81, "{h}x{w}");
            }
        }
    }

    /// The row-by-row check answers as the cell-by-cell one does, for every
    /// candidate symmetry and translations in every direction, on periodic
    /// and symmetric grids with holes (where symmetries hold) and on random
    /// ones. Every twentieth grid is up to 30 x 30 and at least 17 wide or
    /// high, so that a row of the walk takes two words (of 16 and 8
    /// cells) and the views are full.
    #[test]
    fn symmetries_are_checked_as_cell_by_cell() {
        let mut rng = crate::rng::Rng::new(0x5ca1);
        let (mut held, mut turned, mut checked) = (0, 0, 0);
        let mut syms = Vec::new();
        let mut cache = Candidates::default();
        let mut views = Views::default();
        let mut counted = 0;
        for t in 0..900 {
            let big = t % 20 == 19;
            let (h, w) = if big {
                let (a, b) = (17 + rng.below(14), 1 + rng.below(30));
                if t % 40 == 19 {
                    (a, b)
                } else {
                    (b, a)
                }
            } else {
                (1 + rng.below(16), 1 + rng.below(16))
            };
            let mut x = random_grid(&mut rng, h, w);
            match t % 3 {
                0 => {
                    // A tiling of a small motif: many translations hold.
                    let (ph, pw) = (1 + rng.below(4), 1 + rng.below(4));
                    let motif = random_grid(&mut rng, ph, pw);
                    for i in 0..h {
                        for j in 0..w {
                            x.set(i, j, motif.get(i % ph, j % pw));
                        }
                    }
                }
                1 => {
                    // Symmetric under both mirrors and (when square) the
                    // transpose: reflections and turns hold.
                    for i in 0..h {
                        for j in 0..w {
                            let (a, b) = (i.min(h - 1 - i), j.min(w - 1 - j));
                            let (a, b) = if h == w { (a.min(b), a.max(b)) } else { (a, b) };
                            x.set(i, j, ((a * 7 + b * 3) % 10) as u8);
                        }
                    }
                }
                _ => {}
            }
            let c = rng.below(10) as u8;
            for k in 0..x.len() {
                if rng.chance(0.15) {
                    x.data_mut()[k] = c;
                }
            }
            let min_support = rng.below(6) as u32;
            let (h, w) = (h as i32, w as i32);
            candidate_syms(h, w, &mut syms);
            // The walks `repair` takes, from the cache (its size changes
            // from grid to grid), in the candidates' order.
            let cached = cache.of(h, w);
            views.fill(&x);
            assert!(cached.iter().map(|c| c.0).eq(syms.iter().copied()));
            for &(sym, walk) in cached {
                let want = consistent_cells(&x, c, sym, min_support);
                assert_eq!(
                    walk_consistent(&x, &views, c, &walk, min_support),
                    want,
                    "{sym:?} {x:?}"
                );
                // Both builds of the walk count the pairs exactly (the 64-bit
                // words of other CPUs too).
                if walk.n > 0 {
                    let (cells, images) = (views.view(0), views.view(walk.view));
                    let pairs = pairs_cells(&x, c, sym);
                    let words = walk_words(cells, images, x.w(), c, &walk);
                    assert_eq!(words, pairs, "{sym:?} {x:?}");
                    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
                    assert_eq!(walk_sse2(cells, images, x.w(), c, &walk), pairs);
                    counted += usize::from(pairs.is_some_and(|p| p > 0));
                }
            }
            if big {
                // The translations of every direction on the smaller grids.
                continue;
            }
            for dy in -h..=h {
                for dx in -w..=w {
                    syms.push(Sym::Shift(dy, dx));
                }
            }
            for &sym in &syms {
                let want = consistent_cells(&x, c, sym, min_support);
                assert_eq!(consistent(&x, c, sym, min_support), want, "{sym:?} {x:?}");
                held += usize::from(want);
                turned += usize::from(want && !matches!(sym, Sym::Shift(..)));
                checked += 1;
            }
        }
        assert!(held > 10_000, "symmetries held {held} times of {checked}");
        assert!(counted > 10_000, "pairs counted {counted} times");
        assert!(turned > 1_000, "reflections and turns held {turned} times");
    }
}
