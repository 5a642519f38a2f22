//! The writer of the chain: entries buffered and written in fsynced
//! batches, each batch sealed by a signed checkpoint in the same write(2),
//! and the file rotated when it grows past a size (see the parent module
//! for why a crash cannot break the chain).

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use base64::Engine as _;
use kakunin_engine::Timestamp;
use serde::Serialize;

use super::entry::{self, CheckpointBody, CheckpointReason, CHECKPOINT, CONTINUED, GENESIS};
use super::error::EvidenceError;
use super::key::EvidenceKey;
use super::rotate::{latest_rotated, rotated_name};
use super::torn::{first_line, last_line, repair_torn_tail, TornTail};

/// How a [`ChainWriter`] batches and rotates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainOptions {
    /// Write a batch when this many entries are pending (at least 1).
    pub batch_records: usize,
    /// Write a batch when its oldest entry has waited this long (checked on
    /// append and by [`ChainWriter::flush_if_due`]).
    pub batch_interval: Duration,
    /// Rotate the file once a flush leaves it at least this large.
    pub rotate_bytes: Option<u64>,
}

impl Default for ChainOptions {
    /// 256 entries or 100 ms, no rotation.
    fn default() -> Self {
        ChainOptions {
            batch_records: 256,
            batch_interval: Duration::from_millis(100),
            rotate_bytes: None,
        }
    }
}

/// Where an appended entry went in the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Appended {
    /// Its seq.
    pub seq: u64,
    /// SHA-256 of its line: the evidence id (as lower hex, [`Appended::id`]).
    pub hash: [u8; 32],
}

impl Appended {
    /// The evidence id: lower-hex SHA-256 of the entry's line.
    pub fn id(&self) -> String {
        hex::encode(self.hash)
    }
}

/// Appends entries to a hash-chained evidence file.
#[derive(Debug)]
pub struct ChainWriter {
    path: PathBuf,
    file: File,
    key: Option<EvidenceKey>,
    opts: ChainOptions,
    /// Whole lines not yet written (a failed write keeps the rest here).
    buf: Vec<u8>,
    /// The seq the next entry gets.
    next_seq: u64,
    /// The hash of the last line (written or buffered).
    head: [u8; 32],
    /// Entries after the last checkpoint (written or buffered).
    unsealed: usize,
    /// Appended entries not yet written.
    pending: usize,
    oldest_pending: Option<Instant>,
    /// Bytes of the current file on disk.
    file_len: u64,
    /// The seq of the current file's first line (names it at rotation).
    first_seq: u64,
    repaired: Option<TornTail>,
}

