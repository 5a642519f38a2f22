//! `kakunin evidence show ID FILE...`: one entry as pretty JSON, found by
//! its seq, its hash (the evidence id, or a unique prefix of it), or the
//! `id` field of its record (a server transaction's id).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;
use kakunin_report::evidence::{parse_entry, Entry};
use serde::Serialize;

use crate::Outcome;

/// The shortest hash prefix taken as an id: shorter ones match too much.
const MIN_PREFIX: usize = 8;

/// Arguments of `kakunin evidence show`.
#[derive(clap::Args, Debug)]
#[command(after_help = "ID is one of:\n  \
a seq number                   kakunin evidence show 57 evidence.jsonl\n  \
an entry hash, or a unique prefix of at least 8 hex digits\n                                 \
kakunin evidence show 3fa9c2e1 evidence*.jsonl\n  \
the \"id\" of a record         kakunin evidence show 0b6f…-uuid evidence*.jsonl\n\
Prints {\"file\",\"line\",\"hash\",\"seq\",\"prev\",\"kind\",\"record\"} as pretty JSON. It does not check the\n\
chain: run `kakunin evidence verify` for that.\n\
Exit status: 0 found, 1 no such entry, 2 usage or I/O error, or an ID that matches several entries.")]
pub(crate) struct ShowArgs {
    /// Seq number, entry hash (or a unique prefix of at least 8 hex digits), or record id.
    #[arg(value_name = "ID")]
    id: String,
    /// The evidence files to search.
    #[arg(value_name = "FILE", required = true)]
    files: Vec<PathBuf>,
}

/// What `show` prints, keys in this order.
#[derive(Serialize)]
struct Shown<'a> {
    file: String,
    line: u64,
    hash: String,
    seq: u64,
    prev: String,
    kind: &'a str,
    record: &'a serde_json::Value,
}

/// Runs `kakunin evidence show`.
pub(crate) fn run(args: ShowArgs) -> anyhow::Result<Outcome> {
    let id = args.id.trim();
    let mut found: Vec<(PathBuf, u64, Entry)> = Vec::new();
    for path in &args.files {
        search(path, id, &mut found)?;
    }
    found.sort_by_key(|(_, _, e)| e.seq);
    found.dedup_by_key(|(_, _, e)| e.hash);
    match found.as_slice() {
        [] => {
            eprintln!(
                "kakunin: no entry with seq, hash or record id {id:?} in {}",
                names(&args.files)
            );
            Ok(Outcome::NotAllGood)
        }
        [(path, line, e)] => {
            let shown = Shown {
                file: path.display().to_string(),
                line: *line,
                hash: hex::encode(e.hash),
                seq: e.seq,
                prev: hex::encode(e.prev),
                kind: &e.kind,
                record: &e.record,
            };
            // A closed pipe (`| head`) is not an error.
            let _ = writeln!(
                std::io::stdout(),
                "{}",
                serde_json::to_string_pretty(&shown)?
            );
            Ok(Outcome::Success)
        }
        many => {
            let list: Vec<String> = many
                .iter()
                .map(|(p, l, e)| {
                    format!(
                        "seq {} ({} line {l}, hash {})",
                        e.seq,
                        p.display(),
                        hex::encode(e.hash)
                    )
                })
                .collect();
            anyhow::bail!(
                "{id:?} matches {} entries: {}; give more digits of the hash",
                many.len(),
                list.join("; ")
            )
        }
    }
}

/// Adds the entries of `path` that `id` names.
fn search(path: &Path, id: &str, found: &mut Vec<(PathBuf, u64, Entry)>) -> anyhow::Result<()> {
    let file = File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = BufReader::with_capacity(1 << 16, file);
    let seq: Option<u64> = id.parse().ok();
    let prefix = (id.len() >= MIN_PREFIX && id.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| id.to_ascii_lowercase());
    let mut buf = Vec::new();
    let mut n = 0u64;
    loop {
        buf.clear();
        let got = reader
            .read_until(b'\n', &mut buf)
            .with_context(|| format!("reading {}", path.display()))?;
        if got == 0 {
            return Ok(());
        }
        n += 1;
        if buf.last() == Some(&b'\n') {
            buf.pop();
        }
        // Lines that are not entries (a torn tail) cannot be shown.
        let Ok(e) = parse_entry(&buf) else { continue };
        let by_hash = prefix
            .as_deref()
            .is_some_and(|p| hex::encode(e.hash).starts_with(p));
        let by_id = e.record.get("id").and_then(|v| v.as_str()) == Some(id);
        if seq == Some(e.seq) || by_hash || by_id {
            found.push((path.to_path_buf(), n, e));
        }
    }
}

fn names(files: &[PathBuf]) -> String {
    files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
