//! `kakunin card approve`: approve a login at a kakunin OpenID Provider
//! with the card (docs/oidc.md, "Approving: the card front end's API").
//!
//! The steps, in order: what the person is asked (`GET
//! /approve/{pairing}`), their yes or no, the PIN counters, the PINs, the
//! card's signatures over the login message bound to the origin this
//! command was given, then `POST /approve/{pairing}`. Nothing is sent to
//! the provider before the person has answered, and a PIN only once its
//! counter has been read.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{anyhow, bail, Context};
use base64::Engine as _;
use kakunin_card::ap::{CertSlot, KeySlot, PinKind};
use kakunin_card::jpki::CardError;
use kakunin_card::pin::PinReader;
use kakunin_engine::docsig::DigestInfo;
use kakunin_oidc::pairing::PairingCode;
use serde::Deserialize;
use serde_json::{json, Value};
use ureq::http::StatusCode;

use super::server::{answer, detail, split_url, ServerUrl, TlsArgs};
use super::{open, print, CardOpts};
use crate::Outcome;

/// The long help of `kakunin card approve` (`--help`).
pub(super) const LONG_ABOUT: &str = "Approve a login at a kakunin OpenID Provider with this card.

A site that logs people in with a My Number Card through kakunin shows a login page with a \
pairing code (K7QM-3XPA), a QR code of its approval URL and a verification code. Give the code \
(with --server) or the URL: this command shows which site asks, which data it wants and the \
verification code, asks you to confirm, then signs with the card and sends the signatures to the \
provider, and the browser showing the login page goes on to the site.

Check that the verification code here is the one on the login page before you say yes: someone \
who shows you a code from a login page of their own would be logged in as you.

What the provider receives: the user-authentication certificate and its signature over a login \
message bound to the provider's origin (scheme://host[:port] of the URL given here, so a \
signature made for another site is of no use to this one) and to this request's challenge. Only \
when the site asks for facts (name, address, date of birth, sex): the signing certificate, which \
carries all four, and its signature too; the provider passes on only the facts asked for. Never \
the My Number.

PINs: the user-authentication PIN (4 digits) from KAKUNIN_PIN and, only when facts are asked for, \
the signing password from KAKUNIN_SIGN_PASSWORD; each variable is removed from the environment \
once read. A PIN the environment does not give is read from --pin-fd N (one a line: the \
authentication PIN first, then the signing password) or asked for without echo. Both counters are \
read before any PIN is asked for; with one try left the command stops unless \
--i-know-it-may-lock is given. When a PIN is locked the provider is told, and the login page says \
so.

What is asked is shown on standard error, the outcome on standard output (one JSON object with \
--json). The confirmation is read from the terminal, or from the first line of standard input \
when it is not one (unless --pin-fd 0 reads PINs from it: then from /dev/tty).";

/// Arguments of `kakunin card approve`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:
  kakunin card approve K7QM-3XPA --server https://id.example.jp
  kakunin card approve https://id.example.jp/approve/K7QM3XPA
  kakunin card approve K7QM3XPA --server http://127.0.0.1:8080 --yes --pin-fd 3 3<pins.txt

Exit status: 0 approved (the provider accepted the card), 1 refused (the certificate is revoked, \
say) or declined, 2 error (no such request: unknown, expired or already decided; no reader or \
card; a wrong or locked PIN; the network).")]
pub(super) struct ApproveArgs {
    /// The pairing code the login page shows (K7QM-3XPA: any case, hyphen optional), or the
    /// approval URL of its QR code (https://id.example.jp/approve/K7QM3XPA).
    #[arg(value_name = "CODE|URL")]
    target: String,
    /// The provider a CODE belongs to: the site's kakunin issuer URL, e.g. https://id.example.jp
    /// [env: KAKUNIN_SERVER, used only with a CODE]. Not needed with a URL; if given, it must
    /// name the URL's server.
    #[arg(long, value_name = "URL")]
    server: Option<String>,
    #[command(flatten)]
    tls: TlsArgs,
    /// Approve without asking (the request is still shown).
    #[arg(long)]
    yes: bool,
}

