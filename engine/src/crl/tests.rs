//! Unit tests for the CRL parser. CRLs are built with a tiny test-only DER
//! writer ([`kakunin_testkit::der`]) and signed with ring using an RSA key
//! made by `openssl genpkey`, so every rule can be hit with exactly one
//! thing wrong.

use super::*;
use crate::ca::tests::openssl_ca;
use crate::oid;
use crate::reason::{ReasonFlags, RevocationReason};
use crate::serial::{Serial, SerialError};
use crate::time::parse_time;
use kakunin_testkit::der::{ext, seq, tlv};
use proptest::prelude::*;
use std::sync::OnceLock;

// --- DER pieces over the test-only writer (kakunin_testkit::der) -------------

pub(crate) fn utc(s: &str) -> Vec<u8> {
    tlv(tag::UTC_TIME, s.as_bytes())
}

pub(crate) fn gen(s: &str) -> Vec<u8> {
    tlv(tag::GENERALIZED_TIME, s.as_bytes())
}

pub(crate) fn reason_ext(code: u8) -> Vec<u8> {
    ext(oid::REASON_CODE, false, tlv(tag::ENUMERATED, &[code]))
}

pub(crate) fn entry(serial: &[u8], time: Vec<u8>, exts: Option<Vec<Vec<u8>>>) -> Vec<u8> {
    let mut parts = vec![tlv(tag::INTEGER, serial), time];
    if let Some(e) = exts {
        parts.push(seq(&e));
    }
    seq(&parts)
}

/// sha256WithRSAEncryption AlgorithmIdentifier with NULL params.
pub(crate) fn rsa_sha256_alg() -> Vec<u8> {
    seq(&[
        tlv(
            tag::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
        ),
        vec![5, 0],
    ])
}

/// Every piece of a CRL, as raw TLVs, so a test can break exactly one.
#[derive(Clone)]
pub(crate) struct Spec {
    pub version: Option<Vec<u8>>,
    pub alg: Vec<u8>,
    pub outer_alg: Option<Vec<u8>>,
    pub issuer: Vec<u8>,
    pub this: Vec<u8>,
    pub next: Option<Vec<u8>>,
    pub entries: Option<Vec<Vec<u8>>>,
    pub exts: Option<Vec<Vec<u8>>>,
    pub tbs_extra: Vec<u8>,
}

/// The extensions every v2 CRL must carry (§5.2.1, §5.2.3): an AKI with
/// `key_id` and cRLNumber 7.
pub(crate) fn required_exts(key_id: &[u8]) -> Vec<Vec<u8>> {
    vec![
        ext(oid::AKI, false, seq(&[tlv(0x80, key_id)])),
        ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &[7])),
    ]
}

impl Spec {
    /// A conforming v2 CRL of `issuer`, its AKI naming the fixture CA's
    /// key.
    pub(super) fn new(issuer: &[u8]) -> Spec {
        Spec {
            version: Some(tlv(tag::INTEGER, &[1])),
            alg: rsa_sha256_alg(),
            outer_alg: None,
            issuer: issuer.to_vec(),
            this: utc("260101000000Z"),
            next: Some(utc("260201000000Z")),
            entries: Some(vec![
                entry(&[0x01], utc("251231235959Z"), Some(vec![reason_ext(1)])),
                entry(&[0x00, 0x80], utc("251230120000Z"), None),
            ]),
            exts: Some(required_exts(fixture().0.key_id().as_bytes())),
            tbs_extra: vec![],
        }
    }

    pub(super) fn tbs(&self) -> Vec<u8> {
        let mut p = vec![];
        if let Some(v) = &self.version {
            p.push(v.clone());
        }
        p.push(self.alg.clone());
        p.push(self.issuer.clone());
        p.push(self.this.clone());
        if let Some(n) = &self.next {
            p.push(n.clone());
        }
        if let Some(e) = &self.entries {
            p.push(seq(e));
        }
        if let Some(x) = &self.exts {
            p.push(tlv(tag::context_constructed(0), &seq(x)));
        }
        p.push(self.tbs_extra.clone());
        seq(&p)
    }

    pub(super) fn build_with(&self, key: &ring::signature::RsaKeyPair) -> Vec<u8> {
        let tbs = self.tbs();
        let mut sig = vec![0u8; key.public().modulus_len()];
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &ring::rand::SystemRandom::new(),
            &tbs,
            &mut sig,
        )
        .unwrap();
        let mut bits = vec![0u8];
        bits.extend_from_slice(&sig);
        seq(&[
            tbs,
            self.outer_alg.clone().unwrap_or_else(|| self.alg.clone()),
            tlv(tag::BIT_STRING, &bits),
        ])
    }

    pub(super) fn build(&self) -> Vec<u8> {
        self.build_with(&fixture().1)
    }
}

pub(crate) fn fixture() -> &'static (CaCert, ring::signature::RsaKeyPair) {
    static F: OnceLock<(CaCert, ring::signature::RsaKeyPair)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (cert, p8) = openssl_ca(
            dir.path(),
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &[],
        );
        let ca = CaCert::from_der(&cert).unwrap();
        let key = ring::signature::RsaKeyPair::from_pkcs8(&p8).unwrap();
        (ca, key)
    })
}

fn spec() -> Spec {
    Spec::new(fixture().0.subject_der())
}

fn err(der: &[u8]) -> CrlError {
    match Crl::parse(der) {
        Ok(c) => match c.entries().find_map(|e| e.err()) {
            Some(e) => e,
            None => panic!("expected an error"),
        },
        Err(e) => e,
    }
}

fn err_of(s: &Spec) -> CrlError {
    err(&s.build())
}

// --- the happy path ---------------------------------------------------------

