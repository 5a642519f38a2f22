//! The short-lived state every login needs across requests — pending
//! requests and pairing codes, authorization codes and their used marks,
//! assertion `jti`s, pushed requests, userinfo records, sign transactions,
//! used card-login challenges — behind one [`StateStore`], in this process
//! or in a Redis every replica shares (`--state redis://…`).
//!
//! [`State`] is that store, measured: every operation is counted and
//! timed by outcome (`kakunin_state_operations_total`,
//! `kakunin_state_seconds`), so an operator sees a slow or failing Redis
//! before users do. With Redis:
//!
//! - the connection is made when serving starts ([`State::start`]),
//!   inside the runtime that uses it, and the replica *joins* the
//!   deployment: the fingerprint of the secrets every replica must share
//!   (provider keys, pairwise key, challenge key) is set in Redis if
//!   absent and compared if present; a replica with other secrets refuses
//!   to start instead of minting tokens the others reject;
//! - a background check pings Redis and joins again every
//!   [`HEALTH_INTERVAL`] (a Redis restarted empty forgets the
//!   fingerprint); `/readyz` reports what it last found;
//! - every operation is bounded by the client's timeout, and a failure is
//!   [`StateError::Unavailable`]: the request answers 503
//!   `state_unavailable` and nothing single-use is ever accepted twice.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kakunin_oidc::state::{MemoryStore, StateError, StateFuture, StateStore};
use kakunin_state_redis::{RedisConfig, RedisStore};

use crate::config::StateConfig;
use crate::metrics::Metrics;

/// How often a shared store is pinged and joined again.
pub(crate) const HEALTH_INTERVAL: Duration = Duration::from_secs(2);

/// Where the state lives.
enum Backend {
    Memory(MemoryStore),
    Redis {
        config: RedisConfig,
        /// Set once connected ([`State::start`]).
        store: OnceLock<RedisStore>,
    },
}

/// The state store of one server, measured.
pub(crate) struct State {
    backend: Backend,
    metrics: Arc<Metrics>,
    /// What the last health check found.
    health: Mutex<Health>,
    /// When the shared store's content began (unix seconds; 0 in memory):
    /// see [`State::epoch`].
    epoch: AtomicI64,
}

/// What is wrong with a shared store, for `/readyz`.
pub(crate) enum StateHealth {
    /// It does not answer (every replica shares that).
    Unavailable(String),
    /// It holds another deployment's fingerprint (this replica's secrets
    /// differ).
    Conflict(String),
}

/// What the last health check of a shared store found.
#[derive(Default)]
struct Health {
    /// It did not answer.
    unreachable: Option<String>,
    /// It holds another deployment's fingerprint (a Redis restarted empty
    /// and joined first by a replica with other secrets): every operation
    /// is refused until that is fixed.
    conflict: Option<String>,
}

/// Why a shared store could not be joined at start.
#[derive(Debug, thiserror::Error)]
pub enum StateStartError {
    /// Redis did not answer or refused.
    #[error("--state: {0}")]
    Connect(String),
    /// Redis holds another deployment's fingerprint.
    #[error("--state: {0}")]
    Join(String),
}

impl State {
    /// The store `config` names; `cap` bounds an in-process one.
    pub(crate) fn new(config: &StateConfig, cap: usize, metrics: Arc<Metrics>) -> State {
        let backend = match config {
            StateConfig::Memory => Backend::Memory(MemoryStore::new(cap)),
            StateConfig::Redis(c) => Backend::Redis {
                config: c.clone(),
                store: OnceLock::new(),
            },
        };
        State {
            backend,
            metrics,
            health: Mutex::new(Health::default()),
            epoch: AtomicI64::new(0),
        }
    }

