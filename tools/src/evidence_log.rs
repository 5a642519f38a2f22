//! The evidence log of one `kakunin verify` or `verify-signature` run: the
//! report crate's chain writer, plus the options both commands share, a
//! notice when opening repaired a torn last line, and a warning when the
//! chain is not signed, so that neither a full disk, a repair nor a
//! missing key goes unexplained.

use std::path::{Path, PathBuf};

use kakunin_report::{ChainOptions, ChainWriter, EvidenceKey, TornTail};
use serde::Serialize;

/// `--evidence FILE [--evidence-key KEY]`, shared by `verify` and
/// `verify-signature`.
#[derive(clap::Args, Debug, Clone, Default)]
pub(crate) struct EvidenceArgs {
    /// Append one evidence entry per decision to FILE: a hash-chained JSON Lines log,
    /// fsynced in batches (see `kakunin evidence verify`).
    #[arg(long, value_name = "FILE")]
    pub(crate) evidence: Option<PathBuf>,
    /// Sign the evidence chain with this EC P-256 private key (PEM, as `openssl genpkey
    /// -algorithm EC -pkeyopt ec_paramgen_curve:P-256` writes): a checkpoint after every
    /// batch and at the end. Without it a rewritten tail cannot be detected.
    #[arg(long, value_name = "KEY", requires = "evidence")]
    pub(crate) evidence_key: Option<PathBuf>,
}

impl EvidenceArgs {
    /// The log, when `--evidence` was given.
    pub(crate) fn open(&self) -> anyhow::Result<Option<EvidenceLog>> {
        self.evidence
            .as_deref()
            .map(|path| EvidenceLog::open(path, self.evidence_key.as_deref()))
            .transpose()
    }
}

/// An open evidence file.
pub(crate) struct EvidenceLog {
    writer: ChainWriter,
}

impl EvidenceLog {
    /// Opens (creating) `path` for appending, signing with the key in
    /// `key` if given. A last line that an earlier run left unfinished
    /// (killed, or out of space) is moved to `path.torn` by the writer;
    /// that is said on stderr, as is a chain without a key.
    pub(crate) fn open(path: &Path, key: Option<&Path>) -> anyhow::Result<EvidenceLog> {
        let key = key.map(EvidenceKey::from_pem_file).transpose()?;
        if key.is_none() {
            eprintln!(
                "kakunin: warning: evidence file {} is hash-chained but not signed \
                 (no --evidence-key): a rewritten tail cannot be detected",
                path.display()
            );
        }
        let writer = ChainWriter::open(path, key, ChainOptions::default())?;
        if let Some(torn) = writer.repaired() {
            eprintln!("kakunin: {}", repair_notice(path, torn));
        }
        Ok(EvidenceLog { writer })
    }

    /// Buffers one entry (written and fsynced in batches).
    pub(crate) fn append<T: Serialize>(
        &mut self,
        kind: &'static str,
        body: &T,
    ) -> anyhow::Result<()> {
        self.writer.append(kind, body)?;
        Ok(())
    }

    /// Writes, seals and fsyncs every buffered entry.
    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        Ok(self.writer.flush()?)
    }

    /// Writes the rest and the closing checkpoint (the error names the
    /// file already).
    pub(crate) fn finish(self) -> anyhow::Result<()> {
        Ok(self.writer.finish()?)
    }
}

fn repair_notice(path: &Path, torn: &TornTail) -> String {
    format!(
        "evidence file {} ended inside a record (an earlier run stopped while writing): \
         moved its last {} bytes to {}; the {} bytes of whole records before them are kept",
        path.display(),
        torn.removed,
        torn.saved_to.display(),
        torn.kept
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_engine::{Serial, Timestamp};
    use kakunin_report::{CertStatus, EvidenceRecord};

    fn record() -> EvidenceRecord {
        EvidenceRecord {
            cert_sha256: [7; 32],
            serial: Serial::from_hex("1A2B").unwrap(),
            issuer: "C=JP, O=JPKI".into(),
            status: CertStatus::Valid,
            reason: None,
            revoked_at: None,
            detail: None,
            validation_time: Timestamp::from_unix(1_800_000_000),
            checked_at: Timestamp::from_unix(1_800_000_000),
            sources: Vec::new(),
        }
    }

    #[test]
    fn a_full_disk_names_the_evidence_file() {
        // /dev/full takes no byte: every write is ENOSPC.
        let path = Path::new("/dev/full");
        let mut log = EvidenceLog::open(path, None).unwrap();
        log.append("status", &record()).unwrap();
        let e = format!("{:#}", log.flush().unwrap_err());
        assert!(
            e.contains("writing evidence file /dev/full") && e.contains("No space left on device"),
            "{e}"
        );
    }

    #[test]
    fn a_repaired_torn_line_is_reported_with_where_it_went() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evidence.jsonl");
        let mut log = EvidenceLog::open(&path, None).unwrap();
        log.append("status", &record()).unwrap();
        log.finish().unwrap();
        let whole = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{whole}{{\"seq\":2,\"pr")).unwrap();
        let log = EvidenceLog::open(&path, None).unwrap();
        let torn = log.writer.repaired().expect("repaired");
        let notice = repair_notice(&path, torn);
        let saved = format!("{}.torn", path.display());
        assert!(
            notice.contains(&saved) && notice.contains("last 12 bytes"),
            "{notice}"
        );
        assert_eq!(
            std::fs::read_to_string(&saved).unwrap(),
            "{\"seq\":2,\"pr\n"
        );
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
    }
}