#[test]
fn valid_crl_parses_checks_and_verifies() {
    let (ca, _) = fixture();
    let der = spec().build();
    let crl = Crl::parse(&der).unwrap();
    crl.check_issued_by(ca).unwrap();
    crl.verify_signature(ca).unwrap();
    assert_eq!(
        crl.signature_algorithm(),
        SignatureAlgorithm::RsaPkcs1Sha256
    );
    assert_eq!(
        crl.signature_algorithm().to_string(),
        "sha256WithRSAEncryption (1.2.840.113549.1.1.11)"
    );
    assert_eq!(
        crl.this_update(),
        Timestamp::from_utc_fields(2026, 1, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        crl.next_update(),
        Timestamp::from_utc_fields(2026, 2, 1, 0, 0, 0)
    );
    assert_eq!(crl.number(), Some(CrlNumber::from_u64(7)));
    assert_eq!(crl.delta_base(), None);
    assert_eq!(crl.scope(), &CrlScope::default());
    assert_eq!(crl.issuer_der(), ca.subject_der());
    let entries: Vec<_> = crl.entries().collect::<Result<_, _>>().unwrap();
    assert_eq!(
        entries,
        vec![
            RevokedEntry {
                serial: Serial::from_u64(1),
                revoked_at: Timestamp::from_utc_fields(2025, 12, 31, 23, 59, 59).unwrap(),
                reason: Some(RevocationReason::KeyCompromise),
                invalidity_date: None,
            },
            RevokedEntry {
                serial: Serial::from_u64(0x80),
                revoked_at: Timestamp::from_utc_fields(2025, 12, 30, 12, 0, 0).unwrap(),
                reason: None,
                invalidity_date: None,
            },
        ]
    );
    let mut it = crl.entries();
    assert_eq!(it.offset(), 0);
    it.next();
    assert!(it.offset() > 0);
    it.by_ref().for_each(drop);
    assert_eq!(it.offset(), crl.entries_len_bytes());
    // A tbs byte flipped breaks the signature, not the parse.
    let mut bad = der.clone();
    let pos = der.windows(13).position(|w| w == b"260201000000Z").unwrap();
    bad[pos + 1] = b'7';
    let crl = Crl::parse(&bad).unwrap();
    assert!(matches!(
        crl.verify_signature(ca),
        Err(CrlError::BadSignature(_))
    ));
    let msg = crl.verify_signature(ca).unwrap_err().to_string();
    assert!(
        msg.contains("does not verify with the key of") && msg.contains("Test CA"),
        "{msg}"
    );
}

#[test]
fn pem_and_der_input() {
    let der = spec().build();
    assert!(matches!(
        der_from_pem_or_der(&der).unwrap(),
        Cow::Borrowed(_)
    ));
    let pem = format!(
        "-----BEGIN X509 CRL-----\n{}\n-----END X509 CRL-----\n",
        crate::ca::tests::base64_lines(&der)
    );
    assert_eq!(
        der_from_pem_or_der(pem.as_bytes()).unwrap().as_ref(),
        &der[..]
    );
    assert!(matches!(
        der_from_pem_or_der(b"hello world"),
        Err(CrlError::NotPemOrDer(_))
    ));
    let cert_pem = pem.replace("X509 CRL", "CERTIFICATE");
    assert!(matches!(
        der_from_pem_or_der(cert_pem.as_bytes()),
        Err(CrlError::NotPemOrDer(_))
    ));
    assert!(der_from_pem_or_der(b"").is_err());
}

#[test]
fn v1_crl_without_extensions_is_fine() {
    let mut s = spec();
    s.version = None;
    s.exts = None;
    s.entries = Some(vec![entry(&[0x05], utc("250101000000Z"), None)]);
    let der = s.build();
    let crl = Crl::parse(&der).unwrap();
    assert!(!crl.is_v2());
    assert_eq!(crl.entries().count(), 1);
    crl.verify_signature(&fixture().0).unwrap();
}

#[test]
fn empty_crl_without_next_update() {
    let mut s = spec();
    s.entries = None;
    s.next = None;
    let der = s.build();
    let crl = Crl::parse(&der).unwrap();
    assert_eq!(crl.entries().count(), 0);
    assert_eq!(crl.entries_len_bytes(), 0);
    assert_eq!(crl.next_update(), None);
}

// --- structure ----------------------------------------------------------------

#[test]
fn structure_rules() {
    let der = spec().build();
    let mut trailing = der.clone();
    trailing.extend_from_slice(&[0, 0]);
    assert!(matches!(err(&trailing), CrlError::TrailingGarbage(2)));

    // Something extra inside the CertificateList after signatureValue.
    let mut r = Reader::new(&der);
    let outer = r.read(tag::SEQUENCE).unwrap();
    let mut inner = outer.value.to_vec();
    inner.extend_from_slice(&[5, 0]);
    let e = err(&tlv(tag::SEQUENCE, &inner));
    assert!(
        matches!(
            e,
            CrlError::ExtraData {
                within: "CertificateList",
                len: 2
            }
        ),
        "{e}"
    );

    let mut s = spec();
    s.tbs_extra = vec![5, 0];
    assert!(matches!(
        err_of(&s),
        CrlError::ExtraData {
            within: "tbsCertList",
            ..
        }
    ));

    // Unused bits in the signature BIT STRING.
    let sig_at = outer.value.len() - 257;
    let mut inner = outer.value.to_vec();
    assert_eq!(inner[sig_at], 0); // unused-bits octet before 256 bytes
    inner[sig_at] = 1;
    inner[outer.value.len() - 1] &= 0xFE;
    assert!(matches!(
        err(&tlv(tag::SEQUENCE, &inner)),
        CrlError::SignatureUnusedBits(1)
    ));

    assert!(matches!(
        err(&[0x31, 0x00]),
        CrlError::Malformed {
            field: "CertificateList",
            ..
        }
    ));
    assert!(matches!(
        err(&[]),
        CrlError::Truncated {
            field: "CertificateList"
        }
    ));
}

#[test]
fn truncation_names_the_field() {
    let der = spec().build();
    let cut = |n: usize| err(&der[..n]);
    // Every prefix is an error (and no panic).
    for n in 0..der.len() {
        let e = cut(n);
        assert!(
            matches!(e, CrlError::Truncated { .. } | CrlError::Malformed { .. }),
            "prefix {n}: {e}"
        );
    }
    let this_at = der.windows(13).position(|w| w == b"260101000000Z").unwrap();
    assert!(matches!(
        cut(this_at + 5),
        CrlError::Truncated {
            field: "thisUpdate"
        }
    ));
    assert!(matches!(
        cut(der.len() - 10),
        CrlError::Truncated {
            field: "signatureValue"
        }
    ));
    let e = cut(this_at + 40);
    assert!(
        matches!(
            e,
            CrlError::Truncated {
                field: "revokedCertificates"
            }
        ),
        "{e}"
    );
    assert!(cut(this_at + 40).to_string().contains("truncated"));
}

#[test]
fn version_rules() {
    let mut s = spec();
    s.version = Some(tlv(tag::INTEGER, &[2]));
    assert!(matches!(err_of(&s), CrlError::BadVersion(_)));
    s.version = Some(tlv(tag::INTEGER, &[0]));
    assert!(matches!(err_of(&s), CrlError::BadVersion(_)));
    assert!(err_of(&s).to_string().contains("§5.1.2.1"));
    let mut s = spec();
    s.version = None;
    assert!(matches!(err_of(&s), CrlError::ExtensionsInV1));
    s.exts = None;
    assert!(matches!(
        err_of(&s),
        CrlError::EntryExtensionsInV1 { index: 0 }
    ));
}

#[test]
fn signature_algorithm_rules() {
    let mut s = spec();
    s.outer_alg = Some(seq(&[tlv(
        tag::OID,
        &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
    )]));
    let e = err_of(&s);
    assert!(matches!(e, CrlError::SignatureAlgorithmMismatch), "{e}");
    assert!(e.to_string().contains("§5.1.1.2"));

    let sha1 = seq(&[
        tlv(
            tag::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x05],
        ),
        vec![5, 0],
    ]);
    let mut s = spec();
    s.alg = sha1;
    match err_of(&s) {
        CrlError::UnsupportedSignatureAlgorithm { oid } => assert_eq!(oid, "1.2.840.113549.1.1.5"),
        e => panic!("{e}"),
    }
    let mut s = spec();
    s.alg = seq(&[
        tlv(
            tag::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
        ),
        vec![4, 0],
    ]);
    assert!(matches!(
        err_of(&s),
        CrlError::BadAlgorithmParameters { .. }
    ));
    // ECDSA claimed, RSA key: mismatch at check time.
    let mut s = spec();
    s.alg = seq(&[tlv(tag::OID, oid::ECDSA_SHA256)]);
    let der = s.build();
    let crl = Crl::parse(&der).unwrap();
    assert_eq!(crl.signature_algorithm(), SignatureAlgorithm::EcdsaSha256);
    assert!(matches!(
        crl.check_issued_by(&fixture().0),
        Err(CrlError::AlgorithmKeyMismatch { .. })
    ));
    assert!(matches!(
        crl.verify_signature(&fixture().0),
        Err(CrlError::AlgorithmKeyMismatch { .. })
    ));
}

