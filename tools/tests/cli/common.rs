//! Shared fixtures: a CA and CRLs made by OpenSSL (the independent oracle),
//! and a runner for the built binary.

use std::process::{Command, Output};

use kakunin_engine::Timestamp;
use kakunin_testkit::{crl_text_entries, openssl_text, CrlTextEntry};

pub(crate) use kakunin_testkit::ocsp::openssl_ocsp;
pub(crate) use kakunin_testkit::{found_or_skip, OpensslCa, OPENSSL_CA_REVOKED as REVOKED};

pub(crate) fn kakunin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kakunin"))
        .args(args)
        .output()
        .expect("run kakunin")
}

/// A test PKI as `kakunin gen` would write it, generated in-process by the
/// library behind it (the tests of `kakunin gen` itself, in gen.rs, run
/// the binary); it must succeed.
pub(crate) fn gen(out: &std::path::Path, options: &kakunin_gen::Options) {
    if let Err(e) = kakunin_gen::generate(options, out) {
        panic!(
            "generating {options:?} into {}: {:#}",
            out.display(),
            anyhow::Error::new(e)
        );
    }
}

/// An RFC 3339 time written in a test.
pub(crate) fn at(rfc3339: &str) -> Timestamp {
    Timestamp::parse_rfc3339(rfc3339).unwrap_or_else(|e| panic!("{rfc3339}: {e}"))
}

/// The start of the current UTC day: the generation time `kakunin gen`
/// picks without `--at`.
pub(crate) fn start_of_today() -> Timestamp {
    at(&crate::serve::today())
}

/// The revoked entries as `openssl crl -text` prints them.
pub(crate) fn openssl_entries(ca: &OpensslCa, crl: &str) -> Vec<CrlTextEntry> {
    let text = openssl_text(
        ca.dir.path(),
        &["crl", "-inform", "DER", "-in", crl, "-noout", "-text"],
    );
    crl_text_entries(&text)
}

/// `kakunin ingest --crl CRL --ca ca.pem --out OUT EXTRA`, file names
/// (`*.der`, `*.pem`, `*.idx`, `*.crl`) taken in `ca`'s directory.
pub(crate) fn ingest(ca: &OpensslCa, crl: &str, out: &str, extra: &[&str]) -> std::process::Output {
    let mut args = vec!["ingest", "--crl", crl, "--ca", "ca.pem", "--out", out];
    args.extend_from_slice(extra);
    let args: Vec<String> = args
        .iter()
        .map(|a| {
            if a.ends_with(".der")
                || a.ends_with(".pem")
                || a.ends_with(".idx")
                || a.ends_with(".crl")
            {
                ca.p(a)
            } else {
                a.to_string()
            }
        })
        .collect();
    let args: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    kakunin(&args)
}

pub(crate) fn json_lines(out: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON {l:?}: {e}")))
        .collect()
}

/// An evidence key pair made by OpenSSL in `dir`: (`evidence-key.pem`, a
/// PKCS#8 P-256 private key as `openssl genpkey` writes it;
/// `evidence-pub.pem`, its public key as `openssl pkey -pubout` writes it).
pub(crate) fn evidence_key(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf) {
    kakunin_testkit::openssl_in(
        dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "evidence-key.pem",
        ],
    );
    kakunin_testkit::openssl_in(
        dir,
        &[
            "pkey",
            "-in",
            "evidence-key.pem",
            "-pubout",
            "-out",
            "evidence-pub.pem",
        ],
    );
    (dir.join("evidence-key.pem"), dir.join("evidence-pub.pem"))
}

/// The lines of an evidence file, parsed; records only (checkpoints left
/// out) when `records_only`.
pub(crate) fn evidence_entries(
    path: &std::path::Path,
    records_only: bool,
) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("evidence file {}: {e}", path.display()));
    text.lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .unwrap_or_else(|e| panic!("evidence line {l:?}: {e}"))
        })
        .filter(|v| !records_only || v["kind"] != "checkpoint")
        .collect()
}
