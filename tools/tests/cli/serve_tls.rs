//! `kakunin serve --tls-cert --tls-key`: HTTPS on the same port, with a
//! CA and a server certificate made by the `openssl` CLI at test time, and
//! `curl --cacert` (HTTP/1.1, and HTTP/2 by ALPN) and `openssl ocsp` as the
//! clients. Answers must equal `kakunin status` on the same CRL, exactly as
//! over plain HTTP.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::common::{kakunin, openssl_ocsp};
use kakunin_testkit::tls::TlsFiles;

use crate::serve::{
    assert_cut_off, data, ingest, need_curl, oracle, s, same_answer, sample_serials, serve_args,
    Served,
};

fn tls_args<'a>(cert: &'a Path, key: &'a Path) -> [&'a str; 4] {
    ["--tls-cert", s(cert), "--tls-key", s(key)]
}

#[test]
fn tls_answers_equal_kakunin_status_over_http1_and_http2_and_plain_http_is_refused() {
    if !need_curl() {
        return;
    }
    let work = kakunin_testkit::tempdir();
    let tls = TlsFiles::new(&work.path().join("tls"));
    let (cert, key) = (tls.path("chain.pem"), tls.path("server.key"));
    // The sample (its CRLs, and OCSP by its delegated responder), so that
    // the banner's examples are runnable.
    let mut args = vec!["--header-timeout", "1s"];
    args.extend(tls_args(&cert, &key));
    let srv =
        Served::start_with_env(&args, &[("KAKUNIN_LISTEN", "127.0.0.1:0")]).with_cacert(&tls.ca());
    assert!(srv.url("/").starts_with("https://"), "{:?}", srv.banner());

    // Every answer equals `kakunin status`, over HTTP/1.1 and over HTTP/2
    // (negotiated by ALPN: no prior knowledge over TLS).
    let sign_idx = work.path().join("sign.idx");
    ingest(&data("sign.crl"), "sign-ca.pem", &sign_idx);
    let serials = sample_serials("sign");
    let want = oracle(&sign_idx, &serials);
    assert!(want.iter().any(|w| w["status"] == "revoked"));
    for (i, (serial, w)) in serials.iter().zip(&want).enumerate() {
        let (http, version) = if i % 2 == 0 {
            ("--http1.1", "1.1")
        } else {
            ("--http2", "2")
        };
        let (code, got_version, body) =
            srv.curl_version(&format!("/v1/status/sign/{serial}"), &[http]);
        assert_eq!(
            (code, got_version.as_str()),
            (200, version),
            "{serial}: {body}"
        );
        let got: serde_json::Value = serde_json::from_str(&body).expect("JSON");
        same_answer(&got, w);
    }
    let lines = serials.join("\n");
    let (code, version, body) = srv.curl_version(
        "/v1/status?issuer=sign",
        &["--http2", "--data-binary", &lines],
    );
    assert_eq!((code, version.as_str()), (200, "2"));
    let got: Vec<serde_json::Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(got, want);

    // The banner's examples say https:// and --cacert, and work as printed.
    assert!(
        srv.banner()[0].contains("https://") && srv.banner()[0].contains("over TLS"),
        "{:?}",
        srv.banner()
    );
    srv.run_printed_curl_examples();
    // Card logins are for the server's own origin by default: https.
    let (code, challenge) = srv.get_json("/v1/challenge", &[]);
    assert_eq!(code, 200, "{challenge}");
    assert_eq!(challenge["origins"], serde_json::json!([srv.url("")]));

    // Plain HTTP to the TLS port: the client gets no HTTP answer, the
    // failure is counted, and the server keeps serving.
    let plain = Command::new("curl")
        .args([
            "-s",
            "--max-time",
            "10",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
        ])
        .arg(format!("http://{}/healthz", srv.addr()))
        .output()
        .expect("run curl");
    assert!(!plain.status.success(), "plain HTTP got an answer");
    assert_eq!(String::from_utf8_lossy(&plain.stdout), "000");
    srv.wait_for("the failed handshake to be counted", || {
        srv.metric("kakunin_tls_handshake_failures_total{reason=\"error\"}") >= 1.0
    });

    // A client that connects and never starts the handshake is cut off
    // after --header-timeout (it holds a permit of the connection cap
    // meanwhile), and counted.
    assert_cut_off(
        srv.addr(),
        b"",
        Duration::from_millis(900),
        "a silent TLS client",
    );
    // And one that sends half a ClientHello.
    assert_cut_off(
        srv.addr(),
        &[0x16, 0x03, 0x01, 0x02, 0x00, 0x01],
        Duration::from_millis(900),
        "half a ClientHello",
    );
    srv.wait_for("both timeouts to be counted", || {
        srv.metric("kakunin_tls_handshake_failures_total{reason=\"timeout\"}") >= 2.0
    });
    assert_eq!(srv.curl("/healthz", &[]).0, 200);

    // The real OCSP client over HTTPS. (openssl ocsp does not check the TLS
    // server's certificate; -CAfile is for the OCSP response, which is
    // signed by the sample's delegated responder and verified here.)
    let sign_ca = data("sign-ca.pem");
    let text = openssl_ocsp(&[
        "-issuer",
        s(&sign_ca),
        "-serial",
        "0x1D1534354987EBB1",
        "-url",
        &srv.url("/ocsp"),
        "-CAfile",
        s(&sign_ca),
    ]);
    assert!(text.contains("Response verify OK"), "{text}");
    assert!(text.contains("0x1D1534354987EBB1: revoked"), "{text}");
    assert!(srv.metric("kakunin_ocsp_signatures_total") >= 1.0);
}

