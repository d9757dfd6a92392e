//! Merging shard outputs (see [`crate::shard`]) into exactly what one run
//! writes: score rankings (JSON Lines rows), ARC Prize submissions
//! (`{task_id: attempts}`) and search reports (one JSON line per task).
//!
//! Rankings are re-ranked with the order of `DSL.md` (more exact pairs,
//! higher score, fewer ops, earlier candidate); `duplicate_of` points again
//! at the first candidate with the same program over all shards, and
//! predictions stay on the best `predictions` rows only. Every shard's rows
//! are kept whole (unknown fields included), so fields added to the rows
//! later pass through unchanged. Tasks come out sorted by id, the order of a
//! run over a directory or a combined file.

use serde_json::{Map, Value};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

/// Why shard outputs could not be merged.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: line {line}: {message}", path.display())]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{} holds {found}, the files before it {expected}: merge outputs of one kind at a time", path.display())]
    Mixed {
        path: PathBuf,
        expected: Kind,
        found: Kind,
    },
    #[error("task {task}: candidate {index} is in two shard outputs (was a shard given twice?)")]
    DuplicateRow { task: String, index: u64 },
    #[error("task {task} is in two shard outputs (was a shard given twice?)")]
    DuplicateTask { task: String },
    #[error("task {task}: candidates {missing} are in no shard output (is a shard missing?)")]
    Missing { task: String, missing: String },
    #[error("task {task}: candidate {id} ranks among the best {k} but its shard wrote no predictions (run every shard with the same --predictions, or merge with a smaller one)")]
    MissingPredictions { task: String, id: String, k: usize },
    #[error("row {row}: {message}")]
    BadRow { row: usize, message: String },
}

/// What a shard output holds.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Kind {
    /// `gridscore score --format jsonl` rows.
    Rankings,
    /// A `gridscore search --out` submission.
    Submission,
    /// A `gridscore search --report` file.
    Report,
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kind::Rankings => "score rows",
            Kind::Submission => "a submission",
            Kind::Report => "search report lines",
        })
    }
}

/// How rankings are merged: the `--top` and `--predictions` the shards
/// were run with.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct MergeOptions {
    /// Keep the best `top` rows per task (the shards must have kept at
    /// least as many).
    pub top: Option<usize>,
    /// Rows that carry their test predictions (the CLI's default is 10).
    pub predictions: usize,
}

impl Default for MergeOptions {
    fn default() -> Self {
        MergeOptions {
            top: None,
            predictions: 10,
        }
    }
}

/// One shard output, parsed.
#[derive(Clone, Debug, PartialEq)]
pub enum ShardOutput {
    /// An empty file (a shard with no work writes one).
    Empty,
    Rankings(Vec<Value>),
    Submission(Map<String, Value>),
    Report(Vec<Value>),
}

impl ShardOutput {
    /// Its kind (`None` when empty).
    pub fn kind(&self) -> Option<Kind> {
        match self {
            ShardOutput::Empty => None,
            ShardOutput::Rankings(_) => Some(Kind::Rankings),
            ShardOutput::Submission(_) => Some(Kind::Submission),
            ShardOutput::Report(_) => Some(Kind::Report),
        }
    }
}

/// Parses a shard output, telling its kind from its content: one JSON
/// object of arrays is a submission, JSON Lines with `rank` and `index` are
/// score rows, JSON Lines with `solved_train` a search report.
pub fn parse_output(text: &str, path: &Path) -> Result<ShardOutput, MergeError> {
    if text.trim().is_empty() {
        return Ok(ShardOutput::Empty);
    }
    if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(text) {
        if m.values().all(Value::is_array) {
            return Ok(ShardOutput::Submission(m));
        }
    }
    let mut kind = None;
    let mut rows = Vec::new();
    for (k, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |message: String| MergeError::Line {
            path: path.to_path_buf(),
            line: k + 1,
            message,
        };
        let v: Value =
            serde_json::from_str(line).map_err(|e| bad(format!("not valid JSON: {e}")))?;
        let this = match &v {
            Value::Object(o) if o.contains_key("rank") && o.contains_key("index") => {
                Kind::Rankings
            }
            Value::Object(o) if o.contains_key("solved_train") && o.contains_key("task") => {
                Kind::Report
            }
            _ => {
                return Err(bad(
                    "not a gridscore output (expected a submission {task_id: attempts}, score rows in JSON Lines, or search report lines)".into(),
                ))
            }
        };
        match kind {
            None => kind = Some(this),
            Some(k) if k != this => {
                return Err(bad(format!("{this} after {k}")));
            }
            Some(_) => {}
        }
        rows.push(v);
    }
    Ok(match kind {
        Some(Kind::Rankings) => ShardOutput::Rankings(rows),
        Some(Kind::Report) => ShardOutput::Report(rows),
        _ => ShardOutput::Empty,
    })
}

