//! The provider's own signing keys (`--oidc-key FILE`, repeatable): EC
//! P-256 keys sign ES256, RSA keys RS256; for each algorithm the first key
//! given signs, and every key is published in the JWKS so that tokens
//! signed before a rotation still verify.

use std::path::Path;
use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{
    EcdsaKeyPair, RsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING, RSA_PKCS1_SHA256,
};
use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse, ThumbprintHash,
};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};
use thiserror::Error;

/// Why a signing key was refused.
#[derive(Debug, Error)]
pub enum KeysError {
    /// The key file could not be read.
    #[error("reading OIDC signing key {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The PEM is not a private key kakunin signs with.
    #[error("OIDC signing key {label}: expected a PEM private key, EC P-256 (PKCS#8 or SEC1) or RSA of 2048 bits or more (PKCS#8 or PKCS#1), found {found}")]
    Unsupported {
        /// The file name or label.
        label: String,
        /// What was found.
        found: String,
    },
    /// No key was given.
    #[error("expected at least one OIDC signing key (--oidc-key FILE), found none")]
    None,
    /// Two files hold the same key.
    #[error("OIDC signing key {label} is the same key as an earlier one (kid {kid})")]
    Duplicate {
        /// The later file.
        label: String,
        /// The shared key id.
        kid: String,
    },
}

/// One provider signing key.
#[derive(Clone)]
pub struct SigningKey {
    /// The key id: the RFC 7638 JWK thumbprint (SHA-256, base64url) of the
    /// public key, so that the same key always has the same `kid`.
    pub kid: String,
    /// ES256 or RS256.
    pub alg: Algorithm,
    /// The public key as published in the JWKS.
    pub jwk: Jwk,
    /// The private key, parsed once: `jsonwebtoken` parses its PKCS#8 at
    /// every signature, a tenth of a token's CPU time (benches/
    /// compare_oidc.py), so tokens are signed here (`jws::sign`).
    pub(crate) signer: Arc<KeySigner>,
    pub(crate) decoding: DecodingKey,
}

/// A private key ready to sign.
pub(crate) enum KeySigner {
    /// P-256, ES256 (the fixed-length `r ‖ s` of RFC 7518 §3.4).
    Ec(EcdsaKeyPair),
    /// RSA, RS256.
    Rsa(RsaKeyPair),
}

