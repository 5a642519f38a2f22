//! A zero-copy X.509 certificate reader for the hot path (RFC 5280 §4.1).
//!
//! Parses exactly what path validation needs — tbsCertificate bytes,
//! algorithms, signature, serial, issuer/subject DER, validity, SPKI and a
//! summary of the extensions — over borrowed bytes with [`crate::der`]. No
//! allocation on success; about a microsecond's worth of work for a JPKI leaf.

use crate::der::{self, tag, Oid, Reader};
use crate::extension::{self, Extension};
use crate::oid;
use crate::serial::Serial;
use crate::sigalg::{self, SignatureAlgorithm};
use crate::time::{parse_time, Timestamp};

/// keyUsage bits (RFC 5280 §4.2.1.3), as `1 << n` for named bit n.
pub(crate) mod ku {
    pub(crate) const KEY_CERT_SIGN: u16 = 1 << 5;
}

/// Why a certificate could not be read. Path validation reports these as
/// its `malformed` and `unsupported_algorithm` checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum CertError {
    /// Not a DER certificate of RFC 5280 §4.1's syntax (the message says
    /// which field).
    Malformed(String),
    /// A signature algorithm we do not verify (§4.1.1.2).
    UnsupportedAlgorithm(String),
}

impl CertError {
    /// The message, without the kind.
    pub(crate) fn detail(&self) -> &str {
        match self {
            CertError::Malformed(d) | CertError::UnsupportedAlgorithm(d) => d,
        }
    }
}

fn malformed(field: &'static str) -> impl Fn(der::DerError) -> CertError {
    move |e| CertError::Malformed(format!("{field}: {e}"))
}

/// What the extensions say, as far as path validation cares.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Extensions<'a> {
    /// basicConstraints: (cA, pathLenConstraint). `None` when absent.
    pub basic: Option<(bool, Option<u64>)>,
    /// keyUsage bits, `None` when absent.
    pub key_usage: Option<u16>,
    /// authorityKeyIdentifier keyIdentifier.
    pub aki: Option<&'a [u8]>,
    /// subjectKeyIdentifier.
    pub ski: Option<&'a [u8]>,
    /// First critical extension we do not process (its OID content).
    pub unknown_critical: Option<&'a [u8]>,
    /// nameConstraints is present (we do not process it: fail closed).
    pub name_constraints: bool,
    /// extKeyUsage lists id-kp-OCSPSigning (a responder, not a holder).
    pub ocsp_signing: bool,
    /// cRLDistributionPoints extnValue, parsed only when a partitioned
    /// CRL has to be matched against it (§6.3.3 (b)(2)(i)).
    pub crl_dp: Option<&'a [u8]>,
}

/// A certificate borrowed from its DER.
#[derive(Clone, Debug)]
pub(crate) struct Cert<'a> {
    /// A version 3 certificate (version 1 and 2 have no extensions, so
    /// not even basicConstraints can say what they are: RFC 5280 §5.2.5).
    pub v3: bool,
    pub tbs: &'a [u8],
    pub sig_alg: SignatureAlgorithm,
    pub signature: &'a [u8],
    pub serial: Serial,
    pub issuer: &'a [u8],
    pub subject: &'a [u8],
    /// subjectPublicKeyInfo, the whole TLV.
    pub spki: &'a [u8],
    pub not_before: Timestamp,
    pub not_after: Timestamp,
    pub ext: Extensions<'a>,
}

