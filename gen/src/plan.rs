//! What the generator makes, decided from the options and the seed
//! before any key exists: the serial layout, which cards are in the
//! bundles, each card's fate, dates and facts, and each CRL's entries.
//!
//! Every choice is drawn in a fixed order from a stream named after its
//! purpose ("layout", "bundle", "cards", and per CRL `crl-<kind>-serials`
//! and `crl-<kind>-times`), so the parallel work in `issue` only carries
//! decisions out and cannot change them. Reordering the draws within a
//! stream changes the output for every seed, `data/` included.

use std::collections::BTreeSet;

use kakunin_engine::RevocationReason;
use rand_chacha::ChaCha20Rng;

use super::calendar::{
    add_years, civil_from_days, fifth_birthday_after, is_working_day, jpki_birth_date, DAY,
    JST_OFFSET,
};
use super::crl_writer::Revoked;
use super::keys::derive_rng;
use super::layout::Layout;
use super::people::{self, Person};
use super::profile::CaKind;
use super::{below, pick, GenError, Options};

/// Share of the bundle that is revoked and expired (the rest is valid).
const REVOKED_PERMILLE: u64 = 120;
const EXPIRED_PERMILLE: u64 = 80;
/// Issuance in the generated history stops this many days before `at`,
/// so every revoked certificate has working days between issue and `at`.
const QUIET_DAYS: i64 = 14;
/// The generated history starts this many days (about five years, one
/// certificate lifetime) before `at`.
const HISTORY_DAYS: i64 = 1800;

/// Everything decided before any certificate is built.
pub(crate) struct Plan {
    /// Seed of every stream (keys included).
    pub seed: u64,
    /// Generation time (Unix seconds): thisUpdate, and the "now" of
    /// expected.jsonl.
    pub at: i64,
    /// The UTC day of `at`; also the CRL number, so that a later day's
    /// CRL always has a higher one.
    pub at_day: i64,
    /// Entries on each CRL.
    pub revoked: u64,
    /// Card holders: the first `holders` cards.
    pub holders: u64,
    /// Days from thisUpdate to nextUpdate.
    pub crl_days: u32,
    /// First issue day of the history.
    pub first_day: i64,
    /// Every card ever issued, for the CRLs' earlier revocations.
    pub layout: Layout,
    /// Stream positions of the bundle's cards, ascending: the CRLs' earlier
    /// revocations are drawn from the other positions.
    pub positions: Vec<u64>,
    /// The bundle, in bundle order.
    pub cards: Vec<Card>,
    /// Expired cards wanted, and made (fewer when too few cards are old
    /// enough).
    pub expired_target: u64,
    pub expired: u64,
}

/// What happened to a card in the bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Both certificates valid.
    Valid,
    /// Both certificates past notAfter (not on the CRLs).
    Expired,
    /// Address or name changed: only the signing certificate (which carries
    /// the facts) is revoked, with affiliationChanged.
    Moved,
    /// Both certificates revoked with this reason.
    Revoked(RevocationReason),
}

/// Everything decided about one card before any certificate is built.
pub(crate) struct Card {
    pub holder: Option<u64>,
    pub sign_serial: u64,
    pub auth_serial: u64,
    pub not_before: i64,
    pub not_after: i64,
    pub fate: Fate,
    pub revoked_at: Option<i64>,
    pub person: Person,
    pub birth_date: String,
    pub sign_cn: String,
    pub auth_cn: String,
}

impl Card {
    /// The status expected.jsonl gives the card's certificate of `kind`,
    /// and its reason when revoked.
    pub(crate) fn status(&self, kind: CaKind) -> (&'static str, Option<RevocationReason>) {
        match (self.fate, kind) {
            (Fate::Valid, _) | (Fate::Moved, CaKind::Auth) => ("valid", None),
            (Fate::Expired, _) => ("invalid", None),
            (Fate::Moved, CaKind::Sign) => ("revoked", Some(RevocationReason::AffiliationChanged)),
            (Fate::Revoked(r), _) => ("revoked", Some(r)),
        }
    }

    pub(crate) fn serial(&self, kind: CaKind) -> u64 {
        match kind {
            CaKind::Sign => self.sign_serial,
            CaKind::Auth => self.auth_serial,
        }
    }

    pub(crate) fn cn(&self, kind: CaKind) -> &str {
        match kind {
            CaKind::Sign => &self.sign_cn,
            CaKind::Auth => &self.auth_cn,
        }
    }
}

/// How many certificates of each bundle get which fate.
struct Quota {
    certs: u64,
    holders: u64,
    expired_target: u64,
    revoked_target: u64,
    /// Revoked certificates whose card is fixed in advance (one holder).
    forced_revoked: u64,
}

