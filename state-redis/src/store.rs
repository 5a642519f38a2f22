//! [`RedisStore`]: the [`StateStore`] over a few self-reconnecting,
//! multiplexed connections, every call bounded by a timeout.

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use kakunin_oidc::state::{StateError, StateFuture, StateStore};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{
    AsyncConnectionConfig, Client, ConnectionAddr, ConnectionInfo, FromRedisValue,
    IntoConnectionInfo, RedisError, TlsCertificates, Value,
};
use thiserror::Error;

use crate::config::{RedisConfig, RedisConfigError, Target};

/// How many times [`RedisStore::connect`] tries before it gives up, each
/// try bounded by the timeout: a Redis that is starting gets a moment, a
/// Redis that is not there costs a few timeouts, never a hang.
const CONNECT_TRIES: u32 = 3;

/// The reconnecting connection's back-off: from this…
const RECONNECT_MIN_DELAY: Duration = Duration::from_millis(50);
/// …doubling up to this (plus a random jitter of up to as much again), so
/// that service resumes within about a second of Redis coming back.
const RECONNECT_MAX_DELAY: Duration = Duration::from_millis(500);
/// Tries per reconnection: in effect unbounded (half a day or more). The
/// cost: a store dropped while Redis is away keeps a background task trying
/// until then (a server holds its store for its whole life).
/// When a reconnection gives up on an error that is not an I/O error
/// (a refused AUTH, say), the connection manager would keep answering with
/// that error without trying again; a store that stops trying would not
/// resume by itself when Redis is fixed.
const RECONNECT_TRIES: usize = 86_400;

/// The key under the prefix that holds the fingerprint of the replicas'
/// shared secrets ([`RedisStore::join`]).
const FINGERPRINT_KEY: &str = "fingerprint";

/// Why [`RedisStore::connect`] failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The configuration was refused before connecting.
    #[error(transparent)]
    Config(#[from] RedisConfigError),
    /// Redis did not answer.
    #[error(
        "expected redis at {addr} to answer PING within {timeout_ms} ms ({tries} tries), \
         found: {last}"
    )]
    Unreachable {
        /// `HOST:PORT`.
        addr: String,
        /// The bound on each try.
        timeout_ms: u128,
        /// How many tries were made.
        tries: u32,
        /// What the last try found.
        last: String,
    },
    /// Redis refused the credentials (or wants some and none were given).
    #[error(
        "expected redis at {addr} to accept {credentials}, found: {detail} \
         (the password comes from --state-password-file or KAKUNIN_STATE_PASSWORD)"
    )]
    Auth {
        /// `HOST:PORT`.
        addr: String,
        /// `the configured password` or `no password`.
        credentials: &'static str,
        /// What Redis answered.
        detail: String,
    },
    /// Redis may evict keys that have a time to live — all of ours do.
    #[error(
        "expected maxmemory-policy noeviction on redis at {addr}, found {found}: an evicted \
         used-code or jti mark would let a replay through; set `maxmemory-policy noeviction` \
         (a full Redis then refuses new state, and kakunin answers 503)"
    )]
    Eviction {
        /// `HOST:PORT`.
        addr: String,
        /// The policy Redis reported.
        found: String,
    },
    /// The TLS CA file could not be read.
    #[error("cannot read the redis TLS CA file {path}: {reason}")]
    CaFile {
        /// The file.
        path: String,
        /// Why.
        reason: String,
    },
    /// The client could not be set up (TLS configuration, say).
    #[error("cannot set up a redis client for {addr}: {detail}")]
    Client {
        /// `HOST:PORT`.
        addr: String,
        /// What the client library said.
        detail: String,
    },
}

