//! The CPU interpreter: the reference semantics of every op of `DSL.md`.
//!
//! [`Interp`] owns two 30x30 ping-pong grids and the scratch space of the
//! region ops, so evaluating a program allocates nothing. INVALID is `None`
//! (an op returns `false`); nothing here panics on any program or grid.
//!
//! `shaders/eval.wgsl` is the GPU twin of this file: each op there has the
//! same name and the same index arithmetic.

use super::ops::{OpCode, BG, FG, LC};
use super::program::{Op, Program};
use crate::grid::{Grid, MAX_CELLS, NUM_COLORS};

/// Reusable evaluation state: two grids and the scratch of the region ops.
pub struct Interp {
    bufs: [Grid; 2],
    scratch: Scratch,
}

/// Scratch space for flood fills and object labelling.
pub struct Scratch {
    mark: [u8; MAX_CELLS],
    stack: [u16; MAX_CELLS],
}

impl Default for Interp {
    fn default() -> Self {
        Interp::new()
    }
}

impl Interp {
    /// A fresh interpreter.
    pub fn new() -> Interp {
        Interp {
            bufs: [Grid::default(), Grid::default()],
            scratch: Scratch {
                mark: [0; MAX_CELLS],
                stack: [0; MAX_CELLS],
            },
        }
    }

    /// Runs `ops` on `input`. `None` is INVALID.
    pub fn run<'a>(&'a mut self, ops: &[Op], input: &'a Grid) -> Option<&'a Grid> {
        let Some((first, rest)) = ops.split_first() else {
            return Some(input);
        };
        let [a, b] = &mut self.bufs;
        if !apply(first, input, a, &mut self.scratch) {
            return None;
        }
        let (mut cur, mut next) = (a, b);
        for op in rest {
            if !apply(op, cur, next, &mut self.scratch) {
                return None;
            }
            std::mem::swap(&mut cur, &mut next);
        }
        Some(cur)
    }

    /// Applies one op: `out = op(x)`. Returns false for INVALID.
    pub fn apply_op(&mut self, op: &Op, x: &Grid, out: &mut Grid) -> bool {
        apply(op, x, out, &mut self.scratch)
    }
}

/// Runs a program once, allocating its own interpreter (convenience; use
/// [`Interp`] in loops).
pub fn run_program(program: &Program, input: &Grid) -> Option<Grid> {
    let mut it = Interp::new();
    it.run(program.ops(), input).cloned()
}

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

/// Resolves an encoded color argument (0..=9 or a token) on grid `x`.
/// `tok` caches the tokens, computed at most once per op.
#[inline(always)]
fn color(arg: i32, x: &Grid, tok: &mut Option<(u8, u8, u8)>) -> u8 {
    if arg < 10 {
        return arg as u8;
    }
    let (bg, fg, lc) = *tok.get_or_insert_with(|| color_tokens(x));
    match arg {
        BG => bg,
        FG => fg,
        LC => lc,
        _ => 0,
    }
}

