//! Certificate inputs as `kakunin verify` reads them
//! (`kakunin_engine::inputs`, one input already open), then per
//! certificate what the command does: the verdict (`verify_batch`, against
//! data/'s CAs and CRLs at the time `expected.jsonl` speaks for), the
//! output line with the JPKI facts, and the profile readers
//! (`jpki::classify`, `jpki::basic_facts`).
//!
//! Structured inputs are DER bundles or PEM bundles (junk between blocks,
//! any line width, CRLF, indentation) of data/ certificates, some with
//! their to-be-signed bytes edited (lengths kept consistent, not
//! re-signed). Checked besides "no panic":
//! - the reader yields exactly the certificates put in, in order, labelled
//!   `fuzz#1`, `fuzz#2`, … (an input with none: one failed item);
//! - `verify_batch` agrees with `verify` on each;
//! - an untouched data/ certificate gets the status `expected.jsonl`
//!   gives it and the JPKI kind of its file (facts for a signing one);
//! - an edited one is never `valid`;
//! - every output line is JSON whose `status` is the verdict's.
//!
//! Raw inputs (a first byte 0 or 1) go through the same reader and the
//! checks that apply to any bytes.
#![no_main]

use std::sync::OnceLock;

use arbitrary::{Arbitrary, Unstructured};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kakunin_engine::inputs::Inputs;
use kakunin_engine::jpki::{basic_facts, classify, CertKind};
use kakunin_engine::verify::{Status, Verifier, VerifierBuilder};
use kakunin_engine::Timestamp;
use kakunin_fuzz::{apply, data, data_certs, sample_certs, Edit, Signed, SAMPLE_AT};
use kakunin_report::CertLine;

/// Certificates per input: each costs a signature check or two.
const MAX_CERTS: usize = 8;

#[derive(Arbitrary, Debug)]
enum Piece {
    /// Certificate `which` of data/, its to-be-signed content edited.
    Cert {
        which: u8,
        edits: Vec<Edit>,
        /// `X509 CERTIFICATE` instead of `CERTIFICATE` (PEM only).
        x509_label: bool,
    },
    /// Bytes between PEM blocks (ignored in DER).
    Junk(Vec<u8>),
}

/// After a first byte of 0 (raw: the rest is the input, facts on) or 1
/// (raw, facts off); any other first byte: the rest is this.
#[derive(Arbitrary, Debug)]
struct Structured {
    pem: bool,
    pieces: Vec<Piece>,
    width: u8,
    crlf: bool,
    indent: bool,
    facts: bool,
}

fn verifier() -> &'static (Verifier, Timestamp) {
    static V: OnceLock<(Verifier, Timestamp)> = OnceLock::new();
    V.get_or_init(|| {
        let mut b = VerifierBuilder::new();
        for ca in ["sign-ca.pem", "auth-ca.pem"] {
            for der in data_certs(ca) {
                b.trust_anchor(ca, &der);
            }
        }
        for crl in ["sign.crl", "auth.crl"] {
            b.crl(crl, &data(crl));
        }
        let v = b.build().expect("data/ builds a verifier");
        assert!(v.refused().is_empty(), "{:?}", v.refused());
        let at = Timestamp::parse_rfc3339(SAMPLE_AT).expect("a time");
        (v, at)
    })
}

/// A certificate put into the input: its DER, and the data/ certificate
/// it is when untouched.
struct Put {
    der: Vec<u8>,
    pristine: Option<usize>,
}

fn put(which: u8, edits: &[Edit]) -> Put {
    let pool = sample_certs();
    let i = which as usize % pool.len();
    let mut s = Signed::split(&pool[i].der).expect("data/ certificates split");
    let donors: Vec<&[u8]> = Vec::new();
    apply(&mut s.tbs_content, edits, &donors);
    let der = s.to_der();
    let pristine = (der == pool[i].der).then_some(i);
    Put { der, pristine }
}

fn pem_block(der: &[u8], label: &str, width: usize, eol: &str, indent: &str) -> Vec<u8> {
    let b64 = STANDARD.encode(der);
    let mut s = format!("{indent}-----BEGIN {label}-----{eol}");
    for line in b64.as_bytes().chunks(width) {
        s.push_str(indent);
        s.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        s.push_str(eol);
    }
    s.push_str(&format!("-----END {label}-----{eol}"));
    s.into_bytes()
}

