//! Login challenges: random, short-lived, single-use, and stateless until
//! used.
//!
//! A challenge is the base64url text (no padding) of 41 bytes:
//!
//! ```text
//! version (1 byte, 0x01) ‖ expires (8 bytes, big-endian Unix seconds)
//!   ‖ nonce (16 random bytes)
//!   ‖ tag (the first 16 bytes of HMAC-SHA256(key, "kakunin challenge v1" ‖ the 25 bytes before))
//! ```
//!
//! The server keeps nothing when it hands one out: the tag proves it minted
//! it, and `expires` (under the tag) says until when it counts. Replicas
//! that share the key accept each other's challenges; single use is then
//! the job of the replay cache ([`super::replay`]) and of the routing rule
//! documented in docs/serve.md (Card login).

use aws_lc_rs::hmac;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kakunin_engine::Timestamp;

const VERSION: u8 = 1;
const LABEL: &[u8] = b"kakunin challenge v1";
const BODY_LEN: usize = 1 + 8 + 16;
const TAG_LEN: usize = 16;
const TOKEN_LEN: usize = BODY_LEN + TAG_LEN;
/// Its base64url text, unpadded: 55 characters.
const TEXT_LEN: usize = (TOKEN_LEN * 8).div_ceil(6);
/// Shortest challenge key accepted from a file, in bytes.
pub(crate) const MIN_KEY_LEN: usize = 32;

/// Why a challenge is refused. The messages are what the `detail` of a
/// refused login says.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ChallengeError {
    /// Not the text of a challenge at all.
    #[error("challenge is malformed: {0}")]
    Malformed(&'static str),
    /// The tag does not verify: another server's (or a made-up) challenge,
    /// or one from before a key change.
    #[error("challenge was not issued by this service (or the challenge key changed since)")]
    NotIssuedHere,
    /// Its lifetime is over.
    #[error("challenge expired at {0}; ask for a new one")]
    Expired(Timestamp),
}

/// A challenge as the server checked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Opened {
    /// Its random part: what the replay cache remembers.
    pub(crate) nonce: u128,
    /// When it stops counting.
    pub(crate) expires: Timestamp,
}

/// The key challenges are minted and checked with.
pub(crate) struct ChallengeKey {
    key: hmac::Key,
    rng: SystemRandom,
}

impl ChallengeKey {
    /// A fresh random key: challenges count on this process only.
    pub(crate) fn random() -> Result<ChallengeKey, aws_lc_rs::error::Unspecified> {
        let rng = SystemRandom::new();
        let mut bytes = [0u8; 32];
        rng.fill(&mut bytes)?;
        Ok(ChallengeKey::from_bytes(&bytes))
    }

    /// A key shared by replicas (at least [`MIN_KEY_LEN`] bytes).
    pub(crate) fn from_bytes(bytes: &[u8]) -> ChallengeKey {
        ChallengeKey {
            key: hmac::Key::new(hmac::HMAC_SHA256, bytes),
            rng: SystemRandom::new(),
        }
    }

    /// Hex HMAC of a fixed label under the key: equal on two replicas
    /// exactly when their keys are, and telling nothing of the key.
    pub(crate) fn fingerprint(&self) -> String {
        hex::encode(hmac::sign(&self.key, b"kakunin deployment fingerprint v1").as_ref())
    }

    fn tag(&self, body: &[u8]) -> [u8; TAG_LEN] {
        let mut ctx = hmac::Context::with_key(&self.key);
        ctx.update(LABEL);
        ctx.update(body);
        let full = ctx.sign();
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(&full.as_ref()[..TAG_LEN]);
        tag
    }

    /// A new challenge that expires at `expires`.
    pub(crate) fn mint(&self, expires: Timestamp) -> Result<String, aws_lc_rs::error::Unspecified> {
        let mut token = [0u8; TOKEN_LEN];
        token[0] = VERSION;
        token[1..9].copy_from_slice(&(expires.unix().max(0) as u64).to_be_bytes());
        self.rng.fill(&mut token[9..BODY_LEN])?;
        let tag = self.tag(&token[..BODY_LEN]);
        token[BODY_LEN..].copy_from_slice(&tag);
        Ok(URL_SAFE_NO_PAD.encode(token))
    }

    /// Checks a challenge's form, tag and lifetime at `now`.
    pub(crate) fn open(&self, text: &str, now: Timestamp) -> Result<Opened, ChallengeError> {
        if text.len() != TEXT_LEN {
            return Err(ChallengeError::Malformed("wrong length"));
        }
        let raw = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| ChallengeError::Malformed("not base64url"))?;
        let token: [u8; TOKEN_LEN] = raw
            .try_into()
            .map_err(|_| ChallengeError::Malformed("wrong length"))?;
        if token[0] != VERSION {
            return Err(ChallengeError::Malformed("unknown version"));
        }
        let tag = self.tag(&token[..BODY_LEN]);
        if aws_lc_rs::constant_time::verify_slices_are_equal(&tag, &token[BODY_LEN..]).is_err() {
            return Err(ChallengeError::NotIssuedHere);
        }
        let mut secs = [0u8; 8];
        secs.copy_from_slice(&token[1..9]);
        let expires =
            Timestamp::from_unix(i64::try_from(u64::from_be_bytes(secs)).unwrap_or(i64::MAX));
        if now >= expires {
            return Err(ChallengeError::Expired(expires));
        }
        let mut nonce = [0u8; 16];
        nonce.copy_from_slice(&token[9..BODY_LEN]);
        Ok(Opened {
            nonce: u128::from_be_bytes(nonce),
            expires,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: Timestamp = Timestamp::from_unix(1_790_000_000);

    #[test]
    fn minted_challenges_open_until_they_expire() {
        let key = ChallengeKey::from_bytes(&[7; 32]);
        let expires = Timestamp::from_unix(NOW.unix() + 120);
        let a = key.mint(expires).unwrap();
        let b = key.mint(expires).unwrap();
        assert_ne!(a, b, "each challenge has its own nonce");
        assert_eq!(a.len(), 55);
        let opened = key.open(&a, NOW).unwrap();
        assert_eq!(opened.expires, expires);
        assert_ne!(opened.nonce, key.open(&b, NOW).unwrap().nonce);
        assert_eq!(key.open(&a, expires), Err(ChallengeError::Expired(expires)));
        // Another key (another deployment, or a restart without a shared key).
        let other = ChallengeKey::from_bytes(&[8; 32]);
        assert_eq!(other.open(&a, NOW), Err(ChallengeError::NotIssuedHere));
    }

    #[test]
    fn tampered_or_garbage_challenges_are_refused() {
        let key = ChallengeKey::from_bytes(&[7; 32]);
        let good = key.mint(Timestamp::from_unix(NOW.unix() + 120)).unwrap();
        // A later expiry written over the real one breaks the tag.
        let mut raw = URL_SAFE_NO_PAD.decode(&good).unwrap();
        raw[8] ^= 0x40;
        let stretched = URL_SAFE_NO_PAD.encode(&raw);
        assert_eq!(
            key.open(&stretched, NOW),
            Err(ChallengeError::NotIssuedHere)
        );
        raw[8] ^= 0x40;
        raw[0] = 2;
        assert_eq!(
            key.open(&URL_SAFE_NO_PAD.encode(&raw), NOW),
            Err(ChallengeError::Malformed("unknown version"))
        );
        for bad in [
            "",
            "abc",
            &good[1..],
            &format!("{good}A"),
            &good.replace(&good[..4], "!!!!"),
        ] {
            assert!(
                matches!(key.open(bad, NOW), Err(ChallengeError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