#[test]
fn tls_refuses_a_key_that_is_not_the_certificates_and_half_a_configuration() {
    let work = kakunin_testkit::tempdir();
    let tls = TlsFiles::new(work.path());
    // Should a check be missing, the missing CRL directory stops the
    // server right after, instead of leaving the test waiting for it.
    let no_dir = work.path().join("no-crl-dir");
    let run = |extra: &[&str]| {
        let mut args = vec!["serve"];
        args.extend(serve_args(&no_dir, extra));
        let out = kakunin(&args);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let (cert, ca_key, key) = (
        tls.path("chain.pem"),
        tls.path("ca.key"),
        tls.path("server.key"),
    );
    let e = run(&["--tls-cert", s(&cert), "--tls-key", s(&ca_key)]);
    assert!(
        e.contains("does not match the certificate")
            && e.contains(s(&ca_key))
            && e.contains(s(&cert)),
        "{e}"
    );
    let e = run(&["--tls-cert", s(&cert)]);
    assert!(e.contains("--tls-cert needs --tls-key"), "{e}");
    let e = run(&["--tls-key", s(&key)]);
    assert!(e.contains("--tls-key needs --tls-cert"), "{e}");
    let e = run(&["--tls-cert", s(&key), "--tls-key", s(&key)]);
    assert!(
        e.contains("TLS certificate") && e.contains("no CERTIFICATE") && e.contains(s(&key)),
        "{e}"
    );
    let missing = work.path().join("missing.pem");
    let e = run(&["--tls-cert", s(&cert), "--tls-key", s(&missing)]);
    assert!(
        e.contains("missing.pem") && e.contains("cannot read"),
        "{e}"
    );
    // An encrypted key gets a hint instead of "no key".
    let enc = work.path().join("enc.key");
    kakunin_testkit::openssl(&[
        "pkey",
        "-in",
        s(&key),
        "-aes256",
        "-passout",
        "pass:x",
        "-out",
        s(&enc),
    ]);
    let e = run(&["--tls-cert", s(&cert), "--tls-key", s(&enc)]);
    assert!(e.contains("encrypted"), "{e}");
}
