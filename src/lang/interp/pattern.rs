//! Patterns: outer products, panels laid over each other, and repair of a
//! color's cells from the grid's symmetries (`DSL.md`, "Patterns"). WGSL
//! twins: `shaders/ops_pattern.wgsl`.

use super::layout::{bbox_of, crop_to};
use super::{split_part, Colors, Scratch};
use crate::grid::Grid;
use crate::lang::args::{Dir4, Order, Outer, SymKind};
use crate::lang::{Op, SYM_MAX_CELLS};

/// `outer M`: (H*H) x (W*W) blocks; block (bi, bj) is, for `self`, the grid
/// where x[bi][bj] != 0 (else all 0); for `inv`, the grid where x[bi][bj]
/// == 0; for `color`, the grid's non-0 cells painted with x[bi][bj] (0
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

/// A candidate symmetry of `repair`, as a map of cells (see [`Sym::image`]).
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
/// translations by increasing length.
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
    out.extend(shifts.into_iter().map(|(_, dy, dx)| Sym::Shift(dy, dx)));
}

/// Whether `sym` maps every known cell (not of color `c`) whose image is
/// inside the grid and known onto a cell of the same color, with at least
/// `min_support` such pairs.
pub fn consistent(x: &Grid, c: u8, sym: Sym, min_support: u32) -> bool {
    match sym {
        Sym::Shift(dy, dx) => consistent_shift(x, c, dy, dx, min_support),
        _ => consistent_cells(x, c, sym, min_support),
    }
}

/// [`consistent`] for the translation by (dy, dx): the overlap of the grid
/// and its translate, row against row (the pairs are the same as
/// [`consistent_cells`]' and the answer too; the loop only visits cells
/// whose image is inside the grid, and the compiler vectorizes it).
fn consistent_shift(x: &Grid, c: u8, dy: i32, dx: i32, min_support: u32) -> bool {
    let (h, w) = (x.h() as i32, x.w() as i32);
    let (i0, i1) = ((-dy).max(0), (h - dy).min(h));
    let (j0, j1) = ((-dx).max(0), (w - dx).min(w));
    if i0 >= i1 || j0 >= j1 {
        return min_support == 0;
    }
    let (j0, j1) = (j0 as usize, j1 as usize);
    let shift = dx as isize;
    let mut support = 0;
    for i in i0..i1 {
        let a = &x.row(i as usize)[j0..j1];
        let b = &x.row((i + dy) as usize)
            [(j0 as isize + shift) as usize..(j1 as isize + shift) as usize];
        let (mut bad, mut same) = (false, 0u32);
        for (&v, &u) in a.iter().zip(b) {
            let known = v != c && u != c;
            bad |= known && u != v;
            same += u32::from(known && u == v);
        }
        if bad {
            return false;
        }
        support += same;
    }
    support >= min_support
}

/// [`consistent`], cell by cell.
fn consistent_cells(x: &Grid, c: u8, sym: Sym, min_support: u32) -> bool {
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
                return false;
            }
            support += 1;
        }
    }
    support >= min_support
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
    let Scratch { syms, .. } = s;
    candidate_syms(h as i32, w as i32, syms);
    syms.retain(|&sym| consistent(x, c, sym, min_support));
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
    // Support per centre; RULED_OUT once a pair conflicts (only the
    // centres of this figure's box are cleared).
    const RULED_OUT: u32 = u32::MAX;
    let support = &mut s.values;
    support.clear();
    support.resize(ny * nx, 0);
    let cells = &cells[..n];
    // One vote of weight 2 per unordered pair and centre: an involution
    // (mirror, half turn) sends a to b exactly where it sends b to a, and
    // the quarter turn clockwise sends a to b where the counter-clockwise
    // one sends b to a.
    let mut vote = |cy2: i32, cx2: i32, same: bool| {
        let (ty, tx) = (cy2 - y0, cx2 - x0);
        if ty < 0 || tx < 0 || ty as usize >= ny || tx as usize >= nx {
            return;
        }
        let t = &mut support[ty as usize * nx + tx as usize];
        // Without a branch: RULED_OUT (the largest u32) stays put when
        // added to (supports stay far below it: at most 2 per pair).
        *t = if same { t.saturating_add(2) } else { RULED_OUT };
    };
    for (a, &(ia, ja, ca)) in cells.iter().enumerate() {
        for &(ib, jb, cb) in &cells[a + 1..] {
            let same = ca == cb;
            match kind {
                SymKind::H => {
                    // Cells are in row-major order: the row's pairs end here.
                    if ib != ia {
                        break;
                    }
                    vote(y0, ja + jb, same);
                }
                SymKind::V => {
                    if jb == ja {
                        vote(ia + ib, x0, same);
                    }
                }
                SymKind::R2 => vote(ia + ib, ja + jb, same),
                SymKind::R4 => {
                    if (ia + ib + ja + jb) % 2 == 0 {
                        vote(ia + ib, ja + jb, same);
                    }
                    vote(ib - ja + jb + ia, jb + ia - ib + ja, same);
                    vote(ia - jb + ja + ib, ja + ib - ia + jb, same);
                }
            }
        }
    }
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

    /// The row-against-row check of translations answers as the cell-by-cell
    /// one does, on periodic grids with holes (where translations hold) and
    /// on random ones.
    #[test]
    fn translations_are_checked_as_cell_by_cell() {
        let mut rng = crate::rng::Rng::new(0x5ca1);
        let mut held = 0;
        for t in 0..1500 {
            let (h, w) = (1 + rng.below(16), 1 + rng.below(16));
            let mut x = random_grid(&mut rng, h, w);
            if t % 2 == 0 {
                // A tiling of a small motif: many translations hold.
                let (ph, pw) = (1 + rng.below(4), 1 + rng.below(4));
                let motif = random_grid(&mut rng, ph, pw);
                for i in 0..h {
                    for j in 0..w {
                        x.set(i, j, motif.get(i % ph, j % pw));
                    }
                }
            }
            let c = rng.below(10) as u8;
            for k in 0..x.len() {
                if rng.chance(0.15) {
                    x.data_mut()[k] = c;
                }
            }
            let min_support = rng.below(6) as u32;
            let (h, w) = (h as i32, w as i32);
            for dy in -h..=h {
                for dx in -w..=w {
                    let sym = Sym::Shift(dy, dx);
                    let want = consistent_cells(&x, c, sym, min_support);
                    assert_eq!(consistent(&x, c, sym, min_support), want, "{sym:?} {x:?}");
                    held += usize::from(want);
                }
            }
        }
        assert!(held > 10_000, "translations held {held} times");
    }
}
