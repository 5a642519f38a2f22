//! `openssl verify` with CRL checks, as an oracle for path and revocation
//! verdicts.

use std::path::Path;

use crate::{path_str, try_openssl};

/// A verdict, coarsely: what both kakunin and `openssl verify` can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A path to a trust anchor, and no certificate on it revoked.
    Valid,
    /// A certificate on the path is revoked.
    Revoked,
    /// A path, but no usable CRL to say whether it is revoked.
    Unknown,
    /// No valid path.
    Invalid,
}

/// `openssl verify -crl_check_all …`'s answer as a [`Kind`]: `OK` is
/// valid, "certificate revoked" revoked, a missing, expired, not yet
/// valid or out-of-scope CRL unknown, anything else invalid.
pub fn openssl_kind(success: bool, text: &str) -> Kind {
    if success && text.contains(": OK") {
        Kind::Valid
    } else if text.contains("certificate revoked") {
        Kind::Revoked
    } else if text.contains("unable to get certificate CRL")
        || text.contains("CRL has expired")
        || text.contains("CRL is not yet valid")
        || text.contains("different CRL scope")
    {
        Kind::Unknown
    } else {
        Kind::Invalid
    }
}

/// `openssl verify -crl_check_all -CAfile TRUST [-untrusted UNTRUSTED]
/// [-CRLfile CRLS] FLAGS -attime AT LEAF` (PEM bundles; `at` in Unix
/// seconds): (success, output).
pub fn openssl_verify(
    trust: &Path,
    untrusted: Option<&Path>,
    crls: Option<&Path>,
    flags: &[&str],
    at: i64,
    leaf: &Path,
) -> (bool, String) {
    let at = at.to_string();
    let mut args = vec!["verify", "-crl_check_all", "-CAfile", path_str(trust)];
    if let Some(u) = untrusted {
        args.extend(["-untrusted", path_str(u)]);
    }
    if let Some(c) = crls {
        args.extend(["-CRLfile", path_str(c)]);
    }
    args.extend(flags);
    args.extend(["-attime", &at, path_str(leaf)]);
    try_openssl(&args)
}
