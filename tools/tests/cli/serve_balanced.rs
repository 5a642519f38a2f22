//! Two `kakunin serve` replicas behind HAProxy (the Debian package) on
//! loopback, sharing one CRL directory: status and OCSP answered through
//! the balancer by both replicas, and a CRL swap reaching both. HAProxy
//! names the replica that answered in a response header, and each replica's
//! own /metrics confirms it was asked. Every wait is bounded.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::found_or_skip;
use crate::serve::{
    crl_dir, data, drop_file, need_curl, oracle, s, serve_args, KeepAlive, NewerSign, Served,
};
use crate::serve_ocsp::{
    b64, ocsp_answer, openssl_check_response, openssl_request, openssl_status, sample_signer,
};

/// The response header in which HAProxy names the replica that answered.
pub(crate) const REPLICA_HEADER: &str = "x-kakunin-replica";

/// The haproxy binary: on PATH, or where Debian puts it (/usr/sbin is not
/// on every user's PATH).
fn haproxy_bin() -> Option<PathBuf> {
    let works = |p: &Path| {
        Command::new(p)
            .arg("-v")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    [PathBuf::from("haproxy"), PathBuf::from("/usr/sbin/haproxy")]
        .into_iter()
        .find(|p| works(p))
}

/// The haproxy binary, or `None` to skip a test without it, except in CI,
/// where `.ci/run` installs it.
pub(crate) fn need_haproxy() -> Option<PathBuf> {
    let bin = haproxy_bin();
    if found_or_skip("haproxy", bin.is_some()) {
        bin
    } else {
        None
    }
}

/// HAProxy in front of two `kakunin serve` replicas; HAProxy is killed on
/// drop, then the replicas.
pub(crate) struct Balanced {
    haproxy: Child,
    /// `127.0.0.1:port` of HAProxy's frontend.
    addr: String,
    pub(crate) replicas: Vec<Served>,
    _config: tempfile::TempDir,
}

impl Balanced {
    /// Starts two replicas with the same `replica_args` (give
    /// `--listen 127.0.0.1:0`: each gets its own port) and HAProxy in
    /// front of them: round robin, HTTP keep-alive on both sides, backends
    /// health-checked on `/readyz`, and the answering replica (`r0`, `r1`)
    /// named in the [`REPLICA_HEADER`] response header.
    ///
    /// `haproxy_extra` is appended to the configuration right after the
    /// backend's lines: lines before any new section header go into
    /// `backend kakunin` (e.g. `balance uri`, a stick table or
    /// `http-request` rules), and later sections (a second `frontend` or
    /// `backend`) can follow. Returns once a request through HAProxy has
    /// been answered by each replica.
    pub(crate) fn start(haproxy: &Path, replica_args: &[&str], haproxy_extra: &str) -> Balanced {
        let replicas = vec![Served::start(replica_args), Served::start(replica_args)];
        Balanced::front(haproxy, replicas, haproxy_extra, None)
    }

    /// HAProxy, configured as [`start`](Self::start) does, in front of
    /// `replicas` started by the caller (each with its own arguments),
    /// listening on `port` if given (a port the caller probed, e.g. to
    /// name it in the replicas' `--issuer`), else on a free one.
    pub(crate) fn front(
        haproxy: &Path,
        replicas: Vec<Served>,
        haproxy_extra: &str,
        port: Option<u16>,
    ) -> Balanced {
        let config = kakunin_testkit::tempdir();
        // A free port can be taken between our probe and HAProxy's bind on
        // a busy machine: a few tries.
        for _ in 0..3 {
            let port = port.unwrap_or_else(|| {
                std::net::TcpListener::bind("127.0.0.1:0")
                    .and_then(|l| l.local_addr())
                    .expect("a free port")
                    .port()
            });
            let addr = format!("127.0.0.1:{port}");
            let servers: String = replicas
                .iter()
                .enumerate()
                .map(|(i, r)| format!("    server r{i} {} check inter 500ms\n", r.addr()))
                .collect();
            let cfg = format!(
                r#"global
    maxconn 1024
defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s
    timeout http-request 10s
frontend kakunin_in
    bind {addr}
    default_backend kakunin
backend kakunin
    balance roundrobin
    option httpchk GET /readyz
    http-response set-header {REPLICA_HEADER} %s
{servers}{haproxy_extra}
"#
            );
            let path = config.path().join("haproxy.cfg");
            std::fs::write(&path, &cfg).expect("write haproxy.cfg");
            let check = Command::new(haproxy)
                .args(["-c", "-f", s(&path)])
                .output()
                .expect("run haproxy -c");
            assert!(
                check.status.success(),
                "haproxy -c:\n{cfg}\n{}{}",
                String::from_utf8_lossy(&check.stdout),
                String::from_utf8_lossy(&check.stderr)
            );
            let mut child = Command::new(haproxy)
                .args(["-db", "-f", s(&path)])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("start haproxy");
            let log = Arc::new(Mutex::new(Vec::new()));
            for out in [
                Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
                Box::new(child.stderr.take().expect("stderr")),
            ] {
                let log = log.clone();
                std::thread::spawn(move || {
                    for line in BufReader::new(out).lines().map_while(Result::ok) {
                        log.lock().unwrap().push(line);
                    }
                });
            }
            if both_answer(&mut child, &addr, replicas.len(), &log) {
                return Balanced {
                    haproxy: child,
                    addr,
                    replicas,
                    _config: config,
                };
            }
            // HAProxy exited (the port was taken since we probed it).
            eprintln!("haproxy did not start: {:?}", log.lock().unwrap());
            let _ = child.wait();
        }
        panic!("haproxy did not start in 3 tries");
    }

    /// HAProxy's frontend, `host:port`.
    pub(crate) fn addr(&self) -> &str {
        &self.addr
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

/// Waits (bounded) until requests through HAProxy at `addr` have been
/// answered by each of the `replicas`; false if HAProxy exited first.
fn both_answer(haproxy: &mut Child, addr: &str, replicas: usize, log: &Mutex<Vec<String>>) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut seen = std::collections::BTreeSet::new();
    while Instant::now() < deadline {
        if haproxy.try_wait().expect("try_wait").is_some() {
            return false;
        }
        if std::net::TcpStream::connect(addr).is_ok() {
            let r = KeepAlive::connect(addr).request("GET", "/healthz", &[], &[]);
            if r.code == 200 {
                seen.extend(r.header(REPLICA_HEADER).map(str::to_string));
            }
            if seen.len() == replicas {
                return true;
            }
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "HAProxy did not reach every replica (saw {seen:?}); log {:?}",
        log.lock().unwrap()
    );
}

impl Drop for Balanced {
    fn drop(&mut self) {
        let _ = self.haproxy.kill();
        let _ = self.haproxy.wait();
    }
}

/// `GET /v1/status/sign/{serial}` on `conn`: (the JSON answer, the replica
/// that answered, if named).
fn status(conn: &mut KeepAlive, serial: &str) -> (Value, Option<String>) {
    let r = conn.request("GET", &format!("/v1/status/sign/{serial}"), &[], &[]);
    assert_eq!(r.code, 200, "{}", r.text());
    let v = serde_json::from_slice(&r.body).expect("status JSON");
    (v, r.header(REPLICA_HEADER).map(str::to_string))
}

#[test]
fn serve_balanced_two_replicas_behind_haproxy_answer_status_and_ocsp_and_both_take_a_swap() {
    let Some(haproxy) = need_haproxy() else {
        return;
    };
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let args = serve_args(dir.path(), &sample_signer());
    let lb = Balanced::start(&haproxy, &args, "");
    let work = kakunin_testkit::tempdir();
    let newer = NewerSign::make(work.path(), &crate::serve::Cli);
    let probes: Vec<String> = newer.newly.iter().take(8).cloned().collect();
    let old = oracle(&newer.old_idx, &probes);
    let new = oracle(&newer.new_idx, &probes);

    // Status through the balancer, on one keep-alive connection: the old
    // CRL's answers, from both replicas in turn.
    let mut conn = KeepAlive::connect(lb.addr());
    let mut by = std::collections::BTreeMap::<String, usize>::new();
    for round in 0..4 {
        for (serial, want) in probes.iter().zip(&old) {
            let (got, replica) = status(&mut conn, serial);
            assert_eq!(&got, want, "round {round}");
            *by.entry(replica.expect("replica header")).or_default() += 1;
        }
    }
    assert_eq!(by.keys().collect::<Vec<_>>(), ["r0", "r1"], "{by:?}");
    assert!(by.values().all(|&n| n >= 8), "round robin: {by:?}");
    for (i, r) in lb.replicas.iter().enumerate() {
        let n = r.metric("kakunin_http_requests_total{route=\"status\",status=\"200\"}");
        assert!(n >= 8.0, "replica {i} answered {n} status look-ups");
    }

    // OCSP through the balancer: openssl's POST with a nonce, and GET of a
    // nonce-less request, answered (and signed) by both replicas.
    let probe = &probes[0];
    let url = lb.url("/ocsp");
    for _ in 0..4 {
        assert_eq!(
            openssl_status(&url, &data("sign-ca.pem"), probe, &[]),
            "good"
        );
    }
    let get = format!(
        "/ocsp/{}",
        b64(&openssl_request(&data("sign-ca.pem"), probe, true))
    );
    let mut ocsp_by = std::collections::BTreeSet::new();
    for _ in 0..4 {
        let r = conn.request("GET", &get, &[], &[]);
        assert_eq!(r.code, 200);
        assert_eq!(ocsp_answer(&r.body).status, "good");
        let out = openssl_check_response(&r.body, &data("sign-ca.pem"), probe, true);
        assert!(out.contains("Response verify OK"), "{out}");
        ocsp_by.extend(r.header(REPLICA_HEADER).map(str::to_string));
    }
    assert_eq!(ocsp_by.len(), 2, "{ocsp_by:?}");
    for (i, r) in lb.replicas.iter().enumerate() {
        for route in ["ocsp", "ocsp_get"] {
            let n = r.metric(&format!(
                "kakunin_http_requests_total{{route=\"{route}\",status=\"200\"}}"
            ));
            assert!(n >= 2.0, "replica {i}: {n} {route} answers");
        }
    }

    // A newer CRL renamed into the shared directory reaches both replicas:
    // each one directly, and every answer through the balancer.
    drop_file(dir.path(), "sign.crl", &newer.crl);
    let renamed = Instant::now();
    let deadline = renamed + Duration::from_secs(20);
    let mut direct: Vec<KeepAlive> = lb
        .replicas
        .iter()
        .map(|r| KeepAlive::connect(r.addr()))
        .collect();
    let mut swapped = vec![None; direct.len()];
    while swapped.iter().any(Option::is_none) {
        assert!(Instant::now() < deadline, "swap reached {swapped:?}");
        for (c, at) in direct.iter_mut().zip(&mut swapped) {
            if at.is_none() && status(c, probe).0 == new[0] {
                *at = Some(renamed.elapsed());
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!("the swap reached the replicas after {swapped:?}");
    let mut by = std::collections::BTreeMap::<String, usize>::new();
    for (serial, want) in probes.iter().zip(&new) {
        for _ in 0..2 {
            let (got, replica) = status(&mut conn, serial);
            assert_eq!(&got, want, "through HAProxy after the swap");
            *by.entry(replica.expect("replica header")).or_default() += 1;
        }
    }
    assert_eq!(by.len(), 2, "{by:?}");
    for _ in 0..2 {
        assert_eq!(
            openssl_status(&url, &data("sign-ca.pem"), probe, &[]),
            "revoked"
        );
    }
    for _ in 0..2 {
        let r = conn.request("GET", &get, &[], &[]);
        assert_eq!(ocsp_answer(&r.body).status, "revoked");
    }
}

/// Card login through HAProxy with the routing docs/operating.md documents:
/// replicas share `--challenge-key`, and `balance url_param challenge`
/// sends every `/v1/authenticate?challenge=C` for one challenge to one
/// replica. A challenge issued by either replica is accepted; logins land
/// on both replicas; a replay through the balancer reaches the replica
/// that saw the login, and is refused.
#[test]
fn serve_balanced_login_with_a_shared_key_and_challenge_routing_is_single_use() {
    use crate::serve_login::{card_sign, p, pki, ORIGIN};
    if !need_curl() {
        return;
    }
    let Some(haproxy) = need_haproxy() else {
        return;
    };
    let keydir = kakunin_testkit::tempdir();
    let key = keydir.path().join("challenge.key");
    std::fs::write(&key, [0x42; 32]).expect("write key");
    let (sign_ca, auth_ca) = (p("sign-ca.pem"), p("auth-ca.pem"));
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&sign_ca),
        "--trust",
        s(&auth_ca),
        "--crl-dir",
        s(pki()),
        "--origin",
        ORIGIN,
        "--challenge-key",
        s(&key),
    ];
    let lb = Balanced::start(
        &haproxy,
        &args,
        "    balance url_param challenge\n    hash-type consistent\n",
    );
    let mut conn = KeepAlive::connect(lb.addr());
    let cert = std::fs::read_to_string(p("holders/1/auth.pem")).expect("certificate");
    let (mut issuers, mut deciders) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    for round in 0..40 {
        let r = conn.request("GET", "/v1/challenge", &[], &[]);
        assert_eq!(r.code, 200, "{}", r.text());
        issuers.extend(r.header(REPLICA_HEADER).map(str::to_string));
        let challenge: Value = serde_json::from_slice(&r.body).expect("JSON");
        let c = challenge["challenge"]
            .as_str()
            .expect("challenge")
            .to_string();
        let sig = card_sign(&p("holders/1/auth.key"), ORIGIN, &c);
        let body =
            serde_json::json!({"origin": ORIGIN, "cert": cert, "signature": sig}).to_string();
        let path = format!("/v1/authenticate?challenge={c}");
        let json = [("Content-Type", "application/json")];
        let first = conn.request("POST", &path, &json, body.as_bytes());
        let v: Value = serde_json::from_slice(&first.body).expect("JSON");
        assert_eq!(v["accepted"], true, "round {round}: {v}");
        let by = first.header(REPLICA_HEADER).expect("replica").to_string();
        // The replay follows the challenge to the same replica: refused.
        let again = conn.request("POST", &path, &json, body.as_bytes());
        let v: Value = serde_json::from_slice(&again.body).expect("JSON");
        assert_eq!(
            v["accepted"], false,
            "replay accepted in round {round}: {v}"
        );
        assert!(
            v["detail"].as_str().unwrap_or("").contains("already used"),
            "{v}"
        );
        assert_eq!(again.header(REPLICA_HEADER), Some(by.as_str()));
        deciders.insert(by);
        if round >= 3 && issuers.len() == 2 && deciders.len() == 2 {
            break;
        }
    }
    assert_eq!(
        issuers.len(),
        2,
        "challenges from both replicas: {issuers:?}"
    );
    assert_eq!(
        deciders.len(),
        2,
        "logins decided by both replicas: {deciders:?}"
    );
    let accepted: f64 = lb
        .replicas
        .iter()
        .map(|r| r.metric("kakunin_logins_total{outcome=\"accepted\"}"))
        .sum();
    let replayed: f64 = lb
        .replicas
        .iter()
        .map(|r| r.metric("kakunin_logins_total{outcome=\"replayed\"}"))
        .sum();
    assert_eq!(accepted, replayed, "one replay refused per accepted login");
}
