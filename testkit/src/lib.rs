//! Fixtures for kakunin's tests, made by the `openssl` CLI — the
//! independent implementation every test checks us against.
//!
//! - [`openssl`] and friends run the CLI; a failure panics with the command
//!   line and OpenSSL's stderr.
//! - [`IndexCa`] is an `openssl ca` database (`index.txt`, `serial`,
//!   `crlnumber`, `ca.cnf`): it issues and revokes certificates and makes
//!   CRLs with `openssl ca -gencrl`; rows can also be written by hand.
//! - [`Lab`] builds whole PKIs (roots, intermediates, leaves) from the
//!   extension sections a test names.
//! - [`crl_text_entries`] reads what `openssl crl -text` prints, and
//!   [`ocsp_text`] what `openssl ocsp -resp_text` and `-req_text` print;
//!   [`openssl_verify`] and [`openssl_kind`] ask `openssl verify`.
//! - [`jwk`] makes P-256 and RSA keys and reads their public JWKs back.
//! - [`redis::RedisServer`] runs a real `redis-server` for a test.
//! - [`der`] writes the DER that `openssl` will not: TLVs, SEQUENCEs and
//!   extensions, one piece at a time.
//!
//! The crate knows nothing of `kakunin-engine` on purpose: the engine's own
//! unit tests use it, and a dependency back on the engine would give them a
//! second copy of every engine type.
//!
//! ```no_run
//! let tmp = kakunin_testkit::tempdir();
//! let mut lab = kakunin_testkit::Lab::new(tmp.path(), "");
//! let root = lab.root("/C=JP/O=Test/OU=Root", "root");
//! let ca = lab.sub_ca(&root, "/C=JP/O=Test/OU=CA", "inter", "");
//! let leaf = lab.leaf(&ca, "holder", "leaf");
//! lab.revoke(&ca, &leaf, "keyCompromise");
//! let crl = lab.crl(&ca);
//! let der = kakunin_testkit::der_of(&leaf);
//! # let _ = (crl, der);
//! ```
#![deny(missing_docs)]

mod ca;
mod crl_text;
pub mod der;
pub mod http;
pub mod jwk;
mod lab;
pub mod lines;
pub mod login;
pub mod needs;
pub mod ocsp;
mod ocsp_text;
mod openssl_ca;
pub mod redis;
pub mod tls;
mod verify;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub use ca::{CaConfig, IndexCa};
pub use crl_text::{crl_text_entries, openssl_time, reason_name, CrlTextEntry, OpensslTime};
pub use lab::{Lab, BASE_EXTS};
pub use ocsp_text::{ocsp_text, CertIdText, OcspText, SingleText};
pub use openssl_ca::{OpensslCa, OPENSSL_CA_REVOKED};
pub use verify::{openssl_kind, openssl_verify, Kind};

/// `openssl ARGS` (in `dir`, if given), whatever its exit status. Panics
/// only when the command cannot be started.
pub fn openssl_output(dir: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new("openssl");
    cmd.args(args);
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run {} (is OpenSSL on PATH?): {e}", shown(dir, args)))
}

/// `openssl ARGS`, which must succeed: its stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    succeeded(None, args)
}

/// `openssl ARGS` in `dir`, which must succeed: its stdout.
pub fn openssl_in(dir: &Path, args: &[&str]) -> Vec<u8> {
    succeeded(Some(dir), args)
}

/// `openssl ARGS` in `dir`, which must succeed: its stdout as text
/// (lossily, as OpenSSL prints names in whatever bytes they hold).
pub fn openssl_text(dir: &Path, args: &[&str]) -> String {
    String::from_utf8_lossy(&openssl_in(dir, args)).into_owned()
}

/// `openssl ARGS`, which may fail: (success, stdout then stderr).
pub fn try_openssl(args: &[&str]) -> (bool, String) {
    judged(openssl_output(None, args))
}

/// `openssl ARGS` in `dir`, which may fail: (success, stdout then stderr).
pub fn try_openssl_in(dir: &Path, args: &[&str]) -> (bool, String) {
    judged(openssl_output(Some(dir), args))
}

