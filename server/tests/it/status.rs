//! Status look-ups, errors and connection limits of `Server`: every
//! error code with its route's metric, readiness, and slow or idle
//! clients cut off while others are served.

use std::time::Duration;

use crate::common::{assert_cut_off, config, crl_dir, data, drop_file, need_curl, Served};

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
