//! The OpenID Provider under test (shared by oidc.rs and signing.rs): a
//! `Server` over today's PKI, asked with curl (a cookie jar for
//! the browser), OpenSSL as the card (`kakunin_testkit::login::card_sign`)
//! and `jsonwebtoken` signing the client's assertions with the demo RP's
//! key. What an independent RP library checks (ID token validation,
//! discovery, PAR, the RFC refusals) is tools/tests/cli/oidc_rp.rs; here
//! is what only the provider's own pages and state show: the browser
//! binding, final decisions, refusals in words, the registry reload and
//! the bounded store.

use std::path::{Path, PathBuf};
use std::time::Duration;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kakunin_server::{Config, OidcConfig, ReloadConfig, SigningConfig};
use kakunin_testkit::login::card_sign;
use kakunin_testkit::path_str as s;
use serde_json::{json, Value};

use crate::common::{config, data, need_curl, today_pki as pki, unix_now, Served};

/// RFC 7636 Appendix B: a verifier and its S256 challenge.
pub(crate) const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub(crate) const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
pub(crate) const REDIRECT: &str = "http://127.0.0.1:9/cb";

pub(crate) fn registry(client_id: &str) -> String {
    registry_with(
        client_id,
        "\"name\", \"address\", \"birthdate\", \"gender\"",
    )
}

/// One client with the demo RP's key and `openid`, `sign` and `scopes`.
pub(crate) fn registry_with(client_id: &str, scopes: &str) -> String {
    format!(
        "[[client]]\nclient_id = \"{client_id}\"\nname = \"Test RP {client_id}\"\n\
         redirect_uris = [\"{REDIRECT}\"]\n\
         scopes = [\"openid\", \"sign\", {scopes}]\n\
         jwks_file = \"{}\"\n",
        s(&data("oidc/demo-rp.jwks.json"))
    )
}

/// A provider over the PKI: `kakunin serve --clients C --oidc-key
/// data/oidc/op-es256.key --pairwise-key data/oidc/pairwise.key
/// --max-state-entries N`, its issuer the server's own address.
pub(crate) struct Op {
    pub(crate) srv: Served,
    pub(crate) dir: tempfile::TempDir,
    pub(crate) jar: PathBuf,
}

pub(crate) fn op(max_state_entries: usize) -> Option<Op> {
    op_lasting(
        max_state_entries,
        OidcConfig::MAX_PENDING_LIFETIME,
        OidcConfig::MAX_CODE_LIFETIME,
    )
}

pub(crate) fn op_lasting(
    max_state_entries: usize,
    pending: Duration,
    code: Duration,
) -> Option<Op> {
    op_with(max_state_entries, pending, code, &registry("rp1"), |_| None)
}

/// A provider with the registry `clients` and, if `signing` gives one
/// for the test's directory, document signing.
pub(crate) fn op_with(
    max_state_entries: usize,
    pending: Duration,
    code: Duration,
    clients: &str,
    signing: impl FnOnce(&Path) -> Option<SigningConfig>,
) -> Option<Op> {
    if !need_curl() {
        return None;
    }
    let dir = kakunin_testkit::tempdir();
    let signing = signing(dir.path());
    let registry_text = clients;
    let clients = dir.path().join("clients.toml");
    kakunin_testkit::write(&clients, registry_text.as_bytes());
    let srv = Served::start(Config {
        trust: vec![pki().join("sign-ca.pem"), pki().join("auth-ca.pem")],
        reload: ReloadConfig::default(),
        oidc: Some(OidcConfig {
            issuer: None,
            clients,
            keys: vec![data("oidc/op-es256.key")],
            pairwise_key: data("oidc/pairwise.key"),
            max_state_entries,
            pending_lifetime: pending,
            code_lifetime: code,
            signing,
        }),
        ..config(pki())
    });
    let jar = dir.path().join("jar");
    Some(Op { srv, dir, jar })
}

pub(crate) fn authorize_query(client_id: &str, scope: &str) -> String {
    format!(
        "/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb\
         &scope={}&state=st-1&nonce=no-1&code_challenge={CHALLENGE}&code_challenge_method=S256",
        scope.replace(' ', "+")
    )
}

/// Splits curl's `-D -` output into (headers, lower-cased names; body).
pub(crate) fn split_headers(text: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (headers, body.to_string())
}

