//! `kakunin serve`: the HTTP status endpoint. Flags (each with a `KAKUNIN_*`
//! environment equivalent, and a key in the `--config` file: [`file`]) are
//! turned into a [`kakunin_server::Config`]; everything else lives in the
//! `kakunin-server` library.

mod file;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::log::LogFormat;
use anyhow::{bail, Context};
use clap::ArgMatches;
use kakunin_server::{
    AliasSpec, Config, Limits, LoginConfig, OcspConfig, OidcConfig, ReloadConfig, Server,
    SignerSpec, SigningConfig, StateConfig, TlsConfig,
};
use kakunin_state_redis::RedisConfig;

use crate::Outcome;

/// Arguments of `kakunin serve`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "With no --trust and no --crl-dir, serves the sample PKI in data/ \
(trust data/sign-ca.pem and data/auth-ca.pem, CRLs from data/, OCSP signed by data/ocsp.pem \
with data/ocsp.key) and prints example curl and openssl ocsp commands.\n\
Endpoints: GET /v1/status/{issuer}/{serial}, POST /v1/status[?issuer=NAME], \
POST /v1/verify[?facts=true&at=RFC3339], GET /v1/challenge, POST /v1/authenticate?challenge=C, POST /ocsp, \
GET /ocsp/{base64}, GET /healthz, GET /readyz, GET /metrics, POST /admin/reload (loopback only).\n\
With --clients (and --oidc-key, --pairwise-key) also an OpenID Provider: \
GET /.well-known/openid-configuration, GET /jwks, GET|POST /authorize (the login page), POST /par, \
POST /token, GET|POST /userinfo, and GET|POST /approve/{pairing} for `kakunin card approve` \
(docs/oidc.md). With no arguments, the demo in data/oidc/ (test keys) is served too.\n\
{issuer} is the issuer_key_id `kakunin ingest` prints, the SHA-256 hex of the CA's \
SubjectPublicKeyInfo, or an alias (sign/auth by default for the JPKI CAs).\n\
Reloads on file changes in --crl-dir, SIGHUP, POST /admin/reload and every --poll-interval. \
SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0.\n\n\
TLS: with --tls-cert and --tls-key the port speaks HTTPS only (HTTP/1.1 and HTTP/2 by ALPN); \
the certificate file is a PEM chain, the server's certificate first; the key is unencrypted \
PEM PKCS#8, PKCS#1 or SEC1.\n\n\
Config file (--config FILE, TOML): every flag above has a key of the same name, e.g.\
\n  listen = \"0.0.0.0:8443\"\
\n  trust = [\"sign-ca.pem\", \"auth-ca.pem\"]\
\n  crl-dir = \"/var/lib/kakunin/crl\"\
\n  header-timeout = \"10s\"\
\n  tls-cert = \"tls/server.pem\"\
\n  tls-key = \"tls/server.key\"\
\nLists are TOML arrays, durations strings, switches true/false. Relative paths in the file are \
relative to the file's directory (not the working directory). Precedence: command-line flag, \
then KAKUNIN_* variable, then the file, then the default. Unknown keys are an error."
)]
pub(crate) struct ServeArgs {
    /// Read options from this TOML file (keys named as the flags; see below).
    /// Command-line flags and KAKUNIN_* variables override it.
    #[arg(long, env = "KAKUNIN_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(
        long,
        env = "KAKUNIN_LISTEN",
        default_value = "127.0.0.1:8080",
        value_name = "ADDR"
    )]
    listen: SocketAddr,
    /// CA certificate (PEM or DER) whose CRLs are served; repeat for each CA
    /// (the environment variable takes a comma-separated list).
    #[arg(
        long = "trust",
        env = "KAKUNIN_TRUST",
        value_name = "CERT",
        value_delimiter = ','
    )]
    trust: Vec<PathBuf>,
    /// Directory of *.crl (DER or PEM) and *.idx (from `kakunin ingest`) files,
    /// watched for changes.
    #[arg(long, env = "KAKUNIN_CRL_DIR", value_name = "DIR")]
    crl_dir: Option<PathBuf>,
    /// Another name for a --trust CA: NAME=CERT (the CA's certificate file, or
    /// its key id or SPKI SHA-256 in hex). Repeatable; comma-separated in the
    /// environment.
    #[arg(
        long = "alias",
        env = "KAKUNIN_ALIAS",
        value_name = "NAME=CERT",
        value_delimiter = ','
    )]
    aliases: Vec<AliasSpec>,
    /// Do not name the JPKI CAs `sign` and `auth` by default.
    #[arg(long, env = "KAKUNIN_NO_DEFAULT_ALIASES")]
    no_default_aliases: bool,
    /// Largest request body accepted, in bytes.
    #[arg(long, env = "KAKUNIN_MAX_BODY", default_value_t = 64 * 1024, value_name = "BYTES")]
    max_body: usize,
    /// Time allowed for a request's header (e.g. 10s, 500ms).
    #[arg(long, env = "KAKUNIN_HEADER_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    header_timeout: Duration,
    /// Time allowed for a request's body.
    #[arg(long, env = "KAKUNIN_BODY_TIMEOUT", default_value = "10s", value_parser = parse_duration, value_name = "DURATION")]
    body_timeout: Duration,
    /// Close connections idle this long (HTTP/1.1 keep-alive connections are
    /// also bounded by --header-timeout while they wait for the next request).
    #[arg(long, env = "KAKUNIN_IDLE_TIMEOUT", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    idle_timeout: Duration,
    /// Open connections at most; more wait in the kernel's accept queue.
    #[arg(
        long,
        env = "KAKUNIN_MAX_CONNECTIONS",
        default_value_t = 10_000,
        value_name = "N"
    )]
    max_connections: usize,
    /// On SIGTERM/SIGINT, how long in-flight requests may take to finish.
    #[arg(long, env = "KAKUNIN_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    shutdown_grace: Duration,
    /// Scan --crl-dir this often even without file events (the fallback for
    /// file systems that do not notify).
    #[arg(long, env = "KAKUNIN_POLL_INTERVAL", default_value = "30s", value_parser = parse_duration, value_name = "DURATION")]
    poll_interval: Duration,
    /// Quiet time after file events before a scan.
    #[arg(long, env = "KAKUNIN_DEBOUNCE", default_value = "200ms", value_parser = parse_duration, value_name = "DURATION")]
    debounce: Duration,
    /// Do not watch --crl-dir for file events (SIGHUP, /admin/reload and the
    /// periodic scan still work).
    #[arg(long, env = "KAKUNIN_NO_WATCH")]
    no_watch: bool,
    /// OCSP signing certificate(s), PEM or DER: a --trust CA (it signs its own
    /// answers) or a delegated responder certificate (id-kp-OCSPSigning,
    /// issued by a --trust CA). A PEM bundle gives one signer per certificate.
    /// Repeatable; without any, /ocsp answers unauthorized (the sample
    /// defaults to data/ocsp.pem).
    #[arg(
        long = "ocsp-signer",
        env = "KAKUNIN_OCSP_SIGNER",
        value_name = "CERT",
        value_delimiter = ','
    )]
    ocsp_signers: Vec<PathBuf>,
    /// Private key (PKCS#8 or PKCS#1, PEM or DER) of each --ocsp-signer, in
    /// the same order; one key serves every signer.
    #[arg(
        long = "ocsp-key",
        env = "KAKUNIN_OCSP_KEY",
        value_name = "KEY",
        value_delimiter = ','
    )]
    ocsp_keys: Vec<PathBuf>,
    /// OCSP signatures computed at once at most; beyond it requests get
    /// tryLater at once (default: 4 per CPU).
    #[arg(long, env = "KAKUNIN_OCSP_MAX_SIGNING", value_name = "N")]
    ocsp_max_signing: Option<usize>,
    /// Signed OCSP responses kept for nonce-less requests (per generation;
    /// at most twice this many are held). 0 turns the cache off.
    #[arg(
        long,
        env = "KAKUNIN_OCSP_CACHE",
        default_value_t = 100_000,
        value_name = "ENTRIES"
    )]
    ocsp_cache: usize,
    /// Origin (scheme://host[:port], as browsers write it) that a card login
    /// may be signed for; repeat for each relying party. Default: this
    /// server's own http://ADDR (https://ADDR with TLS).
    #[arg(
        long = "origin",
        env = "KAKUNIN_ORIGIN",
        value_name = "ORIGIN",
        value_delimiter = ','
    )]
    origins: Vec<String>,
    /// File holding the secret (at least 32 bytes) login challenges are
    /// minted with. Replicas behind one load balancer must share it. Default:
    /// a random key per process (challenges then count on this process only).
    #[arg(long, env = "KAKUNIN_CHALLENGE_KEY", value_name = "FILE")]
    challenge_key: Option<PathBuf>,
    /// How long a login challenge counts after it is issued.
    #[arg(long, env = "KAKUNIN_CHALLENGE_LIFETIME", default_value = "120s", value_parser = parse_duration, value_name = "DURATION")]
    challenge_lifetime: Duration,
    /// Used login challenges remembered at most (each until it expires);
    /// logins beyond it get 503 until older challenges expire.
    #[arg(
        long,
        env = "KAKUNIN_MAX_LIVE_CHALLENGES",
        default_value_t = 4_000_000,
        value_name = "N"
    )]
    max_live_challenges: usize,
    /// Serve HTTPS: the server's certificate chain (PEM, its own certificate
    /// first). Needs --tls-key.
    #[arg(long, env = "KAKUNIN_TLS_CERT", value_name = "FILE")]
    tls_cert: Option<PathBuf>,
    /// The private key of --tls-cert (PEM PKCS#8, PKCS#1 or SEC1, unencrypted).
    #[arg(long, env = "KAKUNIN_TLS_KEY", value_name = "FILE")]
    tls_key: Option<PathBuf>,
    /// The OpenID Provider's issuer identifier (https://id.example.jp), the
    /// base of its endpoints and the `iss` of its tokens. Default: this
    /// server's own http://ADDR (https://ADDR with TLS). See docs/oidc.md.
    #[arg(long, env = "KAKUNIN_ISSUER", value_name = "URL")]
    issuer: Option<String>,
    /// The OpenID Provider's client registry (TOML; see docs/oidc.md),
    /// reloaded on SIGHUP and POST /admin/reload. Without it the provider is
    /// off (the sample serves data/oidc/clients.toml).
    #[arg(long, env = "KAKUNIN_CLIENTS", value_name = "FILE")]
    clients: Option<PathBuf>,
    /// The provider's signing key (PEM PKCS#8, P-256 or RSA >= 2048 bits).
    /// Repeatable: the first key of each algorithm signs, all are published
    /// in /jwks (a key rotation serves the old and the new).
    #[arg(
        long = "oidc-key",
        env = "KAKUNIN_OIDC_KEY",
        value_name = "FILE",
        value_delimiter = ','
    )]
    oidc_keys: Vec<PathBuf>,
    /// At least 32 secret bytes under which the pairwise `sub` is computed:
    /// keep it, and share it between replicas, or every user's `sub` changes.
    #[arg(long, env = "KAKUNIN_PAIRWISE_KEY", value_name = "FILE")]
    pairwise_key: Option<PathBuf>,
    /// Short-lived OpenID Provider entries (pending logins, codes, used
    /// assertions) held at most; beyond it requests get 503.
    #[arg(
        long,
        env = "KAKUNIN_MAX_STATE_ENTRIES",
        default_value_t = OidcConfig::DEFAULT_MAX_STATE_ENTRIES,
        value_name = "N"
    )]
    max_state_entries: usize,
    /// How long a person has to approve an OpenID login with the card (at
    /// most 5m).
    #[arg(long, env = "KAKUNIN_PENDING_LIFETIME", default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    pending_lifetime: Duration,
    /// How long an authorization code lives (at most 60s).
    #[arg(long, env = "KAKUNIN_CODE_LIFETIME", default_value = "60s", value_parser = parse_duration, value_name = "DURATION")]
    code_lifetime: Duration,
    /// Where short-lived state lives (pending logins, codes, used
    /// assertions and challenges, sign transactions): `memory` (this
    /// process), or `redis://HOST[:PORT][/DB]` (`rediss://` for TLS), a
    /// Redis or Valkey every replica shares, so no balancer routing rule is
    /// needed (docs/operating.md, "Replicas"). The password comes from
    /// --state-password-file or KAKUNIN_STATE_PASSWORD, never the URL.
    #[arg(
        long,
        env = "KAKUNIN_STATE",
        default_value = "memory",
        value_name = "memory|URL"
    )]
    state: String,
    /// A file holding the Redis password (AUTH), one line.
    #[arg(long, value_name = "FILE")]
    state_password_file: Option<PathBuf>,
    /// With rediss://: the CA certificates (PEM) Redis's certificate must
    /// chain to, when not the system's.
    #[arg(long, env = "KAKUNIN_STATE_CA", value_name = "FILE")]
    state_ca: Option<PathBuf>,
    /// Put before every Redis key, so that several deployments can share
    /// one Redis.
    #[arg(long, env = "KAKUNIN_STATE_PREFIX", default_value = kakunin_state_redis::DEFAULT_PREFIX, value_name = "PREFIX")]
    state_prefix: String,
    /// The bound on every Redis call; beyond it the request answers 503
    /// state_unavailable.
    #[arg(long, env = "KAKUNIN_STATE_TIMEOUT", default_value = "250ms", value_parser = parse_duration, value_name = "DURATION")]
    state_timeout: Duration,
    /// Document signing (docs/signing.md): the evidence log, one
    /// hash-chained record per sign transaction (docs/evidence.md). Needs
    /// --evidence-key; without both, POST /v1/sign-transactions answers 404.
    /// The sample writes the demo's log to the system's temporary directory.
    #[arg(long, env = "KAKUNIN_EVIDENCE", value_name = "FILE")]
    evidence: Option<PathBuf>,
    /// The key that signs the evidence log's checkpoints (PEM PKCS#8,
    /// P-256: `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
    /// Give its public half to whoever checks the log
    /// (`kakunin evidence verify --key`).
    #[arg(long, env = "KAKUNIN_EVIDENCE_KEY", value_name = "FILE")]
    evidence_key: Option<PathBuf>,
    /// Start a new evidence file when the current one reaches this many
    /// bytes; the chain goes on across files.
    #[arg(long, env = "KAKUNIN_EVIDENCE_ROTATE_BYTES", value_name = "BYTES")]
    evidence_rotate_bytes: Option<u64>,
    /// Most documents in one sign transaction (at most 64).
    #[arg(long, env = "KAKUNIN_SIGN_MAX_DOCUMENTS", default_value_t = SigningConfig::DEFAULT_MAX_DOCUMENTS, value_name = "N")]
    sign_max_documents: usize,
    /// How long a sign transaction waits for the holder (at most 15m).
    #[arg(long, env = "KAKUNIN_SIGN_LIFETIME", default_value = "5m", value_parser = parse_duration, value_name = "DURATION")]
    sign_lifetime: Duration,
    /// Log format: human or json.
    #[arg(
        long,
        env = "KAKUNIN_LOG_FORMAT",
        default_value = "human",
        value_name = "FORMAT"
    )]
    log_format: LogFormat,
    /// Log filter (tracing EnvFilter syntax), e.g. info, debug, warn.
    #[arg(
        long,
        env = "KAKUNIN_LOG",
        default_value = "info",
        value_name = "FILTER"
    )]
    log: String,
}

