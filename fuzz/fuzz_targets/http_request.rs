//! The server's HTTP request path through a real hyper connection: the
//! app `kakunin serve` serves for data/ (same trust anchors, CRL
//! directory, OCSP signer and defaults), one connection per input over
//! `tokio::io::duplex`, served by the same per-connection code as a TCP
//! client (`kakunin_server::fuzzing::OneConnection`). The runtime's clock
//! is paused: the server's timeouts and the harness's read bound pass
//! the moment nothing else can run, so a client that stops mid-request
//! costs no real time. (What the server awaits from a thread of its own,
//! the reload thread's scan for `POST /admin/reload`, gets real time.)
//!
//! Structured inputs are up to four pipelined HTTP/1.1 requests: a method,
//! a path from the real routes (with fuzzed segments, percent-escaped), a
//! query, headers, and a body (fuzzed, a data/ certificate, serial lines),
//! framed by Content-Length or chunked. Raw inputs (a first byte of 0) are
//! any bytes.
//!
//! Checked besides "no panic": everything the server writes parses as
//! HTTP/1.1 responses (status line, headers, and for structured inputs,
//! bodies framed by Content-Length or chunked, one response per request at
//! most); no status is 5xx except 503; and requests that are well-formed
//! get at least one answer.
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use arbitrary::{Arbitrary, Unstructured};
use kakunin_fuzz::{data_path, sample_certs};
use kakunin_server::fuzzing::OneConnection;
use kakunin_server::{Config, OcspConfig, SignerSpec};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const MAX_REQUESTS: usize = 4;
/// What the harness reads at most of the answers.
const MAX_ANSWER: usize = 1 << 20;
/// How long (paused clock) the client waits for the next bytes.
const READ_BOUND: Duration = Duration::from_secs(120);
/// How long (real time) the client waits when the server waits on
/// something other than the clock.
const REAL_BOUND: Duration = Duration::from_secs(5);

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Get,
    Head,
    Post,
    Put,
    Delete,
    Options,
    Patch,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Patch => "PATCH",
        }
    }
}

/// The routes of server/src/routes.rs, with room for fuzzed segments.
#[derive(Arbitrary, Debug)]
enum Path {
    Fixed(u8),
    /// `/v1/status/{issuer}/{serial}`: issuer an alias or fuzzed.
    Status {
        issuer: u8,
        fuzzed_issuer: String,
        serial: String,
    },
    /// `/ocsp/{rest}`.
    OcspGet(String),
    Other(String),
}

const FIXED: [&str; 11] = [
    "/v1/status",
    "/v1/verify",
    "/v1/challenge",
    "/v1/authenticate",
    "/healthz",
    "/readyz",
    "/metrics",
    "/admin/reload",
    "/ocsp",
    "/ocsp/",
    "/",
];

#[derive(Arbitrary, Debug)]
enum Body {
    Bytes(Vec<u8>),
    /// A data/ certificate, DER or PEM.
    Cert {
        which: u8,
        pem: bool,
    },
    /// Serial lines for `POST /v1/status`: data/ serials and fuzzed text.
    Serials {
        which: Vec<u8>,
        extra: String,
    },
}

#[derive(Arbitrary, Debug)]
struct Request {
    method: Method,
    path: Path,
    query: Option<String>,
    /// (name, value): names from a list or fuzzed (made a token).
    headers: Vec<(u8, String, String)>,
    body: Body,
    chunked: bool,
}

const HEADER_NAMES: [&str; 9] = [
    "host",
    "accept",
    "content-type",
    "connection",
    "origin",
    "authorization",
    "user-agent",
    "x-forwarded-for",
    "accept-encoding",
];

/// Bytes allowed as they are in a request target; the rest are escaped.
fn escape_target(s: &str, keep: &[u8]) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || keep.contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A header value: visible ASCII and spaces, trimmed.
fn value(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect::<String>()
        .trim()
        .to_string()
}

fn token(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(*c))
        .collect()
}

fn body_bytes(b: &Body) -> Vec<u8> {
    let pool = sample_certs();
    match b {
        Body::Bytes(b) => b.clone(),
        Body::Cert { which, pem } => {
            let der = &pool[*which as usize % pool.len()].der;
            if *pem {
                use base64::Engine as _;
                let b64 = base64::engine::general_purpose::STANDARD.encode(der);
                format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n")
                    .into_bytes()
            } else {
                der.clone()
            }
        }
        Body::Serials { which, extra } => {
            let mut s = String::new();
            for &i in which.iter().take(16) {
                let der = &pool[i as usize % pool.len()].der;
                if let Some(hex) = kakunin_fuzz::Signed::split(der)
                    .and_then(|c| kakunin_fuzz::serial_hex(&c.tbs_content))
                {
                    s.push_str(&hex);
                    s.push('\n');
                }
            }
            s.push_str(extra);
            s.into_bytes()
        }
    }
}

