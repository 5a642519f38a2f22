//! # kakunin-server
//!
//! The HTTP endpoint of kakunin (`kakunin serve`): revocation status of
//! JPKI certificates for auth backends, answered from the engine's
//! [`Store`] at line rate, with CRLs hot-swapped as they land in a
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
//! web framework: each handler is a plain function over [`Store`] and the
//! configured [`issuers::Issuers`]. A status look-up is one atomic load of
//! an `Arc` and an in-place index probe; nothing on that path takes a lock
//! shared with the reloader.
//!
//! With [`Config::tls`] the same port speaks HTTPS instead (rustls on the
//! aws-lc-rs provider, ALPN `h2` and `http/1.1`): `tls` loads and checks
//! the certificate and key at start, and `accept` (the accept loop and the
//! life of each connection) bounds the handshake by the header timeout.
//!
//! Modules: [`config`] (what to serve, limits), [`issuers`] (the CAs and
//! their names), `routes` (the table), `status`, `health` and `admin`
//! (handlers), `ocsp` (the RFC 6960 / RFC 5019 responder), `error` (every error body and the one place status codes are
//! chosen), [`metrics`], [`reload`], `limits` (bodies, idle connections),
//! [`log`].
//!
//! ```no_run
//! use kakunin_server::{Config, Server};
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
//!     tls: None, // or Some(TlsConfig { cert, key }): HTTPS on the same port
//! };
//! let server = Server::bind(config)?; // CAs read, directory loaded, port bound
//! println!("listening on {}", server.local_addr());
//! server.run()?; // until SIGTERM or SIGINT; in-flight requests finish
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

use std::net::SocketAddr;
use std::sync::Arc;

use kakunin_engine::store::Store;
use tokio::net::TcpListener;

mod accept;
mod admin;
pub mod config;
mod error;
mod health;
pub mod issuers;
mod limits;
pub mod log;
pub mod login;
pub mod metrics;
pub mod ocsp;
pub mod reload;
mod routes;
mod status;
mod tls;
pub mod verdict;
mod verifier;
mod verify;

pub use config::{
    AliasSpec, Config, Limits, LoginConfig, OcspConfig, ReloadConfig, SignerSpec, TlsConfig,
};
pub use error::ApiError;
pub use ocsp::OcspSigner;
pub use reload::{FileOutcome, ScanReport};
pub use status::answer_line;
pub use tls::TlsError;

#[doc(hidden)]
pub mod fuzzing {
    //! Entry points for the fuzz targets in `fuzz/`: the private decoders
    //! the HTTP handlers call first, reachable without a server, and the
    //! server itself on one connection over any stream. Not an API;
    //! nothing else may use it.

    use kakunin_engine::Serial;

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

    /// The server of `config` without its port: the app that
    /// [`Server::run_until`](crate::Server::run_until) serves (CAs, the CRL
    /// directory loaded once, the reload thread, OCSP signers, login),
    /// built the same way, and the same per-connection code, over any
    /// stream. Each [`OneConnection::serve`] is one client connection from
    /// a loopback peer.
    pub struct OneConnection {
        connections: std::sync::Arc<crate::accept::Connections>,
        /// Never set: the connections are never asked to close.
        _stop: tokio::sync::watch::Sender<bool>,
    }

    impl OneConnection {
        /// Loads `config` as [`Server::bind`](crate::Server::bind) does;
        /// `config.listen` is not bound, only named as the login origin.
        /// With `config.tls`, each connection starts with a TLS handshake.
        pub fn new(config: crate::Config) -> Result<OneConnection, crate::ServerError> {
            let loaded = crate::Loaded::load(&config)?;
            let login =
                crate::login::Login::new(&config.login, format!("http://{}", config.listen))?;
            let reload = crate::reload::spawn(loaded.reloader, config.reload.poll_interval)
                .map_err(crate::ServerError::Start)?;
            let app = std::sync::Arc::new(crate::App::new(
                loaded.store,
                loaded.issuers,
                loaded.metrics,
                reload,
                config.limits.clone(),
                loaded.ocsp,
                login,
            ));
            let (stop, stop_rx) = tokio::sync::watch::channel(false);
            let connections =
                crate::accept::Connections::new(app, &config.limits, loaded.tls, stop_rx);
            Ok(OneConnection {
                connections: std::sync::Arc::new(connections),
                _stop: stop,
            })
        }

