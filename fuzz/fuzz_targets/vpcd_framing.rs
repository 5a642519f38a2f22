//! The virtual card's vpcd framing (`card/src/sim/vpcd.rs`: 2-byte
//! big-endian length and payload; `00` power off, `01` on, `02` reset,
//! `04` ATR, longer messages C-APDUs) over an in-memory stream that hands
//! the bytes over in pieces cut at fuzzed points, with "try again" errors
//! (a read timeout, an interrupted call) between some pieces, as a TCP
//! socket with a read timeout does. Writes are accepted a few bytes at a
//! time.
//!
//! Checked besides "no panic": what the card writes is a sequence of
//! whole frames, exactly one per `04` and per C-APDU of the complete
//! messages sent, in order, and each is what a second card of the same
//! holder answers when given the same messages directly (the ATR;
//! `VirtualCard::handle`'s R-APDU, at least SW1 SW2); the card counts as
//! inserted exactly when a whole message came; a stream that ends
//! mid-message ends the connection without an answer to it.
#![no_main]

use std::io::{self, Read, Write};

use arbitrary::{Arbitrary, Unstructured};
use kakunin_card::sim::vpcd::fuzzing::serve;
use kakunin_card::sim::VirtualCard;
use kakunin_fuzz::fresh_card;

/// A signature costs a millisecond or so.
const MAX_SIGNATURES: usize = 2;
const MAX_MESSAGES: usize = 64;

#[derive(Arbitrary, Debug)]
enum Message {
    Control(u8),
    Apdu(Vec<u8>),
    /// A length that need not match: the stream desynchronises.
    Lying {
        len: u16,
        bytes: Vec<u8>,
    },
}

/// After a first byte of 0 (raw: the rest is the stream, read whole) or
/// 1 (raw, a byte at a time); any other first byte: the rest is this.
#[derive(Arbitrary, Debug)]
struct Input {
    messages: Vec<Message>,
    /// Sizes of the pieces reads return (cycled; 0 = a "try again" error).
    cuts: Vec<u8>,
    write_step: u8,
    with_sign: bool,
}

struct Pipe<'a> {
    input: &'a [u8],
    cuts: &'a [u8],
    next_cut: usize,
    written: Vec<u8>,
    write_step: usize,
}

impl Read for Pipe<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.input.is_empty() || buf.is_empty() {
            return Ok(0);
        }
        let cut = if self.cuts.is_empty() {
            usize::MAX
        } else {
            let c = self.cuts[self.next_cut % self.cuts.len()];
            self.next_cut += 1;
            if c == 0 {
                // Not every time: a cut list of zeros alone would spin.
                let kind = if self.next_cut.is_multiple_of(2) {
                    io::ErrorKind::WouldBlock
                } else {
                    io::ErrorKind::Interrupted
                };
                if !self.next_cut.is_multiple_of(3) {
                    return Err(kind.into());
                }
                1
            } else {
                c as usize
            }
        };
        let n = cut.min(buf.len()).min(self.input.len());
        buf[..n].copy_from_slice(&self.input[..n]);
        self.input = &self.input[n..];
        Ok(n)
    }
}

impl Write for Pipe<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = buf.len().min(self.write_step);
        self.written.extend_from_slice(&buf[..n]);
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Whole frames of `b`, and whether bytes were left over.
fn frames(mut b: &[u8]) -> (Vec<&[u8]>, bool) {
    let mut out = Vec::new();
    while let Some((len, rest)) = b.split_first_chunk::<2>() {
        let len = u16::from_be_bytes(*len) as usize;
        if rest.len() < len {
            break;
        }
        out.push(&rest[..len]);
        b = &rest[len..];
    }
    (out, !b.is_empty())
}

/// What the card should write for `messages`, from a card driven directly.
fn expected_replies(card: &mut VirtualCard, messages: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for m in messages {
        match m {
            [] => {}
            [0x00] => card.power_off(),
            [0x01] => card.power_on(),
            [0x02] => card.reset(),
            [0x04] => out.push(card.atr().to_vec()),
            [_] => {}
            apdu => out.push(card.handle(apdu)),
        }
    }
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = match mode {
        0 | 1 => Input {
            messages: Vec::new(),
            cuts: if mode == 1 { vec![1] } else { Vec::new() },
            write_step: 255,
            with_sign: true,
        },
        _ => match Input::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(i) => i,
            Err(_) => return,
        },
    };
    let bytes = match mode {
        0 | 1 => rest.to_vec(),
        _ => {
            let mut out = Vec::new();
            for m in input.messages.iter().take(MAX_MESSAGES) {
                match m {
                    Message::Control(c) => out.extend_from_slice(&[0, 1, *c]),
                    Message::Apdu(a) => {
                        out.extend_from_slice(&(a.len() as u16).to_be_bytes());
                        out.extend_from_slice(a);
                    }
                    Message::Lying { len, bytes } => {
                        out.extend_from_slice(&len.to_be_bytes());
                        out.extend_from_slice(bytes);
                    }
                }
            }
            out
        }
    };
    let (sent, _) = frames(&bytes);
    let signatures = sent
        .iter()
        .filter(|m| m.len() > 1 && m.get(1) == Some(&0x2A))
        .count();
    if sent.len() > MAX_MESSAGES || signatures > MAX_SIGNATURES {
        return;
    }

    let mut pipe = Pipe {
        input: &bytes,
        cuts: &input.cuts,
        next_cut: 0,
        written: Vec::new(),
        write_step: (input.write_step as usize).max(1),
    };
    let mut card = fresh_card(input.with_sign);
    let mut answered = 0usize;
    let (inserted, error) = serve(&mut pipe, &mut card, |e| {
        if matches!(e, kakunin_card::sim::vpcd::Event::Apdu { .. }) {
            answered += 1;
        }
    });
    assert_eq!(
        inserted,
        !sent.is_empty(),
        "inserted iff a whole message came"
    );
    let error = error.expect("the stream ends, so the connection does");
    assert_eq!(error.kind(), io::ErrorKind::UnexpectedEof, "{error}");

    let (replies, left_over) = frames(&pipe.written);
    assert!(!left_over, "the card wrote a partial frame");
    let want = expected_replies(&mut fresh_card(input.with_sign), &sent);
    assert_eq!(replies.len(), want.len(), "one reply per 04 and per C-APDU");
    for (got, want) in replies.iter().zip(&want) {
        assert_eq!(got, want);
        assert!(got.len() >= 2, "a reply is an ATR or an R-APDU");
    }
    assert_eq!(answered, sent.iter().filter(|m| m.len() > 1).count());
});
