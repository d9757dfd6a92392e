//! Pieces for composition: candidate images (the grids of one program on
//! every train and test input) that have the train outputs' sizes and the
//! predicted test sizes, summarised over the train cells by two bitsets:
//! which cells are not 0 (`nz`) and which differ from the train output
//! (`wrong`). Every layer a composition may use follows from those two
//! bitsets and the train outputs' color bitsets (see [`Variant`]).
//!
//! Pieces with the same bitsets behave the same in composition; only the
//! first (in enumeration order) is kept.

use super::enumerate::IdMap;
use crate::grid::{Grid, MAX_CELLS};
use crate::lang::{Mask, Op};
use crate::score::{byte_flags, MASK_SET_WORDS, MASK_WORDS};

/// How a piece is laid as a layer.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Variant {
    /// Its non-0 cells.
    Nonzero,
    /// Its 0-cells.
    Zero,
    /// Every cell.
    All,
    /// Its non-0 cells painted with one color (`paint c 0` appended).
    Paint(u8),
}

impl Variant {
    /// The layer mask.
    pub fn mask(self) -> Mask {
        match self {
            Variant::Nonzero | Variant::Paint(_) => Mask::Nonzero,
            Variant::Zero => Mask::Zero,
            Variant::All => Mask::All,
        }
    }
}

/// Where a piece comes from.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A stored state.
    State(u32),
    /// A child of the last depth: a stored parent and one more op.
    Child { parent: u32, op: Op },
}

/// The train cells of a task as bitsets: each pair's cells in row-major
/// order, every pair starting on a fresh 64-bit word (the bits between
/// pairs are padding, never set).
#[derive(Clone, Debug)]
pub struct Cells {
    /// (h, w) of each train output.
    pub sizes: Vec<(usize, usize)>,
    /// First word of each pair.
    pub offsets: Vec<usize>,
    /// Words per bitset.
    pub words: usize,
    /// Bits of every train cell.
    pub full: Vec<u64>,
    /// `target[c]`: the cells whose expected color is c.
    pub target: Vec<Vec<u64>>,
}

/// Bit b of the result: whether `a[b]` is not 0, and whether `a[b]`
/// differs from `t[b]` (at most 64 cells).
#[inline(always)]
fn masks(a: &[u8], t: &[u8]) -> (u64, u64) {
    let (mut nz, mut ne) = (0u64, 0u64);
    let n = a.len().min(t.len()).min(64);
    let (a, t) = (&a[..n], &t[..n]);
    // Sixteen cells at a time with SSE2 (part of every x86-64 CPU): one
    // byte comparison with 0 and one with the target, each gathered into
    // 16 bits by `movemask`.
    #[cfg(target_arch = "x86_64")]
    let done = {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_setzero_si128,
        };
        let chunks = n / 16;
        for c in 0..chunks {
            // SAFETY: SSE2 is in the x86-64 baseline; both loads read 16
            // bytes inside the slices (16 * c + 16 <= n), unaligned loads.
            let (zero, same) = unsafe {
                let x = _mm_loadu_si128(a.as_ptr().add(16 * c) as *const __m128i);
                let y = _mm_loadu_si128(t.as_ptr().add(16 * c) as *const __m128i);
                (
                    _mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_setzero_si128())) as u32,
                    _mm_movemask_epi8(_mm_cmpeq_epi8(x, y)) as u32,
                )
            };
            nz |= u64::from(!zero & 0xffff) << (16 * c);
            ne |= u64::from(!same & 0xffff) << (16 * c);
        }
        16 * chunks
    };
    #[cfg(not(target_arch = "x86_64"))]
    let done = 0;
    let (a, t) = (&a[done..], &t[done..]);
    let (mut nz_rest, mut ne_rest) = (0u64, 0u64);
    // Eight cells at a time: the high bit of each byte says "differs".
    let chunks = a.len() / 8;
    for c in 0..chunks {
        let x = u64::from_le_bytes(a[8 * c..8 * c + 8].try_into().expect("8 bytes"));
        let y = u64::from_le_bytes(t[8 * c..8 * c + 8].try_into().expect("8 bytes"));
        nz_rest |= byte_flags(x) << (8 * c);
        ne_rest |= byte_flags(x ^ y) << (8 * c);
    }
    for b in 8 * chunks..a.len() {
        nz_rest |= ((a[b] != 0) as u64) << b;
        ne_rest |= ((a[b] != t[b]) as u64) << b;
    }
    if done < 64 {
        nz |= nz_rest << done;
        ne |= ne_rest << done;
    }
    (nz, ne)
}

