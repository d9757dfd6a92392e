//! Size and layout ops (`DSL.md`, "Size and layout"). WGSL twins:
//! `shaders/ops_layout.wgsl`.

use super::geometry::transform_block;
use super::{gather, split_part, transform_size, Colors, Scratch};
use crate::grid::Grid;
use crate::lang::args::Transform;
use crate::lang::Op;

/// `upscale kh kw`: every cell becomes a kh x kw block.
pub fn upscale(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let (kh, kw) = (op.args[0] as usize, op.args[1] as usize);
    gather(x, out, h * kh, w * kw, |i, j| (i / kh) * w + j / kw)
}

/// `downscale kh kw`: every kh-th row and kw-th column; requires H % kh == 0
/// and W % kw == 0.
pub fn downscale(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let (kh, kw) = (op.args[0] as usize, op.args[1] as usize);
    if h % kh != 0 || w % kw != 0 {
        return false;
    }
    gather(x, out, h / kh, w / kw, |i, j| (i * kh) * w + j * kw)
}

/// `tile rh rw`: rh x rw copies.
pub fn tile(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let (rh, rw) = (op.args[0] as usize, op.args[1] as usize);
    gather(x, out, h * rh, w * rw, |i, j| (i % h) * w + j % w)
}

/// `mirror_tile`: x, flip_h(x) / flip_v(x), rot180(x).
pub fn mirror_tile(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    if !out.resize(2 * h, 2 * w) {
        return false;
    }
    // The top half row by row (the row, then the row reversed), then the
    // bottom half as the top's rows in reverse order.
    let dst = out.data_mut();
    let (top, bottom) = dst.split_at_mut(h * 2 * w);
    for (row, s) in top.chunks_exact_mut(2 * w).zip(x.data().chunks_exact(w)) {
        let (a, b) = row.split_at_mut(w);
        a.copy_from_slice(s);
        for (d, &v) in b.iter_mut().zip(s.iter().rev()) {
            *d = v;
        }
    }
    for (row, s) in bottom
        .chunks_exact_mut(2 * w)
        .zip(top.chunks_exact(2 * w).rev())
    {
        row.copy_from_slice(s);
    }
    true
}

/// `hcat T`: x with T(x) on its right; requires T(x) to have H rows.
pub fn hcat(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let t = Transform::from_arg(op.args[0]);
    let (th, tw) = transform_size(t, h, w);
    if th != h || !out.resize(h, w + tw) {
        return false;
    }
    let dst = out.data_mut();
    transform_block(Transform::Id, x, dst, w + tw, (0, 0));
    transform_block(t, x, dst, w + tw, (0, w));
    true
}

/// `vcat T`: x with T(x) below it; requires T(x) to have W columns.
pub fn vcat(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let t = Transform::from_arg(op.args[0]);
    let (th, tw) = transform_size(t, h, w);
    if tw != w || !out.resize(h + th, w) {
        return false;
    }
    let dst = out.data_mut();
    dst[..h * w].copy_from_slice(x.data());
    transform_block(t, x, dst, w, (h, 0));
    true
}

/// `crop r c h w`: the window; requires r+h <= H and c+w <= W.
pub fn crop(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let a = op.args;
    let (r, c, ch, cw) = (a[0] as usize, a[1] as usize, a[2] as usize, a[3] as usize);
    if r + ch > h || c + cw > w {
        return false;
    }
    gather(x, out, ch, cw, |i, j| (r + i) * w + c + j)
}

/// `trim`: drops the outer ring; requires H >= 3 and W >= 3.
pub fn trim(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    if h < 3 || w < 3 {
        return false;
    }
    gather(x, out, h - 2, w - 2, |i, j| (i + 1) * w + j + 1)
}

/// The bounding box (r0, r1, c0, c1) of the cells `hit` selects, if any.
#[inline]
pub fn bbox_of(x: &Grid, hit: impl Fn(u8) -> bool) -> Option<(usize, usize, usize, usize)> {
    let (mut r0, mut r1, mut c0, mut c1) = (usize::MAX, 0, usize::MAX, 0);
    // Per row, the first hit from each end (on most rows of most grids
    // a few cells in), not every cell.
    for i in 0..x.h() {
        let row = x.row(i);
        if let Some(a) = row.iter().position(|&v| hit(v)) {
            let b = row.iter().rposition(|&v| hit(v)).unwrap_or(a);
            r0 = r0.min(i);
            r1 = i;
            c0 = c0.min(a);
            c1 = c1.max(b);
        }
    }
    (r0 != usize::MAX).then_some((r0, r1, c0, c1))
}

