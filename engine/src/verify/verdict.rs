//! What verification answers: a [`Verdict`] per certificate, with its
//! [`Status`] (and for `invalid`, the [`Check`] that failed), the path it
//! is about and the revocation data it consulted.

use std::fmt;
use std::sync::Arc;

use crate::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};

/// The check that failed, for `Status::Invalid`. `Display` is a short,
/// stable snake_case name meant for JSON output and scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The bytes are not a DER X.509 certificate (RFC 5280 §4.1).
    Malformed,
    /// Signature or key algorithm we do not support, or that does not fit
    /// the issuer's key (§4.1.1.2).
    UnsupportedAlgorithm,
    /// A signature on the path does not verify (§6.1.3 (a)(1)).
    Signature,
    /// No configured CA could have issued a certificate on the path.
    NoPath,
    /// A certificate's notAfter is before `at` (§6.1.3 (a)(2)).
    Expired,
    /// A certificate's notBefore is after `at` (§6.1.3 (a)(2)).
    NotYetValid,
    /// A CA on the path lacks basicConstraints cA (§6.1.4 (k)).
    BasicConstraints,
    /// pathLenConstraint exceeded (§6.1.4 (l), (m)).
    PathLen,
    /// A CA's keyUsage lacks keyCertSign (§6.1.4 (n)).
    KeyUsage,
    /// A critical extension we do not process (§4.2, §6.1.4 (o)).
    UnknownCriticalExtension,
    /// nameConstraints present: not implemented, so we fail closed.
    NameConstraintsUnsupported,
    /// Issuer DN differs from the issuer's subject DN (§6.1.3 (a)(4)).
    NameChaining,
}

impl Check {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Malformed => "malformed",
            Check::UnsupportedAlgorithm => "unsupported_algorithm",
            Check::Signature => "signature",
            Check::NoPath => "no_path",
            Check::Expired => "expired",
            Check::NotYetValid => "not_yet_valid",
            Check::BasicConstraints => "basic_constraints",
            Check::PathLen => "path_len",
            Check::KeyUsage => "key_usage",
            Check::UnknownCriticalExtension => "unknown_critical_extension",
            Check::NameConstraintsUnsupported => "name_constraints_unsupported",
            Check::NameChaining => "name_chaining",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A path to a trust anchor exists, every check passed, and a current
    /// CRL of each issuer says nobody on the path is revoked.
    Valid,
    /// A certificate on the path is on its issuer's current CRL.
    Revoked {
        /// reasonCode of the entry.
        reason: Option<RevocationReason>,
        /// revocationDate of the entry.
        revoked_at: Timestamp,
        /// Which certificate: 0 = the leaf, 1 = its issuer, …
        depth: usize,
    },
    /// A check failed.
    Invalid {
        /// Which one.
        check: Check,
        /// Human-readable detail.
        detail: String,
    },
    /// No current CRL covers some certificate on the path: fail closed,
    /// callers must not treat this as valid (RFC 5280 §6.3.3 (k)).
    Unknown {
        /// What was missing.
        detail: String,
    },
}

impl Status {
    /// `valid`, `revoked`, `invalid` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked { .. } => "revoked",
            Status::Invalid { .. } => "invalid",
            Status::Unknown { .. } => "unknown",
        }
    }

    pub(super) fn rank(&self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Revoked { .. } => 1,
            Status::Unknown { .. } => 2,
            Status::Invalid { .. } => 3,
        }
    }
}

/// One certificate of the path that was validated (leaf first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathCert {
    /// serialNumber.
    pub serial: Serial,
    /// Subject DN as text.
    pub subject: Arc<str>,
    /// SHA-256 of the certificate DER; `None` for the leaf, whose bytes
    /// the caller holds (hashing every leaf would cost a batch ~6% for
    /// callers that never look).
    pub sha256: Option<[u8; 32]>,
    /// True for the trust anchor.
    pub anchor: bool,
}

/// What kind of revocation source a verdict used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A CRL file, parsed and verified directly.
    Crl,
    /// A kakunin index file built from a CRL.
    Index,
}

impl SourceKind {
    /// `crl` or `index`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Crl => "crl",
            SourceKind::Index => "index",
        }
    }
}

/// One piece of revocation data consulted for a verdict (evidence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationSource {
    /// For which certificate of the path (0 = leaf).
    pub depth: usize,
    /// Key identifier of the CRL issuer.
    pub issuer_key_id: IssuerKeyId,
    /// cRLNumber.
    pub crl_number: Option<CrlNumber>,
    /// True for a delta CRL.
    pub delta: bool,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate.
    pub next_update: Timestamp,
    /// SHA-256 of the CRL DER (kind `Crl`) or of the index file (`Index`),
    /// for evidence records; `None` when the verifier was built with
    /// [`VerifierBuilder::source_digests`](super::VerifierBuilder::source_digests)`(false)`.
    pub sha256: Option<[u8; 32]>,
    /// Raw CRL or index file.
    pub kind: SourceKind,
}

/// The result of [`Verifier::verify`](super::Verifier::verify).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The leaf's serial, when it could be parsed.
    pub serial: Option<Serial>,
    /// The leaf's subject DN as text, when it could be parsed.
    pub subject: Option<String>,
    /// The leaf's notAfter, when it could be parsed (a login answer tells
    /// the relying party how long the certificate it accepted lives).
    pub not_after: Option<Timestamp>,
    /// The answer.
    pub status: Status,
    /// The path the answer is about, leaf first (empty when none was found).
    pub path: Vec<PathCert>,
    /// CRLs / indexes consulted.
    pub revocation_sources: Vec<RevocationSource>,
}