    /// Whether replicas share this store (Redis).
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self.backend, Backend::Redis { .. })
    }

    /// Connects a shared store and joins the deployment with
    /// `fingerprint`, then keeps checking its health; nothing to do in
    /// memory. Runs inside the serving runtime.
    pub(crate) async fn start(
        self: &Arc<Self>,
        fingerprint: String,
    ) -> Result<(), StateStartError> {
        let Backend::Redis { config, store } = &self.backend else {
            return Ok(());
        };
        let redis = RedisStore::connect(config.clone())
            .await
            .map_err(|e| StateStartError::Connect(e.to_string()))?;
        redis
            .join(&fingerprint)
            .await
            .map_err(|e| StateStartError::Join(e.to_string()))?;
        let _ = store.set(redis);
        self.refresh_epoch()
            .await
            .map_err(|e| StateStartError::Connect(e.to_string()))?;
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(HEALTH_INTERVAL);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(state) = me.upgrade() else { return };
                state.check(&fingerprint).await;
            }
        });
        tracing::info!(redis = %config, "state shared through Redis");
        Ok(())
    }

    /// One health check: a ping, and the fingerprint joined again.
    async fn check(&self, fingerprint: &str) {
        let Backend::Redis { store, .. } = &self.backend else {
            return;
        };
        let Some(redis) = store.get() else { return };
        let (unreachable, conflict) = match redis.ping().await {
            Err(e) => (Some(e.to_string()), None),
            Ok(_) => match redis.join(fingerprint).await {
                Ok(()) => match self.refresh_epoch().await {
                    Ok(()) => (None, None),
                    Err(e) => (Some(e.to_string()), None),
                },
                Err(e @ kakunin_state_redis::JoinError::Mismatch { .. }) => {
                    (None, Some(e.to_string()))
                }
                Err(e) => (Some(e.to_string()), None),
            },
        };
        let mut h = self.lock_health();
        match (&h.unreachable, &unreachable) {
            (None, Some(p)) => tracing::error!(problem = %p, "state store unavailable"),
            (Some(_), None) => tracing::info!("state store available again"),
            _ => {}
        }
        if let (None, Some(c)) = (&h.conflict, &conflict) {
            tracing::error!(problem = %c, "state store joined by a replica with other secrets; refusing state operations");
        }
        h.unreachable = unreachable;
        // A conflict stays until this replica restarts with the right
        // secrets or the other one leaves and Redis is flushed: which
        // secrets are right is not this replica's to decide.
        if conflict.is_some() {
            h.conflict = conflict;
        }
    }

    /// When the content of the shared store began, read from it now: a
    /// Redis restarted empty has forgotten which card-login challenges
    /// were used, so a challenge minted before this time is refused (it
    /// could be a replay). Read on every card login, not cached: a restart
    /// between two health checks must not open a window. 0 in memory,
    /// where the marks live as long as the process.
    pub(crate) async fn epoch(&self) -> Result<i64, StateError> {
        if !self.is_shared() {
            return Ok(0);
        }
        self.refresh_epoch().await?;
        Ok(self.epoch.load(Ordering::Relaxed))
    }

    /// Reads `epoch` from the shared store, setting it to now when absent
    /// (a store that is new, or restarted empty).
    async fn refresh_epoch(&self) -> Result<(), StateError> {
        if !self.is_shared() {
            return Ok(());
        }
        // Through the measured operations: a failure here is a state
        // failure like any other.
        let redis: &dyn StateStore = self;
        const KEEP: Duration = Duration::from_secs(10 * 365 * 86_400);
        let stored = redis
            .get("epoch")
            .await?
            .and_then(|v| String::from_utf8(v).ok()?.parse::<i64>().ok());
        let epoch = match stored {
            Some(e) => e,
            None => {
                // Two replicas finding it absent at once both write their
                // now, a second apart at most: the later one stands.
                let now = kakunin_engine::Timestamp::now().unix();
                redis
                    .put("epoch", now.to_string().into_bytes(), KEEP)
                    .await?;
                tracing::info!(epoch = now, "shared state store is new or was restarted empty: challenges minted before now are refused");
                now
            }
        };
        self.epoch.store(epoch, Ordering::Relaxed);
        Ok(())
    }

    fn lock_health(&self) -> std::sync::MutexGuard<'_, Health> {
        self.health.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// For `/readyz`: `Ok(None)` in memory, `Ok(Some(latency))` for a
    /// shared store that answers, or what is wrong with it.
    pub(crate) async fn health(&self) -> Result<Option<Duration>, StateHealth> {
        let Backend::Redis { store, .. } = &self.backend else {
            return Ok(None);
        };
        let redis = store
            .get()
            .ok_or_else(|| StateHealth::Unavailable("state store not connected yet".into()))?;
        if let Some(c) = self.lock_health().conflict.clone() {
            return Err(StateHealth::Conflict(c));
        }
        redis
            .ping()
            .await
            .map(Some)
            .map_err(|e| StateHealth::Unavailable(e.to_string()))
    }

    /// The store to run an operation on, or why there is none: not
    /// connected yet, or joined to another deployment.
    fn store(&self) -> Result<&dyn StateStore, StateError> {
        match &self.backend {
            Backend::Memory(m) => Ok(m),
            Backend::Redis { store, .. } => {
                let redis = store.get().ok_or_else(|| {
                    StateError::Unavailable("state store not connected yet".into())
                })?;
                if let Some(c) = self.lock_health().conflict.clone() {
                    return Err(StateError::Unavailable(c));
                }
                Ok(redis)
            }
        }
    }

    /// Runs `op` on the store, counting and timing it as `name`.
    fn measured<'a, T: Send + 'a>(
        &'a self,
        name: &'static str,
        op: impl FnOnce(&'a dyn StateStore) -> StateFuture<'a, T> + Send + 'a,
    ) -> StateFuture<'a, T> {
        Box::pin(async move {
            let started = Instant::now();
            let result = match self.store() {
                Ok(store) => op(store).await,
                Err(e) => Err(e),
            };
            self.metrics
                .state_operation(name, outcome(&result), started.elapsed());
            result
        })
    }
}

fn outcome<T>(r: &Result<T, StateError>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(StateError::Full { .. }) => "full",
        Err(StateError::Unavailable(_)) => "unavailable",
    }
}

impl StateStore for State {
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StateFuture<'a, ()> {
        self.measured("put", move |s| s.put(key, value, ttl))
    }

    fn get<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        self.measured("get", move |s| s.get(key))
    }

    fn take<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        self.measured("take", move |s| s.take(key))
    }

    fn mark_once<'a>(&'a self, key: &'a str, ttl: Duration) -> StateFuture<'a, bool> {
        self.measured("mark_once", move |s| s.mark_once(key, ttl))
    }
}
