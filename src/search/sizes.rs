//! Output-size prediction from the train pairs (see `docs/search.md`,
//! "Output sizes"). The first rule that gives every train output's size
//! from its input predicts the test outputs' sizes:
//!
//! 1. the input's size (every output has its input's size);
//! 2. a constant size (every train output has one size);
//! 3. the input's size scaled per dimension by a ratio p/q (both
//!    dimensions from the same pair of ratios on every pair, results
//!    integral): multiples, fractions;
//! 4. the transposed input's size scaled the same way;
//! 5. the input's size plus a constant offset per dimension (frames,
//!    trims).
//!
//! The search uses the prediction to keep only pieces of the predicted
//! size on the test inputs; without a rule, the first piece found (the
//! shortest program whose train grids have the train outputs' sizes) sets
//! it.

use crate::task::Task;

/// A size rule.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum SizeRule {
    /// Always (h, w).
    Constant(usize, usize),
    /// (in_h * ph / qh, in_w * pw / qw), or with the input transposed.
    Scaled {
        transposed: bool,
        ph: usize,
        qh: usize,
        pw: usize,
        qw: usize,
    },
    /// (in_h + dh, in_w + dw).
    Offset(i32, i32),
}

impl SizeRule {
    /// The size this rule gives an input of size (h, w), if valid (1..=30).
    pub fn apply(self, h: usize, w: usize) -> Option<(usize, usize)> {
        let (oh, ow) = match self {
            SizeRule::Constant(a, b) => (a, b),
            SizeRule::Scaled {
                transposed,
                ph,
                qh,
                pw,
                qw,
            } => {
                let (h, w) = if transposed { (w, h) } else { (h, w) };
                if (h * ph) % qh != 0 || (w * pw) % qw != 0 {
                    return None;
                }
                (h * ph / qh, w * pw / qw)
            }
            SizeRule::Offset(dh, dw) => {
                let (a, b) = (h as i32 + dh, w as i32 + dw);
                if a < 1 || b < 1 {
                    return None;
                }
                (a as usize, b as usize)
            }
        };
        ((1..=30).contains(&oh) && (1..=30).contains(&ow)).then_some((oh, ow))
    }
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// The first rule that fits every train pair, if any.
pub fn rule(task: &Task) -> Option<SizeRule> {
    let first = task.train.first()?;
    let pairs: Vec<((usize, usize), (usize, usize))> = task
        .train
        .iter()
        .map(|p| ((p.input.h(), p.input.w()), (p.output.h(), p.output.w())))
        .collect();
    let fits = |r: SizeRule| pairs.iter().all(|&((h, w), o)| r.apply(h, w) == Some(o));
    let (oh, ow) = (first.output.h(), first.output.w());
    let same = SizeRule::Scaled {
        transposed: false,
        ph: 1,
        qh: 1,
        pw: 1,
        qw: 1,
    };
    let mut rules = vec![same, SizeRule::Constant(oh, ow)];
    for transposed in [false, true] {
        let (ih, iw) = if transposed {
            (first.input.w(), first.input.h())
        } else {
            (first.input.h(), first.input.w())
        };
        let (gh, gw) = (gcd(oh, ih), gcd(ow, iw));
        rules.push(SizeRule::Scaled {
            transposed,
            ph: oh / gh,
            qh: ih / gh,
            pw: ow / gw,
            qw: iw / gw,
        });
    }
    rules.push(SizeRule::Offset(
        oh as i32 - first.input.h() as i32,
        ow as i32 - first.input.w() as i32,
    ));
    rules.into_iter().find(|&r| fits(r))
}

/// The predicted size of every test output (None where no rule fits or
/// the rule gives no valid size).
pub fn predict(task: &Task) -> Option<Vec<(u8, u8)>> {
    let r = rule(task)?;
    task.test
        .iter()
        .map(|t| {
            r.apply(t.input.h(), t.input.w())
                .map(|(h, w)| (h as u8, w as u8))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::task::{Pair, TestPair};

    type Size = (usize, usize);

    fn task(pairs: &[(Size, Size)], test: Size) -> Task {
        Task {
            id: "t".into(),
            train: pairs
                .iter()
                .map(|&((a, b), (c, d))| Pair {
                    input: Grid::filled(a, b, 0),
                    output: Grid::filled(c, d, 0),
                })
                .collect(),
            test: vec![TestPair {
                input: Grid::filled(test.0, test.1, 0),
                output: None,
            }],
        }
    }

    #[test]
    fn rules_in_order() {
        // Constant.
        let t = task(&[((5, 6), (3, 3)), ((9, 2), (3, 3))], (7, 7));
        assert_eq!(rule(&t), Some(SizeRule::Constant(3, 3)));
        assert_eq!(predict(&t), Some(vec![(3, 3)]));
        // Same size (ratio 1).
        let t = task(&[((5, 6), (5, 6)), ((9, 2), (9, 2))], (4, 8));
        assert_eq!(predict(&t), Some(vec![(4, 8)]));
        // Same size wins over a constant size when both fit.
        let t = task(&[((5, 6), (5, 6)), ((5, 6), (5, 6))], (4, 8));
        assert_eq!(predict(&t), Some(vec![(4, 8)]));
        // Doubled height, tripled width.
        let t = task(&[((2, 3), (4, 9)), ((5, 1), (10, 3))], (3, 3));
        assert_eq!(predict(&t), Some(vec![(6, 9)]));
        // Halved.
        let t = task(&[((4, 6), (2, 3)), ((8, 2), (4, 1))], (6, 10));
        assert_eq!(predict(&t), Some(vec![(3, 5)]));
        // Transposed.
        let t = task(&[((2, 5), (5, 2)), ((7, 3), (3, 7))], (4, 9));
        assert_eq!(predict(&t), Some(vec![(9, 4)]));
        // A frame: +2 each way.
        let t = task(&[((2, 5), (4, 7)), ((7, 3), (9, 5))], (4, 9));
        assert_eq!(predict(&t), Some(vec![(6, 11)]));
        // No rule: sizes unrelated to the inputs.
        let t = task(&[((2, 5), (3, 1)), ((7, 3), (1, 4))], (4, 9));
        assert_eq!(rule(&t), None);
        // A rule whose test size is invalid gives no prediction.
        let t = task(&[((2, 3), (4, 6)), ((5, 1), (10, 2))], (20, 3));
        assert_eq!(predict(&t), None);
    }
}
