//! End-to-end tests of `kakunin gen`: the built binary, checked against
//! OpenSSL (an independent implementation) and x509-parser.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{SystemTime, UNIX_EPOCH};

use kakunin_testkit::{crl_text_entries, openssl_output, openssl_text, try_openssl_in};
use x509_parser::prelude::*;

use crate::common::kakunin;
use crate::verify::assert_matches_expected;

const BIN: &str = env!("CARGO_BIN_EXE_kakunin");
/// The generation time of `data/`, given explicitly so that these runs are
/// the same on any day (without `--at`, gen generates as of today).
const AT: &str = "2026-11-01T00:00:00Z";
/// `AT` for `openssl verify -attime`: the sample's certificates are checked
/// at generation time, not at whatever day the test runs.
const AT_UNIX: &str = "1793491200";

fn gen(out: &Path, extra: &[&str]) -> Output {
    let o = Command::new(BIN)
        .arg("gen")
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("run kakunin");
    assert!(
        o.status.success(),
        "gen failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn expected(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn s<'a>(v: &'a serde_json::Value, k: &str) -> &'a str {
    v[k].as_str()
        .unwrap_or_else(|| panic!("{k} missing in {v}"))
}

/// How `openssl crl -text` spells RFC 5280 reason names.
fn openssl_reason(name: &str) -> &'static str {
    match name {
        "unspecified" => "Unspecified",
        "keyCompromise" => "Key Compromise",
        "cACompromise" => "CA Compromise",
        "affiliationChanged" => "Affiliation Changed",
        "superseded" => "Superseded",
        "cessationOfOperation" => "Cessation Of Operation",
        "certificateHold" => "Certificate Hold",
        other => panic!("unexpected reason {other}"),
    }
}

const TOP_FILES: &[&str] = &[
    "sign-ca.pem",
    "sign-ca.key",
    "auth-ca.pem",
    "auth-ca.key",
    "ocsp.pem",
    "ocsp.key",
    "sign.crl",
    "auth.crl",
    "sign-certs.pem",
    "auth-certs.pem",
    "expected.jsonl",
];
const HOLDER_FILES: &[&str] = &["auth.pem", "auth.key", "sign.pem", "sign.key", "facts.json"];

