//! Batch evaluation: backends turn (program, input) pairs into
//! [`PairOutcome`]s; [`batch`] dedups, scores and ranks candidates.

pub mod batch;
pub mod cpu;
pub mod rows;

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
    #[error("reading the candidates: {0}")]
    Read(#[from] std::io::Error),
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
    /// The API or runtime behind the device (`rayon`, `vulkan`, ...).
    fn backend(&self) -> String {
        self.kind().to_string()
    }
    /// The most programs one `evaluate` call may take on this task, and the
    /// device limit that bounds it (for the scheduler's plan).
    fn max_programs(&self, _task: &Task) -> (usize, &'static str) {
        (usize::MAX, "none")
    }
    /// GPU time (from timestamp queries) spent since the last call, where
    /// the device measures it.
    fn take_gpu_time_s(&self) -> Option<f64> {
        None
    }
    /// Host-to-device and device-to-host copy rates in GB/s for buffers of
    /// `bytes` bytes (devices with their own memory only).
    fn transfer_rates(&self, _bytes: usize) -> Option<(f64, f64)> {
        None
    }
    /// Adapter details (driver, limits) for reports, as JSON.
    fn details(&self) -> serde_json::Value {
        serde_json::Value::Null
    }
}
