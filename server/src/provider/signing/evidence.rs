//! The provider's evidence log (証跡): the hash-chained log of
//! `kakunin-report` (docs/evidence.md), one record per settled sign
//! transaction, each written, sealed by a signed checkpoint and fsynced
//! before the transaction's outcome is stored.
//!
//! Fail closed: once a write fails (a full disk, say) the log refuses
//! every later record until the server restarts, and signing answers 503.
//! A record whose write failed half-way may sit in the writer's buffer;
//! letting a later flush put it on file would record an outcome that was
//! never given, so the writer is not used again.

use std::path::PathBuf;
use std::sync::Mutex;

use kakunin_report::evidence::{ChainOptions, ChainWriter, EvidenceKey};
use serde::Serialize;

use crate::config::SigningConfig;

/// An open evidence log.
pub(crate) struct EvidenceLog {
    path: PathBuf,
    /// `None` once a write failed or the log was closed.
    writer: Mutex<Option<ChainWriter>>,
}

impl EvidenceLog {
    /// Opens `config.evidence` with the key `config.evidence_key`,
    /// continuing the chain already on file.
    pub(crate) fn open(config: &SigningConfig) -> Result<EvidenceLog, String> {
        let key = EvidenceKey::from_pem_file(&config.evidence_key)
            .map_err(|e| format!("--evidence-key: {e}"))?;
        let options = ChainOptions {
            // Every record is flushed (and sealed) on its own.
            batch_records: 1,
            rotate_bytes: config.evidence_rotate_bytes,
            ..ChainOptions::default()
        };
        let writer = ChainWriter::open(&config.evidence, Some(key), options)
            .map_err(|e| format!("--evidence {}: {e}", config.evidence.display()))?;
        if let Some(torn) = writer.repaired() {
            tracing::warn!(
                path = %config.evidence.display(),
                removed = torn.removed,
                saved_to = %torn.saved_to.display(),
                "the evidence log ended inside a record (a crash while writing): the partial record was moved aside"
            );
        }
        Ok(EvidenceLog {
            path: config.evidence.clone(),
            writer: Mutex::new(Some(writer)),
        })
    }

    /// Appends one record of `kind`, writes it with a signed checkpoint
    /// and fsyncs; the record's id (lower-hex SHA-256 of its line).
    pub(crate) fn append_sealed<T: Serialize>(
        &self,
        kind: &'static str,
        body: &T,
    ) -> Result<String, String> {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let Some(writer) = guard.as_mut() else {
            return Err(format!(
                "the evidence log {} failed earlier; signing stays off until kakunin serve restarts",
                self.path.display()
            ));
        };
        let written = writer.append(kind, body).and_then(|a| {
            writer.flush()?;
            Ok(a)
        });
        match written {
            Ok(a) => Ok(hex::encode(a.hash)),
            Err(e) => {
                *guard = None;
                tracing::error!(path = %self.path.display(), error = %e, "evidence log write failed; signing is off until restart");
                Err(format!(
                    "the evidence log {} could not be written ({e}); nothing was signed",
                    self.path.display()
                ))
            }
        }
    }

    /// Writes the shutdown checkpoint and closes the log.
    pub(crate) fn close(&self) {
        let mut guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(writer) = guard.take() {
            if let Err(e) = writer.finish() {
                tracing::error!(path = %self.path.display(), error = %e, "closing the evidence log");
            }
        }
    }
}

impl Drop for EvidenceLog {
    /// A server that stops seals its log (the `shutdown` checkpoint).
    fn drop(&mut self) {
        self.close();
    }
}
