//! A small DER (X.690) TLV writer: just what certificates and CRLs need.
//!
//! Two styles, for two costs:
//! - [`DerWriter`] nests with closures and back-patches lengths. It moves
//!   bytes once per nesting level, which is nothing for a certificate.
//! - [`header_len`] / [`put_header`] let the CRL writer compute every length
//!   first and fill one pre-sized buffer, because it writes millions of
//!   entries and must not allocate per entry.
//!
//! Only definite, minimal lengths and low tag numbers (< 31) are produced,
//! which is all DER allows for the types we use.

/// Universal tags: the engine's table, which the reader uses too.
pub(crate) use kakunin_engine::internals::tag;

/// Bytes a DER length field takes for a content of `len` bytes.
pub(crate) const fn length_len(len: usize) -> usize {
    if len < 0x80 {
        1
    } else if len <= 0xFF {
        2
    } else if len <= 0xFFFF {
        3
    } else if len <= 0xFF_FFFF {
        4
    } else {
        5
    }
}

/// Bytes of tag + length for a content of `len` bytes.
pub(crate) const fn header_len(len: usize) -> usize {
    1 + length_len(len)
}

/// Writes tag and length into `out` (which must be at least
/// [`header_len`] long) and returns the bytes written.
pub(crate) fn put_header(out: &mut [u8], tag: u8, len: usize) -> usize {
    out[0] = tag;
    let n = length_len(len);
    if n == 1 {
        out[1] = len as u8;
    } else {
        out[1] = 0x80 | (n - 1) as u8;
        for i in 0..n - 1 {
            out[2 + i] = (len >> (8 * (n - 2 - i))) as u8;
        }
    }
    1 + n
}

/// Content octets of a non-negative INTEGER holding `v`: minimal, with a
/// leading 0x00 when the top bit would otherwise read as a sign. Returns the
/// buffer and how many of its trailing bytes are used.
pub(crate) fn u64_integer_content(v: u64) -> ([u8; 9], usize) {
    let mut buf = [0u8; 9];
    buf[1..].copy_from_slice(&v.to_be_bytes());
    let mut start = 0;
    while start < 8 && buf[start] == 0 && buf[start + 1] < 0x80 {
        start += 1;
    }
    (buf, 9 - start)
}

/// Content length of the INTEGER for `v` (see [`u64_integer_content`]).
#[cfg(test)]
pub(crate) fn u64_integer_len(v: u64) -> usize {
    u64_integer_content(v).1
}

/// Content octets of an OBJECT IDENTIFIER from its arcs.
///
/// Arcs are program constants (never input), so a malformed list is a bug
/// and panics.
pub(crate) fn oid_content(arcs: &[u64]) -> Vec<u8> {
    assert!(arcs.len() >= 2 && arcs[0] <= 2, "bad OID {arcs:?}");
    let mut out = Vec::with_capacity(arcs.len() * 2);
    let mut push = |mut v: u64| {
        let mut tmp = [0u8; 10];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        let last = tmp.len() - 1;
        for (j, b) in tmp.iter().enumerate().skip(i) {
            out.push(if j == last { *b } else { b | 0x80 });
        }
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    out
}

/// X.509 time for a Unix time: UTCTime through 2049, GeneralizedTime from
/// 2050 on (RFC 5280 §4.1.2.5). Returns (tag, content).
pub(crate) fn x509_time(unix: i64) -> (u8, Vec<u8>) {
    let (y, mo, d, h, mi, s) = super::calendar::civil_from_unix(unix);
    if (1950..2050).contains(&y) {
        let text = format!("{:02}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z", y % 100);
        (tag::UTC_TIME, text.into_bytes())
    } else {
        let text = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}Z");
        (tag::GENERALIZED_TIME, text.into_bytes())
    }
}

/// A growing DER buffer with closure-based nesting.
#[derive(Default)]
pub(crate) struct DerWriter {
    buf: Vec<u8>,
}

impl DerWriter {
    /// An empty writer.
    pub(crate) fn new() -> DerWriter {
        DerWriter::default()
    }

