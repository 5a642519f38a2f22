//! The JPKI-AP client: what a front end asks a My Number Card, over any
//! [`Transport`].
//!
//! Every PIN use goes the same way: the format was checked when the
//! [`Pin`] was made; the counter is read first with an empty VERIFY (which
//! spends nothing); a locked PIN, or one try left without
//! [`PinPolicy::allow_last_try`], stops there; only then is the PIN sent.
//!
//! The client selects only the files named in [`crate::ap`]: the text AP's
//! My Number EF and its hash EF have no name there, so no path reaches
//! them.

use crate::ap::{CertSlot, Ef, KeySlot, PinKind, JPKI_AID, TEXT_AID};
use crate::apdu::{Command, Response, StatusWord};
use crate::pin::Pin;
pub use crate::text_ap::TextFacts;
use crate::tlv;
use crate::transport::{Channel, Transport, TransportError};

/// Largest READ BINARY chunk of a short APDU.
const CHUNK: usize = 256;
/// Offsets above this would set P1's top bit (short-EF addressing).
const MAX_OFFSET: usize = 0x7FFF;

/// What went wrong with a card operation. No variant carries a PIN.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// The reader or the card went away, or answered nonsense.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// SELECT of the JPKI AP failed: not a My Number Card (or a card
    /// without its JPKI application).
    #[error("this card has no JPKI application (is it a My Number Card?): SELECT answered {0}")]
    NotJpki(StatusWord),
    /// The text AP is missing.
    #[error("this card has no text application (券面事項入力補助AP): SELECT answered {0}")]
    NoTextAp(StatusWord),
    /// A file that should be there is not: e.g. no signing certificate
    /// (holders under 15 have none).
    #[error("the card has no {0}")]
    Missing(&'static str),
    /// Reading needs a PIN that was not verified (`6982`).
    #[error("the card wants the {} verified before it gives the {what}", .pin.describe())]
    PinRequired {
        /// What was being read or used.
        what: &'static str,
        /// The PIN it wants.
        pin: PinKind,
    },
    /// A wrong PIN: one try was spent.
    #[error("wrong {}: {tries_left} {} left", .pin.describe(), if *.tries_left == 1 { "try" } else { "tries" })]
    WrongPin {
        /// Which PIN.
        pin: PinKind,
        /// Tries left now.
        tries_left: u8,
    },
    /// The PIN is locked.
    #[error("the {} is locked; it can be reset only at your municipal office (市区町村の窓口), with the card and an identity document", .0.describe())]
    Locked(PinKind),
    /// One try is left and the caller did not accept the risk.
    #[error("only one try is left for the {}: a wrong entry would lock it until the municipal office resets it. Nothing was sent; give --i-know-it-may-lock to try anyway", .0.describe())]
    LastTry(PinKind),
    /// A file's content is not what its header says.
    #[error("the {what} on the card is malformed: {why}")]
    Malformed {
        /// Which file.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Any other status word, with the step that got it.
    #[error("the card answered {sw} to {step}")]
    Status {
        /// What was being done.
        step: &'static str,
        /// The answer.
        sw: StatusWord,
    },
}

/// How careful to be with a PIN's last try.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PinPolicy {
    /// Send the PIN even when one try is left (`--i-know-it-may-lock`).
    pub allow_last_try: bool,
}

/// The counter of a PIN, read without spending a try.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tries {
    /// Tries left.
    Left(u8),
    /// Locked.
    Locked,
}

/// Which application is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum App {
    Jpki,
    Text,
}

/// A card with its JPKI AP selected.
pub struct JpkiCard<T> {
    ch: Channel<T>,
    app: Option<App>,
}

impl<T: Transport> JpkiCard<T> {
    /// Selects the JPKI AP: this, not the ATR, is what says the card is a
    /// JPKI card.
    pub fn open(transport: T) -> Result<JpkiCard<T>, CardError> {
        let mut card = JpkiCard {
            ch: Channel::new(transport),
            app: None,
        };
        card.select_app(App::Jpki)?;
        Ok(card)
    }

    /// The transport, to close it.
    pub fn into_inner(self) -> T {
        self.ch.into_inner()
    }

    fn send(&mut self, c: &Command) -> Result<Response, CardError> {
        Ok(self.ch.send(c)?)
    }

