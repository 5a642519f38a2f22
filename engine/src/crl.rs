//! Zero-copy CRL parsing and checking (RFC 5280 §5).
//!
//! Why not x509-parser for the whole thing: it decodes every entry eagerly
//! (a `Vec` and a `BigUint` per entry), ~0.5 s and ~340 bytes per entry for
//! 1M entries, while a JPKI signing CRL has millions of entries and must be
//! ingested in well under a second. So [`Crl::parse`] splits the
//! CertificateList with the tiny reader in [`crate::der`], checks the header
//! (O(header), entries untouched), and [`Crl::entries`] walks the
//! `revokedCertificates` SEQUENCE lazily over the borrowed bytes with no
//! allocation per entry. x509-parser is still used where its cost does not
//! matter: the CA certificate and the §7.1 Name comparison.
//!
//! Every rule failure is its own [`CrlError`] variant whose message cites
//! the RFC 5280 section it enforces.

use std::borrow::Cow;
use std::fmt;

use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::ca::CaCert;
use crate::crl_number::CrlNumber;
use crate::crypto::{CryptoError, Provider, VerifyingKey};
use crate::der::{self, tag, DerError, Oid, Reader, Tlv};
use crate::reason::RevocationReason;
use crate::serial::{Serial, SerialError};
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

/// The CRL's signature algorithm (RFC 5280 §5.1.1.2), as far as we can
/// verify it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption
    RsaPkcs1Sha512,
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64
    RsaPssSha512,
    /// ecdsa-with-SHA256
    EcdsaSha256,
    /// ecdsa-with-SHA384
    EcdsaSha384,
    /// id-Ed25519
    Ed25519,
}

impl SignatureAlgorithm {
    /// The OID's registered name.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "sha256WithRSAEncryption",
            SignatureAlgorithm::RsaPkcs1Sha384 => "sha384WithRSAEncryption",
            SignatureAlgorithm::RsaPkcs1Sha512 => "sha512WithRSAEncryption",
            SignatureAlgorithm::RsaPssSha256 => "rsassaPss-SHA256",
            SignatureAlgorithm::RsaPssSha384 => "rsassaPss-SHA384",
            SignatureAlgorithm::RsaPssSha512 => "rsassaPss-SHA512",
            SignatureAlgorithm::EcdsaSha256 => "ecdsa-with-SHA256",
            SignatureAlgorithm::EcdsaSha384 => "ecdsa-with-SHA384",
            SignatureAlgorithm::Ed25519 => "Ed25519",
        }
    }

    /// The dotted OID.
    pub fn oid(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "1.2.840.113549.1.1.11",
            SignatureAlgorithm::RsaPkcs1Sha384 => "1.2.840.113549.1.1.12",
            SignatureAlgorithm::RsaPkcs1Sha512 => "1.2.840.113549.1.1.13",
            SignatureAlgorithm::RsaPssSha256
            | SignatureAlgorithm::RsaPssSha384
            | SignatureAlgorithm::RsaPssSha512 => "1.2.840.113549.1.1.10",
            SignatureAlgorithm::EcdsaSha256 => "1.2.840.10045.4.3.2",
            SignatureAlgorithm::EcdsaSha384 => "1.2.840.10045.4.3.3",
            SignatureAlgorithm::Ed25519 => "1.3.101.112",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.oid())
    }
}

/// What the CRL covers, from issuingDistributionPoint (RFC 5280 §5.2.5).
/// `Default` is a full-scope CRL (no IDP).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrlScope {
    /// onlyContainsUserCerts
    pub only_user_certs: bool,
    /// onlyContainsCACerts
    pub only_ca_certs: bool,
    /// onlySomeReasons: bit n (1 << n) = ReasonFlags bit n
    /// (1 keyCompromise … 8 aACompromise).
    pub only_some_reasons: Option<u16>,
    /// indirectCRL
    pub indirect: bool,
    /// onlyContainsAttributeCerts
    pub only_attribute_certs: bool,
    /// distributionPoint present (partitioned CRL).
    pub has_distribution_point: bool,
}

/// One revoked certificate, decoded from the borrowed CRL bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevokedEntry {
    /// userCertificate.
    pub serial: Serial,
    /// revocationDate.
    pub revoked_at: Timestamp,
    /// reasonCode entry extension, if present.
    pub reason: Option<RevocationReason>,
    /// invalidityDate entry extension, if present.
    pub invalidity_date: Option<Timestamp>,
}

/// A parsed CRL borrowing its DER: header checked, entries walked lazily.
#[derive(Clone, Debug)]
pub struct Crl<'a> {
    tbs: &'a [u8],
    signature_algorithm: SignatureAlgorithm,
    signature: &'a [u8],
    v2: bool,
    issuer: &'a [u8],
    this_update: Timestamp,
    next_update: Option<Timestamp>,
    revoked: &'a [u8],
    number: Option<CrlNumber>,
    delta_base: Option<CrlNumber>,
    authority_key_id: Option<&'a [u8]>,
    scope: CrlScope,
    /// issuingDistributionPoint's distributionPoint: the
    /// DistributionPointName TLV (`[0]` fullName or `[1]`
    /// nameRelativeToCRLIssuer), kept raw so that the verifier can match it
    /// against a certificate's cRLDistributionPoints (§6.3.3 (b)(2)(i)).
    idp_distribution_point: Option<&'a [u8]>,
}

// --- OIDs (content octets) -------------------------------------------------
const OID_AKI: &[u8] = &[0x55, 0x1D, 0x23];
const OID_IAN: &[u8] = &[0x55, 0x1D, 0x12];
const OID_CRL_NUMBER: &[u8] = &[0x55, 0x1D, 0x14];
const OID_DELTA: &[u8] = &[0x55, 0x1D, 0x1B];
const OID_IDP: &[u8] = &[0x55, 0x1D, 0x1C];
const OID_FRESHEST: &[u8] = &[0x55, 0x1D, 0x2E];
const OID_AIA: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x01];
const OID_REASON: &[u8] = &[0x55, 0x1D, 0x15];
const OID_INVALIDITY: &[u8] = &[0x55, 0x1D, 0x18];
const OID_CERT_ISSUER: &[u8] = &[0x55, 0x1D, 0x1D];

