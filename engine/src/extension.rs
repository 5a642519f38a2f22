//! The Extension syntax certificates and CRLs share (RFC 5280 §4.1,
//! §4.2): one reader for `Extension ::= SEQUENCE { extnID, critical
//! DEFAULT FALSE, extnValue }` and the extension values both carry.

use crate::der::{self, tag, DerError, Oid, Reader};

/// One extension, borrowed from its DER.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Extension<'a> {
    /// extnID's content octets (compare with [`crate::oid`]).
    pub oid: &'a [u8],
    /// critical (DEFAULT FALSE).
    pub critical: bool,
    /// extnValue's content: the DER of the extension's value.
    pub value: &'a [u8],
}

/// Reads one Extension. `validate_oid`: the CRL entry walker skips the OID
/// syntax check on its hot path (an unknown OID is only displayed, and
/// display tolerates bad ones).
#[inline]
pub(crate) fn read<'a>(r: &mut Reader<'a>, validate_oid: bool) -> Result<Extension<'a>, DerError> {
    let ext = r.read(tag::SEQUENCE)?;
    let mut e = Reader::new(ext.value);
    let oid = e.read(tag::OID)?.value;
    if validate_oid {
        Oid(oid).validate()?;
    }
    let critical = match e.read_optional(tag::BOOLEAN)? {
        Some(b) => der::boolean(b.value)?,
        None => false,
    };
    let value = e.read(tag::OCTET_STRING)?.value;
    e.finish()?;
    Ok(Extension {
        oid,
        critical,
        value,
    })
}

/// AuthorityKeyIdentifier (§4.2.1.1, §5.2.1): its keyIdentifier `[0]`,
/// after checking the whole SEQUENCE (keyIdentifier, authorityCertIssuer
/// `[1]`, authorityCertSerialNumber `[2]`, nothing else).
pub(crate) fn authority_key_id(value: &[u8]) -> Result<Option<&[u8]>, DerError> {
    let mut r = Reader::new(value);
    let seq = r.read(tag::SEQUENCE)?;
    r.finish()?;
    let mut s = Reader::new(seq.value);
    let kid = s.read_optional(tag::context_primitive(0))?.map(|t| t.value);
    s.read_optional(tag::context_constructed(1))?;
    s.read_optional(tag::context_primitive(2))?;
    s.finish()?;
    Ok(kid)
}
