//! The CPU interpreter: the reference semantics of every op and construct of
//! `docs/DSL.md`.
//!
//! [`Interp`] owns the ping-pong grids and the scratch space of the region
//! ops, so evaluating a program allocates nothing. INVALID is `None` (an op
//! returns `false`); nothing here panics on any program or grid.
//!
//! Each op is a function `ops::NAME` in the submodule of its class
//! ([`geometry`], [`layout`], [`color`], [`region`]); the op table
//! ([`super::OPS`]) points at it. `shaders/ops_*.wgsl` hold the GPU twins,
//! `op_NAME`, with the same index arithmetic.

pub mod bits;
pub mod color;
pub mod geometry;
pub mod layout;
pub mod lines;
pub mod pattern;
pub mod pieces;
pub mod region;
pub mod shapes;

use super::args::color::{BG, FG, LC};
use super::program::{Mask, Op, Program};
use crate::grid::{Grid, MAX_CELLS, NUM_COLORS};

/// The signature of an op's CPU implementation: `out = op(x)`, false for
/// INVALID.
pub type CpuFn = fn(&Op, &Grid, &mut Grid, &mut Scratch) -> bool;

/// Scratch space of the ops (flood fills, pieces, symmetries), allocated
/// once per interpreter.
pub struct Scratch {
    pub mark: [u8; MAX_CELLS],
    /// Recent `fill_enclosed` reach maps (see [`region::ReachCache`]).
    pub reach: region::ReachCache,

    pub stack: [u16; MAX_CELLS],
    pub aux: [u16; MAX_CELLS],
    pub pieces: pieces::Pieces,
    pub flags: Vec<bool>,
    pub values: Vec<u32>,
    /// Lists of cell or piece indices, free between calls (`spread`'s
    /// two frontiers, the pieces' orders).
    pub order: Vec<u16>,
    pub queue: Vec<u16>,
    pub syms: Vec<pattern::Sym>,
    /// `repair`'s candidate symmetries for the last few grid sizes.
    pub candidates: pattern::Candidates,
    /// `repair`'s copies of its grid in four layouts.
    pub views: pattern::Views,
    /// `symmetrize`'s votes per centre.
    pub tally: pattern::Tally,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            mark: [0; MAX_CELLS],
            reach: region::ReachCache::default(),

            stack: [0; MAX_CELLS],
            aux: [0; MAX_CELLS],
            pieces: pieces::Pieces::default(),
            flags: Vec::with_capacity(64),
            values: Vec::with_capacity(64),
            order: Vec::with_capacity(64),
            queue: Vec::with_capacity(64),
            syms: Vec::with_capacity(4096),
            candidates: pattern::Candidates::default(),
            views: pattern::Views::default(),
            tally: pattern::Tally::default(),
        }
    }
}

/// A cheap 64-bit key of a grid's size and cells (folded eight cells at a
/// time) and `seed`, for the caches of the ops: entries whose key differs
/// are not compared cell by cell (equal keys still are).
#[inline]
pub(crate) fn fingerprint(x: &Grid, seed: u64) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = seed << 16 | (x.h() as u64) << 8 | x.w() as u64;
    let chunks = x.data().chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().expect("8 bytes"))).wrapping_mul(K);
    }
    for &b in rest {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(K);
    }
    h
}

/// Reusable evaluation state: the ping-pong grids, the grids of the
/// constructs (the overlay's input and canvas) and the scratch of the
/// region ops.
pub struct Interp {
    bufs: [Grid; 2],
    /// The input of an overlay (each layer starts from it).
    base: Grid,
    /// The overlay's canvas.
    canvas: Grid,
    /// Which canvas cells are set.
    set: [bool; MAX_CELLS],
    scratch: Scratch,
}

impl Default for Interp {
    fn default() -> Self {
        Interp::new()
    }
}

/// Where the current grid of a program run lives.
#[derive(Copy, Clone, PartialEq, Eq)]
enum Cur {
    Input,
    Buf(usize),
}

