//! The CA certificate that signs a CRL.
//!
//! Parsed once with x509-parser (a CA certificate is small and rare, so the
//! full parser's cost does not matter here) and kept *owned*, so that a
//! trust store can hold it without a lifetime. Only what CRL checking needs
//! is extracted: subject, key identifier, public key and its type, and
//! whether keyUsage allows cRLSign.

use std::fmt;

use x509_parser::prelude::{FromDer, ParsedExtension, X509Certificate};

use crate::der::{self, tag, Reader};
use crate::key_id::IssuerKeyId;
use crate::oid;

/// Why a CA certificate was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CaError {
    /// The bytes are not a DER X.509 certificate.
    #[error("CA certificate is not valid DER X.509 (RFC 5280 §4.1): {0}")]
    Parse(String),
    /// Bytes follow the certificate.
    #[error(
        "CA certificate has {0} bytes of trailing data after the DER certificate (RFC 5280 §4.1)"
    )]
    TrailingData(usize),
    /// PEM input without a CERTIFICATE block, or a broken one.
    #[error("CA certificate PEM: {0}")]
    Pem(String),
    /// keyUsage or subjectKeyIdentifier could not be decoded.
    #[error("CA certificate extension {name} is malformed (RFC 5280 {section}): {why}")]
    BadExtension {
        /// Extension name.
        name: &'static str,
        /// RFC 5280 section.
        section: &'static str,
        /// Details.
        why: String,
    },
}

/// The kind of public key a CA holds; decides which signature algorithms
/// may be used with it (RFC 5280 §4.1.2.7, RFC 4055, RFC 5480, RFC 8410).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CaKeyType {
    /// rsaEncryption (1.2.840.113549.1.1.1): PKCS#1 v1.5 or PSS.
    Rsa,
    /// id-RSASSA-PSS (1.2.840.113549.1.1.10) key: PSS only.
    RsaPss,
    /// id-ecPublicKey on prime256v1.
    EcP256,
    /// id-ecPublicKey on secp384r1.
    EcP384,
    /// id-Ed25519.
    Ed25519,
    /// Anything else (algorithm OID, curve OID if any) – cannot verify.
    Other(String),
}

impl fmt::Display for CaKeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaKeyType::Rsa => f.write_str("RSA"),
            CaKeyType::RsaPss => f.write_str("RSASSA-PSS"),
            CaKeyType::EcP256 => f.write_str("EC P-256"),
            CaKeyType::EcP384 => f.write_str("EC P-384"),
            CaKeyType::Ed25519 => f.write_str("Ed25519"),
            CaKeyType::Other(s) => write!(f, "unsupported key ({s})"),
        }
    }
}

/// A parsed, owned CA certificate.
#[derive(Clone)]
pub struct CaCert {
    der: Vec<u8>,
    subject: std::ops::Range<usize>,
    spki: std::ops::Range<usize>,
    key_bits: std::ops::Range<usize>,
    key_type: CaKeyType,
    key_id: IssuerKeyId,
    subject_string: String,
    can_sign_crls: bool,
}

impl fmt::Debug for CaCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CaCert")
            .field("subject", &self.subject_string)
            .field("key_id", &self.key_id)
            .field("key_type", &self.key_type)
            .field("can_sign_crls", &self.can_sign_crls)
            .finish()
    }
}

/// Position of `part` inside `whole` (both borrowed from the same buffer).
fn range_in(whole: &[u8], part: &[u8]) -> Option<std::ops::Range<usize>> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    let end = start.checked_add(part.len())?;
    (end <= whole.len()).then_some(start..end)
}

