//! `kakunin serve` end to end: the real binary on an ephemeral loopback
//! port, the real `curl` as the client (HTTP/1.1 and HTTP/2 with prior
//! knowledge), and `kakunin status` on the same CRLs as the oracle. Every
//! wait is a bounded loop.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{json_lines, kakunin};
pub(crate) use kakunin_testkit::http::{
    assert_cut_off, crl_dir, drop_file, expected_serials, need_curl, sample_data as data,
    sample_serials, KeepAlive, NewerSign,
};
use kakunin_testkit::http::{wait_until, Client};

pub(crate) fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A running `kakunin serve`; killed on drop if still running.
pub(crate) struct Served {
    child: Child,
    client: Client,
    stdout: Vec<String>,
    stderr: Arc<Mutex<Vec<String>>>,
}

impl std::ops::Deref for Served {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.client
    }
}

impl Served {
    pub(crate) fn start(args: &[&str]) -> Served {
        Self::start_with_env(args, &[])
    }

    pub(crate) fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Served {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakunin"));
        cmd.arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start kakunin serve");
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let err_lines = stderr.clone();
        let err = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                err_lines.lock().unwrap().push(line);
            }
        });
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut stdout = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        let base = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let found = line
                        .strip_prefix("kakunin serve: listening on ")
                        .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string());
                    stdout.push(line);
                    if let Some(base) = found {
                        break base;
                    }
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!(
                        "kakunin serve did not report its address; stdout {stdout:?}, stderr {:?}",
                        stderr.lock().unwrap()
                    );
                }
            }
        };
        // The banner's remaining lines follow at once.
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(300)) {
            stdout.push(line);
        }
        Served {
            child,
            client: Client::new(&base),
            stdout,
            stderr,
        }
    }

    /// From now on, `curl` trusts `ca` (for a server started with TLS).
    pub(crate) fn with_cacert(mut self, ca: &Path) -> Served {
        self.client.set_cacert(ca);
        self
    }

    /// The lines `kakunin serve` printed at start.
    pub(crate) fn banner(&self) -> &[String] {
        &self.stdout
    }

    /// Waits (bounded) until `cond` holds.
    pub(crate) fn wait_for(&self, what: &str, cond: impl FnMut() -> bool) {
        assert!(
            wait_until(Duration::from_secs(20), cond),
            "timed out waiting for {what}; stderr {:?}",
            self.stderr.lock().unwrap()
        );
    }

    pub(crate) fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([&format!("-{sig}"), &self.child.id().to_string()])
            .status()
            .expect("run kill")
            .success();
        assert!(ok, "kill -{sig}");
    }

    /// Waits (bounded) for the process to exit.
    fn wait_exit(&mut self) -> std::process::ExitStatus {
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return status;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("kakunin serve did not exit");
    }

    /// Runs every `curl` example of the banner (as printed, through `sh`);
    /// each must succeed and print something.
    pub(crate) fn run_printed_curl_examples(&self) {
        let examples: Vec<&String> = self
            .stdout
            .iter()
            .filter(|l| l.trim_start().starts_with("curl ") || l.contains("| curl "))
            .collect();
        assert!(examples.len() >= 5, "{:?}", self.stdout);
        for line in examples {
            let out = Command::new("sh")
                .args(["-c", &format!("{} -f --max-time 20", line.trim())])
                .output()
                .expect("sh");
            assert!(
                out.status.success(),
                "{line}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            assert!(!out.stdout.is_empty(), "{line}");
        }
    }

    pub(crate) fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn serve_args<'a>(dir: &'a Path, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s_static(data("sign-ca.pem")),
        "--trust",
        s_static(data("auth-ca.pem")),
        "--crl-dir",
        s(dir),
        "--debounce",
        "100ms",
        "--poll-interval",
        "2s",
    ];
    v.extend_from_slice(extra);
    v
}

/// A data/ path as a `&'static str` (leaked: a handful per test run).
pub(crate) fn s_static(p: PathBuf) -> &'static str {
    Box::leak(
        p.into_os_string()
            .into_string()
            .expect("UTF-8")
            .into_boxed_str(),
    )
}

