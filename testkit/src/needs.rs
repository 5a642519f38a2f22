//! What a test needs from the machine besides Rust: a tool or a package
//! that CI installs (`.ci/run`). Locally a test without it is skipped,
//! naming the command that installs it; under `CI=true` it fails, so CI
//! never passes by skipping.

use std::process::{Command, Stdio};

/// Skips (locally: `false` and a `SKIPPED` line) or fails (`CI=true`) the
/// test `test`, which lacks `what`; `install` is the command that gets it.
pub fn missing(test: &str, what: &str, install: &str) -> bool {
    let msg = format!("{what} (install: {install})");
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{test}: {msg}: required when CI=true");
    }
    eprintln!("SKIPPED {test}: {msg}");
    false
}

/// Whether `cmd` runs and exits 0 (its output discarded).
pub fn succeeds(cmd: &mut Command) -> bool {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Python 3 that imports `modules` (comma-separated), as
/// tests/oidc/requirements.txt installs them.
pub fn have_python(test: &str, modules: &str) -> bool {
    succeeds(Command::new("python3").args(["-c", &format!("import {modules}")]))
        || missing(
            test,
            &format!("python3 cannot import {modules}"),
            "python3 -m pip install -r tests/oidc/requirements.txt",
        )
}
