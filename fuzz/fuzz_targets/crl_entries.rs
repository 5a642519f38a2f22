//! The entry walk below the CRL header: the fuzz input becomes the content
//! of revokedCertificates inside a header that parses (data/auth.crl's,
//! as v2 or v2 indirect or v2 delta, or as v1), so every input reaches
//! `Entries` instead of dying in the header or at the signature.
//!
//! Checked besides "no panic": a walk split where
//! `Crl::guess_entry_boundary` says, and trusted only as its docs say (the
//! first part ends exactly there), yields the same entries as the whole
//! walk.
#![no_main]

use std::sync::OnceLock;

use kakunin_engine::internals;
use kakunin_engine::crl::{Crl, Entries, RevokedEntry};
use kakunin_fuzz::{ext, tlv};

static AUTH_CRL: &[u8] = include_bytes!("../../data/auth.crl");

/// Pieces of data/auth.crl (offsets from `openssl asn1parse`); checked
/// once, in `template`, to parse with their own entries.
struct Template {
    version: &'static [u8],
    header: &'static [u8],
    revoked: &'static [u8],
    exts: &'static [u8],
    sig: &'static [u8],
}

/// issuingDistributionPoint { indirectCRL TRUE }, critical.
fn idp_indirect() -> Vec<u8> {
    ext(&[0x55, 0x1D, 0x1C], true, tlv(0x30, &[0x84, 0x01, 0xFF]))
}

/// deltaCRLIndicator, base CRL number 1, critical.
fn delta_indicator() -> Vec<u8> {
    ext(&[0x55, 0x1D, 0x1B], true, [0x02, 0x01, 0x01])
}

fn build(t: &Template, flags: u8, revoked: &[u8]) -> Vec<u8> {
    let v1 = flags & 4 != 0;
    let mut tbs = Vec::new();
    if !v1 {
        tbs.extend_from_slice(t.version);
    }
    tbs.extend_from_slice(t.header);
    if !revoked.is_empty() {
        tbs.extend(tlv(0x30, revoked));
    }
    if !v1 {
        let mut exts = t.exts.to_vec();
        if flags & 1 != 0 {
            exts.extend(idp_indirect());
        }
        if flags & 2 != 0 {
            exts.extend(delta_indicator());
        }
        tbs.extend(tlv(0xA0, &tlv(0x30, &exts)));
    }
    let mut list = tlv(0x30, &tbs);
    list.extend_from_slice(t.sig);
    tlv(0x30, &list)
}

fn template() -> &'static Template {
    static T: OnceLock<Template> = OnceLock::new();
    T.get_or_init(|| {
        let t = Template {
            version: &AUTH_CRL[8..11],
            header: &AUTH_CRL[11..189],
            revoked: &AUTH_CRL[193..41193],
            exts: &AUTH_CRL[41197..41243],
            sig: &AUTH_CRL[41243..],
        };
        for flags in 0..4 {
            let der = build(&t, flags, t.revoked);
            let crl =
                Crl::parse(&der).unwrap_or_else(|e| panic!("template {flags} does not parse: {e}"));
            assert!(crl.entries().all(|e| e.is_ok()), "template {flags}");
        }
        t
    })
}

fn walk(mut e: Entries<'_>) -> (Vec<RevokedEntry>, bool, usize) {
    let mut out = Vec::new();
    let mut ok = true;
    while let Some(r) = e.next() {
        match r {
            Ok(x) => {
                let _ = e.certificate_issuer();
                out.push(x);
            }
            Err(_) => {
                ok = false;
                break;
            }
        }
    }
    // Fused: nothing after the end or the first error.
    assert!(e.next().is_none());
    (out, ok, e.offset())
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&flags, revoked)) = data.split_first() else {
        return;
    };
    let t = template();
    let der = build(t, flags, revoked);
    let Ok(crl) = Crl::parse(&der) else {
        return;
    };
    let (all, ok, end) = walk(crl.entries());
    assert!(end <= crl.entries_len_bytes());
    if !ok || crl.scope().indirect {
        return;
    }
    assert_eq!(end, crl.entries_len_bytes());
    let near = (flags as usize * 131) % (revoked.len() + 1);
    let Some(b) = internals::guess_entry_boundary(&crl, near) else {
        return;
    };
    let (head, head_ok, head_end) = walk(internals::entries_range(&crl, 0, b));
    if !head_ok || head_end != b {
        return;
    }
    let (tail, tail_ok, _) = walk(internals::entries_range(&crl, b, usize::MAX));
    assert!(tail_ok, "the tail after a confirmed boundary {b} fails");
    assert_eq!(head.len() + tail.len(), all.len());
    assert!(head.iter().chain(&tail).eq(all.iter()));
});