const RSA_PREFIX: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01];
const OID_ECDSA_SHA256: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x03];
const OID_SHA256: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
const OID_SHA384: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
const OID_SHA512: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];
const OID_MGF1: &[u8] = &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x08];

/// Maps a DER error in `field` to a [`CrlError`], singling out truncation.
fn at(field: &'static str) -> impl Fn(DerError) -> CrlError {
    move |problem| match problem {
        DerError::Truncated => CrlError::Truncated { field },
        problem => CrlError::Malformed { field, problem },
    }
}

fn finish(r: &Reader<'_>, within: &'static str) -> Result<(), CrlError> {
    match r.remaining().len() {
        0 => Ok(()),
        len => Err(CrlError::ExtraData { within, len }),
    }
}

/// Decodes PEM (`-----BEGIN X509 CRL-----`) or passes DER through.
/// Anything else is an error: we never guess.
pub fn der_from_pem_or_der(bytes: &[u8]) -> Result<Cow<'_, [u8]>, CrlError> {
    if bytes.first() == Some(&tag::SEQUENCE) {
        return Ok(Cow::Borrowed(bytes));
    }
    let text_start = bytes
        .windows(11)
        .position(|w| w == b"-----BEGIN ")
        .ok_or_else(|| CrlError::NotPemOrDer("no DER SEQUENCE and no PEM header".into()))?;
    for pem in x509_parser::pem::Pem::iter_from_buffer(&bytes[text_start..]) {
        let pem = pem.map_err(|e| CrlError::NotPemOrDer(format!("bad PEM: {e}")))?;
        if pem.label == "X509 CRL" {
            return Ok(Cow::Owned(pem.contents));
        }
    }
    Err(CrlError::NotPemOrDer(
        "PEM input has no \"X509 CRL\" block".into(),
    ))
}

