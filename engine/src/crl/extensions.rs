//! CRL extensions (RFC 5280 §5.2): what the CRL says about itself —
//! cRLNumber, deltaCRLIndicator, authorityKeyIdentifier and the scope its
//! issuingDistributionPoint gives it.

use crate::crl_number::CrlNumber;
use crate::der::{self, tag, DerError, Oid, Reader};
use crate::extension::{self, Extension};
use crate::oid;
use crate::reason::ReasonFlags;

use super::{at, finish, Crl, CrlError};

/// What the CRL covers, from issuingDistributionPoint (RFC 5280 §5.2.5).
/// `Default` is a full-scope CRL (no IDP).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrlScope {
    /// onlyContainsUserCerts
    pub only_user_certs: bool,
    /// onlyContainsCACerts
    pub only_ca_certs: bool,
    /// onlySomeReasons.
    pub only_some_reasons: Option<ReasonFlags>,
    /// indirectCRL
    pub indirect: bool,
    /// onlyContainsAttributeCerts
    pub only_attribute_certs: bool,
    /// distributionPoint present: the CRL is one partition of its
    /// issuer's CRLs.
    pub partitioned: bool,
}

impl CrlScope {
    /// True when a serial missing from the CRL may still be revoked by
    /// another CRL of the same issuer (partitioned or reason-limited).
    /// `onlyContainsUserCerts` is complete for end-entity lookups, which is
    /// what kakunin answers.
    pub fn is_partial(&self) -> bool {
        self.only_ca_certs || self.only_some_reasons.is_some() || self.indirect || self.partitioned
    }
}

