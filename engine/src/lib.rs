//! # kakunin-engine
//!
//! The core of kakunin: it answers "is this JPKI certificate revoked right
//! now?" at very high rate. Data flows one way:
//!
//! ```text
//! CRL bytes → crl (parsed, RFC 5280-checked, signature verified)
//!           → index (immutable file, mmap'd, queried in place)
//!           → store (one snapshot per issuer key behind ArcSwap)
//!           → lookups
//! ```
//!
//! [`verify`] builds on all of it: certificate paths to a trust anchor,
//! every signature checked through the [`crypto`] seam (aws-lc-rs by
//! default, ring with `--no-default-features --features ring`), and
//! revocation of every certificate on the path from raw CRLs or index
//! files through one lookup code path.
#![deny(missing_docs)]
#![forbid(unsafe_op_in_unsafe_fn)]

pub mod ca;
mod cert;
pub mod crl;
pub mod crl_number;
pub mod crypto;
pub mod der;
pub mod docsig;
pub mod evidence;
mod extension;
pub mod index;
pub mod ingest;
pub mod jpki;
pub mod key_id;
mod name;
mod oid;
pub mod reason;
pub mod serial;
pub mod sigalg;
pub mod store;
pub mod time;
pub mod verify;

pub use ca::{CaCert, CaError};
pub use crl::{Crl, CrlError, CrlScope, Entries, RevokedEntry};
pub use crl_number::CrlNumber;
pub use key_id::IssuerKeyId;
pub use reason::{ReasonFlags, RevocationReason};
pub use serial::Serial;
pub use sigalg::SignatureAlgorithm;
pub use time::Timestamp;
