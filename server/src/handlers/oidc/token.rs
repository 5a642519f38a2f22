//! `POST /token`: `authorization_code` with PKCE and `client_credentials`,
//! clients authenticated by `private_key_jwt` only (RFC 7523), errors as
//! RFC 6749 §5.2 says.

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::{Request, Response, StatusCode};
use kakunin_oidc::assertion::{self, AssertionError, Audience};
use kakunin_oidc::clients::{Client, ClientRegistry};
use kakunin_oidc::code::{self, CodeError, Redemption};
use kakunin_oidc::discovery::TOKEN_PATH;
use kakunin_oidc::scope::{Scope, Scopes};
use kakunin_oidc::state::StateError;
use kakunin_oidc::tokens::{token_digest, Login, ACCESS_TOKEN_TTL_SECS};
use serde_json::json;

use super::{form_pairs, is_content_type, now_secs, oauth_error, provider, single, OAuthError};
use crate::app::App;
use crate::error::ApiError;
use crate::http::json_response;
use crate::limits;
use crate::provider::Provider;

type Answer = Response<Full<Bytes>>;

/// Authenticates the client of a token or PAR request by its
/// `client_assertion` (audience: the issuer or `endpoint`). The error is
/// the answer to send: `invalid_client`, 401 (RFC 6749 §5.2).
pub(super) async fn authenticate_client<'r>(
    p: &Provider,
    registry: &'r ClientRegistry,
    pairs: &[(String, String)],
    endpoint: &str,
) -> Result<&'r Client, OAuthError> {
    let bad = OAuthError::invalid_request;
    let client_id = single(pairs, "client_id").map_err(bad)?;
    let kind = single(pairs, "client_assertion_type").map_err(bad)?;
    let jwt = single(pairs, "client_assertion").map_err(bad)?;
    let (Some(kind), Some(jwt)) = (kind, jwt) else {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "expected client authentication by private_key_jwt: client_assertion_type and client_assertion (RFC 7523 §2.2)",
        ));
    };
    let audience = Audience {
        issuer: p.issuer.as_str(),
        endpoint,
    };
    match assertion::authenticate(
        registry,
        client_id,
        kind,
        jwt,
        audience,
        now_secs(),
        &*p.store,
    )
    .await
    {
        Ok((client, _)) => Ok(client),
        Err(AssertionError::State(e)) => Err(unavailable(e)),
        Err(e) => {
            tracing::info!(error = %e, "client authentication refused");
            Err(OAuthError::new(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                e.to_string(),
            ))
        }
    }
}

/// A client that tried to authenticate with the `Authorization` header
/// (`client_secret_basic`, say) gets 401 `invalid_client` with a
/// `WWW-Authenticate` of its scheme (RFC 6749 §5.2, a MUST): kakunin takes
/// `private_key_jwt` only.
pub(super) fn http_authentication(headers: &hyper::HeaderMap) -> Option<Answer> {
    let value = headers.get(hyper::header::AUTHORIZATION)?.to_str().ok();
    let scheme = value
        .and_then(|v| v.split(' ').next())
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .unwrap_or("Basic");
    let mut resp = oauth_error(
        StatusCode::UNAUTHORIZED,
        "invalid_client",
        "expected client authentication by private_key_jwt (client_assertion in the body), found an Authorization header",
    );
    let challenge = format!("{scheme} realm=\"kakunin\"");
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        resp.headers_mut()
            .insert(hyper::header::WWW_AUTHENTICATE, v);
    }
    Some(resp)
}

/// The form a client posts to the token or PAR endpoint, or the answer
/// that refuses it: not a form, HTTP authentication tried, or a body that
/// does not decode.
pub(super) async fn client_form(
    app: &App,
    req: Request<Incoming>,
) -> Result<Result<Vec<(String, String)>, Answer>, ApiError> {
    if !is_content_type(req.headers(), "application/x-www-form-urlencoded") {
        return Ok(Err(oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "expected Content-Type application/x-www-form-urlencoded (RFC 6749 §4.1.3, RFC 9126 §2.1)",
        )));
    }
    if let Some(refusal) = http_authentication(req.headers()) {
        return Ok(Err(refusal));
    }
    let body = limits::read_body(req, &app.limits).await?;
    Ok(form_pairs(&body).map_err(|e| oauth_error(StatusCode::BAD_REQUEST, "invalid_request", &e)))
}

/// `POST /token`.
pub(crate) async fn token(app: &App, req: Request<Incoming>) -> Result<Answer, ApiError> {
    let p = provider(app)?;
    let pairs = match client_form(app, req).await? {
        Ok(pairs) => pairs,
        Err(refusal) => return Ok(refusal),
    };
    let registry = p.clients();
    let answer =
        match authenticate_client(p, &registry, &pairs, &p.issuer.endpoint(TOKEN_PATH)).await {
            Err(e) => Err(e),
            Ok(client) => match single(&pairs, "grant_type") {
                Ok(Some("authorization_code")) => authorization_code(p, client, &pairs).await,
                Ok(Some("client_credentials")) => client_credentials(p, client, &pairs),
                Ok(Some(other)) => Err(OAuthError::new(
                    StatusCode::BAD_REQUEST,
                    "unsupported_grant_type",
                    format!(
                        "expected grant_type authorization_code or client_credentials, found {:?}",
                        other.chars().take(40).collect::<String>()
                    ),
                )),
                Ok(None) => Err(OAuthError::invalid_request("expected a grant_type")),
                Err(e) => Err(OAuthError::invalid_request(e)),
            },
        };
    Ok(answer.unwrap_or_else(OAuthError::into_response))
}

