//! Building an index file.
//!
//! Entries arrive in CRL order. CRLs are almost always sorted by serial, so
//! the builder decides dense-or-sparse per 2^16 key chunk as each chunk
//! closes and keeps only what the index itself needs in memory (a roaring
//! bitmap, sparse keys, and one time and reason per entry). An unsorted CRL
//! is collected whole, sorted, and replayed through the same path.

use std::io::{Seek, SeekFrom, Write};
use std::path::Path;

use super::roaring_writer::TreemapWriter;
use super::side::TimeColumn;
use super::{
    portable, section, side, sparse, IndexError, FORMAT_VERSION, HEADER_LEN, MAGIC, SECTIONS,
    SECTIONS_AT,
};
use crate::crl::CrlScope;
use crate::crl_number::CrlNumber;
use crate::key_id::IssuerKeyId;
use crate::serial::Serial;
use crate::{RevocationReason, Timestamp};

/// What the index records about the CRL it was built from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexInfo {
    /// Key identifier of the CA that signed the CRL.
    pub issuer_key_id: IssuerKeyId,
    /// SHA-256 of that CA's SubjectPublicKeyInfo.
    pub issuer_spki_sha256: [u8; 32],
    /// xxh3-128 of the CRL bytes: identifies the exact CRL (the store uses
    /// it to tell "the same CRL again" from "another CRL with the same
    /// number"). Not a cryptographic digest: the CRL's own signature is
    /// what authenticates it, and evidence records hash the files with
    /// SHA-256 themselves.
    pub crl_digest: [u8; 16],
    /// cRLNumber.
    pub crl_number: Option<CrlNumber>,
    /// deltaCRLIndicator's base CRL number, for a delta CRL.
    pub delta_base: Option<CrlNumber>,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate.
    pub next_update: Timestamp,
    /// issuingDistributionPoint scope.
    pub scope: CrlScope,
    /// issuingDistributionPoint's distributionPoint, as the DER of the
    /// DistributionPointName ([`crate::crl::Crl::idp_distribution_point`]):
    /// kept so that a partitioned CRL's index covers the same certificates
    /// as the CRL.
    pub idp_distribution_point: Option<Vec<u8>>,
}

/// What a build produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildStats {
    /// Distinct revoked serials indexed.
    pub entries: u64,
    /// In the roaring bitmap.
    pub dense: u64,
    /// In the sparse key table.
    pub sparse: u64,
    /// Negative or ≥ 2^64.
    pub long: u64,
    /// Repeated serials dropped (the first listing wins).
    pub duplicates: u64,
    /// Size of the index file.
    pub bytes: u64,
    /// How times and reasons were stored: "dictionary" or "frame".
    pub side_encoding: &'static str,
}

/// Collects CRL entries and writes an index.
pub struct IndexBuilder {
    last: Option<u64>,
    /// Keys of the open 2^16 chunk. Their times and reasons are already at
    /// the tail of `dense_times`/`dense_reasons` (most chunks are dense, so
    /// this writes each entry once); a chunk found sparse moves them.
    chunk: Vec<u64>,
    lows: Vec<u16>,
    dense: TreemapWriter,
    dense_times: TimeColumn,
    dense_reasons: Vec<u8>,
    sparse_keys: Vec<u64>,
    sparse_times: TimeColumn,
    sparse_reasons: Vec<u8>,
    long: Vec<(Serial, i64, u8)>,
    unsorted: Option<Vec<(u64, i64, u8)>>,
    duplicates: u64,
    /// For a builder of a later part of a CRL: keep the first chunk aside
    /// (it may continue the previous part's last chunk) until
    /// [`IndexBuilder::append`] joins the two.
    defer_head: bool,
    head: Option<Vec<(u64, i64, u8)>>,
}

impl Default for IndexBuilder {
    fn default() -> Self {
        IndexBuilder::new()
    }
}

fn reason_byte(r: Option<RevocationReason>) -> u8 {
    r.map_or(side::NO_REASON, |r| r.code())
}

impl IndexBuilder {
    /// An empty builder.
    pub fn new() -> IndexBuilder {
        IndexBuilder {
            last: None,
            chunk: Vec::new(),
            lows: Vec::new(),
            dense: TreemapWriter::default(),
            dense_times: TimeColumn::default(),
            dense_reasons: Vec::new(),
            sparse_keys: Vec::new(),
            sparse_times: TimeColumn::default(),
            sparse_reasons: Vec::new(),
            long: Vec::new(),
            unsorted: None,
            duplicates: 0,
            defer_head: false,
            head: None,
        }
    }

