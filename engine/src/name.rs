//! Distinguished names: compared (RFC 5280 §7.1), found among
//! GeneralNames, and written as text (RFC 4514-ish).
//!
//! Text is written in encoding order (`C=JP, L=東京都, CN=…`), as OpenSSL's
//! `-nameopt RFC2253` would but without reversing, because that is how
//! JPKI names are usually quoted. String types are decoded to UTF-8
//! (UTF8String, PrintableString, IA5String, TeletexString as Latin-1,
//! BMPString, UniversalString); anything else is `#hex` of the DER value
//! (RFC 4514 §2.4).

use std::fmt::Write;

use x509_parser::prelude::FromDer;
use x509_parser::x509::X509Name;

use crate::der::{tag, Oid, Reader};

/// RFC 5280 §7.1: exact DER equality, else attribute by attribute with
/// case-insensitive, whitespace-collapsed comparison of string values.
pub(crate) fn names_match(a: &[u8], b: &[u8]) -> bool {
    if a == b {
        return true;
    }
    let (Ok((ra, na)), Ok((rb, nb))) = (X509Name::from_der(a), X509Name::from_der(b)) else {
        return false;
    };
    if !ra.is_empty() || !rb.is_empty() {
        return false;
    }
    let (rdns_a, rdns_b): (Vec<_>, Vec<_>) = (na.iter_rdn().collect(), nb.iter_rdn().collect());
    if rdns_a.len() != rdns_b.len() {
        return false;
    }
    rdns_a.iter().zip(rdns_b.iter()).all(|(x, y)| {
        let (xs, ys): (Vec<_>, Vec<_>) = (x.iter().collect(), y.iter().collect());
        xs.len() == ys.len()
            && xs.iter().zip(ys.iter()).all(|(p, q)| {
                if p.attr_type() != q.attr_type() {
                    return false;
                }
                match (p.as_str(), q.as_str()) {
                    (Ok(s), Ok(t)) => normalise(s) == normalise(t),
                    _ => {
                        p.attr_value().tag() == q.attr_value().tag() && p.as_slice() == q.as_slice()
                    }
                }
            })
    })
}

fn normalise(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub(crate) fn name_string(der: &[u8]) -> String {
    match X509Name::from_der(der) {
        Ok((_, n)) => n.to_string(),
        Err(_) => format!("<undecodable name {}>", hex::encode(der)),
    }
}

/// The first directoryName (`[4]` Name) among GeneralName TLVs, as the
/// DER of the Name; `None` when there is none or the names are malformed.
pub(crate) fn first_directory_name(general_names: &[u8]) -> Option<&[u8]> {
    let mut r = Reader::new(general_names);
    while !r.is_empty() {
        let gn = r.read_any().ok()?;
        if gn.tag == tag::context_constructed(4) {
            let mut n = Reader::new(gn.value);
            let name = n.read(tag::SEQUENCE).ok()?;
            n.finish().ok()?;
            return Some(name.raw);
        }
    }
    None
}

/// The directoryName among GeneralName TLVs when there is exactly one.
pub(crate) fn sole_directory_name(general_names: &[u8]) -> Option<&[u8]> {
    let first = first_directory_name(general_names)?;
    let mut r = Reader::new(general_names);
    let mut n = 0;
    while let Ok(gn) = r.read_any() {
        n += usize::from(gn.tag == tag::context_constructed(4));
    }
    (n == 1).then_some(first)
}

fn short_name(oid: &[u8]) -> Option<&'static str> {
    Some(match oid {
        [0x55, 0x04, 0x03] => "CN",
        [0x55, 0x04, 0x05] => "serialNumber",
        [0x55, 0x04, 0x06] => "C",
        [0x55, 0x04, 0x07] => "L",
        [0x55, 0x04, 0x08] => "ST",
        [0x55, 0x04, 0x09] => "street",
        [0x55, 0x04, 0x0A] => "O",
        [0x55, 0x04, 0x0B] => "OU",
        [0x55, 0x04, 0x0C] => "title",
        [0x55, 0x04, 0x2A] => "GN",
        [0x55, 0x04, 0x04] => "SN",
        [0x09, 0x92, 0x26, 0x89, 0x93, 0xF2, 0x2C, 0x64, 0x01, 0x19] => "DC",
        [0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x09, 0x01] => "emailAddress",
        _ => return None,
    })
}

