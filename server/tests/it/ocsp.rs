//! The OCSP responder against real clients on loopback: the `openssl
//! ocsp` client (POST, SHA-1 and SHA-256 CertIDs, with and without a
//! nonce, several CertIDs in one request), `curl` for GET in the spellings
//! real clients use, and Python `cryptography` as a second, independent
//! request builder and response parser (ocsp_client.py beside this file).
//! The truth is data/expected.jsonl and the server's own JSON status
//! answer. Every wait is bounded.

use std::path::{Path, PathBuf};
use std::process::Command;

use kakunin_engine::Timestamp;
use kakunin_gen::Options;
use kakunin_testkit::http::sample_str as s_data;
use kakunin_testkit::ocsp::{
    b64, curl_bin, expected, header, openssl_check_response, openssl_ocsp, openssl_ocsp_status,
    openssl_request, openssl_status,
};
use kakunin_testkit::path_str as s;
use serde_json::Value;

use kakunin_server::{Config, OcspConfig, ReloadConfig, SignerSpec};

use crate::common::{config, data, gen, need_curl, sample, sample_config, Served};

/// `2025-03-24T00:23:41Z` as openssl prints it: `Mar 24 00:23:41 2025 GMT`.
fn openssl_time(rfc3339: &str) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let (date, time) = rfc3339.trim_end_matches('Z').split_once('T').expect("time");
    let mut d = date.split('-');
    let (y, m, day) = (d.next().unwrap(), d.next().unwrap(), d.next().unwrap());
    let m: usize = m.parse().unwrap();
    let day: u32 = day.parse().unwrap();
    format!("{} {day:>2} {time} {y} GMT", MONTHS[m - 1])
}

struct Case {
    kind: &'static str,
    holder: u64,
    ca: PathBuf,
}

fn cases() -> Vec<Case> {
    vec![
        // good, revoked (keyCompromise), revoked (superseded), both CAs.
        Case {
            kind: "sign",
            holder: 1,
            ca: data("sign-ca.pem"),
        },
        Case {
            kind: "sign",
            holder: 2,
            ca: data("sign-ca.pem"),
        },
        Case {
            kind: "sign",
            holder: 6,
            ca: data("sign-ca.pem"),
        },
        Case {
            kind: "auth",
            holder: 2,
            ca: data("auth-ca.pem"),
        },
    ]
}

