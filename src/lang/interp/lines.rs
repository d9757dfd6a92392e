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
    // One sweep per direction, lowest priority first, each carrying the
    // last non-0 color along its lines: a higher-priority hit overwrites.
    for &(dy, dx) in dirs.iter().rev() {
        for si in 0..h {
            for sj in 0..w {
                // Lines start where the previous cell is outside the grid.
                let (pi, pj) = (si as i32 - dy, sj as i32 - dx);
                if pi >= 0 && pj >= 0 && (pi as usize) < h && (pj as usize) < w {
                    continue;
                }
                let (mut i, mut j) = (si as i32, sj as i32);
                let mut c = 0u8;
                while i >= 0 && j >= 0 && (i as usize) < h && (j as usize) < w {
                    let v = x.get(i as usize, j as usize);
                    if v != 0 {
                        c = v;
                    } else if c != 0 {
                        out.set(i as usize, j as usize, c);
                    }
                    i += dy;
                    j += dx;
                }
            }
        }
    }
    true
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
    for &(dy, dx) in dirs {
        for i in 0..h {
            for j in 0..w {
                let k = i * w + j;
                if x.data()[k] != 0 || filled[k] != 0 {
                    continue;
                }
                let a = first_behind(x, i, j, dy, dx);
                if a != 0 && a == first_behind(x, i, j, -dy, -dx) {
                    out.data_mut()[k] = a;
                    filled[k] = 1;
                }
            }
        }
    }
    true
}
