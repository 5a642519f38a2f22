//! From CRL bytes to an index file.
//!
//! The steps run in this order, and nothing is written unless all pass:
//!
//! 1. parse the CRL header and check it against the CA (name, key id,
//!    cRLSign, algorithm) and the clock (nextUpdate present and not passed,
//!    thisUpdate not in the future);
//! 2. in parallel (rayon): verify the signature over tbsCertList and hash
//!    the whole CRL for its identity, while the entries are walked in
//!    parts and fed to [`IndexBuilder`]s;
//! 3. write the index atomically (temp file, fsync, rename).
//!
//! A CRL that fails anywhere leaves the previous index file untouched.

use std::path::Path;

use crate::ca::CaCert;
use crate::crl::{self, Crl, CrlError};
use crate::index::{BuildStats, IndexBuilder, IndexError, IndexInfo};
use crate::{CrlNumber, IssuerKeyId, Timestamp};

/// Maps a CRL file read-only, so that a CRL of a gigabyte is walked in
/// place instead of being read into memory before the walk starts.
pub fn map_crl(path: &std::path::Path) -> std::io::Result<impl std::ops::Deref<Target = [u8]>> {
    crate::mmap::map_file(path)
}

/// Clock and policy for an ingest.
#[derive(Clone, Copy, Debug)]
pub struct IngestOptions {
    /// The time to check freshness against (normally now).
    pub now: Timestamp,
    /// How far thisUpdate may lie in the future (clock skew), in seconds.
    pub max_clock_skew: i64,
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            now: Timestamp::now(),
            max_clock_skew: 300,
        }
    }
}

/// Why a CRL was not ingested.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IngestError {
    /// The CRL is malformed, violates RFC 5280, or does not verify.
    #[error(transparent)]
    Crl(#[from] CrlError),
    /// Writing the index failed.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// No nextUpdate: nobody could tell when the CRL stops being current.
    #[error("CRL has no nextUpdate (RFC 5280 §5.1.2.5 requires it); kakunin cannot tell when it goes stale")]
    NoNextUpdate,
    /// nextUpdate has passed.
    #[error("CRL is stale: nextUpdate {next_update} is not after the current time {now}; fetch a fresh CRL (or pass --at to check it as of an earlier time)")]
    Stale {
        /// The CRL's nextUpdate.
        next_update: Timestamp,
        /// The time checked against.
        now: Timestamp,
    },
    /// issuingDistributionPoint onlyContainsAttributeCerts: the CRL covers
    /// attribute certificates only (RFC 5280 §5.2.5), so it says nothing
    /// about any public-key certificate. Indexing it would answer "not
    /// revoked" for certificates it never covered.
    #[error("CRL covers attribute certificates only (issuingDistributionPoint onlyContainsAttributeCerts, RFC 5280 §5.2.5); it cannot answer for public-key certificates")]
    AttributeCertsOnly,
    /// thisUpdate is in the future beyond the allowed skew.
    #[error("CRL is not yet valid: thisUpdate {this_update} is after the current time {now} (check the clock)")]
    NotYetValid {
        /// The CRL's thisUpdate.
        this_update: Timestamp,
        /// The time checked against.
        now: Timestamp,
    },
}

/// What an ingest produced.
#[derive(Clone, Debug)]
pub struct IngestReport {
    /// The index build.
    pub stats: BuildStats,
    /// Issuer key the CRL was verified against.
    pub issuer_key_id: IssuerKeyId,
    /// cRLNumber.
    pub crl_number: Option<CrlNumber>,
    /// deltaCRLIndicator base, for a delta CRL.
    pub delta_base: Option<CrlNumber>,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate.
    pub next_update: Timestamp,
    /// Signature algorithm name.
    pub signature_algorithm: String,
    /// xxh3-128 of the CRL bytes (identity, not a cryptographic digest).
    pub crl_digest: [u8; 16],
    /// Size of the CRL DER.
    pub crl_bytes: usize,
    /// Entries of an indirect CRL about other issuers' certificates, left
    /// out of the index (RFC 5280 §5.3.3; the index answers for one
    /// issuer's certificates). 0 for an ordinary CRL.
    pub other_issuer_entries: u64,
}

