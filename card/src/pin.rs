//! PINs: checked locally before they reach a card, never shown, wiped
//! after use.
//!
//! A [`Pin`] can only be made through [`Pin::new`], which checks the
//! format of its kind first: a typo in a 4-digit PIN must never cost one
//! of three tries. Its bytes are zeroised on drop, and neither `Debug` nor
//! any error message carries them.

use std::fmt;
use std::io::BufRead;

use zeroize::Zeroizing;

use crate::ap::PinKind;

/// A PIN in the form its card expects (ASCII; the signing password upper
/// case).
pub struct Pin {
    kind: PinKind,
    bytes: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pin({:?}, ****)", self.kind)
    }
}

/// Why a PIN was refused before it was sent. The messages describe the
/// rule, never the PIN.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinFormatError {
    /// Not four digits.
    #[error("the {} must be exactly 4 digits", .0.describe())]
    FourDigits(PinKind),
    /// Length outside 6–16.
    #[error("the signing password has 6 to 16 characters")]
    SignLength,
    /// A character outside A–Z, 0–9.
    #[error("the signing password has only letters A-Z and digits 0-9")]
    SignAlphabet,
    /// No letter, or no digit.
    #[error("the signing password has at least one letter and at least one digit")]
    SignMix,
}

impl Pin {
    /// Checks `text` against the rules of `kind` and keeps it in the form
    /// the card expects. Surrounding white space (a newline from a pipe) is
    /// not part of a PIN.
    pub fn new(kind: PinKind, text: &str) -> Result<Pin, PinFormatError> {
        let text = text.trim();
        let bytes: Zeroizing<Vec<u8>> = match kind {
            PinKind::Auth | PinKind::Text => {
                if text.len() != 4 || !text.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(PinFormatError::FourDigits(kind));
                }
                Zeroizing::new(text.as_bytes().to_vec())
            }
            PinKind::Sign => {
                let upper = Zeroizing::new(text.to_ascii_uppercase().into_bytes());
                if !(6..=16).contains(&upper.len()) {
                    return Err(PinFormatError::SignLength);
                }
                if !upper
                    .iter()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    return Err(PinFormatError::SignAlphabet);
                }
                if !upper.iter().any(u8::is_ascii_uppercase)
                    || !upper.iter().any(u8::is_ascii_digit)
                {
                    return Err(PinFormatError::SignMix);
                }
                upper
            }
        };
        Ok(Pin { kind, bytes })
    }

    /// Which PIN it is.
    pub fn kind(&self) -> PinKind {
        self.kind
    }

    /// The bytes VERIFY sends.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// Where a front end gets a PIN from. Never the command line: argv is
/// visible to every user of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// The environment variable `KAKUNIN_PIN` (removed from the
    /// environment once read, so no child process inherits it).
    Env,
    /// The first line read from an open file descriptor (`--pin-fd N`).
    Fd(i32),
    /// A prompt on the terminal, without echo.
    Prompt,
}

/// The environment variable [`PinSource::Env`] reads.
pub const PIN_ENV: &str = "KAKUNIN_PIN";

