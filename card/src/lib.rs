//! # kakunin-card
//!
//! The card front end's library: ISO 7816-4 APDUs ([`apdu`]), a
//! [`Transport`] to reach a card and the T=0 conventions on top of it
//! ([`transport`]), and the names of what a JPKI card holds ([`ap`]).
#![deny(missing_docs)]

pub mod ap;
pub mod apdu;
pub mod sim;
pub mod transport;

pub use apdu::{Command, Response, StatusWord};
pub use transport::{Channel, Transport, TransportError};
