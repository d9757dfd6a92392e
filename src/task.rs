//! ARC tasks in: one task file, a directory of task files, or a Kaggle-style
//! combined challenges file with an optional solutions file.
//!
//! Every grid is validated (`DSL.md`, "Grids"); an error names the file, the
//! task, the pair, the row and what is wrong.
//!
//! Reading is bounded: a file is size-checked ([`MAX_FILE_BYTES`]) and
//! parsed streaming, so a grid is refused as soon as a dimension passes 30
//! (the rest is skipped, not built), and a load holds at most
//! [`MAX_GRIDS`] grids. A bad file or a bad task in a combined file is an
//! error of its own; [`load_all`] keeps the others.

use crate::grid::{Grid, GridError, MAX_DIM, NUM_COLORS};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;
use std::borrow::Cow;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// A train pair.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pair {
    pub input: Grid,
    pub output: Grid,
}

/// A test pair; the output may be unknown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestPair {
    pub input: Grid,
    pub output: Option<Grid>,
}

/// One task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Task {
    /// Task id: the file stem, or the key in a combined file.
    pub id: String,
    pub train: Vec<Pair>,
    pub test: Vec<TestPair>,
}

impl Task {
    /// Every input, train then test.
    pub fn inputs(&self) -> impl Iterator<Item = &Grid> {
        self.train
            .iter()
            .map(|p| &p.input)
            .chain(self.test.iter().map(|p| &p.input))
    }
    /// Every expected output (train, then test where known).
    pub fn expected(&self) -> impl Iterator<Item = Option<&Grid>> {
        self.train
            .iter()
            .map(|p| Some(&p.output))
            .chain(self.test.iter().map(|p| p.output.as_ref()))
    }
    /// Expected sizes, for scoring.
    pub fn expected_sizes(&self) -> crate::score::Expected {
        crate::score::Expected {
            train: self
                .train
                .iter()
                .map(|p| (p.output.h(), p.output.w()))
                .collect(),
            test: self
                .test
                .iter()
                .map(|p| p.output.as_ref().map(|o| (o.h(), o.w())))
                .collect(),
        }
    }
    /// Number of pairs, train and test.
    pub fn num_pairs(&self) -> usize {
        self.train.len() + self.test.len()
    }
}

/// Where in a task a problem is.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Location {
    pub task: Option<String>,
    /// e.g. `train[2].input`.
    pub pair: Option<String>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(t) = &self.task {
            write!(f, "task {t}")?;
        }
        if let Some(p) = &self.pair {
            if self.task.is_some() {
                f.write_str(", ")?;
            }
            f.write_str(p)?;
        }
        Ok(())
    }
}

/// Largest task, combined or solutions file read (bytes).
pub const MAX_FILE_BYTES: u64 = 128 << 20;
/// Most grids held in memory by one load (every file and task of it): a
/// grid takes 902 bytes whatever its size, so this bounds a load to about
/// 225 MB even for a file of tiny grids.
pub const MAX_GRIDS: usize = 250_000;
/// Longest task id (bytes).
pub const MAX_ID_BYTES: usize = 256;

/// Why tasks could not be read.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{}: cannot read: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not valid JSON: {source}", path.display())]
    Json {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{}: {at}: {message}", path.display())]
    Format {
        path: PathBuf,
        at: Location,
        message: String,
    },
    #[error("{}: {at}{}: {source}", path.display(), source.row().map_or(String::new(), |r| format!(", row {r}")))]
    Grid {
        path: PathBuf,
        at: Location,
        #[source]
        source: GridError,
    },
    #[error("{}: no task files (*.json) in this directory", path.display())]
    EmptyDir { path: PathBuf },
    #[error("{}: {} bytes, above the limit of {} MiB on task files", path.display(), size.map_or("more than that".to_string(), |s| s.to_string()), MAX_FILE_BYTES >> 20)]
    TooLarge { path: PathBuf, size: Option<u64> },
    #[error("{}: not a text file (a NUL byte at offset {offset})", path.display())]
    Binary { path: PathBuf, offset: u64 },
    #[error("{}: not UTF-8 text (invalid byte at offset {offset})", path.display())]
    NotUtf8 { path: PathBuf, offset: usize },
    #[error("{}: more than {MAX_GRIDS} grids in this load (the limit that bounds memory): this task and the rest of the file are not loaded", path.display())]
    TooManyGrids { path: PathBuf },
    #[error("{}: task {id}: the same task id as in {} (with different content); this one is skipped", path.display(), first.display())]
    DuplicateTask {
        path: PathBuf,
        id: String,
        first: PathBuf,
    },
}

