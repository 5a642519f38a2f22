//! Distribution point names (RFC 5280 §4.2.1.13, §5.2.5) and the scope test
//! of §6.3.3 (b)(2)(i): a CRL whose issuingDistributionPoint names a
//! distribution point covers a certificate only if one of those names is
//! also a name of one of the certificate's cRLDistributionPoints.
//!
//! Names are compared as GeneralNames: a directoryName by the §7.1 Name
//! comparison, anything else (URI, DNS name, …) by its exact DER. A name
//! that does not compare equal simply does not match, so every doubt ends
//! in "this CRL does not cover the certificate", which the verifier turns
//! into `Unknown` — never into `Valid`.

use crate::der::{tag, DerError, Reader};
use crate::name::names_match;
use crate::reason::ReasonFlags;

/// `[4]` directoryName (explicit: Name is a CHOICE).
const DIRECTORY_NAME: u8 = tag::context_constructed(4);
/// DistributionPointName `[0]` fullName.
const FULL_NAME: u8 = tag::context_constructed(0);
/// DistributionPointName `[1]` nameRelativeToCRLIssuer.
const RELATIVE_NAME: u8 = tag::context_constructed(1);

/// One GeneralName of a distribution point, ready to compare.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum DpName {
    /// A directoryName: the DER of its Name.
    Dir(Vec<u8>),
    /// Any other GeneralName: its whole TLV.
    Other(Vec<u8>),
}

impl DpName {
    fn matches(&self, other: &DpName) -> bool {
        match (self, other) {
            (DpName::Dir(a), DpName::Dir(b)) => names_match(a, b),
            (DpName::Other(a), DpName::Other(b)) => a == b,
            _ => false,
        }
    }
}

/// One DistributionPoint of a certificate's cRLDistributionPoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct CertDp {
    /// The names of its distributionPoint (empty when absent).
    pub names: Vec<DpName>,
    /// reasons; `None` = all.
    pub reasons: Option<ReasonFlags>,
    /// cRLIssuer: the DN of its first directoryName (empty when it has
    /// none, which matches no CRL issuer). Present: the DP is served by an
    /// indirect CRL of that issuer (§4.2.1.13).
    pub crl_issuer: Option<Vec<u8>>,
}

impl CertDp {
    /// Whether CRLs of `via` (`None`: the certificate's issuer) serve this
    /// distribution point (§6.3.3 (b)(1)).
    fn served_by(&self, via: Option<&[u8]>) -> bool {
        match (&self.crl_issuer, via) {
            (None, None) => true,
            (Some(d), Some(v)) => !d.is_empty() && names_match(d, v),
            _ => false,
        }
    }
}

/// Whether two distribution point names are the same name (§5.2.4 (b):
/// a delta CRL and its base must have the same issuingDistributionPoint):
/// the same names, in the same order, each pair equal.
pub(crate) fn same_names(a: &[DpName], b: &[DpName]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.matches(y))
}

/// GeneralNames content (a run of GeneralName TLVs) into names.
fn general_names(content: &[u8]) -> Result<Vec<DpName>, DerError> {
    let mut r = Reader::new(content);
    let mut out = Vec::new();
    while !r.is_empty() {
        let gn = r.read_any()?;
        if gn.tag == DIRECTORY_NAME {
            let mut n = Reader::new(gn.value);
            let name = n.read(tag::SEQUENCE)?;
            n.finish()?;
            out.push(DpName::Dir(name.raw.to_vec()));
        } else {
            out.push(DpName::Other(gn.raw.to_vec()));
        }
    }
    Ok(out)
}

/// DER length octets.
fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// `base` (a Name's DER) with one more RDN (the content of a SET OF
/// AttributeTypeAndValue) appended: how nameRelativeToCRLIssuer becomes a
/// full name (§4.2.1.13, §5.2.5).
fn append_rdn(base: &[u8], rdn_content: &[u8]) -> Result<Vec<u8>, DerError> {
    let mut r = Reader::new(base);
    let name = r.read(tag::SEQUENCE)?;
    r.finish()?;
    let mut rdn = vec![tag::SET];
    push_len(&mut rdn, rdn_content.len());
    rdn.extend_from_slice(rdn_content);
    let mut out = vec![tag::SEQUENCE];
    push_len(&mut out, name.value.len() + rdn.len());
    out.extend_from_slice(name.value);
    out.extend_from_slice(&rdn);
    Ok(out)
}

/// A DistributionPointName TLV into names; a relative name is completed
/// with `issuer` (the DN of the CRL issuer).
fn dp_name(tlv: &[u8], issuer: &[u8]) -> Result<Vec<DpName>, DerError> {
    let mut r = Reader::new(tlv);
    let t = r.read_any()?;
    r.finish()?;
    match t.tag {
        FULL_NAME => general_names(t.value),
        RELATIVE_NAME => Ok(vec![DpName::Dir(append_rdn(issuer, t.value)?)]),
        found => Err(DerError::UnexpectedTag {
            expected: FULL_NAME,
            found,
        }),
    }
}

