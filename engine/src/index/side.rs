//! Per-entry revocation time and reason, addressed by rank.
//!
//! Entry `r` of the index (its rank among all revoked serials) has its
//! revocation time and reason here. Two encodings, chosen per index by
//! whichever is smaller:
//!
//! * **dictionary** — when a CRL has few distinct (time, reason) pairs (CAs
//!   that revoke in batches, or CRLs made from an `index.txt`), each entry is
//!   a code of `ceil(log2 D)` bits into a table of the D pairs;
//! * **frame of reference** — otherwise, entries are cut into blocks of
//!   [`BLOCK`] by rank; each block stores its minimum time and every entry
//!   the difference at the block's bit width, and reasons are packed
//!   separately through a tiny reason dictionary.
//!
//! Both give O(1) access with one or two unaligned loads.

// FxHash for the dictionary's maps: the keys are times, which SipHash would
// hash five times slower for no benefit here.
use rustc_hash::FxHashMap;

use super::bits::{self, BitWriter};
use super::IndexError;
use crate::{RevocationReason, Timestamp};

/// Entries per frame-of-reference block.
pub(crate) const BLOCK: u64 = 128;
/// Largest dictionary we build; past it the frame encoding always wins.
const MAX_DICT: usize = 1 << 16;
/// Reason byte meaning "the entry has no reasonCode extension".
pub(crate) const NO_REASON: u8 = 0xFF;
const DICT_ENTRY: usize = 9;
const BLOCK_HEADER: usize = 16;

/// How the side table is encoded (stored in the header).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    Dictionary = 1,
    Frame = 2,
}

impl Mode {
    pub(crate) fn from_u8(v: u8) -> Option<Mode> {
        match v {
            1 => Some(Mode::Dictionary),
            2 => Some(Mode::Frame),
            _ => None,
        }
    }
}

/// The encoded side table, ready to be written.
pub(crate) struct Encoded {
    pub(crate) mode: Mode,
    pub(crate) code_width: u32,
    pub(crate) reason_width: u32,
    /// Dictionary: D × (i64 time, u8 reason). Frame: (blocks + 1) × (i64
    /// base, u64 bit position).
    pub(crate) meta: Vec<u8>,
    pub(crate) data: Vec<u8>,
    /// Frame only: the distinct reason bytes.
    pub(crate) reason_dict: Vec<u8>,
    pub(crate) reason_data: Vec<u8>,
}

/// Revocation times in rank order, 4 bytes each while they fit within
/// ±68 years of the first one (always, for real CRLs), 8 bytes otherwise.
/// Halves the builder's memory next to a plain `Vec<i64>`.
#[derive(Default)]
pub(crate) struct TimeColumn {
    base: i64,
    fixed_base: bool,
    narrow: Vec<u32>,
    wide: Option<Vec<i64>>,
}

impl TimeColumn {
    /// A column whose 4-byte values are offsets from around `center`, so
    /// that columns built in parallel share a base and append by copy.
    pub(crate) fn centered_on(center: i64) -> TimeColumn {
        TimeColumn {
            base: center.saturating_sub(1 << 31),
            fixed_base: true,
            narrow: Vec::new(),
            wide: None,
        }
    }

    pub(crate) fn reserve(&mut self, n: usize) {
        match &mut self.wide {
            Some(w) => w.reserve(n),
            None => self.narrow.reserve(n),
        }
    }

    #[inline]
    pub(crate) fn push(&mut self, t: i64) {
        if let Some(w) = &mut self.wide {
            w.push(t);
            return;
        }
        if self.narrow.is_empty() && !self.fixed_base {
            self.base = t.saturating_sub(1 << 31);
        }
        match t.checked_sub(self.base).and_then(|d| u32::try_from(d).ok()) {
            Some(d) => self.narrow.push(d),
            None => {
                let mut w: Vec<i64> = self.narrow.iter().map(|&d| self.base + d as i64).collect();
                w.push(t);
                self.narrow = Vec::new();
                self.wide = Some(w);
            }
        }
    }