    /// A builder for one part of a sorted CRL walked on several threads:
    /// times are stored relative to `time_center` (use thisUpdate for every
    /// part), and a part after the first (`later_part`) keeps its first
    /// chunk aside for [`IndexBuilder::append`].
    pub fn for_part(entries: usize, time_center: Timestamp, later_part: bool) -> IndexBuilder {
        let mut b = IndexBuilder::new();
        b.dense_times = TimeColumn::centered_on(time_center.unix());
        b.sparse_times = TimeColumn::centered_on(time_center.unix());
        // Reserve for every column the entries may land in: untouched
        // capacity costs no memory, while growing by doubling would copy
        // (and, for a moment, hold twice) the largest ones.
        b.dense_times.reserve(entries);
        b.dense_reasons.reserve(entries);
        b.sparse_keys.reserve(entries);
        b.sparse_times.reserve(entries);
        b.sparse_reasons.reserve(entries);
        b.defer_head = later_part;
        b
    }

    /// True when [`IndexBuilder::append`] of `other` will succeed: both
    /// parts sorted, and `other` starting above this part's last key. Lets
    /// a caller decide before it lets go of the CRL bytes, and join later.
    pub fn can_append(&self, other: &IndexBuilder) -> bool {
        IndexBuilder::can_join(&[self, other])
    }

    /// True when appending each of `parts[1..]` in turn to `parts[0]`
    /// ([`IndexBuilder::append`]) will succeed: every part sorted, each
    /// starting above the keys before it, and every part between the first
    /// and the last spanning more than one 2^16-key chunk (a middle part
    /// held in one pending chunk could meet its neighbours in that chunk
    /// on both sides).
    pub fn can_join(parts: &[&IndexBuilder]) -> bool {
        let mut last: Option<u64> = None;
        for (i, p) in parts.iter().enumerate() {
            if p.unsorted.is_some() {
                return false;
            }
            if i > 0 && i + 1 < parts.len() && p.head.is_none() {
                return false;
            }
            let first = match &p.head {
                Some(h) => h.first().map(|e| e.0),
                None => p.chunk.first().copied(),
            };
            if let (Some(l), Some(f)) = (last, first) {
                if l >= f {
                    return false;
                }
            }
            if p.last.is_some() {
                last = p.last;
            }
        }
        true
    }

    /// Joins the builder of the next part of the same CRL. Returns `false`
    /// (and changes nothing useful: the caller must rebuild sequentially)
    /// when the parts are not both sorted or do not follow each other.
    pub fn append(&mut self, mut other: IndexBuilder) -> bool {
        if self.unsorted.is_some() || other.unsorted.is_some() {
            return false;
        }
        let head = match other.head.take() {
            Some(h) => h,
            // The whole part was one chunk, still pending.
            None => other.take_chunk(),
        };
        let Some(first) = head.first().map(|e| e.0) else {
            // An empty part.
            self.long.append(&mut other.long);
            self.duplicates += other.duplicates;
            return true;
        };
        if self.last.is_some_and(|l| l >= first) {
            return false;
        }
        if self.chunk.first().is_some_and(|c| c >> 16 != first >> 16) {
            self.flush_chunk();
        }
        for &(k, t, r) in &head {
            self.open_chunk_push(k, t, r);
        }
        self.last = head.last().map(|e| e.0);
        self.flush_chunk();
        self.dense.append(std::mem::take(&mut other.dense));
        self.dense_times.append(&mut other.dense_times);
        self.dense_reasons.append(&mut other.dense_reasons);
        self.sparse_keys.append(&mut other.sparse_keys);
        self.sparse_times.append(&mut other.sparse_times);
        self.sparse_reasons.append(&mut other.sparse_reasons);
        self.long.append(&mut other.long);
        self.duplicates += other.duplicates;
        if !other.chunk.is_empty() {
            self.chunk = std::mem::take(&mut other.chunk);
            self.last = other.last;
        }
        true
    }

    /// A builder sized for about `entries` serials. Capacity that is never
    /// touched costs address space, not memory, so callers may overestimate.
    pub fn with_capacity(entries: usize) -> IndexBuilder {
        let mut b = IndexBuilder::new();
        b.dense_times.reserve(entries);
        b.dense_reasons.reserve(entries);
        b
    }

