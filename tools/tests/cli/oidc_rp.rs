//! `kakunin serve`'s OpenID Provider against independent relying-party
//! libraries and a real browser, with the card's approval made through
//! the real PC/SC stack (pcscd, vpcd, `kakunin card-sim`):
//!
//! - Node's `openid-client` (OpenID Certified; `tests/oidc/rp_openid_client.mjs`),
//! - Python's Authlib (`tests/oidc/rp_authlib.py`), which also asks for
//!   every refusal an RP must see, each with its RFC error code and status,
//! - Debian's `chromium`, headless through Selenium and `chromium-driver`
//!   (`tests/oidc/browser.py`), from an RP page through the login page to
//!   the RP's callback,
//! - Authlib again as an RP of the signing API (docs/signing.md;
//!   `tests/oidc/rp_sign.py`): documents registered, signed with the card,
//!   the result checked with `openssl` and the evidence log by hand and by
//!   `kakunin evidence verify`.
//!
//! This file builds what the scripts run against: a PKI dated today
//! (holder 1 valid, holder 2 revoked), a sign CRL made by `openssl ca
//! -gencrl` that also revokes holder 1's signing certificate (for a
//! provider where the facts are out of date), client and provider keys by
//! `openssl genpkey`, the client registry, and the providers (`kakunin
//! serve` on port 0). It writes one JSON file describing all of it
//! (tests/oidc/common.py documents it), runs the script, swaps the card
//! when the script asks (`card: insert holder N`), and shows the script's
//! output; the script exits 0 when every check passed.
//!
//! Needs `npm ci --prefix tests/oidc`, `python3 -m pip install -r
//! tests/oidc/requirements.txt`, `apt-get install chromium chromium-driver`
//! and the PC/SC stack of `card_sim.rs`: each test skips without what it
//! needs locally and fails under `CI=true` (`.ci/run` installs them).

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use kakunin_testkit::jwk::{ec_p256_key, public_jwk};
use kakunin_testkit::needs::{have_python, missing};
use kakunin_testkit::{crl_text_entries, openssl, openssl_time, path_str as s, reason_name};
use kakunin_testkit::{CaConfig, IndexCa};
use serde_json::{json, Value};

use crate::card_sim::{found, CardSim, PcscStack, READER};
use crate::serve::Served;
use crate::serve_login::pki;

/// The card's PINs (`kakunin card-sim`'s defaults).
const AUTH_PIN: &str = "1234";
const SIGN_PASSWORD: &str = "JPKI2026";
/// Where the API-driven scripts' clients are sent back to: never fetched.
const REDIRECT: &str = "http://127.0.0.1:9/callback";
/// The longest a script may run.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(80);

fn oidc_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oidc")
}

