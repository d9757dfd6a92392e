//! Scoring and ranking (`DSL.md`, "Scoring a candidate on a task").
//!
//! Every backend reduces one (candidate, pair) evaluation to a
//! [`PairOutcome`]: whether the output is valid, its size, how many cells
//! match the expected grid in the top-left-aligned overlap, and its hash.
//! All three metrics follow from that record and the expected size, so the
//! CPU and the GPU only have to agree on outcomes.

use crate::grid::Grid;
use crate::hash::{grid_hash, INVALID_HASH};
use serde::Serialize;
use std::cmp::Ordering;

/// Which pair score ranks candidates (after exact pairs).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// 1000 exact; 100 + floor(900 * matching / cells) same size;
    /// floor(99 * m / expected cells) other size; 0 INVALID.
    #[default]
    Tiered,
    /// 1 when exact, else 0.
    Exact,
    /// Matching cells when valid and the same size, else 0.
    Cells,
}

/// The compact result of one program on one input, compared with the
/// expected output (if any).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct PairOutcome {
    /// Output height, 0 when INVALID.
    pub h: u8,
    /// Output width, 0 when INVALID.
    pub w: u8,
    /// Cells equal to the expected grid in the overlap of the two grids
    /// aligned at the top-left corner (0 when there is no expected grid).
    pub matching: u16,
    /// [`grid_hash`] of the output ([`INVALID_HASH`] when INVALID).
    pub hash: u64,
}

impl PairOutcome {
    /// The outcome of INVALID.
    pub const INVALID: PairOutcome = PairOutcome {
        h: 0,
        w: 0,
        matching: 0,
        hash: INVALID_HASH,
    };

    /// Compares an output (`None` = INVALID) with the expected grid.
    pub fn compare(out: Option<&Grid>, expected: Option<&Grid>) -> PairOutcome {
        let Some(y) = out else {
            return PairOutcome::INVALID;
        };
        PairOutcome {
            h: y.h() as u8,
            w: y.w() as u8,
            matching: expected.map_or(0, |e| matching_cells(y, e)),
            hash: grid_hash(Some(y)),
        }
    }

    /// Whether the output was valid.
    #[inline]
    pub fn valid(&self) -> bool {
        self.h != 0
    }

    /// Whether the output equals an expected grid of size `eh` x `ew`.
    #[inline]
    pub fn exact(&self, eh: usize, ew: usize) -> bool {
        self.valid()
            && self.h as usize == eh
            && self.w as usize == ew
            && self.matching as usize == eh * ew
    }

    /// The pair's score under `metric` against an expected grid of size
    /// `eh` x `ew`.
    pub fn score(&self, metric: Metric, eh: usize, ew: usize) -> u32 {
        if !self.valid() {
            return 0;
        }
        let same = self.h as usize == eh && self.w as usize == ew;
        let cells = (eh * ew) as u32;
        let m = self.matching as u32;
        match metric {
            Metric::Exact => u32::from(same && m == cells),
            Metric::Cells => {
                if same {
                    m
                } else {
                    0
                }
            }
            Metric::Tiered => {
                if same && m == cells {
                    1000
                } else if same {
                    100 + 900 * m / cells
                } else {
                    99 * m / cells
                }
            }
        }
    }
}

/// Cells equal in the overlap of `y` and `e` aligned at the top-left.
#[inline]
pub fn matching_cells(y: &Grid, e: &Grid) -> u16 {
    if (y.h(), y.w()) == (e.h(), e.w()) {
        return equal_bytes(y.data(), e.data()) as u16;
    }
    let oh = y.h().min(e.h());
    let ow = y.w().min(e.w());
    let mut m = 0u16;
    for i in 0..oh {
        m += equal_bytes(&y.row(i)[..ow], &e.row(i)[..ow]) as u16;
    }
    m
}

/// Words of one match-mask bitset: one bit per cell of a 30 x 30 grid,
/// row-major (bit k of the set is bit k % 32 of word k / 32).
pub const MASK_SET_WORDS: usize = crate::grid::MAX_CELLS.div_ceil(32);
/// Words of one (program, pair)'s match masks: the output's non-0 cells
/// ([`MASK_SET_WORDS`] words), then the cells where it differs from the
/// expected grid. The search composes answers from these two bitsets (see
/// `docs/search.md`, "Composition"); the GPU writes them in the pass that
/// scores (`shaders/eval.wgsl`).
pub const MASK_WORDS: usize = 2 * MASK_SET_WORDS;