/// The names a CRL's issuingDistributionPoint distributionPoint stands
/// for (`dpn` as from [`crate::crl::Crl::idp_distribution_point`]): a
/// nameRelativeToCRLIssuer is relative to the CRL's own issuer (§5.2.5).
pub(crate) fn idp_names(dpn: &[u8], crl_issuer: &[u8]) -> Result<Vec<DpName>, DerError> {
    dp_name(dpn, crl_issuer)
}

/// A certificate's cRLDistributionPoints (the extnValue content) into its
/// distribution points. A nameRelativeToCRLIssuer is relative to the
/// cRLIssuer when there is one, else to the certificate's issuer
/// (§4.2.1.13).
pub(crate) fn cert_dps(ext: &[u8], cert_issuer: &[u8]) -> Result<Vec<CertDp>, DerError> {
    let mut outer = Reader::new(ext);
    let seq = outer.read(tag::SEQUENCE)?;
    outer.finish()?;
    let mut r = Reader::new(seq.value);
    let mut out = Vec::new();
    while !r.is_empty() {
        let dp = r.read(tag::SEQUENCE)?;
        let mut d = Reader::new(dp.value);
        let mut cdp = CertDp::default();
        let name = d.read_optional(tag::context_constructed(0))?;
        if let Some(t) = d.read_optional(tag::context_primitive(1))? {
            let (_, bits) = crate::der::bit_string(t.value)?;
            cdp.reasons = Some(ReasonFlags::from_der_bits(bits));
        }
        if let Some(ci) = d.read_optional(tag::context_constructed(2))? {
            let dn = crate::name::first_directory_name(ci.value).unwrap_or(&[]);
            cdp.crl_issuer = Some(dn.to_vec());
        }
        d.finish()?;
        if let Some(n) = name {
            let base = match &cdp.crl_issuer {
                Some(dn) => dn.as_slice(),
                None => cert_issuer,
            };
            cdp.names = if base.is_empty() {
                // Relative to a cRLIssuer without a directoryName: no name
                // we can build, so it matches nothing.
                Vec::new()
            } else {
                dp_name(n.value, base)?
            };
        }
        out.push(cdp);
    }
    Ok(out)
}

