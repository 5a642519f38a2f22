//! `kakunin verify` and `verify-signature` end to end: against the
//! generator's `expected.jsonl` over ≥ 100k certificates, on damaged input,
//! and with evidence records.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use kakunin_gen::Options;
use kakunin_testkit::{openssl, openssl_in, openssl_text, try_openssl_in};

use crate::common::*;

const AT: &str = "2026-11-01T00:00:00Z";

fn run_with_stdin(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Compares verify's lines with expected.jsonl, in order.
pub(crate) fn assert_matches_expected(out: &Output, expected: &Path) {
    let expected: Vec<serde_json::Value> = std::fs::read_to_string(expected)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = json_lines(out);
    assert_eq!(got.len(), expected.len(), "one line per certificate");
    for (g, e) in got.iter().zip(&expected) {
        assert_eq!(g["serial"], e["serial"], "order kept: {g} vs {e}");
        assert_eq!(g["status"], e["status"], "{g} vs {e}");
        assert_eq!(g["reason"], e["reason"], "{g} vs {e}");
        if e["status"] == "revoked" {
            assert_eq!(g["revoked_at"], e["revoked_at"], "{g} vs {e}");
        }
        if e["status"] == "invalid" {
            assert!(g["detail"].as_str().unwrap().starts_with("expired"), "{g}");
        }
        let kind = if e["kind"] == "sign" {
            "jpki-signing"
        } else {
            "jpki-authentication"
        };
        assert_eq!(g["kind"], kind, "{g}");
    }
}

#[test]
fn hundred_thousand_generated_certificates_match_expected() {
    let work = kakunin_testkit::tempdir();
    let dir = work.path().join("pki");
    gen(
        &dir,
        &Options::new(at(AT))
            .certs(50000)
            .revoked(200000)
            .holders(2)
            .seed(11),
    );
    let idx = work.path().join("sign.idx");
    let ing = kakunin(&[
        "ingest",
        "--crl",
        &s(&dir.join("sign.crl")),
        "--ca",
        &s(&dir.join("sign-ca.pem")),
        "--out",
        &s(&idx),
        "--at",
        AT,
    ]);
    assert!(
        ing.status.success(),
        "{}",
        String::from_utf8_lossy(&ing.stderr)
    );
    // Signing CRL as an index, authentication CRL raw: both paths at once.
    let evidence = work.path().join("evidence.jsonl");
    let out = kakunin(&[
        "verify",
        "--trust",
        &s(&dir.join("sign-ca.pem")),
        "--trust",
        &s(&dir.join("auth-ca.pem")),
        "--index",
        &s(&idx),
        "--crl",
        &s(&dir.join("auth.crl")),
        "--at",
        AT,
        "--evidence",
        &s(&evidence),
        &s(&dir.join("sign-certs.pem")),
        &s(&dir.join("auth-certs.pem")),
    ]);
    assert_eq!(out.status.code(), Some(1), "some are not valid: exit 1");
    assert_matches_expected(&out, &dir.join("expected.jsonl"));

    // One evidence entry per decision, each naming the source it used (no
    // key: a chain without checkpoints).
    let ev: Vec<serde_json::Value> = evidence_entries(&evidence, false)
        .into_iter()
        .map(|v| {
            assert_eq!(v["kind"], "status", "{v}");
            v["record"].clone()
        })
        .collect();
    assert_eq!(ev.len(), 100_000);
    let first = &ev[0];
    assert_eq!(first["validation_time"], AT);
    assert_eq!(first["sources"][0]["kind"], "index");
    let idx_sha = ring_sha256_hex(&std::fs::read(&idx).unwrap());
    assert_eq!(first["sources"][0]["sha256"], idx_sha.as_str());
    let last = &ev[99_999];
    assert_eq!(last["sources"][0]["kind"], "crl");
    assert_eq!(
        last["sources"][0]["sha256"],
        ring_sha256_hex(&std::fs::read(dir.join("auth.crl")).unwrap()).as_str()
    );
}

fn ring_sha256_hex(b: &[u8]) -> String {
    let out = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            c.stdin.take().unwrap().write_all(b)?;
            c.wait_with_output()
        })
        .unwrap();
    String::from_utf8_lossy(&out.stdout)[..64].to_string()
}

