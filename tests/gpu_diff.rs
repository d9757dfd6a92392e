//! Differential tests: the GPU backend against the CPU reference, on seeded
//! random programs and grids (every op, argument value and color token is
//! reachable; INVALID cases included; grids from 1x1 to 30x30).
//!
//! Needs a GPU adapter; software ones (lavapipe) are used too. Without one
//! the tests print "skipped" and pass, unless `GRIDSCORE_REQUIRE_GPU=1`,
//! which makes them fail. Seed: `GRIDSCORE_TEST_SEED` (default fixed);
//! `GRIDSCORE_DIFF_SCALE=k` multiplies the main random run by k.

use gridscore::engine::{Backend, CpuBackend, EngineError};
use gridscore::gpu::variant::Variant;
use gridscore::gpu::{self, GpuBackend};
use gridscore::grid::Grid;
use gridscore::lang::random::{
    all_codes, codes_of, random_construct_program, random_grid, random_grid_sized, random_op,
    random_program,
};
use gridscore::lang::{ArgKind, Interp, Op, OpClass, OpCode, Program, OPS};
use gridscore::rng::Rng;
use gridscore::score::PairOutcome;
use gridscore::task::{Pair, Task, TestPair};
use std::sync::OnceLock;
use std::time::Instant;

fn require_gpu() -> bool {
    std::env::var("GRIDSCORE_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// The shared GPU (software adapters included), or `None` = skip.
fn gpu() -> Option<&'static GpuBackend> {
    static GPU: OnceLock<Option<GpuBackend>> = OnceLock::new();
    let g = GPU.get_or_init(|| match gpu::open_gpus_matching(true, None) {
        Ok(mut v) if !v.is_empty() => {
            let g = v.remove(0);
            eprintln!(
                "gpu_diff: using {} ({}, {}, software: {})",
                g.info().name,
                g.info().backend,
                g.info().device_type,
                g.info().software
            );
            Some(g)
        }
        Ok(_) => None,
        Err(e) => {
            eprintln!("gpu_diff: {e}");
            None
        }
    });
    if g.is_none() {
        assert!(
            !require_gpu(),
            "GRIDSCORE_REQUIRE_GPU=1 but no GPU adapter could be opened"
        );
        eprintln!("skipped: no GPU adapter (install mesa-vulkan-drivers)");
    }
    g.as_ref()
}

fn seed() -> u64 {
    std::env::var("GRIDSCORE_TEST_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_9a1d)
}

/// A grid the program language finds interesting: random blobs, a single
/// color, extreme sizes, or one of the structured grids below (separator
/// cells, symmetric or periodic patterns with a hidden color, repeated
/// shapes), which random blobs rarely produce.
fn test_grid(rng: &mut Rng) -> Grid {
    match rng.below(14) {
        0 => {
            let (h, w) = (1 + rng.below(30), 1 + rng.below(30));
            Grid::filled(h, w, rng.below(10) as u8)
        }
        1 => {
            let (h, w) = (1 + rng.below(2), 1 + rng.below(2));
            random_grid(rng, h, w)
        }
        2 => random_grid(rng, 30, 30),
        3 => random_grid_sized(rng, 1, 30),
        4..=9 => random_grid_sized(rng, 1, 12),
        _ => structured_grid(rng),
    }
}

/// One of the structured grids: separator cells, a symmetric or periodic
/// pattern with some cells hidden under one color, or shapes on a
/// background.
fn structured_grid(rng: &mut Rng) -> Grid {
    match rng.below(4) {
        0 => separator_grid(rng),
        1 => symmetric_grid(rng),
        2 => periodic_grid(rng),
        _ => shapes_grid(rng),
    }
}

/// Full rows and columns of a separator color cutting the grid into
/// rectangles of blobs (`cell` pieces); sometimes a line is broken or a
/// rectangle repeated, and other colors may fill whole lines too.
fn separator_grid(rng: &mut Rng) -> Grid {
    let (ch, cw) = (1 + rng.below(5), 1 + rng.below(5));
    let (nr, nc) = (1 + rng.below(4), 1 + rng.below(4));
    let (h, w) = ((ch + 1) * nr - 1, (cw + 1) * nc - 1);
    if h > 30 || w > 30 {
        return separator_grid(rng);
    }
    let sep = rng.below(10) as u8;
    let mut g = Grid::filled(h, w, sep);
    let template = random_grid(rng, ch, cw);
    for bi in 0..nr {
        for bj in 0..nc {
            let cell = if rng.chance(0.3) {
                template.clone()
            } else {
                random_grid(rng, ch, cw)
            };
            for i in 0..ch {
                for j in 0..cw {
                    g.set(bi * (ch + 1) + i, bj * (cw + 1) + j, cell.get(i, j));
                }
            }
        }
    }
    if rng.chance(0.2) {
        g.set(rng.below(h), rng.below(w), rng.below(10) as u8);
    }
    g
}

/// A grid with a symmetry (left-right, top-bottom, both, a diagonal, a half
/// turn or a quarter turn), then a few cells or a block overwritten with one
/// color (the `repair` situation).
fn symmetric_grid(rng: &mut Rng) -> Grid {
    let h = 2 + rng.below(29);
    let kind = rng.below(6);
    let w = if kind == 3 || kind == 5 {
        h
    } else {
        2 + rng.below(29)
    };
    let base = random_grid(rng, h, w);
    let mut g = base.clone();
    for i in 0..h {
        for j in 0..w {
            let (si, sj) = match kind {
                0 => (i, j.min(w - 1 - j)),
                1 => (i.min(h - 1 - i), j),
                2 => (i.min(h - 1 - i), j.min(w - 1 - j)),
                3 => (i.min(j), i.max(j)),
                // The smallest of the four quarter-turn images of (i, j).
                5 => [
                    (i, j),
                    (j, h - 1 - i),
                    (h - 1 - i, h - 1 - j),
                    (h - 1 - j, i),
                ]
                .into_iter()
                .min()
                .expect("four images"),
                _ => {
                    if (i, j) <= (h - 1 - i, w - 1 - j) {
                        (i, j)
                    } else {
                        (h - 1 - i, w - 1 - j)
                    }
                }
            };
            g.set(i, j, base.get(si, sj));
        }
    }
    hide(rng, &mut g);
    g
}

/// A grid tiled by a small random pattern (a translation symmetry), with
/// some cells hidden.
fn periodic_grid(rng: &mut Rng) -> Grid {
    let (ph, pw) = (1 + rng.below(5), 1 + rng.below(5));
    let (h, w) = (ph + rng.below(31 - ph), pw + rng.below(31 - pw));
    let tile = random_grid(rng, ph, pw);
    let mut g = Grid::filled(h, w, 0);
    for i in 0..h {
        for j in 0..w {
            g.set(i, j, tile.get(i % ph, j % pw));
        }
    }
    hide(rng, &mut g);
    g
}

/// Overwrites a few cells, or a rectangle, with one color (often one the
/// grid does not use yet).
fn hide(rng: &mut Rng, g: &mut Grid) {
    let c = rng.below(10) as u8;
    let (h, w) = (g.h(), g.w());
    if rng.chance(0.5) {
        let (r0, c0) = (rng.below(h), rng.below(w));
        let (r1, c1) = (
            (r0 + 1 + rng.below(4)).min(h),
            (c0 + 1 + rng.below(4)).min(w),
        );
        for i in r0..r1 {
            for j in c0..c1 {
                g.set(i, j, c);
            }
        }
    } else {
        for _ in 0..1 + rng.below(8) {
            g.set(rng.below(h), rng.below(w), c);
        }
    }
}

/// Small shapes on a 0 background, some stamped several times (shared
/// shapes), some in a color of their own, some touching each other.
fn shapes_grid(rng: &mut Rng) -> Grid {
    let (h, w) = (3 + rng.below(28), 3 + rng.below(28));
    let mut g = Grid::filled(h, w, 0);
    let stamps: Vec<Grid> = (0..1 + rng.below(3))
        .map(|_| {
            let (sh, sw) = (1 + rng.below(3), 1 + rng.below(3));
            let c = 1 + rng.below(9) as u8;
            let mut s = Grid::filled(sh, sw, 0);
            for i in 0..sh {
                for j in 0..sw {
                    if rng.chance(0.7) {
                        s.set(
                            i,
                            j,
                            if rng.chance(0.8) {
                                c
                            } else {
                                1 + rng.below(9) as u8
                            },
                        );
                    }
                }
            }
            s.set(0, 0, c);
            s
        })
        .collect();
    for _ in 0..2 + rng.below(8) {
        let s = &stamps[rng.below(stamps.len())];
        if s.h() > h || s.w() > w {
            continue;
        }
        let (r0, c0) = (rng.below(h - s.h() + 1), rng.below(w - s.w() + 1));
        for i in 0..s.h() {
            for j in 0..s.w() {
                if s.get(i, j) != 0 {
                    g.set(r0 + i, c0 + j, s.get(i, j));
                }
            }
        }
    }
    g
}

/// An expected output: a random grid, or the input with a few cells changed
/// (so that `matching` is neither 0 nor everything).
fn expected_for(rng: &mut Rng, input: &Grid) -> Grid {
    if rng.chance(0.5) {
        let mut g = input.clone();
        for _ in 0..rng.below(4) {
            let (i, j) = (rng.below(g.h()), rng.below(g.w()));
            g.set(i, j, rng.below(10) as u8);
        }
        g
    } else {
        test_grid(rng)
    }
}

/// A task with `ntrain` train pairs and `ntest` test pairs (test outputs
/// sometimes missing).
fn random_task(rng: &mut Rng, ntrain: usize, ntest: usize) -> Task {
    let train = (0..ntrain)
        .map(|_| {
            let input = test_grid(rng);
            let output = expected_for(rng, &input);
            Pair { input, output }
        })
        .collect();
    let test = (0..ntest)
        .map(|_| {
            let input = test_grid(rng);
            let output = rng.chance(0.7).then(|| expected_for(rng, &input));
            TestPair { input, output }
        })
        .collect();
    Task {
        id: "random".into(),
        train,
        test,
    }
}

/// Where a program's GPU and CPU results first differ: the first prefix
/// whose outcome differs names the op.
fn localise(g: &GpuBackend, program: &Program, input: &Grid) -> String {
    let task = Task {
        id: "one".into(),
        train: vec![],
        test: vec![TestPair {
            input: input.clone(),
            output: None,
        }],
    };
    let ops = program.prefix();
    for n in 1..=ops.len() {
        let Ok(prefix) = Program::from_ops(ops[..n].to_vec()) else {
            continue;
        };
        let gpu = g.evaluate(&task, &[&prefix]);
        let mut it = Interp::new();
        let cpu = PairOutcome::compare(it.run(prefix.prefix(), input), None);
        if gpu.as_ref().ok().map(|v| v[0]) != Some(cpu) {
            let before = {
                let mut it = Interp::new();
                it.run(&ops[..n - 1], input).cloned()
            };
            return format!(
                "first difference at op {} `{}` on {:?}: cpu {:?}, gpu {:?}",
                n,
                ops[n - 1],
                before,
                cpu,
                gpu
            );
        }
    }
    "no single prefix differs".into()
}

/// Evaluates `programs` on `task` with both backends; returns the number of
/// cases compared, panicking with a diagnosis on the first difference.
fn compare(g: &GpuBackend, task: &Task, programs: &[Program], what: &str) -> usize {
    let refs: Vec<&Program> = programs.iter().collect();
    let cpu = CpuBackend::new(2).evaluate(task, &refs).expect("cpu");
    let gpu = match g.evaluate(task, &refs) {
        Ok(v) => v,
        Err(e) => panic!("{what}: gpu evaluate failed: {e}"),
    };
    assert_eq!(cpu.len(), gpu.len(), "{what}: outcome count");
    let np = task.num_pairs();
    let inputs: Vec<&Grid> = task.inputs().collect();
    for (k, (c, gg)) in cpu.iter().zip(&gpu).enumerate() {
        if c != gg {
            let (p, pair) = (k / np, k % np);
            panic!(
                "{what}: program `{}` on pair {pair} (input {:?}): cpu {:?} != gpu {:?}\n{}",
                programs[p],
                inputs[pair],
                c,
                gg,
                localise(g, &programs[p], inputs[pair])
            );
        }
    }
    cpu.len()
}

/// Fails when results were recomputed on the CPU since `before` (the
/// adapter's loop limit): those cases would not test the shader.
fn assert_no_fallbacks(g: &GpuBackend, before: u64, what: &str) {
    let n = g.cpu_fallbacks() - before;
    assert_eq!(
        n, 0,
        "{what}: {n} results hit the adapter's loop limit and were recomputed on the CPU"
    );
}

fn compare_predictions(g: &GpuBackend, task: &Task, programs: &[Program], what: &str) -> usize {
    let refs: Vec<&Program> = programs.iter().collect();
    let cpu = CpuBackend::new(2).predict(task, &refs).expect("cpu");
    let gpu = match g.predict(task, &refs) {
        Ok(v) => v,
        Err(e) => panic!("{what}: gpu predict failed: {e}"),
    };
    assert_eq!(cpu.len(), gpu.len());
    for (p, (c, gg)) in cpu.iter().zip(&gpu).enumerate() {
        assert_eq!(c, gg, "{what}: predictions of `{}`", programs[p]);
    }
    cpu.iter().map(Vec::len).sum()
}

/// The main differential run: at least 10,000 random (program, pair) cases,
/// every op reachable, plus predictions.
#[test]
fn random_programs_match_cpu() {
    // Its own backend: its fallback count (see below) is its own, and the
    // other tests' `assert_no_fallbacks` on the shared one are not disturbed.
    let Some(g) = fresh_gpu() else { return };
    let g = &g;
    let t0 = Instant::now();
    let fallbacks_before = g.cpu_fallbacks();
    let mut rng = Rng::new(seed());
    let codes = all_codes();
    let mut cases = 0;
    let mut predictions = 0;
    let mut seen = [false; OPS.len()];
    let mut invalid = 0;
    let mut constructs = 0;
    let mut builds = [0usize; 3];
    // GRIDSCORE_DIFF_SCALE=k runs k times as many tasks (default 1).
    let scale: usize = std::env::var("GRIDSCORE_DIFF_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1)
        .max(1);
    for t in 0..24 * scale {
        let (ntrain, ntest) = (2 + rng.below(3), 1 + rng.below(2));
        let task = random_task(&mut rng, ntrain, ntest);
        // Pipelines, and a quarter with the constructs (norm, overlay).
        let programs: Vec<Program> = (0..150)
            .map(|_| {
                if rng.chance(0.25) {
                    random_construct_program(&mut rng, &codes, 4)
                } else {
                    let max = if rng.chance(0.2) { 16 } else { 4 };
                    random_program(&mut rng, &codes, 0, max)
                }
            })
            .collect();
        for p in &programs {
            for op in p.all_ops() {
                seen[op.code as usize] = true;
            }
            constructs += usize::from(!p.is_pipeline());
            builds[Variant::of(p) as usize] += 1;
        }
        // Batches mix the shader's builds: each part runs on its own
        // pipeline and the results go back in the batch's order.
        cases += compare(g, &task, &programs, &format!("task {t}"));
        let cpu = CpuBackend::new(1)
            .evaluate(&task, &programs.iter().collect::<Vec<_>>())
            .expect("cpu");
        invalid += cpu.iter().filter(|o| !o.valid()).count();
        predictions += compare_predictions(g, &task, &programs[..20], &format!("task {t}"));
    }
    // Results the shader flagged as cut short by the adapter's loop limit
    // are recomputed on the CPU, so they test nothing here: keep them rare.
    let fallbacks = g.cpu_fallbacks() - fallbacks_before;
    eprintln!(
        "gpu_diff: {cases} (program, pair) cases ({invalid} INVALID, {fallbacks} recomputed on the CPU) and {predictions} predictions identical in {:.1} s; programs per build (light, labels, full): {builds:?}",
        t0.elapsed().as_secs_f64()
    );
    assert!(
        fallbacks * 200 <= cases as u64,
        "{fallbacks} of {cases} results hit the adapter's loop limit"
    );
    assert!(cases >= 10_000, "only {cases} cases");
    assert!(
        constructs >= 500,
        "only {constructs} programs with constructs"
    );
    assert!(invalid > 0, "no INVALID case");
    // Every build of the shader ran a good share (src/gpu/variant.rs).
    let total = 24 * scale * 150;
    assert!(
        builds.iter().all(|&n| n >= total / 10),
        "programs per build (light, labels, full): {builds:?} of {total}"
    );
    for (k, s) in seen.iter().enumerate() {
        assert!(s, "op {} never drawn", OPS[k].name);
    }
}

/// The match masks (`evaluate_masks`: non-0 cells and wrong cells of every
/// (program, pair) whose output has the expected size) are the CPU's, bit
/// for bit, with the outcomes of the same pass.
#[test]
fn match_masks_match_cpu() {
    let Some(g) = gpu() else { return };
    let before = g.cpu_fallbacks();
    let mut rng = Rng::new(seed() ^ 0x3a5c);
    let codes = all_codes();
    let (mut slots, mut same_size, mut set_bits) = (0, 0, 0u64);
    for t in 0..12 {
        let (ntrain, ntest) = (2 + rng.below(3), 1 + rng.below(2));
        let task = random_task(&mut rng, ntrain, ntest);
        let programs: Vec<Program> = (0..120)
            .map(|_| {
                if rng.chance(0.2) {
                    random_construct_program(&mut rng, &codes, 3)
                } else {
                    random_program(&mut rng, &codes, 0, 3)
                }
            })
            .collect();
        let refs: Vec<&Program> = programs.iter().collect();
        let cpu = CpuBackend::new(2)
            .evaluate_masks(&task, &refs)
            .expect("cpu");
        let gpu = g.evaluate_masks(&task, &refs).expect("gpu");
        // The outcomes are those of `evaluate`.
        assert_eq!(
            cpu.outcomes,
            CpuBackend::new(2).evaluate(&task, &refs).expect("cpu"),
            "task {t}"
        );
        assert_eq!(cpu.outcomes.len(), gpu.outcomes.len(), "task {t}");
        assert_eq!(cpu.masks.len(), gpu.masks.len(), "task {t}");
        let np = task.num_pairs();
        for s in 0..cpu.outcomes.len() {
            let what = format!("task {t}, program `{}`, pair {}", programs[s / np], s % np);
            assert_eq!(cpu.outcomes[s], gpu.outcomes[s], "{what}");
            assert_eq!(cpu.masks_of(s), gpu.masks_of(s), "{what}: masks");
            slots += 1;
            let (nz, wrong) = cpu.masks_of(s);
            if nz.iter().chain(wrong).any(|&w| w != 0) {
                same_size += 1;
            }
            set_bits += nz
                .iter()
                .chain(wrong)
                .map(|w| w.count_ones() as u64)
                .sum::<u64>();
        }
    }
    assert_no_fallbacks(g, before, "match masks");
    eprintln!("gpu_diff: match masks of {slots} (program, pair) cases identical ({same_size} with the expected size, {set_bits} bits set)");
    assert!(
        same_size >= 500,
        "only {same_size} outputs of the expected size"
    );
}

/// Programs ending in each op of a class (after a short random prefix), so a
/// failure names the op.
fn class_test(class: OpClass, seed_salt: u64) {
    let Some(g) = gpu() else { return };
    let before = g.cpu_fallbacks();
    let mut rng = Rng::new(seed() ^ seed_salt);
    let all = all_codes();
    let mut cases = 0;
    for code in codes_of(&[class]) {
        let task = random_task(&mut rng, 3, 1);
        let mut programs = Vec::new();
        for k in 0..60 {
            let mut ops: Vec<Op> = if k % 3 == 0 {
                Vec::new()
            } else {
                (0..1 + rng.below(2))
                    .map(|_| random_op(&mut rng, &all))
                    .collect()
            };
            ops.push(random_op(&mut rng, &[code]));
            programs.push(Program::from_ops(ops).expect("valid ops"));
        }
        // Every color token on this op at least once.
        for tok in 10..=12 {
            let mut op = random_op(&mut rng, &[code]);
            for (a, kind) in code.spec().args.iter().enumerate() {
                if kind.kind == gridscore::lang::ArgKind::Color {
                    op.args[a] = tok;
                }
            }
            programs.push(Program::from_ops(vec![op]).expect("valid op"));
        }
        cases += compare(g, &task, &programs, &format!("op `{}`", code.name()));
        compare_predictions(g, &task, &programs[..5], &format!("op `{}`", code.name()));
    }
    eprintln!("gpu_diff {}: {cases} cases identical", class.name());
    assert_no_fallbacks(g, before, class.name());
}

#[test]
fn geometry_ops_match_cpu() {
    class_test(OpClass::Geometry, 1);
}

#[test]
fn layout_ops_match_cpu() {
    class_test(OpClass::Layout, 2);
}

#[test]
fn color_ops_match_cpu() {
    class_test(OpClass::Color, 3);
}

#[test]
fn region_ops_match_cpu() {
    class_test(OpClass::Region, 4);
}

#[test]
fn lines_ops_match_cpu() {
    class_test(OpClass::Lines, 5);
}

#[test]
fn pieces_ops_match_cpu() {
    class_test(OpClass::Pieces, 6);
}

#[test]
fn pattern_ops_match_cpu() {
    class_test(OpClass::Pattern, 7);
}

/// Every value of every argument of the v2 ops (colors: 0, another digit and
/// the three tokens; sizes 1..=30 sampled) on structured grids (separator cells, symmetric and
/// periodic grids with hidden cells, repeated shapes) and random ones.
#[test]
fn v2_ops_every_argument_on_structured_grids() {
    let Some(g) = gpu() else { return };
    let before = g.cpu_fallbacks();
    let mut rng = Rng::new(seed() ^ 14);
    let mut cases = 0;
    for round in 0..2 {
        let train = (0..10)
            .map(|k| {
                // Small grids too: `outer` needs H*H and W*W <= 30.
                let input = match k {
                    0..=6 => structured_grid(&mut rng),
                    7 | 8 => random_grid_sized(&mut rng, 1, 5),
                    _ => test_grid(&mut rng),
                };
                let output = expected_for(&mut rng, &input);
                Pair { input, output }
            })
            .collect();
        let task = Task {
            id: "structured".into(),
            train,
            test: vec![TestPair {
                input: structured_grid(&mut rng),
                output: None,
            }],
        };
        let digit = rng.range(1, 9);
        let mut programs = Vec::new();
        for spec in OPS.iter().filter(|s| !s.code.is_v1()) {
            // Every combination of the argument values.
            let mut combos: Vec<Vec<i32>> = vec![vec![]];
            for a in spec.args {
                let values: Vec<i32> = match a.kind {
                    // Small ranges whole; sizes (1..=30) by their ends,
                    // a few values between and two random ones.
                    ArgKind::Int { min, max } if max - min < 12 => (min..=max).collect(),
                    ArgKind::Int { min, max } => {
                        let mut v = vec![min, min + 1, min + 2, 7, 13, max - 1, max];
                        v.extend([rng.range(min, max), rng.range(min, max)]);
                        v.retain(|x| (min..=max).contains(x));
                        v.sort_unstable();
                        v.dedup();
                        v
                    }
                    ArgKind::Color => vec![0, digit, 10, 11, 12],
                    ArgKind::Choice(c) => (0..c.len() as i32).collect(),
                    ArgKind::ColorMap => unreachable!("no v2 op takes a color map"),
                };
                combos = combos
                    .iter()
                    .flat_map(|c| {
                        values.iter().map(move |&v| {
                            let mut c = c.clone();
                            c.push(v);
                            c
                        })
                    })
                    .collect();
            }
            for args in combos {
                let op = Op::new(spec.code, &args);
                programs.push(Program::from_ops(vec![op]).expect("valid op"));
            }
        }
        cases += compare(g, &task, &programs, &format!("structured grids {round}"));
        compare_predictions(g, &task, &programs, &format!("structured grids {round}"));
    }
    eprintln!("gpu_diff v2 arguments: {cases} cases identical");
    assert_no_fallbacks(g, before, "v2 arguments");
}

/// `fill_holes` counts (region cell, adjacent non-0 cell) pairs like the
/// CPU's flood fill: the 5 touches two cells of the hole and wins, although
/// every color has one adjacent cell (docs/gpu.md, "Spec notes").
#[test]
fn fill_holes_counts_adjacent_pairs() {
    let Some(g) = gpu() else { return };
    let input =
        Grid::from_rows(&[[9u8, 2, 3, 9], [4, 0, 0, 6], [7, 0, 5, 9], [9, 8, 9, 9]]).expect("grid");
    let filled =
        Grid::from_rows(&[[9u8, 2, 3, 9], [4, 5, 5, 6], [7, 5, 5, 9], [9, 8, 9, 9]]).expect("grid");
    let task = Task {
        id: "fill_holes".into(),
        train: vec![Pair {
            input: input.clone(),
            output: filled.clone(),
        }],
        test: vec![TestPair {
            input,
            output: None,
        }],
    };
    let programs = vec![Program::parse("fill_holes").expect("parses")];
    compare(g, &task, &programs, "fill_holes");
    let pred = g.predict(&task, &[&programs[0]]).expect("predict");
    assert_eq!(pred[0][0].as_ref(), Some(&filled));
}

/// `repair` on a grid that is mostly the hidden color (found by
/// `GRIDSCORE_DIFF_SCALE=100`): every hidden cell tries many kept candidates,
/// which once exhausted lavapipe's loop budget (docs/gpu.md) at 32 threads
/// and desynchronised the workgroup before the canary could report it. It
/// must match the CPU without falling back.
#[test]
fn repair_with_most_cells_hidden() {
    let Some(g) = gpu() else { return };
    let rows = [
        "118888888888888888888888888888",
        "111888888888888888888888888888",
        "111111111111888888888888888888",
        "111111118888888888888888888888",
        "111118888888888888888888888888",
        "111188888888888888888888888888",
        "111118888888888888888888888888",
        "111111188888888888888888888888",
        "111111111118888888888888888888",
        "111111111188888888888888888888",
        "111188888888888888888888888888",
        "111118888888888888888888888888",
        "118888888888888888888888888888",
        "111111111188888888888888888888",
        "111111111188888888888888888888",
        "111118888888888888888888888888",
        "111111111888888888888888888888",
        "111111118888888888888888888888",
        "111118888888888888888888888888",
        "111111188888888888888888888888",
        "111111111888888888888888888888",
        "111888888888888888888888888888",
        "111888888888888888888888888888",
        "111111111111111188888888888888",
        "111111111888888888888888888888",
        "111118888888888888888888888888",
        "111111888888888888888888888888",
        "111111118888888888888888888888",
        "111118888888888888888888888888",
        "111111888888888888888888888888",
    ];
    let rows: Vec<Vec<u8>> = rows
        .iter()
        .map(|r| r.bytes().map(|b| b - b'0').collect())
        .collect();
    let input = Grid::from_rows(&rows).expect("grid");
    let task = Task {
        id: "repair".into(),
        train: vec![Pair {
            input: input.clone(),
            output: input.clone(),
        }],
        test: vec![TestPair {
            input,
            output: None,
        }],
    };
    let programs: Vec<Program> = [
        // More than half hidden: INVALID on both (the spec's rule).
        "repair bg",
        "repair_crop 8",
        "repair 1",
        "rot90 | repair bg",
        // Just under half hidden: every hidden cell tries many candidates.
        "crop 0 0 30 12 | repair 8",
        "crop 0 0 30 13 | repair_crop bg",
    ]
    .iter()
    .map(|s| Program::parse(s).expect("parses"))
    .collect();
    let before = g.cpu_fallbacks();
    compare(g, &task, &programs, "repair, most cells hidden");
    compare_predictions(g, &task, &programs, "repair, most cells hidden");
    assert_no_fallbacks(g, before, "repair, most cells hidden");
}

/// Four rounds of a task of 8 train pairs and a test input drawn by `grid`:
/// every program is compared with the CPU (outcomes and predictions, with
/// no CPU fallback). Returns the cases compared and the runs of `probes`
/// on the inputs that change the input (valid and not the input), so that
/// a test can check that its op really fires.
fn sparse_rounds(
    g: &GpuBackend,
    rng: &mut Rng,
    what: &str,
    grid: impl Fn(&mut Rng) -> Grid,
    programs: &[Program],
    probes: &[&Program],
) -> (usize, usize) {
    let (mut cases, mut fired) = (0, 0);
    for round in 0..4 {
        let train = (0..8)
            .map(|_| {
                let input = grid(rng);
                let output = expected_for(rng, &input);
                Pair { input, output }
            })
            .collect();
        let task = Task {
            id: what.into(),
            train,
            test: vec![TestPair {
                input: grid(rng),
                output: None,
            }],
        };
        for input in task.inputs() {
            for p in probes {
                let mut it = Interp::new();
                if it.run(p.prefix(), input).is_some_and(|o| o != input) {
                    fired += 1;
                }
            }
        }
        let before = g.cpu_fallbacks();
        cases += compare(g, &task, programs, &format!("{what} {round}"));
        compare_predictions(g, &task, programs, &format!("{what} {round}"));
        assert_no_fallbacks(g, before, what);
    }
    (cases, fired)
}

/// `symmetrize` on sparse figures (the op is INVALID above 100 non-0
/// cells, so the structured grids rarely reach it): a random figure in a
/// box of up to 7x7 somewhere in the grid, made symmetric by one of the
/// four kinds about its box centre, then some cells removed, a stray cell
/// or two added; every kind is run on every grid, after a transform too.
#[test]
fn symmetrize_on_sparse_figures() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(seed() ^ 65);
    let figure = |rng: &mut Rng| {
        let (h, w) = (3 + rng.below(28), 3 + rng.below(28));
        let mut x = Grid::filled(h, w, 0);
        let s = 1 + rng.below(7.min(h).min(w));
        let (r, c) = (rng.below(h - s + 1), rng.below(w - s + 1));
        let ncolors = 1 + rng.below(3);
        let kind = rng.below(4);
        for _ in 0..2 + rng.below(8) {
            let (i, j) = (rng.below(s), rng.below(s));
            let v = 1 + rng.below(ncolors) as u8;
            let images = match kind {
                0 => vec![(i, j), (i, s - 1 - j)],
                1 => vec![(i, j), (s - 1 - i, j)],
                2 => vec![(i, j), (s - 1 - i, s - 1 - j)],
                _ => vec![
                    (i, j),
                    (j, s - 1 - i),
                    (s - 1 - i, s - 1 - j),
                    (s - 1 - j, i),
                ],
            };
            for (a, b) in images {
                x.set(r + a, c + b, v);
            }
        }
        for _ in 0..rng.below(4) {
            let (i, j) = (r + rng.below(s), c + rng.below(s));
            x.set(i, j, 0);
        }
        for _ in 0..rng.below(3) {
            let (i, j) = (rng.below(h), rng.below(w));
            x.set(i, j, 1 + rng.below(9) as u8);
        }
        x
    };
    let programs: Vec<Program> = ["h", "v", "r2", "r4"]
        .iter()
        .flat_map(|k| {
            [
                format!("symmetrize {k}"),
                format!("rot90 | symmetrize {k}"),
                format!("symmetrize {k} | symmetrize r4"),
            ]
        })
        .map(|s| Program::parse(&s).expect("parses"))
        .collect();
    // The figures must exercise the op: count the runs that complete
    // something (valid and not the input).
    let probes: Vec<&Program> = programs.iter().step_by(3).collect();
    let (cases, completed) = sparse_rounds(g, &mut rng, "symmetrize", figure, &programs, &probes);
    eprintln!(
        "gpu_diff symmetrize: {cases} cases identical, {completed} of 144 runs complete a figure"
    );
    assert!(
        completed >= 36,
        "only {completed} of 144 runs complete a figure"
    );
}

/// `stamp` on sparse grids: a random template of 2 to 12 cells in a box of
/// up to 4x4, sometimes a second object as large, and 1 to 6 markers
/// anywhere (near edges too, and close enough for stamps to overlap).
#[test]
fn stamp_on_sparse_grids() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(seed() ^ 66);
    let grid = |rng: &mut Rng| {
        let (h, w) = (4 + rng.below(27), 4 + rng.below(27));
        let mut x = Grid::filled(h, w, 0);
        let (bh, bw) = (1 + rng.below(4), 1 + rng.below(4));
        let (r, c) = (rng.below(h - bh + 1), rng.below(w - bw + 1));
        for _ in 0..2 + rng.below(11) {
            x.set(r + rng.below(bh), c + rng.below(bw), 1 + rng.below(9) as u8);
        }
        if rng.chance(0.3) {
            let (r, c) = (rng.below(h - 1), rng.below(w - 1));
            x.set(r, c, 4);
            x.set(r + 1, c + 1, 4);
        }
        for _ in 0..1 + rng.below(6) {
            x.set(rng.below(h), rng.below(w), 1 + rng.below(9) as u8);
        }
        x
    };
    let programs: Vec<Program> = ["stamp", "rot90 | stamp", "stamp | stamp", "flip_h | stamp"]
        .iter()
        .map(|s| Program::parse(s).expect("parses"))
        .collect();
    let (cases, stamped) = sparse_rounds(g, &mut rng, "stamp", grid, &programs, &[&programs[0]]);
    eprintln!("gpu_diff stamp: {cases} cases identical, {stamped} of 36 grids stamped");
    assert!(stamped >= 12, "only {stamped} of 36 grids stamped");
}

/// A 30x30 serpentine: the longest paths the iterative ops (labelling of
/// fill_enclosed, object and the pieces; spread's distances) can meet,
/// checking the iteration bound.
#[test]
fn serpentine_grids_converge() {
    let Some(g) = gpu() else { return };
    // A 1-cell wide corridor of 0s snaking through walls of 1s; fill_enclosed
    // 0 is reachable from the border only through the whole snake.
    let mut rows = vec![vec![1u8; 30]; 30];
    for (i, row) in rows.iter_mut().enumerate().skip(1).take(28) {
        if i % 2 == 1 {
            for c in row.iter_mut().take(29).skip(1) {
                *c = 0;
            }
        } else if i % 4 == 2 {
            row[28] = 0;
        } else {
            row[1] = 0;
        }
    }
    rows[1][0] = 0; // the snake's only exit
    let snake = Grid::from_rows(&rows).expect("grid");
    let mut closed = rows.clone();
    closed[1][0] = 1;
    let closed = Grid::from_rows(&closed).expect("grid");
    let task = Task {
        id: "snake".into(),
        train: vec![
            Pair {
                input: snake.clone(),
                output: snake.clone(),
            },
            Pair {
                input: closed.clone(),
                output: snake,
            },
        ],
        test: vec![],
    };
    let programs: Vec<Program> = [
        "fill_enclosed 5 0",
        "fill_enclosed 5 1",
        "object largest 1",
        "object smallest 1",
        "object largest 0",
        "object smallest 0",
        "halo 3 0",
        "gravity down 0",
        "crop_bbox 1",
        // v2: labelling (pieces, border, holes), distances (spread), fall.
        "spread",
        "swap 0 1 | spread",
        "border",
        "interior",
        "fill_holes",
        "swap 0 1 | fill_holes",
        "bbox_fill",
        "swap 0 1 | pick obj4 max_cells",
        "swap 0 1 | recolor_by cobj size",
        "swap 0 1 | keep_pieces obj min_area",
        "swap 0 1 | fall down",
        "swap 0 1 | count objects row",
    ]
    .iter()
    .map(|s| Program::parse(s).expect("parses"))
    .collect();
    let before = g.cpu_fallbacks();
    compare(g, &task, &programs, "serpentine");
    assert_no_fallbacks(g, before, "serpentine");
}

/// lavapipe ends every loop after one iteration once a SIMD bundle has run
/// 65,535 loop iterations in a workgroup; the shader's canary flags such
/// results and the backend recomputes them on the CPU. With one thread per
/// workgroup, long iterative programs on 30x30 grids cross that limit.
#[test]
fn loop_limit_falls_back_to_cpu() {
    if gpu().is_none() {
        return;
    }
    let g = match gpu::open_gpus_with(&gpu::OpenOptions {
        include_software: true,
        filter: None,
        workgroup_size: Some(1),
    }) {
        Ok(mut v) if !v.is_empty() => v.remove(0),
        other => panic!("opening with workgroup size 1: {:?}", other.err()),
    };
    // tile 10 10 makes a 3x3 input 30x30.
    let input = Grid::from_rows(&[[0u8, 1, 0], [1, 0, 0], [0, 0, 2]]).expect("grid");
    let task = Task {
        id: "loop limit".into(),
        train: vec![Pair {
            input: input.clone(),
            output: input.clone(),
        }],
        test: vec![TestPair {
            input,
            output: None,
        }],
    };
    // With one thread, each `smear star` on 30x30 runs about 8,600 loop
    // iterations (8 directions x 900 cells, plus the copy).
    let heavy = ["tile 10 10"]
        .into_iter()
        .chain(std::iter::repeat_n("smear star", 9))
        .collect::<Vec<_>>()
        .join(" | ");
    let heavy = heavy.as_str();
    let programs: Vec<Program> = [heavy, "tile 10 10 | spread | repair 0", "flip_h"]
        .iter()
        .map(|s| Program::parse(s).expect("parses"))
        .collect();
    compare(&g, &task, &programs, "loop limit");
    compare_predictions(&g, &task, &programs, "loop limit");
    eprintln!(
        "loop limit: {} results recomputed on the CPU ({})",
        g.cpu_fallbacks(),
        g.info().name
    );
    if g.info().name.contains("llvmpipe") {
        assert!(g.cpu_fallbacks() > 0, "the canary never fired on lavapipe");
    }
    // The match masks of recomputed records are recomputed too: against a
    // 30x30 expected output (so that the masks are not all 0), the same
    // bits as the CPU's.
    let mut big = task.clone();
    big.train[0].output = gridscore::lang::run_program(&programs[0], &big.train[0].input)
        .expect("the heavy program is valid");
    let refs: Vec<&Program> = programs.iter().collect();
    let before = g.cpu_fallbacks();
    let cpu = CpuBackend::new(1).evaluate_masks(&big, &refs).expect("cpu");
    let gpu_masks = g.evaluate_masks(&big, &refs).expect("gpu masks");
    assert_eq!(cpu, gpu_masks, "loop limit: masks");
    assert!(cpu.masks.iter().any(|&w| w != 0));
    if g.info().name.contains("llvmpipe") {
        assert!(
            g.cpu_fallbacks() > before,
            "the canary never fired on the mask batch"
        );
    }
}

/// Small chunks: the same results when the plan cuts a batch into many
/// dispatches.
#[test]
fn chunked_batches_match() {
    if gpu().is_none() {
        return;
    }
    let g = match gpu::open_gpus_matching(true, None) {
        Ok(mut v) if !v.is_empty() => v.remove(0).with_max_workgroups_per_chunk(7),
        _ => return,
    };
    let mut rng = Rng::new(seed() ^ 99);
    let task = random_task(&mut rng, 2, 1);
    let programs: Vec<Program> = (0..50)
        .map(|_| random_program(&mut rng, &all_codes(), 0, 5))
        .collect();
    compare(&g, &task, &programs, "chunked");
    compare_predictions(&g, &task, &programs, "chunked");
    // The pool reuses buffers across chunks and batches.
    let created = g.buffers_created();
    compare(&g, &task, &programs, "chunked again");
    compare_predictions(&g, &task, &programs, "chunked again");
    assert_eq!(g.buffers_created(), created, "buffers were not reused");
    // Empty batches.
    assert!(g.evaluate(&task, &[]).expect("empty").is_empty());
}

/// Every op code the random generator can draw is in the op table (sanity
/// of the coverage check above).
#[test]
fn op_table_is_covered() {
    assert_eq!(all_codes().len(), OPS.len());
    assert!(OpCode::from_u8(OPS.len() as u8).is_none());
}

fn fresh_gpu() -> Option<GpuBackend> {
    gpu()?;
    gpu::open_gpus_matching(true, None)
        .ok()
        .and_then(|mut v| (!v.is_empty()).then(|| v.remove(0)))
}

/// A wait that takes longer than the timeout is `EngineError::Timeout`,
/// not a panic or a hang, and the backend works again afterwards.
#[test]
fn timeouts_are_errors() {
    let Some(g) = fresh_gpu() else { return };
    let mut rng = Rng::new(seed() ^ 7);
    let task = random_task(&mut rng, 4, 2);
    let programs: Vec<Program> = (0..2000)
        .map(|_| random_program(&mut rng, &all_codes(), 8, 16))
        .collect();
    let refs: Vec<&Program> = programs.iter().collect();
    g.set_timeout(std::time::Duration::ZERO);
    match g.evaluate(&task, &refs) {
        Err(EngineError::Timeout { .. }) => {}
        Ok(_) => eprintln!("timeouts_are_errors: the batch finished within a zero timeout"),
        Err(e) => panic!("expected a timeout, got {e}"),
    }
    g.set_timeout(std::time::Duration::from_secs(120));
    compare(&g, &task, &programs[..100], "after a timeout");
}

/// A destroyed (lost) device gives `EngineError::Device` on every call.
#[test]
fn lost_device_is_an_error() {
    let Some(g) = fresh_gpu() else { return };
    let mut rng = Rng::new(seed() ^ 8);
    let task = random_task(&mut rng, 2, 1);
    let p = random_program(&mut rng, &all_codes(), 1, 3);
    assert!(g.evaluate(&task, &[&p]).is_ok());
    g.destroy();
    for _ in 0..2 {
        match g.evaluate(&task, &[&p]) {
            Err(EngineError::Device { message, .. }) => assert!(message.contains("destroyed")),
            other => panic!("expected a device error, got {other:?}"),
        }
        assert!(g.predict(&task, &[&p]).is_err());
    }
}

/// GPU time from timestamp queries, where the adapter has them; adapters
/// are listed once each.
#[test]
fn adapters_and_gpu_time() {
    let Some(g) = gpu() else { return };
    let list = gpu::list_adapters();
    eprintln!(
        "adapters: {}",
        serde_json::to_string(&list).expect("serialisable")
    );
    assert!(!list.is_empty());
    for (i, a) in list.iter().enumerate() {
        for b in &list[..i] {
            assert!(
                a.name != b.name || a.driver_info != b.driver_info,
                "{} listed twice",
                a.name
            );
        }
    }
    let mut rng = Rng::new(seed() ^ 9);
    let task = random_task(&mut rng, 3, 1);
    let programs: Vec<Program> = (0..200)
        .map(|_| random_program(&mut rng, &all_codes(), 1, 6))
        .collect();
    compare(g, &task, &programs, "gpu time");
    let refs: Vec<&Program> = programs.iter().collect();
    let (_, t) = g.evaluate_timed(&task, &refs).expect("evaluate");
    assert_eq!(g.last_gpu_time().is_some(), t.is_some());
    eprintln!(
        "timestamp queries: {}, gpu time of the last batch: {t:?}",
        g.info().timestamp_queries
    );
    assert_eq!(t.is_some(), g.info().timestamp_queries);
}

/// Tasks without test pairs, predictions of INVALID programs, and the
/// identity (empty program).
#[test]
fn edge_tasks() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(seed() ^ 10);
    let mut task = random_task(&mut rng, 2, 1);
    let programs: Vec<Program> = [
        "",
        "id",
        "upscale 10 10",
        "trim | trim | trim",
        "crop 29 29 1 1",
    ]
    .iter()
    .map(|s| Program::parse(s).expect("parses"))
    .collect();
    compare(g, &task, &programs, "edge");
    compare_predictions(g, &task, &programs, "edge");
    task.test.clear();
    compare(g, &task, &programs, "no test pairs");
    let refs: Vec<&Program> = programs.iter().collect();
    let pred = g.predict(&task, &refs).expect("predict");
    assert!(pred.iter().all(Vec::is_empty));
}

