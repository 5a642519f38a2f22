//! The CRLs of PyCA's `cryptography-vectors` (PyPI), each with the verdict
//! RFC 5280 gives. Install with `pip install cryptography-vectors`; when the
//! package is missing the test prints a skip notice, and fails under
//! `CI=true` so CI cannot silently skip it.

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::crl::{Crl, CrlError};
use kakunin_engine::CaCert;
use kakunin_testkit::{cryptography_vectors, required_vectors};

/// Parse the header, then walk every entry; first error wins.
fn load(der: &[u8]) -> Result<Crl<'_>, CrlError> {
    let crl = Crl::parse(der)?;
    for e in crl.entries() {
        e?;
    }
    Ok(crl)
}

type Check = fn(&Crl<'_>);
type Reject = fn(&CrlError) -> bool;

enum Want {
    Accept(Check),
    Reject(Reject),
}

fn nothing(_: &Crl<'_>) {}

/// Refused for a missing authorityKeyIdentifier (RFC 5280 §5.2.1). Most
/// of these vectors are v2 CRLs made without one, to exercise something
/// else (IDP scopes, delta indicators, …); the AKI MUST refuses them first,
/// so what they were made for is covered by `crl/tests.rs` and PKITS 4.14
/// and 4.15 instead.
fn no_aki(e: &CrlError) -> bool {
    matches!(e, CrlError::MissingAuthorityKeyId)
}

/// Refused for a thisUpdate before 2050 in GeneralizedTime (RFC 5280
/// §5.1.2.4): these vectors carry `20150101000000Z`, so the entry rules
/// they were made for are not reached (see `crl/tests.rs::entry_rules`).
fn generalized_this_update(e: &CrlError) -> bool {
    matches!(
        e,
        CrlError::GeneralizedTimeBefore2050 {
            field: "thisUpdate",
            ..
        }
    )
}

/// file → what RFC 5280 says (and why).
const TABLE: &[(&str, Want)] = &[
    ("crl_all_reasons.pem", Want::Reject(generalized_this_update)),
    ("crl_almost_10k.pem", Want::Reject(no_aki)),
    (
        "crl_bad_version.pem",
        Want::Reject(|e| matches!(e, CrlError::BadVersion(_))),
    ),
    ("crl_delta_crl_indicator.pem", Want::Reject(no_aki)),
    (
        "crl_dup_entry_ext.pem",
        Want::Reject(generalized_this_update),
    ),
    (
        "crl_empty.pem",
        Want::Reject(
            |e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { oid } if oid == "1.2.840.113549.1.1.5"),
        ),
    ),
    ("crl_empty_no_sequence.der", Want::Reject(no_aki)),
    ("crl_ian_aia_aki.pem", Want::Accept(nothing)),
    ("crl_idp_fullname_indirect_crl.pem", Want::Reject(no_aki)),
    ("crl_idp_fullname_only.pem", Want::Reject(no_aki)),
    ("crl_idp_fullname_only_aa.pem", Want::Reject(no_aki)),
    ("crl_idp_fullname_only_user.pem", Want::Reject(no_aki)),
    ("crl_idp_only_ca.pem", Want::Reject(no_aki)),
    ("crl_idp_reasons_only.pem", Want::Reject(no_aki)),
    (
        "crl_idp_relative_user_all_reasons.pem",
        Want::Reject(no_aki),
    ),
    ("crl_idp_relativename_only.pem", Want::Reject(no_aki)),
    (
        "crl_inner_outer_mismatch.der",
        Want::Reject(|e| matches!(e, CrlError::SignatureAlgorithmMismatch)),
    ),
    (
        "crl_inval_cert_issuer_entry_ext.pem",
        Want::Reject(generalized_this_update),
    ),
    (
        "crl_inval_date_fractional_seconds.der",
        Want::Reject(|e| {
            matches!(
                e,
                CrlError::EntryExtensionsInV1 { index: 0 } | CrlError::BadEntryTime { .. }
            )
        }),
    ),
    (
        "crl_invalid_time.der",
        Want::Reject(|e| {
            matches!(
                e,
                CrlError::BadTime {
                    field: "thisUpdate",
                    ..
                }
            )
        }),
    ),
    (
        "crl_issuer_invalid_printable_string.der",
        Want::Reject(no_aki),
    ),
    (
        "crl_md2_unknown_crit_entry_ext.pem",
        Want::Reject(|e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { .. })),
    ),
    (
        "crl_no_next_update.pem",
        Want::Reject(|e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { .. })),
    ),
    (
        "crl_unsupported_reason.pem",
        Want::Reject(generalized_this_update),
    ),
    ("crl_unrecognized_extension.der", Want::Reject(no_aki)),
    ("valid_signature_crl.pem", Want::Reject(no_aki)),
    ("invalid_signature_crl.pem", Want::Reject(no_aki)),
];

#[test]
fn cryptography_vectors_crls() {
    let Some(dir) = required_vectors("custom", "crl_vectors") else {
        return;
    };
    // Every *crl* file in the directory must be in the table or be a known
    // non-CRL (certificates named after CRL features), so new vectors are
    // not silently ignored.
    let not_crls = [
        "cdp_crl_issuer.pem",
        "cdp_fullname_reasons_crl_issuer.pem",
        "freshestcrl.pem",
    ];
    for f in std::fs::read_dir(&dir).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        if name.contains("crl") && !not_crls.contains(&name.as_str()) {
            assert!(
                TABLE.iter().any(|(n, _)| *n == name),
                "{name} is not in the table"
            );
        }
    }
    for (name, want) in TABLE {
        let bytes = std::fs::read(dir.join(name)).unwrap();
        let der = der_from_pem_or_der(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        match (want, load(&der)) {
            (Want::Accept(check), Ok(crl)) => check(&crl),
            (Want::Reject(ok), Err(e)) => {
                assert!(ok(&e), "{name}: rejected for the wrong reason: {e}")
            }
            (Want::Accept(_), Err(e)) => panic!("{name}: should be accepted, got: {e}"),
            (Want::Reject(_), Ok(_)) => panic!("{name}: should be rejected"),
        }
    }
}

/// The signature vectors are v2 CRLs without an authorityKeyIdentifier,
/// so RFC 5280 §5.2.1 refuses them before their signatures are looked at;
/// CRL signatures are checked against OpenSSL in `crl_openssl.rs` and by
/// PKITS 4.4.4 (InvalidBadCRLSignatureTest4).
#[test]
fn cryptography_vectors_signatures() {
    let Some(dir) = cryptography_vectors("custom") else {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("cryptography-vectors not installed: required when CI=true");
        }
        eprintln!("SKIPPED crl_vectors signatures: cryptography-vectors not installed");
        return;
    };
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    for (cert, crl) in [
        ("valid_signature_cert.pem", "valid_signature_crl.pem"),
        ("invalid_signature_cert.pem", "invalid_signature_crl.pem"),
    ] {
        CaCert::from_pem_or_der(&read(cert)).unwrap();
        let der = der_from_pem_or_der(&read(crl)).unwrap().into_owned();
        let e = Crl::parse(&der).unwrap_err();
        assert!(matches!(e, CrlError::MissingAuthorityKeyId), "{crl}: {e}");
    }
}
