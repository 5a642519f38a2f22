//! Hot reload of the CRL directory.
//!
//! A *scan* lists `*.crl` and `*.idx` in the directory and loads every file
//! whose fingerprint (size, mtime, ctime, inode) changed since it was last
//! looked at — whether that look succeeded or not, so a bad file is refused
//! (and counted) once, not on every scan, and is tried again when it
//! changes. The one exception is a file whose thisUpdate is ahead of our
//! clock: time cures that, so it is tried again on every scan. Loading happens on the reload thread, never on a request path:
//!
//! - `*.crl` (DER or PEM): the engine's ingest checks against the `--trust`
//!   CA that issued it (key id from the AKI, else by name), then an index is
//!   built in memory;
//! - `*.idx` (from `kakunin ingest`): mapped, its issuer key id and SPKI
//!   hash must be one of the `--trust` CAs, it must be current, and the
//!   store verifies its checksum once before the swap.
//!
//! [`Store::install`] does the swap and refuses rollback (an older CRL
//! number or thisUpdate than the one served), a different CRL under the
//! served number, deltas and partial CRLs. A refused file leaves the current
//! snapshot serving. Requests already running keep the `Arc` of the
//! snapshot they loaded, so they finish on the old one.
//!
//! Scans are triggered by file events (debounced), SIGHUP, `POST
//! /admin/reload`, and a periodic timer as the fallback; triggers that
//! arrive during a scan are coalesced into one more scan.
//!
//! Index files are memory-mapped and read in place. Replace them by rename
//! (as `kakunin ingest` does), never by writing into the served file: a
//! file truncated under a live map faults the reader. CRLs are read into
//! memory instead, so a CRL being rewritten can at worst be refused.

use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use kakunin_engine::crl::{der_from_pem_or_der, Crl};
use kakunin_engine::index::{IndexBytes, IndexMeta, SerialIndex};
use kakunin_engine::ingest::{verify_crl, IngestError, IngestOptions};
use kakunin_engine::store::{Installed, Store};
use kakunin_engine::Timestamp;
use serde::Serialize;

use crate::issuers::{Issuer, Issuers};
use crate::metrics::Metrics;

/// Allowed clock skew for an index's thisUpdate, as ingest allows for a CRL.
const MAX_CLOCK_SKEW: i64 = 300;

/// What a file in the directory is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Crl,
    Idx,
}

impl Kind {
    fn of(path: &Path) -> Option<Kind> {
        let name = path.file_name()?.to_str()?;
        if name.starts_with('.') {
            return None; // editors' and rsync's temporary files
        }
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "crl" => Some(Kind::Crl),
            "idx" => Some(Kind::Idx),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Crl => "crl",
            Kind::Idx => "idx",
        }
    }
}

/// Identity of a file version: a rename gives a new inode, an in-place
/// rewrite a new mtime/ctime or size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    mtime_ns: i128,
    ctime_ns: i128,
    ino: u64,
    dev: u64,
}

impl Fingerprint {
    fn of(meta: &std::fs::Metadata) -> Fingerprint {
        Fingerprint {
            len: meta.len(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
            ino: meta.ino(),
            dev: meta.dev(),
        }
    }
}

/// What happened to one file in a scan.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FileOutcome {
    /// The file name within the directory.
    pub file: String,
    /// `crl` or `idx`.
    pub kind: &'static str,
    /// `installed` (first CRL of its issuer), `replaced`, `unchanged` (the
    /// same CRL is already served) or `refused`.
    pub outcome: &'static str,
    /// The issuer key id, when known.
    pub issuer: Option<String>,
    /// The file's CRL number, when known.
    pub crl_number: Option<String>,
    /// Why a file was refused.
    pub detail: Option<String>,
}

/// The files a scan looked at (those new or changed since the last scan).
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanReport {
    /// One entry per file loaded or refused.
    pub files: Vec<FileOutcome>,
}

impl ScanReport {
    /// Files refused in this scan.
    pub fn refused(&self) -> usize {
        self.files.iter().filter(|f| f.outcome == "refused").count()
    }
}

/// Loads the directory into the store. Owned by the reload thread.
pub(crate) struct Reloader {
    dir: PathBuf,
    store: Arc<Store>,
    issuers: Arc<Issuers>,
    metrics: Arc<Metrics>,
    seen: HashMap<PathBuf, Fingerprint>,
}