    #[inline]
    pub(crate) fn get(&self, i: usize) -> i64 {
        match &self.wide {
            Some(w) => w[i],
            None => self.base + self.narrow[i] as i64,
        }
    }

    pub(crate) fn truncate(&mut self, n: usize) {
        match &mut self.wide {
            Some(w) => w.truncate(n),
            None => self.narrow.truncate(n),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match &self.wide {
            Some(w) => w.len(),
            None => self.narrow.len(),
        }
    }

    pub(crate) fn append(&mut self, other: &mut TimeColumn) {
        let same_base = self.base == other.base || self.len() == 0 && !self.fixed_base;
        if same_base && self.wide.is_none() && other.wide.is_none() {
            self.base = other.base;
            self.narrow.append(&mut other.narrow);
            *other = TimeColumn::default();
            return;
        }
        for i in 0..other.len() {
            self.push(other.get(i));
        }
        *other = TimeColumn::default();
    }
}

impl From<&[i64]> for TimeColumn {
    fn from(v: &[i64]) -> TimeColumn {
        let mut c = TimeColumn::default();
        for &t in v {
            c.push(t);
        }
        c
    }
}

/// Below this many entries, the two encodings are sized on the calling
/// thread (a pool hand-off costs tens of microseconds).
const POOL_MIN_ENTRIES: u64 = 1 << 16;

/// One dictionary key for a (time, reason) pair. Times from DER span less
/// than 2^40 seconds, so shifting by 8 loses nothing.
#[inline]
fn pair_key(t: i64, r: u8) -> u64 {
    ((t as u64) << 8) | r as u64
}

/// Encodes the side table for entries in rank order.
pub(crate) fn encode(times: &TimeColumn, reasons: &[u8]) -> Encoded {
    debug_assert_eq!(times.len(), reasons.len());
    match &times.wide {
        Some(w) => encode_with(&|i| w[i], times, reasons),
        None => {
            let (base, narrow) = (times.base, &times.narrow);
            encode_with(&|i| base + narrow[i] as i64, times, reasons)
        }
    }
}

fn encode_with(
    time_at: &(dyn Fn(usize) -> i64 + Sync),
    times: &TimeColumn,
    reasons: &[u8],
) -> Encoded {
    let n = times.len() as u64;

    // The two candidates are sized in parallel, unless there are too few
    // entries to pay for handing one to the pool.
    let sized = (
        || dictionary(time_at, reasons),
        || FramePlan::new(time_at, reasons, n),
    );
    let ((dict, dict_ok), plan) = if n < POOL_MIN_ENTRIES {
        (sized.0(), sized.1())
    } else {
        rayon::join(sized.0, sized.1)
    };
    if dict_ok {
        if let Some(e) = encode_dictionary(time_at, reasons, n, dict, plan.size(n)) {
            return e;
        }
    }
    plan.encode(time_at, reasons, n)
}

/// The distinct (time, reason) pairs, or `false` once there are too many.
fn dictionary(
    time_at: &(dyn Fn(usize) -> i64 + Sync),
    reasons: &[u8],
) -> (FxHashMap<u64, (i64, u8)>, bool) {
    let mut dict: FxHashMap<u64, (i64, u8)> = FxHashMap::default();
    for (i, &r) in reasons.iter().enumerate() {
        let t = time_at(i);
        let k = pair_key(t, r);
        if !dict.contains_key(&k) {
            if dict.len() == MAX_DICT {
                return (dict, false);
            }
            dict.insert(k, (t, r));
        }
    }
    (dict, true)
}

/// The frame-of-reference encoding, sized before it is written.
struct FramePlan {
    /// Distinct reason bytes, and each one's code.
    reason_set: Vec<u8>,
    reason_code: [u8; 256],
    reason_width: u32,
    /// Per block of [`BLOCK`] entries: minimum time and delta width.
    blocks: Vec<(i64, u32)>,
    /// Total bits of the time deltas.
    time_bits: u64,
}

impl FramePlan {
    fn new(time_at: &(dyn Fn(usize) -> i64 + Sync), reasons: &[u8], n: u64) -> FramePlan {
        let mut seen = [false; 256];
        for &r in reasons {
            seen[r as usize] = true;
        }
        let reason_set: Vec<u8> = (0..=255u8).filter(|r| seen[*r as usize]).collect();
        let mut reason_code = [0u8; 256];
        for (i, r) in reason_set.iter().enumerate() {
            reason_code[*r as usize] = i as u8;
        }
        let reason_width = bits::width_of(reason_set.len().saturating_sub(1) as u64);
        let nblocks = n.div_ceil(BLOCK);
        let mut blocks = Vec::with_capacity(nblocks as usize);
        let mut time_bits: u64 = 0;
        for b in 0..nblocks {
            let (s, e) = block_bounds(b, n);
            let (mut min, mut max) = (i64::MAX, i64::MIN);
            for i in s..e {
                let t = time_at(i);
                min = min.min(t);
                max = max.max(t);
            }
            let w = bits::width_of(max.wrapping_sub(min) as u64);
            blocks.push((min, w));
            time_bits += w as u64 * (e - s) as u64;
        }
        FramePlan {
            reason_set,
            reason_code,
            reason_width,
            blocks,
            time_bits,
        }
    }

