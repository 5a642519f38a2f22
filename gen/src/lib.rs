//! A deterministic, JPKI-shaped test PKI: what `kakunin gen` writes, as a
//! library, so that tests and benchmarks can make one in-process.
//!
//! # What it makes
//!
//! The two J-LIS root CAs of the My Number Card (signing, 署名用, and
//! authentication, 利用者証明用) with RSA-2048 keys; one delegated OCSP
//! responder key with a certificate from each CA; a CRL per CA with exactly
//! [`Options::revoked`] entries, shaped like a national issuer's (dense
//! serial runs with gaps, real reason mixes, revocation times in office
//! hours); [`Options::certs`] signing and as many authentication
//! certificates, a known mix of valid, revoked and expired; the first
//! [`Options::holders`] cards' holders with their own keys and facts
//! (name, address and birth date in the signing certificate's SAN); and
//! the ground truth for every issued certificate.
//!
//! # Output layout
//!
//! [`generate`] writes into one directory (created if missing; files in it
//! are overwritten, others left alone). These names are a contract: the
//! `kakunin` binary's other commands, `card-sim`, the tests and `data/`
//! rely on them.
//!
//! | file | content |
//! | --- | --- |
//! | `sign-ca.pem`, `sign-ca.key` | signing CA (self-signed root); PKCS#8 key |
//! | `auth-ca.pem`, `auth-ca.key` | authentication CA (self-signed root); PKCS#8 key |
//! | `ocsp.pem`, `ocsp.key` | the OCSP responder's certificates (the signing CA's first) and its one key |
//! | `sign.crl`, `auth.crl` | DER CRLs, ascending serials, thisUpdate = [`Options::new`]'s `at` |
//! | `sign-certs.pem`, `auth-certs.pem` | the bundles, in bundle order |
//! | `holders/<n>/` (n = 1..=holders) | `sign.pem`, `sign.key`, `auth.pem`, `auth.key`, `facts.json` |
//! | `expected.jsonl` | one line per certificate: all signing ones, then all authentication ones, each in bundle order |
//!
//! # Same options, same bytes
//!
//! Every random choice comes from a ChaCha20 stream derived from the seed
//! and a purpose label; all choices are made sequentially before any
//! parallel work (`plan`), and parallel results are collected in order
//! (`issue`); `write` only lays the results out as files. So the thread
//! count never changes a byte, and neither does the day the generator
//! runs: the generation time is an explicit option. (`kakunin gen`
//! defaults it to the start of the current UTC day, so that a fresh PKI
//! has current CRLs.)
//!
//! # Example
//!
//! ```no_run
//! use kakunin_engine::Timestamp;
//! use kakunin_gen::{generate, Options};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let at = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z")?;
//! // 30 certificates per CA, 5 of them with holders, 200 entries per CRL.
//! let options = Options::new(at).certs(30).holders(5).revoked(200).seed(7);
//! let summary = generate(&options, std::path::Path::new("pki"))?;
//! assert_eq!(summary.sign.valid + summary.sign.revoked + summary.sign.expired, 30);
//! println!("sign.crl is {} bytes", summary.sign.crl_bytes);
//! # Ok(())
//! # }
//! ```
//!
//! Generation costs about 0.1-1 s per RSA key (seven, plus two per holder)
//! and, for the CRLs, about a second per million entries; a CRL is written
//! as soon as it is made, so memory stays near one CRL's DER per CA.
#![deny(missing_docs)]

mod calendar;
mod crl_writer;
mod der_writer;
mod error;
mod issue;
mod keys;
mod layout;
mod options;
mod people;
mod plan;
mod profile;
mod write;

use std::path::Path;

use rand_chacha::ChaCha20Rng;
use rand_core::RngCore;

pub use error::GenError;
pub use options::Options;

use issue::{Keys, PerCa};
use plan::Plan;
use profile::CaKind;

/// What [`generate`] made: enough to report on it without reading the
/// files back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Summary {
    /// The signing CA's bundle and CRL.
    pub sign: CaSummary,
    /// The authentication CA's bundle and CRL.
    pub auth: CaSummary,
    /// Expired certificates wanted in each bundle (8% of `certs`).
    pub expired_wanted: u64,
    /// Expired certificates made in each bundle: fewer than wanted when too
    /// few cards of the generated history are old enough (the rest are
    /// valid).
    pub expired_made: u64,
}

/// One CA's share of a [`Summary`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CaSummary {
    /// Certificates of the bundle that are valid at the generation time.
    pub valid: usize,
    /// Certificates of the bundle on the CRL.
    pub revoked: usize,
    /// Certificates of the bundle past notAfter (`invalid` in
    /// `expected.jsonl`).
    pub expired: usize,
    /// Size of the CRL's DER.
    pub crl_bytes: usize,
}

