//! Card login and certificate verification through `kakunin serve`, with
//! OpenSSL as the card: `openssl dgst -sha256 -sign` over the login
//! message as docs/serve.md documents it, built here from its parts with
//! `openssl dgst -binary` (not with the server's own function), posted by
//! curl. A fresh `kakunin gen` PKI (dated today) keeps the certificates
//! valid whenever the test runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine as _;
use kakunin_gen::Options;
use serde_json::{json, Value};

use crate::common::{json_lines, kakunin};
use crate::serve::{data, need_curl, s, Served};

pub(crate) const ORIGIN: &str = "https://login.example.jp";

/// A PKI dated today: holder 1 valid, holder 2 revoked, holder 3 valid.
pub(crate) fn pki() -> &'static Path {
    static PKI: OnceLock<tempfile::TempDir> = OnceLock::new();
    PKI.get_or_init(|| {
        let dir = kakunin_testkit::tempdir();
        crate::common::gen(
            dir.path(),
            &Options::new(crate::common::start_of_today())
                .revoked(10)
                .certs(10)
                .holders(3),
        );
        dir
    })
    .path()
}

pub(crate) fn p(name: &str) -> PathBuf {
    pki().join(name)
}

/// What `kakunin gen` recorded for the authentication certificate of `holder`.
pub(crate) fn expected_auth(holder: u64) -> Value {
    let text = std::fs::read_to_string(p("expected.jsonl")).expect("expected.jsonl");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["kind"] == "auth" && e["holder"] == holder)
        .unwrap_or_else(|| panic!("holder {holder} in expected.jsonl"))
}

fn serve(extra: &[&str]) -> Served {
    let mut args = vec![
        "--listen".to_string(),
        "127.0.0.1:0".into(),
        "--trust".into(),
        s(&p("sign-ca.pem")).into(),
        "--trust".into(),
        s(&p("auth-ca.pem")).into(),
        "--crl-dir".into(),
        s(pki()).into(),
        "--origin".into(),
        ORIGIN.into(),
    ];
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Served::start_with_env(&args, &[])
}

fn sha256_openssl(bytes: &[u8]) -> Vec<u8> {
    let dir = kakunin_testkit::tempdir();
    let f = dir.path().join("in");
    std::fs::write(&f, bytes).expect("write");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-binary", s(&f)])
        .output()
        .expect("run openssl dgst");
    assert!(out.status.success());
    out.stdout
}

