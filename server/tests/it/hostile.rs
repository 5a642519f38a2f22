//! The server against hostile or broken clients, over raw loopback
//! sockets: random and mutated OCSP DER, bodies over `max_body_bytes` (declared,
//! chunked, or a lie), many slowloris connections trickling header or body
//! bytes, and every route with the wrong method. Each case checks the exact
//! answer, that nothing is a 5xx, and that the server keeps serving others.
//! (status.rs already covers single bad serials, unknown issuers and one slow
//! header.) Every loop is bounded.

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::Value;

use kakunin_testkit::ocsp::{b64, expected, ocsp_answer, ocsp_response_status, openssl_request};

use crate::common::{
    config, crl_dir, data, need_curl, read_until_closed, sample, sample_signer, KeepAlive, Reply,
    Served,
};

/// A small deterministic generator (xorshift64*), so a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

const SUCCESSFUL: u8 = 0;
const MALFORMED: u8 = 1;
const UNAUTHORIZED: u8 = 6;

/// The OCSP status of an HTTP answer that must be an OCSP response.
fn ocsp_status(r: &Reply, what: &str) -> u8 {
    assert_eq!(r.code, 200, "{what}: {}", String::from_utf8_lossy(&r.body));
    assert_eq!(
        r.header("content-type"),
        Some("application/ocsp-response"),
        "{what}"
    );
    ocsp_response_status(&r.body)
}

fn post_ocsp(conn: &mut KeepAlive, body: &[u8]) -> Reply {
    let ct = [("Content-Type", "application/ocsp-request")];
    conn.request("POST", "/ocsp", &ct, body)
}

#[test]
fn serve_hostile_random_and_mutated_ocsp_der_gets_malformed_request_never_an_error() {
    if !need_curl() {
        return;
    }
    let srv = sample();
    let mut conn = KeepAlive::connect(srv.addr());
    let mut rng = Rng(0x6b61_6b75_6e69_6e00);
    let mut malformed = 0usize;

    // Random bytes, and random bytes dressed as a DER SEQUENCE of the right
    // length: by POST and (base64url) by GET.
    for i in 0..150usize {
        let len = 1 + (rng.next() % 1500) as usize;
        let mut body = rng.bytes(len);
        if i % 2 == 1 && len > 4 {
            body[0] = 0x30;
            body[1] = 0x82;
            body[2..4].copy_from_slice(&((len - 4) as u16).to_be_bytes());
        }
        assert_eq!(
            ocsp_status(&post_ocsp(&mut conn, &body), "random POST"),
            MALFORMED,
            "POST {body:02x?}"
        );
        let path = format!(
            "/ocsp/{}",
            b64(&body)
                .replace('+', "-")
                .replace('/', "_")
                .trim_end_matches('=')
        );
        let r = conn.request("GET", &path, &[], &[]);
        assert_eq!(ocsp_status(&r, "random GET"), MALFORMED, "GET {path}");
        malformed += 2;
    }

    // A real request (openssl, good serial): every strict prefix is
    // malformed; every one-byte change is malformed, unauthorized (a CertID
    // hash no longer names our CA) or a proper answer (e.g. another serial).
    let good = expected("sign", 1)["serial"].as_str().unwrap().to_string();
    let req = openssl_request(&data("sign-ca.pem"), &good, false);
    for cut in 1..req.len() {
        let r = post_ocsp(&mut conn, &req[..cut]);
        assert_eq!(
            ocsp_status(&r, "prefix"),
            MALFORMED,
            "prefix of {cut} bytes"
        );
        malformed += 1;
    }
    let mut by_status = [0usize; 7];
    for at in 0..req.len() {
        for flip in [0x01u8, 0x80, 0xFF] {
            let mut m = req.clone();
            m[at] ^= flip;
            let r = post_ocsp(&mut conn, &m);
            let st = ocsp_status(&r, "mutation");
            assert!(
                [SUCCESSFUL, MALFORMED, UNAUTHORIZED].contains(&st),
                "byte {at} ^ {flip:#x}: status {st}"
            );
            if st == SUCCESSFUL {
                let a = ocsp_answer(&r.body);
                assert!(["good", "revoked"].contains(&a.status.as_str()), "{a:?}");
            }
            by_status[st as usize] += 1;
        }
    }
    eprintln!(
        "one-byte mutations: (successful, malformed, unauthorized) = ({}, {}, {})",
        by_status[0], by_status[1], by_status[6]
    );
    assert!(
        by_status[0] > 0 && by_status[1] > 0 && by_status[6] > 0,
        "{by_status:?}"
    );
    malformed += by_status[1];

    // Still serving, and the metrics counted every refusal, no error.
    let r = post_ocsp(&mut conn, &req);
    assert_eq!(ocsp_status(&r, "the real request"), SUCCESSFUL);
    let a = ocsp_answer(&r.body);
    assert_eq!(
        (a.serial.as_str(), a.status.as_str()),
        (good.as_str(), "good")
    );
    assert_eq!(
        srv.metric("kakunin_ocsp_responses_total{status=\"malformedRequest\"}"),
        malformed as f64
    );
    assert_eq!(
        srv.metric("kakunin_ocsp_responses_total{status=\"internalError\"}"),
        0.0
    );
    let (_, metrics) = srv.curl("/metrics", &[]);
    assert!(
        !metrics
            .lines()
            .any(|l| l.starts_with("kakunin_http_requests_total") && l.contains("status=\"5")),
        "{metrics}"
    );
}

