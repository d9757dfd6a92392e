//! Shapes, frames, compression, spreading and counts (`DSL.md`, "Shapes"
//! and "Counts"). Color 0 is the background. WGSL twins:
//! `shaders/ops_shapes.wgsl`.

use super::bits;
use super::pieces::{count_of, NONE};
use super::region::{paint_touching, reach_border_by};
use super::{gather, Colors, Scratch};
use crate::grid::Grid;
use crate::lang::args::{Count, Shape, Split};
use crate::lang::Op;

/// Keeps the non-0 cells on the shapes' border (`keep_border`), or those
/// not on it: a non-0 cell is on it when it is on the grid's border or
/// 8-adjacent to an outside cell (a 0-cell on the grid's border, or
/// 8-connected to one through 0-cells). Every other cell becomes 0.
fn border_or_interior(x: &Grid, out: &mut Grid, keep_border: bool) -> bool {
    let (h, w) = (x.h(), x.w());
    let full = bits::full(w);
    let zero = bits::rows_eq(x, 0);
    let outside = bits::reach_border(&zero, h, w, true);
    let edges = 1 | 1u32 << (w - 1);
    out.copy_from(x);
    for (i, row) in out.data_mut().chunks_exact_mut(w).enumerate() {
        let mut near = bits::sides(outside[i], full);
        if i > 0 {
            near |= bits::sides(outside[i - 1], full);
        }
        if i + 1 < h {
            near |= bits::sides(outside[i + 1], full);
        }
        let on_border = if i == 0 || i + 1 == h {
            full
        } else {
            near | edges
        };
        let keep = !zero[i] & if keep_border { on_border } else { !on_border } & full;
        for (j, d) in row.iter_mut().enumerate() {
            if keep >> j & 1 == 0 {
                *d = 0;
            }
        }
    }
    true
}

/// `border`: the non-0 cells on the shapes' border (on the grid's border or
/// 8-adjacent to a 0-cell 8-connected to the grid's border through
/// 0-cells) keep their color; every other cell becomes 0.
pub fn border(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    border_or_interior(x, out, true)
}

/// `interior`: the non-0 cells not on the shapes' border keep their color;
/// every other cell becomes 0.
pub fn interior(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    border_or_interior(x, out, false)
}

/// `fill_holes`: every 4-connected region of 0-cells that does not reach
/// the border takes the color most frequent over the pairs (region cell,
/// 4-adjacent non-0 cell) (ties: the smaller color).
pub fn fill_holes(_: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let n = h * w;
    reach_border_by(x, 0, false, s);
    out.copy_from(x);
    let src = x.data();
    // Flood each enclosed region (mark 0 and still 0 in out), counting the
    // colors around it, then paint it.
    let mut region: Vec<u16> = Vec::new();
    for start in 0..n {
        if src[start] != 0 || s.mark[start] != 0 {
            continue;
        }
        region.clear();
        let mut around = [0u32; 10];
        s.mark[start] = 2;
        region.push(start as u16);
        let mut at = 0;
        while at < region.len() {
            let k = region[at] as usize;
            at += 1;
            let (i, j) = (k / w, k % w);
            let mut visit = |nk: usize, region: &mut Vec<u16>| {
                if src[nk] != 0 {
                    around[src[nk] as usize] += 1;
                } else if s.mark[nk] == 0 {
                    s.mark[nk] = 2;
                    region.push(nk as u16);
                }
            };
            if i > 0 {
                visit(k - w, &mut region);
            }
            if i + 1 < h {
                visit(k + w, &mut region);
            }
            if j > 0 {
                visit(k - 1, &mut region);
            }
            if j + 1 < w {
                visit(k + 1, &mut region);
            }
        }
        let c = (1..10)
            .max_by_key(|&c| (around[c], std::cmp::Reverse(c)))
            .unwrap_or(0);
        if around[c] > 0 {
            for &k in &region {
                out.data_mut()[k as usize] = c as u8;
            }
        }
    }
    true
}

/// The most frequent non-0 color of cells selected by `keep` (ties: the
/// smaller color), or None.
fn majority_where(x: &Grid, keep: impl Fn(usize) -> bool) -> Option<u8> {
    let mut hist = [0u32; 10];
    for (k, &v) in x.data().iter().enumerate() {
        if v != 0 && keep(k) {
            hist[v as usize] += 1;
        }
    }
    nonzero_majority(&hist)
}

