//! The verifier against OpenSSL, case by case.
//!
//! Every PKI here is made with the `openssl` CLI (`req`, `ca`, `ca -gencrl`)
//! and every case is also run through
//! `openssl verify -crl_check_all -CAfile … -untrusted … -CRLfile … -attime T`.
//! Our verdict must agree with OpenSSL's under this mapping:
//!
//! | OpenSSL says                                               | we say    |
//! |------------------------------------------------------------|-----------|
//! | `OK`                                                       | `Valid`   |
//! | `certificate revoked`                                      | `Revoked` |
//! | `unable to get certificate CRL`, `CRL has expired`,        | `Unknown` |
//! | `CRL is not yet valid`, `different CRL scope` (the only    |           |
//! | CRL found does not cover the certificate)                  |           |
//! | anything else (expired, not yet valid, invalid CA, path    | `Invalid` |
//! | length, unhandled critical extension, no issuer, …)        |           |
//!
//! Each case is also verified twice by us — raw CRLs and indexes made by
//! `ingest` and opened from files — and both must give the same verdict.

use std::path::Path;

use kakunin_engine::verify::{Check, Status, Verdict, VerifierBuilder};
use kakunin_engine::{RevocationReason, Timestamp};
use kakunin_testkit::{der_of, openssl_kind, Kind, Lab};

use crate::common::{kind_of, Inputs};

/// Extension sections besides the lab's `root`, `inter` and `leaf`.
const EXTS: &str = "\
[root_pathlen0]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter_noca]
basicConstraints = critical, CA:false
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[inter_noku]
basicConstraints = critical, CA:true
keyUsage = critical, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[leaf_crit]
keyUsage = critical, digitalSignature, nonRepudiation
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
1.2.3.4.5 = critical, ASN1:NULL
";

struct Case<'a> {
    name: &'a str,
    trust: Vec<&'a Path>,
    untrusted: Vec<&'a Path>,
    crls: Vec<&'a Path>,
    leaf: &'a Path,
    at: Timestamp,
    use_deltas: bool,
}

/// Runs one case through OpenSSL and through us (raw CRLs and indexes);
/// returns our verdict after checking both agree with OpenSSL.
fn check(lab: &Lab, case: &Case<'_>) -> Verdict {
    let inputs = Inputs {
        name: case.name,
        dir: &lab.dir,
        trust: &case.trust,
        untrusted: &case.untrusted,
        crls: &case.crls,
        leaf: case.leaf,
        at: case.at,
    };
    let flags: &[&str] = if case.use_deltas {
        &["-use_deltas"]
    } else {
        &[]
    };
    let (success, text) = inputs.openssl_verify(flags);
    let want = openssl_kind(success, &text);
    let leaf = der_of(case.leaf);
    let (mut raw, indexed) = inputs.raw_and_indexed();
    let v_raw = raw.build().unwrap().verify(&leaf, case.at);
    let v_idx = indexed.build().unwrap().verify(&leaf, case.at);
    // Source digests (for evidence) by default; without them, the same
    // answer and no digest.
    assert!(v_raw.revocation_sources.iter().all(|s| s.sha256.is_some()));
    let v_bare = raw
        .source_digests(false)
        .build()
        .unwrap()
        .verify(&leaf, case.at);
    assert_eq!(v_bare.status, v_raw.status, "{}", case.name);
    assert!(v_bare.revocation_sources.iter().all(|s| s.sha256.is_none()));
    assert_eq!(
        v_raw.status, v_idx.status,
        "{}: raw CRLs and indexes disagree",
        case.name
    );
    assert_eq!(v_raw.path, v_idx.path, "{}", case.name);
    assert_eq!(
        v_raw.revocation_sources.len(),
        v_idx.revocation_sources.len(),
        "{}",
        case.name
    );
    assert_eq!(
        kind_of(&v_raw.status),
        want,
        "{}: we say {:?}, openssl says {text}",
        case.name,
        v_raw.status
    );
    v_raw
}

