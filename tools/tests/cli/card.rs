//! `kakunin card` end to end through the real PC/SC stack: pcscd with the
//! vpcd driver, `kakunin card-sim` holding a holder of a fresh `kakunin
//! gen` PKI (dated today, so certificates are valid whenever this runs),
//! and `kakunin serve` for the login. Certificates are compared with the
//! PEM files gen wrote (decoded by x509-parser), signatures checked by
//! `openssl dgst -verify`. Skipped locally without pcscd/vpcd/opensc,
//! required under `CI=true` (see `card_sim.rs`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::card_sim::{pem_der, CardSim, PcscEnv, PcscStack, READER};
use crate::serve::{s, Served};
use crate::serve_login::{expected_auth, p, pki};

/// `kakunin card SUB ARGS --reader READER --wait 10`, with `pin` in
/// `KAKUNIN_PIN` if given.
fn card(args: &[&str], pin: Option<&str>) -> Output {
    card_on(&PcscEnv::shared(), args, pin)
}

/// [`card`] through the pcscd and reader of `pcsc`.
pub(crate) fn card_on(pcsc: &PcscEnv, args: &[&str], pin: Option<&str>) -> Output {
    let mut cmd = pcsc.command(env!("CARGO_BIN_EXE_kakunin"));
    cmd.arg("card")
        .args(args)
        .args(["--reader", &pcsc.reader, "--wait", "10"])
        .stdin(Stdio::null())
        .env_remove("KAKUNIN_PIN");
    if let Some(pin) = pin {
        cmd.env("KAKUNIN_PIN", pin);
    }
    cmd.output().expect("run kakunin card")
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> Value {
    assert!(o.status.success(), "{}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {:?}", o.stdout))
}

/// Tries left on each PIN, from `card info --json`.
fn tries(pin: &str) -> Value {
    json(&card(&["info", "--json"], None))["pins"][pin].clone()
}

fn started(holder: u32, dir: &Path) -> CardSim {
    CardSim::start(pki(), holder, &dir.join(format!("state-{holder}.json")))
}

/// The PC/SC stack, a scratch directory with a one-line document `doc`,
/// and the card of `holder` in the reader; `None` when the stack is
/// missing (see `card_sim.rs`).
fn rig(test: &str, holder: u32) -> Option<(PcscStack, tempfile::TempDir, CardSim)> {
    let stack = PcscStack::get(test)?;
    let tmp = kakunin_testkit::tempdir();
    std::fs::write(tmp.path().join("doc"), "契約書: kakunin card sign").unwrap();
    let sim = started(holder, tmp.path());
    Some((stack, tmp, sim))
}

/// `kakunin card sign --key KEY --in doc --out sig --pin-fd 0` in `dir`,
/// its stdin a pipe for the PIN.
fn spawn_sign(key: &str, dir: &Path) -> std::process::Child {
    spawn_sign_on(&PcscEnv::shared(), key, dir)
}

/// [`spawn_sign`] through the pcscd and reader of `pcsc`.
pub(crate) fn spawn_sign_on(pcsc: &PcscEnv, key: &str, dir: &Path) -> std::process::Child {
    pcsc.command(env!("CARGO_BIN_EXE_kakunin"))
        .args(["card", "sign", "--key", key, "--in", s(&dir.join("doc"))])
        .args(["--out", s(&dir.join("sig")), "--pin-fd", "0"])
        .args(["--reader", &pcsc.reader, "--wait", "10"])
        .env_remove("KAKUNIN_PIN")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kakunin card sign")
}

