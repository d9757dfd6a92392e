//! Task I/O (`DSL.md`, "Grids"): single task files, directories, Kaggle
//! combined challenges + solutions files, and one test per kind of bad
//! grid or file. Errors must name the file, the task, the pair and the row.

use gridscore::task::{load_tasks, TaskError};
use gridscore::Grid;
use std::path::{Path, PathBuf};

fn g(rows: &[&[u8]]) -> Grid {
    Grid::from_rows(rows).unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

const TASK: &str = r#"{
  "train": [
    {"input": [[1, 2], [3, 4]], "output": [[4, 3], [2, 1]]},
    {"input": [[5]], "output": [[5]]}
  ],
  "test": [
    {"input": [[7, 8, 9]]},
    {"input": [[0]], "output": [[1]]}
  ]
}"#;

#[test]
fn single_task_file() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "abc123.json", TASK);
    let tasks = load_tasks(&p, None).unwrap();
    assert_eq!(tasks.len(), 1);
    let t = &tasks[0];
    assert_eq!(t.id, "abc123");
    assert_eq!(t.train.len(), 2);
    assert_eq!(t.train[0].input, g(&[&[1, 2], &[3, 4]]));
    assert_eq!(t.train[0].output, g(&[&[4, 3], &[2, 1]]));
    assert_eq!(t.train[1].input, g(&[&[5]]));
    assert_eq!(t.test.len(), 2);
    // A test pair without output gives predictions only.
    assert_eq!(t.test[0].input, g(&[&[7, 8, 9]]));
    assert_eq!(t.test[0].output, None);
    assert_eq!(t.test[1].output, Some(g(&[&[1]])));
    assert_eq!(t.num_pairs(), 4);
}

#[test]
fn directory_ids_are_file_stems_sorted() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "zeta.json", TASK);
    write(dir.path(), "alpha.json", TASK);
    write(dir.path(), "mid.json", TASK);
    write(dir.path(), "notes.txt", "not a task");
    let tasks = load_tasks(dir.path(), None).unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["alpha", "mid", "zeta"]);
    assert!(tasks.iter().all(|t| t.train.len() == 2));
}

#[test]
fn empty_directory_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_tasks(dir.path(), None).unwrap_err().to_string();
    assert!(e.contains(&dir.path().display().to_string()), "{e}");
}

#[test]
fn kaggle_combined_challenges_and_solutions() {
    let dir = tempfile::tempdir().unwrap();
    let ch = write(
        dir.path(),
        "challenges.json",
        r#"{
  "t2": {"train": [{"input": [[1]], "output": [[2]]}],
         "test": [{"input": [[3]]}, {"input": [[4, 4]]}]},
  "t1": {"train": [{"input": [[5]], "output": [[6]]}],
         "test": [{"input": [[7]]}]}
}"#,
    );
    let sol = write(
        dir.path(),
        "solutions.json",
        r#"{"t1": [[[8]]], "t2": [[[9]], [[1, 2]]]}"#,
    );
    // Without solutions: no test outputs.
    let tasks = load_tasks(&ch, None).unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["t1", "t2"]);
    assert!(tasks
        .iter()
        .all(|t| t.test.iter().all(|p| p.output.is_none())));
    // With solutions: filled in by task id.
    let tasks = load_tasks(&ch, Some(&sol)).unwrap();
    assert_eq!(tasks[0].id, "t1");
    assert_eq!(tasks[0].train[0].input, g(&[&[5]]));
    assert_eq!(tasks[0].test[0].output, Some(g(&[&[8]])));
    assert_eq!(tasks[1].test[0].input, g(&[&[3]]));
    assert_eq!(tasks[1].test[0].output, Some(g(&[&[9]])));
    assert_eq!(tasks[1].test[1].input, g(&[&[4, 4]]));
    assert_eq!(tasks[1].test[1].output, Some(g(&[&[1, 2]])));
}

