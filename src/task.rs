//! ARC tasks in: one task file, a directory of task files, or a Kaggle-style
//! combined challenges file with an optional solutions file.
//!
//! Every grid is validated (`DSL.md`, "Grids"); an error names the file, the
//! task, the pair, the row and what is wrong.

use crate::grid::{grid_from_json, Grid, GridError};
use serde_json::Value;
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
}

/// Loads tasks from a task file, a directory of task files, or a combined
/// challenges file; `solutions` (a combined solutions file) fills in test
/// outputs by task id.
pub fn load_tasks(path: &Path, solutions: Option<&Path>) -> Result<Vec<Task>, TaskError> {
    let mut tasks = if path.is_dir() {
        load_dir(path)?
    } else {
        let v = read_json(path)?;
        if is_single_task(&v) {
            vec![task_from_json(&v, path, &stem(path))?]
        } else {
            combined_from_json(&v, path)?
        }
    };
    if let Some(sol) = solutions {
        apply_solutions(&mut tasks, sol)?;
    }
    Ok(tasks)
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "task".into())
}

fn read_json(path: &Path) -> Result<Value, TaskError> {
    let text = std::fs::read_to_string(path).map_err(|source| TaskError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| TaskError::Json {
        path: path.to_path_buf(),
        source,
    })
}

fn is_single_task(v: &Value) -> bool {
    v.as_object()
        .is_some_and(|o| o.contains_key("train") || o.contains_key("test"))
}

fn load_dir(dir: &Path) -> Result<Vec<Task>, TaskError> {
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
    files
        .iter()
        .map(|p| {
            let v = read_json(p)?;
            task_from_json(&v, p, &stem(p))
        })
        .collect()
}

fn combined_from_json(v: &Value, path: &Path) -> Result<Vec<Task>, TaskError> {
    let Some(obj) = v.as_object() else {
        return Err(TaskError::Format {
            path: path.to_path_buf(),
            at: Location::default(),
            message: "expected a task object ({\"train\": [...], \"test\": [...]}) or a combined file ({task_id: task})".into(),
        });
    };
    if obj.is_empty() {
        return Err(TaskError::Format {
            path: path.to_path_buf(),
            at: Location::default(),
            message: "the combined file holds no tasks".into(),
        });
    }
    let mut ids: Vec<&String> = obj.keys().collect();
    ids.sort();
    ids.into_iter()
        .map(|id| task_from_json(&obj[id], path, id))
        .collect()
}

/// Parses one task object.
pub fn task_from_json(v: &Value, path: &Path, id: &str) -> Result<Task, TaskError> {
    let fmt_err = |pair: Option<String>, message: String| TaskError::Format {
        path: path.to_path_buf(),
        at: Location {
            task: Some(id.to_string()),
            pair,
        },
        message,
    };
    let Some(obj) = v.as_object() else {
        return Err(fmt_err(
            None,
            "a task must be a JSON object with `train` and `test`".into(),
        ));
    };
    let list = |key: &str| -> Result<Vec<Value>, TaskError> {
        match obj.get(key) {
            Some(Value::Array(a)) => Ok(a.clone()),
            Some(_) => Err(fmt_err(None, format!("`{key}` must be an array of pairs"))),
            None => Err(fmt_err(None, format!("the task has no `{key}`"))),
        }
    };
    let grid = |pair: &Value,
                name: String,
                key: &str,
                required: bool|
     -> Result<Option<Grid>, TaskError> {
        let Some(pobj) = pair.as_object() else {
            return Err(fmt_err(
                Some(name),
                "a pair must be an object with `input` and `output`".into(),
            ));
        };
        match pobj.get(key) {
            None | Some(Value::Null) if !required => Ok(None),
            None | Some(Value::Null) => {
                Err(fmt_err(Some(name), format!("the pair has no `{key}`")))
            }
            Some(g) => grid_from_json(g)
                .map(Some)
                .map_err(|source| TaskError::Grid {
                    path: path.to_path_buf(),
                    at: Location {
                        task: Some(id.to_string()),
                        pair: Some(format!("{name}.{key}")),
                    },
                    source,
                }),
        }
    };
    let train_v = list("train")?;
    if train_v.is_empty() {
        return Err(fmt_err(None, "the task has no train pairs".into()));
    }
    let mut train = Vec::with_capacity(train_v.len());
    for (k, p) in train_v.iter().enumerate() {
        let name = format!("train[{k}]");
        let input = grid(p, name.clone(), "input", true)?.expect("required");
        let output = grid(p, name, "output", true)?.expect("required");
        train.push(Pair { input, output });
    }
    let mut test = Vec::new();
    for (k, p) in list("test")?.iter().enumerate() {
        let name = format!("test[{k}]");
        let input = grid(p, name.clone(), "input", true)?.expect("required");
        let output = grid(p, name, "output", false)?;
        test.push(TestPair { input, output });
    }
    Ok(Task {
        id: id.to_string(),
        train,
        test,
    })
}

fn apply_solutions(tasks: &mut [Task], path: &Path) -> Result<(), TaskError> {
    let v = read_json(path)?;
    let fmt_err = |task: Option<&str>, pair: Option<String>, message: String| TaskError::Format {
        path: path.to_path_buf(),
        at: Location {
            task: task.map(str::to_string),
            pair,
        },
        message,
    };
    let Some(obj) = v.as_object() else {
        return Err(fmt_err(
            None,
            None,
            "a solutions file must be an object {task_id: [grid, ...]}".into(),
        ));
    };
    for task in tasks.iter_mut() {
        let Some(sol) = obj.get(&task.id) else {
            continue;
        };
        let Some(grids) = sol.as_array() else {
            return Err(fmt_err(
                Some(&task.id),
                None,
                "solutions must be an array of grids".into(),
            ));
        };
        if grids.len() != task.test.len() {
            return Err(fmt_err(
                Some(&task.id),
                None,
                format!(
                    "{} solution grids for {} test inputs",
                    grids.len(),
                    task.test.len()
                ),
            ));
        }
        for (k, g) in grids.iter().enumerate() {
            let grid = grid_from_json(g).map_err(|source| TaskError::Grid {
                path: path.to_path_buf(),
                at: Location {
                    task: Some(task.id.clone()),
                    pair: Some(format!("test[{k}].output")),
                },
                source,
            })?;
            task.test[k].output = Some(grid);
        }
    }
    Ok(())
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
