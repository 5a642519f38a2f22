//! Document signing (docs/signing.md) from the RP's side.
//!
//! The RP hashes the document itself and registers only the digest, so
//! the document never leaves it; the provider has the card sign the
//! digest's DigestInfo. When the result comes back the RP does not take
//! the provider's word for it: each signature is verified here, over the
//! digest this RP computed (not the one the provider echoes), with the
//! public key of the certificate in the result — what any RP can do with
//! a general crypto library. The certificate's path and revocation are
//! the provider's check (`verification`), recorded in its evidence log.

use anyhow::{bail, Context};
use aws_lc_rs::digest::{self, Digest, SHA256};
use aws_lc_rs::signature::{UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;
use serde_json::{json, Map, Value};

/// The signing API's base, under the issuer (it is not in discovery).
pub(crate) const API_PATH: &str = "/v1/sign-transactions";
/// Answers from the provider read at most (a result of 16 documents with
/// a certificate is a few tens of KiB).
const MAX_ANSWER: u64 = 1 << 20;

/// A document this RP registered: what it will check the signature over.
pub(crate) struct Document {
    pub(crate) label: String,
    pub(crate) digest: [u8; 32],
}

impl Document {
    /// The document `text`, hashed here: SHA-256 of its UTF-8 bytes as the
    /// browser sent them (a textarea's line ends arrive as CRLF).
    pub(crate) fn new(label: String, text: &str) -> Document {
        let mut d = [0u8; 32];
        d.copy_from_slice(digest::digest(&SHA256, text.as_bytes()).as_ref());
        Document { label, digest: d }
    }
}

/// A registered transaction, remembered with the login that approves it.
pub(crate) struct Transaction {
    pub(crate) id: String,
    pub(crate) documents: Vec<Document>,
}

/// `status` and body of an answer from the provider's signing API, or an
/// error in words: the HTTP status and the provider's `detail` (its API
/// errors) or `error_description` (OAuth bearer errors).
fn answer(
    what: &str,
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> anyhow::Result<(Option<String>, Vec<u8>)> {
    let mut response = result.with_context(|| format!("{what}: no answer"))?;
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(|v| v.split(';').next().unwrap_or(v).trim().to_string());
    let body = response
        .body_mut()
        .with_config()
        .limit(MAX_ANSWER)
        .read_to_vec()
        .with_context(|| format!("{what}: reading the answer"))?;
    if !status.is_success() {
        let said: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
        let error = said["error"].as_str().unwrap_or("");
        let detail = said["detail"]
            .as_str()
            .or(said["error_description"].as_str())
            .map_or_else(
                || String::from_utf8_lossy(&body).chars().take(300).collect(),
                str::to_string,
            );
        bail!("{what}: the provider answered HTTP {status} {error}: {detail}");
    }
    Ok((content_type, body))
}

/// `POST {issuer}/v1/sign-transactions` with a client-credentials access
/// token (scope `sign`): the transaction's id.
pub(crate) fn register(
    agent: &ureq::Agent,
    issuer: &str,
    token: &str,
    documents: &[Document],
    facts: bool,
) -> anyhow::Result<String> {
    let body = json!({
        "documents": documents.iter().map(|d| json!({
            "label": d.label,
            "digest": B64.encode(d.digest),
        })).collect::<Vec<_>>(),
        "facts": facts,
    });
    let url = format!("{}{API_PATH}", issuer.trim_end_matches('/'));
    let sent = agent
        .post(&url)
        .header("Authorization", &format!("Bearer {token}"))
        .header("Content-Type", "application/json")
        .send(body.to_string().as_bytes());
    let (_, body) = answer(&format!("POST {url}"), sent)?;
    let said: Value =
        serde_json::from_slice(&body).context("the registration's answer is not JSON")?;
    said["sign_transaction_id"]
        .as_str()
        .map(str::to_string)
        .context("the registration's answer has no sign_transaction_id")
}

/// The result as docs/signing.md §4 gives it.
#[derive(Deserialize)]
pub(crate) struct SignResult {
    pub(crate) sign_transaction_id: String,
    pub(crate) status: String,
    pub(crate) documents: Vec<ResultDocument>,
    /// base64 DER of the signing certificate.
    pub(crate) certificate: String,
    pub(crate) verification: Verification,
    #[serde(default)]
    pub(crate) facts: Option<Map<String, Value>>,
    pub(crate) evidence_id: String,
}

#[derive(Deserialize)]
pub(crate) struct ResultDocument {
    pub(crate) label: String,
    pub(crate) algorithm: String,
    pub(crate) digest: String,
    pub(crate) signature: String,
}

/// The provider's check of the signing certificate against its CRLs.
#[derive(Deserialize)]
pub(crate) struct Verification {
    pub(crate) status: String,
    pub(crate) detail: Option<String>,
    pub(crate) crl_number: Option<String>,
    pub(crate) checked_at: Option<String>,
}

/// `GET {issuer}/v1/sign-transactions/{id}/result` with the access token
/// of the login that approved it: the result, and the pretty JSON.
pub(crate) fn result(
    agent: &ureq::Agent,
    issuer: &str,
    id: &str,
    access_token: &str,
) -> anyhow::Result<(SignResult, String)> {
    let url = format!("{}{API_PATH}/{id}/result", issuer.trim_end_matches('/'));
    let got = agent
        .get(&url)
        .header("Authorization", &format!("Bearer {access_token}"))
        .call();
    let (content_type, body) = answer(&format!("GET {url}"), got)?;
    if content_type.as_deref() == Some("application/jose") {
        bail!(
            "the result is encrypted (a JWE: the client registered an encryption key); this \
             example RP holds no decryption key"
        );
    }
    let raw: Value = serde_json::from_slice(&body).context("the result is not JSON")?;
    let pretty = serde_json::to_string_pretty(&raw).unwrap_or_default();
    let parsed =
        serde_json::from_value(raw).context("the result is not shaped as docs/signing.md says")?;
    Ok((parsed, pretty))
}

/// The signing certificate, as the page shows it.
pub(crate) struct Certificate {
    pub(crate) subject: String,
    pub(crate) issuer: String,
    pub(crate) serial: String,
    pub(crate) not_after: String,
    /// The subjectPublicKey (for RSA, the DER RSAPublicKey that aws-lc-rs
    /// takes).
    public_key: Vec<u8>,
}

impl Certificate {
    pub(crate) fn parse(b64: &str) -> anyhow::Result<Certificate> {
        let der = B64
            .decode(b64)
            .context("the result's certificate is not base64")?;
        let (_, cert) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| anyhow::anyhow!("the result's certificate is not X.509 DER: {e}"))?;
        Ok(Certificate {
            subject: cert.subject().to_string(),
            issuer: cert.issuer().to_string(),
            serial: cert.raw_serial_as_string(),
            not_after: cert
                .validity()
                .not_after
                .to_rfc2822()
                .unwrap_or_else(|e| e.to_string()),
            public_key: cert.public_key().subject_public_key.data.to_vec(),
        })
    }
}

/// One document of the result, and this RP's own check of it.
pub(crate) struct Checked<'a> {
    pub(crate) document: &'a ResultDocument,
    /// `Ok` when the signature verifies over the digest this RP
    /// registered; else why not.
    pub(crate) verified: Result<(), String>,
}

