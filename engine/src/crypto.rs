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
//! Both can be compiled in at once (benches compare them); `Provider::DEFAULT`
//! is aws-lc-rs when its feature is on.
//!
//! Under either backend, [`VerifyingKey::verify_many`] (what batch
//! verification calls) takes RSA-2048 PKCS#1 v1.5 SHA-256 signatures eight
//! at a time through an AVX-512 IFMA kernel (`rsa_ifma`) on CPUs that have
//! it: ~2.7× the backend's rate. The kernel can only accept a signature
//! whose computed encoding is exactly the expected one; everything else is
//! decided by the backend.
//!
//! Which algorithm fits which key follows RFC 5280 §4.1.1.2 / §4.1.2.7,
//! RFC 4055 (RSA, PSS), RFC 5758 (ECDSA) and RFC 8410 (Ed25519); RSA
//! moduli outside 2048..=8192 bits are refused (both backends' limits).

use std::fmt;

#[cfg(target_arch = "x86_64")]
mod rsa_ifma;
#[cfg(any(feature = "aws-lc-rs", target_arch = "x86_64"))]
use std::sync::OnceLock;

use crate::ca::{CaCert, CaKeyType};
use crate::der::{tag, Reader};
use crate::sigalg::SignatureAlgorithm;

/// A signature backend compiled into this build. Callers get the default
/// (`Provider::DEFAULT`); the choice is exposed only to kakunin's own
/// benches and cross-checks (`internals`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub(crate) enum Provider {
    /// ring 0.17.
    Ring,
    /// aws-lc-rs 1.x (feature `aws-lc-rs`).
    #[cfg(feature = "aws-lc-rs")]
    AwsLc,
}

impl Provider {
    /// The backend used unless a caller picks one: aws-lc-rs when built in.
    #[cfg(feature = "aws-lc-rs")]
    pub(crate) const DEFAULT: Provider = Provider::AwsLc;
    /// The backend used unless a caller picks one.
    #[cfg(not(feature = "aws-lc-rs"))]
    pub(crate) const DEFAULT: Provider = Provider::Ring;

    /// Every backend compiled into this build.
    #[cfg(any(test, feature = "internals"))]
    pub(crate) fn all() -> &'static [Provider] {
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
    pub(crate) fn name(self) -> &'static str {
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

/// The IFMA path's key and its modulus as 256 big-endian bytes.
#[cfg(target_arch = "x86_64")]
type IfmaKey = (rsa_ifma::Key, [u8; rsa_ifma::MODULUS_BYTES]);

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
    /// The eight-at-a-time path of [`VerifyingKey::verify_many`], for
    /// RSA-2048 keys with e = 65537 on CPUs with AVX-512 IFMA. Made on the
    /// first `verify_many`: its Montgomery constant takes a big-number
    /// division, which keys only ever used one signature at a time (the
    /// server's, a CA certificate's) need not pay.
    #[cfg(target_arch = "x86_64")]
    multi: OnceLock<Option<Box<IfmaKey>>>,
}

