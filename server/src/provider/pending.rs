//! Pending requests: an authorization request waiting for the person to
//! approve it with the card, possibly on another device.
//!
//! A pending request is kept in the [`StateStore`] under
//! `pending:{PAIRING}` as JSON, so that a shared store serves it to every
//! replica. It is bound to the browser that made it by a random secret
//! in a `__Host-` cookie (only its SHA-256 is stored): the authorization
//! code goes to that browser and no other, so someone who only saw the
//! pairing code cannot collect it. It is decided once ([`Pending::decide`]
//! is a SET-NX on `decided:{PAIRING}`), and the decision is handed to the
//! browser once ([`Pending::finish`] takes it).

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use kakunin_oidc::request::{AuthorizationRequest, ErrorCode, RedirectError};
use kakunin_oidc::state::{StateError, StateStore};
use serde::{Deserialize, Serialize};

use super::PairingCode;

/// The `acr` values a card login meets, as the Digital Agency's API names
/// them: `aal3` (a hardware key unlocked by a PIN: NIST SP 800-63B AAL3)
/// and `crl` (the certificate checked against the CA's CRL). An `acr` is a
/// claim about the login; one the provider did not meet is never stated
/// (OIDC Core §3.1.2.1: `acr_values` is a request, not an order).
pub(crate) const SUPPORTED_ACR: [&str; 2] = ["aal3", "crl"];

/// Why a pending request could not be made or decided.
#[derive(Debug, thiserror::Error)]
pub(crate) enum PendingError {
    /// The store refused (full, or a shared store unavailable).
    #[error(transparent)]
    State(#[from] StateError),
    /// No randomness for the codes.
    #[error("no system random number generator")]
    Random,
    /// Decided before (by a concurrent approval, say).
    #[error("expected an undecided request, found one already decided")]
    AlreadyDecided,
    /// A stored record that does not parse.
    #[error("expected a pending request record, found one that does not parse: {0}")]
    Corrupt(String),
}

/// How a pending request ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub(crate) enum Decided {
    /// The card signed and every check passed: the browser goes here
    /// (the RP's redirect URI with `code`, `state`, `iss`).
    Approved { location: String },
    /// A check failed; `message` says why in words a person understands,
    /// on a page that links `location` (the RP's redirect URI with
    /// `error=access_denied`, RFC 6749 §4.1.2.1): the person reads why,
    /// then the RP learns the login failed.
    Refused { message: String, location: String },
    /// The person said no on the card's device: the browser goes back to
    /// the RP with `error=access_denied`.
    Declined { location: String },
}

/// A request waiting for the card.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Pending {
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) state: String,
    pub(crate) nonce: String,
    pub(crate) code_challenge: String,
    /// The granted scopes, space-separated.
    pub(crate) scope: String,
    /// The first `acr_values` entry this provider meets, stated back in
    /// the ID token ([`SUPPORTED_ACR`]).
    pub(crate) acr: Option<String>,
    /// The `claims` request parameter (OIDC Core §5.5).
    pub(crate) claims: Option<serde_json::Value>,
    /// The sign transaction to approve (`scope=openid sign`).
    #[serde(default)]
    pub(crate) sign_transaction_id: Option<String>,
    /// What the card signs with the origin: 256 random bits.
    pub(crate) challenge: String,
    /// Shown on both screens, for the person to compare.
    pub(crate) verification_code: String,
    /// SHA-256 (base64url) of the browser's cookie secret.
    browser: String,
    /// Seconds since the epoch.
    pub(crate) expires_at: u64,
    pub(crate) decision: Option<Decided>,
}

/// How long an expired request is still held, so that the browser that
/// comes back to it learns it expired and is sent back to the RP (with
/// `access_denied`), instead of finding nothing.
pub(crate) const EXPIRED_HELD: Duration = Duration::from_secs(300);

/// What [`Pending::create`] hands back to the browser.
pub(crate) struct Created {
    pub(crate) pairing: PairingCode,
    pub(crate) pending: Pending,
    /// The cookie's value (only its hash is stored).
    pub(crate) browser_secret: String,
}

fn key(pairing: &PairingCode) -> String {
    format!("pending:{}", pairing.as_str())
}

fn random(n: usize) -> Result<Vec<u8>, PendingError> {
    let mut buf = vec![0u8; n];
    aws_lc_rs::rand::fill(&mut buf).map_err(|_| PendingError::Random)?;
    Ok(buf)
}

fn hash(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        secret.as_bytes(),
    ))
}

