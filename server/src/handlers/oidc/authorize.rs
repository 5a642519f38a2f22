//! The authorization endpoint (`GET`/`POST /authorize`), pushed requests
//! (`POST /par`, RFC 9126) and the browser's wait for the card
//! (`GET /authorize/wait/{pairing}`).

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{HeaderValue, SET_COOKIE};
use hyper::{Method, Request, Response, StatusCode};
use kakunin_oidc::discovery::PAR_PATH;
use kakunin_oidc::request::{AuthorizationRequest, ErrorCode, RedirectError, RequestError, Via};
use serde_json::json;

use super::{
    cookie, cookie_name, form_pairs, now_secs, oauth_error, page, provider, see_other, single,
    token, wants_json,
};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::limits;
use crate::provider::signing::{store_error, Signing};
use crate::provider::{Decided, PairingCode, Pending, PendingError, Provider, EXPIRED_HELD};

/// How long a pushed request's `request_uri` lives (RFC 9126 §2.2 suggests
/// a short time; the person is about to be sent to the login page).
const PAR_LIFETIME_SECS: u64 = 90;
const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// `GET /authorize?...` or `POST /authorize` with a form body.
pub(crate) async fn authorize(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let json = wants_json(req.headers());
    let pairs = if req.method() == Method::POST {
        let body = limits::read_body(req, &app.limits).await?;
        form_pairs(&body)
    } else {
        form_pairs(req.uri().query().unwrap_or("").as_bytes())
    };
    let pairs = match pairs {
        Ok(p) => p,
        Err(e) => return Ok(page::error(p, StatusCode::BAD_REQUEST, &e, json)),
    };
    let registry = p.clients();
    let parsed = match single(&pairs, "request_uri") {
        Err(e) => return Ok(page::error(p, StatusCode::BAD_REQUEST, &e, json)),
        Ok(Some(uri)) => match pushed(p, &pairs, uri).await {
            Ok(stored) => AuthorizationRequest::from_pairs(&stored, &registry, Via::Pushed),
            Err(e) => return Ok(page::error(p, StatusCode::BAD_REQUEST, &e, json)),
        },
        Ok(None) => AuthorizationRequest::from_pairs(&pairs, &registry, Via::FrontChannel),
    };
    let request = match parsed {
        Ok(r) => r,
        Err(RequestError::Page(e)) => {
            return Ok(page::error(
                p,
                StatusCode::BAD_REQUEST,
                &e.to_string(),
                json,
            ))
        }
        Err(RequestError::Redirect(r)) => return see_other(&r.location(p.issuer.as_str())),
    };
    let mut tx = None;
    if let Some(id) = &request.sign_transaction_id {
        let refused = match &p.signing {
            None => Some("sign_transaction_id: document signing is not configured here"),
            Some(_) => match Signing::open_for(&*p.store, id, &request.client_id, now_secs()).await
            {
                Ok(t) => {
                    tx = Some(t);
                    None
                }
                Err(Ok(why)) => Some(why),
                Err(Err(e)) => return Err(store_error(e)),
            },
        };
        if let Some(why) = refused {
            let r = RedirectError {
                redirect_uri: request.redirect_uri.clone(),
                error: ErrorCode::InvalidRequest,
                description: why.into(),
                state: Some(request.state.clone()),
            };
            return see_other(&r.location(p.issuer.as_str()));
        }
    }
    let created = Pending::create(&*p.store, &request, now_secs(), p.pending_lifetime)
        .await
        .map_err(pending_error)?;
    let client_name = p.client_name(&request.client_id);
    let mut resp = if json {
        let body = json!({
            "pairing_code": created.pairing.to_string(),
            "approval_url": approval_url(p, &created.pairing),
            "verification_code": created.pending.verification_code,
            "expires_at": kakunin_engine::Timestamp::from_unix(created.pending.expires_at as i64).to_rfc3339(),
            "wait_url": wait_url(p, &created.pairing),
        });
        json_response(StatusCode::OK, body.to_string().into_bytes())
    } else {
        page::login(
            p,
            &client_name,
            &created.pending,
            &created.pairing,
            tx.as_ref(),
        )
    };
    let cookie = format!(
        "{}={}; Path=/;{} HttpOnly; SameSite=Lax; Max-Age={}",
        cookie_name(p, created.pairing.as_str()),
        created.browser_secret,
        if p.is_https() { " Secure;" } else { "" },
        // As long as the request is held, expiry included.
        (p.pending_lifetime + EXPIRED_HELD).as_secs()
    );
    resp.headers_mut().append(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|_| ApiError::Internal)?,
    );
    Ok(resp)
}

