//! The virtual card in pcscd's vsmartcard reader (`vsmartcard-vpcd`).
//!
//! The vpcd driver inside pcscd **listens** (127.0.0.1:35963 for reader
//! "Virtual PCD 00 00", 35964 for "00 01"); the card connects to it, and
//! an open connection is a card in the reader. Every message either way is
//! a 2-byte big-endian length and the payload. pcscd sends 1-byte control
//! messages — `00` power off, `01` power on, `02` reset (no reply), `04`
//! "your ATR?" (reply: the ATR) — and C-APDUs, answered with the R-APDU.
//!
//! Reads are exact: old vpcd builds send the length and the payload in two
//! writes, so one `read` may return part of a message. pcscd asks for the
//! ATR every ~400 ms to see whether the card is still there.
//!
//! [`Vpcd::run`] keeps the card inserted: when the connection drops (pcscd
//! restarted or stopped) it closes it, which powers the card off, and
//! connects again with a bounded backoff, until its stop flag is set.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::VirtualCard;
use crate::apdu::StatusWord;

/// vpcd's default address (reader "Virtual PCD 00 00").
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// What happened, for the caller to log or count. The library itself
/// prints nothing.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// TCP is up, but vpcd has not talked yet. The driver accepts one card
    /// per slot, and only when it polls: until then the connection waits
    /// in the listen queue (for ever, if another card holds the slot).
    Waiting(SocketAddr),
    /// vpcd talked to the card: it is in the reader.
    Connected(SocketAddr),
    /// vpcd could not be reached; `attempt` counts since the last
    /// connection (1 the first time), so a caller can log the first and
    /// stay quiet for the rest.
    Unreachable {
        /// Failed attempts in a row.
        attempt: u32,
        /// The last failure.
        error: &'a io::Error,
    },
    /// The connection ended (the card is out of the reader).
    Disconnected(&'a io::Error),
    /// Power on.
    PowerOn,
    /// Power off.
    PowerOff,
    /// Reset.
    Reset,
    /// A command was answered: its header (CLA INS P1 P2, never the data,
    /// which may be a PIN) and the status word.
    Apdu {
        /// CLA INS P1 P2.
        header: [u8; 4],
        /// SW1 SW2 of the answer.
        sw: StatusWord,
    },
    /// A 1-byte message that is not a known control code (ignored).
    UnknownControl(u8),
}

/// A vpcd connection for one card.
#[derive(Debug, Clone)]
pub struct Vpcd {
    addr: String,
    stop: Arc<AtomicBool>,
    min_backoff: Duration,
    max_backoff: Duration,
    poll: Duration,
}

/// Why a connection ended.
enum End {
    Stopped,
    Dropped(io::Error),
}

impl Vpcd {
    /// vpcd at `addr` (`HOST:PORT`); [`Vpcd::run`] returns once `stop` is
    /// set (within [`Vpcd::with_poll`]'s interval, 200 ms by default).
    pub fn new(addr: impl Into<String>, stop: Arc<AtomicBool>) -> Vpcd {
        Vpcd {
            addr: addr.into(),
            stop,
            min_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            poll: Duration::from_millis(200),
        }
    }

    /// Waits between connection attempts: `min` after the first failure,
    /// doubling up to `max`. The cap is short because pcscd restarts in
    /// about a second and a card that comes back late looks removed.
    pub fn with_backoff(mut self, min: Duration, max: Duration) -> Vpcd {
        self.min_backoff = min.max(Duration::from_millis(1));
        self.max_backoff = max.max(self.min_backoff);
        self
    }

    /// How often a blocked read looks at the stop flag.
    pub fn with_poll(mut self, poll: Duration) -> Vpcd {
        self.poll = poll.max(Duration::from_millis(1));
        self
    }

    /// The address it connects to.
    pub fn addr(&self) -> &str {
        &self.addr
    }