impl ChainWriter {
    /// Opens (creating) `path` for appending and continues its chain: a
    /// torn last line is moved to `<path>.torn`, then the last whole line
    /// gives the seq and hash to continue from. An empty file continues
    /// the newest rotated sibling (see [`rotated_name`]) or starts a new
    /// chain. With a key, a new chain starts with a `start` checkpoint and
    /// a file whose last entry is not a checkpoint gets a `recovered` one,
    /// so a new file is never empty and what an earlier run left unsealed
    /// is sealed and marked. A last line that is not an entry is an error:
    /// a chain is never started over an existing file.
    pub fn open(
        path: &Path,
        key: Option<EvidenceKey>,
        opts: ChainOptions,
    ) -> Result<ChainWriter, EvidenceError> {
        let (file, repaired) = open_locked(path)?;
        let mut w = ChainWriter {
            path: path.to_path_buf(),
            file,
            key,
            opts,
            buf: Vec::with_capacity(64 * 1024),
            next_seq: 1,
            head: GENESIS,
            unsealed: 0,
            pending: 0,
            oldest_pending: None,
            file_len: 0,
            first_seq: 1,
            repaired,
        };
        w.file_len = w.file.metadata().map_err(|e| w.err("reading", e))?.len();
        if w.file_len > 0 {
            let last = last_line(&mut w.file, w.file_len).map_err(|e| w.err("reading", e))?;
            let last = w.entry_of(&last, "last")?;
            let first = first_line(&mut w.file).map_err(|e| w.err("reading", e))?;
            w.first_seq = w.entry_of(&first, "first")?.seq;
            w.next_seq = last.seq.saturating_add(1);
            w.head = last.hash;
            if last.kind != CHECKPOINT {
                w.unsealed = 1;
                w.seal(CheckpointReason::Recovered)?;
                w.write_out()?;
            }
            return Ok(w);
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        match latest_rotated(path).map_err(|e| EvidenceError::io(dir, "listing", e))? {
            Some(previous) => w.continue_from(&previous)?,
            None => {
                if w.key.is_some() {
                    w.push_checkpoint(CheckpointReason::Start)?;
                }
            }
        }
        w.write_out()?;
        Ok(w)
    }

    /// What opening repaired, if the file ended mid-line.
    pub fn repaired(&self) -> Option<&TornTail> {
        self.repaired.as_ref()
    }

    /// Entries appended but not yet written.
    pub fn pending(&self) -> usize {
        self.pending
    }

    /// The file being written.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The seq the next entry will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Buffers one entry of `kind` whose record is `body` (a JSON object);
    /// writes the batch when it is full or old enough. The kind
    /// `checkpoint` is the writer's own and refused. An `Err` from writing
    /// means the batch (this entry included) may not be on disk: it stays
    /// buffered, in order, and the next flush retries it.
    pub fn append<T: Serialize>(
        &mut self,
        kind: &'static str,
        body: &T,
    ) -> Result<Appended, EvidenceError> {
        let body_error = |detail: String| EvidenceError::Body {
            kind: kind.to_string(),
            detail,
        };
        if kind == CHECKPOINT {
            return Err(body_error(
                "checkpoints are written by the writer itself, not appended".into(),
            ));
        }
        let json = serde_json::to_string(body)
            .map_err(|e| body_error(format!("cannot serialise the record: {e}")))?;
        if !json.starts_with('{') {
            return Err(body_error(format!(
                "expected the record to be a JSON object, found {json:.40}"
            )));
        }
        let appended = self.push(kind, &json);
        self.unsealed += 1;
        self.pending += 1;
        self.oldest_pending.get_or_insert_with(Instant::now);
        self.flush_if_due()?;
        Ok(appended)
    }

    /// Flushes if the batch is full or its oldest entry has waited
    /// `batch_interval`.
    pub fn flush_if_due(&mut self) -> Result<(), EvidenceError> {
        let old = self
            .oldest_pending
            .is_some_and(|t| t.elapsed() >= self.opts.batch_interval);
        if self.pending >= self.opts.batch_records.max(1) || old {
            self.flush()
        } else {
            Ok(())
        }
    }

    /// Writes every buffered entry and, with a key, a `batch` checkpoint
    /// sealing them, with one write(2) (more only after a short write),
    /// then fsyncs; then rotates if the file has grown past
    /// `rotate_bytes`. On error the unwritten lines stay buffered.
    pub fn flush(&mut self) -> Result<(), EvidenceError> {
        self.seal(CheckpointReason::Batch)?;
        self.write_out()?;
        self.rotate_if_due()
    }

    /// Writes what is buffered and, with a key, a `shutdown` checkpoint,
    /// and closes the file, reporting any error (dropping the writer
    /// flushes too, but cannot report).
    pub fn finish(mut self) -> Result<(), EvidenceError> {
        if self.key.is_some() {
            self.push_checkpoint(CheckpointReason::Shutdown)?;
        }
        self.write_out()
    }

    /// Appends a checkpoint if there is a key and something to seal.
    fn seal(&mut self, reason: CheckpointReason) -> Result<(), EvidenceError> {
        if self.key.is_some() && self.unsealed > 0 {
            self.push_checkpoint(reason)?;
        }
        Ok(())
    }

    /// Buffers a checkpoint over the current head.
    fn push_checkpoint(&mut self, reason: CheckpointReason) -> Result<(), EvidenceError> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        let mut body = CheckpointBody {
            head: hex::encode(self.head),
            head_seq: self.next_seq - 1,
            reason: reason.as_str().to_string(),
            key_id: key.key_id(),
            at: Timestamp::now().to_rfc3339(),
            signature: String::new(),
        };
        let sig = key
            .sign(body.message().as_bytes())
            .ok_or_else(|| EvidenceError::Sign {
                path: self.path.clone(),
            })?;
        body.signature = base64::engine::general_purpose::STANDARD.encode(sig);
        self.push(CHECKPOINT, &body.to_json());
        self.unsealed = 0;
        Ok(())
    }

    /// Buffers one line chained to the head.
    fn push(&mut self, kind: &str, body: &str) -> Appended {
        let line = entry::line(self.next_seq, &self.head, kind, body);
        let appended = Appended {
            seq: self.next_seq,
            hash: entry::hash(line.as_bytes()),
        };
        self.buf.extend_from_slice(line.as_bytes());
        self.buf.push(b'\n');
        self.head = appended.hash;
        self.next_seq += 1;
        appended
    }

