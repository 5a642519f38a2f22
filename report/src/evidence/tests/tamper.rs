//! Tampering, each kind detected by [`verify_chain`] and named at the
//! right line: a changed byte, a removed, inserted, duplicated, swapped or
//! spliced line, a rewritten tail with recomputed hashes (old checkpoints
//! kept, dropped, or re-signed with another key), a removed or forged
//! checkpoint, a torn last line — and any single byte flipped anywhere.

use super::*;
use kakunin_testkit::lines as file_lines;

/// A signed log of 12 records in batches of 4: checkpoints at lines 1
/// (start), 6, 11, 16 (batch) and 17 (shutdown).
fn signed_log(dir: &Path) -> (PathBuf, EvidencePublicKey) {
    let path = dir.join("e.jsonl");
    let (k, public) = key();
    write_log(&path, Some(k), 0, 12, 4);
    (path, public)
}

/// What an attacker without the key does after changing line `from`
/// (0-based): renumber and re-hash every line from there on, keeping each
/// record's bytes.
fn rechain(lines: &mut [Vec<u8>], from: usize) {
    for i in from..lines.len() {
        let e = parse_entry(&lines[i]).unwrap();
        let (seq, prev) = if i == 0 {
            (1, GENESIS)
        } else {
            let before = parse_entry(&lines[i - 1]).unwrap();
            (before.seq + 1, before.hash)
        };
        // The record's own bytes, kept as they were.
        let text = String::from_utf8(lines[i].clone()).unwrap();
        let at = text.find(",\"record\":").unwrap() + ",\"record\":".len();
        let body = &text[at..text.len() - 1];
        lines[i] = entry::line(seq, &prev, &e.kind, body).into_bytes();
    }
}

/// The first break, which must exist.
fn broken(path: &Path, public: &EvidencePublicKey) -> ChainBreak {
    let report = verify(&[path.to_path_buf()], std::slice::from_ref(public));
    assert!(!report.intact());
    report
        .broken
        .clone()
        .unwrap_or_else(|| panic!("not broken: {report:?}"))
}

#[test]
fn the_untouched_log_is_intact() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let report = verify(&[path], &[public]);
    assert!(report.intact(), "{report:?}");
    assert_eq!((report.entries, report.checkpoints), (17, 5));
}

#[test]
fn one_changed_byte_breaks_the_next_line() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let mut lines = file_lines::read(&path);
    let text = String::from_utf8(lines[2].clone()).unwrap();
    lines[2] = text
        .replacen("\"serial\":\"1001\"", "\"serial\":\"1002\"", 1)
        .into_bytes();
    assert_ne!(lines[2], file_lines::read(&path)[2]);
    file_lines::write(&path, &lines);
    let b = broken(&path, &public);
    assert_eq!(
        (b.kind, b.line, b.seq),
        (BreakKind::Prev, 4, Some(4)),
        "{b}"
    );
    let text = b.to_string();
    assert!(
        text.contains("line 4 (seq 4): prev is")
            && text.contains("the SHA-256 of line 3 (seq 3): that line was changed"),
        "{text}"
    );
}

#[test]
fn a_removed_record_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let mut lines = file_lines::read(&path);
    lines.remove(2);
    file_lines::write(&path, &lines);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line, b.seq), (BreakKind::Seq, 3, Some(4)), "{b}");
    assert!(
        b.detail.contains("seq is 4, expected 3") && b.detail.contains("seq 3 to 3 are missing"),
        "{b}"
    );
}

#[test]
fn two_swapped_records_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let mut lines = file_lines::read(&path);
    lines.swap(2, 3);
    file_lines::write(&path, &lines);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line, b.seq), (BreakKind::Seq, 3, Some(4)), "{b}");
}

#[test]
fn inserted_duplicated_and_spliced_lines_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let good = file_lines::read(&path);

    let mut inserted = good.clone();
    inserted.insert(3, good[2].clone());
    file_lines::write(&path, &inserted);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Seq, 4), "{b}");
    assert!(b.detail.contains("duplicated"), "{b}");

    let mut duplicated_last = good.clone();
    duplicated_last.push(good[16].clone());
    file_lines::write(&path, &duplicated_last);
    assert_eq!(broken(&path, &public).line, 18);

    // A line from another log (another key, so every hash differs).
    let other_dir = tempfile::tempdir().unwrap();
    let (other, _) = signed_log(other_dir.path());
    let mut spliced = good.clone();
    spliced[7] = file_lines::read(&other)[7].clone();
    file_lines::write(&path, &spliced);
    let b = broken(&path, &public);
    assert_eq!(
        (b.kind, b.line, b.seq),
        (BreakKind::Prev, 8, Some(8)),
        "{b}"
    );

    // The other log's whole tail, from a checkpoint on.
    let mut tail = good[..11].to_vec();
    tail.extend(file_lines::read(&other)[11..].iter().cloned());
    file_lines::write(&path, &tail);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Prev, 12), "{b}");
}