impl<'a> Crl<'a> {
    /// Parses and checks the header; does not walk the entries (that is
    /// [`Crl::entries`], so ingest can stream them).
    pub fn parse(der: &'a [u8]) -> Result<Crl<'a>, CrlError> {
        let mut top = Reader::new(der);
        // read_partial: on truncated input keep descending so that the
        // error names the innermost field that is cut off.
        let (cert_list, cl_cut) = top
            .read_partial(tag::SEQUENCE)
            .map_err(at("CertificateList"))?;
        if !top.is_empty() {
            return Err(CrlError::TrailingGarbage(top.remaining().len()));
        }
        let mut outer = Reader::new(cert_list.value);
        let (tbs, tbs_cut) = outer
            .read_partial(tag::SEQUENCE)
            .map_err(at("tbsCertList"))?;
        if tbs_cut {
            Crl::parse_tbs(tbs, None)?;
            return Err(CrlError::Truncated {
                field: "tbsCertList",
            });
        }
        let outer_alg = outer
            .read(tag::SEQUENCE)
            .map_err(at("signatureAlgorithm"))?;
        let sig = outer.read(tag::BIT_STRING).map_err(at("signatureValue"))?;
        if cl_cut {
            return Err(CrlError::Truncated {
                field: "CertificateList",
            });
        }
        finish(&outer, "CertificateList")?;
        let (unused, signature) = der::bit_string(sig.value).map_err(at("signatureValue"))?;
        if unused != 0 {
            return Err(CrlError::SignatureUnusedBits(unused));
        }
        let mut crl = Crl::parse_tbs(tbs, Some(outer_alg.raw))?;
        crl.signature = signature;
        Ok(crl)
    }

    /// Parses tbsCertList; `outer_alg` is the outer signatureAlgorithm
    /// (§5.1.1.2 requires byte equality with tbsCertList.signature).
    fn parse_tbs(tbs: Tlv<'a>, outer_alg: Option<&[u8]>) -> Result<Crl<'a>, CrlError> {
        let mut t = Reader::new(tbs.value);
        // §5.1.2.1 version
        let v2 = match t.read_optional(tag::INTEGER).map_err(at("version"))? {
            None => false,
            Some(v) if v.value == [1] => true,
            Some(v) => return Err(CrlError::BadVersion(hex::encode(v.value))),
        };
        let inner_alg = t.read(tag::SEQUENCE).map_err(at("tbsCertList.signature"))?;
        if outer_alg.is_some_and(|o| o != inner_alg.raw) {
            return Err(CrlError::SignatureAlgorithmMismatch);
        }
        let signature_algorithm = parse_signature_algorithm(inner_alg.value)?;
        let issuer = t.read(tag::SEQUENCE).map_err(at("issuer"))?.raw;
        let this_tlv = t.read_any().map_err(at("thisUpdate"))?;
        let this_update =
            parse_time(this_tlv.tag, this_tlv.value).map_err(|why| CrlError::BadTime {
                field: "thisUpdate",
                why,
            })?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => {
                let n = t.read_any().map_err(at("nextUpdate"))?;
                let next = parse_time(n.tag, n.value).map_err(|why| CrlError::BadTime {
                    field: "nextUpdate",
                    why,
                })?;
                if next < this_update {
                    return Err(CrlError::NextUpdateBeforeThisUpdate {
                        this: this_update,
                        next,
                    });
                }
                Some(next)
            }
            _ => None,
        };
        let revoked = match t
            .read_optional(tag::SEQUENCE)
            .map_err(at("revokedCertificates"))?
        {
            Some(r) => r.value,
            None => &[],
        };
        let mut crl = Crl {
            tbs: tbs.raw,
            signature_algorithm,
            signature: &[],
            v2,
            issuer,
            this_update,
            next_update,
            revoked,
            number: None,
            delta_base: None,
            authority_key_id: None,
            scope: CrlScope::default(),
            idp_distribution_point: None,
        };
        if let Some(exts) = t
            .read_optional(tag::context_constructed(0))
            .map_err(at("crlExtensions"))?
        {
            if !v2 {
                return Err(CrlError::ExtensionsInV1);
            }
            crl.parse_extensions(exts.value)?;
        }
        finish(&t, "tbsCertList")?;
        Ok(crl)
    }

    fn parse_extensions(&mut self, explicit: &'a [u8]) -> Result<(), CrlError> {
        let mut wrapper = Reader::new(explicit);
        let seq = wrapper.read(tag::SEQUENCE).map_err(at("crlExtensions"))?;
        finish(&wrapper, "crlExtensions")?;
        if seq.value.is_empty() {
            return Err(CrlError::Malformed {
                field: "crlExtensions (SIZE (1..MAX))",
                problem: DerError::Truncated,
            });
        }
        let mut seen: Vec<&[u8]> = Vec::new();
        let mut r = Reader::new(seq.value);
        while !r.is_empty() {
            let (oid, critical, value) = read_extension(&mut r, "crlExtensions", true)?;
            if seen.contains(&oid) {
                return Err(CrlError::DuplicateExtension {
                    oid: Oid(oid).to_string(),
                });
            }
            seen.push(oid);
            match oid {
                OID_AKI => self.authority_key_id = parse_aki(value)?,
                OID_CRL_NUMBER => {
                    self.number = Some(parse_crl_number(value, "cRLNumber", "§5.2.3")?)
                }
                OID_DELTA => {
                    self.delta_base = Some(parse_crl_number(value, "deltaCRLIndicator", "§5.2.4")?)
                }
                OID_IDP => {
                    let (scope, dp) = parse_idp(value)?;
                    self.scope = scope;
                    self.idp_distribution_point = dp;
                }
                OID_IAN | OID_FRESHEST | OID_AIA => {
                    // Known and not needed for revocation checking; only the
                    // outer syntax is checked (§5.2.2, §5.2.6, §5.2.7).
                    let (name, section) = match oid {
                        OID_IAN => ("issuerAltName", "§5.2.2"),
                        OID_FRESHEST => ("freshestCRL", "§5.2.6"),
                        _ => ("authorityInfoAccess", "§5.2.7"),
                    };
                    let mut v = Reader::new(value);
                    v.read(tag::SEQUENCE)
                        .and_then(|_| v.finish())
                        .map_err(|e| CrlError::BadExtension {
                            name,
                            section,
                            why: e.to_string(),
                        })?;
                }
                _ if critical => {
                    return Err(CrlError::UnknownCriticalExtension {
                        oid: Oid(oid).to_string(),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// RFC 5280 §6.3.3 (b)/(f) and §5.1.2.3, §5.2.1, §4.2.1.3: is this CRL
    /// plausibly issued by `ca`? (The signature is [`Crl::verify_signature`].)
    pub fn check_issued_by(&self, ca: &CaCert) -> Result<(), CrlError> {
        if !names_match(self.issuer, ca.subject_der()) {
            return Err(CrlError::IssuerMismatch {
                crl_issuer: name_string(self.issuer),
                ca_subject: ca.subject_string(),
            });
        }
        if let Some(aki) = self.authority_key_id {
            if aki != ca.key_id().as_bytes() {
                return Err(CrlError::AuthorityKeyIdMismatch {
                    crl: hex::encode(aki),
                    ca: ca.key_id().to_hex(),
                });
            }
        }
        if !ca.can_sign_crls() {
            return Err(CrlError::CaCannotSignCrls(ca.subject_string()));
        }
        VerifyingKey::new(
            ca.key_type().clone(),
            ca.public_key_bits(),
            Provider::DEFAULT,
        )
        .check_algorithm(self.signature_algorithm)
        .map_err(|e| crypto_error(e, ca))
    }

    /// Verifies the signature over the exact tbsCertList bytes through the
    /// crypto seam ([`crate::crypto`]).
    pub fn verify_signature(&self, ca: &CaCert) -> Result<(), CrlError> {
        self.verify_signature_with(ca, &VerifyingKey::from_ca(ca))
    }

    /// Like [`Crl::verify_signature`], with a key already prepared for `ca`
    /// (the verifier keeps one per CA key).
    pub fn verify_signature_with(&self, ca: &CaCert, key: &VerifyingKey) -> Result<(), CrlError> {
        key.verify(self.signature_algorithm, self.tbs, self.signature)
            .map_err(|e| crypto_error(e, ca))
    }

    /// A lazy, zero-copy walk over revokedCertificates.
    pub fn entries(&self) -> Entries<'a> {
        Entries {
            reader: Reader::new(self.revoked),
            index: 0,
            v2: self.v2,
            failed: false,
            indirect: self.scope.indirect,
            certificate_issuer: None,
        }
    }

    /// Entries in the byte range `[start, end)` of the revokedCertificates
    /// content, for walking parts of a large CRL on several threads. The
    /// range is trusted only once the walk of the part before it has ended
    /// exactly at `start` (see [`Crl::guess_entry_boundary`]); entry
    /// indexes in error messages count from the start of the range.
    /// In an indirect CRL a certificateIssuer extension holds for the
    /// entries after it (§5.3.3), so a range not starting at 0 does not
    /// know whose entries it walks: never split an indirect CRL.
    pub fn entries_range(&self, start: usize, end: usize) -> Entries<'a> {
        let end = end.min(self.revoked.len());
        let start = start.min(end);
        Entries {
            reader: Reader::new(&self.revoked[start..end]),
            index: 0,
            v2: self.v2,
            failed: false,
            indirect: self.scope.indirect,
            certificate_issuer: None,
        }
    }

    /// A byte offset at or after `near` where an entry plausibly starts:
    /// four entries in a row parse from there. Only a guess — a crafted CRL
    /// can fool it — so callers confirm it by walking the entries before
    /// it and landing exactly on it; [`Crl::entries_range`] explains.
    pub fn guess_entry_boundary(&self, near: usize) -> Option<usize> {
        let limit = self.revoked.len().min(near.saturating_add(1 << 16));
        (near..limit).find(|&p| {
            self.revoked[p] == tag::SEQUENCE && {
                let mut e = self.entries_range(p, self.revoked.len());
                (0..4).all(|_| matches!(e.next(), Some(Ok(_)) | None))
            }
        })
    }

    /// The exact tbsCertList DER (what the signature covers).
    pub fn tbs_der(&self) -> &'a [u8] {
        self.tbs
    }
    /// The raw DER issuer Name.
    pub fn issuer_der(&self) -> &'a [u8] {
        self.issuer
    }
    /// thisUpdate.
    pub fn this_update(&self) -> Timestamp {
        self.this_update
    }
    /// nextUpdate, if present.
    pub fn next_update(&self) -> Option<Timestamp> {
        self.next_update
    }
    /// cRLNumber, if present.
    pub fn number(&self) -> Option<CrlNumber> {
        self.number
    }
    /// `Some(base)` for a delta CRL: never treat it as a complete CRL.
    pub fn delta_base(&self) -> Option<CrlNumber> {
        self.delta_base
    }
    /// The AKI keyIdentifier, if present.
    pub fn authority_key_id(&self) -> Option<&'a [u8]> {
        self.authority_key_id
    }
    /// Scope from issuingDistributionPoint (full scope when absent).
    pub fn scope(&self) -> &CrlScope {
        &self.scope
    }

    /// The issuingDistributionPoint's distributionPoint, as the DER of its
    /// DistributionPointName (one `[0]` fullName or `[1]`
    /// nameRelativeToCRLIssuer TLV); `None` for a CRL that is not
    /// partitioned by distribution point (§5.2.5).
    pub fn idp_distribution_point(&self) -> Option<&'a [u8]> {
        self.idp_distribution_point
    }
    /// Signature algorithm.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_algorithm
    }
    /// Size of the revokedCertificates content in bytes.
    pub fn entries_len_bytes(&self) -> usize {
        self.revoked.len()
    }
    /// True for a v2 CRL.
    pub fn is_v2(&self) -> bool {
        self.v2
    }
}

