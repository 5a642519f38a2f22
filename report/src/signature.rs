//! Document signatures: the JSON form a signature to check comes in
//! (`kakunin verify-signature --batch`, `POST /v1/verify`), and the object
//! that reports the check of the signature and of the signer's
//! certificate.

use base64::Engine as _;
use kakunin_engine::docsig::{verify_pkcs1_sha256, MessageRef};
use kakunin_engine::verify::Verifier;
use kakunin_engine::{crypto, Timestamp};
use serde::Serialize;
use serde_json::Value;

use crate::cert_line::CertLine;
use crate::evidence::EvidenceRecord;
use crate::signature_evidence::SignatureEvidence;
use crate::status::CertStatus;

/// What a document signature was made over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// The document itself.
    Data(Vec<u8>),
    /// Its SHA-256 digest (when the document cannot be shared).
    Digest([u8; 32]),
}

/// One document signature to check: the signer's certificate, the
/// signature (RSA PKCS#1 v1.5, SHA-256) and what it was made over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedDocument {
    /// The signer's certificate, DER.
    pub cert: Vec<u8>,
    /// The signature bytes.
    pub sig: Vec<u8>,
    /// The document or its digest.
    pub message: Message,
}

/// The check of one signature: `{"certificate", "input", "signature":
/// {"detail", "status"}, "status"}`, whose `status` is `valid` only when
/// both the signature and the certificate are.
///
/// Keys print in alphabetical order, nested ones too, as the `json!` map
/// this replaced printed them, so the bytes are unchanged.
#[derive(Debug, Serialize)]
pub struct SignatureCheck {
    /// The certificate's line (as `kakunin verify` prints it), null when
    /// the request could not be read.
    certificate: Value,
    input: String,
    signature: SignatureOnly,
    status: CertStatus,
}

/// The signature's own result, before the certificate is looked at.
#[derive(Debug, Serialize)]
struct SignatureOnly {
    detail: Option<String>,
    status: CertStatus,
}

impl SignatureCheck {
    /// `valid` only when the signature verifies and the certificate is valid.
    pub fn status(&self) -> CertStatus {
        self.status
    }

    /// The object as JSON text.
    pub fn to_json(&self) -> String {
        // Strings, options and a Value: serialising cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl std::fmt::Display for SignatureCheck {
    /// The JSON text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json())
    }
}

impl SignedDocument {
    /// Reads the JSON form `{"cert", "sig", "data"|"digest"}` that
    /// `kakunin verify-signature --batch` and `POST /v1/verify` take: `cert`
    /// PEM text or base64 DER, `sig` and `data` base64, `digest` hex
    /// SHA-256. The error names the field at fault.
    pub fn from_json(v: &Value) -> Result<SignedDocument, String> {
        let cert = cert_from_json(v)?;
        let sig = base64_field(v, "sig")?;
        let message = match (v.get("data"), v.get("digest")) {
            (Some(_), None) => Message::Data(base64_field(v, "data")?),
            (None, Some(d)) => Message::Digest(parse_digest(
                d.as_str().ok_or("\"digest\" must be a string")?,
            )?),
            _ => return Err("give exactly one of \"data\" or \"digest\"".into()),
        };
        Ok(SignedDocument { cert, sig, message })
    }

    /// Checks the signature and verifies the certificate at `at`.
    pub fn check(
        &self,
        verifier: &Verifier,
        input: &str,
        at: Timestamp,
        facts: bool,
    ) -> SignatureCheck {
        self.check_with_evidence(verifier, input, at, facts).0
    }

    /// [`SignedDocument::check`], and the evidence of it (whose status
    /// record names its sources only when `verifier` was built with source
    /// digests).
    pub fn check_with_evidence(
        &self,
        verifier: &Verifier,
        input: &str,
        at: Timestamp,
        facts: bool,
    ) -> (SignatureCheck, SignatureEvidence) {
        let (m, document_sha256) = match &self.message {
            Message::Data(d) => (MessageRef::Data(d), crypto::sha256(d)),
            Message::Digest(d) => (MessageRef::Digest(*d), *d),
        };
        let signature = match verify_pkcs1_sha256(&self.cert, &self.sig, m) {
            Ok(()) => SignatureOnly {
                detail: None,
                status: CertStatus::Valid,
            },
            Err(e) => SignatureOnly {
                detail: Some(e.to_string()),
                status: CertStatus::Invalid,
            },
        };
        let verdict = verifier.verify(&self.cert, at);
        let cert = CertLine::new(input, &self.cert, &verdict, facts);
        let status = if signature.status.is_valid() {
            cert.status()
        } else {
            CertStatus::Invalid
        };
        let evidence = SignatureEvidence {
            input: input.to_string(),
            cert_sha256: crypto::sha256(&self.cert),
            document_sha256,
            signature_status: signature.status,
            signature_detail: signature.detail.clone(),
            certificate: EvidenceRecord::of(&self.cert, &verdict, at),
            status,
            checked_at: Timestamp::now(),
        };
        let check = SignatureCheck {
            certificate: cert.to_value(),
            input: input.to_string(),
            signature,
            status,
        };
        (check, evidence)
    }
}