#[test]
fn a_rewritten_tail_with_recomputed_hashes_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let good = file_lines::read(&path);
    let forge = |lines: &mut Vec<Vec<u8>>| {
        let text = String::from_utf8(lines[7].clone()).unwrap();
        lines[7] = text
            .replacen("\"status\":\"valid\"", "\"status\":\"revoked\"", 1)
            .into_bytes();
        assert_ne!(lines[7], good[7]);
    };

    // Old checkpoints kept: the first after the change seals another head.
    let mut kept = good.clone();
    forge(&mut kept);
    rechain(&mut kept, 7);
    file_lines::write(&path, &kept);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Checkpoint, 11), "{b}");
    assert!(
        b.detail
            .contains("the entries it sealed were changed or rewritten"),
        "{b}"
    );

    // Checkpoints after the change dropped: the tail is unsealed, which
    // fails when a key is given.
    let mut dropped: Vec<Vec<u8>> = good.clone();
    forge(&mut dropped);
    let mut dropped: Vec<Vec<u8>> = dropped
        .into_iter()
        .enumerate()
        .filter(|(i, l)| *i < 7 || parse_entry(l).unwrap().kind != "checkpoint")
        .map(|(_, l)| l)
        .collect();
    rechain(&mut dropped, 7);
    file_lines::write(&path, &dropped);
    let report = verify(std::slice::from_ref(&path), std::slice::from_ref(&public));
    assert!(report.broken.is_none() && !report.intact(), "{report:?}");
    let u = report.unsealed.unwrap();
    assert_eq!((u.line, u.seq, u.count), (7, 7, 8));
    assert!(u.to_string().contains("a rewritten tail"), "{u}");

    // Checkpoints re-signed with the forger's own key.
    let (forger, _) = key();
    let forged_path = dir.path().join("forged.jsonl");
    let mut w = ChainWriter::open(&forged_path, Some(forger), opts(4)).unwrap();
    for l in &dropped[1..] {
        let e = parse_entry(l).unwrap();
        w.append("status", &e.record).unwrap();
    }
    w.finish().unwrap();
    let b = broken(&forged_path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::UnknownKey, 1), "{b}");
    assert!(b.detail.contains("expected the given key"), "{b}");
}

#[test]
fn removed_edited_and_forged_checkpoints_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let good = file_lines::read(&path);

    // A checkpoint in the middle removed.
    let mut removed = good.clone();
    removed.remove(5);
    file_lines::write(&path, &removed);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line, b.seq), (BreakKind::Seq, 6, Some(7)), "{b}");

    // Another checkpoint's (valid) signature pasted in.
    let sig_of = |l: &[u8]| {
        parse_entry(l).unwrap().record["signature"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let mut pasted = good.clone();
    let text = String::from_utf8(pasted[10].clone()).unwrap();
    pasted[10] = text
        .replace(&sig_of(&good[10]), &sig_of(&good[5]))
        .into_bytes();
    file_lines::write(&path, &pasted);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Signature, 11), "{b}");

    // An unsigned field edited (a space added): not as the writer writes.
    let mut spaced = good.clone();
    let text = String::from_utf8(spaced[5].clone()).unwrap();
    spaced[5] = text.replacen("\"reason\":", "\"reason\": ", 1).into_bytes();
    file_lines::write(&path, &spaced);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Checkpoint, 6), "{b}");

    // The reason changed: signed, so the signature fails.
    let mut reason = good.clone();
    let text = String::from_utf8(reason[16].clone()).unwrap();
    reason[16] = text.replacen("\"shutdown\"", "\"batch\"", 1).into_bytes();
    file_lines::write(&path, &reason);
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Signature, 17), "{b}");

    // The last checkpoint removed when it alone sealed the last records.
    let lone = dir.path().join("lone.jsonl");
    let (k, lone_public) = key();
    write_log(&lone, Some(k), 0, 6, 4);
    let mut lines = file_lines::read(&lone);
    assert_eq!(
        parse_entry(lines.last().unwrap()).unwrap().record["reason"],
        "shutdown"
    );
    lines.pop();
    file_lines::write(&lone, &lines);
    let report = verify(&[lone], &[lone_public]);
    assert!(report.broken.is_none() && !report.intact(), "{report:?}");
    assert_eq!(report.unsealed.unwrap().count, 2);
}

#[test]
fn a_truncated_last_line_is_named_as_a_crash_mid_append() {
    let dir = tempfile::tempdir().unwrap();
    let (path, public) = signed_log(dir.path());
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&path, &bytes[..bytes.len() - 40]).unwrap();
    let b = broken(&path, &public);
    assert_eq!((b.kind, b.line), (BreakKind::Torn, 17), "{b}");
    assert!(b.detail.contains("a crash mid-append"), "{b}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    /// Any byte of a signed, finished log changed to any other value is
    /// detected: a broken line, or an unsealed tail.
    #[test]
    fn any_single_byte_change_is_detected(at in any::<prop::sample::Index>(), xor in 1u8..) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("e.jsonl");
        let (k, public) = key();
        write_log(&path, Some(k), 0, 6, 4);
        let mut bytes = std::fs::read(&path).unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        std::fs::write(&path, &bytes).unwrap();
        let report = verify_chain(&[path], &[public]).unwrap();
        prop_assert!(!report.intact(), "byte {} ^ {:#x} not detected: {:?}", i, xor, report);
    }
}
