//! Reading an OCSPRequest (RFC 6960 §4.1) with `x509-ocsp`, and deciding
//! what it asks: which CertIDs, in which hash algorithm, with which nonce.
//!
//! Anything that is not a well-formed request a responder can act on is
//! [`Malformed`] (`malformedRequest`); whether we serve the CA is decided
//! later, by the issuer match (`unauthorized`).

use der::asn1::ObjectIdentifier;
use der::Decode;
use kakunin_engine::Serial;
use x509_cert::ext::Extension;
use x509_ocsp::{CertId, OcspRequest};

/// id-pkix-ocsp-nonce (RFC 6960 §4.4.1, RFC 9654).
pub(crate) const ID_PKIX_OCSP_NONCE: ObjectIdentifier =
    ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
const ID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const ID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");

/// Most CertIDs answered in one response. Each costs a look-up only (one
/// signature covers them all), but an unbounded list is still unbounded
/// work and response size; 64 KiB bodies hold about 700 CertIDs.
pub(crate) const MAX_CERT_IDS: usize = 256;

/// RFC 9654 §2.1: a nonce is 1 to 128 octets.
const MAX_NONCE: usize = 128;

/// The hash a CertID was computed with. Responses answer in the client's
/// algorithm (the CertID is echoed as sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum HashAlg {
    Sha1,
    Sha256,
}

/// Not a syntactically valid request we can act on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Malformed;

/// One CertID, as asked.
#[derive(Clone, Debug)]
pub(crate) struct Query {
    /// Echoed in the response byte for byte (RFC 6960 §4.2.1).
    pub(crate) cert_id: CertId,
    /// `None`: a hash algorithm we do not compute, so no CA can match.
    pub(crate) alg: Option<HashAlg>,
    pub(crate) serial: Serial,
}

/// A parsed request.
#[derive(Debug)]
pub(crate) struct Parsed {
    pub(crate) queries: Vec<Query>,
    /// The nonce extension exactly as received, to echo (RFC 9654 §2.1).
    pub(crate) nonce: Option<Extension>,
}