/// Sends `request` on a new connection and reads until the server closes
/// it (bounded): (status code, body text, time to close).
fn raw(addr: &str, request: &[u8]) -> (u16, String, Duration) {
    let started = Instant::now();
    let mut s = TcpStream::connect(addr).expect("connect");
    s.write_all(request).expect("send");
    let got = read_until_closed(&mut s, Duration::from_secs(15)).expect("server closed");
    let text = String::from_utf8_lossy(&got).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_string();
    (code, body, started.elapsed())
}

/// `{"error": code}` of a JSON error body.
fn error_code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body:?}"));
    assert!(v["detail"].is_string(), "{v}");
    v["error"].as_str().expect("error").to_string()
}

/// A chunked body of `n` bytes of `fill`, in 100-byte chunks.
fn chunked(n: usize, fill: u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(100);
        out.extend_from_slice(format!("{k:x}\r\n").as_bytes());
        out.extend(std::iter::repeat_n(fill, k));
        out.extend_from_slice(b"\r\n");
        left -= k;
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn serve_hostile_bodies_over_max_body_get_413_declared_chunked_or_lying() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let mut config = config(dir.path());
    config.ocsp = sample_signer();
    config.limits.max_body_bytes = 1024; // --max-body 1024
    let srv = Served::start(config);
    let addr = srv.addr();
    for path in ["/ocsp", "/v1/status?issuer=sign"] {
        let head = |framing: &str| {
            format!("POST {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{framing}\r\n")
                .into_bytes()
        };
        // At the limit: read and answered (garbage, so malformed or 400).
        let mut req = head("Content-Length: 1024\r\n");
        req.extend(std::iter::repeat_n(b'0', 1024));
        let (code, body, _) = raw(addr, &req);
        assert_ne!(code, 413, "{path}: 1024 bytes are allowed: {body}");
        // One byte over, declared.
        let mut req = head("Content-Length: 1025\r\n");
        req.extend(std::iter::repeat_n(b'0', 1025));
        let (code, body, _) = raw(addr, &req);
        assert_eq!(
            (code, error_code(&body).as_str()),
            (413, "body_too_large"),
            "{path}"
        );
        // Chunked, no length declared.
        let mut req = head("Transfer-Encoding: chunked\r\n");
        req.extend(chunked(3000, b'0'));
        let (code, body, _) = raw(addr, &req);
        assert_eq!(
            (code, error_code(&body).as_str()),
            (413, "body_too_large"),
            "{path} chunked"
        );
        // 10 MiB declared and never sent: answered at once, not after the
        // 10 s body timeout.
        let (code, body, took) = raw(addr, &head("Content-Length: 10485760\r\n"));
        assert_eq!(
            (code, error_code(&body).as_str()),
            (413, "body_too_large"),
            "{path} lie"
        );
        assert!(took < Duration::from_secs(3), "{path}: {took:?}");
    }
    // Still serving.
    let (code, body) = srv.curl("/v1/status/sign/01", &[]);
    assert_eq!(code, 200, "{body}");
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"ocsp\",status=\"413\"}"),
        3.0
    );
}

