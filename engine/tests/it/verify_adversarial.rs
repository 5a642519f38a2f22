//! Adversarial revocation cases: CRLs that must not answer for a
//! certificate, or must not answer "good". Every PKI is made with the
//! `openssl` CLI; CRLs `openssl ca` cannot make (certificateIssuer
//! entries, hand-picked extensions) are assembled here and signed by
//! `openssl dgst -sign`. Wherever OpenSSL can judge the case,
//! `openssl verify -crl_check_all [-use_deltas] [-extended_crl]` is the
//! oracle (mapping as in `verify_openssl.rs`); every case is also run from
//! raw CRLs and from indexes made by `ingest`, which must agree.

use std::path::{Path, PathBuf};

use kakunin_engine::verify::{Status, Verdict, VerifierBuilder};
use kakunin_engine::{CaCert, Timestamp};
use kakunin_testkit::der::{ext, tlv};
use kakunin_testkit::{der_of, openssl, path_str, try_openssl, IndexCa, Kind, Lab};

use crate::common::{kind_of, CrlEntry, CrlTbs, Inputs};

/// Extension sections besides the lab's `root`, `inter` and `leaf`.
const EXTS: &str = "\
[inter_dp]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.example.test/ca.crl
[crl_signer]
basicConstraints = critical, CA:false
keyUsage = critical, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[crl_signer_noku]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_dp1]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = URI:http://crl.example.test/p1.crl
[leaf_dp12]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = dp1, dp2
[dp1]
fullname = URI:http://crl.example.test/p1.crl
reasons = keyCompromise, CACompromise
[dp2]
fullname = URI:http://crl.example.test/p2.crl
[leaf_indirect]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
crlDistributionPoints = dpi
[dpi]
fullname = URI:http://crl.example.test/indirect.crl
CRLissuer = dirName:crl_issuer_dn
[crl_issuer_dn]
C = JP
O = JPKI-TEST
OU = Indirect CRL Issuer
";

/// CRLs `openssl ca` cannot make.
trait CustomCrl {
    /// A CRL assembled here and signed by `ca`'s key: `entries` are
    /// (serial, reasonCode, certificateIssuer Name DER), `exts` are
    /// whole Extension TLVs besides authorityKeyIdentifier.
    fn custom_crl(
        &mut self,
        ca: &IndexCa,
        this_update: i64,
        next_update: i64,
        entries: &[Entry],
        exts: &[Vec<u8>],
    ) -> PathBuf;
}

impl CustomCrl for Lab {
    fn custom_crl(
        &mut self,
        ca: &IndexCa,
        this_update: i64,
        next_update: i64,
        entries: &[Entry],
        exts: &[Vec<u8>],
    ) -> PathBuf {
        let ca_cert = CaCert::from_der(&der_of(&ca.cert)).unwrap();
        let alg = tlv(
            0x30,
            &[
                &[
                    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
                ][..],
                &[0x05, 0x00],
            ]
            .concat(),
        );
        let entries: Vec<CrlEntry> = entries
            .iter()
            .map(|(serial, reason, ci)| CrlEntry {
                serial: serial.clone(),
                revoked_at: this_update - 60,
                reason: *reason,
                invalidity_date: None,
                certificate_issuer: ci.clone(),
            })
            .collect();
        let aki = ext(
            &[0x55, 0x1d, 0x23],
            false,
            tlv(0x30, &tlv(0x80, ca_cert.key_id().as_bytes())),
        );
        let all_exts: Vec<Vec<u8>> = std::iter::once(aki).chain(exts.iter().cloned()).collect();
        let tbs = CrlTbs {
            v2: true,
            alg: &alg,
            issuer: ca_cert.subject_der(),
            this_update,
            next_update,
            entries: (!entries.is_empty()).then_some(&entries[..]),
            exts: &all_exts,
        };
        let tbs_file = self.path("tbs.der");
        let sig_file = self.path("sig.bin");
        let crl = tbs.signed(|tbs| {
            std::fs::write(&tbs_file, tbs).unwrap();
            openssl(&[
                "dgst",
                "-sha256",
                "-sign",
                path_str(&ca.key),
                "-out",
                path_str(&sig_file),
                path_str(&tbs_file),
            ]);
            std::fs::read(&sig_file).unwrap()
        });
        let der_file = self.path("crl.der");
        std::fs::write(&der_file, &crl).unwrap();
        let pem = self.path("crl.pem");
        openssl(&[
            "crl",
            "-inform",
            "DER",
            "-in",
            path_str(&der_file),
            "-out",
            path_str(&pem),
        ]);
        pem
    }
}

