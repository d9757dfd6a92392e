//! Op results remembered per distinct grid, across the parents of a depth.
//!
//! The parents a depth expands share many grids: a depth-1 op often leaves
//! some pairs' grids as they were, or makes the same grid as another op on
//! one pair and a different one on another. Every parent is expanded by the
//! same op list, so `op(grid)` comes out the same for each parent holding
//! that grid on that pair. On the training set's depth-2 sweep about half
//! of the last depth's op applications repeat one made before.
//!
//! Before a depth runs, [`Memo::new`] finds the grids that two or more of
//! its parents hold on the same pair (by hash, then by cells) and numbers
//! them (*rows*). While it runs, each thread keeps a [`Table`] of the op
//! results on its rows: INVALID, or the result grid with its pair score,
//! computed the first time it is asked for. A result is the op's output on
//! the same cells, so taking it from the table changes nothing the search
//! finds, only the time; [`Memo`] never holds more than its byte budget
//! (when full it stops remembering and the ops run as before).
//!
//! The tables are per thread (no locking while a parent is expanded), so a
//! repeat made on another thread is computed again.

use super::enumerate::pair_score;
use super::enumerate::{IdMap, Store};
use crate::grid::Grid;
use crate::score::Metric;
use std::sync::{Mutex, MutexGuard};

/// No row: the grid is held by one parent only (or is INVALID).
pub const NO_ROW: u32 = u32::MAX;

/// Bytes of a table's bookkeeping per remembered result (its slot, and
/// as much again for the slots' spare capacity).
const SLOT_BYTES: usize = 2 * std::mem::size_of::<Slot>();

/// Bytes of a table's index per row.
const ROW_BYTES: usize = std::mem::size_of::<Option<Box<[u32]>>>();

/// The rows of a depth's parents and one [`Table`] per thread.
pub struct Memo {
    np: usize,
    /// `rows[i * np + k]`: the row of parent `i`'s grid on pair `k` (in the
    /// order the parents were given), or [`NO_ROW`].
    rows: Vec<u32>,
    nrows: usize,
    nops: usize,
    tables: Vec<Mutex<Table>>,
}

impl Memo {
    /// The rows of `parents` (state indices into `store`) for an op list
    /// of `nops` ops, with `threads` tables of at most
    /// `bytes / threads` bytes each. `None` when no grid repeats, or the
    /// budget could not hold one row.
    pub fn new(
        store: &Store,
        parents: &[u32],
        nops: usize,
        threads: usize,
        bytes: usize,
    ) -> Option<Memo> {
        let np = store.npairs();
        let threads = threads.max(1);
        let per_table = bytes / threads;
        // Groups are numbered by position (`u32`, below `NO_ROW`).
        if parents.len() < 2 || nops == 0 || parents.len() * np >= NO_ROW as usize {
            return None;
        }
        // A table's row index takes at most a quarter of its budget.
        let max_rows = (per_table / 4 / ROW_BYTES).min(NO_ROW as usize - 1) as u32;
        if max_rows == 0 || per_table < nops * 4 + ROW_BYTES {
            return None;
        }
        // The first holder of each distinct grid, by pair and hash: its
        // group is `pos * np + k`. A grid whose hash another grid holds is
        // left without a row (a 64-bit collision: only the speed-up is
        // lost).
        let mut first: IdMap<u32> = IdMap::default();
        let mut group = vec![NO_ROW; parents.len() * np];
        let mut count = vec![0u32; parents.len() * np];
        for (i, &p) in parents.iter().enumerate() {
            for k in 0..np {
                let Some((size, cells)) = store.grid(p as usize, k) else {
                    continue;
                };
                let at = (i * np + k) as u32;
                let g = *first.entry(grid_key(k, size, cells)).or_insert(at);
                let (gi, gk) = (g as usize / np, g as usize % np);
                if g == at || store.grid(parents[gi] as usize, gk) == Some((size, cells)) {
                    group[at as usize] = g;
                    count[g as usize] += 1;
                }
            }
        }
        drop(first);
        // Rows for the grids held more than once (the first `max_rows`).
        let mut row_of = vec![NO_ROW; count.len()];
        let mut nrows = 0u32;
        for (g, &c) in count.iter().enumerate() {
            if c >= 2 && nrows < max_rows {
                row_of[g] = nrows;
                nrows += 1;
            }
        }
        if nrows == 0 {
            return None;
        }
        let rows = group
            .into_iter()
            .map(|g| {
                if g == NO_ROW {
                    NO_ROW
                } else {
                    row_of[g as usize]
                }
            })
            .collect();
        let tables = (0..threads)
            .map(|_| Mutex::new(Table::new(nrows as usize, nops, per_table)))
            .collect();
        Some(Memo {
            np,
            rows,
            nrows: nrows as usize,
            nops,
            tables,
        })
    }

