//! Signatures made by `openssl dgst -sha256 -sign` (the oracle), verified
//! in both modes, and every way they can fail.

use std::sync::OnceLock;

use super::*;
use kakunin_testkit::{openssl_in, rsa_key};
use proptest::prelude::*;

struct Fixture {
    _dir: tempfile::TempDir,
    data: Vec<u8>,
    sig: Vec<u8>,
    sig_sha1: Vec<u8>,
    sig_other_key: Vec<u8>,
    sig_sha384: Vec<u8>,
    sig_sha512: Vec<u8>,
    spki_der: Vec<u8>,
    spki_pem: Vec<u8>,
    cert_der: Vec<u8>,
    cert_pem: Vec<u8>,
    ec_spki_der: Vec<u8>,
    small_spki_der: Vec<u8>,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let data = "契約書 v1: 山田太郎は…に同意する\n"
            .repeat(100)
            .into_bytes();
        std::fs::write(d.join("doc.txt"), &data).unwrap();
        for k in ["key.pem", "other.pem"] {
            rsa_key(&d.join(k));
        }
        openssl_in(
            d,
            &[
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-out",
                "ec.pem",
            ],
        );
        openssl_in(
            d,
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:1024",
                "-out",
                "small.pem",
            ],
        );
        let sign = |key: &str, md: &str, out: &str| {
            openssl_in(d, &["dgst", md, "-sign", key, "-out", out, "doc.txt"]);
            std::fs::read(d.join(out)).unwrap()
        };
        let sig = sign("key.pem", "-sha256", "sig");
        let sig_sha1 = sign("key.pem", "-sha1", "sig1");
        let sig_other_key = sign("other.pem", "-sha256", "sig2");
        let sig_sha384 = sign("key.pem", "-sha384", "sig384");
        let sig_sha512 = sign("key.pem", "-sha512", "sig512");
        openssl_in(
            d,
            &[
                "pkey", "-in", "key.pem", "-pubout", "-outform", "DER", "-out", "pub.der",
            ],
        );
        openssl_in(d, &["pkey", "-in", "key.pem", "-pubout", "-out", "pub.pem"]);
        openssl_in(
            d,
            &[
                "pkey", "-in", "ec.pem", "-pubout", "-outform", "DER", "-out", "ec.der",
            ],
        );
        openssl_in(
            d,
            &[
                "pkey",
                "-in",
                "small.pem",
                "-pubout",
                "-outform",
                "DER",
                "-out",
                "small.der",
            ],
        );
        openssl_in(
            d,
            &[
                "req",
                "-x509",
                "-new",
                "-key",
                "key.pem",
                "-days",
                "30",
                "-subj",
                "/C=JP/CN=signer",
                "-out",
                "cert.pem",
            ],
        );
        openssl_in(
            d,
            &[
                "x509", "-in", "cert.pem", "-outform", "DER", "-out", "cert.der",
            ],
        );
        let rd = |n: &str| std::fs::read(d.join(n)).unwrap();
        Fixture {
            data,
            sig,
            sig_sha1,
            sig_other_key,
            sig_sha384,
            sig_sha512,
            spki_der: rd("pub.der"),
            spki_pem: rd("pub.pem"),
            cert_der: rd("cert.der"),
            cert_pem: rd("cert.pem"),
            ec_spki_der: rd("ec.der"),
            small_spki_der: rd("small.der"),
            _dir: dir,
        }
    })
}

fn sha256(b: &[u8]) -> [u8; 32] {
    MessageRef::Data(b).digest()
}

#[test]
fn verifies_data_and_digest_with_every_key_form() {
    let f = fixture();
    let digest = sha256(&f.data);
    for key in [&f.spki_der, &f.spki_pem, &f.cert_der, &f.cert_pem] {
        verify_pkcs1_sha256(key, &f.sig, MessageRef::Data(&f.data)).unwrap();
        verify_pkcs1_sha256(key, &f.sig, MessageRef::Digest(digest)).unwrap();
    }
}

#[test]
fn wrong_data_or_digest_is_a_digest_mismatch() {
    let f = fixture();
    let mut other = f.data.clone();
    other[0] ^= 1;
    assert_eq!(
        verify_pkcs1_sha256(&f.cert_der, &f.sig, MessageRef::Data(&other)),
        Err(DocSigError::DigestMismatch { message: "data" })
    );
    let mut digest = sha256(&f.data);
    digest[31] ^= 0x80;
    assert_eq!(
        verify_pkcs1_sha256(&f.cert_der, &f.sig, MessageRef::Digest(digest)),
        Err(DocSigError::DigestMismatch { message: "digest" })
    );
}

#[test]
fn truncated_or_long_signature_is_a_length_error() {
    let f = fixture();
    let m = MessageRef::Data(&f.data);
    assert_eq!(
        verify_pkcs1_sha256(&f.spki_der, &f.sig[..255], m),
        Err(DocSigError::SignatureLength {
            expected: 256,
            found: 255,
            bits: 2048
        })
    );
    let mut long = f.sig.clone();
    long.push(0);
    assert!(matches!(
        verify_pkcs1_sha256(&f.spki_der, &long, m),
        Err(DocSigError::SignatureLength { found: 257, .. })
    ));
    assert!(matches!(
        verify_pkcs1_sha256(&f.spki_der, &[], m),
        Err(DocSigError::SignatureLength { found: 0, .. })
    ));
}

