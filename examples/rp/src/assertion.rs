//! `private_key_jwt` client authentication (OIDC Core §9, RFC 7523 §2.2).
//!
//! openidconnect 4 knows the method's name (`CoreClientAuthMethod::
//! PrivateKeyJwt`, for discovery) but not how to make the assertion: its
//! token requests authenticate with a client secret or not at all. So the
//! assertion is signed here with `jsonwebtoken` and sent as the token
//! request's extra parameters `client_assertion_type` and
//! `client_assertion`.

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::Context;
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use openidconnect::CsrfToken;
use serde_json::json;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub(crate) const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// How long an assertion is good for: it is used at once.
const LIFETIME_SECS: u64 = 60;

/// The client's private key.
pub(crate) struct ClientKey {
    key: EncodingKey,
    alg: Algorithm,
    /// RFC 7638 thumbprint, as the registered JWKS names the key.
    kid: String,
}

impl ClientKey {
    /// A PEM private key: P-256 signs ES256, RSA signs RS256.
    pub(crate) fn load(path: &Path) -> anyhow::Result<ClientKey> {
        let pem = std::fs::read(path)
            .with_context(|| format!("cannot read the client key {}", path.display()))?;
        let (key, alg) = match EncodingKey::from_ec_pem(&pem) {
            Ok(k) => (k, Algorithm::ES256),
            Err(_) => (
                EncodingKey::from_rsa_pem(&pem).with_context(|| {
                    format!(
                        "{} is neither a P-256 nor an RSA private key in PEM",
                        path.display()
                    )
                })?,
                Algorithm::RS256,
            ),
        };
        let kid = Jwk::from_encoding_key(&key, alg)
            .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
            .with_context(|| format!("the public key of {}", path.display()))?;
        Ok(ClientKey { key, alg, kid })
    }

    /// The key's `kid`.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// A fresh assertion for `audience` (the token endpoint): `iss` = `sub`
    /// = `client_id`, valid for a minute, a random `jti` (the provider
    /// refuses a `jti` it has seen).
    pub(crate) fn assertion(&self, client_id: &str, audience: &str) -> anyhow::Result<String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .context("the clock is before 1970")?
            .as_secs();
        let claims = json!({
            "iss": client_id,
            "sub": client_id,
            "aud": audience,
            "iat": now,
            "exp": now + LIFETIME_SECS,
            "jti": CsrfToken::new_random().secret(),
        });
        let mut header = Header::new(self.alg);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.key).context("signing the client assertion")
    }
}
