//! JPKI-shaped certificates made by `openssl req -x509` (issuer DN set to
//! the JPKI CA's, keyUsage and SAN otherNames from a config file), checked
//! with `kakunin_engine::jpki` and, where OpenSSL prints the value, against
//! `openssl x509 -text`.

use std::path::Path;

use kakunin_engine::docsig::{verify_pkcs1_sha256, DocSigError, MessageRef};
use kakunin_engine::jpki::{basic_facts, classify, BasicFacts, CertKind, Era, JpkiError};
use kakunin_testkit::{openssl_in, openssl_text, rsa_key};
use proptest::prelude::*;

const SIGN_CA: &str =
    "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems";
const SIGN_CA_TEST: &str = "/C=JP/O=JPKI-TEST/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems";
const AUTH_CA: &str = "/C=JP/O=JPKI/OU=JPKI for user authentication/OU=Japan Agency for Local Authority Information Systems";

/// Makes a certificate with issuer = subject = `issuer_dn`, the given
/// keyUsage and SAN otherName lines (`arc;TYPE:value`), and returns
/// (DER, `openssl x509 -text`).
fn make(
    dir: &Path,
    name: &str,
    issuer_dn: &str,
    key_usage: &str,
    san: &[&str],
) -> (Vec<u8>, String) {
    let mut cfg =
        String::from("[req]\ndistinguished_name = dn\nstring_mask = utf8only\n[dn]\n[ext]\n");
    cfg.push_str(&format!("keyUsage = critical,{key_usage}\n"));
    if !san.is_empty() {
        cfg.push_str("subjectAltName = @san\n[san]\n");
        for (i, v) in san.iter().enumerate() {
            cfg.push_str(&format!("otherName.{i} = 1.2.392.200149.8.5.5.{v}\n"));
        }
    }
    let cfg_name = format!("{name}.cnf");
    std::fs::write(dir.join(&cfg_name), cfg).unwrap();
    if !dir.join("key.pem").exists() {
        rsa_key(&dir.join("key.pem"));
    }
    let pem = format!("{name}.pem");
    openssl_in(
        dir,
        &[
            "req",
            "-x509",
            "-new",
            "-key",
            "key.pem",
            "-days",
            "30",
            "-config",
            &cfg_name,
            "-extensions",
            "ext",
            "-subj",
            issuer_dn,
            "-out",
            &pem,
        ],
    );
    let der = openssl_in(dir, &["x509", "-in", &pem, "-outform", "DER"]);
    let text = openssl_text(dir, &["x509", "-in", &pem, "-noout", "-text"]);
    (der, text)
}

const NAME: &str = "山田\u{3000}太郎";
const ADDR: &str = "東京都千代田区霞が関二丁目1番2号\u{3000}301号室";

#[test]
fn signing_certificate_utf8_matches_openssl_text() {
    let dir = kakunin_testkit::tempdir();
    let (der, text) = make(
        dir.path(),
        "utf8",
        SIGN_CA,
        "digitalSignature,nonRepudiation",
        &[
            &format!("1;FORMAT:UTF8,UTF8String:{NAME}"),
            "2;PRINTABLESTRING:1,3",
            "3;PRINTABLESTRING:1",
            "4;PRINTABLESTRING:319850412",
            &format!("5;FORMAT:UTF8,UTF8String:{ADDR}"),
            "6;PRINTABLESTRING:",
        ],
    );
    assert_eq!(classify(&der), CertKind::JpkiSigning);
    let f = basic_facts(&der).unwrap().unwrap();
    // The oracle: OpenSSL prints UTF8String otherNames.
    for (arc, v) in [
        (1, f.name.as_deref().unwrap()),
        (5, f.address.as_deref().unwrap()),
    ] {
        let want = format!("othername: 1.2.392.200149.8.5.5.{arc}::{v}");
        assert!(text.contains(&want), "{want} not in\n{text}");
    }
    assert_eq!(
        f,
        BasicFacts {
            name: Some(NAME.into()),
            name_alt: Some("1,3".into()),
            sex: Some("1".into()),
            birth_date: Some("319850412".into()),
            birth_date_iso: Some("1985-04-12".into()),
            era: Some("昭和".into()),
            address: Some(ADDR.into()),
            address_alt: Some(String::new()),
        }
    );
    assert_eq!(f.sex_label(), Some("male"));
    assert_eq!(f.era_info().map(Era::letter), Some('S'));
}

#[test]
fn signing_certificate_bmp_octet_ia5() {
    let dir = kakunin_testkit::tempdir();
    let (der, _) = make(
        dir.path(),
        "mixed",
        SIGN_CA_TEST,
        "digitalSignature,nonRepudiation",
        &[
            &format!("1;FORMAT:UTF8,BMPSTRING:{NAME}"),
            "3;IA5STRING:2",
            "4;PRINTABLESTRING:420000229",
            &format!("5;OCTETSTRING:{ADDR}"),
        ],
    );
    assert_eq!(classify(&der), CertKind::JpkiSigning);
    let f = basic_facts(&der).unwrap().unwrap();
    assert_eq!(f.name.as_deref(), Some(NAME));
    assert_eq!(f.address.as_deref(), Some(ADDR));
    assert_eq!(f.sex_label(), Some("female"));
    assert_eq!(f.birth_date_iso.as_deref(), Some("2000-02-29"));
    assert_eq!(f.era.as_deref(), Some("平成"));
    assert_eq!((f.name_alt, f.address_alt), (None, None));
}

