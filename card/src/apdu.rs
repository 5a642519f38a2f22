//! ISO 7816-4 command and response APDUs: encoding, and the status words as
//! a type.
//!
//! A command is `CLA INS P1 P2 [Lc data] [Le]`, in the short form (Lc and
//! Le one byte each, Le `00` meaning 256) unless its data or Le need the
//! extended form (a `00` marker, then two bytes each; Le `0000` meaning
//! 65,536). JPKI cards and the Debian vpcd build speak short APDUs only,
//! so the client never asks for more than 256 bytes at a time.

use std::fmt;

/// Largest data field of a short command.
pub const SHORT_MAX_DATA: usize = 255;
/// Largest Le of a short command (encoded `00`).
pub const SHORT_MAX_LE: usize = 256;
/// Largest Le of an extended command (encoded `0000`).
pub const EXTENDED_MAX_LE: usize = 65_536;

/// A command APDU.
#[derive(Clone, PartialEq, Eq)]
pub struct Command {
    /// Class byte.
    pub cla: u8,
    /// Instruction.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Lc is its length).
    pub data: Vec<u8>,
    /// Bytes expected in the response, if any (1 to 65,536).
    pub le: Option<usize>,
}

/// Debug output never shows command data: it may hold a PIN.
impl fmt::Debug for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Command({:02X} {:02X} {:02X} {:02X}, {} data bytes, le {:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.le
        )
    }
}

/// A command that cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// More data than an extended Lc can say.
    #[error("command data of {0} bytes is longer than 65,535")]
    DataTooLong(usize),
    /// Le of 0 or above 65,536.
    #[error("Le {0} is outside 1..=65536")]
    BadLe(usize),
}

impl Command {
    /// A command with no data and no Le.
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Command {
        Command {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            le: None,
        }
    }

    /// The same command with `data`.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Command {
        self.data = data.into();
        self
    }

    /// The same command with Le.
    pub fn with_le(mut self, le: usize) -> Command {
        self.le = Some(le);
        self
    }

    /// Whether the command needs the extended form.
    pub fn is_extended(&self) -> bool {
        self.data.len() > SHORT_MAX_DATA || self.le.is_some_and(|le| le > SHORT_MAX_LE)
    }

    /// The bytes sent to the card.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        if self.data.len() > 65_535 {
            return Err(EncodeError::DataTooLong(self.data.len()));
        }
        if let Some(le) = self.le {
            if le == 0 || le > EXTENDED_MAX_LE {
                return Err(EncodeError::BadLe(le));
            }
        }
        let mut out = Vec::with_capacity(4 + 3 + self.data.len() + 3);
        out.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        let n = self.data.len();
        if self.is_extended() {
            out.push(0);
            if n > 0 {
                out.extend_from_slice(&(n as u16).to_be_bytes());
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                // 65,536 is 0000; with data the marker byte is not repeated.
                out.extend_from_slice(&((le % EXTENDED_MAX_LE) as u16).to_be_bytes());
            }
        } else {
            if n > 0 {
                out.push(n as u8);
                out.extend_from_slice(&self.data);
            }
            if let Some(le) = self.le {
                out.push((le % SHORT_MAX_LE) as u8);
            }
        }
        Ok(out)
    }

    /// Reads a command back (the virtual card's side). Short or extended,
    /// all four ISO 7816-3 cases.
    pub fn decode(bytes: &[u8]) -> Result<Command, DecodeError> {
        let (header, body) = bytes.split_at_checked(4).ok_or(DecodeError::TooShort)?;
        let mut c = Command::new(header[0], header[1], header[2], header[3]);
        match body {
            [] => {}
            [le] => c.le = Some(short_le(*le)),
            [0, rest @ ..] if rest.len() >= 2 => {
                let n = u16::from_be_bytes([rest[0], rest[1]]) as usize;
                let rest = &rest[2..];
                match (n, rest.len()) {
                    // case 2E: 00 Le Le
                    (_, 0) => c.le = Some(extended_le(n)),
                    (0, _) => return Err(DecodeError::BadLength),
                    (n, len) if len == n => c.data = rest.to_vec(),
                    (n, len) if len == n + 2 => {
                        c.data = rest[..n].to_vec();
                        c.le = Some(extended_le(
                            u16::from_be_bytes([rest[n], rest[n + 1]]) as usize
                        ));
                    }
                    _ => return Err(DecodeError::BadLength),
                }
            }
            [lc, rest @ ..] => {
                let n = *lc as usize;
                match rest.len() {
                    len if len == n && n > 0 => c.data = rest.to_vec(),
                    len if len == n + 1 && n > 0 => {
                        c.data = rest[..n].to_vec();
                        c.le = Some(short_le(rest[n]));
                    }
                    _ => return Err(DecodeError::BadLength),
                }
            }
        }
        Ok(c)
    }
}

fn short_le(b: u8) -> usize {
    if b == 0 {
        SHORT_MAX_LE
    } else {
        b as usize
    }
}

fn extended_le(n: usize) -> usize {
    if n == 0 {
        EXTENDED_MAX_LE
    } else {
        n
    }
}

