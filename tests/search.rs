//! Program search: tasks generated from known programs are solved, pruning
//! loses nothing, the submission and the report are well-formed, budgets
//! are honoured.

use gridscore::engine::{Backend, CpuBackend, EngineError};
use gridscore::lang::random::random_grid;
use gridscore::lang::{run_program, OpCode, Program};
use gridscore::rng::Rng;
use gridscore::score::PairOutcome;
use gridscore::search::{
    run, search_task, Budget, LastDepth, RunOutputs, SearchOptions, SearchResult,
};
use gridscore::task::{task_to_json, Pair, Task, TestPair};
use gridscore::Grid;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

mod common;
use common::task_from_grids;

/// A task made by running `program` on random grids (retrying grids on which
/// the program is INVALID or the identity).
fn task_from(program: &str, seed: u64, ntrain: usize, ntest: usize, size: (usize, usize)) -> Task {
    let p = Program::parse(program).unwrap();
    let mut rng = Rng::new(seed);
    let mut pairs = Vec::new();
    let mut tries = 0;
    while pairs.len() < ntrain + ntest {
        tries += 1;
        assert!(tries < 10_000, "cannot make pairs for {program}");
        let h = size.0 + rng.below(size.1 - size.0 + 1);
        let w = size.0 + rng.below(size.1 - size.0 + 1);
        let g = random_grid(&mut rng, h, w);
        if let Some(o) = run_program(&p, &g) {
            if o != g {
                pairs.push((g, o));
            }
        }
    }
    let test = pairs.split_off(ntrain);
    Task {
        id: format!("gen-{seed}"),
        train: pairs
            .into_iter()
            .map(|(input, output)| Pair { input, output })
            .collect(),
        test: test
            .into_iter()
            .map(|(input, output)| TestPair {
                input,
                output: Some(output),
            })
            .collect(),
    }
}

fn opts(depth: usize) -> SearchOptions {
    SearchOptions {
        depth,
        ..SearchOptions::default()
    }
}

fn ops(names: &[&str]) -> Option<Vec<OpCode>> {
    Some(
        names
            .iter()
            .map(|n| OpCode::from_name(n).unwrap())
            .collect(),
    )
}

fn check_solved(r: &SearchResult, program: &str) {
    assert!(r.solved_train, "{program}: not solved: {:?}", r.programs);
    assert_eq!(r.test_correct, Some(true), "{program}: {:?}", r.programs);
    assert!(
        r.programs[0].ops <= Program::parse(program).unwrap().len(),
        "{program}: found {:?}",
        r.programs[0]
    );
}

#[test]
fn solves_depth_1_programs() {
    let backend = CpuBackend::new(2);
    let programs = [
        "rot90",
        "flip_h",
        "transpose",
        "upscale 2 2",
        "tile 1 3",
        "mirror_tile",
        "hcat flip_h",
        "vcat rot180",
        "trim",
        "crop_bbox bg",
        "recolor fg 3",
        "swap bg fg",
        "gravity down bg",
        "fill_enclosed 4 bg",
        "object largest bg",
        "split_h 2 1",
    ];
    for (i, p) in programs.iter().enumerate() {
        let t = task_from(p, 100 + i as u64, 3, 1, (4, 8));
        let r = search_task(&t, &opts(1), &backend).unwrap();
        check_solved(&r, p);
    }
}

#[test]
fn solves_depth_2_programs() {
    let backend = CpuBackend::new(2);
    let programs = [
        "crop_bbox bg | upscale 2 2",
        "rot90 | recolor fg 5",
        "flip_v | gravity left bg",
        "transpose | mirror_tile",
        "swap bg fg | rot180",
        "split_v 2 0 | flip_h",
    ];
    for (i, p) in programs.iter().enumerate() {
        let t = task_from(p, 200 + i as u64, 3, 1, (4, 7));
        let r = search_task(&t, &opts(2), &backend).unwrap();
        check_solved(&r, p);
        assert!(r.depths.len() <= 2);
    }
}

#[test]
fn solves_depth_3_programs() {
    let backend = CpuBackend::new(2);
    let cases = [
        (
            "rot90 | upscale 2 1 | recolor bg 7",
            ops(&["rot90", "flip_h", "upscale", "recolor", "trim", "gravity"]),
        ),
        (
            "crop_bbox bg | flip_h | hcat id",
            ops(&["crop_bbox", "flip_h", "flip_v", "hcat", "vcat", "swap"]),
        ),
        (
            "gravity down bg | transpose | swap bg fg",
            ops(&["gravity", "transpose", "rot90", "swap", "trim"]),
        ),
    ];
    for (i, (p, only)) in cases.iter().enumerate() {
        let t = task_from(p, 300 + i as u64, 3, 1, (3, 6));
        let o = SearchOptions {
            only_ops: only.clone(),
            ..opts(3)
        };
        let r = search_task(&t, &o, &backend).unwrap();
        check_solved(&r, p);
        // Every depth reports its candidates and distinct states.
        assert!(r
            .depths
            .iter()
            .all(|d| d.candidates >= d.valid && d.valid >= d.states));
        assert_eq!(
            r.candidates,
            r.depths.iter().map(|d| d.candidates).sum::<u64>()
        );
    }
}

