//! A [`Server`] running in the test process, and the configurations the
//! tests give it. The client side (curl, keep-alive, raw sockets) is
//! `kakunin_testkit::http`, shared with the tests of the `kakunin` binary.

use std::path::Path;
use std::sync::{Mutex, Once, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use kakunin_engine::ingest::IngestOptions;
use kakunin_engine::store::Store;
use kakunin_engine::{CaCert, Serial, Timestamp};
use kakunin_report::answer_line;
use kakunin_server::{Config, Limits, LoginConfig, OcspConfig, ReloadConfig, Server, SignerSpec};
pub(crate) use kakunin_testkit::http::{
    assert_cut_off, crl_dir, drop_file, need_curl, read_until_closed, sample_data as data,
    KeepAlive, NewerSign, Reply,
};
use kakunin_testkit::http::{wait_until, Client, Oracle};
use serde_json::Value;

/// A server on its own runtime in a background thread; stopped (and
/// waited for) on drop.
pub(crate) struct Served {
    client: Client,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::ops::Deref for Served {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Served {
    /// Binds `config` (the port is open when this returns: connections
    /// wait in the accept queue until the runtime takes them) and serves it.
    pub(crate) fn start(config: Config) -> Served {
        capture_log();
        let server = Server::bind(config).expect("Server::bind");
        let scheme = if server.tls().is_some() {
            "https"
        } else {
            "http"
        };
        let client = Client::new(&format!("{scheme}://{}", server.local_addr()));
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime
                .block_on(server.run_until(async {
                    let _ = stopped.await;
                }))
                .expect("serve");
        });
        Served {
            client,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    /// From now on, `curl` trusts `ca` (for a server with TLS).
    pub(crate) fn with_cacert(mut self, ca: &Path) -> Served {
        self.client.set_cacert(ca);
        self
    }

    /// Whether the server is still serving (its thread has not ended or
    /// panicked).
    pub(crate) fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Waits (bounded) until `cond` holds.
    pub(crate) fn wait_for(&self, what: &str, cond: impl FnMut() -> bool) {
        assert!(
            wait_until(Duration::from_secs(20), cond),
            "timed out waiting for {what}"
        );
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            // A panic in the server thread fails the test, unless the test
            // is already failing.
            if thread.join().is_err() && !std::thread::panicking() {
                panic!("the server thread panicked");
            }
        }
    }
}

/// What `kakunin serve --listen 127.0.0.1:0 --trust data/sign-ca.pem
/// --trust data/auth-ca.pem --crl-dir DIR --debounce 100ms --poll-interval
/// 2s` runs.
pub(crate) fn config(dir: &Path) -> Config {
    Config {
        listen: "127.0.0.1:0".parse().expect("address"),
        trust: vec![data("sign-ca.pem"), data("auth-ca.pem")],
        aliases: vec![],
        default_aliases: true,
        crl_dir: dir.to_path_buf(),
        reload: ReloadConfig {
            watch: true,
            debounce: Duration::from_millis(100),
            poll_interval: Duration::from_secs(2),
        },
        limits: Limits {
            // A test's server stops when the test ends; none of these tests
            // times a stop, so in-flight requests get little grace.
            shutdown_grace: Duration::from_secs(1),
            ..Limits::default()
        },
        ocsp: OcspConfig::default(),
        login: LoginConfig::default(),
        oidc: None,
        state: kakunin_server::StateConfig::Memory,
        tls: None,
    }
}

/// The sample's OCSP signing: its delegated responders
/// (`--ocsp-signer data/ocsp.pem --ocsp-key data/ocsp.key`).
pub(crate) fn sample_signer() -> OcspConfig {
    OcspConfig {
        signers: vec![SignerSpec {
            cert: data("ocsp.pem"),
            key: data("ocsp.key"),
        }],
        ..Default::default()
    }
}

/// What `kakunin serve` with no arguments but a free port serves: the
/// sample PKI in data/, OCSP signed by its delegated responders.
pub(crate) fn sample_config() -> Config {
    Config {
        reload: ReloadConfig::default(),
        ocsp: sample_signer(),
        ..config(&data(""))
    }
}

/// [`sample_config`], served.
pub(crate) fn sample() -> Served {
    Served::start(sample_config())
}

/// `kakunin ingest --crl CRL --ca CA --out OUT`, through the engine's
/// `ingest` as the subcommand calls it (checked as of now).
pub(crate) fn ingest(crl: &Path, ca: &Path, out: &Path) {
    let ca_bytes = std::fs::read(ca).expect("CA certificate");
    let ca_cert = CaCert::from_pem_or_der(&ca_bytes).expect("CA certificate");
    let crl_bytes = std::fs::read(crl).expect("CRL");
    let opts = IngestOptions {
        now: Timestamp::now(),
        ..IngestOptions::default()
    };
    if let Err(e) = kakunin_engine::ingest::ingest(&crl_bytes, &ca_cert, out, &opts, &|_, _| {}) {
        panic!("ingest {} with {}: {e}", crl.display(), ca.display());
    }
}

/// The lines `kakunin status --index INDEX SERIAL...` prints, made by the
/// same calls: the index installed in a `Store`, each serial looked up as
/// of now and written by `kakunin_report::answer_line`.
pub(crate) fn oracle(index: &Path, serials: &[String]) -> Vec<Value> {
    let store = Store::new();
    if let Err(e) = store.install_file(index) {
        panic!("index {}: {e}", index.display());
    }
    let at = Timestamp::now();
    let issuers: Vec<_> = store
        .issuers()
        .into_iter()
        .map(|m| m.crl.issuer_key_id)
        .collect();
    let mut lines = Vec::new();
    for serial in serials {
        let serial = Serial::from_hex(serial).unwrap_or_else(|e| panic!("{serial}: {e}"));
        for issuer in &issuers {
            let line = answer_line(issuer, &serial, &store.lookup(issuer, &serial, at));
            lines.push(serde_json::to_value(&line).expect("answer line as JSON"));
        }
    }
    lines
}

/// The server's answer must be exactly the `kakunin status` line.
pub(crate) fn same_answer(server: &Value, cli: &Value) {
    assert_eq!(server, cli, "server vs `kakunin status`");
}

/// A test PKI as `kakunin gen` writes it, made by the library behind it.
pub(crate) fn gen(out: &Path, options: &kakunin_gen::Options) {
    if let Err(e) = kakunin_gen::generate(options, out) {
        panic!("generating {options:?} into {}: {e}", out.display());
    }
}

/// A PKI dated today (what `kakunin gen --revoked 10 --certs 10 --holders
/// 3` writes): holders 1 and 3 valid, holder 2 revoked. Made once per test
/// binary; dated today so its certificates are valid whenever tests run.
pub(crate) fn today_pki() -> &'static Path {
    static PKI: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    PKI.get_or_init(|| {
        let dir = kakunin_testkit::tempdir();
        gen(
            dir.path(),
            &kakunin_gen::Options::new(start_of_today())
                .revoked(10)
                .certs(10)
                .holders(3),
        );
        dir
    })
    .path()
}

/// The start of the current UTC day: the generation time `kakunin gen`
/// picks without `--at`.
pub(crate) fn start_of_today() -> Timestamp {
    let now = Timestamp::now().unix();
    Timestamp::from_unix(now - now.rem_euclid(86_400))
}

/// Seconds since the Unix epoch, by the system clock.
pub(crate) fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs()
}