/// Bytes that are not a command APDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Fewer than the four header bytes.
    #[error("an APDU has at least 4 bytes")]
    TooShort,
    /// Lc and the body length disagree.
    #[error("the APDU's length fields do not match its length")]
    BadLength,
}

/// A response APDU: data and the status word.
#[derive(Clone, PartialEq, Eq)]
pub struct Response {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1 SW2.
    pub sw: StatusWord,
}

/// Debug output shows the length of the data, not the data.
impl fmt::Debug for Response {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Response({} bytes, {})", self.data.len(), self.sw)
    }
}

impl Response {
    /// Splits the bytes a card sent into data and status word.
    pub fn parse(bytes: &[u8]) -> Result<Response, DecodeError> {
        let split = bytes.len().checked_sub(2).ok_or(DecodeError::TooShort)?;
        let (data, sw) = bytes.split_at(split);
        Ok(Response {
            data: data.to_vec(),
            sw: StatusWord::from_bytes(sw[0], sw[1]),
        })
    }

    /// A response with data and `9000`.
    pub fn ok(data: impl Into<Vec<u8>>) -> Response {
        Response {
            data: data.into(),
            sw: StatusWord::Ok,
        }
    }

    /// A response with only a status word.
    pub fn status(sw: StatusWord) -> Response {
        Response {
            data: Vec::new(),
            sw,
        }
    }

    /// The bytes a card sends.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.data.len() + 2);
        out.extend_from_slice(&self.data);
        out.extend_from_slice(&self.sw.to_bytes());
        out
    }
}

/// The status words a JPKI card answers with (ISO 7816-4 §5.6), named;
/// anything else is kept as it came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StatusWord {
    /// `9000`: done.
    Ok,
    /// `61xx`: done, and `xx` more bytes wait for GET RESPONSE (`00` = 256).
    MoreData(u8),
    /// `6281`/`6282`: part of the data may be corrupted / end of file
    /// reached before Le bytes (a warning, data follows).
    EndOfFile,
    /// `63Cx`: a VERIFY failed or was a counter query; `x` tries left.
    TriesLeft(u8),
    /// `6700`: wrong length.
    WrongLength,
    /// `6981`: command incompatible with the file structure.
    IncompatibleFile,
    /// `6982`: security status not satisfied (PIN not verified).
    SecurityNotSatisfied,
    /// `6983`: authentication method blocked.
    AuthBlocked,
    /// `6984`: reference data not usable (a locked PIN on JPKI cards).
    RefDataNotUsable,
    /// `6985`: conditions of use not satisfied (e.g. no EF selected).
    ConditionsNotSatisfied,
    /// `6986`: command not allowed (no current EF).
    NotAllowed,
    /// `6A80`: incorrect data field.
    WrongData,
    /// `6A82`: file or application not found.
    FileNotFound,
    /// `6A86`: incorrect P1 P2.
    IncorrectP1P2,
    /// `6B00`: wrong parameters (offset outside the EF).
    WrongP1P2,
    /// `6Cxx`: wrong Le; `xx` is the right one (`00` = 256).
    WrongLe(u8),
    /// `6D00`: instruction not supported.
    InsNotSupported,
    /// `6E00`: class not supported.
    ClaNotSupported,
    /// `6F00`: no precise diagnosis.
    Unknown,
    /// Any other.
    Other(u16),
}