    /// Keeps `card` in the reader until the stop flag is set: connects,
    /// serves pcscd, and reconnects whenever the connection drops. Never
    /// returns an error — a missing pcscd is a reader with no card yet.
    pub fn run(&self, card: &mut VirtualCard, mut on_event: impl FnMut(Event<'_>)) {
        let mut attempt = 0u32;
        let mut backoff = self.min_backoff;
        while !self.stopped() {
            let failed = match self.connect() {
                Ok((stream, peer)) => {
                    on_event(Event::Waiting(peer));
                    let (end, inserted) = self.serve(stream, peer, card, &mut on_event);
                    // Out of the reader: whatever was verified is gone.
                    card.power_off();
                    match end {
                        End::Stopped => return,
                        End::Dropped(e) if inserted => {
                            attempt = 0;
                            backoff = self.min_backoff;
                            on_event(Event::Disconnected(&e));
                            None
                        }
                        // Dropped before vpcd said a word: pcscd going
                        // down, or a listener that is not vpcd.
                        End::Dropped(e) => Some(e),
                    }
                }
                Err(e) => Some(e),
            };
            if let Some(e) = failed {
                attempt = attempt.saturating_add(1);
                on_event(Event::Unreachable { attempt, error: &e });
            }
            self.sleep(backoff);
            backoff = (backoff * 2).min(self.max_backoff);
        }
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    /// Sleeps `d`, waking early when stopped.
    fn sleep(&self, d: Duration) {
        let step = self.poll.min(d);
        let mut left = d;
        while !left.is_zero() && !self.stopped() {
            let s = step.min(left);
            std::thread::sleep(s);
            left -= s;
        }
    }

    fn connect(&self) -> io::Result<(TcpStream, SocketAddr)> {
        let mut last = io::Error::new(
            io::ErrorKind::NotFound,
            format!("{} resolves to no address", self.addr),
        );
        for addr in self.addr.to_socket_addrs()? {
            match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
                Ok(s) => {
                    s.set_nodelay(true)?;
                    s.set_read_timeout(Some(self.poll))?;
                    // A pcscd that stops reading must not hang the card
                    // forever; the reconnect loop takes over.
                    s.set_write_timeout(Some(Duration::from_secs(5)))?;
                    return Ok((s, addr));
                }
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// Answers vpcd until the connection ends; also says whether vpcd
    /// ever talked (the card was in the reader). Any stream: TCP here, an
    /// in-memory one in the fuzz target (`fuzzing::serve`).
    fn serve<S: Read + Write>(
        &self,
        mut stream: S,
        peer: SocketAddr,
        card: &mut VirtualCard,
        on_event: &mut impl FnMut(Event<'_>),
    ) -> (End, bool) {
        let mut inserted = false;
        loop {
            let message = match self.read_message(&mut stream) {
                Ok(Some(m)) => m,
                Ok(None) => return (End::Stopped, inserted),
                Err(e) => return (End::Dropped(e), inserted),
            };
            if !inserted {
                inserted = true;
                on_event(Event::Connected(peer));
            }
            let reply = match message.as_slice() {
                // vpcd never sends an empty message; skip one rather than
                // answer what was not asked.
                [] => None,
                [0x00] => {
                    card.power_off();
                    on_event(Event::PowerOff);
                    None
                }
                [0x01] => {
                    card.power_on();
                    on_event(Event::PowerOn);
                    None
                }
                [0x02] => {
                    card.reset();
                    on_event(Event::Reset);
                    None
                }
                [0x04] => Some(card.atr().to_vec()),
                &[other] => {
                    on_event(Event::UnknownControl(other));
                    None
                }
                apdu => {
                    let r = card.handle(apdu);
                    let mut header = [0u8; 4];
                    let n = apdu.len().min(4);
                    header[..n].copy_from_slice(&apdu[..n]);
                    let sw = match r.as_slice() {
                        [.., a, b] => StatusWord::from_bytes(*a, *b),
                        _ => StatusWord::Unknown,
                    };
                    on_event(Event::Apdu { header, sw });
                    Some(r)
                }
            };
            if let Some(r) = reply {
                if let Err(e) = write_message(&mut stream, &r) {
                    return (End::Dropped(e), inserted);
                }
            }
        }
    }

    /// One framed message; `None` once stopped.
    fn read_message(&self, stream: &mut impl Read) -> io::Result<Option<Vec<u8>>> {
        let mut len = [0u8; 2];
        if !self.read_exact(stream, &mut len)? {
            return Ok(None);
        }
        let mut message = vec![0u8; u16::from_be_bytes(len) as usize];
        if !self.read_exact(stream, &mut message)? {
            return Ok(None);
        }
        Ok(Some(message))
    }

    /// `Read::read_exact`, but a read timeout only means "look at the stop
    /// flag and go on": `read_exact` itself would lose the bytes it had
    /// when the timeout hit in the middle of a message. `false` = stopped.
    fn read_exact(&self, stream: &mut impl Read, buf: &mut [u8]) -> io::Result<bool> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.stopped() {
                return Ok(false);
            }
            match stream.read(&mut buf[filled..]) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "vpcd closed the connection",
                    ))
                }
                Ok(n) => filled += n,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }
}

/// Sends one framed message (a response is at most 258 bytes, the ATR 9).
fn write_message(stream: &mut impl Write, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "message over 65,535 bytes"))?;
    let mut frame = Vec::with_capacity(2 + payload.len());
    frame.extend_from_slice(&len.to_be_bytes());
    frame.extend_from_slice(payload);
    stream.write_all(&frame)?;
    stream.flush()
}

