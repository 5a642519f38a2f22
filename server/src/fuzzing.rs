//! Entry points for the fuzz targets in `fuzz/`: the private decoders the
//! HTTP handlers call first, reachable without a server, and the server
//! itself on one connection over any stream. Not an API; nothing else may
//! use it.

use std::sync::Arc;

use kakunin_engine::Serial;

use crate::accept::Connections;
use crate::app::{App, Loaded, ServerError};
use crate::Config;

/// What `POST /ocsp` reads from a DER OCSPRequest: the serial of each
/// CertID and whether a nonce came; `None` for `malformedRequest`.
pub fn ocsp_request(der: &[u8]) -> Option<(Vec<Serial>, bool)> {
    let p = crate::ocsp::request::parse(der).ok()?;
    Some((
        p.queries.iter().map(|q| q.serial).collect(),
        p.nonce.is_some(),
    ))
}

/// The DER that `GET /ocsp/{rest}` decodes from the path after `/ocsp/`.
pub fn ocsp_get_path(rest: &str) -> Option<Vec<u8>> {
    crate::ocsp::get::decode_path(rest)
}

/// An accepted registration: each document's label and DigestInfo DER,
/// and whether the facts were asked for.
pub type Registered = (Vec<(String, Vec<u8>)>, bool);

/// What `POST /v1/sign-transactions` accepts of a body, with the default
/// bound of 16 documents: each document's label and the DER DigestInfo
/// the card would sign, and whether the facts were asked for; `None` for
/// a 400.
pub fn sign_registration(body: &[u8]) -> Option<Registered> {
    let r = crate::provider::signing::Registration::parse(
        body,
        crate::config::SigningConfig::DEFAULT_MAX_DOCUMENTS,
    )
    .ok()?;
    let docs = r
        .documents
        .iter()
        .map(|d| {
            let der = d.digest_info().map(|di| di.as_der().to_vec())?;
            Some((d.label.clone(), der))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((docs, r.facts))
}

/// The server of `config` without its port: the app that
/// [`Server::run_until`](crate::Server::run_until) serves (CAs, the CRL
/// directory loaded once, the reload thread, OCSP signers, login),
/// assembled the same way (`App::assemble`), and the same
/// per-connection code, over any stream. Each [`OneConnection::serve`] is
/// one client connection from a loopback peer.
pub struct OneConnection {
    connections: Arc<Connections>,
    /// Never set: the connections are never asked to close.
    _stop: tokio::sync::watch::Sender<bool>,
}

impl OneConnection {
    /// Loads `config` as [`Server::bind`](crate::Server::bind) does;
    /// `config.listen` is not bound, only named as the login origin.
    /// With `config.tls`, each connection starts with a TLS handshake.
    pub fn new(config: Config) -> Result<OneConnection, ServerError> {
        let loaded = Loaded::load(&config)?;
        let assembled = App::assemble(loaded, &config, format!("http://{}", config.listen))?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let connections = Connections::new(assembled.app, &config.limits, assembled.tls, stop_rx);
        Ok(OneConnection {
            connections: Arc::new(connections),
            _stop: stop,
        })
    }

    /// Serves one connection over `io` until the client closes it or it
    /// idles out (inside a tokio runtime).
    pub async fn serve<I>(&self, io: I)
    where
        I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
        self.connections.clone().serve(io, peer, None).await;
    }
}