impl TaskError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            TaskError::Io { path, .. }
            | TaskError::Json { path, .. }
            | TaskError::Format { path, .. }
            | TaskError::Grid { path, .. }
            | TaskError::EmptyDir { path }
            | TaskError::TooLarge { path, .. }
            | TaskError::Binary { path, .. }
            | TaskError::NotUtf8 { path, .. }
            | TaskError::TooManyGrids { path }
            | TaskError::DuplicateTask { path, .. } => path,
        }
    }
    /// The task the error is about, where one is known.
    pub fn task(&self) -> Option<&str> {
        match self {
            TaskError::Format { at, .. } | TaskError::Grid { at, .. } => at.task.as_deref(),
            TaskError::DuplicateTask { id, .. } => Some(id),
            _ => None,
        }
    }
}

/// Something worth saying about the input that does not stop any task.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoadWarning {
    #[error("{}: task {id}: the same task as in {} (identical); loaded once", path.display(), first.display())]
    DuplicateTask {
        path: PathBuf,
        id: String,
        first: PathBuf,
    },
    #[error("{}: solutions for {} task id(s) that no loaded task has: {}", path.display(), ids.len(), list(ids))]
    UnknownSolutions { path: PathBuf, ids: Vec<String> },
    #[error("{}: no solutions for {} task(s): {}", path.display(), ids.len(), list(ids))]
    MissingSolutions { path: PathBuf, ids: Vec<String> },
}

fn list(ids: &[String]) -> String {
    let mut s: Vec<&str> = ids.iter().take(8).map(String::as_str).collect();
    let more;
    if ids.len() > 8 {
        more = format!("and {} more", ids.len() - 8);
        s.push(&more);
    }
    s.join(", ")
}

/// What a load produced: the tasks that are fine, an error for each file or
/// task that is not (the others are still loaded), and warnings.
#[derive(Debug, Default)]
pub struct Loaded {
    pub tasks: Vec<Task>,
    pub errors: Vec<TaskError>,
    pub warnings: Vec<LoadWarning>,
}

/// Loads tasks from a task file, a directory of task files, or a combined
/// challenges file; `solutions` (a combined solutions file) fills in test
/// outputs by task id. Fails on the first problem; see [`load_all`] for a
/// load that keeps every good task and reports each bad one.
pub fn load_tasks(path: &Path, solutions: Option<&Path>) -> Result<Vec<Task>, TaskError> {
    let loaded = load_all(&[path.to_path_buf()], solutions);
    match loaded.errors.into_iter().next() {
        Some(e) => Err(e),
        None => Ok(loaded.tasks),
    }
}

/// Loads every task of `paths` (task files, directories, combined files):
/// a bad file or a bad task is an error of its own and the others are
/// kept; a task id seen twice keeps the first (a warning when the two are
/// identical, an error when they differ).
pub fn load_all(paths: &[PathBuf], solutions: Option<&Path>) -> Loaded {
    let mut out = Loaded::default();
    let grids = Cell::new(0usize);
    let mut first_seen: HashMap<String, (usize, PathBuf)> = HashMap::new();
    for path in paths {
        let mut found: Vec<(PathBuf, Result<Task, TaskError>)> = Vec::new();
        if path.is_dir() {
            match dir_files(path) {
                Ok(files) => {
                    for f in files {
                        load_file(&f, &grids, &mut found);
                    }
                }
                Err(e) => out.errors.push(e),
            }
        } else {
            load_file(path, &grids, &mut found);
        }
        for (file, r) in found {
            match r {
                Ok(task) => match first_seen.get(&task.id) {
                    Some((k, first)) => {
                        if out.tasks[*k] == task {
                            out.warnings.push(LoadWarning::DuplicateTask {
                                path: file,
                                id: task.id,
                                first: first.clone(),
                            });
                        } else {
                            out.errors.push(TaskError::DuplicateTask {
                                path: file,
                                id: task.id,
                                first: first.clone(),
                            });
                        }
                    }
                    None => {
                        first_seen.insert(task.id.clone(), (out.tasks.len(), file));
                        out.tasks.push(task);
                    }
                },
                Err(e) => out.errors.push(e),
            }
        }
    }
    if let Some(sol) = solutions {
        apply_solutions(&mut out, sol);
    }
    out
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(crate::text::os_str)
        .unwrap_or_else(|| "task".into())
}

