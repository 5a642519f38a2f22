//! The ends of an evidence file: repairing a torn last line, and reading
//! the first and last whole lines (the chain continues from the last; a
//! rotation names the file after the first).

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// What [`ChainWriter::open`](super::ChainWriter::open) did about a file
/// that did not end in a newline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TornTail {
    /// The file length after repair (just after its last `\n`).
    pub kept: u64,
    /// How many bytes after the last `\n` were removed.
    pub removed: u64,
    /// Where those bytes were saved.
    pub saved_to: PathBuf,
}

/// Scan block for searching backwards.
const BLOCK: u64 = 64 * 1024;

/// If the file does not end in `\n`, saves the tail after the last `\n` to
/// `<path>.torn`, truncates the file there and fsyncs both.
pub(crate) fn repair_torn_tail(file: &mut File, path: &Path) -> io::Result<Option<TornTail>> {
    let len = file.metadata()?.len();
    if len == 0 || byte_at(file, len - 1)? == b'\n' {
        return Ok(None);
    }
    let keep = last_newline_before(file, len)?.map_or(0, |i| i + 1);
    let mut tail = Vec::new();
    file.seek(SeekFrom::Start(keep))?;
    Read::by_ref(file).take(len - keep).read_to_end(&mut tail)?;
    let mut saved_to = path.as_os_str().to_owned();
    saved_to.push(".torn");
    let saved_to = PathBuf::from(saved_to);
    {
        let mut side = OpenOptions::new()
            .append(true)
            .create(true)
            .open(&saved_to)?;
        side.write_all(&tail)?;
        side.write_all(b"\n")?;
        side.sync_data()?;
    }
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(Some(TornTail {
        kept: keep,
        removed: len - keep,
        saved_to,
    }))
}

/// The first line of a non-empty file that ends in `\n`, without it.
pub(crate) fn first_line(file: &mut File) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut line = Vec::new();
    BufReader::new(Read::by_ref(file)).read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    Ok(line)
}

/// The last line of a file of `len > 0` bytes that ends in `\n`, without
/// it.
pub(crate) fn last_line(file: &mut File, len: u64) -> io::Result<Vec<u8>> {
    let start = last_newline_before(file, len - 1)?.map_or(0, |i| i + 1);
    let mut line = Vec::new();
    file.seek(SeekFrom::Start(start))?;
    Read::by_ref(file)
        .take(len - 1 - start)
        .read_to_end(&mut line)?;
    Ok(line)
}

fn byte_at(file: &mut File, at: u64) -> io::Result<u8> {
    let mut b = [0u8; 1];
    file.seek(SeekFrom::Start(at))?;
    file.read_exact(&mut b)?;
    Ok(b[0])
}

/// The offset of the last `\n` before `end`, scanning backwards in blocks.
fn last_newline_before(file: &mut File, end: u64) -> io::Result<Option<u64>> {
    let mut end = end;
    let mut block = vec![0u8; BLOCK as usize];
    while end > 0 {
        let start = end.saturating_sub(BLOCK);
        let n = (end - start) as usize;
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut block[..n])?;
        if let Some(i) = block[..n].iter().rposition(|&b| b == b'\n') {
            return Ok(Some(start + i as u64));
        }
        end = start;
    }
    Ok(None)
}
