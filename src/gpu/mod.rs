//! The GPU backend: the whole grid language in WGSL (`shaders/eval.wgsl`),
//! bit-exact with the CPU interpreter. This module is the only place in the
//! crate that calls wgpu.
//!
//! - [`list_adapters`]: every physical adapter once (see [`AdapterInfo`]).
//! - [`open_gpus`]: opens devices, honouring `GRIDSCORE_ADAPTER` (a
//!   case-insensitive substring of the adapter name); [`DeviceChoice`] maps
//!   the CLI's `--device auto|cpu|gpu` to it (`auto`: real GPUs only, `gpu`:
//!   software adapters such as lavapipe too).
//! - [`GpuBackend`]: a [`Backend`]. One workgroup per (program, pair); the
//!   task is uploaded once per batch, programs as compact `u32` words
//!   ([`encode`]), the batch is cut into dispatches by a plan
//!   ([`dispatch`]), buffers come from a pool ([`pool`]), and only the
//!   4-word result records are read back (and, for `predict`, the output
//!   grids of the programs asked for).
//! - [`variant`]: the shader is built three times (light, labels, full:
//!   the `BUILD` override); a batch is split so that each program runs on
//!   the smallest build that holds its ops, and its results come back in
//!   the batch's order.
//!
//! Every wait on the GPU has a timeout ([`EngineError::Timeout`]); device
//! loss, validation errors and out-of-memory become [`EngineError`]s, never
//! panics. See `docs/gpu.md` for the design.

pub mod codegen;
pub mod device;
pub mod dispatch;
pub mod encode;
pub mod pool;
pub mod shader;
pub mod variant;

pub use device::{AdapterInfo, LimitsSummary};
pub use dispatch::{Chunk, PlanError, PlanLimits};

use crate::engine::{Backend, EngineError, Masked};
use crate::grid::Grid;
use crate::lang::{Interp, Program};
use crate::score::{match_masks, PairOutcome, MASK_WORDS};
use crate::task::Task;
use encode::{Extra, Params, GRID_WORDS, RESULT_WORDS};
use pool::BufferPool;
use std::num::NonZeroU64;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;
use variant::Variant;

/// Threads per workgroup on hardware GPUs (the override `WG` of `eval.wgsl`).
pub const WORKGROUP_SIZE: u32 = 64;
/// Threads per workgroup on software adapters (lavapipe runs the workgroups
/// of a 30x30-or-smaller grid fastest with 32 threads: about 2.5 times the
/// throughput of 64).
pub const SOFTWARE_WORKGROUP_SIZE: u32 = 32;
/// Workgroup memory a device must offer, bytes: the WebGPU default limit,
/// which `eval.wgsl` stays below (checked by `tests/shaders.rs`).
pub const WORKGROUP_MEMORY: u32 = 16384;
/// Environment variable selecting adapters by name (case-insensitive
/// substring).
pub const ADAPTER_ENV: &str = "GRIDSCORE_ADAPTER";
/// Default timeout of one wait on the GPU.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);
/// Default cap on the workgroups of one submission on a real GPU (bounds the
/// time of one wait, and so how soon a hung device is noticed).
pub const DEFAULT_WORKGROUPS_PER_CHUNK: u64 = 1 << 20;
/// The same on a software adapter (lavapipe evaluates some 6,000
/// (program, pair) cases a second on 2 cores: about 5 s per chunk, far
/// below the default timeout).
pub const SOFTWARE_WORKGROUPS_PER_CHUNK: u64 = 1 << 15;

/// Why GPUs could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// No adapter at all.
    #[error(
        "no GPU adapter found (install mesa-vulkan-drivers for the lavapipe software adapter)"
    )]
    NoAdapter,
    /// `GRIDSCORE_ADAPTER` matched nothing.
    #[error("{ADAPTER_ENV}={filter:?} matches no adapter (found: {found})")]
    NoMatch {
        /// The filter.
        filter: String,
        /// The adapters found, comma-separated.
        found: String,
    },
    /// An adapter was found but its device could not be opened.
    #[error("adapter {adapter}: {message}")]
    Open {
        /// Adapter name.
        adapter: String,
        /// What went wrong.
        message: String,
    },
}

/// Which devices a run uses (the CLI's `--device`).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub enum DeviceChoice {
    /// Real (non-software) GPUs when there are any, else the CPU.
    #[default]
    Auto,
    /// The CPU only.
    Cpu,
    /// GPUs, software adapters (lavapipe, WARP) included; no GPU is an error.
    Gpu,
}

impl DeviceChoice {
    /// Whether GPUs are opened at all.
    pub fn uses_gpu(self) -> bool {
        self != DeviceChoice::Cpu
    }
    /// Whether software adapters count as GPUs.
    pub fn include_software(self) -> bool {
        self == DeviceChoice::Gpu
    }
    /// Opens the GPUs of this choice: `Cpu` gives none, `Auto` real GPUs
    /// (possibly none), `Gpu` all adapters and fails when there is none.
    pub fn open(self) -> Result<Vec<GpuBackend>, GpuError> {
        match self {
            DeviceChoice::Cpu => Ok(Vec::new()),
            DeviceChoice::Auto => open_gpus(false),
            DeviceChoice::Gpu => {
                let gpus = open_gpus(true)?;
                if gpus.is_empty() {
                    return Err(GpuError::NoAdapter);
                }
                Ok(gpus)
            }
        }
    }
}

