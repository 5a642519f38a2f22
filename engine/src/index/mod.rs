//! The serial index: an immutable, versioned, checksummed file answering
//! "is this serial on the CRL, and when and why was it revoked?" in place.
//!
//! # Layout (format version 1, all integers little-endian)
//!
//! ```text
//! [0, 512)  header: magic "KAKUNIDX", version, file length, xxh3-64 of the
//!           body, xxh3-64 of the header, issuer key id, SHA-256 of the
//!           issuer's SubjectPublicKeyInfo, xxh3-128 of the CRL (its
//!           identity, not a digest: the CRL's signature authenticates it),
//!           CRL number, delta
//!           base, thisUpdate, nextUpdate, counts, encoding parameters and a
//!           table of 11 sections (offset, length), each 8-byte aligned:
//!   0 ROARING      dense keys: a 64-bit roaring treemap, portable format
//!   1 RANK_TABLE   per roaring container: rank of its first value + checkpoint start
//!   2 RANK_CHECKS  u16 rank checkpoints inside bitmap and run containers
//!   3 SPARSE_DIR   sparse keys: (2^b + 1) u32 bucket starts
//!   4 SPARSE_KEYS  sparse keys: low bits, fixed width
//!   5 LONG         serials that are negative or ≥ 2^64: sorted fixed slots
//!   6 SIDE_META    side table: dictionary or block headers
//!   7 SIDE_DATA    side table: packed codes or time deltas
//!   8 REASON_DICT  side table (frame mode): distinct reason bytes
//!   9 REASON_DATA  side table (frame mode): packed reason codes
//!  10 IDP_NAME     for a partitioned CRL: the DER of its
//!                  issuingDistributionPoint's DistributionPointName, so
//!                  that an index answers for exactly the certificates the
//!                  raw CRL does (RFC 5280 §6.3.3 (b)(2)(i)). Added within
//!                  version 1: files written before it have (0, 0) here,
//!                  read as "no name" (such a partition covers nothing).
//! ```
//!
//! Every revoked serial has a rank: dense keys first (ascending), then sparse
//! keys (ascending), then long serials (sorted). The side tables are
//! addressed by that rank.
//!
//! Opening ([`SerialIndex::from_bytes`], [`SerialIndex::open`]) checks the
//! header checksum and that every section lies in the file and fits its
//! neighbours — cheap, and enough that no lookup can read out of bounds. The
//! full body checksum is [`SerialIndex::verify`]: callers that are about to
//! serve an index (the store, the CLI) pay for it once.

mod bits;

use bits::{le_u32 as u32_at, le_u64 as u64_at};
mod builder;
mod portable;
mod roaring_writer;
mod side;
mod sparse;

use std::path::Path;

pub use builder::{BuildStats, IndexBuilder, IndexInfo};

use crate::crl::CrlScope;
use crate::crl_number::CrlNumber;
use crate::key_id::IssuerKeyId;
use crate::reason::ReasonFlags;
use crate::serial::{Serial, MAX_SERIAL_LEN};
use crate::{RevocationReason, Timestamp};

/// File magic.
pub(crate) const MAGIC: &[u8; 8] = b"KAKUNIDX";
/// Format version this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;
pub(crate) const HEADER_LEN: usize = 512;
pub(crate) const SECTIONS: usize = 11;
pub(crate) const SECTIONS_AT: usize = 256;

pub(crate) mod section {
    pub(crate) const ROARING: usize = 0;
    pub(crate) const RANK_TABLE: usize = 1;
    pub(crate) const RANK_CHECKS: usize = 2;
    pub(crate) const SPARSE_DIR: usize = 3;
    pub(crate) const SPARSE_KEYS: usize = 4;
    pub(crate) const LONG: usize = 5;
    pub(crate) const SIDE_META: usize = 6;
    pub(crate) const SIDE_DATA: usize = 7;
    pub(crate) const REASON_DICT: usize = 8;
    pub(crate) const REASON_DATA: usize = 9;
    pub(crate) const IDP_NAME: usize = 10;
}