/// The 64 bytes from `lo` on, when the array has them.
#[inline(always)]
fn block_at(g: &[u8; MAX_CELLS], lo: usize) -> Option<&[u8; 64]> {
    g.get(lo..lo + 64)?.try_into().ok()
}

/// [`masks`] of a whole block of 64 cells.
#[inline(always)]
fn masks64(a: &[u8; 64], t: &[u8; 64]) -> (u64, u64) {
    masks(a, t)
}

/// [`masks64`] with AVX2: 32 cells per comparison.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn masks64_avx2(a: &[u8; 64], t: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_setzero_si256,
    };
    let (mut nz, mut ne) = (0u64, 0u64);
    for h in 0..2 {
        // SAFETY: both loads read 32 bytes at 32 * h of 64-byte arrays
        // (unaligned loads).
        let (x, y) = unsafe {
            (
                _mm256_loadu_si256(a.as_ptr().add(32 * h) as *const __m256i),
                _mm256_loadu_si256(t.as_ptr().add(32 * h) as *const __m256i),
            )
        };
        let zero = _mm256_movemask_epi8(_mm256_cmpeq_epi8(x, _mm256_setzero_si256())) as u32;
        let same = _mm256_movemask_epi8(_mm256_cmpeq_epi8(x, y)) as u32;
        nz |= u64::from(!zero) << (32 * h);
        ne |= u64::from(!same) << (32 * h);
    }
    (nz, ne)
}

impl Cells {
    /// The layout of the train outputs `expected`.
    pub fn new(expected: &[Grid]) -> Cells {
        let sizes: Vec<(usize, usize)> = expected.iter().map(|g| (g.h(), g.w())).collect();
        let mut offsets = Vec::with_capacity(sizes.len());
        let mut words = 0;
        for g in expected {
            offsets.push(words);
            words += g.len().div_ceil(64);
        }
        let words = words.max(1);
        let mut full = vec![0u64; words];
        let mut target = vec![vec![0u64; words]; 10];
        for (g, &off) in expected.iter().zip(&offsets) {
            for (k, &v) in g.data().iter().enumerate() {
                let (w, b) = (off + k / 64, k % 64);
                full[w] |= 1 << b;
                target[v as usize][w] |= 1 << b;
            }
        }
        Cells {
            sizes,
            offsets,
            words,
            full,
            target,
        }
    }

    /// Whether grids have the train outputs' sizes.
    #[inline]
    pub fn sizes_match(&self, grids: &[Grid]) -> bool {
        grids
            .iter()
            .zip(&self.sizes)
            .all(|(g, &s)| (g.h(), g.w()) == s)
    }

    /// The `nz` and `wrong` bitsets of train grids of the right sizes,
    /// written into `nz` and `wrong` (`words` each).
    pub fn signature(&self, grids: &[Grid], expected: &[Grid], nz: &mut [u64], wrong: &mut [u64]) {
        self.signature_counting(grids, expected, nz, wrong, |_, _| {});
    }