/// A CRL entry: serial (INTEGER content), reasonCode, certificateIssuer
/// (a Name's DER).
type Entry = (Vec<u8>, Option<u8>, Option<Vec<u8>>);

fn crl_number(n: u8) -> Vec<u8> {
    ext(&[0x55, 0x1d, 0x14], false, tlv(0x02, &[n]))
}

fn delta_indicator(base: u8) -> Vec<u8> {
    ext(&[0x55, 0x1d, 0x1b], true, tlv(0x02, &[base]))
}

/// issuingDistributionPoint with the given content (fields, already
/// tagged).
fn idp(content: &[u8]) -> Vec<u8> {
    ext(&[0x55, 0x1d, 0x1c], true, tlv(0x30, content))
}

/// IDP distributionPoint [0] { fullName [0] { URI } }.
fn idp_uri(uri: &str) -> Vec<u8> {
    tlv(0xa0, &tlv(0xa0, &tlv(0x86, uri.as_bytes())))
}

/// IDP onlySomeReasons [3] with ReasonFlags bits (bit n = 1 << n).
fn only_some_reasons(mask: u16) -> Vec<u8> {
    // Named BIT STRING, DER: trailing zero bits dropped.
    let bytes = [
        (mask as u8).reverse_bits(),
        ((mask >> 8) as u8).reverse_bits(),
    ];
    let len = if bytes[1] != 0 { 2 } else { 1 };
    let last = bytes[len - 1];
    let unused = if last == 0 {
        0
    } else {
        last.trailing_zeros() as u8
    };
    let mut c = vec![unused];
    c.extend_from_slice(&bytes[..len]);
    tlv(0x83, &c)
}

/// The serial of a certificate, as INTEGER content.
fn serial_of(cert: &Path) -> Vec<u8> {
    let (_, text) = try_openssl(&["x509", "-noout", "-serial", "-in", path_str(cert)]);
    let hex = text.trim().trim_start_matches("serial=");
    let mut b = hex::decode(hex).unwrap();
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    b
}

fn subject_of(cert: &Path) -> Vec<u8> {
    CaCert::from_der(&der_of(cert))
        .unwrap()
        .subject_der()
        .to_vec()
}

/// `kakunin_testkit::openssl_kind`, and: a CRL whose signer's own path fails is
/// no usable CRL.
fn openssl_kind(success: bool, text: &str) -> Kind {
    if !success && text.contains("CRL path validation error") {
        // The only CRL found has a signer whose own path fails (its
        // "[CRL path] … certificate revoked" is about the signer): no
        // usable CRL, so no status.
        Kind::Unknown
    } else {
        kakunin_testkit::openssl_kind(success, text)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Oracle {
    /// `openssl verify` with these extra flags must agree.
    OpenSsl(&'static [&'static str]),
    /// OpenSSL cannot judge this case (the comment at the case says why).
    None,
}

struct Case<'a> {
    name: &'a str,
    trust: Vec<&'a Path>,
    untrusted: Vec<&'a Path>,
    crls: Vec<&'a Path>,
    leaf: &'a Path,
    at: Timestamp,
    oracle: Oracle,
    want: Kind,
    /// From indexes (when they cannot hold what the raw CRL says).
    want_indexed: Option<Kind>,
}