/// Whether an `openssl` CLI can be run at all.
pub fn openssl_available() -> bool {
    Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn succeeded(dir: Option<&Path>, args: &[&str]) -> Vec<u8> {
    let out = openssl_output(dir, args);
    assert!(
        out.status.success(),
        "{} failed ({}):\n{}",
        shown(dir, args),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn judged(out: Output) -> (bool, String) {
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// The command line as a person would type it, for failure messages.
fn shown(dir: Option<&Path>, args: &[&str]) -> String {
    let line = format!("`openssl {}`", args.join(" "));
    match dir {
        Some(d) => format!("{line} in {}", d.display()),
        None => line,
    }
}

/// A fresh temporary directory, removed when dropped.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().unwrap_or_else(|e| panic!("cannot make a temporary directory: {e}"))
}

/// A path as a command-line argument (test paths are UTF-8).
pub fn path_str(p: &Path) -> &str {
    p.to_str()
        .unwrap_or_else(|| panic!("not UTF-8: {}", p.display()))
}

/// A new RSA-2048 private key (PEM) at `out`.
pub fn rsa_key(out: &Path) {
    openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        path_str(out),
    ]);
}

/// A PEM certificate file as DER.
pub fn der_of(cert: &Path) -> Vec<u8> {
    openssl(&["x509", "-outform", "DER", "-in", path_str(cert)])
}

/// A DER file as PEM; `kind` is the `openssl` command that reads it
/// (`x509`, `crl`).
pub fn pem_of(kind: &str, der: &Path) -> Vec<u8> {
    openssl(&[kind, "-inform", "DER", "-in", path_str(der)])
}

/// A PEM file as DER at `der`; `kind` as for [`pem_of`].
pub fn pem_to_der(kind: &str, pem: &Path, der: &Path) {
    openssl(&[
        kind,
        "-in",
        path_str(pem),
        "-outform",
        "DER",
        "-out",
        path_str(der),
    ]);
}

/// Concatenates `files` into `dir/name` (a PEM bundle).
pub fn cat(dir: &Path, name: &str, files: &[&Path]) -> PathBuf {
    let out = dir.join(name);
    let mut all = Vec::new();
    for f in files {
        all.extend(read(f));
    }
    write(&out, all);
    out
}

/// `std::fs::read`, panicking with the path.
pub fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `std::fs::write`, panicking with the path.
pub fn write(path: &Path, data: impl AsRef<[u8]>) {
    std::fs::write(path, data).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()))
}

/// Whether a test that needs `what` (an outside program) can run: when it
/// was not `found`, the test is skipped with a message, except in CI, where
/// `.ci/run` installs everything the tests use, so a missing one fails.
pub fn found_or_skip(what: &str, found: bool) -> bool {
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is missing (CI installs it)"
        );
        eprintln!("{what} not found: skipping");
    }
    found
}

/// Whether `python3` can import `module` (for tests with a Python
/// oracle); a missing one is skipped or fails as [`found_or_skip`] says.
pub fn python_has(module: &str) -> bool {
    let ok = Command::new("python3")
        .args(["-c", &format!("import {module}")])
        .output()
        .is_ok_and(|o| o.status.success());
    found_or_skip(&format!("python3 with {module}"), ok)
}

/// `x509/<sub>` of the PyPI package `cryptography-vectors`, when it is
/// installed and has that directory.
pub fn cryptography_vectors(sub: &str) -> Option<PathBuf> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import cryptography_vectors,os;print(os.path.dirname(cryptography_vectors.__file__))",
        ])
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let dir = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim())
        .join("x509")
        .join(sub);
    dir.is_dir().then_some(dir)
}

/// [`cryptography_vectors`] for a test that must not pass unnoticed
/// without them: when they are missing it panics under `CI=true` (so CI
/// cannot silently skip the test), and otherwise prints `SKIPPED <test>: …`
/// and the test returns.
pub fn required_vectors(sub: &str, test: &str) -> Option<PathBuf> {
    let dir = cryptography_vectors(sub);
    if dir.is_none() {
        let msg = "cryptography-vectors not installed (pip install cryptography-vectors)";
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("{msg}: required when CI=true");
        }
        eprintln!("SKIPPED {test}: {msg}");
    }
    dir
}

/// The output of `f`, polled once: for futures that are ready at once,
/// such as those of `kakunin_oidc::state::MemoryStore` and the async
/// functions over it, in tests and fuzz targets that want no runtime.
/// Panics if `f` is not ready.
pub fn ready<F: std::future::Future>(f: F) -> F::Output {
    let mut f = std::pin::pin!(f);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    match f.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(out) => out,
        std::task::Poll::Pending => panic!("expected a future that is ready at once"),
    }
}
