//! DER `DigestInfo` (RFC 8017 §9.2): what a My Number Card's signing key
//! signs. A signing service is handed either a bare SHA-256 digest or a
//! whole DigestInfo (an XML signature or a J-LIS submission names its own
//! hash); both end up as one of the three encodings RFC 8017 §9.2 note 1
//! lists, byte for byte, so that what the card signs, what the verifier
//! expects and what the evidence keeps are the same bytes.
//!
//! Only SHA-256, SHA-384 and SHA-512 are accepted. SHA-1 is refused by
//! name: it is still found in old XML signature profiles, and a signature
//! over a SHA-1 digest is no longer evidence of anything (collisions are
//! practical since 2017, SHAttered). Parameters must be the explicit NULL
//! the RFC's encodings carry; an absent-parameters form is refused rather
//! than re-encoded, since then the bytes signed would not be the bytes
//! given.

use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::{Pkcs1v15Sign, RsaPublicKey};

use super::{checked_rsa_key, verify_pkcs1_sha256, DocSigError, MessageRef};

/// A hash a DigestInfo may name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DigestAlgorithm {
    /// SHA-256 (what JPKI signatures use).
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl DigestAlgorithm {
    /// `SHA-256`, `SHA-384`, `SHA-512`.
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
        }
    }

    /// The digest's length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha256 => 32,
            DigestAlgorithm::Sha384 => 48,
            DigestAlgorithm::Sha512 => 64,
        }
    }

    /// The DER prefix of its DigestInfo (RFC 8017 §9.2 note 1): everything
    /// before the digest octets.
    fn prefix(self) -> &'static [u8] {
        match self {
            DigestAlgorithm::Sha256 => &[
                0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x01, 0x05, 0x00, 0x04, 0x20,
            ],
            DigestAlgorithm::Sha384 => &[
                0x30, 0x41, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x02, 0x05, 0x00, 0x04, 0x30,
            ],
            DigestAlgorithm::Sha512 => &[
                0x30, 0x51, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
                0x03, 0x05, 0x00, 0x04, 0x40,
            ],
        }
    }

    const ALL: [DigestAlgorithm; 3] = [
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
    ];
}

/// Why bytes are not a DigestInfo a card may sign.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DigestInfoError {
    /// The DigestInfo names SHA-1.
    #[error("expected a DigestInfo over SHA-256, SHA-384 or SHA-512, found SHA-1 (no longer accepted for signatures: collisions are practical)")]
    Sha1,
    /// The DigestInfo names another hash, or encodes one differently.
    #[error("expected a DER DigestInfo over SHA-256, SHA-384 or SHA-512 as RFC 8017 §9.2 encodes it, found {0}")]
    Unsupported(String),
    /// A digest of the wrong length for its algorithm.
    #[error("expected a {alg} digest of {expected} bytes, found {found} bytes")]
    Length {
        /// The algorithm's name.
        alg: &'static str,
        /// Its digest length.
        expected: usize,
        /// The length given.
        found: usize,
    },
}

/// A DigestInfo in the exact DER a card signs.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct DigestInfo {
    alg: DigestAlgorithm,
    der: Vec<u8>,
}

impl DigestInfo {
    /// The DigestInfo of `digest` made with `alg`.
    pub fn new(alg: DigestAlgorithm, digest: &[u8]) -> Result<DigestInfo, DigestInfoError> {
        if digest.len() != alg.digest_len() {
            return Err(DigestInfoError::Length {
                alg: alg.name(),
                expected: alg.digest_len(),
                found: digest.len(),
            });
        }
        let mut der = alg.prefix().to_vec();
        der.extend_from_slice(digest);
        Ok(DigestInfo { alg, der })
    }

