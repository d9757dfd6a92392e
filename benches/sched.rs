//! Scheduler overhead and throughput: the same batch through the scheduler
//! (chunking, workers, collection) with different in-flight caps, against a
//! direct backend call.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gridscore::bench::{workload, BenchConfig};
use gridscore::engine::{Backend, CpuBackend};
use gridscore::lang::Program;
use gridscore::sched::{SchedOptions, Scheduler};
use std::hint::black_box;
use std::sync::Arc;

fn sched(c: &mut Criterion) {
    let cfg = BenchConfig::full();
    let (task, programs) = workload(&cfg, 10, 20_000);
    let evaluations = (programs.len() * task.num_pairs()) as u64;
    let task = Arc::new(task);
    let programs = Arc::new(programs);
    let cpu: Arc<dyn Backend> = Arc::new(CpuBackend::new(0));
    let mut group = c.benchmark_group("scheduler_20k_programs_10x10");
    group.throughput(Throughput::Elements(evaluations));
    group.sample_size(10);
    group.bench_function("direct_backend", |b| {
        let refs: Vec<&Program> = programs.iter().collect();
        b.iter(|| black_box(cpu.evaluate(&task, &refs).expect("cpu")))
    });
    for inflight in [1usize, 2, 4] {
        let s = Scheduler::new(
            vec![cpu.clone()],
            SchedOptions {
                max_inflight: inflight,
                ..Default::default()
            },
        );
        group.bench_function(BenchmarkId::new("scheduled_max_inflight", inflight), |b| {
            b.iter(|| black_box(s.evaluate(task.clone(), programs.clone()).outcomes.len()))
        });
    }
    group.finish();
}

criterion_group!(benches, sched);
criterion_main!(benches);
