//! JSON Web Encryption (RFC 7516) of a result to a client's registered
//! encryption key, as the Digital Agency encrypts its results: key
//! transport RSA-OAEP-256 (RFC 7518 §4.3: RSAES-OAEP with SHA-256 and
//! MGF1 with SHA-256) and content encryption A256GCM (RFC 7518 §5.3), in
//! the compact serialization (RFC 7516 §7.1). Only encryption: the
//! provider never decrypts.
//!
//! Written here on aws-lc-rs, which the crate already links for its
//! signatures, rather than taken from a JOSE crate: `jsonwebtoken` has no
//! JWE; `josekit` links OpenSSL; `jwt-simple` offers RSA-OAEP with SHA-1
//! only; the others that have RSA-OAEP-256 (`picky`, `compact_jwt`,
//! `jose-rs`, `polyjose`) bring a second RSA and AES-GCM implementation
//! (RustCrypto's). One fixed algorithm pair is two primitive calls, and
//! fixing it means no `alg`/`enc` negotiation to get wrong.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use aws_lc_rs::rsa::{
    OaepPublicEncryptingKey, PublicEncryptingKey, PublicKeyComponents, OAEP_SHA256_MGF1SHA256,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, KeyAlgorithm};
use serde::Serialize;
use thiserror::Error;

/// The `alg` of every JWE made here (RFC 7518 §4.3).
pub const ALG: &str = "RSA-OAEP-256";
/// The `enc` of every JWE made here (RFC 7518 §5.3).
pub const ENC: &str = "A256GCM";

/// The smallest RSA modulus accepted, in bits (RFC 7518 §4.3: "2048 bits
/// or larger MUST be used"); aws-lc-rs itself takes at most 8192.
const MIN_RSA_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits: aws-lc-rs refuses larger.
const MAX_RSA_BITS: usize = 8192;
/// The largest public exponent accepted, in bits: aws-lc's RSA encryption
/// refuses an exponent above 2^33 (a bound on the work a public key can
/// cost), as it refuses an even modulus or an even exponent or 1; the same
/// checks at load mean encrypting cannot fail later on the key.
const MAX_EXPONENT_BITS: usize = 33;

/// Why an encryption key was refused or an encryption failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum JweError {
    /// The JWK is not an RSA key.
    #[error("expected an RSA key for {ALG}, found {0}")]
    KeyType(String),
    /// The JWK pins another algorithm.
    #[error("expected alg {ALG:?} or no alg, found {0:?}")]
    Alg(String),
    /// The modulus or exponent is not a usable RSA public key.
    #[error("expected an RSA public key, an odd modulus of {MIN_RSA_BITS} to {MAX_RSA_BITS} bits and an odd exponent of 3 to {MAX_EXPONENT_BITS} bits, found {0}")]
    Key(String),
    /// A primitive failed (aws-lc-rs gives no reason).
    #[error("expected {0} to succeed, found it failed")]
    Crypto(&'static str),
}

/// A client's RSA public key for RSA-OAEP-256, checked when the registry
/// is loaded so that encrypting to it cannot fail on the key.
#[derive(Clone)]
pub struct EncryptionKey {
    /// The key's `kid`, if its JWK has one; repeated in the JWE header so
    /// that a client holding several keys knows which one to decrypt with.
    pub kid: Option<String>,
    public: PublicEncryptingKey,
}

impl std::fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EncryptionKey")
            .field("kid", &self.kid)
            .field("bits", &self.bits())
            .finish_non_exhaustive()
    }
}