/// Every adapter, one entry per physical adapter, real GPUs first.
pub fn list_adapters() -> Vec<AdapterInfo> {
    device::discover().iter().map(device::describe).collect()
}

/// Opens a device on every adapter (software ones only with
/// `include_software`) whose name contains `GRIDSCORE_ADAPTER` when that is
/// set. No adapter gives `Ok(vec![])`, except that a `GRIDSCORE_ADAPTER`
/// matching nothing is an error; an adapter that fails to open is an error
/// only when no other one opened.
pub fn open_gpus(include_software: bool) -> Result<Vec<GpuBackend>, GpuError> {
    let filter = std::env::var(ADAPTER_ENV)
        .ok()
        .filter(|f| !f.trim().is_empty());
    open_gpus_matching(include_software, filter.as_deref())
}

/// [`open_gpus`] with an explicit name filter instead of the environment.
pub fn open_gpus_matching(
    include_software: bool,
    filter: Option<&str>,
) -> Result<Vec<GpuBackend>, GpuError> {
    open_gpus_with(&OpenOptions {
        include_software,
        filter: filter.map(str::to_string),
        workgroup_size: None,
    })
}

/// How [`open_gpus_with`] picks and sets up devices.
#[derive(Clone, Debug, Default)]
pub struct OpenOptions {
    /// Open software adapters too.
    pub include_software: bool,
    /// Case-insensitive substring of the adapter name.
    pub filter: Option<String>,
    /// Threads per workgroup (default: [`WORKGROUP_SIZE`] on GPUs,
    /// [`SOFTWARE_WORKGROUP_SIZE`] on software adapters).
    pub workgroup_size: Option<u32>,
}

/// Opens the devices `options` select (see [`open_gpus`]).
pub fn open_gpus_with(options: &OpenOptions) -> Result<Vec<GpuBackend>, GpuError> {
    let include_software = options.include_software;
    let filter = options.filter.as_deref();
    let all = device::discover();
    let chosen: Vec<wgpu::Adapter> = all
        .iter()
        .filter(|a| {
            let info = a.get_info();
            (include_software || !device::is_software(&info))
                && filter.is_none_or(|f| device::name_matches(&info.name, f))
        })
        .cloned()
        .collect();
    if let Some(f) = filter {
        if chosen.is_empty() {
            let found: Vec<String> = all.iter().map(|a| a.get_info().name).collect();
            return Err(GpuError::NoMatch {
                filter: f.to_string(),
                found: if found.is_empty() {
                    "none".into()
                } else {
                    found.join(", ")
                },
            });
        }
    }
    let mut gpus = Vec::new();
    let mut first_error = None;
    for a in chosen {
        match GpuBackend::open_with(a, options.workgroup_size) {
            Ok(g) => gpus.push(g),
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) if gpus.is_empty() => Err(e),
        _ => Ok(gpus),
    }
}

/// Mutable state, behind the backend's mutex: the buffer pool and the GPU
/// time of the last batch.
struct State {
    pool: BufferPool,
    last_gpu_time: Option<Duration>,
    total_gpu_time: Duration,
    /// GPU time already reported by `take_gpu_time_s`.
    reported_gpu_time: Duration,
}

/// What one batch (evaluate or predict) reads back.
struct RunOutput {
    /// [`RESULT_WORDS`] words per (program, pair).
    results: Vec<u32>,
    /// `extra.words()` words per (program, pair): the output grids
    /// ([`GRID_WORDS`]) or the match masks ([`MASK_WORDS`]) when asked for.
    extra: Vec<u32>,
    /// GPU time from timestamp queries.
    gpu_time: Option<Duration>,
}

/// A GPU device evaluating programs with `shaders/eval.wgsl`.
///
/// `Send + Sync`: several batches may run on one device at once; the shared
/// state is locked only for bookkeeping, never across a wait on the GPU
/// (wgpu's error scopes are per thread, so each batch sees its own errors).
pub struct GpuBackend {
    info: AdapterInfo,
    limits: wgpu::Limits,
    device: wgpu::Device,
    queue: wgpu::Queue,
    /// One pipeline per [`Variant`], in the order of [`Variant::ALL`].
    pipelines: Vec<(Variant, wgpu::ComputePipeline)>,
    layout: wgpu::BindGroupLayout,
    timestamp_period_ns: Option<f32>,
    workgroup_size: u32,
    lost: Arc<Mutex<Option<String>>>,
    uncaptured: Arc<Mutex<Option<String>>>,
    state: Mutex<State>,
    /// Held while polling the device: batches submit concurrently, but only
    /// one thread waits on the device at a time (concurrent `poll(Wait)`
    /// calls on one device gave spurious timeouts on lavapipe).
    poll: Mutex<()>,
    /// Timeout of one wait, nanoseconds.
    timeout_ns: AtomicU64,
    max_workgroups_per_chunk: u64,
    /// (program, pair) results recomputed on the CPU because the shader's
    /// loop-limit canary fired (see [`TRUNCATED_WORD`]).
    cpu_fallbacks: AtomicU64,
}

/// Word of a result record that is 1 when the shader's loop-limit canary
/// fired: lavapipe (Mesa's gallivm) lets each SIMD bundle run at most 65,535
/// loop iterations per workgroup and then silently ends every loop after one
/// iteration, so that result may be wrong. Such results are recomputed on
/// the CPU (`docs/gpu.md`, "Software adapters and the loop limit").
const TRUNCATED_WORD: usize = 3;

