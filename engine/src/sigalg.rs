//! Signature algorithms (RFC 5280 §4.1.1.2, §5.1.1.2): the
//! AlgorithmIdentifier of a certificate or CRL decoded into the few
//! algorithms we can verify. Below both [`crate::crl`] and
//! [`crate::crypto`], as rustls-webpki's `signed_data` is, so that parsing
//! and verifying never import each other.

use std::fmt;

use crate::der::{self, tag, DerError, Oid, Reader};
use crate::oid;

/// Why an AlgorithmIdentifier was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AlgorithmError {
    /// The AlgorithmIdentifier's OID is not DER.
    #[error("malformed signature AlgorithmIdentifier (RFC 5280 §5.1): {0}")]
    Malformed(DerError),
    /// An algorithm we do not verify (incl. SHA-1).
    #[error("unsupported signature algorithm {oid} (RFC 5280 §5.1.1.2; supported: RSA PKCS#1 v1.5 and PSS with SHA-256/384/512, ECDSA P-256/P-384 with SHA-256/384, Ed25519)")]
    Unsupported {
        /// Dotted OID.
        oid: String,
    },
    /// The algorithm's parameters are wrong.
    #[error("bad parameters for {alg} (RFC 5280 §4.1.1.2, RFC 4055 §3.1): {why}")]
    BadParameters {
        /// Algorithm name.
        alg: &'static str,
        /// What is wrong.
        why: String,
    },
}

/// A signature algorithm of a certificate or CRL (RFC 5280 §4.1.1.2,
/// §5.1.1.2), as far as we can verify it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureAlgorithm {
    /// sha256WithRSAEncryption
    RsaPkcs1Sha256,
    /// sha384WithRSAEncryption
    RsaPkcs1Sha384,
    /// sha512WithRSAEncryption
    RsaPkcs1Sha512,
    /// RSASSA-PSS, SHA-256, MGF1-SHA-256, salt 32
    RsaPssSha256,
    /// RSASSA-PSS, SHA-384, MGF1-SHA-384, salt 48
    RsaPssSha384,
    /// RSASSA-PSS, SHA-512, MGF1-SHA-512, salt 64
    RsaPssSha512,
    /// ecdsa-with-SHA256
    EcdsaSha256,
    /// ecdsa-with-SHA384
    EcdsaSha384,
    /// id-Ed25519
    Ed25519,
}

impl SignatureAlgorithm {
    /// The OID's registered name.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "sha256WithRSAEncryption",
            SignatureAlgorithm::RsaPkcs1Sha384 => "sha384WithRSAEncryption",
            SignatureAlgorithm::RsaPkcs1Sha512 => "sha512WithRSAEncryption",
            SignatureAlgorithm::RsaPssSha256 => "rsassaPss-SHA256",
            SignatureAlgorithm::RsaPssSha384 => "rsassaPss-SHA384",
            SignatureAlgorithm::RsaPssSha512 => "rsassaPss-SHA512",
            SignatureAlgorithm::EcdsaSha256 => "ecdsa-with-SHA256",
            SignatureAlgorithm::EcdsaSha384 => "ecdsa-with-SHA384",
            SignatureAlgorithm::Ed25519 => "Ed25519",
        }
    }

    /// The dotted OID.
    pub fn oid(self) -> &'static str {
        match self {
            SignatureAlgorithm::RsaPkcs1Sha256 => "1.2.840.113549.1.1.11",
            SignatureAlgorithm::RsaPkcs1Sha384 => "1.2.840.113549.1.1.12",
            SignatureAlgorithm::RsaPkcs1Sha512 => "1.2.840.113549.1.1.13",
            SignatureAlgorithm::RsaPssSha256
            | SignatureAlgorithm::RsaPssSha384
            | SignatureAlgorithm::RsaPssSha512 => "1.2.840.113549.1.1.10",
            SignatureAlgorithm::EcdsaSha256 => "1.2.840.10045.4.3.2",
            SignatureAlgorithm::EcdsaSha384 => "1.2.840.10045.4.3.3",
            SignatureAlgorithm::Ed25519 => "1.3.101.112",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.oid())
    }
}