impl CaCert {
    /// Parses one DER certificate; trailing bytes are an error.
    pub fn from_der(der: &[u8]) -> Result<CaCert, CaError> {
        let (rest, cert) =
            X509Certificate::from_der(der).map_err(|e| CaError::Parse(e.to_string()))?;
        if !rest.is_empty() {
            return Err(CaError::TrailingData(rest.len()));
        }
        let subject_raw = cert.subject().as_raw();
        let spki = cert.public_key();
        let key_bits_raw: &[u8] = &spki.subject_public_key.data;
        let (subject, spki_range, key_bits) = match (
            range_in(der, subject_raw),
            range_in(der, spki.raw),
            range_in(der, key_bits_raw),
        ) {
            (Some(a), Some(b), Some(c)) => (a, b, c),
            _ => {
                return Err(CaError::Parse(
                    "certificate fields are not borrowed from the input".into(),
                ))
            }
        };
        let key_type = key_type_of(spki.raw);

        let mut ski = None;
        let mut key_usage_crl_sign = None;
        for ext in cert.extensions() {
            match ext.parsed_extension() {
                ParsedExtension::SubjectKeyIdentifier(k) => ski = Some(k.0),
                ParsedExtension::KeyUsage(ku) => key_usage_crl_sign = Some(ku.crl_sign()),
                ParsedExtension::ParseError { error } => {
                    let oid = ext.oid.to_id_string();
                    if oid == "2.5.29.14" || oid == "2.5.29.15" {
                        return Err(CaError::BadExtension {
                            name: if oid == "2.5.29.14" {
                                "subjectKeyIdentifier"
                            } else {
                                "keyUsage"
                            },
                            section: if oid == "2.5.29.14" {
                                "§4.2.1.2"
                            } else {
                                "§4.2.1.3"
                            },
                            why: error.to_string(),
                        });
                    }
                }
                _ => {}
            }
        }
        let key_id = match ski {
            Some(id) => IssuerKeyId::from_bytes(id).map_err(|e| CaError::BadExtension {
                name: "subjectKeyIdentifier",
                section: "§4.2.1.2",
                why: e.to_string(),
            })?,
            None => IssuerKeyId::from_public_key_bits(key_bits_raw),
        };
        let subject_string = cert.subject().to_string();
        Ok(CaCert {
            der: der.to_vec(),
            subject,
            spki: spki_range,
            key_bits,
            key_type,
            key_id,
            subject_string,
            can_sign_crls: key_usage_crl_sign.unwrap_or(true),
        })
    }

    /// Accepts PEM (the first `CERTIFICATE` block is used) or raw DER.
    pub fn from_pem_or_der(bytes: &[u8]) -> Result<CaCert, CaError> {
        if bytes.first() == Some(&tag::SEQUENCE) {
            return CaCert::from_der(bytes);
        }
        for pem in x509_parser::pem::Pem::iter_from_buffer(bytes) {
            let pem = pem.map_err(|e| CaError::Pem(e.to_string()))?;
            if pem.label == "CERTIFICATE" {
                return CaCert::from_der(&pem.contents);
            }
        }
        Err(CaError::Pem(
            "no \"-----BEGIN CERTIFICATE-----\" block found and the input is not DER".into(),
        ))
    }

    /// The key identifier CRLs name in AuthorityKeyIdentifier: the CA's
    /// subjectKeyIdentifier if present, else RFC 5280 §4.2.1.2 method 1.
    pub fn key_id(&self) -> IssuerKeyId {
        self.key_id
    }

    /// SHA-256 of the DER SubjectPublicKeyInfo: a stable key fingerprint.
    pub fn spki_sha256(&self) -> [u8; 32] {
        let d = ring::digest::digest(&ring::digest::SHA256, self.spki_der());
        let mut out = [0u8; 32];
        out.copy_from_slice(d.as_ref());
        out
    }

    /// The DER SubjectPublicKeyInfo.
    pub fn spki_der(&self) -> &[u8] {
        self.der.get(self.spki.clone()).unwrap_or(&[])
    }

    /// The subjectPublicKey BIT STRING contents (what ring verifies with).
    pub fn public_key_bits(&self) -> &[u8] {
        self.der.get(self.key_bits.clone()).unwrap_or(&[])
    }

    /// The kind of key, which fixes the usable signature algorithms.
    pub fn key_type(&self) -> &CaKeyType {
        &self.key_type
    }

    /// The raw DER subject Name.
    pub fn subject_der(&self) -> &[u8] {
        self.der.get(self.subject.clone()).unwrap_or(&[])
    }

    /// The subject as text (RFC 4514-like), for messages.
    pub fn subject_string(&self) -> String {
        self.subject_string.clone()
    }

    /// RFC 5280 §4.2.1.3: a CA may sign CRLs unless keyUsage is present
    /// without the cRLSign bit.
    pub fn can_sign_crls(&self) -> bool {
        self.can_sign_crls
    }

