//! The output line of one verified certificate: what `kakunin verify`
//! prints (JSON or a table row) and `POST /v1/verify` answers.

use kakunin_engine::jpki;
use kakunin_engine::verify::Verdict;
use serde::Serialize;
use serde_json::{json, Value};

use crate::status::{CertStatus, StatusParts};

/// The line of one certificate. Field order is the documented one:
/// `{"input","serial","subject","kind","status","reason","revoked_at","detail"}`
/// and `facts` when asked for.
#[derive(Debug, Serialize)]
pub struct CertLine<'a> {
    input: &'a str,
    serial: Option<String>,
    subject: Option<&'a str>,
    kind: Option<&'static str>,
    status: CertStatus,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    detail: Option<String>,
    /// Present (possibly null) only when facts were asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    facts: Option<Value>,
}

impl<'a> CertLine<'a> {
    /// The line of a verified certificate; with `facts`, the holder's basic
    /// facts from a JPKI signing certificate (null for any other).
    pub fn new(input: &'a str, der: &[u8], v: &'a Verdict, facts: bool) -> CertLine<'a> {
        let parts = StatusParts::of(&v.status);
        CertLine {
            input,
            serial: v.serial.map(|s| s.to_hex()),
            subject: v.subject.as_deref(),
            kind: kind(der),
            status: parts.status,
            reason: parts.reason_name(),
            revoked_at: parts.revoked_at.map(|t| t.to_rfc3339()),
            detail: parts.detail,
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
            status: CertStatus::Invalid,
            reason: None,
            revoked_at: None,
            detail: Some(detail),
            facts: facts.then_some(Value::Null),
        }
    }

    /// The result.
    pub fn status(&self) -> CertStatus {
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
            self.status.as_str(),
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