/// The environment variable a CODE's server comes from without --server.
const SERVER_ENV: &str = "KAKUNIN_SERVER";

/// A pairing code as a person types it (any case, hyphen optional,
/// Crockford's look-alikes read as the provider reads them), or an error
/// that says what a code looks like.
fn parse_code(text: &str) -> anyhow::Result<PairingCode> {
    PairingCode::parse(text).ok_or_else(|| {
        anyhow!(
            "{text:?} is not a pairing code: expected the 8 letters and digits the login page \
             shows, e.g. K7QM-3XPA (any case, hyphen optional), or its approval URL \
             http(s)://host[:port][/prefix]/approve/CODE"
        )
    })
}

/// Which pending request, at which provider.
#[derive(Debug, PartialEq, Eq)]
struct Target {
    server: ServerUrl,
    code: PairingCode,
}

impl Target {
    /// `arg` is a CODE or an approval URL; `server` is `--server`,
    /// `server_env` the value of `KAKUNIN_SERVER`. A URL names its server
    /// itself: `--server` must then agree with it, and the variable (a
    /// default for codes) is not looked at.
    fn parse(arg: &str, server: Option<&str>, server_env: Option<&str>) -> anyhow::Result<Target> {
        if !arg.contains("://") {
            let code = parse_code(arg)?;
            let (what, text) = match (server, server_env) {
                (Some(s), _) => ("--server", s),
                (None, Some(s)) => (SERVER_ENV, s),
                (None, None) => bail!(
                    "which provider is pairing code {code} from? Give --server URL (the site's \
                     kakunin issuer; or set {SERVER_ENV}), or the approval URL the login page \
                     shows (…/approve/{})",
                    code.as_str()
                ),
            };
            return Ok(Target {
                server: ServerUrl::parse(what, text)?,
                code,
            });
        }
        let (origin, path) = split_url("the approval URL", arg)?;
        let Some((prefix, code)) = path.rsplit_once("/approve/") else {
            bail!(
                "{arg:?} is not an approval URL: expected http(s)://host[:port][/prefix]/approve/CODE, \
                 as the login page's QR code has it"
            );
        };
        let code = parse_code(code).with_context(|| format!("in the approval URL {arg:?}"))?;
        let from_url = ServerUrl::from_parts(origin, prefix);
        if let Some(flag) = server {
            let flag = ServerUrl::parse("--server", flag)?;
            if flag != from_url {
                bail!(
                    "--server {flag} is not the server of the approval URL ({from_url}): give \
                     the URL alone, or the code with --server"
                );
            }
        }
        Ok(Target {
            server: from_url,
            code,
        })
    }

    /// `{base}/approve/{CODE}`.
    fn url(&self) -> String {
        format!("{}/approve/{}", self.server.base(), self.code.as_str())
    }
}

/// What `GET /approve/{pairing}` says the person is asked to approve.
#[derive(Debug, Deserialize)]
struct Asked {
    client_id: String,
    #[serde(default)]
    client_name: String,
    #[serde(default)]
    facts: Vec<Fact>,
    verification_code: String,
    challenge: String,
    expires_at: String,
    needs_signing_certificate: bool,
    /// With a sign transaction: the documents to sign.
    #[serde(default)]
    documents: Option<Vec<AskedDocument>>,
}

/// A document of a sign transaction, as the provider describes it.
#[derive(Debug, Deserialize)]
struct AskedDocument {
    label: String,
    /// The DER DigestInfo the card signs, base64.
    digest_info: String,
}

/// The most documents signed in one approval (the provider's own bound
/// is at most this).
const MAX_DOCUMENTS: usize = 64;

/// A document checked before the card sees it: the card front end signs
/// only DigestInfos over SHA-256/384/512, never bytes it cannot name.
struct ToSign {
    label: String,
    digest_info: DigestInfo,
}

impl ToSign {
    /// "SHA-256 0a1b2c3d4e5f6071…", the first 8 bytes of the digest in hex,
    /// as the login page shows it.
    fn digest_prefix(&self) -> String {
        let d = self.digest_info.digest();
        format!(
            "{} {}…",
            self.digest_info.algorithm().name(),
            hex::encode(&d[..8.min(d.len())])
        )
    }
}

