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
//! The line is serialised by serde from a private view of the record, whose
//! fields print in the order shown; the engine's types stay free of serde.
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

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use kakunin_engine::verify::{SourceKind, Verdict};
use kakunin_engine::{crypto, CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};
use serde::Serialize;

use crate::status::{CertStatus, StatusParts};

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
    pub status: CertStatus,
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
    /// The record of one verdict on the certificate `der`, about time `at`
    /// (`None` when the certificate had no readable serial, or when the
    /// verifier was built without source digests: such a record could not
    /// say what it was decided against).
    pub fn of(der: &[u8], v: &Verdict, at: Timestamp) -> Option<EvidenceRecord> {
        let serial = v.serial?;
        let parts = StatusParts::of(&v.status);
        let sources = v
            .revocation_sources
            .iter()
            .map(|s| {
                Some(EvidenceSource {
                    kind: s.kind,
                    issuer_key_id: s.issuer_key_id,
                    crl_number: s.crl_number,
                    sha256: s.sha256?,
                })
            })
            .collect::<Option<_>>()?;
        Some(EvidenceRecord {
            cert_sha256: crypto::sha256(der),
            serial,
            issuer: v
                .path
                .get(1)
                .map(|p| p.subject.to_string())
                .unwrap_or_default(),
            status: parts.status,
            reason: parts.reason,
            revoked_at: parts.revoked_at,
            detail: parts.detail,
            validation_time: at,
            checked_at: Timestamp::now(),
            sources,
        })
    }

    /// The record as one JSON line, with its trailing `\n`. serde_json
    /// escapes every control character, so a record is exactly one line.
    pub fn to_json_line(&self) -> String {
        let line = Line {
            cert_sha256: hex::encode(self.cert_sha256),
            serial: self.serial.to_hex(),
            issuer: &self.issuer,
            status: self.status,
            reason: self.reason.map(RevocationReason::name),
            revoked_at: self.revoked_at.map(Timestamp::to_rfc3339),
            detail: self.detail.as_deref(),
            validation_time: self.validation_time.to_rfc3339(),
            checked_at: self.checked_at.to_rfc3339(),
            sources: self
                .sources
                .iter()
                .map(|s| SourceLine {
                    kind: s.kind.as_str(),
                    issuer_key_id: hex::encode(s.issuer_key_id.as_bytes()),
                    crl_number: s.crl_number.map(|n| n.to_string()),
                    sha256: hex::encode(s.sha256),
                })
                .collect(),
            kakunin_version: env!("CARGO_PKG_VERSION"),
        };
        // Strings, options and a list of them: serialising cannot fail.
        let mut text = serde_json::to_string(&line).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// The JSON line of a record, field by field in the documented order.
#[derive(Serialize)]
struct Line<'a> {
    cert_sha256: String,
    serial: String,
    issuer: &'a str,
    status: CertStatus,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    detail: Option<&'a str>,
    validation_time: String,
    checked_at: String,
    sources: Vec<SourceLine>,
    kakunin_version: &'static str,
}

/// One source of a [`Line`].
#[derive(Serialize)]
struct SourceLine {
    kind: &'static str,
    issuer_key_id: String,
    crl_number: Option<String>,
    sha256: String,
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
