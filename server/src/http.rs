//! The plain HTTP pieces every handler and the error type share: building
//! a response, reading a query parameter. A leaf: it imports nothing from
//! the rest of the server, so the layers above it (errors, handlers,
//! routes) can all use it without importing each other.

use bytes::Bytes;
use http_body_util::Full;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Response, StatusCode};

/// The value of `name=` in a query string, if present and not empty. Our
/// parameters (issuer names, challenges) are in alphabets that need no
/// percent-decoding, so none is done: an encoded value simply matches
/// nothing.
pub(crate) fn query_param<'a>(query: Option<&'a str>, name: &str) -> Option<&'a str> {
    query?
        .split('&')
        .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
        .filter(|v| !v.is_empty())
}

/// A response with a body and its content type. Answers are never cached:
/// a revocation can land in the next CRL swap, and a stale `good` held by a
/// cache in between is the one answer we must not give.
pub(crate) fn response(
    status: StatusCode,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// A JSON response.
pub(crate) fn json_response(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    response(status, "application/json", body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parameters() {
        assert_eq!(query_param(Some("issuer=sign"), "issuer"), Some("sign"));
        assert_eq!(
            query_param(Some("x=1&challenge=AbC"), "challenge"),
            Some("AbC")
        );
        assert_eq!(query_param(Some("issuers=x&issuer=a"), "issuer"), Some("a"));
        assert_eq!(query_param(Some("issuer="), "issuer"), None);
        assert_eq!(query_param(None, "issuer"), None);
    }
}
