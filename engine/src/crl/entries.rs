//! The revokedCertificates walk (RFC 5280 §5.1.2.6, §5.3): lazy and
//! zero-copy, because a JPKI signing CRL has millions of entries and an
//! ingest must finish in well under a second. A byte-exact fast path takes
//! the common entry shape; everything else goes through the general
//! parser, which enforces every rule.

use crate::der::{self, tag, DerError, Oid, Reader, Tlv};
use crate::extension::Extension;
use crate::name::{names_match, sole_directory_name};
use crate::oid;
use crate::reason::RevocationReason;
use crate::serial::Serial;
use crate::time::{parse_time, Timestamp};

use super::extensions::read_extension;
use super::{generalized_before_2050, CrlError};

/// The removeFromCRL reasonCode (§5.3.1), for the byte-exact fast path.
const REMOVE_FROM_CRL: u8 = 8;

/// One revoked certificate, decoded from the borrowed CRL bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// userCertificate.
    pub serial: Serial,
    /// revocationDate.
    pub revoked_at: Timestamp,
    /// reasonCode entry extension, if present.
    pub reason: Option<RevocationReason>,
    /// invalidityDate entry extension, if present.
    pub invalidity_date: Option<Timestamp>,
}

/// Whether an entry whose certificateIssuer is `entry_issuer` (GeneralNames
/// content, `None` for the CRL issuer, as [`Entries::certificate_issuer`])
/// is about a certificate issued by `issuer` (a Name's DER), §5.3.3.
pub(crate) fn entry_is_about(
    crl_issuer: &[u8],
    entry_issuer: Option<&[u8]>,
    issuer: &[u8],
) -> bool {
    match entry_issuer {
        None => names_match(crl_issuer, issuer),
        Some(gns) => sole_directory_name(gns).is_some_and(|d| names_match(d, issuer)),
    }
}

/// Lazy iterator over revokedCertificates. Yields each entry or the first
/// error, then stops. Cheap to clone (a cursor over borrowed bytes).
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    reader: Reader<'a>,
    index: usize,
    v2: bool,
    failed: bool,
    /// The CRL asserts indirectCRL: certificateIssuer is allowed.
    indirect: bool,
    /// The CRL is a delta CRL: removeFromCRL is allowed (§5.3.1).
    delta: bool,
    /// The certificateIssuer in effect (GeneralNames content), `None`
    /// for the CRL issuer (§5.3.3).
    certificate_issuer: Option<&'a [u8]>,
}

impl<'a> Entries<'a> {
    /// A walk over revokedCertificates content (or a part of it) of a CRL
    /// that is v2 or not, indirect or not and a delta CRL or not.
    pub(super) fn new(revoked: &'a [u8], v2: bool, indirect: bool, delta: bool) -> Entries<'a> {
        Entries {
            reader: Reader::new(revoked),
            index: 0,
            v2,
            failed: false,
            indirect,
            delta,
            certificate_issuer: None,
        }
    }

    /// Whose certificate the entry last yielded is about, in an indirect
    /// CRL: the content of the GeneralNames of the latest certificateIssuer
    /// extension at or before it (§5.3.3: it holds until the next one), or
    /// `None` for the CRL issuer. Always `None` in a CRL that is not
    /// indirect, where certificateIssuer is refused.
    pub fn certificate_issuer(&self) -> Option<&'a [u8]> {
        self.certificate_issuer
    }

    /// Byte offset reached, relative to the start of the
    /// revokedCertificates content (see [`Crl::entries_len_bytes`](super::Crl::entries_len_bytes)).
    pub fn offset(&self) -> usize {
        self.reader.position()
    }

    /// Number of entries yielded so far.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The common entry shape, matched byte for byte: a short SEQUENCE of
    /// a short INTEGER, a UTCTime and nothing else or a lone reasonCode
    /// extension. `None` sends the entry to the general parser, which
    /// enforces every rule and reports errors precisely; this path accepts
    /// nothing the general one would refuse. It takes UTCTime only, so the
    /// §5.1.2.6 rule against GeneralizedTime before 2050 is the general
    /// parser's; removeFromCRL outside a delta CRL goes there too.
    #[inline]
    fn parse_common_entry(&mut self) -> Option<RevokedEntry> {
        let rem = self.reader.remaining();
        let (&[0x30, len], rest) = rem.split_first_chunk::<2>()? else {
            return None;
        };
        let body = rest.get(..len as usize).filter(|_| len < 0x80)?;
        let (&[0x02, sl], rest) = body.split_first_chunk::<2>()? else {
            return None;
        };
        if sl == 0 || sl >= 0x80 {
            return None;
        }
        let serial_bytes = rest.get(..sl as usize)?;
        let rest = &rest[sl as usize..];
        let (&[tag::UTC_TIME, 13], rest) = rest.split_first_chunk::<2>()? else {
            return None;
        };
        let time = rest.get(..13)?;
        let exts = &rest[13..];
        let reason = match *exts {
            [] => None,
            // crlEntryExtensions { Extension { reasonCode, OCTET STRING {
            // ENUMERATED code } } }: 14 bytes in their one DER encoding.
            [0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, code]
                if self.v2 && code < 0x80 && (self.delta || code != REMOVE_FROM_CRL) =>
            {
                Some(RevocationReason::from_code(code)?)
            }
            _ => return None,
        };
        let serial = Serial::from_der_content(serial_bytes).ok()?;
        let revoked_at = parse_time(tag::UTC_TIME, time).ok()?;
        // Advance past the entry: its header is the short form just read.
        self.reader.read_any().ok()?;
        Some(RevokedEntry {
            serial,
            revoked_at,
            reason,
            invalidity_date: None,
        })
    }