impl StatusWord {
    /// From SW1 SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> StatusWord {
        match (sw1, sw2) {
            (0x90, 0x00) => StatusWord::Ok,
            (0x61, n) => StatusWord::MoreData(n),
            (0x62, 0x82) => StatusWord::EndOfFile,
            (0x63, n) if n & 0xF0 == 0xC0 => StatusWord::TriesLeft(n & 0x0F),
            (0x67, 0x00) => StatusWord::WrongLength,
            (0x69, 0x81) => StatusWord::IncompatibleFile,
            (0x69, 0x82) => StatusWord::SecurityNotSatisfied,
            (0x69, 0x83) => StatusWord::AuthBlocked,
            (0x69, 0x84) => StatusWord::RefDataNotUsable,
            (0x69, 0x85) => StatusWord::ConditionsNotSatisfied,
            (0x69, 0x86) => StatusWord::NotAllowed,
            (0x6A, 0x80) => StatusWord::WrongData,
            (0x6A, 0x82) => StatusWord::FileNotFound,
            (0x6A, 0x86) => StatusWord::IncorrectP1P2,
            (0x6B, 0x00) => StatusWord::WrongP1P2,
            (0x6C, n) => StatusWord::WrongLe(n),
            (0x6D, 0x00) => StatusWord::InsNotSupported,
            (0x6E, 0x00) => StatusWord::ClaNotSupported,
            (0x6F, 0x00) => StatusWord::Unknown,
            (a, b) => StatusWord::Other(u16::from_be_bytes([a, b])),
        }
    }

    /// SW1 SW2.
    pub fn to_bytes(self) -> [u8; 2] {
        let v: u16 = match self {
            StatusWord::Ok => 0x9000,
            StatusWord::MoreData(n) => 0x6100 | n as u16,
            StatusWord::EndOfFile => 0x6282,
            StatusWord::TriesLeft(n) => 0x63C0 | (n & 0x0F) as u16,
            StatusWord::WrongLength => 0x6700,
            StatusWord::IncompatibleFile => 0x6981,
            StatusWord::SecurityNotSatisfied => 0x6982,
            StatusWord::AuthBlocked => 0x6983,
            StatusWord::RefDataNotUsable => 0x6984,
            StatusWord::ConditionsNotSatisfied => 0x6985,
            StatusWord::NotAllowed => 0x6986,
            StatusWord::WrongData => 0x6A80,
            StatusWord::FileNotFound => 0x6A82,
            StatusWord::IncorrectP1P2 => 0x6A86,
            StatusWord::WrongP1P2 => 0x6B00,
            StatusWord::WrongLe(n) => 0x6C00 | n as u16,
            StatusWord::InsNotSupported => 0x6D00,
            StatusWord::ClaNotSupported => 0x6E00,
            StatusWord::Unknown => 0x6F00,
            StatusWord::Other(v) => v,
        };
        v.to_be_bytes()
    }

    /// Whether the PIN this answers for is locked: `63C0`, `6983` or
    /// `6984` (cards differ; all three mean no try is left).
    pub fn is_locked(self) -> bool {
        matches!(
            self,
            StatusWord::TriesLeft(0) | StatusWord::AuthBlocked | StatusWord::RefDataNotUsable
        )
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b] = self.to_bytes();
        write!(f, "{a:02X}{b:02X}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_four_cases_encode_short_and_decode_back() {
        let cases = [
            (Command::new(0, 0xA4, 4, 0x0C), vec![0, 0xA4, 4, 0x0C]),
            (
                Command::new(0, 0xB0, 0, 0).with_le(256),
                vec![0, 0xB0, 0, 0, 0],
            ),
            (
                Command::new(0, 0xA4, 2, 0x0C).with_data([0, 0x0A]),
                vec![0, 0xA4, 2, 0x0C, 2, 0, 0x0A],
            ),
            (
                Command::new(0x80, 0x2A, 0, 0x80)
                    .with_data([1; 51])
                    .with_le(256),
                [&[0x80, 0x2A, 0, 0x80, 51][..], &[1; 51], &[0]].concat(),
            ),
        ];
        for (c, bytes) in cases {
            assert!(!c.is_extended());
            assert_eq!(c.encode().unwrap(), bytes, "{c:?}");
            assert_eq!(Command::decode(&bytes).unwrap(), c);
        }
    }

    #[test]
    fn long_data_or_le_use_the_extended_form() {
        let c = Command::new(0, 0xB0, 0, 0).with_le(257);
        assert_eq!(c.encode().unwrap(), [0, 0xB0, 0, 0, 0, 0x01, 0x01]);
        assert_eq!(Command::decode(&c.encode().unwrap()).unwrap(), c);
        let c = Command::new(0, 0xB0, 0, 0).with_le(65_536);
        assert_eq!(c.encode().unwrap(), [0, 0xB0, 0, 0, 0, 0, 0]);
        assert_eq!(Command::decode(&c.encode().unwrap()).unwrap(), c);
        let c = Command::new(0, 0xD6, 0, 0)
            .with_data(vec![7; 300])
            .with_le(256);
        let e = c.encode().unwrap();
        assert_eq!(&e[4..7], [0, 0x01, 0x2C]);
        assert_eq!(&e[e.len() - 2..], [0x01, 0x00]);
        assert_eq!(Command::decode(&e).unwrap(), c);
        assert_eq!(
            Command::new(0, 0, 0, 0).with_le(0).encode(),
            Err(EncodeError::BadLe(0))
        );
    }

    #[test]
    fn malformed_commands_are_refused() {
        for bad in [
            &[0u8, 0xA4, 4][..],
            &[0, 0xA4, 4, 0, 3, 1, 2],
            &[0, 0xA4, 4, 0, 0, 0, 2, 1],
        ] {
            assert!(Command::decode(bad).is_err(), "{bad:02x?}");
        }
    }

    #[test]
    fn status_words_round_trip_and_locks_are_recognised() {
        for v in 0..=u16::MAX {
            let [a, b] = v.to_be_bytes();
            assert_eq!(StatusWord::from_bytes(a, b).to_bytes(), [a, b]);
        }
        assert_eq!(StatusWord::from_bytes(0x63, 0xC2), StatusWord::TriesLeft(2));
        assert!(StatusWord::TriesLeft(0).is_locked());
        assert!(StatusWord::from_bytes(0x69, 0x84).is_locked());
        assert!(StatusWord::from_bytes(0x69, 0x83).is_locked());
        assert!(!StatusWord::TriesLeft(1).is_locked());
        assert_eq!(StatusWord::SecurityNotSatisfied.to_string(), "6982");
        let r = Response::parse(&[1, 2, 0x61, 0x10]).unwrap();
        assert_eq!(r.data, [1, 2]);
        assert_eq!(r.sw, StatusWord::MoreData(0x10));
        assert_eq!(r.encode(), [1, 2, 0x61, 0x10]);
        assert!(Response::parse(&[0x90]).is_err());
    }
}
