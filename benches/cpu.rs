//! CPU interpreter throughput on a fixed seeded workload.
//!
//! `cargo bench --bench cpu` prints elements/s where an element is one op
//! application (one op on one grid). Single-threaded groups measure per-core
//! speed; `cpu_backend` measures the rayon batch scorer on all cores.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::random::{all_codes, codes_of, random_grid, random_program};
use gridscore::lang::{Interp, OpClass, Program};
use gridscore::rng::Rng;
use gridscore::task::{Pair, Task, TestPair};
use std::hint::black_box;

const PROGRAMS: usize = 1000;
const OPS: usize = 3;

/// Which ops of a class a group draws: those of language v1 (comparable
/// with the figures before v2), those v2 added, or both.
#[derive(Copy, Clone)]
enum Gen {
    V1,
    V2,
}

// `examples/interp_workload.rs` runs these workloads (same generators,
// seeds and inputs) as a whole process, for instruction counts: keep the
// two in step.
fn programs(classes: &[OpClass], gen: Gen, seed: u64) -> Vec<Program> {
    let mut rng = Rng::new(seed);
    let codes: Vec<_> = codes_of(classes)
        .into_iter()
        .filter(|c| match gen {
            Gen::V1 => c.is_v1(),
            Gen::V2 => !c.is_v1(),
        })
        .collect();
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

/// Times one interpreter running every program on every input, as the
/// group's benchmark `name`.
fn run_all(
    group: &mut criterion::BenchmarkGroup<'_, criterion::measurement::WallTime>,
    name: &str,
    ps: &[Program],
    inputs: &[gridscore::grid::Grid],
) {
    let mut interp = Interp::new();
    group.bench_function(BenchmarkId::from_parameter(name), |b| {
        b.iter(|| {
            let mut valid = 0usize;
            for p in ps {
                for x in inputs {
                    valid += interp.run_program(p, x).is_some() as usize;
                }
            }
            black_box(valid)
        })
    });
}

/// One core: every program on every input of a 10x10 task.
fn per_core(c: &mut Criterion) {
    let t = task(10, 7);
    let inputs: Vec<_> = t.inputs().cloned().collect();
    let mut group = c.benchmark_group("interp_10x10_one_core");
    // The v1 groups keep their names and ops (v1 figures stay comparable);
    // the `v2-` groups draw the ops language v2 added, per class.
    for (name, classes, gen) in [
        ("geometry", &[OpClass::Geometry][..], Gen::V1),
        ("color", &[OpClass::Color][..], Gen::V1),
        (
            "geometry+color",
            &[OpClass::Geometry, OpClass::Color][..],
            Gen::V1,
        ),
        ("layout", &[OpClass::Layout][..], Gen::V1),
        ("region", &[OpClass::Region][..], Gen::V1),
        ("v2-layout", &[OpClass::Layout][..], Gen::V2),
        ("v2-region", &[OpClass::Region][..], Gen::V2),
        ("v2-lines", &[OpClass::Lines][..], Gen::V2),
        ("v2-pieces", &[OpClass::Pieces][..], Gen::V2),
        ("v2-pattern", &[OpClass::Pattern][..], Gen::V2),
    ] {
        let ps = programs(classes, gen, 42);
        group.throughput(Throughput::Elements((PROGRAMS * OPS * inputs.len()) as u64));
        run_all(&mut group, name, &ps, &inputs);
    }
    group.finish();
}

/// One core, one op at a time: 1,000 single-op programs (random
/// arguments) on every input of the 10x10 task, per op. Where a class's
/// figure moves, this says which op moved it (`cargo bench --bench cpu --
/// interp_op_10x10/repair`).
fn per_op(c: &mut Criterion) {
    let t = task(10, 7);
    let inputs: Vec<_> = t.inputs().cloned().collect();
    let mut group = c.benchmark_group("interp_op_10x10");
    // 66 ops: short windows keep the group near a minute and a half.
    group.warm_up_time(std::time::Duration::from_millis(300));
    group.measurement_time(std::time::Duration::from_secs(1));
    for code in all_codes() {
        let mut rng = Rng::new(42);
        let ps: Vec<Program> = (0..PROGRAMS)
            .map(|_| random_program(&mut rng, &[code], 1, 1))
            .collect();
        group.throughput(Throughput::Elements((PROGRAMS * inputs.len()) as u64));
        run_all(&mut group, code.name(), &ps, &inputs);
    }
    group.finish();
}

/// The rayon batch scorer (run + compare + hash) on all cores.
fn backend(c: &mut Criterion) {
    let cpu = CpuBackend::new(0);
    let mut group = c.benchmark_group("cpu_backend_evaluate");
    for side in [10usize, 30] {
        let t = task(side, 9);
        let ps = programs(&[OpClass::Geometry, OpClass::Color], Gen::V1, 43);
        let refs: Vec<&Program> = ps.iter().collect();
        group.throughput(Throughput::Elements((PROGRAMS * t.num_pairs()) as u64));
        group.bench_function(
            BenchmarkId::new("evaluations", format!("{side}x{side}")),
            |b| b.iter(|| black_box(cpu.evaluate(&t, &refs).expect("cpu never fails"))),
        );
        // The same with the match masks of every (program, pair) (what the
        // search asks for while it collects pieces).
        group.bench_function(
            BenchmarkId::new("evaluations_with_masks", format!("{side}x{side}")),
            |b| b.iter(|| black_box(cpu.evaluate_masks(&t, &refs).expect("cpu never fails"))),
        );
    }
    group.finish();
}

criterion_group!(benches, per_core, per_op, backend);
criterion_main!(benches);
