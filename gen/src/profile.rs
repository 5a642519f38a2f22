//! The JPKI certificate profile: CA, OCSP responder and end-entity
//! certificates shaped as the two J-LIS CAs issue them. Everything is
//! RFC 5280 X.509 v3 signed with sha256WithRSAEncryption.

use super::der_writer::{tag, DerWriter};
use super::keys::Key;
use super::people::Person;
use super::GenError;

/// sha256WithRSAEncryption
pub(crate) const SHA256_WITH_RSA: &[u64] = &[1, 2, 840, 113549, 1, 1, 11];
const RSA_ENCRYPTION: &[u64] = &[1, 2, 840, 113549, 1, 1, 1];
const AT_C: &[u64] = &[2, 5, 4, 6];
const AT_L: &[u64] = &[2, 5, 4, 7];
const AT_O: &[u64] = &[2, 5, 4, 10];
const AT_OU: &[u64] = &[2, 5, 4, 11];
const AT_CN: &[u64] = &[2, 5, 4, 3];
const EXT_SKI: &[u64] = &[2, 5, 29, 14];
const EXT_KEY_USAGE: &[u64] = &[2, 5, 29, 15];
const EXT_SAN: &[u64] = &[2, 5, 29, 17];
const EXT_IAN: &[u64] = &[2, 5, 29, 18];
const EXT_BASIC_CONSTRAINTS: &[u64] = &[2, 5, 29, 19];
const EXT_CRL_DP: &[u64] = &[2, 5, 29, 31];
const EXT_POLICIES: &[u64] = &[2, 5, 29, 32];
/// authorityKeyIdentifier (also a CRL extension).
pub(crate) const EXT_AKI: &[u64] = &[2, 5, 29, 35];
const EXT_EKU: &[u64] = &[2, 5, 29, 37];
const EXT_AIA: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 1, 1];
const KP_OCSP_SIGNING: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 3, 9];
const OCSP_NOCHECK: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 5];
const AD_OCSP: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1];
/// The JPKI arc for the basic facts in the signing certificate's SAN.
const JPKI_FACTS: [u64; 8] = [1, 2, 392, 200149, 8, 5, 5, 0];
/// Certificate policy of signing certificates (JPKI-like arc
/// 1.2.392.200149.8.5.1).
const POLICY_SIGN: &[u64] = &[1, 2, 392, 200149, 8, 5, 1, 1, 10];
/// Certificate policy of authentication certificates.
const POLICY_AUTH: &[u64] = &[1, 2, 392, 200149, 8, 5, 1, 3, 30];

/// Which of the two JPKI CAs.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum CaKind {
    /// 署名用: digital signature.
    Sign,
    /// 利用者証明用: user authentication.
    Auth,
}

impl CaKind {
    /// Both CAs, signing first: the order in which every output file that
    /// covers both (expected.jsonl, ocsp.pem) lists them.
    pub(crate) const ALL: [CaKind; 2] = [CaKind::Sign, CaKind::Auth];

    /// `sign` / `auth`, as file names and expected.jsonl use it.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CaKind::Sign => "sign",
            CaKind::Auth => "auth",
        }
    }

    fn ou(self) -> &'static str {
        match self {
            CaKind::Sign => "JPKI for digital signature",
            CaKind::Auth => "JPKI for user authentication",
        }
    }

    /// Where relying parties fetch this CA's CRL.
    pub(crate) fn crl_url(self) -> String {
        format!("http://crl.jpki.example/{}.crl", self.as_str())
    }
}

/// How an attribute value is encoded.
#[derive(Clone, Copy)]
enum Str {
    Printable,
    Utf8,
}

/// A Name (RDNSequence) with one attribute per RDN.
fn name(attrs: &[(&[u64], Str, &str)]) -> Vec<u8> {
    let mut w = DerWriter::new();
    w.sequence(|w| {
        for (oid, kind, value) in attrs {
            w.set(|w| {
                w.sequence(|w| {
                    w.oid(oid);
                    match kind {
                        Str::Printable => w.printable(value),
                        Str::Utf8 => w.utf8(value),
                    }
                })
            })
        }
    });
    w.finish()
}

/// The CA's distinguished name (issuer = subject: the CAs are roots).
pub(crate) fn ca_name(kind: CaKind) -> Vec<u8> {
    name(&[
        (AT_C, Str::Printable, "JP"),
        (AT_O, Str::Printable, "JPKI"),
        (AT_OU, Str::Printable, kind.ou()),
        (
            AT_OU,
            Str::Printable,
            "Japan Agency for Local Authority Information Systems",
        ),
    ])
}

