//! Rays and lines (`DSL.md`, "Lines"). Color 0 is the background. WGSL
//! twins: `shaders/ops_lines.wgsl`.

use super::Scratch;
use crate::grid::Grid;
use crate::lang::args::{Axes, SmearDir};
use crate::lang::Op;

/// The first non-0 cell met walking from (i, j) by steps (-dy, -dx),
/// (i, j) excluded: its color, or 0 when the border comes first.
#[inline(always)]
pub fn first_behind(x: &Grid, i: usize, j: usize, dy: i32, dx: i32) -> u8 {
    let (h, w) = (x.h() as i32, x.w() as i32);
    let (mut a, mut b) = (i as i32 - dy, j as i32 - dx);
    while a >= 0 && b >= 0 && a < h && b < w {
        let v = x.get(a as usize, b as usize);
        if v != 0 {
            return v;
        }
        a -= dy;
        b -= dx;
    }
    0
}

/// `smear D`: every 0-cell takes the color of the nearest non-0 cell behind
/// it along the first direction of D (in D's priority order) that has one;
/// non-0 cells keep their color.
pub fn smear(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let dirs = SmearDir::from_arg(op.args[0]).dirs();
    let (h, w) = (x.h(), x.w());
    out.copy_from(x);
    let src = x.data();
    let dst = out.data_mut();
    // One sweep per direction, lowest priority first, each carrying the
    // last non-0 color along its lines: a higher-priority hit overwrites.
    for &(dy, dx) in dirs.iter().rev() {
        match (dy, dx) {
            // Along rows and columns the cells are walked directly (the
            // same walk as `for_each_line`'s, without its index lists).
            (0, 1) | (0, -1) => {
                for (s, d) in src.chunks_exact(w).zip(dst.chunks_exact_mut(w)) {
                    let mut c = 0u8;
                    let mut step = |j: usize| {
                        let v = s[j];
                        if v != 0 {
                            c = v;
                        } else if c != 0 {
                            d[j] = c;
                        }
                    };
                    if dx == 1 {
                        (0..w).for_each(&mut step);
                    } else {
                        (0..w).rev().for_each(&mut step);
                    }
                }
            }
            (1, 0) | (-1, 0) => {
                // Every column at once, one row at a time: `carry` holds
                // each column's last non-0 color.
                let mut carry = [0u8; crate::grid::MAX_DIM];
                let carry = &mut carry[..w];
                let mut step = |i: usize| {
                    let (s, d) = (&src[i * w..(i + 1) * w], &mut dst[i * w..(i + 1) * w]);
                    for ((c, &v), o) in carry.iter_mut().zip(s).zip(d) {
                        if v != 0 {
                            *c = v;
                        } else if *c != 0 {
                            *o = *c;
                        }
                    }
                };
                if dy == 1 {
                    (0..h).for_each(&mut step);
                } else {
                    (0..h).rev().for_each(&mut step);
                }
            }
            (1, 1) | (1, -1) | (-1, 1) | (-1, -1) => {
                // Diagonals, one row at a time: `carry[1 + j]` holds the
                // last non-0 color of the diagonal through column j of the
                // row just walked; the cell behind (i, j) is (i - dy, j - dx).
                let mut carry = [0u8; crate::grid::MAX_DIM + 2];
                let mut next = [0u8; crate::grid::MAX_DIM + 2];
                let mut step = |i: usize| {
                    let (s, d) = (&src[i * w..(i + 1) * w], &mut dst[i * w..(i + 1) * w]);
                    // carry[1 + j] is column j; carry[0] and carry[w + 1]
                    // stay 0 (outside the grid).
                    let behind = if dx == 1 {
                        &carry[..w]
                    } else {
                        &carry[2..w + 2]
                    };
                    for (((n, &v), o), &b) in next[1..w + 1].iter_mut().zip(s).zip(d).zip(behind) {
                        if v != 0 {
                            *n = v;
                        } else {
                            *n = b;
                            if b != 0 {
                                *o = b;
                            }
                        }
                    }
                    std::mem::swap(&mut carry, &mut next);
                };
                if dy == 1 {
                    (0..h).for_each(&mut step);
                } else {
                    (0..h).rev().for_each(&mut step);
                }
            }
            _ => for_each_line(h, w, dy, dx, |line| {
                let mut c = 0u8;
                for &k in line {
                    let v = src[k as usize];
                    if v != 0 {
                        c = v;
                    } else if c != 0 {
                        dst[k as usize] = c;
                    }
                }
            }),
        }
    }
    true
}

