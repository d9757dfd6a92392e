//! Composition: answers stacked from several pieces, as an `overlay` of
//! layers (see `docs/search.md`, "Composition").
//!
//! Greedy, top layer first: the covered train cells start empty; at each
//! step the layer (a piece and a [`Variant`]) that paints the most
//! uncovered cells is added, among those whose wrong cells are all covered
//! already (an upper layer hides them); ties go to the earlier piece, then
//! to the earlier variant. It stops when every train cell whose expected
//! color is not 0 is covered (uncovered cells are 0 in an overlay), when no
//! layer adds a cell, or at [`crate::lang::MAX_LAYERS`] layers.

use super::pieces::{Cells, PieceStore, Variant};
use crate::lang::MAX_LAYERS;

/// One composition: its layers, top first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Composition {
    pub layers: Vec<(usize, Variant)>,
}

/// The variants tried for every piece: the three masks, then the non-0
/// cells painted with each color of `palette` (the colors of the train
/// outputs other than 0).
pub fn variants(palette: &[u8]) -> Vec<Variant> {
    let mut v = vec![Variant::Nonzero, Variant::Zero, Variant::All];
    v.extend(
        palette
            .iter()
            .filter(|&&c| c != 0)
            .map(|&c| Variant::Paint(c)),
    );
    v
}

/// The cells a layer paints (`a`) and those it paints wrongly (`b`), word
/// `j`.
#[inline(always)]
fn layer_word(v: Variant, nz: u64, wrong: u64, full: u64, cells: &Cells, j: usize) -> (u64, u64) {
    match v {
        Variant::Nonzero => (nz, nz & wrong),
        Variant::Zero => (!nz & full, !nz & wrong & full),
        Variant::All => (full, wrong),
        Variant::Paint(c) => (nz, nz & !cells.target[c as usize][j]),
    }
}

/// Adds the cells layer (piece `i`, variant `v`) paints to the covered
/// cells `u`.
fn cover(u: &mut [u64], store: &PieceStore, cells: &Cells, i: usize, v: Variant) {
    let (nz, wrong) = store.bits(i);
    for (j, u) in u.iter_mut().enumerate() {
        *u |= layer_word(v, nz[j], wrong[j], cells.full[j], cells, j).0;
    }
}

/// Whether covered cells `u` make the overlay exact on every train pair:
/// every uncovered cell is expected to be 0.
fn done(u: &[u64], cells: &Cells) -> bool {
    u.iter()
        .zip(&cells.full)
        .zip(&cells.target[0])
        .all(|((&u, &f), &z)| f & !u & !z == 0)
}

/// The greedy composition over the pieces, or None when it does not make
/// every train pair exact. `skip_first` forbids one layer as the top
/// layer (to find a second, different composition).
pub fn greedy(
    store: &PieceStore,
    cells: &Cells,
    variants: &[Variant],
    skip_first: Option<(usize, Variant)>,
) -> Option<Composition> {
    greedy_upto(
        store,
        cells,
        variants,
        skip_first,
        usize::MAX,
        &super::enumerate::Stop::default(),
    )
}