/// `kakunin status --index INDEX SERIAL...` lines, by serial.
pub(crate) fn oracle(index: &Path, serials: &[String]) -> Vec<Value> {
    let mut args = vec!["status", "--index", s(index)];
    args.extend(serials.iter().map(String::as_str));
    let out = kakunin(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json_lines(&out)
}

pub(crate) fn ingest(crl: &Path, ca: &str, out: &Path) {
    ingest_with(crl, &data(ca), out);
}

/// `kakunin ingest --crl CRL --ca CA --out OUT`, which must succeed.
fn ingest_with(crl: &Path, ca: &Path, out: &Path) {
    let o = kakunin(&["ingest", "--crl", s(crl), "--ca", s(ca), "--out", s(out)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

/// The server's answer must be exactly the `kakunin status` line.
pub(crate) fn same_answer(server: &Value, cli: &Value) {
    assert_eq!(server, cli, "server vs `kakunin status`");
}

/// The start of the current UTC day, as `kakunin gen --at` takes it.
pub(crate) fn today() -> String {
    let out = Command::new("date")
        .args(["-u", "+%Y-%m-%dT00:00:00Z"])
        .output()
        .expect("date");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// `kakunin gen`, `ingest` and `status` for [`NewerSign`]: the binary's.
pub(crate) struct Cli;

impl kakunin_testkit::http::Oracle for Cli {
    fn gen_today(&self, out: &Path, revoked: u64) {
        let revoked = revoked.to_string();
        let o = kakunin(&[
            "gen",
            "--seed",
            "1",
            "--crl-days",
            "3650",
            "--revoked",
            &revoked,
            "--certs",
            "100",
            "--holders",
            "0",
            "--out",
            s(out),
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }

    fn ingest(&self, crl: &Path, ca: &Path, out: &Path) {
        ingest_with(crl, ca, out);
    }

    fn status(&self, index: &Path, serials: &[String]) -> Vec<Value> {
        oracle(index, serials)
    }
}

/// SIGHUP asks for a scan: harmless to a serving server. (Hot swap itself
/// is tested in-process in server/tests/it/swap.rs.)
#[test]
fn sighup_is_harmless() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let srv = Served::start(&serve_args(dir.path(), &[]));
    srv.signal("HUP");
    let (code, _) = srv.curl("/healthz", &[]);
    assert_eq!(code, 200);
    let (code, _) = srv.curl("/readyz", &[]);
    assert_eq!(code, 200);
}

#[test]
fn sigterm_and_sigint_finish_and_exit_0() {
    if !need_curl() {
        return;
    }
    for sig in ["TERM", "INT"] {
        let dir = crl_dir(&["sign.crl", "auth.crl"]);
        let mut srv = Served::start(&serve_args(dir.path(), &[]));
        assert_eq!(srv.curl("/healthz", &[]).0, 200);
        srv.signal(sig);
        let status = srv.wait_exit();
        assert_eq!(status.code(), Some(0), "SIG{sig}: {}", srv.stderr_text());
        assert!(
            srv.stderr_text().contains("shutting down"),
            "{}",
            srv.stderr_text()
        );
    }
}

#[test]
fn no_arguments_serve_the_sample_and_the_printed_examples_work() {
    if !need_curl() {
        return;
    }
    // Everything defaulted but the port (8080 may be taken on a shared
    // machine), given through the environment as a deployment would.
    let srv = Served::start_with_env(&[], &[("KAKUNIN_LISTEN", "127.0.0.1:0")]);
    srv.run_printed_curl_examples();
    let (_, a) = srv.get_json("/v1/status/sign/1D1534354987EBB1", &[]);
    assert_eq!(
        (a["status"].as_str(), a["reason"].as_str()),
        (Some("revoked"), Some("keyCompromise"))
    );
    assert!(
        srv.stdout.iter().any(|l| l.contains("(sign)")),
        "{:?}",
        srv.stdout
    );
}
