//! PINs: checked locally before they reach a card, never shown, wiped
//! after use.
//!
//! A [`Pin`] can only be made through [`Pin::new`], which checks the
//! format of its kind first: a typo in a 4-digit PIN must never cost one
//! of three tries. Its bytes are zeroised on drop, and neither `Debug` nor
//! any error message carries them. A [`PinReader`] gets a command's PINs
//! from the environment, a descriptor or a prompt, never from argv.

use std::fmt;

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

/// Where one PIN comes from. Never the command line: argv is visible to
/// every user of the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PinSource {
    /// An environment variable ([`PIN_ENV`], or [`SIGN_PASSWORD_ENV`] for
    /// the signing password), taken out of the environment when the
    /// [`PinReader`] is made, so that no child process inherits it.
    Env(&'static str),
    /// The next line of an open file descriptor (`--pin-fd N`).
    Fd(i32),
    /// A prompt on the terminal, without echo.
    Prompt,
}

/// The environment variable a command's first PIN may come from (for a
/// command that needs one PIN, that PIN, signing password included).
pub const PIN_ENV: &str = "KAKUNIN_PIN";

/// The environment variable the signing password may come from; it comes
/// before [`PIN_ENV`] for the signing password.
pub const SIGN_PASSWORD_ENV: &str = "KAKUNIN_SIGN_PASSWORD";

/// Longest line read from a descriptor: a signing password has 16
/// characters, so anything this long is not a PIN. The buffer never grows
/// past it, so no copy of a PIN is left behind in freed memory.
const MAX_LINE: usize = 128;

/// Why no PIN could be read.
#[derive(Debug, thiserror::Error)]
pub enum PinReadError {
    /// The descriptor or the terminal could not be read (the I/O error is
    /// the [`source`](std::error::Error::source)).
    #[error("cannot read the {what}")]
    Io {
        /// What was being read.
        what: String,
        /// Why.
        source: std::io::Error,
    },
    /// The source was empty.
    #[error("no {0} was given")]
    Empty(String),
    /// The descriptor ended before the line for this PIN.
    #[error("descriptor {fd} has no line left for the {what} (one PIN a line, in the order they are asked for)")]
    NoMoreLines {
        /// Which PIN.
        what: String,
        /// The descriptor.
        fd: i32,
    },
    /// The PIN does not have the right form (nothing was sent to the card).
    #[error("{0} (nothing was sent to the card)")]
    Format(#[from] PinFormatError),
}

/// Reads the PINs one command needs, each from the first of:
///
/// 1. its environment variable: [`SIGN_PASSWORD_ENV`] for the signing
///    password, then [`PIN_ENV`] for any PIN, each used at most once (so a
///    command that needs the authentication PIN and then the signing
///    password takes the first from `KAKUNIN_PIN` and the second from
///    `KAKUNIN_SIGN_PASSWORD`);
/// 2. the next line of the descriptor given with `--pin-fd`;
/// 3. a prompt without echo.
///
/// Both variables are taken out of the environment by [`PinReader::new`],
/// whichever PINs are then read: no child inherits them, and a command can
/// make its reader before it starts any thread (removing a variable while
/// another thread reads the environment is a data race in libc).
pub struct PinReader {
    pin_env: Option<Zeroizing<String>>,
    sign_env: Option<Zeroizing<String>>,
    fd: Option<i32>,
    /// The descriptor once its first line was read; closed on drop.
    file: Option<std::fs::File>,
}

impl fmt::Debug for PinReader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PinReader")
            .field("pin_env", &self.pin_env.as_ref().map(|_| "****"))
            .field("sign_env", &self.sign_env.as_ref().map(|_| "****"))
            .field("fd", &self.fd)
            .finish()
    }
}

impl PinReader {
    /// Takes [`PIN_ENV`] and [`SIGN_PASSWORD_ENV`] out of the environment;
    /// `fd` is `--pin-fd`. Call it before starting threads.
    pub fn new(fd: Option<i32>) -> PinReader {
        PinReader::with(take_env(PIN_ENV), take_env(SIGN_PASSWORD_ENV), fd)
    }

