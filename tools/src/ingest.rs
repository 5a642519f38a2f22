//! `kakunin ingest`: verify a CRL and write its index.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use kakunin_engine::ingest::{verify_crl, IngestOptions};
use kakunin_engine::CaCert;
use kakunin_engine::Timestamp;
use serde_json::json;

use crate::Outcome;

/// Arguments of `kakunin ingest`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Checks the CRL (RFC 5280 rules, issuer, signature, freshness) and writes a \
memory-mappable index atomically (temporary file, fsync, rename): a rejected CRL never touches \
an existing index.\n\
Prints one JSON object on stdout: entries, dense/sparse/long counts, crl_number, this_update, \
next_update, issuer_key_id, index_bytes, elapsed_ms.\n\
Exit status: 0 on success, 2 when the CRL or the arguments are rejected (the reason is on stderr)."
)]
pub(crate) struct IngestArgs {
    /// The CRL, DER or PEM.
    #[arg(long, value_name = "FILE")]
    crl: PathBuf,
    /// The CA certificate that signed the CRL (PEM or DER). Repeat to offer several CA
    /// generations that share a name; the one whose key id matches the CRL is used.
    #[arg(long = "ca", value_name = "CERT", required = true)]
    cas: Vec<PathBuf>,
    /// Where to write the index.
    #[arg(long, value_name = "INDEX")]
    out: PathBuf,
    /// Check freshness as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Option<Timestamp>,
    /// Never draw a progress bar, even on a terminal.
    #[arg(long)]
    quiet: bool,
}

/// Runs `kakunin ingest`.
pub(crate) fn run(args: IngestArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let now = args.at.unwrap_or_else(Timestamp::now);
    let mut cas = Vec::new();
    for path in &args.cas {
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read CA {}", path.display()))?;
        cas.push(
            CaCert::from_pem_or_der(&bytes)
                .with_context(|| format!("CA certificate {}", path.display()))?,
        );
    }
    let map = kakunin_engine::ingest::map_crl(&args.crl)
        .with_context(|| format!("cannot read CRL {}", args.crl.display()))?;

    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(0);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} ingest [{bar:40}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        b
    });
    let progress = |done: u64, total: u64| {
        if let Some(b) = &bar {
            b.set_length(total);
            b.set_position(done);
        }
    };

    let opts = IngestOptions {
        now,
        ..IngestOptions::default()
    };
    // With several CA generations, try the one whose key id the CRL names
    // first; fall back to each in turn and report the first error.
    let ca = pick_ca(&cas, &map).with_context(|| format!("CRL {} rejected", args.crl.display()))?;
    let verified = verify_crl(&map, ca, &opts, &progress)
        .with_context(|| format!("CRL {} rejected", args.crl.display()));
    if let Some(b) = &bar {
        b.finish_and_clear();
    }
    let verified = verified?;
    // The CRL bytes are no longer needed: unmap them before the index is
    // encoded so that peak memory stays near the CRL's size.
    drop(map);
    let report = verified
        .write(&args.out)
        .with_context(|| format!("writing index {}", args.out.display()))?;
    let s = &report.stats;
    let out = json!({
        "crl": args.crl.display().to_string(),
        "index": args.out.display().to_string(),
        "entries": s.entries,
        "dense": s.dense,
        "sparse": s.sparse,
        "long": s.long,
        "duplicates": s.duplicates,
        "other_issuer_entries": report.other_issuer_entries,
        "crl_number": report.crl_number.map(|n| n.to_string()),
        "delta_base": report.delta_base.map(|n| n.to_string()),
        "this_update": report.this_update.to_rfc3339(),
        "next_update": report.next_update.to_rfc3339(),
        "issuer_key_id": report.issuer_key_id.to_hex(),
        "signature_algorithm": report.signature_algorithm,
        "crl_xxh3_128": hex::encode(report.crl_digest),
        "crl_bytes": report.crl_bytes,
        "index_bytes": s.bytes,
        "side_encoding": s.side_encoding,
        "elapsed_ms": started.elapsed().as_secs_f64() * 1e3,
    });
    println!("{out}");
    Ok(Outcome::Success)
}

/// The CA whose key id equals the CRL's AuthorityKeyIdentifier; with one CA
/// (or a CRL without AKI) the first one.
fn pick_ca<'a>(cas: &'a [CaCert], input: &[u8]) -> anyhow::Result<&'a CaCert> {
    let first = cas.first().context("no --ca given")?;
    if cas.len() == 1 {
        return Ok(first);
    }
    let der = kakunin_engine::crl::der_from_pem_or_der(input)?;
    let crl = kakunin_engine::crl::Crl::parse(&der)?;
    if let Some(aki) = crl.authority_key_id() {
        if let Some(ca) = cas.iter().find(|c| c.key_id().as_bytes() == aki) {
            return Ok(ca);
        }
    }
    Ok(cas
        .iter()
        .find(|c| crl.check_issued_by(c).is_ok())
        .unwrap_or(first))
}
