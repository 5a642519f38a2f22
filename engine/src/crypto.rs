//! The one seam through which every signature in kakunin is checked:
//! certificates on a path and CRLs alike.
//!
//! Two backends, chosen by cargo feature of `kakunin-engine`:
//!
//! - `aws-lc-rs` (default): AWS-LC's RSA is ~20% faster than ring's on
//!   x86-64, and [`aws_lc_rs::signature::ParsedPublicKey`] lets us parse a
//!   CA key once and reuse it for millions of leaves.
//! - `ring`: pure-Rust-build fallback (no C toolchain beyond `cc`); ring
//!   parses the key on every call, which costs little next to the RSA
//!   operation itself.
//!
//! Both can be compiled in at once (benches compare them); [`Provider::DEFAULT`]
//! is aws-lc-rs when its feature is on.
//!
//! Which algorithm fits which key follows RFC 5280 §4.1.1.2 / §4.1.2.7,
//! RFC 4055 (RSA, PSS), RFC 5758 (ECDSA) and RFC 8410 (Ed25519); RSA
//! moduli outside 2048..=8192 bits are refused (both backends' limits).

use std::fmt;
#[cfg(feature = "aws-lc-rs")]
use std::sync::OnceLock;

use crate::ca::{CaCert, CaKeyType};
use crate::crl::SignatureAlgorithm;
use crate::der::{tag, Reader};

/// A signature backend compiled into this build.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Provider {
    /// ring 0.17.
    Ring,
    /// aws-lc-rs 1.x (feature `aws-lc-rs`).
    #[cfg(feature = "aws-lc-rs")]
    AwsLc,
}

impl Provider {
    /// The backend used unless a caller picks one: aws-lc-rs when built in.
    #[cfg(feature = "aws-lc-rs")]
    pub const DEFAULT: Provider = Provider::AwsLc;
    /// The backend used unless a caller picks one.
    #[cfg(not(feature = "aws-lc-rs"))]
    pub const DEFAULT: Provider = Provider::Ring;

    /// Every backend compiled into this build.
    pub fn all() -> &'static [Provider] {
        #[cfg(feature = "aws-lc-rs")]
        {
            &[Provider::AwsLc, Provider::Ring]
        }
        #[cfg(not(feature = "aws-lc-rs"))]
        {
            &[Provider::Ring]
        }
    }

    /// `ring` or `aws-lc-rs`.
    pub fn name(self) -> &'static str {
        match self {
            Provider::Ring => "ring",
            #[cfg(feature = "aws-lc-rs")]
            Provider::AwsLc => "aws-lc-rs",
        }
    }
}

impl Default for Provider {
    fn default() -> Self {
        Provider::DEFAULT
    }
}

impl fmt::Display for Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a signature was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CryptoError {
    /// The key is of a type or size we cannot verify with.
    #[error("unsupported public key: {0}")]
    UnsupportedKey(String),
    /// The signature algorithm does not fit the key (RFC 5280 §4.1.1.2).
    #[error("signature algorithm {alg} cannot be used with a {key} key")]
    AlgorithmKeyMismatch {
        /// The algorithm named by the signed object.
        alg: SignatureAlgorithm,
        /// The key's type.
        key: String,
    },
    /// The signature does not verify.
    #[error("signature does not verify")]
    BadSignature,
}

#[cfg(feature = "aws-lc-rs")]
const ALGS: usize = 9;

#[cfg(feature = "aws-lc-rs")]
fn alg_slot(alg: SignatureAlgorithm) -> usize {
    use SignatureAlgorithm as A;
    match alg {
        A::RsaPkcs1Sha256 => 0,
        A::RsaPkcs1Sha384 => 1,
        A::RsaPkcs1Sha512 => 2,
        A::RsaPssSha256 => 3,
        A::RsaPssSha384 => 4,
        A::RsaPssSha512 => 5,
        A::EcdsaSha256 => 6,
        A::EcdsaSha384 => 7,
        A::Ed25519 => 8,
    }
}

/// A public key ready for repeated verification. Build it once per CA key
/// (at trust-store build time); `verify` is then `Send + Sync` and does no
/// key parsing with aws-lc-rs.
pub struct VerifyingKey {
    provider: Provider,
    key_type: CaKeyType,
    /// subjectPublicKey BIT STRING contents (RSAPublicKey, EC point, …).
    bits: Box<[u8]>,
    modulus_bits: usize,
    #[cfg(feature = "aws-lc-rs")]
    parsed: [OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>; ALGS],
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifyingKey")
            .field("provider", &self.provider)
            .field("key_type", &self.key_type)
            .field("modulus_bits", &self.modulus_bits)
            .finish()
    }
}

