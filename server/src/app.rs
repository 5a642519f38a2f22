//! What the handlers share, assembled once from a [`Config`].
//!
//! Assembly runs in a fixed order, and the first step that fails is the
//! error: the CAs, the OCSP signers, the TLS certificate and key, the CRL
//! directory scanned once ([`Loaded::load`]), then — once the caller knows
//! the origin it serves (the bound port) — the login state and the reload
//! thread ([`App::assemble`]). [`crate::Server`] and the fuzzing harness
//! both come through here, so what they serve is built the same way.

use std::net::SocketAddr;
use std::sync::Arc;

use kakunin_engine::store::Store;
use kakunin_oidc::state::StateStore;
use tokio_rustls::TlsAcceptor;

use crate::config::{Config, Limits, OidcConfig};
use crate::issuers::{IssuerError, Issuers};
use crate::login::{Login, LoginError};
use crate::metrics::Metrics;
use crate::ocsp::{Ocsp, SignerError};
use crate::provider::{Provider, ProviderError};
use crate::reload::{self, ReloadHandle, Reloader, ScanReport};
use crate::state::{State, StateStartError};
use crate::tls::{self, TlsError};
use crate::verifiers::Verifiers;

/// Why a server could not start or run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ServerError {
    /// The trust configuration is unusable.
    #[error(transparent)]
    Issuers(#[from] IssuerError),
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
    Login(#[from] LoginError),
    /// The OpenID Provider's configuration is unusable.
    #[error(transparent)]
    Provider(#[from] ProviderError),
    /// An OCSP signer is unusable.
    #[error(transparent)]
    Ocsp(#[from] SignerError),
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
    /// The shared state store cannot be used.
    #[error(transparent)]
    State(#[from] StateStartError),
    /// Runtime, thread or signal setup.
    #[error("cannot start the server: {0}")]
    Start(std::io::Error),
}

/// What the handlers share.
pub(crate) struct App {
    pub(crate) store: Arc<Store>,
    pub(crate) issuers: Arc<Issuers>,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) reload: ReloadHandle,
    pub(crate) limits: Limits,
    pub(crate) ocsp: Arc<Ocsp>,
    pub(crate) verifiers: Verifiers,
    pub(crate) login: Login,
    /// The OpenID Provider, when configured.
    pub(crate) provider: Option<Arc<Provider>>,
    /// Short-lived state (the provider's and used login challenges).
    pub(crate) state: Arc<State>,
}

impl App {
    /// What replicas sharing a state store must agree on: the hex SHA-256
    /// of the provider's published keys, an HMAC under its pairwise key
    /// and one under the challenge key (never the secrets themselves).
    pub(crate) fn fingerprint(&self) -> String {
        let provider = self
            .provider
            .as_ref()
            .map(|p| p.fingerprint_parts())
            .unwrap_or_default();
        let text = format!("{provider}\n{}", self.login.key_fingerprint());
        hex::encode(kakunin_engine::crypto::sha256(text.as_bytes()))
    }
}

/// What is loaded before a port is bound: everything that reads files.
pub(crate) struct Loaded {
    issuers: Arc<Issuers>,
    ocsp: Arc<Ocsp>,
    tls: Option<TlsAcceptor>,
    store: Arc<Store>,
    metrics: Arc<Metrics>,
    reloader: Reloader,
    initial: ScanReport,
}

impl Loaded {
    /// Reads the CAs, the OCSP signers, the TLS files and the CRL
    /// directory, in that order.
    pub(crate) fn load(config: &Config) -> Result<Loaded, ServerError> {
        let (issuers, warnings) =
            Issuers::load(&config.trust, &config.aliases, config.default_aliases)?;
        for w in warnings {
            tracing::warn!("{w}");
        }
        let ocsp = Arc::new(Ocsp::load(&config.ocsp, &issuers)?);
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

    /// Whether TLS is configured (the scheme of the origin served).
    pub(crate) fn has_tls(&self) -> bool {
        self.tls.is_some()
    }
}

/// An assembled app and what serving it needs besides.
pub(crate) struct Assembled {
    pub(crate) app: Arc<App>,
    pub(crate) tls: Option<TlsAcceptor>,
    pub(crate) initial: ScanReport,
}

impl App {
    /// The app over what `loaded` read: the login state for `own_origin`
    /// (used when no login origin is configured) and the reload thread,
    /// which stops when the app is dropped.
    pub(crate) fn assemble(
        loaded: Loaded,
        config: &Config,
        own_origin: String,
    ) -> Result<Assembled, ServerError> {
        let cap = config
            .oidc
            .as_ref()
            .map_or(OidcConfig::DEFAULT_MAX_STATE_ENTRIES, |o| {
                o.max_state_entries
            });
        let state = Arc::new(State::new(&config.state, cap, loaded.metrics.clone()));
        let store: Arc<dyn StateStore> = state.clone();
        let provider = config
            .oidc
            .as_ref()
            .map(|c| Provider::load(c, &own_origin, store.clone()).map(Arc::new))
            .transpose()?;
        let login = Login::new(
            &config.login,
            own_origin,
            state.is_shared().then(|| state.clone()),
        )?;
        let reload = reload::spawn(loaded.reloader, config.reload.poll_interval)
            .map_err(ServerError::Start)?;
        let app = App {
            verifiers: Verifiers::new(&loaded.issuers),
            store: loaded.store,
            issuers: loaded.issuers,
            metrics: loaded.metrics,
            reload,
            limits: config.limits.clone(),
            ocsp: loaded.ocsp,
            login,
            provider,
            state,
        };
        Ok(Assembled {
            app: Arc::new(app),
            tls: loaded.tls,
            initial: loaded.initial,
        })
    }
}
