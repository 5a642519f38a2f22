//! The certificate verifier behind `POST /v1/verify` and
//! `POST /v1/authenticate`: the configured CAs as trust anchors, the
//! store's snapshots as the revocation sources.
//!
//! It shares the snapshots' indexes (no second map, no second checksum
//! pass) and is rebuilt lazily, on the first request after a swap, by
//! comparing [`Store::generation`]. Building one over indexes is a few
//! microseconds: two CA certificates parsed and some `Arc`s cloned, so the
//! reloader does not need to know this view exists.

use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;
use kakunin_engine::store::Store;
use kakunin_engine::verify::{Verifier, VerifierBuilder};

use crate::error::ApiError;
use crate::issuers::Issuers;

struct Built {
    generation: u64,
    verifier: Result<Arc<Verifier>, String>,
}

/// The current verifier, rebuilt when the store changes.
pub(crate) struct Verifiers {
    anchors: Vec<(String, Vec<u8>)>,
    current: ArcSwap<Built>,
    rebuilding: Mutex<()>,
}

impl Verifiers {
    /// A view over `issuers` (their certificates are the anchors) and,
    /// at each call of [`Verifiers::get`], a store.
    pub(crate) fn new(issuers: &Issuers) -> Verifiers {
        let anchors = issuers
            .iter()
            .map(|i| (i.source.display().to_string(), i.ca.der().to_vec()))
            .collect();
        Verifiers {
            anchors,
            current: ArcSwap::from_pointee(Built {
                generation: u64::MAX,
                verifier: Err("not built yet".into()),
            }),
            rebuilding: Mutex::new(()),
        }
    }

    /// The verifier over what `store` serves now.
    pub(crate) fn get(&self, store: &Store) -> Result<Arc<Verifier>, ApiError> {
        let generation = store.generation();
        if self.current.load().generation != generation {
            // One rebuild at a time; whoever waited finds it done.
            let _guard = self.rebuilding.lock().unwrap_or_else(|p| p.into_inner());
            if self.current.load().generation != generation {
                self.current.store(Arc::new(self.build(store, generation)));
            }
        }
        self.current
            .load()
            .verifier
            .clone()
            .map_err(ApiError::NotReady)
    }

    fn build(&self, store: &Store, generation: u64) -> Built {
        let mut b = VerifierBuilder::new();
        // No evidence is kept here: no need to hash the index files.
        b.source_digests(false);
        for (label, der) in &self.anchors {
            b.trust_anchor(label, der);
        }
        for snap in store.snapshots() {
            let label = match snap.source() {
                Some(p) => p.display().to_string(),
                None => snap.meta().crl.issuer_key_id.to_hex(),
            };
            b.shared_index(&label, snap.index().clone());
        }
        let verifier = match b.build() {
            Ok(v) => {
                for r in v.refused() {
                    tracing::warn!(source = %r, "refused by the verifier");
                }
                Ok(Arc::new(v))
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot build the verifier");
                Err(format!("cannot verify certificates: {e}"))
            }
        };
        Built {
            generation,
            verifier,
        }
    }
}
