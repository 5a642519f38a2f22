//! The portable roaring serialisation, read in place.
//!
//! The `roaring` crate only deserialises into owned containers, which would
//! copy the whole bitmap at open. This module reads the same bytes where
//! they lie (spec: RoaringFormatSpec, "portable" 32-bit format, and the
//! 64-bit extension used by CRoaring's `portable` treemap: a u64 bucket
//! count, then per bucket a u32 high key and a 32-bit bitmap).
//!
//! Opening walks only the headers (bucket list, container descriptors,
//! offsets) and checks that every container lies inside the buffer, so a
//! lookup can never read out of bounds. Ranks come from a small auxiliary
//! table the index stores beside the bitmap ([`RankAux`]): a rank base per
//! container plus checkpoints inside bitmap and run containers.

use super::bits::{le_u16 as u16_at, le_u32 as u32_at, le_u64 as u64_at};
use super::IndexError;

const COOKIE_NO_RUN: u32 = 12346;
const COOKIE_RUN: u16 = 12347;
const NO_OFFSET_THRESHOLD: usize = 4;
const ARRAY_LIMIT: usize = 4096;
const BITMAP_BYTES: usize = 8192;
/// Words (u64) of a bitmap container between two rank checkpoints.
pub(crate) const BITMAP_CHECKPOINT_WORDS: usize = 8;
/// Checkpoints per bitmap container.
pub(crate) const BITMAP_CHECKPOINTS: usize = 1024 / BITMAP_CHECKPOINT_WORDS;

fn corrupt(what: &str) -> IndexError {
    IndexError::Corrupt(format!("roaring bitmap: {what}"))
}

/// Kind of a container, as the format encodes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Array,
    Bitmap,
    Run,
}

#[derive(Clone, Copy)]
enum Offsets<'a> {
    Header(&'a [u8]),
    Small([u32; NO_OFFSET_THRESHOLD]),
}

/// One 32-bit roaring bitmap in the portable format, borrowed.
#[derive(Clone, Copy)]
pub(crate) struct Bitmap32<'a> {
    data: &'a [u8],
    n: usize,
    desc: &'a [u8],
    run_flags: Option<&'a [u8]>,
    offsets: Offsets<'a>,
}

