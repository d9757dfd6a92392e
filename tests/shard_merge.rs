//! Job arrays: `--shard I/N` runs merged by `gridscore merge` give exactly
//! the bytes one run writes (score rows, submissions), on the bundled
//! assets.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn gridscore(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridscore"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn ok(out: Output) -> Output {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).to_string_lossy().into_owned()
}

/// Runs `args` once with `--out full`, and as `n` shards merged with
/// `merge_args`; returns (single run, merged) bytes.
fn single_and_merged(
    dir: &Path,
    tag: &str,
    args: &[&str],
    n: usize,
    merge_args: &[&str],
) -> (Vec<u8>, Vec<u8>) {
    let full = path(dir, &format!("{tag}-full"));
    ok(gridscore(&[args, &["--out", &full]].concat()));
    let mut shards: Vec<String> = Vec::new();
    for i in 1..=n {
        let p = path(dir, &format!("{tag}-{i}"));
        let shard = format!("{i}/{n}");
        ok(gridscore(
            &[args, &["--shard", &shard, "--out", &p]].concat(),
        ));
        shards.push(p);
    }
    let merged = path(dir, &format!("{tag}-merged"));
    let mut m: Vec<&str> = vec!["merge"];
    // Shards in any order.
    m.extend(shards.iter().rev().map(String::as_str));
    m.extend(merge_args);
    m.extend(["--out", &merged]);
    ok(gridscore(&m));
    (
        std::fs::read(&full).unwrap(),
        std::fs::read(&merged).unwrap(),
    )
}

/// Random candidates (many duplicates, so `duplicate_of` crosses shards)
/// and a few that do not parse.
fn candidates(dir: &Path) -> PathBuf {
    let out = ok(gridscore(&[
        "random-programs",
        "-n",
        "3000",
        "--max-ops",
        "2",
        "--seed",
        "7",
    ]));
    let mut text = String::from_utf8(out.stdout).unwrap();
    text.push_str("bad: flip_hh\n# a comment\nupscale 0 1\nnamed: flip_h\n");
    let p = dir.join("cands.txt");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn score_shards_of_one_task_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let c = candidates(dir.path());
    let c = c.to_str().unwrap();
    let base = [
        "score",
        "assets/tasks/mirror.json",
        "-c",
        c,
        "--device",
        "cpu",
        "--format",
        "jsonl",
    ];
    let (full, merged) = single_and_merged(dir.path(), "all", &base, 4, &[]);
    assert_eq!(full.iter().filter(|&&b| b == b'\n').count(), 3003);
    assert!(String::from_utf8_lossy(&full).contains("\"duplicate_of\":\""));
    assert!(full == merged, "merged rows differ from the single run");
    // --top streams; the merge needs the same --top and --predictions.
    let top = [&base[..], &["--top", "25", "--predictions", "3"]].concat();
    let (full, merged) = single_and_merged(
        dir.path(),
        "top",
        &top,
        3,
        &["--top", "25", "--predictions", "3"],
    );
    // The 25 best, then every line that does not parse.
    let errors = String::from_utf8_lossy(&full)
        .matches("\"parse_error\"")
        .count();
    assert!(errors > 0);
    assert_eq!(full.iter().filter(|&&b| b == b'\n').count(), 25 + errors);
    assert!(
        full == merged,
        "merged --top rows differ from the single run"
    );
}

#[test]
fn score_shards_of_a_directory_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "score",
        "assets/tasks",
        "-c",
        "assets/candidates.txt",
        "--device",
        "cpu",
        "--format",
        "jsonl",
    ];
    let (full, merged) = single_and_merged(dir.path(), "dir", &base, 3, &[]);
    assert!(full == merged);
    // More shards than tasks: the extra ones write empty files.
    let (full, merged) = single_and_merged(dir.path(), "many", &base, 10, &[]);
    assert!(full == merged);
    assert_eq!(std::fs::read(dir.path().join("many-10")).unwrap(), b"");
}