#[test]
fn sample_data_raw_crl_index_and_stdin_agree() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let work = kakunin_testkit::tempdir();
    let mut idx_args = vec![];
    for kind in ["sign", "auth"] {
        let idx = work.path().join(format!("{kind}.idx"));
        let o = kakunin(&[
            "ingest",
            "--crl",
            &s(&data.join(format!("{kind}.crl"))),
            "--ca",
            &s(&data.join(format!("{kind}-ca.pem"))),
            "--out",
            &s(&idx),
            "--at",
            AT,
        ]);
        assert!(o.status.success());
        idx_args.push(s(&idx));
    }
    let trust = [
        "--trust",
        &s(&data.join("sign-ca.pem")),
        "--trust",
        &s(&data.join("auth-ca.pem")),
    ]
    .map(String::from);
    let inputs = [
        s(&data.join("sign-certs.pem")),
        s(&data.join("auth-certs.pem")),
    ];
    let mut raw: Vec<String> = vec!["verify".into(), "--at".into(), AT.into()];
    raw.extend(trust.iter().cloned());
    raw.extend([
        "--crl".into(),
        s(&data.join("sign.crl")),
        "--crl".into(),
        s(&data.join("auth.crl")),
    ]);
    raw.extend(inputs.iter().cloned());
    let raw_out = kakunin(&raw.iter().map(|x| x.as_str()).collect::<Vec<_>>());
    assert_matches_expected(&raw_out, &data.join("expected.jsonl"));

    let mut ix: Vec<String> = vec!["verify".into(), "--at".into(), AT.into()];
    ix.extend(trust.iter().cloned());
    for i in &idx_args {
        ix.extend(["--index".into(), i.clone()]);
    }
    ix.extend(inputs.iter().cloned());
    let ix_out = kakunin(&ix.iter().map(|x| x.as_str()).collect::<Vec<_>>());
    assert_eq!(
        raw_out.stdout, ix_out.stdout,
        "--crl and --index answer identically"
    );

    // The same certificates through standard input.
    let mut stdin = std::fs::read(data.join("sign-certs.pem")).unwrap();
    stdin.extend(std::fs::read(data.join("auth-certs.pem")).unwrap());
    let mut st: Vec<String> = vec!["verify".into(), "--at".into(), AT.into()];
    st.extend(trust.iter().cloned());
    for i in &idx_args {
        st.extend(["--index".into(), i.clone()]);
    }
    st.push("-".into());
    let st_out = run_with_stdin(&st.iter().map(|x| x.as_str()).collect::<Vec<_>>(), &stdin);
    assert_matches_expected(&st_out, &data.join("expected.jsonl"));

    // After the CRLs' nextUpdate nothing is valid: unknown, fail closed.
    let mut late = ix.clone();
    late[2] = "2037-01-01T00:00:00Z".into();
    let out = kakunin(&late.iter().map(|x| x.as_str()).collect::<Vec<_>>());
    for l in json_lines(&out) {
        assert_ne!(l["status"], "valid", "{l}");
    }
}

