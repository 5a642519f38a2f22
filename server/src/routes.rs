//! The routing table, on top of the server's layers: path and method to a
//! handler in [`crate::handlers`], and the one place each answer is timed
//! and counted. No router crate: the table is small, and matching the raw
//! path ourselves means no normalisation (percent-decoding, slash merging)
//! happens behind our back.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response};

use crate::app::App;
use crate::error::ApiError;
use crate::handlers::oidc::{approve, authorize, discovery, sign, token, userinfo};
use crate::handlers::{admin, health, login, ocsp, oidc, status, verify};

/// A route, as named in metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Route {
    /// `GET /v1/status/{issuer}/{serial}`
    Status,
    /// `POST /v1/status`
    StatusBatch,
    /// `POST /v1/verify`
    Verify,
    /// `GET /v1/challenge`
    Challenge,
    /// `POST /v1/authenticate?challenge=C`
    Authenticate,
    /// `GET /healthz`
    Healthz,
    /// `GET /readyz`
    Readyz,
    /// `GET /metrics`
    Metrics,
    /// `POST /admin/reload`
    AdminReload,
    /// `POST /ocsp` (and `/ocsp/`, where AIA URLs with a slash lead)
    Ocsp,
    /// `GET /ocsp/{base64}`: the rest of the path, slashes and all, is the
    /// request (see `ocsp::get`).
    OcspGet,
    /// `GET /.well-known/openid-configuration`
    OidcMetadata,
    /// `GET /jwks`
    Jwks,
    /// `GET`/`POST /authorize`
    Authorize,
    /// `GET /authorize/wait/{pairing}`
    AuthorizeWait,
    /// `POST /par`
    Par,
    /// `POST /token`
    Token,
    /// `GET`/`POST /userinfo`
    Userinfo,
    /// `GET`/`POST /approve/{pairing}`
    Approve,
    /// `GET /assets/{name}`: the login page's script and style.
    Asset,
    /// `POST /v1/sign-transactions`
    SignTransactions,
    /// `GET /v1/sign-transactions/{id}`
    SignTransaction,
    /// `GET /v1/sign-transactions/{id}/result`
    SignResult,
    /// Anything else (one label, so scanners cannot blow up the metrics).
    Unmatched,
}

impl Route {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Route::Status => "status",
            Route::StatusBatch => "status_batch",
            Route::Verify => "verify",
            Route::Challenge => "challenge",
            Route::Authenticate => "authenticate",
            Route::Healthz => "healthz",
            Route::Readyz => "readyz",
            Route::Metrics => "metrics",
            Route::AdminReload => "admin_reload",
            Route::Ocsp => "ocsp",
            Route::OcspGet => "ocsp_get",
            Route::OidcMetadata => "oidc_metadata",
            Route::Jwks => "jwks",
            Route::Authorize => "authorize",
            Route::AuthorizeWait => "authorize_wait",
            Route::Par => "par",
            Route::Token => "token",
            Route::Userinfo => "userinfo",
            Route::Approve => "approve",
            Route::Asset => "asset",
            Route::SignTransactions => "sign_transactions",
            Route::SignTransaction => "sign_transaction",
            Route::SignResult => "sign_result",
            Route::Unmatched => "unmatched",
        }
    }

    /// The methods the route answers, as an `Allow` header value.
    fn allow(self) -> &'static str {
        match self {
            Route::Status
            | Route::Challenge
            | Route::Healthz
            | Route::Readyz
            | Route::Metrics
            | Route::OcspGet
            | Route::OidcMetadata
            | Route::Jwks
            | Route::Asset => "GET, HEAD",
            Route::AuthorizeWait | Route::SignTransaction | Route::SignResult => "GET",
            Route::StatusBatch
            | Route::Verify
            | Route::Authenticate
            | Route::AdminReload
            | Route::Ocsp
            | Route::Par
            | Route::Token
            | Route::SignTransactions => "POST",
            Route::Authorize | Route::Userinfo | Route::Approve => "GET, POST",
            Route::Unmatched => "",
        }
    }

    fn allows(self, method: &Method) -> bool {
        self.allow().split(", ").any(|m| m == method.as_str())
    }
}