impl<'a> Cert<'a> {
    /// Parses one DER certificate; trailing bytes are an error.
    pub(crate) fn parse(input: &'a [u8]) -> Result<Cert<'a>, CertError> {
        let mut top = Reader::new(input);
        let cert = top.read(tag::SEQUENCE).map_err(malformed("Certificate"))?;
        top.finish().map_err(malformed("after Certificate"))?;
        let mut c = Reader::new(cert.value);
        let tbs = c.read(tag::SEQUENCE).map_err(malformed("tbsCertificate"))?;
        let outer_alg = c
            .read(tag::SEQUENCE)
            .map_err(malformed("signatureAlgorithm"))?;
        let sig = c
            .read(tag::BIT_STRING)
            .map_err(malformed("signatureValue"))?;
        c.finish().map_err(malformed("Certificate"))?;
        let (unused, signature) =
            der::bit_string(sig.value).map_err(malformed("signatureValue"))?;
        if unused != 0 {
            return Err(CertError::Malformed(
                "signatureValue has unused bits".to_string(),
            ));
        }

        let mut t = Reader::new(tbs.value);
        // version [0] EXPLICIT Version DEFAULT v1 (§4.1.2.1)
        let version = match t
            .read_optional(tag::context_constructed(0))
            .map_err(malformed("version"))?
        {
            Some(v) => {
                let mut r = Reader::new(v.value);
                let i = r.read(tag::INTEGER).map_err(malformed("version"))?;
                r.finish().map_err(malformed("version"))?;
                match der::small_unsigned(i.value).map_err(malformed("version"))? {
                    Some(n @ 0..=2) => n,
                    _ => return Err(CertError::Malformed("version is not v1, v2 or v3".into())),
                }
            }
            None => 0,
        };
        let serial_tlv = t.read(tag::INTEGER).map_err(malformed("serialNumber"))?;
        let serial_content =
            der::integer_content(serial_tlv.value).map_err(malformed("serialNumber"))?;
        let serial = Serial::from_der_content(serial_content)
            .map_err(|e| CertError::Malformed(format!("serialNumber: {e}")))?;
        let inner_alg = t.read(tag::SEQUENCE).map_err(malformed("signature"))?;
        // §4.1.1.2: signatureAlgorithm MUST equal tbsCertificate.signature.
        if inner_alg.raw != outer_alg.raw {
            return Err(CertError::Malformed(
                "signatureAlgorithm differs from tbsCertificate.signature (RFC 5280 §4.1.1.2)"
                    .into(),
            ));
        }
        let sig_alg = sigalg::parse(outer_alg.value)
            .map_err(|e| CertError::UnsupportedAlgorithm(e.to_string()))?;
        let issuer = t.read(tag::SEQUENCE).map_err(malformed("issuer"))?.raw;
        let validity = t.read(tag::SEQUENCE).map_err(malformed("validity"))?;
        let mut v = Reader::new(validity.value);
        let nb = v.read_any().map_err(malformed("notBefore"))?;
        let na = v.read_any().map_err(malformed("notAfter"))?;
        v.finish().map_err(malformed("validity"))?;
        let not_before = parse_time(nb.tag, nb.value)
            .map_err(|e| CertError::Malformed(format!("notBefore: {e}")))?;
        let not_after = parse_time(na.tag, na.value)
            .map_err(|e| CertError::Malformed(format!("notAfter: {e}")))?;
        let subject = t.read(tag::SEQUENCE).map_err(malformed("subject"))?.raw;
        let spki = t
            .read(tag::SEQUENCE)
            .map_err(malformed("subjectPublicKeyInfo"))?
            .raw;
        // issuerUniqueID [1], subjectUniqueID [2] (§4.1.2.8): skipped.
        t.read_optional(tag::context_primitive(1))
            .map_err(malformed("issuerUniqueID"))?;
        t.read_optional(tag::context_primitive(2))
            .map_err(malformed("subjectUniqueID"))?;
        let ext = match t
            .read_optional(tag::context_constructed(3))
            .map_err(malformed("extensions"))?
        {
            Some(e) => {
                if version != 2 {
                    return Err(CertError::Malformed(
                        "extensions in a certificate that is not v3 (RFC 5280 §4.1.2.9)".into(),
                    ));
                }
                parse_extensions(e.value)?
            }
            None => Extensions::default(),
        };
        t.finish().map_err(malformed("tbsCertificate"))?;
        Ok(Cert {
            v3: version == 2,
            tbs: tbs.raw,
            sig_alg,
            signature,
            serial,
            issuer,
            subject,
            spki,
            not_before,
            not_after,
            ext,
        })
    }

    /// True when basicConstraints says cA (RFC 5280 §4.2.1.9).
    pub(crate) fn is_ca(&self) -> bool {
        matches!(self.ext.basic, Some((true, _)))
    }
}

fn parse_extensions(value: &[u8]) -> Result<Extensions<'_>, CertError> {
    let mut outer = Reader::new(value);
    let seq = outer.read(tag::SEQUENCE).map_err(malformed("extensions"))?;
    outer.finish().map_err(malformed("extensions"))?;
    if seq.value.is_empty() {
        return Err(CertError::Malformed("empty extensions SEQUENCE".into()));
    }
    let mut out = Extensions::default();
    // §4.2: each extension at most once. Certificates carry ~10, so a
    // small fixed list beats hashing.
    let mut seen: [&[u8]; 24] = [&[]; 24];
    let mut n_seen = 0usize;
    let mut r = Reader::new(seq.value);
    while !r.is_empty() {
        let Extension {
            oid,
            critical,
            value: val,
        } = extension::read(&mut r, true).map_err(malformed("Extension"))?;
        // A critical extension kakunin reads but does not act on as a
        // critical one must be: §4.2 "MUST reject" it, as an unknown one.
        let mut unsupported_if_critical = || {
            if critical && out.unknown_critical.is_none() {
                out.unknown_critical = Some(oid);
            }
        };
        if seen[..n_seen].contains(&oid) {
            return Err(CertError::Malformed(format!(
                "extension {} appears twice (RFC 5280 §4.2)",
                Oid(oid)
            )));
        }
        if n_seen < seen.len() {
            seen[n_seen] = oid;
            n_seen += 1;
        }
        match oid {
            oid::BASIC_CONSTRAINTS => out.basic = Some(parse_basic_constraints(val)?),
            oid::KEY_USAGE => out.key_usage = Some(parse_key_usage(val)?),
            oid::AKI => {
                // §4.2.1.1: "Conforming CAs MUST mark this extension as
                // non-critical." OpenSSL refuses a critical one as an
                // unhandled critical extension (error 34), and so do we:
                // PKITS has none.
                unsupported_if_critical();
                out.aki =
                    extension::authority_key_id(val).map_err(malformed("authorityKeyIdentifier"))?
            }
            oid::SKI => {
                // §4.2.1.2: non-critical, as for the AKI above.
                unsupported_if_critical();
                let mut s = Reader::new(val);
                let o = s
                    .read(tag::OCTET_STRING)
                    .map_err(malformed("subjectKeyIdentifier"))?;
                s.finish().map_err(malformed("subjectKeyIdentifier"))?;
                out.ski = Some(o.value);
            }
            oid::NAME_CONSTRAINTS => out.name_constraints = true,
            oid::EXT_KEY_USAGE => out.ocsp_signing = eku_has_ocsp_signing(val),
            oid::CRL_DP => out.crl_dp = Some(val),
            // The §6.1 policy tree is not implemented (§6.1.3 (d)–(f),
            // §6.1.4 (a)/(b)/(h)–(j), §6.1.5): a critical policyMappings,
            // policyConstraints or inhibitAnyPolicy would be taken as
            // processed while it is not, so fail closed on it.
            oid::POLICY_MAPPINGS | oid::POLICY_CONSTRAINTS | oid::INHIBIT_ANY_POLICY => {
                unsupported_if_critical()
            }
            // certificatePolicies, even critical, is accepted: with those
            // three refused when critical (as conforming CAs mark
            // policyConstraints and inhibitAnyPolicy, §4.2.1.11,
            // §4.2.1.14) and no initial-explicit-policy, nothing can bring
            // explicit_policy to 0, so §6.1 processing of it could not
            // fail a path (§6.1.3 (f), §6.1.5 (g)). JPKI leaves carry it;
            // refusing it when critical would risk refusing real cards.
            oid::SAN | oid::IAN | oid::POLICIES | oid::FRESHEST_CRL | oid::AIA => {}
            _ => unsupported_if_critical(),
        }
    }
    Ok(out)
}

