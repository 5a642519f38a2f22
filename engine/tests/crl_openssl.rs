//! CRLs made by `openssl ca -gencrl` from a hand-written index.txt, checked
//! against two independent oracles: the text `openssl crl -text` prints,
//! and x509-parser's full (eager) CRL parse.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::{CaCert, Crl, CrlError, SignatureAlgorithm, Timestamp};
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("openssl must be on PATH");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

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
    run(Command::new("openssl")
        .args(["req", "-x509", "-new", "-nodes", "-days", "30"])
        .args(newkey)
        .args([
            "-subj",
            "/C=JP/O=JPKI/OU=JPKI for digital signature/CN=Test CA",
        ])
        .arg("-keyout")
        .arg(dir.join("ca.key"))
        .arg("-out")
        .arg(dir.join("ca.pem")));
    let mut index = String::new();
    for (serial, date, reason) in REVOKED {
        let rev = if reason.is_empty() {
            date.to_string()
        } else {
            format!("{date},{reason}")
        };
        index.push_str(&format!(
            "R\t301231000000Z\t{rev}\t{serial}\tunknown\t/CN=holder{serial}\n"
        ));
    }
    index.push_str("V\t301231000000Z\t\t0A0B\tunknown\t/CN=valid\n");
    std::fs::write(dir.join("index.txt"), index).unwrap();
    std::fs::write(dir.join("crlnumber"), "1000\n").unwrap();
    let d = dir.display();
    std::fs::write(
        dir.join("ca.cnf"),
        format!(
            "[ ca ]\ndefault_ca = CA_default\n[ CA_default ]\ndir = {d}\ndatabase = $dir/index.txt\n\
             crlnumber = $dir/crlnumber\ncertificate = $dir/ca.pem\nprivate_key = $dir/ca.key\n\
             default_md = sha256\ncrl_extensions = crl_ext\n[ crl_ext ]\n\
             authorityKeyIdentifier = keyid:always\n"
        ),
    )
    .unwrap();
    let mut cmd = Command::new("openssl");
    cmd.args([
        "ca", "-batch", "-gencrl", "-crldays", "30", "-md", md, "-config",
    ])
    .arg(dir.join("ca.cnf"))
    .arg("-out")
    .arg(dir.join("crl.pem"));
    for s in sigopts {
        cmd.args(["-sigopt", s]);
    }
    run(&mut cmd);
    run(Command::new("openssl")
        .args(["crl", "-outform", "DER", "-in"])
        .arg(dir.join("crl.pem"))
        .arg("-out")
        .arg(dir.join("crl.der")));
    let ca = CaCert::from_pem_or_der(&std::fs::read(dir.join("ca.pem")).unwrap()).unwrap();
    // The PEM form must decode to the same DER.
    let pem = std::fs::read(dir.join("crl.pem")).unwrap();
    let crl = std::fs::read(dir.join("crl.der")).unwrap();
    assert_eq!(der_from_pem_or_der(&pem).unwrap().as_ref(), &crl[..]);
    Made { ca, crl }
}

type EntrySet = BTreeSet<(String, i64, String)>;

fn month(m: &str) -> u8 {
    let names = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    names.iter().position(|n| *n == m).unwrap() as u8 + 1
}

/// "Jan  1 00:00:00 2025 GMT" → Timestamp.
fn openssl_date(s: &str) -> i64 {
    let p: Vec<&str> = s.split_whitespace().collect();
    let hms: Vec<u8> = p[2].split(':').map(|x| x.parse().unwrap()).collect();
    Timestamp::from_utc_fields(
        p[3].parse().unwrap(),
        month(p[0]),
        p[1].parse().unwrap(),
        hms[0],
        hms[1],
        hms[2],
    )
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
    let text = run(Command::new("openssl")
        .args(["crl", "-inform", "DER", "-noout", "-text", "-in"])
        .arg(dir.join("crl.der")));
    let mut set = EntrySet::new();
    let mut cur: Option<(String, i64, String)> = None;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let l = line.trim();
        if let Some(s) = l.strip_prefix("Serial Number: ") {
            if let Some(e) = cur.take() {
                set.insert(e);
            }
            cur = Some((s.to_uppercase(), 0, String::new()));
        } else if let Some(d) = l.strip_prefix("Revocation Date: ") {
            cur.as_mut().unwrap().1 = openssl_date(d);
        } else if l.starts_with("X509v3 CRL Reason Code") {
            let r = lines.next().unwrap().trim();
            cur.as_mut().unwrap().2 = norm_reason(r);
        } else if l.starts_with("Signature Algorithm") && cur.is_some() {
            set.insert(cur.take().unwrap());
        }
    }
    if let Some(e) = cur.take() {
        set.insert(e);
    }
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
    let dir = tempfile::tempdir().unwrap();
    let m = make(dir.path(), &["-newkey", "rsa:2048"], "sha256", &[]);
    check(&m, dir.path(), SignatureAlgorithm::RsaPkcs1Sha256);
}

#[test]
fn rsa_sha384() {
    let dir = tempfile::tempdir().unwrap();
    let m = make(dir.path(), &["-newkey", "rsa:2048"], "sha384", &[]);
    check(&m, dir.path(), SignatureAlgorithm::RsaPkcs1Sha384);
}

#[test]
fn rsa_pss_sha256() {
    let dir = tempfile::tempdir().unwrap();
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
    let dir = tempfile::tempdir().unwrap();
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
    let dir = tempfile::tempdir().unwrap();
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
    let dir = tempfile::tempdir().unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let m = make(dir.path(), &["-newkey", "ed25519"], "default", &[]);
    check(&m, dir.path(), SignatureAlgorithm::Ed25519);
}

#[test]
fn wrong_ca_is_rejected() {
    let d1 = tempfile::tempdir().unwrap();
    let d2 = tempfile::tempdir().unwrap();
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
