//! What a server is told to do: addresses, trust anchors, the watched
//! directory and the limits. Plain data, so that the binary (flags, `KAKUNIN_*`
//! environment) and tests (struct literals) configure it the same way.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// Everything [`crate::Server::bind`] needs.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where to listen; port 0 picks a free port ([`crate::Server::local_addr`]).
    pub listen: SocketAddr,
    /// CA certificates (PEM or DER) whose CRLs are served, one file each.
    pub trust: Vec<PathBuf>,
    /// Extra names for issuers (`NAME=CERT`).
    pub aliases: Vec<AliasSpec>,
    /// Give the JPKI CAs the aliases `sign` and `auth` (see
    /// the issuers module).
    pub default_aliases: bool,
    /// The directory of `*.crl` and `*.idx` files to serve and watch.
    pub crl_dir: PathBuf,
    /// How the directory is watched.
    pub reload: ReloadConfig,
    /// Request and connection limits.
    pub limits: Limits,
    /// The OCSP responder (`/ocsp`).
    pub ocsp: OcspConfig,
    /// Card login (`/v1/challenge`, `/v1/authenticate`).
    pub login: LoginConfig,
    /// The OpenID Provider (`/authorize`, `/token`, ...); `None` leaves
    /// its paths unrouted.
    pub oidc: Option<OidcConfig>,
    /// Where short-lived state lives: this process, or a Redis shared by
    /// every replica (docs/operating.md, "Replicas").
    pub state: StateConfig,
    /// TLS on the listening port; `None` serves plain HTTP. A card front end
    /// at a desk reaches the server over a network, where answers must not
    /// be forgeable in transit; plain HTTP is for loopback, or behind a
    /// proxy that terminates TLS.
    pub tls: Option<TlsConfig>,
}

/// The server's certificate and key for TLS. One pair per listener: the
/// server has one name, and SNI-based selection would only add ways to
/// misconfigure it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TlsConfig {
    /// The certificate chain, PEM, the server's own certificate first (then
    /// any intermediates clients need); a single DER certificate also works.
    pub cert: PathBuf,
    /// Its private key: PEM PKCS#8 (`PRIVATE KEY`), PKCS#1 (`RSA PRIVATE
    /// KEY`) or SEC1 (`EC PRIVATE KEY`), or the same in DER. Unencrypted:
    /// the server starts unattended.
    pub key: PathBuf,
}

/// The OpenID Provider: who it is, whom it serves, what it signs with.
/// See docs/oidc.md.
#[derive(Clone, Debug)]
pub struct OidcConfig {
    /// The issuer identifier (`https://id.example.jp`), the base of every
    /// endpoint. `None`: the server's own `http://ADDR` (`https://` with
    /// TLS), which suits a demo on loopback only.
    pub issuer: Option<String>,
    /// The client registry (TOML), reloaded on SIGHUP and
    /// `POST /admin/reload`.
    pub clients: PathBuf,
    /// The provider's signing keys (PEM PKCS#8, P-256 or RSA); the first
    /// of each algorithm signs, all are published.
    pub keys: Vec<PathBuf>,
    /// At least 32 secret bytes; the pairwise `sub` is an HMAC under it, so
    /// it must not change across restarts or between replicas.
    pub pairwise_key: PathBuf,
    /// Short-lived entries (pending requests, codes, used assertions) held
    /// at most; beyond it requests are refused with `503`, and nothing live
    /// is evicted early.
    pub max_state_entries: usize,
    /// How long a person has to approve a login with the card; at most
    /// [`OidcConfig::MAX_PENDING_LIFETIME`].
    pub pending_lifetime: Duration,
    /// How long an authorization code lives; at most
    /// [`OidcConfig::MAX_CODE_LIFETIME`].
    pub code_lifetime: Duration,
    /// Document signing (`POST /v1/sign-transactions`), when configured:
    /// it needs an evidence log.
    pub signing: Option<SigningConfig>,
}

/// Where the short-lived state of logins lives (pending requests, codes,
/// used assertions and challenges, sign transactions).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub enum StateConfig {
    /// In this process (bounded by `--max-state-entries`): one replica, or
    /// replicas behind a balancer that routes each login to one of them.
    #[default]
    Memory,
    /// In Redis (or Valkey), shared by every replica: no routing rule, no
    /// replay window.
    Redis(kakunin_state_redis::RedisConfig),
}