    /// [`Cells::signature`], also giving the number of wrong cells of each
    /// pair to `count(pair, wrong)`.
    pub fn signature_counting(
        &self,
        grids: &[Grid],
        expected: &[Grid],
        nz: &mut [u64],
        wrong: &mut [u64],
        count: impl FnMut(usize, u32),
    ) {
        // The blocks of 64 cells are compared 32 at a time with AVX2, and
        // the wrong cells counted with popcnt, where the CPU has them
        // (x86-64 promises neither); SSE2 otherwise.
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("popcnt") {
                #[target_feature(enable = "avx2,popcnt")]
                fn with_avx2(
                    cells: &Cells,
                    grids: &[Grid],
                    expected: &[Grid],
                    nz: &mut [u64],
                    wrong: &mut [u64],
                    count: impl FnMut(usize, u32),
                ) {
                    cells.signature_scan(grids, expected, nz, wrong, count, |a, t| {
                        masks64_avx2(a, t)
                    })
                }
                // SAFETY: the CPU has AVX2 and popcnt (checked just above).
                return unsafe { with_avx2(self, grids, expected, nz, wrong, count) };
            }
            if std::is_x86_feature_detected!("popcnt") {
                #[target_feature(enable = "popcnt")]
                fn with_popcnt(
                    cells: &Cells,
                    grids: &[Grid],
                    expected: &[Grid],
                    nz: &mut [u64],
                    wrong: &mut [u64],
                    count: impl FnMut(usize, u32),
                ) {
                    cells.signature_scan(grids, expected, nz, wrong, count, masks64)
                }
                // SAFETY: the CPU has popcnt (checked just above).
                return unsafe { with_popcnt(self, grids, expected, nz, wrong, count) };
            }
        }
        self.signature_scan(grids, expected, nz, wrong, count, masks64)
    }

    /// [`Cells::signature_counting`]'s scan (inlined into each of its two
    /// builds).
    #[inline(always)]
    fn signature_scan(
        &self,
        grids: &[Grid],
        expected: &[Grid],
        nz: &mut [u64],
        wrong: &mut [u64],
        mut count: impl FnMut(usize, u32),
        block: impl Fn(&[u8; 64], &[u8; 64]) -> (u64, u64),
    ) {
        for (k, (g, e)) in grids.iter().zip(expected).enumerate() {
            // Whole blocks of 64 cells from the grids' backing arrays, the
            // bits past the last cell masked off.
            let n = g.len().min(e.len());
            let (a, t) = (g.padded(), e.padded());
            let words = n.div_ceil(64);
            let base = self.offsets[k];
            let (nz, wrong) = (&mut nz[base..base + words], &mut wrong[base..base + words]);
            let mut bad = 0;
            for c in 0..words {
                let lo = 64 * c;
                let (mut x, mut d) = match (block_at(a, lo), block_at(t, lo)) {
                    (Some(a), Some(t)) => block(a, t),
                    _ => masks(&a[lo..n], &t[lo..n]),
                };
                if n - lo < 64 {
                    let keep = (1u64 << (n - lo)) - 1;
                    x &= keep;
                    d &= keep;
                }
                nz[c] = x;
                wrong[c] = d;
                bad += d.count_ones();
            }
            count(k, bad);
        }
    }
}

impl Cells {
    /// The `nz` and `wrong` bitsets (`words` each, in `out`: `nz` then
    /// `wrong`) from a backend's match masks of the train pairs (`masks`:
    /// [`MASK_WORDS`] words per train pair, grids of the right sizes; see
    /// [`crate::score::match_masks`]). Equal to [`Cells::signature`] of the
    /// grids the masks were made from.
    pub fn signature_from_masks(&self, masks: &[u32], out: &mut Vec<u64>) {
        out.clear();
        out.resize(2 * self.words, 0);
        let (nz, wrong) = out.split_at_mut(self.words);
        for (k, m) in masks.chunks_exact(MASK_WORDS).enumerate() {
            let (h, w) = self.sizes[k];
            let (mn, mw) = m.split_at(MASK_SET_WORDS);
            for c in 0..(h * w).div_ceil(64) {
                let word = |set: &[u32]| {
                    let lo = set[2 * c] as u64;
                    let hi = set.get(2 * c + 1).map_or(0, |&x| x as u64);
                    lo | hi << 32
                };
                nz[self.offsets[k] + c] = word(mn);
                wrong[self.offsets[k] + c] = word(mw);
            }
        }
    }
}

