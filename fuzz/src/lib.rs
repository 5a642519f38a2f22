//! What the fuzz targets share: the sample PKI in `data/`, a small DER
//! reader (the writer is `kakunin_testkit::der`'s), edits of signed objects (certificates and CRLs)
//! that keep them parseable, re-signing with `data/`'s test keys, and an
//! independent signature check (ring, not the engine's crypto seam).
//!
//! Fixtures are read with their own small PEM reader here, not with the
//! engine's: the engine's readers are what the targets test.
//!
//! [`oidc`]: the OpenID Provider targets' fixed client registry and keys.

pub mod oidc;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use arbitrary::Arbitrary;
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use kakunin_card::sim::{CardContents, Credential, SimPins, VirtualCard};
use kakunin_card::TextFacts;
use ring::rand::SystemRandom;
use ring::signature::{self, RsaKeyPair, UnparsedPublicKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;

/// The DER writer the engine's tests use too (lengths definite, shortest).
pub use kakunin_testkit::der::{ext, tlv};

/// The sample PKI the targets load (`data/` of the repository).
pub fn data_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../data")
        .join(name)
}

/// A file of `data/`; the targets cannot run without it.
pub fn data(name: &str) -> Vec<u8> {
    std::fs::read(data_path(name)).unwrap_or_else(|e| panic!("data/{name}: {e}"))
}

/// The bodies of the `-----BEGIN <label>-----` blocks of a PEM text.
pub fn pem_blocks(text: &[u8], label: &str) -> Vec<Vec<u8>> {
    let text = String::from_utf8_lossy(text);
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let mut out = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match body.take() {
            None => {
                if line == begin {
                    body = Some(String::new());
                }
            }
            Some(b) if line == end => {
                out.push(
                    STANDARD
                        .decode(b.as_bytes())
                        .expect("a fixture's PEM is base64"),
                );
            }
            Some(mut b) => {
                b.push_str(line);
                body = Some(b);
            }
        }
    }
    out
}

/// The certificates of a PEM file of `data/`.
pub fn data_certs(name: &str) -> Vec<Vec<u8>> {
    pem_blocks(&data(name), "CERTIFICATE")
}

/// The first TLV of `b`: (tag, header length, content length); `None`
/// unless it is complete with a definite length of at most 4 bytes.
pub fn header(b: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *b.first()?;
    let first = *b.get(1)? as usize;
    let (hl, len) = if first < 0x80 {
        (2, first)
    } else {
        let k = first & 0x7F;
        if k == 0 || k > 4 {
            return None;
        }
        let len = b
            .get(2..2 + k)?
            .iter()
            .fold(0usize, |a, &x| (a << 8) | x as usize);
        (2 + k, len)
    };
    (b.len() >= hl + len).then_some((tag, hl, len))
}

/// The TLVs that make up `content`, each whole; `None` if they do not
/// tile it exactly.
pub fn children(mut content: &[u8]) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (_, hl, len) = header(content)?;
        let (one, rest) = content.split_at(hl + len);
        out.push(one);
        content = rest;
    }
    Some(out)
}

/// A signed object (certificate or CRL) taken apart: the *content* of its
/// to-be-signed SEQUENCE, the signatureAlgorithm TLV and the signature
/// value (without the BIT STRING's unused-bits byte).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    pub tbs_content: Vec<u8>,
    pub alg: Vec<u8>,
    pub sig: Vec<u8>,
}

impl Signed {
    /// `None` unless `der` is exactly SEQUENCE { SEQUENCE, SEQUENCE,
    /// BIT STRING with 0 unused bits }.
    pub fn split(der: &[u8]) -> Option<Signed> {
        let (tag, hl, len) = header(der)?;
        if tag != 0x30 || der.len() != hl + len {
            return None;
        }
        let parts = children(&der[hl..])?;
        let [tbs, alg, sig] = parts[..] else {
            return None;
        };
        let (t, thl, _) = header(tbs)?;
        let (s, shl, _) = header(sig)?;
        if t != 0x30 || s != 0x03 || sig.get(shl) != Some(&0) {
            return None;
        }
        Some(Signed {
            tbs_content: tbs[thl..].to_vec(),
            alg: alg.to_vec(),
            sig: sig[shl + 1..].to_vec(),
        })
    }

