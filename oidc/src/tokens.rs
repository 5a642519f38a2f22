//! What the token endpoint hands out: the ID token (OIDC Core §2) and a
//! short-lived JWT access token (RFC 9068), both signed with the
//! provider's keys; the pairwise subject identifier (OIDC Core §8.1); and
//! the verification of our own access tokens for the userinfo endpoint.
//!
//! There are no refresh tokens: a login is the presence of the card and
//! its PIN, and a token that outlived it would claim a presence nobody
//! checked. An RP that needs a longer session keeps its own.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, Header, Validation};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::clients::Client;
use crate::jws;
use crate::keys::ProviderKeys;
use crate::scope::Scopes;

/// How long an ID token is valid, in seconds.
pub const ID_TOKEN_TTL_SECS: u64 = 300;
/// How long an access token is valid, in seconds (RFC 9068 leaves it to the
/// server; short, since there is no refresh and no introspection).
pub const ACCESS_TOKEN_TTL_SECS: u64 = 300;
/// `amr` of every login (RFC 8176 §2): a hardware key (`hwk`) in a smart
/// card (`sc`) unlocked by a PIN (`pin`).
pub const AMR: [&str; 3] = ["hwk", "pin", "sc"];
/// The JWS `typ` of an access token (RFC 9068 §2.1).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Why a token could not be made or was refused.
#[derive(Debug, Error)]
pub enum TokensError {
    /// The pairwise secret is too short.
    #[error("expected a pairwise secret of at least 32 bytes, found {0}")]
    ShortSecret(usize),
    /// No provider key signs with the algorithm needed.
    #[error("expected an OIDC signing key for {0:?} (--oidc-key), found none")]
    NoKey(Algorithm),
    /// The system random generator failed.
    #[error("random generator failed")]
    Random,
    /// Signing failed.
    #[error("signing a token: {0}")]
    Sign(String),
    /// An access token was refused (RFC 6750 §3.1 `invalid_token`).
    #[error("expected an access token issued by this provider, found {0}")]
    InvalidAccessToken(String),
}

/// The server secret under which pairwise subjects are computed.
pub struct PairwiseSecret(hmac::Key);

impl std::fmt::Debug for PairwiseSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairwiseSecret(..)")
    }
}

impl PairwiseSecret {
    /// A secret from at least 32 bytes of key material.
    pub fn new(bytes: &[u8]) -> Result<PairwiseSecret, TokensError> {
        if bytes.len() < 32 {
            return Err(TokensError::ShortSecret(bytes.len()));
        }
        Ok(PairwiseSecret(hmac::Key::new(hmac::HMAC_SHA256, bytes)))
    }

    /// The pairwise `sub` (OIDC Core §8.1) of the holder of the
    /// user-authentication certificate `serial` issued under the CA key
    /// `issuer_key_id`, for `sector`:
    /// `base64url(HMAC-SHA256(secret, sector ‖ 0x00 ‖ issuer_key_id ‖ 0x00 ‖ serial))`.
    /// Two sectors get unrelated values, and without the secret nothing in
    /// it leads back to the certificate. It changes when the certificate is
    /// renewed. The sector cannot contain 0x00 (the registry allows printable
    /// ASCII only), so the encoding is unambiguous for a fixed-length key id.
    pub fn subject(&self, sector: &str, issuer_key_id: &[u8], serial: &[u8]) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        ctx.update(sector.as_bytes());
        ctx.update(&[0]);
        ctx.update(issuer_key_id);
        ctx.update(&[0]);
        ctx.update(serial);
        URL_SAFE_NO_PAD.encode(ctx.sign())
    }
}

/// A random, URL-safe identifier of `n` bytes of entropy.
pub fn random_id(n: usize) -> Result<String, TokensError> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| TokensError::Random)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// ID token claims (OIDC Core §2, §3.1.3.6).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct IdTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The pairwise subject.
    pub sub: String,
    /// The client.
    pub aud: String,
    /// Expiry.
    pub exp: u64,
    /// Issue time.
    pub iat: u64,
    /// When the card signed.
    pub auth_time: u64,
    /// The request's nonce.
    pub nonce: String,
    /// `["hwk", "pin", "sc"]`.
    pub amr: Vec<String>,
    /// The authentication context, when the request asked (`acr_values`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
}

