//! The RP's pages: HTML from maud, which escapes every value (the facts
//! come from a certificate and the errors from a provider: neither is
//! markup).

use maud::{html, Markup, DOCTYPE};
use openidconnect::core::{CoreIdTokenClaims, CoreUserInfoClaims};

fn frame(title: &str, body: Markup) -> String {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " — kakunin example RP" }
                style { "body{font-family:sans-serif;max-width:44em;margin:2em auto;padding:0 1em}\
                         th{text-align:left;padding-right:1em;vertical-align:top}\
                         pre{background:#f4f4f4;padding:1em;overflow:auto}" }
            }
            body {
                h1 { (title) }
                (body)
                p { a href="/" { "Log in again" } }
                p { small { "kakunin-example-rp: a demo relying party with test keys. Never use it for real logins." } }
            }
        }
    }
    .into_string()
}

/// After a login: `sub`, the facts from userinfo, what the ID token says.
pub(crate) fn logged_in(id: &CoreIdTokenClaims, info: &CoreUserInfoClaims) -> String {
    let name = info
        .name()
        .and_then(|n| n.get(None))
        .map(|n| n.as_str().to_string());
    let address = info
        .address()
        .and_then(|a| a.formatted.as_ref())
        .map(|f| f.as_str().to_string());
    let birthdate = info.birthdate().map(|b| b.as_str().to_string());
    let gender = info.gender().map(|g| g.as_str().to_string());
    let amr = id.auth_method_refs().map(|m| {
        m.iter()
            .map(|r| r.as_str().to_string())
            .collect::<Vec<_>>()
            .join(" ")
    });
    let facts = [
        ("name", name),
        ("address", address),
        ("birthdate", birthdate),
        ("gender", gender),
    ];
    let userinfo = serde_json::to_string_pretty(info).unwrap_or_default();
    frame(
        "Logged in",
        html! {
            p { "The provider checked the card, its certificate's path and its revocation. You are:" }
            table {
                tr { th { "sub" } td { code { (id.subject().as_str()) } } }
                @for (claim, value) in &facts {
                    @if let Some(v) = value {
                        tr { th { (claim) } td { (v) } }
                    }
                }
            }
            h2 { "ID token" }
            table {
                tr { th { "iss" } td { (id.issuer().as_str()) } }
                tr { th { "aud" } td { (id.audiences().iter().map(|a| a.as_str()).collect::<Vec<_>>().join(" ")) } }
                tr { th { "issued" } td { (id.issue_time().to_rfc3339()) } }
                tr { th { "expires" } td { (id.expiration().to_rfc3339()) } }
                @if let Some(t) = id.auth_time() {
                    tr { th { "auth_time" } td { (t.to_rfc3339()) } }
                }
                @if let Some(amr) = &amr {
                    tr { th { "amr" } td { (amr) } }
                }
                @if let Some(acr) = id.auth_context_ref() {
                    tr { th { "acr" } td { (acr.as_str()) } }
                }
            }
            h2 { "Userinfo" }
            pre { (userinfo) }
        },
    )
}

/// Something went wrong; `detail` says what.
pub(crate) fn error(title: &str, detail: &str) -> String {
    frame(title, html! { p { (detail) } })
}