    /// The to-be-signed TLV: what the signature covers.
    pub fn tbs(&self) -> Vec<u8> {
        tlv(0x30, &self.tbs_content)
    }

    /// The DER, every length recomputed.
    pub fn to_der(&self) -> Vec<u8> {
        let mut bits = vec![0u8];
        bits.extend_from_slice(&self.sig);
        let mut body = self.tbs();
        body.extend_from_slice(&self.alg);
        body.extend(tlv(0x03, &bits));
        tlv(0x30, &body)
    }

    /// A certificate's RSAPublicKey (the subjectPublicKey bits), found by
    /// position in TBSCertificate (RFC 5280 §4.1).
    pub fn rsa_public_key(&self) -> Option<&[u8]> {
        let fields = children(&self.tbs_content)?;
        let skip = usize::from(fields.first()?.first() == Some(&0xA0));
        let spki = fields.get(skip + 5)?;
        let (_, hl, _) = header(spki)?;
        let parts = children(&spki[hl..])?;
        let bits = parts.get(1)?;
        let (tag, bhl, _) = header(bits)?;
        (tag == 0x03 && bits.get(bhl) == Some(&0)).then(|| &bits[bhl + 1..])
    }

    /// Whether `issuer`'s key really signed this (sha256WithRSAEncryption,
    /// the only algorithm data/ and the re-signing here use; anything else
    /// counts as not verifying).
    pub fn signed_by(&self, issuer: &Signed) -> bool {
        const SHA256_RSA: &[u8] = b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b";
        let Some((_, hl, _)) = header(&self.alg) else {
            return false;
        };
        let alg = &self.alg[hl..];
        if alg != SHA256_RSA && alg != [SHA256_RSA, b"\x05\x00"].concat() {
            return false;
        }
        let Some(key) = issuer.rsa_public_key() else {
            return false;
        };
        UnparsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, key)
            .verify(&self.tbs(), &self.sig)
            .is_ok()
    }
}

/// A change to a signed object's to-be-signed content. Lengths are
/// recomputed around the content afterwards, so the object stays a
/// well-framed TLV and the parser sees the change inside.
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    Xor {
        at: u16,
        mask: u8,
    },
    Insert {
        at: u16,
        bytes: Vec<u8>,
    },
    Remove {
        at: u16,
        len: u8,
    },
    /// Replaces field `field` of the content with field `donor_field` of
    /// template `donor` (an issuer name from another certificate, say).
    Splice {
        field: u8,
        donor: u8,
        donor_field: u8,
    },
}

/// Applies `edits` to `content`; `donors` are the templates' contents.
pub fn apply(content: &mut Vec<u8>, edits: &[Edit], donors: &[&[u8]]) {
    for e in edits {
        let n = content.len();
        match e {
            Edit::Xor { at, mask } if n > 0 => content[*at as usize % n] ^= mask,
            Edit::Xor { .. } => {}
            Edit::Insert { at, bytes } => {
                let at = *at as usize % (n + 1);
                content.splice(at..at, bytes.iter().copied());
            }
            Edit::Remove { at, len } if n > 0 => {
                let at = *at as usize % n;
                let end = (at + *len as usize).min(n);
                content.drain(at..end);
            }
            Edit::Remove { .. } => {}
            Edit::Splice {
                field,
                donor,
                donor_field,
            } => {
                if donors.is_empty() {
                    continue;
                }
                let donor = donors[*donor as usize % donors.len()];
                let (Some(mine), Some(theirs)) = (children(content), children(donor)) else {
                    continue;
                };
                if mine.is_empty() || theirs.is_empty() {
                    continue;
                }
                let i = *field as usize % mine.len();
                let start = mine[..i].iter().map(|f| f.len()).sum::<usize>();
                let end = start + mine[i].len();
                let with = theirs[*donor_field as usize % theirs.len()].to_vec();
                content.splice(start..end, with);
            }
        }
    }
}

