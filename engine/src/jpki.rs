//! The JPKI certificate profile: which kind of My Number Card certificate
//! this is, and the holder's basic facts (基本4情報) from the signing
//! certificate's subjectAltName.
//!
//! # Parsing
//!
//! The certificate envelope (TBSCertificate, issuer, extensions, keyUsage)
//! is parsed with x509-parser: a leaf certificate is small, x509-parser
//! already checks the outer structure and rejects duplicate extensions
//! (RFC 5280 §4.2), and its keyUsage decoder is well tested. The *contents*
//! we rely on — the issuer's attribute strings and the SAN otherName values
//! — are walked with our own `der` reader instead, because
//! x509-parser hands otherName values back as opaque bytes and its string
//! accessors do not cover every string type (BMPString, OCTET STRING
//! holding UTF-8) that cards and generators use. Walking them ourselves
//! means one string decoder (`decode_string`, private) with one set of
//! rules for every field.
//!
//! # The My Number is never touched
//!
//! kakunin never reads or stores the individual number (個人番号). It is not
//! in either JPKI certificate (the subject CN is an opaque identifier), and
//! nothing in this module reads any field that could hold it: [`classify`]
//! looks at the issuer DN and keyUsage only, [`basic_facts`] at the six
//! otherName values under `1.2.392.200149.8.5.5` only. On a card the number
//! lives in the 券面事項入力補助AP's EF `0001`, which kakunin never selects.

use std::fmt;

use x509_parser::oid_registry::OID_X509_EXT_SUBJECT_ALT_NAME;
use x509_parser::prelude::{FromDer, X509Certificate};

use crate::der::{tag, DerError, Oid, Reader};

mod login;
pub use login::{login_message, LOGIN_LABEL};

/// What kind of certificate a My Number Card (or anything else) presented.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CertKind {
    /// 署名用電子証明書: the signing certificate (carries the basic facts).
    JpkiSigning,
    /// 利用者証明用電子証明書: the user-authentication certificate.
    JpkiAuthentication,
    /// Not a JPKI end-entity certificate (or not parseable).
    Other,
}

impl CertKind {
    /// A short, stable name: `sign`, `auth` or `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            CertKind::JpkiSigning => "sign",
            CertKind::JpkiAuthentication => "auth",
            CertKind::Other => "other",
        }
    }
}

impl fmt::Display for CertKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why the basic facts could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JpkiError {
    /// The bytes are not a DER X.509 certificate.
    #[error("not a DER X.509 certificate (RFC 5280 §4.1): {0}")]
    Certificate(String),
    /// The subjectAltName extension (2.5.29.17) is not valid DER.
    #[error("subjectAltName (2.5.29.17, RFC 5280 §4.2.1.6) is malformed: {0}")]
    San(DerError),
    /// An otherName under the JPKI arc has a bad structure.
    #[error("otherName {oid} in subjectAltName is malformed: {why}")]
    OtherName {
        /// Dotted OID of the otherName.
        oid: String,
        /// What was wrong.
        why: String,
    },
    /// A JPKI otherName appears more than once: which value is meant?
    #[error("otherName {oid} ({field}) appears more than once in subjectAltName")]
    Duplicate {
        /// Dotted OID.
        oid: String,
        /// Field name.
        field: &'static str,
    },
    /// The value's string type is not one we decode, or its bytes are not
    /// valid in that type.
    #[error("otherName {oid} ({field}): {why}")]
    BadString {
        /// Dotted OID.
        oid: String,
        /// Field name.
        field: &'static str,
        /// What was wrong (string type and problem).
        why: String,
    },
    /// The value decoded, but is not a valid sex code or birth date.
    #[error("otherName {oid} ({field}) has value {value:?}: {why}")]
    BadValue {
        /// Dotted OID.
        oid: String,
        /// Field name.
        field: &'static str,
        /// The decoded value.
        value: String,
        /// What was expected.
        why: String,
    },
}

/// The holder's basic facts from a signing certificate, decoded to Rust
/// strings. Each field is `None` when its otherName is absent; a present
/// but empty value (e.g. no alternative characters) is `Some("")`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BasicFacts {
    /// .1 Name (氏名), as written (kanji, ideographic space U+3000).
    pub name: Option<String>,
    /// .2 Positions of alternative characters (代替文字) in the name, raw.
    pub name_alt: Option<String>,
    /// .3 Sex as the raw ISO 5218 digit; see [`BasicFacts::sex_label`].
    pub sex: Option<String>,
    /// .4 Birth date as encoded: era digit + Gregorian `YYYYMMDD`.
    pub birth_date: Option<String>,
    /// The birth date as ISO 8601 `YYYY-MM-DD`.
    pub birth_date_iso: Option<String>,
    /// Name of the era of the birth date in kanji (e.g. `昭和`).
    pub era: Option<String>,
    /// .5 Address (住所), as written.
    pub address: Option<String>,
    /// .6 Positions of alternative characters in the address, raw.
    pub address_alt: Option<String>,
}

