//! The CPU backend: programs in parallel on a rayon pool, one interpreter
//! (two 30x30 buffers) per worker, each program run once per input and
//! compared in the same pass.

use super::{Backend, EngineError, Masked};
use crate::grid::Grid;
use crate::lang::{Interp, Program};
use crate::score::{match_masks, PairOutcome, MASK_WORDS};
use crate::task::Task;
use rayon::prelude::*;
use std::sync::Arc;

/// Evaluates on a rayon thread pool.
pub struct CpuBackend {
    pool: Arc<rayon::ThreadPool>,
}

impl CpuBackend {
    /// A backend with `threads` workers (0 = physical cores).
    ///
    /// Panics if the threads cannot be started; [`CpuBackend::try_new`]
    /// reports that as an error instead.
    pub fn new(threads: usize) -> CpuBackend {
        CpuBackend::try_new(threads).expect("starting the CPU worker threads")
    }

    /// A backend with `threads` workers (0 = physical cores); an error when
    /// the operating system refuses the threads.
    pub fn try_new(threads: usize) -> Result<CpuBackend, EngineError> {
        let n = if threads == 0 {
            physical_cores()
        } else {
            threads
        };
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .thread_name(|i| format!("gridscore-cpu-{i}"))
            .build()
            .map_err(|e| EngineError::Spawn {
                what: format!("{n} CPU worker threads"),
                source: std::io::Error::other(e.to_string()),
            })?;
        Ok(CpuBackend {
            pool: Arc::new(pool),
        })
    }
    /// Number of worker threads.
    pub fn threads(&self) -> usize {
        self.pool.current_num_threads()
    }
}

/// Physical cores (falls back to logical CPUs).
pub fn physical_cores() -> usize {
    sysinfo::System::physical_core_count()
        .filter(|&n| n > 0)
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// Evaluates one program on every pair of a task into `out`.
#[inline]
pub fn evaluate_one(interp: &mut Interp, task: &Task, program: &Program, out: &mut [PairOutcome]) {
    for ((o, input), expected) in out.iter_mut().zip(task.inputs()).zip(task.expected()) {
        *o = PairOutcome::compare(interp.run_program(program, input), expected);
    }
}

/// [`evaluate_one`] with the match masks of every pair into `masks`
/// ([`MASK_WORDS`] words per pair).
#[inline]
pub fn evaluate_one_masked(
    interp: &mut Interp,
    task: &Task,
    program: &Program,
    out: &mut [PairOutcome],
    masks: &mut [u32],
) {
    for (((o, m), input), expected) in out
        .iter_mut()
        .zip(masks.chunks_exact_mut(MASK_WORDS))
        .zip(task.inputs())
        .zip(task.expected())
    {
        let y = interp.run_program(program, input);
        *o = PairOutcome::compare(y, expected);
        match_masks(y, expected, m);
    }
}

impl Backend for CpuBackend {
    fn name(&self) -> String {
        format!("cpu ({} threads)", self.threads())
    }
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn backend(&self) -> String {
        "rayon".into()
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        let np = task.num_pairs();
        let mut out = vec![PairOutcome::INVALID; programs.len() * np];
        if np == 0 {
            return Ok(out);
        }
        self.pool.install(|| {
            out.par_chunks_mut(np)
                .zip(programs.par_iter())
                .with_min_len(64)
                .for_each_init(Interp::new, |interp, (o, p)| {
                    evaluate_one(interp, task, p, o)
                });
        });
        Ok(out)
    }
    fn evaluate_masks(&self, task: &Task, programs: &[&Program]) -> Result<Masked, EngineError> {
        let np = task.num_pairs();
        let mut out = Masked::new(programs.len() * np);
        if np == 0 {
            return Ok(out);
        }
        self.pool.install(|| {
            out.outcomes
                .par_chunks_mut(np)
                .zip(out.masks.par_chunks_mut(np * MASK_WORDS))
                .zip(programs.par_iter())
                .with_min_len(64)
                .for_each_init(Interp::new, |interp, ((o, m), p)| {
                    evaluate_one_masked(interp, task, p, o, m)
                });
        });
        Ok(out)
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        Ok(self.pool.install(|| {
            programs
                .par_iter()
                .map_init(Interp::new, |interp, p| {
                    task.test
                        .iter()
                        .map(|t| interp.run_program(p, &t.input).cloned())
                        .collect()
                })
                .collect()
        }))
    }
}
