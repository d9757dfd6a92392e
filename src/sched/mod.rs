//! The scheduler: every device busy, none overloaded; deadlines and device
//! failures lose nothing.
//!
//! Each device (the CPU pool, each GPU) gets `max_inflight` worker threads.
//! A worker pulls the next chunk of programs from one shared queue when it is
//! free (work stealing: a fast device simply pulls more often), evaluates it
//! with [`Backend::evaluate`] and sends the outcomes to the collector. So a
//! device never has more than `max_inflight` chunks submitted and not yet
//! read back, and with two slots the next chunk's upload overlaps the
//! current chunk's run.
//!
//! Nothing blocks forever: workers only wait on the queue's condition
//! variable with a timeout, never on each other; the collector waits on its
//! channel with a timeout. Chunks outnumbering workers just wait in the
//! queue. A device that fails is marked failed, its chunk goes back to the
//! front of the queue for the others, and when no device is left a CPU
//! fallback takes the rest. After the deadline no chunk starts; running ones
//! get a grace period and are then abandoned, their programs reported
//! `not_run`.

pub mod devices;
pub mod full;
pub mod plan;
pub mod stream;
pub mod testing;

use crate::engine::{Backend, Cancel, CpuBackend, EngineError, Partial};
use crate::lang::Program;
use crate::score::PairOutcome;
use crate::task::Task;
use serde::Serialize;
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub use plan::{plan, HostInfo, Plan};

/// Scheduler settings.
#[derive(Clone)]
pub struct SchedOptions {
    /// Chunks in flight per device (at least 1).
    pub max_inflight: usize,
    /// No chunk starts after this instant.
    pub deadline: Option<Instant>,
    /// How long running chunks may go on after the deadline.
    pub grace: Duration,
    /// Target duration of one chunk, to calibrate chunk sizes.
    pub target_chunk: Duration,
    /// Programs in a device's first chunk (before calibration).
    pub first_chunk: usize,
    /// Upper bound on programs per chunk from host memory (see [`fn@plan`]).
    pub host_max_chunk: usize,
    /// Called with the number of programs each finished chunk held.
    pub progress: Option<Arc<dyn Fn(usize) + Send + Sync>>,
    /// When set (a signal), no chunk starts and running ones are abandoned
    /// at once; programs not done are reported as not run.
    pub cancel: Cancel,
}

impl Default for SchedOptions {
    fn default() -> Self {
        SchedOptions {
            max_inflight: 2,
            deadline: None,
            grace: Duration::from_millis(500),
            target_chunk: Duration::from_millis(100),
            first_chunk: 256,
            host_max_chunk: usize::MAX,
            progress: None,
            cancel: Cancel::new(),
        }
    }
}

/// What one device did in a run.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DeviceStats {
    pub name: String,
    pub kind: String,
    pub backend: String,
    /// (program, pair) evaluations completed on this device.
    pub evaluations: u64,
    /// Chunks completed.
    pub chunks: u64,
    /// Seconds this device spent inside `evaluate` (summed over slots).
    pub busy_s: f64,
    /// GPU time from timestamp queries, where the device measures it.
    pub gpu_s: Option<f64>,
    /// The largest number of chunks in flight observed on this device.
    pub max_inflight: usize,
    /// The error that made this device fail, if one did.
    pub failed: Option<String>,
    /// Chunk size after calibration.
    pub chunk_size: usize,
}

/// The outcome of a scheduled evaluation.
pub struct SchedRun {
    /// Outcomes, program-major (`programs.len() * pairs`); only meaningful
    /// where `done` is true.
    pub outcomes: Vec<PairOutcome>,
    /// Whether each program was evaluated.
    pub done: Vec<bool>,
    /// Per device statistics, in device order (a CPU fallback, when one was
    /// needed, comes last).
    pub devices: Vec<DeviceStats>,
    /// Whether the deadline (or `cancel`) stopped the run before every program ran.
    pub deadline_hit: bool,
    /// Device faults, in the order they happened.
    pub faults: Vec<String>,
    /// Whether [`SchedOptions::cancel`] stopped the run.
    pub cancelled: bool,
}

