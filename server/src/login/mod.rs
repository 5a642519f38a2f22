//! Card login (電子利用者証明): `GET /v1/challenge` and
//! `POST /v1/authenticate?challenge=C` (the HTTP side is
//! `handlers::login`).
//!
//! The card signs, with its user-authentication key (RSA PKCS#1 v1.5,
//! SHA-256), the bytes `kakunin_engine::jpki::login_message` builds from the relying party's
//! origin and the challenge:
//!
//! ```text
//! "kakunin-login-v1" ‖ 0x00 ‖ SHA-256(origin) ‖ SHA-256(challenge)
//! ```
//!
//! (81 bytes; `origin` and `challenge` as the exact ASCII text sent). The
//! origin in the signature is what stops a relay: a phishing site that
//! fetched our challenge and had a card sign it gets a signature over
//! *its* origin, which is not one of ours.
//!
//! The server checks, in order: the challenge (tag, lifetime, not used
//! before), the origin, that the certificate is a JPKI user-authentication
//! certificate, the signature, and the certificate itself (path, validity,
//! revocation against the CRLs being served). Only then is the challenge
//! marked used, atomically, so that of two racing requests one wins.

mod challenge;
mod replay;

use std::sync::Arc;
use std::time::Duration;

use kakunin_engine::docsig::{verify_pkcs1_sha256, MessageRef};
use kakunin_engine::jpki::{self, login_message};
use kakunin_engine::store::Store;
use kakunin_engine::verify::Verdict;
use kakunin_engine::Timestamp;
use kakunin_report::{CertStatus, StatusParts};

pub(crate) use challenge::MIN_KEY_LEN;

use crate::config::LoginConfig;
use crate::error::ApiError;
use crate::state::State;
use crate::verifiers::Verifiers;
use challenge::ChallengeKey;
use kakunin_oidc::state::StateStore;
use replay::{Mark, ReplayCache};

/// Why the login state cannot be set up.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoginError {
    /// The challenge key file.
    #[error("cannot read the challenge key {path}: {source}")]
    KeyFile {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A key file that is too short to be a secret.
    #[error("challenge key {path} has {len} bytes; at least {MIN_KEY_LEN} are needed (e.g. `head -c 32 /dev/urandom > {path}`)")]
    KeyTooShort {
        /// The file.
        path: std::path::PathBuf,
        /// Its length.
        len: usize,
    },
    /// An `--origin` that is not `scheme://host[:port]`.
    #[error("origin {0:?} is not an origin: expected http(s)://host[:port], lower case, no path")]
    BadOrigin(String),
    /// No system randomness.
    #[error("no system random number generator")]
    Random,
    /// Shared state without a challenge key file.
    #[error("--state redis needs --challenge-key FILE (at least 32 secret bytes, the same on every replica): a challenge minted by one replica must open on the others")]
    SharedNeedsKey,
}

/// Where used challenges are remembered.
enum Replay {
    /// In this process: a replica behind a balancer that routes by
    /// challenge, or the only one.
    Local(ReplayCache),
    /// In the state store every replica shares: a challenge used on one
    /// replica is refused on every other (`challenge:{nonce}`, SET NX),
    /// and one minted before the store's content began is refused
    /// ([`State::epoch`]).
    Shared(Arc<State>),
}

/// The login state of one server.
pub(crate) struct Login {
    key: ChallengeKey,
    replay: Replay,
    origins: Vec<String>,
    lifetime: Duration,
}

impl Login {
    /// Reads the key (or makes a random one) and checks the origins;
    /// `own_origin` is used when none is configured.
    pub(crate) fn new(
        config: &LoginConfig,
        own_origin: String,
        shared: Option<Arc<State>>,
    ) -> Result<Login, LoginError> {
        let key = match &config.key_file {
            Some(path) => {
                let bytes = std::fs::read(path).map_err(|source| LoginError::KeyFile {
                    path: path.clone(),
                    source,
                })?;
                if bytes.len() < MIN_KEY_LEN {
                    return Err(LoginError::KeyTooShort {
                        path: path.clone(),
                        len: bytes.len(),
                    });
                }
                ChallengeKey::from_bytes(&bytes)
            }
            // Replicas sharing a store must open each other's challenges.
            None if shared.is_some() => return Err(LoginError::SharedNeedsKey),
            None => ChallengeKey::random().map_err(|_| LoginError::Random)?,
        };
        let origins = if config.origins.is_empty() {
            vec![own_origin]
        } else {
            config.origins.clone()
        };
        for o in &origins {
            check_origin(o)?;
        }
        Ok(Login {
            key,
            replay: match shared {
                Some(store) => Replay::Shared(store),
                None => Replay::Local(ReplayCache::new(config.max_live_challenges)),
            },
            origins,
            lifetime: config.challenge_lifetime,
        })
    }

    /// An HMAC under the challenge key (not the key): what replicas
    /// sharing a store compare ([`crate::state`]).
    pub(crate) fn key_fingerprint(&self) -> String {
        self.key.fingerprint()
    }

