//! Regions and objects (`DSL.md`, "Regions and objects"). WGSL twins:
//! `shaders/ops_region.wgsl`.

use super::bits::{self, Rows};
use super::layout::crop_to;
use super::pieces::CutKey;
use super::{split_part, Colors, Scratch};
use crate::grid::Grid;
use crate::lang::args::{Dir4, Logic, Selector};
use crate::lang::Op;

/// `fill_enclosed a b`: every b-cell that cannot reach the border through
/// 4-connected b-cells becomes a.
pub fn fill_enclosed(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (ca, cb) = (c.get(op.args[0]), c.get(op.args[1]));
    let (h, w) = (x.h(), x.w());
    // The b-cells and those of them that reach the border, as rows of
    // bits. They depend on the grid and b only: the search tries every a
    // for each (grid, b) in turn.
    let key = s.key_of(x, cb as u64);
    let at = match s.reach.find(key, x) {
        Some(at) => at,
        None => {
            let pass = bits::rows_eq(x, cb);
            let reach = bits::reach_border(&pass, h, w, false);
            s.reach.insert(key, x, pass, reach)
        }
    };
    let (pass, reach) = (&s.reach.pass[at], &s.reach.reach[at]);
    out.copy_from(x);
    paint_bits(out, |i| pass[i] & !reach[i], ca);
    true
}

/// Paints `ca` on the cells of the bits `rows(i)` of each row i of `out`.
#[inline]
fn paint_bits(out: &mut Grid, rows: impl Fn(usize) -> u32, ca: u8) {
    let w = out.w();
    for (i, row) in out.data_mut().chunks_exact_mut(w).enumerate() {
        let mut m = rows(i);
        while m != 0 {
            row[m.trailing_zeros() as usize] = ca;
            m &= m - 1;
        }
    }
}

/// `flood a b`: every b-cell connected to an a-cell through 4-connected
/// b-cells (a path of b-cells whose first cell is a 4-neighbour of an
/// a-cell) becomes a. Other cells keep their color; a = b leaves the grid
/// unchanged.
pub fn flood(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (ca, cb) = (c.get(op.args[0]), c.get(op.args[1]));
    let (h, w) = (x.h(), x.w());
    // Grown from the a-cells through a- and b-cells: the a-cells and the
    // b-cells that a path of b-cells joins to one.
    let (a, b) = (bits::rows_eq(x, ca), bits::rows_eq(x, cb));
    let mut pass = a;
    for (p, &m) in pass.iter_mut().zip(&b) {
        *p |= m;
    }
    let mut reach = a;
    bits::grow(&pass, &mut reach, h, w, false);
    out.copy_from(x);
    paint_bits(out, |i| reach[i] & b[i], ca);
    true
}

/// Recent reach maps of `fill_enclosed`, keyed by the grid and the color
/// b (`Scratch::key_of` with b as the seed; a hit also compares the
/// grid).
#[derive(Default)]
pub struct ReachCache {
    keys: Vec<u64>,
    grids: Vec<Grid>,
    /// The b-cells of each grid.
    pub pass: Vec<Rows>,
    /// Those that reach the border.
    pub reach: Vec<Rows>,
    next: usize,
}

/// Reach maps remembered.
const REACH_CACHE: usize = 16;

impl ReachCache {
    /// The entry of `key` and grid `x`, if remembered.
    fn find(&self, key: u64, x: &Grid) -> Option<usize> {
        (0..self.keys.len()).find(|&i| self.keys[i] == key && self.grids[i] == *x)
    }
    /// Remembers the maps of `key` and `x`; returns their entry.
    fn insert(&mut self, key: u64, x: &Grid, pass: Rows, reach: Rows) -> usize {
        if self.keys.len() < REACH_CACHE {
            self.keys.push(key);
            self.grids.push(x.clone());
            self.pass.push(pass);
            self.reach.push(reach);
            return self.keys.len() - 1;
        }
        let i = self.next;
        self.next = (self.next + 1) % REACH_CACHE;
        self.keys[i] = key;
        self.grids[i].copy_from(x);
        self.pass[i] = pass;
        self.reach[i] = reach;
        i
    }
}

