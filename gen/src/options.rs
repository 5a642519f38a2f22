//! What to generate: [`Options`], its defaults and its limits.

use kakunin_engine::Timestamp;

use crate::GenError;

/// What [`generate`](crate::generate) makes. The generation time is
/// required (it decides which certificates are expired and dates the
/// CRLs, so there is no neutral default); every count has a default.
///
/// ```
/// use kakunin_engine::Timestamp;
/// use kakunin_gen::Options;
///
/// let at = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap();
/// let options = Options::new(at).certs(30).holders(2).revoked(50).seed(7);
/// assert_eq!(options, Options::new(at).seed(7).revoked(50).holders(2).certs(30));
/// ```
///
/// The counts are checked when generating, not when set, so that the
/// setters can be called in any order; [`GenError`] names the setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    pub(crate) at: Timestamp,
    pub(crate) seed: u64,
    pub(crate) revoked: u64,
    pub(crate) certs: u64,
    pub(crate) holders: u64,
    pub(crate) crl_days: u32,
}

impl Options {
    /// Default [`seed`](Options::seed).
    pub const DEFAULT_SEED: u64 = 1;
    /// Default [`revoked`](Options::revoked): entries on each CRL.
    pub const DEFAULT_REVOKED: u64 = 1000;
    /// Default [`certs`](Options::certs): certificates in each bundle.
    pub const DEFAULT_CERTS: u64 = 100;
    /// Default [`holders`](Options::holders).
    pub const DEFAULT_HOLDERS: u64 = 10;
    /// Default [`crl_days`](Options::crl_days): JPKI publishes daily.
    pub const DEFAULT_CRL_DAYS: u32 = 1;
    /// Most entries on each CRL: a national CA's CRL is tens of millions;
    /// beyond this the plan alone would not fit in a test machine.
    pub const MAX_REVOKED: u64 = 100_000_000;
    /// Most certificates in each bundle (and so most holders): each is
    /// signed, and a bundle is held in memory.
    pub const MAX_CERTS: u64 = 10_000_000;
    /// Longest CRL validity: a hundred years.
    pub const MAX_CRL_DAYS: u32 = 36_500;

    /// The defaults, generating as of `at`: the CRLs' thisUpdate and the
    /// "now" that decides which certificates are valid and which expired.
    pub fn new(at: Timestamp) -> Options {
        Options {
            at,
            seed: Options::DEFAULT_SEED,
            revoked: Options::DEFAULT_REVOKED,
            certs: Options::DEFAULT_CERTS,
            holders: Options::DEFAULT_HOLDERS,
            crl_days: Options::DEFAULT_CRL_DAYS,
        }
    }

    /// Seed of every key and random choice: the same seed and options give
    /// byte-identical output.
    pub fn seed(mut self, seed: u64) -> Options {
        self.seed = seed;
        self
    }

    /// Entries on each CRL: the bundle's revoked certificates plus revoked
    /// serials of earlier, unbundled certificates. At least the bundle's
    /// revoked certificates (12% of [`certs`](Options::certs)), at most
    /// [`MAX_REVOKED`](Options::MAX_REVOKED).
    pub fn revoked(mut self, n: u64) -> Options {
        self.revoked = n;
        self
    }

    /// Certificates in each bundle: about 80% valid, 12% revoked, 8%
    /// expired. 1 to [`MAX_CERTS`](Options::MAX_CERTS).
    pub fn certs(mut self, m: u64) -> Options {
        self.certs = m;
        self
    }

    /// Card holders with their own keys and facts: the first `k`
    /// certificates of each bundle. At most [`certs`](Options::certs).
    pub fn holders(mut self, k: u64) -> Options {
        self.holders = k;
        self
    }

    /// Days from thisUpdate to nextUpdate, 1 to
    /// [`MAX_CRL_DAYS`](Options::MAX_CRL_DAYS). A long one keeps a
    /// generated sample's CRLs current for years (`data/` uses 3650).
    pub fn crl_days(mut self, d: u32) -> Options {
        self.crl_days = d;
        self
    }

    /// Refuses settings outside the supported ranges. The relations between
    /// counts (holders within certs, enough revoked entries) are checked
    /// where the plan divides the bundle up.
    pub(crate) fn check_ranges(&self) -> Result<(), GenError> {
        let within = |option, value: u64, min, max| {
            if (min..=max).contains(&value) {
                Ok(())
            } else {
                Err(GenError::OutOfRange {
                    option,
                    value,
                    min,
                    max,
                })
            }
        };
        within("certs", self.certs, 1, Options::MAX_CERTS)?;
        within("revoked", self.revoked, 0, Options::MAX_REVOKED)?;
        within(
            "crl_days",
            u64::from(self.crl_days),
            1,
            u64::from(Options::MAX_CRL_DAYS),
        )
    }
}
