//! Writing the generated PKI into its directory: which file holds what, in which
//! format, and the ground truth (`holders/<n>/facts.json`,
//! `expected.jsonl`). Nothing here draws a random choice or signs.

use std::fs;
use std::path::Path;

use kakunin_engine::{Serial, Timestamp};

use super::issue::{Authority, Keys, PerCa};
use super::keys::pem;
use super::plan::{Card, Plan};
use super::profile::CaKind;
use super::GenError;

/// Creates the output directory (and its parents) if missing.
pub(crate) fn create_dir(dir: &Path) -> Result<(), GenError> {
    fs::create_dir_all(dir).map_err(|source| GenError::CreateDir {
        path: dir.to_path_buf(),
        source,
    })
}

/// `<kind>-ca.pem` and `.key` for both CAs, and `ocsp.pem` (the signing
/// CA's responder certificate first) with the one `ocsp.key`.
pub(crate) fn authorities(
    out: &Path,
    keys: &Keys,
    authorities: &PerCa<Authority>,
) -> Result<(), GenError> {
    let mut ocsp_pem = String::new();
    for kind in CaKind::ALL {
        let a = authorities.get(kind);
        let name = kind.as_str();
        file(
            out,
            &format!("{name}-ca.pem"),
            pem("CERTIFICATE", &a.ca).as_bytes(),
        )?;
        file(
            out,
            &format!("{name}-ca.key"),
            keys.ca(kind).pkcs8_pem().as_bytes(),
        )?;
        ocsp_pem.push_str(&pem("CERTIFICATE", &a.ocsp));
    }
    file(out, "ocsp.pem", ocsp_pem.as_bytes())?;
    file(out, "ocsp.key", keys.ocsp().pkcs8_pem().as_bytes())
}

/// `<kind>-certs.pem`: the bundle, in bundle order.
pub(crate) fn bundles(out: &Path, bundles: &PerCa<Vec<Vec<u8>>>) -> Result<(), GenError> {
    for kind in CaKind::ALL {
        let text: String = bundles
            .get(kind)
            .iter()
            .map(|d| pem("CERTIFICATE", d))
            .collect();
        file(
            out,
            &format!("{}-certs.pem", kind.as_str()),
            text.as_bytes(),
        )?;
    }
    Ok(())
}

/// `holders/<n>/`: both certificates and keys of the first `holders`
/// cards, and their `facts.json`.
pub(crate) fn holders(
    out: &Path,
    plan: &Plan,
    keys: &Keys,
    bundles: &PerCa<Vec<Vec<u8>>>,
) -> Result<(), GenError> {
    for (i, c) in plan.cards.iter().enumerate().take(plan.holders as usize) {
        let dir = out.join("holders").join((i + 1).to_string());
        create_dir(&dir)?;
        for kind in CaKind::ALL {
            let name = kind.as_str();
            let cert = pem("CERTIFICATE", &bundles.get(kind)[i]);
            file(&dir, &format!("{name}.pem"), cert.as_bytes())?;
            file(
                &dir,
                &format!("{name}.key"),
                keys.leaf(i, kind).pkcs8_pem().as_bytes(),
            )?;
        }
        let mut text = serde_json::to_string_pretty(&HolderFacts::of(c)).map_err(json_bug)?;
        text.push('\n');
        file(&dir, "facts.json", text.as_bytes())?;
    }
    Ok(())
}

/// `expected.jsonl`: all signing certificates, then all authentication
/// certificates, each in bundle order (the order of `<kind>-certs.pem`, so
/// a verifier's output lines up with it).
pub(crate) fn expected(out: &Path, plan: &Plan) -> Result<(), GenError> {
    let mut text = String::new();
    for kind in CaKind::ALL {
        for c in &plan.cards {
            text.push_str(&serde_json::to_string(&ExpectedLine::of(c, kind)).map_err(json_bug)?);
            text.push('\n');
        }
    }
    file(out, "expected.jsonl", text.as_bytes())
}

/// `<kind>.crl`, DER as RFC 5280 distribution points serve it.
pub(crate) fn crl(out: &Path, kind: CaKind, der: &[u8]) -> Result<(), GenError> {
    file(out, &format!("{}.crl", kind.as_str()), der)
}

/// `holders/<n>/facts.json`: what the card carries, values exactly as in the
/// signing certificate's SAN, plus the ground truth for both certificates
/// (a holder's two certificates always share one status).
#[derive(serde::Serialize)]
struct HolderFacts<'a> {
    name: &'a str,
    name_alt: &'a str,
    sex: &'a str,
    birth_date: &'a str,
    address: &'a str,
    address_alt: &'a str,
    auth_serial: String,
    sign_serial: String,
    status: &'static str,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    not_before: String,
    not_after: String,
}

impl HolderFacts<'_> {
    fn of(c: &Card) -> HolderFacts<'_> {
        let (status, reason) = c.status(CaKind::Sign);
        HolderFacts {
            name: &c.person.name,
            name_alt: &c.person.name_alt,
            sex: c.person.sex,
            birth_date: &c.birth_date,
            address: &c.person.address,
            address_alt: &c.person.address_alt,
            auth_serial: hex_serial(c.auth_serial),
            sign_serial: hex_serial(c.sign_serial),
            status,
            reason: reason.map(|r| r.name()),
            revoked_at: c.revoked_at.map(rfc3339),
            not_before: rfc3339(c.not_before),
            not_after: rfc3339(c.not_after),
        }
    }
}

/// One line of `expected.jsonl`.
#[derive(serde::Serialize)]
struct ExpectedLine {
    kind: &'static str,
    serial: String,
    status: &'static str,
    reason: Option<&'static str>,
    holder: Option<u64>,
    revoked_at: Option<String>,
    not_after: String,
}

impl ExpectedLine {
    fn of(c: &Card, kind: CaKind) -> ExpectedLine {
        let (status, reason) = c.status(kind);
        ExpectedLine {
            kind: kind.as_str(),
            serial: hex_serial(c.serial(kind)),
            status,
            reason: reason.map(|r| r.name()),
            holder: c.holder,
            // A moved card's authentication certificate is valid: no time.
            revoked_at: reason.and(c.revoked_at).map(rfc3339),
            not_after: rfc3339(c.not_after),
        }
    }
}

/// Serials as `kakunin status` and `verify` print them.
fn hex_serial(v: u64) -> String {
    Serial::from_u64(v).to_hex()
}

fn rfc3339(t: i64) -> String {
    Timestamp::from_unix(t).to_rfc3339()
}

fn file(dir: &Path, name: &str, bytes: &[u8]) -> Result<(), GenError> {
    let path = dir.join(name);
    fs::write(&path, bytes).map_err(|source| GenError::Write { path, source })
}

/// Both JSON records are structs of strings and numbers, which serde_json
/// always encodes: a failure is a bug.
fn json_bug(e: serde_json::Error) -> GenError {
    GenError::Internal(format!("encoding JSON: {e}"))
}