impl Quota {
    /// Refuses counts that cannot be met, saying which setting to change.
    fn new(options: &Options) -> Result<Quota, GenError> {
        let (m, n, k) = (options.certs, options.revoked, options.holders);
        if k > m {
            return Err(GenError::TooManyHolders {
                holders: k,
                certs: m,
            });
        }
        let expired_target = (m * EXPIRED_PERMILLE + 500) / 1000;
        let forced_revoked = u64::from(k >= 1);
        let revoked_target = ((m * REVOKED_PERMILLE + 500) / 1000).max(forced_revoked);
        if revoked_target > n {
            return Err(GenError::TooFewRevoked {
                revoked: n,
                needed: revoked_target,
                certs: m,
            });
        }
        Ok(Quota {
            certs: m,
            holders: k,
            expired_target,
            revoked_target,
            forced_revoked,
        })
    }
}

impl Plan {
    /// Decides everything for `options`.
    pub(crate) fn new(options: &Options) -> Result<Plan, GenError> {
        let quota = Quota::new(options)?;
        let at = options.at.unix();
        let at_day = at.div_euclid(DAY);
        // Enough cards that the CRL entries are ~10% of all serials, as for
        // a national issuer.
        let total = (10 * options.revoked).max(20 * options.certs).max(10_000);
        let first_day = at_day - HISTORY_DAYS;
        let layout = Layout::build(
            &mut derive_rng(options.seed, "layout"),
            total,
            first_day,
            at_day - QUIET_DAYS,
        );
        let mut rng = derive_rng(options.seed, "bundle");
        let (positions, order) = bundle_positions(&mut rng, &layout, &quota, at_day);
        let (fates, expired) = fates(&mut rng, &layout, &order, &quota, at_day);
        let mut rng = derive_rng(options.seed, "cards");
        let cards = order
            .iter()
            .zip(&fates)
            .enumerate()
            .map(|(i, (&pos, &fate))| {
                let holder = ((i as u64) < quota.holders).then_some(i as u64 + 1);
                Card::draw(&mut rng, &layout, pos, fate, holder, at_day)
            })
            .collect();
        Ok(Plan {
            seed: options.seed,
            at,
            at_day,
            revoked: options.revoked,
            holders: options.holders,
            crl_days: options.crl_days,
            first_day,
            layout,
            positions,
            cards,
            expired_target: quota.expired_target,
            expired,
        })
    }

    /// The entries of `kind`'s CRL, in serial order: the bundle's revoked
    /// certificates plus earlier revocations drawn from the rest of the
    /// serial space, `revoked` in all. Each CRL has its own streams, so
    /// the two can be drawn in parallel.
    pub(crate) fn crl_entries(&self, kind: CaKind) -> Result<Vec<Revoked>, GenError> {
        let n = self.revoked;
        let mut own: Vec<Revoked> = self
            .cards
            .iter()
            .filter_map(|c| {
                let (_, reason) = c.status(kind);
                Some(Revoked {
                    serial: c.serial(kind),
                    time: c.revoked_at?,
                    reason: reason?,
                })
            })
            .collect();
        own.sort_by_key(|r| r.serial);
        // Which serials, and when and why they were revoked, come from two
        // streams so that changing one never shifts the other.
        let mut pick_rng = derive_rng(self.seed, &format!("crl-{}-serials", kind.as_str()));
        let mut rng = derive_rng(self.seed, &format!("crl-{}-times", kind.as_str()));
        let fill = n - own.len() as u64;
        let mut entries = Vec::with_capacity(n as usize);
        let mut own_iter = own.into_iter().peekable();
        let weights = reason_weights(kind);
        self.layout
            .select(&mut pick_rng, fill, &self.positions, |b, pos| {
                let serial = b.serial(kind, pos);
                while own_iter.peek().is_some_and(|o| o.serial < serial) {
                    entries.extend(own_iter.next());
                }
                entries.push(Revoked {
                    serial,
                    time: revocation_time(&mut rng, b.day, self.at_day),
                    reason: weighted(&mut rng, weights),
                });
            });
        entries.extend(own_iter);
        if entries.len() as u64 != n {
            return Err(GenError::Internal(format!(
                "{} CRL entries, wanted {n}",
                entries.len()
            )));
        }
        Ok(entries)
    }
}

/// Whether a card issued on `day` is old enough to have expired by
/// `at_day` (certificates live four to five years).
fn may_have_expired(day: i64, at_day: i64) -> bool {
    add_years(day, 4) < at_day - 1
}

/// Fisher-Yates, one draw per element from the end.
fn shuffle<T>(rng: &mut ChaCha20Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        items.swap(i, below(rng, i as u64 + 1) as usize);
    }
}