impl VerifyingKey {
    /// A key of `key_type` with subjectPublicKey contents `bits`, checked
    /// with `provider`.
    pub fn new(key_type: CaKeyType, bits: &[u8], provider: Provider) -> VerifyingKey {
        let modulus_bits = match key_type {
            CaKeyType::Rsa | CaKeyType::RsaPss => rsa_modulus_bits(bits),
            _ => 0,
        };
        VerifyingKey {
            provider,
            key_type,
            bits: bits.into(),
            modulus_bits,
            #[cfg(feature = "aws-lc-rs")]
            parsed: Default::default(),
        }
    }

    /// The key of a CA certificate, with the default provider.
    pub fn from_ca(ca: &CaCert) -> VerifyingKey {
        VerifyingKey::new(
            ca.key_type().clone(),
            ca.public_key_bits(),
            Provider::DEFAULT,
        )
    }

    /// Same key, another backend (benches and cross-checks).
    pub fn with_provider(&self, provider: Provider) -> VerifyingKey {
        VerifyingKey::new(self.key_type.clone(), &self.bits, provider)
    }

    /// The backend.
    pub fn provider(&self) -> Provider {
        self.provider
    }

    /// The key's type.
    pub fn key_type(&self) -> &CaKeyType {
        &self.key_type
    }

    /// Checks that `alg` may be used with this key, without verifying.
    pub fn check_algorithm(&self, alg: SignatureAlgorithm) -> Result<(), CryptoError> {
        use SignatureAlgorithm as A;
        let fits = match (alg, &self.key_type) {
            (_, CaKeyType::Other(what)) => return Err(CryptoError::UnsupportedKey(what.clone())),
            (A::RsaPkcs1Sha256 | A::RsaPkcs1Sha384 | A::RsaPkcs1Sha512, CaKeyType::Rsa) => true,
            (
                A::RsaPssSha256 | A::RsaPssSha384 | A::RsaPssSha512,
                CaKeyType::Rsa | CaKeyType::RsaPss,
            ) => true,
            (A::EcdsaSha256 | A::EcdsaSha384, CaKeyType::EcP256 | CaKeyType::EcP384) => true,
            (A::Ed25519, CaKeyType::Ed25519) => true,
            _ => false,
        };
        if !fits {
            return Err(CryptoError::AlgorithmKeyMismatch {
                alg,
                key: self.key_type.to_string(),
            });
        }
        if matches!(self.key_type, CaKeyType::Rsa | CaKeyType::RsaPss)
            && !(2048..=8192).contains(&self.modulus_bits)
        {
            return Err(CryptoError::UnsupportedKey(format!(
                "RSA modulus of {} bits (2048 to 8192 supported)",
                self.modulus_bits
            )));
        }
        Ok(())
    }

    /// Verifies `signature` over `message` with `alg`.
    #[inline]
    pub fn verify(
        &self,
        alg: SignatureAlgorithm,
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), CryptoError> {
        self.check_algorithm(alg)?;
        match self.provider {
            Provider::Ring => ring_verify(alg, &self.key_type, &self.bits, message, signature),
            #[cfg(feature = "aws-lc-rs")]
            Provider::AwsLc => {
                let slot = &self.parsed[alg_slot(alg)];
                let parsed = slot.get_or_init(|| {
                    aws_lc_rs::signature::ParsedPublicKey::new(
                        aws_algorithm(alg, &self.key_type)?,
                        &self.bits,
                    )
                    .ok()
                });
                match parsed {
                    Some(k) => k
                        .verify_sig(message, signature)
                        .map_err(|_| CryptoError::BadSignature),
                    None => Err(CryptoError::UnsupportedKey(format!(
                        "{} key rejected by aws-lc-rs",
                        self.key_type
                    ))),
                }
            }
        }
    }
}

