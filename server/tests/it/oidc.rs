//! The OpenID Provider through `Server`: what only the provider's own
//! pages and state show (the harness is op.rs). What an independent RP
//! library checks is tools/tests/cli/oidc_rp.rs.

use std::time::Duration;

use kakunin_testkit::login::card_sign;
use kakunin_testkit::path_str as s;
use serde_json::{json, Value};

use crate::common::today_pki as pki;
use crate::op::{
    authorize_query, header, location_params, op, op_lasting, param, registry, split_headers, Op,
    REDIRECT,
};

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
    // Two seconds to approve: one was too short for a busy machine.
    let Some(op) = op_lasting(10_000, Duration::from_secs(2), Duration::from_secs(1)) else {
        return;
    };
    let stale = Op::pairing(&op.authorize("openid"));
    let fresh = Op::pairing(&op.authorize("openid"));
    assert_eq!(op.approve(&fresh, 1, false)["accepted"], true);
    let (_, headers, _) = op.wait_page(&fresh, true);
    let params = location_params(header(&headers, "location").expect("Location"));
    std::thread::sleep(Duration::from_millis(3100));
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