/// Access token claims (RFC 9068 §2.2).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct AccessTokenClaims {
    /// The issuer.
    pub iss: String,
    /// The pairwise subject.
    pub sub: String,
    /// The resource: the userinfo endpoint.
    pub aud: String,
    /// The client it was issued to.
    pub client_id: String,
    /// Expiry.
    pub exp: u64,
    /// Issue time.
    pub iat: u64,
    /// A unique id.
    pub jti: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The grant (authorization code) it came from, so that a replayed code
    /// can revoke it (RFC 6749 §4.1.2); absent for client credentials.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub gid: Option<String>,
}

/// Signs and verifies the provider's tokens.
#[derive(Debug, Clone)]
pub struct TokenIssuer {
    issuer: String,
    resource: String,
    keys: ProviderKeys,
}

/// What an ID token says about one login.
#[derive(Debug, Clone)]
pub struct Login<'a> {
    /// The pairwise subject.
    pub sub: &'a str,
    /// The authorization request's nonce.
    pub nonce: &'a str,
    /// When the card signed, seconds since the epoch.
    pub auth_time: u64,
    /// The `acr` to state, if the request asked for one.
    pub acr: Option<&'a str>,
}

impl TokenIssuer {
    /// An issuer identifier, the userinfo endpoint URL (the access tokens'
    /// audience) and the signing keys.
    pub fn new(issuer: &str, userinfo_endpoint: &str, keys: ProviderKeys) -> TokenIssuer {
        TokenIssuer {
            issuer: issuer.into(),
            resource: userinfo_endpoint.into(),
            keys,
        }
    }

    /// The signing keys.
    pub fn keys(&self) -> &ProviderKeys {
        &self.keys
    }

    fn sign<T: Serialize>(
        &self,
        alg: Algorithm,
        typ: &str,
        claims: &T,
    ) -> Result<String, TokensError> {
        let key = self.keys.signer(alg).ok_or(TokensError::NoKey(alg))?;
        let mut header = Header::new(alg);
        header.typ = Some(typ.into());
        header.kid = Some(key.kid.clone());
        jws::sign(&header, claims, &key.signer).map_err(TokensError::Sign)
    }

    /// The ID token for `client` (signed with its
    /// `id_token_signed_response_alg`), issued at `now`.
    pub fn id_token(
        &self,
        client: &Client,
        login: &Login<'_>,
        now: u64,
    ) -> Result<String, TokensError> {
        let claims = IdTokenClaims {
            iss: self.issuer.clone(),
            sub: login.sub.into(),
            aud: client.client_id.clone(),
            exp: now + ID_TOKEN_TTL_SECS,
            iat: now,
            auth_time: login.auth_time,
            nonce: login.nonce.into(),
            amr: AMR.iter().map(|s| s.to_string()).collect(),
            acr: login.acr.map(String::from),
        };
        self.sign(client.id_token_alg.algorithm(), "JWT", &claims)
    }

    /// An access token (RFC 9068) for `sub` and `client_id` with `scopes`,
    /// signed with the first key (ES256 when there is one).
    pub fn access_token(
        &self,
        sub: &str,
        client_id: &str,
        scopes: Scopes,
        gid: Option<&str>,
        now: u64,
    ) -> Result<(String, AccessTokenClaims), TokensError> {
        let claims = AccessTokenClaims {
            iss: self.issuer.clone(),
            sub: sub.into(),
            aud: self.resource.clone(),
            client_id: client_id.into(),
            exp: now + ACCESS_TOKEN_TTL_SECS,
            iat: now,
            jti: random_id(16)?,
            scope: scopes.to_string(),
            gid: gid.map(String::from),
        };
        let alg = self
            .keys
            .algorithms()
            .first()
            .copied()
            .ok_or(TokensError::NoKey(Algorithm::ES256))?;
        Ok((self.sign(alg, ACCESS_TOKEN_TYP, &claims)?, claims))
    }