impl GpuBackend {
    /// Opens a device on `adapter` with the adapter's own limits (not the
    /// WebGPU defaults) and builds the pipeline.
    pub fn open(adapter: wgpu::Adapter) -> Result<GpuBackend, GpuError> {
        GpuBackend::open_with(adapter, None)
    }

    /// [`GpuBackend::open`] with a given number of threads per workgroup
    /// (`None`: the default for the adapter's kind).
    pub fn open_with(
        adapter: wgpu::Adapter,
        workgroup_size: Option<u32>,
    ) -> Result<GpuBackend, GpuError> {
        let info = device::describe(&adapter);
        let err = |message: String| GpuError::Open {
            adapter: info.name.clone(),
            message,
        };
        let limits = adapter.limits();
        let workgroup_size = workgroup_size.unwrap_or(if info.software {
            SOFTWARE_WORKGROUP_SIZE
        } else {
            WORKGROUP_SIZE
        });
        if workgroup_size == 0
            || limits.max_compute_workgroup_storage_size < WORKGROUP_MEMORY
            || limits.max_compute_invocations_per_workgroup < workgroup_size
            || limits.max_compute_workgroup_size_x < workgroup_size
            || limits.max_storage_buffers_per_shader_stage < 4
        {
            return Err(err(format!(
                "limits too small for the shader (workgroup memory {} < {WORKGROUP_MEMORY} bytes or fewer than {workgroup_size} invocations)",
                limits.max_compute_workgroup_storage_size
            )));
        }
        let mut features = wgpu::Features::empty();
        if info.timestamp_queries {
            features |= wgpu::Features::TIMESTAMP_QUERY;
        }
        let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
            label: Some("gridscore"),
            required_features: features,
            required_limits: limits.clone(),
            ..Default::default()
        }))
        .map_err(|e| err(format!("requesting the device: {e}")))?;

        let lost = Arc::new(Mutex::new(None));
        let lost2 = Arc::clone(&lost);
        device.set_device_lost_callback(move |reason, message| {
            if let Ok(mut l) = lost2.lock() {
                l.get_or_insert(format!("device lost ({reason:?}): {message}"));
            }
        });
        let uncaptured = Arc::new(Mutex::new(None));
        let uncaptured2 = Arc::clone(&uncaptured);
        device.on_uncaptured_error(Arc::new(move |e: wgpu::Error| {
            if let Ok(mut u) = uncaptured2.lock() {
                u.get_or_insert(e.to_string());
            }
        }));

        let scope = device.push_error_scope(wgpu::ErrorFilter::Validation);
        let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("eval.wgsl"),
            source: wgpu::ShaderSource::Wgsl(shader::source().into()),
        });
        let entry = |binding: u32, ty: wgpu::BufferBindingType| wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty: wgpu::BindingType::Buffer {
                ty,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            count: None,
        };
        let storage = |read_only| wgpu::BufferBindingType::Storage { read_only };
        let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("eval"),
            entries: &[
                entry(0, wgpu::BufferBindingType::Uniform),
                entry(1, storage(true)),
                entry(2, storage(true)),
                entry(3, storage(false)),
                entry(4, storage(false)),
            ],
        });
        let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("eval"),
            bind_group_layouts: &[Some(&layout)],
            immediate_size: 0,
        });
        // One pipeline per build: the same module with another `BUILD`
        // (see variant.rs).
        let pipelines: Vec<(Variant, wgpu::ComputePipeline)> = Variant::ALL
            .iter()
            .map(|&v| {
                let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                    label: Some(v.name()),
                    layout: Some(&pipeline_layout),
                    module: &module,
                    entry_point: Some("main"),
                    compilation_options: wgpu::PipelineCompilationOptions {
                        constants: &[("WG", workgroup_size as f64), ("BUILD", v.build() as f64)],
                        ..Default::default()
                    },
                    cache: None,
                });
                (v, pipeline)
            })
            .collect();
        if let Some(e) = pollster::block_on(scope.pop()) {
            return Err(err(format!("building the pipelines: {e}")));
        }
        let timestamp_period_ns = info
            .timestamp_queries
            .then(|| queue.get_timestamp_period())
            .filter(|p| *p > 0.0);
        let software = info.software;
        Ok(GpuBackend {
            info,
            limits,
            device,
            queue,
            pipelines,
            layout,
            timestamp_period_ns,
            workgroup_size,
            lost,
            uncaptured,
            state: Mutex::new(State {
                pool: BufferPool::default(),
                last_gpu_time: None,
                total_gpu_time: Duration::ZERO,
                reported_gpu_time: Duration::ZERO,
            }),
            poll: Mutex::new(()),
            timeout_ns: AtomicU64::new(DEFAULT_TIMEOUT.as_nanos() as u64),
            max_workgroups_per_chunk: if software {
                SOFTWARE_WORKGROUPS_PER_CHUNK
            } else {
                DEFAULT_WORKGROUPS_PER_CHUNK
            },
            cpu_fallbacks: AtomicU64::new(0),
        })
    }

    /// The adapter.
    pub fn info(&self) -> &AdapterInfo {
        &self.info
    }

    /// Threads per workgroup of the pipeline.
    pub fn workgroup_size(&self) -> u32 {
        self.workgroup_size
    }

    /// The device limits (the adapter's own).
    pub fn limits(&self) -> &wgpu::Limits {
        &self.limits
    }

    /// Sets the timeout of every wait on the GPU (builder form).
    pub fn with_timeout(self, timeout: Duration) -> GpuBackend {
        self.set_timeout(timeout);
        self
    }

    /// Sets the timeout of every wait on the GPU (default 120 s). A wait
    /// that takes longer fails the batch with [`EngineError::Timeout`].
    pub fn set_timeout(&self, timeout: Duration) {
        let ns = u64::try_from(timeout.as_nanos()).unwrap_or(u64::MAX);
        self.timeout_ns.store(ns, Ordering::Relaxed);
    }

    /// The timeout of one wait on the GPU.
    pub fn timeout(&self) -> Duration {
        Duration::from_nanos(self.timeout_ns.load(Ordering::Relaxed))
    }

    /// Destroys the device, releasing its memory at once; every later
    /// batch fails with [`EngineError::Device`].
    pub fn destroy(&self) {
        if let Ok(mut l) = self.lost.lock() {
            l.get_or_insert_with(|| "the device was destroyed".into());
        }
        if let Ok(mut s) = self.state.lock() {
            s.pool.clear();
        }
        self.device.destroy();
    }

    /// Caps the workgroups of one submission (the plan splits batches
    /// further); mostly for tests of the chunking.
    pub fn with_max_workgroups_per_chunk(mut self, n: u64) -> GpuBackend {
        self.max_workgroups_per_chunk = n.max(1);
        self
    }

    /// GPU time of the last batch on this device (any thread's), from
    /// timestamp queries; `None` when the adapter has none (or no batch ran
    /// yet). [`GpuBackend::evaluate_timed`] gives a batch's own time.
    pub fn last_gpu_time(&self) -> Option<Duration> {
        self.state.lock().ok().and_then(|s| s.last_gpu_time)
    }

    /// GPU time of every batch so far (zero without timestamp queries).
    pub fn total_gpu_time(&self) -> Duration {
        self.state
            .lock()
            .map_or(Duration::ZERO, |s| s.total_gpu_time)
    }

    /// [`Backend::evaluate`], also returning the batch's GPU time measured
    /// with timestamp queries (`None` when the adapter has none).
    pub fn evaluate_timed(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<(Vec<PairOutcome>, Option<Duration>), EngineError> {
        let np = task.num_pairs();
        let out = self.run(task, programs, 0, np, Extra::None)?;
        let expected = programs.len() * np * RESULT_WORDS;
        if out.results.len() != expected {
            return Err(self.device_error(format!(
                "read back {} result words, expected {expected}",
                out.results.len()
            )));
        }
        let outcomes = self.decode_outcomes(task, programs, &out.results, |_, _, _| {});
        Ok((outcomes, out.gpu_time))
    }

    /// The outcomes of result records (`np` per program); a record whose
    /// canary fired is recomputed on the CPU, and `recomputed(slot, output,
    /// expected)` sees that output.
    fn decode_outcomes(
        &self,
        task: &Task,
        programs: &[&Program],
        results: &[u32],
        mut recomputed: impl FnMut(usize, Option<&Grid>, Option<&Grid>),
    ) -> Vec<PairOutcome> {
        let np = task.num_pairs();
        let inputs: Vec<&Grid> = task.inputs().collect();
        let expected: Vec<Option<&Grid>> = task.expected().collect();
        let mut it = Interp::new();
        results
            .chunks_exact(RESULT_WORDS)
            .enumerate()
            .map(|(s, rec)| {
                if rec[TRUNCATED_WORD] == 0 {
                    return encode::decode_outcome(rec);
                }
                let (p, k) = (s / np, s % np);
                let y = self.recompute(&mut it, programs[p], inputs[k]);
                recomputed(s, y, expected[k]);
                PairOutcome::compare(y, expected[k])
            })
            .collect()
    }

    /// [`Backend::evaluate_masks`]: the outcomes and the match masks, written
    /// by the shader in the pass that scores (a record whose canary fired
    /// is recomputed on the CPU, masks included).
    pub fn evaluate_masks_gpu(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Masked, EngineError> {
        let np = task.num_pairs();
        let out = self.run(task, programs, 0, np, Extra::Masks)?;
        let slots = programs.len() * np;
        if out.results.len() != slots * RESULT_WORDS || out.extra.len() != slots * MASK_WORDS {
            return Err(self.device_error(format!(
                "read back {} result words and {} mask words, expected {} and {}",
                out.results.len(),
                out.extra.len(),
                slots * RESULT_WORDS,
                slots * MASK_WORDS
            )));
        }
        let mut masks = out.extra;
        let outcomes = self.decode_outcomes(task, programs, &out.results, |s, y, e| {
            match_masks(y, e, &mut masks[s * MASK_WORDS..(s + 1) * MASK_WORDS]);
        });
        Ok(Masked { outcomes, masks })
    }

    /// (program, pair) results recomputed on the CPU so far because the
    /// adapter cut the shader's loops short (lavapipe's loop limit; see
    /// `docs/gpu.md`).
    pub fn cpu_fallbacks(&self) -> u64 {
        self.cpu_fallbacks.load(Ordering::Relaxed)
    }

    /// The CPU's result for program `p` on `input`, for a record whose
    /// canary fired.
    fn recompute<'a>(&self, it: &'a mut Interp, p: &Program, input: &'a Grid) -> Option<&'a Grid> {
        self.cpu_fallbacks.fetch_add(1, Ordering::Relaxed);
        it.run_program(p, input)
    }

    /// Buffers the pool has created so far (pooled buffers are reused across
    /// chunks and batches, so this stops growing once the batch sizes repeat).
    pub fn buffers_created(&self) -> u64 {
        self.state.lock().map_or(0, |s| s.pool.created())
    }

    /// The limits the dispatch plan honours.
    pub fn plan_limits(&self) -> PlanLimits {
        PlanLimits {
            max_workgroups_per_dim: self.limits.max_compute_workgroups_per_dimension,
            max_buffer_size: self.limits.max_buffer_size,
            max_storage_binding: self.limits.max_storage_buffer_binding_size,
            max_workgroups_per_chunk: self.max_workgroups_per_chunk,
        }
    }

    fn device_error(&self, message: impl Into<String>) -> EngineError {
        EngineError::Device {
            device: self.info.name.clone(),
            message: message.into(),
        }
    }

    fn timeout_error(&self) -> EngineError {
        EngineError::Timeout {
            device: self.info.name.clone(),
            secs: self.timeout().as_secs_f64(),
        }
    }

    fn map_wgpu_error(&self, e: wgpu::Error) -> EngineError {
        match e {
            wgpu::Error::OutOfMemory { .. } => EngineError::OutOfMemory {
                device: self.info.name.clone(),
                message: e.to_string(),
            },
            other => self.device_error(other.to_string()),
        }
    }

    /// Fails if the device was lost or reported an uncaptured error.
    fn check_health(&self) -> Result<(), EngineError> {
        if let Some(m) = self.lost.lock().ok().and_then(|l| l.clone()) {
            return Err(self.device_error(m));
        }
        if let Some(m) = self.uncaptured.lock().ok().and_then(|mut u| u.take()) {
            return Err(self.device_error(m));
        }
        Ok(())
    }

    /// Host-to-device and device-to-host copy rates (GB/s) over one buffer
    /// of `bytes` bytes (capped by the device's buffer limit).
    pub fn measure_transfers(&self, bytes: u64) -> Result<(f64, f64), EngineError> {
        use wgpu::BufferUsages as U;
        let bytes = bytes.min(self.limits.max_buffer_size).max(4) & !3;
        let _guard = self
            .state
            .lock()
            .map_err(|_| self.device_error("state lock poisoned"))?;
        let gpu = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("transfer"),
            size: bytes,
            usage: U::COPY_DST | U::COPY_SRC,
            mapped_at_creation: false,
        });
        let read = self.device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("transfer readback"),
            size: bytes,
            usage: U::COPY_DST | U::MAP_READ,
            mapped_at_creation: false,
        });
        let data = vec![7u8; bytes as usize];
        let t0 = std::time::Instant::now();
        self.queue.write_buffer(&gpu, 0, &data);
        let index = self.queue.submit([]);
        self.wait(index)?;
        let up = t0.elapsed().as_secs_f64();
        let t1 = std::time::Instant::now();
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("transfer"),
            });
        encoder.copy_buffer_to_buffer(&gpu, 0, &read, 0, bytes);
        let index = self.queue.submit([encoder.finish()]);
        self.wait(index)?;
        let words = self.read_back(&[(&read, bytes)])?;
        let down = t1.elapsed().as_secs_f64();
        if words.first().and_then(|w| w.first()) != Some(&0x0707_0707) {
            return Err(self.device_error("transfer check read back the wrong bytes"));
        }
        gpu.destroy();
        read.destroy();
        let gb = bytes as f64 / 1e9;
        Ok((gb / up.max(1e-9), gb / down.max(1e-9)))
    }

    /// The mutable state. It is locked only for short bookkeeping (never
    /// across a wait on the GPU), so that while one batch waits for its
    /// results the next one can upload and submit: with two batches in
    /// flight, uploads overlap runs.
    fn lock_state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer from the pool.
    fn acquire(&self, usage: wgpu::BufferUsages, size: u64, max: u64, label: &str) -> wgpu::Buffer {
        self.lock_state()
            .pool
            .acquire(&self.device, usage, size, max, label)
    }

    /// Gives a buffer back to the pool.
    fn release(&self, buffer: wgpu::Buffer) {
        self.lock_state().pool.release(buffer);
    }

    /// Waits for a submission, with the timeout.
    fn wait(&self, index: wgpu::SubmissionIndex) -> Result<(), EngineError> {
        match self.poll_wait(Some(index)) {
            Ok(_) => Ok(()),
            Err(wgpu::PollError::Timeout) => Err(self.timeout_error()),
            Err(e) => Err(self.device_error(e.to_string())),
        }
    }

    /// `poll(Wait)` with the timeout, one thread at a time. A `Timeout` that
    /// comes back before the timeout has passed (seen rarely on lavapipe with
    /// several batches in flight) is not believed: the wait goes on until
    /// the deadline.
    fn poll_wait(
        &self,
        index: Option<wgpu::SubmissionIndex>,
    ) -> Result<wgpu::PollStatus, wgpu::PollError> {
        let _poll = self.poll.lock().unwrap_or_else(|e| e.into_inner());
        let timeout = self.timeout();
        let start = std::time::Instant::now();
        loop {
            let left = timeout.saturating_sub(start.elapsed());
            match self.device.poll(wgpu::PollType::Wait {
                submission_index: index.clone(),
                timeout: Some(left),
            }) {
                Err(wgpu::PollError::Timeout)
                    if start.elapsed() + Duration::from_millis(1) < timeout =>
                {
                    std::thread::sleep(Duration::from_millis(1));
                }
                other => return other,
            }
        }
    }

    /// Evaluates `programs` on pairs `pair_start..pair_start + pair_count`
    /// of `task`, reading back the result records (and what `extra` asks
    /// for), in the programs' order. The batch is split by build of the
    /// shader ([`variant`]): each part runs with its pipeline.
    fn run(
        &self,
        task: &Task,
        programs: &[&Program],
        pair_start: usize,
        pair_count: usize,
        extra: Extra,
    ) -> Result<RunOutput, EngineError> {
        let variants: Vec<Variant> = programs.iter().map(|p| Variant::of(p)).collect();
        let Some(&first) = variants.first() else {
            return self.run_variant(task, programs, pair_start, pair_count, extra, Variant::Full);
        };
        if variants.iter().all(|&v| v == first) {
            return self.run_variant(task, programs, pair_start, pair_count, extra, first);
        }
        // Words per program of the results and of the extra output.
        let rw = pair_count * RESULT_WORDS;
        let ew = pair_count * extra.words();
        let mut out = RunOutput {
            results: vec![0; programs.len() * rw],
            extra: vec![0; programs.len() * ew],
            gpu_time: None,
        };
        for v in Variant::ALL {
            let index: Vec<usize> = (0..programs.len()).filter(|&i| variants[i] == v).collect();
            if index.is_empty() {
                continue;
            }
            let part: Vec<&Program> = index.iter().map(|&i| programs[i]).collect();
            let o = self.run_variant(task, &part, pair_start, pair_count, extra, v)?;
            if o.results.len() != part.len() * rw || o.extra.len() != part.len() * ew {
                return Err(self.device_error(format!(
                    "read back {} result words and {} extra words for {} programs, expected {} and {}",
                    o.results.len(),
                    o.extra.len(),
                    part.len(),
                    part.len() * rw,
                    part.len() * ew
                )));
            }
            for (k, &i) in index.iter().enumerate() {
                out.results[i * rw..(i + 1) * rw].copy_from_slice(&o.results[k * rw..(k + 1) * rw]);
                out.extra[i * ew..(i + 1) * ew].copy_from_slice(&o.extra[k * ew..(k + 1) * ew]);
            }
            if let Some(t) = o.gpu_time {
                out.gpu_time = Some(out.gpu_time.unwrap_or_default() + t);
            }
        }
        self.lock_state().last_gpu_time = out.gpu_time;
        Ok(out)
    }

    /// [`GpuBackend::run`] for programs that all run on `variant`.
    fn run_variant(
        &self,
        task: &Task,
        programs: &[&Program],
        pair_start: usize,
        pair_count: usize,
        extra: Extra,
        variant: Variant,
    ) -> Result<RunOutput, EngineError> {
        let mut out = RunOutput {
            results: Vec::new(),
            extra: Vec::new(),
            gpu_time: None,
        };
        if programs.is_empty() || pair_count == 0 {
            return Ok(out);
        }
        let limits = self.plan_limits();
        let records: Vec<usize> = programs.iter().map(|p| encode::record_words(p)).collect();
        let chunks = dispatch::plan(&records, pair_count, extra, &limits)
            .map_err(|e| self.device_error(e.to_string()))?;
        let task_words = encode::encode_task(task);
        let max_binding = limits.max_binding_bytes();
        if 4 * task_words.len() as u64 > max_binding {
            return Err(self.device_error(format!(
                "the task needs {} bytes, above the storage binding limit {max_binding}",
                4 * task_words.len()
            )));
        }
        self.check_health()?;
        out.results
            .reserve(programs.len() * pair_count * RESULT_WORDS);

        // Errors of everything below land in these scopes (per thread).
        let oom_scope = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let val_scope = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let result = self.run_chunks(
            &task_words,
            variant,
            programs,
            &chunks,
            pair_start,
            pair_count,
            extra,
            &mut out,
        );
        let val = pollster::block_on(val_scope.pop());
        let oom = pollster::block_on(oom_scope.pop());
        if let Some(e) = oom {
            self.lock_state().pool.clear();
            return Err(self.map_wgpu_error(e));
        }
        if let Some(e) = val {
            self.lock_state().pool.clear();
            return Err(self.map_wgpu_error(e));
        }
        if result.is_err() {
            // Buffers of a failed batch may still be mapped or in use.
            self.lock_state().pool.clear();
        }
        result?;
        self.check_health()?;
        Ok(out)
    }

    #[allow(clippy::too_many_arguments)]
    fn run_chunks(
        &self,
        task_words: &[u32],
        variant: Variant,
        programs: &[&Program],
        chunks: &[Chunk],
        pair_start: usize,
        pair_count: usize,
        extra: Extra,
        out: &mut RunOutput,
    ) -> Result<(), EngineError> {
        use wgpu::BufferUsages as U;
        let max = self.limits.max_buffer_size;
        let task_bytes = 4 * task_words.len() as u64;
        let pipeline = self
            .pipelines
            .iter()
            .find(|(v, _)| *v == variant)
            .map(|(_, p)| p)
            .ok_or_else(|| self.device_error(format!("no {} pipeline", variant.name())))?;
        let task_buf = self.acquire(U::STORAGE | U::COPY_DST, task_bytes, max, "task");
        self.queue
            .write_buffer(&task_buf, 0, bytemuck::cast_slice(task_words));
        let params_buf = self.acquire(U::UNIFORM | U::COPY_DST, 256, max, "params");
        let timestamps = self.timestamp_period_ns.map(|period| {
            let set = self.device.create_query_set(&wgpu::QuerySetDescriptor {
                label: Some("eval time"),
                ty: wgpu::QueryType::Timestamp,
                count: 2,
            });
            (set, period)
        });
        let mut gpu_ns = 0f64;
        let mut result = Ok(());
        for chunk in chunks {
            let words = encode::encode_programs(&programs[chunk.programs.clone()]);
            let slots = chunk.workgroups;
            let res_bytes = slots * 4 * RESULT_WORDS as u64;
            let grid_bytes = (slots * 4 * extra.words() as u64).max(4);
            let prog_buf = self.acquire(
                U::STORAGE | U::COPY_DST,
                4 * words.len() as u64,
                max,
                "programs",
            );
            let res_buf = self.acquire(U::STORAGE | U::COPY_SRC, res_bytes, max, "results");
            let grid_buf = self.acquire(U::STORAGE | U::COPY_SRC, grid_bytes, max, "grids");
            let res_read = self.acquire(
                U::MAP_READ | U::COPY_DST,
                res_bytes,
                max,
                "results readback",
            );
            let grid_read = (extra != Extra::None).then(|| {
                self.acquire(U::MAP_READ | U::COPY_DST, grid_bytes, max, "grids readback")
            });
            let ts_bufs = timestamps.as_ref().map(|_| {
                (
                    self.acquire(U::QUERY_RESOLVE | U::COPY_SRC, 256, max, "timestamps"),
                    self.acquire(U::MAP_READ | U::COPY_DST, 256, max, "timestamps readback"),
                )
            });

            let params = Params {
                num_programs: chunk.programs.len() as u32,
                pair_start: pair_start as u32,
                pair_count: pair_count as u32,
                groups_x: chunk.groups.0,
                extra: extra as u32,
                pad: [0; 3],
            };
            self.queue
                .write_buffer(&params_buf, 0, bytemuck::bytes_of(&params));
            self.queue
                .write_buffer(&prog_buf, 0, bytemuck::cast_slice(&words));
            let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("eval"),
                layout: &self.layout,
                entries: &[
                    bind(0, &params_buf, std::mem::size_of::<Params>() as u64),
                    bind(1, &prog_buf, 4 * words.len() as u64),
                    bind(2, &task_buf, task_bytes),
                    bind(3, &res_buf, res_bytes),
                    bind(4, &grid_buf, grid_bytes),
                ],
            });
            let mut encoder = self
                .device
                .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                    label: Some("eval"),
                });
            {
                let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
                    label: Some("eval"),
                    timestamp_writes: timestamps.as_ref().map(|(set, _)| {
                        wgpu::ComputePassTimestampWrites {
                            query_set: set,
                            beginning_of_pass_write_index: Some(0),
                            end_of_pass_write_index: Some(1),
                        }
                    }),
                });
                pass.set_pipeline(pipeline);
                pass.set_bind_group(0, &bind_group, &[]);
                pass.dispatch_workgroups(chunk.groups.0, chunk.groups.1, 1);
            }
            encoder.copy_buffer_to_buffer(&res_buf, 0, &res_read, 0, res_bytes);
            if let Some(gr) = &grid_read {
                encoder.copy_buffer_to_buffer(&grid_buf, 0, gr, 0, grid_bytes);
            }
            if let (Some((set, _)), Some((resolve, read))) = (&timestamps, &ts_bufs) {
                encoder.resolve_query_set(set, 0..2, resolve, 0);
                encoder.copy_buffer_to_buffer(resolve, 0, read, 0, 16);
            }
            let index = self.queue.submit([encoder.finish()]);
            let chunk_result = self.wait(index).and_then(|()| {
                let mut maps = vec![(&res_read, res_bytes)];
                if let Some(gr) = &grid_read {
                    maps.push((gr, grid_bytes));
                }
                if let Some((_, read)) = &ts_bufs {
                    maps.push((read, 16));
                }
                let words = self.read_back(&maps)?;
                let mut it = words.into_iter();
                out.results.extend(it.next().unwrap_or_default());
                if extra != Extra::None {
                    out.extra.extend(it.next().unwrap_or_default());
                }
                if let (Some(ts), Some((_, period))) = (it.next(), &timestamps) {
                    if ts.len() >= 4 {
                        let t0 = (ts[1] as u64) << 32 | ts[0] as u64;
                        let t1 = (ts[3] as u64) << 32 | ts[2] as u64;
                        gpu_ns += t1.saturating_sub(t0) as f64 * *period as f64;
                    }
                }
                Ok(())
            });
            self.release(prog_buf);
            self.release(res_buf);
            self.release(grid_buf);
            self.release(res_read);
            if let Some(gr) = grid_read {
                self.release(gr);
            }
            if let Some((a, b)) = ts_bufs {
                self.release(a);
                self.release(b);
            }
            if let Err(e) = chunk_result {
                result = Err(e);
                break;
            }
        }
        self.release(task_buf);
        self.release(params_buf);
        let gpu_time = timestamps
            .as_ref()
            .map(|_| Duration::from_nanos(gpu_ns as u64));
        {
            let mut state = self.lock_state();
            state.last_gpu_time = gpu_time;
            state.total_gpu_time += gpu_time.unwrap_or_default();
        }
        out.gpu_time = gpu_time;
        result
    }

    /// Maps buffers (already copied to and waited for) and reads their first
    /// `bytes` as `u32` words.
    fn read_back(&self, maps: &[(&wgpu::Buffer, u64)]) -> Result<Vec<Vec<u32>>, EngineError> {
        let (tx, rx) = mpsc::channel();
        for (k, (buf, bytes)) in maps.iter().enumerate() {
            let tx = tx.clone();
            buf.map_async(wgpu::MapMode::Read, 0..*bytes, move |r| {
                let _ = tx.send((k, r));
            });
        }
        drop(tx);
        let waited = self.poll_wait(None);
        let mut ok = vec![false; maps.len()];
        let mut failure = None;
        while let Ok((k, r)) = rx.try_recv() {
            match r {
                Ok(()) => ok[k] = true,
                Err(e) => {
                    failure.get_or_insert(e.to_string());
                }
            }
        }
        let mut out = Vec::with_capacity(maps.len());
        let mut error = None;
        for (k, (buf, bytes)) in maps.iter().enumerate() {
            if !ok[k] {
                continue;
            }
            match buf.get_mapped_range(0..*bytes) {
                Ok(view) => out.push(
                    view.chunks_exact(4)
                        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                        .collect(),
                ),
                Err(e) => {
                    error.get_or_insert(e.to_string());
                }
            }
            buf.unmap();
        }
        if let Err(wgpu::PollError::Timeout) = waited {
            return Err(self.timeout_error());
        }
        if let Some(m) = failure.or(error) {
            self.check_health()?;
            return Err(self.device_error(format!("reading results back: {m}")));
        }
        if out.len() != maps.len() {
            self.check_health()?;
            return Err(self.timeout_error());
        }
        Ok(out)
    }
}