/// [`greedy`] over the pieces whose programs have at most `max_len` ops,
/// giving up (None) when `stop` says so.
pub fn greedy_upto(
    store: &PieceStore,
    cells: &Cells,
    variants: &[Variant],
    skip_first: Option<(usize, Variant)>,
    max_len: usize,
    stop: &super::enumerate::Stop,
) -> Option<Composition> {
    let w = cells.words;
    let mut u = vec![0u64; w];
    let mut layers: Vec<(usize, Variant)> = Vec::new();
    // The last gain found for each (piece, variant), piece-major: as the
    // covered cells only grow, a layer's gain only falls, so a layer whose
    // last gain is no more than the step's best so far cannot win the
    // step and is not counted again (u32::MAX: not counted yet).
    let mut bound = vec![u32::MAX; store.len() * variants.len()];
    // A layer found blocked (a wrong cell uncovered) at word j in step s
    // stays blocked until u changes in word j: `blocked` holds j (NOT_BLOCKED
    // when none) and s per layer, `changed[j]` the last step whose cover
    // changed word j.
    let mut blocked = vec![(NOT_BLOCKED, 0u8); store.len() * variants.len()];
    let mut changed = vec![0u8; w];
    while layers.len() < MAX_LAYERS {
        if stop.now() {
            return None;
        }
        let first = layers.is_empty();
        let step = Step {
            store,
            cells,
            variants,
            skip: skip_first.filter(|_| first),
            max_len,
            u: &u,
            changed: &changed,
            step: layers.len() as u8 + 1,
        };
        let best = best_layer(&step, &mut bound, &mut blocked);
        let Some((_, i, v)) = best else {
            break;
        };
        let before = u.clone();
        cover(&mut u, store, cells, i, v);
        for ((c, a), b) in changed.iter_mut().zip(&u).zip(&before) {
            if a != b {
                *c = layers.len() as u8 + 1;
            }
        }
        layers.push((i, v));
        if done(&u, cells) {
            prune(&mut layers, store, cells);
            return Some(Composition { layers });
        }
    }
    None
}

/// One greedy step's question: among the layers of pieces of at most
/// `max_len` ops, except `skip`, whose wrong cells are covered (`u`: the
/// covered cells), which paints the most uncovered cells.
#[derive(Clone, Copy)]
struct Step<'a> {
    store: &'a PieceStore,
    cells: &'a Cells,
    variants: &'a [Variant],
    skip: Option<(usize, Variant)>,
    max_len: usize,
    u: &'a [u64],
    /// Per word, the last step that changed it (see [`greedy_upto`]).
    changed: &'a [u8],
    /// This step's number (from 1).
    step: u8,
}

/// No word blocks the layer (see [`greedy_upto`]).
const NOT_BLOCKED: u32 = u32::MAX;
const _: () = assert!(MAX_LAYERS < u8::MAX as usize);

/// The answer to `step`: (gain, piece, variant); ties go to the earlier
/// piece, then the earlier variant. None when no layer adds a cell.
/// `bound`: an upper bound of each layer's gain (see [`greedy_upto`]),
/// lowered to the gains counted; `blocked`: where each layer was last
/// found blocked, and when.
fn best_layer(
    step: &Step,
    bound: &mut [u32],
    blocked: &mut [(u32, u8)],
) -> Option<(u32, usize, Variant)> {
    // The scan counts bits: with the CPU's popcnt instruction where it has
    // one (x86-64 does not promise it), else with the portable count.
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("popcnt") {
        #[target_feature(enable = "popcnt")]
        unsafe fn scan_popcnt(
            step: &Step,
            bound: &mut [u32],
            blocked: &mut [(u32, u8)],
        ) -> Option<(u32, usize, Variant)> {
            scan(step, bound, blocked)
        }
        // SAFETY: the CPU has popcnt (checked just above).
        return unsafe { scan_popcnt(step, bound, blocked) };
    }
    scan(step, bound, blocked)
}