/// Reads one Extension; returns (OID content, critical, extnValue content).
/// `validate_oid`: the entry walker skips the OID syntax check on its hot
/// path (an unknown OID is only displayed, and display tolerates bad ones).
#[inline]
fn read_extension<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
    validate_oid: bool,
) -> Result<(&'a [u8], bool, &'a [u8]), CrlError> {
    let ext = r.read(tag::SEQUENCE).map_err(at(field))?;
    let mut e = Reader::new(ext.value);
    let oid = e.read(tag::OID).map_err(at(field))?.value;
    if validate_oid {
        Oid(oid).validate().map_err(at(field))?;
    }
    let critical = match e.read_optional(tag::BOOLEAN).map_err(at(field))? {
        Some(b) => der::boolean(b.value).map_err(at(field))?,
        None => false,
    };
    let value = e.read(tag::OCTET_STRING).map_err(at(field))?.value;
    finish(&e, field)?;
    Ok((oid, critical, value))
}

fn parse_aki(value: &[u8]) -> Result<Option<&[u8]>, CrlError> {
    let bad = |why: String| CrlError::BadExtension {
        name: "authorityKeyIdentifier",
        section: "§5.2.1",
        why,
    };
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE).map_err(|e| bad(e.to_string()))?;
    r.finish().map_err(|e| bad(e.to_string()))?;
    let mut s = Reader::new(seq.value);
    let kid = s
        .read_optional(tag::context_primitive(0))
        .map_err(|e| bad(e.to_string()))?
        .map(|t| t.value);
    s.read_optional(tag::context_constructed(1))
        .map_err(|e| bad(e.to_string()))?;
    s.read_optional(tag::context_primitive(2))
        .map_err(|e| bad(e.to_string()))?;
    s.finish().map_err(|e| bad(e.to_string()))?;
    Ok(kid)
}

fn parse_crl_number(
    value: &[u8],
    name: &'static str,
    section: &'static str,
) -> Result<CrlNumber, CrlError> {
    let bad = |why: String| CrlError::BadExtension { name, section, why };
    let mut r = Reader::new(value);
    let i = r.read(tag::INTEGER).map_err(|e| bad(e.to_string()))?;
    r.finish().map_err(|e| bad(e.to_string()))?;
    let c = der::integer_content(i.value).map_err(|e| bad(e.to_string()))?;
    CrlNumber::from_der_content(c).map_err(|_| CrlError::CrlNumberOutOfRange { name, section })
}

