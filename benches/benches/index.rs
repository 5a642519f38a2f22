//! Index benches: look-ups per second (dense and random serials, hits and
//! misses), open time, and build time.
//!
//! Run: `cargo bench -p kakunin-benches --bench index`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kakunin_benches::{build, keys, probes, Shape, Times};
use kakunin_engine::index::SerialIndex;
use kakunin_engine::internals;

const N: usize = 10_000_000;
const PROBES: usize = 1 << 16;

fn lookups(c: &mut Criterion) {
    let dir = tempfile_dir();
    let mut g = c.benchmark_group("lookup");
    g.throughput(Throughput::Elements(PROBES as u64));
    for (name, shape) in [("dense", Shape::Dense), ("random", Shape::Random)] {
        let ks = keys(shape, N, 1);
        let path = dir.join(format!("{name}.idx"));
        build(&ks, Times::EverySecond, &path);
        let idx = SerialIndex::open_verified(&path).unwrap_or_else(|e| panic!("{e}"));
        // Half hits (revoked serials), half misses near them.
        let probes = probes(&ks, PROBES, 3);
        g.bench_with_input(BenchmarkId::new("mixed", name), &probes, |b, p| {
            b.iter(|| {
                let mut hits = 0u32;
                for &k in p {
                    hits += internals::lookup_key(&idx, black_box(k)).is_some() as u32;
                }
                hits
            })
        });
        g.bench_with_input(BenchmarkId::new("contains", name), &probes, |b, p| {
            b.iter(|| {
                let mut hits = 0u32;
                for &k in p {
                    hits += idx.contains_key(black_box(k)) as u32;
                }
                hits
            })
        });
    }
    g.finish();
}

fn open(c: &mut Criterion) {
    let dir = tempfile_dir();
    let mut g = c.benchmark_group("open");
    for (name, shape) in [("dense", Shape::Dense), ("random", Shape::Random)] {
        let path = dir.join(format!("open-{name}.idx"));
        build(&keys(shape, N, 2), Times::EverySecond, &path);
        g.bench_function(BenchmarkId::new("10M", name), |b| {
            b.iter(|| SerialIndex::open(black_box(&path)).map(|i| i.meta().entries))
        });
    }
    g.finish();
}

fn tempfile_dir() -> std::path::PathBuf {
    let d = std::env::temp_dir().join("kakunin-bench");
    let _ = std::fs::create_dir_all(&d);
    d
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = lookups, open
}
criterion_main!(benches);
