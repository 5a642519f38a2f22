//! The OpenID Provider's authorization request parser,
//! `kakunin_oidc::request::AuthorizationRequest::parse_query`, on any
//! query string (the bytes read as UTF-8, lossily), as it arrives in the
//! browser (`Via::FrontChannel`) and pushed (`Via::Pushed`, RFC 9126),
//! against the fixed registry of `kakunin_fuzz::oidc`.
//!
//! Never panics, and:
//! - an accepted request names a registered client and one of its
//!   redirect URIs byte for byte, asks for `openid` within the client's
//!   scopes, has a printable `state` and `nonce`, a well-formed S256
//!   challenge, and `sign_transaction_id` exactly with the `sign` scope;
//!   its success `Location` is its redirect URI plus a query;
//! - an error sent back to the RP goes only to a registered redirect URI
//!   (anything else would make the provider an open redirector, RFC 9700
//!   §4.11), with a printable `state` if any, and its `Location` is that
//!   URI plus a query;
//! - what the front channel accepts, a pushed request accepts too, alike
//!   (pushing only adds `require_par` clients).
#![no_main]

use kakunin_fuzz::oidc::{fixture, registered_anywhere, ISSUER};
use kakunin_oidc::pkce;
use kakunin_oidc::request::{success_location, AuthorizationRequest, RequestError, Via};
use kakunin_oidc::scope::Scope;

fn printable(s: &str) -> bool {
    (1..=255).contains(&s.len()) && s.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

fn check(r: &Result<AuthorizationRequest, RequestError>) {
    match r {
        Ok(req) => {
            let client = fixture()
                .registry
                .get(&req.client_id)
                .expect("an accepted request names a registered client");
            assert!(client.has_redirect_uri(&req.redirect_uri), "{req:?}");
            assert!(req.scopes.contains(Scope::OpenId), "{req:?}");
            assert!(req.scopes.is_subset(client.scopes), "{req:?}");
            assert!(printable(&req.state) && printable(&req.nonce), "{req:?}");
            assert!(
                pkce::check_challenge(&req.code_challenge).is_ok(),
                "{req:?}"
            );
            assert_eq!(
                req.sign_transaction_id.is_some(),
                req.scopes.contains(Scope::Sign),
                "{req:?}"
            );
            let location = success_location(&req.redirect_uri, "c0de", &req.state, ISSUER);
            assert!(
                location.len() > req.redirect_uri.len() && location.starts_with(&req.redirect_uri),
                "{location}"
            );
        }
        Err(RequestError::Redirect(e)) => {
            assert!(
                registered_anywhere(&e.redirect_uri),
                "an error redirected to an unregistered URI: {e:?}"
            );
            if let Some(state) = &e.state {
                assert!(printable(state), "{e:?}");
            }
            let location = e.location(ISSUER);
            assert!(
                location.len() > e.redirect_uri.len() && location.starts_with(&e.redirect_uri),
                "{location}"
            );
            let _ = RequestError::Redirect(e.clone()).to_string();
        }
        Err(e @ RequestError::Page(_)) => {
            let _ = e.to_string();
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    let registry = &fixture().registry;
    let front = AuthorizationRequest::parse_query(&query, registry, Via::FrontChannel);
    let pushed = AuthorizationRequest::parse_query(&query, registry, Via::Pushed);
    check(&front);
    check(&pushed);
    if let Ok(req) = &front {
        assert_eq!(
            pushed.as_ref().ok(),
            Some(req),
            "pushed refused what the front channel took"
        );
    }
});
