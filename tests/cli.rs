//! End-to-end tests of the `gridscore` binary on the bundled assets.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn gridscore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridscore"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn jsonl(out: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn score_jsonl_ranks_the_true_program_first() {
    let out = gridscore(&[
        "score",
        "assets/tasks/recolor_upscale.json",
        "--candidates",
        "assets/candidates.txt",
        "--device",
        "cpu",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jsonl(&out);
    let text = std::fs::read_to_string("assets/candidates.txt").unwrap();
    let n = gridscore::lang::parse_candidates(&text).len();
    assert_eq!(rows.len(), n, "every candidate is reported");
    let first = &rows[0];
    for key in [
        "rank",
        "id",
        "program",
        "status",
        "error",
        "exact",
        "pairs",
        "score",
        "pair_scores",
        "test_scores",
        "duplicate_of",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
    assert_eq!(first["id"], "recolor_upscale");
    assert_eq!(first["rank"], 1);
    assert_eq!(first["status"], "ok");
    assert_eq!(first["exact"], 3);
    assert_eq!(first["pairs"], 3);
    assert_eq!(first["score"], 3000);
    assert_eq!(first["pair_scores"], serde_json::json!([1000, 1000, 1000]));
    assert_eq!(first["test_scores"], serde_json::json!([1000]));
    assert!(first["predictions"].is_array());
    // Ranks are 1..=k over scored candidates, then parse errors with no rank.
    let ranked: Vec<&Value> = rows.iter().filter(|r| r["status"] == "ok").collect();
    for (k, r) in ranked.iter().enumerate() {
        assert_eq!(r["rank"], k + 1);
    }
    let errors: Vec<&Value> = rows
        .iter()
        .filter(|r| r["status"] == "parse_error")
        .collect();
    assert_eq!(errors.len(), 3);
    assert!(rows[ranked.len()..]
        .iter()
        .all(|r| r["status"] == "parse_error" && r["rank"].is_null()));
    assert!(errors[0]["error"]
        .as_str()
        .unwrap()
        .contains("unknown op `flip_hh`"));
    // Sorted: exact desc, then score desc.
    for w in ranked.windows(2) {
        let key = |r: &Value| (r["exact"].as_u64().unwrap(), r["score"].as_u64().unwrap());
        assert!(key(w[0]) >= key(w[1]));
    }
    // Duplicates point at the first occurrence.
    let dup = rows.iter().find(|r| r["id"] == "dup-of-mirror").unwrap();
    assert_eq!(dup["duplicate_of"], "mirror");
}

#[test]
fn top_limits_output_and_summary_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.json");
    let out = gridscore(&[
        "score",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
        "--top",
        "2",
        "--metric",
        "exact",
        "--summary",
        summary.to_str().unwrap(),
        "--threads",
        "2",
    ]);
    assert!(out.status.success());
    let rows = jsonl(&out);
    // The 2 best, then every candidate that did not parse (never hidden
    // by --top).
    assert_eq!(rows.len(), 2 + 3);
    assert!(rows[..2].iter().all(|r| r["status"] == "ok"));
    assert!(rows[2..].iter().all(|r| r["status"] == "parse_error"));
    assert_eq!(
        rows[0]["score"], 3,
        "exact metric: one point per exact pair"
    );
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    for key in [
        "candidates",
        "evaluations",
        "wall_s",
        "cpu_s",
        "evals_per_s",
        "devices",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    assert!(s["evaluations"].as_u64().unwrap() > 0);
}

#[test]
fn table_format_is_readable() {
    let out = gridscore(&[
        "score",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
        "--format",
        "table",
        "--top",
        "3",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("RANK"));
    assert!(text
        .lines()
        .any(|l| l.contains("mirror") && l.contains("3/3") && l.contains("flip_h")));
}

#[test]
fn bad_input_exits_2_with_one_line() {
    for args in [
        vec!["score", "missing.json", "-c", "assets/candidates.txt"],
        vec!["score", "assets/tasks/mirror.json", "-c", "missing.txt"],
        vec!["score", "assets/tasks/mirror.json"],
        vec![
            "score",
            "assets/tasks/mirror.json",
            "-c",
            "assets/candidates.txt",
            "--metric",
            "bogus",
        ],
        vec![
            "score",
            "assets/tasks/mirror.json",
            "-c",
            "assets/candidates.txt",
            "--device",
            "tpu",
        ],
        vec!["show", "assets/tasks/mirror.json", "--program", "flip_hh"],
    ] {
        let out = gridscore(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(!out.stderr.is_empty());
    }
    let out = gridscore(&["score", "missing.json", "-c", "assets/candidates.txt"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("missing.json"));
}

#[test]
fn bad_task_file_names_file_pair_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}"#,
    )
    .unwrap();
    let out = gridscore(&[
        "score",
        bad.to_str().unwrap(),
        "-c",
        "assets/candidates.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.json") && err.contains("train[0].input") && err.contains("row 1"),
        "{err}"
    );
}

#[test]
fn show_marks_mismatches() {
    let out = gridscore(&[
        "show",
        "assets/tasks/mirror.json",
        "--program",
        "flip_v",
        "--color",
        "never",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("train[0]") && text.contains("expected") && text.contains("wrong"));
    assert!(text.contains('!'), "mismatching cells are marked");
    let out = gridscore(&[
        "show",
        "assets/tasks/mirror.json",
        "-p",
        "flip_h",
        "--color",
        "always",
    ]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("\x1b[48;2;"));
}

#[test]
fn assets_are_what_the_generator_writes() {
    let dir = tempfile::tempdir().unwrap();
    gridscore::assets::write_assets(dir.path()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets");
    for t in gridscore::assets::generate_tasks() {
        let name = format!("tasks/{}.json", t.id);
        let want = std::fs::read_to_string(dir.path().join(&name)).unwrap();
        let have = std::fs::read_to_string(root.join(&name)).unwrap();
        assert_eq!(
            want, have,
            "assets/{name} differs from the generator (run `gridscore gen-assets`)"
        );
    }
    assert_eq!(
        std::fs::read_to_string(dir.path().join("candidates.txt")).unwrap(),
        std::fs::read_to_string(root.join("candidates.txt")).unwrap()
    );
}

#[test]
fn every_asset_task_is_solved_by_its_known_program() {
    let tasks = gridscore::task::load_tasks(Path::new("assets/tasks"), None).unwrap();
    assert_eq!(tasks.len(), gridscore::assets::KNOWN.len());
    for (id, program, _) in gridscore::assets::KNOWN {
        let task = tasks.iter().find(|t| t.id == *id).unwrap();
        let p = gridscore::Program::parse(program).unwrap();
        for pair in &task.train {
            assert_eq!(
                gridscore::lang::run_program(&p, &pair.input).as_ref(),
                Some(&pair.output),
                "{id}"
            );
        }
    }
}

#[test]
fn docs_dsl_documents_every_op() {
    // docs/DSL.md is the project's living spec (it extends the frozen v1 in
    // ../shared/DSL.md): every op of the table has a row there.
    let ours =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/DSL.md")).unwrap();
    for spec in gridscore::lang::OPS.iter() {
        assert!(
            ours.contains(&format!("| `{}", spec.name)),
            "docs/DSL.md has no row for op `{}`",
            spec.name
        );
    }
}

#[test]
fn deadline_zero_reports_every_candidate_as_not_run() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.json");
    let out = gridscore(&[
        "score",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
        "--deadline",
        "0",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = jsonl(&out);
    let text = std::fs::read_to_string("assets/candidates.txt").unwrap();
    assert_eq!(rows.len(), gridscore::lang::parse_candidates(&text).len());
    assert!(rows
        .iter()
        .all(|r| r["status"] == "not_run" || r["status"] == "parse_error"));
    assert!(rows.iter().all(|r| r["rank"].is_null()));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(s["deadline_hit"], true);
}

#[test]
fn summary_and_profile_describe_each_device() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("s.json");
    let out = gridscore(&[
        "score",
        "assets/tasks",
        "-c",
        "assets/candidates.txt",
        "--device",
        "cpu",
        "--max-inflight",
        "3",
        "--profile",
        "--summary",
        summary.to_str().unwrap(),
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("parallelism"));
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    for key in [
        "wall_s",
        "cpu_s",
        "evaluations",
        "evals_per_s",
        "deadline_hit",
        "devices",
    ] {
        assert!(s.get(key).is_some(), "summary lacks {key}");
    }
    let d = &s["devices"][0];
    for key in [
        "name",
        "kind",
        "backend",
        "evaluations",
        "chunks",
        "busy_s",
        "gpu_s",
        "max_inflight",
        "failed",
    ] {
        assert!(d.get(key).is_some(), "device lacks {key}");
    }
    assert_eq!(d["kind"], "cpu");
    assert!(d["max_inflight"].as_u64().unwrap() <= 3);
    assert_eq!(d["evaluations"], s["evaluations"]);
}

#[test]
fn top_streams_and_matches_the_full_run() {
    let full = jsonl(&gridscore(&[
        "score",
        "assets/tasks/kaleidoscope.json",
        "-c",
        "assets/candidates.txt",
    ]));
    let top = jsonl(&gridscore(&[
        "score",
        "assets/tasks/kaleidoscope.json",
        "-c",
        "assets/candidates.txt",
        "--top",
        "5",
    ]));
    // The first 5 rows of the full run, then its parse errors.
    let errors: Vec<&Value> = full
        .iter()
        .filter(|r| r["status"] == "parse_error")
        .collect();
    assert_eq!(errors.len(), 3);
    assert_eq!(top.len(), 5 + errors.len());
    assert_eq!(&full[..5], &top[..5]);
    assert_eq!(errors, top[5..].iter().collect::<Vec<_>>());
}

#[test]
fn plan_explains_its_numbers() {
    let out = gridscore(&[
        "plan",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("CPU threads (bound by"), "{text}");
    assert!(text.contains("programs per chunk (bound by"));
    let out = gridscore(&[
        "plan",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
        "--json",
    ]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["cpu_threads"].as_u64().unwrap() >= 1);
    assert!(v["devices"][0]["bound_by"].is_string());
    assert!(v["host"]["available_memory_bytes"].as_u64().unwrap() > 0);
}

#[test]
fn table_counts_every_candidate_also_with_top() {
    let out = gridscore(&[
        "score",
        "assets/tasks/mirror.json",
        "-c",
        "assets/candidates.txt",
        "--format",
        "table",
        "--top",
        "2",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with(
            "task mirror: 28 candidates, 25 scored (23 distinct programs), 3 parse errors"
        ),
        "{text}"
    );
}

#[test]
fn search_solves_every_asset_task_and_writes_a_submission() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("submission.json");
    let rep = dir.path().join("report.jsonl");
    // The tasks made by chains (the composed one, rain, would have the
    // whole depth 3 enumerated in a debug build looking for a chain;
    // tests/search.rs solves it at depth 2).
    let chains = dir.path().join("tasks");
    std::fs::create_dir(&chains).unwrap();
    for (id, program, _) in gridscore::assets::KNOWN {
        if !program.starts_with("overlay") {
            let f = format!("{id}.json");
            std::fs::copy(Path::new("assets/tasks").join(&f), chains.join(&f)).unwrap();
        }
    }
    let out = gridscore(&[
        "search",
        chains.to_str().unwrap(),
        "--depth",
        "3",
        "--first",
        "--device",
        "cpu",
        "--out",
        sub.to_str().unwrap(),
        "--report",
        rep.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_str(&std::fs::read_to_string(&sub).unwrap()).unwrap();
    let tasks = gridscore::task::load_tasks(&chains, None).unwrap();
    assert_eq!(tasks.len(), gridscore::assets::KNOWN.len() - 1);
    assert_eq!(s.as_object().unwrap().len(), tasks.len());
    for t in &tasks {
        let attempts = s[&t.id].as_array().unwrap();
        assert_eq!(attempts.len(), t.test.len());
        let want = serde_json::to_value(t.test[0].output.as_ref().unwrap()).unwrap();
        assert_eq!(
            attempts[0]["attempt_1"], want,
            "{}: attempt 1 is the known program's output",
            t.id
        );
        assert!(attempts[0]["attempt_2"].is_array());
    }
    let rows: Vec<Value> = std::fs::read_to_string(&rep)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), tasks.len());
    for r in &rows {
        for key in [
            "task",
            "solved_train",
            "test_correct",
            "programs",
            "candidates",
            "states",
            "wall_s",
        ] {
            assert!(r.get(key).is_some(), "report lacks {key}");
        }
        assert_eq!(r["solved_train"], true, "{}", r["task"]);
        assert_eq!(r["test_correct"], true, "{}", r["task"]);
    }
    let bad = gridscore(&["search", "no-such-dir"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `selfcheck` compares every GPU outcome with the CPU's on random programs
/// and writes its report; without a GPU adapter it is a usage error.
#[test]
fn selfcheck_compares_gpu_and_cpu_or_says_there_is_no_gpu() {
    let dir = tempfile::tempdir().unwrap();
    let json = dir.path().join("check.json");
    let o = gridscore(&[
        "selfcheck",
        "assets/tasks/mirror.json",
        "-n",
        "40",
        "--v1",
        "--json",
        json.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() == Some(2) {
        assert!(err.contains("GPU"), "{err}");
        assert!(!json.exists());
        return;
    }
    assert_eq!(o.status.code(), Some(0), "{err}");
    let v: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).unwrap()).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["mismatches"], 0);
    let t = &v["tasks"][0];
    assert_eq!(t["task"], "mirror");
    assert_eq!(t["programs"], 40);
    assert_eq!(t["masks_compared"], 40);
    assert!(t["devices"][0]["evaluations"].as_u64().unwrap() == 40 * t["pairs"].as_u64().unwrap());
}
