//! `GET /.well-known/openid-configuration` and `GET /jwks`: documents
//! serialised once at start. Browser-based RPs read them too, hence
//! `Access-Control-Allow-Origin: *` (they are public by nature).

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ACCESS_CONTROL_ALLOW_ORIGIN};
use hyper::{Response, StatusCode};

use super::provider;
use crate::app::App;
use crate::error::ApiError;

fn public(body: &[u8], content_type: &'static str) -> Response<Full<Bytes>> {
    let mut resp = crate::http::response(StatusCode::OK, content_type, body.to_vec());
    resp.headers_mut()
        .insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    resp
}

/// `GET /.well-known/openid-configuration`.
pub(crate) fn metadata(app: &App) -> Result<Response<Full<Bytes>>, ApiError> {
    Ok(public(provider(app)?.metadata_json(), "application/json"))
}

/// `GET /jwks`.
pub(crate) fn jwks(app: &App) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    Ok(public(p.jwks_json(), "application/jwk-set+json"))
}
