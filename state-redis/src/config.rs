//! Where the store is and how it is used: `--state redis://HOST:PORT/DB`,
//! parsed and checked before anything connects.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use thiserror::Error;

/// The default key prefix: several deployments can share one Redis, each
/// with its own prefix.
pub const DEFAULT_PREFIX: &str = "kakunin:";

/// The default bound on every call. A request that needs state waits at
/// most this long before it is refused (503), so that a slow or absent
/// Redis cannot pile up requests.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_millis(250);

/// The default number of multiplexed connections. Each carries many
/// requests at once (pipelined); a few spread the load over more than one
/// socket and one Redis I/O thread's queue.
pub const DEFAULT_CONNECTIONS: usize = 4;

/// How to reach the Redis (or Valkey) that holds the state.
///
/// The password is a separate field, never part of [`url`](Self::url):
/// command lines are visible in `ps` and URLs end up in logs. `Display`
/// and `Debug` show whether a password is set, never the password.
#[derive(Clone, PartialEq, Eq)]
pub struct RedisConfig {
    /// `redis://HOST[:PORT][/DB]`, or `rediss://…` for TLS; a user name
    /// (Redis ACL) may stand before the host, a password may not.
    pub url: String,
    /// The password (`AUTH`), read from a file or the environment.
    pub password: Option<String>,
    /// Put before every key: `{prefix}{key}`.
    pub prefix: String,
    /// The bound on every call, connecting included.
    pub timeout: Duration,
    /// How many multiplexed connections the store keeps (round robin).
    pub connections: usize,
    /// For `rediss://`: the CA certificates (PEM) that Redis's certificate
    /// must chain to, in place of the system's roots — Redis inside a
    /// cluster usually has a private CA. `None`: the system's roots.
    pub tls_ca_file: Option<PathBuf>,
}

/// Why a `--state` URL or a [`RedisConfig`] was refused.
#[derive(Debug, Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum RedisConfigError {
    /// The URL does not parse.
    #[error("expected a URL like redis://HOST:PORT/DB, found {url:?}: {reason}")]
    Url {
        /// The URL, any password in it replaced by `***`.
        url: String,
        /// What the URL parser said.
        reason: String,
    },
    /// Another scheme than redis/rediss (valkey/valkeys).
    #[error("expected a redis://, rediss://, valkey:// or valkeys:// URL, found {found}://")]
    Scheme {
        /// The scheme found.
        found: String,
    },
    /// A password inside the URL.
    #[error(
        "expected a URL without a password, found one in {url:?}: put the password in \
         --state-password-file or KAKUNIN_STATE_PASSWORD, not in the URL, which is visible in `ps`"
    )]
    PasswordInUrl {
        /// The URL with the password replaced by `***`.
        url: String,
    },
    /// No host.
    #[error("expected a host in {url:?} (redis://HOST:PORT/DB), found none")]
    NoHost {
        /// The URL.
        url: String,
    },
    /// The path is not a database number.
    #[error("expected a database number after the host (redis://HOST:PORT/DB), found {found:?}")]
    Database {
        /// The path found.
        found: String,
    },
    /// A query string or fragment, which would be ignored or change TLS
    /// checking behind the operator's back (`#insecure`).
    #[error("expected no query or fragment in the state URL, found {found:?}")]
    Extra {
        /// The query or fragment found.
        found: String,
    },
    /// A CA file for a connection without TLS.
    #[error("expected a rediss:// URL with a TLS CA file, found {url:?} (no TLS)")]
    CaWithoutTls {
        /// The URL.
        url: String,
    },
    /// A zero timeout or no connections.
    #[error("expected {what} above zero, found zero")]
    Zero {
        /// `timeout` or `connections`.
        what: &'static str,
    },
}

/// The parts of a checked URL the store needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Target {
    pub(crate) tls: bool,
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) db: i64,
    pub(crate) username: Option<String>,
}

