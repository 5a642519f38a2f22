//! Status look-ups, errors and connection limits of `Server`: answers
//! equal to `kakunin status` (its library calls, `common::oracle`) over
//! HTTP/1.1 and HTTP/2, every error code with its route's metric,
//! readiness (and a CRL going stale under the running server), and slow or
//! idle clients cut off while others are served.

use std::time::Duration;

use kakunin_server::{Config, ReloadConfig};
use kakunin_testkit::http::{sample_serials, sample_str as s_data};
use kakunin_testkit::path_str as s;
use kakunin_testkit::OpensslCa;
use serde_json::Value;

use crate::common::{
    assert_cut_off, config, crl_dir, data, drop_file, ingest, need_curl, oracle, same_answer,
    unix_now, Served,
};

#[test]
fn bad_input_gets_the_right_codes_and_the_server_keeps_serving() {
    if !need_curl() {
        return;
    }
    // Only the signing CA's CRL: the auth issuer is configured but not ready.
    let dir = crl_dir(&["sign.crl"]);
    let mut config = config(dir.path());
    config.limits.max_body_bytes = 1024; // --max-body 1024
    let srv = Served::start(config);
    let err = |path: &str, args: &[&str]| -> (u16, String) {
        let (code, v) = srv.get_json(path, args);
        let e = v["error"]
            .as_str()
            .unwrap_or_else(|| panic!("{path}: no error code in {v}"))
            .to_string();
        assert!(v["detail"].is_string(), "{v}");
        (code, e)
    };
    assert_eq!(err("/v1/status/sign/xyz", &[]), (400, "bad_serial".into()));
    assert_eq!(
        err(
            "/v1/status/sign/12345678901234567890123456789012345678901234567890123456789012345678",
            &[]
        ),
        (400, "bad_serial".into())
    );
    assert_eq!(
        err("/v1/status/nope/01", &[]),
        (404, "unknown_issuer".into())
    );
    assert_eq!(
        err("/v1/status/00ff/01", &["--http2-prior-knowledge"]),
        (404, "unknown_issuer".into())
    );
    assert_eq!(err("/nope", &[]), (404, "not_found".into()));
    assert_eq!(
        err("/v1/status/sign/01/extra", &[]),
        (404, "not_found".into())
    );
    assert_eq!(
        err("/v1/status/sign/01", &["-X", "POST"]),
        (405, "method_not_allowed".into())
    );
    assert_eq!(err("/v1/status", &[]), (405, "method_not_allowed".into()));
    assert_eq!(
        err("/metrics", &["-X", "DELETE"]),
        (405, "method_not_allowed".into())
    );
    let big = "01\n".repeat(1000);
    assert_eq!(
        err("/v1/status?issuer=sign", &["--data-binary", &big]),
        (413, "body_too_large".into())
    );
    assert_eq!(
        err(
            "/v1/status?issuer=sign",
            &["--http2-prior-knowledge", "--data-binary", &big]
        ),
        (413, "body_too_large".into())
    );
    assert_eq!(
        err("/v1/status?issuer=sign", &["--data-binary", "01\nzz\n"]),
        (400, "bad_serial".into())
    );
    assert_eq!(
        err("/v1/status", &["--data-binary", "01\n"]),
        (400, "bad_request".into())
    );
    assert_eq!(
        err("/v1/status?issuer=sign", &["--data-binary", "[1, 2]"]),
        (400, "bad_request".into())
    );
    assert_eq!(
        err("/v1/status?issuer=sign", &["--data-binary", "nope 01"]),
        (404, "unknown_issuer".into())
    );
    // Not ready: the auth CA has no CRL, and its answers are unknown.
    assert_eq!(err("/readyz", &[]), (503, "not_ready".into()));
    let (code, a) = srv.get_json("/v1/status/auth/01", &[]);
    assert_eq!((code, a["status"].as_str()), (200, Some("unknown")));
    assert_eq!(a["detail"], "no CRL loaded for this issuer");

    // Still serving, and the metrics counted each answer by status.
    let (code, a) = srv.get_json("/v1/status/sign/1D1534354987EBB1", &[]);
    assert_eq!((code, a["status"].as_str()), (200, Some("revoked")));
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"status\",status=\"400\"}"),
        2.0
    );
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"unmatched\",status=\"404\"}"),
        2.0
    );
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"status_batch\",status=\"413\"}"),
        2.0
    );
    let sign_id = a["issuer"].as_str().unwrap().to_string();
    let auth_id = srv.get_json("/v1/status/auth/01", &[]).1["issuer"]
        .as_str()
        .unwrap()
        .to_string();
    let labels = |id: &str, alias: &str| format!("{{issuer=\"{id}\",alias=\"{alias}\"}}");
    assert_eq!(
        srv.metric(&format!("kakunin_crl_loaded{} ", labels(&sign_id, "sign"))),
        1.0
    );
    assert_eq!(
        srv.metric(&format!("kakunin_crl_loaded{} ", labels(&auth_id, "auth"))),
        0.0
    );
    assert_eq!(
        srv.metric(&format!("kakunin_crl_entries{} ", labels(&sign_id, "sign"))),
        1000.0
    );
    assert!(
        srv.metric(&format!(
            "kakunin_crl_next_update_seconds{} ",
            labels(&sign_id, "sign")
        )) > 0.0
    );
    assert!(
        srv.metric(&format!(
            "kakunin_crl_age_seconds{} ",
            labels(&sign_id, "sign")
        )) > 0.0
    );

    // auth's CRL arrives: ready.
    drop_file(
        dir.path(),
        "auth.crl",
        &std::fs::read(data("auth.crl")).unwrap(),
    );
    srv.wait_for("readiness", || srv.curl("/readyz", &[]).0 == 200);
}