/// The match masks of `out` (`None` = INVALID) against `expected` into
/// `dst` ([`MASK_WORDS`] words): bit k of the first set when cell k of the
/// output is not 0, bit k of the second when it differs from cell k of the
/// expected grid. Every word is 0 unless the output is valid and has the
/// expected grid's size (cells are then in the same places).
pub fn match_masks(out: Option<&Grid>, expected: Option<&Grid>, dst: &mut [u32]) {
    let dst = &mut dst[..MASK_WORDS];
    dst.fill(0);
    let (Some(y), Some(e)) = (out, expected) else {
        return;
    };
    if (y.h(), y.w()) != (e.h(), e.w()) {
        return;
    }
    let (nz, bad) = dst.split_at_mut(MASK_SET_WORDS);
    // Eight cells at a time: one flag bit per byte.
    let (a, b) = (y.data(), e.data());
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail = ca.len() * 8;
    for (c, (p, q)) in ca.zip(cb).enumerate() {
        let x = u64::from_le_bytes(p.try_into().expect("8 bytes"));
        let t = u64::from_le_bytes(q.try_into().expect("8 bytes"));
        let (w, sh) = (c / 4, 8 * (c % 4));
        nz[w] |= (byte_flags(x) as u32) << sh;
        bad[w] |= (byte_flags(x ^ t) as u32) << sh;
    }
    for k in tail..a.len() {
        nz[k / 32] |= u32::from(a[k] != 0) << (k % 32);
        bad[k / 32] |= u32::from(a[k] != b[k]) << (k % 32);
    }
}

/// One bit per byte of `x` (bit k: byte k is not 0), for bytes below 128
/// (colors and XORs of colors are).
#[inline(always)]
pub(crate) fn byte_flags(x: u64) -> u64 {
    // Adding 0x7f to a byte below 128 sets its high bit exactly when it is
    // not 0, without carries between bytes.
    let h = (x + 0x7f7f_7f7f_7f7f_7f7f) & 0x8080_8080_8080_8080;
    // Gather the eight high bits into the low byte.
    (h.wrapping_mul(0x0002_0408_1020_4081) >> 56) & 0xff
}

/// The high bit of each byte of `x` that is not 0, in place, for any byte
/// values (no carry crosses a byte: each sum stays below 0x100).
#[inline(always)]
pub(crate) fn nonzero_bytes(x: u64) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    (((x & LO7) + LO7) | x) & !LO7
}

/// How many positions of `a` and `b` (the same length) hold equal bytes,
/// eight at a time.
#[inline]
pub fn equal_bytes(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    // Sixteen at a time with SSE2 (part of every x86-64 CPU): compare the
    // bytes (-1 where equal), subtract the results from byte counters, and
    // add the counters up (`psadbw`) before any can pass 255.
    #[cfg(target_arch = "x86_64")]
    let (simd, a, b) = {
        use std::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_sad_epu8,
            _mm_setzero_si128, _mm_sub_epi8, _mm_unpackhi_epi64,
        };
        let chunks = n / 16;
        let mut same = 0usize;
        let mut c = 0;
        while c < chunks {
            let end = (c + 255).min(chunks);
            // SAFETY: SSE2 is in the x86-64 baseline; both loads read 16
            // bytes inside the slices (16 * k + 16 <= n), unaligned loads.
            same += unsafe {
                let mut acc = _mm_setzero_si128();
                for k in c..end {
                    let x = _mm_loadu_si128(a.as_ptr().add(16 * k) as *const __m128i);
                    let y = _mm_loadu_si128(b.as_ptr().add(16 * k) as *const __m128i);
                    acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(x, y));
                }
                let sums = _mm_sad_epu8(acc, _mm_setzero_si128());
                (_mm_cvtsi128_si64(sums) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(sums, sums)))
                    as usize
            };
            c = end;
        }
        (same, &a[16 * chunks..], &b[16 * chunks..])
    };
    #[cfg(not(target_arch = "x86_64"))]
    let simd = 0usize;
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: usize = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .filter(|(p, q)| p == q)
        .count();
    let words: u32 = ca
        .zip(cb)
        .map(|(p, q)| {
            let v = u64::from_le_bytes(p.try_into().expect("8 bytes"))
                ^ u64::from_le_bytes(q.try_into().expect("8 bytes"));
            let nonzero = nonzero_bytes(v);
            // The bytes' low bits summed into the top byte (at most 8).
            8 - ((nonzero >> 7).wrapping_mul(0x0101_0101_0101_0101) >> 56) as u32
        })
        .sum();
    simd + words as usize + tail
}

