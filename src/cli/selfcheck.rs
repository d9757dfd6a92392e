//! `gridscore selfcheck`: the GPU differential test at scale, from the
//! release binary (no test harness needed on the GPU machine).
//!
//! Draws seeded random programs exactly as `random-programs` does, scores
//! them on every task with each GPU and with the CPU, and compares every
//! (program, pair) outcome (output size, matching cells, 64-bit hash), the
//! test predictions of a sample and the match masks of another exactly.

use super::common;
use super::{flags, CliError, CliResult};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::random::{all_codes, random_construct_program, random_program, v1_codes};
use gridscore::lang::Program;
use serde_json::json;
use std::path::PathBuf;
use std::time::Instant;

#[derive(clap::Args)]
pub struct SelfcheckArgs {
    /// Task files, directories of task files or combined challenges files
    /// [default: the bundled tasks, written to a temporary folder].
    pub tasks: Vec<PathBuf>,
    /// Random programs per task (drawn like `random-programs`).
    #[arg(long, short = 'n', default_value_t = 100_000, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
    pub programs: u64,
    /// Seed of the programs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Longest program, in ops.
    #[arg(long = "max-ops", default_value_t = 4, value_parser = clap::value_parser!(u64).range(1..=16))]
    pub max_ops: u64,
    /// Draw only the ops of language v1.
    #[arg(long)]
    pub v1: bool,
    /// Also draw overlay and norm constructs (a quarter of the programs).
    #[arg(long)]
    pub constructs: bool,
    /// Programs per backend call.
    #[arg(long = "batch", default_value_t = 65_536, value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    pub batch: u64,
    /// Programs whose test predictions (output grids) are compared too.
    #[arg(long = "predictions", default_value_t = 256)]
    pub predictions: usize,
    /// Programs whose match masks (`evaluate_masks`: the non-0 and wrong
    /// cells of every (program, pair), what the search's pieces need) are
    /// compared too.
    #[arg(long = "masks", default_value_t = 4096)]
    pub masks: usize,
    /// CPU threads of the reference [default: physical cores].
    #[arg(long, default_value_t = 0, value_parser = flags::parse_threads, allow_hyphen_values = true)]
    pub threads: usize,
    /// Write the report (per task and device: evaluations, wall times,
    /// mismatches with the first examples) here as JSON.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// One differing (program, pair).
fn mismatch(
    p: &Program,
    pair: usize,
    cpu: impl std::fmt::Debug,
    gpu: impl std::fmt::Debug,
) -> serde_json::Value {
    json!({
        "program": p.to_string(),
        "pair": pair,
        "cpu": format!("{cpu:?}"),
        "gpu": format!("{gpu:?}"),
    })
}

pub fn run(a: SelfcheckArgs) -> CliResult {
    common::check_outputs(&[("--json", a.json.as_deref())], &[])?;
    let gpus = gridscore::gpu::open_gpus(true)
        .map_err(|e| CliError::usage(anyhow::anyhow!("no GPU to check: {e}")))?;
    if gpus.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!(
            "no GPU adapter found (see `gridscore devices`)"
        )));
    }
    let tmp;
    let paths = if a.tasks.is_empty() {
        tmp = tempfile_dir()?;
        gridscore::assets::write_assets(&tmp.0).map_err(CliError::failed)?;
        vec![tmp.0.join("tasks")]
    } else {
        a.tasks.clone()
    };
    let loaded = gridscore::task::load_all(&paths, None);
    for e in &loaded.errors {
        super::error(&e.to_string());
    }
    if loaded.tasks.is_empty() {
        return Err(CliError::usage(anyhow::anyhow!("no task to check")));
    }
    let cpu = CpuBackend::new(flags::threads(a.threads));
    let codes = if a.v1 { v1_codes() } else { all_codes() };
    let max = a.max_ops as usize;
    let mut total_mismatches = 0usize;
    let mut reports = Vec::new();
    for task in &loaded.tasks {
        // The same programs for every task: `random-programs --seed S`.
        let mut rng = gridscore::rng::Rng::new(a.seed);
        let programs: Vec<Program> = (0..a.programs)
            .map(|_| {
                if a.constructs && rng.chance(0.25) {
                    random_construct_program(&mut rng, &codes, max)
                } else {
                    random_program(&mut rng, &codes, 1, max)
                }
            })
            .collect();
        let np = task.num_pairs();
        let mut cpu_s = 0.0;
        let mut per_gpu: Vec<(f64, usize, Vec<serde_json::Value>, Option<String>)> =
            gpus.iter().map(|_| (0.0, 0, Vec::new(), None)).collect();
        for chunk in programs.chunks(a.batch as usize) {
            let refs: Vec<&Program> = chunk.iter().collect();
            let t = Instant::now();
            let want = cpu.evaluate(task, &refs).map_err(CliError::failed)?;
            cpu_s += t.elapsed().as_secs_f64();
            for (g, slot) in gpus.iter().zip(per_gpu.iter_mut()) {
                if slot.3.is_some() {
                    continue;
                }
                let t = Instant::now();
                match g.evaluate(task, &refs) {
                    Ok(got) => {
                        slot.0 += t.elapsed().as_secs_f64();
                        for (k, (c, gg)) in want.iter().zip(&got).enumerate() {
                            if c != gg {
                                slot.1 += 1;
                                if slot.2.len() < 10 {
                                    slot.2.push(mismatch(&chunk[k / np], k % np, c, gg));
                                }
                            }
                        }
                        if got.len() != want.len() {
                            slot.1 += want.len().abs_diff(got.len());
                        }
                    }
                    Err(e) => slot.3 = Some(e.to_string()),
                }
            }
        }
        // Predictions (output grids) of a sample.
        let sample: Vec<&Program> = programs.iter().take(a.predictions).collect();
        let want = cpu.predict(task, &sample).map_err(CliError::failed)?;
        // Match masks of a sample, with their outcomes.
        let masked: Vec<&Program> = programs.iter().take(a.masks).collect();
        let want_masks = cpu
            .evaluate_masks(task, &masked)
            .map_err(CliError::failed)?;
        let mut devices = Vec::new();
        for (g, slot) in gpus.iter().zip(per_gpu) {
            let (gpu_s, mut bad, mut examples, mut failed) = slot;
            if failed.is_none() {
                match g.predict(task, &sample) {
                    Ok(got) => {
                        for (k, (c, gg)) in want.iter().zip(&got).enumerate() {
                            if c != gg {
                                bad += 1;
                                if examples.len() < 10 {
                                    examples.push(mismatch(
                                        sample[k],
                                        usize::MAX,
                                        "prediction",
                                        "differs",
                                    ));
                                }
                            }
                        }
                    }
                    Err(e) => failed = Some(e.to_string()),
                }
            }
            if failed.is_none() && !masked.is_empty() {
                match g.evaluate_masks(task, &masked) {
                    Ok(got) if got.outcomes.len() == want_masks.outcomes.len() => {
                        for s in 0..got.outcomes.len() {
                            let (c, gg) = (want_masks.masks_of(s), got.masks_of(s));
                            if c != gg || want_masks.outcomes[s] != got.outcomes[s] {
                                bad += 1;
                                if examples.len() < 10 {
                                    examples.push(mismatch(masked[s / np], s % np, c, gg));
                                }
                            }
                        }
                    }
                    Ok(_) => bad += 1,
                    Err(e) => failed = Some(e.to_string()),
                }
            }
            total_mismatches += bad + usize::from(failed.is_some());
            let evals = programs.len() * np;
            devices.push(json!({
                "device": g.name(),
                "evaluations": evals,
                "gpu_wall_s": gpu_s,
                "gpu_evals_per_s": if gpu_s > 0.0 { evals as f64 / gpu_s } else { 0.0 },
                "speedup_over_cpu": if gpu_s > 0.0 { cpu_s / gpu_s } else { 0.0 },
                "mismatches": bad,
                "examples": examples,
                "failed": failed,
            }));
            let d = devices.last().cloned().unwrap_or_default();
            eprintln!(
                "task {}: {} programs x {np} pairs on {}: {} mismatches{}, GPU {:.2} s, CPU {:.2} s",
                gridscore::text::quote(&task.id),
                programs.len(),
                g.name(),
                bad,
                d["failed"].as_str().map_or(String::new(), |f| format!(", FAILED: {f}")),
                gpu_s,
                cpu_s
            );
        }
        reports.push(json!({
            "task": task.id,
            "programs": programs.len(),
            "pairs": np,
            "predictions_compared": sample.len(),
            "masks_compared": masked.len(),
            "cpu_wall_s": cpu_s,
            "cpu_evals_per_s": if cpu_s > 0.0 { (programs.len() * np) as f64 / cpu_s } else { 0.0 },
            "devices": devices,
        }));
    }
    let report = json!({
        "seed": a.seed,
        "programs_per_task": a.programs,
        "max_ops": a.max_ops,
        "v1": a.v1,
        "constructs": a.constructs,
        "cpu": cpu.name(),
        "tasks": reports,
        "mismatches": total_mismatches,
        "ok": total_mismatches == 0,
    });
    if let Some(p) = &a.json {
        common::write_json(p, &report)?;
    }
    if total_mismatches > 0 {
        return Err(CliError::failed(anyhow::anyhow!(
            "{total_mismatches} outcomes differ between the GPU and the CPU (or a GPU failed)"
        )));
    }
    eprintln!("selfcheck: every GPU outcome equals the CPU's");
    Ok(())
}

/// A temporary folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempfile_dir() -> Result<TempDir, CliError> {
    let base = std::env::temp_dir().join(format!("gridscore-selfcheck-{}", std::process::id()));
    std::fs::create_dir_all(&base).map_err(CliError::failed)?;
    Ok(TempDir(base))
}