#[test]
fn solves_depth_3_with_the_full_alphabet() {
    // Small grids keep depth 3 affordable in a debug build.
    let backend = CpuBackend::new(2);
    let p = "flip_h | upscale 1 2 | recolor fg 8";
    let t = task_from(p, 400, 3, 1, (3, 4));
    // The last depth expands the most promising parents first and stops at
    // the first exact program.
    let o = SearchOptions {
        time_limit: Some(Duration::from_secs(120)),
        stop_when_solved: true,
        ..opts(3)
    };
    let r = search_task(&t, &o, &backend).unwrap();
    check_solved(&r, p);
    // A depth-2 search comes first (depths 1 and 2; the raw view found no
    // exact chain, so the norm view too), then the deep one (depths 1, 2
    // and 3), whose last depth stopped at the solution.
    use gridscore::search::views::ViewKind::{Norm, Raw};
    let d: Vec<_> = r.depths.iter().map(|d| (d.view, d.depth)).collect();
    assert_eq!(
        d,
        [
            (Raw, 1),
            (Raw, 2),
            (Norm, 1),
            (Norm, 2),
            (Raw, 1),
            (Raw, 2),
            (Raw, 3)
        ]
    );
    assert!(!r.depths[6].complete);
}

#[test]
fn pruning_never_loses_a_solution() {
    let backend = CpuBackend::new(2);
    let only = ops(&[
        "rot90",
        "flip_h",
        "transpose",
        "recolor",
        "swap",
        "crop_bbox",
        "trim",
        "gravity",
        "upscale",
    ]);
    let mut rng = Rng::new(7);
    for case in 0..10u64 {
        let t = if case < 5 {
            let p = [
                "rot90 | recolor fg 2",
                "trim | flip_h",
                "crop_bbox bg | transpose",
                "gravity up bg | rot90",
                "upscale 2 1 | swap bg fg",
            ][case as usize];
            task_from(p, 500 + case, 2, 1, (3, 5))
        } else {
            // Unrelated pairs: nothing is exact, the best partial match is.
            let mut t = task_from("rot90", 500 + case, 2, 1, (3, 5));
            for p in &mut t.train {
                p.output = random_grid(&mut rng, p.output.h(), p.output.w());
            }
            t
        };
        let base = SearchOptions {
            only_ops: only.clone(),
            ..opts(2)
        };
        let pruned = search_task(&t, &base, &backend).unwrap();
        let full = search_task(
            &t,
            &SearchOptions {
                prune: false,
                ..base.clone()
            },
            &backend,
        )
        .unwrap();
        assert_eq!(pruned.solved_train, full.solved_train, "case {case}");
        let key = |r: &SearchResult| {
            let p = &r.ranked[0];
            (p.exact, p.score, p.ops, p.program.clone())
        };
        assert_eq!(key(&pruned), key(&full), "case {case}");
        assert_eq!(pruned.attempts[0][0], full.attempts[0][0], "case {case}");
        // Pruning did collapse something.
        let (ps, fs): (u64, u64) = (
            pruned.depths.iter().map(|d| d.states).sum(),
            full.depths.iter().map(|d| d.states).sum(),
        );
        assert!(ps < fs, "case {case}: {ps} vs {fs}");
    }
}

/// A backend that counts the programs it is given.
struct Counting {
    inner: CpuBackend,
    programs: AtomicUsize,
}

