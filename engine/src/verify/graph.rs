//! The CA graph: every configured CA certificate prepared once, its
//! issuers found (name and key identifier select candidates, the signature
//! decides), and every loop-free path from each CA up to a trust anchor
//! with its time-independent verdict (RFC 5280 §6.1).

use std::sync::Arc;

use crate::ca::CaCert;
use crate::cert::{ku, Cert};
use crate::crypto::{sha256, Provider, VerifyingKey};
use crate::name::{self, names_match};
use crate::{Serial, Timestamp};

use super::{Check, PathCert, VerifyError, MAX_DEPTH};

/// Checks a CA certificate with both readers: x509-parser's (the owned
/// [`CaCert`]) and the path verifier's stricter one, and returns both
/// readings.
pub(super) fn check_ca<'a>(
    der: &'a [u8],
    role: &'static str,
) -> Result<(CaCert, Cert<'a>), VerifyError> {
    let ca = CaCert::from_der(der).map_err(|source| VerifyError::CaCert { role, source })?;
    let c = Cert::parse(der).map_err(|e| VerifyError::CaProfile {
        role,
        subject: ca.subject_string(),
        detail: e.detail().to_string(),
    })?;
    Ok((ca, c))
}

/// A configured CA certificate, prepared once.
pub(super) struct CaNode {
    /// The caller's name for it (a file name), for messages.
    pub(super) label: String,
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
        label: &str,
        der: &[u8],
        anchor: bool,
        role: &'static str,
        provider: Provider,
    ) -> Result<CaNode, VerifyError> {
        let (ca, c) = check_ca(der, role)?;
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
            label: label.to_string(),
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
                v3: true,
                tbs: &[],
                sig_alg: crate::SignatureAlgorithm::RsaPkcs1Sha256,
                signature: &[],
                serial: self.serial,
                issuer: &[],
                subject: self.ca.subject_der(),
                spki: self.ca.spki_der(),
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

/// For each CA, every path from it up to an anchor, over the CAs' issuer
/// edges.
pub(super) fn paths(nodes: &[CaNode]) -> Vec<Vec<Chain>> {
    // Issuer edges between CAs (anchors have none: trusted as is).
    let mut edges: Vec<Vec<Edge>> = Vec::with_capacity(nodes.len());
    for node in nodes {
        if node.anchor {
            edges.push(Vec::new());
            continue;
        }
        let c = node.parsed();
        edges.push(find_issuers(nodes, &c));
    }
    let mut chains: Vec<Vec<Chain>> = Vec::with_capacity(nodes.len());
    for i in 0..nodes.len() {
        let mut out = Vec::new();
        let mut stack = vec![i];
        enumerate_chains(nodes, &edges, &mut stack, &mut out);
        chains.push(
            out.into_iter()
                .map(|p| Chain::new(nodes, &edges, p))
                .collect(),
        );
    }
    chains
}
