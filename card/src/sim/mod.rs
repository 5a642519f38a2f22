//! A virtual JPKI card: the JPKI AP and the text AP (券面事項入力補助 AP)
//! of a My Number Card, answering ISO 7816-4 command APDUs the way the card
//! does (`docs/jpki.md`, "The card"), so that the whole card path — client,
//! PC/SC, pcscd — runs without hardware. [`vpcd`] puts it into pcscd's
//! vsmartcard virtual reader; in-process it is a
//! [`Transport`].
//!
//! It holds what `kakunin gen` wrote for one holder: **public test keys**.
//! Never trust its CAs.
//!
//! # What it answers
//!
//! | command | answer |
//! | --- | --- |
//! | CLA other than `00`/`80`, or the wrong one of the two for the INS | `6E00` |
//! | INS other than SELECT, READ BINARY, VERIFY, COMPUTE DIGITAL SIGNATURE | `6D00` |
//! | fewer than 4 bytes, Lc/Le that do not match the length, the extended form, data or Le where the command has none | `6700` |
//! | `00 A4 04 0C Lc AID` | `9000`, or `6A82` for an unknown AID; clears every verified PIN |
//! | `00 A4 02 0C 02 EF` | `9000`, or `6A82` for an EF the current AP does not have (any EF before an AP is selected) |
//! | SELECT with other P1/P2 (MF, path, FCI) | `6A86` |
//! | `00 B0 P1 P2 Le` | data and `9000`; fewer bytes at the end of the file; `6B00` at or past the end; `6986` with no current EF; `6981` on a PIN or key EF; `6982` for the signing certificate or the facts before their PIN |
//! | READ BINARY with P1's top bit set (short EF id) | `6A86` |
//! | `00 20 00 80` (no data) on a PIN EF | `63Cx`, x tries left, nothing spent; `63C0` when locked |
//! | `00 20 00 80 Lc PIN` | `9000` (counter back to its maximum); wrong: `63Cx` with the new count (`63C0` on the try that locks); locked: `6984` |
//! | `80 2A 00 80 Lc DigestInfo 00` on a key EF | the PKCS#1 v1.5 signature and `9000`; `6982` before its PIN; `6C00` for Le below the signature's size; `6700` without Le or for data too long to pad |
//! | READ BINARY, VERIFY or COMPUTE DIGITAL SIGNATURE with no current EF / on the wrong kind of EF | `6986` / `6981` |
//! | VERIFY or COMPUTE DIGITAL SIGNATURE with other P1/P2 | `6A86` |
//! | a VERIFY whose new counter the `--state` file cannot store | `6581` (memory failure); a spent try stays spent, the PIN unverified |
//!
//! The choices where sources are silent or disagree, and why:
//!
//! - **Locked PIN**: the try that reaches zero answers `63C0`; after that a
//!   VERIFY with data answers `6984`, and the empty VERIFY keeps answering
//!   `63C0`. That is what jpki/myna tells apart ("wrong, now blocked" on
//!   `63C0`, "already blocked" on `6984`), and OpenSC's JPKI driver reads
//!   the counter only from an `63xx` answer, so a locked card must still
//!   give one to the counter query.
//! - **Short EF addressing** (P1 top bit) answers `6A86` (incorrect P1-P2),
//!   not `6B00`: `6B00` means "offset outside the EF", and a client that
//!   takes it as the end of the file would silently return a truncated
//!   file instead of reporting the unsupported addressing mode.
//! - **The DigestInfo** is not checked: any data that fits PKCS#1 v1.5
//!   padding is signed, as the card does (OpenSC declares the JPKI keys
//!   "hash none, PKCS#1 padding" and sends the DigestInfo of whatever hash
//!   the application chose). A client that sends the wrong bytes gets a
//!   signature no verifier accepts, which is the failure a test must see.
//! - **A wrong PIN of the wrong length** costs a try like any wrong PIN: the
//!   card only compares. That is why the client checks the format first.
//! - A failed SELECT leaves the current AP, EF and verified PINs as they
//!   were (ISO 7816-4 §7.1.1).
//! - **The EF sizes** are exactly the certificates': clients size their
//!   reads from the DER header, so the card's padding (if any) does not
//!   matter to them.
//!
//! The text AP's My Number EF (`0001`) and its hash EF (`0003`) do not
//! exist here at all (`6A82`): the simulator never holds a My Number.

mod contents;
mod pins;
#[cfg(test)]
mod tests;
pub mod vpcd;

use std::path::{Path, PathBuf};

use rsa::traits::PublicKeyParts;
use rsa::Pkcs1v15Sign;

use crate::ap::{Ef, KeySlot, PinKind, JPKI_AID, TEXT_AID};
use crate::apdu::{Command, Response, StatusWord};
use crate::transport::{Transport, TransportError};

