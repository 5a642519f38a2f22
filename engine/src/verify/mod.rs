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
//! that distribution point's reasons. Index files keep the distribution
//! point name and answer alike (an index written before they did covers
//! nothing: `Unknown`).
//!
//! A distribution point naming a cRLIssuer is served by that issuer's
//! indirect CRLs (§6.3.3 (b)(1)), of which only the entries about the
//! certificate's issuer count (certificateIssuer, §5.3.3). The cRLIssuer
//! must be on the path or certified by a CA of the path at or above the
//! certificate's issuer, and is then validated like a separate CRL signer.
//! A raw indirect CRL is indexed once per configured CA name; an index file
//! holds only the CRL issuer's own entries, so it serves those only.

mod builder;
mod dp;
mod error;
mod graph;
mod refused;
mod revocation;
mod sources;
mod verdict;

use std::collections::HashMap;
use std::fmt;

use crate::crypto::{CryptoError, Signed};
use crate::name::{self, names_match};
use crate::Timestamp;

use crate::cert::{Cert, CertError};
use graph::{candidates, CaNode, Chain};
use refused::with_refused;
use revocation::{Rev, Subject};
use sources::Source;

pub use builder::VerifierBuilder;
pub use error::VerifyError;
pub use refused::{Refused, SourceRole};
pub use verdict::{Check, PathCert, RevocationSource, SourceKind, Status, Verdict};

/// Longest path (certificates, leaf and anchor included) we try to build.
pub const MAX_DEPTH: usize = 8;

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
    /// Sources set aside by the builder, reported once.
    refused: Vec<Refused>,
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

    /// The CRLs, indexes and CA certificates the builder refused, each with
    /// the exact reason: never used. Verdicts that depended on one name it
    /// in their detail.
    pub fn refused(&self) -> &[Refused] {
        &self.refused
    }

    /// Verifies one DER certificate as of `at`. Never panics: bytes that
    /// are not a certificate give `Invalid { check: Malformed }`.
    pub fn verify(&self, cert_der: &[u8], at: Timestamp) -> Verdict {
        self.verdict(Cert::parse(cert_der), at, None)
    }

    /// Verifies many DER certificates as of `at`: the same verdicts as
    /// [`Verifier::verify`] on each, in order. Leaf signatures made by the
    /// same CA key are checked together through
    /// [`VerifyingKey::verify_many`](crate::crypto::VerifyingKey::verify_many), several at a time where the CPU
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
        parsed: Result<Cert<'_>, CertError>,
        at: Timestamp,
        sig: Option<LeafSignature>,
    ) -> Verdict {
        let c = match parsed {
            Ok(c) => c,
            Err(e) => {
                let (check, detail) = match e {
                    CertError::Malformed(d) => (Check::Malformed, d),
                    CertError::UnsupportedAlgorithm(d) => (Check::UnsupportedAlgorithm, d),
                };
                return Verdict {
                    serial: None,
                    subject: None,
                    not_after: None,
                    status: Status::Invalid { check, detail },
                    path: Vec::new(),
                    revocation_sources: Vec::new(),
                };
            }
        };
        let subject = name::name_to_string(c.subject);
        let (status, path, revocation_sources) = self.verify_parsed(&c, at, &subject, sig);
        Verdict {
            serial: Some(c.serial),
            subject,
            not_after: Some(c.not_after),
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
            let detail = match c.ext.aki {
                Some(aki) => format!(
                    "no configured CA has key id {} (the certificate's authorityKeyIdentifier)",
                    hex::encode(aki)
                ),
                None => "no configured CA has the certificate's issuer name".into(),
            };
            return (
                self.no_path(c, Check::NoPath, detail),
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
        let status = match (best, sig_error) {
            (Some(b), _) => return b,
            // The signature verified, but that issuer has no path to an
            // anchor (it was refused: the detail says why).
            (None, None) => self.no_path(
                c,
                Check::NoPath,
                format!(
                    "no path from the certificate's issuer {} to a trust anchor",
                    self.nodes[cands[0]].subject
                ),
            ),
            (None, Some(crate::crypto::CryptoError::BadSignature)) => self.no_path(
                c,
                Check::Signature,
                "the signature does not verify with the key of any configured CA of that name/key id".into(),
            ),
            (None, Some(e)) => Status::Invalid {
                check: Check::UnsupportedAlgorithm,
                detail: e.to_string(),
            },
        };
        (status, Vec::new(), Vec::new())
    }

    /// `Invalid` with `check` and `detail`, naming the refused CA
    /// certificates that might have issued `c`.
    fn no_path(&self, c: &Cert<'_>, check: Check, detail: String) -> Status {
        let refused = self
            .refused
            .iter()
            .filter(|r| r.may_issue(c.issuer, c.ext.aki));
        Status::Invalid {
            check,
            detail: with_refused(detail, refused),
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
                // A CA on a path is v3: it must carry basicConstraints.
                v3: depth > 0 || c.v3,
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
                Rev::Unknown(why) | Rev::Stale(why) => {
                    if unknown.is_none() {
                        let why = match what {
                            None => why,
                            Some(s) => format!("for CA {s}: {why}"),
                        };
                        // The issuer's refused CRLs and indexes, if any,
                        // are why there is no answer.
                        let issuer = &self.nodes[chain.nodes[depth]];
                        let refused = self.refused.iter().filter(|r| {
                            r.may_speak_for(issuer.ca.subject_der(), &issuer.spki_sha256)
                        });
                        unknown = Some(with_refused(why, refused));
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
}

#[cfg(test)]
mod tests;