impl<'a> Crl<'a> {
    pub(super) fn parse_extensions(&mut self, explicit: &'a [u8]) -> Result<(), CrlError> {
        let mut wrapper = Reader::new(explicit);
        let seq = wrapper.read(tag::SEQUENCE).map_err(at("crlExtensions"))?;
        finish(&wrapper, "crlExtensions")?;
        if seq.value.is_empty() {
            return Err(CrlError::Malformed {
                field: "crlExtensions (SIZE (1..MAX))",
                problem: DerError::Truncated,
            });
        }
        let mut seen: Vec<&[u8]> = Vec::new();
        let mut r = Reader::new(seq.value);
        while !r.is_empty() {
            let Extension {
                oid,
                critical,
                value,
            } = read_extension(&mut r, "crlExtensions", true)?;
            if seen.contains(&oid) {
                return Err(CrlError::DuplicateExtension {
                    oid: Oid(oid).to_string(),
                });
            }
            seen.push(oid);
            match oid {
                oid::AKI => {
                    self.authority_key_id =
                        extension::authority_key_id(value).map_err(|e| CrlError::BadExtension {
                            name: "authorityKeyIdentifier",
                            section: "§5.2.1",
                            why: e.to_string(),
                        })?
                }
                oid::CRL_NUMBER => {
                    self.number = Some(parse_crl_number(value, "cRLNumber", "§5.2.3")?)
                }
                oid::DELTA_CRL_INDICATOR => {
                    self.delta_base = Some(parse_crl_number(value, "deltaCRLIndicator", "§5.2.4")?)
                }
                oid::ISSUING_DP => {
                    let (scope, dp) = parse_idp(value)?;
                    self.scope = scope;
                    self.idp_distribution_point = dp;
                }
                oid::IAN | oid::FRESHEST_CRL | oid::AIA => {
                    // Known and not needed for revocation checking; only the
                    // outer syntax is checked (§5.2.2, §5.2.6, §5.2.7).
                    let (name, section) = match oid {
                        oid::IAN => ("issuerAltName", "§5.2.2"),
                        oid::FRESHEST_CRL => ("freshestCRL", "§5.2.6"),
                        _ => ("authorityInfoAccess", "§5.2.7"),
                    };
                    let mut v = Reader::new(value);
                    v.read(tag::SEQUENCE)
                        .and_then(|_| v.finish())
                        .map_err(|e| CrlError::BadExtension {
                            name,
                            section,
                            why: e.to_string(),
                        })?;
                }
                _ if critical => {
                    return Err(CrlError::UnknownCriticalExtension {
                        oid: Oid(oid).to_string(),
                    })
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Reads one Extension of the CRL or of an entry (`field` names which, for
/// the error), mapping DER problems to [`CrlError`]s.
#[inline]
pub(super) fn read_extension<'a>(
    r: &mut Reader<'a>,
    field: &'static str,
    validate_oid: bool,
) -> Result<Extension<'a>, CrlError> {
    extension::read(r, validate_oid).map_err(|e| match e {
        DerError::TrailingData(len) => CrlError::ExtraData { within: field, len },
        e => at(field)(e),
    })
}

fn parse_crl_number(
    value: &[u8],
    name: &'static str,
    section: &'static str,
) -> Result<CrlNumber, CrlError> {
    let bad = |why: String| CrlError::BadExtension { name, section, why };
    let mut r = Reader::new(value);
    let i = r.read(tag::INTEGER).map_err(|e| bad(e.to_string()))?;
    r.finish().map_err(|e| bad(e.to_string()))?;
    let c = der::integer_content(i.value).map_err(|e| bad(e.to_string()))?;
    CrlNumber::from_der_content(c).map_err(|_| CrlError::CrlNumberOutOfRange { name, section })
}

pub(super) fn parse_idp(value: &[u8]) -> Result<(CrlScope, Option<&[u8]>), CrlError> {
    let bad = |e: DerError| CrlError::BadExtension {
        name: "issuingDistributionPoint",
        section: "§5.2.5",
        why: e.to_string(),
    };
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE).map_err(bad)?;
    r.finish().map_err(bad)?;
    if seq.value.is_empty() {
        return Err(CrlError::InvalidIssuingDistributionPoint(
            "the extension is an empty SEQUENCE",
        ));
    }
    let mut s = Reader::new(seq.value);
    // distributionPoint [0] DistributionPointName: a CHOICE, so the tag is
    // explicit and the content is exactly one [0] fullName or [1]
    // nameRelativeToCRLIssuer (§4.2.1.13).
    let dp = match s.read_optional(tag::context_constructed(0)).map_err(bad)? {
        Some(t) => {
            let mut d = Reader::new(t.value);
            let name = d.read_any().map_err(bad)?;
            d.finish().map_err(bad)?;
            if name.tag != tag::context_constructed(0) && name.tag != tag::context_constructed(1) {
                return Err(CrlError::InvalidIssuingDistributionPoint(
                    "distributionPoint is neither fullName [0] nor nameRelativeToCRLIssuer [1]",
                ));
            }
            Some(t.value)
        }
        None => None,
    };
    let mut scope = CrlScope {
        partitioned: dp.is_some(),
        ..CrlScope::default()
    };
    // DER: a DEFAULT FALSE boolean is omitted, never encoded as FALSE.
    let flag = |s: &mut Reader<'_>, n: u8| -> Result<bool, CrlError> {
        match s.read_optional(tag::context_primitive(n)).map_err(bad)? {
            None => Ok(false),
            Some(t) => match der::boolean(t.value).map_err(bad)? {
                true => Ok(true),
                false => Err(CrlError::InvalidIssuingDistributionPoint(
                    "a DEFAULT FALSE flag is encoded explicitly (not DER)",
                )),
            },
        }
    };
    scope.only_user_certs = flag(&mut s, 1)?;
    scope.only_ca_certs = flag(&mut s, 2)?;
    if let Some(t) = s.read_optional(tag::context_primitive(3)).map_err(bad)? {
        let (_, bits) = der::bit_string(t.value).map_err(bad)?;
        if bits.len() > 2 {
            return Err(CrlError::InvalidIssuingDistributionPoint(
                "onlySomeReasons has more than 9 bits",
            ));
        }
        scope.only_some_reasons = Some(ReasonFlags::from_der_bits(bits));
    }
    scope.indirect = flag(&mut s, 4)?;
    scope.only_attribute_certs = flag(&mut s, 5)?;
    s.finish().map_err(bad)?;
    let only = [
        scope.only_user_certs,
        scope.only_ca_certs,
        scope.only_attribute_certs,
    ];
    if only.iter().filter(|&&b| b).count() > 1 {
        return Err(CrlError::InvalidIssuingDistributionPoint(
            "at most one of onlyContainsUserCerts, onlyContainsCACerts and onlyContainsAttributeCerts may be TRUE",
        ));
    }
    Ok((scope, dp))
}
