//! A grid's cells of one color as rows of bits (bit j of row i: cell
//! (i, j)), and the region growing done on them a whole row at a time:
//! the reach and flood maps of `fill_enclosed`, `flood`, `border`,
//! `interior` and `fill_holes`. Each has a cell-by-cell reading in the
//! tests below, against which it is checked on random grids.

use crate::grid::{Grid, MAX_CELLS, MAX_DIM};

/// One u32 per row (rows have at most 30 cells).
pub type Rows = [u32; MAX_DIM];

/// The mask of a row of `w` cells.
#[inline]
pub fn full(w: usize) -> u32 {
    ((1u64 << w) - 1) as u32
}

/// Bit k of the result: whether `data[k] == c` (`data`: at most
/// [`MAX_CELLS`] cells).
fn eq_bits(data: &[u8], c: u8) -> [u64; MAX_CELLS.div_ceil(64)] {
    let mut out = [0u64; MAX_CELLS.div_ceil(64)];
    let n = data.len().min(MAX_CELLS);
    let mut done = 0;
    // Sixteen cells at a time with SSE2 (part of every x86-64 CPU).
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        while done + 16 <= n {
            // SAFETY: SSE2 is in the x86-64 baseline; the load reads the 16
            // bytes data[done..done + 16], inside the slice (unaligned).
            let m = unsafe {
                let x = _mm_loadu_si128(data.as_ptr().add(done) as *const __m128i);
                _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(c as i8))) as u32 as u64
            };
            out[done / 64] |= m << (done % 64);
            done += 16;
        }
    }
    for (k, &v) in data[..n].iter().enumerate().skip(done) {
        out[k / 64] |= u64::from(v == c) << (k % 64);
    }
    out
}

/// The rows of `x` whose bits are its cells of color `c`.
pub fn rows_eq(x: &Grid, c: u8) -> Rows {
    let (h, w) = (x.h(), x.w());
    let bits = eq_bits(x.data(), c);
    let mut rows = [0u32; MAX_DIM];
    for (i, r) in rows.iter_mut().enumerate().take(h) {
        let start = i * w;
        let (word, off) = (start / 64, start % 64);
        let mut v = bits[word] >> off;
        if off + w > 64 {
            v |= bits[word + 1] << (64 - off);
        }
        *r = v as u32 & full(w);
    }
    rows
}

/// The cells of `s` joined, along the row, to the runs of `p` they lie in
/// (a seed outside `p` is dropped).
#[inline]
fn fill_runs(p: u32, s: u32) -> u32 {
    let s = s & p;
    // Towards the high bits: adding a seed to its run carries through the
    // run's bits above it (p < 2^30, so nothing overflows).
    let up = ((p.wrapping_add(s) ^ p) & p) | s;
    // Towards the low bits: a doubling fill (each step moves the filled
    // bits down by twice as many cells, through cells of p only).
    let (mut g, mut s) = (p, up);
    s |= (s >> 1) & g;
    g &= g >> 1;
    s |= (s >> 2) & g;
    g &= g >> 2;
    s |= (s >> 4) & g;
    g &= g >> 4;
    s |= (s >> 8) & g;
    g &= g >> 8;
    s |= (s >> 16) & g;
    s
}

/// The row and its two side neighbours (within `full`).
#[inline]
pub fn sides(m: u32, full: u32) -> u32 {
    (m | m << 1 | m >> 1) & full
}

/// Grows `reach` (whose cells must be in `pass`) through the 4-connected
/// (`eight` false) or 8-connected cells of `pass`, rows `0..h` of width `w`,
/// until no cell joins.
pub fn grow(pass: &Rows, reach: &mut Rows, h: usize, w: usize, eight: bool) {
    let full = full(w);
    let from = |m: u32| if eight { sides(m, full) } else { m };
    // Row i takes the cells of its runs that touch reach in it or next to
    // it; whether it changed.
    let step = |reach: &mut Rows, i: usize| {
        let mut s = reach[i];
        if i > 0 {
            s |= from(reach[i - 1]);
        }
        if i + 1 < h {
            s |= from(reach[i + 1]);
        }
        let r = fill_runs(pass[i], s);
        let changed = r != reach[i];
        reach[i] = r;
        changed
    };
    // Down, then up, until a sweep changes nothing.
    loop {
        let mut changed = false;
        for i in 0..h {
            changed |= step(reach, i);
        }
        if !changed {
            return;
        }
        changed = false;
        for i in (0..h).rev() {
            changed |= step(reach, i);
        }
        if !changed {
            return;
        }
    }
}