    fn select_app(&mut self, app: App) -> Result<(), CardError> {
        if self.app == Some(app) {
            return Ok(());
        }
        let aid: &[u8] = match app {
            App::Jpki => &JPKI_AID,
            App::Text => &TEXT_AID,
        };
        let r = self.send(&Command::new(0x00, 0xA4, 0x04, 0x0C).with_data(aid))?;
        // Selecting an AP forgets what was verified in the other.
        self.app = None;
        match (r.sw, app) {
            (StatusWord::Ok, _) => {
                self.app = Some(app);
                Ok(())
            }
            (sw, App::Jpki) => Err(CardError::NotJpki(sw)),
            (sw, App::Text) => Err(CardError::NoTextAp(sw)),
        }
    }

    fn select_ef(&mut self, ef: Ef, what: &'static str) -> Result<(), CardError> {
        self.select_app(if ef.aid() == &TEXT_AID {
            App::Text
        } else {
            App::Jpki
        })?;
        let r = self.send(&Command::new(0x00, 0xA4, 0x02, 0x0C).with_data(ef.id()))?;
        match r.sw {
            StatusWord::Ok => Ok(()),
            StatusWord::FileNotFound => Err(CardError::Missing(what)),
            sw => Err(CardError::Status {
                step: "SELECT of a file",
                sw,
            }),
        }
    }

    /// READ BINARY at `offset`, at most `len` bytes (fewer at the end).
    fn read_binary(
        &mut self,
        offset: usize,
        len: usize,
        what: &'static str,
        pin: Option<PinKind>,
    ) -> Result<Vec<u8>, CardError> {
        let [hi, lo] = (offset as u16).to_be_bytes();
        let r = self.send(&Command::new(0x00, 0xB0, hi, lo).with_le(len.min(CHUNK)))?;
        match (r.sw, pin) {
            (StatusWord::Ok | StatusWord::EndOfFile, _) => Ok(r.data),
            (StatusWord::SecurityNotSatisfied, Some(pin)) => {
                Err(CardError::PinRequired { what, pin })
            }
            (sw, _) => Err(CardError::Status {
                step: "READ BINARY",
                sw,
            }),
        }
    }

    /// The whole of a TLV-structured EF, its size taken from the header of
    /// the first chunk.
    fn read_tlv_file(
        &mut self,
        ef: Ef,
        what: &'static str,
        pin: Option<PinKind>,
    ) -> Result<Vec<u8>, CardError> {
        self.select_ef(ef, what)?;
        let mut data = self.read_binary(0, CHUNK, what, pin)?;
        if data.iter().all(|&b| b == 0xFF) || data.is_empty() {
            // An erased EF: the slot is empty.
            return Err(CardError::Missing(what));
        }
        let total = tlv::total_len(&data).map_err(|why| CardError::Malformed {
            what,
            why: why.to_string(),
        })?;
        if total > MAX_OFFSET + 1 {
            return Err(CardError::Malformed {
                what,
                why: format!("{total} bytes is more than a JPKI file holds"),
            });
        }
        data.truncate(total);
        while data.len() < total {
            let chunk = self.read_binary(data.len(), total - data.len(), what, pin)?;
            if chunk.is_empty() {
                return Err(CardError::Malformed {
                    what,
                    why: format!("the file ends after {} of {total} bytes", data.len()),
                });
            }
            data.extend_from_slice(&chunk);
        }
        data.truncate(total);
        Ok(data)
    }

    /// Token info (`JPKIAPICCTOKEN2` on a My Number Card), trailing
    /// padding removed.
    pub fn token_info(&mut self) -> Result<String, CardError> {
        self.select_ef(Ef::TokenInfo, "token info")?;
        let raw = self.read_binary(0, 32, "token info", None)?;
        Ok(String::from_utf8_lossy(&raw)
            .trim_end_matches([' ', '\0'])
            .to_string())
    }

    /// A certificate, DER. The signing certificate needs
    /// [`JpkiCard::verify_pin`] with the signing password first.
    pub fn certificate(&mut self, slot: CertSlot) -> Result<Vec<u8>, CardError> {
        let what = match slot {
            CertSlot::Auth => "user-authentication certificate",
            CertSlot::AuthCa => "authentication CA certificate",
            CertSlot::Sign => "signing certificate",
            CertSlot::SignCa => "signing CA certificate",
        };
        self.read_tlv_file(slot.ef(), what, slot.pin())
    }