#[test]
fn serve_ocsp_openssl_client_gets_good_and_revoked_and_the_response_verifies() {
    if !need_curl() {
        return;
    }
    let srv = sample();
    let url = srv.url("/ocsp");
    for case in cases() {
        let e = expected(case.kind, case.holder);
        let serial = e["serial"].as_str().unwrap();
        let status = if e["status"] == "revoked" {
            "revoked"
        } else {
            "good"
        };
        let cert = data(&format!("holders/{}/{}.pem", case.holder, case.kind));
        let serial_arg = format!("0x{serial}");
        for sha256 in [false, true] {
            for nonce in [true, false] {
                for by_cert in [false, true] {
                    let mut args: Vec<&str> = vec![];
                    if sha256 {
                        args.push("-sha256");
                    }
                    args.extend(["-issuer", s(&case.ca)]);
                    if by_cert {
                        args.extend(["-cert", s(&cert)]);
                    } else {
                        args.extend(["-serial", &serial_arg]);
                    }
                    args.extend(["-url", &url, "-resp_text"]);
                    // Trust the CA (the delegated responder chains to it), or
                    // name the responder certificates directly.
                    if by_cert {
                        args.extend(["-VAfile", s_data("ocsp.pem")]);
                    } else {
                        args.extend(["-CAfile", s(&case.ca)]);
                    }
                    if !nonce {
                        args.push("-no_nonce");
                    }
                    let out = openssl_ocsp(&args);
                    let what = format!("{} holder {} {args:?}: {out}", case.kind, case.holder);
                    assert!(out.contains("Response verify OK"), "{what}");
                    let label = if by_cert {
                        s(&cert).to_string()
                    } else {
                        serial_arg.clone()
                    };
                    assert!(out.contains(&format!("{label}: {status}")), "{what}");
                    let alg = if sha256 { "sha256" } else { "sha1" };
                    assert!(out.contains(&format!("Hash Algorithm: {alg}")), "{what}");
                    assert!(out.contains(&format!("Serial Number: {serial}")), "{what}");
                    assert_eq!(out.contains("OCSP Nonce"), nonce, "{what}");
                    assert!(
                        !out.contains("WARNING: no nonce in response") || !nonce,
                        "{what}"
                    );
                    if status == "revoked" {
                        let reason = e["reason"].as_str().unwrap();
                        let at = openssl_time(e["revoked_at"].as_str().unwrap());
                        assert!(out.contains(&format!("Reason: {reason}")), "{what}");
                        assert!(out.contains(&format!("Revocation Time: {at}")), "{what}");
                    }
                }
            }
        }
    }

    // Several CertIDs in one request, one signed response.
    let good = expected("sign", 1)["serial"].as_str().unwrap().to_string();
    let bad = expected("sign", 2)["serial"].as_str().unwrap().to_string();
    let signatures = srv.metric("kakunin_ocsp_signatures_total");
    let (g, b) = (format!("0x{good}"), format!("0x{bad}"));
    let ca = data("sign-ca.pem");
    let out = openssl_ocsp(&[
        "-issuer",
        s(&ca),
        "-serial",
        &g,
        "-serial",
        &b,
        "-url",
        &url,
        "-CAfile",
        s(&ca),
    ]);
    assert!(out.contains("Response verify OK"), "{out}");
    assert!(out.contains(&format!("{g}: good")), "{out}");
    assert!(out.contains(&format!("{b}: revoked")), "{out}");
    assert_eq!(
        srv.metric("kakunin_ocsp_signatures_total"),
        signatures + 1.0
    );

    // An issuer we do not serve (a holder certificate posing as one).
    let (ok, out) = openssl_ocsp_status(&[
        "-issuer",
        s_data("holders/1/sign.pem"),
        "-serial",
        "0x01",
        "-url",
        &url,
    ]);
    assert!(
        !ok && out.contains("Responder Error: unauthorized (6)"),
        "{out}"
    );

    // GET with curl in the spellings real clients send; openssl checks the
    // answer.
    for sha256 in [false, true] {
        for case in cases() {
            let serial = expected(case.kind, case.holder)["serial"]
                .as_str()
                .unwrap()
                .to_string();
            let der = openssl_request(&case.ca, &serial, sha256);
            let std = b64(&der);
            let escaped = std
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D");
            let url_safe = std.replace('+', "-").replace('/', "_").replace('=', "");
            for path in [
                format!("/ocsp/{std}"),
                format!("/ocsp/{escaped}"),
                format!("/ocsp//{std}"),
                format!("/ocsp/{url_safe}"),
                format!("/ocsp/{}", std.replace('+', "%20")),
            ] {
                let (code, headers, body) = curl_bin(&srv.url(&path), &[]);
                assert_eq!(code, 200, "{path}");
                assert_eq!(
                    header(&headers, "content-type"),
                    Some("application/ocsp-response")
                );
                let out = openssl_check_response(&body, &case.ca, &serial, sha256);
                assert!(out.contains("Response verify OK"), "{path}: {out}");
                let e = expected(case.kind, case.holder);
                let status = if e["status"] == "revoked" {
                    "revoked"
                } else {
                    "good"
                };
                assert!(
                    out.contains(&format!("0x{serial}: {status}")),
                    "{path}: {out}"
                );
            }
        }
    }
}

fn python_client(args: Value) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/ocsp_client.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(args.to_string())
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "ocsp_client.py {args}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON from ocsp_client.py")
}

