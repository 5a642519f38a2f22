//! Snapshots of revocation data, one per issuer key, swapped atomically.
//!
//! Readers call [`Store::lookup`] from any number of threads: one atomic
//! load of an `Arc` (arc-swap), no lock, and every answer comes from exactly
//! one snapshot — old or new, never a mix. Writers ([`Store::install`]) are
//! serialised among themselves and refuse anything that would make answers
//! worse: an index that fails its checksum, a delta or partial CRL posing as
//! complete, or an older CRL than the one being served (rollback). A refused
//! install leaves the current snapshot serving.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use crate::index::IndexBytes;
use crate::index::{IndexError, IndexMeta, Revocation, SerialIndex};
use crate::{CrlNumber, IssuerKeyId, Serial, Timestamp};

/// One issuer's revocation data as served.
#[derive(Debug)]
pub struct Snapshot {
    index: Arc<SerialIndex<IndexBytes>>,
    source: Option<PathBuf>,
}

impl Snapshot {
    /// The index header.
    pub fn meta(&self) -> &IndexMeta {
        self.index.meta()
    }

    /// The index itself, shared: a [`crate::verify::VerifierBuilder`] can
    /// take it ([`shared_index`](crate::verify::VerifierBuilder::shared_index))
    /// without mapping or checking the file again.
    pub fn index(&self) -> &Arc<SerialIndex<IndexBytes>> {
        &self.index
    }

    /// The file it was loaded from, if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// The answer for `serial` at time `at`.
    pub fn status(&self, serial: &Serial, at: Timestamp) -> RevocationStatus {
        let m = self.index.meta();
        if at >= m.crl.next_update {
            return RevocationStatus::Unknown(UnknownReason::Stale {
                next_update: m.crl.next_update,
            });
        }
        match self.index.lookup(serial) {
            Some(r) => RevocationStatus::Revoked(r),
            None => RevocationStatus::Good,
        }
    }
}

/// Revocation status of one certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not on a current, complete CRL of its issuer.
    Good,
    /// On the CRL.
    Revoked(Revocation),
    /// No decision possible: callers must treat it as not valid.
    Unknown(UnknownReason),
}

impl RevocationStatus {
    /// `good`, `revoked` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            RevocationStatus::Good => "good",
            RevocationStatus::Revoked(_) => "revoked",
            RevocationStatus::Unknown(_) => "unknown",
        }
    }
}

/// Why the status is unknown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnknownReason {
    /// No CRL has been loaded for this issuer key.
    NoCrl,
    /// The CRL's nextUpdate has passed: it may miss recent revocations.
    Stale {
        /// When it stopped being current.
        next_update: Timestamp,
    },
}

impl std::fmt::Display for UnknownReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            UnknownReason::NoCrl => f.write_str("no CRL loaded for this issuer"),
            UnknownReason::Stale { next_update } => {
                write!(f, "CRL is stale: its nextUpdate {next_update} has passed")
            }
        }
    }
}

/// A status together with the CRL it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: RevocationStatus,
    /// cRLNumber of the CRL consulted.
    pub crl_number: Option<CrlNumber>,
    /// Its thisUpdate.
    pub this_update: Option<Timestamp>,
    /// Its nextUpdate.
    pub next_update: Option<Timestamp>,
}

/// Why an index was not installed. The previous snapshot keeps serving.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The index failed to open or verify.
    #[error(transparent)]
    Index(#[from] IndexError),
    /// A delta CRL only makes sense on top of its base.
    #[error("refusing a delta CRL (base CRL number {base}) as a complete CRL")]
    DeltaCrl {
        /// Its base CRL number.
        base: CrlNumber,
    },
    /// The CRL covers only part of the issuer's certificates.
    #[error("refusing a partial CRL (issuingDistributionPoint limits its scope): a serial missing from it may still be revoked")]
    PartialScope,
    /// Older than what is being served.
    #[error("refusing rollback for issuer {issuer}: {what}")]
    Rollback {
        /// The issuer key.
        issuer: IssuerKeyId,
        /// What went backwards.
        what: String,
    },
    /// Same CRL number as the one served, different content.
    #[error("issuer {issuer} already serves CRL number {number} with different content")]
    Conflict {
        /// The issuer key.
        issuer: IssuerKeyId,
        /// The CRL number.
        number: CrlNumber,
    },
}