/// Why an index could not be written, opened or trusted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// Reading or writing the file failed.
    #[error("index I/O on {path}")]
    Io {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// Not a kakunin index at all.
    #[error("not a kakunin index (expected magic \"KAKUNIDX\", found {found:?})")]
    BadMagic {
        /// The first bytes found.
        found: String,
    },
    /// Written by another format version.
    #[error("index format version {found} is not supported (this build reads version {FORMAT_VERSION}); re-run `kakunin ingest` to rebuild it")]
    UnsupportedVersion {
        /// The version in the file.
        found: u32,
    },
    /// Shorter than its header says: a partial copy or an interrupted write.
    #[error("index is truncated: header says {expected} bytes, file has {found}")]
    Truncated {
        /// Length recorded in the header.
        expected: u64,
        /// Actual length.
        found: u64,
    },
    /// A checksum did not match.
    #[error("index {part} checksum mismatch (expected {expected:016x}, computed {computed:016x}): the file is corrupted; rebuild it from the CRL")]
    Checksum {
        /// "header" or "body".
        part: &'static str,
        /// Stored checksum.
        expected: u64,
        /// Computed checksum.
        computed: u64,
    },
    /// A structural check failed.
    #[error("index is corrupted: {0}")]
    Corrupt(String),
    /// The builder was given something it cannot represent.
    #[error("cannot build index: {0}")]
    Build(String),
}

impl IndexError {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> IndexError {
        IndexError::Io {
            path: path.display().to_string(),
            source,
        }
    }

    /// The same error, an I/O error now naming `path`: the builder writes
    /// to any `Write` and cannot know the file behind it; its caller does.
    pub(crate) fn on_file(self, path: &Path) -> IndexError {
        match self {
            IndexError::Io { source, .. } => IndexError::io(path, source),
            e => e,
        }
    }
}

/// The scope flags as the header stores them (one bit each, plus
/// whether onlySomeReasons is present; its bits go in a field of their
/// own).
fn scope_bits(s: &CrlScope) -> u32 {
    (s.only_user_certs as u32)
        | (s.only_ca_certs as u32) << 1
        | (s.only_some_reasons.is_some() as u32) << 2
        | (s.indirect as u32) << 3
        | (s.partitioned as u32) << 4
        | (s.only_attribute_certs as u32) << 5
}

fn scope_from_bits(bits: u32, reasons: u16) -> CrlScope {
    CrlScope {
        only_user_certs: bits & 1 != 0,
        only_ca_certs: bits & 2 != 0,
        only_some_reasons: (bits & 4 != 0).then_some(ReasonFlags::from_bits(reasons)),
        indirect: bits & 8 != 0,
        partitioned: bits & 16 != 0,
        only_attribute_certs: bits & 32 != 0,
    }
}

/// The header of an index: where it came from and what it holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IndexMeta {
    /// What the index records about its CRL: what [`IndexBuilder`] was
    /// given, read back.
    pub crl: IndexInfo,
    /// Revoked serials in the index.
    pub entries: u64,
    /// Of which in the roaring bitmap.
    pub dense: u64,
    /// Of which in the sparse key table.
    pub sparse: u64,
    /// Of which negative or ≥ 2^64 (exact side table).
    pub long: u64,
    /// Serials listed more than once in the CRL (kept once, first wins).
    pub duplicates: u64,
}

/// A revocation found in the index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revocation {
    /// revocationDate.
    pub revoked_at: Timestamp,
    /// reasonCode, if the entry had one.
    pub reason: Option<RevocationReason>,
}

#[derive(Clone, Copy, Default)]
struct Params {
    sparse_bits: u32,
    sparse_width: u32,
    long_slot: usize,
    side_mode: u8,
    code_width: u32,
    reason_width: u32,
}

/// An open index over bytes `D`: a memory map ([`SerialIndex::open`]), a
/// `Vec<u8>`, or a static slice in tests. Queries read `D` in place.
pub struct SerialIndex<D> {
    data: D,
    meta: IndexMeta,
    params: Params,
    sections: [(usize, usize); SECTIONS],
    treemap: portable::Treemap,
}

/// The IDP_NAME section must be exactly one `[0]` or `[1]` TLV (a
/// DistributionPointName, RFC 5280 §4.2.1.13).
fn check_distribution_point_name(dpn: &[u8]) -> Result<(), IndexError> {
    use crate::der::{tag, Reader};
    let mut r = Reader::new(dpn);
    let ok = r.read_any().is_ok_and(|t| {
        t.tag == tag::context_constructed(0) || t.tag == tag::context_constructed(1)
    }) && r.is_empty();
    if ok {
        Ok(())
    } else {
        Err(IndexError::Corrupt(
            "distribution point name section is not a DistributionPointName".into(),
        ))
    }
}

pub(crate) fn header_checksum(header: &[u8]) -> u64 {
    let mut h = [0u8; HEADER_LEN];
    h.copy_from_slice(&header[..HEADER_LEN]);
    h[32..40].fill(0);
    xxhash_rust::xxh3::xxh3_64(&h)
}

