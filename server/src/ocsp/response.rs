//! Building, signing and sending OCSP responses (RFC 6960 §4.2, RFC 5019
//! §2.2 and §6 for the HTTP side).

use bytes::Bytes;
use der::asn1::{BitString, GeneralizedTime, Null, OctetString};
use der::Encode;
use http_body_util::Full;
use hyper::header::{
    HeaderValue, CACHE_CONTROL, CONTENT_TYPE, ETAG, EXPIRES, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use hyper::{HeaderMap, Response, StatusCode};
use kakunin_engine::store::{RevocationStatus, Snapshot};
use kakunin_engine::{RevocationReason, Timestamp};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::CrlReason;
use x509_cert::ext::Extension;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspGeneralizedTime, OcspResponse, OcspResponseStatus,
    ResponderId, ResponseData, RevokedInfo, SingleResponse,
};

use super::request::Query;
use super::signer::{Signer, SHA256_WITH_RSA};

/// The content type of every OCSP answer (RFC 6960 Appendix A.2).
pub(crate) const OCSP_RESPONSE: &str = "application/ocsp-response";

/// The status of one CertID and the times that go with it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Single {
    pub(crate) status: RevocationStatus,
    pub(crate) this_update: Timestamp,
    /// `None` for `unknown`: there is no newer information to wait for.
    pub(crate) next_update: Option<Timestamp>,
}

/// What the snapshot says about `query` at `now`. `good` means "not on the
/// current CRL" (RFC 6960 §2.2 allows exactly this for a CRL-backed
/// responder); a stale or missing CRL gives `unknown`, never `good`.
pub(crate) fn single(snapshot: Option<&Snapshot>, query: &Query, now: Timestamp) -> Single {
    match snapshot {
        Some(s) => {
            let crl = &s.meta().crl;
            let status = s.status(&query.serial, now);
            match status {
                RevocationStatus::Unknown(_) => Single {
                    status,
                    this_update: now,
                    next_update: None,
                },
                _ => Single {
                    status,
                    this_update: crl.this_update,
                    next_update: Some(crl.next_update),
                },
            }
        }
        None => Single {
            status: RevocationStatus::Unknown(kakunin_engine::store::UnknownReason::NoCrl),
            this_update: now,
            next_update: None,
        },
    }
}

fn time(t: Timestamp) -> Result<OcspGeneralizedTime, der::Error> {
    let secs = u64::try_from(t.unix()).map_err(|_| der::ErrorKind::DateTime)?;
    Ok(OcspGeneralizedTime(GeneralizedTime::from_unix_duration(
        std::time::Duration::from_secs(secs),
    )?))
}

fn crl_reason(r: RevocationReason) -> CrlReason {
    match r.code() {
        1 => CrlReason::KeyCompromise,
        2 => CrlReason::CaCompromise,
        3 => CrlReason::AffiliationChanged,
        4 => CrlReason::Superseded,
        5 => CrlReason::CessationOfOperation,
        6 => CrlReason::CertificateHold,
        8 => CrlReason::RemoveFromCRL,
        9 => CrlReason::PrivilegeWithdrawn,
        10 => CrlReason::AaCompromise,
        _ => CrlReason::Unspecified,
    }
}

/// The signed, DER-encoded OCSPResponse for `answers` (CertIDs echoed as
/// asked), with the client's nonce extension echoed when there was one.
pub(crate) fn sign(
    signer: &Signer,
    answers: &[(&Query, Single)],
    nonce: Option<&Extension>,
    now: Timestamp,
) -> Result<Vec<u8>, der::Error> {
    let mut responses = Vec::with_capacity(answers.len());
    for (q, a) in answers {
        let cert_status = match a.status {
            RevocationStatus::Good => CertStatus::good(),
            RevocationStatus::Revoked(r) => CertStatus::revoked(RevokedInfo {
                revocation_time: time(r.revoked_at)?,
                revocation_reason: r.reason.map(crl_reason),
            }),
            RevocationStatus::Unknown(_) => CertStatus::unknown(),
        };
        responses.push(SingleResponse {
            cert_id: q.cert_id.clone(),
            cert_status,
            this_update: time(a.this_update)?,
            next_update: a.next_update.map(time).transpose()?,
            single_extensions: None,
        });
    }
    let tbs = ResponseData {
        version: Default::default(),
        responder_id: ResponderId::ByKey(OctetString::new(signer.key_hash.to_vec())?),
        produced_at: time(now)?,
        responses,
        response_extensions: nonce.map(|n| vec![n.clone()]),
    };
    let tbs_der = tbs.to_der()?;
    let signature = signer
        .sign(&tbs_der)
        .map_err(|_| der::Error::from(der::ErrorKind::Failed))?;
    let basic = BasicOcspResponse {
        tbs_response_data: tbs,
        signature_algorithm: AlgorithmIdentifierOwned {
            oid: SHA256_WITH_RSA,
            parameters: Some(Null.into()),
        },
        signature: BitString::from_bytes(&signature)?,
        certs: signer.certs.clone(),
    };
    OcspResponse::successful(basic)?.to_der()
}