impl EncryptionKey {
    /// The key of an RSA JWK (RFC 7518 §6.3.1: `n` and `e`, base64url big
    /// endian) whose `alg`, if any, is RSA-OAEP-256. Its `use` is the
    /// caller's to check: a JWK Set says which of its keys encrypt.
    pub fn from_jwk(jwk: &Jwk) -> Result<EncryptionKey, JweError> {
        let p = match &jwk.algorithm {
            AlgorithmParameters::RSA(p) => p,
            AlgorithmParameters::EllipticCurve(_) => {
                return Err(JweError::KeyType("an EC key".into()))
            }
            AlgorithmParameters::OctetKey(_) => {
                return Err(JweError::KeyType("a symmetric (oct) key".into()))
            }
            AlgorithmParameters::OctetKeyPair(_) => {
                return Err(JweError::KeyType("an OKP key".into()))
            }
            _ => return Err(JweError::KeyType("an unknown key type".into())),
        };
        match jwk.common.key_algorithm {
            None | Some(KeyAlgorithm::RSA_OAEP_256) => {}
            Some(other) => return Err(JweError::Alg(key_algorithm_name(other))),
        }
        let decode = |name: &str, v: &str| {
            URL_SAFE_NO_PAD
                .decode(v)
                .map_err(|e| JweError::Key(format!("{name} that is not base64url: {e}")))
        };
        let n = decode("a modulus", &p.n)?;
        let e = decode("an exponent", &p.e)?;
        EncryptionKey::from_components(jwk.common.key_id.clone(), &n, &e)
    }

    /// The key with modulus `n` and exponent `e` (big-endian bytes).
    pub fn from_components(
        kid: Option<String>,
        n: &[u8],
        e: &[u8],
    ) -> Result<EncryptionKey, JweError> {
        // aws-lc-rs wants both without leading zeros; RFC 7518 §6.3.1.1
        // forbids them in `n`, but a zero byte changes no number.
        let n = strip_leading_zeros(n);
        let e = strip_leading_zeros(e);
        let bits = bit_length(n);
        if !(MIN_RSA_BITS..=MAX_RSA_BITS).contains(&bits) {
            return Err(JweError::Key(format!("a {bits}-bit modulus")));
        }
        if n.last().is_none_or(|b| b & 1 == 0) {
            return Err(JweError::Key("an even modulus".into()));
        }
        // An exponent of 1 would send the padded content key in the clear.
        let e_bits = bit_length(e);
        if e_bits > MAX_EXPONENT_BITS || e.last().is_none_or(|b| b & 1 == 0) || e == [1] {
            return Err(JweError::Key(format!(
                "the exponent 0x{}",
                e.iter().map(|b| format!("{b:02x}")).collect::<String>()
            )));
        }
        let public: PublicEncryptingKey = PublicKeyComponents { n, e }
            .try_into()
            .map_err(|_| JweError::Key("a key aws-lc-rs refuses".into()))?;
        Ok(EncryptionKey { kid, public })
    }

    /// The size of the modulus in bits.
    pub fn bits(&self) -> usize {
        self.public.key_size_bits()
    }
}

fn strip_leading_zeros(b: &[u8]) -> &[u8] {
    let start = b.iter().position(|x| *x != 0).unwrap_or(b.len());
    &b[start..]
}

/// The number of significant bits of a big-endian number without leading
/// zero bytes.
fn bit_length(b: &[u8]) -> usize {
    match b.first() {
        None => 0,
        Some(first) => (b.len() - 1) * 8 + (8 - first.leading_zeros() as usize),
    }
}

/// The JOSE name of a key algorithm, for error messages.
fn key_algorithm_name(a: KeyAlgorithm) -> String {
    serde_json::to_value(a)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{a:?}"))
}

/// The JOSE protected header (RFC 7516 §4.1), members in this order.
#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    enc: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    kid: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    cty: Option<&'a str>,
}

