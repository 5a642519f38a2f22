//! Client authentication with `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2
//! and §3): the client signs a short-lived JWT with a key from its
//! registered JWKS and sends it as `client_assertion`.
//!
//! The checks, in order: the assertion type (RFC 7521 §4.2); the JWS `alg`
//! is RS256, PS256 or ES256 (so `none` and every HMAC algorithm are refused
//! before any key is touched — an HS256 token "signed" with the client's
//! public key never reaches a verifier); the key is the client's, chosen by
//! `kid` or as its only key of a fitting type, and fits the `alg`; the
//! signature; `iss` = `sub` = `client_id`; `aud` names the token endpoint or
//! the issuer; `exp` present, not past, and at most five minutes ahead;
//! `jti` present and seen once.

use std::time::Duration;

use jsonwebtoken::Algorithm;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::clients::{Client, ClientKey, ClientRegistry};
use crate::jws;
use crate::state::{StateError, StateStore};

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The longest assertion accepted, in bytes (an RSA-4096 signature and
/// generous claims fit well within it).
pub const MAX_ASSERTION_LEN: usize = 8 * 1024;

/// How far ahead `exp` may be (RFC 7523 §3 item 4 lets the server limit it).
pub const MAX_LIFETIME_SECS: u64 = 300;

/// Clock skew tolerated on `exp`, `iat` and `nbf` (RFC 7523 §3 items 4-6).
pub const LEEWAY_SECS: u64 = 30;

/// Why a client assertion was refused. Every variant is `invalid_client`
/// at the token endpoint (RFC 6749 §5.2).
#[derive(Debug, Error)]
pub enum AssertionError {
    /// `client_assertion_type` is not the JWT bearer type.
    #[error("expected client_assertion_type {JWT_BEARER:?} (RFC 7523 §2.2), found {found:?}")]
    AssertionType {
        /// What was sent.
        found: String,
    },
    /// Longer than [`MAX_ASSERTION_LEN`].
    #[error("expected a client assertion of at most {MAX_ASSERTION_LEN} bytes, found {len}")]
    TooLong {
        /// Its length.
        len: usize,
    },
    /// Not a compact JWS.
    #[error("expected a client assertion in JWS compact form, found {0}")]
    Malformed(String),
    /// The JWS `alg` is not one kakunin accepts.
    #[error("expected a client assertion signed RS256, PS256 or ES256 (OIDC Core §9), found alg {found:?}")]
    Alg {
        /// The header's `alg`.
        found: String,
    },
    /// The header has a `crit` member (RFC 7515 §4.1.11).
    #[error("expected no critical header extensions (RFC 7515 §4.1.11), found crit")]
    Crit,
    /// The assertion names a client that is not registered.
    #[error("expected the assertion's iss to be a registered client_id, found {found:?}")]
    UnknownClient {
        /// The `iss` (or `client_id`) found.
        found: String,
    },
    /// No registered key fits.
    #[error("expected a key from client {client:?}'s registered JWKS fitting {alg:?}, found none{}", .kid.as_ref().map(|k| format!(" with kid {k:?}")).unwrap_or_default())]
    KeyNotFound {
        /// The client.
        client: String,
        /// The header's `alg`.
        alg: Algorithm,
        /// The header's `kid`.
        kid: Option<String>,
    },
    /// Several keys fit and no `kid` says which.
    #[error("expected a kid: client {client:?} has several keys fitting {alg:?}")]
    AmbiguousKey {
        /// The client.
        client: String,
        /// The header's `alg`.
        alg: Algorithm,
    },
    /// The key named by `kid` is of another type than `alg` needs, or its
    /// registered `alg` differs.
    #[error("expected alg {alg:?} to fit key {kid:?}, found a key for {kind}")]
    AlgKeyMismatch {
        /// The header's `alg`.
        alg: Algorithm,
        /// The key's `kid`.
        kid: String,
        /// What the key is for.
        kind: String,
    },
    /// The signature does not verify with the chosen key.
    #[error("expected a signature by the client's key, found one that does not verify ({0})")]
    Signature(String),
    /// A claim is missing or wrong.
    #[error("expected claim {claim} {expected}, found {found}")]
    Claim {
        /// The claim.
        claim: &'static str,
        /// What it must be.
        expected: String,
        /// What it was.
        found: String,
    },
    /// `jti` was seen before: a replay (RFC 7523 §3 item 7).
    #[error("expected a fresh jti, found {jti:?} already used by client {client:?} (a replayed assertion)")]
    Replayed {
        /// The client.
        client: String,
        /// The `jti`.
        jti: String,
    },
    /// The replay store refused.
    #[error(transparent)]
    State(#[from] StateError),
}

/// What the token endpoint accepts as `aud` and when it is.
#[derive(Debug, Clone, Copy)]
pub struct Audience<'a> {
    /// The issuer identifier.
    pub issuer: &'a str,
    /// The URL of the endpoint the assertion was sent to (token or PAR).
    pub endpoint: &'a str,
}

/// A verified assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedAssertion {
    /// The authenticated client.
    pub client_id: String,
    /// The assertion's `jti`.
    pub jti: String,
    /// Its `exp`.
    pub exp: u64,
}

