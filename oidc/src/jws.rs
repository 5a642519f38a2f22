//! Compact JWS (RFC 7515 §7.1), the two things `jsonwebtoken` does not do
//! the way the provider needs: a first, unverified look at a JWS's header
//! and claims as JSON, so that the right key can be chosen and a refusal
//! can say exactly which `alg` or claim was wrong (nothing read here is
//! trusted until `jsonwebtoken` has verified the signature); and signing
//! with a key parsed once ([`sign`]).

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde_json::{Map, Value};

use crate::keys::KeySigner;

/// `header` and `claims` as a compact JWS signed by `key` (RFC 7515
/// §5.1): `BASE64URL(header) . BASE64URL(claims) . BASE64URL(signature)`.
/// What `jsonwebtoken::encode` does, minus parsing the private key at
/// every call.
pub(crate) fn sign<T: serde::Serialize>(
    header: &jsonwebtoken::Header,
    claims: &T,
    key: &KeySigner,
) -> Result<String, String> {
    let header = serde_json::to_vec(header).map_err(|e| e.to_string())?;
    let claims = serde_json::to_vec(claims).map_err(|e| e.to_string())?;
    let mut out = URL_SAFE_NO_PAD.encode(header);
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let sig = key.sign(out.as_bytes())?;
    out.push('.');
    out.push_str(&URL_SAFE_NO_PAD.encode(sig));
    Ok(out)
}

/// The header members the provider looks at.
#[derive(Debug)]
pub(crate) struct Header {
    pub(crate) alg: String,
    pub(crate) kid: Option<String>,
    pub(crate) typ: Option<String>,
    /// RFC 7515 §4.1.11: an extension the recipient must understand; we
    /// understand none, so its presence means refuse.
    pub(crate) crit: bool,
}

/// The header and claims of a compact JWS, unverified.
#[derive(Debug)]
pub(crate) struct Unverified {
    pub(crate) header: Header,
    pub(crate) claims: Map<String, Value>,
}

fn object(part: &str, what: &str) -> Result<Map<String, Value>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .map_err(|e| format!("a base64url {what}: {e}"))?;
    match serde_json::from_slice(&bytes) {
        Ok(Value::Object(m)) => Ok(m),
        Ok(_) => Err(format!("a {what} that is not a JSON object")),
        Err(e) => Err(format!("a {what} that is not JSON: {e}")),
    }
}

/// Splits `token` into header, claims and signature and decodes the first
/// two. The error says what was found instead of a JWS.
pub(crate) fn peek(token: &str) -> Result<Unverified, String> {
    let mut parts = token.split('.');
    let (Some(h), Some(c), Some(_sig), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(format!("{} dot-separated parts", token.split('.').count()));
    };
    let header = object(h, "header")?;
    let claims = object(c, "claims set")?;
    let str_member = |name: &str| -> Result<Option<String>, String> {
        match header.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(other) => Err(format!("header {name} {other}")),
        }
    };
    let alg = str_member("alg")?.ok_or_else(|| "a header without alg".to_string())?;
    Ok(Unverified {
        header: Header {
            alg,
            kid: str_member("kid")?,
            typ: str_member("typ")?,
            crit: header.contains_key("crit"),
        },
        claims,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(s: &str) -> String {
        URL_SAFE_NO_PAD.encode(s)
    }

    #[test]
    fn peeks_header_and_claims() {
        let t = format!(
            "{}.{}.sig",
            b64(r#"{"alg":"none","kid":"k"}"#),
            b64(r#"{"iss":"a"}"#)
        );
        let u = peek(&t).unwrap();
        assert_eq!(
            (u.header.alg.as_str(), u.header.kid.as_deref()),
            ("none", Some("k"))
        );
        assert_eq!(u.claims["iss"], "a");
    }

    #[test]
    fn refuses_non_jws() {
        assert!(peek("a.b").is_err());
        assert!(peek("a.b.c.d").is_err());
        assert!(peek(&format!("{}.{}.s", b64("[]"), b64("{}"))).is_err());
        assert!(peek(&format!("{}.{}.s", b64(r#"{"alg":1}"#), b64("{}"))).is_err());
        assert!(peek(&format!("{}.{}.s", b64(r#"{"typ":"JWT"}"#), b64("{}"))).is_err());
    }
}
