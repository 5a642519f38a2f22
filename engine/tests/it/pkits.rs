//! NIST PKITS (Public Key Interoperability Test Suite, the RFC 5280 path
//! validation conformance suite, 2011 edition) from PyCA's
//! `cryptography-vectors` (PyPI: `pip install cryptography-vectors`).
//! When the package is missing the test prints a skip notice, and fails
//! under `CI=true` so CI cannot silently skip it.
//!
//! # Scope
//!
//! The sections a CRL-checking path verifier must get right:
//! 4.1 signature verification, 4.2 validity periods, 4.3 name chaining,
//! 4.4 basic certificate revocation, 4.5 self-issued certificates,
//! 4.6 basic constraints, 4.7 key usage, 4.14 distribution points,
//! 4.15 delta CRLs, 4.16 private certificate extensions.
//!
//! Deliberately **not** run: 4.8–4.12 (certificate policies, policy
//! mappings, requireExplicitPolicy, inhibitPolicyMapping, inhibitAnyPolicy —
//! kakunin does no policy processing; JPKI relying parties check the leaf's
//! policy themselves) and 4.13 (name constraints — the verifier fails
//! closed on any nameConstraints extension, so every "Valid" case there
//! would be a known gap and every "Invalid" one a trivial pass).
//!
//! # Oracle
//!
//! Each case is the path PKITS.pdf lists: the trust anchor
//! (`TrustAnchorRootCertificate` + `TrustAnchorRootCRL`), the intermediate
//! certificates and CRLs of the path, and the end entity, validated at a
//! fixed time inside every PKITS validity period. Every certificate of the
//! path is given as an intermediate and every CRL through
//! [`VerifierBuilder::crl`], as `kakunin verify` gives them. A CRL or
//! certificate that the builder refuses (bad signature, wrong issuer,
//! unknown critical extension, issuer without cRLSign …) is set aside by
//! the builder itself and noted in the output.
//!
//! Expected results come from PKITS (and the `Valid…`/`Invalid…` prefix of
//! the end-entity file name): "Valid" → `Status::Valid`; "Invalid" → any
//! other status, and `Revoked` where the reason PKITS gives is revocation.
//! Where we fail closed on a case PKITS calls Valid, the case is in
//! [`KNOWN_GAPS`] with the status we give, and the test asserts exactly that
//! status, so a change in behaviour (better or worse) shows up.
//!
//! Every case is also run through
//! `openssl verify -crl_check_all -use_deltas -extended_crl -CAfile …
//! -untrusted … -CRLfile … -attime T`, with the mapping of `verify_openssl.rs`; where
//! OpenSSL's answer differs from ours the case is in [`OPENSSL_DIFFERS`]
//! with the reason.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::Timestamp;
use kakunin_testkit::{
    cryptography_vectors, openssl_available, openssl_kind, openssl_verify, pem_of,
    required_vectors, Kind,
};

use crate::common::kind_of;

/// Validation time: 2025-01-01T00:00:00Z, inside every PKITS 2011
/// certificate's and CRL's validity period (2010–2030) unless the test is
/// about that period.
const AT: i64 = 1_735_689_600;

/// What PKITS expects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// "Valid": the path validates.
    Valid,
    /// "Invalid" because a certificate on the path is revoked.
    Revoked,
    /// "Invalid" for any other reason (or status undeterminable).
    Invalid,
}

/// One PKITS test: section number, intermediates (top down, without the
/// trust anchor), CRLs (without the trust anchor's), end entity, verdict.
struct Case {
    id: &'static str,
    certs: &'static [&'static str],
    crls: &'static [&'static str],
    ee: &'static str,
    want: Want,
}

const fn case(
    id: &'static str,
    certs: &'static [&'static str],
    crls: &'static [&'static str],
    ee: &'static str,
    want: Want,
) -> Case {
    Case {
        id,
        certs,
        crls,
        ee,
        want,
    }
}

use Want::{Invalid as I, Revoked as R, Valid as V};

const GOOD: &[&str] = &["GoodCACert"];
const GOOD_CRL: &[&str] = &["GoodCACRL"];
const NO: &[&str] = &[];

