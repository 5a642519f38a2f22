//! The evidence log end to end: `kakunin verify --evidence --evidence-key`
//! and `verify-signature --evidence` on the sample data, then `kakunin
//! evidence verify` on the log as written and after each kind of
//! tampering, and `kakunin evidence show`. A checkpoint is also checked by
//! the `openssl dgst -verify` command line, an oracle independent of
//! kakunin.

use kakunin_testkit::lines as file_lines;
use std::path::{Path, PathBuf};
use std::process::Output;

use base64::Engine as _;
use kakunin_engine::crypto::sha256;
use kakunin_testkit::{openssl, path_str as s, try_openssl_in};
use serde_json::Value;

use crate::common::{evidence_entries, evidence_key, kakunin};

const AT: &str = "2026-11-01T00:00:00Z";

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data")
}

/// `kakunin verify` of the sample's 100 signing certificates, with
/// evidence signed by `key`.
fn verify_into(evidence: &Path, key: Option<&Path>) -> Output {
    let data = data();
    let trust = data.join("sign-ca.pem");
    let crl = data.join("sign.crl");
    let certs = data.join("sign-certs.pem");
    let mut args = vec!["verify", "--quiet", "--at", AT, "--trust", s(&trust)];
    args.extend(["--crl", s(&crl), "--evidence", s(evidence)]);
    if let Some(k) = key {
        args.extend(["--evidence-key", s(k)]);
    }
    args.push(s(&certs));
    let out = kakunin(&args);
    assert_eq!(
        out.status.code(),
        Some(1),
        "some are revoked: {}",
        err(&out)
    );
    out
}

