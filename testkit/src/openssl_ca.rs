//! A small CA of the openssl CLI's own making with a fixed set of
//! revocations: the independent oracle the ingest, status and server tests
//! compare kakunin against.

use std::path::PathBuf;

use crate::{pem_to_der, CaConfig, IndexCa};

/// The revocations of an [`OpensslCa`]: (serial as index.txt has it,
/// revocation date, reason name or "").
pub const OPENSSL_CA_REVOKED: &[(&str, &str, &str)] = &[
    ("01", "250101000000Z", "keyCompromise"),
    ("0123000001", "240203040506Z", "affiliationChanged"),
    ("0123000002", "240203040507Z", "superseded"),
    ("0123000005", "240203040508Z", "cessationOfOperation"),
    ("7FFFFFFFFFFFFFFF", "230101000000Z", ""),
    ("FFFFFFFFFFFFFFFF", "230101000001Z", "CACompromise"),
    ("010000000000000000", "230101000002Z", "unspecified"),
    (
        "7102030405060708090A0B0C0D0E0F1011121314",
        "220101000000Z",
        "certificateHold",
    ),
];

/// A CA made by `openssl req` with a CRL made by `openssl ca -gencrl`:
/// [`OPENSSL_CA_REVOKED`] revoked, `0123000003` (`/CN=good`) valid, CRL
/// numbers from 0x1000.
pub struct OpensslCa {
    /// Where `ca.pem`, its key, its database and the CRLs made are.
    pub dir: tempfile::TempDir,
    ca: IndexCa,
}

impl OpensslCa {
    /// A new CA (RSA 2048, ten years) in a temporary directory, its
    /// database holding the revocations and the valid certificate.
    pub fn new() -> OpensslCa {
        let dir = crate::tempdir();
        let config = CaConfig {
            crl_number: 0x1000,
            crl_days: 30,
            ..CaConfig::default()
        };
        let ca = IndexCa::self_signed(
            dir.path(),
            &[
                "-newkey", "rsa:2048", "-days", "3650", "-subj",
                "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
            &config,
        );
        for (serial, date, reason) in OPENSSL_CA_REVOKED {
            ca.add_revoked(
                serial,
                "351231000000Z",
                date,
                reason,
                &format!("/CN=h{serial}"),
            );
        }
        ca.add_valid("0123000003", "351231000000Z", "/CN=good");
        OpensslCa { dir, ca }
    }

    /// The file `name` in the CA's directory.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// [`OpensslCa::path`] as a string, for argument lists.
    pub fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Makes a CRL (next CRL number each call) as DER at `name`.
    pub fn gencrl(&self, name: &str, extra: &[&str]) -> PathBuf {
        let pem = self.ca.gencrl(&self.path("crl.pem"), extra);
        pem_to_der("crl", &pem, &self.path(name));
        self.path(name)
    }
}

impl Default for OpensslCa {
    fn default() -> Self {
        OpensslCa::new()
    }
}
