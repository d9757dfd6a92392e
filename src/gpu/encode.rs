//! What the GPU reads and writes, as `u32` words (see `docs/gpu.md`).
//!
//! - Programs: an offset table (one word per program: the word offset of its
//!   record) followed by the records (see [`encode_program`]; a plain
//!   pipeline is `[n_ops, (w0, w1) x n_ops]`). An op is
//!   two words: `w0 = code | a1 << 8 | a2 << 16 | a3 << 24` (each argument's
//!   low byte; the shader sign-extends them, and reads `a1` of `map`
//!   unsigned) and `w1 = a0` (all 32 bits: `map` keeps digits 0..=7 there).
//! - The task: `[num_pairs, (input offset, h, w, expected offset, h, w) per
//!   pair, cells...]`, one word per cell, uploaded once per batch.
//! - Results: [`RESULT_WORDS`] words per (program, pair):
//!   `h | w << 8 | matching << 16`, hash low lane, hash high lane, and 1
//!   when the shader's loop-limit canary fired (the host then recomputes
//!   that result on the CPU), else 0.
//! - What else a dispatch writes per (program, pair) ([`Extra`]): nothing,
//!   the output grid (one word per cell, `predict`), or the match masks
//!   ([`crate::score::MASK_WORDS`] words, `evaluate_masks`).

use crate::grid::{Grid, MAX_CELLS};
use crate::lang::{Op, Program};
use crate::score::PairOutcome;
use crate::task::Task;

/// Words per encoded op.
pub const WORDS_PER_OP: usize = 2;
/// Words per result record.
pub const RESULT_WORDS: usize = 4;
/// Words per output grid written by `predict` (a 30x30 grid).
pub const GRID_WORDS: usize = MAX_CELLS;
/// What a dispatch writes besides the result records, per (program, pair),
/// into its second output buffer (`params.extra` in the shader; the
/// values are generated into `shaders/generated.wgsl` as `EXTRA_*`).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Extra {
    /// Nothing (`evaluate`).
    None = 0,
    /// The output grid, [`GRID_WORDS`] words (`predict`).
    Grids = 1,
    /// The match masks, [`crate::score::MASK_WORDS`] words
    /// (`evaluate_masks`).
    Masks = 2,
}

impl Extra {
    /// Every kind, for the generated constants.
    pub const ALL: [Extra; 3] = [Extra::None, Extra::Grids, Extra::Masks];

    /// Words written per (program, pair).
    pub fn words(self) -> usize {
        match self {
            Extra::None => 0,
            Extra::Grids => GRID_WORDS,
            Extra::Masks => crate::score::MASK_WORDS,
        }
    }

    /// The WGSL constant's name.
    pub fn wgsl_const(self) -> &'static str {
        match self {
            Extra::None => "EXTRA_NONE",
            Extra::Grids => "EXTRA_GRIDS",
            Extra::Masks => "EXTRA_MASKS",
        }
    }
}

/// Words of a pair's metadata in the task buffer.
pub const PAIR_WORDS: usize = 6;

/// The uniform block of one dispatch (`Params` in `shaders/eval.wgsl`).
#[repr(C)]
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, bytemuck::Pod, bytemuck::Zeroable)]
pub struct Params {
    /// Programs in this chunk.
    pub num_programs: u32,
    /// First pair evaluated.
    pub pair_start: u32,
    /// Pairs evaluated per program.
    pub pair_count: u32,
    /// Workgroups per row of the 2-D dispatch grid.
    pub groups_x: u32,
    /// What else is written ([`Extra`] as u32).
    pub extra: u32,
    /// Padding to 32 bytes.
    pub pad: [u32; 3],
}

/// The two words of one op.
#[inline]
pub fn encode_op(op: &Op) -> [u32; 2] {
    let a = op.args;
    let byte = |v: i32| (v as u32) & 0xff;
    [
        op.code as u32 | byte(a[1]) << 8 | byte(a[2]) << 16 | byte(a[3]) << 24,
        a[0] as u32,
    ]
}

/// Flag bit of the record header: the program has a `norm`.
pub const FLAG_NORM: u32 = 1;

/// Whether a program's record has the extended header (norm or overlay).
#[inline]
fn extended(p: &Program) -> bool {
    !p.is_pipeline()
}

/// Words of a program's record.
#[inline]
pub fn record_words(p: &Program) -> usize {
    let header = if extended(p) { 2 + p.layers().len() } else { 1 };
    header + WORDS_PER_OP * p.all_ops().count()
}

/// Appends one program's record: the header word `n_prefix | n_suffix << 8
/// | n_layers << 16 | flags << 24`; with a norm or an overlay, the norm's
/// fixed colors and one word per layer (`mask | n_ops << 8`); then the ops
/// (prefix, each layer's, suffix), two words each.
pub fn encode_program(p: &Program, out: &mut Vec<u32>) {
    let flags = if p.norm().is_some() { FLAG_NORM } else { 0 };
    out.push(
        p.prefix().len() as u32
            | (p.suffix().len() as u32) << 8
            | (p.layers().len() as u32) << 16
            | flags << 24,
    );
    if extended(p) {
        out.push(p.norm().map_or(0, |n| n.fixed as u32));
        for l in p.layers() {
            out.push(l.mask as u32 | (l.ops.len() as u32) << 8);
        }
    }
    for op in p.all_ops() {
        out.extend_from_slice(&encode_op(op));
    }
}