// The scheduler shares backends across threads.
const _: fn() = || {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<GpuBackend>();
};

/// A bind group entry for the first `size` bytes of `buffer` (pooled
/// buffers may be larger than the binding limit allows).
fn bind(binding: u32, buffer: &wgpu::Buffer, size: u64) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: wgpu::BindingResource::Buffer(wgpu::BufferBinding {
            buffer,
            offset: 0,
            size: NonZeroU64::new(size),
        }),
    }
}

impl Backend for GpuBackend {
    fn name(&self) -> String {
        format!("gpu {} ({})", self.info.name, self.info.backend)
    }

    fn kind(&self) -> &'static str {
        "gpu"
    }

    fn backend(&self) -> String {
        self.info.backend.clone()
    }

    fn max_programs(&self, task: &Task) -> (usize, &'static str) {
        let l = self.plan_limits();
        let pairs = task.num_pairs().max(1) as u64;
        let per_dim = l.max_workgroups_per_dim as u64;
        let mut best = (u64::MAX, "none");
        for (n, why) in [
            (
                per_dim * per_dim / pairs,
                "max_compute_workgroups_per_dimension squared",
            ),
            (
                l.max_workgroups_per_chunk / pairs,
                "workgroups per submission (wait time bound)",
            ),
            (
                l.max_binding_bytes() / (pairs * 4 * RESULT_WORDS as u64),
                "max_storage_buffer_binding_size / max_buffer_size",
            ),
        ] {
            if n < best.0 {
                best = (n, why);
            }
        }
        (best.0.clamp(1, usize::MAX as u64) as usize, best.1)
    }

    fn take_gpu_time_s(&self) -> Option<f64> {
        self.timestamp_period_ns?;
        let mut state = self.state.lock().ok()?;
        let new = state.total_gpu_time.saturating_sub(state.reported_gpu_time);
        state.reported_gpu_time = state.total_gpu_time;
        Some(new.as_secs_f64())
    }

    fn transfer_rates(&self, bytes: usize) -> Option<(f64, f64)> {
        self.measure_transfers(bytes as u64).ok()
    }

    fn details(&self) -> serde_json::Value {
        serde_json::to_value(&self.info).unwrap_or(serde_json::Value::Null)
    }

    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        self.evaluate_timed(task, programs).map(|(o, _)| o)
    }

    fn evaluate_masks(&self, task: &Task, programs: &[&Program]) -> Result<Masked, EngineError> {
        self.evaluate_masks_gpu(task, programs)
    }

    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        let nt = task.test.len();
        if nt == 0 {
            return Ok(vec![Vec::new(); programs.len()]);
        }
        let out = self.run(task, programs, task.train.len(), nt, Extra::Grids)?;
        let slots = programs.len() * nt;
        if out.results.len() != slots * RESULT_WORDS || out.extra.len() != slots * GRID_WORDS {
            return Err(self.device_error("read back fewer predictions than asked for"));
        }
        let mut it = Interp::new();
        Ok((0..programs.len())
            .map(|p| {
                (0..nt)
                    .map(|t| {
                        let s = p * nt + t;
                        let rec = &out.results[s * RESULT_WORDS..(s + 1) * RESULT_WORDS];
                        if rec[TRUNCATED_WORD] != 0 {
                            return self
                                .recompute(&mut it, programs[p], &task.test[t].input)
                                .cloned();
                        }
                        encode::decode_grid(rec, &out.extra[s * GRID_WORDS..(s + 1) * GRID_WORDS])
                    })
                    .collect()
            })
            .collect())
    }
}
