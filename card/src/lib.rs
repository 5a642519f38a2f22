//! # kakunin-card
//!
//! The card front end's library: ISO 7816-4 APDUs ([`apdu`]), a
//! [`Transport`] to reach a card and the T=0 conventions on top of it
//! ([`transport`]), the names of what a JPKI card holds ([`ap`]), PINs
//! that are checked before they are sent and never shown ([`pin`]), and
//! the JPKI-AP client ([`jpki`]).
#![deny(missing_docs)]

pub mod ap;
pub mod apdu;
pub mod jpki;
#[cfg(feature = "pcsc")]
pub mod pcsc;
pub mod pin;
pub mod sim;
mod tlv;
pub mod transport;

pub use apdu::{Command, Response, StatusWord};
pub use jpki::{CardError, JpkiCard, PinPolicy, TextFacts, Tries};
pub use pin::{Pin, PinSource};
pub use transport::{Channel, Transport, TransportError};
