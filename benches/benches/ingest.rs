//! Ingest benches on a 1M-entry CRL made by `openssl ca -gencrl`: the whole
//! pipeline (verify + walk + index write) and its parts.
//!
//! Run: `cargo bench -p kakunin-benches --bench ingest`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kakunin_benches::{openssl_crl, Shape};
use kakunin_engine::crl::Crl;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::{CaCert, Timestamp};

const N: usize = 1_000_000;

fn bench(c: &mut Criterion) {
    let (crl_path, ca_path) = openssl_crl(N, Shape::Dense);
    let crl = std::fs::read(&crl_path).unwrap_or_else(|e| panic!("{e}"));
    let ca = CaCert::from_pem_or_der(&std::fs::read(&ca_path).unwrap_or_else(|e| panic!("{e}")))
        .unwrap_or_else(|e| panic!("{e}"));
    let out = crl_path.with_extension("idx");
    let opts = IngestOptions {
        now: Timestamp::now(),
        max_clock_skew: 300,
    };
    // Fail loudly rather than time an error path.
    if let Err(e) = ingest(&crl, &ca, &out, &opts, &|_, _| {}) {
        panic!("bench CRL does not ingest: {e}");
    }
    let mut g = c.benchmark_group("ingest-1M");
    g.throughput(Throughput::Elements(N as u64));
    g.sample_size(10);
    g.bench_function("pipeline", |b| {
        b.iter(|| ingest(black_box(&crl), &ca, &out, &opts, &|_, _| {}).map(|r| r.stats.entries))
    });
    let parsed = Crl::parse(&crl).unwrap_or_else(|e| panic!("{e}"));
    g.bench_function("entries-walk", |b| {
        b.iter(|| parsed.entries().filter(|e| e.is_ok()).count())
    });
    g.bench_function("signature", |b| {
        b.iter(|| parsed.verify_signature(&ca).is_ok())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
