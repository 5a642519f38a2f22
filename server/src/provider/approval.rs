//! Deciding a pending request from what the card front end posts: the
//! card's signatures over the login message bound to the provider's
//! origin and the request's challenge, checked as a login is
//! ([`crate::login::check_card`]); the pairwise subject; the facts from
//! the signing certificate when the RP asked for them; then a code.

use kakunin_engine::jpki::{self, login_message};
use kakunin_engine::store::Store;
use kakunin_engine::verify::Verdict;
use kakunin_engine::Timestamp;
use kakunin_oidc::code::{self, CodeGrant};
use kakunin_oidc::request::success_location;
use kakunin_oidc::scope::Scopes;
use kakunin_report::signature::cert_text;
use kakunin_report::CertStatus;
use serde::Deserialize;

use super::facts::{self, Evidence};
use super::pending::{Decided, Pending, PendingError};
use super::signing::{Settled, SignCheck, SignTransaction, Signing};
use super::{PairingCode, Provider};
use crate::error::ApiError;
use crate::login::{check_card, Decision, Outcome, Signed};
use crate::verifiers::Verifiers;

/// What `POST /approve/{pairing}` carries (docs/oidc.md).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Approval {
    pub(crate) origin: Option<String>,
    /// The user-authentication certificate, base64 DER.
    pub(crate) cert: Option<String>,
    pub(crate) signature: Option<String>,
    /// The signing certificate, when facts were asked for.
    pub(crate) sign_cert: Option<String>,
    pub(crate) sign_signature: Option<String>,
    /// With a sign transaction: the signing key's signature over each
    /// document's DigestInfo, in order, base64.
    pub(crate) document_signatures: Option<Vec<String>>,
    /// The person said no on the card's device.
    #[serde(default)]
    pub(crate) decline: bool,
    /// Why, when it was not the person's choice: `pin_locked`.
    pub(crate) reason: Option<String>,
}

/// The answer to the card front end.
#[derive(Debug, serde::Serialize)]
pub(crate) struct ApprovalAnswer {
    pub(crate) accepted: bool,
    /// `valid`, `revoked`, `unknown`, `invalid`, or `declined`.
    pub(crate) status: &'static str,
    pub(crate) detail: Option<String>,
}

/// A certificate field: PEM or base64 DER, as `POST /v1/authenticate`
/// takes it.
fn cert_field(field: &str, v: Option<&String>) -> Result<Vec<u8>, ApiError> {
    let v = v.ok_or_else(|| ApiError::BadRequest(format!("missing \"{field}\"")))?;
    cert_text(field, v).map_err(ApiError::BadRequest)
}

fn b64(field: &str, v: Option<&String>) -> Result<Vec<u8>, ApiError> {
    let v = v.ok_or_else(|| ApiError::BadRequest(format!("missing \"{field}\"")))?;
    base64::Engine::decode(&base64::engine::general_purpose::STANDARD, v.trim())
        .map_err(|e| ApiError::BadRequest(format!("\"{field}\" is not base64: {e}")))
}

/// What the browser shows for a refused card, in words a person
/// understands (Japanese first, as on the card's own screens).
fn for_a_person(d: &Decision, which: &str) -> String {
    let detail = d.detail.as_deref().unwrap_or("");
    match d.outcome {
        Outcome::Revoked => format!("{which}は失効しています。The card's {which_en} certificate is revoked: {detail}", which_en = english(which)),
        Outcome::Invalid => format!("{which}が有効ではありません(期限切れなど)。The card's {} certificate is not valid: {detail}", english(which)),
        Outcome::Unknown => format!("{which}の失効状態を確認できませんでした。しばらくしてからやり直してください。The {} certificate's revocation status cannot be checked right now; try again later. ({detail})", english(which)),
        Outcome::Signature | Outcome::Certificate => format!("カードの署名を確認できませんでした(別のカード?)。The card's signature did not verify — was it the right card? ({detail})"),
        _ => detail.to_string(),
    }
}