impl BasicFacts {
    /// The ISO 5218 label of [`BasicFacts::sex`]: `male`, `female`,
    /// `not applicable` or `not known`.
    pub fn sex_label(&self) -> Option<&'static str> {
        self.sex.as_deref().and_then(sex_label)
    }

    /// The era of the birth date, with its letter and digit.
    pub fn era_info(&self) -> Option<Era> {
        self.birth_date
            .as_deref()
            .and_then(|b| b.as_bytes().first())
            .and_then(|&d| Era::from_digit(d))
    }
}

/// The ISO 5218 label for a sex code: `0` not known, `1` male, `2` female,
/// `9` not applicable.
pub fn sex_label(code: &str) -> Option<&'static str> {
    match code {
        "0" => Some("not known"),
        "1" => Some("male"),
        "2" => Some("female"),
        "9" => Some("not applicable"),
        _ => None,
    }
}

/// Japanese eras used in JPKI birth dates (the first digit of OID .4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Era {
    /// 1 = 明治 (M), from 1868-01-25.
    Meiji,
    /// 2 = 大正 (T), from 1912-07-30.
    Taisho,
    /// 3 = 昭和 (S), from 1926-12-25.
    Showa,
    /// 4 = 平成 (H), from 1989-01-08.
    Heisei,
    /// 5 = 令和 (R), from 2019-05-01.
    Reiwa,
}

impl Era {
    const ALL: [Era; 5] = [Era::Meiji, Era::Taisho, Era::Showa, Era::Heisei, Era::Reiwa];

    /// The era for an ASCII digit `1`..=`5`.
    pub fn from_digit(d: u8) -> Option<Era> {
        match d {
            b'1'..=b'5' => Era::ALL.get(usize::from(d - b'1')).copied(),
            _ => None,
        }
    }

    /// The era's digit (1..=5).
    pub fn digit(self) -> u8 {
        self as u8 + 1
    }

    /// Kanji name: 明治, 大正, 昭和, 平成, 令和.
    pub fn kanji(self) -> &'static str {
        ["明治", "大正", "昭和", "平成", "令和"][self as usize]
    }

    /// Latin letter: M, T, S, H, R.
    pub fn letter(self) -> char {
        ['M', 'T', 'S', 'H', 'R'][self as usize]
    }

    /// First day (Gregorian year, month, day).
    pub fn start(self) -> (u32, u32, u32) {
        [
            (1868, 1, 25),
            (1912, 7, 30),
            (1926, 12, 25),
            (1989, 1, 8),
            (2019, 5, 1),
        ][self as usize]
    }

    /// The era a Gregorian date falls in; `None` before Meiji.
    pub fn of_date(y: u32, m: u32, d: u32) -> Option<Era> {
        Era::ALL
            .iter()
            .rev()
            .find(|e| (y, m, d) >= e.start())
            .copied()
    }
}

/// DER of OID arc 1.2.392.200149.8.5.5 (without the last arc).
const JPKI_FACTS_ARC: &[u8] = &[0x2A, 0x83, 0x08, 0x8C, 0x9B, 0x55, 0x08, 0x05, 0x05];

/// id-ce-keyUsage bits (RFC 5280 §4.2.1.3), as x509-parser numbers them.
const KU_DIGITAL_SIGNATURE: u16 = 1 << 0;
const KU_NON_REPUDIATION: u16 = 1 << 1;

/// attribute type OIDs (X.520): countryName, organizationName,
/// organizationalUnitName.
const AT_C: &[u8] = &[0x55, 0x04, 0x06];
const AT_O: &[u8] = &[0x55, 0x04, 0x0A];
const AT_OU: &[u8] = &[0x55, 0x04, 0x0B];

const OU_SIGN: &str = "JPKI for digital signature";
const OU_AUTH: &str = "JPKI for user authentication";