/// Runs one case; returns (raw verdict, indexed verdict).
fn check(lab: &Lab, case: &Case<'_>) -> (Verdict, Verdict) {
    let inputs = Inputs {
        name: case.name,
        dir: &lab.dir,
        trust: &case.trust,
        untrusted: &case.untrusted,
        crls: &case.crls,
        leaf: case.leaf,
        at: case.at,
    };
    if let Oracle::OpenSsl(flags) = case.oracle {
        let (success, text) = inputs.openssl_verify(flags);
        assert_eq!(
            openssl_kind(success, &text),
            case.want,
            "{}: OpenSSL says {text}",
            case.name
        );
    }
    let leaf = der_of(case.leaf);
    let (raw, indexed) = inputs.raw_and_indexed();
    let v_raw = raw.build().unwrap().verify(&leaf, case.at);
    let v_idx = indexed.build().unwrap().verify(&leaf, case.at);
    assert_eq!(
        kind_of(&v_raw.status),
        case.want,
        "{}: raw CRLs: {:?}",
        case.name,
        v_raw.status
    );
    assert_eq!(
        kind_of(&v_idx.status),
        case.want_indexed.unwrap_or(case.want),
        "{}: indexes: {:?}",
        case.name,
        v_idx.status
    );
    (v_raw, v_idx)
}

struct World {
    _tmp: tempfile::TempDir,
    lab: Lab,
    now: i64,
    at: Timestamp,
}

fn world() -> World {
    let tmp = kakunin_testkit::tempdir();
    let lab = Lab::new(tmp.path(), EXTS);
    let now = Timestamp::now().unix();
    World {
        lab,
        _tmp: tmp,
        now,
        at: Timestamp::from_unix(now + 3600),
    }
}

const ROOT_DN: &str = "/C=JP/O=JPKI-TEST/OU=Root";
const INTER_DN: &str = "/C=JP/O=JPKI-TEST/OU=JPKI for digital signature";

/// Two CA certificates for one key under two names: X's CRL must never
/// answer for a certificate Y issued (RFC 5280 §6.3.3 (b)(1): the CRL
/// issuer must match the certificate issuer; §5.1.2.3).
#[test]
fn crl_of_another_name_with_the_same_key_never_answers() {
    let mut w = world();
    let lab = &mut w.lab;
    let root = lab.root(ROOT_DN, "root");
    let shared = lab.key();
    let x = lab.sub_ca_with_key(&root, "/C=JP/O=JPKI-TEST/OU=CA X", "inter", &shared);
    let y = lab.sub_ca_with_key(&root, "/C=JP/O=JPKI-TEST/OU=CA Y", "inter", &shared);
    let leaf = lab.leaf(&y, "under-y", "leaf");
    lab.revoke(&y, &leaf, "keyCompromise");
    let root_crl = lab.crl(&root);
    let x_crl = lab.crl(&x);
    let y_crl = lab.crl(&y);
    let base = |name, crls, want, want_indexed| Case {
        name,
        trust: vec![root.cert.as_path()],
        untrusted: vec![x.cert.as_path(), y.cert.as_path()],
        crls,
        leaf: &leaf,
        at: w.at,
        oracle: Oracle::OpenSsl(&[]),
        want,
        want_indexed,
    };
    // Only X's (empty, current) CRL: nothing speaks for Y.
    check(
        lab,
        &base(
            "other_name_only",
            vec![root_crl.as_path(), x_crl.as_path()],
            Kind::Unknown,
            None,
        ),
    );
    // Both: Y's own CRL revokes; X's must not hide it. An index does not
    // record its CRL issuer's name, so with a key shared by two names it
    // cannot be placed and answers nothing (fail closed).
    check(
        lab,
        &base(
            "other_name_first",
            vec![root_crl.as_path(), x_crl.as_path(), y_crl.as_path()],
            Kind::Revoked,
            Some(Kind::Unknown),
        ),
    );
}
/// freshestCRL (2.5.29.46) pointing at a URI, so OpenSSL looks for deltas.
fn freshest() -> Vec<u8> {
    let dp = tlv(
        0x30,
        &tlv(
            0xa0,
            &tlv(0xa0, &tlv(0x86, b"http://crl.example.test/d.crl")),
        ),
    );
    ext(&[0x55, 0x1d, 0x2e], false, tlv(0x30, &dp))
}

