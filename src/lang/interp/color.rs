//! Color ops (`DSL.md`, "Color"). WGSL twins: `shaders/ops_color.wgsl`.

use super::{map_cells, Colors, Scratch};
use crate::grid::Grid;
use crate::lang::Op;

/// `recolor a b`: cells of color a become b.
pub fn recolor(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (a, b) = (c.get(op.args[0]), c.get(op.args[1]));
    map_cells(x, out, |v| if v == a { b } else { v })
}

/// `swap a b`: a becomes b and b becomes a.
pub fn swap(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (a, b) = (c.get(op.args[0]), c.get(op.args[1]));
    map_cells(x, out, |v| {
        if v == a {
            b
        } else if v == b {
            a
        } else {
            v
        }
    })
}

/// `map M`: cell color k becomes `M[k]`.
pub fn map(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let m = op.color_map();
    map_cells(x, out, |v| m[v as usize])
}

/// `keep a b`: cells not of color a become b.
pub fn keep(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (a, b) = (c.get(op.args[0]), c.get(op.args[1]));
    map_cells(x, out, |v| if v != a { b } else { v })
}

/// `paint a b`: cells not of color b become a.
pub fn paint(op: &Op, x: &Grid, out: &mut Grid, _: &mut Scratch) -> bool {
    let mut c = Colors::of(x);
    let (a, b) = (c.get(op.args[0]), c.get(op.args[1]));
    map_cells(x, out, |v| if v != b { a } else { v })
}