pub(crate) fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Op {
    /// The browser asks for a login (JSON variant), keeping the cookie.
    pub(crate) fn authorize(&self, scope: &str) -> Value {
        let (code, v) = self.srv.get_json(
            &authorize_query("rp1", scope),
            &[
                "-H",
                "Accept: application/json",
                "-b",
                s(&self.jar),
                "-c",
                s(&self.jar),
            ],
        );
        assert_eq!(code, 200, "{v}");
        v
    }

    pub(crate) fn pairing(v: &Value) -> String {
        v["pairing_code"]
            .as_str()
            .expect("pairing_code")
            .replace('-', "")
    }

    /// The card front end's view of a pending request.
    pub(crate) fn show(&self, pairing: &str) -> (u16, Value) {
        self.srv.get_json(&format!("/approve/{pairing}"), &[])
    }

    pub(crate) fn post_approval(&self, pairing: &str, body: &Value) -> (u16, Value) {
        self.srv.get_json(
            &format!("/approve/{pairing}"),
            &[
                "-H",
                "Content-Type: application/json",
                "--data-binary",
                &body.to_string(),
            ],
        )
    }

    /// The card signs for `origin` with holder `holder`'s keys (the signing
    /// key too when `facts`), as `kakunin card approve` would.
    pub(crate) fn signed_by(&self, pairing: &str, holder: u32, origin: &str, facts: bool) -> Value {
        let (code, shown) = self.show(pairing);
        assert_eq!(code, 200, "{shown}");
        let challenge = shown["challenge"].as_str().expect("challenge");
        let h = pki().join(format!("holders/{holder}"));
        let read = |f: &str| std::fs::read_to_string(h.join(f)).expect("holder file");
        let mut body = json!({
            "origin": origin,
            "cert": read("auth.pem"),
            "signature": card_sign(&h.join("auth.key"), origin, challenge),
        });
        if facts {
            body["sign_cert"] = json!(read("sign.pem"));
            body["sign_signature"] = json!(card_sign(&h.join("sign.key"), origin, challenge));
        }
        body
    }

    pub(crate) fn approve(&self, pairing: &str, holder: u32, facts: bool) -> Value {
        let body = self.signed_by(pairing, holder, &self.srv.url(""), facts);
        let (code, v) = self.post_approval(pairing, &body);
        assert_eq!(code, 200, "{v}");
        v
    }

    /// `GET /authorize/wait/{pairing}` as a navigation, with or without
    /// the browser's cookie: (status, headers, body).
    pub(crate) fn wait_page(
        &self,
        pairing: &str,
        cookie: bool,
    ) -> (u16, Vec<(String, String)>, String) {
        let mut args = vec!["-D", "-"];
        if cookie {
            args.extend(["-b", s(&self.jar)]);
        }
        let (code, text) = self.srv.curl(&format!("/authorize/wait/{pairing}"), &args);
        let (headers, body) = split_headers(&text);
        (code, headers, body)
    }

    pub(crate) fn wait_json(&self, pairing: &str) -> (u16, Value) {
        self.srv.get_json(
            &format!("/authorize/wait/{pairing}"),
            &["-b", s(&self.jar), "-H", "Accept: application/json"],
        )
    }

    /// A client assertion for the token endpoint, signed with the demo
    /// RP's key (data/oidc/demo-rp.key).
    pub(crate) fn assertion(&self, client_id: &str) -> String {
        let pem = std::fs::read(data("oidc/demo-rp.key")).expect("demo RP key");
        let key = EncodingKey::from_ec_pem(&pem).expect("EC key");
        let now = unix_now();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": self.srv.url("/token"),
            "iat": now, "exp": now + 60, "jti": format!("{}", rand_jti()),
        });
        encode(&Header::new(Algorithm::ES256), &claims, &key).expect("sign assertion")
    }

    /// A client-credentials token of `client_id` for `scope`.
    pub(crate) fn client_token(&self, client_id: &str, scope: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "client_credentials"),
            ("scope", scope),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &self.assertion(client_id)),
        ];
        let body = serde_urlencoded::to_string(form).expect("form");
        self.srv.get_json("/token", &["--data-binary", &body])
    }

    pub(crate) fn token(&self, code: &str) -> (u16, Value) {
        self.token_for("rp1", code)
    }

    /// The code flow's token request of `client_id`.
    pub(crate) fn token_for(&self, client_id: &str, code: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &self.assertion(client_id)),
        ];
        let body = serde_urlencoded::to_string(form).expect("form");
        self.srv.get_json("/token", &["--data-binary", &body])
    }
}

pub(crate) fn rand_jti() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    unix_now() * 1_000_000 + N.fetch_add(1, Ordering::Relaxed)
}

/// The query parameters of a `Location`.
pub(crate) fn location_params(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

pub(crate) fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}
