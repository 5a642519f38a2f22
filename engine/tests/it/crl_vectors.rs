//! The CRLs of PyCA's `cryptography-vectors` (PyPI), each with the verdict
//! RFC 5280 gives. Install with `pip install cryptography-vectors`; when the
//! package is missing the test prints a skip notice, and fails under
//! `CI=true` so CI cannot silently skip it.

use kakunin_engine::crl::der_from_pem_or_der;
use kakunin_engine::{CaCert, Crl, CrlError, CrlNumber, ReasonFlags};
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

/// file → what RFC 5280 says (and why).
const TABLE: &[(&str, Want)] = &[
    // certificateIssuer entry extensions = indirect CRL (§5.3.3): unsupported.
    (
        "crl_all_reasons.pem",
        Want::Reject(|e| matches!(e, CrlError::IndirectCrlUnsupported { .. })),
    ),
    (
        "crl_almost_10k.pem",
        Want::Accept(|c| assert_eq!(c.entries().count(), 9999)),
    ),
    // version INTEGER 2 (§5.1.2.1).
    (
        "crl_bad_version.pem",
        Want::Reject(|e| matches!(e, CrlError::BadVersion(_))),
    ),
    // Delta CRL (§5.2.4): accepted as a delta, never as a complete CRL.
    (
        "crl_delta_crl_indicator.pem",
        Want::Accept(|c| {
            assert_eq!(c.delta_base().unwrap().to_string(), "12345678901234567890");
            assert_eq!(c.number().unwrap().to_string(), "12345678901234567891");
            assert!(c.delta_base().unwrap() < c.number().unwrap());
            let _ = CrlNumber::from_u64(0);
        }),
    ),
    // reasonCode twice in one entry (§4.2: an extension at most once).
    (
        "crl_dup_entry_ext.pem",
        Want::Reject(|e| matches!(e, CrlError::DuplicateEntryExtension { .. })),
    ),
    // sha1WithRSAEncryption: refused by policy.
    (
        "crl_empty.pem",
        Want::Reject(
            |e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { oid } if oid == "1.2.840.113549.1.1.5"),
        ),
    ),
    (
        "crl_empty_no_sequence.der",
        Want::Accept(|c| {
            assert_eq!(c.entries().count(), 0);
            assert_eq!(c.entries_len_bytes(), 0);
        }),
    ),
    // AKI, issuerAltName, authorityInfoAccess: all known, non-critical.
    ("crl_ian_aia_aki.pem", Want::Accept(nothing)),
    (
        "crl_idp_fullname_indirect_crl.pem",
        Want::Accept(|c| {
            assert!(c.scope().indirect && c.scope().partitioned);
        }),
    ),
    (
        "crl_idp_fullname_only.pem",
        Want::Accept(|c| {
            assert!(c.scope().partitioned);
            assert!(!c.scope().only_user_certs && !c.scope().only_ca_certs && !c.scope().indirect);
        }),
    ),
    (
        "crl_idp_fullname_only_aa.pem",
        Want::Accept(|c| assert!(c.scope().only_attribute_certs)),
    ),
    (
        "crl_idp_fullname_only_user.pem",
        Want::Accept(|c| assert!(c.scope().only_user_certs)),
    ),
    (
        "crl_idp_only_ca.pem",
        Want::Accept(|c| assert!(c.scope().only_ca_certs)),
    ),
    (
        "crl_idp_reasons_only.pem",
        Want::Accept(|c| {
            assert_eq!(
                c.scope().only_some_reasons,
                Some(ReasonFlags::from_bits(1 << 1))
            )
        }),
    ),
    // All ReasonFlags bits 1..=8 (keyCompromise … aACompromise).
    (
        "crl_idp_relative_user_all_reasons.pem",
        Want::Accept(|c| {
            assert_eq!(
                c.scope().only_some_reasons,
                Some(ReasonFlags::from_bits(0x1FE))
            );
            assert!(c.scope().only_user_certs);
        }),
    ),
    (
        "crl_idp_relativename_only.pem",
        Want::Accept(|c| assert!(c.scope().partitioned)),
    ),
    // Outer signatureAlgorithm ≠ tbsCertList.signature (§5.1.1.2).
    (
        "crl_inner_outer_mismatch.der",
        Want::Reject(|e| matches!(e, CrlError::SignatureAlgorithmMismatch)),
    ),
    // certificateIssuer (empty) in an entry: indirect CRL, refused.
    (
        "crl_inval_cert_issuer_entry_ext.pem",
        Want::Reject(|e| matches!(e, CrlError::IndirectCrlUnsupported { .. })),
    ),
    // v1 CRL with an entry extension (§5.1.2.1) — and the invalidityDate
    // has a fraction (§4.1.2.5.2); the v1 rule fires first.
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
    // The issuer has a PrintableString with characters outside its set.
    // That is an ASN.1 string-type violation inside Name, which we keep as
    // opaque bytes (compared byte-exactly first, §7.1); RFC 5280 does not
    // ask a CRL reader to reject it, so the CRL is accepted.
    (
        "crl_issuer_invalid_printable_string.der",
        Want::Accept(|c| assert_eq!(c.entries().count(), 1)),
    ),
    // md2WithRSAEncryption: unsupported (and would also hit the unknown
    // critical entry extension 1.2.3.4 if it were supported).
    (
        "crl_md2_unknown_crit_entry_ext.pem",
        Want::Reject(|e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { .. })),
    ),
    (
        "crl_no_next_update.pem",
        Want::Reject(|e| matches!(e, CrlError::UnsupportedSignatureAlgorithm { .. })),
    ),
    // reasonCode outside CRLReason (§5.3.1).
    (
        "crl_unsupported_reason.pem",
        Want::Reject(|e| matches!(e, CrlError::BadReasonCode { .. })),
    ),
    // Unknown *non-critical* extension 1.2.3.4.5: ignored (§5.2).
    ("crl_unrecognized_extension.der", Want::Accept(nothing)),
    ("valid_signature_crl.pem", Want::Accept(nothing)),
    ("invalid_signature_crl.pem", Want::Accept(nothing)),
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
    let ca = CaCert::from_pem_or_der(&read("valid_signature_cert.pem")).unwrap();
    let der = der_from_pem_or_der(&read("valid_signature_crl.pem"))
        .unwrap()
        .into_owned();
    let crl = Crl::parse(&der).unwrap();
    crl.check_issued_by(&ca).unwrap();
    crl.verify_signature(&ca).unwrap();

    // Same issuer name, but the signature does not verify with this CA.
    let ca = CaCert::from_pem_or_der(&read("invalid_signature_cert.pem")).unwrap();
    let der = der_from_pem_or_der(&read("invalid_signature_crl.pem"))
        .unwrap()
        .into_owned();
    let crl = Crl::parse(&der).unwrap();
    crl.check_issued_by(&ca).unwrap();
    let e = crl.verify_signature(&ca).unwrap_err();
    assert!(matches!(e, CrlError::BadSignature(_)), "{e}");
}