/// Crops `x` to rows r0..=r1, columns c0..=c1.
#[inline]
pub fn crop_to(x: &Grid, out: &mut Grid, (r0, r1, c0, c1): (usize, usize, usize, usize)) -> bool {
    let w = x.w();
    gather(x, out, r1 - r0 + 1, c1 - c0 + 1, |i, j| {
        (r0 + i) * w + c0 + j
    })
}

/// `crop_bbox c`: the bounding box of the cells != c; INVALID if none.
pub fn crop_bbox(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[0]);
    match bbox_of(x, |v| v != c) {
        Some(b) => crop_to(x, out, b),
        None => false,
    }
}

/// `split_h n i`: the i-th of n side-by-side parts.
pub fn split_h(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    match split_part(w, op.args[0] as usize, op.args[1] as usize) {
        Some((pw, off)) => gather(x, out, h, pw, |i, j| i * w + off + j),
        None => false,
    }
}

/// `split_v n i`: the i-th of n stacked parts.
pub fn split_v(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    match split_part(h, op.args[0] as usize, op.args[1] as usize) {
        Some((ph, off)) => gather(x, out, ph, w, |i, j| (off + i) * w + j),
        None => false,
    }
}

/// `shift dy dx c`: `out[i][j] = x[i-dy][j-dx]` where inside, else c.
pub fn shift(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let (dy, dx) = (op.args[0] as isize, op.args[1] as isize);
    let fill = Colors::of(x).get(op.args[2]);
    out.resize(h, w);
    // Out row i is source row i - dy moved right by dx; cells from
    // outside the grid are `fill`: the whole grid is filled first (one
    // call, not two per row), then the rows that come from inside are
    // copied (in one block when dx is 0).
    let (src, dst) = (x.data(), out.data_mut());
    dst.fill(fill);
    // Output rows [i0, i1) from source rows [i0 - dy, i1 - dy); output
    // columns [j0, j1) from source columns [j0 - dx, j1 - dx).
    let i0 = dy.clamp(0, h as isize) as usize;
    let i1 = (h as isize + dy).clamp(0, h as isize) as usize;
    let j0 = dx.clamp(0, w as isize) as usize;
    let j1 = (w as isize + dx).clamp(0, w as isize) as usize;
    if i0 >= i1 || j0 >= j1 {
        return true;
    }
    let si0 = (i0 as isize - dy) as usize;
    if dx == 0 {
        dst[i0 * w..i1 * w].copy_from_slice(&src[si0 * w..(si0 + i1 - i0) * w]);
        return true;
    }
    let from = (j0 as isize - dx) as usize;
    for (i, si) in (i0..i1).zip(si0..) {
        dst[i * w + j0..i * w + j1].copy_from_slice(&src[si * w + from..si * w + from + (j1 - j0)]);
    }
    true
}

/// `pad h w c`: the grid at the top-left corner of an h x w canvas of color
/// c, cut where it is larger than the canvas.
pub fn pad(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let c = Colors::of(x).get(op.args[2]);
    let (h, w) = (op.args[0] as usize, op.args[1] as usize);
    if !out.resize(h, w) {
        return false;
    }
    let (ch, cw) = (h.min(x.h()), w.min(x.w()));
    let dst = out.data_mut();
    dst.fill(c);
    for i in 0..ch {
        dst[i * w..i * w + cw].copy_from_slice(&x.row(i)[..cw]);
    }
    true
}

/// `resize h w`: the grid resampled to h x w by nearest cell: output cell
/// (i, j) is input cell (i * H / h, j * W / w).
pub fn resize(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (ih, iw) = (x.h(), x.w());
    let (h, w) = (op.args[0] as usize, op.args[1] as usize);
    if !out.resize(h, w) {
        return false;
    }
    // The source column of each output column, once (not a division per
    // cell).
    let mut cols = [0u8; crate::grid::MAX_DIM];
    for (j, c) in cols[..w].iter_mut().enumerate() {
        *c = (j * iw / w) as u8;
    }
    for (i, row) in out.data_mut().chunks_exact_mut(w).enumerate() {
        let s = x.row(i * ih / h);
        for (d, &c) in row.iter_mut().zip(&cols[..w]) {
            *d = s[c as usize];
        }
    }
    true
}