/// §5.2.4 (b): a delta CRL combines only with a complete CRL of the same
/// scope. A delta of another scope must not take a certificateHold off.
#[test]
fn delta_of_another_scope_does_not_release_a_hold() {
    let mut w = world();
    let (now, at) = (w.now, w.at);
    let lab = &mut w.lab;
    let root = lab.root(ROOT_DN, "root");
    let inter = lab.sub_ca(&root, INTER_DN, "inter", "");
    let leaf = lab.leaf(&inter, "held", "leaf");
    let sn = serial_of(&leaf);
    let root_crl = lab.crl(&root);
    let (t, n) = (now - 3600, now + 7 * 86_400);
    let held = [(sn.clone(), Some(6u8), None)];
    let released = [(sn.clone(), Some(8u8), None)];
    let base = lab.custom_crl(&inter, t, n, &held, &[crl_number(1), freshest()]);
    let delta_same = lab.custom_crl(
        &inter,
        t + 60,
        n,
        &released,
        &[crl_number(2), delta_indicator(1)],
    );
    let only_user = idp(&[0x81, 0x01, 0xff]);
    let delta_other = lab.custom_crl(
        &inter,
        t + 60,
        n,
        &released,
        &[crl_number(2), delta_indicator(1), only_user],
    );
    // OpenSSL cannot judge the second case: with -use_deltas it takes the
    // lone delta as if it were a complete CRL of its own scope, and its
    // removeFromCRL entry as "not revoked" (it answers OK even without the
    // base), so it is not an oracle here.
    for (name, delta, want, oracle) in [
        (
            "delta_same_scope_releases",
            &delta_same,
            Kind::Valid,
            Oracle::OpenSsl(&["-use_deltas"]),
        ),
        (
            "delta_other_scope_does_not",
            &delta_other,
            Kind::Revoked,
            Oracle::None,
        ),
    ] {
        check(
            lab,
            &Case {
                name,
                trust: vec![root.cert.as_path()],
                untrusted: vec![inter.cert.as_path()],
                crls: vec![root_crl.as_path(), base.as_path(), delta.as_path()],
                leaf: &leaf,
                at,
                oracle,
                want,
                want_indexed: None,
            },
        );
    }
}

/// One hierarchy root → inter → leaves, with CRLs made here.
struct Pki {
    w: World,
    root: IndexCa,
    inter: IndexCa,
    root_crl: PathBuf,
}

fn pki() -> Pki {
    let mut w = world();
    let root = w.lab.root(ROOT_DN, "root");
    let inter = w.lab.sub_ca(&root, INTER_DN, "inter", "");
    let root_crl = w.lab.crl(&root);
    Pki {
        w,
        root,
        inter,
        root_crl,
    }
}

impl Pki {
    fn crl(&mut self, by_root: bool, entries: &[Entry], exts: &[Vec<u8>]) -> PathBuf {
        let (t, n) = (self.w.now - 3600, self.w.now + 7 * 86_400);
        let ca = if by_root { &self.root } else { &self.inter };
        self.w.lab.custom_crl(ca, t, n, entries, exts)
    }

    /// `crls` for `leaf` under inter (the root's CRL added), with
    /// `openssl verify -extended_crl` as the oracle.
    fn case(&self, name: &str, leaf: &Path, crls: &[&Path], want: Kind) {
        let mut all = vec![self.root_crl.as_path()];
        all.extend_from_slice(crls);
        check(
            &self.w.lab,
            &Case {
                name,
                trust: vec![self.root.cert.as_path()],
                untrusted: vec![self.inter.cert.as_path()],
                crls: all,
                leaf,
                at: self.w.at,
                oracle: Oracle::OpenSsl(&["-extended_crl"]),
                want,
                want_indexed: None,
            },
        );
    }
}