    /// The origins logins are accepted for.
    pub(crate) fn origins(&self) -> &[String] {
        &self.origins
    }
}

/// `scheme://host[:port]` in the form browsers serialise an origin: lower
/// case, no trailing slash, no path.
fn check_origin(o: &str) -> Result<(), LoginError> {
    let rest = o
        .strip_prefix("https://")
        .or_else(|| o.strip_prefix("http://"));
    let ok = rest.is_some_and(|host| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-.:[]".contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(LoginError::BadOrigin(o.to_string()))
    }
}

impl Login {
    /// A fresh challenge and the time it expires.
    pub(crate) fn mint(&self) -> Result<(String, Timestamp), ApiError> {
        // Whole seconds, rounded up: `now` is truncated to its second, so
        // without the extra second a challenge could live almost a second
        // less than the lifetime promised.
        let expires = Timestamp::from_unix(
            Timestamp::now()
                .unix()
                .saturating_add(self.lifetime.as_secs() as i64)
                .saturating_add(1),
        );
        let token = self.key.mint(expires).map_err(|_| ApiError::Internal)?;
        Ok((token, expires))
    }
}

/// What was wrong with a login, as the `outcome` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Accepted,
    Challenge,
    Replayed,
    Origin,
    Certificate,
    Signature,
    Revoked,
    Unknown,
    Invalid,
}

impl Outcome {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Challenge => "challenge",
            Outcome::Replayed => "replayed",
            Outcome::Origin => "origin",
            Outcome::Certificate => "certificate",
            Outcome::Signature => "signature",
            Outcome::Revoked => "revoked",
            Outcome::Unknown => "unknown",
            Outcome::Invalid => "invalid",
        }
    }
}

/// What a login request brings: the challenge it answers, the origin the
/// card signed for, the user-authentication certificate and the signature.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Attempt<'a> {
    pub(crate) challenge: &'a str,
    pub(crate) origin: &'a str,
    pub(crate) cert: &'a [u8],
    pub(crate) sig: &'a [u8],
}

/// A decided login: the answer object's fields.
pub(crate) struct Decision {
    pub(crate) outcome: Outcome,
    pub(crate) status: CertStatus,
    pub(crate) detail: Option<String>,
}

impl Decision {
    pub(crate) fn refuse(outcome: Outcome, detail: impl Into<String>) -> Decision {
        Decision {
            outcome,
            status: CertStatus::Invalid,
            detail: Some(detail.into()),
        }
    }
}

/// Every check of a login, in order; the verdict once the certificate was
/// verified.
impl Login {
    /// Every check of a login against the CRLs `store` serves.
    pub(crate) async fn decide(
        &self,
        verifiers: &Verifiers,
        store: &Store,
        attempt: &Attempt<'_>,
        now: Timestamp,
    ) -> Result<(Decision, Option<Verdict>), ApiError> {
        let Attempt {
            challenge,
            origin,
            cert,
            sig,
        } = *attempt;
        let login = self;
        let opened = match login.key.open(challenge, now) {
            Ok(o) => o,
            Err(e) => return Ok((Decision::refuse(Outcome::Challenge, e.to_string()), None)),
        };
        if let Replay::Shared(state) = &login.replay {
            let minted = opened.expires.unix() - login.lifetime.as_secs() as i64;
            // Challenges carry whole seconds: one minted in the second
            // the store's content began may predate it, and is refused
            // too (the client asks for another).
            if minted <= state.epoch().await? {
                let detail = "the challenge was issued before the shared state store was last \
                    (re)started empty, so whether it was used cannot be known; get a new one";
                return Ok((Decision::refuse(Outcome::Challenge, detail), None));
            }
        }
        if login.is_used(opened.nonce, opened.expires).await? {
            return Ok((Decision::refuse(Outcome::Replayed, REPLAYED), None));
        }
        if !login.origins.iter().any(|o| o == origin) {
            let detail = format!(
                "origin {origin:?} is not a relying party of this service (accepted: {})",
                login.origins.join(", ")
            );
            return Ok((Decision::refuse(Outcome::Origin, detail), None));
        }
        let message = login_message(origin, challenge);
        let (decision, verdict) = check_card(
            verifiers,
            store,
            jpki::CertKind::JpkiAuthentication,
            &Signed {
                cert,
                sig,
                message: &message,
            },
            now,
        )?;
        if decision.outcome != Outcome::Accepted {
            return Ok((decision, verdict));
        }
        let decision = match login.mark_used(opened.nonce, opened.expires, now).await? {
            Mark::First => decision,
            Mark::Replayed => Decision::refuse(Outcome::Replayed, REPLAYED),
            Mark::Full => {
                return Err(ApiError::Overloaded(
                    "too many logins in flight to remember their challenges; try again shortly"
                        .into(),
                ))
            }
        };
        Ok((decision, verdict))
    }
}

