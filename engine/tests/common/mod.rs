//! Helpers shared by the engine's integration tests (each test file that
//! needs them says `mod common;`; not every file uses every helper).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::store::IndexBytes;
use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::{CaCert, Crl, Timestamp};

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

/// Runs `openssl ARGS`: (success, stdout and stderr).
pub fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// Runs `openssl ARGS`, which must succeed.
pub fn ok(args: &[&str]) {
    let (success, text) = run(args);
    assert!(success, "openssl {args:?} failed: {text}");
}

/// A path as an argument.
pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A PEM certificate file as DER.
pub fn der_of(cert: &Path) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(["x509", "-outform", "DER", "-in", s(cert)])
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

/// Concatenates `files` into `dir/name` (a PEM bundle).
pub fn cat(dir: &Path, name: &str, files: &[&Path]) -> PathBuf {
    let out = dir.join(name);
    let mut all = Vec::new();
    for f in files {
        all.extend(std::fs::read(f).unwrap());
    }
    std::fs::write(&out, all).unwrap();
    out
}

/// What a path-and-CRL case is made of (PEM files).
pub struct Inputs<'a> {
    /// Names files made for the case (bundles, indexes) in `dir`.
    pub name: &'a str,
    pub dir: &'a Path,
    pub trust: &'a [&'a Path],
    pub untrusted: &'a [&'a Path],
    pub crls: &'a [&'a Path],
    pub leaf: &'a Path,
    pub at: Timestamp,
}

impl Inputs<'_> {
    /// `openssl verify -crl_check_all -CAfile … [-untrusted …] [-CRLfile …]
    /// FLAGS -attime AT LEAF`: (success, output).
    pub fn openssl_verify(&self, flags: &[&str]) -> (bool, String) {
        let trust = cat(self.dir, "trust.pem", self.trust);
        let crls = cat(self.dir, "crls.pem", self.crls);
        let untrusted = cat(self.dir, "untrusted.pem", self.untrusted);
        let at = self.at.unix().to_string();
        let mut args = vec!["verify", "-crl_check_all", "-CAfile", s(&trust)];
        if !self.untrusted.is_empty() {
            args.extend(["-untrusted", s(&untrusted)]);
        }
        if !self.crls.is_empty() {
            args.extend(["-CRLfile", s(&crls)]);
        }
        args.extend(flags);
        args.extend(["-attime", &at, s(self.leaf)]);
        run(&args)
    }

    /// Two builders over the same anchors and intermediates: one given the
    /// CRLs raw, one given the indexes `ingest` writes of them (each CRL
    /// ingested against whichever of the case's CAs issued it; each index
    /// opened from its file before it is used).
    pub fn raw_and_indexed(&self) -> (VerifierBuilder, VerifierBuilder) {
        let cas: Vec<CaCert> = self
            .trust
            .iter()
            .chain(self.untrusted)
            .map(|p| CaCert::from_der(&der_of(p)).unwrap())
            .collect();
        let mut raw = VerifierBuilder::new();
        let mut indexed = VerifierBuilder::new();
        for t in self.trust {
            raw.trust_anchor_der(&der_of(t)).unwrap();
            indexed.trust_anchor_der(&der_of(t)).unwrap();
        }
        for t in self.untrusted {
            raw.intermediate_der(&der_of(t)).unwrap();
            indexed.intermediate_der(&der_of(t)).unwrap();
        }
        for (i, c) in self.crls.iter().enumerate() {
            let bytes = std::fs::read(c).unwrap();
            raw.crl_der(&bytes).unwrap();
            let der = der_from_pem_or_der(&bytes).unwrap();
            let opts = IngestOptions {
                now: Crl::parse(&der).unwrap().this_update(),
                max_clock_skew: 0,
            };
            let out = self.dir.join(format!("{}-{i}.idx", self.name));
            let made = cas
                .iter()
                .any(|ca| ingest(&bytes, ca, &out, &opts, &|_, _| {}).is_ok());
            assert!(made, "{}: no CA ingests CRL {i}", self.name);
            let map = SerialIndex::open(&out).unwrap();
            let data = std::fs::read(&out).unwrap();
            drop(map);
            indexed
                .index(SerialIndex::from_bytes(IndexBytes::Owned(data)).unwrap())
                .unwrap();
        }
        (raw, indexed)
    }
}