/// The documents of `asked`, each checked to be an accepted DigestInfo.
fn documents(asked: &Asked) -> anyhow::Result<Vec<ToSign>> {
    let Some(docs) = &asked.documents else {
        return Ok(Vec::new());
    };
    if docs.len() > MAX_DOCUMENTS {
        bail!(
            "the provider asks for {} signatures at once; this front end signs at most {MAX_DOCUMENTS}",
            docs.len()
        );
    }
    let b64 = base64::engine::general_purpose::STANDARD;
    docs.iter()
        .enumerate()
        .map(|(i, d)| {
            let der = b64.decode(d.digest_info.trim()).with_context(|| {
                format!(
                    "document {} from the provider: digest_info is not base64",
                    i + 1
                )
            })?;
            let digest_info = DigestInfo::parse(&der).with_context(|| {
                format!("document {} from the provider: refusing to sign it", i + 1)
            })?;
            Ok(ToSign {
                label: d.label.clone(),
                digest_info,
            })
        })
        .collect()
}

/// A fact asked for, in both languages.
#[derive(Debug, Deserialize)]
struct Fact {
    scope: String,
    #[serde(default)]
    en: String,
    #[serde(default)]
    ja: String,
}

impl Asked {
    /// The site's name as shown: its name, else its client id.
    fn site(&self) -> String {
        if self.client_name.trim().is_empty() {
            shown(&self.client_id)
        } else {
            shown(&self.client_name)
        }
    }
}

/// What the card made.
struct Signed {
    cert: Vec<u8>,
    signature: Vec<u8>,
    /// The signing certificate and its signature, when facts were asked for
    /// or documents are signed.
    sign: Option<(Vec<u8>, Vec<u8>)>,
    /// One signature per document, in order.
    documents: Vec<Vec<u8>>,
}

/// Runs `kakunin card approve`.
pub(super) fn approve(opts: &CardOpts, a: &ApproveArgs) -> anyhow::Result<Outcome> {
    // First, before any thread exists (the HTTP agent resolves names on
    // one): the PIN variables out of the environment.
    let mut pins = PinReader::new(opts.pin_fd);
    let server_env = std::env::var(SERVER_ENV).ok();
    let target = Target::parse(&a.target, a.server.as_deref(), server_env.as_deref())?;
    let agent = a.tls.agent()?;
    let url = target.url();
    let gone = || {
        anyhow!(
            "no such pending request at {url} (unknown, expired or already decided): start the \
             login again from the site"
        )
    };

    let resp = agent
        .get(&url)
        .header("Accept", "application/json")
        .call()
        .with_context(|| format!("GET {url}"))?;
    let asked: Asked = match answer("GET /approve", resp)? {
        (StatusCode::OK, v) => serde_json::from_value(v).with_context(|| {
            format!("the answer to GET {url} is not a login request (docs/oidc.md)")
        })?,
        (StatusCode::NOT_FOUND, _) => return Err(gone()),
        (status, v) => bail!("GET {url}: HTTP {status}: {}", detail(&v)),
    };
    let to_sign = documents(&asked)?;
    eprintln!("{}", describe(&asked, &target, &to_sign));

    let post = |body: Value| -> anyhow::Result<Value> {
        let resp = agent
            .post(&url)
            .header("Content-Type", "application/json")
            .send(body.to_string())
            .with_context(|| format!("POST {url}"))?;
        match answer("POST /approve", resp)? {
            (StatusCode::OK, v) => Ok(v),
            (StatusCode::NOT_FOUND, _) => Err(gone()),
            (StatusCode::CONFLICT, _) => bail!(
                "this login request was already decided (on another device?): start the login \
                 again from the site"
            ),
            (status, v) => bail!("POST {url}: HTTP {status}: {}", detail(&v)),
        }
    };
    let site = asked.site();
    let finish = |answer: Value| -> Outcome {
        let accepted = answer["accepted"] == true;
        let status = answer["status"].as_str().unwrap_or("?").to_string();
        let mut out = answer;
        if let Some(o) = out.as_object_mut() {
            o.insert("pairing_code".into(), json!(target.code.to_string()));
            o.insert("client_id".into(), json!(asked.client_id));
            o.insert("client_name".into(), json!(asked.client_name));
        }
        print(opts, &out, || {
            if accepted {
                format!(
                    "approved: the provider accepted the card; the login page goes on to {site}"
                )
            } else if status == "declined" {
                format!("declined: the login page tells {site} that you said no")
            } else {
                format!(
                    "refused ({}): {}",
                    shown(&status),
                    shown(out["detail"].as_str().unwrap_or("no detail"))
                )
            }
        });
        if accepted {
            Outcome::Success
        } else {
            Outcome::NotAllGood
        }
    };

    if !a.yes && !confirm(opts.pin_fd)? {
        return Ok(finish(post(json!({"decline": true}))?));
    }

    let origin = target.server.origin();
    let message = kakunin_engine::jpki::login_message(origin, &asked.challenge);
    let with_signing = asked.needs_signing_certificate || !to_sign.is_empty();
    let signed = match sign_with_card(opts, &mut pins, &message, with_signing, &to_sign) {
        Ok(s) => s,
        Err(e) if is_locked(&e) => {
            // The person cannot approve with this card at all: the login
            // page says so instead of waiting out its lifetime.
            return Err(
                match post(json!({"decline": true, "reason": "pin_locked"})) {
                    Ok(_) => {
                        anyhow!("{e:#}; the login page now says that the card's PIN is locked")
                    }
                    Err(told) => anyhow!("{e:#}; telling the provider failed too: {told:#}"),
                },
            );
        }
        Err(e) => return Err(e),
    };
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut body = json!({
        "origin": origin,
        "cert": b64.encode(&signed.cert),
        "signature": b64.encode(&signed.signature),
    });
    if let Some((cert, sig)) = &signed.sign {
        body["sign_cert"] = json!(b64.encode(cert));
        body["sign_signature"] = json!(b64.encode(sig));
    }
    if !to_sign.is_empty() {
        body["document_signatures"] = json!(signed
            .documents
            .iter()
            .map(|s| b64.encode(s))
            .collect::<Vec<_>>());
    }
    Ok(finish(post(body)?))
}

