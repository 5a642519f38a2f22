//! Differential test of the CRL entry walk (issue 11): random well-formed
//! CRLs, read by kakunin and by x509-parser (an eager, independent DER
//! parser), must give the same entries in the same order, field by field,
//! and both must give what the generator wrote. Python `cryptography` reads
//! a sample of the same CRLs as a second opinion.
//!
//! kakunin is read through the public API `kakunin ingest` uses: the walk
//! (`Crl::parse` + `Crl::entries`, which exposes every field, the
//! invalidity date and the certificateIssuer in effect included) and the
//! whole ingest (`ingest::verify_crl`, signature checked, into an index
//! that is then opened and looked up). CRLs are built by the test binary's
//! DER writer (`common::CrlTbs`, which the adversarial tests use too) and
//! signed with Ed25519 by ring, so that thousands of cases cost seconds.
//!
//! What the generator covers: serials of 1–20 magnitude bytes, zero,
//! high bits that need a leading zero octet, negative ones; revocation
//! dates in UTCTime (1950–2049) and GeneralizedTime (2050–9999) and on both
//! sides of the boundary; entries with and without extensions: reasonCode
//! (every RFC 5280 value but 7, removeFromCRL only in delta CRLs),
//! invalidityDate, certificateIssuer on indirect CRLs; v1 and v2 CRLs, delta
//! and not; revokedCertificates absent, and up to hundreds of entries in
//! random serial order (plus one CRL large enough for ingest's two-thread
//! walk). An empty revokedCertificates SEQUENCE is not well-formed (RFC
//! 5280 §5.1.2.6) and has its own test below.

use std::collections::HashSet;
use std::path::Path;
use std::process::Command;
use std::sync::OnceLock;

use kakunin_engine::crl::{Crl, CrlError};
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{verify_crl, IngestOptions};
use kakunin_engine::{CaCert, Serial, Timestamp};
use kakunin_testkit::der::{ext, tlv};
use kakunin_testkit::{openssl, path_str};
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use x509_parser::asn1_rs::{Any, Class, FromDer};
use x509_parser::num_bigint::{BigInt, Sign};
use x509_parser::oid_registry::Oid;
use x509_parser::revocation_list::{CertificateRevocationList, RevokedCertificate};
use x509_parser::x509::X509Version;

use crate::common::{CrlEntry, CrlTbs, CERTIFICATE_ISSUER};

/// Ed25519 AlgorithmIdentifier (RFC 8410): no parameters.
const ED25519: &[u8] = &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70];

/// 1950-01-01T00:00:00Z, 2050-01-01T00:00:00Z and 9999-12-31T23:59:59Z:
/// where UTCTime starts and ends, and where GeneralizedTime ends.
const UTC_FROM: i64 = -631_152_000;
const GENERALIZED_FROM: i64 = 2_524_608_000;
const LAST: i64 = 253_402_300_799;

/// The CA every CRL is signed by: an Ed25519 key made by `openssl req`.
struct Signer {
    ca: CaCert,
    key: ring::signature::Ed25519KeyPair,
    /// Names other CAs of an indirect CRL answer for.
    others: [Vec<u8>; 2],
}

fn signer() -> &'static Signer {
    static S: OnceLock<Signer> = OnceLock::new();
    S.get_or_init(|| {
        let dir = kakunin_testkit::tempdir();
        let p = |f: &str| dir.path().join(f);
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ed25519",
            "-nodes",
            "-days",
            "3650",
            "-keyout",
            path_str(&p("key.pem")),
            "-out",
            path_str(&p("ca.pem")),
            "-subj",
            "/C=JP/O=JPKI-TEST/OU=Differential CRL Issuer",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
        ]);
        openssl(&[
            "pkey",
            "-in",
            path_str(&p("key.pem")),
            "-outform",
            "DER",
            "-out",
            path_str(&p("key.der")),
        ]);
        let ca = CaCert::from_pem_or_der(&std::fs::read(p("ca.pem")).unwrap()).unwrap();
        let key = ring::signature::Ed25519KeyPair::from_pkcs8_maybe_unchecked(
            &std::fs::read(p("key.der")).unwrap(),
        )
        .unwrap();
        Signer {
            ca,
            key,
            others: [name("Other CA 1"), name("Other CA 2")],
        }
    })
}

