//! Sorted fixed-width key table for sparse serial ranges.
//!
//! Roaring spends ~20 bytes on a key that sits alone in its 2^16 chunk, as
//! every key does when serials are random 64-bit numbers. Such keys go
//! here instead: sorted, split into 2^b buckets by their top `b` bits (a
//! directory of u32 start positions), and stored as their low `64 - b`
//! bits rounded up to whole bytes. With `b ≈ log2(n) - 5` a bucket holds
//! about 32 keys (a few cache lines) and a key costs 6 bytes for any n
//! between 128k and 64M.

use super::bits::{le_u32 as u32_at, PAD};
use super::IndexError;

/// Cap on directory bits: 2^20 u32 entries = 4 MiB.
const MAX_DIR_BITS: u32 = 20;

/// Directory bits for `n` keys.
pub(crate) fn dir_bits_for(n: u64) -> u32 {
    if n < 64 {
        return 0;
    }
    (63 - n.leading_zeros()).saturating_sub(5).min(MAX_DIR_BITS)
}

/// Bytes per stored key for `b` directory bits.
pub(crate) fn key_width_for(bits: u32) -> u32 {
    (64 - bits).div_ceil(8)
}

#[inline]
fn bucket_of(key: u64, bits: u32) -> usize {
    if bits == 0 {
        0
    } else {
        (key >> (64 - bits)) as usize
    }
}

#[inline]
fn mask_for(width: u32) -> u64 {
    if width >= 8 {
        u64::MAX
    } else {
        (1u64 << (8 * width)) - 1
    }
}

/// Encodes sorted, distinct keys: returns (directory, keys).
pub(crate) fn encode(keys: &[u64], bits: u32) -> (Vec<u8>, Vec<u8>) {
    let width = key_width_for(bits) as usize;
    let buckets = 1usize << bits;
    let mut dir = Vec::with_capacity((buckets + 1) * 4);
    let mut out = Vec::with_capacity(keys.len() * width + PAD);
    let mut next_bucket = 0usize;
    for (i, &k) in keys.iter().enumerate() {
        let b = bucket_of(k, bits);
        while next_bucket <= b {
            dir.extend_from_slice(&(i as u32).to_le_bytes());
            next_bucket += 1;
        }
        out.extend_from_slice(&k.to_le_bytes()[..width]);
    }
    while next_bucket <= buckets {
        dir.extend_from_slice(&(keys.len() as u32).to_le_bytes());
        next_bucket += 1;
    }
    out.extend_from_slice(&[0u8; PAD]);
    (dir, out)
}

/// The table read in place.
#[derive(Clone, Copy)]
pub(crate) struct SparseTable<'a> {
    bits: u32,
    width: u32,
    n: u64,
    dir: &'a [u8],
    keys: &'a [u8],
}

impl<'a> SparseTable<'a> {
    /// Checks the sizes (cheap: no pass over the keys).
    pub(crate) fn new(
        bits: u32,
        width: u32,
        n: u64,
        dir: &'a [u8],
        keys: &'a [u8],
    ) -> Result<SparseTable<'a>, IndexError> {
        let bad = |w: &str| IndexError::Corrupt(format!("sparse key table: {w}"));
        if bits > MAX_DIR_BITS || width != key_width_for(bits) {
            return Err(bad("bad directory bits or key width"));
        }
        if n > u32::MAX as u64 {
            return Err(bad("too many keys"));
        }
        if dir.len() != ((1usize << bits) + 1) * 4 {
            return Err(bad("directory size"));
        }
        if keys.len() as u64 != n * width as u64 + PAD as u64 {
            return Err(bad("key data size"));
        }
        if u32_at(dir, dir.len() - 4) as u64 != n {
            return Err(bad("directory does not end at the key count"));
        }
        Ok(SparseTable {
            bits,
            width,
            n,
            dir,
            keys,
        })
    }

    /// Full check: directory monotone, keys sorted and in their buckets.
    pub(crate) fn verify(&self) -> Result<(), IndexError> {
        let bad = |w: &str| IndexError::Corrupt(format!("sparse key table: {w}"));
        let mut prev = 0u32;
        for b in 0..=(1usize << self.bits) {
            let v = u32_at(self.dir, 4 * b);
            if v < prev || v as u64 > self.n {
                return Err(bad("directory not monotone"));
            }
            if b > 0 {
                let mut last: Option<u64> = None;
                for i in prev..v {
                    let k = self.low(i as usize);
                    if last.is_some_and(|l| l >= k) {
                        return Err(bad("keys not sorted"));
                    }
                    last = Some(k);
                }
            }
            prev = v;
        }
        Ok(())
    }

    #[inline]
    fn low(&self, i: usize) -> u64 {
        let at = i * self.width as usize;
        match self.keys.get(at..at + 8) {
            Some(s) => {
                let mut w = [0u8; 8];
                w.copy_from_slice(s);
                u64::from_le_bytes(w) & mask_for(self.width)
            }
            None => u64::MAX,
        }
    }

    /// The key's position in the table, if present.
    #[inline]
    pub(crate) fn find(&self, key: u64) -> Option<u64> {
        if self.n == 0 {
            return None;
        }
        let b = bucket_of(key, self.bits);
        let mut lo = u32_at(self.dir, 4 * b) as usize;
        let mut hi = u32_at(self.dir, 4 * b + 4) as usize;
        let target = key & mask_for(self.width);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let k = self.low(mid);
            match k.cmp(&target) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Some(mid as u64),
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn check(set: &BTreeSet<u64>, probes: &[u64]) {
        let keys: Vec<u64> = set.iter().copied().collect();
        let bits = dir_bits_for(keys.len() as u64);
        let (dir, data) = encode(&keys, bits);
        let t =
            SparseTable::new(bits, key_width_for(bits), keys.len() as u64, &dir, &data).unwrap();
        t.verify().unwrap();
        for (i, k) in keys.iter().enumerate() {
            assert_eq!(t.find(*k), Some(i as u64));
        }
        for p in probes {
            assert_eq!(t.find(*p).is_some(), set.contains(p), "probe {p}");
        }
    }

    proptest! {
        #[test]
        fn matches_btreeset(set in proptest::collection::btree_set(any::<u64>(), 0..3000),
                            probes in proptest::collection::vec(any::<u64>(), 0..300)) {
            check(&set, &probes);
        }
    }

    #[test]
    fn widths() {
        assert_eq!(dir_bits_for(10_000_000), 18);
        assert_eq!(key_width_for(18), 6);
        assert_eq!(key_width_for(0), 8);
        let set: BTreeSet<u64> = (0..100_000u64)
            .map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15))
            .collect();
        check(&set, &[0, 1, u64::MAX, 12345]);
    }
}
