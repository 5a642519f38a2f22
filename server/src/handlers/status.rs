//! Status look-ups: one serial (`GET /v1/status/{issuer}/{serial}`) or many
//! (`POST /v1/status`).
//!
//! The hot path is [`Store::lookup`]: one atomic load of the issuer's
//! snapshot and an in-place index probe. Each answer is the line
//! `kakunin status` prints for the same index ([`answer_line`]), so a client
//! can switch between the batch tool and the server.
//!
//! [`Store::lookup`]: kakunin_engine::store::Store::lookup

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use kakunin_engine::{Serial, Timestamp};
use kakunin_report::answer_line;
use serde_json::Value;

use crate::app::App;
use crate::error::ApiError;
use crate::http::{json_response, query_param, response};
use crate::issuers::Issuer;
use crate::limits;

fn resolve<'a>(app: &'a App, name: &str) -> Result<&'a Issuer, ApiError> {
    app.issuers
        .resolve(name)
        .ok_or_else(|| ApiError::UnknownIssuer(name.to_string()))
}

fn parse_serial(text: &str) -> Result<Serial, ApiError> {
    Serial::from_hex(text).map_err(|e| ApiError::BadSerial(e.to_string()))
}

/// `GET /v1/status/{issuer}/{serial}`.
pub(crate) fn one(
    app: &App,
    issuer: &str,
    serial: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let issuer = resolve(app, issuer)?;
    let serial = parse_serial(serial)?;
    let a = app.store.lookup(&issuer.key_id, &serial, Timestamp::now());
    let body = serde_json::to_vec(&answer_line(&issuer.key_id, &serial, &a))
        .map_err(|_| ApiError::Internal)?;
    Ok(json_response(StatusCode::OK, body))
}

/// `POST /v1/status[?issuer=NAME]`. The body is either a JSON array whose
/// items are serial strings or `{"issuer", "serial"}` objects, or text with
/// one `SERIAL` or `ISSUER SERIAL` per line. Items without their own issuer
/// use `?issuer=`. Every item is checked before any is answered, so a bad
/// one fails the whole request with a detail naming it. Out: JSON Lines,
/// one answer per item, in order.
pub(crate) async fn batch(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let default = query_param(req.uri().query(), "issuer").map(str::to_owned);
    let body = limits::read_body(req, &app.limits).await?;
    let items = parse_items(&body)?;
    let now = Timestamp::now();
    let mut out = Vec::with_capacity(items.len() * 256);
    let mut resolved = Vec::with_capacity(items.len());
    for (n, (issuer, serial)) in items.iter().enumerate() {
        let name = issuer.as_deref().or(default.as_deref()).ok_or_else(|| {
            ApiError::BadRequest(format!(
                "item {} names no issuer: give ?issuer=NAME or the issuer with the item",
                n + 1
            ))
        })?;
        let issuer = resolve(app, name)?;
        let serial = parse_serial(serial)
            .map_err(|e| ApiError::BadSerial(format!("item {}: {}", n + 1, e.detail())))?;
        resolved.push((issuer, serial));
    }
    for (issuer, serial) in resolved {
        let a = app.store.lookup(&issuer.key_id, &serial, now);
        serde_json::to_writer(&mut out, &answer_line(&issuer.key_id, &serial, &a))
            .map_err(|_| ApiError::Internal)?;
        out.push(b'\n');
    }
    Ok(response(StatusCode::OK, "application/x-ndjson", out))
}

/// (issuer if the item names one, serial text) for each item of a body.
fn parse_items(body: &[u8]) -> Result<Vec<(Option<String>, String)>, ApiError> {
    let text =
        std::str::from_utf8(body).map_err(|_| ApiError::BadRequest("body is not UTF-8".into()))?;
    if text.trim_start().starts_with('[') {
        let items: Vec<Value> = serde_json::from_str(text)
            .map_err(|e| ApiError::BadRequest(format!("body is not a JSON array: {e}")))?;
        return items
            .into_iter()
            .enumerate()
            .map(|(n, item)| match item {
                Value::String(s) => Ok((None, s)),
                Value::Object(o) => {
                    let field = |k: &str| o.get(k).and_then(Value::as_str).map(str::to_owned);
                    let serial = field("serial").ok_or_else(|| {
                        ApiError::BadRequest(format!("item {} has no \"serial\" string", n + 1))
                    })?;
                    Ok((field("issuer"), serial))
                }
                _ => Err(ApiError::BadRequest(format!(
                    "item {} is neither a serial string nor an object",
                    n + 1
                ))),
            })
            .collect();
    }
    let mut items = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (None, _, _) => {}
            (Some(serial), None, _) => items.push((None, serial.to_owned())),
            (Some(issuer), Some(serial), None) => {
                items.push((Some(issuer.to_owned()), serial.to_owned()))
            }
            _ => {
                return Err(ApiError::BadRequest(format!(
                    "line {}: expected SERIAL or ISSUER SERIAL",
                    n + 1
                )))
            }
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_in_every_accepted_shape() {
        let items = parse_items(br#"["01", {"issuer":"auth","serial":"0x02"}]"#).unwrap();
        assert_eq!(
            items,
            vec![(None, "01".into()), (Some("auth".into()), "0x02".into())]
        );
        let items = parse_items(b"01\n\n  sign 02 \r\n").unwrap();
        assert_eq!(
            items,
            vec![(None, "01".into()), (Some("sign".into()), "02".into())]
        );
        assert!(parse_items(b"").unwrap().is_empty());
        for bad in [&b"[1]"[..], b"[{}]", b"[", b"a b c", b"\xff"] {
            assert!(parse_items(bad).is_err(), "{bad:?}");
        }
    }
}
