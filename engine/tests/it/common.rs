//! Helpers of the engine's integration tests that need the engine (the
//! rest is in `kakunin_testkit`).

use std::path::Path;

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::store::IndexBytes;
use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::{CaCert, Crl, Timestamp};
use kakunin_testkit::{cat, der_of, openssl_verify, Kind};

/// Our verdict as a [`Kind`].
pub fn kind_of(status: &Status) -> Kind {
    match status {
        Status::Valid => Kind::Valid,
        Status::Revoked { .. } => Kind::Revoked,
        Status::Unknown { .. } => Kind::Unknown,
        Status::Invalid { .. } => Kind::Invalid,
    }
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
        openssl_verify(
            &trust,
            (!self.untrusted.is_empty()).then_some(untrusted.as_path()),
            (!self.crls.is_empty()).then_some(crls.as_path()),
            flags,
            self.at.unix(),
            self.leaf,
        )
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