/// Writes `out[i][j] = x[f(i, j)]` for an `oh` x `ow` output.
#[inline(always)]
fn gather(
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

/// Output size of transform `t` (0..=7) on an `h` x `w` grid.
#[inline(always)]
pub fn transform_size(t: u8, h: usize, w: usize) -> (usize, usize) {
    match t {
        1 | 3 | 6 | 7 => (w, h),
        _ => (h, w),
    }
}

/// Source cell (row, column) of output cell (i, j) under transform `t` on an
/// `h` x `w` grid (the table of `DSL.md`, "Geometry").
#[inline(always)]
pub fn transform_src(t: u8, h: usize, w: usize, i: usize, j: usize) -> (usize, usize) {
    match t {
        0 => (i, j),
        1 => (h - 1 - j, i),
        2 => (h - 1 - i, w - 1 - j),
        3 => (j, w - 1 - i),
        4 => (i, w - 1 - j),
        5 => (h - 1 - i, j),
        6 => (j, i),
        _ => (h - 1 - j, w - 1 - i),
    }
}

fn geometry(t: u8, x: &Grid, out: &mut Grid) -> bool {
    let (h, w) = (x.h(), x.w());
    match t {
        0 => {
            out.copy_from(x);
            true
        }
        1 => gather(x, out, w, h, |i, j| (h - 1 - j) * w + i),
        2 => gather(x, out, h, w, |i, j| (h - 1 - i) * w + (w - 1 - j)),
        3 => gather(x, out, w, h, |i, j| j * w + (w - 1 - i)),
        4 => gather(x, out, h, w, |i, j| i * w + (w - 1 - j)),
        5 => gather(x, out, h, w, |i, j| (h - 1 - i) * w + j),
        6 => gather(x, out, w, h, |i, j| j * w + i),
        _ => gather(x, out, w, h, |i, j| (h - 1 - j) * w + (w - 1 - i)),
    }
}

/// Part size and stride for `split n i` along a dimension of length `len`:
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

#[inline(always)]
fn logic(l: i32, a: bool, b: bool) -> bool {
    match l {
        0 => a && b,
        1 => a || b,
        2 => a != b,
        3 => !(a || b),
        4 => a && !b,
        _ => b && !a,
    }
}

/// `out = op(x)`; false is INVALID.
pub fn apply(op: &Op, x: &Grid, out: &mut Grid, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let a = op.args;
    let mut tok = None;
    match op.code {
        OpCode::Id
        | OpCode::Rot90
        | OpCode::Rot180
        | OpCode::Rot270
        | OpCode::FlipH
        | OpCode::FlipV
        | OpCode::Transpose
        | OpCode::Antitranspose => geometry(op.code as u8, x, out),
        OpCode::Upscale => {
            let (kh, kw) = (a[0] as usize, a[1] as usize);
            gather(x, out, h * kh, w * kw, |i, j| (i / kh) * w + j / kw)
        }
        OpCode::Downscale => {
            let (kh, kw) = (a[0] as usize, a[1] as usize);
            if h % kh != 0 || w % kw != 0 {
                return false;
            }
            gather(x, out, h / kh, w / kw, |i, j| (i * kh) * w + j * kw)
        }
        OpCode::Tile => gather(x, out, h * a[0] as usize, w * a[1] as usize, |i, j| {
            (i % h) * w + j % w
        }),
        OpCode::MirrorTile => gather(x, out, 2 * h, 2 * w, |i, j| {
            let si = if i < h { i } else { 2 * h - 1 - i };
            let sj = if j < w { j } else { 2 * w - 1 - j };
            si * w + sj
        }),
        OpCode::Hcat => {
            let t = a[0] as u8;
            let (th, tw) = transform_size(t, h, w);
            if th != h {
                return false;
            }
            gather(x, out, h, w + tw, |i, j| {
                if j < w {
                    i * w + j
                } else {
                    let (si, sj) = transform_src(t, h, w, i, j - w);
                    si * w + sj
                }
            })
        }
        OpCode::Vcat => {
            let t = a[0] as u8;
            let (th, tw) = transform_size(t, h, w);
            if tw != w {
                return false;
            }
            gather(x, out, h + th, w, |i, j| {
                if i < h {
                    i * w + j
                } else {
                    let (si, sj) = transform_src(t, h, w, i - h, j);
                    si * w + sj
                }
            })
        }
        OpCode::Crop => {
            let (r, c, ch, cw) = (a[0] as usize, a[1] as usize, a[2] as usize, a[3] as usize);
            if r + ch > h || c + cw > w {
                return false;
            }
            gather(x, out, ch, cw, |i, j| (r + i) * w + c + j)
        }
        OpCode::Trim => {
            if h < 3 || w < 3 {
                return false;
            }
            gather(x, out, h - 2, w - 2, |i, j| (i + 1) * w + j + 1)
        }
        OpCode::CropBbox => {
            let c = color(a[0], x, &mut tok);
            let (mut r0, mut r1, mut c0, mut c1) = (usize::MAX, 0, usize::MAX, 0);
            for i in 0..h {
                for (j, &v) in x.row(i).iter().enumerate() {
                    if v != c {
                        r0 = r0.min(i);
                        r1 = r1.max(i);
                        c0 = c0.min(j);
                        c1 = c1.max(j);
                    }
                }
            }
            if r0 == usize::MAX {
                return false;
            }
            gather(x, out, r1 - r0 + 1, c1 - c0 + 1, |i, j| {
                (r0 + i) * w + c0 + j
            })
        }
        OpCode::SplitH => match split_part(w, a[0] as usize, a[1] as usize) {
            Some((pw, off)) => gather(x, out, h, pw, |i, j| i * w + off + j),
            None => false,
        },
        OpCode::SplitV => match split_part(h, a[0] as usize, a[1] as usize) {
            Some((ph, off)) => gather(x, out, ph, w, |i, j| (off + i) * w + j),
            None => false,
        },
        OpCode::Shift => {
            let (dy, dx) = (a[0] as isize, a[1] as isize);
            let fill = color(a[2], x, &mut tok);
            out.resize(h, w);
            for i in 0..h {
                for j in 0..w {
                    let (si, sj) = (i as isize - dy, j as isize - dx);
                    let v = if si >= 0 && sj >= 0 && (si as usize) < h && (sj as usize) < w {
                        x.get(si as usize, sj as usize)
                    } else {
                        fill
                    };
                    out.set(i, j, v);
                }
            }
            true
        }
        OpCode::Recolor => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            map_cells(x, out, |v| if v == ca { cb } else { v })
        }
        OpCode::Swap => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            map_cells(x, out, |v| {
                if v == ca {
                    cb
                } else if v == cb {
                    ca
                } else {
                    v
                }
            })
        }
        OpCode::Map => {
            let m = op.color_map();
            map_cells(x, out, |v| m[v as usize])
        }
        OpCode::Keep => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            map_cells(x, out, |v| if v != ca { cb } else { v })
        }
        OpCode::Paint => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            map_cells(x, out, |v| if v != cb { ca } else { v })
        }
        OpCode::FillEnclosed => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            fill_enclosed(x, out, ca, cb, s)
        }
        OpCode::Halo => {
            let (ca, cb) = (color(a[0], x, &mut tok), color(a[1], x, &mut tok));
            out.copy_from(x);
            for i in 0..h {
                for j in 0..w {
                    if x.get(i, j) != cb {
                        continue;
                    }
                    let mut touch = false;
                    for di in -1isize..=1 {
                        for dj in -1isize..=1 {
                            let (ni, nj) = (i as isize + di, j as isize + dj);
                            if (di, dj) != (0, 0)
                                && ni >= 0
                                && nj >= 0
                                && (ni as usize) < h
                                && (nj as usize) < w
                                && x.get(ni as usize, nj as usize) != cb
                            {
                                touch = true;
                            }
                        }
                    }
                    if touch {
                        out.set(i, j, ca);
                    }
                }
            }
            true
        }
        OpCode::Gravity => {
            let cb = color(a[1], x, &mut tok);
            gravity(x, out, a[0], cb)
        }
        OpCode::Object => {
            let cb = color(a[1], x, &mut tok);
            object(x, out, a[0] == 1, cb, s)
        }
        OpCode::HalvesH | OpCode::HalvesV => {
            let ca = color(a[1], x, &mut tok);
            let horizontal = op.code == OpCode::HalvesH;
            let len = if horizontal { w } else { h };
            let Some((p, off)) = split_part(len, 2, 1) else {
                return false;
            };
            let (oh, ow) = if horizontal { (h, p) } else { (p, w) };
            out.resize(oh, ow);
            for i in 0..oh {
                for j in 0..ow {
                    let av = x.get(i, j) != 0;
                    let bv = if horizontal {
                        x.get(i, j + off)
                    } else {
                        x.get(i + off, j)
                    } != 0;
                    out.set(i, j, if logic(a[0], av, bv) { ca } else { 0 });
                }
            }
            true
        }
    }
}