    /// Bytes the encoding will take.
    fn size(&self, n: u64) -> u64 {
        (self.blocks.len() as u64 + 1) * BLOCK_HEADER as u64
            + self.time_bits / 8
            + n * self.reason_width as u64 / 8
    }

    fn encode(self, time_at: &(dyn Fn(usize) -> i64 + Sync), reasons: &[u8], n: u64) -> Encoded {
        let mut meta = Vec::with_capacity((self.blocks.len() + 1) * BLOCK_HEADER);
        let mut w = BitWriter::with_capacity_bits(self.time_bits);
        for (b, &(base, width)) in self.blocks.iter().enumerate() {
            let (s, e) = block_bounds(b as u64, n);
            meta.extend_from_slice(&base.to_le_bytes());
            meta.extend_from_slice(&w.bit_len().to_le_bytes());
            for i in s..e {
                w.push(time_at(i).wrapping_sub(base) as u64, width);
            }
        }
        meta.extend_from_slice(&0i64.to_le_bytes());
        meta.extend_from_slice(&w.bit_len().to_le_bytes());
        let mut rw = BitWriter::with_capacity_bits(n * self.reason_width as u64);
        for &r in reasons {
            rw.push(self.reason_code[r as usize] as u64, self.reason_width);
        }
        Encoded {
            mode: Mode::Frame,
            code_width: 0,
            reason_width: self.reason_width,
            meta,
            data: w.finish(),
            reason_dict: self.reason_set,
            reason_data: rw.finish(),
        }
    }
}

/// The dictionary encoding, when it is no larger than the frame one.
fn encode_dictionary(
    time_at: &(dyn Fn(usize) -> i64 + Sync),
    reasons: &[u8],
    n: u64,
    dict: FxHashMap<u64, (i64, u8)>,
    frame_size: u64,
) -> Option<Encoded> {
    let d = dict.len();
    let code_width = bits::width_of(d.saturating_sub(1) as u64);
    let dict_size = (d * DICT_ENTRY) as u64 + n * code_width as u64 / 8;
    if dict_size <= frame_size {
        // Sorted dictionary so the file does not depend on hash order.
        let mut pairs: Vec<(i64, u8)> = dict.values().copied().collect();
        pairs.sort_unstable();
        let code: FxHashMap<u64, u64> = pairs
            .iter()
            .enumerate()
            .map(|(i, p)| (pair_key(p.0, p.1), i as u64))
            .collect();
        let mut meta = Vec::with_capacity(d * DICT_ENTRY);
        for (t, r) in &pairs {
            meta.extend_from_slice(&t.to_le_bytes());
            meta.push(*r);
        }
        let mut w = BitWriter::with_capacity_bits(n * code_width as u64);
        for (i, &r) in reasons.iter().enumerate() {
            let c = code.get(&pair_key(time_at(i), r)).copied().unwrap_or(0);
            w.push(c, code_width);
        }
        return Some(Encoded {
            mode: Mode::Dictionary,
            code_width,
            reason_width: 0,
            meta,
            data: w.finish(),
            reason_dict: Vec::new(),
            reason_data: bits::BitWriter::with_capacity_bits(0).finish(),
        });
    }
    None
}

fn block_bounds(b: u64, n: u64) -> (usize, usize) {
    let s = b * BLOCK;
    (s as usize, (s + BLOCK).min(n) as usize)
}

/// The side table read in place.
#[derive(Clone, Copy)]
pub(crate) struct SideTable<'a> {
    mode: Mode,
    n: u64,
    code_width: u32,
    reason_width: u32,
    meta: &'a [u8],
    data: &'a [u8],
    reason_dict: &'a [u8],
    reason_data: &'a [u8],
}

