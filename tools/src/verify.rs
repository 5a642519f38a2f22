//! `kakunin verify`: batch offline verification of certificates.
//!
//! Inputs are streamed in chunks: a reader thread splits certificates out
//! of the inputs, rayon verifies a chunk on every core (batches of
//! [`BATCH`], so leaves of one CA key share the eight-wide RSA path), and
//! a writer thread prints results in input order. Bounded channels hold at
//! most two chunks on each side, so memory does not grow with the batch.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::mpsc;

use anyhow::Context;
use kakunin_engine::index::IndexBytes;
use kakunin_engine::inputs::{Inputs, Item};
use kakunin_engine::verify::{SourceRole, Verdict, Verifier, VerifierBuilder};
use kakunin_engine::Timestamp;
use kakunin_report::{CertLine, EvidenceRecord};
use rayon::prelude::*;

use crate::evidence_log::{EvidenceArgs, EvidenceLog};
use crate::Outcome;

/// Certificates read ahead per step (two steps wait at most).
const CHUNK: usize = 4096;
/// Certificates per parallel task: enough for the eight-wide RSA path to
/// fill its lanes, few enough for both cores to share a chunk evenly.
const BATCH: usize = 64;

/// Output format.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    /// One JSON object per line.
    Json,
    /// An aligned table for people.
    Table,
}

/// Arguments of `kakunin verify`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Prints one line per input certificate, in input order:\n  \
{\"input\",\"serial\",\"subject\",\"kind\",\"status\":\"valid|revoked|invalid|unknown\",\"reason\",\"revoked_at\",\"detail\"}\n\
`unknown` means no current CRL covers some certificate of the path: treat it as not valid.\n\
A CRL, index or CA certificate that fails its checks is refused: reported on stderr, not used,\n\
and named in the detail of the certificates that depended on it (unknown or invalid).\n\
With --evidence FILE, one `status` entry per decision is appended to FILE, hash-chained and,\n\
with --evidence-key, sealed by signed checkpoints: check it with `kakunin evidence verify FILE`.\n\
Exit status: 0 all valid, 1 some not valid, 2 usage or I/O error (missing or unreadable file,\n\
no usable trust anchor)."
)]
pub(crate) struct VerifyArgs {
    #[command(flatten)]
    trust: TrustArgs,
    /// Add the JPKI basic facts (name, sex, birth date, address) of signing certificates.
    #[arg(long)]
    facts: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Json)]
    format: Format,
    #[command(flatten)]
    evidence: EvidenceArgs,
    /// Never draw a progress bar, even on a terminal.
    #[arg(long)]
    quiet: bool,
    /// Certificates to verify: files (DER, PEM, bundles), directories, or `-` for stdin.
    #[arg(value_name = "INPUT", required = true, allow_hyphen_values = true)]
    inputs: Vec<String>,
}

/// What a certificate is checked against: shared by `verify` and
/// `verify-signature`, defined once.
#[derive(clap::Args, Debug)]
pub(crate) struct TrustArgs {
    /// Trust anchor certificate(s), PEM or DER (repeat; bundles allowed).
    #[arg(long = "trust", value_name = "CERT", required = true)]
    trust: Vec<PathBuf>,
    /// Intermediate CA certificate(s) to build paths through (repeat).
    #[arg(long = "intermediate", value_name = "CERT")]
    intermediates: Vec<PathBuf>,
    /// CRL file(s), DER or PEM (repeat). Checked against their issuer on the path.
    #[arg(long = "crl", value_name = "FILE")]
    crls: Vec<PathBuf>,
    /// Index file(s) written by `kakunin ingest` (repeat). Same answers as --crl, except
    /// that an indirect CRL answers for other issuers' certificates only given raw.
    #[arg(long = "index", value_name = "FILE")]
    indexes: Vec<PathBuf>,
    /// Validation time (RFC 3339); default now.
    #[arg(long, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Option<Timestamp>,
}

