//! Liveness, readiness and metrics.

use bytes::Bytes;
use http_body_util::Full;
use hyper::{Response, StatusCode};
use kakunin_engine::Timestamp;
use serde_json::json;

use crate::app::App;
use crate::error::ApiError;
use crate::http::{json_response, response};
use crate::state::StateHealth;

/// `GET /healthz`: the process answers. Says nothing about CRLs, so an
/// orchestrator does not restart a server that is waiting for one.
pub(crate) fn healthz() -> Response<Full<Bytes>> {
    json_response(StatusCode::OK, br#"{"status":"ok"}"#.to_vec())
}

/// `GET /readyz`: every configured issuer has a current CRL (loaded, and
/// now before its nextUpdate) and no OCSP signing certificate has expired.
/// Otherwise `503`, naming the issuers that would answer `unknown` and the
/// signers that can no longer sign.
pub(crate) async fn readyz(app: &App) -> Result<Response<Full<Bytes>>, ApiError> {
    let now = Timestamp::now();
    let mut issuers = Vec::new();
    let mut missing = Vec::new();
    for issuer in app.issuers.iter() {
        let snap = app.store.snapshot(&issuer.key_id);
        let current = snap
            .as_ref()
            .is_some_and(|s| now < s.meta().crl.next_update);
        if !current {
            missing.push(match &snap {
                None => format!(
                    "{} ({}): no CRL loaded",
                    issuer.label(),
                    issuer.key_id_hex()
                ),
                Some(s) => format!(
                    "{} ({}): CRL stale since {}",
                    issuer.label(),
                    issuer.key_id_hex(),
                    s.meta().crl.next_update
                ),
            });
        }
        issuers.push(json!({
            "issuer": issuer.key_id_hex(),
            "aliases": issuer.aliases,
            "current": current,
            "crl_number": snap.as_ref().and_then(|s| s.meta().crl.crl_number).map(|n| n.to_string()),
            "next_update": snap.as_ref().map(|s| s.meta().crl.next_update.to_rfc3339()),
        }));
    }
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!("no current CRL for: {}", missing.join("; ")));
    }
    problems.extend(app.ocsp.expired_signers(now));
    // The shared state store is reported, and a replica joined with other
    // secrets is not ready. A Redis that does not answer leaves the
    // replica ready: every replica shares that one Redis, so taking them
    // out would stop status and OCSP (which need no state) everywhere,
    // while logins fail closed with 503 state_unavailable on their own.
    let (state, degraded) = match app.state.health().await {
        Ok(None) => (json!({"backend": "memory"}), false),
        Ok(Some(latency)) => (
            json!({"backend": "redis", "available": true, "latency_ms": latency.as_secs_f64() * 1e3}),
            false,
        ),
        Err(StateHealth::Conflict(e)) => {
            problems.push(format!("state store: {e}"));
            (
                json!({"backend": "redis", "available": false, "error": e}),
                true,
            )
        }
        Err(StateHealth::Unavailable(e)) => (
            json!({"backend": "redis", "available": false, "error": e}),
            true,
        ),
    };
    if !problems.is_empty() {
        return Err(ApiError::NotReady(problems.join("; ")));
    }
    let status = if degraded { "degraded" } else { "ready" };
    let body = json!({ "status": status, "issuers": issuers, "state": state });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

/// `GET /metrics`.
pub(crate) fn metrics(app: &App) -> Response<Full<Bytes>> {
    let text = app
        .metrics
        .render(&app.store, &app.issuers, Timestamp::now());
    response(
        StatusCode::OK,
        "application/openmetrics-text; version=1.0.0; charset=utf-8",
        text.into_bytes(),
    )
}