/// §6.3.3 (d), (k): CRLs limited by onlySomeReasons decide only once
/// together they cover every reason.
#[test]
fn reason_partitions_must_cover_every_reason() {
    let mut p = pki();
    let good = p.w.lab.leaf(&p.inter, "good", "leaf");
    let bad = p.w.lab.leaf(&p.inter, "bad", "leaf");
    let revoked = [(serial_of(&bad), Some(1u8), None)];
    let key_ca = p.crl(
        false,
        &revoked,
        &[crl_number(1), idp(&only_some_reasons(0b110))],
    );
    let others = p.crl(
        false,
        &[],
        &[crl_number(2), idp(&only_some_reasons(0b111_1000))],
    );
    let rest = p.crl(
        false,
        &[],
        &[crl_number(3), idp(&only_some_reasons(0b1_1000_0000))],
    );
    // privilegeWithdrawn and aACompromise are covered by no CRL: not
    // listed is unknown, but listed is revoked (§6.3.3 (i): a current CRL
    // in scope that lists the serial decides, whatever the mask).
    p.case("reasons_1_to_6", &good, &[&key_ca, &others], Kind::Unknown);
    p.case(
        "reasons_1_to_6_bad",
        &bad,
        &[&key_ca, &others],
        Kind::Revoked,
    );
    p.case("reasons_3_to_8", &good, &[&others, &rest], Kind::Unknown);
    p.case(
        "all_reasons",
        &good,
        &[&key_ca, &others, &rest],
        Kind::Valid,
    );
    p.case(
        "all_reasons_bad",
        &bad,
        &[&key_ca, &others, &rest],
        Kind::Revoked,
    );
}

/// §6.3.3 (b)(2)(i), (d): a partition covers a certificate only through a
/// distribution point whose name it carries, and only for that DP's
/// reasons.
#[test]
fn distribution_point_partitions() {
    let mut p = pki();
    // DP1 p1.crl for keyCompromise and cACompromise; DP2 p2.crl for all.
    let two = p.w.lab.leaf(&p.inter, "two-dps", "leaf_dp12");
    let one = p.w.lab.leaf(&p.inter, "one-dp", "leaf_dp1");
    let plain = p.w.lab.leaf(&p.inter, "no-dp", "leaf");
    let p1 = p.crl(
        false,
        &[],
        &[
            crl_number(1),
            idp(&idp_uri("http://crl.example.test/p1.crl")),
        ],
    );
    let p1_revokes = p.crl(
        false,
        &[(serial_of(&two), Some(1u8), None)],
        &[
            crl_number(4),
            idp(&idp_uri("http://crl.example.test/p1.crl")),
        ],
    );
    let p2 = p.crl(
        false,
        &[],
        &[
            crl_number(2),
            idp(&idp_uri("http://crl.example.test/p2.crl")),
        ],
    );
    // The same URI in another case is another name.
    let p1_case = p.crl(
        false,
        &[],
        &[
            crl_number(3),
            idp(&idp_uri("http://CRL.example.test/p1.crl")),
        ],
    );
    p.case("p1_covers_two_reasons_only", &two, &[&p1], Kind::Unknown);
    p.case("p2_covers_all", &two, &[&p2], Kind::Valid);
    p.case("p1_and_p2", &two, &[&p1, &p2], Kind::Valid);
    p.case("p1_revokes", &two, &[&p1_revokes, &p2], Kind::Revoked);
    p.case("p1_for_one", &one, &[&p1], Kind::Valid);
    p.case("p2_for_one", &one, &[&p2], Kind::Unknown);
    p.case("uri_case_differs", &one, &[&p1_case], Kind::Unknown);
    p.case("partition_for_no_dp", &plain, &[&p1, &p2], Kind::Unknown);
}

