//! Names of rotated files. `evidence.jsonl` whose first entry is seq 1 is
//! rotated to `evidence.000000000001.jsonl`: the first seq, zero-padded to
//! twelve digits (more when larger), before the extension. So a glob like
//! `evidence*.jsonl` picks up the live file and every rotated one but not
//! `evidence.jsonl.torn`, and the names sort in chain order.

use std::ffi::OsStr;
use std::io;
use std::path::{Path, PathBuf};

/// The name `path` is rotated to when its first entry is `first_seq`.
pub fn rotated_name(path: &Path, first_seq: u64) -> PathBuf {
    let (stem, ext) = split(path);
    let name = match ext {
        Some(ext) => format!("{stem}.{first_seq:012}.{ext}"),
        None => format!("{stem}.{first_seq:012}"),
    };
    path.with_file_name(name)
}

/// The rotated sibling of `path` with the highest first seq, if any: where
/// a chain continues when the live file is empty (a crash between the
/// rename of a rotation and the first line of the new file).
pub(crate) fn latest_rotated(path: &Path) -> io::Result<Option<PathBuf>> {
    let (stem, ext) = split(path);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut best: Option<(u64, PathBuf)> = None;
    for entry in std::fs::read_dir(&dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let Some(rest) = name.strip_prefix(&stem).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let digits = match &ext {
            Some(ext) => rest
                .strip_suffix(ext.as_str())
                .and_then(|r| r.strip_suffix('.')),
            None => Some(rest),
        };
        let Some(seq) = digits
            .filter(|d| d.len() >= 12 && d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse::<u64>().ok())
        else {
            continue;
        };
        if best.as_ref().is_none_or(|(b, _)| seq > *b) {
            best = Some((seq, entry.path()));
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// The file name split at its last dot: ("evidence", Some("jsonl")).
fn split(path: &Path) -> (String, Option<String>) {
    let name = path
        .file_name()
        .map(OsStr::to_string_lossy)
        .unwrap_or_default()
        .into_owned();
    match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), Some(ext.to_string())),
        _ => (name, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotated_names_keep_the_extension_and_sort_by_seq() {
        let p = Path::new("/var/log/kakunin/evidence.jsonl");
        assert_eq!(
            rotated_name(p, 1),
            Path::new("/var/log/kakunin/evidence.000000000001.jsonl")
        );
        assert_eq!(
            rotated_name(Path::new("log"), 12_345_678_901_234),
            Path::new("log.12345678901234")
        );
        assert_eq!(
            rotated_name(Path::new(".hidden"), 7),
            Path::new(".hidden.000000000007")
        );
    }

    #[test]
    fn the_latest_rotated_sibling_is_found_and_others_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let live = dir.path().join("e.jsonl");
        assert_eq!(latest_rotated(&live).unwrap(), None);
        for name in [
            "e.000000000001.jsonl",
            "e.000000000950.jsonl",
            "e.000000000020.jsonl",
            "e.jsonl.torn",
            "e.12.jsonl",
            "f.000000009999.jsonl",
            "e.000000009999.txt",
        ] {
            std::fs::write(dir.path().join(name), "").unwrap();
        }
        assert_eq!(
            latest_rotated(&live).unwrap(),
            Some(dir.path().join("e.000000000950.jsonl"))
        );
    }
}