fn pss_alg(hash: &[u8], mgf_hash: &[u8], salt: u8, trailer: Option<u8>) -> Vec<u8> {
    let h = |o: &[u8]| seq(&[tlv(tag::OID, o)]);
    let mut p = vec![
        tlv(0xA0, &h(hash)),
        tlv(0xA1, &seq(&[tlv(tag::OID, oid::MGF1), h(mgf_hash)])),
        tlv(0xA2, &tlv(tag::INTEGER, &[salt])),
    ];
    if let Some(t) = trailer {
        p.push(tlv(0xA3, &tlv(tag::INTEGER, &[t])));
    }
    seq(&[
        tlv(
            tag::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A],
        ),
        seq(&p),
    ])
}

#[test]
fn pss_parameters() {
    let ok = pss_alg(oid::SHA384, oid::SHA384, 48, Some(1));
    let mut r = Reader::new(&ok);
    let v = r.read(tag::SEQUENCE).unwrap().value;
    assert_eq!(
        crate::sigalg::parse(v).unwrap(),
        SignatureAlgorithm::RsaPssSha384
    );
    for bad in [
        pss_alg(oid::SHA256, oid::SHA384, 32, None),
        pss_alg(oid::SHA256, oid::SHA256, 20, None),
        pss_alg(oid::SHA256, oid::SHA256, 32, Some(2)),
    ] {
        let v = Reader::new(&bad).read(tag::SEQUENCE).unwrap().value;
        assert!(matches!(
            crate::sigalg::parse(v),
            Err(crate::sigalg::AlgorithmError::BadParameters { .. })
        ));
    }
    // Default (SHA-1) parameters.
    let d = seq(&[
        tlv(
            tag::OID,
            &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0A],
        ),
        seq(&[]),
    ]);
    let v = Reader::new(&d).read(tag::SEQUENCE).unwrap().value;
    assert!(crate::sigalg::parse(v).is_err());
}

#[test]
fn time_syntax() {
    let ok = |t: u8, s: &str| parse_time(t, s.as_bytes());
    assert_eq!(
        ok(tag::UTC_TIME, "500101000000Z").unwrap(),
        Timestamp::from_utc_fields(1950, 1, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        ok(tag::UTC_TIME, "491231235959Z").unwrap(),
        Timestamp::from_utc_fields(2049, 12, 31, 23, 59, 59).unwrap()
    );
    assert_eq!(
        ok(tag::GENERALIZED_TIME, "20500101000000Z").unwrap(),
        Timestamp::from_utc_fields(2050, 1, 1, 0, 0, 0).unwrap()
    );
    assert_eq!(
        ok(tag::UTC_TIME, "240229120000Z").unwrap(),
        Timestamp::from_utc_fields(2024, 2, 29, 12, 0, 0).unwrap()
    );
    for (t, s) in [
        (tag::UTC_TIME, "2601010000Z"),               // no seconds
        (tag::UTC_TIME, "260101000000"),              // no Z
        (tag::UTC_TIME, "260101000000+0900"),         // offset
        (tag::UTC_TIME, "250229000000Z"),             // not a leap year
        (tag::UTC_TIME, "261301000000Z"),             // month 13
        (tag::UTC_TIME, "260101240000Z"),             // hour 24
        (tag::UTC_TIME, "260101000060Z"),             // second 60
        (tag::UTC_TIME, "26010100000aZ"),             // non-digit
        (tag::UTC_TIME, "2601010000-1Z"),             // sign
        (tag::GENERALIZED_TIME, "20260101000000.5Z"), // fraction
        (tag::GENERALIZED_TIME, "260101000000Z"),
        (tag::OCTET_STRING, "260101000000Z"),
    ] {
        assert!(ok(t, s).is_err(), "{s} accepted");
    }
    let mut s = spec();
    s.this = utc("260230000000Z");
    assert!(matches!(
        err_of(&s),
        CrlError::BadTime {
            field: "thisUpdate",
            ..
        }
    ));
    let mut s = spec();
    s.next = Some(utc("260101000000"));
    assert!(matches!(
        err_of(&s),
        CrlError::BadTime {
            field: "nextUpdate",
            ..
        }
    ));
    let mut s = spec();
    s.next = Some(utc("251231000000Z"));
    let e = err_of(&s);
    assert!(
        matches!(e, CrlError::NextUpdateBeforeThisUpdate { .. }),
        "{e}"
    );
    assert!(e.to_string().contains("§5.1.2.5"));
    let mut s = spec();
    s.entries = Some(vec![entry(&[1], utc("2512310000Z"), None)]);
    assert!(matches!(
        err_of(&s),
        CrlError::BadEntryTime {
            index: 0,
            field: "revocationDate",
            ..
        }
    ));
}

// --- CRL extensions -------------------------------------------------------------

/// Whether the Extension TLV `e` has extnID `oid`.
fn is_ext(e: &[u8], oid: &[u8]) -> bool {
    let want = tlv(tag::OID, oid);
    Reader::new(e)
        .read(tag::SEQUENCE)
        .is_ok_and(|x| x.value.starts_with(&want))
}

/// A CRL with `exts`, plus the AKI and cRLNumber of [`required_exts`]
/// unless `exts` has its own (use `s.exts` directly to leave them out).
fn with_exts(mut exts: Vec<Vec<u8>>) -> Spec {
    for r in required_exts(fixture().0.key_id().as_bytes()) {
        let id = if is_ext(&r, oid::AKI) {
            oid::AKI
        } else {
            oid::CRL_NUMBER
        };
        if !exts.iter().any(|e| is_ext(e, id)) {
            exts.push(r);
        }
    }
    let mut s = spec();
    s.exts = Some(exts);
    s
}

#[test]
fn crl_extension_rules() {
    let unknown = [0x2A, 0x03, 0x04];
    let e = err_of(&with_exts(vec![ext(&unknown, true, vec![5, 0])]));
    match &e {
        CrlError::UnknownCriticalExtension { oid } => assert_eq!(oid, "1.2.3.4"),
        e => panic!("{e}"),
    }
    assert!(e.to_string().contains("1.2.3.4") && e.to_string().contains("§5.2"));
    let der = with_exts(vec![ext(&unknown, false, vec![5, 0])]).build();
    Crl::parse(&der).unwrap();
    let n = ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &[1]));
    assert!(matches!(
        err_of(&with_exts(vec![n.clone(), n.clone()])),
        CrlError::DuplicateExtension { .. }
    ));
    let u = ext(&unknown, false, vec![5, 0]);
    assert!(matches!(
        err_of(&with_exts(vec![u.clone(), u])),
        CrlError::DuplicateExtension { .. }
    ));
    // CRL number range.
    let neg = ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &[0xFF]));
    assert!(matches!(
        err_of(&with_exts(vec![neg])),
        CrlError::CrlNumberOutOfRange { .. }
    ));
    let mut big = vec![0x01];
    big.extend([0u8; 20]);
    let big = ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &big));
    assert!(matches!(
        err_of(&with_exts(vec![big])),
        CrlError::CrlNumberOutOfRange { .. }
    ));
    let mut max = vec![0x00];
    max.extend([0xFFu8; 20]);
    let der = with_exts(vec![ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &max))]).build();
    assert_eq!(
        Crl::parse(&der).unwrap().number().unwrap().magnitude(),
        &[0xFF; 20]
    );
    let junk = ext(oid::CRL_NUMBER, false, vec![4, 0]);
    assert!(matches!(
        err_of(&with_exts(vec![junk])),
        CrlError::BadExtension {
            name: "cRLNumber",
            ..
        }
    ));
    // Empty extension list.
    let mut s = spec();
    s.exts = Some(vec![]);
    assert!(matches!(err_of(&s), CrlError::Malformed { .. }));
    // Known non-critical extensions accepted.
    let gn = seq(&[tlv(0x86, b"http://x/")]);
    let der = with_exts(vec![
        ext(oid::IAN, false, gn.clone()),
        ext(
            oid::FRESHEST_CRL,
            false,
            seq(&[seq(&[tlv(0xA0, &tlv(0xA0, &gn[2..]))])]),
        ),
        ext(
            oid::AIA,
            false,
            seq(&[seq(&[
                tlv(tag::OID, &[0x2B, 6, 1, 5, 5, 7, 48, 2]),
                tlv(0x86, b"http://x/"),
            ])]),
        ),
    ])
    .build();
    Crl::parse(&der).unwrap();
}