impl Backend for Counting {
    fn name(&self) -> String {
        "counting".into()
    }
    fn kind(&self) -> &'static str {
        "cpu"
    }
    fn evaluate(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<PairOutcome>, EngineError> {
        self.programs.fetch_add(programs.len(), Ordering::Relaxed);
        self.inner.evaluate(task, programs)
    }
    fn evaluate_masks(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<gridscore::engine::Masked, EngineError> {
        self.programs.fetch_add(programs.len(), Ordering::Relaxed);
        self.inner.evaluate_masks(task, programs)
    }
    fn predict(
        &self,
        task: &Task,
        programs: &[&Program],
    ) -> Result<Vec<Vec<Option<Grid>>>, EngineError> {
        self.inner.predict(task, programs)
    }
}

#[test]
fn last_depth_on_the_backend_matches_states() {
    let backend = Counting {
        inner: CpuBackend::new(2),
        programs: AtomicUsize::new(0),
    };
    for (i, p) in ["flip_v | recolor fg 1", "trim | rot270", "rot90"]
        .iter()
        .enumerate()
    {
        let t = task_from(p, 600 + i as u64, 3, 2, (3, 6));
        let on_states = search_task(&t, &opts(2), &backend).unwrap();
        let before = backend.programs.load(Ordering::Relaxed);
        let on_backend = search_task(
            &t,
            &SearchOptions {
                last_depth: LastDepth::Backend,
                batch_size: 1000,
                ..opts(2)
            },
            &backend,
        )
        .unwrap();
        let sent = backend.programs.load(Ordering::Relaxed) - before;
        check_solved(&on_backend, p);
        assert_eq!(on_states.ranked[0].program, on_backend.ranked[0].program);
        assert_eq!(on_states.attempts, on_backend.attempts);
        assert_eq!(on_states.backend_mismatches, 0);
        assert_eq!(on_backend.backend_mismatches, 0);
        if on_backend.depths.len() == 2 {
            // The whole last depth went through the backend.
            assert!(sent as u64 >= on_backend.depths[1].candidates);
        }
    }
}

#[test]
fn time_limit_returns_quickly_and_says_so() {
    let backend = CpuBackend::new(2);
    let t = task_from("rot90 | upscale 2 2 | recolor fg 3", 700, 4, 1, (8, 10));
    let start = Instant::now();
    let r = search_task(
        &t,
        &SearchOptions {
            time_limit: Some(Duration::from_millis(50)),
            ..opts(3)
        },
        &backend,
    )
    .unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(r.stopped_by, Some(Budget::Time));
    assert!(r.depths.iter().any(|d| !d.complete) || r.depth_reached < 3);
    // Best so far is still a full answer.
    assert_eq!(r.attempts.len(), 1);
}

#[test]
fn state_and_memory_caps_stop_deepening() {
    let backend = CpuBackend::new(2);
    let t = task_from("rot90 | upscale 2 2 | recolor fg 3", 701, 3, 1, (5, 7));
    let r = search_task(
        &t,
        &SearchOptions {
            max_states: 40,
            ..opts(3)
        },
        &backend,
    )
    .unwrap();
    assert_eq!(r.stopped_by, Some(Budget::States));
    assert!(r.depth_reached < 3);
    let r = search_task(
        &t,
        &SearchOptions {
            max_bytes: 20_000,
            ..opts(3)
        },
        &backend,
    )
    .unwrap();
    assert_eq!(r.stopped_by, Some(Budget::Memory));
}

fn is_grid(v: &serde_json::Value) -> bool {
    let Some(rows) = v.as_array() else {
        return false;
    };
    let w = rows
        .first()
        .and_then(|r| r.as_array())
        .map_or(0, |r| r.len());
    !rows.is_empty()
        && w > 0
        && rows.iter().all(|r| {
            r.as_array().is_some_and(|r| {
                r.len() == w && r.iter().all(|c| c.as_u64().is_some_and(|c| c <= 9))
            })
        })
}

#[test]
fn submission_and_report_are_well_formed() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = task_from("flip_h", 800, 3, 2, (3, 6));
    a.id = "aaa".into();
    let mut b = task_from("rot90 | trim", 801, 3, 1, (4, 6));
    b.id = "bbb".into();
    // A test pair whose output is unknown, and one the search cannot solve.
    b.test[0].output = None;
    let mut c = task_from("rot90", 802, 2, 1, (3, 5));
    c.id = "ccc".into();
    let mut rng = Rng::new(1);
    for p in &mut c.train {
        p.output = random_grid(&mut rng, 7, 2);
    }
    for t in [&a, &b, &c] {
        std::fs::write(
            dir.path().join(format!("{}.json", t.id)),
            task_to_json(t).to_string(),
        )
        .unwrap();
    }
    let out = dir.path().join("submission.json");
    let report = dir.path().join("report.jsonl");
    let summary = run(
        &[dir.path().to_path_buf()],
        &opts(2),
        &CpuBackend::new(2),
        &RunOutputs {
            out: Some(out.clone()),
            report: Some(report.clone()),
            solutions: None,
            progress: false,
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(summary.tasks, 3);
    assert!(summary.solved_train >= 2);
    assert_eq!(summary.test_known, 2);
    let sub: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&out).unwrap()).unwrap();
    let obj = sub.as_object().unwrap();
    let mut keys: Vec<&String> = obj.keys().collect();
    keys.sort();
    assert_eq!(keys, ["aaa", "bbb", "ccc"]);
    for (t, n) in [(&a, 2), (&b, 1), (&c, 1)] {
        let entry = obj[&t.id].as_array().unwrap();
        assert_eq!(entry.len(), n, "{}", t.id);
        for e in entry {
            let e = e.as_object().unwrap();
            assert_eq!(e.len(), 2);
            assert!(
                is_grid(&e["attempt_1"]) && is_grid(&e["attempt_2"]),
                "{e:?}"
            );
        }
    }
    // The solved task's first attempts are the expected outputs.
    for (i, tp) in a.test.iter().enumerate() {
        let expected = serde_json::to_value(tp.output.as_ref().unwrap()).unwrap();
        assert_eq!(obj["aaa"][i]["attempt_1"], expected);
        assert_ne!(obj["aaa"][i]["attempt_1"], obj["aaa"][i]["attempt_2"]);
    }
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    for l in &lines {
        for k in [
            "task",
            "solved_train",
            "test_correct",
            "programs",
            "candidates",
            "states",
            "wall_s",
            "stopped_by",
        ] {
            assert!(l.get(k).is_some(), "{k} missing in {l}");
        }
        assert!(l["programs"].as_array().unwrap().len() <= 2);
        // One entry per depth explored, in every view searched.
        let depths = l["states"].as_array().unwrap().len();
        assert!((1..=4).contains(&depths), "{l}");
    }
    assert_eq!(lines[0]["task"], "aaa");
    assert_eq!(lines[0]["solved_train"], true);
    assert_eq!(lines[0]["test_correct"], true);
    assert_eq!(lines[0]["programs"][0], "flip_h");
    assert!(lines[1]["test_correct"].is_null());
    assert_eq!(lines[2]["solved_train"], false);
}

