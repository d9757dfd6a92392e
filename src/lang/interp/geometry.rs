//! Geometry: the eight symmetries of the square (`DSL.md`, "Geometry").
//! WGSL twins: `shaders/ops_geometry.wgsl`.

use super::Scratch;
use crate::grid::Grid;
use crate::lang::args::Transform;
use crate::lang::Op;

/// Output size of transform `t` on an `h` x `w` grid.
#[inline(always)]
pub fn transform_size(t: Transform, h: usize, w: usize) -> (usize, usize) {
    use Transform::*;
    match t {
        Rot90 | Rot270 | Transpose | Antitranspose => (w, h),
        Id | Rot180 | FlipH | FlipV => (h, w),
    }
}

/// Source cell (row, column) of output cell (i, j) under transform `t` on an
/// `h` x `w` grid (the table of `DSL.md`, "Geometry").
#[inline(always)]
pub fn transform_src(t: Transform, h: usize, w: usize, i: usize, j: usize) -> (usize, usize) {
    use Transform::*;
    match t {
        Id => (i, j),
        Rot90 => (h - 1 - j, i),
        Rot180 => (h - 1 - i, w - 1 - j),
        Rot270 => (j, w - 1 - i),
        FlipH => (i, w - 1 - j),
        FlipV => (h - 1 - i, j),
        Transpose => (j, i),
        Antitranspose => (h - 1 - j, w - 1 - i),
    }
}

/// `out = t(x)`.
#[inline]
pub fn apply_transform(t: Transform, x: &Grid, out: &mut Grid) -> bool {
    if t == Transform::Id {
        out.copy_from(x);
        return true;
    }
    let (th, tw) = transform_size(t, x.h(), x.w());
    if !out.resize(th, tw) {
        return false;
    }
    transform_block(t, x, out.data_mut(), tw, (0, 0));
    true
}

/// Writes t(x) into `dst` (rows of `ow` cells) with its top-left corner at
/// `at`; the caller has sized `dst` to hold it. One loop per transform
/// (the table of [`transform_src`], each entry compiled on its own).
#[inline]
pub fn transform_block(t: Transform, x: &Grid, dst: &mut [u8], ow: usize, at: (usize, usize)) {
    let (h, w) = (x.h(), x.w());
    let size = transform_size(t, h, w);
    let src = x.data();
    match t {
        Transform::Id => block(src, dst, ow, at, size, |i, j| i * w + j),
        Transform::Rot90 => block(src, dst, ow, at, size, |i, j| (h - 1 - j) * w + i),
        Transform::Rot180 => block(src, dst, ow, at, size, |i, j| (h - 1 - i) * w + (w - 1 - j)),
        Transform::Rot270 => block(src, dst, ow, at, size, |i, j| j * w + (w - 1 - i)),
        Transform::FlipH => block(src, dst, ow, at, size, |i, j| i * w + (w - 1 - j)),
        Transform::FlipV => block(src, dst, ow, at, size, |i, j| (h - 1 - i) * w + j),
        Transform::Transpose => block(src, dst, ow, at, size, |i, j| j * w + i),
        Transform::Antitranspose => {
            block(src, dst, ow, at, size, |i, j| (h - 1 - j) * w + (w - 1 - i))
        }
    }
}

/// `dst[(r0 + i) * ow + c0 + j] = src[f(i, j)]` for an th x tw block.
#[inline(always)]
fn block(
    src: &[u8],
    dst: &mut [u8],
    ow: usize,
    (r0, c0): (usize, usize),
    (th, tw): (usize, usize),
    f: impl Fn(usize, usize) -> usize,
) {
    for i in 0..th {
        let row = &mut dst[(r0 + i) * ow + c0..][..tw];
        for (j, d) in row.iter_mut().enumerate() {
            *d = src[f(i, j)];
        }
    }
}

macro_rules! transform_op {
    ($name:ident, $t:ident) => {
        #[doc = concat!("`", stringify!($name), "`.")]
        pub fn $name(_: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
            apply_transform(Transform::$t, x, out)
        }
    };
}

transform_op!(id, Id);
transform_op!(rot90, Rot90);
transform_op!(rot180, Rot180);
transform_op!(rot270, Rot270);
transform_op!(flip_h, FlipH);
transform_op!(flip_v, FlipV);
transform_op!(transpose, Transpose);
transform_op!(antitranspose, Antitranspose);
