//! Evidence log tests: every line parses back with serde_json, reopening
//! appends, batching, and torn-tail repair.

use super::*;
use proptest::prelude::*;

fn record(i: u64, detail: Option<&str>) -> EvidenceRecord {
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

fn lines(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.is_empty() || text.ends_with('\n'));
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

#[test]
fn record_json_has_every_field() {
    let v: serde_json::Value = serde_json::from_str(&record(3, None).to_json_line()).unwrap();
    let obj = v.as_object().unwrap();
    let keys: Vec<&str> = obj.keys().map(String::as_str).collect();
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
    let mut got = keys.clone();
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
    let valid: serde_json::Value = serde_json::from_str(&record(1, None).to_json_line()).unwrap();
    assert!(valid["reason"].is_null() && valid["revoked_at"].is_null());
}

#[test]
fn many_records_then_reopen_and_append() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evidence.jsonl");
    let mut w = EvidenceWriter::open_with(&path, 64, Duration::from_secs(3600)).unwrap();
    assert!(w.repaired().is_none());
    for i in 0..1000 {
        w.append(&record(i, Some("line\nbreak \"quoted\" 署名")))
            .unwrap();
        // Batches of 64: never more than 63 pending, and the file holds
        // only whole batches.
        assert!(w.pending() < 64);
    }
    assert_eq!(lines(&path).len(), 1000 - w.pending());
    w.finish().unwrap();
    assert_eq!(lines(&path).len(), 1000);

    // Reopen, append more; drop (not finish) flushes the rest.
    {
        let mut w = EvidenceWriter::open(&path).unwrap();
        assert!(w.repaired().is_none());
        for i in 1000..1010 {
            w.append(&record(i, None)).unwrap();
        }
    }
    let all = lines(&path);
    assert_eq!(all.len(), 1010);
    for (i, v) in all.iter().enumerate() {
        assert_eq!(v["serial"], format!("{:X}", 0x1000 + i));
    }
    assert_eq!(all[5]["detail"], "line\nbreak \"quoted\" 署名");
    assert!(all[1005]["detail"].is_null());
}

#[test]
fn time_based_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let mut w = EvidenceWriter::open_with(&path, 1_000_000, Duration::ZERO).unwrap();
    w.append(&record(1, None)).unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(lines(&path).len(), 1);

    let mut w = EvidenceWriter::open_with(&path, 1_000_000, Duration::from_millis(30)).unwrap();
    w.append(&record(2, None)).unwrap();
    assert_eq!(w.pending(), 1);
    std::thread::sleep(Duration::from_millis(40));
    w.flush_if_due().unwrap();
    assert_eq!(w.pending(), 0);
    assert_eq!(lines(&path).len(), 2);
}

#[test]
fn torn_tail_is_saved_and_cut() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let mut w = EvidenceWriter::open(&path).unwrap();
    for i in 0..3 {
        w.append(&record(i, None)).unwrap();
    }
    w.finish().unwrap();
    let good_len = std::fs::metadata(&path).unwrap().len();
    // A crash mid-write: half a record and no newline.
    let half = &record(9, None).to_json_line()[..100];
    OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap()
        .write_all(half.as_bytes())
        .unwrap();

    let mut w = EvidenceWriter::open(&path).unwrap();
    let t = w.repaired().unwrap().clone();
    assert_eq!(t.kept, good_len);
    assert_eq!(t.removed, 100);
    assert_eq!(t.saved_to, dir.path().join("e.jsonl.torn"));
    assert_eq!(
        std::fs::read_to_string(&t.saved_to).unwrap(),
        format!("{half}\n")
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), good_len);
    w.append(&record(3, None)).unwrap();
    w.finish().unwrap();
    assert_eq!(lines(&path).len(), 4);

    // A file that is all torn (no newline anywhere), larger than one
    // scan block.
    let path2 = dir.path().join("f.jsonl");
    std::fs::write(&path2, vec![b'x'; 200_000]).unwrap();
    let w = EvidenceWriter::open(&path2).unwrap();
    assert_eq!(w.repaired().unwrap().kept, 0);
    assert_eq!(w.repaired().unwrap().removed, 200_000);
    drop(w);
    assert_eq!(std::fs::metadata(&path2).unwrap().len(), 0);

    // Newline found in an earlier block than the last one.
    let path3 = dir.path().join("g.jsonl");
    let mut content = b"{}\n".to_vec();
    content.extend(vec![b'y'; 150_000]);
    std::fs::write(&path3, &content).unwrap();
    let w = EvidenceWriter::open(&path3).unwrap();
    assert_eq!(w.repaired().unwrap().kept, 3);
    drop(w);
    assert_eq!(std::fs::read(&path3).unwrap(), b"{}\n");
}

#[test]
fn two_writers_on_one_file_interleave_whole_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let mut a = EvidenceWriter::open_with(&path, 7, Duration::from_secs(60)).unwrap();
    let mut b = EvidenceWriter::open_with(&path, 5, Duration::from_secs(60)).unwrap();
    for i in 0..100 {
        a.append(&record(i, Some("a"))).unwrap();
        b.append(&record(i, Some("b"))).unwrap();
    }
    a.finish().unwrap();
    b.finish().unwrap();
    let all = lines(&path);
    assert_eq!(all.len(), 200);
    assert_eq!(all.iter().filter(|v| v["detail"] == "a").count(), 100);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]
    #[test]
    fn any_text_round_trips_on_one_line(issuer in "\\PC*", detail in any::<String>()) {
        let mut r = record(1, Some(&detail));
        r.issuer = issuer.clone();
        let line = r.to_json_line();
        prop_assert!(line.ends_with('\n'));
        prop_assert_eq!(line.matches('\n').count(), 1);
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(v["issuer"].as_str(), Some(issuer.as_str()));
        prop_assert_eq!(v["detail"].as_str(), Some(detail.as_str()));
    }
}
