//! Views of a task: the task as searched, and how a program found on the
//! view maps back to the task (see `docs/search.md`, "Views").
//!
//! - `raw`: the task itself.
//! - `norm`: every pair's colors renamed by the `norm` construct's rule
//!   (by frequency in its input, with fixed colors kept): a program P found
//!   on it answers the task as `norm F { P }`. F, the fixed colors, are the
//!   colors present in every train output and in no train input (colors the
//!   outputs bring in by value).
//! - `transposed` (and `norm_transposed`): every grid transposed (after
//!   renaming the colors): a program P found on it answers the task as
//!   `transpose | P | transpose` (inside `norm`). Ops that exist in one
//!   orientation only become available in the other.

use crate::grid::Grid;
use crate::lang::{Norm, Op, OpCode, Program};
use crate::task::{Pair, Task, TestPair};
use serde::Serialize;

/// Which view of a task.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewKind {
    #[default]
    Raw,
    Norm,
    Transposed,
    NormTransposed,
}

/// A view: the task as searched and how its programs map back.
#[derive(Clone, Debug)]
pub struct View {
    pub kind: ViewKind,
    pub task: Task,
    /// The normalisation programs are wrapped in (norm views).
    pub norm: Option<Norm>,
    /// Whether the grids are transposed.
    pub transposed: bool,
}

impl View {
    /// A program of this view as a program of the task (None when the
    /// conjugation by `transpose` would pass a pipeline's 16 ops).
    pub fn wrap(&self, p: Program) -> Option<Program> {
        let p = if self.transposed {
            let t = Op::new(OpCode::Transpose, &[]);
            p.conjugated(t, t).ok()?
        } else {
            p
        };
        Some(match self.norm {
            Some(n) => p.normalized(n),
            None => p,
        })
    }
}

/// The task with every grid transposed.
fn transposed(task: &Task) -> Task {
    let t = |g: &Grid| {
        let mut r = Grid::filled(g.w(), g.h(), 0);
        for i in 0..g.h() {
            for j in 0..g.w() {
                r.set(j, i, g.get(i, j));
            }
        }
        r
    };
    Task {
        id: task.id.clone(),
        train: task
            .train
            .iter()
            .map(|p| Pair {
                input: t(&p.input),
                output: t(&p.output),
            })
            .collect(),
        test: task
            .test
            .iter()
            .map(|p| TestPair {
                input: t(&p.input),
                output: p.output.as_ref().map(t),
            })
            .collect(),
    }
}

/// The fixed colors of the `norm` view: present in every train output and
/// in no train input.
pub fn fixed_colors(task: &Task) -> u16 {
    let mask = |g: &Grid| g.data().iter().fold(0u16, |m, &c| m | 1 << c);
    let mut in_any = 0u16;
    let mut out_all = 0x3ffu16;
    for p in &task.train {
        in_any |= mask(&p.input);
        out_all &= mask(&p.output);
    }
    out_all & !in_any
}

/// Renames every cell of `g` by `sigma`.
fn rename(g: &Grid, sigma: &[u8; 10]) -> Grid {
    let mut r = g.clone();
    for c in r.data_mut() {
        *c = sigma[*c as usize];
    }
    r
}

