//! The OpenID Provider's HTTP side (docs/oidc.md): discovery and keys,
//! the authorization endpoint and its login page, pushed requests, the
//! card front end's approval, the token and userinfo endpoints. The rules
//! are `kakunin-oidc`'s and [`crate::provider`]'s; these modules parse
//! requests and shape answers.

pub(crate) mod approve;
pub(crate) mod authorize;
mod bearer;
pub(crate) mod discovery;
mod page;
pub(crate) mod sign;
pub(crate) mod token;
pub(crate) mod userinfo;

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{HeaderMap, Response, StatusCode};
use kakunin_engine::Timestamp;

use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::provider::Provider;

/// `GET /assets/{name}`: the login page's script and style.
pub(crate) fn asset(name: &str) -> Option<Response<Full<Bytes>>> {
    page::asset_response(name)
}

/// A store failure as the client sees it: a full in-process store is
/// `overloaded` and says which bound to raise; a shared store that did
/// not answer is `state_unavailable`. Both are 503.
fn state_error(e: kakunin_oidc::state::StateError) -> ApiError {
    match e {
        kakunin_oidc::state::StateError::Full { .. } => ApiError::Overloaded(token::full_store(&e)),
        e => ApiError::from(e),
    }
}

/// The provider, or 404 when the server runs without one.
fn provider(app: &App) -> Result<&Provider, ApiError> {
    app.provider.as_deref().ok_or(ApiError::NotFound)
}

/// Seconds since the epoch.
fn now_secs() -> u64 {
    Timestamp::now().unix().max(0) as u64
}

/// The longest form or query the provider reads: an authorization request
/// (at most `kakunin_oidc::request::MAX_REQUEST_LEN`) plus a client
/// assertion (at most `MAX_ASSERTION_LEN`) and the token parameters.
const MAX_FORM_LEN: usize =
    kakunin_oidc::request::MAX_REQUEST_LEN + kakunin_oidc::assertion::MAX_ASSERTION_LEN + 1024;

/// A form body or query as pairs (repeats are refused by [`single`]),
/// bounded in length.
fn form_pairs(body: &[u8]) -> Result<Vec<(String, String)>, String> {
    if body.len() > MAX_FORM_LEN {
        return Err(format!(
            "expected a request of at most {MAX_FORM_LEN} bytes, found {}",
            body.len()
        ));
    }
    serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
        .map_err(|e| format!("the body is not application/x-www-form-urlencoded: {e}"))
}

/// The single value of `name`; an error names a repeated parameter.
fn single<'a>(pairs: &'a [(String, String)], name: &str) -> Result<Option<&'a str>, String> {
    let mut found = pairs
        .iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str());
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("expected {name} once, found it repeated"));
    }
    Ok(first.filter(|v| !v.is_empty()))
}

/// An OAuth error answer (RFC 6749 §5.2): `{"error", "error_description"}`.
fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "error": error, "error_description": description });
    let mut resp = json_response(status, body.to_string().into_bytes());
    resp.headers_mut()
        .insert("pragma", HeaderValue::from_static("no-cache"));
    resp
}

/// An OAuth error on its way to becoming an answer ([`oauth_error`]).
#[derive(Debug)]
struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    fn new(status: StatusCode, error: &'static str, description: impl Into<String>) -> OAuthError {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    /// `invalid_request`, 400.
    fn invalid_request(description: impl Into<String>) -> OAuthError {
        OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        oauth_error(self.status, self.error, &self.description)
    }
}

/// Whether the client prefers JSON (`Accept: application/json`).
fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(hyper::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"))
}

/// Whether the request body is declared as `mime`.
fn is_content_type(headers: &HeaderMap, mime: &str) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case(mime))
}

/// The cookie that binds a pending request to its browser: a `__Host-`
/// cookie (Secure, host-only, path `/`) when the issuer is `https`. An
/// `http` issuer (a demo on loopback) cannot set Secure cookies, so there
/// it is a plain host-only cookie of the same shape.
fn cookie_name(p: &Provider, pairing: &str) -> String {
    if p.is_https() {
        format!("__Host-kakunin-p-{pairing}")
    } else {
        format!("kakunin-p-{pairing}")
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(hyper::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(name)?.strip_prefix('='))
}

/// A `303 See Other` to `location`.
fn see_other(location: &str) -> Result<Response<Full<Bytes>>, ApiError> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SEE_OTHER;
    let h = resp.headers_mut();
    h.insert(
        hyper::header::LOCATION,
        HeaderValue::from_str(location).map_err(|_| ApiError::Internal)?,
    );
    h.insert(
        hyper::header::CACHE_CONTROL,
        HeaderValue::from_static("no-store"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_refused() {
        assert!(form_pairs(&vec![b'a'; MAX_FORM_LEN + 1]).is_err());
        let p = form_pairs(b"a=1&b=2&a=3").unwrap();
        assert!(single(&p, "a").is_err());
        assert_eq!(single(&p, "b").unwrap(), Some("2"));
        assert_eq!(single(&p, "c").unwrap(), None);
    }

    #[test]
    fn cookies_by_exact_name() {
        let mut h = HeaderMap::new();
        h.append(
            hyper::header::COOKIE,
            HeaderValue::from_static("x=1; __Host-kakunin-p-AB=s3; __Host-kakunin-p-A=no"),
        );
        assert_eq!(cookie(&h, "__Host-kakunin-p-AB"), Some("s3"));
        assert_eq!(cookie(&h, "__Host-kakunin-p-A"), Some("no"));
        assert_eq!(cookie(&h, "y"), None);
    }
}