/// One slowloris connection: it trickles a byte every 100 ms, of a header
/// that never ends or of a body that never completes.
struct Slow {
    stream: TcpStream,
    opened: Instant,
    last_write: Instant,
    closed: Option<Instant>,
    got: Vec<u8>,
    body: bool,
}

impl Slow {
    fn open(addr: &str, body: bool) -> Slow {
        let mut stream = TcpStream::connect(addr).expect("connect");
        let start: &[u8] = if body {
            b"POST /v1/status?issuer=sign HTTP/1.1\r\nHost: x\r\nContent-Length: 300\r\n\r\n01\n"
        } else {
            b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
        };
        stream.write_all(start).expect("send");
        stream.set_nonblocking(true).unwrap();
        let now = Instant::now();
        Slow {
            stream,
            opened: now,
            last_write: now,
            closed: None,
            got: Vec::new(),
            body,
        }
    }

    /// One more byte when due, and whatever the server sent; notes when the
    /// server closed the connection.
    fn poll(&mut self, now: Instant) {
        use std::io::Read;
        if self.closed.is_some() {
            return;
        }
        let mut buf = [0u8; 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => self.closed = Some(now),
            Ok(n) => self.got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
            Err(_) => self.closed = Some(now),
        }
        if self.closed.is_none()
            && now.duration_since(self.last_write) >= Duration::from_millis(100)
        {
            let byte: &[u8] = if self.body { b"0" } else { b"a" };
            match self.stream.write(byte) {
                Ok(_) => self.last_write = now,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => self.closed = Some(now),
            }
        }
    }
}

#[test]
fn serve_hostile_slowloris_trickling_headers_and_bodies_are_cut_off_while_others_are_served() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let mut config = config(dir.path());
    // --header-timeout 1s --body-timeout 1s
    config.limits.header_read_timeout = Duration::from_secs(1);
    config.limits.body_read_timeout = Duration::from_secs(1);
    let srv = Served::start(config);
    let addr = srv.addr().to_string();
    // Waves of 3 header tricklers and 1 body trickler every 250 ms for 3 s,
    // so ~16 are open at any moment; a normal client asks every 100 ms
    // meanwhile, on a new connection each time.
    const WAVES: usize = 12;
    let started = Instant::now();
    let mut slow: Vec<Slow> = Vec::new();
    let mut normal = Vec::new();
    let mut next_normal = started;
    let deadline = started + Duration::from_secs(20);
    loop {
        let now = Instant::now();
        assert!(now < deadline, "slow connections still open after 20 s");
        let due = started + Duration::from_millis(250) * slow.len() as u32 / 4;
        if slow.len() < WAVES * 4 && now >= due {
            for i in 0..4 {
                slow.push(Slow::open(&addr, i == 3));
            }
        }
        for c in &mut slow {
            c.poll(now);
        }
        if slow.len() == WAVES * 4 && slow.iter().all(|c| c.closed.is_some()) {
            break;
        }
        if now >= next_normal && now < started + Duration::from_secs(3) {
            let open = slow.iter().filter(|c| c.closed.is_none()).count();
            let t = Instant::now();
            let (code, body) = KeepAlive::connect(&addr).get("/v1/status/sign/1D1534354987EBB1");
            normal.push((code, body, t.elapsed(), open));
            next_normal = now + Duration::from_millis(100);
        }
        std::thread::sleep(Duration::from_millis(10));
    }

    // Every trickler was cut off after the timeout: not before (the
    // server is not trigger-happy), and not much after, although it kept
    // sending (the timeout is for the whole header or body, not per byte).
    for (i, c) in slow.iter().enumerate() {
        let after = c.closed.unwrap().duration_since(c.opened);
        assert!(
            after >= Duration::from_millis(900) && after < Duration::from_secs(4),
            "slow connection {i} (body: {}) closed after {after:?}",
            c.body
        );
        let text = String::from_utf8_lossy(&c.got);
        if c.body {
            assert!(
                text.starts_with("HTTP/1.1 408") && text.contains("body_timeout"),
                "{i}: {text:?}"
            );
        } else {
            assert!(
                !text.contains("200 OK"),
                "{i}: a header that never ended was answered: {text:?}"
            );
        }
    }
    let closed: Vec<Duration> = slow
        .iter()
        .map(|c| c.closed.unwrap().duration_since(c.opened))
        .collect();
    eprintln!(
        "{} slow connections closed after {:?}..{:?}; {} normal requests, slowest {:?}",
        slow.len(),
        closed.iter().min().unwrap(),
        closed.iter().max().unwrap(),
        normal.len(),
        normal.iter().map(|n| n.2).max().unwrap()
    );
    // Others were answered at once while the tricklers were open.
    assert!(normal.len() >= 20, "{}", normal.len());
    for (code, body, took, open) in &normal {
        assert_eq!(*code, 200, "{body}");
        assert!(body.contains("\"revoked\""), "{body}");
        assert!(
            *took < Duration::from_millis(500),
            "{took:?} with {open} slow open"
        );
    }
    assert!(
        normal.iter().filter(|n| n.3 >= 10).count() >= 10,
        "not under attack"
    );
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"status_batch\",status=\"408\"}"),
        WAVES as f64
    );
    srv.wait_for("only the metrics request open", || {
        srv.metric("kakunin_open_connections ") == 1.0
    });
}

