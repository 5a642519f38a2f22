//! A tiny, zero-copy DER reader.
//!
//! Why our own: x509-parser decodes a CRL's whole entry list eagerly
//! (a `Vec` plus a `BigUint` per entry), which is far too slow and too big
//! for a 10M-entry JPKI CRL. The CRL walker in [`crate::crl`] needs only
//! tag / length / value over borrowed bytes, so this module provides
//! exactly that and nothing more:
//!
//! - definite lengths only (DER, X.690 §10.1), minimal length encoding,
//!   at most 4 length octets (a 4 GiB value is far beyond any CRL);
//! - low-tag-number form only (every tag X.509 uses fits one octet);
//! - no recursion: a caller descends one level at a time by making a new
//!   [`Reader`] over a value, so input nesting depth cannot grow the stack;
//! - never panics: every index is checked, errors are values.

use std::fmt;

/// Universal tag numbers (with the constructed bit where DER requires it).
#[allow(unreachable_pub)] // reachable only through `internals` (the generator)
pub mod tag {
    /// BOOLEAN
    pub const BOOLEAN: u8 = 0x01;
    /// INTEGER
    pub const INTEGER: u8 = 0x02;
    /// BIT STRING
    pub const BIT_STRING: u8 = 0x03;
    /// OCTET STRING
    pub const OCTET_STRING: u8 = 0x04;
    /// NULL
    pub const NULL: u8 = 0x05;
    /// OBJECT IDENTIFIER
    pub const OID: u8 = 0x06;
    /// ENUMERATED
    pub const ENUMERATED: u8 = 0x0A;
    /// UTF8String
    pub const UTF8_STRING: u8 = 0x0C;
    /// NumericString
    pub const NUMERIC_STRING: u8 = 0x12;
    /// PrintableString
    pub const PRINTABLE_STRING: u8 = 0x13;
    /// TeletexString (T61String)
    pub const TELETEX_STRING: u8 = 0x14;
    /// IA5String
    pub const IA5_STRING: u8 = 0x16;
    /// UTCTime
    pub const UTC_TIME: u8 = 0x17;
    /// GeneralizedTime
    pub const GENERALIZED_TIME: u8 = 0x18;
    /// VisibleString
    pub const VISIBLE_STRING: u8 = 0x1A;
    /// UniversalString
    pub const UNIVERSAL_STRING: u8 = 0x1C;
    /// BMPString
    pub const BMP_STRING: u8 = 0x1E;
    /// SEQUENCE (constructed)
    pub const SEQUENCE: u8 = 0x30;
    /// SET (constructed)
    pub const SET: u8 = 0x31;

    /// Context-specific, constructed `[n]`.
    pub const fn context_constructed(n: u8) -> u8 {
        0xA0 | n
    }
    /// Context-specific, primitive `[n]`.
    pub const fn context_primitive(n: u8) -> u8 {
        0x80 | n
    }
}

/// What went wrong at the DER level. Callers add *which field* it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DerError {
    /// The input ends before the element (or its header) does.
    #[error("input is truncated")]
    Truncated,
    /// Length octet 0x80: BER indefinite length, forbidden in DER.
    #[error("indefinite length (0x80) is not allowed in DER")]
    IndefiniteLength,
    /// A long-form length that could have been shorter.
    #[error("length is not minimally encoded")]
    NonMinimalLength,
    /// More than four length octets.
    #[error("length uses {0} octets; at most 4 are supported")]
    LengthTooLong(u8),
    /// Tag number ≥ 31 (multi-octet tag); X.509 never needs it.
    #[error("multi-octet (high tag number) tags are not supported")]
    HighTagNumber,
    /// A different element was found than the structure requires.
    #[error("expected tag 0x{expected:02X}, found 0x{found:02X}")]
    UnexpectedTag {
        /// Tag the structure requires.
        expected: u8,
        /// Tag found in the input.
        found: u8,
    },
    /// Bytes are left inside a constructed value after its last field.
    #[error("{0} unexpected bytes after the last field")]
    TrailingData(usize),
    /// An INTEGER or ENUMERATED is empty or not minimally encoded.
    #[error("INTEGER is empty or not minimally encoded")]
    BadInteger,
    /// A BOOLEAN is not one octet of 0x00 or 0xFF.
    #[error("BOOLEAN must be one octet, 0x00 or 0xFF")]
    BadBoolean,
    /// A BIT STRING is empty or has more than 7 unused bits, or the
    /// unused bits are not zero.
    #[error("malformed BIT STRING")]
    BadBitString,
    /// An OBJECT IDENTIFIER is empty or has a non-minimal sub-identifier.
    #[error("malformed OBJECT IDENTIFIER")]
    BadOid,
}

