//! The CAs a server answers for, and the names a client may use for them.
//!
//! `{issuer}` in a URL is one of:
//! - the issuer key id in hex (what `kakunin ingest` prints as
//!   `issuer_key_id`; the CA's SubjectKeyIdentifier method 1),
//! - the SHA-256 of the CA's SubjectPublicKeyInfo in hex (what HPKP-style
//!   pins and many inventories use),
//! - an alias. By default the JPKI signing CA is `sign` and the
//!   authentication CA `auth`, recognised by their names (`docs/jpki.md`,
//!   "The two CAs": the OUs `JPKI for digital signature` / `JPKI for user authentication`).
//!   Several CA generations share one name, so a default alias is given only
//!   when exactly one `--trust` CA has that name: an alias that silently
//!   picked one generation would answer `good` for the other generation's
//!   revoked certificates. `--alias NAME=CERT` names one explicitly.
//!
//! All names are matched case-insensitively and resolved once, at start.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use kakunin_engine::{CaCert, IssuerKeyId};

use crate::config::AliasSpec;

/// One configured CA.
#[derive(Debug)]
pub(crate) struct Issuer {
    /// Key id, the store's key.
    pub key_id: IssuerKeyId,
    /// SHA-256 of the SubjectPublicKeyInfo.
    pub spki_sha256: [u8; 32],
    /// The certificate, to verify CRLs with.
    pub ca: CaCert,
    /// Its aliases, lower case.
    pub aliases: Vec<String>,
    /// The file it came from.
    pub source: PathBuf,
}

impl Issuer {
    /// The key id as lower-case hex (the canonical name in answers).
    pub(crate) fn key_id_hex(&self) -> String {
        self.key_id.to_hex()
    }

    /// A short label for logs and metrics: the first alias, else the key id.
    pub(crate) fn label(&self) -> String {
        self.aliases
            .first()
            .cloned()
            .unwrap_or_else(|| self.key_id_hex())
    }
}

/// Why the trust configuration is unusable.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssuerError {
    /// No `--trust` given.
    #[error("no trust anchor configured (--trust CERT)")]
    NoTrust,
    /// A trust file could not be read.
    #[error("cannot read CA certificate {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A trust file is not a CA certificate kakunin can use.
    #[error("CA certificate {path}: {source}")]
    Ca {
        /// The file.
        path: PathBuf,
        /// Why.
        source: kakunin_engine::CaError,
    },
    /// An alias that names no configured CA.
    #[error("alias {name}={target}: {why}")]
    Alias {
        /// The alias.
        name: String,
        /// What it pointed at.
        target: String,
        /// Why it does not resolve.
        why: String,
    },
}

/// The configured CAs and every name that resolves to one.
#[derive(Debug)]
pub(crate) struct Issuers {
    list: Vec<Issuer>,
    by_name: HashMap<String, usize>,
}

/// The default aliases: (alias, what the CA's subject contains).
const JPKI_DEFAULTS: &[(&str, &str)] = &[
    ("sign", "OU=JPKI for digital signature"),
    ("auth", "OU=JPKI for user authentication"),
];