impl TrustArgs {
    /// The validation time.
    pub(crate) fn at(&self) -> Timestamp {
        self.at.unwrap_or_else(Timestamp::now)
    }

    /// The verifier over these anchors, intermediates, CRLs and indexes;
    /// `source_digests`: hash every CRL and index file (for evidence).
    pub(crate) fn verifier(&self, source_digests: bool) -> anyhow::Result<Verifier> {
        build_verifier(
            &self.trust,
            &self.intermediates,
            &self.crls,
            &self.indexes,
            source_digests,
        )
    }
}

/// Every certificate of the given files as DER; one that cannot be decoded
/// is an error naming `what` (for `verify-signature --cert`).
pub(crate) fn read_certs(paths: &[PathBuf], what: &str) -> anyhow::Result<Vec<Vec<u8>>> {
    read_cert_items(paths)?
        .into_iter()
        .map(|item| {
            item.der
                .map_err(|e| anyhow::anyhow!("{what} {}: {e}", item.label))
        })
        .collect()
}

/// The certificates of the given files, each with its label (`file#n` in
/// a bundle) and its DER or what is wrong with it. A missing or
/// unreadable file is an error.
fn read_cert_items(paths: &[PathBuf]) -> anyhow::Result<Vec<Item>> {
    let mut out = Vec::new();
    for p in paths {
        for mut item in Inputs::new(&[p.display().to_string()])? {
            item.decode();
            out.push(item);
        }
    }
    Ok(out)
}

/// Builds the verifier from the trust, intermediate, CRL and index options.
/// A file that cannot be read is an error (exit 2); one that can be read
/// but fails its checks is refused, reported on stderr, and the batch goes
/// on without it (certificates that depended on it come out `unknown` or
/// `invalid`, naming it).
fn build_verifier(
    trust: &[PathBuf],
    intermediates: &[PathBuf],
    crls: &[PathBuf],
    indexes: &[PathBuf],
    source_digests: bool,
) -> anyhow::Result<Verifier> {
    let mut b = VerifierBuilder::new();
    b.source_digests(source_digests);
    for (paths, role) in [
        (trust, SourceRole::TrustAnchor),
        (intermediates, SourceRole::Intermediate),
    ] {
        for item in read_cert_items(paths)? {
            match (&item.der, role) {
                (Ok(der), SourceRole::TrustAnchor) => b.trust_anchor(&item.label, der),
                (Ok(der), _) => b.intermediate(&item.label, der),
                (Err(e), _) => b.refuse(role, &item.label, e),
            };
        }
    }
    for p in crls {
        let bytes = std::fs::read(p).with_context(|| format!("cannot read CRL {}", p.display()))?;
        b.crl(&p.display().to_string(), &bytes);
    }
    for p in indexes {
        let map = IndexBytes::map_file(p)
            .with_context(|| format!("cannot read index {}", p.display()))?;
        b.index_bytes(&p.display().to_string(), map);
    }
    let verifier = b.build()?;
    for r in verifier.refused() {
        eprintln!("kakunin: refused {r} (not used)");
    }
    Ok(verifier)
}

