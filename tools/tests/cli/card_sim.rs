//! `kakunin card-sim` end to end through the real PC/SC stack: Debian's
//! `pcscd` with the `vsmartcard-vpcd` driver, and OpenSC as the
//! independent client — its own JPKI driver (`opensc-tool -n`,
//! `pkcs15-tool --read-certificate`, `--list-pins`) and raw APDUs
//! (`opensc-tool -c default -s …`). Signatures are checked with `openssl`.
//!
//! Needs pcscd, the vpcd driver and opensc: without them the tests skip
//! locally and fail under `CI=true` (`.ci/run` installs them and starts
//! pcscd). A pcscd that is already running is used as it is; one this test
//! starts is stopped at the end. Tests that put a card into vpcd take
//! [`PcscStack`], which serialises them: a vpcd slot holds one card.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use kakunin_testkit::{openssl_in, path_str};

/// The vpcd slot these tests use: the second one, so that a card in the
/// first (the default of `card-sim`, e.g. a demo) is left alone.
const VPCD_ADDR: &str = "127.0.0.1:35964";
pub(crate) const READER: &str = "Virtual PCD 00 01";
const PCSCD_SOCKET: &str = "/run/pcscd/pcscd.comm";
pub(crate) const VPCD_DRIVER: &str = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so";
const SELECT_JPKI: &str = "00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01";

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

