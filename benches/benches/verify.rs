//! Verification throughput on JPKI-shaped leaves (RSA-2048, sha256WithRSA,
//! ~1.4 KB with SAN/IAN/CRLDP/AIA/policies), revocation answered from an
//! index of a 100k-entry OpenSSL-made CRL; single thread and rayon; and the
//! raw signature rate of each crypto backend on the same signature.
//!
//! Run: `cargo bench -p kakunin-benches --bench verify`
//! Compare with: `openssl speed -seconds 3 rsa2048` (verify/s column).

use std::hint::black_box;
use std::path::Path;
use std::process::Command;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use kakunin_benches::{openssl_crl, Shape};
use kakunin_engine::crypto::{Signed, VerifyingKey};
use kakunin_engine::index::IndexBytes;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::internals;
use kakunin_engine::verify::{Status, VerifierBuilder};
use kakunin_engine::{CaCert, SignatureAlgorithm, Timestamp};
use rayon::prelude::*;
use x509_parser::prelude::{FromDer, X509Certificate};

const LEAVES: usize = 1000;

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("openssl: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A JPKI-shaped signing certificate made by OpenSSL under the bench CA.
fn template(dir: &Path) -> Vec<u8> {
    let ext = "[e]\nkeyUsage=critical,digitalSignature,nonRepudiation\n\
        subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n\
        certificatePolicies=1.2.392.200149.8.5.1.1.10\n\
        subjectAltName=otherName:1.2.392.200149.8.5.5.1;UTF8:公的 太郎,otherName:1.2.392.200149.8.5.5.4;PRINTABLESTRING:419700101,otherName:1.2.392.200149.8.5.5.3;PRINTABLESTRING:1,otherName:1.2.392.200149.8.5.5.5;UTF8:東京都千代田区霞が関二丁目一番二号\n\
        issuerAltName=dirName:ian\n\
        crlDistributionPoints=URI:http://crl.example.jp/jpki/sign.crl\n\
        authorityInfoAccess=OCSP;URI:http://ocsp.example.jp\n\
        [ian]\nC=JP\nO=公的個人認証サービス\n";
    std::fs::write(dir.join("leaf.ext"), ext).unwrap_or_else(|e| panic!("{e}"));
    openssl(dir, &["genpkey", "-algorithm", "RSA", "-out", "leaf.key"]);
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-utf8",
            "-key",
            "leaf.key",
            "-subj",
            "/C=JP/L=東京都/L=千代田区/CN=202611010000000001234567A",
            "-out",
            "leaf.csr",
        ],
    );
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "0x012300000001",
            "-days",
            "1000",
            "-extfile",
            "leaf.ext",
            "-extensions",
            "e",
            "-outform",
            "DER",
            "-out",
            "leaf.der",
        ],
    );
    openssl(
        dir,
        &[
            "pkcs8", "-topk8", "-nocrypt", "-in", "ca.key", "-outform", "DER", "-out", "ca.p8",
        ],
    );
    std::fs::read(dir.join("leaf.der")).unwrap_or_else(|e| panic!("{e}"))
}