#[test]
fn empty_and_missing_inputs_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let r = run(
        &[dir.path().join("nope.json")],
        &opts(1),
        &CpuBackend::new(1),
        &RunOutputs::default(),
    );
    assert!(r.is_err());
    let r = run(
        &[dir.path().to_path_buf()],
        &opts(1),
        &CpuBackend::new(1),
        &RunOutputs::default(),
    );
    assert!(r.is_err());
}

// ------------------------------------------------------------ search v2

/// Sparse grids: a few cells of colors 1 to 3 on 0.
fn sparse(rng: &mut Rng) -> Grid {
    let (h, w) = (6 + rng.below(5), 6 + rng.below(5));
    let mut g = Grid::filled(h, w, 0);
    for _ in 0..2 + rng.below(4) {
        let (i, j) = (rng.below(h), rng.below(w));
        g.set(i, j, 1 + rng.below(3) as u8);
    }
    g
}

#[test]
fn composition_finds_a_two_piece_answer() {
    // Only the 2-cells rain down, over the rest: no chain of two ops does
    // it; the overlay of `keep 2 0 | smear down` (non-0 cells) over the
    // input does.
    let truth = "overlay { [nz] keep 2 0 | smear down ; [all] }";
    let task = task_from_grids(truth, 41, 4, |rng| {
        let mut g = sparse(rng);
        g.set(0, rng.below(g.w()), 2);
        g
    });
    let r = search_task(&task, &opts(2), &CpuBackend::new(2)).unwrap();
    assert!(r.solved_train, "{:?}", r.ranked.first());
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
    let best = &r.ranked[0];
    assert_eq!(
        best.stage,
        gridscore::search::Stage::Composition,
        "{best:?}"
    );
    assert!(
        best.pieces >= 2 && best.program.starts_with("overlay {"),
        "{best:?}"
    );
    // The report names the stage of each attempt.
    assert!(r.attempt_sources[0][0].is_some());
    // Without composition the task is not solved.
    let chains = SearchOptions {
        compose: false,
        ..opts(2)
    };
    let r2 = search_task(&task, &chains, &CpuBackend::new(2)).unwrap();
    assert!(!r2.solved_train, "{:?}", r2.ranked.first());
}

#[test]
fn the_last_depth_on_the_backend_still_gives_pieces() {
    // The two-piece answer above needs a piece of the last depth
    // (`keep 2 0 | smear down`). With the last depth sent to the backend as
    // programs, the backend's match masks make its programs pieces: the
    // same composition, the same attempts, as many pieces as when the last
    // depth is extended on the CPU.
    let truth = "overlay { [nz] keep 2 0 | smear down ; [all] }";
    let task = task_from_grids(truth, 41, 4, |rng| {
        let mut g = sparse(rng);
        g.set(0, rng.below(g.w()), 2);
        g
    });
    // A small alphabet keeps the last depth's programs few (debug builds).
    let only: Vec<OpCode> = ["keep", "smear", "recolor", "gravity", "flip_h", "halo"]
        .iter()
        .map(|n| OpCode::from_name(n).unwrap())
        .collect();
    let small = SearchOptions {
        only_ops: Some(only),
        ..opts(2)
    };
    let states = search_task(&task, &small, &CpuBackend::new(2)).unwrap();
    let backend = SearchOptions {
        last_depth: gridscore::search::LastDepth::Backend,
        ..small
    };
    let r = search_task(&task, &backend, &CpuBackend::new(2)).unwrap();
    assert!(r.solved_train, "{:?}", r.ranked.first());
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
    assert_eq!(r.ranked[0].stage, gridscore::search::Stage::Composition);
    assert_eq!(r.ranked[0].program, states.ranked[0].program);
    assert_eq!(r.attempts, states.attempts);
    assert_eq!(r.pieces, states.pieces);
    assert!(r.compositions > 0);
}

#[test]
fn normalisation_solves_color_roles() {
    // Each pair recolors its least frequent color with its most frequent
    // non-background one: the colors differ from pair to pair, the roles
    // do not. `recolor lc fg` would do it on the raw task too; with the
    // raw view limited to digits (no tokens, through `only_ops` on a
    // color op that takes no tokens here) the norm view is what solves it.
    let truth = "norm { recolor 2 1 }";
    let task = task_from_grids(truth, 7, 3, |rng| {
        // Three colors with distinct counts: 0 most, then a, then b.
        let (a, b) = (1 + rng.below(4) as u8, 5 + rng.below(4) as u8);
        let mut g = Grid::filled(5, 5, 0);
        for k in 0..6 {
            g.set(k / 5, k % 5, a);
        }
        for k in 0..2 {
            g.set(4, 4 - k, b);
        }
        g
    });
    let thorough = SearchOptions {
        thorough: true,
        ..opts(1)
    };
    let r = search_task(&task, &thorough, &CpuBackend::new(2)).unwrap();
    assert!(r.solved_train);
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
    // The norm view finds `recolor 2 1` (as `norm { recolor 2 1 }`); the
    // raw view's token program `recolor lc fg` is equally right.
    assert!(r.ranked.iter().any(|p| p.program == "norm { recolor 2 1 }"));
    // Turning the views off keeps only raw programs.
    let raw = SearchOptions {
        normalize: false,
        ..thorough
    };
    let r2 = search_task(&task, &raw, &CpuBackend::new(2)).unwrap();
    assert!(r2.ranked.iter().all(|p| !p.program.starts_with("norm")));
}