impl<'a> Bitmap32<'a> {
    /// Reads the headers of a bitmap already checked by [`Bitmap32::parse`]:
    /// O(1), no validation pass (used on every lookup).
    #[inline]
    pub(crate) fn view(data: &'a [u8]) -> Option<Bitmap32<'a>> {
        Bitmap32::headers(data).ok().map(|(bm, _)| bm)
    }

    /// Parses the headers of the bitmap at the start of `data`, checks that
    /// every container lies inside it, and returns it with the number of
    /// bytes it occupies.
    pub(crate) fn parse(data: &'a [u8]) -> Result<(Bitmap32<'a>, usize), IndexError> {
        let (bm, pos) = Bitmap32::headers(data)?;
        let mut end = pos;
        let mut prev_key: Option<u16> = None;
        for i in 0..bm.n {
            let key = bm.key(i);
            if prev_key.is_some_and(|p| p >= key) {
                return Err(corrupt("container keys not strictly increasing"));
            }
            prev_key = Some(key);
            let off = bm.offset(i);
            let len = bm.container_len(i, off)?;
            if off < pos || off + len > data.len() {
                return Err(corrupt("container outside the bitmap"));
            }
            if bm.kind(i) == Kind::Run && 4 * u16_at(data, off) as usize > 4 * bm.cardinality(i) {
                return Err(corrupt("run container has more runs than values"));
            }
            end = end.max(off + len);
        }
        Ok((bm, end))
    }

    #[inline]
    fn headers(data: &'a [u8]) -> Result<(Bitmap32<'a>, usize), IndexError> {
        let cookie = data
            .get(0..4)
            .map(|_| u32_at(data, 0))
            .ok_or_else(|| corrupt("truncated cookie"))?;
        let (n, run_flags, mut pos) = if cookie == COOKIE_NO_RUN {
            let n = data
                .get(4..8)
                .map(|_| u32_at(data, 4) as usize)
                .ok_or_else(|| corrupt("truncated size"))?;
            (n, None, 8usize)
        } else if cookie as u16 == COOKIE_RUN {
            let n = (cookie >> 16) as usize + 1;
            let flag_len = n.div_ceil(8);
            let flags = data
                .get(4..4 + flag_len)
                .ok_or_else(|| corrupt("truncated run flags"))?;
            (n, Some(flags), 4 + flag_len)
        } else {
            return Err(corrupt(&format!("unknown cookie {cookie:#x}")));
        };
        if n > 1 << 16 {
            return Err(corrupt("more than 65536 containers"));
        }
        let desc = data
            .get(pos..pos + 4 * n)
            .ok_or_else(|| corrupt("truncated container descriptors"))?;
        pos += 4 * n;
        let has_offsets = run_flags.is_none() || n >= NO_OFFSET_THRESHOLD;
        let mut bm = Bitmap32 {
            data,
            n,
            desc,
            run_flags,
            offsets: Offsets::Small([0; NO_OFFSET_THRESHOLD]),
        };
        if has_offsets {
            let off = data
                .get(pos..pos + 4 * n)
                .ok_or_else(|| corrupt("truncated offsets"))?;
            bm.offsets = Offsets::Header(off);
            pos += 4 * n;
        } else {
            // Without an offset header containers follow each other.
            let mut small = [0u32; NO_OFFSET_THRESHOLD];
            let mut at = pos;
            for (i, slot) in small.iter_mut().enumerate().take(n) {
                *slot = u32::try_from(at).map_err(|_| corrupt("offset overflow"))?;
                at += bm.container_len(i, at)?;
            }
            bm.offsets = Offsets::Small(small);
        }
        Ok((bm, pos))
    }

    fn container_len(&self, i: usize, off: usize) -> Result<usize, IndexError> {
        Ok(match self.kind(i) {
            Kind::Array => self.cardinality(i) * 2,
            Kind::Bitmap => BITMAP_BYTES,
            Kind::Run => {
                if off + 2 > self.data.len() {
                    return Err(corrupt("truncated run container"));
                }
                2 + 4 * u16_at(self.data, off) as usize
            }
        })
    }

    /// Number of containers.
    pub(crate) fn len(&self) -> usize {
        self.n
    }

    #[inline]
    fn key(&self, i: usize) -> u16 {
        u16_at(self.desc, 4 * i)
    }

    #[inline]
    pub(crate) fn cardinality(&self, i: usize) -> usize {
        u16_at(self.desc, 4 * i + 2) as usize + 1
    }

    #[inline]
    pub(crate) fn kind(&self, i: usize) -> Kind {
        if let Some(flags) = self.run_flags {
            if flags.get(i / 8).is_some_and(|f| f & (1 << (i % 8)) != 0) {
                return Kind::Run;
            }
        }
        if self.cardinality(i) > ARRAY_LIMIT {
            Kind::Bitmap
        } else {
            Kind::Array
        }
    }

    #[inline]
    fn offset(&self, i: usize) -> usize {
        match self.offsets {
            Offsets::Header(h) => u32_at(h, 4 * i) as usize,
            Offsets::Small(s) => s.get(i).copied().unwrap_or(0) as usize,
        }
    }

    /// Finds the container holding high-16 key `hi`.
    #[inline]
    fn find_container(&self, hi: u16) -> Option<usize> {
        let (mut lo, mut len) = (0usize, self.n);
        while len > 0 {
            let half = len / 2;
            let mid = lo + half;
            match self.key(mid).cmp(&hi) {
                std::cmp::Ordering::Less => {
                    lo = mid + 1;
                    len -= half + 1;
                }
                std::cmp::Ordering::Greater => len = half,
                std::cmp::Ordering::Equal => return Some(mid),
            }
        }
        None
    }

    /// The container's payload bytes.
    #[inline]
    pub(crate) fn payload(&self, i: usize) -> &'a [u8] {
        let off = self.offset(i);
        let len = match self.kind(i) {
            Kind::Array => self.cardinality(i) * 2,
            Kind::Bitmap => BITMAP_BYTES,
            Kind::Run => 2 + 4 * u16_at(self.data, off) as usize,
        };
        self.data.get(off..off + len).unwrap_or(&[])
    }

