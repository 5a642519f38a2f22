//! Optional TLS on the listening port: rustls on the aws-lc-rs provider the
//! engine already links, so the server adds no second crypto library.
//!
//! Everything that can be wrong with the files is found here, at start:
//! unreadable files, no certificate, no key, an encrypted key, a key type
//! the provider cannot sign with, and a key that is not the certificate's.
//! A server that started would otherwise fail every handshake, and the
//! only symptom would be clients' "handshake failure".

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use rustls::ServerConfig;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use tokio_rustls::TlsAcceptor;

use crate::config::TlsConfig;

/// Why the TLS certificate or key cannot be used. Each names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TlsError {
    /// The certificate chain file.
    #[error("TLS certificate {path}: {problem}")]
    Cert {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// The private key file.
    #[error("TLS key {path}: {problem}")]
    Key {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// Both files are fine on their own, but the key is not the one the
    /// (first) certificate certifies.
    #[error("TLS key {key} does not match the certificate {cert} (the first certificate in the file must be the server's own)")]
    Mismatch {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
    },
    /// rustls refused the configuration.
    #[error("TLS setup: {0}")]
    Setup(rustls::Error),
}

/// ALPN, in the server's order of preference: curl and browsers then speak
/// HTTP/2 over TLS; hyper-util's auto builder tells the two apart by the
/// HTTP/2 preface, so nothing else needs to know what was negotiated.
const ALPN: [&[u8]; 2] = [b"h2", b"http/1.1"];

/// Reads the certificate chain and key of `config` and builds the acceptor.
pub(crate) fn acceptor(config: &TlsConfig) -> Result<TlsAcceptor, TlsError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let certified = certified_key(config, &provider)?;
    warn_if_expired(&config.cert, certified.end_entity_cert().ok());
    let mut server = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(TlsError::Setup)?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certified)));
    server.alpn_protocols = ALPN.iter().map(|p| p.to_vec()).collect();
    Ok(TlsAcceptor::from(Arc::new(server)))
}

/// The chain and the signing key, checked against each other.
fn certified_key(config: &TlsConfig, provider: &CryptoProvider) -> Result<CertifiedKey, TlsError> {
    let cert_err = |problem: String| TlsError::Cert {
        path: config.cert.clone(),
        problem,
    };
    let key_err = |problem: String| TlsError::Key {
        path: config.key.clone(),
        problem,
    };
    let chain = read_chain(&config.cert).map_err(cert_err)?;
    let key = read_key(&config.key).map_err(key_err)?;
    let signing_key = provider
        .key_provider
        .load_private_key(key)
        .map_err(|e| key_err(format!("unusable private key: {e}")))?;
    let certified = CertifiedKey::new(chain, signing_key);
    match certified.keys_match() {
        Ok(()) => Ok(certified),
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
            Err(TlsError::Mismatch {
                cert: config.cert.clone(),
                key: config.key.clone(),
            })
        }
        // The provider's keys all know their public half; should one not,
        // rustls itself accepts the pair, and so do we.
        Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::Unknown)) => Ok(certified),
        Err(e) => Err(cert_err(format!(
            "the first certificate is not a valid X.509 certificate: {e}"
        ))),
    }
}

/// Every `CERTIFICATE` block of a PEM file, leaf first; a file without PEM
/// markers is taken as one DER certificate.
fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let bytes = read(path)?;
    if !is_pem(&bytes) {
        return Ok(vec![CertificateDer::from(bytes)]);
    }
    let chain = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("bad PEM: {e}"))?;
    if chain.is_empty() {
        return Err("no CERTIFICATE block (expected a PEM chain, server certificate first)".into());
    }
    Ok(chain)
}

/// The first private key of a PEM file (PKCS#8 `PRIVATE KEY`, PKCS#1 `RSA
/// PRIVATE KEY` or SEC1 `EC PRIVATE KEY`); a file without PEM markers is
/// taken as one DER key of any of these forms.
fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    let bytes = read(path)?;
    if !is_pem(&bytes) {
        return PrivateKeyDer::try_from(bytes.as_slice())
            .map(|k| k.clone_key())
            .map_err(|e| format!("not a PEM file, and not a DER private key: {e}"));
    }
    match PrivateKeyDer::from_pem_slice(&bytes) {
        Ok(key) => Ok(key),
        Err(rustls_pki_types::pem::Error::NoItemsFound) if contains(&bytes, b"ENCRYPTED") => {
            Err("the key is encrypted; the server needs it unencrypted (openssl pkey -in KEY -out PLAIN), readable only by its own user".into())
        }
        Err(rustls_pki_types::pem::Error::NoItemsFound) => Err(
            "no private key (expected PEM PRIVATE KEY, RSA PRIVATE KEY or EC PRIVATE KEY)".into(),
        ),
        Err(e) => Err(format!("bad PEM: {e}")),
    }
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read: {e}"))
}

fn is_pem(bytes: &[u8]) -> bool {
    contains(bytes, b"-----BEGIN ")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// An expired server certificate still starts the server (a renewal may be
/// on its way, and refusing to start would take down plain health checks
/// too), but every client will refuse it: say so loudly.
fn warn_if_expired(path: &Path, leaf: Option<&CertificateDer<'_>>) {
    use der::Decode;
    let Some(cert) = leaf.and_then(|c| x509_cert::Certificate::from_der(c).ok()) else {
        return;
    };
    let not_after =
        std::time::UNIX_EPOCH + cert.tbs_certificate.validity.not_after.to_unix_duration();
    if not_after < std::time::SystemTime::now() {
        tracing::warn!(
            file = %path.display(),
            not_after = %httpdate::fmt_http_date(not_after),
            "the TLS certificate has expired; clients will refuse the connection"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_data;

    fn config(cert: &str, key: &str) -> TlsConfig {
        TlsConfig {
            cert: sample_data(cert),
            key: sample_data(key),
        }
    }

    #[test]
    fn a_matching_pair_builds_an_acceptor_offering_h2_and_http1() {
        // The sample's delegated OCSP responder is a certificate with its
        // key: not a TLS server certificate, but rustls does not care at
        // this point, and it exercises the same loading.
        acceptor(&config("ocsp.pem", "ocsp.key")).expect("acceptor");
        assert_eq!(ALPN, [b"h2".as_slice(), b"http/1.1".as_slice()]);
    }

    #[test]
    fn errors_name_the_file_and_the_problem() {
        let text = |c: &str, k: &str| match acceptor(&config(c, k)) {
            Ok(_) => panic!("{c} + {k} accepted"),
            Err(e) => e.to_string(),
        };
        let e = text("ocsp.pem", "holders/1/auth.key");
        assert!(
            e.contains("does not match") && e.contains("ocsp.pem"),
            "{e}"
        );
        let e = text("no-such.pem", "ocsp.key");
        assert!(
            e.contains("no-such.pem") && e.contains("cannot read"),
            "{e}"
        );
        let e = text("ocsp.key", "ocsp.key");
        assert!(
            e.contains("TLS certificate") && e.contains("no CERTIFICATE"),
            "{e}"
        );
        let e = text("ocsp.pem", "ocsp.pem");
        assert!(e.contains("TLS key") && e.contains("no private key"), "{e}");
        let e = text("ocsp.pem", "sign.crl");
        assert!(
            e.contains("sign.crl") && e.contains("DER private key"),
            "{e}"
        );
    }
}
