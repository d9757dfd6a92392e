//! Argument domains: the finite alphabet of ops the search enumerates for
//! one task, drawn from the task's train pairs (see `docs/search.md`).
//!
//! - Colors: every color present in a train input or output, plus the
//!   tokens `bg`, `fg`, `lc`.
//! - Scale and tile factors (per dimension): 1, 2, 3 and every integer ratio
//!   (2..=10) between an output dimension and an input dimension of the same
//!   train pair; `upscale`, `tile` take the pairs of factors except (1, 1).
//!   `downscale` the same with input / output ratios.
//! - Split counts: every n in 2..=10 that splits all train inputs (the width
//!   for `split_h`, the height for `split_v`), with every part index.
//! - Crops: only when all train outputs share one size (oh, ow) that fits in
//!   every train input and is smaller than at least one of them: `crop r c oh
//!   ow` at every position valid on all train inputs (at most 100 positions;
//!   beyond that the 3 x 3 positions at the start, middle and end).
//! - Output size: when all train outputs share one size (oh, ow) and some
//!   train input has another, `pad oh ow c` (c from the colors, as the last
//!   op those of the outputs) and `resize oh ow`; otherwise neither.
//! - Shifts: by one cell in the eight directions and by any number of cells
//!   along an axis, where the offset is smaller than the smallest train
//!   input's dimension, filling with `bg`.
//! - Everything else takes its whole (small) domain: the seven non-identity
//!   transforms, `hcat`/`vcat` with every transform, `mirror_tile`, `trim`,
//!   the four directions, both selectors, the six logic ops.
//! - `map M` is not enumerated; the search derives it per state (the color
//!   function from the state's train grids to the train outputs, when the
//!   sizes agree and the function is consistent).

use crate::lang::args::color::{BG, FG, LC};
use crate::lang::ops::{ArgDomain, ArgKind, SearchDomain, OPS};
use crate::lang::Op;
use crate::task::Task;
use std::collections::BTreeSet;

/// Most crop positions enumerated before thinning to 3 x 3.
pub const MAX_CROP_POSITIONS: usize = 100;

/// The argument domains of one task.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Domains {
    /// Color arguments: the colors present (ascending), then bg, fg, lc.
    pub colors: Vec<i32>,
    /// Colors a last op may write: the colors present in a train output
    /// (ascending), then bg, fg, lc.
    pub out_colors: Vec<i32>,
    /// Per-dimension factors for `upscale` and `tile` (ascending, with 1).
    pub up_factors: Vec<i32>,
    /// Per-dimension factors for `downscale` (ascending, with 1).
    pub down_factors: Vec<i32>,
    /// `split_h` part counts.
    pub split_h: Vec<i32>,
    /// `split_v` part counts.
    pub split_v: Vec<i32>,
    /// `crop` arguments (r, c, h, w).
    pub crops: Vec<[i32; 4]>,
    /// `shift` offsets (dy, dx).
    pub shifts: Vec<(i32, i32)>,
    /// The train outputs' common size, when they share one and some train
    /// input has another size (`pad`, `resize`).
    pub out_size: Option<(i32, i32)>,
}

