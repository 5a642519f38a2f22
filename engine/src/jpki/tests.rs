//! Unit tests for the SAN decoder, over SAN values built by a tiny DER
//! writer (whole certificates are tested in `engine/tests/it/jpki_openssl.rs`
//! and, against `kakunin gen`, in `tools/tests/cli/jpki.rs`).

use super::*;
use kakunin_testkit::der::{seq, tlv};
use proptest::prelude::*;

/// otherName [0] { OID 1.2.392.200149.8.5.5.<arc>, [0] { value } }
fn other_name(arc: u8, value: Vec<u8>) -> Vec<u8> {
    let mut oid = JPKI_FACTS_ARC.to_vec();
    oid.push(arc);
    let mut body = tlv(tag::OID, &oid);
    body.extend(tlv(0xA0, &value));
    tlv(0xA0, &body)
}

/// SubjectAltName: GeneralNames, a SEQUENCE of the names.
fn san(names: &[Vec<u8>]) -> Vec<u8> {
    seq(names)
}

fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0C, s.as_bytes())
}
fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}
fn bmp(s: &str) -> Vec<u8> {
    let b: Vec<u8> = s.encode_utf16().flat_map(u16::to_be_bytes).collect();
    tlv(0x1E, &b)
}

const NAME: &str = "山田\u{3000}太郎";
const ADDR: &str = "東京都千代田区霞が関二丁目1番2号\u{3000}301号室";

fn full(name_v: Vec<u8>, addr_v: Vec<u8>) -> Vec<u8> {
    san(&[
        // A DNS name and a foreign otherName first: both ignored.
        tlv(0x82, b"example.jp"),
        tlv(
            0xA0,
            &[tlv(tag::OID, &[0x2B, 0x06, 0x01]), tlv(0xA0, &utf8("x"))].concat(),
        ),
        other_name(1, name_v),
        other_name(2, printable("1,3")),
        other_name(3, printable("1")),
        other_name(4, printable("319850412")),
        other_name(5, addr_v),
        other_name(6, printable("")),
    ])
}

#[test]
fn decodes_every_field_utf8() {
    let f = facts_from_san(&full(utf8(NAME), utf8(ADDR)))
        .unwrap()
        .unwrap();
    assert_eq!(
        f,
        BasicFacts {
            name: Some(NAME.into()),
            name_alt: Some("1,3".into()),
            sex: Some("1".into()),
            birth_date: Some("319850412".into()),
            birth_date_iso: Some("1985-04-12".into()),
            era: Some("昭和".into()),
            address: Some(ADDR.into()),
            address_alt: Some("".into()),
        }
    );
    assert_eq!(f.sex_label(), Some("male"));
    assert_eq!(f.era_info(), Some(Era::Showa));
    assert_eq!(Era::Showa.letter(), 'S');
}

#[test]
fn decodes_bmp_octet_ia5_universal() {
    let want = facts_from_san(&full(utf8(NAME), utf8(ADDR))).unwrap();
    // BMPString (UTF-16BE)
    assert_eq!(facts_from_san(&full(bmp(NAME), bmp(ADDR))).unwrap(), want);
    // OCTET STRING holding UTF-8
    assert_eq!(
        facts_from_san(&full(
            tlv(0x04, NAME.as_bytes()),
            tlv(0x04, ADDR.as_bytes())
        ))
        .unwrap(),
        want
    );
    // UniversalString (UTF-32BE)
    let u32be = |s: &str| -> Vec<u8> {
        let b: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_be_bytes()).collect();
        tlv(0x1C, &b)
    };
    assert_eq!(
        facts_from_san(&full(u32be(NAME), u32be(ADDR))).unwrap(),
        want
    );
    // IA5String for ASCII text.
    let f = facts_from_san(&san(&[other_name(1, tlv(0x16, b"YAMADA TARO"))]))
        .unwrap()
        .unwrap();
    assert_eq!(f.name.as_deref(), Some("YAMADA TARO"));
    assert_eq!(f.sex, None);
    assert_eq!(f.birth_date_iso, None);
    // A BMP character outside the BMP via a surrogate pair (𠮷, U+20BB7).
    let f = facts_from_san(&san(&[other_name(1, bmp("𠮷野家"))]))
        .unwrap()
        .unwrap();
    assert_eq!(f.name.as_deref(), Some("𠮷野家"));
}

#[test]
fn long_values_use_long_form_lengths() {
    let long = "長".repeat(200); // 600 bytes: two-octet length
    let f = facts_from_san(&san(&[other_name(5, utf8(&long))]))
        .unwrap()
        .unwrap();
    assert_eq!(f.address.as_deref(), Some(long.as_str()));
}

