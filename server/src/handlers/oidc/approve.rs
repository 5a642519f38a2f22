//! `GET`/`POST /approve/{pairing}`: the card front end's side of a login
//! (`kakunin card approve`). GET shows what the person is asked to
//! approve; POST brings the card's signatures (or a refusal) and decides
//! the pending request once.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use kakunin_engine::Timestamp;
use kakunin_oidc::scope::{Scope, Scopes};
use serde_json::json;

use super::authorize::pending_error;
use super::{is_content_type, provider};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::limits;
use crate::provider::signing::{store_error, SignTransaction, Signing};
use crate::provider::{approve, Approval, PairingCode, Pending, Provider};

/// A fact scope in both languages, as the login page and the card front
/// end show it.
pub(crate) fn fact_label(s: Scope) -> (&'static str, &'static str) {
    match s {
        Scope::Name => ("氏名", "name"),
        Scope::Address => ("住所", "address"),
        Scope::Birthdate => ("生年月日", "date of birth"),
        Scope::Gender => ("性別", "sex"),
        Scope::OpenId => ("ログイン", "login"),
        Scope::Sign => ("署名", "signing"),
    }
}

async fn undecided(p: &Provider, pairing: &str) -> Result<(PairingCode, Pending), ApiError> {
    let gone = || {
        ApiError::NoSuch(
            "no such login request: unknown, expired or already decided; start again from the site"
                .into(),
        )
    };
    let code = PairingCode::parse(pairing).ok_or_else(gone)?;
    let pending = Pending::load(&*p.store, &code)
        .await
        .map_err(pending_error)?
        .filter(|p| p.decision.is_none() && !p.is_expired(super::now_secs()))
        .ok_or_else(gone)?;
    Ok((code, pending))
}

/// The open sign transaction a pending request approves, if any; a
/// transaction that ended or expired is a request that cannot be
/// approved.
pub(crate) async fn signing_documents(
    p: &Provider,
    pending: &Pending,
) -> Result<Option<SignTransaction>, ApiError> {
    let Some(id) = &pending.sign_transaction_id else {
        return Ok(None);
    };
    match Signing::open_for(&*p.store, id, &pending.client_id, super::now_secs()).await {
        Ok(tx) => Ok(Some(tx)),
        Err(Ok(why)) => Err(ApiError::NoSuch(why.into())),
        Err(Err(e)) => Err(store_error(e)),
    }
}

/// `GET /approve/{pairing}`.
pub(crate) async fn show(app: &App, pairing: &str) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let (code, pending) = undecided(p, pairing).await?;
    let scopes = Scopes::parse(&pending.scope).map_err(|_| ApiError::Internal)?;
    let facts: Vec<_> = scopes
        .iter()
        .filter(|s| s.is_fact())
        .map(|s| {
            let (ja, en) = fact_label(s);
            json!({"scope": s.as_str(), "ja": ja, "en": en})
        })
        .collect();
    let client_name = p.client_name(&pending.client_id);
    let tx = signing_documents(p, &pending).await?;
    let mut facts = facts;
    if tx.as_ref().is_some_and(|t| t.facts) && facts.is_empty() {
        facts = [Scope::Name, Scope::Address, Scope::Birthdate, Scope::Gender]
            .into_iter()
            .map(|s| {
                let (ja, en) = fact_label(s);
                json!({"scope": s.as_str(), "ja": ja, "en": en})
            })
            .collect();
    }
    let body = json!({
        "pairing_code": code.to_string(),
        "client_id": pending.client_id,
        "client_name": client_name,
        "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        "facts": facts,
        "verification_code": pending.verification_code,
        "challenge": pending.challenge,
        "expires_at": Timestamp::from_unix(pending.expires_at as i64).to_rfc3339(),
        "needs_signing_certificate": scopes.asks_for_facts() || tx.is_some(),
        "sign_transaction_id": pending.sign_transaction_id,
        "documents": tx.as_ref().map(|t| t.documents.iter().map(|d| d.describe()).collect::<Vec<_>>()),
    });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
}

/// `POST /approve/{pairing}`.
pub(crate) async fn decide(
    app: &App,
    req: Request<Incoming>,
    pairing: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    if !is_content_type(req.headers(), "application/json") {
        return Err(ApiError::BadRequest(
            "expected Content-Type application/json".into(),
        ));
    }
    let body = limits::read_body(req, &app.limits).await?;
    let approval: Approval = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "expected {{\"origin\", \"cert\", \"signature\"[, \"sign_cert\", \"sign_signature\"][, \"document_signatures\"]}} or {{\"decline\": true}}: {e}"
        ))
    })?;
    let (code, pending) = undecided(p, pairing).await?;
    let client_id = pending.client_id.clone();
    let answer = approve(
        p,
        &app.verifiers,
        &app.store,
        &code,
        pending,
        &approval,
        Timestamp::now(),
    )
    .await?;
    app.metrics.login(if answer.accepted {
        "accepted"
    } else {
        answer.status
    });
    if answer.accepted {
        tracing::debug!(client = %client_id, "approval accepted");
    } else {
        tracing::info!(client = %client_id, status = answer.status, detail = answer.detail.as_deref().unwrap_or("-"), "approval refused");
    }
    Ok(json_response(
        StatusCode::OK,
        serde_json::to_vec(&answer).map_err(|_| ApiError::Internal)?,
    ))
}