    /// The counter of `pin`, read with an empty VERIFY (no try spent).
    pub fn tries(&mut self, pin: PinKind) -> Result<Tries, CardError> {
        self.select_ef(pin.ef(), "PIN")?;
        let r = self.send(&Command::new(0x00, 0x20, 0x00, 0x80))?;
        match r.sw {
            sw if sw.is_locked() => Ok(Tries::Locked),
            StatusWord::TriesLeft(n) => Ok(Tries::Left(n)),
            // Some cards answer 9000 to an empty VERIFY once verified; the
            // counter is then full.
            StatusWord::Ok => Ok(Tries::Left(pin.max_tries())),
            sw => Err(CardError::Status {
                step: "reading the PIN counter",
                sw,
            }),
        }
    }

    /// Reads the counter of `kind` and says whether a PIN may be sent
    /// under `policy`: not when it is locked, nor on its last try without
    /// consent. A front end calls it before even asking for the PIN.
    pub fn may_try(&mut self, kind: PinKind, policy: PinPolicy) -> Result<(), CardError> {
        match self.tries(kind)? {
            Tries::Locked | Tries::Left(0) => Err(CardError::Locked(kind)),
            Tries::Left(1) if !policy.allow_last_try => Err(CardError::LastTry(kind)),
            Tries::Left(_) => Ok(()),
        }
    }

    /// Verifies `pin` (counter first; see the module docs).
    pub fn verify_pin(&mut self, pin: &Pin, policy: PinPolicy) -> Result<(), CardError> {
        let kind = pin.kind();
        self.may_try(kind, policy)?;
        // tries() left the PIN EF selected.
        let r = self.send(&Command::new(0x00, 0x20, 0x00, 0x80).with_data(pin.as_bytes()))?;
        match r.sw {
            StatusWord::Ok => Ok(()),
            sw if sw.is_locked() => Err(CardError::Locked(kind)),
            StatusWord::TriesLeft(n) => Err(CardError::WrongPin {
                pin: kind,
                tries_left: n,
            }),
            sw => Err(CardError::Status { step: "VERIFY", sw }),
        }
    }

    /// Signs a DER DigestInfo with `key` (its PIN verified first): RSA
    /// PKCS#1 v1.5, the padding done by the card.
    pub fn sign_digest_info(
        &mut self,
        key: KeySlot,
        digest_info: &[u8],
    ) -> Result<Vec<u8>, CardError> {
        self.select_ef(key.ef(), "private key")?;
        let r = self.send(
            &Command::new(0x80, 0x2A, 0x00, 0x80)
                .with_data(digest_info)
                .with_le(CHUNK),
        )?;
        match r.sw {
            StatusWord::Ok if !r.data.is_empty() => Ok(r.data),
            StatusWord::SecurityNotSatisfied => Err(CardError::PinRequired {
                what: "signature",
                pin: key.pin(),
            }),
            sw => Err(CardError::Status {
                step: "COMPUTE DIGITAL SIGNATURE",
                sw,
            }),
        }
    }

    /// Signs a SHA-256 digest with `key`.
    pub fn sign_sha256(&mut self, key: KeySlot, digest: &[u8; 32]) -> Result<Vec<u8>, CardError> {
        self.sign_digest_info(key, &sha256_digest_info(digest))
    }

    /// The four facts of the card face, from the text AP (its PIN is
    /// verified here). The JPKI AP is selected again afterwards.
    pub fn text_facts(&mut self, pin: &Pin, policy: PinPolicy) -> Result<TextFacts, CardError> {
        if pin.kind() != PinKind::Text {
            return Err(CardError::PinRequired {
                what: "facts of the card face",
                pin: PinKind::Text,
            });
        }
        self.verify_pin(pin, policy)?;
        let raw =
            self.read_tlv_file(Ef::TextFacts, "facts of the card face", Some(PinKind::Text))?;
        self.select_app(App::Jpki)?;
        let facts = TextFacts::decode(&raw).map_err(|why| CardError::Malformed {
            what: "facts of the card face",
            why,
        })?;
        Ok(facts)
    }
}

/// The DER DigestInfo of a SHA-256 digest (RFC 8017 §9.2 note 1).
pub fn sha256_digest_info(digest: &[u8; 32]) -> Vec<u8> {
    const PREFIX: [u8; 19] = [
        0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01,
        0x05, 0x00, 0x04, 0x20,
    ];
    let mut v = PREFIX.to_vec();
    v.extend_from_slice(digest);
    v
}

// The client's tests run against the virtual card.
#[cfg(all(test, feature = "sim"))]
mod tests;
