//! The OCSP responder: `POST /ocsp` and `GET /ocsp/{base64}` (RFC 6960,
//! with the RFC 5019 lightweight profile), answered from the same CRL
//! snapshots as the JSON status endpoint.
//!
//! ```text
//! bytes ─→ request::parse (x509-ocsp) ─→ match each CertID to a served CA
//!       ─→ Snapshot::status per serial ─→ cache (no nonce, one CertID)
//!       ─→ signer (bounded; tryLater beyond) ─→ response (DER + HTTP headers)
//! ```
//!
//! What the answers mean: `good` is "not on the CA's current CRL" — the
//! RFC 2560 / RFC 6960 §2.2 meaning a CRL-backed responder can honestly
//! give; it does not say the certificate was ever issued. `unknown` when the
//! CRL is missing or past its nextUpdate (never `good` from stale data).
//!
//! The issuer is matched on both issuerNameHash and issuerKeyHash, in
//! SHA-1 and SHA-256 (both precomputed per CA): JPKI CA generations share
//! one name, so the key hash is what tells them apart. All CertIDs of one
//! request must belong to one CA, since one signature (by that CA or its
//! delegated responder) covers the whole response; anything else is
//! `unauthorized`.

mod cache;
pub(crate) mod get;
pub(crate) mod request;
mod response;
mod signer;

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::{HeaderMap, Response};
use kakunin_engine::store::{RevocationStatus, Store};
use kakunin_engine::{IssuerKeyId, Timestamp};
use tokio::sync::Semaphore;
use x509_ocsp::OcspResponseStatus;

pub use signer::SignerError;

use crate::config::OcspConfig;
use crate::issuers::Issuers;
use crate::metrics::Metrics;
use cache::{Cache, CrlId, Key, Signed};
use request::{HashAlg, Query};
use response::{error_response, Freshness, Single};
use signer::Signer;

/// A CA answered for, with its CertID hashes precomputed.
struct ServedCa {
    key_id: IssuerKeyId,
    sha1: ([u8; 20], [u8; 20]),
    sha256: ([u8; 32], [u8; 32]),
    signer: Arc<Signer>,
}

impl ServedCa {
    /// RFC 6960 §4.1.1: issuerNameHash over the DER of the issuer's
    /// subject, issuerKeyHash over its subjectPublicKey contents.
    fn matches(&self, q: &Query) -> bool {
        let (name, key) = (
            q.cert_id.issuer_name_hash.as_bytes(),
            q.cert_id.issuer_key_hash.as_bytes(),
        );
        match q.alg {
            Some(HashAlg::Sha1) => name == self.sha1.0 && key == self.sha1.1,
            Some(HashAlg::Sha256) => name == self.sha256.0 && key == self.sha256.1,
            None => false,
        }
    }
}

/// The responder's state, shared by all requests.
pub(crate) struct Ocsp {
    served: Vec<ServedCa>,
    cache: Cache,
    signing: Arc<Semaphore>,
}

/// What a server with OCSP signers answers for, for the start-up banner.
#[derive(Clone, Debug)]
pub struct OcspSigner {
    /// The CA.
    pub issuer: IssuerKeyId,
    /// The signing certificate's subject.
    pub subject: String,
    /// Whether a delegated responder certificate (not the CA) signs.
    pub delegated: bool,
}

fn sha256(data: &[u8]) -> [u8; 32] {
    kakunin_engine::crypto::sha256(data)
}

impl Ocsp {
    /// Loads the signers and precomputes the CertID hashes of their CAs.
    pub(crate) fn load(config: &OcspConfig, issuers: &Issuers) -> Result<Ocsp, SignerError> {
        let signers = signer::load(&config.signers, issuers, Timestamp::now())?;
        let mut served = Vec::new();
        for (key_id, s) in signers {
            let Some(issuer) = issuers.by_key_id(&key_id) else {
                continue;
            };
            let (name, key) = (issuer.ca.subject_der(), issuer.ca.public_key_bits());
            served.push(ServedCa {
                key_id,
                sha1: (signer::sha1(name), signer::sha1(key)),
                sha256: (sha256(name), sha256(key)),
                signer: Arc::new(s),
            });
        }
        Ok(Ocsp {
            served,
            cache: Cache::new(config.cache_entries),
            signing: Arc::new(Semaphore::new(
                config.max_concurrent_signatures.min(Semaphore::MAX_PERMITS),
            )),
        })
    }

    /// Who signs for which CA.
    pub(crate) fn signers(&self) -> Vec<OcspSigner> {
        self.served
            .iter()
            .map(|s| OcspSigner {
                issuer: s.key_id,
                subject: s.signer.label.clone(),
                delegated: s.signer.certs.is_some(),
            })
            .collect()
    }

    /// The signers whose certificate has expired at `now`, described for
    /// `/readyz`.
    pub(crate) fn expired_signers(&self, now: Timestamp) -> Vec<String> {
        self.served
            .iter()
            .filter(|s| now >= s.signer.not_after)
            .map(|s| {
                format!(
                    "OCSP signer {:?} for {} expired at {}",
                    s.signer.label,
                    s.key_id.to_hex(),
                    s.signer.not_after
                )
            })
            .collect()
    }

