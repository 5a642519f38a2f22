//! The evidence log of one `kakunin verify` run: the engine's writer, plus
//! the file name in every error and a notice when opening repaired a torn
//! last line, so that neither a full disk nor a repair goes unexplained.

use std::path::{Path, PathBuf};

use anyhow::Context;
use kakunin_report::{EvidenceRecord, EvidenceWriter, TornTail};

/// An open evidence file.
pub(crate) struct EvidenceLog {
    path: PathBuf,
    writer: EvidenceWriter,
}

impl EvidenceLog {
    /// Opens (creating) `path` for appending. A last line that an earlier
    /// run left unfinished (killed, or out of space) is moved to
    /// `path.torn` by the engine; that is said on stderr.
    pub(crate) fn open(path: &Path) -> anyhow::Result<EvidenceLog> {
        let writer = EvidenceWriter::open(path)
            .with_context(|| format!("cannot open evidence file {}", path.display()))?;
        if let Some(torn) = writer.repaired() {
            eprintln!("kakunin: {}", repair_notice(path, torn));
        }
        Ok(EvidenceLog {
            path: path.to_path_buf(),
            writer,
        })
    }

    /// Buffers one record (written and fsynced in batches).
    pub(crate) fn append(&mut self, record: &EvidenceRecord) -> anyhow::Result<()> {
        let path = &self.path;
        self.writer
            .append(record)
            .with_context(|| format!("writing evidence file {}", path.display()))
    }

    /// Writes and fsyncs every buffered record.
    pub(crate) fn flush(&mut self) -> anyhow::Result<()> {
        let path = &self.path;
        self.writer
            .flush_batch()
            .with_context(|| format!("writing evidence file {}", path.display()))
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
    use kakunin_report::CertStatus;

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
        let mut log = EvidenceLog::open(path).unwrap();
        log.append(&record()).unwrap();
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
        let whole = record().to_json_line();
        std::fs::write(&path, format!("{whole}{{\"cert_sha")).unwrap();
        let log = EvidenceLog::open(&path).unwrap();
        let torn = log.writer.repaired().expect("repaired");
        let notice = repair_notice(&path, torn);
        let saved = format!("{}.torn", path.display());
        assert!(
            notice.contains(&saved) && notice.contains("last 10 bytes"),
            "{notice}"
        );
        assert_eq!(std::fs::read_to_string(&saved).unwrap(), "{\"cert_sha\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), whole);
    }
}
