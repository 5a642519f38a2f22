//! An HTTP client side for tests of `kakunin serve`, wherever the server
//! runs (the `kakunin` process, or a `kakunin_server::Server` in the test
//! process): the real `curl` (HTTP/1.1 and HTTP/2 with prior knowledge),
//! a minimal keep-alive HTTP/1.1 client for request streams, raw sockets
//! for clients that misbehave, and the sample PKI's files. Every wait is
//! bounded and every connection goes to the address the server reported.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

/// A file of the sample PKI in `data/` at the repository's root.
pub fn sample_data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

/// A file of the sample PKI as a `&'static str`, for argument lists
/// (leaked: a handful per test run).
pub fn sample_str(name: &str) -> &'static str {
    let path = sample_data(name).into_os_string().into_string();
    Box::leak(path.expect("UTF-8 path").into_boxed_str())
}

/// Serials of the sample's bundle of `kind` (good, revoked, expired), plus
/// some never issued, including a negative and a 20-byte one.
pub fn sample_serials(kind: &str) -> Vec<String> {
    let mut v = expected_serials(&sample_data("expected.jsonl"), kind);
    v.extend(["01", "-05", "7102030405060708090A0B0C0D0E0F1011121314"].map(String::from));
    v
}

/// The first 40 serials of `kind` in a `kakunin gen` expected.jsonl.
pub fn expected_serials(expected: &Path, kind: &str) -> Vec<String> {
    let text = std::fs::read_to_string(expected).expect("expected.jsonl");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|e| e["kind"] == kind)
        .filter_map(|e| e["serial"].as_str().map(str::to_string))
        .take(40)
        .collect()
}

/// A newer signing CRL than the sample's: today's CRL of the same CA
/// (`kakunin gen`, seed 1 fixes the keys), with a higher CRL number (gen
/// numbers CRLs by day) and more revocations (1300 entries instead of
/// 1000), both indexed as the `kakunin status` oracle, made under `work`.
/// The test crate brings its own `kakunin gen`, `kakunin ingest` and
/// `kakunin status` ([`Oracle`]): this crate knows nothing of kakunin.
pub struct NewerSign {
    /// Today's PKI (`kakunin gen --out`).
    pub gen: PathBuf,
    /// Today's sign.crl (DER).
    pub crl: Vec<u8>,
    /// The sample's sign.crl, indexed.
    pub old_idx: PathBuf,
    /// Today's sign.crl, indexed.
    pub new_idx: PathBuf,
    /// Every serial on today's CRL, as `openssl crl -text` lists them.
    pub serials: Vec<String>,
    /// Those of them the sample's CRL does not revoke (good before the
    /// swap, revoked after).
    pub newly: Vec<String>,
}

/// What a test crate runs as `kakunin gen`, `kakunin ingest` and `kakunin
/// status`, for [`NewerSign`].
pub trait Oracle {
    /// `kakunin gen --seed 1 --crl-days 3650 --revoked REVOKED --certs
    /// 100 --holders 0 --out OUT`, dated today.
    fn gen_today(&self, out: &Path, revoked: u64);
    /// `kakunin ingest --crl CRL --ca CA --out OUT`, which must succeed.
    fn ingest(&self, crl: &Path, ca: &Path, out: &Path);
    /// `kakunin status --index INDEX SERIAL...`: its JSON lines.
    fn status(&self, index: &Path, serials: &[String]) -> Vec<Value>;
}