/// Classifies a DER certificate as a JPKI signing certificate, a JPKI
/// authentication certificate, or something else.
///
/// The rule — both parts must agree, otherwise [`CertKind::Other`]:
///
/// 1. **Issuer DN**: exactly one `C`, equal to `JP`; exactly one `O`, equal
///    to `JPKI` (production) or `JPKI-TEST` (test cards); and among the
///    `OU`s exactly one of `JPKI for digital signature` (→ signing) or
///    `JPKI for user authentication` (→ authentication). Other `OU`s (the
///    J-LIS name) are allowed. Values compare exactly, in any string type.
/// 2. **keyUsage** present with exactly the profile's bits: signing =
///    digitalSignature + nonRepudiation; authentication = digitalSignature
///    only. Any other bit (keyCertSign on the CA's own certificate,
///    keyEncipherment, …) makes it `Other`. Criticality is not checked
///    here: this is a classification, not a validity check.
/// 3. **Not a CA or responder**: basicConstraints with `cA` TRUE, or an
///    extendedKeyUsage containing id-kp-OCSPSigning, makes it `Other`.
///    A delegated OCSP responder certified by the authentication CA has
///    the same issuer and often the same keyUsage (digitalSignature) as a
///    card's authentication certificate; only this tells them apart.
///
/// The issuer name alone is not enough: the CA's self-signed certificate
/// has the same issuer, and only keyUsage tells it apart. Unparseable input
/// (including any of these extensions being malformed or duplicated) is
/// `Other`; this function never fails or panics.
pub fn classify(cert_der: &[u8]) -> CertKind {
    // The verifier's zero-copy certificate parser: classification runs for
    // every certificate of a batch, and x509-parser's full decode cost as
    // much as the rest of the per-certificate work.
    let Ok(cert) = crate::cert::Cert::parse(cert_der) else {
        return CertKind::Other;
    };
    let Some(by_issuer) = issuer_kind(cert.issuer) else {
        return CertKind::Other;
    };
    let Some(flags) = cert.ext.key_usage else {
        return CertKind::Other;
    };
    let want = match by_issuer {
        CertKind::JpkiSigning => KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION,
        CertKind::JpkiAuthentication => KU_DIGITAL_SIGNATURE,
        CertKind::Other => return CertKind::Other,
    };
    if flags != want || cert.ext.basic.is_some_and(|(ca, _)| ca) || cert.ext.ocsp_signing {
        return CertKind::Other;
    }
    by_issuer
}

/// Part 1 of the [`classify`] rule, over the raw issuer Name
/// (SEQUENCE OF RelativeDistinguishedName, RFC 5280 §4.1.2.4).
fn issuer_kind(name: &[u8]) -> Option<CertKind> {
    let name = Reader::new(name).read(tag::SEQUENCE).ok()?;
    let mut rdns = Reader::new(name.value);
    let (mut c, mut o, mut kind) = (Vec::new(), Vec::new(), None);
    let mut jpki_ous = 0;
    while !rdns.is_empty() {
        let set = rdns.read(tag::SET).ok()?;
        let mut atvs = Reader::new(set.value);
        while !atvs.is_empty() {
            let atv = atvs.read(tag::SEQUENCE).ok()?;
            let mut r = Reader::new(atv.value);
            let oid = r.read(tag::OID).ok()?.value;
            let value = r.read_any().ok()?;
            let text = decode_string(value.tag, value.value).ok()?;
            match oid {
                AT_C => c.push(text),
                AT_O => o.push(text),
                AT_OU if text == OU_SIGN => {
                    jpki_ous += 1;
                    kind = Some(CertKind::JpkiSigning);
                }
                AT_OU if text == OU_AUTH => {
                    jpki_ous += 1;
                    kind = Some(CertKind::JpkiAuthentication);
                }
                _ => {}
            }
        }
    }
    let c_ok = matches!(c.as_slice(), [x] if x == "JP");
    let o_ok = matches!(o.as_slice(), [x] if x == "JPKI" || x == "JPKI-TEST");
    if c_ok && o_ok && jpki_ous == 1 {
        kind
    } else {
        None
    }
}

