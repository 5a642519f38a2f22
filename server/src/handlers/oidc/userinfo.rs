//! `GET`/`POST /userinfo` (OIDC Core §5.3): a Bearer access token of ours
//! (RFC 6750 §2.1, the `Authorization` header only) → `sub` and the facts
//! the person consented to. Errors carry `WWW-Authenticate` (RFC 6750 §3).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use super::{bearer, provider};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;

/// `GET /userinfo` or `POST /userinfo`.
pub(crate) async fn userinfo(
    app: &App,
    req: &Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let Some(token) = bearer::token(req.headers()) else {
        return Ok(bearer::missing());
    };
    let record = match bearer::login_record(p, token).await? {
        Ok((_, record)) => record,
        Err(refusal) => return Ok(refusal.response()),
    };
    match record.get("claims") {
        Some(body) if body.is_object() => {
            Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
        }
        _ => Ok(bearer::refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "expected a live access token, found one whose login is no longer held",
        )),
    }
}