/// Why [`RedisStore::join`] refused this replica.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum JoinError {
    /// Another replica (or deployment with the same prefix) registered
    /// other secrets.
    #[error(
        "expected the shared-secret fingerprint {ours}… in redis at {addr} (key {key}), found \
         {theirs}…: the replicas sharing this store run with different secrets, and tokens \
         minted here would be rejected by the others; the provider signing keys, the \
         pairwise-subject key and the challenge key must be the same on every replica \
         (or give this deployment its own --state-prefix)"
    )]
    Mismatch {
        /// `HOST:PORT`.
        addr: String,
        /// The fingerprint key.
        key: String,
        /// This replica's fingerprint, its first 16 characters.
        ours: String,
        /// The registered fingerprint, its first 16 characters.
        theirs: String,
    },
    /// Redis could not be asked.
    #[error(transparent)]
    Unavailable(#[from] StateError),
}

/// A [`StateStore`] in Redis or Valkey, shared by replicas.
///
/// Every operation is one command on one of a few multiplexed connections
/// (round robin), bounded by the configured timeout. A connection that
/// breaks reconnects by itself in the background; meanwhile calls fail
/// with [`StateError::Unavailable`] after at most the timeout.
pub struct RedisStore {
    slots: Vec<ConnectionManager>,
    next: AtomicUsize,
    prefix: String,
    timeout: Duration,
    addr: String,
    /// Kept only to scrub it from messages that might echo it.
    password: Option<String>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("addr", &self.addr)
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to the Redis `config` names: checks that it answers (and
    /// accepts the password) within `CONNECT_TRIES` tries of
    /// `config.timeout` each, that it will not evict keys (when it lets us
    /// read `maxmemory-policy`), and opens `config.connections`
    /// connections.
    pub async fn connect(config: RedisConfig) -> Result<RedisStore, RedisStoreError> {
        let target = config.target()?;
        let addr = target.addr();
        let password = config.password.clone().filter(|p| !p.is_empty());
        let client_error = |e: RedisError| RedisStoreError::Client {
            addr: addr.clone(),
            detail: scrub(&e.to_string(), password.as_deref()),
        };
        if target.tls {
            // The workspace links rustls with both ring and aws-lc-rs, so
            // rustls cannot pick a provider by itself; the client config
            // redis-rs builds uses the process default. Already installed
            // (by the server's TLS, say) is fine.
            let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
        }
        let ca = match &config.tls_ca_file {
            Some(path) => Some(std::fs::read(path).map_err(|e| RedisStoreError::CaFile {
                path: path.display().to_string(),
                reason: e.to_string(),
            })?),
            None => None,
        };
        let info = connection_info(&target, password.as_deref()).map_err(client_error)?;
        let client = match ca {
            Some(pem) => Client::build_with_tls(
                info,
                TlsCertificates {
                    client_tls: None,
                    root_cert: Some(pem),
                },
            ),
            None => Client::open(info),
        }
        .map_err(client_error)?;

        let timeout = config.timeout;
        let conn_config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout));
        let mut last = String::new();
        let mut answered = false;
        for attempt in 0..CONNECT_TRIES {
            if attempt > 0 {
                tokio::time::sleep(timeout).await;
            }
            let probe = async {
                let mut conn = client
                    .get_multiplexed_async_connection_with_config(&conn_config)
                    .await?;
                redis::cmd("PING").query_async::<Value>(&mut conn).await
            };
            match tokio::time::timeout(timeout, probe).await {
                Ok(Ok(_)) => {
                    answered = true;
                    break;
                }
                Ok(Err(e)) if is_auth_error(&e) => {
                    return Err(RedisStoreError::Auth {
                        addr,
                        credentials: if password.is_some() {
                            "the configured password"
                        } else {
                            "no password"
                        },
                        detail: scrub(&e.to_string(), password.as_deref()),
                    });
                }
                Ok(Err(e)) => last = scrub(&e.to_string(), password.as_deref()),
                Err(_) => last = format!("no answer within {} ms", timeout.as_millis()),
            }
        }
        if !answered {
            return Err(RedisStoreError::Unreachable {
                addr,
                timeout_ms: timeout.as_millis(),
                tries: CONNECT_TRIES,
                last,
            });
        }