pub use contents::{CardContents, Credential};
pub use pins::SimPins;

/// The answer to reset: the contact ATR OpenSC's JPKI driver lists (T=1).
/// Clients must not rely on it — they identify the card by SELECT, and
/// contactless readers make up their own ATR.
pub const ATR: [u8; 9] = [0x3B, 0xE0, 0x00, 0xFF, 0x81, 0x31, 0xFE, 0x45, 0x14];

/// Token info of a My Number Card (EF `0006`, space-padded to 32 bytes).
pub const TOKEN_INFO: &str = "JPKIAPICCTOKEN2";

/// Why a virtual card could not be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file (or value) is not what the card needs.
    #[error("{what}: {problem}")]
    Invalid {
        /// The file or thing.
        what: String,
        /// What is wrong with it.
        problem: String,
    },
    /// A PIN override the card could not hold. Never includes the PIN.
    #[error("the {} for the simulator {problem}", kind.describe())]
    Pin {
        /// Which PIN.
        kind: PinKind,
        /// What is wrong with it.
        problem: &'static str,
    },
    /// The `--state` file cannot be used.
    #[error("state file {}: {problem}", path.display())]
    State {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
}

/// An application of the card.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Jpki,
    Text,
}

impl App {
    fn by_aid(aid: &[u8]) -> Option<App> {
        match aid {
            a if a == JPKI_AID => Some(App::Jpki),
            a if a == TEXT_AID => Some(App::Text),
            _ => None,
        }
    }

    fn aid(self) -> &'static [u8; 10] {
        match self {
            App::Jpki => &JPKI_AID,
            App::Text => &TEXT_AID,
        }
    }

    /// The EFs it has: those of [`Ef::ALL`] in this AP (the text AP's
    /// `0001` and `0003` are not among them).
    fn efs(self) -> impl Iterator<Item = Ef> {
        Ef::ALL.into_iter().filter(move |ef| ef.aid() == self.aid())
    }
}

/// What an EF is to the commands.
enum Node<'a> {
    /// Transparent, readable once `pin` (if any) is verified.
    Binary {
        bytes: &'a [u8],
        pin: Option<PinKind>,
    },
    Pin(PinKind),
    Key(KeySlot),
}

/// Largest EF: READ BINARY offsets stop at `7FFF`.
const MAX_EF: usize = 0x8000;

/// A virtual My Number Card. Not `Clone`: a card exists once (its
/// counters would otherwise diverge).
pub struct VirtualCard {
    contents: CardContents,
    token_info: [u8; 32],
    facts: Vec<u8>,
    pins: SimPins,
    counters: pins::Counters,
    app: Option<App>,
    ef: Option<Ef>,
    verified: Vec<PinKind>,
}

impl std::fmt::Debug for VirtualCard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VirtualCard")
            .field("app", &self.app)
            .field("ef", &self.ef)
            .field("verified", &self.verified)
            .field("counters", &self.counters)
            .finish_non_exhaustive()
    }
}

impl VirtualCard {
    /// A new card (every counter at its maximum) holding `contents`.
    pub fn new(contents: CardContents, pins: SimPins) -> Result<VirtualCard, SimError> {
        let mut token_info = [b' '; 32];
        token_info[..TOKEN_INFO.len()].copy_from_slice(TOKEN_INFO.as_bytes());
        let facts = contents.facts.encode();
        let card = VirtualCard {
            contents,
            token_info,
            facts,
            pins,
            counters: pins::Counters::fresh(),
            app: None,
            ef: None,
            verified: Vec::new(),
        };
        for app in [App::Jpki, App::Text] {
            for ef in app.efs() {
                if let Some(Node::Binary { bytes, .. }) = card.node(app, ef) {
                    if bytes.len() > MAX_EF {
                        return Err(SimError::Invalid {
                            what: format!("EF {:02X?}", ef.id()),
                            problem: format!(
                                "{} bytes do not fit the card (at most {MAX_EF})",
                                bytes.len()
                            ),
                        });
                    }
                }
            }
        }
        Ok(card)
    }

    /// The card of holder `holder` in a directory `kakunin gen` wrote.
    pub fn from_holder(pki: &Path, holder: u32, pins: SimPins) -> Result<VirtualCard, SimError> {
        VirtualCard::new(CardContents::from_holder(pki, holder)?, pins)
    }

    /// Keeps the retry counters in `path` (created for a new card, else
    /// read), so that they survive a restart of the simulator.
    pub fn with_state_file(mut self, path: &Path) -> Result<VirtualCard, SimError> {
        self.counters = pins::Counters::open(path)?;
        Ok(self)
    }