/// `keyCompromise` → `key_compromise` (cryptography's enum names).
fn snake(reason: &str) -> String {
    let mut out = String::new();
    for c in reason.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn serve_ocsp_python_cryptography_agrees_on_every_field_and_cache_nonce_errors_behave() {
    if !need_curl() || !kakunin_testkit::python_has("cryptography.x509.ocsp") {
        return;
    }
    let srv = sample();
    let url = srv.url("/ocsp");
    for case in cases() {
        let e = expected(case.kind, case.holder);
        let serial = e["serial"].as_str().unwrap();
        let (_, status_json) = srv.curl(&format!("/v1/status/{}/{serial}", case.kind), &[]);
        let st: Value = serde_json::from_str(&status_json).expect("status JSON");
        for hash in ["sha1", "sha256"] {
            for method in ["post", "get"] {
                for nonce in [Value::Null, Value::from("00ff10a5c3")] {
                    let args = serde_json::json!({
                        "url": url, "issuer": s(&case.ca), "serial": serial,
                        "hash": hash, "nonce": nonce, "method": method,
                    });
                    let r = python_client(args.clone());
                    let what = format!("{args}: {r}");
                    assert_eq!(r["response_status"], "SUCCESSFUL", "{what}");
                    assert_eq!(r["content_type"], "application/ocsp-response", "{what}");
                    assert_eq!(r["responses"], 1, "{what}");
                    let want = if e["status"] == "revoked" {
                        "REVOKED"
                    } else {
                        "GOOD"
                    };
                    assert_eq!(r["certificate_status"], want, "{what}");
                    assert_eq!(st["status"], want.to_lowercase(), "{what}");
                    assert_eq!(r["revocation_time"], e["revoked_at"], "{what}");
                    assert_eq!(r["revocation_time"], st["revoked_at"], "{what}");
                    let reason = e["reason"].as_str().map(snake);
                    assert_eq!(r["revocation_reason"].as_str(), reason.as_deref(), "{what}");
                    assert_eq!(r["this_update"], st["this_update"], "{what}");
                    assert_eq!(r["next_update"], st["next_update"], "{what}");
                    assert_eq!(r["serial"], serial, "{what}");
                    assert_eq!(r["hash_algorithm"], hash, "{what}");
                    for flag in [
                        "issuer_name_hash_matches",
                        "issuer_key_hash_matches",
                        "responder_key_hash_matches",
                        "signature_ok",
                        "responder_issued_by_ca",
                        "responder_is_ocsp_signer",
                    ] {
                        assert_eq!(r[flag], true, "{flag}: {what}");
                    }
                    assert_eq!(r["responder_name"], Value::Null, "byKey: {what}");
                    assert_eq!(r["signature_algorithm"], "sha256", "{what}");
                    assert_eq!(r["certificates"], 1, "{what}");
                    assert_eq!(r["nonce"], nonce, "nonce echo: {what}");
                    if nonce.is_null() {
                        let cc = r["cache_control"].as_str().unwrap_or("");
                        assert!(
                            cc.starts_with("max-age=")
                                && cc.ends_with(", public, no-transform, must-revalidate"),
                            "{what}"
                        );
                        assert_eq!(
                            r["last_modified"], "Sun, 01 Nov 2026 00:00:00 GMT",
                            "{what}"
                        );
                        assert!(r["etag"].is_string(), "{what}");
                        assert!(r["expires"].is_string(), "{what}");
                    } else {
                        assert_eq!(r["cache_control"], "no-cache", "{what}");
                    }
                }
            }
        }
    }

    // Nonces outside RFC 9654's 1..=128 octets are malformedRequest.
    for n in [129usize, 200] {
        let r = python_client(serde_json::json!({
            "url": url, "issuer": s_data("sign-ca.pem"), "serial": "01",
            "hash": "sha1", "nonce": "ab".repeat(n), "method": "post",
        }));
        assert_eq!(r["response_status"], "MALFORMED_REQUEST", "{n}: {r}");
        assert_eq!(r["cache_control"], "no-cache");
    }

    // Cache: a repeated nonce-less GET costs no signature; If-None-Match
    // with the ETag gets 304.
    let serial = expected("sign", 3)["serial"].as_str().unwrap().to_string();
    let der = openssl_request(&data("sign-ca.pem"), &serial, false);
    let get = srv.url(&format!("/ocsp/{}", b64(&der)));
    let sig0 = srv.metric("kakunin_ocsp_signatures_total");
    let hits0 = srv.metric("kakunin_ocsp_cache_hits_total");
    let (code, h1, body1) = curl_bin(&get, &[]);
    assert_eq!(code, 200);
    assert_eq!(srv.metric("kakunin_ocsp_signatures_total"), sig0 + 1.0);
    let (code, h2, body2) = curl_bin(&get, &[]);
    assert_eq!(code, 200);
    assert_eq!(body1, body2, "the cached response is the same bytes");
    assert_eq!(srv.metric("kakunin_ocsp_signatures_total"), sig0 + 1.0);
    assert_eq!(srv.metric("kakunin_ocsp_cache_hits_total"), hits0 + 1.0);
    let etag = header(&h1, "etag").expect("etag").to_string();
    assert_eq!(header(&h2, "etag"), Some(etag.as_str()));
    let inm = format!("If-None-Match: {etag}");
    let (code, _, body) = curl_bin(&get, &["-H", &inm]);
    assert_eq!(code, 304);
    assert!(body.is_empty());
    let out = openssl_check_response(&body1, &data("sign-ca.pem"), &serial, false);
    assert!(
        out.contains("Response verify OK") && out.contains(": good"),
        "{out}"
    );

    // Garbage: malformedRequest, by POST and by GET; unauthorized by GET.
    const MALFORMED: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x01];
    const UNAUTHORIZED: &[u8] = &[0x30, 0x03, 0x0a, 0x01, 0x06];
    for (path, args) in [
        ("/ocsp", vec!["--data-binary", "garbage"]),
        ("/ocsp", vec!["--data-binary", "@/dev/null"]),
        ("/ocsp/%%%", vec![]),
        ("/ocsp/bm90IGFuIE9DU1AgcmVxdWVzdA", vec![]),
    ] {
        let (code, h, body) = curl_bin(&srv.url(path), &args);
        assert_eq!((code, body.as_slice()), (200, MALFORMED), "{path} {args:?}");
        assert_eq!(header(&h, "cache-control"), Some("no-cache"), "{path}");
    }
    let der = openssl_request(&data("holders/1/sign.pem"), "01", true);
    let (code, h, body) = curl_bin(&srv.url(&format!("/ocsp/{}", b64(&der))), &[]);
    assert_eq!((code, body.as_slice()), (200, UNAUTHORIZED));
    assert_eq!(header(&h, "cache-control"), Some("no-cache"));
    // The wrong method is an HTTP error, not an OCSP one.
    let (code, _, _) = curl_bin(&srv.url("/ocsp"), &[]);
    assert_eq!(code, 405);
    // Still serving.
    let (code, _, _) = curl_bin(&get, &[]);
    assert_eq!(code, 200);
}