/// `C=JP, O=JPKI-TEST, CN=<cn>`.
fn name(cn: &str) -> Vec<u8> {
    let rdn = |oid: u8, tag: u8, v: &str| {
        let atv = [tlv(0x06, &[0x55, 0x04, oid]), tlv(tag, v.as_bytes())].concat();
        tlv(0x31, &tlv(0x30, &atv))
    };
    let rdns = [
        rdn(6, 0x13, "JP"),
        rdn(10, 0x0c, "JPKI-TEST"),
        rdn(3, 0x0c, cn),
    ];
    tlv(0x30, &rdns.concat())
}

/// What the generator makes: a CRL's fields, signed on demand.
#[derive(Clone, Debug)]
struct Case {
    v2: bool,
    delta: bool,
    indirect: bool,
    crl_number: u64,
    this_update: i64,
    /// `None`: revokedCertificates absent.
    entries: Option<Vec<CrlEntry>>,
}

impl Case {
    fn der(&self) -> Vec<u8> {
        let s = signer();
        let mut exts = vec![];
        if self.v2 {
            let aki = tlv(0x30, &tlv(0x80, s.ca.key_id().as_bytes()));
            exts.push(ext(&[0x55, 0x1d, 0x23], false, &aki));
            let number = self.crl_number.to_be_bytes();
            exts.push(ext(
                &[0x55, 0x1d, 0x14],
                false,
                tlv(0x02, &minimal(&number)),
            ));
        }
        if self.delta {
            exts.push(ext(&[0x55, 0x1d, 0x1b], true, tlv(0x02, &[1])));
        }
        if self.indirect {
            // issuingDistributionPoint { indirectCRL [4] TRUE }
            exts.push(ext(
                &[0x55, 0x1d, 0x1c],
                true,
                tlv(0x30, &[0x84, 0x01, 0xff]),
            ));
        }
        CrlTbs {
            v2: self.v2,
            alg: ED25519,
            issuer: s.ca.subject_der(),
            this_update: self.this_update,
            next_update: self.this_update + 86_400,
            entries: self.entries.as_deref(),
            exts: &exts,
        }
        .signed(|tbs| s.key.sign(tbs).as_ref().to_vec())
    }
}

/// Non-negative INTEGER content of big-endian `magnitude`: leading zero
/// octets dropped, one put back when the top bit is set.
fn minimal(magnitude: &[u8]) -> Vec<u8> {
    let first = magnitude.iter().position(|&b| b != 0);
    let mut c = first.map_or(vec![], |i| magnitude[i..].to_vec());
    if c.first().is_none_or(|&b| b & 0x80 != 0) {
        c.insert(0, 0);
    }
    c
}

/// Negative INTEGER content from random octets: top bit set, redundant
/// leading 0xFF octets dropped.
fn negative(mut bytes: Vec<u8>) -> Vec<u8> {
    bytes[0] |= 0x80;
    let drop = bytes
        .windows(2)
        .take_while(|w| w[0] == 0xff && w[1] & 0x80 != 0)
        .count();
    bytes.split_off(drop)
}

fn serial() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(vec![0]),
        6 => vec(any::<u8>(), 1..=20).prop_map(|m| minimal(&m)),
        // The top bit set: the leading zero octet is needed.
        3 => vec(any::<u8>(), 1..=20).prop_map(|mut m| {
            m[0] |= 0x80;
            minimal(&m)
        }),
        2 => vec(any::<u8>(), 1..=20).prop_map(negative),
    ]
}

/// A revocationDate: either encoding, and the edges between them.
fn x509_date() -> impl Strategy<Value = i64> {
    prop_oneof![
        6 => UTC_FROM..GENERALIZED_FROM,
        3 => GENERALIZED_FROM..=LAST,
        1 => prop::sample::select(vec![
            UTC_FROM,
            GENERALIZED_FROM - 1,
            GENERALIZED_FROM,
            LAST,
        ]),
    ]
}

/// Which issuer an entry's certificateIssuer names: 0 the CRL issuer,
/// 1 and 2 the other CAs.
type IssuerPick = Option<u8>;