    /// Verifies one of our access tokens (RFC 9068 §4): `typ` `at+jwt`, a
    /// key of ours by `kid` with its own algorithm, the signature, `iss`,
    /// `aud` and `exp` against `now`. Revocation is the caller's (see
    /// [`crate::code::is_revoked`]).
    pub fn verify_access_token(
        &self,
        token: &str,
        now: u64,
    ) -> Result<AccessTokenClaims, TokensError> {
        let bad = |s: String| TokensError::InvalidAccessToken(s);
        let peeked = peek_access_token(token)?;
        let typ = peeked.header.typ.as_deref();
        if !matches!(typ, Some("at+jwt" | "application/at+jwt")) {
            return Err(bad(format!("typ {typ:?}")));
        }
        let kid = peeked
            .header
            .kid
            .as_deref()
            .ok_or_else(|| bad("no kid".into()))?;
        let key = self
            .keys
            .find(kid)
            .ok_or_else(|| bad(format!("unknown kid {kid:?}")))?;
        let mut validation = Validation::new(key.alg);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        validation.validate_aud = false;
        let claims = jsonwebtoken::decode::<AccessTokenClaims>(token, &key.decoding, &validation)
            .map_err(|e| bad(e.to_string()))?
            .claims;
        if claims.iss != self.issuer || claims.aud != self.resource {
            return Err(bad(format!("iss {:?} aud {:?}", claims.iss, claims.aud)));
        }
        unexpired(claims, now)
    }

    /// The grant id (`gid`) an access token names, unverified: what the
    /// caller looks its record up by before
    /// [`TokenIssuer::verify_recorded_access_token`]. `None` for what is
    /// not one of our tokens' shape, or a token without a grant.
    pub fn unverified_grant_id(token: &str) -> Option<String> {
        let peeked = peek_access_token(token).ok()?;
        let claims: AccessTokenClaims = serde_json::from_value(peeked.claims.into()).ok()?;
        claims.gid
    }

    /// Checks an access token against the digest ([`token_digest`]) the
    /// provider recorded when it issued it, instead of its signature: the
    /// recorded digest binds every byte of the token, so a match means
    /// this very token was issued here, and costs a hash where an ES256
    /// verification costs a fifth of a login's CPU time
    /// (benches/compare_oidc.py). `recorded` is the digest kept with the
    /// grant the unverified claims name
    /// ([`TokenIssuer::unverified_grant_id`]); a token without a `gid`, or
    /// without a record, is verified by signature instead.
    pub fn verify_recorded_access_token(
        &self,
        token: &str,
        now: u64,
        recorded: Option<&str>,
    ) -> Result<AccessTokenClaims, TokensError> {
        let bad = |s: String| TokensError::InvalidAccessToken(s);
        let peeked = peek_access_token(token)?;
        let claims: AccessTokenClaims = match serde_json::from_value(peeked.claims.into()) {
            Ok(c) => c,
            Err(_) => return self.verify_access_token(token, now),
        };
        let (Some(_), Some(recorded)) = (claims.gid.as_deref(), recorded) else {
            return self.verify_access_token(token, now);
        };
        let digest = token_digest(token);
        if aws_lc_rs::constant_time::verify_slices_are_equal(digest.as_bytes(), recorded.as_bytes())
            .is_err()
        {
            return Err(bad("a token other than the one issued for its grant".into()));
        }
        unexpired(claims, now)
    }
}

/// The longest access token taken: ours are under 600 bytes.
const MAX_ACCESS_TOKEN_LEN: usize = 4096;

/// The unverified parts of what claims to be one of our access tokens,
/// refused when too long or not a JWS.
fn peek_access_token(token: &str) -> Result<jws::Unverified, TokensError> {
    if token.len() > MAX_ACCESS_TOKEN_LEN {
        return Err(TokensError::InvalidAccessToken(format!(
            "{} bytes",
            token.len()
        )));
    }
    jws::peek(token).map_err(TokensError::InvalidAccessToken)
}

/// `claims` if its `exp` is after `now`.
fn unexpired(claims: AccessTokenClaims, now: u64) -> Result<AccessTokenClaims, TokensError> {
    if claims.exp <= now {
        return Err(TokensError::InvalidAccessToken(format!(
            "expired at {} (now {now})",
            claims.exp
        )));
    }
    Ok(claims)
}