/// One element: its tag, its value (content octets) and its full
/// encoding (header + value), all borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The content octets.
    pub value: &'a [u8],
    /// Header and content octets, exactly as in the input.
    pub raw: &'a [u8],
}

/// A forward-only cursor over DER bytes.
#[derive(Clone, Debug)]
pub(crate) struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `data`.
    #[inline]
    pub(crate) fn new(data: &'a [u8]) -> Reader<'a> {
        Reader { data, pos: 0 }
    }

    /// Bytes consumed so far.
    #[inline]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    /// True when all input has been consumed.
    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }

    /// Bytes not yet consumed.
    #[inline]
    pub(crate) fn remaining(&self) -> &'a [u8] {
        self.data.get(self.pos..).unwrap_or(&[])
    }

    /// The tag of the next element, if any, without consuming it.
    #[inline]
    pub(crate) fn peek_tag(&self) -> Option<u8> {
        self.data.get(self.pos).copied()
    }

    /// Reads the next element, whatever its tag.
    #[inline]
    pub(crate) fn read_any(&mut self) -> Result<Tlv<'a>, DerError> {
        let start = self.pos;
        let d = self.data;
        let tag = *d.get(start).ok_or(DerError::Truncated)?;
        if tag & 0x1F == 0x1F {
            return Err(DerError::HighTagNumber);
        }
        let first = *d.get(start + 1).ok_or(DerError::Truncated)?;
        let (len, header) = if first < 0x80 {
            (first as usize, 2)
        } else {
            let n = first & 0x7F;
            if n == 0 {
                return Err(DerError::IndefiniteLength);
            }
            if n > 4 {
                return Err(DerError::LengthTooLong(n));
            }
            let octets = d
                .get(start + 2..start + 2 + n as usize)
                .ok_or(DerError::Truncated)?;
            if octets[0] == 0 {
                return Err(DerError::NonMinimalLength);
            }
            let mut len = 0usize;
            for &b in octets {
                len = (len << 8) | b as usize;
            }
            if len < 0x80 {
                return Err(DerError::NonMinimalLength);
            }
            (len, 2 + n as usize)
        };
        let vstart = start + header;
        let end = vstart.checked_add(len).ok_or(DerError::Truncated)?;
        if end > d.len() {
            return Err(DerError::Truncated);
        }
        self.pos = end;
        Ok(Tlv {
            tag,
            value: &d[vstart..end],
            raw: &d[start..end],
        })
    }

    /// Like [`Reader::read`], but when the header is complete and only the
    /// value runs past the end of input, returns the available part and
    /// `true`. Lets a caller keep descending into a truncated structure to
    /// report *which* inner field is cut off.
    pub(crate) fn read_partial(&mut self, expected: u8) -> Result<(Tlv<'a>, bool), DerError> {
        let mut probe = self.clone();
        match probe.read(expected) {
            Ok(t) => {
                *self = probe;
                Ok((t, false))
            }
            Err(DerError::Truncated) => {
                // Re-read the header only: tag, then length octets.
                let d = self.data;
                let start = self.pos;
                let first = *d.get(start + 1).ok_or(DerError::Truncated)?;
                let header = if first < 0x80 {
                    2
                } else {
                    2 + (first & 0x7F) as usize
                };
                if header > 6 || start + header > d.len() {
                    return Err(DerError::Truncated);
                }
                self.pos = d.len();
                Ok((
                    Tlv {
                        tag: expected,
                        value: &d[start + header..],
                        raw: &d[start..],
                    },
                    true,
                ))
            }
            Err(e) => Err(e),
        }
    }

    /// Reads the next element and requires `expected` as its tag.
    #[inline]
    pub(crate) fn read(&mut self, expected: u8) -> Result<Tlv<'a>, DerError> {
        match self.peek_tag() {
            None => Err(DerError::Truncated),
            Some(found) if found != expected => Err(DerError::UnexpectedTag { expected, found }),
            Some(_) => self.read_any(),
        }
    }

    /// Reads the next element only if its tag is `expected`.
    #[inline]
    pub(crate) fn read_optional(&mut self, expected: u8) -> Result<Option<Tlv<'a>>, DerError> {
        if self.peek_tag() == Some(expected) {
            self.read_any().map(Some)
        } else {
            Ok(None)
        }
    }

    /// Errors unless all input has been consumed.
    #[inline]
    pub(crate) fn finish(&self) -> Result<(), DerError> {
        match self.data.len().saturating_sub(self.pos) {
            0 => Ok(()),
            n => Err(DerError::TrailingData(n)),
        }
    }
}