impl Login {
    /// Whether the challenge `nonce` was used (a look-up that spares the
    /// card check for a replay; [`Login::mark_used`] decides).
    /// In a shared store the look-up is skipped: a replay is refused by
    /// [`Login::mark_used`] all the same, and a card login then costs two
    /// round trips (the epoch, the mark), not three.
    async fn is_used(&self, nonce: u128, expires: Timestamp) -> Result<bool, ApiError> {
        match &self.replay {
            Replay::Local(cache) => Ok(cache.is_used(nonce, expires)),
            Replay::Shared(_) => Ok(false),
        }
    }

    /// Marks the challenge `nonce` (valid until `expires`) used, once.
    async fn mark_used(
        &self,
        nonce: u128,
        expires: Timestamp,
        now: Timestamp,
    ) -> Result<Mark, ApiError> {
        match &self.replay {
            Replay::Local(cache) => Ok(cache.mark_used(nonce, expires, now)),
            Replay::Shared(store) => {
                let ttl = Duration::from_secs((expires.unix() - now.unix()).max(1) as u64 + 1);
                Ok(match store.mark_once(&challenge_key(nonce), ttl).await? {
                    true => Mark::First,
                    false => Mark::Replayed,
                })
            }
        }
    }
}

/// The store key of a used challenge.
fn challenge_key(nonce: u128) -> String {
    format!("challenge:{nonce:032x}")
}

/// A certificate from the card, and its signature over `message`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Signed<'a> {
    pub(crate) cert: &'a [u8],
    pub(crate) sig: &'a [u8],
    pub(crate) message: &'a [u8],
}

/// The checks a card's signature gets wherever it is used (a login, an
/// OpenID approval): that the certificate is the JPKI certificate `kind`,
/// the signature over the message with its key, then the certificate
/// itself (path, validity, revocation against the CRLs `store` serves).
/// `Accepted` means all passed; marking a challenge used is the caller's.
pub(crate) fn check_card(
    verifiers: &Verifiers,
    store: &Store,
    kind: jpki::CertKind,
    signed: &Signed<'_>,
    now: Timestamp,
) -> Result<(Decision, Option<Verdict>), ApiError> {
    let found = jpki::classify(signed.cert);
    if found != kind {
        let problem = match (kind, found) {
            (jpki::CertKind::JpkiAuthentication, jpki::CertKind::JpkiSigning) => {
                "the certificate is the card's signing certificate; a login needs the user-authentication certificate"
            }
            (jpki::CertKind::JpkiSigning, jpki::CertKind::JpkiAuthentication) => {
                "the certificate is the card's user-authentication certificate; the facts need the signing certificate"
            }
            (jpki::CertKind::JpkiSigning, _) => "the certificate is not a JPKI signing certificate",
            _ => "the certificate is not a JPKI user-authentication certificate",
        };
        return Ok((Decision::refuse(Outcome::Certificate, problem), None));
    }
    if let Err(e) = verify_pkcs1_sha256(signed.cert, signed.sig, MessageRef::Data(signed.message)) {
        let detail = format!(
            "the signature does not verify over the login message with this certificate's key: {e}"
        );
        return Ok((Decision::refuse(Outcome::Signature, detail), None));
    }
    let verifier = verifiers.get(store)?;
    let verdict = verifier.verify(signed.cert, now);
    let parts = StatusParts::of(&verdict.status);
    let decision = match parts.status {
        CertStatus::Valid => Decision {
            outcome: Outcome::Accepted,
            status: CertStatus::Valid,
            detail: None,
        },
        CertStatus::Revoked => Decision {
            outcome: Outcome::Revoked,
            status: CertStatus::Revoked,
            detail: Some(format!(
                "{} is revoked ({}) since {}",
                match parts.revoked_depth {
                    None | Some(0) => "the certificate".to_string(),
                    Some(depth) => format!("the CA certificate at depth {depth}"),
                },
                parts.reason_name().unwrap_or("no reason given"),
                parts.revoked_at.map(|t| t.to_rfc3339()).unwrap_or_default()
            )),
        },
        CertStatus::Unknown => Decision {
            outcome: Outcome::Unknown,
            status: CertStatus::Unknown,
            detail: Some(format!(
                "revocation status unknown: {}",
                parts.detail.unwrap_or_default()
            )),
        },
        CertStatus::Invalid => Decision {
            outcome: Outcome::Invalid,
            status: CertStatus::Invalid,
            detail: parts.detail,
        },
    };
    Ok((decision, Some(verdict)))
}

const REPLAYED: &str = "challenge was already used; ask for a new one";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_must_be_serialised_origins() {
        for ok in [
            "https://login.example.jp",
            "http://127.0.0.1:8080",
            "http://[::1]:80",
        ] {
            assert!(check_origin(ok).is_ok(), "{ok}");
        }
        for bad in [
            "login.example.jp",
            "https://",
            "https://Login.example.jp",
            "https://a/b",
            "ftp://a",
        ] {
            assert!(check_origin(bad).is_err(), "{bad}");
        }
    }
}
