//! Prints index size per entry and open time for the serial shapes and time
//! spreads kakunin meets, at a given entry count.
//!
//! Run: `cargo run --release -p kakunin-benches --bin index-size -- 10000000`

use std::time::Instant;

use kakunin_benches::{build, keys, Shape, Times};
use kakunin_engine::index::SerialIndex;
use kakunin_engine::internals;

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000_000);
    let dir = std::env::temp_dir().join("kakunin-index-size");
    let _ = std::fs::create_dir_all(&dir);
    println!("| serials | revocation times | entries | index bytes | bytes/entry | keys+rank bytes/entry | side encoding | build s | open ms (median of 21) |");
    println!("|---|---|---|---|---|---|---|---|---|");
    for (sname, shape) in [("dense", Shape::Dense), ("random 64-bit", Shape::Random)] {
        let ks = keys(shape, n, 1);
        for (tname, times) in [
            ("batched (4 distinct)", Times::Batched),
            ("distinct seconds over 5 years", Times::EverySecond),
        ] {
            let path = dir.join("size.idx");
            let t0 = Instant::now();
            let stats = build(&ks, times, &path);
            let build_s = t0.elapsed().as_secs_f64();
            let mut opens: Vec<f64> = (0..21)
                .map(|_| {
                    let t = Instant::now();
                    let idx = SerialIndex::open(&path).unwrap_or_else(|e| panic!("{e}"));
                    std::hint::black_box(idx.meta().entries);
                    t.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            opens.sort_by(|a, b| a.total_cmp(b));
            let idx = SerialIndex::open_verified(&path).unwrap_or_else(|e| panic!("{e}"));
            let side = internals::side_bytes(&idx) as f64;
            println!(
                "| {sname} | {tname} | {} | {} | {:.2} | {:.2} | {} | {:.2} | {:.3} |",
                stats.entries,
                stats.bytes,
                stats.bytes as f64 / stats.entries as f64,
                (stats.bytes as f64 - side) / stats.entries as f64,
                stats.side_encoding,
                build_s,
                opens[10]
            );
        }
    }
}
