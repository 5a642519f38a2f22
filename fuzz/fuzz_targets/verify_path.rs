//! Path verification (`Verifier`) over fuzzed intermediates and CRLs:
//! data/'s two real trust anchors and CRLs (cut down to the entries about
//! data/'s certificates and signed again by their CA, see `reduced_crl`), plus intermediates and CRLs made from
//! data/'s certificates and CRLs with their to-be-signed content edited
//! (lengths kept consistent, so they get past the parsers), optionally
//! re-signed with one of data/'s test keys (the CAs' or holder 1's, so
//! they get past the signature checks too) and with their signature bytes
//! patched, or raw bytes. Leaves: data/ certificates as they are, and
//! fuzzed ones made the same way.
//!
//! Checked besides "no panic":
//! - a `valid` leaf has a path that really verifies: every certificate
//!   on it was given to the builder (found by the path's SHA-256), the
//!   last is one of the two real anchors, and every signature along it
//!   verifies under the next certificate's key — checked here with ring
//!   on the harness's own DER reading, not with the engine's;
//! - a leaf whose signature bytes were patched is never `valid`;
//! - while nothing was re-signed and nothing is raw bytes (so no new
//!   signature by a data/ key exists in the input), a `valid` leaf is byte-identical to a data/
//!   certificate that `expected.jsonl` calls valid (or a CA / OCSP
//!   certificate, which it does not list), and with both real CRLs given,
//!   every data/ certificate checked gets exactly its expected status.
#![no_main]

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use kakunin_engine::crypto::sha256;
use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::Timestamp;
use kakunin_fuzz::{
    apply, children, data, data_certs, header, patch_signature, sample_certs, serial_hex, tlv,
    Edit, Keys, SigPatch, Signed, SAMPLE_AT,
};

const MAX_INTERMEDIATES: usize = 4;
const MAX_CRLS: usize = 3;
const MAX_LEAVES: usize = 4;
const MAX_CHECKS: usize = 6;
/// RSA signing costs about a millisecond: a few per input.
const MAX_SIGNATURES: usize = 3;

#[derive(Arbitrary, Debug)]
enum Src {
    /// Certificate (or CRL) `which` of data/, edited, optionally
    /// re-signed with key `resign`, then its signature patched.
    Sample {
        which: u8,
        edits: Vec<Edit>,
        resign: Option<u8>,
        sig: Vec<SigPatch>,
    },
    Raw(Vec<u8>),
}

/// After a first byte of 0, 1 or 2, the rest is one raw CRL, intermediate
/// or leaf beside both real CRLs, with every data/ holder's certificates
/// checked (seeds: OpenSSL-made files); any other first byte: the rest is
/// this.
#[derive(Arbitrary, Debug)]
struct Input {
    /// Bit 0: data/sign.crl as it is; bit 1: data/auth.crl.
    real_crls: u8,
    intermediates: Vec<Src>,
    crls: Vec<Src>,
    leaves: Vec<Src>,
    /// data/ certificates verified as they are.
    checks: Vec<u8>,
}

struct Templates {
    certs: Vec<Signed>,
    crls: Vec<(String, Vec<u8>, Signed)>,
    anchors: Vec<Vec<u8>>,
    /// Every template's to-be-signed content, for `Edit::Splice`.
    donors: Vec<Vec<u8>>,
    at: Timestamp,
}

fn templates() -> &'static Templates {
    static T: OnceLock<Templates> = OnceLock::new();
    T.get_or_init(|| {
        let certs: Vec<Signed> = sample_certs()
            .iter()
            .map(|c| Signed::split(&c.der).expect("data/ certificates split"))
            .collect();
        let serials: HashSet<String> = certs
            .iter()
            .filter_map(|c| serial_hex(&c.tbs_content))
            .collect();
        let crls: Vec<_> = [("sign.crl", 0), ("auth.crl", 1)]
            .into_iter()
            .map(|(n, key)| {
                let s = reduced_crl(&data(n), &serials, key);
                (n.to_string(), s.to_der(), s)
            })
            .collect();
        let anchors = ["sign-ca.pem", "auth-ca.pem"]
            .into_iter()
            .flat_map(data_certs)
            .collect();
        let donors = certs
            .iter()
            .chain(crls.iter().map(|c| &c.2))
            .map(|s| s.tbs_content.clone())
            .collect();
        Templates {
            certs,
            crls,
            anchors,
            donors,
            at: Timestamp::parse_rfc3339(SAMPLE_AT).expect("a time"),
        }
    })
}

