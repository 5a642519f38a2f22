//! `kakunin card`: the desk-side front end for a My Number Card in a PC/SC
//! reader. Reads certificates and facts, signs with the card's keys, logs
//! in to (or checks a certificate with) a `kakunin serve`, and approves
//! logins at its OpenID Provider.
//!
//! One connection is kept for a whole command: PC/SC resets a card when
//! its last connection closes, and a reset forgets the verified PIN.

mod approve;
mod online;
mod server;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use kakunin_card::ap::{token_kind, CertSlot, KeySlot, PinKind};
use kakunin_card::jpki::{CardError, JpkiCard, PinPolicy, Tries};
use kakunin_card::pcsc::{Pcsc, PcscCard};
use kakunin_card::pin::{Pin, PinReader};
use serde_json::{json, Value};

use crate::Outcome;

/// Arguments of `kakunin card`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "PINs are never taken from the command line: KAKUNIN_PIN (the signing password \
also KAKUNIN_SIGN_PASSWORD; either removed from the environment once read), --pin-fd N (one PIN \
a line, in the order they are asked for), or a prompt without echo. Before each PIN is sent the \
card's counter is read (that costs nothing); with one try left the command refuses unless \
--i-know-it-may-lock is given. A locked PIN can only be reset at the municipal office.\nExit \
status: 0 done (login accepted or approved, certificate valid), 1 login refused or declined, or \
certificate not valid, 2 error (no service, reader or card, wrong PIN, I/O)."
)]
pub(crate) struct CardArgs {
    #[command(subcommand)]
    command: CardCommand,
    #[command(flatten)]
    opts: CardOpts,
}

/// Options every card command takes.
#[derive(clap::Args, Debug, Clone)]
pub(crate) struct CardOpts {
    /// The reader to use (its full name, or the start of it) when several are connected.
    #[arg(long, global = true, env = "KAKUNIN_READER", value_name = "NAME")]
    reader: Option<String>,
    /// How long to wait for a card on the reader.
    #[arg(long, global = true, default_value_t = 30, value_name = "SECONDS")]
    wait: u64,
    /// One JSON object on stdout instead of text for people.
    #[arg(long, global = true)]
    json: bool,
    /// Read PINs from this open file descriptor (one a line, in the order asked) instead of a prompt.
    #[arg(long, global = true, value_name = "N")]
    pin_fd: Option<i32>,
    /// Send the PIN even when only one try is left (a wrong one then locks it).
    #[arg(long, global = true)]
    i_know_it_may_lock: bool,
}

#[derive(clap::Subcommand, Debug)]
enum CardCommand {
    /// List the readers and whether a card is in each.
    Readers,
    /// The card's token, which certificates it holds and the tries left on each PIN.
    Info,
    /// Read one certificate (the signing certificate needs the signing password).
    Cert(CertArgs),
    /// Sign a file's SHA-256 with the authentication or the signing key.
    Sign(SignArgs),
    /// The four facts of the card face (name, address, birth date, sex) from the text AP.
    Facts,
    /// Log in to a kakunin server: sign its challenge with the authentication key.
    Login(online::LoginArgs),
    /// Read the signing certificate and ask a kakunin server whether it is valid.
    Check(online::CheckArgs),
    /// Approve a login at a kakunin OpenID Provider (its pairing code or approval URL).
    #[command(long_about = approve::LONG_ABOUT)]
    Approve(approve::ApproveArgs),
}

#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
struct WhichCert {
    /// The user-authentication certificate.
    #[arg(long)]
    auth: bool,
    /// The signing certificate (needs the signing password).
    #[arg(long)]
    sign: bool,
    /// The authentication CA's certificate.
    #[arg(long)]
    auth_ca: bool,
    /// The signing CA's certificate.
    #[arg(long)]
    sign_ca: bool,
}

impl WhichCert {
    fn slot(&self) -> CertSlot {
        match (self.auth, self.sign, self.auth_ca) {
            (true, _, _) => CertSlot::Auth,
            (_, true, _) => CertSlot::Sign,
            (_, _, true) => CertSlot::AuthCa,
            _ => CertSlot::SignCa,
        }
    }
}

#[derive(clap::Args, Debug)]
struct CertArgs {
    #[command(flatten)]
    which: WhichCert,
    /// Write it here (default: stdout).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// PEM instead of DER.
    #[arg(long)]
    pem: bool,
}

/// Which key signs.
#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum KeyName {
    /// The user-authentication key (PIN: 4 digits).
    Auth,
    /// The signing key (PIN: the signing password).
    Sign,
}

