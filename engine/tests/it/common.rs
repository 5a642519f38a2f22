//! Helpers of the engine's integration tests that need the engine (the
//! rest is in `kakunin_testkit`).

use std::path::Path;

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::crl::Crl;
use kakunin_engine::index::IndexBytes;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::{CaCert, Timestamp};
use kakunin_testkit::der::{ext, tlv};
use kakunin_testkit::{cat, der_of, openssl_verify, Kind};

/// Our verdict as a [`Kind`].
pub(crate) fn kind_of(status: &Status) -> Kind {
    match status {
        Status::Valid => Kind::Valid,
        Status::Revoked { .. } => Kind::Revoked,
        Status::Unknown { .. } => Kind::Unknown,
        Status::Invalid { .. } => Kind::Invalid,
    }
}

/// What a path-and-CRL case is made of (PEM files).
pub(crate) struct Inputs<'a> {
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
    pub(crate) fn openssl_verify(&self, flags: &[&str]) -> (bool, String) {
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
    pub(crate) fn raw_and_indexed(&self) -> (VerifierBuilder, VerifierBuilder) {
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
                .index(SerialIndex::from_bytes(IndexBytes::from(data)).unwrap())
                .unwrap();
        }
        (raw, indexed)
    }
}

// --- DER for the CRLs `openssl ca` cannot make (over kakunin_testkit::der) --

/// GeneralizedTime `YYYYMMDDHHMMSSZ` for a Unix time (years 0000–9999).
pub(crate) fn generalized_time(t: i64) -> Vec<u8> {
    let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap();
    let text = format!(
        "{:04}{:02}{:02}{:02}{:02}{:02}Z",
        d.year(),
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    );
    tlv(0x18, text.as_bytes())
}

/// A CRL time as RFC 5280 §5.1.2.4 wants it: UTCTime for 1950 through
/// 2049, GeneralizedTime otherwise.
pub(crate) fn x509_time(t: i64) -> Vec<u8> {
    let year = time::OffsetDateTime::from_unix_timestamp(t).unwrap().year();
    let g = generalized_time(t);
    if (1950..2050).contains(&year) {
        // The same digits without the century.
        tlv(0x17, &g[4..])
    } else {
        g
    }
}

/// OID contents of the CRL entry extensions (RFC 5280 §5.3).
pub(crate) const REASON_CODE: &[u8] = &[0x55, 0x1d, 0x15];
pub(crate) const INVALIDITY_DATE: &[u8] = &[0x55, 0x1d, 0x18];
pub(crate) const CERTIFICATE_ISSUER: &[u8] = &[0x55, 0x1d, 0x1d];

/// One revokedCertificates entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct CrlEntry {
    /// userCertificate, as INTEGER content octets.
    pub serial: Vec<u8>,
    /// revocationDate (Unix seconds), written as [`x509_time`].
    pub revoked_at: i64,
    /// reasonCode.
    pub reason: Option<u8>,
    /// invalidityDate (Unix seconds).
    pub invalidity_date: Option<i64>,
    /// certificateIssuer: a Name's DER, written as the sole directoryName
    /// of a critical extension.
    pub certificate_issuer: Option<Vec<u8>>,
}

impl CrlEntry {
    /// The entry's DER; its extensions, when it has any, in the order
    /// reasonCode, invalidityDate, certificateIssuer.
    pub(crate) fn der(&self) -> Vec<u8> {
        let mut e = tlv(0x02, &self.serial);
        e.extend(x509_time(self.revoked_at));
        let mut exts = Vec::new();
        if let Some(r) = self.reason {
            exts.extend(ext(REASON_CODE, false, tlv(0x0a, &[r])));
        }
        if let Some(t) = self.invalidity_date {
            exts.extend(ext(INVALIDITY_DATE, false, generalized_time(t)));
        }
        if let Some(name) = &self.certificate_issuer {
            exts.extend(ext(CERTIFICATE_ISSUER, true, tlv(0x30, &tlv(0xa4, name))));
        }
        if !exts.is_empty() {
            e.extend(tlv(0x30, &exts));
        }
        tlv(0x30, &e)
    }
}

/// A tbsCertList (RFC 5280 §5.1.2) from its fields.
pub(crate) struct CrlTbs<'a> {
    /// v2 (version INTEGER 1) or v1 (version absent).
    pub v2: bool,
    /// The signature AlgorithmIdentifier's DER.
    pub alg: &'a [u8],
    /// The issuer Name's DER.
    pub issuer: &'a [u8],
    pub this_update: i64,
    pub next_update: i64,
    /// `None`: revokedCertificates absent; `Some(&[])`: present and empty.
    pub entries: Option<&'a [CrlEntry]>,
    /// Whole Extension TLVs of crlExtensions; none: the field is absent.
    pub exts: &'a [Vec<u8>],
}

impl CrlTbs<'_> {
    pub(crate) fn der(&self) -> Vec<u8> {
        let mut tbs = Vec::new();
        if self.v2 {
            tbs.extend([0x02, 0x01, 0x01]);
        }
        tbs.extend(self.alg);
        tbs.extend(self.issuer);
        tbs.extend(x509_time(self.this_update));
        tbs.extend(x509_time(self.next_update));
        if let Some(entries) = self.entries {
            let list: Vec<u8> = entries.iter().flat_map(CrlEntry::der).collect();
            tbs.extend(tlv(0x30, &list));
        }
        if !self.exts.is_empty() {
            tbs.extend(tlv(0xa0, &tlv(0x30, &self.exts.concat())));
        }
        tlv(0x30, &tbs)
    }

    /// The CertificateList: this tbsCertList signed by `sign`.
    pub(crate) fn signed(&self, sign: impl FnOnce(&[u8]) -> Vec<u8>) -> Vec<u8> {
        let tbs = self.der();
        let mut bits = vec![0];
        bits.extend(sign(&tbs));
        tlv(0x30, &[tbs, self.alg.to_vec(), tlv(0x03, &bits)].concat())
    }
}
