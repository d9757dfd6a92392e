//! Helpers shared by the subcommands: loading tasks and candidates (with
//! their warnings and per-item errors), opening devices, checking and
//! writing outputs (atomically).

use super::CliError;
use anyhow::Context;
use gridscore::engine::Backend;
use gridscore::io::AtomicFile;
use gridscore::lang::{read_candidates_warned, Candidate};
use gridscore::task::{load_all, Task};
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
    // Escaped: newlines and other control characters become visible
    // escapes, so the message stays one line and cannot drive a terminal.
    gridscore::text::escape(&s).into_owned()
}

/// Tasks as loaded: the good ones, and how many files or tasks failed
/// (each reported on stderr already).
pub struct Tasks {
    pub tasks: Vec<Task>,
    pub failed: usize,
}

/// Loads the tasks at `path` (a task file, a directory, or a combined file),
/// keeping only `only` if given. A bad file or task is reported and the
/// others are kept; nothing loaded at all is a usage error (exit 2).
pub fn tasks(path: &Path, solutions: Option<&Path>, only: Option<&str>) -> Result<Tasks, CliError> {
    let loaded = load_all(&[path.to_path_buf()], solutions);
    let mut errors = loaded.errors;
    let mut tasks = loaded.tasks;
    if let Some(id) = only {
        tasks.retain(|t| t.id == id);
        // Errors about other tasks do not concern this run.
        errors.retain(|e| e.task().is_none_or(|t| t == id));
        if tasks.is_empty() {
            if let Some(first) = errors.into_iter().next() {
                return Err(CliError::usage(first));
            }
            return Err(CliError::usage(anyhow::anyhow!(
                "{}: no task with id `{}`",
                path.display(),
                gridscore::text::quote(id)
            )));
        }
    }
    if tasks.is_empty() {
        let n = errors.len();
        let mut it = errors.into_iter();
        return Err(match it.next() {
            Some(first) => {
                for e in it {
                    super::error(&e.to_string());
                }
                if n > 1 {
                    CliError::usage(anyhow::anyhow!(
                        "{first} (and {} more problems above)",
                        n - 1
                    ))
                } else {
                    CliError::usage(first)
                }
            }
            None => CliError::usage(anyhow::anyhow!("{}: no tasks", path.display())),
        });
    }
    for w in &loaded.warnings {
        super::warn(&w.to_string());
    }
    for e in &errors {
        super::error(&e.to_string());
    }
    Ok(Tasks {
        tasks,
        failed: errors.len(),
    })
}

/// Reads a candidates file; duplicate ids are warned about.
pub fn candidates(path: &Path) -> Result<Vec<Candidate>, CliError> {
    let (c, warnings) = read_candidates_warned(path)
        .with_context(|| format!("{}: cannot read the candidates file", path.display()))
        .map_err(CliError::usage)?;
    for w in warnings {
        super::warn(&format!("{}: {w}", path.display()));
    }
    Ok(c)
}

pub use gridscore::sched::devices::DeviceSpec;

/// Parses `--device` (auto, cpu, gpu, all, or a comma list of cpu and gpu).
pub fn parse_device_spec(s: &str) -> Result<DeviceSpec, String> {
    s.parse()
        .map_err(|e: gridscore::sched::devices::UnknownDevice| e.to_string())
}

/// Opens the devices of a spec (see [`gridscore::sched::devices::open_devices`]):
/// CPU threads are clamped to the CPUs this process can use
/// ([`super::flags::threads`]); says on stderr when `auto` falls back to
/// the CPU. No GPU when one is required is a usage error (exit 2); threads
/// the system refuses are a failure (exit 1), never a panic.
pub fn open_devices(spec: &DeviceSpec, threads: usize) -> Result<Vec<Arc<dyn Backend>>, CliError> {
    use gridscore::sched::devices::OpenError;
    let opened = gridscore::sched::devices::open_devices(spec, super::flags::threads(threads))
        .map_err(|e| match e {
            OpenError::Gpu(e) => CliError::usage(anyhow::anyhow!("--device: {e}")),
            OpenError::Cpu(e) => CliError::failed(e),
        })?;
    if let Some(e) = &opened.fallback {
        super::note(&format!("no GPU used ({e}); running on the CPU"));
    }
    Ok(opened.devices)
}