#[test]
fn slow_and_idle_clients_are_cut_off_and_others_still_served() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let mut config = config(dir.path());
    // --header-timeout 1s --idle-timeout 1s
    config.limits.header_read_timeout = Duration::from_secs(1);
    config.limits.idle_timeout = Duration::from_secs(1);
    let srv = Served::start(config);
    // A slowloris: half a request header, then nothing.
    assert_cut_off(
        srv.addr(),
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
        Duration::from_millis(900),
        "a slow header",
    );
    // An idle HTTP/2 connection (preface and nothing else) is closed too.
    assert_cut_off(
        srv.addr(),
        b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
        Duration::ZERO,
        "an idle HTTP/2 connection",
    );
    // Meanwhile and afterwards, others are served.
    assert_eq!(
        srv.curl("/v1/status/sign/01", &["--http2-prior-knowledge"])
            .0,
        200
    );
    assert_eq!(
        srv.metric("kakunin_open_connections "),
        1.0,
        "only the metrics request itself"
    );
}

#[test]
fn status_answers_equal_kakunin_status_over_http1_and_http2() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let srv = Served::start(config(dir.path()));
    let work = kakunin_testkit::tempdir();
    let sign_idx = work.path().join("sign.idx");
    ingest(&data("sign.crl"), &data("sign-ca.pem"), &sign_idx);
    let serials = sample_serials("sign");
    let want = oracle(&sign_idx, &serials);
    assert!(want.iter().any(|w| w["status"] == "revoked"));
    assert!(want.iter().any(|w| w["status"] == "good"));

    // The key id and the SPKI hash name the same issuer as the alias.
    let key_id = want[0]["issuer"].as_str().unwrap().to_string();
    let spki = {
        let pubkey =
            kakunin_testkit::openssl(&["x509", "-in", s_data("sign-ca.pem"), "-noout", "-pubkey"]);
        let p = work.path().join("pub.pem");
        std::fs::write(&p, pubkey).unwrap();
        let der = kakunin_testkit::openssl(&["pkey", "-pubin", "-in", s(&p), "-outform", "DER"]);
        let d = openssl_sha256(&der);
        hex_lower(&d)
    };
    for (i, (serial, w)) in serials.iter().zip(&want).enumerate() {
        let issuer = ["sign", key_id.as_str(), spki.as_str()][i % 3];
        let http = if i % 2 == 0 {
            "--http1.1"
        } else {
            "--http2-prior-knowledge"
        };
        let (code, got) = srv.get_json(&format!("/v1/status/{issuer}/{serial}"), &[http]);
        assert_eq!(code, 200, "{serial}");
        same_answer(&got, w);
    }
    // Lower case, leading zeros and 0x are the same serial.
    let (_, a) = srv.get_json(
        &format!("/v1/status/SIGN/0x00{}", serials[1].to_lowercase()),
        &[],
    );
    same_answer(&a, &want[1]);

    // Many serials in one request: lines in, JSON Lines out, in order.
    let lines = serials.join("\n");
    for http in ["--http1.1", "--http2-prior-knowledge"] {
        let (code, body) = srv.curl("/v1/status?issuer=sign", &[http, "--data-binary", &lines]);
        assert_eq!(code, 200);
        let got: Vec<Value> = body
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(got, want);
    }
    // A JSON array, items naming their own issuer.
    let items: Vec<Value> = serials
        .iter()
        .map(|s| serde_json::json!({"issuer": key_id, "serial": s}))
        .collect();
    let (code, body) = srv.curl(
        "/v1/status",
        &[
            "-H",
            "content-type: application/json",
            "--data-binary",
            &Value::Array(items).to_string(),
        ],
    );
    assert_eq!(code, 200);
    let got: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, want);

    // The auth CA answers from its own CRL.
    let auth_idx = work.path().join("auth.idx");
    ingest(&data("auth.crl"), &data("auth-ca.pem"), &auth_idx);
    let auth_serials = sample_serials("auth");
    let auth_want = oracle(&auth_idx, &auth_serials[..5]);
    for (serial, w) in auth_serials.iter().zip(&auth_want) {
        let (_, got) = srv.get_json(
            &format!("/v1/status/auth/{serial}"),
            &["--http2-prior-knowledge"],
        );
        same_answer(&got, w);
    }
    let (code, ready) = srv.get_json("/readyz", &[]);
    assert_eq!(code, 200, "{ready}");
    assert_eq!(
        srv.metric("kakunin_http_requests_total{route=\"status\",status=\"200\"}") as usize,
        serials.len() + 1 + 5
    );
}