    /// Adds one revoked serial.
    pub fn push(&mut self, serial: &Serial, at: Timestamp, reason: Option<RevocationReason>) {
        let r = reason_byte(reason);
        match serial.key() {
            Some(k) => self.push_key(k, at.unix(), r),
            None => self.long.push((*serial, at.unix(), r)),
        }
    }

    fn push_key(&mut self, key: u64, t: i64, r: u8) {
        if let Some(all) = self.unsorted.as_mut() {
            all.push((key, t, r));
            return;
        }
        match self.last {
            Some(last) if key == last => {
                self.duplicates += 1;
                return;
            }
            Some(last) if key < last => {
                self.go_unsorted();
                if let Some(all) = self.unsorted.as_mut() {
                    all.push((key, t, r));
                }
                return;
            }
            _ => {}
        }
        if self.chunk.first().is_some_and(|c| c >> 16 != key >> 16) {
            if self.defer_head && self.head.is_none() {
                self.head = Some(self.take_chunk());
            } else {
                self.flush_chunk();
            }
        }
        self.open_chunk_push(key, t, r);
        self.last = Some(key);
    }

    #[inline]
    fn open_chunk_push(&mut self, key: u64, t: i64, r: u8) {
        self.chunk.push(key);
        self.dense_times.push(t);
        self.dense_reasons.push(r);
    }

    /// Removes the open chunk, with its times and reasons.
    fn take_chunk(&mut self) -> Vec<(u64, i64, u8)> {
        let start = self.dense_reasons.len() - self.chunk.len();
        let out = self
            .chunk
            .iter()
            .enumerate()
            .map(|(i, &k)| {
                (
                    k,
                    self.dense_times.get(start + i),
                    self.dense_reasons[start + i],
                )
            })
            .collect();
        self.chunk.clear();
        self.dense_times.truncate(start);
        self.dense_reasons.truncate(start);
        out
    }

    /// Dense (roaring) or sparse (key table)? A roaring container costs
    /// about 20 bytes of headers and rank table plus 2 per value (12 more
    /// for a new 2^32 bucket); a sparse key costs 6.
    fn flush_chunk(&mut self) {
        if self.chunk.is_empty() {
            return;
        }
        let c = self.chunk.len() as u64;
        let hi = (self.chunk[0] >> 32) as u32;
        let new_bucket = self.dense.is_new_bucket(hi);
        let dense = 4 * c > 20 + if new_bucket { 12 } else { 0 };
        if dense {
            self.lows.clear();
            self.lows.extend(self.chunk.iter().map(|&k| k as u16));
            self.dense.push_chunk(self.chunk[0] >> 16, &self.lows);
        } else {
            let start = self.dense_reasons.len() - self.chunk.len();
            self.sparse_keys.extend_from_slice(&self.chunk);
            for i in start..self.dense_reasons.len() {
                self.sparse_times.push(self.dense_times.get(i));
            }
            self.sparse_reasons
                .extend_from_slice(&self.dense_reasons[start..]);
            self.dense_times.truncate(start);
            self.dense_reasons.truncate(start);
        }
        self.chunk.clear();
    }

    /// Moves everything seen so far into the unsorted list.
    fn go_unsorted(&mut self) {
        self.flush_chunk();
        let mut all = Vec::with_capacity(self.dense_times.len() + self.sparse_keys.len());
        if let Some(head) = self.head.take() {
            all.extend(head);
        }
        for (i, k) in self.dense.values().enumerate() {
            all.push((k, self.dense_times.get(i), self.dense_reasons[i]));
        }
        for (i, k) in self.sparse_keys.iter().enumerate() {
            all.push((*k, self.sparse_times.get(i), self.sparse_reasons[i]));
        }
        self.dense = TreemapWriter::default();
        self.dense_times = TimeColumn::default();
        self.dense_reasons = Vec::new();
        self.sparse_keys = Vec::new();
        self.sparse_times = TimeColumn::default();
        self.sparse_reasons = Vec::new();
        self.last = None;
        self.unsorted = Some(all);
    }