/// The test keys of `data/` the targets sign with: the two CAs' (so
/// that re-signed certificates and CRLs pass the signature check and
/// reach the checks behind it) and holder 1's.
pub struct Keys {
    pub keys: Vec<(&'static str, RsaKeyPair)>,
    rng: SystemRandom,
    /// Signatures made, by key and SHA-256 of the to-be-signed bytes.
    /// PKCS#1 v1.5 is deterministic, so a cached signature is the one
    /// signing again would make; signing costs about a millisecond and
    /// most mutations leave a re-signed source's bytes as they were.
    made: Mutex<HashMap<(usize, [u8; 32]), Vec<u8>>>,
}

/// Bound on [`Keys`]' cache (about 256 bytes a signature).
const MAX_CACHED_SIGNATURES: usize = 1 << 16;

impl Keys {
    /// The keys, loaded once.
    pub fn get() -> &'static Keys {
        static K: OnceLock<Keys> = OnceLock::new();
        K.get_or_init(|| {
            let load = |name: &'static str| {
                let der = pem_blocks(&data(name), "PRIVATE KEY")
                    .pop()
                    .unwrap_or_else(|| panic!("data/{name} holds a PKCS#8 key"));
                let key =
                    RsaKeyPair::from_pkcs8(&der).unwrap_or_else(|e| panic!("data/{name}: {e}"));
                (name, key)
            };
            Keys {
                keys: vec![
                    load("sign-ca.key"),
                    load("auth-ca.key"),
                    load("holders/1/sign.key"),
                    load("holders/1/auth.key"),
                ],
                rng: SystemRandom::new(),
                made: Mutex::new(HashMap::new()),
            }
        })
    }

    /// Signs `obj`'s to-be-signed bytes with key `which` (mod the count),
    /// sha256WithRSAEncryption; sets the algorithm to match.
    pub fn sign(&self, which: u8, obj: &mut Signed) {
        let k = which as usize % self.keys.len();
        let tbs = obj.tbs();
        let id = (k, kakunin_engine::crypto::sha256(&tbs));
        let mut made = self.made.lock().expect("no panic while it is held");
        let sig = match made.get(&id) {
            Some(sig) => sig.clone(),
            None => {
                let key = &self.keys[k].1;
                let mut sig = vec![0u8; key.public().modulus_len()];
                key.sign(&signature::RSA_PKCS1_SHA256, &self.rng, &tbs, &mut sig)
                    .expect("RSA signing");
                if made.len() >= MAX_CACHED_SIGNATURES {
                    made.clear();
                }
                made.insert(id, sig.clone());
                sig
            }
        };
        obj.alg = b"\x30\x0d\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b\x05\x00".to_vec();
        obj.sig = sig;
    }
}

/// A patch of a signature value: `at` is taken mod its length.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct SigPatch {
    pub at: u16,
    pub mask: u8,
}

/// Applies signature patches; true when the value changed.
pub fn patch_signature(sig: &mut [u8], patches: &[SigPatch]) -> bool {
    if sig.is_empty() {
        return false;
    }
    let before = sig.to_vec();
    for p in patches {
        let n = sig.len();
        sig[p.at as usize % n] ^= p.mask;
    }
    sig != &before[..]
}

/// The time `data/expected.jsonl` speaks for (data/README.md).
pub const SAMPLE_AT: &str = "2026-11-01T00:00:00Z";

/// One certificate of the sample PKI and what `expected.jsonl` says of it.
pub struct SampleCert {
    pub der: Vec<u8>,
    /// `sign`, `auth`, `ca` or `ocsp`.
    pub kind: &'static str,
    /// `valid`, `revoked` or `invalid` at [`SAMPLE_AT`]; `None` for the
    /// CA and OCSP certificates, which the file does not list.
    pub expected: Option<String>,
}