/// The bundle's cards: `certs` distinct stream positions (ascending), and
/// the same shuffled into bundle order, so that holders are not simply the
/// oldest cards.
fn bundle_positions(
    rng: &mut ChaCha20Rng,
    layout: &Layout,
    quota: &Quota,
    at_day: i64,
) -> (Vec<u64>, Vec<u64>) {
    let m = quota.certs;
    // The expired quota is exact: cards old enough to have expired are a
    // prefix of the stream; draw the quota (plus two, in case the forced
    // holders land on old cards) from there first, the rest from anywhere.
    let old_end: u64 = layout
        .batches
        .iter()
        .take_while(|b| may_have_expired(b.day, at_day))
        .map(|b| b.len)
        .sum();
    let mut positions = BTreeSet::new();
    while (positions.len() as u64) < (quota.expired_target + 2).min(old_end).min(m) {
        positions.insert(below(rng, old_end));
    }
    while (positions.len() as u64) < m {
        positions.insert(below(rng, layout.total));
    }
    let positions: Vec<u64> = positions.into_iter().collect();
    let mut order = positions.clone();
    shuffle(rng, &mut order);
    (positions, order)
}

/// Fates with exact counts, and how many expired ones were made. Holder 1
/// is valid and holder 2 has lost the card (both certificates
/// keyCompromise) when there are two holders; a single holder is the
/// revoked one.
fn fates(
    rng: &mut ChaCha20Rng,
    layout: &Layout,
    order: &[u64],
    quota: &Quota,
    at_day: i64,
) -> (Vec<Fate>, u64) {
    let (m, k) = (order.len(), quota.holders);
    let mut fates = vec![Fate::Valid; m];
    let mut forced = vec![false; m];
    let revoked_holder = if k >= 2 { 1 } else { 0 };
    if k >= 1 {
        fates[revoked_holder] = Fate::Revoked(RevocationReason::KeyCompromise);
        forced[revoked_holder] = true;
        forced[0] = true;
    }
    let mut expirable: Vec<usize> = (0..m)
        .filter(|&i| !forced[i] && may_have_expired(layout.batch_of(order[i]).day, at_day))
        .collect();
    shuffle(rng, &mut expirable);
    let expired = quota.expired_target.min(expirable.len() as u64);
    for &i in &expirable[..expired as usize] {
        fates[i] = Fate::Expired;
    }
    let mut revocable: Vec<usize> = (0..m)
        .filter(|&i| !forced[i] && fates[i] == Fate::Valid)
        .collect();
    shuffle(rng, &mut revocable);
    let extra = ((quota.revoked_target - quota.forced_revoked) as usize).min(revocable.len());
    for &i in &revocable[..extra] {
        // Holders keep one status for both certificates (facts.json has one
        // status), so the sign-only "moved" fate goes to non-holders.
        fates[i] = if (i as u64) >= k && below(rng, 100) < 45 {
            Fate::Moved
        } else {
            Fate::Revoked(weighted(rng, BOTH_REVOKED))
        };
    }
    (fates, expired)
}

impl Card {
    /// Dates, names and facts of the card at stream position `pos`, drawn
    /// in bundle order.
    fn draw(
        rng: &mut ChaCha20Rng,
        layout: &Layout,
        pos: u64,
        fate: Fate,
        holder: Option<u64>,
        at_day: i64,
    ) -> Card {
        let day = layout.batch_of(pos).day;
        let not_before = office_time(rng, day);
        // Expired cards end before `at`, all others after it.
        let (lo, hi) = if fate == Fate::Expired {
            (add_years(day, 4) + 1, add_years(day, 5).min(at_day - 1))
        } else {
            ((add_years(day, 4) + 1).max(at_day + 1), add_years(day, 5))
        };
        let (not_after, (by, bm, bd)) = birth_for(rng, day, lo, hi);
        let revoked_at = match fate {
            Fate::Moved | Fate::Revoked(_) => Some(revocation_time(rng, day, at_day)),
            _ => None,
        };
        Card {
            holder,
            sign_serial: layout.serial(CaKind::Sign, pos),
            auth_serial: layout.serial(CaKind::Auth, pos),
            not_before,
            not_after,
            fate,
            revoked_at,
            person: people::random_person(rng),
            birth_date: jpki_birth_date(by, bm, bd).unwrap_or_default(),
            sign_cn: opaque_id(rng),
            auth_cn: opaque_id(rng),
        }
    }
}

/// Events that revoke both certificates of a card, weighted.
const BOTH_REVOKED: &[(RevocationReason, u32)] = &[
    (RevocationReason::Superseded, 40),
    (RevocationReason::CessationOfOperation, 30),
    (RevocationReason::KeyCompromise, 20),
    (RevocationReason::Unspecified, 6),
    (RevocationReason::CertificateHold, 3),
    (RevocationReason::CaCompromise, 1),
];