/// Whether the card said a PIN is locked (or a last try just locked it).
fn is_locked(e: &anyhow::Error) -> bool {
    matches!(
        e.downcast_ref::<CardError>(),
        Some(CardError::Locked(_) | CardError::WrongPin { tries_left: 0, .. })
    )
}

/// Signs `message` with the authentication key and, with `with_signing`,
/// the signing key too, then each of `documents` with the signing key (one
/// VERIFY of the signing password for all); reads the certificates. All
/// or nothing: a card taken out half-way is an error, and nothing is
/// posted.
fn sign_with_card(
    opts: &CardOpts,
    pins: &mut PinReader,
    message: &[u8],
    with_signing: bool,
    documents: &[ToSign],
) -> anyhow::Result<Signed> {
    let (mut card, _) = open(opts)?;
    let policy = opts.policy();
    // Both counters before either PIN is asked for: a locked signing
    // password must not first cost the person typing the other PIN.
    card.may_try(PinKind::Auth, policy)?;
    if with_signing {
        card.may_try(PinKind::Sign, policy)?;
    }
    let auth_pin = pins.read(PinKind::Auth)?;
    let sign_pin = if with_signing {
        Some(pins.read(PinKind::Sign)?)
    } else {
        None
    };
    let digest = kakunin_engine::crypto::sha256(message);
    let cert = card.certificate(CertSlot::Auth)?;
    card.verify_pin(&auth_pin, policy)?;
    drop(auth_pin);
    let signature = card.sign_sha256(KeySlot::Auth, &digest)?;
    let mut signatures = Vec::with_capacity(documents.len());
    let sign = match sign_pin {
        Some(pin) => {
            card.verify_pin(&pin, policy)?;
            drop(pin);
            let cert = card.certificate(CertSlot::Sign)?;
            let login = card.sign_sha256(KeySlot::Sign, &digest)?;
            for (i, d) in documents.iter().enumerate() {
                let s = card
                    .sign_digest_info(KeySlot::Sign, d.digest_info.as_der())
                    .with_context(|| {
                        format!(
                            "signing document {} of {} ({}) failed (was the card taken out?); nothing was sent to the provider",
                            i + 1,
                            documents.len(),
                            shown(&d.label)
                        )
                    })?;
                signatures.push(s);
            }
            Some((cert, login))
        }
        None => None,
    };
    Ok(Signed {
        cert,
        signature,
        sign,
        documents: signatures,
    })
}

