//! Card login (電子利用者証明): `GET /v1/challenge` and
//! `POST /v1/authenticate?challenge=C`.
//!
//! The card signs, with its user-authentication key (RSA PKCS#1 v1.5,
//! SHA-256), the bytes [`login_message`] builds from the relying party's
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

use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use kakunin_engine::docsig::{verify_pkcs1_sha256, MessageRef};
use kakunin_engine::verify::Status;
use kakunin_engine::{crypto, jpki, Timestamp};
use serde_json::{json, Value};

pub use challenge::{ChallengeError, MIN_KEY_LEN};

use crate::config::LoginConfig;
use crate::error::ApiError;
use crate::routes::{json_response, query_param};
use crate::verdict::cert_from_json;
use crate::{limits, App};
use challenge::ChallengeKey;
use replay::{Mark, ReplayCache};

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
}

/// The login state of one server.
pub(crate) struct Login {
    key: ChallengeKey,
    replay: ReplayCache,
    origins: Vec<String>,
    lifetime: Duration,
}

impl Login {
    /// Reads the key (or makes a random one) and checks the origins;
    /// `own_origin` is used when none is configured.
    pub(crate) fn new(config: &LoginConfig, own_origin: String) -> Result<Login, LoginError> {
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
            replay: ReplayCache::new(config.max_live_challenges),
            origins,
            lifetime: config.challenge_lifetime,
        })
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