/// Runs chunks of programs on a set of devices.
pub struct Scheduler {
    devices: Vec<Arc<dyn Backend>>,
    opts: SchedOptions,
    /// Devices that failed in an earlier run stay out of later ones.
    failed: Mutex<Vec<bool>>,
    /// Each device's calibrated chunk size from the last run (0: none yet),
    /// so that a stream of batches does not calibrate again each time.
    calibrated: Mutex<Vec<usize>>,
}

struct Queue {
    /// Next unassigned program.
    cursor: usize,
    end: usize,
    /// Ranges given back by failed devices; served first.
    retry: VecDeque<Range<usize>>,
    /// Programs not yet completed (or abandoned).
    outstanding: usize,
    /// Healthy devices.
    healthy: usize,
}

struct Shared {
    queue: Mutex<Queue>,
    wake: Condvar,
    stop: AtomicBool,
    finished: AtomicUsize,
    /// Chunks handed to a worker and not yet reported back.
    running: AtomicUsize,
}

enum Msg {
    Done {
        range: Range<usize>,
        outcomes: Vec<PairOutcome>,
    },
    Failed {
        device: usize,
        error: String,
    },
}

struct Slot {
    backend: Arc<dyn Backend>,
    stats: Mutex<DeviceStats>,
    inflight: AtomicUsize,
    failed: AtomicBool,
    chunk: AtomicUsize,
    max_chunk: usize,
    /// Measured seconds per program (f64 bits; 0 = not measured yet), to
    /// size chunks that must end by a deadline.
    per_program: AtomicU64,
}

impl Scheduler {
    /// A scheduler over `devices` (at least one).
    pub fn new(devices: Vec<Arc<dyn Backend>>, opts: SchedOptions) -> Scheduler {
        let failed = Mutex::new(vec![false; devices.len()]);
        let calibrated = Mutex::new(vec![0; devices.len()]);
        Scheduler {
            devices,
            opts,
            failed,
            calibrated,
        }
    }

    /// The devices.
    pub fn devices(&self) -> &[Arc<dyn Backend>] {
        &self.devices
    }

    /// The first device that has not failed, if any.
    pub fn healthy_device(&self) -> Option<Arc<dyn Backend>> {
        let failed = self.failed.lock().expect("failed");
        self.devices
            .iter()
            .zip(failed.iter())
            .find(|(_, &f)| !f)
            .map(|(d, _)| d.clone())
    }

    /// The options.
    pub fn options(&self) -> &SchedOptions {
        &self.opts
    }

    /// Evaluates `programs` on `task` across the devices, under the
    /// options' deadline and grace.
    pub fn evaluate(&self, task: Arc<Task>, programs: Arc<Vec<Program>>) -> SchedRun {
        self.evaluate_with(task, programs, self.opts.deadline, self.opts.grace)
    }

