//! Sizing from measurements: CPU threads from physical cores, the cgroup CPU
//! quota and the affinity mask; chunk sizes from each device's limits and
//! from host memory (available memory and the cgroup limit, not total RAM).
//! `gridscore plan` prints a [`Plan`] with the limit behind every number.

use crate::engine::Backend;
use crate::score::PairOutcome;
use crate::task::Task;
use serde::Serialize;
use std::fmt;

/// What the host offers, as measured now.
#[derive(Clone, Debug, Serialize)]
pub struct HostInfo {
    pub physical_cores: usize,
    pub logical_cpus: usize,
    /// CPUs in this process's affinity mask.
    pub affinity_cpus: Option<usize>,
    /// The cgroup CPU quota in CPUs (`cpu.max`), if one is set.
    pub cgroup_cpu_quota: Option<f64>,
    pub total_memory_bytes: u64,
    pub available_memory_bytes: u64,
    /// The cgroup memory limit (`memory.max`), if one is set.
    pub cgroup_memory_limit_bytes: Option<u64>,
    /// The cgroup's current usage (`memory.current`).
    pub cgroup_memory_used_bytes: Option<u64>,
}

impl HostInfo {
    /// Measures the host.
    pub fn detect() -> HostInfo {
        let mut sys = sysinfo::System::new();
        sys.refresh_memory();
        let logical = std::thread::available_parallelism().map_or(1, |n| n.get());
        HostInfo {
            physical_cores: crate::engine::cpu::physical_cores(),
            logical_cpus: sysinfo::System::new_with_specifics(
                sysinfo::RefreshKind::nothing().with_cpu(sysinfo::CpuRefreshKind::nothing()),
            )
            .cpus()
            .len()
            .max(logical),
            affinity_cpus: affinity_cpus(),
            cgroup_cpu_quota: cgroup_cpu_quota(),
            total_memory_bytes: sys.total_memory(),
            available_memory_bytes: sys.available_memory(),
            cgroup_memory_limit_bytes: read_cgroup_u64("memory.max"),
            cgroup_memory_used_bytes: read_cgroup_u64("memory.current"),
        }
    }

    /// Memory this process may still use: the smaller of the host's
    /// available memory and what the cgroup limit leaves.
    pub fn usable_memory_bytes(&self) -> (u64, &'static str) {
        let host = self.available_memory_bytes;
        match (
            self.cgroup_memory_limit_bytes,
            self.cgroup_memory_used_bytes,
        ) {
            (Some(limit), used) => {
                let left = limit.saturating_sub(used.unwrap_or(0));
                if left < host {
                    (left, "cgroup memory.max minus memory.current")
                } else {
                    (host, "available host memory")
                }
            }
            _ => (host, "available host memory"),
        }
    }

    /// CPU worker threads and the limit that chose them.
    pub fn cpu_threads(&self) -> (usize, &'static str) {
        let mut n = self.physical_cores.max(1);
        let mut why = "physical cores";
        if let Some(a) = self.affinity_cpus {
            if a < n {
                n = a;
                why = "CPU affinity mask";
            }
        }
        if let Some(q) = self.cgroup_cpu_quota {
            let q = (q.ceil() as usize).max(1);
            if q < n {
                n = q;
                why = "cgroup CPU quota (cpu.max)";
            }
        }
        (n, why)
    }
}

fn cgroup_path(file: &str) -> Option<String> {
    // cgroup v2: /proc/self/cgroup has "0::/path".
    let text = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    let rel = text.lines().find_map(|l| l.strip_prefix("0::"))?;
    let p = format!("/sys/fs/cgroup{}/{file}", rel.trim_end_matches('/'));
    if std::path::Path::new(&p).exists() {
        Some(p)
    } else {
        let root = format!("/sys/fs/cgroup/{file}");
        std::path::Path::new(&root).exists().then_some(root)
    }
}

fn read_cgroup_u64(file: &str) -> Option<u64> {
    let text = std::fs::read_to_string(cgroup_path(file)?).ok()?;
    text.trim().parse().ok()
}

fn cgroup_cpu_quota() -> Option<f64> {
    let text = std::fs::read_to_string(cgroup_path("cpu.max")?).ok()?;
    let mut it = text.split_whitespace();
    let quota: f64 = it.next()?.parse().ok()?;
    let period: f64 = it.next()?.parse().ok()?;
    (period > 0.0).then_some(quota / period)
}

