//! The signing flow's routes (docs/signing.md), on the login's machinery:
//! `GET /sign` (the form), `POST /sign` (hash, client-credentials token,
//! register, redirect) and a signing's end at `/callback` (the result,
//! each signature verified here). The API calls and the checks are in
//! `sign.rs`.

use std::collections::HashMap;
use std::io::Read;

use anyhow::{bail, Context};
use openidconnect::url::form_urlencoded;
use openidconnect::{CsrfToken, OAuth2TokenResponse, Scope};
use tiny_http::Request;

use crate::assertion::JWT_BEARER;
use crate::{cookie, header, html, page, sign, Answer, Login, Rp, LOGIN_LIFETIME};

/// The cookie that binds the signing form to this browser (double submit).
const FORM_COOKIE: &str = "kakunin-rp-form";
/// The largest signing form read (the document text is in it).
const MAX_FORM: u64 = 1 << 20;

impl Rp {
    /// `POST /sign`: the form checked, the document hashed, the
    /// transaction registered, and the redirect to the provider.
    pub(crate) fn sign(&mut self, request: &mut Request) -> Answer {
        if let Some(busy) = self.busy() {
            return busy;
        }
        let form_cookie = cookie(request, FORM_COOKIE);
        match self.register(request, form_cookie.as_deref()) {
            Ok(tx) => self.start(&[Scope::new("sign".into())], Some(tx)),
            Err(e) => html(400, page::error("Signing failed", &format!("{e:#}"))),
        }
    }

    /// The signing form's document, registered with the provider.
    fn register(
        &self,
        request: &mut Request,
        form_cookie: Option<&str>,
    ) -> anyhow::Result<sign::Transaction> {
        let form_type = request
            .headers()
            .iter()
            .find(|h| h.field.equiv("Content-Type"))
            .is_some_and(|h| {
                h.value
                    .as_str()
                    .starts_with("application/x-www-form-urlencoded")
            });
        if !form_type {
            bail!("expected a form (Content-Type application/x-www-form-urlencoded)");
        }
        let mut body = Vec::new();
        request
            .as_reader()
            .take(MAX_FORM + 1)
            .read_to_end(&mut body)
            .context("reading the form")?;
        if body.len() as u64 > MAX_FORM {
            bail!("the form is larger than {MAX_FORM} bytes");
        }
        let mut form = HashMap::new();
        for (k, v) in form_urlencoded::parse(&body) {
            form.insert(k.into_owned(), v.into_owned());
        }
        match (form_cookie, form.get("form_token")) {
            (Some(c), Some(f)) if c == f => {}
            _ => bail!(
                "the form does not match this browser's form cookie: open /sign and post it \
                 from there (another site cannot post it)"
            ),
        }
        let label = form.get("label").map_or("", |l| l.trim()).to_string();
        let text = form.get("text").context("the form has no document text")?;
        let documents = vec![sign::Document::new(label, text)];
        let token = self.client_credentials()?;
        let facts = form.get("facts").is_some_and(|f| f == "1");
        let id = sign::register(self.http.agent(), &self.issuer, &token, &documents, facts)?;
        Ok(sign::Transaction { id, documents })
    }

    /// An access token of this client itself (`grant_type=
    /// client_credentials`, scope `sign`), to register transactions; the
    /// same `private_key_jwt` as the login's token request.
    fn client_credentials(&self) -> anyhow::Result<String> {
        let assertion = self.key.assertion(&self.client_id, &self.token_endpoint)?;
        let token = self
            .client
            .exchange_client_credentials()
            .context("the provider has no token endpoint")?
            .add_scope(Scope::new("sign".into()))
            .add_extra_param("client_assertion_type", JWT_BEARER)
            .add_extra_param("client_assertion", assertion)
            .request(&self.http)
            .context("a client-credentials token with scope sign at the token endpoint")?;
        Ok(token.access_token().secret().clone())
    }

    /// A signing's end: the result with the login's access token, each
    /// signature verified here, and the page.
    pub(crate) fn finish_signing(
        &self,
        mut login: Login,
        params: &HashMap<String, String>,
    ) -> anyhow::Result<String> {
        let tx = login
            .signing
            .take()
            .context("this login is not a signing")?;
        let (token, claims) = self.redeem(login, params)?;
        let (result, raw) = sign::result(
            self.http.agent(),
            &self.issuer,
            &tx.id,
            token.access_token().secret(),
        )?;
        if result.sign_transaction_id != tx.id {
            bail!(
                "the result is for transaction {}, not {}",
                result.sign_transaction_id,
                tx.id
            );
        }
        let cert = sign::Certificate::parse(&result.certificate).map_err(|e| format!("{e:#}"));
        let checked = sign::check(&tx.documents, &result, cert.as_ref().ok());
        Ok(page::signed(
            claims.subject().as_str(),
            &result,
            cert.as_ref().map_err(String::as_str),
            &checked,
            &raw,
        ))
    }
}

/// `GET /sign`: the form, with a fresh form token in its cookie.
pub(crate) fn sign_form() -> Answer {
    let token = CsrfToken::new_random();
    let set = format!(
        "{FORM_COOKIE}={}; Path=/sign; HttpOnly; SameSite=Strict; Max-Age={}",
        token.secret(),
        LOGIN_LIFETIME.as_secs()
    );
    let answer = html(200, page::sign_form(token.secret()));
    match header("Set-Cookie", &set) {
        Some(h) => answer.with_header(h),
        None => html(
            500,
            page::error("Cannot answer", "The form cookie is not a header value."),
        ),
    }
}