/// Verifies a CRL (DER or PEM bytes) against `ca` and writes its index to
/// `out`. `progress` is called now and then with the number of bytes of the
/// entry list walked so far and their total.
pub fn ingest(
    input: &[u8],
    ca: &CaCert,
    out: &Path,
    opts: &IngestOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<IngestReport, IngestError> {
    verify_crl(input, ca, opts, progress)?.write(out)
}

/// A CRL that passed every check, held as what its index needs: it no
/// longer borrows the CRL bytes, so a caller can unmap the CRL before the
/// index is encoded and written (this keeps peak memory near the CRL size).
pub struct VerifiedCrl {
    builder: IndexBuilder,
    /// The later parts of a parallel walk, in order, joined when the index
    /// is encoded: the join copies columns, and doing it after the caller
    /// has unmapped the CRL keeps the peak memory down.
    rest: Vec<IndexBuilder>,
    info: IndexInfo,
    signature_algorithm: String,
    crl_bytes: usize,
    other_issuer_entries: u64,
}

/// Joins the parts of a parallel walk ([`IndexBuilder::can_join`] was
/// checked while the CRL was at hand).
fn join(mut first: IndexBuilder, rest: Vec<IndexBuilder>) -> Result<IndexBuilder, IngestError> {
    for part in rest {
        if !first.append(part) {
            return Err(IngestError::Index(IndexError::Build(
                "the parts of the entry list do not join".into(),
            )));
        }
    }
    Ok(first)
}

impl VerifiedCrl {
    /// Encodes and writes the index atomically.
    pub fn write(self, out: &Path) -> Result<IngestReport, IngestError> {
        let info = self.info;
        let stats = join(self.builder, self.rest)?.write_to_path(&info, out)?;
        Ok(Self::report(
            info,
            stats,
            self.signature_algorithm,
            self.crl_bytes,
            self.other_issuer_entries,
        ))
    }

    /// Encodes the index into memory: the same bytes [`VerifiedCrl::write`]
    /// would put in a file, so a verifier fed raw CRLs answers from exactly
    /// the index code a verifier fed index files uses.
    pub fn into_index_bytes(self) -> Result<(Vec<u8>, IngestReport), IngestError> {
        let info = self.info;
        let (bytes, stats) = join(self.builder, self.rest)?.finish_to_vec(&info)?;
        Ok((
            bytes,
            Self::report(
                info,
                stats,
                self.signature_algorithm,
                self.crl_bytes,
                self.other_issuer_entries,
            ),
        ))
    }

    fn report(
        info: IndexInfo,
        stats: BuildStats,
        signature_algorithm: String,
        crl_bytes: usize,
        other_issuer_entries: u64,
    ) -> IngestReport {
        IngestReport {
            stats,
            issuer_key_id: info.issuer_key_id,
            crl_number: info.crl_number,
            delta_base: info.delta_base,
            this_update: info.this_update,
            next_update: info.next_update,
            signature_algorithm,
            crl_digest: info.crl_digest,
            crl_bytes,
            other_issuer_entries,
        }
    }
}

/// Entry bytes per part of a parallel walk, about: below this a part is
/// not worth a task. (~100k entries: a middle part then spans more than
/// one 2^16-key chunk, which [`IndexBuilder::can_join`] requires.)
const PARALLEL_MIN_BYTES: usize = 4 << 20;
/// Below this, a CRL is checked and walked on the calling thread.
const POOL_MIN_BYTES: usize = 64 << 10;
/// Parts of a parallel walk, at most: enough for the threads to balance
/// (one of them hashes the TBS first), few enough that joining is cheap.
const MAX_PARTS: usize = 16;

/// Walks entries into a part builder sized for `len` bytes of entries;
/// also returns how many entries were left out as being about another
/// issuer's certificates (indirect CRLs only). Any error (including an
/// entry cut by a wrongly guessed split) ends the walk.
fn walk(
    mut entries: crate::crl::Entries<'_>,
    len: usize,
    center: Timestamp,
    later_part: bool,
    report: &(dyn Fn(u64) + Sync),
    keep: &EntriesOf<'_>,
) -> Result<(IndexBuilder, u64), CrlError> {
    // The smallest entry is 20 bytes; capacity never touched costs no
    // memory.
    let mut b = IndexBuilder::for_part(len / 20, center, later_part);
    let mut last = 0usize;
    // certificateIssuer holds until the next one: decide once per change.
    let mut current: (Option<&[u8]>, bool) = (None, keep.own);
    let mut skipped = 0u64;
    while let Some(e) = entries.next() {
        let e = e?;
        if keep.indirect {
            let ci = entries.certificate_issuer();
            if ci != current.0 {
                current = (ci, crl::entry_is_about(keep.crl_issuer, ci, keep.issuer));
            }
            if !current.1 {
                skipped += 1;
                continue;
            }
        }
        b.push(&e.serial, e.revoked_at, e.reason);
        if entries.index().is_multiple_of(65_536) {
            let at = entries.offset();
            report((at - last) as u64);
            last = at;
        }
    }
    report((entries.offset() - last) as u64);
    Ok((b, skipped))
}

/// Which entries of an indirect CRL an index keeps (§5.3.3).
struct EntriesOf<'x> {
    indirect: bool,
    crl_issuer: &'x [u8],
    /// The certificate issuer whose entries are kept.
    issuer: &'x [u8],
    /// `issuer` is the CRL issuer (entries without certificateIssuer).
    own: bool,
}

