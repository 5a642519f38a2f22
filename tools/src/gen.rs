//! `kakunin gen`: a deterministic, JPKI-shaped test PKI.
//!
//! Output (README.md's `kakunin gen` row and data/README.md describe each
//! file): two root CAs with their keys, one delegated OCSP responder key
//! with a certificate from each CA, a CRL per CA with exactly `--revoked`
//! entries, `--certs` signing and authentication certificates (a known mix
//! of valid, revoked and expired), `--holders` card holders with their own
//! keys and facts, and `expected.jsonl`, the ground truth for every issued
//! certificate.
//!
//! Same arguments and generation time, same bytes: every random choice
//! comes from a ChaCha20 stream derived from `--seed` and a purpose
//! label, all choices are made sequentially before any parallel work
//! ([`plan`]), and parallel results are collected in order ([`issue`]);
//! [`write`] only lays the results out as files. The generation time
//! defaults to the start of the current UTC day, so that a fresh PKI has
//! current CRLs; `--at` pins it for output that is the same on any day.

mod calendar;
mod crl_writer;
mod der_writer;
mod issue;
mod keys;
mod layout;
mod people;
mod plan;
mod profile;
mod write;

use std::path::PathBuf;

use kakunin_engine::Timestamp;
use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

use crate::Outcome;
use calendar::DAY;
use issue::{Keys, PerCa};
use plan::Plan;
use profile::CaKind;

/// Arguments of `kakunin gen`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Same arguments and --at, byte-identical output (without --at: the same \
    arguments on the same UTC day). How data/ is made:\n  \
    kakunin gen --out data --revoked 1000 --certs 100 --holders 10 --seed 1 \
    --at 2026-11-01T00:00:00Z --crl-days 3650"
)]
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
    /// Seed for every key and random choice. The same seed and --at give
    /// byte-identical output; without --at, so do two runs on the same UTC
    /// day.
    #[arg(long, default_value_t = 1, value_name = "S")]
    seed: u64,
    /// Generation time (RFC 3339): the CRLs' thisUpdate and the "now" that
    /// decides valid and expired. Default: the start of the current UTC day
    /// (00:00:00Z today), so that `kakunin verify` right after finds the
    /// CRLs current and good certificates valid. Give --at for output that
    /// is byte-identical on any day.
    #[arg(long, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Option<Timestamp>,
    /// Days from thisUpdate to nextUpdate (JPKI publishes daily: 1).
    #[arg(long, default_value_t = 1, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    crl_days: u32,
}

impl GenArgs {
    /// The generation time: `--at`, else the start of today (UTC).
    fn at(&self) -> Timestamp {
        self.at
            .unwrap_or_else(|| start_of_utc_day(Timestamp::now()))
    }
}

/// 00:00:00Z of the UTC day `t` falls on: a whole day rather than the
/// current second, so that two runs on one day give the same bytes.
fn start_of_utc_day(t: Timestamp) -> Timestamp {
    Timestamp::from_unix(t.unix().div_euclid(DAY) * DAY)
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

/// Runs `kakunin gen`: plan, then issue and write in the order the files
/// depend on each other (keys before certificates, certificates before
/// the CRLs that list them).
pub fn run(args: GenArgs) -> anyhow::Result<Outcome> {
    let started = std::time::Instant::now();
    let plan = Plan::new(&args, args.at().unix())?;
    let keys = Keys::generate(plan.seed, plan.holders)?;
    let out = args.out.as_path();
    write::create_dir(out)?;
    let authorities = PerCa::try_new(|kind| issue::authority(&plan, &keys, kind))?;
    write::authorities(out, &keys, &authorities)?;
    let bundles = PerCa::try_new(|kind| issue::bundle(&plan, &keys, kind))?;
    write::bundles(out, &bundles)?;
    write::holders(out, &plan, &keys, &bundles)?;
    write::expected(out, &plan)?;
    // Each CRL is written as soon as it is made: a national-size one is
    // gigabytes, and only one pair of entries and DER is held per CRL.
    let crl = |kind: CaKind| -> anyhow::Result<usize> {
        let der = issue::crl(&plan, &keys, kind)?;
        write::crl(out, kind, &der)?;
        Ok(der.len())
    };
    let (sign_len, auth_len) = rayon::join(|| crl(CaKind::Sign), || crl(CaKind::Auth));
    let crl_lens = PerCa {
        sign: sign_len?,
        auth: auth_len?,
    };
    report(&args, &plan, &crl_lens, started.elapsed());
    Ok(Outcome::Success)
}

/// The one-line summary on stderr, and a note when the expired quota could
/// not be met.
fn report(args: &GenArgs, plan: &Plan, crl_lens: &PerCa<usize>, took: std::time::Duration) {
    let count = |kind: CaKind, s: &str| plan.cards.iter().filter(|c| c.status(kind).0 == s).count();
    let (m, n, k) = (args.certs, args.revoked, args.holders);
    eprintln!(
        "kakunin gen: wrote {} in {:.1}s: {m} certificates per CA (sign: {} valid, {} revoked, {} expired; \
         auth: {} valid, {} revoked, {} expired), {k} holders, CRLs with {n} entries \
         (sign.crl {} bytes, auth.crl {} bytes)",
        args.out.display(),
        took.as_secs_f64(),
        count(CaKind::Sign, "valid"),
        count(CaKind::Sign, "revoked"),
        count(CaKind::Sign, "invalid"),
        count(CaKind::Auth, "valid"),
        count(CaKind::Auth, "revoked"),
        count(CaKind::Auth, "invalid"),
        crl_lens.sign,
        crl_lens.auth,
    );
    let (expired, wanted) = (plan.expired, plan.expired_target);
    if expired < wanted {
        eprintln!(
            "kakunin gen: note: only {expired} of the {wanted} expired certificates wanted could be made \
             (too few cards old enough); the rest are valid"
        );
    }
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
        assert_eq!(a.at, None);
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
        assert_eq!(a.at().to_rfc3339(), "2027-01-01T00:00:00Z");
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
    fn default_time_is_the_start_of_the_utc_day() {
        let t = |s| Timestamp::parse_rfc3339(s).unwrap();
        for (now, day) in [
            ("2026-12-01T22:29:41Z", "2026-12-01T00:00:00Z"),
            ("2026-12-01T00:00:00Z", "2026-12-01T00:00:00Z"),
            // 08:59 JST is still the previous UTC day.
            ("2026-12-02T08:59:59+09:00", "2026-12-01T00:00:00Z"),
            ("1969-12-31T23:59:59Z", "1969-12-31T00:00:00Z"),
        ] {
            assert_eq!(start_of_utc_day(t(now)), t(day), "{now}");
        }
        let a = Cli::try_parse_from(["gen", "--out", "x"]).unwrap().gen;
        let before = start_of_utc_day(Timestamp::now());
        let got = a.at();
        // Midnight may pass between the two readings of the clock.
        assert!(got == before || got == start_of_utc_day(Timestamp::now()));
    }
}