    /// Evaluates `programs` on `task` across the devices: no chunk starts
    /// after `deadline`, chunks are sized to end by it once a device's time
    /// per program is measured, and running chunks get `grace` past it
    /// before they are abandoned.
    pub fn evaluate_with(
        &self,
        task: Arc<Task>,
        programs: Arc<Vec<Program>>,
        deadline: Option<Instant>,
        grace: Duration,
    ) -> SchedRun {
        let np = task.num_pairs();
        let n = programs.len();
        let mut outcomes = vec![PairOutcome::INVALID; n * np];
        let mut done = vec![false; n];
        let shared = Arc::new(Shared {
            queue: Mutex::new(Queue {
                cursor: 0,
                end: n,
                retry: VecDeque::new(),
                outstanding: n,
                healthy: 0,
            }),
            wake: Condvar::new(),
            stop: AtomicBool::new(false),
            finished: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
        });
        let (tx, rx) = mpsc::channel::<Msg>();
        let mut slots: Vec<Arc<Slot>> = Vec::new();
        let mut faults = Vec::new();
        let mut deadline_hit = false;
        let cancel = &self.opts.cancel;
        let inflight = self.opts.max_inflight.max(1);
        let share = n.div_ceil(self.devices.len().max(1) * inflight).max(1);
        // Starts a device's workers; the number started (0 when the
        // operating system refuses every thread: the device is then out).
        let start_device = |backend: Arc<dyn Backend>,
                            slots: &mut Vec<Arc<Slot>>,
                            calibrated: usize,
                            faults: &mut Vec<String>|
         -> usize {
            let first = if calibrated > 0 {
                calibrated.min(share)
            } else {
                self.opts.first_chunk
            };
            let (max_chunk, _) = backend.max_programs(&task);
            let slot = Arc::new(Slot {
                stats: Mutex::new(DeviceStats {
                    name: backend.name(),
                    kind: backend.kind().to_string(),
                    backend: backend.backend(),
                    ..Default::default()
                }),
                backend,
                inflight: AtomicUsize::new(0),
                failed: AtomicBool::new(false),
                chunk: AtomicUsize::new(first.min(max_chunk).min(self.opts.host_max_chunk).max(1)),
                max_chunk: max_chunk.min(self.opts.host_max_chunk).max(1),
                per_program: AtomicU64::new(0),
            });
            let index = slots.len();
            slots.push(slot.clone());
            // Counted healthy before any of its workers can fail.
            shared.queue.lock().expect("queue").healthy += 1;
            let mut started = 0;
            for _ in 0..inflight {
                let (slot, shared, tx) = (slot.clone(), shared.clone(), tx.clone());
                let (task, programs) = (task.clone(), programs.clone());
                let target = self.opts.target_chunk;
                let spawned = std::thread::Builder::new()
                    .name(format!("gridscore-dev{index}"))
                    .spawn(move || {
                        worker(
                            index, &slot, &shared, &tx, &task, &programs, target, deadline,
                        )
                    });
                match spawned {
                    Ok(_) => started += 1,
                    Err(e) => {
                        let name = slot_name(&slots[index]);
                        faults.push(format!("{name}: cannot start a worker thread: {e}"));
                        break;
                    }
                }
            }
            if started == 0 {
                slots[index].failed.store(true, Ordering::SeqCst);
                slots[index].stats.lock().expect("stats").failed =
                    Some("no worker thread could be started".into());
                shared.queue.lock().expect("queue").healthy -= 1;
            }
            started
        };
        let failed_before = self.failed.lock().expect("failed").clone();
        let calibrated = self.calibrated.lock().expect("calibrated").clone();
        let mut device_of_slot = Vec::new();
        let mut workers = 0;
        for (k, d) in self.devices.iter().enumerate() {
            if !failed_before[k] {
                device_of_slot.push(Some(k));
                workers += start_device(d.clone(), &mut slots, calibrated[k], &mut faults);
            }
        }
        // The CPU fallback, when no device is left: `None` when even its
        // threads cannot be started.
        let fallback = |slots: &mut Vec<Arc<Slot>>, faults: &mut Vec<String>| -> usize {
            match CpuBackend::try_new(0) {
                Ok(cpu) => start_device(Arc::new(cpu), slots, 0, faults),
                Err(e) => {
                    faults.push(format!("cpu fallback: {e}"));
                    0
                }
            }
        };
        let mut fallback_started = false;
        if workers == 0 && n > 0 {
            fallback_started = true;
            device_of_slot.push(None);
            workers += fallback(&mut slots, &mut faults);
        }
        let mut remaining = n;
        let mut cancelled = false;
        let tick = Duration::from_millis(20);
        // With no worker at all nothing can finish: the loop ends at once.
        while remaining > 0 && workers > 0 {
            let now = Instant::now();
            if cancel.is_cancelled() {
                cancelled = true;
                break;
            }
            if let Some(dl) = deadline {
                if now >= dl && !shared.stop.swap(true, Ordering::SeqCst) {
                    shared.wake.notify_all();
                }
                if now >= dl + grace {
                    deadline_hit = true;
                    break;
                }
            }
            // After the deadline, once no chunk is running, nothing more
            // can come: take what is in the channel and stop (no need to
            // wait out the grace).
            let idle_after_deadline =
                shared.stop.load(Ordering::SeqCst) && shared.running.load(Ordering::SeqCst) == 0;
            let msg = if idle_after_deadline {
                match rx.try_recv() {
                    Ok(m) => Ok(m),
                    Err(_) => {
                        deadline_hit = true;
                        break;
                    }
                }
            } else {
                rx.recv_timeout(tick)
            };
            match msg {
                Ok(Msg::Done { range, outcomes: o }) => {
                    let len = range.len();
                    outcomes[range.start * np..range.end * np].copy_from_slice(&o);
                    done[range].fill(true);
                    remaining -= len;
                    shared.finished.fetch_add(len, Ordering::Relaxed);
                    if let Some(p) = &self.opts.progress {
                        p(len);
                    }
                }
                Ok(Msg::Failed { device, error }) => {
                    if let Some(Some(k)) = device_of_slot.get(device) {
                        self.failed.lock().expect("failed")[*k] = true;
                    }
                    faults.push(format!("{}: {error}", slot_name(&slots[device])));
                    let healthy = shared.queue.lock().expect("queue").healthy;
                    if healthy == 0 && !fallback_started {
                        fallback_started = true;
                        device_of_slot.push(None);
                        if fallback(&mut slots, &mut faults) == 0 {
                            break;
                        }
                        shared.wake.notify_all();
                    } else if healthy == 0 {
                        break;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        if remaining > 0 && deadline.is_some() && !cancelled {
            deadline_hit = true;
        }
        // Stop the workers; abandoned ones finish their chunk and exit.
        shared.stop.store(true, Ordering::SeqCst);
        shared.wake.notify_all();
        {
            let mut cal = self.calibrated.lock().expect("calibrated");
            for (slot, dev) in slots.iter().zip(&device_of_slot) {
                if let Some(k) = dev {
                    if slot.stats.lock().expect("stats").chunks > 0 {
                        cal[*k] = slot.chunk.load(Ordering::Relaxed);
                    }
                }
            }
        }
        let devices = slots
            .iter()
            .map(|s| {
                let mut st = s.stats.lock().expect("stats").clone();
                st.gpu_s = s.backend.take_gpu_time_s().or(st.gpu_s);
                st.chunk_size = s.chunk.load(Ordering::Relaxed);
                st
            })
            .collect();
        SchedRun {
            outcomes,
            done,
            devices,
            deadline_hit,
            faults,
            cancelled,
        }
    }
}

fn slot_name(slot: &Slot) -> String {
    slot.stats.lock().expect("stats").name.clone()
}

/// Takes the next chunk for a device: a retried range first, else the next
/// `size` programs. Waits (with a timeout) while other devices still hold
/// chunks that may come back. `None` when there is nothing left to do.
fn next_chunk(shared: &Shared, size: usize) -> Option<Range<usize>> {
    let mut q = shared.queue.lock().expect("queue");
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return None;
        }
        if let Some(r) = q.retry.pop_front() {
            shared.running.fetch_add(1, Ordering::SeqCst);
            if r.len() > size {
                q.retry.push_front(r.start + size..r.end);
                return Some(r.start..r.start + size);
            }
            return Some(r);
        }
        if q.cursor < q.end {
            let start = q.cursor;
            q.cursor = (start + size).min(q.end);
            shared.running.fetch_add(1, Ordering::SeqCst);
            return Some(start..q.cursor);
        }
        if q.outstanding == 0 {
            return None;
        }
        q = shared
            .wake
            .wait_timeout(q, Duration::from_millis(50))
            .expect("queue")
            .0;
    }
}

#[allow(clippy::too_many_arguments)]
fn worker(
    index: usize,
    slot: &Slot,
    shared: &Shared,
    tx: &mpsc::Sender<Msg>,
    task: &Task,
    programs: &[Program],
    target: Duration,
    deadline: Option<Instant>,
) {
    let np = task.num_pairs().max(1);
    loop {
        if slot.failed.load(Ordering::SeqCst) {
            return;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }
        let mut size = slot.chunk.load(Ordering::Relaxed).max(1);
        if let Some(d) = deadline {
            // Once the time per program is known, a chunk ends by the
            // deadline (at least one program runs).
            let per = f64::from_bits(slot.per_program.load(Ordering::Relaxed));
            if per > 0.0 {
                let left = d.saturating_duration_since(Instant::now()).as_secs_f64();
                size = size.min(((left / per) as usize).max(1));
            }
        }
        let Some(range) = next_chunk(shared, size) else {
            return;
        };
        let refs: Vec<&Program> = programs[range.clone()].iter().collect();
        let now = slot.inflight.fetch_add(1, Ordering::SeqCst) + 1;
        {
            let mut st = slot.stats.lock().expect("stats");
            st.max_inflight = st.max_inflight.max(now);
        }
        let t0 = Instant::now();
        // A panicking backend is a failed device, not a lost chunk.
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            slot.backend.evaluate(task, &refs)
        }))
        .unwrap_or_else(|_| {
            Err(EngineError::Device {
                device: slot.backend.name(),
                message: "panicked".into(),
            })
        });
        let dt = t0.elapsed();
        slot.inflight.fetch_sub(1, Ordering::SeqCst);
        match result {
            Ok(o) if o.len() == refs.len() * task.num_pairs() => {
                {
                    let mut st = slot.stats.lock().expect("stats");
                    st.evaluations += o.len() as u64;
                    st.chunks += 1;
                    st.busy_s += dt.as_secs_f64();
                }
                slot.per_program.store(
                    (dt.as_secs_f64() / refs.len() as f64).to_bits(),
                    Ordering::Relaxed,
                );
                // Calibrate: aim each chunk at the target duration.
                let per = dt.as_secs_f64() / (refs.len() * np) as f64;
                if per > 0.0 {
                    let want = (target.as_secs_f64() / per / np as f64) as usize;
                    let cur = slot.chunk.load(Ordering::Relaxed);
                    let next = want
                        .clamp(cur / 2, cur.saturating_mul(4))
                        .clamp(1, slot.max_chunk);
                    slot.chunk.store(next, Ordering::Relaxed);
                }
                {
                    let mut q = shared.queue.lock().expect("queue");
                    q.outstanding -= range.len();
                }
                shared.wake.notify_all();
                // Sent before the chunk stops counting as running, so the
                // collector never misses it.
                let sent = tx.send(Msg::Done { range, outcomes: o });
                shared.running.fetch_sub(1, Ordering::SeqCst);
                if sent.is_err() {
                    return;
                }
            }
            other => {
                let error = match other {
                    Err(e) => e.to_string(),
                    Ok(o) => format!(
                        "returned {} outcomes for {} programs x {} pairs",
                        o.len(),
                        refs.len(),
                        task.num_pairs()
                    ),
                };
                let first = !slot.failed.swap(true, Ordering::SeqCst);
                {
                    let mut q = shared.queue.lock().expect("queue");
                    q.retry.push_front(range);
                    if first {
                        q.healthy -= 1;
                    }
                }
                if first {
                    slot.stats.lock().expect("stats").failed = Some(error.clone());
                    let _ = tx.send(Msg::Failed {
                        device: index,
                        error,
                    });
                }
                shared.running.fetch_sub(1, Ordering::SeqCst);
                shared.wake.notify_all();
                return;
            }
        }
    }
}

