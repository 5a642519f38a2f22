//! A sign transaction: documents an RP registered for the holder to sign
//! with the card, what the holder sees of them, and how it ended.
//!
//! A transaction is kept in the [`StateStore`] under `signtx:{id}` as
//! JSON, so that any replica sharing the store serves it. It ends once
//! ([`SignTransaction::settle`] is a SET-NX on `signtx-settled:{id}`):
//! two approvals racing on one transaction cannot both sign it.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kakunin_engine::docsig::{DigestAlgorithm, DigestInfo};
use kakunin_oidc::state::{StateError, StateStore};
use serde::{Deserialize, Serialize};

/// The longest label, in characters: a file name or a short title, which
/// the login page and the card front end show in full.
pub(crate) const MAX_LABEL_CHARS: usize = 200;

/// One document to sign, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Document {
    /// What the person sees.
    pub(crate) label: String,
    /// The DER DigestInfo the card signs, base64.
    pub(crate) digest_info: String,
}

impl Document {
    /// The DigestInfo (checked when the transaction was registered).
    pub(crate) fn digest_info(&self) -> Option<DigestInfo> {
        let der = STANDARD.decode(&self.digest_info).ok()?;
        DigestInfo::parse(&der).ok()
    }

    /// What the card front end and the result show of it.
    pub(crate) fn describe(&self) -> serde_json::Value {
        let di = self.digest_info();
        serde_json::json!({
            "label": self.label,
            "algorithm": di.as_ref().map(|d| d.algorithm().name()),
            "digest": di.as_ref().map(|d| STANDARD.encode(d.digest())),
            "digest_info": self.digest_info,
        })
    }
}

/// How a transaction ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub(crate) enum Settled {
    /// Every signature verified and the certificate was valid: the result
    /// the RP fetches (JSON), and its evidence record's id.
    Signed {
        result: serde_json::Value,
        evidence_id: String,
    },
    /// A check failed; the reason, and the evidence record that says so.
    Refused { reason: String, evidence_id: String },
}

/// A registered transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SignTransaction {
    /// A random UUID (the Digital Agency's `sign_transaction_id`).
    pub(crate) id: String,
    /// The client that registered it: the only one that may use it.
    pub(crate) client_id: String,
    pub(crate) documents: Vec<Document>,
    /// Whether the RP asked for the holder's four facts with the result.
    pub(crate) facts: bool,
    /// Seconds since the epoch.
    pub(crate) created_at: u64,
    /// The end of the time to approve it.
    pub(crate) expires_at: u64,
    pub(crate) settled: Option<Settled>,
}

/// Why a registration body was refused: each names the document and the
/// problem (the answer is a 400 with this text).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum RegisterError {
    #[error("expected {{\"documents\": [{{\"label\", \"digest\" | \"digest_info\"}}, ...], \"facts\": bool}}: {0}")]
    Shape(String),
    #[error("expected 1 to {max} documents, found {found}")]
    Count { max: usize, found: usize },
    #[error("documents[{index}]: {problem}")]
    Document { index: usize, problem: String },
}

/// The registration body (docs/signing.md).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Body {
    documents: Vec<BodyDocument>,
    #[serde(default)]
    facts: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BodyDocument {
    label: String,
    /// A SHA-256 digest, base64 (standard or URL-safe).
    digest: Option<String>,
    /// A DER DigestInfo, base64.
    digest_info: Option<String>,
}

/// What a registration asks for, checked.
#[derive(Debug)]
pub(crate) struct Registration {
    pub(crate) documents: Vec<Document>,
    pub(crate) facts: bool,
}

fn decode_b64(text: &str) -> Option<Vec<u8>> {
    use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
    let t = text.trim();
    [STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD]
        .iter()
        .find_map(|e| e.decode(t).ok())
}