/// Merged output, ready to write.
#[derive(Clone, Debug, PartialEq)]
pub struct Merged {
    /// What was merged (`None`: only empty files).
    pub kind: Option<Kind>,
    /// The file's text: JSON Lines, or one JSON object for a submission.
    pub text: String,
}

/// Reads and merges shard output files (all of one kind).
pub fn merge_files(paths: &[PathBuf], opts: &MergeOptions) -> Result<Merged, MergeError> {
    let mut outputs = Vec::new();
    let mut kind: Option<Kind> = None;
    for p in paths {
        let text = std::fs::read_to_string(p).map_err(|source| MergeError::Io {
            path: p.clone(),
            source,
        })?;
        let out = parse_output(&text, p)?;
        if let Some(found) = out.kind() {
            match kind {
                Some(expected) if expected != found => {
                    return Err(MergeError::Mixed {
                        path: p.clone(),
                        expected,
                        found,
                    })
                }
                _ => kind = Some(found),
            }
        }
        outputs.push(out);
    }
    let lines = |rows: Vec<Value>| {
        rows.iter()
            .map(|r| format!("{r}\n"))
            .collect::<Vec<_>>()
            .concat()
    };
    let text = match kind {
        None => String::new(),
        Some(Kind::Submission) => {
            let maps = outputs.into_iter().filter_map(|o| match o {
                ShardOutput::Submission(m) => Some(m),
                _ => None,
            });
            Value::Object(merge_submissions(maps)?).to_string()
        }
        Some(Kind::Rankings) => {
            let shards = outputs.into_iter().filter_map(|o| match o {
                ShardOutput::Rankings(r) => Some(r),
                _ => None,
            });
            lines(merge_rankings(shards, opts)?)
        }
        Some(Kind::Report) => {
            let shards = outputs.into_iter().filter_map(|o| match o {
                ShardOutput::Report(r) => Some(r),
                _ => None,
            });
            lines(merge_reports(shards)?)
        }
    };
    Ok(Merged { kind, text })
}

/// Merges submissions: every task once, sorted by task id.
pub fn merge_submissions(
    shards: impl IntoIterator<Item = Map<String, Value>>,
) -> Result<Map<String, Value>, MergeError> {
    let mut all: BTreeMap<String, Value> = BTreeMap::new();
    for m in shards {
        for (task, v) in m {
            if all.contains_key(&task) {
                return Err(MergeError::DuplicateTask { task });
            }
            all.insert(task, v);
        }
    }
    Ok(all.into_iter().collect())
}

/// Merges search reports: one line per task, sorted by task id.
pub fn merge_reports(
    shards: impl IntoIterator<Item = Vec<Value>>,
) -> Result<Vec<Value>, MergeError> {
    let mut all: BTreeMap<String, Value> = BTreeMap::new();
    for (row, v) in shards.into_iter().flatten().enumerate() {
        let task = v
            .get("task")
            .and_then(Value::as_str)
            .ok_or_else(|| MergeError::BadRow {
                row,
                message: "no `task` string".into(),
            })?
            .to_string();
        if all.contains_key(&task) {
            return Err(MergeError::DuplicateTask { task });
        }
        all.insert(task, v);
    }
    Ok(all.into_values().collect())
}

/// A row with the fields that merging reads.
type Row = (RowInfo, Map<String, Value>);

/// The fields of a row that merging reads.
struct RowInfo {
    exact: u64,
    score: u64,
    ops: u64,
    index: u64,
    ranked: bool,
    status: String,
    program: String,
    id: String,
}

fn info(row: usize, r: &Map<String, Value>) -> Result<RowInfo, MergeError> {
    let bad = |message: String| MergeError::BadRow { row, message };
    let num = |k: &str| {
        r.get(k)
            .and_then(Value::as_u64)
            .ok_or_else(|| bad(format!("no `{k}` number (not a gridscore score row?)")))
    };
    let text = |k: &str| {
        r.get(k)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| bad(format!("no `{k}` string (not a gridscore score row?)")))
    };
    let ranked = match r.get("rank") {
        Some(Value::Null) => false,
        Some(v) if v.is_u64() => true,
        _ => return Err(bad("no `rank` (not a gridscore score row?)".into())),
    };
    Ok(RowInfo {
        exact: num("exact")?,
        score: num("score")?,
        ops: num("ops")?,
        index: num("index")?,
        ranked,
        status: text("status")?,
        program: text("program")?,
        id: text("id")?,
    })
}