    /// If `value` is present: the container index and the position of the
    /// value inside the container, as a [`Hit`].
    #[inline]
    pub(crate) fn find(&self, value: u32) -> Option<Hit> {
        let i = self.find_container((value >> 16) as u16)?;
        let low = value as u16;
        let p = self.payload(i);
        match self.kind(i) {
            Kind::Array => {
                let card = self.cardinality(i);
                let (mut lo, mut len) = (0usize, card);
                while len > 0 {
                    let half = len / 2;
                    let mid = lo + half;
                    match u16_at(p, 2 * mid).cmp(&low) {
                        std::cmp::Ordering::Less => {
                            lo = mid + 1;
                            len -= half + 1;
                        }
                        std::cmp::Ordering::Greater => len = half,
                        std::cmp::Ordering::Equal => {
                            return Some(Hit::Array {
                                container: i,
                                index: mid,
                            })
                        }
                    }
                }
                None
            }
            Kind::Bitmap => {
                let word = low as usize / 64;
                let w = u64_at(p, word * 8);
                if w & (1u64 << (low % 64)) == 0 {
                    return None;
                }
                let start = word - word % BITMAP_CHECKPOINT_WORDS;
                let mut below = (w & ((1u64 << (low % 64)) - 1)).count_ones() as u64;
                for k in start..word {
                    below += u64_at(p, k * 8).count_ones() as u64;
                }
                Some(Hit::Bitmap {
                    container: i,
                    checkpoint: word / BITMAP_CHECKPOINT_WORDS,
                    below,
                })
            }
            Kind::Run => {
                let nruns = u16_at(p, 0) as usize;
                // Last run whose start is <= low.
                let (mut lo, mut hi) = (0usize, nruns);
                while lo < hi {
                    let mid = (lo + hi) / 2;
                    if u16_at(p, 2 + 4 * mid) <= low {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                if lo == 0 {
                    return None;
                }
                let r = lo - 1;
                let start = u16_at(p, 2 + 4 * r);
                let extra = u16_at(p, 4 + 4 * r);
                if (low - start) as u32 <= extra as u32 {
                    Some(Hit::Run {
                        container: i,
                        run: r,
                        into: (low - start) as u64,
                    })
                } else {
                    None
                }
            }
        }
    }
}

/// Where a value was found inside a bitmap.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Hit {
    Array {
        container: usize,
        index: usize,
    },
    Bitmap {
        container: usize,
        checkpoint: usize,
        below: u64,
    },
    Run {
        container: usize,
        run: usize,
        into: u64,
    },
}

/// A 64-bit roaring treemap in the portable format, borrowed. Holds one
/// small entry per 2^32 bucket (few for dense serials by construction).
///
/// It keeps positions, not borrows, so that an index can own its bytes and
/// still hold this table: (high key, byte offset of the bucket's bitmap,
/// flat index of its first container).
pub(crate) struct Treemap {
    buckets: Vec<(u32, usize, usize)>,
    containers: usize,
}

impl Treemap {
    /// Walks the bucket headers; fails on anything out of bounds or out of
    /// order.
    pub(crate) fn parse(data: &[u8]) -> Result<Treemap, IndexError> {
        if data.is_empty() {
            return Ok(Treemap {
                buckets: Vec::new(),
                containers: 0,
            });
        }
        if data.len() < 8 {
            return Err(corrupt("truncated bucket count"));
        }
        let count = u64_at(data, 0);
        if count > (data.len() as u64) / 12 {
            return Err(corrupt("bucket count larger than the data"));
        }
        let mut pos = 8usize;
        let mut buckets = Vec::with_capacity(count as usize);
        let mut containers = 0usize;
        let mut prev: Option<u32> = None;
        for _ in 0..count {
            if pos + 4 > data.len() {
                return Err(corrupt("truncated bucket key"));
            }
            let hi = u32_at(data, pos);
            if prev.is_some_and(|p| p >= hi) {
                return Err(corrupt("bucket keys not strictly increasing"));
            }
            prev = Some(hi);
            pos += 4;
            let (bm, len) = Bitmap32::parse(&data[pos..])?;
            buckets.push((hi, pos, containers));
            containers += bm.len();
            pos += len;
        }
        if pos != data.len() {
            return Err(corrupt("trailing bytes after the last bucket"));
        }
        Ok(Treemap {
            buckets,
            containers,
        })
    }