/// SHA-256 by `openssl dgst`: the SPKI hash comes from an independent tool.
fn openssl_sha256(data: &[u8]) -> Vec<u8> {
    let dir = kakunin_testkit::tempdir();
    let p = dir.path().join("spki.der");
    std::fs::write(&p, data).unwrap();
    kakunin_testkit::openssl(&["dgst", "-sha256", "-binary", s(&p)])
}

fn hex_lower(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A served CRL whose nextUpdate passes while the server runs (the
/// stale-at-start case is in ocsp.rs): answers turn `unknown`,
/// exactly as `kakunin status` says at the same time, `/readyz` fails
/// naming the issuer, and the metrics show the age. The CRL is made by
/// `openssl ca -gencrl -crlsec` just before the server starts (making the
/// CA, the slow part, comes first).
#[test]
fn a_crl_going_stale_under_a_running_server_turns_answers_unknown_and_readiness_off() {
    if !need_curl() {
        return;
    }
    const LEAD: u64 = 10;
    let ca = OpensslCa::new();
    ca.gencrl("sign.crl", &["-crlsec", &LEAD.to_string()]);
    // nextUpdate is at most LEAD seconds after this.
    let made = unix_now();
    ingest(
        &ca.path("sign.crl"),
        &ca.path("ca.pem"),
        &ca.path("sign.idx"),
    );
    let crls = kakunin_testkit::tempdir();
    std::fs::copy(ca.path("sign.crl"), crls.path().join("sign.crl")).unwrap();
    let srv = Served::start(Config {
        trust: vec![ca.path("ca.pem")],
        reload: ReloadConfig::default(),
        ..config(crls.path())
    });
    // Revoked (keyCompromise) and good on the CRL (`OpensslCa`).
    let serials = ["01".to_string(), "0123000003".to_string()];
    let answers = || srv.status_batch("sign", &serials);
    let statuses = |a: &[Value]| a.iter().map(|v| v["status"].clone()).collect::<Vec<_>>();
    let idx = ca.path("sign.idx");
    let key = oracle(&idx, &serials[..1])[0]["issuer"]
        .as_str()
        .unwrap()
        .to_string();
    let gauge = |name: &str| srv.metric(&format!("{name}{{issuer=\"{key}\",alias=\"sign\"}} "));

    assert_eq!(statuses(&answers()), ["revoked", "good"]);
    assert_eq!(srv.curl("/readyz", &[]).0, 200);
    let left = gauge("kakunin_crl_next_update_seconds");
    assert!(left > 0.0 && left <= LEAD as f64, "{left}");

    // Past nextUpdate (bounded: LEAD + 1 s after the CRL was made).
    while unix_now() <= made + LEAD {
        std::thread::sleep(Duration::from_millis(200));
    }
    let got = answers();
    assert_eq!(statuses(&got), ["unknown", "unknown"]);
    assert_eq!(got, oracle(&idx, &serials), "server vs `kakunin status`");
    assert!(
        got[0]["detail"].as_str().unwrap().contains("stale"),
        "{got:?}"
    );
    let (code, body) = srv.curl("/readyz", &[]);
    assert_eq!(code, 503, "{body}");
    assert!(body.contains(&key) && body.contains("stale"), "{body}");
    let left = gauge("kakunin_crl_next_update_seconds");
    assert!(left < 0.0, "{left}");
    let age = gauge("kakunin_crl_age_seconds");
    assert!(age > LEAD as f64 - 1.0 && age < 120.0, "{age}");
}