#[derive(clap::Args, Debug)]
struct SignArgs {
    /// The key.
    #[arg(long, value_enum)]
    key: KeyName,
    /// The file to sign (its SHA-256 is what the card signs).
    #[arg(long = "in", value_name = "FILE")]
    input: PathBuf,
    /// Where the signature goes (256 raw bytes, RSA PKCS#1 v1.5 SHA-256).
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

/// Runs `kakunin card`.
pub(crate) fn run(args: CardArgs) -> anyhow::Result<Outcome> {
    let opts = args.opts;
    match args.command {
        CardCommand::Readers => readers(&opts),
        CardCommand::Info => info(&opts),
        CardCommand::Cert(a) => cert(&opts, &a),
        CardCommand::Sign(a) => sign(&opts, &a),
        CardCommand::Facts => facts(&opts),
        CardCommand::Login(a) => online::login(&opts, &a),
        CardCommand::Check(a) => online::check(&opts, &a),
        CardCommand::Approve(a) => approve::approve(&opts, &a),
    }
}

/// A connected card with its JPKI AP selected, and the reader's name.
pub(crate) fn open(opts: &CardOpts) -> anyhow::Result<(JpkiCard<PcscCard>, String)> {
    let pcsc = Pcsc::establish()?;
    let reader = pcsc.pick_reader(opts.reader.as_deref())?;
    let card = pcsc.connect(&reader, Duration::from_secs(opts.wait))?;
    let card = JpkiCard::open(card)?;
    Ok((card, reader))
}

impl CardOpts {
    fn policy(&self) -> PinPolicy {
        PinPolicy {
            allow_last_try: self.i_know_it_may_lock,
        }
    }
}

/// Verifies the PIN of `kind`: the counter is checked before the PIN is
/// even asked for, so a locked card or a last try never prompts.
pub(crate) fn unlock(
    card: &mut JpkiCard<PcscCard>,
    kind: PinKind,
    opts: &CardOpts,
) -> anyhow::Result<()> {
    let pin = read_pin_for(card, kind, opts)?;
    card.verify_pin(&pin, opts.policy())?;
    Ok(())
}

fn read_pin_for(
    card: &mut JpkiCard<PcscCard>,
    kind: PinKind,
    opts: &CardOpts,
) -> anyhow::Result<Pin> {
    card.may_try(kind, opts.policy())?;
    Ok(PinReader::new(opts.pin_fd).read(kind)?)
}

fn print(opts: &CardOpts, v: &Value, text: impl FnOnce() -> String) {
    if opts.json {
        println!("{v}");
    } else {
        println!("{}", text());
    }
}

fn readers(opts: &CardOpts) -> anyhow::Result<Outcome> {
    let pcsc = Pcsc::establish()?;
    let readers = pcsc.presence()?;
    let v = json!({"readers": readers.iter().map(|(name, card)| json!({"name": name, "card": card})).collect::<Vec<_>>()});
    print(opts, &v, || {
        if readers.is_empty() {
            return "no reader connected".into();
        }
        readers
            .iter()
            .map(|(n, c)| format!("{n}\t{}", if *c { "card present" } else { "empty" }))
            .collect::<Vec<_>>()
            .join("\n")
    });
    Ok(Outcome::Success)
}

/// Serial, subject and notAfter of a certificate, for `card info`.
fn describe(der: &[u8]) -> Value {
    match x509_parser::parse_x509_certificate(der) {
        Ok((_, c)) => json!({
            "present": true,
            "serial": c.raw_serial_as_string().replace(':', "").to_uppercase(),
            "subject": c.subject().to_string(),
            "not_after": c.validity().not_after.to_datetime().format(&time::format_description::well_known::Rfc3339).ok(),
        }),
        Err(e) => json!({"present": true, "error": format!("not a certificate: {e}")}),
    }
}

fn info(opts: &CardOpts) -> anyhow::Result<Outcome> {
    let (mut card, reader) = open(opts)?;
    let token = card.token_info()?;
    let mut certs = serde_json::Map::new();
    for slot in CertSlot::ALL {
        let v = match card.certificate(slot) {
            Ok(der) => describe(&der),
            Err(CardError::PinRequired { .. }) => {
                json!({"present": null, "detail": "needs the signing password to read"})
            }
            Err(CardError::Missing(_)) => json!({"present": false}),
            Err(e) => return Err(e.into()),
        };
        certs.insert(slot.name().into(), v);
    }
    let mut pins = serde_json::Map::new();
    for kind in [PinKind::Auth, PinKind::Sign, PinKind::Text] {
        let v = match card.tries(kind) {
            Ok(Tries::Left(n)) if n > 0 => {
                json!({"tries_left": n, "max": kind.max_tries(), "locked": false})
            }
            Ok(_) => json!({"tries_left": 0, "max": kind.max_tries(), "locked": true}),
            Err(CardError::NoTextAp(_)) => json!(null),
            Err(e) => return Err(e.into()),
        };
        pins.insert(kind.name().into(), v);
    }
    let v = json!({"reader": reader, "token": token, "token_kind": token_kind(token.as_bytes()),
                   "certificates": certs, "pins": pins});
    print(opts, &v, || {
        let mut out = format!(
            "reader:  {reader}\ntoken:   {token} ({})\n",
            token_kind(token.as_bytes())
        );
        for slot in CertSlot::ALL {
            let c = &v["certificates"][slot.name()];
            let line = match (&c["present"], c["serial"].as_str()) {
                (Value::Bool(true), Some(serial)) => format!(
                    "serial {serial}, {}, until {}",
                    c["subject"].as_str().unwrap_or(""),
                    c["not_after"].as_str().unwrap_or("?")
                ),
                (Value::Bool(false), _) => "absent".into(),
                _ => c["detail"]
                    .as_str()
                    .or(c["error"].as_str())
                    .unwrap_or("?")
                    .into(),
            };
            out.push_str(&format!("{:<8} {line}\n", format!("{}:", slot.name())));
        }
        for kind in [PinKind::Auth, PinKind::Sign, PinKind::Text] {
            let p = &v["pins"][kind.name()];
            let line = if p.is_null() {
                "no text AP".to_string()
            } else if p["locked"] == true {
                "LOCKED (reset at the municipal office)".to_string()
            } else {
                format!("{} of {} tries left", p["tries_left"], p["max"])
            };
            out.push_str(&format!("PIN {:<5} {line}\n", kind.name()));
        }
        out.trim_end().to_string()
    });
    Ok(Outcome::Success)
}

fn pem(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut s = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(line).unwrap_or_default());
        s.push('\n');
    }
    s.push_str("-----END CERTIFICATE-----\n");
    s
}