impl Reloader {
    /// A reloader for `dir`; nothing is loaded until [`Reloader::scan`].
    pub(crate) fn new(
        dir: PathBuf,
        store: Arc<Store>,
        issuers: Arc<Issuers>,
        metrics: Arc<Metrics>,
    ) -> Reloader {
        Reloader {
            dir,
            store,
            issuers,
            metrics,
            seen: HashMap::new(),
        }
    }

    /// Loads every new or changed file. Errs only when the directory itself
    /// cannot be listed.
    pub(crate) fn scan(&mut self) -> std::io::Result<ScanReport> {
        self.scan_at(Timestamp::now())
    }

    /// [`Reloader::scan`] with the clock given (tests).
    fn scan_at(&mut self, now: Timestamp) -> std::io::Result<ScanReport> {
        let mut files: Vec<(PathBuf, Kind, Fingerprint)> = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let Ok(entry) = entry else { continue };
            let path = entry.path();
            let Some(kind) = Kind::of(&path) else {
                continue;
            };
            // Follows symlinks: a directory of links to the real files
            // (Kubernetes ConfigMaps) is common.
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            files.push((path, kind, Fingerprint::of(&meta)));
        }
        // Name order: deterministic, and a dated naming scheme
        // (sign-20261201.crl) loads oldest first, so nothing is refused as
        // a rollback at start.
        files.sort_by(|a, b| a.0.cmp(&b.0));
        // Forget files that are gone, so one put back is looked at again.
        self.seen
            .retain(|p, _| files.iter().any(|(listed, _, _)| listed == p));
        let mut report = ScanReport::default();
        for (path, kind, fp) in files {
            if self.seen.get(&path) == Some(&fp) {
                continue;
            }
            let (outcome, retry) = self.load(&path, kind, now);
            if !retry {
                self.seen.insert(path, fp);
            }
            report.files.push(outcome);
        }
        Ok(report)
    }

    /// Loads one file; the flag says whether to try it again on the next
    /// scan although it did not change (a refusal that time may cure).
    fn load(&self, path: &Path, kind: Kind, now: Timestamp) -> (FileOutcome, bool) {
        let file = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let result = match kind {
            Kind::Crl => self.load_crl(path, now),
            Kind::Idx => self.load_idx(path, now),
        };
        match result {
            Ok((installed, meta)) => {
                let outcome = match installed {
                    Installed::New => "installed",
                    Installed::Replaced => "replaced",
                    Installed::Unchanged => "unchanged",
                };
                let issuer = meta.crl.issuer_key_id.to_hex();
                let crl_number = meta.crl.crl_number.map(|n| n.to_string());
                if installed == Installed::Unchanged {
                    tracing::debug!(file, kind = kind.as_str(), issuer, "already served");
                } else {
                    self.metrics.reload_success(kind.as_str());
                    tracing::info!(
                        file,
                        kind = kind.as_str(),
                        outcome,
                        issuer,
                        crl_number = crl_number.as_deref().unwrap_or("-"),
                        entries = meta.entries,
                        this_update = %meta.crl.this_update,
                        next_update = %meta.crl.next_update,
                        "CRL swapped in"
                    );
                }
                let done = FileOutcome {
                    file,
                    kind: kind.as_str(),
                    outcome,
                    issuer: Some(issuer),
                    crl_number,
                    detail: None,
                };
                (done, false)
            }
            Err(refusal) => {
                self.metrics.reload_failure(kind.as_str());
                tracing::warn!(
                    file,
                    kind = kind.as_str(),
                    reason = %refusal.detail,
                    retry = refusal.retry,
                    "refused; the previous snapshot keeps serving"
                );
                let refused = FileOutcome {
                    file,
                    kind: kind.as_str(),
                    outcome: "refused",
                    issuer: refusal.issuer,
                    crl_number: None,
                    detail: Some(refusal.detail),
                };
                (refused, refusal.retry)
            }
        }
    }

    fn load_crl(&self, path: &Path, now: Timestamp) -> Result<(Installed, IndexMeta), Refusal> {
        let bytes = std::fs::read(path).map_err(|e| Refusal::new(format!("cannot read: {e}")))?;
        let opts = IngestOptions {
            now,
            ..IngestOptions::default()
        };
        // Several CA generations may share a name: without an AKI every
        // candidate is tried, and the one whose key verifies the CRL wins.
        let mut first_error = None;
        let mut verified = None;
        for issuer in self.crl_issuers(&bytes)? {
            match verify_crl(&bytes, &issuer.ca, &opts, &|_, _| {}) {
                Ok(v) => {
                    verified = Some((issuer, v));
                    break;
                }
                Err(e) => {
                    first_error.get_or_insert(Refusal {
                        issuer: Some(issuer.key_id_hex()),
                        // thisUpdate ahead of our clock: the same file is
                        // fine a few minutes later.
                        retry: matches!(e, IngestError::NotYetValid { .. }),
                        detail: e.to_string(),
                    });
                }
            }
        }
        drop(bytes);
        let Some((issuer, verified)) = verified else {
            return Err(first_error.unwrap_or_else(|| Refusal::new("no candidate CA".into())));
        };
        let refuse = |detail: String| Refusal {
            issuer: Some(issuer.key_id_hex()),
            retry: false,
            detail,
        };
        let (index_bytes, _report) = verified
            .into_index_bytes()
            .map_err(|e| refuse(e.to_string()))?;
        let index = SerialIndex::from_bytes(IndexBytes::from(index_bytes))
            .map_err(|e| refuse(e.to_string()))?;
        let meta = index.meta().clone();
        let installed = self
            .store
            .install(index, Some(path.to_path_buf()))
            .map_err(|e| refuse(e.to_string()))?;
        Ok((installed, meta))
    }

    /// The `--trust` CAs a CRL may be from: the one its
    /// AuthorityKeyIdentifier names, else those whose name matches. The
    /// ingest checks then verify the claim (name, key id, signature).
    fn crl_issuers(&self, bytes: &[u8]) -> Result<Vec<&Issuer>, Refusal> {
        let der = der_from_pem_or_der(bytes).map_err(|e| Refusal::new(e.to_string()))?;
        let crl = Crl::parse(&der).map_err(|e| Refusal::new(e.to_string()))?;
        if let Some(aki) = crl.authority_key_id() {
            return match self.issuers.iter().find(|i| i.key_id.as_bytes() == aki) {
                Some(i) => Ok(vec![i]),
                None => Err(Refusal::new(format!(
                    "CRL is signed by key {}, which is none of the --trust CAs",
                    hex::encode(aki)
                ))),
            };
        }
        let by_name: Vec<&Issuer> = self
            .issuers
            .iter()
            .filter(|i| crl.check_issued_by(&i.ca).is_ok())
            .collect();
        if by_name.is_empty() {
            return Err(Refusal::new("CRL issuer is none of the --trust CAs".into()));
        }
        Ok(by_name)
    }

    fn load_idx(&self, path: &Path, now: Timestamp) -> Result<(Installed, IndexMeta), Refusal> {
        let index = SerialIndex::open(path).map_err(|e| Refusal::new(e.to_string()))?;
        let meta = index.meta().clone();
        let key_id = meta.crl.issuer_key_id;
        let refuse = |detail: String| Refusal {
            issuer: Some(key_id.to_hex()),
            retry: false,
            detail,
        };
        // The index carries no signature of its own: it was verified by
        // `kakunin ingest`, and the directory's permissions are what vouch
        // for it. What we can check is that it names a key we trust.
        let issuer = self.issuers.by_key_id(&key_id).ok_or_else(|| {
            refuse(format!(
                "index is for issuer key {}, which is none of the --trust CAs",
                key_id.to_hex()
            ))
        })?;
        if issuer.spki_sha256 != meta.crl.issuer_spki_sha256 {
            return Err(refuse(format!(
                "index names key id {} but another public key than {}",
                key_id.to_hex(),
                issuer.source.display()
            )));
        }
        if meta.crl.next_update <= now {
            return Err(refuse(format!(
                "index is stale: nextUpdate {} has passed",
                meta.crl.next_update
            )));
        }
        if meta.crl.this_update.unix() > now.unix() + MAX_CLOCK_SKEW {
            return Err(Refusal {
                retry: true,
                ..refuse(format!(
                    "index is not yet valid: thisUpdate {} is in the future",
                    meta.crl.this_update
                ))
            });
        }
        // install() verifies the whole checksum before the swap.
        let installed = self
            .store
            .install(index, Some(path.to_path_buf()))
            .map_err(|e| refuse(e.to_string()))?;
        Ok((installed, meta))
    }
}