impl Interp {
    /// A fresh interpreter.
    pub fn new() -> Interp {
        Interp {
            bufs: [Grid::default(), Grid::default()],
            base: Grid::default(),
            canvas: Grid::default(),
            set: [false; MAX_CELLS],
            scratch: Scratch::default(),
        }
    }

    /// Runs a pipeline of `ops` on `input`. `None` is INVALID.
    pub fn run<'a>(&'a mut self, ops: &[Op], input: &'a Grid) -> Option<&'a Grid> {
        let cur = pipeline(&mut self.bufs, &mut self.scratch, ops, input, Cur::Input)?;
        Some(match cur {
            Cur::Input => input,
            Cur::Buf(k) => &self.bufs[k],
        })
    }

    /// Runs a whole program (with its `norm` and `overlay` constructs) on
    /// `input`. `None` is INVALID.
    pub fn run_program<'a>(&'a mut self, program: &Program, input: &'a Grid) -> Option<&'a Grid> {
        if program.is_pipeline() {
            return self.run(program.prefix(), input);
        }
        let sigma = program.norm().map(|n| n.sigma(input));
        let mut cur = Cur::Input;
        if let Some(s) = &sigma {
            let out = &mut self.bufs[0];
            out.resize(input.h(), input.w());
            for (d, &v) in out.data_mut().iter_mut().zip(input.data()) {
                *d = s[v as usize];
            }
            cur = Cur::Buf(0);
        }
        cur = pipeline(
            &mut self.bufs,
            &mut self.scratch,
            program.prefix(),
            input,
            cur,
        )?;
        if !program.layers().is_empty() {
            let base = match cur {
                Cur::Input => input,
                Cur::Buf(k) => &self.bufs[k],
            };
            self.base.copy_from(base);
            let mut size = None;
            for layer in program.layers() {
                let Interp {
                    bufs,
                    base,
                    canvas,
                    set,
                    scratch,
                } = self;
                let got = pipeline(bufs, scratch, &layer.ops, base, Cur::Input)?;
                let y = match got {
                    Cur::Input => &*base,
                    Cur::Buf(k) => &bufs[k],
                };
                match size {
                    None => {
                        size = Some((y.h(), y.w()));
                        canvas.resize(y.h(), y.w());
                        set[..y.len()].fill(false);
                    }
                    Some(s) if s != (y.h(), y.w()) => return None,
                    Some(_) => {}
                }
                for (k, (&v, c)) in y.data().iter().zip(canvas.data_mut()).enumerate() {
                    if !set[k] && layer.mask.admits(v) {
                        *c = v;
                        set[k] = true;
                    }
                }
            }
            let n = self.canvas.len();
            for (c, &s) in self.canvas.data_mut().iter_mut().zip(&self.set[..n]) {
                if !s {
                    *c = 0;
                }
            }
            self.bufs[0].copy_from(&self.canvas);
            cur = Cur::Buf(0);
        }
        cur = pipeline(
            &mut self.bufs,
            &mut self.scratch,
            program.suffix(),
            input,
            cur,
        )?;
        if let Some(s) = &sigma {
            let mut inv = [0u8; NUM_COLORS];
            for (c, &t) in s.iter().enumerate() {
                inv[t as usize] = c as u8;
            }
            let k = match cur {
                Cur::Input => {
                    self.bufs[0].copy_from(input);
                    0
                }
                Cur::Buf(k) => k,
            };
            for d in self.bufs[k].data_mut() {
                *d = inv[*d as usize];
            }
            cur = Cur::Buf(k);
        }
        Some(match cur {
            Cur::Input => input,
            Cur::Buf(k) => &self.bufs[k],
        })
    }

    /// Applies one op: `out = op(x)`. Returns false for INVALID.
    pub fn apply_op(&mut self, op: &Op, x: &Grid, out: &mut Grid) -> bool {
        apply(op, x, out, &mut self.scratch)
    }