/// The log of every `Server` in this test process, as `kakunin serve`
/// writes it to stderr (the same `tracing_subscriber::fmt` lines). One
/// subscriber for the process: the reload thread is a plain thread, which
/// would not inherit a subscriber scoped to one test.
static LOG: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl std::io::Write for LogWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        LOG.lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing the servers' log (once per process).
fn capture_log() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_target(false)
            .try_init();
    });
}

/// The log lines, of any server in this process, that name `file`: a test
/// that reads the log gives its files names no other test uses.
pub(crate) fn log_lines_naming(file: &str) -> Vec<String> {
    let log = LOG.lock().unwrap_or_else(PoisonError::into_inner);
    String::from_utf8_lossy(&log)
        .lines()
        .filter(|l| l.contains(file))
        .map(str::to_string)
        .collect()
}

/// `kakunin gen`, `ingest` and `status` for `NewerSign`: the library calls
/// behind them.
pub(crate) struct Library;

impl Oracle for Library {
    fn gen_today(&self, out: &Path, revoked: u64) {
        gen(
            out,
            &kakunin_gen::Options::new(start_of_today())
                .seed(1)
                .crl_days(3650)
                .revoked(revoked)
                .certs(100)
                .holders(0),
        );
    }

    fn ingest(&self, crl: &Path, ca: &Path, out: &Path) {
        ingest(crl, ca, out);
    }

    fn status(&self, index: &Path, serials: &[String]) -> Vec<Value> {
        oracle(index, serials)
    }
}