/// `LEAVES` re-signed copies of the template with serials spread over the
/// CRL's dense serial range (so a share of them is revoked).
fn leaves(template: &[u8], p8: &[u8]) -> Vec<Vec<u8>> {
    let key = ring::signature::RsaKeyPair::from_pkcs8(p8).unwrap_or_else(|e| panic!("{e}"));
    let (_, cert) = X509Certificate::from_der(template).unwrap_or_else(|e| panic!("{e}"));
    let tbs_raw: &[u8] = cert.tbs_certificate.as_ref();
    let tbs_at = tbs_raw.as_ptr() as usize - template.as_ptr() as usize;
    let serial_at = tbs_at
        + tbs_raw
            .windows(8)
            .position(|w| w == [2, 6, 1, 0x23, 0, 0, 0, 1])
            .unwrap_or_else(|| panic!("serial not found"))
        + 2;
    let rng = ring::rand::SystemRandom::new();
    (0..LEAVES as u64)
        .map(|i| {
            let mut c = template.to_vec();
            let serial = 0x0123_0000_0000u64 + i * 97;
            c[serial_at..serial_at + 6].copy_from_slice(&serial.to_be_bytes()[2..]);
            let mut sig = vec![0u8; key.public().modulus_len()];
            key.sign(
                &ring::signature::RSA_PKCS1_SHA256,
                &rng,
                &c[tbs_at..tbs_at + tbs_raw.len()],
                &mut sig,
            )
            .unwrap_or_else(|e| panic!("{e}"));
            let n = c.len();
            c[n - sig.len()..].copy_from_slice(&sig);
            c
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let (crl_path, ca_path) = openssl_crl(100_000, Shape::Dense);
    let dir = ca_path.parent().unwrap_or_else(|| panic!("no dir"));
    let ca_der_pem = std::fs::read(&ca_path).unwrap_or_else(|e| panic!("{e}"));
    let ca = CaCert::from_pem_or_der(&ca_der_pem).unwrap_or_else(|e| panic!("{e}"));
    let tpl = template(dir);
    let p8 = std::fs::read(dir.join("ca.p8")).unwrap_or_else(|e| panic!("{e}"));
    let leaves = leaves(&tpl, &p8);
    let at = Timestamp::now();
    let idx_path = dir.join("bench-verify.idx");
    let crl = std::fs::read(&crl_path).unwrap_or_else(|e| panic!("{e}"));
    let opts = IngestOptions {
        now: at,
        max_clock_skew: 300,
    };
    ingest(&crl, &ca, &idx_path, &opts, &|_, _| {}).unwrap_or_else(|e| panic!("{e}"));
    let idx = SerialIndex::from_bytes(IndexBytes::from(
        std::fs::read(&idx_path).unwrap_or_else(|e| panic!("{e}")),
    ))
    .unwrap_or_else(|e| panic!("{e}"));
    let mut b = VerifierBuilder::new();
    b.trust_anchor_der(ca.der())
        .unwrap_or_else(|e| panic!("{e}"));
    b.index(idx).unwrap_or_else(|e| panic!("{e}"));
    let verifier = b.build().unwrap_or_else(|e| panic!("{e}"));
    let (mut valid, mut revoked) = (0, 0);
    for l in &leaves {
        match verifier.verify(l, at).status {
            Status::Valid => valid += 1,
            Status::Revoked { .. } => revoked += 1,
            s => panic!("bench leaf not valid/revoked: {s:?}"),
        }
    }
    eprintln!(
        "verify bench: {} leaves of {} bytes, {valid} valid, {revoked} revoked, backend {}",
        leaves.len(),
        tpl.len(),
        internals::providers()[0]
    );

    let mut g = c.benchmark_group("verify");
    g.throughput(Throughput::Elements(leaves.len() as u64));
    g.sample_size(20);
    g.bench_function("single-thread", |bch| {
        bch.iter(|| {
            leaves
                .iter()
                .filter(|l| verifier.verify(black_box(l), at).status == Status::Valid)
                .count()
        })
    });
    g.bench_function("rayon", |bch| {
        bch.iter(|| {
            leaves
                .par_iter()
                .filter(|l| verifier.verify(black_box(l), at).status == Status::Valid)
                .count()
        })
    });
    // What `kakunin verify` does: batches of 64, leaf signatures checked
    // together (eight at a time on AVX-512 IFMA).
    g.bench_function("batch-single-thread", |bch| {
        bch.iter(|| {
            leaves
                .chunks(64)
                .flat_map(|b| verifier.verify_batch(black_box(b), at))
                .filter(|v| v.status == Status::Valid)
                .count()
        })
    });
    g.bench_function("batch-rayon", |bch| {
        bch.iter(|| {
            leaves
                .par_chunks(64)
                .flat_map_iter(|b| verifier.verify_batch(black_box(b), at))
                .filter(|v| v.status == Status::Valid)
                .count()
        })
    });
    g.finish();

    // Raw signature rate: the same leaf signature, each backend, key
    // prepared once.
    let (_, cert) = X509Certificate::from_der(&leaves[0]).unwrap_or_else(|e| panic!("{e}"));
    let tbs: &[u8] = cert.tbs_certificate.as_ref();
    let sig: &[u8] = &cert.signature_value.data;
    let mut g = c.benchmark_group("rsa2048-pkcs1-sha256-verify");
    g.throughput(Throughput::Elements(1));
    for name in internals::providers() {
        let key = internals::with_provider(&VerifyingKey::from_ca(&ca), name)
            .unwrap_or_else(|| panic!("backend {name} is compiled in"));
        key.verify(SignatureAlgorithm::RsaPkcs1Sha256, tbs, sig)
            .unwrap_or_else(|e| panic!("{e}"));
        g.bench_function(name, |bch| {
            bch.iter(|| {
                key.verify(
                    SignatureAlgorithm::RsaPkcs1Sha256,
                    black_box(tbs),
                    black_box(sig),
                )
                .is_ok()
            })
        });
    }
    // Eight signatures per call, as batches go (the AVX-512 IFMA path
    // where the CPU has it, else the backend one by one).
    let key = VerifyingKey::from_ca(&ca);
    let eight = [Signed {
        alg: SignatureAlgorithm::RsaPkcs1Sha256,
        message: tbs,
        signature: sig,
    }; 8];
    assert!(key.verify_many(&eight).iter().all(|r| r.is_ok()));
    g.throughput(Throughput::Elements(8));
    g.bench_function("verify_many-x8", |bch| {
        bch.iter(|| key.verify_many(black_box(&eight)).len())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
