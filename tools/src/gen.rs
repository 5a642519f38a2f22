//! `kakunin gen`: a deterministic, JPKI-shaped test PKI.
//!
//! Output (see DESIGN.md, "Contracts"): two root CAs with their keys, one
//! delegated OCSP responder key with a certificate from each CA, a CRL per
//! CA with exactly `--revoked` entries, `--certs` signing and
//! authentication certificates (a known mix of valid, revoked and expired),
//! `--holders` card holders with their own keys and facts, and
//! `expected.jsonl`, the ground truth for every issued certificate.
//!
//! Same arguments, same bytes: every random choice comes from a ChaCha20
//! stream derived from `--seed` and a purpose label, all choices are made
//! sequentially before any parallel work, and parallel results are
//! collected in order.

mod calendar;
mod crl_writer;
mod der_writer;
mod keys;
mod layout;
mod people;
mod profile;

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use kakunin_engine::{RevocationReason, Serial, Timestamp};
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;
use rayon::prelude::*;

use crate::Outcome;
use calendar::{
    add_years, civil_from_days, fifth_birthday_after, is_working_day, jpki_birth_date, DAY,
    JST_OFFSET,
};
use crl_writer::{CrlHeader, Revoked};
use keys::{derive_rng, pem, Key};
use layout::Layout;
use people::Person;
use profile::{CaKind, Facts, Leaf};

/// Default generation time: fixed, so that output is deterministic.
const DEFAULT_AT: &str = "2026-11-01T00:00:00Z";
/// Share of the bundle that is revoked and expired (the rest is valid).
const REVOKED_PERMILLE: u64 = 120;
const EXPIRED_PERMILLE: u64 = 80;
/// Pre-generated leaf keys shared by the bulk of certificates (RSA key
/// generation costs ~0.1-1 s each; holders get their own keys).
const KEY_POOL: usize = 4;
/// Issuance in the generated history stops this many days before `--at`,
/// so every revoked certificate has working days between issue and `--at`.
const QUIET_DAYS: i64 = 14;

/// Arguments of `kakunin gen`.
#[derive(clap::Args, Debug)]
#[command(after_help = "Same arguments, byte-identical output. Example:\n  \
    kakunin gen --out data --revoked 1000 --certs 100 --holders 10 --seed 1 --crl-days 3650")]
pub struct GenArgs {
    /// Directory to write the PKI into (created if missing; files in it are
    /// overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Entries on EACH CRL (sign.crl and auth.crl): the revoked certificates
    /// of the bundles plus revoked serials of earlier, unbundled
    /// certificates. Must be at least the number of revoked bundle
    /// certificates (12% of --certs).
    #[arg(long, default_value_t = 1000, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=100_000_000))]
    revoked: u64,
    /// Certificates in EACH bundle (sign-certs.pem, auth-certs.pem): about
    /// 80% valid, 12% revoked, 8% expired.
    #[arg(long, default_value_t = 100, value_name = "M", value_parser = clap::value_parser!(u64).range(1..=10_000_000))]
    certs: u64,
    /// Card holders with their own keys and facts under holders/N/: the
    /// first K certificates of each bundle. At most --certs.
    #[arg(long, default_value_t = 10, value_name = "K", value_parser = clap::value_parser!(u64).range(0..=10_000_000))]
    holders: u64,
    /// Seed for every key and random choice.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Generation time (RFC 3339): the CRLs' thisUpdate and the "now" that
    /// decides valid and expired. Fixed by default so output is reproducible.
    #[arg(long, default_value = DEFAULT_AT, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Timestamp,
    /// Days from thisUpdate to nextUpdate (JPKI publishes daily: 1).
    #[arg(long, default_value_t = 1, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    crl_days: u32,
}