/// Reason weights (per 10 000) for revocations of earlier certificates.
/// Signing certificates are revoked mostly because the card's facts
/// changed (address, name: affiliationChanged), then renewal (superseded)
/// and death or card return (cessationOfOperation). Authentication
/// certificates carry no facts, so renewal and death dominate.
fn reason_weights(kind: CaKind) -> &'static [(RevocationReason, u32)] {
    use RevocationReason::*;
    match kind {
        CaKind::Sign => &[
            (AffiliationChanged, 4500),
            (Superseded, 2600),
            (CessationOfOperation, 2000),
            (KeyCompromise, 600),
            (Unspecified, 200),
            (CertificateHold, 99),
            (CaCompromise, 1),
        ],
        CaKind::Auth => &[
            (Superseded, 4500),
            (CessationOfOperation, 3500),
            (KeyCompromise, 1200),
            (AffiliationChanged, 300),
            (Unspecified, 400),
            (CertificateHold, 99),
            (CaCompromise, 1),
        ],
    }
}

fn weighted<T: Copy>(rng: &mut ChaCha20Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut r = below(rng, u64::from(total)) as u32;
    for &(v, w) in table {
        if r < w {
            return v;
        }
        r -= w;
    }
    table[table.len() - 1].0
}

/// A time during municipal office hours (08:30-17:15 JST) on JST day `day`.
fn office_time(rng: &mut ChaCha20Rng, day: i64) -> i64 {
    day * DAY - JST_OFFSET + 8 * 3600 + 1800 + below(rng, 8 * 3600 + 45 * 60) as i64
}

/// A revocation time for a certificate issued on `issue_day`: a working day
/// drawn uniformly from the working days strictly after issue and strictly
/// before `at_day`, at a uniform time in office hours. Strictly-after days
/// keep it later than any issue time; strictly-before keeps it earlier than
/// `at`.
fn revocation_time(rng: &mut ChaCha20Rng, issue_day: i64, at_day: i64) -> i64 {
    let (lo, hi) = (issue_day + 1, at_day - 1);
    let span = (hi - lo + 1).max(1) as u64;
    // Redraw on weekends and the year-end closure (uniform over working
    // days; stepping to a neighbour would pile revocations onto Fridays).
    // 2/7 of draws miss, so 32 misses in a row does not happen in
    // practice; if it did, the day is still inside the window.
    let mut day = lo + below(rng, span) as i64;
    for _ in 0..32 {
        if is_working_day(day) {
            break;
        }
        day = lo + below(rng, span) as i64;
    }
    office_time(rng, day)
}

/// A subject CN that is not a My Number (real cards carry an opaque one).
fn opaque_id(rng: &mut ChaCha20Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..24).map(|_| pick(rng, ALPHABET) as char).collect()
}

/// Picks notAfter (the fifth birthday after issue, 23:59:59 JST) inside
/// `[lo, hi]` (days) and the birth date that makes it so.
fn birth_for(rng: &mut ChaCha20Rng, issue_day: i64, lo: i64, hi: i64) -> (i64, (i32, u32, u32)) {
    let mut x = lo + below(rng, (hi - lo + 1).max(1) as u64) as i64;
    let (_, m, d) = civil_from_days(x);
    if m == 2 && d == 29 {
        // No 29 February birthdays: their later birthdays are ambiguous.
        x = if x > lo { x - 1 } else { x + 1 };
    }
    let (_, m, d) = civil_from_days(x);
    let (iy, _, _) = civil_from_days(issue_day);
    let age = 15 + below(rng, 71) as i32; // signing certificates start at 15
    let birth = (iy - age, m, d);
    let end = fifth_birthday_after(issue_day, m, d);
    (end * DAY - JST_OFFSET + 23 * 3600 + 59 * 60 + 59, birth)
}

#[cfg(test)]
mod tests {
    use super::super::calendar::days_from_civil;
    use super::*;

    #[test]
    fn revocation_times_fall_in_office_hours_between_issue_and_at() {
        let mut rng = derive_rng(1, "test");
        let at_day = days_from_civil(2026, 11, 1);
        for issue_day in (at_day - HISTORY_DAYS..at_day - QUIET_DAYS).step_by(7) {
            let t = revocation_time(&mut rng, issue_day, at_day);
            let jst = t + JST_OFFSET;
            let day = jst.div_euclid(DAY);
            assert!(day > issue_day && day < at_day, "{issue_day} {t}");
            assert!(is_working_day(day));
            let secs = jst.rem_euclid(DAY);
            assert!((8 * 3600 + 1800..17 * 3600 + 15 * 60).contains(&secs));
        }
    }
}