/// A served issuer whose only CRL is past its nextUpdate: the CRL is
/// refused at load, `/readyz` fails, and OCSP answers `unknown` for a good
/// and a revoked serial alike — never `good`, and never a `revoked` that no
/// current CRL backs.
/// `date -u` `offset` from now as `YYYYMMDDHHMMSSZ` (openssl ca's form).
fn utc_from_now(offset: &str) -> String {
    let out = Command::new("date")
        .args(["-u", "-d", offset, "+%Y%m%d%H%M%SZ"])
        .output()
        .expect("run date");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// A delegated responder certificate that expires while the server runs:
/// answers turn `internalError` (never a response signed under an expired
/// certificate, which every client would reject anyway), and `/readyz`
/// names the signer.
#[test]
fn serve_ocsp_stops_signing_when_the_responder_certificate_expires() {
    if !need_curl() {
        return;
    }
    let dir = kakunin_testkit::tempdir();
    let mut lab = kakunin_testkit::Lab::new(
        dir.path(),
        "[ocsp]\nkeyUsage = critical, digitalSignature\nextendedKeyUsage = OCSPSigning\n\
         subjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid:always\n",
    );
    let ca = lab.root("/C=JP/O=Test/CN=Expiry Root", "root");
    let key = lab.key();
    let responder = lab.issue_between(
        &ca,
        "/C=JP/O=Test/CN=Short-lived Responder",
        &key,
        "ocsp",
        &utc_from_now("-1 hour"),
        &utc_from_now("+20 seconds"),
    );
    let expires = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let crls = dir.path().join("crls");
    std::fs::create_dir(&crls).expect("mkdir");
    let crl = ca.gencrl(&dir.path().join("crl.pem"), &[]);
    std::fs::copy(&crl, crls.join("root.crl")).expect("copy CRL");
    // --trust CA --crl-dir CRLS --ocsp-signer RESPONDER --ocsp-key KEY
    let srv = Served::start(Config {
        trust: vec![ca.cert.clone()],
        crl_dir: crls.clone(),
        reload: ReloadConfig::default(),
        ocsp: OcspConfig {
            signers: vec![SignerSpec {
                cert: responder.clone(),
                key: key.clone(),
            }],
            ..OcspConfig::default()
        },
        ..config(&crls)
    });
    let url = srv.url("/ocsp");
    let ask = || {
        openssl_ocsp_status(&[
            "-issuer",
            s(&ca.cert),
            "-serial",
            "0x4321",
            "-url",
            &url,
            "-CAfile",
            s(&ca.cert),
        ])
        .1
    };
    let before = ask();
    assert!(before.contains("0x4321: good"), "{before}");
    assert_eq!(srv.curl("/readyz", &[]).0, 200);

    let left = expires.saturating_duration_since(std::time::Instant::now());
    std::thread::sleep(left + std::time::Duration::from_millis(1500));
    let after = ask();
    assert!(after.to_lowercase().contains("internalerror"), "{after}");
    assert!(!after.contains(": good"), "{after}");
    let (code, body) = srv.curl("/readyz", &[]);
    assert_eq!(code, 503, "{body}");
    assert!(
        body.contains("Short-lived Responder") && body.contains("expired"),
        "{body}"
    );
}

/// Signing is bounded and sheds load: with one signature at a time and no
/// cache, a burst of 64 parallel nonce requests (curl `--parallel`) gets
/// some `tryLater` (the 5-byte `30 03 0a 01 03`) and the rest signed
/// `successful` answers, every one with HTTP 200; the metrics count
/// exactly the `tryLater`s seen, and the server answers normally after.
#[test]
fn serve_ocsp_sheds_load_with_try_later_when_signing_is_saturated() {
    if !need_curl() {
        return;
    }
    // The sample with --ocsp-max-signing 1 --ocsp-cache 0.
    let mut config = sample_config();
    config.ocsp.max_concurrent_signatures = 1;
    config.ocsp.cache_entries = 0;
    let srv = Served::start(config);
    let dir = kakunin_testkit::tempdir();
    let req = dir.path().join("req.der");
    let good = expected("sign", 1)["serial"]
        .as_str()
        .expect("serial")
        .to_string();
    openssl_ocsp(&[
        "-issuer",
        s(&data("sign-ca.pem")),
        "-serial",
        &format!("0x{good}"),
        "-reqout",
        s(&req),
    ]);
    const TRY_LATER: [u8; 5] = [0x30, 0x03, 0x0a, 0x01, 0x03];
    let (mut try_later, mut successful) = (0, 0);
    for round in 0..20 {
        let out_dir = dir.path().join(format!("round{round}"));
        std::fs::create_dir(&out_dir).expect("mkdir");
        let out = Command::new("curl")
            .args(["-s", "-S", "--max-time", "30", "-Z", "--parallel-immediate"])
            .args([
                "--parallel-max",
                "64",
                "-H",
                "Content-Type: application/ocsp-request",
            ])
            .args(["--data-binary", &format!("@{}", s(&req))])
            .args(["-w", "%{http_code}\n", "-o", &format!("{}/#1", s(&out_dir))])
            .arg(format!("{}?n=[1-64]", srv.url("/ocsp")))
            .output()
            .expect("run curl");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let codes = String::from_utf8_lossy(&out.stdout);
        assert_eq!(codes.lines().count(), 64, "{codes}");
        assert!(codes.lines().all(|c| c == "200"), "{codes}");
        for n in 1..=64 {
            let der = std::fs::read(out_dir.join(n.to_string())).expect("response");
            if der == TRY_LATER {
                try_later += 1;
            } else {
                // responseStatus successful, right after the outer header.
                let at = if der[1] & 0x80 != 0 {
                    2 + (der[1] & 0x7f) as usize
                } else {
                    2
                };
                assert_eq!(
                    &der[at..at + 3],
                    [0x0a, 0x01, 0x00],
                    "response {n}: {der:02x?}"
                );
                successful += 1;
            }
        }
        if try_later > 0 && successful > 0 {
            break;
        }
    }
    assert!(
        try_later > 0,
        "no tryLater in 20 bursts of 64 with one signer slot"
    );
    assert!(successful > 0, "nothing was signed");
    assert_eq!(
        srv.metric("kakunin_ocsp_responses_total{status=\"tryLater\"}"),
        try_later as f64
    );
    let answer = openssl_ocsp(&[
        "-issuer",
        s(&data("sign-ca.pem")),
        "-serial",
        &format!("0x{good}"),
        "-url",
        &srv.url("/ocsp"),
        "-CAfile",
        s(&data("sign-ca.pem")),
    ]);
    assert!(answer.contains(": good"), "{answer}");
}

#[test]
fn serve_ocsp_answers_unknown_when_the_only_crl_is_stale() {
    if !need_curl() {
        return;
    }
    let pki = kakunin_testkit::tempdir();
    gen(
        pki.path(),
        &Options::new(Timestamp::parse_rfc3339("2025-01-01T00:00:00Z").expect("time"))
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
    let srv = Served::start(Config {
        trust: vec![sign_ca.clone(), auth_ca],
        reload: ReloadConfig::default(),
        ocsp: OcspConfig {
            signers: vec![SignerSpec { cert: ocsp, key }],
            ..Default::default()
        },
        ..config(crls.path())
    });
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
