//! The CRL number (RFC 5280 §5.2.3): a non-negative INTEGER of at most 20
//! octets that grows with every CRL a CA issues. We use it to refuse a
//! rollback to an older CRL and to tie a delta CRL to its base.

use std::fmt;

/// Longest CRL number RFC 5280 allows, in content octets (20, plus a sign
/// octet).
pub(crate) const MAX_CRL_NUMBER_LEN: usize = 21;

/// A CRL number that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CrlNumberError {
    /// Negative, empty, or more than 20 octets (RFC 5280 §5.2.3).
    #[error("CRL number must be a non-negative integer of at most 20 octets")]
    OutOfRange,
}

/// A CRL number, kept as its magnitude in big-endian bytes without leading
/// zeros so that comparison is by value.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CrlNumber {
    len: u8,
    bytes: [u8; 20],
}

impl CrlNumber {
    /// Reads the content octets of the DER INTEGER.
    pub fn from_der_content(content: &[u8]) -> Result<CrlNumber, CrlNumberError> {
        if content.is_empty() || content.len() > MAX_CRL_NUMBER_LEN || content[0] & 0x80 != 0 {
            return Err(CrlNumberError::OutOfRange);
        }
        let first = content
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(content.len());
        CrlNumber::from_magnitude(&content[first..])
    }

    /// From big-endian magnitude bytes (leading zeros allowed).
    pub fn from_magnitude(mag: &[u8]) -> Result<CrlNumber, CrlNumberError> {
        let first = mag.iter().position(|&b| b != 0).unwrap_or(mag.len());
        let m = &mag[first..];
        if m.len() > 20 {
            return Err(CrlNumberError::OutOfRange);
        }
        let mut bytes = [0u8; 20];
        bytes[..m.len()].copy_from_slice(m);
        Ok(CrlNumber {
            len: m.len() as u8,
            bytes,
        })
    }

    /// From a small number.
    pub fn from_u64(v: u64) -> CrlNumber {
        match CrlNumber::from_magnitude(&v.to_be_bytes()) {
            Ok(n) => n,
            Err(_) => unreachable!("8 bytes always fit"),
        }
    }

    /// The magnitude, big-endian, no leading zeros (empty for zero).
    pub fn magnitude(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }
}

impl Ord for CrlNumber {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.len
            .cmp(&other.len)
            .then_with(|| self.magnitude().cmp(other.magnitude()))
    }
}

impl PartialOrd for CrlNumber {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for CrlNumber {
    /// Decimal when it fits 128 bits (every CA we know), else `0x` hex.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = self.magnitude();
        if m.len() <= 16 {
            let mut be = [0u8; 16];
            be[16 - m.len()..].copy_from_slice(m);
            write!(f, "{}", u128::from_be_bytes(be))
        } else {
            write!(f, "0x{}", hex::encode_upper(m))
        }
    }
}

impl fmt::Debug for CrlNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CrlNumber({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_by_value() {
        let a = CrlNumber::from_der_content(&[0x00, 0xFF]).unwrap();
        let b = CrlNumber::from_der_content(&[0x01, 0x00]).unwrap();
        assert!(a < b);
        assert_eq!(a.to_string(), "255");
        assert_eq!(CrlNumber::from_u64(0).to_string(), "0");
        assert!(CrlNumber::from_der_content(&[0x80]).is_err());
        assert!(CrlNumber::from_der_content(&[]).is_err());
        let big = CrlNumber::from_magnitude(&[0x12; 20]).unwrap();
        assert!(big.to_string().starts_with("0x1212"));
        assert!(CrlNumber::from_magnitude(&[1; 21]).is_err());
    }
}