    #[inline]
    fn parse_entry(&mut self) -> Result<RevokedEntry, CrlError> {
        if let Some(e) = self.parse_common_entry() {
            return Ok(e);
        }
        let index = self.index;
        let mal = |field: &'static str| {
            move |problem| CrlError::MalformedEntry {
                index,
                field,
                problem,
            }
        };
        let e = self
            .reader
            .read(tag::SEQUENCE)
            .map_err(mal("revokedCertificates entry"))?;
        let mut r = Reader::new(e.value);
        let s = r.read(tag::INTEGER).map_err(mal("userCertificate"))?;
        let serial = Serial::from_der_content(s.value)
            .map_err(|problem| CrlError::BadEntrySerial { index, problem })?;
        let t = r.read_any().map_err(mal("revocationDate"))?;
        let revoked_at = parse_time(t.tag, t.value).map_err(|why| CrlError::BadEntryTime {
            index,
            field: "revocationDate",
            why,
        })?;
        // §5.1.2.6: revocationDate "MUST be expressed as described in
        // Section 5.1.2.4": UTCTime through 2049.
        if generalized_before_2050(t.tag, revoked_at) {
            return Err(CrlError::EntryGeneralizedTimeBefore2050 {
                index,
                found: revoked_at,
            });
        }
        let mut entry = RevokedEntry {
            serial,
            revoked_at,
            reason: None,
            invalidity_date: None,
        };
        if r.is_empty() {
            return Ok(entry);
        }
        let exts = r.read(tag::SEQUENCE).map_err(mal("crlEntryExtensions"))?;
        if let Err(problem) = r.finish() {
            return Err(CrlError::MalformedEntry {
                index,
                field: "revokedCertificates entry",
                problem,
            });
        }
        if !self.v2 {
            return Err(CrlError::EntryExtensionsInV1 { index });
        }
        if let Some(ci) =
            parse_entry_extensions(exts, index, &mut entry, self.indirect, self.delta)?
        {
            self.certificate_issuer = Some(ci);
        }
        Ok(entry)
    }
}

