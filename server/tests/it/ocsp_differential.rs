//! Differential test of the OCSP responder (issue 11): `Server` on data/
//! (what `kakunin serve` with no arguments serves) answers requests that
//! `openssl ocsp -reqout` builds, sent by `curl` (POST, and GET in
//! base64), and OpenSSL reads every saved response
//! (`openssl ocsp -respin FILE -resp_text -noverify`) and verifies it
//! separately, trusting the responder (`-VAfile`) and the CA (`-CAfile`).
//! Every field must agree with what kakunin itself says about the same
//! serials — `kakunin status` (its library calls, `common::oracle`) on the
//! index of the same CRL, and the JSON
//! status endpoint, which for the CRL's entries must say what `openssl crl
//! -text` reads in the CRL — and with values computed here from the
//! certificates:
//!
//! - response status; responderID (byKey: SHA-1 of the responder's key);
//!   producedAt (within the test's run); signature algorithm; the
//!   certificates included (the CA's delegated responder, byte for byte);
//! - each SingleResponse, in request order: the CertID echoed (hash
//!   algorithm, issuerNameHash, issuerKeyHash, serial), the status, the
//!   revocation time and reason, thisUpdate and nextUpdate;
//! - the nonce, echoed exactly when one was sent.
//!
//! The serials: every entry of data/sign.crl and data/auth.crl (every
//! reason they use), the good and expired certificates of
//! data/expected.jsonl, and serials never issued (zero, negative, 20
//! octets); SHA-1 and SHA-256 CertIDs, with and without a nonce, up to 200
//! CertIDs in one request. CertIDs the server does not answer for (another
//! CA generation with the same name, a certificate posing as a CA, two CAs
//! in one request) must be `unauthorized`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use der::{DecodePem, Encode};
use kakunin_testkit::{
    crl_text_entries, ocsp_text, openssl_text, openssl_time, reason_name, CrlTextEntry, OcspText,
};
use serde_json::Value;
use x509_cert::Certificate;

use kakunin_testkit::http::sample_str as s_data;
use kakunin_testkit::ocsp::{
    b64, curl_bin, expected, header, openssl_check_response, openssl_ocsp, openssl_ocsp_status,
    openssl_request,
};
use kakunin_testkit::path_str as s;

use crate::common::{data, ingest, need_curl, oracle, sample, unix_now, Served};

/// Most CertIDs per request here (the server takes 256).
const BATCH: usize = 200;

/// One served CA and what a correct response about it must carry.
struct Ca {
    kind: &'static str,
    cert: PathBuf,
    /// (issuerNameHash, issuerKeyHash) in upper-case hex, by hash name.
    hashes: HashMap<&'static str, (String, String)>,
    /// The responderID byKey: SHA-1 of the responder's subjectPublicKey.
    responder_key_hash: String,
    /// The delegated responder certificate, PEM as OpenSSL writes it.
    responder_pem: String,
}

/// `openssl dgst -<alg>` of `bytes`, upper-case hex.
fn digest(alg: &str, bytes: &[u8], dir: &Path) -> String {
    let file = dir.join("digest.in");
    std::fs::write(&file, bytes).expect("write");
    let out = openssl_text(dir, &["dgst", &format!("-{alg}"), "-r", s(&file)]);
    out.split_whitespace()
        .next()
        .expect("a digest")
        .to_ascii_uppercase()
}

/// The subjectPublicKey bits of a certificate (what RFC 6960 hashes).
fn key_bits(cert: &Certificate) -> Vec<u8> {
    cert.tbs_certificate
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec()
}

impl Ca {
    fn new(kind: &'static str, dir: &Path) -> Ca {
        let cert = data(&format!("{kind}-ca.pem"));
        let ca = Certificate::from_pem(std::fs::read(&cert).expect("CA")).expect("CA PEM");
        let subject = ca.tbs_certificate.subject.to_der().expect("subject DER");
        let hashes = ["sha1", "sha256"]
            .into_iter()
            .map(|alg| {
                let name = digest(alg, &subject, dir);
                (alg, (name, digest(alg, &key_bits(&ca), dir)))
            })
            .collect();
        // data/ocsp.pem: one delegated responder per CA.
        let bundle = std::fs::read(data("ocsp.pem")).expect("ocsp.pem");
        let responder = Certificate::load_pem_chain(&bundle)
            .expect("ocsp.pem")
            .into_iter()
            .find(|c| c.tbs_certificate.issuer == ca.tbs_certificate.subject)
            .expect("a responder of this CA");
        let der_file = dir.join("responder.der");
        std::fs::write(&der_file, responder.to_der().expect("DER")).expect("write");
        let responder_pem = openssl_text(dir, &["x509", "-inform", "DER", "-in", s(&der_file)]);
        Ca {
            kind,
            cert,
            hashes,
            responder_key_hash: digest("sha1", &key_bits(&responder), dir),
            responder_pem,
        }
    }
}