fn err(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `kakunin evidence verify --key PUB FILES`: (exit code, stdout).
fn check(files: &[&Path], public: &Path) -> (Option<i32>, String) {
    let mut args = vec!["evidence", "verify", "--key", s(public)];
    args.extend(files.iter().map(|f| s(f)));
    let out = kakunin(&args);
    assert!(err(&out).is_empty(), "{}", err(&out));
    (out.status.code(), stdout(&out))
}

/// A log of two runs (200 records) signed with a fresh OpenSSL key:
/// checkpoints at lines 1 (start), 102 (batch), 103 (shutdown), 204 and
/// 205. Returns (log, public key).
fn two_runs(dir: &Path) -> (PathBuf, PathBuf) {
    let (key, public) = evidence_key(dir);
    let evidence = dir.join("evidence.jsonl");
    for _ in 0..2 {
        let out = verify_into(&evidence, Some(&key));
        assert!(!err(&out).contains("warning"), "{}", err(&out));
    }
    let kinds: Vec<(usize, String)> = evidence_entries(&evidence, false)
        .iter()
        .enumerate()
        .filter(|(_, v)| v["kind"] == "checkpoint")
        .map(|(i, v)| (i + 1, v["record"]["reason"].as_str().unwrap().to_string()))
        .collect();
    let want = [
        (1, "start"),
        (102, "batch"),
        (103, "shutdown"),
        (204, "batch"),
        (205, "shutdown"),
    ];
    assert_eq!(
        kinds,
        want.map(|(i, r)| (i, r.to_string())),
        "checkpoints where the test expects them"
    );
    (evidence, public)
}

/// A tampered copy of the log, checked: exit 1 and stdout naming `needles`.
fn tampered(dir: &Path, name: &str, lines: &[Vec<u8>], public: &Path, needles: &[&str]) {
    let path = dir.join(name);
    file_lines::write(&path, lines);
    let (code, text) = check(&[&path], public);
    assert_eq!(code, Some(1), "{name}: {text}");
    for n in needles {
        assert!(text.contains(n), "{name}: {n:?} not in:\n{text}");
    }
}

/// Renumbers and re-hashes lines `from..` (0-based), keeping each record's
/// bytes: what a forger without the key does after changing line `from`.
fn rechain(lines: &mut [Vec<u8>], from: usize) {
    for i in from..lines.len() {
        let v: Value = serde_json::from_slice(&lines[i]).unwrap();
        let before: Value = serde_json::from_slice(&lines[i - 1]).unwrap();
        let text = String::from_utf8(lines[i].clone()).unwrap();
        let at = text.find(",\"kind\":").unwrap();
        let line = format!(
            "{{\"seq\":{},\"prev\":\"{}\"{}",
            before["seq"].as_u64().unwrap() + 1,
            hex_of(&sha256(&lines[i - 1])),
            &text[at..]
        );
        assert_eq!(
            serde_json::from_str::<Value>(&line).unwrap()["record"],
            v["record"]
        );
        lines[i] = line.into_bytes();
    }
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn an_intact_signed_log_verifies_and_each_tampering_is_named() {
    let work = kakunin_testkit::tempdir();
    let (evidence, public) = two_runs(work.path());
    let (code, text) = check(&[&evidence], &public);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("entries: 205 (200 records, 5 checkpoints), seq 1 to 205")
            && text.contains("intact: chain and every checkpoint signature verified"),
        "{text}"
    );
    // Records carry their body under "record", with no holder data.
    let records = evidence_entries(&evidence, true);
    assert_eq!(records.len(), 200);
    assert!(records.iter().all(|v| v["kind"] == "status"));
    assert_eq!(records[0]["record"]["validation_time"], AT);
    assert_eq!(records[0]["record"]["sources"][0]["kind"], "crl");

    let good = file_lines::read(&evidence);
    let dir = work.path();

    // One byte changed in record seq 50: the next line no longer links.
    let mut one_byte = good.clone();
    let text = String::from_utf8(one_byte[49].clone()).unwrap();
    let i = text.find("\"cert_sha256\":\"").unwrap() + 20;
    one_byte[49][i] = if one_byte[49][i] == b'0' { b'1' } else { b'0' };
    tampered(
        dir,
        "byte.jsonl",
        &one_byte,
        &public,
        &["line 51 (seq 51): prev is", "line 50 (seq 50)"],
    );

    // A record removed.
    let mut removed = good.clone();
    removed.remove(49);
    tampered(
        dir,
        "removed.jsonl",
        &removed,
        &public,
        &["line 50 (seq 51): seq is 51, expected 50", "missing"],
    );

    // Two records swapped.
    let mut swapped = good.clone();
    swapped.swap(49, 50);
    tampered(
        dir,
        "swapped.jsonl",
        &swapped,
        &public,
        &["line 50 (seq 51): seq is 51, expected 50"],
    );

    // A tail rewritten from seq 150 with its hashes recomputed, old
    // checkpoints kept: the next checkpoint seals another head.
    let forge = |lines: &mut Vec<Vec<u8>>| {
        let text = String::from_utf8(lines[149].clone()).unwrap();
        let changed = text.replacen("\"status\":\"revoked\"", "\"status\":\"valid\"", 1);
        let changed = if changed == text {
            text.replacen("\"status\":\"valid\"", "\"status\":\"revoked\"", 1)
        } else {
            changed
        };
        assert_ne!(changed, text);
        lines[149] = changed.into_bytes();
    };
    let mut kept = good.clone();
    forge(&mut kept);
    rechain(&mut kept, 150);
    tampered(
        dir,
        "rewritten-kept.jsonl",
        &kept,
        &public,
        &[
            "BROKEN",
            "line 204 (seq 204)",
            "the entries it sealed were changed or rewritten",
        ],
    );

    // The same with the checkpoints after the change dropped: unsealed.
    let mut dropped = good.clone();
    forge(&mut dropped);
    dropped.truncate(203);
    rechain(&mut dropped, 150);
    tampered(
        dir,
        "rewritten-dropped.jsonl",
        &dropped,
        &public,
        &[
            "NOT SEALED",
            "line 104 (seq 104) on were written after the last checkpoint",
            "a rewritten tail",
        ],
    );

    // A truncated last line: a crash mid-append.
    let path = dir.join("torn.jsonl");
    let bytes = std::fs::read(&evidence).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 30]).unwrap();
    let (code, text) = check(&[&path], &public);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("line 205") && text.contains("a crash mid-append"),
        "{text}"
    );

    // A checkpoint removed, and another's signature pasted into one.
    let mut no_checkpoint = good.clone();
    no_checkpoint.remove(101);
    tampered(
        dir,
        "no-checkpoint.jsonl",
        &no_checkpoint,
        &public,
        &["line 102 (seq 103): seq is 103, expected 102"],
    );
    let sig = |l: &[u8]| {
        serde_json::from_slice::<Value>(l).unwrap()["record"]["signature"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut pasted = good.clone();
    let text = String::from_utf8(pasted[203].clone()).unwrap();
    pasted[203] = text
        .replace(&sig(&good[203]), &sig(&good[101]))
        .into_bytes();
    tampered(
        dir,
        "pasted.jsonl",
        &pasted,
        &public,
        &["line 204 (seq 204)", "signature does not verify"],
    );

    // Verified with another key: every checkpoint is someone else's.
    let other = kakunin_testkit::tempdir();
    let (_, other_public) = evidence_key(other.path());
    let (code, text) = check(&[&evidence], &other_public);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains("line 1 (seq 1): the checkpoint is signed by key"),
        "{text}"
    );
}

