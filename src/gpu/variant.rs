//! The builds of the evaluation shader, and which one runs a program.
//!
//! One WGSL module, three pipelines that differ in one pipeline-overridable
//! constant, `BUILD` (`shaders/common.wgsl`), each build holding the ops of
//! the one before:
//!
//! - [`Variant::Light`] runs the programs without an overlay whose ops are
//!   in neither [`LABEL_OPS`] nor [`FULL_OPS`]: ops that need neither the
//!   prelude (labels, piece statistics, repair, ...) nor the scratch arrays
//!   `lab` and `cnt`. The other ops, the prelude and the overlay are dead
//!   code there (`BUILD` is known when the pipeline is built), and `lab`,
//!   `cnt` and `canvas` shrink: 8.2 KB of workgroup memory instead of
//!   15.5 KB, and a far smaller program for the compiler.
//! - [`Variant::Labels`] adds the ops of [`LABEL_OPS`] (regions, objects,
//!   periods, fall, stamp, symmetrize: the prelude's labels, distances,
//!   statistics and majorities, and the scratch arrays), without the
//!   pieces' selection, the color and cell splits, `repair` and the
//!   overlay.
//! - [`Variant::Full`] runs every program.
//!
//! Fewer ops mean fewer registers per thread (a pipeline's register count
//! is that of its costliest path), so more workgroups per GPU core; on
//! lavapipe, where it can be measured, the light build runs its programs
//! about 3 times as fast as the one shader before it, and the labels build
//! region programs up to 2 times (`docs/benchmarks.md`).
//!
//! A batch is split by variant ([`GpuBackend`](super::GpuBackend) runs each
//! part with its pipeline and puts the results back in the batch's order);
//! results are the same whichever build runs a program (a smaller build is
//! the full one with code removed that the program never reaches).
//! `tests/shaders.rs` checks the tables against the shader: no light op's
//! WGSL function uses `lab`, `cnt`, `canvas` or the prelude's result, every
//! op the prelude works for is in a table, and the prelude's stages that
//! only the full build keeps serve only ops of [`FULL_OPS`].

use crate::lang::ops::{OpCode, NUM_OPS};
use crate::lang::Program;

/// A build of the evaluation shader, smallest first.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Programs without an overlay, with ops outside [`LABEL_OPS`] and
    /// [`FULL_OPS`] only.
    Light = 0,
    /// Programs without an overlay, with ops outside [`FULL_OPS`] only.
    Labels = 1,
    /// Every op and construct.
    Full = 2,
}

/// Ops that need the prelude's labels, distances, piece statistics or
/// majorities, or the scratch arrays `lab` / `cnt`, but not the pieces'
/// selection, the color and cell splits or the repair search: the labels build and
/// the full one run them.
pub const LABEL_OPS: &[OpCode] = &[
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
    OpCode::CropFrame,
    OpCode::Flood,
    OpCode::ColorBoxes,
    OpCode::Period,
    OpCode::Extend,
    OpCode::Fall,
    OpCode::Symmetrize,
    OpCode::Stamp,
];

/// Ops that only the full build runs: those that split a grid into pieces
/// and select among them (the prelude's color and cell splits, selection
/// and values) and the repair search.
pub const FULL_OPS: &[OpCode] = &[
    OpCode::Pick,
    OpCode::KeepPieces,
    OpCode::DropPieces,
    OpCode::RecolorBy,
    OpCode::CellColors,
    OpCode::Repair,
    OpCode::RepairCrop,
];

/// The smallest build of each op, indexed by op code.
const OP_VARIANT: [Variant; NUM_OPS] = {
    let mut t = [Variant::Light; NUM_OPS];
    let mut k = 0;
    while k < LABEL_OPS.len() {
        t[LABEL_OPS[k] as usize] = Variant::Labels;
        k += 1;
    }
    let mut k = 0;
    while k < FULL_OPS.len() {
        t[FULL_OPS[k] as usize] = Variant::Full;
        k += 1;
    }
    t
};

impl Variant {
    /// Every build, smallest first (the order a batch runs them in).
    pub const ALL: [Variant; 3] = [Variant::Light, Variant::Labels, Variant::Full];

    /// The smallest build that runs the op.
    pub fn of_op(code: OpCode) -> Variant {
        OP_VARIANT[code as usize]
    }

    /// The smallest build that runs `p`.
    pub fn of(p: &Program) -> Variant {
        if !p.layers().is_empty() {
            return Variant::Full;
        }
        p.all_ops()
            .map(|op| Variant::of_op(op.code))
            .max()
            .unwrap_or(Variant::Light)
    }

    /// The value of the shader's `BUILD` override (`BUILD_LIGHT`, ...).
    pub fn build(self) -> u32 {
        self as u32
    }

    /// The WGSL constant naming this build's `BUILD` value.
    pub fn wgsl_const(self) -> &'static str {
        match self {
            Variant::Light => "BUILD_LIGHT",
            Variant::Labels => "BUILD_LABELS",
            Variant::Full => "BUILD_FULL",
        }
    }

    /// Lower-case name (pipeline labels, reports).
    pub fn name(self) -> &'static str {
        match self {
            Variant::Light => "light",
            Variant::Labels => "labels",
            Variant::Full => "full",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_take_the_smallest_build_that_runs_them() {
        let light = Program::parse("rot90 | recolor 1 2 | crop_bbox 0").unwrap();
        assert_eq!(Variant::of(&light), Variant::Light);
        assert_eq!(Variant::of(&Program::empty()), Variant::Light);
        let norm = Program::parse("norm { flip_h }").unwrap();
        assert_eq!(Variant::of(&norm), Variant::Light);
        let labels = Program::parse("rot90 | fill_enclosed 0 3").unwrap();
        assert_eq!(Variant::of(&labels), Variant::Labels);
        let full = Program::parse("fill_enclosed 0 3 | repair 0").unwrap();
        assert_eq!(Variant::of(&full), Variant::Full);
        let overlay = Program::parse("overlay { [nz] rot90 ; [all] flip_h }").unwrap();
        assert_eq!(Variant::of(&overlay), Variant::Full);
    }

    #[test]
    fn the_tables_list_each_op_once() {
        let mut seen = [false; NUM_OPS];
        for &c in LABEL_OPS.iter().chain(FULL_OPS) {
            assert!(!seen[c as usize], "{c:?} twice");
            seen[c as usize] = true;
        }
        for (k, &s) in seen.iter().enumerate() {
            assert_eq!(OP_VARIANT[k] != Variant::Light, s);
        }
        assert_eq!(Variant::ALL.map(Variant::build), [0, 1, 2]);
    }
}