#[test]
fn serve_hostile_wrong_methods_get_405_with_allow_and_strays_get_json_404_and_400() {
    if !need_curl() {
        return;
    }
    let srv = sample();
    let mut conn = KeepAlive::connect(srv.addr());
    let json = |r: &Reply| -> String {
        assert_eq!(r.header("content-type"), Some("application/json"));
        error_code(&r.text())
    };
    for (method, path, allow) in [
        ("GET", "/v1/status", "POST"),
        ("PUT", "/v1/status", "POST"),
        ("POST", "/v1/status/sign/01", "GET, HEAD"),
        ("DELETE", "/v1/status/sign/01", "GET, HEAD"),
        ("GET", "/ocsp", "POST"),
        ("PUT", "/ocsp/", "POST"),
        ("POST", "/ocsp/MAMKAQE=", "GET, HEAD"),
        ("POST", "/healthz", "GET, HEAD"),
        ("PATCH", "/readyz", "GET, HEAD"),
        ("POST", "/metrics", "GET, HEAD"),
        ("GET", "/admin/reload", "POST"),
        ("OPTIONS", "/admin/reload", "POST"),
    ] {
        let r = conn.request(method, path, &[], &[]);
        assert_eq!(r.code, 405, "{method} {path}");
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(json(&r), "method_not_allowed", "{method} {path}");
    }
    for path in [
        "/",
        "/v1",
        "/v1/",
        "/v1/status/",
        "/v1/status/sign",
        "/v1/status/sign/",
        "/v1/status//01",
        "/v1/statusx/sign/01",
        "/ocspx",
        "/healthz/",
        "/admin/reload/",
        "/%2e%2e/admin/reload",
    ] {
        let r = conn.request("GET", path, &[], &[]);
        assert_eq!((r.code, json(&r).as_str()), (404, "not_found"), "{path}");
    }
    for serial in [
        "0x",
        "0xZZ",
        "-",
        "--01",
        "12%2034",
        "%00",
        "%EF%BC%91%EF%BC%92",
        "0x-1",
    ] {
        let r = conn.request("GET", &format!("/v1/status/sign/{serial}"), &[], &[]);
        assert_eq!((r.code, json(&r).as_str()), (400, "bad_serial"), "{serial}");
    }
    let zeros40 = "0".repeat(40);
    let zeros64 = "0".repeat(64);
    for issuer in [
        "sign2",
        "SIGN%20",
        zeros40.as_str(),
        zeros64.as_str(),
        "%73ign",
    ] {
        let r = conn.request("GET", &format!("/v1/status/{issuer}/01"), &[], &[]);
        assert_eq!(
            (r.code, json(&r).as_str()),
            (404, "unknown_issuer"),
            "{issuer}"
        );
    }
    // HEAD, which Allow offers, works; the connection survived all of it.
    let r = conn.request("HEAD", "/healthz", &[], &[]);
    assert_eq!(r.code, 200);
    let (code, body) = conn.get("/v1/status/sign/1D1534354987EBB1");
    assert_eq!(code, 200, "{body}");
}
