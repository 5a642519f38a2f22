//! Document signatures (署名検証): checks an RSA PKCS#1 v1.5 SHA-256
//! signature made by a My Number Card's signing key.
//!
//! The card receives a DER DigestInfo, pads it (EMSA-PKCS1-v1_5, RFC 8017
//! §9.2) and applies its private key; the verifier needs only the public
//! key and either the signed data or its SHA-256 digest. Callers often have
//! only the digest (a PDF or XAdES signer hashes the document elsewhere),
//! which ring cannot verify. So the decision is the signature backend's
//! where it can make it (aws-lc-rs verifies over the data or over a
//! digest; ring over the data), and otherwise the RustCrypto `rsa` crate's
//! [`Pkcs1v15Sign`] over the pre-computed hash — about ten times slower,
//! which a login server checking a card signature per request noticed.
//!
//! When verification fails we recover the encoded message (`s^e mod n`)
//! once more to say *why*: a well-formed PKCS#1 block over a different
//! SHA-256 digest means "this key signed something else"; a block that is
//! not PKCS#1 at all means "another key made it, or it is corrupt"; a
//! well-formed block over another hash algorithm says which one. The
//! decision itself is always the `rsa` crate's.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::{BigUint, Pkcs1v15Sign, RsaPublicKey};
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::der::{tag, Oid, Reader};

mod digest_info;

pub use digest_info::{verify_pkcs1_digest_info, DigestAlgorithm, DigestInfo, DigestInfoError};

/// What was signed: the data itself, or its SHA-256 digest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MessageRef<'a> {
    /// The signed bytes; kakunin hashes them with SHA-256.
    Data(&'a [u8]),
    /// The SHA-256 digest of the signed bytes.
    Digest([u8; 32]),
}

impl MessageRef<'_> {
    /// SHA-256 of the message.
    fn digest(&self) -> [u8; 32] {
        match self {
            MessageRef::Digest(d) => *d,
            MessageRef::Data(data) => {
                let d = ring::digest::digest(&ring::digest::SHA256, data);
                let mut out = [0u8; 32];
                out.copy_from_slice(d.as_ref());
                out
            }
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            MessageRef::Data(_) => "data",
            MessageRef::Digest(_) => "digest",
        }
    }
}

/// Why a document signature was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DocSigError {
    /// The key input is neither a DER/PEM SubjectPublicKeyInfo nor a
    /// DER/PEM certificate.
    #[error("key input is neither a SubjectPublicKeyInfo nor an X.509 certificate: {0}")]
    KeyInput(String),
    /// The key is not an rsaEncryption key (RFC 8017 / RFC 3279 §2.3.1).
    #[error("public key algorithm is {0}, not rsaEncryption (1.2.840.113549.1.1.1): JPKI signing keys are RSA")]
    NotRsa(String),
    /// The RSAPublicKey could not be decoded or is unusable.
    #[error("RSA public key is malformed or unsupported: {0}")]
    BadRsaKey(String),
    /// The RSA key is shorter than [`MIN_RSA_BITS`]: JPKI keys are
    /// RSA-2048, and anything shorter is too weak to be evidence of a
    /// signature (NIST SP 800-131A).
    #[error("RSA key is {0} bits; at least {MIN_RSA_BITS} are required")]
    KeyTooSmall(usize),
    /// The signature is not exactly as long as the modulus (RFC 8017 §8.2.2
    /// step 1): truncated, padded, or for another key size.
    #[error("signature is {found} bytes, the {bits}-bit key needs exactly {expected}")]
    SignatureLength {
        /// Modulus length in bytes.
        expected: usize,
        /// Signature length found.
        found: usize,
        /// Key size in bits.
        bits: usize,
    },
    /// The signature is a valid PKCS#1 v1.5 SHA-256 signature by this key,
    /// but over a different digest: the data or digest given is not what
    /// was signed.
    #[error(
        "signature is by this key but over a different SHA-256 digest: the {message} given is not what was signed"
    )]
    DigestMismatch {
        /// `data` or `digest`: which kind of message was given.
        message: &'static str,
    },
    /// The signature is by this key but the DigestInfo names another hash.
    #[error("signature is by this key but uses {0}, not SHA-256")]
    WrongHashAlgorithm(String),
    /// The recovered block is not PKCS#1 v1.5 at all: the signature was
    /// made by another key, or it is corrupt.
    #[error("signature does not verify with this key (made by another key, or corrupt): {0}")]
    WrongKeyOrCorrupt(&'static str),
}

/// The smallest RSA modulus accepted, in bits.
pub const MIN_RSA_BITS: usize = 2048;

/// DER DigestInfo prefix for SHA-256 (RFC 8017 §9.2 note 1).
const SHA256_PREFIX: &[u8] = &[
    0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0x04, 0x20,
];