/// Encodes programs: the offset table, then the records.
pub fn encode_programs(programs: &[&Program]) -> Vec<u32> {
    let total: usize = programs.len() + programs.iter().map(|p| record_words(p)).sum::<usize>();
    let mut out = Vec::with_capacity(total);
    let mut off = programs.len();
    for p in programs {
        out.push(off as u32);
        off += record_words(p);
    }
    for p in programs {
        encode_program(p, &mut out);
    }
    debug_assert_eq!(out.len(), total);
    out
}

/// Encodes a task's inputs and expected outputs (train pairs, then test
/// pairs; a test pair without output has expected size 0 x 0).
pub fn encode_task(task: &Task) -> Vec<u32> {
    let n = task.num_pairs();
    let mut out = vec![0u32; 1 + PAIR_WORDS * n];
    out[0] = n as u32;
    let push_grid = |out: &mut Vec<u32>, g: &Grid| -> (u32, u32, u32) {
        let off = out.len() as u32;
        out.extend(g.data().iter().map(|&c| c as u32));
        (off, g.h() as u32, g.w() as u32)
    };
    for (k, (input, expected)) in task.inputs().zip(task.expected()).enumerate() {
        let (io, ih, iw) = push_grid(&mut out, input);
        let (eo, eh, ew) = match expected {
            Some(e) => push_grid(&mut out, e),
            None => (0, 0, 0),
        };
        out[1 + PAIR_WORDS * k..1 + PAIR_WORDS * (k + 1)]
            .copy_from_slice(&[io, ih, iw, eo, eh, ew]);
    }
    out
}

/// Decodes one result record.
#[inline]
pub fn decode_outcome(rec: &[u32]) -> PairOutcome {
    let w0 = rec[0];
    let (h, w) = ((w0 & 0xff) as u8, ((w0 >> 8) & 0xff) as u8);
    if h == 0 {
        return PairOutcome::INVALID;
    }
    PairOutcome {
        h,
        w,
        matching: (w0 >> 16) as u16,
        hash: (rec[2] as u64) << 32 | rec[1] as u64,
    }
}

/// Decodes an output grid written by `predict`; `None` when INVALID or
/// malformed.
pub fn decode_grid(rec: &[u32], cells: &[u32]) -> Option<Grid> {
    let o = decode_outcome(rec);
    if !o.valid() {
        return None;
    }
    let (h, w) = (o.h as usize, o.w as usize);
    let cells = cells.get(..h * w)?;
    let rows: Vec<Vec<u8>> = cells
        .chunks(w)
        .map(|r| r.iter().map(|&c| c.min(255) as u8).collect())
        .collect();
    Grid::from_rows(&rows).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::OpCode;

    #[test]
    fn op_words() {
        let op = Op::new(OpCode::Shift, &[-29, 29, 12]);
        let [w0, w1] = encode_op(&op);
        assert_eq!(w0 & 0xff, OpCode::Shift as u32);
        assert_eq!(w1 as i32, -29);
        // The shader's sign extension of a1, a2.
        assert_eq!(((w0 << 16) as i32) >> 24, 29);
        assert_eq!(((w0 << 8) as i32) >> 24, 12);
        let op = Op::new(OpCode::Shift, &[0, -7, 0]);
        let [w0, _] = encode_op(&op);
        assert_eq!(((w0 << 16) as i32) >> 24, -7);
        let m = Op::map([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        let [w0, w1] = encode_op(&m);
        assert_eq!(w1, m.args[0] as u32);
        assert_eq!((w0 >> 8) & 0xff, m.args[1] as u32);
    }

    #[test]
    fn programs_layout() {
        let a = Program::parse("rot90 | crop 1 2 3 4").unwrap();
        let b = Program::empty();
        let words = encode_programs(&[&a, &b]);
        assert_eq!(words[0], 2);
        assert_eq!(words[1], 2 + 5);
        assert_eq!(words[2], 2);
        assert_eq!(words[7], 0);
        assert_eq!(words.len(), 8);
        // norm 5 { overlay { [nz] rot90 ; [all] } | trim }
        let c = Program::parse("norm 5 { overlay { [nz] rot90 ; [all] } | trim }").unwrap();
        let words = encode_programs(&[&c]);
        assert_eq!(words[1], 1 << 8 | 2 << 16 | FLAG_NORM << 24);
        assert_eq!(words[2], 1 << 5);
        assert_eq!(words[3], crate::lang::Mask::Nonzero as u32 | 1 << 8);
        assert_eq!(words[4], crate::lang::Mask::All as u32);
        assert_eq!(words.len(), 1 + record_words(&c));
        assert_eq!(record_words(&c), 2 + 2 + 2 * 2);
    }

    #[test]
    fn outcome_roundtrip() {
        let rec = [3 | 4 << 8 | 7 << 16, 0xdead_beef, 0x1234_5678, 0];
        let o = decode_outcome(&rec);
        assert_eq!((o.h, o.w, o.matching), (3, 4, 7));
        assert_eq!(o.hash, 0x1234_5678_dead_beef);
        assert_eq!(decode_outcome(&[0; 4]), PairOutcome::INVALID);
    }
}