/// Most other programs remembered per piece signature.
pub const MAX_ALTERNATIVES: usize = 3;

/// The pieces of one search, deduplicated by signature: the first program
/// of each signature is the piece; up to [`MAX_ALTERNATIVES`] later ones
/// are kept as alternatives (same train cells, maybe other test outputs).
pub struct PieceStore {
    pub words: usize,
    /// `nz` bitsets, `words` per piece.
    pub nz: Vec<u64>,
    /// `wrong` bitsets, `words` per piece.
    pub wrong: Vec<u64>,
    pub origin: Vec<Origin>,
    /// Program length of each piece.
    pub len: Vec<u8>,
    /// Piece index by signature hash.
    seen: IdMap<u32>,
    /// Alternatives of the pieces that have some: (origin, length, hash of
    /// the test outputs).
    pub alternatives: IdMap<Vec<(Origin, u8, u64)>>,
    /// Hash of each piece's test outputs.
    pub test_hash: Vec<u64>,
    /// Most pieces kept.
    pub cap: usize,
    /// Pieces offered (before deduplication).
    pub offered: u64,
}

impl PieceStore {
    /// An empty store for bitsets of `words` words.
    pub fn new(words: usize, cap: usize) -> PieceStore {
        PieceStore {
            words,
            nz: Vec::new(),
            wrong: Vec::new(),
            origin: Vec::new(),
            len: Vec::new(),
            seen: IdMap::default(),
            alternatives: IdMap::default(),
            test_hash: Vec::new(),
            cap,
            offered: 0,
        }
    }

    /// Number of pieces.
    pub fn len(&self) -> usize {
        self.origin.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.origin.is_empty()
    }

    /// The signature hash of bitsets.
    pub fn hash(nz: &[u64], wrong: &[u64]) -> u64 {
        let mut h = 0x9e37_79b9_7f4a_7c15u64;
        for (&a, &b) in nz.iter().zip(wrong) {
            h = (h.rotate_left(5) ^ a).wrapping_mul(0x517c_c1b7_2722_0a95);
            h = (h.rotate_left(5) ^ b).wrapping_mul(0x517c_c1b7_2722_0a95);
        }
        h
    }

    /// Adds a piece unless one with the same signature is stored (then it
    /// becomes one of its alternatives when its test outputs differ from
    /// theirs) or the store is full; returns whether it was added as a
    /// piece. `test_hash` identifies the test outputs.
    pub fn offer(
        &mut self,
        hash: u64,
        nz: &[u64],
        wrong: &[u64],
        origin: Origin,
        len: usize,
        test_hash: u64,
    ) -> bool {
        self.offered += 1;
        let len = len.min(255) as u8;
        if let Some(&i) = self.seen.get(&hash) {
            // The same hash: an alternative when the bitsets are equal and
            // the test outputs differ from the piece's and the others'.
            let i = i as usize;
            let (a, b) = self.bits(i);
            if a == nz && b == wrong && self.test_hash[i] != test_hash {
                let alts = self.alternatives.entry(i as u64).or_default();
                if alts.len() < MAX_ALTERNATIVES && alts.iter().all(|x| x.2 != test_hash) {
                    alts.push((origin, len, test_hash));
                }
            }
            return false;
        }
        if self.len() >= self.cap {
            return false;
        }
        self.seen.insert(hash, self.len() as u32);
        self.nz.extend_from_slice(nz);
        self.wrong.extend_from_slice(wrong);
        self.origin.push(origin);
        self.len.push(len);
        self.test_hash.push(test_hash);
        true
    }