/// What a path names besides its route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Params<'a> {
    /// Nothing.
    None,
    /// A status look-up's `{issuer}` and `{serial}`.
    Status(&'a str, &'a str),
    /// A login request's `{pairing}` code, as sent.
    Pairing(&'a str),
    /// An asset's `{name}`.
    Asset(&'a str),
    /// A sign transaction's `{id}`, as sent.
    Id(&'a str),
}

/// The route for a raw path, and what the path names.
pub(crate) fn match_path(path: &str) -> (Route, Params<'_>) {
    let one_segment = |rest: &'static str| {
        path.strip_prefix(rest)
            .filter(|s| !s.is_empty() && !s.contains('/'))
    };
    let route = match path {
        "/v1/status" => Route::StatusBatch,
        "/v1/verify" => Route::Verify,
        "/v1/challenge" => Route::Challenge,
        "/v1/authenticate" => Route::Authenticate,
        "/healthz" => Route::Healthz,
        "/readyz" => Route::Readyz,
        "/metrics" => Route::Metrics,
        "/admin/reload" => Route::AdminReload,
        "/ocsp" | "/ocsp/" => Route::Ocsp,
        "/.well-known/openid-configuration" => Route::OidcMetadata,
        "/jwks" => Route::Jwks,
        "/authorize" => Route::Authorize,
        "/par" => Route::Par,
        "/token" => Route::Token,
        "/userinfo" => Route::Userinfo,
        "/v1/sign-transactions" => Route::SignTransactions,
        _ if path.starts_with("/ocsp/") => Route::OcspGet,
        _ => {
            if let Some(code) = one_segment("/authorize/wait/") {
                return (Route::AuthorizeWait, Params::Pairing(code));
            }
            if let Some(code) = one_segment("/approve/") {
                return (Route::Approve, Params::Pairing(code));
            }
            if let Some(rest) = path.strip_prefix("/v1/sign-transactions/") {
                let (id, route) = match rest.strip_suffix("/result") {
                    Some(id) => (id, Route::SignResult),
                    None => (rest, Route::SignTransaction),
                };
                if !id.is_empty() && !id.contains('/') {
                    return (route, Params::Id(id));
                }
                return (Route::Unmatched, Params::None);
            }
            if let Some(name) = one_segment("/assets/") {
                return (Route::Asset, Params::Asset(name));
            }
            return match path
                .strip_prefix("/v1/status/")
                .and_then(|r| r.split_once('/'))
            {
                Some((issuer, serial))
                    if !issuer.is_empty() && !serial.is_empty() && !serial.contains('/') =>
                {
                    (Route::Status, Params::Status(issuer, serial))
                }
                _ => (Route::Unmatched, Params::None),
            };
        }
    };
    (route, Params::None)
}

/// The one entry point hyper calls: routes, answers, and counts the answer.
pub(crate) async fn handle(
    app: Arc<App>,
    peer: SocketAddr,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let started = Instant::now();
    let (route, params) = match_path(req.uri().path());
    let result = if route == Route::Unmatched {
        Err(ApiError::NotFound)
    } else if !route.allows(req.method()) {
        Err(ApiError::MethodNotAllowed(route.allow()))
    } else {
        match (route, params) {
            (Route::Status, Params::Status(issuer, serial)) => status::one(&app, issuer, serial),
            (Route::StatusBatch, _) => status::batch(&app, req).await,
            (Route::Verify, _) => verify::post(&app, req).await,
            (Route::Challenge, _) => login::challenge(&app),
            (Route::Authenticate, _) => login::authenticate(&app, req).await,
            (Route::Healthz, _) => Ok(health::healthz()),
            (Route::Readyz, _) => health::readyz(&app).await,
            (Route::Metrics, _) => Ok(health::metrics(&app)),
            (Route::AdminReload, _) => admin::reload(&app, peer).await,
            (Route::Ocsp, _) => ocsp::post(&app, req).await,
            (Route::OcspGet, _) => Ok(ocsp::get(&app, &req).await),
            (Route::OidcMetadata, _) => discovery::metadata(&app),
            (Route::Jwks, _) => discovery::jwks(&app),
            (Route::Authorize, _) => authorize::authorize(&app, req).await,
            (Route::AuthorizeWait, Params::Pairing(code)) => {
                authorize::wait(&app, &req, code).await
            }
            (Route::Par, _) => authorize::par(&app, req).await,
            (Route::Token, _) => token::token(&app, req).await,
            (Route::Userinfo, _) => userinfo::userinfo(&app, &req).await,
            (Route::Approve, Params::Pairing(code)) if req.method() == Method::GET => {
                approve::show(&app, code).await
            }
            (Route::Approve, Params::Pairing(code)) => {
                let code = code.to_owned();
                approve::decide(&app, req, &code).await
            }
            (Route::SignTransactions, _) => sign::register(&app, req).await,
            (Route::SignTransaction, Params::Id(id)) => sign::state(&app, &req, id).await,
            (Route::SignResult, Params::Id(id)) => sign::result(&app, &req, id).await,
            (Route::Asset, Params::Asset(name)) if app.provider.is_some() => {
                oidc::asset(name).ok_or(ApiError::NotFound)
            }
            _ => Err(ApiError::NotFound),
        }
    };
    let resp = result.unwrap_or_else(|e| {
        if e == ApiError::Internal {
            tracing::error!(route = route.as_str(), "internal error");
        }
        e.into_response()
    });
    let elapsed = started.elapsed();
    app.metrics.observe_request(
        route.as_str(),
        resp.status().as_u16(),
        elapsed.as_secs_f64(),
    );
    tracing::debug!(
        peer = %peer,
        route = route.as_str(),
        status = resp.status().as_u16(),
        micros = elapsed.as_micros() as u64,
        "request"
    );
    Ok(resp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_without_normalising() {
        assert_eq!(
            match_path("/v1/status/sign/01"),
            (Route::Status, Params::Status("sign", "01"))
        );
        assert_eq!(match_path("/v1/status"), (Route::StatusBatch, Params::None));
        assert_eq!(
            match_path("/approve/K7QM3XPA"),
            (Route::Approve, Params::Pairing("K7QM3XPA"))
        );
        assert_eq!(
            match_path("/authorize/wait/K7QM3XPA"),
            (Route::AuthorizeWait, Params::Pairing("K7QM3XPA"))
        );
        assert_eq!(match_path("/authorize").0, Route::Authorize);
        assert_eq!(
            match_path("/assets/login.js"),
            (Route::Asset, Params::Asset("login.js"))
        );
        assert_eq!(match_path("/healthz").0, Route::Healthz);
        assert_eq!(match_path("/ocsp").0, Route::Ocsp);
        assert_eq!(match_path("/ocsp/").0, Route::Ocsp);
        assert_eq!(match_path("/ocsp/MEIw%2Fa//b").0, Route::OcspGet);
        assert_eq!(match_path("/ocsp//MEIw").0, Route::OcspGet);
        for p in [
            "/",
            "/v1/status/",
            "/v1/status/sign",
            "/v1/status/sign/",
            "/v1/status//01",
            "/v1/status/sign/01/x",
            "/healthz/",
            "//healthz",
            "/v1/status/sign/01?x",
            "/approve/",
            "/approve/A/B",
            "/authorize/wait/",
            "/authorize/",
            "/assets/a/b",
            "/.well-known/openid-configuration/",
        ] {
            if p.ends_with("?x") {
                // a query never reaches match_path: hyper splits it off
                continue;
            }
            assert_eq!(match_path(p).0, Route::Unmatched, "{p}");
        }
    }

    #[test]
    fn methods_are_checked_per_route() {
        assert!(Route::Status.allows(&Method::GET));
        assert!(Route::Status.allows(&Method::HEAD));
        assert!(!Route::Status.allows(&Method::POST));
        assert!(Route::StatusBatch.allows(&Method::POST));
        assert!(!Route::StatusBatch.allows(&Method::GET));
        assert!(!Route::AdminReload.allows(&Method::GET));
        assert!(Route::Authorize.allows(&Method::POST));
        assert!(!Route::AuthorizeWait.allows(&Method::POST));
        assert!(!Route::Token.allows(&Method::GET));
    }
}
