//! `kakunin serve` as an OpenID Provider, as a process: the demo the
//! sample serves, the flags' refusals, and the client registry reloaded on
//! SIGHUP. The protocol itself is tested in-process
//! (server/tests/it/oidc.rs) and with independent RP libraries
//! (oidc_rp.rs).

use crate::common::kakunin;
use crate::serve::{crl_dir, data, need_curl, s, Served};

/// A request for the demo client, as JSON (`Accept: application/json`).
fn authorize(srv: &Served, client_id: &str) -> u16 {
    let path = format!(
        "/authorize?response_type=code&client_id={client_id}\
         &redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&scope=openid&state=s&nonce=n\
         &code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256"
    );
    srv.curl(&path, &["-H", "Accept: application/json"]).0
}

#[test]
fn the_sample_serves_the_openid_provider_demo() {
    if !need_curl() {
        return;
    }
    let srv = Served::start(&["--listen", "127.0.0.1:0"]);
    let (code, meta) = srv.get_json("/.well-known/openid-configuration", &[]);
    assert_eq!(code, 200);
    let issuer = srv.url("");
    assert_eq!(meta["issuer"], issuer);
    assert_eq!(meta["token_endpoint"], format!("{issuer}/token"));
    assert_eq!(
        meta["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    let (_, jwks) = srv.get_json("/jwks", &[]);
    let algs: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .filter_map(|k| k["alg"].as_str())
        .collect();
    assert_eq!(algs, ["ES256", "RS256"], "{jwks}");
    assert_eq!(authorize(&srv, "demo"), 200);
    assert!(
        srv.banner()
            .iter()
            .any(|l| l.contains("/.well-known/openid-configuration")),
        "{:?}",
        srv.banner()
    );
}

#[test]
fn provider_flags_are_checked_before_serving() {
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let d = s(dir.path());
    let (sign, auth) = (
        s(&data("sign-ca.pem")).to_string(),
        s(&data("auth-ca.pem")).to_string(),
    );
    let clients = data("oidc/clients.toml");
    let key = data("oidc/op-es256.key");
    let pairwise = data("oidc/pairwise.key");
    let base = [
        "serve",
        "--listen",
        "127.0.0.1:0",
        "--trust",
        &sign,
        "--trust",
        &auth,
        "--crl-dir",
        d,
    ];
    let cases: &[(&[&str], &str)] = &[
        (&["--clients", s(&clients)], "--oidc-key"),
        (
            &["--clients", s(&clients), "--oidc-key", s(&key)],
            "--pairwise-key",
        ),
        (&["--oidc-key", s(&key)], "need --clients"),
        (
            &[
                "--clients",
                s(&clients),
                "--oidc-key",
                s(&key),
                "--pairwise-key",
                "/nonexistent/pw.key",
            ],
            "/nonexistent/pw.key",
        ),
        (
            &[
                "--clients",
                s(&clients),
                "--oidc-key",
                s(&pairwise),
                "--pairwise-key",
                s(&pairwise),
            ],
            "--oidc-key",
        ),
        (&["--pending-lifetime", "10m"], "at most 5m"),
        (&["--code-lifetime", "2m"], "at most 60s"),
    ];
    for (extra, needle) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let out = kakunin(&args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.contains(needle),
            "{extra:?}: expected {needle:?} in {err}"
        );
    }
}

#[test]
fn sighup_rereads_the_client_registry_and_keeps_it_when_the_new_one_is_bad() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let registry = dir.path().join("clients.toml");
    let text = |id: &str| {
        format!(
            "[[client]]\nclient_id = \"{id}\"\nname = \"RP {id}\"\n\
             redirect_uris = [\"http://127.0.0.1:8081/callback\"]\nscopes = [\"openid\"]\n\
             jwks_file = \"{}\"\n",
            s(&data("oidc/demo-rp.jwks.json"))
        )
    };
    kakunin_testkit::write(&registry, text("first"));
    let srv = Served::start(&[
        "--listen",
        "127.0.0.1:0",
        "--trust",
        s(&data("sign-ca.pem")),
        "--trust",
        s(&data("auth-ca.pem")),
        "--crl-dir",
        s(dir.path()),
        "--clients",
        s(&registry),
        "--oidc-key",
        s(&data("oidc/op-es256.key")),
        "--pairwise-key",
        s(&data("oidc/pairwise.key")),
    ]);
    assert_eq!(authorize(&srv, "first"), 200);
    assert_eq!(authorize(&srv, "second"), 400);

    kakunin_testkit::write(&registry, text("second"));
    srv.signal("HUP");
    srv.wait_for("the new registry", || authorize(&srv, "second") == 200);
    assert_eq!(authorize(&srv, "first"), 400);

    kakunin_testkit::write(&registry, "[[client]]\nclient_id = \"x\"\n");
    srv.signal("HUP");
    srv.wait_for("the refusal in the log", || {
        srv.stderr_text().contains("client registry refused")
    });
    assert_eq!(
        authorize(&srv, "second"),
        200,
        "the old registry keeps serving"
    );
}
