//! CRLs made by `openssl ca -gencrl` from a hand-written index.txt, checked
//! against two independent oracles: the text `openssl crl -text` prints,
//! and x509-parser's full (eager) CRL parse.

use std::collections::BTreeSet;
use std::path::Path;

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::crl::{Crl, CrlError};
use kakunin_engine::{CaCert, SignatureAlgorithm, Timestamp};
use kakunin_testkit::{
    crl_text_entries, openssl_text, openssl_time, pem_to_der, CaConfig, IndexCa,
};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// (serial hex as written in index.txt, revocation date, reason or "")
const REVOKED: &[(&str, &str, &str)] = &[
    ("01", "250101000000Z", "keyCompromise"),
    ("0102030405060708", "250102030405Z", "superseded"),
    ("FF02030405060708", "250102030406Z", ""),
    (
        "1112131415161718191A1B1C1D1E1F20",
        "250103000000Z",
        "affiliationChanged",
    ),
    (
        "7102030405060708090A0B0C0D0E0F1011121314",
        "250104000000Z",
        "cessationOfOperation",
    ),
    (
        "C102030405060708090A0B0C0D0E0F1011121314",
        "250104000001Z",
        "CACompromise",
    ),
    ("00AB", "250105000000Z", "certificateHold"),
    ("0000C3", "491231235959Z", "unspecified"),
    // Not removeFromCRL: RFC 5280 §5.3.1 allows it only in delta CRLs,
    // which `openssl ca` does not make, and kakunin refuses a complete CRL
    // carrying it (crl/tests.rs::remove_from_crl_only_in_delta_crls).
    ("00000000000000D4", "500101000000Z", "superseded"),
];

struct Made {
    ca: CaCert,
    crl: Vec<u8>,
}

fn make(dir: &Path, newkey: &[&str], md: &str, sigopts: &[&str]) -> Made {
    let mut req = vec!["-new", "-days", "30"];
    req.extend_from_slice(newkey);
    req.extend([
        "-subj",
        "/C=JP/O=JPKI/OU=JPKI for digital signature/CN=Test CA",
    ]);
    let config = CaConfig {
        crl_number: 0x1000,
        crl_days: 30,
        ..CaConfig::default()
    };
    let index = IndexCa::self_signed(dir, &req, &config);
    for (serial, date, reason) in REVOKED {
        let subject = format!("/CN=holder{serial}");
        index.add_revoked(serial, "301231000000Z", date, reason, &subject);
    }
    index.add_valid("0A0B", "301231000000Z", "/CN=valid");
    let mut extra = vec!["-md", md];
    for s in sigopts {
        extra.extend(["-sigopt", s]);
    }
    let pem = index.gencrl(&dir.join("crl.pem"), &extra);
    pem_to_der("crl", &pem, &dir.join("crl.der"));
    let ca = CaCert::from_pem_or_der(&std::fs::read(&index.cert).unwrap()).unwrap();
    // The PEM form must decode to the same DER.
    let pem = std::fs::read(pem).unwrap();
    let crl = std::fs::read(dir.join("crl.der")).unwrap();
    assert_eq!(der_from_pem_or_der(&pem).unwrap().as_ref(), &crl[..]);
    Made { ca, crl }
}

type EntrySet = BTreeSet<(String, i64, String)>;

/// "Jan  1 00:00:00 2025 GMT" → Timestamp.
fn openssl_date(s: &str) -> i64 {
    let t = openssl_time(s);
    Timestamp::from_utc_fields(t.year, t.month, t.day, t.hour, t.minute, t.second)
        .unwrap()
        .unix()
}

fn norm_reason(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase()
}

/// The independent oracle: parse `openssl crl -text` output.
fn openssl_entries(dir: &Path) -> (EntrySet, String) {
    let text = openssl_text(
        dir,
        &["crl", "-inform", "DER", "-noout", "-text", "-in", "crl.der"],
    );
    let set = crl_text_entries(&text)
        .into_iter()
        .map(|e| {
            (
                e.serial.to_uppercase(),
                openssl_date(&e.revoked_at),
                norm_reason(&e.reason),
            )
        })
        .collect();
    (set, text)
}

fn our_entries(crl: &Crl<'_>) -> EntrySet {
    crl.entries()
        .map(|e| {
            let e = e.unwrap();
            (
                e.serial.to_hex(),
                e.revoked_at.unix(),
                e.reason.map(|r| norm_reason(r.name())).unwrap_or_default(),
            )
        })
        .collect()
}

fn x509_parser_entries(der: &[u8]) -> EntrySet {
    let (rest, crl) = CertificateRevocationList::from_der(der).unwrap();
    assert!(rest.is_empty());
    crl.iter_revoked_certificates()
        .map(|r| {
            let s = kakunin_engine::Serial::from_der_content(r.raw_serial()).unwrap();
            let reason = r
                .reason_code()
                .map(|(_, c)| {
                    norm_reason(
                        kakunin_engine::RevocationReason::from_code(c.0)
                            .unwrap()
                            .name(),
                    )
                })
                .unwrap_or_default();
            (s.to_hex(), r.revocation_date.timestamp(), reason)
        })
        .collect()
}