/// Checks that INTEGER (or ENUMERATED) content octets are non-empty and
/// minimal (X.690 §8.3.2), and returns them.
#[inline]
pub(crate) fn integer_content(value: &[u8]) -> Result<&[u8], DerError> {
    match value {
        [] => Err(DerError::BadInteger),
        [0x00, b, ..] if *b < 0x80 => Err(DerError::BadInteger),
        [0xFF, b, ..] if *b >= 0x80 => Err(DerError::BadInteger),
        _ => Ok(value),
    }
}

/// Decodes a small non-negative INTEGER/ENUMERATED (≤ 8 content octets).
/// `None` when negative or too large.
pub(crate) fn small_unsigned(value: &[u8]) -> Result<Option<u64>, DerError> {
    let v = integer_content(value)?;
    if v[0] & 0x80 != 0 {
        return Ok(None);
    }
    let v = if v.len() > 1 && v[0] == 0 { &v[1..] } else { v };
    if v.len() > 8 {
        return Ok(None);
    }
    Ok(Some(v.iter().fold(0u64, |acc, &b| (acc << 8) | b as u64)))
}

/// Decodes a DER BOOLEAN value (X.690 §11.1: TRUE is 0xFF).
pub(crate) fn boolean(value: &[u8]) -> Result<bool, DerError> {
    match value {
        [0x00] => Ok(false),
        [0xFF] => Ok(true),
        _ => Err(DerError::BadBoolean),
    }
}

/// Splits BIT STRING content into (unused bit count, bits), checking that
/// unused bits are ≤ 7, absent for an empty string, and zero (X.690 §11.2).
pub(crate) fn bit_string(value: &[u8]) -> Result<(u8, &[u8]), DerError> {
    let (&unused, bits) = value.split_first().ok_or(DerError::BadBitString)?;
    if unused > 7 || (bits.is_empty() && unused != 0) {
        return Err(DerError::BadBitString);
    }
    if let Some(&last) = bits.last() {
        if unused > 0 && last & ((1u8 << unused) - 1) != 0 {
            return Err(DerError::BadBitString);
        }
    }
    Ok((unused, bits))
}

/// A named-bit BIT STRING's bits (as [`bit_string`] returns them) as a
/// mask: bit n (`1 << n`) is named bit n, the first bit being the most
/// significant of the first octet (X.690 §8.6.2). Bits past 15 are
/// dropped; callers that must refuse them check the length first.
pub(crate) fn named_bits(bits: &[u8]) -> u16 {
    let mut mask = 0u16;
    for n in 0..16u16 {
        let byte = bits.get((n / 8) as usize).copied().unwrap_or(0);
        if byte & (0x80 >> (n % 8)) != 0 {
            mask |= 1 << n;
        }
    }
    mask
}

/// An OBJECT IDENTIFIER's content octets, displayed in dotted form.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Oid<'a>(pub &'a [u8]);

impl Oid<'_> {
    /// Checks the encoding (non-empty, minimal sub-identifiers, last octet
    /// terminates).
    pub(crate) fn validate(&self) -> Result<(), DerError> {
        let b = self.0;
        if b.is_empty() || b.last().is_some_and(|&x| x & 0x80 != 0) {
            return Err(DerError::BadOid);
        }
        let mut start_of_arc = true;
        for &x in b {
            if start_of_arc && x == 0x80 {
                return Err(DerError::BadOid);
            }
            start_of_arc = x & 0x80 == 0;
        }
        Ok(())
    }
}

impl fmt::Display for Oid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        let mut acc: u128 = 0;
        let mut overflow = false;
        for &x in self.0 {
            if acc > (u128::MAX >> 7) {
                overflow = true;
            }
            acc = (acc << 7) | (x & 0x7F) as u128;
            if x & 0x80 == 0 {
                if overflow {
                    return write!(f, "<oid {}>", hex::encode(self.0));
                }
                if first {
                    let (a, b) = match acc {
                        0..=39 => (0, acc),
                        40..=79 => (1, acc - 40),
                        _ => (2, acc - 80),
                    };
                    write!(f, "{a}.{b}")?;
                    first = false;
                } else {
                    write!(f, ".{acc}")?;
                }
                acc = 0;
            }
        }
        if first || self.0.last().is_some_and(|&x| x & 0x80 != 0) {
            return write!(f, "<oid {}>", hex::encode(self.0));
        }
        Ok(())
    }
}