/// The request's bytes: always well-formed HTTP/1.1.
fn render(r: &Request) -> Vec<u8> {
    let path = match &r.path {
        Path::Fixed(i) => FIXED[*i as usize % FIXED.len()].to_string(),
        Path::Status {
            issuer,
            fuzzed_issuer,
            serial,
        } => {
            let issuer = match issuer % 3 {
                0 => "sign".to_string(),
                1 => "auth".to_string(),
                _ => escape_target(fuzzed_issuer, b"-._~"),
            };
            format!("/v1/status/{issuer}/{}", escape_target(serial, b"-._~/"))
        }
        Path::OcspGet(rest) => format!("/ocsp/{}", escape_target(rest, b"-._~/+=%")),
        Path::Other(p) => format!("/{}", escape_target(p, b"-._~/")),
    };
    let mut head = format!("{} {path}", r.method.as_str());
    if let Some(q) = &r.query {
        head.push('?');
        head.push_str(&escape_target(q, b"-._~=&"));
    }
    head.push_str(" HTTP/1.1\r\n");
    let mut has_host = false;
    for (i, (n, name, v)) in r.headers.iter().take(8).enumerate() {
        let name = if *n < 200 {
            HEADER_NAMES[*n as usize % HEADER_NAMES.len()].to_string()
        } else {
            token(name)
        };
        let lower = name.to_ascii_lowercase();
        if name.is_empty()
            || ["content-length", "transfer-encoding", "expect", "upgrade"]
                .contains(&lower.as_str())
        {
            continue;
        }
        has_host |= lower == "host";
        let v = if lower == "host" {
            format!("127.0.0.1:{}", 8080 + i)
        } else {
            value(v)
        };
        head.push_str(&format!("{name}: {v}\r\n"));
    }
    if !has_host {
        head.push_str("host: 127.0.0.1:8080\r\n");
    }
    let body = body_bytes(&r.body);
    let mut out;
    if r.chunked {
        head.push_str("transfer-encoding: chunked\r\n\r\n");
        out = head.into_bytes();
        for c in body.chunks(100) {
            out.extend_from_slice(format!("{:x}\r\n", c.len()).as_bytes());
            out.extend_from_slice(c);
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(b"0\r\n\r\n");
    } else {
        if !body.is_empty() || r.method == Method::Post {
            head.push_str(&format!("content-length: {}\r\n", body.len()));
        }
        head.push_str("\r\n");
        out = head.into_bytes();
        out.extend_from_slice(&body);
    }
    out
}

fn server() -> &'static (tokio::runtime::Runtime, OneConnection) {
    static S: OnceLock<(tokio::runtime::Runtime, OneConnection)> = OnceLock::new();
    S.get_or_init(|| {
        let config = Config {
            listen: "127.0.0.1:8080".parse().expect("an address"),
            trust: vec![data_path("sign-ca.pem"), data_path("auth-ca.pem")],
            aliases: vec![],
            default_aliases: true,
            crl_dir: data_path(""),
            reload: Default::default(),
            limits: Default::default(),
            ocsp: OcspConfig {
                signers: vec![SignerSpec {
                    cert: data_path("ocsp.pem"),
                    key: data_path("ocsp.key"),
                }],
                ..Default::default()
            },
            login: Default::default(),
            // The OpenID Provider's parsers have targets of their own
            // (oidc_request, oidc_assertion); its paths stay unrouted here.
            oidc: None,
            state: kakunin_server::StateConfig::Memory,
            tls: None,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .start_paused(true)
            .build()
            .expect("a runtime");
        let one = OneConnection::new(config).expect("the sample server loads");
        (runtime, one)
    })
}

/// Writes `request`, reads what comes back until the server closes, stops
/// sending for `READ_BOUND` (paused clock; `REAL_BOUND` of real time when
/// the server waits on a thread), one response per request is in, or
/// `MAX_ANSWER`.
async fn exchange(
    one: &'static OneConnection,
    request: Vec<u8>,
    methods: Option<Vec<Method>>,
) -> Vec<u8> {
    let (client, server) = tokio::io::duplex(1 << 16);
    let conn = tokio::spawn(one.serve(server));
    let (mut rd, mut wr) = tokio::io::split(client);
    let writer = tokio::spawn(async move {
        let _ = wr.write_all(&request).await;
        wr
    });
    let mut answer = Vec::new();
    let mut buf = vec![0u8; 1 << 14];
    let started = std::time::Instant::now();
    loop {
        match tokio::time::timeout(READ_BOUND, rd.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => answer.extend_from_slice(&buf[..n]),
            Ok(_) => break,
            // The paused clock ran out while the server waited on a thread
            // of its own (POST /admin/reload waits for the reload thread's
            // scan): give real time a chance, up to REAL_BOUND.
            Err(_) if started.elapsed() < REAL_BOUND => {
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(_) => break,
        }
        if answer.len() >= MAX_ANSWER {
            break;
        }
        if let Some(m) = &methods {
            if matches!(parse(&answer, Some(m.as_slice())), Ok(r) if r.len() == m.len()) {
                break;
            }
        }
    }
    let wr = writer.await.ok();
    drop((rd, wr));
    let _ = tokio::time::timeout(READ_BOUND, conn).await;
    answer
}

/// The status codes of the responses in `b` (1xx skipped). With the
/// requests' methods, bodies are framed and everything must parse;
/// without, only the first response's head is read.
fn parse(mut b: &[u8], methods: Option<&[Method]>) -> Result<Vec<u16>, String> {
    let mut codes = Vec::new();
    while !b.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut r = httparse::Response::new(&mut headers);
        let n = match r.parse(b) {
            Ok(httparse::Status::Complete(n)) => n,
            Ok(httparse::Status::Partial) => return Err("a truncated response head".into()),
            Err(e) => return Err(format!("a malformed response head: {e}")),
        };
        // HTTP/1.0 requests (raw inputs) get HTTP/1.0 answers.
        if !matches!(r.version, Some(0 | 1)) {
            return Err(format!("HTTP/1.{:?}", r.version));
        }
        let code = r.code.ok_or("no status")?;
        let header = |name: &str| {
            r.headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).to_string())
        };
        let content_length = header("content-length");
        let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        b = &b[n..];
        if (100..200).contains(&code) {
            continue;
        }
        codes.push(code);
        let Some(methods) = methods else {
            break;
        };
        let method = methods
            .get(codes.len() - 1)
            .ok_or("more responses than requests")?;
        if *method == Method::Head || code == 204 || code == 304 {
            continue;
        }
        if chunked {
            loop {
                let line_end = b
                    .windows(2)
                    .position(|w| w == b"\r\n")
                    .ok_or("a truncated chunk size")?;
                let size = std::str::from_utf8(&b[..line_end])
                    .ok()
                    .and_then(|s| usize::from_str_radix(s.split(';').next()?.trim(), 16).ok())
                    .ok_or("a malformed chunk size")?;
                b = &b[line_end + 2..];
                if b.len() < size + 2 || &b[size..size + 2] != b"\r\n" {
                    return Err("a truncated chunk".into());
                }
                b = &b[size + 2..];
                if size == 0 {
                    break;
                }
            }
        } else if let Some(len) = content_length {
            let len: usize = len
                .trim()
                .parse()
                .map_err(|_| format!("content-length {len:?}"))?;
            if b.len() < len {
                return Err(format!("a body of {} bytes, {len} announced", b.len()));
            }
            b = &b[len..];
        } else {
            // Delimited by the close.
            b = &[];
        }
    }
    Ok(codes)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (runtime, one) = server();
    let (bytes, methods) = match mode {
        0 => (rest.to_vec(), None),
        _ => {
            let Ok(reqs) = Vec::<Request>::arbitrary_take_rest(Unstructured::new(rest)) else {
                return;
            };
            let reqs = &reqs[..reqs.len().min(MAX_REQUESTS)];
            let bytes = reqs.iter().flat_map(render).collect();
            (
                bytes,
                Some(reqs.iter().map(|r| r.method).collect::<Vec<_>>()),
            )
        }
    };
    // The HTTP/2 preface switches the connection to HTTP/2 (prior
    // knowledge): not this target's business.
    if methods.is_none() && bytes.starts_with(b"PRI ") {
        return;
    }
    let answer = runtime.block_on(exchange(one, bytes.clone(), methods.clone()));
    if answer.len() >= MAX_ANSWER {
        return;
    }
    let codes = parse(&answer, methods.as_deref())
        .unwrap_or_else(|e| panic!("{e}: {:?}", String::from_utf8_lossy(&answer)));
    for &c in &codes {
        assert!(
            c < 500 || c == 503,
            "status {c}: {:?}",
            String::from_utf8_lossy(&answer)
        );
    }
    if let Some(m) = &methods {
        if !m.is_empty() {
            assert!(
                !codes.is_empty(),
                "no answer to {:?}",
                String::from_utf8_lossy(&bytes)
            );
        }
    }
});
