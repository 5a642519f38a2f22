//! Why a verifier could not be built.

/// Why a verifier could not be built. Configuration errors, never about
/// a certificate being checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// `build` without any trust anchor.
    #[error("no trust anchor configured: add at least one CA certificate to trust (--trust)")]
    NoTrustAnchor,
    /// Every trust anchor given was refused.
    #[error("no usable trust anchor: every CA certificate to trust was refused: {refused}")]
    NoUsableTrustAnchor {
        /// The refusals.
        refused: String,
    },
    /// A CA certificate could not be parsed.
    #[error("{role} certificate: {source}")]
    CaCert {
        /// "trust anchor" or "intermediate".
        role: &'static str,
        /// The parse failure.
        source: crate::ca::CaError,
    },
    /// A CA certificate fails our own (stricter) reader.
    #[error("{role} certificate {subject}: {detail}")]
    CaProfile {
        /// "trust anchor" or "intermediate".
        role: &'static str,
        /// Subject, for the message.
        subject: String,
        /// What is wrong.
        detail: String,
    },
    /// A CRL is not PEM or DER, or malformed.
    #[error("CRL #{n}: {source}")]
    Crl {
        /// 1-based position among the CRLs given.
        n: usize,
        /// The failure.
        source: crate::crl::CrlError,
    },
}
