//! The pages a person sees: the login page (QR code, pairing and
//! verification codes, time left), refusals, and errors that must not be
//! redirected. HTML is written with `maud`, which escapes every value at
//! compile-time-checked boundaries; no external assets, and a strict CSP:
//! the page's only script and style are `/assets/login.{js,css}` from this
//! server, and it cannot be framed (clickjacking a login page is a way to
//! phish it).

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::Full;
use hyper::header::HeaderValue;
use hyper::{Response, StatusCode};
use kakunin_engine::Timestamp;
use kakunin_oidc::scope::{Scope, Scopes};
use maud::{html, Markup, DOCTYPE};
use qrcode::render::svg;
use qrcode::QrCode;

use super::approve::fact_label;
use super::authorize::{approval_url, wait_url};
use crate::http::json_response;
use crate::provider::signing::SignTransaction;
use crate::provider::{PairingCode, Pending, Provider};

/// The page's script: polls the wait URL, counts the time down.
pub(crate) const LOGIN_JS: &str = include_str!("../../../assets/login.js");
/// The page's style.
pub(crate) const LOGIN_CSS: &str = include_str!("../../../assets/login.css");

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// An HTML answer with the security headers every page carries.
fn html_response(status: StatusCode, markup: Markup) -> Response<Full<Bytes>> {
    let mut resp = crate::http::response(
        status,
        "text/html; charset=utf-8",
        markup.into_string().into_bytes(),
    );
    let h = resp.headers_mut();
    h.insert("content-security-policy", HeaderValue::from_static(CSP));
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    // The page's URL holds the authorization request; the redirect holds
    // the code. Neither goes to anyone in a Referer.
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    resp
}

/// The path of an asset under the issuer (which may have a path a proxy
/// strips).
fn asset(p: &Provider, name: &str) -> String {
    let path = p
        .issuer
        .as_str()
        .strip_prefix(p.origin.as_str())
        .unwrap_or("");
    format!("{path}/assets/{name}")
}

fn frame(p: &Provider, title: &str, body_attrs: Option<(&str, u64)>, content: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="ja" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="referrer" content="no-referrer";
                title { (title) " — kakunin" }
                link rel="stylesheet" href=(asset(p, "login.css"));
                @if body_attrs.is_some() {
                    script src=(asset(p, "login.js")) defer {}
                }
            }
            @match body_attrs {
                Some((wait, expires)) => body data-wait=(wait) data-expires=(expires) { main { (content) } },
                None => body { main { (content) } },
            }
        }
    }
}

/// The QR code of `url` as an SVG data URL.
fn qr_data_url(url: &str) -> Option<String> {
    let code = QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(220, 220)
        .quiet_zone(true)
        .build();
    Some(format!(
        "data:image/svg+xml;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(svg)
    ))
}

/// The fact scopes of a granted scope string, as labels.
fn facts_of(scope: &str) -> Vec<(&'static str, &'static str)> {
    Scopes::parse(scope)
        .unwrap_or_default()
        .iter()
        .filter(|s| s.is_fact())
        .map(fact_label)
        .collect()
}

