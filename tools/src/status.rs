//! `kakunin status`: look serials up in index files.

use std::io::{BufRead, Write};
use std::path::PathBuf;

use anyhow::Context;
use kakunin_engine::store::Store;
use kakunin_engine::{Serial, Timestamp};
use kakunin_report::answer_line;

use crate::Outcome;

/// Arguments of `kakunin status`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Prints one JSON line per serial and index:\n  \
{\"serial\",\"issuer\",\"status\":\"good|revoked|unknown\",\"reason\",\"revoked_at\",\"crl_number\",\"this_update\",\"next_update\",\"detail\"}\n\
A stale index (past its nextUpdate) answers \"unknown\", never \"good\".\n\
Exit status: 0 when every serial was looked up, 2 on bad input or a bad index.")]
pub(crate) struct StatusArgs {
    /// Index file written by `kakunin ingest` (repeat for several issuers).
    #[arg(long = "index", value_name = "INDEX", required = true)]
    indexes: Vec<PathBuf>,
    /// Answer as of this time (RFC 3339) instead of now.
    #[arg(long, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Option<Timestamp>,
    /// Serial numbers in hex (any case, leading zeros and 0x allowed, `-` prefix for
    /// negative serials). `-` alone reads serials from standard input, one per line.
    #[arg(value_name = "SERIAL", required = true, allow_hyphen_values = true)]
    serials: Vec<String>,
}

/// Runs `kakunin status`.
pub(crate) fn run(args: StatusArgs) -> anyhow::Result<Outcome> {
    let at = args.at.unwrap_or_else(Timestamp::now);
    let store = Store::new();
    for path in &args.indexes {
        store
            .install_file(path)
            .with_context(|| format!("cannot use index {}", path.display()))?;
    }
    let issuers: Vec<_> = store
        .issuers()
        .into_iter()
        .map(|m| m.crl.issuer_key_id)
        .collect();

    // Parse every serial first: bad input is reported before any output.
    let mut serials = Vec::new();
    for s in &args.serials {
        if s == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.context("reading serials from standard input")?;
                let t = line.trim();
                if !t.is_empty() {
                    serials.push(Serial::from_hex(t)?);
                }
            }
        } else {
            serials.push(Serial::from_hex(s)?);
        }
    }

    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    for serial in &serials {
        for issuer in &issuers {
            let line = answer_line(issuer, serial, &store.lookup(issuer, serial, at));
            if writeln!(out, "{line}").is_err() {
                // The reader went away (e.g. `| head`): stop quietly.
                return Ok(Outcome::Success);
            }
        }
    }
    let _ = out.flush();
    Ok(Outcome::Success)
}