/// What an install did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Installed {
    /// First snapshot for this issuer.
    New,
    /// Replaced an older snapshot.
    Replaced,
    /// The same CRL was already serving; nothing changed.
    Unchanged,
}

type Map = HashMap<IssuerKeyId, Arc<Snapshot>>;

/// All snapshots, by issuer key.
pub struct Store {
    map: ArcSwap<Map>,
    /// Bumped after every swap, so that views built over the snapshots (a
    /// verifier) know when to rebuild without comparing them.
    generation: AtomicU64,
    writer: Mutex<()>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    /// An empty store: every lookup is `unknown` until a CRL is installed.
    pub fn new() -> Store {
        Store {
            map: ArcSwap::from_pointee(HashMap::new()),
            generation: AtomicU64::new(0),
            writer: Mutex::new(()),
        }
    }

    /// RevocationStatus of `serial` issued by the key `issuer`, at time `at`.
    pub fn lookup(&self, issuer: &IssuerKeyId, serial: &Serial, at: Timestamp) -> Answer {
        let map = self.map.load();
        match map.get(issuer) {
            None => Answer {
                status: RevocationStatus::Unknown(UnknownReason::NoCrl),
                crl_number: None,
                this_update: None,
                next_update: None,
            },
            Some(s) => {
                let m = s.meta();
                Answer {
                    status: s.status(serial, at),
                    crl_number: m.crl.crl_number,
                    this_update: Some(m.crl.this_update),
                    next_update: Some(m.crl.next_update),
                }
            }
        }
    }

    /// The snapshot serving `issuer`, to answer several questions from one
    /// consistent view.
    pub fn snapshot(&self, issuer: &IssuerKeyId) -> Option<Arc<Snapshot>> {
        self.map.load().get(issuer).cloned()
    }

    /// Every snapshot served, sorted by issuer key: one consistent view.
    pub fn snapshots(&self) -> Vec<Arc<Snapshot>> {
        let mut v: Vec<Arc<Snapshot>> = self.map.load().values().cloned().collect();
        v.sort_by_key(|s| s.meta().crl.issuer_key_id);
        v
    }

    /// How many swaps the store has made. Read it before
    /// [`Store::snapshots`]: a view built from those snapshots is current
    /// while the generation is unchanged.
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Headers of every snapshot served, sorted by issuer key.
    pub fn issuers(&self) -> Vec<IndexMeta> {
        let mut v: Vec<IndexMeta> = self.map.load().values().map(|s| s.meta().clone()).collect();
        v.sort_by_key(|m| m.crl.issuer_key_id);
        v
    }

    /// Maps, verifies and installs an index file.
    pub fn install_file(&self, path: &Path) -> Result<Installed, StoreError> {
        let index = SerialIndex::open(path)?;
        self.install(index, Some(path.to_path_buf()))
    }

