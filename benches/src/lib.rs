//! Shared helpers for kakunin's benches: synthetic revocation sets shaped
//! like real CRLs, built into index files.

use std::path::Path;

use kakunin_engine::index::{BuildStats, IndexBuilder, IndexInfo, Scope};
use kakunin_engine::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};

/// Shape of the serial numbers on a CRL.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// A national issuer: sequential batches of 50–500 serials with gaps of
    /// up to the same size (as `kakunin gen` makes them).
    Dense,
    /// Random 64-bit serials (CAs that follow the CA/B Forum's entropy rule).
    Random,
}

/// How revocation times are spread.
#[derive(Clone, Copy, Debug)]
pub enum Times {
    /// A handful of batch times (CRLs built from an `index.txt`).
    Batched,
    /// A distinct second for every entry, over five years.
    EverySecond,
}

/// A deterministic xorshift generator (benches need no crypto RNG).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// `n` sorted serial keys of the given shape.
pub fn keys(shape: Shape, n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let mut v = Vec::with_capacity(n);
    match shape {
        Shape::Dense => {
            let mut k = 0x0123_0000_0000u64;
            while v.len() < n {
                let batch = 50 + rng.next_u64() % 450;
                for _ in 0..batch.min((n - v.len()) as u64) {
                    v.push(k);
                    k += 1;
                }
                k += rng.next_u64() % batch;
            }
        }
        Shape::Random => {
            for _ in 0..n {
                v.push(rng.next_u64());
            }
            v.sort_unstable();
            v.dedup();
            while v.len() < n {
                v.push(rng.next_u64());
                v.sort_unstable();
                v.dedup();
            }
        }
    }
    v
}

/// Metadata for a synthetic index.
pub fn info() -> IndexInfo {
    IndexInfo {
        issuer_key_id: IssuerKeyId::from_bytes(&[0x42; 20]).unwrap_or_else(|_| unreachable!()),
        issuer_spki_sha256: [0; 32],
        crl_sha256: [0; 32],
        crl_number: Some(CrlNumber::from_u64(1)),
        delta_base: None,
        this_update: Timestamp::from_unix(1_793_491_200),
        next_update: Timestamp::from_unix(1_793_577_600),
        scope: Scope::default(),
    }
}

/// Builds an index of the keys with times spread as asked.
pub fn build(keys: &[u64], times: Times, path: &Path) -> BuildStats {
    let mut rng = Rng::new(7);
    let reasons = [
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::KeyCompromise,
    ];
    let mut b = IndexBuilder::new();
    for &k in keys {
        let t = match times {
            Times::Batched => 1_790_000_000 + (rng.next_u64() % 4) as i64 * 86_400,
            Times::EverySecond => 1_793_491_200 - (rng.next_u64() % (5 * 365 * 86_400)) as i64,
        };
        let r = reasons[(rng.next_u64() % 4) as usize];
        b.push(&Serial::from_u64(k), Timestamp::from_unix(t), Some(r));
    }
    match b.write_to_path(&info(), path) {
        Ok(s) => s,
        Err(e) => panic!("building bench index: {e}"),
    }
}
