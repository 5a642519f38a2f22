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

use der::Encode;

use super::request::Query;

/// What identifies an answer: the CA and the CertID exactly as the client
/// sent it. The response echoes the CertID, so every spelling of it is its
/// own answer: SHA-1 or SHA-256, the hash AlgorithmIdentifier with NULL
/// parameters or none (RFC 5754 §2 allows both, and a client may compare
/// the whole CertID).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct Key {
    pub(crate) issuer: IssuerKeyId,
    /// The CertID's DER.
    pub(crate) cert_id: Box<[u8]>,
}

impl Key {
    /// The key of `query` about a certificate of `issuer`; `None` for a
    /// CertID that does not encode (it came from DER, so it always does).
    pub(crate) fn new(issuer: IssuerKeyId, query: &Query) -> Option<Key> {
        let cert_id = query.cert_id.to_der().ok()?;
        Some(Key {
            issuer,
            cert_id: cert_id.into_boxed_slice(),
        })
    }
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
            cert_id: vec![n].into_boxed_slice(),
        }
    }

    /// The one query of a request.
    fn query(der: &[u8]) -> Query {
        let mut parsed = super::super::request::parse(der).unwrap();
        parsed.queries.remove(0)
    }

    /// `der` (a one-CertID request) with `old` (inside the CertID's
    /// AlgorithmIdentifier) replaced by the shorter `new`; the SEQUENCE
    /// lengths around it (all short form here: OCSPRequest, TBSRequest,
    /// requestList, Request, CertID, AlgorithmIdentifier) shrink by as
    /// much.
    fn respelled(der: &[u8], old: &[u8], new: &[u8]) -> Vec<u8> {
        let at = der.windows(old.len()).position(|w| w == old).unwrap();
        let mut out = [&der[..at], new, &der[at + old.len()..]].concat();
        for i in [1, 3, 5, 7, 9, 11] {
            out[i] -= (old.len() - new.len()) as u8;
        }
        out
    }

    #[test]
    fn each_spelling_of_a_certid_is_its_own_key() {
        use super::super::request::tests::request;
        use super::super::request::HashAlg;
        let issuer = IssuerKeyId::from_bytes(&[1; 20]).unwrap();
        let sha1 = |serial: &[u8]| request(HashAlg::Sha1, &[1; 20], &[2; 20], &[serial], None);
        let null_params = sha1(&[5]);
        let key = |der: &[u8]| Key::new(issuer, &query(der)).unwrap();
        assert_eq!(key(&null_params), key(&null_params.clone()));
        // The SHA-1 AlgorithmIdentifier without its NULL parameters.
        let sha1_oid = [0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a];
        let no_params = respelled(
            &null_params,
            &[&sha1_oid[..], &[0x05, 0x00]].concat(),
            &sha1_oid,
        );
        let q = query(&no_params);
        assert!(q.cert_id.hash_algorithm.parameters.is_none());
        assert_eq!(q.serial, query(&null_params).serial);
        assert_ne!(key(&no_params), key(&null_params));
        // And of course another serial, hash or CA.
        assert_ne!(key(&sha1(&[6])), key(&null_params));
        let sha256 = request(HashAlg::Sha256, &[1; 32], &[2; 32], &[&[5]], None);
        assert_ne!(key(&sha256), key(&null_params));
        let other_ca = IssuerKeyId::from_bytes(&[3; 20]).unwrap();
        assert_ne!(
            Key::new(other_ca, &query(&null_params)),
            Some(key(&null_params))
        );
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
