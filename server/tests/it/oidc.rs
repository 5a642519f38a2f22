//! The OpenID Provider through `Server`, asked with curl (a cookie jar for
//! the browser), OpenSSL as the card (`kakunin_testkit::login::card_sign`)
//! and `jsonwebtoken` signing the client's assertions with the demo RP's
//! key. What an independent RP library checks (ID token validation,
//! discovery, PAR, the RFC refusals) is tools/tests/cli/oidc_rp.rs; here
//! is what only the provider's own pages and state show: the browser
//! binding, final decisions, refusals in words, the registry reload and
//! the bounded store.

use std::path::PathBuf;
use std::time::Duration;

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use kakunin_server::{Config, OidcConfig, ReloadConfig};
use kakunin_testkit::login::card_sign;
use kakunin_testkit::path_str as s;
use serde_json::{json, Value};

use crate::common::{config, data, need_curl, today_pki as pki, unix_now, Served};

/// RFC 7636 Appendix B: a verifier and its S256 challenge.
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
const REDIRECT: &str = "http://127.0.0.1:9/cb";

fn registry(client_id: &str) -> String {
    format!(
        "[[client]]\nclient_id = \"{client_id}\"\nname = \"Test RP {client_id}\"\n\
         redirect_uris = [\"{REDIRECT}\"]\n\
         scopes = [\"openid\", \"name\", \"address\", \"birthdate\", \"gender\"]\n\
         jwks_file = \"{}\"\n",
        s(&data("oidc/demo-rp.jwks.json"))
    )
}

/// A provider over the PKI: `kakunin serve --clients C --oidc-key
/// data/oidc/op-es256.key --pairwise-key data/oidc/pairwise.key
/// --max-state-entries N`, its issuer the server's own address.
struct Op {
    srv: Served,
    dir: tempfile::TempDir,
    jar: PathBuf,
}

fn op(max_state_entries: usize) -> Option<Op> {
    op_lasting(
        max_state_entries,
        OidcConfig::MAX_PENDING_LIFETIME,
        OidcConfig::MAX_CODE_LIFETIME,
    )
}

fn op_lasting(max_state_entries: usize, pending: Duration, code: Duration) -> Option<Op> {
    if !need_curl() {
        return None;
    }
    let dir = kakunin_testkit::tempdir();
    let clients = dir.path().join("clients.toml");
    kakunin_testkit::write(&clients, registry("rp1").as_bytes());
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
        }),
        ..config(pki())
    });
    let jar = dir.path().join("jar");
    Some(Op { srv, dir, jar })
}

fn authorize_query(client_id: &str, scope: &str) -> String {
    format!(
        "/authorize?response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb\
         &scope={}&state=st-1&nonce=no-1&code_challenge={CHALLENGE}&code_challenge_method=S256",
        scope.replace(' ', "+")
    )
}