/// Decodes a character string of any type a certificate may use for text.
///
/// - UTF8String (0x0C): UTF-8, must be valid.
/// - PrintableString (0x13), IA5String (0x16), VisibleString (0x1A),
///   NumericString (0x12): must be 7-bit ASCII. The narrower character
///   sets of Printable/Numeric/Visible are not enforced: the values we
///   read (digits, commas) are in them anyway, and real-world encoders
///   are sloppy about which ASCII type they pick.
/// - BMPString (0x1E): UTF-16BE, even length, no unpaired surrogate.
/// - UniversalString (0x1C): UTF-32BE, length a multiple of 4.
/// - OCTET STRING (0x04): taken to hold UTF-8 (some encoders wrap the text
///   this way); must be valid UTF-8.
///
/// Anything else (T61String, whose encoding is ambiguous, constructed
/// forms, …) is an error rather than a guess.
fn decode_string(t: u8, v: &[u8]) -> Result<String, String> {
    use tag::{
        BMP_STRING as BMP, IA5_STRING as IA5, NUMERIC_STRING as NUMERIC,
        PRINTABLE_STRING as PRINTABLE, UNIVERSAL_STRING as UNIVERSAL, UTF8_STRING as UTF8,
        VISIBLE_STRING as VISIBLE,
    };
    match t {
        UTF8 | tag::OCTET_STRING => {
            let kind = if t == UTF8 {
                "UTF8String"
            } else {
                "OCTET STRING"
            };
            String::from_utf8(v.to_vec())
                .map_err(|e| format!("{kind} is not valid UTF-8 ({})", e.utf8_error()))
        }
        NUMERIC | PRINTABLE | IA5 | VISIBLE => {
            if let Some(pos) = v.iter().position(|b| !b.is_ascii()) {
                return Err(format!(
                    "string type 0x{t:02X} must be ASCII, byte {pos} is 0x{:02X}",
                    v[pos]
                ));
            }
            // All ASCII, hence valid UTF-8.
            Ok(v.iter().map(|&b| char::from(b)).collect())
        }
        BMP => {
            if !v.len().is_multiple_of(2) {
                return Err(format!("BMPString has odd length {}", v.len()));
            }
            let units = v.chunks_exact(2).map(|p| u16::from_be_bytes([p[0], p[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|e| {
                    format!(
                        "BMPString has an unpaired surrogate 0x{:04X}",
                        e.unpaired_surrogate()
                    )
                })
        }
        UNIVERSAL => {
            if !v.len().is_multiple_of(4) {
                return Err(format!(
                    "UniversalString length {} is not a multiple of 4",
                    v.len()
                ));
            }
            v.chunks_exact(4)
                .map(|p| {
                    let u = u32::from_be_bytes([p[0], p[1], p[2], p[3]]);
                    char::from_u32(u)
                        .ok_or_else(|| format!("UniversalString has invalid code point 0x{u:X}"))
                })
                .collect()
        }
        other => Err(format!(
            "unsupported string type (tag 0x{other:02X}); expected UTF8String, \
             PrintableString, IA5String, BMPString, UniversalString or OCTET STRING"
        )),
    }
}

/// Reads the holder's basic facts from a certificate's subjectAltName.
///
/// `Ok(None)` when the certificate has no subjectAltName or none of its
/// otherNames is under `1.2.392.200149.8.5.5` (an authentication
/// certificate, or not JPKI at all). Values are decoded from whatever
/// string type is present (see the module docs); other GeneralNames and
/// unknown arcs under the JPKI arc are ignored. Errors name the OID and
/// what was wrong: malformed DER, a field that appears twice, an
/// undecodable string, a sex code outside ISO 5218, or a birth date that
/// is not `era digit + YYYYMMDD` for a real date in that era.
///
/// Whether the certificate *is* a JPKI signing certificate is
/// [`classify`]'s question, not this function's.
pub fn basic_facts(cert_der: &[u8]) -> Result<Option<BasicFacts>, JpkiError> {
    let (rest, cert) =
        X509Certificate::from_der(cert_der).map_err(|e| JpkiError::Certificate(e.to_string()))?;
    if !rest.is_empty() {
        return Err(JpkiError::Certificate(format!(
            "{} bytes of trailing data after the certificate",
            rest.len()
        )));
    }
    let san = cert
        .get_extension_unique(&OID_X509_EXT_SUBJECT_ALT_NAME)
        .map_err(|e| JpkiError::Certificate(e.to_string()))?;
    match san {
        None => Ok(None),
        Some(ext) => facts_from_san(ext.value),
    }
}

/// The field names of arcs 1..=6, for messages.
const FIELDS: [&str; 6] = [
    "name",
    "name alt-char positions",
    "sex",
    "birth date",
    "address",
    "address alt-char positions",
];

/// Decodes the SAN extension's value: `GeneralNames ::= SEQUENCE OF
/// GeneralName`, where `otherName [0] IMPLICIT SEQUENCE { type-id OID,
/// value [0] EXPLICIT ANY }` (RFC 5280 §4.2.1.6).
fn facts_from_san(san: &[u8]) -> Result<Option<BasicFacts>, JpkiError> {
    let mut outer = Reader::new(san);
    let names = outer.read(tag::SEQUENCE).map_err(JpkiError::San)?;
    outer.finish().map_err(JpkiError::San)?;
    let mut r = Reader::new(names.value);
    let mut raw: [Option<String>; 6] = Default::default();
    while !r.is_empty() {
        let gn = r.read_any().map_err(JpkiError::San)?;
        if gn.tag != tag::context_constructed(0) {
            continue; // not an otherName
        }
        let mut on = Reader::new(gn.value);
        let oid_tlv = on.read(tag::OID).map_err(JpkiError::San)?;
        let oid = Oid(oid_tlv.value);
        let arc = match oid.0.strip_prefix(JPKI_FACTS_ARC) {
            Some([a @ 1..=6]) => usize::from(*a),
            _ => continue, // another otherName, or an arc we do not know
        };
        let oid_s = oid.to_string();
        let field = FIELDS[arc - 1];
        let bad = |why: String| JpkiError::OtherName {
            oid: oid_s.clone(),
            why,
        };
        let explicit = on
            .read(tag::context_constructed(0))
            .map_err(|e| bad(format!("value [0] EXPLICIT: {e}")))?;
        on.finish()
            .map_err(|e| bad(format!("after the value: {e}")))?;
        let mut v = Reader::new(explicit.value);
        let value = v.read_any().map_err(|e| bad(format!("value: {e}")))?;
        v.finish()
            .map_err(|e| bad(format!("inside [0] after the value: {e}")))?;
        let text = decode_string(value.tag, value.value).map_err(|why| JpkiError::BadString {
            oid: oid_s.clone(),
            field,
            why,
        })?;
        let slot = &mut raw[arc - 1];
        if slot.is_some() {
            return Err(JpkiError::Duplicate { oid: oid_s, field });
        }
        *slot = Some(text);
    }
    if raw.iter().all(Option::is_none) {
        return Ok(None);
    }
    let [name, name_alt, sex, birth_date, address, address_alt] = raw;
    if let Some(s) = &sex {
        if sex_label(s).is_none() {
            return Err(JpkiError::BadValue {
                oid: arc_oid(3),
                field: FIELDS[2],
                value: s.clone(),
                why: "expected one ISO 5218 digit: 0, 1, 2 or 9".into(),
            });
        }
    }
    let (birth_date_iso, era) = match &birth_date {
        Some(b) => {
            let (iso, era) = parse_birth_date(b).map_err(|why| JpkiError::BadValue {
                oid: arc_oid(4),
                field: FIELDS[3],
                value: b.clone(),
                why,
            })?;
            (Some(iso), Some(era.kanji().to_string()))
        }
        None => (None, None),
    };
    Ok(Some(BasicFacts {
        name,
        name_alt,
        sex,
        birth_date,
        birth_date_iso,
        era,
        address,
        address_alt,
    }))
}

fn arc_oid(arc: u8) -> String {
    format!("1.2.392.200149.8.5.5.{arc}")
}

/// `era digit + Gregorian YYYYMMDD` → (`YYYY-MM-DD`, era), checking that
/// the date exists and falls inside the era the digit names.
fn parse_birth_date(s: &str) -> Result<(String, Era), String> {
    let b = s.as_bytes();
    if b.len() != 9 || !b.iter().all(u8::is_ascii_digit) {
        return Err("expected 9 digits: era digit (1-5) + Gregorian YYYYMMDD".into());
    }
    let era = Era::from_digit(b[0])
        .ok_or_else(|| format!("era digit {} is not 1 (明治) to 5 (令和)", b[0] - b'0'))?;
    let num = |r: std::ops::Range<usize>| {
        b[r].iter()
            .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'))
    };
    let (y, m, d) = (num(1..5), num(5..7), num(7..9));
    if !(1..=12).contains(&m) || d == 0 || d > days_in_month(y, m) {
        return Err(format!("{y:04}-{m:02}-{d:02} is not a calendar date"));
    }
    match Era::of_date(y, m, d) {
        Some(actual) if actual == era => Ok((format!("{y:04}-{m:02}-{d:02}"), era)),
        Some(actual) => Err(format!(
            "era digit {} ({}) does not match {y:04}-{m:02}-{d:02}, which is in {} ({})",
            era.digit(),
            era.kanji(),
            actual.kanji(),
            actual.digit()
        )),
        None => Err(format!("{y:04}-{m:02}-{d:02} is before 明治 (1868-01-25)")),
    }
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y.is_multiple_of(4) && !y.is_multiple_of(100)) || y.is_multiple_of(400) => 29,
        2 => 28,
        _ => 0,
    }
}

#[cfg(test)]
mod tests;
