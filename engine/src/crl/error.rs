//! Why a CRL was refused: one variant per rule, each message citing the
//! RFC 5280 section it enforces.

use crate::crl_number::CrlNumber;
use crate::der::DerError;
use crate::serial::{Serial, SerialError};
use crate::sigalg::SignatureAlgorithm;
use crate::time::Timestamp;

/// Why a CRL was rejected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CrlError {
    /// The input is neither DER nor a PEM `X509 CRL` block.
    #[error("not a CRL: expected DER (starting with a SEQUENCE) or PEM \"-----BEGIN X509 CRL-----\" ({0})")]
    NotPemOrDer(String),
    /// The input ends inside `field`.
    #[error("CRL is truncated: input ends inside {field} (RFC 5280 §5.1)")]
    Truncated {
        /// The field being read.
        field: &'static str,
    },
    /// `field` is not valid DER or not of the required type.
    #[error("malformed {field} (RFC 5280 §5.1): {problem}")]
    Malformed {
        /// The field being read.
        field: &'static str,
        /// The DER-level problem.
        problem: DerError,
    },
    /// Bytes after the CertificateList.
    #[error("{0} bytes of trailing garbage after the CertificateList (RFC 5280 §5.1)")]
    TrailingGarbage(usize),
    /// Extra elements inside a structure after its last field.
    #[error("{len} unexpected bytes after the last field of {within} (RFC 5280 §5.1)")]
    ExtraData {
        /// Enclosing structure.
        within: &'static str,
        /// Number of extra bytes.
        len: usize,
    },
    /// version is neither absent (v1) nor 1 (v2).
    #[error("unsupported CRL version {0} (RFC 5280 §5.1.2.1: absent for v1 or INTEGER 1 for v2)")]
    BadVersion(String),
    /// crlExtensions present in a v1 CRL.
    #[error("a v1 CRL must not carry crlExtensions (RFC 5280 §5.1.2.1)")]
    ExtensionsInV1,
    /// crlEntryExtensions present in a v1 CRL.
    #[error("entry #{index} has crlEntryExtensions but the CRL is v1 (RFC 5280 §5.1.2.1)")]
    EntryExtensionsInV1 {
        /// 0-based entry index.
        index: usize,
    },
    /// Outer signatureAlgorithm differs from tbsCertList.signature.
    #[error("signatureAlgorithm differs from tbsCertList.signature (RFC 5280 §5.1.1.2)")]
    SignatureAlgorithmMismatch,
    /// signatureValue BIT STRING with unused bits.
    #[error("signatureValue has {0} unused bits; must be 0 (RFC 5280 §5.1.1.3)")]
    SignatureUnusedBits(u8),
    /// Signature algorithm not supported (incl. SHA-1).
    #[error("unsupported signature algorithm {oid} (RFC 5280 §5.1.1.2; supported: RSA PKCS#1 v1.5 and PSS with SHA-256/384/512, ECDSA P-256/P-384 with SHA-256/384, Ed25519)")]
    UnsupportedSignatureAlgorithm {
        /// Dotted OID (or name).
        oid: String,
    },
    /// Parameters of the signature algorithm are wrong.
    #[error("bad parameters for {alg} (RFC 5280 §4.1.1.2, RFC 4055 §3.1): {why}")]
    BadAlgorithmParameters {
        /// Algorithm name.
        alg: &'static str,
        /// What is wrong.
        why: String,
    },
    /// A time field violates the §5.1.2.4 / §4.1.2.5 syntax or calendar.
    #[error("bad {field} (RFC 5280 §5.1.2.4, §4.1.2.5): {why}")]
    BadTime {
        /// thisUpdate, nextUpdate, revocationDate or invalidityDate.
        field: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// nextUpdate earlier than thisUpdate.
    #[error("nextUpdate {next} is before thisUpdate {this} (RFC 5280 §5.1.2.5)")]
    NextUpdateBeforeThisUpdate {
        /// thisUpdate.
        this: Timestamp,
        /// nextUpdate.
        next: Timestamp,
    },
    /// thisUpdate or nextUpdate before 2050 encoded as GeneralizedTime.
    #[error("{field} {found} is encoded as GeneralizedTime; RFC 5280 §5.1.2.4 (§5.1.2.5 for nextUpdate) requires UTCTime for dates through 2049")]
    GeneralizedTimeBefore2050 {
        /// thisUpdate or nextUpdate.
        field: &'static str,
        /// The date found.
        found: Timestamp,
    },
    /// revokedCertificates is present but holds no entry.
    #[error("revokedCertificates is an empty SEQUENCE; RFC 5280 §5.1.2.6 requires the field to be absent when no certificate is revoked")]
    EmptyRevokedCertificates,
    /// A v2 CRL without an authorityKeyIdentifier.
    #[error("CRL has no authorityKeyIdentifier extension; RFC 5280 §5.2.1 requires it in every (v2) CRL, so that the signing key can be told apart from other keys of the same name")]
    MissingAuthorityKeyId,
    /// An authorityKeyIdentifier without keyIdentifier.
    #[error("CRL authorityKeyIdentifier has no keyIdentifier (only issuer and serial, or nothing); RFC 5280 §5.2.1 requires the key identifier method")]
    AuthorityKeyIdWithoutKeyId,
    /// A v2 CRL (complete or delta) without a cRLNumber.
    #[error("{kind} has no cRLNumber extension; RFC 5280 §5.2.3 requires it in every CRL (and §5.2.4 orders a delta CRL against its base by it)")]
    MissingCrlNumber {
        /// "CRL" or "delta CRL".
        kind: &'static str,
    },
    /// A CRL extension marked critical that must be non-critical.
    #[error(
        "{name} extension is marked critical; RFC 5280 {section} requires it to be non-critical"
    )]
    ExtensionMustNotBeCritical {
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
    },
    /// A CRL extension not marked critical that must be critical.
    #[error(
        "{name} extension is not marked critical; RFC 5280 {section} requires it to be critical"
    )]
    ExtensionMustBeCritical {
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
    },
    /// A delta CRL whose BaseCRLNumber is not below its own cRLNumber.
    #[error("delta CRL has BaseCRLNumber {base}, not below its own cRLNumber {number}; RFC 5280 §5.2.4 (c)/(d) and the §5.2.3 numbering leave no complete CRL it could update")]
    DeltaBaseNotBelowNumber {
        /// deltaCRLIndicator's BaseCRLNumber.
        base: CrlNumber,
        /// The delta's cRLNumber.
        number: CrlNumber,
    },
    /// freshestCRL in a delta CRL.
    #[error("delta CRL carries a freshestCRL extension; RFC 5280 §5.2.6 says it MUST NOT appear in delta CRLs")]
    FreshestCrlInDelta,
    /// freshestCRL with reasons or cRLIssuer.
    #[error("freshestCRL DistributionPoint carries {field}; RFC 5280 §5.2.6 requires reasons and cRLIssuer to be omitted")]
    FreshestCrlField {
        /// reasons or cRLIssuer.
        field: &'static str,
    },
    /// authorityInfoAccess with an access method other than caIssuers.
    #[error("authorityInfoAccess lists access method {oid}; RFC 5280 §5.2.7 allows only id-ad-caIssuers (1.3.6.1.5.5.7.48.2)")]
    AiaAccessMethod {
        /// Dotted OID of the access method.
        oid: String,
    },
    /// An unknown CRL extension marked critical.
    #[error("unknown critical CRL extension {oid} (RFC 5280 §5.2)")]
    UnknownCriticalExtension {
        /// Dotted OID.
        oid: String,
    },
    /// The same CRL extension twice.
    #[error("CRL extension {oid} appears more than once (RFC 5280 §4.2, §5.2)")]
    DuplicateExtension {
        /// Dotted OID.
        oid: String,
    },
    /// A known CRL extension whose value is malformed.
    #[error("malformed {name} extension (RFC 5280 {section}): {why}")]
    BadExtension {
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
        /// What is wrong.
        why: String,
    },
    /// cRLNumber / BaseCRLNumber negative or longer than 20 octets.
    #[error("{name} is negative or longer than 20 octets (RFC 5280 {section})")]
    CrlNumberOutOfRange {
        /// cRLNumber or deltaCRLIndicator.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
    },
    /// The issuingDistributionPoint violates §5.2.5.
    #[error("invalid issuingDistributionPoint (RFC 5280 §5.2.5): {0}")]
    InvalidIssuingDistributionPoint(&'static str),
    /// An entry's structure is broken.
    #[error("entry #{index}: malformed {field} (RFC 5280 §5.1.2.6): {problem}")]
    MalformedEntry {
        /// 0-based entry index.
        index: usize,
        /// Field within the entry.
        field: &'static str,
        /// DER problem.
        problem: DerError,
    },
    /// An entry's time is invalid.
    #[error("entry #{index}: bad {field} (RFC 5280 §5.1.2.6, §4.1.2.5): {why}")]
    BadEntryTime {
        /// 0-based entry index.
        index: usize,
        /// revocationDate or invalidityDate.
        field: &'static str,
        /// What is wrong.
        why: &'static str,
    },
    /// A revocationDate before 2050 encoded as GeneralizedTime.
    #[error("entry #{index}: revocationDate {found} is encoded as GeneralizedTime; RFC 5280 §5.1.2.6 (by §5.1.2.4) requires UTCTime for dates through 2049")]
    EntryGeneralizedTimeBefore2050 {
        /// 0-based entry index.
        index: usize,
        /// The date found.
        found: Timestamp,
    },
    /// An entry's serial is empty or too long.
    #[error("entry #{index}: bad userCertificate serial (RFC 5280 §4.1.2.2, §5.1.2.6): {problem}")]
    BadEntrySerial {
        /// 0-based entry index.
        index: usize,
        /// What is wrong.
        problem: SerialError,
    },
    /// reasonCode not a defined CRLReason.
    #[error(
        "entry {serial}: reasonCode {code} is not a valid CRLReason (RFC 5280 §5.3.1: 0-6, 8-10)"
    )]
    BadReasonCode {
        /// Entry serial.
        serial: Serial,
        /// Code found (as text: may be negative or huge).
        code: String,
    },
    /// A known entry extension with a malformed value.
    #[error("entry {serial}: malformed {name} (RFC 5280 {section}): {why}")]
    BadEntryExtension {
        /// Entry serial.
        serial: Serial,
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Unknown critical entry extension.
    #[error("entry {serial}: unknown critical CRL entry extension {oid} (RFC 5280 §5.3)")]
    UnknownCriticalEntryExtension {
        /// Dotted OID.
        oid: String,
        /// Entry serial.
        serial: Serial,
    },
    /// The same entry extension twice.
    #[error(
        "entry {serial}: CRL entry extension {oid} appears more than once (RFC 5280 §4.2, §5.3)"
    )]
    DuplicateEntryExtension {
        /// Dotted OID.
        oid: String,
        /// Entry serial.
        serial: Serial,
    },
    /// reasonCode removeFromCRL in a CRL that is not a delta CRL.
    #[error("entry {serial}: reasonCode removeFromCRL (8) in a complete CRL; RFC 5280 §5.3.1 allows it only in delta CRLs")]
    RemoveFromCrlInCompleteCrl {
        /// Entry serial.
        serial: Serial,
    },
    /// An entry extension not marked critical that must be critical.
    #[error("entry {serial}: {name} entry extension is not marked critical; RFC 5280 {section} requires it to be critical")]
    EntryExtensionMustBeCritical {
        /// Entry serial.
        serial: Serial,
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
    },
    /// A certificateIssuer entry extension in a CRL whose
    /// issuingDistributionPoint does not assert indirectCRL.
    #[error("entry {serial}: certificateIssuer present, but the CRL's issuingDistributionPoint does not assert indirectCRL (RFC 5280 §5.3.3, §5.2.5)")]
    IndirectCrlUnsupported {
        /// Entry serial.
        serial: Serial,
    },
    /// CRL issuer differs from the CA subject.
    #[error("CRL issuer \"{crl_issuer}\" does not match the CA subject \"{ca_subject}\" (RFC 5280 §5.1.2.3, §7.1)")]
    IssuerMismatch {
        /// CRL issuer as text.
        crl_issuer: String,
        /// CA subject as text.
        ca_subject: String,
    },
    /// AKI keyIdentifier differs from the CA key id.
    #[error("CRL authorityKeyIdentifier {crl} does not match the CA key identifier {ca} (RFC 5280 §5.2.1)")]
    AuthorityKeyIdMismatch {
        /// Hex of the CRL's keyIdentifier.
        crl: String,
        /// Hex of the CA's key id.
        ca: String,
    },
    /// CA keyUsage lacks cRLSign.
    #[error(
        "CA \"{0}\" has a keyUsage without cRLSign, so it may not sign CRLs (RFC 5280 §4.2.1.3)"
    )]
    CaCannotSignCrls(String),
    /// Signature algorithm does not fit the CA key.
    #[error("signature algorithm {alg} cannot be used with the CA's {key} key (RFC 5280 §4.1.2.7, §5.1.1.2)")]
    AlgorithmKeyMismatch {
        /// Algorithm.
        alg: SignatureAlgorithm,
        /// Key type as text.
        key: String,
    },
    /// The CA key cannot be used (e.g. RSA < 2048 bits, unknown type).
    #[error("CA key of \"{subject}\" cannot be used: {why} (RFC 5280 §4.1.2.7)")]
    UnsupportedCaKey {
        /// CA subject.
        subject: String,
        /// Why.
        why: String,
    },
    /// Signature does not verify.
    #[error("CRL signature does not verify with the key of {0} (RFC 5280 §5.1.1.3)")]
    BadSignature(String),
}
