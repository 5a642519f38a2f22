//! Checking a chain offline: every line re-hashed, seqs contiguous, every
//! `prev` the hash of the line before (across files too), every
//! checkpoint sealing the line before it and signed by a given key. The
//! first broken line is named by file, line and seq, with what was
//! expected and what was found; entries after the last checkpoint are
//! reported as unsealed, which fails verification when keys are given (a
//! rewritten tail with recomputed hashes and no valid checkpoint).

use std::fmt;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use kakunin_engine::Timestamp;

use super::entry::{
    self, parse_entry, CheckpointBody, CheckpointReason, Entry, CHECKPOINT, GENESIS,
};
use super::error::EvidenceError;
use super::key::EvidencePublicKey;

/// One file of a verified chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainFile {
    /// The file.
    pub path: PathBuf,
    /// The seq of its first line, if it has a readable one.
    pub first_seq: Option<u64>,
    /// Lines read (up to the first broken one).
    pub lines: u64,
}

/// Entries after the last checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsealed {
    /// The file of the first of them.
    pub path: PathBuf,
    /// Its line number (from 1).
    pub line: u64,
    /// Its seq.
    pub seq: u64,
    /// How many entries are unsealed.
    pub count: u64,
}

impl fmt::Display for Unsealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} entries from line {} (seq {}) on were written after the last checkpoint: \
             a crash before the next checkpoint, or a rewritten tail",
            self.path.display(),
            self.count,
            self.line,
            self.seq
        )
    }
}

/// What is wrong with the first broken line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BreakKind {
    /// The last line has no `\n`: a crash mid-append.
    Torn,
    /// The line is not an entry.
    NotAnEntry,
    /// Its seq does not follow the line before.
    Seq,
    /// Its `prev` is not the hash of the line before.
    Prev,
    /// A checkpoint that does not seal the line before it, or was edited.
    Checkpoint,
    /// A checkpoint signature that does not verify.
    Signature,
    /// A checkpoint signed by a key that was not given.
    UnknownKey,
}

/// The first broken line of a chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainBreak {
    /// The file.
    pub path: PathBuf,
    /// The line number (from 1).
    pub line: u64,
    /// The line's seq, when it could be read.
    pub seq: Option<u64>,
    /// What is wrong.
    pub kind: BreakKind,
    /// What was expected and what was found.
    pub detail: String,
}

impl fmt::Display for ChainBreak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: line {}", self.path.display(), self.line)?;
        if let Some(seq) = self.seq {
            write!(f, " (seq {seq})")?;
        }
        write!(f, ": {}", self.detail)
    }
}

/// What [`verify_chain`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChainReport {
    /// The files, in chain order.
    pub files: Vec<ChainFile>,
    /// Entries read (up to the first broken line).
    pub entries: u64,
    /// Of which checkpoints.
    pub checkpoints: u64,
    /// Seq of the first and last entry read.
    pub first_seq: Option<u64>,
    /// See `first_seq`.
    pub last_seq: Option<u64>,
    /// Time of the first and last checkpoint.
    pub first_at: Option<String>,
    /// See `first_at`.
    pub last_at: Option<String>,
    /// Reason of the last checkpoint (`shutdown` after a clean stop).
    pub last_reason: Option<String>,
    /// Key ids of the checkpoints, in order of first use.
    pub key_ids: Vec<String>,
    /// Whether signatures were checked (keys were given).
    pub signatures_checked: bool,
    /// The first entry's seq when it continues a chain whose earlier part
    /// was not given (its `prev` is not zeros).
    pub continues_at: Option<u64>,
    /// Seqs of `recovered` checkpoints: each sealed entries a run left
    /// unsealed (a crash), or that were added while no writer ran.
    pub recovered: Vec<u64>,
    /// Entries after the last checkpoint.
    pub unsealed: Option<Unsealed>,
    /// The first broken line.
    pub broken: Option<ChainBreak>,
}

impl ChainReport {
    /// Entries that are not checkpoints.
    pub fn records(&self) -> u64 {
        self.entries - self.checkpoints
    }

    /// Intact: nothing broken and, when keys were given, everything sealed
    /// by a checkpoint they verify.
    pub fn intact(&self) -> bool {
        self.broken.is_none() && !(self.signatures_checked && self.unsealed.is_some())
    }
}