/// The cells of `pass` (rows `0..h`, width `w`) that reach the border
/// through 4-connected (`eight` false) or 8-connected cells of `pass` (a
/// border cell of `pass` has reached it).
pub fn reach_border(pass: &Rows, h: usize, w: usize, eight: bool) -> Rows {
    let mut reach = [0u32; MAX_DIM];
    let edges = 1 | 1u32 << (w - 1);
    for i in 0..h {
        reach[i] = pass[i] & if i == 0 || i + 1 == h { full(w) } else { edges };
    }
    grow(pass, &mut reach, h, w, eight);
    reach
}

/// Writes the rows as one byte per cell (1 for a set bit, else 0).
pub fn to_bytes(rows: &Rows, h: usize, w: usize, out: &mut [u8]) {
    for (i, row) in out[..h * w].chunks_exact_mut(w).enumerate() {
        let r = rows[i];
        for (j, d) in row.iter_mut().enumerate() {
            *d = (r >> j & 1) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::random_grid;

    /// Cell by cell: the cells of color `c` that reach a seed cell through
    /// cells of color `c` (4- or 8-connected), by a walk from the seeds.
    fn reach_walk(x: &Grid, c: u8, seed: impl Fn(usize, usize) -> bool, eight: bool) -> Vec<u8> {
        let (h, w) = (x.h(), x.w());
        let mut mark = vec![0u8; h * w];
        let mut stack = Vec::new();
        for i in 0..h {
            for j in 0..w {
                if x.get(i, j) == c && seed(i, j) {
                    mark[i * w + j] = 1;
                    stack.push((i, j));
                }
            }
        }
        while let Some((i, j)) = stack.pop() {
            for di in -1i32..=1 {
                for dj in -1i32..=1 {
                    if (di, dj) == (0, 0) || (!eight && di != 0 && dj != 0) {
                        continue;
                    }
                    let (ni, nj) = (i as i32 + di, j as i32 + dj);
                    if ni < 0 || nj < 0 || ni >= h as i32 || nj >= w as i32 {
                        continue;
                    }
                    let (ni, nj) = (ni as usize, nj as usize);
                    if x.get(ni, nj) == c && mark[ni * w + nj] == 0 {
                        mark[ni * w + nj] = 1;
                        stack.push((ni, nj));
                    }
                }
            }
        }
        mark
    }

    #[test]
    fn rows_hold_the_cells_of_a_color() {
        let mut rng = crate::rng::Rng::new(3);
        for _ in 0..3000 {
            let (h, w) = (1 + rng.below(30), 1 + rng.below(30));
            let x = random_grid(&mut rng, h, w);
            let c = rng.below(10) as u8;
            let rows = rows_eq(&x, c);
            for (i, &r) in rows.iter().enumerate() {
                for j in 0..32 {
                    let want = i < h && j < w && x.get(i, j) == c;
                    assert_eq!(r >> j & 1 == 1, want, "{h}x{w} ({i},{j})");
                }
            }
        }
    }

    #[test]
    fn row_growth_equals_a_walk_cell_by_cell() {
        let mut rng = crate::rng::Rng::new(4);
        for t in 0..6000 {
            let (h, w) = (1 + rng.below(30), 1 + rng.below(30));
            // Few colors, so that regions are large and winding.
            let mut x = random_grid(&mut rng, h, w);
            let k = 2 + rng.below(2) as u8;
            for v in x.data_mut() {
                *v %= k;
            }
            let c = rng.below(k as usize) as u8;
            let eight = t % 2 == 1;
            let pass = rows_eq(&x, c);
            // From the border.
            let got = reach_border(&pass, h, w, eight);
            let mut bytes = vec![0u8; h * w];
            to_bytes(&got, h, w, &mut bytes);
            let want = reach_walk(
                &x,
                c,
                |i, j| i == 0 || j == 0 || i == h - 1 || j == w - 1,
                eight,
            );
            assert_eq!(bytes, want, "border {h}x{w} eight {eight}");
            // From random seeds.
            let seeds: Vec<bool> = (0..h * w).map(|_| rng.chance(0.03)).collect();
            let mut reach = [0u32; MAX_DIM];
            for i in 0..h {
                for j in 0..w {
                    if seeds[i * w + j] && x.get(i, j) == c {
                        reach[i] |= 1 << j;
                    }
                }
            }
            grow(&pass, &mut reach, h, w, eight);
            to_bytes(&reach, h, w, &mut bytes);
            let want = reach_walk(&x, c, |i, j| seeds[i * w + j], eight);
            assert_eq!(bytes, want, "seeds {h}x{w} eight {eight}");
        }
    }
}
