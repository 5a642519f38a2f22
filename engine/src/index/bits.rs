//! Fixed-width integers packed back to back, little-endian bit order.
//!
//! The side tables store one small code per entry (a time delta, a
//! dictionary code, a reason); packing them at the exact width they need is
//! what keeps the index near one byte per entry for dense CRLs.

/// Bytes of zero padding after packed data so that a read of any value is a
/// single unaligned 8-byte load.
pub(crate) const PAD: usize = 8;

/// Widest value we ever pack. Times span less than 2^39 seconds (years 0 to
/// 9999), so 56 leaves room while keeping reads to one 8-byte load.
pub(crate) const MAX_WIDTH: u32 = 56;

/// Little-endian integer at byte `at`, or 0 when it would run past the end:
/// the index is read in place from bytes that were checked at open, and a
/// damaged index must give wrong answers rather than panic.
#[inline]
pub(crate) fn le_u16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at.saturating_add(2)) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => 0,
    }
}

/// See [`le_u16`].
#[inline]
pub(crate) fn le_u32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at.saturating_add(4)) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

/// See [`le_u16`].
#[inline]
pub(crate) fn le_u64(b: &[u8], at: usize) -> u64 {
    match b.get(at..at.saturating_add(8)) {
        Some(s) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            u64::from_le_bytes(w)
        }
        None => 0,
    }
}

/// Number of bits needed to hold `v`.
pub(crate) fn width_of(v: u64) -> u32 {
    64 - v.leading_zeros()
}

/// Appends values at a fixed width, a 64-bit word at a time.
pub(crate) struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    nacc: u32,
}

impl BitWriter {
    pub(crate) fn with_capacity_bits(bits: u64) -> BitWriter {
        BitWriter {
            out: Vec::with_capacity((bits / 8) as usize + PAD + 8),
            acc: 0,
            nacc: 0,
        }
    }

    /// Number of bits written so far.
    pub(crate) fn bit_len(&self) -> u64 {
        self.out.len() as u64 * 8 + self.nacc as u64
    }

    #[inline]
    pub(crate) fn push(&mut self, value: u64, width: u32) {
        debug_assert!(width <= MAX_WIDTH);
        debug_assert!(width == 64 || value >> width == 0);
        if width == 0 {
            return;
        }
        self.acc |= value << self.nacc;
        let total = self.nacc + width;
        if total >= 64 {
            self.out.extend_from_slice(&self.acc.to_le_bytes());
            let used = 64 - self.nacc;
            self.acc = if used < 64 { value >> used } else { 0 };
            self.nacc = total - 64;
        } else {
            self.nacc = total;
        }
    }

    /// Flushes the last partial word and adds the read padding.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let bytes = self.nacc.div_ceil(8) as usize;
        self.out.extend_from_slice(&self.acc.to_le_bytes()[..bytes]);
        self.out.extend_from_slice(&[0u8; PAD]);
        self.out
    }
}

/// Reads the value of `width` bits starting at bit `pos`. Callers guarantee
/// (checked when the index is opened) that `pos + width` lies within `data`
/// minus its padding; out-of-range reads return 0 rather than panic.
#[inline]
pub(crate) fn read(data: &[u8], pos: u64, width: u32) -> u64 {
    if width == 0 {
        return 0;
    }
    let byte = (pos / 8) as usize;
    let shift = (pos % 8) as u32;
    match data.get(byte..byte + 8) {
        Some(b) => {
            let mut w = [0u8; 8];
            w.copy_from_slice(b);
            (u64::from_le_bytes(w) >> shift) & ((1u64 << width) - 1)
        }
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn round_trip(values in proptest::collection::vec((any::<u64>(), 0u32..=MAX_WIDTH), 0..300)) {
            let mut w = BitWriter::with_capacity_bits(0);
            let mut expect = Vec::new();
            for (v, width) in values {
                let v = if width == 0 { 0 } else { v & ((1u64 << width) - 1) };
                expect.push((w.bit_len(), v, width));
                w.push(v, width);
            }
            let data = w.finish();
            for (pos, v, width) in expect {
                prop_assert_eq!(read(&data, pos, width), v);
            }
        }
    }

    #[test]
    fn widths() {
        assert_eq!(width_of(0), 0);
        assert_eq!(width_of(1), 1);
        assert_eq!(width_of(255), 8);
        assert_eq!(width_of(256), 9);
    }
}
