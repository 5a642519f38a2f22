//! The accept loop and the life of one connection: a permit of the
//! connection cap, the TLS handshake when TLS is on, hyper-util's auto
//! builder (HTTP/1.1 or HTTP/2, told apart by the HTTP/2 preface), the idle
//! watchdog, and the polite close on shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tokio_rustls::TlsAcceptor;

use crate::app::App;
use crate::config::Limits;
use crate::{limits, routes};

/// Each connection holds a permit of the connection cap; on shutdown the
/// listener closes, every connection is asked to finish (HTTP/1.1: after
/// the current response; HTTP/2: GOAWAY), and the loop waits for all
/// permits to come back, at most `shutdown_grace`.
pub(crate) async fn serve(
    listener: TcpListener,
    app: Arc<App>,
    limits: &Limits,
    tls: Option<TlsAcceptor>,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let max = limits.max_connections.clamp(1, Semaphore::MAX_PERMITS) as u32;
    let permits = Arc::new(Semaphore::new(max as usize));
    let (stop_tx, stop_rx) = watch::channel(false);
    let connections = Arc::new(Connections::new(app, limits, tls, stop_rx));
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE and friends: back off instead of spinning.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(connections.clone().serve(stream, peer, Some(permit)));
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let drained = tokio::time::timeout(limits.shutdown_grace, permits.acquire_many(max)).await;
    match drained {
        Ok(_) => tracing::info!("all connections closed"),
        Err(_) => tracing::warn!(
            grace_seconds = limits.shutdown_grace.as_secs(),
            "shutdown grace period over; dropping the remaining connections"
        ),
    }
}

fn http_builder(limits: &Limits) -> auto::Builder<TokioExecutor> {
    let mut builder = auto::Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .keep_alive(true);
    builder
        .http2()
        .timer(TokioTimer::new())
        .max_concurrent_streams(limits.max_concurrent_streams)
        .max_pending_accept_reset_streams(Some(64));
    builder
}

/// What every connection shares.
pub(crate) struct Connections {
    app: Arc<App>,
    http: auto::Builder<TokioExecutor>,
    tls: Option<TlsAcceptor>,
    /// The handshake runs while the connection holds a permit of the cap:
    /// without a bound, clients that open a connection and say nothing
    /// would use up the cap. It gets the time a request header gets.
    handshake_timeout: Duration,
    idle_tick: Duration,
    idle_close: Duration,
    grace: Duration,
    /// Becomes `true` on shutdown.
    stop: watch::Receiver<bool>,
}

impl Connections {
    /// What the connections to `app` share; `stop` becomes `true` on
    /// shutdown.
    pub(crate) fn new(
        app: Arc<App>,
        limits: &Limits,
        tls: Option<TlsAcceptor>,
        stop: watch::Receiver<bool>,
    ) -> Connections {
        Connections {
            app,
            http: http_builder(limits),
            tls,
            handshake_timeout: limits.header_read_timeout,
            idle_tick: (limits.idle_timeout / 4).max(Duration::from_millis(10)),
            idle_close: limits.header_read_timeout,
            grace: limits.shutdown_grace,
            stop,
        }
    }

    /// One connection, from accept to close; the permit (of the
    /// connection cap) is returned when this ends. Any stream: the accept
    /// loop's TCP, or the fuzz target's in-memory one.
    pub(crate) async fn serve<S>(
        self: Arc<Self>,
        stream: S,
        peer: SocketAddr,
        permit: Option<OwnedSemaphorePermit>,
    ) where
        S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let _permit = permit;
        let metrics = self.app.metrics.clone();
        metrics.connection(1);
        let activity = Arc::new(limits::Activity::default());
        let tcp = limits::Tracked::new(stream, activity.clone());
        match &self.tls {
            None => self.http(tcp, peer, activity).await,
            Some(tls) => {
                match tokio::time::timeout(self.handshake_timeout, tls.accept(tcp)).await {
                    Ok(Ok(stream)) => self.http(stream, peer, activity).await,
                    Ok(Err(e)) => {
                        tracing::debug!(peer = %peer, error = %e, "TLS handshake failed");
                        metrics.tls_handshake_failure("error");
                    }
                    Err(_) => {
                        tracing::debug!(peer = %peer, "TLS handshake timed out");
                        metrics.tls_handshake_failure("timeout");
                    }
                }
            }
        }
        metrics.connection(-1);
    }

    /// HTTP over `io` (TCP, or TLS over TCP) until the client closes, the
    /// connection idles out, or shutdown closes it.
    async fn http<I>(&self, io: I, peer: SocketAddr, activity: Arc<limits::Activity>)
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let app = self.app.clone();
        let conn_activity = activity.clone();
        let svc = service_fn(move |req| {
            let app = app.clone();
            let in_flight = conn_activity.request();
            async move {
                let r = routes::handle(app, peer, req).await;
                drop(in_flight);
                r
            }
        });
        let conn = self.http.serve_connection(TokioIo::new(io), svc);
        tokio::pin!(conn);
        let mut stop = self.stop.clone();
        let mut tick = tokio::time::interval(self.idle_tick);
        tick.tick().await;
        let mut quiet_ticks = 0u32;
        // Once asked to close, a connection gets this long to finish the
        // polite way (HTTP/2: GOAWAY, and the client's answer to the PING
        // that follows); a client that never answers is then dropped.
        let mut close_by: Option<tokio::time::Instant> = None;
        loop {
            let deadline = close_by.unwrap_or_else(tokio::time::Instant::now);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                    }
                    break;
                }
                _ = stop.changed(), if close_by.is_none() => {
                    close_by = Some(tokio::time::Instant::now() + self.grace);
                    conn.as_mut().graceful_shutdown();
                }
                _ = tick.tick(), if close_by.is_none() => {
                    quiet_ticks = if activity.quiet_since_last_check() { quiet_ticks + 1 } else { 0 };
                    if quiet_ticks >= 4 {
                        tracing::debug!(peer = %peer, "closing idle connection");
                        close_by = Some(tokio::time::Instant::now() + self.idle_close);
                        conn.as_mut().graceful_shutdown();
                    }
                }
                _ = tokio::time::sleep_until(deadline), if close_by.is_some() => {
                    tracing::debug!(peer = %peer, "connection did not close in time; dropping it");
                    break;
                }
            }
        }
    }
}