/// Why a file was refused.
struct Refusal {
    issuer: Option<String>,
    detail: String,
    /// Time may cure it (thisUpdate ahead of our clock): look at the file
    /// again on the next scan even if it did not change.
    retry: bool,
}

impl Refusal {
    fn new(detail: String) -> Refusal {
        Refusal {
            issuer: None,
            detail,
            retry: false,
        }
    }
}

/// A request to the reload thread; an admin request waits for the report.
pub(crate) enum ReloadRequest {
    /// Scan, nobody waits (file event, SIGHUP).
    Scan(&'static str),
    /// Scan and send the report back.
    ScanAndReport(tokio::sync::oneshot::Sender<Result<ScanReport, String>>),
}

/// Sends scan requests to the reload thread.
#[derive(Clone)]
pub(crate) struct ReloadHandle {
    tx: mpsc::Sender<ReloadRequest>,
}

impl ReloadHandle {
    /// Asks for a scan and does not wait.
    pub(crate) fn trigger(&self, why: &'static str) {
        let _ = self.tx.send(ReloadRequest::Scan(why));
    }

    /// Asks for a scan and waits for its report.
    pub(crate) async fn scan(&self) -> Result<ScanReport, String> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.tx
            .send(ReloadRequest::ScanAndReport(tx))
            .map_err(|_| "the reload thread has stopped".to_string())?;
        rx.await
            .map_err(|_| "the reload thread has stopped".to_string())?
    }
}