/// [`best_layer`]'s scan (inlined into each of its two builds).
#[inline(always)]
fn scan(
    step: &Step,
    bound: &mut [u32],
    blocked: &mut [(u32, u8)],
) -> Option<(u32, usize, Variant)> {
    let Step {
        store,
        cells,
        variants,
        skip,
        max_len,
        u,
        changed,
        step,
    } = *step;
    let w = cells.words;
    let nv = variants.len();
    let mut best: Option<(u32, usize, Variant)> = None;
    // Only a gain above the best so far replaces it.
    let mut top = 0;
    for i in 0..store.len() {
        if store.len[i] as usize > max_len {
            continue;
        }
        let (nz, wrong) = store.bits(i);
        'v: for (k, &v) in variants.iter().enumerate() {
            let at = i * nv + k;
            if bound[at] <= top || skip == Some((i, v)) {
                continue;
            }
            // Still blocked: u has not changed where it was.
            let (j, when) = blocked[at];
            if j != NOT_BLOCKED && changed[j as usize] < when {
                continue;
            }
            let mut gain = 0u32;
            for j in 0..w {
                let (a, b) = layer_word(v, nz[j], wrong[j], cells.full[j], cells, j);
                if b & !u[j] != 0 {
                    blocked[at] = (j as u32, step);
                    continue 'v;
                }
                gain += (a & !u[j]).count_ones();
            }
            blocked[at].0 = NOT_BLOCKED;
            bound[at] = gain;
            if gain > top {
                top = gain;
                best = Some((gain, i, v));
            }
        }
    }
    best
}

/// Whether layers (top first) make an exact overlay: each layer's wrong
/// cells are covered by the layers above it, and every cell no layer
/// covers is expected to be 0.
pub fn exact(layers: &[(usize, Variant)], store: &PieceStore, cells: &Cells) -> bool {
    let mut u = vec![0u64; cells.words];
    for &(i, v) in layers {
        let (nz, wrong) = store.bits(i);
        for j in 0..cells.words {
            let (a, b) = layer_word(v, nz[j], wrong[j], cells.full[j], cells, j);
            if b & !u[j] != 0 {
                return false;
            }
            u[j] |= a;
        }
    }
    done(&u, cells)
}

