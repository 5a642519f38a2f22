//! The generator, ingest and status agree: every certificate in
//! `expected.jsonl` gets the status, reason and time it was issued with.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use kakunin_gen::Options;

use crate::common::*;

fn check_dir(dir: &Path, work: &Path) {
    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let expected: Vec<serde_json::Value> = expected
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    for kind in ["sign", "auth"] {
        let idx = work.join(format!("{kind}.idx"));
        let out = kakunin(&[
            "ingest",
            "--crl",
            &dir.join(format!("{kind}.crl")).display().to_string(),
            "--ca",
            &dir.join(format!("{kind}-ca.pem")).display().to_string(),
            "--out",
            &idx.display().to_string(),
            "--at",
            "2026-11-01T00:00:00Z",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mine: Vec<&serde_json::Value> = expected.iter().filter(|e| e["kind"] == kind).collect();
        // Serials go in on standard input, as a batch job would send them.
        let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args([
                "status",
                "--index",
                &idx.display().to_string(),
                "--at",
                "2026-11-01T00:00:00Z",
                "-",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut stdin = child.stdin.take().unwrap();
            for e in &mine {
                writeln!(stdin, "{}", e["serial"].as_str().unwrap()).unwrap();
            }
        }
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success());
        let got: HashMap<String, serde_json::Value> = json_lines(&out)
            .into_iter()
            .map(|l| (l["serial"].as_str().unwrap().to_string(), l))
            .collect();
        assert_eq!(got.len(), mine.len());
        for e in mine {
            let g = &got[e["serial"].as_str().unwrap()];
            if e["status"] == "revoked" {
                assert_eq!(g["status"], "revoked", "{e} vs {g}");
                assert_eq!(g["reason"], e["reason"], "{e} vs {g}");
                assert_eq!(g["revoked_at"], e["revoked_at"], "{e} vs {g}");
            } else {
                // Valid and expired certificates are not on the CRL.
                assert_eq!(g["status"], "good", "{e} vs {g}");
            }
        }
    }
}

#[test]
fn committed_sample_agrees_with_expected() {
    let work = kakunin_testkit::tempdir();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    check_dir(&data, work.path());
}

#[test]
fn larger_generated_pki_agrees_with_expected() {
    let work = kakunin_testkit::tempdir();
    let dir = work.path().join("pki");
    gen(
        &dir,
        &Options::new(at("2026-11-01T00:00:00Z"))
            .revoked(300000)
            .certs(1500)
            .holders(2)
            .seed(7),
    );
    check_dir(&dir, work.path());
}
