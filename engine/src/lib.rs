//! # kakunin-engine
//!
//! The core of kakunin: it answers "is this JPKI certificate valid right
//! now?" at very high rate. Data flows one way, and each stage is a module:
//!
//! ```text
//! CRL bytes ─→ crl      parsed and RFC 5280-checked, zero-copy
//!           ─→ ingest   signature verified against the CA, entries walked
//!                       (in parts, on every core), written as an index file
//!           ─→ index    immutable file, memory-mapped, queried in place
//!           ─→ store    one snapshot per issuer key behind ArcSwap
//!           ─→ lookups  (Store::lookup: good / revoked / unknown)
//!
//! certificate ─→ verify  path to a trust anchor, every signature (crypto),
//!                        validity, and revocation of every certificate on
//!                        the path from raw CRLs or index files
//!             ─→ Verdict valid / revoked / invalid / unknown
//! ```
//!
//! Where a CRL becomes an index: [`ingest`]. Where a certificate gets its
//! verdict: [`verify`]. Around them: [`jpki`] reads the JPKI profile and the
//! holder's basic facts and builds the [`jpki::login_message`] a card signs
//! to log in, [`docsig`] checks document signatures, [`inputs`] streams certificates out of DER and PEM
//! bundles as `kakunin verify` reads them, and [`crypto`] is the one seam to the signature
//! backends (aws-lc-rs by default, ring with `--no-default-features
//! --features ring`).
//!
//! The value types every stage shares are re-exported here: [`Serial`],
//! [`IssuerKeyId`], [`CrlNumber`], [`RevocationReason`], [`ReasonFlags`],
//! [`Timestamp`], [`SignatureAlgorithm`] and the CA certificate
//! [`CaCert`].
//!
//! # Ingest a CRL
//!
//! ```
//! use kakunin_engine::ingest::{ingest, IngestOptions};
//! use kakunin_engine::{CaCert, Timestamp};
//!
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
//! let ca = CaCert::from_pem_or_der(&std::fs::read(format!("{data}/sign-ca.pem"))?)?;
//! let crl = std::fs::read(format!("{data}/sign.crl"))?;
//! let out = tempfile::tempdir()?;
//! let opts = IngestOptions {
//!     now: Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")?,
//!     ..IngestOptions::default()
//! };
//! // Refuses a CRL that fails any check (signature, issuer, RFC 5280 §5);
//! // the index is written to a temporary file and renamed into place.
//! let report = ingest(&crl, &ca, &out.path().join("sign.idx"), &opts, &|_, _| {})?;
//! assert_eq!(report.stats.entries, 1000);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Open an index and look a serial up
//!
//! ```
//! # use kakunin_engine::ingest::{ingest, IngestOptions};
//! # use kakunin_engine::{CaCert, Timestamp};
//! # let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
//! # let ca = CaCert::from_pem_or_der(&std::fs::read(format!("{data}/sign-ca.pem"))?)?;
//! # let crl = std::fs::read(format!("{data}/sign.crl"))?;
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("sign.idx");
//! # let opts = IngestOptions { now: Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")?, ..IngestOptions::default() };
//! # ingest(&crl, &ca, &path, &opts, &|_, _| {})?;
//! use kakunin_engine::index::SerialIndex;
//! use kakunin_engine::Serial;
//!
//! // Opening maps the file and checks the header; nothing is deserialised.
//! let index = SerialIndex::open(&path)?;
//! let revoked = Serial::from_hex("1D1534354987EBB1")?;
//! let hit = index.lookup(&revoked).expect("listed in data/sign.crl");
//! assert_eq!(hit.reason.map(|r| r.name()), Some("keyCompromise"));
//! assert!(index.lookup(&Serial::from_hex("1D153435497E08BD")?).is_none());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Verify a certificate
//!
//! ```
//! use kakunin_engine::verify::{Status, VerifierBuilder};
//! use kakunin_engine::{CaCert, Timestamp};
//!
//! let data = concat!(env!("CARGO_MANIFEST_DIR"), "/../data");
//! let der = |pem: &str| CaCert::from_pem_or_der(pem.as_bytes()).map(|c| c.der().to_vec());
//! let mut builder = VerifierBuilder::new();
//! builder
//!     .trust_anchor_der(&der(&std::fs::read_to_string(format!("{data}/sign-ca.pem"))?)?)?
//!     .crl_der(&std::fs::read(format!("{data}/sign.crl"))?)?;
//! let verifier = builder.build()?;
//! // holders/1/sign.pem is a good signing certificate of the sample PKI.
//! let leaf = der(&std::fs::read_to_string(format!("{data}/holders/1/sign.pem"))?)?;
//! let verdict = verifier.verify(&leaf, Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")?);
//! assert_eq!(verdict.status, Status::Valid);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

// Value types and DER plumbing: private, their public types re-exported
// below.
mod ca;
mod cert;
mod crl_number;
mod der;
mod extension;
mod key_id;
mod mmap;
mod name;
mod oid;
mod reason;
mod serial;
mod sigalg;
mod time;

// The stages (see the diagram above) and what sits beside them.
pub mod crl;
pub mod crypto;
pub mod docsig;
pub mod index;
pub mod ingest;
pub mod inputs;
pub mod jpki;
pub mod store;
pub mod verify;

#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals;

pub use ca::{CaCert, CaError, CaKeyType};
pub use crl_number::{CrlNumber, CrlNumberError};
pub use der::DerError;
pub use key_id::{IssuerKeyId, KeyIdError};
pub use reason::{ReasonFlags, RevocationReason};
pub use serial::{Serial, SerialError};
pub use sigalg::SignatureAlgorithm;
pub use time::{TimeError, Timestamp};
