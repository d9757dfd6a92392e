//! Helpers shared by the integration tests (`mod common;` in each).
#![allow(dead_code)]

use gridscore::gpu::{self, GpuBackend};
use gridscore::lang::{run_program, Program};
use gridscore::rng::Rng;
use gridscore::task::{Pair, Task, TestPair};
use gridscore::Grid;

/// The first GPU adapter (software ones included: lavapipe in CI). Without
/// one the test says that it skips, unless `GRIDSCORE_REQUIRE_GPU=1`, which
/// makes it fail.
pub fn open_gpu() -> Option<GpuBackend> {
    match gpu::open_gpus_matching(true, None) {
        Ok(mut v) if !v.is_empty() => Some(v.remove(0)),
        other => {
            let why = other
                .err()
                .map_or("no adapter".to_string(), |e| e.to_string());
            assert!(
                std::env::var("GRIDSCORE_REQUIRE_GPU").as_deref() != Ok("1"),
                "GRIDSCORE_REQUIRE_GPU=1 but no GPU: {why}"
            );
            eprintln!("skipped: no GPU adapter (install mesa-vulkan-drivers): {why}");
            None
        }
    }
}

/// A task made by running `program` on grids from `make`.
pub fn task_from_grids(
    program: &str,
    seed: u64,
    ntrain: usize,
    make: impl Fn(&mut Rng) -> Grid,
) -> Task {
    let p = Program::parse(program).unwrap();
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::new();
    let mut tries = 0;
    while pairs.len() < ntrain + 1 {
        tries += 1;
        assert!(tries < 10_000, "cannot make pairs for {program}");
        let g = make(&mut rng);
        if let Some(o) = run_program(&p, &g) {
            if o != g && !pairs.iter().any(|(i, _)| *i == g) {
                pairs.push((g, o));
            }
        }
    }
    let (ti, to) = pairs.pop().unwrap();
    Task {
        id: format!("gen-{seed}"),
        train: pairs
            .into_iter()
            .map(|(input, output)| Pair { input, output })
            .collect(),
        test: vec![TestPair {
            input: ti,
            output: Some(to),
        }],
    }
}
