//! Hooks for kakunin's own benches and fuzz targets: the pieces of the
//! engine they measure or drive one at a time, which are not part of its
//! API. Hidden from the documentation, compiled only with the `internals`
//! feature, and free to change with any release. `kakunin-gen` writes its
//! DER with the engine's [`tag`] numbers.

pub use crate::der::tag;

use crate::crl::{Crl, Entries};
use crate::crypto::{Provider, VerifyingKey};
use crate::index::{Revocation, SerialIndex};

/// The names of the signature backends compiled in, default first.
pub fn providers() -> Vec<&'static str> {
    let mut all: Vec<Provider> = Provider::all().to_vec();
    all.sort_by_key(|p| *p != Provider::DEFAULT);
    all.into_iter().map(Provider::name).collect()
}

/// `key` on the backend called `name` (one of [`providers`]).
pub fn with_provider(key: &VerifyingKey, name: &str) -> Option<VerifyingKey> {
    Provider::all()
        .iter()
        .find(|p| p.name() == name)
        .map(|&p| key.with_provider(p))
}

/// Looks a 64-bit serial key up: the fast path of `SerialIndex::lookup`.
#[inline]
pub fn lookup_key<D: AsRef<[u8]>>(idx: &SerialIndex<D>, key: u64) -> Option<Revocation> {
    idx.lookup_key(key)
}

/// Bytes an index spends on revocation times and reasons.
pub fn side_bytes<D: AsRef<[u8]>>(idx: &SerialIndex<D>) -> usize {
    idx.side_bytes()
}

/// The entries in a byte range of a CRL's revokedCertificates, as ingest
/// walks the parts of a large CRL.
pub fn entries_range<'a>(crl: &Crl<'a>, start: usize, end: usize) -> Entries<'a> {
    crl.entries_range(start, end)
}

/// Where ingest would guess an entry starts at or after `near`.
pub fn guess_entry_boundary(crl: &Crl<'_>, near: usize) -> Option<usize> {
    crl.guess_entry_boundary(near)
}