impl fmt::Debug for Oid<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Oid({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn short_and_long_lengths() {
        let mut r = Reader::new(&[0x04, 0x02, 0xAA, 0xBB, 0x05, 0x00]);
        let t = r.read(tag::OCTET_STRING).unwrap();
        assert_eq!(t.value, &[0xAA, 0xBB]);
        assert_eq!(t.raw, &[0x04, 0x02, 0xAA, 0xBB]);
        assert_eq!(r.read(tag::NULL).unwrap().value, &[] as &[u8]);
        assert!(r.is_empty());
        r.finish().unwrap();

        let mut long = vec![0x04, 0x81, 0x80];
        long.extend(std::iter::repeat_n(7u8, 0x80));
        let t = Reader::new(&long).read_any().unwrap();
        assert_eq!(t.value.len(), 0x80);

        let mut long2 = vec![0x04, 0x82, 0x01, 0x00];
        long2.extend(std::iter::repeat_n(7u8, 0x100));
        assert_eq!(Reader::new(&long2).read_any().unwrap().value.len(), 256);
    }

    #[test]
    fn rejects_non_der_lengths() {
        let e = |b: &[u8]| Reader::new(b).read_any().unwrap_err();
        assert_eq!(e(&[0x30, 0x80, 0, 0]), DerError::IndefiniteLength);
        assert_eq!(
            e(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            DerError::NonMinimalLength
        );
        assert_eq!(e(&[0x04, 0x82, 0x00, 0x85]), DerError::NonMinimalLength);
        assert_eq!(e(&[0x04, 0x85, 1, 1, 1, 1, 1]), DerError::LengthTooLong(5));
        assert_eq!(e(&[0x1F, 0x01, 0x00]), DerError::HighTagNumber);
        assert_eq!(e(&[0x04, 0x03, 1, 2]), DerError::Truncated);
        assert_eq!(e(&[0x04]), DerError::Truncated);
        assert_eq!(e(&[]), DerError::Truncated);
        assert_eq!(
            e(&[0x04, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            DerError::Truncated
        );
        assert_eq!(
            Reader::new(&[0x04, 0x00]).read(tag::SEQUENCE).unwrap_err(),
            DerError::UnexpectedTag {
                expected: 0x30,
                found: 0x04
            }
        );
        let mut r = Reader::new(&[0x05, 0x00, 0x01]);
        r.read(tag::NULL).unwrap();
        assert_eq!(r.finish(), Err(DerError::TrailingData(1)));
    }

    #[test]
    fn integers_booleans_bits_oids() {
        assert!(integer_content(&[]).is_err());
        assert!(integer_content(&[0x00, 0x7F]).is_err());
        assert!(integer_content(&[0xFF, 0x80]).is_err());
        assert!(integer_content(&[0x00, 0x80]).is_ok());
        assert_eq!(small_unsigned(&[0x01]).unwrap(), Some(1));
        assert_eq!(small_unsigned(&[0x80]).unwrap(), None);
        assert_eq!(small_unsigned(&[0x00, 0xFF]).unwrap(), Some(255));
        assert_eq!(boolean(&[0xFF]), Ok(true));
        assert_eq!(boolean(&[0x01]), Err(DerError::BadBoolean));
        assert_eq!(bit_string(&[0x00, 0xAB]).unwrap(), (0, &[0xAB][..]));
        assert!(bit_string(&[0x01, 0x01]).is_err());
        assert!(bit_string(&[0x01]).is_err());
        assert!(bit_string(&[]).is_err());
        assert_eq!(Oid(&[0x55, 0x1D, 0x14]).to_string(), "2.5.29.20");
        assert_eq!(
            Oid(&[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B]).to_string(),
            "1.2.840.113549.1.1.11"
        );
        assert!(Oid(&[0x2A, 0x86]).validate().is_err());
        assert!(Oid(&[0x2A, 0x80, 0x01]).validate().is_err());
        assert!(Oid(&[]).validate().is_err());
    }

    proptest! {
        #[test]
        fn never_panics_and_stays_in_bounds(data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut r = Reader::new(&data);
            while let Ok(t) = r.read_any() {
                prop_assert!(r.position() <= data.len());
                prop_assert!(t.raw.len() >= t.value.len() + 2);
                if t.tag & 0x20 != 0 {
                    let mut inner = Reader::new(t.value);
                    while inner.read_any().is_ok() {}
                }
            }
            let _ = Oid(&data).to_string();
            let _ = Oid(&data).validate();
            let _ = bit_string(&data);
            let _ = small_unsigned(&data);
        }
    }
}
