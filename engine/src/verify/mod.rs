//! Batch offline verification: path to a trust anchor, signatures,
//! validity, extensions and revocation of every certificate on the path
//! (RFC 5280 §6.1 and §6.3, the parts a CRL-checking verifier needs).
//!
//! # Shape
//!
//! [`VerifierBuilder`] collects trust anchors, intermediates, raw CRLs and
//! prebuilt indexes, and [`VerifierBuilder::build`] does all the work that
//! does not depend on the leaf or the time:
//!
//! - every CA certificate is parsed, its key prepared for the crypto seam
//!   ([`crate::crypto`]) once;
//! - every CA→issuer edge is found (name and key identifier select the
//!   candidates, the signature decides) and every path from each CA up to
//!   an anchor is enumerated (depth ≤ [`MAX_DEPTH`], no loops) together with
//!   its time-independent verdict: signatures, basicConstraints,
//!   pathLenConstraint, keyUsage keyCertSign, name chaining, critical
//!   extensions;
//! - every raw CRL is verified against its issuer (name, AKI, cRLSign,
//!   signature) and turned into the same in-memory index that
//!   `kakunin ingest` writes to a file, so raw CRLs and index files are
//!   answered by one lookup code path and cannot disagree.
//!
//! [`Verifier::verify`] then parses the leaf with the zero-copy reader,
//! finds its issuer through a hash map (AKI, else issuer DN), does one
//! signature verification with the cached key, and evaluates only what
//! depends on `at` for the rest of the path: validity periods (integer
//! comparisons) and revocation (index lookups). That *is* the per-path
//! cache: the upper path's static verdict is computed once at build, and
//! the time-dependent part is a handful of comparisons, so no cache keyed
//! by time is needed and none can go stale.
//!
//! # Order of checks
//!
//! For each candidate path: structure and signatures and extensions
//! (→ `Invalid`), then revocation (→ `Revoked`), then validity periods
//! (→ `Invalid`), then missing revocation information (→ `Unknown`). Of
//! several candidate paths the best verdict wins: Valid, Revoked, Unknown,
//! Invalid. OpenSSL reports a missing CRL before an expired certificate;
//! we report the expiry, which is also "not valid" and more useful.

//! # Which CRLs speak for a certificate (§6.3.3)
//!
//! CRLs signed by the issuer's own key decide first; then CRLs of
//! same-name keys above it on the path (key rollover); then CRLs of a
//! same-name key whose certificate is *not* on the path but was issued by
//! a CA of the path (a separate CRL-signing key, §6.3.3 (f)) — and only
//! after that certificate is found within its validity period and not
//! revoked, with the path's own keys. An anchor is never such a signer,
//! so self-signed CA generations sharing one DN never vouch for each
//! other's CRLs.
//!
//! A partitioned CRL (issuingDistributionPoint with a distributionPoint)
//! covers a certificate only when one of its names matches one of the
//! certificate's cRLDistributionPoints (§6.3.3 (b)(2)(i)), and then for
//! that distribution point's reasons. Index files do not record the
//! distribution point name, so a partitioned CRL given as an index covers
//! nothing: give such CRLs raw (`--crl`), or expect `Unknown`.
//!
//! A distribution point naming a cRLIssuer is served by that issuer's
//! indirect CRLs (§6.3.3 (b)(1)), of which only the entries about the
//! certificate's issuer count (certificateIssuer, §5.3.3). The cRLIssuer
//! must be on the path or certified by a CA of the path at or above the
//! certificate's issuer, and is then validated like a separate CRL signer.
//! A raw indirect CRL is indexed once per configured CA name; an index file
//! holds only the CRL issuer's own entries, so it serves those only.

pub(crate) mod cert;
mod dp;
mod name;

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::ca::CaCert;
use crate::crl::{self, names_match};
use crate::crypto::{sha256, CryptoError, Provider, Signed, VerifyingKey};
use crate::index::{IndexMeta, SerialIndex};
use crate::ingest::{verify_crl, verify_crl_for_issuer, IngestOptions};
use crate::store::IndexBytes;
use crate::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};

use cert::{ku, Cert};

/// Longest path (certificates, leaf and anchor included) we try to build.
pub const MAX_DEPTH: usize = 8;

/// The check that failed, for `Status::Invalid`. `Display` is a short,
/// stable snake_case name meant for JSON output and scripts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Check {
    /// The bytes are not a DER X.509 certificate (RFC 5280 §4.1).
    Malformed,
    /// Signature or key algorithm we do not support, or that does not fit
    /// the issuer's key (§4.1.1.2).
    UnsupportedAlgorithm,
    /// A signature on the path does not verify (§6.1.3 (a)(1)).
    Signature,
    /// No configured CA could have issued a certificate on the path.
    NoPath,
    /// A certificate's notAfter is before `at` (§6.1.3 (a)(2)).
    Expired,
    /// A certificate's notBefore is after `at` (§6.1.3 (a)(2)).
    NotYetValid,
    /// A CA on the path lacks basicConstraints cA (§6.1.4 (k)).
    BasicConstraints,
    /// pathLenConstraint exceeded (§6.1.4 (l), (m)).
    PathLen,
    /// A CA's keyUsage lacks keyCertSign (§6.1.4 (n)).
    KeyUsage,
    /// A critical extension we do not process (§4.2, §6.1.4 (o)).
    UnknownCriticalExtension,
    /// nameConstraints present: not implemented, so we fail closed.
    NameConstraintsUnsupported,
    /// Issuer DN differs from the issuer's subject DN (§6.1.3 (a)(4)).
    NameChaining,
}

impl Check {
    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Check::Malformed => "malformed",
            Check::UnsupportedAlgorithm => "unsupported_algorithm",
            Check::Signature => "signature",
            Check::NoPath => "no_path",
            Check::Expired => "expired",
            Check::NotYetValid => "not_yet_valid",
            Check::BasicConstraints => "basic_constraints",
            Check::PathLen => "path_len",
            Check::KeyUsage => "key_usage",
            Check::UnknownCriticalExtension => "unknown_critical_extension",
            Check::NameConstraintsUnsupported => "name_constraints_unsupported",
            Check::NameChaining => "name_chaining",
        }
    }
}

impl fmt::Display for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The answer for one certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// A path to a trust anchor exists, every check passed, and a current
    /// CRL of each issuer says nobody on the path is revoked.
    Valid,
    /// A certificate on the path is on its issuer's current CRL.
    Revoked {
        /// reasonCode of the entry.
        reason: Option<RevocationReason>,
        /// revocationDate of the entry.
        revoked_at: Timestamp,
        /// Which certificate: 0 = the leaf, 1 = its issuer, …
        depth: usize,
    },
    /// A check failed.
    Invalid {
        /// Which one.
        check: Check,
        /// Human-readable detail.
        detail: String,
    },
    /// No current CRL covers some certificate on the path: fail closed,
    /// callers must not treat this as valid (RFC 5280 §6.3.3 (k)).
    Unknown {
        /// What was missing.
        detail: String,
    },
}

