//! `kakunin serve`'s OCSP responder as the process serves it: the flags
//! and the no-argument sample other tests start it with, and a stale CRL
//! from `kakunin gen`. The responder against real clients is tested
//! in-process in server/tests/it/ocsp.rs.

use kakunin_gen::Options;
use serde_json::Value;

use crate::serve::{need_curl, s, Served};
use kakunin_testkit::http::sample_str as s_data;
pub(crate) use kakunin_testkit::ocsp::{
    b64, curl_bin, expected, header, ocsp_answer, ocsp_request_nonce, openssl_check_response,
    openssl_request, openssl_request_with, openssl_status, status_as_ocsp,
};

/// The flags that make a `kakunin serve` on the sample's CAs sign OCSP
/// answers with the sample's delegated responders.
pub(crate) fn sample_signer() -> [&'static str; 4] {
    [
        "--ocsp-signer",
        s_data("ocsp.pem"),
        "--ocsp-key",
        s_data("ocsp.key"),
    ]
}

/// `kakunin serve` with no arguments but a free port: the sample PKI, OCSP
/// signed by its delegated responders.
pub(crate) fn sample() -> Served {
    Served::start_with_env(&[], &[("KAKUNIN_LISTEN", "127.0.0.1:0")])
}

#[test]
fn serve_ocsp_answers_unknown_when_the_only_crl_is_stale() {
    if !need_curl() {
        return;
    }
    let pki = kakunin_testkit::tempdir();
    crate::common::gen(
        pki.path(),
        &Options::new(crate::common::at("2025-01-01T00:00:00Z"))
            .revoked(20)
            .certs(20)
            .holders(0)
            .crl_days(1),
    );
    let crls = kakunin_testkit::tempdir();
    let p = |f: &str| pki.path().join(f);
    std::fs::copy(p("sign.crl"), crls.path().join("sign.crl")).expect("copy CRL");
    let (sign_ca, auth_ca) = (p("sign-ca.pem"), p("auth-ca.pem"));
    let (ocsp, key) = (p("ocsp.pem"), p("ocsp.key"));
    // Both CAs: ocsp.pem holds a delegated responder of each.
    let args = [
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&sign_ca),
        "--trust",
        s(&auth_ca),
        "--crl-dir",
        s(crls.path()),
        "--ocsp-signer",
        s(&ocsp),
        "--ocsp-key",
        s(&key),
    ];
    let srv = Served::start_with_env(&args, &[]);
    let (code, _) = srv.curl("/readyz", &[]);
    assert_eq!(code, 503, "no current CRL: not ready");
    let text = std::fs::read_to_string(p("expected.jsonl")).expect("expected.jsonl");
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let pick = |status: &str| -> String {
        lines
            .iter()
            .find(|e| e["kind"] == "sign" && e["status"] == status)
            .and_then(|e| e["serial"].as_str())
            .unwrap_or_else(|| panic!("a {status} signing certificate"))
            .to_string()
    };
    let url = srv.url("/ocsp");
    for serial in [pick("valid"), pick("revoked")] {
        let answer = openssl_status(&url, &sign_ca, &serial, &["-resp_text", "-no_nonce"]);
        assert_eq!(answer, "unknown", "{serial}");
    }
}