    /// Writes the index to `out` (which must start empty at position 0).
    pub fn finish<W: Write + Seek>(
        mut self,
        info: &IndexInfo,
        out: &mut W,
    ) -> Result<BuildStats, IndexError> {
        let io = |e| IndexError::io(Path::new("<index>"), e);
        if self.head.is_some() {
            // A part builder finished on its own: its held-back first chunk
            // goes through the general (sorting) path.
            self.go_unsorted();
        }
        if let Some(mut all) = self.unsorted.take() {
            // Stable, so that the first listing of a repeated serial wins.
            all.sort_by_key(|e| e.0);
            let dups_before = self.duplicates;
            let long = std::mem::take(&mut self.long);
            self = IndexBuilder::new();
            self.duplicates = dups_before;
            self.long = long;
            for (k, t, r) in all {
                self.push_key(k, t, r);
            }
        }
        self.flush_chunk();

        // Dense keys: the portable 64-bit treemap format.
        let roaring = self.dense.serialize();
        let dense = self.dense.len();
        self.dense = TreemapWriter::default();
        let tm = portable::Treemap::parse(&roaring)?;
        let (rank_table, rank_checks) = portable::RankAux::build(&tm, &roaring);

        let sparse_bits = sparse::dir_bits_for(self.sparse_keys.len() as u64);
        let (sparse_dir, sparse_data) = sparse::encode(&self.sparse_keys, sparse_bits);

        // Long serials: sorted by (length, bytes), one fixed slot each.
        self.long.sort_by_key(|e| e.0);
        let before = self.long.len();
        self.long.dedup_by(|b, a| a.0 == b.0);
        self.duplicates += (before - self.long.len()) as u64;
        let max_len = self
            .long
            .iter()
            .map(|e| e.0.as_der_content().len())
            .max()
            .unwrap_or(0);
        let slot = if self.long.is_empty() { 0 } else { 1 + max_len };
        let mut long = Vec::with_capacity(self.long.len() * slot);
        for (s, _, _) in &self.long {
            let c = s.as_der_content();
            long.push(c.len() as u8);
            long.extend_from_slice(c);
            long.resize(long.len() + (slot - 1 - c.len()), 0);
        }

        let sparse_n = self.sparse_keys.len() as u64;
        drop(std::mem::take(&mut self.sparse_keys));
        let mut times = std::mem::take(&mut self.dense_times);
        times.append(&mut self.sparse_times);
        for e in &self.long {
            times.push(e.1);
        }
        let mut reasons = std::mem::take(&mut self.dense_reasons);
        reasons.append(&mut self.sparse_reasons);
        reasons.extend(self.long.iter().map(|e| e.2));
        let side = side::encode(&times, &reasons);
        let entries = times.len() as u64;
        drop(times);
        drop(reasons);

        // Body, then the header (which carries the body checksum).
        out.write_all(&[0u8; HEADER_LEN]).map_err(io)?;
        let mut hasher = xxhash_rust::xxh3::Xxh3::new();
        let mut pos = HEADER_LEN as u64;
        let mut sections = [(0u64, 0u64); SECTIONS];
        let parts: [(usize, &[u8]); SECTIONS] = [
            (section::ROARING, &roaring),
            (section::RANK_TABLE, &rank_table),
            (section::RANK_CHECKS, &rank_checks),
            (section::SPARSE_DIR, &sparse_dir),
            (section::SPARSE_KEYS, &sparse_data),
            (section::LONG, &long),
            (section::SIDE_META, &side.meta),
            (section::SIDE_DATA, &side.data),
            (section::REASON_DICT, &side.reason_dict),
            (section::REASON_DATA, &side.reason_data),
            (
                section::IDP_NAME,
                info.idp_distribution_point.as_deref().unwrap_or(&[]),
            ),
        ];
        for (i, bytes) in parts {
            sections[i] = (pos, bytes.len() as u64);
            out.write_all(bytes).map_err(io)?;
            hasher.update(bytes);
            pos += bytes.len() as u64;
            let pad = (8 - pos % 8) % 8;
            let zeros = [0u8; 8];
            out.write_all(&zeros[..pad as usize]).map_err(io)?;
            hasher.update(&zeros[..pad as usize]);
            pos += pad;
        }

        let mut h = [0u8; HEADER_LEN];
        h[..8].copy_from_slice(MAGIC);
        h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        h[12..16].copy_from_slice(&(HEADER_LEN as u32).to_le_bytes());
        h[16..24].copy_from_slice(&pos.to_le_bytes());
        h[24..32].copy_from_slice(&hasher.digest().to_le_bytes());
        h[40..44].copy_from_slice(&super::scope_bits(&info.scope).to_le_bytes());
        h[44..46].copy_from_slice(
            &info
                .scope
                .only_some_reasons
                .map_or(0, |r| r.bits())
                .to_le_bytes(),
        );
        h[48..56].copy_from_slice(&info.this_update.unix().to_le_bytes());
        h[56..64].copy_from_slice(&info.next_update.unix().to_le_bytes());
        h[64..72].copy_from_slice(&entries.to_le_bytes());
        h[72..80].copy_from_slice(&dense.to_le_bytes());
        h[80..88].copy_from_slice(&sparse_n.to_le_bytes());
        h[88..96].copy_from_slice(&(self.long.len() as u64).to_le_bytes());
        let kid = info.issuer_key_id.as_bytes();
        h[96] = kid.len() as u8;
        h[97..97 + kid.len()].copy_from_slice(kid);
        for (at, n) in [(129usize, info.crl_number), (151, info.delta_base)] {
            if let Some(n) = n {
                let m = n.magnitude();
                h[at] = 1;
                h[at + 1] = m.len() as u8;
                h[at + 2..at + 2 + m.len()].copy_from_slice(m);
            }
        }
        h[173] = sparse_bits as u8;
        h[174] = sparse::key_width_for(sparse_bits) as u8;
        h[175] = slot as u8;
        h[176] = side.mode as u8;
        h[177] = side.code_width as u8;
        h[178] = side.reason_width as u8;
        h[184..216].copy_from_slice(&info.issuer_spki_sha256);
        h[216..232].copy_from_slice(&info.crl_digest);
        h[248..256].copy_from_slice(&self.duplicates.to_le_bytes());
        for (i, (off, len)) in sections.iter().enumerate() {
            h[SECTIONS_AT + 16 * i..SECTIONS_AT + 16 * i + 8].copy_from_slice(&off.to_le_bytes());
            h[SECTIONS_AT + 16 * i + 8..SECTIONS_AT + 16 * i + 16]
                .copy_from_slice(&len.to_le_bytes());
        }
        let hc = super::header_checksum(&h);
        h[32..40].copy_from_slice(&hc.to_le_bytes());
        out.seek(SeekFrom::Start(0)).map_err(io)?;
        out.write_all(&h).map_err(io)?;
        out.flush().map_err(io)?;
        Ok(BuildStats {
            entries,
            dense,
            sparse: sparse_n,
            long: self.long.len() as u64,
            duplicates: self.duplicates,
            bytes: pos,
            side_encoding: match side.mode {
                side::Mode::Dictionary => "dictionary",
                side::Mode::Frame => "frame",
            },
        })
    }