impl Status {
    /// `valid`, `revoked`, `invalid` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            Status::Valid => "valid",
            Status::Revoked { .. } => "revoked",
            Status::Invalid { .. } => "invalid",
            Status::Unknown { .. } => "unknown",
        }
    }

    fn rank(&self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Revoked { .. } => 1,
            Status::Unknown { .. } => 2,
            Status::Invalid { .. } => 3,
        }
    }
}

/// One certificate of the path that was validated (leaf first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PathCert {
    /// serialNumber.
    pub serial: Serial,
    /// Subject DN as text.
    pub subject: Arc<str>,
    /// SHA-256 of the certificate DER; `None` for the leaf, whose bytes
    /// the caller holds (hashing every leaf would cost a batch ~6% for
    /// callers that never look).
    pub sha256: Option<[u8; 32]>,
    /// True for the trust anchor.
    pub anchor: bool,
}

/// Where revocation data came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A raw CRL given to the builder.
    Crl,
    /// A prebuilt index file.
    Index,
}

impl SourceKind {
    /// `crl` or `index`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Crl => "crl",
            SourceKind::Index => "index",
        }
    }
}

/// One piece of revocation data consulted for a verdict (evidence).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RevocationSource {
    /// For which certificate of the path (0 = leaf).
    pub depth: usize,
    /// Key identifier of the CRL issuer.
    pub issuer_key_id: IssuerKeyId,
    /// cRLNumber.
    pub crl_number: Option<CrlNumber>,
    /// True for a delta CRL.
    pub delta: bool,
    /// thisUpdate.
    pub this_update: Timestamp,
    /// nextUpdate.
    pub next_update: Timestamp,
    /// SHA-256 of the CRL DER (kind `Crl`) or of the index file (`Index`).
    pub sha256: [u8; 32],
    /// Raw CRL or index file.
    pub kind: SourceKind,
}

/// The result of [`Verifier::verify`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The leaf's serial, when it could be parsed.
    pub serial: Option<Serial>,
    /// The leaf's subject DN as text, when it could be parsed.
    pub subject: Option<String>,
    /// The answer.
    pub status: Status,
    /// The path the answer is about, leaf first (empty when none was found).
    pub path: Vec<PathCert>,
    /// CRLs / indexes consulted.
    pub revocation_sources: Vec<RevocationSource>,
}

/// Why a verifier could not be built. Configuration errors, never about
/// a certificate being checked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// `build` without any trust anchor.
    #[error("no trust anchor configured: add at least one CA certificate to trust (--trust)")]
    NoTrustAnchor,
    /// A CA certificate could not be parsed.
    #[error("{role} certificate: {source}")]
    CaCert {
        /// "trust anchor" or "intermediate".
        role: &'static str,
        /// The parse failure.
        source: crate::ca::CaError,
    },
    /// A CA certificate fails our own (stricter) reader.
    #[error("{role} certificate {subject}: {detail}")]
    CaProfile {
        /// "trust anchor" or "intermediate".
        role: &'static str,
        /// Subject, for the message.
        subject: String,
        /// What is wrong.
        detail: String,
    },
    /// A CRL is not PEM or DER, or malformed.
    #[error("CRL #{n}: {source}")]
    Crl {
        /// 1-based position among the CRLs given.
        n: usize,
        /// The failure.
        source: crate::crl::CrlError,
    },
    /// No configured CA issued (name, key id, cRLSign, signature) a CRL.
    #[error("CRL #{n} (issuer {issuer}): not issued by any configured CA: {why}; add its CA with --trust or --intermediate")]
    CrlIssuer {
        /// 1-based position among the CRLs given.
        n: usize,
        /// The CRL's issuer DN.
        issuer: String,
        /// The last rejection.
        why: String,
    },
    /// An index names an issuer key no configured CA has.
    #[error("index #{n} (issuer key id {key_id}): no configured CA has that key (matched by SubjectPublicKeyInfo SHA-256); add its CA with --trust or --intermediate")]
    IndexIssuer {
        /// 1-based position among the indexes given.
        n: usize,
        /// The index's issuer key id.
        key_id: IssuerKeyId,
    },
}

/// Collects the configuration of a [`Verifier`].
#[derive(Default)]
pub struct VerifierBuilder {
    anchors: Vec<Vec<u8>>,
    intermediates: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    indexes: Vec<Arc<SerialIndex<IndexBytes>>>,
    provider: Option<Provider>,
}

impl fmt::Debug for VerifierBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifierBuilder")
            .field("anchors", &self.anchors.len())
            .field("intermediates", &self.intermediates.len())
            .field("crls", &self.crls.len())
            .field("indexes", &self.indexes.len())
            .finish()
    }
}

fn check_ca(der: &[u8], role: &'static str) -> Result<CaCert, VerifyError> {
    let ca = CaCert::from_der(der).map_err(|source| VerifyError::CaCert { role, source })?;
    Cert::parse(der).map_err(|(_, detail)| VerifyError::CaProfile {
        role,
        subject: ca.subject_string(),
        detail,
    })?;
    Ok(ca)
}

impl VerifierBuilder {
    /// An empty configuration.
    pub fn new() -> Self {
        VerifierBuilder::default()
    }