/// What the person is asked, in words (for standard error).
fn describe(asked: &Asked, target: &Target, documents: &[ToSign]) -> String {
    let site = asked.site();
    let mut s = format!(
        "Log in to {site} (client {}) through {}\n",
        shown(&asked.client_id),
        target.server.origin()
    );
    if !documents.is_empty() {
        s.push_str(&format!(
            "and SIGN {} document(s) with your signing certificate (署名用電子証明書):\n",
            documents.len()
        ));
        for (i, d) in documents.iter().enumerate() {
            s.push_str(&format!(
                "  {}. {}   {}\n",
                i + 1,
                shown(&d.label),
                d.digest_prefix()
            ));
        }
        s.push_str("The login page must list the same documents.\n");
    }
    if asked.facts.is_empty() {
        if documents.is_empty() {
            s.push_str("It asks for no data from the card: a login only.\n");
        } else {
            s.push_str("It asks for none of the facts on your card.\n");
        }
    } else {
        s.push_str("It asks for these facts from your signing certificate:\n");
        for f in &asked.facts {
            let en = if f.en.is_empty() { &f.scope } else { &f.en };
            s.push_str(&format!("  {} ({})\n", shown(&f.ja), shown(en)));
        }
    }
    if !documents.is_empty() {
        s.push_str(&format!(
            "The signing password will be asked for: {site} receives the signatures and your \
             signing certificate, which carries your name, address, date of birth and sex.\n"
        ));
    } else if asked.needs_signing_certificate {
        s.push_str(&format!(
            "The signing password will be asked for: the provider receives the signing \
             certificate (it carries name, address, date of birth and sex) and passes on only \
             the facts above to {site}.\n"
        ));
    }
    s.push_str(&format!(
        "Verification code: {}   <- the login page must show the same code\n",
        shown(&asked.verification_code)
    ));
    s.push_str(&format!(
        "Pairing code {}, expires {}{}",
        target.code,
        shown(&asked.expires_at),
        time_left(&asked.expires_at, time::OffsetDateTime::now_utc())
    ));
    s
}

/// " (in 4 min 12 s)", or nothing when the time cannot be read or has
/// passed (the provider, not this clock, decides).
fn time_left(expires_at: &str, now: time::OffsetDateTime) -> String {
    let Ok(at) =
        time::OffsetDateTime::parse(expires_at, &time::format_description::well_known::Rfc3339)
    else {
        return String::new();
    };
    let left = (at - now).whole_seconds();
    match left {
        ..=0 => String::new(),
        1..=59 => format!(" (in {left} s)"),
        _ => format!(" (in {} min {} s)", left / 60, left % 60),
    }
}

