//! `kakunin evidence verify FILE... [--key PUBKEY]`: the library's chain
//! check, printed as a summary for people, with the first broken entry
//! named and the exit status the verdict.

use std::io::Write;
use std::path::PathBuf;

use kakunin_report::{verify_chain, ChainReport, EvidencePublicKey};

use crate::Outcome;

/// Arguments of `kakunin evidence verify`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Examples:\n  \
kakunin evidence verify --key evidence-pub.pem evidence.jsonl\n  \
kakunin evidence verify --key evidence-pub.pem /var/log/kakunin/evidence*.jsonl\n\
Files may be given in any order (a glob): they are put in chain order by their first seq, and\n\
the links between them are checked. A first file that does not start the chain (its prev is\n\
not zeros) is reported as continuing a chain whose earlier part was not given, not as broken.\n\
Without --key the chain is checked but signatures are not, and a tail rewritten with recomputed\n\
hashes cannot be detected.\n\
Exit status: 0 intact (with --key: every entry sealed by a checkpoint the key verifies),\n\
1 broken, torn, or (with --key) entries after the last checkpoint, 2 usage or I/O error.")]
pub(crate) struct VerifyArgs {
    /// The evidence public key (PEM, `openssl pkey -pubout`), or the private key file itself.
    /// Repeat for a log signed by successive keys.
    #[arg(long = "key", value_name = "PUBKEY")]
    keys: Vec<PathBuf>,
    /// The evidence files: the live one and any rotated ones.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// Runs `kakunin evidence verify`.
pub(crate) fn run(args: VerifyArgs) -> anyhow::Result<Outcome> {
    let keys = args
        .keys
        .iter()
        .map(|p| EvidencePublicKey::from_pem_file(p))
        .collect::<Result<Vec<_>, _>>()?;
    let report = verify_chain(&args.files, &keys)?;
    // A closed pipe (`| head`) is not an error: the exit status still says.
    let _ = std::io::stdout().write_all(summary(&report).as_bytes());
    Ok(if report.intact() {
        Outcome::Success
    } else {
        Outcome::NotAllGood
    })
}

/// The summary: what was read, then notes, then the verdict on the last
/// line.
fn summary(r: &ChainReport) -> String {
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    for f in &r.files {
        let first = f.first_seq.map_or("-".to_string(), |s| s.to_string());
        line(format!(
            "file {}: {} lines, first seq {first}",
            f.path.display(),
            f.lines
        ));
    }
    let seqs = match (r.first_seq, r.last_seq) {
        (Some(a), Some(b)) => format!(", seq {a} to {b}"),
        _ => String::new(),
    };
    line(format!(
        "entries: {} ({} records, {} checkpoints){seqs}",
        r.entries,
        r.records(),
        r.checkpoints
    ));
    if let (Some(a), Some(b)) = (&r.first_at, &r.last_at) {
        line(format!("checkpoints from {a} to {b}"));
    }
    if let Some(reason) = &r.last_reason {
        line(format!("last checkpoint: {reason}"));
    }
    for id in &r.key_ids {
        line(format!("signed by key {id}"));
    }
    if let Some(seq) = r.continues_at {
        line(format!(
            "note: continues a chain at seq {seq} whose earlier part was not given"
        ));
    }
    if !r.recovered.is_empty() {
        let seqs: Vec<String> = r.recovered.iter().map(u64::to_string).collect();
        line(format!(
            "note: recovered checkpoints at seq {}: each sealed entries an earlier run left unsealed \
             (a crash), or that were added while no writer ran",
            seqs.join(", ")
        ));
    }
    if !r.signatures_checked {
        if r.checkpoints == 0 {
            line(
                "warning: no checkpoints (written without --evidence-key): \
                 a tail rewritten with recomputed hashes cannot be detected"
                    .into(),
            );
        } else {
            line(
                "warning: signatures not checked (no --key): \
                 a tail rewritten with recomputed hashes cannot be detected"
                    .into(),
            );
        }
    }
    if r.broken.is_none() && r.signatures_checked && r.last_reason.as_deref() != Some("shutdown") {
        line(
            "note: the log does not end with a shutdown checkpoint: its writer is running or \
             did not finish, or entries after the last checkpoint were removed"
                .into(),
        );
    }
    if let Some(b) = &r.broken {
        line(format!("BROKEN at {b}"));
    } else if let Some(u) = &r.unsealed {
        if r.signatures_checked {
            line(format!("NOT SEALED: {u}"));
        } else {
            line(format!("note: not sealed: {u}"));
            line("chain intact (signatures not checked)".into());
        }
    } else if r.signatures_checked {
        line("intact: chain and every checkpoint signature verified".into());
    } else {
        line("chain intact (signatures not checked)".into());
    }
    out
}