    /// Says that many ops will be applied to `grids` (as they are now), so
    /// that the ops' caches key them once (`fingerprint`) instead of on
    /// every call. Only a speed-up: a grid changed later without a new
    /// call costs cache misses, never a wrong result (a cache hit also
    /// compares the grid itself).
    pub fn declare_inputs(&mut self, grids: &[Grid]) {
        let d = &mut self.scratch.pieces.declared;
        d.clear();
        d.extend(
            grids
                .iter()
                .take(MAX_DECLARED)
                .map(|g| (g as *const Grid as usize, fingerprint(g, 0))),
        );
    }
}

/// Grids remembered by [`Interp::declare_inputs`].
pub(crate) const MAX_DECLARED: usize = 16;

impl Scratch {
    /// [`pieces::Pieces::key_of`].
    #[inline]
    pub(crate) fn key_of(&self, x: &Grid, seed: u64) -> u64 {
        self.pieces.key_of(x, seed)
    }
}

/// Runs `ops` from `cur` (the input or one of the buffers), ping-ponging
/// between the buffers; returns where the result is.
fn pipeline(
    bufs: &mut [Grid; 2],
    s: &mut Scratch,
    ops: &[Op],
    input: &Grid,
    mut cur: Cur,
) -> Option<Cur> {
    for op in ops {
        let next = match cur {
            Cur::Input | Cur::Buf(1) => 0,
            Cur::Buf(_) => 1,
        };
        let ok = match cur {
            Cur::Input => apply(op, input, &mut bufs[next], s),
            Cur::Buf(k) => {
                let [a, b] = bufs;
                if k == 0 {
                    apply(op, a, b, s)
                } else {
                    apply(op, b, a, s)
                }
            }
        };
        if !ok {
            return None;
        }
        cur = Cur::Buf(next);
    }
    Some(cur)
}

/// Runs a program once, allocating its own interpreter (convenience; use
/// [`Interp`] in loops).
pub fn run_program(program: &Program, input: &Grid) -> Option<Grid> {
    let mut it = Interp::new();
    it.run_program(program, input).cloned()
}

/// `out = op(x)`; false is INVALID.
#[inline]
pub fn apply(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    (op.code.spec().cpu)(op, x, out, s)
}

impl Mask {
    /// Whether a layer with this mask paints a cell of color `v`.
    #[inline(always)]
    pub fn admits(self, v: u8) -> bool {
        match self {
            Mask::Nonzero => v != 0,
            Mask::Zero => v == 0,
            Mask::All => true,
        }
    }
}

// ------------------------------------------------------------ shared helpers

/// The values of the color tokens on a grid: (bg, fg, lc).
#[inline]
pub fn color_tokens(x: &Grid) -> (u8, u8, u8) {
    tokens_from_hist(&x.histogram())
}

/// bg, fg and lc from a histogram (see `DSL.md`, "Arguments").
#[inline]
pub fn tokens_from_hist(hist: &[u16; NUM_COLORS]) -> (u8, u8, u8) {
    let mut bg = 0usize;
    for c in 1..NUM_COLORS {
        if hist[c] > hist[bg] {
            bg = c;
        }
    }
    let mut fg = usize::MAX;
    let mut lc = usize::MAX;
    for c in 0..NUM_COLORS {
        if hist[c] == 0 {
            continue;
        }
        if c != bg && (fg == usize::MAX || hist[c] > hist[fg]) {
            fg = c;
        }
        if lc == usize::MAX || hist[c] < hist[lc] {
            lc = c;
        }
    }
    if fg == usize::MAX {
        fg = bg;
    }
    (bg as u8, fg as u8, lc as u8)
}

/// Color arguments of one op application: tokens are resolved on the op's
/// input grid, at most once, before any cell changes.
pub struct Colors<'a> {
    x: &'a Grid,
    tokens: Option<(u8, u8, u8)>,
}