fn entry(v2: bool, delta: bool, indirect: bool) -> impl Strategy<Value = CrlEntry> {
    // Every RFC 5280 CRLReason but the unused 7; removeFromCRL (8) only
    // where §5.3.1 allows it.
    let reasons: Vec<u8> = [0, 1, 2, 3, 4, 5, 6, 8, 9, 10]
        .into_iter()
        .filter(|&r| r != 8 || delta)
        .collect();
    let exts = if v2 {
        (
            prop::option::of(prop::sample::select(reasons)),
            // invalidityDate is a GeneralizedTime of any year.
            prop::option::weighted(0.3, -2_208_988_800..=LAST),
            if indirect {
                prop::option::weighted(0.3, 0..3u8).boxed()
            } else {
                Just(None).boxed()
            },
        )
            .boxed()
    } else {
        Just((None, None, None)).boxed()
    };
    (serial(), x509_date(), exts).prop_map(|(serial, revoked_at, (reason, inv, ci))| CrlEntry {
        serial,
        revoked_at,
        reason,
        invalidity_date: inv,
        certificate_issuer: pick_issuer(ci),
    })
}

fn pick_issuer(pick: IssuerPick) -> Option<Vec<u8>> {
    let s = signer();
    pick.map(|i| match i {
        0 => s.ca.subject_der().to_vec(),
        i => s.others[usize::from(i) - 1].clone(),
    })
}

fn case_with(sizes: impl Strategy<Value = usize>) -> impl Strategy<Value = Case> {
    let shape = (any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(v2, d, i)| {
        // v1 CRLs have no extensions, so neither delta nor indirect.
        (v2, v2 && d, v2 && i)
    });
    (shape, sizes).prop_flat_map(|((v2, delta, indirect), n)| {
        (
            Just((v2, delta, indirect)),
            any::<u64>(),
            prop_oneof![UTC_FROM..GENERALIZED_FROM, GENERALIZED_FROM..LAST - 86_400],
            vec(entry(v2, delta, indirect), n),
        )
            .prop_map(
                |((v2, delta, indirect), crl_number, this_update, entries)| {
                    // Serials are unique within a CRL: a repeated one is the
                    // index's "first listing wins", not the walk's business.
                    let mut seen = HashSet::new();
                    let entries: Vec<CrlEntry> = entries
                        .into_iter()
                        .filter(|e| seen.insert(e.serial.clone()))
                        .collect();
                    Case {
                        v2,
                        delta,
                        indirect,
                        crl_number,
                        this_update,
                        entries: (!entries.is_empty()).then_some(entries),
                    }
                },
            )
    })
}

fn case() -> impl Strategy<Value = Case> {
    case_with(prop_oneof![
        1 => Just(0usize),
        6 => 1..8usize,
        3 => 8..64usize,
        1 => 64..600usize,
    ])
}

/// One entry in common terms: what each reader says.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    serial: BigInt,
    revoked_at: i64,
    reason: Option<u8>,
    invalidity_date: Option<i64>,
    /// The certificateIssuer in effect (§5.3.3: it holds for the entries
    /// after it until the next one), as the Name's DER.
    certificate_issuer: Option<Vec<u8>>,
}

/// The content of a TLV (strips the tag and length), by asn1-rs.
fn content_of(der: &[u8]) -> Vec<u8> {
    let (rest, any) = Any::from_der(der).expect("a TLV");
    assert!(rest.is_empty(), "one TLV");
    any.data.to_vec()
}

/// The Name of a GeneralNames content holding one directoryName `[4]`.
fn directory_name(general_names_content: &[u8]) -> Vec<u8> {
    let (rest, gn) = Any::from_der(general_names_content).expect("a GeneralName");
    assert!(rest.is_empty(), "one GeneralName");
    let header = &gn.header;
    assert_eq!(
        (header.class(), header.tag().0, header.is_constructed()),
        (Class::ContextSpecific, 4, true),
        "a directoryName"
    );
    gn.data.to_vec()
}

/// What the generator wrote, with §5.3.3's carrying forward.
fn truth(case: &Case) -> Vec<Seen> {
    let mut issuer = None;
    case.entries
        .iter()
        .flatten()
        .map(|e| {
            if e.certificate_issuer.is_some() {
                issuer.clone_from(&e.certificate_issuer);
            }
            Seen {
                serial: BigInt::from_signed_bytes_be(&e.serial),
                revoked_at: e.revoked_at,
                reason: e.reason,
                invalidity_date: e.invalidity_date,
                certificate_issuer: issuer.clone(),
            }
        })
        .collect()
}

