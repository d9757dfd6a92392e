//! Helpers shared by the subcommands: loading tasks and candidates, opening
//! devices, writing output.

use super::CliError;
use anyhow::Context;
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::{read_candidates, Candidate};
use gridscore::task::{load_tasks, Task};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An error chain on one line.
pub fn one_line(e: &anyhow::Error) -> String {
    let mut s = e.to_string();
    for cause in e.chain().skip(1) {
        let c = cause.to_string();
        if !s.contains(&c) {
            s.push_str(": ");
            s.push_str(&c);
        }
    }
    s.replace('\n', " ")
}

/// Loads the tasks at `path` (a task file, a directory, or a combined file),
/// keeping only `only` if given.
pub fn tasks(
    path: &Path,
    solutions: Option<&Path>,
    only: Option<&str>,
) -> Result<Vec<Task>, CliError> {
    let mut tasks = load_tasks(path, solutions).map_err(CliError::usage)?;
    if let Some(id) = only {
        tasks.retain(|t| t.id == id);
        if tasks.is_empty() {
            return Err(CliError::usage(anyhow::anyhow!(
                "{}: no task with id `{id}`",
                path.display()
            )));
        }
    }
    Ok(tasks)
}

/// Reads a candidates file.
pub fn candidates(path: &Path) -> Result<Vec<Candidate>, CliError> {
    read_candidates(path)
        .with_context(|| format!("{}: cannot read the candidates file", path.display()))
        .map_err(CliError::usage)
}

/// The device list of `--device`.
#[derive(Clone, Debug)]
pub struct DeviceSpec {
    pub cpu: bool,
    pub gpu: bool,
    pub software_gpus: bool,
    pub auto: bool,
}

/// Parses `--device` (auto, cpu, gpu, all, or a comma list of cpu and gpu).
pub fn parse_device_spec(s: &str) -> Result<DeviceSpec, String> {
    let mut d = DeviceSpec {
        cpu: false,
        gpu: false,
        software_gpus: false,
        auto: false,
    };
    for part in s.split(',').map(str::trim) {
        match part {
            "auto" => d.auto = true,
            "cpu" => d.cpu = true,
            "gpu" => {
                d.gpu = true;
                d.software_gpus = true;
            }
            "all" => {
                d.cpu = true;
                d.gpu = true;
            }
            other => {
                return Err(format!(
                    "unknown device `{other}` (expected auto, cpu, gpu, all, or a comma list such as cpu,gpu)"
                ))
            }
        }
    }
    Ok(d)
}

/// Opens the devices of a spec: `auto` is the real GPUs, or the CPU when
/// there is none; `gpu` every adapter, software ones included (none is an
/// error); `all` every real GPU and the CPU; `cpu,gpu` the CPU and every
/// adapter. `GRIDSCORE_ADAPTER` narrows the adapters by name.
pub fn open_devices(spec: &DeviceSpec, threads: usize) -> Result<Vec<Arc<dyn Backend>>, CliError> {
    let mut out: Vec<Arc<dyn Backend>> = Vec::new();
    if spec.gpu || spec.auto {
        match gridscore::gpu::open_gpus(spec.software_gpus) {
            Ok(gpus) => out.extend(gpus.into_iter().map(|g| Arc::new(g) as Arc<dyn Backend>)),
            Err(e) if spec.gpu => return Err(CliError::usage(anyhow::anyhow!("--device: {e}"))),
            Err(e) => eprintln!("gridscore: no GPU used ({e}); running on the CPU"),
        }
        if spec.gpu && !spec.cpu && out.is_empty() {
            return Err(CliError::usage(anyhow::anyhow!(
                "--device: {}",
                gridscore::gpu::GpuError::NoAdapter
            )));
        }
    }
    if spec.cpu || out.is_empty() {
        out.push(Arc::new(CpuBackend::new(cpu_threads(threads))));
    }
    Ok(out)
}

/// `--threads`, or the planner's choice (physical cores, cgroup quota,
/// affinity) when 0.
pub fn cpu_threads(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        gridscore::sched::HostInfo::detect().cpu_threads().0
    }
}

/// A writer for `--out FILE` or stdout.
pub fn output(path: Option<&PathBuf>) -> Result<Box<dyn Write>, CliError> {
    Ok(match path {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p)
                .with_context(|| format!("{}: cannot create", p.display()))
                .map_err(CliError::usage)?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    })
}

/// Writes JSON to a file.
pub fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v).map_err(CliError::failed)?;
    std::fs::write(path, text + "\n")
        .with_context(|| format!("{}: cannot write", path.display()))
        .map_err(CliError::usage)
}