/// Splits curl's `-D -` output into (headers, lower-cased names; body).
fn split_headers(text: &str) -> (Vec<(String, String)>, String) {
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((text, ""));
    let headers = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    (headers, body.to_string())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

impl Op {
    /// The browser asks for a login (JSON variant), keeping the cookie.
    fn authorize(&self, scope: &str) -> Value {
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

    fn pairing(v: &Value) -> String {
        v["pairing_code"]
            .as_str()
            .expect("pairing_code")
            .replace('-', "")
    }

    /// The card front end's view of a pending request.
    fn show(&self, pairing: &str) -> (u16, Value) {
        self.srv.get_json(&format!("/approve/{pairing}"), &[])
    }

    fn post_approval(&self, pairing: &str, body: &Value) -> (u16, Value) {
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
    fn signed_by(&self, pairing: &str, holder: u32, origin: &str, facts: bool) -> Value {
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

    fn approve(&self, pairing: &str, holder: u32, facts: bool) -> Value {
        let body = self.signed_by(pairing, holder, &self.srv.url(""), facts);
        let (code, v) = self.post_approval(pairing, &body);
        assert_eq!(code, 200, "{v}");
        v
    }

    /// `GET /authorize/wait/{pairing}` as a navigation, with or without
    /// the browser's cookie: (status, headers, body).
    fn wait_page(&self, pairing: &str, cookie: bool) -> (u16, Vec<(String, String)>, String) {
        let mut args = vec!["-D", "-"];
        if cookie {
            args.extend(["-b", s(&self.jar)]);
        }
        let (code, text) = self.srv.curl(&format!("/authorize/wait/{pairing}"), &args);
        let (headers, body) = split_headers(&text);
        (code, headers, body)
    }

    fn wait_json(&self, pairing: &str) -> (u16, Value) {
        self.srv.get_json(
            &format!("/authorize/wait/{pairing}"),
            &["-b", s(&self.jar), "-H", "Accept: application/json"],
        )
    }

    /// A client assertion for the token endpoint, signed with the demo
    /// RP's key (data/oidc/demo-rp.key).
    fn assertion(&self, client_id: &str) -> String {
        let pem = std::fs::read(data("oidc/demo-rp.key")).expect("demo RP key");
        let key = EncodingKey::from_ec_pem(&pem).expect("EC key");
        let now = unix_now();
        let claims = json!({
            "iss": client_id, "sub": client_id, "aud": self.srv.url("/token"),
            "iat": now, "exp": now + 60, "jti": format!("{}", rand_jti()),
        });
        encode(&Header::new(Algorithm::ES256), &claims, &key).expect("sign assertion")
    }

    fn token(&self, code: &str) -> (u16, Value) {
        let form = [
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", VERIFIER),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &self.assertion("rp1")),
        ];
        let body = serde_urlencoded::to_string(form).expect("form");
        self.srv.get_json("/token", &["--data-binary", &body])
    }
}

fn rand_jti() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    unix_now() * 1_000_000 + N.fetch_add(1, Ordering::Relaxed)
}

/// The query parameters of a `Location`.
fn location_params(location: &str) -> Vec<(String, String)> {
    let query = location.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).expect("query")
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[test]
fn a_whole_login_with_the_facts_from_the_signing_certificate() {
    let Some(op) = op(10_000) else { return };
    let asked = op.authorize("openid name birthdate");
    let pairing = Op::pairing(&asked);
    let (code, shown) = op.show(&pairing);
    assert_eq!(code, 200, "{shown}");
    assert_eq!(shown["client_name"], "Test RP rp1");
    assert_eq!(shown["verification_code"], asked["verification_code"]);
    assert_eq!(shown["needs_signing_certificate"], true);
    assert_eq!(shown["scopes"], json!(["openid", "name", "birthdate"]));
    assert_eq!(op.wait_json(&pairing).1["state"], "pending");

    let answer = op.approve(&pairing, 1, true);
    assert_eq!(answer["accepted"], true, "{answer}");
    assert_eq!(op.wait_json(&pairing).1["state"], "approved");
    let (code, headers, _) = op.wait_page(&pairing, true);
    assert_eq!(code, 303);
    let location = header(&headers, "location").expect("Location");
    assert!(location.starts_with(&format!("{REDIRECT}?")), "{location}");
    let params = location_params(location);
    assert_eq!(param(&params, "state"), Some("st-1"));
    assert_eq!(param(&params, "iss"), Some(op.srv.url("").as_str()));
    // The redirect is handed out once.
    assert_eq!(op.wait_page(&pairing, true).0, 404);

    let (code, tokens) = op.token(param(&params, "code").expect("code"));
    assert_eq!(code, 200, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().expect("access_token");
    let (code, info) = op.srv.get_json(
        "/userinfo",
        &["-H", &format!("Authorization: Bearer {access}")],
    );
    assert_eq!(code, 200, "{info}");
    let facts: Value = serde_json::from_str(
        &std::fs::read_to_string(pki().join("holders/1/facts.json")).expect("facts.json"),
    )
    .expect("JSON");
    assert_eq!(info["name"], facts["name"]);
    let b = facts["birth_date"].as_str().expect("birth_date");
    assert_eq!(
        info["birthdate"],
        format!("{}-{}-{}", &b[1..5], &b[5..7], &b[7..9])
    );
    // Only what was asked for.
    assert!(
        info.get("address").is_none() && info.get("gender").is_none(),
        "{info}"
    );
    let sub = info["sub"].as_str().expect("sub");
    assert_eq!(sub.len(), 43, "base64url of an HMAC-SHA-256: {sub}");
    assert!(!sub.contains(facts["auth_serial"].as_str().expect("serial")));
}

#[test]
fn only_the_browser_that_started_a_login_collects_its_code() {
    let Some(op) = op(10_000) else { return };
    let pairing = Op::pairing(&op.authorize("openid"));
    assert_eq!(op.approve(&pairing, 1, false)["accepted"], true);
    // Someone who saw the pairing code, without the cookie.
    let (code, headers, body) = op.wait_page(&pairing, false);
    assert_eq!(code, 403, "{body}");
    assert!(header(&headers, "location").is_none());
    let (code, v) = op.srv.get_json(
        &format!("/authorize/wait/{pairing}"),
        &["-H", "Accept: application/json"],
    );
    assert_eq!((code, v["error"].as_str()), (403, Some("access_denied")));
    // Another login's cookie does not fit this one.
    let other = Op::pairing(&op.authorize("openid"));
    let jar = std::fs::read_to_string(&op.jar).expect("jar");
    let forged: String = jar
        .lines()
        .filter(|l| !l.contains(&format!("kakunin-p-{pairing}")))
        .map(|l| {
            l.replace(
                &format!("kakunin-p-{other}"),
                &format!("kakunin-p-{pairing}"),
            ) + "\n"
        })
        .collect();
    let forged_jar = op.dir.path().join("forged");
    kakunin_testkit::write(&forged_jar, forged.as_bytes());
    let (code, _) = op.srv.curl(
        &format!("/authorize/wait/{pairing}"),
        &["-b", s(&forged_jar)],
    );
    assert_eq!(code, 403);
    // The right browser still gets it.
    assert_eq!(op.wait_page(&pairing, true).0, 303);
}

#[test]
fn the_login_page_is_self_contained_and_cannot_be_framed() {
    let Some(op) = op(10_000) else { return };
    let (code, text) = op.srv.curl(
        &authorize_query("rp1", "openid name address"),
        &["-D", "-", "-c", s(&op.jar)],
    );
    assert_eq!(code, 200, "{text}");
    let (headers, page) = split_headers(&text);
    let csp = header(&headers, "content-security-policy").expect("CSP");
    for directive in [
        "default-src 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    assert_eq!(header(&headers, "x-frame-options"), Some("DENY"));
    assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"));
    let cookie = header(&headers, "set-cookie").expect("cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    // The pairing code in the element automation reads, and the same
    // verification code the card front end will show.
    let pairing = page
        .split_once("id=\"pairing-code\">")
        .and_then(|(_, r)| r.split_once('<'))
        .map(|(c, _)| c.to_string())
        .expect("pairing-code element");
    let shown = op.show(&pairing.replace('-', "")).1;
    let verification = shown["verification_code"].as_str().expect("code");
    assert!(page.contains(&format!("id=\"verification-code\">{verification}<")));
    assert!(page.contains("Test RP rp1") && page.contains("氏名") && page.contains("住所"));
    assert!(page.contains("data:image/svg+xml;base64,"), "QR code");
    // No asset from anywhere else: every src/href is on this server.
    for attr in ["src=\"", "href=\""] {
        for (_, rest) in page
            .match_indices(attr)
            .map(|(i, _)| page.split_at(i + attr.len()))
        {
            let url = rest.split('"').next().unwrap_or_default();
            assert!(
                url.starts_with('/')
                    || url.starts_with("data:")
                    || url.starts_with(&op.srv.url("")),
                "{url}"
            );
        }
    }
    for (asset, ty) in [("login.js", "text/javascript"), ("login.css", "text/css")] {
        let (code, text) = op.srv.curl(&format!("/assets/{asset}"), &["-D", "-"]);
        assert_eq!(code, 200);
        let (headers, _) = split_headers(&text);
        assert!(header(&headers, "content-type").is_some_and(|t| t.starts_with(ty)));
    }
    assert_eq!(op.srv.curl("/assets/other.js", &[]).0, 404);
}

#[test]
fn a_decision_is_final_and_a_decline_goes_back_with_access_denied() {
    let Some(op) = op(10_000) else { return };
    let pairing = Op::pairing(&op.authorize("openid"));
    let (code, v) = op.post_approval(&pairing, &json!({"decline": true}));
    assert_eq!((code, v["status"].as_str()), (200, Some("declined")), "{v}");
    // Decided: neither shown nor decided again.
    assert_eq!(op.show(&pairing).0, 404);
    let signed = op.signed_by_after_decision(&pairing);
    assert_eq!(op.post_approval(&pairing, &signed).0, 404);
    let (code, headers, _) = op.wait_page(&pairing, true);
    assert_eq!(code, 303);
    let params = location_params(header(&headers, "location").expect("Location"));
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(param(&params, "state"), Some("st-1"));
    assert!(param(&params, "iss").is_some());
    assert!(param(&params, "code").is_none());
}

impl Op {
    /// A well-formed approval body for a request that can no longer be
    /// shown (so no challenge): what a late or replayed post looks like.
    fn signed_by_after_decision(&self, _pairing: &str) -> Value {
        let h = pki().join("holders/1");
        json!({
            "origin": self.srv.url(""),
            "cert": std::fs::read_to_string(h.join("auth.pem")).expect("cert"),
            "signature": card_sign(&h.join("auth.key"), &self.srv.url(""), "stale"),
        })
    }
}

#[test]
fn refusals_are_told_to_the_person_in_words() {
    let Some(op) = op(10_000) else { return };
    // A revoked card.
    let pairing = Op::pairing(&op.authorize("openid"));
    let v = op.approve(&pairing, 2, false);
    assert_eq!(
        (v["accepted"].as_bool(), v["status"].as_str()),
        (Some(false), Some("revoked")),
        "{v}"
    );
    let (_, w) = op.wait_json(&pairing);
    assert_eq!(w["state"], "refused");
    assert!(
        w["message"]
            .as_str()
            .is_some_and(|m| m.contains("revoked") && m.contains("失効")),
        "{w}"
    );
    let (code, _, page) = op.wait_page(&pairing, true);
    assert_eq!(code, 200);
    assert!(
        page.contains("id=\"message\"") && page.contains("revoked"),
        "{page}"
    );
    // The way back tells the RP the login failed, and nothing more.
    let back = page
        .split_once("id=\"back\" href=\"")
        .and_then(|(_, r)| r.split_once('"'))
        .map(|(h, _)| h.replace("&amp;", "&"))
        .expect("a link back to the site");
    let params = location_params(&back);
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(param(&params, "error"), Some("access_denied"));
    assert_eq!(
        param(&params, "error_description"),
        Some("the card was refused (revoked)")
    );
    assert_eq!(param(&params, "state"), Some("st-1"));
    assert!(param(&params, "code").is_none());

    // A locked PIN, reported by the card front end.
    let pairing = Op::pairing(&op.authorize("openid"));
    let (code, _) = op.post_approval(&pairing, &json!({"decline": true, "reason": "pin_locked"}));
    assert_eq!(code, 200);
    assert!(op.wait_json(&pairing).1["message"]
        .as_str()
        .is_some_and(|m| m.contains("PIN")));

    // A card that signed for another origin (a relay).
    let pairing = Op::pairing(&op.authorize("openid"));
    let body = op.signed_by(&pairing, 1, "https://phish.example", false);
    let (code, v) = op.post_approval(&pairing, &body);
    assert_eq!((code, v["accepted"].as_bool()), (200, Some(false)), "{v}");
    assert!(op.wait_json(&pairing).1["message"]
        .as_str()
        .is_some_and(|m| m.contains("phish.example")));

    // The signing certificate where the authentication one belongs.
    let pairing = Op::pairing(&op.authorize("openid"));
    let mut body = op.signed_by(&pairing, 1, &op.srv.url(""), true);
    body["cert"] = body["sign_cert"].take();
    body["signature"] = body["sign_signature"].take();
    let (code, v) = op.post_approval(&pairing, &body);
    assert_eq!((code, v["accepted"].as_bool()), (200, Some(false)), "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("signing certificate")),
        "{v}"
    );
}

#[test]
fn facts_need_the_signing_certificate_and_a_malformed_post_decides_nothing() {
    let Some(op) = op(10_000) else { return };
    let pairing = Op::pairing(&op.authorize("openid gender"));
    let body = op.signed_by(&pairing, 1, &op.srv.url(""), false);
    let (code, v) = op.post_approval(&pairing, &body);
    assert_eq!(code, 400, "{v}");
    assert!(
        v["detail"]
            .as_str()
            .is_some_and(|d| d.contains("sign_cert")),
        "{v}"
    );
    let (code, v) = op.post_approval(&pairing, &json!({"origin": 1}));
    assert_eq!(code, 400, "{v}");
    // Still pending: a complete post is accepted.
    assert_eq!(op.wait_json(&pairing).1["state"], "pending");
    assert_eq!(op.approve(&pairing, 3, true)["accepted"], true);
}

#[test]
fn a_bad_client_registry_is_refused_and_the_old_one_keeps_serving() {
    let Some(op) = op(10_000) else { return };
    let clients = op.dir.path().join("clients.toml");
    kakunin_testkit::write(&clients, registry("bad id").as_bytes());
    let (code, v) = op.srv.get_json("/admin/reload", &["-X", "POST"]);
    assert_eq!(code, 200, "{v}");
    assert!(
        v["clients"]["refused"]
            .as_str()
            .is_some_and(|e| e.contains("client_id")),
        "{v}"
    );
    op.authorize("openid");

    kakunin_testkit::write(&clients, registry("rp2").as_bytes());
    let (_, v) = op.srv.get_json("/admin/reload", &["-X", "POST"]);
    assert_eq!(v["clients"]["loaded"], 1, "{v}");
    let (code, _) = op.srv.curl(
        &authorize_query("rp1", "openid"),
        &["-H", "Accept: application/json"],
    );
    assert_eq!(code, 400, "rp1 is gone");
    let (code, v) = op.srv.get_json(
        &authorize_query("rp2", "openid"),
        &["-H", "Accept: application/json"],
    );
    assert_eq!(code, 200, "{v}");
}

#[test]
fn a_full_store_refuses_new_logins_and_keeps_the_live_ones() {
    // Each pending request holds two entries (its record and its code's
    // mark): room for two.
    let Some(op) = op(4) else { return };
    let first = Op::pairing(&op.authorize("openid"));
    op.authorize("openid");
    let (code, v) = op.srv.get_json(
        &authorize_query("rp1", "openid"),
        &["-H", "Accept: application/json"],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (503, Some("overloaded")),
        "{v}"
    );
    // Nothing live was evicted.
    assert_eq!(op.show(&first).0, 200);
    assert_eq!(op.wait_json(&first).1["state"], "pending");
}

#[test]
fn pending_requests_and_codes_expire() {
    let Some(op) = op_lasting(10_000, Duration::from_secs(1), Duration::from_secs(1)) else {
        return;
    };
    let stale = Op::pairing(&op.authorize("openid"));
    let fresh = Op::pairing(&op.authorize("openid"));
    assert_eq!(op.approve(&fresh, 1, false)["accepted"], true);
    let (_, headers, _) = op.wait_page(&fresh, true);
    let params = location_params(header(&headers, "location").expect("Location"));
    std::thread::sleep(Duration::from_millis(2100));
    // The request nobody approved is gone, for both sides.
    assert_eq!(op.show(&stale).0, 404);
    let (code, v) = op.wait_json(&stale);
    assert_eq!((code, v["state"].as_str()), (404, Some("expired")), "{v}");
    let (code, _, page) = op.wait_page(&stale, true);
    assert_eq!(code, 404);
    assert!(
        page.contains("expired") && page.contains("error=access_denied"),
        "{page}"
    );
    // The code that was not redeemed in time is refused.
    let (code, v) = op.token(param(&params, "code").expect("code"));
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("invalid_grant")),
        "{v}"
    );
}

#[test]
fn token_and_userinfo_refuse_what_is_not_theirs_to_take() {
    let Some(op) = op(10_000) else { return };
    let assertion = |op: &Op| {
        serde_urlencoded::to_string([
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", op.assertion("rp1").as_str()),
        ])
        .expect("form")
    };
    // A form is required (RFC 6749 §4.1.3).
    let (code, v) = op.srv.get_json(
        "/token",
        &[
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            "{}",
        ],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    // No client authentication at all.
    let (code, v) = op.srv.get_json(
        "/token",
        &["--data-binary", "grant_type=client_credentials"],
    );
    assert_eq!(
        (code, v["error"].as_str()),
        (401, Some("invalid_client")),
        "{v}"
    );
    // Client credentials may not grant a login's scopes.
    let body = format!(
        "grant_type=client_credentials&scope=openid+name&{}",
        assertion(&op)
    );
    let (code, v) = op.srv.get_json("/token", &["--data-binary", &body]);
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("invalid_scope")),
        "{v}"
    );
    // A parameter given twice (RFC 6749 §3.2).
    let body = format!(
        "grant_type=client_credentials&grant_type=client_credentials&{}",
        assertion(&op)
    );
    let (code, v) = op.srv.get_json("/token", &["--data-binary", &body]);
    assert_eq!(
        (code, v["error"].as_str()),
        (400, Some("invalid_request")),
        "{v}"
    );
    // Userinfo: no token, a token that is not ours.
    let (code, text) = op.srv.curl("/userinfo", &["-D", "-"]);
    let (headers, _) = split_headers(&text);
    assert_eq!(code, 401);
    assert_eq!(header(&headers, "www-authenticate"), Some("Bearer"));
    let (code, text) = op.srv.curl(
        "/userinfo",
        &["-D", "-", "-H", "Authorization: Bearer e30.e30.c2ln"],
    );
    let (headers, _) = split_headers(&text);
    assert_eq!(code, 401);
    assert!(
        header(&headers, "www-authenticate").is_some_and(|h| h.contains("error=\"invalid_token\""))
    );
}
