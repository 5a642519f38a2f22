//! Shared fixtures: a CA and CRLs made by OpenSSL (the independent oracle),
//! and a runner for the built binary.

use std::path::PathBuf;
use std::process::{Command, Output};

use kakunin_engine::Timestamp;
use kakunin_testkit::{
    crl_text_entries, openssl_text, pem_to_der, CaConfig, CrlTextEntry, IndexCa,
};

pub(crate) use kakunin_testkit::found_or_skip;
pub(crate) use kakunin_testkit::ocsp::openssl_ocsp;

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

/// (serial as index.txt has it, revocation date, reason name or "")
pub(crate) const REVOKED: &[(&str, &str, &str)] = &[
    ("01", "250101000000Z", "keyCompromise"),
    ("0123000001", "240203040506Z", "affiliationChanged"),
    ("0123000002", "240203040507Z", "superseded"),
    ("0123000005", "240203040508Z", "cessationOfOperation"),
    ("7FFFFFFFFFFFFFFF", "230101000000Z", ""),
    ("FFFFFFFFFFFFFFFF", "230101000001Z", "CACompromise"),
    ("010000000000000000", "230101000002Z", "unspecified"),
    (
        "7102030405060708090A0B0C0D0E0F1011121314",
        "220101000000Z",
        "certificateHold",
    ),
];

/// A CA made by `openssl req` with a CRL made by `openssl ca -gencrl`.
pub(crate) struct OpensslCa {
    pub dir: tempfile::TempDir,
    ca: IndexCa,
}

impl OpensslCa {
    pub(crate) fn new() -> OpensslCa {
        let dir = kakunin_testkit::tempdir();
        let config = CaConfig {
            crl_number: 0x1000,
            crl_days: 30,
            ..CaConfig::default()
        };
        let ca = IndexCa::self_signed(
            dir.path(),
            &[
                "-newkey", "rsa:2048", "-days", "3650", "-subj",
                "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-addext", "basicConstraints=critical,CA:TRUE",
            ],
            &config,
        );
        for (serial, date, reason) in REVOKED {
            ca.add_revoked(
                serial,
                "351231000000Z",
                date,
                reason,
                &format!("/CN=h{serial}"),
            );
        }
        ca.add_valid("0123000003", "351231000000Z", "/CN=good");
        OpensslCa { dir, ca }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    pub(crate) fn p(&self, name: &str) -> String {
        self.path(name).display().to_string()
    }

    /// Makes a CRL (next CRL number each call) as DER at `name`.
    pub(crate) fn gencrl(&self, name: &str, extra: &[&str]) -> PathBuf {
        let pem = self.ca.gencrl(&self.path("crl.pem"), extra);
        pem_to_der("crl", &pem, &self.path(name));
        self.path(name)
    }
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