/// Reads a JSON file: size-checked, NUL bytes refused, BOM skipped, UTF-8.
fn read_text(path: &Path) -> Result<String, TaskError> {
    let bytes = match crate::io::read_limited(path, MAX_FILE_BYTES, true) {
        Ok(b) => b,
        Err(crate::io::ReadError::Io(source)) => {
            return Err(TaskError::Io {
                path: path.to_path_buf(),
                source,
            })
        }
        Err(crate::io::ReadError::TooLarge { size, .. }) => {
            return Err(TaskError::TooLarge {
                path: path.to_path_buf(),
                size,
            })
        }
        Err(crate::io::ReadError::Binary { offset }) => {
            return Err(TaskError::Binary {
                path: path.to_path_buf(),
                offset,
            })
        }
    };
    let bom = if bytes.starts_with(crate::text::BOM) {
        3
    } else {
        0
    };
    let mut bytes = bytes;
    bytes.drain(..bom);
    String::from_utf8(bytes).map_err(|e| TaskError::NotUtf8 {
        path: path.to_path_buf(),
        offset: e.utf8_error().valid_up_to() + bom,
    })
}

fn dir_files(dir: &Path) -> Result<Vec<PathBuf>, TaskError> {
    let io = |source| TaskError::Io {
        path: dir.to_path_buf(),
        source,
    };
    let mut files: Vec<PathBuf> = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.is_file() && p.extension().is_some_and(|e| e == "json") {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(TaskError::EmptyDir {
            path: dir.to_path_buf(),
        });
    }
    // Sorted by task id (the file stem), like the keys of a combined file.
    files.sort_by_cached_key(|p| stem(p));
    Ok(files)
}

/// Loads one file (a task or a combined file) into `found`.
fn load_file(
    path: &Path,
    grids: &Cell<usize>,
    found: &mut Vec<(PathBuf, Result<Task, TaskError>)>,
) {
    match read_text(path) {
        Ok(text) => load_text(&text, path, grids, found),
        Err(e) => found.push((path.to_path_buf(), Err(e))),
    }
}

/// Loads the tasks of one file's text (a task or a combined file).
fn load_text(
    text: &str,
    path: &Path,
    grids: &Cell<usize>,
    found: &mut Vec<(PathBuf, Result<Task, TaskError>)>,
) {
    let mut push = |r| found.push((path.to_path_buf(), r));
    let entries = match top_level(text) {
        Ok(e) => e,
        Err(source) => {
            return push(Err(TaskError::Json {
                path: path.to_path_buf(),
                source,
            }))
        }
    };
    let Some(entries) = entries else {
        return push(Err(TaskError::Format {
            path: path.to_path_buf(),
            at: Location::default(),
            message: "expected a task object ({\"train\": [...], \"test\": [...]}) or a combined file ({task_id: task})".into(),
        }));
    };
    if entries.keys.iter().any(|k| k == "train" || k == "test") {
        return push(parse_task(text, path, &stem(path), grids));
    }
    if entries.keys.is_empty() {
        return push(Err(TaskError::Format {
            path: path.to_path_buf(),
            at: Location::default(),
            message: "the combined file holds no tasks".into(),
        }));
    }
    let mut order: Vec<usize> = (0..entries.keys.len()).collect();
    // Sorted by id; a repeated key keeps file order, so the first one wins.
    order.sort_by(|&a, &b| entries.keys[a].cmp(&entries.keys[b]).then(a.cmp(&b)));
    for k in order {
        let id = &entries.keys[k];
        let r = if id.len() > MAX_ID_BYTES || id.is_empty() {
            Err(TaskError::Format {
                path: path.to_path_buf(),
                at: Location {
                    task: Some(crate::text::quote(id)),
                    pair: None,
                },
                message: format!("a task id must have 1 to {MAX_ID_BYTES} bytes"),
            })
        } else {
            parse_task(entries.values[k].get(), path, id, grids)
        };
        push(r);
        if grids.get() > MAX_GRIDS {
            return;
        }
    }
}

/// The keys and raw values of a top-level object, in file order (`None`
/// when the JSON is valid but not an object).
struct TopLevel<'a> {
    keys: Vec<String>,
    values: Vec<&'a RawValue>,
}