/// What x509-parser reads.
fn x509_parser_view(crl: &CertificateRevocationList<'_>) -> Vec<Seen> {
    let ci_oid = Oid::new(CERTIFICATE_ISSUER.into());
    let mut issuer = None;
    crl.iter_revoked_certificates()
        .map(|r: &RevokedCertificate<'_>| {
            if let Some(e) = r.find_extension(&ci_oid) {
                assert!(e.critical, "certificateIssuer is critical");
                issuer = Some(directory_name(&content_of(e.value)));
            }
            Seen {
                serial: BigInt::from_signed_bytes_be(r.raw_serial()),
                revoked_at: r.revocation_date.timestamp(),
                reason: r.reason_code().map(|(_, c)| c.0),
                invalidity_date: r.invalidity_date().map(|(_, t)| t.timestamp()),
                certificate_issuer: issuer.clone(),
            }
        })
        .collect()
}

/// Signed hex as kakunin prints it (`-` for negative) as a number.
fn hex_value(hex: &str) -> BigInt {
    let (sign, digits) = match hex.strip_prefix('-') {
        Some(d) => (Sign::Minus, d),
        None => (Sign::Plus, hex),
    };
    let magnitude = BigInt::parse_bytes(digits.as_bytes(), 16).expect("hex");
    if sign == Sign::Minus {
        -magnitude
    } else {
        magnitude
    }
}

/// What kakunin's walk reads; also checks that its canonical serial bytes
/// are the DER content octets x509-parser saw (`raw`).
fn kakunin_view(crl: &Crl<'_>, raw: &[Vec<u8>]) -> Result<Vec<Seen>, TestCaseError> {
    let mut walk = crl.entries();
    let mut out = vec![];
    while let Some(e) = walk.next() {
        let e = e.map_err(|e| TestCaseError::fail(format!("entry {}: {e}", out.len())))?;
        let i = out.len();
        prop_assert_eq!(
            Some(e.serial.as_der_content()),
            raw.get(i).map(Vec::as_slice),
            "entry {}: serial content octets",
            i
        );
        out.push(Seen {
            serial: hex_value(&e.serial.to_hex()),
            revoked_at: e.revoked_at.unix(),
            reason: e.reason.map(|r| r.code()),
            invalidity_date: e.invalidity_date.map(Timestamp::unix),
            certificate_issuer: walk.certificate_issuer().map(directory_name),
        });
    }
    Ok(out)
}

/// Field by field, in order: `ours` against `theirs`.
fn same_entries(who: &str, ours: &[Seen], theirs: &[Seen]) -> Result<(), TestCaseError> {
    for (i, (a, b)) in ours.iter().zip(theirs).enumerate() {
        prop_assert_eq!(&a.serial, &b.serial, "entry {}: serial, {}", i, who);
        prop_assert_eq!(
            a.revoked_at,
            b.revoked_at,
            "entry {}: revocationDate, {}",
            i,
            who
        );
        prop_assert_eq!(a.reason, b.reason, "entry {}: reasonCode, {}", i, who);
        prop_assert_eq!(
            a.invalidity_date,
            b.invalidity_date,
            "entry {}: invalidityDate, {}",
            i,
            who
        );
        prop_assert_eq!(
            &a.certificate_issuer,
            &b.certificate_issuer,
            "entry {}: certificateIssuer, {}",
            i,
            who
        );
    }
    prop_assert_eq!(ours.len(), theirs.len(), "entry count, {}", who);
    Ok(())
}

/// The whole comparison for one case; returns kakunin's view.
fn check(case: &Case, der: &[u8]) -> Result<Vec<Seen>, TestCaseError> {
    let (rest, x) = CertificateRevocationList::from_der(der)
        .map_err(|e| TestCaseError::fail(format!("x509-parser refuses the CRL: {e}")))?;
    prop_assert!(rest.is_empty());
    let crl = Crl::parse(der).map_err(|e| TestCaseError::fail(format!("kakunin: {e}")))?;

    // The header, as far as the walk depends on it.
    let x_v2 = x.version() == Some(X509Version::V2);
    prop_assert_eq!((crl.is_v2(), x_v2), (case.v2, case.v2), "version");
    prop_assert_eq!(crl.issuer_der(), x.issuer().as_raw(), "issuer");
    prop_assert_eq!(crl.this_update().unix(), x.last_update().timestamp());
    prop_assert_eq!(
        crl.next_update().map(Timestamp::unix),
        x.next_update().map(|t| t.timestamp())
    );
    prop_assert_eq!(
        crl.number().map(|n| n.to_string()),
        x.crl_number().map(|n| n.to_string()),
        "cRLNumber"
    );
    prop_assert_eq!(crl.is_delta(), case.delta);
    prop_assert_eq!(crl.scope().indirect, case.indirect);

    let raw: Vec<Vec<u8>> = x
        .iter_revoked_certificates()
        .map(|r| r.raw_serial().to_vec())
        .collect();
    let theirs = x509_parser_view(&x);
    same_entries("x509-parser vs the generator", &theirs, &truth(case))?;
    let ours = kakunin_view(&crl, &raw)?;
    same_entries("kakunin vs x509-parser", &ours, &theirs)?;
    check_ingest(case, der, &theirs)?;
    Ok(ours)
}

