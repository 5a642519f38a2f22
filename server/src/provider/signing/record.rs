//! What a settled sign transaction leaves behind: the evidence record
//! (kind `sign_transaction`, in the hash-chained log; docs/evidence.md)
//! and the result the RP fetches (docs/signing.md). Both are built from
//! one [`Outcome`], so the evidence says exactly what the RP was told.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kakunin_engine::verify::Verdict;
use kakunin_engine::Timestamp;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::transaction::SignTransaction;

/// The evidence kind of a sign transaction's record.
pub(crate) const KIND: &str = "sign_transaction";

/// How one transaction was decided, before it is written down.
pub(crate) struct Outcome<'a> {
    pub(crate) tx: &'a SignTransaction,
    /// The signing certificate, DER (absent only when none was posted).
    pub(crate) certificate: &'a [u8],
    /// The certificate's verdict, when one was reached.
    pub(crate) verdict: Option<&'a Verdict>,
    /// `valid`, `revoked`, `unknown` or `invalid`: the certificate's.
    pub(crate) cert_status: &'a str,
    pub(crate) cert_detail: Option<&'a str>,
    /// One per document, in order; empty when refused before they were
    /// checked.
    pub(crate) signatures: &'a [Vec<u8>],
    /// Why it was refused; `None` when signed.
    pub(crate) refused: Option<&'a str>,
    pub(crate) decided_at: Timestamp,
}

/// One revocation source as recorded.
#[derive(Serialize)]
struct Source {
    kind: &'static str,
    depth: usize,
    issuer_key_id: String,
    /// Decimal digits as a string (CRL numbers go up to 20 octets).
    crl_number: Option<String>,
    delta: bool,
    this_update: String,
    sha256: Option<String>,
}

/// The evidence record's body.
#[derive(Serialize)]
pub(crate) struct Record<'a> {
    /// The transaction id (what `kakunin evidence show ID` finds).
    id: &'a str,
    client_id: &'a str,
    status: &'static str,
    reason: Option<&'a str>,
    created_at: String,
    decided_at: String,
    documents: Vec<Value>,
    certificate: String,
    certificate_sha256: String,
    serial: Option<String>,
    issuer: Option<String>,
    verification: Value,
    facts_released: bool,
    kakunin_version: &'static str,
}

fn sources(v: Option<&Verdict>) -> Vec<Source> {
    v.map(|v| {
        v.revocation_sources
            .iter()
            .map(|s| Source {
                kind: s.kind.as_str(),
                depth: s.depth,
                issuer_key_id: hex::encode(s.issuer_key_id.as_bytes()),
                crl_number: s.crl_number.map(|n| n.to_string()),
                delta: s.delta,
                this_update: s.this_update.to_rfc3339(),
                sha256: s.sha256.map(hex::encode),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// The cRLNumber the leaf was decided against (the first leaf source).
fn leaf_crl_number(v: Option<&Verdict>) -> Option<String> {
    v?.revocation_sources
        .iter()
        .find(|s| s.depth == 0)
        .and_then(|s| s.crl_number)
        .map(|n| n.to_string())
}

impl Outcome<'_> {
    fn documents(&self) -> Vec<Value> {
        self.tx
            .documents
            .iter()
            .enumerate()
            .map(|(i, d)| {
                let mut v = d.describe();
                if let Some(o) = v.as_object_mut() {
                    o.remove("digest_info");
                    o.insert(
                        "signature".into(),
                        json!(self.signatures.get(i).map(|s| STANDARD.encode(s))),
                    );
                }
                v
            })
            .collect()
    }

    fn verification(&self) -> Value {
        json!({
            "status": self.cert_status,
            "detail": self.cert_detail,
            "crl_number": leaf_crl_number(self.verdict),
            "checked_at": self.decided_at.to_rfc3339(),
        })
    }

    /// The evidence record.
    pub(crate) fn record(&self) -> Record<'_> {
        let mut verification = self.verification();
        verification["sources"] = json!(sources(self.verdict));
        Record {
            id: &self.tx.id,
            client_id: &self.tx.client_id,
            status: if self.refused.is_some() {
                "refused"
            } else {
                "signed"
            },
            reason: self.refused,
            created_at: Timestamp::from_unix(self.tx.created_at as i64).to_rfc3339(),
            decided_at: self.decided_at.to_rfc3339(),
            documents: self.documents(),
            certificate: STANDARD.encode(self.certificate),
            certificate_sha256: hex::encode(kakunin_engine::crypto::sha256(self.certificate)),
            serial: self.verdict.and_then(|v| v.serial).map(|s| s.to_hex()),
            issuer: self
                .verdict
                .and_then(|v| v.path.get(1))
                .map(|p| p.subject.to_string()),
            verification,
            facts_released: self.refused.is_none() && self.tx.facts,
            kakunin_version: env!("CARGO_PKG_VERSION"),
        }
    }

    /// The result the RP fetches, once the evidence record `evidence_id`
    /// is on disk; `facts` only when the RP asked for them.
    pub(crate) fn result(&self, evidence_id: &str, facts: Option<Map<String, Value>>) -> Value {
        let mut v = json!({
            "sign_transaction_id": self.tx.id,
            "status": "signed",
            "documents": self.documents(),
            "certificate": STANDARD.encode(self.certificate),
            "verification": self.verification(),
            "evidence_id": evidence_id,
        });
        if let Some(f) = facts {
            v["facts"] = Value::Object(f);
        }
        v
    }
}
