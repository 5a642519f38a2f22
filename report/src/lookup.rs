//! The answer to a status look-up: one line per serial and issuer, as
//! `kakunin status` prints it and `GET /v1/status/...` sends it. Both build
//! it with [`answer_line`], so the two cannot drift apart.

use kakunin_engine::store::{Answer, RevocationStatus};
use kakunin_engine::{IssuerKeyId, Serial};
use serde::Serialize;

/// One answer line.
///
/// Serialized straight from this struct (no `serde_json::Value` tree to
/// build per request, which matters at the server's look-up rate); the
/// fields are in alphabetical order, the order serde_json's map printed
/// them in before, so the bytes are unchanged.
#[derive(Debug, Serialize)]
pub struct AnswerLine {
    crl_number: Option<String>,
    detail: Option<String>,
    issuer: String,
    next_update: Option<String>,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    serial: String,
    status: &'static str,
    this_update: Option<String>,
}

impl std::fmt::Display for AnswerLine {
    /// The JSON line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let text = serde_json::to_string(self).map_err(|_| std::fmt::Error)?;
        f.write_str(&text)
    }
}

/// The answer line for `serial` of the issuer with key id `issuer`.
pub fn answer_line(issuer: &IssuerKeyId, serial: &Serial, a: &Answer) -> AnswerLine {
    let (reason, revoked_at, detail) = match a.status {
        RevocationStatus::Good => (None, None, None),
        RevocationStatus::Revoked(r) => (
            r.reason.map(|r| r.name()),
            Some(r.revoked_at.to_rfc3339()),
            None,
        ),
        RevocationStatus::Unknown(why) => (None, None, Some(why.to_string())),
    };
    AnswerLine {
        crl_number: a.crl_number.map(|n| n.to_string()),
        detail,
        issuer: issuer.to_hex(),
        next_update: a.next_update.map(|t| t.to_rfc3339()),
        reason,
        revoked_at,
        serial: serial.to_hex(),
        status: a.status.as_str(),
        this_update: a.this_update.map(|t| t.to_rfc3339()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_engine::Timestamp;
    use serde_json::Value;

    #[test]
    fn answer_lines_keep_the_sorted_key_order_they_always_had() {
        let issuer = IssuerKeyId::from_hex(&"3e".repeat(20)).unwrap();
        let a = Answer {
            status: RevocationStatus::Good,
            crl_number: None,
            this_update: Some(Timestamp::from_unix(0)),
            next_update: Some(Timestamp::from_unix(86_400)),
        };
        let line = answer_line(&issuer, &Serial::from_hex("01").unwrap(), &a).to_string();
        // A serde_json map (what `json!` built) prints its keys sorted.
        let value: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(line, value.to_string());
        assert!(line.starts_with(r#"{"crl_number":null,"detail":null,"issuer":"3e3e"#));
    }
}
