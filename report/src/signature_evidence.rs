//! The body of a `signature` evidence entry: what `kakunin
//! verify-signature --evidence` checked — the document's digest, the
//! signature's result and the status decision on the signer's certificate
//! with the CRLs and indexes it was based on — so that a signature check
//! can be shown later as a status decision can.
//!
//! ```text
//! {"input":"sig.bin","cert_sha256":"…","document_sha256":"…",
//!  "signature":{"status":"valid","detail":null},
//!  "certificate":{…the status record…}|null,"status":"valid",
//!  "checked_at":"2026-11-25T10:00:01Z","kakunin_version":"0.1.0"}
//! ```
//!
//! `certificate` is null only when the certificate had no readable serial
//! (then `status` is not valid). Like a status record it keeps nothing of
//! the holder but the certificate's hash, serial and issuer: no name,
//! address, PIN or My Number, and not the document.

use kakunin_engine::Timestamp;
use serde::{Serialize, Serializer};

use crate::evidence::EvidenceRecord;
use crate::status::CertStatus;

/// What one signature check was, for the evidence log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureEvidence {
    /// The input's label (file name, or `batch:line`).
    pub input: String,
    /// SHA-256 of the signer's certificate.
    pub cert_sha256: [u8; 32],
    /// SHA-256 of the signed document (given, or computed from it).
    pub document_sha256: [u8; 32],
    /// The signature's own result.
    pub signature_status: CertStatus,
    /// Why the signature failed, when it did.
    pub signature_detail: Option<String>,
    /// The status decision on the certificate, with its sources.
    pub certificate: Option<EvidenceRecord>,
    /// `valid` only when both are.
    pub status: CertStatus,
    /// When the check was made.
    pub checked_at: Timestamp,
}

#[derive(Serialize)]
struct View<'a> {
    input: &'a str,
    cert_sha256: String,
    document_sha256: String,
    signature: SignatureView<'a>,
    certificate: Option<&'a EvidenceRecord>,
    status: CertStatus,
    checked_at: String,
    kakunin_version: &'static str,
}

#[derive(Serialize)]
struct SignatureView<'a> {
    status: CertStatus,
    detail: Option<&'a str>,
}

impl Serialize for SignatureEvidence {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        View {
            input: &self.input,
            cert_sha256: hex::encode(self.cert_sha256),
            document_sha256: hex::encode(self.document_sha256),
            signature: SignatureView {
                status: self.signature_status,
                detail: self.signature_detail.as_deref(),
            },
            certificate: self.certificate.as_ref(),
            status: self.status,
            checked_at: self.checked_at.to_rfc3339(),
            kakunin_version: env!("CARGO_PKG_VERSION"),
        }
        .serialize(serializer)
    }
}
