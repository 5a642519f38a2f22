//! The authorization request (RFC 6749 §4.1.1, OIDC Core §3.1.2.1) as the
//! Digital Agency shapes it: `response_type=code`, `scope` with `openid`,
//! `state` and `nonce` required, PKCE `S256` required.
//!
//! Errors come in two kinds (RFC 6749 §4.1.2.1): while the client or its
//! redirect URI is in doubt, the error is shown to the person
//! ([`RequestError::Page`]) and *never* redirected — redirecting to an
//! unchecked URI makes an open redirector (RFC 9700 §4.11). Once both are
//! known good, errors go back to the client ([`RequestError::Redirect`])
//! with `error`, `error_description`, `state` and `iss` (RFC 9207).

use std::collections::HashMap;

use thiserror::Error;

use crate::clients::{is_valid_client_id, ClientRegistry};
use crate::pkce;
use crate::scope::{Scope, Scopes};

/// The longest query string or form body accepted, in bytes.
pub const MAX_REQUEST_LEN: usize = 8 * 1024;
/// The longest `redirect_uri`, in characters.
pub const MAX_REDIRECT_URI_LEN: usize = 2000;
/// The longest `claims` parameter (OIDC Core §5.5), in bytes.
pub const MAX_CLAIMS_LEN: usize = 2048;

/// How the request arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// In the browser's query string at the authorization endpoint.
    FrontChannel,
    /// Pushed by the authenticated client to the PAR endpoint (RFC 9126).
    Pushed,
}

/// An error code of RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6 or RFC 9126.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `invalid_request`
    InvalidRequest,
    /// `unauthorized_client`
    UnauthorizedClient,
    /// `access_denied`
    AccessDenied,
    /// `unsupported_response_type`
    UnsupportedResponseType,
    /// `invalid_scope`
    InvalidScope,
    /// `server_error`
    ServerError,
    /// `temporarily_unavailable`
    TemporarilyUnavailable,
    /// `login_required` (OIDC Core §3.1.2.6): `prompt=none`, and kakunin
    /// has no session to log in silently with.
    LoginRequired,
    /// `request_not_supported` (OIDC Core §3.1.2.6): a `request` object.
    RequestNotSupported,
    /// `invalid_request_uri` (OIDC Core §3.1.2.6).
    InvalidRequestUri,
}

impl ErrorCode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidRequest => "invalid_request",
            ErrorCode::UnauthorizedClient => "unauthorized_client",
            ErrorCode::AccessDenied => "access_denied",
            ErrorCode::UnsupportedResponseType => "unsupported_response_type",
            ErrorCode::InvalidScope => "invalid_scope",
            ErrorCode::ServerError => "server_error",
            ErrorCode::TemporarilyUnavailable => "temporarily_unavailable",
            ErrorCode::LoginRequired => "login_required",
            ErrorCode::RequestNotSupported => "request_not_supported",
            ErrorCode::InvalidRequestUri => "invalid_request_uri",
        }
    }
}

/// An error shown on the provider's own page, never redirected.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PageError {
    /// The query is longer than [`MAX_REQUEST_LEN`].
    #[error("expected a request of at most {MAX_REQUEST_LEN} bytes, found {0}")]
    TooLong(usize),
    /// The query is not `application/x-www-form-urlencoded` UTF-8.
    #[error("expected a URL-encoded query, found one that does not decode: {0}")]
    Malformed(String),
    /// `client_id` or `redirect_uri` given more than once (RFC 6749 §3.1).
    #[error("expected {0} once, found it more than once")]
    Repeated(&'static str),
    /// `client_id` missing or not `[0-9a-zA-Z]{1,255}`.
    #[error("expected a client_id of 1-255 characters of [0-9a-zA-Z], found {0}")]
    BadClientId(String),
    /// No such client.
    #[error("expected a registered client, found unknown client_id {0:?}")]
    UnknownClient(String),
    /// `redirect_uri` missing (OIDC Core §3.1.2.1 requires it).
    #[error("expected a redirect_uri, found none")]
    MissingRedirectUri,
    /// `redirect_uri` is not, byte for byte, one the client registered.
    #[error("expected a redirect_uri registered for client {client_id:?} (exact match), found {found:?}")]
    RedirectUriMismatch {
        /// The client.
        client_id: String,
        /// The URI sent (truncated).
        found: String,
    },
}

