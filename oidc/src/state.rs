//! Short-lived state behind one interface: pending requests, pushed
//! authorization requests, authorization codes, used assertion `jti`s.
//!
//! [`StateStore`] is deliberately small — put with a time to live, get,
//! an atomic take (get-and-delete) and `mark_once` (SET NX) — so that a
//! shared store such as Redis can implement it with single commands
//! (`SET PX`, `GET`, `GETDEL`, `SET NX PX`) and several replicas agree on
//! what was used. [`MemoryStore`] is the bounded in-process implementation.
//!
//! The operations are asynchronous (boxed futures, so that the trait is
//! object-safe and a server holds an `Arc<dyn StateStore>`): a shared
//! store answers over the network, and a handler waiting for it must not
//! hold a runtime thread. The memory store's futures are ready at once.

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use thiserror::Error;

/// Why the store refused an operation.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum StateError {
    /// The store holds its cap of live entries; nothing live is evicted
    /// early, so the caller must refuse the request (HTTP 503).
    #[error("expected room for one more entry, found the store full ({cap} live entries)")]
    Full {
        /// The store's capacity.
        cap: usize,
    },
    /// The backing store failed (a shared store's connection, say).
    #[error("state store unavailable: {0}")]
    Unavailable(String),
}

/// What a [`StateStore`] operation returns: a future of its result.
pub type StateFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, StateError>> + Send + 'a>>;

/// Short-lived key/value state with expiry. Keys are namespaced by the
/// caller (`code:`, `jti:`, `par:` …).
pub trait StateStore: Send + Sync {
    /// Stores `value` under `key` for `ttl`, replacing any earlier value.
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StateFuture<'a, ()>;

    /// The live value under `key`, left in place.
    fn get<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>>;

    /// Removes and returns the live value under `key`; of two concurrent
    /// takes at most one sees the value (single use).
    fn take<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>>;

    /// Records `key` for `ttl` if no live entry has it: `true` the first
    /// time, `false` while the mark lives (SET NX semantics).
    fn mark_once<'a>(&'a self, key: &'a str, ttl: Duration) -> StateFuture<'a, bool>;
}

/// A future that is ready with `r`.
fn ready<'a, T: Send + 'a>(r: Result<T, StateError>) -> StateFuture<'a, T> {
    Box::pin(std::future::ready(r))
}

#[derive(Debug)]
struct Entry {
    value: Vec<u8>,
    expires: Instant,
}

#[derive(Debug, Default)]
struct Inner {
    entries: HashMap<String, Entry>,
    /// Expiry order, so that sweeping costs only the entries that expired.
    by_expiry: BTreeSet<(Instant, String)>,
}

impl Inner {
    fn sweep(&mut self, now: Instant) {
        while let Some((expires, _)) = self.by_expiry.first() {
            if *expires > now {
                break;
            }
            if let Some((_, key)) = self.by_expiry.pop_first() {
                self.entries.remove(&key);
            }
        }
    }

    fn remove(&mut self, key: &str) -> Option<Entry> {
        let entry = self.entries.remove(key)?;
        self.by_expiry.remove(&(entry.expires, key.to_owned()));
        Some(entry)
    }

    fn insert(
        &mut self,
        key: &str,
        value: Vec<u8>,
        expires: Instant,
        cap: usize,
    ) -> Result<(), StateError> {
        self.remove(key);
        if self.entries.len() >= cap {
            return Err(StateError::Full { cap });
        }
        self.by_expiry.insert((expires, key.to_owned()));
        self.entries
            .insert(key.to_owned(), Entry { value, expires });
        Ok(())
    }
}

/// A bounded in-memory [`StateStore`]: at most `cap` live entries; expired
/// entries are swept on every operation (cost: the entries that expired).
#[derive(Debug)]
pub struct MemoryStore {
    cap: usize,
    inner: Mutex<Inner>,
}

