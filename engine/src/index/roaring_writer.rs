//! Writing the portable roaring format straight from sorted chunks.
//!
//! `roaring` builds a bitmap one value at a time (`push` was 16% of a 1M
//! entry ingest); our keys already arrive sorted and grouped by 2^16 chunk,
//! so each chunk becomes one container directly, in whichever of the three
//! container kinds is smallest — the same choice `RoaringBitmap::optimize`
//! makes. The `roaring` crate stays the oracle: tests deserialise what this
//! writes and compare.

/// Largest cardinality stored as an array container (format rule).
const ARRAY_LIMIT: usize = 4096;
const BITMAP_BYTES: usize = 8192;
const COOKIE_NO_RUN: u32 = 12346;
const COOKIE_RUN: u32 = 12347;
const NO_OFFSET_THRESHOLD: usize = 4;

struct Container {
    key: u16,
    card: u32,
    run: bool,
    start: usize,
    len: usize,
}

/// One 2^32 bucket being built.
struct Bucket {
    hi: u32,
    containers: Vec<Container>,
    payload: Vec<u8>,
}

/// A 64-bit treemap written chunk by chunk, in ascending key order.
#[derive(Default)]
pub(crate) struct TreemapWriter {
    buckets: Vec<Bucket>,
    len: u64,
}

impl TreemapWriter {
    /// True when no container has been added to bucket `hi` yet.
    pub(crate) fn is_new_bucket(&self, hi: u32) -> bool {
        self.buckets.last().is_none_or(|b| b.hi != hi)
    }

    /// Number of values added.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Adds the chunk with high 48 bits `chunk` holding the sorted, distinct
    /// low 16-bit values `lows`. Chunks must come in ascending order.
    pub(crate) fn push_chunk(&mut self, chunk: u64, lows: &[u16]) {
        if lows.is_empty() {
            return;
        }
        let hi = (chunk >> 16) as u32;
        let key = chunk as u16;
        if self.is_new_bucket(hi) {
            self.buckets.push(Bucket {
                hi,
                containers: Vec::new(),
                payload: Vec::new(),
            });
        }
        let Some(b) = self.buckets.last_mut() else {
            return;
        };
        let card = lows.len();
        let runs = 1 + lows
            .windows(2)
            .filter(|w| w[1] != w[0].wrapping_add(1))
            .count();
        let run_size = 2 + 4 * runs;
        let plain_size = if card <= ARRAY_LIMIT {
            2 * card
        } else {
            BITMAP_BYTES
        };
        let start = b.payload.len();
        let run = run_size < plain_size;
        if run {
            b.payload.extend_from_slice(&(runs as u16).to_le_bytes());
            let mut i = 0;
            while i < card {
                let s = lows[i];
                let mut j = i;
                while j + 1 < card && lows[j + 1] == lows[j].wrapping_add(1) {
                    j += 1;
                }
                b.payload.extend_from_slice(&s.to_le_bytes());
                b.payload.extend_from_slice(&((j - i) as u16).to_le_bytes());
                i = j + 1;
            }
        } else if card <= ARRAY_LIMIT {
            for v in lows {
                b.payload.extend_from_slice(&v.to_le_bytes());
            }
        } else {
            let mut words = [0u64; 1024];
            for &v in lows {
                words[v as usize / 64] |= 1u64 << (v % 64);
            }
            for w in words {
                b.payload.extend_from_slice(&w.to_le_bytes());
            }
        }
        b.containers.push(Container {
            key,
            card: card as u32,
            run,
            start,
            len: b.payload.len() - start,
        });
        self.len += card as u64;
    }

    /// Appends a writer whose values all lie above this one's (parts of one
    /// sorted CRL built on several threads). A bucket split between the two
    /// is joined: its containers are disjoint and in order.
    pub(crate) fn append(&mut self, other: TreemapWriter) {
        let mut buckets = other.buckets.into_iter();
        if let (Some(last), Some(first)) = (self.buckets.last_mut(), buckets.as_slice().first()) {
            if last.hi == first.hi {
                if let Some(first) = buckets.next() {
                    let shift = last.payload.len();
                    last.containers
                        .extend(first.containers.into_iter().map(|mut c| {
                            c.start += shift;
                            c
                        }));
                    last.payload.extend_from_slice(&first.payload);
                }
            }
        }
        self.buckets.extend(buckets);
        self.len += other.len;
    }

