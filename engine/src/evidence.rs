//! Evidence records (証跡保存): an append-only JSON Lines log of every
//! status decision, with what it was based on, so that a decision can be
//! shown later ("this certificate was valid at 10:00 according to CRL
//! number 1234 with this SHA-256").
//!
//! # One line per record
//!
//! ```text
//! {"cert_sha256":"…","serial":"1A2B","issuer":"C=JP, O=JPKI, …","status":"revoked",
//!  "reason":"keyCompromise","revoked_at":"2026-11-01T00:00:00Z","detail":null,
//!  "validation_time":"2026-11-25T10:00:00Z","checked_at":"2026-11-25T10:00:01Z",
//!  "sources":[{"kind":"crl","issuer_key_id":"…","crl_number":"1234","sha256":"…"}],
//!  "kakunin_version":"0.1.0"}
//! ```
//!
//! (shown wrapped; on disk it is one line.) Every key is always present;
//! absent values are `null`. Hashes and key ids are lower-case hex, the
//! serial upper-case hex as OpenSSL prints it, times RFC 3339 UTC, and the
//! CRL number a *string* of decimal digits, because CRL numbers go up to
//! 20 octets and JSON readers lose precision above 2^53.
//!
//! The JSON is formatted by hand: the engine has no serde, the record is
//! flat and fixed, and the only subtle part — string escaping — is a dozen
//! lines, tested against serde_json with arbitrary strings.
//!
//! # Why a crash cannot leave a torn line
//!
//! - The file is opened with `O_APPEND`, so every write(2) lands at the
//!   current end of file atomically with respect to the offset: two
//!   writers (threads or processes, on a local file system) never
//!   overwrite or interleave *within* one write.
//! - Records are buffered and handed to the kernel only as whole lines: one
//!   write(2) per batch, whose buffer ends in `\n` (JSON escaping turns any
//!   newline inside a value into `\n`, so a record is exactly one line).
//!   Then `fsync` (`sync_data`), so a batch the caller saw succeed survives
//!   power loss.
//! - A regular file takes a write(2) whole unless the disk fills up or a
//!   quota is hit; then the rest is retried, and if the process dies in
//!   between, or the file system does not honour append atomicity, the file
//!   can end mid-line. So [`EvidenceWriter::open`] checks the end: if the
//!   file does not end in `\n`, the bytes after the last `\n` are copied to
//!   `<file>.torn` (evidence is never silently destroyed), the file is
//!   truncated back to the last `\n`, and [`EvidenceWriter::repaired`]
//!   reports it. Repair assumes no other writer is active at that moment.
//!
//! A batch goes out when [`EvidenceWriter::append`] finds `batch_records`
//! records pending or the oldest pending record older than
//! `batch_interval`, on [`EvidenceWriter::flush_batch`] /
//! [`EvidenceWriter::finish`], and (best effort, errors lost) on drop.
//! There is no background thread: a caller that may go quiet for long
//! calls [`EvidenceWriter::flush_if_due`] from its own timer.

use std::fmt::Write as _;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};

/// The outcome recorded (the four results of verification).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvidenceStatus {
    /// Valid at the validation time.
    Valid,
    /// Revoked (with reason and time).
    Revoked,
    /// Invalid for another reason (see `detail`).
    Invalid,
    /// No fresh revocation information: fail closed.
    Unknown,
}

impl EvidenceStatus {
    /// `valid`, `revoked`, `invalid` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            EvidenceStatus::Valid => "valid",
            EvidenceStatus::Revoked => "revoked",
            EvidenceStatus::Invalid => "invalid",
            EvidenceStatus::Unknown => "unknown",
        }
    }
}

/// What kind of revocation source a decision used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SourceKind {
    /// A CRL file, parsed and verified directly.
    Crl,
    /// A kakunin index file built from a CRL.
    Index,
}

impl SourceKind {
    /// `crl` or `index`.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Crl => "crl",
            SourceKind::Index => "index",
        }
    }
}

/// One revocation source behind a decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceSource {
    /// CRL or index.
    pub kind: SourceKind,
    /// The issuer key the CRL is for.
    pub issuer_key_id: IssuerKeyId,
    /// The CRL number, if the CRL had one.
    pub crl_number: Option<CrlNumber>,
    /// SHA-256 of the source file's bytes.
    pub sha256: [u8; 32],
}