fn cert(opts: &CardOpts, a: &CertArgs) -> anyhow::Result<Outcome> {
    let slot = a.which.slot();
    if a.out.is_none() && !a.pem && std::io::stdout().is_terminal() {
        bail!("refusing to write DER to a terminal: give --pem or --out FILE");
    }
    let (mut card, _) = open(opts)?;
    if let Some(kind) = slot.pin() {
        unlock(&mut card, kind, opts)?;
    }
    let der = card.certificate(slot)?;
    let bytes = if a.pem { pem(&der).into_bytes() } else { der };
    match &a.out {
        Some(p) => {
            std::fs::write(p, &bytes).with_context(|| format!("cannot write {}", p.display()))?
        }
        None => std::io::stdout()
            .write_all(&bytes)
            .context("writing the certificate")?,
    }
    Ok(Outcome::Success)
}

fn sign(opts: &CardOpts, a: &SignArgs) -> anyhow::Result<Outcome> {
    let data =
        std::fs::read(&a.input).with_context(|| format!("cannot read {}", a.input.display()))?;
    let digest = kakunin_engine::crypto::sha256(&data);
    let key = match a.key {
        KeyName::Auth => KeySlot::Auth,
        KeyName::Sign => KeySlot::Sign,
    };
    let (mut card, _) = open(opts)?;
    unlock(&mut card, key.pin(), opts)?;
    let sig = card.sign_sha256(key, &digest)?;
    std::fs::write(&a.out, &sig).with_context(|| format!("cannot write {}", a.out.display()))?;
    let v = json!({"signature": a.out.display().to_string(), "bytes": sig.len(), "sha256": hex::encode(digest)});
    print(opts, &v, || {
        format!(
            "signed SHA-256 {} of {} with the {} key: {} ({} bytes)",
            hex::encode(digest),
            a.input.display(),
            match a.key {
                KeyName::Auth => "authentication",
                KeyName::Sign => "signing",
            },
            a.out.display(),
            sig.len()
        )
    });
    Ok(Outcome::Success)
}

fn facts(opts: &CardOpts) -> anyhow::Result<Outcome> {
    let (mut card, _) = open(opts)?;
    let pin = read_pin_for(&mut card, PinKind::Text, opts)?;
    let f = card.text_facts(&pin, opts.policy())?;
    let v = json!({"name": f.name, "address": f.address, "birth_date": f.birth_date, "sex": f.sex});
    print(opts, &v, || {
        let sex = match f.sex.as_str() {
            "1" => "male",
            "2" => "female",
            "9" => "not applicable",
            _ => "unknown",
        };
        format!(
            "name:       {}\naddress:    {}\nbirth date: {}\nsex:        {} ({sex})",
            f.name, f.address, f.birth_date, f.sex
        )
    });
    Ok(Outcome::Success)
}