impl KeySigner {
    /// The signature of `message`.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        let rng = SystemRandom::new();
        match self {
            KeySigner::Ec(k) => k
                .sign(&rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_string()),
            KeySigner::Rsa(k) => {
                let mut sig = vec![0; k.public_modulus_len()];
                k.sign(&RSA_PKCS1_SHA256, &rng, message, &mut sig)
                    .map_err(|_| "RSA signing failed".to_string())?;
                Ok(sig)
            }
        }
    }
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Reads a PEM private key; `label` names it in errors.
    pub fn from_pem(label: &str, pem: &[u8]) -> Result<SigningKey, KeysError> {
        let unsupported = |found: String| KeysError::Unsupported {
            label: label.into(),
            found,
        };
        let (encoding, alg) = match EncodingKey::from_ec_pem(pem) {
            Ok(k) => (k, Algorithm::ES256),
            Err(_) => match EncodingKey::from_rsa_pem(pem) {
                Ok(k) => (k, Algorithm::RS256),
                Err(e) => return Err(unsupported(format!("neither an EC nor an RSA key ({e})"))),
            },
        };
        let mut jwk =
            Jwk::from_encoding_key(&encoding, alg).map_err(|e| unsupported(e.to_string()))?;
        match &jwk.algorithm {
            AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {}
            AlgorithmParameters::EllipticCurve(p) => {
                return Err(unsupported(format!("an EC key on {:?}", p.curve)))
            }
            AlgorithmParameters::RSA(p) => {
                let bits = rsa_modulus_bits(&p.n).map_err(unsupported)?;
                if bits < 2048 {
                    return Err(unsupported(format!("an RSA key of about {bits} bits")));
                }
            }
            _ => return Err(unsupported("another key type".into())),
        }
        // RFC 7638 §3: the thumbprint covers only the required members.
        let kid = jwk
            .thumbprint(ThumbprintHash::SHA256)
            .map_err(|e| unsupported(e.to_string()))?;
        jwk.common.key_id = Some(kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(if alg == Algorithm::ES256 {
            KeyAlgorithm::ES256
        } else {
            KeyAlgorithm::RS256
        });
        let decoding = DecodingKey::from_jwk(&jwk).map_err(|e| unsupported(e.to_string()))?;
        let der = encoding.as_bytes();
        let signer = if alg == Algorithm::ES256 {
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                .or_else(|_| {
                    EcdsaKeyPair::from_private_key_der(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                })
                .map(KeySigner::Ec)
                .map_err(|e| unsupported(format!("an EC key aws-lc-rs refuses: {e}")))?
        } else {
            RsaKeyPair::from_der(der)
                .map(KeySigner::Rsa)
                .map_err(|e| unsupported(format!("an RSA key aws-lc-rs refuses: {e}")))?
        };
        Ok(SigningKey {
            kid,
            alg,
            jwk,
            signer: Arc::new(signer),
            decoding,
        })
    }
}

/// The size of an RSA modulus given as JWK `n` (base64url, RFC 7518
/// §6.3.1.1), to the byte: enough to refuse keys under 2048 bits.
pub(crate) fn rsa_modulus_bits(n: &str) -> Result<usize, String> {
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine;
    let n = URL_SAFE_NO_PAD
        .decode(n)
        .map_err(|e| format!("an RSA modulus that is not base64url: {e}"))?;
    Ok(n.iter().skip_while(|b| **b == 0).count() * 8)
}

/// The provider's signing keys, in the order given.
#[derive(Debug, Clone)]
pub struct ProviderKeys {
    keys: Vec<SigningKey>,
}

impl ProviderKeys {
    /// Keys from PEM files, in order.
    pub fn from_files<P: AsRef<Path>>(paths: &[P]) -> Result<ProviderKeys, KeysError> {
        let mut keys = Vec::new();
        for p in paths {
            let p = p.as_ref();
            let pem = std::fs::read(p).map_err(|source| KeysError::Io {
                path: p.display().to_string(),
                source,
            })?;
            keys.push(SigningKey::from_pem(&p.display().to_string(), &pem)?);
        }
        ProviderKeys::new(keys)
    }

    /// Keys in order; at least one, no key twice.
    pub fn new(keys: Vec<SigningKey>) -> Result<ProviderKeys, KeysError> {
        if keys.is_empty() {
            return Err(KeysError::None);
        }
        for (i, k) in keys.iter().enumerate() {
            if keys[..i].iter().any(|e| e.kid == k.kid) {
                return Err(KeysError::Duplicate {
                    label: format!("#{}", i + 1),
                    kid: k.kid.clone(),
                });
            }
        }
        Ok(ProviderKeys { keys })
    }

    /// The key that signs with `alg`: the first given of that type.
    pub fn signer(&self, alg: Algorithm) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.alg == alg)
    }

    /// The key with id `kid`.
    pub fn find(&self, kid: &str) -> Option<&SigningKey> {
        self.keys.iter().find(|k| k.kid == kid)
    }

    /// The algorithms the keys sign with, ES256 first.
    pub fn algorithms(&self) -> Vec<Algorithm> {
        [Algorithm::ES256, Algorithm::RS256]
            .into_iter()
            .filter(|a| self.signer(*a).is_some())
            .collect()
    }

    /// The public JWK Set (RFC 7517 §5) the `jwks_uri` serves: every key,
    /// so tokens signed before a rotation still verify.
    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: self.keys.iter().map(|k| k.jwk.clone()).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testkeys;

    #[test]
    fn ec_and_rsa_keys_with_thumbprint_kids() {
        let ec = SigningKey::from_pem("ec", testkeys::pem("ec-op").as_bytes()).unwrap();
        let rsa = SigningKey::from_pem("rsa", testkeys::pem("rsa-op").as_bytes()).unwrap();
        assert_eq!(ec.alg, Algorithm::ES256);
        assert_eq!(rsa.alg, Algorithm::RS256);
        assert_eq!(ec.kid.len(), 43, "base64url of a SHA-256");
        let keys = ProviderKeys::new(vec![rsa.clone(), ec.clone()]).unwrap();
        assert_eq!(keys.algorithms(), vec![Algorithm::ES256, Algorithm::RS256]);
        assert_eq!(keys.signer(Algorithm::ES256).unwrap().kid, ec.kid);
        assert_eq!(keys.find(&rsa.kid).unwrap().alg, Algorithm::RS256);
        let jwks = serde_json::to_value(keys.jwks()).unwrap();
        let first = &jwks["keys"][0];
        assert_eq!(first["kid"], rsa.kid.as_str());
        assert_eq!(first["use"], "sig");
        assert!(
            first.get("d").is_none() && first.get("p").is_none(),
            "no private parts: {first}"
        );
    }

    #[test]
    fn kid_matches_an_independent_rfc7638_thumbprint() {
        use aws_lc_rs::digest;
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        use base64::Engine;
        let ec = SigningKey::from_pem("ec", testkeys::pem("ec-op").as_bytes()).unwrap();
        let v = serde_json::to_value(&ec.jwk).unwrap();
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":{},"y":{}}}"#,
            v["x"], v["y"]
        );
        assert_eq!(
            ec.kid,
            URL_SAFE_NO_PAD.encode(digest::digest(&digest::SHA256, canonical.as_bytes()))
        );
    }

    #[test]
    fn refuses_no_keys_duplicates_and_non_keys() {
        assert!(matches!(ProviderKeys::new(vec![]), Err(KeysError::None)));
        let ec = SigningKey::from_pem("ec", testkeys::pem("ec-op").as_bytes()).unwrap();
        assert!(matches!(
            ProviderKeys::new(vec![ec.clone(), ec]),
            Err(KeysError::Duplicate { .. })
        ));
        let e = SigningKey::from_pem(
            "junk.pem",
            b"-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("junk.pem"), "{e}");
        assert!(ProviderKeys::from_files(&["/nonexistent/key.pem"]).is_err());
    }
}
