//! The scheduler and the bench with a real GPU backend (lavapipe in CI):
//! every device mix gives the CPU's results, a GPU destroyed mid-batch hands
//! its work over, and the bench reports the GPU-only figures. Skips (saying
//! so) without an adapter, fails instead under `GRIDSCORE_REQUIRE_GPU=1`.

use gridscore::bench::{self, BenchConfig};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::random::{all_codes, random_grid_sized, random_program};
use gridscore::lang::Program;
use gridscore::rng::Rng;
use gridscore::sched::{SchedOptions, Scheduler};
use gridscore::task::{Pair, Task, TestPair};
use std::sync::Arc;

mod common;
use common::open_gpu;

fn workload(n: usize, seed: u64) -> (Arc<Task>, Arc<Vec<Program>>) {
    let mut rng = Rng::new(seed);
    let codes = all_codes();
    let programs = (0..n)
        .map(|_| random_program(&mut rng, &codes, 1, 4))
        .collect();
    let mut g = || random_grid_sized(&mut rng, 2, 14);
    let task = Task {
        id: "t".into(),
        train: (0..3)
            .map(|_| Pair {
                input: g(),
                output: g(),
            })
            .collect(),
        test: vec![TestPair {
            input: g(),
            output: Some(g()),
        }],
    };
    (Arc::new(task), Arc::new(programs))
}

fn opts() -> SchedOptions {
    SchedOptions {
        first_chunk: 64,
        target_chunk: std::time::Duration::from_millis(20),
        ..Default::default()
    }
}

#[test]
fn every_device_mix_matches_the_cpu() {
    let Some(g) = open_gpu() else { return };
    let gpu: Arc<dyn Backend> = Arc::new(g);
    let (task, programs) = workload(1500, 11);
    let refs: Vec<&Program> = programs.iter().collect();
    let want = CpuBackend::new(1).evaluate(&task, &refs).unwrap();
    let cpu: Arc<dyn Backend> = Arc::new(CpuBackend::new(2));
    for (name, devices) in [
        ("cpu", vec![cpu.clone()]),
        ("gpu", vec![gpu.clone()]),
        ("cpu,gpu", vec![cpu.clone(), gpu.clone()]),
    ] {
        let run = Scheduler::new(devices, opts()).evaluate(task.clone(), programs.clone());
        assert!(run.done.iter().all(|&d| d), "{name}");
        assert_eq!(run.outcomes, want, "{name}");
        assert!(run.faults.is_empty(), "{name}: {:?}", run.faults);
        if name == "cpu,gpu" {
            assert!(
                run.devices.iter().all(|d| d.chunks > 0),
                "both devices pulled chunks: {:?}",
                run.devices
            );
            assert!(run.devices.iter().all(|d| d.max_inflight <= 2));
        }
    }
}

#[test]
fn a_gpu_destroyed_mid_run_loses_nothing() {
    let Some(g) = open_gpu() else { return };
    let g = Arc::new(g);
    let (task, programs) = workload(800, 12);
    let refs: Vec<&Program> = programs.iter().collect();
    let want = CpuBackend::new(1).evaluate(&task, &refs).unwrap();
    // Destroy the device: every later dispatch fails.
    g.destroy();
    let run = Scheduler::new(vec![g.clone() as Arc<dyn Backend>], opts()).evaluate(task, programs);
    assert!(run.done.iter().all(|&d| d));
    assert_eq!(run.outcomes, want);
    assert_eq!(run.faults.len(), 1, "{:?}", run.faults);
    assert!(run.devices[0].failed.is_some());
    assert_eq!(run.devices.last().unwrap().kind, "cpu", "the CPU took over");
}

#[test]
fn bench_reports_gpu_figures() {
    let Some(g) = open_gpu() else { return };
    let cpu = CpuBackend::new(2);
    let mut cfg = BenchConfig::quick();
    cfg.sizes = vec![1, 64];
    cfg.repeats = 2;
    let devices: Vec<&dyn Backend> = vec![&cpu, &g];
    let report = bench::run(&cfg, &devices, &|_| {}).unwrap();
    let d = report.devices.iter().find(|d| d.kind == "gpu").unwrap();
    assert!(d.upload_gb_s.unwrap() > 0.0 && d.readback_gb_s.unwrap() > 0.0);
    assert!(d.latency_s > 0.0);
    assert_eq!(d.beats_cpu_from.len(), cfg.grid_sizes.len());
    assert!(d.details["limits"]["max_buffer_size"].as_u64().unwrap() > 0);
    for p in report.points.iter().filter(|p| p.kind == "gpu") {
        assert_eq!(p.op_applications, p.evaluations * cfg.ops as u64);
        if g.info().timestamp_queries {
            assert!(
                p.gpu_s.is_some_and(|s| s > 0.0),
                "timestamp GPU time next to wall time"
            );
        }
    }
}

#[test]
fn cli_mixed_devices_summary_names_both() {
    if open_gpu().is_none() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.json");
    let run = |device: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_gridscore"))
            .args([
                "score",
                "assets/tasks",
                "-c",
                "assets/candidates.txt",
                "--device",
                device,
                "--summary",
            ])
            .arg(&summary)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let cpu = run("cpu");
    let mixed = run("cpu,gpu");
    assert!(
        mixed.status.success(),
        "{}",
        String::from_utf8_lossy(&mixed.stderr)
    );
    assert_eq!(
        cpu.stdout, mixed.stdout,
        "identical JSONL whatever the devices"
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    let kinds: Vec<&str> = s["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"cpu") && kinds.contains(&"gpu"),
        "{kinds:?}"
    );
    let gpu_only = run("gpu");
    assert_eq!(cpu.stdout, gpu_only.stdout);
}

#[test]
fn concurrent_batches_on_one_gpu_match_the_cpu() {
    let Some(g) = open_gpu() else { return };
    let g = Arc::new(g);
    let handles: Vec<_> = (0..4)
        .map(|k| {
            let g = g.clone();
            std::thread::spawn(move || {
                let (task, programs) = workload(400, 20 + k);
                let refs: Vec<&Program> = programs.iter().collect();
                let want = CpuBackend::new(1).evaluate(&task, &refs).unwrap();
                for _ in 0..3 {
                    assert_eq!(g.evaluate(&task, &refs).unwrap(), want);
                    let preds = g.predict(&task, &refs[..20]).unwrap();
                    assert_eq!(
                        preds,
                        CpuBackend::new(1).predict(&task, &refs[..20]).unwrap()
                    );
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("no thread failed");
    }
}