/// Returns the certificateIssuer's GeneralNames content, when the entry
/// has one (only allowed when `indirect`). removeFromCRL is allowed only
/// when `delta`.
fn parse_entry_extensions<'a>(
    exts: Tlv<'a>,
    index: usize,
    entry: &mut RevokedEntry,
    indirect: bool,
    delta: bool,
) -> Result<Option<&'a [u8]>, CrlError> {
    let serial = entry.serial;
    // §5.3.1: "The removeFromCRL (8) reasonCode value may only appear in
    // delta CRLs." In a complete CRL its meaning is unknowable (listed
    // yet not revoked?), so the CRL is refused rather than guessed at.
    let reason_ok = |reason: RevocationReason| {
        if reason == RevocationReason::RemoveFromCrl && !delta {
            Err(CrlError::RemoveFromCrlInCompleteCrl { serial })
        } else {
            Ok(reason)
        }
    };
    // Fast path for the overwhelmingly common case, a lone non-critical
    // reasonCode: Extension { extnID 2.5.29.21, extnValue OCTET STRING {
    // ENUMERATED x } } in its one DER encoding. Anything else takes the
    // general path below, which enforces every rule.
    if let [0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, code] = *exts.value {
        return match RevocationReason::from_code(code) {
            Some(r) if code < 0x80 => {
                entry.reason = Some(reason_ok(r)?);
                Ok(None)
            }
            _ => Err(CrlError::BadReasonCode {
                serial,
                code: format!("0x{code:02x}"),
            }),
        };
    }
    if exts.value.is_empty() {
        return Err(CrlError::MalformedEntry {
            index,
            field: "crlEntryExtensions (SIZE (1..MAX))",
            problem: DerError::Truncated,
        });
    }
    // Duplicate detection without allocation: entries carry a handful of
    // extensions, so comparing against the earlier ones is cheapest.
    let mut seen: [&[u8]; 8] = [&[]; 8];
    let mut n_seen = 0usize;
    let mut certificate_issuer = None;
    let mut r = Reader::new(exts.value);
    while !r.is_empty() {
        let Extension {
            oid,
            critical,
            value,
        } = read_extension(&mut r, "crlEntryExtensions", false).map_err(|e| match e {
            CrlError::Malformed { problem, .. } => CrlError::MalformedEntry {
                index,
                field: "crlEntryExtensions",
                problem,
            },
            CrlError::Truncated { .. } => CrlError::MalformedEntry {
                index,
                field: "crlEntryExtensions",
                problem: DerError::Truncated,
            },
            CrlError::ExtraData { len, .. } => CrlError::MalformedEntry {
                index,
                field: "crlEntryExtensions",
                problem: DerError::TrailingData(len),
            },
            other => other,
        })?;
        if seen[..n_seen].contains(&oid) {
            return Err(CrlError::DuplicateEntryExtension {
                oid: Oid(oid).to_string(),
                serial,
            });
        }
        if n_seen == seen.len() {
            return Err(CrlError::MalformedEntry {
                index,
                field: "crlEntryExtensions (more than 8)",
                problem: DerError::TrailingData(r.remaining().len()),
            });
        }
        seen[n_seen] = oid;
        n_seen += 1;
        match oid {
            oid::REASON_CODE => {
                let bad = |why: String| CrlError::BadEntryExtension {
                    serial,
                    name: "reasonCode",
                    section: "§5.3.1",
                    why,
                };
                let mut v = Reader::new(value);
                let en = v.read(tag::ENUMERATED).map_err(|e| bad(e.to_string()))?;
                v.finish().map_err(|e| bad(e.to_string()))?;
                let code = der::small_unsigned(en.value).map_err(|e| bad(e.to_string()))?;
                let reason = code
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(RevocationReason::from_code)
                    .ok_or_else(|| CrlError::BadReasonCode {
                        serial,
                        code: format!("0x{}", hex::encode(en.value)),
                    })?;
                entry.reason = Some(reason_ok(reason)?);
            }
            oid::INVALIDITY_DATE => {
                let mut v = Reader::new(value);
                let t = v
                    .read(tag::GENERALIZED_TIME)
                    .and_then(|t| v.finish().map(|_| t))
                    .map_err(|e| CrlError::BadEntryExtension {
                        serial,
                        name: "invalidityDate",
                        section: "§5.3.2",
                        why: e.to_string(),
                    })?;
                entry.invalidity_date =
                    Some(
                        parse_time(t.tag, t.value).map_err(|why| CrlError::BadEntryTime {
                            index,
                            field: "invalidityDate",
                            why,
                        })?,
                    );
            }
            oid::CERTIFICATE_ISSUER if !indirect => {
                return Err(CrlError::IndirectCrlUnsupported { serial })
            }
            oid::CERTIFICATE_ISSUER => {
                // §5.3.3: "CRL issuers MUST mark this extension as
                // critical": an RP that ignored it would attribute the
                // entries to the wrong CA.
                if !critical {
                    return Err(CrlError::EntryExtensionMustBeCritical {
                        serial,
                        name: "certificateIssuer",
                        section: "§5.3.3",
                    });
                }
                // GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
                let bad = |why: String| CrlError::BadEntryExtension {
                    serial,
                    name: "certificateIssuer",
                    section: "§5.3.3",
                    why,
                };
                let mut v = Reader::new(value);
                let names = v.read(tag::SEQUENCE).map_err(|e| bad(e.to_string()))?;
                v.finish().map_err(|e| bad(e.to_string()))?;
                if names.value.is_empty() {
                    return Err(bad("empty GeneralNames".into()));
                }
                // Entries are matched to certificates by issuer DN: a
                // certificateIssuer without exactly one directoryName
                // (none, or aliases) could leave entries unattributed to
                // an issuer they are about, so it is refused.
                if sole_directory_name(names.value).is_none() {
                    return Err(bad(
                        "not exactly one directoryName: kakunin attributes entries by issuer name"
                            .into(),
                    ));
                }
                certificate_issuer = Some(names.value);
            }
            _ if critical => {
                return Err(CrlError::UnknownCriticalEntryExtension {
                    oid: Oid(oid).to_string(),
                    serial,
                })
            }
            _ => {}
        }
    }
    Ok(certificate_issuer)
}

impl Iterator for Entries<'_> {
    type Item = Result<RevokedEntry, CrlError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let r = self.parse_entry();
        match r {
            Ok(_) => self.index += 1,
            Err(_) => self.failed = true,
        }
        Some(r)
    }
}

impl std::iter::FusedIterator for Entries<'_> {}