/// Steps 1 and 2 of [`ingest`]: every check, and the entries collected.
/// Of an indirect CRL only the entries about the CRL issuer's own
/// certificates are kept (§5.3.3): an index is keyed by issuer key and
/// serial, and serials of different issuers may collide.
pub fn verify_crl(
    input: &[u8],
    ca: &CaCert,
    opts: &IngestOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<VerifiedCrl, IngestError> {
    verify_crl_impl(input, ca, opts, progress, None)
}

/// [`verify_crl`] keeping, of an indirect CRL, the entries about the
/// certificates of `cert_issuer` (a Name's DER) instead: what an index of
/// that CRL must hold to answer for that issuer's certificates. For a CRL
/// that is not indirect this keeps nothing unless `cert_issuer` is the CRL
/// issuer.
pub fn verify_crl_for_issuer(
    input: &[u8],
    ca: &CaCert,
    opts: &IngestOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    cert_issuer: &[u8],
) -> Result<VerifiedCrl, IngestError> {
    verify_crl_impl(input, ca, opts, progress, Some(cert_issuer))
}

fn verify_crl_impl(
    input: &[u8],
    ca: &CaCert,
    opts: &IngestOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
    cert_issuer: Option<&[u8]>,
) -> Result<VerifiedCrl, IngestError> {
    let der = crl::der_from_pem_or_der(input)?;
    let der: &[u8] = &der;
    let crl = Crl::parse(der)?;
    let issuer = cert_issuer.unwrap_or(crl.issuer_der());
    let own = crate::name::names_match(crl.issuer_der(), issuer);
    let keep = EntriesOf {
        // A CRL that is not indirect is all about its issuer (the reader
        // refuses certificateIssuer there).
        indirect: crl.scope().indirect || !own,
        crl_issuer: crl.issuer_der(),
        issuer,
        own,
    };
    crl.check_issued_by(ca)?;
    if crl.scope().only_attribute_certs {
        return Err(IngestError::AttributeCertsOnly);
    }
    let next_update = crl.next_update().ok_or(IngestError::NoNextUpdate)?;
    if opts.now >= next_update {
        return Err(IngestError::Stale {
            next_update,
            now: opts.now,
        });
    }
    if crl.this_update().unix() > opts.now.unix() + opts.max_clock_skew {
        return Err(IngestError::NotYetValid {
            this_update: crl.this_update(),
            now: opts.now,
        });
    }

    let total = crl.entries_len_bytes();
    // The signature (a SHA-256 pass over the whole TBS) runs on one thread
    // while the entries are walked in parts, as rayon tasks, on every
    // thread: the hashing thread takes parts once it is done, so the load
    // evens out whatever the relative speed of hashing and walking on this
    // CPU. The part boundaries are guessed entry starts, trusted only if
    // every walk succeeds (each one then ends exactly where the next
    // starts, see `Crl::entries_range`); otherwise (or on any error, to
    // report it exactly) the entries are walked again in one piece.
    // An indirect CRL is walked in one piece: a certificateIssuer holds for
    // the entries after it, which a later part would not know.
    let parts = if total >= PARALLEL_MIN_BYTES && !keep.indirect {
        total.div_ceil(PARALLEL_MIN_BYTES).clamp(2, MAX_PARTS)
    } else {
        1
    };
    let mut starts = vec![0usize];
    for k in 1..parts {
        if let Some(b) = crl.guess_entry_boundary(total / parts * k) {
            if b > starts.last().copied().unwrap_or(0) && b < total {
                starts.push(b);
            }
        }
    }
    let ranges: Vec<(usize, usize)> = starts
        .iter()
        .zip(starts.iter().skip(1).chain(std::iter::once(&total)))
        .map(|(&s, &e)| (s, e))
        .collect();
    let done = std::sync::atomic::AtomicU64::new(0);
    let report = |n: u64| {
        let d = done.fetch_add(n, std::sync::atomic::Ordering::Relaxed) + n;
        progress(d.min(total as u64), total as u64);
    };
    let center = crl.this_update();
    let check = || {
        let sig = crl.verify_signature(ca);
        (sig, xxhash_rust::xxh3::xxh3_128(der).to_le_bytes())
    };
    let walk_part = |(i, &(s, e)): (usize, &(usize, usize))| {
        // The first part's builder receives the others at the end: size
        // it for the whole list.
        let len = if i == 0 { total } else { e - s };
        walk(crl.entries_range(s, e), len, center, i > 0, &report, &keep)
    };
    // A small CRL is checked on the calling thread: handing it to the pool
    // (a wake-up, and a futex wait for the caller) costs more than the
    // overlap saves, and most CRLs a verifier is built from are small.
    let ((sig, digest), walked) = if der.len() < POOL_MIN_BYTES {
        let checked = check();
        (checked, ranges.iter().enumerate().map(walk_part).collect())
    } else {
        rayon::join(check, || {
            use rayon::prelude::*;
            ranges
                .par_iter()
                .enumerate()
                .map(walk_part)
                .collect::<Vec<_>>()
        })
    };
    sig?;
    let joined = walked
        .into_iter()
        .collect::<Result<Vec<_>, _>>()
        .ok()
        .filter(|parts| {
            let builders: Vec<&IndexBuilder> = parts.iter().map(|(b, _)| b).collect();
            IndexBuilder::can_join(&builders)
        })
        .and_then(|parts| {
            let skipped: u64 = parts.iter().map(|(_, n)| n).sum();
            let mut builders = parts.into_iter().map(|(b, _)| b);
            let first = builders.next()?;
            Some(((first, skipped), builders.collect::<Vec<_>>()))
        });
    let ((builder, skipped), rest) = match joined {
        Some(parts) => parts,
        // A bad guess, an unsorted CRL, or an error: walk it whole.
        None => (
            walk(crl.entries(), total, center, false, &|_| {}, &keep)?,
            Vec::new(),
        ),
    };
    progress(total as u64, total as u64);
    let info = IndexInfo {
        issuer_key_id: ca.key_id(),
        issuer_spki_sha256: ca.spki_sha256(),
        crl_digest: digest,
        crl_number: crl.number(),
        delta_base: crl.delta_base(),
        this_update: crl.this_update(),
        next_update,
        scope: *crl.scope(),
        idp_distribution_point: crl.idp_distribution_point().map(<[u8]>::to_vec),
    };
    Ok(VerifiedCrl {
        builder,
        rest,
        info,
        signature_algorithm: crl.signature_algorithm().to_string(),
        crl_bytes: der.len(),
        other_issuer_entries: skipped,
    })
}