#[test]
fn agrees_with_openssl() {
    let tmp = kakunin_testkit::tempdir();
    let mut lab = Lab::new(tmp.path(), EXTS);

    let root_dn = "/C=JP/O=JPKI-TEST/OU=Root";
    let inter_dn = "/C=JP/O=JPKI-TEST/OU=JPKI for digital signature";
    let now = Timestamp::now();
    let at = Timestamp::from_unix(now.unix() + 3600);

    // H1: root → inter → leaves; the main hierarchy.
    let root = lab.root(root_dn, "root");
    // freshestCRL on the base: OpenSSL only looks for deltas when the base
    // CRL or the certificate points at one.
    let inter = lab.sub_ca(
        &root,
        inter_dn,
        "inter",
        "freshestCRL = URI:http://crl.example.test/delta.crl",
    );
    let good = lab.leaf(&inter, "good", "leaf");
    let revoked = lab.leaf(&inter, "revoked", "leaf");
    let expired = {
        let key = lab.leaf_key();
        lab.issue_between(
            &inter,
            "/C=JP/CN=expired",
            &key,
            "leaf",
            "20200101000000Z",
            "20210101000000Z",
        )
    };
    let future = {
        let key = lab.leaf_key();
        lab.issue_between(
            &inter,
            "/C=JP/CN=future",
            &key,
            "leaf",
            "20390101000000Z",
            "20400101000000Z",
        )
    };
    let crit = lab.leaf(&inter, "crit", "leaf_crit");
    let later = lab.leaf(&inter, "later", "leaf");
    lab.revoke(&inter, &revoked, "keyCompromise");
    let root_crl = lab.crl(&root);
    let inter_crl = lab.crl(&inter);
    // Delta CRL: revoke `later` after the base, publish a delta on base 1.
    lab.revoke(&inter, &later, "superseded");
    let inter_delta = {
        let cnf = std::fs::read_to_string(&inter.cnf).unwrap();
        std::fs::write(
            &inter.cnf,
            // RFC 5280 §5.2.6: freshestCRL "MUST NOT appear in delta
            // CRLs", so the delta drops the base's pointer to it.
            cnf.replace(
                "[crl_ext]\n",
                "[crl_ext]\ndeltaCRL = critical, ASN1:INTEGER:1\n",
            )
            .replace("freshestCRL = URI:http://crl.example.test/delta.crl", ""),
        )
        .unwrap();
        lab.crl(&inter)
    };

    // H2: the intermediate itself is revoked by the root.
    let root2 = lab.root(root_dn, "root");
    let inter2 = lab.sub_ca(&root2, inter_dn, "inter", "");
    let leaf2 = lab.leaf(&inter2, "under-revoked-ca", "leaf");
    lab.revoke(&root2, &inter2.cert, "cACompromise");
    let root2_crl = lab.crl(&root2);
    let inter2_crl = lab.crl(&inter2);

    // A rogue CA with the intermediate's DN and another key.
    let rogue = lab.root(inter_dn, "root");
    let rogue_leaf = lab.leaf(&rogue, "rogue", "leaf");

    // Two generations of a self-signed JPKI-like CA under one DN.
    let gen_dn = "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems";
    let g1 = lab.root(gen_dn, "root");
    let g2 = lab.root(gen_dn, "root");
    let g1_leaf = lab.leaf(&g1, "gen1", "leaf");
    let g2_leaf = lab.leaf(&g2, "gen2", "leaf");
    let g1_crl = lab.crl(&g1);
    let g2_crl = lab.crl(&g2);

    // Broken intermediates.
    let broken = |lab: &mut Lab, root_ext: &str, inter_ext: &str, crl_ext: &str| {
        let r = lab.root(root_dn, root_ext);
        let i = lab.sub_ca(&r, inter_dn, inter_ext, crl_ext);
        let l = lab.leaf(&i, "leaf", "leaf");
        let rc = lab.crl(&r);
        let ic = lab.crl(&i);
        (r.cert, i.cert, l, rc, ic)
    };
    let noca = broken(&mut lab, "root", "inter_noca", "");
    let pathlen = broken(&mut lab, "root_pathlen0", "inter", "");
    let noku = broken(&mut lab, "root", "inter_noku", "");
    let only_ca = broken(
        &mut lab,
        "root",
        "inter",
        "issuingDistributionPoint = critical, @idp\n[idp]\nonlyCA = TRUE",
    );

    let mut cases: Vec<(Case<'_>, Kind, Option<Check>)> = Vec::new();
    let std_crls = vec![root_crl.as_path(), inter_crl.as_path()];
    for (name, leaf, crls, at, want, check_want) in [
        ("good", &good, std_crls.clone(), at, Kind::Valid, None),
        (
            "revoked_leaf",
            &revoked,
            std_crls.clone(),
            at,
            Kind::Revoked,
            None,
        ),
        (
            "expired_leaf",
            &expired,
            std_crls.clone(),
            at,
            Kind::Invalid,
            Some(Check::Expired),
        ),
        (
            "not_yet_valid",
            &future,
            std_crls.clone(),
            at,
            Kind::Invalid,
            Some(Check::NotYetValid),
        ),
        (
            "unknown_critical",
            &crit,
            std_crls.clone(),
            at,
            Kind::Invalid,
            Some(Check::UnknownCriticalExtension),
        ),
        (
            "stale_crl",
            &good,
            std_crls.clone(),
            Timestamp::from_unix(now.unix() + 10 * 86_400),
            Kind::Unknown,
            None,
        ),
        (
            "missing_root_crl",
            &good,
            vec![inter_crl.as_path()],
            at,
            Kind::Unknown,
            None,
        ),
        (
            "later_without_delta",
            &later,
            std_crls.clone(),
            at,
            Kind::Valid,
            None,
        ),
    ] {
        cases.push((
            Case {
                name,
                trust: vec![root.cert.as_path()],
                untrusted: vec![inter.cert.as_path()],
                crls,
                leaf,
                at,
                use_deltas: false,
            },
            want,
            check_want,
        ));
    }
    cases.push((
        Case {
            name: "delta_crl",
            trust: vec![root.cert.as_path()],
            untrusted: vec![inter.cert.as_path()],
            crls: vec![
                root_crl.as_path(),
                inter_crl.as_path(),
                inter_delta.as_path(),
            ],
            leaf: &later,
            at,
            use_deltas: true,
        },
        Kind::Revoked,
        None,
    ));
    cases.push((
        Case {
            name: "revoked_intermediate",
            trust: vec![root2.cert.as_path()],
            untrusted: vec![inter2.cert.as_path()],
            crls: vec![root2_crl.as_path(), inter2_crl.as_path()],
            leaf: &leaf2,
            at,
            use_deltas: false,
        },
        Kind::Revoked,
        None,
    ));
    cases.push((
        Case {
            name: "wrong_ca_same_dn",
            trust: vec![root.cert.as_path()],
            untrusted: vec![inter.cert.as_path()],
            crls: std_crls.clone(),
            leaf: &rogue_leaf,
            at,
            use_deltas: false,
        },
        Kind::Invalid,
        None,
    ));
    for (name, leaf) in [("generation_1", &g1_leaf), ("generation_2", &g2_leaf)] {
        cases.push((
            Case {
                name,
                trust: vec![g1.cert.as_path(), g2.cert.as_path()],
                untrusted: vec![],
                crls: vec![g1_crl.as_path(), g2_crl.as_path()],
                leaf,
                at,
                use_deltas: false,
            },
            Kind::Valid,
            None,
        ));
    }
    // The other generation's CRL alone never speaks for a certificate of
    // this generation: same DN, but its key is not vouched for by any
    // certificate on the leaf's path (RFC 5280 §6.3.3 (f)).
    cases.push((
        Case {
            name: "generation_1_with_only_generation_2_crl",
            trust: vec![g1.cert.as_path(), g2.cert.as_path()],
            untrusted: vec![],
            crls: vec![g2_crl.as_path()],
            leaf: &g1_leaf,
            at,
            use_deltas: false,
        },
        Kind::Unknown,
        None,
    ));
    for (name, b, want, check_want) in [
        (
            "intermediate_without_ca",
            &noca,
            Kind::Invalid,
            Some(Check::BasicConstraints),
        ),
        (
            "path_len_violated",
            &pathlen,
            Kind::Invalid,
            Some(Check::PathLen),
        ),
        (
            "ca_without_key_cert_sign",
            &noku,
            Kind::Invalid,
            Some(Check::KeyUsage),
        ),
        ("idp_only_ca_certs_for_leaf", &only_ca, Kind::Unknown, None),
    ] {
        cases.push((
            Case {
                name,
                trust: vec![b.0.as_path()],
                untrusted: vec![b.1.as_path()],
                crls: vec![b.3.as_path(), b.4.as_path()],
                leaf: &b.2,
                at,
                use_deltas: false,
            },
            want,
            check_want,
        ));
    }

    for (case, want, check_want) in &cases {
        let v = check(&lab, case);
        assert_eq!(kind_of(&v.status), *want, "{}: {:?}", case.name, v.status);
        if let Some(c) = check_want {
            assert!(
                matches!(&v.status, Status::Invalid { check, .. } if check == c),
                "{}: {:?}",
                case.name,
                v.status
            );
        }
        match case.name {
            "revoked_leaf" => assert!(matches!(
                v.status,
                Status::Revoked {
                    depth: 0,
                    reason: Some(RevocationReason::KeyCompromise),
                    ..
                }
            )),
            "revoked_intermediate" => assert!(matches!(
                v.status,
                Status::Revoked {
                    depth: 1,
                    reason: Some(RevocationReason::CaCompromise),
                    ..
                }
            )),
            "delta_crl" => assert!(matches!(
                v.status,
                Status::Revoked {
                    depth: 0,
                    reason: Some(RevocationReason::Superseded),
                    ..
                }
            )),
            "good" => {
                assert_eq!(v.path.len(), 3);
                assert!(v.path[2].anchor);
                assert_eq!(v.revocation_sources.len(), 2);
                assert_eq!(v.subject.as_deref(), Some("C=JP, L=Tokyo, CN=good"));
            }
            _ => {}
        }
    }
}

#[test]
fn builder_refuses_incomplete_configuration() {
    let b = VerifierBuilder::new();
    assert!(matches!(
        b.build(),
        Err(kakunin_engine::verify::VerifyError::NoTrustAnchor)
    ));
    let mut b = VerifierBuilder::new();
    assert!(b.trust_anchor_der(b"not a certificate").is_err());
    assert!(b.crl_der(b"not a crl").is_err());
}
