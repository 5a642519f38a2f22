//! Card login through `Server`, with OpenSSL as the card
//! (`kakunin_testkit::login`), posted by curl. A fresh PKI dated today
//! (`kakunin_gen`, what `kakunin gen` writes) keeps the certificates valid
//! whenever the test runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use kakunin_server::{Config, LoginConfig, ReloadConfig};
use kakunin_testkit::login::{card_sign, expected_auth, sha256_openssl, ORIGIN};
use kakunin_testkit::path_str as s;
use serde_json::{json, Value};

use crate::common::{config, need_curl, today_pki as pki, Served};

fn p(name: &str) -> PathBuf {
    pki().join(name)
}

/// What `kakunin serve --listen 127.0.0.1:0 --trust sign-ca.pem --trust
/// auth-ca.pem --crl-dir PKI --origin ORIGIN` runs, with `login`'s key and
/// lifetime.
fn serve(login: LoginConfig) -> Served {
    Served::start(Config {
        trust: vec![p("sign-ca.pem"), p("auth-ca.pem")],
        reload: ReloadConfig::default(),
        login: LoginConfig {
            origins: vec![ORIGIN.to_string()],
            ..login
        },
        ..config(pki())
    })
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
    let srv = serve(LoginConfig::default());
    let (auth1, key1) = (p("holders/1/auth.pem"), p("holders/1/auth.key"));

    // Accepted, with the certificate's facts; the hash is of its DER.
    let c = new_challenge(&srv);
    let sig = card_sign(&key1, ORIGIN, &c);
    let (code, v) = post_login(&srv, &c, ORIGIN, &auth1, &sig);
    assert_eq!(code, 200);
    assert_eq!(v["accepted"], true, "{v}");
    assert_eq!(v["status"], "valid");
    assert_eq!(v["detail"], Value::Null);
    let want = expected_auth(pki(), 1);
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
    assert_eq!(v["serial"], expected_auth(pki(), 2)["serial"]);

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
    let other = serve(LoginConfig::default());
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
    let a = serve(LoginConfig {
        key_file: Some(key.clone()),
        challenge_lifetime: Duration::from_secs(1),
        ..LoginConfig::default()
    });
    let b = serve(LoginConfig {
        key_file: Some(key.clone()),
        ..LoginConfig::default()
    });
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
}