/// What the browser shows for a refused signing certificate.
fn signing_refusal(d: &Decision) -> String {
    if d.outcome == Outcome::Revoked {
        // A signing certificate is revoked whenever a fact on it changes
        // (a move, a new name): its facts are out of date.
        "署名用電子証明書は失効しています。住所・氏名などが変わると失効するため、この証明書の情報は古い可能性があります。The card's signing certificate is revoked: a signing certificate is revoked whenever a fact on it (name, address, ...) changes, so the facts it carries may be out of date. Renew it at the municipal office.".to_string()
    } else {
        for_a_person(d, SIGNING)
    }
}

fn english(which: &str) -> &'static str {
    if which == SIGNING {
        "signing"
    } else {
        "user-authentication"
    }
}

const AUTH: &str = "利用者証明用電子証明書";
const SIGNING: &str = "署名用電子証明書";

/// Decides `pending` (already loaded, undecided) with `body`.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn approve(
    provider: &Provider,
    verifiers: &Verifiers,
    crls: &Store,
    pairing: &PairingCode,
    pending: Pending,
    body: &Approval,
    now: Timestamp,
) -> Result<ApprovalAnswer, ApiError> {
    let store = &*provider.store;
    let secs = now.unix().max(0) as u64;
    let decider = Decider {
        provider,
        pairing,
        secs,
    };
    if body.decline {
        let (decided, detail) = match body.reason.as_deref() {
            Some("pin_locked") => (
                Decided::Refused {
                    message: "カードの暗証番号がロックされています。市区町村の窓口でロックを解除してください。The card's PIN is locked; it can be reset at the municipal office.".into(),
                    location: pending.denied_location(provider.issuer.as_str(), "the card's PIN is locked"),
                },
                "the card's PIN is locked",
            ),
            None | Some("declined") => (
                Decided::Declined {
                    location: pending.denied_location(
                        provider.issuer.as_str(),
                        "the person declined on the card's device",
                    ),
                },
                "declined",
            ),
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "expected \"reason\" to be declined or pin_locked, found {other:?}"
                )))
            }
        };
        decider.decide(pending, decided).await?;
        return Ok(ApprovalAnswer {
            accepted: false,
            status: "declined",
            detail: Some(detail.into()),
        });
    }

    let origin = body
        .origin
        .as_deref()
        .ok_or_else(|| ApiError::BadRequest("missing \"origin\"".into()))?;
    let cert = cert_field("cert", body.cert.as_ref())?;
    let sig = b64("signature", body.signature.as_ref())?;
    let scopes = Scopes::parse(&pending.scope).map_err(|_| ApiError::Internal)?;
    let tx = match &pending.sign_transaction_id {
        None => None,
        Some(id) => match Signing::open_for(store, id, &pending.client_id, secs).await {
            Ok(tx) => Some(tx),
            Err(Err(e)) => return Err(super::signing::store_error(e)),
            Err(Ok(why)) => {
                let message = format!("署名の依頼は終了したか期限切れです。The signing request has ended or expired; start again from the site. ({why})");
                return decider.refuse_early(pending, message, why).await;
            }
        },
    };
    let document_signatures = match (&tx, &body.document_signatures) {
        (None, _) => Vec::new(),
        (Some(_), None) => {
            return Err(ApiError::BadRequest(
                "missing \"document_signatures\" (one per document)".into(),
            ))
        }
        (Some(_), Some(sigs)) => sigs
            .iter()
            .enumerate()
            .map(|(i, s)| b64(&format!("document_signatures[{i}]"), Some(s)))
            .collect::<Result<Vec<_>, _>>()?,
    };
    let sign = if scopes.asks_for_facts() || tx.is_some() {
        Some((
            cert_field("sign_cert", body.sign_cert.as_ref())?,
            b64("sign_signature", body.sign_signature.as_ref())?,
        ))
    } else {
        None
    };
    if origin != provider.origin {
        let detail = format!(
            "the card signed for origin {origin:?}; this provider is {:?}",
            provider.origin
        );
        let message = format!("別のサイト向けの署名です。The card signed for another site ({origin}); start again from the site you want to log in to.");
        return decider
            .refuse(pending, CertStatus::Invalid, message, Some(detail))
            .await;
    }

    let message = login_message(origin, &pending.challenge);
    // The signing certificate first when there is one: with a sign
    // transaction it is the operator's check, and a refusal of it ends the
    // transaction (with evidence) whatever else happens.
    let scheck = match &sign {
        Some((sign_cert, sign_sig)) => {
            let signed = Signed {
                cert: sign_cert,
                sig: sign_sig,
                message: &message,
            };
            Some(check_card(
                verifiers,
                crls,
                jpki::CertKind::JpkiSigning,
                &signed,
                now,
            )?)
        }
        None => None,
    };
    let mut tx = tx;
    let settle = Settle {
        provider,
        sign: &sign,
        scheck: &scheck,
        document_signatures: &document_signatures,
        now,
    };
    if let Some((d, _)) = &scheck {
        if d.outcome != Outcome::Accepted {
            settle.refused(&mut tx, None).await?;
            return decider
                .refuse(pending, d.status, signing_refusal(d), d.detail.clone())
                .await;
        }
    }

    let signed = Signed {
        cert: &cert,
        sig: &sig,
        message: &message,
    };
    let (d, verdict) = check_card(
        verifiers,
        crls,
        jpki::CertKind::JpkiAuthentication,
        &signed,
        now,
    )?;
    let verdict = match (d.outcome, verdict) {
        (Outcome::Accepted, Some(v)) => v,
        _ => {
            settle
                .refused(
                    &mut tx,
                    Some(format!(
                        "the user-authentication certificate is {}: {}",
                        d.status.as_str(),
                        d.detail.as_deref().unwrap_or("no detail")
                    )),
                )
                .await?;
            return decider
                .refuse(pending, d.status, for_a_person(&d, AUTH), d.detail.clone())
                .await;
        }
    };
    let registry = provider.clients();
    let Some(client) = registry.get(&pending.client_id) else {
        settle
            .refused(&mut tx, Some("the client is no longer registered".into()))
            .await?;
        let message =
            "このサイトは登録されていません。The site is no longer registered with this provider."
                .to_string();
        return decider
            .refuse(pending, CertStatus::Invalid, message, None)
            .await;
    };
    let Some(sub) = subject(provider, &client.sector, &verdict) else {
        return Err(ApiError::Internal);
    };

    let mut claims = serde_json::Map::new();
    if let (Some((sign_cert, _)), Some((d, Some(sverdict)))) = (&sign, &scheck) {
        if let Some(t) = tx {
            let signing = provider.signing.as_ref().ok_or(ApiError::Internal)?;
            let check = SignCheck {
                cert: sign_cert,
                decision: d,
                verdict: Some(sverdict),
                refused: None,
            };
            if let Settled::Refused { reason, .. } = signing
                .settle(store, t, check, &document_signatures, now)
                .await?
            {
                // The certificate was good; a document's signature was not.
                let message = format!("文書の署名を確認できませんでした。A document's signature did not verify, so nothing was signed; start again from the site. ({reason})");
                return decider
                    .refuse(pending, CertStatus::Invalid, message, Some(reason))
                    .await;
            }
        }
        let basic = match jpki::basic_facts(sign_cert) {
            Ok(Some(f)) => f,
            _ => {
                let message = "署名用電子証明書から基本4情報を読めませんでした。The facts could not be read from the signing certificate.".to_string();
                return decider
                    .refuse(pending, CertStatus::Invalid, message, None)
                    .await;
            }
        };
        claims = facts::claims(&basic, scopes);
        if facts::wants_verified_claims(pending.claims.as_ref()) {
            let issuer = sverdict
                .path
                .get(1)
                .map(|p| p.subject.to_string())
                .unwrap_or_default();
            let serial = sverdict.serial.map(|s| s.to_hex()).unwrap_or_default();
            let vc = facts::verified_claims(
                &claims,
                &Evidence {
                    issuer: &issuer,
                    serial: &serial,
                    signed_at: now,
                },
            );
            claims.insert("verified_claims".into(), vc);
        }
    } else if sign.is_some() {
        // Accepted without a verdict: cannot happen; refuse rather than
        // hand out facts unchecked.
        return Err(ApiError::Internal);
    }

    let grant = CodeGrant {
        client_id: pending.client_id.clone(),
        redirect_uri: pending.redirect_uri.clone(),
        code_challenge: pending.code_challenge.clone(),
        scope: pending.scope.clone(),
        nonce: pending.nonce.clone(),
        acr: pending.acr.clone(),
        sub,
        auth_time: secs,
        facts: claims,
        sign_transaction_id: pending.sign_transaction_id.clone(),
    };
    let issued = code::issue_for(store, &grant, provider.code_lifetime)
        .await
        .map_err(|e| match e {
            code::CodeError::State(s) => ApiError::from(s),
            _ => ApiError::Internal,
        })?;
    let location = success_location(
        &pending.redirect_uri,
        &issued.code,
        &pending.state,
        provider.issuer.as_str(),
    );
    decider
        .decide(pending, Decided::Approved { location })
        .await?;
    Ok(ApprovalAnswer {
        accepted: true,
        status: CertStatus::Valid.as_str(),
        detail: None,
    })
}

