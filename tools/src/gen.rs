//! `kakunin gen`: the flags of the test-PKI generator, whose work is the
//! `kakunin-gen` library's (its crate documentation describes what is made
//! and the file layout).
//!
//! The shim turns the flags into [`kakunin_gen::Options`], picks the
//! generation time when `--at` is absent (the start of the current UTC
//! day, so that a fresh PKI has current CRLs), prints the one-line summary,
//! and names flags in the errors the library reports about settings.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::anyhow;
use kakunin_engine::Timestamp;
use kakunin_gen::{GenError, Options, Summary};

use crate::Outcome;

/// Seconds per day, for the default generation time.
const DAY: i64 = 86_400;

/// Arguments of `kakunin gen`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Same arguments and --at, byte-identical output (without --at: the same \
    arguments on the same UTC day). How data/ is made:\n  \
    kakunin gen --out data --revoked 1000 --certs 100 --holders 10 --seed 1 \
    --at 2026-11-01T00:00:00Z --crl-days 3650"
)]
pub(crate) struct GenArgs {
    /// Directory to write the PKI into (created if missing; files in it are
    /// overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Entries on EACH CRL (sign.crl and auth.crl): the revoked certificates
    /// of the bundles plus revoked serials of earlier, unbundled
    /// certificates. Must be at least the number of revoked bundle
    /// certificates (12% of --certs).
    #[arg(long, default_value_t = Options::DEFAULT_REVOKED, value_name = "N", value_parser = clap::value_parser!(u64).range(0..=Options::MAX_REVOKED))]
    revoked: u64,
    /// Certificates in EACH bundle (sign-certs.pem, auth-certs.pem): about
    /// 80% valid, 12% revoked, 8% expired.
    #[arg(long, default_value_t = Options::DEFAULT_CERTS, value_name = "M", value_parser = clap::value_parser!(u64).range(1..=Options::MAX_CERTS))]
    certs: u64,
    /// Card holders with their own keys and facts under holders/N/: the
    /// first K certificates of each bundle. At most --certs.
    #[arg(long, default_value_t = Options::DEFAULT_HOLDERS, value_name = "K", value_parser = clap::value_parser!(u64).range(0..=Options::MAX_CERTS))]
    holders: u64,
    /// Seed for every key and random choice. The same seed and --at give
    /// byte-identical output; without --at, so do two runs on the same UTC
    /// day.
    #[arg(long, default_value_t = Options::DEFAULT_SEED, value_name = "S")]
    seed: u64,
    /// Generation time (RFC 3339): the CRLs' thisUpdate and the "now" that
    /// decides valid and expired. Default: the start of the current UTC day
    /// (00:00:00Z today), so that `kakunin verify` right after finds the
    /// CRLs current and good certificates valid. Give --at for output that
    /// is byte-identical on any day.
    #[arg(long, value_name = "RFC3339", value_parser = crate::parse_time_arg)]
    at: Option<Timestamp>,
    /// Days from thisUpdate to nextUpdate (JPKI publishes daily: 1).
    #[arg(long, default_value_t = Options::DEFAULT_CRL_DAYS, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=i64::from(Options::MAX_CRL_DAYS)))]
    crl_days: u32,
}

impl GenArgs {
    /// The generation time: `--at`, else the start of today (UTC).
    fn at(&self) -> Timestamp {
        self.at
            .unwrap_or_else(|| start_of_utc_day(Timestamp::now()))
    }

    /// The library's options for these flags.
    fn options(&self) -> Options {
        Options::new(self.at())
            .seed(self.seed)
            .revoked(self.revoked)
            .certs(self.certs)
            .holders(self.holders)
            .crl_days(self.crl_days)
    }
}

/// 00:00:00Z of the UTC day `t` falls on: a whole day rather than the
/// current second, so that two runs on one day give the same bytes.
fn start_of_utc_day(t: Timestamp) -> Timestamp {
    Timestamp::from_unix(t.unix().div_euclid(DAY) * DAY)
}

/// Runs `kakunin gen`.
pub(crate) fn run(args: GenArgs) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let summary = kakunin_gen::generate(&args.options(), &args.out).map_err(flag_error)?;
    report(&args, &summary, started.elapsed());
    Ok(Outcome::Success)
}

/// The library names settings; on the command line they are flags, so the
/// two errors about settings that can be met by changing flags say which.
fn flag_error(e: GenError) -> anyhow::Error {
    match e {
        GenError::TooManyHolders {
            holders: k,
            certs: m,
        } => anyhow!(
            "--holders {k} is more than --certs {m}: holders are the first certificates of each \
             bundle; lower --holders or raise --certs"
        ),
        GenError::TooFewRevoked {
            revoked: n,
            needed,
            certs: m,
        } => anyhow!(
            "--revoked {n} is smaller than the {needed} revoked certificates that --certs {m} puts \
             in each bundle (12%); raise --revoked to at least {needed} or lower --certs"
        ),
        other => other.into(),
    }
}

/// The one-line summary on stderr, and a note when the expired quota could
/// not be met.
fn report(args: &GenArgs, summary: &Summary, took: Duration) {
    let (sign, auth) = (&summary.sign, &summary.auth);
    let (m, n, k) = (args.certs, args.revoked, args.holders);
    eprintln!(
        "kakunin gen: wrote {} in {:.1}s: {m} certificates per CA (sign: {} valid, {} revoked, {} expired; \
         auth: {} valid, {} revoked, {} expired), {k} holders, CRLs with {n} entries \
         (sign.crl {} bytes, auth.crl {} bytes)",
        args.out.display(),
        took.as_secs_f64(),
        sign.valid,
        sign.revoked,
        sign.expired,
        auth.valid,
        auth.revoked,
        auth.expired,
        sign.crl_bytes,
        auth.crl_bytes,
    );
    let (expired, wanted) = (summary.expired_made, summary.expired_wanted);
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
