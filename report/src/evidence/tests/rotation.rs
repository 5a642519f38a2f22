//! Rotation: the chain goes on across files, whatever order they are
//! given in, and a restart after a rotation continues it.

use super::*;

fn rotating(batch: usize, bytes: u64) -> ChainOptions {
    ChainOptions {
        rotate_bytes: Some(bytes),
        ..opts(batch)
    }
}

/// The files of the log at `path`: rotated ones in name order, then the
/// live one.
fn files(path: &Path) -> Vec<PathBuf> {
    let dir = path.parent().unwrap();
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.starts_with("e.") && n.ends_with(".jsonl") && n != "e.jsonl"
        })
        .collect();
    out.sort();
    out.push(path.to_path_buf());
    out
}

#[test]
fn a_rotated_log_verifies_across_its_files_in_any_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let tk = keys::TestKey::new(dir.path());
    let mut w = ChainWriter::open(&path, Some(tk.load()), rotating(5, 4000)).unwrap();
    for i in 0..60 {
        w.append("status", &record(i, None)).unwrap();
    }
    w.finish().unwrap();
    let all = files(&path);
    assert!(all.len() >= 4, "{all:?}");
    // Named after their first seq; each rotated file ends with a rotation
    // checkpoint and the next starts with a continued one.
    let first = &all[0];
    assert_eq!(first.file_name().unwrap(), "e.000000000001.jsonl");
    for pair in all.windows(2) {
        let a = lines(&pair[0]);
        let b = lines(&pair[1]);
        let last = a.last().unwrap();
        assert_eq!(last["record"]["reason"], "rotation");
        assert_eq!(b[0]["record"]["reason"], "continued");
        assert_eq!(b[0]["seq"], last["seq"].as_u64().unwrap() + 1);
        let name = pair[1].file_name().unwrap().to_string_lossy().into_owned();
        if name != "e.jsonl" {
            assert_eq!(
                name,
                format!("e.{:012}.jsonl", b[0]["seq"].as_u64().unwrap())
            );
        }
    }
    let total: usize = all.iter().map(|p| records(p).len()).sum();
    assert_eq!(total, 60);

    let mut shuffled = all.clone();
    shuffled.reverse();
    shuffled.swap(0, 1);
    let report = verify(&shuffled, std::slice::from_ref(&tk.public));
    assert!(report.intact(), "{report:?}");
    assert_eq!(
        report.files.iter().map(|f| &f.path).collect::<Vec<_>>(),
        all.iter().collect::<Vec<_>>()
    );
    assert_eq!(report.records(), 60);

    // One file alone continues a chain whose start was not given: not broken.
    let alone = verify(&all[1..2], std::slice::from_ref(&tk.public));
    assert!(alone.intact(), "{alone:?}");
    assert_eq!(alone.continues_at, lines(&all[1])[0]["seq"].as_u64());

    // A middle file left out: the next one breaks at its first line.
    let mut gap = all.clone();
    gap.remove(1);
    let b = verify(&gap, std::slice::from_ref(&tk.public))
        .broken
        .unwrap();
    assert_eq!(
        (b.kind, b.line, &b.path),
        (BreakKind::Seq, 1, &all[2]),
        "{b}"
    );
    assert!(b.detail.contains("are missing"), "{b}");

    // A file given twice: the copy breaks.
    let mut twice = all.clone();
    twice.push(all[1].clone());
    let b = verify(&twice, std::slice::from_ref(&tk.public))
        .broken
        .unwrap();
    assert_eq!((b.kind, b.line), (BreakKind::Seq, 1), "{b}");

    // A restart continues the chain in the live file.
    write_log(&path, Some(tk.load()), 60, 3, 5);
    let report = verify(&files(&path), std::slice::from_ref(&tk.public));
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.records(), 63);
}

#[test]
fn a_crash_between_the_rename_and_the_new_file_continues_from_the_rotated_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.jsonl");
    let tk = keys::TestKey::new(dir.path());
    write_log(&path, Some(tk.load()), 0, 4, 2);
    // The rename of a rotation happened, the new file never did.
    std::fs::rename(&path, rotated_name(&path, 1)).unwrap();
    write_log(&path, Some(tk.load()), 4, 2, 2);
    let first = lines(&path);
    assert_eq!(first[0]["record"]["reason"], "continued");
    let report = verify(&files(&path), std::slice::from_ref(&tk.public));
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.records(), 6);

    // The same without a key: a `continued` entry links the files.
    let plain = dir.path().join("plain").join("e.jsonl");
    std::fs::create_dir(plain.parent().unwrap()).unwrap();
    let mut w = ChainWriter::open(&plain, None, rotating(2, 600)).unwrap();
    for i in 0..6 {
        w.append("status", &record(i, None)).unwrap();
    }
    w.finish().unwrap();
    let all = files(&plain);
    assert!(all.len() >= 2, "{all:?}");
    assert_eq!(lines(all.last().unwrap())[0]["kind"], "continued");
    let report = verify(&all, &[]);
    assert!(report.intact(), "{report:?}");
    assert_eq!(report.records(), 6 + all.len() as u64 - 1);
}