/// Marks (`s.mark[k] = 1`) every cell of color `c` that reaches the border
/// through 4-connected (`eight` false) or 8-connected cells of color `c` (a
/// border cell of color `c` has reached it); the others get 0.
pub fn reach_border_by(x: &Grid, c: u8, eight: bool, s: &mut Scratch) {
    let (h, w) = (x.h(), x.w());
    let reach = bits::reach_border(&bits::rows_eq(x, c), h, w, eight);
    bits::to_bytes(&reach, h, w, &mut s.mark);
}

/// `halo a b`: every b-cell with an 8-neighbour (inside the grid) not of
/// color b becomes a.
pub fn halo(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (ca, cb) = (c.get(op.args[0]), c.get(op.args[1]));
    paint_touching(x, out, ca, cb, true);
    true
}

/// `out` = `x` with every cell of color `cb` that touches a cell not of
/// color `cb` (8-connected with `eight`, else 4-connected) painted `ca`.
/// Rows as bitmasks: bit j of `ne[i]` says cell (i, j) is not `cb`.
pub fn paint_touching(x: &Grid, out: &mut Grid, ca: u8, cb: u8, eight: bool) {
    let (h, w) = (x.h(), x.w());
    out.copy_from(x);
    let full = bits::full(w);
    let mut ne = bits::rows_eq(x, cb);
    for m in &mut ne[..h] {
        *m = !*m & full;
    }
    // Cells whose row neighbours (and, for `eight`, diagonals through the
    // rows above and below) are not cb.
    let side = |m: u32| (m << 1 | m >> 1) & full;
    let data = out.data_mut();
    for i in 0..h {
        let above = if i > 0 { ne[i - 1] } else { 0 };
        let below = if i + 1 < h { ne[i + 1] } else { 0 };
        let mut touch = side(ne[i]) | above | below;
        if eight {
            touch |= side(above) | side(below);
        }
        let mut paint = touch & !ne[i] & full;
        while paint != 0 {
            let j = paint.trailing_zeros() as usize;
            data[i * w + j] = ca;
            paint &= paint - 1;
        }
    }
}

/// `gravity dir b`: in each column (up/down) or row (left/right) the cells
/// not of color b slide towards dir, keeping their order; the rest become b.
pub fn gravity(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let dir = Dir4::from_arg(op.args[0]);
    let cb = Colors::of(x).get(op.args[1]);
    // Without a cell of color b nothing moves.
    if !x.data().contains(&cb) {
        out.copy_from(x);
        return true;
    }
    let (h, w) = (x.h(), x.w());
    out.resize(h, w);
    out.data_mut().fill(cb);
    // Branch-free: every cell is written at its line's next free place,
    // which moves on only past a cell not of color b (a b written there is
    // overwritten later, or is what the fill left).
    let (src, dst) = (x.data(), out.data_mut());
    match dir {
        Dir4::Up | Dir4::Down => {
            // Rows in the direction's order; per column, the index of its
            // next free place, which moves by a row (w) towards the far end.
            let mut next = [0usize; crate::grid::MAX_DIM];
            let up = dir == Dir4::Up;
            let start = if up { 0 } else { (h - 1) * w };
            for (j, k) in next[..w].iter_mut().enumerate() {
                *k = start + j;
            }
            let mut step = |row: &[u8]| {
                for (&v, k) in row.iter().zip(&mut next[..w]) {
                    dst[*k] = v;
                    let moved = if v != cb { w } else { 0 };
                    *k = if up {
                        *k + moved
                    } else {
                        k.wrapping_sub(moved)
                    };
                }
            };
            if up {
                src.chunks_exact(w).for_each(&mut step);
            } else {
                src.chunks_exact(w).rev().for_each(&mut step);
            }
        }
        Dir4::Left | Dir4::Right => {
            for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(w)) {
                let mut k = 0;
                if dir == Dir4::Left {
                    for &v in s {
                        d[k] = v;
                        k += usize::from(v != cb);
                    }
                } else {
                    for &v in s.iter().rev() {
                        d[w - 1 - k] = v;
                        k += usize::from(v != cb);
                    }
                }
            }
        }
    }
    true
}