#[test]
fn another_key_or_corruption_is_wrong_key() {
    let f = fixture();
    let m = MessageRef::Data(&f.data);
    assert!(matches!(
        verify_pkcs1_sha256(&f.spki_der, &f.sig_other_key, m),
        Err(DocSigError::WrongKeyOrCorrupt(_))
    ));
    let mut flipped = f.sig.clone();
    flipped[100] ^= 0x01;
    assert!(matches!(
        verify_pkcs1_sha256(&f.spki_der, &flipped, m),
        Err(DocSigError::WrongKeyOrCorrupt(_))
    ));
    // s ≥ n
    assert!(matches!(
        verify_pkcs1_sha256(&f.spki_der, &[0xFF; 256], m),
        Err(DocSigError::WrongKeyOrCorrupt(_))
    ));
}

#[test]
fn sha1_signature_names_the_hash() {
    let f = fixture();
    assert_eq!(
        verify_pkcs1_sha256(&f.spki_der, &f.sig_sha1, MessageRef::Data(&f.data)),
        Err(DocSigError::WrongHashAlgorithm("SHA-1".into()))
    );
}

#[test]
fn non_rsa_and_garbage_keys() {
    let f = fixture();
    let m = MessageRef::Data(&f.data);
    assert_eq!(
        verify_pkcs1_sha256(&f.ec_spki_der, &f.sig, m),
        Err(DocSigError::NotRsa("1.2.840.10045.2.1".into()))
    );
    assert_eq!(
        verify_pkcs1_sha256(&f.small_spki_der, &f.sig[..128], m),
        Err(DocSigError::KeyTooSmall(1024))
    );
    for junk in [&b""[..], b"hello", &[0x30, 0x00], &f.spki_der[..40]] {
        assert!(
            matches!(
                verify_pkcs1_sha256(junk, &f.sig, m),
                Err(DocSigError::KeyInput(_))
            ),
            "{junk:?}"
        );
    }
    let mut trailing = f.spki_der.clone();
    trailing.push(0);
    assert!(matches!(
        verify_pkcs1_sha256(&trailing, &f.sig, m),
        Err(DocSigError::KeyInput(_))
    ));
}

#[test]
fn errors_are_distinct() {
    let f = fixture();
    let m = MessageRef::Data(&f.data);
    let errs = [
        verify_pkcs1_sha256(&f.spki_der, &f.sig, MessageRef::Data(b"other")),
        verify_pkcs1_sha256(&f.spki_der, &f.sig, MessageRef::Digest([0; 32])),
        verify_pkcs1_sha256(&f.spki_der, &f.sig[1..], m),
        verify_pkcs1_sha256(&f.spki_der, &f.sig_other_key, m),
        verify_pkcs1_sha256(&f.ec_spki_der, &f.sig, m),
        verify_pkcs1_sha256(&f.spki_der, &f.sig_sha1, m),
        verify_pkcs1_sha256(&f.small_spki_der, &f.sig, m),
    ];
    let msgs: std::collections::BTreeSet<String> = errs
        .iter()
        .map(|e| e.clone().unwrap_err().to_string())
        .collect();
    assert_eq!(msgs.len(), errs.len(), "{msgs:#?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn random_signatures_and_keys_never_panic(
        sig in proptest::collection::vec(any::<u8>(), 256..=256),
        key in proptest::collection::vec(any::<u8>(), 0..300),
    ) {
        let f = fixture();
        prop_assert!(verify_pkcs1_sha256(&f.spki_der, &sig, MessageRef::Digest([7; 32])).is_err());
        prop_assert!(verify_pkcs1_sha256(&key, &sig, MessageRef::Data(b"x")).is_err());
    }
}

/// `openssl dgst -sha384/-sha512 -sign` signatures verify over the
/// DigestInfo of the document's digest, and over no other.
#[test]
fn digest_info_signatures_of_every_accepted_hash() {
    use ring::digest::{digest, SHA256, SHA384, SHA512};
    let f = fixture();
    let cases = [
        (DigestAlgorithm::Sha256, &SHA256, &f.sig),
        (DigestAlgorithm::Sha384, &SHA384, &f.sig_sha384),
        (DigestAlgorithm::Sha512, &SHA512, &f.sig_sha512),
    ];
    for (alg, md, sig) in cases {
        let di = DigestInfo::new(alg, digest(md, &f.data).as_ref()).unwrap();
        verify_pkcs1_digest_info(&f.cert_der, sig, &di)
            .unwrap_or_else(|e| panic!("{}: {e}", alg.name()));
        let other = DigestInfo::new(alg, digest(md, b"another document").as_ref()).unwrap();
        assert!(verify_pkcs1_digest_info(&f.cert_der, sig, &other).is_err());
        assert!(verify_pkcs1_digest_info(&f.cert_der, &f.sig_other_key, &di).is_err());
    }
    // A SHA-384 signature is not one over the SHA-512 DigestInfo.
    let di = DigestInfo::new(DigestAlgorithm::Sha512, digest(&SHA512, &f.data).as_ref()).unwrap();
    assert!(verify_pkcs1_digest_info(&f.cert_der, &f.sig_sha384, &di).is_err());
}