#[inline(always)]
fn map_cells(x: &Grid, out: &mut Grid, f: impl Fn(u8) -> u8) -> bool {
    out.resize(x.h(), x.w());
    for (d, &v) in out.data_mut().iter_mut().zip(x.data()) {
        *d = f(v);
    }
    true
}

fn fill_enclosed(x: &Grid, out: &mut Grid, ca: u8, cb: u8, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let n = h * w;
    let src = x.data();
    let mark = &mut s.mark[..n];
    mark.fill(0);
    let mut top = 0usize;
    // Seed: every b-cell on the border has reached it.
    for i in 0..h {
        for j in 0..w {
            if (i == 0 || j == 0 || i == h - 1 || j == w - 1) && src[i * w + j] == cb {
                let k = i * w + j;
                if mark[k] == 0 {
                    mark[k] = 1;
                    s.stack[top] = k as u16;
                    top += 1;
                }
            }
        }
    }
    while top > 0 {
        top -= 1;
        let k = s.stack[top] as usize;
        let (i, j) = (k / w, k % w);
        let mut visit = |nk: usize| {
            if mark[nk] == 0 && src[nk] == cb {
                mark[nk] = 1;
                s.stack[top] = nk as u16;
                top += 1;
            }
        };
        if i > 0 {
            visit(k - w);
        }
        if i + 1 < h {
            visit(k + w);
        }
        if j > 0 {
            visit(k - 1);
        }
        if j + 1 < w {
            visit(k + 1);
        }
    }
    out.resize(h, w);
    for (k, d) in out.data_mut().iter_mut().enumerate() {
        let v = src[k];
        *d = if v == cb && mark[k] == 0 { ca } else { v };
    }
    true
}

