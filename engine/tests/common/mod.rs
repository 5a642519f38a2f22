//! Helpers shared by the engine's integration tests (each test file that
//! needs them says `mod common;`; not every file uses every helper).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

use kakunin_engine::verify::Status;

/// `x509/<sub>` of the PyPI package `cryptography-vectors`, when it is
/// installed and has that directory.
pub fn cryptography_vectors(sub: &str) -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import cryptography_vectors,os;print(os.path.dirname(cryptography_vectors.__file__))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim())
        .join("x509")
        .join(sub);
    dir.is_dir().then_some(dir)
}

/// A verdict, coarsely: what both we and `openssl verify` can say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Valid,
    Revoked,
    Unknown,
    Invalid,
}

/// Our verdict as a [`Kind`].
pub fn kind_of(status: &Status) -> Kind {
    match status {
        Status::Valid => Kind::Valid,
        Status::Revoked { .. } => Kind::Revoked,
        Status::Unknown { .. } => Kind::Unknown,
        Status::Invalid { .. } => Kind::Invalid,
    }
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