impl<'a> Colors<'a> {
    /// The color arguments of an op applied to `x`.
    #[inline(always)]
    pub fn of(x: &'a Grid) -> Colors<'a> {
        Colors { x, tokens: None }
    }
    /// Resolves an encoded color argument (0..=9 or a token).
    #[inline(always)]
    pub fn get(&mut self, arg: i32) -> u8 {
        if arg < 10 {
            return arg as u8;
        }
        let x = self.x;
        let (bg, fg, lc) = *self.tokens.get_or_insert_with(|| color_tokens(x));
        match arg {
            BG => bg,
            FG => fg,
            LC => lc,
            _ => 0,
        }
    }
}

/// Writes `out[i][j] = x[f(i, j)]` for an `oh` x `ow` output; false (INVALID)
/// when the size is outside 1..=30.
#[inline(always)]
pub fn gather(
    x: &Grid,
    out: &mut Grid,
    oh: usize,
    ow: usize,
    f: impl Fn(usize, usize) -> usize,
) -> bool {
    if !out.resize(oh, ow) {
        return false;
    }
    let src = x.data();
    let dst = out.data_mut();
    for i in 0..oh {
        let row = &mut dst[i * ow..(i + 1) * ow];
        for (j, d) in row.iter_mut().enumerate() {
            *d = src[f(i, j)];
        }
    }
    true
}

/// `out = f(x)` cell by cell, same size.
#[inline(always)]
pub fn map_cells(x: &Grid, out: &mut Grid, f: impl Fn(u8) -> u8) -> bool {
    out.resize(x.h(), x.w());
    for (d, &v) in out.data_mut().iter_mut().zip(x.data()) {
        *d = f(v);
    }
    true
}

/// Part size and offset for `split n i` along a dimension of length `len`:
/// (part length, offset of part i), or None when INVALID.
#[inline(always)]
pub fn split_part(len: usize, n: usize, i: usize) -> Option<(usize, usize)> {
    if n == 0 || i >= n {
        return None;
    }
    if len % n == 0 {
        let p = len / n;
        if p == 0 {
            return None;
        }
        Some((p, i * p))
    } else if len >= n - 1 && (len - (n - 1)) % n == 0 {
        let p = (len - (n - 1)) / n;
        if p == 0 {
            return None;
        }
        Some((p, i * (p + 1)))
    } else {
        None
    }
}

/// An op's output size as far as the size of its input decides it, without
/// looking at the cells ([`size_hint`]).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SizeHint {
    /// When the op is valid its output is this (h, w).
    Size(usize, usize),
    /// The op is INVALID on every grid of this size.
    Invalid,
    /// The size depends on the cells.
    Cells,
}

