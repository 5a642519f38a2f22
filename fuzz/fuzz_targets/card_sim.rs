//! The virtual card's APDU handler (holder 1 of `data/`), fed a sequence
//! of commands: structured ones (so that the fuzzer gets past SELECT and
//! VERIFY quickly) and raw bytes, with power and reset in between. Every
//! input gets a fresh card: answers must not depend on earlier inputs.
//!
//! Checked besides "no panic": every answer is an R-APDU (at least SW1
//! SW2), and no counter ever goes above its maximum.
#![no_main]

use arbitrary::Arbitrary;
use kakunin_card::ap::{Ef, PinKind, JPKI_AID, TEXT_AID};
use kakunin_card::apdu::Response;
use kakunin_card::sim::SimPins;
use kakunin_fuzz::fresh_card;

/// A signature costs a millisecond or so: a few per input at most.
const MAX_SIGNATURES: usize = 2;
const MAX_STEPS: usize = 64;

const EFS: [Ef; 11] = Ef::ALL;

#[derive(Arbitrary, Debug)]
enum Step {
    SelectJpki,
    SelectText,
    SelectEf(u8),
    ReadBinary {
        offset: u16,
        le: u8,
    },
    /// `right`: the PIN SimPins::default() holds for the selected kind.
    Verify {
        kind: u8,
        right: bool,
        wrong: Vec<u8>,
    },
    Sign {
        data: Vec<u8>,
        le: u16,
    },
    Raw(Vec<u8>),
    /// CLA INS P1 P2 with any body: the header checks.
    Header {
        cla: u8,
        ins: u8,
        p1: u8,
        p2: u8,
        body: Vec<u8>,
    },
    PowerOff,
    PowerOn,
    Reset,
}

fn short(cla: u8, ins: u8, p1: u8, p2: u8, data: &[u8], le: Option<u8>) -> Vec<u8> {
    let mut a = vec![cla, ins, p1, p2];
    if !data.is_empty() {
        a.push(data.len().min(255) as u8);
        a.extend_from_slice(&data[..data.len().min(255)]);
    }
    a.extend(le);
    a
}

#[derive(Arbitrary, Debug)]
struct Input {
    no_sign_credential: bool,
    steps: Vec<Step>,
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let mut card = fresh_card(!input.no_sign_credential);
    let mut signatures = 0;
    for step in input.steps.iter().take(MAX_STEPS) {
        let apdu = match step {
            Step::PowerOff => {
                card.power_off();
                continue;
            }
            Step::PowerOn => {
                card.power_on();
                continue;
            }
            Step::Reset => {
                card.reset();
                continue;
            }
            Step::SelectJpki => short(0x00, 0xA4, 0x04, 0x0C, &JPKI_AID, None),
            Step::SelectText => short(0x00, 0xA4, 0x04, 0x0C, &TEXT_AID, None),
            Step::SelectEf(i) => {
                let id = EFS[*i as usize % EFS.len()].id();
                short(0x00, 0xA4, 0x02, 0x0C, &id, None)
            }
            Step::ReadBinary { offset, le } => {
                let [hi, lo] = offset.to_be_bytes();
                short(0x00, 0xB0, hi, lo, &[], Some(*le))
            }
            Step::Verify { kind, right, wrong } => {
                let kind = [PinKind::Auth, PinKind::Sign, PinKind::Text][*kind as usize % 3];
                let pin: &[u8] = match (right, kind) {
                    (false, _) => wrong,
                    (true, PinKind::Sign) => SimPins::DEFAULT_SIGN.as_bytes(),
                    (true, PinKind::Auth) => SimPins::DEFAULT_AUTH.as_bytes(),
                    (true, PinKind::Text) => SimPins::DEFAULT_TEXT.as_bytes(),
                };
                short(0x00, 0x20, 0x00, 0x80, pin, None)
            }
            Step::Sign { data, le } => {
                signatures += 1;
                if signatures > MAX_SIGNATURES {
                    continue;
                }
                let mut a = short(0x80, 0x2A, 0x00, 0x80, data, None);
                if data.is_empty() {
                    a.truncate(4);
                }
                a.push((*le % 256) as u8);
                a
            }
            Step::Raw(bytes) => {
                // A raw COMPUTE DIGITAL SIGNATURE counts as a signature.
                if bytes.get(1) == Some(&0x2A) {
                    signatures += 1;
                    if signatures > MAX_SIGNATURES {
                        continue;
                    }
                }
                bytes.clone()
            }
            Step::Header {
                cla,
                ins,
                p1,
                p2,
                body,
            } => {
                if *ins == 0x2A {
                    signatures += 1;
                    if signatures > MAX_SIGNATURES {
                        continue;
                    }
                }
                let mut a = vec![*cla, *ins, *p1, *p2];
                a.extend_from_slice(body);
                a
            }
        };
        let answer = card.handle(&apdu);
        let r = Response::parse(&answer).expect("every answer has a status word");
        let _ = r.sw;
        for kind in [PinKind::Auth, PinKind::Sign, PinKind::Text] {
            assert!(card.tries_left(kind) <= kind.max_tries());
        }
    }
});
