//! The BER-TLV the card's files are made of: enough to find a file's size
//! from its first bytes and to take a template apart, and (for the virtual
//! card) to write one. Tags are one to three bytes; lengths use the short,
//! `81` and `82` forms, all JPKI files need.

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

/// Appends tag, definite length (shortest form) and value. `value` must
/// be shorter than 64 KiB.
#[cfg(feature = "sim")]
pub(crate) fn push(tag: &[u8], value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(tag);
    let n = value.len();
    match n {
        0..=0x7F => out.push(n as u8),
        0x80..=0xFF => out.extend_from_slice(&[0x81, n as u8]),
        _ => out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(value);
}

/// How many bytes [`push`] takes for the length `n`.
#[cfg(feature = "sim")]
pub(crate) fn length_octets(n: usize) -> usize {
    match n {
        0..=0x7F => 1,
        0x80..=0xFF => 2,
        _ => 3,
    }
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
}