#[test]
fn delta_and_aki() {
    let (ca, _) = fixture();
    let der = with_exts(vec![
        ext(oid::CRL_NUMBER, false, tlv(tag::INTEGER, &[9])),
        ext(oid::DELTA_CRL_INDICATOR, true, tlv(tag::INTEGER, &[8])),
        ext(oid::AKI, false, seq(&[tlv(0x80, ca.key_id().as_bytes())])),
    ])
    .build();
    let crl = Crl::parse(&der).unwrap();
    assert_eq!(crl.delta_base(), Some(CrlNumber::from_u64(8)));
    assert_eq!(crl.authority_key_id(), Some(ca.key_id().as_bytes()));
    crl.check_issued_by(ca).unwrap();

    let der = with_exts(vec![ext(oid::AKI, false, seq(&[tlv(0x80, &[1, 2, 3])]))]).build();
    let crl = Crl::parse(&der).unwrap();
    let e = crl.check_issued_by(ca).unwrap_err();
    assert!(
        matches!(e, CrlError::AuthorityKeyIdMismatch { .. }) && e.to_string().contains("§5.2.1")
    );
}

#[test]
fn issuer_comparison_rfc5280_7_1() {
    let (ca, _) = fixture();
    // Same name, different string type and case/whitespace: must match.
    let attr = |oid: &[u8], t: u8, v: &str| {
        tlv(tag::SET, &seq(&[tlv(tag::OID, oid), tlv(t, v.as_bytes())]))
    };
    let name = |cn: &str, t: u8| {
        seq(&[
            attr(&[0x55, 4, 6], 0x13, "JP"),
            attr(&[0x55, 4, 10], t, "JPKI"),
            attr(&[0x55, 4, 11], t, "JPKI for digital signature"),
            attr(&[0x55, 4, 3], t, cn),
        ])
    };
    assert_ne!(name("Test CA", 0x13), ca.subject_der()); // OpenSSL uses UTF8String
    let s = Spec::new(&name("  test   ca ", 0x13));
    let der = s.build();
    Crl::parse(&der).unwrap().check_issued_by(ca).unwrap();
    let s = Spec::new(&name("Other CA", 0x0C));
    let der = s.build();
    let e = Crl::parse(&der).unwrap().check_issued_by(ca).unwrap_err();
    assert!(
        matches!(e, CrlError::IssuerMismatch { .. }) && e.to_string().contains("§5.1.2.3"),
        "{e}"
    );
}

#[test]
fn ca_without_crl_sign_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, p8) = openssl_ca(
        dir.path(),
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        &["-addext", "keyUsage=critical,keyCertSign"],
    );
    let ca = CaCert::from_der(&cert).unwrap();
    let key = ring::signature::RsaKeyPair::from_pkcs8(&p8).unwrap();
    let mut s = Spec::new(ca.subject_der());
    s.exts = Some(required_exts(ca.key_id().as_bytes()));
    let der = s.build_with(&key);
    let crl = Crl::parse(&der).unwrap();
    crl.verify_signature(&ca).unwrap();
    let e = crl.check_issued_by(&ca).unwrap_err();
    assert!(matches!(e, CrlError::CaCannotSignCrls(_)) && e.to_string().contains("§4.2.1.3"));
}

#[test]
fn issuing_distribution_point() {
    let t = |n: u8| tlv(0x80 | n, &[0xFF]);
    let idp = |parts: Vec<Vec<u8>>| with_exts(vec![ext(oid::ISSUING_DP, true, seq(&parts))]);
    let der = idp(vec![
        tlv(0xA0, &tlv(0xA0, &tlv(0x86, b"http://x/"))),
        t(1),
        // ReasonFlags keyCompromise(1) | cACompromise(2) | aACompromise(8)
        tlv(0x83, &[7, 0x60, 0x80]),
        t(4),
    ])
    .build();
    let crl = Crl::parse(&der).unwrap();
    assert_eq!(
        crl.scope(),
        &CrlScope {
            only_user_certs: true,
            only_ca_certs: false,
            only_some_reasons: Some(ReasonFlags::from_bits((1 << 1) | (1 << 2) | (1 << 8))),
            indirect: true,
            only_attribute_certs: false,
            partitioned: true,
        }
    );
    assert!(matches!(
        err_of(&idp(vec![])),
        CrlError::InvalidIssuingDistributionPoint(_)
    ));
    assert!(matches!(
        err_of(&idp(vec![t(1), t(2)])),
        CrlError::InvalidIssuingDistributionPoint(_)
    ));
    assert!(matches!(
        err_of(&idp(vec![tlv(0x81, &[0])])),
        CrlError::InvalidIssuingDistributionPoint(_)
    ));
    assert!(matches!(
        err_of(&idp(vec![t(2), t(1)])),
        CrlError::BadExtension { .. }
    ));
}

