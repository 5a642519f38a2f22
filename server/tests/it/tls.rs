//! HTTPS on the listening port: the key formats a deployment may have.
//! (The flags, the banner and the refusals at start are tested with the
//! `kakunin` process in tools/tests/cli/serve_tls.rs.)

use kakunin_server::TlsConfig;
use kakunin_testkit::tls::TlsFiles;

use crate::common::{config, crl_dir, need_curl, Served};

#[test]
fn tls_takes_pkcs1_and_sec1_keys() {
    if !need_curl() {
        return;
    }
    let work = kakunin_testkit::tempdir();
    for (name, key_cmd) in [
        ("pkcs1", "genrsa -traditional -out"),
        ("sec1", "ecparam -name prime256v1 -genkey -noout -out"),
    ] {
        let tls = TlsFiles::with_key(&work.path().join(name), key_cmd);
        let key = tls.path("server.key");
        let pem = std::fs::read_to_string(&key).expect("key");
        let label = if name == "pkcs1" {
            "RSA PRIVATE KEY"
        } else {
            "EC PRIVATE KEY"
        };
        assert!(pem.contains(label), "{name}: {pem}");
        let dir = crl_dir(&["sign.crl"]);
        let cert = tls.path("server.pem");
        // --tls-cert CERT --tls-key KEY
        let mut config = config(dir.path());
        config.tls = Some(TlsConfig { cert, key });
        let srv = Served::start(config).with_cacert(&tls.ca());
        let (code, version, _) = srv.curl_version("/healthz", &[]);
        assert_eq!((code, version.as_str()), (200, "2"), "{name}");
    }
}
