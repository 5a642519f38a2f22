//! A file as its lines, and back: what the evidence tests edit (a byte,
//! a record removed or swapped, a tail rewritten) before checking that
//! the log's verifier notices.

use std::path::Path;

/// The lines of `path` without their newlines; the file must end in one.
pub fn read(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut out: Vec<Vec<u8>> = bytes.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    assert_eq!(
        out.pop(),
        Some(Vec::new()),
        "{} ends in a newline",
        path.display()
    );
    out
}

/// Writes `lines` to `path`, each followed by a newline.
pub fn write(path: &Path, lines: &[Vec<u8>]) {
    let mut bytes = Vec::new();
    for l in lines {
        bytes.extend_from_slice(l);
        bytes.push(b'\n');
    }
    std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
}
