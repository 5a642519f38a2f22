//! Document signing (署名) behind the OpenID Provider, checked as a
//! platform operator (プラットフォーム事業者) would: an RP registers a sign
//! transaction with a client-credentials token; the holder approves it
//! through the login flow (`scope=openid sign`, `sign_transaction_id`) and
//! the card signs each document; before anything is handed out, every
//! signature is verified against the signing certificate, and the
//! certificate's path, validity and revocation against the served CRLs;
//! the outcome goes into the hash-chained evidence log, then the result
//! is held for the RP. See docs/signing.md.

mod evidence;
mod record;
mod transaction;

use std::time::Duration;

use kakunin_engine::docsig::verify_pkcs1_digest_info;
use kakunin_engine::jpki;
use kakunin_engine::verify::Verdict;
use kakunin_engine::Timestamp;
use kakunin_oidc::clients::Client;
use kakunin_oidc::scope::{Scope, Scopes};
use kakunin_oidc::state::StateStore;

pub(crate) use evidence::EvidenceLog;
pub(crate) use transaction::{RegisterError, Registration, Settled, SignTransaction, StoreError};

use super::facts;
use crate::config::SigningConfig;
use crate::error::ApiError;
use crate::login::{Decision, Outcome as CardOutcome};

/// A store failure as the client sees it (a record that does not parse
/// is ours: internal).
pub(crate) fn store_error(e: StoreError) -> ApiError {
    match e {
        StoreError::State(s) => ApiError::from(s),
        StoreError::AlreadySettled => ApiError::Conflict(
            "this sign transaction was already decided (on another device?)".into(),
        ),
        StoreError::Corrupt(_) => ApiError::Internal,
    }
}

/// How long a settled transaction's result is held for its RP: time to
/// redeem the code and fetch (the access token lives 5 minutes).
pub(crate) const RESULT_LIFETIME: Duration = Duration::from_secs(600);

/// The signing service of one provider.
pub(crate) struct Signing {
    pub(crate) evidence: EvidenceLog,
    pub(crate) max_documents: usize,
    pub(crate) lifetime: Duration,
}

/// Why a registration was refused.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RegisterFailure {
    #[error(transparent)]
    Body(#[from] RegisterError),
    #[error("\"facts\": this client is not registered for the four facts (scopes name, address, birthdate, gender)")]
    FactsNotAllowed,
    #[error("no system random number generator")]
    Random,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The signing certificate as the card front end posted it, and what
/// [`crate::login::check_card`] decided about it.
pub(crate) struct SignCheck<'a> {
    pub(crate) cert: &'a [u8],
    pub(crate) decision: &'a Decision,
    pub(crate) verdict: Option<&'a Verdict>,
    /// Refused before the documents were looked at (the
    /// user-authentication certificate, say), for this reason.
    pub(crate) refused: Option<String>,
}

fn fact_scopes() -> Scopes {
    let mut s = Scopes::default();
    for f in [Scope::Name, Scope::Address, Scope::Birthdate, Scope::Gender] {
        s.insert(f);
    }
    s
}

impl Signing {
    /// Opens the evidence log (continuing its chain).
    pub(crate) fn load(config: &SigningConfig) -> Result<Signing, String> {
        Ok(Signing {
            evidence: EvidenceLog::open(config)?,
            max_documents: config.max_documents.max(1),
            lifetime: config.transaction_lifetime.max(Duration::from_secs(1)),
        })
    }

    /// Registers the transaction `body` describes for `client`, at `now`.
    pub(crate) async fn register(
        &self,
        store: &dyn StateStore,
        client: &Client,
        body: &[u8],
        now: u64,
    ) -> Result<SignTransaction, RegisterFailure> {
        let reg = Registration::parse(body, self.max_documents)?;
        if reg.facts && !fact_scopes().is_subset(client.scopes) {
            return Err(RegisterFailure::FactsNotAllowed);
        }
        let tx = SignTransaction {
            id: transaction::new_id().ok_or(RegisterFailure::Random)?,
            client_id: client.client_id.clone(),
            documents: reg.documents,
            facts: reg.facts,
            created_at: now,
            expires_at: now + self.lifetime.as_secs(),
            settled: None,
        };
        tx.put(store, self.lifetime + RESULT_LIFETIME).await?;
        Ok(tx)
    }