/// Node ≥ 20 with `openid-client` installed from the lock file.
fn have_node(test: &str) -> bool {
    let major = Command::new("node")
        .args(["-p", "process.versions.node.split('.')[0]"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|v| v.trim().parse::<u32>().ok());
    match major {
        None => missing(test, "node not found", "apt-get install nodejs npm"),
        Some(m) if m < 20 => missing(
            test,
            &format!("node {m} is older than openid-client's baseline, 20"),
            "a Node.js 20 or later",
        ),
        Some(_) if !oidc_dir().join("node_modules/openid-client").is_dir() => missing(
            test,
            "tests/oidc/node_modules has no openid-client",
            "npm ci --prefix tests/oidc",
        ),
        Some(_) => true,
    }
}

/// Debian's chromium and its WebDriver.
fn have_chromium(test: &str) -> bool {
    (found("chromium") && found("chromedriver"))
        || missing(
            test,
            "chromium or chromedriver not found",
            "apt-get install -y chromium chromium-driver",
        )
}

/// Keys, the registry's JWKS material and the CRL directories, made once
/// per test process.
struct Material {
    dir: tempfile::TempDir,
}

impl Material {
    fn get() -> &'static Material {
        static M: OnceLock<Material> = OnceLock::new();
        M.get_or_init(|| {
            let dir = kakunin_testkit::tempdir();
            let d = dir.path();
            for name in ["op-es256", "rpes", "rppar", "rpweb", "stranger", "evidence"] {
                ec_p256_key(&d.join(format!("{name}.pem")));
            }
            // The signing API's evidence log key, public half for
            // `kakunin evidence verify --key`.
            openssl(&[
                "pkey",
                "-in",
                s(&d.join("evidence.pem")),
                "-pubout",
                "-out",
                s(&d.join("evidence.pub.pem")),
            ]);
            // rpenc: the RSA-2048 key a signing client receives its
            // results encrypted to (RSA-OAEP-256).
            for name in ["op-rs256", "rprs", "rpenc"] {
                kakunin_testkit::rsa_key(&d.join(format!("{name}.pem")));
            }
            openssl(&["rand", "-out", s(&d.join("pairwise.key")), "32"]);
            // The PKI's own CRLs, and the same with holder 1's signing
            // certificate revoked as when a fact on it changed.
            for (sub, sign_crl) in [
                ("crl", pki().join("sign.crl")),
                ("crl-sign-revoked", sign_crl_revoking_holder_1(d)),
            ] {
                let crls = d.join(sub);
                std::fs::create_dir_all(&crls).expect("mkdir");
                std::fs::copy(pki().join("auth.crl"), crls.join("auth.crl"))
                    .expect("copy auth.crl");
                std::fs::copy(sign_crl, crls.join("sign.crl")).expect("copy sign.crl");
            }
            Material { dir }
        })
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The PKI's sign CRL re-made by `openssl ca -gencrl` with the same CA key:
/// every entry gen's CRL has (serial, date, reason as `openssl crl -text`
/// prints them) plus holder 1's signing certificate, affiliationChanged
/// since the start of today. Its CRL number is far above gen's.
fn sign_crl_revoking_holder_1(work: &Path) -> PathBuf {
    let ca = IndexCa::new(
        &work.join("sign-ca-db"),
        pki().join("sign-ca.pem"),
        pki().join("sign-ca.key"),
        &CaConfig {
            // 0x100000: an even number of hex digits, as `crlnumber` needs.
            crl_number: 0x10_0000,
            crl_days: 2,
            ..CaConfig::default()
        },
    );
    let text = String::from_utf8_lossy(&openssl(&[
        "crl",
        "-inform",
        "DER",
        "-in",
        s(&pki().join("sign.crl")),
        "-noout",
        "-text",
    ]))
    .into_owned();
    let index_time = |t: &kakunin_testkit::OpensslTime| {
        format!(
            "{:02}{:02}{:02}{:02}{:02}{:02}Z",
            t.year % 100,
            t.month,
            t.day,
            t.hour,
            t.minute,
            t.second
        )
    };
    for e in crl_text_entries(&text) {
        let at = index_time(&openssl_time(&e.revoked_at));
        ca.add_revoked(
            &e.serial,
            "351231000000Z",
            &at,
            reason_name(&e.reason).unwrap_or(""),
            "/CN=gen",
        );
    }
    let holder_1: Value = serde_json::from_str(
        &std::fs::read_to_string(pki().join("holders/1/facts.json")).expect("facts.json"),
    )
    .expect("facts.json is JSON");
    let serial = holder_1["sign_serial"].as_str().expect("sign_serial");
    let today = crate::serve::today(); // YYYY-MM-DDT00:00:00Z
    let at = format!("{}{}{}000000Z", &today[2..4], &today[5..7], &today[8..10]);
    ca.add_revoked(
        serial,
        "351231000000Z",
        &at,
        "affiliationChanged",
        "/CN=holder 1",
    );
    let pem = ca.gencrl(&work.join("sign-revoked.crl.pem"), &[]);
    let der = work.join("sign-revoked.crl");
    kakunin_testkit::pem_to_der("crl", &pem, &der);
    der
}

/// One client of the registry, as the scripts get it.
struct Rp {
    key: &'static str,
    client_id: &'static str,
    alg: &'static str,
    id_token_alg: &'static str,
    extra: &'static str,
}

const CLIENTS: [(&str, Rp); 3] = [
    (
        "es256",
        Rp {
            key: "rpes",
            client_id: "rpes",
            alg: "ES256",
            id_token_alg: "ES256",
            extra: "sector = \"rp-es.example\"\n",
        },
    ),
    (
        "rs256",
        Rp {
            key: "rprs",
            client_id: "rprs",
            alg: "RS256",
            id_token_alg: "RS256",
            extra: "sector = \"rp-rs.example\"\nid_token_signed_response_alg = \"RS256\"\n",
        },
    ),
    (
        "par",
        Rp {
            key: "rppar",
            client_id: "rppar",
            alg: "ES256",
            id_token_alg: "ES256",
            extra: "require_par = true\n",
        },
    ),
];

/// The browser test's client: its redirect URI is the RP's own port.
const WEB: Rp = Rp {
    key: "rpweb",
    client_id: "rpweb",
    alg: "ES256",
    id_token_alg: "ES256",
    extra: "",
};

/// The registry (TOML) and the clients' part of the scripts' config.
fn registry(work: &Path, web_redirect: Option<&str>) -> (PathBuf, Value) {
    let m = Material::get();
    let mut toml = String::from("# Written by tools/tests/cli/oidc_rp.rs.\n");
    let mut clients = serde_json::Map::new();
    let web = web_redirect.map(|r| ("web", &WEB, r.to_string()));
    let all = CLIENTS
        .iter()
        .map(|(name, rp)| (*name, rp, format!("{REDIRECT}/{}", rp.client_id)))
        .chain(web);
    for (name, rp, redirect) in all {
        let key = m.path(&format!("{}.pem", rp.key));
        let kid = format!("{}-key", rp.client_id);
        let jwks = json!({ "keys": [public_jwk(&key, &kid)] });
        let jwks_file = work.join(format!("{}.jwks.json", rp.client_id));
        kakunin_testkit::write(&jwks_file, jwks.to_string());
        toml.push_str(&format!(
            "\n[[client]]\nclient_id = \"{id}\"\nname = \"Test RP {id}\"\n\
             redirect_uris = [\"{redirect}\"]\n\
             scopes = [\"openid\", \"name\", \"address\", \"birthdate\", \"gender\"]\n\
             jwks_file = \"{jwks}\"\n{extra}",
            id = rp.client_id,
            jwks = s(&jwks_file),
            extra = rp.extra,
        ));
        clients.insert(
            name.into(),
            json!({
                "client_id": rp.client_id, "key": s(&key), "kid": kid, "alg": rp.alg,
                "redirect_uri": redirect, "id_token_alg": rp.id_token_alg,
            }),
        );
    }
    let path = work.join("clients.toml");
    kakunin_testkit::write(&path, toml);
    (path, Value::Object(clients))
}

/// `kakunin serve` as an OpenID Provider over the PKI: its own address is
/// its issuer.
fn provider(clients: &Path, crl_dir: &str, extra: &[&str]) -> Served {
    let m = Material::get();
    let (sign_ca, auth_ca) = (pki().join("sign-ca.pem"), pki().join("auth-ca.pem"));
    let (es, rs) = (m.path("op-es256.pem"), m.path("op-rs256.pem"));
    let (pairwise, crls) = (m.path("pairwise.key"), m.path(crl_dir));
    let mut args = vec![
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&sign_ca),
        "--trust",
        s(&auth_ca),
        "--crl-dir",
        s(&crls),
        "--clients",
        s(clients),
        "--oidc-key",
        s(&es),
        "--oidc-key",
        s(&rs),
        "--pairwise-key",
        s(&pairwise),
    ];
    args.extend_from_slice(extra);
    Served::start(&args)
}

/// The approval step: `kakunin card approve --yes --reader R --wait 10`
/// (PINs from `KAKUNIN_PIN` and `KAKUNIN_SIGN_PASSWORD`); the scripts
/// append `--server URL CODE`.
fn approve_command() -> Value {
    json!([
        env!("CARGO_BIN_EXE_kakunin"),
        "card",
        "approve",
        "--yes",
        "--reader",
        READER,
        "--wait",
        "10"
    ])
}

/// The scripts' configuration (tests/oidc/common.py), written to `work`.
fn write_config(work: &Path, issuer: &str, clients: Value, servers: Value) -> PathBuf {
    write_config_with(work, issuer, clients, servers, json!({}))
}

/// [`write_config`] with the members of `extra` added.
fn write_config_with(
    work: &Path,
    issuer: &str,
    clients: Value,
    servers: Value,
    extra: Value,
) -> PathBuf {
    let m = Material::get();
    let facts = |h: u32| pki().join(format!("holders/{h}/facts.json"));
    let mut cfg = json!({
        "issuer": issuer,
        "servers": servers,
        "clients": clients,
        "stranger_key": s(&m.path("stranger.pem")),
        "approve": approve_command(),
        "facts": { "1": s(&facts(1)), "2": s(&facts(2)) },
    });
    if let (Some(cfg), Value::Object(extra)) = (cfg.as_object_mut(), extra) {
        cfg.extend(extra);
    }
    let path = work.join("config.json");
    kakunin_testkit::write(&path, serde_json::to_string_pretty(&cfg).expect("JSON"));
    path
}

/// The card in the reader, swapped when a script asks.
struct Slot {
    _stack: PcscStack,
    sim: Option<CardSim>,
    state: tempfile::TempDir,
    /// Whether the card in the reader takes itself out after some
    /// signatures.
    pulls: bool,
}

impl Slot {
    fn with(stack: PcscStack, holder: u32) -> Slot {
        let mut slot = Slot {
            _stack: stack,
            sim: None,
            state: kakunin_testkit::tempdir(),
            pulls: false,
        };
        slot.insert(holder);
        slot
    }

    fn insert(&mut self, holder: u32) {
        self.insert_with(holder, &[]);
    }

    /// Puts `holder`'s card in (its PIN counters kept in one state file
    /// per holder), started with `extra` `kakunin card-sim` arguments.
    fn insert_with(&mut self, holder: u32, extra: &[&str]) {
        if let Some(sim) = self.sim.take() {
            // A card that took itself out (--remove-after-signatures)
            // has exited 0 already.
            let status = sim.stop();
            assert!(status.success(), "card-sim ended with {status}");
            if std::mem::take(&mut self.pulls) {
                // pcscd powers the slot down about half a second after a
                // card vanished under a client; vpcd sends that power-off
                // to whichever card has connected by then, and pcscd never
                // sees that card (pcscd 1.9.9, vsmartcard-vpcd 3.3). Let
                // it happen with the slot empty.
                std::thread::sleep(Duration::from_millis(1500));
            }
        }
        self.pulls = extra.contains(&"--remove-after-signatures");
        let state = self.state.path().join(format!("card-{holder}.json"));
        self.sim = Some(CardSim::start_with(pki(), holder, &state, extra));
    }

    /// The answer to a script's `card: insert holder N` line, or `card:
    /// insert holder N remove-after-signatures K` for a card that is
    /// taken out right after its Kth signature.
    fn answer(&mut self, line: &str) -> Option<String> {
        let rest = line.strip_prefix("card: insert holder ")?;
        let (holder, pull) = match rest.split_once(" remove-after-signatures ") {
            Some((h, k)) => (h.parse::<u32>().ok()?, Some(k.parse::<u64>().ok()?)),
            None => (rest.parse::<u32>().ok()?, None),
        };
        match pull {
            Some(k) => self.insert_with(holder, &["--remove-after-signatures", &k.to_string()]),
            None => self.insert(holder),
        }
        Some(format!("card: holder {holder} inserted"))
    }
}

/// A script run: what it printed, whether it passed.
struct Run {
    status: Option<std::process::ExitStatus>,
    transcript: String,
    took: Duration,
}

/// Runs `cmd` (in tests/oidc, PINs in its environment) for at most
/// [`SCRIPT_TIMEOUT`]; each stdout line goes to `on_line`, whose answer
/// (if any) is written to the script's stdin.
fn run_script(mut cmd: Command, mut on_line: impl FnMut(&str) -> Option<String>) -> Run {
    let started = Instant::now();
    cmd.current_dir(oidc_dir())
        .env("KAKUNIN_PIN", AUTH_PIN)
        .env("KAKUNIN_SIGN_PASSWORD", SIGN_PASSWORD)
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .env_remove("KAKUNIN_READER")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let shown = format!("{cmd:?}");
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {shown}: {e}"));
    let mut stdin: Option<ChildStdin> = child.stdin.take();
    let (tx, rx) = mpsc::channel();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let stderr = Arc::new(Mutex::new(String::new()));
    let err_text = stderr.clone();
    let err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            let mut t = err_text.lock().unwrap_or_else(|e| e.into_inner());
            t.push_str(&line);
            t.push('\n');
        }
    });
    let mut transcript = String::new();
    let deadline = started + SCRIPT_TIMEOUT;
    let timed_out = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                transcript.push_str(&line);
                transcript.push('\n');
                if let Some(answer) = on_line(&line) {
                    if let Some(stdin) = stdin.as_mut() {
                        // A script that already ended cannot read it; its
                        // exit status tells.
                        let _ = writeln!(stdin, "{answer}").and_then(|()| stdin.flush());
                    }
                }
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break false,
            Err(mpsc::RecvTimeoutError::Timeout) => break true,
        }
    };
    drop(stdin);
    let status = if timed_out {
        let _ = child.kill();
        let _ = child.wait();
        None
    } else {
        wait_bounded(&mut child, Duration::from_secs(10))
    };
    let err = stderr.lock().unwrap_or_else(|e| e.into_inner()).clone();
    if !err.is_empty() {
        transcript.push_str("--- stderr ---\n");
        transcript.push_str(&err);
    }
    Run {
        status,
        transcript: format!("{shown}\n{transcript}"),
        took: started.elapsed(),
    }
}