#[test]
fn no_jpki_names_is_none() {
    assert_eq!(
        facts_from_san(&san(&[tlv(0x82, b"a.example")])).unwrap(),
        None
    );
    assert_eq!(facts_from_san(&san(&[])).unwrap(), None);
    // Unknown arc under the JPKI arc is ignored.
    assert_eq!(
        facts_from_san(&san(&[other_name(7, utf8("x"))])).unwrap(),
        None
    );
}

#[test]
fn eras_and_birth_dates() {
    let bd = |s: &str| parse_birth_date(s);
    assert_eq!(bd("118680125").unwrap(), ("1868-01-25".into(), Era::Meiji));
    assert_eq!(bd("219120730").unwrap().1, Era::Taisho);
    assert_eq!(bd("319261225").unwrap().1, Era::Showa);
    assert_eq!(bd("319890107").unwrap().1, Era::Showa);
    assert_eq!(bd("419890108").unwrap().1, Era::Heisei);
    assert_eq!(bd("420000229").unwrap().0, "2000-02-29");
    assert_eq!(bd("420190430").unwrap().1, Era::Heisei);
    assert_eq!(bd("520190501").unwrap(), ("2019-05-01".into(), Era::Reiwa));
    assert!(bd("419000229").is_err()); // 1900 not leap (and wrong era)
    assert!(bd("321000229").is_err());
    assert!(bd("420010229").unwrap_err().contains("not a calendar date"));
    assert!(bd("419890107").unwrap_err().contains("does not match"));
    assert!(bd("118680124").unwrap_err().contains("before"));
    assert!(bd("619850412").unwrap_err().contains("era digit 6"));
    assert!(bd("31985041").is_err());
    assert!(bd("3198504120").is_err());
    assert!(bd("3-1985-04").is_err());
    assert!(bd("３19850412").is_err()); // full-width digit
    assert!(bd("319851312").is_err());
    assert!(bd("319850400").is_err());
    for e in Era::ALL {
        assert_eq!(Era::from_digit(b'0' + e.digit()), Some(e));
    }
    assert_eq!(Era::from_digit(b'0'), None);
    assert_eq!(Era::from_digit(b'6'), None);
}

#[test]
fn sex_codes() {
    for (c, l) in [
        ("0", "not known"),
        ("1", "male"),
        ("2", "female"),
        ("9", "not applicable"),
    ] {
        let f = facts_from_san(&san(&[other_name(3, printable(c))]))
            .unwrap()
            .unwrap();
        assert_eq!(f.sex.as_deref(), Some(c));
        assert_eq!(f.sex_label(), Some(l));
    }
    for bad in ["3", "", "12", "M"] {
        let e = facts_from_san(&san(&[other_name(3, printable(bad))])).unwrap_err();
        assert!(
            matches!(&e, JpkiError::BadValue { oid, .. } if oid == "1.2.392.200149.8.5.5.3"),
            "{e}"
        );
        assert!(e.to_string().contains("ISO 5218"), "{e}");
    }
}

#[test]
fn errors_name_the_oid() {
    let e = facts_from_san(&san(&[other_name(4, printable("419850412"))])).unwrap_err();
    assert!(
        e.to_string().contains("1.2.392.200149.8.5.5.4") && e.to_string().contains("平成"),
        "{e}"
    );

    let e = facts_from_san(&san(&[other_name(1, tlv(0x0C, &[0xE5, 0xB1]))])).unwrap_err();
    assert!(matches!(e, JpkiError::BadString { .. }), "{e}");
    assert!(e.to_string().contains("1.2.392.200149.8.5.5.1"), "{e}");
    assert!(e.to_string().contains("UTF-8"), "{e}");

    let e = facts_from_san(&san(&[other_name(5, tlv(0x1E, &[0x5C]))])).unwrap_err();
    assert!(e.to_string().contains("odd length"), "{e}");
    let e = facts_from_san(&san(&[other_name(5, tlv(0x1E, &[0xD8, 0x00]))])).unwrap_err();
    assert!(e.to_string().contains("surrogate"), "{e}");
    let e = facts_from_san(&san(&[other_name(2, tlv(0x13, "１".as_bytes()))])).unwrap_err();
    assert!(e.to_string().contains("ASCII"), "{e}");
    let e = facts_from_san(&san(&[other_name(1, tlv(0x14, b"T61"))])).unwrap_err();
    assert!(e.to_string().contains("unsupported string type"), "{e}");
    assert!(e.to_string().contains("5.5.1"), "{e}");

    let e =
        facts_from_san(&san(&[other_name(1, utf8("a")), other_name(1, utf8("b"))])).unwrap_err();
    assert_eq!(
        e,
        JpkiError::Duplicate {
            oid: "1.2.392.200149.8.5.5.1".into(),
            field: "name"
        }
    );

    // otherName without its [0] EXPLICIT value.
    let mut oid = JPKI_FACTS_ARC.to_vec();
    oid.push(5);
    let e = facts_from_san(&san(&[tlv(0xA0, &tlv(tag::OID, &oid))])).unwrap_err();
    assert!(
        matches!(&e, JpkiError::OtherName { oid, .. } if oid == "1.2.392.200149.8.5.5.5"),
        "{e}"
    );
    // Two values inside [0].
    let e = facts_from_san(&san(&[other_name(5, [utf8("a"), utf8("b")].concat())])).unwrap_err();
    assert!(matches!(e, JpkiError::OtherName { .. }), "{e}");

    // Broken outer SEQUENCE, trailing bytes after it.
    assert!(matches!(
        facts_from_san(&[0x30, 0x05, 0x00]),
        Err(JpkiError::San(DerError::Truncated))
    ));
    let mut s = san(&[]);
    s.push(0);
    assert!(matches!(facts_from_san(&s), Err(JpkiError::San(_))));
}