/// `GRIDSCORE_ADAPTER`-style filters: a name that matches nothing is an
/// error that lists the adapters found.
#[test]
fn adapter_filters() {
    let Some(g) = gpu() else { return };
    let name = g.info().name.clone();
    match gpu::open_gpus_matching(true, Some("no such adapter 1234")) {
        Err(gpu::GpuError::NoMatch { found, .. }) => assert!(found.contains(&name)),
        Err(e) => panic!("expected NoMatch, got {e}"),
        Ok(v) => panic!("expected NoMatch, got {} devices", v.len()),
    }
    let word = name.split_whitespace().next().unwrap_or("").to_uppercase();
    let v = gpu::open_gpus_matching(true, Some(&word)).expect("opens");
    assert!(v.iter().any(|b| b.info().name == name));
    // `auto` leaves software adapters out.
    let real = gpu::open_gpus_matching(false, None).expect("opens");
    assert!(real.iter().all(|b| !b.info().software));
}

/// Throughput on this adapter (run with `--ignored --nocapture`).
#[test]
#[ignore]
fn throughput() {
    let Some(g) = gpu() else { return };
    let mut rng = Rng::new(seed() ^ 11);
    let task = random_task(&mut rng, 3, 1);
    let programs: Vec<Program> = (0..20_000)
        .map(|_| random_program(&mut rng, &all_codes(), 1, 4))
        .collect();
    let refs: Vec<&Program> = programs.iter().collect();
    for _ in 0..2 {
        let t0 = Instant::now();
        let (out, gpu_time) = g.evaluate_timed(&task, &refs).expect("evaluate");
        let wall = t0.elapsed().as_secs_f64();
        eprintln!(
            "throughput on {} (workgroup size {}): {} (program, pair) cases in {wall:.2} s wall ({:.0}/s), gpu time {gpu_time:?}",
            g.info().name,
            g.workgroup_size(),
            out.len(),
            out.len() as f64 / wall,
        );
    }
}