#[test]
fn card_reads_certificates_and_facts_and_signs_through_pcscd() {
    let Some((_stack, tmp, _sim)) = rig("card_reads", 1) else {
        return;
    };

    let info = json(&card(&["info", "--json"], None));
    assert_eq!(info["reader"], READER);
    assert_eq!(info["token"], "JPKIAPICCTOKEN2");
    assert_eq!(info["token_kind"], "My Number Card");
    assert_eq!(
        info["certificates"]["auth"]["serial"],
        expected_auth(pki(), 1)["serial"]
    );
    assert_eq!(
        info["certificates"]["sign"]["present"],
        Value::Null,
        "{info}"
    );
    for (pin, n) in [("auth", 3), ("sign", 5), ("text", 3)] {
        assert_eq!(info["pins"][pin]["tries_left"], n, "{info}");
    }

    // Certificates, equal to what gen wrote.
    let auth = tmp.path().join("auth.der");
    let out = card(&["cert", "--auth", "--out", s(&auth)], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let want = pem_der(&std::fs::read(p("holders/1/auth.pem")).unwrap());
    assert_eq!(std::fs::read(&auth).unwrap(), want);
    let sign = tmp.path().join("sign.pem");
    // Lower case: the front end upper-cases the signing password.
    let out = card(
        &["cert", "--sign", "--pem", "--out", s(&sign)],
        Some("jpki2026"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        pem_der(&std::fs::read(&sign).unwrap()),
        pem_der(&std::fs::read(p("holders/1/sign.pem")).unwrap())
    );

    // A signature with the signing key, the password on a descriptor.
    let (doc, sig) = (tmp.path().join("doc"), tmp.path().join("sig"));
    let mut child = spawn_sign("sign", tmp.path());
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"JPKI2026\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let pubkey = tmp.path().join("sign.pub");
    let x = Command::new("openssl")
        .args([
            "x509",
            "-in",
            s(&p("holders/1/sign.pem")),
            "-pubkey",
            "-noout",
            "-out",
            s(&pubkey),
        ])
        .status()
        .unwrap();
    assert!(x.success());
    let v = Command::new("openssl")
        .args([
            "dgst",
            "-sha256",
            "-verify",
            s(&pubkey),
            "-signature",
            s(&sig),
            s(&doc),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&v.stdout).trim(), "Verified OK");

    // The card face's facts, from the text AP.
    let facts = json(&card(&["facts", "--json"], Some("1234")));
    let want: Value =
        serde_json::from_slice(&std::fs::read(p("holders/1/facts.json")).unwrap()).unwrap();
    assert_eq!(facts["name"], want["name"]);
    assert_eq!(facts["address"], want["address"]);
    assert_eq!(facts["sex"], want["sex"]);
    assert_eq!(
        facts["birth_date"],
        want["birth_date"].as_str().unwrap()[1..]
    );
}

#[test]
fn card_login_is_accepted_for_a_good_holder_and_refused_for_a_revoked_one() {
    let Some(_stack) = PcscStack::get("card_login") else {
        return;
    };
    let tmp = kakunin_testkit::tempdir();
    let srv = Served::start_with_env(
        &[
            "--listen",
            "127.0.0.1:0",
            "--trust",
            s(&p("sign-ca.pem")),
            "--trust",
            s(&p("auth-ca.pem")),
            "--crl-dir",
            s(pki()),
        ],
        &[],
    );
    let server = srv.url("");
    let sim = started(1, tmp.path());
    let out = card(&["login", "--server", &server, "--json"], Some("1234"));
    let v = json(&out);
    assert_eq!(v["accepted"], true, "{v}");
    assert_eq!(v["serial"], expected_auth(pki(), 1)["serial"]);
    // And the signing certificate through /v1/verify.
    let out = card(&["check", "--server", &server, "--json"], Some("JPKI2026"));
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["kind"], "jpki-signing", "{v}");
    assert_eq!(v["status"], "valid", "{v}");
    assert_eq!(out.status.code(), Some(0));
    sim.stop();

    let _sim = started(2, tmp.path());
    let out = card(&["login", "--server", &server], Some("1234"));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("login refused (revoked)"), "{text}");
    assert!(text.contains("keyCompromise"), "{text}");
    assert_eq!(
        srv.metric("kakunin_logins_total{outcome=\"accepted\"}"),
        1.0
    );
    assert_eq!(srv.metric("kakunin_logins_total{outcome=\"revoked\"}"), 1.0);
}

#[test]
fn card_pins_cost_one_try_each_the_last_is_refused_and_a_lock_says_where_to_go() {
    let Some((_stack, tmp, _sim)) = rig("card_pins", 3) else {
        return;
    };
    let (doc, sig) = (tmp.path().join("doc"), tmp.path().join("sig"));
    let sign = |pin: &str, extra: &[&str]| {
        let mut args = vec!["sign", "--key", "auth", "--in", s(&doc), "--out", s(&sig)];
        args.extend(extra);
        let out = card(&args, Some(pin));
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(!err.contains(pin), "the PIN is in the error: {err}");
        err
    };
    // Malformed: refused before anything is sent.
    let err = sign("12a4", &[]);
    assert!(
        err.contains("4 digits") && err.contains("nothing was sent"),
        "{err}"
    );
    assert_eq!(tries("auth")["tries_left"], 3);
    // Each wrong PIN costs exactly one try.
    let err = sign("0000", &[]);
    assert!(
        err.contains("wrong user-authentication PIN") && err.contains("2 tries left"),
        "{err}"
    );
    assert_eq!(tries("auth")["tries_left"], 2);
    let err = sign("0001", &[]);
    assert!(err.contains("1 try left"), "{err}");
    assert_eq!(tries("auth")["tries_left"], 1);
    // One left: refused, even with the right PIN, unless the user insists.
    let err = sign("1234", &[]);
    assert!(
        err.contains("only one try is left") && err.contains("--i-know-it-may-lock"),
        "{err}"
    );
    assert_eq!(tries("auth")["tries_left"], 1);
    let err = sign("0002", &["--i-know-it-may-lock"]);
    assert!(
        err.contains("locked") && err.contains("municipal office"),
        "{err}"
    );
    let auth = tries("auth");
    assert_eq!(auth["locked"], true, "{auth}");
    // The other PINs are untouched.
    assert_eq!(tries("sign")["tries_left"], 5);
    assert_eq!(tries("text")["tries_left"], 3);
}

/// The card leaves the reader while `card sign` waits for its PIN: the
/// command ends with a clear error, not a hang or a panic.
#[test]
fn card_removed_in_the_middle_of_an_operation_is_a_clear_error() {
    let Some((_stack, tmp, sim)) = rig("card_removed", 1) else {
        return;
    };
    let mut child = spawn_sign("auth", tmp.path());
    // It connects and reads the counter, then waits on the descriptor.
    std::thread::sleep(Duration::from_millis(1500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "card sign ended before the PIN was given"
    );
    sim.stop();
    child.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "card sign hangs after the card left"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("the card was removed"), "{err}");
}
