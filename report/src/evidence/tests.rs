//! Evidence log tests: record bodies, the writer (batches, reopening,
//! torn tails, the lock), and — in the child modules — tampering and
//! rotation, each checked by [`verify_chain`].

mod keys;
mod rotation;
mod tamper;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kakunin_engine::verify::SourceKind;
use kakunin_engine::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};
use proptest::prelude::*;

use super::*;
use crate::status::CertStatus;

pub(super) fn record(i: u64, detail: Option<&str>) -> EvidenceRecord {
    EvidenceRecord {
        cert_sha256: [i as u8; 32],
        serial: Serial::from_u64(0x1000 + i),
        issuer: "C=JP, O=JPKI, OU=JPKI for digital signature, OU=Japan Agency for Local Authority Information Systems".into(),
        status: if i.is_multiple_of(3) {
            CertStatus::Revoked
        } else {
            CertStatus::Valid
        },
        reason: (i.is_multiple_of(3)).then_some(RevocationReason::KeyCompromise),
        revoked_at: (i.is_multiple_of(3)).then(|| Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap()),
        detail: detail.map(str::to_string),
        validation_time: Timestamp::parse_rfc3339("2026-11-25T10:00:00Z").unwrap(),
        checked_at: Timestamp::parse_rfc3339("2026-11-25T10:00:01Z").unwrap(),
        sources: vec![
            EvidenceSource {
                kind: SourceKind::Crl,
                issuer_key_id: IssuerKeyId::from_bytes(&[0xAB; 20]).unwrap(),
                crl_number: Some(CrlNumber::from_u64(1234 + i)),
                sha256: [0xCD; 32],
            },
            EvidenceSource {
                kind: SourceKind::Index,
                issuer_key_id: IssuerKeyId::from_bytes(&[0x01; 20]).unwrap(),
                crl_number: None,
                sha256: [0xEF; 32],
            },
        ],
    }
}

/// A fresh key and its public half.
pub(super) fn key() -> (EvidenceKey, EvidencePublicKey) {
    let (k, _) = EvidenceKey::generate().unwrap();
    let public = k.public_key().clone();
    (k, public)
}

/// Batches of `batch` records, no time limit.
pub(super) fn opts(batch: usize) -> ChainOptions {
    ChainOptions {
        batch_records: batch,
        batch_interval: Duration::from_secs(3600),
        rotate_bytes: None,
    }
}

/// Every line parsed as JSON (the file must end in a newline).
pub(super) fn lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The records (not checkpoints) of a file.
pub(super) fn records(path: &Path) -> Vec<serde_json::Value> {
    lines(path)
        .into_iter()
        .filter(|v| v["kind"] != "checkpoint")
        .collect()
}

/// `n` status records from `from` in batches of `batch`, finished.
pub(super) fn write_log(path: &Path, key: Option<EvidenceKey>, from: u64, n: u64, batch: usize) {
    let mut w = ChainWriter::open(path, key, opts(batch)).unwrap();
    for i in from..from + n {
        w.append("status", &record(i, None)).unwrap();
    }
    w.finish().unwrap();
}

pub(super) fn verify(paths: &[PathBuf], keys: &[EvidencePublicKey]) -> ChainReport {
    verify_chain(paths, keys).unwrap()
}

#[test]
fn record_json_has_every_field() {
    let v: serde_json::Value = serde_json::from_str(&record(3, None).to_json()).unwrap();
    let obj = v.as_object().unwrap();
    let mut got: Vec<&str> = obj.keys().map(String::as_str).collect();
    let mut want = vec![
        "cert_sha256",
        "serial",
        "issuer",
        "status",
        "reason",
        "revoked_at",
        "detail",
        "validation_time",
        "checked_at",
        "sources",
        "kakunin_version",
    ];
    want.sort();
    got.sort();
    assert_eq!(got, want);
    assert_eq!(v["cert_sha256"], "03".repeat(32));
    assert_eq!(v["serial"], "1003");
    assert_eq!(v["status"], "revoked");
    assert_eq!(v["reason"], "keyCompromise");
    assert_eq!(v["revoked_at"], "2026-11-01T00:00:00Z");
    assert!(v["detail"].is_null());
    assert_eq!(v["validation_time"], "2026-11-25T10:00:00Z");
    assert_eq!(v["checked_at"], "2026-11-25T10:00:01Z");
    assert_eq!(v["sources"][0]["kind"], "crl");
    assert_eq!(v["sources"][0]["issuer_key_id"], "ab".repeat(20));
    assert_eq!(v["sources"][0]["crl_number"], "1237");
    assert_eq!(v["sources"][0]["sha256"], "cd".repeat(32));
    assert_eq!(v["sources"][1]["kind"], "index");
    assert!(v["sources"][1]["crl_number"].is_null());
    assert_eq!(v["kakunin_version"], env!("CARGO_PKG_VERSION"));
    let valid: serde_json::Value = serde_json::from_str(&record(1, None).to_json()).unwrap();
    assert!(valid["reason"].is_null() && valid["revoked_at"].is_null());
    // serde and to_json agree: the body appended is the body documented.
    assert_eq!(
        serde_json::to_string(&record(3, None)).unwrap(),
        record(3, None).to_json()
    );
}