    fn find(&self, q: &Query) -> Option<&ServedCa> {
        self.served.iter().find(|s| s.matches(q))
    }
}

/// `malformedRequest`, counted: for a request that did not even decode.
pub(crate) fn malformed(metrics: &Metrics) -> Response<Full<Bytes>> {
    refuse(metrics, OcspResponseStatus::MalformedRequest)
}

/// An unsuccessful response, counted.
fn refuse(metrics: &Metrics, status: OcspResponseStatus) -> Response<Full<Bytes>> {
    metrics.ocsp_response(status_name(status));
    error_response(status)
}

fn status_name(s: OcspResponseStatus) -> &'static str {
    match s {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}

impl Ocsp {
    /// Answers one DER OCSPRequest from what `store` serves; `headers` are
    /// the request's (for conditional GETs).
    pub(crate) async fn answer(
        &self,
        store: &Store,
        metrics: &Metrics,
        der: &[u8],
        headers: &HeaderMap,
    ) -> Response<Full<Bytes>> {
        let now = Timestamp::now();
        let ocsp = self;
        let parsed = match request::parse(der) {
            Ok(p) => p,
            Err(request::Malformed) => {
                return refuse(metrics, OcspResponseStatus::MalformedRequest)
            }
        };
        let mut ca: Option<&ServedCa> = None;
        for q in &parsed.queries {
            match (ocsp.find(q), ca) {
                (None, _) => return refuse(metrics, OcspResponseStatus::Unauthorized),
                (Some(found), Some(prev)) if found.key_id != prev.key_id => {
                    return refuse(metrics, OcspResponseStatus::Unauthorized)
                }
                (Some(found), _) => ca = Some(found),
            }
        }
        let Some(ca) = ca else {
            return refuse(metrics, OcspResponseStatus::MalformedRequest);
        };
        if now >= ca.signer.not_after {
            // A configuration problem, not the client's: logged, shown by
            // /readyz, and never detailed to the client.
            tracing::error!(
                signer = %ca.signer.label,
                not_after = %ca.signer.not_after,
                "the OCSP signing certificate has expired; answering internalError"
            );
            return refuse(metrics, OcspResponseStatus::InternalError);
        }
        // One snapshot for every CertID: the response reflects one CRL.
        let snapshot = store.snapshot(&ca.key_id);
        let singles: Vec<Single> = parsed
            .queries
            .iter()
            .map(|q| response::single(snapshot.as_deref(), q, now))
            .collect();
        let current = singles
            .iter()
            .all(|s| !matches!(s.status, RevocationStatus::Unknown(_)));
        let crl = snapshot.as_deref().map(|s| {
            let m = &s.meta().crl;
            (
                CrlId {
                    number: m.crl_number,
                    this_update: m.this_update,
                },
                m.next_update,
            )
        });
        let freshness = match crl {
            Some((id, next_update)) if current && parsed.nonce.is_none() => Freshness::Until {
                this_update: id.this_update,
                next_update,
            },
            _ => Freshness::NoCache,
        };
        let cacheable = matches!(freshness, Freshness::Until { .. }) && parsed.queries.len() == 1;
        let cache_key = match (&parsed.queries[..], cacheable) {
            ([q], true) => Key::new(ca.key_id, q),
            _ => None,
        };
        if let (Some(key), Some((crl_id, _))) = (&cache_key, crl) {
            if let Some(hit) = ocsp.cache.get(key, crl_id, now) {
                metrics.ocsp_cache(true);
                metrics.ocsp_response("successful");
                let f = Freshness::Until {
                    this_update: hit.this_update,
                    next_update: hit.next_update,
                };
                return response::success(hit.der.clone(), &hit.etag, f, headers, now);
            }
            metrics.ocsp_cache(false);
        }
        // Shed load rather than queue: a client told tryLater retries or uses
        // a CRL; one left waiting behind thousands of signatures times out.
        let Ok(permit) = ocsp.signing.clone().try_acquire_owned() else {
            return refuse(metrics, OcspResponseStatus::TryLater);
        };
        let signer = ca.signer.clone();
        let queries = parsed.queries;
        let nonce = parsed.nonce;
        let signed = tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let answers: Vec<(&Query, Single)> = queries.iter().zip(singles).collect();
            response::sign(&signer, &answers, nonce.as_ref(), now)
        })
        .await;
        let der = match signed {
            Ok(Ok(der)) => Bytes::from(der),
            Ok(Err(e)) => {
                tracing::error!(error = %e, "OCSP response could not be encoded or signed");
                return refuse(metrics, OcspResponseStatus::InternalError);
            }
            Err(e) => {
                tracing::error!(error = %e, "OCSP signing task failed");
                return refuse(metrics, OcspResponseStatus::InternalError);
            }
        };
        metrics.ocsp_signature();
        metrics.ocsp_response("successful");
        let tag = response::etag(&der);
        if let (Some(key), Some((crl_id, next_update))) = (cache_key, crl) {
            ocsp.cache.put(
                key,
                Arc::new(Signed {
                    der: der.clone(),
                    etag: tag.clone(),
                    this_update: crl_id.this_update,
                    next_update,
                    crl: crl_id,
                }),
            );
        }
        response::success(der, &tag, freshness, headers, now)
    }
}
