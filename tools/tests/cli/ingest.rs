//! `kakunin ingest` on CRLs made by OpenSSL, and on damaged ones.

use kakunin_testkit::{openssl_text, openssl_time};

use crate::common::*;

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn summary_matches_openssl() {
    let ca = OpensslCa::new();
    ca.gencrl("a.der", &[]);
    let out = ingest(&ca, "a.der", "a.idx", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = &json_lines(&out)[0];
    assert_eq!(j["entries"], REVOKED.len() as u64);
    // openssl prints the CRL number in decimal: "X509v3 CRL Number: \n 4096"
    let text = openssl_text(
        ca.dir.path(),
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "a.der",
            "-noout",
            "-crlnumber",
        ],
    );
    let hex = text
        .trim()
        .trim_start_matches("crlNumber=")
        .trim_start_matches("0x");
    let n = u64::from_str_radix(hex, 16).unwrap();
    assert_eq!(j["crl_number"], n.to_string());
    assert_eq!(
        j["long"], 2,
        "the 9- and 20-byte serials go to the exact table"
    );
    let next = openssl_text(
        ca.dir.path(),
        &[
            "crl",
            "-inform",
            "DER",
            "-in",
            "a.der",
            "-noout",
            "-nextupdate",
        ],
    );
    let next = openssl_time(next.trim().trim_start_matches("nextUpdate=")).rfc3339();
    assert_eq!(j["next_update"], next);
    // A PEM CRL gives the same index content.
    let pem = ingest(&ca, "crl.pem", "b.idx", &[]);
    assert!(pem.status.success(), "{}", stderr(&pem));
    assert_eq!(json_lines(&pem)[0]["entries"], REVOKED.len() as u64);
}

#[test]
fn damaged_crls_are_rejected_and_the_old_index_survives() {
    let ca = OpensslCa::new();
    let good = ca.gencrl("good.der", &[]);
    let out = ingest(&ca, "good.der", "live.idx", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = std::fs::read(ca.path("live.idx")).unwrap();
    let bytes = std::fs::read(&good).unwrap();

    // (file content, words the error must contain)
    let mut forged_sig = bytes.clone();
    let last = forged_sig.len() - 5;
    forged_sig[last] ^= 0x01;
    let mut forged_tbs = bytes.clone();
    // Inside the last entry's revocation date digits: still well-formed DER.
    let pos = forged_tbs
        .windows(13)
        .position(|w| w == b"240203040508Z")
        .expect("date in CRL");
    forged_tbs[pos + 11] = b'9';
    let mut trailing = bytes.clone();
    trailing.extend_from_slice(b"\x00\x00");
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("forged signature", forged_sig, "signature"),
        ("forged entry", forged_tbs, "signature"),
        ("truncated", bytes[..bytes.len() / 2].to_vec(), "truncated"),
        ("trailing garbage", trailing, "trailing"),
        ("empty file", Vec::new(), ""),
        ("not a CRL", b"hello, this is not a CRL\n".to_vec(), ""),
    ];
    for (what, content, word) in cases {
        std::fs::write(ca.path("bad.der"), &content).unwrap();
        let out = ingest(&ca, "bad.der", "live.idx", &[]);
        assert_eq!(out.status.code(), Some(2), "{what}: {}", stderr(&out));
        let err = stderr(&out).to_lowercase();
        assert!(
            err.contains(word),
            "{what}: error should mention {word:?}: {err}"
        );
        assert!(out.stdout.is_empty(), "{what}: nothing on stdout");
        assert_eq!(
            std::fs::read(ca.path("live.idx")).unwrap(),
            before,
            "{what}: old index changed"
        );
    }

    // Stale: checked as of a time after nextUpdate.
    let out = ingest(
        &ca,
        "good.der",
        "live.idx",
        &["--at", "2099-01-01T00:00:00Z"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("stale"), "{}", stderr(&out));
    // Not yet valid: checked as of a time before thisUpdate.
    let out = ingest(
        &ca,
        "good.der",
        "live.idx",
        &["--at", "2001-01-01T00:00:00Z"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("not yet valid"), "{}", stderr(&out));

    // Signed by another CA with the same name.
    let other = OpensslCa::new();
    let out = kakunin(&[
        "ingest",
        "--crl",
        &ca.p("good.der"),
        "--ca",
        &other.p("ca.pem"),
        "--out",
        &ca.p("live.idx"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).to_lowercase().contains("key"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read(ca.path("live.idx")).unwrap(), before);

    // Bad arguments.
    let out = kakunin(&[
        "ingest",
        "--crl",
        "/nonexistent.der",
        "--ca",
        &ca.p("ca.pem"),
        "--out",
        &ca.p("x.idx"),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("/nonexistent.der"));
    let out = kakunin(&["ingest", "--crl", &ca.p("good.der")]);
    assert_eq!(out.status.code(), Some(2));
}