/// An error to send back to the client's (verified) redirect URI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedirectError {
    /// The verified redirect URI.
    pub redirect_uri: String,
    /// The error code.
    pub error: ErrorCode,
    /// A human-readable description (ASCII, RFC 6749 §4.1.2.1).
    pub description: String,
    /// The request's `state`, when it was valid.
    pub state: Option<String>,
}

impl RedirectError {
    /// The `Location` for the error response: `error`,
    /// `error_description`, `state` (when the request had a valid one) and
    /// `iss` (RFC 9207 §2) appended to the redirect URI's query.
    pub fn location(&self, issuer: &str) -> String {
        let mut params = vec![
            ("error", self.error.as_str()),
            ("error_description", self.description.as_str()),
        ];
        if let Some(s) = &self.state {
            params.push(("state", s));
        }
        params.push(("iss", issuer));
        append_query(&self.redirect_uri, &params)
    }
}

/// Why an authorization request was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum RequestError {
    /// Show on the error page; do not redirect.
    #[error("{0}")]
    Page(#[from] PageError),
    /// Redirect to the client with the error.
    #[error("{}: {}", .0.error.as_str(), .0.description)]
    Redirect(RedirectError),
}

/// The success response's `Location`: `code`, `state` and `iss`
/// (RFC 6749 §4.1.2, RFC 9207 §2).
pub fn success_location(redirect_uri: &str, code: &str, state: &str, issuer: &str) -> String {
    append_query(
        redirect_uri,
        &[("code", code), ("state", state), ("iss", issuer)],
    )
}

/// RFC 6749 §3.1.2: a registered URI's own query is kept; ours is added.
fn append_query(uri: &str, params: &[(&str, &str)]) -> String {
    let encoded = serde_urlencoded::to_string(params).unwrap_or_default();
    let sep = if !uri.contains('?') {
        "?"
    } else if uri.ends_with('?') || uri.ends_with('&') {
        ""
    } else {
        "&"
    };
    format!("{uri}{sep}{encoded}")
}

/// A valid authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizationRequest {
    /// The client.
    pub client_id: String,
    /// The verified redirect URI.
    pub redirect_uri: String,
    /// The scopes asked for (within what the client may ask).
    pub scopes: Scopes,
    /// `state`, 1-255 printable ASCII.
    pub state: String,
    /// `nonce`, 1-255 printable ASCII.
    pub nonce: String,
    /// The PKCE `S256` challenge.
    pub code_challenge: String,
    /// `acr_values`, in order.
    pub acr_values: Vec<String>,
    /// `prompt` values (`login`, `consent`, `select_account`); `none` is
    /// refused with `login_required`.
    pub prompt: Vec<String>,
    /// `sign_transaction_id` (a UUID), with the `sign` scope.
    pub sign_transaction_id: Option<String>,
    /// The `claims` parameter (OIDC Core §5.5), a JSON object.
    pub claims: Option<serde_json::Value>,
}