/// One status decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidenceRecord {
    /// SHA-256 of the certificate's DER.
    pub cert_sha256: [u8; 32],
    /// Certificate serial number.
    pub serial: Serial,
    /// Issuer DN as text.
    pub issuer: String,
    /// The outcome.
    pub status: EvidenceStatus,
    /// Revocation reason, when revoked with one.
    pub reason: Option<RevocationReason>,
    /// Revocation time, when revoked.
    pub revoked_at: Option<Timestamp>,
    /// Free text: the failed check, or anything else worth keeping.
    pub detail: Option<String>,
    /// The time the decision is *about* (`--at`, or the check time).
    pub validation_time: Timestamp,
    /// When the check was made.
    pub checked_at: Timestamp,
    /// The revocation sources used.
    pub sources: Vec<EvidenceSource>,
}

impl EvidenceRecord {
    /// The record as one JSON line, with its trailing `\n`.
    pub fn to_json_line(&self) -> String {
        let mut s = String::with_capacity(512);
        self.write_json_line(&mut s);
        s
    }

    fn write_json_line(&self, s: &mut String) {
        s.push_str("{\"cert_sha256\":\"");
        s.push_str(&hex::encode(self.cert_sha256));
        s.push_str("\",\"serial\":");
        json_str(s, &self.serial.to_hex());
        s.push_str(",\"issuer\":");
        json_str(s, &self.issuer);
        s.push_str(",\"status\":");
        json_str(s, self.status.as_str());
        s.push_str(",\"reason\":");
        json_opt(s, self.reason.map(RevocationReason::name));
        s.push_str(",\"revoked_at\":");
        json_opt(s, self.revoked_at.map(Timestamp::to_rfc3339).as_deref());
        s.push_str(",\"detail\":");
        json_opt(s, self.detail.as_deref());
        s.push_str(",\"validation_time\":");
        json_str(s, &self.validation_time.to_rfc3339());
        s.push_str(",\"checked_at\":");
        json_str(s, &self.checked_at.to_rfc3339());
        s.push_str(",\"sources\":[");
        for (i, src) in self.sources.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str("{\"kind\":");
            json_str(s, src.kind.as_str());
            s.push_str(",\"issuer_key_id\":");
            json_str(s, &hex::encode(src.issuer_key_id.as_bytes()));
            s.push_str(",\"crl_number\":");
            json_opt(s, src.crl_number.map(|n| n.to_string()).as_deref());
            s.push_str(",\"sha256\":\"");
            s.push_str(&hex::encode(src.sha256));
            s.push_str("\"}");
        }
        s.push_str("],\"kakunin_version\":");
        json_str(s, env!("CARGO_PKG_VERSION"));
        s.push_str("}\n");
    }
}

/// A JSON string literal (RFC 8259 §7): `"` and `\` escaped, control
/// characters as `\n`-style or `\u00XX`, everything else as UTF-8. No raw
/// newline can survive, which is what keeps a record on one line.
fn json_str(s: &mut String, v: &str) {
    s.push('"');
    for c in v.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            // U+2028/2029 are valid JSON but break some line-oriented and
            // JavaScript readers; escaping them costs nothing.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

fn json_opt(s: &mut String, v: Option<&str>) {
    match v {
        Some(v) => json_str(s, v),
        None => s.push_str("null"),
    }
}

/// What [`EvidenceWriter::open`] did about a file that did not end in a
/// newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The file length after repair (just after its last `\n`).
    pub kept: u64,
    /// How many bytes after the last `\n` were removed.
    pub removed: u64,
    /// Where those bytes were saved.
    pub saved_to: PathBuf,
}

/// Appends evidence records to a JSON Lines file in fsynced batches.
#[derive(Debug)]
pub struct EvidenceWriter {
    file: File,
    buf: Vec<u8>,
    pending: usize,
    oldest_pending: Option<Instant>,
    batch_records: usize,
    batch_interval: Duration,
    repaired: Option<TornTail>,
}

impl EvidenceWriter {
    /// Default batch size in records.
    pub const DEFAULT_BATCH_RECORDS: usize = 256;
    /// Default longest time a record waits in the buffer (checked on
    /// append).
    pub const DEFAULT_BATCH_INTERVAL: Duration = Duration::from_millis(100);