impl Target {
    /// `HOST:PORT`, as errors name the server.
    pub(crate) fn addr(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl RedisConfig {
    /// The configuration for `url` with the defaults: no password, prefix
    /// [`DEFAULT_PREFIX`], timeout [`DEFAULT_TIMEOUT`],
    /// [`DEFAULT_CONNECTIONS`] connections. Refuses a URL that holds a
    /// password (it would show in `ps` and in logs).
    pub fn from_url(url: &str) -> Result<RedisConfig, RedisConfigError> {
        let config = RedisConfig {
            url: url.to_owned(),
            password: None,
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            connections: DEFAULT_CONNECTIONS,
            tls_ca_file: None,
        };
        config.target()?;
        Ok(config)
    }

    /// Checks the whole configuration (the fields are public, so
    /// [`RedisStore::connect`](crate::RedisStore::connect) checks again).
    pub(crate) fn target(&self) -> Result<Target, RedisConfigError> {
        if self.timeout.is_zero() {
            return Err(RedisConfigError::Zero { what: "timeout" });
        }
        if self.connections == 0 {
            return Err(RedisConfigError::Zero {
                what: "connections",
            });
        }
        let target = parse(&self.url)?;
        if self.tls_ca_file.is_some() && !target.tls {
            return Err(RedisConfigError::CaWithoutTls {
                url: self.url.clone(),
            });
        }
        Ok(target)
    }
}

fn parse(raw: &str) -> Result<Target, RedisConfigError> {
    let url = url::Url::parse(raw).map_err(|e| RedisConfigError::Url {
        url: redact_url(raw),
        reason: e.to_string(),
    })?;
    let tls = match url.scheme() {
        "redis" | "valkey" => false,
        "rediss" | "valkeys" => true,
        other => {
            return Err(RedisConfigError::Scheme {
                found: other.to_owned(),
            })
        }
    };
    if url.password().is_some() {
        return Err(RedisConfigError::PasswordInUrl {
            url: redact_url(raw),
        });
    }
    let host = match url.host() {
        Some(url::Host::Domain(d)) if !d.is_empty() => d.to_owned(),
        Some(url::Host::Ipv4(a)) => a.to_string(),
        Some(url::Host::Ipv6(a)) => a.to_string(),
        _ => {
            return Err(RedisConfigError::NoHost {
                url: raw.to_owned(),
            })
        }
    };
    if let Some(extra) = url.query().or(url.fragment()) {
        return Err(RedisConfigError::Extra {
            found: extra.to_owned(),
        });
    }
    let db = match url.path().trim_matches('/') {
        "" => 0,
        path => path
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| RedisConfigError::Database {
                found: url.path().to_owned(),
            })?,
    };
    let username = match url.username() {
        "" => None,
        u => Some(percent_decode(u).ok_or_else(|| RedisConfigError::Url {
            url: raw.to_owned(),
            reason: "the user name is not UTF-8 once percent-decoded".to_owned(),
        })?),
    };
    Ok(Target {
        tls,
        host,
        port: url.port().unwrap_or(6379),
        db,
        username,
    })
}

/// `%XX` decoding of a URL's user name (the `url` crate leaves it encoded).
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// `raw` with whatever stands between `://` and the last `@` of the
/// authority replaced by `***`, for messages about a URL that may hold a
/// password (even one that does not parse).
pub(crate) fn redact_url(raw: &str) -> String {
    let Some(start) = raw.find("://").map(|i| i + 3) else {
        return raw.to_owned();
    };
    let rest = &raw[start..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => format!("{}***{}", &raw[..start], &rest[at..]),
        None => raw.to_owned(),
    }
}

impl fmt::Display for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} (prefix {:?}, timeout {} ms, {} connections, password {})",
            redact_url(&self.url),
            self.prefix,
            self.timeout.as_millis(),
            self.connections,
            if self.password.is_some() {
                "set"
            } else {
                "not set"
            }
        )
    }
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisConfig")
            .field("url", &redact_url(&self.url))
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("connections", &self.connections)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_host_port_db_and_tls() {
        let c = RedisConfig::from_url("redis://cache.internal:6380/3").unwrap();
        assert_eq!(
            c.target().unwrap(),
            Target {
                tls: false,
                host: "cache.internal".into(),
                port: 6380,
                db: 3,
                username: None
            }
        );
        assert_eq!(c.prefix, "kakunin:");
        assert_eq!(c.timeout, Duration::from_millis(250));
        assert_eq!(c.connections, 4);
        let t = RedisConfig::from_url("rediss://kakunin%40a@[::1]")
            .unwrap()
            .target()
            .unwrap();
        assert!(t.tls);
        assert_eq!((t.port, t.db), (6379, 0));
        assert_eq!(t.username.as_deref(), Some("kakunin@a"));
        assert_eq!(t.addr(), "[::1]:6379");
    }

    #[test]
    fn refuses_a_password_in_the_url_without_repeating_it() {
        for url in [
            "redis://:hunter2@localhost:6379/0",
            "redis://user:hunter2@localhost/0",
        ] {
            let e = RedisConfig::from_url(url).unwrap_err();
            assert!(matches!(e, RedisConfigError::PasswordInUrl { .. }), "{e:?}");
            let msg = e.to_string();
            assert!(msg.contains("KAKUNIN_STATE_PASSWORD"), "{msg}");
            assert!(msg.contains("--state-password-file"), "{msg}");
            assert!(!msg.contains("hunter2"), "{msg}");
            assert!(!format!("{e:?}").contains("hunter2"));
        }
        // Not even an unparsable URL is echoed with its password.
        let e = RedisConfig::from_url("redis://u:hunter2@bad host/0").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
    }

    #[test]
    fn refuses_what_it_cannot_honour() {
        let refused = |url: &str| RedisConfig::from_url(url).unwrap_err();
        assert!(matches!(
            refused("http://h/0"),
            RedisConfigError::Scheme { .. }
        ));
        assert!(matches!(
            refused("redis:///0"),
            RedisConfigError::NoHost { .. }
        ));
        assert!(matches!(
            refused("redis://h/db"),
            RedisConfigError::Database { .. }
        ));
        assert!(matches!(
            refused("redis://h/-1"),
            RedisConfigError::Database { .. }
        ));
        assert!(matches!(
            refused("rediss://h/0#insecure"),
            RedisConfigError::Extra { .. }
        ));
        assert!(matches!(
            refused("redis://h/0?protocol=resp3"),
            RedisConfigError::Extra { .. }
        ));
        let mut c = RedisConfig::from_url("redis://h/0").unwrap();
        c.tls_ca_file = Some("ca.pem".into());
        assert!(matches!(
            c.target(),
            Err(RedisConfigError::CaWithoutTls { .. })
        ));
        c.tls_ca_file = None;
        c.connections = 0;
        assert_eq!(
            c.target(),
            Err(RedisConfigError::Zero {
                what: "connections"
            })
        );
    }

    #[test]
    fn display_and_debug_never_show_the_password() {
        let mut c = RedisConfig::from_url("redis://h:1/2").unwrap();
        c.password = Some("hunter2".into());
        for shown in [c.to_string(), format!("{c:?}")] {
            assert!(!shown.contains("hunter2"), "{shown}");
            assert!(shown.contains("redis://h:1/2"), "{shown}");
        }
        assert!(c.to_string().contains("password set"));
        // A URL built by hand with a password is redacted too.
        c.url = "redis://u:hunter2@h:1/2".into();
        assert!(!c.to_string().contains("hunter2"));
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