fn printable(s: &str, max: usize) -> bool {
    (1..=max).contains(&s.len()) && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// `8-4-4-4-12` hex digits (RFC 9562 §4).
fn is_uuid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

impl AuthorizationRequest {
    /// Parses a query string (without the `?`) or a PAR form body.
    pub fn parse_query(
        query: &str,
        registry: &ClientRegistry,
        via: Via,
    ) -> Result<AuthorizationRequest, RequestError> {
        if query.len() > MAX_REQUEST_LEN {
            return Err(PageError::TooLong(query.len()).into());
        }
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| PageError::Malformed(e.to_string()))?;
        AuthorizationRequest::from_pairs(&pairs, registry, via)
    }

    /// Checks decoded parameters. Unknown parameters are ignored (RFC 6749
    /// §3.1); a known one given twice is refused.
    pub fn from_pairs(
        pairs: &[(String, String)],
        registry: &ClientRegistry,
        via: Via,
    ) -> Result<AuthorizationRequest, RequestError> {
        let mut params: HashMap<&str, Vec<&str>> = HashMap::new();
        for (k, v) in pairs {
            params.entry(k.as_str()).or_default().push(v.as_str());
        }
        let once = |name: &'static str| param_once(&params, name);

        // While the client and redirect URI are in doubt: the error page.
        let client_id = once("client_id")
            .map_err(PageError::Repeated)?
            .unwrap_or("");
        if !is_valid_client_id(client_id) {
            return Err(PageError::BadClientId(format!(
                "{:?}",
                client_id.chars().take(64).collect::<String>()
            ))
            .into());
        }
        let client = registry
            .get(client_id)
            .ok_or_else(|| PageError::UnknownClient(client_id.into()))?;
        let redirect_uri = once("redirect_uri")
            .map_err(PageError::Repeated)?
            .ok_or(PageError::MissingRedirectUri)?;
        if redirect_uri.len() > MAX_REDIRECT_URI_LEN || !client.has_redirect_uri(redirect_uri) {
            return Err(PageError::RedirectUriMismatch {
                client_id: client_id.into(),
                found: redirect_uri.chars().take(200).collect(),
            }
            .into());
        }

        // From here on, errors go back to the client. `state` first, so that
        // every later error can carry it.
        let state_param = once("state");
        let valid_state = match state_param {
            Ok(Some(s)) if printable(s, 255) => Some(s.to_owned()),
            _ => None,
        };
        let fail = |error: ErrorCode, description: String| {
            RequestError::Redirect(RedirectError {
                redirect_uri: redirect_uri.into(),
                error,
                description,
                state: valid_state.clone(),
            })
        };
        let invalid = |d: String| fail(ErrorCode::InvalidRequest, d);
        let get = |name: &'static str| {
            once(name).map_err(|n| invalid(format!("expected {n} once, found it repeated")))
        };

        if get("request")?.is_some() {
            return Err(fail(
                ErrorCode::RequestNotSupported,
                "request objects are not supported; use PAR".into(),
            ));
        }
        if get("request_uri")?.is_some() {
            return Err(match via {
                // RFC 9126 §2.1: a pushed request must not itself refer to one.
                Via::Pushed => {
                    invalid("expected no request_uri in a pushed request (RFC 9126 §2.1)".into())
                }
                Via::FrontChannel => fail(
                    ErrorCode::InvalidRequestUri,
                    "request_uri must be resolved before the request is parsed".into(),
                ),
            });
        }
        if via == Via::FrontChannel && client.require_par {
            return Err(invalid("expected a pushed authorization request: this client is registered with require_par (RFC 9126 §6)".into()));
        }
        match state_param {
            Ok(Some(_)) if valid_state.is_some() => {}
            Ok(Some(s)) => {
                return Err(invalid(format!(
                    "expected state of 1-255 printable ASCII characters, found {} bytes",
                    s.len()
                )))
            }
            Ok(None) => return Err(invalid("expected a state, found none".into())),
            Err(n) => return Err(invalid(format!("expected {n} once, found it repeated"))),
        }
        match get("response_type")? {
            Some("code") => {}
            None => return Err(invalid("expected response_type=code, found none".into())),
            Some(other) => {
                return Err(fail(
                    ErrorCode::UnsupportedResponseType,
                    format!(
                        "expected response_type=code (authorization code flow only), found {:?}",
                        truncate(other)
                    ),
                ))
            }
        }
        match get("response_mode")? {
            None | Some("query") => {}
            Some(other) => {
                return Err(invalid(format!(
                    "expected response_mode query, found {:?}",
                    truncate(other)
                )))
            }
        }
        let scope = get("scope")?
            .ok_or_else(|| invalid("expected a scope with openid, found none".into()))?;
        if scope.len() > 255 {
            return Err(fail(
                ErrorCode::InvalidScope,
                format!(
                    "expected a scope of at most 255 bytes, found {}",
                    scope.len()
                ),
            ));
        }
        let scopes =
            Scopes::parse(scope).map_err(|e| fail(ErrorCode::InvalidScope, e.to_string()))?;
        if !scopes.contains(Scope::OpenId) {
            return Err(fail(
                ErrorCode::InvalidScope,
                format!("expected openid among the scopes (OIDC Core §3.1.2.1), found {scope:?}"),
            ));
        }
        if !scopes.is_subset(client.scopes) {
            return Err(fail(
                ErrorCode::InvalidScope,
                format!(
                    "expected scopes this client is registered for ({}), found also {}",
                    client.scopes,
                    scopes.difference(client.scopes)
                ),
            ));
        }
        let nonce = match get("nonce")? {
            Some(n) if printable(n, 255) => n.to_owned(),
            Some(n) => {
                return Err(invalid(format!(
                    "expected a nonce of 1-255 printable ASCII characters, found {} bytes",
                    n.len()
                )))
            }
            None => return Err(invalid("expected a nonce, found none".into())),
        };
        // RFC 7636 §4.3 and §4.4.1, with S256 required (RFC 9700 §2.1.1).
        match get("code_challenge_method")? {
            Some("S256") => {}
            Some("plain") => {
                return Err(invalid(
                    "expected code_challenge_method S256, found plain (not allowed)".into(),
                ))
            }
            Some(other) => {
                return Err(invalid(format!(
                    "expected code_challenge_method S256, found {:?}",
                    truncate(other)
                )))
            }
            None => {
                return Err(invalid(
                    "expected code_challenge_method S256 (PKCE is required), found none".into(),
                ))
            }
        }
        let code_challenge = get("code_challenge")?.ok_or_else(|| {
            invalid("expected a code_challenge (PKCE is required), found none".into())
        })?;
        pkce::check_challenge(code_challenge).map_err(|e| invalid(e.to_string()))?;

        let words = |name: &'static str, max: usize| -> Result<Vec<String>, RequestError> {
            match get(name)? {
                None => Ok(Vec::new()),
                Some(v) if printable(v, max) && v.split(' ').all(|w| !w.is_empty()) => Ok(v.split(' ').map(String::from).collect()),
                Some(v) => Err(invalid(format!("expected {name} as space-separated printable ASCII of at most {max} bytes, found {:?}", truncate(v)))),
            }
        };
        let acr_values = words("acr_values", 255)?;
        let prompt = words("prompt", 64)?;
        for p in &prompt {
            if !matches!(p.as_str(), "none" | "login" | "consent" | "select_account") {
                return Err(invalid(format!(
                    "expected prompt values none, login, consent or select_account, found {:?}",
                    truncate(p)
                )));
            }
        }
        if prompt.iter().any(|p| p == "none") {
            if prompt.len() > 1 {
                return Err(invalid(
                    "expected prompt=none alone (OIDC Core §3.1.2.1)".into(),
                ));
            }
            return Err(fail(
                ErrorCode::LoginRequired,
                "every login needs the card; prompt=none cannot be satisfied".into(),
            ));
        }
        let sign_transaction_id = match get("sign_transaction_id")? {
            Some(id) if is_uuid(id) => Some(id.to_ascii_lowercase()),
            Some(id) => {
                return Err(invalid(format!(
                    "expected sign_transaction_id to be a UUID, found {:?}",
                    truncate(id)
                )))
            }
            None => None,
        };
        if sign_transaction_id.is_some() != scopes.contains(Scope::Sign) {
            return Err(invalid("expected the sign scope and a sign_transaction_id together, found one without the other".into()));
        }
        let claims = match get("claims")? {
            None => None,
            Some(c) if c.len() > MAX_CLAIMS_LEN => {
                return Err(invalid(format!(
                    "expected claims of at most {MAX_CLAIMS_LEN} bytes, found {}",
                    c.len()
                )))
            }
            Some(c) => match serde_json::from_str::<serde_json::Value>(c) {
                Ok(v @ serde_json::Value::Object(_)) => Some(v),
                _ => {
                    return Err(invalid(
                        "expected claims to be a JSON object (OIDC Core §5.5)".into(),
                    ))
                }
            },
        };
        Ok(AuthorizationRequest {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            scopes,
            state: valid_state.unwrap_or_default(),
            nonce,
            code_challenge: code_challenge.into(),
            acr_values,
            prompt,
            sign_transaction_id,
            claims,
        })
    }
}

