//! CPU interpreter throughput on a fixed seeded workload.
//!
//! `cargo bench --bench cpu` prints elements/s where an element is one op
//! application (one op on one grid). Single-threaded groups measure per-core
//! speed; `cpu_backend` measures the rayon batch scorer on all cores.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::random::{codes_of, random_grid, random_program};
use gridscore::lang::{Interp, OpClass, Program};
use gridscore::rng::Rng;
use gridscore::task::{Pair, Task, TestPair};
use std::hint::black_box;

const PROGRAMS: usize = 1000;
const OPS: usize = 3;

fn programs(classes: &[OpClass], seed: u64) -> Vec<Program> {
    let mut rng = Rng::new(seed);
    let codes = codes_of(classes);
    (0..PROGRAMS)
        .map(|_| random_program(&mut rng, &codes, OPS, OPS))
        .collect()
}

fn task(side: usize, seed: u64) -> Task {
    let mut rng = Rng::new(seed);
    let mut g = || random_grid(&mut rng, side, side);
    Task {
        id: "bench".into(),
        train: (0..3)
            .map(|_| Pair {
                input: g(),
                output: g(),
            })
            .collect(),
        test: vec![TestPair {
            input: g(),
            output: None,
        }],
    }
}

/// One core: every program on every input of a 10x10 task.
fn per_core(c: &mut Criterion) {
    let t = task(10, 7);
    let inputs: Vec<_> = t.inputs().cloned().collect();
    let mut group = c.benchmark_group("interp_10x10_one_core");
    for (name, classes) in [
        ("geometry", &[OpClass::Geometry][..]),
        ("color", &[OpClass::Color][..]),
        ("geometry+color", &[OpClass::Geometry, OpClass::Color][..]),
        ("layout", &[OpClass::Layout][..]),
        ("region", &[OpClass::Region][..]),
    ] {
        let ps = programs(classes, 42);
        group.throughput(Throughput::Elements((PROGRAMS * OPS * inputs.len()) as u64));
        let mut interp = Interp::new();
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| {
                let mut valid = 0usize;
                for p in &ps {
                    for x in &inputs {
                        valid += interp.run_program(p, x).is_some() as usize;
                    }
                }
                black_box(valid)
            })
        });
    }
    group.finish();
}

/// The rayon batch scorer (run + compare + hash) on all cores.
fn backend(c: &mut Criterion) {
    let cpu = CpuBackend::new(0);
    let mut group = c.benchmark_group("cpu_backend_evaluate");
    for side in [10usize, 30] {
        let t = task(side, 9);
        let ps = programs(&[OpClass::Geometry, OpClass::Color], 43);
        let refs: Vec<&Program> = ps.iter().collect();
        group.throughput(Throughput::Elements((PROGRAMS * t.num_pairs()) as u64));
        group.bench_function(
            BenchmarkId::new("evaluations", format!("{side}x{side}")),
            |b| b.iter(|| black_box(cpu.evaluate(&t, &refs).expect("cpu never fails"))),
        );
    }
    group.finish();
}

criterion_group!(benches, per_core, backend);
criterion_main!(benches);
