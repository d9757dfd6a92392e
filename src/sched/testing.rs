//! Test devices for the scheduler: one that counts the chunks in flight,
//! one that fails (or panics) after some chunks, one that is slow. They wrap
//! a real backend, so their results are real.

use crate::engine::{Backend, EngineError, Masked};
use crate::grid::Grid;
use crate::lang::Program;
use crate::score::PairOutcome;
use crate::task::Task;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// How a [`TestDevice`] misbehaves.
#[derive(Clone, Copy, Debug)]
pub enum Fault {
    /// Never.
    None,
    /// Returns an error from the n-th chunk on (0-based).
    FailAfter(usize),
    /// Panics on the n-th chunk.
    PanicAt(usize),
    /// Returns the wrong number of outcomes from the n-th chunk on.
    Garbage(usize),
}

/// A device wrapping a real backend, with a delay per chunk, a fault, and
/// counters of the chunks in flight.
pub struct TestDevice {
    pub inner: Arc<dyn Backend>,
    pub name: String,
    pub delay: Duration,
    /// A further delay per program of a chunk.
    pub per_program: Duration,
    pub fault: Fault,
    pub calls: AtomicUsize,
    pub inflight: AtomicUsize,
    pub max_inflight: AtomicUsize,
    pub programs_seen: AtomicUsize,
}

impl TestDevice {
    /// A test device.
    pub fn new(name: &str, inner: Arc<dyn Backend>, delay: Duration, fault: Fault) -> TestDevice {
        TestDevice {
            inner,
            name: name.to_string(),
            delay,
            per_program: Duration::ZERO,
            fault,
            calls: AtomicUsize::new(0),
            inflight: AtomicUsize::new(0),
            max_inflight: AtomicUsize::new(0),
            programs_seen: AtomicUsize::new(0),
        }
    }
    /// The same device, slower by `d` per program.
    pub fn with_per_program(mut self, d: Duration) -> TestDevice {
        self.per_program = d;
        self
    }
}

impl TestDevice {
    /// One chunk of `n` programs: counts it, sleeps, then injects the fault
    /// due on this chunk (`garbage` is a result of the wrong size) or runs
    /// the inner backend (`run`).
    fn chunk<T>(
        &self,
        n: usize,
        garbage: impl FnOnce() -> T,
        run: impl FnOnce() -> Result<T, EngineError>,
    ) -> Result<T, EngineError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let now = self.inflight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_inflight.fetch_max(now, Ordering::SeqCst);
        std::thread::sleep(self.delay + self.per_program * n as u32);
        let result = match self.fault {
            Fault::FailAfter(f) if call >= f => Err(EngineError::Device {
                device: self.name.clone(),
                message: format!("injected failure on chunk {call}"),
            }),
            Fault::PanicAt(f) if call == f => {
                self.inflight.fetch_sub(1, Ordering::SeqCst);
                panic!("injected panic on chunk {call}");
            }
            Fault::Garbage(f) if call >= f => Ok(garbage()),
            _ => {
                self.programs_seen.fetch_add(n, Ordering::SeqCst);
                run()
            }
        };
        self.inflight.fetch_sub(1, Ordering::SeqCst);
        result
    }
}

impl Backend for TestDevice {
    fn name(&self) -> String {
        self.name.clone()
    }
    fn kind(&self) -> &'static str {
        "test"
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        self.chunk(
            programs.len(),
            || vec![PairOutcome::INVALID; 1],
            || self.inner.evaluate(task, programs),
        )
    }
    /// Like `evaluate`: the same delays, faults (`Garbage`: masks of the
    /// wrong size) and counters.
    fn evaluate_masks(&self, task: &Task, programs: &[&Program]) -> Result<Masked, EngineError> {
        self.chunk(
            programs.len(),
            || Masked::new(1),
            || self.inner.evaluate_masks(task, programs),
        )
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        self.inner.predict(task, programs)
    }
}