#[test]
fn a_checkpoint_verifies_with_the_openssl_command_line() {
    let work = kakunin_testkit::tempdir();
    let (evidence, public) = two_runs(work.path());
    let all = evidence_entries(&evidence, false);
    let cp = &all[101];
    let r = &cp["record"];
    assert_eq!(r["head_seq"], 101);
    assert_eq!(
        r["head"],
        hex_of(&sha256(&file_lines::read(&evidence)[100])).as_str()
    );
    // The key id is the SHA-256 of the public key's DER.
    let der = openssl(&["pkey", "-pubin", "-in", s(&public), "-outform", "DER"]);
    assert_eq!(r["key_id"], hex_of(&sha256(&der)).as_str());
    let message = format!(
        "kakunin-evidence-checkpoint v1\n{}\n{}\n{}\n{}\n{}\n",
        r["head_seq"],
        r["head"].as_str().unwrap(),
        r["at"].as_str().unwrap(),
        r["reason"].as_str().unwrap(),
        r["key_id"].as_str().unwrap()
    );
    let dir = work.path();
    std::fs::write(dir.join("msg.txt"), &message).unwrap();
    let sig = base64::engine::general_purpose::STANDARD
        .decode(r["signature"].as_str().unwrap())
        .unwrap();
    std::fs::write(dir.join("sig.der"), sig).unwrap();
    let args = [
        "dgst",
        "-sha256",
        "-verify",
        "evidence-pub.pem",
        "-signature",
        "sig.der",
        "msg.txt",
    ];
    let (ok, text) = try_openssl_in(dir, &args);
    assert!(ok && text.contains("Verified OK"), "{text}");
    // One character of the message changed: OpenSSL refuses it too.
    std::fs::write(dir.join("msg.txt"), message.replace("batch", "start")).unwrap();
    let (ok, text) = try_openssl_in(dir, &args);
    assert!(!ok, "{text}");
}

#[test]
fn show_finds_an_entry_by_seq_hash_prefix_or_record_id() {
    let work = kakunin_testkit::tempdir();
    let (evidence, _) = two_runs(work.path());
    let line = &file_lines::read(&evidence)[9];
    let hash = hex_of(&sha256(line));
    for id in ["10", &hash[..10], &hash] {
        let out = kakunin(&["evidence", "show", id, s(&evidence)]);
        assert_eq!(out.status.code(), Some(0), "{id}: {}", err(&out));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (v["seq"].as_u64(), v["line"].as_u64()),
            (Some(10), Some(10)),
            "{id}"
        );
        assert_eq!(v["hash"], hash.as_str());
        assert_eq!(v["kind"], "status");
        assert!(v["record"]["cert_sha256"].is_string());
    }
    let out = kakunin(&["evidence", "show", "99999", s(&evidence)]);
    assert_eq!(out.status.code(), Some(1));
    assert!(err(&out).contains("no entry"), "{}", err(&out));

    // A record's "id" (as the server's sign transactions carry).
    let log = work.path().join("tx.jsonl");
    let mut w = kakunin_report::ChainWriter::open(&log, None, Default::default()).unwrap();
    for n in 0..3 {
        let id = format!("0b6f1c2e-0000-4000-8000-00000000000{n}");
        w.append("sign_transaction", &serde_json::json!({"id": id, "n": n}))
            .unwrap();
    }
    w.finish().unwrap();
    let out = kakunin(&[
        "evidence",
        "show",
        "0b6f1c2e-0000-4000-8000-000000000001",
        s(&log),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", err(&out));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (v["seq"].as_u64(), &v["record"]["n"]),
        (Some(2), &Value::from(1))
    );
}

