//! Helpers shared by the subcommands: loading tasks and candidates, opening
//! devices, writing output.

use super::CliError;
use anyhow::Context;
use gridscore::engine::Backend;
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

pub use gridscore::sched::devices::DeviceSpec;

/// Parses `--device` (auto, cpu, gpu, all, or a comma list of cpu and gpu).
pub fn parse_device_spec(s: &str) -> Result<DeviceSpec, String> {
    s.parse()
        .map_err(|e: gridscore::sched::devices::UnknownDevice| e.to_string())
}

/// Opens the devices of a spec (see [`gridscore::sched::devices::open_devices`]);
/// says on stderr when `auto` falls back to the CPU.
pub fn open_devices(spec: &DeviceSpec, threads: usize) -> Result<Vec<Arc<dyn Backend>>, CliError> {
    let opened = gridscore::sched::devices::open_devices(spec, threads)
        .map_err(|e| CliError::usage(anyhow::anyhow!("--device: {e}")))?;
    if let Some(e) = &opened.fallback {
        eprintln!("gridscore: no GPU used ({e}); running on the CPU");
    }
    Ok(opened.devices)
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