    /// The encoded bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.buf
    }

    /// Appends already-encoded DER (e.g. a Name reused in two places).
    pub(crate) fn raw(&mut self, der: &[u8]) {
        self.buf.extend_from_slice(der);
    }

    /// One primitive TLV.
    pub(crate) fn tlv(&mut self, tag: u8, content: &[u8]) {
        let mut h = [0u8; 6];
        let n = put_header(&mut h, tag, content.len());
        self.buf.extend_from_slice(&h[..n]);
        self.buf.extend_from_slice(content);
    }

    /// A constructed TLV whose content `f` writes; the length is patched in
    /// afterwards.
    pub(crate) fn nested(&mut self, tag: u8, f: impl FnOnce(&mut DerWriter)) {
        let start = self.buf.len();
        f(self);
        let len = self.buf.len() - start;
        let mut h = [0u8; 6];
        let n = put_header(&mut h, tag, len);
        self.buf.splice(start..start, h[..n].iter().copied());
    }

    /// SEQUENCE { f }
    pub(crate) fn sequence(&mut self, f: impl FnOnce(&mut DerWriter)) {
        self.nested(tag::SEQUENCE, f)
    }

    /// SET { f }
    pub(crate) fn set(&mut self, f: impl FnOnce(&mut DerWriter)) {
        self.nested(tag::SET, f)
    }

    /// `[n]` constructed context tag (EXPLICIT tagging, or IMPLICIT over a
    /// constructed type).
    pub(crate) fn context(&mut self, n: u8, f: impl FnOnce(&mut DerWriter)) {
        self.nested(0xA0 | n, f)
    }

    /// `[n]` primitive context tag with raw content (IMPLICIT over a
    /// primitive type, e.g. keyIdentifier or a URI GeneralName).
    pub(crate) fn context_primitive(&mut self, n: u8, content: &[u8]) {
        self.tlv(0x80 | n, content)
    }

    /// INTEGER from a u64.
    pub(crate) fn integer_u64(&mut self, v: u64) {
        let (buf, n) = u64_integer_content(v);
        self.tlv(tag::INTEGER, &buf[9 - n..]);
    }

    /// OBJECT IDENTIFIER from arcs.
    pub(crate) fn oid(&mut self, arcs: &[u64]) {
        self.tlv(tag::OID, &oid_content(arcs));
    }

    /// NULL
    pub(crate) fn null(&mut self) {
        self.tlv(tag::NULL, &[]);
    }

    /// BOOLEAN (DER: TRUE is 0xFF).
    pub(crate) fn boolean(&mut self, v: bool) {
        self.tlv(tag::BOOLEAN, &[if v { 0xFF } else { 0x00 }]);
    }

    /// OCTET STRING { f }
    pub(crate) fn octet_string_with(&mut self, f: impl FnOnce(&mut DerWriter)) {
        self.nested(tag::OCTET_STRING, f)
    }

    /// OCTET STRING
    pub(crate) fn octet_string(&mut self, content: &[u8]) {
        self.tlv(tag::OCTET_STRING, content)
    }

    /// BIT STRING with whole octets (no unused bits).
    pub(crate) fn bit_string(&mut self, bytes: &[u8]) {
        self.nested(tag::BIT_STRING, |w| {
            w.buf.push(0);
            w.buf.extend_from_slice(bytes);
        })
    }

    /// A named-bit BIT STRING (e.g. KeyUsage) from the bit numbers set, with
    /// trailing zero bits removed as DER requires (X.690 §11.2.2).
    pub(crate) fn named_bits(&mut self, bits: &[u8]) {
        let max = bits.iter().copied().max().unwrap_or(0) as usize;
        let mut bytes = vec![0u8; max / 8 + 1];
        for &b in bits {
            bytes[b as usize / 8] |= 0x80 >> (b % 8);
        }
        let unused = if bits.is_empty() {
            0
        } else {
            7 - (max % 8) as u8
        };
        self.nested(tag::BIT_STRING, |w| {
            w.buf.push(if bits.is_empty() { 0 } else { unused });
            if !bits.is_empty() {
                w.buf.extend_from_slice(&bytes);
            }
        })
    }

    /// UTF8String
    pub(crate) fn utf8(&mut self, s: &str) {
        self.tlv(tag::UTF8_STRING, s.as_bytes())
    }

    /// PrintableString. The text is program-made; a character outside the
    /// PrintableString set is a bug.
    pub(crate) fn printable(&mut self, s: &str) {
        debug_assert!(
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b)),
            "not printable: {s:?}"
        );
        self.tlv(tag::PRINTABLE_STRING, s.as_bytes())
    }

    /// Time as RFC 5280 wants it (see [`x509_time`]).
    pub(crate) fn time(&mut self, unix: i64) {
        let (t, c) = x509_time(unix);
        self.tlv(t, &c);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use x509_parser::der_parser::ber::BerObjectContent;
    use x509_parser::der_parser::der::parse_der;
    use x509_parser::der_parser::oid::Oid;

    #[test]
    fn lengths_match_x690() {
        let mut h = [0u8; 6];
        assert_eq!(put_header(&mut h, 0x30, 5), 2);
        assert_eq!(&h[..2], &[0x30, 0x05]);
        assert_eq!(put_header(&mut h, 0x30, 0x80), 3);
        assert_eq!(&h[..3], &[0x30, 0x81, 0x80]);
        assert_eq!(put_header(&mut h, 0x30, 0x1234), 4);
        assert_eq!(&h[..4], &[0x30, 0x82, 0x12, 0x34]);
        assert_eq!(put_header(&mut h, 0x30, 0x01_0000), 5);
        assert_eq!(&h[..5], &[0x30, 0x83, 0x01, 0x00, 0x00]);
        assert_eq!(header_len(0x7F), 2);
        assert_eq!(header_len(0x1_0000_0000 - 1), 6);
    }

    #[test]
    fn integers_are_minimal_and_positive() {
        assert_eq!(u64_integer_len(0), 1);
        assert_eq!(u64_integer_len(0x7F), 1);
        assert_eq!(u64_integer_len(0x80), 2);
        assert_eq!(u64_integer_len(u64::MAX), 9);
        assert_eq!(u64_integer_len(0x7FFF_FFFF_FFFF_FFFF), 8);
    }

    /// Cross-check: x509-parser (an independent DER reader) reads back
    /// exactly what we meant to write.
    #[test]
    fn independent_parser_reads_our_output() {
        let long = "長".repeat(100); // > 127 bytes: long-form length
        let mut w = DerWriter::new();
        w.sequence(|w| {
            w.integer_u64(0);
            w.integer_u64(0x80);
            w.integer_u64(0x1234_5678_9ABC_DEF0);
            w.integer_u64(u64::MAX);
            w.oid(&[1, 2, 392, 200149, 8, 5, 5, 1]);
            w.oid(&[2, 5, 29, 15]);
            w.boolean(true);
            w.null();
            w.utf8(&long);
            w.printable("JPKI for digital signature");
            w.octet_string(&[1, 2, 3]);
            w.named_bits(&[0, 1]);
            w.set(|w| w.tlv(tag::IA5_STRING, b"http://x"));
            w.time(1_793_491_200); // 2026-11-01
            w.time(2_556_057_600); // 2050-12-31: GeneralizedTime
        });
        let der = w.finish();
        let (rest, obj) = parse_der(&der).unwrap();
        assert!(rest.is_empty());
        let items = obj.as_sequence().unwrap();
        assert_eq!(items.len(), 15);
        assert_eq!(items[0].as_u64().unwrap(), 0);
        assert_eq!(items[1].as_u64().unwrap(), 0x80);
        assert_eq!(items[2].as_u64().unwrap(), 0x1234_5678_9ABC_DEF0);
        // u64::MAX needs the 0x00 sign octet.
        assert_eq!(
            items[3].as_slice().unwrap(),
            &[0, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
        );
        assert_eq!(
            items[4].as_oid().unwrap(),
            &Oid::from(&[1, 2, 392, 200149, 8, 5, 5, 1]).unwrap()
        );
        assert_eq!(items[5].as_oid().unwrap().to_id_string(), "2.5.29.15");
        assert!(items[6].as_bool().unwrap());
        assert!(matches!(items[7].content, BerObjectContent::Null));
        assert_eq!(items[8].as_str().unwrap(), long);
        assert_eq!(items[9].as_str().unwrap(), "JPKI for digital signature");
        assert_eq!(items[10].as_slice().unwrap(), &[1, 2, 3]);
        match &items[11].content {
            BerObjectContent::BitString(unused, bits) => {
                assert_eq!(*unused, 6);
                assert_eq!(bits.data, &[0xC0]);
            }
            other => panic!("not a bit string: {other:?}"),
        }
        assert_eq!(items[12].as_set().unwrap()[0].as_str().unwrap(), "http://x");
        assert!(matches!(items[13].content, BerObjectContent::UTCTime(_)));
        let has = |needle: &[u8]| der.windows(needle.len()).any(|w| w == needle);
        assert!(has(b"\x17\x0d261101000000Z"));
        assert!(matches!(
            items[14].content,
            BerObjectContent::GeneralizedTime(_)
        ));
        assert!(has(b"\x18\x0f20501231000000Z"));
    }
}