/// PKITS.pdf §4.1–4.7, 4.14–4.16. Certificate and CRL names are the file
/// names without `.crt` / `.crl`.
const CASES: &[Case] = &[
    // 4.1 Signature Verification
    case("4.1.1", GOOD, GOOD_CRL, "ValidCertificatePathTest1EE", V),
    case(
        "4.1.2",
        &["BadSignedCACert"],
        &["BadSignedCACRL"],
        "InvalidCASignatureTest2EE",
        I,
    ),
    case("4.1.3", GOOD, GOOD_CRL, "InvalidEESignatureTest3EE", I),
    case(
        "4.1.4",
        &["DSACACert"],
        &["DSACACRL"],
        "ValidDSASignaturesTest4EE",
        V,
    ),
    case(
        "4.1.5",
        &["DSACACert", "DSAParametersInheritedCACert"],
        &["DSACACRL", "DSAParametersInheritedCACRL"],
        "ValidDSAParameterInheritanceTest5EE",
        V,
    ),
    case(
        "4.1.6",
        &["DSACACert"],
        &["DSACACRL"],
        "InvalidDSASignatureTest6EE",
        I,
    ),
    // 4.2 Validity Periods
    case(
        "4.2.1",
        &["BadnotBeforeDateCACert"],
        &["BadnotBeforeDateCACRL"],
        "InvalidCAnotBeforeDateTest1EE",
        I,
    ),
    case("4.2.2", GOOD, GOOD_CRL, "InvalidEEnotBeforeDateTest2EE", I),
    case(
        "4.2.3",
        GOOD,
        GOOD_CRL,
        "Validpre2000UTCnotBeforeDateTest3EE",
        V,
    ),
    case(
        "4.2.4",
        GOOD,
        GOOD_CRL,
        "ValidGeneralizedTimenotBeforeDateTest4EE",
        V,
    ),
    case(
        "4.2.5",
        &["BadnotAfterDateCACert"],
        &["BadnotAfterDateCACRL"],
        "InvalidCAnotAfterDateTest5EE",
        I,
    ),
    case("4.2.6", GOOD, GOOD_CRL, "InvalidEEnotAfterDateTest6EE", I),
    case(
        "4.2.7",
        GOOD,
        GOOD_CRL,
        "Invalidpre2000UTCEEnotAfterDateTest7EE",
        I,
    ),
    case(
        "4.2.8",
        GOOD,
        GOOD_CRL,
        "ValidGeneralizedTimenotAfterDateTest8EE",
        V,
    ),
    // 4.3 Verifying Name Chaining
    case("4.3.1", GOOD, GOOD_CRL, "InvalidNameChainingTest1EE", I),
    case(
        "4.3.2",
        &["NameOrderingCACert"],
        &["NameOrderCACRL"],
        "InvalidNameChainingOrderTest2EE",
        I,
    ),
    case(
        "4.3.3",
        GOOD,
        GOOD_CRL,
        "ValidNameChainingWhitespaceTest3EE",
        V,
    ),
    case(
        "4.3.4",
        GOOD,
        GOOD_CRL,
        "ValidNameChainingWhitespaceTest4EE",
        V,
    ),
    case(
        "4.3.5",
        GOOD,
        GOOD_CRL,
        "ValidNameChainingCapitalizationTest5EE",
        V,
    ),
    case(
        "4.3.6",
        &["UIDCACert"],
        &["UIDCACRL"],
        "ValidNameUIDsTest6EE",
        V,
    ),
    case(
        "4.3.7",
        &["RFC3280MandatoryAttributeTypesCACert"],
        &["RFC3280MandatoryAttributeTypesCACRL"],
        "ValidRFC3280MandatoryAttributeTypesTest7EE",
        V,
    ),
    case(
        "4.3.8",
        &["RFC3280OptionalAttributeTypesCACert"],
        &["RFC3280OptionalAttributeTypesCACRL"],
        "ValidRFC3280OptionalAttributeTypesTest8EE",
        V,
    ),
    case(
        "4.3.9",
        &["UTF8StringEncodedNamesCACert"],
        &["UTF8StringEncodedNamesCACRL"],
        "ValidUTF8StringEncodedNamesTest9EE",
        V,
    ),
    case(
        "4.3.10",
        &["RolloverfromPrintableStringtoUTF8StringCACert"],
        &["RolloverfromPrintableStringtoUTF8StringCACRL"],
        "ValidRolloverfromPrintableStringtoUTF8StringTest10EE",
        V,
    ),
    case(
        "4.3.11",
        &["UTF8StringCaseInsensitiveMatchCACert"],
        &["UTF8StringCaseInsensitiveMatchCACRL"],
        "ValidUTF8StringCaseInsensitiveMatchTest11EE",
        V,
    ),
    // 4.4 Basic Certificate Revocation Tests
    case("4.4.1", &["NoCRLCACert"], NO, "InvalidMissingCRLTest1EE", I),
    case(
        "4.4.2",
        &["GoodCACert", "RevokedsubCACert"],
        &["GoodCACRL", "RevokedsubCACRL"],
        "InvalidRevokedCATest2EE",
        R,
    ),
    case("4.4.3", GOOD, GOOD_CRL, "InvalidRevokedEETest3EE", R),
    case(
        "4.4.4",
        &["BadCRLSignatureCACert"],
        &["BadCRLSignatureCACRL"],
        "InvalidBadCRLSignatureTest4EE",
        I,
    ),
    case(
        "4.4.5",
        &["BadCRLIssuerNameCACert"],
        &["BadCRLIssuerNameCACRL"],
        "InvalidBadCRLIssuerNameTest5EE",
        I,
    ),
    case(
        "4.4.6",
        &["WrongCRLCACert"],
        &["WrongCRLCACRL"],
        "InvalidWrongCRLTest6EE",
        I,
    ),
    case(
        "4.4.7",
        &["TwoCRLsCACert"],
        &["TwoCRLsCAGoodCRL", "TwoCRLsCABadCRL"],
        "ValidTwoCRLsTest7EE",
        V,
    ),
    case(
        "4.4.8",
        &["UnknownCRLEntryExtensionCACert"],
        &["UnknownCRLEntryExtensionCACRL"],
        "InvalidUnknownCRLEntryExtensionTest8EE",
        I,
    ),
    case(
        "4.4.9",
        &["UnknownCRLExtensionCACert"],
        &["UnknownCRLExtensionCACRL"],
        "InvalidUnknownCRLExtensionTest9EE",
        I,
    ),
    case(
        "4.4.10",
        &["UnknownCRLExtensionCACert"],
        &["UnknownCRLExtensionCACRL"],
        "InvalidUnknownCRLExtensionTest10EE",
        I,
    ),
    case(
        "4.4.11",
        &["OldCRLnextUpdateCACert"],
        &["OldCRLnextUpdateCACRL"],
        "InvalidOldCRLnextUpdateTest11EE",
        I,
    ),
    case(
        "4.4.12",
        &["pre2000CRLnextUpdateCACert"],
        &["pre2000CRLnextUpdateCACRL"],
        "Invalidpre2000CRLnextUpdateTest12EE",
        I,
    ),
    case(
        "4.4.13",
        &["GeneralizedTimeCRLnextUpdateCACert"],
        &["GeneralizedTimeCRLnextUpdateCACRL"],
        "ValidGeneralizedTimeCRLnextUpdateTest13EE",
        V,
    ),
    case(
        "4.4.14",
        &["NegativeSerialNumberCACert"],
        &["NegativeSerialNumberCACRL"],
        "ValidNegativeSerialNumberTest14EE",
        V,
    ),
    case(
        "4.4.15",
        &["NegativeSerialNumberCACert"],
        &["NegativeSerialNumberCACRL"],
        "InvalidNegativeSerialNumberTest15EE",
        R,
    ),
    case(
        "4.4.16",
        &["LongSerialNumberCACert"],
        &["LongSerialNumberCACRL"],
        "ValidLongSerialNumberTest16EE",
        V,
    ),
    case(
        "4.4.17",
        &["LongSerialNumberCACert"],
        &["LongSerialNumberCACRL"],
        "ValidLongSerialNumberTest17EE",
        V,
    ),
    case(
        "4.4.18",
        &["LongSerialNumberCACert"],
        &["LongSerialNumberCACRL"],
        "InvalidLongSerialNumberTest18EE",
        R,
    ),
    case(
        "4.4.19",
        &[
            "SeparateCertificateandCRLKeysCertificateSigningCACert",
            "SeparateCertificateandCRLKeysCRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCRL"],
        "ValidSeparateCertificateandCRLKeysTest19EE",
        V,
    ),
    case(
        "4.4.20",
        &[
            "SeparateCertificateandCRLKeysCertificateSigningCACert",
            "SeparateCertificateandCRLKeysCRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCRL"],
        "InvalidSeparateCertificateandCRLKeysTest20EE",
        R,
    ),
    // The CRL signing certificate is revoked by the trust anchor's CRL:
    // the status of the EE cannot be determined.
    case(
        "4.4.21",
        &[
            "SeparateCertificateandCRLKeysCA2CertificateSigningCACert",
            "SeparateCertificateandCRLKeysCA2CRLSigningCert",
        ],
        &["SeparateCertificateandCRLKeysCA2CRL"],
        "InvalidSeparateCertificateandCRLKeysTest21EE",
        I,
    ),
    // 4.5 Verifying Paths with Self-Issued Certificates
    case(
        "4.5.1",
        &[
            "BasicSelfIssuedNewKeyCACert",
            "BasicSelfIssuedNewKeyOldWithNewCACert",
        ],
        &["BasicSelfIssuedNewKeyCACRL"],
        "ValidBasicSelfIssuedOldWithNewTest1EE",
        V,
    ),
    case(
        "4.5.2",
        &[
            "BasicSelfIssuedNewKeyCACert",
            "BasicSelfIssuedNewKeyOldWithNewCACert",
        ],
        &["BasicSelfIssuedNewKeyCACRL"],
        "InvalidBasicSelfIssuedOldWithNewTest2EE",
        R,
    ),
    case(
        "4.5.3",
        &[
            "BasicSelfIssuedOldKeyCACert",
            "BasicSelfIssuedOldKeyNewWithOldCACert",
        ],
        &[
            "BasicSelfIssuedOldKeyCACRL",
            "BasicSelfIssuedOldKeySelfIssuedCertCRL",
        ],
        "ValidBasicSelfIssuedNewWithOldTest3EE",
        V,
    ),
    case(
        "4.5.4",
        &[
            "BasicSelfIssuedOldKeyCACert",
            "BasicSelfIssuedOldKeyNewWithOldCACert",
        ],
        &[
            "BasicSelfIssuedOldKeyCACRL",
            "BasicSelfIssuedOldKeySelfIssuedCertCRL",
        ],
        "ValidBasicSelfIssuedNewWithOldTest4EE",
        V,
    ),
    case(
        "4.5.5",
        &[
            "BasicSelfIssuedOldKeyCACert",
            "BasicSelfIssuedOldKeyNewWithOldCACert",
        ],
        &[
            "BasicSelfIssuedOldKeyCACRL",
            "BasicSelfIssuedOldKeySelfIssuedCertCRL",
        ],
        "InvalidBasicSelfIssuedNewWithOldTest5EE",
        R,
    ),
    case(
        "4.5.6",
        &[
            "BasicSelfIssuedCRLSigningKeyCACert",
            "BasicSelfIssuedCRLSigningKeyCRLCert",
        ],
        &[
            "BasicSelfIssuedCRLSigningKeyCACRL",
            "BasicSelfIssuedCRLSigningKeyCRLCertCRL",
        ],
        "ValidBasicSelfIssuedCRLSigningKeyTest6EE",
        V,
    ),
    case(
        "4.5.7",
        &[
            "BasicSelfIssuedCRLSigningKeyCACert",
            "BasicSelfIssuedCRLSigningKeyCRLCert",
        ],
        &[
            "BasicSelfIssuedCRLSigningKeyCACRL",
            "BasicSelfIssuedCRLSigningKeyCRLCertCRL",
        ],
        "InvalidBasicSelfIssuedCRLSigningKeyTest7EE",
        R,
    ),
    // The EE is signed with the CRL signing key, which may not sign
    // certificates.
    case(
        "4.5.8",
        &[
            "BasicSelfIssuedCRLSigningKeyCACert",
            "BasicSelfIssuedCRLSigningKeyCRLCert",
        ],
        &[
            "BasicSelfIssuedCRLSigningKeyCACRL",
            "BasicSelfIssuedCRLSigningKeyCRLCertCRL",
        ],
        "InvalidBasicSelfIssuedCRLSigningKeyTest8EE",
        I,
    ),
    // 4.6 Verifying Basic Constraints
    case(
        "4.6.1",
        &["MissingbasicConstraintsCACert"],
        &["MissingbasicConstraintsCACRL"],
        "InvalidMissingbasicConstraintsTest1EE",
        I,
    ),
    case(
        "4.6.2",
        &["basicConstraintsCriticalcAFalseCACert"],
        &["basicConstraintsCriticalcAFalseCACRL"],
        "InvalidcAFalseTest2EE",
        I,
    ),
    case(
        "4.6.3",
        &["basicConstraintsNotCriticalcAFalseCACert"],
        &["basicConstraintsNotCriticalcAFalseCACRL"],
        "InvalidcAFalseTest3EE",
        I,
    ),
    case(
        "4.6.4",
        &["basicConstraintsNotCriticalCACert"],
        &["basicConstraintsNotCriticalCACRL"],
        "ValidbasicConstraintsNotCriticalTest4EE",
        V,
    ),
    case(
        "4.6.5",
        &["pathLenConstraint0CACert", "pathLenConstraint0subCACert"],
        &["pathLenConstraint0CACRL", "pathLenConstraint0subCACRL"],
        "InvalidpathLenConstraintTest5EE",
        I,
    ),
    case(
        "4.6.6",
        &["pathLenConstraint0CACert", "pathLenConstraint0subCACert"],
        &["pathLenConstraint0CACRL", "pathLenConstraint0subCACRL"],
        "InvalidpathLenConstraintTest6EE",
        I,
    ),
    case(
        "4.6.7",
        &["pathLenConstraint0CACert"],
        &["pathLenConstraint0CACRL"],
        "ValidpathLenConstraintTest7EE",
        V,
    ),
    case(
        "4.6.8",
        &["pathLenConstraint0CACert"],
        &["pathLenConstraint0CACRL"],
        "ValidpathLenConstraintTest8EE",
        V,
    ),
    case(
        "4.6.9",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA0Cert",
            "pathLenConstraint6subsubCA00Cert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA0CRL",
            "pathLenConstraint6subsubCA00CRL",
        ],
        "InvalidpathLenConstraintTest9EE",
        I,
    ),
    case(
        "4.6.10",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA0Cert",
            "pathLenConstraint6subsubCA00Cert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA0CRL",
            "pathLenConstraint6subsubCA00CRL",
        ],
        "InvalidpathLenConstraintTest10EE",
        I,
    ),
    case(
        "4.6.11",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA1Cert",
            "pathLenConstraint6subsubCA11Cert",
            "pathLenConstraint6subsubsubCA11XCert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA1CRL",
            "pathLenConstraint6subsubCA11CRL",
            "pathLenConstraint6subsubsubCA11XCRL",
        ],
        "InvalidpathLenConstraintTest11EE",
        I,
    ),
    case(
        "4.6.12",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA1Cert",
            "pathLenConstraint6subsubCA11Cert",
            "pathLenConstraint6subsubsubCA11XCert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA1CRL",
            "pathLenConstraint6subsubCA11CRL",
            "pathLenConstraint6subsubsubCA11XCRL",
        ],
        "InvalidpathLenConstraintTest12EE",
        I,
    ),
    case(
        "4.6.13",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA4Cert",
            "pathLenConstraint6subsubCA41Cert",
            "pathLenConstraint6subsubsubCA41XCert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA4CRL",
            "pathLenConstraint6subsubCA41CRL",
            "pathLenConstraint6subsubsubCA41XCRL",
        ],
        "ValidpathLenConstraintTest13EE",
        V,
    ),
    case(
        "4.6.14",
        &[
            "pathLenConstraint6CACert",
            "pathLenConstraint6subCA4Cert",
            "pathLenConstraint6subsubCA41Cert",
            "pathLenConstraint6subsubsubCA41XCert",
        ],
        &[
            "pathLenConstraint6CACRL",
            "pathLenConstraint6subCA4CRL",
            "pathLenConstraint6subsubCA41CRL",
            "pathLenConstraint6subsubsubCA41XCRL",
        ],
        "ValidpathLenConstraintTest14EE",
        V,
    ),
    case(
        "4.6.15",
        &[
            "pathLenConstraint0CACert",
            "pathLenConstraint0SelfIssuedCACert",
        ],
        &["pathLenConstraint0CACRL"],
        "ValidSelfIssuedpathLenConstraintTest15EE",
        V,
    ),
    case(
        "4.6.16",
        &[
            "pathLenConstraint0CACert",
            "pathLenConstraint0SelfIssuedCACert",
            "pathLenConstraint0subCA2Cert",
        ],
        &["pathLenConstraint0CACRL", "pathLenConstraint0subCA2CRL"],
        "InvalidSelfIssuedpathLenConstraintTest16EE",
        I,
    ),
    case(
        "4.6.17",
        &[
            "pathLenConstraint1CACert",
            "pathLenConstraint1SelfIssuedCACert",
            "pathLenConstraint1subCACert",
            "pathLenConstraint1SelfIssuedsubCACert",
        ],
        &["pathLenConstraint1CACRL", "pathLenConstraint1subCACRL"],
        "ValidSelfIssuedpathLenConstraintTest17EE",
        V,
    ),
    // 4.7 Key Usage
    case(
        "4.7.1",
        &["keyUsageCriticalkeyCertSignFalseCACert"],
        &["keyUsageCriticalkeyCertSignFalseCACRL"],
        "InvalidkeyUsageCriticalkeyCertSignFalseTest1EE",
        I,
    ),
    case(
        "4.7.2",
        &["keyUsageNotCriticalkeyCertSignFalseCACert"],
        &["keyUsageNotCriticalkeyCertSignFalseCACRL"],
        "InvalidkeyUsageNotCriticalkeyCertSignFalseTest2EE",
        I,
    ),
    case(
        "4.7.3",
        &["keyUsageNotCriticalCACert"],
        &["keyUsageNotCriticalCACRL"],
        "ValidkeyUsageNotCriticalTest3EE",
        V,
    ),
    case(
        "4.7.4",
        &["keyUsageCriticalcRLSignFalseCACert"],
        &["keyUsageCriticalcRLSignFalseCACRL"],
        "InvalidkeyUsageCriticalcRLSignFalseTest4EE",
        I,
    ),
    case(
        "4.7.5",
        &["keyUsageNotCriticalcRLSignFalseCACert"],
        &["keyUsageNotCriticalcRLSignFalseCACRL"],
        "InvalidkeyUsageNotCriticalcRLSignFalseTest5EE",
        I,
    ),
    // 4.8–4.12 (policies) and 4.13 (name constraints): out of scope, see
    // the module comment.
    //
    // 4.14 Distribution Points
    case(
        "4.14.1",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        "ValiddistributionPointTest1EE",
        V,
    ),
    case(
        "4.14.2",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        "InvaliddistributionPointTest2EE",
        R,
    ),
    // The certificate's distribution point names no CRL we have.
    case(
        "4.14.3",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        "InvaliddistributionPointTest3EE",
        I,
    ),
    case(
        "4.14.4",
        &["distributionPoint1CACert"],
        &["distributionPoint1CACRL"],
        "ValiddistributionPointTest4EE",
        V,
    ),
    case(
        "4.14.5",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        "ValiddistributionPointTest5EE",
        V,
    ),
    case(
        "4.14.6",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        "InvaliddistributionPointTest6EE",
        R,
    ),
    case(
        "4.14.7",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        "ValiddistributionPointTest7EE",
        V,
    ),
    case(
        "4.14.8",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        "InvaliddistributionPointTest8EE",
        I,
    ),
    case(
        "4.14.9",
        &["distributionPoint2CACert"],
        &["distributionPoint2CACRL"],
        "InvaliddistributionPointTest9EE",
        I,
    ),
    case(
        "4.14.10",
        &["NoissuingDistributionPointCACert"],
        &["NoissuingDistributionPointCACRL"],
        "ValidNoissuingDistributionPointTest10EE",
        V,
    ),
    case(
        "4.14.11",
        &["onlyContainsUserCertsCACert"],
        &["onlyContainsUserCertsCACRL"],
        "InvalidonlyContainsUserCertsTest11EE",
        I,
    ),
    case(
        "4.14.12",
        &["onlyContainsCACertsCACert"],
        &["onlyContainsCACertsCACRL"],
        "InvalidonlyContainsCACertsTest12EE",
        I,
    ),
    case(
        "4.14.13",
        &["onlyContainsCACertsCACert"],
        &["onlyContainsCACertsCACRL"],
        "ValidonlyContainsCACertsTest13EE",
        V,
    ),
    case(
        "4.14.14",
        &["onlyContainsAttributeCertsCACert"],
        &["onlyContainsAttributeCertsCACRL"],
        "InvalidonlyContainsAttributeCertsTest14EE",
        I,
    ),
    case(
        "4.14.15",
        &["onlySomeReasonsCA1Cert"],
        &[
            "onlySomeReasonsCA1compromiseCRL",
            "onlySomeReasonsCA1otherreasonsCRL",
        ],
        "InvalidonlySomeReasonsTest15EE",
        R,
    ),
    case(
        "4.14.16",
        &["onlySomeReasonsCA1Cert"],
        &[
            "onlySomeReasonsCA1compromiseCRL",
            "onlySomeReasonsCA1otherreasonsCRL",
        ],
        "InvalidonlySomeReasonsTest16EE",
        R,
    ),
    // The two CRLs together do not cover all reasons.
    case(
        "4.14.17",
        &["onlySomeReasonsCA2Cert"],
        &["onlySomeReasonsCA2CRL1", "onlySomeReasonsCA2CRL2"],
        "InvalidonlySomeReasonsTest17EE",
        I,
    ),
    case(
        "4.14.18",
        &["onlySomeReasonsCA3Cert"],
        &[
            "onlySomeReasonsCA3compromiseCRL",
            "onlySomeReasonsCA3otherreasonsCRL",
        ],
        "ValidonlySomeReasonsTest18EE",
        V,
    ),
    case(
        "4.14.19",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        "ValidonlySomeReasonsTest19EE",
        V,
    ),
    case(
        "4.14.20",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        "InvalidonlySomeReasonsTest20EE",
        R,
    ),
    case(
        "4.14.21",
        &["onlySomeReasonsCA4Cert"],
        &[
            "onlySomeReasonsCA4compromiseCRL",
            "onlySomeReasonsCA4otherreasonsCRL",
        ],
        "InvalidonlySomeReasonsTest21EE",
        R,
    ),
    case(
        "4.14.22",
        &["indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        "ValidIDPwithindirectCRLTest22EE",
        V,
    ),
    case(
        "4.14.23",
        &["indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        "InvalidIDPwithindirectCRLTest23EE",
        R,
    ),
    case(
        "4.14.24",
        &["indirectCRLCA2Cert", "indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        "ValidIDPwithindirectCRLTest24EE",
        V,
    ),
    case(
        "4.14.25",
        &["indirectCRLCA2Cert", "indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        "ValidIDPwithindirectCRLTest25EE",
        V,
    ),
    // cRLIssuer names "indirectCRL CA1x", which has no CRL.
    case(
        "4.14.26",
        &["indirectCRLCA2Cert", "indirectCRLCA1Cert"],
        &["indirectCRLCA1CRL"],
        "InvalidIDPwithindirectCRLTest26EE",
        I,
    ),
    // cRLIssuer names Good CA, whose CRL is not indirect.
    case(
        "4.14.27",
        &["indirectCRLCA2Cert", "GoodCACert"],
        &["GoodCACRL"],
        "InvalidcRLIssuerTest27EE",
        I,
    ),
    case(
        "4.14.28",
        &["indirectCRLCA3Cert", "indirectCRLCA3cRLIssuerCert"],
        &["indirectCRLCA3CRL", "indirectCRLCA3cRLIssuerCRL"],
        "ValidcRLIssuerTest28EE",
        V,
    ),
    case(
        "4.14.29",
        &["indirectCRLCA3Cert", "indirectCRLCA3cRLIssuerCert"],
        &["indirectCRLCA3CRL", "indirectCRLCA3cRLIssuerCRL"],
        "ValidcRLIssuerTest29EE",
        V,
    ),
    case(
        "4.14.30",
        &["indirectCRLCA4Cert", "indirectCRLCA4cRLIssuerCert"],
        &["indirectCRLCA4cRLIssuerCRL"],
        "ValidcRLIssuerTest30EE",
        V,
    ),
    case(
        "4.14.31",
        &["indirectCRLCA6Cert", "indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        "InvalidcRLIssuerTest31EE",
        R,
    ),
    case(
        "4.14.32",
        &["indirectCRLCA6Cert", "indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        "InvalidcRLIssuerTest32EE",
        R,
    ),
    case(
        "4.14.33",
        &["indirectCRLCA6Cert", "indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        "ValidcRLIssuerTest33EE",
        V,
    ),
    case(
        "4.14.34",
        &["indirectCRLCA5Cert"],
        &["indirectCRLCA5CRL"],
        "InvalidcRLIssuerTest34EE",
        R,
    ),
    // The DP names indirectCRL CA6 as cRLIssuer, but the only CRL is CA5's.
    case(
        "4.14.35",
        &["indirectCRLCA5Cert", "indirectCRLCA6Cert"],
        &["indirectCRLCA5CRL"],
        "InvalidcRLIssuerTest35EE",
        I,
    ),
    // 4.15 Delta-CRLs
    case(
        "4.15.1",
        &["deltaCRLIndicatorNoBaseCACert"],
        &["deltaCRLIndicatorNoBaseCACRL"],
        "InvaliddeltaCRLIndicatorNoBaseTest1EE",
        I,
    ),
    case(
        "4.15.2",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "ValiddeltaCRLTest2EE",
        V,
    ),
    case(
        "4.15.3",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "InvaliddeltaCRLTest3EE",
        R,
    ),
    case(
        "4.15.4",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "InvaliddeltaCRLTest4EE",
        R,
    ),
    case(
        "4.15.5",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "ValiddeltaCRLTest5EE",
        V,
    ),
    case(
        "4.15.6",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "InvaliddeltaCRLTest6EE",
        R,
    ),
    case(
        "4.15.7",
        &["deltaCRLCA1Cert"],
        &["deltaCRLCA1CRL", "deltaCRLCA1deltaCRL"],
        "ValiddeltaCRLTest7EE",
        V,
    ),
    case(
        "4.15.8",
        &["deltaCRLCA2Cert"],
        &["deltaCRLCA2CRL", "deltaCRLCA2deltaCRL"],
        "ValiddeltaCRLTest8EE",
        V,
    ),
    case(
        "4.15.9",
        &["deltaCRLCA2Cert"],
        &["deltaCRLCA2CRL", "deltaCRLCA2deltaCRL"],
        "InvaliddeltaCRLTest9EE",
        R,
    ),
    case(
        "4.15.10",
        &["deltaCRLCA3Cert"],
        &["deltaCRLCA3CRL", "deltaCRLCA3deltaCRL"],
        "InvaliddeltaCRLTest10EE",
        I,
    ),
    // 4.16 Private Certificate Extensions
    case(
        "4.16.1",
        NO,
        NO,
        "ValidUnknownNotCriticalCertificateExtensionTest1EE",
        V,
    ),
    case(
        "4.16.2",
        NO,
        NO,
        "InvalidUnknownCriticalCertificateExtensionTest2EE",
        I,
    ),
];

/// PKITS cases we do not decide as PKITS says, with the status we give
/// instead and why. Never `Valid` (asserted). Asserted exactly, so any
/// change in behaviour shows up.
const KNOWN_GAPS: &[(&str, Kind, &str)] = &[
    (
        "4.1.4",
        Kind::Invalid,
        "DSA signatures are not supported (policy: RSA, ECDSA, Ed25519); fails closed",
    ),
    (
        "4.1.5",
        Kind::Invalid,
        "DSA signatures are not supported (policy: RSA, ECDSA, Ed25519); fails closed",
    ),
    (
        "4.14.30",
        Kind::Unknown,
        "the cRLIssuer's own certificate names the cRLIssuer itself as its CRL issuer: its status is only on the very CRL it would vouch for, and its issuer (indirectCRL CA4) has no cRLSign; a separate CRL signer is validated with the path's own keys only (no recursion), so we fail closed",
    ),
];

/// Cases where `openssl verify` (the second oracle) answers differently
/// from us: (case, OpenSSL's answer, why).
const OPENSSL_DIFFERS: &[(&str, Kind, &str)] = &[
    (
        "4.1.4",
        Kind::Valid,
        "DSA supported by OpenSSL, not by us",
    ),
    (
        "4.4.4",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown)",
    ),
    (
        "4.4.8",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown)",
    ),
    (
        "4.4.9",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown)",
    ),
    (
        "4.4.10",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown)",
    ),
    (
        "4.4.21",
        Kind::Revoked,
        "OpenSSL reports the revoked CRL signer as 'certificate revoked'; the EE itself is not revoked, and the only CRL covering it is signed by a revoked key, so we say Unknown; PKITS: Invalid",
    ),
    (
        "4.7.4",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown) (issuer lacks cRLSign)",
    ),
    (
        "4.7.5",
        Kind::Invalid,
        "OpenSSL reports the broken CRL as an error; our builder refuses the CRL, so no CRL covers the EE (Unknown) (issuer lacks cRLSign)",
    ),
    (
        "4.14.30",
        Kind::Invalid,
        "known gap for us; OpenSSL fails the cRLIssuer's CRL path ('CRL path validation error') where PKITS says Valid",
    ),
];

fn read(dir: &Path, sub: &str, name: &str, ext: &str) -> Vec<u8> {
    let p = dir.join(sub).join(format!("{name}.{ext}"));
    std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Our verdict, plus the builder's own notes on the CRLs and certificates
/// it refused. Everything goes through the product's path: every
/// certificate and CRL of the case is handed to the builder, which sets
/// aside what fails its checks (as `kakunin verify` does), never a
/// pre-filter of the test's.
fn ours(dir: &Path, c: &Case) -> (Status, Vec<String>) {
    let mut b = VerifierBuilder::new();
    b.trust_anchor(
        "TrustAnchorRootCertificate",
        &read(dir, "certs", "TrustAnchorRootCertificate", "crt"),
    );
    for name in c.certs {
        b.intermediate(name, &read(dir, "certs", name, "crt"));
    }
    for name in std::iter::once(&"TrustAnchorRootCRL").chain(c.crls) {
        b.crl(name, &read(dir, "crls", name, "crl"));
    }
    let v = b.build().expect("the PKITS trust anchor is usable");
    let notes = v.refused().iter().map(|r| format!("refused {r}")).collect();
    let verdict = v.verify(&read(dir, "certs", c.ee, "crt"), Timestamp::from_unix(AT));
    (verdict.status, notes)
}

/// Concatenates DER files as PEM (`x509` or `crl`) into `out`.
fn pem_bundle(kind: &str, files: &[PathBuf], out: &Path) {
    let mut all = Vec::new();
    for f in files {
        all.extend(pem_of(kind, f));
    }
    std::fs::write(out, all).expect("write PEM bundle");
}

fn openssl(dir: &Path, tmp: &Path, c: &Case) -> (Kind, String) {
    let certs = |names: &[&str]| -> Vec<PathBuf> {
        names
            .iter()
            .map(|n| dir.join("certs").join(format!("{n}.crt")))
            .collect()
    };
    let ca = tmp.join("ca.pem");
    pem_bundle("x509", &certs(&["TrustAnchorRootCertificate"]), &ca);
    let untrusted = tmp.join("untrusted.pem");
    pem_bundle("x509", &certs(c.certs), &untrusted);
    let crl_files: Vec<PathBuf> = std::iter::once(&"TrustAnchorRootCRL")
        .chain(c.crls)
        .map(|n| dir.join("crls").join(format!("{n}.crl")))
        .collect();
    let crls = tmp.join("crls.pem");
    pem_bundle("crl", &crl_files, &crls);
    let ee = tmp.join("ee.pem");
    pem_bundle("x509", &certs(&[c.ee]), &ee);
    let (success, text) = openssl_verify(
        &ca,
        (!c.certs.is_empty()).then_some(untrusted.as_path()),
        Some(&crls),
        &["-use_deltas", "-extended_crl"],
        AT,
        &ee,
    );
    (openssl_kind(success, &text), text)
}

fn section(id: &str) -> &str {
    match id.rfind('.') {
        Some(i) => &id[..i],
        None => id,
    }
}

#[test]
fn pkits() {
    let Some(dir) = required_vectors("PKITS_data", "pkits") else {
        return;
    };
    let with_openssl = openssl_available();
    if !with_openssl {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("openssl CLI not found: required when CI=true");
        }
        eprintln!("pkits: openssl CLI not found, second oracle skipped");
    }
    let tmp = kakunin_testkit::tempdir();

    // The table must agree with the file names: Valid… ⇔ Want::Valid.
    for c in CASES {
        assert_eq!(
            c.ee.starts_with("Valid"),
            c.want == Want::Valid,
            "{}: table says {:?} for {}",
            c.id,
            c.want,
            c.ee
        );
    }
    for (id, _, _) in KNOWN_GAPS.iter().chain(OPENSSL_DIFFERS) {
        assert!(
            CASES.iter().any(|c| c.id == *id),
            "{id} listed but not a case"
        );
    }

    let mut failures = Vec::new();
    let mut report = String::new();
    // section → (pass, known gap, fail)
    let mut counts: Vec<(String, [usize; 3])> = Vec::new();
    for c in CASES {
        let (status, notes) = ours(&dir, c);
        let got = kind_of(&status);
        let gap = KNOWN_GAPS.iter().find(|(id, _, _)| *id == c.id);
        let conforms = match c.want {
            Want::Valid => got == Kind::Valid,
            Want::Revoked => got == Kind::Revoked,
            Want::Invalid => got != Kind::Valid,
        };
        let outcome = match (conforms, gap) {
            (true, None) => 0,
            (false, Some((_, k, _))) if *k == got && got != Kind::Valid => 1,
            (true, Some(_)) => {
                failures.push(format!(
                    "{} {}: listed as a known gap but now conforms ({status:?}): remove it from KNOWN_GAPS",
                    c.id, c.ee
                ));
                2
            }
            _ => {
                failures.push(format!(
                    "{} {}: PKITS wants {:?}, we say {status:?}",
                    c.id, c.ee, c.want
                ));
                2
            }
        };
        // An Invalid case must never come out Valid, gap or not.
        if c.want != Want::Valid && got == Kind::Valid {
            failures.push(format!("{} {}: Invalid case is Valid", c.id, c.ee));
        }
        let sec = section(c.id).to_string();
        match counts.iter_mut().find(|(s, _)| *s == sec) {
            Some((_, n)) => n[outcome] += 1,
            None => {
                let mut n = [0; 3];
                n[outcome] += 1;
                counts.push((sec, n));
            }
        }
        let mut line = format!(
            "{:8} {:52} want {:7} got {:?}",
            c.id,
            c.ee,
            format!("{:?}", c.want),
            status
        );
        if with_openssl {
            let (ok, text) = openssl(&dir, tmp.path(), c);
            let listed = OPENSSL_DIFFERS.iter().find(|(id, _, _)| *id == c.id);
            match listed {
                None if ok != got => failures.push(format!(
                    "{} {}: openssl says {ok:?} ({}), we say {got:?}",
                    c.id,
                    c.ee,
                    text.trim().replace('\n', " | ")
                )),
                Some((_, k, _)) if *k != ok || ok == got => failures.push(format!(
                    "{} {}: OPENSSL_DIFFERS lists openssl {k:?}, openssl says {ok:?}, we say {got:?}",
                    c.id, c.ee
                )),
                _ => {}
            }
            let _ = write!(line, " | openssl {ok:?}");
        }
        for n in notes {
            let _ = write!(line, "\n           note: {n}");
        }
        let _ = writeln!(report, "{line}");
    }
    let _ = writeln!(report, "\nsection  pass  known-gap  fail");
    for (s, n) in &counts {
        let _ = writeln!(report, "{s:8} {:5} {:10} {:5}", n[0], n[1], n[2]);
    }
    eprintln!("{report}");
    assert!(
        failures.is_empty(),
        "{} PKITS failure(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Partitioned CRLs (issuingDistributionPoint with a distributionPoint
/// name) given as index files answer exactly as the raw CRLs: the index
/// keeps the distribution point name (PKITS 4.14.1–4.14.9: full and
/// relative names, matching and not, revoked and not).
#[test]
fn partitioned_crls_from_an_index_answer_as_the_raw_crl() {
    use kakunin_engine::index::{IndexBytes, SerialIndex};
    use kakunin_engine::ingest::{verify_crl, IngestOptions};
    use kakunin_engine::CaCert;
    let Some(dir) = cryptography_vectors("PKITS_data") else {
        eprintln!("SKIPPED: cryptography-vectors not installed");
        return;
    };
    let anchor = read(&dir, "certs", "TrustAnchorRootCertificate", "crt");
    let root_crl = read(&dir, "crls", "TrustAnchorRootCRL", "crl");
    let opts = IngestOptions {
        now: Timestamp::from_unix(AT),
        max_clock_skew: 0,
    };
    let cases: Vec<&Case> = CASES
        .iter()
        .filter(|c| {
            let n: Option<u32> = c.id.strip_prefix("4.14.").and_then(|n| n.parse().ok());
            n.is_some_and(|n| (1..=9).contains(&n))
        })
        .collect();
    assert_eq!(cases.len(), 9);
    for c in cases {
        let ca = read(&dir, "certs", c.certs[0], "crt");
        let crl = read(&dir, "crls", c.crls[0], "crl");
        let ee = read(&dir, "certs", c.ee, "crt");
        let (bytes, _) = verify_crl(&crl, &CaCert::from_der(&ca).unwrap(), &opts, &|_, _| {})
            .expect("PKITS CRL verifies")
            .into_index_bytes()
            .expect("index");
        let index = SerialIndex::from_bytes(IndexBytes::from(bytes)).expect("index opens");
        assert!(index.meta().crl.scope.partitioned, "{}", c.id);
        assert!(index.idp_distribution_point().is_some(), "{}", c.id);
        let base = || {
            let mut b = VerifierBuilder::new();
            b.trust_anchor_der(&anchor).unwrap();
            b.intermediate_der(&ca).unwrap();
            b.crl_der(&root_crl).unwrap();
            b
        };
        let mut b = base();
        b.crl_der(&crl).unwrap();
        let raw = b.build().unwrap().verify(&ee, Timestamp::from_unix(AT));
        let mut b = base();
        b.index(index).unwrap();
        let from_index = b.build().unwrap().verify(&ee, Timestamp::from_unix(AT));
        assert_eq!(from_index.status, raw.status, "{}", c.id);
        let kind = kind_of(&raw.status);
        match c.want {
            Want::Valid => assert_eq!(kind, Kind::Valid, "{}", c.id),
            Want::Revoked => assert_eq!(kind, Kind::Revoked, "{}", c.id),
            Want::Invalid => assert_ne!(kind, Kind::Valid, "{}", c.id),
        }
    }
}

/// An indirect CRL (PKITS indirectCRL CA5's) split by certificateIssuer
/// (RFC 5280 §5.3.3: each one holds until the next): the index of the CRL
/// issuer's own certificates (what `kakunin ingest` writes) and the one of
/// indirectCRL CA6's certificates hold exactly their own entries.
#[test]
fn indirect_crl_entries_are_attributed_to_their_issuer() {
    use kakunin_engine::index::{IndexBytes, SerialIndex};
    use kakunin_engine::ingest::{verify_crl, verify_crl_for_issuer, IngestOptions};
    use kakunin_engine::{CaCert, Serial};
    let Some(dir) = cryptography_vectors("PKITS_data") else {
        eprintln!("SKIPPED: cryptography-vectors not installed");
        return;
    };
    let ca5 = CaCert::from_der(&read(&dir, "certs", "indirectCRLCA5Cert", "crt")).unwrap();
    let ca6 = CaCert::from_der(&read(&dir, "certs", "indirectCRLCA6Cert", "crt")).unwrap();
    let crl = read(&dir, "crls", "indirectCRLCA5CRL", "crl");
    let opts = IngestOptions {
        now: Timestamp::from_unix(AT),
        max_clock_skew: 0,
    };
    // The index, and how many entries the report says were left out.
    let open = |v: kakunin_engine::ingest::VerifiedCrl| {
        let (bytes, report) = v.into_index_bytes().unwrap();
        (
            SerialIndex::from_bytes(IndexBytes::from(bytes)).unwrap(),
            report.other_issuer_entries,
        )
    };
    let (own, own_skipped) = open(verify_crl(&crl, &ca5, &opts, &|_, _| {}).unwrap());
    let (of6, of6_skipped) =
        open(verify_crl_for_issuer(&crl, &ca5, &opts, &|_, _| {}, ca6.subject_der()).unwrap());
    let revoked = |idx: &SerialIndex<IndexBytes>| -> Vec<u8> {
        (1u8..=0x0C)
            .filter(|&n| {
                idx.lookup(&Serial::from_der_content(&[n]).unwrap())
                    .is_some()
            })
            .collect()
    };
    // 01, then 02-04 and 08-09 about CA6, 05-07 about CA7, 0A-0B about CA5.
    assert_eq!(revoked(&own), [0x01, 0x0A, 0x0B]);
    assert_eq!(revoked(&of6), [0x02, 0x03, 0x04, 0x08, 0x09]);
    // Eleven entries in all: the rest are reported as left out.
    assert_eq!((own_skipped, of6_skipped), (8, 6));
    assert!(own.meta().crl.scope.indirect && of6.meta().crl.scope.indirect);
}
