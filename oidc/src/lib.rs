//! kakunin's OpenID Provider core (placeholder doc, replaced below).
#![deny(missing_docs)]

pub mod clients;
pub mod keys;
pub mod pkce;
pub mod scope;
pub mod state;
mod uri;

#[cfg(test)]
mod testkeys;
