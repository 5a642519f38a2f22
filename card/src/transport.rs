//! How APDUs reach a card, and the T=0 conventions on top.
//!
//! A [`Transport`] moves bytes: a PC/SC reader (`pcsc` feature), or the
//! virtual card in-process. [`Channel`] adds what every caller would
//! otherwise repeat: `61xx` (more data: GET RESPONSE for it) and `6Cxx`
//! (wrong Le: send the command again with the Le the card named).

use crate::apdu::{Command, DecodeError, EncodeError, Response, StatusWord};

/// Why an exchange with the card failed (not a status word: those are
/// answers).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The card was taken out of the reader.
    #[error("the card was removed")]
    Removed,
    /// The card was reset by someone else (another program, or the reader):
    /// verified PINs are forgotten.
    #[error("the card was reset during the operation")]
    Reset,
    /// The reader went away.
    #[error("the reader is no longer available")]
    ReaderGone,
    /// The card did not answer in time.
    #[error("the card did not answer in time")]
    Timeout,
    /// The answer was not an R-APDU.
    #[error("the card's answer is not an APDU response: {0}")]
    BadResponse(#[from] DecodeError),
    /// The command could not be encoded.
    #[error("cannot encode the command: {0}")]
    Encode(#[from] EncodeError),
    /// A card that keeps asking for GET RESPONSE or a new Le.
    #[error("the card keeps asking for the command again ({0})")]
    Loop(StatusWord),
    /// Anything else the transport reports.
    #[error("{0}")]
    Other(String),
}

/// Sends a command APDU and returns the card's answer, as bytes.
pub trait Transport {
    /// One exchange: the encoded C-APDU in, the R-APDU (data ‖ SW1 SW2) out.
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(apdu)
    }
}

/// GET RESPONSE rounds (or Le retries) before giving up on a card.
const MAX_ROUNDS: usize = 64;

/// Commands over a transport, with `61xx` and `6Cxx` handled.
pub struct Channel<T> {
    transport: T,
}

impl<T: Transport> Channel<T> {
    /// A channel over `transport`.
    pub fn new(transport: T) -> Channel<T> {
        Channel { transport }
    }

    /// The transport, to hand back.
    pub fn into_inner(self) -> T {
        self.transport
    }

    /// The transport, borrowed.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends `command` and returns the whole answer: data gathered over
    /// every `61xx` GET RESPONSE, and the final status word.
    pub fn send(&mut self, command: &Command) -> Result<Response, TransportError> {
        let mut resp = self.exchange(&command.encode()?)?;
        let mut rounds = 0;
        if let StatusWord::WrongLe(n) = resp.sw {
            let retry = command.clone().with_le(le_of(n));
            resp = self.exchange(&retry.encode()?)?;
        }
        let mut data = std::mem::take(&mut resp.data);
        while let StatusWord::MoreData(n) = resp.sw {
            rounds += 1;
            if rounds > MAX_ROUNDS {
                return Err(TransportError::Loop(resp.sw));
            }
            let get = Command::new(0x00, 0xC0, 0x00, 0x00).with_le(le_of(n));
            resp = self.exchange(&get.encode()?)?;
            data.append(&mut resp.data);
        }
        Ok(Response { data, sw: resp.sw })
    }

    fn exchange(&mut self, apdu: &[u8]) -> Result<Response, TransportError> {
        let raw = self.transport.transmit(apdu)?;
        Ok(Response::parse(&raw)?)
    }
}

/// `xx` of `61xx`/`6Cxx` as a length (`00` is 256).
fn le_of(n: u8) -> usize {
    if n == 0 {
        256
    } else {
        n as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A card that answers from a script and records what it was sent.
    struct Scripted {
        answers: Vec<Vec<u8>>,
        sent: Vec<Vec<u8>>,
    }

    impl Transport for Scripted {
        fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, TransportError> {
            self.sent.push(apdu.to_vec());
            if self.answers.is_empty() {
                return Err(TransportError::Removed);
            }
            Ok(self.answers.remove(0))
        }
    }

    fn channel(answers: &[&[u8]]) -> Channel<Scripted> {
        Channel::new(Scripted {
            answers: answers.iter().map(|a| a.to_vec()).collect(),
            sent: Vec::new(),
        })
    }

    #[test]
    fn more_data_is_fetched_with_get_response() {
        let mut ch = channel(&[
            &[1, 2, 0x61, 0x03],
            &[3, 4, 5, 0x61, 0x00],
            &[6, 0x90, 0x00],
        ]);
        let r = ch.send(&Command::new(0, 0xB0, 0, 0).with_le(2)).unwrap();
        assert_eq!(r.data, [1, 2, 3, 4, 5, 6]);
        assert_eq!(r.sw, StatusWord::Ok);
        let sent = ch.into_inner().sent;
        assert_eq!(sent[1], [0x00, 0xC0, 0x00, 0x00, 0x03]);
        assert_eq!(sent[2], [0x00, 0xC0, 0x00, 0x00, 0x00]);
    }

    #[test]
    fn wrong_le_is_retried_with_the_le_the_card_names() {
        let mut ch = channel(&[&[0x6C, 0x10], &[9; 18]]);
        let r = ch.send(&Command::new(0, 0xB0, 0, 0).with_le(256)).unwrap();
        assert_eq!(r.data, [9; 16]);
        assert_eq!(r.sw, StatusWord::from_bytes(9, 9));
        assert_eq!(ch.into_inner().sent[1], [0, 0xB0, 0, 0, 0x10]);
    }

    #[test]
    fn a_card_that_never_stops_asking_is_an_error_not_a_hang() {
        let answers: Vec<&[u8]> = vec![&[0x61, 0x01]; MAX_ROUNDS + 2];
        let mut ch = channel(&answers);
        assert!(matches!(
            ch.send(&Command::new(0, 0xB0, 0, 0)),
            Err(TransportError::Loop(_))
        ));
        let mut ch = channel(&[&[0x90]]);
        assert!(matches!(
            ch.send(&Command::new(0, 0xB0, 0, 0)),
            Err(TransportError::BadResponse(_))
        ));
    }
}
