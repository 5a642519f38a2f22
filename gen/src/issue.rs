//! Carrying a [`Plan`] out: keys, the two CAs and their OCSP responder
//! certificates, the bundles' certificates and the CRLs, all as DER.
//!
//! The work runs in parallel, but takes every random choice from the plan
//! or from a key's own seeded stream, and collects results in input order,
//! so the thread count never changes a byte.

use rayon::prelude::*;

use super::calendar::DAY;
use super::crl_writer::{self, CrlHeader};
use super::keys::Key;
use super::plan::Plan;
use super::profile::{self, CaKind, Facts, Leaf};
use super::GenError;

/// Pre-generated leaf keys shared by the bulk of certificates (RSA key
/// generation costs ~0.1-1 s each; holders get their own keys).
const KEY_POOL: usize = 4;
/// The CA certificates stay valid this long after `at` (ten years), so a
/// sample made with a `crl_days` of 3650 stays verifiable for as long as
/// its CRLs are current.
const CA_DAYS_AFTER_AT: i64 = 3653;

/// One value for each CA, so that callers name the CA instead of an index.
pub(crate) struct PerCa<T> {
    pub sign: T,
    pub auth: T,
}

impl<T> PerCa<T> {
    /// Makes both values, the signing CA's first.
    pub(crate) fn try_new(
        mut f: impl FnMut(CaKind) -> Result<T, GenError>,
    ) -> Result<PerCa<T>, GenError> {
        Ok(PerCa {
            sign: f(CaKind::Sign)?,
            auth: f(CaKind::Auth)?,
        })
    }

    pub(crate) fn get(&self, kind: CaKind) -> &T {
        match kind {
            CaKind::Sign => &self.sign,
            CaKind::Auth => &self.auth,
        }
    }
}

/// Every key of the PKI. Each is generated from its own labelled stream,
/// so adding holders never changes the CA or pool keys.
pub(crate) struct Keys {
    ca: PerCa<Key>,
    ocsp: Key,
    pool: Vec<Key>,
    /// Two per holder: signing, then authentication.
    holders: Vec<Key>,
}

impl Keys {
    /// Generates all keys in parallel.
    pub(crate) fn generate(seed: u64, holders: u64) -> Result<Keys, GenError> {
        let mut labels: Vec<String> = ["sign-ca", "auth-ca", "ocsp"].map(String::from).to_vec();
        labels.extend((0..KEY_POOL).map(|i| format!("pool-{i}")));
        for h in 1..=holders {
            labels.push(format!("holder-{h}-sign"));
            labels.push(format!("holder-{h}-auth"));
        }
        let mut keys = labels
            .par_iter()
            .map(|l| Key::generate(seed, l))
            .collect::<Result<Vec<Key>, GenError>>()?;
        let holders = keys.split_off(3 + KEY_POOL);
        let pool = keys.split_off(3);
        let mut fixed = keys.into_iter();
        let (Some(sign), Some(auth), Some(ocsp)) = (fixed.next(), fixed.next(), fixed.next())
        else {
            return Err(GenError::Internal("CA and OCSP keys missing".into()));
        };
        Ok(Keys {
            ca: PerCa { sign, auth },
            ocsp,
            pool,
            holders,
        })
    }

    pub(crate) fn ca(&self, kind: CaKind) -> &Key {
        self.ca.get(kind)
    }

    /// The one responder key both CAs delegate OCSP to.
    pub(crate) fn ocsp(&self) -> &Key {
        &self.ocsp
    }

    /// The key of card `i`'s certificate of `kind`: the holder's own for
    /// holders, else one of the pool (the two certificates of a card never
    /// share a key).
    pub(crate) fn leaf(&self, i: usize, kind: CaKind) -> &Key {
        let h = match kind {
            CaKind::Sign => 0,
            CaKind::Auth => 1,
        };
        if i < self.holders.len() / 2 {
            &self.holders[2 * i + h]
        } else {
            &self.pool[(i + h) % KEY_POOL]
        }
    }
}

/// A CA's own certificate and the OCSP responder certificate it issued.
pub(crate) struct Authority {
    pub ca: Vec<u8>,
    pub ocsp: Vec<u8>,
}

/// The CA certificate of `kind` and its delegated OCSP certificate.
pub(crate) fn authority(plan: &Plan, keys: &Keys, kind: CaKind) -> Result<Authority, GenError> {
    // From a month before the first issue in the history.
    let not_before = (plan.first_day - 30) * DAY;
    let not_after = plan.at + CA_DAYS_AFTER_AT * DAY;
    let ca = profile::ca_certificate(kind, keys.ca(kind), 1, not_before, not_after)?;
    // Serial 1 is the CA's own; the OCSP certificates take 2 and 3.
    let ocsp_serial = match kind {
        CaKind::Sign => 2,
        CaKind::Auth => 3,
    };
    let ocsp = profile::ocsp_certificate(
        kind,
        keys.ca(kind),
        keys.ocsp(),
        ocsp_serial,
        plan.at - 30 * DAY,
        not_after,
    )?;
    Ok(Authority { ca, ocsp })
}

/// Every card's certificate of `kind` (DER), in bundle order.
pub(crate) fn bundle(plan: &Plan, keys: &Keys, kind: CaKind) -> Result<Vec<Vec<u8>>, GenError> {
    plan.cards
        .par_iter()
        .enumerate()
        .map(|(i, c)| {
            let leaf = Leaf {
                kind,
                serial: c.serial(kind),
                cn: c.cn(kind),
                not_before: c.not_before,
                not_after: c.not_after,
                facts: Facts {
                    person: &c.person,
                    birth_date: &c.birth_date,
                },
            };
            profile::leaf_certificate(&leaf, keys.leaf(i, kind), keys.ca(kind))
        })
        .collect()
}

/// The CRL of `kind` (DER): thisUpdate `at`, numbered by its day. The
/// two CRLs do not depend on each other, so they can be made in parallel.
pub(crate) fn crl(plan: &Plan, keys: &Keys, kind: CaKind) -> Result<Vec<u8>, GenError> {
    let entries = plan.crl_entries(kind)?;
    let key = keys.ca(kind);
    crl_writer::write_crl(
        &CrlHeader {
            issuer: &profile::ca_name(kind),
            this_update: plan.at,
            next_update: plan.at + i64::from(plan.crl_days) * DAY,
            crl_number: plan.at_day as u64,
            issuer_key_id: key.key_id(),
        },
        &entries,
        key,
    )
}