/// Drops the layers the overlay stays exact without (top first), so that
/// answers use as few pieces as the greedy choice allows.
fn prune(layers: &mut Vec<(usize, Variant)>, store: &PieceStore, cells: &Cells) {
    let mut i = 0;
    while i < layers.len() && layers.len() > 1 {
        let mut rest = layers.clone();
        rest.remove(i);
        if exact(&rest, store, cells) {
            *layers = rest;
        } else {
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grid::Grid;
    use crate::search::pieces::Origin;

    fn g(s: &str) -> Grid {
        let rows: Vec<Vec<u8>> = s
            .split('/')
            .map(|r| r.bytes().map(|b| b - b'0').collect())
            .collect();
        Grid::from_rows(&rows).unwrap()
    }

    fn store_of(cells: &Cells, expected: &[Grid], pieces: &[&[Grid]]) -> PieceStore {
        let mut s = PieceStore::new(cells.words, 100);
        for (k, p) in pieces.iter().enumerate() {
            let mut nz = vec![0; cells.words];
            let mut wrong = vec![0; cells.words];
            cells.signature(p, expected, &mut nz, &mut wrong);
            let h = PieceStore::hash(&nz, &wrong);
            s.offer(h, &nz, &wrong, Origin::State(k as u32), 1, k as u64);
        }
        s
    }

    #[test]
    fn two_layers_cover_a_target() {
        // Target: the left half from piece 0, the right half from piece 1.
        let expected = vec![g("12/34")];
        let cells = Cells::new(&expected);
        let p0 = vec![g("10/30")];
        let p1 = vec![g("92/94")];
        let store = store_of(&cells, &expected, &[&p0, &p1]);
        let c = greedy(&store, &cells, &variants(&[1, 2, 3, 4]), None).unwrap();
        // p0's non-0 cells (2 right, none wrong), then p1's non-0 cells
        // (its wrong cells are covered by p0's).
        assert_eq!(c.layers, vec![(0, Variant::Nonzero), (1, Variant::Nonzero)]);
        assert!(exact(&c.layers, &store, &cells));
        assert!(!exact(&[(1, Variant::Nonzero)], &store, &cells));
        // Without p0 as the top layer, nothing makes the target.
        assert!(greedy(
            &store,
            &cells,
            &variants(&[1, 2, 3, 4]),
            Some((0, Variant::Nonzero))
        )
        .is_none());
    }

    #[test]
    fn paint_variants_and_zero_cells() {
        // Target 50/05: the piece 10/01 painted 5 is exact (the greedy first
        // takes its 0-cells, which cover as much; that layer is pruned, as
        // uncovered cells are 0 anyway).
        let expected = vec![g("50/05")];
        let cells = Cells::new(&expected);
        let p0 = vec![g("10/01")];
        let store = store_of(&cells, &expected, &[&p0]);
        let c = greedy(&store, &cells, &variants(&[5]), None).unwrap();
        assert_eq!(c.layers, vec![(0, Variant::Paint(5))]);
    }

    /// The greedy with its gain bounds equals the plain greedy (every layer
    /// counted at every step) on random pieces.
    #[test]
    fn bounded_greedy_equals_the_plain_one() {
        use crate::lang::random::random_grid;
        fn plain(
            store: &PieceStore,
            cells: &Cells,
            variants: &[Variant],
            max_len: usize,
        ) -> Option<Composition> {
            let w = cells.words;
            let mut u = vec![0u64; w];
            let mut layers = Vec::new();
            while layers.len() < MAX_LAYERS {
                let mut best: Option<(u32, usize, Variant)> = None;
                for i in 0..store.len() {
                    if store.len[i] as usize > max_len {
                        continue;
                    }
                    let (nz, wrong) = store.bits(i);
                    'v: for &v in variants {
                        let mut gain = 0;
                        for j in 0..w {
                            let (a, b) = layer_word(v, nz[j], wrong[j], cells.full[j], cells, j);
                            if b & !u[j] != 0 {
                                continue 'v;
                            }
                            gain += (a & !u[j]).count_ones();
                        }
                        if gain > best.map_or(0, |b| b.0) {
                            best = Some((gain, i, v));
                        }
                    }
                }
                let Some((_, i, v)) = best else { break };
                cover(&mut u, store, cells, i, v);
                layers.push((i, v));
                if done(&u, cells) {
                    prune(&mut layers, store, cells);
                    return Some(Composition { layers });
                }
            }
            None
        }
        let mut rng = crate::rng::Rng::new(0xc0);
        let mut found = 0;
        for _ in 0..300 {
            let n = 1 + rng.below(3);
            let expected: Vec<Grid> = (0..n)
                .map(|_| {
                    let (h, w) = (1 + rng.below(9), 1 + rng.below(9));
                    let mut g = random_grid(&mut rng, h, w);
                    for v in g.data_mut() {
                        *v %= 4;
                    }
                    g
                })
                .collect();
            let cells = Cells::new(&expected);
            let mut store = PieceStore::new(cells.words, 1000);
            for k in 0..rng.below(60) {
                // Mostly right, some cells 0 or wrong.
                let grids: Vec<Grid> = expected
                    .iter()
                    .map(|e| {
                        let mut g = e.clone();
                        for v in g.data_mut() {
                            if rng.chance(0.3) {
                                *v = if rng.chance(0.5) {
                                    0
                                } else {
                                    rng.below(4) as u8
                                };
                            }
                        }
                        g
                    })
                    .collect();
                let (mut nz, mut wrong) = (vec![0; cells.words], vec![0; cells.words]);
                cells.signature(&grids, &expected, &mut nz, &mut wrong);
                let h = PieceStore::hash(&nz, &wrong);
                store.offer(
                    h,
                    &nz,
                    &wrong,
                    Origin::State(k as u32),
                    1 + rng.below(3),
                    k as u64,
                );
            }
            let vs = variants(&[1, 2, 3]);
            for max_len in 1..=3 {
                let want = plain(&store, &cells, &vs, max_len);
                let stop = crate::search::enumerate::Stop::default();
                let got = greedy_upto(&store, &cells, &vs, None, max_len, &stop);
                assert_eq!(got, want);
                found += usize::from(got.is_some());
            }
        }
        assert!(found > 50, "{found} compositions found");
    }
}
