//! [`VerifierBuilder`]: collects trust anchors, intermediates, CRLs and
//! indexes, and at [`VerifierBuilder::build`] does all the work that does
//! not depend on the leaf or the time (see the [module docs](super)).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::crl;
use crate::crypto::{sha256, Provider};
use crate::index::SerialIndex;
use crate::store::IndexBytes;

use super::graph::{check_ca, paths, CaNode};
use super::sources::{crl_sources, index_source, link_sources};
use super::{Verifier, VerifyError};

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
            sources.extend(crl_sources(i + 1, raw, &nodes, digest(raw))?);
        }
        for (i, idx) in self.indexes.iter().enumerate() {
            sources.push(index_source(i + 1, idx, &nodes, digest(idx.as_bytes()))?);
        }
        link_sources(&mut nodes, &sources);
        let chains = paths(&nodes);
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