/// Calls `f` with the cells (row-major indices, in walking order) of every
/// line of an h x w grid in direction (dy, dx): each line starts at a cell
/// whose previous cell is outside the grid.
#[inline]
pub fn for_each_line(h: usize, w: usize, dy: i32, dx: i32, mut f: impl FnMut(&[u16])) {
    // The starts below are those of unit steps.
    debug_assert!(dy.abs() <= 1 && dx.abs() <= 1 && (dy, dx) != (0, 0));
    let mut buf = [0u16; 30];
    let mut walk = |si: usize, sj: usize| {
        let (mut i, mut j) = (si as i32, sj as i32);
        let mut n = 0;
        while i >= 0 && j >= 0 && (i as usize) < h && (j as usize) < w {
            buf[n] = (i as usize * w + j as usize) as u16;
            n += 1;
            i += dy;
            j += dx;
        }
        f(&buf[..n]);
    };
    // The starts, row-major: a whole row where the step leaves the grid
    // vertically, else the first or last cell of the row (or none).
    for si in 0..h {
        if (dy == 1 && si == 0) || (dy == -1 && si + 1 == h) {
            for sj in 0..w {
                walk(si, sj);
            }
        } else if dx == 1 {
            walk(si, 0);
        } else if dx == -1 {
            walk(si, w - 1);
        }
    }
}

/// `connect A`: along each axis of A (in priority order), the 0-cells
/// between two cells of the same non-0 color with only 0-cells between them
/// take that color; a cell filled by an earlier axis keeps its color.
///
/// One row-major pass per axis: every axis steps forward in row-major
/// order (right, down, down-right, down-left), so the pass meets each
/// line's cells in walking order and keeps, per line, its last non-0 cell.
/// A filled cell was a 0-cell and holds a non-0 color, so "filled by an
/// earlier axis" is "non-0 in `out`".
pub fn connect(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let dirs = Axes::from_arg(op.args[0]).dirs();
    let (h, w) = (x.h(), x.w());
    out.copy_from(x);
    let src = x.data();
    let dst = out.data_mut();
    for &(dy, dx) in dirs {
        // The line through (i, j) is line(i, j); a step along it moves
        // `stride` cells.
        match (dy, dx) {
            (0, 1) => connect_lines(src, dst, w, 1, |i, _| i),
            (1, 0) => connect_lines(src, dst, w, w, |_, j| j),
            (1, 1) => connect_lines(src, dst, w, w + 1, |i, j| j + h - 1 - i),
            (1, -1) => connect_lines(src, dst, w, w - 1, |i, j| i + j),
            _ => unreachable!("connect's axes step right, down, down-right or down-left"),
        }
    }
    true
}

