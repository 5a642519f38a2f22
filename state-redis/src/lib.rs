//! kakunin's short-lived OpenID Provider state in Redis or Valkey, shared
//! by every replica of a deployment: [`RedisStore`] implements
//! [`kakunin_oidc::state::StateStore`].
//!
//! # Key layout
//!
//! Every key is `{prefix}{key}`: the prefix (`--state-prefix`, default
//! `kakunin:`) lets several deployments share one Redis; the key is the
//! provider's own (`code:…`, `par:…`, `jti:…`, `used:…`). Beside them,
//! `{prefix}fingerprint` holds the fingerprint of the secrets the replicas
//! share ([`RedisStore::join`]); it is the only key without a time to live.
//!
//! # Commands
//!
//! | operation   | command                  | why                                   |
//! |-------------|--------------------------|---------------------------------------|
//! | `put`       | `SET k v PX ttl`         | everything with a lifetime expires in Redis |
//! | `get`       | `GET k`                  |                                       |
//! | `take`      | `GETDEL k` (Redis 6.2)   | single use is one atomic command: of two replicas redeeming one code, exactly one gets it |
//! | `mark_once` | `SET k "" NX PX ttl`     | likewise for replay marks             |
//! | `join`      | `SET fingerprint f NX`, `GET` | a replica with other secrets refuses to start |
//! | `ping`      | `PING`                   | readiness                             |
//!
//! # Why `noeviction`
//!
//! All our keys have a time to live, so every eviction policy but
//! `noeviction` may drop them under memory pressure — and an evicted
//! `used:` or `jti:` mark would let a replayed code or assertion through.
//! With `noeviction` a full Redis refuses writes (`-OOM`) instead: the
//! store reports [`StateError::Unavailable`](kakunin_oidc::state::StateError)
//! ("redis is full") and the request is refused (503), while what is
//! stored stays readable. [`RedisStore::connect`] refuses a Redis that
//! reports another policy (when `CONFIG GET` is allowed).
//!
//! # Timeouts and failing closed
//!
//! Every call, connecting included, is bounded by `timeout` (default
//! 250 ms). A Redis that is down or slow makes calls fail with
//! `StateError::Unavailable` after at most that long — no request waits
//! longer, so they do not pile up. The connections reconnect in the
//! background (back-off up to half a second, plus jitter), so service
//! resumes by itself within about a second of Redis returning. Connecting tries three times and then fails naming the
//! address; it never hangs.
//!
//! # TLS
//!
//! `rediss://` connects with rustls on the aws-lc-rs provider the rest of
//! kakunin uses, checking Redis's certificate against the system's roots,
//! or only against [`RedisConfig::tls_ca_file`] when set (a private CA).
//! There is no "insecure" mode (`#insecure` in the URL is refused).
//!
//! # Secrets
//!
//! The password never goes in the URL (refused: command lines show in
//! `ps`); it comes from a file or the environment into
//! [`RedisConfig::password`], and no `Display`, `Debug` or error shows it.
//!
//! ```no_run
//! # async fn demo(password: String) -> Result<(), Box<dyn std::error::Error>> {
//! use kakunin_oidc::state::StateStore;
//! use kakunin_state_redis::{RedisConfig, RedisStore};
//!
//! let mut config = RedisConfig::from_url("redis://10.0.0.5:6379/0")?;
//! config.password = Some(password);
//! config.prefix = "kakunin-prod:".into();
//! let store = RedisStore::connect(config).await?;
//! store.join("3f2a…hex of the shared secrets' hash…").await?;
//! let first = store.mark_once("jti:abc", std::time::Duration::from_secs(300)).await?;
//! # let _ = first; Ok(()) }
//! ```
#![deny(missing_docs)]

mod config;
mod store;

pub use config::{
    RedisConfig, RedisConfigError, DEFAULT_CONNECTIONS, DEFAULT_PREFIX, DEFAULT_TIMEOUT,
};
pub use store::{JoinError, RedisStore, RedisStoreError};