/// Uniform in `0..n` (n > 0) by multiply-shift: bias below 2^-32 for the
/// sizes we use, and one RNG word per draw.
pub(crate) fn below(rng: &mut ChaCha20Rng, n: u64) -> u64 {
    ((u128::from(rng.next_u64()) * u128::from(n)) >> 64) as u64
}

/// A uniformly chosen element of a non-empty constant list.
pub(crate) fn pick<T: Copy>(rng: &mut ChaCha20Rng, items: &[T]) -> T {
    items[below(rng, items.len() as u64) as usize]
}

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
/// before `at_day`, at a uniform time in office hours. Strictly-after days keep it later than
/// any issue time; strictly-before keeps it earlier than `--at`.
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

/// What happened to a card in the bundles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fate {
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

/// Events that revoke both certificates of a card, weighted.
const BOTH_REVOKED: &[(RevocationReason, u32)] = &[
    (RevocationReason::Superseded, 40),
    (RevocationReason::CessationOfOperation, 30),
    (RevocationReason::KeyCompromise, 20),
    (RevocationReason::Unspecified, 6),
    (RevocationReason::CertificateHold, 3),
    (RevocationReason::CaCompromise, 1),
];

/// Everything decided about one card before any certificate is built.
struct Card {
    holder: Option<u64>,
    sign_serial: u64,
    auth_serial: u64,
    not_before: i64,
    not_after: i64,
    fate: Fate,
    revoked_at: Option<i64>,
    person: Person,
    birth_date: String,
    sign_cn: String,
    auth_cn: String,
}

impl Card {
    fn status(&self, kind: CaKind) -> (&'static str, Option<RevocationReason>) {
        match (self.fate, kind) {
            (Fate::Valid, _) | (Fate::Moved, CaKind::Auth) => ("valid", None),
            (Fate::Expired, _) => ("invalid", None),
            (Fate::Moved, CaKind::Sign) => ("revoked", Some(RevocationReason::AffiliationChanged)),
            (Fate::Revoked(r), _) => ("revoked", Some(r)),
        }
    }

    fn serial(&self, kind: CaKind) -> u64 {
        match kind {
            CaKind::Sign => self.sign_serial,
            CaKind::Auth => self.auth_serial,
        }
    }
}

fn opaque_id(rng: &mut ChaCha20Rng) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ0123456789";
    (0..24).map(|_| pick(rng, ALPHABET) as char).collect()
}

fn hex_serial(v: u64) -> String {
    Serial::from_u64(v).to_hex()
}

