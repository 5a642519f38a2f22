//! The envelope of one line, `{"seq","prev","kind","record"}`, and the
//! body of a checkpoint: written here in one fixed byte form, so that the
//! writer and the verifier agree on every byte that is hashed and signed.

use kakunin_engine::crypto;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The `prev` of the first line of a new chain: 32 zero bytes.
pub const GENESIS: [u8; 32] = [0; 32];

/// The kind of the entries the writer signs.
pub(crate) const CHECKPOINT: &str = "checkpoint";
/// The kind of the first line of a rotated-to file when there is no key
/// (with a key that line is a `continued` checkpoint).
pub(crate) const CONTINUED: &str = "continued";

/// Why a checkpoint was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CheckpointReason {
    /// The first line of a new chain.
    Start,
    /// The end of a written batch.
    Batch,
    /// The last line of a file about to be rotated.
    Rotation,
    /// The first line of the file a rotation opened.
    Continued,
    /// Written on opening a file whose last entry was not a checkpoint: it
    /// seals what an earlier run wrote after its last checkpoint.
    Recovered,
    /// The writer was finished (a clean shutdown).
    Shutdown,
}

impl CheckpointReason {
    /// Every reason, for parsing.
    const ALL: [CheckpointReason; 6] = [
        CheckpointReason::Start,
        CheckpointReason::Batch,
        CheckpointReason::Rotation,
        CheckpointReason::Continued,
        CheckpointReason::Recovered,
        CheckpointReason::Shutdown,
    ];

    /// The name in the log.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckpointReason::Start => "start",
            CheckpointReason::Batch => "batch",
            CheckpointReason::Rotation => "rotation",
            CheckpointReason::Continued => "continued",
            CheckpointReason::Recovered => "recovered",
            CheckpointReason::Shutdown => "shutdown",
        }
    }

    /// The reason named `name`.
    pub fn parse(name: &str) -> Option<CheckpointReason> {
        CheckpointReason::ALL
            .into_iter()
            .find(|r| r.as_str() == name)
    }
}

/// The exact text a checkpoint's signature is over (ECDSA P-256 with
/// SHA-256, DER-encoded), one field per line, each ending in `\n`:
///
/// ```text
/// kakunin-evidence-checkpoint v1
/// <head_seq>
/// <head: lower-hex SHA-256 of line head_seq>
/// <at: RFC 3339>
/// <reason>
/// <key_id>
/// ```
///
/// Fixed and free of JSON, so that `openssl dgst -sha256 -verify pub.pem
/// -signature sig.der msg.txt` checks a checkpoint without kakunin.
pub fn checkpoint_message(
    head_seq: u64,
    head: &str,
    at: &str,
    reason: &str,
    key_id: &str,
) -> String {
    format!("kakunin-evidence-checkpoint v1\n{head_seq}\n{head}\n{at}\n{reason}\n{key_id}\n")
}

/// The record of a checkpoint, fields in the order written.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CheckpointBody {
    pub(crate) head: String,
    pub(crate) head_seq: u64,
    pub(crate) reason: String,
    pub(crate) key_id: String,
    pub(crate) at: String,
    /// Base64 (standard, padded) of the DER signature.
    pub(crate) signature: String,
}

impl CheckpointBody {
    /// The text the signature is over.
    pub(crate) fn message(&self) -> String {
        checkpoint_message(
            self.head_seq,
            &self.head,
            &self.at,
            &self.reason,
            &self.key_id,
        )
    }

    /// As JSON (strings and a number: serialising cannot fail).
    pub(crate) fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One line of the log, without its `\n`: the envelope around a body that
/// is already JSON text (an object).
pub(crate) fn line(seq: u64, prev: &[u8; 32], kind: &str, body: &str) -> String {
    // A kind is a plain name, but escape it anyway: a line must stay one
    // line of valid JSON whatever a caller passes.
    let kind = serde_json::to_string(kind).unwrap_or_default();
    format!(
        "{{\"seq\":{seq},\"prev\":\"{}\",\"kind\":{kind},\"record\":{body}}}",
        hex::encode(prev)
    )
}

/// An entry's hash: SHA-256 of its line without the `\n`.
pub(crate) fn hash(line: &[u8]) -> [u8; 32] {
    crypto::sha256(line)
}

/// One parsed line of the log.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// The hash of the line before (32 zero bytes at the start of a chain).
    pub prev: [u8; 32],
    /// What `record` is.
    pub kind: String,
    /// The body.
    pub record: Value,
    /// SHA-256 of the line: the entry's id.
    pub hash: [u8; 32],
}

/// The envelope as it is read: `prev` as text, to say what was found.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    seq: u64,
    prev: String,
    kind: String,
    record: Value,
}

/// Parses one line (without its `\n`). The error says what was expected
/// and what was found.
pub fn parse_entry(line: &[u8]) -> Result<Entry, String> {
    let raw: RawEntry = serde_json::from_slice(line).map_err(|e| {
        format!(
            "not an evidence entry ({e}); expected {{\"seq\":N,\"prev\":\"<64 hex>\",\"kind\":\"…\",\"record\":{{…}}}}"
        )
    })?;
    let prev = parse_hash(&raw.prev).ok_or_else(|| {
        format!(
            "prev is {:?}, expected 64 lower-case hex digits (a SHA-256)",
            raw.prev
        )
    })?;
    if !raw.record.is_object() {
        return Err(format!(
            "record is {}, expected a JSON object",
            json_type(&raw.record)
        ));
    }
    Ok(Entry {
        seq: raw.seq,
        prev,
        kind: raw.kind,
        record: raw.record,
        hash: hash(line),
    })
}

/// 64 lower-case hex digits as 32 bytes.
pub(crate) fn parse_hash(text: &str) -> Option<[u8; 32]> {
    if text.len() != 64 || text.bytes().any(|b| b.is_ascii_uppercase()) {
        return None;
    }
    hex::decode(text).ok()?.try_into().ok()
}

/// What kind of JSON value `v` is, for error messages.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
