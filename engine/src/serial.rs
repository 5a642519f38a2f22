//! Certificate serial numbers as exact keys.
//!
//! A serial is a DER INTEGER of up to 20 octets (RFC 5280 §4.1.2.2), but the
//! wild has negative ones and longer ones too. We keep the exact value: a
//! serial is never truncated or hashed, because two certificates colliding
//! under a hash would let a revoked one pass as good.
//!
//! Non-negative serials below 2^64 become `u64` keys (the fast path: roaring
//! bitmaps and fixed-width tables); all others stay as their canonical DER
//! content bytes and live in an exact side table.

use std::fmt;

/// Longest serial content we keep, in bytes. RFC 5280 caps conforming serials
/// at 20 octets (21 with the sign byte); we allow some slack for CAs that
/// overshoot and refuse anything longer as malformed.
pub(crate) const MAX_SERIAL_LEN: usize = 32;

/// Why a serial could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SerialError {
    /// The DER INTEGER had no content octets.
    #[error("serial number is empty")]
    Empty,
    /// The serial is longer than `MAX_SERIAL_LEN` bytes.
    #[error("serial number is {0} bytes long; at most {MAX_SERIAL_LEN} are accepted")]
    TooLong(usize),
    /// The hex text had a character that is not a hex digit.
    #[error("serial {0:?} is not hex (expected digits 0-9 and a-f, optional 0x and leading -)")]
    NotHex(String),
}

/// A serial number: the canonical (minimal) two's complement content octets
/// of its DER INTEGER.
///
/// Canonical means `00 7F` and `7F` are the same serial: some CAs emit
/// non-minimal encodings, and matching by value is what a relying party
/// needs.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial {
    len: u8,
    bytes: [u8; MAX_SERIAL_LEN],
}

impl Serial {
    /// Reads the content octets of a DER INTEGER (two's complement, big
    /// endian). Non-minimal encodings are accepted and canonicalised.
    pub fn from_der_content(content: &[u8]) -> Result<Serial, SerialError> {
        if content.is_empty() {
            return Err(SerialError::Empty);
        }
        let mut start = 0;
        // Drop redundant sign octets: 00 followed by a byte < 0x80, or FF
        // followed by a byte >= 0x80.
        while start + 1 < content.len() {
            let (a, b) = (content[start], content[start + 1]);
            if (a == 0x00 && b < 0x80) || (a == 0xFF && b >= 0x80) {
                start += 1;
            } else {
                break;
            }
        }
        let c = &content[start..];
        if c.len() > MAX_SERIAL_LEN {
            return Err(SerialError::TooLong(c.len()));
        }
        let mut bytes = [0u8; MAX_SERIAL_LEN];
        bytes[..c.len()].copy_from_slice(c);
        Ok(Serial {
            len: c.len() as u8,
            bytes,
        })
    }

    /// Builds a serial from a non-negative 64-bit key.
    pub fn from_u64(v: u64) -> Serial {
        let be = v.to_be_bytes();
        let mut content = [0u8; 9];
        content[1..].copy_from_slice(&be);
        // Cannot fail: 9 bytes, non-empty.
        match Serial::from_der_content(&content) {
            Ok(s) => s,
            Err(_) => unreachable!("a u64 always fits a serial"),
        }
    }