/// Parses an AlgorithmIdentifier's content into a supported algorithm.
pub(crate) fn parse(alg: &[u8]) -> Result<SignatureAlgorithm, AlgorithmError> {
    let mut r = Reader::new(alg);
    let oid = r.read(tag::OID).map_err(AlgorithmError::Malformed)?.value;
    let params = r.remaining();
    let unsupported = || AlgorithmError::Unsupported {
        oid: Oid(oid).to_string(),
    };
    let bad = |alg: &'static str, why: &str| AlgorithmError::BadParameters {
        alg,
        why: why.to_string(),
    };
    if let Some(suffix) = oid.strip_prefix(oid::PKCS1_PREFIX) {
        let pkcs1 = match suffix {
            [0x0B] => Some(SignatureAlgorithm::RsaPkcs1Sha256),
            [0x0C] => Some(SignatureAlgorithm::RsaPkcs1Sha384),
            [0x0D] => Some(SignatureAlgorithm::RsaPkcs1Sha512),
            [0x0A] => None,
            _ => return Err(unsupported()),
        };
        if let Some(a) = pkcs1 {
            // RFC 4055 §5: parameters MUST be NULL; absent is tolerated as
            // many encoders (and RFC 8017 readers) accept it.
            if !(params.is_empty() || params == [tag::NULL, 0]) {
                return Err(bad(a.name(), "parameters must be NULL"));
            }
            return Ok(a);
        }
        return parse_pss_params(params);
    }
    let a = match oid {
        oid::ECDSA_SHA256 => SignatureAlgorithm::EcdsaSha256,
        oid::ECDSA_SHA384 => SignatureAlgorithm::EcdsaSha384,
        oid::ED25519 => SignatureAlgorithm::Ed25519,
        _ => return Err(unsupported()),
    };
    if !params.is_empty() {
        return Err(bad(
            a.name(),
            "parameters must be absent (RFC 5758 §3.2, RFC 8410 §3)",
        ));
    }
    Ok(a)
}

/// RSASSA-PSS-params (RFC 4055 §3.1): we accept only the profile of
/// RFC 4055 §3.3 / CA/B: hash = MGF1 hash ∈ {SHA-256, 384, 512}, salt =
/// hash length, trailerField 1.
fn parse_pss_params(params: &[u8]) -> Result<SignatureAlgorithm, AlgorithmError> {
    let bad = |why: String| AlgorithmError::BadParameters {
        alg: "RSASSA-PSS",
        why,
    };
    let der_bad = |e: DerError| bad(e.to_string());
    let mut r = Reader::new(params);
    let seq = r.read(tag::SEQUENCE).map_err(der_bad)?;
    r.finish().map_err(der_bad)?;
    let mut s = Reader::new(seq.value);
    let hash_oid = |alg_id: &[u8]| -> Result<Vec<u8>, AlgorithmError> {
        let mut a = Reader::new(alg_id);
        let o = a.read(tag::OID).map_err(der_bad)?.value.to_vec();
        let p = a.remaining();
        if !(p.is_empty() || p == [tag::NULL, 0]) {
            return Err(bad("hash parameters must be NULL or absent".into()));
        }
        Ok(o)
    };
    let hash = match s
        .read_optional(tag::context_constructed(0))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let h = x.read(tag::SEQUENCE).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            hash_oid(h.value)?
        }
        None => return Err(bad("default hash SHA-1 is not supported".into())),
    };
    let mgf_hash = match s
        .read_optional(tag::context_constructed(1))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let m = x.read(tag::SEQUENCE).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            let mut mr = Reader::new(m.value);
            if mr.read(tag::OID).map_err(der_bad)?.value != oid::MGF1 {
                return Err(bad("maskGenAlgorithm must be MGF1".into()));
            }
            let h = mr.read(tag::SEQUENCE).map_err(der_bad)?;
            mr.finish().map_err(der_bad)?;
            hash_oid(h.value)?
        }
        None => return Err(bad("default MGF1 with SHA-1 is not supported".into())),
    };
    let salt = match s
        .read_optional(tag::context_constructed(2))
        .map_err(der_bad)?
    {
        Some(t) => {
            let mut x = Reader::new(t.value);
            let i = x.read(tag::INTEGER).map_err(der_bad)?;
            x.finish().map_err(der_bad)?;
            der::small_unsigned(i.value).map_err(der_bad)?
        }
        None => Some(20),
    };
    if let Some(t) = s
        .read_optional(tag::context_constructed(3))
        .map_err(der_bad)?
    {
        let mut x = Reader::new(t.value);
        let i = x.read(tag::INTEGER).map_err(der_bad)?;
        x.finish().map_err(der_bad)?;
        if der::small_unsigned(i.value).map_err(der_bad)? != Some(1) {
            return Err(bad("trailerField must be 1".into()));
        }
    }
    s.finish().map_err(der_bad)?;
    if hash != mgf_hash {
        return Err(bad("MGF1 hash differs from the message hash".into()));
    }
    let (alg, len) = match hash.as_slice() {
        oid::SHA256 => (SignatureAlgorithm::RsaPssSha256, 32),
        oid::SHA384 => (SignatureAlgorithm::RsaPssSha384, 48),
        oid::SHA512 => (SignatureAlgorithm::RsaPssSha512, 64),
        other => return Err(bad(format!("unsupported hash {}", Oid(other)))),
    };
    if salt != Some(len) {
        return Err(bad(format!(
            "saltLength must equal the hash length ({len})"
        )));
    }
    Ok(alg)
}
