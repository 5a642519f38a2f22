//! `POST /ocsp` and `GET /ocsp/{base64}`: the HTTP side of the OCSP
//! responder (RFC 6960, RFC 5019 profile). The responder itself — request
//! parsing, the response cache, signing — is [`crate::ocsp`].

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{HeaderMap, Request, Response};

use crate::app::App;
use crate::error::ApiError;
use crate::limits;
use crate::ocsp;

/// `POST /ocsp`: the body is the DER OCSPRequest. The content type is not
/// checked: clients that forget `application/ocsp-request` (curl's default
/// is a form type) still send a valid request.
pub(crate) async fn post(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let body = limits::read_body(req, &app.limits).await?;
    Ok(app
        .ocsp
        .answer(&app.store, &app.metrics, &body, &HeaderMap::new())
        .await)
}

/// `GET /ocsp/{base64}`, from the raw path.
pub(crate) async fn get(app: &App, req: &Request<Incoming>) -> Response<Full<Bytes>> {
    let rest = req.uri().path().strip_prefix("/ocsp/").unwrap_or("");
    match ocsp::get::decode_path(rest) {
        Some(der) => {
            app.ocsp
                .answer(&app.store, &app.metrics, &der, req.headers())
                .await
        }
        None => ocsp::malformed(&app.metrics),
    }
}