/// Checks the output paths of a command before any work: each can be
/// written (its directory exists, it is not a directory), no two are the
/// same file, and none is one of the inputs (which it would overwrite).
pub fn check_outputs(outputs: &[(&str, Option<&Path>)], inputs: &[&Path]) -> Result<(), CliError> {
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    };
    let given: Vec<(&str, &Path)> = outputs
        .iter()
        .filter_map(|(flag, p)| p.map(|p| (*flag, p)))
        .collect();
    for (k, (flag, p)) in given.iter().enumerate() {
        for (other, q) in &given[..k] {
            if same(p, q) {
                return Err(CliError::usage(anyhow::anyhow!(
                    "{flag} and {other} are the same file ({})",
                    p.display()
                )));
            }
        }
        for i in inputs {
            if same(p, i) {
                return Err(CliError::usage(anyhow::anyhow!(
                    "{flag} {}: that is an input of this command; it would be overwritten",
                    p.display()
                )));
            }
            // A .json output inside a task directory would be read as a
            // task file by the next run.
            let parent = p.parent().filter(|d| !d.as_os_str().is_empty());
            if i.is_dir()
                && p.extension().is_some_and(|e| e == "json")
                && same(parent.unwrap_or(Path::new(".")), i)
            {
                return Err(CliError::usage(anyhow::anyhow!(
                    "{flag} {}: inside the task directory {}, where the next run would read it as a task file",
                    p.display(),
                    i.display()
                )));
            }
        }
        gridscore::io::check_writable(p)
            .with_context(|| format!("{flag} {}: cannot write there", p.display()))
            .map_err(CliError::usage)?;
    }
    Ok(())
}

/// Where results go: stdout as they come, or a file written beside its
/// target and renamed over it only by [`Output::commit`] (an interrupted
/// or failed run leaves the previous file).
pub enum Output {
    Stdout(std::io::BufWriter<std::io::StdoutLock<'static>>),
    File(AtomicFile),
}

impl Output {
    /// `--out FILE`, or stdout.
    pub fn open(path: Option<&PathBuf>) -> Result<Output, CliError> {
        Ok(match path {
            Some(p) => Output::File(
                AtomicFile::create(p)
                    .with_context(|| format!("{}: cannot create", p.display()))
                    .map_err(CliError::usage)?,
            ),
            None => Output::Stdout(std::io::BufWriter::new(std::io::stdout().lock())),
        })
    }
    /// Flushes stdout, or renames the file into place.
    pub fn commit(self) -> Result<(), CliError> {
        match self {
            Output::Stdout(mut w) => match w.flush() {
                Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(e)),
                _ => Ok(()),
            },
            Output::File(f) => {
                let path = f.target().to_path_buf();
                f.commit()
                    .with_context(|| format!("{}: cannot write", path.display()))
                    .map_err(CliError::failed)
            }
        }
    }
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Output::Stdout(w) => w.write(buf),
            Output::File(f) => f.write(buf),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Output::Stdout(w) => w.flush(),
            // A file is flushed at the commit.
            Output::File(_) => Ok(()),
        }
    }
}

/// Writes JSON to a file, atomically.
pub fn write_json(path: &Path, v: &serde_json::Value) -> Result<(), CliError> {
    let text = serde_json::to_string_pretty(v).map_err(CliError::failed)?;
    gridscore::io::write_atomic(path, (text + "\n").as_bytes())
        .with_context(|| format!("{}: cannot write", path.display()))
        .map_err(CliError::failed)
}