    fn with(
        pin_env: Option<Zeroizing<String>>,
        sign_env: Option<Zeroizing<String>>,
        fd: Option<i32>,
    ) -> PinReader {
        PinReader {
            pin_env,
            sign_env,
            fd,
            file: None,
        }
    }

    /// Where the next PIN of `kind` would come from.
    pub fn source(&self, kind: PinKind) -> PinSource {
        if kind == PinKind::Sign && self.sign_env.is_some() {
            PinSource::Env(SIGN_PASSWORD_ENV)
        } else if self.pin_env.is_some() {
            PinSource::Env(PIN_ENV)
        } else if let Some(fd) = self.fd {
            PinSource::Fd(fd)
        } else {
            PinSource::Prompt
        }
    }

    /// Reads the next PIN of `kind` and checks its format.
    pub fn read(&mut self, kind: PinKind) -> Result<Pin, PinReadError> {
        let what = kind.describe();
        let text: Zeroizing<String> = match self.source(kind) {
            PinSource::Env(name) => {
                let slot = if name == SIGN_PASSWORD_ENV {
                    &mut self.sign_env
                } else {
                    &mut self.pin_env
                };
                slot.take().unwrap_or_default()
            }
            PinSource::Fd(fd) => self
                .next_line(fd)
                .map_err(|source| PinReadError::Io {
                    what: format!("{what} from descriptor {fd}"),
                    source,
                })?
                .ok_or_else(|| PinReadError::NoMoreLines {
                    what: what.to_string(),
                    fd,
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

    /// The next line of descriptor `fd` (taken over on the first call), or
    /// `None` at its end. Read a byte at a time: nothing past the line is
    /// consumed, so the next PIN's line stays for the next call, and no
    /// buffer outside a [`Zeroizing`] ever holds a PIN.
    fn next_line(&mut self, fd: i32) -> std::io::Result<Option<Zeroizing<String>>> {
        use std::io::Read;
        if self.file.is_none() {
            self.file = Some(take_fd(fd)?);
        }
        let Some(file) = self.file.as_mut() else {
            return Ok(None);
        };
        let mut line = Zeroizing::new(Vec::with_capacity(MAX_LINE));
        let mut byte = Zeroizing::new([0u8; 1]);
        let mut ended = false;
        loop {
            match file.read(&mut byte[..]) {
                Ok(0) => {
                    ended = true;
                    break;
                }
                Ok(_) if byte[0] == b'\n' => break,
                Ok(_) if line.len() == MAX_LINE => {
                    return Err(std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("a line longer than {MAX_LINE} bytes is not a PIN"),
                    ))
                }
                Ok(_) => line.push(byte[0]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        if ended && line.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(&line).map_err(|_| {
            std::io::Error::new(std::io::ErrorKind::InvalidData, "the line is not UTF-8")
        })?;
        Ok(Some(Zeroizing::new(text.to_string())))
    }
}

/// Takes `name` out of the environment. A value that is not UTF-8 reads as
/// empty (and is then refused as no PIN).
fn take_env(name: &str) -> Option<Zeroizing<String>> {
    let v = std::env::var_os(name)?;
    // Children (none today) must not inherit it. Safe here: a front end
    // makes its PinReader before it starts threads.
    std::env::remove_var(name);
    Some(Zeroizing::new(v.into_string().unwrap_or_default()))
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// Takes ownership of descriptor `fd`; it is closed when dropped.
fn take_fd(fd: i32) -> std::io::Result<std::fs::File> {
    use std::os::fd::{FromRawFd, OwnedFd};
    if fd < 0 {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "a descriptor is a number from 0 up",
        ));
    }
    // SAFETY: the user handed us this descriptor to read PINs from
    // (`--pin-fd N`); we take ownership and close it when done. A
    // descriptor that is not open makes the read fail with EBADF.
    Ok(std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
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
    fn pins_are_read_from_a_descriptor_one_line_each() {
        use std::io::Write;
        use std::os::fd::IntoRawFd;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(b"4321\r\njpki2026\nrest").unwrap();
        drop(writer);
        let fd = reader.into_raw_fd();
        let mut pins = PinReader::with(None, None, Some(fd));
        assert_eq!(pins.source(PinKind::Auth), PinSource::Fd(fd));
        assert_eq!(pins.read(PinKind::Auth).unwrap().as_bytes(), b"4321");
        assert_eq!(pins.read(PinKind::Sign).unwrap().as_bytes(), b"JPKI2026");
        // "rest" is the last line, without a newline; then the end.
        assert!(matches!(
            pins.read(PinKind::Text),
            Err(PinReadError::Format(PinFormatError::FourDigits(_)))
        ));
        let e = pins.read(PinKind::Sign).unwrap_err();
        assert!(matches!(e, PinReadError::NoMoreLines { .. }), "{e}");
        assert!(e.to_string().contains(&format!("descriptor {fd}")));
        assert!(matches!(
            PinReader::with(None, None, Some(-1)).read(PinKind::Auth),
            Err(PinReadError::Io { .. })
        ));
    }

    #[test]
    fn a_line_too_long_for_a_pin_is_refused_and_never_shown() {
        use std::io::Write;
        use std::os::fd::IntoRawFd;
        let (reader, mut writer) = std::io::pipe().unwrap();
        writer.write_all(&[b'7'; 200]).unwrap();
        drop(writer);
        let e = PinReader::with(None, None, Some(reader.into_raw_fd()))
            .read(PinKind::Auth)
            .unwrap_err();
        assert!(matches!(e, PinReadError::Io { .. }), "{e}");
        assert!(!e.to_string().contains("7777"), "{e}");
    }

    #[test]
    fn the_environment_gives_each_pin_once() {
        let env = |s: &str| Some(Zeroizing::new(s.to_string()));
        // KAKUNIN_PIN is the first PIN asked for; the signing password
        // comes from KAKUNIN_SIGN_PASSWORD.
        let mut pins = PinReader::with(env("1234"), env("jpki2026"), Some(-1));
        assert_eq!(pins.source(PinKind::Auth), PinSource::Env(PIN_ENV));
        assert_eq!(
            pins.source(PinKind::Sign),
            PinSource::Env(SIGN_PASSWORD_ENV)
        );
        assert_eq!(pins.read(PinKind::Auth).unwrap().as_bytes(), b"1234");
        assert_eq!(pins.read(PinKind::Sign).unwrap().as_bytes(), b"JPKI2026");
        // Both used: the descriptor is next.
        assert_eq!(pins.source(PinKind::Auth), PinSource::Fd(-1));
        assert_eq!(pins.source(PinKind::Sign), PinSource::Fd(-1));

        // A one-PIN command may give the signing password in KAKUNIN_PIN.
        let mut pins = PinReader::with(env("a1b2c3"), None, None);
        assert_eq!(pins.read(PinKind::Sign).unwrap().as_bytes(), b"A1B2C3");
        assert_eq!(pins.source(PinKind::Sign), PinSource::Prompt);

        // Once KAKUNIN_PIN gave the authentication PIN, the signing
        // password does not come from it again.
        let mut pins = PinReader::with(env("1234"), None, Some(5));
        pins.read(PinKind::Auth).unwrap();
        assert_eq!(pins.source(PinKind::Sign), PinSource::Fd(5));

        // Set but empty is refused, and says which PIN.
        let e = PinReader::with(env(" "), None, None)
            .read(PinKind::Auth)
            .unwrap_err();
        assert!(matches!(e, PinReadError::Empty(_)), "{e}");

        let dbg = format!("{:?}", PinReader::with(env("9876"), env("SECRET42"), None));
        assert!(!dbg.contains("9876") && !dbg.contains("SECRET42"), "{dbg}");
    }
}