fn gravity(x: &Grid, out: &mut Grid, dir: i32, cb: u8) -> bool {
    let (h, w) = (x.h(), x.w());
    out.resize(h, w);
    out.data_mut().fill(cb);
    match dir {
        // up / down: per column.
        0 | 1 => {
            for j in 0..w {
                let mut k = 0;
                if dir == 0 {
                    for i in 0..h {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(k, j, v);
                            k += 1;
                        }
                    }
                } else {
                    for i in (0..h).rev() {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(h - 1 - k, j, v);
                            k += 1;
                        }
                    }
                }
            }
        }
        // left / right: per row.
        _ => {
            for i in 0..h {
                let mut k = 0;
                if dir == 2 {
                    for j in 0..w {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(i, k, v);
                            k += 1;
                        }
                    }
                } else {
                    for j in (0..w).rev() {
                        let v = x.get(i, j);
                        if v != cb {
                            out.set(i, w - 1 - k, v);
                            k += 1;
                        }
                    }
                }
            }
        }
    }
    true
}

fn object(x: &Grid, out: &mut Grid, smallest: bool, cb: u8, s: &mut Scratch) -> bool {
    let (h, w) = (x.h(), x.w());
    let n = h * w;
    let src = x.data();
    s.mark[..n].fill(0);
    // Best object so far: (size, r0, r1, c0, c1).
    let mut best: Option<(usize, usize, usize, usize, usize)> = None;
    for start in 0..n {
        if src[start] == cb || s.mark[start] != 0 {
            continue;
        }
        // Objects are found in the row-major order of their first cell, so a
        // strict comparison gives ties to the earlier object.
        s.mark[start] = 1;
        s.stack[0] = start as u16;
        let mut top = 1;
        let (mut size, mut r0, mut r1, mut c0, mut c1) = (0, usize::MAX, 0, usize::MAX, 0);
        while top > 0 {
            top -= 1;
            let k = s.stack[top] as usize;
            let (i, j) = (k / w, k % w);
            size += 1;
            r0 = r0.min(i);
            r1 = r1.max(i);
            c0 = c0.min(j);
            c1 = c1.max(j);
            for di in -1isize..=1 {
                for dj in -1isize..=1 {
                    let (ni, nj) = (i as isize + di, j as isize + dj);
                    if ni < 0 || nj < 0 || ni as usize >= h || nj as usize >= w {
                        continue;
                    }
                    let nk = ni as usize * w + nj as usize;
                    if s.mark[nk] == 0 && src[nk] != cb {
                        s.mark[nk] = 1;
                        s.stack[top] = nk as u16;
                        top += 1;
                    }
                }
            }
        }
        let better = match best {
            None => true,
            Some((bs, ..)) => {
                if smallest {
                    size < bs
                } else {
                    size > bs
                }
            }
        };
        if better {
            best = Some((size, r0, r1, c0, c1));
        }
    }
    let Some((_, r0, r1, c0, c1)) = best else {
        return false;
    };
    gather(x, out, r1 - r0 + 1, c1 - c0 + 1, |i, j| {
        (r0 + i) * w + c0 + j
    })
}