#[test]
fn solutions_count_mismatch() {
    let dir = tempfile::tempdir().unwrap();
    let ch = write(
        dir.path(),
        "challenges.json",
        r#"{"t1": {"train": [{"input": [[5]], "output": [[6]]}],
                  "test": [{"input": [[7]]}, {"input": [[7]]}]}}"#,
    );
    let sol = write(dir.path(), "solutions.json", r#"{"t1": [[[8]]]}"#);
    let e = load_tasks(&ch, Some(&sol)).unwrap_err().to_string();
    assert!(e.contains("solutions.json"), "{e}");
    assert!(e.contains("t1"), "{e}");
    assert!(e.contains('1') && e.contains('2'), "{e}");
}

#[test]
fn bad_grid_in_solutions_names_the_test_output() {
    let dir = tempfile::tempdir().unwrap();
    let ch = write(
        dir.path(),
        "challenges.json",
        r#"{"t1": {"train": [{"input": [[5]], "output": [[6]]}],
                  "test": [{"input": [[7]]}]}}"#,
    );
    let sol = write(dir.path(), "solutions.json", r#"{"t1": [[[8], [1, 2]]]}"#);
    let e = load_tasks(&ch, Some(&sol)).unwrap_err().to_string();
    for part in ["solutions.json", "t1", "test[0].output", "row 1"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

/// A task file whose `train[1].input` is `grid`; returns the error text.
fn bad_grid_error(grid: &str) -> (String, TaskError) {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        r#"{{"train": [{{"input": [[1]], "output": [[1]]}},
                      {{"input": {grid}, "output": [[1]]}}],
            "test": [{{"input": [[1]]}}]}}"#
    );
    let p = write(dir.path(), "badtask.json", &text);
    let e = load_tasks(&p, None).expect_err(grid);
    (e.to_string(), e)
}

/// The error names the file, the task, the pair and (where there is one)
/// the row.
#[track_caller]
fn assert_names(e: &str, row: Option<usize>, what: &str) {
    for part in ["badtask.json", "task badtask", "train[1].input", what] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
    if let Some(r) = row {
        assert!(e.contains(&format!("row {r}")), "`{e}` lacks row {r}");
    }
}

#[test]
fn bad_grid_ragged_rows() {
    let (e, _) = bad_grid_error("[[1, 2], [3]]");
    assert_names(&e, Some(1), "ragged");
}

#[test]
fn bad_grid_empty_row() {
    let (e, _) = bad_grid_error("[[1, 2], []]");
    assert_names(&e, Some(1), "empty");
    let (e, _) = bad_grid_error("[[]]");
    assert_names(&e, Some(0), "empty");
}

#[test]
fn bad_grid_no_rows() {
    let (e, _) = bad_grid_error("[]");
    assert_names(&e, None, "no rows");
    // No placeholder for the missing row.
    assert!(!e.contains("row -"), "{e}");
}

#[test]
fn bad_grid_color_10() {
    let (e, _) = bad_grid_error("[[1, 2], [3, 10]]");
    assert_names(&e, Some(1), "10");
    assert!(e.contains("column 1"), "{e}");
}

#[test]
fn bad_grid_color_minus_1() {
    let (e, _) = bad_grid_error("[[1, -1]]");
    assert_names(&e, Some(0), "-1");
}

#[test]
fn bad_grid_float() {
    let (e, _) = bad_grid_error("[[1, 2], [1.0, 2]]");
    assert_names(&e, Some(1), "1.0");
}

#[test]
fn bad_grid_bool() {
    let (e, _) = bad_grid_error("[[1], [2], [true]]");
    assert_names(&e, Some(2), "true");
}