/// Authenticates a client by its assertion. `client_id` is the request's
/// `client_id` parameter, if sent (it must then equal `sub`, RFC 7521
/// §4.2); `now` is seconds since the Unix epoch.
pub async fn authenticate<'r>(
    registry: &'r ClientRegistry,
    client_id: Option<&str>,
    assertion_type: &str,
    assertion: &str,
    audience: Audience<'_>,
    now: u64,
    store: &dyn StateStore,
) -> Result<(&'r Client, VerifiedAssertion), AssertionError> {
    if assertion_type != JWT_BEARER {
        return Err(AssertionError::AssertionType {
            found: truncate(assertion_type),
        });
    }
    if assertion.len() > MAX_ASSERTION_LEN {
        return Err(AssertionError::TooLong {
            len: assertion.len(),
        });
    }
    let peeked = jws::peek(assertion).map_err(AssertionError::Malformed)?;
    let alg = accepted_alg(&peeked.header.alg)?;
    if peeked.header.crit {
        return Err(AssertionError::Crit);
    }
    let claimed = match (client_id, peeked.claims.get("iss")) {
        (Some(id), _) => id.to_owned(),
        (None, Some(Value::String(iss))) => iss.clone(),
        (None, other) => return Err(claim("iss", "the client_id", other)),
    };
    let client = registry
        .get(&claimed)
        .ok_or_else(|| AssertionError::UnknownClient {
            found: truncate(&claimed),
        })?;
    let key = choose_key(client, alg, peeked.header.kid.as_deref())?;
    verify_signature(assertion, key, alg)?;
    let claims = &peeked.claims;
    let verified = check_claims(client, claims, audience, now)?;
    // RFC 7523 §3 item 7: the jti is remembered for as long as the
    // assertion could otherwise be accepted.
    let ttl = verified
        .exp
        .saturating_add(LEEWAY_SECS)
        .saturating_sub(now)
        .max(1);
    let key = format!("jti:{}:{}", client.client_id, verified.jti);
    if !store.mark_once(&key, Duration::from_secs(ttl)).await? {
        return Err(AssertionError::Replayed {
            client: client.client_id.clone(),
            jti: verified.jti,
        });
    }
    Ok((client, verified))
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

fn claim(claim: &'static str, expected: &str, found: Option<&Value>) -> AssertionError {
    AssertionError::Claim {
        claim,
        expected: expected.into(),
        found: found.map_or("nothing".into(), |v| truncate(&v.to_string())),
    }
}

/// RS256, PS256 and ES256 only (OIDC Core §9 requires an asymmetric
/// algorithm for private_key_jwt; `none` is never a signature).
fn accepted_alg(alg: &str) -> Result<Algorithm, AssertionError> {
    match alg {
        "RS256" => Ok(Algorithm::RS256),
        "PS256" => Ok(Algorithm::PS256),
        "ES256" => Ok(Algorithm::ES256),
        other => Err(AssertionError::Alg {
            found: truncate(other),
        }),
    }
}

/// The client key for `alg`: the one named by `kid`, which must fit `alg`;
/// without a `kid`, the only registered key that fits.
fn choose_key<'c>(
    client: &'c Client,
    alg: Algorithm,
    kid: Option<&str>,
) -> Result<&'c ClientKey, AssertionError> {
    let fits = |k: &ClientKey| k.kind.fits(alg) && k.alg.is_none_or(|a| a == alg);
    if let Some(kid) = kid {
        let key = client
            .keys
            .iter()
            .find(|k| k.kid.as_deref() == Some(kid))
            .ok_or_else(|| AssertionError::KeyNotFound {
                client: client.client_id.clone(),
                alg,
                kid: Some(truncate(kid)),
            })?;
        if !fits(key) {
            return Err(AssertionError::AlgKeyMismatch {
                alg,
                kid: kid.into(),
                kind: key
                    .alg
                    .map_or_else(|| format!("{:?}", key.kind), |a| format!("{a:?}")),
            });
        }
        return Ok(key);
    }
    let mut fitting = client.keys.iter().filter(|k| fits(k));
    match (fitting.next(), fitting.next()) {
        (Some(k), None) => Ok(k),
        (None, _) => Err(AssertionError::KeyNotFound {
            client: client.client_id.clone(),
            alg,
            kid: None,
        }),
        (Some(_), Some(_)) => Err(AssertionError::AmbiguousKey {
            client: client.client_id.clone(),
            alg,
        }),
    }
}

