//! The 64-bit output hash: two 32-bit lanes, each an order-independent
//! wrapping sum of a per-cell mix, so that a GPU workgroup can compute it by
//! parallel reduction and get exactly the CPU's value. `shaders/` has the
//! WGSL twin (`grid_hash`); the GPU differential tests compare them.

use crate::grid::Grid;

/// Hash of an INVALID output.
pub const INVALID_HASH: u64 = 0;

/// The murmur3 32-bit finaliser.
#[inline(always)]
pub fn fmix32(mut h: u32) -> u32 {
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// Lane values for the cell at (i, j) with color c.
#[inline(always)]
pub fn cell_lanes(i: u32, j: u32, c: u32) -> (u32, u32) {
    let v = (i * 32 + j) * 16 + c;
    (
        fmix32(v ^ 0x9e37_79b9),
        fmix32(v.wrapping_mul(0x85eb_ca6b) ^ 0x7f4a_7c15),
    )
}

/// Final mix of the lane sums with the grid size.
#[inline(always)]
pub fn finish(lo: u32, hi: u32, h: u32, w: u32) -> u64 {
    let size = (h << 8) | w;
    let lo = fmix32(lo ^ size.wrapping_mul(0x27d4_eb2f));
    let hi = fmix32(hi.wrapping_add(size) ^ 0x1656_67b1);
    let v = ((hi as u64) << 32) | lo as u64;
    // Keep 0 for INVALID.
    if v == INVALID_HASH {
        1
    } else {
        v
    }
}

/// The hash of a grid (`None` = INVALID).
pub fn grid_hash(g: Option<&Grid>) -> u64 {
    let Some(g) = g else { return INVALID_HASH };
    let (mut lo, mut hi) = (0u32, 0u32);
    for i in 0..g.h() {
        for (j, &c) in g.row(i).iter().enumerate() {
            let (a, b) = cell_lanes(i as u32, j as u32, c as u32);
            lo = lo.wrapping_add(a);
            hi = hi.wrapping_add(b);
        }
    }
    finish(lo, hi, g.h() as u32, g.w() as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_distinguishes_size_position_color() {
        let a = Grid::from_rows(&[vec![1, 2], vec![3, 4]]).unwrap();
        let b = Grid::from_rows(&[vec![2, 1], vec![3, 4]]).unwrap();
        let c = Grid::from_rows(&[vec![1, 2, 3, 4]]).unwrap();
        let hs = [
            grid_hash(Some(&a)),
            grid_hash(Some(&b)),
            grid_hash(Some(&c)),
            grid_hash(None),
        ];
        for i in 0..4 {
            for j in 0..i {
                assert_ne!(hs[i], hs[j]);
            }
        }
        assert_eq!(grid_hash(Some(&a)), grid_hash(Some(&a.clone())));
    }
}