#[test]
fn bad_grid_string_and_null_cells() {
    let (e, _) = bad_grid_error(r#"[["1"]]"#);
    assert_names(&e, Some(0), "not a color");
    let (e, _) = bad_grid_error("[[null]]");
    assert_names(&e, Some(0), "not a color");
}

#[test]
fn bad_grid_not_an_array() {
    let (e, _) = bad_grid_error("[1, 2]");
    assert_names(&e, Some(0), "not an array");
    let (e, _) = bad_grid_error("7");
    assert_names(&e, None, "not an array");
}

#[test]
fn bad_grid_31_rows() {
    let rows = vec!["[0]"; 31].join(",");
    let (e, _) = bad_grid_error(&format!("[{rows}]"));
    // The row named is the first one beyond the limit.
    assert_names(&e, Some(30), "31 rows");
    // 30 rows are fine.
    let dir = tempfile::tempdir().unwrap();
    let rows30 = vec!["[0]"; 30].join(",");
    let p = write(
        dir.path(),
        "ok.json",
        &format!(r#"{{"train": [{{"input": [{rows30}], "output": [[1]]}}], "test": []}}"#),
    );
    assert_eq!(load_tasks(&p, None).unwrap()[0].train[0].input.h(), 30);
}

#[test]
fn bad_grid_31_columns() {
    let row = vec!["0"; 31].join(",");
    let (e, _) = bad_grid_error(&format!("[[1], [{row}]]"));
    assert_names(&e, Some(1), "31");
}

#[test]
fn bad_output_grid_names_the_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "t.json",
        r#"{"train": [{"input": [[1]], "output": [[1, 2], [3]]}], "test": [{"input": [[1]], "output": [[12]]}]}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["t.json", "task t", "train[0].output", "row 1"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
    let p = write(
        dir.path(),
        "u.json",
        r#"{"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]], "output": [[12]]}]}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["u.json", "task u", "test[0].output", "row 0", "12"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn bad_grid_in_combined_file_names_the_task_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "challenges.json",
        r#"{"good": {"train": [{"input": [[1]], "output": [[1]]}], "test": []},
            "bad42": {"train": [{"input": [[1]], "output": [[1]]}],
                      "test": [{"input": [[1, 2], [3, 11]]}]}}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in [
        "challenges.json",
        "task bad42",
        "test[0].input",
        "row 1",
        "11",
    ] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn bad_file_in_directory_names_that_file() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", TASK);
    write(
        dir.path(),
        "b.json",
        r#"{"train": [{"input": [[1, 2, 3]], "output": [[1], [2, 3]]}], "test": []}"#,
    );
    let e = load_tasks(dir.path(), None).unwrap_err().to_string();
    for part in ["b.json", "task b", "train[0].output", "row 1"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn missing_train() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "notrain.json",
        r#"{"test": [{"input": [[1]]}]}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["notrain.json", "task notrain", "train"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn missing_input() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "noinput.json",
        r#"{"train": [{"input": [[1]], "output": [[1]]}, {"output": [[1]]}], "test": []}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["noinput.json", "task noinput", "train[1]", "input"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
    // A test pair needs an input too.
    let p = write(
        dir.path(),
        "notestinput.json",
        r#"{"train": [{"input": [[1]], "output": [[1]]}], "test": [{"output": [[1]]}]}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["notestinput.json", "test[0]", "input"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn missing_train_output() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "noout.json",
        r#"{"train": [{"input": [[1]]}], "test": []}"#,
    );
    let e = load_tasks(&p, None).unwrap_err().to_string();
    for part in ["noout.json", "task noout", "train[0]", "output"] {
        assert!(e.contains(part), "`{e}` lacks `{part}`");
    }
}

#[test]
fn not_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "broken.json", "{\"train\": [");
    let e = load_tasks(&p, None).unwrap_err();
    assert!(matches!(e, TaskError::Json { .. }), "{e}");
    let e = e.to_string();
    assert!(e.contains("broken.json") && e.contains("JSON"), "{e}");
    // A bad solutions file is named too.
    let ok = write(dir.path(), "ok.json", TASK);
    let sol = write(dir.path(), "sol.json", "nope");
    let e = load_tasks(&ok, Some(&sol)).unwrap_err().to_string();
    assert!(e.contains("sol.json"), "{e}");
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    let e = load_tasks(&dir.path().join("absent.json"), None)
        .unwrap_err()
        .to_string();
    assert!(e.contains("absent.json"), "{e}");
}

#[test]
fn bad_grids_never_panic() {
    // A sweep of malformed grids: each is an error, none panics.
    for grid in [
        "[[]]",
        "[]",
        "{}",
        "null",
        "[[1],[2,3]]",
        "[[1,2],[3]]",
        "[[1e0]]",
        "[[1.5]]",
        "[[-0.0]]",
        "[[18446744073709551616]]",
        "[[-9223372036854775809]]",
        "[[\"\"]]",
        "[[[1]]]",
        "[[{}]]",
        "[[1], null]",
    ] {
        let (e, _) = bad_grid_error(grid);
        assert!(
            e.contains("badtask.json") && e.contains("train[1]") && e.contains("input"),
            "{grid}: {e}"
        );
    }
}