/// One signature of a [`VerifyingKey::verify_many`] call.
#[derive(Clone, Copy, Debug)]
pub struct Signed<'a> {
    /// The algorithm named by the signed object.
    pub alg: SignatureAlgorithm,
    /// The signed bytes (a TBSCertificate, say).
    pub message: &'a [u8],
    /// The signature value.
    pub signature: &'a [u8],
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
    pub(crate) fn new(key_type: CaKeyType, bits: &[u8], provider: Provider) -> VerifyingKey {
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
            #[cfg(target_arch = "x86_64")]
            multi: OnceLock::new(),
        }
    }

    /// The IFMA path's key, made on first use (None: not an RSA-2048 key
    /// with e = 65537, or no IFMA on this CPU).
    #[cfg(target_arch = "x86_64")]
    fn multi(&self) -> Option<&IfmaKey> {
        self.multi
            .get_or_init(|| match self.key_type {
                CaKeyType::Rsa => rsa_components(&self.bits).and_then(|(n, e)| {
                    let key = rsa_ifma::Key::new(n, e)?;
                    let n = n[n.len() - rsa_ifma::MODULUS_BYTES..].try_into().ok()?;
                    Some(Box::new((key, n)))
                }),
                _ => None,
            })
            .as_deref()
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
    #[cfg(any(test, feature = "internals"))]
    pub(crate) fn with_provider(&self, provider: Provider) -> VerifyingKey {
        VerifyingKey::new(self.key_type.clone(), &self.bits, provider)
    }

    /// The backend.
    #[cfg(test)]
    pub(crate) fn provider(&self) -> Provider {
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

impl VerifyingKey {
    /// Verifies many signatures made with this key: the same answers as
    /// [`VerifyingKey::verify`] on each, in order.
    ///
    /// RSA-2048 PKCS#1 v1.5 SHA-256 signatures go eight at a time through
    /// the AVX-512 IFMA path where the CPU has it (about 1.7× the rate of
    /// one-at-a-time verification); that path only ever *accepts* — when
    /// its result is not exactly the expected encoding, the signature is
    /// checked again by the backend, whose answer stands.
    pub fn verify_many(&self, items: &[Signed<'_>]) -> Vec<Result<(), CryptoError>> {
        #[allow(unused_mut)]
        let mut out: Vec<Option<Result<(), CryptoError>>> = vec![None; items.len()];
        #[cfg(target_arch = "x86_64")]
        if let Some(multi) = self.multi() {
            self.verify_multi(&multi.0, &multi.1, items, &mut out);
        }
        out.into_iter()
            .zip(items)
            .map(|(done, it)| match done {
                Some(r) => r,
                None => self.verify(it.alg, it.message, it.signature),
            })
            .collect()
    }

    /// Fills `out[i]` with `Ok` for each item the IFMA path accepts.
    #[cfg(target_arch = "x86_64")]
    fn verify_multi(
        &self,
        key: &rsa_ifma::Key,
        n: &[u8; rsa_ifma::MODULUS_BYTES],
        items: &[Signed<'_>],
        out: &mut [Option<Result<(), CryptoError>>],
    ) {
        use rsa_ifma::{LANES, MODULUS_BYTES};
        // RFC 8017 §8.2.2: the signature is exactly k bytes and, as an
        // integer, below n; other shapes are left to the backend.
        let eligible: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, it)| {
                it.alg == SignatureAlgorithm::RsaPkcs1Sha256
                    && it.signature.len() == MODULUS_BYTES
                    && it.signature < &n[..]
            })
            .map(|(i, _)| i)
            .collect();
        for group in eligible.chunks(LANES) {
            let sigs: [[u8; MODULUS_BYTES]; LANES] = std::array::from_fn(|l| {
                let it = &items[group[l % group.len()]];
                let mut s = [0u8; MODULUS_BYTES];
                s.copy_from_slice(it.signature);
                s
            });
            let got = key.pow_e(&sigs);
            for (l, &i) in group.iter().enumerate() {
                if got[l] == pkcs1_sha256_encoding(items[i].message) {
                    out[i] = Some(Ok(()));
                }
            }
        }
    }
}

/// EMSA-PKCS1-v1_5 encoding (RFC 8017 §9.2) of SHA-256(`message`) for a
/// 2048-bit modulus: 00 01 FF…FF 00 DigestInfo.
#[cfg(target_arch = "x86_64")]
fn pkcs1_sha256_encoding(message: &[u8]) -> [u8; rsa_ifma::MODULUS_BYTES] {
    /// DER of DigestInfo's AlgorithmIdentifier for SHA-256 with NULL
    /// parameters, and the OCTET STRING header (RFC 8017 §9.2 note 1).
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut em = [0xffu8; rsa_ifma::MODULUS_BYTES];
    em[0] = 0;
    em[1] = 1;
    let t = rsa_ifma::MODULUS_BYTES - PREFIX.len() - 32;
    em[t - 1] = 0;
    em[t..t + PREFIX.len()].copy_from_slice(&PREFIX);
    em[t + PREFIX.len()..].copy_from_slice(&sha256(message));
    em
}

/// (modulus, publicExponent) contents of an RSAPublicKey (RFC 8017 A.1.1).
#[cfg(target_arch = "x86_64")]
fn rsa_components(key: &[u8]) -> Option<(&[u8], &[u8])> {
    let seq = Reader::new(key).read(tag::SEQUENCE).ok()?;
    let mut r = Reader::new(seq.value);
    let n = r.read(tag::INTEGER).ok()?.value;
    let e = r.read(tag::INTEGER).ok()?.value;
    Some((n, e))
}

/// Verifies one RSA PKCS#1 v1.5 SHA-256 signature with `rsa_public_key`
/// (the DER RSAPublicKey of a subjectPublicKey), parsing the key for this
/// one use, with the default backend: over `data` when given, else over
/// its SHA-256 `digest`. `None` when the backend cannot check that form
/// (ring verifies only over the data).
pub(crate) fn verify_rsa_sha256_once(
    rsa_public_key: &[u8],
    data: Option<&[u8]>,
    digest: &[u8; 32],
    signature: &[u8],
) -> Option<bool> {
    #[cfg(feature = "aws-lc-rs")]
    {
        use aws_lc_rs::signature as s;
        let key = s::UnparsedPublicKey::new(&s::RSA_PKCS1_2048_8192_SHA256, rsa_public_key);
        let ok = match data {
            Some(d) => key.verify(d, signature).is_ok(),
            None => {
                let d =
                    aws_lc_rs::digest::Digest::import_less_safe(digest, &aws_lc_rs::digest::SHA256)
                        .ok()?;
                key.verify_digest(&d, signature).is_ok()
            }
        };
        Some(ok)
    }
    #[cfg(not(feature = "aws-lc-rs"))]
    {
        let _ = digest;
        use ring::signature as s;
        let data = data?;
        Some(
            s::UnparsedPublicKey::new(&s::RSA_PKCS1_2048_8192_SHA256, rsa_public_key)
                .verify(data, signature)
                .is_ok(),
        )
    }
}

/// The backend's verification algorithm for `alg` with a `key`: one table
/// for both backends, which name their algorithm statics alike (`$s` is
/// `ring::signature` or `aws_lc_rs::signature`).
macro_rules! verification_algorithm {
    ($s:ident, $alg:expr, $key:expr) => {{
        use SignatureAlgorithm as A;
        match ($alg, $key) {
            (A::RsaPkcs1Sha256, _) => &$s::RSA_PKCS1_2048_8192_SHA256,
            (A::RsaPkcs1Sha384, _) => &$s::RSA_PKCS1_2048_8192_SHA384,
            (A::RsaPkcs1Sha512, _) => &$s::RSA_PKCS1_2048_8192_SHA512,
            (A::RsaPssSha256, _) => &$s::RSA_PSS_2048_8192_SHA256,
            (A::RsaPssSha384, _) => &$s::RSA_PSS_2048_8192_SHA384,
            (A::RsaPssSha512, _) => &$s::RSA_PSS_2048_8192_SHA512,
            (A::EcdsaSha256, CaKeyType::EcP256) => &$s::ECDSA_P256_SHA256_ASN1,
            (A::EcdsaSha256, _) => &$s::ECDSA_P384_SHA256_ASN1,
            (A::EcdsaSha384, CaKeyType::EcP256) => &$s::ECDSA_P256_SHA384_ASN1,
            (A::EcdsaSha384, _) => &$s::ECDSA_P384_SHA384_ASN1,
            (A::Ed25519, _) => &$s::ED25519,
        }
    }};
}

fn ring_verify(
    alg: SignatureAlgorithm,
    key: &CaKeyType,
    bits: &[u8],
    message: &[u8],
    signature: &[u8],
) -> Result<(), CryptoError> {
    use ring::signature as s;
    let chosen: &'static dyn s::VerificationAlgorithm = verification_algorithm!(s, alg, key);
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
    Some(verification_algorithm!(s, alg, key))
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

    /// A self-signed RSA-2048 CA made by OpenSSL (key in `dir/ca.key`).
    fn rsa_ca(dir: &std::path::Path) -> (Vec<u8>, CaCert) {
        let (der, _) = crate::ca::tests::openssl_ca(
            dir,
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &[],
        );
        let ca = CaCert::from_der(&der).unwrap();
        (der, ca)
    }

    #[test]
    fn both_backends_agree_on_an_openssl_signature() {
        let dir = tempfile::tempdir().unwrap();
        let (der, ca) = rsa_ca(dir.path());
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

    /// `verify_many` agrees with `verify` item by item, on signatures made
    /// by `openssl dgst -sign` and on every way to spoil one; with more
    /// items than one group of eight so a partial group is exercised.
    #[test]
    fn verify_many_matches_verify() {
        let dir = tempfile::tempdir().unwrap();
        let (_, ca) = rsa_ca(dir.path());
        let mut messages = Vec::new();
        let mut sigs = Vec::new();
        for i in 0..11u8 {
            let msg = vec![i; 100 + usize::from(i) * 37];
            let m = dir.path().join(format!("m{i}"));
            std::fs::write(&m, &msg).unwrap();
            let key = dir.path().join("ca.key");
            let sig = kakunin_testkit::openssl(&[
                "dgst",
                "-sha256",
                "-sign",
                kakunin_testkit::path_str(&key),
                kakunin_testkit::path_str(&m),
            ]);
            messages.push(msg);
            sigs.push(sig);
        }
        let n = rsa_components(ca.public_key_bits()).unwrap().0.to_vec();
        let mut above_n = n[1..].to_vec();
        *above_n.last_mut().unwrap() = 0xff;
        let mut flipped = sigs[2].clone();
        flipped[100] ^= 4;
        let short = sigs[3][1..].to_vec();
        let mut items: Vec<Signed<'_>> = messages
            .iter()
            .zip(&sigs)
            .map(|(m, s)| Signed {
                alg: SignatureAlgorithm::RsaPkcs1Sha256,
                message: m,
                signature: s,
            })
            .collect();
        let good = items.len();
        items.push(Signed {
            signature: &flipped,
            ..items[2]
        });
        items.push(Signed {
            message: &messages[5],
            ..items[4]
        });
        items.push(Signed {
            signature: &above_n,
            ..items[1]
        });
        items.push(Signed {
            signature: &short,
            ..items[3]
        });
        items.push(Signed {
            alg: SignatureAlgorithm::RsaPkcs1Sha384,
            ..items[0]
        });
        for &p in Provider::all() {
            let k = VerifyingKey::from_ca(&ca).with_provider(p);
            let many = k.verify_many(&items);
            for (i, (it, got)) in items.iter().zip(&many).enumerate() {
                assert_eq!(got, &k.verify(it.alg, it.message, it.signature), "item {i}");
                assert_eq!(got.is_ok(), i < good, "item {i}");
            }
            // The IFMA path alone accepts exactly the good ones.
            #[cfg(target_arch = "x86_64")]
            if let Some(multi) = k.multi() {
                let mut fast = vec![None; items.len()];
                k.verify_multi(&multi.0, &multi.1, &items, &mut fast);
                for (i, f) in fast.iter().enumerate() {
                    assert_eq!(f.is_some(), i < good, "item {i}");
                }
            } else {
                assert!(
                    !rsa_ifma::available(),
                    "a 2048-bit RSA key gets the IFMA path"
                );
            }
        }
    }
}
