//! Look-up time against index size: for each size, a dense and a random
//! 64-bit serial index (a distinct revocation second per entry, as
//! `index-size` builds them) is built and opened (checksums verified), then
//! probed with 65,536 serials, half revoked and half not, on one thread,
//! repeated for at least --millis ms.
//!
//! Run: `cargo run --release -p kakunin-benches --bin lookup-curve -- \
//!       --sizes 100000,1000000,3000000,10000000,30000000 [--millis 500] [--json]`
//!
//! Prints a Markdown table, or with `--json` the rows as a JSON array
//! (`benches/report` stores them with the machine in `lookup.json`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use kakunin_benches::results::LookupRow;
use kakunin_benches::{build, keys, probes, Shape, Times};
use kakunin_engine::index::SerialIndex;
use kakunin_engine::internals;

const PROBES: usize = 1 << 16;

struct Args {
    sizes: Vec<usize>,
    min_time: Duration,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        sizes: vec![100_000, 1_000_000, 3_000_000, 10_000_000, 30_000_000],
        min_time: Duration::from_millis(500),
        json: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--sizes" => {
                args.sizes = value()?
                    .split(',')
                    .map(|s| s.parse().map_err(|e| format!("--sizes {s}: {e}")))
                    .collect::<Result<_, _>>()?
            }
            "--millis" => {
                let v = value()?;
                args.min_time =
                    Duration::from_millis(v.parse().map_err(|e| format!("--millis {v}: {e}"))?)
            }
            "--json" => args.json = true,
            _ => {
                return Err(format!(
                    "unknown argument {flag}; expected --sizes N,N,... [--millis MS] [--json]"
                ))
            }
        }
    }
    Ok(args)
}

/// Nanoseconds per call of `probe` over `probes`, repeated for at least
/// `min_time` (the first pass warms the caches and is not counted).
fn ns_per_probe(probes: &[u64], min_time: Duration, probe: impl Fn(u64) -> bool) -> f64 {
    let pass = || probes.iter().filter(|&&k| probe(black_box(k))).count();
    black_box(pass());
    let t0 = Instant::now();
    let mut passes = 0u64;
    while t0.elapsed() < min_time {
        black_box(pass());
        passes += 1;
    }
    t0.elapsed().as_nanos() as f64 / (passes as f64 * probes.len() as f64)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("lookup-curve: {e}");
            std::process::exit(2);
        }
    };
    let dir = std::env::temp_dir().join("kakunin-lookup-curve");
    let _ = std::fs::create_dir_all(&dir);
    let path = dir.join("curve.idx");
    let mut rows = Vec::new();
    if !args.json {
        println!("| serials | entries | index bytes | look-up ns | membership ns |");
        println!("|---|---:|---:|---:|---:|");
    }
    for (name, shape) in [("dense", Shape::Dense), ("random", Shape::Random)] {
        for &n in &args.sizes {
            let ks = keys(shape, n, 1);
            let stats = build(&ks, Times::EverySecond, &path);
            let idx = SerialIndex::open_verified(&path).unwrap_or_else(|e| panic!("{e}"));
            // Half hits, half misses, as the criterion bench `index` probes.
            let probes = probes(&ks, PROBES, 3);
            drop(ks);
            let row = LookupRow {
                shape: name.to_string(),
                entries: stats.entries,
                index_bytes: stats.bytes,
                lookup_ns: ns_per_probe(&probes, args.min_time, |k| {
                    internals::lookup_key(&idx, k).is_some()
                }),
                contains_ns: ns_per_probe(&probes, args.min_time, |k| idx.contains_key(k)),
            };
            if args.json {
                eprintln!("lookup-curve: {name} {n}: {:.1} ns", row.lookup_ns);
            } else {
                println!(
                    "| {name} | {} | {} | {:.1} | {:.1} |",
                    row.entries, row.index_bytes, row.lookup_ns, row.contains_ns
                );
            }
            rows.push(row);
        }
    }
    let _ = std::fs::remove_file(&path);
    if args.json {
        match serde_json::to_string_pretty(&rows) {
            Ok(s) => println!("{s}"),
            Err(e) => panic!("serialising rows: {e}"),
        }
    }
}