    /// Every value, in order (used when an unsorted CRL forces a rebuild).
    pub(crate) fn values(&self) -> impl Iterator<Item = u64> + '_ {
        self.buckets.iter().flat_map(|b| {
            b.containers.iter().flat_map(move |c| {
                let base = ((b.hi as u64) << 32) | ((c.key as u64) << 16);
                let p = &b.payload[c.start..c.start + c.len];
                let lows: Vec<u16> = if c.run {
                    let n = u16::from_le_bytes([p[0], p[1]]) as usize;
                    (0..n)
                        .flat_map(|r| {
                            let s = u16::from_le_bytes([p[2 + 4 * r], p[3 + 4 * r]]);
                            let l = u16::from_le_bytes([p[4 + 4 * r], p[5 + 4 * r]]);
                            (0..=l as u32).map(move |d| s.wrapping_add(d as u16))
                        })
                        .collect()
                } else if (c.card as usize) <= ARRAY_LIMIT {
                    p.chunks_exact(2)
                        .map(|x| u16::from_le_bytes([x[0], x[1]]))
                        .collect()
                } else {
                    (0..65536u32)
                        .filter(|v| p[(*v / 8) as usize] & (1 << (v % 8)) != 0)
                        .map(|v| v as u16)
                        .collect()
                };
                lows.into_iter().map(move |l| base | l as u64)
            })
        })
    }

    /// Serialises in the portable 64-bit format (empty when no values).
    pub(crate) fn serialize(&self) -> Vec<u8> {
        let mut out = Vec::new();
        if self.buckets.is_empty() {
            return out;
        }
        out.extend_from_slice(&(self.buckets.len() as u64).to_le_bytes());
        for b in &self.buckets {
            out.extend_from_slice(&b.hi.to_le_bytes());
            let start = out.len();
            let n = b.containers.len();
            let has_run = b.containers.iter().any(|c| c.run);
            if has_run {
                out.extend_from_slice(&(COOKIE_RUN | ((n as u32 - 1) << 16)).to_le_bytes());
                let mut flags = vec![0u8; n.div_ceil(8)];
                for (i, c) in b.containers.iter().enumerate() {
                    if c.run {
                        flags[i / 8] |= 1 << (i % 8);
                    }
                }
                out.extend_from_slice(&flags);
            } else {
                out.extend_from_slice(&COOKIE_NO_RUN.to_le_bytes());
                out.extend_from_slice(&(n as u32).to_le_bytes());
            }
            for c in &b.containers {
                out.extend_from_slice(&c.key.to_le_bytes());
                out.extend_from_slice(&((c.card - 1) as u16).to_le_bytes());
            }
            if !has_run || n >= NO_OFFSET_THRESHOLD {
                let mut off = out.len() - start + 4 * n;
                for c in &b.containers {
                    out.extend_from_slice(&(off as u32).to_le_bytes());
                    off += c.len;
                }
            }
            out.extend_from_slice(&b.payload);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use roaring::RoaringTreemap;

    fn write(values: &[u64]) -> Vec<u8> {
        let mut w = TreemapWriter::default();
        let mut i = 0;
        while i < values.len() {
            let chunk = values[i] >> 16;
            let mut j = i;
            while j < values.len() && values[j] >> 16 == chunk {
                j += 1;
            }
            let lows: Vec<u16> = values[i..j].iter().map(|v| *v as u16).collect();
            w.push_chunk(chunk, &lows);
            i = j;
        }
        assert_eq!(w.values().collect::<Vec<_>>(), values);
        w.serialize()
    }

    fn values_strategy() -> impl Strategy<Value = Vec<u64>> {
        prop_oneof![
            proptest::collection::btree_set(any::<u64>(), 0..500)
                .prop_map(|s| s.into_iter().collect()),
            proptest::collection::vec((0u64..3, 0u64..300_000, 1u64..9000, 1u64..4), 1..8)
                .prop_map(|runs| {
                    let mut s = std::collections::BTreeSet::new();
                    for (b, start, len, step) in runs {
                        let base = (b << 32) + start;
                        s.extend((0..len).map(|i| base + i * step));
                    }
                    s.into_iter().collect()
                }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// The `roaring` crate reads what we write as the same set, and its
        /// own serialisation of that set (after `optimize`) is byte-identical.
        #[test]
        fn roaring_reads_what_we_write(values in values_strategy()) {
            let bytes = write(&values);
            if values.is_empty() {
                prop_assert!(bytes.is_empty());
            } else {
                let rt = RoaringTreemap::deserialize_from(&bytes[..]).unwrap();
                prop_assert_eq!(rt.iter().collect::<Vec<_>>(), values.clone());
                let mut theirs = rt.clone();
                theirs.optimize();
                let mut expect = Vec::new();
                theirs.serialize_into(&mut expect).unwrap();
                prop_assert_eq!(bytes, expect);
            }
        }
    }
}