        let manager_config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_min_delay(RECONNECT_MIN_DELAY)
            .set_max_delay(RECONNECT_MAX_DELAY)
            .set_number_of_retries(RECONNECT_TRIES);
        let slots = (0..config.connections)
            .map(|_| {
                ConnectionManager::new_lazy_with_config(client.clone(), manager_config.clone())
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(client_error)?;
        let store = RedisStore {
            slots,
            next: AtomicUsize::new(0),
            prefix: config.prefix,
            timeout,
            addr,
            password,
        };
        // Open every connection now rather than on the first request.
        for slot in &store.slots {
            let mut conn = slot.clone();
            store
                .bounded("PING", redis::cmd("PING").query_async::<Value>(&mut conn))
                .await
                .map_err(|e| RedisStoreError::Unreachable {
                    addr: store.addr.clone(),
                    timeout_ms: timeout.as_millis(),
                    tries: 1,
                    last: e.to_string(),
                })?;
        }
        if let Some(policy) = store.maxmemory_policy().await {
            if policy != "noeviction" {
                return Err(RedisStoreError::Eviction {
                    addr: store.addr,
                    found: policy,
                });
            }
        }
        Ok(store)
    }

    /// The round trip of a `PING`, for a readiness check: `Err` when
    /// Redis does not answer within the timeout.
    pub async fn ping(&self) -> Result<Duration, StateError> {
        let start = Instant::now();
        self.query::<Value>("PING", redis::cmd("PING")).await?;
        Ok(start.elapsed())
    }

    /// Registers this replica's `fingerprint` of the secrets replicas must
    /// share (the provider signing keys, the pairwise-subject key, the
    /// challenge key), or checks it against the one registered: a replica
    /// that starts with other secrets must refuse to join rather than mint
    /// tokens the others reject.
    ///
    /// The fingerprint is kept without a time to live (`SET NX`); if Redis
    /// lost it (restarted empty), the first replica to join sets it again.
    /// Calling this again (from a readiness check, say) is cheap.
    pub async fn join(&self, fingerprint: &str) -> Result<(), JoinError> {
        let key = self.key(FINGERPRINT_KEY);
        // A few rounds: the key can vanish between SET NX and GET only if
        // Redis restarts (empty) in between, and then the next SET NX wins.
        for _ in 0..3 {
            let mut set = redis::cmd("SET");
            set.arg(&key).arg(fingerprint).arg("NX");
            if self.query::<Value>("SET NX", set).await? == Value::Okay {
                return Ok(());
            }
            let mut get = redis::cmd("GET");
            get.arg(&key);
            match self.query::<Option<String>>("GET", get).await? {
                Some(theirs) if theirs == fingerprint => return Ok(()),
                Some(theirs) => {
                    return Err(JoinError::Mismatch {
                        addr: self.addr.clone(),
                        key,
                        ours: head(fingerprint),
                        theirs: head(&theirs),
                    })
                }
                None => continue,
            }
        }
        Err(JoinError::Unavailable(StateError::Unavailable(format!(
            "redis at {}: the fingerprint key {key} vanished three times between SET NX and GET",
            self.addr
        ))))
    }

    /// `prefix + key`: the Redis key for one of the caller's keys.
    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }

    /// One of the connections, round robin (a cheap handle clone).
    fn conn(&self) -> ConnectionManager {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        self.slots[i].clone()
    }

    /// `cmd` on the next connection, bounded by the timeout.
    async fn query<T: FromRedisValue>(&self, what: &str, cmd: redis::Cmd) -> Result<T, StateError> {
        let mut conn = self.conn();
        self.bounded(what, cmd.query_async::<T>(&mut conn)).await
    }