fn parse_idp(value: &[u8]) -> Result<(CrlScope, Option<&[u8]>), CrlError> {
    let bad = |e: DerError| CrlError::BadExtension {
        name: "issuingDistributionPoint",
        section: "§5.2.5",
        why: e.to_string(),
    };
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE).map_err(bad)?;
    r.finish().map_err(bad)?;
    if seq.value.is_empty() {
        return Err(CrlError::InvalidIssuingDistributionPoint(
            "the extension is an empty SEQUENCE",
        ));
    }
    let mut s = Reader::new(seq.value);
    // distributionPoint [0] DistributionPointName: a CHOICE, so the tag is
    // explicit and the content is exactly one [0] fullName or [1]
    // nameRelativeToCRLIssuer (§4.2.1.13).
    let dp = match s.read_optional(tag::context_constructed(0)).map_err(bad)? {
        Some(t) => {
            let mut d = Reader::new(t.value);
            let name = d.read_any().map_err(bad)?;
            d.finish().map_err(bad)?;
            if name.tag != tag::context_constructed(0) && name.tag != tag::context_constructed(1) {
                return Err(CrlError::InvalidIssuingDistributionPoint(
                    "distributionPoint is neither fullName [0] nor nameRelativeToCRLIssuer [1]",
                ));
            }
            Some(t.value)
        }
        None => None,
    };
    let mut scope = CrlScope {
        has_distribution_point: dp.is_some(),
        ..CrlScope::default()
    };
    // DER: a DEFAULT FALSE boolean is omitted, never encoded as FALSE.
    let flag = |s: &mut Reader<'_>, n: u8| -> Result<bool, CrlError> {
        match s.read_optional(tag::context_primitive(n)).map_err(bad)? {
            None => Ok(false),
            Some(t) => match der::boolean(t.value).map_err(bad)? {
                true => Ok(true),
                false => Err(CrlError::InvalidIssuingDistributionPoint(
                    "a DEFAULT FALSE flag is encoded explicitly (not DER)",
                )),
            },
        }
    };
    scope.only_user_certs = flag(&mut s, 1)?;
    scope.only_ca_certs = flag(&mut s, 2)?;
    if let Some(t) = s.read_optional(tag::context_primitive(3)).map_err(bad)? {
        let (_, bits) = der::bit_string(t.value).map_err(bad)?;
        if bits.len() > 2 {
            return Err(CrlError::InvalidIssuingDistributionPoint(
                "onlySomeReasons has more than 9 bits",
            ));
        }
        let mut mask = 0u16;
        for n in 0..16u16 {
            let byte = bits.get((n / 8) as usize).copied().unwrap_or(0);
            if byte & (0x80 >> (n % 8)) != 0 {
                mask |= 1 << n;
            }
        }
        scope.only_some_reasons = Some(mask);
    }
    scope.indirect = flag(&mut s, 4)?;
    scope.only_attribute_certs = flag(&mut s, 5)?;
    s.finish().map_err(bad)?;
    let only = [
        scope.only_user_certs,
        scope.only_ca_certs,
        scope.only_attribute_certs,
    ];
    if only.iter().filter(|&&b| b).count() > 1 {
        return Err(CrlError::InvalidIssuingDistributionPoint(
            "at most one of onlyContainsUserCerts, onlyContainsCACerts and onlyContainsAttributeCerts may be TRUE",
        ));
    }
    Ok((scope, dp))
}

/// Parses an AlgorithmIdentifier's content into a supported algorithm.
pub(crate) fn parse_signature_algorithm(alg: &[u8]) -> Result<SignatureAlgorithm, CrlError> {
    let mut r = Reader::new(alg);
    let oid = r
        .read(tag::OID)
        .map_err(at("signature AlgorithmIdentifier"))?
        .value;
    let params = r.remaining();
    let unsupported = || CrlError::UnsupportedSignatureAlgorithm {
        oid: Oid(oid).to_string(),
    };
    let bad = |alg: &'static str, why: &str| CrlError::BadAlgorithmParameters {
        alg,
        why: why.to_string(),
    };
    if let Some(suffix) = oid.strip_prefix(RSA_PREFIX) {
        let pkcs1 = match suffix {
            [0x0B] => Some(SignatureAlgorithm::RsaPkcs1Sha256),
            [0x0C] => Some(SignatureAlgorithm::RsaPkcs1Sha384),
            [0x0D] => Some(SignatureAlgorithm::RsaPkcs1Sha512),
            [0x0A] => None,
            _ => return Err(unsupported()),
        };
        if let Some(a) = pkcs1 {
            // RFC 4055 §5: parameters MUST be NULL; absent is tolerated as
            // many encoders (and RFC 8017 readers) accept it.
            if !(params.is_empty() || params == [tag::NULL, 0]) {
                return Err(bad(a.name(), "parameters must be NULL"));
            }
            return Ok(a);
        }
        return parse_pss_params(params);
    }
    let a = match oid {
        OID_ECDSA_SHA256 => SignatureAlgorithm::EcdsaSha256,
        OID_ECDSA_SHA384 => SignatureAlgorithm::EcdsaSha384,
        crate::ca::OID_ED25519 => SignatureAlgorithm::Ed25519,
        _ => return Err(unsupported()),
    };
    if !params.is_empty() {
        return Err(bad(
            a.name(),
            "parameters must be absent (RFC 5758 §3.2, RFC 8410 §3)",
        ));
    }
    Ok(a)
}

/// RSASSA-PSS-params (RFC 4055 §3.1): we accept only the profile of
/// RFC 4055 §3.3 / CA/B: hash = MGF1 hash ∈ {SHA-256, 384, 512}, salt =
/// hash length, trailerField 1.
fn parse_pss_params(params: &[u8]) -> Result<SignatureAlgorithm, CrlError> {
    let bad = |why: String| CrlError::BadAlgorithmParameters {
        alg: "RSASSA-PSS",
        why,
    };
    let der_bad = |e: DerError| bad(e.to_string());
    let mut r = Reader::new(params);
    let seq = r.read(tag::SEQUENCE).map_err(der_bad)?;
    r.finish().map_err(der_bad)?;
    let mut s = Reader::new(seq.value);
    let hash_oid = |alg_id: &[u8]| -> Result<Vec<u8>, CrlError> {
        let mut a = Reader::new(alg_id);
        let o = a.read(tag::OID).map_err(der_bad)?.value.to_vec();
        let p = a.remaining();
        if !(p.is_empty() || p == [tag::NULL, 0]) {
            return Err(bad("hash parameters must be NULL or absent".into()));
        }
        Ok(o)
    };
    let hash = match s
        .read_optional(tag::context_constructed(0))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let h = x.read(tag::SEQUENCE).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            hash_oid(h.value)?
        }
        None => return Err(bad("default hash SHA-1 is not supported".into())),
    };
    let mgf_hash = match s
        .read_optional(tag::context_constructed(1))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let m = x.read(tag::SEQUENCE).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            let mut mr = Reader::new(m.value);
            if mr.read(tag::OID).map_err(der_bad)?.value != OID_MGF1 {
                return Err(bad("maskGenAlgorithm must be MGF1".into()));
            }
            let h = mr.read(tag::SEQUENCE).map_err(der_bad)?;
            mr.finish().map_err(der_bad)?;
            hash_oid(h.value)?
        }
        None => return Err(bad("default MGF1 with SHA-1 is not supported".into())),
    };
    let salt = match s
        .read_optional(tag::context_constructed(2))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let i = x.read(tag::INTEGER).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            der::small_unsigned(i.value).map_err(der_bad)?
        }
        None => Some(20),
    };
    if let Some(t) = s
        .read_optional(tag::context_constructed(3))
        .map_err(der_bad)?
    {
        let mut x = Reader::new(t.value);
        let i = x.read(tag::INTEGER).map_err(der_bad)?;
        x.finish().map_err(der_bad)?;
        if der::small_unsigned(i.value).map_err(der_bad)? != Some(1) {
            return Err(bad("trailerField must be 1".into()));
        }
    }
    s.finish().map_err(der_bad)?;
    if hash != mgf_hash {
        return Err(bad("MGF1 hash differs from the message hash".into()));
    }
    let (alg, len) = match hash.as_slice() {
        OID_SHA256 => (SignatureAlgorithm::RsaPssSha256, 32),
        OID_SHA384 => (SignatureAlgorithm::RsaPssSha384, 48),
        OID_SHA512 => (SignatureAlgorithm::RsaPssSha512, 64),
        other => return Err(bad(format!("unsupported hash {}", Oid(other)))),
    };
    if salt != Some(len) {
        return Err(bad(format!(
            "saltLength must equal the hash length ({len})"
        )));
    }
    Ok(alg)
}