fn rfc3339(t: i64) -> String {
    Timestamp::from_unix(t).to_rfc3339()
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

/// Runs `kakunin gen`.
pub fn run(args: GenArgs) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let at = args.at.unix();
    let at_day = at.div_euclid(DAY);
    let (m, n, k) = (args.certs, args.revoked, args.holders);
    if k > m {
        bail!("--holders {k} is more than --certs {m}: holders are the first certificates of each bundle; lower --holders or raise --certs");
    }
    let expired_target = (m * EXPIRED_PERMILLE + 500) / 1000;
    let forced_revoked = u64::from(k >= 1);
    let revoked_target = ((m * REVOKED_PERMILLE + 500) / 1000).max(forced_revoked);
    if revoked_target > n {
        bail!(
            "--revoked {n} is smaller than the {revoked_target} revoked certificates that --certs {m} puts in each bundle \
             (12%); raise --revoked to at least {revoked_target} or lower --certs"
        );
    }

    // 1. Serial layout: enough cards that the CRL entries are ~10% of all
    //    serials, as for a national issuer.
    let total = (10 * n).max(20 * m).max(10_000);
    let first_day = at_day - 1800;
    let last_day = at_day - QUIET_DAYS;
    let layout = Layout::build(
        &mut derive_rng(args.seed, "layout"),
        total,
        first_day,
        last_day,
    );

    // 2. The bundle's cards: M distinct positions, then shuffled so that
    //    holders are not simply the oldest cards.
    let mut rng = derive_rng(args.seed, "bundle");
    // The expired quota is exact: cards old enough to have expired (issued
    // more than four years before --at) are a prefix of the stream; draw
    // the quota (plus two, in case the forced holders land on old cards)
    // from there first, the rest from anywhere.
    let old_end: u64 = layout
        .batches
        .iter()
        .take_while(|b| add_years(b.day, 4) < at_day - 1)
        .map(|b| b.len)
        .sum();
    let mut positions = std::collections::BTreeSet::new();
    while (positions.len() as u64) < (expired_target + 2).min(old_end).min(m) {
        positions.insert(below(&mut rng, old_end));
    }
    while (positions.len() as u64) < m {
        positions.insert(below(&mut rng, layout.total));
    }
    let positions: Vec<u64> = positions.into_iter().collect();
    let mut order: Vec<u64> = positions.clone();
    for i in (1..order.len()).rev() {
        order.swap(i, below(&mut rng, i as u64 + 1) as usize);
    }

    // 3. Fates with exact counts. Holder 1 is valid and holder 2 has lost
    //    the card (both certificates keyCompromise) when there are two
    //    holders; a single holder is the revoked one.
    let mut fates = vec![Fate::Valid; m as usize];
    let mut forced = vec![false; m as usize];
    let revoked_holder = if k >= 2 { 1 } else { 0 };
    if k >= 1 {
        fates[revoked_holder] = Fate::Revoked(RevocationReason::KeyCompromise);
        forced[revoked_holder] = true;
        forced[0] = true;
    }
    let issue_day = |pos: u64| layout.batch_of(pos).day;
    let mut expirable: Vec<usize> = (0..m as usize)
        .filter(|&i| !forced[i] && add_years(issue_day(order[i]), 4) < at_day - 1)
        .collect();
    for i in (1..expirable.len()).rev() {
        expirable.swap(i, below(&mut rng, i as u64 + 1) as usize);
    }
    let expired = expired_target.min(expirable.len() as u64);
    for &i in &expirable[..expired as usize] {
        fates[i] = Fate::Expired;
    }
    let mut revocable: Vec<usize> = (0..m as usize)
        .filter(|&i| !forced[i] && fates[i] == Fate::Valid)
        .collect();
    for i in (1..revocable.len()).rev() {
        revocable.swap(i, below(&mut rng, i as u64 + 1) as usize);
    }
    let extra = ((revoked_target - forced_revoked) as usize).min(revocable.len());
    for &i in &revocable[..extra] {
        // Holders keep one status for both certificates (facts.json has one
        // status), so the sign-only "moved" fate goes to non-holders.
        fates[i] = if (i as u64) >= k && below(&mut rng, 100) < 45 {
            Fate::Moved
        } else {
            Fate::Revoked(weighted(&mut rng, BOTH_REVOKED))
        };
    }

    // 4. Per-card facts, dates and names, decided in bundle order.
    let mut rng = derive_rng(args.seed, "cards");
    let cards: Vec<Card> = order
        .iter()
        .zip(&fates)
        .enumerate()
        .map(|(i, (&pos, &fate))| {
            let day = issue_day(pos);
            let not_before = office_time(&mut rng, day);
            let (lo, hi) = if fate == Fate::Expired {
                (add_years(day, 4) + 1, add_years(day, 5).min(at_day - 1))
            } else {
                ((add_years(day, 4) + 1).max(at_day + 1), add_years(day, 5))
            };
            let (not_after, (by, bm, bd)) = birth_for(&mut rng, day, lo, hi);
            let revoked_at = match fate {
                Fate::Moved | Fate::Revoked(_) => Some(revocation_time(&mut rng, day, at_day)),
                _ => None,
            };
            Card {
                holder: ((i as u64) < k).then_some(i as u64 + 1),
                sign_serial: layout.serial(CaKind::Sign, pos),
                auth_serial: layout.serial(CaKind::Auth, pos),
                not_before,
                not_after,
                fate,
                revoked_at,
                person: people::random_person(&mut rng),
                birth_date: jpki_birth_date(by, bm, bd).unwrap_or_default(),
                sign_cn: opaque_id(&mut rng),
                auth_cn: opaque_id(&mut rng),
            }
        })
        .collect();

    // 5. Keys, in parallel: each has its own seeded stream.
    let mut labels: Vec<String> = ["sign-ca", "auth-ca", "ocsp"].map(String::from).to_vec();
    labels.extend((0..KEY_POOL).map(|i| format!("pool-{i}")));
    for h in 1..=k {
        labels.push(format!("holder-{h}-sign"));
        labels.push(format!("holder-{h}-auth"));
    }
    let keys: Vec<Key> = labels
        .par_iter()
        .map(|l| Key::generate(args.seed, l))
        .collect::<anyhow::Result<_>>()?;
    let (sign_ca, auth_ca, ocsp) = (&keys[0], &keys[1], &keys[2]);
    let pool = &keys[3..3 + KEY_POOL];
    let holder_keys = &keys[3 + KEY_POOL..];
    let leaf_key = |i: usize, kind: CaKind| -> &Key {
        let h = match kind {
            CaKind::Sign => 0,
            CaKind::Auth => 1,
        };
        if (i as u64) < k {
            &holder_keys[2 * i + h]
        } else {
            &pool[(i + h) % KEY_POOL]
        }
    };
    let ca_key = |kind: CaKind| match kind {
        CaKind::Sign => sign_ca,
        CaKind::Auth => auth_ca,
    };

    // 6. Certificates (in parallel, collected in bundle order).
    let out = &args.out;
    fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    // CA validity: from a month before the first issue in the history to
    // ten years after --at (so a sample made with --crl-days 3650 stays
    // verifiable for as long as its CRLs are current).
    let ca_nb = (first_day - 30) * DAY;
    let ca_na = at + 3653 * DAY;
    let mut ocsp_pem = String::new();
    for (i, kind) in [CaKind::Sign, CaKind::Auth].into_iter().enumerate() {
        let ca = profile::ca_certificate(kind, ca_key(kind), 1, ca_nb, ca_na)?;
        write(
            out,
            &format!("{}-ca.pem", kind.as_str()),
            pem("CERTIFICATE", &ca).as_bytes(),
        )?;
        write(
            out,
            &format!("{}-ca.key", kind.as_str()),
            ca_key(kind).pkcs8_pem().as_bytes(),
        )?;
        let oc = profile::ocsp_certificate(
            kind,
            ca_key(kind),
            ocsp,
            2 + i as u64,
            at - 30 * DAY,
            ca_na,
        )?;
        ocsp_pem.push_str(&pem("CERTIFICATE", &oc));
    }
    write(out, "ocsp.pem", ocsp_pem.as_bytes())?;
    write(out, "ocsp.key", ocsp.pkcs8_pem().as_bytes())?;

    let mut bundles: Vec<Vec<Vec<u8>>> = Vec::new();
    for kind in [CaKind::Sign, CaKind::Auth] {
        let certs: Vec<Vec<u8>> = cards
            .par_iter()
            .enumerate()
            .map(|(i, c)| {
                let leaf = Leaf {
                    kind,
                    serial: c.serial(kind),
                    cn: match kind {
                        CaKind::Sign => &c.sign_cn,
                        CaKind::Auth => &c.auth_cn,
                    },
                    not_before: c.not_before,
                    not_after: c.not_after,
                    facts: Facts {
                        person: &c.person,
                        birth_date: &c.birth_date,
                    },
                };
                profile::leaf_certificate(&leaf, leaf_key(i, kind), ca_key(kind))
            })
            .collect::<anyhow::Result<_>>()?;
        let bundle: String = certs.iter().map(|d| pem("CERTIFICATE", d)).collect();
        write(
            out,
            &format!("{}-certs.pem", kind.as_str()),
            bundle.as_bytes(),
        )?;
        bundles.push(certs);
    }

    // 7. Holders.
    for (i, c) in cards.iter().enumerate().take(k as usize) {
        let dir = out.join("holders").join((i + 1).to_string());
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        for (b, kind) in [CaKind::Sign, CaKind::Auth].into_iter().enumerate() {
            write(
                &dir,
                &format!("{}.pem", kind.as_str()),
                pem("CERTIFICATE", &bundles[b][i]).as_bytes(),
            )?;
            write(
                &dir,
                &format!("{}.key", kind.as_str()),
                leaf_key(i, kind).pkcs8_pem().as_bytes(),
            )?;
        }
        let (status, reason) = c.status(CaKind::Sign);
        let facts = HolderFacts {
            name: &c.person.name,
            name_alt: &c.person.name_alt,
            sex: c.person.sex,
            birth_date: &c.birth_date,
            address: &c.person.address,
            address_alt: &c.person.address_alt,
            auth_serial: hex_serial(c.auth_serial),
            sign_serial: hex_serial(c.sign_serial),
            status,
            reason: reason.map(|r| r.name()),
            revoked_at: c.revoked_at.map(rfc3339),
            not_before: rfc3339(c.not_before),
            not_after: rfc3339(c.not_after),
        };
        let mut text = serde_json::to_string_pretty(&facts)?;
        text.push('\n');
        write(&dir, "facts.json", text.as_bytes())?;
    }

    // 8. expected.jsonl: all signing certificates, then all authentication
    //    certificates, each in bundle order.
    let mut expected = String::new();
    for kind in [CaKind::Sign, CaKind::Auth] {
        for c in &cards {
            let (status, reason) = c.status(kind);
            let line = ExpectedLine {
                kind: kind.as_str(),
                serial: hex_serial(c.serial(kind)),
                status,
                reason: reason.map(|r| r.name()),
                holder: c.holder,
                revoked_at: reason.and(c.revoked_at).map(rfc3339),
                not_after: rfc3339(c.not_after),
            };
            expected.push_str(&serde_json::to_string(&line)?);
            expected.push('\n');
        }
    }
    write(out, "expected.jsonl", expected.as_bytes())?;

    // 9. CRLs: the bundle's revoked certificates plus earlier revocations
    //    drawn from the rest of the serial space, merged in serial order.
    let crl = |kind: CaKind| -> anyhow::Result<usize> {
        let mut own: Vec<Revoked> = cards
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
        let mut pick_rng = derive_rng(args.seed, &format!("crl-{}-serials", kind.as_str()));
        let mut rng = derive_rng(args.seed, &format!("crl-{}-times", kind.as_str()));
        let fill = n - own.len() as u64;
        let mut entries = Vec::with_capacity(n as usize);
        let mut own_iter = own.into_iter().peekable();
        let weights = reason_weights(kind);
        layout.select(&mut pick_rng, fill, &positions, |b, pos| {
            let serial = match kind {
                CaKind::Sign => b.sign_start + (pos - b.pos),
                CaKind::Auth => b.auth_start + (pos - b.pos),
            };
            while own_iter.peek().is_some_and(|o| o.serial < serial) {
                entries.extend(own_iter.next());
            }
            entries.push(Revoked {
                serial,
                time: revocation_time(&mut rng, b.day, at_day),
                reason: weighted(&mut rng, weights),
            });
        });
        entries.extend(own_iter);
        anyhow::ensure!(
            entries.len() as u64 == n,
            "internal: {} CRL entries, wanted {n}",
            entries.len()
        );
        let issuer = profile::ca_name(kind);
        let der = crl_writer::write_crl(
            &CrlHeader {
                issuer: &issuer,
                this_update: at,
                next_update: at + i64::from(args.crl_days) * DAY,
                crl_number: at_day as u64,
                issuer_key_id: ca_key(kind).key_id(),
            },
            &entries,
            ca_key(kind),
        )?;
        write(out, &format!("{}.crl", kind.as_str()), &der)?;
        Ok(der.len())
    };
    let (sign_len, auth_len) = rayon::join(|| crl(CaKind::Sign), || crl(CaKind::Auth));
    let (sign_len, auth_len) = (sign_len?, auth_len?);

    let count = |kind: CaKind, s: &str| cards.iter().filter(|c| c.status(kind).0 == s).count();
    eprintln!(
        "kakunin gen: wrote {} in {:.1}s: {m} certificates per CA (sign: {} valid, {} revoked, {} expired; \
         auth: {} valid, {} revoked, {} expired), {k} holders, CRLs with {n} entries \
         (sign.crl {sign_len} bytes, auth.crl {auth_len} bytes)",
        out.display(),
        started.elapsed().as_secs_f64(),
        count(CaKind::Sign, "valid"),
        count(CaKind::Sign, "revoked"),
        count(CaKind::Sign, "invalid"),
        count(CaKind::Auth, "valid"),
        count(CaKind::Auth, "revoked"),
        count(CaKind::Auth, "invalid"),
    );
    if expired < expired_target {
        eprintln!(
            "kakunin gen: note: only {expired} of the {expired_target} expired certificates wanted could be made \
             (too few cards old enough); the rest are valid"
        );
    }
    Ok(Outcome::Success)
}

