//! `kakunin serve --config FILE`: a TOML file with a key per flag, paths
//! relative to the file, and the command line and environment above it.
//! The server runs from the test's working directory, not the file's, so
//! relative paths only work if they are taken from the file's directory.

use std::path::Path;

use crate::common::kakunin;
use crate::serve::{data, need_curl, s, Served};
use kakunin_testkit::tls::TlsFiles;

/// `dir/kakunin.toml` with `text`, next to copies of the sample's CAs
/// (`ca/`) and CRLs (`crl/`).
fn config_dir(dir: &Path, text: &str) -> std::path::PathBuf {
    for (sub, files) in [
        ("ca", ["sign-ca.pem", "auth-ca.pem"]),
        ("crl", ["sign.crl", "auth.crl"]),
    ] {
        std::fs::create_dir_all(dir.join(sub)).expect("mkdir");
        for f in files {
            std::fs::copy(data(f), dir.join(sub).join(f)).expect("copy");
        }
    }
    let path = dir.join("kakunin.toml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// What the tests' file says. Its `listen` is an address no host here
/// has: a server that used it would fail to start, so a server that
/// serves shows that `--listen` overrode it.
const FILE: &str = r#"
# kakunin serve --config: paths relative to this file
listen = "192.0.2.1:0"
trust = ["ca/sign-ca.pem", "ca/auth-ca.pem"]
crl-dir = "crl"
max-body = 100
debounce = "100ms"
poll-interval = "2s"
"#;

#[test]
fn config_file_serves_with_relative_paths_and_flags_and_environment_override_it() {
    if !need_curl() {
        return;
    }
    let work = kakunin_testkit::tempdir();
    let config = config_dir(work.path(), FILE);
    let body = "1D1534354987EBB1\n".repeat(10); // 170 bytes: over the file's max-body

    // The file's trust, crl-dir and max-body; the flag's listen.
    let srv = Served::start(&["--config", s(&config), "--listen", "127.0.0.1:0"]);
    let (code, a) = srv.get_json("/v1/status/sign/1D1534354987EBB1", &[]);
    assert_eq!((code, a["status"].as_str()), (200, Some("revoked")), "{a}");
    assert_eq!(srv.curl("/readyz", &[]).0, 200, "both CRLs from crl/");
    let (code, _) = srv.curl("/v1/status?issuer=sign", &["--data-binary", &body]);
    assert_eq!(code, 413, "the file's max-body");
    drop(srv);

    // The file named by KAKUNIN_CONFIG; the environment beats the file
    // (max-body), and TLS files given in the file are relative to it too.
    let tls = TlsFiles::new(&work.path().join("tls"));
    let with_tls = format!("{FILE}tls-cert = \"tls/chain.pem\"\ntls-key = \"tls/server.key\"\n");
    std::fs::write(&config, with_tls).expect("write config");
    let srv = Served::start_with_env(
        &[],
        &[
            ("KAKUNIN_CONFIG", s(&config)),
            ("KAKUNIN_LISTEN", "127.0.0.1:0"),
            ("KAKUNIN_MAX_BODY", "65536"),
        ],
    )
    .with_cacert(&tls.ca());
    assert!(srv.url("/").starts_with("https://"), "{:?}", srv.banner());
    let (code, lines) = srv.curl("/v1/status?issuer=sign", &["--data-binary", &body]);
    assert_eq!((code, lines.lines().count()), (200, 10), "{lines}");
}

#[test]
fn config_file_errors_name_the_file_and_the_key() {
    let work = kakunin_testkit::tempdir();
    let config = config_dir(work.path(), FILE);
    let run = |args: &[&str]| {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let out = kakunin(&all);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };

    // Without an overriding --listen the file's address is used (and
    // cannot be bound here): the file really is read.
    let e = run(&["--config", s(&config)]);
    assert!(e.contains("cannot listen on 192.0.2.1:0"), "{e}");

    for (extra, key, says) in [
        ("max-bdy = 5\n", "max-bdy", "unknown field"),
        ("[tls]\ncert = \"x\"\n", "tls", "unknown field"),
        (
            "header-timeout = 10\n",
            "header-timeout",
            "expected a string",
        ),
        ("no-watch = \"yes\"\n", "no-watch", "expected a boolean"),
    ] {
        let bad = work.path().join("bad.toml");
        // A wrong key after the others: the error still points at it.
        std::fs::write(&bad, format!("{FILE}{extra}")).expect("write");
        let e = run(&["--config", s(&bad)]);
        assert!(
            e.contains(s(&bad)) && e.contains(key) && e.contains(says),
            "{extra:?}: {e}"
        );
    }
    // A config file that is not there is named as well.
    let missing = work.path().join("missing.toml");
    let e = run(&["--config", s(&missing)]);
    assert!(e.contains("missing.toml"), "{e}");
}