/// §6.3.3 (b)(2)(ii), (iii): onlyContainsUserCerts does not cover a CA,
/// onlyContainsCACerts does not cover a leaf.
#[test]
fn user_and_ca_only_crls() {
    let mut p = pki();
    let leaf = p.w.lab.leaf(&p.inter, "leaf", "leaf");
    let inter_crl = p.crl(false, &[], &[crl_number(1)]);
    let only_user = idp(&[0x81, 0x01, 0xff]);
    let only_ca = idp(&[0x82, 0x01, 0xff]);
    let root_user = p.crl(true, &[], &[crl_number(5), only_user.clone()]);
    let inter_ca = p.crl(false, &[], &[crl_number(2), only_ca]);
    let inter_user = p.crl(false, &[], &[crl_number(3), only_user]);
    let check_one = |p: &Pki, name, crls: Vec<&Path>, want| {
        check(
            &p.w.lab,
            &Case {
                name,
                trust: vec![p.root.cert.as_path()],
                untrusted: vec![p.inter.cert.as_path()],
                crls,
                leaf: &leaf,
                at: p.w.at,
                oracle: Oracle::OpenSsl(&[]),
                want,
                want_indexed: None,
            },
        )
    };
    check_one(
        &p,
        "user_only_for_ca",
        vec![&root_user, &inter_crl],
        Kind::Unknown,
    );
    check_one(
        &p,
        "ca_only_for_leaf",
        vec![&p.root_crl, &inter_ca],
        Kind::Unknown,
    );
    check_one(
        &p,
        "user_only_for_leaf",
        vec![&p.root_crl, &inter_user],
        Kind::Valid,
    );
}

const CRL_ISSUER_DN: &str = "/C=JP/O=JPKI-TEST/OU=Indirect CRL Issuer";
const OTHER_DN: &str = "/C=JP/O=JPKI-TEST/OU=Other CA";

/// §5.3.3, §6.3.3 (b)(1): an indirect CRL's entry about one issuer is
/// never about another's certificate; certificateIssuer holds for the
/// entries after it. An index holds only the CRL issuer's own entries, so
/// from indexes every such case is unknown.
#[test]
fn indirect_crl_entries_belong_to_their_issuer() {
    let mut w = world();
    let (now, at) = (w.now, w.at);
    let lab = &mut w.lab;
    let root = lab.root(ROOT_DN, "root");
    let a = lab.sub_ca(&root, INTER_DN, "inter", "");
    let b = lab.sub_ca(&root, OTHER_DN, "inter", "");
    let i = lab.sub_ca(&root, CRL_ISSUER_DN, "crl_signer", "");
    let leaf = lab.leaf(&a, "indirect", "leaf_indirect");
    let sn = serial_of(&leaf);
    let (a_dn, b_dn) = (subject_of(&a.cert), subject_of(&b.cert));
    let root_crl = lab.crl(&root);
    let a_crl = lab.crl(&a);
    let scope = [
        crl_number(1),
        idp(&[
            idp_uri("http://crl.example.test/indirect.crl"),
            vec![0x84, 0x01, 0xff],
        ]
        .concat()),
    ];
    let (t, n) = (now - 3600, now + 7 * 86_400);
    let other = vec![0x7f, 0x01];
    let cases: Vec<(&str, Vec<Entry>, Kind)> = vec![
        (
            "about_b",
            vec![(sn.clone(), Some(1), Some(b_dn.clone()))],
            Kind::Valid,
        ),
        (
            "persisting_b",
            vec![
                (other.clone(), Some(1), Some(b_dn.clone())),
                (sn.clone(), Some(1), None),
            ],
            Kind::Valid,
        ),
        (
            "about_crl_issuer",
            vec![(sn.clone(), Some(1), None)],
            Kind::Valid,
        ),
        (
            "about_a",
            vec![
                (other.clone(), Some(1), Some(b_dn.clone())),
                (sn.clone(), Some(1), Some(a_dn.clone())),
            ],
            Kind::Revoked,
        ),
        (
            "about_a_then_b",
            vec![
                (other.clone(), Some(1), Some(a_dn.clone())),
                (sn.clone(), Some(1), None),
                (other.clone(), Some(1), Some(b_dn.clone())),
            ],
            Kind::Revoked,
        ),
    ];
    for (name, entries, want) in cases {
        let crl = lab.custom_crl(&i, t, n, &entries, &scope);
        check(
            lab,
            &Case {
                name,
                trust: vec![root.cert.as_path()],
                untrusted: vec![a.cert.as_path(), b.cert.as_path(), i.cert.as_path()],
                crls: vec![root_crl.as_path(), crl.as_path()],
                leaf: &leaf,
                at,
                oracle: Oracle::OpenSsl(&["-extended_crl"]),
                want,
                want_indexed: Some(Kind::Unknown),
            },
        );
        // The CRL issuer's certificate not configured: its CRL does not
        // count (nothing validates its key).
        check(
            lab,
            &Case {
                name: "issuer_not_configured",
                trust: vec![root.cert.as_path()],
                untrusted: vec![a.cert.as_path(), b.cert.as_path()],
                crls: vec![root_crl.as_path()],
                leaf: &leaf,
                at,
                oracle: Oracle::OpenSsl(&["-extended_crl"]),
                want: Kind::Unknown,
                want_indexed: None,
            },
        );
    }
    // The certificate issuer's own complete CRL still answers (§6.3.3,
    // the last paragraph of the CRL processing).
    check(
        lab,
        &Case {
            name: "own_complete_crl",
            trust: vec![root.cert.as_path()],
            untrusted: vec![a.cert.as_path()],
            crls: vec![root_crl.as_path(), a_crl.as_path()],
            leaf: &leaf,
            at,
            oracle: Oracle::OpenSsl(&["-extended_crl"]),
            want: Kind::Valid,
            want_indexed: None,
        },
    );
    // The CRL issuer revoked by the root: its CRLs do not count.
    lab.revoke(&root, &i.cert, "keyCompromise");
    let root_crl2 = lab.crl(&root);
    let crl = lab.custom_crl(&i, t, n, &[], &scope);
    check(
        lab,
        &Case {
            name: "crl_issuer_revoked",
            trust: vec![root.cert.as_path()],
            untrusted: vec![a.cert.as_path(), i.cert.as_path()],
            crls: vec![root_crl2.as_path(), crl.as_path()],
            leaf: &leaf,
            at,
            oracle: Oracle::OpenSsl(&["-extended_crl"]),
            want: Kind::Unknown,
            want_indexed: None,
        },
    );
}