    /// `call` bounded by the timeout, its failures said without secrets.
    async fn bounded<T>(
        &self,
        what: &str,
        call: impl Future<Output = Result<T, RedisError>>,
    ) -> Result<T, StateError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) if e.code() == Some("OOM") => Err(StateError::Unavailable(format!(
                "redis at {} is full (maxmemory with noeviction): {what} refused: {}",
                self.addr,
                scrub(&e.to_string(), self.password.as_deref())
            ))),
            // The connection's own response timeout (a backstop, equal to
            // ours) may fire first: said the same way.
            Ok(Err(e)) if !e.is_timeout() => Err(StateError::Unavailable(format!(
                "redis at {}: {what} failed: {}",
                self.addr,
                scrub(&e.to_string(), self.password.as_deref())
            ))),
            Ok(Err(_)) | Err(_) => Err(StateError::Unavailable(format!(
                "redis at {}: no answer to {what} within {} ms",
                self.addr,
                self.timeout.as_millis()
            ))),
        }
    }

    /// Redis's `maxmemory-policy`, or `None` when it will not say (`CONFIG`
    /// renamed or forbidden, as managed services do).
    async fn maxmemory_policy(&self) -> Option<String> {
        let mut cmd = redis::cmd("CONFIG");
        cmd.arg("GET").arg("maxmemory-policy");
        let found = self
            .query::<HashMap<String, String>>("CONFIG GET", cmd)
            .await
            .ok()?;
        found.get("maxmemory-policy").cloned()
    }
}

impl StateStore for RedisStore {
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StateFuture<'a, ()> {
        Box::pin(async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(key)).arg(value).arg("PX").arg(millis(ttl));
            match self.query::<Value>("SET PX", cmd).await? {
                Value::Okay => Ok(()),
                other => Err(self.unexpected("SET PX", "OK", &other)),
            }
        })
    }

    fn get<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let mut cmd = redis::cmd("GET");
            cmd.arg(self.key(key));
            self.query("GET", cmd).await
        })
    }

    fn take<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            // GETDEL (Redis 6.2, Valkey): one command, so of two replicas
            // taking the same code at most one gets it.
            let mut cmd = redis::cmd("GETDEL");
            cmd.arg(self.key(key));
            self.query("GETDEL", cmd).await
        })
    }

    fn mark_once<'a>(&'a self, key: &'a str, ttl: Duration) -> StateFuture<'a, bool> {
        Box::pin(async move {
            let mut cmd = redis::cmd("SET");
            cmd.arg(self.key(key))
                .arg("")
                .arg("NX")
                .arg("PX")
                .arg(millis(ttl));
            match self.query::<Value>("SET NX PX", cmd).await? {
                Value::Okay => Ok(true),
                Value::Nil => Ok(false),
                other => Err(self.unexpected("SET NX PX", "OK or nil", &other)),
            }
        })
    }
}

impl RedisStore {
    fn unexpected(&self, what: &str, expected: &str, found: &Value) -> StateError {
        StateError::Unavailable(format!(
            "redis at {}: expected {expected} from {what}, found {found:?}",
            self.addr
        ))
    }
}

/// The connection parameters, password included, built from the checked
/// parts rather than from the URL (which must not carry the password).
fn connection_info(target: &Target, password: Option<&str>) -> redis::RedisResult<ConnectionInfo> {
    let addr = if target.tls {
        ConnectionAddr::TcpTls {
            host: target.host.clone(),
            port: target.port,
            insecure: false,
            tls_params: None,
        }
    } else {
        ConnectionAddr::Tcp(target.host.clone(), target.port)
    };
    let info = addr.into_connection_info()?;
    let mut settings = info.redis_settings().clone().set_db(target.db);
    if let Some(user) = &target.username {
        settings = settings.set_username(user);
    }
    if let Some(password) = password {
        settings = settings.set_password(password);
    }
    Ok(info.set_redis_settings(settings))
}

/// Whether the server refused the credentials (or wanted some).
fn is_auth_error(e: &RedisError) -> bool {
    e.kind() == redis::ErrorKind::AuthenticationFailed
        || matches!(e.code(), Some("WRONGPASS" | "NOAUTH" | "NOPERM"))
}

/// A time to live in whole milliseconds for `PX`, at least 1 (Redis
/// refuses `PX 0`).
fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

/// The first 16 characters of a fingerprint, as messages show it.
fn head(fingerprint: &str) -> String {
    fingerprint.chars().take(16).collect()
}

/// `msg` with every occurrence of the password replaced by `***`, in case
/// a library ever echoes it.
fn scrub(msg: &str, password: Option<&str>) -> String {
    match password {
        Some(p) if !p.is_empty() => msg.replace(p, "***"),
        _ => msg.to_owned(),
    }
}