/// Starts the reload thread (periodic scans every `poll_interval`, and on
/// request). The thread ends when every [`ReloadHandle`] is dropped.
pub(crate) fn spawn(
    mut reloader: Reloader,
    poll_interval: Duration,
) -> std::io::Result<ReloadHandle> {
    let (tx, rx) = mpsc::channel::<ReloadRequest>();
    std::thread::Builder::new()
        .name("kakunin-reload".into())
        .spawn(move || loop {
            let first = match rx.recv_timeout(poll_interval) {
                Ok(r) => Some(r),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            };
            // Coalesce whatever else is queued into this one scan.
            let mut waiting = Vec::new();
            let mut why = "poll";
            for r in first.into_iter().chain(rx.try_iter()) {
                match r {
                    ReloadRequest::Scan(w) => why = w,
                    ReloadRequest::ScanAndReport(reply) => {
                        why = "admin";
                        waiting.push(reply)
                    }
                }
            }
            let result = reloader.scan();
            match &result {
                Ok(r) if !r.files.is_empty() => {
                    tracing::debug!(trigger = why, files = r.files.len(), "scan done")
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(trigger = why, error = %e, "cannot list the CRL directory")
                }
            }
            let result = result.map_err(|e| format!("cannot list the CRL directory: {e}"));
            for reply in waiting {
                let _ = reply.send(result.clone());
            }
        })?;
    Ok(ReloadHandle { tx })
}

/// Whether a file event on `path` can mean a new or changed CRL or index.
/// Not events on the directory itself: notify watches opens too, and every
/// scan lists the directory, so each scan would trigger the next, one per
/// debounce interval, forever.
fn worth_a_scan(path: &Path) -> bool {
    Kind::of(path).is_some() && !path.is_dir()
}

