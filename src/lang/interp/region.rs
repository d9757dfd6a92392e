//! Regions and objects (`DSL.md`, "Regions and objects"). WGSL twins:
//! `shaders/ops_region.wgsl`.

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
    let src = x.data();
    reach_border(x, |v| v == cb, s);
    out.resize(h, w);
    for (k, d) in out.data_mut().iter_mut().enumerate() {
        let v = src[k];
        *d = if v == cb && s.mark[k] == 0 { ca } else { v };
    }
    true
}

/// Marks (`s.mark[k] = 1`) every cell selected by `pass` that reaches the
/// border through 4-connected selected cells (a selected border cell has
/// reached it); the others get 0.
pub fn reach_border(x: &Grid, pass: impl Fn(u8) -> bool, s: &mut Scratch) {
    reach_border_by(x, pass, false, s);
}

/// [`reach_border`] through 4-connected (`eight` false) or 8-connected
/// selected cells.
pub fn reach_border_by(x: &Grid, pass: impl Fn(u8) -> bool, eight: bool, s: &mut Scratch) {
    let (h, w) = (x.h(), x.w());
    let src = x.data();
    let mark = &mut s.mark[..h * w];
    mark.fill(0);
    let mut top = 0usize;
    for i in 0..h {
        for j in 0..w {
            let k = i * w + j;
            if (i == 0 || j == 0 || i == h - 1 || j == w - 1) && pass(src[k]) && mark[k] == 0 {
                mark[k] = 1;
                s.stack[top] = k as u16;
                top += 1;
            }
        }
    }
    while top > 0 {
        top -= 1;
        let k = s.stack[top] as usize;
        let (i, j) = (k / w, k % w);
        let mut visit = |nk: usize| {
            if mark[nk] == 0 && pass(src[nk]) {
                mark[nk] = 1;
                s.stack[top] = nk as u16;
                top += 1;
            }
        };
        let (up, down, left, right) = (i > 0, i + 1 < h, j > 0, j + 1 < w);
        if up {
            visit(k - w);
        }
        if down {
            visit(k + w);
        }
        if left {
            visit(k - 1);
        }
        if right {
            visit(k + 1);
        }
        if eight {
            if up && left {
                visit(k - w - 1);
            }
            if up && right {
                visit(k - w + 1);
            }
            if down && left {
                visit(k + w - 1);
            }
            if down && right {
                visit(k + w + 1);
            }
        }
    }
}

/// `halo a b`: every b-cell with an 8-neighbour (inside the grid) not of
/// color b becomes a.
pub fn halo(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (ca, cb) = (c.get(op.args[0]), c.get(op.args[1]));
    let (h, w) = (x.h(), x.w());
    out.copy_from(x);
    for i in 0..h {
        for j in 0..w {
            if x.get(i, j) != cb {
                continue;
            }
            let mut touch = false;
            for di in -1isize..=1 {
                for dj in -1isize..=1 {
                    let (ni, nj) = (i as isize + di, j as isize + dj);
                    if (di, dj) != (0, 0)
                        && ni >= 0
                        && nj >= 0
                        && (ni as usize) < h
                        && (nj as usize) < w
                        && x.get(ni as usize, nj as usize) != cb
                    {
                        touch = true;
                    }
                }
            }
            if touch {
                out.set(i, j, ca);
            }
        }
    }
    true
}

/// `gravity dir b`: in each column (up/down) or row (left/right) the cells
/// not of color b slide towards dir, keeping their order; the rest become b.
pub fn gravity(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let dir = Dir4::from_arg(op.args[0]);
    let cb = Colors::of(x).get(op.args[1]);
    let (h, w) = (x.h(), x.w());
    out.resize(h, w);
    out.data_mut().fill(cb);
    match dir {
        Dir4::Up | Dir4::Down => {
            for j in 0..w {
                let mut k = 0;
                if dir == Dir4::Up {
                    for i in 0..h {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(k, j, v);
                            k += 1;
                        }
                    }
                } else {
                    for i in (0..h).rev() {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(h - 1 - k, j, v);
                            k += 1;
                        }
                    }
                }
            }
        }
        Dir4::Left | Dir4::Right => {
            for i in 0..h {
                let mut k = 0;
                if dir == Dir4::Left {
                    for j in 0..w {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(i, k, v);
                            k += 1;
                        }
                    }
                } else {
                    for j in (0..w).rev() {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(i, w - 1 - k, v);
                            k += 1;
                        }
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
    for i in 0..oh {
        for j in 0..ow {
            let av = x.get(i, j) != 0;
            let bv = if horizontal {
                x.get(i, j + off)
            } else {
                x.get(i + off, j)
            } != 0;
            out.set(i, j, if l.eval(av, bv) { ca } else { 0 });
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