/// A candidate's scores on a task.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CandidateScore {
    /// Number of exact train pairs.
    pub exact: u32,
    /// Sum of the train pair scores.
    pub score: u64,
    /// Per train pair score.
    pub pair_scores: Vec<u32>,
    /// Per test pair score, `None` where the test pair has no output.
    pub test_scores: Vec<Option<u32>>,
    /// Number of exact test pairs (among those with outputs).
    pub test_exact: u32,
}

/// Expected sizes of a task's pairs, for turning outcomes into scores.
#[derive(Clone, Debug)]
pub struct Expected {
    /// (h, w) of each train output.
    pub train: Vec<(usize, usize)>,
    /// (h, w) of each test output, `None` where the task has none.
    pub test: Vec<Option<(usize, usize)>>,
}

impl Expected {
    /// The exact train pairs and the total train score of
    /// [`Expected::score`] (what ranks), without its per-pair lists.
    #[inline]
    pub fn rank_score(&self, outcomes: &[PairOutcome], metric: Metric) -> (u32, u64) {
        let (mut exact, mut score) = (0u32, 0u64);
        for (o, &(eh, ew)) in outcomes.iter().zip(&self.train) {
            exact += u32::from(o.exact(eh, ew));
            score += u64::from(o.score(metric, eh, ew));
        }
        (exact, score)
    }
    /// Scores a candidate from its outcomes: train pairs first, then test
    /// pairs, in task order.
    pub fn score(&self, outcomes: &[PairOutcome], metric: Metric) -> CandidateScore {
        let (train, test) = outcomes.split_at(self.train.len());
        let mut s = CandidateScore {
            pair_scores: Vec::with_capacity(train.len()),
            test_scores: Vec::with_capacity(test.len()),
            ..Default::default()
        };
        for (o, &(eh, ew)) in train.iter().zip(&self.train) {
            let p = o.score(metric, eh, ew);
            s.exact += u32::from(o.exact(eh, ew));
            s.score += p as u64;
            s.pair_scores.push(p);
        }
        for (o, e) in test.iter().zip(&self.test) {
            s.test_scores.push(e.map(|(eh, ew)| {
                s.test_exact += u32::from(o.exact(eh, ew));
                o.score(metric, eh, ew)
            }));
        }
        s
    }
}