pub(crate) fn found(program: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Skips (locally) or fails (CI) a test whose prerequisites are missing.
pub(crate) fn missing<T>(test: &str, what: &str) -> Option<T> {
    let msg = format!(
        "{what} (apt-get install pcscd vsmartcard-vpcd opensc; then `pcscd -f </dev/null &`)"
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {msg}: required when CI=true");
    }
    eprintln!("SKIPPED {test}: {msg}");
    None
}

static VPCD_SLOT: Mutex<()> = Mutex::new(());

/// pcscd with the vpcd driver, for one test at a time.
pub(crate) struct PcscStack {
    _slot: MutexGuard<'static, ()>,
    /// The pcscd this test started, if it had to.
    started: Option<Child>,
}

impl PcscStack {
    /// The stack, or `None` when a prerequisite is missing (see the module
    /// comment).
    pub(crate) fn get(test: &str) -> Option<PcscStack> {
        let slot = VPCD_SLOT.lock().unwrap_or_else(|e| e.into_inner());
        for program in ["pcscd", "opensc-tool", "pkcs15-tool"] {
            if !found(program) && !Path::new("/usr/sbin").join(program).exists() {
                return missing(test, &format!("{program} not found"));
            }
        }
        if !Path::new(VPCD_DRIVER).exists() {
            return missing(test, &format!("no vpcd driver at {VPCD_DRIVER}"));
        }
        // A pcscd that already lists the reader is used as it is.
        let started = if lists_reader() {
            None
        } else if Path::new(PCSCD_SOCKET).exists() && pcscd_runs() {
            return missing(test, &format!("pcscd runs but lists no {READER:?}"));
        } else {
            // -f: foreground, and no --auto-exit (it would drop the vpcd
            // port after 60 s idle); stdin from /dev/null.
            let child = Command::new(pcscd_program())
                .arg("-f")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn();
            match child {
                Ok(c) => Some(c),
                Err(e) => return missing(test, &format!("cannot start pcscd: {e}")),
            }
        };
        let mut stack = PcscStack {
            _slot: slot,
            started,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if lists_reader() {
                return Some(stack);
            }
            if let Some(Ok(Some(status))) = stack.started.as_mut().map(Child::try_wait) {
                return missing(test, &format!("pcscd exited at start ({status})"));
            }
            if Instant::now() > deadline {
                return missing(test, &format!("pcscd lists no reader {READER:?}"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

/// pcscd, which is not on a non-root PATH on Debian.
pub(crate) fn pcscd_program() -> &'static str {
    if found("pcscd") {
        "pcscd"
    } else {
        "/usr/sbin/pcscd"
    }
}

fn lists_reader() -> bool {
    PcscEnv::shared().lists_reader()
}

fn pcscd_runs() -> bool {
    Command::new("pidof")
        .arg("pcscd")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

impl Drop for PcscStack {
    /// Stops the pcscd this test started.
    fn drop(&mut self) {
        if let Some(child) = &mut self.started {
            stop_pcscd(child);
        }
    }
}

/// Stops a pcscd a test started: SIGTERM, so that it removes its socket,
/// then SIGKILL if it is still there after 5 s.
pub(crate) fn stop_pcscd(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while let Ok(None) = child.try_wait() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn opensc(args: &[&str]) -> Output {
    PcscEnv::shared().opensc(args)
}

/// Which pcscd a PC/SC client talks to, and the vpcd slot the virtual card
/// goes into: the shared pcscd's second slot, or a private pcscd of one
/// test (`faults.rs`), found through `PCSCLITE_CSOCK_NAME`.
#[derive(Clone, Debug)]
pub(crate) struct PcscEnv {
    /// pcscd's socket, when it is not the default one.
    pub(crate) socket: Option<PathBuf>,
    /// Where the slot's vpcd listens.
    pub(crate) vpcd: String,
    /// The slot's reader name.
    pub(crate) reader: String,
}

impl PcscEnv {
    /// The shared pcscd (`/run/pcscd`), slot [`READER`].
    pub(crate) fn shared() -> PcscEnv {
        PcscEnv {
            socket: None,
            vpcd: VPCD_ADDR.into(),
            reader: READER.into(),
        }
    }

    /// `program`, set up to talk to this pcscd.
    pub(crate) fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new(program);
        if let Some(socket) = &self.socket {
            cmd.env("PCSCLITE_CSOCK_NAME", socket);
        }
        cmd
    }

    fn opensc(&self, args: &[&str]) -> Output {
        self.command("opensc-tool")
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run opensc-tool")
    }

    /// Whether pcscd answers and lists the slot's reader.
    pub(crate) fn lists_reader(&self) -> bool {
        String::from_utf8_lossy(&self.opensc(&["-l"]).stdout).contains(&self.reader)
    }

    /// Whether pcscd sees a card in the slot.
    fn has_card(&self) -> bool {
        self.opensc(&["-r", &self.reader, "-a"]).status.success()
    }
}

/// A running `kakunin card-sim`; killed on drop if still running.
pub(crate) struct CardSim {
    child: Child,
    lines: mpsc::Receiver<String>,
    pcsc: PcscEnv,
    holder: u32,
}

impl CardSim {
    /// Starts the card for `holder` of `pki` in the shared pcscd and waits
    /// until it is in the reader (connected, and seen by pcscd).
    pub(crate) fn start(pki: &Path, holder: u32, state: &Path) -> CardSim {
        CardSim::start_on(&PcscEnv::shared(), pki, holder, state)
    }

    /// [`CardSim::start`] with more `kakunin card-sim` arguments (e.g.
    /// `--remove-after-signatures N`).
    pub(crate) fn start_with(pki: &Path, holder: u32, state: &Path, extra: &[&str]) -> CardSim {
        CardSim::start_on_with(&PcscEnv::shared(), pki, holder, state, extra)
    }

    /// [`CardSim::start`] into the slot of `pcsc`.
    pub(crate) fn start_on(pcsc: &PcscEnv, pki: &Path, holder: u32, state: &Path) -> CardSim {
        CardSim::start_on_with(pcsc, pki, holder, state, &[])
    }

    /// [`CardSim::start_on`] with more `kakunin card-sim` arguments.
    fn start_on_with(
        pcsc: &PcscEnv,
        pki: &Path,
        holder: u32,
        state: &Path,
        extra: &[&str],
    ) -> CardSim {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakunin"));
        cmd.args([
            "card-sim",
            "--vpcd",
            &pcsc.vpcd,
            "--pki",
            path_str(pki),
            "--holder",
            &holder.to_string(),
            "--state",
            path_str(state),
        ])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
        for var in [
            "KAKUNIN_SIM_AUTH_PIN",
            "KAKUNIN_SIM_SIGN_PIN",
            "KAKUNIN_SIM_TEXT_PIN",
        ] {
            cmd.env_remove(var);
        }
        let mut child = cmd.spawn().expect("start kakunin card-sim");
        let out = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let sim = CardSim {
            child,
            lines,
            pcsc: pcsc.clone(),
            holder,
        };
        assert!(
            sim.inserted_within(Duration::from_secs(20)),
            "card-sim never said it was inserted"
        );
        sim
    }

    /// Waits (at most `within`) for card-sim's next "inserted" line, then
    /// (bounded) until pcscd sees the card: pcscd polls for presence every
    /// ~400 ms.
    pub(crate) fn inserted_within(&self, within: Duration) -> bool {
        let Ok(line) = self.lines.recv_timeout(within) else {
            return false;
        };
        assert_eq!(
            line,
            format!(
                "card-sim: holder {} inserted into vpcd at {}",
                self.holder, self.pcsc.vpcd
            )
        );
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.pcsc.has_card() {
            assert!(Instant::now() < deadline, "pcscd never saw the card");
            std::thread::sleep(Duration::from_millis(200));
        }
        true
    }

    /// Whether the process is still running.
    pub(crate) fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM; returns the exit status once pcscd has seen the card go
    /// (so that the next card in the slot is not taken for this one).
    pub(crate) fn stop(mut self) -> ExitStatus {
        let pid = self.child.id().to_string();
        let kill = Command::new("kill").args(["-TERM", &pid]).status();
        assert!(kill.is_ok_and(|s| s.success()), "kill -TERM {pid}");
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for card-sim") {
                break status;
            }
            assert!(Instant::now() < deadline, "card-sim ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        };
        while self.pcsc.has_card() {
            assert!(Instant::now() < deadline, "pcscd still sees the card");
            std::thread::sleep(Duration::from_millis(100));
        }
        status
    }
}

impl Drop for CardSim {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// One answer of `opensc-tool -s`.
#[derive(Debug)]
struct Answer {
    data: Vec<u8>,
    sw: u16,
}

/// Sends APDUs in one connection (one card session) with OpenSC's
/// generic driver, which sends nothing of its own; returns the answers.
fn send(apdus: &[String]) -> Vec<Answer> {
    let mut args = vec!["-c", "default", "-r", READER];
    for a in apdus {
        args.extend(["-s", a.as_str()]);
    }
    let out = opensc(&args);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "opensc-tool failed: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    parse_answers(&text)
}

/// `Received (SW1=0x90, SW2=0x00)[:]` then hex-dump lines: 16 bytes as
/// `XX ` in the first 48 columns, then their ASCII.
fn parse_answers(text: &str) -> Vec<Answer> {
    let mut answers: Vec<Answer> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Received (SW1=0x") {
            let sw1 = u8::from_str_radix(&rest[..2], 16).expect("SW1");
            let rest = rest.split_once("SW2=0x").expect("SW2").1;
            let sw2 = u8::from_str_radix(&rest[..2], 16).expect("SW2");
            answers.push(Answer {
                data: Vec::new(),
                sw: u16::from_be_bytes([sw1, sw2]),
            });
        } else if line.starts_with("Sending:") {
            continue;
        } else if let Some(last) = answers.last_mut() {
            let hex = line.get(..48).unwrap_or(line);
            for byte in hex.split_whitespace() {
                last.data
                    .push(u8::from_str_radix(byte, 16).expect("hex dump byte"));
            }
        }
    }
    answers
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn select_ef(id: &str) -> String {
    format!("00 A4 02 0C 02 {id}")
}

fn verify(pin: &[u8]) -> String {
    match pin {
        [] => "00 20 00 80".into(),
        p => format!("00 20 00 80 {:02X} {}", p.len(), hex(p)),
    }
}

pub(crate) fn pem_der(pem: &[u8]) -> Vec<u8> {
    let (_, p) = x509_parser::pem::parse_x509_pem(pem).expect("PEM certificate");
    p.contents
}

#[test]
fn card_sim_through_pcscd_reads_certificates_counts_pins_signs_and_keeps_state() {
    let test = "card_sim_through_pcscd";
    let Some(_stack) = PcscStack::get(test) else {
        return;
    };
    let tmp = kakunin_testkit::tempdir();
    let state = tmp.path().join("card-state.json");
    let auth_der = pem_der(&std::fs::read(data("holders/1/auth.pem")).unwrap());
    let sim = CardSim::start(&data(""), 1, &state);

    // OpenSC's own JPKI driver recognises the card and reads it.
    let name = opensc(&["-r", READER, "-n"]);
    assert_eq!(String::from_utf8_lossy(&name.stdout).trim(), "jpki");
    let cert = Command::new("pkcs15-tool")
        .args(["--reader", READER, "--read-certificate", "01"])
        .output()
        .expect("pkcs15-tool");
    assert!(cert.status.success(), "{cert:?}");
    assert_eq!(pem_der(&cert.stdout), auth_der);
    let pins = Command::new("pkcs15-tool")
        .args(["--reader", READER, "--list-pins"])
        .output()
        .expect("pkcs15-tool");
    let pins = String::from_utf8_lossy(&pins.stdout);
    let tries: Vec<&str> = pins
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Tries left"))
        .map(|rest| rest.trim_start_matches([' ', ':']))
        .collect();
    assert_eq!(tries, ["3", "5"], "{pins}");

    // Raw APDUs: the auth certificate in 256-byte chunks, the last short.
    let mut apdus = vec![SELECT_JPKI.to_string(), select_ef("00 0A")];
    let chunks: Vec<usize> = (0..auth_der.len()).step_by(256).collect();
    for &offset in &chunks {
        apdus.push(format!(
            "00 B0 {:02X} {:02X} 00",
            offset >> 8,
            offset & 0xFF
        ));
    }
    let message = b"kakunin card-sim end to end";
    let digest = kakunin_testkit::openssl_in(
        tmp.path(),
        &[
            "dgst",
            "-sha256",
            "-binary",
            path_str(&write(tmp.path(), "msg", message)),
        ],
    );
    let digest_info = [
        &[
            0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
            0x01, 0x05, 0x00, 0x04, 0x20,
        ][..],
        &digest,
    ]
    .concat();
    apdus.extend([
        select_ef("00 18"),
        verify(b""),
        verify(b"0000"),
        verify(b""),
        select_ef("00 17"),
        format!(
            "80 2A 00 80 {:02X} {} 00",
            digest_info.len(),
            hex(&digest_info)
        ),
        select_ef("00 18"),
        verify(b"1234"),
        select_ef("00 17"),
        format!(
            "80 2A 00 80 {:02X} {} 00",
            digest_info.len(),
            hex(&digest_info)
        ),
        // The text AP's My Number EF does not exist on this card.
        "00 A4 04 0C 0A D3 92 10 00 31 00 01 01 04 08".into(),
        select_ef("00 01"),
    ]);
    let answers = send(&apdus);
    assert_eq!(answers.len(), apdus.len(), "{answers:?}");
    let (reads, rest) = answers[2..].split_at(chunks.len());
    assert!(answers[..2].iter().all(|a| a.sw == 0x9000));
    assert!(reads.iter().all(|a| a.sw == 0x9000));
    let read: Vec<u8> = reads.iter().flat_map(|a| a.data.clone()).collect();
    assert_eq!(read, auth_der);
    let sws: Vec<u16> = rest.iter().map(|a| a.sw).collect();
    assert_eq!(
        sws,
        [
            0x9000, 0x63C3, 0x63C2, 0x63C2, 0x9000, 0x6982, 0x9000, 0x9000, 0x9000, 0x9000, 0x9000,
            0x6A82
        ]
    );
    let signature = &rest[9].data;
    assert_eq!(signature.len(), 256);
    let sig = write(tmp.path(), "sig", signature);
    let public = openssl_in(
        tmp.path(),
        &[
            "x509",
            "-in",
            path_str(&data("holders/1/auth.pem")),
            "-pubkey",
            "-noout",
        ],
    );
    let public = write(tmp.path(), "auth-pub.pem", &public);
    let verified = openssl_in(
        tmp.path(),
        &[
            "dgst",
            "-sha256",
            "-verify",
            path_str(&public),
            "-signature",
            path_str(&sig),
            path_str(&tmp.path().join("msg")),
        ],
    );
    assert!(String::from_utf8_lossy(&verified).contains("Verified OK"));

    // A wrong PIN in a new session, then the simulator restarts.
    let answers = send(&[SELECT_JPKI.into(), select_ef("00 18"), verify(b"9999")]);
    assert_eq!(answers[2].sw, 0x63C2);
    let status = sim.stop();
    assert_eq!(
        status.code(),
        Some(0),
        "SIGTERM ends card-sim with 0: {status}"
    );
    let saved: serde_json::Value = serde_json::from_slice(&std::fs::read(&state).unwrap()).unwrap();
    assert_eq!(saved["tries_left"]["auth"], 2, "{saved}");

    // The counter survived the restart; the empty VERIFY spends nothing.
    let sim = CardSim::start(&data(""), 1, &state);
    let answers = send(&[
        SELECT_JPKI.into(),
        select_ef("00 18"),
        verify(b""),
        verify(b""),
    ]);
    assert_eq!((answers[2].sw, answers[3].sw), (0x63C2, 0x63C2));
    assert_eq!(sim.stop().code(), Some(0));
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    kakunin_testkit::write(&p, bytes);
    p
}

#[test]
fn opensc_tool_hex_dumps_parse() {
    let text = "Sending: 00 B0 04 00 00 \n\
Received (SW1=0x90, SW2=0x00):\n\
06 07 FB 96 EF 1E 9E 5F BB 64 1B C4 D4 4D EA 04 ......._.d...M..\n\
41 42                                           AB\n\
Sending: 00 20 00 80 \n\
Received (SW1=0x63, SW2=0xC3)\n";
    let a = parse_answers(text);
    assert_eq!(a.len(), 2);
    assert_eq!(a[0].sw, 0x9000);
    assert_eq!(a[0].data.len(), 18);
    assert_eq!(&a[0].data[16..], [0x41, 0x42]);
    assert_eq!((a[1].sw, a[1].data.len()), (0x63C3, 0));
}

#[test]
fn card_sim_refuses_bad_setup_with_exit_2() {
    let tmp = kakunin_testkit::tempdir();
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakunin"));
        cmd.arg("card-sim").args(args).stdin(Stdio::null());
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().expect("run card-sim")
    };
    let pki = data("");
    let pki = path_str(&pki);
    let out = run(&["--pki", pki, "--holder", "99"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("holders/99"));
    // A PIN override the card could not hold; the error never shows it.
    let out = run(
        &["--pki", pki, "--holder", "1"],
        &[("KAKUNIN_SIM_SIGN_PIN", "short")],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("KAKUNIN_SIM_SIGN_PIN") && !err.contains("short"),
        "{err}"
    );
    let bad_state = write(tmp.path(), "state.json", b"{}");
    let out = run(
        &[
            "--pki",
            pki,
            "--holder",
            "1",
            "--state",
            path_str(&bad_state),
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("state file"));
    // --help says the keys are public.
    let out = run(&["--help"], &[]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("public test"));
}
