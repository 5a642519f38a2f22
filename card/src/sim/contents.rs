//! What the virtual card holds, and how it is loaded from the directory
//! `kakunin gen` writes (`holders/N/{auth,sign}.{pem,key}`,
//! `auth-ca.pem`, `sign-ca.pem`, `holders/N/facts.json`).

use std::path::{Path, PathBuf};

use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{RsaPrivateKey, RsaPublicKey};

use super::SimError;
use crate::text_ap::TextFacts;

/// A certificate (DER) and the private key that belongs to it.
pub struct Credential {
    cert: Vec<u8>,
    key: RsaPrivateKey,
}

/// The key is never printed.
impl std::fmt::Debug for Credential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Credential({} byte certificate, RSA-{})",
            self.cert.len(),
            self.key.size() * 8
        )
    }
}

impl Credential {
    /// Pairs a DER certificate with its private key. A key that is not the
    /// certificate's is refused here: otherwise the card would make
    /// signatures that no verifier accepts, and the test that notices would
    /// blame the client.
    pub fn new(cert: Vec<u8>, key: RsaPrivateKey) -> Result<Credential, SimError> {
        let invalid = |problem: String| SimError::Invalid {
            what: "certificate".into(),
            problem,
        };
        let (_, parsed) = x509_parser::parse_x509_certificate(&cert)
            .map_err(|e| invalid(format!("not an X.509 certificate: {e}")))?;
        let public = RsaPublicKey::from_public_key_der(parsed.public_key().raw)
            .map_err(|e| invalid(format!("no RSA public key: {e}")))?;
        if public != key.to_public_key() {
            return Err(invalid(
                "the private key is not the one of this certificate".into(),
            ));
        }
        Ok(Credential { cert, key })
    }

    /// The certificate, DER.
    pub fn cert(&self) -> &[u8] {
        &self.cert
    }

    pub(crate) fn key(&self) -> &RsaPrivateKey {
        &self.key
    }

    /// `cert` (PEM) and `key` (PKCS#8 PEM) from files.
    fn load(cert: &Path, key: &Path) -> Result<Credential, SimError> {
        let der = cert_der(cert)?;
        let text = read_text(key)?;
        let key_value = RsaPrivateKey::from_pkcs8_pem(&text).map_err(|e| SimError::Invalid {
            what: key.display().to_string(),
            problem: format!("not a PKCS#8 PEM RSA private key: {e}"),
        })?;
        Credential::new(der, key_value).map_err(|e| match e {
            SimError::Invalid { problem, .. } => SimError::Invalid {
                what: format!("{} with {}", cert.display(), key.display()),
                problem,
            },
            other => other,
        })
    }
}

/// Longest name or address accepted, in UTF-8 bytes.
const MAX_TEXT_FIELD: usize = 4096;

/// The fields of `facts.json` the card needs (it has more, for tests).
#[derive(serde::Deserialize)]
struct FactsJson {
    name: String,
    address: String,
    birth_date: String,
    sex: String,
}

impl TextFacts {
    /// From `facts.json` as `kakunin gen` writes it (with the `sim`
    /// feature): `birth_date` there is the signing certificate's form, an
    /// era digit then `YYYYMMDD`.
    pub fn from_json(bytes: &[u8]) -> Result<TextFacts, String> {
        let j: FactsJson = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        let birth_date = match j.birth_date.len() {
            9 if digits(&j.birth_date) => j.birth_date[1..].to_string(),
            _ => {
                return Err(format!(
                    "birth_date {:?} is not an era digit and YYYYMMDD",
                    j.birth_date
                ))
            }
        };
        // A card's EF is a few hundred bytes; this bound keeps every
        // length within the two-byte BER form and the EF within the
        // offsets READ BINARY can address.
        for (field, value) in [("name", &j.name), ("address", &j.address)] {
            if value.len() > MAX_TEXT_FIELD {
                return Err(format!(
                    "{field} has {} bytes, more than the {MAX_TEXT_FIELD} the card holds",
                    value.len()
                ));
            }
        }
        if !matches!(j.sex.as_str(), "0" | "1" | "2" | "9") {
            return Err(format!("sex {:?} is not an ISO 5218 code", j.sex));
        }
        Ok(TextFacts {
            name: j.name,
            address: j.address,
            birth_date,
            sex: j.sex,
        })
    }
}

/// Everything on the card that comes from its holder.
#[derive(Debug)]
pub struct CardContents {
    /// The user-authentication certificate and key.
    pub auth: Credential,
    /// The authentication CA's certificate (DER).
    pub auth_ca: Vec<u8>,
    /// The signing certificate and key; `None` for a card without one (a
    /// child under 15): its EFs and the signing password then do not exist.
    pub sign: Option<Credential>,
    /// The signing CA's certificate (DER).
    pub sign_ca: Vec<u8>,
    /// The text AP's facts.
    pub facts: TextFacts,
}

impl CardContents {
    /// Holder `holder` of a directory `kakunin gen` wrote. A holder without
    /// `sign.pem` gets a card without a signing certificate.
    pub fn from_holder(pki: &Path, holder: u32) -> Result<CardContents, SimError> {
        let dir = pki.join("holders").join(holder.to_string());
        if !dir.is_dir() {
            return Err(SimError::Invalid {
                what: dir.display().to_string(),
                problem: format!(
                    "no such holder directory (is {} a `kakunin gen --holders` output?)",
                    pki.display()
                ),
            });
        }
        let auth = Credential::load(&dir.join("auth.pem"), &dir.join("auth.key"))?;
        let sign = match dir.join("sign.pem") {
            p if p.exists() => Some(Credential::load(&p, &dir.join("sign.key"))?),
            _ => None,
        };
        let facts_path = dir.join("facts.json");
        let facts =
            TextFacts::from_json(&read(&facts_path)?).map_err(|problem| SimError::Invalid {
                what: facts_path.display().to_string(),
                problem,
            })?;
        Ok(CardContents {
            auth,
            auth_ca: cert_der(&pki.join("auth-ca.pem"))?,
            sign,
            sign_ca: cert_der(&pki.join("sign-ca.pem"))?,
            facts,
        })
    }
}

fn read(path: &Path) -> Result<Vec<u8>, SimError> {
    std::fs::read(path).map_err(|source| SimError::Read {
        path: PathBuf::from(path),
        source,
    })
}

fn read_text(path: &Path) -> Result<String, SimError> {
    String::from_utf8(read(path)?).map_err(|_| SimError::Invalid {
        what: path.display().to_string(),
        problem: "not text (PEM expected)".into(),
    })
}

/// The first `CERTIFICATE` block of a PEM file, as DER.
fn cert_der(path: &Path) -> Result<Vec<u8>, SimError> {
    let bytes = read(path)?;
    let invalid = |problem: String| SimError::Invalid {
        what: path.display().to_string(),
        problem,
    };
    for pem in x509_parser::pem::Pem::iter_from_buffer(&bytes) {
        let pem = pem.map_err(|e| invalid(format!("bad PEM: {e}")))?;
        if pem.label == "CERTIFICATE" {
            return Ok(pem.contents);
        }
    }
    Err(invalid("no CERTIFICATE block".into()))
}
