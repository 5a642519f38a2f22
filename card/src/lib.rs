//! # kakunin-card
//!
//! The card front end's library: ISO 7816-4 APDUs ([`apdu`]), a
//! [`Transport`] to reach a card and the T=0 conventions on top of it
//! ([`transport`]), the names of what a JPKI card holds ([`ap`]), PINs
//! that are checked before they are sent and never shown ([`pin`]), and
//! the JPKI-AP client ([`jpki`]).
//!
//! Features: `pcsc`, the PC/SC transport (module `pcsc`); `sim`, the
//! virtual JPKI card (module `sim`), which a program that only reads cards
//! leaves out, and with it the RSA, X.509, JSON and temporary-file crates.
#![deny(missing_docs)]

pub mod ap;
pub mod apdu;
pub mod jpki;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod pin;
#[cfg(feature = "sim")]
pub mod sim;
mod text_ap;
mod tlv;
pub mod transport;

pub use apdu::{Command, Response, StatusWord};
pub use jpki::{CardError, JpkiCard, PinPolicy, TextFacts, Tries};
pub use pin::{Pin, PinSource};
pub use transport::{Channel, Transport, TransportError};