#[test]
fn verify_signature_writes_signature_entries_to_the_same_chain() {
    let data = data();
    let work = kakunin_testkit::tempdir();
    let dir = work.path();
    let (key, public) = evidence_key(dir);
    let doc = dir.join("doc.txt");
    std::fs::write(&doc, "申請書: 住所変更\n").unwrap();
    let sig = dir.join("doc.sig");
    let signer = data.join("holders/1/sign.key");
    openssl(&[
        "dgst",
        "-sha256",
        "-sign",
        s(&signer),
        "-out",
        s(&sig),
        s(&doc),
    ]);
    let evidence = dir.join("evidence.jsonl");
    // A status run and a signature check append to one chain.
    verify_into(&evidence, Some(&key));
    let trust = data.join("sign-ca.pem");
    let crl = data.join("sign.crl");
    let cert = data.join("holders/1/sign.pem");
    let out = kakunin(&[
        "verify-signature",
        "--trust",
        s(&trust),
        "--crl",
        s(&crl),
        "--at",
        AT,
        "--cert",
        s(&cert),
        "--sig",
        s(&sig),
        "--data",
        s(&doc),
        "--evidence",
        s(&evidence),
        "--evidence-key",
        s(&key),
    ]);
    assert!(out.status.code().is_some_and(|c| c < 2), "{}", err(&out));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    let records = evidence_entries(&evidence, true);
    let last = records.last().unwrap();
    assert_eq!(last["kind"], "signature");
    let r = &last["record"];
    assert_eq!(
        r["document_sha256"],
        hex_of(&sha256(&std::fs::read(&doc).unwrap())).as_str()
    );
    assert_eq!(r["signature"]["status"], answer["signature"]["status"]);
    assert_eq!(r["status"], answer["status"]);
    assert_eq!(r["certificate"]["serial"], answer["certificate"]["serial"]);
    assert_eq!(r["certificate"]["sources"][0]["kind"], "crl");
    assert!(r["certificate"]["sources"][0]["crl_number"].is_string());
    // Nothing of the holder but the certificate's hash, serial and issuer.
    let text = last.to_string();
    for facts in ["name", "address", "birth", "sex"] {
        assert!(!text.contains(&format!("\"{facts}\"")), "{text}");
    }
    let (code, text) = check(&[&evidence], &public);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("101 records"), "{text}");
}

#[test]
fn without_a_key_the_chain_is_written_with_a_warning_and_checked_unsigned() {
    let work = kakunin_testkit::tempdir();
    let evidence = work.path().join("evidence.jsonl");
    let out = verify_into(&evidence, None);
    assert_eq!(err(&out).matches("warning").count(), 1, "{}", err(&out));
    assert!(
        err(&out).contains("not signed (no --evidence-key)"),
        "{}",
        err(&out)
    );
    assert_eq!(
        evidence_entries(&evidence, false).len(),
        100,
        "no checkpoints"
    );
    let out = kakunin(&["evidence", "verify", s(&evidence)]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("no checkpoints") && text.contains("cannot be detected"),
        "{text}"
    );
    // --evidence-key without --evidence is a usage error.
    let out = kakunin(&["verify", "--trust", "x", "--evidence-key", "k.pem", "c.pem"]);
    assert_eq!(out.status.code(), Some(2));
}
