//! Random programs and grids for differential tests and benchmarks. Every
//! op, argument value and color token is reachable.

use super::args::color;
use super::ops::{ArgKind, OpClass, OpCode, OPS};
use super::program::{Op, Program};
use crate::grid::Grid;
use crate::rng::Rng;

/// A random op from `codes` with arguments uniform in their ranges (color
/// arguments are tokens a quarter of the time).
pub fn random_op(rng: &mut Rng, codes: &[OpCode]) -> Op {
    let code = codes[rng.below(codes.len())];
    let spec = code.spec();
    let mut op = Op::new(code, &[]);
    for (k, a) in spec.args.iter().enumerate() {
        op.args[k] = match a.kind {
            ArgKind::Int { min, max } => rng.range(min, max),
            ArgKind::Color => {
                if rng.chance(0.25) {
                    rng.range(color::BG, color::MAX)
                } else {
                    rng.range(0, 9)
                }
            }
            ArgKind::Choice(c) => rng.range(0, c.len() as i32 - 1),
            ArgKind::ColorMap => {
                let mut m = [0u8; 10];
                for d in m.iter_mut() {
                    *d = rng.below(10) as u8;
                }
                return Op::map(m);
            }
        };
    }
    if matches!(code, OpCode::SplitH | OpCode::SplitV) {
        op.args[1] = rng.range(0, op.args[0] - 1);
    }
    debug_assert!(op.validate().is_ok(), "{op}");
    op
}

/// A random program of `min_ops..=max_ops` ops drawn from `codes`.
pub fn random_program(rng: &mut Rng, codes: &[OpCode], min_ops: usize, max_ops: usize) -> Program {
    let n = min_ops + rng.below(max_ops - min_ops + 1);
    let ops = (0..n).map(|_| random_op(rng, codes)).collect();
    Program::from_ops(ops).expect("random ops are in range")
}

/// Every op code.
pub fn all_codes() -> Vec<OpCode> {
    OPS.iter().map(|s| s.code).collect()
}

/// The op codes of v1.
pub fn v1_codes() -> Vec<OpCode> {
    OPS.iter().map(|s| s.code).filter(|c| c.is_v1()).collect()
}

/// The op codes of some classes.
pub fn codes_of(classes: &[OpClass]) -> Vec<OpCode> {
    OPS.iter()
        .filter(|s| classes.contains(&s.class))
        .map(|s| s.code)
        .collect()
}

/// A random grid of size `h` x `w` with a background color and blobs, so
/// that the region ops have objects and enclosures to work on.
pub fn random_grid(rng: &mut Rng, h: usize, w: usize) -> Grid {
    let bg = if rng.chance(0.7) {
        0
    } else {
        rng.below(10) as u8
    };
    let mut g = Grid::filled(h, w, bg);
    let ncolors = 1 + rng.below(4);
    let palette: Vec<u8> = (0..ncolors).map(|_| rng.below(10) as u8).collect();
    let style = rng.below(3);
    for i in 0..h {
        for j in 0..w {
            let c = palette[rng.below(ncolors)];
            match style {
                // Sparse noise.
                0 if rng.chance(0.3) => g.set(i, j, c),
                // Dense noise.
                1 => g.set(i, j, if rng.chance(0.8) { c } else { bg }),
                _ => {}
            }
        }
    }
    if style == 2 {
        // Rectangles, some hollow (enclosures for fill_enclosed).
        for _ in 0..1 + rng.below(4) {
            let c = palette[rng.below(ncolors)];
            let (r0, c0) = (rng.below(h), rng.below(w));
            let (r1, c1) = (r0 + rng.below(h - r0), c0 + rng.below(w - c0));
            let hollow = rng.chance(0.5);
            for i in r0..=r1 {
                for j in c0..=c1 {
                    if !hollow || i == r0 || i == r1 || j == c0 || j == c1 {
                        g.set(i, j, c);
                    }
                }
            }
        }
    }
    g
}

/// A random grid of random size in `min..=max` per dimension.
pub fn random_grid_sized(rng: &mut Rng, min: usize, max: usize) -> Grid {
    let h = min + rng.below(max - min + 1);
    let w = if rng.chance(0.3) {
        h
    } else {
        min + rng.below(max - min + 1)
    };
    random_grid(rng, h, w)
}

/// A random program that may use the constructs: an overlay (a prefix, one
/// to three layers with random masks, a suffix) and/or `norm` with random
/// fixed colors; otherwise a pipeline of `0..=max_ops` ops.
pub fn random_construct_program(rng: &mut Rng, codes: &[OpCode], max_ops: usize) -> Program {
    use super::args::Mask;
    use super::program::{Layer, Norm};
    let ops = |rng: &mut Rng, max: usize| -> Vec<Op> {
        let n = rng.below(max + 1);
        (0..n).map(|_| random_op(rng, codes)).collect()
    };
    let p = if rng.chance(0.6) {
        let prefix = ops(rng, 2);
        let layers = (0..1 + rng.below(3))
            .map(|_| Layer {
                mask: Mask::ALL[rng.below(Mask::ALL.len())],
                ops: ops(rng, max_ops.min(3)),
            })
            .collect();
        let suffix = ops(rng, 2);
        Program::overlay(prefix, layers, suffix).expect("random overlays are valid")
    } else {
        Program::from_ops(ops(rng, max_ops)).expect("random ops are valid")
    };
    if rng.chance(0.5) {
        let fixed = if rng.chance(0.5) {
            0
        } else {
            rng.below(1 << 10) as u16
        };
        p.normalized(Norm { fixed })
    } else {
        p
    }
}