/// Generates the PKI `options` describe into `out`: plan, then issue and
/// write in the order the files depend on each other (keys before
/// certificates, certificates before the CRLs that list them).
///
/// Settings that cannot be met are refused before any key is generated.
/// An I/O error stops generation and leaves the files written so far.
pub fn generate(options: &Options, out: &Path) -> Result<Summary, GenError> {
    options.check_ranges()?;
    let plan = Plan::new(options)?;
    let keys = Keys::generate(plan.seed, plan.holders)?;
    write::create_dir(out)?;
    let authorities = PerCa::try_new(|kind| issue::authority(&plan, &keys, kind))?;
    write::authorities(out, &keys, &authorities)?;
    let bundles = PerCa::try_new(|kind| issue::bundle(&plan, &keys, kind))?;
    write::bundles(out, &bundles)?;
    write::holders(out, &plan, &keys, &bundles)?;
    write::expected(out, &plan)?;
    // Each CRL is written as soon as it is made: a national-size one is
    // gigabytes, and only one pair of entries and DER is held per CRL.
    let crl = |kind: CaKind| -> Result<usize, GenError> {
        let der = issue::crl(&plan, &keys, kind)?;
        write::crl(out, kind, &der)?;
        Ok(der.len())
    };
    let (sign_len, auth_len) = rayon::join(|| crl(CaKind::Sign), || crl(CaKind::Auth));
    let ca = |kind: CaKind, crl_bytes: usize| {
        let count = |s: &str| plan.cards.iter().filter(|c| c.status(kind).0 == s).count();
        CaSummary {
            valid: count("valid"),
            revoked: count("revoked"),
            expired: count("invalid"),
            crl_bytes,
        }
    };
    Ok(Summary {
        sign: ca(CaKind::Sign, sign_len?),
        auth: ca(CaKind::Auth, auth_len?),
        expired_wanted: plan.expired_target,
        expired_made: plan.expired,
    })
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

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_engine::Timestamp;

    fn at() -> Timestamp {
        Timestamp::from_unix(1_793_491_200) // 2026-11-01T00:00:00Z
    }

    #[test]
    fn writes_holders_and_counts_what_it_wrote() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("pki");
        let options = Options::new(at()).certs(20).holders(2).revoked(30).seed(3);
        let summary = generate(&options, &out).expect("generate");
        // The file names are checked against the binary in
        // tools/tests/cli/gen.rs; here, that holders follow `holders`.
        for n in 1..=2 {
            for f in ["auth.pem", "auth.key", "sign.pem", "sign.key", "facts.json"] {
                assert!(out.join(format!("holders/{n}/{f}")).is_file(), "{n}/{f}");
            }
        }
        assert!(!out.join("holders/3").exists());
        // The summary counts what expected.jsonl says, per CA.
        let expected = std::fs::read_to_string(out.join("expected.jsonl")).expect("expected");
        for (kind, ca) in [("sign", summary.sign), ("auth", summary.auth)] {
            let count = |status: &str| {
                expected
                    .lines()
                    .filter(|l| l.contains(&format!(r#""kind":"{kind}""#)))
                    .filter(|l| l.contains(&format!(r#""status":"{status}""#)))
                    .count()
            };
            assert_eq!(
                (ca.valid, ca.revoked, ca.expired),
                (count("valid"), count("revoked"), count("invalid")),
                "{kind}"
            );
            assert_eq!(ca.valid + ca.revoked + ca.expired, 20);
            let crl = std::fs::metadata(out.join(format!("{kind}.crl"))).expect("CRL");
            assert_eq!(ca.crl_bytes as u64, crl.len());
        }
        assert!(summary.expired_made <= summary.expired_wanted);
    }

    #[test]
    fn refuses_settings_it_cannot_meet_before_writing() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let out = dir.path().join("never");
        let refused = |options: Options| match generate(&options, &out) {
            Err(e) => e,
            Ok(_) => panic!("{options:?} accepted"),
        };
        assert!(matches!(
            refused(Options::new(at()).certs(0)),
            GenError::OutOfRange {
                option: "certs",
                value: 0,
                ..
            }
        ));
        assert!(matches!(
            refused(Options::new(at()).crl_days(Options::MAX_CRL_DAYS + 1)),
            GenError::OutOfRange {
                option: "crl_days",
                ..
            }
        ));
        assert!(matches!(
            refused(Options::new(at()).revoked(Options::MAX_REVOKED + 1)),
            GenError::OutOfRange {
                option: "revoked",
                ..
            }
        ));
        assert!(matches!(
            refused(Options::new(at()).certs(5).holders(6)),
            GenError::TooManyHolders {
                holders: 6,
                certs: 5
            }
        ));
        // 12% of 100 certificates are revoked: each CRL lists at least 12.
        let e = refused(Options::new(at()).certs(100).revoked(5));
        assert!(matches!(
            e,
            GenError::TooFewRevoked {
                revoked: 5,
                needed: 12,
                certs: 100
            }
        ));
        assert!(
            e.to_string().contains("raise revoked to at least 12"),
            "{e}"
        );
        assert!(!out.exists(), "nothing is written for refused settings");
    }
}