/// Every certificate of `data/`: the 200 issued ones, the two CAs and the
/// two OCSP responders.
pub fn sample_certs() -> &'static [SampleCert] {
    static C: OnceLock<Vec<SampleCert>> = OnceLock::new();
    C.get_or_init(|| {
        let text = String::from_utf8(data("expected.jsonl")).expect("UTF-8");
        let mut expected = std::collections::HashMap::new();
        for line in text.lines() {
            let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
            let key = (
                v["kind"].as_str().map(str::to_owned),
                v["serial"].as_str().map(str::to_owned),
            );
            expected.insert(key, v["status"].as_str().map(str::to_owned));
        }
        let mut out = Vec::new();
        for (file, kind) in [
            ("sign-certs.pem", "sign"),
            ("auth-certs.pem", "auth"),
            ("sign-ca.pem", "ca"),
            ("auth-ca.pem", "ca"),
            ("ocsp.pem", "ocsp"),
        ] {
            for der in data_certs(file) {
                let serial = Signed::split(&der).and_then(|s| serial_hex(&s.tbs_content));
                let expected = expected
                    .get(&(Some(kind.to_owned()), serial))
                    .cloned()
                    .flatten();
                assert_eq!(expected.is_some(), kind == "sign" || kind == "auth");
                out.push(SampleCert {
                    der,
                    kind,
                    expected,
                });
            }
        }
        out
    })
}

/// The serialNumber of a TBSCertificate content, upper-case hex without
/// the sign byte (as `expected.jsonl` writes it).
pub fn serial_hex(tbs_content: &[u8]) -> Option<String> {
    let fields = children(tbs_content)?;
    let skip = usize::from(fields.first()?.first() == Some(&0xA0));
    let serial = fields.get(skip)?;
    let (_, hl, _) = header(serial)?;
    let mut v = &serial[hl..];
    if v.len() > 1 && v[0] == 0 {
        v = &v[1..];
    }
    Some(v.iter().map(|b| format!("{b:02X}")).collect())
}

/// Holder 1 of data/, loaded once: what its virtual card holds.
struct Holder {
    auth: (Vec<u8>, RsaPrivateKey),
    sign: (Vec<u8>, RsaPrivateKey),
    auth_ca: Vec<u8>,
    sign_ca: Vec<u8>,
    facts: TextFacts,
}

fn holder() -> &'static Holder {
    static H: OnceLock<Holder> = OnceLock::new();
    H.get_or_init(|| {
        let pki = data_path("");
        let c = CardContents::from_holder(&pki, 1).expect("data/holders/1 loads");
        let key = |name: &str| {
            let pem = std::fs::read_to_string(pki.join("holders/1").join(name))
                .expect("the holder's key");
            RsaPrivateKey::from_pkcs8_pem(&pem).expect("a PKCS#8 key")
        };
        let sign = c.sign.as_ref().expect("holder 1 has a signing certificate");
        Holder {
            auth: (c.auth.cert().to_vec(), key("auth.key")),
            sign: (sign.cert().to_vec(), key("sign.key")),
            auth_ca: c.auth_ca.clone(),
            sign_ca: c.sign_ca.clone(),
            facts: c.facts.clone(),
        }
    })
}

/// A fresh virtual card of holder 1 (with or without its signing
/// credential), default PINs.
pub fn fresh_card(with_sign: bool) -> VirtualCard {
    let h = holder();
    let cred = |(c, k): &(Vec<u8>, RsaPrivateKey)| {
        Credential::new(c.clone(), k.clone()).expect("the holder's own pair")
    };
    let contents = CardContents {
        auth: cred(&h.auth),
        auth_ca: h.auth_ca.clone(),
        sign: with_sign.then(|| cred(&h.sign)),
        sign_ca: h.sign_ca.clone(),
        facts: h.facts.clone(),
    };
    VirtualCard::new(contents, SimPins::default()).expect("holder 1 fits the card")
}
