//! A fast X.509 v2 CRL writer (RFC 5280 §5).
//!
//! A national CA's CRL has millions of entries, and tests and benchmarks
//! want one in seconds. So every length is computed first, the whole CRL is
//! one pre-sized buffer, entries are encoded straight into it in parallel
//! chunks (no allocation per entry), and the TBS is signed once in place.

use kakunin_engine::RevocationReason;
use rayon::prelude::*;

use super::calendar::civil_from_unix;
use super::der_writer::{header_len, put_header, tag, u64_integer_content, DerWriter};
use super::keys::Key;
use super::profile::{sig_alg, EXT_AKI};
use super::GenError;

/// One revokedCertificates entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Revoked {
    /// Serial number of the revoked certificate.
    pub serial: u64,
    /// revocationDate (Unix seconds).
    pub time: i64,
    /// reasonCode entry extension.
    pub reason: RevocationReason,
}

/// The CRL-wide fields.
pub(crate) struct CrlHeader<'a> {
    /// Issuer Name DER (the CA's subject).
    pub issuer: &'a [u8],
    /// thisUpdate (Unix seconds).
    pub this_update: i64,
    /// nextUpdate (Unix seconds).
    pub next_update: i64,
    /// cRLNumber.
    pub crl_number: u64,
    /// The CA's key identifier, for AuthorityKeyIdentifier.
    pub issuer_key_id: &'a [u8],
}

/// UTCTime covers 1950..2049 (RFC 5280 §5.1.2.6); later dates need
/// GeneralizedTime.
const UTC_TIME_END: i64 = 2_524_608_000; // 2050-01-01T00:00:00Z
const UTC_TIME_START: i64 = -631_152_000; // 1950-01-01T00:00:00Z

/// crlEntryExtensions with one reasonCode: SEQ { SEQ { OID 2.5.29.21,
/// OCTET STRING { ENUMERATED r } } }; the last byte is the reason.
const REASON_EXT: [u8; 14] = [
    0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x00,
];

fn time_len(t: i64) -> usize {
    if (UTC_TIME_START..UTC_TIME_END).contains(&t) {
        15
    } else {
        17
    }
}

fn entry_content_len(e: &Revoked) -> usize {
    let int = u64_integer_content(e.serial).1;
    2 + int + time_len(e.time) + REASON_EXT.len()
}

fn entry_len(e: &Revoked) -> usize {
    let c = entry_content_len(e);
    header_len(c) + c
}

fn put_digits(out: &mut [u8], v: u32, n: usize) {
    let mut v = v;
    for i in (0..n).rev() {
        out[i] = b'0' + (v % 10) as u8;
        v /= 10;
    }
}

/// Writes one entry into `out` (exactly `entry_len(e)` bytes long).
fn put_entry(out: &mut [u8], e: &Revoked) {
    let mut p = put_header(out, tag::SEQUENCE, entry_content_len(e));
    let (int, n) = u64_integer_content(e.serial);
    out[p] = tag::INTEGER;
    out[p + 1] = n as u8;
    out[p + 2..p + 2 + n].copy_from_slice(&int[9 - n..]);
    p += 2 + n;
    let (y, mo, d, h, mi, s) = civil_from_unix(e.time);
    let utc = time_len(e.time) == 15;
    out[p] = if utc {
        tag::UTC_TIME
    } else {
        tag::GENERALIZED_TIME
    };
    out[p + 1] = if utc { 13 } else { 15 };
    p += 2;
    if utc {
        put_digits(&mut out[p..], y.rem_euclid(100) as u32, 2);
        p += 2;
    } else {
        put_digits(&mut out[p..], y as u32, 4);
        p += 4;
    }
    for v in [mo, d, h, mi, s] {
        put_digits(&mut out[p..], v, 2);
        p += 2;
    }
    out[p] = b'Z';
    p += 1;
    out[p..p + REASON_EXT.len()].copy_from_slice(&REASON_EXT);
    out[p + REASON_EXT.len() - 1] = e.reason.code();
}

/// Entries per parallel chunk: big enough to amortise the task, small
/// enough to balance two to many cores.
const CHUNK: usize = 1 << 16;