impl Registration {
    /// Parses and checks a registration body: at most `max_documents`
    /// documents, each with a label a person can read and exactly one of
    /// a SHA-256 digest or an accepted DigestInfo.
    pub(crate) fn parse(body: &[u8], max_documents: usize) -> Result<Registration, RegisterError> {
        let body: Body =
            serde_json::from_slice(body).map_err(|e| RegisterError::Shape(e.to_string()))?;
        if body.documents.is_empty() || body.documents.len() > max_documents {
            return Err(RegisterError::Count {
                max: max_documents,
                found: body.documents.len(),
            });
        }
        let documents = body
            .documents
            .into_iter()
            .enumerate()
            .map(|(index, d)| {
                check_document(d).map_err(|problem| RegisterError::Document { index, problem })
            })
            .collect::<Result<_, _>>()?;
        Ok(Registration {
            documents,
            facts: body.facts,
        })
    }
}

fn check_document(d: BodyDocument) -> Result<Document, String> {
    let label = d.label.trim();
    let chars = label.chars().count();
    if chars == 0 {
        return Err("expected a label the person will see, found an empty one".into());
    }
    if chars > MAX_LABEL_CHARS {
        return Err(format!(
            "expected a label of at most {MAX_LABEL_CHARS} characters, found {chars}"
        ));
    }
    if let Some(c) = label.chars().find(|c| c.is_control() || is_invisible(*c)) {
        return Err(format!(
            "expected a label of printable characters, found U+{:04X}",
            c as u32
        ));
    }
    let di = match (d.digest, d.digest_info) {
        (Some(digest), None) => {
            let bytes = decode_b64(&digest)
                .ok_or_else(|| "expected \"digest\" in base64, found something else".to_string())?;
            DigestInfo::new(DigestAlgorithm::Sha256, &bytes).map_err(|e| format!("digest: {e}"))?
        }
        (None, Some(der)) => {
            let bytes = decode_b64(&der).ok_or_else(|| {
                "expected \"digest_info\" in base64, found something else".to_string()
            })?;
            DigestInfo::parse(&bytes).map_err(|e| format!("digest_info: {e}"))?
        }
        (Some(_), Some(_)) => {
            return Err("expected one of \"digest\" or \"digest_info\", found both".into())
        }
        (None, None) => {
            return Err(
                "expected \"digest\" (SHA-256, base64) or \"digest_info\" (DER, base64)".into(),
            )
        }
    };
    Ok(Document {
        label: label.to_string(),
        digest_info: STANDARD.encode(di.as_der()),
    })
}

/// Characters that reorder or hide text (bidirectional controls,
/// zero-width marks): a label must read as it is.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}')
}

/// A random version-4 UUID (RFC 9562 §5.4).
pub(crate) fn new_id() -> Option<String> {
    let mut b = [0u8; 16];
    aws_lc_rs::rand::fill(&mut b).ok()?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    Some(format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    ))
}

fn key(id: &str) -> String {
    format!("signtx:{id}")
}

/// A stored record that does not parse, or the store refusing.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error(transparent)]
    State(#[from] StateError),
    #[error("expected a sign transaction record, found one that does not parse: {0}")]
    Corrupt(String),
    #[error("expected an open sign transaction, found one already settled")]
    AlreadySettled,
}

impl SignTransaction {
    /// Stores the transaction for `ttl`.
    pub(crate) async fn put(
        &self,
        store: &dyn StateStore,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        let record = serde_json::to_vec(self).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        store.put(&key(&self.id), record, ttl).await?;
        Ok(())
    }

