//! The evidence log (証跡保存): an append-only, hash-chained JSON Lines log
//! of every decision kakunin makes, with signed checkpoints, so that a
//! decision can be shown later and so that changing, removing, inserting or
//! reordering an entry — or rewriting a whole tail with recomputed hashes —
//! is detected by anyone holding the public key (see `docs/evidence.md`).
//!
//! # One line per entry
//!
//! ```text
//! {"seq":57,"prev":"<64 hex>","kind":"status","record":{…}}
//! ```
//!
//! - `seq` starts at 1 and goes up by one across the whole chain:
//!   checkpoints and rotated files included.
//! - `prev` is the lower-hex SHA-256 of the previous line's exact bytes
//!   (without its `\n`); 64 zeros on the first line of a new chain. That
//!   SHA-256 is the entry's *hash*, its evidence id.
//! - `kind` says what `record` is: `status` ([`EvidenceRecord`]),
//!   `signature` ([`SignatureEvidence`](crate::SignatureEvidence)),
//!   `checkpoint` (written only by the writer), `continued` (the first line
//!   of a rotated-to file when there is no key), or any kind a caller names.
//! - A *checkpoint* seals the chain: its record holds the hash and seq of
//!   the line before it, signed with the server's [`EvidenceKey`] (ECDSA
//!   P-256) over a fixed text ([`checkpoint_message`]) that the `openssl`
//!   command line can check.
//!
//! # Why a crash cannot leave a broken chain
//!
//! - The file is opened with `O_APPEND` and locked (`flock`): one writer
//!   per file, since two would fork the chain.
//! - Entries are buffered and handed to the kernel only as whole lines:
//!   one write(2) per batch whose buffer ends with the checkpoint sealing
//!   it, then `fsync`. A batch the caller saw succeed survives power loss.
//! - If the process dies inside a write (a full disk, a kill between the
//!   retries of a short write), the file can end mid-line.
//!   [`ChainWriter::open`] then copies the bytes after the last `\n` to
//!   `<file>.torn` (evidence is never silently destroyed), truncates the
//!   file back to its last whole line, reads that line to continue the
//!   chain, and, with a key, seals what an earlier run left unsealed with
//!   a `recovered` checkpoint.
//!
//! A batch goes out when [`ChainWriter::append`] finds `batch_records`
//! entries pending or the oldest older than `batch_interval`, on
//! [`ChainWriter::flush`] / [`ChainWriter::finish`], and (best effort,
//! errors lost) on drop. There is no background thread: a caller that may
//! go quiet calls [`ChainWriter::flush_if_due`] from its own timer.

mod entry;
mod error;
mod key;
mod record;
mod rotate;
mod torn;
mod verify;
mod writer;

pub use entry::{checkpoint_message, parse_entry, CheckpointReason, Entry, GENESIS};
pub use error::EvidenceError;
pub use key::{EvidenceKey, EvidenceKeyError, EvidencePublicKey};
pub use record::{EvidenceRecord, EvidenceSource};
pub use rotate::rotated_name;
pub use torn::TornTail;
pub use verify::{verify_chain, BreakKind, ChainBreak, ChainFile, ChainReport, Unsealed};
pub use writer::{Appended, ChainOptions, ChainWriter};

#[cfg(test)]
mod tests;
