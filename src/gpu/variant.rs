//! The two builds of the evaluation shader, and which one runs a program.
//!
//! One WGSL module, two pipelines that differ in one pipeline-overridable
//! constant, `LIGHT` (`shaders/common.wgsl`):
//!
//! - [`Variant::Full`] runs every program.
//! - [`Variant::Light`] runs the programs without an overlay whose ops are
//!   not in [`SCRATCH_OPS`]: ops that need neither the prelude (labels,
//!   piece statistics, repair, ...) nor the scratch arrays `lab` and `cnt`.
//!   With `LIGHT` known when the pipeline is built, the other ops, the
//!   prelude and the overlay are dead code, and `lab`, `cnt` and `canvas`
//!   shrink to one word each: 8 KB of workgroup memory instead of 15.5 KB,
//!   and a far smaller program for the compiler (fewer registers per
//!   thread, so more workgroups per GPU core; lavapipe compiles it in a
//!   fraction of the time and runs it several times faster,
//!   `docs/benchmarks.md`).
//!
//! A batch is split by variant ([`GpuBackend`](super::GpuBackend) runs
//! each part with its pipeline and puts the results back in the batch's
//! order); results are the same whichever variant runs a program (the
//! light build is the full one with code removed that the program never
//! reaches). `tests/shaders.rs` checks [`SCRATCH_OPS`] against the shader:
//! every other op's WGSL function uses neither `lab` nor `cnt`, and every op
//! that the prelude works for is in the list.

use crate::lang::ops::{OpCode, NUM_OPS};
use crate::lang::Program;

/// A build of the evaluation shader.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Variant {
    /// Every op and construct.
    Full,
    /// Programs without an overlay and without the ops of [`SCRATCH_OPS`].
    Light,
}

/// Ops whose WGSL twin needs the prelude or the scratch arrays `lab` /
/// `cnt`: programs with one of them run on [`Variant::Full`].
pub const SCRATCH_OPS: &[OpCode] = &[
    OpCode::Object,
    OpCode::FillEnclosed,
    OpCode::Border,
    OpCode::Interior,
    OpCode::FillHoles,
    OpCode::BboxFill,
    OpCode::Compress,
    OpCode::Dedup,
    OpCode::Spread,
    OpCode::Majority,
    OpCode::Count,
    OpCode::UpscaleBy,
    OpCode::Pick,
    OpCode::KeepPieces,
    OpCode::DropPieces,
    OpCode::RecolorBy,
    OpCode::Fall,
    OpCode::Repair,
    OpCode::RepairCrop,
    OpCode::CellColors,
    OpCode::CropFrame,
    OpCode::Flood,
    OpCode::ColorBoxes,
    OpCode::Period,
    OpCode::Extend,
    OpCode::Symmetrize,
    OpCode::Stamp,
];

/// `SCRATCH_OPS` as a table indexed by op code.
const NEEDS_SCRATCH: [bool; NUM_OPS] = {
    let mut t = [false; NUM_OPS];
    let mut k = 0;
    while k < SCRATCH_OPS.len() {
        t[SCRATCH_OPS[k] as usize] = true;
        k += 1;
    }
    t
};

/// Whether the op needs the full shader.
pub fn needs_scratch(code: OpCode) -> bool {
    NEEDS_SCRATCH[code as usize]
}

impl Variant {
    /// Every variant, in the order a batch runs them.
    pub const ALL: [Variant; 2] = [Variant::Light, Variant::Full];

    /// The variant that runs `p`: the light one when it can.
    pub fn of(p: &Program) -> Variant {
        if p.layers().is_empty() && !p.all_ops().any(|op| needs_scratch(op.code)) {
            Variant::Light
        } else {
            Variant::Full
        }
    }

    /// The value of the shader's `LIGHT` override.
    pub fn light(self) -> bool {
        self == Variant::Light
    }

    /// Lower-case name (pipeline labels, reports).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Full => "full",
            Variant::Light => "light",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_take_the_light_variant_when_they_can() {
        let light = Program::parse("rot90 | recolor 1 2 | crop_bbox 0").unwrap();
        assert_eq!(Variant::of(&light), Variant::Light);
        assert_eq!(Variant::of(&Program::empty()), Variant::Light);
        let norm = Program::parse("norm { flip_h }").unwrap();
        assert_eq!(Variant::of(&norm), Variant::Light);
        let full = Program::parse("rot90 | fill_enclosed 0 3").unwrap();
        assert_eq!(Variant::of(&full), Variant::Full);
        let overlay = Program::parse("overlay { [nz] rot90 ; [all] flip_h }").unwrap();
        assert_eq!(Variant::of(&overlay), Variant::Full);
    }

    #[test]
    fn the_table_lists_each_op_once() {
        let mut seen = [false; NUM_OPS];
        for &c in SCRATCH_OPS {
            assert!(!seen[c as usize], "{c:?} twice");
            seen[c as usize] = true;
        }
        for (k, &s) in seen.iter().enumerate() {
            assert_eq!(NEEDS_SCRATCH[k], s);
        }
    }
}
