//! [`Server`]: a bound port over an assembled [`App`], served until a
//! signal (or any future) says stop; and [`ServerError`], why it could not
//! start (defined beside the assembly it mostly reports on).

use std::net::SocketAddr;
use std::sync::Arc;

use kakunin_engine::{CrlNumber, IssuerKeyId, Timestamp};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

use crate::accept;
use crate::app::{App, Loaded, ServerError};
use crate::config::{Config, TlsConfig};
use crate::ocsp::OcspSigner;
use crate::provider::Provider;
use crate::reload::{self, ReloadHandle, ScanReport};

/// One configured CA and the CRL it serves, for a start-up banner.
#[derive(Clone, Debug)]
pub struct ServedIssuer {
    /// The CA's key id.
    pub key_id: IssuerKeyId,
    /// Its names in `/v1/status/{issuer}/...` besides the key id.
    pub aliases: Vec<String>,
    /// The shortest name that resolves to it (an alias, else the key id).
    pub label: String,
    /// The CRL being served, if any.
    pub crl: Option<ServedCrl>,
}

/// What a served CRL says of itself.
#[derive(Clone, Debug)]
pub struct ServedCrl {
    /// Its cRLNumber, when it has one.
    pub crl_number: Option<CrlNumber>,
    /// How many serials it revokes.
    pub entries: u64,
    /// Its nextUpdate.
    pub next_update: Timestamp,
}

/// A bound server: CAs read, the CRL directory loaded once, the port open.
/// [`Server::run`] serves until SIGTERM/SIGINT.
pub struct Server {
    listener: std::net::TcpListener,
    config: Config,
    app: Arc<App>,
    tls: Option<TlsAcceptor>,
    initial: ScanReport,
}

impl Server {
    /// Reads the trust anchors, loads the CRL directory and binds the
    /// port. Refused files are logged and counted; they do not stop the
    /// start (the other issuers serve, `/readyz` tells).
    pub fn bind(config: Config) -> Result<Server, ServerError> {
        let loaded = Loaded::load(&config)?;
        let listener =
            std::net::TcpListener::bind(config.listen).map_err(|source| ServerError::Bind {
                addr: config.listen,
                source,
            })?;
        listener.set_nonblocking(true).map_err(ServerError::Start)?;
        let scheme = if loaded.has_tls() { "https" } else { "http" };
        let own_origin = format!(
            "{scheme}://{}",
            listener.local_addr().map_err(ServerError::Start)?
        );
        let assembled = App::assemble(loaded, &config, own_origin)?;
        Ok(Server {
            listener,
            config,
            app: assembled.app,
            tls: assembled.tls,
            initial: assembled.initial,
        })
    }

    /// The TLS certificate and key served, if TLS is on.
    pub fn tls(&self) -> Option<&TlsConfig> {
        self.config.tls.as_ref()
    }

    /// Who signs OCSP responses for which CA (empty: `/ocsp` answers
    /// `unauthorized`).
    pub fn ocsp_signers(&self) -> Vec<OcspSigner> {
        self.app.ocsp.signers()
    }

    /// The address actually bound (the port, when `listen` asked for 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.listener.local_addr().unwrap_or(self.config.listen)
    }

    /// The OpenID Provider's issuer identifier, when one is configured.
    pub fn oidc_issuer(&self) -> Option<&str> {
        self.app.provider.as_ref().map(|p| p.issuer.as_str())
    }

    /// The origins logins are accepted for.
    pub fn login_origins(&self) -> &[String] {
        self.app.login.origins()
    }

    /// The configured CAs, in configuration order, with what each serves now.
    pub fn served(&self) -> Vec<ServedIssuer> {
        self.app
            .issuers
            .iter()
            .map(|issuer| ServedIssuer {
                key_id: issuer.key_id,
                aliases: issuer.aliases.clone(),
                label: issuer.label(),
                crl: self.app.store.snapshot(&issuer.key_id).map(|s| {
                    let m = s.meta();
                    ServedCrl {
                        crl_number: m.crl.crl_number,
                        entries: m.entries,
                        next_update: m.crl.next_update,
                    }
                }),
            })
            .collect()
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
            app,
            tls,
            initial: _,
        } = self;
        let listener = TcpListener::from_std(listener).map_err(ServerError::Start)?;
        // A shared store is connected in the runtime that uses it, and
        // joined (same secrets as the other replicas) before serving.
        app.state.start(app.fingerprint()).await?;
        // Kept alive until the end of serving.
        let _watcher = if config.reload.watch {
            match reload::watch(&config.crl_dir, config.reload.debounce, app.reload.clone()) {
                Ok(w) => Some(w),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot watch the CRL directory; relying on SIGHUP and the periodic scan");
                    None
                }
            }
        } else {
            None
        };
        spawn_sighup(app.reload.clone(), app.provider.clone());
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

/// SIGHUP asks for a scan of the CRL directory, and a reread of the
/// OpenID Provider's client registry.
fn spawn_sighup(reload: ReloadHandle, provider: Option<Arc<Provider>>) {
    use tokio::signal::unix::{signal, SignalKind};
    match signal(SignalKind::hangup()) {
        Ok(mut hup) => {
            tokio::spawn(async move {
                while hup.recv().await.is_some() {
                    tracing::info!("SIGHUP: scanning the CRL directory");
                    reload.trigger("sighup");
                    if let Some(p) = &provider {
                        let _ = p.reload_clients_logged();
                    }
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "cannot handle SIGHUP"),
    }
}
