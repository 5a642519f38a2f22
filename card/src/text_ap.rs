//! The facts EF (`0002`) of the text AP (券面事項入力補助AP): `FF20 {
//! DF21 header, DF22 name, DF23 address, DF24 birth date, DF25 sex }`,
//! BER-TLV with definite lengths (the layout jpki/myna and OpenSC read).
//! The client reads it ([`TextFacts::decode`]); the virtual card writes
//! it ([`TextFacts::encode`], with the `sim` feature), so the two cannot
//! drift apart.
//!
//! What a real card keeps in `DF21` is not documented and every client
//! skips it; the virtual card puts the offsets of the four fields inside
//! the `FF20` value there (two bytes each, big-endian), so it has a
//! plausible size and is not empty.

use crate::tlv;

/// The template around the facts.
const TEMPLATE: [u8; 2] = [0xFF, 0x20];
/// The header the reader skips.
#[cfg(feature = "sim")]
const HEADER: [u8; 2] = [0xDF, 0x21];
/// The tags of name, address, birth date and sex, in the card's order.
const FIELDS: [[u8; 2]; 4] = [[0xDF, 0x22], [0xDF, 0x23], [0xDF, 0x24], [0xDF, 0x25]];

/// The card face's four facts, from the text AP.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFacts {
    /// Name (UTF-8 as the card stores it).
    pub name: String,
    /// Address.
    pub address: String,
    /// Birth date, `YYYYMMDD` (the text AP has no era digit).
    pub birth_date: String,
    /// Sex, ISO 5218: `1` male, `2` female, `9` not applicable (`0` not
    /// known).
    pub sex: String,
}

impl TextFacts {
    /// The facts out of the EF's bytes. `DF21` and any other tag inside
    /// `FF20` are skipped.
    pub(crate) fn decode(raw: &[u8]) -> Result<TextFacts, String> {
        let outer = tlv::children(raw).map_err(|e| format!("not BER-TLV: {e}"))?;
        let value = match outer.as_slice() {
            [t] if t.tag == TEMPLATE => t.value,
            _ => return Err("expected one FF20 template".into()),
        };
        let mut facts = [None, None, None, None];
        for t in tlv::children(value).map_err(|e| format!("FF20: {e}"))? {
            let Some(slot) = FIELDS.iter().position(|f| *f == t.tag) else {
                continue;
            };
            let text = std::str::from_utf8(t.value)
                .map_err(|_| format!("DF2{} is not UTF-8", slot + 2))?;
            facts[slot] = Some(text.to_string());
        }
        let [Some(name), Some(address), Some(birth_date), Some(sex)] = facts else {
            return Err("one of DF22 to DF25 (name, address, birth date, sex) is missing".into());
        };
        Ok(TextFacts {
            name,
            address,
            birth_date,
            sex,
        })
    }

    /// The EF's bytes, `DF21` holding the fields' offsets (see the module
    /// documentation). Each field must be shorter than 64 KiB (the
    /// two-byte BER length form).
    #[cfg(feature = "sim")]
    pub(crate) fn encode(&self) -> Vec<u8> {
        let values: [&[u8]; 4] = [
            self.name.as_bytes(),
            self.address.as_bytes(),
            self.birth_date.as_bytes(),
            self.sex.as_bytes(),
        ];
        let mut body = Vec::new();
        for (tag, value) in FIELDS.iter().zip(values) {
            tlv::push(tag, value, &mut body);
        }
        let header_len = 3 + 2 * FIELDS.len();
        let mut header = Vec::with_capacity(2 * FIELDS.len());
        let mut at = header_len;
        for value in values {
            header.extend_from_slice(&(at as u16).to_be_bytes());
            at += 2 + tlv::length_octets(value.len()) + value.len();
        }
        let mut value = Vec::with_capacity(header_len + body.len());
        tlv::push(&HEADER, &header, &mut value);
        value.extend_from_slice(&body);
        let mut out = Vec::with_capacity(value.len() + 5);
        tlv::push(&TEMPLATE, &value, &mut out);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_come_apart_and_df21_is_skipped() {
        let mut inner = vec![0xDF, 0x21, 0x02, 0x00, 0x01];
        for (tag, v) in [
            (0x22, "中島　翔太"),
            (0x23, "青森県八戸市"),
            (0x24, "19780301"),
            (0x25, "1"),
        ] {
            inner.extend([0xDF, tag, v.len() as u8]);
            inner.extend(v.as_bytes());
        }
        let mut raw = vec![0xFF, 0x20, 0x81, inner.len() as u8];
        raw.extend(&inner);
        let f = TextFacts::decode(&raw).unwrap();
        assert_eq!(f.name, "中島　翔太");
        assert_eq!(f.address, "青森県八戸市");
        assert_eq!(f.birth_date, "19780301");
        assert_eq!(f.sex, "1");
        assert!(TextFacts::decode(&raw[..raw.len() - 1]).is_err());
        assert!(TextFacts::decode(&[0xFF, 0x20, 0x00])
            .unwrap_err()
            .contains("missing"));
    }

    /// What the virtual card writes, the client reads back, whatever the
    /// length forms of the fields.
    #[cfg(feature = "sim")]
    #[test]
    fn what_is_written_reads_back() {
        let long = |s: &str, n| s.repeat(n);
        for (name, address) in [
            ("a".to_string(), "b".to_string()),
            ("名".to_string(), long("住所", 30)),
            (long("名", 50), long("住所", 40)),
        ] {
            let facts = TextFacts {
                name,
                address,
                birth_date: "19800101".into(),
                sex: "9".into(),
            };
            assert_eq!(TextFacts::decode(&facts.encode()), Ok(facts));
        }
    }
}