    /// The rows of the parent at position `i` (one per pair).
    pub fn rows(&self, i: usize) -> &[u32] {
        &self.rows[i * self.np..(i + 1) * self.np]
    }

    /// Distinct grids held by two or more parents.
    pub fn nrows(&self) -> usize {
        self.nrows
    }

    /// The ops each row remembers.
    pub fn nops(&self) -> usize {
        self.nops
    }

    /// Op applications answered from the tables so far.
    pub fn hits(&self) -> u64 {
        self.tables
            .iter()
            .map(|t| t.lock().map_or(0, |t| t.hits))
            .sum()
    }

    /// This thread's table (`None` when another holder has it: the caller
    /// then runs every op).
    pub fn table(&self) -> Option<MutexGuard<'_, Table>> {
        let i = rayon::current_thread_index().unwrap_or(0) % self.tables.len();
        self.tables[i].try_lock().ok()
    }
}

/// A remembered result grid.
#[derive(Copy, Clone)]
struct Slot {
    at: u32,
    h: u8,
    w: u8,
    /// Whether `exact` and `score` hold the pair score yet.
    scored: bool,
    exact: u8,
    score: u64,
}

/// What a table says of an op on a row.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Not run yet (or not remembered).
    Unknown,
    /// INVALID.
    Invalid,
    /// The result is remembered (see [`Table::copy_into`]).
    Result(u32),
}

/// One thread's remembered results.
pub struct Table {
    nops: usize,
    /// Per row, one entry per op (none until the row's first result): 0
    /// unknown, 1 INVALID, `2 + slot`.
    rows: Vec<Option<Box<[u32]>>>,
    slots: Vec<Slot>,
    /// The result grids' cells, in blocks of [`BLOCK`] bytes (never moved
    /// once written; a result does not straddle blocks).
    blocks: Vec<Vec<u8>>,
    /// Bytes taken: the row index, each row's entries, the slots, and the
    /// blocks of cells (whole).
    used: usize,
    budget: usize,
    /// Lookups answered (INVALID or a result).
    hits: u64,
}

/// Bytes of one block of cells (a result grid holds at most 900).
const BLOCK: usize = 1 << 16;

impl Table {
    fn new(nrows: usize, nops: usize, budget: usize) -> Table {
        Table {
            nops,
            rows: vec![None; nrows],
            slots: Vec::new(),
            blocks: Vec::new(),
            used: nrows * ROW_BYTES,
            // Slots address cells with 32 bits.
            budget: budget.min(u32::MAX as usize / 2),
            hits: 0,
        }
    }

    /// What is remembered of op `op` on `row`.
    #[inline]
    pub fn get(&mut self, row: u32, op: usize) -> Entry {
        let Some(entries) = &self.rows[row as usize] else {
            return Entry::Unknown;
        };
        match entries[op] {
            0 => Entry::Unknown,
            1 => {
                self.hits += 1;
                Entry::Invalid
            }
            e => {
                self.hits += 1;
                Entry::Result(e - 2)
            }
        }
    }

