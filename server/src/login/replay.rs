//! Which challenges have been used, until they expire: what makes a
//! stateless challenge single-use.
//!
//! Entries are grouped by the challenge's expiry second (which its tag
//! protects, so a challenge can only ever be in its own group) and a group
//! is dropped whole once that second has passed: memory holds the logins
//! of one challenge lifetime, no more. Sixteen shards, picked by the
//! nonce, keep logins on different cores from waiting on one lock. The
//! cache is bounded: when full, a login is refused as "try later" rather
//! than letting a used challenge be forgotten early.

use std::collections::{BTreeMap, HashSet};
use std::sync::Mutex;

use kakunin_engine::Timestamp;

const SHARDS: usize = 16;

#[derive(Default)]
struct Shard {
    by_expiry: BTreeMap<i64, HashSet<u128>>,
    len: usize,
}

impl Shard {
    fn prune(&mut self, now: Timestamp) {
        while let Some(entry) = self.by_expiry.first_entry() {
            if *entry.key() > now.unix() {
                break;
            }
            self.len -= entry.remove().len();
        }
    }
}

/// What [`ReplayCache::mark_used`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// First use: now remembered until it expires.
    First,
    /// Used before.
    Replayed,
    /// The cache is full of live challenges; nothing was remembered.
    Full,
}

/// Used challenges, by nonce.
pub(crate) struct ReplayCache {
    shards: Vec<Mutex<Shard>>,
    per_shard: usize,
}

impl ReplayCache {
    /// A cache of at most about `capacity` live challenges.
    pub(crate) fn new(capacity: usize) -> ReplayCache {
        ReplayCache {
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
            per_shard: capacity.div_ceil(SHARDS).max(1),
        }
    }

    fn shard(&self, nonce: u128) -> std::sync::MutexGuard<'_, Shard> {
        self.shards[(nonce as usize) % SHARDS]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Whether the challenge was used already (a cheap early refusal; the
    /// answer that counts is [`ReplayCache::mark_used`]'s).
    pub(crate) fn is_used(&self, nonce: u128, expires: Timestamp) -> bool {
        self.shard(nonce)
            .by_expiry
            .get(&expires.unix())
            .is_some_and(|s| s.contains(&nonce))
    }

    /// Marks a challenge used, atomically: of two logins racing with one
    /// challenge, exactly one gets [`Mark::First`].
    pub(crate) fn mark_used(&self, nonce: u128, expires: Timestamp, now: Timestamp) -> Mark {
        let mut shard = self.shard(nonce);
        shard.prune(now);
        if shard
            .by_expiry
            .get(&expires.unix())
            .is_some_and(|s| s.contains(&nonce))
        {
            return Mark::Replayed;
        }
        if shard.len >= self.per_shard {
            return Mark::Full;
        }
        shard
            .by_expiry
            .entry(expires.unix())
            .or_default()
            .insert(nonce);
        shard.len += 1;
        Mark::First
    }

    /// Live entries.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| s.lock().unwrap_or_else(|p| p.into_inner()).len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp::from_unix(s)
    }

    #[test]
    fn a_challenge_is_used_once_and_forgotten_after_it_expires() {
        let c = ReplayCache::new(100);
        assert!(!c.is_used(1, t(200)));
        assert_eq!(c.mark_used(1, t(200), t(100)), Mark::First);
        assert!(c.is_used(1, t(200)));
        assert_eq!(c.mark_used(1, t(200), t(150)), Mark::Replayed);
        assert_eq!(c.mark_used(2, t(300), t(150)), Mark::First);
        assert_eq!(c.len(), 2);
        // Nonce 1 expired at 200: its group goes at the next mark in its
        // shard (nonce 17 shares shard 1); nonce 2 lives on.
        assert_eq!(c.mark_used(17, t(400), t(200)), Mark::First);
        assert!(!c.is_used(1, t(200)));
        assert!(c.is_used(2, t(300)));
        assert_eq!(c.len(), 2);
    }

    #[test]
    fn a_full_cache_refuses_instead_of_forgetting() {
        let c = ReplayCache::new(SHARDS); // one entry per shard
        assert_eq!(c.mark_used(3, t(200), t(100)), Mark::First);
        assert_eq!(c.mark_used(3 + SHARDS as u128, t(200), t(100)), Mark::Full);
        assert_eq!(c.mark_used(3, t(200), t(100)), Mark::Replayed);
        // Once the first has expired there is room again.
        assert_eq!(c.mark_used(3 + SHARDS as u128, t(300), t(200)), Mark::First);
    }

    #[test]
    fn racing_logins_with_one_challenge_get_one_first() {
        let c = std::sync::Arc::new(ReplayCache::new(1000));
        let firsts: usize = (0..8)
            .map(|_| {
                let c = c.clone();
                std::thread::spawn(move || c.mark_used(42, t(200), t(100)) == Mark::First)
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|h| usize::from(h.join().unwrap()))
            .sum();
        assert_eq!(firsts, 1);
    }
}
