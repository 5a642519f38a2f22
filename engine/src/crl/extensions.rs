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
    /// The crlExtensions of a v2 CRL (`None` when it has none), then the
    /// rules on the set as a whole: AKI and cRLNumber present (§5.2.1,
    /// §5.2.3), a delta's numbers in order and no freshestCRL in it
    /// (§5.2.4, §5.2.6). `whole`: false when probing a truncated
    /// tbsCertList, where only the extensions read are checked.
    pub(super) fn parse_extensions(
        &mut self,
        explicit: Option<&'a [u8]>,
        whole: bool,
    ) -> Result<(), CrlError> {
        let mut has_aki = false;
        let mut has_freshest = false;
        if let Some(explicit) = explicit {
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
                let ext = read_extension(&mut r, "crlExtensions", true)?;
                if seen.contains(&ext.oid) {
                    return Err(CrlError::DuplicateExtension {
                        oid: Oid(ext.oid).to_string(),
                    });
                }
                seen.push(ext.oid);
                has_aki |= ext.oid == oid::AKI;
                has_freshest |= ext.oid == oid::FRESHEST_CRL;
                self.parse_extension(ext)?;
            }
        }
        if !whole {
            return Ok(());
        }
        // §5.2.1: "Conforming CRL issuers MUST use the key identifier
        // method, and MUST include this extension in all CRLs issued."
        // JPKI has several CA generations under one DN: without a key id
        // a CRL could be matched by name alone.
        if !has_aki {
            return Err(CrlError::MissingAuthorityKeyId);
        }
        // §5.2.3: "CRL issuers conforming to this profile MUST include
        // this extension in all CRLs": without it the store cannot refuse
        // a rollback, and a delta cannot be ordered against its base.
        let Some(number) = self.number else {
            return Err(CrlError::MissingCrlNumber {
                kind: if self.delta_base.is_some() {
                    "delta CRL"
                } else {
                    "CRL"
                },
            });
        };
        if let Some(base) = self.delta_base {
            // §5.2.4 (c)/(d): a delta updates a complete CRL numbered at
            // least BaseCRLNumber and below the delta's own number; both
            // come from one sequence (§5.2.3), so base < number.
            if base >= number {
                return Err(CrlError::DeltaBaseNotBelowNumber { base, number });
            }
            // §5.2.6: "This extension MUST NOT appear in delta CRLs."
            if has_freshest {
                return Err(CrlError::FreshestCrlInDelta);
            }
        }
        Ok(())
    }

    /// One CRL extension, known or not.
    fn parse_extension(&mut self, ext: Extension<'a>) -> Result<(), CrlError> {
        let Extension {
            oid,
            critical,
            value,
        } = ext;
        let must_not_be_critical = |name, section| {
            if critical {
                Err(CrlError::ExtensionMustNotBeCritical { name, section })
            } else {
                Ok(())
            }
        };
        match oid {
            oid::AKI => {
                // §5.2.1 → §4.2.1.1: "Conforming CAs MUST mark this
                // extension as non-critical."
                must_not_be_critical("authorityKeyIdentifier", "§5.2.1, §4.2.1.1")?;
                let kid =
                    extension::authority_key_id(value).map_err(|e| CrlError::BadExtension {
                        name: "authorityKeyIdentifier",
                        section: "§5.2.1",
                        why: e.to_string(),
                    })?;
                self.authority_key_id = Some(kid.ok_or(CrlError::AuthorityKeyIdWithoutKeyId)?);
            }
            oid::CRL_NUMBER => {
                // §5.2.3: "… and MUST mark this extension as non-critical."
                must_not_be_critical("cRLNumber", "§5.2.3")?;
                self.number = Some(parse_crl_number(value, "cRLNumber", "§5.2.3")?)
            }
            oid::DELTA_CRL_INDICATOR => {
                // §5.2.4: "the delta CRL MUST include a critical delta CRL
                // indicator extension": an RP that ignored a non-critical
                // one would take the delta for a complete CRL.
                if !critical {
                    return Err(CrlError::ExtensionMustBeCritical {
                        name: "deltaCRLIndicator",
                        section: "§5.2.4",
                    });
                }
                self.delta_base = Some(parse_crl_number(value, "deltaCRLIndicator", "§5.2.4")?)
            }
            oid::ISSUING_DP => {
                let (scope, dp) = parse_idp(value)?;
                self.scope = scope;
                self.idp_distribution_point = dp;
            }
            oid::IAN => {
                // Known and not needed for revocation checking; only the
                // outer syntax is checked (§5.2.2; its criticality is a
                // SHOULD).
                let mut v = Reader::new(value);
                v.read(tag::SEQUENCE)
                    .and_then(|_| v.finish())
                    .map_err(|e| CrlError::BadExtension {
                        name: "issuerAltName",
                        section: "§5.2.2",
                        why: e.to_string(),
                    })?;
            }
            oid::FRESHEST_CRL => {
                // §5.2.6: "MUST mark this extension as non-critical".
                must_not_be_critical("freshestCRL", "§5.2.6")?;
                check_freshest_crl(value)?;
            }
            oid::AIA => {
                // §5.2.7: "This CRL extension MUST be marked as
                // non-critical."
                must_not_be_critical("authorityInfoAccess", "§5.2.7")?;
                check_authority_info_access(value)?;
            }
            _ if critical => {
                return Err(CrlError::UnknownCriticalExtension {
                    oid: Oid(oid).to_string(),
                })
            }
            _ => {}
        }
        Ok(())
    }
}

