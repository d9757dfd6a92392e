//! Search v2 answers on a real GPU backend (lavapipe in CI): the programs the
//! search composes (`overlay`) or finds in the color-normalised view
//! (`norm`) score exactly the same on the GPU as on the CPU, and a search run
//! on the GPU backend ranks the same programs and writes the same attempts.
//! Skips (saying so) without an adapter, fails instead under
//! `GRIDSCORE_REQUIRE_GPU=1`.

use gridscore::engine::{Backend, CpuBackend};
use gridscore::gpu::GpuBackend;
use gridscore::lang::{OpCode, Program};
use gridscore::rng::Rng;
use gridscore::search::{search_task, LastDepth, SearchOptions, Stage};
use gridscore::task::Task;

mod common;
use common::{open_gpu, task_from_grids};
use gridscore::Grid;

/// Sparse grids: a few cells of colors 1 to 3 on 0, one 2 in the top row.
fn rain(rng: &mut Rng) -> Grid {
    let (h, w) = (6 + rng.below(5), 6 + rng.below(5));
    let mut g = Grid::filled(h, w, 0);
    for _ in 0..2 + rng.below(4) {
        let (i, j) = (rng.below(h), rng.below(w));
        g.set(i, j, 1 + rng.below(3) as u8);
    }
    g.set(0, rng.below(w), 2);
    g
}

/// Three colors with distinct counts, different in every pair.
fn roles(rng: &mut Rng) -> Grid {
    let (a, b) = (1 + rng.below(4) as u8, 5 + rng.below(4) as u8);
    let mut g = Grid::filled(5, 5, 0);
    for k in 0..6 {
        g.set(k / 5, k % 5, a);
    }
    for k in 0..2 {
        g.set(4, 4 - k, b);
    }
    g
}

/// Every ranked program of `task`'s search scores the same on both backends.
fn ranked_match(gpu: &GpuBackend, task: &Task, opts: &SearchOptions) -> Vec<String> {
    let r = search_task(task, opts, &CpuBackend::new(2)).expect("cpu search");
    let texts: Vec<String> = r.ranked.iter().map(|p| p.program.clone()).collect();
    let programs: Vec<Program> = texts
        .iter()
        .map(|t| Program::parse(t).expect("ranked programs parse"))
        .collect();
    let refs: Vec<&Program> = programs.iter().collect();
    let cpu = CpuBackend::new(2).evaluate(task, &refs).expect("cpu");
    let gpu_out = gpu.evaluate(task, &refs).expect("gpu");
    assert_eq!(cpu, gpu_out, "outcomes of {texts:?}");
    for (p, (c, g)) in refs.iter().zip(
        CpuBackend::new(2)
            .predict(task, &refs)
            .expect("cpu predict")
            .iter()
            .zip(gpu.predict(task, &refs).expect("gpu predict").iter()),
    ) {
        assert_eq!(c, g, "test outputs of `{p}`");
    }
    assert_eq!(gpu.cpu_fallbacks(), 0, "results recomputed on the CPU");
    // The same search with the GPU as its backend, the last depth either
    // extended on the CPU (its shortlist scored on the GPU) or sent to the
    // GPU as programs: nothing disagrees, and the ranking and attempts are
    // those of the CPU backend run the same way.
    for last_depth in [LastDepth::States, LastDepth::Backend] {
        let o = SearchOptions {
            last_depth,
            ..opts.clone()
        };
        let rc = search_task(task, &o, &CpuBackend::new(2)).expect("cpu search");
        let rg = search_task(task, &o, gpu).expect("gpu search");
        assert_eq!(rg.backend_mismatches, 0, "{last_depth:?}");
        assert_eq!(rg.attempts, rc.attempts, "{last_depth:?}");
        assert_eq!(
            rg.ranked.iter().map(|p| &p.program).collect::<Vec<_>>(),
            rc.ranked.iter().map(|p| &p.program).collect::<Vec<_>>(),
            "{last_depth:?}"
        );
    }
    texts
}

#[test]
fn composed_programs_score_the_same_on_the_gpu() {
    let Some(gpu) = open_gpu() else { return };
    let task = task_from_grids(
        "overlay { [nz] keep 2 0 | smear down ; [all] }",
        41,
        3,
        rain,
    );
    // A small alphabet, so that the last depth sent to the GPU as programs
    // (`LastDepth::Backend`) stays a few thousand programs on lavapipe.
    let only = ["keep", "smear", "recolor", "gravity", "flip_h", "halo"]
        .iter()
        .map(|n| OpCode::from_name(n).unwrap())
        .collect();
    let opts = SearchOptions {
        depth: 2,
        last_depth: LastDepth::States,
        only_ops: Some(only),
        ..SearchOptions::default()
    };
    let r = search_task(&task, &opts, &CpuBackend::new(2)).unwrap();
    assert_eq!(r.ranked[0].stage, Stage::Composition, "{:?}", r.ranked[0]);
    let texts = ranked_match(&gpu, &task, &opts);
    assert!(
        texts.iter().any(|t| t.starts_with("overlay {")),
        "{texts:?}"
    );
}

#[test]
fn the_gpu_last_depth_gives_the_pieces_of_the_cpu() {
    // The last depth sent to the GPU as programs: the match masks written
    // in the scoring pass make its programs pieces, so the depth-2 piece
    // `keep 2 0 | smear down` is there and the composition is found, as on
    // the CPU path that extends the last depth itself.
    let Some(gpu) = open_gpu() else { return };
    let task = task_from_grids(
        "overlay { [nz] keep 2 0 | smear down ; [all] }",
        41,
        3,
        rain,
    );
    let only: Vec<OpCode> = ["keep", "smear", "recolor", "gravity", "flip_h", "halo"]
        .iter()
        .map(|n| OpCode::from_name(n).unwrap())
        .collect();
    let opts = |last_depth| SearchOptions {
        depth: 2,
        last_depth,
        only_ops: Some(only.clone()),
        ..SearchOptions::default()
    };
    let before = gpu.cpu_fallbacks();
    let states = search_task(&task, &opts(LastDepth::States), &CpuBackend::new(2)).unwrap();
    let r = search_task(&task, &opts(LastDepth::Backend), &gpu).unwrap();
    assert_eq!(gpu.cpu_fallbacks(), before, "results recomputed on the CPU");
    assert_eq!(r.backend_mismatches, 0);
    assert_eq!(r.ranked[0].stage, Stage::Composition, "{:?}", r.ranked[0]);
    assert_eq!(r.ranked[0].program, states.ranked[0].program);
    assert_eq!(r.attempts, states.attempts);
    assert_eq!(r.pieces, states.pieces);
}

#[test]
fn normalised_programs_score_the_same_on_the_gpu() {
    let Some(gpu) = open_gpu() else { return };
    let task = task_from_grids("norm { recolor 2 1 }", 7, 3, roles);
    let opts = SearchOptions {
        depth: 1,
        thorough: true,
        last_depth: LastDepth::States,
        ..SearchOptions::default()
    };
    let texts = ranked_match(&gpu, &task, &opts);
    assert!(texts.iter().any(|t| t.starts_with("norm {")), "{texts:?}");
}