/// DSL.md does not say in which order a directory's tasks come; we pin the
/// natural reading of "task id = file stem, sorted": sorted by task id,
/// the same order as the keys of a combined file (`a` < `a-b` < `a0`),
/// not by full file name (where `a-b.json` < `a.json` because `-` < `.`).
#[test]
fn directory_sorted_by_task_id_pinned() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a0.json", "a.json", "a-b.json", "B.json"] {
        write(dir.path(), name, TASK);
    }
    let tasks = load_tasks(dir.path(), None).unwrap();
    let ids: Vec<&str> = tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["B", "a", "a-b", "a0"]);
}

// ---- Hostile input (issue 11): bounded memory, partial loads, encodings.

#[test]
fn huge_grid_is_refused_at_its_31st_row_without_building_the_rest() {
    // One 1000x1000 grid (about 2 MB of JSON): refused at its first row,
    // whose length is counted by skipping the cells, not by keeping them.
    let row = format!("[{}]", vec!["1"; 1000].join(","));
    let rows = vec![row.as_str(); 1000].join(",");
    let (e, _) = bad_grid_error(&format!("[{rows}]"));
    assert_names(&e, Some(0), "1000 cells");
    // A grid of 100000 one-cell rows: its exact height is reported.
    let rows = vec!["[1]"; 100_000].join(",");
    let (e, _) = bad_grid_error(&format!("[{rows}]"));
    assert_names(&e, Some(30), "100000 rows");
    // A single row of a million cells.
    let (e, _) = bad_grid_error(&format!("[[{}]]", vec!["0"; 1_000_000].join(",")));
    assert_names(&e, Some(0), "1000000 cells");
}

#[test]
fn byte_order_mark_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bom.json");
    std::fs::write(&p, [b"\xef\xbb\xbf".as_slice(), TASK.as_bytes()].concat()).unwrap();
    let tasks = load_tasks(&p, None).unwrap();
    assert_eq!(tasks[0].id, "bom");
    assert_eq!(tasks[0].train.len(), 2);
}

#[test]
fn duplicate_keys_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, what) in [
        (
            "twotrain.json",
            r#"{"train": [{"input": [[1]], "output": [[1]]}], "train": [], "test": []}"#,
            "duplicate key `train`",
        ),
        (
            "twoinput.json",
            r#"{"train": [{"input": [[1]], "input": [[2]], "output": [[1]]}], "test": []}"#,
            "duplicate key `input`",
        ),
    ] {
        let p = write(dir.path(), name, text);
        let e = load_tasks(&p, None).unwrap_err().to_string();
        assert!(e.contains(what) && e.contains(name), "{e}");
    }
}

#[test]
fn one_bad_file_or_task_does_not_sink_the_others() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.json", TASK);
    write(
        dir.path(),
        "b.json",
        r#"{"train": [{"input": [[1, 2], [3]], "output": [[1]]}], "test": []}"#,
    );
    write(dir.path(), "c.json", "{\"train\": ");
    write(dir.path(), "d.json", TASK);
    let l = gridscore::task::load_all(&[dir.path().to_path_buf()], None);
    let ids: Vec<&str> = l.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["a", "d"]);
    assert_eq!(l.errors.len(), 2);
    assert!(l.errors[0].to_string().contains("b.json"));
    assert!(matches!(l.errors[1], TaskError::Json { .. }));
    // A combined file: the bad task is reported, the good ones load.
    let p = write(
        dir.path(),
        "combined.json",
        r#"{"ok1": {"train": [{"input": [[1]], "output": [[1]]}], "test": []},
            "bad": {"train": [{"input": [[1, 99]], "output": [[1]]}], "test": []},
            "ok2": {"train": [{"input": [[2]], "output": [[2]]}], "test": [{"input": [[3]]}]}}"#,
    );
    let l = gridscore::task::load_all(&[p], None);
    let ids: Vec<&str> = l.tasks.iter().map(|t| t.id.as_str()).collect();
    assert_eq!(ids, ["ok1", "ok2"]);
    assert_eq!(l.errors.len(), 1);
    let e = l.errors[0].to_string();
    assert!(
        e.contains("task bad") && e.contains("99") && e.contains("combined.json"),
        "{e}"
    );
    assert_eq!(l.errors[0].task(), Some("bad"));
}