#[test]
fn transposed_view_maps_answers_back() {
    let task = task_from("gravity right 0", 5, 3, 1, (3, 6));
    let o = SearchOptions {
        transpose: true,
        thorough: true,
        only_ops: ops(&["gravity"]),
        ..opts(1)
    };
    let r = search_task(&task, &o, &CpuBackend::new(2)).unwrap();
    assert_eq!(r.test_correct, Some(true));
    // The transposed view's answer is the same rule in the other frame.
    assert!(
        r.ranked
            .iter()
            .any(|p| p.program == "transpose | gravity down 0 | transpose"),
        "{:?}",
        r.ranked
    );
}

#[test]
fn repair_at_the_root_fills_symmetric_holes() {
    // Mirror-symmetric grids with a patch of color 5 over some cells: the
    // output is the symmetric grid.
    let make = |rng: &mut Rng| {
        let (h, w) = (6 + 2 * rng.below(3), 6 + 2 * rng.below(3));
        let mut g = Grid::filled(h, w, 0);
        for i in 0..h {
            for j in 0..w / 2 {
                let c = rng.below(4) as u8;
                g.set(i, j, c);
                g.set(i, w - 1 - j, c);
            }
        }
        let (i, j) = (rng.below(h - 2), rng.below(w / 2));
        for a in 0..2 {
            for b in 0..2 {
                g.set(i + a, j + b, 5);
            }
        }
        g
    };
    let mut rng = Rng::new(3);
    let mut train = Vec::new();
    for _ in 0..4 {
        let g = make(&mut rng);
        let fixed = run_program(&Program::parse("repair 5").unwrap(), &g).unwrap();
        train.push((g, fixed));
    }
    let (ti, to) = train.pop().unwrap();
    let task = Task {
        id: "sym".into(),
        train: train
            .into_iter()
            .map(|(input, output)| Pair { input, output })
            .collect(),
        test: vec![TestPair {
            input: ti,
            output: Some(to),
        }],
    };
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    assert!(r.solved_train, "{:?}", r.ranked.first());
    assert_eq!(r.test_correct, Some(true));
    assert!(
        r.programs[0].program.starts_with("repair"),
        "{:?}",
        r.programs
    );
}

#[test]
fn views_and_composition_keep_the_time_limit() {
    let task = task_from("rot90 | recolor 1 2", 77, 4, 1, (20, 30));
    let o = SearchOptions {
        time_limit: Some(Duration::from_millis(300)),
        transpose: true,
        ..opts(3)
    };
    let t0 = Instant::now();
    let r = search_task(&task, &o, &CpuBackend::new(2)).unwrap();
    let took = t0.elapsed();
    assert!(took < Duration::from_millis(300 + 1500), "took {took:?}");
    assert!(!r.ranked.is_empty());
}

#[test]
fn a_cut_deep_search_keeps_the_depth_2_compositions() {
    // The overlay task of `composition_finds_a_two_piece_answer`, searched
    // at a depth that cannot finish: the depth-2 pass comes first and its
    // composition survives the time limit that cuts the deep pass.
    let truth = "overlay { [nz] keep 2 0 | smear down ; [all] }";
    let task = task_from_grids(truth, 41, 4, |rng| {
        let mut g = sparse(rng);
        g.set(0, rng.below(g.w()), 2);
        g
    });
    let limit = Duration::from_secs(3);
    let o = SearchOptions {
        time_limit: Some(limit),
        only_ops: ops(&["keep", "smear", "recolor", "gravity", "flip_h", "halo"]),
        ..opts(6)
    };
    let t0 = Instant::now();
    let r = search_task(&task, &o, &CpuBackend::new(2)).unwrap();
    let took = t0.elapsed();
    assert!(took < limit + Duration::from_millis(1500), "{took:?}");
    assert_eq!(r.stopped_by, Some(Budget::Time));
    assert!(r.solved_train, "{:?}", r.ranked.first());
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
    assert_eq!(
        r.ranked[0].stage,
        gridscore::search::Stage::Composition,
        "{:?}",
        r.ranked[0]
    );
}

#[test]
fn the_bundled_rain_task_is_solved_by_composition() {
    // assets/tasks/rain.json: the rarest color rains down over the input,
    // an overlay of two pieces (`keep lc 0 | smear down` over the input).
    let tasks =
        gridscore::task::load_tasks(std::path::Path::new("assets/tasks/rain.json"), None).unwrap();
    let r = search_task(&tasks[0], &opts(2), &CpuBackend::new(2)).unwrap();
    assert!(r.solved_train, "{:?}", r.ranked.first());
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
    let best = &r.ranked[0];
    assert_eq!(
        best.stage,
        gridscore::search::Stage::Composition,
        "{best:?}"
    );
    assert!(best.pieces >= 2, "{best:?}");
    assert!(best.program.contains("keep lc 0 | smear down"), "{best:?}");
}