/// §6.3.3 (f): a separate CRL-signing key (same name as the CA, its own
/// certificate) counts only when that certificate is valid, unrevoked,
/// allows cRLSign and chains to the same trust anchor.
#[test]
fn separate_crl_signing_key() {
    let mut w = world();
    let (now, at) = (w.now, w.at);
    let lab = &mut w.lab;
    let root = lab.root(ROOT_DN, "root");
    let inter = lab.sub_ca(&root, INTER_DN, "inter", "");
    let good = lab.leaf(&inter, "good", "leaf");
    let bad = lab.leaf(&inter, "bad", "leaf");
    let signer = lab.sub_ca(&root, INTER_DN, "crl_signer", "");
    let noku = lab.sub_ca(&root, INTER_DN, "crl_signer_noku", "");
    // Same DN, certified by an unrelated root that is also trusted.
    let other_root = lab.root("/C=JP/O=Elsewhere/OU=Root", "root");
    let rogue = lab.sub_ca(&other_root, INTER_DN, "crl_signer", "");
    let root_crl = lab.crl(&root);
    let other_root_crl = lab.crl(&other_root);
    let (t, n) = (now - 3600, now + 7 * 86_400);
    let entries = [(serial_of(&bad), Some(1u8), None)];
    let by = |lab: &mut Lab, ca: &IndexCa| lab.custom_crl(ca, t, n, &entries, &[crl_number(1)]);
    let signer_crl = by(lab, &signer);
    let noku_crl = by(lab, &noku);
    let rogue_crl = by(lab, &rogue);
    let trust = vec![root.cert.as_path(), other_root.cert.as_path()];
    for (name, leaf, s, crl, want, oracle) in [
        (
            "signer_good",
            &good,
            &signer,
            &signer_crl,
            Kind::Valid,
            Oracle::OpenSsl(&["-extended_crl"]),
        ),
        (
            "signer_bad",
            &bad,
            &signer,
            &signer_crl,
            Kind::Revoked,
            Oracle::OpenSsl(&["-extended_crl"]),
        ),
        (
            "other_anchor",
            &good,
            &rogue,
            &rogue_crl,
            Kind::Unknown,
            Oracle::OpenSsl(&["-extended_crl"]),
        ),
    ] {
        check(
            lab,
            &Case {
                name,
                trust: trust.clone(),
                untrusted: vec![inter.cert.as_path(), s.cert.as_path()],
                crls: vec![root_crl.as_path(), other_root_crl.as_path(), crl.as_path()],
                leaf,
                at,
                oracle,
                want,
                want_indexed: None,
            },
        );
    }
    // A signer whose keyUsage lacks cRLSign: its CRL is refused outright,
    // and the leaf it would have answered for has no CRL (unknown).
    let mut b = VerifierBuilder::new();
    b.trust_anchor_der(&der_of(&root.cert)).unwrap();
    b.intermediate_der(&der_of(&inter.cert)).unwrap();
    b.intermediate_der(&der_of(&noku.cert)).unwrap();
    b.crl("noku.crl", &std::fs::read(&noku_crl).unwrap());
    let v = b.build().unwrap();
    assert!(
        v.refused()
            .iter()
            .any(|r| r.label == "noku.crl" && r.reason.contains("cRLSign")),
        "a CRL signed without cRLSign is refused: {:?}",
        v.refused()
    );
    match v.verify(&der_of(&good), at).status {
        Status::Unknown { detail } => assert!(detail.contains("noku.crl"), "{detail}"),
        s => panic!("no usable CRL, so unknown: {s:?}"),
    }
    // The signer revoked by the root.
    lab.revoke(&root, &signer.cert, "keyCompromise");
    let root_crl2 = lab.crl(&root);
    check(
        lab,
        &Case {
            name: "signer_revoked",
            trust: trust.clone(),
            untrusted: vec![inter.cert.as_path(), signer.cert.as_path()],
            crls: vec![root_crl2.as_path(), signer_crl.as_path()],
            leaf: &good,
            at,
            oracle: Oracle::OpenSsl(&["-extended_crl"]),
            want: Kind::Unknown,
            want_indexed: None,
        },
    );
}