/// `kakunin ingest`'s path: the CRL verified (signature included) into an
/// index, which must answer for exactly the CRL issuer's own entries.
fn check_ingest(case: &Case, der: &[u8], theirs: &[Seen]) -> Result<(), TestCaseError> {
    let s = signer();
    let opts = IngestOptions {
        now: Timestamp::from_unix(case.this_update),
        max_clock_skew: 0,
    };
    let (bytes, report) = verify_crl(der, &s.ca, &opts, &|_, _| {})
        .and_then(|v| v.into_index_bytes())
        .map_err(|e| TestCaseError::fail(format!("ingest: {e}")))?;
    let index =
        SerialIndex::from_bytes(bytes).map_err(|e| TestCaseError::fail(format!("index: {e}")))?;
    let own_issuer = Some(s.ca.subject_der().to_vec());
    let mut own = 0;
    for (i, e) in theirs.iter().enumerate() {
        let serial = Serial::from_der_content(&e.serial.to_signed_bytes_be())
            .map_err(|e| TestCaseError::fail(format!("entry {i}: {e}")))?;
        let hit = index.lookup(&serial);
        if e.certificate_issuer.is_none() || e.certificate_issuer == own_issuer {
            own += 1;
            let hit = hit.ok_or_else(|| TestCaseError::fail(format!("entry {i}: not indexed")))?;
            prop_assert_eq!(
                hit.revoked_at.unix(),
                e.revoked_at,
                "entry {}: indexed date",
                i
            );
            prop_assert_eq!(
                hit.reason.map(|r| r.code()),
                e.reason,
                "entry {}: indexed reason",
                i
            );
        } else {
            prop_assert!(hit.is_none(), "entry {}: another CA's entry is indexed", i);
        }
    }
    prop_assert_eq!(report.stats.entries, own, "indexed entries");
    prop_assert_eq!(
        report.other_issuer_entries,
        theirs.len() as u64 - own,
        "other issuers' entries"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn crl_differential_walk_agrees_with_x509_parser(case in case()) {
        check(&case, &case.der())?;
    }
}

/// Cases from a fixed seed, outside `proptest!`.
fn fixed_cases(strategy: impl Strategy<Value = Case>) -> impl Iterator<Item = Case> {
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]);
    let mut runner = TestRunner::new_with_rng(Config::default(), rng);
    std::iter::repeat_with(move || strategy.new_tree(&mut runner).expect("a case").current())
}

/// More than 4 MiB of entries: ingest walks the list on two threads from
/// a guessed entry boundary, and must still agree entry for entry.
#[test]
fn crl_differential_large_crl_walked_on_two_threads_agrees() {
    // v2, for entries with extensions (size), and not indirect: an
    // indirect CRL is walked on one thread.
    let case = fixed_cases(case_with(Just(110_000usize)))
        .find(|c| c.v2 && !c.indirect)
        .expect("a v2 CRL");
    let der = case.der();
    let crl = Crl::parse(&der).unwrap();
    assert!(
        crl.entries_len_bytes() > 4 << 20,
        "{}",
        crl.entries_len_bytes()
    );
    let ours = check(&case, &der).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ours.len(), case.entries.map_or(0, |e| e.len()));
}