/// `period`: the top-left p x q tile, p the smallest row period (every
/// row i >= p equals row i - p) and q the smallest column period (every
/// column j >= q equals column j - q), so that `x[i][j] = x[i mod p][j mod q]`;
/// INVALID when the grid repeats in neither direction (p = H and q = W).
pub fn period(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let d = x.data();
    let p = (1..h)
        .find(|&p| d[p * w..] == d[..(h - p) * w])
        .unwrap_or(h);
    let q = (1..w)
        .find(|&q| (0..h).all(|i| x.row(i)[q..] == x.row(i)[..w - q]))
        .unwrap_or(w);
    if (p, q) == (h, w) {
        return false;
    }
    crop_to(x, out, (0, p - 1, 0, q - 1))
}

/// `crop_frame`: the inside of the largest rectangle, at least 3 x 3, whose
/// border cells all have one non-0 color (a solid block counts). Ties: the
/// top-left corner first in row-major order, then the taller. INVALID when
/// there is none.
///
/// With the runs of equal cells rightwards and downwards from every cell,
/// a rectangle is checked in four lookups; the search goes from each
/// top-left corner by decreasing height and width and skips every
/// rectangle no larger than the best so far (the GPU twin keeps the same
/// order per thread).
pub fn crop_frame(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    if h < 3 || w < 3 {
        return false;
    }
    let d = x.data();
    let mut right = [0u8; crate::grid::MAX_CELLS];
    let mut down = [0u8; crate::grid::MAX_CELLS];
    for i in 0..h {
        for j in (0..w).rev() {
            let k = i * w + j;
            right[k] = if j + 1 < w && d[k + 1] == d[k] {
                right[k + 1] + 1
            } else {
                1
            };
        }
    }
    for i in (0..h).rev() {
        for j in 0..w {
            let k = i * w + j;
            down[k] = if i + 1 < h && d[k + w] == d[k] {
                down[k + w] + 1
            } else {
                1
            };
        }
    }
    // (area, r0, c0, height, width)
    let mut best = (0usize, 0usize, 0usize, 0usize, 0usize);
    for r0 in 0..h - 2 {
        for c0 in 0..w - 2 {
            let k = r0 * w + c0;
            let (mw, mh) = (right[k] as usize, down[k] as usize);
            if d[k] == 0 || mw < 3 || mh < 3 || mw * mh <= best.0 {
                continue;
            }
            for fh in (3..=mh).rev() {
                if fh * mw <= best.0 {
                    break;
                }
                for fw in (3..=mw).rev() {
                    if fh * fw <= best.0 {
                        break;
                    }
                    if right[(r0 + fh - 1) * w + c0] as usize >= fw
                        && down[r0 * w + c0 + fw - 1] as usize >= fh
                    {
                        best = (fh * fw, r0, c0, fh, fw);
                        break;
                    }
                }
            }
        }
    }
    let (area, r0, c0, fh, fw) = best;
    if area == 0 {
        return false;
    }
    gather(x, out, fh - 2, fw - 2, |i, j| (r0 + 1 + i) * w + c0 + 1 + j)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::args::Count;
    use crate::lang::random::random_grid_sized;
    use crate::lang::OpCode;

    /// The layout ops that copy blocks of rows give what their cell-by-cell
    /// definitions give (through `gather` and `transform_src`, the table of
    /// DSL.md): `mirror_tile`, `hcat T`, `vcat T`, `resize h w`,
    /// `upscale_by N`, on random grids of every shape up to 12 x 12.
    #[test]
    fn block_copies_follow_their_definitions() {
        use crate::lang::interp::transform_src;
        let mut rng = crate::rng::Rng::new(0xb10c);
        let (mut out, mut want) = (Grid::default(), Grid::default());
        let mut s = Scratch::default();
        let mut checked = 0;
        for n in 0..3_000 {
            let x = random_grid_sized(&mut rng, 1, 12);
            let (h, w) = (x.h(), x.w());
            let t = Transform::from_arg(rng.range(0, 7));
            let (th, tw) = transform_size(t, h, w);
            let (rh, rw) = (rng.range(1, 30) as usize, rng.range(1, 30) as usize);
            let cases: [(Op, Option<Grid>); 4] = [
                (Op::new(OpCode::MirrorTile, &[]), {
                    let ok = gather(&x, &mut want, 2 * h, 2 * w, |i, j| {
                        let si = if i < h { i } else { 2 * h - 1 - i };
                        let sj = if j < w { j } else { 2 * w - 1 - j };
                        si * w + sj
                    });
                    ok.then(|| want.clone())
                }),
                (Op::new(OpCode::Hcat, &[t as i32]), {
                    let ok = th == h
                        && gather(&x, &mut want, h, w + tw, |i, j| {
                            if j < w {
                                i * w + j
                            } else {
                                let (si, sj) = transform_src(t, h, w, i, j - w);
                                si * w + sj
                            }
                        });
                    ok.then(|| want.clone())
                }),
                (Op::new(OpCode::Vcat, &[t as i32]), {
                    let ok = tw == w
                        && gather(&x, &mut want, h + th, w, |i, j| {
                            if i < h {
                                i * w + j
                            } else {
                                let (si, sj) = transform_src(t, h, w, i - h, j);
                                si * w + sj
                            }
                        });
                    ok.then(|| want.clone())
                }),
                (Op::new(OpCode::Resize, &[rh as i32, rw as i32]), {
                    let ok = gather(&x, &mut want, rh, rw, |i, j| (i * h / rh) * w + j * w / rw);
                    ok.then(|| want.clone())
                }),
            ];
            for (op, want) in cases {
                let got =
                    crate::lang::interp::apply(&op, &x, &mut out, &mut s).then(|| out.clone());
                assert_eq!(got, want, "#{n} `{op}` of {x:?}");
                checked += usize::from(want.is_some());
            }
            // upscale_by N: each cell becomes a k x k block, k the count.
            let op = Op::new(
                OpCode::UpscaleBy,
                &[rng.range(0, Count::NAMES.len() as i32 - 1)],
            );
            let k = super::super::pieces::count_of(&x, Count::from_arg(op.args[0]), &mut s.pieces);
            let want = (k > 0 && gather(&x, &mut want, h * k, w * k, |i, j| (i / k) * w + j / k))
                .then(|| want.clone());
            let got = crate::lang::interp::apply(&op, &x, &mut out, &mut s).then(|| out.clone());
            assert_eq!(got, want, "#{n} `{op}` of {x:?}");
        }
        assert!(checked > 5_000, "{checked} valid cases");
    }

    /// `bbox_of` is the smallest box holding every hit cell, on sparse and
    /// dense random grids.
    #[test]
    fn bbox_of_holds_every_hit_cell() {
        let mut rng = crate::rng::Rng::new(0xb0b);
        for n in 0..4_000 {
            let mut x = random_grid_sized(&mut rng, 1, 12);
            if n % 2 == 0 {
                for v in x.data_mut() {
                    if rng.chance(0.8) {
                        *v = 0;
                    }
                }
            }
            let c = rng.range(0, 9) as u8;
            let hits: Vec<(usize, usize)> = (0..x.len())
                .filter(|&k| x.data()[k] != c)
                .map(|k| (k / x.w(), k % x.w()))
                .collect();
            let want = (!hits.is_empty()).then(|| {
                let r0 = hits.iter().map(|p| p.0).min().unwrap();
                let r1 = hits.iter().map(|p| p.0).max().unwrap();
                let c0 = hits.iter().map(|p| p.1).min().unwrap();
                let c1 = hits.iter().map(|p| p.1).max().unwrap();
                (r0, r1, c0, c1)
            });
            assert_eq!(bbox_of(&x, |v| v != c), want, "#{n} {c} {x:?}");
        }
    }

    /// `shift` against its definition cell by cell: out(i, j) is x(i - dy,
    /// j - dx) where that is inside the grid, else the fill color.
    #[test]
    fn shift_follows_its_definition() {
        let mut rng = crate::rng::Rng::new(0x541f7);
        let mut out = Grid::default();
        let mut s = Scratch::default();
        for n in 0..4_000 {
            let x = random_grid_sized(&mut rng, 1, 12);
            let (dy, dx) = (rng.range(-13, 13), rng.range(-13, 13));
            let op = Op::new(OpCode::Shift, &[dy, dx, rng.range(0, 9)]);
            let fill = Colors::of(&x).get(op.args[2]);
            assert!(shift(&op, &x, &mut out, &mut s));
            assert_eq!((out.h(), out.w()), (x.h(), x.w()));
            for i in 0..x.h() as i32 {
                for j in 0..x.w() as i32 {
                    let (si, sj) = (i - dy, j - dx);
                    let inside = si >= 0 && sj >= 0 && si < x.h() as i32 && sj < x.w() as i32;
                    let want = if inside {
                        x.get(si as usize, sj as usize)
                    } else {
                        fill
                    };
                    assert_eq!(
                        out.get(i as usize, j as usize),
                        want,
                        "#{n} `{op}` at ({i}, {j}) of {x:?}"
                    );
                }
            }
        }
    }
}