fn check(made: &Made, dir: &Path, alg: SignatureAlgorithm) {
    let crl = Crl::parse(&made.crl).unwrap();
    assert_eq!(crl.signature_algorithm(), alg);
    crl.check_issued_by(&made.ca).unwrap();
    crl.verify_signature(&made.ca).unwrap();
    assert_eq!(crl.number().unwrap().to_string(), "4096"); // crlnumber file is hex 1000
    assert_eq!(crl.authority_key_id(), Some(made.ca.key_id().as_bytes()));
    let next = crl.next_update().unwrap().unix() - crl.this_update().unix();
    assert_eq!(next, 30 * 86_400);

    let ours = our_entries(&crl);
    assert_eq!(ours.len(), REVOKED.len());
    let (oracle, text) = openssl_entries(dir);
    assert_eq!(ours, oracle, "openssl crl -text says:\n{text}");
    assert_eq!(ours, x509_parser_entries(&made.crl));
    // And what we wrote into index.txt (serials with leading zeros dropped).
    for (serial, _, _) in REVOKED {
        let want = kakunin_engine::Serial::from_hex(serial).unwrap().to_hex();
        assert!(ours.iter().any(|(s, _, _)| *s == want), "{serial} missing");
    }

    // One flipped byte in the signature: parse fine, verify fails.
    let mut bad = made.crl.clone();
    let n = bad.len();
    bad[n - 5] ^= 0x01;
    let c = Crl::parse(&bad).unwrap();
    assert!(matches!(
        c.verify_signature(&made.ca),
        Err(CrlError::BadSignature(_))
    ));
    // One flipped byte in the tbs (the last digit of thisUpdate's seconds
    // stays a digit): parse fine, verify fails.
    let mut bad = made.crl.clone();
    let this = crl.tbs_der().as_ptr() as usize - made.crl.as_ptr() as usize;
    let pos = this
        + crl
            .tbs_der()
            .windows(2)
            .position(|w| w == [0x17, 0x0D])
            .unwrap()
        + 2
        + 11;
    bad[pos] = if bad[pos] == b'0' { b'1' } else { b'0' };
    let c = Crl::parse(&bad).unwrap();
    assert_ne!(c.this_update(), crl.this_update());
    assert!(matches!(
        c.verify_signature(&made.ca),
        Err(CrlError::BadSignature(_))
    ));
}

#[test]
fn rsa_sha256() {
    let dir = kakunin_testkit::tempdir();
    let m = make(dir.path(), &["-newkey", "rsa:2048"], "sha256", &[]);
    check(&m, dir.path(), SignatureAlgorithm::RsaPkcs1Sha256);
}

#[test]
fn rsa_sha384() {
    let dir = kakunin_testkit::tempdir();
    let m = make(dir.path(), &["-newkey", "rsa:2048"], "sha384", &[]);
    check(&m, dir.path(), SignatureAlgorithm::RsaPkcs1Sha384);
}

#[test]
fn rsa_pss_sha256() {
    let dir = kakunin_testkit::tempdir();
    let m = make(
        dir.path(),
        &["-newkey", "rsa:2048"],
        "sha256",
        &["rsa_padding_mode:pss", "rsa_pss_saltlen:digest"],
    );
    check(&m, dir.path(), SignatureAlgorithm::RsaPssSha256);
}

#[test]
fn rsa_pss_default_salt_is_max_and_rejected() {
    // OpenSSL 3.0 signs PSS with the maximal salt by default; RFC 4055 /
    // our profile requires salt = hash length, so this must be a clear
    // parameter error, not a silent accept or a "bad signature".
    let dir = kakunin_testkit::tempdir();
    let m = make(
        dir.path(),
        &["-newkey", "rsa:2048"],
        "sha256",
        &["rsa_padding_mode:pss"],
    );
    match Crl::parse(&m.crl) {
        Ok(c) => assert_eq!(c.signature_algorithm(), SignatureAlgorithm::RsaPssSha256),
        Err(e) => assert!(matches!(e, CrlError::BadAlgorithmParameters { .. }), "{e}"),
    }
}

#[test]
fn ec_p256() {
    let dir = kakunin_testkit::tempdir();
    let m = make(
        dir.path(),
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
        "sha256",
        &[],
    );
    check(&m, dir.path(), SignatureAlgorithm::EcdsaSha256);
}

#[test]
fn ec_p384() {
    let dir = kakunin_testkit::tempdir();
    let m = make(
        dir.path(),
        &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-384"],
        "sha384",
        &[],
    );
    check(&m, dir.path(), SignatureAlgorithm::EcdsaSha384);
}

#[test]
fn ed25519() {
    let dir = kakunin_testkit::tempdir();
    let m = make(dir.path(), &["-newkey", "ed25519"], "default", &[]);
    check(&m, dir.path(), SignatureAlgorithm::Ed25519);
}

#[test]
fn wrong_ca_is_rejected() {
    let d1 = kakunin_testkit::tempdir();
    let d2 = kakunin_testkit::tempdir();
    let a = make(d1.path(), &["-newkey", "rsa:2048"], "sha256", &[]);
    let b = make(d2.path(), &["-newkey", "rsa:2048"], "sha256", &[]);
    let crl = Crl::parse(&a.crl).unwrap();
    // Same DN (as JPKI generations share one), different key: AKI and the
    // signature must both catch it.
    assert!(matches!(
        crl.check_issued_by(&b.ca),
        Err(CrlError::AuthorityKeyIdMismatch { .. })
    ));
    assert!(matches!(
        crl.verify_signature(&b.ca),
        Err(CrlError::BadSignature(_))
    ));
}
