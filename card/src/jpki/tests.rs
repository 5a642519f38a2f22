//! The JPKI-AP client against the in-process virtual card (`crate::sim`),
//! holders of the sample PKI in `data/`. Files are read back and compared
//! with the PEM files `kakunin gen` wrote, decoded here by x509-parser; a
//! recording transport shows which APDUs went out.

use std::path::{Path, PathBuf};

use rsa::pkcs8::DecodePublicKey;
use rsa::sha2::{Digest, Sha256};
use rsa::{Pkcs1v15Sign, RsaPublicKey};

use super::*;
use crate::sim::{CardContents, SimPins, VirtualCard};

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

fn pem_der(path: &Path) -> Vec<u8> {
    let pem = std::fs::read(path).unwrap();
    x509_parser::pem::parse_x509_pem(&pem).unwrap().1.contents
}

/// The virtual card of sample holder `n`, and every APDU sent to it.
struct Recorder {
    card: VirtualCard,
    sent: Vec<Vec<u8>>,
    /// Fail with "removed" after this many more APDUs.
    remove_after: Option<usize>,
}

impl Transport for Recorder {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if let Some(n) = self.remove_after.as_mut() {
            if *n == 0 {
                return Err(TransportError::Removed);
            }
            *n -= 1;
        }
        self.sent.push(apdu.to_vec());
        Ok(self.card.handle(apdu))
    }
}

fn recorder(card: VirtualCard) -> Recorder {
    Recorder {
        card,
        sent: Vec::new(),
        remove_after: None,
    }
}

fn holder(n: u32) -> JpkiCard<Recorder> {
    let card = VirtualCard::from_holder(&data(""), n, SimPins::default()).unwrap();
    JpkiCard::open(recorder(card)).unwrap()
}

fn pin(kind: PinKind, text: &str) -> Pin {
    Pin::new(kind, text).unwrap()
}

const CAREFUL: PinPolicy = PinPolicy {
    allow_last_try: false,
};

/// VERIFY commands with a PIN in them, among `sent`.
fn pin_verifies(sent: &[Vec<u8>]) -> usize {
    sent.iter()
        .filter(|a| a[..2] == [0x00, 0x20] && a.len() > 4)
        .count()
}

#[test]
fn token_and_the_free_certificates_read_back_exactly() {
    let mut card = holder(1);
    assert_eq!(card.token_info().unwrap(), "JPKIAPICCTOKEN2");
    assert_eq!(
        card.certificate(CertSlot::Auth).unwrap(),
        pem_der(&data("holders/1/auth.pem"))
    );
    assert_eq!(
        card.certificate(CertSlot::AuthCa).unwrap(),
        pem_der(&data("auth-ca.pem"))
    );
    assert_eq!(
        card.certificate(CertSlot::SignCa).unwrap(),
        pem_der(&data("sign-ca.pem"))
    );
}

#[test]
fn the_signing_certificate_needs_the_signing_password() {
    let mut card = holder(2);
    assert!(matches!(
        card.certificate(CertSlot::Sign),
        Err(CardError::PinRequired {
            pin: PinKind::Sign,
            ..
        })
    ));
    card.verify_pin(&pin(PinKind::Sign, "jpki2026"), CAREFUL)
        .unwrap();
    assert_eq!(
        card.certificate(CertSlot::Sign).unwrap(),
        pem_der(&data("holders/2/sign.pem"))
    );
}

/// Files of many sizes around the 256-byte chunk: each read whole, in
/// ⌈n/256⌉ READ BINARYs, none past the end.
#[test]
fn files_of_every_size_are_read_in_chunks_sized_by_their_header() {
    for n in [3usize, 130, 255, 256, 257, 511, 512, 513, 1000, 2048, 4099] {
        let mut contents = CardContents::from_holder(&data(""), 1).unwrap();
        // A DER SEQUENCE of n bytes in all (header included).
        let header: Vec<u8> = match n - 2 {
            len if len < 0x80 => vec![0x30, len as u8],
            _ if n - 3 < 0x100 => vec![0x30, 0x81, (n - 3) as u8],
            _ => {
                let [hi, lo] = ((n - 4) as u16).to_be_bytes();
                vec![0x30, 0x82, hi, lo]
            }
        };
        let mut file = header.clone();
        file.extend((0..n - header.len()).map(|i| (i % 251) as u8));
        assert_eq!(file.len(), n);
        contents.auth_ca = file.clone();
        let vc = VirtualCard::new(contents, SimPins::default()).unwrap();
        let mut card = JpkiCard::open(recorder(vc)).unwrap();
        assert_eq!(
            card.certificate(CertSlot::AuthCa).unwrap(),
            file,
            "{n} bytes"
        );
        let reads = card
            .into_inner()
            .sent
            .iter()
            .filter(|a| a[1] == 0xB0)
            .count();
        assert_eq!(reads, n.div_ceil(256), "{n} bytes");
    }
}