    /// Remembers op `op`'s result on `row` (`None`: INVALID), while the
    /// budget allows.
    pub fn put(&mut self, row: u32, op: usize, result: Option<&Grid>) {
        let cells = result.map_or(0, Grid::len);
        let new_row = if self.rows[row as usize].is_none() {
            self.nops * 4
        } else {
            0
        };
        let new_block = cells > 0 && self.blocks.last().is_none_or(|b| b.len() + cells > BLOCK);
        let add =
            new_row + if cells > 0 { SLOT_BYTES } else { 0 } + if new_block { BLOCK } else { 0 };
        if self.used + add > self.budget {
            return;
        }
        self.used += add;
        let entry = match result {
            None => 1,
            Some(g) => {
                if new_block {
                    self.blocks.push(Vec::with_capacity(BLOCK));
                }
                let nb = self.blocks.len() - 1;
                let block = &mut self.blocks[nb];
                let at = (nb * BLOCK + block.len()) as u32;
                block.extend_from_slice(g.data());
                let slot = self.slots.len() as u32;
                self.slots.push(Slot {
                    at,
                    h: g.h() as u8,
                    w: g.w() as u8,
                    scored: false,
                    exact: 0,
                    score: 0,
                });
                slot + 2
            }
        };
        let nops = self.nops;
        self.rows[row as usize].get_or_insert_with(|| vec![0; nops].into_boxed_slice())[op] = entry;
    }

    /// The size of a remembered result.
    #[inline]
    pub fn size(&self, slot: u32) -> (usize, usize) {
        let s = &self.slots[slot as usize];
        (s.h as usize, s.w as usize)
    }

    /// Writes a remembered result into `out`.
    #[inline]
    pub fn copy_into(&self, slot: u32, out: &mut Grid) {
        let s = &self.slots[slot as usize];
        let n = s.h as usize * s.w as usize;
        let (b, at) = (s.at as usize / BLOCK, s.at as usize % BLOCK);
        out.resize(s.h as usize, s.w as usize);
        out.data_mut().copy_from_slice(&self.blocks[b][at..at + n]);
    }

    /// The pair score of a remembered result against `expected` (the
    /// pair's output: a slot belongs to one pair), computed once. The flag
    /// says whether it was computed now, leaving the result in `buf`.
    pub fn score(
        &mut self,
        slot: u32,
        expected: &Grid,
        metric: Metric,
        buf: &mut Grid,
    ) -> (u32, u64, bool) {
        let s = self.slots[slot as usize];
        if s.scored {
            return (u32::from(s.exact), s.score, false);
        }
        self.copy_into(slot, buf);
        let (exact, score) = pair_score(buf, expected, metric);
        let s = &mut self.slots[slot as usize];
        s.scored = true;
        s.exact = exact as u8;
        s.score = score;
        (exact, score, true)
    }
}

