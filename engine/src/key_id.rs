//! Which CA key issued something.
//!
//! Several JPKI CA generations share one distinguished name, so a name never
//! says which key signed a CRL. We name a CA key by its key identifier: the
//! value of its SubjectKeyIdentifier extension, or, when the certificate has
//! none, the SHA-1 of its subjectPublicKey bits (RFC 5280 §4.2.1.2, method
//! 1), which is what certificates then carry in AuthorityKeyIdentifier.

use std::fmt;

/// Longest key identifier we keep. SHA-1 ids are 20 bytes; some CAs use
/// truncated or full SHA-256 ids.
pub(crate) const MAX_KEY_ID_LEN: usize = 32;

/// A key identifier that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyIdError {
    /// Empty or longer than `MAX_KEY_ID_LEN` bytes.
    #[error("key identifier must be 1 to {MAX_KEY_ID_LEN} bytes, got {0}")]
    BadLength(usize),
    /// Hex text that did not decode.
    #[error("key identifier {0:?} is not hex")]
    NotHex(String),
}

/// The identifier of an issuing CA key (see the module docs).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssuerKeyId {
    len: u8,
    bytes: [u8; MAX_KEY_ID_LEN],
}

impl IssuerKeyId {
    /// Wraps raw identifier bytes.
    pub fn from_bytes(id: &[u8]) -> Result<IssuerKeyId, KeyIdError> {
        if id.is_empty() || id.len() > MAX_KEY_ID_LEN {
            return Err(KeyIdError::BadLength(id.len()));
        }
        let mut bytes = [0u8; MAX_KEY_ID_LEN];
        bytes[..id.len()].copy_from_slice(id);
        Ok(IssuerKeyId {
            len: id.len() as u8,
            bytes,
        })
    }

    /// RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING
    /// contents (without tag, length and unused-bits octet).
    pub fn from_public_key_bits(subject_public_key: &[u8]) -> IssuerKeyId {
        let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, subject_public_key);
        match IssuerKeyId::from_bytes(d.as_ref()) {
            Ok(id) => id,
            Err(_) => unreachable!("SHA-1 is 20 bytes"),
        }
    }

    /// Parses hex (any case, `:` separators allowed as OpenSSL prints them).
    pub fn from_hex(text: &str) -> Result<IssuerKeyId, KeyIdError> {
        let clean: String = text.trim().chars().filter(|c| *c != ':').collect();
        let raw = hex::decode(&clean).map_err(|_| KeyIdError::NotHex(text.to_string()))?;
        IssuerKeyId::from_bytes(&raw)
    }

    /// The identifier bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// Lower-case hex, no separators.
    pub fn to_hex(&self) -> String {
        hex::encode(self.as_bytes())
    }
}

impl fmt::Display for IssuerKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for IssuerKeyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IssuerKeyId({})", self.to_hex())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_limits() {
        let id = IssuerKeyId::from_hex("AB:cd:01").unwrap();
        assert_eq!(id.as_bytes(), &[0xAB, 0xCD, 0x01]);
        assert_eq!(id.to_hex(), "abcd01");
        assert!(IssuerKeyId::from_hex("").is_err());
        assert!(IssuerKeyId::from_hex("zz").is_err());
        assert!(IssuerKeyId::from_bytes(&[0; 33]).is_err());
        assert_eq!(IssuerKeyId::from_public_key_bits(b"k").as_bytes().len(), 20);
    }
}