/// `plaintext` encrypted to `key`, as RFC 7516 §7.1 compact serialization:
/// `BASE64URL(header) . BASE64URL(encrypted key) . BASE64URL(IV) .
/// BASE64URL(ciphertext) . BASE64URL(tag)`.
///
/// The protected header is `{"alg":"RSA-OAEP-256","enc":"A256GCM"}` with
/// `kid` when the key has one and `cty` when `content_type` is given (for
/// a nested JWT, `"JWT"`, RFC 7519 §5.2). Following RFC 7516 §5.1, a
/// fresh random 256-bit content key is encrypted with RSA-OAEP-256 (step
/// 4), a fresh random 96-bit IV is drawn (step 9; GCM's IV, RFC 7518
/// §5.3), and AES-256-GCM seals the plaintext with the ASCII of the
/// encoded header as additional data (step 14), leaving a 128-bit tag.
pub fn encrypt(
    key: &EncryptionKey,
    plaintext: &[u8],
    content_type: Option<&str>,
) -> Result<String, JweError> {
    let header = serde_json::to_vec(&Header {
        alg: ALG,
        enc: ENC,
        kid: key.kid.as_deref(),
        cty: content_type,
    })
    .map_err(|_| JweError::Crypto("serializing the JWE header"))?;
    let header = URL_SAFE_NO_PAD.encode(header);

    let rng = SystemRandom::new();
    let mut cek = [0u8; 32];
    rng.fill(&mut cek)
        .map_err(|_| JweError::Crypto("drawing a random content key"))?;
    let mut iv = [0u8; NONCE_LEN];
    rng.fill(&mut iv)
        .map_err(|_| JweError::Crypto("drawing a random IV"))?;

    let oaep = OaepPublicEncryptingKey::new(key.public.clone())
        .map_err(|_| JweError::Crypto("preparing the RSA-OAEP key"))?;
    let mut encrypted_key = vec![0; oaep.ciphertext_size()];
    let encrypted_key = oaep
        .encrypt(&OAEP_SHA256_MGF1SHA256, &cek, &mut encrypted_key, None)
        .map_err(|_| JweError::Crypto("RSA-OAEP-256 encryption of the content key"))?;

    let aes = UnboundKey::new(&AES_256_GCM, &cek)
        .map(LessSafeKey::new)
        .map_err(|_| JweError::Crypto("preparing the AES-256-GCM key"))?;
    // The content key is used for this one message, so the random IV
    // cannot repeat under it.
    let mut ciphertext = plaintext.to_vec();
    let tag = aes
        .seal_in_place_separate_tag(
            Nonce::assume_unique_for_key(iv),
            Aad::from(header.as_bytes()),
            &mut ciphertext,
        )
        .map_err(|_| JweError::Crypto("AES-256-GCM encryption of the plaintext"))?;
    cek.fill(0);

    Ok([
        header.as_str(),
        &URL_SAFE_NO_PAD.encode(encrypted_key),
        &URL_SAFE_NO_PAD.encode(iv),
        &URL_SAFE_NO_PAD.encode(&ciphertext),
        &URL_SAFE_NO_PAD.encode(tag.as_ref()),
    ]
    .join("."))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testkeys;
    use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey};

    /// The encryption key and the private key of the RSA test key `name`.
    pub(crate) fn key_pair(
        name: &str,
        kid: Option<&str>,
    ) -> (EncryptionKey, OaepPrivateDecryptingKey) {
        // `openssl genpkey` writes PKCS#8 PEM: its body is the DER.
        let pem = testkeys::pem(name);
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let pkcs8 = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let private = PrivateDecryptingKey::from_pkcs8(&pkcs8).unwrap();
        let mut jwk: Jwk =
            serde_json::from_str(&testkeys::rsa_jwk(name.trim_start_matches("rsa-"))).unwrap();
        jwk.common.key_id = kid.map(str::to_owned);
        let key = EncryptionKey::from_jwk(&jwk).unwrap();
        (key, OaepPrivateDecryptingKey::new(private).unwrap())
    }

    /// The test's own decryption (RFC 7516 §5.2): the header and the
    /// plaintext, or why it failed.
    pub(crate) fn decrypt(
        private: &OaepPrivateDecryptingKey,
        jwe: &str,
    ) -> Result<(serde_json::Value, Vec<u8>), String> {
        let parts: Vec<&str> = jwe.split('.').collect();
        let [header_b64, ek, iv, ct, tag] = parts[..] else {
            return Err(format!("{} parts", parts.len()));
        };
        let d = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|e| e.to_string());
        let header: serde_json::Value =
            serde_json::from_slice(&d(header_b64)?).map_err(|e| e.to_string())?;
        if header["alg"] != ALG || header["enc"] != ENC {
            return Err(format!("header {header}"));
        }
        let mut cek = vec![0; private.min_output_size()];
        let cek = private
            .decrypt(&OAEP_SHA256_MGF1SHA256, &d(ek)?, &mut cek, None)
            .map_err(|_| "RSA-OAEP")?;
        let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, cek).map_err(|_| "CEK length")?);
        let nonce = Nonce::try_assume_unique_for_key(&d(iv)?).map_err(|_| "IV length")?;
        let mut in_out = d(ct)?;
        in_out.extend(d(tag)?);
        let plain = aes
            .open_in_place(nonce, Aad::from(header_b64.as_bytes()), &mut in_out)
            .map_err(|_| "AES-GCM")?;
        Ok((header, plain.to_vec()))
    }

    #[test]
    fn round_trip() {
        let (key, private) = key_pair("rsa-enc1", Some("enc1"));
        assert_eq!(key.bits(), 2048);
        for plaintext in [
            &b""[..],
            b"x",
            br#"{"result":"ok","sig":"..."}"#,
            &[0xa5; 70_000],
        ] {
            let jwe = encrypt(&key, plaintext, None).unwrap();
            let (_, got) = decrypt(&private, &jwe).unwrap();
            assert_eq!(got, plaintext);
        }
    }

    #[test]
    fn header_has_alg_enc_and_kid_and_cty_only_when_given() {
        let (key, private) = key_pair("rsa-enc1", Some("enc1"));
        let jwe = encrypt(&key, b"hi", Some("JWT")).unwrap();
        let header = URL_SAFE_NO_PAD
            .decode(jwe.split('.').next().unwrap())
            .unwrap();
        assert_eq!(
            std::str::from_utf8(&header).unwrap(),
            r#"{"alg":"RSA-OAEP-256","enc":"A256GCM","kid":"enc1","cty":"JWT"}"#
        );
        let (no_kid, _) = key_pair("rsa-enc1", None);
        let jwe = encrypt(&no_kid, b"hi", None).unwrap();
        let (header, plain) = decrypt(&private, &jwe).unwrap();
        assert_eq!(
            header,
            serde_json::json!({"alg": "RSA-OAEP-256", "enc": "A256GCM"})
        );
        assert_eq!(plain, b"hi");
    }

    #[test]
    fn parts_have_the_sizes_of_the_algorithms_and_no_padding() {
        let (key, _) = key_pair("rsa-enc1", None);
        let jwe = encrypt(&key, b"twelve bytes", None).unwrap();
        assert!(!jwe.contains('='), "{jwe}");
        let sizes: Vec<usize> = jwe
            .split('.')
            .map(|p| URL_SAFE_NO_PAD.decode(p).unwrap().len())
            .collect();
        // header, RSA-2048 ciphertext, 96-bit IV, ciphertext = plaintext, 128-bit tag
        assert_eq!(sizes[1..], [256, 12, 12, 16]);
    }

    #[test]
    fn fresh_key_and_iv_every_time() {
        let (key, _) = key_pair("rsa-enc1", None);
        let a: Vec<String> = encrypt(&key, b"same", None)
            .unwrap()
            .split('.')
            .map(String::from)
            .collect();
        let b: Vec<String> = encrypt(&key, b"same", None)
            .unwrap()
            .split('.')
            .map(String::from)
            .collect();
        assert_eq!(a[0], b[0]);
        assert_ne!(a[1], b[1]);
        assert_ne!(a[2], b[2]);
        assert_ne!(a[3], b[3]);
    }

    #[test]
    fn tampering_with_any_part_fails_decryption() {
        let (key, private) = key_pair("rsa-enc1", Some("enc1"));
        let jwe = encrypt(&key, b"the result of a signature", None).unwrap();
        assert!(decrypt(&private, &jwe).is_ok());
        let parts: Vec<&str> = jwe.split('.').collect();
        // Each part flipped by one bit, and the step that notices: the
        // header is authenticated as GCM's additional data (RFC 7516 §5.1
        // step 14), the key by OAEP's padding, the rest by the GCM tag.
        let expected = ["AES-GCM", "RSA-OAEP", "AES-GCM", "AES-GCM", "AES-GCM"];
        for (i, want) in expected.into_iter().enumerate() {
            let mut bytes = URL_SAFE_NO_PAD.decode(parts[i]).unwrap();
            // In the header, a bit of the kid's value, so that it still
            // parses and says RSA-OAEP-256 and A256GCM.
            let at = match i {
                0 => bytes.len() - 3,
                _ => bytes.len() / 2,
            };
            bytes[at] ^= 0x01;
            let mut tampered: Vec<String> = parts.iter().map(|p| p.to_string()).collect();
            tampered[i] = URL_SAFE_NO_PAD.encode(&bytes);
            assert_eq!(
                decrypt(&private, &tampered.join(".")).unwrap_err(),
                want,
                "part {i} tampered"
            );
        }
        // A header that still says the same but is encoded differently
        // (a space added) is different AAD.
        let spaced =
            URL_SAFE_NO_PAD.encode(br#"{"alg":"RSA-OAEP-256", "enc":"A256GCM","kid":"enc1"}"#);
        let relabeled = format!("{spaced}.{}", parts[1..].join("."));
        assert_eq!(decrypt(&private, &relabeled).unwrap_err(), "AES-GCM");
    }

    #[test]
    fn refuses_keys_that_are_not_rsa_oaep_256() {
        let rsa: serde_json::Value = serde_json::from_str(&testkeys::rsa_jwk("enc1")).unwrap();
        let with = |patch: serde_json::Value| {
            let mut v = rsa.clone();
            if let (Some(v), Some(patch)) = (v.as_object_mut(), patch.as_object()) {
                v.extend(patch.clone());
            }
            let jwk: Jwk = serde_json::from_value(v).unwrap();
            EncryptionKey::from_jwk(&jwk).map_err(|e| e.to_string())
        };
        assert!(with(serde_json::json!({"alg": "RSA-OAEP-256"})).is_ok());
        assert!(with(serde_json::json!({"e": "Aw"})).is_ok(), "exponent 3");
        let e = with(serde_json::json!({"alg": "RSA-OAEP"})).unwrap_err();
        assert!(
            e.contains("RSA-OAEP-256") && e.contains("\"RSA-OAEP\""),
            "{e}"
        );
        let e = with(serde_json::json!({"alg": "RS256"})).unwrap_err();
        assert!(e.contains("\"RS256\""), "{e}");
        let e = with(serde_json::json!({"n": "not base64!"})).unwrap_err();
        assert!(e.contains("not base64url"), "{e}");
        let ec: Jwk = serde_json::from_str(&testkeys::ec_jwk("e1")).unwrap();
        let e = EncryptionKey::from_jwk(&ec).unwrap_err().to_string();
        assert!(e.contains("found an EC key"), "{e}");
    }

    #[test]
    fn refuses_small_moduli_and_bad_exponents() {
        let n = [0xffu8; 256];
        assert!(EncryptionKey::from_components(None, &n, &[1, 0, 1]).is_ok());
        let mut padded = vec![0u8; 3];
        padded.extend(n);
        assert!(EncryptionKey::from_components(None, &padded, &[0, 1, 0, 1]).is_ok());
        let e = EncryptionKey::from_components(None, &n[..128], &[1, 0, 1]).unwrap_err();
        assert!(e.to_string().contains("a 1024-bit modulus"), "{e}");
        let e = EncryptionKey::from_components(None, &[0xff; 1025], &[1, 0, 1]).unwrap_err();
        assert!(e.to_string().contains("8200-bit"), "{e}");
        for bad in [&[][..], &[1], &[2], &[1, 0, 0], &[1, 0, 0, 0, 0, 1]] {
            let e = EncryptionKey::from_components(None, &n, bad).unwrap_err();
            assert!(e.to_string().contains("exponent 0x"), "{bad:?}: {e}");
        }
        let mut even = n;
        even[255] = 0xfe;
        let e = EncryptionKey::from_components(None, &even, &[1, 0, 1]).unwrap_err();
        assert!(e.to_string().contains("an even modulus"), "{e}");
        // What the load accepts, aws-lc encrypts to: 3 and 2^33 - 1.
        for good in [&[3][..], &[1, 0xff, 0xff, 0xff, 0xff]] {
            let key = EncryptionKey::from_components(None, &n, good).unwrap();
            assert!(encrypt(&key, b"x", None).is_ok(), "exponent {good:?}");
        }
    }
}