// --- entries ------------------------------------------------------------------------

fn with_entries(entries: Vec<Vec<u8>>) -> Spec {
    let mut s = spec();
    s.entries = Some(entries);
    s
}

#[test]
fn entry_rules() {
    let t = || utc("250101000000Z");
    let ok = entry(&[1], t(), None);
    // reason codes
    for code in [7u8, 11, 0x80] {
        let s = with_entries(vec![
            ok.clone(),
            entry(&[2], t(), Some(vec![reason_ext(code)])),
        ]);
        let e = err_of(&s);
        assert!(matches!(e, CrlError::BadReasonCode { .. }), "{code}: {e}");
        assert!(e.to_string().contains("§5.3.1"));
    }
    // (8, removeFromCRL, only in a delta CRL: see
    // remove_from_crl_only_in_delta_crls.)
    for code in [0u8, 6, 9, 10] {
        let der = with_entries(vec![entry(&[2], t(), Some(vec![reason_ext(code)]))]).build();
        let e = Crl::parse(&der).unwrap().entries().next().unwrap().unwrap();
        assert_eq!(e.reason.map(|r| r.code()), Some(code));
    }
    // invalidityDate
    let inv = ext(oid::INVALIDITY_DATE, false, gen("20241231000000Z"));
    let der = with_entries(vec![entry(&[2], t(), Some(vec![inv]))]).build();
    let e = Crl::parse(&der).unwrap().entries().next().unwrap().unwrap();
    assert_eq!(
        e.invalidity_date,
        Timestamp::from_utc_fields(2024, 12, 31, 0, 0, 0)
    );
    let inv_utc = ext(oid::INVALIDITY_DATE, false, utc("241231000000Z"));
    assert!(matches!(
        err_of(&with_entries(vec![entry(&[2], t(), Some(vec![inv_utc]))])),
        CrlError::BadEntryExtension { .. }
    ));
    // certificateIssuer
    let ci = ext(
        oid::CERTIFICATE_ISSUER,
        true,
        seq(&[tlv(0xA4, fixture().0.subject_der())]),
    );
    let e = err_of(&with_entries(vec![entry(&[2], t(), Some(vec![ci]))]));
    assert!(
        matches!(e, CrlError::IndirectCrlUnsupported { .. })
            && e.to_string().contains("does not assert indirectCRL")
    );
    // unknown critical / non-critical / duplicate
    let unk = |c| ext(&[0x2A, 0x03, 0x05], c, vec![5, 0]);
    let e = err_of(&with_entries(vec![entry(
        &[0x42],
        t(),
        Some(vec![unk(true)]),
    )]));
    match &e {
        CrlError::UnknownCriticalEntryExtension { oid, serial } => {
            assert_eq!(oid, "1.2.3.5");
            assert_eq!(serial.to_hex(), "42");
        }
        e => panic!("{e}"),
    }
    let der = with_entries(vec![entry(&[0x42], t(), Some(vec![unk(false)]))]).build();
    Crl::parse(&der).unwrap().entries().next().unwrap().unwrap();
    let e = err_of(&with_entries(vec![entry(
        &[2],
        t(),
        Some(vec![reason_ext(1), reason_ext(1)]),
    )]));
    assert!(matches!(e, CrlError::DuplicateEntryExtension { .. }));
    // serials
    let e = err_of(&with_entries(vec![
        ok.clone(),
        ok.clone(),
        entry(&[], t(), None),
    ]));
    assert!(
        matches!(
            e,
            CrlError::BadEntrySerial {
                index: 2,
                problem: SerialError::Empty
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("#2"));
    let long = [0x11u8; 33];
    let e = err_of(&with_entries(vec![ok.clone(), entry(&long, t(), None)]));
    assert!(
        matches!(
            e,
            CrlError::BadEntrySerial {
                index: 1,
                problem: SerialError::TooLong(33)
            }
        ),
        "{e}"
    );
    let s32 = [0x11u8; 32];
    let der = with_entries(vec![entry(&s32, t(), None)]).build();
    assert_eq!(
        Crl::parse(&der)
            .unwrap()
            .entries()
            .next()
            .unwrap()
            .unwrap()
            .serial
            .as_der_content(),
        &s32
    );
    // garbage after an entry's extensions
    let bad = seq(&[
        tlv(tag::INTEGER, &[2]),
        t(),
        seq(&[reason_ext(1)]),
        vec![5, 0],
    ]);
    let s = with_entries(vec![bad]);
    assert!(matches!(
        err_of(&s),
        CrlError::MalformedEntry { index: 0, .. }
    ));
    // stops after the first error
    let der = with_entries(vec![entry(&[], t(), None), ok]).build();
    let crl = Crl::parse(&der).unwrap();
    let all: Vec<_> = crl.entries().collect();
    assert_eq!(all.len(), 1);
    assert!(all[0].is_err());
}

// --- properties -----------------------------------------------------------------

fn arb_time() -> impl Strategy<Value = (bool, Timestamp, Vec<u8>)> {
    (
        1950i32..=2200,
        1u8..=12,
        1u8..=28,
        0u8..24,
        0u8..60,
        0u8..60,
    )
        .prop_map(|(y, mo, d, h, mi, s)| {
            let ts = Timestamp::from_utc_fields(y, mo, d, h, mi, s).unwrap();
            // §5.1.2.4: UTCTime through 2049, GeneralizedTime after.
            let use_utc = y < 2050;
            let enc = if use_utc {
                utc(&format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100))
            } else {
                gen(&format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z"))
            };
            (use_utc, ts, enc)
        })
}

fn minimal_int(mut c: Vec<u8>) -> Vec<u8> {
    while c.len() > 1 && ((c[0] == 0 && c[1] < 0x80) || (c[0] == 0xFF && c[1] >= 0x80)) {
        c.remove(0);
    }
    c
}

prop_compose! {
    fn arb_entry()(serial in proptest::collection::vec(any::<u8>(), 1..=20),
                   (_, ts, enc) in arb_time(),
                   reason in proptest::option::of(prop::sample::select(vec![0u8,1,2,3,4,5,6,9,10])),
                   inv in proptest::option::of(arb_time()))
                  -> (RevokedEntry, Vec<u8>) {
        let serial = minimal_int(serial);
        let mut exts = vec![];
        if let Some(r) = reason { exts.push(reason_ext(r)); }
        let mut inv_ts = None;
        if let Some((_, t, _)) = &inv {
            let g = gen(&t.to_rfc3339().replace(['-', ':', 'T'], ""));
            exts.push(ext(oid::INVALIDITY_DATE, false, g));
            inv_ts = Some(*t);
        }
        let der = entry(&serial, enc, if exts.is_empty() { None } else { Some(exts) });
        (RevokedEntry {
            serial: Serial::from_der_content(&serial).unwrap(),
            revoked_at: ts,
            reason: reason.and_then(RevocationReason::from_code),
            invalidity_date: inv_ts,
        }, der)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn entries_round_trip(list in proptest::collection::vec(arb_entry(), 0..40)) {
        let mut s = Spec::new(fixture().0.subject_der());
        // §5.1.2.6: no entries means no revokedCertificates field.
        s.entries = (!list.is_empty()).then(|| list.iter().map(|(_, d)| d.clone()).collect());
        let tbs_only = {
            // Signing is irrelevant here: build with a dummy signature.
            let tbs = s.tbs();
            seq(&[tbs, s.alg.clone(), tlv(tag::BIT_STRING, &[0, 1, 2, 3])])
        };
        let crl = Crl::parse(&tbs_only).unwrap();
        let got: Vec<RevokedEntry> = crl.entries().collect::<Result<_, _>>().unwrap();
        let want: Vec<RevokedEntry> = list.into_iter().map(|(e, _)| e).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn random_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300)) {
        if let Ok(crl) = Crl::parse(&data) {
            for e in crl.entries() { let _ = e; }
        }
    }

    #[test]
    fn mutations_never_panic(edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
                             cut in any::<prop::sample::Index>(), do_cut in any::<bool>()) {
        let base = base_crl();
        let mut d = base.to_vec();
        for (i, b) in edits { let i = i.index(d.len()); d[i] = b; }
        if do_cut { d.truncate(cut.index(d.len())); }
        if let Ok(crl) = Crl::parse(&d) {
            let _ = crl.check_issued_by(&fixture().0);
            let _ = crl.verify_signature(&fixture().0);
            for e in crl.entries() { let _ = e; }
        }
    }
}

fn base_crl() -> &'static [u8] {
    static B: OnceLock<Vec<u8>> = OnceLock::new();
    B.get_or_init(|| spec().build())
}

/// Throughput of `entries()`; run with
/// `cargo test --release -p kakunin-engine entries_throughput -- --ignored --nocapture`.
#[test]
#[ignore]
fn entries_throughput() {
    let n = 1_000_000usize;
    let mut body = Vec::with_capacity(n * 40);
    for i in 0..n {
        let serial = ((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1).to_be_bytes();
        let reason = if i % 3 == 0 {
            Some(vec![reason_ext(4)])
        } else {
            None
        };
        body.extend(entry(
            &minimal_int(serial.to_vec()),
            utc("250101000000Z"),
            reason,
        ));
    }
    let s = spec();
    // A big revokedCertificates between nextUpdate and the extensions.
    let tbs = seq(&[
        s.version.clone().unwrap(),
        s.alg.clone(),
        s.issuer.clone(),
        s.this.clone(),
        s.next.clone().unwrap(),
        tlv(tag::SEQUENCE, &body),
        tlv(tag::context_constructed(0), &seq(s.exts.as_ref().unwrap())),
    ]);
    let der = seq(&[tbs, s.alg.clone(), tlv(tag::BIT_STRING, &[0, 1])]);
    let crl = Crl::parse(&der).unwrap();
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = std::time::Instant::now();
        let mut count = 0usize;
        let mut x = 0u64;
        for e in crl.entries() {
            let e = e.unwrap();
            x ^= e.serial.key().unwrap_or(0);
            count += 1;
        }
        let dt = t.elapsed().as_secs_f64();
        assert_eq!(count, n);
        std::hint::black_box(x);
        best = best.min(dt);
    }
    println!(
        "entries(): {n} entries, {} MB, best {:.1} ms = {:.1} ns/entry = {:.1} M entries/s",
        der.len() / 1_000_000,
        best * 1e3,
        best * 1e9 / n as f64,
        n as f64 / best / 1e6
    );
}

/// §5.3.3: in an indirect CRL a certificateIssuer holds for its entry and
/// the ones after it until the next; elsewhere it is refused, and so is
/// one that does not name exactly one directoryName.
#[test]
fn certificate_issuer_in_an_indirect_crl() {
    let t = || utc("250101000000Z");
    let dn_b = {
        // C=JP, CN=B
        let atv = |oid: u8, v: &[u8]| {
            tlv(
                tag::SET,
                &seq(&[tlv(tag::OID, &[0x55, 0x04, oid]), tlv(0x13, v)]),
            )
        };
        seq(&[atv(6, b"JP"), atv(3, b"B")])
    };
    let ci = |dns: &[&[u8]]| {
        let names: Vec<Vec<u8>> = dns.iter().map(|d| tlv(0xA4, d)).collect();
        ext(oid::CERTIFICATE_ISSUER, true, seq(&names))
    };
    let own = fixture().0.subject_der();
    let mut s = with_entries(vec![
        entry(&[1], t(), None),
        entry(&[2], t(), Some(vec![ci(&[&dn_b])])),
        entry(&[3], t(), Some(vec![reason_ext(1)])),
        entry(&[4], t(), Some(vec![ci(&[own])])),
        entry(&[5], t(), None),
    ]);
    let idp = ext(oid::ISSUING_DP, true, seq(&[tlv(0x84, &[0xFF])]));
    s.exts = with_exts(vec![idp.clone()]).exts;
    let der = s.build();
    let crl = Crl::parse(&der).unwrap();
    let mut it = crl.entries();
    let mut seen = Vec::new();
    while let Some(e) = it.next() {
        let e = e.unwrap();
        let about_b = entry_is_about(crl.issuer_der(), it.certificate_issuer(), &dn_b);
        let about_own = entry_is_about(crl.issuer_der(), it.certificate_issuer(), own);
        assert_ne!(about_b, about_own, "{:?}", e.serial);
        seen.push(about_b);
    }
    assert_eq!(seen, [false, true, true, false, false]);

    // Not indirect: refused.
    let s = with_entries(vec![entry(&[2], t(), Some(vec![ci(&[&dn_b])]))]);
    assert!(matches!(
        err_of(&s),
        CrlError::IndirectCrlUnsupported { .. }
    ));
    // Two directoryNames, or none: refused.
    for names in [
        vec![ci(&[&dn_b, own])],
        vec![ext(
            oid::CERTIFICATE_ISSUER,
            true,
            seq(&[tlv(0x86, b"http://x/")]),
        )],
    ] {
        let mut s = with_entries(vec![entry(&[2], t(), Some(names))]);
        s.exts = with_exts(vec![idp.clone()]).exts;
        let e = err_of(&s);
        assert!(
            matches!(
                e,
                CrlError::BadEntryExtension {
                    name: "certificateIssuer",
                    ..
                }
            ),
            "{e}"
        );
    }
}

// --- CRL issuer MUSTs a relying party can see (§5.1.2, §5.2, §5.3) ----------
//
// Each is refused by the parser (or the entry walk), so `kakunin ingest`
// and the raw `--crl` path, which share these checks, both refuse it.

fn aki() -> Vec<u8> {
    ext(
        oid::AKI,
        false,
        seq(&[tlv(0x80, fixture().0.key_id().as_bytes())]),
    )
}

fn crl_number(n: u8, critical: bool) -> Vec<u8> {
    ext(oid::CRL_NUMBER, critical, tlv(tag::INTEGER, &[n]))
}

fn delta_indicator(base: u8, critical: bool) -> Vec<u8> {
    ext(
        oid::DELTA_CRL_INDICATOR,
        critical,
        tlv(tag::INTEGER, &[base]),
    )
}

/// §5.2.1: "Conforming CRL issuers MUST use the key identifier method,
/// and MUST include this extension in all CRLs issued"; non-critical by
/// §4.2.1.1. A v1 CRL has no extensions and stays readable (§5).
#[test]
fn authority_key_identifier_is_required() {
    let mut s = spec();
    s.exts = Some(vec![crl_number(7, false)]);
    let e = err_of(&s);
    assert!(matches!(e, CrlError::MissingAuthorityKeyId), "{e}");
    assert!(e.to_string().contains("§5.2.1"), "{e}");
    // A v2 CRL with no crlExtensions at all.
    s.exts = None;
    assert!(matches!(err_of(&s), CrlError::MissingAuthorityKeyId));
    // issuer + serial only, no keyIdentifier.
    let issuer_serial = seq(&[
        tlv(0xA1, &tlv(0xA4, fixture().0.subject_der())),
        tlv(0x82, &[0x01]),
    ]);
    let e = err_of(&with_exts(vec![ext(oid::AKI, false, issuer_serial)]));
    assert!(matches!(e, CrlError::AuthorityKeyIdWithoutKeyId), "{e}");
    let e = err_of(&with_exts(vec![ext(oid::AKI, false, seq(&[]))]));
    assert!(matches!(e, CrlError::AuthorityKeyIdWithoutKeyId), "{e}");
    // Critical.
    let kid = fixture().0.key_id().as_bytes().to_vec();
    let e = err_of(&with_exts(vec![ext(
        oid::AKI,
        true,
        seq(&[tlv(0x80, &kid)]),
    )]));
    assert!(
        matches!(
            e,
            CrlError::ExtensionMustNotBeCritical {
                name: "authorityKeyIdentifier",
                ..
            }
        ),
        "{e}"
    );
    // v1: no extensions, no AKI, accepted.
    let mut s = spec();
    s.version = None;
    s.exts = None;
    s.entries = Some(vec![entry(&[0x05], utc("250101000000Z"), None)]);
    Crl::parse(&s.build()).unwrap();
}

/// §5.2.3: "CRL issuers conforming to this profile MUST include this
/// extension in all CRLs and MUST mark this extension as non-critical."
#[test]
fn crl_number_is_required_and_non_critical() {
    let mut s = spec();
    s.exts = Some(vec![aki()]);
    let e = err_of(&s);
    assert!(
        matches!(e, CrlError::MissingCrlNumber { kind: "CRL" }),
        "{e}"
    );
    assert!(e.to_string().contains("§5.2.3"), "{e}");
    let e = err_of(&with_exts(vec![crl_number(7, true)]));
    assert!(
        matches!(
            e,
            CrlError::ExtensionMustNotBeCritical {
                name: "cRLNumber",
                section: "§5.2.3"
            }
        ),
        "{e}"
    );
}

/// §5.1.2.4, §5.1.2.5, §5.1.2.6: dates through 2049 MUST be UTCTime.
/// (invalidityDate is GeneralizedTime by definition, §5.3.2.)
#[test]
fn crl_dates_before_2050_must_be_utc_time() {
    let mut s = spec();
    s.this = gen("20260101000000Z");
    let e = err_of(&s);
    assert!(
        matches!(
            e,
            CrlError::GeneralizedTimeBefore2050 {
                field: "thisUpdate",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("§5.1.2.4"), "{e}");
    let mut s = spec();
    s.next = Some(gen("20260201000000Z"));
    let e = err_of(&s);
    assert!(
        matches!(
            e,
            CrlError::GeneralizedTimeBefore2050 {
                field: "nextUpdate",
                ..
            }
        ),
        "{e}"
    );
    // 2049-12-31T23:59:59Z is the last UTCTime date.
    let mut s = spec();
    s.next = Some(gen("20491231235959Z"));
    assert!(matches!(
        err_of(&s),
        CrlError::GeneralizedTimeBefore2050 { .. }
    ));
    // From 2050 GeneralizedTime is right.
    let mut s = spec();
    s.next = Some(gen("20500101000000Z"));
    Crl::parse(&s.build()).unwrap();
    // revocationDate: the general entry parser (the byte-exact fast path
    // takes UTCTime only), with and without entry extensions.
    for exts in [None, Some(vec![reason_ext(1)])] {
        let s = with_entries(vec![
            entry(&[1], utc("251231000000Z"), None),
            entry(&[2], gen("20251230120000Z"), exts),
        ]);
        let e = err_of(&s);
        assert!(
            matches!(e, CrlError::EntryGeneralizedTimeBefore2050 { index: 1, .. }),
            "{e}"
        );
        assert!(e.to_string().contains("§5.1.2.6"), "{e}");
    }
    let der = with_entries(vec![entry(&[2], gen("20500101000000Z"), None)]).build();
    Crl::parse(&der).unwrap().entries().next().unwrap().unwrap();
}

/// §5.1.2.6: "When there are no revoked certificates, the revoked
/// certificates list MUST be absent."
#[test]
fn empty_revoked_certificates_must_be_absent() {
    let e = err_of(&with_entries(vec![]));
    assert!(matches!(e, CrlError::EmptyRevokedCertificates), "{e}");
    assert!(e.to_string().contains("§5.1.2.6"), "{e}");
    let mut s = spec();
    s.entries = None;
    Crl::parse(&s.build()).unwrap();
}

/// §5.2.4: a critical deltaCRLIndicator; a BaseCRLNumber below the
/// delta's own cRLNumber; the delta has a cRLNumber (§5.2.3).
#[test]
fn delta_crl_rules() {
    let der = with_exts(vec![delta_indicator(6, true)]).build();
    assert_eq!(
        Crl::parse(&der).unwrap().delta_base(),
        Some(CrlNumber::from_u64(6))
    );
    let e = err_of(&with_exts(vec![delta_indicator(6, false)]));
    assert!(
        matches!(
            e,
            CrlError::ExtensionMustBeCritical {
                name: "deltaCRLIndicator",
                section: "§5.2.4"
            }
        ),
        "{e}"
    );
    // with_exts adds cRLNumber 7.
    for base in [7, 8] {
        let e = err_of(&with_exts(vec![delta_indicator(base, true)]));
        assert!(
            matches!(e, CrlError::DeltaBaseNotBelowNumber { .. }),
            "{base}: {e}"
        );
        assert!(e.to_string().contains("§5.2.4"), "{e}");
    }
    let mut s = spec();
    s.exts = Some(vec![aki(), delta_indicator(6, true)]);
    let e = err_of(&s);
    assert!(
        matches!(e, CrlError::MissingCrlNumber { kind: "delta CRL" }),
        "{e}"
    );
}

/// §5.2.6: freshestCRL non-critical, never in a delta CRL, and without
/// reasons or cRLIssuer.
#[test]
fn freshest_crl_rules() {
    let name = tlv(0xA0, &tlv(0xA0, &tlv(0x86, b"http://x/delta.crl")));
    let freshest =
        |critical: bool, dp: Vec<Vec<u8>>| ext(oid::FRESHEST_CRL, critical, seq(&[seq(&dp)]));
    Crl::parse(&with_exts(vec![freshest(false, vec![name.clone()])]).build()).unwrap();
    let e = err_of(&with_exts(vec![freshest(true, vec![name.clone()])]));
    assert!(
        matches!(
            e,
            CrlError::ExtensionMustNotBeCritical {
                name: "freshestCRL",
                ..
            }
        ),
        "{e}"
    );
    let e = err_of(&with_exts(vec![
        delta_indicator(6, true),
        freshest(false, vec![name.clone()]),
    ]));
    assert!(matches!(e, CrlError::FreshestCrlInDelta), "{e}");
    assert!(e.to_string().contains("§5.2.6"), "{e}");
    let reasons = tlv(0x81, &[7, 0x80]);
    let e = err_of(&with_exts(vec![freshest(
        false,
        vec![name.clone(), reasons],
    )]));
    assert!(
        matches!(e, CrlError::FreshestCrlField { field: "reasons" }),
        "{e}"
    );
    let crl_issuer = tlv(0xA2, &tlv(0xA4, fixture().0.subject_der()));
    let e = err_of(&with_exts(vec![freshest(false, vec![name, crl_issuer])]));
    assert!(
        matches!(e, CrlError::FreshestCrlField { field: "cRLIssuer" }),
        "{e}"
    );
    let e = err_of(&with_exts(vec![freshest(false, vec![])]));
    assert!(
        matches!(
            e,
            CrlError::BadExtension {
                name: "freshestCRL",
                ..
            }
        ),
        "{e}"
    );
}

/// §5.2.7: authorityInfoAccess non-critical, id-ad-caIssuers only.
#[test]
fn authority_info_access_rules() {
    let ad = |method: u8| {
        seq(&[
            tlv(tag::OID, &[0x2B, 6, 1, 5, 5, 7, 48, method]),
            tlv(0x86, b"http://x/ca.crt"),
        ])
    };
    let aia = |critical: bool, ads: Vec<Vec<u8>>| ext(oid::AIA, critical, seq(&ads));
    Crl::parse(&with_exts(vec![aia(false, vec![ad(2), ad(2)])]).build()).unwrap();
    let e = err_of(&with_exts(vec![aia(true, vec![ad(2)])]));
    assert!(
        matches!(
            e,
            CrlError::ExtensionMustNotBeCritical {
                name: "authorityInfoAccess",
                section: "§5.2.7"
            }
        ),
        "{e}"
    );
    for ads in [vec![ad(1)], vec![ad(2), ad(1)]] {
        let e = err_of(&with_exts(vec![aia(false, ads)]));
        match &e {
            CrlError::AiaAccessMethod { oid } => assert_eq!(oid, "1.3.6.1.5.5.7.48.1"),
            e => panic!("{e}"),
        }
        assert!(e.to_string().contains("§5.2.7"), "{e}");
    }
    let e = err_of(&with_exts(vec![aia(false, vec![])]));
    assert!(
        matches!(
            e,
            CrlError::BadExtension {
                name: "authorityInfoAccess",
                ..
            }
        ),
        "{e}"
    );
}

/// §5.3.1: "The removeFromCRL (8) reasonCode value may only appear in
/// delta CRLs." Checked on the byte-exact fast path (a lone reasonCode)
/// and on the general one (with another extension beside it).
#[test]
fn remove_from_crl_only_in_delta_crls() {
    let t = || utc("250101000000Z");
    let inv = ext(oid::INVALIDITY_DATE, false, gen("20241231000000Z"));
    let shapes = [
        vec![reason_ext(8)],
        vec![reason_ext(8), inv.clone()],
        vec![inv, reason_ext(8)],
    ];
    for exts in &shapes {
        let s = with_entries(vec![
            entry(&[1], t(), Some(vec![reason_ext(1)])),
            entry(&[2], t(), Some(exts.clone())),
        ]);
        let e = err_of(&s);
        match &e {
            CrlError::RemoveFromCrlInCompleteCrl { serial } => assert_eq!(serial.to_hex(), "02"),
            e => panic!("{e}"),
        }
        assert!(e.to_string().contains("§5.3.1"), "{e}");
        // In a delta CRL it is what it is for.
        let mut s = s.clone();
        s.exts.as_mut().unwrap().push(delta_indicator(6, true));
        let der = s.build();
        let got: Vec<_> = Crl::parse(&der)
            .unwrap()
            .entries()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(got[1].reason, Some(RevocationReason::RemoveFromCrl));
    }
}

/// §5.3.3: "CRL issuers MUST mark this extension as critical."
#[test]
fn certificate_issuer_must_be_critical() {
    let ci = |critical| {
        ext(
            oid::CERTIFICATE_ISSUER,
            critical,
            seq(&[tlv(0xA4, fixture().0.subject_der())]),
        )
    };
    let idp = ext(oid::ISSUING_DP, true, seq(&[tlv(0x84, &[0xFF])]));
    let t = || utc("250101000000Z");
    let der = with_exts(vec![idp.clone()])
        .tap_entries(vec![entry(&[2], t(), Some(vec![ci(true)]))])
        .build();
    Crl::parse(&der).unwrap().entries().next().unwrap().unwrap();
    let s = with_exts(vec![idp]).tap_entries(vec![entry(&[2], t(), Some(vec![ci(false)]))]);
    let e = err_of(&s);
    assert!(
        matches!(
            e,
            CrlError::EntryExtensionMustBeCritical {
                name: "certificateIssuer",
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("§5.3.3"), "{e}");
}

impl Spec {
    fn tap_entries(mut self, entries: Vec<Vec<u8>>) -> Spec {
        self.entries = Some(entries);
        self
    }
}