/// Why no PIN could be read.
#[derive(Debug, thiserror::Error)]
pub enum PinReadError {
    /// The descriptor or the terminal could not be read.
    #[error("cannot read the {what}: {source}")]
    Io {
        /// What was being read.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The source was empty.
    #[error("no {0} was given")]
    Empty(String),
    /// The PIN does not have the right form (nothing was sent to the card).
    #[error("{0} (nothing was sent to the card)")]
    Format(#[from] PinFormatError),
}

impl PinSource {
    /// `KAKUNIN_PIN` when set, else `--pin-fd` when given, else a prompt.
    pub fn choose(fd: Option<i32>) -> PinSource {
        if std::env::var_os(PIN_ENV).is_some() {
            PinSource::Env
        } else if let Some(fd) = fd {
            PinSource::Fd(fd)
        } else {
            PinSource::Prompt
        }
    }

    /// Reads the PIN of `kind` and checks its format.
    pub fn read(&self, kind: PinKind) -> Result<Pin, PinReadError> {
        let what = kind.describe();
        let text: Zeroizing<String> = match self {
            PinSource::Env => {
                let v = Zeroizing::new(std::env::var(PIN_ENV).unwrap_or_default());
                // Children (none today) must not inherit it. Safe here:
                // the front end reads its PIN before it starts threads.
                std::env::remove_var(PIN_ENV);
                v
            }
            PinSource::Fd(fd) => read_fd_line(*fd).map_err(|source| PinReadError::Io {
                what: format!("{what} from descriptor {fd}"),
                source,
            })?,
            PinSource::Prompt => Zeroizing::new(
                rpassword::prompt_password(format!("{}: ", capitalised(what))).map_err(
                    |source| PinReadError::Io {
                        what: what.to_string(),
                        source,
                    },
                )?,
            ),
        };
        if text.trim().is_empty() {
            return Err(PinReadError::Empty(what.to_string()));
        }
        Ok(Pin::new(kind, &text)?)
    }
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The first line of descriptor `fd`, which is then closed.
fn read_fd_line(fd: i32) -> std::io::Result<Zeroizing<String>> {
    use std::os::fd::{FromRawFd, OwnedFd};
    if fd < 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a descriptor is a number from 0 up",
        ));
    }
    // SAFETY: the user handed us this descriptor to read the PIN from
    // (`--pin-fd N`); we take ownership and close it when done. A
    // descriptor that is not open makes the read fail with EBADF.
    let file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    let mut line = Zeroizing::new(String::new());
    std::io::BufReader::new(file).read_line(&mut line)?;
    Ok(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_checked_before_anything_is_sent() {
        assert_eq!(
            Pin::new(PinKind::Auth, "1234\n").unwrap().as_bytes(),
            b"1234"
        );
        assert_eq!(
            Pin::new(PinKind::Text, " 0000 ").unwrap().as_bytes(),
            b"0000"
        );
        for bad in ["123", "12345", "12a4", "", "１２３４"] {
            assert_eq!(
                Pin::new(PinKind::Auth, bad).unwrap_err(),
                PinFormatError::FourDigits(PinKind::Auth)
            );
        }
        assert_eq!(
            Pin::new(PinKind::Sign, "jpki2026").unwrap().as_bytes(),
            b"JPKI2026"
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "a1b2c3").unwrap().as_bytes(),
            b"A1B2C3"
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "A1B2C").unwrap_err(),
            PinFormatError::SignLength
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "A1234567890123456").unwrap_err(),
            PinFormatError::SignLength
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "JPKI-2026").unwrap_err(),
            PinFormatError::SignAlphabet
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "ABCDEFG").unwrap_err(),
            PinFormatError::SignMix
        );
        assert_eq!(
            Pin::new(PinKind::Sign, "1234567").unwrap_err(),
            PinFormatError::SignMix
        );
    }

    #[test]
    fn a_pin_never_shows() {
        let p = Pin::new(PinKind::Sign, "SECRET42").unwrap();
        assert!(!format!("{p:?}").contains("SECRET42"));
        let e = Pin::new(PinKind::Sign, "SECRET-42").unwrap_err();
        assert!(!e.to_string().contains("SECRET"));
    }

    #[test]
    fn a_pin_is_read_from_a_descriptor() {
        use std::io::Write;
        use std::os::fd::IntoRawFd;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"4321\nrest").unwrap();
        drop(writer);
        let fd = reader.into_raw_fd();
        let pin = PinSource::Fd(fd).read(PinKind::Auth).unwrap();
        assert_eq!(pin.as_bytes(), b"4321");
        assert!(matches!(
            PinSource::Fd(-1).read(PinKind::Auth),
            Err(PinReadError::Io { .. })
        ));
    }
}
