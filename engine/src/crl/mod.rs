//! Zero-copy CRL parsing and checking (RFC 5280 §5).
//!
//! Why not x509-parser for the whole thing: it decodes every entry eagerly
//! (a `Vec` and a `BigUint` per entry), ~0.5 s and ~340 bytes per entry for
//! 1M entries, while a JPKI signing CRL has millions of entries and must be
//! ingested in well under a second. So [`Crl::parse`] splits the
//! CertificateList with the tiny reader in `der` module, checks the header
//! (O(header), entries untouched), and [`Crl::entries`] walks the
//! `revokedCertificates` SEQUENCE lazily over the borrowed bytes with no
//! allocation per entry. x509-parser is still used where its cost does not
//! matter: the CA certificate and the §7.1 Name comparison.
//!
//! Every rule failure is its own [`CrlError`] variant whose message cites
//! the RFC 5280 section it enforces.

mod entries;
mod error;
mod extensions;

use std::borrow::Cow;

use crate::ca::CaCert;
use crate::crl_number::CrlNumber;
use crate::crypto::{CryptoError, Provider, VerifyingKey};
use crate::der::{self, tag, DerError, Reader, Tlv};
use crate::name::{name_string, names_match};
use crate::sigalg::{self, AlgorithmError, SignatureAlgorithm};
use crate::time::{parse_time, Timestamp};

pub(crate) use entries::entry_is_about;
pub use entries::{Entries, RevokedEntry};
pub use error::CrlError;
pub use extensions::CrlScope;

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
    /// (§5.1.1.2 requires byte equality with tbsCertList.signature). It is
    /// `None` only when a truncated tbsCertList is probed for the field the
    /// cut falls in: then the rules on the extensions as a whole (AKI and
    /// cRLNumber present, …) are skipped, since the cut may have dropped
    /// them and the error is to say "truncated".
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
        let signature_algorithm = sigalg::parse(inner_alg.value)?;
        let issuer = t.read(tag::SEQUENCE).map_err(at("issuer"))?.raw;
        let this_tlv = t.read_any().map_err(at("thisUpdate"))?;
        let this_update = parse_crl_time(this_tlv, "thisUpdate")?;
        let next_update = match t.peek_tag() {
            Some(tag::UTC_TIME | tag::GENERALIZED_TIME) => {
                let n = t.read_any().map_err(at("nextUpdate"))?;
                let next = parse_crl_time(n, "nextUpdate")?;
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
            // §5.1.2.6: "When there are no revoked certificates, the
            // revoked certificates list MUST be absent."
            Some(r) if r.value.is_empty() => return Err(CrlError::EmptyRevokedCertificates),
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
        let exts = t
            .read_optional(tag::context_constructed(0))
            .map_err(at("crlExtensions"))?;
        match exts {
            Some(_) if !v2 => return Err(CrlError::ExtensionsInV1),
            // A v2 CRL must carry extensions (AKI, cRLNumber: §5.2.1,
            // §5.2.3), so even a v2 CRL without any goes through the
            // checks. A v1 CRL has none and stays readable (§5).
            exts if v2 => crl.parse_extensions(exts.map(|e| e.value), outer_alg.is_some())?,
            _ => {}
        }
        finish(&t, "tbsCertList")?;
        Ok(crl)
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
        Entries::new(self.revoked, self.v2, self.scope.indirect, self.is_delta())
    }

    /// Entries in the byte range `[start, end)` of the revokedCertificates
    /// content, for walking parts of a large CRL on several threads. The
    /// range is trusted only once the walk of the part before it has ended
    /// exactly at `start` (see [`Crl::guess_entry_boundary`]); entry
    /// indexes in error messages count from the start of the range.
    /// In an indirect CRL a certificateIssuer extension holds for the
    /// entries after it (§5.3.3), so a range not starting at 0 does not
    /// know whose entries it walks: never split an indirect CRL.
    pub(crate) fn entries_range(&self, start: usize, end: usize) -> Entries<'a> {
        let end = end.min(self.revoked.len());
        let start = start.min(end);
        Entries::new(
            &self.revoked[start..end],
            self.v2,
            self.scope.indirect,
            self.is_delta(),
        )
    }

    /// A byte offset at or after `near` where an entry plausibly starts:
    /// four entries in a row parse from there. Only a guess — a crafted CRL
    /// can fool it — so callers confirm it by walking the entries before
    /// it and landing exactly on it; [`Crl::entries_range`] explains.
    pub(crate) fn guess_entry_boundary(&self, near: usize) -> Option<usize> {
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
    /// True for a delta CRL (deltaCRLIndicator present, §5.2.4).
    pub fn is_delta(&self) -> bool {
        self.delta_base.is_some()
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

/// The first date that §5.1.2.4 lets (and requires) a CRL to encode as
/// GeneralizedTime: 2050-01-01T00:00:00Z.
const GENERALIZED_TIME_FROM: Timestamp = Timestamp::from_unix(2_524_608_000);

/// True when `tag_byte` is GeneralizedTime for a date that §5.1.2.4 (and
/// §5.1.2.5, §5.1.2.6, which refer to it) requires in UTCTime: through
/// 2049. The certificate side accepts this on purpose (PKITS 4.2.4); a
/// CRL issuer MUST NOT do it, and a relying party can see it.
pub(super) fn generalized_before_2050(tag_byte: u8, t: Timestamp) -> bool {
    tag_byte == tag::GENERALIZED_TIME && t < GENERALIZED_TIME_FROM
}

/// thisUpdate or nextUpdate: the §4.1.2.5 syntax, then the §5.1.2.4
/// choice of type.
fn parse_crl_time(t: Tlv<'_>, field: &'static str) -> Result<Timestamp, CrlError> {
    let found = parse_time(t.tag, t.value).map_err(|why| CrlError::BadTime { field, why })?;
    if generalized_before_2050(t.tag, found) {
        return Err(CrlError::GeneralizedTimeBefore2050 { field, found });
    }
    Ok(found)
}

impl From<AlgorithmError> for CrlError {
    fn from(e: AlgorithmError) -> CrlError {
        match e {
            AlgorithmError::Malformed(problem) => at("signature AlgorithmIdentifier")(problem),
            AlgorithmError::Unsupported { oid } => CrlError::UnsupportedSignatureAlgorithm { oid },
            AlgorithmError::BadParameters { alg, why } => {
                CrlError::BadAlgorithmParameters { alg, why }
            }
        }
    }
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

#[cfg(test)]
mod tests;
