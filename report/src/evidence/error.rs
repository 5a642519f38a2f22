//! What can go wrong writing or reading an evidence log. Every variant
//! names the file, so that a full disk or a foreign file is never
//! reported without saying where.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// An error of the evidence writer or verifier.
#[derive(Debug)]
#[non_exhaustive]
pub enum EvidenceError {
    /// An I/O error (its text, e.g. "No space left on device", is kept).
    Io {
        /// The file (or directory) concerned.
        path: PathBuf,
        /// What was being done: "opening", "writing", …
        doing: &'static str,
        /// The error.
        source: io::Error,
    },
    /// An existing file whose line cannot continue a chain: the writer
    /// never starts a new chain over it.
    NotAChain {
        /// The file.
        path: PathBuf,
        /// Which line ("first", "last").
        which: &'static str,
        /// What was found.
        detail: String,
    },
    /// Another writer holds the file: two would fork the chain.
    Locked {
        /// The file.
        path: PathBuf,
    },
    /// A rotation would overwrite an existing file.
    RotationTarget {
        /// The file that already exists.
        path: PathBuf,
    },
    /// A body that is not a JSON object, or a kind reserved for the
    /// writer.
    Body {
        /// The kind passed.
        kind: String,
        /// What was wrong.
        detail: String,
    },
    /// The key refused to sign (should not happen with a key that loaded).
    Sign {
        /// The file the checkpoint was for.
        path: PathBuf,
    },
}

impl EvidenceError {
    pub(crate) fn io(path: impl Into<PathBuf>, doing: &'static str, source: io::Error) -> Self {
        EvidenceError::Io {
            path: path.into(),
            doing,
            source,
        }
    }

    /// The I/O error behind this one, if any.
    pub fn io_error(&self) -> Option<&io::Error> {
        match self {
            EvidenceError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for EvidenceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceError::Io {
                path,
                doing,
                source,
            } => write!(f, "{doing} evidence file {}: {source}", path.display()),
            EvidenceError::NotAChain {
                path,
                which,
                detail,
            } => write!(
                f,
                "evidence file {}: its {which} line is not an evidence entry ({detail}); \
                 a chain cannot be continued after it. Move the file away to start a new chain",
                path.display()
            ),
            EvidenceError::Locked { path } => write!(
                f,
                "evidence file {} is locked by another writer (a second one would fork the chain)",
                path.display()
            ),
            EvidenceError::RotationTarget { path } => write!(
                f,
                "cannot rotate the evidence file: {} already exists (expected the rotated name to be free)",
                path.display()
            ),
            EvidenceError::Body { kind, detail } => {
                write!(f, "evidence entry of kind {kind:?}: {detail}")
            }
            EvidenceError::Sign { path } => write!(
                f,
                "signing a checkpoint of evidence file {}: the key refused",
                path.display()
            ),
        }
    }
}

// The I/O error's text is already in the message: no `source()`, so that
// `{:#}` chains do not print it twice.
impl std::error::Error for EvidenceError {}