/// One Extension: SEQUENCE { extnID, critical DEFAULT FALSE, extnValue }.
fn extension(w: &mut DerWriter, oid: &[u64], critical: bool, value: impl FnOnce(&mut DerWriter)) {
    w.sequence(|w| {
        w.oid(oid);
        if critical {
            w.boolean(true);
        }
        w.octet_string_with(value);
    })
}

fn aki(w: &mut DerWriter, issuer_key_id: &[u8]) {
    extension(w, EXT_AKI, false, |w| {
        w.sequence(|w| w.context_primitive(0, issuer_key_id))
    });
}

fn ski(w: &mut DerWriter, key_id: &[u8]) {
    extension(w, EXT_SKI, false, |w| w.octet_string(key_id));
}

/// AlgorithmIdentifier for sha256WithRSAEncryption (parameters NULL).
pub(crate) fn sig_alg(w: &mut DerWriter) {
    w.sequence(|w| {
        w.oid(SHA256_WITH_RSA);
        w.null();
    })
}

/// What varies between certificates; the rest is fixed by the profile.
pub(crate) struct TbsParts<'a> {
    /// Serial number.
    pub serial: u64,
    /// Issuer Name DER.
    pub issuer: &'a [u8],
    /// notBefore (Unix seconds).
    pub not_before: i64,
    /// notAfter (Unix seconds).
    pub not_after: i64,
    /// Subject Name DER.
    pub subject: &'a [u8],
    /// Subject's RSAPublicKey DER.
    pub public_key: &'a [u8],
}

/// Builds, signs and returns a certificate's DER. `extensions` writes the
/// Extension SEQUENCEs.
pub(crate) fn certificate(
    parts: &TbsParts<'_>,
    issuer_key: &Key,
    extensions: impl FnOnce(&mut DerWriter),
) -> Result<Vec<u8>, GenError> {
    let mut w = DerWriter::new();
    w.sequence(|w| {
        w.context(0, |w| w.integer_u64(2)); // v3
        w.integer_u64(parts.serial);
        sig_alg(w);
        w.raw(parts.issuer);
        w.sequence(|w| {
            w.time(parts.not_before);
            w.time(parts.not_after);
        });
        w.raw(parts.subject);
        w.sequence(|w| {
            w.sequence(|w| {
                w.oid(RSA_ENCRYPTION);
                w.null();
            });
            w.bit_string(parts.public_key);
        });
        w.context(3, |w| w.sequence(extensions));
    });
    let tbs = w.finish();
    let sig = issuer_key.sign(&tbs)?;
    let mut w = DerWriter::new();
    w.sequence(|w| {
        w.raw(&tbs);
        sig_alg(w);
        w.bit_string(&sig);
    });
    Ok(w.finish())
}

/// A self-signed JPKI root CA certificate.
pub(crate) fn ca_certificate(
    kind: CaKind,
    key: &Key,
    serial: u64,
    not_before: i64,
    not_after: i64,
) -> Result<Vec<u8>, GenError> {
    let dn = ca_name(kind);
    let parts = TbsParts {
        serial,
        issuer: &dn,
        not_before,
        not_after,
        subject: &dn,
        public_key: key.public_key_der(),
    };
    certificate(&parts, key, |w| {
        extension(w, EXT_BASIC_CONSTRAINTS, true, |w| {
            w.sequence(|w| w.boolean(true))
        });
        // keyCertSign (5) + cRLSign (6)
        extension(w, EXT_KEY_USAGE, true, |w| w.named_bits(&[5, 6]));
        ski(w, key.key_id());
    })
}

/// A delegated OCSP responder certificate (RFC 6960 §4.2.2.2) issued by the
/// CA of `kind` for `responder`.
pub(crate) fn ocsp_certificate(
    kind: CaKind,
    ca_key: &Key,
    responder: &Key,
    serial: u64,
    not_before: i64,
    not_after: i64,
) -> Result<Vec<u8>, GenError> {
    let issuer = ca_name(kind);
    let cn = format!("JPKI OCSP Responder ({})", kind.ou());
    let subject = name(&[
        (AT_C, Str::Printable, "JP"),
        (AT_O, Str::Printable, "JPKI"),
        (AT_OU, Str::Printable, kind.ou()),
        (AT_CN, Str::Printable, &cn),
    ]);
    let parts = TbsParts {
        serial,
        issuer: &issuer,
        not_before,
        not_after,
        subject: &subject,
        public_key: responder.public_key_der(),
    };
    certificate(&parts, ca_key, |w| {
        extension(w, EXT_KEY_USAGE, true, |w| w.named_bits(&[0]));
        extension(w, EXT_EKU, false, |w| {
            w.sequence(|w| w.oid(KP_OCSP_SIGNING))
        });
        // id-pkix-ocsp-nocheck: the value is NULL (RFC 6960 §4.2.2.2.1).
        extension(w, OCSP_NOCHECK, false, |w| w.null());
        aki(w, ca_key.key_id());
        ski(w, responder.key_id());
    })
}