/// Encodes and signs the CRL. `entries` must be sorted by serial (the
/// generator's promise; checked in debug builds).
pub(crate) fn write_crl(
    header: &CrlHeader<'_>,
    entries: &[Revoked],
    key: &Key,
) -> Result<Vec<u8>, GenError> {
    debug_assert!(entries.windows(2).all(|w| w[0].serial < w[1].serial));
    let mut head = DerWriter::new();
    head.integer_u64(1); // v2
    sig_alg(&mut head);
    head.raw(header.issuer);
    head.time(header.this_update);
    head.time(header.next_update);
    let head = head.finish();

    let mut ext = DerWriter::new();
    ext.context(0, |w| {
        w.sequence(|w| {
            w.sequence(|w| {
                w.oid(EXT_AKI);
                w.octet_string_with(|w| {
                    w.sequence(|w| w.context_primitive(0, header.issuer_key_id))
                });
            });
            w.sequence(|w| {
                w.oid(&[2, 5, 29, 20]); // cRLNumber
                w.octet_string_with(|w| w.integer_u64(header.crl_number));
            });
        })
    });
    let ext = ext.finish();

    let chunk_lens: Vec<usize> = entries
        .par_chunks(CHUNK)
        .map(|c| c.iter().map(entry_len).sum())
        .collect();
    let revoked_len: usize = chunk_lens.iter().sum();
    // RFC 5280 §5.1.2.6: with no entries the field is absent, not empty.
    let revoked_total = if entries.is_empty() {
        0
    } else {
        header_len(revoked_len) + revoked_len
    };
    let tbs_content = head.len() + revoked_total + ext.len();
    let tbs_total = header_len(tbs_content) + tbs_content;
    let mut alg = DerWriter::new();
    sig_alg(&mut alg);
    let alg = alg.finish();
    let sig_len = 256; // RSA-2048
    let bits_total = header_len(sig_len + 1) + sig_len + 1;
    let outer_content = tbs_total + alg.len() + bits_total;
    let total = header_len(outer_content) + outer_content;

    let mut buf = vec![0u8; total];
    let mut p = put_header(&mut buf, tag::SEQUENCE, outer_content);
    let tbs_start = p;
    p += put_header(&mut buf[p..], tag::SEQUENCE, tbs_content);
    buf[p..p + head.len()].copy_from_slice(&head);
    p += head.len();
    if !entries.is_empty() {
        p += put_header(&mut buf[p..], tag::SEQUENCE, revoked_len);
        // Carve the entry region into one slice per chunk, then fill them
        // in parallel; order is fixed by the carving, not by scheduling.
        let mut region = &mut buf[p..p + revoked_len];
        let mut slices = Vec::with_capacity(chunk_lens.len());
        for &len in &chunk_lens {
            let (a, b) = std::mem::take(&mut region).split_at_mut(len);
            slices.push(a);
            region = b;
        }
        slices
            .into_par_iter()
            .zip(entries.par_chunks(CHUNK))
            .for_each(|(out, chunk)| {
                let mut q = 0;
                for e in chunk {
                    let n = entry_len(e);
                    put_entry(&mut out[q..q + n], e);
                    q += n;
                }
            });
        p += revoked_len;
    }
    buf[p..p + ext.len()].copy_from_slice(&ext);
    p += ext.len();
    debug_assert_eq!(p, tbs_start + tbs_total);
    let sig = key.sign(&buf[tbs_start..p])?;
    if sig.len() != sig_len {
        return Err(GenError::Internal(format!(
            "a {}-byte signature: expected an RSA-2048 CA key",
            sig.len()
        )));
    }
    buf[p..p + alg.len()].copy_from_slice(&alg);
    p += alg.len();
    p += put_header(&mut buf[p..], tag::BIT_STRING, sig_len + 1);
    buf[p] = 0; // no unused bits
    buf[p + 1..p + 1 + sig_len].copy_from_slice(&sig);
    debug_assert_eq!(p + 1 + sig_len, total);
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_matches_writer_encoding() {
        let e = Revoked {
            serial: 0x1234_5678_9ABC_DEF0,
            time: 1_793_491_200,
            reason: RevocationReason::Superseded,
        };
        let mut out = vec![0u8; entry_len(&e)];
        put_entry(&mut out, &e);
        let mut w = DerWriter::new();
        w.sequence(|w| {
            w.integer_u64(e.serial);
            w.time(e.time);
            w.sequence(|w| {
                w.sequence(|w| {
                    w.oid(&[2, 5, 29, 21]);
                    w.octet_string_with(|w| w.tlv(tag::ENUMERATED, &[4]));
                })
            });
        });
        assert_eq!(out, w.finish());
    }
}
