//! Batch evaluation: backends turn (program, input) pairs into
//! [`PairOutcome`]s; [`batch`] dedups, scores and ranks candidates.

pub mod batch;
pub mod cpu;
pub mod rows;

use crate::grid::Grid;
use crate::lang::Program;
use crate::score::{PairOutcome, MASK_SET_WORDS, MASK_WORDS};
use crate::task::Task;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
    #[error("interrupted")]
    Cancelled,
    #[error("cannot start {what}: {source}")]
    Spawn {
        what: String,
        #[source]
        source: std::io::Error,
    },
}

/// A flag that asks running work to stop (set by a signal handler, read by
/// the scheduler and the search between chunks and tasks). Clones share the
/// flag.
#[derive(Clone, Debug, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag that is not set.
    pub fn new() -> Cancel {
        Cancel::default()
    }
    /// Asks the work to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    /// Whether stopping was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// The outcomes of an evaluation that a deadline may cut short: programs
/// not evaluated have `done[i] == false` and INVALID outcomes.
#[derive(Clone, Debug)]
pub struct Partial {
    pub outcomes: Vec<PairOutcome>,
    pub done: Vec<bool>,
}

impl Partial {
    /// Programs not evaluated.
    pub fn not_done(&self) -> usize {
        self.done.iter().filter(|&&d| !d).count()
    }
}

/// Outcomes with match masks ([`Backend::evaluate_masks`]): `outcomes` as
/// [`Backend::evaluate`] returns them, and [`MASK_WORDS`] words of `masks`
/// per outcome, in the same order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Masked {
    pub outcomes: Vec<PairOutcome>,
    pub masks: Vec<u32>,
}

impl Masked {
    /// `slots` INVALID outcomes with empty masks.
    pub fn new(slots: usize) -> Masked {
        Masked {
            outcomes: vec![PairOutcome::INVALID; slots],
            masks: vec![0; slots * MASK_WORDS],
        }
    }
    /// The masks of outcome `slot`: (non-0 cells, wrong cells).
    pub fn masks_of(&self, slot: usize) -> (&[u32], &[u32]) {
        self.masks[slot * MASK_WORDS..(slot + 1) * MASK_WORDS].split_at(MASK_SET_WORDS)
    }
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
    /// Evaluates as many programs as fit before `deadline`, in order, in
    /// chunks sized from the measured time per program (so that the last
    /// one ends near the deadline); nothing starts after it. The scheduler
    /// overrides this with its own chunks.
    fn evaluate_until(
        &self,
        task: &Task,
        programs: &[&Program],
        deadline: Instant,
    ) -> Result<Partial, EngineError> {
        let np = task.num_pairs();
        let n = programs.len();
        let mut out = Partial {
            outcomes: vec![PairOutcome::INVALID; n * np],
            done: vec![false; n],
        };
        let target = Duration::from_millis(50);
        let mut size = 16usize;
        let mut per_program: Option<f64> = None;
        let mut i = 0;
        while i < n {
            let now = Instant::now();
            if now >= deadline {
                break;
            }
            if let Some(per) = per_program {
                let left = (deadline - now).as_secs_f64();
                let fit = (left / per).floor().max(1.0) as usize;
                size = ((target.as_secs_f64() / per) as usize)
                    .clamp(1, size.saturating_mul(4))
                    .min(fit);
            }
            let end = (i + size).min(n);
            let t0 = Instant::now();
            let o = self.evaluate(task, &programs[i..end])?;
            let dt = t0.elapsed().as_secs_f64();
            per_program = Some((dt / (end - i) as f64).max(1e-9));
            out.outcomes[i * np..end * np].copy_from_slice(&o);
            out.done[i..end].fill(true);
            i = end;
        }
        Ok(out)
    }
    /// [`Backend::evaluate`] with the match masks of every (program, pair)
    /// ([`crate::score::match_masks`]), computed in the same pass. This
    /// default runs the CPU interpreter on the calling thread; the CPU and
    /// GPU backends compute them in their own pass.
    fn evaluate_masks(&self, task: &Task, programs: &[&Program]) -> Result<Masked, EngineError> {
        let mut interp = crate::lang::Interp::new();
        let np = task.num_pairs();
        let mut out = Masked::new(programs.len() * np);
        for (p, prog) in programs.iter().enumerate() {
            cpu::evaluate_one_masked(
                &mut interp,
                task,
                prog,
                &mut out.outcomes[p * np..(p + 1) * np],
                &mut out.masks[p * np * MASK_WORDS..(p + 1) * np * MASK_WORDS],
            );
        }
        Ok(out)
    }
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