    /// Trusts a CA certificate (DER). Self-signed or not, its key is
    /// trusted as is: its own signature is not checked, but its validity
    /// period, basicConstraints, keyUsage and critical extensions are (as
    /// OpenSSL does).
    pub fn trust_anchor_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        check_ca(der, "trust anchor")?;
        self.anchors.push(der.to_vec());
        Ok(self)
    }

    /// Adds an untrusted intermediate CA certificate (DER), usable to build
    /// paths.
    pub fn intermediate_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        check_ca(der, "intermediate")?;
        self.intermediates.push(der.to_vec());
        Ok(self)
    }

    /// Adds a raw CRL (DER or PEM). It is verified against its issuer at
    /// [`VerifierBuilder::build`]; its currency is judged per `verify` call.
    pub fn crl_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        let n = self.crls.len() + 1;
        let bytes =
            crl::der_from_pem_or_der(der).map_err(|source| VerifyError::Crl { n, source })?;
        crl::Crl::parse(&bytes).map_err(|source| VerifyError::Crl { n, source })?;
        self.crls.push(bytes.into_owned());
        Ok(self)
    }

    /// Adds a prebuilt index (from `kakunin ingest`). Matched to its issuer
    /// by the SHA-256 of the issuer's SubjectPublicKeyInfo. An index does
    /// not record a partitioned CRL's distribution point name, nor an
    /// indirect CRL's entries about other issuers: such CRLs answer fully
    /// only when given raw ([`VerifierBuilder::crl_der`]); from an index
    /// they fail closed (`Unknown`) where they cannot be matched.
    pub fn index(&mut self, index: SerialIndex<IndexBytes>) -> Result<&mut Self, VerifyError> {
        self.indexes.push(Arc::new(index));
        Ok(self)
    }

    /// Picks the signature backend (default [`Provider::DEFAULT`]).
    pub fn provider(&mut self, provider: Provider) -> &mut Self {
        self.provider = Some(provider);
        self
    }

    /// Builds the verifier; refuses an incomplete configuration.
    pub fn build(&self) -> Result<Verifier, VerifyError> {
        if self.anchors.is_empty() {
            return Err(VerifyError::NoTrustAnchor);
        }
        let provider = self.provider.unwrap_or_default();
        let mut nodes = Vec::new();
        for (ders, anchor, role) in [
            (&self.anchors, true, "trust anchor"),
            (&self.intermediates, false, "intermediate"),
        ] {
            for der in ders {
                // Duplicates (same bytes) add nothing but work.
                if nodes.iter().any(|n: &CaNode| n.ca.der() == der.as_slice()) {
                    continue;
                }
                nodes.push(CaNode::new(der, anchor, role, provider)?);
            }
        }

        // Revocation sources.
        let mut sources = Vec::new();
        for (i, raw) in self.crls.iter().enumerate() {
            let n = i + 1;
            let parsed = crl::Crl::parse(raw).map_err(|source| VerifyError::Crl { n, source })?;
            let opts = IngestOptions {
                // Currency is judged per call; here only the issuer and
                // the signature matter, so check "as of thisUpdate".
                now: parsed.this_update(),
                max_clock_skew: 0,
            };
            let mut why = String::from("no CA with that name");
            let mut done = false;
            for node in &nodes {
                if !names_match(parsed.issuer_der(), node.ca.subject_der()) {
                    continue;
                }
                match verify_crl(raw, &node.ca, &opts, &|_, _| {}) {
                    Ok(v) => {
                        let (bytes, _) =
                            v.into_index_bytes().map_err(|e| VerifyError::CrlIssuer {
                                n,
                                issuer: node.ca.subject_string(),
                                why: e.to_string(),
                            })?;
                        let index =
                            SerialIndex::from_bytes(IndexBytes::Owned(bytes)).map_err(|e| {
                                VerifyError::CrlIssuer {
                                    n,
                                    issuer: node.ca.subject_string(),
                                    why: e.to_string(),
                                }
                            })?;
                        let sha = sha256(raw);
                        // A malformed name leaves `None`: the CRL is then
                        // treated as a partition we cannot place, which
                        // fails closed.
                        let idp_names = parsed
                            .idp_distribution_point()
                            .and_then(|d| dp::idp_names(d, parsed.issuer_der()).ok());
                        // An indirect CRL also speaks for other issuers
                        // (§5.3.3): one index per configured CA name, of
                        // the entries about that issuer's certificates
                        // (possibly none, which is an answer too).
                        if parsed.scope().indirect {
                            let mut names: Vec<&[u8]> = Vec::new();
                            for other in &nodes {
                                let dn = other.ca.subject_der();
                                if names_match(dn, parsed.issuer_der())
                                    || names.iter().any(|n| names_match(n, dn))
                                {
                                    continue;
                                }
                                names.push(dn);
                            }
                            for dn in names {
                                let v = verify_crl_for_issuer(raw, &node.ca, &opts, &|_, _| {}, dn)
                                    .and_then(|v| v.into_index_bytes())
                                    .map_err(|e| VerifyError::CrlIssuer {
                                        n,
                                        issuer: node.ca.subject_string(),
                                        why: e.to_string(),
                                    })?;
                                let index = SerialIndex::from_bytes(IndexBytes::Owned(v.0))
                                    .map_err(|e| VerifyError::CrlIssuer {
                                        n,
                                        issuer: node.ca.subject_string(),
                                        why: e.to_string(),
                                    })?;
                                sources.push(Source {
                                    index: Arc::new(index),
                                    kind: SourceKind::Crl,
                                    sha256: sha,
                                    idp_names: idp_names.clone(),
                                    entries_of: Some(dn.to_vec()),
                                });
                            }
                        }
                        sources.push(Source {
                            index: Arc::new(index),
                            kind: SourceKind::Crl,
                            sha256: sha,
                            idp_names,
                            entries_of: None,
                        });
                        done = true;
                        break;
                    }
                    Err(e) => why = e.to_string(),
                }
            }
            if !done {
                return Err(VerifyError::CrlIssuer {
                    n,
                    issuer: name::name_to_string(parsed.issuer_der()).unwrap_or_default(),
                    why,
                });
            }
        }
        for (i, idx) in self.indexes.iter().enumerate() {
            let m = idx.meta();
            if !nodes.iter().any(|n| n.spki_sha256 == m.issuer_spki_sha256) {
                return Err(VerifyError::IndexIssuer {
                    n: i + 1,
                    key_id: m.issuer_key_id,
                });
            }
            sources.push(Source {
                index: idx.clone(),
                kind: SourceKind::Index,
                sha256: sha256(idx.as_bytes()),
                // The index format keeps only the fact that the CRL is
                // partitioned, not its distribution point name.
                idp_names: None,
                // `kakunin ingest` keeps the CRL issuer's own entries.
                entries_of: None,
            });
        }
        for node in nodes.iter_mut() {
            node.crls = sources
                .iter()
                .enumerate()
                .filter(|(_, s)| s.index.meta().issuer_spki_sha256 == node.spki_sha256)
                .map(|(i, _)| i)
                .collect();
        }

        // Issuer edges between CAs (anchors have none: trusted as is).
        let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(nodes.len());
        for node in &nodes {
            if node.anchor {
                edges.push(Vec::new());
                continue;
            }
            let c = node.parsed();
            edges.push(find_issuers(&nodes, &c));
        }
        let mut chains: Vec<Vec<Chain>> = Vec::with_capacity(nodes.len());
        for i in 0..nodes.len() {
            let mut out = Vec::new();
            let mut stack = vec![i];
            enumerate_chains(&nodes, &edges, &mut stack, &mut out);
            chains.push(
                out.into_iter()
                    .map(|p| Chain::new(&nodes, &edges, p))
                    .collect(),
            );
        }

        let mut by_key_id: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        let mut by_name: HashMap<Vec<u8>, Vec<usize>> = HashMap::new();
        for (i, n) in nodes.iter().enumerate() {
            by_key_id
                .entry(n.ca.key_id().as_bytes().to_vec())
                .or_default()
                .push(i);
            by_name
                .entry(n.ca.subject_der().to_vec())
                .or_default()
                .push(i);
        }
        Ok(Verifier {
            nodes,
            chains,
            sources,
            by_key_id,
            by_name,
        })
    }
}

/// A configured CA certificate, prepared once.
struct CaNode {
    ca: CaCert,
    key: VerifyingKey,
    spki_sha256: [u8; 32],
    sha256: [u8; 32],
    subject: Arc<str>,
    serial: Serial,
    not_before: Timestamp,
    not_after: Timestamp,
    anchor: bool,
    /// Has a subjectKeyIdentifier extension (else AKI cannot exclude it).
    has_ski: bool,
    self_issued: bool,
    path_len: Option<u64>,
    /// Problems of the certificate itself (not of its place in a path).
    problem: Option<(Check, String)>,
    /// basicConstraints cA.
    is_ca: bool,
    /// Acceptable as the end of a path (a separate CRL signer's, §6.3.3
    /// (f)): no unknown critical extension and no nameConstraints.
    leaf_ok: bool,
    /// Indexes of `Verifier::sources` issued by this CA's key.
    crls: Vec<usize>,
    /// cRLDistributionPoints extnValue and the issuer DN it may be
    /// relative to, for matching partitioned CRLs (§6.3.3 (b)(2)(i)).
    crl_dp: Option<(Vec<u8>, Vec<u8>)>,
    /// Issuer DN.
    issuer_der: Vec<u8>,
}