/// Maps a [`CryptoError`] from the signature seam to a CRL error.
fn crypto_error(e: CryptoError, ca: &CaCert) -> CrlError {
    match e {
        CryptoError::UnsupportedKey(why) => CrlError::UnsupportedCaKey {
            subject: ca.subject_string(),
            why,
        },
        CryptoError::AlgorithmKeyMismatch { alg, key } => {
            CrlError::AlgorithmKeyMismatch { alg, key }
        }
        _ => CrlError::BadSignature(ca.subject_string()),
    }
}

/// The first directoryName (`[4]` Name) among GeneralName TLVs, as the
/// DER of the Name; `None` when there is none or the names are malformed.
pub(crate) fn first_directory_name(general_names: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(general_names);
    while !r.is_empty() {
        let gn = r.read_any().ok()?;
        if gn.tag == tag::context_constructed(4) {
            let mut n = Reader::new(gn.value);
            let name = n.read(tag::SEQUENCE).ok()?;
            n.finish().ok()?;
            return Some(name.raw);
        }
    }
    None
}

/// The directoryName among GeneralName TLVs when there is exactly one.
pub(crate) fn sole_directory_name(general_names: &[u8]) -> Option<&[u8]> {
    let first = first_directory_name(general_names)?;
    let mut r = Reader::new(general_names);
    let mut n = 0;
    while let Ok(gn) = r.read_any() {
        n += usize::from(gn.tag == tag::context_constructed(4));
    }
    (n == 1).then_some(first)
}

/// Whether an entry whose certificateIssuer is `entry_issuer` (GeneralNames
/// content, `None` for the CRL issuer, as [`Entries::certificate_issuer`])
/// is about a certificate issued by `issuer` (a Name's DER), §5.3.3.
pub(crate) fn entry_is_about(
    crl_issuer: &[u8],
    entry_issuer: Option<&[u8]>,
    issuer: &[u8],
) -> bool {
    match entry_issuer {
        None => names_match(crl_issuer, issuer),
        Some(gns) => sole_directory_name(gns).is_some_and(|d| names_match(d, issuer)),
    }
}

/// RFC 5280 §7.1: exact DER equality, else attribute by attribute with
/// case-insensitive, whitespace-collapsed comparison of string values.
pub(crate) fn names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (Ok((ra, na)), Ok((rb, nb))) = (X509Name::from_der(a), X509Name::from_der(b)) else {
        return false;
    };
    if !ra.is_empty() || !rb.is_empty() {
        return false;
    }
    let (rdns_a, rdns_b): (Vec<_>, Vec<_>) = (na.iter_rdn().collect(), nb.iter_rdn().collect());
    if rdns_a.len() != rdns_b.len() {
        return false;
    }
    rdns_a.iter().zip(rdns_b.iter()).all(|(x, y)| {
        let (xs, ys): (Vec<_>, Vec<_>) = (x.iter().collect(), y.iter().collect());
        xs.len() == ys.len()
            && xs.iter().zip(ys.iter()).all(|(p, q)| {
                if p.attr_type() != q.attr_type() {
                    return false;
                }
                match (p.as_str(), q.as_str()) {
                    (Ok(s), Ok(t)) => normalise(s) == normalise(t),
                    _ => {
                        p.attr_value().tag() == q.attr_value().tag() && p.as_slice() == q.as_slice()
                    }
                }
            })
    })
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

fn name_string(der: &[u8]) -> String {
    match X509Name::from_der(der) {
        Ok((_, n)) => n.to_string(),
        Err(_) => format!("<undecodable name {}>", hex::encode(der)),
    }
}

#[inline(always)]
fn d2(b: &[u8], i: usize) -> Option<u32> {
    let hi = (*b.get(i)? as u32).wrapping_sub(b'0' as u32);
    let lo = (*b.get(i + 1)? as u32).wrapping_sub(b'0' as u32);
    if hi < 10 && lo < 10 {
        Some(hi * 10 + lo)
    } else {
        None
    }
}