/// The most frequent non-0 color of a histogram (ties: the smaller color),
/// or None when it counts no non-0 cell.
pub(super) fn nonzero_majority(hist: &[u32; 10]) -> Option<u8> {
    let c = (1..10).max_by_key(|&c| (hist[c], std::cmp::Reverse(c)))?;
    (hist[c] > 0).then_some(c as u8)
}

/// `bbox_fill`: for each 8-connected object of non-0 cells, in order of its
/// first cell, the 0-cells of its bounding box not yet filled take the
/// object's most frequent color (ties: the smaller color).
pub fn bbox_fill(_: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    out.copy_from(x);
    let pieces = &mut s.pieces;
    if !pieces.cut(x, Split::Obj) {
        return true;
    }
    let w = x.w();
    for (id, p) in pieces.list.iter().enumerate() {
        let (rows, cols) = (p.r0 as usize..=p.r1 as usize, p.c0 as usize..=p.c1 as usize);
        // A piece of one color (the usual case) has it as its majority;
        // otherwise its cells are counted within its box.
        let c = if p.colors.count_ones() == 1 && p.colors & 1 == 0 {
            p.colors.trailing_zeros() as u8
        } else {
            let mut hist = [0u32; 10];
            for i in rows.clone() {
                let (r, l) = (
                    &x.row(i)[cols.clone()],
                    &pieces.label[i * w..(i + 1) * w][cols.clone()],
                );
                for (&v, &l) in r.iter().zip(l) {
                    hist[v as usize] += u32::from(l == id as u16);
                }
            }
            hist[0] = 0;
            match nonzero_majority(&hist) {
                Some(c) => c,
                None => continue,
            }
        };
        for i in rows {
            for o in &mut out.row_mut(i)[cols.clone()] {
                *o = if *o == 0 { c } else { *o };
            }
        }
    }
    true
}

/// `color_boxes`: every 0-cell inside the bounding box of the cells of a
/// non-0 color c takes c; inside several such boxes, the smallest c.
pub fn color_boxes(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let h = x.h();
    // (r0, c0, r1, c1) per color; r0 > r1 while the color is absent.
    let mut boxes = [(usize::MAX, usize::MAX, 0usize, 0usize); 10];
    for i in 0..h {
        for (j, &v) in x.row(i).iter().enumerate() {
            if v != 0 {
                let b = &mut boxes[v as usize];
                *b = (b.0.min(i), b.1.min(j), b.2.max(i), b.3.max(j));
            }
        }
    }
    out.copy_from(x);
    // Larger colors first, so that the smallest color's box is written last.
    for c in (1..10u8).rev() {
        let (r0, c0, r1, c1) = boxes[c as usize];
        if r0 > r1 {
            continue;
        }
        for i in r0..=r1 {
            let o = &mut out.row_mut(i)[c0..=c1];
            for (o, &v) in o.iter_mut().zip(&x.row(i)[c0..=c1]) {
                *o = if v == 0 { c } else { *o };
            }
        }
    }
    true
}

/// `halo4 a b`: every b-cell with a 4-neighbour (inside the grid) not of
/// color b becomes a.
pub fn halo4(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (ca, cb) = (c.get(op.args[0]), c.get(op.args[1]));
    paint_touching(x, out, ca, cb, false);
    true
}

/// `frame c`: the grid inside a one-cell frame of color c, (H+2) x (W+2).
pub fn frame(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[0]);
    let (h, w) = (x.h(), x.w());
    if !out.resize(h + 2, w + 2) {
        return false;
    }
    out.data_mut().fill(c);
    for i in 0..h {
        for j in 0..w {
            out.set(i + 1, j + 1, x.get(i, j));
        }
    }
    true
}

/// `compress c`: the grid without its rows and columns made only of color
/// c; INVALID when nothing is left.
pub fn compress(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[0]);
    let (h, w) = (x.h(), x.w());
    let mut rows = [0usize; 30];
    let mut cols = [0usize; 30];
    let mut nr = 0;
    let mut nc = 0;
    for i in 0..h {
        if x.row(i).iter().any(|&v| v != c) {
            rows[nr] = i;
            nr += 1;
        }
    }
    for j in 0..w {
        if (0..h).any(|i| x.get(i, j) != c) {
            cols[nc] = j;
            nc += 1;
        }
    }
    if nr == 0 || nc == 0 {
        return false;
    }
    gather(x, out, nr, nc, |i, j| rows[i] * w + cols[j])
}