/// `object sel b`: the grid cropped to the bounding box of the largest or
/// smallest 8-connected object of cells not of color b (ties: the object
/// whose first cell in row-major order comes first); INVALID if none.
pub fn object(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let smallest = Selector::from_arg(op.args[0]) == Selector::Smallest;
    let cb = Colors::of(x).get(op.args[1]);
    // Without a cell of color b, the whole grid is one object.
    if !x.data().contains(&cb) {
        out.copy_from(x);
        return true;
    }
    let pieces = &mut s.pieces;
    if !pieces.cut_by(x, CutKey::NotColor(cb)) {
        return false;
    }
    // Pieces come in the order of their first cell: a strict comparison
    // gives ties to the earlier object.
    let mut best = pieces.list[0];
    for p in &pieces.list[1..] {
        if (smallest && p.size < best.size) || (!smallest && p.size > best.size) {
            best = *p;
        }
    }
    crop_to(
        x,
        out,
        (
            best.r0 as usize,
            best.r1 as usize,
            best.c0 as usize,
            best.c1 as usize,
        ),
    )
}

/// `halves_h L a` / `halves_v L a`: A and B are the two halves (`split 2`);
/// out has A's size; a where L(A != 0, B != 0) holds, else 0.
fn halves(op: &Op, x: &Grid, out: &mut Grid, horizontal: bool) -> bool {
    let l = Logic::from_arg(op.args[0]);
    let ca = Colors::of(x).get(op.args[1]);
    let (h, w) = (x.h(), x.w());
    let len = if horizontal { w } else { h };
    let Some((p, off)) = split_part(len, 2, 1) else {
        return false;
    };
    let (oh, ow) = if horizontal { (h, p) } else { (p, w) };
    out.resize(oh, ow);
    // The color of each (A != 0, B != 0) case, looked up per cell.
    let table: [u8; 4] = std::array::from_fn(|k| {
        if l.eval(k & 2 != 0, k & 1 != 0) {
            ca
        } else {
            0
        }
    });
    let src = x.data();
    let dst = out.data_mut();
    for i in 0..oh {
        let a = &src[i * w..i * w + ow];
        let b = if horizontal {
            &src[i * w + off..i * w + off + ow]
        } else {
            &src[(i + off) * w..(i + off) * w + ow]
        };
        for ((o, &av), &bv) in dst[i * ow..(i + 1) * ow].iter_mut().zip(a).zip(b) {
            *o = table[usize::from(av != 0) << 1 | usize::from(bv != 0)];
        }
    }
    true
}

/// `halves_h L a`: left half A, right half B.
pub fn halves_h(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    halves(op, x, out, true)
}

