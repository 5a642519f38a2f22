//! The one error type of the generator.

use std::path::PathBuf;

/// A boxed error from a key library (`rsa`, `pkcs8`, `ring`): kept opaque
/// so that their versions are not part of this crate's API.
type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Why [`generate`](crate::generate) made no PKI, or only part of one.
///
/// The first variants are about [`Options`](crate::Options) and name the
/// setting to change; the file variants carry the path and the I/O error;
/// the key and `Internal` variants do not happen with a sound build and
/// are there so that a bug is reported rather than a panic.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GenError {
    /// A setting is outside the range the generator supports.
    #[error("{option} {value} is outside {min}..={max}")]
    OutOfRange {
        /// The setting (`certs`, `revoked`, `crl_days`).
        option: &'static str,
        /// What it was set to.
        value: u64,
        /// The smallest value allowed.
        min: u64,
        /// The largest value allowed.
        max: u64,
    },
    /// More holders than certificates: holders are the first certificates
    /// of each bundle.
    #[error(
        "holders {holders} is more than certs {certs}: holders are the first certificates \
         of each bundle; lower holders or raise certs"
    )]
    TooManyHolders {
        /// Holders asked for.
        holders: u64,
        /// Certificates per bundle.
        certs: u64,
    },
    /// Each CRL must list at least the bundle's revoked certificates (12%
    /// of `certs`, and at least one when there is a holder).
    #[error(
        "revoked {revoked} is smaller than the {needed} revoked certificates that certs {certs} \
         puts in each bundle (12%); raise revoked to at least {needed} or lower certs"
    )]
    TooFewRevoked {
        /// Entries asked for on each CRL.
        revoked: u64,
        /// Revoked certificates each bundle holds.
        needed: u64,
        /// Certificates per bundle.
        certs: u64,
    },
    /// The output directory (or a holder's directory) could not be made.
    #[error("creating {}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// An output file could not be written.
    #[error("writing {}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// Why not.
        #[source]
        source: std::io::Error,
    },
    /// `rsa` could not generate a key.
    #[error("generating RSA key {label}")]
    KeyGeneration {
        /// The key's name (`sign-ca`, `holder-1-auth`, …).
        label: String,
        /// The `rsa` error.
        #[source]
        source: BoxError,
    },
    /// A generated key could not be encoded as PKCS#8.
    #[error("encoding key {label} as PKCS#8")]
    KeyEncoding {
        /// The key's name.
        label: String,
        /// The encoder's error.
        #[source]
        source: BoxError,
    },
    /// `ring` refused a generated key for signing.
    #[error("ring rejected generated key {label}")]
    KeyRejected {
        /// The key's name.
        label: String,
        /// Why `ring` refused it.
        #[source]
        source: BoxError,
    },
    /// `ring` failed to sign.
    #[error("RSA signing failed")]
    Signing,
    /// A broken invariant of the generator itself: a bug.
    #[error("internal: {0}")]
    Internal(String),
}