#[test]
fn duplicate_task_ids_are_never_silent() {
    let dir = tempfile::tempdir().unwrap();
    let same = r#"{"train": [{"input": [[1]], "output": [[1]]}], "test": []}"#;
    let other = r#"{"train": [{"input": [[2]], "output": [[2]]}], "test": []}"#;
    // The same id twice in a combined file.
    let p = write(
        dir.path(),
        "c.json",
        &format!(r#"{{"x": {same}, "x": {other}}}"#),
    );
    let l = gridscore::task::load_all(std::slice::from_ref(&p), None);
    assert_eq!(l.tasks.len(), 1);
    assert_eq!(
        l.tasks[0].train[0].input,
        g(&[&[1]]),
        "the first one is kept"
    );
    assert!(matches!(&l.errors[..], [TaskError::DuplicateTask { id, .. }] if id == "x"));
    // The same task given twice (a file and a directory holding it): a
    // warning, loaded once.
    let sub = dir.path().join("d");
    std::fs::create_dir(&sub).unwrap();
    let a = write(&sub, "a.json", same);
    let l = gridscore::task::load_all(&[a, sub.clone()], None);
    assert_eq!(l.tasks.len(), 1);
    assert!(l.errors.is_empty());
    assert_eq!(l.warnings.len(), 1);
    assert!(
        l.warnings[0].to_string().contains("identical"),
        "{}",
        l.warnings[0]
    );
}

#[test]
fn solutions_for_unknown_or_missing_tasks_are_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let ch = write(
        dir.path(),
        "ch.json",
        r#"{"t1": {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]},
            "t2": {"train": [{"input": [[1]], "output": [[1]]}], "test": [{"input": [[1]]}]}}"#,
    );
    let sol = write(dir.path(), "sol.json", r#"{"t1": [[[2]]], "zz": [[[3]]]}"#);
    let l = gridscore::task::load_all(&[ch], Some(&sol));
    assert!(l.errors.is_empty());
    assert_eq!(l.tasks[0].test[0].output, Some(g(&[&[2]])));
    let w: Vec<String> = l.warnings.iter().map(|w| w.to_string()).collect();
    assert!(
        w.iter()
            .any(|w| w.contains("zz") && w.contains("no loaded task")),
        "{w:?}"
    );
    assert!(
        w.iter()
            .any(|w| w.contains("no solutions") && w.contains("t2")),
        "{w:?}"
    );
}

#[test]
fn oversized_and_binary_files_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    // A sparse file just over the limit: refused from its size, unread.
    let p = dir.path().join("big.json");
    let f = std::fs::File::create(&p).unwrap();
    f.set_len(gridscore::task::MAX_FILE_BYTES + 1).unwrap();
    let e = load_tasks(&p, None).unwrap_err();
    assert!(matches!(e, TaskError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("MiB"), "{e}");
    #[cfg(target_os = "linux")]
    {
        let t0 = std::time::Instant::now();
        let e = load_tasks(Path::new("/dev/zero"), None).unwrap_err();
        assert!(matches!(e, TaskError::Binary { offset: 0, .. }), "{e}");
        assert!(t0.elapsed().as_secs() < 2);
    }
    let p = dir.path().join("latin1.json");
    std::fs::write(&p, b"{\"train\": \"\xe9\"}").unwrap();
    let e = load_tasks(&p, None).unwrap_err();
    assert!(matches!(e, TaskError::NotUtf8 { offset: 11, .. }), "{e}");
}

#[cfg(unix)]
#[test]
fn invalid_utf8_file_names_give_escaped_ids() {
    use std::os::unix::ffi::OsStrExt;
    let dir = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"t\xff.json");
    let p = dir.path().join(name);
    if std::fs::write(&p, TASK).is_err() {
        return; // a filesystem that refuses such names has nothing to test
    }
    let tasks = load_tasks(dir.path(), None).unwrap();
    assert_eq!(tasks[0].id, "t\\xff");
}
