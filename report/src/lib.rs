//! # kakunin-report
//!
//! kakunin's output formats, in one home that the offline commands
//! (`kakunin status`, `verify`, `verify-signature`) and the HTTP server
//! (`kakunin serve`) both print through, so a client can switch between
//! the batch tools and the server without a second parser — and without
//! the command line importing the HTTP crate to print a line. As ripgrep
//! keeps its printer apart from its searcher, the engine decides and this
//! crate only says what was decided.
//!
//! - [`status`]: the one mapping from a verification
//!   [`Status`](kakunin_engine::verify::Status) to the fields every output
//!   uses ([`StatusParts`]), and the typed result [`CertStatus`] callers
//!   compare instead of strings.
//! - [`lookup`]: the line of a status look-up ([`answer_line`]).
//! - [`cert_line`]: the line of a verified certificate ([`CertLine`]).
//! - [`signature`]: document signatures in and their checks out
//!   ([`SignedDocument`], [`SignatureCheck`]).
//! - [`signature_evidence`]: the evidence of a signature check
//!   ([`SignatureEvidence`]).
//! - [`evidence`]: the evidence log (証跡): an append-only, crash-safe,
//!   hash-chained JSON Lines log with signed checkpoints ([`ChainWriter`],
//!   [`verify_chain`]) of status decisions ([`EvidenceRecord`]) and
//!   signature checks ([`SignatureEvidence`]).
//!
//! ```
//! use kakunin_engine::store::Store;
//! use kakunin_engine::{Serial, Timestamp};
//!
//! let store = Store::new();
//! let serial = Serial::from_hex("01")?;
//! let issuer = kakunin_engine::IssuerKeyId::from_hex(&"3e".repeat(20))?;
//! // No index installed for this issuer: fail closed, never "good".
//! let line = kakunin_report::answer_line(&issuer, &serial, &store.lookup(&issuer, &serial, Timestamp::now()));
//! assert!(line.to_string().contains(r#""status":"unknown""#));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]

pub mod cert_line;
pub mod evidence;
pub mod lookup;
pub mod signature;
pub mod signature_evidence;
pub mod status;

pub use cert_line::CertLine;
pub use evidence::{
    verify_chain, Appended, ChainOptions, ChainReport, ChainWriter, EvidenceError, EvidenceKey,
    EvidenceKeyError, EvidencePublicKey, EvidenceRecord, EvidenceSource, TornTail,
};
pub use lookup::{answer_line, AnswerLine};
pub use signature::{SignatureCheck, SignedDocument};
pub use signature_evidence::SignatureEvidence;
pub use status::{CertStatus, StatusParts};