    /// Parses hex text: any case, leading zeros allowed, optional `0x`, and an
    /// optional leading `-` for the negative serials some CAs issued.
    pub fn from_hex(text: &str) -> Result<Serial, SerialError> {
        let t = text.trim();
        let (negative, t) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        };
        let t = t
            .strip_prefix("0x")
            .or_else(|| t.strip_prefix("0X"))
            .unwrap_or(t);
        if t.is_empty() || !t.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SerialError::NotHex(text.to_string()));
        }
        let digits = t.trim_start_matches('0');
        let padded;
        let digits = if digits.len() % 2 == 1 {
            padded = format!("0{digits}");
            padded.as_str()
        } else {
            digits
        };
        let mut magnitude =
            hex::decode(digits).map_err(|_| SerialError::NotHex(text.to_string()))?;
        if magnitude.len() > MAX_SERIAL_LEN {
            return Err(SerialError::TooLong(magnitude.len()));
        }
        if magnitude.is_empty() {
            magnitude.push(0);
        }
        let mut content = Vec::with_capacity(magnitude.len() + 1);
        if negative && magnitude.iter().any(|&b| b != 0) {
            // Two's complement of the magnitude: invert and add one, with a
            // sign octet in front so the top bit is set.
            content.push(0xFF);
            content.extend(magnitude.iter().map(|b| !b));
            for b in content.iter_mut().rev() {
                let (v, carry) = b.overflowing_add(1);
                *b = v;
                if !carry {
                    break;
                }
            }
        } else {
            content.push(0x00);
            content.extend_from_slice(&magnitude);
        }
        Serial::from_der_content(&content)
    }

    /// The canonical DER content octets.
    pub fn as_der_content(&self) -> &[u8] {
        &self.bytes[..self.len as usize]
    }

    /// True when the serial is below zero (its top bit is set).
    pub fn is_negative(&self) -> bool {
        self.bytes[0] & 0x80 != 0
    }

    /// The 64-bit key of a non-negative serial below 2^64, or `None` when it
    /// must live in the exact side table.
    pub fn key(&self) -> Option<u64> {
        let c = self.as_der_content();
        if self.is_negative() {
            return None;
        }
        let c = if c.len() == 9 && c[0] == 0 {
            &c[1..]
        } else {
            c
        };
        if c.len() > 8 {
            return None;
        }
        let mut be = [0u8; 8];
        be[8 - c.len()..].copy_from_slice(c);
        Some(u64::from_be_bytes(be))
    }

    /// Upper-case hex of the magnitude with an even number of digits, as
    /// OpenSSL prints serials; negative serials get a leading `-`.
    pub fn to_hex(&self) -> String {
        let c = self.as_der_content();
        if !self.is_negative() {
            let mag = if c.len() > 1 && c[0] == 0 { &c[1..] } else { c };
            return hex::encode_upper(mag);
        }
        // Magnitude of a negative number: two's complement back.
        let mut mag: Vec<u8> = c.iter().map(|b| !b).collect();
        for b in mag.iter_mut().rev() {
            let (v, carry) = b.overflowing_add(1);
            *b = v;
            if !carry {
                break;
            }
        }
        let first = mag.iter().position(|&b| b != 0).unwrap_or(mag.len() - 1);
        format!("-{}", hex::encode_upper(&mag[first..]))
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({})", self.to_hex())
    }
}

impl std::str::FromStr for Serial {
    type Err = SerialError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Serial::from_hex(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn canonicalises_non_minimal_der() {
        let a = Serial::from_der_content(&[0x00, 0x00, 0x7F]).unwrap();
        let b = Serial::from_der_content(&[0x7F]).unwrap();
        assert_eq!(a, b);
        let n = Serial::from_der_content(&[0xFF, 0xFF, 0x80]).unwrap();
        assert_eq!(n.as_der_content(), &[0x80]);
    }

    #[test]
    fn hex_forms() {
        let s = Serial::from_hex("0x00ab").unwrap();
        assert_eq!(s.key(), Some(0xAB));
        assert_eq!(s.to_hex(), "AB");
        assert_eq!(s.as_der_content(), &[0x00, 0xAB]);
        assert_eq!(Serial::from_hex("0").unwrap().to_hex(), "00");
        assert_eq!(Serial::from_hex("-0").unwrap().to_hex(), "00");
        assert_eq!(Serial::from_hex("-1").unwrap().as_der_content(), &[0xFF]);
        assert_eq!(Serial::from_hex("-80").unwrap().as_der_content(), &[0x80]);
        assert_eq!(
            Serial::from_hex("-81").unwrap().as_der_content(),
            &[0xFF, 0x7F]
        );
        assert!(Serial::from_hex("").is_err());
        assert!(Serial::from_hex("0x").is_err());
        assert!(Serial::from_hex("12g4").is_err());
        assert!(matches!(
            Serial::from_hex(&"11".repeat(33)),
            Err(SerialError::TooLong(33))
        ));
    }

    #[test]
    fn keys_only_for_non_negative_u64() {
        assert_eq!(Serial::from_u64(u64::MAX).key(), Some(u64::MAX));
        assert_eq!(Serial::from_u64(0).key(), Some(0));
        assert_eq!(Serial::from_hex("-5").unwrap().key(), None);
        assert_eq!(Serial::from_hex("010000000000000000").unwrap().key(), None);
    }

    proptest! {
        #[test]
        fn hex_round_trips(content in proptest::collection::vec(any::<u8>(), 1..=21)) {
            let s = Serial::from_der_content(&content).unwrap();
            let back = Serial::from_hex(&s.to_hex()).unwrap();
            prop_assert_eq!(s, back);
            prop_assert_eq!(Serial::from_hex(&s.to_hex().to_lowercase()).unwrap(), s);
        }

        #[test]
        fn u64_round_trips(v in any::<u64>()) {
            let s = Serial::from_u64(v);
            prop_assert_eq!(s.key(), Some(v));
            prop_assert_eq!(Serial::from_hex(&format!("{v:x}")).unwrap(), s);
        }
    }
}
