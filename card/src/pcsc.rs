//! The PC/SC transport (`pcsc` feature): readers through pcscd (or the
//! Windows / macOS smart-card service), with errors a person can act on.
//!
//! One [`PcscCard`] is one connection, kept for a whole operation:
//! dropping it resets the card, which forgets every verified PIN.

use std::ffi::{CStr, CString};
use std::time::{Duration, Instant};

use pcsc::{Context, Protocols, ReaderState, Scope, ShareMode, State};

use crate::transport::{Transport, TransportError};

/// Why no card could be reached.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PcscError {
    /// The smart-card service is not running.
    #[error("the smart-card service is not running (start pcscd: `systemctl start pcscd`, or `pcscd -f` by hand)")]
    NoService,
    /// No reader is connected.
    #[error("no smart-card reader is connected")]
    NoReader,
    /// `--reader` named none of the readers.
    #[error("no reader is named {name:?}; readers: {}", .readers.join(", "))]
    UnknownReader {
        /// The name asked for.
        name: String,
        /// The readers there are.
        readers: Vec<String>,
    },
    /// Several readers and no `--reader`.
    #[error("several readers are connected and not exactly one has a card; pick one with --reader NAME: {}", .0.join(", "))]
    SeveralReaders(Vec<String>),
    /// No card arrived in time.
    #[error("no card in {reader:?} after {} s; put the card on the reader", .waited.as_secs())]
    NoCard {
        /// The reader.
        reader: String,
        /// How long we waited.
        waited: Duration,
    },
    /// Anything else from PC/SC.
    #[error("PC/SC: {0}")]
    Other(pcsc::Error),
}

impl From<pcsc::Error> for PcscError {
    fn from(e: pcsc::Error) -> Self {
        match e {
            pcsc::Error::NoService | pcsc::Error::ServiceStopped => PcscError::NoService,
            pcsc::Error::NoReadersAvailable => PcscError::NoReader,
            e => PcscError::Other(e),
        }
    }
}

/// The smart-card service.
pub struct Pcsc {
    ctx: Context,
}

impl Pcsc {
    /// Connects to the service.
    pub fn establish() -> Result<Pcsc, PcscError> {
        Ok(Pcsc {
            ctx: Context::establish(Scope::User)?,
        })
    }

    /// The readers connected now.
    pub fn readers(&self) -> Result<Vec<String>, PcscError> {
        match self.ctx.list_readers_owned() {
            Ok(r) => Ok(r.iter().map(|n| n.to_string_lossy().into_owned()).collect()),
            Err(pcsc::Error::NoReadersAvailable) => Ok(Vec::new()),
            Err(e) => Err(e.into()),
        }
    }

    /// Whether each reader has a card in it now.
    pub fn presence(&self) -> Result<Vec<(String, bool)>, PcscError> {
        let names = self.ctx.list_readers_owned().or_else(|e| match e {
            pcsc::Error::NoReadersAvailable => Ok(Vec::new()),
            e => Err(e),
        })?;
        if names.is_empty() {
            return Ok(Vec::new());
        }
        let mut states: Vec<ReaderState> = names
            .iter()
            .map(|n| ReaderState::new(n.clone(), State::UNAWARE))
            .collect();
        self.ctx
            .get_status_change(Duration::from_millis(0), &mut states)?;
        Ok(states
            .iter()
            .map(|s| {
                (
                    s.name().to_string_lossy().into_owned(),
                    s.event_state().contains(State::PRESENT),
                )
            })
            .collect())
    }

