//! The engine's one `unsafe` outside the IFMA kernel: mapping a file
//! read-only. The other three `unsafe` blocks are in
//! `crypto/rsa_ifma.rs`: calling the AVX-512 kernel once the CPU is known
//! to have AVX-512F and IFMA, and two transmutes between `[u64; 8]` and
//! `__m512i`; each has its own `SAFETY:` comment.

use std::fs::File;
use std::path::Path;

/// Maps a file read-only: an index file (the store, the verifier) or an
/// input CRL (`kakunin ingest`, which must not read a 1 GB CRL into memory
/// before walking it).
pub(crate) fn map_file(path: &Path) -> std::io::Result<memmap2::Mmap> {
    let file = File::open(path)?;
    // SAFETY: the map is read-only, and the files mapped are not modified
    // in place while mapped. An index file is never rewritten: the builder
    // writes a temporary file, fsyncs it and renames it over the old name,
    // so a mapped file keeps its bytes for as long as the map lives (the
    // old inode stays alive until it is unmapped). A CRL is written by the
    // operator's fetcher before ingest starts. Another program truncating a
    // file under us would fault; that is outside what kakunin does and what
    // its files' permissions should allow.
    unsafe { memmap2::Mmap::map(&file) }
}