fn tokens_answer(body: serde_json::Value) -> Answer {
    let mut resp = json_response(StatusCode::OK, body.to_string().into_bytes());
    resp.headers_mut()
        .insert("pragma", HeaderValue::from_static("no-cache"));
    resp
}

fn server_error(what: &str, e: impl std::fmt::Display) -> OAuthError {
    tracing::error!(error = %e, "{what}");
    OAuthError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "server_error",
        "internal error (logged on the server)",
    )
}

/// The store full or unreachable: 503 `temporarily_unavailable` (RFC 6749
/// §5.2 has no code for it; §4.1.2.1's is the closest), the detail saying
/// which.
fn unavailable(e: StateError) -> OAuthError {
    OAuthError::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "temporarily_unavailable",
        full_store(&e),
    )
}

/// What a full (or unreachable) state store means to the client, and to
/// the operator who reads it.
pub(super) fn full_store(e: &StateError) -> String {
    match e {
        StateError::Full { cap } => format!(
            "the provider holds its most live logins, codes and used assertions ({cap}); \
             try again shortly (operators: --max-state-entries)"
        ),
        other => other.to_string(),
    }
}

async fn authorization_code(
    p: &Provider,
    client: &Client,
    pairs: &[(String, String)],
) -> Result<Answer, OAuthError> {
    let need = |name: &str| -> Result<&str, OAuthError> {
        single(pairs, name)
            .map_err(OAuthError::invalid_request)?
            .ok_or_else(|| OAuthError::invalid_request(format!("expected {name}")))
    };
    let (code_value, redirect_uri, verifier) =
        (need("code")?, need("redirect_uri")?, need("code_verifier")?);
    let redemption = Redemption {
        client_id: &client.client_id,
        redirect_uri,
        code_verifier: verifier,
    };
    let store = &*p.store;
    let (grant, gid) = match code::redeem(store, code_value, redemption).await {
        Ok(g) => g,
        Err(CodeError::State(e)) => return Err(unavailable(e)),
        Err(e @ (CodeError::Random(_) | CodeError::Corrupt(_))) => {
            return Err(server_error("redeeming a code", e))
        }
        Err(e) => {
            tracing::info!(client = %client.client_id, error = %e, "code refused");
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "invalid_grant",
                e.to_string(),
            ));
        }
    };
    let scopes = Scopes::parse(&grant.scope).map_err(|e| server_error("stored scope", e))?;
    let now = now_secs();
    let login = Login {
        sub: &grant.sub,
        nonce: &grant.nonce,
        auth_time: grant.auth_time,
        acr: grant.acr.as_deref(),
    };
    let id_token = p
        .tokens
        .id_token(client, &login, now)
        .map_err(|e| server_error("signing an ID token", e))?;
    let (access_token, _) = p
        .tokens
        .access_token(&grant.sub, &client.client_id, scopes, Some(&gid), now)
        .map_err(|e| server_error("signing an access token", e))?;
    // What userinfo answers for this grant's access token: `sub` and the
    // consented facts, kept as long as the token lives, with the token's
    // digest (userinfo checks the token against it).
    let mut userinfo = grant.facts;
    userinfo.insert("sub".into(), json!(grant.sub));
    let record = serde_json::to_vec(&json!({
        "at": token_digest(&access_token),
        "claims": userinfo,
        "sign_transaction_id": grant.sign_transaction_id,
    }))
    .map_err(|e| server_error("userinfo", e))?;
    store
        .put(
            &format!("userinfo:{gid}"),
            record,
            std::time::Duration::from_secs(ACCESS_TOKEN_TTL_SECS),
        )
        .await
        .map_err(unavailable)?;
    Ok(tokens_answer(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL_SECS,
        "id_token": id_token,
        "scope": scopes.to_string(),
    })))
}

/// Client credentials (RFC 6749 §4.4), for the signing API: only the
/// client's non-login scopes (`sign`) can be granted this way.
fn client_credentials(
    p: &Provider,
    client: &Client,
    pairs: &[(String, String)],
) -> Result<Answer, OAuthError> {
    let bad_scope = |d: String| OAuthError::new(StatusCode::BAD_REQUEST, "invalid_scope", d);
    let mut allowed = Scopes::default();
    if client.scopes.contains(Scope::Sign) {
        allowed.insert(Scope::Sign);
    }
    let asked = match single(pairs, "scope") {
        Err(e) => return Err(OAuthError::invalid_request(e)),
        Ok(None) => allowed,
        Ok(Some(s)) => Scopes::parse(s).map_err(|e| bad_scope(e.to_string()))?,
    };
    if !asked.is_subset(allowed) {
        return Err(bad_scope(format!(
            "expected scopes among {:?} for client credentials, found {:?}",
            allowed.to_string(),
            asked.difference(allowed).to_string()
        )));
    }
    let (access_token, _) = p
        .tokens
        .access_token(
            &client.client_id,
            &client.client_id,
            asked,
            None,
            now_secs(),
        )
        .map_err(|e| server_error("signing an access token", e))?;
    Ok(tokens_answer(json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_TTL_SECS,
        "scope": asked.to_string(),
    })))
}