    /// Whether offering a piece of these bitsets (hash `hash`) can change
    /// nothing, whatever its test outputs: a piece of the same hash is
    /// stored and either its bitsets differ (a collision: [`Self::offer`]
    /// drops the newcomer) or it has all its alternatives already.
    pub fn saturated(&self, hash: u64, nz: &[u64], wrong: &[u64]) -> bool {
        let Some(&i) = self.seen.get(&hash) else {
            return false;
        };
        let i = i as usize;
        let (a, b) = self.bits(i);
        if a != nz || b != wrong {
            return true;
        }
        self.alternatives
            .get(&(i as u64))
            .is_some_and(|alts| alts.len() >= MAX_ALTERNATIVES)
    }

    /// The bitsets of piece `i`.
    #[inline]
    pub fn bits(&self, i: usize) -> (&[u64], &[u64]) {
        let r = i * self.words..(i + 1) * self.words;
        (&self.nz[r.clone()], &self.wrong[r])
    }

    /// The alternatives of piece `i`: (origin, length, test hash).
    pub fn alternatives_of(&self, i: usize) -> &[(Origin, u8, u64)] {
        self.alternatives
            .get(&(i as u64))
            .map_or(&[], |v| v.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` expected outputs of the sizes `size` draws, made by `make`, and
    /// a grid for each made the same way, then given each cell of its
    /// output with probability `p`.
    fn outputs_and_grids(
        rng: &mut crate::rng::Rng,
        n: usize,
        mut size: impl FnMut(&mut crate::rng::Rng) -> (usize, usize),
        make: impl Fn(&mut crate::rng::Rng, usize, usize) -> Grid,
        p: f64,
    ) -> (Vec<Grid>, Vec<Grid>) {
        let expected: Vec<Grid> = (0..n)
            .map(|_| {
                let (h, w) = size(rng);
                make(rng, h, w)
            })
            .collect();
        let grids = expected
            .iter()
            .map(|e| {
                let mut g = make(rng, e.h(), e.w());
                for k in 0..g.len() {
                    if rng.chance(p) {
                        g.data_mut()[k] = e.data()[k];
                    }
                }
                g
            })
            .collect();
        (expected, grids)
    }

    #[test]
    fn signatures_from_backend_masks_equal_those_from_grids() {
        use crate::lang::random::random_grid;
        let mut rng = crate::rng::Rng::new(9);
        for _ in 0..300 {
            let n = 1 + rng.below(4);
            let (expected, grids) = outputs_and_grids(
                &mut rng,
                n,
                |rng| (1 + rng.below(30), 1 + rng.below(30)),
                random_grid,
                0.5,
            );
            let cells = Cells::new(&expected);
            let (mut nz, mut wrong) = (vec![0; cells.words], vec![0; cells.words]);
            cells.signature(&grids, &expected, &mut nz, &mut wrong);
            let mut masks = vec![0u32; n * MASK_WORDS];
            for (k, m) in masks.chunks_exact_mut(MASK_WORDS).enumerate() {
                crate::score::match_masks(Some(&grids[k]), Some(&expected[k]), m);
            }
            let mut bits = Vec::new();
            cells.signature_from_masks(&masks, &mut bits);
            assert_eq!(bits[..cells.words], nz[..]);
            assert_eq!(bits[cells.words..], wrong[..]);
        }
    }

    #[test]
    fn signatures_read_only_the_cells() {
        use crate::lang::random::random_grid;
        // Grids of every size whose backing arrays hold other values past
        // their cells (a grid made smaller keeps them), against the
        // definition cell by cell, through every build of the scan.
        let mut rng = crate::rng::Rng::new(12);
        let stale = |rng: &mut crate::rng::Rng, h: usize, w: usize| {
            let mut g = random_grid(rng, 30, 30);
            let src = random_grid(rng, h, w);
            g.resize(h, w);
            g.data_mut().copy_from_slice(src.data());
            g
        };
        for round in 0..400 {
            let n = 1 + rng.below(4);
            let size = |rng: &mut crate::rng::Rng| {
                if round % 4 == 0 {
                    (30, 30)
                } else {
                    (1 + rng.below(30), 1 + rng.below(30))
                }
            };
            let (expected, grids) = outputs_and_grids(&mut rng, n, size, stale, 0.6);
            let cells = Cells::new(&expected);
            type Build<'a> = Box<dyn Fn(&mut [u64], &mut [u64], &mut Vec<u32>) + 'a>;
            let mut builds: Vec<Build> = vec![
                Box::new(|nz, wrong, bad| {
                    cells.signature_counting(&grids, &expected, nz, wrong, |_, b| bad.push(b))
                }),
                Box::new(|nz, wrong, bad| {
                    cells.signature_scan(&grids, &expected, nz, wrong, |_, b| bad.push(b), masks64)
                }),
            ];
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("avx2") {
                builds.push(Box::new(|nz, wrong, bad| {
                    // SAFETY: the CPU has AVX2 (checked just above).
                    let avx2 = |a: &[u8; 64], t: &[u8; 64]| unsafe { masks64_avx2(a, t) };
                    cells.signature_scan(&grids, &expected, nz, wrong, |_, b| bad.push(b), avx2)
                }));
            }
            for build in &builds {
                let (mut nz, mut wrong) = (vec![!0; cells.words], vec![!0; cells.words]);
                let mut bad = Vec::new();
                build(&mut nz, &mut wrong, &mut bad);
                for (k, (g, e)) in grids.iter().zip(&expected).enumerate() {
                    let words = g.len().div_ceil(64);
                    let base = cells.offsets[k];
                    for c in 0..words * 64 {
                        let (w, b) = (base + c / 64, c % 64);
                        let cell = g.data().get(c);
                        let want_nz = cell.is_some_and(|&v| v != 0);
                        let want_wrong = cell.is_some_and(|&v| v != e.data()[c]);
                        assert_eq!(nz[w] >> b & 1 == 1, want_nz, "pair {k} cell {c}");
                        assert_eq!(wrong[w] >> b & 1 == 1, want_wrong, "pair {k} cell {c}");
                    }
                    let want = g
                        .data()
                        .iter()
                        .zip(e.data())
                        .filter(|(a, b)| a != b)
                        .count();
                    assert_eq!(bad[k] as usize, want);
                }
            }
        }
    }

    #[test]
    fn masks_match_a_cell_by_cell_reading() {
        let mut rng = crate::rng::Rng::new(5);
        for _ in 0..2000 {
            let n = 1 + rng.below(64);
            let a: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.chance(0.4) {
                        0
                    } else {
                        rng.below(10) as u8
                    }
                })
                .collect();
            let t: Vec<u8> = (0..n)
                .map(|_| {
                    if rng.chance(0.5) {
                        a[0]
                    } else {
                        rng.below(10) as u8
                    }
                })
                .collect();
            let (nz, ne) = masks(&a, &t);
            for b in 0..n {
                assert_eq!(nz >> b & 1 == 1, a[b] != 0);
                assert_eq!(ne >> b & 1 == 1, a[b] != t[b]);
            }
            assert_eq!(nz >> n.min(63) >> 1, 0);
        }
    }

    #[test]
    fn pairs_start_on_fresh_words() {
        let e = vec![Grid::filled(9, 9, 1), Grid::filled(2, 3, 0)];
        let c = Cells::new(&e);
        assert_eq!(c.offsets, vec![0, 2]);
        assert_eq!(c.words, 3);
        assert_eq!(c.full[1].count_ones(), 81 - 64);
        assert_eq!(c.target[0][2].count_ones(), 6);
    }
}
