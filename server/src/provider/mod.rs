//! The OpenID Provider inside `kakunin serve`: who it is (the issuer), whom
//! it serves (the client registry, reloadable), what it signs with, and the
//! short-lived state behind one [`StateStore`]. The protocol rules are the
//! `kakunin-oidc` crate's; what is specific to a card login — the pending
//! requests a person approves with the card, and the facts read from the
//! signing certificate — lives in the submodules here. The HTTP side is
//! `handlers::oidc`. See docs/oidc.md.

mod approval;
mod facts;
mod pending;
pub(crate) mod signing;

use std::path::PathBuf;
use std::sync::Arc;

use arc_swap::ArcSwap;
use kakunin_oidc::clients::{ClientRegistry, ClientsError};
use kakunin_oidc::discovery::{Issuer, IssuerError, ProviderMetadata};
use kakunin_oidc::keys::{KeysError, ProviderKeys};
use kakunin_oidc::state::StateStore;
use kakunin_oidc::tokens::{PairwiseSecret, TokenIssuer};

pub(crate) use approval::{approve, Approval};
pub(crate) use kakunin_oidc::pairing::PairingCode;
pub(crate) use pending::{Decided, Pending, PendingError, EXPIRED_HELD};

use crate::config::OidcConfig;

/// Why the OpenID Provider cannot start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// `--issuer` is not an issuer identifier.
    #[error("--issuer: {0}")]
    Issuer(#[from] IssuerError),
    /// The client registry is unusable.
    #[error("--clients: {0}")]
    Clients(#[from] ClientsError),
    /// A signing key is unusable.
    #[error("--oidc-key: {0}")]
    Keys(#[from] KeysError),
    /// The pairwise key file.
    #[error("cannot read the pairwise key {path}: {source}")]
    PairwiseKey {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// Document signing cannot start (its evidence log or key).
    #[error("document signing: {0}")]
    Signing(String),
    /// A pairwise key shorter than 32 bytes.
    #[error("pairwise key {path} has {len} bytes; expected at least 32 secret bytes (e.g. `head -c 32 /dev/urandom > {path}`)")]
    PairwiseShort {
        /// The file.
        path: PathBuf,
        /// Its length.
        len: usize,
    },
}

/// The provider's configuration, loaded and checked.
pub(crate) struct Provider {
    pub(crate) issuer: Issuer,
    /// `scheme://host[:port]` of the issuer: what a card signs for.
    pub(crate) origin: String,
    clients_path: PathBuf,
    registry: ArcSwap<ClientRegistry>,
    pub(crate) tokens: TokenIssuer,
    pub(crate) pairwise: PairwiseSecret,
    pub(crate) store: Arc<dyn StateStore>,
    metadata: Vec<u8>,
    jwks: Vec<u8>,
    /// How long a person has to approve.
    pub(crate) pending_lifetime: std::time::Duration,
    /// How long a code lives.
    pub(crate) code_lifetime: std::time::Duration,
    /// Document signing, when configured.
    pub(crate) signing: Option<signing::Signing>,
}

impl Provider {
    /// Reads the registry, the keys and the pairwise key; `own_issuer` is
    /// the issuer when none is configured; `store` holds the short-lived
    /// state.
    pub(crate) fn load(
        config: &OidcConfig,
        own_issuer: &str,
        store: Arc<dyn StateStore>,
    ) -> Result<Provider, ProviderError> {
        let issuer = Issuer::new(config.issuer.as_deref().unwrap_or(own_issuer))?;
        let registry = ClientRegistry::load(&config.clients)?;
        let keys = ProviderKeys::from_files(&config.keys)?;
        let secret =
            std::fs::read(&config.pairwise_key).map_err(|source| ProviderError::PairwiseKey {
                path: config.pairwise_key.clone(),
                source,
            })?;
        let pairwise = PairwiseSecret::new(&secret).map_err(|_| ProviderError::PairwiseShort {
            path: config.pairwise_key.clone(),
            len: secret.len(),
        })?;
        let mut metadata = ProviderMetadata::new(&issuer);
        metadata.id_token_signing_alg_values_supported = keys
            .algorithms()
            .iter()
            .filter_map(|a| match a {
                jsonwebtoken::Algorithm::ES256 => Some("ES256"),
                jsonwebtoken::Algorithm::RS256 => Some("RS256"),
                _ => None,
            })
            .collect();
        let metadata = serde_json::to_vec(&metadata).unwrap_or_default();
        let jwks = serde_json::to_vec(&keys.jwks()).unwrap_or_default();
        let signing = config
            .signing
            .as_ref()
            .map(signing::Signing::load)
            .transpose()
            .map_err(ProviderError::Signing)?;
        let tokens = TokenIssuer::new(
            issuer.as_str(),
            &issuer.endpoint(kakunin_oidc::discovery::USERINFO_PATH),
            keys,
        );
        Ok(Provider {
            origin: origin_of(issuer.as_str()),
            issuer,
            clients_path: config.clients.clone(),
            registry: ArcSwap::from_pointee(registry),
            tokens,
            pairwise,
            store,
            metadata,
            jwks,
            pending_lifetime: config.pending_lifetime.clamp(
                std::time::Duration::from_secs(1),
                OidcConfig::MAX_PENDING_LIFETIME,
            ),
            code_lifetime: config.code_lifetime.clamp(
                std::time::Duration::from_secs(1),
                OidcConfig::MAX_CODE_LIFETIME,
            ),
            signing,
        })
    }

    /// The client registry being served.
    pub(crate) fn clients(&self) -> Arc<ClientRegistry> {
        self.registry.load_full()
    }

    /// The display name of `client_id` as the person sees it, or an empty
    /// string for a client a reload removed.
    pub(crate) fn client_name(&self, client_id: &str) -> String {
        self.registry
            .load()
            .get(client_id)
            .map(|c| c.name.clone())
            .unwrap_or_default()
    }

    /// Reads the registry file again; a bad file is refused and the old
    /// registry keeps serving.
    pub(crate) fn reload_clients(&self) -> Result<usize, ClientsError> {
        let registry = ClientRegistry::load(&self.clients_path)?;
        let n = registry.len();
        self.registry.store(Arc::new(registry));
        Ok(n)
    }

    /// [`Provider::reload_clients`], logged; the error as text.
    pub(crate) fn reload_clients_logged(&self) -> Result<usize, String> {
        match self.reload_clients() {
            Ok(n) => {
                tracing::info!(clients = n, path = %self.clients_path.display(), "client registry reloaded");
                Ok(n)
            }
            Err(e) => {
                tracing::error!(error = %e, "client registry refused; the old one keeps serving");
                Err(e.to_string())
            }
        }
    }

    /// Whether the issuer is `https` (cookies can then be Secure).
    pub(crate) fn is_https(&self) -> bool {
        self.issuer.as_str().starts_with("https://")
    }

    /// The discovery document, serialised once.
    pub(crate) fn metadata_json(&self) -> &[u8] {
        &self.metadata
    }

    /// What replicas sharing a store must agree on, without the secrets:
    /// the published keys, and an HMAC under the pairwise key.
    pub(crate) fn fingerprint_parts(&self) -> String {
        format!(
            "{}\n{}",
            String::from_utf8_lossy(&self.jwks),
            self.pairwise
                .subject("kakunin deployment fingerprint v1", b"", b"")
        )
    }

    /// The JWKS, serialised once.
    pub(crate) fn jwks_json(&self) -> &[u8] {
        &self.jwks
    }
}

/// `scheme://host[:port]` of an issuer (which [`Issuer::new`] checked),
/// serialised as browsers do (RFC 6454 §6.1): lower case, a default port
/// dropped. The card front end serialises the URL it is given the same
/// way, so `https://id.example.jp:443` and `https://id.example.jp` agree.
fn origin_of(issuer: &str) -> String {
    let (scheme, rest) = issuer.split_once("://").unwrap_or(("https", issuer));
    let scheme = scheme.to_ascii_lowercase();
    let authority = rest.split('/').next().unwrap_or(rest).to_ascii_lowercase();
    let default = if scheme == "https" { ":443" } else { ":80" };
    let authority = authority.strip_suffix(default).unwrap_or(&authority);
    format!("{scheme}://{authority}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_of_issuers() {
        assert_eq!(
            origin_of("https://ID.example.jp/op"),
            "https://id.example.jp"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(
            origin_of("https://id.example.jp:443"),
            "https://id.example.jp"
        );
        assert_eq!(
            origin_of("http://id.example.jp:80/x"),
            "http://id.example.jp"
        );
        assert_eq!(
            origin_of("https://id.example.jp:80"),
            "https://id.example.jp:80"
        );
    }
}
