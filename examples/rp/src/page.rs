//! The RP's pages: HTML from maud, which escapes every value (the facts
//! come from a certificate and the errors from a provider: neither is
//! markup).

use maud::{html, Markup, DOCTYPE};
use openidconnect::core::{CoreIdTokenClaims, CoreUserInfoClaims};

use crate::sign::{Certificate, Checked, SignResult};

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
                p { a href="/" { "Start again" } }
                p { small { "kakunin-example-rp: a demo relying party with test keys. Never use it for real logins." } }
            }
        }
    }
    .into_string()
}

/// `GET /`: the two things this RP does.
pub(crate) fn start() -> String {
    frame(
        "Log in or sign a document",
        html! {
            ul {
                li { a href="/login" { "Log in" } " with My Number Card: the provider checks the card and gives this RP your facts." }
                li { a href="/sign" { "Sign a document" } ": this RP hashes a text, and you sign it with the card's signing key." }
            }
        },
    )
}

/// `GET /sign`: the document to sign. `form_token` is also in a
/// SameSite=Strict cookie: another site cannot post this form (a signing
/// request the person did not ask for).
pub(crate) fn sign_form(form_token: &str) -> String {
    frame(
        "Sign a document",
        html! {
            p { "This RP computes the SHA-256 of the text and registers only the digest with the provider;                  the provider's login page and " code { "kakunin card approve" } " show the label and the digest,                  and the card signs it with the signing key (password " code { "JPKI2026" } " on the demo card)." }
            form method="post" action="/sign" {
                input type="hidden" name="form_token" value=(form_token);
                p { label { "Label (what the person sees)" br;
                    input type="text" name="label" required maxlength="200" size="50" value="契約書 2026-12.txt"; } }
                p { label { "Document text" br;
                    textarea name="text" rows="8" cols="60" required { "I agree to the terms of 2026-12." } } }
                p { label { input type="checkbox" name="facts" value="1"; " also ask for the holder's four facts from the signing certificate" } }
                p { button type="submit" { "Sign with My Number Card" } }
            }
        },
    )
}

/// After a signing: the result, the provider's verdict, and this RP's own
/// check of each signature.
pub(crate) fn signed(
    sub: &str,
    result: &SignResult,
    cert: Result<&Certificate, &str>,
    checked: &[Checked<'_>],
    raw: &str,
) -> String {
    let v = &result.verification;
    let all = !checked.is_empty() && checked.iter().all(|c| c.verified.is_ok());
    frame(
        "Signed",
        html! {
            p { @if all { "Every signature verified by the RP." } @else { strong { "Not every signature verified: see below." } } }
            table {
                tr { th { "sign_transaction_id" } td { code { (result.sign_transaction_id) } } }
                tr { th { "status" } td { (result.status) } }
                tr { th { "signed by (sub)" } td { code { (sub) } } }
                tr { th { "evidence_id" } td { code { (result.evidence_id) } } }
            }
            h2 { "Documents" }
            @for (i, c) in checked.iter().enumerate() {
                h3 { (i + 1) ". " (c.document.label) }
                table {
                    tr { th { "digest (" (c.document.algorithm) ", base64)" } td { code { (c.document.digest) } } }
                    tr { th { "signature (base64)" } td { code style="word-break:break-all" { (c.document.signature) } } }
                    tr { th { "check" } td { @match &c.verified {
                        Ok(()) => { "✓ signature verified by the RP" },
                        Err(why) => { strong { "✗ not verified: " (why) } },
                    } } }
                }
            }
            h2 { "Signing certificate" }
            @match cert {
                Ok(c) => table {
                    tr { th { "subject" } td { (c.subject) } }
                    tr { th { "issuer" } td { (c.issuer) } }
                    tr { th { "serial" } td { code { (c.serial) } } }
                    tr { th { "not after" } td { (c.not_after) } }
                },
                Err(why) => p { strong { (why) } " (base64 " code { (result.certificate.chars().take(48).collect::<String>()) } "…)" },
            }
            h2 { "The provider's verification" }
            table {
                tr { th { "status" } td { (v.status) } }
                @if let Some(d) = &v.detail { tr { th { "detail" } td { (d) } } }
                tr { th { "crl_number" } td { (v.crl_number.as_deref().unwrap_or("—")) } }
                tr { th { "checked_at" } td { (v.checked_at.as_deref().unwrap_or("—")) } }
            }
            @if let Some(facts) = &result.facts {
                h2 { "Facts (from the signing certificate)" }
                table { @for (k, val) in facts {
                    tr { th { (k) } td { (fact(val)) } }
                } }
            }
            details { summary { "The result as the provider sent it" } pre { (raw) } }
        },
    )
}

/// A fact as the result gives it: a string, or `address` as
/// `{"formatted": …}` (as in userinfo).
fn fact(value: &serde_json::Value) -> String {
    value
        .as_str()
        .or_else(|| value["formatted"].as_str())
        .map_or_else(|| value.to_string(), str::to_string)
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
