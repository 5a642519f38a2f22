//! `POST /v1/verify[?facts=true][&at=RFC3339]`: one certificate, or one
//! document signature, verified against the configured CAs and the CRLs
//! being served.
//!
//! The body is a certificate (DER, or PEM text), or JSON: `{"cert"}` alone
//! answers like `kakunin verify`, `{"cert", "sig", "data"|"digest"}` like
//! `kakunin verify-signature` — the same objects, from the same functions
//! (`kakunin-report`). A verdict is always `200`: `revoked`, `invalid`
//! and `unknown` are answers, not errors; only a body that is none of the
//! above is a `400`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use kakunin_engine::Timestamp;
use serde_json::Value;

use kakunin_report::signature::cert_from_json;
use kakunin_report::{CertLine, SignedDocument};

use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::limits;

/// The `input` field of answers: there is one input, the request.
const INPUT: &str = "request";

/// What the query asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Query {
    facts: bool,
    at: Option<Timestamp>,
}

/// The query as sent: `serde_urlencoded` does the percent-decoding (an
/// offset's `+` arrives as `%2B`, colons sometimes as `%3A`) and refuses
/// parameters we do not know.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuery {
    facts: Option<String>,
    at: Option<String>,
}

impl Query {
    fn parse(query: Option<&str>) -> Result<Query, ApiError> {
        let raw: RawQuery = serde_urlencoded::from_str(query.unwrap_or(""))
            .map_err(|e| bad(format!("query: {e} (parameters: facts, at)")))?;
        let facts = match raw.facts.as_deref() {
            None | Some("false" | "0") => false,
            Some("" | "true" | "1") => true,
            Some(v) => return Err(bad(format!("facts={v}: expected true or false"))),
        };
        // A form decoder reads a bare `+` as a space; an RFC 3339 time has
        // no spaces, so a space can only have been the offset's `+`.
        let at = raw
            .at
            .map(|text| {
                Timestamp::parse_rfc3339(&text.replace(' ', "+"))
                    .map_err(|e| bad(format!("at: {e}")))
            })
            .transpose()?;
        Ok(Query { facts, at })
    }
}

fn bad(detail: String) -> ApiError {
    ApiError::BadRequest(detail)
}

/// What the body holds.
#[derive(Debug, PartialEq, Eq)]
enum Body {
    Cert(Vec<u8>),
    Signed(SignedDocument),
}

fn parse_body(body: &[u8]) -> Result<Body, ApiError> {
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    match start.map(|i| body[i]) {
        None => Err(bad(
            "empty body: send a certificate (DER or PEM) or JSON {\"cert\"}".into(),
        )),
        Some(0x30) => Ok(Body::Cert(body.to_vec())),
        Some(b'{') => {
            let v: Value = serde_json::from_slice(body)
                .map_err(|e| bad(format!("body is not a JSON object: {e}")))?;
            if v.get("sig").is_some() {
                return SignedDocument::from_json(&v).map(Body::Signed).map_err(bad);
            }
            if v.get("data").is_some() || v.get("digest").is_some() {
                return Err(bad("\"data\" or \"digest\" given without \"sig\"".into()));
            }
            cert_from_json(&v).map(Body::Cert).map_err(bad)
        }
        Some(b'-') => {
            let (label, der) = x509_cert::der::pem::decode_vec(body)
                .map_err(|e| bad(format!("body is not valid PEM: {e}")))?;
            if label != "CERTIFICATE" {
                return Err(bad(format!("PEM block is {label:?}, expected CERTIFICATE")));
            }
            Ok(Body::Cert(der))
        }
        Some(_) => Err(bad(
            "body is neither a DER certificate, PEM, nor a JSON object".into(),
        )),
    }
}

/// `POST /v1/verify`.
pub(crate) async fn post(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let query = Query::parse(req.uri().query())?;
    let body = limits::read_body(req, &app.limits).await?;
    let body = parse_body(&body)?;
    let verifier = app.verifiers.get(&app.store)?;
    let at = query.at.unwrap_or_else(Timestamp::now);
    let text = match &body {
        Body::Cert(der) => {
            let verdict = verifier.verify(der, at);
            // The line's own field order, as `kakunin verify` prints it.
            CertLine::new(INPUT, der, &verdict, query.facts).to_json()
        }
        Body::Signed(doc) => doc.check(&verifier, INPUT, at, query.facts).to_json(),
    };
    Ok(json_response(StatusCode::OK, text.into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_report::signature::Message;

    #[test]
    fn query_parameters() {
        assert_eq!(Query::parse(None).unwrap(), Query::default());
        assert!(Query::parse(Some("facts")).unwrap().facts);
        assert!(!Query::parse(Some("facts=false")).unwrap().facts);
        let q = Query::parse(Some("facts=1&at=2026-11-01T00:00:00%2B09:00")).unwrap();
        assert_eq!(
            q.at,
            Some(Timestamp::parse_rfc3339("2026-10-31T15:00:00Z").unwrap())
        );
        let q = Query::parse(Some("at=2026-11-01T09%3a00%3a00%2b09%3A00")).unwrap();
        assert_eq!(
            q.at,
            Some(Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap())
        );
        let q = Query::parse(Some("at=2026-11-01T00:00:00+09:00")).unwrap();
        assert_eq!(
            q.at,
            Some(Timestamp::parse_rfc3339("2026-10-31T15:00:00Z").unwrap())
        );
        for bad in ["facts=yes", "at=yesterday", "x=1", "at=%ZZ", "at=%"] {
            assert!(Query::parse(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_in_every_accepted_shape() {
        let pem = std::fs::read(crate::sample_data("holders/1/auth.pem")).unwrap();
        let Body::Cert(der) = parse_body(&pem).unwrap() else {
            panic!("PEM is a certificate")
        };
        assert_eq!(der[0], 0x30);
        assert_eq!(parse_body(&der).unwrap(), Body::Cert(der.clone()));
        let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &der);
        let json = serde_json::json!({ "cert": b64 }).to_string();
        assert_eq!(
            parse_body(json.as_bytes()).unwrap(),
            Body::Cert(der.clone())
        );
        let signed = serde_json::json!({"cert": b64, "sig": "AAEC", "data": "aGk="}).to_string();
        let Body::Signed(doc) = parse_body(signed.as_bytes()).unwrap() else {
            panic!("signed document")
        };
        assert_eq!(doc.message, Message::Data(b"hi".to_vec()));
        for (body, needle) in [
            (&b""[..], "empty body"),
            (b"hello", "neither"),
            (b"{\"cert\": 1}", "missing \"cert\""),
            (
                b"{\"cert\": \"AA==\", \"digest\": \"00\"}",
                "without \"sig\"",
            ),
            (
                b"-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n",
                "X509 CRL",
            ),
            (b"{nope", "not a JSON object"),
        ] {
            let ApiError::BadRequest(d) = parse_body(body).unwrap_err() else {
                panic!("bad request")
            };
            assert!(d.contains(needle), "{body:?}: {d}");
        }
    }
}
