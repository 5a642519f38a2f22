//! Keys for JOSE tests made by `openssl genpkey`, and their public JWKs
//! (RFC 7517 §4, RFC 7518 §6) read back from what `openssl` prints —
//! not from the JOSE library under test.

use std::path::Path;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use serde_json::{json, Value};

use crate::{openssl, path_str};

/// A new P-256 private key (PKCS#8 PEM) at `out`.
pub fn ec_p256_key(out: &Path) {
    openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        path_str(out),
    ]);
}

/// The DER prefix of a P-256 SubjectPublicKeyInfo (id-ecPublicKey,
/// prime256v1, a 66-byte BIT STRING holding an uncompressed point).
const P256_SPKI_PREFIX: [u8; 27] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
];

/// The public JWK (with `kid`, `use` = `sig` and `alg`) of the PEM private
/// key at `key`: a P-256 key gives an `EC` JWK for ES256, an RSA key (with
/// exponent 65537, as `openssl genpkey` makes them) an `RSA` JWK for RS256.
pub fn public_jwk(key: &Path, kid: &str) -> Value {
    let spki = openssl(&["pkey", "-in", path_str(key), "-pubout", "-outform", "DER"]);
    let b64 = |b: &[u8]| URL_SAFE_NO_PAD.encode(b);
    if let Some(point) = spki.strip_prefix(&P256_SPKI_PREFIX[..]) {
        assert_eq!(point.len(), 64, "P-256 point in {}", key.display());
        let (x, y) = point.split_at(32);
        return json!({"kty": "EC", "crv": "P-256", "x": b64(x), "y": b64(y),
                      "kid": kid, "use": "sig", "alg": "ES256"});
    }
    let text =
        String::from_utf8_lossy(&openssl(&["pkey", "-in", path_str(key), "-noout", "-text"]))
            .into_owned();
    assert!(
        text.contains("publicExponent: 65537 (0x10001)"),
        "expected a P-256 key or an RSA key with exponent 65537 in {}, found:\n{text}",
        key.display()
    );
    let modulus = String::from_utf8_lossy(&openssl(&[
        "rsa",
        "-in",
        path_str(key),
        "-noout",
        "-modulus",
    ]))
    .into_owned();
    let hex = modulus
        .trim()
        .strip_prefix("Modulus=")
        .unwrap_or_else(|| panic!("`openssl rsa -modulus` printed {modulus:?}"));
    let n: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex modulus"))
        .collect();
    json!({"kty": "RSA", "n": b64(&n), "e": b64(&[1, 0, 1]),
           "kid": kid, "use": "sig", "alg": "RS256"})
}