/// The views searched for a task: raw, then (with `normalize`) the norm
/// view unless every input gets the same renaming, then (with `transpose`)
/// the transposed ones.
pub fn views(task: &Task, normalize: bool, transpose: bool) -> Vec<View> {
    let mut v = vec![View {
        kind: ViewKind::Raw,
        task: task.clone(),
        norm: None,
        transposed: false,
    }];
    if normalize {
        let norm = Norm {
            fixed: fixed_colors(task),
        };
        let train: Vec<Pair> = task
            .train
            .iter()
            .map(|p| {
                let s = norm.sigma(&p.input);
                Pair {
                    input: rename(&p.input, &s),
                    output: rename(&p.output, &s),
                }
            })
            .collect();
        let test: Vec<TestPair> = task
            .test
            .iter()
            .map(|p| {
                let s = norm.sigma(&p.input);
                TestPair {
                    input: rename(&p.input, &s),
                    output: p.output.as_ref().map(|o| rename(o, &s)),
                }
            })
            .collect();
        // When every input gets the same renaming, a program of the norm
        // view is a program of the raw view with its colors renamed: the
        // raw view already has it.
        let sigmas: Vec<[u8; 10]> = task.inputs().map(|g| norm.sigma(g)).collect();
        let uniform = sigmas.windows(2).all(|w| w[0] == w[1]);
        if !uniform {
            v.push(View {
                kind: ViewKind::Norm,
                task: Task {
                    id: task.id.clone(),
                    train,
                    test,
                },
                norm: Some(norm),
                transposed: false,
            });
        }
    }
    if transpose {
        let plain: Vec<View> = v.clone();
        for view in plain {
            v.push(View {
                kind: if view.norm.is_some() {
                    ViewKind::NormTransposed
                } else {
                    ViewKind::Transposed
                },
                task: transposed(&view.task),
                norm: view.norm,
                transposed: true,
            });
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::run_program;

    fn g(s: &str) -> Grid {
        let rows: Vec<Vec<u8>> = s
            .split('/')
            .map(|r| r.bytes().map(|b| b - b'0').collect())
            .collect();
        Grid::from_rows(&rows).unwrap()
    }

    #[test]
    fn norm_view_round_trips() {
        // Each pair recolors its rarer color into its most frequent one;
        // colors differ between pairs, roles do not.
        let task = Task {
            id: "t".into(),
            train: vec![
                Pair {
                    input: g("778/777"),
                    output: g("777/777"),
                },
                Pair {
                    input: g("335/333"),
                    output: g("333/333"),
                },
            ],
            test: vec![TestPair {
                input: g("119/111"),
                output: Some(g("111/111")),
            }],
        };
        assert_eq!(fixed_colors(&task), 0);
        let vs = views(&task, true, false);
        assert_eq!(vs.len(), 2);
        let norm = &vs[1];
        // In the norm view every input is 001/000 and every output 000/000.
        for p in &norm.task.train {
            assert_eq!(p.input, g("001/000"));
            assert_eq!(p.output, g("000/000"));
        }
        // One program of the view answers every pair of the task.
        let p = norm.wrap(Program::parse("recolor 1 0").unwrap()).unwrap();
        assert_eq!(p.to_string(), "norm { recolor 1 0 }");
        for pair in &task.train {
            assert_eq!(run_program(&p, &pair.input), Some(pair.output.clone()));
        }
        assert_eq!(
            run_program(&p, &task.test[0].input),
            task.test[0].output.clone()
        );
    }

    #[test]
    fn transposed_views_round_trip() {
        // Cells fall to the right: in the transposed frame they fall down.
        let task = Task {
            id: "t".into(),
            train: vec![Pair {
                input: g("1020/0300"),
                output: g("0012/0003"),
            }],
            test: vec![TestPair {
                input: g("0400/5006"),
                output: Some(g("0004/0056")),
            }],
        };
        let vs = views(&task, false, true);
        assert_eq!(
            vs.iter().map(|v| v.kind).collect::<Vec<_>>(),
            vec![ViewKind::Raw, ViewKind::Transposed]
        );
        let t = &vs[1];
        let p = t.wrap(Program::parse("gravity down 0").unwrap()).unwrap();
        assert_eq!(p.to_string(), "transpose | gravity down 0 | transpose");
        assert_eq!(
            run_program(&p, &task.train[0].input),
            Some(task.train[0].output.clone())
        );
        assert_eq!(
            run_program(&p, &task.test[0].input),
            task.test[0].output.clone()
        );
        // Overlays are conjugated around the overlay.
        let o = t
            .wrap(Program::parse("overlay { [nz] ; [all] }").unwrap())
            .unwrap();
        assert_eq!(
            o.to_string(),
            "transpose | overlay { [nz] ; [all] } | transpose"
        );
    }

    #[test]
    fn fixed_colors_are_brought_in_by_the_outputs() {
        let task = Task {
            id: "t".into(),
            train: vec![
                Pair {
                    input: g("10"),
                    output: g("18"),
                },
                Pair {
                    input: g("20"),
                    output: g("28"),
                },
            ],
            test: vec![],
        };
        assert_eq!(fixed_colors(&task), 1 << 8);
        // A task whose inputs all get the same renaming has no norm view
        // (its programs are raw programs with colors renamed).
        let plain = Task {
            id: "p".into(),
            train: vec![
                Pair {
                    input: g("771"),
                    output: g("771"),
                },
                Pair {
                    input: g("717"),
                    output: g("117"),
                },
            ],
            test: vec![],
        };
        assert_eq!(views(&plain, true, false).len(), 1);
    }
}
