//! Authorization codes: issued after the card signed, redeemed once at the
//! token endpoint within [`CODE_TTL`] (RFC 6749 §4.1.2: "short lifetime",
//! at most ten minutes; OAuth 2.1 and the FAPI profiles say one minute).
//!
//! The store never holds the code itself, only its SHA-256 (the *grant
//! id*): a dump of a shared store yields nothing redeemable. The first
//! redemption leaves a mark under the grant id; a second attempt finds the
//! mark, is refused, and revokes the grant so that the access tokens the
//! first one got (they carry the grant id as `gid`) stop working at the
//! userinfo endpoint (RFC 6749 §4.1.2, RFC 9700 §4.5 on code injection).

use std::time::Duration;

use aws_lc_rs::digest;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::pkce::{self, PkceError};
use crate::state::{StateError, StateStore};
use crate::tokens::{random_id, TokensError, ACCESS_TOKEN_TTL_SECS};

/// How long a code lives at most (and by default).
pub const CODE_TTL: Duration = Duration::from_secs(60);

/// How long a used code and a revoked grant are remembered: past the
/// code's own lifetime and the life of every token it issued.
const MARK_TTL: Duration = Duration::from_secs(CODE_TTL.as_secs() + ACCESS_TOKEN_TTL_SECS);

/// Everything the token endpoint needs to answer for a code.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CodeGrant {
    /// The client the code was issued to.
    pub client_id: String,
    /// The authorization request's `redirect_uri`.
    pub redirect_uri: String,
    /// The PKCE `S256` challenge.
    pub code_challenge: String,
    /// The granted scopes, space-separated.
    pub scope: String,
    /// The request's nonce, for the ID token.
    pub nonce: String,
    /// The `acr` to state, if asked for.
    pub acr: Option<String>,
    /// The pairwise subject.
    pub sub: String,
    /// When the card signed.
    pub auth_time: u64,
    /// The facts the person consented to, as userinfo claims (empty when
    /// only `openid` was asked).
    #[serde(default)]
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The sign transaction this login approved (`scope=openid sign`):
    /// its result is fetched with this grant's access token.
    #[serde(default)]
    pub sign_transaction_id: Option<String>,
}

/// Why a code was refused. All are `invalid_grant` at the token endpoint
/// (RFC 6749 §5.2) except [`CodeError::State`] and [`CodeError::Random`].
#[derive(Debug, Error)]
pub enum CodeError {
    /// Unknown, expired, or not a code we issue.
    #[error("expected a live authorization code, found an unknown or expired one")]
    Unknown,
    /// Already redeemed; the grant is now revoked.
    #[error("expected an unused authorization code, found one already redeemed (grant {grant_id} revoked)")]
    Replayed {
        /// The revoked grant.
        grant_id: String,
    },
    /// Redeemed by another client than it was issued to (RFC 6749 §4.1.3).
    #[error("expected the code's client {expected:?}, found {found:?}")]
    ClientMismatch {
        /// The client it was issued to.
        expected: String,
        /// The authenticated client.
        found: String,
    },
    /// `redirect_uri` differs from the authorization request's (RFC 6749 §4.1.3).
    #[error("expected redirect_uri {expected:?} as in the authorization request, found {found:?}")]
    RedirectMismatch {
        /// The request's.
        expected: String,
        /// The token request's.
        found: String,
    },
    /// The PKCE verifier does not match (RFC 7636 §4.6).
    #[error(transparent)]
    Pkce(#[from] PkceError),
    /// The store refused.
    #[error(transparent)]
    State(#[from] StateError),
    /// No randomness.
    #[error(transparent)]
    Random(#[from] TokensError),
    /// A stored record that does not parse (a store shared with another version).
    #[error("expected a code record, found one that does not parse: {0}")]
    Corrupt(String),
}

/// A freshly issued code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCode {
    /// The code to send in the authorization response.
    pub code: String,
    /// Its grant id (SHA-256 of the code, base64url).
    pub grant_id: String,
}

/// The grant id of `code`.
pub fn grant_id(code: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, code.as_bytes()))
}

/// Issues a code (256 random bits) for `grant`, living [`CODE_TTL`].
pub async fn issue(store: &dyn StateStore, grant: &CodeGrant) -> Result<IssuedCode, CodeError> {
    issue_for(store, grant, CODE_TTL).await
}

/// Issues a code that lives `ttl`, capped at [`CODE_TTL`] (an operator
/// may want codes shorter-lived, never longer).
pub async fn issue_for(
    store: &dyn StateStore,
    grant: &CodeGrant,
    ttl: Duration,
) -> Result<IssuedCode, CodeError> {
    let code = random_id(32)?;
    let grant_id = grant_id(&code);
    let record = serde_json::to_vec(grant).map_err(|e| CodeError::Corrupt(e.to_string()))?;
    let ttl = ttl.min(CODE_TTL).max(Duration::from_secs(1));
    store.put(&format!("code:{grant_id}"), record, ttl).await?;
    Ok(IssuedCode { code, grant_id })
}

/// What the token request presents with the code.
#[derive(Debug, Clone, Copy)]
pub struct Redemption<'a> {
    /// The authenticated client.
    pub client_id: &'a str,
    /// The token request's `redirect_uri`.
    pub redirect_uri: &'a str,
    /// The token request's `code_verifier`.
    pub code_verifier: &'a str,
}