/// Text from the server as it may be shown on a terminal: control and
/// bidirectional-formatting characters (which could repaint the screen or
/// reorder what the person reads, a fake verification code say) replaced,
/// and at most 200 characters.
fn shown(text: &str) -> String {
    const MAX: usize = 200;
    let mut out: String = text
        .chars()
        .take(MAX)
        .map(|c| {
            let invisible = matches!(c,
                '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{206F}' | '\u{FEFF}');
            if c.is_control() || invisible {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect();
    if text.chars().nth(MAX).is_some() {
        out.push('…');
    }
    out
}

/// Asks "Approve? [y/N]": on standard input when it is a terminal, or when
/// it is a pipe that does not carry the PINs; else on /dev/tty.
fn confirm(pin_fd: Option<i32>) -> anyhow::Result<bool> {
    if std::io::stdin().is_terminal() || pin_fd != Some(0) {
        let stdin = std::io::stdin();
        let echo = !stdin.is_terminal();
        return ask(
            &mut stdin.lock(),
            &mut std::io::stderr(),
            "standard input",
            echo,
        );
    }
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            anyhow!(
                "cannot ask \"Approve?\": standard input carries the PINs (--pin-fd 0) and there \
                 is no terminal; nothing was sent: give --yes to approve without asking"
            )
        })?;
    let mut out = tty.try_clone().context("opening the terminal")?;
    ask(
        &mut std::io::BufReader::new(tty),
        &mut out,
        "the terminal",
        false,
    )
}

/// The dialogue of [`confirm`]: yes or no, asked again (twice) after
/// anything else; the end of input is an error, so that nothing is
/// decided for the person. With `echo` (input that is not a terminal) the
/// answer is written after the question, as a terminal would show it.
fn ask(
    input: &mut impl BufRead,
    out: &mut impl Write,
    from: &str,
    echo: bool,
) -> anyhow::Result<bool> {
    for _ in 0..3 {
        write!(out, "Approve? [y/N] ")?;
        out.flush()?;
        let mut line = String::new();
        if std::io::Read::take(&mut *input, 256).read_line(&mut line)? == 0 {
            bail!(
                "no answer to \"Approve?\" ({from} ended); nothing was sent: give --yes to \
                 approve without asking"
            );
        }
        let answer = match line.trim().to_lowercase().as_str() {
            "y" | "yes" | "はい" => Some(true),
            "" | "n" | "no" | "いいえ" => Some(false),
            _ => None,
        };
        // Only a recognised answer is echoed: what else came could be a
        // PIN piped to the wrong place.
        if echo {
            writeln!(
                out,
                "{}",
                answer.map_or("", |yes| if yes { "y" } else { "n" })
            )?;
        }
        match answer {
            Some(yes) => return Ok(yes),
            None => writeln!(out, "Please answer y (approve) or n (decline).")?,
        }
    }
    bail!("no yes or no to \"Approve?\"; nothing was sent")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(arg: &str, server: Option<&str>, env: Option<&str>) -> (String, String, String) {
        let t = Target::parse(arg, server, env).unwrap_or_else(|e| panic!("{arg}: {e:#}"));
        (t.url(), t.server.origin().to_string(), t.code.to_string())
    }

    fn refused(arg: &str, server: Option<&str>, env: Option<&str>) -> String {
        match Target::parse(arg, server, env) {
            Ok(t) => panic!("{arg} was taken as {t:?}"),
            Err(e) => format!("{e:#}"),
        }
    }

    #[test]
    fn codes_in_every_spelling() {
        for spelling in [
            "K7QM-3XPA",
            "k7qm-3xpa",
            "K7QM3XPA",
            "k7Qm3xPa",
            "K7-QM3XPA",
        ] {
            assert_eq!(parse_code(spelling).unwrap().as_str(), "K7QM3XPA");
        }
        assert_eq!(parse_code("K7QM3XPA").unwrap().to_string(), "K7QM-3XPA");
        // Look-alikes are read as the server reads them.
        assert_eq!(parse_code("oil0-abcd").unwrap().as_str(), "0110ABCD");
        for bad in [
            "",
            "K7QM",
            "K7QM-3XPA-Z",
            "K7QM-3XPU",
            "K7QM 3XPA",
            "Ｋ7QM-3XPA",
            "../../x",
            "K7QM-3XP?",
        ] {
            let e = parse_code(bad).unwrap_err().to_string();
            assert!(e.contains("is not a pairing code"), "{bad}: {e}");
        }
    }

    #[test]
    fn a_code_goes_to_the_server_of_the_flag_or_the_environment() {
        assert_eq!(
            target("k7qm-3xpa", Some("https://ID.example.jp/"), None),
            (
                "https://id.example.jp/approve/K7QM3XPA".into(),
                "https://id.example.jp".into(),
                "K7QM-3XPA".into()
            )
        );
        // The flag wins over the variable.
        assert_eq!(
            target(
                "K7QM3XPA",
                Some("http://127.0.0.1:8080"),
                Some("https://other.example")
            )
            .0,
            "http://127.0.0.1:8080/approve/K7QM3XPA"
        );
        assert_eq!(
            target("K7QM3XPA", None, Some("https://id.example.jp/op")),
            (
                "https://id.example.jp/op/approve/K7QM3XPA".into(),
                "https://id.example.jp".into(),
                "K7QM-3XPA".into()
            )
        );
        let e = refused("K7QM-3XPA", None, None);
        assert!(
            e.contains("--server") && e.contains("/approve/K7QM3XPA"),
            "{e}"
        );
        let e = refused("K7QM-3XPA", None, Some("id.example.jp"));
        assert!(e.contains("KAKUNIN_SERVER") && e.contains("http"), "{e}");
        let e = refused("K7QM-3XPA", Some("https://id.example.jp?x"), None);
        assert!(e.contains("--server") && e.contains("query"), "{e}");
    }

    #[test]
    fn a_url_names_its_server_and_code() {
        assert_eq!(
            target("https://id.example.jp/approve/K7QM3XPA", None, None),
            (
                "https://id.example.jp/approve/K7QM3XPA".into(),
                "https://id.example.jp".into(),
                "K7QM-3XPA".into()
            )
        );
        // A prefix (a reverse proxy's), a port, upper case, a lower-case code.
        assert_eq!(
            target(
                "HTTP://Login.Example.JP:8443/id/approve/k7qm-3xpa",
                None,
                None
            ),
            (
                "http://login.example.jp:8443/id/approve/K7QM3XPA".into(),
                "http://login.example.jp:8443".into(),
                "K7QM-3XPA".into()
            )
        );
        assert_eq!(
            target("http://[::1]:8080/approve/K7QM3XPA", None, None).1,
            "http://[::1]:8080"
        );
        // KAKUNIN_SERVER is a default for codes: a URL does not look at it.
        assert_eq!(
            target(
                "https://id.example.jp/approve/K7QM3XPA",
                None,
                Some("https://other.example")
            )
            .1,
            "https://id.example.jp"
        );
        // --server may repeat the URL's server, in any spelling.
        assert_eq!(
            target(
                "https://id.example.jp/op/approve/K7QM3XPA",
                Some("https://ID.example.jp/op/"),
                None
            )
            .0,
            "https://id.example.jp/op/approve/K7QM3XPA"
        );
    }

    #[test]
    fn odd_urls_are_refused_with_a_reason() {
        for (bad, why) in [
            ("https://id.example.jp/K7QM3XPA", "not an approval URL"),
            ("https://id.example.jp/approve/", "not a pairing code"),
            (
                "https://id.example.jp/approve/K7QM3XPA/",
                "not a pairing code",
            ),
            (
                "https://id.example.jp/approve/K7QM3XPU",
                "not a pairing code",
            ),
            ("https://id.example.jp/approve/K7QM3XPA?x=1", "query"),
            ("https://id.example.jp/approve/K7QM3XPA#x", "fragment"),
            (
                "https://id.example.jp@evil.example/approve/K7QM3XPA",
                "user name",
            ),
            ("ftp://id.example.jp/approve/K7QM3XPA", "http"),
            ("https:///approve/K7QM3XPA", "URL"),
            ("https://id.example.jp:x/approve/K7QM3XPA", "port"),
            ("id.example.jp/approve/K7QM3XPA", "not a pairing code"),
        ] {
            let e = refused(bad, None, None);
            assert!(e.contains(why), "{bad}: {e}");
        }
        let e = refused(
            "https://id.example.jp/approve/K7QM3XPA",
            Some("https://evil.example"),
            None,
        );
        assert!(e.contains("is not the server of the approval URL"), "{e}");
    }

    #[test]
    fn the_confirmation_wants_a_clear_answer() {
        let run = |input: &str| {
            let mut out = Vec::new();
            let r = ask(&mut input.as_bytes(), &mut out, "standard input", true);
            (
                r.map_err(|e| e.to_string()),
                String::from_utf8(out).unwrap(),
            )
        };
        assert_eq!(run("y\n").0, Ok(true));
        assert_eq!(run("YES\n").0, Ok(true));
        assert_eq!(run("\n").0, Ok(false));
        assert_eq!(run("n").0, Ok(false));
        let (r, out) = run("maybe\nyes\n");
        assert_eq!(r, Ok(true));
        assert_eq!(
            out,
            "Approve? [y/N] \nPlease answer y (approve) or n (decline).\nApprove? [y/N] y\n"
        );
        // A PIN given as the answer by mistake is not shown.
        let (r, out) = run("1234\n");
        assert!(r.is_err());
        assert!(!out.contains("1234"), "{out}");
        assert!(run("").0.unwrap_err().contains("--yes"));
        assert!(run("a\nb\nc\ny\n").0.is_err());
    }

    #[test]
    fn server_text_cannot_repaint_the_terminal() {
        assert_eq!(shown("Demo RP"), "Demo RP");
        assert_eq!(shown("a\x1b[2Jb\r\n"), "a\u{FFFD}[2Jb\u{FFFD}\u{FFFD}");
        assert_eq!(shown("code \u{202E}1284"), "code \u{FFFD}1284");
        assert_eq!(shown(&"x".repeat(300)).chars().count(), 201);
    }

    #[test]
    fn time_left_is_in_minutes_and_seconds() {
        let now = time::macros::datetime!(2026-12-07 10:00:48 UTC);
        assert_eq!(time_left("2026-12-07T10:05:00Z", now), " (in 4 min 12 s)");
        assert_eq!(time_left("2026-12-07T10:01:00Z", now), " (in 12 s)");
        assert_eq!(time_left("2026-12-07T09:00:00Z", now), "");
        assert_eq!(time_left("soon", now), "");
    }

    #[test]
    fn the_request_is_described_with_facts_and_code() {
        let asked: Asked = serde_json::from_value(json!({
            "client_id": "demo", "client_name": "Demo RP (test material)",
            "scopes": ["openid", "name", "address"],
            "facts": [{"scope": "name", "en": "name", "ja": "氏名"},
                      {"scope": "address", "en": "address", "ja": "住所"}],
            "verification_code": "4821", "challenge": "q0vS", "expires_at": "2026-12-07T10:05:00Z",
            "needs_signing_certificate": true, "pairing_code": "K7QM-3XPA"
        }))
        .unwrap();
        let t = Target::parse("https://id.example.jp/approve/K7QM3XPA", None, None).unwrap();
        let d = describe(&asked, &t, &[]);
        for want in [
            "Demo RP (test material)",
            "https://id.example.jp",
            "氏名 (name)",
            "住所 (address)",
            "4821",
            "signing password",
            "K7QM-3XPA",
        ] {
            assert!(d.contains(want), "{want}: {d}");
        }
    }

    #[test]
    fn documents_are_listed_and_only_digest_infos_are_signed() {
        use kakunin_engine::docsig::DigestAlgorithm;
        let b64 = base64::engine::general_purpose::STANDARD;
        let di = DigestInfo::new(DigestAlgorithm::Sha256, &[0xAB; 32]).unwrap();
        let mut asked: Asked = serde_json::from_value(json!({
            "client_id": "demo", "verification_code": "4821", "challenge": "q0vS",
            "expires_at": "2026-12-07T10:05:00Z", "needs_signing_certificate": true,
            "documents": [{"label": "契約書.pdf", "digest_info": b64.encode(di.as_der())}]
        }))
        .unwrap();
        let docs = documents(&asked).unwrap();
        assert_eq!(docs[0].digest_info, di);
        let t = Target::parse("https://id.example.jp/approve/K7QM3XPA", None, None).unwrap();
        let d = describe(&asked, &t, &docs);
        assert!(d.contains("SIGN 1 document(s)"), "{d}");
        assert!(
            d.contains("1. 契約書.pdf   SHA-256 abababababababab…"),
            "{d}"
        );
        // Bytes that are not a DigestInfo are never handed to the card.
        asked.documents = Some(vec![AskedDocument {
            label: "x".into(),
            digest_info: b64.encode(b"not a digest info"),
        }]);
        let e = format!("{:#}", documents(&asked).err().unwrap());
        assert!(
            e.contains("document 1 from the provider: refusing to sign it"),
            "{e}"
        );
    }
}
