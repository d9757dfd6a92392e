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
    assert!(!r.depths[2].complete);
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
        assert_eq!(l["states"].as_array().unwrap().len(), 2);
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
