//! Signed responses to nonce-less single-CertID requests, kept until the
//! CRL they were answered from is replaced.
//!
//! RFC 5019 §2.1 expects pre-produced (or cached) responses: the answer
//! for a serial cannot change before the next CRL, so signing it again for
//! every client only burns an RSA signature. An entry records which CRL
//! (number and thisUpdate) it came from; a look-up against a different
//! snapshot is a miss, so a swap takes effect at once without a sweep.
//!
//! Bounded with two generations: inserts go to `young`; when it holds
//! `capacity` entries it becomes `old` and the previous `old` is dropped.
//! A hit in `old` is promoted. Memory is at most two generations, each
//! operation O(1), and recently used entries survive a rollover.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use kakunin_engine::{CrlNumber, IssuerKeyId, Timestamp};

use super::request::HashAlg;

/// What identifies an answer: the CA, the hash the client used (the
/// CertID is echoed, so SHA-1 and SHA-256 answers differ), the serial.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) issuer: IssuerKeyId,
    pub(crate) alg: HashAlg,
    /// The serial's DER content bytes.
    pub(crate) serial: Box<[u8]>,
}

/// The CRL a response was answered from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct CrlId {
    pub(crate) number: Option<CrlNumber>,
    pub(crate) this_update: Timestamp,
}

/// A signed response ready to send.
#[derive(Debug)]
pub(crate) struct Signed {
    pub(crate) der: Bytes,
    pub(crate) etag: String,
    pub(crate) this_update: Timestamp,
    pub(crate) next_update: Timestamp,
    pub(crate) crl: CrlId,
}

#[derive(Default)]
struct Generations {
    young: HashMap<Key, Arc<Signed>>,
    old: HashMap<Key, Arc<Signed>>,
}

/// The cache.
pub(crate) struct Cache {
    capacity: usize,
    inner: Mutex<Generations>,
}

impl Cache {
    pub(crate) fn new(capacity: usize) -> Cache {
        Cache {
            capacity,
            inner: Mutex::new(Generations::default()),
        }
    }

    /// The response for `key` if it was answered from `crl` and is still
    /// current at `now`.
    pub(crate) fn get(&self, key: &Key, crl: CrlId, now: Timestamp) -> Option<Arc<Signed>> {
        if self.capacity == 0 {
            return None;
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let found = match g.young.get(key) {
            Some(s) => s.clone(),
            None => {
                let s = g.old.remove(key)?;
                Self::insert_young(&mut g, self.capacity, key.clone(), s.clone());
                s
            }
        };
        (found.crl == crl && now < found.next_update).then_some(found)
    }

    pub(crate) fn put(&self, key: Key, signed: Arc<Signed>) {
        if self.capacity == 0 {
            return;
        }
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        Self::insert_young(&mut g, self.capacity, key, signed);
    }

    fn insert_young(g: &mut Generations, capacity: usize, key: Key, signed: Arc<Signed>) {
        if g.young.len() >= capacity && !g.young.contains_key(&key) {
            g.old = std::mem::take(&mut g.young);
        }
        g.young.insert(key, signed);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        let g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        g.young.len() + g.old.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> Key {
        Key {
            issuer: IssuerKeyId::from_bytes(&[1; 20]).unwrap(),
            alg: HashAlg::Sha1,
            serial: vec![n].into_boxed_slice(),
        }
    }

    fn signed(crl: CrlId) -> Arc<Signed> {
        Arc::new(Signed {
            der: Bytes::from_static(b"x"),
            etag: "\"x\"".into(),
            this_update: crl.this_update,
            next_update: Timestamp::from_unix(2_000),
            crl,
        })
    }

    #[test]
    fn entries_live_until_the_crl_changes_or_goes_stale() {
        let c = Cache::new(10);
        let crl = CrlId {
            number: Some(CrlNumber::from_u64(1)),
            this_update: Timestamp::from_unix(1_000),
        };
        c.put(key(1), signed(crl));
        let now = Timestamp::from_unix(1_500);
        assert!(c.get(&key(1), crl, now).is_some());
        assert!(c.get(&key(2), crl, now).is_none());
        let newer = CrlId {
            number: Some(CrlNumber::from_u64(2)),
            ..crl
        };
        assert!(c.get(&key(1), newer, now).is_none());
        assert!(c.get(&key(1), crl, Timestamp::from_unix(2_000)).is_none());
    }

    #[test]
    fn memory_is_bounded_by_two_generations() {
        let c = Cache::new(4);
        let crl = CrlId {
            number: None,
            this_update: Timestamp::from_unix(1_000),
        };
        for n in 0..100 {
            c.put(key(n), signed(crl));
            assert!(c.len() <= 8);
        }
        // The most recent ones are still there.
        assert!(c.get(&key(99), crl, Timestamp::from_unix(1_001)).is_some());
        assert!(c.get(&key(0), crl, Timestamp::from_unix(1_001)).is_none());
    }
}