/// Runs `kakunin verify`.
pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<Outcome> {
    let at = args.trust.at();
    let inputs = Inputs::new(&args.inputs)?;
    let evidence = args.evidence.open()?;

    // Reader thread: decode inputs into chunks; at most two chunks wait.
    let (tx, rx) = mpsc::sync_channel::<Vec<Item>>(2);
    let reader = std::thread::spawn(move || {
        let mut chunk = Vec::with_capacity(CHUNK);
        for item in inputs {
            chunk.push(item);
            if chunk.len() == CHUNK
                && tx
                    .send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)))
                    .is_err()
            {
                return;
            }
        }
        if !chunk.is_empty() {
            let _ = tx.send(chunk);
        }
    });
    // Built while the reader fills its first chunks (hashing a large index
    // for the evidence takes a few tens of milliseconds).
    let verifier = args.trust.verifier(evidence.is_some())?;

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new_spinner();
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} verified {pos} certificates ({per_sec})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
        );
        b
    });
    let format = args.format;
    let facts = args.facts;
    let want_evidence = evidence.is_some();
    // Writer thread: output and evidence in input order, while the
    // workers already verify the next chunk.
    let (wtx, wrx) = mpsc::sync_channel::<Vec<Rendered>>(2);
    let writer = std::thread::spawn(move || write_results(wrx, format, evidence, bar));
    for mut chunk in rx {
        // Everything per certificate — decoding, verifying, rendering the
        // output line and the evidence record — happens on the workers, a
        // batch of BATCH certificates per task so that leaves signed by one
        // CA key are checked together.
        let results: Vec<Rendered> = chunk
            .par_chunks_mut(BATCH)
            .flat_map_iter(|items| {
                for item in items.iter_mut() {
                    item.decode();
                }
                let ders: Vec<&[u8]> = items.iter().filter_map(|i| i.der.as_deref().ok()).collect();
                let mut verdicts = verifier.verify_batch(&ders, at).into_iter();
                items
                    .iter()
                    .map(|item| {
                        let decided = match &item.der {
                            Ok(der) => match verdicts.next() {
                                Some(v) => Ok((der.as_slice(), v)),
                                None => Err("internal: batch returned too few verdicts".into()),
                            },
                            Err(e) => Err(format!("malformed: {e}")),
                        };
                        render(&item.label, decided, at, format, facts, want_evidence)
                    })
                    .collect::<Vec<_>>()
            })
            .collect();
        if wtx.send(results).is_err() {
            // The writer stopped (error, or `| head` went away).
            break;
        }
    }
    drop(wtx);
    let outcome = writer
        .join()
        .map_err(|_| anyhow::anyhow!("the output thread panicked"))?;
    let _ = reader.join();
    outcome
}

/// Writes rendered lines (and evidence records) in order; returns the
/// outcome once the workers are done.
fn write_results(
    results: mpsc::Receiver<Vec<Rendered>>,
    format: Format,
    mut evidence: Option<EvidenceLog>,
    bar: Option<indicatif::ProgressBar>,
) -> anyhow::Result<Outcome> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 16, stdout.lock());
    let mut all_valid = true;
    if format == Format::Table {
        let _ = writeln!(
            out,
            "{:<8} {:<20} {:<18} {:<24} SUBJECT / DETAIL",
            "STATUS", "SERIAL", "REASON", "INPUT"
        );
    }
    for chunk in results {
        for Rendered { valid, text, rec } in &chunk {
            all_valid &= *valid;
            if let (Some(ev), Some(rec)) = (evidence.as_mut(), rec) {
                ev.append("status", rec)?;
            }
            if writeln!(out, "{text}").is_err() {
                // The reader went away (`| head`): stop quietly.
                return Ok(Outcome::NotAllGood);
            }
        }
        if let Some(b) = &bar {
            b.inc(chunk.len() as u64);
        }
        if let Some(ev) = evidence.as_mut() {
            ev.flush()?;
        }
    }
    if let Some(b) = &bar {
        b.finish_and_clear();
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

/// One input's output line (and evidence record), rendered on a worker.
struct Rendered {
    valid: bool,
    text: String,
    rec: Option<EvidenceRecord>,
}

/// Renders one input: its verdict, or why it is not a certificate.
fn render(
    label: &str,
    decided: Result<(&[u8], Verdict), String>,
    at: Timestamp,
    format: Format,
    facts: bool,
    want_evidence: bool,
) -> Rendered {
    let (line, rec) = match &decided {
        Ok((der, v)) => (
            CertLine::new(label, der, v, facts),
            want_evidence
                .then(|| EvidenceRecord::of(der, v, at))
                .flatten(),
        ),
        Err(detail) => (CertLine::malformed(label, detail.clone(), facts), None),
    };
    let text = match format {
        Format::Json => line.to_json(),
        Format::Table => line.table_row(),
    };
    Rendered {
        valid: line.status().is_valid(),
        text,
        rec,
    }
}