impl CaNode {
    fn new(
        der: &[u8],
        anchor: bool,
        role: &'static str,
        provider: Provider,
    ) -> Result<CaNode, VerifyError> {
        let ca = check_ca(der, role)?;
        let c = Cert::parse(der).map_err(|(_, detail)| VerifyError::CaProfile {
            role,
            subject: ca.subject_string(),
            detail,
        })?;
        let subject: Arc<str> = name::name_to_string(c.subject)
            .unwrap_or_else(|| ca.subject_string())
            .into();
        // §6.1.4 (k): a CA certificate must assert cA; (n): keyUsage, when
        // present, must allow keyCertSign; §4.2: no unknown critical
        // extension; nameConstraints we do not implement (fail closed).
        let problem = if !c.is_ca() {
            Some((
                Check::BasicConstraints,
                format!("CA certificate {subject} does not assert basicConstraints cA (RFC 5280 §4.2.1.9)"),
            ))
        } else if c.ext.key_usage.is_some_and(|k| k & ku::KEY_CERT_SIGN == 0) {
            Some((
                Check::KeyUsage,
                format!("CA certificate {subject} keyUsage lacks keyCertSign (RFC 5280 §4.2.1.3)"),
            ))
        } else if let Some(oid) = c.ext.unknown_critical {
            Some((
                Check::UnknownCriticalExtension,
                format!(
                    "CA certificate {subject} has unknown critical extension {}",
                    crate::der::Oid(oid)
                ),
            ))
        } else if c.ext.name_constraints {
            Some((
                Check::NameConstraintsUnsupported,
                format!("CA certificate {subject} has nameConstraints, which kakunin does not process (RFC 5280 §4.2.1.10): failing closed"),
            ))
        } else {
            None
        };
        Ok(CaNode {
            key: VerifyingKey::new(ca.key_type().clone(), ca.public_key_bits(), provider),
            spki_sha256: ca.spki_sha256(),
            sha256: sha256(der),
            serial: c.serial,
            not_before: c.not_before,
            not_after: c.not_after,
            anchor,
            has_ski: c.ext.ski.is_some(),
            self_issued: names_match(c.issuer, c.subject),
            path_len: c.ext.basic.and_then(|(_, p)| p),
            problem,
            crl_dp: c.ext.crl_dp.map(|d| (d.to_vec(), c.issuer.to_vec())),
            issuer_der: c.issuer.to_vec(),
            is_ca: c.is_ca(),
            leaf_ok: c.ext.unknown_critical.is_none() && !c.ext.name_constraints,
            subject,
            ca,
            crls: Vec::new(),
        })
    }

    /// Re-parses the stored DER (build time only).
    fn parsed(&self) -> Cert<'_> {
        match Cert::parse(self.ca.der()) {
            Ok(c) => c,
            // Checked in `new`; unreachable, but never panic.
            Err(_) => Cert {
                tbs: &[],
                sig_alg: crl::SignatureAlgorithm::RsaPkcs1Sha256,
                signature: &[],
                serial: self.serial,
                issuer: &[],
                subject: self.ca.subject_der(),
                not_before: self.not_before,
                not_after: self.not_after,
                ext: Default::default(),
            },
        }
    }

    fn path_cert(&self) -> PathCert {
        PathCert {
            serial: self.serial,
            subject: self.subject.clone(),
            sha256: Some(self.sha256),
            anchor: self.anchor,
        }
    }
}

/// A verified issuer of some certificate.
#[derive(Clone, Debug)]
struct Edge {
    issuer: usize,
    /// Issuer DN equals the issuer's subject (§6.1.3 (a)(4)).
    name_ok: bool,
}

/// Candidates by AKI or by name, confirmed by signature (§6.1.3 (a)(1)).
/// Returns the issuers whose key verifies `c`'s signature, or the reason
/// none did.
fn candidates(nodes: &[CaNode], c: &Cert<'_>) -> Vec<usize> {
    nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| match c.ext.aki {
            // Several generations share one DN: the key id decides. A CA
            // without subjectKeyIdentifier cannot be excluded by it
            // (as OpenSSL's X509_check_akid), so its name decides.
            Some(aki) => {
                aki == n.ca.key_id().as_bytes()
                    || (!n.has_ski && names_match(c.issuer, n.ca.subject_der()))
            }
            None => names_match(c.issuer, n.ca.subject_der()),
        })
        .map(|(i, _)| i)
        .collect()
}

fn find_issuers(nodes: &[CaNode], c: &Cert<'_>) -> Vec<Edge> {
    candidates(nodes, c)
        .into_iter()
        .filter(|&i| nodes[i].key.verify(c.sig_alg, c.tbs, c.signature).is_ok())
        .map(|i| Edge {
            issuer: i,
            name_ok: names_match(c.issuer, nodes[i].ca.subject_der()),
        })
        .collect()
}

/// Depth-first: every loop-free path from `stack`'s top to an anchor.
fn enumerate_chains(
    nodes: &[CaNode],
    edges: &[Vec<Edge>],
    stack: &mut Vec<usize>,
    out: &mut Vec<Vec<usize>>,
) {
    let Some(&top) = stack.last() else { return };
    if nodes[top].anchor {
        out.push(stack.clone());
        return;
    }
    // +1: the leaf below the chain.
    if stack.len() + 1 >= MAX_DEPTH {
        return;
    }
    for e in &edges[top] {
        if stack.contains(&e.issuer) {
            continue;
        }
        stack.push(e.issuer);
        enumerate_chains(nodes, edges, stack, out);
        stack.pop();
    }
}

/// A path of CAs from a leaf's issuer (index 0) up to an anchor (last),
/// with its time-independent verdict.
struct Chain {
    nodes: Vec<usize>,
    problem: Option<(Check, String)>,
    /// For each position k: the CAs whose CRLs may speak for the
    /// certificates `nodes[k]` issued — `nodes[k]` itself and the run of
    /// ancestors right above it with the same subject name (key rollover
    /// through self-issued certificates, RFC 5280 §6.3.3 (f) and PKITS
    /// 4.5/4.6.15). Those keys belong to the same CRL issuer and their
    /// certificates are validated as part of this very path.
    crl_signers: Vec<Vec<usize>>,
    /// For each position k: CAs off this path whose CRLs may also speak
    /// for the certificates `nodes[k]` issued (§6.3.3 (f), PKITS 4.4.19,
    /// 4.5.4, 4.5.6) — consulted after `crl_signers`, and only once the
    /// signer's own certificate is validated at the time asked.
    extra_signers: Vec<Vec<ExtraSigner>>,
    /// For each position k: CAs off this path, of any name, that may issue
    /// indirect CRLs for the certificates `nodes[k]` issued when those
    /// name them as cRLIssuer (§6.3.3 (b)(1)); certified like
    /// `extra_signers`, and validated the same way before use.
    indirect_signers: Vec<Vec<ExtraSigner>>,
}

