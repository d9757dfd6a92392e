//! The JSON Lines rows of `gridscore score` (one object per candidate): the
//! one serialisation of a [`CandidateResult`] that the CLI writes and the
//! Python module returns, so that both carry exactly the same fields.

use super::batch::{BatchReport, CandidateResult, Status};
use serde::Serialize;
use std::io::Write;

/// One row: the result's fields, then `task`.
#[derive(Serialize)]
pub struct Row<'a> {
    #[serde(flatten)]
    pub result: &'a CandidateResult,
    pub task: &'a str,
}

/// The rows of a report: with `top` = N, the N best scored candidates,
/// then every candidate that did not parse (never hidden), then up to N
/// not run; without it, every row in the report's order.
pub fn rows<'a>(
    task: &'a str,
    report: &'a BatchReport,
    top: Option<usize>,
) -> Box<dyn Iterator<Item = Row<'a>> + 'a> {
    let row = move |result| Row { result, task };
    let Some(n) = top else {
        return Box::new(report.results.iter().map(row));
    };
    let of = move |s: Status| report.results.iter().filter(move |r| r.status == s);
    Box::new(
        of(Status::Ok)
            .take(n)
            .chain(of(Status::ParseError))
            .chain(of(Status::NotRun).take(n))
            .map(row),
    )
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
