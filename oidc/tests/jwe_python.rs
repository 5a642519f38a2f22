//! `jwe::encrypt` against independent decryptions: an RSA key made by
//! `openssl genpkey`, its JWK read back from `openssl` (not from the JOSE
//! code under test) and registered as a client's encryption key, results
//! encrypted to it, then decrypted by `tests/oidc/jwe_decrypt.py` with
//! joserfc (Authlib's JOSE library) and by hand on `cryptography`.
//!
//! Needs `python3 -m pip install -r tests/oidc/requirements.txt`: the test
//! skips without it locally and fails under `CI=true` (`.ci/run` installs
//! it), as tools/tests/cli/oidc_rp.rs does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use kakunin_oidc::clients::ClientRegistry;
use kakunin_oidc::jwe::{self, EncryptionKey};
use kakunin_testkit::jwk::{ec_p256_key, public_jwk};
use kakunin_testkit::needs::have_python;
use serde_json::{json, Value};

fn script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc/jwe_decrypt.py")
}

/// Each JWE decrypted by the script: (protected header, plaintext).
fn decrypt_in_python(key_pem: &Path, jwes: &[String]) -> Vec<(Value, Vec<u8>)> {
    let mut child = Command::new("python3")
        .arg(script())
        .arg(key_pem)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    {
        let mut stdin = child.stdin.take().expect("piped stdin");
        for j in jwes {
            writeln!(stdin, "{j}").expect("writing to jwe_decrypt.py");
        }
    }
    let out = child.wait_with_output().expect("jwe_decrypt.py finishes");
    assert!(
        out.status.success(),
        "jwe_decrypt.py refused kakunin's JWE:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<(Value, Vec<u8>)> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("a JSON line");
            let hex = v["plaintext"].as_str().expect("plaintext hex");
            let plain = (0..hex.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("hex"))
                .collect();
            (v["protected"].clone(), plain)
        })
        .collect();
    assert_eq!(lines.len(), jwes.len(), "one answer per JWE");
    lines
}

#[test]
fn jwe_decrypts_with_joserfc_and_cryptography() {
    let test = "jwe_decrypts_with_joserfc_and_cryptography";
    if !have_python(test, "joserfc, cryptography") {
        return;
    }
    let dir = tempfile::tempdir().expect("a temporary directory");
    let rsa = dir.path().join("enc.pem");
    kakunin_testkit::rsa_key(&rsa);
    let ec = dir.path().join("sig.pem");
    ec_p256_key(&ec);

    // The client registers a signature key and the encryption key.
    let mut enc_jwk = public_jwk(&rsa, "enc1");
    enc_jwk["use"] = json!("enc");
    enc_jwk["alg"] = json!("RSA-OAEP-256");
    let jwks = json!({"keys": [public_jwk(&ec, "sig1"), enc_jwk.clone()]});
    std::fs::write(dir.path().join("rp.jwks.json"), jwks.to_string()).expect("writing the JWKS");
    std::fs::write(
        dir.path().join("clients.toml"),
        "[[client]]\nclient_id = \"rp\"\nname = \"RP\"\nredirect_uris = [\"https://rp.example/cb\"]\njwks_file = \"rp.jwks.json\"\n",
    )
    .expect("writing the registry");
    let registry = ClientRegistry::load(&dir.path().join("clients.toml")).expect("the registry");
    let key = registry
        .get("rp")
        .and_then(|c| c.encryption_key.as_ref())
        .expect("the client's encryption key");

    // The same key without a kid, for a header without one.
    enc_jwk.as_object_mut().expect("a JWK object").remove("kid");
    let no_kid = EncryptionKey::from_jwk(&serde_json::from_value(enc_jwk).expect("a JWK"))
        .expect("the key without kid");

    // Many AES blocks, under joserfc's default 64 KiB bound on a JWE.
    let binary: Vec<u8> = (0..=255u8).cycle().take(40_000).collect();
    let cases: Vec<(&EncryptionKey, Vec<u8>, Option<&str>, Value)> = vec![
        (
            key,
            r#"{"result":"signed","名前":"デジタル 太郎"}"#.as_bytes().to_vec(),
            None,
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "enc1"}),
        ),
        (
            key,
            b"eyJhbGciOiJFUzI1NiJ9.e30.sig".to_vec(),
            Some("JWT"),
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "enc1", "cty": "JWT"}),
        ),
        (
            &no_kid,
            binary,
            None,
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"}),
        ),
        (
            &no_kid,
            Vec::new(),
            None,
            json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"}),
        ),
    ];
    let jwes: Vec<String> = cases
        .iter()
        .map(|(k, plain, cty, _)| jwe::encrypt(k, plain, *cty).expect("encrypting"))
        .collect();
    let decrypted = decrypt_in_python(&rsa, &jwes);
    for (i, ((_, plain, _, header), (got_header, got_plain))) in
        cases.iter().zip(&decrypted).enumerate()
    {
        assert_eq!(got_header, header, "case {i}: protected header");
        assert_eq!(got_plain, plain, "case {i}: plaintext");
    }

    // The oracle refuses what it should: a tag changed in its first
    // character (the last one also holds padding bits a lenient decoder
    // may ignore).
    let mut parts: Vec<String> = jwes[0].split('.').map(str::to_owned).collect();
    let first = if parts[4].starts_with('A') { "B" } else { "A" };
    parts[4].replace_range(..1, first);
    let mut child = Command::new("python3")
        .arg(script())
        .arg(&rsa)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    writeln!(
        child.stdin.take().expect("piped stdin"),
        "{}",
        parts.join(".")
    )
    .expect("writing to jwe_decrypt.py");
    let out = child.wait_with_output().expect("jwe_decrypt.py finishes");
    assert!(
        !out.status.success() && String::from_utf8_lossy(&out.stderr).contains("FAILED"),
        "a tampered tag was accepted"
    );
}
