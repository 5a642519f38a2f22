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

    fn signal(&self, sig: &str) {
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

#[test]
fn hot_swap_takes_newer_crls_and_refuses_forged_truncated_and_older_ones() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let srv = Served::start(&serve_args(dir.path(), &[]));
    let work = kakunin_testkit::tempdir();

    let NewerSign {
        gen,
        crl: new_sign,
        old_idx,
        new_idx,
        serials: new_serials,
        newly,
    } = NewerSign::make(work.path(), &Cli);
    let probe = newly[0].clone();
    let status_of = |serial: &str| srv.get_json(&format!("/v1/status/sign/{serial}"), &[]).1;
    let old_number = status_of(&probe)["crl_number"].clone();
    assert_eq!(status_of(&probe)["status"], "good");

    // Forged (one signature bit flipped) and truncated copies: refused,
    // counted, nothing changes.
    let mut forged = new_sign.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    drop_file(dir.path(), "forged.crl", &forged);
    srv.wait_for("the forged CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 1.0
    });
    drop_file(dir.path(), "truncated.crl", &new_sign[..new_sign.len() / 2]);
    srv.wait_for("the truncated CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 2.0
    });
    let a = status_of(&probe);
    assert_eq!(
        (a["status"].as_str(), &a["crl_number"]),
        (Some("good"), &old_number)
    );
    let log = srv.stderr_text();
    assert!(
        log.contains("forged.crl") && log.contains("signature"),
        "{log}"
    );
    assert!(log.contains("truncated.crl"), "{log}");

    // The new CRL renamed over the old while a client keeps asking on one
    // keep-alive connection: every answer is 200 and equals `kakunin
    // status` on the old or on the new CRL (never a mix), and the new
    // revocations are visible within 1 s of the rename.
    let mut probes: Vec<String> = newly.iter().take(20).map(|s| s.to_string()).collect();
    probes.extend(new_serials.iter().step_by(101).cloned());
    probes.push("01".into());
    let expect: std::collections::HashMap<(String, String), Value> = oracle(&old_idx, &probes)
        .into_iter()
        .chain(oracle(&new_idx, &probes))
        .map(|a| {
            (
                (
                    a["serial"].as_str().unwrap().to_string(),
                    a["crl_number"].to_string(),
                ),
                a,
            )
        })
        .collect();
    let new_number = oracle(&new_idx, &probes[..1])[0]["crl_number"].clone();
    assert_ne!(new_number, old_number);
    let addr = srv.addr().to_string();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = {
        let sent = sent.clone();
        let new_number = new_number.to_string();
        std::thread::spawn(move || {
            let mut conn = KeepAlive::connect(&addr);
            let deadline = Instant::now() + Duration::from_secs(30);
            let (mut first_new, mut new_answers) = (None, 0usize);
            let mut n = 0usize;
            while new_answers < 300 && Instant::now() < deadline {
                let serial = &probes[n % probes.len()];
                let (code, body) = conn.get(&format!("/v1/status/sign/{serial}"));
                assert_eq!(code, 200, "{body}");
                let got: Value = serde_json::from_str(&body).unwrap();
                let key = (serial.to_uppercase(), got["crl_number"].to_string());
                let want = expect
                    .get(&key)
                    .unwrap_or_else(|| panic!("answer from an unknown CRL: {got}"));
                assert_eq!(&got, want);
                if key.1 == new_number {
                    first_new.get_or_insert_with(Instant::now);
                    new_answers += 1;
                } else {
                    assert!(first_new.is_none(), "an old answer after a new one: {got}");
                }
                n += 1;
                sent.store(n, std::sync::atomic::Ordering::Relaxed);
            }
            (first_new, n)
        })
    };
    srv.wait_for("the load to start", || {
        sent.load(std::sync::atomic::Ordering::Relaxed) > 50
    });
    drop_file(dir.path(), "sign.crl", &new_sign);
    let renamed = Instant::now();
    let (first_new, requests) = load.join().expect("load thread");
    let first_new = first_new.expect("the new CRL was never served");
    let visible_after = first_new.saturating_duration_since(renamed);
    eprintln!("swap visible after {visible_after:?}, {requests} requests under load");
    assert!(visible_after < Duration::from_secs(1), "{visible_after:?}");
    assert_eq!(status_of(&probe)["status"], "revoked");
    let sample: Vec<String> = new_serials
        .iter()
        .step_by(37)
        .cloned()
        .chain(["01".to_string()])
        .collect();
    for (serial, w) in sample.iter().zip(oracle(&new_idx, &sample)) {
        same_answer(&status_of(serial), &w);
    }
    assert!(srv.metric("kakunin_reload_successes_total{kind=\"crl\"}") >= 1.0);

    // The sample's (older) CRL dropped again under another name: rollback,
    // refused; the new one keeps serving.
    drop_file(
        dir.path(),
        "sign-old.crl",
        &std::fs::read(data("sign.crl")).unwrap(),
    );
    srv.wait_for("the older CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 3.0
    });
    assert_eq!(status_of(&probe)["status"], "revoked");
    assert!(
        srv.stderr_text().contains("rollback"),
        "{}",
        srv.stderr_text()
    );

    // Prebuilt indexes: a corrupted one is refused (checksum), a good one
    // swaps in.
    let auth_idx = work.path().join("auth.idx");
    ingest(&gen.join("auth.crl"), "auth-ca.pem", &auth_idx);
    let idx = std::fs::read(&auth_idx).unwrap();
    let mut bad = idx.clone();
    let mid = bad.len() - 40;
    bad[mid] ^= 0xFF;
    drop_file(dir.path(), "bad.idx", &bad);
    srv.wait_for("the corrupted index to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"idx\"}") >= 1.0
    });
    let auth_before = srv.get_json("/v1/status/auth/01", &[]).1["crl_number"].clone();
    drop_file(dir.path(), "auth.idx", &idx);
    srv.wait_for("the auth index to be served", || {
        srv.get_json("/v1/status/auth/01", &[]).1["crl_number"] != auth_before
    });
    let auth_want = oracle(&auth_idx, &["01".to_string()]);
    same_answer(&srv.get_json("/v1/status/auth/01", &[]).1, &auth_want[0]);

    // An explicit reload from loopback reports nothing new; SIGHUP is harmless.
    let (code, report) = srv.get_json("/admin/reload", &["-X", "POST"]);
    assert_eq!(code, 200, "{report}");
    assert_eq!(report["refused"], 0);
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
