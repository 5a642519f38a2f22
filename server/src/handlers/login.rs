//! `GET /v1/challenge` and `POST /v1/authenticate?challenge=C`: the HTTP
//! side of card login. What a login checks, and in which order, is
//! [`crate::login`]; the bytes the card signs are the engine's
//! `jpki::login_message`.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use kakunin_engine::{crypto, Timestamp};
use kakunin_report::signature::cert_from_json;
use serde_json::{json, Value};

use crate::app::App;
use crate::error::ApiError;
use crate::http::{json_response, query_param};
use crate::limits;
use crate::login::{Attempt, Outcome};

/// `GET /v1/challenge`.
pub(crate) fn challenge(app: &App) -> Result<Response<Full<Bytes>>, ApiError> {
    let login = &app.login;
    let (token, expires) = login.mint()?;
    let body = json!({
        "challenge": token,
        "expires_at": expires.to_rfc3339(),
        "origins": login.origins(),
        "authenticate": format!("/v1/authenticate?challenge={token}"),
    });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

/// `POST /v1/authenticate?challenge=C` with `{"origin", "cert", "signature"}`.
pub(crate) async fn authenticate(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let challenge = query_param(req.uri().query(), "challenge")
        .ok_or_else(|| {
            ApiError::BadRequest(
                "give the challenge in the query: POST /v1/authenticate?challenge=C".into(),
            )
        })?
        .to_string();
    let body = limits::read_body(req, &app.limits).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body is not a JSON object {{\"origin\", \"cert\", \"signature\"}}: {e}"
        ))
    })?;
    let origin = v["origin"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("missing \"origin\"".into()))?;
    let cert = cert_from_json(&v).map_err(ApiError::BadRequest)?;
    let sig = v["signature"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("missing \"signature\"".into()))
        .and_then(|s| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s.trim())
                .map_err(|e| ApiError::BadRequest(format!("\"signature\" is not base64: {e}")))
        })?;
    let now = Timestamp::now();
    let attempt = Attempt {
        challenge: &challenge,
        origin,
        cert: &cert,
        sig: &sig,
    };
    let (decision, verdict) = app
        .login
        .decide(&app.verifiers, &app.store, &attempt, now)
        .await?;
    app.metrics.login(decision.outcome.as_str());
    let serial = verdict.as_ref().and_then(|v| v.serial).map(|s| s.to_hex());
    // Refusals (replays, other origins, revoked cards) are what an operator
    // looks for: info. Accepted logins are the bulk, counted in the
    // metrics: debug (a log line each costs a fifth of the login rate).
    let (serial_text, outcome) = (serial.as_deref().unwrap_or("-"), decision.outcome.as_str());
    if decision.outcome == Outcome::Accepted {
        tracing::debug!(serial = serial_text, outcome, "login");
    } else {
        tracing::info!(serial = serial_text, outcome, "login refused");
    }
    let answer = json!({
        "accepted": decision.outcome == Outcome::Accepted,
        "status": decision.status,
        "detail": decision.detail,
        "subject": verdict.as_ref().and_then(|v| v.subject.clone()),
        "serial": serial,
        "issuer": verdict.as_ref().and_then(|v| v.path.get(1)).map(|p| p.subject.to_string()),
        "not_after": verdict.as_ref().and_then(|v| v.not_after).map(|t| t.to_rfc3339()),
        "cert_sha256": hex::encode(crypto::sha256(&cert)),
    });
    Ok(json_response(
        StatusCode::OK,
        answer.to_string().into_bytes(),
    ))
}