impl NewerSign {
    /// Makes today's PKI under `work` and indexes both CRLs.
    pub fn make(work: &Path, oracle: &impl Oracle) -> NewerSign {
        let gen = work.join("gen");
        oracle.gen_today(&gen, 1300);
        let crl = std::fs::read(gen.join("sign.crl")).expect("today's sign.crl");
        let old_idx = work.join("old.idx");
        let new_idx = work.join("new.idx");
        let ca = sample_data("sign-ca.pem");
        oracle.ingest(&sample_data("sign.crl"), &ca, &old_idx);
        oracle.ingest(&gen.join("sign.crl"), &ca, &new_idx);
        let entries = crate::crl_text_entries(&crate::openssl_text(
            work,
            &[
                "crl",
                "-inform",
                "DER",
                "-in",
                crate::path_str(&gen.join("sign.crl")),
                "-noout",
                "-text",
            ],
        ));
        let serials: Vec<String> = entries.iter().map(|e| e.serial.clone()).collect();
        let newly = serials
            .iter()
            .zip(oracle.status(&old_idx, &serials))
            .filter(|(_, a)| a["status"] == "good")
            .map(|(s, _)| s.clone())
            .collect::<Vec<_>>();
        assert!(
            !newly.is_empty(),
            "today's CRL revokes serials the sample's does not"
        );
        NewerSign {
            gen,
            crl,
            old_idx,
            new_idx,
            serials,
            newly,
        }
    }
}

/// A CRL directory with copies of `files` from data/.
pub fn crl_dir(files: &[&str]) -> tempfile::TempDir {
    let dir = crate::tempdir();
    for f in files {
        std::fs::copy(sample_data(f), dir.path().join(f)).expect("copy CRL");
    }
    dir
}

/// Writes `bytes` as `name` in `dir` the way a deployment should: a
/// temporary name the server ignores, then a rename.
pub fn drop_file(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.tmp"));
    std::fs::write(&tmp, bytes).expect("write");
    std::fs::rename(&tmp, dir.join(name)).expect("rename");
}

fn curl_available() -> bool {
    Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Skips a test without curl, except in CI, where `.ci/run` installs it.
pub fn need_curl() -> bool {
    crate::found_or_skip("curl", curl_available())
}

/// Checks `cond` every 100 ms until it holds (true) or `within` passes
/// (false).
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// `curl` against one server: its base URL (`http://127.0.0.1:PORT`) and,
/// for TLS, the CA curl trusts.
#[derive(Clone, Debug)]
pub struct Client {
    base: String,
    cacert: Option<PathBuf>,
}

impl Client {
    /// A client of the server at `base`.
    pub fn new(base: &str) -> Client {
        Client {
            base: base.to_string(),
            cacert: None,
        }
    }

    /// From now on, `curl` trusts `ca` (for a server started with TLS).
    pub fn set_cacert(&mut self, ca: &Path) {
        self.cacert = Some(ca.to_path_buf());
    }

    /// The URL of `path` on the server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `host:port`, for raw connections.
    pub fn addr(&self) -> &str {
        self.base.split_once("://").map_or(&self.base, |(_, a)| a)
    }

    /// `curl` with `args` + the URL of `path`: (status code, body).
    pub fn curl(&self, path: &str, args: &[&str]) -> (u16, String) {
        let (code, _, body) = self.curl_version(path, args);
        (code, body)
    }

    /// `curl` with `args` + the URL of `path`: (status code, the HTTP
    /// version curl used, body).
    pub fn curl_version(&self, path: &str, args: &[&str]) -> (u16, String, String) {
        let mut cmd = Command::new("curl");
        cmd.args(["-s", "-S", "--max-time", "20"])
            .args(["-w", "\n%{http_version} %{http_code}"]);
        if let Some(ca) = &self.cacert {
            cmd.arg("--cacert").arg(ca);
        }
        let out = cmd
            .args(args)
            .arg(self.url(path))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "curl {args:?} {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let (body, last) = text.rsplit_once('\n').expect("status line");
        let (version, code) = last.trim().split_once(' ').expect("version and code");
        (
            code.parse().expect("status code"),
            version.to_string(),
            body.to_string(),
        )
    }

    /// `POST /v1/status?issuer=ISSUER` of `serials`, one a line, which
    /// must answer 200: the JSON lines, in order.
    pub fn status_batch(&self, issuer: &str, serials: &[String]) -> Vec<Value> {
        let (code, body) = self.curl(
            &format!("/v1/status?issuer={issuer}"),
            &["--data-binary", &serials.join("\n")],
        );
        assert_eq!(code, 200, "{body}");
        body.lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    }

    /// `curl` of `path`: (status code, the body as JSON).
    pub fn get_json(&self, path: &str, args: &[&str]) -> (u16, Value) {
        let (code, body) = self.curl(path, args);
        let v = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body:?}"));
        (code, v)
    }

    /// The value of a metric line starting with `prefix` (0 if absent).
    pub fn metric(&self, prefix: &str) -> f64 {
        let (code, text) = self.curl("/metrics", &[]);
        assert_eq!(code, 200);
        text.lines()
            .find(|l| l.starts_with(prefix))
            .and_then(|l| l.rsplit(' ').next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0.0)
    }
}