/// A CRL signer of the same name as a CA on the path, with a key of its
/// own whose certificate is not on the path. Its certificate was issued
/// (signature verified, name chained) by `nodes[issuer_at]` of the same
/// path, at or above the position it speaks for, so its path to the trust
/// anchor is a part of the path being validated: same anchor, same CAs,
/// all of them checked by the path's own evaluation. That is what keeps
/// the CRLs of another CA generation of the same name (JPKI shares one DN
/// across generations) from counting unless a certificate of this very
/// path vouches for their key.
#[derive(Clone, Copy, Debug)]
struct ExtraSigner {
    node: usize,
    issuer_at: usize,
}

impl Chain {
    fn new(nodes: &[CaNode], edges: &[Vec<Edge>], path: Vec<usize>) -> Chain {
        let mut problem = None;
        for (k, &i) in path.iter().enumerate() {
            if let Some(p) = &nodes[i].problem {
                problem = Some(p.clone());
                break;
            }
            if let Some(&up) = path.get(k + 1) {
                let ok = edges[i].iter().any(|e| e.issuer == up && e.name_ok);
                if !ok {
                    problem = Some((
                        Check::NameChaining,
                        format!(
                            "issuer name of {} does not match the subject of {}",
                            nodes[i].subject, nodes[up].subject
                        ),
                    ));
                    break;
                }
            }
        }
        // §6.1.4 (l)/(m): pathLenConstraint of each CA bounds the number of
        // non-self-issued intermediate CAs below it (the leaf not counted).
        // Applied to the anchor too, as OpenSSL does.
        if problem.is_none() {
            for (k, &i) in path.iter().enumerate() {
                if let Some(limit) = nodes[i].path_len {
                    let below = path[..k].iter().filter(|&&j| !nodes[j].self_issued).count() as u64;
                    if below > limit {
                        problem = Some((
                            Check::PathLen,
                            format!(
                                "{} allows {limit} intermediate CA(s) below it, the path has {below}",
                                nodes[i].subject
                            ),
                        ));
                        break;
                    }
                }
            }
        }
        let crl_signers = (0..path.len())
            .map(|k| {
                let name = nodes[path[k]].ca.subject_der();
                let mut v = vec![path[k]];
                v.extend(
                    path[k + 1..]
                        .iter()
                        .take_while(|&&j| names_match(nodes[j].ca.subject_der(), name)),
                );
                v
            })
            .collect();
        let off_path = |k: usize, same_name: bool| -> Vec<ExtraSigner> {
            let name = nodes[path[k]].ca.subject_der();
            (0..nodes.len())
                .filter(|&j| {
                    let n = &nodes[j];
                    // An anchor is never validated as the end of a path; a
                    // CA on this path is validated by it.
                    !n.anchor
                        && n.leaf_ok
                        && n.ca.can_sign_crls()
                        && !n.crls.is_empty()
                        && !path.contains(&j)
                        && (!same_name || names_match(n.ca.subject_der(), name))
                })
                .filter_map(|j| {
                    edges[j].iter().filter(|e| e.name_ok).find_map(|e| {
                        path[k..]
                            .iter()
                            .position(|&p| p == e.issuer)
                            .map(|off| ExtraSigner {
                                node: j,
                                issuer_at: k + off,
                            })
                    })
                })
                .collect()
        };
        let extra_signers = (0..path.len()).map(|k| off_path(k, true)).collect();
        let indirect_signers = (0..path.len()).map(|k| off_path(k, false)).collect();
        Chain {
            nodes: path,
            problem,
            crl_signers,
            extra_signers,
            indirect_signers,
        }
    }
}

/// Revocation data as served: one index, raw-CRL-made or from a file.
struct Source {
    index: Arc<SerialIndex<IndexBytes>>,
    kind: SourceKind,
    sha256: [u8; 32],
    /// For a partitioned raw CRL: the names of its issuingDistributionPoint
    /// distributionPoint. `None` for an index file (the format does not
    /// keep the name) or an unreadable name: such a partition covers no
    /// certificate (fail closed).
    idp_names: Option<Vec<dp::DpName>>,
    /// Whose certificates the entries are about: `None` for the CRL
    /// issuer's own, `Some(issuer DN)` for the part of an indirect CRL
    /// about another issuer's (§5.3.3), used only through a cRLIssuer
    /// distribution point (§6.3.3 (b)(1)).
    entries_of: Option<Vec<u8>>,
}

impl Source {
    fn evidence(&self, depth: usize) -> RevocationSource {
        let m = self.index.meta();
        RevocationSource {
            depth,
            issuer_key_id: m.issuer_key_id,
            crl_number: m.crl_number,
            delta: m.delta_base.is_some(),
            this_update: m.this_update,
            next_update: m.next_update,
            sha256: self.sha256,
            kind: self.kind,
        }
    }
}

/// The certificate whose revocation status is looked up.
struct Subject<'a> {
    serial: &'a Serial,
    is_ca: bool,
    /// Issuer DN.
    issuer: &'a [u8],
    /// cRLDistributionPoints extnValue and the certificate's issuer DN.
    crl_dp: Option<(&'a [u8], &'a [u8])>,
}

/// Outcome of revocation checking for one certificate.
enum Rev {
    Good,
    Revoked(crate::index::Revocation),
    Unknown(String),
}

/// All ReasonFlags bits that matter (keyCompromise … aACompromise).
const ALL_REASONS: u16 = 0x1FE;

/// A leaf signature checked ahead of path evaluation (batch mode).
#[derive(Clone, Debug)]
struct LeafSignature {
    /// Index of the issuer in `Verifier::nodes`.
    node: usize,
    result: Result<(), CryptoError>,
}

/// Verifies certificates against a fixed configuration. `Send + Sync`:
/// share one across rayon workers.
pub struct Verifier {
    nodes: Vec<CaNode>,
    chains: Vec<Vec<Chain>>,
    sources: Vec<Source>,
    by_key_id: HashMap<Vec<u8>, Vec<usize>>,
    by_name: HashMap<Vec<u8>, Vec<usize>>,
}

impl fmt::Debug for Verifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Verifier")
            .field("cas", &self.nodes.len())
            .field("sources", &self.sources.len())
            .finish()
    }
}

fn time_check(
    not_before: Timestamp,
    not_after: Timestamp,
    at: Timestamp,
    what: &str,
) -> Option<Status> {
    // §4.1.2.5: the period includes both ends.
    if at < not_before {
        Some(Status::Invalid {
            check: Check::NotYetValid,
            detail: format!("{what} is not valid before {not_before}"),
        })
    } else if at > not_after {
        Some(Status::Invalid {
            check: Check::Expired,
            detail: format!("{what} expired at {not_after}"),
        })
    } else {
        None
    }
}

impl Verifier {
    /// A builder.
    pub fn builder() -> VerifierBuilder {
        VerifierBuilder::new()
    }

    /// Verifies one DER certificate as of `at`. Never panics: bytes that
    /// are not a certificate give `Invalid { check: Malformed }`.
    pub fn verify(&self, cert_der: &[u8], at: Timestamp) -> Verdict {
        self.verdict(Cert::parse(cert_der), at, None)
    }