    /// The open transaction `id` for an authorization request of
    /// `client_id`, or why not (an `invalid_request` description, ASCII).
    pub(crate) async fn open_for(
        store: &dyn StateStore,
        id: &str,
        client_id: &str,
        now: u64,
    ) -> Result<SignTransaction, Result<&'static str, StoreError>> {
        let tx = SignTransaction::load(store, id)
            .await
            .map_err(Err)?
            .ok_or(Ok(
                "sign_transaction_id: no such sign transaction (unknown or expired)",
            ))?;
        if tx.client_id != client_id {
            // Said the same way as an unknown id: another client's
            // transactions are not this client's business.
            return Err(Ok(
                "sign_transaction_id: no such sign transaction (unknown or expired)",
            ));
        }
        if tx.settled.is_some() {
            return Err(Ok("sign_transaction_id: this sign transaction has ended"));
        }
        if tx.is_expired(now) {
            return Err(Ok("sign_transaction_id: this sign transaction expired"));
        }
        Ok(tx)
    }

    /// Decides `tx` from the card's signatures: the certificate's verdict,
    /// then every document's signature; writes the evidence record
    /// (fsynced, sealed by a checkpoint) and only then ends the
    /// transaction. An error leaves the transaction open and nothing
    /// recorded as signed.
    pub(crate) async fn settle(
        &self,
        store: &dyn StateStore,
        tx: SignTransaction,
        check: SignCheck<'_>,
        signatures: &[Vec<u8>],
        now: Timestamp,
    ) -> Result<Settled, ApiError> {
        if signatures.len() != tx.documents.len() {
            return Err(ApiError::BadRequest(format!(
                "expected {} document_signatures, one per document, found {}",
                tx.documents.len(),
                signatures.len()
            )));
        }
        let accepted = check.decision.outcome == CardOutcome::Accepted && check.refused.is_none();
        let refused = if let Some(r) = check.refused {
            Some(r)
        } else if accepted {
            first_bad_signature(&tx, check.cert, signatures)
        } else {
            Some(format!(
                "the signing certificate is {}: {}",
                check.decision.status.as_str(),
                check.decision.detail.as_deref().unwrap_or("no detail")
            ))
        };
        // The facts are read before anything is claimed or recorded: a
        // certificate they cannot be read from is refused below.
        let facts = match (&refused, tx.facts) {
            (None, true) => match jpki::basic_facts(check.cert) {
                Ok(Some(f)) => Some(facts::claims(&f, fact_scopes())),
                _ => None,
            },
            _ => None,
        };
        let refused = match (refused, tx.facts, &facts) {
            (None, true, None) => {
                Some("the four facts could not be read from the signing certificate".to_string())
            }
            (r, _, _) => r,
        };
        let outcome = record::Outcome {
            tx: &tx,
            certificate: check.cert,
            verdict: check.verdict,
            cert_status: check.decision.status.as_str(),
            cert_detail: check.decision.detail.as_deref(),
            signatures: if accepted { signatures } else { &[] },
            refused: refused.as_deref(),
            decided_at: now,
        };
        let conflict = store_error;
        tx.claim(store, RESULT_LIFETIME).await.map_err(conflict)?;
        let evidence_id = match self.evidence.append_sealed(record::KIND, &outcome.record()) {
            Ok(id) => id,
            Err(e) => {
                tx.release(store).await;
                return Err(ApiError::Overloaded(e));
            }
        };
        let settled = match refused {
            Some(reason) => Settled::Refused {
                reason,
                evidence_id,
            },
            None => Settled::Signed {
                result: outcome.result(&evidence_id, facts),
                evidence_id,
            },
        };
        tx.finish(store, settled.clone(), RESULT_LIFETIME)
            .await
            .map_err(conflict)?;
        Ok(settled)
    }
}

/// Why the first document whose signature does not verify is refused.
fn first_bad_signature(tx: &SignTransaction, cert: &[u8], sigs: &[Vec<u8>]) -> Option<String> {
    tx.documents.iter().zip(sigs).enumerate().find_map(|(i, (d, s))| {
        let Some(di) = d.digest_info() else {
            return Some(format!("documents[{i}]: the stored DigestInfo does not parse"));
        };
        verify_pkcs1_digest_info(cert, s, &di).err().map(|e| {
            format!(
                "documents[{i}] ({:?}): the signature does not verify with the signing certificate's key: {e}",
                d.label
            )
        })
    })
}
