//! Who signs OCSP responses for which CA.
//!
//! RFC 6960 §4.2.2.2: a response is signed by the CA that issued the
//! certificate in question, or by a delegated responder whose certificate
//! that CA issued with id-kp-OCSPSigning in extendedKeyUsage. Clients check
//! exactly that, so we check it too, once, at start: a signer that would
//! produce responses no client accepts is a configuration error, not
//! something to discover from a relying party's logs.

use std::path::{Path, PathBuf};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RSA_PKCS1_SHA256};
use der::{Decode, Encode};
use kakunin_engine::crypto::VerifyingKey;
use kakunin_engine::{IssuerKeyId, SignatureAlgorithm, Timestamp};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::Certificate;

use crate::config::SignerSpec;
use crate::issuers::{Issuer, Issuers};

/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
const ID_KP_OCSP_SIGNING: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// sha256WithRSAEncryption.
pub(crate) const SHA256_WITH_RSA: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");

/// Why a signer cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// A file could not be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Not a certificate, not a usable key, or not a valid responder.
    #[error("OCSP signer {path}: {why}")]
    Invalid {
        /// The certificate or key file.
        path: PathBuf,
        /// What is wrong, and how to fix it.
        why: String,
    },
}

fn invalid(path: &Path, why: impl Into<String>) -> SignerError {
    SignerError::Invalid {
        path: path.to_path_buf(),
        why: why.into(),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SignerError> {
    std::fs::read(path).map_err(|source| SignerError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The signing key and what a response carries about it.
pub(crate) struct Signer {
    key: RsaKeyPair,
    rng: SystemRandom,
    /// responderID byKey: SHA-1 of the signer's subjectPublicKey contents
    /// (RFC 6960 §4.2.1, KeyHash).
    pub(crate) key_hash: [u8; 20],
    /// `certs` of the BasicOCSPResponse: the delegated certificate, or
    /// nothing when the CA signs (the client already has the CA).
    pub(crate) certs: Option<Vec<Certificate>>,
    /// For logs: the subject of the signing certificate.
    pub(crate) label: String,
    /// The signing certificate's notAfter. Checked at start and again
    /// before every answer: responses signed under an expired certificate
    /// fail at every client, so the responder stops and says why instead.
    pub(crate) not_after: Timestamp,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("label", &self.label)
            .finish()
    }
}

impl Signer {
    /// RSA PKCS#1 v1.5 SHA-256 over `message` (the DER ResponseData).
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, aws_lc_rs::error::Unspecified> {
        let mut sig = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, message, &mut sig)?;
        Ok(sig)
    }
}

/// A private key file: PKCS#8 (`PRIVATE KEY`) or PKCS#1 (`RSA PRIVATE
/// KEY`), PEM or DER.
fn load_key(path: &Path) -> Result<RsaKeyPair, SignerError> {
    let bytes = read(path)?;
    let (label, der) = if bytes.starts_with(b"-----") || bytes.iter().take(64).all(u8::is_ascii) {
        let text = std::str::from_utf8(&bytes).map_err(|_| invalid(path, "key is not PEM"))?;
        let start = text
            .find("-----BEGIN ")
            .ok_or_else(|| invalid(path, "no PEM block in the key file"))?;
        let (label, der) = der::pem::decode_vec(&text.as_bytes()[start..])
            .map_err(|e| invalid(path, format!("key PEM: {e}")))?;
        (Some(label.to_string()), der)
    } else {
        (None, bytes)
    };
    let key = match label.as_deref() {
        Some("RSA PRIVATE KEY") => RsaKeyPair::from_der(&der),
        Some("PRIVATE KEY") => RsaKeyPair::from_pkcs8(&der),
        Some(other) => {
            return Err(invalid(
                path,
                format!(
                "key PEM is {other:?}; expected PRIVATE KEY (PKCS#8) or RSA PRIVATE KEY (PKCS#1)"
            ),
            ))
        }
        None => RsaKeyPair::from_pkcs8(&der).or_else(|_| RsaKeyPair::from_der(&der)),
    };
    key.map_err(|e| invalid(path, format!("not a usable RSA private key: {e}")))
}

/// Certificates in a file: one DER certificate or any number of PEM ones.
fn load_certs(path: &Path) -> Result<Vec<(Certificate, Vec<u8>)>, SignerError> {
    let bytes = read(path)?;
    let certs = if bytes.first() == Some(&0x30) {
        vec![Certificate::from_der(&bytes).map_err(|e| invalid(path, format!("DER: {e}")))?]
    } else {
        Certificate::load_pem_chain(&bytes).map_err(|e| invalid(path, format!("PEM: {e}")))?
    };
    if certs.is_empty() {
        return Err(invalid(path, "no certificate in the file"));
    }
    certs
        .into_iter()
        .map(|c| {
            let der = c
                .to_der()
                .map_err(|e| invalid(path, format!("re-encoding: {e}")))?;
            Ok((c, der))
        })
        .collect()
}

/// Loads every signer and says which CA (by key id) each one answers for.
/// A bundle gives one signer per certificate, all with the file's key.
pub(crate) fn load(
    specs: &[SignerSpec],
    issuers: &Issuers,
    now: Timestamp,
) -> Result<Vec<(IssuerKeyId, Signer)>, SignerError> {
    let mut out: Vec<(IssuerKeyId, Signer)> = Vec::new();
    for spec in specs {
        let key_path = &spec.key;
        for (cert, der) in load_certs(&spec.cert)? {
            let key = load_key(key_path)?;
            let (issuer, signer) = check(&spec.cert, cert, &der, key, issuers, now)?;
            if out.iter().any(|(id, _)| *id == issuer.key_id) {
                return Err(invalid(
                    &spec.cert,
                    format!(
                        "a second OCSP signer for CA {}: give one per CA",
                        issuer.label()
                    ),
                ));
            }
            out.push((issuer.key_id, signer));
        }
    }
    Ok(out)
}

/// RFC 6960 §4.2.2.2: the signer is the CA itself, or a certificate the CA
/// issued with id-kp-OCSPSigning; and the key is the certificate's key.
fn check<'a>(
    path: &Path,
    cert: Certificate,
    der: &[u8],
    key: RsaKeyPair,
    issuers: &'a Issuers,
    now: Timestamp,
) -> Result<(&'a Issuer, Signer), SignerError> {
    let tbs = &cert.tbs_certificate;
    let label = tbs.subject.to_string();
    let spki_bits = tbs
        .subject_public_key_info
        .subject_public_key
        .raw_bytes()
        .to_vec();
    if key.public_key().as_ref() != spki_bits.as_slice() {
        return Err(invalid(
            path,
            format!("the private key is not the key of the certificate {label:?}"),
        ));
    }
    let not_after = Timestamp::from_unix(
        i64::try_from(tbs.validity.not_after.to_unix_duration().as_secs()).unwrap_or(i64::MAX),
    );
    if not_after <= now {
        return Err(invalid(path, format!("certificate {label:?} has expired")));
    }
    let key_hash = sha1(&spki_bits);
    // The CA itself.
    if let Some(issuer) = issuers.iter().find(|i| i.ca.public_key_bits() == spki_bits) {
        return Ok((
            issuer,
            Signer {
                key,
                rng: SystemRandom::new(),
                key_hash,
                certs: None,
                label,
                not_after,
            },
        ));
    }
    // A delegated responder: issued (signature checked, not just the name:
    // CA generations share a DN) by a served CA, with id-kp-OCSPSigning.
    let tbs_der = tbs
        .to_der()
        .map_err(|e| invalid(path, format!("re-encoding: {e}")))?;
    if cert.signature_algorithm.oid != SHA256_WITH_RSA {
        return Err(invalid(
            path,
            format!("certificate {label:?} is not signed with sha256WithRSAEncryption"),
        ));
    }
    let sig = cert.signature.raw_bytes();
    let issuer = issuers
        .iter()
        .find(|i| {
            VerifyingKey::from_ca(&i.ca)
                .verify(SignatureAlgorithm::RsaPkcs1Sha256, &tbs_der, sig)
                .is_ok()
        })
        .ok_or_else(|| {
            invalid(
                path,
                format!("certificate {label:?} is neither a --trust CA nor issued by one"),
            )
        })?;
    let eku = tbs
        .get::<ExtendedKeyUsage>()
        .map_err(|e| invalid(path, format!("extendedKeyUsage: {e}")))?;
    if !eku.is_some_and(|(_, eku)| eku.0.contains(&ID_KP_OCSP_SIGNING)) {
        return Err(invalid(
            path,
            format!("certificate {label:?} lacks id-kp-OCSPSigning in extendedKeyUsage (RFC 6960 §4.2.2.2)"),
        ));
    }
    // The bytes a client verifies are the ones we re-encode: refuse a
    // certificate that does not survive the round trip byte for byte.
    let again = cert
        .to_der()
        .map_err(|e| invalid(path, format!("re-encoding: {e}")))?;
    if again != der {
        return Err(invalid(
            path,
            "certificate does not re-encode to the same DER",
        ));
    }
    Ok((
        issuer,
        Signer {
            key,
            rng: SystemRandom::new(),
            key_hash,
            certs: Some(vec![cert]),
            label,
            not_after,
        },
    ))
}

pub(crate) fn sha1(data: &[u8]) -> [u8; 20] {
    let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, data);
    let mut out = [0u8; 20];
    out.copy_from_slice(d.as_ref());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_data as data;

    fn issuers() -> Issuers {
        Issuers::load(&[data("sign-ca.pem"), data("auth-ca.pem")], &[], true)
            .unwrap()
            .0
    }

    #[test]
    fn the_sample_bundle_gives_one_delegated_signer_per_ca() {
        let issuers = issuers();
        let spec = SignerSpec {
            cert: data("ocsp.pem"),
            key: data("ocsp.key"),
        };
        let signers = load(&[spec], &issuers, Timestamp::now()).unwrap();
        assert_eq!(signers.len(), 2);
        assert_eq!(signers[0].0, issuers.resolve("sign").unwrap().key_id);
        assert_eq!(signers[1].0, issuers.resolve("auth").unwrap().key_id);
        assert!(signers.iter().all(|(_, s)| s.certs.is_some()));
    }

    #[test]
    fn a_ca_can_sign_for_itself_and_mismatches_are_refused() {
        let issuers = issuers();
        let ca = SignerSpec {
            cert: data("sign-ca.pem"),
            key: data("sign-ca.key"),
        };
        let s = load(&[ca], &issuers, Timestamp::now()).unwrap();
        assert_eq!(s.len(), 1);
        assert!(s[0].1.certs.is_none());
        let wrong_key = SignerSpec {
            cert: data("sign-ca.pem"),
            key: data("auth-ca.key"),
        };
        let e = load(&[wrong_key], &issuers, Timestamp::now()).unwrap_err();
        assert!(e.to_string().contains("not the key"), "{e}");
        // A holder's certificate is issued by the CA but is no responder.
        let holder = SignerSpec {
            cert: data("holders/1/sign.pem"),
            key: data("holders/1/sign.key"),
        };
        let e = load(&[holder], &issuers, Timestamp::now()).unwrap_err();
        assert!(e.to_string().contains("OCSPSigning"), "{e}");
    }
}