    /// Verifies many DER certificates as of `at`: the same verdicts as
    /// [`Verifier::verify`] on each, in order. Leaf signatures made by the
    /// same CA key are checked together through
    /// [`VerifyingKey::verify_many`], several at a time where the CPU
    /// allows — the point of batching a JPKI batch, whose leaves share one
    /// or two issuing keys. Give it a few dozen certificates per call.
    pub fn verify_batch<D: AsRef<[u8]>>(&self, certs: &[D], at: Timestamp) -> Vec<Verdict> {
        let parsed: Vec<_> = certs.iter().map(|d| Cert::parse(d.as_ref())).collect();
        // Leaves by their first candidate issuer: the one that signs them
        // unless several CAs share a name and the leaf has no AKI.
        let mut by_issuer: Vec<Vec<usize>> = vec![Vec::new(); self.nodes.len()];
        for (i, c) in parsed.iter().enumerate() {
            if let Ok(c) = c {
                if let Some(&first) = self.leaf_candidates(c).first() {
                    by_issuer[first].push(i);
                }
            }
        }
        let mut leaf_sig: Vec<Option<LeafSignature>> = vec![None; certs.len()];
        for (node, leaves) in by_issuer.iter().enumerate() {
            if leaves.is_empty() {
                continue;
            }
            let items: Vec<Signed<'_>> = leaves
                .iter()
                .filter_map(|&i| parsed[i].as_ref().ok())
                .map(|c| Signed {
                    alg: c.sig_alg,
                    message: c.tbs,
                    signature: c.signature,
                })
                .collect();
            let results = self.nodes[node].key.verify_many(&items);
            for (&i, result) in leaves.iter().zip(results) {
                leaf_sig[i] = Some(LeafSignature { node, result });
            }
        }
        parsed
            .into_iter()
            .zip(leaf_sig)
            .map(|(c, sig)| self.verdict(c, at, sig))
            .collect()
    }

    /// The verdict on one certificate, its signature by issuer `sig.node`
    /// already checked when `sig` is given.
    fn verdict(
        &self,
        parsed: Result<Cert<'_>, (Check, String)>,
        at: Timestamp,
        sig: Option<LeafSignature>,
    ) -> Verdict {
        let c = match parsed {
            Ok(c) => c,
            Err((check, detail)) => {
                return Verdict {
                    serial: None,
                    subject: None,
                    status: Status::Invalid { check, detail },
                    path: Vec::new(),
                    revocation_sources: Vec::new(),
                }
            }
        };
        let subject = name::name_to_string(c.subject);
        let (status, path, revocation_sources) = self.verify_parsed(&c, at, &subject, sig);
        Verdict {
            serial: Some(c.serial),
            subject,
            status,
            path,
            revocation_sources,
        }
    }

