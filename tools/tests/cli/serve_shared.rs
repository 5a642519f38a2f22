//! Replicas of `kakunin serve` sharing their short-lived state through one
//! real Redis (`--state redis://…`, Debian's `redis-server` started by the
//! test on a loopback port, `kakunin_testkit::redis`): a whole OpenID
//! login whose steps land on alternate replicas behind HAProxy (round
//! robin, no routing rule), codes and card-login challenges single use
//! across replicas and under races, document signing across replicas, and
//! the faults: Redis killed, restarted empty, full. Replicas that do not
//! share their secrets refuse to start. OpenSSL is the card
//! (`kakunin_testkit::login::card_sign`) and signs the RP's
//! `private_key_jwt` assertions (ES256 with data/oidc/demo-rp.key). Every
//! wait is bounded; everything listens on 127.0.0.1.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine as _;
use kakunin_testkit::http::{KeepAlive, Reply};
use kakunin_testkit::redis::RedisServer;
use serde_json::{json, Value};

use crate::serve::{data, need_curl, s, Served};
use crate::serve_balanced::{need_haproxy, Balanced, REPLICA_HEADER};
use crate::serve_login::{card_sign, p, pki, ORIGIN};

/// The demo client of data/oidc/clients.toml.
const CLIENT: &str = "demo";
const REDIRECT: &str = "http://127.0.0.1:8081/callback";
/// RFC 7636 Appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
/// The bound the replicas put on every Redis call (`--state-timeout`).
const STATE_TIMEOUT: &str = "250ms";
/// What a refusal for want of state may take, the bound included.
const REFUSED_WITHIN: Duration = Duration::from_secs(1);

// ---------------------------------------------------------------------
// The deployment: one Redis, the secrets the replicas share, an issuer.
// ---------------------------------------------------------------------

/// One Redis and what every replica of a deployment is started with.
struct Deployment {
    redis: RedisServer,
    /// The challenge key, the evidence logs, a different pairwise key.
    dir: tempfile::TempDir,
    /// `--issuer`: `http://127.0.0.1:PORT`, HAProxy's port where there is
    /// one (the RP and the card front end reach the provider there).
    issuer: String,
    port: u16,
}