/// [`connect`] along one axis: `line(i, j)` names the line through (i, j)
/// (below 2 MAX_DIM), `stride` is the step between its cells.
#[inline(always)]
fn connect_lines(
    src: &[u8],
    dst: &mut [u8],
    w: usize,
    stride: usize,
    line: impl Fn(usize, usize) -> usize,
) {
    // Per line: the color and index of its last non-0 cell (color 0: none
    // yet).
    let mut last = [(0u8, 0usize); 2 * crate::grid::MAX_DIM];
    for (i, row) in src.chunks_exact(w).enumerate() {
        for (j, &v) in row.iter().enumerate() {
            if v == 0 {
                continue;
            }
            let k = i * w + j;
            let l = &mut last[line(i, j)];
            if l.0 == v {
                let mut g = l.1 + stride;
                while g < k {
                    if dst[g] == 0 {
                        dst[g] = v;
                    }
                    g += stride;
                }
            }
            *l = (v, k);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::random_grid_sized;
    use crate::lang::OpCode;

    /// `for_each_line` walks every cell once, on lines that start where
    /// the step back leaves the grid, in row-major order of their starts.
    #[test]
    fn lines_cover_the_grid_from_their_starts() {
        for h in 1..8 {
            for w in 1..8 {
                for (dy, dx) in [
                    (0, 1),
                    (0, -1),
                    (1, 0),
                    (-1, 0),
                    (1, 1),
                    (1, -1),
                    (-1, 1),
                    (-1, -1),
                ] {
                    let mut seen = vec![0; h * w];
                    let mut starts = Vec::new();
                    for_each_line(h, w, dy, dx, |line| {
                        starts.push(line[0] as usize);
                        for pair in line.windows(2) {
                            let (a, b) = (pair[0] as i32, pair[1] as i32);
                            assert_eq!(b - a, dy * w as i32 + dx);
                        }
                        for &k in line {
                            seen[k as usize] += 1;
                        }
                    });
                    assert!(seen.iter().all(|&n| n == 1), "{h}x{w} ({dy}, {dx})");
                    let want: Vec<usize> = (0..h * w)
                        .filter(|&k| {
                            let (pi, pj) = ((k / w) as i32 - dy, (k % w) as i32 - dx);
                            pi < 0 || pj < 0 || pi >= h as i32 || pj >= w as i32
                        })
                        .collect();
                    assert_eq!(starts, want, "{h}x{w} ({dy}, {dx})");
                }
            }
        }
    }

    /// `connect` against its definition cell by cell: a 0-cell takes the
    /// color of the first axis (in priority order) along which the nearest
    /// non-0 cells on both sides have one color.
    #[test]
    fn connect_follows_its_definition() {
        let mut rng = crate::rng::Rng::new(0xc044);
        let mut out = Grid::default();
        let mut s = Scratch::default();
        for n in 0..3_000 {
            let mut x = random_grid_sized(&mut rng, 1, 12);
            // Sparse grids of few colors, so that lines connect.
            for v in x.data_mut() {
                *v = if rng.chance(0.75) { 0 } else { 1 + *v % 3 };
            }
            for a in 0..Axes::NAMES.len() as i32 {
                let op = Op::new(OpCode::Connect, &[a]);
                assert!(connect(&op, &x, &mut out, &mut s));
                for i in 0..x.h() {
                    for j in 0..x.w() {
                        let want = match x.get(i, j) {
                            0 => Axes::from_arg(a)
                                .dirs()
                                .iter()
                                .map(|&(dy, dx)| {
                                    let c = first_behind(&x, i, j, dy, dx);
                                    if c == first_behind(&x, i, j, -dy, -dx) {
                                        c
                                    } else {
                                        0
                                    }
                                })
                                .find(|&c| c != 0)
                                .unwrap_or(0),
                            v => v,
                        };
                        assert_eq!(out.get(i, j), want, "#{n} `{op}` at ({i}, {j}) of {x:?}");
                    }
                }
            }
        }
    }

    /// `smear` against its definition cell by cell: a 0-cell takes the
    /// color of the first non-0 cell behind it along the first direction
    /// (in priority order) that has one.
    #[test]
    fn smear_follows_its_definition() {
        let mut rng = crate::rng::Rng::new(0x5e4e);
        let mut out = Grid::default();
        let mut s = Scratch::default();
        for n in 0..3_000 {
            let mut x = random_grid_sized(&mut rng, 1, 12);
            // Sparse grids, so that colors travel.
            for v in x.data_mut() {
                if rng.chance(0.7) {
                    *v = 0;
                }
            }
            for d in 0..SmearDir::NAMES.len() as i32 {
                let op = Op::new(OpCode::Smear, &[d]);
                assert!(smear(&op, &x, &mut out, &mut s));
                for i in 0..x.h() {
                    for j in 0..x.w() {
                        let want = match x.get(i, j) {
                            0 => SmearDir::from_arg(d)
                                .dirs()
                                .iter()
                                .map(|&(dy, dx)| first_behind(&x, i, j, dy, dx))
                                .find(|&c| c != 0)
                                .unwrap_or(0),
                            v => v,
                        };
                        assert_eq!(out.get(i, j), want, "#{n} `{op}` at ({i}, {j}) of {x:?}");
                    }
                }
            }
        }
    }
}