/// Document signing's settings (docs/signing.md).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SigningConfig {
    /// The evidence log (JSON Lines, hash-chained; docs/evidence.md).
    pub evidence: PathBuf,
    /// The key that signs the log's checkpoints (PEM PKCS#8, P-256).
    pub evidence_key: PathBuf,
    /// Rotate the log when it reaches this many bytes (the chain goes on
    /// in the next file).
    pub evidence_rotate_bytes: Option<u64>,
    /// Most documents in one transaction.
    pub max_documents: usize,
    /// How long a registered transaction waits for the holder; at most
    /// [`SigningConfig::MAX_TRANSACTION_LIFETIME`].
    pub transaction_lifetime: Duration,
}

impl SigningConfig {
    /// 16 documents: what one sitting of card signing should ask of a
    /// person (each is listed on the login page and the card front end).
    pub const DEFAULT_MAX_DOCUMENTS: usize = 16;
    /// The most documents configurable: a card signs about 3 a second.
    pub const MAX_DOCUMENTS: usize = 64;
    /// Five minutes, as the Digital Agency's signing API.
    pub const DEFAULT_TRANSACTION_LIFETIME: Duration = Duration::from_secs(300);
    /// Fifteen minutes.
    pub const MAX_TRANSACTION_LIFETIME: Duration = Duration::from_secs(900);

    /// Signing with the log `evidence` sealed by `evidence_key`, the
    /// other settings at their defaults.
    pub fn new(evidence: PathBuf, evidence_key: PathBuf) -> SigningConfig {
        SigningConfig {
            evidence,
            evidence_key,
            evidence_rotate_bytes: None,
            max_documents: SigningConfig::DEFAULT_MAX_DOCUMENTS,
            transaction_lifetime: SigningConfig::DEFAULT_TRANSACTION_LIFETIME,
        }
    }
}

impl OidcConfig {
    /// The default bound on short-lived entries: 4,000,000. A used client
    /// assertion (about 200 bytes) is held 330 s, so this sustains some
    /// 12,000 token requests a second, the token endpoint's measured rate
    /// on two cores, in about 800 MiB; a login holds about 1 KiB in four
    /// entries for up to 10 minutes.
    pub const DEFAULT_MAX_STATE_ENTRIES: usize = 4_000_000;
    /// Five minutes: long enough to find the card and type a PIN, short
    /// enough that a relayed pairing code goes stale (docs/oidc.md,
    /// "Phishing").
    pub const MAX_PENDING_LIFETIME: Duration = Duration::from_secs(300);
    /// One minute (RFC 9700 §2.1.1 and OAuth 2.1 ask for short-lived codes;
    /// an RP redeems its code at once).
    pub const MAX_CODE_LIFETIME: Duration = Duration::from_secs(60);
}

/// Card login: whom logins are for, and how challenges are kept honest.
#[derive(Clone, Debug)]
pub struct LoginConfig {
    /// The relying parties' origins (`https://login.example.jp`) a login
    /// may be signed for. Empty: the server's own `http://ADDR` (`https://`
    /// with TLS).
    pub origins: Vec<String>,
    /// A secret of at least 32 bytes that every replica behind one load
    /// balancer shares, so that any of them accepts a challenge another
    /// one issued. Without it a random key is made at start: challenges
    /// then count on this process only, and not across a restart.
    pub key_file: Option<PathBuf>,
    /// How long a challenge counts after it is issued.
    pub challenge_lifetime: Duration,
    /// Used challenges remembered at most (until each expires). Logins
    /// beyond it are refused with `503` until older challenges expire; the
    /// default, with the default lifetime, allows 33,000 logins a second
    /// sustained, in at most ~150 MiB.
    pub max_live_challenges: usize,
}

impl Default for LoginConfig {
    fn default() -> Self {
        LoginConfig {
            origins: Vec::new(),
            key_file: None,
            challenge_lifetime: Duration::from_secs(120),
            max_live_challenges: 4_000_000,
        }
    }
}

