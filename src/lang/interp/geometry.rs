//! Geometry: the eight symmetries of the square (`DSL.md`, "Geometry").
//! WGSL twins: `shaders/ops_geometry.wgsl`.

use super::{gather, Scratch};
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
    let (h, w) = (x.h(), x.w());
    // One closure per transform, so that each loop is specialised.
    match t {
        Transform::Id => {
            out.copy_from(x);
            true
        }
        Transform::Rot90 => gather(x, out, w, h, |i, j| (h - 1 - j) * w + i),
        Transform::Rot180 => gather(x, out, h, w, |i, j| (h - 1 - i) * w + (w - 1 - j)),
        Transform::Rot270 => gather(x, out, w, h, |i, j| j * w + (w - 1 - i)),
        Transform::FlipH => gather(x, out, h, w, |i, j| i * w + (w - 1 - j)),
        Transform::FlipV => gather(x, out, h, w, |i, j| (h - 1 - i) * w + j),
        Transform::Transpose => gather(x, out, w, h, |i, j| j * w + i),
        Transform::Antitranspose => gather(x, out, w, h, |i, j| (h - 1 - j) * w + (w - 1 - i)),
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