    /// Total number of containers over all buckets.
    pub(crate) fn containers(&self) -> usize {
        self.containers
    }

    /// Every container in order: (flat index, bitmap, container index).
    pub(crate) fn each_container<'a>(
        &'a self,
        data: &'a [u8],
    ) -> impl Iterator<Item = (usize, Bitmap32<'a>, usize)> + 'a {
        self.buckets.iter().flat_map(move |&(_, off, first)| {
            let bm = data.get(off..).and_then(Bitmap32::view);
            let n = bm.map_or(0, |b| b.len());
            (0..n).filter_map(move |i| bm.map(|b| (first + i, b, i)))
        })
    }

    /// Finds a key: the flat container index and the hit inside it.
    #[inline]
    pub(crate) fn find(&self, data: &[u8], key: u64) -> Option<(usize, Hit)> {
        let hi = (key >> 32) as u32;
        let b = match self.buckets.len() {
            0 => return None,
            1 => {
                if self.buckets[0].0 != hi {
                    return None;
                }
                &self.buckets[0]
            }
            _ => {
                let i = self.buckets.binary_search_by_key(&hi, |b| b.0).ok()?;
                &self.buckets[i]
            }
        };
        let bm = Bitmap32::view(data.get(b.1..)?)?;
        let hit = bm.find(key as u32)?;
        let c = match hit {
            Hit::Array { container, .. }
            | Hit::Bitmap { container, .. }
            | Hit::Run { container, .. } => container,
        };
        Some((b.2 + c, hit))
    }
}

/// Rank support stored beside the bitmap: per container, the rank of its
/// first value and where its checkpoints start (12 bytes: u64 + u32), and
/// the checkpoints themselves (u16: bitmap containers every
/// [`BITMAP_CHECKPOINT_WORDS`] words, run containers one per run).
#[derive(Clone, Copy)]
pub(crate) struct RankAux<'a> {
    pub(crate) table: &'a [u8],
    pub(crate) checkpoints: &'a [u8],
}

pub(crate) const AUX_ENTRY: usize = 12;

impl<'a> RankAux<'a> {
    /// Builds the auxiliary tables for a treemap.
    pub(crate) fn build(tm: &Treemap, data: &[u8]) -> (Vec<u8>, Vec<u8>) {
        let mut table = Vec::with_capacity(tm.containers() * AUX_ENTRY);
        let mut checkpoints = Vec::new();
        let mut rank = 0u64;
        for (_, bm, i) in tm.each_container(data) {
            table.extend_from_slice(&rank.to_le_bytes());
            table.extend_from_slice(&((checkpoints.len() / 2) as u32).to_le_bytes());
            let p = bm.payload(i);
            match bm.kind(i) {
                Kind::Array => {}
                Kind::Bitmap => {
                    let mut cum = 0u32;
                    for w in 0..1024 {
                        if w % BITMAP_CHECKPOINT_WORDS == 0 {
                            checkpoints.extend_from_slice(&(cum as u16).to_le_bytes());
                        }
                        cum += u64_at(p, w * 8).count_ones();
                    }
                }
                Kind::Run => {
                    let mut cum = 0u32;
                    for r in 0..u16_at(p, 0) as usize {
                        checkpoints.extend_from_slice(&(cum as u16).to_le_bytes());
                        cum += u16_at(p, 4 + 4 * r) as u32 + 1;
                    }
                }
            }
            rank += bm.cardinality(i) as u64;
        }
        (table, checkpoints)
    }

    /// Checks the tables fit the treemap.
    pub(crate) fn check(&self, tm: &Treemap, data: &[u8]) -> Result<(), IndexError> {
        if self.table.len() != tm.containers() * AUX_ENTRY {
            return Err(IndexError::Corrupt(
                "rank table does not match the bitmap".into(),
            ));
        }
        for (flat, bm, i) in tm.each_container(data) {
            let need = match bm.kind(i) {
                Kind::Array => 0,
                Kind::Bitmap => BITMAP_CHECKPOINTS,
                Kind::Run => u16_at(bm.payload(i), 0) as usize,
            };
            let start = u32_at(self.table, flat * AUX_ENTRY + 8) as usize;
            if (start + need) * 2 > self.checkpoints.len() {
                return Err(IndexError::Corrupt("rank checkpoints truncated".into()));
            }
        }
        Ok(())
    }

