//! The RFC 5280 conformance cases (`engine/CONFORMANCE.md`) through the
//! command line, from raw CRLs and from indexes alike.
//!
//! The cases are made by `engine/tests/conformance/make_cases.py` with
//! Python `cryptography` and `openssl ca` — tools we did not write — each
//! breaking one rule. For every case: `kakunin verify --crl` must give the
//! expected status, name every refused file on stderr and in the detail,
//! and exit 1 rather than 2; `kakunin ingest` must refuse exactly the CRLs
//! the case says are bad; and `kakunin verify --index` over the indexes
//! that were made must give the same status. Every "enforced" row of the
//! table has a case here, so removing a check fails this test.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::common::kakunin;

/// One case of `manifest.json`.
#[derive(serde::Deserialize)]
struct Case {
    id: String,
    rule: String,
    trust: Vec<String>,
    intermediates: Vec<String>,
    crls: Vec<String>,
    cert: String,
    expect: String,
    refused: Vec<String>,
    at: String,
    crl_ca: std::collections::BTreeMap<String, String>,
}

fn make_cases(out: &Path) -> Vec<Case> {
    let script =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../engine/tests/conformance/make_cases.py");
    let o = Command::new("python3")
        .arg(&script)
        .arg(out)
        .output()
        .expect("python3 runs (the conformance cases need python3 with `cryptography`)");
    assert!(
        o.status.success(),
        "make_cases.py failed (pip install cryptography): {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let manifest = std::fs::read(out.join("manifest.json")).expect("manifest.json");
    serde_json::from_slice(&manifest).expect("manifest.json parses")
}

/// `kakunin verify` of the case's certificate with `flag` sources: the
/// status and detail of its one output line, the exit code and stderr.
fn verify(dir: &Path, c: &Case, flag: &str, sources: &[PathBuf]) -> (String, String, i32, String) {
    let p = |f: &str| dir.join(f).display().to_string();
    let mut args = vec![
        "verify".to_string(),
        "--quiet".into(),
        "--at".into(),
        c.at.clone(),
    ];
    for t in &c.trust {
        args.extend(["--trust".into(), p(t)]);
    }
    for i in &c.intermediates {
        args.extend(["--intermediate".into(), p(i)]);
    }
    for s in sources {
        args.extend([flag.to_string(), s.display().to_string()]);
    }
    args.push(p(&c.cert));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = kakunin(&argv);
    let stdout = String::from_utf8_lossy(&o.stdout);
    let line: serde_json::Value = stdout
        .lines()
        .next()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or(serde_json::Value::Null);
    (
        line["status"]
            .as_str()
            .unwrap_or("(no verdict)")
            .to_string(),
        line["detail"].as_str().unwrap_or("").to_string(),
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// What went wrong with one case, or nothing.
fn check(dir: &Path, idx_dir: &Path, c: &Case) -> Vec<String> {
    let mut bad = Vec::new();
    let want_rc = if c.expect == "valid" { 0 } else { 1 };
    let crls: Vec<PathBuf> = c.crls.iter().map(|f| dir.join(f)).collect();
    let (status, detail, rc, stderr) = verify(dir, c, "--crl", &crls);
    if status != c.expect || rc != want_rc {
        bad.push(format!(
            "raw: {status} (exit {rc}), expected {} (exit {want_rc}): {detail} {stderr}",
            c.expect
        ));
    }
    for f in &c.refused {
        let name = dir.join(f).display().to_string();
        let reported = stderr
            .lines()
            .find(|l| l.contains("refused") && l.contains(&name));
        match reported {
            // A CRL that claims no configured CA's name concerns none of
            // them: stderr is where it is reported. Any other refusal is
            // named in the verdict it took away.
            Some(line) if line.contains("no CA named") => {}
            // Another CRL still answered (a refused delta beside its
            // base): nothing was taken away, stderr is enough.
            Some(_) if c.expect == "valid" || c.expect == "revoked" => {}
            Some(_) if detail.contains(&name) => {}
            Some(_) => bad.push(format!("raw: detail does not name refused {f}: {detail}")),
            // Currency is judged per verification, not at load: an
            // out-of-date CRL is used, and the detail says it is out of date.
            None if detail.contains("stale") || detail.contains("not yet valid") => {}
            None => bad.push(format!(
                "raw: {f} neither reported as refused nor out of date: {stderr} {detail}"
            )),
        }
    }
    let mut indexes = Vec::new();
    for (n, f) in c.crls.iter().enumerate() {
        let out = idx_dir.join(format!("{}-{n}.idx", c.id));
        let ca = dir.join(&c.crl_ca[f]);
        let o = kakunin(&[
            "ingest",
            "--quiet",
            "--crl",
            &dir.join(f).display().to_string(),
            "--ca",
            &ca.display().to_string(),
            "--out",
            &out.display().to_string(),
            "--at",
            &c.at,
        ]);
        let should_refuse = c.refused.contains(f);
        match (o.status.success(), should_refuse) {
            (true, false) => indexes.push(out),
            (false, true) if !o.stderr.is_empty() => {}
            (ok, _) => bad.push(format!(
                "ingest {f}: {} but should {}: {}",
                if ok { "accepted" } else { "refused" },
                if should_refuse { "refuse" } else { "accept" },
                String::from_utf8_lossy(&o.stderr)
            )),
        }
    }
    let (status, detail, rc, _) = verify(dir, c, "--index", &indexes);
    if status != c.expect || rc != want_rc {
        bad.push(format!(
            "index: {status} (exit {rc}), expected {}: {detail}",
            c.expect
        ));
    }
    bad
}

#[test]
fn rfc5280_cases_from_crls_and_indexes() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cases");
    let idx_dir = tmp.path().join("idx");
    std::fs::create_dir_all(&idx_dir).expect("mkdir");
    let cases = make_cases(&dir);
    assert!(cases.len() > 100, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for c in &cases {
        for why in check(&dir, &idx_dir, c) {
            failures.push(format!("{} ({}): {why}", c.id, c.rule));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} conformance cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