#[test]
fn a_deep_search_asks_the_norm_view_although_the_raw_view_composed() {
    // The bundled rain task is solved by a raw composition. A depth-2
    // search stops there; the depth-2 pass of a deep search also searches
    // the norm view (a composition is no exact chain), then goes deep.
    use gridscore::search::views::ViewKind;
    let tasks =
        gridscore::task::load_tasks(std::path::Path::new("assets/tasks/rain.json"), None).unwrap();
    let only = ops(&["keep", "smear", "recolor", "gravity"]);
    let shallow = SearchOptions {
        only_ops: only.clone(),
        ..opts(2)
    };
    let r = search_task(&tasks[0], &shallow, &CpuBackend::new(2)).unwrap();
    assert_eq!(r.ranked[0].stage, gridscore::search::Stage::Composition);
    assert!(
        r.depths.iter().all(|d| d.view == ViewKind::Raw),
        "{:?}",
        r.depths
    );
    let deep = SearchOptions {
        only_ops: only,
        ..opts(3)
    };
    let r = search_task(&tasks[0], &deep, &CpuBackend::new(2)).unwrap();
    let seen: Vec<(ViewKind, usize)> = r.depths.iter().map(|d| (d.view, d.depth)).collect();
    assert!(seen.contains(&(ViewKind::Norm, 2)), "{seen:?}");
    assert!(seen.contains(&(ViewKind::Raw, 3)), "{seen:?}");
    assert_eq!(r.test_correct, Some(true), "{:?}", r.programs);
}

#[test]
fn panels_are_summed_up_by_cell_colors() {
    // Panels of 2 x 2 to 3 x 3 cells between separator lines of 5, each
    // mostly one color with a stray cell of another; the output has one
    // cell per panel, flipped left-right: `cell_colors | flip_h`.
    let truth = "cell_colors | flip_h";
    let task = task_from_grids(truth, 9, 3, |rng| {
        let (ph, pw) = (2 + rng.below(2), 2 + rng.below(2));
        let (nr, nc) = (2 + rng.below(2), 2 + rng.below(2));
        let mut g = Grid::filled(nr * (ph + 1) - 1, nc * (pw + 1) - 1, 5);
        for a in 0..nr {
            for b in 0..nc {
                let c = 1 + rng.below(4) as u8;
                for i in 0..ph {
                    for j in 0..pw {
                        g.set(a * (ph + 1) + i, b * (pw + 1) + j, c);
                    }
                }
                g.set(a * (ph + 1), b * (pw + 1), 6 + rng.below(3) as u8);
            }
        }
        g
    });
    let r = search_task(&task, &opts(2), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].stage, gridscore::search::Stage::Chain);
    assert!(
        r.ranked[0].program.contains("cell_colors"),
        "{:?}",
        r.ranked[0]
    );
}

