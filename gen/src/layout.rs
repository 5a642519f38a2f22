//! Serial-number layout of a national issuer, and which serials end up in
//! the bundles and on the CRLs.
//!
//! Cards are issued by municipalities in batches; each batch takes a run of
//! consecutive serials from each CA (one authentication and one signing
//! certificate per card), and runs are separated by gaps (spoiled or
//! reserved numbers, other issuing centres). So a serial space is mostly
//! dense runs with holes, and serial order is issue order.
//!
//! - Each CA has its own 64-bit base (top nibble 1 for signing, 2 for
//!   authentication, the next 52 bits random, low 16 bits zero): serials are
//!   positive and exactly 8 content octets.
//! - Batch sizes are uniform in 20..=1200 cards.
//! - Gaps before a batch: 90% 1..=64, 9% 100..=5 000, 1% 10 000..=1 000 000
//!   serials, drawn independently per CA.
//! - Issue days are spread evenly over the working days of the window,
//!   in serial order.

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use super::below;
use super::calendar::is_working_day;
use super::profile::CaKind;

/// A run of consecutive serials issued on one day.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Batch {
    /// Position in the issue stream of the batch's first card.
    pub pos: u64,
    /// Cards in the batch.
    pub len: u64,
    /// First signing serial.
    pub sign_start: u64,
    /// First authentication serial.
    pub auth_start: u64,
    /// Issue day (days since epoch, JST calendar day).
    pub day: i64,
}

impl Batch {
    /// The serial the CA of `kind` gave the card at `pos` (inside this
    /// batch): serials run consecutively within a batch.
    pub(crate) fn serial(&self, kind: CaKind, pos: u64) -> u64 {
        let start = match kind {
            CaKind::Sign => self.sign_start,
            CaKind::Auth => self.auth_start,
        };
        start + (pos - self.pos)
    }
}

/// Every card ever issued in the window, as batches in serial order.
pub(crate) struct Layout {
    /// Batches in issue order.
    pub batches: Vec<Batch>,
    /// Number of cards (positions) in all batches.
    pub total: u64,
}

fn gap(rng: &mut ChaCha20Rng) -> u64 {
    match below(rng, 100) {
        0 => 10_000 + below(rng, 990_001),
        1..=9 => 100 + below(rng, 4_901),
        _ => 1 + below(rng, 64),
    }
}

impl Layout {
    /// Lays out at least `total` cards issued on working days from
    /// `first_day` to `last_day` inclusive.
    pub(crate) fn build(
        rng: &mut ChaCha20Rng,
        total: u64,
        first_day: i64,
        last_day: i64,
    ) -> Layout {
        let days: Vec<i64> = (first_day..=last_day)
            .filter(|&d| is_working_day(d))
            .collect();
        let mut sign = (1u64 << 60) | (rng.next_u64() & 0x0FFF_FFFF_FFFF_0000);
        let mut auth = (2u64 << 60) | (rng.next_u64() & 0x0FFF_FFFF_FFFF_0000);
        let mut batches = Vec::new();
        let mut pos = 0;
        while pos < total {
            let len = (20 + below(rng, 1181)).min(total - pos);
            sign += gap(rng);
            auth += gap(rng);
            batches.push(Batch {
                pos,
                len,
                sign_start: sign,
                auth_start: auth,
                day: 0,
            });
            sign += len;
            auth += len;
            pos += len;
        }
        for b in &mut batches {
            let i = (u128::from(b.pos) * days.len() as u128 / u128::from(total.max(1))) as usize;
            b.day = days[i.min(days.len() - 1)];
        }
        Layout { batches, total }
    }

    /// The batch holding stream position `pos`.
    pub(crate) fn batch_of(&self, pos: u64) -> &Batch {
        let i = self.batches.partition_point(|b| b.pos <= pos) - 1;
        &self.batches[i]
    }

    /// The serial the CA of `kind` gave the card at `pos`.
    pub(crate) fn serial(&self, kind: CaKind, pos: u64) -> u64 {
        self.batch_of(pos).serial(kind, pos)
    }

    /// Calls `f(batch, position)` for `count` positions drawn uniformly
    /// without replacement from all positions not in `excluded` (sorted),
    /// in ascending order (Knuth's selection sampling, Algorithm S: one pass,
    /// no memory, exact count).
    pub(crate) fn select(
        &self,
        rng: &mut ChaCha20Rng,
        count: u64,
        excluded: &[u64],
        mut f: impl FnMut(&Batch, u64),
    ) {
        let mut need = count;
        let mut left = self.total - excluded.len() as u64;
        let mut ex = excluded.iter().peekable();
        for b in &self.batches {
            for pos in b.pos..b.pos + b.len {
                if need == 0 {
                    return;
                }
                if ex.peek() == Some(&&pos) {
                    ex.next();
                    continue;
                }
                if below(rng, left) < need {
                    f(b, pos);
                    need -= 1;
                }
                left -= 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    #[test]
    fn dense_runs_with_gaps_and_exact_selection() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let l = Layout::build(&mut rng, 50_000, 20_000, 21_000);
        assert_eq!(l.batches.iter().map(|b| b.len).sum::<u64>(), 50_000);
        for w in l.batches.windows(2) {
            assert!(w[0].sign_start + w[0].len < w[1].sign_start);
            assert!(w[0].auth_start + w[0].len < w[1].auth_start);
            assert!(w[0].day <= w[1].day);
        }
        assert!(l.serial(CaKind::Sign, 49_999) < 1 << 63);
        let excluded = [0, 5, 7, 49_999];
        let mut got = Vec::new();
        l.select(&mut rng, 1000, &excluded, |_, p| got.push(p));
        assert_eq!(got.len(), 1000);
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert!(got.iter().all(|p| !excluded.contains(p)));
    }
}