    /// The live transaction `id`, if any.
    pub(crate) async fn load(store: &dyn StateStore, id: &str) -> Result<Option<Self>, StoreError> {
        store
            .get(&key(id))
            .await?
            .map(|r| serde_json::from_slice(&r).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Whether the time to approve is over at `now` (seconds).
    pub(crate) fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// Claims the right to end the transaction, once: of two concurrent
    /// claims one wins, the other gets [`StoreError::AlreadySettled`].
    /// Taken before the evidence is written, so that one transaction
    /// never has two outcomes on record.
    pub(crate) async fn claim(
        &self,
        store: &dyn StateStore,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        if !store.mark_once(&claim_key(&self.id), ttl).await? {
            return Err(StoreError::AlreadySettled);
        }
        Ok(())
    }

    /// Gives a claim back when nothing was recorded (the evidence log
    /// failed), so the holder can try again.
    pub(crate) async fn release(&self, store: &dyn StateStore) {
        let _ = store.take(&claim_key(&self.id)).await;
    }

    /// Stores how the claimed transaction ended, kept (with its result)
    /// for `ttl`.
    pub(crate) async fn finish(
        mut self,
        store: &dyn StateStore,
        settled: Settled,
        ttl: Duration,
    ) -> Result<(), StoreError> {
        self.settled = Some(settled);
        self.put(store, ttl).await
    }
}

fn claim_key(id: &str) -> String {
    format!("signtx-settled:{id}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(body: serde_json::Value) -> Result<Registration, RegisterError> {
        Registration::parse(body.to_string().as_bytes(), 16)
    }

    fn doc(label: &str, digest: &[u8]) -> serde_json::Value {
        serde_json::json!({"label": label, "digest": STANDARD.encode(digest)})
    }

    #[test]
    fn digests_and_digest_infos_are_stored_as_digest_infos() {
        let di = DigestInfo::new(DigestAlgorithm::Sha512, &[9; 64]).unwrap();
        let r = parse(serde_json::json!({"documents": [
            doc("契約書.pdf", &[7; 32]),
            {"label": "申請書.xml", "digest_info": STANDARD.encode(di.as_der())},
        ], "facts": true}))
        .unwrap();
        assert!(r.facts);
        assert_eq!(r.documents[0].label, "契約書.pdf");
        let first = r.documents[0].digest_info().unwrap();
        assert_eq!(first.algorithm(), DigestAlgorithm::Sha256);
        assert_eq!(first.digest(), &[7; 32]);
        assert_eq!(r.documents[1].digest_info().unwrap(), di);
    }

    #[test]
    fn every_refusal_names_the_document_and_the_problem() {
        let many: Vec<_> = (0..17).map(|i| doc(&format!("d{i}"), &[1; 32])).collect();
        let cases = [
            (
                serde_json::json!({"documents": []}),
                "expected 1 to 16 documents, found 0",
            ),
            (serde_json::json!({"documents": many}), "found 17"),
            (
                serde_json::json!({"documents": [doc("a", &[1; 31])]}),
                "documents[0]: digest: expected a SHA-256 digest of 32 bytes, found 31 bytes",
            ),
            (
                serde_json::json!({"documents": [doc("a", &[1; 32]), doc(&"長".repeat(201), &[1; 32])]}),
                "documents[1]: expected a label of at most 200 characters, found 201",
            ),
            (
                serde_json::json!({"documents": [doc("  ", &[1; 32])]}),
                "empty one",
            ),
            (
                serde_json::json!({"documents": [doc("a\u{202E}fdp.exe", &[1; 32])]}),
                "found U+202E",
            ),
            (
                serde_json::json!({"documents": [{"label": "a", "digest_info": STANDARD.encode([0x30, 0x00])}]}),
                "documents[0]: digest_info: expected a DER DigestInfo over SHA-256",
            ),
            (
                serde_json::json!({"documents": [{"label": "a"}]}),
                "expected \"digest\" (SHA-256, base64) or \"digest_info\"",
            ),
            (
                serde_json::json!({"documents": [{"label": "a", "digest": "!!"}]}),
                "expected \"digest\" in base64",
            ),
            (
                serde_json::json!({"documents": [doc("a", &[1; 32])], "extra": 1}),
                "unknown field `extra`",
            ),
        ];
        for (body, want) in cases {
            let e = parse(body.clone()).unwrap_err().to_string();
            assert!(e.contains(want), "{body}: {e}");
        }
    }

    #[test]
    fn ids_are_v4_uuids() {
        let a = new_id().unwrap();
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(a, new_id().unwrap());
    }
}