/// `10`, `10s`, `500ms`, `2m`, `1h`.
fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{text:?} is not a duration (e.g. 10s, 500ms, 2m)"))?;
    let d = match unit {
        "" | "s" => Duration::from_secs(n),
        "ms" => Duration::from_millis(n),
        "m" => Duration::from_secs(n.saturating_mul(60)),
        "h" => Duration::from_secs(n.saturating_mul(3600)),
        _ => return Err(format!("{text:?}: unit must be ms, s, m or h")),
    };
    if d.is_zero() {
        return Err(format!("{text:?}: must be more than zero"));
    }
    Ok(d)
}

/// The sample PKI: `data/` under the current directory (a checkout's
/// root), else the one this binary was built from.
fn sample_dir() -> PathBuf {
    let here = Path::new("data");
    if here.join("sign-ca.pem").is_file() {
        return here.to_path_buf();
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("data")
}

/// Runs `kakunin serve`. `matches` are clap's, for which options the
/// command line or the environment gave (they override `--config`).
pub(crate) fn run(mut args: ServeArgs, matches: &ArgMatches) -> anyhow::Result<Outcome> {
    if let Some(path) = &args.config {
        file::FileOptions::read(path)?.apply(&mut args, matches);
    }
    crate::log::init(args.log_format, &args.log).map_err(anyhow::Error::msg)?;
    let sample = args.trust.is_empty() && args.crl_dir.is_none();
    let (trust, crl_dir) = if sample {
        let d = sample_dir();
        (vec![d.join("sign-ca.pem"), d.join("auth-ca.pem")], d)
    } else {
        match args.crl_dir {
            None => bail!("--crl-dir is required with --trust"),
            Some(_) if args.trust.is_empty() => bail!("--trust is required with --crl-dir"),
            Some(dir) => (args.trust, dir),
        }
    };
    let ocsp = ocsp_config(
        &args.ocsp_signers,
        &args.ocsp_keys,
        sample.then(sample_dir).as_deref(),
        args.ocsp_max_signing,
        args.ocsp_cache,
    )?;
    let tls = tls_config(args.tls_cert, args.tls_key)?;
    let state = state_config(
        &args.state,
        args.state_password_file.as_deref(),
        args.state_ca,
        args.state_prefix,
        args.state_timeout,
    )?;
    let oidc = oidc_config(
        args.issuer,
        args.clients,
        args.oidc_keys,
        args.pairwise_key,
        Lifetimes {
            max_state_entries: args.max_state_entries,
            pending: args.pending_lifetime,
            code: args.code_lifetime,
        },
        sample.then(sample_dir).as_deref(),
    )?;
    let oidc = with_signing(
        oidc,
        SigningArgs {
            evidence: args.evidence,
            evidence_key: args.evidence_key,
            rotate_bytes: args.evidence_rotate_bytes,
            max_documents: args.sign_max_documents,
            lifetime: args.sign_lifetime,
        },
        sample.then(sample_dir).as_deref(),
    )?;
    let config = Config {
        listen: args.listen,
        trust,
        aliases: args.aliases,
        default_aliases: !args.no_default_aliases,
        crl_dir,
        reload: ReloadConfig {
            watch: !args.no_watch,
            debounce: args.debounce,
            poll_interval: args.poll_interval,
        },
        limits: Limits {
            max_body_bytes: args.max_body,
            header_read_timeout: args.header_timeout,
            body_read_timeout: args.body_timeout,
            idle_timeout: args.idle_timeout,
            max_connections: args.max_connections.max(1),
            shutdown_grace: args.shutdown_grace,
            ..Limits::default()
        },
        ocsp,
        login: LoginConfig {
            origins: args.origins,
            key_file: args.challenge_key,
            challenge_lifetime: args.challenge_lifetime,
            max_live_challenges: args.max_live_challenges.max(1),
        },
        oidc,
        state,
        tls,
    };
    let evidence = config
        .oidc
        .as_ref()
        .and_then(|o| o.signing.as_ref())
        .map(|s| s.evidence.clone());
    let server = Server::bind(config).context("kakunin serve")?;
    print_banner(&server, sample);
    if let Some(e) = evidence {
        println!(
            "  document signing on: POST /v1/sign-transactions (docs/signing.md); evidence log {}",
            e.display()
        );
    }
    server.run().context("kakunin serve")?;
    Ok(Outcome::Success)
}

/// The OpenID Provider: on with `--clients` (which then needs
/// `--oidc-key` and `--pairwise-key`), or in the sample with the demo in
/// `data/oidc/`.
fn oidc_config(
    issuer: Option<String>,
    clients: Option<PathBuf>,
    keys: Vec<PathBuf>,
    pairwise_key: Option<PathBuf>,
    bounds: Lifetimes,
    sample_dir: Option<&Path>,
) -> anyhow::Result<Option<OidcConfig>> {
    if bounds.pending > OidcConfig::MAX_PENDING_LIFETIME {
        bail!("--pending-lifetime: at most 5m (a relayed pairing code must go stale)");
    }
    if bounds.code > OidcConfig::MAX_CODE_LIFETIME {
        bail!("--code-lifetime: at most 60s (codes are short-lived, RFC 9700 §2.1.1)");
    }
    let demo = sample_dir.map(|d| d.join("oidc"));
    let (clients, keys, pairwise_key) = match (clients, demo) {
        (Some(c), _) => {
            if keys.is_empty() {
                bail!("--clients needs --oidc-key (the provider's signing key, PEM PKCS#8)");
            }
            let Some(p) = pairwise_key else {
                bail!("--clients needs --pairwise-key (a file of at least 32 secret bytes; `sub` values depend on it)");
            };
            (c, keys, p)
        }
        (None, Some(d)) if keys.is_empty() && pairwise_key.is_none() => (
            d.join("clients.toml"),
            vec![d.join("op-es256.key"), d.join("op-rs256.key")],
            d.join("pairwise.key"),
        ),
        (None, _) => {
            if !keys.is_empty() || pairwise_key.is_some() || issuer.is_some() {
                bail!(
                    "--issuer, --oidc-key and --pairwise-key need --clients (the client registry)"
                );
            }
            return Ok(None);
        }
    };
    Ok(Some(OidcConfig {
        issuer,
        clients,
        keys,
        pairwise_key,
        max_state_entries: bounds.max_state_entries.max(1),
        pending_lifetime: bounds.pending,
        code_lifetime: bounds.code,
        signing: None,
    }))
}

/// `--state`: memory, or a Redis URL with its password from
/// `--state-password-file` or `KAKUNIN_STATE_PASSWORD` (removed from the
/// environment once read).
fn state_config(
    state: &str,
    password_file: Option<&Path>,
    ca: Option<PathBuf>,
    prefix: String,
    timeout: Duration,
) -> anyhow::Result<StateConfig> {
    const PASSWORD_ENV: &str = "KAKUNIN_STATE_PASSWORD";
    let from_env = std::env::var(PASSWORD_ENV).ok();
    if from_env.is_some() {
        // Out of the environment, so that /proc/PID/environ and child
        // processes do not show it.
        std::env::remove_var(PASSWORD_ENV);
    }
    if state == "memory" {
        if password_file.is_some() || from_env.is_some() || ca.is_some() {
            bail!("--state-password-file, {PASSWORD_ENV} and --state-ca are for --state redis://…");
        }
        return Ok(StateConfig::Memory);
    }
    let mut config = RedisConfig::from_url(state)
        .context("--state: expected memory or redis://HOST[:PORT][/DB] (rediss:// for TLS)")?;
    config.password = match (password_file, from_env) {
        (Some(_), Some(_)) => {
            bail!("give the Redis password once: --state-password-file or {PASSWORD_ENV}")
        }
        (Some(f), None) => {
            let text = std::fs::read_to_string(f)
                .with_context(|| format!("--state-password-file {}", f.display()))?;
            Some(text.trim_end_matches(['\r', '\n']).to_string())
        }
        (None, env) => env,
    };
    config.prefix = prefix;
    config.timeout = timeout;
    config.tls_ca_file = ca;
    Ok(StateConfig::Redis(config))
}

/// Document signing's flags.
struct SigningArgs {
    evidence: Option<PathBuf>,
    evidence_key: Option<PathBuf>,
    rotate_bytes: Option<u64>,
    max_documents: usize,
    lifetime: Duration,
}

/// Turns document signing on when `--evidence` and `--evidence-key` are
/// given (or in the sample: the demo key, a log in the temporary
/// directory). It needs the OpenID Provider.
fn with_signing(
    oidc: Option<OidcConfig>,
    a: SigningArgs,
    sample_dir: Option<&Path>,
) -> anyhow::Result<Option<OidcConfig>> {
    if a.max_documents == 0 || a.max_documents > SigningConfig::MAX_DOCUMENTS {
        bail!(
            "--sign-max-documents: expected 1 to {}, found {}",
            SigningConfig::MAX_DOCUMENTS,
            a.max_documents
        );
    }
    if a.lifetime > SigningConfig::MAX_TRANSACTION_LIFETIME {
        bail!("--sign-lifetime: at most 15m");
    }
    let demo = sample_dir.map(|d| d.join("oidc"));
    let (evidence, key) = match (a.evidence, a.evidence_key, demo) {
        (Some(e), Some(k), _) => (e, k),
        (None, None, Some(d)) => (
            std::env::temp_dir().join("kakunin-demo-evidence.jsonl"),
            d.join("evidence.key"),
        ),
        (None, None, None) => return Ok(oidc),
        (Some(_), None, _) => bail!(
            "--evidence needs --evidence-key (the P-256 key that signs the log's checkpoints, PEM PKCS#8)"
        ),
        (None, Some(_), _) => bail!("--evidence-key needs --evidence (the evidence log file)"),
    };
    let Some(mut oidc) = oidc else {
        bail!("--evidence: document signing needs the OpenID Provider (--clients, --oidc-key, --pairwise-key)");
    };
    let mut signing = SigningConfig::new(evidence, key);
    signing.evidence_rotate_bytes = a.rotate_bytes;
    signing.max_documents = a.max_documents;
    signing.transaction_lifetime = a.lifetime;
    oidc.signing = Some(signing);
    Ok(Some(oidc))
}

/// The OpenID Provider's bounds.
struct Lifetimes {
    max_state_entries: usize,
    pending: Duration,
    code: Duration,
}

/// TLS needs both files; one alone is a mistake, not plain HTTP.
fn tls_config(cert: Option<PathBuf>, key: Option<PathBuf>) -> anyhow::Result<Option<TlsConfig>> {
    match (cert, key) {
        (Some(cert), Some(key)) => Ok(Some(TlsConfig { cert, key })),
        (None, None) => Ok(None),
        (Some(_), None) => bail!("--tls-cert needs --tls-key (tls-key in a config file)"),
        (None, Some(_)) => bail!("--tls-key needs --tls-cert (tls-cert in a config file)"),
    }
}

/// Pairs `--ocsp-signer` with `--ocsp-key`: one key for all, or one each in
/// order. The sample (`sample_dir`) signs with data/ocsp.* by default.
fn ocsp_config(
    certs: &[PathBuf],
    keys: &[PathBuf],
    sample_dir: Option<&Path>,
    max_signing: Option<usize>,
    cache_entries: usize,
) -> anyhow::Result<OcspConfig> {
    let signers = match (certs, keys, sample_dir) {
        ([], [], Some(d)) => vec![SignerSpec {
            cert: d.join("ocsp.pem"),
            key: d.join("ocsp.key"),
        }],
        ([], [], None) => Vec::new(),
        ([], _, _) => bail!("--ocsp-key needs --ocsp-signer"),
        (_, [], _) => bail!("--ocsp-signer needs --ocsp-key"),
        (certs, [key], _) => certs
            .iter()
            .map(|c| SignerSpec {
                cert: c.clone(),
                key: key.clone(),
            })
            .collect(),
        (certs, keys, _) if certs.len() == keys.len() => certs
            .iter()
            .zip(keys)
            .map(|(c, k)| SignerSpec {
                cert: c.clone(),
                key: k.clone(),
            })
            .collect(),
        (certs, keys, _) => bail!(
            "{} --ocsp-signer but {} --ocsp-key: give one key for all, or one per signer",
            certs.len(),
            keys.len()
        ),
    };
    let mut config = OcspConfig {
        signers,
        cache_entries,
        ..OcspConfig::default()
    };
    if let Some(n) = max_signing {
        config.max_concurrent_signatures = n.max(1);
    }
    Ok(config)
}

/// The bound address (tests read it from this line), the issuers, and
/// example commands that work against what is served.
fn print_banner(server: &Server, sample: bool) {
    let addr = server.local_addr();
    // Over TLS, curl trusts the server's own certificate file (curl accepts
    // a certificate of the chain as trust anchor) and negotiates HTTP/2 by
    // ALPN; in plain HTTP, HTTP/2 needs prior knowledge.
    let (base, curl, h2) = match server.tls() {
        Some(tls) => (
            format!("https://{addr}"),
            format!("curl -s --cacert {}", tls.cert.display()),
            "--http2",
        ),
        None => (
            format!("http://{addr}"),
            "curl -s".to_string(),
            "--http2-prior-knowledge",
        ),
    };
    let over = if server.tls().is_some() {
        " over TLS"
    } else {
        ""
    };
    println!("kakunin serve: listening on {base} (HTTP/1.1 and HTTP/2{over})");
    let served = server.served();
    for issuer in &served {
        let crl = match &issuer.crl {
            Some(c) => format!(
                "CRL {} with {} entries, next update {}",
                c.crl_number
                    .map(|n| n.to_string())
                    .unwrap_or_else(|| "-".into()),
                c.entries,
                c.next_update
            ),
            None => "no CRL yet: answers unknown".into(),
        };
        let names = if issuer.aliases.is_empty() {
            String::new()
        } else {
            format!(" ({})", issuer.aliases.join(", "))
        };
        println!("  issuer {}{names}: {crl}", issuer.key_id.to_hex());
    }
    let first = served.first().map(|i| i.label.clone()).unwrap_or_default();
    let (revoked, good) = if sample {
        ("1D1534354987EBB1", "1D153435497E08BD")
    } else {
        ("SERIAL", "SERIAL")
    };
    println!("try:");
    println!("  {curl} {base}/v1/status/{first}/{revoked}");
    println!("  {curl} {h2} {base}/v1/status/{first}/{good}");
    println!("  printf '{revoked}\\n{good}\\n' | {curl} --data-binary @- '{base}/v1/status?issuer={first}'");
    for s in server.ocsp_signers() {
        let by = if s.delegated {
            "delegated responder"
        } else {
            "the CA itself"
        };
        println!(
            "  OCSP for {}: signed by {by} ({})",
            s.issuer.to_hex(),
            s.subject
        );
    }
    if sample && !server.ocsp_signers().is_empty() {
        let d = sample_dir();
        let d = d.display();
        println!("  openssl ocsp -issuer {d}/sign-ca.pem -serial 0x{revoked} -url {base}/ocsp -CAfile {d}/sign-ca.pem -resp_text");
        println!("  openssl ocsp -issuer {d}/sign-ca.pem -serial 0x{good} -sha256 -no_nonce -url {base}/ocsp -CAfile {d}/sign-ca.pem");
    }
    if sample {
        let d = sample_dir();
        println!(
            "  {curl} --data-binary @{}/holders/1/sign.pem '{base}/v1/verify?facts=true'",
            d.display()
        );
    }
    println!(
        "  {curl} {base}/v1/challenge    # card login for {}: see docs/serve.md#card-login",
        server.login_origins().join(", ")
    );
    if let Some(issuer) = server.oidc_issuer() {
        println!("  {curl} {issuer}/.well-known/openid-configuration    # OpenID Provider: see docs/oidc.md");
        if sample {
            println!("  log in with the demo RP: cargo run -p kakunin-example-rp, open http://127.0.0.1:8081/, then `kakunin card approve CODE --server {issuer}` (README, \"Log in with My Number Card\")");
        }
    }
    println!("  {curl} {base}/readyz");
    println!("  {curl} {base}/metrics");
    println!("  {curl} -X POST {base}/admin/reload");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("10").unwrap(), Duration::from_secs(10));
        assert_eq!(parse_duration("500ms").unwrap(), Duration::from_millis(500));
        assert_eq!(parse_duration("2m").unwrap(), Duration::from_secs(120));
        for bad in ["", "s", "0", "1d", "-1s", "1.5s"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ocsp_signers_pair_with_keys() {
        let p = |s: &str| PathBuf::from(s);
        let c = ocsp_config(&[], &[], Some(Path::new("d")), None, 10).unwrap();
        assert_eq!(c.signers[0].cert, p("d/ocsp.pem"));
        assert!(ocsp_config(&[], &[], None, None, 10)
            .unwrap()
            .signers
            .is_empty());
        let c = ocsp_config(&[p("a"), p("b")], &[p("k")], None, Some(3), 10).unwrap();
        assert_eq!(c.signers.len(), 2);
        assert_eq!(c.signers[1].key, p("k"));
        assert_eq!(c.max_concurrent_signatures, 3);
        let c = ocsp_config(&[p("a"), p("b")], &[p("k"), p("l")], None, None, 10).unwrap();
        assert_eq!(c.signers[1].key, p("l"));
        assert!(ocsp_config(&[p("a")], &[], None, None, 10).is_err());
        assert!(ocsp_config(&[], &[p("k")], None, None, 10).is_err());
        assert!(ocsp_config(&[p("a"), p("b"), p("c")], &[p("k"), p("l")], None, None, 10).is_err());
    }
}