/// Key rollover under one DN (a JPKI generation change): the new key is
/// certified by the old one (a self-issued link certificate) and issues
/// the leaf. The old key's current CRL may decide for the new key's
/// certificates only while the new key has no CRL of its own (RFC 5280
/// §6.3.3 (f), PKITS 4.5.x). Once the new key signs CRLs, its stale CRL
/// makes the answer `unknown`: the old key's CRL does not list the new
/// key's certificates, so "not listed there" must not become `valid`.
/// OpenSSL lets the other key's current CRL decide (RFC 5280 allows it);
/// kakunin is stricter here on purpose, so that case has no oracle.
#[test]
fn a_stale_own_crl_is_not_overruled_by_another_key() {
    let mut w = world();
    let (now, at) = (w.now, w.at);
    let lab = &mut w.lab;
    let root = lab.root(ROOT_DN, "root");
    let old = lab.sub_ca(&root, INTER_DN, "inter", "");
    let new = lab.sub_ca(&old, INTER_DN, "inter", "");
    let leaf = lab.leaf(&new, "rolled", "leaf");
    let root_crl = lab.crl(&root);
    let old_crl = lab.crl(&old);
    let stale_own = lab.custom_crl(&new, now - 10 * 86_400, now - 86_400, &[], &[crl_number(1)]);
    let trust = vec![root.cert.as_path()];
    let untrusted = vec![old.cert.as_path(), new.cert.as_path()];
    check(
        lab,
        &Case {
            name: "rollover_no_own_crl",
            trust: trust.clone(),
            untrusted: untrusted.clone(),
            crls: vec![&root_crl, &old_crl],
            leaf: &leaf,
            at,
            oracle: Oracle::OpenSsl(&[]),
            want: Kind::Valid,
            want_indexed: None,
        },
    );
    let (v, _) = check(
        lab,
        &Case {
            name: "rollover_stale_own_crl",
            trust,
            untrusted,
            crls: vec![&root_crl, &old_crl, &stale_own],
            leaf: &leaf,
            at,
            oracle: Oracle::None,
            want: Kind::Unknown,
            want_indexed: None,
        },
    );
    match v.status {
        Status::Unknown { detail } => assert!(detail.contains("stale"), "{detail}"),
        other => panic!("{other:?}"),
    }
}
