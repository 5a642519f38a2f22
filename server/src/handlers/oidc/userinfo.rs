//! `GET`/`POST /userinfo` (OIDC Core §5.3): a Bearer access token of ours
//! (RFC 6750 §2.1, the `Authorization` header only) → `sub` and the facts
//! the person consented to. Errors carry `WWW-Authenticate` (RFC 6750 §3).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, AUTHORIZATION, WWW_AUTHENTICATE};
use hyper::{Request, Response, StatusCode};
use kakunin_oidc::code;

use super::{now_secs, oauth_error, provider};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;

fn refuse(status: StatusCode, error: &str, description: &str) -> Response<Full<Bytes>> {
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

/// `GET /userinfo` or `POST /userinfo`.
pub(crate) fn userinfo(
    app: &App,
    req: &Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let token = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            // The scheme is case-insensitive (RFC 9110 §11.1).
            let (scheme, token) = v.split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then_some(token)
        })
        .map(str::trim);
    let Some(token) = token else {
        let mut resp = Response::new(Full::new(Bytes::new()));
        *resp.status_mut() = StatusCode::UNAUTHORIZED;
        resp.headers_mut()
            .insert(WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return Ok(resp);
    };
    // The grant's record holds the token's digest and what to answer.
    let mut record: Option<serde_json::Value> = None;
    let mut store_error = None;
    let verified = p
        .tokens
        .verify_recorded_access_token(token, now_secs(), |gid| {
            match p.store.get(&format!("userinfo:{gid}")) {
                Ok(r) => record = r.and_then(|r| serde_json::from_slice(&r).ok()),
                Err(e) => store_error = Some(e),
            }
            record.as_ref()?["at"].as_str().map(String::from)
        });
    if let Some(e) = store_error {
        return Err(ApiError::Overloaded(e.to_string()));
    }
    let claims = match verified {
        Ok(c) => c,
        Err(e) => {
            return Ok(refuse(
                StatusCode::UNAUTHORIZED,
                "invalid_token",
                &e.to_string(),
            ))
        }
    };
    let Some(gid) = claims.gid.as_deref() else {
        return Ok(refuse(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "expected an access token from a login (scope openid), found a client-credentials token",
        ));
    };
    let unavailable = |e: kakunin_oidc::state::StateError| ApiError::Overloaded(e.to_string());
    if code::is_revoked(&*p.store, gid).map_err(unavailable)? {
        return Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the grant of this access token was revoked (its authorization code was used twice)",
        ));
    }
    match record.as_ref().map(|r| &r["claims"]) {
        Some(body) if body.is_object() => {
            Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
        }
        _ => Ok(refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "expected a live access token, found one whose login is no longer held",
        )),
    }
}