fn top_level(text: &str) -> Result<Option<TopLevel<'_>>, serde_json::Error> {
    struct V;
    impl<'de> Visitor<'de> for V {
        type Value = Option<TopLevel<'de>>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
            let mut t = TopLevel {
                keys: Vec::new(),
                values: Vec::new(),
            };
            while let Some(k) = map.next_key::<Cow<'de, str>>()? {
                t.keys.push(k.into_owned());
                t.values.push(map.next_value::<&'de RawValue>()?);
            }
            Ok(Some(t))
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
    }
    let mut de = serde_json::Deserializer::from_str(text);
    let v = de.deserialize_any(V)?;
    de.end()?;
    Ok(v)
}

/// Loads the tasks of a file's bytes (a task or a combined file) as
/// [`load_all`] does for a file named `path` (for tests and fuzzing: no
/// solutions, no directory).
pub fn load_bytes(bytes: &[u8], path: &Path) -> Loaded {
    let mut found = Vec::new();
    let grids = Cell::new(0);
    let err = |e| Loaded {
        errors: vec![e],
        ..Loaded::default()
    };
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return err(TaskError::TooLarge {
            path: path.to_path_buf(),
            size: Some(bytes.len() as u64),
        });
    }
    if let Some(offset) = bytes.iter().position(|&b| b == 0) {
        return err(TaskError::Binary {
            path: path.to_path_buf(),
            offset: offset as u64,
        });
    }
    let bom = if bytes.starts_with(crate::text::BOM) {
        3
    } else {
        0
    };
    let text = match std::str::from_utf8(&bytes[bom..]) {
        Ok(t) => t,
        Err(e) => {
            return err(TaskError::NotUtf8 {
                path: path.to_path_buf(),
                offset: e.valid_up_to() + bom,
            })
        }
    };
    load_text(text, path, &grids, &mut found);
    let mut out = Loaded::default();
    for (_, r) in found {
        match r {
            Ok(t) => out.tasks.push(t),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

/// Parses one task from JSON text (a task object), streaming: grids are
/// checked as they are read, so a dimension over 30 is refused at its 31st
/// element without building the rest.
fn parse_task(text: &str, path: &Path, id: &str, grids: &Cell<usize>) -> Result<Task, TaskError> {
    let ctx = Ctx {
        problem: RefCell::new(None),
        at: RefCell::new(None),
        grids,
    };
    let mut de = serde_json::Deserializer::from_str(text);
    let r = TaskSeed { ctx: &ctx }
        .deserialize(&mut de)
        .and_then(|t| de.end().map(|_| t));
    let at = |pair: Option<String>| Location {
        task: Some(id.to_string()),
        pair,
    };
    match r {
        Ok((train, test)) => Ok(Task {
            id: id.to_string(),
            train,
            test,
        }),
        Err(e) => Err(match ctx.problem.into_inner() {
            Some(Problem::Grid { pair, source }) => TaskError::Grid {
                path: path.to_path_buf(),
                at: at(Some(pair)),
                source,
            },
            Some(Problem::Format { pair, message }) => TaskError::Format {
                path: path.to_path_buf(),
                at: at(pair),
                message,
            },
            Some(Problem::TooManyGrids) => TaskError::TooManyGrids {
                path: path.to_path_buf(),
            },
            None if e.classify() == serde_json::error::Category::Data => TaskError::Format {
                path: path.to_path_buf(),
                at: at(ctx.at.into_inner()),
                message: without_position(&e),
            },
            None => TaskError::Json {
                path: path.to_path_buf(),
                source: e,
            },
        }),
    }
}

/// Parses a task object from a JSON value (it is written out and read back
/// with the streaming parser, so the checks are the same).
pub fn task_from_json(v: &Value, path: &Path, id: &str) -> Result<Task, TaskError> {
    parse_task(&v.to_string(), path, id, &Cell::new(0))
}

fn without_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    let tail = format!(" at line {} column {}", e.line(), e.column());
    s.strip_suffix(&tail).map_or(s.clone(), str::to_string)
}

/// A structured problem found inside the deserializer (the serde error that
/// stops it carries no structure).
enum Problem {
    Grid {
        pair: String,
        source: GridError,
    },
    Format {
        pair: Option<String>,
        message: String,
    },
    TooManyGrids,
}

struct Ctx<'a> {
    problem: RefCell<Option<Problem>>,
    /// Where the parser is (e.g. `train[2].input`), for serde's own errors.
    at: RefCell<Option<String>>,
    grids: &'a Cell<usize>,
}

