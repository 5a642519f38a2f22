//! [`VerifierBuilder`]: collects trust anchors, intermediates, CRLs and
//! indexes, and at [`VerifierBuilder::build`] does all the work that does
//! not depend on the leaf or the time (see the [module docs](super)).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::crl;
use crate::crypto::{sha256, Provider};
use crate::index::IndexBytes;
use crate::index::SerialIndex;

use super::graph::{candidates, check_ca, find_issuers, paths, CaNode};
use super::refused::{Refused, SourceRole};
use super::sources::{crl_sources, index_source, link_sources, Source};
use super::{Verifier, VerifyError, MAX_DEPTH};

/// Collects the configuration of a [`Verifier`].
///
/// Sources are given with a label (normally the file name) and may be
/// damaged: [`VerifierBuilder::trust_anchor`], [`VerifierBuilder::crl`]
/// and the like set a source that fails its checks aside instead of
/// failing, and [`VerifierBuilder::build`] does the same with a CRL no
/// configured CA issued or an intermediate with no path to an anchor.
/// Each refusal is listed once in [`Verifier::refused`] and named in the
/// verdicts that depended on it. The `*_der` methods are the strict
/// forms: they return the add-time problem as an error instead.
#[derive(Default)]
pub struct VerifierBuilder {
    anchors: Vec<(String, Vec<u8>)>,
    intermediates: Vec<(String, Vec<u8>)>,
    crls: Vec<(String, Vec<u8>)>,
    indexes: Vec<(String, Arc<SerialIndex<IndexBytes>>)>,
    refused: Vec<Refused>,
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
            .field("refused", &self.refused.len())
            .finish()
    }
}

impl VerifierBuilder {
    /// An empty configuration.
    pub fn new() -> Self {
        VerifierBuilder::default()
    }

    /// Trusts a CA certificate (DER), or sets it aside as refused when it
    /// is not a CA certificate we can read. Self-signed or not, its key is
    /// trusted as is: its own signature is not checked, but its validity
    /// period, basicConstraints, keyUsage and critical extensions are (as
    /// OpenSSL does).
    pub fn trust_anchor(&mut self, label: &str, der: &[u8]) -> &mut Self {
        self.add_ca(SourceRole::TrustAnchor, label, der)
    }

    /// Adds an untrusted intermediate CA certificate (DER), usable to build
    /// paths, or sets it aside as refused.
    pub fn intermediate(&mut self, label: &str, der: &[u8]) -> &mut Self {
        self.add_ca(SourceRole::Intermediate, label, der)
    }

    fn add_ca(&mut self, role: SourceRole, label: &str, der: &[u8]) -> &mut Self {
        let list = match role {
            SourceRole::TrustAnchor => &mut self.anchors,
            _ => &mut self.intermediates,
        };
        match check_ca(der, role.as_str()) {
            Ok(_) => list.push((label.to_string(), der.to_vec())),
            Err(e) => self.refused.push(ca_refusal(role, label, e)),
        }
        self
    }

    /// Adds a raw CRL (DER or PEM), or sets it aside as refused when it is
    /// not a well-formed CRL. It is verified against its issuer at
    /// [`VerifierBuilder::build`]; its currency is judged per `verify` call.
    pub fn crl(&mut self, label: &str, bytes: &[u8]) -> &mut Self {
        match crl_der(bytes) {
            Ok(der) => self.crls.push((label.to_string(), der)),
            Err(e) => self
                .refused
                .push(Refused::new(SourceRole::Crl, label, e.to_string())),
        }
        self
    }

    /// Adds an index file's bytes (from `kakunin ingest`), or sets them
    /// aside as refused when they fail to open or fail their checksum.
    /// See [`VerifierBuilder::index`].
    pub fn index_bytes(&mut self, label: &str, bytes: IndexBytes) -> &mut Self {
        let opened = SerialIndex::from_bytes(bytes).and_then(|i| i.verify().map(|_| i));
        match opened {
            Ok(i) => self.indexes.push((label.to_string(), Arc::new(i))),
            Err(e) => self
                .refused
                .push(Refused::new(SourceRole::Index, label, e.to_string())),
        }
        self
    }

