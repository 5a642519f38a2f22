//! The client side of OCSP tests: requests made by `openssl ocsp`,
//! responses checked by it, fetched by `curl`, and decoded by RustCrypto's
//! x509-ocsp into the terms of a `kakunin status` line — independent of
//! the server that answers them.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use crate::http::sample_data;
use crate::path_str;

/// The sample's data/expected.jsonl line of a holder's certificate.
pub fn expected(kind: &str, holder: u64) -> Value {
    let text = std::fs::read_to_string(sample_data("expected.jsonl")).expect("expected.jsonl");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["kind"] == kind && e["holder"] == holder)
        .unwrap_or_else(|| panic!("no {kind} certificate of holder {holder}"))
}

/// `curl` GET/POST of `url`: (status, headers lower-cased, body bytes).
pub fn curl_bin(url: &str, args: &[&str]) -> (u16, String, Vec<u8>) {
    let dir = crate::tempdir();
    let body = dir.path().join("body");
    let headers = dir.path().join("headers");
    let out = Command::new("curl")
        .args(["-s", "-S", "--max-time", "20", "--path-as-is"])
        .args([
            "-D",
            path_str(&headers),
            "-o",
            path_str(&body),
            "-w",
            "%{http_code}",
        ])
        .args(args)
        .arg(url)
        .output()
        .expect("run curl");
    assert!(
        out.status.success(),
        "curl {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let code = String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .expect("code");
    let h = std::fs::read_to_string(&headers)
        .unwrap_or_default()
        .to_ascii_lowercase();
    (code, h, std::fs::read(&body).unwrap_or_default())
}

/// The value of the header `name` (lower case) in `curl -D` output.
pub fn header<'a>(headers: &'a str, name: &str) -> Option<&'a str> {
    headers.lines().find_map(|l| {
        l.strip_prefix(name)
            .and_then(|r| r.strip_prefix(':'))
            .map(str::trim)
    })
}

/// A DER OCSPRequest made by openssl (never sent: `-reqout` only), without
/// a nonce.
pub fn openssl_request(issuer: &Path, serial: &str, sha256: bool) -> Vec<u8> {
    openssl_request_with(issuer, serial, sha256, false)
}

/// A DER OCSPRequest made by openssl; with `nonce`, openssl adds a random
/// one.
pub fn openssl_request_with(issuer: &Path, serial: &str, sha256: bool, nonce: bool) -> Vec<u8> {
    let dir = crate::tempdir();
    let req = dir.path().join("req.der");
    let mut args = vec![];
    if sha256 {
        args.push("-sha256");
    }
    let serial = format!("0x{serial}");
    args.extend(["-issuer", path_str(issuer), "-serial", &serial]);
    if !nonce {
        args.push("-no_nonce");
    }
    args.extend(["-reqout", path_str(&req)]);
    openssl_ocsp(&args);
    std::fs::read(&req).expect("request")
}

/// A response saved to a file, checked by `openssl ocsp -respin`.
/// `sha256`: the CertID was made with SHA-256 (openssl looks the status
/// up by a CertID it computes).
pub fn openssl_check_response(der: &[u8], issuer: &Path, serial: &str, sha256: bool) -> String {
    let dir = crate::tempdir();
    let resp = dir.path().join("resp.der");
    std::fs::write(&resp, der).expect("write");
    let serial = format!("0x{serial}");
    let alg = if sha256 { "-sha256" } else { "-sha1" };
    openssl_ocsp(&[
        alg,
        "-respin",
        path_str(&resp),
        "-issuer",
        path_str(issuer),
        "-serial",
        &serial,
        "-CAfile",
        path_str(issuer),
    ])
}

/// Standard base64, as the OCSP GET path carries a request.
pub fn b64(der: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(der)
}

/// `openssl ocsp -issuer CA -serial 0xSERIAL -url URL -CAfile CA EXTRA`
/// (POST; a nonce unless `-no_nonce`): the status openssl prints for the
/// serial, after checking that the response verified.
pub fn openssl_status(url: &str, ca: &Path, serial: &str, extra: &[&str]) -> String {
    let serial = format!("0x{serial}");
    let mut args = vec![
        "-issuer",
        path_str(ca),
        "-serial",
        &serial,
        "-url",
        url,
        "-CAfile",
        path_str(ca),
    ];
    args.extend_from_slice(extra);
    let out = openssl_ocsp(&args);
    assert!(out.contains("Response verify OK"), "{out}");
    out.lines()
        .find_map(|l| l.trim().strip_prefix(&format!("{serial}: ")))
        .unwrap_or_else(|| panic!("no status line for {serial}: {out}"))
        .trim()
        .to_string()
}