/// `holders/<n>/facts.json`: what the card carries, values exactly as in the
/// signing certificate's SAN, plus the ground truth for both certificates
/// (a holder's two certificates always share one status).
#[derive(serde::Serialize)]
struct HolderFacts<'a> {
    name: &'a str,
    name_alt: &'a str,
    sex: &'a str,
    birth_date: &'a str,
    address: &'a str,
    address_alt: &'a str,
    auth_serial: String,
    sign_serial: String,
    status: &'static str,
    reason: Option<&'static str>,
    revoked_at: Option<String>,
    not_before: String,
    not_after: String,
}

/// One line of `expected.jsonl`.
#[derive(serde::Serialize)]
struct ExpectedLine {
    kind: &'static str,
    serial: String,
    status: &'static str,
    reason: Option<&'static str>,
    holder: Option<u64>,
    revoked_at: Option<String>,
    not_after: String,
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<()> {
    let path = dir.join(name);
    fs::write(&path, bytes).with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        gen: GenArgs,
    }

    #[test]
    fn flags_and_defaults() {
        let a = Cli::try_parse_from(["gen", "--out", "x"]).unwrap().gen;
        assert_eq!(
            (a.revoked, a.certs, a.holders, a.seed, a.crl_days),
            (1000, 100, 10, 1, 1)
        );
        assert_eq!(a.at.to_rfc3339(), DEFAULT_AT);
        let a = Cli::try_parse_from([
            "gen",
            "--out",
            "x",
            "--at",
            "2027-01-01T09:00:00+09:00",
            "--crl-days",
            "3650",
        ])
        .unwrap()
        .gen;
        assert_eq!(a.at.to_rfc3339(), "2027-01-01T00:00:00Z");
        assert_eq!(a.crl_days, 3650);
        for bad in [
            &["gen"][..],
            &["gen", "--out", "x", "--certs", "0"],
            &["gen", "--out", "x", "--crl-days", "0"],
            &["gen", "--out", "x", "--revoked", "100000001"],
            &["gen", "--out", "x", "--at", "2026-13-01T00:00:00Z"],
        ] {
            assert!(Cli::try_parse_from(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn revocation_times_fall_in_office_hours_between_issue_and_at() {
        let mut rng = derive_rng(1, "test");
        let at_day = calendar::days_from_civil(2026, 11, 1);
        for issue_day in (at_day - 1800..at_day - QUIET_DAYS).step_by(7) {
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