fn affinity_cpus() -> Option<usize> {
    #[cfg(target_os = "linux")]
    {
        // SAFETY: sched_getaffinity writes into the set we pass.
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        let r =
            unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
        if r == 0 {
            return Some(unsafe { libc::CPU_COUNT(&set) } as usize);
        }
        None
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// Host bytes one program of a chunk needs while it is in flight: its
/// outcome records (and a staging copy on the way back from a GPU).
pub fn host_bytes_per_program(pairs: usize) -> u64 {
    (2 * pairs * std::mem::size_of::<PairOutcome>() + 64) as u64
}

/// The plan for one device.
#[derive(Clone, Debug, Serialize)]
pub struct DevicePlan {
    pub name: String,
    pub kind: String,
    pub backend: String,
    /// The most programs per chunk.
    pub max_chunk: usize,
    /// The limit that set `max_chunk`.
    pub bound_by: String,
    /// Programs in the first chunk, before calibration.
    pub first_chunk: usize,
    pub max_inflight: usize,
}

/// How a batch will be run, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    pub host: HostInfo,
    pub cpu_threads: usize,
    pub cpu_threads_bound_by: String,
    pub candidates: usize,
    pub distinct_programs: usize,
    pub pairs: usize,
    pub evaluations: u64,
    pub usable_memory_bytes: u64,
    pub usable_memory_from: String,
    /// A quarter of the usable memory, shared by every chunk in flight.
    pub chunk_memory_budget_bytes: u64,
    pub host_bytes_per_program: u64,
    /// The most programs per chunk that host memory allows.
    pub host_max_chunk: usize,
    pub target_chunk_ms: u64,
    pub devices: Vec<DevicePlan>,
}

/// Plans a batch of `distinct` programs on `task`.
#[allow(clippy::too_many_arguments)]
pub fn plan(
    host: HostInfo,
    devices: &[&dyn Backend],
    task: &Task,
    candidates: usize,
    distinct: usize,
    max_inflight: usize,
    first_chunk: usize,
    target_chunk_ms: u64,
) -> Plan {
    let (cpu_threads, cpu_why) = host.cpu_threads();
    let (usable, from) = host.usable_memory_bytes();
    let slots = (devices.len().max(1) * max_inflight.max(1)) as u64;
    let budget = usable / 4;
    let per = host_bytes_per_program(task.num_pairs());
    let host_max_chunk = ((budget / slots) / per).max(1) as usize;
    let devices = devices
        .iter()
        .map(|d| {
            let (dev_max, why) = d.max_programs(task);
            let (max_chunk, bound_by) = if host_max_chunk < dev_max {
                (
                    host_max_chunk,
                    "host memory budget per chunk in flight".to_string(),
                )
            } else {
                (dev_max, why.to_string())
            };
            DevicePlan {
                name: d.name(),
                kind: d.kind().to_string(),
                backend: d.backend(),
                max_chunk,
                bound_by,
                first_chunk: first_chunk.min(max_chunk).min(distinct.max(1)),
                max_inflight: max_inflight.max(1),
            }
        })
        .collect();
    Plan {
        cpu_threads,
        cpu_threads_bound_by: cpu_why.to_string(),
        candidates,
        distinct_programs: distinct,
        pairs: task.num_pairs(),
        evaluations: (distinct * task.num_pairs()) as u64,
        usable_memory_bytes: usable,
        usable_memory_from: from.to_string(),
        chunk_memory_budget_bytes: budget,
        host_bytes_per_program: per,
        host_max_chunk,
        target_chunk_ms,
        devices,
        host,
    }
}

fn gib(b: u64) -> String {
    format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let h = &self.host;
        writeln!(
            f,
            "batch: {} candidates, {} distinct programs x {} pairs = {} evaluations",
            self.candidates, self.distinct_programs, self.pairs, self.evaluations
        )?;
        writeln!(f, "host:")?;
        writeln!(
            f,
            "  cpus: {} physical cores, {} logical, affinity {}, cgroup quota {}",
            h.physical_cores,
            h.logical_cpus,
            h.affinity_cpus.map_or("-".into(), |a| a.to_string()),
            h.cgroup_cpu_quota
                .map_or("none".into(), |q| format!("{q:.2} CPUs"))
        )?;
        writeln!(
            f,
            "  -> {} CPU threads (bound by {})",
            self.cpu_threads, self.cpu_threads_bound_by
        )?;
        writeln!(
            f,
            "  memory: {} total, {} available, cgroup limit {}",
            gib(h.total_memory_bytes),
            gib(h.available_memory_bytes),
            h.cgroup_memory_limit_bytes.map_or("none".into(), gib)
        )?;
        writeln!(
            f,
            "  -> usable {} ({}); chunk budget a quarter of it, {}",
            gib(self.usable_memory_bytes),
            self.usable_memory_from,
            gib(self.chunk_memory_budget_bytes)
        )?;
        writeln!(
            f,
            "  -> {} host bytes per program in flight -> at most {} programs per chunk",
            self.host_bytes_per_program, self.host_max_chunk
        )?;
        writeln!(
            f,
            "chunks: first chunk calibrates; later chunks aim at {} ms each",
            self.target_chunk_ms
        )?;
        for d in &self.devices {
            writeln!(f, "device {} [{} / {}]:", d.name, d.kind, d.backend)?;
            writeln!(f, "  max {} chunks in flight; first chunk {} programs; at most {} programs per chunk (bound by {})",
                d.max_inflight, d.first_chunk, d.max_chunk, d.bound_by)?;
        }
        Ok(())
    }
}