/// Maps an index file read-only.
fn map_file(path: &Path) -> Result<memmap2::Mmap, IndexError> {
    crate::mmap::map_file(path).map_err(|e| IndexError::io(path, e))
}

/// Bytes of an index: a file map, or memory. Lets one type hold indexes
/// from files and indexes built on the fly (the store, the verifier).
/// Opaque, so that how a file is mapped stays the engine's business.
pub struct IndexBytes(Held);

enum Held {
    /// A memory-mapped file.
    Mapped(memmap2::Mmap),
    /// Bytes in memory (tests, indexes built from raw CRLs).
    Owned(Vec<u8>),
}

impl IndexBytes {
    /// Maps an index file read-only (no checks: open it with
    /// [`SerialIndex::from_bytes`]).
    pub fn map_file(path: impl AsRef<Path>) -> Result<IndexBytes, IndexError> {
        map_file(path.as_ref()).map(|m| IndexBytes(Held::Mapped(m)))
    }
}

impl From<Vec<u8>> for IndexBytes {
    fn from(bytes: Vec<u8>) -> IndexBytes {
        IndexBytes(Held::Owned(bytes))
    }
}

impl AsRef<[u8]> for IndexBytes {
    fn as_ref(&self) -> &[u8] {
        match &self.0 {
            Held::Mapped(m) => m,
            Held::Owned(v) => v,
        }
    }
}

impl SerialIndex<IndexBytes> {
    /// Maps an index file and opens it (header checks only; see
    /// [`SerialIndex::verify`]), as the type the store and the verifier
    /// hold.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, IndexError> {
        SerialIndex::from_bytes(IndexBytes::map_file(path)?)
    }

    /// Maps, opens and fully verifies an index: what a server should do
    /// before it serves a file.
    pub fn open_verified(path: impl AsRef<Path>) -> Result<Self, IndexError> {
        let idx = SerialIndex::open(path)?;
        idx.verify()?;
        Ok(idx)
    }
}