    /// Builds the index in memory (tests, benches).
    pub fn finish_to_vec(self, info: &IndexInfo) -> Result<(Vec<u8>, BuildStats), IndexError> {
        let mut cur = std::io::Cursor::new(Vec::new());
        let stats = self.finish(info, &mut cur)?;
        Ok((cur.into_inner(), stats))
    }

    /// Writes the index to `path` atomically: a temporary file in the same
    /// directory, fsynced, then renamed over `path` (and the directory
    /// fsynced), so a crash never leaves a half-written index under the
    /// final name and readers of the old file keep their mapping.
    pub fn write_to_path(self, info: &IndexInfo, path: &Path) -> Result<BuildStats, IndexError> {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => std::path::PathBuf::from("."),
        };
        let mut tmp = tempfile::Builder::new()
            .prefix(".kakunin-index-")
            .suffix(".tmp")
            .tempfile_in(&dir)
            .map_err(|e| IndexError::io(&dir, e))?;
        // Errors until the rename name the temporary file, which is what
        // failed (and is removed on the way out): a full disk, say.
        let tmp_path = tmp.path().to_path_buf();
        let stats = {
            let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
            let s = self
                .finish(info, &mut w)
                .map_err(|e| e.on_file(&tmp_path))?;
            w.flush().map_err(|e| IndexError::io(&tmp_path, e))?;
            s
        };
        tmp.as_file()
            .sync_all()
            .map_err(|e| IndexError::io(&tmp_path, e))?;
        tmp.persist(path)
            .map_err(|e| IndexError::io(path, e.error))?;
        if let Ok(d) = std::fs::File::open(&dir) {
            // Make the rename itself durable; not all filesystems allow it.
            let _ = d.sync_all();
        }
        Ok(stats)
    }
}