/// RFC 5280 §4.1.2.5.1/§4.1.2.5.2 time: UTCTime `YYMMDDHHMMSSZ` (YY ≥ 50
/// is 19YY) or GeneralizedTime `YYYYMMDDHHMMSSZ`, no fractions, seconds
/// required, Zulu only, real calendar date. Hand-parsed: this runs once
/// per CRL entry.
#[inline]
pub(crate) fn parse_time(tag_byte: u8, v: &[u8]) -> Result<Timestamp, &'static str> {
    let (year, rest) = match tag_byte {
        tag::UTC_TIME => {
            if v.len() != 13 {
                return Err("UTCTime must be exactly YYMMDDHHMMSSZ");
            }
            let yy = d2(v, 0).ok_or("non-digit in UTCTime")?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, &v[2..])
        }
        tag::GENERALIZED_TIME => {
            if v.len() != 15 {
                return Err("GeneralizedTime must be exactly YYYYMMDDHHMMSSZ (no fraction)");
            }
            let hi = d2(v, 0).ok_or("non-digit in GeneralizedTime")?;
            let lo = d2(v, 2).ok_or("non-digit in GeneralizedTime")?;
            (hi * 100 + lo, &v[4..])
        }
        _ => return Err("expected UTCTime or GeneralizedTime"),
    };
    if rest.get(10) != Some(&b'Z') {
        return Err("time must end in Z (UTC)");
    }
    let (Some(mo), Some(d), Some(h), Some(mi), Some(s)) = (
        d2(rest, 0),
        d2(rest, 2),
        d2(rest, 4),
        d2(rest, 6),
        d2(rest, 8),
    ) else {
        return Err("non-digit in time");
    };
    Timestamp::from_utc_fields_fast(year as i32, mo as u8, d as u8, h as u8, mi as u8, s as u8)
        .ok_or("not a valid calendar date and time")
}

/// Lazy iterator over revokedCertificates. Yields each entry or the first
/// error, then stops. Cheap to clone (a cursor over borrowed bytes).
#[derive(Clone, Debug)]
pub struct Entries<'a> {
    reader: Reader<'a>,
    index: usize,
    v2: bool,
    failed: bool,
    /// The CRL asserts indirectCRL: certificateIssuer is allowed.
    indirect: bool,
    /// The certificateIssuer in effect (GeneralNames content), `None`
    /// for the CRL issuer (§5.3.3).
    certificate_issuer: Option<&'a [u8]>,
}

impl<'a> Entries<'a> {
    /// Whose certificate the entry last yielded is about, in an indirect
    /// CRL: the content of the GeneralNames of the latest certificateIssuer
    /// extension at or before it (§5.3.3: it holds until the next one), or
    /// `None` for the CRL issuer. Always `None` in a CRL that is not
    /// indirect, where certificateIssuer is refused.
    pub fn certificate_issuer(&self) -> Option<&'a [u8]> {
        self.certificate_issuer
    }

    /// Byte offset reached, relative to the start of the
    /// revokedCertificates content (see [`Crl::entries_len_bytes`]).
    pub fn offset(&self) -> usize {
        self.reader.position()
    }

    /// Number of entries yielded so far.
    pub fn index(&self) -> usize {
        self.index
    }

    /// The common entry shape, matched byte for byte: a short SEQUENCE of
    /// a short INTEGER, a UTCTime and nothing else or a lone reasonCode
    /// extension. `None` sends the entry to the general parser, which
    /// enforces every rule and reports errors precisely; this path accepts
    /// nothing the general one would refuse.
    #[inline]
    fn parse_common_entry(&mut self) -> Option<RevokedEntry> {
        let rem = self.reader.remaining();
        let (&[0x30, len], rest) = rem.split_first_chunk::<2>()? else {
            return None;
        };
        let body = rest.get(..len as usize).filter(|_| len < 0x80)?;
        let (&[0x02, sl], rest) = body.split_first_chunk::<2>()? else {
            return None;
        };
        if sl == 0 || sl >= 0x80 {
            return None;
        }
        let serial_bytes = rest.get(..sl as usize)?;
        let rest = &rest[sl as usize..];
        let (&[tag::UTC_TIME, 13], rest) = rest.split_first_chunk::<2>()? else {
            return None;
        };
        let time = rest.get(..13)?;
        let exts = &rest[13..];
        let reason = match *exts {
            [] => None,
            [0x30, 0x0E, 0x30, 0x0C, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, code]
                if self.v2 && code < 0x80 =>
            {
                Some(RevocationReason::from_code(code)?)
            }
            _ => return None,
        };
        let serial = Serial::from_der_content(serial_bytes).ok()?;
        let revoked_at = parse_time(tag::UTC_TIME, time).ok()?;
        // Advance past the entry: its header is the short form just read.
        self.reader.read_any().ok()?;
        Some(RevokedEntry {
            serial,
            revoked_at,
            reason,
            invalidity_date: None,
        })
    }

    #[inline]
    fn parse_entry(&mut self) -> Result<RevokedEntry, CrlError> {
        if let Some(e) = self.parse_common_entry() {
            return Ok(e);
        }
        let index = self.index;
        let mal = |field: &'static str| {
            move |problem| CrlError::MalformedEntry {
                index,
                field,
                problem,
            }
        };
        let e = self
            .reader
            .read(tag::SEQUENCE)
            .map_err(mal("revokedCertificates entry"))?;
        let mut r = Reader::new(e.value);
        let s = r.read(tag::INTEGER).map_err(mal("userCertificate"))?;
        let serial = Serial::from_der_content(s.value)
            .map_err(|problem| CrlError::BadEntrySerial { index, problem })?;
        let t = r.read_any().map_err(mal("revocationDate"))?;
        let revoked_at = parse_time(t.tag, t.value).map_err(|why| CrlError::BadEntryTime {
            index,
            field: "revocationDate",
            why,
        })?;
        let mut entry = RevokedEntry {
            serial,
            revoked_at,
            reason: None,
            invalidity_date: None,
        };
        if r.is_empty() {
            return Ok(entry);
        }
        let exts = r.read(tag::SEQUENCE).map_err(mal("crlEntryExtensions"))?;
        if let Err(problem) = r.finish() {
            return Err(CrlError::MalformedEntry {
                index,
                field: "revokedCertificates entry",
                problem,
            });
        }
        if !self.v2 {
            return Err(CrlError::EntryExtensionsInV1 { index });
        }
        if let Some(ci) = parse_entry_extensions(exts, index, &mut entry, self.indirect)? {
            self.certificate_issuer = Some(ci);
        }
        Ok(entry)
    }
}