/// Verifies an RSA PKCS#1 v1.5 SHA-256 signature (sha256WithRSAEncryption,
/// what a My Number Card's signing key makes).
///
/// `spki_der_or_cert` is the signer's key as a DER SubjectPublicKeyInfo or
/// a DER X.509 certificate (typically the JPKI signing certificate), or
/// either in PEM (`PUBLIC KEY` / `CERTIFICATE`). Only the key is used:
/// whether the certificate is valid is a separate question (chain and
/// revocation checks). The key must be RSA of at least [`MIN_RSA_BITS`]
/// bits, and `signature` exactly as long as the modulus.
pub fn verify_pkcs1_sha256(
    spki_der_or_cert: &[u8],
    signature: &[u8],
    message: MessageRef<'_>,
) -> Result<(), DocSigError> {
    let rsa_key = checked_rsa_key(spki_der_or_cert, signature)?;
    let rsa_key = &*rsa_key;
    let digest = message.digest();
    let data = match message {
        MessageRef::Data(d) => Some(d),
        MessageRef::Digest(_) => None,
    };
    // The backend decides where it can (aws-lc-rs: both forms; ring: over
    // the data); the `rsa` crate where it cannot, and to explain a failure.
    let verdict = crate::crypto::verify_rsa_sha256_once(rsa_key, data, &digest, signature);
    if verdict == Some(true) {
        return Ok(());
    }
    let key =
        RsaPublicKey::from_pkcs1_der(rsa_key).map_err(|e| DocSigError::BadRsaKey(e.to_string()))?;
    if verdict.is_none()
        && key
            .verify(Pkcs1v15Sign::new::<rsa::sha2::Sha256>(), &digest, signature)
            .is_ok()
    {
        return Ok(());
    }
    Err(diagnose(&key, signature, &digest, message.kind()))
}

/// The RSAPublicKey DER of a key or certificate (DER or PEM), checked to
/// be RSA of at least [`MIN_RSA_BITS`] bits with `signature` exactly as
/// long as its modulus.
fn checked_rsa_key<'a>(
    spki_der_or_cert: &'a [u8],
    signature: &[u8],
) -> Result<std::borrow::Cow<'a, [u8]>, DocSigError> {
    let rsa_key = match spki_of(spki_der_or_cert)? {
        std::borrow::Cow::Borrowed(spki) => std::borrow::Cow::Borrowed(rsa_key_bits(spki)?),
        std::borrow::Cow::Owned(spki) => std::borrow::Cow::Owned(rsa_key_bits(&spki)?.to_vec()),
    };
    let bits = crate::crypto::rsa_modulus_bits(&rsa_key);
    if bits == 0 {
        return Err(DocSigError::BadRsaKey("no modulus in RSAPublicKey".into()));
    }
    if bits < MIN_RSA_BITS {
        return Err(DocSigError::KeyTooSmall(bits));
    }
    let k = bits.div_ceil(8);
    if signature.len() != k {
        return Err(DocSigError::SignatureLength {
            expected: k,
            found: signature.len(),
            bits,
        });
    }
    Ok(rsa_key)
}

/// Recovers `EM = s^e mod n` and explains why it is not the expected
/// encoding. Only called after the `rsa` crate has rejected the signature.
fn diagnose(key: &RsaPublicKey, sig: &[u8], digest: &[u8; 32], kind: &'static str) -> DocSigError {
    let s = BigUint::from_bytes_be(sig);
    if &s >= key.n() {
        return DocSigError::WrongKeyOrCorrupt("signature value is not less than the modulus");
    }
    let m = s.modpow(key.e(), key.n()).to_bytes_be();
    let k = key.size();
    let mut em = vec![0u8; k.saturating_sub(m.len())];
    em.extend_from_slice(&m);
    // EM = 0x00 || 0x01 || PS (0xFF, ≥ 8 bytes) || 0x00 || DigestInfo
    let Some(rest) = em.strip_prefix(&[0x00, 0x01]) else {
        return DocSigError::WrongKeyOrCorrupt("recovered block does not start with 00 01");
    };
    let ff = rest.iter().take_while(|&&b| b == 0xFF).count();
    let Some((&0x00, digest_info)) = rest.get(ff..).and_then(<[u8]>::split_first) else {
        return DocSigError::WrongKeyOrCorrupt("recovered block has no 00 after the FF padding");
    };
    if ff < 8 {
        return DocSigError::WrongKeyOrCorrupt("recovered block has under 8 bytes of padding");
    }
    match digest_info.strip_prefix(SHA256_PREFIX) {
        Some(h) if h == digest => {
            // Well-formed and matching, yet the rsa crate said no: should
            // not happen; report it as corrupt rather than accept.
            DocSigError::WrongKeyOrCorrupt("encoding matches but verification failed")
        }
        Some(h) if h.len() == 32 => DocSigError::DigestMismatch { message: kind },
        _ => DocSigError::WrongHashAlgorithm(hash_name(digest_info)),
    }
}