fn decode_string(tag_byte: u8, v: &[u8]) -> Option<String> {
    match tag_byte {
        // UTF8String, PrintableString, IA5String, NumericString, VisibleString
        tag::UTF8_STRING
        | tag::PRINTABLE_STRING
        | tag::IA5_STRING
        | tag::NUMERIC_STRING
        | tag::VISIBLE_STRING => std::str::from_utf8(v).ok().map(str::to_owned),
        // TeletexString: treated as Latin-1, as OpenSSL does.
        tag::TELETEX_STRING => Some(v.iter().map(|&b| b as char).collect()),
        // BMPString: UCS-2 big-endian.
        tag::BMP_STRING => {
            if !v.len().is_multiple_of(2) {
                return None;
            }
            let units: Vec<u16> = v
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]))
                .collect();
            String::from_utf16(&units).ok()
        }
        // UniversalString: UCS-4 big-endian.
        tag::UNIVERSAL_STRING => {
            if !v.len().is_multiple_of(4) {
                return None;
            }
            v.chunks_exact(4)
                .map(|c| char::from_u32(u32::from_be_bytes([c[0], c[1], c[2], c[3]])))
                .collect()
        }
        _ => None,
    }
}

fn escape_into(out: &mut String, s: &str) {
    let last = s.chars().count().saturating_sub(1);
    for (i, ch) in s.chars().enumerate() {
        let special = matches!(ch, ',' | '+' | '"' | '\\' | '<' | '>' | ';' | '=')
            || (i == 0 && (ch == '#' || ch == ' '))
            || (i == last && ch == ' ');
        if special {
            out.push('\\');
            out.push(ch);
        } else if ch.is_control() {
            let mut b = [0u8; 4];
            for byte in ch.encode_utf8(&mut b).bytes() {
                let _ = write!(out, "\\{byte:02X}");
            }
        } else {
            out.push(ch);
        }
    }
}

/// The DER Name (a full `SEQUENCE` TLV) as text; `None` if malformed.
pub(crate) fn name_to_string(name: &[u8]) -> Option<String> {
    let seq = Reader::new(name).read(tag::SEQUENCE).ok()?;
    let mut rdns = Reader::new(seq.value);
    let mut out = String::with_capacity(seq.value.len());
    let mut first_rdn = true;
    while !rdns.is_empty() {
        let set = rdns.read(tag::SET).ok()?;
        let mut atvs = Reader::new(set.value);
        if !first_rdn {
            out.push_str(", ");
        }
        first_rdn = false;
        let mut first_atv = true;
        while !atvs.is_empty() {
            let atv = atvs.read(tag::SEQUENCE).ok()?;
            let mut a = Reader::new(atv.value);
            let oid = a.read(tag::OID).ok()?.value;
            let value = a.read_any().ok()?;
            a.finish().ok()?;
            if !first_atv {
                out.push('+');
            }
            first_atv = false;
            match short_name(oid) {
                Some(n) => out.push_str(n),
                None => {
                    let _ = write!(out, "{}", Oid(oid));
                }
            }
            out.push('=');
            match decode_string(value.tag, value.value) {
                Some(s) => escape_into(&mut out, &s),
                None => {
                    out.push('#');
                    out.push_str(&hex::encode(value.raw));
                }
            }
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpki_like_subject() {
        // SEQUENCE { SET { C=JP } SET { L=東京都 (UTF8) } SET { CN=a,b (Printable) } }
        let l = "東京都".as_bytes();
        let mut body = vec![];
        let mut rdn = |oid: &[u8], t: u8, v: &[u8]| {
            let mut atv = vec![0x06, oid.len() as u8];
            atv.extend_from_slice(oid);
            atv.push(t);
            atv.push(v.len() as u8);
            atv.extend_from_slice(v);
            let mut seq = vec![0x30, atv.len() as u8];
            seq.extend(atv);
            body.push(0x31);
            body.push(seq.len() as u8);
            body.extend(seq);
        };
        rdn(&[0x55, 4, 6], 0x13, b"JP");
        rdn(&[0x55, 4, 7], 0x0C, l);
        rdn(&[0x55, 4, 3], 0x13, b"a,b");
        let mut name = vec![0x30, body.len() as u8];
        name.extend(body);
        assert_eq!(name_to_string(&name).unwrap(), "C=JP, L=東京都, CN=a\\,b");
        assert_eq!(name_to_string(&[0x30, 0x00]).unwrap(), "");
        assert!(name_to_string(&[0x30, 0x02, 0x31]).is_none());
    }
}