/// data/'s CRL `der` with only the entries about data/'s certificates
/// (`serials`; the other ~980 name no certificate that exists), signed
/// again by its CA (key `key` of [`Keys`]): the same answers for every
/// data/ certificate at a twentieth of the bytes, so that each input
/// costs less and edits land in the header as often as in the entries
/// (the entry walk has targets of its own: crl, crl_entries).
fn reduced_crl(der: &[u8], serials: &HashSet<String>, key: u8) -> Signed {
    let mut s = Signed::split(der).expect("data/ CRLs split");
    let fields = children(&s.tbs_content).expect("a TBSCertList");
    let mut tbs = Vec::new();
    for f in fields {
        match revoked_list(f) {
            Some(entries) => {
                let kept: Vec<u8> = entries
                    .into_iter()
                    .filter(|e| {
                        header(e)
                            .and_then(|(_, hl, _)| serial_hex(&e[hl..]))
                            .is_some_and(|h| serials.contains(&h))
                    })
                    .flatten()
                    .copied()
                    .collect();
                tbs.extend(tlv(0x30, &kept));
            }
            None => tbs.extend_from_slice(f),
        }
    }
    s.tbs_content = tbs;
    Keys::get().sign(key, &mut s);
    s
}

/// The entries, when `field` of a TBSCertList is revokedCertificates
/// (SEQUENCE OF SEQUENCE { INTEGER, ... }; the algorithm, the name and
/// the extensions are not).
fn revoked_list(field: &[u8]) -> Option<Vec<&[u8]>> {
    let (tag, hl, _) = header(field)?;
    if tag != 0x30 {
        return None;
    }
    let entries = children(&field[hl..])?;
    let all = entries
        .iter()
        .all(|e| header(e).is_some_and(|(t, ehl, _)| t == 0x30 && e.get(ehl) == Some(&0x02)));
    (all && !entries.is_empty()).then_some(entries)
}

/// What a source became.
struct Made {
    der: Vec<u8>,
    resigned: bool,
    sig_patched: bool,
}

fn make(src: &Src, from: &[&Signed], signatures: &mut usize) -> Made {
    match src {
        Src::Raw(b) => Made {
            der: b.clone(),
            resigned: false,
            sig_patched: false,
        },
        Src::Sample {
            which,
            edits,
            resign,
            sig,
        } => {
            let t = templates();
            let mut s = from[*which as usize % from.len()].clone();
            let donors: Vec<&[u8]> = t.donors.iter().map(|d| &d[..]).collect();
            apply(&mut s.tbs_content, edits, &donors);
            let mut resigned = false;
            if let Some(k) = resign {
                if *signatures < MAX_SIGNATURES {
                    *signatures += 1;
                    Keys::get().sign(*k, &mut s);
                    resigned = true;
                }
            }
            let sig_patched = patch_signature(&mut s.sig, sig);
            Made {
                der: s.to_der(),
                resigned,
                sig_patched,
            }
        }
    }
}

