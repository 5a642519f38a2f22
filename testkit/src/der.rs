//! A tiny DER writer for what `openssl` will not make: TLVs with one thing
//! wrong, SAN values, extensions and whole CRLs built piece by piece. Tags
//! are given as their one identifier octet; lengths are definite and
//! minimal (X.690 §8.1.3, §10.1), whatever the content's size.
//!
//! ```
//! use kakunin_testkit::der::{seq, tlv};
//! // SEQUENCE { INTEGER 1 }
//! assert_eq!(seq(&[tlv(0x02, &[1])]), [0x30, 0x03, 0x02, 0x01, 0x01]);
//! ```

/// SEQUENCE (constructed, universal 16).
const SEQUENCE: u8 = 0x30;
const OID: u8 = 0x06;
const OCTET_STRING: u8 = 0x04;
/// BOOLEAN TRUE, whole (DER allows only `FF` for true).
const TRUE: [u8; 3] = [0x01, 0x01, 0xFF];

/// Appends the length octets of `len`: the short form below 128, else
/// `0x80 | n` and `n` big-endian octets without leading zeros.
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = len.to_be_bytes();
        let skip = be.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (be.len() - skip) as u8);
        out.extend_from_slice(&be[skip..]);
    }
}

/// One TLV: `tag`, the length of `content`, `content`.
pub fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

/// SEQUENCE of `parts`, each already a whole TLV.
pub fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(SEQUENCE, &parts.concat())
}

/// Extension { extnID (given as the OID's content octets), critical (only
/// when true: DER leaves the default out), extnValue } (RFC 5280 §4.1).
pub fn ext(oid: &[u8], critical: bool, value: impl AsRef<[u8]>) -> Vec<u8> {
    let mut e = tlv(OID, oid);
    if critical {
        e.extend(TRUE);
    }
    e.extend(tlv(OCTET_STRING, value.as_ref()));
    tlv(SEQUENCE, &e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_minimal() {
        let len = |n: usize| {
            let t = tlv(0x04, &vec![0; n]);
            t[1..t.len() - n].to_vec()
        };
        assert_eq!(len(0), [0x00]);
        assert_eq!(len(0x7F), [0x7F]);
        assert_eq!(len(0x80), [0x81, 0x80]);
        assert_eq!(len(0xFF), [0x81, 0xFF]);
        assert_eq!(len(0x100), [0x82, 0x01, 0x00]);
        assert_eq!(len(0x1_0000), [0x83, 0x01, 0x00, 0x00]);
    }

    #[test]
    fn extensions() {
        let oid = [0x55, 0x1D, 0x14];
        assert_eq!(
            ext(&oid, false, [0x02, 0x01, 0x05]),
            [0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x14, 0x04, 0x03, 0x02, 0x01, 0x05]
        );
        assert_eq!(
            ext(&oid, true, Vec::new()),
            [0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x14, 0x01, 0x01, 0xFF, 0x04, 0x00]
        );
    }
}
