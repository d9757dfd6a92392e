//! `gridscore show`: a task's pairs as colored terminal grids, and a
//! program's outputs beside the expected ones with mismatches marked.

use super::common;
use super::{CliError, CliResult};
use gridscore::grid::Grid;
use gridscore::lang::{Interp, Program};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ShowArgs {
    /// A task file, a directory of task files, or a combined file.
    pub task: PathBuf,
    /// A program to run on every input, e.g. 'upscale 2 2 | recolor 1 2'.
    #[arg(long, short = 'p')]
    pub program: Option<String>,
    /// Only this task id (for a directory or combined file).
    #[arg(long = "task-id")]
    pub task_id: Option<String>,
    /// Solutions file for a combined challenges file.
    #[arg(long)]
    pub solutions: Option<PathBuf>,
    /// Colors: auto (when stdout is a terminal and NO_COLOR is unset),
    /// always, never (digits only).
    #[arg(long, default_value = "auto", value_parser = ["auto", "always", "never"])]
    pub color: String,
}

/// ARC's ten colors.
pub const PALETTE: [(u8, u8, u8); 10] = [
    (0x00, 0x00, 0x00),
    (0x00, 0x74, 0xd9),
    (0xff, 0x41, 0x36),
    (0x2e, 0xcc, 0x40),
    (0xff, 0xdc, 0x00),
    (0xaa, 0xaa, 0xaa),
    (0xf0, 0x12, 0xbe),
    (0xff, 0x85, 0x1b),
    (0x7f, 0xdb, 0xff),
    (0x87, 0x0c, 0x25),
];

pub fn run(a: ShowArgs) -> CliResult {
    let loaded = common::tasks(&a.task, a.solutions.as_deref(), a.task_id.as_deref())?;
    let tasks = loaded.tasks;
    let program = match &a.program {
        Some(p) => Some(
            Program::parse(p).map_err(|e| CliError::usage(anyhow::anyhow!("--program: {e}")))?,
        ),
        None => None,
    };
    let color = match a.color.as_str() {
        "always" => true,
        "never" => false,
        _ => std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut interp = Interp::new();
    let res: std::io::Result<()> = (|| {
        for task in &tasks {
            writeln!(out, "task {}", gridscore::text::escape(&task.id))?;
            if let Some(p) = &program {
                writeln!(out, "program: {p}")?;
            }
            let pairs = task
                .train
                .iter()
                .enumerate()
                .map(|(k, p)| (format!("train[{k}]"), &p.input, Some(&p.output)))
                .chain(
                    task.test
                        .iter()
                        .enumerate()
                        .map(|(k, p)| (format!("test[{k}]"), &p.input, p.output.as_ref())),
                );
            for (name, input, expected) in pairs {
                let got = program
                    .as_ref()
                    .map(|p| interp.run_program(p, input).cloned());
                let mut panels: Vec<Panel> = vec![Panel::grid("input", input, None)];
                if let Some(e) = expected {
                    panels.push(Panel::grid("expected", e, None));
                }
                match (&got, expected) {
                    (Some(Some(y)), e) => {
                        let verdict = match e {
                            Some(e) if e == y => "output (exact)".to_string(),
                            Some(e) if e.h() == y.h() && e.w() == y.w() => {
                                let bad = y
                                    .data()
                                    .iter()
                                    .zip(e.data())
                                    .filter(|(a, b)| a != b)
                                    .count();
                                format!("output ({bad} wrong)")
                            }
                            Some(e) => {
                                format!("output ({}x{}, want {}x{})", y.h(), y.w(), e.h(), e.w())
                            }
                            None => "output".to_string(),
                        };
                        panels.push(Panel::grid(&verdict, y, e));
                    }
                    (Some(None), _) => panels.push(Panel::text("output", "INVALID")),
                    (None, _) => {}
                }
                writeln!(out, "{name}")?;
                render(&mut out, &panels, color)?;
                writeln!(out)?;
            }
        }
        out.flush()
    })();
    match res {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(CliError::failed(e)),
        _ if loaded.failed > 0 => Err(CliError::partial(loaded.failed, "files or tasks")),
        _ => Ok(()),
    }
}

/// A titled panel: a grid (with mismatches against `against` marked) or text.
pub struct Panel<'a> {
    title: String,
    grid: Option<&'a Grid>,
    against: Option<&'a Grid>,
    text: Option<String>,
}

impl<'a> Panel<'a> {
    fn grid(title: &str, grid: &'a Grid, against: Option<&'a Grid>) -> Panel<'a> {
        Panel {
            title: title.into(),
            grid: Some(grid),
            against,
            text: None,
        }
    }
    fn text(title: &str, text: &str) -> Panel<'a> {
        Panel {
            title: title.into(),
            grid: None,
            against: None,
            text: Some(text.into()),
        }
    }
    fn width(&self) -> usize {
        let body = self
            .grid
            .map_or(self.text.as_ref().map_or(0, |t| t.len()), |g| 2 * g.w());
        body.max(self.title.len())
    }
    fn height(&self) -> usize {
        self.grid.map_or(1, |g| g.h())
    }
}

/// Renders panels side by side; each cell is two characters wide.
fn render(out: &mut dyn Write, panels: &[Panel], color: bool) -> std::io::Result<()> {
    let gap = "   ";
    for (k, p) in panels.iter().enumerate() {
        if k > 0 {
            out.write_all(gap.as_bytes())?;
        }
        write!(out, "{:<w$}", p.title, w = p.width())?;
    }
    writeln!(out)?;
    let rows = panels.iter().map(Panel::height).max().unwrap_or(0);
    for i in 0..rows {
        for (k, p) in panels.iter().enumerate() {
            if k > 0 {
                out.write_all(gap.as_bytes())?;
            }
            let mut used = 0;
            if let Some(g) = p.grid {
                if i < g.h() {
                    for j in 0..g.w() {
                        let c = g.get(i, j);
                        let wrong = p
                            .against
                            .is_some_and(|e| i >= e.h() || j >= e.w() || e.get(i, j) != c);
                        cell(out, c, wrong, color)?;
                    }
                    used = 2 * g.w();
                }
            } else if i == 0 {
                let t = p.text.as_deref().unwrap_or("");
                out.write_all(t.as_bytes())?;
                used = t.len();
            }
            write!(out, "{:w$}", "", w = p.width() - used)?;
        }
        writeln!(out)?;
    }
    Ok(())
}

fn cell(out: &mut dyn Write, c: u8, wrong: bool, color: bool) -> std::io::Result<()> {
    if !color {
        return if wrong {
            write!(out, "{c}!")
        } else {
            write!(out, "{c} ")
        };
    }
    let (r, g, b) = PALETTE[c as usize];
    if wrong {
        // A white cross on the cell's color marks a mismatch.
        write!(
            out,
            "\x1b[48;2;{r};{g};{b}m\x1b[1;38;2;255;255;255m><\x1b[0m"
        )
    } else {
        write!(out, "\x1b[48;2;{r};{g};{b}m  \x1b[0m")
    }
}
