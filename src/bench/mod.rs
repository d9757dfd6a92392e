//! `gridscore bench`: device throughput on a seeded, realistic workload.
//!
//! Random programs of the spec's language (a mix of op classes) over
//! generated grids, run on each device at several batch sizes after a
//! warm-up, repeated; the median is reported. An op application is one op on
//! one grid: op applications = evaluations x ops per program (every
//! program of the workload has exactly `ops` ops).

pub mod svg;

use crate::engine::Backend;
use crate::lang::random::{codes_of, random_grid};
use crate::lang::{OpClass, Program};
use crate::rng::Rng;
use crate::task::{Pair, Task, TestPair};
use serde::Serialize;
use std::time::Instant;

/// What to measure.
#[derive(Clone, Debug, Serialize)]
pub struct BenchConfig {
    /// Batch sizes (programs per batch).
    pub sizes: Vec<usize>,
    /// Grid sides (square grids); one task per side.
    pub grid_sizes: Vec<usize>,
    /// Op classes drawn from.
    pub classes: Vec<OpClass>,
    /// Ops per program.
    pub ops: usize,
    /// Train pairs per task (each adds one evaluation per program).
    pub pairs: usize,
    /// Timed repetitions per point (the median is reported).
    pub repeats: usize,
    /// Seed of the workload.
    pub seed: u64,
}

impl BenchConfig {
    /// The full default workload.
    pub fn full() -> BenchConfig {
        BenchConfig {
            sizes: vec![1, 16, 256, 4096, 65_536],
            grid_sizes: vec![3, 10, 30],
            classes: OpClass::ALL.to_vec(),
            ops: 3,
            pairs: 4,
            repeats: 5,
            seed: 1,
        }
    }
    /// A small workload that runs in seconds.
    pub fn quick() -> BenchConfig {
        BenchConfig {
            sizes: vec![1, 64, 1024],
            grid_sizes: vec![10],
            repeats: 3,
            ..BenchConfig::full()
        }
    }
}

/// One measured point.
#[derive(Clone, Debug, Serialize)]
pub struct Point {
    pub device: String,
    pub kind: String,
    pub grid: usize,
    pub batch: usize,
    pub evaluations: u64,
    pub op_applications: u64,
    pub cells: u64,
    /// Median wall seconds of one batch.
    pub wall_s: f64,
    /// All repetitions' wall seconds.
    pub samples_s: Vec<f64>,
    pub evals_per_s: f64,
    pub op_apps_per_s: f64,
    pub cells_per_s: f64,
    /// GPU time of the median batch from timestamp queries, where measured.
    pub gpu_s: Option<f64>,
}

/// Per-device extras.
#[derive(Clone, Debug, Serialize)]
pub struct DeviceReport {
    pub name: String,
    pub kind: String,
    pub backend: String,
    pub details: serde_json::Value,
    /// Wall time of one batch of one program on the smallest grid: the
    /// dispatch-to-result latency.
    pub latency_s: f64,
    /// Host-to-device GB/s (devices with their own memory).
    pub upload_gb_s: Option<f64>,
    /// Device-to-host GB/s.
    pub readback_gb_s: Option<f64>,
    /// Per grid size, the smallest batch from which this device beats the
    /// CPU (GPUs only; `None` if it never does in the measured sizes).
    pub beats_cpu_from: Vec<(usize, Option<usize>)>,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    pub config: BenchConfig,
    pub machine: Machine,
    pub devices: Vec<DeviceReport>,
    pub points: Vec<Point>,
}

/// The machine the figures come from.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub physical_cores: usize,
    pub logical_cpus: usize,
    pub memory_bytes: u64,
    pub os: String,
    pub gridscore: String,
    pub wgpu: String,
}

impl Machine {
    /// Describes this machine.
    pub fn detect() -> Machine {
        let mut sys = sysinfo::System::new_with_specifics(
            sysinfo::RefreshKind::nothing()
                .with_cpu(sysinfo::CpuRefreshKind::nothing())
                .with_memory(sysinfo::MemoryRefreshKind::nothing().with_ram()),
        );
        sys.refresh_memory();
        Machine {
            cpu: sys
                .cpus()
                .first()
                .map(|c| c.brand().trim().to_string())
                .unwrap_or_default(),
            physical_cores: crate::engine::cpu::physical_cores(),
            logical_cpus: sys.cpus().len(),
            memory_bytes: sys.total_memory(),
            os: format!(
                "{} {}",
                sysinfo::System::name().unwrap_or_default(),
                sysinfo::System::os_version().unwrap_or_default()
            ),
            gridscore: env!("CARGO_PKG_VERSION").to_string(),
            wgpu: "30.0.1".to_string(),
        }
    }
}

