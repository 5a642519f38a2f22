//! The protocol core of kakunin's OpenID Provider: "log in with My Number
//! Card" over OpenID Connect, shaped like the Digital Agency's
//! authentication API so that a relying party (RP) written for it works
//! against kakunin with only the issuer URL and keys changed.
//!
//! This crate holds the rules, not the HTTP: the server's handlers parse
//! requests into these types, call these checks, and turn the errors into
//! responses. Every rule cites the RFC section it implements.
//!
//! # A login, module by module
//!
//! 1. **The RPs** are registered in a TOML file: [`clients::ClientRegistry`]
//!    (redirect URIs, public keys, scopes, sector, PAR, ID token algorithm).
//! 2. **The authorization request** arrives in the browser's query or is
//!    pushed (RFC 9126): [`request::AuthorizationRequest::parse_query`].
//!    Its errors say whether they may be redirected to the RP
//!    ([`request::RequestError::Redirect`], with `state` and `iss`) or must
//!    be shown on kakunin's own page ([`request::RequestError::Page`]: an
//!    unknown client or a redirect URI that is not, byte for byte,
//!    registered).
//! 3. **The card signs** (the server's business); the server then computes
//!    the pairwise subject ([`tokens::PairwiseSecret::subject`]) and issues
//!    a single-use **code** that lives 60 s: [`code::issue`].
//! 4. **At the token endpoint** the RP authenticates with `private_key_jwt`
//!    ([`assertion::authenticate`]: RS256/PS256/ES256 only, a key from its
//!    JWKS, `jti` used once) and redeems the code with its PKCE verifier
//!    ([`code::redeem`], [`pkce::verify`]); a second redemption is refused
//!    and revokes the grant ([`code::is_revoked`]).
//! 5. **Tokens**: an ID token and a short RFC 9068 access token signed with
//!    the provider's keys ([`tokens::TokenIssuer`], [`keys::ProviderKeys`],
//!    `kid` = RFC 7638 thumbprint). No refresh tokens: a login is the
//!    presence of a card, and a token outliving it would claim a presence
//!    nobody checked.
//! 6. **Userinfo** verifies the access token
//!    ([`tokens::TokenIssuer::verify_access_token`]).
//! 7. **Discovery**: [`discovery::ProviderMetadata`] for an
//!    [`discovery::Issuer`]; the JWKS is [`keys::ProviderKeys::jwks`].
//!
//! A result handed back to a client that registered an encryption key
//! ([`clients::Client::encryption_key`]) is encrypted to it:
//! [`jwe::encrypt`], RSA-OAEP-256 + A256GCM, as the Digital Agency does.
//!
//! Everything short-lived — codes, used `jti`s, revoked grants — goes
//! through one small trait, [`state::StateStore`] (put with a TTL, get,
//! atomic take, SET-NX `mark_once`), so a shared store can replace the
//! bounded [`state::MemoryStore`] when there are several replicas. A full
//! store refuses; it never evicts a live entry early.
//!
//! # Example: checking a request and answering with a code
//!
//! ```
//! use kakunin_oidc::clients::ClientRegistry;
//! use kakunin_oidc::code::{self, CodeGrant};
//! use kakunin_oidc::request::{success_location, AuthorizationRequest, Via};
//! use kakunin_oidc::state::MemoryStore;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! #     kakunin_testkit::ready(example())
//! # }
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! let registry = ClientRegistry::from_toml(r#"
//!     [[client]]
//!     client_id = "demo"
//!     name = "Demo RP"
//!     redirect_uris = ["https://rp.example/cb"]
//!     scopes = ["openid", "name"]
//!     jwks = { keys = [{ kty = "EC", crv = "P-256", kid = "k1",
//!         x = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
//!         y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" }] }
//! "#, std::path::Path::new("."))?;
//! let query = "response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Frp.example%2Fcb\
//!     &scope=openid+name&state=s1&nonce=n1&code_challenge_method=S256\
//!     &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
//! let req = AuthorizationRequest::parse_query(query, &registry, Via::FrontChannel)?;
//!
//! // ... the person approves with the card; the server derives `sub` ...
//! let store = MemoryStore::new(10_000);
//! let issued = code::issue(&store, &CodeGrant {
//!     client_id: req.client_id.clone(),
//!     redirect_uri: req.redirect_uri.clone(),
//!     code_challenge: req.code_challenge.clone(),
//!     scope: req.scopes.to_string(),
//!     nonce: req.nonce.clone(),
//!     acr: None,
//!     sub: "pairwise-sub".into(),
//!     auth_time: 1_800_000_000,
//!     facts: Default::default(),
//!     sign_transaction_id: None,
//! }).await?;
//! let location = success_location(&req.redirect_uri, &issued.code, &req.state, "https://op.example");
//! assert!(location.starts_with("https://rp.example/cb?code="));
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

pub mod assertion;
pub mod clients;
pub mod code;
pub mod discovery;
pub mod jwe;
pub mod keys;
pub mod pairing;
pub mod pkce;
pub mod request;
pub mod scope;
pub mod state;
#[cfg(any(test, feature = "conformance"))]
pub mod state_conformance;
pub mod tokens;

mod jws;
mod uri;

#[cfg(test)]
mod testkeys;