impl Ctx<'_> {
    fn fail<E: de::Error>(&self, p: Problem) -> E {
        let msg = match &p {
            Problem::Grid { source, .. } => source.to_string(),
            Problem::Format { message, .. } => message.clone(),
            Problem::TooManyGrids => "too many grids".into(),
        };
        *self.problem.borrow_mut() = Some(p);
        E::custom(msg)
    }
    fn format<E: de::Error>(&self, pair: Option<String>, message: impl Into<String>) -> E {
        self.fail(Problem::Format {
            pair,
            message: message.into(),
        })
    }
}

struct TaskSeed<'c, 'g> {
    ctx: &'c Ctx<'g>,
}

type TaskParts = (Vec<Pair>, Vec<TestPair>);

impl<'de> DeserializeSeed<'de> for TaskSeed<'_, '_> {
    type Value = TaskParts;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<TaskParts, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TaskSeed<'_, '_> {
    type Value = TaskParts;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a task: a JSON object with `train` and `test`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TaskParts, A::Error> {
        let ctx = self.ctx;
        let mut train: Option<Vec<Pair>> = None;
        let mut test: Option<Vec<TestPair>> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "train" | "test" => {
                    let is_train = key == "train";
                    if (is_train && train.is_some()) || (!is_train && test.is_some()) {
                        return Err(ctx
                            .format(None, format!("duplicate key `{key}` (which one is meant?)")));
                    }
                    let pairs = map.next_value_seed(PairsSeed {
                        ctx,
                        train: is_train,
                    })?;
                    if is_train {
                        train = Some(
                            pairs
                                .into_iter()
                                .map(|(input, output)| Pair {
                                    input,
                                    output: output.expect("train outputs are required"),
                                })
                                .collect(),
                        );
                    } else {
                        test = Some(
                            pairs
                                .into_iter()
                                .map(|(input, output)| TestPair { input, output })
                                .collect(),
                        );
                    }
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        let Some(train) = train else {
            return Err(ctx.format(None, "the task has no `train`"));
        };
        if train.is_empty() {
            return Err(ctx.format(None, "the task has no train pairs"));
        }
        let Some(test) = test else {
            return Err(ctx.format(None, "the task has no `test`"));
        };
        Ok((train, test))
    }
}

/// `train` or `test`: an array of pairs.
struct PairsSeed<'c, 'g> {
    ctx: &'c Ctx<'g>,
    train: bool,
}

type RawPair = (Grid, Option<Grid>);

impl<'de> DeserializeSeed<'de> for PairsSeed<'_, '_> {
    type Value = Vec<RawPair>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for PairsSeed<'_, '_> {
    type Value = Vec<RawPair>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(
            f,
            "`{}` to be an array of pairs",
            if self.train { "train" } else { "test" }
        )
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let name = format!(
                "{}[{}]",
                if self.train { "train" } else { "test" },
                out.len()
            );
            *self.ctx.at.borrow_mut() = Some(name.clone());
            match seq.next_element_seed(PairSeed {
                ctx: self.ctx,
                name,
                train: self.train,
            })? {
                Some(p) => out.push(p),
                None => break,
            }
        }
        *self.ctx.at.borrow_mut() = None;
        Ok(out)
    }
}

struct PairSeed<'c, 'g> {
    ctx: &'c Ctx<'g>,
    name: String,
    train: bool,
}

impl<'de> DeserializeSeed<'de> for PairSeed<'_, '_> {
    type Value = RawPair;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawPair, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PairSeed<'_, '_> {
    type Value = RawPair;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a pair: an object with `input` and `output`")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawPair, A::Error> {
        let ctx = self.ctx;
        let mut input: Option<Option<Grid>> = None;
        let mut output: Option<Option<Grid>> = None;
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            let slot = match key.as_ref() {
                "input" => &mut input,
                "output" => &mut output,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
            };
            if slot.is_some() {
                return Err(ctx.format(
                    Some(self.name.clone()),
                    format!("duplicate key `{key}` (which one is meant?)"),
                ));
            }
            let name = format!("{}.{key}", self.name);
            *ctx.at.borrow_mut() = Some(name.clone());
            *slot = Some(map.next_value_seed(OptGridSeed { ctx, name })?);
            *ctx.at.borrow_mut() = Some(self.name.clone());
        }
        let Some(Some(input)) = input else {
            return Err(ctx.format(Some(self.name), "the pair has no `input`"));
        };
        let output = output.flatten();
        if self.train && output.is_none() {
            return Err(ctx.format(Some(self.name), "the pair has no `output`"));
        }
        Ok((input, output))
    }
}

/// A grid or `null`.
struct OptGridSeed<'c, 'g> {
    ctx: &'c Ctx<'g>,
    name: String,
}