/// The login page of a pending request.
pub(super) fn login(
    p: &Provider,
    client_name: &str,
    pending: &Pending,
    pairing: &PairingCode,
    tx: Option<&SignTransaction>,
) -> Response<Full<Bytes>> {
    let approval = approval_url(p, pairing);
    // Each document as the person can compare it with what the card
    // front end shows: label, hash and the digest's first 16 hex digits.
    let documents: Vec<(String, String)> = tx
        .map(|t| {
            t.documents
                .iter()
                .map(|d| {
                    let di = d.digest_info();
                    let alg = di.as_ref().map(|d| d.algorithm().name()).unwrap_or("?");
                    let prefix = di
                        .as_ref()
                        .map(|d| hex::encode(&d.digest()[..8]))
                        .unwrap_or_default();
                    (d.label.clone(), format!("{alg} {prefix}…"))
                })
                .collect()
        })
        .unwrap_or_default();
    let mut facts = facts_of(&pending.scope);
    if tx.is_some_and(|t| t.facts) && facts.is_empty() {
        facts = [Scope::Name, Scope::Address, Scope::Birthdate, Scope::Gender]
            .into_iter()
            .map(fact_label)
            .collect();
    }
    let expires = Timestamp::from_unix(pending.expires_at as i64).to_rfc3339();
    let wait = wait_url(p, pairing);
    let content = html! {
        h1 { "マイナンバーカードでログイン" br; span.en lang="en" { "Log in with My Number Card" } }
        p.rp {
            strong { (client_name) }
            " がログインを求めています。" br;
            span.en lang="en" { strong { (client_name) } " asks you to log in." }
        }
        @if !documents.is_empty() {
            section.documents {
                h2 { "署名する文書 " span.en lang="en" { "Documents to sign" } }
                ol #documents { @for (label, digest) in &documents { li { (label) " " code.digest { (digest) } } } }
                p.note { "署名用電子証明書で電子署名します。カードを読み取る端末にも同じ文書が表示されることを確かめてください。" br;
                    span.en lang="en" { "They are signed with the card's signing certificate. Check that the device reading the card lists the same documents." } }
            }
        }
        section.facts {
            h2 { "提供される情報 " span.en lang="en" { "Data shared with the site" } }
            @if facts.is_empty() && documents.is_empty() {
                p { "ログインのみ(個人の情報は提供されません)" br; span.en lang="en" { "Login only: no personal data." } }
            } @else if facts.is_empty() {
                p { "署名と署名用電子証明書がサイトに渡ります。証明書には氏名・住所・生年月日・性別が記載されています。" br; span.en lang="en" { "The site receives the signatures and the signing certificate, which carries your name, address, date of birth and sex." } }
                p.note { "署名用電子証明書の暗証番号(英数字6〜16桁)が必要です。" br; span.en lang="en" { "The card's signing password is needed." } }
            } @else {
                ul { @for (ja, en) in &facts { li { (ja) " " span.en lang="en" { "(" (en) ")" } } } }
                p.note { "署名用電子証明書の暗証番号(英数字6〜16桁)も必要です。" br; span.en lang="en" { "The card's signing password is also needed." } }
            }
        }
        section.pair {
            @if let Some(qr) = qr_data_url(&approval) {
                img.qr src=(qr) width="220" height="220" alt=(format!("QR code: {approval}"));
            }
            p { "ペアリングコード " span.en lang="en" { "Pairing code" } br; code #pairing-code { (pairing) } }
            p { "確認コード " span.en lang="en" { "Verification code" } br; strong #verification-code { (pending.verification_code) } }
            p.note { "カードを読み取る端末にも同じ確認コードが表示されることを確かめてください。" br;
                span.en lang="en" { "Check that the device reading the card shows the same verification code." } }
            p.cmd { code { "kakunin card approve " (pairing) " --server " (p.issuer.as_str()) } }
        }
        p #status role="status" { "カードでの承認を待っています… " span.en lang="en" { "Waiting for the card…" } }
        p { "残り時間 " span.en lang="en" { "Time left" } ": " span #time-left { time datetime=(expires) { (expires) } } }
        noscript { p { a href=(wait) { "承認したらこちら / Continue once approved" } } }
    };
    html_response(
        StatusCode::OK,
        frame(
            p,
            "マイナンバーカードでログイン",
            Some((&wait, pending.expires_at)),
            content,
        ),
    )
}

/// A page that only says something (a refusal, an expiry), with a link
/// back to the site when there is one to go to.
pub(super) fn message(
    p: &Provider,
    status: StatusCode,
    title: &str,
    text: &str,
    back: Option<&str>,
) -> Response<Full<Bytes>> {
    let content = html! {
        h1 { (title) }
        p #message role="alert" { (text) }
        @if let Some(href) = back {
            p { a #back href=(href) { "サイトに戻る " span.en lang="en" { "Back to the site" } } }
        }
    };
    html_response(status, frame(p, title, None, content))
}

/// An authorization request that cannot be redirected to the client (an
/// unknown client, a redirect URI not registered): shown here, never sent
/// to the URI in the request (RFC 6749 §4.1.2.1).
pub(super) fn error(
    p: &Provider,
    status: StatusCode,
    detail: &str,
    json: bool,
) -> Response<Full<Bytes>> {
    if json {
        let body = serde_json::json!({"error": "invalid_request", "error_description": detail});
        return json_response(status, body.to_string().into_bytes());
    }
    message(
        p,
        status,
        "ログインの要求が正しくありません / The login request is not valid",
        &format!(
            "ログインを求めたサイトにお問い合わせください。Please tell the site that sent you here: {detail}"
        ),
        None,
    )
}

/// `GET /assets/{name}`.
pub(crate) fn asset_response(name: &str) -> Option<Response<Full<Bytes>>> {
    let (body, ty) = match name {
        "login.js" => (LOGIN_JS, "text/javascript; charset=utf-8"),
        "login.css" => (LOGIN_CSS, "text/css; charset=utf-8"),
        _ => return None,
    };
    let mut resp = crate::http::response(StatusCode::OK, ty, body.as_bytes().to_vec());
    resp.headers_mut().insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    Some(resp)
}