/// `GET /v1/challenge`.
pub(crate) fn challenge(app: &App) -> Result<Response<Full<Bytes>>, ApiError> {
    let login = &app.login;
    // Whole seconds, rounded up: `now` is truncated to its second, so
    // without the extra second a challenge could live almost a second
    // less than the lifetime promised.
    let expires = Timestamp::from_unix(
        Timestamp::now()
            .unix()
            .saturating_add(login.lifetime.as_secs() as i64)
            .saturating_add(1),
    );
    let token = login.key.mint(expires).map_err(|_| ApiError::Internal)?;
    let body = json!({
        "challenge": token,
        "expires_at": expires.to_rfc3339(),
        "origins": login.origins,
        "authenticate": format!("/v1/authenticate?challenge={token}"),
    });
    Ok(json_response(StatusCode::OK, body.to_string().into_bytes()))
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

/// A decided login: the answer object's fields.
struct Decision {
    outcome: Outcome,
    status: &'static str,
    detail: Option<String>,
}

impl Decision {
    fn refuse(outcome: Outcome, detail: impl Into<String>) -> Decision {
        Decision {
            outcome,
            status: "invalid",
            detail: Some(detail.into()),
        }
    }
}

/// `POST /v1/authenticate?challenge=C` with `{"origin", "cert", "signature"}`.
pub(crate) async fn authenticate(
    app: &App,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, ApiError> {
    let challenge = query_param(req.uri().query(), "challenge")
        .ok_or_else(|| {
            ApiError::BadRequest(
                "give the challenge in the query: POST /v1/authenticate?challenge=C".into(),
            )
        })?
        .to_string();
    let body = limits::read_body(req, &app.limits).await?;
    let v: Value = serde_json::from_slice(&body).map_err(|e| {
        ApiError::BadRequest(format!(
            "body is not a JSON object {{\"origin\", \"cert\", \"signature\"}}: {e}"
        ))
    })?;
    let origin = v["origin"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("missing \"origin\"".into()))?;
    let cert = cert_from_json(&v).map_err(ApiError::BadRequest)?;
    let sig = v["signature"]
        .as_str()
        .ok_or_else(|| ApiError::BadRequest("missing \"signature\"".into()))
        .and_then(|s| {
            base64::Engine::decode(&base64::engine::general_purpose::STANDARD, s.trim())
                .map_err(|e| ApiError::BadRequest(format!("\"signature\" is not base64: {e}")))
        })?;
    let now = Timestamp::now();
    let (decision, verdict) = decide(app, &challenge, origin, &cert, &sig, now)?;
    app.metrics.login(decision.outcome.as_str());
    let serial = verdict.as_ref().and_then(|v| v.serial).map(|s| s.to_hex());
    // Refusals (replays, other origins, revoked cards) are what an operator
    // looks for: info. Accepted logins are the bulk, counted in the
    // metrics: debug (a log line each costs a fifth of the login rate).
    let (serial_text, outcome) = (serial.as_deref().unwrap_or("-"), decision.outcome.as_str());
    if decision.outcome == Outcome::Accepted {
        tracing::debug!(serial = serial_text, outcome, "login");
    } else {
        tracing::info!(serial = serial_text, outcome, "login refused");
    }
    let answer = json!({
        "accepted": decision.outcome == Outcome::Accepted,
        "status": decision.status,
        "detail": decision.detail,
        "subject": verdict.as_ref().and_then(|v| v.subject.clone()),
        "serial": serial,
        "issuer": verdict.as_ref().and_then(|v| v.path.get(1)).map(|p| p.subject.to_string()),
        "not_after": verdict.as_ref().and_then(|v| v.not_after).map(|t| t.to_rfc3339()),
        "cert_sha256": hex::encode(crypto::sha256(&cert)),
    });
    Ok(json_response(
        StatusCode::OK,
        answer.to_string().into_bytes(),
    ))
}

/// Every check of a login, in order; the verdict once the certificate was
/// verified.
fn decide(
    app: &App,
    challenge: &str,
    origin: &str,
    cert: &[u8],
    sig: &[u8],
    now: Timestamp,
) -> Result<(Decision, Option<kakunin_engine::verify::Verdict>), ApiError> {
    let login = &app.login;
    let opened = match login.key.open(challenge, now) {
        Ok(o) => o,
        Err(e) => return Ok((Decision::refuse(Outcome::Challenge, e.to_string()), None)),
    };
    if login.replay.is_used(opened.nonce, opened.expires) {
        return Ok((Decision::refuse(Outcome::Replayed, REPLAYED), None));
    }
    if !login.origins.iter().any(|o| o == origin) {
        let detail = format!(
            "origin {origin:?} is not a relying party of this service (accepted: {})",
            login.origins.join(", ")
        );
        return Ok((Decision::refuse(Outcome::Origin, detail), None));
    }
    let kind_problem = match jpki::classify(cert) {
        jpki::CertKind::JpkiAuthentication => None,
        jpki::CertKind::JpkiSigning => Some(
            "the certificate is the card's signing certificate; a login needs the user-authentication certificate",
        ),
        jpki::CertKind::Other => Some("the certificate is not a JPKI user-authentication certificate"),
    };
    if let Some(p) = kind_problem {
        return Ok((Decision::refuse(Outcome::Certificate, p), None));
    }
    let message = login_message(origin, challenge);
    if let Err(e) = verify_pkcs1_sha256(cert, sig, MessageRef::Data(&message)) {
        let detail = format!(
            "the signature does not verify over the login message with this certificate's key: {e}"
        );
        return Ok((Decision::refuse(Outcome::Signature, detail), None));
    }
    let verifier = app.verifiers.get(&app.store)?;
    let verdict = verifier.verify(cert, now);
    let decision = match &verdict.status {
        Status::Valid => match login.replay.mark_used(opened.nonce, opened.expires, now) {
            Mark::First => Decision {
                outcome: Outcome::Accepted,
                status: "valid",
                detail: None,
            },
            Mark::Replayed => Decision::refuse(Outcome::Replayed, REPLAYED),
            Mark::Full => {
                return Err(ApiError::Overloaded(
                    "too many logins in flight to remember their challenges; try again shortly"
                        .into(),
                ))
            }
        },
        Status::Revoked {
            reason,
            revoked_at,
            depth,
        } => Decision {
            outcome: Outcome::Revoked,
            status: "revoked",
            detail: Some(format!(
                "{} is revoked ({}) since {}",
                if *depth == 0 {
                    "the certificate".to_string()
                } else {
                    format!("the CA certificate at depth {depth}")
                },
                reason.map(|r| r.name()).unwrap_or("no reason given"),
                revoked_at.to_rfc3339()
            )),
        },
        Status::Unknown { detail } => Decision {
            outcome: Outcome::Unknown,
            status: "unknown",
            detail: Some(format!("revocation status unknown: {detail}")),
        },
        Status::Invalid { check, detail } => Decision {
            outcome: Outcome::Invalid,
            status: "invalid",
            detail: Some(format!("{check}: {detail}")),
        },
    };
    Ok((decision, Some(verdict)))
}

const REPLAYED: &str = "challenge was already used; ask for a new one";

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