impl<'de> DeserializeSeed<'de> for OptGridSeed<'_, '_> {
    type Value = Option<Grid>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Option<Grid>, D::Error> {
        d.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for OptGridSeed<'_, '_> {
    type Value = Option<Grid>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a grid or null")
    }
    fn visit_none<E: de::Error>(self) -> Result<Option<Grid>, E> {
        Ok(None)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Option<Grid>, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Option<Grid>, D::Error> {
        let ctx = self.ctx;
        let name = self.name;
        let n = ctx.grids.get() + 1;
        ctx.grids.set(n);
        if n > MAX_GRIDS {
            return Err(ctx.fail(Problem::TooManyGrids));
        }
        GridSeed.deserialize(d).map(Some).map_err(|e| match e {
            GridOrSerde::Grid(source) => ctx.fail(Problem::Grid { pair: name, source }),
            GridOrSerde::Serde(e) => e,
        })
    }
}

/// Parses one grid from JSON text, streaming (see `parse_task`).
pub fn grid_from_str(text: &str) -> Result<Grid, GridError> {
    let mut de = serde_json::Deserializer::from_str(text);
    match GridSeed.deserialize(&mut de) {
        Ok(g) => de.end().map(|_| g).map_err(|e| GridError::NotAGrid {
            found: format!("trailing text ({e})"),
        }),
        Err(GridOrSerde::Grid(e)) => Err(e),
        Err(GridOrSerde::Serde(e)) => Err(GridError::NotAGrid {
            found: format!("invalid JSON ({e})"),
        }),
    }
}

/// The error of a grid seed: a grid rule broken, or the deserializer's own.
enum GridOrSerde<E> {
    Grid(GridError),
    Serde(E),
}

/// One grid, checked as it is read: the error is a broken grid rule
/// ([`GridError`]) or the deserializer's own.
struct GridSeed;

impl GridSeed {
    fn deserialize<'de, D: Deserializer<'de>>(self, d: D) -> Result<Grid, GridOrSerde<D::Error>> {
        let slot: RefCell<Option<GridError>> = RefCell::new(None);
        let r = d.deserialize_any(GridVisitor { slot: &slot });
        match (r, slot.into_inner()) {
            (Ok(g), _) => Ok(g),
            (Err(_), Some(g)) => Err(GridOrSerde::Grid(g)),
            (Err(e), None) => Err(GridOrSerde::Serde(e)),
        }
    }
}

fn grid_fail<E: de::Error>(slot: &RefCell<Option<GridError>>, e: GridError) -> E {
    let msg = e.to_string();
    *slot.borrow_mut() = Some(e);
    E::custom(msg)
}

/// A string found where a grid, a row or a cell was expected, quoted short
/// (at most 36 characters of it).
fn quoted(s: &str) -> String {
    serde_json::to_string(&crate::text::prefix(s, 36)).unwrap_or_default()
}

fn number_text(v: f64) -> String {
    serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string())
}

/// Implements the scalar visits of a visitor by failing with
/// `$fail(found_text)`.
macro_rules! reject_scalars {
    ($fail:expr) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, if v { "true" } else { "false" }.to_string()))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, v.to_string()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, v.to_string()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, number_text(v)))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, quoted(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            let f = $fail;
            Err(f(self, "null".to_string()))
        }
        fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<Self::Value, A::Error> {
            let f = $fail;
            Err(f(self, "{...}".to_string()))
        }
    };
}

struct GridVisitor<'s> {
    slot: &'s RefCell<Option<GridError>>,
}

impl<'de> Visitor<'de> for GridVisitor<'_> {
    type Value = Grid;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a grid: an array of rows")
    }
    reject_scalars!(|s: Self, found| grid_fail(s.slot, GridError::NotAGrid { found }));

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Grid, A::Error> {
        let mut rows = [[0u8; MAX_DIM]; MAX_DIM];
        let mut h = 0;
        let mut w = 0;
        loop {
            if h == MAX_DIM {
                // Count the rows beyond the limit without building them.
                let mut n = h;
                while seq.next_element::<IgnoredAny>()?.is_some() {
                    n += 1;
                }
                if n > MAX_DIM {
                    return Err(grid_fail(self.slot, GridError::TooManyRows(n)));
                }
                break;
            }
            let row = RowSeed {
                slot: self.slot,
                row: h,
                buf: &mut rows[h],
            };
            match seq.next_element_seed(row)? {
                None => break,
                Some(len) => {
                    if len == 0 {
                        return Err(grid_fail(self.slot, GridError::EmptyRow { row: h }));
                    }
                    if h == 0 {
                        w = len;
                    } else if len != w {
                        return Err(grid_fail(
                            self.slot,
                            GridError::Ragged {
                                row: h,
                                len,
                                expected: w,
                            },
                        ));
                    }
                    h += 1;
                }
            }
        }
        if h == 0 {
            return Err(grid_fail(self.slot, GridError::NoRows));
        }
        let refs: Vec<&[u8]> = rows[..h].iter().map(|r| &r[..w]).collect();
        Grid::from_rows(&refs).map_err(|e| grid_fail(self.slot, e))
    }
}