/// freshestCRL (§5.2.6): the CRLDistributionPoints syntax of §4.2.1.13,
/// with "the reasons and cRLIssuer fields MUST be omitted", so every
/// DistributionPoint is a lone distributionPoint.
fn check_freshest_crl(value: &[u8]) -> Result<(), CrlError> {
    let bad = |why: String| CrlError::BadExtension {
        name: "freshestCRL",
        section: "§5.2.6, §4.2.1.13",
        why,
    };
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE).map_err(|e| bad(e.to_string()))?;
    r.finish().map_err(|e| bad(e.to_string()))?;
    if seq.value.is_empty() {
        return Err(bad("empty CRLDistributionPoints (SIZE (1..MAX))".into()));
    }
    let mut dps = Reader::new(seq.value);
    while !dps.is_empty() {
        let dp = dps.read(tag::SEQUENCE).map_err(|e| bad(e.to_string()))?;
        let mut d = Reader::new(dp.value);
        let name = d
            .read_optional(tag::context_constructed(0))
            .map_err(|e| bad(e.to_string()))?;
        match d.peek_tag() {
            Some(t) if t == tag::context_primitive(1) || t == tag::context_constructed(1) => {
                return Err(CrlError::FreshestCrlField { field: "reasons" })
            }
            Some(t) if t == tag::context_constructed(2) || t == tag::context_primitive(2) => {
                return Err(CrlError::FreshestCrlField { field: "cRLIssuer" })
            }
            _ => {}
        }
        d.finish().map_err(|e| bad(e.to_string()))?;
        // §4.2.1.13: "either distributionPoint or cRLIssuer MUST be
        // present", and cRLIssuer is not allowed here.
        if name.is_none() {
            return Err(bad("a DistributionPoint without distributionPoint".into()));
        }
    }
    Ok(())
}

/// authorityInfoAccess in a CRL (§5.2.7): AccessDescriptions whose
/// accessMethod is id-ad-caIssuers, at least one; "Access method types
/// other than id-ad-caIssuers MUST NOT be included."
fn check_authority_info_access(value: &[u8]) -> Result<(), CrlError> {
    const CA_ISSUERS: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let bad = |e: DerError| CrlError::BadExtension {
        name: "authorityInfoAccess",
        section: "§5.2.7, §4.2.2.1",
        why: e.to_string(),
    };
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE).map_err(bad)?;
    r.finish().map_err(bad)?;
    if seq.value.is_empty() {
        return Err(CrlError::BadExtension {
            name: "authorityInfoAccess",
            section: "§5.2.7, §4.2.2.1",
            why: "no AccessDescription (SIZE (1..MAX)); §5.2.7 requires one for id-ad-caIssuers"
                .into(),
        });
    }
    let mut ads = Reader::new(seq.value);
    while !ads.is_empty() {
        let ad = ads.read(tag::SEQUENCE).map_err(bad)?;
        let mut a = Reader::new(ad.value);
        let method = a.read(tag::OID).map_err(bad)?;
        a.read_any().map_err(bad)?; // accessLocation GeneralName
        a.finish().map_err(bad)?;
        if method.value != CA_ISSUERS {
            return Err(CrlError::AiaAccessMethod {
                oid: Oid(method.value).to_string(),
            });
        }
    }
    Ok(())
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
