//! The virtual card's PINs and their retry counters, and the `--state` file
//! that keeps the counters across restarts of the simulator.
//!
//! A real card keeps its counters in EEPROM: pulling it out of the reader
//! does not give tries back. The simulator keeps them in memory (they
//! survive power-off and reset, which only clear the verified state) and,
//! with a state file, on disk, written on every change so that killing the
//! simulator is like pulling the card.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::ap::PinKind;

use super::SimError;

/// The PINs the virtual card is set up with.
#[derive(Clone, PartialEq, Eq)]
pub struct SimPins {
    auth: Vec<u8>,
    sign: Vec<u8>,
    text: Vec<u8>,
}

/// PINs are never printed, even the simulator's.
impl std::fmt::Debug for SimPins {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SimPins(..)")
    }
}

impl Default for SimPins {
    /// [`SimPins::DEFAULT_AUTH`], [`SimPins::DEFAULT_SIGN`],
    /// [`SimPins::DEFAULT_TEXT`].
    fn default() -> SimPins {
        SimPins {
            auth: SimPins::DEFAULT_AUTH.into(),
            sign: SimPins::DEFAULT_SIGN.into(),
            text: SimPins::DEFAULT_TEXT.into(),
        }
    }
}

impl SimPins {
    /// The default user-authentication PIN.
    pub const DEFAULT_AUTH: &'static str = "1234";
    /// The default signing password.
    pub const DEFAULT_SIGN: &'static str = "JPKI2026";
    /// The default text AP PIN.
    pub const DEFAULT_TEXT: &'static str = "1234";

    /// Sets one PIN. The format is the card's (auth and text AP: 4 digits;
    /// signing password: 6–16 of `A-Z0-9` with at least one letter and one
    /// digit, stored upper-case as the card compares what the client
    /// sends, which is upper-cased): a PIN the card could not hold would
    /// only teach a demo that the client refuses to send it.
    pub fn set(&mut self, kind: PinKind, pin: &str) -> Result<(), SimError> {
        let refuse = |problem: &'static str| SimError::Pin { kind, problem };
        let value = match kind {
            PinKind::Auth | PinKind::Text => {
                if pin.len() != 4 || !pin.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(refuse("must be 4 digits"));
                }
                pin.as_bytes().to_vec()
            }
            PinKind::Sign => {
                let up = pin.to_ascii_uppercase().into_bytes();
                if !(6..=16).contains(&up.len())
                    || !up
                        .iter()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
                {
                    return Err(refuse("must be 6 to 16 letters A-Z and digits"));
                }
                if !up.iter().any(u8::is_ascii_digit) || !up.iter().any(u8::is_ascii_uppercase) {
                    return Err(refuse("needs at least one letter and one digit"));
                }
                up
            }
        };
        *self.slot(kind) = value;
        Ok(())
    }

    pub(crate) fn get(&self, kind: PinKind) -> &[u8] {
        match kind {
            PinKind::Auth => &self.auth,
            PinKind::Sign => &self.sign,
            PinKind::Text => &self.text,
        }
    }

    fn slot(&mut self, kind: PinKind) -> &mut Vec<u8> {
        match kind {
            PinKind::Auth => &mut self.auth,
            PinKind::Sign => &mut self.sign,
            PinKind::Text => &mut self.text,
        }
    }
}

/// Compares without an early exit: the simulator's PINs are no secret, but
/// it should not teach timing side channels by example.
pub(crate) fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Tries left for each PIN, and where they are kept.
#[derive(Debug)]
pub(crate) struct Counters {
    tries: Tries,
    file: Option<PathBuf>,
}

/// The state file's content. `format` is checked so that a future layout
/// is refused rather than misread (a misread counter could unlock a card).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u32,
    tries_left: Tries,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Tries {
    auth: u8,
    sign: u8,
    text: u8,
}

const STATE_FORMAT: u32 = 1;

impl Tries {
    fn full() -> Tries {
        Tries {
            auth: PinKind::Auth.max_tries(),
            sign: PinKind::Sign.max_tries(),
            text: PinKind::Text.max_tries(),
        }
    }

    fn slot(&mut self, kind: PinKind) -> &mut u8 {
        match kind {
            PinKind::Auth => &mut self.auth,
            PinKind::Sign => &mut self.sign,
            PinKind::Text => &mut self.text,
        }
    }
}

impl Counters {
    /// A new card: every counter at its maximum, kept in memory only.
    pub(crate) fn fresh() -> Counters {
        Counters {
            tries: Tries::full(),
            file: None,
        }
    }

    /// The counters in `path`, or a new card's written there when the file
    /// does not exist yet (so an unwritable path fails at start, not at the
    /// first wrong PIN).
    pub(crate) fn open(path: &Path) -> Result<Counters, SimError> {
        let state_error = |problem: String| SimError::State {
            path: path.to_path_buf(),
            problem,
        };
        let tries = match std::fs::read(path) {
            Ok(bytes) => {
                let state: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
                    state_error(format!("{e} (delete it to start with a new card)"))
                })?;
                if state.format != STATE_FORMAT {
                    return Err(state_error(format!(
                        "format {} is not {STATE_FORMAT}",
                        state.format
                    )));
                }
                let mut t = state.tries_left;
                for kind in [PinKind::Auth, PinKind::Sign, PinKind::Text] {
                    if *t.slot(kind) > kind.max_tries() {
                        return Err(state_error(format!(
                            "{} tries for the {} (at most {})",
                            *t.slot(kind),
                            kind.describe(),
                            kind.max_tries()
                        )));
                    }
                }
                t
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let c = Counters {
                    tries: Tries::full(),
                    file: Some(path.to_path_buf()),
                };
                c.save()?;
                return Ok(c);
            }
            Err(e) => return Err(state_error(e.to_string())),
        };
        Ok(Counters {
            tries,
            file: Some(path.to_path_buf()),
        })
    }

    pub(crate) fn get(&self, kind: PinKind) -> u8 {
        match kind {
            PinKind::Auth => self.tries.auth,
            PinKind::Sign => self.tries.sign,
            PinKind::Text => self.tries.text,
        }
    }

    /// Sets a counter and writes the state file if there is one. When the
    /// write fails, a try spent stays spent in memory, but tries given back
    /// are not: the card never gains tries because its storage failed.
    pub(crate) fn set(&mut self, kind: PinKind, tries: u8) -> Result<(), SimError> {
        let old = self.get(kind);
        if old == tries {
            return Ok(());
        }
        *self.tries.slot(kind) = tries;
        let saved = self.save();
        if saved.is_err() && tries > old {
            *self.tries.slot(kind) = old;
        }
        saved
    }

    /// Writes the file atomically: a temporary file in the same directory,
    /// flushed to disk, renamed over the old one. A crash leaves the old
    /// counters or the new ones, never a torn file that would refuse to
    /// load (or, worse, load as a fresh card).
    fn save(&self) -> Result<(), SimError> {
        let Some(path) = &self.file else {
            return Ok(());
        };
        let state_error = |e: std::io::Error| SimError::State {
            path: path.clone(),
            problem: e.to_string(),
        };
        let state = StateFile {
            format: STATE_FORMAT,
            tries_left: self.tries,
        };
        let mut json =
            serde_json::to_vec_pretty(&state).map_err(|e| state_error(std::io::Error::other(e)))?;
        json.push(b'\n');
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(state_error)?;
        tmp.write_all(&json).map_err(state_error)?;
        tmp.as_file().sync_all().map_err(state_error)?;
        tmp.persist(path).map_err(|e| state_error(e.error))?;
        Ok(())
    }
}