/// Each signature of `result` against the documents `sent`, in order:
/// the same label and digest, SHA-256, and an RSA PKCS#1 v1.5 signature
/// over the DigestInfo of this RP's digest under `cert`'s key.
pub(crate) fn check<'a>(
    sent: &[Document],
    result: &'a SignResult,
    cert: Option<&Certificate>,
) -> Vec<Checked<'a>> {
    let count = if result.documents.len() == sent.len() {
        Ok(())
    } else {
        Err(format!(
            "the result has {} documents, {} were registered",
            result.documents.len(),
            sent.len()
        ))
    };
    result
        .documents
        .iter()
        .zip(sent.iter().map(Some).chain(std::iter::repeat(None)))
        .map(|(document, ours)| Checked {
            document,
            verified: count
                .clone()
                .and_then(|()| verify_one(document, ours, cert)),
        })
        .collect()
}

fn verify_one(
    got: &ResultDocument,
    ours: Option<&Document>,
    cert: Option<&Certificate>,
) -> Result<(), String> {
    let ours = ours.ok_or("not a document registered here")?;
    if got.label != ours.label {
        return Err(format!(
            "the label is not the one registered ({:?})",
            ours.label
        ));
    }
    if got.algorithm != "SHA-256" {
        return Err(format!("expected SHA-256, found {}", got.algorithm));
    }
    if B64.decode(&got.digest).ok().as_deref() != Some(&ours.digest[..]) {
        return Err("the digest is not the one this RP computed and registered".into());
    }
    let cert = cert.ok_or("no usable signing certificate")?;
    let signature = B64
        .decode(&got.signature)
        .map_err(|_| "the signature is not base64".to_string())?;
    let digest = Digest::import_less_safe(&ours.digest, &SHA256)
        .map_err(|_| "a SHA-256 digest is 32 bytes".to_string())?;
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &cert.public_key)
        .verify_digest(&digest, &signature)
        .map_err(|_| {
            "the signature does not verify with the certificate's key over this RP's digest"
                .to_string()
        })
}

#[cfg(test)]
mod tests;