    /// Records a source the caller could not even decode (say, a PEM file
    /// with a broken block) as refused, so that it is reported with the
    /// rest.
    pub fn refuse(&mut self, role: SourceRole, label: &str, reason: &str) -> &mut Self {
        self.refused.push(Refused::new(role, label, reason));
        self
    }

    /// Like [`VerifierBuilder::trust_anchor`], but an unreadable
    /// certificate is an error.
    pub fn trust_anchor_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        self.add_ca_strict(SourceRole::TrustAnchor, der)
    }

    /// Like [`VerifierBuilder::intermediate`], but an unreadable
    /// certificate is an error.
    pub fn intermediate_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        self.add_ca_strict(SourceRole::Intermediate, der)
    }

    fn add_ca_strict(&mut self, role: SourceRole, der: &[u8]) -> Result<&mut Self, VerifyError> {
        check_ca(der, role.as_str())?;
        let list = match role {
            SourceRole::TrustAnchor => &mut self.anchors,
            _ => &mut self.intermediates,
        };
        list.push((format!("#{}", list.len() + 1), der.to_vec()));
        Ok(self)
    }

    /// Like [`VerifierBuilder::crl`], but a malformed CRL is an error.
    pub fn crl_der(&mut self, der: &[u8]) -> Result<&mut Self, VerifyError> {
        let n = self.crls.len() + 1;
        let der = crl_der(der).map_err(|source| VerifyError::Crl { n, source })?;
        self.crls.push((format!("#{n}"), der));
        Ok(self)
    }

    /// Adds a prebuilt index (from `kakunin ingest`). Matched to its issuer
    /// by the SHA-256 of the issuer's SubjectPublicKeyInfo. An index keeps
    /// a partitioned CRL's distribution point name, so it covers the same
    /// certificates as the raw CRL, but not an indirect CRL's entries about
    /// other issuers: those answer only when the CRL is given raw
    /// ([`VerifierBuilder::crl`]); from an index they fail closed
    /// (`Unknown`).
    pub fn index(&mut self, index: SerialIndex<IndexBytes>) -> Result<&mut Self, VerifyError> {
        let label = format!("#{}", self.indexes.len() + 1);
        self.indexes.push((label, Arc::new(index)));
        Ok(self)
    }

    /// Adds an index that is already open and checked, shared with its
    /// owner: a [`Store`](crate::store::Store) snapshot's
    /// ([`Snapshot::index`](crate::store::Snapshot::index)), so that a
    /// server verifies against exactly what it serves, with no second map
    /// or checksum pass. Matched to its issuer like
    /// [`VerifierBuilder::index`].
    pub fn shared_index(&mut self, label: &str, index: Arc<SerialIndex<IndexBytes>>) -> &mut Self {
        self.indexes.push((label.to_string(), index));
        self
    }

    /// Whether to hash every CRL and index file with SHA-256 at build, for
    /// [`RevocationSource::sha256`](super::RevocationSource::sha256)
    /// (default: yes). Evidence needs them; a caller that keeps no evidence
    /// saves a pass over each file — ~25 ms for a 10M-entry index, a
    /// twentieth of a 100k batch.
    pub fn source_digests(&mut self, on: bool) -> &mut Self {
        self.no_source_digests = !on;
        self
    }

    /// Builds the verifier. Fails only without a usable trust anchor; every
    /// other problem is a refused source ([`Verifier::refused`]).
    pub fn build(&self) -> Result<Verifier, VerifyError> {
        let mut refused = self.refused.clone();
        let mut nodes = self.ca_nodes(&mut refused);
        if !nodes.iter().any(|n| n.anchor) {
            return Err(
                if self.anchors.is_empty() && !refused.iter().any(is_anchor) {
                    VerifyError::NoTrustAnchor
                } else {
                    VerifyError::NoUsableTrustAnchor {
                        refused: refused
                            .iter()
                            .filter(|r| is_anchor(r))
                            .map(|r| r.to_string())
                            .collect::<Vec<_>>()
                            .join("; "),
                    }
                },
            );
        }
        let sources = self.sources(&nodes, &mut refused);
        link_sources(&mut nodes, &sources);
        let chains = paths(&nodes);
        // An intermediate with no path to an anchor is of no use; say why
        // (a bad signature on it would otherwise go unnoticed).
        for (node, chains) in nodes.iter().zip(&chains) {
            if !node.anchor && chains.is_empty() {
                refused.push(
                    Refused::new(
                        SourceRole::Intermediate,
                        &node.label,
                        no_path_reason(node, &nodes),
                    )
                    .named(Some(node.ca.subject_der()))
                    .keyed(Some(node.ca.key_id().as_bytes())),
                );
            }
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
            refused,
            by_key_id,
            by_name,
        })
    }

    /// The CA certificates, prepared once; duplicates (same bytes) add
    /// nothing but work.
    fn ca_nodes(&self, refused: &mut Vec<Refused>) -> Vec<CaNode> {
        let provider = Provider::DEFAULT;
        let mut nodes: Vec<CaNode> = Vec::new();
        for (list, anchor, role) in [
            (&self.anchors, true, SourceRole::TrustAnchor),
            (&self.intermediates, false, SourceRole::Intermediate),
        ] {
            for (label, der) in list {
                if nodes.iter().any(|n| n.ca.der() == der.as_slice()) {
                    continue;
                }
                match CaNode::new(label, der, anchor, role.as_str(), provider) {
                    Ok(n) => nodes.push(n),
                    Err(e) => refused.push(ca_refusal(role, label, e)),
                }
            }
        }
        nodes
    }

    /// CRLs and indexes as revocation sources; those no configured CA
    /// issued are refused.
    fn sources(&self, nodes: &[CaNode], refused: &mut Vec<Refused>) -> Vec<Source> {
        let digest = |bytes: &[u8]| (!self.no_source_digests).then(|| sha256(bytes));
        let mut sources = Vec::new();
        for (label, raw) in &self.crls {
            match crl_sources(label, raw, nodes, digest(raw)) {
                Ok(s) => sources.extend(s),
                Err(r) => refused.push(r),
            }
        }
        for (label, idx) in &self.indexes {
            match index_source(label, idx, nodes, digest(idx.as_bytes())) {
                Ok(s) => sources.push(s),
                Err(r) => refused.push(r),
            }
        }
        sources
    }
}

