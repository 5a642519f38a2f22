//! `kakunin status` answers equal what `openssl crl -text` says.

use std::collections::BTreeMap;

use kakunin_testkit::{openssl_time, reason_name};

use crate::common::*;

#[test]
fn answers_match_openssl_text() {
    let ca = OpensslCa::new();
    ca.gencrl("a.der", &[]);
    let out = ingest(&ca, "a.der", "a.idx", &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let oracle: BTreeMap<String, (String, Option<&str>)> = openssl_entries(&ca, "a.der")
        .into_iter()
        .map(|e| {
            let at = openssl_time(&e.revoked_at).rfc3339();
            (e.serial, (at, reason_name(&e.reason)))
        })
        .collect();
    assert_eq!(oracle.len(), REVOKED.len());

    let mut args = vec!["status".to_string(), "--index".into(), ca.p("a.idx")];
    // Serials in other spellings: lower case, 0x, leading zeros.
    let mut asked: Vec<String> = oracle.keys().cloned().collect();
    asked.push("0x0123000003".into()); // valid, not revoked
    asked.push("0000123000004".into()); // never issued
    asked.push("0x01".into());
    args.extend(asked.iter().map(|s| s.to_lowercase()));
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    let out = kakunin(&args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), asked.len());
    for line in &lines {
        let serial = line["serial"].as_str().unwrap();
        match oracle.get(serial) {
            Some((date, reason)) => {
                assert_eq!(line["status"], "revoked", "{line}");
                assert_eq!(line["revoked_at"], date.as_str(), "{line}");
                assert_eq!(line["reason"].as_str(), *reason, "{line}");
            }
            None => assert_eq!(line["status"], "good", "{line}"),
        }
    }

    // After nextUpdate every answer is unknown, never good.
    let out = kakunin(&[
        "status",
        "--index",
        &ca.p("a.idx"),
        "--at",
        "2099-01-01T00:00:00Z",
        "0123000003",
        "01",
    ]);
    assert!(out.status.success());
    for line in json_lines(&out) {
        assert_eq!(line["status"], "unknown", "{line}");
        assert!(line["detail"].as_str().unwrap().contains("stale"));
    }
}

#[test]
fn bad_input_exits_2() {
    let ca = OpensslCa::new();
    ca.gencrl("a.der", &[]);
    let out = ingest(&ca, "a.der", "a.idx", &[]);
    assert!(out.status.success());
    // Not hex.
    let out = kakunin(&["status", "--index", &ca.p("a.idx"), "12zz"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("12zz"));
    // A corrupted index is refused, never answered from.
    let mut bytes = std::fs::read(ca.path("a.idx")).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x40;
    std::fs::write(ca.path("bad.idx"), &bytes).unwrap();
    let out = kakunin(&["status", "--index", &ca.p("bad.idx"), "01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("checksum"));
    assert!(out.stdout.is_empty());
    // A truncated index too.
    std::fs::write(ca.path("short.idx"), &bytes[..n / 2]).unwrap();
    let out = kakunin(&["status", "--index", &ca.p("short.idx"), "01"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("truncated"));
}