    /// Rank (0-based position among all values) of a found value.
    #[inline]
    pub(crate) fn rank(&self, flat: usize, hit: Hit) -> u64 {
        let base = u64_at(self.table, flat * AUX_ENTRY);
        let cp = u32_at(self.table, flat * AUX_ENTRY + 8) as usize;
        base + match hit {
            Hit::Array { index, .. } => index as u64,
            Hit::Bitmap {
                checkpoint, below, ..
            } => u16_at(self.checkpoints, 2 * (cp + checkpoint)) as u64 + below,
            Hit::Run { run, into, .. } => u16_at(self.checkpoints, 2 * (cp + run)) as u64 + into,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use roaring::RoaringTreemap;

    fn serialize(tm: &RoaringTreemap) -> Vec<u8> {
        let mut out = Vec::new();
        tm.serialize_into(&mut out).unwrap();
        out
    }

    /// Cross-checks the in-place reader against the `roaring` crate: same
    /// membership and the same rank for every value, with and without run
    /// containers.
    fn cross_check(values: &[u64], probes: &[u64]) {
        for optimize in [false, true] {
            let mut rt: RoaringTreemap = values.iter().copied().collect();
            if optimize {
                rt.optimize();
            }
            let bytes = serialize(&rt);
            let tm = Treemap::parse(&bytes).unwrap();
            let (table, checkpoints) = RankAux::build(&tm, &bytes);
            let aux = RankAux {
                table: &table,
                checkpoints: &checkpoints,
            };
            aux.check(&tm, &bytes).unwrap();
            for &v in values.iter().chain(probes) {
                let ours = tm.find(&bytes, v).map(|(flat, hit)| aux.rank(flat, hit));
                let theirs = rt.contains(v).then(|| rt.rank(v) - 1);
                assert_eq!(ours, theirs, "value {v} (optimize {optimize})");
            }
        }
    }

    fn dense_strategy() -> impl Strategy<Value = Vec<u64>> {
        // Runs of consecutive values with gaps, at random bases: exercises
        // array, bitmap and run containers and several buckets.
        proptest::collection::vec((0u64..4, 0u64..200_000, 1u64..9000), 1..12).prop_map(|runs| {
            let mut v = Vec::new();
            for (bucket, start, len) in runs {
                let base = (bucket << 32) + start;
                v.extend(base..base + len);
            }
            v
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn matches_roaring_on_dense_runs(values in dense_strategy(), probes in proptest::collection::vec(0u64..(4u64 << 32), 0..200)) {
            cross_check(&values, &probes);
        }

        #[test]
        fn matches_roaring_on_random(values in proptest::collection::vec(any::<u64>(), 0..2000), probes in proptest::collection::vec(any::<u64>(), 0..200)) {
            cross_check(&values, &probes);
        }

        #[test]
        fn never_panics_on_garbage(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
            if let Ok(tm) = Treemap::parse(&bytes) {
                for v in [0u64, 1, 1 << 32, u64::MAX] {
                    let _ = tm.find(&bytes, v);
                }
            }
        }
    }

    #[test]
    fn bitmap_containers_rank_correctly() {
        // Every other value over two containers: bitmap containers (> 4096).
        let values: Vec<u64> = (0..140_000u64).step_by(2).collect();
        cross_check(&values, &[1, 3, 139_999, 140_000]);
    }

    #[test]
    fn truncation_is_refused() {
        let rt: RoaringTreemap = (0..10_000u64).chain(1 << 40..(1 << 40) + 5).collect();
        let bytes = serialize(&rt);
        for cut in [1, 7, 9, 13, bytes.len() / 2, bytes.len() - 1] {
            assert!(Treemap::parse(&bytes[..cut]).is_err(), "cut at {cut}");
        }
    }
}
