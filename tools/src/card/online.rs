//! `kakunin card login` and `kakunin card check`: the card talking to a
//! `kakunin serve` (see docs/serve.md, "Card login").

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use base64::Engine as _;
use kakunin_card::ap::{CertSlot, KeySlot, PinKind};
use serde_json::{json, Value};

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

#[derive(clap::Args, Debug)]
struct ServerArgs {
    /// The kakunin server, e.g. http://127.0.0.1:8080 or https://kakunin.example.jp.
    #[arg(long, env = "KAKUNIN_SERVER", value_name = "URL")]
    server: String,
    /// CA certificate (PEM) to trust for an https server, instead of the system's roots.
    #[arg(long, value_name = "FILE")]
    cacert: Option<PathBuf>,
}

impl ServerArgs {
    fn base(&self) -> anyhow::Result<&str> {
        let base = self.server.trim_end_matches('/');
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            bail!(
                "--server {:?} is not an http:// or https:// URL",
                self.server
            );
        }
        Ok(base)
    }

    fn agent(&self) -> anyhow::Result<ureq::Agent> {
        let mut config = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false);
        if let Some(path) = &self.cacert {
            let pem =
                std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
            let certs = ureq::tls::parse_pem(&pem)
                .filter_map(|item| match item {
                    Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                    Ok(_) => None,
                    Err(e) => Some(Err(e)),
                })
                .collect::<Result<Vec<_>, _>>()
                .with_context(|| format!("{} is not PEM", path.display()))?;
            if certs.is_empty() {
                bail!("no certificate in {}", path.display());
            }
            let tls = ureq::tls::TlsConfig::builder()
                .root_certs(ureq::tls::RootCerts::new_with_certs(&certs))
                .build();
            config = config.tls_config(tls);
        }
        Ok(config.build().into())
    }
}

/// The origin of a URL: scheme, host and port, no path.
fn origin_of(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("http", url));
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{}", host.to_ascii_lowercase())
}

/// The JSON body of a response, or an error naming the status and detail.
fn json_body(what: &str, mut resp: ureq::http::Response<ureq::Body>) -> anyhow::Result<Value> {
    let status = resp.status();
    let text = resp
        .body_mut()
        .read_to_string()
        .with_context(|| format!("reading the answer to {what}"))?;
    let v: Value = serde_json::from_str(&text)
        .with_context(|| format!("the answer to {what} is not JSON (HTTP {status})"))?;
    if !status.is_success() {
        bail!(
            "{what}: HTTP {status}: {}",
            v["detail"].as_str().unwrap_or(text.as_str())
        );
    }
    Ok(v)
}

/// Runs `kakunin card login`.
pub(crate) fn login(opts: &CardOpts, a: &LoginArgs) -> anyhow::Result<Outcome> {
    let base = a.server.base()?;
    let origin = a.origin.clone().unwrap_or_else(|| origin_of(base));
    let agent = a.server.agent()?;
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
    let base = a.server.base()?;
    let agent = a.server.agent()?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_server_urls() {
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            origin_of("https://Login.Example.jp/app/"),
            "https://login.example.jp"
        );
    }
}