/// Names the hash in a DigestInfo, for the error message.
fn hash_name(digest_info: &[u8]) -> String {
    let oid = (|| {
        let di = Reader::new(digest_info).read(tag::SEQUENCE).ok()?;
        let alg = Reader::new(di.value).read(tag::SEQUENCE).ok()?;
        Reader::new(alg.value).read(tag::OID).ok().map(|t| t.value)
    })();
    const SHA2: &[u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02];
    match oid {
        Some([0x2B, 0x0E, 0x03, 0x02, 0x1A]) => "SHA-1".into(),
        Some(o) if o.starts_with(SHA2) && o.len() == SHA2.len() + 1 => match o[SHA2.len()] {
            1 => "SHA-256 with a malformed DigestInfo".into(),
            2 => "SHA-384".into(),
            3 => "SHA-512".into(),
            4 => "SHA-224".into(),
            _ => format!("hash {}", Oid(o)),
        },
        Some(o) => format!("hash {}", Oid(o)),
        None => "a malformed DigestInfo".into(),
    }
}

/// Extracts and decodes the RSA key from an SPKI or a certificate, DER or
/// PEM.
/// The SubjectPublicKeyInfo of a DER or PEM key or certificate.
fn spki_of(input: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, DocSigError> {
    if input.first() != Some(&tag::SEQUENCE) {
        // PEM: the first CERTIFICATE or PUBLIC KEY block.
        for pem in x509_parser::pem::Pem::iter_from_buffer(input) {
            let pem = pem.map_err(|e| DocSigError::KeyInput(format!("PEM: {e}")))?;
            if pem.label == "CERTIFICATE" || pem.label == "PUBLIC KEY" {
                return spki_der(&pem.contents).map(|s| std::borrow::Cow::Owned(s.to_vec()));
            }
        }
        return Err(DocSigError::KeyInput(
            "not DER and no CERTIFICATE or PUBLIC KEY PEM block".into(),
        ));
    }
    spki_der(input).map(std::borrow::Cow::Borrowed)
}

fn spki_der(der: &[u8]) -> Result<&[u8], DocSigError> {
    let bad = |e: &dyn std::fmt::Display| DocSigError::KeyInput(e.to_string());
    let mut outer = Reader::new(der);
    let seq = outer.read(tag::SEQUENCE).map_err(|e| bad(&e))?;
    outer.finish().map_err(|e| bad(&e))?;
    let first = Reader::new(seq.value)
        .read(tag::SEQUENCE)
        .map_err(|e| bad(&e))?;
    // An SPKI's first element is the AlgorithmIdentifier (starts with an
    // OID); a certificate's is the TBSCertificate (starts with [0] or an
    // INTEGER).
    if Reader::new(first.value).peek_tag() == Some(tag::OID) {
        return Ok(der);
    }
    // The verifier's zero-copy reader first (a login checks a signature
    // per request); x509-parser for what it refuses but x509-parser reads
    // (an unsupported signature algorithm is no concern here).
    if let Ok(c) = crate::cert::Cert::parse(der) {
        return Ok(c.spki);
    }
    let (_, cert) = X509Certificate::from_der(der).map_err(|e| bad(&e))?;
    Ok(cert.tbs_certificate.subject_pki.raw)
}

/// The RSAPublicKey DER inside a SubjectPublicKeyInfo ::= SEQUENCE {
/// algorithm AlgorithmIdentifier, subjectPublicKey BIT STRING } (RFC 5280
/// §4.1.2.7), checked to be rsaEncryption.
fn rsa_key_bits(spki: &[u8]) -> Result<&[u8], DocSigError> {
    let bad =
        |e: &dyn std::fmt::Display| DocSigError::KeyInput(format!("SubjectPublicKeyInfo: {e}"));
    let seq = Reader::new(spki).read(tag::SEQUENCE).map_err(|e| bad(&e))?;
    let mut r = Reader::new(seq.value);
    let alg = r.read(tag::SEQUENCE).map_err(|e| bad(&e))?;
    let bits = r.read(tag::BIT_STRING).map_err(|e| bad(&e))?;
    r.finish().map_err(|e| bad(&e))?;
    let oid = Reader::new(alg.value)
        .read(tag::OID)
        .map_err(|e| bad(&e))?
        .value;
    if oid != crate::oid::RSA_ENCRYPTION {
        return Err(DocSigError::NotRsa(Oid(oid).to_string()));
    }
    let (unused, key) = crate::der::bit_string(bits.value).map_err(|e| bad(&e))?;
    if unused != 0 {
        return Err(DocSigError::BadRsaKey(
            "subjectPublicKey has unused bits".into(),
        ));
    }
    Ok(key)
}

#[cfg(test)]
mod tests;
