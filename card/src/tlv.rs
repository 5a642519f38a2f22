//! The BER-TLV the card's files are made of: enough to find a file's size
//! from its first bytes, and to take the text AP's facts apart.

use crate::jpki::TextFacts;

/// One TLV: its tag bytes and its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    pub(crate) tag: &'a [u8],
    pub(crate) value: &'a [u8],
}

/// Tag and length of the TLV at the start of `data`: (tag, value length,
/// header length).
fn header(data: &[u8]) -> Result<(&[u8], usize, usize), &'static str> {
    let first = *data.first().ok_or("empty")?;
    let mut i = 1;
    if first & 0x1F == 0x1F {
        // Multi-byte tag: more bytes while bit 8 is set.
        loop {
            let b = *data.get(i).ok_or("cut off in the tag")?;
            i += 1;
            if b & 0x80 == 0 {
                break;
            }
            if i > 3 {
                return Err("tag longer than 3 bytes");
            }
        }
    }
    let tag = &data[..i];
    let l = *data.get(i).ok_or("cut off before the length")?;
    i += 1;
    let len = match l {
        0..=0x7F => l as usize,
        0x81 => {
            let b = *data.get(i).ok_or("cut off in the length")?;
            i += 1;
            b as usize
        }
        0x82 => {
            let b = data.get(i..i + 2).ok_or("cut off in the length")?;
            i += 2;
            u16::from_be_bytes([b[0], b[1]]) as usize
        }
        _ => return Err("length form not used by JPKI files"),
    };
    Ok((tag, len, i))
}

/// The size of the whole TLV that starts `data` (header and value), from
/// as many first bytes as hold its header.
pub(crate) fn total_len(data: &[u8]) -> Result<usize, &'static str> {
    let (_, len, h) = header(data)?;
    Ok(h + len)
}

/// The TLVs one after another in `data`.
pub(crate) fn children(mut data: &[u8]) -> Result<Vec<Tlv<'_>>, &'static str> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let (tag, len, h) = header(data)?;
        let value = data.get(h..h + len).ok_or("value cut off")?;
        out.push(Tlv { tag, value });
        data = &data[h + len..];
    }
    Ok(out)
}

/// The facts EF of the text AP: `FF20 { DF21 …, DF22 name, DF23 address,
/// DF24 birth date, DF25 sex }`. `DF21` (offsets into the rest) is skipped.
pub(crate) fn text_facts(raw: &[u8]) -> Result<TextFacts, String> {
    let outer = children(raw).map_err(|e| format!("not BER-TLV: {e}"))?;
    let [Tlv {
        tag: [0xFF, 0x20],
        value,
    }] = outer.as_slice()
    else {
        return Err("expected one FF20 template".into());
    };
    let mut facts = [None, None, None, None];
    for t in children(value).map_err(|e| format!("FF20: {e}"))? {
        let slot = match t.tag {
            [0xDF, 0x22] => 0,
            [0xDF, 0x23] => 1,
            [0xDF, 0x24] => 2,
            [0xDF, 0x25] => 3,
            _ => continue,
        };
        let text =
            std::str::from_utf8(t.value).map_err(|_| format!("DF2{} is not UTF-8", slot + 2))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_from_headers() {
        assert_eq!(total_len(&[0x30, 0x82, 0x05, 0xA0, 0x30]), Ok(4 + 0x5A0));
        assert_eq!(total_len(&[0x30, 0x81, 0x80]), Ok(3 + 0x80));
        assert_eq!(total_len(&[0x30, 0x05]), Ok(7));
        assert_eq!(total_len(&[0xFF, 0x20, 0x82, 0x01, 0x00]), Ok(5 + 256));
        assert_eq!(total_len(&[0xDF, 0x22, 0x03]), Ok(6));
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x82, 0x01],
            &[0x30, 0x84, 0, 0, 0, 1],
            &[0xFF],
        ] {
            assert!(total_len(bad).is_err(), "{bad:02x?}");
        }
    }

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
        let f = text_facts(&raw).unwrap();
        assert_eq!(f.name, "中島　翔太");
        assert_eq!(f.address, "青森県八戸市");
        assert_eq!(f.birth_date, "19780301");
        assert_eq!(f.sex, "1");
        assert!(text_facts(&raw[..raw.len() - 1]).is_err());
        assert!(text_facts(&[0xFF, 0x20, 0x00])
            .unwrap_err()
            .contains("missing"));
    }
}