/// Verifies the chain in `paths` (in any order: they are sorted by the seq
/// of their first line) against `keys` (none: signatures are not checked
/// and an unsealed tail is only reported). `Err` only for a file that
/// cannot be read; what is wrong with the chain is in the report.
pub fn verify_chain(
    paths: &[PathBuf],
    keys: &[EvidencePublicKey],
) -> Result<ChainReport, EvidenceError> {
    let mut ordered = paths
        .iter()
        .map(|p| Ok((first_seq(p)?, p)))
        .collect::<Result<Vec<_>, EvidenceError>>()?;
    // Files without a readable first line first: they break at line 1.
    ordered.sort_by_key(|(seq, _)| seq.map_or(0, |s| s.saturating_add(1)));
    let mut walk = Walk {
        keys,
        report: ChainReport {
            signatures_checked: !keys.is_empty(),
            ..ChainReport::default()
        },
        last: None,
    };
    for (first_seq, path) in ordered {
        let lines = walk.file(path)?;
        walk.report.files.push(ChainFile {
            path: path.clone(),
            first_seq,
            lines,
        });
        if walk.report.broken.is_some() {
            break;
        }
    }
    Ok(walk.report)
}

/// The seq of a file's first line, if it is an entry.
fn first_seq(path: &Path) -> Result<Option<u64>, EvidenceError> {
    let file = File::open(path).map_err(|e| EvidenceError::io(path, "opening", e))?;
    let mut line = Vec::new();
    BufReader::new(file)
        .read_until(b'\n', &mut line)
        .map_err(|e| EvidenceError::io(path, "reading", e))?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(parse_entry(&line).ok().map(|e| e.seq))
}

/// The line before the one being checked.
struct Last {
    path: PathBuf,
    line: u64,
    seq: u64,
    hash: [u8; 32],
}

impl Last {
    /// "line 56 (seq 56)", naming the file when it is another one.
    fn place(&self, current: &Path) -> String {
        let mut s = format!("line {} (seq {})", self.line, self.seq);
        if self.path != current {
            s.push_str(&format!(" of {}", self.path.display()));
        }
        s
    }
}

struct Walk<'k> {
    keys: &'k [EvidencePublicKey],
    report: ChainReport,
    last: Option<Last>,
}