/// A serial as OpenSSL prints it: upper-case hex without leading zeros
/// (but one digit pair at least), `-` for a negative one.
fn openssl_serial(hex: &str) -> String {
    let (sign, digits) = match hex.strip_prefix('-') {
        Some(d) => ("-", d),
        None => ("", hex),
    };
    let digits = digits.trim_start_matches('0').to_ascii_uppercase();
    let padded = if digits.len() % 2 == 1 {
        format!("0{digits}")
    } else {
        digits
    };
    let padded = if padded.is_empty() {
        "00".into()
    } else {
        padded
    };
    format!("{sign}{padded}")
}

/// An OpenSSL time (`Jan  1 00:00:00 2025 GMT`) as RFC 3339.
fn rfc3339(openssl: &str) -> String {
    openssl_time(openssl).rfc3339()
}

/// How a request is sent.
#[derive(Clone, Copy, Debug)]
enum Method {
    Post,
    Get,
}

/// One request: made by `openssl ocsp -reqout`, sent by curl, the answer
/// saved and read by `openssl ocsp -respin … -resp_text -noverify`.
struct Exchange {
    request: OcspText,
    response: OcspText,
    response_file: PathBuf,
    cache_control: Option<String>,
}

fn exchange(
    srv: &Served,
    dir: &Path,
    issuer: &Path,
    serials: &[String],
    sha256: bool,
    nonce: bool,
    method: Method,
) -> Exchange {
    let req = dir.join("req.der");
    let mut args: Vec<String> = vec![];
    if sha256 {
        args.push("-sha256".into());
    }
    args.extend(["-issuer".into(), s(issuer).into()]);
    for serial in serials {
        // openssl reads `-0x05` as negative.
        let arg = match serial.strip_prefix('-') {
            Some(mag) => format!("-0x{mag}"),
            None => format!("0x{serial}"),
        };
        args.extend(["-serial".into(), arg]);
    }
    if !nonce {
        args.push("-no_nonce".into());
    }
    args.extend(["-reqout".into(), s(&req).into()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    openssl_ocsp(&args);
    let request = ocsp_text(&openssl_ocsp(&["-reqin", s(&req), "-req_text"]));
    let der = std::fs::read(&req).expect("request");
    let (code, headers, body) = match method {
        Method::Post => curl_bin(
            &srv.url("/ocsp"),
            &[
                "-H",
                "Content-Type: application/ocsp-request",
                "--data-binary",
                &format!("@{}", s(&req)),
            ],
        ),
        Method::Get => curl_bin(&srv.url(&format!("/ocsp/{}", b64(&der))), &[]),
    };
    assert_eq!(code, 200, "{method:?} {serials:?}");
    assert_eq!(
        header(&headers, "content-type"),
        Some("application/ocsp-response")
    );
    let response_file = dir.join("resp.der");
    std::fs::write(&response_file, &body).expect("write");
    let (_, text) = openssl_ocsp_status(&["-respin", s(&response_file), "-resp_text", "-noverify"]);
    Exchange {
        request,
        response: ocsp_text(&text),
        response_file,
        cache_control: header(&headers, "cache-control").map(str::to_string),
    }
}

/// kakunin's own answers about `serials` of `ca`: `kakunin status` on the
/// index of data/<kind>.crl, which the JSON status endpoint must repeat.
fn kakunin_answers(srv: &Served, ca: &Ca, dir: &Path, serials: &[String]) -> Vec<Value> {
    let index = dir.join(format!("{}.idx", ca.kind));
    ingest(&data(&format!("{}.crl", ca.kind)), &ca.cert, &index);
    let cli = oracle(&index, serials);
    let (code, body) = srv.curl(
        &format!("/v1/status?issuer={}", ca.kind),
        &["--data-binary", &serials.join("\n")],
    );
    assert_eq!(code, 200, "{body}");
    let json: Vec<Value> = body
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    assert_eq!(json, cli, "the JSON endpoint vs `kakunin status`");
    cli
}

/// Every field of one response against kakunin's answers (`want`, one per
/// CertID asked, in order) and the certificates.
fn check(ex: &Exchange, ca: &Ca, want: &[Value], sha256: bool, nonce: bool, since: u64) {
    let r = &ex.response;
    let what = format!("{} {:?}", ca.kind, ex.response_file);
    assert_eq!(r.response_status, "successful (0x0)", "{what}");
    assert_eq!(
        r.responder_id, ca.responder_key_hash,
        "responderID byKey: {what}"
    );
    let produced = openssl_time(&r.produced_at);
    let produced = kakunin_engine::Timestamp::parse_rfc3339(&produced.rfc3339())
        .expect("producedAt")
        .unix() as u64;
    assert!(
        since <= produced && produced <= unix_now(),
        "producedAt {} outside the test's run: {what}",
        r.produced_at
    );
    assert_eq!(
        r.signature_algorithm.as_deref(),
        Some("sha256WithRSAEncryption"),
        "{what}"
    );
    assert_eq!(
        r.certs_pem,
        std::slice::from_ref(&ca.responder_pem),
        "certs: {what}"
    );
    // The nonce is echoed byte for byte, and only when sent.
    assert_eq!(ex.request.nonce.is_some(), nonce, "{what}");
    assert_eq!(r.nonce, ex.request.nonce, "nonce: {what}");
    let alg = if sha256 { "sha256" } else { "sha1" };
    let (name_hash, key_hash) = &ca.hashes[alg];
    assert_eq!(r.singles.len(), want.len(), "{what}");
    assert_eq!(ex.request.singles.len(), want.len(), "{what}");
    for (i, ((single, asked), k)) in r
        .singles
        .iter()
        .zip(&ex.request.singles)
        .zip(want)
        .enumerate()
    {
        let what = format!("{what}, SingleResponse {i}: {single:?} vs {k}");
        let id = &single.cert_id;
        assert_eq!(*id, asked.cert_id, "CertID echoed: {what}");
        assert_eq!(id.hash_algorithm, alg, "{what}");
        assert_eq!(&id.issuer_name_hash, name_hash, "{what}");
        assert_eq!(&id.issuer_key_hash, key_hash, "{what}");
        let serial = k["serial"].as_str().expect("serial");
        assert_eq!(id.serial, openssl_serial(serial), "{what}");
        assert_eq!(
            single.cert_status,
            k["status"].as_str().expect("status"),
            "{what}"
        );
        assert_eq!(
            single.revocation_time.as_deref().map(rfc3339),
            k["revoked_at"].as_str().map(str::to_string),
            "{what}"
        );
        assert_eq!(
            single.revocation_reason.as_deref(),
            k["reason"].as_str(),
            "{what}"
        );
        assert_eq!(
            Some(rfc3339(&single.this_update)),
            k["this_update"].as_str().map(str::to_string),
            "{what}"
        );
        assert_eq!(
            single.next_update.as_deref().map(rfc3339),
            k["next_update"].as_str().map(str::to_string),
            "{what}"
        );
    }
    // Signed by the CA's delegated responder, which chains to the CA.
    let resp = s(&ex.response_file);
    for trust in [["-VAfile", s_data("ocsp.pem")], ["-CAfile", s(&ca.cert)]] {
        let out = openssl_ocsp(&["-respin", resp, trust[0], trust[1]]);
        assert!(
            out.contains("Response verify OK"),
            "{trust:?}: {what}: {out}"
        );
    }
}

/// The serials asked about: every CRL entry, every certificate of the
/// sample that is not revoked, and some never issued.
/// The CRL's entries come first, and are returned as `openssl crl -text`
/// reads them.
fn serials_of(kind: &str) -> (Vec<String>, Vec<CrlTextEntry>) {
    let crl = data(&format!("{kind}.crl"));
    let text = openssl_text(
        Path::new("."),
        &["crl", "-inform", "DER", "-noout", "-text", "-in", s(&crl)],
    );
    let entries = crl_text_entries(&text);
    assert_eq!(entries.len(), 1000, "data/{kind}.crl");
    let mut serials: Vec<String> = entries.iter().map(|e| e.serial.clone()).collect();
    let expected = std::fs::read_to_string(data("expected.jsonl")).expect("expected.jsonl");
    serials.extend(
        expected
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|e| e["kind"] == kind && e["status"] != "revoked")
            .filter_map(|e| e["serial"].as_str().map(str::to_string)),
    );
    serials.extend(
        [
            "00",
            "01",
            "-05",
            "7102030405060708090A0B0C0D0E0F1011121314",
        ]
        .map(String::from),
    );
    (serials, entries)
}

#[test]
fn ocsp_differential_every_crl_entry_agrees_with_openssl_and_kakunin_status() {
    if !need_curl() {
        return;
    }
    let since = unix_now();
    let srv = sample();
    let dir = kakunin_testkit::tempdir();
    let mut reasons_seen = std::collections::BTreeSet::new();
    let mut responses = 0;
    for kind in ["sign", "auth"] {
        let ca = Ca::new(kind, dir.path());
        let (serials, crl) = serials_of(kind);
        let want = kakunin_answers(&srv, &ca, dir.path(), &serials);
        // kakunin's answers for the CRL's entries are what OpenSSL reads in
        // the CRL (so the OCSP answers compared with them below are too).
        for (e, k) in crl.iter().zip(&want) {
            assert_eq!(k["status"], "revoked", "{e:?}: {k}");
            assert_eq!(
                k["revoked_at"].as_str(),
                Some(rfc3339(&e.revoked_at).as_str()),
                "{e:?}: {k}"
            );
            assert_eq!(k["reason"].as_str(), reason_name(&e.reason), "{e:?}: {k}");
        }
        reasons_seen.extend(
            want.iter()
                .filter_map(|k| k["reason"].as_str().map(str::to_string)),
        );
        assert!(
            want.iter().any(|k| k["status"] == "good"),
            "{kind}: good ones"
        );
        // Every serial in batches, by POST, in both hashes, with and
        // without a nonce.
        for (chunk, want) in serials.chunks(BATCH).zip(want.chunks(BATCH)) {
            for sha256 in [false, true] {
                for nonce in [false, true] {
                    let ex = exchange(
                        &srv,
                        dir.path(),
                        &ca.cert,
                        chunk,
                        sha256,
                        nonce,
                        Method::Post,
                    );
                    check(&ex, &ca, want, sha256, nonce, since);
                    responses += 1;
                }
            }
        }
        // By GET: one serial of each status and reason, one at a time
        // (twice without a nonce: the second answer is the cached one) and
        // together.
        let mut picks: Vec<usize> = vec![];
        let mut kinds = std::collections::HashSet::new();
        for (i, k) in want.iter().enumerate() {
            if kinds.insert((k["status"].to_string(), k["reason"].to_string())) {
                picks.push(i);
            }
        }
        let pick_serials: Vec<String> = picks.iter().map(|&i| serials[i].clone()).collect();
        let pick_want: Vec<Value> = picks.iter().map(|&i| want[i].clone()).collect();
        for sha256 in [false, true] {
            for nonce in [false, true] {
                for (serial, k) in pick_serials.iter().zip(&pick_want) {
                    for _ in 0..if nonce { 1 } else { 2 } {
                        let one = std::slice::from_ref(serial);
                        let ex =
                            exchange(&srv, dir.path(), &ca.cert, one, sha256, nonce, Method::Get);
                        check(&ex, &ca, std::slice::from_ref(k), sha256, nonce, since);
                        let cc = ex.cache_control.unwrap_or_default();
                        assert_eq!(cc == "no-cache", nonce, "{cc}");
                        responses += 1;
                    }
                }
                let ex = exchange(
                    &srv,
                    dir.path(),
                    &ca.cert,
                    &pick_serials,
                    sha256,
                    nonce,
                    Method::Get,
                );
                check(&ex, &ca, &pick_want, sha256, nonce, since);
                responses += 1;
            }
        }
    }
    // data/ uses these reasons; each was compared above.
    for reason in [
        "unspecified",
        "keyCompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
    ] {
        assert!(
            reasons_seen.contains(reason),
            "{reason} in {reasons_seen:?}"
        );
    }
    eprintln!("ocsp_differential: {responses} responses compared");
}

/// CertIDs the server does not answer for get `unauthorized`, as OpenSSL
/// reads it: another CA generation with the very same name (only the key
/// hash differs), a holder certificate posing as an issuer, and CertIDs of
/// two CAs in one request (one signature cannot cover both).
#[test]
fn ocsp_differential_unknown_issuers_are_unauthorized() {
    if !need_curl() {
        return;
    }
    let srv = sample();
    let dir = kakunin_testkit::tempdir();
    let p = |f: &str| dir.path().join(f);
    // The signing CA's certificate, re-signed with a new key (`-signkey`
    // puts that key in it): the same subject DER, another key.
    kakunin_testkit::rsa_key(&p("gen2.key"));
    kakunin_testkit::openssl(&[
        "x509",
        "-in",
        s(&data("sign-ca.pem")),
        "-signkey",
        s(&p("gen2.key")),
        "-out",
        s(&p("gen2.pem")),
    ]);
    let sign = Ca::new("sign", dir.path());
    let other = Certificate::from_pem(std::fs::read(p("gen2.pem")).expect("gen2")).expect("PEM");
    let sign_ca = Certificate::from_pem(std::fs::read(&sign.cert).expect("CA")).expect("PEM");
    assert_eq!(
        other.tbs_certificate.subject, sign_ca.tbs_certificate.subject,
        "same name"
    );
    assert_ne!(key_bits(&other), key_bits(&sign_ca), "another key");
    let serial = vec!["01".to_string()];
    for sha256 in [false, true] {
        for issuer in [p("gen2.pem"), data("holders/1/sign.pem")] {
            let ex = exchange(
                &srv,
                dir.path(),
                &issuer,
                &serial,
                sha256,
                true,
                Method::Post,
            );
            assert_eq!(
                ex.response.response_status, "unauthorized (6)",
                "{issuer:?}"
            );
            assert!(ex.response.singles.is_empty());
        }
    }
    // Two CAs in one request: openssl pairs each -serial with the -issuer
    // before it.
    let req = p("mixed.der");
    openssl_ocsp(&[
        "-issuer",
        s(&data("sign-ca.pem")),
        "-serial",
        "0x01",
        "-issuer",
        s(&data("auth-ca.pem")),
        "-serial",
        "0x02",
        "-reqout",
        s(&req),
    ]);
    let asked = ocsp_text(&openssl_ocsp(&["-reqin", s(&req), "-req_text"]));
    assert_ne!(
        asked.singles[0].cert_id.issuer_key_hash,
        asked.singles[1].cert_id.issuer_key_hash
    );
    let (_, _, body) = curl_bin(
        &srv.url("/ocsp"),
        &["--data-binary", &format!("@{}", s(&req))],
    );
    let resp = p("mixed-resp.der");
    std::fs::write(&resp, &body).expect("write");
    let (_, text) = openssl_ocsp_status(&["-respin", s(&resp), "-resp_text", "-noverify"]);
    assert_eq!(
        ocsp_text(&text).response_status,
        "unauthorized (6)",
        "{text}"
    );
}

/// The CertID of a request or of a response's only SingleResponse, as DER.
fn cert_id_der(der: &[u8], response: bool) -> Vec<u8> {
    use der::Decode;
    let id = if response {
        let resp = x509_ocsp::OcspResponse::from_der(der).expect("an OCSPResponse");
        let bytes = resp.response_bytes.expect("a successful response");
        let basic = x509_ocsp::BasicOcspResponse::from_der(bytes.response.as_bytes())
            .expect("a BasicOCSPResponse");
        let [single] = &basic.tbs_response_data.responses[..] else {
            panic!("one SingleResponse");
        };
        single.cert_id.clone()
    } else {
        let req = x509_ocsp::OcspRequest::from_der(der).expect("an OCSPRequest");
        let [one] = &req.tbs_request.request_list[..] else {
            panic!("one Request");
        };
        one.req_cert.clone()
    };
    id.to_der().expect("CertID DER")
}

/// RFC 5754 §2 lets a client send SHA-1/SHA-256 AlgorithmIdentifiers with
/// NULL parameters (OpenSSL, cryptography, BouncyCastle) or without any,
/// and a client may match the answer by comparing the whole CertID
/// (BouncyCastle's `CertificateID.equals`). So the CertID must come back
/// as sent, also when the answer for that serial is in the cache: the
/// second spelling of a nonce-less GET must not get the first one's.
#[test]
fn ocsp_differential_cached_answers_echo_each_certid_as_sent() {
    if !need_curl() {
        return;
    }
    use der::Decode;
    let srv = sample();
    let dir = kakunin_testkit::tempdir();
    let serial = expected("sign", 4)["serial"]
        .as_str()
        .expect("serial")
        .to_string();
    let with_null = openssl_request(&data("sign-ca.pem"), &serial, false);
    let mut req = x509_ocsp::OcspRequest::from_der(&with_null).expect("request");
    let alg = &mut req.tbs_request.request_list[0].req_cert.hash_algorithm;
    assert!(
        alg.parameters.take().is_some(),
        "openssl sends NULL parameters"
    );
    let without = req.to_der().expect("DER");
    for (first, second) in [(&with_null, &without), (&without, &with_null)] {
        for der in [first, second] {
            let url = srv.url(&format!("/ocsp/{}", b64(der)));
            let (code, _, body) = curl_bin(&url, &[]);
            assert_eq!(code, 200);
            assert_eq!(
                cert_id_der(&body, true),
                cert_id_der(der, false),
                "the CertID as sent"
            );
            // And OpenSSL accepts the answer for the serial.
            let file = dir.path().join("resp.der");
            std::fs::write(&file, &body).expect("write");
            let out = openssl_check_response(&body, &data("sign-ca.pem"), &serial, false);
            assert!(out.contains("Response verify OK"), "{out}");
        }
    }
}