struct RowSeed<'s, 'b> {
    slot: &'s RefCell<Option<GridError>>,
    row: usize,
    buf: &'b mut [u8; MAX_DIM],
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = usize;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<usize, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = usize;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a row: an array of colors")
    }
    reject_scalars!(|s: Self, found| {
        let row = s.row;
        grid_fail(s.slot, GridError::NotARow { row, found })
    });

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<usize, A::Error> {
        let mut n = 0;
        while n < MAX_DIM {
            let cell = CellSeed {
                slot: self.slot,
                row: self.row,
                col: n,
            };
            match seq.next_element_seed(cell)? {
                Some(c) => {
                    self.buf[n] = c;
                    n += 1;
                }
                None => return Ok(n),
            }
        }
        // Count the cells beyond the limit without keeping them.
        let mut len = n;
        while seq.next_element::<IgnoredAny>()?.is_some() {
            len += 1;
        }
        if len > MAX_DIM {
            return Err(grid_fail(
                self.slot,
                GridError::RowTooLong { row: self.row, len },
            ));
        }
        Ok(n)
    }
}

struct CellSeed<'s> {
    slot: &'s RefCell<Option<GridError>>,
    row: usize,
    col: usize,
}

impl<'de> DeserializeSeed<'de> for CellSeed<'_> {
    type Value = u8;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u8, D::Error> {
        d.deserialize_any(self)
    }
}

impl CellSeed<'_> {
    fn bad<E: de::Error>(&self, value: String) -> E {
        grid_fail(
            self.slot,
            GridError::BadColor {
                row: self.row,
                col: self.col,
                value,
            },
        )
    }
}