/// The output size of `op` on any `h` x `w` grid, where the size alone
/// decides it. The search bounds a child's train score with it before
/// running the op (a grid of another size than the expected output cannot
/// be exact there); `size_hints_agree_with_the_ops` (unit test) checks it
/// against every op on random grids.
pub fn size_hint(op: &Op, h: usize, w: usize) -> SizeHint {
    use super::OpCode::*;
    use SizeHint::{Cells, Invalid};
    let fits = |oh: usize, ow: usize| {
        if (1..=crate::grid::MAX_DIM).contains(&oh) && (1..=crate::grid::MAX_DIM).contains(&ow) {
            SizeHint::Size(oh, ow)
        } else {
            Invalid
        }
    };
    let arg = |k: usize| usize::try_from(op.args[k]).unwrap_or(0);
    let split = |len: usize, n: usize, i: usize, along_w: bool| match split_part(len, n, i) {
        Some((p, _)) if along_w => fits(h, p),
        Some((p, _)) => fits(p, w),
        None => Invalid,
    };
    match op.code {
        Id | Rot180 | FlipH | FlipV | Recolor | Swap | Map | Keep | Paint | Shift | Gravity
        | FillEnclosed | Halo | Smear | Connect | Border | Interior | FillHoles | BboxFill
        | Halo4 | Spread | KeepPieces | DropPieces | RecolorBy | Fall | Repair | Flood
        | ColorBoxes | Extend | Symmetrize | Stamp => fits(h, w),
        Rot90 | Rot270 | Transpose | Antitranspose => fits(w, h),
        Trim if h >= 3 && w >= 3 => fits(h - 2, w - 2),
        Trim => Invalid,
        MirrorTile => fits(2 * h, 2 * w),
        Hcat | Vcat => {
            let (th, tw) = transform_size(super::args::Transform::from_arg(op.args[0]), h, w);
            match op.code {
                Hcat if th == h => fits(h, w + tw),
                Vcat if tw == w => fits(h + th, w),
                _ => Invalid,
            }
        }
        Upscale | Tile => fits(h * arg(0), w * arg(1)),
        Downscale => match (arg(0), arg(1)) {
            (kh, kw) if kh > 0 && kw > 0 && h % kh == 0 && w % kw == 0 => fits(h / kh, w / kw),
            _ => Invalid,
        },
        SplitH => split(w, arg(0), arg(1), true),
        SplitV => split(h, arg(0), arg(1), false),
        HalvesH => split(w, 2, 1, true),
        HalvesV => split(h, 2, 1, false),
        PanelsH => split(w, arg(0), 0, true),
        PanelsV => split(h, arg(0), 0, false),
        Crop => {
            let (r, c, ch, cw) = (arg(0), arg(1), arg(2), arg(3));
            if r + ch <= h && c + cw <= w {
                fits(ch, cw)
            } else {
                Invalid
            }
        }
        Frame => fits(h + 2, w + 2),
        Outer => fits(h * h, w * w),
        Pad | Resize => fits(arg(0), arg(1)),
        Majority => fits(1, 1),
        CropBbox | Object | Compress | Dedup | Count | UpscaleBy | Pick | RepairCrop
        | CellColors | CropFrame | Palette | Period => Cells,
    }
}

/// The colors whose cells `op` may change (bit c: a cell of color c may
/// get another color), when the op's definition bounds them; None when any
/// cell may change. Color arguments must be digits (tokens resolved on the
/// op's input). The search uses it to bound a same-size child's train
/// score: a cell of another color where the parent differs from the
/// expected output stays wrong. `changed_colors_are_the_only_ones_that_change`
/// (unit test) checks it against the ops on random grids.
pub fn changed_colors(op: &Op) -> Option<u16> {
    use super::OpCode::*;
    const ALL: u16 = (1 << NUM_COLORS) - 1;
    let bit = |k: usize| 1u16.checked_shl(op.args[k] as u32).unwrap_or(0) & ALL;
    Some(match op.code {
        Recolor => bit(0),
        Swap => bit(0) | bit(1),
        // Cells not equal to a (keep) / b (paint) take the other color.
        Keep => ALL & !bit(0),
        Paint => ALL & !bit(1),
        // b-cells become a.
        FillEnclosed | Halo | Halo4 | Flood => bit(1),
        // Fills of 0-cells.
        Smear | Connect | Spread | BboxFill | FillHoles | ColorBoxes => 1,
        // Non-0 cells become 0 or take a label.
        Border | Interior | KeepPieces | DropPieces | RecolorBy => ALL & !1,
        _ => return None,
    })
}