fn le_i64(b: &[u8], at: usize) -> i64 {
    bits::le_u64(b, at) as i64
}

impl<'a> SideTable<'a> {
    /// Checks every length and bit position so that [`SideTable::get`]
    /// reads only what the encoder wrote. Cost: one pass over the block
    /// headers.
    pub(crate) fn check(&self) -> Result<(), IndexError> {
        let SideTable {
            mode,
            n,
            code_width,
            reason_width,
            meta,
            data,
            reason_dict,
            reason_data,
        } = *self;
        let bad = |what: &str| IndexError::Corrupt(format!("side table: {what}"));
        if code_width > bits::MAX_WIDTH || reason_width > 4 {
            return Err(bad("bit width out of range"));
        }
        let data_bits = (data.len().saturating_sub(bits::PAD) as u64) * 8;
        match mode {
            Mode::Dictionary => {
                if !meta.len().is_multiple_of(DICT_ENTRY) || (n > 0 && meta.is_empty()) {
                    return Err(bad("dictionary length"));
                }
                let d = (meta.len() / DICT_ENTRY) as u64;
                if d > 0 && bits::width_of(d - 1) > code_width {
                    return Err(bad("dictionary code width too small"));
                }
                if n * code_width as u64 > data_bits || data.len() < bits::PAD {
                    return Err(bad("dictionary codes truncated"));
                }
            }
            Mode::Frame => {
                let blocks = n.div_ceil(BLOCK);
                if meta.len() as u64 != (blocks + 1) * BLOCK_HEADER as u64 {
                    return Err(bad("block header count"));
                }
                let mut prev = 0u64;
                for b in 0..=blocks {
                    let pos = bits::le_u64(meta, b as usize * BLOCK_HEADER + 8);
                    if pos < prev {
                        return Err(bad("block positions go backwards"));
                    }
                    if b > 0 {
                        let count = BLOCK.min(n - (b - 1) * BLOCK);
                        let span = pos - prev;
                        if !span.is_multiple_of(count) || span / count > bits::MAX_WIDTH as u64 {
                            return Err(bad("block width"));
                        }
                    }
                    prev = pos;
                }
                if prev > data_bits || data.len() < bits::PAD {
                    return Err(bad("time data truncated"));
                }
                let rd = reason_dict.len() as u64;
                if n > 0 && (rd == 0 || bits::width_of(rd - 1) > reason_width) {
                    return Err(bad("reason dictionary"));
                }
                let rbits = (reason_data.len().saturating_sub(bits::PAD) as u64) * 8;
                if n * reason_width as u64 > rbits || reason_data.len() < bits::PAD {
                    return Err(bad("reason data truncated"));
                }
            }
        }
        Ok(())
    }

