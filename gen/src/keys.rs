//! RSA keys for the generated PKI: seeded generation, signing, PEM.
//!
//! Keys come from `rsa` (it can generate from a caller-supplied RNG, so a
//! seed fixes every key); signatures come from `ring` (fast, and PKCS#1 v1.5
//! is deterministic, so the same key and message give the same bytes).

use base64::Engine;
use rand_chacha::ChaCha20Rng;
use rand_core::SeedableRng;
use ring::signature::{KeyPair as _, RsaKeyPair, RSA_PKCS1_SHA256};
use rsa::pkcs8::EncodePrivateKey;

use crate::GenError;

/// A ChaCha20 stream for one purpose: SHA-256 of the seed and a label, so
/// that every key and every choice has its own independent stream and
/// adding a new one never shifts the others.
pub(crate) fn derive_rng(seed: u64, label: &str) -> ChaCha20Rng {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(b"kakunin-gen-v1\0");
    ctx.update(&seed.to_le_bytes());
    ctx.update(label.as_bytes());
    let d = ctx.finish();
    let mut s = [0u8; 32];
    s.copy_from_slice(d.as_ref());
    ChaCha20Rng::from_seed(s)
}

/// An RSA-2048 key pair ready to sign and to be written out.
pub(crate) struct Key {
    pkcs8: Vec<u8>,
    ring: RsaKeyPair,
    key_id: [u8; 20],
}

impl Key {
    /// Generates the key named `label` for `seed` (RSA-2048, e = 65537).
    pub(crate) fn generate(seed: u64, label: &str) -> Result<Key, GenError> {
        let mut rng = derive_rng(seed, label);
        let private =
            rsa::RsaPrivateKey::new(&mut rng, 2048).map_err(|e| GenError::KeyGeneration {
                label: label.to_string(),
                source: e.into(),
            })?;
        let pkcs8 = private
            .to_pkcs8_der()
            .map_err(|e| GenError::KeyEncoding {
                label: label.to_string(),
                source: e.to_string().into(),
            })?
            .as_bytes()
            .to_vec();
        // ring's error types are std errors only with its `std` feature:
        // the message is what is kept.
        let ring = RsaKeyPair::from_pkcs8(&pkcs8).map_err(|e| GenError::KeyRejected {
            label: label.to_string(),
            source: e.to_string().into(),
        })?;
        let d = ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            ring.public_key().as_ref(),
        );
        let mut key_id = [0u8; 20];
        key_id.copy_from_slice(d.as_ref());
        Ok(Key {
            pkcs8,
            ring,
            key_id,
        })
    }

    /// The PKCS#1 RSAPublicKey DER: the subjectPublicKey BIT STRING content.
    pub(crate) fn public_key_der(&self) -> &[u8] {
        self.ring.public_key().as_ref()
    }

    /// RFC 5280 §4.2.1.2 method 1 key identifier (SHA-1 of the public key
    /// bits), used for SKI and AKI.
    pub(crate) fn key_id(&self) -> &[u8; 20] {
        &self.key_id
    }

    /// PKCS#8 private key as PEM.
    pub(crate) fn pkcs8_pem(&self) -> String {
        pem("PRIVATE KEY", &self.pkcs8)
    }

    /// sha256WithRSAEncryption signature of `msg`.
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, GenError> {
        let mut sig = vec![0u8; self.ring.public().modulus_len()];
        self.ring
            .sign(
                &RSA_PKCS1_SHA256,
                &ring::rand::SystemRandom::new(),
                msg,
                &mut sig,
            )
            .map_err(|_| GenError::Signing)?;
        Ok(sig)
    }
}

/// PEM armour (RFC 7468): base64 in 64-character lines.
pub(crate) fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + b64.len() / 64 + 64);
    out.push_str(&format!("-----BEGIN {label}-----\n"));
    for chunk in b64.as_bytes().chunks(64) {
        // base64 output is ASCII, so every chunk is valid UTF-8.
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