/// Junk with every line that could open or close a block defused.
fn junk(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + 2);
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if line.trim_ascii_start().starts_with(b"-----") {
            out.push(b'#');
        }
        out.extend_from_slice(line);
    }
    if !out.ends_with(b"\n") {
        out.push(b'\n');
    }
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let (bytes, put_in, facts) = match mode {
        0 | 1 => (rest.to_vec(), None, mode == 0),
        _ => {
            let Ok(Structured {
                pem,
                pieces,
                width,
                crlf,
                indent,
                facts,
            }) = Structured::arbitrary_take_rest(Unstructured::new(rest))
            else {
                return;
            };
            let width = (width as usize % 96).max(4);
            let eol = if crlf { "\r\n" } else { "\n" };
            let indent = if indent { " \t" } else { "" };
            let mut bytes = Vec::new();
            let mut certs = Vec::new();
            for p in pieces {
                match p {
                    Piece::Cert {
                        which,
                        edits,
                        x509_label,
                    } if certs.len() < MAX_CERTS => {
                        let c = put(which, &edits);
                        if pem {
                            let label = if x509_label {
                                "X509 CERTIFICATE"
                            } else {
                                "CERTIFICATE"
                            };
                            bytes.extend(pem_block(&c.der, label, width, eol, indent));
                        } else {
                            bytes.extend_from_slice(&c.der);
                        }
                        certs.push(c);
                    }
                    Piece::Junk(j) if pem => bytes.extend(junk(&j)),
                    _ => {}
                }
            }
            // PEM text must not start as DER does.
            if pem && bytes.first() == Some(&0x30) {
                bytes.insert(0, b'\n');
            }
            (bytes, Some(certs), facts)
        }
    };

    let mut items: Vec<_> = Inputs::from_reader("fuzz", std::io::Cursor::new(bytes)).collect();
    for (n, item) in items.iter_mut().enumerate() {
        item.decode();
        assert_eq!(item.label, format!("fuzz#{}", n + 1));
    }
    if let Some(certs) = &put_in {
        if certs.is_empty() {
            assert_eq!(items.len(), 1, "an input without certificates");
            assert!(items[0].der.is_err());
        } else {
            assert_eq!(items.len(), certs.len(), "certificates read back");
            for (item, c) in items.iter().zip(certs) {
                assert_eq!(item.der.as_deref(), Ok(&c.der[..]), "{}", item.label);
            }
        }
    }

    let (verifier, at) = verifier();
    // Every item is read; the first MAX_CERTS are verified (a seed bundle
    // of 100 certificates would cost 200 signature checks an input).
    let ders: Vec<&[u8]> = items
        .iter()
        .filter_map(|i| i.der.as_deref().ok())
        .take(MAX_CERTS)
        .collect();
    let verdicts = verifier.verify_batch(&ders, *at);
    assert_eq!(verdicts.len(), ders.len());
    let pool = sample_certs();
    for (k, (der, v)) in ders.iter().zip(&verdicts).enumerate() {
        assert_eq!(*v, verifier.verify(der, *at), "verify_batch against verify");
        let line = CertLine::new("fuzz", der, v, facts).to_json();
        let json: serde_json::Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(json["status"].as_str(), Some(v.status.as_str()), "{line}");
        let kind = classify(der);
        let jpki_facts = basic_facts(der);
        let Some(certs) = &put_in else {
            continue;
        };
        // Structured: the k-th good item is the k-th certificate put in.
        match certs[k].pristine {
            Some(i) => {
                let want = &pool[i];
                if let Some(status) = &want.expected {
                    assert_eq!(v.status.as_str(), status, "data/ certificate {i}: {v:?}");
                }
                match want.kind {
                    "sign" => {
                        assert_eq!(kind, CertKind::JpkiSigning);
                        assert!(matches!(jpki_facts, Ok(Some(_))), "{jpki_facts:?}");
                    }
                    "auth" => {
                        assert_eq!(kind, CertKind::JpkiAuthentication);
                        assert!(matches!(jpki_facts, Ok(None)), "{jpki_facts:?}");
                    }
                    _ => assert_eq!(kind, CertKind::Other),
                }
            }
            None => assert!(
                !matches!(v.status, Status::Valid),
                "an edited certificate came out valid"
            ),
        }
    }
});