/// revokedCertificates present but empty: §5.1.2.6 says "When there are no
/// revoked certificates, the revoked certificates list MUST be absent".
/// x509-parser reads it as no entries; kakunin refuses the CRL with an
/// error naming the rule, as documented. The oracle is the lenient one
/// here: a CRL made this way is not the CRL of a conforming CA, and
/// kakunin does not guess.
#[test]
fn crl_differential_empty_revoked_certificates_is_refused_not_misread() {
    for v2 in [false, true] {
        let mut case = fixed_cases(case_with(Just(0usize))).next().expect("a case");
        case.v2 = v2;
        case.delta = false;
        case.indirect = false;
        let absent = case.der();
        case.entries = Some(vec![]);
        let empty = case.der();
        let (_, x) = CertificateRevocationList::from_der(&empty).unwrap();
        assert_eq!(x.iter_revoked_certificates().count(), 0);
        assert!(matches!(
            Crl::parse(&empty),
            Err(CrlError::EmptyRevokedCertificates)
        ));
        check(
            &Case {
                entries: None,
                ..case
            },
            &absent,
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
}

/// Python `cryptography` (the version CI installs) as a second opinion on
/// 300 of the generated CRLs, read in one `python3` run.
#[test]
fn crl_differential_python_cryptography_agrees() {
    if !kakunin_testkit::python_has("cryptography.x509") {
        return;
    }
    let dir = kakunin_testkit::tempdir();
    let cases: Vec<Case> = fixed_cases(case()).take(300).collect();
    let mut ours = vec![];
    for (i, case) in cases.iter().enumerate() {
        let der = case.der();
        std::fs::write(dir.path().join(format!("{i}.der")), &der).unwrap();
        ours.push(check(case, &der).unwrap_or_else(|e| panic!("case {i}: {e}\n{case:?}")));
    }
    let theirs = python_view(dir.path(), cases.len());
    for (i, (ours, theirs)) in ours.iter().zip(&theirs).enumerate() {
        same_entries("kakunin vs Python cryptography", ours, theirs)
            .unwrap_or_else(|e| panic!("case {i}: {e}\n{:?}", cases[i]));
    }
}

const PYTHON_READER: &str = r#"
import json, sys
from cryptography import x509
CODES = {"unspecified": 0, "key_compromise": 1, "ca_compromise": 2,
         "affiliation_changed": 3, "superseded": 4,
         "cessation_of_operation": 5, "certificate_hold": 6,
         "remove_from_crl": 8, "privilege_withdrawn": 9, "aa_compromise": 10}
def ext(r, cls):
    try:
        return r.extensions.get_extension_for_class(cls).value
    except x509.ExtensionNotFound:
        return None
out = []
for i in range(int(sys.argv[2])):
    crl = x509.load_der_x509_crl(open(f"{sys.argv[1]}/{i}.der", "rb").read())
    entries = []
    for r in crl:
        reason = ext(r, x509.CRLReason)
        inv = ext(r, x509.InvalidityDate)
        ci = ext(r, x509.CertificateIssuer)
        names = None if ci is None else ci.get_values_for_type(x509.DirectoryName)
        entries.append({
            "serial": str(r.serial_number),
            "revoked_at": int(r.revocation_date_utc.timestamp()),
            "reason": None if reason is None else CODES[reason.reason.name],
            "invalidity_date": None if inv is None
                else int(inv.invalidity_date_utc.timestamp()),
            "certificate_issuer": None if names is None
                else [n.public_bytes().hex() for n in names],
        })
    out.append(entries)
json.dump(out, sys.stdout)
"#;

/// Python `cryptography`'s reading of `dir/0.der` … (serials as decimal
/// text: they may exceed every JSON number type).
fn python_view(dir: &Path, count: usize) -> Vec<Vec<Seen>> {
    let out = Command::new("python3")
        .args(["-c", PYTHON_READER, path_str(dir), &count.to_string()])
        .output()
        .expect("run python3");
    assert!(
        out.status.success(),
        "python3: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let all: serde_json::Value = serde_json::from_str(&text).unwrap();
    all.as_array()
        .unwrap()
        .iter()
        .map(|crl| {
            let mut issuer = None;
            crl.as_array()
                .unwrap()
                .iter()
                .map(|e| {
                    if let Some(names) = e["certificate_issuer"].as_array() {
                        assert_eq!(names.len(), 1, "one directoryName: {e}");
                        issuer = Some(hex::decode(names[0].as_str().unwrap()).unwrap());
                    }
                    Seen {
                        serial: e["serial"].as_str().unwrap().parse().unwrap(),
                        revoked_at: e["revoked_at"].as_i64().unwrap(),
                        reason: e["reason"].as_u64().map(|r| r as u8),
                        invalidity_date: e["invalidity_date"].as_i64(),
                        certificate_issuer: issuer.clone(),
                    }
                })
                .collect()
        })
        .collect()
}
