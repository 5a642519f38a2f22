//! # kakunin-server
//!
//! The HTTP endpoint of kakunin (`kakunin serve`): revocation status of
//! JPKI certificates for auth backends, answered from the engine's
//! `Store` at line rate, with CRLs hot-swapped as they land in a
//! directory.
//!
//! ```text
//! --crl-dir ─→ reload   (*.crl verified by the ingest checks, *.idx checksum-verified;
//!                        file events, SIGHUP, POST /admin/reload, periodic scan)
//!           ─→ Store    one snapshot per issuer behind ArcSwap; a refused file
//!                        leaves the old one serving
//!           ─→ routes   GET /v1/status/{issuer}/{serial}, POST /v1/status,
//!                        POST /ocsp, GET /ocsp/{base64}, /healthz, /readyz, /metrics
//! ```
//!
//! hyper 1 on a multi-threaded tokio runtime, HTTP/1.1 keep-alive and
//! HTTP/2 with prior knowledge on one port (hyper-util's auto builder), no
//! web framework: each handler is a plain function over the `Store` and the
//! configured issuers. A status look-up is one atomic load of
//! an `Arc` and an in-place index probe; nothing on that path takes a lock
//! shared with the reloader.
//!
//! With [`Config::tls`] the same port speaks HTTPS instead (rustls on the
//! aws-lc-rs provider, ALPN `h2` and `http/1.1`): `tls` loads and checks
//! the certificate and key at start, and `accept` (the accept loop and the
//! life of each connection) bounds the handshake by the header timeout.
//!
//! # Layers
//!
//! Imports run one way, from the top of this list to the bottom; nothing
//! reaches back up:
//!
//! ```text
//! server    Server: bind, run until a signal (server.rs)
//! accept    the accept loop and the life of each connection
//! routes    path + method → handler; times and counts every answer
//! handlers  one module per endpoint family: status, verify, login, ocsp,
//!           health, admin — HTTP in, HTTP out
//! app       App: what the handlers share, assembled once from a Config
//! domain    issuers, reload, metrics, verifiers, login (challenges,
//!           replay), ocsp (requests, signing, cache), limits, tls, config
//! error     ApiError: every error body, the one place status codes are chosen
//! http      response and query helpers (a leaf)
//! ```
//!
//! The JSON lines themselves (status answers, verdicts, signature checks)
//! come from `kakunin-report`, which the offline commands print through
//! too.
//!
//! ```no_run
//! use kakunin_server::{Config, Server, StateConfig};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let config = Config {
//!     listen: "127.0.0.1:8080".parse()?,
//!     trust: vec!["data/sign-ca.pem".into(), "data/auth-ca.pem".into()],
//!     aliases: vec![],
//!     default_aliases: true,
//!     crl_dir: "data".into(),
//!     reload: Default::default(),
//!     limits: Default::default(),
//!     ocsp: kakunin_server::OcspConfig {
//!         signers: vec![kakunin_server::SignerSpec {
//!             cert: "data/ocsp.pem".into(),
//!             key: "data/ocsp.key".into(),
//!         }],
//!         ..Default::default()
//!     },
//!     login: Default::default(),
//!     oidc: None, // or Some(OidcConfig { .. }): the OpenID Provider (docs/oidc.md)
//!     state: StateConfig::Memory, // or StateConfig::Redis(..): shared by replicas
//!     tls: None, // or Some(TlsConfig { cert, key }): HTTPS on the same port
//! };
//! let server = Server::bind(config)?; // CAs read, directory loaded, port bound
//! println!("listening on {}", server.local_addr());
//! server.run()?; // until SIGTERM or SIGINT; in-flight requests finish
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod accept;
mod app;
mod config;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod handlers;
mod http;
mod issuers;
mod limits;
mod login;
mod metrics;
mod ocsp;
mod provider;
mod reload;
mod routes;
mod server;
mod state;
mod tls;
mod verifiers;

pub use app::ServerError;
pub use config::{
    AliasSpec, Config, Limits, LoginConfig, OcspConfig, OidcConfig, ReloadConfig, SignerSpec,
    SigningConfig, StateConfig, TlsConfig,
};
pub use error::ApiError;
pub use issuers::IssuerError;
pub use login::LoginError;
pub use ocsp::{OcspSigner, SignerError};
pub use provider::ProviderError;
pub use reload::{FileOutcome, ScanReport};
pub use server::{ServedCrl, ServedIssuer, Server};
pub use state::StateStartError;
pub use tls::TlsError;

/// A file of the sample PKI in `data/`, for the unit tests.
#[cfg(test)]
pub(crate) fn sample_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}