impl<'de> Visitor<'de> for CellSeed<'_> {
    type Value = u8;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a color: an integer 0..=9")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u8, E> {
        if v < NUM_COLORS as u64 {
            Ok(v as u8)
        } else {
            Err(self.bad(v.to_string()))
        }
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u8, E> {
        if (0..NUM_COLORS as i64).contains(&v) {
            Ok(v as u8)
        } else {
            Err(self.bad(v.to_string()))
        }
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u8, E> {
        Err(self.bad(number_text(v)))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<u8, E> {
        Err(self.bad(v.to_string()))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u8, E> {
        Err(self.bad(quoted(v)))
    }
    fn visit_unit<E: de::Error>(self) -> Result<u8, E> {
        Err(self.bad("null".into()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, _: A) -> Result<u8, A::Error> {
        Err(self.bad("[...]".into()))
    }
    fn visit_map<A: MapAccess<'de>>(self, _: A) -> Result<u8, A::Error> {
        Err(self.bad("{...}".into()))
    }
}

fn apply_solutions(loaded: &mut Loaded, path: &Path) {
    let text = match read_text(path) {
        Ok(t) => t,
        Err(e) => return loaded.errors.push(e),
    };
    let fmt_err = |task: Option<&str>, pair: Option<String>, message: String| TaskError::Format {
        path: path.to_path_buf(),
        at: Location {
            task: task.map(str::to_string),
            pair,
        },
        message,
    };
    let entries = match top_level(&text) {
        Ok(Some(e)) => e,
        Ok(None) => {
            return loaded.errors.push(fmt_err(
                None,
                None,
                "a solutions file must be an object {task_id: [grid, ...]}".into(),
            ))
        }
        Err(source) => {
            return loaded.errors.push(TaskError::Json {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    let mut by_id: HashMap<&str, &RawValue> = HashMap::new();
    let mut dup: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for (k, v) in entries.keys.iter().zip(&entries.values) {
        if by_id.insert(k.as_str(), v).is_some() {
            dup.insert(k);
        }
    }
    let mut missing = Vec::new();
    for task in loaded.tasks.iter_mut() {
        if dup.contains(&task.id.as_str()) {
            loaded.errors.push(fmt_err(
                Some(&task.id),
                None,
                "duplicate key: the solutions file gives this task twice (which one is meant?); its test outputs are left unknown".into(),
            ));
            continue;
        }
        let Some(raw) = by_id.get(task.id.as_str()) else {
            missing.push(task.id.clone());
            continue;
        };
        match parse_solution(raw.get(), task.test.len()) {
            Ok(grids) => {
                for (t, g) in task.test.iter_mut().zip(grids) {
                    t.output = Some(g);
                }
            }
            Err(SolutionError::Grid(k, source)) => loaded.errors.push(TaskError::Grid {
                path: path.to_path_buf(),
                at: Location {
                    task: Some(task.id.clone()),
                    pair: Some(format!("test[{k}].output")),
                },
                source,
            }),
            Err(SolutionError::Other(m)) => {
                loaded.errors.push(fmt_err(Some(&task.id), None, m));
            }
        }
    }
    if !missing.is_empty() {
        loaded.warnings.push(LoadWarning::MissingSolutions {
            path: path.to_path_buf(),
            ids: missing,
        });
    }
    let known: std::collections::HashSet<&str> =
        loaded.tasks.iter().map(|t| t.id.as_str()).collect();
    let mut unknown: Vec<String> = by_id
        .keys()
        .filter(|k| !known.contains(*k))
        .map(|k| k.to_string())
        .collect();
    if !unknown.is_empty() {
        unknown.sort();
        loaded.warnings.push(LoadWarning::UnknownSolutions {
            path: path.to_path_buf(),
            ids: unknown,
        });
    }
}

enum SolutionError {
    Grid(usize, GridError),
    Other(String),
}

/// One task's solutions: an array of `ntest` grids.
fn parse_solution(text: &str, ntest: usize) -> Result<Vec<Grid>, SolutionError> {
    struct V<'s> {
        slot: &'s RefCell<Option<(usize, GridError)>>,
    }
    impl<'de> Visitor<'de> for V<'_> {
        type Value = Vec<Grid>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an array of grids")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Grid>, A::Error> {
            let mut out = Vec::new();
            loop {
                let k = out.len();
                if k > 10_000 {
                    return Err(de::Error::custom("more than 10000 solution grids"));
                }
                let slot = self.slot;
                let g = seq.next_element_seed(OneGrid(slot, k))?;
                match g {
                    Some(g) => out.push(g),
                    None => return Ok(out),
                }
            }
        }
    }
    struct OneGrid<'s>(&'s RefCell<Option<(usize, GridError)>>, usize);
    impl<'de> DeserializeSeed<'de> for OneGrid<'_> {
        type Value = Grid;
        fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Grid, D::Error> {
            GridSeed.deserialize(d).map_err(|e| match e {
                GridOrSerde::Grid(g) => {
                    let msg = g.to_string();
                    *self.0.borrow_mut() = Some((self.1, g));
                    de::Error::custom(msg)
                }
                GridOrSerde::Serde(e) => e,
            })
        }
    }
    let slot = RefCell::new(None);
    let mut de = serde_json::Deserializer::from_str(text);
    let r = de.deserialize_any(V { slot: &slot });
    let grids = match (r, slot.into_inner()) {
        (Ok(g), _) => g,
        (Err(_), Some((k, e))) => return Err(SolutionError::Grid(k, e)),
        (Err(e), None) => {
            return Err(SolutionError::Other(format!(
                "solutions must be an array of grids ({})",
                without_position(&e)
            )))
        }
    };
    if grids.len() != ntest {
        return Err(SolutionError::Other(format!(
            "{} solution grids for {} test inputs",
            grids.len(),
            ntest
        )));
    }
    Ok(grids)
}

/// Writes a task as JSON (for generated assets).
pub fn task_to_json(task: &Task) -> Value {
    let pair = |i: &Grid, o: Option<&Grid>| {
        let mut m = serde_json::Map::new();
        m.insert("input".into(), serde_json::to_value(i).expect("grid"));
        if let Some(o) = o {
            m.insert("output".into(), serde_json::to_value(o).expect("grid"));
        }
        Value::Object(m)
    };
    serde_json::json!({
        "train": task.train.iter().map(|p| pair(&p.input, Some(&p.output))).collect::<Vec<_>>(),
        "test": task.test.iter().map(|p| pair(&p.input, p.output.as_ref())).collect::<Vec<_>>(),
    })
}
