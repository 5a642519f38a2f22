//! The body of a `status` entry: one status decision, with what it was
//! based on, so that a decision can be shown later ("this certificate was
//! valid at 10:00 according to CRL number 1234 with this SHA-256").
//!
//! ```text
//! {"cert_sha256":"…","serial":"1A2B","issuer":"C=JP, O=JPKI, …","status":"revoked",
//!  "reason":"keyCompromise","revoked_at":"2026-11-01T00:00:00Z","detail":null,
//!  "validation_time":"2026-11-25T10:00:00Z","checked_at":"2026-11-25T10:00:01Z",
//!  "sources":[{"kind":"crl","issuer_key_id":"…","crl_number":"1234","sha256":"…"}],
//!  "kakunin_version":"0.1.0"}
//! ```
//!
//! (shown wrapped; in the log it is the `record` of one line.) Every key is
//! always present; absent values are `null`. Hashes and key ids are
//! lower-case hex, the serial upper-case hex as OpenSSL prints it, times
//! RFC 3339 UTC, and the CRL number a *string* of decimal digits, because
//! CRL numbers go up to 20 octets and JSON readers lose precision above
//! 2^53. Nothing of the holder but the certificate's hash, serial and
//! issuer is kept: no name, address, PIN or My Number.
//!
//! The body is serialised by serde from a private view of the record, whose
//! fields print in the order shown; the engine's types stay free of serde.

use kakunin_engine::verify::{SourceKind, Verdict};
use kakunin_engine::{crypto, CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};
use serde::{Serialize, Serializer};

use crate::status::{CertStatus, StatusParts};

/// One revocation source behind a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceSource {
    /// CRL or index.
    pub kind: SourceKind,
    /// The issuer key the CRL is for.
    pub issuer_key_id: IssuerKeyId,
    /// The CRL number, if the CRL had one.
    pub crl_number: Option<CrlNumber>,
    /// SHA-256 of the source file's bytes.
    pub sha256: [u8; 32],
}

/// One status decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// SHA-256 of the certificate's DER.
    pub cert_sha256: [u8; 32],
    /// Certificate serial number.
    pub serial: Serial,
    /// Issuer DN as text.
    pub issuer: String,
    /// The outcome.
    pub status: CertStatus,
    /// Revocation reason, when revoked with one.
    pub reason: Option<RevocationReason>,
    /// Revocation time, when revoked.
    pub revoked_at: Option<Timestamp>,
    /// Free text: the failed check, or anything else worth keeping.
    pub detail: Option<String>,
    /// The time the decision is *about* (`--at`, or the check time).
    pub validation_time: Timestamp,
    /// When the check was made.
    pub checked_at: Timestamp,
    /// The revocation sources used.
    pub sources: Vec<EvidenceSource>,
}

impl EvidenceRecord {
    /// The record of one verdict on the certificate `der`, about time `at`
    /// (`None` when the certificate had no readable serial, or when the
    /// verifier was built without source digests: such a record could not
    /// say what it was decided against).
    pub fn of(der: &[u8], v: &Verdict, at: Timestamp) -> Option<EvidenceRecord> {
        let serial = v.serial?;
        let parts = StatusParts::of(&v.status);
        let sources = v
            .revocation_sources
            .iter()
            .map(|s| {
                Some(EvidenceSource {
                    kind: s.kind,
                    issuer_key_id: s.issuer_key_id,
                    crl_number: s.crl_number,
                    sha256: s.sha256?,
                })
            })
            .collect::<Option<_>>()?;
        Some(EvidenceRecord {
            cert_sha256: crypto::sha256(der),
            serial,
            issuer: v
                .path
                .get(1)
                .map(|p| p.subject.to_string())
                .unwrap_or_default(),
            status: parts.status,
            reason: parts.reason,
            revoked_at: parts.revoked_at,
            detail: parts.detail,
            validation_time: at,
            checked_at: Timestamp::now(),
            sources,
        })
    }

    /// The record's body as one line of JSON (no newline): what
    /// [`ChainWriter::append`](super::ChainWriter::append) puts under
    /// `"record"`. serde_json escapes every control character, so it never
    /// spans lines.
    pub fn to_json(&self) -> String {
        // Strings, options and a list of them: serialising cannot fail.
        serde_json::to_string(&self.view()).unwrap_or_default()
    }

    /// The serialisable view, fields in the documented order.
    fn view(&self) -> Line<'_> {
        Line {
            cert_sha256: hex::encode(self.cert_sha256),
            serial: self.serial.to_hex(),
            issuer: &self.issuer,
            status: self.status,
            reason: self.reason.map(RevocationReason::name),
            revoked_at: self.revoked_at.map(Timestamp::to_rfc3339),
            detail: self.detail.as_deref(),
            validation_time: self.validation_time.to_rfc3339(),
            checked_at: self.checked_at.to_rfc3339(),
            sources: self
                .sources
                .iter()
                .map(|s| SourceLine {
                    kind: s.kind.as_str(),
                    issuer_key_id: hex::encode(s.issuer_key_id.as_bytes()),
                    crl_number: s.crl_number.map(|n| n.to_string()),
                    sha256: hex::encode(s.sha256),
                })
                .collect(),
            kakunin_version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// Serialises as the documented body, so that a record can be handed to
/// [`ChainWriter::append`](super::ChainWriter::append) (or nested in
/// another body) directly.
impl Serialize for EvidenceRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

/// The JSON body of a record, field by field in the documented order.
#[derive(Serialize)]
struct Line<'a> {
    cert_sha256: String,
    serial: String,
    issuer: &'a str,
    status: CertStatus,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    detail: Option<&'a str>,
    validation_time: String,
    checked_at: String,
    sources: Vec<SourceLine>,
    kakunin_version: &'static str,
}

/// One source of a [`Line`].
#[derive(Serialize)]
struct SourceLine {
    kind: &'static str,
    issuer_key_id: String,
    crl_number: Option<String>,
    sha256: String,
}