impl Domains {
    /// The domains of a task (from its train pairs only).
    pub fn of_task(task: &Task) -> Domains {
        let mut present = [false; 10];
        for p in &task.train {
            for g in [&p.input, &p.output] {
                for &c in g.data() {
                    present[c as usize] = true;
                }
            }
        }
        let mut colors: Vec<i32> = (0..10).filter(|&c| present[c as usize]).collect();
        colors.extend([BG, FG, LC]);
        let mut in_out = [false; 10];
        for p in &task.train {
            for &c in p.output.data() {
                in_out[c as usize] = true;
            }
        }
        let mut out_colors: Vec<i32> = (0..10).filter(|&c| in_out[c as usize]).collect();
        out_colors.extend([BG, FG, LC]);

        let mut up: BTreeSet<i32> = [1, 2, 3].into();
        let mut down: BTreeSet<i32> = [1, 2, 3].into();
        for p in &task.train {
            let ins = [p.input.h(), p.input.w()];
            let outs = [p.output.h(), p.output.w()];
            for &i in &ins {
                for &o in &outs {
                    if o % i == 0 && (2..=10).contains(&(o / i)) {
                        up.insert((o / i) as i32);
                    }
                    if i % o == 0 && (2..=10).contains(&(i / o)) {
                        down.insert((i / o) as i32);
                    }
                }
            }
        }

        let fits = |n: usize, len: fn(&crate::Grid) -> usize| {
            !task.train.is_empty()
                && task
                    .train
                    .iter()
                    .all(|p| crate::lang::interp::split_part(len(&p.input), n, 0).is_some())
        };
        let split_h = (2..=10)
            .filter(|&n| fits(n, |g| g.w()))
            .map(|n| n as i32)
            .collect();
        let split_v = (2..=10)
            .filter(|&n| fits(n, |g| g.h()))
            .map(|n| n as i32)
            .collect();

        let crops = crop_domain(task);

        let min_h = task.train.iter().map(|p| p.input.h()).min().unwrap_or(1) as i32;
        let min_w = task.train.iter().map(|p| p.input.w()).min().unwrap_or(1) as i32;
        let mut shifts: Vec<(i32, i32)> = Vec::new();
        for dy in -1..=1 {
            for dx in -1..=1 {
                if (dy, dx) != (0, 0) {
                    shifts.push((dy, dx));
                }
            }
        }
        // Every move along an axis that stays within the grid.
        for k in 2..30 {
            shifts.extend([(k, 0), (-k, 0), (0, k), (0, -k)]);
        }
        shifts.retain(|&(dy, dx)| dy.abs() < min_h && dx.abs() < min_w);

        let out_size = task.train.first().and_then(|f| {
            let (oh, ow) = (f.output.h(), f.output.w());
            let common = task
                .train
                .iter()
                .all(|p| (p.output.h(), p.output.w()) == (oh, ow));
            let other = task
                .train
                .iter()
                .any(|p| (p.input.h(), p.input.w()) != (oh, ow));
            (common && other).then_some((oh as i32, ow as i32))
        });
        Domains {
            out_size,
            colors,
            out_colors,
            up_factors: up.into_iter().collect(),
            down_factors: down.into_iter().collect(),
            split_h,
            split_v,
            crops,
            shifts,
        }
    }

    /// The alphabet: every op the search tries on every state, in a fixed
    /// order (this order is the enumeration order, hence the ranking's
    /// "earlier candidate"): the op table's order, each op with every
    /// argument combination of its [`SearchDomain`] (ops marked `First`
    /// excluded; see [`Domains::root_ops`]).
    pub fn ops(&self) -> Vec<Op> {
        self.alphabet(false, false)
    }

    /// The alphabet of the first op of a program (applied to the task's
    /// inputs): [`Domains::ops`] plus the ops whose domain is `First`, in
    /// table order.
    pub fn root_ops(&self) -> Vec<Op> {
        self.alphabet(true, false)
    }

    /// The alphabet of a program's first op (`root`) or of a later one, as
    /// the last op of a program when `last` (see [`ArgDomain::OutColor`]).
    pub fn alphabet(&self, root: bool, last: bool) -> Vec<Op> {
        let mut v = Vec::new();
        for spec in OPS.iter() {
            let ds = match spec.search {
                SearchDomain::Skip(_) => continue,
                SearchDomain::Each(ds) => ds,
                SearchDomain::First(ds) => {
                    if !root {
                        continue;
                    }
                    ds
                }
            };
            let mut partial: Vec<Vec<i32>> = vec![Vec::new()];
            for d in ds {
                let mut next = Vec::new();
                for p in &partial {
                    for e in self.expand(*d, spec.args.get(p.len()).map(|a| a.kind), p, last) {
                        let mut q = p.clone();
                        q.extend_from_slice(&e);
                        next.push(q);
                    }
                }
                partial = next;
            }
            for args in partial {
                debug_assert_eq!(args.len(), spec.args.len(), "{}", spec.name);
                v.push(Op::new(spec.code, &args));
            }
        }
        debug_assert!(v.iter().all(|o| o.validate().is_ok()));
        v
    }