/// Every file of a run, relative to its root, sorted.
fn tree(root: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push(p.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn assert_same_tree(a: &Path, b: &Path, skip: &[&str]) {
    let ta: Vec<_> = tree(a)
        .into_iter()
        .filter(|p| !skip.iter().any(|s| p.starts_with(s)))
        .collect();
    let tb: Vec<_> = tree(b)
        .into_iter()
        .filter(|p| !skip.iter().any(|s| p.starts_with(s)))
        .collect();
    assert_eq!(
        ta,
        tb,
        "different file sets in {} and {}",
        a.display(),
        b.display()
    );
    for p in ta {
        let (x, y) = (
            std::fs::read(a.join(&p)).unwrap(),
            std::fs::read(b.join(&p)).unwrap(),
        );
        assert!(
            x == y,
            "{} differs between {} and {}",
            p.display(),
            a.display(),
            b.display()
        );
    }
}

#[test]
fn default_run_is_a_valid_jpki_pki() {
    let tmp = kakunin_testkit::tempdir();
    let d = tmp.path();
    gen(d, &["--at", AT]);

    // (1) exact file names.
    for f in TOP_FILES {
        assert!(d.join(f).is_file(), "{f} missing");
    }
    for n in 1..=10 {
        for f in HOLDER_FILES {
            assert!(
                d.join(format!("holders/{n}/{f}")).is_file(),
                "holders/{n}/{f} missing"
            );
        }
    }
    assert!(!d.join("holders/11").exists());
    for f in [
        "sign-ca.key",
        "auth-ca.key",
        "ocsp.key",
        "holders/1/sign.key",
    ] {
        let text = std::fs::read_to_string(d.join(f)).unwrap();
        assert!(
            text.starts_with("-----BEGIN PRIVATE KEY-----\n"),
            "{f} is not PKCS#8 PEM"
        );
    }

    // expected.jsonl: 2M lines with the promised mix.
    let exp = expected(d);
    assert_eq!(exp.len(), 200);
    let count = |kind: &str, status: &str| {
        exp.iter()
            .filter(|e| s(e, "kind") == kind && s(e, "status") == status)
            .count()
    };
    assert_eq!(
        (
            count("sign", "valid"),
            count("sign", "revoked"),
            count("sign", "invalid")
        ),
        (80, 12, 8)
    );
    assert_eq!(count("auth", "invalid"), 8);
    assert!(count("auth", "revoked") >= 1);
    for e in &exp {
        match s(e, "status") {
            "invalid" => assert!(s(e, "not_after") < AT && e["reason"].is_null()),
            "valid" => assert!(s(e, "not_after") > AT && e["revoked_at"].is_null()),
            "revoked" => assert!(s(e, "revoked_at") < AT && s(e, "not_after") > AT),
            other => panic!("bad status {other}"),
        }
        let serial = s(e, "serial");
        assert_eq!(serial.len(), 16, "8-byte serials print as 16 hex digits");
        assert!(serial
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    }
    // At least one holder is revoked, and facts.json says so.
    let holder_revoked: Vec<_> = exp
        .iter()
        .filter(|e| !e["holder"].is_null() && s(e, "status") == "revoked")
        .collect();
    assert!(!holder_revoked.is_empty());
    let h = holder_revoked[0]["holder"].as_u64().unwrap();
    let facts: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(d.join(format!("holders/{h}/facts.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(s(&facts, "status"), "revoked");

    // (2) OpenSSL: chain + CRL check of every holder certificate at --at:
    // valid ones pass, revoked and expired ones fail for exactly that reason.
    for n in 1..=10 {
        let facts: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(d.join(format!("holders/{n}/facts.json"))).unwrap(),
        )
        .unwrap();
        for kind in ["sign", "auth"] {
            let (ca, crl) = (format!("{kind}-ca.pem"), format!("{kind}.crl"));
            let (success, out) = try_openssl_in(
                d,
                &[
                    "verify",
                    "-attime",
                    AT_UNIX,
                    "-crl_check",
                    "-CRLfile",
                    &crl,
                    "-CAfile",
                    &ca,
                    &format!("holders/{n}/{kind}.pem"),
                ],
            );
            match s(&facts, "status") {
                "valid" => assert!(success, "holder {n} {kind}: {out}"),
                "revoked" => assert!(
                    out.contains("certificate revoked"),
                    "holder {n} {kind}: {out}"
                ),
                _ => assert!(
                    out.contains("certificate has expired"),
                    "holder {n} {kind}: {out}"
                ),
            }
        }
    }
    for kind in ["sign", "auth"] {
        let crl = format!("{kind}.crl");
        let ca = format!("{kind}-ca.pem");
        let o = openssl_output(
            Some(d),
            &[
                "crl", "-inform", "DER", "-in", &crl, "-CAfile", &ca, "-noout",
            ],
        );
        assert!(
            o.status.success(),
            "openssl crl verify {kind}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(String::from_utf8_lossy(&o.stderr).contains("verify OK"));

        let text = openssl_text(
            d,
            &["crl", "-inform", "DER", "-in", &crl, "-text", "-noout"],
        );
        assert!(text.contains("Version 2"));
        assert!(text.contains("X509v3 Authority Key Identifier"));
        assert!(text.contains("X509v3 CRL Number"));
        // serial -> reason as OpenSSL prints them.
        let entries: Vec<(String, String)> = crl_text_entries(&text)
            .into_iter()
            .map(|e| (e.serial, e.reason))
            .collect();
        assert_eq!(entries.len(), 1000, "{kind}.crl entry count");
        let serials: Vec<u64> = entries
            .iter()
            .map(|(s, _)| u64::from_str_radix(s, 16).unwrap())
            .collect();
        assert!(
            serials.windows(2).all(|w| w[0] < w[1]),
            "{kind}.crl not sorted ascending"
        );
        let by_serial: HashMap<&str, &str> = entries
            .iter()
            .map(|(s, r)| (s.as_str(), r.as_str()))
            .collect();
        for e in exp.iter().filter(|e| s(e, "kind") == kind) {
            match s(e, "status") {
                "revoked" => assert_eq!(
                    by_serial.get(s(e, "serial")).copied(),
                    Some(openssl_reason(s(e, "reason"))),
                    "{kind} {} on the CRL with its reason",
                    s(e, "serial")
                ),
                _ => assert!(
                    !by_serial.contains_key(s(e, "serial")),
                    "{} must not be on the CRL",
                    s(e, "serial")
                ),
            }
        }
    }
    let text = openssl_text(d, &["x509", "-in", "holders/1/sign.pem", "-text", "-noout"]);
    let facts: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("holders/1/facts.json")).unwrap())
            .unwrap();
    assert!(
        text.contains(
            "X509v3 Key Usage: critical\n                Digital Signature, Non Repudiation"
        ),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "othername: 1.2.392.200149.8.5.5.1::{}",
            s(&facts, "name")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "othername: 1.2.392.200149.8.5.5.5::{}",
            s(&facts, "address")
        )),
        "{text}"
    );
    for arc in 1..=6 {
        assert!(
            text.contains(&format!("othername: 1.2.392.200149.8.5.5.{arc}::")),
            "SAN .{arc}: {text}"
        );
    }
    assert!(text.contains("Subject: C = JP, L = "));
    assert!(text.contains("1.2.392.200149.8.5.1."));
    let text = openssl_text(d, &["x509", "-in", "holders/1/auth.pem", "-text", "-noout"]);
    assert!(
        text.contains("X509v3 Key Usage: critical\n                Digital Signature\n"),
        "{text}"
    );
    assert!(!text.contains("Subject Alternative Name"));
    let text = openssl_text(d, &["x509", "-in", "ocsp.pem", "-text", "-noout"]);
    assert!(
        text.contains("OCSP Signing") && text.contains("OCSP No Check"),
        "{text}"
    );

    // x509-parser: the SAN facts decode to exactly facts.json, and every
    // revoked bundle certificate's CRL entry carries expected.jsonl's time.
    let pem = std::fs::read(d.join("holders/1/sign.pem")).unwrap();
    let (_, p) = parse_x509_pem(&pem).unwrap();
    let cert = p.parse_x509().unwrap();
    let san = cert.subject_alternative_name().unwrap().unwrap();
    let mut facts_seen = HashMap::new();
    for gn in &san.value.general_names {
        if let GeneralName::OtherName(oid, value) = gn {
            let (_, inner) = x509_parser::der_parser::der::parse_der(value).unwrap();
            let (_, v) =
                x509_parser::der_parser::der::parse_der(inner.as_slice().unwrap()).unwrap();
            facts_seen.insert(oid.to_id_string(), v.as_str().unwrap().to_string());
        }
    }
    let arc = |n: u32| facts_seen[&format!("1.2.392.200149.8.5.5.{n}")].clone();
    assert_eq!(arc(1), s(&facts, "name"));
    assert_eq!(arc(2), s(&facts, "name_alt"));
    assert_eq!(arc(3), s(&facts, "sex"));
    assert_eq!(arc(4), s(&facts, "birth_date"));
    assert_eq!(arc(5), s(&facts, "address"));
    assert_eq!(arc(6), s(&facts, "address_alt"));
    assert_eq!(
        cert.raw_serial_as_string().replace(':', "").to_uppercase(),
        s(&facts, "sign_serial")
    );

    let der = std::fs::read(d.join("sign.crl")).unwrap();
    let (_, crl) = parse_x509_crl(&der).unwrap();
    assert_eq!(
        crl.last_update().to_datetime().unix_timestamp(),
        1_793_491_200
    );
    let times: HashMap<String, i64> = crl
        .iter_revoked_certificates()
        .map(|r| {
            (
                r.raw_serial_as_string().replace(':', "").to_uppercase(),
                r.revocation_date.timestamp(),
            )
        })
        .collect();
    for e in exp
        .iter()
        .filter(|e| s(e, "kind") == "sign" && s(e, "status") == "revoked")
    {
        let want = ::time::OffsetDateTime::parse(
            s(e, "revoked_at"),
            &::time::format_description::well_known::Rfc3339,
        )
        .unwrap()
        .unix_timestamp();
        assert_eq!(times[s(e, "serial")], want);
    }
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() {
    let args = [
        "--certs",
        "20",
        "--holders",
        "2",
        "--revoked",
        "300",
        "--at",
        AT,
    ];
    let (a, b, c) = (
        kakunin_testkit::tempdir(),
        kakunin_testkit::tempdir(),
        kakunin_testkit::tempdir(),
    );
    gen(a.path(), &args);
    gen(b.path(), &args);
    assert_same_tree(a.path(), b.path(), &[]);
    gen(c.path(), &[&args[..], &["--seed", "2"]].concat());
    for f in TOP_FILES {
        let (x, y) = (
            std::fs::read(a.path().join(f)).unwrap(),
            std::fs::read(c.path().join(f)).unwrap(),
        );
        assert_ne!(x, y, "{f} did not change with the seed");
    }
}

/// The UTC day now, as gen's default `--at` picks it.
fn utc_day() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
        / 86_400
}

/// Runs `f` again if midnight UTC passed while it ran: its steps would then
/// have generated or verified as of different days.
fn on_one_utc_day<T>(mut f: impl FnMut() -> T) -> T {
    for _ in 0..3 {
        let day = utc_day();
        let result = f();
        if utc_day() == day {
            return result;
        }
    }
    panic!("the UTC day changed during each of three tries");
}

/// Without `--at`, gen generates as of today: `verify` right after, at the
/// current time, gives every certificate its expected.jsonl status (good
/// ones `valid`, not `unknown` on a stale CRL), and two runs on one day
/// give the same bytes.
#[test]
fn without_at_gen_is_current_today_and_same_within_the_day() {
    let args = ["--certs", "20", "--holders", "0", "--revoked", "20"];
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let verified = on_one_utc_day(|| {
        gen(a.path(), &args);
        gen(b.path(), &args);
        let p = |f: &str| a.path().join(f).display().to_string();
        kakunin(&[
            "verify",
            "--trust",
            &p("sign-ca.pem"),
            "--trust",
            &p("auth-ca.pem"),
            "--crl",
            &p("sign.crl"),
            "--crl",
            &p("auth.crl"),
            &p("sign-certs.pem"),
            &p("auth-certs.pem"),
        ])
    });
    assert_same_tree(a.path(), b.path(), &[]);
    let exp = expected(a.path());
    for status in ["valid", "revoked", "invalid"] {
        assert!(
            exp.iter().any(|e| s(e, "status") == status),
            "no {status} certificate generated"
        );
    }
    assert_eq!(
        verified.status.code(),
        Some(1),
        "revoked and expired certificates are not valid: {}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert_matches_expected(&verified, &a.path().join("expected.jsonl"));
}

#[test]
fn data_dir_is_reproducible() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let data = root.join("data");
    let readme = std::fs::read_to_string(data.join("README.md")).unwrap();
    // The command recorded in data/README.md, run into a temporary directory.
    let line = readme
        .lines()
        .find(|l| l.starts_with("kakunin gen "))
        .expect("data/README.md records a `kakunin gen` command");
    let tmp = kakunin_testkit::tempdir();
    let args: Vec<String> = line
        .split_whitespace()
        .skip(2)
        .collect::<Vec<_>>()
        .chunks(2)
        .flat_map(|kv| match kv {
            ["--out", _] => vec![],
            other => other.iter().map(|s| s.to_string()).collect(),
        })
        .collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    gen(tmp.path(), &args);
    // data/oidc/ is the OpenID Provider demo, not made by `kakunin gen`.
    assert_same_tree(&data, tmp.path(), &["README.md", "oidc"]);
}

#[test]
fn bad_arguments_exit_2_with_a_message() {
    let tmp = kakunin_testkit::tempdir();
    let out = tmp.path().to_str().unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["gen"], "--out"),
        (&["gen", "--out", out, "--revoked", "5"], "--revoked 5"),
        (
            &["gen", "--out", out, "--certs", "5", "--holders", "6"],
            "--holders 6",
        ),
        (&["gen", "--out", out, "--at", "yesterday"], "RFC 3339"),
        (&["gen", "--out", out, "--crl-days", "0"], "--crl-days"),
        (&["gen", "--out", out, "--certs", "0"], "--certs"),
        (&["gen", "--out", out, "--seed", "abc"], "--seed"),
    ];
    for (args, needle) in cases {
        let o = Command::new(BIN).args(*args).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.contains(needle),
            "{args:?}: {err:?} should mention {needle}"
        );
    }
}
