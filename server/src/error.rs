//! Every error a client can see, and the one place that picks its HTTP
//! status code.
//!
//! Handlers return [`ApiError`]; [`ApiError::into_response`] turns it into
//! `{"error": "<code>", "detail": "<text>"}`. Keeping the mapping here means
//! a status code is never chosen ad hoc in a handler, and the `error` codes
//! stay a small, documented vocabulary that clients can match on.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, ALLOW, CONTENT_TYPE};
use hyper::{Response, StatusCode};

/// What went wrong with a request, as the client sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiError {
    /// No route has this path.
    NotFound,
    /// The route exists, the thing it names does not (an expired login
    /// request, say); the detail says what.
    NoSuch(String),
    /// The path exists, the method does not; carries the `Allow` value.
    MethodNotAllowed(&'static str),
    /// A serial that is not hex (or too long).
    BadSerial(String),
    /// `{issuer}` names no configured CA (key id, SPKI SHA-256 or alias).
    UnknownIssuer(String),
    /// The body could not be read as what the route expects.
    BadRequest(String),
    /// The body is longer than the configured limit.
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The client sent its body too slowly.
    BodyTimeout,
    /// Reserved for loopback clients.
    Forbidden(String),
    /// `/readyz`: some issuer has no current CRL.
    NotReady(String),
    /// Out of room for more work of this kind right now; retry shortly.
    Overloaded(String),
    /// The shared state store (Redis) did not answer in time, or refused:
    /// what needs state fails closed until it is back.
    StateUnavailable(String),
    /// The request conflicts with what was done before (a pending login
    /// request already decided).
    Conflict(String),
    /// A bug or resource failure on our side; the detail is logged, not sent.
    Internal,
}

impl From<kakunin_oidc::state::StateError> for ApiError {
    /// A full in-process store is `overloaded` (this replica's bound); a
    /// shared store that failed is `state_unavailable`.
    fn from(e: kakunin_oidc::state::StateError) -> ApiError {
        match e {
            kakunin_oidc::state::StateError::Full { .. } => ApiError::Overloaded(e.to_string()),
            kakunin_oidc::state::StateError::Unavailable(_) => {
                ApiError::StateUnavailable(e.to_string())
            }
        }
    }
}

/// How an issuer may be named, for the `unknown_issuer` detail.
const ISSUER_NAMES: &str = "give the issuer_key_id that `kakunin ingest` prints, \
    the SHA-256 hex of the CA's SubjectPublicKeyInfo, or a configured alias";

impl ApiError {
    /// The HTTP status of each error: the one place where they are chosen.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::NotFound | ApiError::NoSuch(_) | ApiError::UnknownIssuer(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::BadSerial(_) | ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::NotReady(_) | ApiError::Overloaded(_) | ApiError::StateUnavailable(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The machine-readable `error` code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::NotFound | ApiError::NoSuch(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::BadSerial(_) => "bad_serial",
            ApiError::UnknownIssuer(_) => "unknown_issuer",
            ApiError::BadRequest(_) => "bad_request",
            ApiError::BodyTooLarge { .. } => "body_too_large",
            ApiError::BodyTimeout => "body_timeout",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotReady(_) => "not_ready",
            ApiError::Overloaded(_) => "overloaded",
            ApiError::StateUnavailable(_) => "state_unavailable",
            ApiError::Conflict(_) => "conflict",
            ApiError::Internal => "internal",
        }
    }

    /// The human-readable `detail`.
    pub fn detail(&self) -> String {
        match self {
            ApiError::NotFound => "no such route; see docs/serve.md for the endpoints".into(),
            ApiError::MethodNotAllowed(allow) => {
                format!("method not allowed here; allowed: {allow}")
            }
            ApiError::BadSerial(d)
            | ApiError::BadRequest(d)
            | ApiError::Forbidden(d)
            | ApiError::NotReady(d)
            | ApiError::Overloaded(d)
            | ApiError::StateUnavailable(d)
            | ApiError::Conflict(d)
            | ApiError::NoSuch(d) => d.clone(),
            ApiError::UnknownIssuer(name) => format!("unknown issuer {name:?}: {ISSUER_NAMES}"),
            ApiError::BodyTooLarge { limit } => {
                format!("request body is larger than {limit} bytes")
            }
            ApiError::BodyTimeout => "request body was not received in time".into(),
            ApiError::Internal => "internal error (logged on the server)".into(),
        }
    }

    /// The error as a JSON response.
    pub fn into_response(self) -> Response<Full<Bytes>> {
        let body = serde_json::json!({ "error": self.code(), "detail": self.detail() });
        let mut resp = crate::http::json_response(self.status(), body.to_string().into_bytes());
        if let ApiError::MethodNotAllowed(allow) = self {
            resp.headers_mut()
                .insert(ALLOW, HeaderValue::from_static(allow));
        }
        resp.headers_mut()
            .entry(CONTENT_TYPE)
            .or_insert(HeaderValue::from_static("application/json"));
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_json_body_with_code_and_detail() {
        let all = [
            ApiError::NotFound,
            ApiError::MethodNotAllowed("GET"),
            ApiError::BadSerial("x".into()),
            ApiError::UnknownIssuer("x".into()),
            ApiError::BadRequest("x".into()),
            ApiError::BodyTooLarge { limit: 1 },
            ApiError::BodyTimeout,
            ApiError::Forbidden("x".into()),
            ApiError::NotReady("x".into()),
            ApiError::Overloaded("x".into()),
            ApiError::Internal,
        ];
        for e in all {
            let status = e.status();
            assert!(
                status.is_client_error() || status.is_server_error(),
                "{e:?}"
            );
            let resp = e.clone().into_response();
            assert_eq!(resp.status(), status);
            assert_eq!(resp.headers()[CONTENT_TYPE], "application/json");
        }
        let resp = ApiError::MethodNotAllowed("GET, HEAD").into_response();
        assert_eq!(resp.headers()[ALLOW], "GET, HEAD");
    }
}