/// BasicConstraints ::= SEQUENCE { cA BOOLEAN DEFAULT FALSE,
/// pathLenConstraint INTEGER (0..MAX) OPTIONAL } (§4.2.1.9).
fn parse_basic_constraints(v: &[u8]) -> Result<(bool, Option<u64>), CertError> {
    let f = malformed("basicConstraints");
    let mut r = Reader::new(v);
    let seq = r.read(tag::SEQUENCE).map_err(&f)?;
    r.finish().map_err(&f)?;
    let mut s = Reader::new(seq.value);
    let ca = match s.read_optional(tag::BOOLEAN).map_err(&f)? {
        Some(b) => der::boolean(b.value).map_err(&f)?,
        None => false,
    };
    let path_len = match s.read_optional(tag::INTEGER).map_err(&f)? {
        Some(i) => match der::small_unsigned(i.value).map_err(&f)? {
            Some(n) => Some(n),
            None => {
                return Err(CertError::Malformed(
                    "basicConstraints pathLenConstraint is negative or too large".into(),
                ))
            }
        },
        None => None,
    };
    s.finish().map_err(&f)?;
    Ok((ca, path_len))
}

/// KeyUsage ::= BIT STRING (§4.2.1.3), returned as `1 << n` per bit n.
/// Whether an ExtKeyUsageSyntax lists id-kp-OCSPSigning (1.3.6.1.5.5.7.3.9).
/// Path validation does not use EKU; a malformed one simply says no.
fn eku_has_ocsp_signing(v: &[u8]) -> bool {
    const OCSP_SIGNING: &[u8] = &[0x2B, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x09];
    let Ok(seq) = Reader::new(v).read(tag::SEQUENCE) else {
        return false;
    };
    let mut r = Reader::new(seq.value);
    while let Ok(oid) = r.read(tag::OID) {
        if oid.value == OCSP_SIGNING {
            return true;
        }
    }
    false
}

