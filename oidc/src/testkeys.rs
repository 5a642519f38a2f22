//! Test keys made at test time by `openssl genpkey` (an independent key
//! generator), cached per name for the test process.

use std::collections::HashMap;
use std::process::Command;
use std::sync::{Mutex, OnceLock};

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};

/// A PKCS#8 PEM private key named `name`: `ec-…` names give P-256 keys,
/// `rsa-…` names RSA-2048 keys.
pub(crate) fn pem(name: &str) -> String {
    static CACHE: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    // The lock is held while openssl runs: two tests asking for the same
    // name at once must get the same key, or one signs with a key the
    // other put in the registry's JWKS.
    let mut cache = CACHE.get_or_init(Default::default).lock().unwrap();
    if let Some(p) = cache.get(name) {
        return p.clone();
    }
    let args: &[&str] = if name.starts_with("ec") {
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ]
    } else {
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ]
    };
    let out = Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl genpkey");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = String::from_utf8(out.stdout).unwrap();
    cache.insert(name.into(), p.clone());
    p
}

/// The encoding key and algorithm for the test key `name`.
pub(crate) fn encoding(name: &str) -> (EncodingKey, Algorithm) {
    let p = pem(name);
    if name.starts_with("ec") {
        (
            EncodingKey::from_ec_pem(p.as_bytes()).unwrap(),
            Algorithm::ES256,
        )
    } else {
        (
            EncodingKey::from_rsa_pem(p.as_bytes()).unwrap(),
            Algorithm::RS256,
        )
    }
}

fn public_jwk(name: &str, kid: &str) -> String {
    let (key, alg) = encoding(name);
    let mut jwk = Jwk::from_encoding_key(&key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk.common.key_algorithm = None;
    serde_json::to_string(&jwk).unwrap()
}

/// The public JWK of the EC test key `ec-<kid>`, with `kid`.
pub(crate) fn ec_jwk(kid: &str) -> String {
    public_jwk(&format!("ec-{kid}"), kid)
}

/// The public JWK of the RSA test key `rsa-<kid>`, with `kid`.
pub(crate) fn rsa_jwk(kid: &str) -> String {
    public_jwk(&format!("rsa-{kid}"), kid)
}

/// A JWK Set of the given JWK JSON objects.
pub(crate) fn jwks_json(keys: &[String]) -> String {
    format!("{{\"keys\":[{}]}}", keys.join(","))
}