/// Watches the directory and triggers a scan after each burst of events
/// on `*.crl` and `*.idx` files.
/// Returns the watcher, which must be kept alive.
pub(crate) fn watch(
    dir: &Path,
    debounce: Duration,
    handle: ReloadHandle,
) -> Result<notify_debouncer_mini::Debouncer<notify::RecommendedWatcher>, notify::Error> {
    let mut debouncer = notify_debouncer_mini::new_debouncer(
        debounce,
        move |res: notify_debouncer_mini::DebounceEventResult| match res {
            Ok(events) if events.iter().any(|e| worth_a_scan(&e.path)) => handle.trigger("watch"),
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "directory watch error; the periodic scan still runs")
            }
        },
    )?;
    debouncer
        .watcher()
        .watch(dir, notify::RecursiveMode::NonRecursive)?;
    Ok(debouncer)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample_data as data;

    fn at(t: &str) -> Timestamp {
        Timestamp::parse_rfc3339(t).unwrap()
    }

    fn reloader(dir: &Path) -> Reloader {
        let (issuers, _) =
            Issuers::load(&[data("sign-ca.pem"), data("auth-ca.pem")], &[], true).unwrap();
        Reloader::new(
            dir.to_path_buf(),
            Arc::new(Store::new()),
            Arc::new(issuers),
            Arc::new(Metrics::new()),
        )
    }

    fn outcomes(r: &ScanReport) -> Vec<(&str, &str)> {
        r.files
            .iter()
            .map(|f| (f.file.as_str(), f.outcome))
            .collect()
    }

    #[test]
    fn listing_the_directory_triggers_no_scan_but_a_renamed_crl_does() {
        let dir = tempfile::tempdir().unwrap();
        let (tx, rx) = mpsc::channel();
        let _watch = watch(dir.path(), Duration::from_millis(50), ReloadHandle { tx }).unwrap();
        // What every scan does: list the directory.
        for _ in 0..20 {
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(
            rx.recv_timeout(Duration::from_millis(300)).is_err(),
            "listing the directory triggered a scan"
        );
        let tmp = dir.path().join(".sign.crl.tmp");
        std::fs::copy(data("sign.crl"), &tmp).unwrap();
        std::fs::rename(&tmp, dir.path().join("sign.crl")).unwrap();
        assert!(matches!(
            rx.recv_timeout(Duration::from_secs(10)),
            Ok(ReloadRequest::Scan("watch"))
        ));
    }

    #[test]
    fn unchanged_files_are_not_reloaded_and_ignored_names_never_are() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(data("sign.crl"), dir.path().join("sign.crl")).unwrap();
        std::fs::copy(data("auth.crl"), dir.path().join(".auth.crl.tmp")).unwrap();
        std::fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let mut r = reloader(dir.path());
        let now = at("2026-12-01T00:00:00Z");
        assert_eq!(
            outcomes(&r.scan_at(now).unwrap()),
            [("sign.crl", "installed")]
        );
        assert!(r.scan_at(now).unwrap().files.is_empty());
        // The same CRL under a second name is recognised as already served.
        std::fs::copy(data("sign.crl"), dir.path().join("sign-copy.crl")).unwrap();
        assert_eq!(
            outcomes(&r.scan_at(now).unwrap()),
            [("sign-copy.crl", "unchanged")]
        );
        // Removed, then put back: looked at again.
        std::fs::remove_file(dir.path().join("sign-copy.crl")).unwrap();
        assert!(r.scan_at(now).unwrap().files.is_empty());
        std::fs::copy(data("sign.crl"), dir.path().join("sign-copy.crl")).unwrap();
        assert_eq!(
            outcomes(&r.scan_at(now).unwrap()),
            [("sign-copy.crl", "unchanged")]
        );
    }

    #[test]
    fn a_crl_ahead_of_the_clock_is_retried_a_stale_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(data("sign.crl"), dir.path().join("sign.crl")).unwrap();
        let mut r = reloader(dir.path());
        // data/'s thisUpdate is 2026-11-01: a month early it is not yet valid,
        // and every scan tries it again until it is.
        for _ in 0..2 {
            let early = r.scan_at(at("2026-10-01T00:00:00Z")).unwrap();
            assert_eq!(outcomes(&early), [("sign.crl", "refused")]);
            assert!(early.files[0]
                .detail
                .as_deref()
                .unwrap_or("")
                .contains("not yet valid"));
        }
        assert_eq!(
            outcomes(&r.scan_at(at("2026-11-02T00:00:00Z")).unwrap()),
            [("sign.crl", "installed")]
        );
        // Stale (nextUpdate 2036-10-29): refused once, not retried.
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(data("auth.crl"), dir.path().join("auth.crl")).unwrap();
        let mut r = reloader(dir.path());
        let late = at("2037-01-01T00:00:00Z");
        assert_eq!(
            outcomes(&r.scan_at(late).unwrap()),
            [("auth.crl", "refused")]
        );
        assert!(r.scan_at(late).unwrap().files.is_empty());
    }

    #[test]
    fn an_index_of_an_untrusted_ca_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let opts = IngestOptions {
            now: at("2026-12-01T00:00:00Z"),
            ..IngestOptions::default()
        };
        let ca =
            kakunin_engine::CaCert::from_pem_or_der(&std::fs::read(data("auth-ca.pem")).unwrap())
                .unwrap();
        kakunin_engine::ingest::ingest(
            &std::fs::read(data("auth.crl")).unwrap(),
            &ca,
            &dir.path().join("auth.idx"),
            &opts,
            &|_, _| {},
        )
        .unwrap();
        // Only the signing CA is trusted here.
        let (issuers, _) = Issuers::load(&[data("sign-ca.pem")], &[], true).unwrap();
        let mut r = Reloader::new(
            dir.path().to_path_buf(),
            Arc::new(Store::new()),
            Arc::new(issuers),
            Arc::new(Metrics::new()),
        );
        let report = r.scan_at(at("2026-12-01T00:00:00Z")).unwrap();
        assert_eq!(outcomes(&report), [("auth.idx", "refused")]);
        assert!(report.files[0]
            .detail
            .as_deref()
            .unwrap_or("")
            .contains("none of the --trust CAs"));
    }
}