fn parse_key_usage(v: &[u8]) -> Result<u16, CertError> {
    let f = malformed("keyUsage");
    let mut r = Reader::new(v);
    let b = r.read(tag::BIT_STRING).map_err(&f)?;
    r.finish().map_err(&f)?;
    let (_, bits) = der::bit_string(b.value).map_err(&f)?;
    Ok(der::named_bits(bits))
}

#[cfg(test)]
mod tests {
    use super::*;
    use kakunin_testkit::der::{ext, seq, tlv};

    /// A v3 certificate (signature not checked by [`Cert::parse`]) with
    /// one extension, `oid` with an empty-SEQUENCE-ish value `value`.
    fn cert_with(oid: &[u8], critical: bool, value: Vec<u8>) -> Vec<u8> {
        let alg = seq(&[
            tlv(
                tag::OID,
                &[0x2A, 0x86, 0x48, 0x86, 0xF7, 0x0D, 0x01, 0x01, 0x0B],
            ),
            vec![5, 0],
        ]);
        let name = seq(&[tlv(
            tag::SET,
            &seq(&[tlv(tag::OID, &[0x55, 4, 3]), tlv(0x0C, b"x")]),
        )]);
        let tbs = seq(&[
            tlv(tag::context_constructed(0), &tlv(tag::INTEGER, &[2])),
            tlv(tag::INTEGER, &[1]),
            alg.clone(),
            name.clone(),
            seq(&[
                tlv(tag::UTC_TIME, b"250101000000Z"),
                tlv(tag::UTC_TIME, b"300101000000Z"),
            ]),
            name,
            seq(&[]),
            tlv(
                tag::context_constructed(3),
                &seq(&[ext(oid, critical, value)]),
            ),
        ]);
        seq(&[tbs, alg, tlv(tag::BIT_STRING, &[0, 1])])
    }

    fn unknown_critical(oid: &[u8], critical: bool, value: Vec<u8>) -> Option<Vec<u8>> {
        let der = cert_with(oid, critical, value);
        let c = Cert::parse(&der).unwrap();
        c.ext.unknown_critical.map(<[u8]>::to_vec)
    }

    /// §4.2.1.1 / §4.2.1.2: AKI and SKI MUST be non-critical; a critical
    /// one is refused as unhandled, as OpenSSL does.
    #[test]
    fn critical_aki_and_ski_are_refused() {
        let aki = || seq(&[tlv(0x80, &[1, 2, 3])]);
        let ski = || tlv(tag::OCTET_STRING, &[1, 2, 3]);
        assert_eq!(unknown_critical(oid::AKI, false, aki()), None);
        assert_eq!(
            unknown_critical(oid::AKI, true, aki()),
            Some(oid::AKI.to_vec())
        );
        assert_eq!(unknown_critical(oid::SKI, false, ski()), None);
        assert_eq!(
            unknown_critical(oid::SKI, true, ski()),
            Some(oid::SKI.to_vec())
        );
    }

    /// §6.1 policy processing is not implemented: a critical
    /// policyMappings, policyConstraints or inhibitAnyPolicy fails closed;
    /// certificatePolicies does not (see `parse_extensions`).
    #[test]
    fn critical_policy_extensions_fail_closed() {
        // Values are not read: any bytes do.
        for oid in [
            oid::POLICY_MAPPINGS,
            oid::POLICY_CONSTRAINTS,
            oid::INHIBIT_ANY_POLICY,
        ] {
            let v = || seq(&[tlv(0x80, &[0])]);
            assert_eq!(unknown_critical(oid, false, v()), None);
            assert_eq!(unknown_critical(oid, true, v()), Some(oid.to_vec()));
        }
        let policies = || seq(&[seq(&[tlv(tag::OID, &[0x55, 0x1D, 0x20, 0x00])])]);
        assert_eq!(unknown_critical(oid::POLICIES, true, policies()), None);
        assert_eq!(unknown_critical(oid::POLICIES, false, policies()), None);
    }
}
