//! The evidence key: an ECDSA P-256 key that signs checkpoints, read from
//! the PEM files OpenSSL writes (`openssl genpkey -algorithm EC -pkeyopt
//! ec_paramgen_curve:P-256`, or SEC1 `EC PRIVATE KEY`), and its public half
//! for checking them (`openssl pkey -pubout`).
//!
//! P-256 because every verifier has it (OpenSSL, browsers, HSMs) and its
//! signatures are short; the key id is the SHA-256 of the public key's
//! SubjectPublicKeyInfo DER, the same bytes `openssl pkey -pubout -outform
//! DER | sha256sum` hashes.

use std::fmt;
use std::path::{Path, PathBuf};

use aws_lc_rs::encoding::{AsDer, PublicKeyX509Der};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, KeyPair, UnparsedPublicKey, ECDSA_P256_SHA256_ASN1,
    ECDSA_P256_SHA256_ASN1_SIGNING,
};
use base64::Engine as _;
use kakunin_engine::crypto;

/// The DER prefix of every P-256 SubjectPublicKeyInfo (id-ecPublicKey,
/// prime256v1, a 66-byte BIT STRING); an uncompressed point follows.
const P256_SPKI_PREFIX: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];

/// The private key that signs checkpoints.
pub struct EvidenceKey {
    pair: EcdsaKeyPair,
    public: EvidencePublicKey,
}

impl fmt::Debug for EvidenceKey {
    /// The key id only: a private key never goes into a log.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EvidenceKey({})", self.public.key_id)
    }
}

/// A public key that checks checkpoints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EvidencePublicKey {
    spki: Vec<u8>,
    key_id: String,
}

/// Why a key file could not be used.
#[derive(Debug)]
#[non_exhaustive]
pub enum EvidenceKeyError {
    /// The file could not be read.
    Read {
        /// The file.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
    /// The file holds no usable key.
    Unusable {
        /// The file.
        path: PathBuf,
        /// What was expected and what was found.
        detail: String,
    },
}

impl fmt::Display for EvidenceKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvidenceKeyError::Read { path, source } => {
                write!(f, "cannot read evidence key {}: {source}", path.display())
            }
            EvidenceKeyError::Unusable { path, detail } => {
                write!(f, "evidence key {}: {detail}", path.display())
            }
        }
    }
}

impl std::error::Error for EvidenceKeyError {}

impl EvidenceKey {
    /// Reads a P-256 private key from a PEM file: PKCS#8 `PRIVATE KEY` (as
    /// `openssl genpkey` writes) or SEC1 `EC PRIVATE KEY`.
    pub fn from_pem_file(path: &Path) -> Result<EvidenceKey, EvidenceKeyError> {
        let text = read(path)?;
        let unusable = |detail: String| EvidenceKeyError::Unusable {
            path: path.to_path_buf(),
            detail,
        };
        let blocks = pem_blocks(&text).map_err(unusable)?;
        let der = private_der(&blocks).map_err(unusable)?;
        EvidenceKey::from_der(der).map_err(unusable)
    }

    /// A key from PKCS#8 or SEC1 DER.
    fn from_der(der: &[u8]) -> Result<EvidenceKey, String> {
        let pair = EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_ASN1_SIGNING, der)
            .map_err(|e| {
                format!("expected an EC P-256 private key, found one that is refused ({e})")
            })?;
        let spki = pair
            .public_key()
            .as_der()
            .map(|d: PublicKeyX509Der<'_>| d.as_ref().to_vec())
            .map_err(|_| "its public key cannot be encoded".to_string())?;
        Ok(EvidenceKey {
            pair,
            public: EvidencePublicKey::from_spki(spki)?,
        })
    }

    /// A fresh random key and its PKCS#8 PEM text (for tests and for
    /// setting up a server).
    pub fn generate() -> Result<(EvidenceKey, String), String> {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &SystemRandom::new())
                .map_err(|_| "cannot generate a P-256 key".to_string())?;
        let pem = pem("PRIVATE KEY", doc.as_ref());
        Ok((EvidenceKey::from_der(doc.as_ref())?, pem))
    }

    /// Lower-hex SHA-256 of the public key's SubjectPublicKeyInfo DER.
    pub fn key_id(&self) -> String {
        self.public.key_id.clone()
    }

    /// The public key as PEM (`-----BEGIN PUBLIC KEY-----`), what `openssl
    /// pkey -pubout` writes: hand it to whoever checks the log.
    pub fn public_key_pem(&self) -> String {
        pem("PUBLIC KEY", &self.public.spki)
    }

    /// The public half.
    pub fn public_key(&self) -> &EvidencePublicKey {
        &self.public
    }

    /// A DER ECDSA signature over `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Option<Vec<u8>> {
        self.pair
            .sign(&SystemRandom::new(), message)
            .ok()
            .map(|s| s.as_ref().to_vec())
    }
}