#[test]
fn counters_are_read_without_spending_a_try_and_a_wrong_pin_costs_one() {
    let mut card = holder(3);
    assert_eq!(card.tries(PinKind::Auth).unwrap(), Tries::Left(3));
    assert_eq!(card.tries(PinKind::Sign).unwrap(), Tries::Left(5));
    assert_eq!(card.tries(PinKind::Text).unwrap(), Tries::Left(3));
    assert_eq!(card.tries(PinKind::Auth).unwrap(), Tries::Left(3));
    match card.verify_pin(&pin(PinKind::Auth, "9999"), CAREFUL) {
        Err(e @ CardError::WrongPin { tries_left: 2, .. }) => {
            assert_eq!(
                e.to_string(),
                "wrong user-authentication PIN (4 digits): 2 tries left"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(card.tries(PinKind::Auth).unwrap(), Tries::Left(2));
    card.verify_pin(&pin(PinKind::Auth, "1234"), CAREFUL)
        .unwrap();
    assert_eq!(card.tries(PinKind::Auth).unwrap(), Tries::Left(3));
}

#[test]
fn the_last_try_is_not_spent_without_consent_and_a_locked_pin_says_where_to_go() {
    let mut card = holder(4);
    for left in [2, 1] {
        assert!(matches!(
            card.verify_pin(&pin(PinKind::Auth, "0000"), CAREFUL),
            Err(CardError::WrongPin { tries_left, .. }) if tries_left == left
        ));
    }
    let before = pin_verifies(&card.ch_sent());
    let e = card
        .verify_pin(&pin(PinKind::Auth, "1234"), CAREFUL)
        .unwrap_err();
    assert!(matches!(e, CardError::LastTry(PinKind::Auth)), "{e:?}");
    assert!(e.to_string().contains("--i-know-it-may-lock"), "{e}");
    assert_eq!(pin_verifies(&card.ch_sent()), before, "nothing was sent");
    let bold = PinPolicy {
        allow_last_try: true,
    };
    let e = card
        .verify_pin(&pin(PinKind::Auth, "0000"), bold)
        .unwrap_err();
    assert!(matches!(e, CardError::Locked(PinKind::Auth)), "{e:?}");
    assert!(e.to_string().contains("municipal office"), "{e}");
    assert_eq!(card.tries(PinKind::Auth).unwrap(), Tries::Locked);
    // Even the right PIN no longer helps, and is not sent.
    let before = pin_verifies(&card.ch_sent());
    assert!(matches!(
        card.verify_pin(&pin(PinKind::Auth, "1234"), bold),
        Err(CardError::Locked(PinKind::Auth))
    ));
    assert_eq!(pin_verifies(&card.ch_sent()), before);
    // The signing password has its own counter.
    assert_eq!(card.tries(PinKind::Sign).unwrap(), Tries::Left(5));
}

#[test]
fn signatures_are_made_by_the_holders_keys_after_their_pins() {
    let mut card = holder(5);
    let digest: [u8; 32] = Sha256::digest(b"kakunin").into();
    assert!(matches!(
        card.sign_sha256(KeySlot::Auth, &digest),
        Err(CardError::PinRequired {
            pin: PinKind::Auth,
            ..
        })
    ));
    for (key, pin_kind, text, cert) in [
        (KeySlot::Auth, PinKind::Auth, "1234", "holders/5/auth.pem"),
        (
            KeySlot::Sign,
            PinKind::Sign,
            "JPKI2026",
            "holders/5/sign.pem",
        ),
    ] {
        card.verify_pin(&pin(pin_kind, text), CAREFUL).unwrap();
        let sig = card.sign_sha256(key, &digest).unwrap();
        let der = pem_der(&data(cert));
        let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
        let public = RsaPublicKey::from_public_key_der(c.public_key().raw).unwrap();
        public
            .verify(Pkcs1v15Sign::new::<Sha256>(), &digest, &sig)
            .unwrap_or_else(|e| panic!("{cert}: {e}"));
    }
}

#[test]
fn text_facts_equal_facts_json_and_the_jpki_ap_comes_back() {
    let mut card = holder(6);
    let f = card
        .text_facts(&pin(PinKind::Text, "1234"), CAREFUL)
        .unwrap();
    let want: serde_json::Value =
        serde_json::from_slice(&std::fs::read(data("holders/6/facts.json")).unwrap()).unwrap();
    assert_eq!(f.name, want["name"]);
    assert_eq!(f.address, want["address"]);
    assert_eq!(f.sex, want["sex"]);
    // facts.json has the certificate's era-coded date: era digit + YYYYMMDD.
    assert_eq!(f.birth_date, want["birth_date"].as_str().unwrap()[1..]);
    assert_eq!(card.token_info().unwrap(), "JPKIAPICCTOKEN2");
    assert!(matches!(
        card.text_facts(&pin(PinKind::Auth, "1234"), CAREFUL),
        Err(CardError::PinRequired {
            pin: PinKind::Text,
            ..
        })
    ));
}

/// Whatever a front end does, the text AP's My Number EF (0001) and hash
/// EF (0003) are never selected: only its PIN (0011) and facts (0002).
#[test]
fn the_my_number_and_its_hash_are_never_selected() {
    let mut card = holder(7);
    card.token_info().unwrap();
    for slot in CertSlot::ALL {
        let _ = card.certificate(slot);
    }
    card.text_facts(&pin(PinKind::Text, "1234"), CAREFUL)
        .unwrap();
    card.verify_pin(&pin(PinKind::Sign, "JPKI2026"), CAREFUL)
        .unwrap();
    card.certificate(CertSlot::Sign).unwrap();
    card.tries(PinKind::Text).unwrap();
    card.text_facts(&pin(PinKind::Text, "1234"), CAREFUL)
        .unwrap();
    let sent = card.into_inner().sent;
    let mut in_text_ap = false;
    let mut text_efs = Vec::new();
    for a in &sent {
        match &a[..4] {
            [0x00, 0xA4, 0x04, _] => in_text_ap = a[5..] == TEXT_AID,
            [0x00, 0xA4, 0x02, _] if in_text_ap => text_efs.push([a[5], a[6]]),
            _ => {}
        }
    }
    assert!(!text_efs.is_empty());
    for ef in &text_efs {
        assert!(
            [[0x00, 0x11], [0x00, 0x02]].contains(ef),
            "selected {ef:02X?} in the text AP"
        );
    }
}

#[test]
fn a_card_that_goes_away_or_is_not_jpki_gives_a_clear_error() {
    let vc = VirtualCard::from_holder(&data(""), 8, SimPins::default()).unwrap();
    let mut rec = recorder(vc);
    rec.remove_after = Some(4);
    let mut card = JpkiCard::open(rec).unwrap();
    let e = card.certificate(CertSlot::Auth).unwrap_err();
    assert!(
        matches!(e, CardError::Transport(TransportError::Removed)),
        "{e:?}"
    );
    assert_eq!(e.to_string(), "the card was removed");

    struct NotJpki;
    impl Transport for NotJpki {
        fn transmit(&mut self, _: &[u8]) -> Result<Vec<u8>, TransportError> {
            Ok(vec![0x6A, 0x82])
        }
    }
    let e = JpkiCard::open(NotJpki).err().unwrap();
    assert!(e.to_string().contains("no JPKI application"), "{e}");
}

impl JpkiCard<Recorder> {
    fn ch_sent(&mut self) -> Vec<Vec<u8>> {
        self.ch.transport_mut().sent.clone()
    }
}
