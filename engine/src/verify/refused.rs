//! Sources the builder refused. A batch of a million certificates must
//! not be thrown away because one of twenty CRLs is damaged: a CRL, index
//! or CA certificate that fails its checks is set aside with the exact
//! reason, never used, and named in the verdicts that depended on it
//! (which come out `unknown` or `invalid`, never `valid`).

use std::fmt;

use crate::name::names_match;

/// What a refused source was given as.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SourceRole {
    /// A trust anchor (`--trust`).
    TrustAnchor,
    /// An intermediate CA certificate (`--intermediate`).
    Intermediate,
    /// A raw CRL (`--crl`).
    Crl,
    /// An index file (`--index`).
    Index,
}

impl SourceRole {
    /// `trust anchor`, `intermediate`, `CRL` or `index`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceRole::TrustAnchor => "trust anchor",
            SourceRole::Intermediate => "intermediate",
            SourceRole::Crl => "CRL",
            SourceRole::Index => "index",
        }
    }
}

/// A source the builder refused: reported once, never used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refused {
    /// What it was given as.
    pub role: SourceRole,
    /// The caller's name for it (a file name), or `CRL #n` and the like.
    pub label: String,
    /// Why, exactly.
    pub reason: String,
    /// Whose it is, when that could be read: a CRL's issuer DN, a CA
    /// certificate's subject DN.
    pub(super) name: Option<Vec<u8>>,
    /// A CA certificate's key identifier, or an index's issuer
    /// SubjectPublicKeyInfo SHA-256.
    pub(super) key: Option<Vec<u8>>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}: {}", self.role.as_str(), self.label, self.reason)
    }
}

impl Refused {
    pub(super) fn new(role: SourceRole, label: &str, reason: impl Into<String>) -> Refused {
        Refused {
            role,
            label: label.to_string(),
            reason: reason.into(),
            name: None,
            key: None,
        }
    }

    pub(super) fn named(mut self, name: Option<&[u8]>) -> Refused {
        self.name = name.map(<[u8]>::to_vec);
        self
    }

    pub(super) fn keyed(mut self, key: Option<&[u8]>) -> Refused {
        self.key = key.map(<[u8]>::to_vec);
        self
    }

    /// Could this be revocation data of the CA with subject `subject` and
    /// SubjectPublicKeyInfo SHA-256 `spki_sha256`? A CRL matches by issuer
    /// name (or when its name could not be read), an index by key.
    pub(super) fn may_speak_for(&self, subject: &[u8], spki_sha256: &[u8; 32]) -> bool {
        match self.role {
            SourceRole::Crl => self.name.as_deref().is_none_or(|n| names_match(n, subject)),
            SourceRole::Index => self.key.as_deref() == Some(spki_sha256.as_slice()),
            _ => false,
        }
    }

    /// Could this be the issuer of a certificate with issuer DN `issuer`
    /// and authorityKeyIdentifier `aki`? Unreadable CA certificates could
    /// be anyone's.
    pub(super) fn may_issue(&self, issuer: &[u8], aki: Option<&[u8]>) -> bool {
        if !matches!(
            self.role,
            SourceRole::TrustAnchor | SourceRole::Intermediate
        ) {
            return false;
        }
        let by_key = aki.is_some_and(|a| self.key.as_deref() == Some(a));
        let by_name = self.name.as_deref().is_none_or(|n| names_match(n, issuer));
        by_key || by_name
    }
}

/// `detail`, followed by the refused sources it may owe its answer to.
pub(super) fn with_refused<'a>(
    detail: String,
    refused: impl Iterator<Item = &'a Refused>,
) -> String {
    let mut out = detail;
    for r in refused {
        out.push_str("; refused ");
        out.push_str(&r.to_string());
    }
    out
}
