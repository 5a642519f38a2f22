//! The 基本4情報 as OpenID Connect claims, from the signing certificate's
//! facts ([`BasicFacts`], decoded by the engine).
//!
//! Only the scopes granted become claims. When the RP asks for
//! `verified_claims` (OpenID Connect for Identity Assurance 1.0) in the
//! `claims` request parameter, the same facts also come with how they were
//! verified: trust framework `jp_aml` (犯収法), evidence an
//! `electronic_signature` — the JPKI signing certificate's issuer and
//! serial, and when it signed. That is the eKYC method of 犯収法施行規則
//! 6条1項1号ワ in the standard's format.

use kakunin_engine::jpki::BasicFacts;
use kakunin_engine::Timestamp;
use kakunin_oidc::scope::{Scope, Scopes};
use serde_json::{json, Map, Value};

/// One standard claim per granted fact scope (OIDC Core §5.1): `name`,
/// `address` (`{"formatted"}`), `birthdate` (`YYYY-MM-DD`), `gender`.
pub(crate) fn claims(facts: &BasicFacts, scopes: Scopes) -> Map<String, Value> {
    let mut out = Map::new();
    if scopes.contains(Scope::Name) {
        if let Some(n) = &facts.name {
            out.insert("name".into(), json!(n));
        }
    }
    if scopes.contains(Scope::Address) {
        if let Some(a) = &facts.address {
            out.insert("address".into(), json!({ "formatted": a }));
        }
    }
    if scopes.contains(Scope::Birthdate) {
        if let Some(b) = &facts.birth_date_iso {
            out.insert("birthdate".into(), json!(b));
        }
    }
    if scopes.contains(Scope::Gender) {
        // OIDC Core §5.1: "female" and "male"; other values may be used.
        let g = match facts.sex.as_deref() {
            Some("1") => Some("male"),
            Some("2") => Some("female"),
            _ => facts.sex_label(),
        };
        if let Some(g) = g {
            out.insert("gender".into(), json!(g));
        }
    }
    out
}

/// Whether the `claims` request parameter asks for `verified_claims` at
/// the userinfo endpoint.
pub(crate) fn wants_verified_claims(claims_param: Option<&Value>) -> bool {
    claims_param
        .and_then(|c| c.get("userinfo"))
        .and_then(|u| u.get("verified_claims"))
        .is_some()
}

/// The signing certificate a set of facts was read from.
pub(crate) struct Evidence<'a> {
    /// Its issuer's DN, as text.
    pub(crate) issuer: &'a str,
    /// Its serial, hex.
    pub(crate) serial: &'a str,
    /// When it signed (the login's time).
    pub(crate) signed_at: Timestamp,
}

/// `verified_claims` (OIDC4IDA §5) over `claims`.
pub(crate) fn verified_claims(claims: &Map<String, Value>, evidence: &Evidence<'_>) -> Value {
    let at = evidence.signed_at.to_rfc3339();
    json!({
        "verification": {
            "trust_framework": "jp_aml",
            "time": at,
            "evidence": [{
                "type": "electronic_signature",
                "signature_type": "jpki_signing_certificate",
                "issuer": evidence.issuer,
                "serial_number": evidence.serial,
                "created_at": at,
            }],
        },
        "claims": claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> BasicFacts {
        BasicFacts {
            name: Some("山田\u{3000}花子".into()),
            sex: Some("2".into()),
            birth_date_iso: Some("1990-04-01".into()),
            address: Some("東京都千代田区永田町一丁目".into()),
            ..BasicFacts::default()
        }
    }

    #[test]
    fn only_granted_scopes_become_claims() {
        let c = claims(&facts(), Scopes::parse("openid name gender").unwrap());
        assert_eq!(c.len(), 2);
        assert_eq!(c["name"], "山田\u{3000}花子");
        assert_eq!(c["gender"], "female");
        let c = claims(&facts(), Scopes::parse("openid address birthdate").unwrap());
        assert_eq!(c["address"]["formatted"], "東京都千代田区永田町一丁目");
        assert_eq!(c["birthdate"], "1990-04-01");
        assert!(claims(&facts(), Scopes::parse("openid").unwrap()).is_empty());
    }

    #[test]
    fn verified_claims_shape() {
        let q = json!({"userinfo": {"verified_claims": {"verification": {"trust_framework": null}, "claims": {"name": null}}}});
        assert!(wants_verified_claims(Some(&q)));
        assert!(!wants_verified_claims(Some(&json!({"id_token": {}}))));
        assert!(!wants_verified_claims(None));
        let c = claims(&facts(), Scopes::parse("openid name").unwrap());
        let v = verified_claims(
            &c,
            &Evidence {
                issuer: "CN=sign CA",
                serial: "0A",
                signed_at: Timestamp::from_unix(1_800_000_000),
            },
        );
        assert_eq!(v["verification"]["trust_framework"], "jp_aml");
        assert_eq!(
            v["verification"]["evidence"][0]["type"],
            "electronic_signature"
        );
        assert_eq!(v["verification"]["evidence"][0]["serial_number"], "0A");
        assert_eq!(v["claims"]["name"], "山田\u{3000}花子");
    }
}
