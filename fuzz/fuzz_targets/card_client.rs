//! The JPKI-AP client against a card whose answers are the fuzz input:
//! every operation of `JpkiCard` runs in turn (errors are fine), and none
//! may panic, loop or allocate without bound. Every command it sends must
//! be a well-formed APDU.
//!
//! Input: a policy byte, then answers, each a length byte (`FF`: a
//! big-endian u16 length follows) and that many bytes; once the answers
//! run out the card is "removed".
#![no_main]

use kakunin_card::ap::{CertSlot, KeySlot, PinKind};
use kakunin_card::apdu::Command;
use kakunin_card::jpki::{JpkiCard, PinPolicy};
use kakunin_card::pin::Pin;
use kakunin_card::transport::{Transport, TransportError};

/// More exchanges than any sequence below needs with a sane card
/// (GET RESPONSE rounds are capped at 64 per command).
const MAX_EXCHANGES: usize = 20_000;

struct FuzzedCard<'a> {
    input: &'a [u8],
    exchanges: usize,
}

impl FuzzedCard<'_> {
    fn next_answer(&mut self) -> Option<Vec<u8>> {
        let (&len, rest) = self.input.split_first()?;
        let (len, rest) = if len == 0xFF {
            let (l, rest) = rest.split_first_chunk::<2>()?;
            (u16::from_be_bytes(*l) as usize, rest)
        } else {
            (len as usize, rest)
        };
        let len = len.min(rest.len());
        let (answer, rest) = rest.split_at(len);
        self.input = rest;
        Some(answer.to_vec())
    }
}

impl Transport for FuzzedCard<'_> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.exchanges += 1;
        assert!(self.exchanges < MAX_EXCHANGES, "the client keeps sending");
        assert!(
            Command::decode(apdu).is_ok(),
            "the client sent a malformed APDU {apdu:02X?}"
        );
        self.next_answer().ok_or(TransportError::Removed)
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&policy, answers)) = data.split_first() else {
        return;
    };
    let policy = PinPolicy {
        allow_last_try: policy & 1 != 0,
    };
    let auth = Pin::new(PinKind::Auth, "1234").expect("a valid PIN");
    let sign = Pin::new(PinKind::Sign, "JPKI2026").expect("a valid password");
    let text = Pin::new(PinKind::Text, "5678").expect("a valid PIN");
    let transport = FuzzedCard {
        input: answers,
        exchanges: 0,
    };
    let Ok(mut card) = JpkiCard::open(transport) else {
        return;
    };
    let _ = card.token_info();
    for slot in [
        CertSlot::Auth,
        CertSlot::AuthCa,
        CertSlot::Sign,
        CertSlot::SignCa,
    ] {
        if let Ok(der) = card.certificate(slot) {
            // read_tlv_file caps a file at what a JPKI EF holds.
            assert!(der.len() <= 0x8000);
        }
    }
    for kind in [PinKind::Auth, PinKind::Sign, PinKind::Text] {
        let _ = card.tries(kind);
    }
    let _ = card.verify_pin(&auth, policy);
    let _ = card.sign_sha256(KeySlot::Auth, &[0x11; 32]);
    let _ = card.verify_pin(&sign, policy);
    let _ = card.sign_sha256(KeySlot::Sign, &[0x22; 32]);
    let _ = card.certificate(CertSlot::Sign);
    let _ = card.text_facts(&text, policy);
    let _ = card.text_facts(&auth, policy);
    let _ = card.token_info();
    let _ = card.into_inner();
});
