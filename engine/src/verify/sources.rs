//! Revocation sources: raw CRLs and index files turned into the one form
//! the verifier looks serials up in, an in-memory or mapped
//! [`SerialIndex`]. A raw CRL is verified against its issuer exactly as
//! `kakunin ingest` does and indexed in memory, so a raw CRL and the index
//! file made from it cannot disagree.

use std::sync::Arc;

use crate::crl;
use crate::index::IndexBytes;
use crate::index::SerialIndex;
use crate::ingest::{verify_crl, verify_crl_for_issuer, IngestOptions};
use crate::name::{self, names_match};

use super::graph::CaNode;
use super::refused::{Refused, SourceRole};
use super::{dp, RevocationSource, SourceKind};

/// The sources of the raw CRL labelled `label`: the CRL verified against
/// the first configured CA of its issuer's name whose key verifies it; or
/// its refusal, with the last CA's reason.
pub(super) fn crl_sources(
    label: &str,
    raw: &[u8],
    nodes: &[CaNode],
    sha256: Option<[u8; 32]>,
) -> Result<Vec<Source>, Refused> {
    let parsed =
        crl::Crl::parse(raw).map_err(|e| Refused::new(SourceRole::Crl, label, e.to_string()))?;
    let issuer = name::name_to_string(parsed.issuer_der()).unwrap_or_default();
    let mut why = format!(
        "not issued by any configured CA: no CA named {issuer}; add its CA with --trust or --intermediate"
    );
    for node in nodes {
        if !names_match(parsed.issuer_der(), node.ca.subject_der()) {
            continue;
        }
        match issued_by(raw, &parsed, node, nodes, sha256) {
            Ok(sources) => return Ok(sources),
            Err(e) => why = format!("{e} (checked against {})", node.label),
        }
    }
    Err(Refused::new(SourceRole::Crl, label, why).named(Some(parsed.issuer_der())))
}

/// `raw` verified as a CRL of `node` and indexed in memory. An indirect
/// CRL also speaks for other issuers (§5.3.3): one more index per other
/// configured CA name, of the entries about that CA's certificates
/// (possibly none, which is an answer too).
fn issued_by(
    raw: &[u8],
    parsed: &crl::Crl<'_>,
    node: &CaNode,
    nodes: &[CaNode],
    sha256: Option<[u8; 32]>,
) -> Result<Vec<Source>, String> {
    let opts = IngestOptions {
        // Currency is judged per call; here only the issuer and the
        // signature matter, so check "as of thisUpdate".
        now: parsed.this_update(),
        max_clock_skew: 0,
    };
    let own = verify_crl(raw, &node.ca, &opts, &|_, _| {}).and_then(|v| v.into_index_bytes());
    let (bytes, _) = own.map_err(|e| e.to_string())?;
    // A malformed name leaves `None`: the CRL is then treated as a
    // partition we cannot place, which fails closed.
    let idp_names = parsed
        .idp_distribution_point()
        .and_then(|d| dp::idp_names(d, parsed.issuer_der()).ok());
    let source = |bytes: Vec<u8>, entries_of: Option<Vec<u8>>| -> Result<Source, String> {
        let index = SerialIndex::from_bytes(IndexBytes::from(bytes)).map_err(|e| e.to_string())?;
        Ok(Source {
            index: Arc::new(index),
            kind: SourceKind::Crl,
            sha256,
            idp_names: idp_names.clone(),
            entries_of,
            crl_issuer: Some(parsed.issuer_der().to_vec()),
        })
    };
    let mut out = Vec::new();
    if parsed.scope().indirect {
        let mut names: Vec<&[u8]> = Vec::new();
        for other in nodes {
            let dn = other.ca.subject_der();
            if !names_match(dn, parsed.issuer_der()) && !names.iter().any(|n| names_match(n, dn)) {
                names.push(dn);
            }
        }
        for dn in names {
            let (bytes, _) = verify_crl_for_issuer(raw, &node.ca, &opts, &|_, _| {}, dn)
                .and_then(|v| v.into_index_bytes())
                .map_err(|e| e.to_string())?;
            out.push(source(bytes, Some(dn.to_vec()))?);
        }
    }
    out.push(source(bytes, None)?);
    Ok(out)
}

/// The index labelled `label` as a source of the configured CA whose
/// SubjectPublicKeyInfo it names, or its refusal.
pub(super) fn index_source(
    label: &str,
    idx: &Arc<SerialIndex<IndexBytes>>,
    nodes: &[CaNode],
    sha256: Option<[u8; 32]>,
) -> Result<Source, Refused> {
    let m = idx.meta();
    let Some(issuer) = nodes
        .iter()
        .find(|node| node.spki_sha256 == m.crl.issuer_spki_sha256)
    else {
        let why = format!(
            "no configured CA has its issuer key (key id {}, matched by SubjectPublicKeyInfo SHA-256); add its CA with --trust or --intermediate",
            m.crl.issuer_key_id
        );
        return Err(Refused::new(SourceRole::Index, label, why)
            .keyed(Some(m.crl.issuer_spki_sha256.as_slice())));
    };
    Ok(Source {
        index: idx.clone(),
        kind: SourceKind::Index,
        sha256,
        // The CRL's issuer is the CA it was verified against (§5.1.2.3),
        // so a relative name completes from its subject.
        idp_names: idx
            .idp_distribution_point()
            .and_then(|d| dp::idp_names(d, issuer.ca.subject_der()).ok()),
        // `kakunin ingest` keeps the CRL issuer's own entries.
        entries_of: None,
        // An index does not record its CRL issuer's name, only the key:
        // when CAs of different names share that key, which one issued the
        // CRL is unknown, so it answers for none.
        crl_issuer: nodes
            .iter()
            .filter(|node| node.spki_sha256 == m.crl.issuer_spki_sha256)
            .all(|node| names_match(node.ca.subject_der(), issuer.ca.subject_der()))
            .then(|| issuer.ca.subject_der().to_vec()),
    })
}

/// Gives each CA the sources it may use: §6.3.3 (b)(1), §5.1.2.3, the key
/// that signed the CRL and the name it was issued under must both be the
/// CA's.
pub(super) fn link_sources(nodes: &mut [CaNode], sources: &[Source]) {
    for node in nodes.iter_mut() {
        node.crls = sources
            .iter()
            .enumerate()
            .filter(|(_, s)| {
                s.index.meta().crl.issuer_spki_sha256 == node.spki_sha256
                    && s.crl_issuer
                        .as_deref()
                        .is_some_and(|n| names_match(n, node.ca.subject_der()))
            })
            .map(|(i, _)| i)
            .collect();
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
            issuer_key_id: m.crl.issuer_key_id,
            crl_number: m.crl.crl_number,
            delta: m.crl.delta_base.is_some(),
            this_update: m.crl.this_update,
            next_update: m.crl.next_update,
            sha256: self.sha256,
            kind: self.kind,
        }
    }
}