/// A CRL's DER from DER or PEM bytes, once it parses (the header checks;
/// the issuer and signature are checked at build).
fn crl_der(bytes: &[u8]) -> Result<Vec<u8>, crl::CrlError> {
    let der = crl::der_from_pem_or_der(bytes)?;
    crl::Crl::parse(&der)?;
    Ok(der.into_owned())
}

fn is_anchor(r: &Refused) -> bool {
    r.role == SourceRole::TrustAnchor
}

/// A CA certificate's refusal. It carries no name or key (the certificate
/// could not be read as a CA), so it is named in every verdict without a
/// path: it could have been anyone's issuer.
fn ca_refusal(role: SourceRole, label: &str, e: VerifyError) -> Refused {
    let reason = match e {
        VerifyError::CaCert { source, .. } => source.to_string(),
        VerifyError::CaProfile { detail, .. } => detail,
        other => other.to_string(),
    };
    Refused::new(role, label, reason)
}

/// Why an intermediate has no path to a trust anchor.
fn no_path_reason(node: &CaNode, nodes: &[CaNode]) -> String {
    let c = node.parsed();
    let issuer = crate::name::name_to_string(c.issuer).unwrap_or_default();
    if candidates(nodes, &c).is_empty() {
        format!("no configured CA issued it (its issuer is {issuer}); add that CA with --trust or --intermediate")
    } else if find_issuers(nodes, &c).is_empty() {
        format!("its signature does not verify with the key of any configured CA named {issuer} (RFC 5280 §6.1.3 (a)(1))")
    } else {
        format!("no path from it to a trust anchor within {MAX_DEPTH} certificates")
    }
}
