//! Hashers for the maps whose keys the program makes itself (64-bit
//! hashes, the search's ops, short strings it writes), where SipHash's
//! resistance to keys chosen by an adversary costs time and buys nothing.

use std::hash::Hasher;

/// FxHash's step: a word folded into `h` by rotate, xor and multiply.
#[inline(always)]
pub(crate) fn fx(h: u64, w: u64) -> u64 {
    (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95)
}

/// The murmur3 64-bit finaliser: every output bit depends on every input
/// bit.
#[inline(always)]
pub(crate) fn fmix64(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    x ^ (x >> 33)
}

/// For keys that already are good 64-bit hashes: the key is its own hash.
#[derive(Default, Clone, Copy)]
pub struct PassHasher(u64);

impl Hasher for PassHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// For small keys (ops, short strings): words folded by [`fx`], mixed once
/// at the end by [`fmix64`].
#[derive(Default, Clone, Copy)]
pub struct MixHasher(u64);

impl Hasher for MixHasher {
    #[inline]
    fn finish(&self) -> u64 {
        fmix64(self.0)
    }
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            self.0 = fx(self.0, u64::from_le_bytes(w.try_into().expect("8 bytes")));
        }
        let rest = words.remainder();
        if !rest.is_empty() {
            let mut last = [0u8; 8];
            last[..rest.len()].copy_from_slice(rest);
            // The length too, so that trailing 0 bytes count.
            self.0 = fx(self.0, u64::from_le_bytes(last) ^ (rest.len() as u64) << 59);
        }
    }
    // One step per integer instead of the byte path.
    #[inline]
    fn write_u8(&mut self, v: u8) {
        self.0 = fx(self.0, u64::from(v));
    }
    #[inline]
    fn write_u64(&mut self, v: u64) {
        self.0 = fx(self.0, v);
    }
    #[inline]
    fn write_usize(&mut self, v: usize) {
        self.0 = fx(self.0, v as u64);
    }
    #[inline]
    fn write_isize(&mut self, v: isize) {
        self.0 = fx(self.0, v as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Byte strings that differ only in trailing 0 bytes hash apart, and
    /// a 64-bit key passes through.
    #[test]
    fn hashers_tell_their_keys_apart() {
        let bytes = |b: &[u8]| {
            let mut h = MixHasher::default();
            h.write(b);
            h.finish()
        };
        let strings: [&[u8]; 6] = [b"", b"\0", b"ab", b"ab\0", b"abcdefgh", b"abcdefgh\0"];
        let distinct: std::collections::HashSet<u64> = strings.iter().map(|b| bytes(b)).collect();
        assert_eq!(distinct.len(), strings.len());
        let mut p = PassHasher::default();
        p.write_u64(0x1234_5678_9abc_def0);
        assert_eq!(p.finish(), 0x1234_5678_9abc_def0);
    }
}