fn wait_bounded(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The script must have exited 0; its output is shown either way.
fn passed(what: &str, run: &Run, servers: &[&Served]) {
    eprintln!(
        "--- {what} ({:.1} s) ---\n{}",
        run.took.as_secs_f64(),
        run.transcript
    );
    let logs: Vec<String> = servers.iter().map(|s| s.stderr_text()).collect();
    match run.status {
        Some(s) if s.success() => {}
        Some(s) => panic!(
            "{what} failed ({s}):\n{}\n--- kakunin serve's log ---\n{}",
            run.transcript,
            logs.join("\n---\n")
        ),
        None => panic!(
            "{what} did not finish within {SCRIPT_TIMEOUT:?}:\n{}\n--- kakunin serve's log ---\n{}",
            run.transcript,
            logs.join("\n---\n")
        ),
    }
}

fn python(script: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg(script).args(args);
    cmd
}

/// Authlib: the refusals that need no card (unknown client, redirect URI
/// tricks, PKCE missing or plain, client assertions replayed, for another
/// audience, `alg: none`, HS256 keyed with the public key, keys not in the
/// JWKS), each with its error code and status.
#[test]
fn oidc_rp_authlib_refusals_without_a_card() {
    authlib_without_a_card("oidc_rp_authlib_refusals_without_a_card", "requests");
}

/// Runs the part `part` of rp_authlib.py, which needs no card, against
/// one provider.
fn authlib_without_a_card(test: &str, part: &str) {
    if !have_python(test, "authlib, requests, joserfc") {
        return;
    }
    let work = kakunin_testkit::tempdir();
    let (clients, rps) = registry(work.path(), None);
    let op = provider(&clients, "crl", &[]);
    let config = write_config(work.path(), &op.url(""), rps, json!({}));
    let run = run_script(python("rp_authlib.py", &[s(&config), part]), |_| None);
    passed(&format!("rp_authlib.py {part}"), &run, &[&op]);
}

/// Authlib: logins approved with the card (ES256 and RS256 clients, plain
/// and pushed requests, ID tokens checked by Authlib, userinfo with the
/// facts equal to gen's), then what needs a code or a card to refuse: a
/// wrong verifier, another client's code, a replayed code and the access
/// token it revokes, an expired code, an expired pending request, facts
/// from a revoked signing certificate and a revoked card.
#[test]
fn oidc_rp_authlib_logs_in_with_the_card_and_refuses_what_the_rfcs_refuse() {
    let test = "oidc_rp_authlib_logs_in_with_the_card";
    if !have_python(test, "authlib, requests, joserfc") {
        return;
    }
    let Some(stack) = PcscStack::get(test) else {
        return;
    };
    let work = kakunin_testkit::tempdir();
    let (clients, rps) = registry(work.path(), None);
    let op = provider(&clients, "crl", &[]);
    let short_code = provider(&clients, "crl", &["--code-lifetime", "1s"]);
    let short_pending = provider(&clients, "crl", &["--pending-lifetime", "2s"]);
    let sign_revoked = provider(&clients, "crl-sign-revoked", &[]);
    let servers = json!({
        "short_code": short_code.url(""),
        "short_pending": short_pending.url(""),
        "sign_revoked": sign_revoked.url(""),
    });
    let config = write_config(work.path(), &op.url(""), rps, servers);
    let mut slot = Slot::with(stack, 1);
    let run = run_script(python("rp_authlib.py", &[s(&config), "card"]), |l| {
        slot.answer(l)
    });
    passed(
        "rp_authlib.py card",
        &run,
        &[&op, &short_code, &short_pending, &sign_revoked],
    );
}

/// openid-client: discovery, plain and pushed requests, PKCE,
/// `private_key_jwt` with ES256 and RS256 keys, its own ID token checks
/// (signature by the JWKS included) and userinfo, approved with the card.
#[test]
fn oidc_rp_openid_client_logs_in_with_the_card() {
    let test = "oidc_rp_openid_client_logs_in_with_the_card";
    if !have_node(test) {
        return;
    }
    let Some(stack) = PcscStack::get(test) else {
        return;
    };
    let work = kakunin_testkit::tempdir();
    let (clients, rps) = registry(work.path(), None);
    let op = provider(&clients, "crl", &[]);
    let config = write_config(work.path(), &op.url(""), rps, json!({}));
    let mut slot = Slot::with(stack, 1);
    let mut cmd = Command::new("node");
    cmd.arg("rp_openid_client.mjs").arg(s(&config));
    let run = run_script(cmd, |l| slot.answer(l));
    passed("rp_openid_client.mjs", &run, &[&op]);
}

/// Chromium: an RP page, the login page, the pairing code read from it,
/// the card's approval, and the RP's callback redeeming the code; then a
/// revoked card, whose refusal the page shows.
#[test]
fn oidc_rp_browser_logs_in_through_the_login_page() {
    let test = "oidc_rp_browser_logs_in_through_the_login_page";
    if !have_python(test, "authlib, requests, joserfc, selenium") || !have_chromium(test) {
        return;
    }
    let Some(stack) = PcscStack::get(test) else {
        return;
    };
    let work = kakunin_testkit::tempdir();
    let mut slot = Slot::with(stack, 1);
    // The RP listens first (port 0); its callback is then registered, the
    // provider started, and the configuration handed over on stdin.
    let mut op: Option<Served> = None;
    let run = run_script(python("browser.py", &[]), |line| {
        if let Some(callback) = line.strip_prefix("rp: callback ") {
            let (clients, rps) = registry(work.path(), Some(callback));
            let srv = provider(&clients, "crl", &[]);
            let config = write_config(work.path(), &srv.url(""), rps, json!({}));
            op = Some(srv);
            return Some(s(&config).to_string());
        }
        slot.answer(line)
    });
    let servers: Vec<&Served> = op.iter().collect();
    passed("browser.py", &run, &servers);
}

/// Details of the RFCs these tests once found the server departing from
/// (one `DEVIATION:` line each if one comes back): `WWW-Authenticate:
/// Basic` on the 401 to a client that tried HTTP Basic at /token and /par
/// (RFC 6749 §5.2, a MUST); the Bearer scheme in any case at /userinfo
/// (RFC 9110 §11.1); discovery saying `request_uri_parameter_supported:
/// false`, as /authorize takes no `request_uri` but its own (OIDC
/// Discovery §3: omitted would mean true).
#[test]
fn oidc_rp_rfc_details_once_missed() {
    authlib_without_a_card("oidc_rp_rfc_details_once_missed", "deviations");
}

// --- Document signing (docs/signing.md) ------------------------------------

/// The signing API's clients: `signer` (ES256, the four facts), `other`
/// (RS256, another client of the same provider) and `sealed` (ES256, the
/// four facts, and an RSA-OAEP-256 key in its JWKS: its results come
/// encrypted).
const SIGN_CLIENTS: [(&str, Rp, &str); 3] = [
    (
        "signer",
        Rp {
            key: "rpes",
            client_id: "rpsign",
            alg: "ES256",
            id_token_alg: "ES256",
            extra: "",
        },
        "\"openid\", \"sign\", \"name\", \"address\", \"birthdate\", \"gender\"",
    ),
    (
        "other",
        Rp {
            key: "rprs",
            client_id: "rpsign2",
            alg: "RS256",
            id_token_alg: "ES256",
            extra: "",
        },
        "\"openid\", \"sign\"",
    ),
    (
        "sealed",
        Rp {
            key: "rppar",
            client_id: "rpsealed",
            alg: "ES256",
            id_token_alg: "ES256",
            extra: "",
        },
        "\"openid\", \"sign\", \"name\", \"address\", \"birthdate\", \"gender\"",
    ),
];

/// The signing clients' registry (TOML) and their part of the script's
/// config (`enc_key`: the private key of `sealed`'s encryption key).
fn sign_registry(work: &Path) -> (PathBuf, Value) {
    let m = Material::get();
    let mut toml = String::from("# Written by tools/tests/cli/oidc_rp.rs (signing).\n");
    let mut clients = serde_json::Map::new();
    for (name, rp, scopes) in &SIGN_CLIENTS {
        let key = m.path(&format!("{}.pem", rp.key));
        let kid = format!("{}-key", rp.client_id);
        let redirect = format!("{REDIRECT}/{}", rp.client_id);
        let mut keys = vec![public_jwk(&key, &kid)];
        let mut entry = json!({
            "client_id": rp.client_id, "key": s(&key), "kid": kid, "alg": rp.alg,
            "redirect_uri": redirect, "id_token_alg": rp.id_token_alg,
        });
        if *name == "sealed" {
            // testkit's JWK says use sig, alg RS256: made an encryption
            // key here (docs/oidc.md, "Client registry").
            let enc = m.path("rpenc.pem");
            let mut jwk = public_jwk(&enc, "rpsealed-enc");
            jwk["use"] = json!("enc");
            jwk["alg"] = json!("RSA-OAEP-256");
            keys.push(jwk);
            entry["enc_key"] = json!(s(&enc));
        }
        let jwks_file = work.join(format!("{}.jwks.json", rp.client_id));
        kakunin_testkit::write(&jwks_file, json!({ "keys": keys }).to_string());
        toml.push_str(&format!(
            "\n[[client]]\nclient_id = \"{id}\"\nname = \"Signing RP {id}\"\n\
             redirect_uris = [\"{redirect}\"]\nscopes = [{scopes}]\n\
             jwks_file = \"{jwks}\"\n{extra}",
            id = rp.client_id,
            jwks = s(&jwks_file),
            extra = rp.extra,
        ));
        clients.insert((*name).into(), entry);
    }
    let path = work.join("sign-clients.toml");
    kakunin_testkit::write(&path, toml);
    (path, Value::Object(clients))
}

/// A provider with signing on: its own evidence log `work/evidence-NAME.log`
/// (returned), signed with Material's evidence key.
fn sign_provider(
    work: &Path,
    name: &str,
    clients: &Path,
    crl_dir: &str,
    extra: &[&str],
) -> (Served, PathBuf) {
    let m = Material::get();
    let evidence = work.join(format!("evidence-{name}.log"));
    let key = m.path("evidence.pem");
    let mut args = vec!["--evidence", s(&evidence), "--evidence-key", s(&key)];
    args.extend_from_slice(extra);
    (provider(clients, crl_dir, &args), evidence)
}

/// Runs part `part` of rp_sign.py with holder 1's card in the reader
/// against `main` (and the `more` providers, by name), each with its own
/// evidence log.
fn sign_script(test: &str, part: &str, more: &[(&str, &str, &[&str])]) {
    if !have_python(test, "authlib, requests, joserfc, cryptography") {
        return;
    }
    let Some(stack) = PcscStack::get(test) else {
        return;
    };
    let work = kakunin_testkit::tempdir();
    let (clients, rps) = sign_registry(work.path());
    let (op, main_log) = sign_provider(work.path(), "main", &clients, "crl", &[]);
    let mut servers = serde_json::Map::new();
    let mut evidence = serde_json::Map::new();
    evidence.insert("main".into(), json!(s(&main_log)));
    let mut running = Vec::new();
    for (name, crl_dir, extra) in more {
        let (srv, log) = sign_provider(work.path(), name, &clients, crl_dir, extra);
        servers.insert((*name).into(), json!(srv.url("")));
        evidence.insert((*name).into(), json!(s(&log)));
        running.push(srv);
    }
    let extra = json!({
        "kakunin": env!("CARGO_BIN_EXE_kakunin"),
        "reader": READER,
        "pki": s(pki()),
        "evidence": evidence,
        "evidence_pub": s(&Material::get().path("evidence.pub.pem")),
    });
    let config = write_config_with(work.path(), &op.url(""), rps, Value::Object(servers), extra);
    let mut slot = Slot::with(stack, 1);
    let run = run_script(python("rp_sign.py", &[s(&config), part]), |l| {
        slot.answer(l)
    });
    let mut all = vec![&op];
    all.extend(running.iter());
    passed(&format!("rp_sign.py {part}"), &run, &all);
}

/// Signing, the whole way with Authlib as the RP: a client-credentials
/// token, three documents registered (two SHA-256 digests, one SHA-512
/// DigestInfo), the card's approval through pcscd, the code flow, the
/// result; every signature checked by `openssl pkeyutl -verify` over the
/// DigestInfo the script builds itself (and a changed digest refused),
/// the certificate equal to gen's, the facts equal to gen's facts.json;
/// the result encrypted to a client's RSA key and decrypted by joserfc and
/// by hand; the result refused without a token, with a client-credentials
/// token and with another login's token; another client's transaction
/// refused at /authorize and at its state; an expired transaction
/// (`--sign-lifetime 2s`); the evidence logs verified by `kakunin evidence
/// verify`.
#[test]
fn oidc_rp_sign_documents_end_to_end() {
    sign_script(
        "oidc_rp_sign_documents_end_to_end",
        "signed",
        &[("short_sign", "crl", &["--sign-lifetime", "2s"])],
    );
}

/// Signing refused or interrupted at the card: a wrong signing password
/// (exactly one try spent, nothing posted, the transaction still open,
/// then approved with the right one), the card taken out after the first
/// document (nothing posted, no evidence record, then approved with the
/// card back), and a signing certificate revoked in the served CRL (the
/// transaction refused, the evidence record saying so).
#[test]
fn oidc_rp_sign_refusals_at_the_card() {
    sign_script(
        "oidc_rp_sign_refusals_at_the_card",
        "card",
        &[("sign_revoked", "crl-sign-revoked", &[])],
    );
}