/// The object for a signature request that could not even be read.
pub fn unreadable_signature(input: &str, detail: &str) -> SignatureCheck {
    SignatureCheck {
        certificate: Value::Null,
        input: input.to_string(),
        signature: SignatureOnly {
            detail: Some(detail.to_string()),
            status: CertStatus::Invalid,
        },
        status: CertStatus::Invalid,
    }
}

/// A hex SHA-256 digest.
pub fn parse_digest(h: &str) -> Result<[u8; 32], String> {
    let raw = hex::decode(h.trim()).map_err(|e| format!("not hex: {e}"))?;
    raw.try_into()
        .map_err(|v: Vec<u8>| format!("a SHA-256 digest is 32 bytes, got {}", v.len()))
}

fn base64_field(v: &Value, k: &str) -> Result<Vec<u8>, String> {
    let s = v[k].as_str().ok_or(format!("missing \"{k}\""))?;
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .map_err(|e| format!("\"{k}\" is not base64: {e}"))
}

/// The `cert` field of a JSON request: PEM text or base64 DER.
pub fn cert_from_json(v: &Value) -> Result<Vec<u8>, String> {
    cert_text("cert", v["cert"].as_str().ok_or("missing \"cert\"")?)
}

/// A certificate given in the JSON field `field` as PEM text or base64 DER.
pub fn cert_text(field: &str, text: &str) -> Result<Vec<u8>, String> {
    let b64 = base64::engine::general_purpose::STANDARD;
    if !text.contains("-----BEGIN") {
        return b64
            .decode(text.trim())
            .map_err(|e| format!("\"{field}\" is not base64: {e}"));
    }
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    b64.decode(body.trim())
        .map_err(|e| format!("\"{field}\" PEM is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn signed_documents_read_from_json_name_the_bad_field() {
        let ok = json!({"cert": "AAEC", "sig": "AwQ=", "digest": "00".repeat(32)});
        let d = SignedDocument::from_json(&ok).unwrap();
        assert_eq!(d.cert, [0, 1, 2]);
        assert_eq!(d.sig, [3, 4]);
        assert_eq!(d.message, Message::Digest([0; 32]));
        let pem = json!({"cert": "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n",
                         "sig": "AwQ=", "data": "aGk="});
        let d = SignedDocument::from_json(&pem).unwrap();
        assert_eq!(d.cert, [0, 1, 2]);
        assert_eq!(d.message, Message::Data(b"hi".to_vec()));
        for (bad, needle) in [
            (json!({"sig": "AA==", "data": ""}), "\"cert\""),
            (json!({"cert": "AAEC", "data": ""}), "\"sig\""),
            (
                json!({"cert": "!!", "sig": "AA==", "data": ""}),
                "\"cert\" is not base64",
            ),
            (json!({"cert": "AAEC", "sig": "AA=="}), "exactly one"),
            (
                json!({"cert": "AAEC", "sig": "AA==", "data": "", "digest": "00"}),
                "exactly one",
            ),
            (
                json!({"cert": "AAEC", "sig": "AA==", "digest": "0011"}),
                "32 bytes, got 2",
            ),
            (
                json!({"cert": "AAEC", "sig": "AA==", "digest": 5}),
                "must be a string",
            ),
        ] {
            let e = SignedDocument::from_json(&bad).unwrap_err();
            assert!(e.contains(needle), "{bad}: {e}");
        }
    }

    #[test]
    fn an_unreadable_request_prints_as_the_sorted_object_it_always_was() {
        let u = unreadable_signature("x", "bad");
        assert_eq!(u.status(), CertStatus::Invalid);
        let text = u.to_json();
        let value: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(text, value.to_string());
        assert_eq!(value["signature"]["detail"], "bad");
    }
}