#[test]
fn damaged_inputs_are_reported_per_certificate() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let work = kakunin_testkit::tempdir();
    let good = std::fs::read_to_string(data.join("holders/1/sign.pem")).unwrap();
    let mut bundle = String::from("some junk before\n");
    bundle.push_str(&good);
    bundle.push_str("\njunk between blocks\n-----BEGIN CERTIFICATE-----\nnot*base64\n-----END CERTIFICATE-----\n");
    // A truncated certificate: valid base64 of half the DER.
    let body: String = good.lines().filter(|l| !l.starts_with("-----")).collect();
    bundle.push_str(&format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        &body[..body.len() / 2 / 4 * 4]
    ));
    bundle.push_str(&good);
    std::fs::write(work.path().join("mixed.pem"), bundle).unwrap();
    std::fs::write(
        work.path().join("garbage.bin"),
        [0x30u8, 0x82, 0xff, 0xff, 1, 2, 3],
    )
    .unwrap();
    std::fs::write(work.path().join("text.txt"), "hello\n").unwrap();
    let out = kakunin(&[
        "verify",
        "--trust",
        &s(&data.join("sign-ca.pem")),
        "--crl",
        &s(&data.join("sign.crl")),
        "--at",
        AT,
        &s(&work.path().join("mixed.pem")),
        &s(&work.path().join("garbage.bin")),
        &s(&work.path().join("text.txt")),
    ]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    let status: Vec<&str> = lines
        .iter()
        .map(|l| l["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        status,
        ["valid", "invalid", "invalid", "valid", "invalid", "invalid"],
        "{lines:?}"
    );
    assert!(lines[1]["detail"].as_str().unwrap().contains("base64"));
    assert!(
        lines[2]["detail"]
            .as_str()
            .unwrap()
            .starts_with("malformed"),
        "{}",
        lines[2]
    );
    assert!(lines[4]["detail"].as_str().unwrap().contains("truncated"));

    // Unusable arguments: exit 2 before any output.
    let out = kakunin(&[
        "verify",
        "--trust",
        "/no/such/ca.pem",
        &s(&data.join("sign-certs.pem")),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let out = kakunin(&[
        "verify",
        "--trust",
        &s(&data.join("sign-ca.pem")),
        "/no/such/input.pem",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let out = kakunin(&[
        "verify",
        "--trust",
        &s(&data.join("sign-ca.pem")),
        "--at",
        "yesterday",
        "-",
    ]);
    assert_eq!(out.status.code(), Some(2));
    // No CRL at all: unknown, never valid.
    let out = kakunin(&[
        "verify",
        "--trust",
        &s(&data.join("sign-ca.pem")),
        "--at",
        AT,
        &s(&data.join("holders/1/sign.pem")),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(json_lines(&out)[0]["status"], "unknown");
}

#[test]
fn document_signatures() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../data");
    let work = kakunin_testkit::tempdir();
    let doc = work.path().join("doc.txt");
    std::fs::write(&doc, "申請書: 住所変更\n").unwrap();
    let sig = work.path().join("doc.sig");
    for holder in ["1", "2"] {
        let key = data.join(format!("holders/{holder}/sign.key"));
        openssl(&[
            "dgst",
            "-sha256",
            "-sign",
            &s(&key),
            "-out",
            &s(&sig),
            &s(&doc),
        ]);
        let base = [
            "verify-signature",
            "--trust",
            &s(&data.join("sign-ca.pem")),
            "--crl",
            &s(&data.join("sign.crl")),
            "--at",
            AT,
            "--cert",
            &s(&data.join(format!("holders/{holder}/sign.pem"))),
            "--sig",
            &s(&sig),
        ]
        .map(String::from);
        let digest = ring_sha256_hex(&std::fs::read(&doc).unwrap());
        for extra in [
            vec!["--data".to_string(), s(&doc)],
            vec!["--digest".to_string(), digest],
        ] {
            let mut args = base.to_vec();
            args.extend(extra);
            let out = kakunin(&args.iter().map(|x| x.as_str()).collect::<Vec<_>>());
            let j = &json_lines(&out)[0];
            assert_eq!(j["signature"]["status"], "valid", "{j}");
            if holder == "1" {
                assert_eq!(j["status"], "valid", "{j}");
                assert_eq!(out.status.code(), Some(0));
            } else {
                // Holder 2's certificate is revoked: a good signature by a revoked key is not valid.
                assert_eq!(j["certificate"]["status"], "revoked", "{j}");
                assert_eq!(j["status"], "revoked", "{j}");
                assert_eq!(out.status.code(), Some(1));
            }
        }
        // Tampered document.
        std::fs::write(work.path().join("other.txt"), "申請書: 氏名変更\n").unwrap();
        let mut args = base.to_vec();
        args.extend(["--data".to_string(), s(&work.path().join("other.txt"))]);
        let out = kakunin(&args.iter().map(|x| x.as_str()).collect::<Vec<_>>());
        assert_eq!(out.status.code(), Some(1));
        assert_eq!(json_lines(&out)[0]["signature"]["status"], "invalid");
    }

    // Batch form on stdin.
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        &s(&data.join("holders/1/sign.key")),
        "-out",
        &s(&sig),
        &s(&doc),
    ]);
    let cert_pem = std::fs::read_to_string(data.join("holders/1/sign.pem")).unwrap();
    let sig_b = std::fs::read(&sig).unwrap();
    let doc_b = std::fs::read(&doc).unwrap();
    let lines = [
        serde_json::json!({"cert": cert_pem, "sig": b64(&sig_b), "data": b64(&doc_b)}),
        serde_json::json!({"cert": cert_pem, "sig": b64(&sig_b), "digest": ring_sha256_hex(&doc_b)}),
        serde_json::json!({"cert": cert_pem, "sig": b64(&sig_b), "data": b64(b"tampered")}),
        serde_json::json!({"cert": cert_pem, "sig": "!!"}),
    ];
    let input: String = lines.iter().map(|l| format!("{l}\n")).collect();
    let out = run_with_stdin(
        &[
            "verify-signature",
            "--trust",
            &s(&data.join("sign-ca.pem")),
            "--crl",
            &s(&data.join("sign.crl")),
            "--at",
            AT,
            "--batch",
            "-",
        ],
        input.as_bytes(),
    );
    assert_eq!(out.status.code(), Some(1));
    let got: Vec<String> = json_lines(&out)
        .iter()
        .map(|l| l["status"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(got, ["valid", "valid", "invalid", "invalid"]);
}

/// RFC 5280 §4.1.2.2: serials up to 20 octets must be handled, and
/// negative ones (non-conforming CAs issue them) handled gracefully. Leaves
/// issued by `openssl x509 -req -set_serial` and checked against an
/// `openssl ca -gencrl` CRL; `openssl verify -crl_check` is the oracle for
/// the status, `openssl x509 -serial` for the printed serial.
#[test]
fn odd_serials_agree_with_openssl() {
    let ca = OpensslCa::new();
    let d = ca.dir.path();
    let crl = ca.gencrl("crl.der", &[]);
    openssl_in(
        d,
        &["crl", "-inform", "DER", "-in", "crl.der", "-out", "crl.pem"],
    );
    openssl_in(
        d,
        &[
            "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "leaf.key", "-out", "leaf.csr",
            "-subj", "/CN=leaf",
        ],
    );
    // (set_serial argument, revoked by the CRL?)
    let cases = [
        ("0x7102030405060708090A0B0C0D0E0F1011121314", true), // 20 octets
        ("0xFF0102030405060708090A0B0C0D0E0F10111213", false), // 20 octets, top bit set
        ("-5", false),                                        // negative
        ("0x0102030405060708090A0B0C0D0E0F1011121314FF", false), // 21 octets
        ("0x0123000003", false),
        ("1", true),
    ];
    let mut args = vec![
        "verify".to_string(),
        "--trust".into(),
        ca.p("ca.pem"),
        "--crl".into(),
        crl.display().to_string(),
    ];
    for (i, (serial, _)) in cases.iter().enumerate() {
        let name = format!("leaf{i}.pem");
        openssl_in(
            d,
            &[
                "x509",
                "-req",
                "-in",
                "leaf.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                serial,
                "-days",
                "30",
                "-out",
                &name,
            ],
        );
        args.push(ca.p(&name));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kakunin(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out);
    assert_eq!(lines.len(), cases.len());
    for (i, ((serial, revoked), line)) in cases.iter().zip(&lines).enumerate() {
        let name = format!("leaf{i}.pem");
        let printed = openssl_text(d, &["x509", "-in", &name, "-noout", "-serial"]);
        assert_eq!(
            line["serial"].as_str().unwrap(),
            printed.trim().trim_start_matches("serial="),
            "{serial}"
        );
        let (success, text) = try_openssl_in(
            d,
            &[
                "verify",
                "-crl_check",
                "-CAfile",
                "ca.pem",
                "-CRLfile",
                "crl.pem",
                &name,
            ],
        );
        let (theirs, ours) = (
            if text.contains("certificate revoked") {
                "revoked"
            } else if success {
                "valid"
            } else {
                "other"
            },
            line["status"].as_str().unwrap(),
        );
        assert_eq!(ours, theirs, "{serial}: {line} / openssl: {text}");
        assert_eq!(ours == "revoked", *revoked, "{serial}");
    }
}
