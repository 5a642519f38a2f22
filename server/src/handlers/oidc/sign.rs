//! The signing API (docs/signing.md): `POST /v1/sign-transactions` (a
//! client-credentials token), `GET /v1/sign-transactions/{id}` (its
//! state, same token) and `GET /v1/sign-transactions/{id}/result` (the
//! access token of the login that approved it).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use kakunin_engine::Timestamp;
use kakunin_oidc::tokens::AccessTokenClaims;
use serde_json::json;

use super::bearer::{self, Refused};
use super::{is_content_type, now_secs, provider};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::limits;
use crate::provider::signing::{store_error, RegisterFailure, Settled, SignTransaction, Signing};
use crate::provider::Provider;

/// The provider and its signing service, or 404 saying how to turn it on.
fn signing(app: &App) -> Result<(&Provider, &Signing), ApiError> {
    let p = provider(app)?;
    let s = p.signing.as_ref().ok_or_else(|| {
        ApiError::NoSuch(
            "document signing is not configured: kakunin serve needs --evidence FILE and \
             --evidence-key KEY (docs/signing.md)"
                .into(),
        )
    })?;
    Ok((p, s))
}

fn no_such() -> ApiError {
    ApiError::NoSuch("no such sign transaction (unknown or expired)".into())
}

fn rfc3339(secs: u64) -> String {
    Timestamp::from_unix(secs as i64).to_rfc3339()
}

/// Answers that hold signatures or facts are not for caches (RFC 9111
/// §5.2.2.3).
fn no_store(mut resp: Response<Full<Bytes>>) -> Response<Full<Bytes>> {
    resp.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

/// The claims of the client-credentials token (scope `sign`) in
/// `headers`, or the answer to a request without one.
fn client_token(p: &Provider, headers: &hyper::HeaderMap) -> Result<AccessTokenClaims, Refused> {
    let token = bearer::token(headers).ok_or(Refused::Missing)?;
    bearer::client_credentials(p, token)
}

/// `POST /v1/sign-transactions`.
pub(crate) async fn register(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let (p, signing) = signing(app)?;
    let claims = match client_token(p, req.headers()) {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal.response()),
    };
    let registry = p.clients();
    let Some(client) = registry.get(&claims.client_id) else {
        return Ok(bearer::refuse(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "the client of this access token is no longer registered",
        ));
    };
    if !is_content_type(req.headers(), "application/json") {
        return Err(ApiError::BadRequest(
            "expected Content-Type application/json".into(),
        ));
    }
    let body = limits::read_body(req, &app.limits).await?;
    let now = now_secs();
    let tx = signing
        .register(&*p.store, client, &body, now)
        .await
        .map_err(|e| match e {
            RegisterFailure::Store(e) => store_error(e),
            RegisterFailure::Random => ApiError::Internal,
            e => ApiError::BadRequest(e.to_string()),
        })?;
    tracing::info!(client = %tx.client_id, id = %tx.id, documents = tx.documents.len(), "sign transaction registered");
    let body = json!({
        "sign_transaction_id": tx.id,
        "expires_at": rfc3339(tx.expires_at),
        "expires_in": tx.expires_at - now,
        "documents": tx.documents.len(),
    });
    Ok(no_store(json_response(
        StatusCode::CREATED,
        body.to_string().into_bytes(),
    )))
}

/// `GET /v1/sign-transactions/{id}`: the state of one of the client's
/// transactions (another client's is "no such").
pub(crate) async fn state(
    app: &App,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let (p, _) = signing(app)?;
    let claims = match client_token(p, req.headers()) {
        Ok(c) => c,
        Err(refusal) => return Ok(refusal.response()),
    };
    let tx = SignTransaction::load(&*p.store, id)
        .await
        .map_err(store_error)?
        .filter(|t| t.client_id == claims.client_id)
        .ok_or_else(no_such)?;
    let mut body = json!({
        "sign_transaction_id": tx.id,
        "expires_at": rfc3339(tx.expires_at),
        "documents": tx.documents.len(),
    });
    match &tx.settled {
        None if tx.is_expired(now_secs()) => body["status"] = json!("expired"),
        None => body["status"] = json!("open"),
        Some(Settled::Signed { evidence_id, .. }) => {
            body["status"] = json!("signed");
            body["evidence_id"] = json!(evidence_id);
        }
        Some(Settled::Refused {
            reason,
            evidence_id,
        }) => {
            body["status"] = json!("refused");
            body["reason"] = json!(reason);
            body["evidence_id"] = json!(evidence_id);
        }
    }
    Ok(no_store(json_response(
        StatusCode::OK,
        body.to_string().into_bytes(),
    )))
}

/// `GET /v1/sign-transactions/{id}/result`: with the access token of the
/// login that approved it, by the client that registered it; a JWE when
/// the client registered an encryption key.
pub(crate) async fn result(
    app: &App,
    req: &Request<Incoming>,
    id: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let (p, _) = signing(app)?;
    let Some(token) = bearer::token(req.headers()) else {
        return Ok(bearer::missing());
    };
    let (claims, record) = match bearer::login_record(p, token).await? {
        Ok(found) => found,
        Err(refusal) => return Ok(refusal.response()),
    };
    if record["sign_transaction_id"].as_str() != Some(id) {
        return Ok(bearer::refuse(
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            "expected the access token of the login that approved this sign transaction, found another",
        ));
    }
    let tx = SignTransaction::load(&*p.store, id)
        .await
        .map_err(store_error)?
        .filter(|t| t.client_id == claims.client_id)
        .ok_or_else(no_such)?;
    let Some(Settled::Signed { result, .. }) = &tx.settled else {
        return Err(no_such());
    };
    let json = result.to_string().into_bytes();
    let registry = p.clients();
    let key = registry
        .get(&tx.client_id)
        .and_then(|c| c.encryption_key.as_ref());
    let Some(key) = key else {
        return Ok(no_store(json_response(StatusCode::OK, json)));
    };
    let jwe = kakunin_oidc::jwe::encrypt(key, &json, Some("JSON")).map_err(|e| {
        tracing::error!(error = %e, client = %tx.client_id, "encrypting a sign transaction's result");
        ApiError::Internal
    })?;
    let mut resp = Response::new(Full::new(Bytes::from(jwe)));
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/jose"));
    Ok(no_store(resp))
}