/// The ranking order: more exact pairs first, then higher total score, then
/// fewer ops, then the earlier candidate (by index).
pub fn rank_cmp(
    a: (&CandidateScore, usize, usize),
    b: (&CandidateScore, usize, usize),
) -> Ordering {
    let (sa, opsa, ia) = a;
    let (sb, opsb, ib) = b;
    sb.exact
        .cmp(&sa.exact)
        .then(sb.score.cmp(&sa.score))
        .then(opsa.cmp(&opsb))
        .then(ia.cmp(&ib))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(rows: &[&[u8]]) -> Grid {
        Grid::from_rows(rows).unwrap()
    }

    #[test]
    fn match_masks_are_a_cell_by_cell_reading() {
        let mut rng = crate::rng::Rng::new(4);
        let mut m = vec![0u32; MASK_WORDS];
        for _ in 0..2000 {
            let (h, w) = (1 + rng.below(30), 1 + rng.below(30));
            let e = crate::lang::random::random_grid(&mut rng, h, w);
            let mut y = e.clone();
            for k in 0..y.len() {
                if rng.chance(0.3) {
                    y.data_mut()[k] = rng.below(10) as u8;
                }
            }
            match_masks(Some(&y), Some(&e), &mut m);
            for k in 0..MASK_SET_WORDS * 32 {
                let (nz, bad) = (
                    m[k / 32] >> (k % 32) & 1,
                    m[MASK_SET_WORDS + k / 32] >> (k % 32) & 1,
                );
                let want = if k < y.len() {
                    (
                        u32::from(y.data()[k] != 0),
                        u32::from(y.data()[k] != e.data()[k]),
                    )
                } else {
                    (0, 0)
                };
                assert_eq!((nz, bad), want, "cell {k} of {h}x{w}");
            }
            // Another size, or INVALID: no bit.
            let other = crate::lang::random::random_grid(&mut rng, h % 30 + 1, w);
            match_masks(Some(&other), Some(&e), &mut m);
            assert!(m.iter().all(|&x| x == 0) || (other.h(), other.w()) == (h, w));
            match_masks(None, Some(&e), &mut m);
            assert!(m.iter().all(|&x| x == 0));
        }
    }

    #[test]
    fn equal_bytes_counts_as_a_byte_loop_does() {
        let mut rng = crate::rng::Rng::new(3);
        for _ in 0..5000 {
            // Short rows and whole grids (up to 30 x 30 and a bit).
            let n = if rng.chance(0.2) {
                rng.below(950)
            } else {
                rng.below(80)
            };
            let a: Vec<u8> = (0..n).map(|_| rng.below(10) as u8).collect();
            let b: Vec<u8> = a
                .iter()
                .map(|&v| {
                    if rng.chance(0.3) {
                        rng.below(10) as u8
                    } else {
                        v
                    }
                })
                .collect();
            let slow = a.iter().zip(&b).filter(|(p, q)| p == q).count();
            assert_eq!(equal_bytes(&a, &b), slow);
        }
        // Longer than 255 chunks of 16 equal bytes (the counters' limit).
        for n in [4079, 4080, 4081, 4096, 9000] {
            let a = vec![7u8; n];
            assert_eq!(equal_bytes(&a, &a), n);
        }
    }

    #[test]
    fn tiered_cells_exact() {
        let e = g(&[&[1, 2], &[3, 4]]);
        let same = PairOutcome::compare(Some(&g(&[&[1, 2], &[3, 0]])), Some(&e));
        assert_eq!(same.score(Metric::Tiered, 2, 2), 100 + 900 * 3 / 4);
        assert_eq!(same.score(Metric::Cells, 2, 2), 3);
        assert_eq!(same.score(Metric::Exact, 2, 2), 0);
        let exact = PairOutcome::compare(Some(&e), Some(&e));
        assert_eq!(exact.score(Metric::Tiered, 2, 2), 1000);
        assert_eq!(exact.score(Metric::Exact, 2, 2), 1);
        assert_eq!(exact.score(Metric::Cells, 2, 2), 4);
        // Different size: overlap aligned at the top-left, m = 2 of 4.
        let other = PairOutcome::compare(Some(&g(&[&[1, 2, 7]])), Some(&e));
        assert_eq!(other.matching, 2);
        assert_eq!(other.score(Metric::Tiered, 2, 2), 99 * 2 / 4);
        assert_eq!(other.score(Metric::Cells, 2, 2), 0);
        let inv = PairOutcome::compare(None, Some(&e));
        assert_eq!(inv.score(Metric::Tiered, 2, 2), 0);
        assert!(!inv.exact(2, 2));
    }

    #[test]
    fn ranking_order() {
        let s = |exact, score| CandidateScore {
            exact,
            score,
            ..Default::default()
        };
        let (a, b, c) = (s(2, 100), s(1, 3000), s(2, 100));
        assert_eq!(rank_cmp((&a, 1, 5), (&b, 1, 0)), Ordering::Less);
        assert_eq!(rank_cmp((&a, 1, 5), (&c, 2, 9)), Ordering::Less);
        assert_eq!(rank_cmp((&a, 2, 5), (&c, 2, 9)), Ordering::Less);
        assert_eq!(rank_cmp((&c, 2, 9), (&a, 2, 5)), Ordering::Greater);
    }
}