/// The stored parameters of a pushed request, taken (single use,
/// RFC 9126 §7.3) and checked to belong to the `client_id` in the query.
async fn pushed(
    p: &Provider,
    pairs: &[(String, String)],
    uri: &str,
) -> Result<Vec<(String, String)>, String> {
    let id = uri
        .strip_prefix(REQUEST_URI_PREFIX)
        .filter(|id| !id.is_empty() && id.len() <= 64)
        .ok_or_else(|| {
            format!(
                "expected a request_uri from {PAR_PATH}, found {:?}",
                truncate(uri)
            )
        })?;
    let stored = p
        .store
        .take(&format!("par:{id}"))
        .await
        .map_err(|e| e.to_string())?
        .ok_or("expected a live request_uri, found an unknown, expired or used one (each is used once, within 90 s)")?;
    let stored: Vec<(String, String)> =
        serde_json::from_slice(&stored).map_err(|e| format!("stored request unreadable: {e}"))?;
    let query_client = single(pairs, "client_id")?;
    let stored_client = single(&stored, "client_id")?;
    if query_client != stored_client {
        return Err(format!(
            "expected client_id {:?} of the pushed request, found {:?}",
            stored_client.unwrap_or(""),
            query_client.map(truncate).unwrap_or_default()
        ));
    }
    Ok(stored)
}

fn truncate(s: &str) -> String {
    s.chars().take(80).collect()
}

/// `POST /par`: the client authenticates as at the token endpoint, and the
/// request is checked as the authorization endpoint would.
pub(crate) async fn par(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let pairs = match token::client_form(app, req).await? {
        Ok(pairs) => pairs,
        Err(refusal) => return Ok(refusal),
    };
    let registry = p.clients();
    let client = match token::authenticate_client(
        p,
        &registry,
        &pairs,
        &p.issuer.endpoint(PAR_PATH),
    )
    .await
    {
        Ok(c) => c,
        Err(e) => return Ok(e.into_response()),
    };
    let mut request: Vec<(String, String)> = pairs
        .into_iter()
        .filter(|(k, _)| k != "client_assertion" && k != "client_assertion_type")
        .collect();
    match single(&request, "client_id") {
        Ok(Some(id)) if id != client.client_id => {
            let d = format!(
                "expected client_id {:?}, the authenticated client, found {:?}",
                client.client_id,
                truncate(id)
            );
            return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &d));
        }
        Ok(Some(_)) => {}
        Ok(None) => request.push(("client_id".into(), client.client_id.clone())),
        Err(e) => return Ok(oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e)),
    }
    match AuthorizationRequest::from_pairs(&request, &registry, Via::Pushed) {
        Ok(_) => {}
        Err(RequestError::Page(e)) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                &e.to_string(),
            ))
        }
        Err(RequestError::Redirect(r)) => {
            return Ok(oauth_error(
                StatusCode::BAD_REQUEST,
                r.error.as_str(),
                &r.description,
            ))
        }
    }
    let id = kakunin_oidc::tokens::random_id(24).map_err(|_| ApiError::Internal)?;
    let record = serde_json::to_vec(&request).map_err(|_| ApiError::Internal)?;
    p.store
        .put(
            &format!("par:{id}"),
            record,
            std::time::Duration::from_secs(PAR_LIFETIME_SECS),
        )
        .await
        .map_err(ApiError::from)?;
    let body = json!({
        "request_uri": format!("{REQUEST_URI_PREFIX}{id}"),
        "expires_in": PAR_LIFETIME_SECS,
    });
    Ok(json_response(
        StatusCode::CREATED,
        body.to_string().into_bytes(),
    ))
}

