//! The bench logic: it runs, every field is present, numbers are positive
//! and consistent (op applications = evaluations x ops).

use gridscore::bench::{self, BenchConfig};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::sched::testing::{Fault, TestDevice};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

#[test]
fn quick_bench_is_consistent() {
    let cpu = CpuBackend::new(2);
    let slow = TestDevice::new(
        "slow-dev",
        Arc::new(CpuBackend::new(1)),
        Duration::from_millis(60),
        Fault::None,
    );
    let mut cfg = BenchConfig::quick();
    cfg.sizes = vec![1, 8, 64];
    cfg.grid_sizes = vec![5, 12];
    let devices: Vec<&dyn Backend> = vec![&cpu, &slow];
    let report = bench::run(&cfg, &devices, &|_| {}).unwrap();
    assert_eq!(report.points.len(), 2 * 3 * 2);
    for p in &report.points {
        assert_eq!(p.evaluations, (p.batch * cfg.pairs) as u64);
        assert_eq!(p.op_applications, p.evaluations * cfg.ops as u64);
        assert_eq!(p.cells, p.evaluations * (p.grid * p.grid) as u64);
        assert!(
            p.wall_s > 0.0 && p.evals_per_s > 0.0 && p.op_apps_per_s > 0.0 && p.cells_per_s > 0.0
        );
        assert!((p.op_apps_per_s / p.evals_per_s - cfg.ops as f64).abs() < 1e-6);
        assert_eq!(p.samples_s.len(), cfg.repeats);
    }
    assert_eq!(report.devices.len(), 2);
    assert!(report.devices.iter().all(|d| d.latency_s > 0.0));
    // The slow device sleeps 60 ms per batch: it never beats the CPU.
    let slow = &report.devices[1];
    assert_eq!(slow.beats_cpu_from, vec![(5, None), (12, None)]);
    let text = report.to_string();
    assert!(text.contains("EVALS/s") && text.contains("slow-dev"));
    let svg = bench::svg::chart(&report);
    assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
    assert_eq!(
        svg.matches("<polyline").count(),
        4,
        "one line per device and grid size"
    );
    assert!(svg.contains("batch size") && svg.contains("evaluations per second"));
}

#[test]
fn bench_cli_quick_writes_json_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("b.json");
    let svg = dir.path().join("b.svg");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_gridscore"))
        .args([
            "bench", "--quick", "--device", "cpu", "--sizes", "1,32", "--json",
        ])
        .arg(&json)
        .arg("--svg")
        .arg(&svg)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_str(&std::fs::read_to_string(&json).unwrap()).unwrap();
    for key in ["config", "machine", "devices", "points"] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in ["cpu", "physical_cores", "memory_bytes", "gridscore", "wgpu"] {
        assert!(v["machine"].get(key).is_some(), "machine lacks {key}");
    }
    let p = &v["points"][0];
    for key in [
        "device",
        "grid",
        "batch",
        "evaluations",
        "op_applications",
        "cells",
        "wall_s",
        "evals_per_s",
        "op_apps_per_s",
        "cells_per_s",
        "gpu_s",
    ] {
        assert!(p.get(key).is_some(), "point lacks {key}");
    }
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<polyline"));
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_gridscore"))
        .args(["bench", "--quick", "--grid-sizes", "31"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
}