/// §6.3.3 (b) and (d): the reasons a CRL issued by `via` (`None`: the
/// certificate's issuer) covers for a certificate with distribution points
/// `dps` — the union, over the DPs that CRL issuer serves ((b)(1): the
/// cRLIssuer, or its absence, must fit) and whose names meet the IDP's
/// names `idp` ((b)(2)(i); `None`: the CRL has no IDP name and any DP of
/// that issuer will do), of the DP's reasons (all when absent). `None`
/// when no DP fits: the CRL does not cover the certificate.
pub(crate) fn covered_reasons(
    idp: Option<&[DpName]>,
    dps: &[CertDp],
    via: Option<&[u8]>,
) -> Option<ReasonFlags> {
    let mut covered = None;
    for dp in dps.iter().filter(|dp| dp.served_by(via)) {
        let names_fit = match idp {
            Some(idp) => dp.names.iter().any(|n| idp.iter().any(|m| n.matches(m))),
            None => true,
        };
        if names_fit {
            let r = dp.reasons.unwrap_or(ReasonFlags::ALL);
            covered = Some(covered.unwrap_or(ReasonFlags::NONE) | r);
        }
    }
    covered
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_testkit::der::tlv;

    /// C=US, CN=<cn> (PrintableString values).
    fn name(cn: &str) -> Vec<u8> {
        let mut atv = vec![0x30, 0, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, cn.len() as u8];
        atv.extend_from_slice(cn.as_bytes());
        atv[1] = (atv.len() - 2) as u8;
        let c = [
            0x31, 0x0B, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, b'U', b'S',
        ];
        let mut rdn = vec![0x31, atv.len() as u8];
        rdn.extend_from_slice(&atv);
        let mut body = c.to_vec();
        body.extend_from_slice(&rdn);
        let mut out = vec![0x30, body.len() as u8];
        out.extend_from_slice(&body);
        out
    }

    fn full_dir(n: &[u8]) -> Vec<u8> {
        tlv(FULL_NAME, &tlv(DIRECTORY_NAME, n))
    }

    #[test]
    fn full_names_match_by_rfc5280_comparison() {
        let idp = idp_names(&full_dir(&name("CRL1")), &name("CA")).unwrap();
        // Same name, different case: §7.1 says equal.
        let cert = tlv(0x30, &tlv(0x30, &tlv(0xA0, &full_dir(&name("crl1")))));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, None),
            Some(ReasonFlags::ALL)
        );
        let other = tlv(0x30, &tlv(0x30, &tlv(0xA0, &full_dir(&name("CRL2")))));
        let dps = cert_dps(&other, &name("CA")).unwrap();
        assert_eq!(covered_reasons(Some(&idp), &dps, None), None);
    }

    #[test]
    fn relative_name_is_completed_with_the_issuer() {
        // RDN CN=CRL1 relative to C=US,CN=CA is C=US,CN=CA,CN=CRL1.
        let rdn_content = {
            let mut atv = vec![0x30, 0x0B, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x04];
            atv.extend_from_slice(b"CRL1");
            atv
        };
        let rel = tlv(RELATIVE_NAME, &rdn_content);
        let idp = idp_names(&rel, &name("CA")).unwrap();
        let DpName::Dir(full) = &idp[0] else {
            panic!("directory name expected")
        };
        let mut expect = name("CA");
        let rdn = tlv(tag::SET, &rdn_content);
        expect[1] += rdn.len() as u8;
        expect.extend_from_slice(&rdn);
        assert_eq!(full, &expect);
        // The certificate's fullName spelling of the same name matches…
        let cert = tlv(0x30, &tlv(0x30, &tlv(0xA0, &full_dir(&expect))));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, None),
            Some(ReasonFlags::ALL)
        );
        // …and so does its relative spelling, completed with its issuer.
        let cert = tlv(0x30, &tlv(0x30, &tlv(0xA0, &rel)));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, None),
            Some(ReasonFlags::ALL)
        );
        // Relative to another issuer it is another name.
        let dps = cert_dps(&cert, &name("CB")).unwrap();
        assert_eq!(covered_reasons(Some(&idp), &dps, None), None);
    }

    #[test]
    fn reasons_and_crl_issuer() {
        let idp = idp_names(&full_dir(&name("CRL1")), &name("CA")).unwrap();
        // reasons keyCompromise (bit 1) + cACompromise (bit 2).
        let reasons = [0x81, 0x02, 0x05, 0x60];
        let mut dp = tlv(0xA0, &full_dir(&name("CRL1")));
        dp.extend_from_slice(&reasons);
        let cert = tlv(0x30, &tlv(0x30, &dp));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, None),
            Some(ReasonFlags::from_bits(0b110))
        );
        // With a cRLIssuer the DP is served by that issuer's indirect CRL,
        // not by the certificate issuer's.
        let mut dp = tlv(0xA0, &full_dir(&name("CRL1")));
        dp.extend_from_slice(&tlv(0xA2, &tlv(DIRECTORY_NAME, &name("Other"))));
        let cert = tlv(0x30, &tlv(0x30, &dp));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(covered_reasons(Some(&idp), &dps, None), None);
        assert_eq!(
            covered_reasons(Some(&idp), &dps, Some(&name("Other"))),
            Some(ReasonFlags::ALL)
        );
        assert_eq!(
            covered_reasons(None, &dps, Some(&name("Other"))),
            Some(ReasonFlags::ALL)
        );
        assert_eq!(covered_reasons(None, &dps, Some(&name("Third"))), None);
        // A relative name under a cRLIssuer is relative to the cRLIssuer.
        let rdn = tlv(0x30, &[0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x01, b'X']);
        let mut dp = tlv(0xA0, &tlv(RELATIVE_NAME, &rdn));
        dp.extend_from_slice(&tlv(0xA2, &tlv(DIRECTORY_NAME, &name("Other"))));
        let cert = tlv(0x30, &tlv(0x30, &dp));
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        let idp = idp_names(&tlv(RELATIVE_NAME, &rdn), &name("Other")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, Some(&name("Other"))),
            Some(ReasonFlags::ALL)
        );
    }

    #[test]
    fn same_names_for_delta_and_base() {
        let a = idp_names(&full_dir(&name("CRL1")), &name("CA")).unwrap();
        let a2 = idp_names(&full_dir(&name("crl1")), &name("CA")).unwrap();
        let b = idp_names(&full_dir(&name("CRL2")), &name("CA")).unwrap();
        assert!(same_names(&a, &a2));
        assert!(!same_names(&a, &b));
        assert!(!same_names(&a, &[]));
    }

    #[test]
    fn uri_names_compare_exactly_and_garbage_is_an_error() {
        let uri = |u: &str| tlv(0x86, u.as_bytes());
        let idp = idp_names(&tlv(FULL_NAME, &uri("http://x/a.crl")), &name("CA")).unwrap();
        let cert = tlv(
            0x30,
            &tlv(0x30, &tlv(0xA0, &tlv(FULL_NAME, &uri("http://x/a.crl")))),
        );
        let dps = cert_dps(&cert, &name("CA")).unwrap();
        assert_eq!(
            covered_reasons(Some(&idp), &dps, None),
            Some(ReasonFlags::ALL)
        );
        // A directoryName never equals a URI.
        let dir = idp_names(&full_dir(&name("CRL1")), &name("CA")).unwrap();
        assert_eq!(covered_reasons(Some(&dir), &dps, None), None);
        assert!(cert_dps(&[0x30, 0x05, 0x30], &name("CA")).is_err());
        assert!(idp_names(&[0xA2, 0x00], &name("CA")).is_err());
    }
}