/// A loopback port nobody listened on a moment ago.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Deployment {
    /// A Redis started with `redis_args`, or `None` (test skipped) when
    /// curl, openssl or redis-server is missing.
    fn new(redis_args: &[&str]) -> Option<Deployment> {
        if !need_curl() {
            return None;
        }
        let redis = RedisServer::start_with(redis_args)?;
        let dir = kakunin_testkit::tempdir();
        std::fs::write(dir.path().join("challenge.key"), [0x42; 32]).expect("challenge key");
        std::fs::write(dir.path().join("other-pairwise.key"), [0x17; 32]).expect("pairwise key");
        let port = free_port();
        Some(Deployment {
            redis,
            dir,
            issuer: format!("http://127.0.0.1:{port}"),
            port,
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The arguments of replica `i`: today's PKI (holder 1 valid, holder 2
    /// revoked) with its OCSP responder, card login with the shared
    /// challenge key, the provider with the demo's registry and keys,
    /// document signing (an evidence log of its own), and the state in
    /// the shared Redis.
    fn args(&self, i: usize) -> Vec<String> {
        let strs = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        let mut v = strs(&[
            "--listen",
            "127.0.0.1:0",
            "--trust",
            s(&p("sign-ca.pem")),
            "--trust",
            s(&p("auth-ca.pem")),
            "--crl-dir",
            s(pki()),
            "--ocsp-signer",
            s(&p("ocsp.pem")),
            "--ocsp-key",
            s(&p("ocsp.key")),
            "--origin",
            ORIGIN,
            "--challenge-key",
            s(&self.path("challenge.key")),
            "--clients",
            s(&data("oidc/clients.toml")),
            "--oidc-key",
            s(&data("oidc/op-es256.key")),
            "--pairwise-key",
            s(&data("oidc/pairwise.key")),
            "--issuer",
            &self.issuer,
            "--evidence",
            s(&self.path(&format!("evidence-{i}.jsonl"))),
            "--evidence-key",
            s(&data("oidc/evidence.key")),
            "--state-timeout",
            STATE_TIMEOUT,
        ]);
        v.extend(["--state".to_string(), self.redis.url()]);
        v
    }

    /// Replica `i`, started (it has joined the deployment in Redis).
    fn replica(&self, i: usize) -> Served {
        let args = self.args(i);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        Served::start(&args)
    }

    /// Two replicas, asked directly.
    fn replicas(&self) -> [Served; 2] {
        [self.replica(0), self.replica(1)]
    }

    /// Two replicas behind HAProxy (round robin) on the issuer's port.
    fn balanced(&self, haproxy: &Path) -> Balanced {
        Balanced::front(
            haproxy,
            vec![self.replica(0), self.replica(1)],
            "",
            Some(self.port),
        )
    }
}

/// `kakunin serve ARGS` that must exit (bounded): its status and stderr.
fn exits(args: &[String]) -> (std::process::ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .arg("serve")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kakunin serve");
    let err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut { err }, &mut text);
        text
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("kakunin serve {args:?} did not exit within 30 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status, reader.join().expect("stderr reader"))
}

// ---------------------------------------------------------------------
// HTTP: one request a connection, timed, to a replica or to HAProxy.
// ---------------------------------------------------------------------

/// One request on a new connection to `addr` (`host:port`).
fn call(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    KeepAlive::connect(addr).request(method, path, headers, body)
}

/// As [`call`], with how long the answer took.
fn timed(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> (Reply, Duration) {
    let mut conn = KeepAlive::connect(addr);
    let started = Instant::now();
    let r = conn.request(method, path, headers, body);
    (r, started.elapsed())
}

fn json_of(r: &Reply) -> Value {
    serde_json::from_slice(&r.body).unwrap_or_else(|e| {
        panic!(
            "{} not JSON ({e}): {}",
            r.code,
            String::from_utf8_lossy(&r.body)
        )
    })
}

fn text_of(r: &Reply) -> String {
    format!("{} {}", r.code, String::from_utf8_lossy(&r.body))
}

fn replica_of(r: &Reply) -> String {
    r.header(REPLICA_HEADER)
        .unwrap_or_else(|| panic!("no {REPLICA_HEADER} on {}", text_of(r)))
        .to_string()
}

/// application/x-www-form-urlencoded.
fn form(pairs: &[(&str, &str)]) -> String {
    let enc = |v: &str| {
        v.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

const FORM: (&str, &str) = ("Content-Type", "application/x-www-form-urlencoded");
const JSON: (&str, &str) = ("Content-Type", "application/json");

// ---------------------------------------------------------------------
// The RP, the browser and the card.
// ---------------------------------------------------------------------

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// An ES256 `private_key_jwt` assertion of the demo client for the
/// issuer's token endpoint, signed by `openssl dgst -sha256 -sign` with
/// data/oidc/demo-rp.key (its DER ECDSA signature turned into JOSE's
/// fixed-length `r ‖ s`), with a fresh `jti`.
fn assertion(issuer: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let now = unix_now();
    let jti = format!(
        "{}-{}-{}",
        std::process::id(),
        now,
        N.fetch_add(1, Ordering::Relaxed)
    );
    let header = json!({"alg": "ES256", "typ": "JWT"});
    let claims = json!({
        "iss": CLIENT, "sub": CLIENT, "aud": format!("{issuer}/token"),
        "iat": now, "exp": now + 120, "jti": jti,
    });
    let input = format!(
        "{}.{}",
        B64URL.encode(header.to_string()),
        B64URL.encode(claims.to_string())
    );
    let dir = kakunin_testkit::tempdir();
    let f = dir.path().join("input");
    kakunin_testkit::write(&f, input.as_bytes());
    let der = kakunin_testkit::openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        s(&data("oidc/demo-rp.key")),
        s(&f),
    ]);
    format!("{input}.{}", B64URL.encode(ecdsa_raw(&der)))
}

/// ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } (P-256) as the
/// 64 bytes `r ‖ s` of RFC 7518 §3.4.
fn ecdsa_raw(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30, "a DER SEQUENCE");
    let mut i = 2; // P-256 signatures are shorter than 128 bytes
    let mut out = Vec::new();
    for _ in 0..2 {
        assert_eq!(der[i], 0x02, "a DER INTEGER");
        let len = der[i + 1] as usize;
        let int = &der[i + 2..i + 2 + len];
        let int = &int[int.len().saturating_sub(32)..];
        out.resize(out.len() + 32 - int.len(), 0);
        out.extend_from_slice(int);
        i += 2 + len;
    }
    out
}

/// The code flow's token request body for `code`.
fn token_form(issuer: &str, code: &str) -> String {
    form(&[
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &assertion(issuer)),
    ])
}

fn token(addr: &str, issuer: &str, code: &str) -> Reply {
    call(
        addr,
        "POST",
        "/token",
        &[FORM],
        token_form(issuer, code).as_bytes(),
    )
}

/// A client-credentials token for `scope=sign`.
fn sign_token(addr: &str, issuer: &str) -> String {
    let body = form(&[
        ("grant_type", "client_credentials"),
        ("scope", "sign"),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", &assertion(issuer)),
    ]);
    let r = call(addr, "POST", "/token", &[FORM], body.as_bytes());
    assert_eq!(r.code, 200, "{}", text_of(&r));
    json_of(&r)["access_token"]
        .as_str()
        .expect("access_token")
        .to_string()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

/// A browser's pending login: its pairing code and the cookie binding it.
struct Pending {
    pairing: String,
    cookie: String,
}

fn authorize_path(scope: &str, extra: &str) -> String {
    format!(
        "/authorize?response_type=code&client_id={CLIENT}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&scope={}&state=st-1&nonce=no-1\
         &code_challenge={CHALLENGE}&code_challenge_method=S256{extra}",
        scope.replace(' ', "+")
    )
}

/// The browser's `/authorize` (JSON variant): the reply, and the pending
/// login if it was accepted.
fn authorize_reply(addr: &str, scope: &str, extra: &str) -> Reply {
    call(
        addr,
        "GET",
        &authorize_path(scope, extra),
        &[("Accept", "application/json")],
        &[],
    )
}

fn pending_of(r: &Reply) -> Pending {
    assert_eq!(r.code, 200, "{}", text_of(r));
    let v = json_of(r);
    let pairing = v["pairing_code"]
        .as_str()
        .expect("pairing_code")
        .replace('-', "");
    let cookie = r
        .headers
        .iter()
        .filter(|(k, _)| k == "set-cookie")
        .map(|(_, v)| v.split(';').next().unwrap_or("").trim().to_string())
        .find(|c| c.contains(&pairing))
        .unwrap_or_else(|| panic!("no cookie for {pairing}: {:?}", r.headers));
    Pending { pairing, cookie }
}

fn authorize(addr: &str, scope: &str) -> (Pending, Reply) {
    let r = authorize_reply(addr, scope, "");
    (pending_of(&r), r)
}

/// The card front end's `GET /approve/{pairing}`: the challenge.
fn shown(addr: &str, pairing: &str) -> (String, Reply) {
    let r = call(addr, "GET", &format!("/approve/{pairing}"), &[], &[]);
    assert_eq!(r.code, 200, "{}", text_of(&r));
    let challenge = json_of(&r)["challenge"]
        .as_str()
        .expect("challenge")
        .to_string();
    (challenge, r)
}

/// Holder 1's card signs the login for `origin` (the issuer's), with the
/// signing key too when `sign`; each of `digests` (SHA-256) is signed by
/// `openssl pkeyutl` with the signing key, PKCS#1 v1.5 over its
/// DigestInfo, as the card does.
fn card_body(origin: &str, challenge: &str, sign: bool, digests: &[Vec<u8>]) -> Value {
    let h = pki().join("holders/1");
    let read = |f: &str| std::fs::read_to_string(h.join(f)).expect("holder file");
    let mut body = json!({
        "origin": origin,
        "cert": read("auth.pem"),
        "signature": card_sign(&h.join("auth.key"), origin, challenge),
    });
    if sign {
        body["sign_cert"] = json!(read("sign.pem"));
        body["sign_signature"] = json!(card_sign(&h.join("sign.key"), origin, challenge));
    }
    if !digests.is_empty() {
        let dir = kakunin_testkit::tempdir();
        let sigs: Vec<String> = digests
            .iter()
            .map(|d| {
                let f = dir.path().join("digest");
                kakunin_testkit::write(&f, d);
                B64.encode(kakunin_testkit::openssl(&[
                    "pkeyutl",
                    "-sign",
                    "-inkey",
                    s(&h.join("sign.key")),
                    "-in",
                    s(&f),
                    "-pkeyopt",
                    "digest:sha256",
                ]))
            })
            .collect();
        body["document_signatures"] = json!(sigs);
    }
    body
}

fn approve(addr: &str, pairing: &str, body: &Value) -> Reply {
    let r = call(
        addr,
        "POST",
        &format!("/approve/{pairing}"),
        &[JSON],
        body.to_string().as_bytes(),
    );
    assert_eq!(r.code, 200, "{}", text_of(&r));
    assert_eq!(json_of(&r)["accepted"], true, "{}", text_of(&r));
    r
}

/// The browser's `GET /authorize/wait/{pairing}` once approved: the 303
/// to the RP, and the code it carries.
fn collect_code(addr: &str, p: &Pending) -> (String, Reply) {
    let r = call(
        addr,
        "GET",
        &format!("/authorize/wait/{}", p.pairing),
        &[("Cookie", &p.cookie)],
        &[],
    );
    assert_eq!(r.code, 303, "{}", text_of(&r));
    let location = r.header("location").expect("Location");
    assert!(location.starts_with(REDIRECT), "{location}");
    let code = location
        .split_once('?')
        .map_or("", |(_, q)| q)
        .split('&')
        .find_map(|kv| kv.strip_prefix("code="))
        .unwrap_or_else(|| panic!("no code in {location}"))
        .to_string();
    (code, r)
}

/// A whole login of holder 1 for `scope=openid`, each step at `at(step)`:
/// the code (not redeemed).
fn login_code(dep: &Deployment, at: impl Fn(usize) -> String) -> String {
    let (pending, _) = authorize(&at(0), "openid");
    let (challenge, _) = shown(&at(1), &pending.pairing);
    approve(
        &at(2),
        &pending.pairing,
        &card_body(&dep.issuer, &challenge, false, &[]),
    );
    collect_code(&at(3), &pending).0
}

/// `GET /v1/challenge`: a challenge for card login.
fn new_challenge(addr: &str) -> String {
    let r = call(addr, "GET", "/v1/challenge", &[], &[]);
    assert_eq!(r.code, 200, "{}", text_of(&r));
    json_of(&r)["challenge"]
        .as_str()
        .expect("challenge")
        .to_string()
}

/// Holder 1's card login body for `challenge` (RP origin [`ORIGIN`]).
fn login_body(challenge: &str) -> String {
    let cert = std::fs::read_to_string(p("holders/1/auth.pem")).expect("certificate");
    let sig = card_sign(&p("holders/1/auth.key"), ORIGIN, challenge);
    json!({"origin": ORIGIN, "cert": cert, "signature": sig}).to_string()
}

fn authenticate(addr: &str, challenge: &str, body: &str) -> Reply {
    call(
        addr,
        "POST",
        &format!("/v1/authenticate?challenge={challenge}"),
        &[JSON],
        body.as_bytes(),
    )
}

/// The login was accepted (200, `accepted: true`).
fn accepted(r: &Reply) -> bool {
    r.code == 200 && json_of(r)["accepted"] == true
}

/// The login was refused as a replay (200, `accepted: false`, "already
/// used").
fn replayed(r: &Reply) -> bool {
    r.code == 200
        && json_of(r)["accepted"] == false
        && json_of(r)["detail"]
            .as_str()
            .unwrap_or("")
            .contains("already used")
}

/// 503 with the JSON `error` `code`.
fn unavailable(r: &Reply, code: &str) -> bool {
    r.code == 503 && serde_json::from_slice::<Value>(&r.body).is_ok_and(|v| v["error"] == code)
}

/// Serials of today's PKI: a valid signing certificate's, a revoked one's.
fn probe_serials() -> (String, String) {
    let text = std::fs::read_to_string(p("expected.jsonl")).expect("expected.jsonl");
    let first = |status: &str| {
        text.lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .find(|e| e["kind"] == "sign" && e["status"] == status)
            .and_then(|e| e["serial"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("a {status} signing certificate"))
    };
    (first("valid"), first("revoked"))
}

/// Status and OCSP answer on `addr` (no state needed): the good serial
/// `good`, the revoked one `revoked`, by `/v1/status` and by OpenSSL's
/// OCSP client.
fn status_and_ocsp_answer(addr: &str) {
    let (good, revoked) = probe_serials();
    for (serial, want) in [(&good, "good"), (&revoked, "revoked")] {
        let r = call(addr, "GET", &format!("/v1/status/sign/{serial}"), &[], &[]);
        assert_eq!(r.code, 200, "{}", text_of(&r));
        assert_eq!(json_of(&r)["status"], want, "{}", text_of(&r));
        let got = kakunin_testkit::ocsp::openssl_status(
            &format!("http://{addr}/ocsp"),
            &p("sign-ca.pem"),
            serial,
            &[],
        );
        assert_eq!(got, want, "OCSP of {serial}");
    }
}

/// Waits (bounded) until `/readyz` of `addr` answers `code` (and, for
/// 200, `"status": "ready"`, not `degraded`).
fn readyz_becomes(addr: &str, code: u16, within: Duration) -> Reply {
    let deadline = Instant::now() + within;
    loop {
        let r = call(addr, "GET", "/readyz", &[], &[]);
        if r.code == code && (code != 200 || json_of(&r)["status"] == "ready") {
            return r;
        }
        assert!(
            Instant::now() < deadline,
            "/readyz of {addr} still {} after {within:?}",
            text_of(&r)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `used_memory` of `INFO memory` of the Redis on `port`.
fn redis_used_memory(port: u16) -> i64 {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect redis");
    stream
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    stream
        .write_all(b"*2\r\n$4\r\nINFO\r\n$6\r\nmemory\r\n")
        .expect("send");
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    // A bulk string; read until its fields are in (bounded by the timeout).
    while !String::from_utf8_lossy(&text).contains("used_memory_peak:") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(k) => text.extend_from_slice(&buf[..k]),
        }
    }
    String::from_utf8_lossy(&text)
        .lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("INFO memory: {}", String::from_utf8_lossy(&text)))
}

/// One command to the Redis on `port` (RESP, a new connection): the
/// first line of the reply.
fn redis_cmd(port: u16, args: &[&[u8]]) -> String {
    use std::io::{BufRead, Write};
    let stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect redis");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut req = format!("*{}\r\n", args.len()).into_bytes();
    for a in args {
        req.extend(format!("${}\r\n", a.len()).into_bytes());
        req.extend_from_slice(a);
        req.extend(b"\r\n");
    }
    (&stream).write_all(&req).expect("send");
    let mut line = String::new();
    std::io::BufReader::new(&stream)
        .read_line(&mut line)
        .expect("reply");
    line.trim_end().to_string()
}

// ---------------------------------------------------------------------
// The tests.
// ---------------------------------------------------------------------

/// Two replicas behind HAProxy, round robin and nothing else, one Redis:
/// a whole login whose every step lands on the other replica than the
/// step before; a code redeemed twice through the balancer (once by each
/// replica) works once; a sign transaction registered on one replica is
/// seen, approved and its result fetched on the other; card-login
/// challenges replayed on the other replica are refused.
#[test]
fn serve_shared_round_robin_login_code_sign_transaction_and_challenges_across_replicas() {
    let Some(haproxy) = need_haproxy() else {
        return;
    };
    let Some(dep) = Deployment::new(&[]) else {
        return;
    };
    let started = Instant::now();
    let lb = dep.balanced(&haproxy);
    let at = lb.addr().to_string();
    let iss = dep.issuer.as_str();
    assert_eq!(format!("http://{at}"), iss);
    let r = call(&at, "GET", "/readyz", &[], &[]);
    assert_eq!(r.code, 200, "{}", text_of(&r));
    assert_eq!(json_of(&r)["state"]["backend"], "redis", "{}", text_of(&r));

    // A whole login through the balancer; every step on the other replica.
    let mut by = Vec::new();
    let (pending, r) = authorize(&at, "openid name");
    by.push(("authorize", replica_of(&r)));
    let (challenge, r) = shown(&at, &pending.pairing);
    by.push(("show", replica_of(&r)));
    let body = card_body(iss, &challenge, true, &[]);
    let r = approve(&at, &pending.pairing, &body);
    by.push(("approve", replica_of(&r)));
    let (code, r) = collect_code(&at, &pending);
    by.push(("wait", replica_of(&r)));
    let r = token(&at, iss, &code);
    assert_eq!(r.code, 200, "{}", text_of(&r));
    by.push(("token", replica_of(&r)));
    let tokens = json_of(&r);
    assert!(tokens["id_token"].is_string(), "{tokens}");
    let access = tokens["access_token"].as_str().expect("access_token");
    let r = call(
        &at,
        "GET",
        "/userinfo",
        &[("Authorization", &bearer(access))],
        &[],
    );
    assert_eq!(r.code, 200, "{}", text_of(&r));
    by.push(("userinfo", replica_of(&r)));
    let info = json_of(&r);
    assert!(info["sub"].is_string(), "{info}");
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(p("holders/1/facts.json")).expect("facts.json"),
    )
    .expect("JSON");
    assert_eq!(info["name"], facts["name"], "{info}");
    for w in by.windows(2) {
        assert_ne!(w[0].1, w[1].1, "consecutive steps on one replica: {by:?}");
    }
    eprintln!("login steps by replica: {by:?}");

    // The code again, at each replica: refused.
    for r in &lb.replicas {
        let again = token(r.addr(), iss, &code);
        assert_eq!(again.code, 400, "{}", text_of(&again));
        assert_eq!(json_of(&again)["error"], "invalid_grant");
    }

    // A fresh code redeemed twice in a row through the balancer: once by
    // each replica, exactly one success.
    let code = login_code(&dep, |_| at.clone());
    let (first, second) = (token(&at, iss, &code), token(&at, iss, &code));
    assert_ne!(replica_of(&first), replica_of(&second));
    let codes = [first.code, second.code];
    assert_eq!(
        codes.iter().filter(|&&c| c == 200).count(),
        1,
        "{} / {}",
        text_of(&first),
        text_of(&second)
    );
    let refused = if first.code == 200 { &second } else { &first };
    assert_eq!(refused.code, 400, "{}", text_of(refused));
    assert_eq!(json_of(refused)["error"], "invalid_grant");
    let revoked_access = json_of(if first.code == 200 { &first } else { &second })["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    // Both replicas now refuse the access token of the code used twice.
    for r in &lb.replicas {
        let u = call(
            r.addr(),
            "GET",
            "/userinfo",
            &[("Authorization", &bearer(&revoked_access))],
            &[],
        );
        assert_eq!(
            u.code,
            401,
            "userinfo of a revoked token at {}: {}",
            r.addr(),
            text_of(&u)
        );
    }

    // A sign transaction registered on one replica, seen on the other,
    // approved across both, its result fetched from the other.
    let cc = sign_token(&at, iss);
    let digest = kakunin_testkit::login::sha256_openssl("契約書 2026-12".as_bytes());
    let reg = call(
        &at,
        "POST",
        "/v1/sign-transactions",
        &[("Authorization", &bearer(&cc)), JSON],
        json!({"documents": [{"label": "契約書.pdf", "digest": B64.encode(&digest)}], "facts": false})
            .to_string()
            .as_bytes(),
    );
    assert_eq!(reg.code, 201, "{}", text_of(&reg));
    let registered_by = replica_of(&reg);
    let id = json_of(&reg)["sign_transaction_id"]
        .as_str()
        .expect("id")
        .to_string();
    let state = call(
        &at,
        "GET",
        &format!("/v1/sign-transactions/{id}"),
        &[("Authorization", &bearer(&cc))],
        &[],
    );
    assert_eq!(state.code, 200, "{}", text_of(&state));
    assert_ne!(replica_of(&state), registered_by);
    assert_eq!(json_of(&state)["status"], "open", "{}", text_of(&state));
    // Every replica sees it, directly.
    for r in &lb.replicas {
        let s = call(
            r.addr(),
            "GET",
            &format!("/v1/sign-transactions/{id}"),
            &[("Authorization", &bearer(&cc))],
            &[],
        );
        assert_eq!(json_of(&s)["status"], "open", "{}", text_of(&s));
    }
    let r = authorize_reply(&at, "openid sign", &format!("&sign_transaction_id={id}"));
    let pending = pending_of(&r);
    let (challenge, r) = shown(&at, &pending.pairing);
    assert_eq!(
        json_of(&r)["documents"][0]["label"],
        "契約書.pdf",
        "{}",
        text_of(&r)
    );
    approve(
        &at,
        &pending.pairing,
        &card_body(iss, &challenge, true, std::slice::from_ref(&digest)),
    );
    let (code, _) = collect_code(&at, &pending);
    let r = token(&at, iss, &code);
    assert_eq!(r.code, 200, "{}", text_of(&r));
    let access = json_of(&r)["access_token"]
        .as_str()
        .expect("access_token")
        .to_string();
    let mut fetched_by = std::collections::BTreeSet::new();
    for _ in 0..2 {
        let r = call(
            &at,
            "GET",
            &format!("/v1/sign-transactions/{id}/result"),
            &[("Authorization", &bearer(&access))],
            &[],
        );
        assert_eq!(r.code, 200, "{}", text_of(&r));
        let v = json_of(&r);
        assert_eq!(v["status"], "signed", "{v}");
        assert_eq!(v["verification"]["status"], "valid", "{v}");
        assert_eq!(v["documents"][0]["digest"], B64.encode(&digest));
        fetched_by.insert(replica_of(&r));
    }
    assert_eq!(
        fetched_by.len(),
        2,
        "the result from both replicas: {fetched_by:?}"
    );

    // Card-login challenges: issued through the balancer, used on one
    // replica, replayed on the other (directly, and through the balancer,
    // whose round robin sends the replay to the other replica): refused.
    let (r0, r1) = (lb.replicas[0].addr(), lb.replicas[1].addr());
    for (first, other) in [(r0, r1), (r1, r0)] {
        let c = new_challenge(&at);
        let body = login_body(&c);
        let r = authenticate(first, &c, &body);
        assert!(accepted(&r), "{}", text_of(&r));
        let r = authenticate(other, &c, &body);
        assert!(replayed(&r), "replay on the other replica: {}", text_of(&r));
        let r = authenticate(first, &c, &body);
        assert!(replayed(&r), "replay on the same replica: {}", text_of(&r));
    }
    let c = new_challenge(&at);
    let body = login_body(&c);
    let first = authenticate(&at, &c, &body);
    assert!(accepted(&first), "{}", text_of(&first));
    let again = authenticate(&at, &c, &body);
    assert!(replayed(&again), "{}", text_of(&again));
    assert_ne!(replica_of(&first), replica_of(&again));
    eprintln!("round robin test took {:?}", started.elapsed());
}

/// Twenty concurrent redemptions of one code, and twenty concurrent card
/// logins with one challenge, half sent to each replica directly: exactly
/// one success each, every other answer a refusal (never a 5xx).
#[test]
fn serve_shared_races_one_code_and_one_challenge_twenty_ways() {
    const N: usize = 20;
    let Some(dep) = Deployment::new(&[]) else {
        return;
    };
    let started = Instant::now();
    let replicas = dep.replicas();
    let addrs: Vec<String> = replicas.iter().map(|r| r.addr().to_string()).collect();
    for round in 0..3 {
        // The login itself alternates replicas too.
        let code = login_code(&dep, |i| addrs[(i + round) % 2].clone());
        // Each request its own fresh assertion (jti), made beforehand.
        let bodies: Vec<String> = (0..N).map(|_| token_form(&dep.issuer, &code)).collect();
        let barrier = Arc::new(Barrier::new(N));
        let answers: Vec<(usize, u16, Value)> = std::thread::scope(|scope| {
            let handles: Vec<_> = bodies
                .iter()
                .enumerate()
                .map(|(i, body)| {
                    let addr = addrs[i % 2].clone();
                    let barrier = barrier.clone();
                    scope.spawn(move || {
                        let mut conn = KeepAlive::connect(&addr);
                        barrier.wait();
                        let r = conn.request("POST", "/token", &[FORM], body.as_bytes());
                        (i % 2, r.code, json_of(&r))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let wins: Vec<_> = answers.iter().filter(|(_, c, _)| *c == 200).collect();
        assert_eq!(wins.len(), 1, "round {round}: {answers:?}");
        for (_, c, v) in &answers {
            assert!(
                *c == 200 || (*c == 400 && v["error"] == "invalid_grant"),
                "round {round}: {c} {v}"
            );
        }
        eprintln!("round {round}: the code redeemed by replica {}", wins[0].0);

        let c = new_challenge(&addrs[round % 2]);
        let body = login_body(&c);
        let barrier = Arc::new(Barrier::new(N));
        let answers: Vec<(usize, u16, Value)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..N)
                .map(|i| {
                    let addr = addrs[i % 2].clone();
                    let (barrier, body, c) = (barrier.clone(), body.clone(), c.clone());
                    scope.spawn(move || {
                        let mut conn = KeepAlive::connect(&addr);
                        barrier.wait();
                        let r = conn.request(
                            "POST",
                            &format!("/v1/authenticate?challenge={c}"),
                            &[JSON],
                            body.as_bytes(),
                        );
                        (i % 2, r.code, json_of(&r))
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread"))
                .collect()
        });
        let wins: Vec<_> = answers
            .iter()
            .filter(|(_, c, v)| *c == 200 && v["accepted"] == true)
            .collect();
        assert_eq!(wins.len(), 1, "round {round}: {answers:?}");
        for (_, c, v) in &answers {
            assert_eq!(*c, 200, "round {round}: {v}");
            assert!(
                v["accepted"] == true
                    || v["detail"].as_str().unwrap_or("").contains("already used"),
                "round {round}: {v}"
            );
        }
        eprintln!(
            "round {round}: the challenge accepted by replica {}",
            wins[0].0
        );
    }
    let replayed: f64 = replicas
        .iter()
        .map(|r| r.metric("kakunin_logins_total{outcome=\"replayed\"}"))
        .sum();
    assert_eq!(replayed, (3 * (N - 1)) as f64);
    eprintln!("races took {:?}", started.elapsed());
}

/// Redis killed mid-run: whatever needs state answers 503
/// `state_unavailable` (OAuth: `temporarily_unavailable`) in under a
/// second, status and OCSP keep answering 200, `/readyz` stays 200 but
/// says the state store is unavailable (`degraded`), and nothing single
/// use is accepted. Redis
/// restarted empty: a card-login challenge minted before it is refused
/// from the first answer on (its used mark was lost: the epoch check),
/// one minted after works at once, the replicas are ready again by
/// themselves, logins work, and a code issued before (in the lost store)
/// is `invalid_grant` on both replicas.
#[test]
fn serve_shared_redis_killed_then_restarted_empty() {
    let Some(mut dep) = Deployment::new(&[]) else {
        return;
    };
    let started = Instant::now();
    let replicas = dep.replicas();
    let addrs: Vec<String> = replicas.iter().map(|r| r.addr().to_string()).collect();
    let a = |i: usize| addrs[i % 2].clone();
    let iss = dep.issuer.clone();

    // Before: a code redeemed, a code waiting, a challenge used, a
    // challenge not yet used, a login pending approval.
    let used_code = login_code(&dep, a);
    assert_eq!(token(&a(0), &iss, &used_code).code, 200);
    let kept_code = login_code(&dep, a);
    let used = new_challenge(&a(0));
    let used_body = login_body(&used);
    assert!(accepted(&authenticate(&a(1), &used, &used_body)));
    let fresh = new_challenge(&a(1));
    let fresh_body = login_body(&fresh);
    let (pending, _) = authorize(&a(0), "openid");
    let (pending_challenge, _) = shown(&a(1), &pending.pairing);

    dep.redis.kill();
    let killed = Instant::now();
    let mut slowest = Duration::ZERO;
    let mut check = |what: &str, (r, took): (Reply, Duration), want: &str| {
        assert!(
            unavailable(&r, want),
            "{what} with Redis down: expected 503 {want}, found {}",
            text_of(&r)
        );
        assert!(took < REFUSED_WITHIN, "{what}: refused after {took:?}");
        slowest = slowest.max(took);
    };
    for (i, addr) in addrs.iter().enumerate() {
        let form = token_form(&iss, &used_code);
        check(
            "a used code",
            timed(addr, "POST", "/token", &[FORM], form.as_bytes()),
            "temporarily_unavailable",
        );
        let form = token_form(&iss, &kept_code);
        check(
            "a waiting code",
            timed(addr, "POST", "/token", &[FORM], form.as_bytes()),
            "temporarily_unavailable",
        );
        let path = format!("/v1/authenticate?challenge={used}");
        check(
            "a used challenge",
            timed(addr, "POST", &path, &[JSON], used_body.as_bytes()),
            "state_unavailable",
        );
        let path = format!("/v1/authenticate?challenge={fresh}");
        check(
            "an unused challenge",
            timed(addr, "POST", &path, &[JSON], fresh_body.as_bytes()),
            "state_unavailable",
        );
        check(
            "/authorize",
            timed(
                addr,
                "GET",
                &authorize_path("openid", ""),
                &[("Accept", "application/json")],
                &[],
            ),
            "state_unavailable",
        );
        let body = card_body(&iss, &pending_challenge, false, &[]).to_string();
        check(
            "an approval",
            timed(
                addr,
                "POST",
                &format!("/approve/{}", pending.pairing),
                &[JSON],
                body.as_bytes(),
            ),
            "state_unavailable",
        );
        // What needs no state answers as before.
        status_and_ocsp_answer(addr);
        let r = call(addr, "GET", "/v1/challenge", &[], &[]);
        assert_eq!(
            r.code,
            200,
            "minting a challenge needs no state: {}",
            text_of(&r)
        );
        // Ready, but degraded: every replica shares this Redis, and
        // taking them all out would stop status and OCSP for nothing.
        let ready = call(addr, "GET", "/readyz", &[], &[]);
        assert_eq!(ready.code, 200, "replica {i}: {}", text_of(&ready));
        let v = json_of(&ready);
        assert_eq!(v["status"], "degraded", "{v}");
        assert_eq!(v["state"]["available"], false, "{v}");
    }
    eprintln!(
        "Redis down: every state request refused, the slowest after {slowest:?}; checks done {:?} after the kill",
        killed.elapsed()
    );
    // Each replica counted its refused state operations.
    for r in &replicas {
        let (code, text) = r.curl("/metrics", &[]);
        assert_eq!(code, 200);
        let n: f64 = text
            .lines()
            .filter(|l| {
                l.starts_with("kakunin_state_operations_total{")
                    && l.contains("outcome=\"unavailable\"")
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum();
        assert!(n >= 6.0, "{} unavailable state operations counted", n);
    }

    // Redis back, empty: the used marks are gone with it. The challenges
    // minted before are refused from the first answer that is not a 503
    // (asked as soon as Redis is back, before any health check): the one
    // used before the outage, replayed on the replica that did not see
    // it, and the one never used.
    dep.redis.restart();
    let restarted = Instant::now();
    let first_answer = |addr: &str, c: &str, body: &str| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = authenticate(addr, c, body);
            if r.code != 503 {
                return r;
            }
            assert!(Instant::now() < deadline, "still {}", text_of(&r));
            std::thread::sleep(Duration::from_millis(10));
        }
    };
    let r = first_answer(&addrs[0], &used, &used_body);
    assert!(
        r.code == 200 && json_of(&r)["accepted"] == false,
        "the challenge used before Redis restarted empty, replayed {:?} after the restart: {}",
        restarted.elapsed(),
        text_of(&r),
    );
    // A challenge minted after that works, on the other replica. The
    // epoch was set by the answer above; challenges carry whole seconds,
    // so one minted in the epoch's second is refused too (it may predate
    // the restart): mint in the next second.
    std::thread::sleep(Duration::from_millis(1_050));
    let c = new_challenge(&addrs[1]);
    let r = first_answer(&addrs[1], &c, &login_body(&c));
    assert!(
        accepted(&r),
        "a challenge minted after Redis came back, used {:?} after the restart: {}",
        restarted.elapsed(),
        text_of(&r)
    );
    let r = first_answer(&addrs[1], &fresh, &fresh_body);
    assert!(
        r.code == 200 && json_of(&r)["accepted"] == false,
        "a challenge minted before Redis restarted empty, never used, {:?} after the restart: {}",
        restarted.elapsed(),
        text_of(&r),
    );
    for addr in &addrs {
        readyz_becomes(addr, 200, Duration::from_secs(10));
    }
    eprintln!("ready again {:?} after the restart", restarted.elapsed());
    // The codes were in the lost store: refused, on both replicas.
    for addr in &addrs {
        for code in [&used_code, &kept_code] {
            let r = token(addr, &iss, code);
            assert_eq!(r.code, 400, "{}", text_of(&r));
            assert_eq!(json_of(&r)["error"], "invalid_grant", "{}", text_of(&r));
        }
    }
    // The pending login was lost with it.
    let r = call(
        &a(0),
        "GET",
        &format!("/approve/{}", pending.pairing),
        &[],
        &[],
    );
    assert_eq!(r.code, 404, "{}", text_of(&r));
    // Logins work again, across replicas, once.
    let code = login_code(&dep, a);
    let first = token(&a(1), &iss, &code);
    assert_eq!(first.code, 200, "{}", text_of(&first));
    let second = token(&a(0), &iss, &code);
    assert_eq!(second.code, 400, "{}", text_of(&second));
    let c = new_challenge(&a(0));
    let body = login_body(&c);
    assert!(accepted(&authenticate(&a(1), &c, &body)));
    assert!(replayed(&authenticate(&a(0), &c, &body)));
    // The challenges minted before the restart stay refused, saying why.
    for addr in &addrs {
        for (c, body) in [(&used, &used_body), (&fresh, &fresh_body)] {
            let r = authenticate(addr, c, body);
            assert_eq!(json_of(&r)["accepted"], false, "{}", text_of(&r));
            assert!(
                json_of(&r)["detail"]
                    .as_str()
                    .unwrap_or("")
                    .contains("started empty"),
                "{}",
                text_of(&r)
            );
        }
    }
    eprintln!("kill/restart test took {:?}", started.elapsed());
}

/// Redis full (`maxmemory` with `noeviction`): new state is refused with
/// 503 on both replicas, nothing is forgotten — a challenge used before
/// is still refused, and a code issued before redeems exactly once when
/// room is made — and status and OCSP keep answering.
#[test]
fn serve_shared_redis_full_refuses_new_state_and_forgets_nothing() {
    let Some(dep) = Deployment::new(&["--maxmemory", "8mb", "--maxmemory-policy", "noeviction"])
    else {
        return;
    };
    let started = Instant::now();
    let replicas = dep.replicas();
    let addrs: Vec<String> = replicas.iter().map(|r| r.addr().to_string()).collect();
    let a = |i: usize| addrs[i % 2].clone();
    let iss = dep.issuer.clone();

    let kept_code = login_code(&dep, a);
    let used = new_challenge(&a(0));
    let used_body = login_body(&used);
    assert!(accepted(&authenticate(&a(0), &used, &used_body)));
    let fresh = new_challenge(&a(1));
    let fresh_body = login_body(&fresh);

    // Fill Redis until it refuses writes. The refused SET's own 64 KiB
    // query buffer is what tipped it over, and it is freed with the
    // connection: maxmemory is then lowered below what the data uses, so
    // that small writes are refused too (noeviction evicts nothing).
    let port = dep.redis.port();
    let filler = vec![b'x'; 64 * 1024];
    let mut n = 0;
    loop {
        let key = format!("filler:{n}");
        let reply = redis_cmd(port, &[b"SET", key.as_bytes(), &filler]);
        if reply.starts_with("-OOM") {
            break;
        }
        assert_eq!(reply, "+OK", "filling redis");
        n += 1;
        assert!(n < 1000, "redis with maxmemory 8mb took {n} × 64 KiB");
    }
    let used_memory = redis_used_memory(port);
    let limit = (used_memory - 512 * 1024).to_string();
    assert_eq!(
        redis_cmd(port, &[b"CONFIG", b"SET", b"maxmemory", limit.as_bytes()]),
        "+OK"
    );
    assert!(redis_cmd(port, &[b"SET", b"probe", b"1"]).starts_with("-OOM"));
    eprintln!("redis full after {n} filler keys ({used_memory} bytes used, maxmemory {limit})");

    for addr in &addrs {
        let (r, took) = timed(
            addr,
            "POST",
            "/token",
            &[FORM],
            token_form(&iss, &kept_code).as_bytes(),
        );
        assert!(
            unavailable(&r, "temporarily_unavailable"),
            "a token request with Redis full: {}",
            text_of(&r)
        );
        assert!(took < REFUSED_WITHIN, "{took:?}");
        let r = authenticate(addr, &used, &used_body);
        assert!(
            r.code == 503 || replayed(&r),
            "a used challenge with Redis full: {}",
            text_of(&r)
        );
        assert!(!accepted(&r));
        let r = authenticate(addr, &fresh, &fresh_body);
        assert!(
            unavailable(&r, "state_unavailable"),
            "a new login with Redis full: {}",
            text_of(&r)
        );
        let r = authorize_reply(addr, "openid", "");
        assert!(
            unavailable(&r, "state_unavailable"),
            "/authorize with Redis full: {}",
            text_of(&r)
        );
        assert!(
            String::from_utf8_lossy(&r.body).contains("full"),
            "the refusal says Redis is full: {}",
            text_of(&r)
        );
        status_and_ocsp_answer(addr);
    }

    // Room again (the filler deleted, nothing else): what was there before
    // is still there, and single use.
    for i in 0..n {
        let key = format!("filler:{i}");
        assert_eq!(redis_cmd(port, &[b"DEL", key.as_bytes()]), ":1");
    }
    let wins: Vec<Reply> = [a(1), a(0), a(1)]
        .iter()
        .map(|addr| token(addr, &iss, &kept_code))
        .collect();
    assert_eq!(
        wins.iter().filter(|r| r.code == 200).count(),
        1,
        "the code issued before Redis filled up: {:?}",
        wins.iter().map(text_of).collect::<Vec<_>>()
    );
    assert_eq!(wins[0].code, 200, "{}", text_of(&wins[0]));
    for r in &wins[1..] {
        assert_eq!(json_of(r)["error"], "invalid_grant", "{}", text_of(r));
    }
    for addr in &addrs {
        assert!(replayed(&authenticate(addr, &used, &used_body)));
    }
    let r = authenticate(&a(1), &fresh, &fresh_body);
    assert!(accepted(&r), "{}", text_of(&r));
    assert!(replayed(&authenticate(&a(0), &fresh, &fresh_body)));
    let code = login_code(&dep, a);
    assert_eq!(token(&a(1), &iss, &code).code, 200);
    for addr in &addrs {
        readyz_becomes(addr, 200, Duration::from_secs(10));
    }
    eprintln!("full test took {:?}", started.elapsed());
}

/// A replica started with another `--pairwise-key` against the same Redis
/// refuses to start, naming the fingerprint mismatch; the running replica
/// keeps serving.
#[test]
fn serve_shared_a_replica_with_another_pairwise_key_refuses_to_start() {
    let Some(dep) = Deployment::new(&[]) else {
        return;
    };
    let first = dep.replica(0);
    let mut args = dep.args(1);
    let i = args
        .iter()
        .position(|a| a == "--pairwise-key")
        .expect("--pairwise-key");
    args[i + 1] = s(&dep.path("other-pairwise.key")).to_string();
    let started = Instant::now();
    let (status, err) = exits(&args);
    eprintln!("refused after {:?}", started.elapsed());
    assert!(!status.success(), "{status}: {err}");
    assert!(err.contains("fingerprint"), "{err}");
    assert!(err.contains("kakunin:fingerprint"), "{err}");
    assert!(err.contains("pairwise"), "{err}");
    // The same secrets join; the first replica still serves logins.
    let second = dep.replica(1);
    let code = login_code(&dep, |i| {
        if i % 2 == 0 {
            first.addr()
        } else {
            second.addr()
        }
        .to_string()
    });
    assert_eq!(token(second.addr(), &dep.issuer, &code).code, 200);
}

/// `--state redis://…` without `--challenge-key`: refused at start, with
/// a message that says what to give.
#[test]
fn serve_shared_redis_state_without_a_challenge_key_refuses_to_start() {
    let Some(dep) = Deployment::new(&[]) else {
        return;
    };
    let mut args = dep.args(0);
    let i = args
        .iter()
        .position(|a| a == "--challenge-key")
        .expect("--challenge-key");
    args.drain(i..i + 2);
    let (status, err) = exits(&args);
    assert!(!status.success(), "{status}: {err}");
    assert_eq!(status.code(), Some(2), "{err}");
    assert!(err.contains("--challenge-key"), "{err}");
    assert!(err.contains("--state redis"), "{err}");
    assert!(err.contains("same on every replica"), "{err}");
}