/// The key of a grid of pair `k` among a depth's grids.
fn grid_key(k: usize, (h, w): (u8, u8), cells: &[u8]) -> u64 {
    let mut x = 0x243f_6a88_85a3_08d3 ^ ((k as u64) << 16 | (h as u64) << 8 | w as u64);
    for c in cells.chunks(8) {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        x = (x.rotate_left(5) ^ u64::from_le_bytes(b)).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    x ^ (x >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::{Op, OpCode};
    use crate::search::enumerate::{pack, StateMeta};

    fn store_of(states: &[Vec<Option<Grid>>]) -> Store {
        let np = states[0].len();
        let mut store = Store::new(np);
        for st in states {
            let grids: Vec<Grid> = st.iter().map(|g| g.clone().unwrap_or_default()).collect();
            let valid: Vec<bool> = st.iter().map(Option::is_some).collect();
            let (mut s, mut c) = (Vec::new(), Vec::new());
            pack(&grids, &valid, &mut s, &mut c);
            let meta = StateMeta {
                parent: 0,
                op: Op::new(OpCode::Id, &[]),
                op_idx: 0,
                depth: 1,
                exact: 0,
                score: 0,
            };
            store.push(meta, &s, &c);
        }
        store
    }

    fn g(rows: &[&[u8]]) -> Option<Grid> {
        Some(Grid::from_rows(rows).unwrap())
    }

    #[test]
    fn rows_are_the_grids_parents_share_on_a_pair() {
        let (a, b, c) = (g(&[&[1, 2]]), g(&[&[3], &[4]]), g(&[&[5]]));
        let store = store_of(&[
            vec![a.clone(), b.clone(), None],
            vec![a.clone(), c.clone(), None],
            vec![b.clone(), c.clone(), a.clone()],
            vec![c.clone(), b.clone(), a.clone()],
        ]);
        let m = Memo::new(&store, &[0, 1, 2, 3], 10, 2, 1 << 20).unwrap();
        // Pair 0: a twice; pair 1: b twice, c twice; pair 2: a twice. The
        // same grid on another pair has another row; a grid held once and
        // INVALID grids have none.
        assert_eq!(m.nrows(), 4);
        let (r0, r1, r2, r3) = (m.rows(0), m.rows(1), m.rows(2), m.rows(3));
        assert!(r0[0] != NO_ROW && r0[0] == r1[0]);
        assert_eq!((r2[0], r3[0]), (NO_ROW, NO_ROW));
        assert!(r0[1] != NO_ROW && r0[1] == r3[1]);
        assert!(r1[1] != NO_ROW && r1[1] == r2[1] && r1[1] != r0[1]);
        assert_eq!((r0[2], r1[2]), (NO_ROW, NO_ROW));
        assert!(r2[2] != NO_ROW && r2[2] == r3[2]);
        let all: std::collections::HashSet<u32> =
            [r0[0], r0[1], r1[1], r2[2]].into_iter().collect();
        assert_eq!(all.len(), 4);
        // Parents in another order: positions follow the order given.
        let m = Memo::new(&store, &[3, 2], 10, 2, 1 << 20).unwrap();
        assert_eq!(m.nrows(), 1);
        assert_eq!(m.rows(0)[2], m.rows(1)[2]);
        // Nothing shared, or no room for one row: no memo.
        assert!(Memo::new(&store, &[0, 2], 10, 2, 1 << 20).is_none());
        assert!(Memo::new(&store, &[0, 1], 10, 2, 40).is_none());
        assert!(Memo::new(&store, &[0], 10, 2, 1 << 20).is_none());
        // A budget whose quarter holds one row's index: one row.
        let m = Memo::new(&store, &[0, 1, 2, 3], 10, 1, 4 * ROW_BYTES).unwrap();
        assert_eq!(m.nrows(), 1);
        let held = (0..4)
            .flat_map(|i| m.rows(i).to_vec())
            .filter(|&r| r != NO_ROW);
        assert_eq!(held.count(), 2);
    }

    #[test]
    fn a_table_gives_back_what_it_was_given_within_its_budget() {
        let x = Grid::from_rows(&[vec![1, 2, 0], vec![0, 2, 2]]).unwrap();
        let e = Grid::from_rows(&[vec![1, 2, 3], vec![0, 2, 2]]).unwrap();
        let mut t = Table::new(3, 5, 4 * BLOCK);
        assert_eq!(t.get(1, 4), Entry::Unknown);
        t.put(1, 4, Some(&x));
        t.put(1, 2, None);
        t.put(2, 4, Some(&e));
        assert_eq!(t.get(1, 2), Entry::Invalid);
        assert_eq!(t.get(1, 3), Entry::Unknown);
        assert_eq!(t.get(0, 4), Entry::Unknown);
        let Entry::Result(s) = t.get(1, 4) else {
            panic!("remembered")
        };
        assert_eq!(t.size(s), (2, 3));
        let mut out = Grid::filled(5, 5, 7);
        t.copy_into(s, &mut out);
        assert!(out == x);
        // The score: computed once (the grid left in the buffer), then
        // remembered.
        let want = pair_score(&x, &e, Metric::Tiered);
        let mut buf = Grid::default();
        let (a, b, filled) = t.score(s, &e, Metric::Tiered, &mut buf);
        assert_eq!(((a, b), filled), (want, true));
        assert!(buf == x);
        let (a, b, filled) = t.score(s, &e, Metric::Tiered, &mut buf);
        assert_eq!(((a, b), filled), (want, false));
        assert_eq!(t.hits, 2);
        let Entry::Result(s2) = t.get(2, 4) else {
            panic!("remembered")
        };
        t.copy_into(s2, &mut out);
        assert!(out == e);
        // A table at its budget remembers nothing more, and keeps what it
        // has.
        let mut t = Table::new(2, 5, 2 * ROW_BYTES + 5 * 4 + SLOT_BYTES + BLOCK);
        t.put(0, 0, Some(&x));
        t.put(0, 1, Some(&x));
        t.put(1, 0, None);
        assert!(matches!(t.get(0, 0), Entry::Result(_)));
        assert_eq!(t.get(0, 1), Entry::Unknown);
        assert_eq!(t.get(1, 0), Entry::Unknown);
        assert!(t.used <= t.budget);
    }
}