    /// The values (one or more arguments each) of one argument domain,
    /// given the arguments chosen before it.
    fn expand(
        &self,
        d: ArgDomain,
        kind: Option<ArgKind>,
        before: &[i32],
        last: bool,
    ) -> Vec<Vec<i32>> {
        let one = |it: &mut dyn Iterator<Item = i32>| it.map(|v| vec![v]).collect();
        let pairs = |fs: &[i32]| -> Vec<Vec<i32>> {
            let mut v = Vec::new();
            for &a in fs {
                for &b in fs {
                    if (a, b) != (1, 1) {
                        v.push(vec![a, b]);
                    }
                }
            }
            v
        };
        let parts = |ns: &[i32]| -> Vec<Vec<i32>> {
            ns.iter()
                .flat_map(|&n| (0..n).map(move |i| vec![n, i]))
                .collect()
        };
        let choices = match kind {
            Some(ArgKind::Choice(c)) => c.len() as i32,
            _ => 0,
        };
        match d {
            ArgDomain::Color => one(&mut self.colors.iter().copied()),
            ArgDomain::OtherColor => {
                let prev = before.last().copied();
                one(&mut self.colors.iter().copied().filter(|&c| Some(c) != prev))
            }
            ArgDomain::OutColor | ArgDomain::OtherOutColor => {
                let prev = before
                    .last()
                    .copied()
                    .filter(|_| d == ArgDomain::OtherOutColor);
                let set = if last { &self.out_colors } else { &self.colors };
                one(&mut set.iter().copied().filter(|&c| Some(c) != prev))
            }
            ArgDomain::Background => {
                let prev = before.last().copied();
                one(&mut [0, BG]
                    .into_iter()
                    .filter(|&c| Some(c) != prev && (c != 0 || self.colors.contains(&0))))
            }
            ArgDomain::LaterColor => {
                let prev = before.last().copied();
                let at = self.colors.iter().position(|&c| Some(c) == prev);
                one(&mut self.colors.iter().copied().skip(at.map_or(0, |i| i + 1)))
            }
            ArgDomain::Every => one(&mut (0..choices)),
            ArgDomain::EveryButFirst => one(&mut (1..choices)),
            ArgDomain::Only(names) => match kind {
                Some(ArgKind::Choice(c)) => one(&mut names.iter().filter_map(|n| c.index_of(n))),
                _ => Vec::new(),
            },
            ArgDomain::UpFactors => pairs(&self.up_factors),
            ArgDomain::DownFactors => pairs(&self.down_factors),
            ArgDomain::SplitH => parts(&self.split_h),
            ArgDomain::SplitV => parts(&self.split_v),
            ArgDomain::PartsH => one(&mut self.split_h.iter().copied()),
            ArgDomain::PartsV => one(&mut self.split_v.iter().copied()),
            ArgDomain::Crop => self.crops.iter().map(|c| c.to_vec()).collect(),
            ArgDomain::Shift => self
                .shifts
                .iter()
                .map(|&(dy, dx)| vec![dy, dx, BG])
                .collect(),
            ArgDomain::OutSize => self.out_size.iter().map(|&(h, w)| vec![h, w]).collect(),
        }
    }
}

