//! [`VerifierBuilder`]: everything about a configuration that depends on
//! neither the leaf nor the time, done once — CA certificates prepared,
//! CA→issuer edges found and every path to an anchor enumerated with its
//! static verdict, raw CRLs verified and indexed beside index files.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::ca::CaCert;
use crate::crl::{self, names_match};
use crate::crypto::{sha256, Provider, VerifyingKey};
use crate::index::SerialIndex;
use crate::ingest::{verify_crl, verify_crl_for_issuer, IngestOptions};
use crate::store::IndexBytes;
use crate::{Serial, Timestamp};

use super::cert::{ku, Cert};
use super::{
    dp, name, Check, PathCert, RevocationSource, SourceKind, Verifier, VerifyError, MAX_DEPTH,
};

/// Collects the configuration of a [`Verifier`].
#[derive(Default)]
pub struct VerifierBuilder {
    anchors: Vec<Vec<u8>>,
    intermediates: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    indexes: Vec<Arc<SerialIndex<IndexBytes>>>,
    provider: Option<Provider>,
    /// Set by `source_digests(false)`.
    no_source_digests: bool,
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

pub(super) fn check_ca(der: &[u8], role: &'static str) -> Result<CaCert, VerifyError> {
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
    /// by the SHA-256 of the issuer's SubjectPublicKeyInfo. An index keeps
    /// a partitioned CRL's distribution point name, so it covers the same
    /// certificates as the raw CRL, but not an indirect CRL's entries about
    /// other issuers: those answer only when the CRL is given raw
    /// ([`VerifierBuilder::crl_der`]); from an index they fail closed
    /// (`Unknown`).
    pub fn index(&mut self, index: SerialIndex<IndexBytes>) -> Result<&mut Self, VerifyError> {
        self.indexes.push(Arc::new(index));
        Ok(self)
    }

    /// Whether to hash every CRL and index file with SHA-256 at build, for
    /// [`RevocationSource::sha256`] (default: yes). Evidence needs them;
    /// a caller that keeps no evidence saves a pass over each file —
    /// ~25 ms for a 10M-entry index, a twentieth of a 100k batch.
    pub fn source_digests(&mut self, on: bool) -> &mut Self {
        self.no_source_digests = !on;
        self
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
        let digest = |bytes: &[u8]| (!self.no_source_digests).then(|| sha256(bytes));
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
                        let sha = digest(raw);
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
                                    crl_issuer: Some(parsed.issuer_der().to_vec()),
                                });
                            }
                        }
                        sources.push(Source {
                            index: Arc::new(index),
                            kind: SourceKind::Crl,
                            sha256: sha,
                            idp_names,
                            entries_of: None,
                            crl_issuer: Some(parsed.issuer_der().to_vec()),
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
            let Some(issuer) = nodes.iter().find(|n| n.spki_sha256 == m.issuer_spki_sha256) else {
                return Err(VerifyError::IndexIssuer {
                    n: i + 1,
                    key_id: m.issuer_key_id,
                });
            };
            sources.push(Source {
                index: idx.clone(),
                kind: SourceKind::Index,
                sha256: digest(idx.as_bytes()),
                // The CRL's issuer is the CA it was verified against
                // (§5.1.2.3), so a relative name completes from its subject.
                idp_names: idx
                    .idp_distribution_point()
                    .and_then(|d| dp::idp_names(d, issuer.ca.subject_der()).ok()),
                // `kakunin ingest` keeps the CRL issuer's own entries.
                entries_of: None,
                // An index does not record its CRL issuer's name, only the
                // key: when CAs of different names share that key, which
                // one issued the CRL is unknown, so it answers for none.
                crl_issuer: nodes
                    .iter()
                    .filter(|n| n.spki_sha256 == m.issuer_spki_sha256)
                    .all(|n| names_match(n.ca.subject_der(), issuer.ca.subject_der()))
                    .then(|| issuer.ca.subject_der().to_vec()),
            });
        }
        for node in nodes.iter_mut() {
            node.crls = sources
                .iter()
                .enumerate()
                // §6.3.3 (b)(1), §5.1.2.3: the key that signed the CRL and
                // the name it was issued under must both be this CA's.
                .filter(|(_, s)| {
                    s.index.meta().issuer_spki_sha256 == node.spki_sha256
                        && s.crl_issuer
                            .as_deref()
                            .is_some_and(|n| names_match(n, node.ca.subject_der()))
                })
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
pub(super) struct CaNode {
    pub(super) ca: CaCert,
    pub(super) key: VerifyingKey,
    pub(super) spki_sha256: [u8; 32],
    pub(super) sha256: [u8; 32],
    pub(super) subject: Arc<str>,
    pub(super) serial: Serial,
    pub(super) not_before: Timestamp,
    pub(super) not_after: Timestamp,
    pub(super) anchor: bool,
    /// Has a subjectKeyIdentifier extension (else AKI cannot exclude it).
    pub(super) has_ski: bool,
    pub(super) self_issued: bool,
    pub(super) path_len: Option<u64>,
    /// Problems of the certificate itself (not of its place in a path).
    pub(super) problem: Option<(Check, String)>,
    /// basicConstraints cA.
    pub(super) is_ca: bool,
    /// Acceptable as the end of a path (a separate CRL signer's, §6.3.3
    /// (f)): no unknown critical extension and no nameConstraints.
    pub(super) leaf_ok: bool,
    /// Indexes of `Verifier::sources` issued by this CA's key.
    pub(super) crls: Vec<usize>,
    /// cRLDistributionPoints extnValue and the issuer DN it may be
    /// relative to, for matching partitioned CRLs (§6.3.3 (b)(2)(i)).
    pub(super) crl_dp: Option<(Vec<u8>, Vec<u8>)>,
    /// Issuer DN.
    pub(super) issuer_der: Vec<u8>,
}

impl CaNode {
    pub(super) fn new(
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
    pub(super) fn parsed(&self) -> Cert<'_> {
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

    pub(super) fn path_cert(&self) -> PathCert {
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
pub(super) struct Edge {
    pub(super) issuer: usize,
    /// Issuer DN equals the issuer's subject (§6.1.3 (a)(4)).
    pub(super) name_ok: bool,
}

/// Candidates by AKI or by name, confirmed by signature (§6.1.3 (a)(1)).
/// Returns the issuers whose key verifies `c`'s signature, or the reason
/// none did.
pub(super) fn candidates(nodes: &[CaNode], c: &Cert<'_>) -> Vec<usize> {
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

pub(super) fn find_issuers(nodes: &[CaNode], c: &Cert<'_>) -> Vec<Edge> {
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
pub(super) fn enumerate_chains(
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
pub(super) struct Chain {
    pub(super) nodes: Vec<usize>,
    pub(super) problem: Option<(Check, String)>,
    /// For each position k: the CAs whose CRLs may speak for the
    /// certificates `nodes[k]` issued — `nodes[k]` itself and the run of
    /// ancestors right above it with the same subject name (key rollover
    /// through self-issued certificates, RFC 5280 §6.3.3 (f) and PKITS
    /// 4.5/4.6.15). Those keys belong to the same CRL issuer and their
    /// certificates are validated as part of this very path.
    pub(super) crl_signers: Vec<Vec<usize>>,
    /// For each position k: CAs off this path whose CRLs may also speak
    /// for the certificates `nodes[k]` issued (§6.3.3 (f), PKITS 4.4.19,
    /// 4.5.4, 4.5.6) — consulted after `crl_signers`, and only once the
    /// signer's own certificate is validated at the time asked.
    pub(super) extra_signers: Vec<Vec<ExtraSigner>>,
    /// For each position k: CAs off this path, of any name, that may issue
    /// indirect CRLs for the certificates `nodes[k]` issued when those
    /// name them as cRLIssuer (§6.3.3 (b)(1)); certified like
    /// `extra_signers`, and validated the same way before use.
    pub(super) indirect_signers: Vec<Vec<ExtraSigner>>,
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
pub(super) struct ExtraSigner {
    pub(super) node: usize,
    pub(super) issuer_at: usize,
}

impl Chain {
    pub(super) fn new(nodes: &[CaNode], edges: &[Vec<Edge>], path: Vec<usize>) -> Chain {
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
pub(super) struct Source {
    pub(super) index: Arc<SerialIndex<IndexBytes>>,
    pub(super) kind: SourceKind,
    pub(super) sha256: Option<[u8; 32]>,
    /// For a partitioned CRL: the names of its issuingDistributionPoint
    /// distributionPoint. `None` for an index written before indexes kept
    /// the name, or an unreadable name: such a partition covers no
    /// certificate (fail closed).
    pub(super) idp_names: Option<Vec<dp::DpName>>,
    /// Whose certificates the entries are about: `None` for the CRL
    /// issuer's own, `Some(issuer DN)` for the part of an indirect CRL
    /// about another issuer's (§5.3.3), used only through a cRLIssuer
    /// distribution point (§6.3.3 (b)(1)).
    pub(super) entries_of: Option<Vec<u8>>,
    /// The CRL's issuer name: only a CA of that name (and key) may use
    /// it. `None` when unknown (an index whose key several names share).
    pub(super) crl_issuer: Option<Vec<u8>>,
}

impl Source {
    pub(super) fn evidence(&self, depth: usize) -> RevocationSource {
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