/// Merges score rows (each shard's rows in any order) into the rows one
/// run writes: tasks sorted by id, each task's rows ranked, then the
/// unranked ones (parse errors, candidates not run) by index.
pub fn merge_rankings(
    shards: impl IntoIterator<Item = Vec<Value>>,
    opts: &MergeOptions,
) -> Result<Vec<Value>, MergeError> {
    let mut by_task: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for (row, v) in shards.into_iter().flatten().enumerate() {
        let Value::Object(m) = v else {
            return Err(MergeError::BadRow {
                row,
                message: "not a JSON object".into(),
            });
        };
        let task = m
            .get("task")
            .and_then(Value::as_str)
            .ok_or_else(|| MergeError::BadRow {
                row,
                message: "no `task` string (not a gridscore score row?)".into(),
            })?
            .to_string();
        let i = info(row, &m)?;
        by_task.entry(task).or_default().push((i, m));
    }
    let mut out = Vec::new();
    for (task, rows) in by_task {
        out.extend(
            merge_task(&task, rows, opts)?
                .into_iter()
                .map(Value::Object),
        );
    }
    Ok(out)
}

fn merge_task(
    task: &str,
    mut rows: Vec<Row>,
    opts: &MergeOptions,
) -> Result<Vec<Map<String, Value>>, MergeError> {
    rows.sort_by_key(|(i, _)| i.index);
    for w in rows.windows(2) {
        if w[0].0.index == w[1].0.index {
            return Err(MergeError::DuplicateRow {
                task: task.to_string(),
                index: w[0].0.index,
            });
        }
    }
    if opts.top.is_none() {
        // A full run reports every candidate: indices 0..n.
        let present: HashSet<u64> = rows.iter().map(|(i, _)| i.index).collect();
        let n = rows.last().map_or(0, |(i, _)| i.index + 1);
        let missing: Vec<u64> = (0..n).filter(|k| !present.contains(k)).collect();
        if !missing.is_empty() {
            let mut list: Vec<String> = missing.iter().take(5).map(u64::to_string).collect();
            if missing.len() > 5 {
                list.push(format!("... ({} in all)", missing.len()));
            }
            return Err(MergeError::Missing {
                task: task.to_string(),
                missing: list.join(", "),
            });
        }
    }
    // The first candidate (lowest index) of each program, over all shards.
    let mut first: HashMap<String, (u64, String)> = HashMap::new();
    for (i, _) in &rows {
        if i.status != "parse_error" {
            first
                .entry(i.program.clone())
                .or_insert_with(|| (i.index, i.id.clone()));
        }
    }
    for (i, m) in &mut rows {
        if i.status != "parse_error" {
            let (fi, fid) = &first[&i.program];
            let dup = if *fi == i.index {
                Value::Null
            } else {
                Value::String(fid.clone())
            };
            m.insert("duplicate_of".into(), dup);
        }
    }
    let any_not_run = rows.iter().any(|(i, _)| i.status == "not_run");
    let (mut ranked, mut unranked): (Vec<_>, Vec<_>) =
        rows.into_iter().partition(|(i, _)| i.ranked);
    ranked.sort_by_key(|(i, _)| (Reverse(i.exact), Reverse(i.score), i.ops, i.index));
    let keep = opts.predictions.min(opts.top.unwrap_or(usize::MAX));
    for (k, (i, m)) in ranked.iter_mut().enumerate() {
        m.insert("rank".into(), Value::from(k + 1));
        if k < keep && !any_not_run {
            if !m.contains_key("predictions") {
                return Err(MergeError::MissingPredictions {
                    task: task.to_string(),
                    id: i.id.clone(),
                    k: keep,
                });
            }
        } else {
            m.shift_remove("predictions");
        }
    }
    let Some(n) = opts.top else {
        return Ok(ranked.into_iter().chain(unranked).map(|(_, m)| m).collect());
    };
    // A --top run lists its N best rows, then every parse error, then up to
    // N candidates not run (`engine::rows::rows`).
    unranked.sort_by_key(|(i, _)| i.index);
    let (errors, not_run): (Vec<_>, Vec<_>) = unranked
        .into_iter()
        .partition(|(i, _)| i.status == "parse_error");
    Ok(ranked
        .into_iter()
        .take(n)
        .chain(errors)
        .chain(not_run.into_iter().take(n))
        .map(|(_, m)| m)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn row(task: &str, index: u64, id: &str, program: &str, exact: u64, score: u64) -> Value {
        json!({"rank": 1, "id": id, "program": program, "status": "ok", "error": null,
               "exact": exact, "pairs": 2, "score": score, "duplicate_of": null,
               "predictions": [[[1]]], "ops": 1, "index": index, "line": index + 1, "task": task})
    }

    #[test]
    fn rankings_rerank_and_relabel_duplicates() {
        let a = vec![
            row("t", 0, "a", "rot90", 1, 500),
            row("t", 2, "c", "flip_h", 2, 2000),
        ];
        let b = vec![
            row("t", 1, "b", "flip_h", 2, 2000),
            json!({"rank": null, "id": "d", "program": "bogus", "status": "parse_error",
                   "error": "line 4: unknown op", "exact": 0, "pairs": 2, "score": 0,
                   "duplicate_of": null, "ops": 0, "index": 3, "line": 4, "task": "t"}),
        ];
        let opts = MergeOptions {
            top: None,
            predictions: 1,
        };
        let m = merge_rankings(vec![a.clone(), b.clone()], &opts).unwrap();
        let ids: Vec<&str> = m.iter().map(|r| r["id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["b", "c", "a", "d"]);
        assert_eq!(m[1]["duplicate_of"], "b");
        assert_eq!(m[1]["rank"], 2);
        assert!(m[0].get("predictions").is_some());
        assert!(m[1].get("predictions").is_none());
        // Key order is kept when predictions are dropped.
        let keys: Vec<&String> = m[1].as_object().unwrap().keys().collect();
        assert_eq!(keys.last().unwrap().as_str(), "task");
        assert_eq!(keys[keys.len() - 2].as_str(), "line");
        // The same shard twice, a missing shard.
        let e = merge_rankings(vec![a.clone(), a.clone()], &opts).unwrap_err();
        assert!(
            matches!(e, MergeError::DuplicateRow { index: 0, .. }),
            "{e}"
        );
        let e = merge_rankings(vec![a.clone()], &opts).unwrap_err();
        assert_eq!(
            e.to_string(),
            "task t: candidates 1 are in no shard output (is a shard missing?)"
        );
        // With --top the missing rows are expected.
        let top = MergeOptions {
            top: Some(1),
            predictions: 10,
        };
        let m = merge_rankings(vec![a], &top).unwrap();
        assert_eq!(m.len(), 1);
        assert_eq!(m[0]["id"], "c");
    }

    #[test]
    fn kinds_are_told_apart() {
        let p = Path::new("x");
        assert_eq!(parse_output("\n", p).unwrap(), ShardOutput::Empty);
        let sub = r#"{"t":[{"attempt_1":[[1]],"attempt_2":[[0]]}]}"#;
        assert_eq!(parse_output(sub, p).unwrap().kind(), Some(Kind::Submission));
        let one = row("t", 0, "a", "rot90", 1, 1).to_string();
        assert_eq!(parse_output(&one, p).unwrap().kind(), Some(Kind::Rankings));
        let rep = r#"{"task":"t","solved_train":true,"programs":["rot90"]}"#;
        assert_eq!(parse_output(rep, p).unwrap().kind(), Some(Kind::Report));
        let e = parse_output(&format!("{one}\n{rep}\n"), p).unwrap_err();
        assert_eq!(
            e.to_string(),
            "x: line 2: search report lines after score rows"
        );
        let e = parse_output("[1, 2]", p).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("x: line 1: not a gridscore output"),
            "{e}"
        );
        let s1: Map<String, Value> = serde_json::from_str(r#"{"b":[],"a":[]}"#).unwrap();
        let s2: Map<String, Value> = serde_json::from_str(r#"{"c":[]}"#).unwrap();
        let m = merge_submissions(vec![s1.clone(), s2]).unwrap();
        assert_eq!(Value::Object(m).to_string(), r#"{"a":[],"b":[],"c":[]}"#);
        let e = merge_submissions(vec![s1.clone(), s1]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "task b is in two shard outputs (was a shard given twice?)"
        );
    }
}