#[test]
fn rooms_with_a_seed_are_flooded() {
    // Rooms walled off by full lines of 5; a 1 in some of them and a 3 in
    // others; the rooms holding a 1 fill with 1 (the 3s keep their color).
    let truth = "flood 1 0";
    let task = task_from_grids(truth, 4, 3, |rng| {
        let (h, w) = (9 + rng.below(4), 9 + rng.below(4));
        let mut g = Grid::filled(h, w, 0);
        let (r, c1, c2) = (2 + rng.below(h - 4), 2 + rng.below(3), 6 + rng.below(w - 7));
        for j in 0..w {
            g.set(r, j, 5);
        }
        for i in 0..h {
            g.set(i, c1, 5);
            g.set(i, c2, 5);
        }
        for _ in 0..4 {
            let (i, j) = (rng.below(h), rng.below(w));
            if g.get(i, j) == 0 {
                g.set(i, j, if rng.chance(0.5) { 1 } else { 3 });
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert!(r.ranked[0].program.starts_with("flood "), "{:?}", r.ranked);
}

#[test]
fn corner_pairs_span_color_boxes() {
    // Two cells of each of two colors; each pair spans the rectangle that
    // fills with its color (boxes apart, so the order does not matter).
    let truth = "color_boxes";
    let task = task_from_grids(truth, 6, 3, |rng| {
        let (h, w) = (10 + rng.below(3), 12 + rng.below(3));
        let mut g = Grid::filled(h, w, 0);
        let colors = [1 + rng.below(4) as u8, 5 + rng.below(4) as u8];
        for (k, &c) in colors.iter().enumerate() {
            let (r0, c0) = (rng.below(h - 3), k * (w / 2) + rng.below(w / 2 - 3));
            let (r1, c1) = (r0 + 2 + rng.below(h - r0 - 2), c0 + 2 + rng.below(2));
            if rng.chance(0.5) {
                g.set(r0, c0, c);
                g.set(r1, c1, c);
            } else {
                g.set(r0, c1, c);
                g.set(r1, c0, c);
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn colors_are_listed_by_frequency_with_palette() {
    // Three colors scattered with different counts; the output lists them,
    // the most frequent first, as a column.
    let truth = "palette";
    let task = task_from_grids(truth, 7, 3, |rng| {
        let mut g = Grid::filled(8 + rng.below(3), 8 + rng.below(3), 0);
        let first = 1 + rng.below(7) as u8;
        for (k, c) in [first, first + 1, first + 2].into_iter().enumerate() {
            let mut placed = 0;
            while placed < 3 + 4 * k {
                let (i, j) = (rng.below(g.h()), rng.below(g.w()));
                if g.get(i, j) == 0 {
                    g.set(i, j, c);
                    placed += 1;
                }
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn a_repeated_pattern_is_cut_to_its_tile_by_period() {
    // A random tile of 2 or 3 by 2 to 4 cells repeated over the grid (cut
    // at the edges); the output is the tile.
    let truth = "period";
    let task = task_from_grids(truth, 8, 3, |rng| {
        let (p, q) = (2 + rng.below(2), 2 + rng.below(3));
        let tile: Vec<u8> = (0..p * q).map(|_| rng.below(10) as u8).collect();
        let (h, w) = (p * 2 + rng.below(4), q * 2 + rng.below(4));
        let mut g = Grid::filled(h, w, 0);
        for i in 0..h {
            for j in 0..w {
                g.set(i, j, tile[(i % p) * q + j % q]);
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn a_pattern_is_continued_to_the_right_by_extend() {
    // A random band of columns (period 2 to 4, shown 1.5 to 2 times) at the
    // left of a 0 grid; the output continues it over the whole width.
    let truth = "extend right";
    let task = task_from_grids(truth, 9, 3, |rng| {
        let (h, w) = (4 + rng.below(3), 14 + rng.below(3));
        let q = 2 + rng.below(3);
        let tile: Vec<u8> = (0..h * q).map(|_| 1 + rng.below(9) as u8).collect();
        let shown = q + q / 2 + rng.below(q / 2 + 1);
        let mut g = Grid::filled(h, w, 0);
        for i in 0..h {
            for j in 0..shown {
                g.set(i, j, tile[i * q + j % q]);
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn a_figure_is_completed_by_its_quarter_turns_with_symmetrize() {
    // A random figure invariant under quarter turns about the centre of a
    // 5x5 box placed anywhere in a 12x12 grid, with its top-left and
    // bottom-right quadrants removed (so that no mirror and no half turn
    // restores them); the output is the whole figure.
    let truth = "symmetrize r4";
    let task = task_from_grids(truth, 9, 3, |rng| {
        let mut g = Grid::filled(12, 12, 0);
        let (r, c) = (rng.below(8), rng.below(8));
        for i in 0..3 {
            for j in 0..2 {
                let v = if rng.chance(0.4) {
                    0
                } else {
                    1 + rng.below(3) as u8
                };
                for (a, b) in [(i, j), (j, 4 - i), (4 - i, 4 - j), (4 - j, i)] {
                    g.set(r + a, c + b, v);
                }
            }
        }
        g.set(r + 2, c + 2, 5);
        for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            g.set(r + a, c + b, 0);
            g.set(r + 4 - a, c + 4 - b, 0);
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn a_shape_is_copied_onto_every_dot_by_stamp() {
    // A random shape of 5 to 9 cells in a 3x3 box (its centre cell set, so
    // that it is one object) and 2 or 3 dots of color 5 away from it and
    // from each other; the output has the shape centred on every dot.
    let truth = "stamp";
    let task = task_from_grids(truth, 9, 3, |rng| {
        let mut g = Grid::filled(14, 14, 0);
        let (r, c) = (rng.below(3), rng.below(3));
        g.set(r + 1, c + 1, 1 + rng.below(4) as u8);
        for _ in 0..4 + rng.below(5) {
            g.set(r + rng.below(3), c + rng.below(3), 1 + rng.below(4) as u8);
        }
        let dots = [(7, 2), (3, 10), (11, 11), (10, 6)];
        let skip = rng.below(4);
        for (k, &(i, j)) in dots.iter().enumerate() {
            if k != skip {
                g.set(i, j, 5);
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn a_framed_window_is_cut_out_by_crop_frame() {
    // Noise of colors 1 to 4 and 8, a rectangle framed by 8 (4 to 6 cells
    // a side), and in the bottom-right corner a one-cell decoy framed by 8
    // (so that the window is not the smallest object); the output is what
    // the larger frame holds.
    let truth = "crop_frame";
    let task = task_from_grids(truth, 5, 3, |rng| {
        let (h, w) = (10 + rng.below(4), 10 + rng.below(4));
        let mut g = Grid::filled(h, w, 0);
        for i in 0..h {
            for j in 0..w {
                if rng.chance(0.4) {
                    g.set(i, j, [1, 2, 3, 4, 8][rng.below(5)]);
                }
            }
        }
        for i in h - 3..h {
            for j in w - 3..w {
                g.set(i, j, 8);
            }
        }
        g.set(h - 2, w - 2, 1 + rng.below(4) as u8);
        let (fh, fw) = (4 + rng.below(3), 4 + rng.below(3));
        let (r0, c0) = (rng.below(h - 3 - fh), rng.below(w - 3 - fw));
        for i in 0..fh {
            for j in 0..fw {
                if i == 0 || j == 0 || i == fh - 1 || j == fw - 1 {
                    g.set(r0 + i, c0 + j, 8);
                }
            }
        }
        g
    });
    let r = search_task(&task, &opts(1), &CpuBackend::new(2)).unwrap();
    check_solved(&r, truth);
    assert_eq!(r.ranked[0].program, truth, "{:?}", r.ranked);
}

#[test]
fn pad_and_resize_make_chains_not_pieces() {
    // Every output is 7 x 7: the small input at the top-left of a 0
    // canvas, smeared down-right. Only `pad` brings the inputs (3 to 5
    // cells a side) to the outputs' size.
    let truth = "pad 7 7 0 | smear dr";
    let task = task_from_grids(truth, 7, 3, |rng| {
        let (h, w) = (3 + rng.below(3), 3 + rng.below(3));
        let mut g = Grid::filled(h, w, 0);
        for _ in 0..2 {
            g.set(rng.below(h), rng.below(w), 1 + rng.below(3) as u8);
        }
        g
    });
    let small = |last_depth| SearchOptions {
        only_ops: ops(&["pad", "resize", "smear", "recolor", "flip_h", "keep"]),
        last_depth,
        ..opts(2)
    };
    let mut pieces = Vec::new();
    for last_depth in [LastDepth::States, LastDepth::Backend] {
        let r = search_task(&task, &small(last_depth), &CpuBackend::new(2)).unwrap();
        check_solved(&r, truth);
        assert_eq!(r.ranked[0].stage, gridscore::search::Stage::Chain);
        assert!(r.ranked[0].program.contains("pad 7 7"), "{:?}", r.ranked[0]);
        // No composition has a layer made with pad or resize.
        for c in r.ranked.iter().filter(|c| c.pieces > 1) {
            assert!(
                !c.program.contains("pad ") && !c.program.contains("resize "),
                "{c:?}"
            );
        }
        pieces.push(r.pieces);
    }
    // Only programs with `pad` or `resize` reach the outputs' size here,
    // so there is no piece, on either way of scoring the last depth.
    assert_eq!(pieces, [0, 0]);
    // The alphabet has them only when the outputs share a size that some
    // input lacks.
    let d = gridscore::search::Domains::of_task(&task);
    assert_eq!(d.out_size, Some((7, 7)));
    let same = task_from("flip_h", 3, 3, 1, (3, 5));
    assert_eq!(gridscore::search::Domains::of_task(&same).out_size, None);
}

/// What a search found, every part that the memo must leave as it is.
fn findings(r: &SearchResult) -> impl PartialEq + std::fmt::Debug {
    let ranked: Vec<_> = r
        .ranked
        .iter()
        .map(|p| (p.exact, p.score, p.ops, p.program.clone()))
        .collect();
    let depths: Vec<_> = r
        .depths
        .iter()
        .map(|d| (d.view, d.depth, d.candidates, d.valid, d.states, d.skipped))
        .collect();
    (
        ranked,
        r.attempts.clone(),
        r.attempt_sources.clone(),
        depths,
        r.pieces,
        r.compositions,
        r.test_outputs_correct,
    )
}

#[test]
fn the_memo_changes_nothing_but_the_time() {
    // The bundled tasks (pieces, regions, layout), searched to depth 2 with
    // the memo off, on, and on with too little room for every result; and
    // a depth-3 search, whose middle depth stores the grids the memo gave.
    let mut tasks =
        gridscore::task::load_tasks(std::path::Path::new("assets/tasks"), None).unwrap();
    tasks.push(task_from(
        "gravity up bg | rot90 | recolor fg 2",
        41,
        3,
        1,
        (3, 6),
    ));
    let backend = CpuBackend::new(2);
    let mut remembered = 0;
    for t in &tasks {
        let depth3 = t.id.starts_with("gen-");
        let base = SearchOptions {
            only_ops: if depth3 {
                ops(&[
                    "gravity", "rot90", "flip_h", "recolor", "swap", "keep", "trim",
                ])
            } else {
                None
            },
            ..opts(if depth3 { 3 } else { 2 })
        };
        let off = search_task(
            t,
            &SearchOptions {
                memo_bytes: 0,
                ..base.clone()
            },
            &backend,
        )
        .unwrap();
        assert!(off.depths.iter().all(|d| d.remembered == 0), "{}", t.id);
        for memo_bytes in [base.memo_bytes, 256 << 10] {
            let on = search_task(
                t,
                &SearchOptions {
                    memo_bytes,
                    ..base.clone()
                },
                &backend,
            )
            .unwrap();
            assert_eq!(
                findings(&on),
                findings(&off),
                "{} with {memo_bytes} bytes",
                t.id
            );
            remembered += on.depths.iter().map(|d| d.remembered).sum::<u64>();
        }
    }
    assert!(remembered > 0);
}