impl Pending {
    /// Stores a new pending request for `req`, made at `now` (seconds),
    /// living `lifetime`.
    pub(crate) async fn create(
        store: &dyn StateStore,
        req: &AuthorizationRequest,
        now: u64,
        lifetime: Duration,
    ) -> Result<Created, PendingError> {
        let browser_secret = URL_SAFE_NO_PAD.encode(random(32)?);
        let code = random(2)?;
        let pending = Pending {
            client_id: req.client_id.clone(),
            redirect_uri: req.redirect_uri.clone(),
            state: req.state.clone(),
            nonce: req.nonce.clone(),
            code_challenge: req.code_challenge.clone(),
            scope: req.scopes.to_string(),
            acr: req
                .acr_values
                .iter()
                .find(|v| SUPPORTED_ACR.contains(&v.as_str()))
                .cloned(),
            claims: req.claims.clone(),
            sign_transaction_id: req.sign_transaction_id.clone(),
            challenge: URL_SAFE_NO_PAD.encode(random(32)?),
            verification_code: format!("{:04}", u16::from_be_bytes([code[0], code[1]]) % 10_000),
            browser: hash(&browser_secret),
            expires_at: now + lifetime.as_secs(),
            decision: None,
        };
        let record =
            serde_json::to_vec(&pending).map_err(|e| PendingError::Corrupt(e.to_string()))?;
        // A fresh code is taken atomically (SET NX), so two requests never
        // share one; a collision (2^-40 per pair) just draws again.
        for _ in 0..4 {
            let pairing = PairingCode::random().ok_or(PendingError::Random)?;
            let held = lifetime + EXPIRED_HELD;
            if store
                .mark_once(&format!("pairing:{}", pairing.as_str()), held)
                .await?
            {
                store.put(&key(&pairing), record.clone(), held).await?;
                return Ok(Created {
                    pairing,
                    pending,
                    browser_secret,
                });
            }
        }
        Err(PendingError::Random)
    }

    /// The live pending request `pairing`, if any.
    pub(crate) async fn load(
        store: &dyn StateStore,
        pairing: &PairingCode,
    ) -> Result<Option<Pending>, PendingError> {
        store
            .get(&key(pairing))
            .await?
            .map(|r| serde_json::from_slice(&r).map_err(|e| PendingError::Corrupt(e.to_string())))
            .transpose()
    }

    /// Whether the person's time to approve is over at `now` (seconds).
    pub(crate) fn is_expired(&self, now: u64) -> bool {
        now >= self.expires_at
    }

    /// The RP's redirect URI with `error=access_denied`, this request's
    /// `state` and the issuer (RFC 6749 §4.1.2.1, RFC 9207).
    /// `description` must be ASCII.
    pub(crate) fn denied_location(&self, issuer: &str, description: &str) -> String {
        RedirectError {
            redirect_uri: self.redirect_uri.clone(),
            error: ErrorCode::AccessDenied,
            description: description.into(),
            state: Some(self.state.clone()),
        }
        .location(issuer)
    }

    /// Whether `secret` (the cookie's value) is this request's browser.
    pub(crate) fn is_browser(&self, secret: &str) -> bool {
        let h = hash(secret);
        aws_lc_rs::constant_time::verify_slices_are_equal(h.as_bytes(), self.browser.as_bytes())
            .is_ok()
    }

    /// Records the decision, once: of two concurrent decisions one wins,
    /// the other gets [`PendingError::AlreadyDecided`].
    pub(crate) async fn decide(
        mut self,
        store: &dyn StateStore,
        pairing: &PairingCode,
        decided: Decided,
        now: u64,
    ) -> Result<(), PendingError> {
        let ttl = Duration::from_secs(self.expires_at.saturating_sub(now).max(1)) + EXPIRED_HELD;
        if !store
            .mark_once(&format!("decided:{}", pairing.as_str()), ttl)
            .await?
        {
            return Err(PendingError::AlreadyDecided);
        }
        self.decision = Some(decided);
        let record = serde_json::to_vec(&self).map_err(|e| PendingError::Corrupt(e.to_string()))?;
        store.put(&key(pairing), record, ttl).await?;
        Ok(())
    }

    /// Takes the decided request out of the store, so that its redirect
    /// (and the code in it) is handed out once.
    pub(crate) async fn finish(
        store: &dyn StateStore,
        pairing: &PairingCode,
    ) -> Result<(), PendingError> {
        store.take(&key(pairing)).await?;
        Ok(())
    }
}