    /// The whole certificate as DER.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// Classifies a SubjectPublicKeyInfo by its AlgorithmIdentifier.
fn key_type_of(spki: &[u8]) -> CaKeyType {
    let inner = || -> Result<CaKeyType, der::DerError> {
        let spki = Reader::new(spki).read(tag::SEQUENCE)?;
        let alg = Reader::new(spki.value).read(tag::SEQUENCE)?;
        let mut r = Reader::new(alg.value);
        let oid = r.read(tag::OID)?.value;
        let param = r.read_optional(tag::OID)?.map(|t| t.value);
        Ok(match (oid, param) {
            (oid::RSA_ENCRYPTION, _) => CaKeyType::Rsa,
            (oid::RSASSA_PSS, _) => CaKeyType::RsaPss,
            (oid::EC_PUBLIC_KEY, Some(oid::P256)) => CaKeyType::EcP256,
            (oid::EC_PUBLIC_KEY, Some(oid::P384)) => CaKeyType::EcP384,
            (oid::ED25519, None) => CaKeyType::Ed25519,
            (oid, param) => CaKeyType::Other(match param {
                Some(p) => format!("{} {}", der::Oid(oid), der::Oid(p)),
                None => der::Oid(oid).to_string(),
            }),
        })
    };
    inner().unwrap_or_else(|e| CaKeyType::Other(format!("malformed SubjectPublicKeyInfo: {e}")))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use kakunin_testkit::{openssl, path_str};

    /// Makes a CA with OpenSSL in `dir`; returns (cert DER, PKCS#8 key DER).
    pub(crate) fn openssl_ca(
        dir: &std::path::Path,
        keyalg: &[&str],
        extra: &[&str],
    ) -> (Vec<u8>, Vec<u8>) {
        let key = dir.join("ca.key");
        let cert = dir.join("ca.der");
        let mut genpkey = vec!["genpkey", "-out", path_str(&key)];
        genpkey.extend_from_slice(keyalg);
        openssl(&genpkey);
        let mut req = vec![
            "req",
            "-x509",
            "-new",
            "-key",
            path_str(&key),
            "-subj",
            "/C=JP/O=JPKI/OU=JPKI for digital signature/CN=Test CA",
            "-days",
            "30",
            "-outform",
            "DER",
            "-out",
            path_str(&cert),
        ];
        req.extend_from_slice(extra);
        openssl(&req);
        let p8 = dir.join("ca.p8");
        openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-outform",
            "DER",
            "-in",
            path_str(&key),
            "-out",
            path_str(&p8),
        ]);
        (std::fs::read(cert).unwrap(), std::fs::read(p8).unwrap())
    }

    #[test]
    fn rsa_ca_fields() {
        let dir = tempfile::tempdir().unwrap();
        let (der, _) = openssl_ca(
            dir.path(),
            &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
            &[],
        );
        let ca = CaCert::from_der(&der).unwrap();
        assert_eq!(ca.key_type(), &CaKeyType::Rsa);
        assert!(ca.can_sign_crls());
        assert!(ca.subject_string().contains("Test CA"));
        // OpenSSL's default SKI is method 1, so both paths agree here.
        assert_eq!(
            ca.key_id(),
            IssuerKeyId::from_public_key_bits(ca.public_key_bits())
        );
        let want = ring::digest::digest(&ring::digest::SHA256, ca.spki_der());
        assert_eq!(&ca.spki_sha256()[..], want.as_ref());
        assert_eq!(ca.subject_der()[0], 0x30);
        let pem = format!(
            "junk line\n-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            base64_lines(&der)
        );
        let ca2 = CaCert::from_pem_or_der(pem.as_bytes()).unwrap();
        assert_eq!(ca2.key_id(), ca.key_id());
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(matches!(
            CaCert::from_der(&trailing),
            Err(CaError::TrailingData(1))
        ));
        assert!(CaCert::from_pem_or_der(b"hello").is_err());
        assert!(CaCert::from_der(&der[..der.len() - 1]).is_err());
    }

    #[test]
    fn key_usage_without_crl_sign_and_custom_ski() {
        let dir = tempfile::tempdir().unwrap();
        let (der, _) = openssl_ca(
            dir.path(),
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            &[
                "-addext",
                "keyUsage=critical,digitalSignature,keyCertSign",
                "-addext",
                "subjectKeyIdentifier=0102030405",
            ],
        );
        let ca = CaCert::from_der(&der).unwrap();
        assert_eq!(ca.key_type(), &CaKeyType::EcP384);
        assert!(!ca.can_sign_crls());
        assert_eq!(ca.key_id().as_bytes(), &[1, 2, 3, 4, 5]);
    }

    pub(crate) fn base64_lines(der: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut s = String::new();
        for c in der.chunks(3) {
            let n = (c[0] as u32) << 16
                | (*c.get(1).unwrap_or(&0) as u32) << 8
                | *c.get(2).unwrap_or(&0) as u32;
            for i in 0..4 {
                if i <= c.len() {
                    s.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    s.push('=');
                }
            }
        }
        s.as_bytes()
            .chunks(64)
            .map(|l| String::from_utf8_lossy(l).into_owned())
            .collect::<Vec<_>>()
            .join("\n")
    }
}