/// The OCSP responder: who signs for which CA, and how much work it may
/// take on. With no signers, `/ocsp` answers `unauthorized` for every CA.
#[derive(Clone, Debug)]
pub struct OcspConfig {
    /// Signing certificates (PEM bundles or DER) with their private keys.
    /// A certificate that *is* a `--trust` CA makes the CA sign its own
    /// answers; any other must be a delegated responder certificate
    /// (id-kp-OCSPSigning) issued by one of them.
    pub signers: Vec<SignerSpec>,
    /// Signatures computed at once at most; a request that would need one
    /// more gets `tryLater` at once instead of waiting in an unbounded queue.
    pub max_concurrent_signatures: usize,
    /// Signed responses kept for nonce-less requests (entries, per
    /// generation; at most twice this many are held).
    pub cache_entries: usize,
}

impl Default for OcspConfig {
    fn default() -> Self {
        OcspConfig {
            signers: Vec::new(),
            max_concurrent_signatures: std::thread::available_parallelism()
                .map(|n| n.get() * 4)
                .unwrap_or(8),
            cache_entries: 100_000,
        }
    }
}

/// One OCSP signer: a certificate file (possibly several certificates, all
/// for the same key) and its private key (PKCS#8 or PKCS#1, PEM or DER).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignerSpec {
    /// The certificate(s).
    pub cert: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// How changes in the CRL directory are noticed. All of them only trigger a
/// scan; the scan itself decides what changed (by size, mtime and inode).
#[derive(Clone, Debug)]
pub struct ReloadConfig {
    /// Watch the directory with inotify (or the platform's equivalent).
    pub watch: bool,
    /// Quiet time after the last file event before a scan: lets a copy finish
    /// and coalesces the events of one rename.
    pub debounce: Duration,
    /// Scan every so often anyway: the fallback for file systems where
    /// notifications do not arrive (NFS, some container mounts).
    pub poll_interval: Duration,
}

impl Default for ReloadConfig {
    fn default() -> Self {
        ReloadConfig {
            watch: true,
            debounce: Duration::from_millis(200),
            poll_interval: Duration::from_secs(30),
        }
    }
}

/// Bounds on what one client can make the server hold.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Largest request body accepted (`413` beyond).
    pub max_body_bytes: usize,
    /// Time allowed for a request's header (HTTP/1.1): bounds slow clients.
    pub header_read_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_read_timeout: Duration,
    /// A connection with no traffic and no request in flight for this long
    /// is closed.
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it new ones wait in the kernel's
    /// accept queue.
    pub max_connections: usize,
    /// HTTP/2 streams per connection at most.
    pub max_concurrent_streams: u32,
    /// On SIGTERM/SIGINT, how long in-flight requests may take to finish.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_body_bytes: 64 * 1024,
            header_read_timeout: Duration::from_secs(10),
            body_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_connections: 10_000,
            max_concurrent_streams: 256,
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// `NAME=CERT`: an alias for the issuer whose CA certificate is the file
/// CERT, or whose key id / SPKI SHA-256 is the hex CERT.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AliasSpec {
    /// The alias, lower case.
    pub name: String,
    /// A certificate file or a hex identifier of a `--trust` CA.
    pub target: String,
}

impl FromStr for AliasSpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (name, target) = s
            .split_once('=')
            .ok_or_else(|| format!("alias {s:?} is not NAME=CERT"))?;
        let name = name.trim().to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.');
        if !valid {
            return Err(format!(
                "alias name {name:?} must be 1 to 64 of a-z, 0-9, '-', '_', '.'"
            ));
        }
        if target.trim().is_empty() {
            return Err(format!("alias {name:?} names no certificate"));
        }
        Ok(AliasSpec {
            name,
            target: target.trim().to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alias_specs_parse_and_bad_ones_are_refused() {
        let a: AliasSpec = "Sign2=data/sign-ca.pem".parse().unwrap();
        assert_eq!(a.name, "sign2");
        assert_eq!(a.target, "data/sign-ca.pem");
        for bad in ["sign", "=x", "a b=x", "x=", "x/y=z"] {
            assert!(bad.parse::<AliasSpec>().is_err(), "{bad}");
        }
    }
}