    /// Opens (creating if needed) `path` for appending, with the default
    /// batching, after repairing a torn last line (see the module docs).
    pub fn open(path: impl AsRef<Path>) -> io::Result<EvidenceWriter> {
        EvidenceWriter::open_with(
            path,
            EvidenceWriter::DEFAULT_BATCH_RECORDS,
            EvidenceWriter::DEFAULT_BATCH_INTERVAL,
        )
    }

    /// Like [`EvidenceWriter::open`], flushing every `batch_records`
    /// records (at least 1) or when the oldest pending record is
    /// `batch_interval` old.
    pub fn open_with(
        path: impl AsRef<Path>,
        batch_records: usize,
        batch_interval: Duration,
    ) -> io::Result<EvidenceWriter> {
        let path = path.as_ref();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let repaired = repair_torn_tail(&mut file, path)?;
        Ok(EvidenceWriter {
            file,
            buf: Vec::with_capacity(64 * 1024),
            pending: 0,
            oldest_pending: None,
            batch_records: batch_records.max(1),
            batch_interval,
            repaired,
        })
    }

    /// What opening repaired, if the file ended mid-line.
    pub fn repaired(&self) -> Option<&TornTail> {
        self.repaired.as_ref()
    }

    /// Records buffered but not yet written.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// Buffers one record as one JSON line; writes and fsyncs the batch
    /// when it is full or old enough. An `Err` means the batch (including
    /// this record) may not be on disk; it stays buffered and the next
    /// flush retries it.
    pub fn append(&mut self, record: &EvidenceRecord) -> io::Result<()> {
        let line = record.to_json_line();
        self.buf.extend_from_slice(line.as_bytes());
        self.pending += 1;
        self.oldest_pending.get_or_insert_with(Instant::now);
        self.flush_if_due()
    }

    /// Flushes if the batch is full or its oldest record has waited
    /// `batch_interval`.
    pub fn flush_if_due(&mut self) -> io::Result<()> {
        let old = self
            .oldest_pending
            .is_some_and(|t| t.elapsed() >= self.batch_interval);
        if self.pending >= self.batch_records || old {
            self.flush_batch()
        } else {
            Ok(())
        }
    }

    /// Writes every buffered line with one write(2) (more only after a
    /// short write) and fsyncs. On error the unwritten lines stay buffered.
    pub fn flush_batch(&mut self) -> io::Result<()> {
        let mut written = 0;
        while written < self.buf.len() {
            match self.file.write(&self.buf[written..]) {
                Ok(0) => {
                    self.buf.drain(..written);
                    return Err(io::Error::new(
                        io::ErrorKind::WriteZero,
                        "evidence file accepted no bytes",
                    ));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // Whatever went out is on file; keep only the rest. If
                    // that cut a line, the next open repairs it.
                    self.buf.drain(..written);
                    return Err(e);
                }
            }
        }
        self.buf.clear();
        self.file.sync_data()?;
        self.pending = 0;
        self.oldest_pending = None;
        Ok(())
    }

    /// Flushes the last batch and closes the file, reporting any error
    /// (dropping the writer flushes too, but cannot report).
    pub fn finish(mut self) -> io::Result<()> {
        self.flush_batch()
    }
}

impl Drop for EvidenceWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            let _ = self.flush_batch();
        }
    }
}

/// If the file does not end in `\n`, saves the tail after the last `\n` to
/// `<path>.torn`, truncates the file there and fsyncs both.
fn repair_torn_tail(file: &mut File, path: &Path) -> io::Result<Option<TornTail>> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.seek(SeekFrom::Start(len - 1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(None);
    }
    // Scan backwards in blocks for the last newline.
    const BLOCK: u64 = 64 * 1024;
    let mut end = len;
    let mut keep = 0u64;
    let mut block = vec![0u8; BLOCK as usize];
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..n])?;
        if let Some(i) = block[..n].iter().rposition(|&b| b == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(keep))?;
    Read::by_ref(file).take(len - keep).read_to_end(&mut tail)?;
    let mut saved_to = path.as_os_str().to_owned();
    saved_to.push(".torn");
    let saved_to = PathBuf::from(saved_to);
    {
        let mut side = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&saved_to)?;
        side.write_all(&tail)?;
        side.write_all(b"\n")?;
        side.sync_data()?;
    }
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(Some(TornTail {
        kept: keep,
        removed: len - keep,
        saved_to,
    }))
}

#[cfg(test)]
mod tests;