pub use geometry::{transform_size, transform_src};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::random::{all_codes, random_grid_sized, random_op};

    /// Where [`changed_colors`] bounds an op, every cell of another color
    /// keeps its color.
    #[test]
    fn changed_colors_are_the_only_ones_that_change() {
        let mut rng = crate::rng::Rng::new(0xc01c);
        let codes = all_codes();
        let mut interp = Interp::new();
        let mut out = Grid::default();
        let mut bounded = 0;
        for n in 0..60_000 {
            let mut x = random_grid_sized(&mut rng, 1, 12);
            if rng.chance(0.5) {
                // Grids with a background, so that fills have work.
                for v in x.data_mut() {
                    if rng.chance(0.6) {
                        *v = 0;
                    }
                }
            }
            let op = random_op(&mut rng, &codes);
            // Tokens resolved on the input, as the ops do.
            let mut colors = Colors::of(&x);
            let mut resolved = op;
            for k in op.code.spec().color_args() {
                resolved.args[k] = colors.get(op.args[k]) as i32;
            }
            let Some(m) = changed_colors(&resolved) else {
                continue;
            };
            bounded += 1;
            if !interp.apply_op(&op, &x, &mut out) {
                continue;
            }
            assert_eq!((out.h(), out.w()), (x.h(), x.w()), "#{n}: `{op}`");
            for (k, (&a, &b)) in x.data().iter().zip(out.data()).enumerate() {
                assert!(
                    a == b || m >> a & 1 == 1,
                    "#{n}: `{op}` ({resolved}) changed cell {k} of color {a} on {x:?}"
                );
            }
        }
        assert!(bounded > 10_000);
    }

    /// Where [`size_hint`] gives a size, every valid output of the op on a
    /// grid of that size has it; where it says INVALID, the op is INVALID.
    #[test]
    fn size_hints_agree_with_the_ops() {
        let mut rng = crate::rng::Rng::new(0x512e);
        let codes = all_codes();
        let mut interp = Interp::new();
        let mut out = Grid::default();
        let mut seen = [[0usize; 3]; crate::lang::OPS.len()];
        for n in 0..60_000 {
            let x = random_grid_sized(&mut rng, 1, 30);
            let op = random_op(&mut rng, &codes);
            let valid = interp.apply_op(&op, &x, &mut out);
            let hint = size_hint(&op, x.h(), x.w());
            match hint {
                SizeHint::Size(h, w) if valid => {
                    assert_eq!((out.h(), out.w()), (h, w), "#{n}: `{op}` on {x:?}")
                }
                SizeHint::Invalid => assert!(!valid, "#{n}: `{op}` on {x:?} is valid"),
                _ => {}
            }
            let k = match hint {
                SizeHint::Size(..) => 0,
                SizeHint::Invalid => 1,
                SizeHint::Cells => 2,
            };
            seen[op.code as usize][k] += usize::from(valid || k == 1);
        }
        // Every op was seen valid with a size, or says it depends on the
        // cells; the size rules that can say INVALID did.
        for (code, s) in seen.iter().enumerate() {
            assert!(s[0] + s[2] > 0, "op {code} never valid");
        }
        assert!(seen.iter().map(|s| s[1]).sum::<usize>() > 300);
    }

    /// The ops' caches (pieces cuts, reach maps) never change a result: one
    /// interpreter applying random ops to a few grids in turn, as the
    /// search does (the same grids again and again, and grids that differ
    /// in one cell), gives what a fresh interpreter gives for each op.
    #[test]
    fn op_caches_do_not_change_results() {
        let mut rng = crate::rng::Rng::new(0xcac4e);
        let codes = all_codes();
        let mut shared = Interp::new();
        let mut grids: Vec<Grid> = (0..4).map(|_| random_grid_sized(&mut rng, 1, 12)).collect();
        let mut out = Grid::default();
        let mut fresh_out = Grid::default();
        for n in 0..20_000 {
            if n % 500 == 0 {
                // A grid changes in one cell: same size, nearly the same key;
                // the grids are declared again only after some changes (a
                // stale declaration must cost misses only).
                let g = &mut grids[rng.below(4)];
                let (i, j) = (rng.below(g.h()), rng.below(g.w()));
                let v = (g.get(i, j) + 1) % 10;
                g.set(i, j, v);
                if n % 1500 == 0 {
                    shared.declare_inputs(&grids);
                }
            }
            let op = random_op(&mut rng, &codes);
            // Also grids that were never declared: copies.
            let copy = grids[n % 4].clone();
            for x in grids.iter().chain([&copy]) {
                let a = shared.apply_op(&op, x, &mut out);
                let b = Interp::new().apply_op(&op, x, &mut fresh_out);
                assert_eq!(a, b, "#{n}: `{op}` on {x:?}");
                if a {
                    assert_eq!(out, fresh_out, "#{n}: `{op}` on {x:?}");
                }
            }
        }
    }
}