impl Walk<'_> {
    /// Checks every line of one file; returns the lines read.
    fn file(&mut self, path: &Path) -> Result<u64, EvidenceError> {
        let file = File::open(path).map_err(|e| EvidenceError::io(path, "opening", e))?;
        let mut reader = BufReader::with_capacity(1 << 16, file);
        let mut buf = Vec::new();
        let mut n = 0u64;
        loop {
            buf.clear();
            let got = reader
                .read_until(b'\n', &mut buf)
                .map_err(|e| EvidenceError::io(path, "reading", e))?;
            if got == 0 {
                return Ok(n);
            }
            n += 1;
            if buf.last() != Some(&b'\n') {
                let seq = parse_entry(&buf).ok().map(|e| e.seq);
                self.broken(path, n, seq, BreakKind::Torn, format!(
                    "the last line is cut short (no newline at its end): a crash mid-append. \
                     Everything before it is whole; the next `kakunin verify --evidence` (or server start) \
                     moves it to {}.torn",
                    path.display()
                ));
                return Ok(n);
            }
            buf.pop();
            if !self.line(path, n, &buf) {
                return Ok(n);
            }
        }
    }

    /// Checks one line; false when it is broken.
    fn line(&mut self, path: &Path, n: u64, bytes: &[u8]) -> bool {
        let e = match parse_entry(bytes) {
            Ok(e) => e,
            Err(detail) => return self.broken(path, n, None, BreakKind::NotAnEntry, detail),
        };
        let seq = Some(e.seq);
        match &self.last {
            None if e.prev == GENESIS && e.seq != 1 => {
                let detail = format!(
                    "seq is {}, but prev is 64 zeros (the start of a chain): expected seq 1",
                    e.seq
                );
                return self.broken(path, n, seq, BreakKind::Seq, detail);
            }
            None => {
                if e.prev != GENESIS {
                    self.report.continues_at = Some(e.seq);
                }
            }
            Some(last) => {
                if e.seq != last.seq.wrapping_add(1) {
                    let why = if e.seq <= last.seq {
                        "an entry was duplicated, reordered or spliced in here".to_string()
                    } else {
                        format!(
                            "seq {} to {} are missing: entries were removed, or reordered",
                            last.seq + 1,
                            e.seq - 1
                        )
                    };
                    let detail = format!(
                        "seq is {}, expected {} (the seq after {}): {why}",
                        e.seq,
                        last.seq.wrapping_add(1),
                        last.place(path)
                    );
                    return self.broken(path, n, seq, BreakKind::Seq, detail);
                }
                if e.prev != last.hash {
                    let detail = format!(
                        "prev is {}, expected {}, the SHA-256 of {}: that line was changed, \
                         or an entry was removed, inserted or reordered before this one",
                        hex::encode(e.prev),
                        hex::encode(last.hash),
                        last.place(path)
                    );
                    return self.broken(path, n, seq, BreakKind::Prev, detail);
                }
            }
        }
        if e.kind == CHECKPOINT {
            if let Err((kind, detail)) = self.checkpoint(&e, bytes) {
                return self.broken(path, n, seq, kind, detail);
            }
            self.report.unsealed = None;
        } else {
            match &mut self.report.unsealed {
                Some(u) => u.count += 1,
                None => {
                    self.report.unsealed = Some(Unsealed {
                        path: path.to_path_buf(),
                        line: n,
                        seq: e.seq,
                        count: 1,
                    })
                }
            }
        }
        self.report.entries += 1;
        self.report.first_seq.get_or_insert(e.seq);
        self.report.last_seq = Some(e.seq);
        self.last = Some(Last {
            path: path.to_path_buf(),
            line: n,
            seq: e.seq,
            hash: e.hash,
        });
        true
    }

    /// Checks a checkpoint whose envelope (seq, prev) is already checked.
    fn checkpoint(&mut self, e: &Entry, bytes: &[u8]) -> Result<(), (BreakKind, String)> {
        let bad = |detail: String| (BreakKind::Checkpoint, detail);
        let body: CheckpointBody = serde_json::from_value(e.record.clone()).map_err(|err| {
            bad(format!(
                "the checkpoint's record is not {{head, head_seq, reason, key_id, at, signature}} ({err})"
            ))
        })?;
        // Every byte of the line either is signed or follows from what is:
        // a line the writer would not have written was edited.
        if entry::line(e.seq, &e.prev, CHECKPOINT, &body.to_json()).as_bytes() != bytes {
            return Err(bad(
                "the checkpoint is not byte for byte as the writer writes it: it was edited".into(),
            ));
        }
        if body.head != hex::encode(e.prev) || body.head_seq.wrapping_add(1) != e.seq {
            return Err(bad(format!(
                "the checkpoint seals {} (seq {}), but the line before it is {} (seq {}): \
                 the entries it sealed were changed or rewritten",
                body.head,
                body.head_seq,
                hex::encode(e.prev),
                e.seq.wrapping_sub(1)
            )));
        }
        if CheckpointReason::parse(&body.reason).is_none() {
            return Err(bad(format!(
                "reason is {:?}, expected start, batch, rotation, continued, recovered or shutdown",
                body.reason
            )));
        }
        if let Err(err) = Timestamp::parse_rfc3339(&body.at) {
            return Err(bad(format!(
                "at is {:?}, expected an RFC 3339 time ({err})",
                body.at
            )));
        }
        if !self.report.key_ids.contains(&body.key_id) {
            self.report.key_ids.push(body.key_id.clone());
        }
        if !self.keys.is_empty() {
            let Some(key) = self.keys.iter().find(|k| k.key_id() == body.key_id) else {
                let given: Vec<&str> = self.keys.iter().map(EvidencePublicKey::key_id).collect();
                return Err((
                    BreakKind::UnknownKey,
                    format!(
                        "the checkpoint is signed by key {}, expected the given key {}: \
                         forged, or copied from another log",
                        body.key_id,
                        given.join(" or ")
                    ),
                ));
            };
            let sig = base64::engine::general_purpose::STANDARD
                .decode(&body.signature)
                .unwrap_or_default();
            if !key.verify(body.message().as_bytes(), &sig) {
                return Err((
                    BreakKind::Signature,
                    format!(
                        "the checkpoint's signature does not verify with key {}: \
                         the checkpoint was changed or forged",
                        body.key_id
                    ),
                ));
            }
        }
        self.report.checkpoints += 1;
        if self.report.first_at.is_none() {
            self.report.first_at = Some(body.at.clone());
        }
        if body.reason == CheckpointReason::Recovered.as_str() {
            self.report.recovered.push(e.seq);
        }
        self.report.last_at = Some(body.at);
        self.report.last_reason = Some(body.reason);
        Ok(())
    }

    fn broken(
        &mut self,
        path: &Path,
        line: u64,
        seq: Option<u64>,
        kind: BreakKind,
        detail: String,
    ) -> bool {
        self.report.broken = Some(ChainBreak {
            path: path.to_path_buf(),
            line,
            seq,
            kind,
            detail,
        });
        false
    }
}