/// An unsigned error response: just the status (RFC 6960 §4.2.1).
pub(crate) fn error_der(status: OcspResponseStatus) -> Vec<u8> {
    // SEQUENCE { ENUMERATED status }; cannot fail, but never panic on it.
    OcspResponse {
        response_status: status,
        response_bytes: None,
    }
    .to_der()
    .unwrap_or_else(|_| vec![0x30, 0x03, 0x0a, 0x01, status as u8])
}

/// A strong ETag for a response body: a digest of its bytes.
pub(crate) fn etag(der: &[u8]) -> String {
    let d = ring::digest::digest(&ring::digest::SHA256, der);
    format!("\"{}\"", hex::encode(&d.as_ref()[..16]))
}

fn http_date(t: Timestamp) -> Option<HeaderValue> {
    let secs = u64::try_from(t.unix()).ok()?;
    let st = std::time::UNIX_EPOCH.checked_add(std::time::Duration::from_secs(secs))?;
    HeaderValue::from_str(&httpdate::fmt_http_date(st)).ok()
}

fn ocsp_response(der: Bytes, cache_control: HeaderValue) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(der));
    let h = resp.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(OCSP_RESPONSE));
    h.insert(CACHE_CONTROL, cache_control);
    resp
}

/// An error status (malformedRequest, unauthorized, tryLater,
/// internalError): HTTP 200 with the OCSP body, as RFC 5019 §2.2.3 and
/// clients expect, and never cached: the next try may well succeed.
pub(crate) fn error_response(status: OcspResponseStatus) -> Response<Full<Bytes>> {
    let mut resp = ocsp_response(
        Bytes::from(error_der(status)),
        HeaderValue::from_static("no-cache"),
    );
    if status == OcspResponseStatus::TryLater {
        resp.headers_mut()
            .insert(RETRY_AFTER, HeaderValue::from_static("1"));
    }
    resp
}

/// When an answer may be cached by HTTP caches.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Freshness {
    /// Every CertID is good or revoked on a current CRL: cacheable until
    /// the earliest nextUpdate (RFC 5019 §6.2).
    Until {
        this_update: Timestamp,
        next_update: Timestamp,
    },
    /// A nonce was echoed (the answer belongs to one request) or some
    /// status is unknown (the next CRL may settle it): not cacheable.
    NoCache,
}

/// A successful response, with RFC 5019 §6 caching headers, or `304` when
/// the client already holds this exact response (`If-None-Match`).
pub(crate) fn success(
    der: Bytes,
    etag_value: &str,
    freshness: Freshness,
    request_headers: &HeaderMap,
    now: Timestamp,
) -> Response<Full<Bytes>> {
    let Freshness::Until {
        this_update,
        next_update,
    } = freshness
    else {
        return ocsp_response(der, HeaderValue::from_static("no-cache"));
    };
    let max_age = (next_update.unix() - now.unix()).max(0);
    let cache_control = HeaderValue::from_str(&format!(
        "max-age={max_age}, public, no-transform, must-revalidate"
    ))
    .unwrap_or(HeaderValue::from_static("no-cache"));
    let not_modified = request_headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag_value || t == "*");
    let mut resp = if not_modified {
        let mut r = Response::new(Full::new(Bytes::new()));
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        r.headers_mut().insert(CACHE_CONTROL, cache_control);
        r
    } else {
        ocsp_response(der, cache_control)
    };
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(etag_value) {
        h.insert(ETAG, v);
    }
    if let Some(v) = http_date(this_update) {
        h.insert(LAST_MODIFIED, v);
    }
    if let Some(v) = http_date(next_update) {
        h.insert(EXPIRES, v);
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_bodies_are_the_bare_status() {
        assert_eq!(
            error_der(OcspResponseStatus::Unauthorized),
            [0x30, 0x03, 0x0a, 0x01, 0x06]
        );
        let r = error_response(OcspResponseStatus::TryLater);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(r.headers()[CONTENT_TYPE], OCSP_RESPONSE);
    }

    #[test]
    fn caching_headers_and_304() {
        let der = Bytes::from_static(b"response");
        let tag = etag(&der);
        let f = Freshness::Until {
            this_update: Timestamp::from_unix(1_000_000),
            next_update: Timestamp::from_unix(1_003_600),
        };
        let now = Timestamp::from_unix(1_000_600);
        let r = success(der.clone(), &tag, f, &HeaderMap::new(), now);
        assert_eq!(r.status(), StatusCode::OK);
        let h = r.headers();
        assert_eq!(
            h[CACHE_CONTROL],
            "max-age=3000, public, no-transform, must-revalidate"
        );
        assert_eq!(h[LAST_MODIFIED], "Mon, 12 Jan 1970 13:46:40 GMT");
        assert_eq!(h[EXPIRES], "Mon, 12 Jan 1970 14:46:40 GMT");
        assert_eq!(h[ETAG], tag.as_str());
        let mut req = HeaderMap::new();
        req.insert(
            IF_NONE_MATCH,
            HeaderValue::from_str(&format!("\"other\", {tag}")).unwrap(),
        );
        let r = success(der.clone(), &tag, f, &req, now);
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
        let r = success(der, &tag, Freshness::NoCache, &req, now);
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
    }
}