    /// Writes the buffer and fsyncs.
    fn write_out(&mut self) -> Result<(), EvidenceError> {
        if self.buf.is_empty() {
            return Ok(());
        }
        let mut written = 0;
        while written < self.buf.len() {
            match self.file.write(&self.buf[written..]) {
                Ok(0) => {
                    let e = io::Error::new(io::ErrorKind::WriteZero, "the file took no bytes");
                    return Err(self.keep_unwritten(written, e));
                }
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // Whatever went out is on file; keep only the rest. If
                // that cut a line, the next open repairs it.
                Err(e) => return Err(self.keep_unwritten(written, e)),
            }
        }
        self.buf.clear();
        self.file_len += written as u64;
        self.file.sync_data().map_err(|e| self.err("syncing", e))?;
        self.pending = 0;
        self.oldest_pending = None;
        Ok(())
    }

    fn keep_unwritten(&mut self, written: usize, e: io::Error) -> EvidenceError {
        self.buf.drain(..written);
        self.file_len += written as u64;
        self.err("writing", e)
    }

    /// After a flush: if the file is at least `rotate_bytes`, seal it with a
    /// `rotation` checkpoint, rename it to [`rotated_name`] and start the
    /// new file with a line chained to the old file's last.
    fn rotate_if_due(&mut self) -> Result<(), EvidenceError> {
        let Some(limit) = self.opts.rotate_bytes else {
            return Ok(());
        };
        if self.file_len < limit || !self.buf.is_empty() {
            return Ok(());
        }
        if self.key.is_some() {
            self.push_checkpoint(CheckpointReason::Rotation)?;
            self.write_out()?;
        }
        let rotated = rotated_name(&self.path, self.first_seq);
        if rotated.exists() {
            return Err(EvidenceError::RotationTarget { path: rotated });
        }
        std::fs::rename(&self.path, &rotated).map_err(|e| self.err("rotating", e))?;
        sync_dir(&self.path);
        let (file, _) = open_locked(&self.path)?;
        self.file = file;
        self.file_len = 0;
        self.continue_from(&rotated)?;
        self.write_out()
    }

    /// Buffers the first line of a file that continues the chain of
    /// `previous` (whose last line is the head, read again from disk when
    /// the writer is new).
    fn continue_from(&mut self, previous: &Path) -> Result<(), EvidenceError> {
        if self.file_len == 0 && self.next_seq == 1 {
            let mut old = open_read(previous)?;
            let len = old
                .metadata()
                .map_err(|e| EvidenceError::io(previous, "reading", e))?
                .len();
            if len > 0 {
                let last = last_line(&mut old, len)
                    .map_err(|e| EvidenceError::io(previous, "reading", e))?;
                let last =
                    entry::parse_entry(&last).map_err(|detail| EvidenceError::NotAChain {
                        path: previous.to_path_buf(),
                        which: "last",
                        detail,
                    })?;
                self.next_seq = last.seq.saturating_add(1);
                self.head = last.hash;
            }
        }
        self.first_seq = self.next_seq;
        if self.key.is_some() {
            self.push_checkpoint(CheckpointReason::Continued)
        } else {
            let name = previous
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let body = serde_json::json!({ "previous_file": name }).to_string();
            self.push(CONTINUED, &body);
            Ok(())
        }
    }

    /// Parses the `which` line of the open file.
    fn entry_of(&self, line: &[u8], which: &'static str) -> Result<entry::Entry, EvidenceError> {
        entry::parse_entry(line).map_err(|detail| EvidenceError::NotAChain {
            path: self.path.clone(),
            which,
            detail,
        })
    }

    fn err(&self, doing: &'static str, e: io::Error) -> EvidenceError {
        EvidenceError::io(&self.path, doing, e)
    }
}

impl Drop for ChainWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() || (self.key.is_some() && self.unsealed > 0) {
            let _ = self.seal(CheckpointReason::Batch);
            let _ = self.write_out();
        }
    }
}

/// Opens `path` for appending (creating it), takes the writer's lock and
/// repairs a torn tail.
fn open_locked(path: &Path) -> Result<(File, Option<TornTail>), EvidenceError> {
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| EvidenceError::io(path, "opening", e))?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            return Err(EvidenceError::Locked {
                path: path.to_path_buf(),
            })
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(EvidenceError::io(path, "locking", e)),
    }
    let repaired =
        repair_torn_tail(&mut file, path).map_err(|e| EvidenceError::io(path, "repairing", e))?;
    Ok((file, repaired))
}

fn open_read(path: &Path) -> Result<File, EvidenceError> {
    File::open(path).map_err(|e| EvidenceError::io(path, "opening", e))
}

/// Best effort: makes a rename durable. A directory that cannot be opened
/// or synced (some file systems) leaves the rename to the next sync.
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}
