//! The dispatch plan, as data: how a batch of programs is cut into chunks
//! that each fit one dispatch (at most `max_compute_workgroups_per_dimension`
//! workgroups per dimension, usually 65,535) and whose buffers fit the
//! device's `max_buffer_size` and `max_storage_buffer_binding_size`.
//!
//! One workgroup evaluates one (program, pair); the workgroups of a chunk
//! form a 2-D grid `groups_x` wide, row-major, and the padding workgroups of
//! the last row return at once.

use super::encode::{Extra, RESULT_WORDS};
use std::ops::Range;

/// The device limits a plan honours (and a cap on the work per submission).
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub struct PlanLimits {
    /// `max_compute_workgroups_per_dimension`.
    pub max_workgroups_per_dim: u32,
    /// `max_buffer_size`, bytes.
    pub max_buffer_size: u64,
    /// `max_storage_buffer_binding_size`, bytes.
    pub max_storage_binding: u64,
    /// Most workgroups in one chunk (bounds the time of one submission).
    pub max_workgroups_per_chunk: u64,
}

impl PlanLimits {
    /// The most bytes one storage buffer binding may hold.
    pub fn max_binding_bytes(&self) -> u64 {
        self.max_buffer_size.min(self.max_storage_binding)
    }
}

/// One dispatch: programs `programs` of the batch on `pair_count` pairs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Indices of the batch's programs in this chunk.
    pub programs: Range<usize>,
    /// Workgroups used: programs x pairs.
    pub workgroups: u64,
    /// Dispatch grid (x, y); x * y >= workgroups.
    pub groups: (u32, u32),
    /// Words of the chunk's encoded programs (offset table + records).
    pub program_words: u64,
}

/// Why a batch cannot be planned.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    /// A single program's buffers do not fit the device.
    #[error("one program on {pairs} pairs needs {bytes} bytes of buffers, above the device limit of {limit}")]
    TooBig {
        /// Pairs per program.
        pairs: usize,
        /// Bytes one program needs.
        bytes: u64,
        /// The limit, bytes.
        limit: u64,
    },
    /// `max_compute_workgroups_per_dimension` or the chunk cap is 0.
    #[error("the device limits allow no workgroup at all")]
    NoWorkgroups,
}

/// The dispatch grid for `n` workgroups: x = min(n, max), y = ceil(n / x).
pub fn grid_for(n: u64, max_per_dim: u32) -> (u32, u32) {
    if n == 0 {
        return (0, 0);
    }
    let x = n.min(max_per_dim as u64);
    (x as u32, n.div_ceil(x) as u32)
}