impl<D: AsRef<[u8]>> SerialIndex<D> {
    /// Opens an index held in `data`. Cost: the header, the roaring bucket
    /// list and the side table's block headers — no copy of the bitmap or
    /// the keys.
    pub fn from_bytes(data: D) -> Result<Self, IndexError> {
        let b = data.as_ref();
        if b.len() < 8 || &b[..8] != MAGIC {
            let n = b.len().min(8);
            return Err(IndexError::BadMagic {
                found: String::from_utf8_lossy(&b[..n]).into_owned(),
            });
        }
        if b.len() < HEADER_LEN {
            return Err(IndexError::Truncated {
                expected: HEADER_LEN as u64,
                found: b.len() as u64,
            });
        }
        let version = u32_at(b, 8);
        if version != FORMAT_VERSION {
            return Err(IndexError::UnsupportedVersion { found: version });
        }
        let stored = u64_at(b, 32);
        let computed = header_checksum(b);
        if stored != computed {
            return Err(IndexError::Checksum {
                part: "header",
                expected: stored,
                computed,
            });
        }
        if u32_at(b, 12) as usize != HEADER_LEN {
            return Err(IndexError::Corrupt("header length".into()));
        }
        let file_len = u64_at(b, 16);
        if file_len != b.len() as u64 {
            return Err(IndexError::Truncated {
                expected: file_len,
                found: b.len() as u64,
            });
        }
        let corrupt = |w: &str| IndexError::Corrupt(w.to_string());
        let flags = u32_at(b, 40);
        let reasons = u16::from_le_bytes([b[44], b[45]]);
        let key_len = b[96] as usize;
        let issuer_key_id = IssuerKeyId::from_bytes(b.get(97..97 + key_len).unwrap_or(&[]))
            .map_err(|_| corrupt("issuer key id"))?;
        let read_number = |at: usize| -> Result<Option<CrlNumber>, IndexError> {
            if b[at] == 0 {
                return Ok(None);
            }
            let len = (b[at + 1] as usize).min(20);
            CrlNumber::from_magnitude(&b[at + 2..at + 2 + len])
                .map(Some)
                .map_err(|_| corrupt("CRL number"))
        };
        let mut spki = [0u8; 32];
        spki.copy_from_slice(&b[184..216]);
        let mut crl_digest = [0u8; 16];
        crl_digest.copy_from_slice(&b[216..232]);
        let meta = IndexMeta {
            crl: IndexInfo {
                issuer_key_id,
                issuer_spki_sha256: spki,
                crl_digest,
                crl_number: read_number(129)?,
                delta_base: read_number(151)?,
                this_update: Timestamp::from_unix(u64_at(b, 48) as i64),
                next_update: Timestamp::from_unix(u64_at(b, 56) as i64),
                scope: scope_from_bits(flags, reasons),
                // Filled from its section below, once the sections are read.
                idp_distribution_point: None,
            },
            entries: u64_at(b, 64),
            dense: u64_at(b, 72),
            sparse: u64_at(b, 80),
            long: u64_at(b, 88),
            duplicates: u64_at(b, 248),
        };
        if meta
            .dense
            .checked_add(meta.sparse)
            .and_then(|s| s.checked_add(meta.long))
            != Some(meta.entries)
        {
            return Err(corrupt("entry counts do not add up"));
        }
        let params = Params {
            sparse_bits: b[173] as u32,
            sparse_width: b[174] as u32,
            long_slot: b[175] as usize,
            side_mode: b[176],
            code_width: b[177] as u32,
            reason_width: b[178] as u32,
        };
        let mut sections = [(0usize, 0usize); SECTIONS];
        for (i, s) in sections.iter_mut().enumerate() {
            let off = u64_at(b, SECTIONS_AT + 16 * i);
            let len = u64_at(b, SECTIONS_AT + 16 * i + 8);
            let end = off
                .checked_add(len)
                .ok_or_else(|| corrupt("section overflow"))?;
            if i == section::IDP_NAME && off == 0 && len == 0 {
                // Written before this section existed: absent.
                continue;
            }
            if off < HEADER_LEN as u64 || end > file_len {
                return Err(IndexError::Corrupt(format!(
                    "section {i} lies outside the file"
                )));
            }
            *s = (off as usize, len as usize);
        }
        let sec = |i: usize| &b[sections[i].0..sections[i].0 + sections[i].1];
        let treemap = portable::Treemap::parse(sec(section::ROARING))?;
        let mut meta = meta;
        let idp = sec(section::IDP_NAME);
        if !idp.is_empty() {
            check_distribution_point_name(idp)?;
            meta.crl.idp_distribution_point = Some(idp.to_vec());
        }
        let idx = SerialIndex {
            meta,
            params,
            sections,
            treemap,
            data,
        };
        // Build each view once to run its checks.
        let d = idx.data.as_ref();
        let aux = idx.rank_aux(d);
        aux.check(&idx.treemap, idx.section(d, section::ROARING))?;
        let dense_in_bitmap: u64 = idx
            .treemap
            .each_container(idx.section(d, section::ROARING))
            .map(|(_, bm, i)| bm.cardinality(i) as u64)
            .sum();
        if dense_in_bitmap != idx.meta.dense {
            return Err(corrupt("bitmap cardinality does not match the header"));
        }
        idx.sparse_table(d)?;
        idx.side_table(d)?;
        let long_len = idx.section(d, section::LONG).len();
        if idx.meta.long > 0
            && (idx.params.long_slot < 2
                || idx.params.long_slot > 1 + MAX_SERIAL_LEN
                || long_len as u64 != idx.meta.long * idx.params.long_slot as u64)
        {
            return Err(corrupt("long serial table size"));
        }
        Ok(idx)
    }

    /// For a partitioned CRL, the DER of its issuingDistributionPoint's
    /// DistributionPointName (one `[0]` fullName or `[1]`
    /// nameRelativeToCRLIssuer TLV, as [`crate::crl::Crl::idp_distribution_point`]);
    /// `None` otherwise, and for indexes written before it was kept.
    pub fn idp_distribution_point(&self) -> Option<&[u8]> {
        self.meta.crl.idp_distribution_point.as_deref()
    }