/// A scored batch with the run's statistics.
pub struct ScoredRun {
    pub report: crate::engine::BatchReport,
    pub devices: Vec<DeviceStats>,
    pub deadline_hit: bool,
    pub faults: Vec<String>,
}

/// Scores candidates on a task across the scheduler's devices: duplicates
/// run once, every candidate is reported (`not_run` where the deadline
/// stopped it), predictions come from the first device that still works.
pub fn score(
    task: &Task,
    candidates: &[crate::lang::Candidate],
    sched: &Scheduler,
    opts: &crate::engine::BatchOptions,
) -> Result<ScoredRun, EngineError> {
    use crate::engine::batch::{assemble, attach_predictions, dedup};
    let (reps, rep_of) = dedup(candidates);
    let programs: Vec<Program> = reps
        .iter()
        .map(|&i| {
            candidates[i]
                .program
                .clone()
                .expect("representatives parsed")
        })
        .collect();
    let np = task.num_pairs();
    let run = sched.evaluate(Arc::new(task.clone()), Arc::new(programs));
    if run.cancelled {
        return Err(EngineError::Cancelled);
    }
    let mut outcome_of: Vec<Option<&[PairOutcome]>> = vec![None; candidates.len()];
    for (k, &i) in reps.iter().enumerate() {
        if run.done[k] {
            outcome_of[i] = Some(&run.outcomes[k * np..(k + 1) * np]);
        }
    }
    let scored: Vec<Option<&[PairOutcome]>> = (0..candidates.len())
        .map(|i| rep_of[i].and_then(|r| outcome_of[r]))
        .collect();
    let mut report = assemble(task, candidates, &rep_of, &scored, opts.metric);
    report.distinct = reps.len();
    report.evaluations = run.done.iter().filter(|&&d| d).count() as u64 * np as u64;
    if !run.deadline_hit {
        // The scheduler predicts on its first healthy device, else the CPU.
        attach_predictions(task, candidates, &mut report, sched, opts.predictions)?;
    }
    Ok(ScoredRun {
        report,
        devices: run.devices,
        deadline_hit: run.deadline_hit,
        faults: run.faults,
    })
}

