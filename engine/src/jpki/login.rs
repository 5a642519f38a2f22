//! The bytes a card signs to log in (電子利用者証明).
//!
//! ```text
//! "kakunin-login-v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(challenge)
//! ```
//!
//! 81 bytes; `origin` and `challenge` as the exact ASCII text sent. The
//! origin in the signature is what stops a relay, as Web eID binds
//! `hash(origin) ‖ hash(nonce)`: a phishing site that fetched a challenge
//! and had a card sign it gets a signature over *its* origin. It lives in
//! the engine because both ends need the same bytes: the server that
//! checks a login and the card front end that has the card sign one.

use crate::crypto;

/// The fixed label that starts every login message.
pub const LOGIN_LABEL: &[u8; 17] = b"kakunin-login-v1\0";

/// The bytes a card signs to log in to `origin` with `challenge`.
pub fn login_message(origin: &str, challenge: &str) -> Vec<u8> {
    let mut m = Vec::with_capacity(LOGIN_LABEL.len() + 64);
    m.extend_from_slice(LOGIN_LABEL);
    m.extend_from_slice(&crypto::sha256(origin.as_bytes()));
    m.extend_from_slice(&crypto::sha256(challenge.as_bytes()));
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_login_message_is_label_and_two_digests() {
        let m = login_message("https://login.example.jp", "abc");
        assert_eq!(m.len(), 81);
        assert_eq!(&m[..17], b"kakunin-login-v1\0");
        assert_eq!(&m[17..49], crypto::sha256(b"https://login.example.jp"));
        assert_eq!(&m[49..], crypto::sha256(b"abc"));
    }
}