    /// Verifies `index` and swaps it in for its issuer.
    pub fn install(
        &self,
        index: SerialIndex<IndexBytes>,
        source: Option<PathBuf>,
    ) -> Result<Installed, StoreError> {
        index.verify()?;
        let m = index.meta().clone();
        if let Some(base) = m.crl.delta_base {
            return Err(StoreError::DeltaCrl { base });
        }
        if m.crl.scope.is_partial() {
            return Err(StoreError::PartialScope);
        }
        let _guard = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let current = self.map.load();
        let mut outcome = Installed::New;
        if let Some(old) = current.get(&m.crl.issuer_key_id) {
            let o = old.meta();
            if o.crl.crl_digest == m.crl.crl_digest {
                return Ok(Installed::Unchanged);
            }
            if let (Some(new_n), Some(old_n)) = (m.crl.crl_number, o.crl.crl_number) {
                if new_n < old_n {
                    return Err(StoreError::Rollback {
                        issuer: m.crl.issuer_key_id,
                        what: format!("CRL number {new_n} is older than the served {old_n}"),
                    });
                }
                if new_n == old_n {
                    return Err(StoreError::Conflict {
                        issuer: m.crl.issuer_key_id,
                        number: new_n,
                    });
                }
            }
            if m.crl.this_update < o.crl.this_update {
                return Err(StoreError::Rollback {
                    issuer: m.crl.issuer_key_id,
                    what: format!(
                        "thisUpdate {} is older than the served {}",
                        m.crl.this_update, o.crl.this_update
                    ),
                });
            }
            outcome = Installed::Replaced;
        }
        let mut next: Map = (**current).clone();
        next.insert(
            m.crl.issuer_key_id,
            Arc::new(Snapshot {
                index: Arc::new(index),
                source,
            }),
        );
        self.map.store(Arc::new(next));
        self.generation.fetch_add(1, Ordering::AcqRel);
        Ok(outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crl::CrlScope;
    use crate::index::{IndexBuilder, IndexInfo};
    use crate::RevocationReason;
    use std::sync::atomic::{AtomicBool, Ordering};

    fn issuer() -> IssuerKeyId {
        IssuerKeyId::from_bytes(&[9; 20]).unwrap()
    }

    fn index_for(number: u64, serials: std::ops::Range<u64>) -> SerialIndex<IndexBytes> {
        index_with(number, number as u8, serials)
    }

    fn index_with(
        number: u64,
        content: u8,
        serials: std::ops::Range<u64>,
    ) -> SerialIndex<IndexBytes> {
        SerialIndex::from_bytes(IndexBytes::from(bytes_with(number, content, serials))).unwrap()
    }

    fn bytes_with(number: u64, content: u8, serials: std::ops::Range<u64>) -> Vec<u8> {
        let mut b = IndexBuilder::new();
        for s in serials {
            b.push(
                &Serial::from_u64(s),
                Timestamp::from_unix(1_700_000_000),
                Some(RevocationReason::Superseded),
            );
        }
        let info = IndexInfo {
            issuer_key_id: issuer(),
            issuer_spki_sha256: [0; 32],
            crl_digest: [content; 16],
            crl_number: Some(CrlNumber::from_u64(number)),
            delta_base: None,
            this_update: Timestamp::from_unix(1_700_000_000 + number as i64),
            next_update: Timestamp::from_unix(1_800_000_000),
            scope: CrlScope::default(),
            idp_distribution_point: None,
        };
        b.finish_to_vec(&info).unwrap().0
    }

    const NOW: Timestamp = Timestamp::from_unix(1_750_000_000);

    #[test]
    fn unknown_until_loaded_then_good_or_revoked() {
        let store = Store::new();
        let s = Serial::from_u64(5);
        assert_eq!(
            store.lookup(&issuer(), &s, NOW).status,
            RevocationStatus::Unknown(UnknownReason::NoCrl)
        );
        assert_eq!(
            store.install(index_for(1, 0..10), None).unwrap(),
            Installed::New
        );
        assert!(matches!(
            store.lookup(&issuer(), &s, NOW).status,
            RevocationStatus::Revoked(_)
        ));
        assert_eq!(
            store.lookup(&issuer(), &Serial::from_u64(50), NOW).status,
            RevocationStatus::Good
        );
    }

    #[test]
    fn stale_snapshot_answers_unknown_never_good() {
        let store = Store::new();
        store.install(index_for(1, 0..10), None).unwrap();
        let late = Timestamp::from_unix(1_800_000_000);
        for serial in [5u64, 50] {
            assert_eq!(
                store
                    .lookup(&issuer(), &Serial::from_u64(serial), late)
                    .status,
                RevocationStatus::Unknown(UnknownReason::Stale { next_update: late })
            );
        }
    }

    #[test]
    fn rejected_installs_keep_the_old_snapshot() {
        let store = Store::new();
        store.install(index_for(5, 0..10), None).unwrap();
        // Rollback to an older CRL number.
        let err = store.install(index_for(4, 100..110), None).unwrap_err();
        assert!(matches!(err, StoreError::Rollback { .. }), "{err}");
        // Same number, other content.
        let err = store
            .install(index_with(5, 77, 200..201), None)
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        // The very same CRL again: a no-op.
        assert_eq!(
            store.install(index_for(5, 0..10), None).unwrap(),
            Installed::Unchanged
        );
        // A corrupted index fails its checksum.
        let mut bad = bytes_with(6, 6, 0..10);
        let at = bad.len() - 20;
        bad[at] ^= 0xFF;
        let err = store
            .install(
                SerialIndex::from_bytes(IndexBytes::from(bad)).unwrap(),
                None,
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::Index(_)), "{err}");
        assert_eq!(
            store.issuers()[0].crl.crl_number,
            Some(CrlNumber::from_u64(5))
        );
        assert!(matches!(
            store.lookup(&issuer(), &Serial::from_u64(3), NOW).status,
            RevocationStatus::Revoked(_)
        ));
    }

    /// Readers hammer lookups while a writer installs ever newer CRLs; CRL n
    /// revokes exactly serials [1000 n, 1000 n + 1000). Every answer must be
    /// consistent with the CRL number it reports. The writer waits for the
    /// readers to make progress before each install, so the swaps overlap
    /// with lookups however the threads are scheduled (on a loaded 2-core
    /// machine the 38 installs could otherwise finish before a reader ran).
    #[test]
    fn concurrent_readers_never_see_a_torn_state() {
        let store = Arc::new(Store::new());
        store.install(index_for(1, 1000..2000), None).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let progress = Arc::new(AtomicU64::new(0));
        let readers: Vec<_> = (0..3)
            .map(|t| {
                let store = store.clone();
                let stop = stop.clone();
                let progress = progress.clone();
                std::thread::spawn(move || {
                    let mut checked = 0u64;
                    let mut x = t as u64 + 1;
                    while !stop.load(Ordering::Relaxed) {
                        x = x
                            .wrapping_mul(6364136223846793005)
                            .wrapping_add(1442695040888963407);
                        let serial = 1000 + (x >> 33) % 40_000;
                        let a = store.lookup(&issuer(), &Serial::from_u64(serial), NOW);
                        let n = a
                            .crl_number
                            .map(|n| n.to_string().parse::<u64>().unwrap())
                            .unwrap();
                        let in_set = serial / 1000 == n;
                        assert_eq!(
                            matches!(a.status, RevocationStatus::Revoked(_)),
                            in_set,
                            "serial {serial} under CRL {n}"
                        );
                        checked += 1;
                        progress.fetch_add(1, Ordering::Relaxed);
                    }
                    checked
                })
            })
            .collect();
        let mut seen = 0;
        for n in 2..40u64 {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while progress.load(Ordering::Relaxed) == seen {
                assert!(
                    std::time::Instant::now() < deadline,
                    "no reader made a lookup in 30 s"
                );
                std::thread::yield_now();
            }
            seen = progress.load(Ordering::Relaxed);
            store
                .install(index_for(n, n * 1000..n * 1000 + 1000), None)
                .unwrap();
        }
        stop.store(true, Ordering::Relaxed);
        let total: u64 = readers.into_iter().map(|r| r.join().unwrap()).sum();
        assert!(total > 0);
        assert_eq!(
            store.issuers()[0].crl.crl_number,
            Some(CrlNumber::from_u64(39))
        );
    }
}
