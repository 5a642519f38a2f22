//! The JSON objects of a verification: one line per certificate (what
//! `kakunin verify` prints) and one object per document signature (what
//! `kakunin verify-signature` prints). `POST /v1/verify` answers with the
//! very same objects, built by these functions, so a client can switch
//! between the batch tools and the server without a second parser.

use base64::Engine as _;
use kakunin_engine::docsig::{verify_pkcs1_sha256, MessageRef};
use kakunin_engine::verify::{Status, Verdict, Verifier};
use kakunin_engine::{jpki, Timestamp};
use serde_json::{json, Value};

/// The output line of one certificate: the JSON object of `kakunin verify`
/// (field order is the documented one) and the cells of its table format.
#[derive(Debug, serde::Serialize)]
pub struct CertLine<'a> {
    input: &'a str,
    serial: Option<String>,
    subject: Option<&'a str>,
    kind: Option<&'static str>,
    status: &'static str,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    detail: Option<String>,
    /// Present (possibly null) only when facts were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    facts: Option<Value>,
}

impl<'a> CertLine<'a> {
    /// The line of a verified certificate.
    pub fn new(input: &'a str, der: &[u8], v: &'a Verdict, facts: bool) -> CertLine<'a> {
        let (status, reason, revoked_at, detail) = match &v.status {
            Status::Valid => ("valid", None, None, None),
            Status::Revoked {
                reason,
                revoked_at,
                depth,
            } => (
                "revoked",
                reason.map(|r| r.name()),
                Some(revoked_at.to_rfc3339()),
                (*depth > 0)
                    .then(|| format!("certificate at depth {depth} of the path is revoked")),
            ),
            Status::Invalid { check, detail } => {
                ("invalid", None, None, Some(format!("{check}: {detail}")))
            }
            Status::Unknown { detail } => ("unknown", None, None, Some(detail.clone())),
        };
        CertLine {
            input,
            serial: v.serial.map(|s| s.to_hex()),
            subject: v.subject.as_deref(),
            kind: kind(der),
            status,
            reason,
            revoked_at,
            detail,
            facts: facts.then(|| match jpki::basic_facts(der) {
                Ok(Some(f)) => facts_json(&f),
                Ok(None) => Value::Null,
                Err(e) => json!({"error": e.to_string()}),
            }),
        }
    }

    /// The line of an input that is not a certificate at all.
    pub fn malformed(input: &'a str, detail: String, facts: bool) -> CertLine<'a> {
        CertLine {
            input,
            serial: None,
            subject: None,
            kind: None,
            status: "invalid",
            reason: None,
            revoked_at: None,
            detail: Some(detail),
            facts: facts.then_some(Value::Null),
        }
    }

    /// The status word: `valid`, `revoked`, `invalid` or `unknown`.
    pub fn status(&self) -> &'static str {
        self.status
    }

    /// The line as a JSON value (for objects that embed it).
    pub fn to_value(&self) -> Value {
        // Plain strings and options: serialising cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The line as JSON text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// One row of `kakunin verify --format table`.
    pub fn table_row(&self) -> String {
        format!(
            "{:<8} {:<20} {:<18} {:<24} {}",
            self.status,
            self.serial.as_deref().unwrap_or("-"),
            self.reason.unwrap_or("-"),
            self.input,
            self.detail.as_deref().or(self.subject).unwrap_or("")
        )
    }
}

/// The JPKI kind of a certificate, as the `kind` field names it.
fn kind(der: &[u8]) -> Option<&'static str> {
    match jpki::classify(der) {
        jpki::CertKind::JpkiSigning => Some("jpki-signing"),
        jpki::CertKind::JpkiAuthentication => Some("jpki-authentication"),
        jpki::CertKind::Other => None,
    }
}

/// The basic facts of a signing certificate as JSON (UTF-8 text as the
/// card carries it, plus decoded forms of the coded fields).
fn facts_json(f: &jpki::BasicFacts) -> Value {
    json!({
        "name": f.name,
        "name_alt": f.name_alt,
        "sex": f.sex,
        "sex_label": f.sex_label(),
        "birth_date": f.birth_date,
        "birth_date_iso": f.birth_date_iso,
        "era": f.era,
        "address": f.address,
        "address_alt": f.address_alt,
    })
}

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

    /// Checks the signature and verifies the certificate: the object
    /// `{"input", "status", "signature": {"status", "detail"}, "certificate"}`
    /// whose `status` is `valid` only when both are.
    pub fn check(&self, verifier: &Verifier, input: &str, at: Timestamp, facts: bool) -> Value {
        let m = match &self.message {
            Message::Data(d) => MessageRef::Data(d),
            Message::Digest(d) => MessageRef::Digest(*d),
        };
        let signature = match verify_pkcs1_sha256(&self.cert, &self.sig, m) {
            Ok(()) => json!({"status": "valid", "detail": null}),
            Err(e) => json!({"status": "invalid", "detail": e.to_string()}),
        };
        let verdict = verifier.verify(&self.cert, at);
        let cert = CertLine::new(input, &self.cert, &verdict, facts);
        let status = if signature["status"] != "valid" {
            "invalid"
        } else {
            cert.status()
        };
        json!({"input": input, "status": status, "signature": signature,
               "certificate": cert.to_value()})
    }
}

/// The object for a signature request that could not even be read.
pub fn unreadable_signature(input: &str, detail: &str) -> Value {
    json!({"input": input, "status": "invalid",
           "signature": {"status": "invalid", "detail": detail}, "certificate": null})
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

/// `cert`: PEM text or base64 DER.
pub(crate) fn cert_from_json(v: &Value) -> Result<Vec<u8>, String> {
    let text = v["cert"].as_str().ok_or("missing \"cert\"")?;
    if !text.contains("-----BEGIN") {
        return base64_field(v, "cert");
    }
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body.trim())
        .map_err(|e| format!("\"cert\" PEM is not base64: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