#[test]
fn search_shards_merge_to_the_single_run() {
    let dir = tempfile::tempdir().unwrap();
    // Depth 1 keeps it fast in a debug build (merging does not care).
    let base = [
        "search",
        "assets/tasks",
        "--device",
        "cpu",
        "--quiet",
        "--depth",
        "1",
    ];
    let run = |tag: &str, shard: Option<String>| -> (String, String) {
        let (sub, rep) = (
            path(dir.path(), &format!("sub-{tag}")),
            path(dir.path(), &format!("rep-{tag}")),
        );
        let mut args = base.to_vec();
        args.extend(["--out", &sub, "--report", &rep]);
        if let Some(s) = &shard {
            args.extend(["--shard", s]);
        }
        ok(gridscore(&args));
        (sub, rep)
    };
    let (full_sub, full_rep) = run("full", None);
    let shards: Vec<(String, String)> = (1..=3)
        .map(|i| run(&i.to_string(), Some(format!("{i}/3"))))
        .collect();
    let merge = |files: Vec<&str>| ok(gridscore(&[&["merge"], &files[..]].concat())).stdout;
    let full = std::fs::read(&full_sub).unwrap();
    let sub: serde_json::Value = serde_json::from_slice(&full).unwrap();
    assert_eq!(sub.as_object().unwrap().len(), 9);
    let merged = merge(shards.iter().rev().map(|s| s.0.as_str()).collect());
    assert!(
        full == merged,
        "merged submission differs from the single run"
    );
    // Reports: the same lines but for the timings.
    let strip = |bytes: &[u8]| -> Vec<serde_json::Value> {
        String::from_utf8_lossy(bytes)
            .lines()
            .map(|l| {
                let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("wall_s");
                // The process's peak memory differs from run to run.
                v.as_object_mut().unwrap().remove("peak_rss_bytes");
                for d in v["depths"].as_array_mut().unwrap() {
                    d.as_object_mut().unwrap().remove("ms");
                }
                v
            })
            .collect()
    };
    let merged = merge(shards.iter().map(|s| s.1.as_str()).collect());
    let full = strip(&std::fs::read(&full_rep).unwrap());
    assert_eq!(full.len(), 9);
    assert_eq!(strip(&merged), full);
}

#[test]
fn merge_refuses_inconsistent_shards() {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for i in 1..=3 {
        let p = path(dir.path(), &format!("s{i}.jsonl"));
        let shard = format!("{i}/3");
        ok(gridscore(&[
            "score",
            "assets/tasks/mirror.json",
            "-c",
            "assets/candidates.txt",
            "--device",
            "cpu",
            "--shard",
            &shard,
            "--out",
            &p,
        ]));
        files.push(p);
    }
    let fail = |args: &[&str], want: &str| {
        let out = gridscore(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
        if args[0] == "merge" {
            assert_eq!(err.lines().count(), 1, "{err}");
        }
    };
    fail(
        &["merge", &files[0], &files[1], &files[0]],
        "candidate 0 is in two shard outputs (was a shard given twice?)",
    );
    fail(
        &["merge", &files[0], &files[2]],
        "are in no shard output (is a shard missing?)",
    );
    let sub = path(dir.path(), "sub.json");
    std::fs::write(&sub, r#"{"t":[{"attempt_1":[[1]],"attempt_2":[[2]]}]}"#).unwrap();
    fail(
        &["merge", &files[0], &sub],
        "holds a submission, the files before it score rows",
    );
    fail(
        &["merge", "Cargo.toml"],
        "Cargo.toml: line 1: not valid JSON",
    );
    fail(&["merge", "no/such/file"], "no/such/file: cannot read");
    fail(
        &[
            "score",
            "assets/tasks/mirror.json",
            "-c",
            "assets/candidates.txt",
            "--shard",
            "4/3",
        ],
        "shard 4/3: I must be between 1 and N",
    );
    fail(
        &["search", "assets/tasks", "--shard", "x"],
        "`x` is not a shard: expected I/N",
    );
    // The out file is written whole or not at all.
    let out = path(dir.path(), "merged.jsonl");
    ok(gridscore(&[
        "merge", &files[0], &files[1], &files[2], "--out", &out,
    ]));
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 28);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty());
}