/// Parses the DER of an OCSPRequest.
pub(crate) fn parse(der: &[u8]) -> Result<Parsed, Malformed> {
    let req = OcspRequest::from_der(der).map_err(|_| Malformed)?;
    let tbs = req.tbs_request;
    if tbs.request_list.is_empty() || tbs.request_list.len() > MAX_CERT_IDS {
        return Err(Malformed);
    }
    let mut nonce = None;
    for ext in tbs.request_extensions.iter().flatten() {
        if ext.extn_id != ID_PKIX_OCSP_NONCE {
            continue;
        }
        if nonce.is_some() {
            return Err(Malformed); // RFC 5280 §4.2: at most one of each
        }
        // RFC 9654: the extension value is an OCTET STRING of 1..=128
        // octets (encoded once more inside extnValue).
        let inner =
            der::asn1::OctetString::from_der(ext.extn_value.as_bytes()).map_err(|_| Malformed)?;
        if inner.as_bytes().is_empty() || inner.as_bytes().len() > MAX_NONCE {
            return Err(Malformed);
        }
        nonce = Some(ext.clone());
    }
    let mut queries = Vec::with_capacity(tbs.request_list.len());
    for r in tbs.request_list {
        let id = r.req_cert;
        let alg = match id.hash_algorithm.oid {
            ID_SHA1 => Some(HashAlg::Sha1),
            ID_SHA256 => Some(HashAlg::Sha256),
            _ => None,
        };
        // Parameters must be absent or NULL for both (RFC 5754 §2).
        if let Some(p) = &id.hash_algorithm.parameters {
            if der::Tagged::tag(p) != der::Tag::Null || !p.value().is_empty() {
                return Err(Malformed);
            }
        }
        let want = match alg {
            Some(HashAlg::Sha1) => Some(20),
            Some(HashAlg::Sha256) => Some(32),
            None => None,
        };
        if let Some(n) = want {
            if id.issuer_name_hash.as_bytes().len() != n || id.issuer_key_hash.as_bytes().len() != n
            {
                return Err(Malformed);
            }
        }
        let serial =
            Serial::from_der_content(id.serial_number.as_bytes()).map_err(|_| Malformed)?;
        queries.push(Query {
            cert_id: id,
            alg,
            serial,
        });
    }
    Ok(Parsed { queries, nonce })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use der::asn1::OctetString;
    use der::Encode;
    use spki::AlgorithmIdentifierOwned;
    use x509_cert::serial_number::SerialNumber;
    use x509_ocsp::{Request, TbsRequest};

    /// A request for `serials` with the given hashes (as if of a CA).
    pub(crate) fn request(
        alg: HashAlg,
        name_hash: &[u8],
        key_hash: &[u8],
        serials: &[&[u8]],
        nonce: Option<&[u8]>,
    ) -> Vec<u8> {
        let oid = match alg {
            HashAlg::Sha1 => ID_SHA1,
            HashAlg::Sha256 => ID_SHA256,
        };
        let request_list = serials
            .iter()
            .map(|s| Request {
                req_cert: CertId {
                    hash_algorithm: AlgorithmIdentifierOwned {
                        oid,
                        parameters: Some(der::asn1::Null.into()),
                    },
                    issuer_name_hash: OctetString::new(name_hash).unwrap(),
                    issuer_key_hash: OctetString::new(key_hash).unwrap(),
                    serial_number: SerialNumber::new(s).unwrap(),
                },
                single_request_extensions: None,
            })
            .collect();
        let request_extensions = nonce.map(|n| {
            vec![Extension {
                extn_id: ID_PKIX_OCSP_NONCE,
                critical: false,
                extn_value: OctetString::new(OctetString::new(n).unwrap().to_der().unwrap())
                    .unwrap(),
            }]
        });
        OcspRequest {
            tbs_request: TbsRequest {
                version: Default::default(),
                requestor_name: None,
                request_list,
                request_extensions,
            },
            optional_signature: None,
        }
        .to_der()
        .unwrap()
    }

    #[test]
    fn well_formed_requests_parse_with_their_nonce() {
        let der = request(
            HashAlg::Sha1,
            &[1; 20],
            &[2; 20],
            &[&[5], &[0x1d, 0x15]],
            Some(b"abc"),
        );
        let p = parse(&der).unwrap();
        assert_eq!(p.queries.len(), 2);
        assert_eq!(p.queries[0].alg, Some(HashAlg::Sha1));
        assert_eq!(p.queries[1].serial.to_hex(), "1D15");
        assert!(p.nonce.is_some());
        let p = parse(&request(HashAlg::Sha256, &[1; 32], &[2; 32], &[&[5]], None)).unwrap();
        assert_eq!(p.queries[0].alg, Some(HashAlg::Sha256));
        assert!(p.nonce.is_none());
    }

    #[test]
    fn malformed_requests_are_refused() {
        let good = request(HashAlg::Sha1, &[1; 20], &[2; 20], &[&[5]], None);
        // Garbage, truncation, trailing bytes, empty list, wrong hash sizes.
        let mut trailing = good.clone();
        trailing.push(0);
        let cases: Vec<Vec<u8>> = vec![
            vec![],
            b"hello".to_vec(),
            good[..good.len() - 1].to_vec(),
            trailing,
            request(HashAlg::Sha1, &[1; 20], &[2; 20], &[], None),
            request(HashAlg::Sha1, &[1; 32], &[2; 20], &[&[5]], None),
            request(HashAlg::Sha256, &[1; 20], &[2; 20], &[&[5]], None),
        ];
        for (n, c) in cases.iter().enumerate() {
            assert_eq!(parse(c).unwrap_err(), Malformed, "case {n}");
        }
        let too_many: Vec<&[u8]> = (0..=MAX_CERT_IDS).map(|_| &[5u8][..]).collect();
        let der = request(HashAlg::Sha1, &[1; 20], &[2; 20], &too_many, None);
        assert_eq!(parse(&der).unwrap_err(), Malformed);
    }

    #[test]
    fn nonces_outside_1_to_128_octets_are_malformed() {
        for n in [1usize, 32, 128] {
            let der = request(
                HashAlg::Sha1,
                &[1; 20],
                &[2; 20],
                &[&[5]],
                Some(&vec![7; n]),
            );
            assert!(parse(&der).is_ok(), "{n}");
        }
        for n in [0usize, 129] {
            let der = request(
                HashAlg::Sha1,
                &[1; 20],
                &[2; 20],
                &[&[5]],
                Some(&vec![7; n]),
            );
            assert_eq!(parse(&der).unwrap_err(), Malformed, "{n}");
        }
    }
}
