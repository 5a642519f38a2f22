//! Login and certificate verification through the `kakunin serve`
//! process: the challenge key flag refused at start, and `POST /v1/verify`
//! against `kakunin verify`. The login itself is tested in-process in
//! server/tests/it/login.rs; the PKI dated today (`kakunin gen`) and the
//! card's signature (`kakunin_testkit::login`) serve the card and balanced
//! tests here.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use base64::Engine as _;
use kakunin_gen::Options;
use serde_json::{json, Value};

use crate::common::{json_lines, kakunin};
use crate::serve::{data, need_curl, s, Served};

pub(crate) use kakunin_testkit::login::{card_sign, expected_auth, ORIGIN};

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

/// `--challenge-key` with too short a key: refused at start, exit 2.
#[test]
fn serve_login_refuses_a_short_challenge_key_at_start() {
    let keydir = kakunin_testkit::tempdir();
    let key = keydir.path().join("challenge.key");
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