fn read_ca(path: &Path) -> Result<CaCert, IssuerError> {
    let bytes = std::fs::read(path).map_err(|source| IssuerError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    CaCert::from_pem_or_der(&bytes).map_err(|source| IssuerError::Ca {
        path: path.to_path_buf(),
        source,
    })
}

impl Issuers {
    /// Reads the trust anchors and resolves the aliases. Returns the issuers
    /// and warnings worth logging (e.g. a default alias left out because it
    /// was ambiguous).
    pub(crate) fn load(
        trust: &[PathBuf],
        aliases: &[AliasSpec],
        default_aliases: bool,
    ) -> Result<(Issuers, Vec<String>), IssuerError> {
        if trust.is_empty() {
            return Err(IssuerError::NoTrust);
        }
        let mut warnings = Vec::new();
        let mut list: Vec<Issuer> = Vec::new();
        for path in trust {
            let ca = read_ca(path)?;
            if list.iter().any(|i| i.spki_sha256 == ca.spki_sha256()) {
                warnings.push(format!("{} repeats a CA already trusted", path.display()));
                continue;
            }
            list.push(Issuer {
                key_id: ca.key_id(),
                spki_sha256: ca.spki_sha256(),
                ca,
                aliases: Vec::new(),
                source: path.clone(),
            });
        }
        let mut by_name = HashMap::new();
        for (i, issuer) in list.iter().enumerate() {
            by_name.insert(issuer.key_id_hex(), i);
            by_name.insert(hex::encode(issuer.spki_sha256), i);
        }
        for spec in aliases {
            let i = Self::alias_target(&list, spec)?;
            if let Some(&j) = by_name.get(&spec.name) {
                if !list[j].aliases.contains(&spec.name) {
                    return Err(IssuerError::Alias {
                        name: spec.name.clone(),
                        target: spec.target.clone(),
                        why: "the name is another CA's key id or SPKI hash".into(),
                    });
                }
                if j != i {
                    return Err(IssuerError::Alias {
                        name: spec.name.clone(),
                        target: spec.target.clone(),
                        why: "the alias is given twice for different CAs".into(),
                    });
                }
                continue;
            }
            by_name.insert(spec.name.clone(), i);
            list[i].aliases.push(spec.name.clone());
        }
        if default_aliases {
            for (alias, marker) in JPKI_DEFAULTS {
                if by_name.contains_key(*alias) {
                    continue; // an explicit --alias wins
                }
                let matching: Vec<usize> = (0..list.len())
                    .filter(|&i| list[i].ca.subject_string().contains(marker))
                    .collect();
                match matching.as_slice() {
                    [] => {}
                    [i] => {
                        by_name.insert(alias.to_string(), *i);
                        list[*i].aliases.push(alias.to_string());
                    }
                    many => warnings.push(format!(
                        "alias {alias:?} not set: {} trusted CAs share the name ({}); name one with --alias {alias}=CERT",
                        many.len(),
                        many.iter()
                            .map(|&i| list[i].key_id_hex())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                }
            }
        }
        Ok((Issuers { list, by_name }, warnings))
    }

    fn alias_target(list: &[Issuer], spec: &AliasSpec) -> Result<usize, IssuerError> {
        let err = |why: String| IssuerError::Alias {
            name: spec.name.clone(),
            target: spec.target.clone(),
            why,
        };
        let path = Path::new(&spec.target);
        let found = if path.exists() {
            let ca = read_ca(path).map_err(|e| err(e.to_string()))?;
            list.iter().position(|i| i.spki_sha256 == ca.spki_sha256())
        } else {
            let t = spec.target.to_ascii_lowercase().replace(':', "");
            list.iter()
                .position(|i| i.key_id_hex() == t || hex::encode(i.spki_sha256) == t)
        };
        found.ok_or_else(|| {
            err("not one of the --trust CAs (give its certificate file or its key id)".into())
        })
    }

    /// The issuer a client means by `name` (key id hex, SPKI SHA-256 hex or
    /// alias; any case).
    pub(crate) fn resolve(&self, name: &str) -> Option<&Issuer> {
        let i = match self.by_name.get(name) {
            Some(i) => *i,
            None => *self.by_name.get(&name.to_ascii_lowercase())?,
        };
        self.list.get(i)
    }

    /// The issuer with this key id.
    pub(crate) fn by_key_id(&self, id: &IssuerKeyId) -> Option<&Issuer> {
        self.list.iter().find(|i| &i.key_id == id)
    }

    /// Every configured issuer, in `--trust` order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &Issuer> {
        self.list.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_data as data;

    #[test]
    fn jpki_cas_get_default_aliases_and_resolve_by_every_name() {
        let (issuers, warnings) =
            Issuers::load(&[data("sign-ca.pem"), data("auth-ca.pem")], &[], true).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let sign = issuers.resolve("sign").unwrap();
        let auth = issuers.resolve("AUTH").unwrap();
        assert_ne!(sign.key_id, auth.key_id);
        assert!(sign.ca.subject_string().contains("digital signature"));
        let by_id = issuers.resolve(&sign.key_id_hex().to_uppercase()).unwrap();
        assert_eq!(by_id.key_id, sign.key_id);
        let by_spki = issuers.resolve(&hex::encode(sign.spki_sha256)).unwrap();
        assert_eq!(by_spki.key_id, sign.key_id);
        assert!(issuers.resolve("nope").is_none());
    }

    #[test]
    fn explicit_aliases_win_and_bad_ones_are_refused() {
        let trust = [data("sign-ca.pem"), data("auth-ca.pem")];
        let spec = |s: &str| s.parse::<AliasSpec>().unwrap();
        let auth_pem = data("auth-ca.pem").display().to_string();
        let (issuers, _) =
            Issuers::load(&trust, &[spec(&format!("sign={auth_pem}"))], true).unwrap();
        assert!(issuers
            .resolve("sign")
            .unwrap()
            .ca
            .subject_string()
            .contains("authentication"));
        let err = Issuers::load(&trust, &[spec("x=00ff")], true).unwrap_err();
        assert!(
            err.to_string().contains("not one of the --trust CAs"),
            "{err}"
        );
        let (no_defaults, _) = Issuers::load(&trust, &[], false).unwrap();
        assert!(no_defaults.resolve("sign").is_none());
        assert!(matches!(
            Issuers::load(&[], &[], true),
            Err(IssuerError::NoTrust)
        ));
    }
}