/// The signature over the assertion's first two parts, by `key` with
/// `alg` (chosen from the header and the client's JWKS above). Only the
/// signature is left to jsonwebtoken: the claims were decoded once by
/// `jws::peek`, and are checked below against an explicit `now`.
fn verify_signature(
    assertion: &str,
    key: &ClientKey,
    alg: Algorithm,
) -> Result<(), AssertionError> {
    let (message, signature) = assertion
        .rsplit_once('.')
        .ok_or_else(|| AssertionError::Signature("no signature part".into()))?;
    match jsonwebtoken::crypto::verify(signature, message.as_bytes(), &key.decoding, alg) {
        Ok(true) => Ok(()),
        Ok(false) => Err(AssertionError::Signature("InvalidSignature".into())),
        Err(e) => Err(AssertionError::Signature(e.to_string())),
    }
}

fn check_claims(
    client: &Client,
    claims: &Map<String, Value>,
    audience: Audience<'_>,
    now: u64,
) -> Result<VerifiedAssertion, AssertionError> {
    let id = client.client_id.as_str();
    // RFC 7523 §3 items 1 and 2; OIDC Core §9.
    for name in ["iss", "sub"] {
        let v = claims.get(name);
        if v.and_then(Value::as_str) != Some(id) {
            return Err(claim(name, &format!("= client_id {id:?}"), v));
        }
    }
    // RFC 7523 §3 item 3: aud, a string or an array, names this server.
    let aud = claims.get("aud");
    let ours = |s: &str| s == audience.issuer || s == audience.endpoint;
    let aud_ok = match aud {
        Some(Value::String(s)) => ours(s),
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).any(ours),
        _ => false,
    };
    if !aud_ok {
        return Err(claim(
            "aud",
            &format!(
                "to contain {:?} or {:?}",
                audience.endpoint, audience.issuer
            ),
            aud,
        ));
    }
    let time = |name: &'static str| -> Result<Option<u64>, AssertionError> {
        match claims.get(name) {
            None => Ok(None),
            Some(v) => v
                .as_u64()
                .map(Some)
                .ok_or_else(|| claim(name, "to be a NumericDate (integer seconds)", Some(v))),
        }
    };
    // RFC 7523 §3 item 4: exp required, not past; we also bound how far
    // ahead it may be, so that a remembered jti can expire.
    let exp = time("exp")?.ok_or_else(|| claim("exp", "present", None))?;
    if exp.saturating_add(LEEWAY_SECS) <= now {
        return Err(claim(
            "exp",
            &format!("in the future (now {now})"),
            claims.get("exp"),
        ));
    }
    if exp > now + MAX_LIFETIME_SECS + LEEWAY_SECS {
        return Err(claim(
            "exp",
            &format!("at most {MAX_LIFETIME_SECS} s ahead (now {now})"),
            claims.get("exp"),
        ));
    }
    // Items 5 and 6: nbf and iat, when present, not in the future.
    if let Some(iat) = time("iat")? {
        if iat > now + LEEWAY_SECS {
            return Err(claim(
                "iat",
                &format!("not in the future (now {now})"),
                claims.get("iat"),
            ));
        }
        if exp.saturating_sub(iat) > MAX_LIFETIME_SECS {
            return Err(claim(
                "exp",
                &format!("at most {MAX_LIFETIME_SECS} s after iat {iat}"),
                claims.get("exp"),
            ));
        }
    }
    if let Some(nbf) = time("nbf")? {
        if nbf > now + LEEWAY_SECS {
            return Err(claim(
                "nbf",
                &format!("not in the future (now {now})"),
                claims.get("nbf"),
            ));
        }
    }
    // Item 7: a jti, 1-255 printable characters (it becomes a store key).
    let jti = match claims.get("jti") {
        Some(Value::String(j))
            if !j.is_empty() && j.len() <= 255 && j.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            j.clone()
        }
        other => return Err(claim("jti", "1-255 printable ASCII characters", other)),
    };
    Ok(VerifiedAssertion {
        client_id: id.to_owned(),
        jti,
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::tests::demo_registry;
    use crate::state::MemoryStore;
    use crate::testkeys;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use kakunin_testkit::ready;
    use serde_json::json;

    const NOW: u64 = 1_800_000_000;
    const TOKEN: &str = "https://op.example/token";
    const ISSUER: &str = "https://op.example";

    fn aud() -> Audience<'static> {
        Audience {
            issuer: ISSUER,
            endpoint: TOKEN,
        }
    }

    fn claims() -> Value {
        json!({"iss": "demo", "sub": "demo", "aud": TOKEN, "exp": NOW + 60, "iat": NOW, "jti": "j-1"})
    }

    /// Signs with jsonwebtoken's encoder and a key openssl generated — a
    /// path independent of the code under test.
    fn sign(key: &str, kid: Option<&str>, claims: &Value) -> String {
        let (enc, alg) = testkeys::encoding(key);
        let mut h = Header::new(alg);
        h.kid = kid.map(String::from);
        encode(&h, claims, &enc).unwrap()
    }

    fn check(token: &str, store: &MemoryStore) -> Result<String, AssertionError> {
        let reg = demo_registry();
        ready(authenticate(
            &reg,
            None,
            JWT_BEARER,
            token,
            aud(),
            NOW,
            store,
        ))
        .map(|(c, v)| {
            assert_eq!(c.client_id, v.client_id);
            v.jti
        })
    }

    #[test]
    fn es256_and_rs256_assertions_verify() {
        let store = MemoryStore::new(16);
        assert_eq!(
            check(&sign("ec-ec1", Some("ec1"), &claims()), &store).unwrap(),
            "j-1"
        );
        let mut c = claims();
        c["jti"] = json!("j-2");
        c["aud"] = json!(["other", ISSUER]);
        // Without a kid: the only RSA key of the client.
        assert_eq!(check(&sign("rsa-rsa1", None, &c), &store).unwrap(), "j-2");
    }

    #[test]
    fn ps256_assertion_verifies_with_the_rsa_key() {
        let (enc, _) = testkeys::encoding("rsa-rsa1");
        let mut h = Header::new(Algorithm::PS256);
        h.kid = Some("rsa1".into());
        let t = encode(&h, &claims(), &enc).unwrap();
        assert!(check(&t, &MemoryStore::new(4)).is_ok());
    }

    #[test]
    fn replayed_jti_refused() {
        let store = MemoryStore::new(16);
        let t = sign("ec-ec1", Some("ec1"), &claims());
        assert!(check(&t, &store).is_ok());
        assert!(matches!(
            check(&t, &store),
            Err(AssertionError::Replayed { .. })
        ));
    }

    #[test]
    fn alg_none_refused() {
        let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
        let c = URL_SAFE_NO_PAD.encode(claims().to_string());
        let e = check(&format!("{h}.{c}."), &MemoryStore::new(4)).unwrap_err();
        assert!(
            matches!(&e, AssertionError::Alg { found } if found == "none"),
            "{e}"
        );
    }

    #[test]
    fn hs256_keyed_with_the_clients_public_key_refused() {
        // The classic confusion: HMAC keyed with the public key the server
        // holds. Try both the JWK JSON and the raw PEM of the public key.
        let jwk = testkeys::ec_jwk("ec1");
        for secret in [jwk.as_bytes(), testkeys::pem("ec-ec1").as_bytes()] {
            let mut h = Header::new(Algorithm::HS256);
            h.kid = Some("ec1".into());
            let t = encode(&h, &claims(), &EncodingKey::from_secret(secret).unwrap()).unwrap();
            let e = check(&t, &MemoryStore::new(4)).unwrap_err();
            assert!(
                matches!(&e, AssertionError::Alg { found } if found == "HS256"),
                "{e}"
            );
        }
    }

    #[test]
    fn key_not_in_jwks_refused() {
        let store = MemoryStore::new(4);
        // A kid the client never registered.
        let e = check(&sign("ec-stranger", Some("stranger"), &claims()), &store).unwrap_err();
        assert!(matches!(e, AssertionError::KeyNotFound { .. }), "{e}");
        // A registered kid, but signed by another key.
        let e = check(&sign("ec-stranger", Some("ec1"), &claims()), &store).unwrap_err();
        assert!(matches!(e, AssertionError::Signature(_)), "{e}");
        // No kid, signed by another key: the only EC key is tried and fails.
        let e = check(&sign("ec-stranger", None, &claims()), &store).unwrap_err();
        assert!(matches!(e, AssertionError::Signature(_)), "{e}");
    }

    #[test]
    fn alg_that_disagrees_with_the_key_refused() {
        // ES256 header naming the RSA key.
        let (enc, _) = testkeys::encoding("ec-ec1");
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some("rsa1".into());
        let t = encode(&h, &claims(), &enc).unwrap();
        let e = check(&t, &MemoryStore::new(4)).unwrap_err();
        assert!(matches!(e, AssertionError::AlgKeyMismatch { .. }), "{e}");
    }

    fn claim_refused(edit: impl FnOnce(&mut Value), name: &str) {
        let mut c = claims();
        edit(&mut c);
        let e = check(&sign("ec-ec1", Some("ec1"), &c), &MemoryStore::new(4)).unwrap_err();
        assert!(
            matches!(&e, AssertionError::Claim { claim, .. } if *claim == name),
            "{name}: {e}"
        );
    }

    #[test]
    fn wrong_aud_refused() {
        claim_refused(|c| c["aud"] = json!("https://op.example/userinfo"), "aud");
        claim_refused(|c| c["aud"] = json!(["https://evil.example/token"]), "aud");
        claim_refused(|c| c["aud"] = json!("https://op.example/token/"), "aud");
        claim_refused(
            |c| {
                c.as_object_mut().unwrap().remove("aud");
            },
            "aud",
        );
    }

    #[test]
    fn expired_or_long_lived_refused() {
        claim_refused(|c| c["exp"] = json!(NOW - LEEWAY_SECS), "exp");
        claim_refused(
            |c| {
                c.as_object_mut().unwrap().remove("exp");
            },
            "exp",
        );
        claim_refused(|c| c["exp"] = json!(NOW + 3600), "exp");
        // The fuzzer's find: exp + leeway overflowed u64 (a panic where
        // overflow checks are on).
        claim_refused(|c| c["exp"] = json!(u64::MAX), "exp");
        claim_refused(|c| c["exp"] = json!(u64::MAX - LEEWAY_SECS + 1), "exp");
        claim_refused(
            |c| {
                c["iat"] = json!(NOW - 400);
                c["exp"] = json!(NOW + 10);
            },
            "exp",
        );
        claim_refused(|c| c["iat"] = json!(NOW + 3600), "iat");
        claim_refused(|c| c["nbf"] = json!(NOW + 3600), "nbf");
        claim_refused(|c| c["exp"] = json!("soon"), "exp");
    }

    #[test]
    fn iss_sub_jti_refused() {
        claim_refused(|c| c["sub"] = json!("other"), "sub");
        claim_refused(
            |c| {
                c.as_object_mut().unwrap().remove("jti");
            },
            "jti",
        );
        claim_refused(|c| c["jti"] = json!(""), "jti");
        // iss names an unknown client.
        let mut c = claims();
        c["iss"] = json!("nobody");
        let e = check(&sign("ec-ec1", Some("ec1"), &c), &MemoryStore::new(4)).unwrap_err();
        assert!(matches!(e, AssertionError::UnknownClient { .. }), "{e}");
        // client_id parameter must match iss/sub.
        let reg = demo_registry();
        let t = sign("ec-ec1", Some("ec1"), &claims());
        assert!(ready(authenticate(
            &reg,
            Some("nobody"),
            JWT_BEARER,
            &t,
            aud(),
            NOW,
            &MemoryStore::new(4)
        ))
        .is_err());
    }

    #[test]
    fn wrong_type_crit_and_oversize_refused() {
        let reg = demo_registry();
        let store = MemoryStore::new(4);
        let t = sign("ec-ec1", Some("ec1"), &claims());
        assert!(matches!(
            ready(authenticate(&reg, None, "jwt", &t, aud(), NOW, &store)),
            Err(AssertionError::AssertionType { .. })
        ));
        let long = "a".repeat(MAX_ASSERTION_LEN + 1);
        assert!(matches!(
            ready(authenticate(
                &reg,
                None,
                JWT_BEARER,
                &long,
                aud(),
                NOW,
                &store
            )),
            Err(AssertionError::TooLong { .. })
        ));
        let (enc, _) = testkeys::encoding("ec-ec1");
        let mut h = Header::new(Algorithm::ES256);
        h.kid = Some("ec1".into());
        h.extras.insert("crit", vec!["exp"]);
        let t = encode(&h, &claims(), &enc).unwrap();
        assert!(matches!(check(&t, &store), Err(AssertionError::Crit)));
    }
}