        /// Serves one connection over `io` until the client closes it or
        /// it idles out (inside a tokio runtime).
        pub async fn serve<I>(&self, io: I)
        where
            I: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
        {
            let peer = std::net::SocketAddr::from(([127, 0, 0, 1], 40_000));
            self.connections.clone().serve(io, peer, None).await;
        }
    }
}

use issuers::Issuers;
use metrics::Metrics;
use reload::{ReloadHandle, Reloader};

/// What the handlers share.
pub(crate) struct App {
    pub(crate) store: Arc<Store>,
    pub(crate) issuers: Arc<Issuers>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) reload: ReloadHandle,
    pub(crate) limits: Limits,
    pub(crate) ocsp: Arc<ocsp::Ocsp>,
    pub(crate) verifiers: verifier::Verifiers,
    pub(crate) login: login::Login,
}

impl App {
    fn new(
        store: Arc<Store>,
        issuers: Arc<Issuers>,
        metrics: Arc<Metrics>,
        reload: ReloadHandle,
        limits: Limits,
        ocsp: Arc<ocsp::Ocsp>,
        login: login::Login,
    ) -> App {
        App {
            store,
            metrics,
            reload,
            limits,
            ocsp,
            verifiers: verifier::Verifiers::new(&issuers),
            issuers,
            login,
        }
    }
}

/// What a server loads before it binds its port, in this order (the first
/// that fails is the error): the CAs, the OCSP signers, the TLS
/// certificate and key, and the CRL directory, scanned once.
struct Loaded {
    issuers: Arc<Issuers>,
    ocsp: Arc<ocsp::Ocsp>,
    tls: Option<tokio_rustls::TlsAcceptor>,
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    reloader: Reloader,
    initial: ScanReport,
}

impl Loaded {
    fn load(config: &Config) -> Result<Loaded, ServerError> {
        let (issuers, warnings) =
            Issuers::load(&config.trust, &config.aliases, config.default_aliases)?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        let ocsp = Arc::new(ocsp::Ocsp::load(&config.ocsp, &issuers)?);
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let issuers = Arc::new(issuers);
        let store = Arc::new(Store::new());
        let metrics = Arc::new(Metrics::new());
        let mut reloader = Reloader::new(
            config.crl_dir.clone(),
            store.clone(),
            issuers.clone(),
            metrics.clone(),
        );
        let initial = reloader.scan().map_err(|source| ServerError::CrlDir {
            dir: config.crl_dir.clone(),
            source,
        })?;
        Ok(Loaded {
            issuers,
            ocsp,
            tls,
            store,
            metrics,
            reloader,
            initial,
        })
    }
}