/// The pairwise `sub`: the sector, the issuing CA (SHA-256 of its
/// certificate) and the serial. `None` when the path is too short to name
/// an issuer (a verified path always has one).
fn subject(provider: &Provider, sector: &str, verdict: &Verdict) -> Option<String> {
    let issuer = verdict.path.get(1)?.sha256?;
    let serial = verdict.serial.as_ref()?;
    Some(
        provider
            .pairwise
            .subject(sector, &issuer, serial.as_der_content()),
    )
}

/// Records decisions of one pending request, once.
struct Decider<'a> {
    provider: &'a Provider,
    pairing: &'a PairingCode,
    secs: u64,
}

impl Decider<'_> {
    async fn decide(&self, pending: Pending, decided: Decided) -> Result<(), ApiError> {
        pending
            .decide(&*self.provider.store, self.pairing, decided, self.secs)
            .await
            .map_err(|e| match e {
                PendingError::AlreadyDecided => ApiError::Conflict(
                    "this request was already decided; start again from the site".into(),
                ),
                PendingError::State(s) => ApiError::from(s),
                _ => ApiError::Internal,
            })
    }

    /// Refuses the card: the page says `message`; the RP learns that the
    /// card was refused and the status word, not the person's certificate
    /// or the details.
    async fn refuse(
        &self,
        pending: Pending,
        status: CertStatus,
        message: String,
        detail: Option<String>,
    ) -> Result<ApprovalAnswer, ApiError> {
        let location = pending.denied_location(
            self.provider.issuer.as_str(),
            &format!("the card was refused ({})", status.as_str()),
        );
        self.decide(pending, Decided::Refused { message, location })
            .await?;
        Ok(ApprovalAnswer {
            accepted: false,
            status: status.as_str(),
            detail,
        })
    }

    /// Refuses `pending` before any card check (its sign transaction
    /// ended): the page says `message`, the RP learns `access_denied` with
    /// `why`.
    async fn refuse_early(
        &self,
        pending: Pending,
        message: String,
        why: &str,
    ) -> Result<ApprovalAnswer, ApiError> {
        let location = pending.denied_location(self.provider.issuer.as_str(), why);
        self.decide(pending, Decided::Refused { message, location })
            .await?;
        Ok(ApprovalAnswer {
            accepted: false,
            status: "invalid",
            detail: Some(why.to_string()),
        })
    }
}

/// What ending a sign transaction as refused needs: the signing
/// certificate and its verdict, the document signatures.
struct Settle<'a> {
    provider: &'a Provider,
    sign: &'a Option<(Vec<u8>, Vec<u8>)>,
    scheck: &'a Option<(Decision, Option<Verdict>)>,
    document_signatures: &'a [Vec<u8>],
    now: Timestamp,
}

impl Settle<'_> {
    /// Ends the transaction in `tx` (if any, and taken) as refused for
    /// `reason` (or the certificate's refusal), evidence written.
    async fn refused(
        &self,
        tx: &mut Option<SignTransaction>,
        reason: Option<String>,
    ) -> Result<(), ApiError> {
        let (Some(t), Some((sign_cert, _)), Some((d, sverdict))) =
            (tx.take(), self.sign, self.scheck)
        else {
            return Ok(());
        };
        let signing = self.provider.signing.as_ref().ok_or(ApiError::Internal)?;
        let check = SignCheck {
            cert: sign_cert,
            decision: d,
            verdict: sverdict.as_ref(),
            refused: reason,
        };
        signing
            .settle(
                &*self.provider.store,
                t,
                check,
                self.document_signatures,
                self.now,
            )
            .await?;
        Ok(())
    }
}