fn raw_input(mode: u8, bytes: &[u8]) -> Input {
    let raw = || vec![Src::Raw(bytes.to_vec())];
    Input {
        real_crls: 3,
        intermediates: if mode == 1 { raw() } else { Vec::new() },
        crls: if mode == 0 { raw() } else { Vec::new() },
        leaves: if mode == 2 { raw() } else { Vec::new() },
        // Holders 1, 2, 6 and 9 (valid, revoked, superseded, expired) of
        // either kind: sign-certs.pem and auth-certs.pem start with the
        // holders' certificates.
        checks: vec![0, 1, 5, 8, 100, 101, 105, 108],
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let input = match mode {
        0..=2 => raw_input(mode, rest),
        _ => match Input::arbitrary_take_rest(Unstructured::new(rest)) {
            Ok(i) => i,
            Err(_) => return,
        },
    };
    let t = templates();
    let cert_templates: Vec<&Signed> = t.certs.iter().collect();
    let crl_templates: Vec<&Signed> = t.crls.iter().map(|c| &c.2).collect();
    let mut signatures = 0;
    let mut resigned = false;

    let mut b = VerifierBuilder::new();
    b.source_digests(false);
    // Every CA certificate given, by SHA-256 (how a path names them).
    let mut given: HashMap<[u8; 32], Signed> = HashMap::new();
    for (i, der) in t.anchors.iter().enumerate() {
        b.trust_anchor(&format!("anchor{i}"), der);
        if let Some(s) = Signed::split(der) {
            given.insert(sha256(der), s);
        }
    }
    for (i, src) in input
        .intermediates
        .iter()
        .take(MAX_INTERMEDIATES)
        .enumerate()
    {
        let m = make(src, &cert_templates, &mut signatures);
        resigned |= m.resigned;
        b.intermediate(&format!("intermediate{i}"), &m.der);
        if let Some(s) = Signed::split(&m.der) {
            given.insert(sha256(&m.der), s);
        }
    }
    for (i, (name, der, _)) in t.crls.iter().enumerate() {
        if input.real_crls & (1 << i) != 0 {
            b.crl(name, der);
        }
    }
    for (i, src) in input.crls.iter().take(MAX_CRLS).enumerate() {
        let m = make(src, &crl_templates, &mut signatures);
        resigned |= m.resigned;
        b.crl(&format!("crl{i}"), &m.der);
    }
    let leaves: Vec<Made> = input
        .leaves
        .iter()
        .take(MAX_LEAVES)
        .map(|src| make(src, &cert_templates, &mut signatures))
        .collect();
    resigned |= leaves.iter().any(|l| l.resigned);
    // Raw bytes may hold a signature nobody here made (an OpenSSL-made
    // seed signed with a data/ key): like a re-signed source, they lift
    // the "no new signature" checks, not the path check.
    let raw = [&input.intermediates, &input.crls, &input.leaves]
        .iter()
        .any(|v| v.iter().any(|s| matches!(s, Src::Raw(_))));
    let resigned = resigned || raw;
    let Ok(verifier) = b.build() else {
        return;
    };

    let pool = sample_certs();
    let known = |der: &[u8]| pool.iter().find(|c| c.der == der);
    let all_real_crls = input.real_crls & 3 == 3;
    let checks = input
        .checks
        .iter()
        .take(MAX_CHECKS)
        .map(|&i| (&pool[i as usize % pool.len()].der, false));
    let fuzzed = leaves.iter().map(|l| (&l.der, l.sig_patched));
    for (der, sig_patched) in checks.chain(fuzzed) {
        let v = verifier.verify(der, t.at);
        if let (false, true, Some(c)) = (resigned, all_real_crls, known(der.as_slice())) {
            if let Some(want) = &c.expected {
                assert_eq!(
                    v.status.as_str(),
                    want,
                    "data/ {} certificate: {v:?}",
                    c.kind
                );
            }
        }
        if !matches!(v.status, Status::Valid) {
            continue;
        }
        assert!(
            !sig_patched,
            "a leaf with a patched signature is valid: {v:?}"
        );
        if !resigned {
            let c = known(der.as_slice()).expect("valid, but not a data/ certificate");
            assert!(
                c.expected.as_deref().is_none_or(|s| s == "valid"),
                "valid, but expected.jsonl says {:?}",
                c.expected
            );
        }
        // The path really verifies.
        let leaf = Signed::split(der).expect("a valid leaf is a signed object");
        let mut chain = vec![&leaf];
        for p in v.path.iter().skip(1) {
            let sha = p.sha256.expect("a CA of the path has its SHA-256");
            chain.push(given.get(&sha).expect("a CA of the path was given"));
        }
        let last = v.path.last().expect("a valid leaf has a path");
        assert!(last.anchor, "the path ends at an anchor");
        let top = chain[chain.len() - 1].to_der();
        assert!(t.anchors.contains(&top), "the path ends at a real anchor");
        for pair in chain.windows(2) {
            assert!(
                pair[0].signed_by(pair[1]),
                "a signature on the valid path does not verify: {v:?}"
            );
        }
    }
});