/// The shader gives the same results with any workgroup size (the default
/// on this adapter is tested above; GPUs use 64, software adapters 32).
#[test]
fn workgroup_sizes_agree() {
    if gpu().is_none() {
        return;
    }
    let mut rng = Rng::new(seed() ^ 12);
    let task = random_task(&mut rng, 3, 1);
    let programs: Vec<Program> = (0..300)
        .map(|_| random_program(&mut rng, &all_codes(), 1, 6))
        .collect();
    for wg in [1, 7, 64, 256] {
        let g = match gpu::open_gpus_with(&gpu::OpenOptions {
            include_software: true,
            filter: None,
            workgroup_size: Some(wg),
        }) {
            Ok(mut v) if !v.is_empty() => v.remove(0),
            other => panic!("opening with workgroup size {wg}: {:?}", other.err()),
        };
        assert_eq!(g.workgroup_size(), wg);
        compare(&g, &task, &programs, &format!("workgroup size {wg}"));
        compare_predictions(&g, &task, &programs[..10], &format!("workgroup size {wg}"));
        // With few threads, lavapipe's loop limit (see docs/gpu.md) may send
        // a few results to the CPU; they are counted, not compared.
        eprintln!(
            "workgroup size {wg}: {} results recomputed on the CPU",
            g.cpu_fallbacks()
        );
    }
}