/// The card's part: `openssl dgst -sha256 -sign KEY` over
/// "kakunin-login-v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(challenge).
pub(crate) fn card_sign(key: &Path, origin: &str, challenge: &str) -> String {
    let mut message = b"kakunin-login-v1\0".to_vec();
    message.extend(sha256_openssl(origin.as_bytes()));
    message.extend(sha256_openssl(challenge.as_bytes()));
    assert_eq!(message.len(), 81);
    let dir = kakunin_testkit::tempdir();
    let m = dir.path().join("message");
    std::fs::write(&m, &message).expect("write");
    let out = Command::new("openssl")
        .args(["dgst", "-sha256", "-sign", s(key), s(&m)])
        .output()
        .expect("run openssl dgst -sign");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

fn new_challenge(srv: &Served) -> String {
    let (code, body) = srv.curl("/v1/challenge", &[]);
    assert_eq!(code, 200, "{body}");
    let v: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(v["origins"], json!([ORIGIN]));
    let c = v["challenge"].as_str().expect("challenge").to_string();
    assert_eq!(v["authenticate"], format!("/v1/authenticate?challenge={c}"));
    c
}

/// Posts a login; (HTTP status, answer).
fn post_login(srv: &Served, challenge: &str, origin: &str, cert: &Path, sig: &str) -> (u16, Value) {
    let cert = std::fs::read_to_string(cert).expect("certificate");
    let body = json!({"origin": origin, "cert": cert, "signature": sig}).to_string();
    let (code, text) = srv.curl(
        &format!("/v1/authenticate?challenge={challenge}"),
        &["--data-binary", &body],
    );
    let v = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (code, v)
}

fn refused(v: &Value, status: &str, needle: &str) {
    assert_eq!(v["accepted"], false, "{v}");
    assert_eq!(v["status"], status, "{v}");
    let detail = v["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(needle), "{needle:?} not in {detail:?}");
}

#[test]
fn serve_login_accepts_a_card_signature_once_and_refuses_every_bad_one() {
    if !need_curl() {
        return;
    }
    let srv = serve(&[]);
    let (auth1, key1) = (p("holders/1/auth.pem"), p("holders/1/auth.key"));

    // Accepted, with the certificate's facts; the hash is of its DER.
    let c = new_challenge(&srv);
    let sig = card_sign(&key1, ORIGIN, &c);
    let (code, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    assert_eq!(code, 200);
    assert_eq!(v["accepted"], true, "{v}");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["detail"], Value::Null);
    let want = expected_auth(1);
    assert_eq!(v["serial"], want["serial"]);
    assert_eq!(v["not_after"], want["not_after"]);
    let out = Command::new("openssl")
        .args(["x509", "-in", s(&auth1), "-outform", "DER"])
        .output()
        .expect("openssl x509");
    assert!(out.status.success());
    assert_eq!(v["cert_sha256"], hex::encode(sha256_openssl(&out.stdout)));
    assert!(
        v["issuer"]
            .as_str()
            .unwrap()
            .contains("JPKI for user authentication"),
        "{v}"
    );
    assert!(v["subject"].as_str().unwrap().starts_with("CN="), "{v}");

    // The same request again: a replay.
    let (_, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "already used");

    // A revoked holder, with a good signature.
    let c = new_challenge(&srv);
    let sig = card_sign(&p("holders/2/auth.key"), ORIGIN, &c);
    let (_, v) = post_login(&srv, &c, ORIGIN, &p("holders/2/auth.pem"), &sig);
    refused(&v, "revoked", "revoked (keyCompromise)");
    assert_eq!(v["serial"], expected_auth(2)["serial"]);

    // Relayed from another site: the card signed the phishing origin.
    let evil = "https://login.example.jp.evil.example";
    let c = new_challenge(&srv);
    let sig = card_sign(&key1, evil, &c);
    let (_, v) = post_login(&srv, &c, evil, &auth1, &sig);
    refused(&v, "invalid", "not a relying party");
    // ... and the same signature claimed for our origin does not verify.
    let (_, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "signature does not verify");

    // Another holder's key under holder 1's certificate.
    let sig = card_sign(&p("holders/3/auth.key"), ORIGIN, &c);
    let (_, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "signature does not verify");

    // The signing certificate (and key) instead of the authentication one.
    let sig = card_sign(&p("holders/1/sign.key"), ORIGIN, &c);
    let (_, v) = post_login(&srv, &c, ORIGIN, &p("holders/1/sign.pem"), &sig);
    refused(&v, "invalid", "signing certificate");

    // None of the refusals used the challenge up.
    let sig = card_sign(&key1, ORIGIN, &c);
    let (_, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    assert_eq!(v["accepted"], true, "{v}");

    // Challenges that are not ours, or not challenges.
    let other = serve(&[]);
    let foreign = new_challenge(&other);
    let sig = card_sign(&key1, ORIGIN, &foreign);
    let (_, v) = post_login(&srv, &foreign, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "not issued by this service");
    let (_, v) = post_login(&srv, "AAAA", ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "challenge is malformed");
    let (code, text) = srv.curl("/v1/authenticate", &["--data-binary", "{}"]);
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("?challenge="), "{text}");
    let (code, text) = srv.curl(
        &format!("/v1/authenticate?challenge={c}"),
        &["--data-binary", "{"],
    );
    assert_eq!(code, 400, "{text}");

    assert_eq!(
        srv.metric("kakunin_logins_total{outcome=\"accepted\"}"),
        2.0
    );
    assert_eq!(
        srv.metric("kakunin_logins_total{outcome=\"replayed\"}"),
        1.0
    );
    assert_eq!(
        srv.metric("kakunin_logins_total{outcome=\"signature\"}"),
        2.0
    );
}

#[test]
fn serve_login_challenges_expire_and_replicas_sharing_a_key_accept_each_others() {
    if !need_curl() {
        return;
    }
    let keydir = kakunin_testkit::tempdir();
    let key = keydir.path().join("challenge.key");
    std::fs::write(&key, [0x5a; 32]).expect("write key");
    let a = serve(&["--challenge-key", s(&key), "--challenge-lifetime", "1s"]);
    let b = serve(&["--challenge-key", s(&key)]);
    let (auth1, key1) = (p("holders/1/auth.pem"), p("holders/1/auth.key"));

    // Issued by b (120 s), accepted by a; then a replay on a is refused.
    let c = new_challenge(&b);
    let sig = card_sign(&key1, ORIGIN, &c);
    let (_, v) = post_login(&a, &c, ORIGIN, &auth1, &sig);
    assert_eq!(v["accepted"], true, "{v}");
    let (_, v) = post_login(&a, &c, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "already used");

    // a's challenges live one second (up to two: expiry is rounded up to
    // the next whole second).
    let c = new_challenge(&a);
    let sig = card_sign(&key1, ORIGIN, &c);
    std::thread::sleep(Duration::from_millis(3100));
    let (_, v) = post_login(&a, &c, ORIGIN, &auth1, &sig);
    refused(&v, "invalid", "expired");

    // A key too short to be a secret is refused at start.
    std::fs::write(&key, b"short").expect("write key");
    let out = kakunin(&[
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&p("auth-ca.pem")),
        "--crl-dir",
        s(pki()),
        "--challenge-key",
        s(&key),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("at least 32"), "{err}");
}

/// `POST /v1/verify` answers with the very objects `kakunin verify` and
/// `kakunin verify-signature` print for the same inputs.
#[test]
fn serve_verify_answers_what_kakunin_verify_and_verify_signature_print() {
    if !need_curl() {
        return;
    }
    let srv = Served::start_with_env(&["--listen", "127.0.0.1:0"], &[]);
    let at = "2026-11-01T00:00:00Z";
    let files = ["sign-ca.pem", "auth-ca.pem", "sign.crl", "auth.crl"].map(data);
    let trust = [
        "--trust",
        s(&files[0]),
        "--trust",
        s(&files[1]),
        "--crl",
        s(&files[2]),
        "--crl",
        s(&files[3]),
        "--at",
        at,
    ];
    let without_input = |mut v: Value| {
        v.as_object_mut().expect("object").remove("input");
        v
    };
    for (holder, kind) in [(1, "sign"), (2, "sign"), (1, "auth"), (2, "auth")] {
        let cert = data(&format!("holders/{holder}/{kind}.pem"));
        let mut args = vec!["verify", "--facts"];
        args.extend(trust);
        args.push(s(&cert));
        let cli = json_lines(&kakunin(&args)).remove(0);
        let (code, body) = srv.curl(
            &format!("/v1/verify?facts=true&at={at}"),
            &["--data-binary", &format!("@{}", s(&cert))],
        );
        assert_eq!(code, 200, "{body}");
        let served: Value = serde_json::from_str(&body).expect("JSON");
        assert_eq!(served["input"], "request");
        assert_eq!(
            without_input(served),
            without_input(cli.clone()),
            "{kind} {holder}"
        );
        let want = if holder == 2 { "revoked" } else { "valid" };
        assert_eq!(cli["status"], want, "{cli}");
    }

    // A document signature, as JSON, against verify-signature.
    let dir = kakunin_testkit::tempdir();
    let doc = dir.path().join("doc.txt");
    std::fs::write(&doc, "契約書 2026-11-01").expect("write");
    let sig = dir.path().join("doc.sig");
    let out = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-sign",
            s(&data("holders/1/sign.key")),
            "-out",
            s(&sig),
            s(&doc),
        ])
        .output()
        .expect("openssl dgst");
    assert!(out.status.success());
    let cert = data("holders/1/sign.pem");
    let mut args = vec![
        "verify-signature",
        "--cert",
        s(&cert),
        "--sig",
        s(&sig),
        "--data",
        s(&doc),
    ];
    args.extend(trust);
    let cli = json_lines(&kakunin(&args)).remove(0);
    assert_eq!(cli["status"], "valid", "{cli}");
    let b64 =
        |p: &Path| base64::engine::general_purpose::STANDARD.encode(std::fs::read(p).unwrap());
    let body = json!({"cert": std::fs::read_to_string(&cert).unwrap(), "sig": b64(&sig), "data": b64(&doc)});
    let (code, text) = srv.curl(
        &format!("/v1/verify?at={at}"),
        &["--data-binary", &body.to_string()],
    );
    assert_eq!(code, 200, "{text}");
    let mut served: Value = serde_json::from_str(&text).expect("JSON");
    let mut cli = cli;
    for v in [&mut served, &mut cli] {
        v.as_object_mut().unwrap().remove("input");
        v["certificate"].as_object_mut().unwrap().remove("input");
    }
    assert_eq!(served, cli);

    // Not a certificate: 400 with a reason; the server keeps serving.
    let (code, text) = srv.curl("/v1/verify", &["--data-binary", "hello"]);
    assert_eq!(code, 400, "{text}");
    assert!(text.contains("neither a DER certificate"), "{text}");
    let (code, text) = srv.curl(
        "/v1/verify",
        &[
            "-H",
            "Content-Type: application/octet-stream",
            "--data-binary",
            "\u{30}\u{03}\u{01}",
        ],
    );
    assert_eq!(code, 200, "{text}");
    assert!(text.contains("\"status\":\"invalid\""), "{text}");
}