/// A minimal HTTP/1.1 client on one keep-alive connection, for request
/// streams where starting a curl per request would be the bottleneck.
pub struct KeepAlive {
    reader: BufReader<std::net::TcpStream>,
    writer: std::net::TcpStream,
}

/// One HTTP/1.1 response read by [`KeepAlive`].
pub struct Reply {
    /// The status code.
    pub code: u16,
    /// (name lower-cased, value)
    pub headers: Vec<(String, String)>,
    /// The body, as framed by Content-Length.
    pub body: Vec<u8>,
}

impl Reply {
    /// The first header called `name` (lower case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 text.
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
}

impl KeepAlive {
    /// Connects to `addr` (`host:port`).
    pub fn connect(addr: &str) -> KeepAlive {
        let stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("read timeout");
        KeepAlive {
            writer: stream.try_clone().expect("clone the stream"),
            reader: BufReader::new(stream),
        }
    }

    /// (status, body) of `GET path`.
    pub fn get(&mut self, path: &str) -> (u16, String) {
        let r = self.request("GET", path, &[], &[]);
        (r.code, r.text())
    }

    /// Sends one request and reads its response (Content-Length framed, as
    /// the server and HAProxy send them).
    pub fn request(
        &mut self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Reply {
        use std::io::{Read, Write};
        // One write per request: split writes would meet Nagle and
        // delayed ACKs (40 ms a request).
        let mut req = format!("{method} {path} HTTP/1.1\r\nHost: kakunin\r\n");
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        if !body.is_empty() {
            req.push_str(&format!("Content-Length: {}\r\n", body.len()));
        }
        req.push_str("\r\n");
        let mut bytes = req.into_bytes();
        bytes.extend_from_slice(body);
        self.writer.write_all(&bytes).expect("send");
        let mut line = String::new();
        self.reader.read_line(&mut line).expect("status line");
        let code: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or_else(|| panic!("status line {line:?}"));
        let mut headers = Vec::new();
        loop {
            line.clear();
            self.reader.read_line(&mut line).expect("header");
            let h = line.trim_end();
            if h.is_empty() {
                break;
            }
            if let Some((k, v)) = h.split_once(':') {
                headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
            }
        }
        let mut reply = Reply {
            code,
            headers,
            body: Vec::new(),
        };
        assert_eq!(reply.header("transfer-encoding"), None, "chunked reply");
        // HEAD and 304 answers announce a length but carry no body.
        let len: usize = match reply.header("content-length") {
            _ if method == "HEAD" || code == 304 => 0,
            None => 0,
            Some(v) => v.parse().expect("content-length"),
        };
        reply.body = vec![0u8; len];
        self.reader.read_exact(&mut reply.body).expect("body");
        reply
    }
}

/// Connects to `addr`, sends `bytes` and nothing more: the server must
/// close the connection within 10 s, and not before `not_before`.
pub fn assert_cut_off(addr: &str, bytes: &[u8], not_before: Duration, what: &str) {
    use std::io::Write;
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream.write_all(bytes).expect("send");
    let started = Instant::now();
    assert!(
        read_until_closed(&mut stream, Duration::from_secs(10)).is_some(),
        "{what}: not cut off"
    );
    let after = started.elapsed();
    assert!(after >= not_before, "{what}: cut off after {after:?}");
}

/// Reads until the server closes the connection (bounded); the bytes read.
pub fn read_until_closed(stream: &mut std::net::TcpStream, within: Duration) -> Option<Vec<u8>> {
    use std::io::Read;
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .expect("read timeout");
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return Some(got), // reset counts as closed
        }
    }
    None
}
