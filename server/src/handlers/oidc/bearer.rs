//! Bearer access tokens on protected resources (RFC 6750): reading one
//! from the `Authorization` header only (§2.1), and refusals that carry
//! `WWW-Authenticate` (§3). Shared by userinfo and the signing API.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{HeaderMap, Response, StatusCode};

use kakunin_oidc::code;
use kakunin_oidc::tokens::{AccessTokenClaims, TokenIssuer};
use serde_json::Value;

use super::{now_secs, oauth_error};
use crate::error::ApiError;
use crate::provider::Provider;

/// The token of `Authorization: Bearer TOKEN` (the scheme in any case,
/// RFC 9110 §11.1), if any.
pub(super) fn token(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim)
}

/// A refusal with its `WWW-Authenticate` challenge.
pub(super) fn refuse(status: StatusCode, error: &str, description: &str) -> Response<Full<Bytes>> {
    let mut resp = oauth_error(status, error, description);
    let challenge = format!(
        "Bearer error=\"{error}\", error_description=\"{}\"",
        description.replace(['"', '\\'], "'")
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    resp
}

/// The answer to a request without a token: 401 with a bare challenge
/// (RFC 6750 §3.1: no error code when no credentials were sent).
pub(super) fn missing() -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::UNAUTHORIZED;
    resp.headers_mut()
        .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    resp
}

/// Why a bearer token was refused, answered by [`Refused::response`].
#[derive(Debug)]
pub(super) enum Refused {
    /// No token at all.
    Missing,
    /// A token that does not do.
    Token {
        status: StatusCode,
        error: &'static str,
        description: String,
    },
}

impl Refused {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> Refused {
        Refused::Token {
            status,
            error,
            description: description.into(),
        }
    }

    /// The refusal with its `WWW-Authenticate` challenge.
    pub(super) fn response(self) -> Response<Full<Bytes>> {
        match self {
            Refused::Missing => missing(),
            Refused::Token {
                status,
                error,
                description,
            } => refuse(status, error, &description),
        }
    }
}

/// The claims of a login's access token (one with a grant, `gid`) and
/// the grant's record (`userinfo:{gid}`: the token's digest, the claims
/// consented to, the sign transaction if any), or the refusal to answer
/// with: a token not ours, expired, from client credentials, of a revoked
/// grant, or of a login no longer held. A store failure is the `Err`.
pub(super) async fn login_record(
    p: &Provider,
    token: &str,
) -> Result<Result<(AccessTokenClaims, Value), Refused>, ApiError> {
    let unavailable = ApiError::from;
    // The grant's record first (by the token's unverified `gid`), then
    // the token checked against the digest it holds.
    let record: Option<Value> = match TokenIssuer::unverified_grant_id(token) {
        Some(gid) => p
            .store
            .get(&format!("userinfo:{gid}"))
            .await
            .map_err(unavailable)?
            .and_then(|r| serde_json::from_slice(&r).ok()),
        None => None,
    };
    let recorded = record.as_ref().and_then(|r| r["at"].as_str());
    let verified = p
        .tokens
        .verify_recorded_access_token(token, now_secs(), recorded);
    let claims = match verified {
        Ok(c) => c,
        Err(e) => {
            return Ok(Err(Refused::new(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                e.to_string(),
            )))
        }
    };
    let Some(gid) = claims.gid.as_deref() else {
        return Ok(Err(Refused::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "expected an access token from a login (scope openid), found a client-credentials token",
        )));
    };
    if code::is_revoked(&*p.store, gid)
        .await
        .map_err(unavailable)?
    {
        return Ok(Err(Refused::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the grant of this access token was revoked (its authorization code was used twice)",
        )));
    }
    match record {
        Some(r) if r.is_object() => Ok(Ok((claims, r))),
        _ => Ok(Err(Refused::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "expected a live access token, found one whose login is no longer held",
        ))),
    }
}

/// The claims of a client-credentials access token granting `sign`, or
/// the refusal to answer with.
pub(super) fn client_credentials(p: &Provider, token: &str) -> Result<AccessTokenClaims, Refused> {
    let claims = p
        .tokens
        .verify_access_token(token, now_secs())
        .map_err(|e| Refused::new(StatusCode::UNAUTHORIZED, "invalid_token", e.to_string()))?;
    if claims.gid.is_some() {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "expected a client-credentials access token (grant_type=client_credentials, scope sign), found a login's",
        ));
    }
    if !claims.scope.split(' ').any(|s| s == "sign") {
        return Err(Refused::new(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "expected an access token with scope sign",
        ));
    }
    Ok(claims)
}