/// `GET /authorize/wait/{pairing}`: JSON for the page's polling, or the
/// outcome itself for a navigation.
pub(crate) async fn wait(
    app: &App,
    req: &Request<Incoming>,
    pairing: &str,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let p = provider(app)?;
    let json = wants_json(req.headers());
    let expired = || {
        if json {
            json_response(StatusCode::NOT_FOUND, br#"{"state":"expired"}"#.to_vec())
        } else {
            page::message(
                p,
                StatusCode::NOT_FOUND,
                "期限切れです / This login request has expired",
                "ログインを求めたサイトからやり直してください。Start again from the site you were logging in to.",
                None,
            )
        }
    };
    let Some(code) = PairingCode::parse(pairing) else {
        return Ok(expired());
    };
    let Some(pending) = Pending::load(&*p.store, &code)
        .await
        .map_err(pending_error)?
    else {
        return Ok(expired());
    };
    let bound = cookie(req.headers(), &cookie_name(p, code.as_str()))
        .is_some_and(|secret| pending.is_browser(secret));
    if !bound {
        return Ok(if json {
            oauth_error(
                StatusCode::FORBIDDEN,
                "access_denied",
                "this login request belongs to the browser that started it",
            )
        } else {
            page::message(
                p,
                StatusCode::FORBIDDEN,
                "別のブラウザで始まったログインです / This login was started in another browser",
                "ログインを始めたブラウザで続けてください。Continue in the browser where the login started.",
                None,
            )
        });
    }
    if pending.decision.is_none() && pending.is_expired(now_secs()) {
        if json {
            return Ok(expired());
        }
        // Held a while past its expiry for this: the person learns it
        // expired, and the RP does when they go back (RFC 6749 §4.1.2.1).
        Pending::finish(&*p.store, &code)
            .await
            .map_err(pending_error)?;
        let back = pending.denied_location(p.issuer.as_str(), "the login request expired");
        return Ok(page::message(
            p,
            StatusCode::NOT_FOUND,
            "期限切れです / This login request has expired",
            "ログインを求めたサイトからやり直してください。Start again from the site you were logging in to.",
            Some(&back),
        ));
    }
    if json {
        let body = match &pending.decision {
            None => json!({"state": "pending"}),
            Some(Decided::Approved { .. }) => json!({"state": "approved"}),
            Some(Decided::Declined { .. }) => json!({"state": "declined"}),
            Some(Decided::Refused { message, .. }) => {
                json!({"state": "refused", "message": message})
            }
        };
        return Ok(json_response(StatusCode::OK, body.to_string().into_bytes()));
    }
    match &pending.decision {
        None => {
            let tx = super::approve::signing_documents(p, &pending)
                .await
                .ok()
                .flatten();
            Ok(page::login(
                p,
                &p.client_name(&pending.client_id),
                &pending,
                &code,
                tx.as_ref(),
            ))
        }
        Some(Decided::Approved { location }) | Some(Decided::Declined { location }) => {
            Pending::finish(&*p.store, &code)
                .await
                .map_err(pending_error)?;
            see_other(location)
        }
        Some(Decided::Refused { message, location }) => {
            Pending::finish(&*p.store, &code)
                .await
                .map_err(pending_error)?;
            Ok(page::message(
                p,
                StatusCode::OK,
                "ログインできませんでした / The login was refused",
                message,
                Some(location),
            ))
        }
    }
}

/// Where the card front end goes: `{issuer}/approve/{PAIRING}`.
pub(crate) fn approval_url(p: &Provider, pairing: &PairingCode) -> String {
    p.issuer.endpoint(&format!("/approve/{}", pairing.as_str()))
}

/// Where the browser waits: `{issuer}/authorize/wait/{PAIRING}`.
pub(crate) fn wait_url(p: &Provider, pairing: &PairingCode) -> String {
    p.issuer
        .endpoint(&format!("/authorize/wait/{}", pairing.as_str()))
}

pub(super) fn pending_error(e: PendingError) -> ApiError {
    match e {
        PendingError::State(s) => super::state_error(s),
        PendingError::AlreadyDecided => {
            ApiError::Conflict("this request was already decided".into())
        }
        PendingError::Random | PendingError::Corrupt(_) => ApiError::Internal,
    }
}