/// The facts written into a signing certificate's SAN, as strings exactly
/// as they are encoded.
pub(crate) struct Facts<'a> {
    /// The person (name, sex, address and their alt-char positions).
    pub person: &'a Person,
    /// Era digit + Gregorian YYYYMMDD.
    pub birth_date: &'a str,
}

/// An end-entity certificate as a My Number Card carries it.
pub(crate) struct Leaf<'a> {
    /// Which CA issues it.
    pub kind: CaKind,
    /// Serial number.
    pub serial: u64,
    /// Opaque subject CN (never a My Number).
    pub cn: &'a str,
    /// notBefore / notAfter.
    pub not_before: i64,
    /// notAfter
    pub not_after: i64,
    /// Holder facts (used for the signing certificate only).
    pub facts: Facts<'a>,
}

/// Builds a JPKI end-entity certificate (signing or authentication).
pub(crate) fn leaf_certificate(
    leaf: &Leaf<'_>,
    subject_key: &Key,
    ca_key: &Key,
) -> Result<Vec<u8>, GenError> {
    let issuer = ca_name(leaf.kind);
    let subject = match leaf.kind {
        CaKind::Sign => name(&[
            (AT_C, Str::Printable, "JP"),
            (AT_L, Str::Printable, leaf.facts.person.prefecture_romaji),
            (AT_L, Str::Printable, leaf.facts.person.city_romaji),
            (AT_CN, Str::Printable, leaf.cn),
        ]),
        CaKind::Auth => name(&[(AT_CN, Str::Printable, leaf.cn)]),
    };
    let parts = TbsParts {
        serial: leaf.serial,
        issuer: &issuer,
        not_before: leaf.not_before,
        not_after: leaf.not_after,
        subject: &subject,
        public_key: subject_key.public_key_der(),
    };
    let jpki_o = name(&[
        (AT_C, Str::Printable, "JP"),
        (AT_O, Str::Utf8, "公的個人認証サービス"),
    ]);
    certificate(&parts, ca_key, |w| {
        match leaf.kind {
            // digitalSignature (0) + nonRepudiation (1)
            CaKind::Sign => extension(w, EXT_KEY_USAGE, true, |w| w.named_bits(&[0, 1])),
            CaKind::Auth => extension(w, EXT_KEY_USAGE, true, |w| w.named_bits(&[0])),
        }
        if leaf.kind == CaKind::Sign {
            let p = leaf.facts.person;
            let values: [(u64, Str, &str); 6] = [
                (1, Str::Utf8, &p.name),
                (2, Str::Printable, &p.name_alt),
                (3, Str::Printable, p.sex),
                (4, Str::Printable, leaf.facts.birth_date),
                (5, Str::Utf8, &p.address),
                (6, Str::Printable, &p.address_alt),
            ];
            extension(w, EXT_SAN, false, |w| {
                w.sequence(|w| {
                    for (arc, kind, value) in values {
                        let mut oid = JPKI_FACTS;
                        oid[7] = arc;
                        // otherName [0] IMPLICIT SEQUENCE { type-id, [0] EXPLICIT value }
                        w.context(0, |w| {
                            w.oid(&oid);
                            w.context(0, |w| match kind {
                                Str::Utf8 => w.utf8(value),
                                Str::Printable => w.tlv(tag::PRINTABLE_STRING, value.as_bytes()),
                            });
                        });
                    }
                })
            });
        }
        // IssuerAltName: directoryName [4] (EXPLICIT: Name is a CHOICE).
        extension(w, EXT_IAN, false, |w| {
            w.sequence(|w| w.context(4, |w| w.raw(&jpki_o)))
        });
        aki(w, ca_key.key_id());
        ski(w, subject_key.key_id());
        extension(w, EXT_CRL_DP, false, |w| {
            w.sequence(|w| {
                w.sequence(|w| {
                    // distributionPoint [0] { fullName [0] { URI [6] } }
                    w.context(0, |w| {
                        w.context(0, |w| {
                            w.context_primitive(6, leaf.kind.crl_url().as_bytes())
                        })
                    })
                })
            })
        });
        extension(w, EXT_AIA, false, |w| {
            w.sequence(|w| {
                w.sequence(|w| {
                    w.oid(AD_OCSP);
                    w.context_primitive(6, b"http://ocsp.jpki.example/");
                })
            })
        });
        let policy = match leaf.kind {
            CaKind::Sign => POLICY_SIGN,
            CaKind::Auth => POLICY_AUTH,
        };
        extension(w, EXT_POLICIES, false, |w| {
            w.sequence(|w| w.sequence(|w| w.oid(policy)))
        });
    })
}