    /// The answer to reset.
    pub fn atr(&self) -> &'static [u8] {
        &ATR
    }

    /// Tries left for a PIN (what the empty VERIFY answers).
    pub fn tries_left(&self, kind: PinKind) -> u8 {
        self.counters.get(kind)
    }

    /// Power off: the verified state and the selection are gone; the
    /// counters stay.
    pub fn power_off(&mut self) {
        self.forget_session();
    }

    /// Power on (the same clean session as a reset).
    pub fn power_on(&mut self) {
        self.forget_session();
    }

    /// Warm reset: like power-off then power-on.
    pub fn reset(&mut self) {
        self.forget_session();
    }

    fn forget_session(&mut self) {
        self.app = None;
        self.ef = None;
        self.verified.clear();
    }

    /// Answers one command APDU with the response APDU's bytes (data ‖ SW1
    /// SW2). Any input gets an answer; none makes it panic.
    pub fn handle(&mut self, apdu: &[u8]) -> Vec<u8> {
        self.respond(apdu).encode()
    }

    fn respond(&mut self, apdu: &[u8]) -> Response {
        self.dispatch(apdu).unwrap_or_else(Response::status)
    }

    /// The answer with data, or (`Err`) an answer that is only a status
    /// word: a refusal, or a counter (`63Cx`). Checks
    /// run in the card's order: class, instruction, length, then the
    /// command's own (parameters, current file, security, data).
    fn dispatch(&mut self, apdu: &[u8]) -> Result<Response, StatusWord> {
        let [cla, ins, ..] = *apdu else {
            return Err(StatusWord::WrongLength);
        };
        if cla != 0x00 && cla != 0x80 {
            return Err(StatusWord::ClaNotSupported);
        }
        let wanted_cla = match ins {
            0xA4 | 0xB0 | 0x20 => 0x00,
            0x2A => 0x80,
            _ => return Err(StatusWord::InsNotSupported),
        };
        if cla != wanted_cla {
            return Err(StatusWord::ClaNotSupported);
        }
        // The card (and the Debian vpcd) speak short APDUs only. In the
        // short form the byte after the header is Lc or Le, never a `00`
        // followed by more bytes.
        if apdu.len() > 5 && apdu[4] == 0 {
            return Err(StatusWord::WrongLength);
        }
        let cmd = Command::decode(apdu).map_err(|_| StatusWord::WrongLength)?;
        match ins {
            0xA4 => self.select(&cmd),
            0xB0 => self.read_binary(&cmd),
            0x20 => self.verify(&cmd),
            _ => self.sign(&cmd),
        }
    }

    fn select(&mut self, cmd: &Command) -> Result<Response, StatusWord> {
        if cmd.p2 != 0x0C {
            return Err(StatusWord::IncorrectP1P2);
        }
        match cmd.p1 {
            0x04 => {
                if !(1..=16).contains(&cmd.data.len()) {
                    return Err(StatusWord::WrongLength);
                }
                let app = App::by_aid(&cmd.data).ok_or(StatusWord::FileNotFound)?;
                self.forget_session();
                self.app = Some(app);
            }
            0x02 => {
                let id = <[u8; 2]>::try_from(cmd.data.as_slice())
                    .map_err(|_| StatusWord::WrongLength)?;
                let ef = self
                    .app
                    .and_then(|app| {
                        app.efs()
                            .find(|&ef| ef.id() == id && self.node(app, ef).is_some())
                    })
                    .ok_or(StatusWord::FileNotFound)?;
                self.ef = Some(ef);
            }
            _ => return Err(StatusWord::IncorrectP1P2),
        }
        Ok(Response::ok([]))
    }

    /// What `ef` of `app` is; `None` for an EF this card does not have
    /// (the signing ones on a card without a signing certificate).
    fn node(&self, app: App, ef: Ef) -> Option<Node<'_>> {
        fn free(bytes: &[u8]) -> Node<'_> {
            Node::Binary { bytes, pin: None }
        }
        let sign = self.contents.sign.as_ref();
        Some(match (app, ef) {
            (App::Jpki, Ef::TokenInfo) => free(&self.token_info),
            (App::Jpki, Ef::AuthCert) => free(self.contents.auth.cert()),
            (App::Jpki, Ef::AuthCaCert) => free(&self.contents.auth_ca),
            (App::Jpki, Ef::SignCaCert) => free(&self.contents.sign_ca),
            (App::Jpki, Ef::SignCert) => Node::Binary {
                bytes: sign?.cert(),
                pin: Some(PinKind::Sign),
            },
            (App::Jpki, Ef::AuthKey) => Node::Key(KeySlot::Auth),
            (App::Jpki, Ef::AuthPin) => Node::Pin(PinKind::Auth),
            (App::Jpki, Ef::SignKey) => {
                sign?;
                Node::Key(KeySlot::Sign)
            }
            (App::Jpki, Ef::SignPin) => {
                sign?;
                Node::Pin(PinKind::Sign)
            }
            (App::Text, Ef::TextPin) => Node::Pin(PinKind::Text),
            (App::Text, Ef::TextFacts) => Node::Binary {
                bytes: &self.facts,
                pin: Some(PinKind::Text),
            },
            _ => return None,
        })
    }

    /// The current EF as the kind of file a command works on: `6986` when
    /// there is no current EF, `6981` when it is another kind.
    fn current_as<'a, T>(&'a self, kind: impl Fn(Node<'a>) -> Option<T>) -> Result<T, StatusWord> {
        let node = match (self.app, self.ef) {
            (Some(app), Some(ef)) => self.node(app, ef),
            _ => None,
        };
        kind(node.ok_or(StatusWord::NotAllowed)?).ok_or(StatusWord::IncompatibleFile)
    }

    fn is_verified(&self, pin: PinKind) -> Result<(), StatusWord> {
        match self.verified.contains(&pin) {
            true => Ok(()),
            false => Err(StatusWord::SecurityNotSatisfied),
        }
    }

    fn read_binary(&self, cmd: &Command) -> Result<Response, StatusWord> {
        if cmd.p1 & 0x80 != 0 {
            return Err(StatusWord::IncorrectP1P2);
        }
        let le = cmd
            .le
            .filter(|_| cmd.data.is_empty())
            .ok_or(StatusWord::WrongLength)?;
        let (bytes, pin) = self.current_as(|n| match n {
            Node::Binary { bytes, pin } => Some((bytes, pin)),
            _ => None,
        })?;
        if let Some(pin) = pin {
            self.is_verified(pin)?;
        }
        let offset = u16::from_be_bytes([cmd.p1, cmd.p2]) as usize;
        if offset >= bytes.len() {
            return Err(StatusWord::WrongP1P2);
        }
        let end = bytes.len().min(offset + le);
        Ok(Response::ok(&bytes[offset..end]))
    }

    fn verify(&mut self, cmd: &Command) -> Result<Response, StatusWord> {
        if (cmd.p1, cmd.p2) != (0x00, 0x80) {
            return Err(StatusWord::IncorrectP1P2);
        }
        let kind = self.current_as(|n| match n {
            Node::Pin(kind) => Some(kind),
            _ => None,
        })?;
        let tries = self.counters.get(kind);
        if cmd.data.is_empty() {
            return Err(StatusWord::TriesLeft(tries));
        }
        if tries == 0 {
            return Err(StatusWord::RefDataNotUsable);
        }
        // ISO 7816-4: a failed comparison also resets the PIN's security
        // status, so it is forgotten first and set again only on success.
        self.verified.retain(|&k| k != kind);
        let right = pins::same(&cmd.data, self.pins.get(kind));
        let left = if right { kind.max_tries() } else { tries - 1 };
        // When the card's storage fails (`6581` memory failure) the try is
        // spent in memory all the same, and the PIN stays unverified.
        self.counters
            .set(kind, left)
            .map_err(|_| StatusWord::Other(0x6581))?;
        if !right {
            return Err(StatusWord::TriesLeft(left));
        }
        self.verified.push(kind);
        Ok(Response::ok([]))
    }

    fn sign(&mut self, cmd: &Command) -> Result<Response, StatusWord> {
        if (cmd.p1, cmd.p2) != (0x00, 0x80) {
            return Err(StatusWord::IncorrectP1P2);
        }
        let slot = self.current_as(|n| match n {
            Node::Key(slot) => Some(slot),
            _ => None,
        })?;
        self.is_verified(slot.pin())?;
        let credential = match slot {
            KeySlot::Auth => Some(&self.contents.auth),
            KeySlot::Sign => self.contents.sign.as_ref(),
        };
        let key = credential
            .map(Credential::key)
            .ok_or(StatusWord::NotAllowed)?;
        let size = key.size();
        let le = cmd
            .le
            .filter(|_| !cmd.data.is_empty())
            .ok_or(StatusWord::WrongLength)?;
        if le < size {
            return Err(StatusWord::WrongLe((size % 256) as u8));
        }
        // No blinding RNG: the keys are public test keys, and a
        // deterministic signature makes test failures reproducible.
        key.sign(Pkcs1v15Sign::new_unprefixed(), &cmd.data)
            .map(Response::ok)
            .map_err(|_| StatusWord::WrongLength)
    }
}

/// The virtual card in-process: every exchange is answered, none fails.
impl Transport for VirtualCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        Ok(self.handle(apdu))
    }
}