/// `dedup`: keeps the first row of every run of equal adjacent rows and the
/// first column of every run of equal adjacent columns (judged on the
/// input).
pub fn dedup(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let mut rows = [0usize; 30];
    let mut cols = [0usize; 30];
    let mut nr = 0;
    let mut nc = 0;
    for i in 0..h {
        if i == 0 || x.row(i) != x.row(i - 1) {
            rows[nr] = i;
            nr += 1;
        }
    }
    for j in 0..w {
        if j == 0 || (0..h).any(|i| x.get(i, j) != x.get(i, j - 1)) {
            cols[nc] = j;
            nc += 1;
        }
    }
    gather(x, out, nr, nc, |i, j| rows[i] * w + cols[j])
}

/// `spread`: every 0-cell takes the color of the non-0 cell nearest to it
/// along 4-connected paths through 0-cells (ties: the non-0 cell first in
/// row-major order); a grid without non-0 cells is unchanged.
pub fn spread(_: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let n = h * w;
    let src = x.data();
    out.copy_from(x);
    // claim[k]: the source (row-major index) claiming cell k; dist[k]: the
    // layer that reached it.
    let Scratch {
        stack,
        aux,
        order: frontier,
        queue: next,
        ..
    } = s;
    let claim = &mut stack[..n];
    let dist = &mut aux[..n];
    frontier.clear();
    for k in 0..n {
        if src[k] != 0 {
            claim[k] = k as u16;
            dist[k] = 0;
            frontier.push(k as u16);
        } else {
            claim[k] = NONE;
            dist[k] = NONE;
        }
    }
    let mut layer = 0u16;
    while !frontier.is_empty() {
        layer += 1;
        next.clear();
        // Cells reached in this layer take the smallest source among their
        // neighbours of the previous layer.
        for &f in frontier.iter() {
            let f = f as usize;
            let (i, j) = (f / w, f % w);
            let sf = claim[f];
            let mut offer = |nk: usize, next: &mut Vec<u16>| {
                if src[nk] != 0 {
                    return;
                }
                if dist[nk] == NONE {
                    dist[nk] = layer;
                    claim[nk] = sf;
                    next.push(nk as u16);
                } else if dist[nk] == layer && sf < claim[nk] {
                    claim[nk] = sf;
                }
            };
            if i > 0 {
                offer(f - w, next);
            }
            if i + 1 < h {
                offer(f + w, next);
            }
            if j > 0 {
                offer(f - 1, next);
            }
            if j + 1 < w {
                offer(f + 1, next);
            }
        }
        std::mem::swap(frontier, next);
    }
    for k in 0..n {
        if claim[k] != NONE {
            out.data_mut()[k] = src[claim[k] as usize];
        }
    }
    true
}

/// `majority`: the 1 x 1 grid of the most frequent non-0 color (ties: the
/// smaller color); INVALID without non-0 cells.
pub fn majority(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    match majority_where(x, |_| true) {
        Some(c) => {
            out.resize(1, 1);
            out.set(0, 0, c);
            true
        }
        None => false,
    }
}

/// `palette`: the N x 1 column of the N non-0 colors present, the most
/// frequent first (ties: the smaller color); INVALID without non-0 cells.
pub fn palette(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let counts = x.histogram();
    let mut colors = [0u8; 9];
    let mut n = 0;
    for c in 1..10u8 {
        if counts[c as usize] > 0 {
            colors[n] = c;
            n += 1;
        }
    }
    if n == 0 {
        return false;
    }
    let colors = &mut colors[..n];
    colors.sort_by_key(|&c| (std::cmp::Reverse(counts[c as usize]), c));
    out.resize(n, 1);
    for (i, &c) in colors.iter().enumerate() {
        out.set(i, 0, c);
    }
    true
}