/// Returns the certificateIssuer's GeneralNames content, when the entry
/// has one (only allowed when `indirect`).
fn parse_entry_extensions<'a>(
    exts: Tlv<'a>,
    index: usize,
    entry: &mut RevokedEntry,
    indirect: bool,
) -> Result<Option<&'a [u8]>, CrlError> {
    let serial = entry.serial;
    // Fast path for the overwhelmingly common case, a lone non-critical
    // reasonCode: Extension { extnID 2.5.29.21, extnValue OCTET STRING {
    // ENUMERATED x } } in its one DER encoding. Anything else takes the
    // general path below, which enforces every rule.
    if let [0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, code] = *exts.value {
        return match RevocationReason::from_code(code) {
            Some(r) if code < 0x80 => {
                entry.reason = Some(r);
                Ok(None)
            }
            _ => Err(CrlError::BadReasonCode {
                serial,
                code: format!("0x{code:02x}"),
            }),
        };
    }
    if exts.value.is_empty() {
        return Err(CrlError::MalformedEntry {
            index,
            field: "crlEntryExtensions (SIZE (1..MAX))",
            problem: DerError::Truncated,
        });
    }
    // Duplicate detection without allocation: entries carry a handful of
    // extensions, so comparing against the earlier ones is cheapest.
    let mut seen: [&[u8]; 8] = [&[]; 8];
    let mut n_seen = 0usize;
    let mut certificate_issuer = None;
    let mut r = Reader::new(exts.value);
    while !r.is_empty() {
        let (oid, critical, value) =
            read_extension(&mut r, "crlEntryExtensions", false).map_err(|e| match e {
                CrlError::Malformed { problem, .. } => CrlError::MalformedEntry {
                    index,
                    field: "crlEntryExtensions",
                    problem,
                },
                CrlError::Truncated { .. } => CrlError::MalformedEntry {
                    index,
                    field: "crlEntryExtensions",
                    problem: DerError::Truncated,
                },
                CrlError::ExtraData { len, .. } => CrlError::MalformedEntry {
                    index,
                    field: "crlEntryExtensions",
                    problem: DerError::TrailingData(len),
                },
                other => other,
            })?;
        if seen[..n_seen].contains(&oid) {
            return Err(CrlError::DuplicateEntryExtension {
                oid: Oid(oid).to_string(),
                serial,
            });
        }
        if n_seen == seen.len() {
            return Err(CrlError::MalformedEntry {
                index,
                field: "crlEntryExtensions (more than 8)",
                problem: DerError::TrailingData(r.remaining().len()),
            });
        }
        seen[n_seen] = oid;
        n_seen += 1;
        match oid {
            OID_REASON => {
                let bad = |why: String| CrlError::BadEntryExtension {
                    serial,
                    name: "reasonCode",
                    section: "§5.3.1",
                    why,
                };
                let mut v = Reader::new(value);
                let en = v.read(tag::ENUMERATED).map_err(|e| bad(e.to_string()))?;
                v.finish().map_err(|e| bad(e.to_string()))?;
                let code = der::small_unsigned(en.value).map_err(|e| bad(e.to_string()))?;
                let reason = code
                    .and_then(|c| u8::try_from(c).ok())
                    .and_then(RevocationReason::from_code)
                    .ok_or_else(|| CrlError::BadReasonCode {
                        serial,
                        code: format!("0x{}", hex::encode(en.value)),
                    })?;
                entry.reason = Some(reason);
            }
            OID_INVALIDITY => {
                let mut v = Reader::new(value);
                let t = v
                    .read(tag::GENERALIZED_TIME)
                    .and_then(|t| v.finish().map(|_| t))
                    .map_err(|e| CrlError::BadEntryExtension {
                        serial,
                        name: "invalidityDate",
                        section: "§5.3.2",
                        why: e.to_string(),
                    })?;
                entry.invalidity_date =
                    Some(
                        parse_time(t.tag, t.value).map_err(|why| CrlError::BadEntryTime {
                            index,
                            field: "invalidityDate",
                            why,
                        })?,
                    );
            }
            OID_CERT_ISSUER if !indirect => {
                return Err(CrlError::IndirectCrlUnsupported { serial })
            }
            OID_CERT_ISSUER => {
                // GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
                let bad = |why: String| CrlError::BadEntryExtension {
                    serial,
                    name: "certificateIssuer",
                    section: "§5.3.3",
                    why,
                };
                let mut v = Reader::new(value);
                let names = v.read(tag::SEQUENCE).map_err(|e| bad(e.to_string()))?;
                v.finish().map_err(|e| bad(e.to_string()))?;
                if names.value.is_empty() {
                    return Err(bad("empty GeneralNames".into()));
                }
                // Entries are matched to certificates by issuer DN: a
                // certificateIssuer without exactly one directoryName
                // (none, or aliases) could leave entries unattributed to
                // an issuer they are about, so it is refused.
                if sole_directory_name(names.value).is_none() {
                    return Err(bad(
                        "not exactly one directoryName: kakunin attributes entries by issuer name"
                            .into(),
                    ));
                }
                certificate_issuer = Some(names.value);
            }
            _ if critical => {
                return Err(CrlError::UnknownCriticalEntryExtension {
                    oid: Oid(oid).to_string(),
                    serial,
                })
            }
            _ => {}
        }
    }
    Ok(certificate_issuer)
}

impl Iterator for Entries<'_> {
    type Item = Result<RevokedEntry, CrlError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.reader.is_empty() {
            return None;
        }
        let r = self.parse_entry();
        match r {
            Ok(_) => self.index += 1,
            Err(_) => self.failed = true,
        }
        Some(r)
    }
}

impl std::iter::FusedIterator for Entries<'_> {}

#[cfg(test)]
mod tests;