/// A scheduler is itself a device: one `evaluate` call is spread over all
/// of its devices (used by the search, which takes one backend).
impl Backend for Scheduler {
    fn name(&self) -> String {
        let names: Vec<String> = self.devices.iter().map(|d| d.name()).collect();
        format!("scheduler [{}]", names.join(", "))
    }
    fn kind(&self) -> &'static str {
        match self.devices.iter().map(|d| d.kind()).collect::<Vec<_>>()[..] {
            [k] => k,
            _ => "mixed",
        }
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        let owned: Vec<Program> = programs.iter().map(|p| (*p).clone()).collect();
        let run = self.evaluate(Arc::new(task.clone()), Arc::new(owned));
        if run.cancelled {
            return Err(EngineError::Cancelled);
        }
        if run.done.iter().all(|&d| d) {
            Ok(run.outcomes)
        } else if run.deadline_hit {
            Err(EngineError::Device {
                device: Backend::name(self),
                message: "the deadline stopped the batch".into(),
            })
        } else {
            Err(EngineError::Device {
                device: Backend::name(self),
                message: format!("every device failed: {}", run.faults.join("; ")),
            })
        }
    }
    /// Chunks on every device until `deadline` (no grace: a chunk sized to
    /// the time left runs to its end, none starts after the deadline).
    fn evaluate_until(
        &self,
        task: &Task,
        programs: &[&Program],
        deadline: Instant,
    ) -> Result<Partial, EngineError> {
        let owned: Vec<Program> = programs.iter().map(|p| (*p).clone()).collect();
        let run = self.evaluate_with(
            Arc::new(task.clone()),
            Arc::new(owned),
            Some(deadline),
            Duration::from_millis(250),
        );
        if run.cancelled {
            return Err(EngineError::Cancelled);
        }
        if !run.deadline_hit && run.done.iter().any(|&d| !d) {
            return Err(EngineError::Device {
                device: Backend::name(self),
                message: format!("every device failed: {}", run.faults.join("; ")),
            });
        }
        Ok(Partial {
            outcomes: run.outcomes,
            done: run.done,
        })
    }
    /// Match masks across the healthy devices (a GPU computes them in its
    /// scoring pass): each device takes chunks from a shared cursor (its
    /// calibrated chunk size from the last `evaluate`, else a quarter of
    /// its share), so a faster device takes more. A chunk whose device
    /// fails (an error, or a result of the wrong size) is computed on the
    /// CPU, and that device takes no more chunks, here or in later runs;
    /// programs no device took (every device failed) go to the CPU too.
    fn evaluate_masks(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<crate::engine::Masked, EngineError> {
        use crate::engine::Masked;
        use crate::score::MASK_WORDS;
        let np = task.num_pairs();
        let n = programs.len();
        let healthy: Vec<usize> = {
            let failed = self.failed.lock().expect("failed");
            (0..self.devices.len()).filter(|&k| !failed[k]).collect()
        };
        let whole = |m: &Masked, len: usize| {
            m.outcomes.len() == len * np && m.masks.len() == len * np * MASK_WORDS
        };
        if healthy.is_empty() || n == 0 {
            return CpuBackend::try_new(0)?.evaluate_masks(task, programs);
        }
        let calibrated = self.calibrated.lock().expect("calibrated").clone();
        let cursor = AtomicUsize::new(0);
        let parts: Mutex<Vec<(usize, Masked)>> = Mutex::new(Vec::new());
        let lost: Mutex<Vec<Range<usize>>> = Mutex::new(Vec::new());
        let default_chunk = n.div_ceil(4 * healthy.len()).max(1);
        std::thread::scope(|scope| {
            for &k in &healthy {
                let device = self.devices[k].clone();
                let chunk = match calibrated[k] {
                    0 => default_chunk,
                    c => c,
                }
                .min(device.max_programs(task).0)
                .max(1);
                let (cursor, parts, lost, failed) = (&cursor, &parts, &lost, &self.failed);
                let work = move || loop {
                    let start = cursor.fetch_add(chunk, Ordering::SeqCst);
                    if start >= n {
                        return;
                    }
                    let range = start..(start + chunk).min(n);
                    // A device that panics fails like one that errs.
                    let got = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        device.evaluate_masks(task, &programs[range.clone()])
                    }));
                    match got {
                        Ok(Ok(m)) if whole(&m, range.len()) => {
                            parts.lock().expect("parts").push((start, m));
                        }
                        _ => {
                            failed.lock().expect("failed")[k] = true;
                            lost.lock().expect("lost").push(range);
                            return;
                        }
                    }
                };
                // A device whose thread cannot start leaves its chunks to
                // the others (or to the CPU below).
                let _ = std::thread::Builder::new()
                    .name(format!("gridscore-masks-{k}"))
                    .spawn_scoped(scope, work);
            }
        });
        let mut lost = lost.into_inner().expect("lost");
        let taken = cursor.into_inner().min(n);
        if taken < n {
            lost.push(taken..n);
        }
        let mut parts = parts.into_inner().expect("parts");
        if !lost.is_empty() {
            let cpu = CpuBackend::try_new(0)?;
            for range in lost {
                parts.push((range.start, cpu.evaluate_masks(task, &programs[range])?));
            }
        }
        let mut out = Masked::new(n * np);
        for (start, m) in parts {
            out.outcomes[start * np..start * np + m.outcomes.len()].copy_from_slice(&m.outcomes);
            let w = start * np * MASK_WORDS;
            out.masks[w..w + m.masks.len()].copy_from_slice(&m.masks);
        }
        Ok(out)
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<crate::grid::Grid>>>, EngineError> {
        match self.healthy_device() {
            Some(d) => d
                .predict(task, programs)
                .or_else(|_| CpuBackend::try_new(0)?.predict(task, programs)),
            None => CpuBackend::try_new(0)?.predict(task, programs),
        }
    }
}
