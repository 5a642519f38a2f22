//! The card's side of a login, with OpenSSL as the card: `openssl dgst
//! -sha256 -sign` over the login message as docs/serve.md documents it,
//! built here from its parts with `openssl dgst -binary` (not with the
//! server's own function), and what `kakunin gen` recorded of the holders.

use std::path::Path;

use base64::Engine as _;
use serde_json::Value;

use crate::path_str as s;

/// The relying party the login tests' servers accept.
pub const ORIGIN: &str = "https://login.example.jp";

/// SHA-256 of `bytes` by `openssl dgst`.
pub fn sha256_openssl(bytes: &[u8]) -> Vec<u8> {
    let dir = crate::tempdir();
    let f = dir.path().join("in");
    crate::write(&f, bytes);
    crate::openssl(&["dgst", "-sha256", "-binary", s(&f)])
}

/// The card's part: `openssl dgst -sha256 -sign KEY` over
/// "kakunin-login-v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(challenge), in
/// base64.
pub fn card_sign(key: &Path, origin: &str, challenge: &str) -> String {
    let mut message = b"kakunin-login-v1\0".to_vec();
    message.extend(sha256_openssl(origin.as_bytes()));
    message.extend(sha256_openssl(challenge.as_bytes()));
    assert_eq!(message.len(), 81);
    let dir = crate::tempdir();
    let m = dir.path().join("message");
    crate::write(&m, &message);
    let sig = crate::openssl(&["dgst", "-sha256", "-sign", s(key), s(&m)]);
    base64::engine::general_purpose::STANDARD.encode(sig)
}

/// What `kakunin gen` recorded in `pki`/expected.jsonl for the
/// authentication certificate of `holder`.
pub fn expected_auth(pki: &Path, holder: u64) -> Value {
    let text = std::fs::read_to_string(pki.join("expected.jsonl")).expect("expected.jsonl");
    text.lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|e| e["kind"] == "auth" && e["holder"] == holder)
        .unwrap_or_else(|| panic!("holder {holder} in expected.jsonl"))
}