    /// Reads a DER DigestInfo, accepting only the three encodings of
    /// RFC 8017 §9.2 note 1.
    pub fn parse(der: &[u8]) -> Result<DigestInfo, DigestInfoError> {
        for alg in DigestAlgorithm::ALL {
            if let Some(digest) = der.strip_prefix(alg.prefix()) {
                return DigestInfo::new(alg, digest);
            }
        }
        const SHA1_OID: &[u8] = &[0x06, 0x05, 0x2B, 0x0E, 0x03, 0x02, 0x1A];
        if der.windows(SHA1_OID.len()).take(8).any(|w| w == SHA1_OID) {
            return Err(DigestInfoError::Sha1);
        }
        let shown: String = der.iter().take(24).map(|b| format!("{b:02x}")).collect();
        let more = if der.len() > 24 { "…" } else { "" };
        Err(DigestInfoError::Unsupported(format!(
            "{} bytes beginning {shown}{more}",
            der.len()
        )))
    }

    /// The hash it names.
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.alg
    }

    /// The digest octets.
    pub fn digest(&self) -> &[u8] {
        &self.der[self.alg.prefix().len()..]
    }

    /// The DER bytes (what the card's COMPUTE DIGITAL SIGNATURE takes).
    pub fn as_der(&self) -> &[u8] {
        &self.der
    }
}

/// Verifies an RSA PKCS#1 v1.5 signature over `digest_info` by the key of
/// `spki_der_or_cert` (as [`verify_pkcs1_sha256`] takes it). SHA-256 goes
/// through [`verify_pkcs1_sha256`] (its fast path and its diagnosis of a
/// failure); the others through the `rsa` crate over the whole DigestInfo.
pub fn verify_pkcs1_digest_info(
    spki_der_or_cert: &[u8],
    signature: &[u8],
    digest_info: &DigestInfo,
) -> Result<(), DocSigError> {
    if digest_info.alg == DigestAlgorithm::Sha256 {
        let mut d = [0u8; 32];
        d.copy_from_slice(digest_info.digest());
        return verify_pkcs1_sha256(spki_der_or_cert, signature, MessageRef::Digest(d));
    }
    let rsa_key = checked_rsa_key(spki_der_or_cert, signature)?;
    let key = RsaPublicKey::from_pkcs1_der(&rsa_key)
        .map_err(|e| DocSigError::BadRsaKey(e.to_string()))?;
    key.verify(
        Pkcs1v15Sign::new_unprefixed(),
        digest_info.as_der(),
        signature,
    )
    .map_err(|_| {
        DocSigError::WrongKeyOrCorrupt(
            "no PKCS#1 v1.5 block over this DigestInfo (another key, another digest, or corrupt)",
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_encodings_round_trip() {
        for alg in DigestAlgorithm::ALL {
            let digest = vec![0xA5; alg.digest_len()];
            let di = DigestInfo::new(alg, &digest).unwrap();
            assert_eq!(di.as_der().len(), 19 + alg.digest_len());
            let back = DigestInfo::parse(di.as_der()).unwrap();
            assert_eq!(back, di);
            assert_eq!(back.digest(), &digest[..]);
        }
    }

    #[test]
    fn refusals_name_the_problem() {
        assert_eq!(
            DigestInfo::new(DigestAlgorithm::Sha256, &[0; 31]).unwrap_err(),
            DigestInfoError::Length {
                alg: "SHA-256",
                expected: 32,
                found: 31
            }
        );
        // SHA-1 DigestInfo (RFC 8017 §9.2 note 1).
        let mut sha1 = vec![
            0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a, 0x05, 0x00, 0x04,
            0x14,
        ];
        sha1.extend_from_slice(&[0; 20]);
        assert_eq!(DigestInfo::parse(&sha1).unwrap_err(), DigestInfoError::Sha1);
        // SHA-256 with absent parameters: refused, not re-encoded.
        let mut absent = vec![
            0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x04, 0x20,
        ];
        absent.extend_from_slice(&[0; 32]);
        let e = DigestInfo::parse(&absent).unwrap_err().to_string();
        assert!(e.contains("49 bytes beginning 302f300b"), "{e}");
        // A SHA-256 prefix with a digest too long.
        let mut long = DigestAlgorithm::Sha256.prefix().to_vec();
        long.extend_from_slice(&[0; 33]);
        assert!(matches!(
            DigestInfo::parse(&long),
            Err(DigestInfoError::Length { found: 33, .. })
        ));
        assert!(matches!(
            DigestInfo::parse(&[]),
            Err(DigestInfoError::Unsupported(_))
        ));
    }
}