/// The workload: a task with `pairs` train pairs and one test input on
/// `side` x `side` grids, and `n` programs of exactly `ops` ops.
pub fn workload(cfg: &BenchConfig, side: usize, n: usize) -> (Task, Vec<Program>) {
    let mut rng = Rng::new(cfg.seed ^ ((side as u64) << 32));
    let mut grid = || random_grid(&mut rng, side, side);
    let task = Task {
        id: format!("bench-{side}x{side}"),
        train: (0..cfg.pairs)
            .map(|_| Pair {
                input: grid(),
                output: grid(),
            })
            .collect(),
        test: Vec::<TestPair>::new(),
    };
    let codes = codes_of(&cfg.classes);
    let mut rng = Rng::new(cfg.seed.wrapping_mul(31) ^ side as u64);
    let programs = (0..n)
        .map(|_| crate::lang::random::random_program(&mut rng, &codes, cfg.ops, cfg.ops))
        .collect();
    (task, programs)
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Why a benchmark failed.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Engine(#[from] crate::engine::EngineError),
    #[error("bench needs at least one batch size and one grid size")]
    Empty,
    #[error("grid sizes must be in 1..=30, got {0}")]
    BadGrid(usize),
    #[error("batch size {batch} needs about {} MiB, more than the {} MiB of memory available", need >> 20, usable >> 20)]
    TooBig {
        batch: usize,
        need: u64,
        usable: u64,
    },
}

/// Bytes a benchmark holds for a batch of `batch` programs of `ops` ops on
/// tasks of `pairs` pairs: the programs, their outcome records, and the
/// copies a device makes (encoded programs, results, a staging buffer).
pub fn batch_bytes(batch: usize, ops: usize, pairs: usize) -> u64 {
    let per_program = 24 + 16 + 24 * ops as u64 // Program and its ops
        + 8 // the reference passed to the device
        + pairs as u64 * 3 * std::mem::size_of::<crate::score::PairOutcome>() as u64 // outcomes, results, staging
        + 8 * (ops as u64 + 2); // the encoded program
    batch as u64 * per_program
}

/// Refuses batch sizes whose memory (see [`batch_bytes`]) exceeds half of
/// `usable` bytes: the benchmark would swap or be killed instead of
/// measuring.
pub fn check_memory(cfg: &BenchConfig, usable: u64) -> Result<(), BenchError> {
    if let Some(&batch) = cfg.sizes.iter().max() {
        let need = batch_bytes(batch, cfg.ops, cfg.pairs + 1);
        if need > usable / 2 {
            return Err(BenchError::TooBig {
                batch,
                need,
                usable,
            });
        }
    }
    Ok(())
}

/// Runs the benchmark on `devices`; `progress` is told each point's label.
pub fn run(
    cfg: &BenchConfig,
    devices: &[&dyn Backend],
    progress: &dyn Fn(&str),
) -> Result<BenchReport, BenchError> {
    if cfg.sizes.is_empty() || cfg.grid_sizes.is_empty() {
        return Err(BenchError::Empty);
    }
    if let Some(&g) = cfg.grid_sizes.iter().find(|&&g| g == 0 || g > 30) {
        return Err(BenchError::BadGrid(g));
    }
    check_memory(
        cfg,
        crate::sched::HostInfo::detect().usable_memory_bytes().0,
    )?;
    let max = *cfg.sizes.iter().max().expect("non-empty");
    let mut points = Vec::new();
    let mut reports = Vec::new();
    for d in devices {
        // Warm-up: compile pipelines, fault in buffers.
        let (t, ps) = workload(cfg, cfg.grid_sizes[0], 16);
        let refs: Vec<&Program> = ps.iter().collect();
        d.evaluate(&t, &refs)?;
        let _ = d.take_gpu_time_s();
        for &side in &cfg.grid_sizes {
            let (task, programs) = workload(cfg, side, max);
            for &batch in &cfg.sizes {
                progress(&format!("{} {side}x{side} batch {batch}", d.name()));
                let refs: Vec<&Program> = programs[..batch].iter().collect();
                d.evaluate(&task, &refs)?;
                let _ = d.take_gpu_time_s();
                let mut samples = Vec::with_capacity(cfg.repeats);
                let mut gpu = Vec::new();
                for _ in 0..cfg.repeats.max(1) {
                    let t0 = Instant::now();
                    d.evaluate(&task, &refs)?;
                    samples.push(t0.elapsed().as_secs_f64());
                    if let Some(g) = d.take_gpu_time_s() {
                        gpu.push(g);
                    }
                }
                let wall = median(&mut samples.clone()).max(1e-9);
                let evaluations = (batch * task.num_pairs()) as u64;
                let op_applications = evaluations * cfg.ops as u64;
                let cells = evaluations * (side * side) as u64;
                points.push(Point {
                    device: d.name(),
                    kind: d.kind().to_string(),
                    grid: side,
                    batch,
                    evaluations,
                    op_applications,
                    cells,
                    wall_s: wall,
                    samples_s: samples,
                    evals_per_s: evaluations as f64 / wall,
                    op_apps_per_s: op_applications as f64 / wall,
                    cells_per_s: cells as f64 / wall,
                    gpu_s: (!gpu.is_empty()).then(|| median(&mut gpu)),
                });
            }
        }
        // Latency: one program, smallest grid.
        let (t, ps) = workload(cfg, cfg.grid_sizes[0], 1);
        let refs: Vec<&Program> = ps.iter().collect();
        let mut lat = Vec::new();
        for _ in 0..cfg.repeats.max(3) {
            let t0 = Instant::now();
            d.evaluate(&t, &refs)?;
            lat.push(t0.elapsed().as_secs_f64());
        }
        let _ = d.take_gpu_time_s();
        let rates = d.transfer_rates(64 << 20);
        reports.push(DeviceReport {
            name: d.name(),
            kind: d.kind().to_string(),
            backend: d.backend(),
            details: d.details(),
            latency_s: median(&mut lat),
            upload_gb_s: rates.map(|r| r.0),
            readback_gb_s: rates.map(|r| r.1),
            beats_cpu_from: Vec::new(),
        });
    }
    // Crossover: the smallest batch from which a non-CPU device is faster
    // than the CPU device on the same grid size.
    for r in reports.iter_mut().filter(|r| r.kind != "cpu") {
        for &side in &cfg.grid_sizes {
            let cpu_at = |b: usize| {
                points
                    .iter()
                    .find(|p| p.kind == "cpu" && p.grid == side && p.batch == b)
                    .map(|p| p.evals_per_s)
            };
            let from = cfg.sizes.iter().copied().find(|&b| {
                let mine = points
                    .iter()
                    .find(|p| p.device == r.name && p.grid == side && p.batch == b)
                    .map(|p| p.evals_per_s);
                matches!((mine, cpu_at(b)), (Some(m), Some(c)) if m > c)
            });
            r.beats_cpu_from.push((side, from));
        }
    }
    Ok(BenchReport {
        config: cfg.clone(),
        machine: Machine::detect(),
        devices: reports,
        points,
    })
}

fn si(v: f64) -> String {
    if v >= 1e9 {
        format!("{:.2} G", v / 1e9)
    } else if v >= 1e6 {
        format!("{:.2} M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.1} k", v / 1e3)
    } else {
        format!("{v:.1} ")
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let m = &self.machine;
        writeln!(
            f,
            "machine: {} ({} cores, {} CPUs, {:.1} GiB), {}; gridscore {}, wgpu {}",
            m.cpu,
            m.physical_cores,
            m.logical_cpus,
            m.memory_bytes as f64 / (1u64 << 30) as f64,
            m.os,
            m.gridscore,
            m.wgpu
        )?;
        writeln!(
            f,
            "workload: programs of {} ops over {:?}, {} train pairs, seed {}; median of {} runs",
            self.config.ops,
            self.config
                .classes
                .iter()
                .map(|c| c.name())
                .collect::<Vec<_>>(),
            self.config.pairs,
            self.config.seed,
            self.config.repeats
        )?;
        for d in &self.devices {
            write!(
                f,
                "device {} [{} / {}]: latency {:.3} ms",
                d.name,
                d.kind,
                d.backend,
                d.latency_s * 1e3
            )?;
            if let (Some(u), Some(r)) = (d.upload_gb_s, d.readback_gb_s) {
                write!(f, ", upload {u:.2} GB/s, readback {r:.2} GB/s")?;
            }
            for (side, from) in &d.beats_cpu_from {
                match from {
                    Some(b) => write!(f, ", beats the CPU from batch {b} on {side}x{side}")?,
                    None => write!(f, ", never beats the CPU on {side}x{side}")?,
                }
            }
            writeln!(f)?;
            if !d.details.is_null() {
                writeln!(f, "  {}", d.details)?;
            }
        }
        let dev_w = self
            .points
            .iter()
            .map(|p| p.device.len())
            .max()
            .unwrap_or(6)
            .max(6);
        writeln!(
            f,
            "{:<dev_w$}  {:>5}  {:>7}  {:>10}  {:>12}  {:>13}  {:>12}  {:>10}",
            "DEVICE", "GRID", "BATCH", "WALL ms", "EVALS/s", "OP APPS/s", "CELLS/s", "GPU ms"
        )?;
        for p in &self.points {
            writeln!(
                f,
                "{:<dev_w$}  {:>5}  {:>7}  {:>10.3}  {:>12}  {:>13}  {:>12}  {:>10}",
                p.device,
                format!("{0}x{0}", p.grid),
                p.batch,
                p.wall_s * 1e3,
                si(p.evals_per_s),
                si(p.op_apps_per_s),
                si(p.cells_per_s),
                p.gpu_s
                    .map_or("-".to_string(), |g| format!("{:.3}", g * 1e3))
            )?;
        }
        Ok(())
    }
}