/// `count N S`: a block of the most frequent non-0 color, N x N (square),
/// 1 x N (row) or N x 1 (col), where N is the number of non-0 cells,
/// non-0 colors or 8-connected objects; INVALID when N is 0 or the block
/// is larger than 30.
pub fn count(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (what, shape) = (Count::from_arg(op.args[0]), Shape::from_arg(op.args[1]));
    let n = count_of(x, what, &mut s.pieces);
    let Some(c) = majority_where(x, |_| true) else {
        return false;
    };
    let (oh, ow) = match shape {
        Shape::Square => (n, n),
        Shape::Row => (1, n),
        Shape::Col => (n, 1),
    };
    if !out.resize(oh, ow) {
        return false;
    }
    out.data_mut().fill(c);
    true
}

/// `upscale_by N`: every cell becomes an N x N block, N as in `count`;
/// INVALID when N is 0 or the result is larger than 30.
pub fn upscale_by(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let k = count_of(x, Count::from_arg(op.args[0]), &mut s.pieces);
    if k == 0 {
        return false;
    }
    let (h, w) = (x.h(), x.w());
    if !out.resize(h * k, w * k) {
        return false;
    }
    // Each source row is widened once, then repeated k times.
    let ow = w * k;
    for (rows, s) in out
        .data_mut()
        .chunks_exact_mut(ow * k)
        .zip(x.data().chunks_exact(w))
    {
        let (first, rest) = rows.split_at_mut(ow);
        for (d, v) in first
            .iter_mut()
            .zip(s.iter().flat_map(|&v| std::iter::repeat_n(v, k)))
        {
            *d = v;
        }
        for r in rest.chunks_exact_mut(ow) {
            r.copy_from_slice(first);
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::random_grid_sized;

    /// `color_boxes` and `bbox_fill` against their definitions: a 0-cell of
    /// `color_boxes` takes the smallest color whose cells' bounding box
    /// holds it; `bbox_fill` fills, object after object (8-connected, in
    /// order of first cell), the 0-cells of the object's box still 0 with
    /// the object's most frequent color over the whole grid's cells of it.
    #[test]
    fn box_fills_follow_their_definitions() {
        let mut rng = crate::rng::Rng::new(0xb0f1);
        let mut out = Grid::default();
        let mut s = Scratch::default();
        let mut pieces = crate::lang::interp::pieces::Pieces::default();
        for n in 0..3_000 {
            let mut x = random_grid_sized(&mut rng, 1, 12);
            if n % 2 == 0 {
                for v in x.data_mut() {
                    if rng.chance(0.6) {
                        *v = 0;
                    }
                }
            }
            let (h, w) = (x.h(), x.w());
            assert!(color_boxes(
                &Op::new(crate::lang::OpCode::ColorBoxes, &[]),
                &x,
                &mut out,
                &mut s
            ));
            for i in 0..h {
                for j in 0..w {
                    let inside = |c: u8| {
                        let cells = (0..h * w).filter(|&k| x.data()[k] == c);
                        let (mut r0, mut r1, mut c0, mut c1) = (h, 0, w, 0);
                        let mut any = false;
                        for k in cells {
                            any = true;
                            (r0, r1) = (r0.min(k / w), r1.max(k / w));
                            (c0, c1) = (c0.min(k % w), c1.max(k % w));
                        }
                        any && (r0..=r1).contains(&i) && (c0..=c1).contains(&j)
                    };
                    let want = match x.get(i, j) {
                        0 => (1..10).find(|&c| inside(c)).unwrap_or(0),
                        v => v,
                    };
                    assert_eq!(
                        out.get(i, j),
                        want,
                        "#{n} color_boxes at ({i}, {j}) of {x:?}"
                    );
                }
            }
            assert!(bbox_fill(
                &Op::new(crate::lang::OpCode::BboxFill, &[]),
                &x,
                &mut out,
                &mut s
            ));
            let mut want = x.clone();
            if pieces.cut(&x, Split::Obj) {
                for (id, p) in pieces.list.iter().enumerate() {
                    let Some(c) = majority_where(&x, |k| pieces.label[k] == id as u16) else {
                        continue;
                    };
                    for i in p.r0 as usize..=p.r1 as usize {
                        for j in p.c0 as usize..=p.c1 as usize {
                            if want.get(i, j) == 0 {
                                want.set(i, j, c);
                            }
                        }
                    }
                }
            }
            assert_eq!(out, want, "#{n} bbox_fill of {x:?}");
        }
    }
}