/// Redeems `code` once. The code is consumed whatever the outcome of the
/// client, redirect and PKCE checks, so a verifier cannot be guessed at.
/// Returns the grant and its id (the access token's `gid`).
pub async fn redeem(
    store: &dyn StateStore,
    code: &str,
    with: Redemption<'_>,
) -> Result<(CodeGrant, String), CodeError> {
    if code.is_empty() || code.len() > 128 {
        return Err(CodeError::Unknown);
    }
    let gid = grant_id(code);
    let key = format!("code:{gid}");
    let used = format!("code-used:{gid}");
    if store.get(&key).await?.is_none() {
        // Marks are only made for codes that existed, so that random
        // guesses cannot fill the store.
        if store.get(&used).await?.is_some() {
            revoke(store, &gid).await?;
            return Err(CodeError::Replayed { grant_id: gid });
        }
        return Err(CodeError::Unknown);
    }
    // Of two concurrent redemptions, only one sets the mark.
    if !store.mark_once(&used, MARK_TTL).await? {
        revoke(store, &gid).await?;
        return Err(CodeError::Replayed { grant_id: gid });
    }
    let record = store.take(&key).await?.ok_or(CodeError::Unknown)?;
    let grant: CodeGrant =
        serde_json::from_slice(&record).map_err(|e| CodeError::Corrupt(e.to_string()))?;
    if grant.client_id != with.client_id {
        return Err(CodeError::ClientMismatch {
            expected: grant.client_id,
            found: with.client_id.into(),
        });
    }
    if grant.redirect_uri != with.redirect_uri {
        return Err(CodeError::RedirectMismatch {
            expected: grant.redirect_uri,
            found: with.redirect_uri.into(),
        });
    }
    pkce::verify(with.code_verifier, &grant.code_challenge)?;
    Ok((grant, gid))
}

/// Revokes the grant `grant_id`: its access tokens are refused from now on.
pub async fn revoke(store: &dyn StateStore, grant_id: &str) -> Result<(), StateError> {
    store
        .put(&format!("revoked:{grant_id}"), Vec::new(), MARK_TTL)
        .await
}

/// Whether the grant `grant_id` was revoked (check before answering
/// userinfo with an access token that has a `gid`).
pub async fn is_revoked(store: &dyn StateStore, grant_id: &str) -> Result<bool, StateError> {
    Ok(store.get(&format!("revoked:{grant_id}")).await?.is_some())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pkce::s256_challenge;
    use crate::state::MemoryStore;
    use kakunin_testkit::ready;

    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

    fn grant() -> CodeGrant {
        CodeGrant {
            client_id: "demo".into(),
            redirect_uri: "https://rp.example/cb".into(),
            code_challenge: s256_challenge(VERIFIER),
            scope: "openid".into(),
            nonce: "n".into(),
            acr: None,
            sub: "s".into(),
            auth_time: 1,
            facts: Default::default(),
            sign_transaction_id: None,
        }
    }

    fn with(verifier: &str) -> Redemption<'_> {
        Redemption {
            client_id: "demo",
            redirect_uri: "https://rp.example/cb",
            code_verifier: verifier,
        }
    }

    #[test]
    fn redeemed_once_then_replay_revokes() {
        let store = MemoryStore::new(16);
        let issued = ready(issue(&store, &grant())).unwrap();
        assert!(
            ready(store.get(&format!("code:{}", issued.code)))
                .unwrap()
                .is_none(),
            "the code itself is not a key"
        );
        let (g, gid) = ready(redeem(&store, &issued.code, with(VERIFIER))).unwrap();
        assert_eq!((g, gid.as_str()), (grant(), issued.grant_id.as_str()));
        assert!(!ready(is_revoked(&store, &gid)).unwrap());
        let e = ready(redeem(&store, &issued.code, with(VERIFIER))).unwrap_err();
        assert!(
            matches!(&e, CodeError::Replayed { grant_id } if *grant_id == gid),
            "{e}"
        );
        assert!(ready(is_revoked(&store, &gid)).unwrap());
    }

    #[test]
    fn unknown_code_refused_without_leaving_marks() {
        let store = MemoryStore::new(16);
        assert!(matches!(
            ready(redeem(&store, "guess", with(VERIFIER))),
            Err(CodeError::Unknown)
        ));
        assert!(matches!(
            ready(redeem(&store, "", with(VERIFIER))),
            Err(CodeError::Unknown)
        ));
        assert!(store.is_empty());
    }

    #[test]
    fn wrong_client_redirect_or_verifier_refused_and_code_consumed() {
        let other = "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        type Expect = fn(&CodeError) -> bool;
        let cases: [(Redemption<'_>, Expect); 3] = [
            (
                Redemption {
                    client_id: "other",
                    ..with(VERIFIER)
                },
                |e: &CodeError| matches!(e, CodeError::ClientMismatch { .. }),
            ),
            (
                Redemption {
                    redirect_uri: "https://rp.example/cb/",
                    ..with(VERIFIER)
                },
                |e: &CodeError| matches!(e, CodeError::RedirectMismatch { .. }),
            ),
            (with(other), |e: &CodeError| {
                matches!(e, CodeError::Pkce(PkceError::Mismatch))
            }),
        ];
        for (r, expected) in cases {
            let store = MemoryStore::new(16);
            let issued = ready(issue(&store, &grant())).unwrap();
            let e = ready(redeem(&store, &issued.code, r)).unwrap_err();
            assert!(expected(&e), "{e}");
            // Consumed: the right verifier now finds a used code.
            assert!(matches!(
                ready(redeem(&store, &issued.code, with(VERIFIER))),
                Err(CodeError::Replayed { .. })
            ));
        }
    }
}