#[test]
fn issuer_rule() {
    let atv = |oid: &[u8], v: Vec<u8>| {
        tlv(
            tag::SET,
            &tlv(tag::SEQUENCE, &[tlv(tag::OID, oid), v].concat()),
        )
    };
    let name = |rdns: &[Vec<u8>]| tlv(tag::SEQUENCE, &rdns.concat());
    let jlis = atv(
        AT_OU,
        printable("Japan Agency for Local Authority Information Systems"),
    );
    let sign = name(&[
        atv(AT_C, printable("JP")),
        atv(AT_O, printable("JPKI")),
        atv(AT_OU, printable(OU_SIGN)),
        jlis.clone(),
    ]);
    assert_eq!(issuer_kind(&sign), Some(CertKind::JpkiSigning));
    let auth_test_bmp = name(&[
        atv(AT_C, printable("JP")),
        atv(AT_O, utf8("JPKI-TEST")),
        atv(AT_OU, bmp(OU_AUTH)),
        jlis.clone(),
    ]);
    assert_eq!(
        issuer_kind(&auth_test_bmp),
        Some(CertKind::JpkiAuthentication)
    );
    // Wrong country, wrong O, missing/both OUs, repeated O.
    for bad in [
        name(&[
            atv(AT_C, printable("US")),
            atv(AT_O, printable("JPKI")),
            atv(AT_OU, printable(OU_SIGN)),
        ]),
        name(&[
            atv(AT_C, printable("JP")),
            atv(AT_O, printable("JPKI2")),
            atv(AT_OU, printable(OU_SIGN)),
        ]),
        name(&[
            atv(AT_C, printable("JP")),
            atv(AT_O, printable("JPKI")),
            jlis.clone(),
        ]),
        name(&[
            atv(AT_C, printable("JP")),
            atv(AT_O, printable("JPKI")),
            atv(AT_OU, printable(OU_SIGN)),
            atv(AT_OU, printable(OU_AUTH)),
        ]),
        name(&[
            atv(AT_C, printable("JP")),
            atv(AT_O, printable("JPKI")),
            atv(AT_O, printable("JPKI")),
            atv(AT_OU, printable(OU_SIGN)),
        ]),
        name(&[atv(AT_O, printable("JPKI")), atv(AT_OU, printable(OU_SIGN))]),
    ] {
        assert_eq!(issuer_kind(&bad), None);
    }
}

#[test]
fn garbage_is_an_error_or_other() {
    assert!(matches!(basic_facts(b""), Err(JpkiError::Certificate(_))));
    assert!(matches!(
        basic_facts(b"-----BEGIN CERTIFICATE-----"),
        Err(JpkiError::Certificate(_))
    ));
    assert_eq!(classify(b""), CertKind::Other);
    assert_eq!(classify(&[0x30, 0x03, 0x02, 0x01, 0x00]), CertKind::Other);
}

proptest! {
    #[test]
    fn never_panics_on_random_bytes(data in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = basic_facts(&data);
        let _ = classify(&data);
        let _ = facts_from_san(&data);
        let _ = issuer_kind(&data);
    }

    #[test]
    fn never_panics_on_mutated_san(pos in any::<prop::sample::Index>(), byte in any::<u8>(), cut in any::<prop::sample::Index>()) {
        let mut s = full(bmp(NAME), utf8(ADDR));
        let i = pos.index(s.len());
        s[i] = byte;
        let _ = facts_from_san(&s);
        let n = cut.index(s.len() + 1);
        let _ = facts_from_san(&s[..n]);
    }

    #[test]
    fn any_string_round_trips(s in "\\PC{0,40}") {
        for enc in [utf8(&s), bmp(&s), tlv(0x04, s.as_bytes())] {
            let f = facts_from_san(&san(&[other_name(5, enc)])).unwrap().unwrap();
            prop_assert_eq!(f.address.as_deref(), Some(s.as_str()));
        }
    }
}