    /// The reader to use: `wanted`; else the only one there is, or the
    /// only one with a card in it (a vpcd driver, or a laptop's built-in
    /// reader beside a USB one, always lists several).
    pub fn pick_reader(&self, wanted: Option<&str>) -> Result<String, PcscError> {
        let readers = self.readers()?;
        if wanted.is_none() && readers.len() > 1 {
            let with_card: Vec<String> = self
                .presence()?
                .into_iter()
                .filter_map(|(name, card)| card.then_some(name))
                .collect();
            if let [one] = with_card.as_slice() {
                return Ok(one.clone());
            }
        }
        match (wanted, readers.as_slice()) {
            (_, []) => Err(PcscError::NoReader),
            (Some(w), rs) => rs
                .iter()
                .find(|r| r.as_str() == w)
                .or_else(|| rs.iter().find(|r| r.starts_with(w)))
                .cloned()
                .ok_or_else(|| PcscError::UnknownReader {
                    name: w.to_string(),
                    readers: rs.to_vec(),
                }),
            (None, [one]) => Ok(one.clone()),
            (None, rs) => Err(PcscError::SeveralReaders(rs.to_vec())),
        }
    }

    /// Waits (at most `timeout`) for a card in `reader` and connects to it.
    pub fn connect(&self, reader: &str, timeout: Duration) -> Result<PcscCard, PcscError> {
        let name = CString::new(reader).map_err(|_| PcscError::UnknownReader {
            name: reader.to_string(),
            readers: Vec::new(),
        })?;
        let started = Instant::now();
        let mut states = [ReaderState::new(name.clone(), State::UNAWARE)];
        loop {
            let left = timeout.saturating_sub(started.elapsed());
            match self.ctx.get_status_change(left, &mut states) {
                Ok(()) | Err(pcsc::Error::Timeout) => {}
                Err(e) => return Err(e.into()),
            }
            let state = states[0].event_state();
            if state.contains(State::PRESENT) && !state.contains(State::MUTE) {
                break;
            }
            if started.elapsed() >= timeout {
                return Err(PcscError::NoCard {
                    reader: reader.to_string(),
                    waited: timeout,
                });
            }
            states[0].sync_current_state();
        }
        let card = self.ctx.connect(&name, ShareMode::Shared, Protocols::ANY)?;
        Ok(PcscCard { card, reader: name })
    }
}

/// A connected card: one connection for one operation.
pub struct PcscCard {
    card: pcsc::Card,
    reader: CString,
}

impl PcscCard {
    /// The reader's name.
    pub fn reader(&self) -> &CStr {
        &self.reader
    }
}

impl Transport for PcscCard {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        let mut buf = vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED];
        match self.card.transmit(apdu, &mut buf) {
            Ok(r) => Ok(r.to_vec()),
            Err(e) => Err(transmit_error(e)),
        }
    }
}

/// What a failed exchange means to the person at the reader.
fn transmit_error(e: pcsc::Error) -> TransportError {
    match e {
        pcsc::Error::RemovedCard | pcsc::Error::NoSmartcard => TransportError::Removed,
        pcsc::Error::ResetCard => TransportError::Reset,
        pcsc::Error::ReaderUnavailable | pcsc::Error::UnknownReader => TransportError::ReaderGone,
        // pcsc-lite reports a daemon that died under an open connection as
        // a communications error on its socket, or as no service.
        pcsc::Error::NoService | pcsc::Error::ServiceStopped | pcsc::Error::CommError => {
            TransportError::Other(
                "the smart-card service (pcscd) stopped during the operation; \
                 start it again (`systemctl start pcscd`, or `pcscd -f`) and retry"
                    .into(),
            )
        }
        pcsc::Error::Timeout => TransportError::Timeout,
        e => TransportError::Other(format!("PC/SC: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_that_dies_mid_operation_is_named_with_what_to_do() {
        for e in [
            pcsc::Error::NoService,
            pcsc::Error::ServiceStopped,
            pcsc::Error::CommError,
        ] {
            let msg = transmit_error(e).to_string();
            assert!(
                msg.contains("smart-card service (pcscd) stopped") && msg.contains("retry"),
                "{e:?}: {msg}"
            );
        }
        assert!(matches!(
            transmit_error(pcsc::Error::RemovedCard),
            TransportError::Removed
        ));
        assert_eq!(
            transmit_error(pcsc::Error::InvalidHandle).to_string(),
            format!("PC/SC: {}", pcsc::Error::InvalidHandle)
        );
    }
}