#[doc(hidden)]
pub mod fuzzing {
    //! The entry point of the `vpcd_framing` fuzz target in `fuzz/`. Not
    //! an API; nothing else may use it.

    use super::*;

    /// Serves `card` over `stream` as [`Vpcd::run`] serves one connection
    /// (never stopped), until the stream fails or ends; returns whether
    /// vpcd talked (a whole message came) and the error that ended it.
    pub fn serve<S: Read + Write>(
        stream: S,
        card: &mut VirtualCard,
        mut on_event: impl FnMut(Event<'_>),
    ) -> (bool, Option<io::Error>) {
        let vpcd = Vpcd::new(DEFAULT_ADDR, Arc::new(AtomicBool::new(false)));
        let peer = SocketAddr::from(([127, 0, 0, 1], 35963));
        match vpcd.serve(stream, peer, card, &mut on_event) {
            (End::Stopped, inserted) => (inserted, None),
            (End::Dropped(e), inserted) => (inserted, Some(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::tests::holder_card;
    use crate::sim::ATR;
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::time::Instant;

    /// A stand-in for pcscd's vpcd driver: accepts the card and speaks the
    /// framing, sending the length and payload in separate writes as old
    /// builds do.
    struct FakeVpcd {
        stream: TcpStream,
    }

    impl FakeVpcd {
        fn accept(listener: &TcpListener) -> FakeVpcd {
            listener.set_nonblocking(false).unwrap();
            let (stream, _) = listener.accept().unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .unwrap();
            FakeVpcd { stream }
        }

        fn send(&mut self, payload: &[u8]) {
            self.stream
                .write_all(&(payload.len() as u16).to_be_bytes())
                .unwrap();
            self.stream.flush().unwrap();
            std::thread::sleep(Duration::from_millis(5));
            self.stream.write_all(payload).unwrap();
        }

        fn recv(&mut self) -> Vec<u8> {
            let mut len = [0u8; 2];
            self.stream.read_exact(&mut len).unwrap();
            let mut m = vec![0; u16::from_be_bytes(len) as usize];
            self.stream.read_exact(&mut m).unwrap();
            m
        }

        fn transmit(&mut self, apdu: &[u8]) -> Vec<u8> {
            self.send(apdu);
            self.recv()
        }
    }

    /// Runs a card against `addr` on a thread; returns the stop flag, the
    /// event names as they come, and the thread.
    fn start(
        addr: String,
    ) -> (
        Arc<AtomicBool>,
        mpsc::Receiver<String>,
        std::thread::JoinHandle<VirtualCard>,
    ) {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let vpcd = Vpcd::new(addr, stop.clone())
            .with_backoff(Duration::from_millis(10), Duration::from_millis(50))
            .with_poll(Duration::from_millis(20));
        let handle = std::thread::spawn(move || {
            let mut card = holder_card(1);
            vpcd.run(&mut card, |e| {
                let name = match e {
                    Event::Waiting(_) => "waiting".to_string(),
                    Event::Connected(_) => "connected".to_string(),
                    Event::Unreachable { attempt, .. } => format!("unreachable {attempt}"),
                    Event::Disconnected(_) => "disconnected".into(),
                    Event::PowerOn => "on".into(),
                    Event::PowerOff => "off".into(),
                    Event::Reset => "reset".into(),
                    Event::Apdu { header, sw } => format!("apdu {:02X} {sw}", header[1]),
                    Event::UnknownControl(b) => format!("control {b:02X}"),
                };
                let _ = tx.send(name);
            });
            card
        });
        (stop, rx, handle)
    }

    fn wait_for(rx: &mpsc::Receiver<String>, want: &str) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(e) = rx.recv_timeout(Duration::from_millis(100)) {
                if e == want {
                    return;
                }
            }
        }
        panic!("no {want:?} event within 10 s");
    }

    const SELECT_AUTH_PIN: [u8; 7] = [0, 0xA4, 2, 0x0C, 2, 0, 0x18];
    const OK: [u8; 2] = [0x90, 0x00];

    fn verify(pin: &[u8; 4]) -> Vec<u8> {
        [&[0, 0x20, 0, 0x80, 4][..], pin].concat()
    }

    /// SELECT of the JPKI AP and its auth PIN EF.
    fn to_auth_pin(pcscd: &mut FakeVpcd) {
        assert_eq!(pcscd.transmit(&SELECT_JPKI), OK);
        assert_eq!(pcscd.transmit(&SELECT_AUTH_PIN), OK);
    }

    const SELECT_JPKI: [u8; 15] = [
        0x00, 0xA4, 0x04, 0x0C, 0x0A, 0xD3, 0x92, 0xF0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01,
    ];

    #[test]
    fn speaks_the_framing_and_keeps_counters_across_a_reconnect() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, rx, handle) = start(addr);

        let mut pcscd = FakeVpcd::accept(&listener);
        wait_for(&rx, "waiting");
        // Inserted only once vpcd talks.
        assert!(rx.try_recv().is_err());
        pcscd.send(&[0x01]);
        wait_for(&rx, "connected");
        wait_for(&rx, "on");
        assert_eq!(pcscd.transmit(&[0x04]), ATR);
        to_auth_pin(&mut pcscd);
        assert_eq!(pcscd.transmit(&verify(b"0000")), [0x63, 0xC2]);
        assert_eq!(pcscd.transmit(&verify(b"1234")), OK);
        pcscd.send(&[0x02]);
        wait_for(&rx, "reset");
        // After the reset the AP is no longer selected.
        assert_eq!(pcscd.transmit(&[0, 0x20, 0, 0x80]), [0x69, 0x86]);
        to_auth_pin(&mut pcscd);
        assert_eq!(pcscd.transmit(&verify(b"0000")), [0x63, 0xC2]);
        pcscd.send(&[0x07]);
        wait_for(&rx, "control 07");
        pcscd.send(&[0x00]);
        wait_for(&rx, "off");

        // pcscd restarts: the card notices, comes back, and its counter
        // has not been given back.
        drop(pcscd);
        wait_for(&rx, "disconnected");
        let mut pcscd = FakeVpcd::accept(&listener);
        pcscd.send(&[0x01]);
        wait_for(&rx, "connected");
        to_auth_pin(&mut pcscd);
        assert_eq!(pcscd.transmit(&[0, 0x20, 0, 0x80]), [0x63, 0xC2]);

        stop.store(true, Ordering::Relaxed);
        let card = handle.join().unwrap();
        assert_eq!(card.tries_left(crate::ap::PinKind::Auth), 2);
        // Stopping closes the connection: the card is out of the reader.
        let mut buf = [0u8; 1];
        assert_eq!(pcscd.stream.read(&mut buf).unwrap(), 0);
    }

    #[test]
    fn a_listener_that_hangs_up_without_a_word_is_not_an_insertion() {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let (stop, rx, handle) = start(addr);
        drop(FakeVpcd::accept(&listener));
        wait_for(&rx, "unreachable 1");
        drop(FakeVpcd::accept(&listener));
        wait_for(&rx, "unreachable 2");
        stop.store(true, Ordering::Relaxed);
        handle.join().unwrap();
        let seen: Vec<String> = rx.try_iter().collect();
        assert!(!seen.iter().any(|e| e == "connected"), "{seen:?}");
    }

    #[test]
    fn waits_for_pcscd_with_backoff_and_stops_when_told() {
        // A port with nobody listening: take one, then free it.
        let addr = {
            let l = TcpListener::bind("127.0.0.1:0").unwrap();
            l.local_addr().unwrap()
        };
        let (stop, rx, handle) = start(addr.to_string());
        wait_for(&rx, "unreachable 1");
        wait_for(&rx, "unreachable 3");
        // pcscd comes up on that port: the card connects.
        let listener = TcpListener::bind(addr).unwrap();
        let mut pcscd = FakeVpcd::accept(&listener);
        assert_eq!(pcscd.transmit(&[0x04]), ATR);
        wait_for(&rx, "connected");
        let t = Instant::now();
        stop.store(true, Ordering::Relaxed);
        handle.join().unwrap();
        assert!(t.elapsed() < Duration::from_secs(2), "{:?}", t.elapsed());
    }
}
