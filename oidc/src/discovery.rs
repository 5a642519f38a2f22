//! OpenID Provider metadata (OpenID Connect Discovery 1.0 §3, RFC 8414 §2)
//! for an issuer, and the endpoint paths under it.

use serde::Serialize;
use thiserror::Error;

use crate::scope::Scope;
use crate::uri;

/// Where the discovery document is served, under the issuer (Discovery §4).
pub const WELL_KNOWN_PATH: &str = "/.well-known/openid-configuration";
/// The authorization endpoint's path.
pub const AUTHORIZATION_PATH: &str = "/authorize";
/// The token endpoint's path.
pub const TOKEN_PATH: &str = "/token";
/// The userinfo endpoint's path.
pub const USERINFO_PATH: &str = "/userinfo";
/// The JWKS path.
pub const JWKS_PATH: &str = "/jwks";
/// The pushed authorization request endpoint's path (RFC 9126).
pub const PAR_PATH: &str = "/par";

/// Why an issuer URL was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[error("expected an issuer URL with scheme http or https, a host, no query, fragment or trailing slash (OIDC Discovery §3, RFC 8414 §2), found {0:?}")]
pub struct IssuerError(pub String);

/// A checked issuer identifier, such as `https://login.example` or
/// `http://127.0.0.1:8080`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issuer(String);

impl Issuer {
    /// Checks `url` as an issuer identifier. `http` is allowed so that the
    /// loopback demo works; production issuers are `https`.
    pub fn new(url: &str) -> Result<Issuer, IssuerError> {
        match uri::parse_http(url) {
            Some(u) if !u.has_query && !u.has_fragment && !url.ends_with('/') => {
                Ok(Issuer(url.into()))
            }
            _ => Err(IssuerError(url.into())),
        }
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The URL of an endpoint path under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.0)
    }
}

/// The metadata document. Field names are the registry's (Discovery §3).
#[derive(Debug, Clone, Serialize)]
pub struct ProviderMetadata {
    /// `issuer`
    pub issuer: String,
    /// `authorization_endpoint`
    pub authorization_endpoint: String,
    /// `token_endpoint`
    pub token_endpoint: String,
    /// `userinfo_endpoint`
    pub userinfo_endpoint: String,
    /// `jwks_uri`
    pub jwks_uri: String,
    /// `pushed_authorization_request_endpoint` (RFC 9126 §5)
    pub pushed_authorization_request_endpoint: String,
    /// `require_pushed_authorization_requests` (RFC 9126 §5): per client instead.
    pub require_pushed_authorization_requests: bool,
    /// `response_types_supported`: `code` only.
    pub response_types_supported: Vec<&'static str>,
    /// `response_modes_supported`: `query`.
    pub response_modes_supported: Vec<&'static str>,
    /// `grant_types_supported`
    pub grant_types_supported: Vec<&'static str>,
    /// `code_challenge_methods_supported`: `S256` only (RFC 8414 §2).
    pub code_challenge_methods_supported: Vec<&'static str>,
    /// `token_endpoint_auth_methods_supported`: `private_key_jwt`.
    pub token_endpoint_auth_methods_supported: Vec<&'static str>,
    /// `token_endpoint_auth_signing_alg_values_supported`
    pub token_endpoint_auth_signing_alg_values_supported: Vec<&'static str>,
    /// `id_token_signing_alg_values_supported`
    pub id_token_signing_alg_values_supported: Vec<&'static str>,
    /// `subject_types_supported`: `pairwise`.
    pub subject_types_supported: Vec<&'static str>,
    /// `scopes_supported`
    pub scopes_supported: Vec<&'static str>,
    /// `claims_supported`
    pub claims_supported: Vec<&'static str>,
    /// `claims_parameter_supported`
    pub claims_parameter_supported: bool,
    /// `request_parameter_supported`: no request objects.
    pub request_parameter_supported: bool,
    /// `request_uri_parameter_supported`: `false` (Discovery §3: omitted
    /// would mean `true`). Only the provider's own `request_uri`s from PAR
    /// are taken, which RFC 9126 §5 allows regardless of this value.
    pub request_uri_parameter_supported: bool,
    /// `authorization_response_iss_parameter_supported` (RFC 9207 §3).
    pub authorization_response_iss_parameter_supported: bool,
}

impl ProviderMetadata {
    /// The metadata for `issuer`.
    pub fn new(issuer: &Issuer) -> ProviderMetadata {
        ProviderMetadata {
            issuer: issuer.as_str().into(),
            authorization_endpoint: issuer.endpoint(AUTHORIZATION_PATH),
            token_endpoint: issuer.endpoint(TOKEN_PATH),
            userinfo_endpoint: issuer.endpoint(USERINFO_PATH),
            jwks_uri: issuer.endpoint(JWKS_PATH),
            pushed_authorization_request_endpoint: issuer.endpoint(PAR_PATH),
            require_pushed_authorization_requests: false,
            response_types_supported: vec!["code"],
            response_modes_supported: vec!["query"],
            grant_types_supported: vec!["authorization_code", "client_credentials"],
            code_challenge_methods_supported: vec!["S256"],
            token_endpoint_auth_methods_supported: vec!["private_key_jwt"],
            token_endpoint_auth_signing_alg_values_supported: vec!["ES256", "PS256", "RS256"],
            id_token_signing_alg_values_supported: vec!["ES256", "RS256"],
            subject_types_supported: vec!["pairwise"],
            scopes_supported: Scope::ALL.iter().map(|s| s.as_str()).collect(),
            claims_supported: vec![
                "iss",
                "sub",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "amr",
                "acr",
                "name",
                "address",
                "birthdate",
                "gender",
            ],
            claims_parameter_supported: true,
            request_parameter_supported: false,
            request_uri_parameter_supported: false,
            authorization_response_iss_parameter_supported: true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_for_an_issuer() {
        let m = serde_json::to_value(ProviderMetadata::new(
            &Issuer::new("https://op.example").unwrap(),
        ))
        .unwrap();
        assert_eq!(m["issuer"], "https://op.example");
        assert_eq!(m["token_endpoint"], "https://op.example/token");
        assert_eq!(
            m["pushed_authorization_request_endpoint"],
            "https://op.example/par"
        );
        assert_eq!(m["response_types_supported"], serde_json::json!(["code"]));
        assert_eq!(
            m["code_challenge_methods_supported"],
            serde_json::json!(["S256"])
        );
        assert_eq!(
            m["subject_types_supported"],
            serde_json::json!(["pairwise"])
        );
        assert_eq!(
            m["scopes_supported"],
            serde_json::json!(["openid", "name", "address", "birthdate", "gender", "sign"])
        );
        assert_eq!(m["authorization_response_iss_parameter_supported"], true);
        assert_eq!(m["require_pushed_authorization_requests"], false);
        assert!(!m["token_endpoint_auth_signing_alg_values_supported"]
            .to_string()
            .contains("HS"));
    }

    #[test]
    fn issuer_syntax() {
        assert!(Issuer::new("http://127.0.0.1:8080").is_ok());
        assert!(Issuer::new("https://op.example/tenant").is_ok());
        for bad in [
            "https://op.example/",
            "https://op.example?x",
            "https://op.example#f",
            "op.example",
            "ftp://op.example",
        ] {
            assert!(Issuer::new(bad).is_err(), "{bad}");
        }
    }
}
