//! Pairing codes: the short name of a pending login request that a person
//! types (or scans) on the device with the card. The provider makes them;
//! the card front end reads what a person typed.
//!
//! Eight characters of Crockford's base32 alphabet (no `I L O U`), 40
//! random bits, shown as `K7QM-3XPA`. Forty bits are not a secret against
//! an offline search, and need not be: a pending request lives five
//! minutes, guessing one only lets the guesser *approve* someone else's
//! request with their own card (the code goes to the browser holding the
//! cookie), and the store's cap bounds how many exist.

use std::fmt;

/// The alphabet (Crockford's base32, upper case).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Characters in a code.
const LEN: usize = 8;

/// A pairing code, normalised: upper case, no hyphen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PairingCode(String);

impl PairingCode {
    /// A fresh random code; `None` when the system has no randomness.
    pub fn random() -> Option<PairingCode> {
        let mut bytes = [0u8; LEN];
        aws_lc_rs::rand::fill(&mut bytes).ok()?;
        Some(PairingCode(
            bytes
                .iter()
                .map(|b| ALPHABET[usize::from(b & 31)] as char)
                .collect(),
        ))
    }

    /// A code as a person may type it: any case, with or without the
    /// hyphen. Crockford's confusable letters are read as the digits they
    /// look like (`O` → `0`, `I`/`L` → `1`).
    pub fn parse(text: &str) -> Option<PairingCode> {
        if text.len() > 2 * LEN {
            return None;
        }
        let mut out = String::with_capacity(LEN);
        for c in text.chars().filter(|&c| c != '-') {
            let c = match c.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                c => c,
            };
            if !c.is_ascii() || !ALPHABET.contains(&(c as u8)) {
                return None;
            }
            out.push(c);
        }
        (out.len() == LEN).then_some(PairingCode(out))
    }

    /// The normalised form, as used in URLs.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The form shown to people: `K7QM-3XPA`.
impl fmt::Display for PairingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (a, b) = self.0.split_at(LEN / 2);
        write!(f, "{a}-{b}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_codes_parse_back_in_every_spelling() {
        let c = PairingCode::random().unwrap();
        assert_eq!(c.as_str().len(), 8);
        assert_eq!(PairingCode::parse(c.as_str()), Some(c.clone()));
        assert_eq!(PairingCode::parse(&c.to_string()), Some(c.clone()));
        assert_eq!(PairingCode::parse(&c.to_string().to_lowercase()), Some(c));
    }

    #[test]
    fn confusables_and_junk() {
        assert_eq!(
            PairingCode::parse("oil0-abcd").unwrap().as_str(),
            "0110ABCD"
        );
        for bad in [
            "",
            "ABCD",
            "ABCD-EFGH-J",
            "ABCD-EFGU",
            "ABCD EFGH",
            "ＡBCD-EFGH",
            "../../x",
        ] {
            assert_eq!(PairingCode::parse(bad), None, "{bad}");
        }
    }
}