/// Splits a batch into chunks. `record_words[p]` is the size of program
/// p's encoded record; every program runs on `pair_count` pairs; each
/// (program, pair) also needs `extra.words()` words of the second output
/// (the output grid of `predict`, the match masks).
pub fn plan(
    record_words: &[usize],
    pair_count: usize,
    extra: Extra,
    limits: &PlanLimits,
) -> Result<Vec<Chunk>, PlanError> {
    let mut chunks = Vec::new();
    if record_words.is_empty() || pair_count == 0 {
        return Ok(chunks);
    }
    let per_dim = limits.max_workgroups_per_dim as u64;
    let max_wg = (per_dim * per_dim).min(limits.max_workgroups_per_chunk);
    if max_wg == 0 {
        return Err(PlanError::NoWorkgroups);
    }
    let max_bytes = limits.max_binding_bytes();
    let pairs = pair_count as u64;
    let slot_bytes = 4 * (RESULT_WORDS + extra.words()) as u64;
    let mut start = 0;
    while start < record_words.len() {
        let mut end = start;
        let mut words = 0u64;
        while end < record_words.len() {
            let n = (end - start + 1) as u64;
            let w = words + 1 + record_words[end] as u64;
            let fits =
                n * pairs <= max_wg && n * pairs * slot_bytes <= max_bytes && 4 * w <= max_bytes;
            if !fits {
                break;
            }
            words = w;
            end += 1;
        }
        if end == start {
            let bytes = (pairs * slot_bytes).max(4 * (1 + record_words[start] as u64));
            return Err(PlanError::TooBig {
                pairs: pair_count,
                bytes,
                limit: max_bytes.min(max_wg.saturating_mul(slot_bytes)),
            });
        }
        let workgroups = (end - start) as u64 * pairs;
        chunks.push(Chunk {
            programs: start..end,
            workgroups,
            groups: grid_for(workgroups, limits.max_workgroups_per_dim),
            program_words: words,
        });
        start = end;
    }
    Ok(chunks)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(per_dim: u32, bytes: u64, per_chunk: u64) -> PlanLimits {
        PlanLimits {
            max_workgroups_per_dim: per_dim,
            max_buffer_size: bytes,
            max_storage_binding: bytes,
            max_workgroups_per_chunk: per_chunk,
        }
    }

    fn check(chunks: &[Chunk], n: usize, pairs: usize, l: &PlanLimits, extra: Extra) {
        let mut next = 0;
        for c in chunks {
            assert_eq!(c.programs.start, next);
            assert!(!c.programs.is_empty());
            next = c.programs.end;
            assert_eq!(c.workgroups, c.programs.len() as u64 * pairs as u64);
            let (x, y) = c.groups;
            assert!(x <= l.max_workgroups_per_dim && y <= l.max_workgroups_per_dim);
            assert!(x as u64 * y as u64 >= c.workgroups);
            // No row of padding only.
            assert!((x as u64) * (y as u64 - 1) < c.workgroups);
            let slot = 4 * (RESULT_WORDS + extra.words()) as u64;
            assert!(c.workgroups * slot <= l.max_binding_bytes());
            assert!(4 * c.program_words <= l.max_binding_bytes());
            assert!(c.workgroups <= l.max_workgroups_per_chunk);
        }
        assert_eq!(next, n);
    }

    #[test]
    fn grid_splits_at_65535() {
        assert_eq!(grid_for(1, 65535), (1, 1));
        assert_eq!(grid_for(65535, 65535), (65535, 1));
        assert_eq!(grid_for(65536, 65535), (65535, 2));
        assert_eq!(grid_for(3 * 65535 + 1, 65535), (65535, 4));
        assert_eq!(grid_for(0, 65535), (0, 0));
    }

    #[test]
    fn one_chunk_when_everything_fits() {
        let l = limits(65535, 1 << 30, u64::MAX);
        let words = vec![5; 1000];
        let c = plan(&words, 4, Extra::None, &l).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].workgroups, 4000);
        assert_eq!(c[0].groups, (4000, 1));
        assert_eq!(c[0].program_words, 6000);
        check(&c, 1000, 4, &l, Extra::None);
    }

    #[test]
    fn many_workgroups_use_the_second_dimension() {
        // 200,000 programs x 3 pairs = 600,000 workgroups: a 65535-wide grid.
        let l = limits(65535, 1 << 30, u64::MAX);
        let words = vec![3; 200_000];
        let c = plan(&words, 3, Extra::None, &l).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].groups, (65535, 10));
        check(&c, 200_000, 3, &l, Extra::None);
    }

    #[test]
    fn small_dimension_limit_splits_chunks() {
        // 10 x 10 = 100 workgroups per chunk at most.
        let l = limits(10, 1 << 30, u64::MAX);
        let words = vec![3; 100];
        let c = plan(&words, 3, Extra::None, &l).unwrap();
        // 33 programs (99 workgroups) per chunk.
        assert_eq!(c[0].programs, 0..33);
        assert_eq!(c[0].groups, (10, 10));
        assert_eq!(c.len(), 4);
        check(&c, 100, 3, &l, Extra::None);
    }

    #[test]
    fn buffer_size_splits_chunks() {
        // Results: 16 bytes per (program, pair); 1 KiB allows 64 slots.
        let l = limits(65535, 1024, u64::MAX);
        let words = vec![3; 100];
        let c = plan(&words, 2, Extra::None, &l).unwrap();
        assert!(c.iter().all(|c| c.workgroups <= 64));
        check(&c, 100, 2, &l, Extra::None);
        // Program records: 1 KiB = 256 words; records of 33 words + 1.
        let words = vec![33; 100];
        let c = plan(&words, 1, Extra::None, &l).unwrap();
        assert!(c.iter().all(|c| c.program_words <= 256));
        assert_eq!(c[0].programs.len(), 7);
        check(&c, 100, 1, &l, Extra::None);
        // Storage binding smaller than the buffer limit.
        let mut l2 = limits(65535, 1 << 30, u64::MAX);
        l2.max_storage_binding = 160;
        let c = plan(&[1; 50], 1, Extra::None, &l2).unwrap();
        assert!(c.iter().all(|c| c.workgroups <= 10));
        check(&c, 50, 1, &l2, Extra::None);
    }

    #[test]
    fn predict_grids_count_against_the_buffer_limit() {
        let l = limits(65535, 4 * 904 * 5, u64::MAX);
        let c = plan(&[3; 12], 1, Extra::Grids, &l).unwrap();
        assert!(c.iter().all(|c| c.workgroups <= 5));
        check(&c, 12, 1, &l, Extra::Grids);
    }

    #[test]
    fn per_chunk_cap() {
        let l = limits(65535, 1 << 30, 1000);
        let c = plan(&[3; 10_000], 7, Extra::None, &l).unwrap();
        assert!(c.iter().all(|c| c.workgroups <= 1000));
        check(&c, 10_000, 7, &l, Extra::None);
    }

    #[test]
    fn impossible_plans_are_errors() {
        let l = limits(65535, 16, u64::MAX);
        assert!(matches!(
            plan(&[3], 2, Extra::None, &l),
            Err(PlanError::TooBig { .. })
        ));
        assert_eq!(plan(&[], 2, Extra::None, &l), Ok(vec![]));
        assert_eq!(plan(&[3], 0, Extra::None, &l), Ok(vec![]));
        let l = limits(0, 1 << 20, u64::MAX);
        assert_eq!(plan(&[3], 1, Extra::None, &l), Err(PlanError::NoWorkgroups));
    }
}