/// `halves_v L a`: top half A, bottom half B.
pub fn halves_v(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    halves(op, x, out, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::random_grid_sized;
    use crate::lang::OpCode;

    /// Color arguments: every digit and the three tokens.
    const COLOR_ARGS: [i32; 13] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12];

    /// `gravity` against its definition line by line: the cells not of
    /// color b, in their order, at the line's end towards dir, then b.
    #[test]
    fn gravity_follows_its_definition() {
        let mut rng = crate::rng::Rng::new(0x6a7);
        let (mut out, mut s) = (Grid::default(), Scratch::default());
        for n in 0..2_000 {
            let x = random_grid_sized(&mut rng, 1, 12);
            let (h, w) = (x.h(), x.w());
            for d in 0..4 {
                for &b in &COLOR_ARGS {
                    let op = Op::new(OpCode::Gravity, &[d, b]);
                    assert!(gravity(&op, &x, &mut out, &mut s));
                    let cb = Colors::of(&x).get(b);
                    let dir = Dir4::from_arg(d);
                    let vertical = matches!(dir, Dir4::Up | Dir4::Down);
                    let (lines, len) = if vertical { (w, h) } else { (h, w) };
                    for l in 0..lines {
                        // Cell t of line l, counted from the side of dir.
                        let at = |t: usize| -> (usize, usize) {
                            match dir {
                                Dir4::Up => (t, l),
                                Dir4::Down => (h - 1 - t, l),
                                Dir4::Left => (l, t),
                                Dir4::Right => (l, w - 1 - t),
                            }
                        };
                        let moved: Vec<u8> = (0..len)
                            .map(|t| x.get(at(t).0, at(t).1))
                            .filter(|&v| v != cb)
                            .collect();
                        for t in 0..len {
                            let want = moved.get(t).copied().unwrap_or(cb);
                            let (i, j) = at(t);
                            assert_eq!(out.get(i, j), want, "#{n} `{op}` at ({i}, {j}) of {x:?}");
                        }
                    }
                }
            }
        }
    }

    /// `object` against its definition: 8-connected groups of cells not
    /// of color b found by a flood fill, the largest (smallest) by cells,
    /// ties to the group whose first cell comes first, cropped.
    #[test]
    fn object_follows_its_definition() {
        let mut rng = crate::rng::Rng::new(0x0b1);
        let (mut out, mut s) = (Grid::default(), Scratch::default());
        let mut absent = 0;
        for n in 0..2_000 {
            let x = random_grid_sized(&mut rng, 1, 12);
            let (h, w) = (x.h(), x.w());
            for &b in &COLOR_ARGS {
                let cb = Colors::of(&x).get(b);
                absent += usize::from(!x.data().contains(&cb));
                // Groups in the order of their first cell (raster order).
                let mut group = vec![usize::MAX; h * w];
                let mut groups: Vec<(usize, (usize, usize, usize, usize))> = Vec::new();
                for start in 0..h * w {
                    if group[start] != usize::MAX || x.data()[start] == cb {
                        continue;
                    }
                    let id = groups.len();
                    let (mut size, mut bbox) = (0, (h, 0, w, 0));
                    let mut todo = vec![start];
                    group[start] = id;
                    while let Some(k) = todo.pop() {
                        let (i, j) = (k / w, k % w);
                        size += 1;
                        bbox = (bbox.0.min(i), bbox.1.max(i), bbox.2.min(j), bbox.3.max(j));
                        for di in -1i32..=1 {
                            for dj in -1i32..=1 {
                                let (p, q) = (i as i32 + di, j as i32 + dj);
                                if p < 0 || q < 0 || p >= h as i32 || q >= w as i32 {
                                    continue;
                                }
                                let m = p as usize * w + q as usize;
                                if group[m] == usize::MAX && x.data()[m] != cb {
                                    group[m] = id;
                                    todo.push(m);
                                }
                            }
                        }
                    }
                    groups.push((size, bbox));
                }
                for sel in 0..2 {
                    let op = Op::new(OpCode::Object, &[sel, b]);
                    let got = object(&op, &x, &mut out, &mut s);
                    let best = if sel == Selector::Smallest.arg() {
                        groups.iter().min_by_key(|g| g.0)
                    } else {
                        // The first of the largest: max_by_key keeps the last.
                        groups.iter().rev().max_by_key(|g| g.0)
                    };
                    let Some(&(_, (r0, r1, c0, c1))) = best else {
                        assert!(!got, "#{n} `{op}` on {x:?}");
                        continue;
                    };
                    assert!(got, "#{n} `{op}` on {x:?}");
                    let mut want = Grid::default();
                    assert!(crop_to(&x, &mut want, (r0, r1, c0, c1)));
                    assert_eq!(out, want, "#{n} `{op}` on {x:?}");
                }
            }
        }
        assert!(absent > 1_000, "grids without color b: {absent}");
    }
}