/// SHA-256 of a token, base64url: what the provider records of the access
/// tokens it issues ([`TokenIssuer::verify_recorded_access_token`]).
pub fn token_digest(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        token.as_bytes(),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clients::tests::demo_registry;
    use crate::keys::SigningKey;
    use crate::testkeys;
    use jsonwebtoken::{DecodingKey, EncodingKey};

    const NOW: u64 = 1_800_000_000;

    pub(crate) fn issuer() -> TokenIssuer {
        let ec = SigningKey::from_pem("ec", testkeys::pem("ec-op").as_bytes()).unwrap();
        let rsa = SigningKey::from_pem("rsa", testkeys::pem("rsa-op").as_bytes()).unwrap();
        TokenIssuer::new(
            "https://op.example",
            "https://op.example/userinfo",
            ProviderKeys::new(vec![ec, rsa]).unwrap(),
        )
    }

    #[test]
    fn pairwise_subjects_differ_per_sector_and_secret() {
        let s = PairwiseSecret::new(&[7; 32]).unwrap();
        let a = s.subject("rp-a.example", &[1; 32], &[0x12, 0x34]);
        assert_eq!(
            a,
            s.subject("rp-a.example", &[1; 32], &[0x12, 0x34]),
            "stable"
        );
        assert_ne!(a, s.subject("rp-b.example", &[1; 32], &[0x12, 0x34]));
        assert_ne!(a, s.subject("rp-a.example", &[1; 32], &[0x12, 0x35]));
        assert_ne!(a, s.subject("rp-a.example", &[2; 32], &[0x12, 0x34]));
        assert_ne!(
            a,
            PairwiseSecret::new(&[8; 32])
                .unwrap()
                .subject("rp-a.example", &[1; 32], &[0x12, 0x34])
        );
        assert!(!a.contains("1234"), "the serial does not show");
        // Independent HMAC over the documented layout.
        let mut msg = b"rp-a.example\0".to_vec();
        msg.extend([1; 32]);
        msg.push(0);
        msg.extend([0x12, 0x34]);
        let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, &[7; 32]), &msg);
        assert_eq!(a, URL_SAFE_NO_PAD.encode(tag));
        assert!(matches!(
            PairwiseSecret::new(&[0; 31]),
            Err(TokensError::ShortSecret(31))
        ));
    }

    fn decode_with_jwks<T: serde::de::DeserializeOwned>(
        t: &TokenIssuer,
        token: &str,
        alg: Algorithm,
    ) -> T {
        // As an RP would: the kid from the header, the key from the JWKS.
        let header = jsonwebtoken::decode_header(token).unwrap();
        assert_eq!(header.alg, alg);
        let jwks = t.keys().jwks();
        let jwk = jwks.find(header.kid.as_deref().unwrap()).unwrap();
        let mut v = Validation::new(alg);
        v.validate_exp = false;
        v.validate_aud = false;
        jsonwebtoken::decode::<T>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
            .unwrap()
            .claims
    }

    #[test]
    fn id_token_claims_and_per_client_alg() {
        let t = issuer();
        let mut client = demo_registry().get("demo").unwrap().clone();
        let login = Login {
            sub: "s",
            nonce: "n-1",
            auth_time: NOW - 5,
            acr: None,
        };
        let tok = t.id_token(&client, &login, NOW).unwrap();
        let c: IdTokenClaims = decode_with_jwks(&t, &tok, Algorithm::ES256);
        assert_eq!(
            (c.iss.as_str(), c.aud.as_str(), c.nonce.as_str()),
            ("https://op.example", "demo", "n-1")
        );
        assert_eq!(
            (c.iat, c.exp, c.auth_time),
            (NOW, NOW + ID_TOKEN_TTL_SECS, NOW - 5)
        );
        assert_eq!(c.amr, ["hwk", "pin", "sc"]);
        assert!(!tok.split('.').nth(1).unwrap().is_empty());
        assert_eq!(c.acr, None);
        client.id_token_alg = crate::clients::IdTokenAlg::Rs256;
        let login = Login {
            acr: Some("aal3"),
            ..login
        };
        let c: IdTokenClaims = decode_with_jwks(
            &t,
            &t.id_token(&client, &login, NOW).unwrap(),
            Algorithm::RS256,
        );
        assert_eq!(c.acr.as_deref(), Some("aal3"));
    }

    #[test]
    fn recorded_access_tokens_are_checked_by_their_digest() {
        let t = issuer();
        let scopes = Scopes::parse("openid").unwrap();
        let (tok, claims) = t
            .access_token("s", "demo", scopes, Some("g1"), NOW)
            .unwrap();
        let recorded = token_digest(&tok);
        assert_eq!(
            TokenIssuer::unverified_grant_id(&tok).as_deref(),
            Some("g1")
        );
        let find = Some(recorded.as_str());
        assert_eq!(
            t.verify_recorded_access_token(&tok, NOW + 1, find).unwrap(),
            claims
        );
        assert!(t
            .verify_recorded_access_token(&tok, NOW + ACCESS_TOKEN_TTL_SECS, find)
            .is_err());
        // Another token of ours naming the same grant: not the one recorded.
        let (other, _) = t
            .access_token("s", "demo", scopes, Some("g1"), NOW)
            .unwrap();
        let e = t
            .verify_recorded_access_token(&other, NOW, find)
            .unwrap_err();
        assert!(e.to_string().contains("other than the one issued"), "{e}");
        // Claims rewritten, signature kept: the digest no longer matches.
        let mut parts: Vec<&str> = tok.split('.').collect();
        let forged_claims = URL_SAFE_NO_PAD.encode(
            serde_json::to_vec(&AccessTokenClaims {
                sub: "someone else".into(),
                ..claims.clone()
            })
            .unwrap(),
        );
        parts[1] = &forged_claims;
        let forged = parts.join(".");
        assert!(t.verify_recorded_access_token(&forged, NOW, find).is_err());
        // No record (a grant this provider never recorded): the signature
        // decides, and a forged one fails.
        assert!(t.verify_recorded_access_token(&forged, NOW, None).is_err());
        assert!(t.verify_recorded_access_token(&tok, NOW, None).is_ok());
    }

    #[test]
    fn access_token_round_trip_and_refusals() {
        let t = issuer();
        let scopes = Scopes::parse("openid name").unwrap();
        let (tok, claims) = t.access_token("s", "demo", scopes, Some("g"), NOW).unwrap();
        assert_eq!(
            jsonwebtoken::decode_header(&tok).unwrap().typ.as_deref(),
            Some("at+jwt")
        );
        assert_eq!(t.verify_access_token(&tok, NOW + 1).unwrap(), claims);
        assert_eq!(claims.scope, "openid name");
        // Expired.
        assert!(t
            .verify_access_token(&tok, NOW + ACCESS_TOKEN_TTL_SECS)
            .is_err());
        // An ID token is not an access token (typ JWT).
        let client = demo_registry().get("demo").unwrap().clone();
        let id = t
            .id_token(
                &client,
                &Login {
                    sub: "s",
                    nonce: "n",
                    auth_time: NOW,
                    acr: None,
                },
                NOW,
            )
            .unwrap();
        assert!(t.verify_access_token(&id, NOW).is_err());
        // Another issuer's token with our kid and typ.
        let other = TokenIssuer::new(
            "https://evil.example",
            "https://op.example/userinfo",
            t.keys().clone(),
        );
        let (forged, _) = other.access_token("s", "demo", scopes, None, NOW).unwrap();
        assert!(t.verify_access_token(&forged, NOW).is_err());
        // Signed by a stranger's key under our kid.
        let kid = t.keys().signer(Algorithm::ES256).unwrap().kid.clone();
        let mut h = Header::new(Algorithm::ES256);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid);
        let stranger = EncodingKey::from_ec_pem(testkeys::pem("ec-stranger").as_bytes()).unwrap();
        let forged = jsonwebtoken::encode(&h, &claims, &stranger).unwrap();
        assert!(t.verify_access_token(&forged, NOW).is_err());
    }
}