fn crop_domain(task: &Task) -> Vec<[i32; 4]> {
    let Some(first) = task.train.first() else {
        return Vec::new();
    };
    let (oh, ow) = (first.output.h(), first.output.w());
    if task
        .train
        .iter()
        .any(|p| (p.output.h(), p.output.w()) != (oh, ow))
    {
        return Vec::new();
    }
    let min_h = task.train.iter().map(|p| p.input.h()).min().unwrap_or(0);
    let min_w = task.train.iter().map(|p| p.input.w()).min().unwrap_or(0);
    let smaller = task
        .train
        .iter()
        .any(|p| p.input.h() > oh || p.input.w() > ow);
    if oh > min_h || ow > min_w || !smaller {
        return Vec::new();
    }
    let (nr, nc) = (min_h - oh + 1, min_w - ow + 1);
    let thin = |n: usize| -> Vec<usize> {
        let mut v = vec![0, (n - 1) / 2, n - 1];
        v.dedup();
        v
    };
    let (rows, cols): (Vec<usize>, Vec<usize>) = if nr * nc <= MAX_CROP_POSITIONS {
        ((0..nr).collect(), (0..nc).collect())
    } else {
        (thin(nr), thin(nc))
    };
    let mut v = Vec::new();
    for &r in &rows {
        for &c in &cols {
            v.push([r as i32, c as i32, oh as i32, ow as i32]);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{OpCode, Program};
    use crate::task::{Pair, Task};
    use crate::Grid;

    fn task(pairs: &[(Grid, Grid)]) -> Task {
        Task {
            id: "t".into(),
            train: pairs
                .iter()
                .map(|(i, o)| Pair {
                    input: i.clone(),
                    output: o.clone(),
                })
                .collect(),
            test: vec![],
        }
    }

    #[test]
    fn colors_factors_splits() {
        let mut a = Grid::filled(3, 6, 0);
        a.set(0, 0, 4);
        let mut b = Grid::filled(9, 12, 7);
        b.set(1, 1, 2);
        let t = task(&[(a, b)]);
        let d = Domains::of_task(&t);
        assert_eq!(d.colors, vec![0, 2, 4, 7, BG, FG, LC]);
        // 9/3 = 3, 12/6 = 2, 12/3 = 4, 9/... (6 does not divide 9).
        assert_eq!(d.up_factors, vec![1, 2, 3, 4]);
        assert_eq!(d.down_factors, vec![1, 2, 3]);
        // Width 6: n = 2, 3, 6 touch; n = 4 does not fit (6-3 = 3, 3 % 4 != 0).
        assert_eq!(d.split_h, vec![2, 3, 6]);
        // Height 3: n = 3 (parts 1 row), n = 2 (1-row parts + separator).
        assert_eq!(d.split_v, vec![2, 3]);
        // Output larger than the input: no crops.
        assert!(d.crops.is_empty());
        // Shifts smaller than the 3-row input.
        assert!(d
            .shifts
            .iter()
            .all(|&(dy, dx)| dy.abs() < 3 && dx.abs() < 6));
        assert!(d.shifts.contains(&(0, 3)) && !d.shifts.contains(&(3, 0)));
    }

    #[test]
    fn crops_only_for_shared_smaller_output() {
        let t = task(&[
            (Grid::filled(5, 4, 0), Grid::filled(2, 2, 1)),
            (Grid::filled(4, 6, 0), Grid::filled(2, 2, 1)),
        ]);
        let d = Domains::of_task(&t);
        // Positions valid on both inputs: rows 0..=2, cols 0..=2.
        assert_eq!(d.crops.len(), 9);
        assert!(d.crops.contains(&[2, 2, 2, 2]));
        assert!(d.crops.iter().all(|c| c[2..] == [2, 2]));
        // Different output sizes: no crops.
        let t = task(&[
            (Grid::filled(5, 4, 0), Grid::filled(2, 2, 1)),
            (Grid::filled(4, 6, 0), Grid::filled(3, 2, 1)),
        ]);
        assert!(Domains::of_task(&t).crops.is_empty());
        // Same size in and out: no crops.
        let t = task(&[(Grid::filled(3, 3, 0), Grid::filled(3, 3, 1))]);
        assert!(Domains::of_task(&t).crops.is_empty());
        // Many positions are thinned to 3 x 3.
        let t = task(&[(Grid::filled(30, 30, 0), Grid::filled(2, 2, 1))]);
        assert_eq!(Domains::of_task(&t).crops.len(), 9);
    }

    /// The canonical texts of the alphabet's entries of one op.
    fn op_texts(t: &Task, code: OpCode) -> Vec<String> {
        Domains::of_task(t)
            .ops()
            .iter()
            .filter(|o| o.code == code)
            .map(|o| Program::from_ops(vec![*o]).unwrap().canonical())
            .collect()
    }

    #[test]
    fn flood_fills_the_background_only() {
        let mut a = Grid::filled(4, 4, 0);
        a.set(1, 1, 3);
        a.set(2, 2, 6);
        let t = task(&[(a.clone(), a)]);
        let texts: Vec<String> = op_texts(&t, OpCode::Flood);
        for want in ["flood 3 0", "flood 3 bg", "flood 6 0", "flood fg bg"] {
            assert!(texts.iter().any(|t| t == want), "{want}: {texts:?}");
        }
        assert!(!texts.iter().any(|t| t == "flood 3 6" || t == "flood 0 3"));
        // No 0 in the task: bg is the background.
        let t = task(&[(Grid::filled(2, 2, 4), Grid::filled(2, 2, 4))]);
        let texts: Vec<String> = op_texts(&t, OpCode::Flood);
        assert!(texts.iter().all(|t| t.ends_with(" bg")), "{texts:?}");
    }

    #[test]
    fn only_domains_name_values_of_their_choice() {
        use crate::lang::ops::SearchDomain;
        for spec in OPS.iter() {
            let SearchDomain::Each(ds) = spec.search else {
                continue;
            };
            for (d, a) in ds.iter().zip(spec.args) {
                if let ArgDomain::Only(names) = d {
                    let ArgKind::Choice(c) = a.kind else {
                        panic!("{}: Only on an argument that is not a choice", spec.name);
                    };
                    for n in *names {
                        assert!(c.index_of(n).is_some(), "{}: no value {n}", spec.name);
                    }
                }
            }
        }
        // symmetrize is searched with its turns only.
        let mut a = Grid::filled(4, 4, 0);
        a.set(1, 1, 3);
        let t = task(&[(a.clone(), a)]);
        let texts: Vec<String> = op_texts(&t, OpCode::Symmetrize);
        assert_eq!(texts, ["symmetrize r2", "symmetrize r4"]);
    }

    #[test]
    fn alphabet_is_valid_and_distinct() {
        let mut a = Grid::filled(6, 6, 0);
        a.set(2, 3, 5);
        let t = task(&[(a, Grid::filled(3, 3, 5))]);
        let d = Domains::of_task(&t);
        let ops = d.root_ops();
        assert!(ops.iter().all(|o| o.validate().is_ok()));
        let set: std::collections::HashSet<_> = ops.iter().collect();
        assert_eq!(set.len(), ops.len());
        // Every op of the table but those it skips is in the root alphabet.
        for spec in crate::lang::OPS.iter() {
            if matches!(spec.search, SearchDomain::Skip(_)) {
                assert!(
                    matches!(spec.code, OpCode::Id | OpCode::Map),
                    "{}",
                    spec.name
                );
                continue;
            }
            assert!(ops.iter().any(|o| o.code == spec.code), "{}", spec.name);
        }
        // The general alphabet leaves out the ops tried first only.
        let general = d.ops();
        assert!(general
            .iter()
            .all(|o| !matches!(o.code.spec().search, SearchDomain::First(_))));
        assert!(general.len() < ops.len());
        assert!(general.iter().all(|o| ops.contains(o)));
    }
}