    #[inline]
    fn section<'a>(&self, d: &'a [u8], i: usize) -> &'a [u8] {
        let (off, len) = self.sections[i];
        d.get(off..off + len).unwrap_or(&[])
    }

    #[inline]
    fn rank_aux<'a>(&self, d: &'a [u8]) -> portable::RankAux<'a> {
        portable::RankAux {
            table: self.section(d, section::RANK_TABLE),
            checkpoints: self.section(d, section::RANK_CHECKS),
        }
    }

    #[inline]
    fn sparse_table<'a>(&self, d: &'a [u8]) -> Result<sparse::SparseTable<'a>, IndexError> {
        sparse::SparseTable::new(
            self.params.sparse_bits,
            self.params.sparse_width,
            self.meta.sparse,
            self.section(d, section::SPARSE_DIR),
            self.section(d, section::SPARSE_KEYS),
        )
    }

    fn side_table<'a>(&self, d: &'a [u8]) -> Result<side::SideTable<'a>, IndexError> {
        if side::Mode::from_u8(self.params.side_mode).is_none() {
            return Err(IndexError::Corrupt("side table mode".into()));
        }
        let t = self.side_view(d);
        t.check()?;
        Ok(t)
    }

    #[inline]
    fn side_view<'a>(&self, d: &'a [u8]) -> side::SideTable<'a> {
        let mode = match self.params.side_mode {
            1 => side::Mode::Dictionary,
            _ => side::Mode::Frame,
        };
        side::SideTable::view(
            mode,
            self.meta.entries,
            self.params.code_width,
            self.params.reason_width,
            self.section(d, section::SIDE_META),
            self.section(d, section::SIDE_DATA),
            self.section(d, section::REASON_DICT),
            self.section(d, section::REASON_DATA),
        )
    }

    /// Checks the body checksum and the order of the sparse keys: a full
    /// pass over the file. Do it once before trusting an index.
    pub fn verify(&self) -> Result<(), IndexError> {
        let d = self.data.as_ref();
        let stored = u64_at(d, 24);
        let computed = xxhash_rust::xxh3::xxh3_64(&d[HEADER_LEN..]);
        if stored != computed {
            return Err(IndexError::Checksum {
                part: "body",
                expected: stored,
                computed,
            });
        }
        self.sparse_table(d)?.verify()
    }

    /// What the index holds and where it came from.
    pub fn meta(&self) -> &IndexMeta {
        &self.meta
    }

    /// Bytes spent on revocation times and reasons (the side tables).
    #[cfg(feature = "internals")]
    pub(crate) fn side_bytes(&self) -> usize {
        [
            section::SIDE_META,
            section::SIDE_DATA,
            section::REASON_DICT,
            section::REASON_DATA,
        ]
        .iter()
        .map(|&i| self.sections[i].1)
        .sum()
    }

    /// The whole index as stored (for evidence hashes).
    pub fn as_bytes(&self) -> &[u8] {
        self.data.as_ref()
    }

    /// Size of the index in bytes.
    pub fn len_bytes(&self) -> usize {
        self.data.as_ref().len()
    }

    /// Looks a serial up: `Some` when it is on the CRL.
    #[inline]
    pub fn lookup(&self, serial: &Serial) -> Option<Revocation> {
        match serial.key() {
            Some(k) => self.lookup_key(k),
            None => self.lookup_long(serial),
        }
    }

    /// Looks a 64-bit key up (the fast path of [`SerialIndex::lookup`]).
    #[inline]
    pub(crate) fn lookup_key(&self, key: u64) -> Option<Revocation> {
        let rank = self.rank_of_key(key)?;
        Some(self.revocation(rank))
    }

    /// True when the 64-bit key is on the CRL (no side-table access).
    #[inline]
    pub fn contains_key(&self, key: u64) -> bool {
        self.rank_of_key(key).is_some()
    }

    #[inline]
    fn rank_of_key(&self, key: u64) -> Option<u64> {
        let d = self.data.as_ref();
        if self.meta.dense > 0 {
            if let Some((flat, hit)) = self.treemap.find(self.section(d, section::ROARING), key) {
                return Some(self.rank_aux(d).rank(flat, hit));
            }
        }
        if self.meta.sparse > 0 {
            if let Ok(t) = self.sparse_table(d) {
                return t.find(key).map(|i| self.meta.dense + i);
            }
        }
        None
    }

    fn lookup_long(&self, serial: &Serial) -> Option<Revocation> {
        let slot = self.params.long_slot;
        if self.meta.long == 0 || slot < 2 {
            return None;
        }
        let content = serial.as_der_content();
        if content.len() > slot - 1 {
            return None;
        }
        let mut probe = [0u8; 1 + MAX_SERIAL_LEN];
        probe[0] = content.len() as u8;
        probe[1..1 + content.len()].copy_from_slice(content);
        let probe = &probe[..slot];
        let table = self.section(self.data.as_ref(), section::LONG);
        let (mut lo, mut hi) = (0usize, self.meta.long as usize);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let s = table.get(mid * slot..(mid + 1) * slot)?;
            match s.cmp(probe) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => {
                    return Some(self.revocation(self.meta.dense + self.meta.sparse + mid as u64))
                }
            }
        }
        None
    }

    #[inline]
    fn revocation(&self, rank: u64) -> Revocation {
        let (revoked_at, reason) = self.side_view(self.data.as_ref()).get(rank);
        Revocation { revoked_at, reason }
    }
}

impl<D> std::fmt::Debug for SerialIndex<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SerialIndex")
            .field("meta", &self.meta)
            .finish()
    }
}

#[cfg(test)]
mod tests;