impl EvidencePublicKey {
    /// Reads the key that checks checkpoints from a PEM file: a `PUBLIC
    /// KEY` (`openssl pkey -pubout`), or the private key file itself (its
    /// public half is used).
    pub fn from_pem_file(path: &Path) -> Result<EvidencePublicKey, EvidenceKeyError> {
        let text = read(path)?;
        let unusable = |detail: String| EvidenceKeyError::Unusable {
            path: path.to_path_buf(),
            detail,
        };
        let blocks = pem_blocks(&text).map_err(unusable)?;
        if let Some((_, der)) = blocks.iter().find(|(label, _)| label == "PUBLIC KEY") {
            return EvidencePublicKey::from_spki(der.clone()).map_err(unusable);
        }
        let der = private_der(&blocks).map_err(|_| {
            unusable(format!(
                "expected a PEM PUBLIC KEY (or the private key), found {}",
                labels(&blocks)
            ))
        })?;
        Ok(EvidenceKey::from_der(der).map_err(unusable)?.public)
    }

    /// A P-256 SubjectPublicKeyInfo.
    fn from_spki(spki: Vec<u8>) -> Result<EvidencePublicKey, String> {
        if spki.len() != P256_SPKI_PREFIX.len() + 65 || !spki.starts_with(&P256_SPKI_PREFIX) {
            return Err(format!(
                "expected an EC P-256 public key (a 91-byte SubjectPublicKeyInfo), found {} bytes of something else",
                spki.len()
            ));
        }
        Ok(EvidencePublicKey {
            key_id: hex::encode(crypto::sha256(&spki)),
            spki,
        })
    }

    /// Lower-hex SHA-256 of the SubjectPublicKeyInfo DER.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// Whether `signature` (DER) is this key's over `message`.
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ECDSA_P256_SHA256_ASN1, &self.spki)
            .verify(message, signature)
            .is_ok()
    }
}

fn read(path: &Path) -> Result<String, EvidenceKeyError> {
    let bytes = std::fs::read(path).map_err(|source| EvidenceKeyError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    String::from_utf8(bytes).map_err(|_| EvidenceKeyError::Unusable {
        path: path.to_path_buf(),
        detail: "expected a PEM text file, found binary data (DER keys: convert with `openssl pkey -inform DER`)".into(),
    })
}

/// The DER of the first private key block.
fn private_der(blocks: &[(String, Vec<u8>)]) -> Result<&[u8], String> {
    if blocks.iter().any(|(l, _)| l == "ENCRYPTED PRIVATE KEY") {
        return Err(
            "the private key is encrypted: expected an unencrypted one (`openssl pkey -in K -out plain.pem`), kept readable only by the server"
                .into(),
        );
    }
    blocks
        .iter()
        .find(|(l, _)| l == "PRIVATE KEY" || l == "EC PRIVATE KEY")
        .map(|(_, der)| der.as_slice())
        .ok_or_else(|| {
            format!(
                "expected a PEM PRIVATE KEY or EC PRIVATE KEY, found {}",
                labels(blocks)
            )
        })
}

fn labels(blocks: &[(String, Vec<u8>)]) -> String {
    if blocks.is_empty() {
        return "no PEM block".into();
    }
    blocks
        .iter()
        .map(|(l, _)| l.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every `-----BEGIN X-----` … `-----END X-----` block: (label, DER).
fn pem_blocks(text: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut out = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let Some(label) = line
            .trim()
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for l in lines.by_ref() {
            if l.trim() == end {
                closed = true;
                break;
            }
            // PEM headers (`Proc-Type:` of old encrypted keys) are not
            // base64; such a key is refused below anyway.
            if !l.contains(':') {
                body.push_str(l.trim());
            }
        }
        if !closed {
            return Err(format!("the PEM block {label} has no {end} line"));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(&body)
            .map_err(|e| format!("the PEM block {label} is not base64 ({e})"))?;
        out.push((label.to_string(), der));
    }
    Ok(out)
}

/// DER as PEM with 64-character lines.
fn pem(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}