impl MemoryStore {
    /// A store that holds at most `cap` live entries.
    pub fn new(cap: usize) -> MemoryStore {
        MemoryStore {
            cap,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// The number of entries held (live or not yet swept).
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether the store holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps inconsistent
        // in a way that matters more than losing short-lived state.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn put_at(
        &self,
        key: &str,
        value: Vec<u8>,
        ttl: Duration,
        now: Instant,
    ) -> Result<(), StateError> {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.insert(key, value, now + ttl, self.cap)
    }

    fn get_at(&self, key: &str, now: Instant) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.entries.get(key).map(|e| e.value.clone())
    }

    fn take_at(&self, key: &str, now: Instant) -> Option<Vec<u8>> {
        let mut inner = self.lock();
        inner.sweep(now);
        inner.remove(key).map(|e| e.value)
    }

    fn mark_once_at(&self, key: &str, ttl: Duration, now: Instant) -> Result<bool, StateError> {
        let mut inner = self.lock();
        inner.sweep(now);
        if inner.entries.contains_key(key) {
            return Ok(false);
        }
        inner.insert(key, Vec::new(), now + ttl, self.cap)?;
        Ok(true)
    }
}

impl StateStore for MemoryStore {
    fn put<'a>(&'a self, key: &'a str, value: Vec<u8>, ttl: Duration) -> StateFuture<'a, ()> {
        ready(self.put_at(key, value, ttl, Instant::now()))
    }

    fn get<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        ready(Ok(self.get_at(key, Instant::now())))
    }

    fn take<'a>(&'a self, key: &'a str) -> StateFuture<'a, Option<Vec<u8>>> {
        ready(Ok(self.take_at(key, Instant::now())))
    }

    fn mark_once<'a>(&'a self, key: &'a str, ttl: Duration) -> StateFuture<'a, bool> {
        ready(self.mark_once_at(key, ttl, Instant::now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_testkit::ready;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn the_memory_store_passes_the_conformance_suite() {
        let store = MemoryStore::new(64);
        ready(crate::state_conformance::check(&store, "t:"));
    }

    #[test]
    fn take_is_single_use() {
        let store = MemoryStore::new(4);
        ready(store.put("code:a", b"x".to_vec(), S * 60)).unwrap();
        assert_eq!(ready(store.get("code:a")).unwrap(), Some(b"x".to_vec()));
        assert_eq!(ready(store.take("code:a")).unwrap(), Some(b"x".to_vec()));
        assert_eq!(ready(store.take("code:a")).unwrap(), None);
    }

    #[test]
    fn mark_once_is_set_nx_until_expiry() {
        let store = MemoryStore::new(4);
        let t0 = Instant::now();
        assert!(store.mark_once_at("jti:1", S * 10, t0).unwrap());
        assert!(!store.mark_once_at("jti:1", S * 10, t0 + S * 9).unwrap());
        assert!(store.mark_once_at("jti:1", S * 10, t0 + S * 10).unwrap());
    }

    #[test]
    fn expired_entries_are_gone_and_swept() {
        let store = MemoryStore::new(4);
        let t0 = Instant::now();
        store.put_at("a", vec![1], S, t0).unwrap();
        assert_eq!(store.get_at("a", t0 + S), None);
        assert!(store.is_empty());
    }

    #[test]
    fn full_store_refuses_and_keeps_live_entries() {
        let store = MemoryStore::new(2);
        let t0 = Instant::now();
        store.put_at("a", vec![1], S * 60, t0).unwrap();
        store.put_at("b", vec![2], S * 60, t0).unwrap();
        assert_eq!(
            store.put_at("c", vec![3], S * 60, t0),
            Err(StateError::Full { cap: 2 })
        );
        assert_eq!(
            store.mark_once_at("d", S, t0),
            Err(StateError::Full { cap: 2 })
        );
        assert_eq!(store.get_at("a", t0), Some(vec![1]));
        assert_eq!(store.get_at("b", t0), Some(vec![2]));
        // Replacing a key does not need room; an expired entry makes room.
        store.put_at("a", vec![9], S, t0).unwrap();
        store.put_at("c", vec![3], S * 60, t0 + S).unwrap();
        assert_eq!(store.get_at("c", t0 + S), Some(vec![3]));
    }
}