/// Why a server could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The trust configuration is unusable.
    #[error(transparent)]
    Issuers(#[from] issuers::IssuerError),
    /// The CRL directory cannot be listed.
    #[error("cannot read the CRL directory {dir}: {source}")]
    CrlDir {
        /// The directory.
        dir: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The login configuration is unusable.
    #[error(transparent)]
    Login(#[from] login::LoginError),
    /// An OCSP signer is unusable.
    #[error(transparent)]
    Ocsp(#[from] ocsp::SignerError),
    /// The TLS certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The listening socket.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// Runtime, thread or signal setup.
    #[error("cannot start the server: {0}")]
    Start(std::io::Error),
}

/// A bound server: CAs read, the CRL directory loaded once, the port open.
/// [`Server::run`] serves until SIGTERM/SIGINT.
pub struct Server {
    listener: std::net::TcpListener,
    config: Config,
    store: Arc<Store>,
    issuers: Arc<Issuers>,
    metrics: Arc<Metrics>,
    reloader: Reloader,
    initial: ScanReport,
    ocsp: Arc<ocsp::Ocsp>,
    login: login::Login,
    tls: Option<tokio_rustls::TlsAcceptor>,
}

impl Server {
    /// Reads the trust anchors, loads the CRL directory and binds the
    /// port. Refused files are logged and counted; they do not stop the
    /// start (the other issuers serve, `/readyz` tells).
    pub fn bind(config: Config) -> Result<Server, ServerError> {
        let Loaded {
            issuers,
            ocsp,
            tls,
            store,
            metrics,
            reloader,
            initial,
        } = Loaded::load(&config)?;
        let listener =
            std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
                addr: config.listen,
                source,
            })?;
        listener.set_nonblocking(true).map_err(ServerError::Start)?;
        let scheme = if tls.is_some() { "https" } else { "http" };
        let own_origin = format!(
            "{scheme}://{}",
            listener.local_addr().map_err(ServerError::Start)?
        );
        let login = login::Login::new(&config.login, own_origin)?;
        Ok(Server {
            login,
            listener,
            config,
            store,
            issuers,
            metrics,
            reloader,
            initial,
            ocsp,
            tls,
        })
    }

    /// The TLS certificate and key served, if TLS is on.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.config.tls.as_ref()
    }

    /// Who signs OCSP responses for which CA (empty: `/ocsp` answers
    /// `unauthorized`).
    pub fn ocsp_signers(&self) -> Vec<OcspSigner> {
        self.ocsp.signers()
    }

    /// The address actually bound (the port, when `listen` asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// The origins logins are accepted for.
    pub fn login_origins(&self) -> &[String] {
        self.login.origins()
    }

    /// The configured CAs and their names.
    pub fn issuers(&self) -> &Issuers {
        &self.issuers
    }

    /// The store being served.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// What the first load of the directory did.
    pub fn initial_scan(&self) -> &ScanReport {
        &self.initial
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, lets in-flight
    /// requests finish (up to `limits.shutdown_grace`) and returns.
    pub fn run(self) -> Result<(), ServerError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("kakunin-serve")
            .build()
            .map_err(ServerError::Start)?;
        runtime.block_on(async move {
            let shutdown = shutdown_signal().map_err(ServerError::Start)?;
            self.run_until(shutdown).await
        })
    }

    /// Serves until `shutdown` completes (inside a tokio runtime): what
    /// [`Server::run`] does with the signals.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), ServerError> {
        let Server {
            listener,
            config,
            store,
            issuers,
            metrics,
            reloader,
            initial: _,
            ocsp,
            login,
            tls,
        } = self;
        let listener = TcpListener::from_std(listener).map_err(ServerError::Start)?;
        let reload =
            reload::spawn(reloader, config.reload.poll_interval).map_err(ServerError::Start)?;
        // Kept alive until the end of serving.
        let _watcher = if config.reload.watch {
            match reload::watch(&config.crl_dir, config.reload.debounce, reload.clone()) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the CRL directory; relying on SIGHUP and the periodic scan");
                    None
                }
            }
        } else {
            None
        };
        spawn_sighup(reload.clone());
        let app = Arc::new(App::new(
            store,
            issuers,
            metrics,
            reload,
            config.limits.clone(),
            ocsp,
            login,
        ));
        accept::serve(listener, app, &config.limits, tls, shutdown).await;
        Ok(())
    }
}

/// SIGTERM or SIGINT.
fn shutdown_signal() -> std::io::Result<impl std::future::Future<Output = ()>> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(async move {
        let which = tokio::select! {
            _ = term.recv() => "SIGTERM",
            _ = int.recv() => "SIGINT",
        };
        tracing::info!(
            signal = which,
            "shutting down: no new connections, finishing in-flight requests"
        );
    })
}

/// SIGHUP asks for a scan of the CRL directory.
fn spawn_sighup(reload: ReloadHandle) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: scanning the CRL directory");
                    reload.trigger("sighup");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP"),
    }
}

/// A file of the sample PKI in `data/`, for the unit tests.
#[cfg(test)]
pub(crate) fn sample_data(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}