#[test]
fn the_chain_links_every_line_and_checkpoints_seal_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.jsonl");
    let (k, public) = key();
    let key_id = k.key_id();
    let mut w = ChainWriter::open(&path, Some(k), opts(4)).unwrap();
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(w.append("status", &record(i, None)).unwrap());
        assert!(w.pending() < 4);
    }
    w.finish().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let all = lines(&path);
    // start, 3 batches of 4+1, 2 records + shutdown.
    let kinds: Vec<&str> = all.iter().map(|v| v["kind"].as_str().unwrap()).collect();
    let reasons: Vec<&str> = all
        .iter()
        .filter(|v| v["kind"] == "checkpoint")
        .map(|v| v["record"]["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["start", "batch", "batch", "shutdown"]);
    assert_eq!(kinds.len(), 14);
    let mut prev = hex::encode(GENESIS);
    for (i, (v, line)) in all.iter().zip(text.lines()).enumerate() {
        assert_eq!(v["seq"], i as u64 + 1);
        assert_eq!(v["prev"], prev.as_str());
        prev = hex::encode(kakunin_engine::crypto::sha256(line.as_bytes()));
    }
    // Appended reports the seq and hash of the entry's line.
    let first = ids[0];
    assert_eq!(first.seq, 2);
    assert_eq!(all[2]["prev"], first.id().as_str());
    assert_eq!(all[1]["record"]["serial"], "1000");
    // A checkpoint seals the line before it, signed over the documented text.
    let cp = &all[5]["record"];
    assert_eq!(cp["head_seq"], 5);
    assert_eq!(cp["head"], all[5]["prev"]);
    assert_eq!(cp["key_id"], key_id.as_str());
    let message = checkpoint_message(
        5,
        cp["head"].as_str().unwrap(),
        cp["at"].as_str().unwrap(),
        "batch",
        &key_id,
    );
    use base64::Engine as _;
    let sig = base64::engine::general_purpose::STANDARD
        .decode(cp["signature"].as_str().unwrap())
        .unwrap();
    assert!(public.verify(message.as_bytes(), &sig));
    assert!(!public.verify(message.replace("batch", "start").as_bytes(), &sig));

    let report = verify(std::slice::from_ref(&path), &[public]);
    assert!(report.intact(), "{report:?}");
    assert_eq!(
        (report.entries, report.checkpoints, report.records()),
        (14, 4, 10)
    );
    assert_eq!((report.first_seq, report.last_seq), (Some(1), Some(14)));
    assert_eq!(report.key_ids, [key_id]);
    assert_eq!(report.last_reason.as_deref(), Some("shutdown"));
    assert!(report.continues_at.is_none() && report.recovered.is_empty());
    // Without keys: the chain checks, signatures do not.
    let unchecked = verify(&[path], &[]);
    assert!(unchecked.intact() && !unchecked.signatures_checked);
}

#[test]
fn many_records_then_reopen_continues_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.jsonl");
    let tk = keys::TestKey::new(dir.path());
    let public = tk.public.clone();
    let mut w = ChainWriter::open(&path, Some(tk.load()), opts(64)).unwrap();
    assert!(w.repaired().is_none());
    for i in 0..1000 {
        w.append("status", &record(i, Some("line\nbreak \"quoted\" 署名")))
            .unwrap();
        assert!(w.pending() < 64);
    }
    // Only whole batches are on disk.
    assert_eq!(records(&path).len(), 1000 - w.pending());
    w.finish().unwrap();
    assert_eq!(records(&path).len(), 1000);

    // Reopen with the same key; drop (not finish) flushes and seals.
    {
        let k = tk.load();
        let mut w = ChainWriter::open(&path, Some(k), opts(64)).unwrap();
        for i in 1000..1010 {
            w.append("status", &record(i, None)).unwrap();
        }
    }
    let all = records(&path);
    assert_eq!(all.len(), 1010);
    for (i, v) in all.iter().enumerate() {
        assert_eq!(v["record"]["serial"], format!("{:X}", 0x1000 + i));
    }
    assert_eq!(all[5]["record"]["detail"], "line\nbreak \"quoted\" 署名");
    let report = verify(&[path], &[public]);
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.last_reason.as_deref(), Some("batch"));
}

#[test]
fn time_based_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let quick = ChainOptions {
        batch_records: 1_000_000,
        batch_interval: Duration::ZERO,
        rotate_bytes: None,
    };
    let mut w = ChainWriter::open(&path, None, quick).unwrap();
    w.append("status", &record(1, None)).unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(lines(&path).len(), 1);
    drop(w);

    let slow = ChainOptions {
        batch_records: 1_000_000,
        batch_interval: Duration::from_millis(30),
        rotate_bytes: None,
    };
    let mut w = ChainWriter::open(&path, None, slow).unwrap();
    w.append("status", &record(2, None)).unwrap();
    assert_eq!(w.pending(), 1);
    std::thread::sleep(Duration::from_millis(40));
    w.flush_if_due().unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(lines(&path).len(), 2);
}

