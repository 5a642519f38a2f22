//! `kakunin verify-signature`: a document signature made by a card's
//! signing key (署名検証), and the signing certificate behind it.
//!
//! The signature is RSA PKCS#1 v1.5 with SHA-256, over the document (or
//! given as its SHA-256 digest, when the document itself cannot be shared).
//! The certificate is then verified like `kakunin verify` does: path,
//! validity, revocation on every link. The answer is one JSON object with
//! both results; only both good is a valid signature.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use base64::Engine as _;
use kakunin_report::signature::{parse_digest, unreadable_signature, Message};
use kakunin_report::SignedDocument;
use serde_json::Value;

use crate::evidence_log::{EvidenceArgs, EvidenceLog};
use crate::verify::TrustArgs;
use crate::Outcome;

/// Arguments of `kakunin verify-signature`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Single form: --cert C --sig S and one of --data FILE or --digest HEX.\n\
Batch form: --batch FILE (or -) with JSON Lines {\"cert\",\"sig\",\"data\"|\"digest\"}:\n  \
cert = PEM text or base64 DER, sig = base64, data = base64 of the document, digest = hex SHA-256.\n\
Prints one JSON object per signature: {\"input\",\"signature\":{\"status\",\"detail\"},\"certificate\":{...as kakunin verify...},\"status\"}\n\
status is \"valid\" only when the signature verifies AND the certificate is valid.\n\
With --evidence FILE, one `signature` entry per check (certificate and document SHA-256, both\n\
results, the CRLs and indexes used) is appended to FILE, hash-chained and, with --evidence-key,\n\
sealed by signed checkpoints: check it with `kakunin evidence verify FILE`.\n\
A CRL, index or CA certificate that fails its checks is refused: reported on stderr, not used,\n\
and named in the detail of the certificates that depended on it (unknown or invalid).\n\
Exit status: 0 all valid, 1 some not valid, 2 usage or I/O error (missing or unreadable file,\n\
no usable trust anchor)."
)]
pub(crate) struct VerifySignatureArgs {
    /// The signer's certificate (PEM or DER).
    #[arg(
        long,
        value_name = "CERT",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    cert: Option<PathBuf>,
    /// The signature: raw bytes, or base64 text.
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "batch",
        conflicts_with = "batch"
    )]
    sig: Option<PathBuf>,
    /// The signed document.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["digest", "batch"])]
    data: Option<PathBuf>,
    /// SHA-256 of the signed document, hex.
    #[arg(long, value_name = "HEX", conflicts_with = "batch")]
    digest: Option<String>,
    /// JSON Lines of signatures to check (`-` for stdin).
    #[arg(long, value_name = "FILE")]
    batch: Option<String>,
    #[command(flatten)]
    trust: TrustArgs,
    /// Add the JPKI basic facts of the signing certificate (never to the evidence).
    #[arg(long)]
    facts: bool,
    #[command(flatten)]
    evidence: EvidenceArgs,
}

/// Runs `kakunin verify-signature`.
pub(crate) fn run(args: VerifySignatureArgs) -> anyhow::Result<Outcome> {
    let at = args.trust.at();
    let mut evidence = args.evidence.open()?;
    // Without evidence, skip hashing the CRL and index files.
    let verifier = args.trust.verifier(evidence.is_some())?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut all_valid = true;
    if let Some(batch) = &args.batch {
        let reader: Box<dyn BufRead> = if batch == "-" {
            Box::new(std::io::BufReader::new(std::io::stdin()))
        } else {
            Box::new(std::io::BufReader::new(
                std::fs::File::open(batch).with_context(|| format!("cannot open {batch}"))?,
            ))
        };
        for (n, line) in reader.lines().enumerate() {
            let line = line.with_context(|| format!("reading {batch}"))?;
            if line.trim().is_empty() {
                continue;
            }
            let label = format!("{batch}:{}", n + 1);
            let result = match serde_json::from_str::<Value>(&line) {
                Err(e) => unreadable_signature(&label, &format!("not a JSON object: {e}")),
                Ok(v) => match SignedDocument::from_json(&v) {
                    Ok(doc) => check(&doc, &verifier, &label, at, args.facts, &mut evidence)?,
                    Err(e) => unreadable_signature(&label, &e),
                },
            };
            all_valid &= result.status().is_valid();
            if writeln!(out, "{result}").is_err() {
                return Ok(Outcome::NotAllGood);
            }
        }
    } else {
        let (Some(cert), Some(sig)) = (&args.cert, &args.sig) else {
            anyhow::bail!("--cert and --sig are required without --batch");
        };
        let cert_der = crate::verify::read_certs(std::slice::from_ref(cert), "--cert")?
            .into_iter()
            .next()
            .with_context(|| format!("no certificate in {}", cert.display()))?;
        let sig_bytes =
            std::fs::read(sig).with_context(|| format!("cannot read {}", sig.display()))?;
        let message = match (&args.data, &args.digest) {
            (Some(d), None) => Message::Data(
                std::fs::read(d).with_context(|| format!("cannot read {}", d.display()))?,
            ),
            (None, Some(h)) => {
                Message::Digest(parse_digest(h).map_err(|e| anyhow::anyhow!("--digest: {e}"))?)
            }
            _ => anyhow::bail!("give exactly one of --data FILE or --digest HEX"),
        };
        let doc = SignedDocument {
            cert: cert_der,
            sig: decode_signature(&sig_bytes),
            message,
        };
        let label = sig.display().to_string();
        let result = check(&doc, &verifier, &label, at, args.facts, &mut evidence)?;
        all_valid = result.status().is_valid();
        let _ = writeln!(out, "{result}");
    }
    out.flush().context("writing results")?;
    if let Some(ev) = evidence {
        ev.finish()?;
    }
    Ok(if all_valid {
        Outcome::Success
    } else {
        Outcome::NotAllGood
    })
}

/// Checks one signature, appending its evidence when there is a log.
fn check(
    doc: &SignedDocument,
    verifier: &kakunin_engine::verify::Verifier,
    label: &str,
    at: kakunin_engine::Timestamp,
    facts: bool,
    evidence: &mut Option<EvidenceLog>,
) -> anyhow::Result<kakunin_report::SignatureCheck> {
    let Some(log) = evidence else {
        return Ok(doc.check(verifier, label, at, facts));
    };
    let (result, record) = doc.check_with_evidence(verifier, label, at, facts);
    log.append("signature", &record)?;
    Ok(result)
}

/// A signature file holds raw bytes or base64 text of them.
fn decode_signature(bytes: &[u8]) -> Vec<u8> {
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(b))
    {
        if let Ok(d) = base64::engine::general_purpose::STANDARD.decode(&text) {
            return d;
        }
    }
    bytes.to_vec()
}
