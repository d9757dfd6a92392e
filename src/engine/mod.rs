//! Batch evaluation: backends turn (program, input) pairs into
//! [`PairOutcome`]s; [`batch`] dedups, scores and ranks candidates.

pub mod batch;
pub mod cpu;

use crate::grid::Grid;
use crate::lang::Program;
use crate::score::PairOutcome;
use crate::task::Task;

pub use batch::{score_batch, BatchOptions, BatchReport, CandidateResult, Status};
pub use cpu::CpuBackend;

/// Why a backend could not evaluate a batch.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("device {device}: {message}")]
    Device { device: String, message: String },
    #[error("device {device}: timed out after {secs:.1} s waiting for the GPU")]
    Timeout { device: String, secs: f64 },
    #[error("device {device}: out of memory: {message}")]
    OutOfMemory { device: String, message: String },
}

/// A device that evaluates programs on a task's inputs.
///
/// `evaluate` returns one outcome per (program, pair), program-major, with
/// the pairs in task order: train pairs, then test pairs (compared with the
/// test outputs where the task has them). `predict` returns the output grids
/// on the test inputs (`None` = INVALID).
pub trait Backend: Send + Sync {
    /// A human-readable device name.
    fn name(&self) -> String;
    /// `cpu` or `gpu`.
    fn kind(&self) -> &'static str;
    /// Evaluates every program on every pair of the task.
    fn evaluate(&self, task: &Task, programs: &[&Program])
        -> Result<Vec<PairOutcome>, EngineError>;
    /// The programs' outputs on the task's test inputs.
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError>;
}
