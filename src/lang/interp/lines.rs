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
        for_each_line(h, w, dy, dx, |line| {
            let mut c = 0u8;
            for &k in line {
                let v = src[k as usize];
                if v != 0 {
                    c = v;
                } else if c != 0 {
                    dst[k as usize] = c;
                }
            }
        });
    }
    true
}

/// Calls `f` with the cells (row-major indices, in walking order) of every
/// line of an h x w grid in direction (dy, dx): each line starts at a cell
/// whose previous cell is outside the grid.
#[inline]
pub fn for_each_line(h: usize, w: usize, dy: i32, dx: i32, mut f: impl FnMut(&[u16])) {
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
    for si in 0..h {
        for sj in 0..w {
            let (pi, pj) = (si as i32 - dy, sj as i32 - dx);
            if pi < 0 || pj < 0 || pi as usize >= h || pj as usize >= w {
                walk(si, sj);
            }
        }
    }
}

/// `connect A`: along each axis of A (in priority order), the 0-cells
/// between two cells of the same non-0 color with only 0-cells between them
/// take that color; a cell filled by an earlier axis keeps its color.
pub fn connect(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let dirs = Axes::from_arg(op.args[0]).dirs();
    let (h, w) = (x.h(), x.w());
    out.copy_from(x);
    let filled = &mut s.mark[..h * w];
    filled.fill(0);
    let src = x.data();
    let dst = out.data_mut();
    for &(dy, dx) in dirs {
        // Along each line, the 0-cells between two consecutive non-0 cells
        // of the same color.
        for_each_line(h, w, dy, dx, |line| {
            let mut last: Option<(u8, usize)> = None;
            for (p, &k) in line.iter().enumerate() {
                let v = src[k as usize];
                if v == 0 {
                    continue;
                }
                if let Some((c, q)) = last {
                    if c == v {
                        for &g in &line[q + 1..p] {
                            let g = g as usize;
                            if filled[g] == 0 {
                                dst[g] = v;
                                filled[g] = 1;
                            }
                        }
                    }
                }
                last = Some((v, p));
            }
        });
    }
    true
}