fn ring_verify(
    alg: SignatureAlgorithm,
    key: &CaKeyType,
    bits: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    use ring::signature as s;
    use SignatureAlgorithm as A;
    let chosen: &'static dyn s::VerificationAlgorithm = match (alg, key) {
        (A::RsaPkcs1Sha256, _) => &s::RSA_PKCS1_2048_8192_SHA256,
        (A::RsaPkcs1Sha384, _) => &s::RSA_PKCS1_2048_8192_SHA384,
        (A::RsaPkcs1Sha512, _) => &s::RSA_PKCS1_2048_8192_SHA512,
        (A::RsaPssSha256, _) => &s::RSA_PSS_2048_8192_SHA256,
        (A::RsaPssSha384, _) => &s::RSA_PSS_2048_8192_SHA384,
        (A::RsaPssSha512, _) => &s::RSA_PSS_2048_8192_SHA512,
        (A::EcdsaSha256, CaKeyType::EcP256) => &s::ECDSA_P256_SHA256_ASN1,
        (A::EcdsaSha256, _) => &s::ECDSA_P384_SHA256_ASN1,
        (A::EcdsaSha384, CaKeyType::EcP256) => &s::ECDSA_P256_SHA384_ASN1,
        (A::EcdsaSha384, _) => &s::ECDSA_P384_SHA384_ASN1,
        (A::Ed25519, _) => &s::ED25519,
    };
    s::UnparsedPublicKey::new(chosen, bits)
        .verify(message, signature)
        .map_err(|_| CryptoError::BadSignature)
}

#[cfg(feature = "aws-lc-rs")]
fn aws_algorithm(
    alg: SignatureAlgorithm,
    key: &CaKeyType,
) -> Option<&'static dyn aws_lc_rs::signature::VerificationAlgorithm> {
    use aws_lc_rs::signature as s;
    use SignatureAlgorithm as A;
    Some(match (alg, key) {
        (A::RsaPkcs1Sha256, _) => &s::RSA_PKCS1_2048_8192_SHA256,
        (A::RsaPkcs1Sha384, _) => &s::RSA_PKCS1_2048_8192_SHA384,
        (A::RsaPkcs1Sha512, _) => &s::RSA_PKCS1_2048_8192_SHA512,
        (A::RsaPssSha256, _) => &s::RSA_PSS_2048_8192_SHA256,
        (A::RsaPssSha384, _) => &s::RSA_PSS_2048_8192_SHA384,
        (A::RsaPssSha512, _) => &s::RSA_PSS_2048_8192_SHA512,
        (A::EcdsaSha256, CaKeyType::EcP256) => &s::ECDSA_P256_SHA256_ASN1,
        (A::EcdsaSha256, _) => &s::ECDSA_P384_SHA256_ASN1,
        (A::EcdsaSha384, CaKeyType::EcP256) => &s::ECDSA_P256_SHA384_ASN1,
        (A::EcdsaSha384, _) => &s::ECDSA_P384_SHA384_ASN1,
        (A::Ed25519, _) => &s::ED25519,
    })
}

/// Bit length of an RSAPublicKey's modulus (0 if malformed).
pub(crate) fn rsa_modulus_bits(key: &[u8]) -> usize {
    let n = Reader::new(key)
        .read(tag::SEQUENCE)
        .and_then(|s| Reader::new(s.value).read(tag::INTEGER));
    match n {
        Ok(n) => {
            let v = n.value;
            let first = v.iter().position(|&b| b != 0).unwrap_or(v.len());
            match v.get(first) {
                Some(&b) => (v.len() - first) * 8 - b.leading_zeros() as usize,
                None => 0,
            }
        }
        Err(_) => 0,
    }
}

/// SHA-256 (ring's, on every build: digests are not part of the seam).
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let d = ring::digest::digest(&ring::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_agree_on_an_openssl_signature() {
        let dir = tempfile::tempdir().unwrap();
        let (der, _) = crate::ca::tests::openssl_ca(
            dir.path(),
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &[],
        );
        let ca = CaCert::from_der(&der).unwrap();
        // The self-signed certificate's own signature.
        let mut r = Reader::new(&der);
        let cert = r.read(tag::SEQUENCE).unwrap();
        let mut c = Reader::new(cert.value);
        let tbs = c.read(tag::SEQUENCE).unwrap().raw;
        c.read(tag::SEQUENCE).unwrap();
        let sig = c.read(tag::BIT_STRING).unwrap().value;
        let sig = &sig[1..];
        for &p in Provider::all() {
            let k = VerifyingKey::from_ca(&ca).with_provider(p);
            assert_eq!(k.provider(), p);
            k.verify(SignatureAlgorithm::RsaPkcs1Sha256, tbs, sig)
                .unwrap();
            // Twice: the cached parsed key is reused.
            k.verify(SignatureAlgorithm::RsaPkcs1Sha256, tbs, sig)
                .unwrap();
            let mut bad = tbs.to_vec();
            bad[10] ^= 1;
            assert_eq!(
                k.verify(SignatureAlgorithm::RsaPkcs1Sha256, &bad, sig),
                Err(CryptoError::BadSignature)
            );
            assert!(matches!(
                k.verify(SignatureAlgorithm::EcdsaSha256, tbs, sig),
                Err(CryptoError::AlgorithmKeyMismatch { .. })
            ));
        }
    }
}
