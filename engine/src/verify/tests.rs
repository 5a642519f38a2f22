use std::sync::OnceLock;

use proptest::prelude::*;
use x509_parser::prelude::{FromDer, X509Certificate};

use super::*;
use crate::crypto::sha256;

/// A self-signed RSA CA made by OpenSSL, used as anchor and as "leaf".
fn fixture() -> &'static (Vec<u8>, Verifier) {
    static F: OnceLock<(Vec<u8>, Verifier)> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let (der, _) = crate::ca::tests::openssl_ca(
            dir.path(),
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &["-addext", "subjectAltName=DNS:example.test"],
        );
        let v = VerifierBuilder::new()
            .trust_anchor_der(&der)
            .unwrap()
            .build()
            .unwrap();
        (der, v)
    })
}

#[test]
fn verifier_is_send_and_sync() {
    fn assert<T: Send + Sync>() {}
    assert::<Verifier>();
    assert::<Verdict>();
}

#[test]
fn check_names_are_stable() {
    let all = [
        (Check::Malformed, "malformed"),
        (Check::UnsupportedAlgorithm, "unsupported_algorithm"),
        (Check::Signature, "signature"),
        (Check::NoPath, "no_path"),
        (Check::Expired, "expired"),
        (Check::NotYetValid, "not_yet_valid"),
        (Check::BasicConstraints, "basic_constraints"),
        (Check::PathLen, "path_len"),
        (Check::KeyUsage, "key_usage"),
        (
            Check::UnknownCriticalExtension,
            "unknown_critical_extension",
        ),
        (
            Check::NameConstraintsUnsupported,
            "name_constraints_unsupported",
        ),
        (Check::NameChaining, "name_chaining"),
    ];
    for (c, name) in all {
        assert_eq!(c.to_string(), name);
    }
}

#[test]
fn parser_agrees_with_x509_parser() {
    let (der, _) = fixture();
    let ours = crate::cert::Cert::parse(der).unwrap();
    let (_, theirs) = X509Certificate::from_der(der).unwrap();
    assert_eq!(ours.serial.as_der_content(), theirs.raw_serial());
    assert_eq!(ours.issuer, theirs.issuer().as_raw());
    assert_eq!(ours.subject, theirs.subject().as_raw());
    assert_eq!(
        ours.not_before.unix(),
        theirs.validity().not_before.timestamp()
    );
    assert_eq!(
        ours.not_after.unix(),
        theirs.validity().not_after.timestamp()
    );
    assert_eq!(ours.tbs, theirs.tbs_certificate.as_ref());
    assert!(ours.is_ca());
    let bc = theirs.basic_constraints().unwrap().unwrap().value;
    assert_eq!(
        ours.ext.basic,
        Some((bc.ca, bc.path_len_constraint.map(u64::from)))
    );
    assert!(ours.ext.ski.is_some());
    assert_eq!(
        crate::name::name_to_string(ours.subject).unwrap(),
        "C=JP, O=JPKI, OU=JPKI for digital signature, CN=Test CA"
    );
}

#[test]
fn anchor_as_leaf_without_crl_is_unknown_and_garbage_is_malformed() {
    let (der, v) = fixture();
    let at = Timestamp::now();
    let verdict = v.verify(der, at);
    assert!(
        matches!(verdict.status, Status::Unknown { .. }),
        "{:?}",
        verdict.status
    );
    assert_eq!(verdict.path.len(), 2);
    assert_eq!(verdict.path[0].sha256, None);
    assert_eq!(verdict.path[1].sha256, Some(sha256(der)));
    // Far in the future: expired wins over the missing CRL.
    let later = Timestamp::from_unix(at.unix() + 400 * 86_400);
    assert!(matches!(
        v.verify(der, later).status,
        Status::Invalid {
            check: Check::Expired,
            ..
        }
    ));
    for bad in [&b""[..], b"\x30\x00", b"hello"] {
        let r = v.verify(bad, at);
        assert!(matches!(
            r.status,
            Status::Invalid {
                check: Check::Malformed,
                ..
            }
        ));
        assert!(r.serial.is_none());
    }
    // One flipped bit in the signature.
    let mut tampered = der.clone();
    let n = tampered.len();
    tampered[n - 5] ^= 1;
    assert!(matches!(
        v.verify(&tampered, at).status,
        Status::Invalid {
            check: Check::Signature,
            ..
        }
    ));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        let (_, v) = fixture();
        let r = v.verify(&data, Timestamp::now());
        prop_assert!(r.status != Status::Valid);
    }

    #[test]
    fn never_panics_on_mutated_certificates(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let (der, v) = fixture();
        let mut m = der.clone();
        for (i, x) in flips {
            let i = i.index(m.len());
            m[i] ^= x | 1;
        }
        if truncate {
            m.truncate(cut.index(m.len()));
        }
        let r = v.verify(&m, Timestamp::now());
        prop_assert!(r.status != Status::Valid);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Batch mode gives `verify`'s verdicts, in order, whatever the mix of
    /// intact certificates (whose signatures go through the batch path),
    /// certificates with a flipped byte (most in the signature or TBS) and
    /// garbage.
    #[test]
    fn batch_equals_one_by_one(
        kinds in proptest::collection::vec((0u8..3, any::<prop::sample::Index>(), 1u8..=255), 0..40),
    ) {
        let (der, v) = fixture();
        let certs: Vec<Vec<u8>> = kinds
            .iter()
            .map(|(kind, at, x)| match kind {
                0 => der.clone(),
                1 => {
                    let mut m = der.clone();
                    let i = at.index(m.len());
                    m[i] ^= x;
                    m
                }
                _ => vec![*x; at.index(50)],
            })
            .collect();
        let at = Timestamp::now();
        let batch = v.verify_batch(&certs, at);
        prop_assert_eq!(batch.len(), certs.len());
        for (c, b) in certs.iter().zip(&batch) {
            prop_assert_eq!(b, &v.verify(c, at));
        }
    }
}