    /// The table over its sections, unchecked: lookups call this on a table
    /// that [`SideTable::check`] accepted at open. Reads stay bounds-checked
    /// (a bad table gives wrong answers, never a panic).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(crate) fn view(
        mode: Mode,
        n: u64,
        code_width: u32,
        reason_width: u32,
        meta: &'a [u8],
        data: &'a [u8],
        reason_dict: &'a [u8],
        reason_data: &'a [u8],
    ) -> SideTable<'a> {
        SideTable {
            mode,
            n,
            code_width,
            reason_width,
            meta,
            data,
            reason_dict,
            reason_data,
        }
    }

    /// Time and reason of the entry with this rank.
    #[inline]
    pub(crate) fn get(&self, rank: u64) -> (Timestamp, Option<RevocationReason>) {
        if rank >= self.n {
            return (Timestamp::from_unix(0), None);
        }
        match self.mode {
            Mode::Dictionary => {
                let code = bits::read(self.data, rank * self.code_width as u64, self.code_width);
                let at = code as usize * DICT_ENTRY;
                let t = le_i64(self.meta, at);
                let r = self.meta.get(at + 8).copied().unwrap_or(NO_REASON);
                (Timestamp::from_unix(t), RevocationReason::from_code(r))
            }
            Mode::Frame => {
                let b = (rank / BLOCK) as usize;
                let base = le_i64(self.meta, b * BLOCK_HEADER);
                let pos = bits::le_u64(self.meta, b * BLOCK_HEADER + 8);
                let next = bits::le_u64(self.meta, (b + 1) * BLOCK_HEADER + 8);
                let count = BLOCK.min(self.n - b as u64 * BLOCK);
                let width = (next.saturating_sub(pos) / count.max(1)) as u32;
                let delta = bits::read(self.data, pos + (rank % BLOCK) * width as u64, width);
                let rc = bits::read(
                    self.reason_data,
                    rank * self.reason_width as u64,
                    self.reason_width,
                );
                let r = self
                    .reason_dict
                    .get(rc as usize)
                    .copied()
                    .unwrap_or(NO_REASON);
                (
                    Timestamp::from_unix(base.wrapping_add(delta as i64)),
                    RevocationReason::from_code(r),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check(times: &[i64], reasons: &[u8]) -> Mode {
        let e = encode(&TimeColumn::from(times), reasons);
        let t = SideTable::view(
            e.mode,
            times.len() as u64,
            e.code_width,
            e.reason_width,
            &e.meta,
            &e.data,
            &e.reason_dict,
            &e.reason_data,
        );
        t.check().unwrap();
        for (i, (tm, r)) in times.iter().zip(reasons).enumerate() {
            let (gt, gr) = t.get(i as u64);
            assert_eq!(gt.unix(), *tm, "time of rank {i}");
            assert_eq!(gr, RevocationReason::from_code(*r), "reason of rank {i}");
        }
        e.mode
    }

    #[test]
    fn few_distinct_times_use_the_dictionary() {
        let times: Vec<i64> = (0..10_000)
            .map(|i| 1_700_000_000 + (i % 3) * 86_400)
            .collect();
        let reasons: Vec<u8> = (0..10_000).map(|i| [1u8, 4, NO_REASON][i % 3]).collect();
        assert_eq!(check(&times, &reasons), Mode::Dictionary);
    }

    #[test]
    fn many_distinct_times_use_frames() {
        let times: Vec<i64> = (0..200_000).map(|i| 1_600_000_000 + i * 37).collect();
        let reasons: Vec<u8> = (0..200_000).map(|i| [3u8, 4, 5][i % 3]).collect();
        assert_eq!(check(&times, &reasons), Mode::Frame);
    }

    #[test]
    fn empty() {
        check(&[], &[]);
    }

    proptest! {
        #[test]
        fn round_trip(entries in proptest::collection::vec(
            (prop_oneof![Just(1_700_000_000i64), -62_135_596_800i64..253_402_300_799i64],
             prop_oneof![Just(NO_REASON), 0u8..=10]), 0..700)) {
            let times: Vec<i64> = entries.iter().map(|e| e.0).collect();
            let reasons: Vec<u8> = entries.iter().map(|e| e.1).collect();
            check(&times, &reasons);
        }
    }
}