/// The value of a parameter that may appear at most once (RFC 6749 §3.1);
/// `Err(name)` when repeated.
fn param_once<'a>(
    params: &HashMap<&str, Vec<&'a str>>,
    name: &'static str,
) -> Result<Option<&'a str>, &'static str> {
    match params.get(name).map(Vec::as_slice) {
        None | Some([]) => Ok(None),
        Some([v]) => Ok(Some(*v)),
        Some(_) => Err(name),
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clients::tests::demo_registry;

    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    fn base() -> Vec<(String, String)> {
        [
            ("response_type", "code"),
            ("client_id", "demo"),
            ("redirect_uri", "https://rp.example/cb"),
            ("scope", "openid name"),
            ("state", "st-1"),
            ("nonce", "n-1"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    fn with(edit: &[(&str, Option<&str>)]) -> Result<AuthorizationRequest, RequestError> {
        let mut p = base();
        for (k, v) in edit {
            p.retain(|(n, _)| n != k);
            if let Some(v) = v {
                p.push((k.to_string(), v.to_string()));
            }
        }
        AuthorizationRequest::from_pairs(&p, &demo_registry(), Via::FrontChannel)
    }

    fn page(edit: &[(&str, Option<&str>)]) -> PageError {
        match with(edit) {
            Err(RequestError::Page(p)) => p,
            other => panic!("expected an error page, found {other:?}"),
        }
    }

    fn redirect(edit: &[(&str, Option<&str>)]) -> RedirectError {
        match with(edit) {
            Err(RequestError::Redirect(r)) => r,
            other => panic!("expected a redirect, found {other:?}"),
        }
    }

    #[test]
    fn a_good_request() {
        let r = with(&[
            ("acr_values", Some("aal3 crl")),
            ("unknown", Some("ignored")),
        ])
        .unwrap();
        assert_eq!(r.scopes.to_string(), "openid name");
        assert_eq!((r.state.as_str(), r.nonce.as_str()), ("st-1", "n-1"));
        assert_eq!(r.acr_values, ["aal3", "crl"]);
        let q = serde_urlencoded::to_string(base()).unwrap();
        assert_eq!(
            AuthorizationRequest::parse_query(&q, &demo_registry(), Via::FrontChannel)
                .unwrap()
                .client_id,
            "demo"
        );
    }

    #[test]
    fn client_and_redirect_errors_are_never_redirected() {
        assert!(matches!(
            page(&[("client_id", None)]),
            PageError::BadClientId(_)
        ));
        assert!(matches!(
            page(&[("client_id", Some("de-mo"))]),
            PageError::BadClientId(_)
        ));
        assert!(matches!(
            page(&[("client_id", Some("nobody"))]),
            PageError::UnknownClient(_)
        ));
        assert!(matches!(
            page(&[("client_id", Some("DEMO"))]),
            PageError::UnknownClient(_)
        ));
        assert!(matches!(
            page(&[("redirect_uri", None)]),
            PageError::MissingRedirectUri
        ));
        for trick in [
            "https://rp.example/cb/",
            "https://rp.example/cb?x=1",
            "https://rp.example/cbx",
            "https://rp.example/c",
            "https://RP.example/cb",
            "HTTPS://rp.example/cb",
            "https://rp.example/CB",
            "https://rp.example/cb#",
            "https://rp.example/%63b",
            "https://rp.example.evil/cb",
            "https://rp.example:443/cb",
            " https://rp.example/cb",
        ] {
            assert!(
                matches!(
                    page(&[("redirect_uri", Some(trick))]),
                    PageError::RedirectUriMismatch { .. }
                ),
                "{trick}"
            );
        }
        // Registered with its own query: exact match only.
        assert!(with(&[("redirect_uri", Some("https://rp.example/cb2?x=1"))]).is_ok());
        assert!(matches!(
            page(&[("redirect_uri", Some("https://rp.example/cb2?x=1&y=2"))]),
            PageError::RedirectUriMismatch { .. }
        ));
        // Repeated client_id or redirect_uri.
        let mut p = base();
        p.push(("redirect_uri".into(), "https://evil.example/".into()));
        assert_eq!(
            AuthorizationRequest::from_pairs(&p, &demo_registry(), Via::FrontChannel),
            Err(RequestError::Page(PageError::Repeated("redirect_uri")))
        );
        // Bad UTF-8 decodes lossily (U+FFFD) and then fails the syntax.
        assert!(matches!(
            AuthorizationRequest::parse_query("client_id=%FF", &demo_registry(), Via::FrontChannel),
            Err(RequestError::Page(PageError::BadClientId(_)))
        ));
        let long = "a".repeat(MAX_REQUEST_LEN + 1);
        assert!(matches!(
            AuthorizationRequest::parse_query(&long, &demo_registry(), Via::FrontChannel),
            Err(RequestError::Page(PageError::TooLong(_)))
        ));
    }

    #[test]
    fn response_type_scope_errors_redirect_with_state() {
        let e = redirect(&[("response_type", Some("token"))]);
        assert_eq!(
            (e.error, e.state.as_deref()),
            (ErrorCode::UnsupportedResponseType, Some("st-1"))
        );
        assert_eq!(
            redirect(&[("response_type", Some("code id_token"))]).error,
            ErrorCode::UnsupportedResponseType
        );
        assert_eq!(
            redirect(&[("response_type", None)]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("scope", Some("name"))]).error,
            ErrorCode::InvalidScope
        );
        assert_eq!(
            redirect(&[("scope", Some("openid profile"))]).error,
            ErrorCode::InvalidScope
        );
        // Known scope, but not registered for this client.
        let e = redirect(&[("scope", Some("openid address"))]);
        assert!(
            e.error == ErrorCode::InvalidScope && e.description.contains("address"),
            "{e:?}"
        );
        assert_eq!(
            redirect(&[("scope", None)]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("response_mode", Some("fragment"))]).error,
            ErrorCode::InvalidRequest
        );
    }

    #[test]
    fn state_and_nonce_required_and_bounded() {
        let e = redirect(&[("state", None)]);
        assert_eq!((e.error, e.state), (ErrorCode::InvalidRequest, None));
        let long = "s".repeat(256);
        let e = redirect(&[("state", Some(long.as_str()))]);
        assert_eq!(e.state, None, "an invalid state is not echoed");
        assert_eq!(
            redirect(&[("state", Some("a\u{7f}"))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("state", Some("ステート"))]).error,
            ErrorCode::InvalidRequest
        );
        assert!(with(&[("state", Some("s".repeat(255).as_str()))]).is_ok());
        assert_eq!(
            redirect(&[("nonce", None)]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("nonce", Some(""))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("nonce", Some(long.as_str()))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("nonce", Some("a\nb"))]).state.as_deref(),
            Some("st-1")
        );
    }

    #[test]
    fn pkce_s256_required() {
        for edit in [
            [("code_challenge_method", None)],
            [("code_challenge_method", Some("plain"))],
            [("code_challenge_method", Some("s256"))],
            [("code_challenge", None)],
            [("code_challenge", Some("short"))],
        ] {
            assert_eq!(redirect(&edit).error, ErrorCode::InvalidRequest, "{edit:?}");
        }
    }

    #[test]
    fn optional_parameters() {
        assert_eq!(
            redirect(&[("prompt", Some("none"))]).error,
            ErrorCode::LoginRequired
        );
        assert_eq!(
            redirect(&[("prompt", Some("none login"))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("prompt", Some("bogus"))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            with(&[("prompt", Some("login consent"))]).unwrap().prompt,
            ["login", "consent"]
        );
        assert_eq!(
            redirect(&[("acr_values", Some("aal3  crl"))]).error,
            ErrorCode::InvalidRequest
        );
        assert_eq!(
            redirect(&[("request", Some("eyJ"))]).error,
            ErrorCode::RequestNotSupported
        );
        assert_eq!(
            redirect(&[("request_uri", Some("urn:x"))]).error,
            ErrorCode::InvalidRequestUri
        );
        assert_eq!(
            redirect(&[("claims", Some("[1]"))]).error,
            ErrorCode::InvalidRequest
        );
        assert!(
            with(&[("claims", Some(r#"{"userinfo":{"verified_claims":null}}"#))])
                .unwrap()
                .claims
                .is_some()
        );
        // sign_transaction_id: a UUID, and only with the sign scope (which
        // the demo client is not registered for).
        assert_eq!(
            redirect(&[("sign_transaction_id", Some("not-a-uuid"))]).error,
            ErrorCode::InvalidRequest
        );
        let e = redirect(&[(
            "sign_transaction_id",
            Some("123e4567-e89b-12d3-a456-426614174000"),
        )]);
        assert!(e.description.contains("sign scope"), "{e:?}");
        let mut dup = base();
        dup.push(("nonce".into(), "n-2".into()));
        assert!(
            matches!(AuthorizationRequest::from_pairs(&dup, &demo_registry(), Via::FrontChannel), Err(RequestError::Redirect(r)) if r.error == ErrorCode::InvalidRequest)
        );
    }

    #[test]
    fn par_rules() {
        use crate::clients::tests::registry_toml;
        use crate::testkeys;
        let jwks = testkeys::jwks_json(&[testkeys::ec_jwk("ec1")]);
        let toml = registry_toml(&jwks).replace("scopes =", "require_par = true\nscopes =");
        let reg = ClientRegistry::from_toml(&toml, std::path::Path::new(".")).unwrap();
        // RFC 9126 §6: a client registered so must push.
        let e = AuthorizationRequest::from_pairs(&base(), &reg, Via::FrontChannel).unwrap_err();
        assert!(
            matches!(&e, RequestError::Redirect(r) if r.description.contains("require_par")),
            "{e}"
        );
        assert!(AuthorizationRequest::from_pairs(&base(), &reg, Via::Pushed).is_ok());
        // RFC 9126 §2.1: no request_uri inside a pushed request.
        let mut p = base();
        p.push((
            "request_uri".into(),
            "urn:ietf:params:oauth:request_uri:x".into(),
        ));
        let e = AuthorizationRequest::from_pairs(&p, &reg, Via::Pushed).unwrap_err();
        assert!(
            matches!(&e, RequestError::Redirect(r) if r.error == ErrorCode::InvalidRequest),
            "{e}"
        );
    }

    #[test]
    fn locations_carry_state_and_iss() {
        let e = redirect(&[("response_type", Some("token"))]);
        let loc = e.location("https://op.example");
        assert!(
            loc.starts_with(
                "https://rp.example/cb?error=unsupported_response_type&error_description="
            ),
            "{loc}"
        );
        assert!(
            loc.ends_with("&state=st-1&iss=https%3A%2F%2Fop.example"),
            "{loc}"
        );
        assert_eq!(
            success_location(
                "https://rp.example/cb2?x=1",
                "c",
                "s t",
                "https://op.example"
            ),
            "https://rp.example/cb2?x=1&code=c&state=s+t&iss=https%3A%2F%2Fop.example"
        );
    }
}
