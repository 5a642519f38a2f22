//! PKCE (RFC 7636) with the `S256` method only.

use aws_lc_rs::{constant_time, digest};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use thiserror::Error;

/// Why a code challenge or verifier was refused.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum PkceError {
    /// Not 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1, §4.2).
    #[error("expected the {what} to be 43-128 characters of [A-Za-z0-9-._~] (RFC 7636 §4.1), found {len} characters{bad}")]
    Syntax {
        /// `code_verifier` or `code_challenge`.
        what: &'static str,
        /// Its length.
        len: usize,
        /// A note on the first character outside the alphabet, if any.
        bad: String,
    },
    /// `BASE64URL(SHA256(code_verifier))` is not the stored challenge
    /// (RFC 7636 §4.6).
    #[error("expected a code_verifier whose S256 transform equals the code_challenge, found a different one")]
    Mismatch,
}

fn check_syntax(what: &'static str, s: &str) -> Result<(), PkceError> {
    let bad = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '~')));
    if (43..=128).contains(&s.len()) && bad.is_none() {
        return Ok(());
    }
    Err(PkceError::Syntax {
        what,
        len: s.chars().count(),
        bad: bad
            .map(|c| format!(", including {c:?}"))
            .unwrap_or_default(),
    })
}

/// Checks the syntax of a `code_challenge` (RFC 7636 §4.2: 43–128
/// unreserved characters).
pub fn check_challenge(challenge: &str) -> Result<(), PkceError> {
    check_syntax("code_challenge", challenge)
}

/// The `S256` challenge for `verifier`: `BASE64URL(SHA256(ASCII(verifier)))`
/// (RFC 7636 §4.2).
pub fn s256_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, verifier.as_bytes()))
}

/// Verifies `verifier` against the stored `challenge` with the `S256`
/// method (RFC 7636 §4.6), comparing in constant time.
pub fn verify(verifier: &str, challenge: &str) -> Result<(), PkceError> {
    check_syntax("code_verifier", verifier)?;
    let computed = s256_challenge(verifier);
    constant_time::verify_slices_are_equal(computed.as_bytes(), challenge.as_bytes())
        .map_err(|_| PkceError::Mismatch)
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 7636 Appendix B.
    const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

    #[test]
    fn rfc7636_appendix_b() {
        assert_eq!(s256_challenge(VERIFIER), CHALLENGE);
        assert_eq!(verify(VERIFIER, CHALLENGE), Ok(()));
    }

    #[test]
    fn wrong_verifier_refused() {
        let other = "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        assert_eq!(verify(other, CHALLENGE), Err(PkceError::Mismatch));
        // `plain` would accept the challenge itself as the verifier.
        assert_eq!(verify(CHALLENGE, CHALLENGE), Err(PkceError::Mismatch));
    }

    #[test]
    fn syntax_refused() {
        assert!(verify(&VERIFIER[..42], CHALLENGE).is_err());
        assert!(verify(&"a".repeat(129), CHALLENGE).is_err());
        let with_plus = format!("{}+", &VERIFIER[..43]);
        assert!(matches!(
            verify(&with_plus, CHALLENGE),
            Err(PkceError::Syntax { .. })
        ));
        assert!(check_challenge(CHALLENGE).is_ok());
        assert!(check_challenge("short").is_err());
        assert!(check_challenge(&format!("{}=", &CHALLENGE[..43])).is_err());
    }
}