/// What one OCSP response says about its single CertID, decoded by
/// RustCrypto's x509-ocsp (the signature is checked by openssl elsewhere):
/// the same terms as a `kakunin status` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspAnswer {
    /// Upper-case hex, no leading zeros.
    pub serial: String,
    /// `good`, `revoked` or `unknown`.
    pub status: String,
    /// revocationTime, RFC 3339.
    pub revoked_at: Option<String>,
    /// The reason's name, lower-cased (`keycompromise`).
    pub reason: Option<String>,
    /// thisUpdate, RFC 3339.
    pub this_update: String,
    /// The response's nonce, if any.
    pub nonce: Option<Vec<u8>>,
}

/// The OCSPResponseStatus of `der` (0 successful, 1 malformedRequest, …).
pub fn ocsp_response_status(der: &[u8]) -> u8 {
    use der::Decode;
    let resp = x509_ocsp::OcspResponse::from_der(der).expect("a DER OCSPResponse");
    resp.response_status as u8
}

/// Decodes a successful response with exactly one SingleResponse.
pub fn ocsp_answer(der: &[u8]) -> OcspAnswer {
    use der::Decode;
    use x509_ocsp::{BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus};
    let resp = OcspResponse::from_der(der).expect("a DER OCSPResponse");
    assert_eq!(resp.response_status, OcspResponseStatus::Successful);
    let bytes = resp.response_bytes.expect("responseBytes");
    let basic = BasicOcspResponse::from_der(bytes.response.as_bytes()).expect("BasicOCSPResponse");
    let data = &basic.tbs_response_data;
    assert_eq!(data.responses.len(), 1, "one SingleResponse");
    let single = &data.responses[0];
    let (status, revoked_at, reason) = match &single.cert_status {
        CertStatus::Good(_) => ("good", None, None),
        CertStatus::Revoked(info) => (
            "revoked",
            Some(info.revocation_time.0.to_date_time().to_string()),
            info.revocation_reason
                .map(|r| format!("{r:?}").to_ascii_lowercase()),
        ),
        CertStatus::Unknown(_) => ("unknown", None, None),
    };
    let serial: String = single
        .cert_id
        .serial_number
        .as_bytes()
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect();
    let nonce = nonce_of(data.response_extensions.as_deref());
    OcspAnswer {
        serial: serial.trim_start_matches('0').to_string(),
        status: status.to_string(),
        revoked_at,
        reason,
        this_update: single.this_update.0.to_date_time().to_string(),
        nonce,
    }
}

/// The nonce of a DER OCSPRequest.
pub fn ocsp_request_nonce(der: &[u8]) -> Option<Vec<u8>> {
    use der::Decode;
    let req = x509_ocsp::OcspRequest::from_der(der).expect("a DER OCSPRequest");
    nonce_of(req.tbs_request.request_extensions.as_deref())
}

/// The id-pkix-ocsp-nonce extension's value: an OCTET STRING holding the
/// nonce (RFC 9654), or, from older clients, the raw bytes.
fn nonce_of(extensions: Option<&[x509_cert::ext::Extension]>) -> Option<Vec<u8>> {
    use der::Decode;
    extensions?.iter().find_map(|e| {
        (e.extn_id == const_oid::db::rfc6960::ID_PKIX_OCSP_NONCE).then(|| {
            der::asn1::OctetString::from_der(e.extn_value.as_bytes())
                .map(|o| o.into_bytes())
                .unwrap_or_else(|_| e.extn_value.as_bytes().to_vec())
        })
    })
}

/// A `kakunin status` line in [`OcspAnswer`]'s terms (nonce aside).
pub fn status_as_ocsp(line: &Value) -> OcspAnswer {
    let opt = |k: &str| line[k].as_str().map(str::to_string);
    OcspAnswer {
        serial: line["serial"]
            .as_str()
            .expect("serial")
            .to_ascii_uppercase()
            .trim_start_matches('0')
            .to_string(),
        status: opt("status").expect("status"),
        revoked_at: opt("revoked_at"),
        reason: opt("reason").map(|r| r.to_ascii_lowercase()),
        this_update: opt("this_update").expect("this_update"),
        nonce: None,
    }
}

/// openssl ocsp with `args`: stdout and stderr together (openssl prints
/// "Response verify OK" on stderr).
pub fn openssl_ocsp(args: &[&str]) -> String {
    let (ok, text) = openssl_ocsp_status(args);
    assert!(ok, "openssl ocsp {args:?}: {text}");
    text
}

/// openssl ocsp with `args`: (exit success, output).
pub fn openssl_ocsp_status(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .arg("ocsp")
        .args(args)
        .output()
        .expect("run openssl ocsp");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