#[test]
fn without_a_key_the_chain_is_written_but_a_key_finds_it_unsealed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    write_log(&path, None, 0, 5, 2);
    assert_eq!(lines(&path).len(), 5, "no checkpoints");
    let report = verify(std::slice::from_ref(&path), &[]);
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.checkpoints, 0);
    let u = report.unsealed.clone().unwrap();
    assert_eq!((u.line, u.seq, u.count), (1, 1, 5));
    let (_, public) = key();
    let report = verify(&[path], &[public]);
    assert!(!report.intact() && report.broken.is_none());
}

#[test]
fn torn_tail_is_saved_cut_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let tk = keys::TestKey::new(dir.path());
    let public = tk.public.clone();
    write_log(&path, Some(tk.load()), 0, 3, 2);
    let good_len = std::fs::metadata(&path).unwrap().len();
    // A crash mid-write: half a line and no newline.
    let half = &std::fs::read_to_string(&path).unwrap()[..100];
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half.as_bytes())
        .unwrap();
    // Before the next open, verify names the torn line.
    let report = verify(std::slice::from_ref(&path), std::slice::from_ref(&public));
    let b = report.broken.clone().unwrap();
    assert_eq!((b.kind, b.line), (BreakKind::Torn, 7), "{b}");
    assert!(b.to_string().contains("a crash mid-append"), "{b}");

    let mut w = ChainWriter::open(&path, Some(tk.load()), opts(2)).unwrap();
    let t = w.repaired().unwrap().clone();
    assert_eq!((t.kept, t.removed), (good_len, 100));
    assert_eq!(t.saved_to, dir.path().join("e.jsonl.torn"));
    assert_eq!(
        std::fs::read_to_string(&t.saved_to).unwrap(),
        format!("{half}\n")
    );
    w.append("status", &record(3, None)).unwrap();
    w.finish().unwrap();
    assert_eq!(records(&path).len(), 4);
    assert!(verify(&[path], &[public]).intact());

    // A file that is all torn (no newline anywhere), larger than one scan
    // block: repaired to empty, a new chain.
    let path2 = dir.path().join("f.jsonl");
    std::fs::write(&path2, vec![b'x'; 200_000]).unwrap();
    let w = ChainWriter::open(&path2, None, opts(2)).unwrap();
    assert_eq!(w.repaired().unwrap().kept, 0);
    assert_eq!(w.repaired().unwrap().removed, 200_000);
    assert_eq!(w.next_seq(), 1);
    drop(w);
    assert_eq!(std::fs::metadata(&path2).unwrap().len(), 0);
}

#[test]
fn a_last_line_that_is_not_an_entry_is_never_written_over() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("g.jsonl");
    // The newline is found in an earlier block than the last one; what is
    // left is an old-format record, not a chain entry.
    let mut content = b"{\"cert_sha256\":\"00\"}\n".to_vec();
    content.extend(vec![b'y'; 150_000]);
    std::fs::write(&path, &content).unwrap();
    let e = ChainWriter::open(&path, None, opts(2)).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&path.display().to_string())
            && text.contains("last line is not an evidence entry")
            && text.contains("expected {\"seq\""),
        "{text}"
    );
    assert_eq!(std::fs::read(&path).unwrap(), b"{\"cert_sha256\":\"00\"}\n");
}

#[test]
fn a_second_writer_on_one_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let a = ChainWriter::open(&path, None, opts(2)).unwrap();
    let e = ChainWriter::open(&path, None, opts(2)).unwrap_err();
    assert!(matches!(e, EvidenceError::Locked { .. }), "{e}");
    assert!(e.to_string().contains("fork the chain"), "{e}");
    drop(a);
    ChainWriter::open(&path, None, opts(2)).unwrap();
}

#[test]
fn bodies_must_be_objects_and_checkpoints_are_the_writers_own() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let mut w = ChainWriter::open(&path, None, opts(2)).unwrap();
    let e = w.append("status", &"just a string").unwrap_err();
    assert!(
        e.to_string()
            .contains("expected the record to be a JSON object"),
        "{e}"
    );
    let e = w.append("checkpoint", &record(1, None)).unwrap_err();
    assert!(
        e.to_string().contains("written by the writer itself"),
        "{e}"
    );
    let a = w
        .append("sign_transaction", &serde_json::json!({"id": "abc"}))
        .unwrap();
    assert_eq!(a.seq, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn any_text_round_trips_on_one_line(issuer in "\\PC*", detail in any::<String>()) {
        let mut r = record(1, Some(&detail));
        r.issuer = issuer.clone();
        let line = entry::line(1, &GENESIS, "status", &r.to_json());
        prop_assert_eq!(line.matches('\n').count(), 0);
        let e = parse_entry(line.as_bytes()).unwrap();
        prop_assert_eq!(e.record["issuer"].as_str(), Some(issuer.as_str()));
        prop_assert_eq!(e.record["detail"].as_str(), Some(detail.as_str()));
    }
}