#[test]
fn authentication_ca_and_lookalikes() {
    let dir = kakunin_testkit::tempdir();
    let d = dir.path();
    let (auth, _) = make(d, "auth", AUTH_CA, "digitalSignature", &[]);
    assert_eq!(classify(&auth), CertKind::JpkiAuthentication);
    assert_eq!(basic_facts(&auth), Ok(None));

    // The CA's own certificate: same issuer DN, but keyCertSign.
    let (ca, _) = make(d, "ca", SIGN_CA, "keyCertSign,cRLSign", &[]);
    assert_eq!(classify(&ca), CertKind::Other);
    // Issuer and keyUsage disagree.
    let (x, _) = make(d, "x1", AUTH_CA, "digitalSignature,nonRepudiation", &[]);
    assert_eq!(classify(&x), CertKind::Other);
    let (x, _) = make(d, "x2", SIGN_CA, "digitalSignature", &[]);
    assert_eq!(classify(&x), CertKind::Other);
    let (x, _) = make(
        d,
        "x3",
        SIGN_CA,
        "digitalSignature,nonRepudiation,keyEncipherment",
        &[],
    );
    assert_eq!(classify(&x), CertKind::Other);
    // A delegated OCSP responder of the authentication CA.
    let (x, _) = make(
        d,
        "x6",
        AUTH_CA,
        "digitalSignature\nextendedKeyUsage = OCSPSigning",
        &[],
    );
    assert_eq!(classify(&x), CertKind::Other);
    // A subordinate CA certificate with leaf keyUsage.
    let (x, _) = make(
        d,
        "x7",
        AUTH_CA,
        "digitalSignature\nbasicConstraints = critical,CA:true",
        &[],
    );
    assert_eq!(classify(&x), CertKind::Other);
    let (x, _) = make(
        d,
        "x8",
        AUTH_CA,
        "digitalSignature\nbasicConstraints = critical,CA:false\nextendedKeyUsage = clientAuth",
        &[],
    );
    assert_eq!(classify(&x), CertKind::JpkiAuthentication);
    // Not JPKI at all.
    let (x, _) = make(
        d,
        "x4",
        "/C=JP/O=Example/OU=JPKI for digital signature",
        "digitalSignature,nonRepudiation",
        &[],
    );
    assert_eq!(classify(&x), CertKind::Other);
    let (x, _) = make(
        d,
        "x5",
        "/C=US/O=JPKI/OU=JPKI for digital signature",
        "digitalSignature,nonRepudiation",
        &[],
    );
    assert_eq!(classify(&x), CertKind::Other);
    // Trailing bytes.
    let mut t = auth.clone();
    t.push(0);
    assert_eq!(classify(&t), CertKind::Other);
    assert!(matches!(basic_facts(&t), Err(JpkiError::Certificate(_))));
}

#[test]
fn bad_values_name_the_oid() {
    let dir = kakunin_testkit::tempdir();
    let (der, _) = make(
        dir.path(),
        "bad",
        SIGN_CA,
        "digitalSignature,nonRepudiation",
        &["4;PRINTABLESTRING:519850412"],
    );
    let e = basic_facts(&der).unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("1.2.392.200149.8.5.5.4") && msg.contains("令和"),
        "{msg}"
    );
}

#[test]
fn document_signature_with_the_signing_certificate() {
    let dir = kakunin_testkit::tempdir();
    let d = dir.path();
    let (der, _) = make(
        d,
        "s",
        SIGN_CA,
        "digitalSignature,nonRepudiation",
        &["3;PRINTABLESTRING:9"],
    );
    std::fs::write(d.join("doc"), "申請書".as_bytes()).unwrap();
    let sig = openssl_in(d, &["dgst", "-sha256", "-sign", "key.pem", "doc"]);
    verify_pkcs1_sha256(&der, &sig, MessageRef::Data("申請書".as_bytes())).unwrap();
    assert_eq!(
        verify_pkcs1_sha256(&der, &sig, MessageRef::Data("申請者".as_bytes())),
        Err(DocSigError::DigestMismatch { message: "data" })
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]
    #[test]
    fn mutated_certificates_never_panic(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        use std::sync::OnceLock;
        static DER: OnceLock<Vec<u8>> = OnceLock::new();
        let der = DER.get_or_init(|| {
            let dir = kakunin_testkit::tempdir();
            make(
                dir.path(),
                "p",
                SIGN_CA,
                "digitalSignature,nonRepudiation",
                &[
                    &format!("1;FORMAT:UTF8,BMPSTRING:{NAME}"),
                    "3;PRINTABLESTRING:1",
                    "4;PRINTABLESTRING:319850412",
                    &format!("5;OCTETSTRING:{ADDR}"),
                ],
            )
            .0
        });
        let mut m = der.clone();
        let i = pos.index(m.len());
        m[i] = byte;
        let _ = classify(&m);
        let _ = basic_facts(&m);
        let n = cut.index(m.len() + 1);
        let _ = classify(&m[..n]);
        let _ = basic_facts(&m[..n]);
    }
}
