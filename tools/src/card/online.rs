//! `kakunin card login` and `kakunin card check`: the card talking to a
//! `kakunin serve` (see docs/serve.md, "Card login").

use anyhow::Context;
use base64::Engine as _;
use kakunin_card::ap::{CertSlot, KeySlot, PinKind};
use serde_json::json;

use super::server::{json_body, ServerArgs, ServerUrl};
use super::{open, print, unlock, CardOpts};
use crate::Outcome;

/// Arguments of `kakunin card login`.
#[derive(clap::Args, Debug)]
pub(super) struct LoginArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// The relying party's origin the card signs for (default: the server URL's origin).
    #[arg(long, value_name = "ORIGIN")]
    origin: Option<String>,
}

/// Arguments of `kakunin card check`.
#[derive(clap::Args, Debug)]
pub(super) struct CheckArgs {
    #[command(flatten)]
    server: ServerArgs,
}

/// Runs `kakunin card login`.
pub(crate) fn login(opts: &CardOpts, a: &LoginArgs) -> anyhow::Result<Outcome> {
    let server = ServerUrl::parse("--server", &a.server.server)?;
    let base = server.base();
    let origin = a
        .origin
        .clone()
        .unwrap_or_else(|| server.origin().to_string());
    let agent = a.server.tls.agent()?;
    let (mut card, _) = open(opts)?;
    let cert = card.certificate(CertSlot::Auth)?;
    unlock(&mut card, PinKind::Auth, opts)?;
    // Asked for after the PIN, so a slow PIN entry does not eat into the
    // challenge's lifetime.
    let url = format!("{base}/v1/challenge");
    let resp = agent
        .get(&url)
        .call()
        .with_context(|| format!("GET {url}"))?;
    let challenge = json_body("GET /v1/challenge", resp)?;
    let challenge = challenge["challenge"]
        .as_str()
        .context("the server's challenge has no \"challenge\"")?
        .to_string();
    let message = kakunin_engine::jpki::login_message(&origin, &challenge);
    let digest = kakunin_engine::crypto::sha256(&message);
    let sig = card.sign_sha256(KeySlot::Auth, &digest)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let body = json!({"origin": origin, "cert": b64.encode(&cert), "signature": b64.encode(&sig)});
    let url = format!("{base}/v1/authenticate?challenge={challenge}");
    let resp = agent
        .post(&url)
        .header("Content-Type", "application/json")
        .send(body.to_string())
        .with_context(|| format!("POST {base}/v1/authenticate"))?;
    let answer = json_body("POST /v1/authenticate", resp)?;
    let accepted = answer["accepted"] == true;
    print(opts, &answer, || {
        if accepted {
            format!(
                "login accepted for {origin}: {} (serial {}, certificate valid until {})",
                answer["subject"].as_str().unwrap_or("?"),
                answer["serial"].as_str().unwrap_or("?"),
                answer["not_after"].as_str().unwrap_or("?")
            )
        } else {
            format!(
                "login refused ({}): {}",
                answer["status"].as_str().unwrap_or("?"),
                answer["detail"].as_str().unwrap_or("no detail")
            )
        }
    });
    Ok(if accepted {
        Outcome::Success
    } else {
        Outcome::NotAllGood
    })
}

/// Runs `kakunin card check`.
pub(crate) fn check(opts: &CardOpts, a: &CheckArgs) -> anyhow::Result<Outcome> {
    let server = ServerUrl::parse("--server", &a.server.server)?;
    let base = server.base();
    let agent = a.server.tls.agent()?;
    let (mut card, _) = open(opts)?;
    unlock(&mut card, PinKind::Sign, opts)?;
    let cert = card.certificate(CertSlot::Sign)?;
    let url = format!("{base}/v1/verify");
    let resp = agent
        .post(&url)
        .header("Content-Type", "application/pkix-cert")
        .send(&cert[..])
        .with_context(|| format!("POST {url}"))?;
    let answer = json_body("POST /v1/verify", resp)?;
    let valid = answer["status"] == "valid";
    print(opts, &answer, || {
        let detail = answer["detail"]
            .as_str()
            .map(|d| format!(": {d}"))
            .unwrap_or_default();
        format!(
            "signing certificate {} (serial {}): {}{detail}",
            answer["subject"].as_str().unwrap_or("?"),
            answer["serial"].as_str().unwrap_or("?"),
            answer["status"].as_str().unwrap_or("?"),
        )
    });
    Ok(if valid {
        Outcome::Success
    } else {
        Outcome::NotAllGood
    })
}
