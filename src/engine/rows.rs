//! The JSON Lines rows of `gridscore score` (one object per candidate): the
//! one serialisation of a [`CandidateResult`] that the CLI writes and the
//! Python module returns, so that both carry exactly the same fields.

use super::batch::{BatchReport, CandidateResult};
use serde::Serialize;
use std::io::Write;

/// One row: the result's fields, then `task`.
#[derive(Serialize)]
pub struct Row<'a> {
    #[serde(flatten)]
    pub result: &'a CandidateResult,
    pub task: &'a str,
}

/// The rows of a report, in its order, the first `top` (all when `None`).
pub fn rows<'a>(
    task: &'a str,
    report: &'a BatchReport,
    top: Option<usize>,
) -> impl Iterator<Item = Row<'a>> + 'a {
    report
        .results
        .iter()
        .take(top.unwrap_or(usize::MAX))
        .map(move |result| Row { result, task })
}

/// Writes the rows of a report as JSON Lines.
pub fn write_jsonl(
    out: &mut dyn Write,
    task: &str,
    report: &BatchReport,
    top: Option<usize>,
) -> std::io::Result<()> {
    for row in rows(task, report, top) {
        serde_json::to_writer(&mut *out, &row)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