    fn leaf_candidates(&self, c: &Cert<'_>) -> std::borrow::Cow<'_, [usize]> {
        let hit = match c.ext.aki {
            Some(aki) => self.by_key_id.get(aki),
            None => self.by_name.get(c.issuer),
        };
        match hit {
            Some(v) => std::borrow::Cow::Borrowed(v.as_slice()),
            // Not byte-equal: fall back to the RFC 5280 §7.1 comparison.
            None => std::borrow::Cow::Owned(candidates(&self.nodes, c)),
        }
    }

    fn verify_parsed(
        &self,
        c: &Cert<'_>,
        at: Timestamp,
        subject: &Option<String>,
        mut leaf_sig: Option<LeafSignature>,
    ) -> (Status, Vec<PathCert>, Vec<RevocationSource>) {
        // The leaf's own static checks (§4.2, §6.1.4 (o) applied to it).
        if let Some(oid) = c.ext.unknown_critical {
            return (
                Status::Invalid {
                    check: Check::UnknownCriticalExtension,
                    detail: format!("unknown critical extension {}", crate::der::Oid(oid)),
                },
                Vec::new(),
                Vec::new(),
            );
        }
        if c.ext.name_constraints {
            return (
                Status::Invalid {
                    check: Check::NameConstraintsUnsupported,
                    detail:
                        "nameConstraints present, which kakunin does not process: failing closed"
                            .into(),
                },
                Vec::new(),
                Vec::new(),
            );
        }
        let cands = self.leaf_candidates(c);
        if cands.is_empty() {
            return (
                Status::Invalid {
                    check: Check::NoPath,
                    detail: match c.ext.aki {
                        Some(aki) => format!(
                            "no configured CA has key id {} (the certificate's authorityKeyIdentifier)",
                            hex::encode(aki)
                        ),
                        None => "no configured CA has the certificate's issuer name".into(),
                    },
                },
                Vec::new(),
                Vec::new(),
            );
        }
        let mut best: Option<(Status, Vec<PathCert>, Vec<RevocationSource>)> = None;
        let mut sig_error = None;
        for &i in cands.iter() {
            let node = &self.nodes[i];
            let checked = match leaf_sig.take() {
                Some(s) if s.node == i => s.result,
                _ => node.key.verify(c.sig_alg, c.tbs, c.signature),
            };
            if let Err(e) = checked {
                sig_error = Some(e);
                continue;
            }
            let name_ok = names_match(c.issuer, node.ca.subject_der());
            for chain in &self.chains[i] {
                let (status, sources) = self.evaluate(c, chain, name_ok, at);
                let better = best.as_ref().is_none_or(|b| status.rank() < b.0.rank());
                if better {
                    let mut path = Vec::with_capacity(chain.nodes.len() + 1);
                    path.push(PathCert {
                        serial: c.serial,
                        subject: subject.as_deref().unwrap_or("").into(),
                        sha256: None,
                        anchor: false,
                    });
                    path.extend(chain.nodes.iter().map(|&n| self.nodes[n].path_cert()));
                    let done = status == Status::Valid;
                    best = Some((status, path, sources));
                    if done {
                        break;
                    }
                }
            }
            if best.as_ref().is_some_and(|b| b.0 == Status::Valid) {
                break;
            }
        }
        match best {
            Some(b) => b,
            None => (
                match sig_error {
                    Some(crate::crypto::CryptoError::BadSignature) | None => Status::Invalid {
                        check: Check::Signature,
                        detail: "the signature does not verify with the key of any configured CA of that name/key id".into(),
                    },
                    Some(e) => Status::Invalid {
                        check: Check::UnsupportedAlgorithm,
                        detail: e.to_string(),
                    },
                },
                Vec::new(),
                Vec::new(),
            ),
        }
    }

    /// Everything about one candidate path that depends on `at`.
    fn evaluate(
        &self,
        c: &Cert<'_>,
        chain: &Chain,
        leaf_name_ok: bool,
        at: Timestamp,
    ) -> (Status, Vec<RevocationSource>) {
        if let Some((check, detail)) = &chain.problem {
            return (
                Status::Invalid {
                    check: *check,
                    detail: detail.clone(),
                },
                Vec::new(),
            );
        }
        if !leaf_name_ok {
            return (
                Status::Invalid {
                    check: Check::NameChaining,
                    detail: format!(
                        "issuer name does not match the subject of {}",
                        self.nodes[chain.nodes[0]].subject
                    ),
                },
                Vec::new(),
            );
        }
        // pathLenConstraint over the leaf's issuer chain is static; the
        // leaf itself is never counted (§6.1.4 (l)).
        let mut sources = Vec::new();
        let mut unknown: Option<String> = None;
        // Revocation: leaf (depth 0), then each non-anchor CA.
        for depth in 0..chain.nodes.len() {
            let (serial, is_ca, what, crl_dp, cert_issuer) = if depth == 0 {
                (
                    c.serial,
                    c.is_ca(),
                    None,
                    c.ext.crl_dp.map(|d| (d, c.issuer)),
                    c.issuer,
                )
            } else {
                let n = &self.nodes[chain.nodes[depth - 1]];
                if n.anchor {
                    break;
                }
                let dp = n.crl_dp.as_ref().map(|(d, i)| (d.as_slice(), i.as_slice()));
                (
                    n.serial,
                    true,
                    Some(&n.subject),
                    dp,
                    n.issuer_der.as_slice(),
                )
            };
            let subject = Subject {
                serial: &serial,
                is_ca,
                issuer: cert_issuer,
                crl_dp,
            };
            match self.revocation(chain, depth, &subject, at, depth, true, &mut sources) {
                Rev::Good => {}
                Rev::Revoked(r) => {
                    return (
                        Status::Revoked {
                            reason: r.reason,
                            revoked_at: r.revoked_at,
                            depth,
                        },
                        sources,
                    )
                }
                Rev::Unknown(why) => {
                    if unknown.is_none() {
                        unknown = Some(match what {
                            None => why,
                            Some(s) => format!("for CA {s}: {why}"),
                        });
                    }
                }
            }
        }
        if let Some(s) = time_check(c.not_before, c.not_after, at, "certificate") {
            return (s, sources);
        }
        for &n in &chain.nodes {
            let n = &self.nodes[n];
            let what = format!("CA certificate {}", n.subject);
            if let Some(s) = time_check(n.not_before, n.not_after, at, &what) {
                return (s, sources);
            }
        }
        match unknown {
            Some(detail) => (Status::Unknown { detail }, sources),
            None => (Status::Valid, sources),
        }
    }

    /// RFC 5280 §6.3.3 for one certificate whose issuer is `issuer`.
    /// `signers` are the configured CAs (issuer first) whose CRLs are
    /// CRLs of that issuer: same name, certificate validated on the path.
    /// The issuer key's own CRLs decide when they can; the other keys'
    /// CRLs are consulted only when they cannot, so CRL streams of
    /// different keys (JPKI generations share one DN) are never mixed.
    ///
    /// `cert` was issued by `chain.nodes[k]`; `depth` is what evidence is
    /// filed under. When the path's own keys cannot decide and `extras`
    /// allows, a separate CRL-signing key of the issuer (§6.3.3 (f)) is
    /// tried, once its certificate is found valid and unrevoked at `at` —
    /// its revocation checked with the path's own keys only, so the
    /// recursion stops there.
    #[allow(clippy::too_many_arguments)]
    fn revocation(
        &self,
        chain: &Chain,
        k: usize,
        cert: &Subject<'_>,
        at: Timestamp,
        depth: usize,
        extras: bool,
        out: &mut Vec<RevocationSource>,
    ) -> Rev {
        let issuer = &self.nodes[chain.nodes[k]];
        let mut first = None;
        // Parsed once, and only if a partitioned CRL needs it.
        let mut dps = None;
        for &i in &chain.crl_signers[k] {
            match self.revocation_by(issuer, &self.nodes[i], cert, &mut dps, None, at, depth, out) {
                Rev::Unknown(why) => {
                    first.get_or_insert(why);
                }
                decided => return decided,
            }
        }
        if !extras {
            return Rev::Unknown(
                first.unwrap_or_else(|| format!("no current CRL of {}", issuer.subject)),
            );
        }
        let mut signer_problem = None;
        for x in &chain.extra_signers[k] {
            let signer = &self.nodes[x.node];
            if let Err(why) = self.check_signer(chain, x, at, depth, out) {
                signer_problem.get_or_insert_with(|| {
                    format!(
                        "the CRLs of {} are signed by a separate key whose certificate (serial {}) {why}, so they do not count (RFC 5280 §6.3.3 (f))",
                        issuer.subject, signer.serial
                    )
                });
                continue;
            }
            match self.revocation_by(issuer, signer, cert, &mut dps, None, at, depth, out) {
                Rev::Unknown(why) => {
                    first.get_or_insert(why);
                }
                decided => return decided,
            }
        }
        // §6.3.3 (b)(1): distribution points naming a cRLIssuer are served
        // by that issuer's indirect CRLs. Only CRL issuers on the path, or
        // certified by a CA of the path at or above the issuer (and then
        // validated here), count.
        let cert_dps = dps.get_or_insert_with(|| {
            cert.crl_dp
                .and_then(|(ext, issuer)| dp::cert_dps(ext, issuer).ok())
        });
        let crl_issuers: Vec<Vec<u8>> = cert_dps
            .iter()
            .flatten()
            .filter_map(|d| d.crl_issuer.clone())
            .filter(|d| !d.is_empty())
            .collect();
        if !crl_issuers.is_empty() {
            let named = |n: &CaNode| {
                n.ca.can_sign_crls()
                    && crl_issuers
                        .iter()
                        .any(|d| names_match(d, n.ca.subject_der()))
            };
            let on_path = chain.nodes[k..]
                .iter()
                .copied()
                .filter(|&j| named(&self.nodes[j]));
            let mut candidates: Vec<(usize, Option<&ExtraSigner>)> =
                on_path.map(|j| (j, None)).collect();
            candidates.extend(
                chain.indirect_signers[k]
                    .iter()
                    .filter(|x| named(&self.nodes[x.node]))
                    .map(|x| (x.node, Some(x))),
            );
            for (j, off) in candidates {
                let signer = &self.nodes[j];
                if let Some(x) = off {
                    if let Err(why) = self.check_signer(chain, x, at, depth, out) {
                        signer_problem.get_or_insert_with(|| {
                            format!(
                                "the cRLIssuer {} (certificate serial {}) {why}, so its CRLs do not count (RFC 5280 §6.3.3 (b)(1), (f))",
                                signer.subject, signer.serial
                            )
                        });
                        continue;
                    }
                }
                let via = Some(signer.ca.subject_der());
                match self.revocation_by(issuer, signer, cert, &mut dps, via, at, depth, out) {
                    Rev::Unknown(why) => {
                        first.get_or_insert(why);
                    }
                    decided => return decided,
                }
            }
        }
        Rev::Unknown(
            signer_problem
                .or(first)
                .unwrap_or_else(|| format!("no current CRL of {}", issuer.subject)),
        )
    }

    /// A CRL signer off the path (`x`), validated at `at` as the end of a
    /// path through `chain.nodes[x.issuer_at..]` — which the path's own
    /// evaluation validates: the signer's validity period, and its
    /// revocation status from the path's own keys (no further signers, so
    /// this does not recurse). `Err` says why it does not count.
    fn check_signer(
        &self,
        chain: &Chain,
        x: &ExtraSigner,
        at: Timestamp,
        depth: usize,
        out: &mut Vec<RevocationSource>,
    ) -> Result<(), String> {
        let signer = &self.nodes[x.node];
        if time_check(signer.not_before, signer.not_after, at, "").is_some() {
            return Err("is outside its validity period".into());
        }
        let signer_cert = Subject {
            serial: &signer.serial,
            is_ca: signer.is_ca,
            issuer: &signer.issuer_der,
            crl_dp: signer
                .crl_dp
                .as_ref()
                .map(|(d, i)| (d.as_slice(), i.as_slice())),
        };
        // Evidence for the signer's status is kept: it is part of why this
        // certificate's status is what it is.
        match self.revocation(chain, x.issuer_at, &signer_cert, at, depth, false, out) {
            Rev::Good => Ok(()),
            Rev::Revoked(_) => Err("is revoked".into()),
            Rev::Unknown(why) => Err(format!("has no known status ({why})")),
        }
    }

    /// [`Verifier::revocation`] with the CRLs signed by one key (`signer`):
    /// a CA of the issuer's name (`via` = `None`), or the cRLIssuer `via`
    /// named by one of the certificate's distribution points, whose
    /// indirect CRLs are then the only ones that count (§6.3.3 (b)(1)).
    #[allow(clippy::too_many_arguments)]
    fn revocation_by(
        &self,
        issuer: &CaNode,
        signer: &CaNode,
        cert: &Subject<'_>,
        dps: &mut Option<Option<Vec<dp::CertDp>>>,
        via: Option<&[u8]>,
        at: Timestamp,
        depth: usize,
        out: &mut Vec<RevocationSource>,
    ) -> Rev {
        // (f): the CRL issuer's key must allow cRLSign.
        if !signer.ca.can_sign_crls() {
            return Rev::Unknown(format!(
                "issuer {} may not sign CRLs (keyUsage lacks cRLSign)",
                issuer.subject
            ));
        }
        let mut base: Option<&Source> = None;
        let mut partial: Vec<&Source> = Vec::new();
        let mut mask = 0u16;
        let mut deltas: Vec<&Source> = Vec::new();
        let mut stale: Option<Timestamp> = None;
        let mut out_of_scope = false;
        for &s in &signer.crls {
            let src = &self.sources[s];
            let m = src.index.meta();
            // (a)/(b) currency at `at`: thisUpdate ≤ at < nextUpdate.
            if at < m.this_update || at >= m.next_update {
                if at >= m.next_update {
                    stale = Some(stale.map_or(m.next_update, |t| t.max(m.next_update)));
                }
                continue;
            }
            // §5.2.5 / §6.3.3 (b)(2): scope must cover the certificate.
            // A partitioned CRL covers it only through a distribution
            // point of the certificate whose name matches the IDP's
            // ((b)(2)(i)); it then covers the reasons of that DP too
            // ((d)). From an index file the IDP name is unknown: skipped,
            // which fails closed. Through a cRLIssuer (`via`), only an
            // indirect CRL counts, and only its entries about the
            // certificate's issuer (§5.3.3, §6.3.3 (b)(1)); directly, only
            // the entries about the CRL issuer's own certificates (an
            // indirect CRL may be used so: (b)(1) allows it).
            let sc = m.scope;
            match via {
                None if src.entries_of.is_some() => continue,
                None => {}
                Some(_) => {
                    let about = match &src.entries_of {
                        Some(d) => names_match(d, cert.issuer),
                        None => names_match(signer.ca.subject_der(), cert.issuer),
                    };
                    if !sc.indirect || !about {
                        out_of_scope = true;
                        continue;
                    }
                }
            }
            let is_ca = cert.is_ca;
            if (sc.only_user_certs && is_ca) || (sc.only_ca_certs && !is_ca) {
                out_of_scope = true;
                continue;
            }
            let mut reasons = sc.only_some_reasons;
            if sc.partitioned || via.is_some() {
                let cert_dps = dps.get_or_insert_with(|| {
                    cert.crl_dp
                        .and_then(|(ext, issuer)| dp::cert_dps(ext, issuer).ok())
                });
                let covered = match (sc.partitioned, &src.idp_names, cert_dps) {
                    (true, Some(idp), Some(cdps)) => dp::covered_reasons(Some(idp), cdps, via),
                    (false, _, Some(cdps)) => dp::covered_reasons(None, cdps, via),
                    _ => None,
                };
                match covered {
                    None => {
                        out_of_scope = true;
                        continue;
                    }
                    Some(r) if r & ALL_REASONS != ALL_REASONS => {
                        reasons = Some(reasons.unwrap_or(ALL_REASONS) & r);
                    }
                    Some(_) => {}
                }
            }
            if m.delta_base.is_some() {
                deltas.push(src);
                continue;
            }
            match reasons {
                Some(r) => {
                    partial.push(src);
                    mask |= r;
                }
                None => {
                    if base.is_none_or(|b| newer(m, b.index.meta())) {
                        base = Some(src);
                    }
                }
            }
        }
        let consulted: &[&Source] = match &base {
            Some(b) => std::slice::from_ref(b),
            None if mask & ALL_REASONS == ALL_REASONS => &partial,
            None => {
                return Rev::Unknown(if let Some(t) = stale {
                    format!(
                        "the CRL of {} is stale (nextUpdate {t} is not after {at})",
                        issuer.subject
                    )
                } else if out_of_scope {
                    format!(
                        "no CRL of {} whose scope (issuingDistributionPoint) covers this certificate",
                        issuer.subject
                    )
                } else {
                    format!("no current CRL of {}", issuer.subject)
                })
            }
        };
        let mut result = Rev::Good;
        for src in consulted {
            out.push(src.evidence(depth));
            if let Some(r) = src.index.lookup(cert.serial) {
                if r.reason != Some(RevocationReason::RemoveFromCrl) {
                    result = Rev::Revoked(r);
                    break;
                }
            }
        }
        // §5.2.4: a delta applies to a base whose cRLNumber ≥ its
        // BaseCRLNumber; take the newest such delta.
        if let (Some(b), false) = (base, deltas.is_empty()) {
            let bm = b.index.meta();
            let delta = deltas
                .into_iter()
                .filter(|d| {
                    let dm = d.index.meta();
                    match (bm.crl_number, dm.delta_base, dm.crl_number) {
                        (Some(bn), Some(db), Some(dn)) => bn >= db && dn > bn,
                        _ => false,
                    }
                })
                .max_by(|x, y| x.index.meta().crl_number.cmp(&y.index.meta().crl_number));
            if let Some(d) = delta {
                out.push(d.evidence(depth));
                if let Some(r) = d.index.lookup(cert.serial) {
                    if r.reason == Some(RevocationReason::RemoveFromCrl) {
                        // Un-revokes a certificateHold only.
                        if let Rev::Revoked(old) = &result {
                            if old.reason == Some(RevocationReason::CertificateHold) {
                                result = Rev::Good;
                            }
                        }
                    } else {
                        result = Rev::Revoked(r);
                    }
                }
            }
        }
        result
    }
}

/// Prefers the higher cRLNumber, else the later thisUpdate.
fn newer(a: &IndexMeta, b: &IndexMeta) -> bool {
    match (a.crl_number, b.crl_number) {
        (Some(x), Some(y)) if x != y => x > y,
        _ => a.this_update > b.this_update,
    }
}

#[cfg(test)]
mod tests;
