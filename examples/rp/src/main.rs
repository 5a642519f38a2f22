//! `kakunin-example-rp`: a tiny relying party for kakunin's OpenID
//! Provider, on the `openidconnect` crate, to show what an RP does and to
//! try the provider end to end. Not part of the server.
//!
//! - `GET /`: links to the two flows.
//! - `GET /login`: discovery has given the authorization endpoint; a
//!   redirect there (authorization code flow, PKCE S256, `state`,
//!   `nonce`), with `state` also in a cookie that binds the login to this
//!   browser.
//! - `GET /sign`, `POST /sign`: document signing (docs/signing.md,
//!   `sign.rs`): the text's SHA-256, a client-credentials token (scope
//!   `sign`, the same `private_key_jwt`), the transaction registered, then
//!   the same redirect with `scope=openid sign&sign_transaction_id=ID`.
//! - `GET /callback?code&state&iss`: `state` against the cookie and the
//!   logins started here (each used once), `iss` against the provider's
//!   (RFC 9207), the code redeemed with a `private_key_jwt` client
//!   assertion (`assertion.rs`), the ID token validated by openidconnect
//!   (signature from the provider's JWKS, `iss`, `aud`, `exp`, `nonce`,
//!   `at_hash`). A login then reads userinfo for the same `sub` and shows
//!   the facts; a signing fetches the result with the access token and
//!   verifies each signature itself.
//!
//! Logins in progress live in memory (10 minutes, at most 10,000), a
//! signing's transaction with its login (keyed by the `state` of the
//! cookie, so the browser cannot swap in another transaction); one
//! request is served at a time. A demo, with the test keys of data/oidc/.

mod assertion;
mod http;
mod page;
mod sign;
mod sign_flow;

use std::collections::HashMap;
use std::io::Cursor;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use clap::Parser;
use openidconnect::core::{
    CoreClient, CoreIdTokenClaims, CoreProviderMetadata, CoreResponseType, CoreTokenResponse,
    CoreUserInfoClaims,
};
use openidconnect::url::form_urlencoded;
use openidconnect::{
    AccessTokenHash, AuthenticationFlow, AuthorizationCode, ClientId, CsrfToken, EndpointMaybeSet,
    EndpointNotSet, EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse,
};
use tiny_http::{Header, Method, Request, Response};

use crate::assertion::{ClientKey, JWT_BEARER};
use crate::http::Http;

/// An example relying party for kakunin's OpenID Provider (a demo with test keys).
#[derive(Parser, Debug)]
#[command(
    name = "kakunin-example-rp",
    version,
    long_about = "An example relying party for kakunin's OpenID Provider, on the openidconnect crate.

Open http://127.0.0.1:8081/ in a browser and choose \"Log in\": it is sent to the provider's \
login page, which shows a pairing code; approve it with the card (kakunin card approve CODE \
--server ISSUER), and the browser comes back to /callback, where this RP redeems the code \
(private_key_jwt), checks the ID token and shows the sub and the facts that userinfo gives.

\"Sign a document\" (/sign) hashes a text, registers the digest with the provider's signing API \
(a client-credentials token with scope sign), has the person approve it with the card the same \
way, then fetches the signatures and verifies each one with the signing certificate's key.

The client must be registered at the provider with the redirect URI http://LISTEN/callback, byte \
for byte, and the public key of --key: `kakunin serve` with no arguments serves such a client, \
`demo`, from data/oidc/ (test material, public keys).",
    after_help = "Example (the demo, three terminals):
  kakunin serve
  cargo run -p kakunin-example-rp
  kakunin card approve CODE --server http://127.0.0.1:8080    # CODE from the login page

Exit status: 2 when it cannot start (key, discovery, port); it then serves until killed."
)]
struct Args {
    /// The OpenID Provider's issuer; discovery is read from ISSUER/.well-known/openid-configuration.
    #[arg(long, default_value = "http://127.0.0.1:8080", value_name = "URL")]
    issuer: String,
    /// The scopes to ask for, space-separated (openid is always asked for).
    #[arg(
        long,
        default_value = "openid name address birthdate gender",
        value_name = "SCOPES"
    )]
    scope: String,
    /// The client's private key for private_key_jwt (PEM PKCS#8; P-256 signs ES256, RSA RS256).
    /// A relative path not found is also looked for from the workspace's root.
    #[arg(long, default_value = "data/oidc/demo-rp.key", value_name = "FILE")]
    key: PathBuf,
    /// The client_id registered at the provider.
    #[arg(long, default_value = "demo", value_name = "ID")]
    client_id: String,
    /// Where to listen; the redirect URI is http://LISTEN/callback.
    #[arg(long, default_value = "127.0.0.1:8081", value_name = "ADDR")]
    listen: SocketAddr,
}

/// openidconnect's client as discovery makes it: an authorization
/// endpoint, maybe a token and a userinfo endpoint.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The cookie that binds a login's `state` to the browser that started it.
const STATE_COOKIE: &str = "kakunin-rp-state";
/// How long a started login waits for its callback.
const LOGIN_LIFETIME: Duration = Duration::from_secs(600);
/// Logins in progress kept at most.
const MAX_LOGINS: usize = 10_000;

/// A login started at `GET /login` or `POST /sign`, keyed by its `state`.
struct Login {
    verifier: PkceCodeVerifier,
    nonce: Nonce,
    started: Instant,
    /// A signing: the transaction this login approves, and the digests to
    /// verify its signatures over.
    signing: Option<sign::Transaction>,
}

struct Rp {
    client: Client,
    /// The provider's issuer, as discovery gave it.
    issuer: String,
    token_endpoint: String,
    client_id: String,
    scopes: Vec<Scope>,
    key: ClientKey,
    http: Http,
    logins: HashMap<String, Login>,
}

fn main() -> ExitCode {
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kakunin-example-rp: error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `given`, or, when it is relative and not found, the same path from the
/// workspace's root (so that `cargo run -p kakunin-example-rp` finds
/// data/oidc/ from any directory).
fn key_path(given: &Path) -> PathBuf {
    if given.is_absolute() || given.exists() {
        return given.into();
    }
    let from_root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(given);
    if from_root.exists() {
        from_root
    } else {
        given.into()
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let key = ClientKey::load(&key_path(&args.key))?;
    let http = Http::new();
    let issuer_url = IssuerUrl::new(args.issuer.clone())
        .with_context(|| format!("--issuer {:?} is not a URL", args.issuer))?;
    let metadata = CoreProviderMetadata::discover(&issuer_url, &http).with_context(|| {
        format!(
            "OpenID Connect discovery at {}/.well-known/openid-configuration (is kakunin serve \
             running, with an OpenID Provider?)",
            args.issuer.trim_end_matches('/')
        )
    })?;
    let issuer = metadata.issuer().to_string();
    let token_endpoint = metadata
        .token_endpoint()
        .context("the provider's discovery names no token_endpoint")?
        .to_string();
    let redirect_uri = format!("http://{}/callback", args.listen);
    let client =
        CoreClient::from_provider_metadata(metadata, ClientId::new(args.client_id.clone()), None)
            .set_redirect_uri(RedirectUrl::new(redirect_uri.clone()).context("the redirect URI")?);
    let server = tiny_http::Server::http(args.listen)
        .map_err(|e| anyhow!("cannot listen on {}: {e}", args.listen))?;
    println!(
        "kakunin-example-rp: client {} (key {}), provider {issuer}, redirect URI {redirect_uri}\n  \
         open http://{}/ in a browser",
        args.client_id,
        key.kid(),
        args.listen
    );
    let mut rp = Rp {
        client,
        issuer,
        token_endpoint,
        client_id: args.client_id,
        // openidconnect asks for openid itself.
        scopes: args
            .scope
            .split_ascii_whitespace()
            .filter(|s| *s != "openid")
            .map(|s| Scope::new(s.into()))
            .collect(),
        key,
        http,
        logins: HashMap::new(),
    };
    for mut request in server.incoming_requests() {
        let response = rp.handle(&mut request);
        if let Err(e) = request.respond(response) {
            eprintln!("kakunin-example-rp: answering: {e}");
        }
    }
    Ok(())
}

type Answer = Response<Cursor<Vec<u8>>>;

fn header(name: &str, value: &str) -> Option<Header> {
    Header::from_bytes(name.as_bytes(), value.as_bytes()).ok()
}

fn html(status: u16, body: String) -> Answer {
    let mut r = Response::from_string(body).with_status_code(status);
    for (n, v) in [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Cache-Control", "no-store"),
    ] {
        if let Some(h) = header(n, v) {
            r.add_header(h);
        }
    }
    r
}

/// The value of cookie `name` of `request`.
fn cookie(request: &Request, name: &str) -> Option<String> {
    request
        .headers()
        .iter()
        .filter(|h| h.field.equiv("Cookie"))
        .flat_map(|h| h.value.as_str().split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.to_string())
}

impl Rp {
    fn handle(&mut self, request: &mut Request) -> Answer {
        self.logins
            .retain(|_, l| l.started.elapsed() < LOGIN_LIFETIME);
        let url = request.url().to_string();
        let (path, query) = url.split_once('?').unwrap_or((&url, ""));
        match (request.method(), path) {
            (Method::Get, "/") => html(200, page::start()),
            (Method::Get, "/login") => {
                let scopes = self.scopes.clone();
                self.start(&scopes, None)
            }
            (Method::Get, "/sign") => sign_flow::sign_form(),
            (Method::Post, "/sign") => self.sign(request),
            (Method::Get, "/callback") => {
                self.callback(query, cookie(request, STATE_COOKIE).as_deref())
            }
            (Method::Get, _) => html(404, page::error("Not found", "Try / to start.")),
            _ => html(
                405,
                page::error(
                    "Method not allowed",
                    "Only GET, and POST on /sign, are served.",
                ),
            ),
        }
    }

    /// The 503 page when [`MAX_LOGINS`] logins are in progress (a signing
    /// checks before it registers a transaction it could not start).
    fn busy(&self) -> Option<Answer> {
        (self.logins.len() >= MAX_LOGINS).then(|| {
            html(
                503,
                page::error(
                    "Busy",
                    "Too many logins in progress; try again in a few minutes.",
                ),
            )
        })
    }

    /// A fresh login asking for `scopes` (and `openid`), for a signing
    /// when `signing` is given, and the redirect to the provider.
    fn start(&mut self, scopes: &[Scope], signing: Option<sign::Transaction>) -> Answer {
        if let Some(busy) = self.busy() {
            return busy;
        }
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = self
            .client
            .authorize_url(
                AuthenticationFlow::<CoreResponseType>::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .set_pkce_challenge(challenge);
        for scope in scopes {
            request = request.add_scope(scope.clone());
        }
        if let Some(tx) = &signing {
            // docs/signing.md §2: the Digital Agency's parameter name.
            request = request.add_extra_param("sign_transaction_id", tx.id.clone());
        }
        let (url, state, nonce) = request.url();
        let cookie = format!(
            "{STATE_COOKIE}={}; Path=/callback; HttpOnly; SameSite=Lax; Max-Age={}",
            state.secret(),
            LOGIN_LIFETIME.as_secs()
        );
        let (Some(location), Some(set_cookie)) = (
            header("Location", url.as_str()),
            header("Set-Cookie", &cookie),
        ) else {
            return html(
                500,
                page::error(
                    "Cannot redirect",
                    "The authorization URL is not a header value.",
                ),
            );
        };
        self.logins.insert(
            state.secret().clone(),
            Login {
                verifier,
                nonce,
                started: Instant::now(),
                signing,
            },
        );
        html(
            302,
            page::error("Redirecting", "To the provider's login page."),
        )
        .with_header(location)
        .with_header(set_cookie)
    }

    /// `GET /callback`: a login's or a signing's page, or what failed.
    fn callback(&mut self, query: &str, cookie: Option<&str>) -> Answer {
        let (login, params) = match self.take_login(query, cookie) {
            Ok(found) => found,
            Err(e) => return html(400, page::error("Login failed", &format!("{e:#}"))),
        };
        let (title, outcome) = match login.signing {
            Some(_) => ("Signing failed", self.finish_signing(login, &params)),
            None => ("Login failed", self.finish_login(login, &params)),
        };
        match outcome {
            Ok(body) => html(200, body),
            Err(e) => html(400, page::error(title, &format!("{e:#}"))),
        }
    }

    /// The callback's parameters, its `state` checked against the cookie,
    /// and the login it ends (used once).
    fn take_login(
        &mut self,
        query: &str,
        cookie: Option<&str>,
    ) -> anyhow::Result<(Login, HashMap<String, String>)> {
        let mut params = HashMap::new();
        for (k, v) in form_urlencoded::parse(query.as_bytes()) {
            if params
                .insert(k.clone().into_owned(), v.into_owned())
                .is_some()
            {
                bail!("the callback has {k} twice");
            }
        }
        let state = params.get("state").context("the callback has no state")?;
        if cookie != Some(state.as_str()) {
            bail!(
                "the state does not match this browser's login cookie: the login was started \
                 in another browser, or this callback was forged (CSRF)"
            );
        }
        let login = self.logins.remove(state).context(
            "no login with this state is in progress here (used, or older than 10 minutes)",
        )?;
        Ok((login, params))
    }

    /// The provider's answer checked, the code redeemed (`private_key_jwt`,
    /// PKCE) and the ID token validated: the tokens and the ID token's
    /// claims.
    fn redeem(
        &self,
        login: Login,
        params: &HashMap<String, String>,
    ) -> anyhow::Result<(CoreTokenResponse, CoreIdTokenClaims)> {
        // RFC 9207 §2.4: the response names the provider that sent it, so
        // that an RP with several providers cannot be mixed up.
        match params.get("iss") {
            Some(iss) if *iss == self.issuer => {}
            Some(iss) => bail!(
                "the response's iss {iss:?} is not the provider's {:?}",
                self.issuer
            ),
            None => bail!("the response has no iss (RFC 9207); kakunin always sends it"),
        }
        if let Some(error) = params.get("error") {
            bail!(
                "the provider answered {error}: {}",
                params.get("error_description").map_or("", String::as_str)
            );
        }
        let code = params.get("code").context("the callback has no code")?;

        let assertion = self.key.assertion(&self.client_id, &self.token_endpoint)?;
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.clone()))
            .context("the provider has no token endpoint")?
            .set_pkce_verifier(login.verifier)
            .add_extra_param("client_assertion_type", JWT_BEARER)
            .add_extra_param("client_assertion", assertion)
            .request(&self.http)
            .context("redeeming the code at the token endpoint")?;

        let id_token = token
            .id_token()
            .context("the token response has no ID token")?;
        let verifier = self.client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &login.nonce)
            .context("the ID token does not verify")?;
        // OIDC Core §3.1.3.8: at_hash, when present, binds the access token.
        if let Some(expected) = claims.access_token_hash() {
            let actual = AccessTokenHash::from_token(
                token.access_token(),
                id_token.signing_alg().context("the ID token's alg")?,
                id_token
                    .signing_key(&verifier)
                    .context("the ID token's key")?,
            )
            .context("hashing the access token")?;
            if actual != *expected {
                bail!("the ID token's at_hash does not match the access token");
            }
        }
        let claims = claims.clone();
        Ok((token, claims))
    }

    /// A login's end: userinfo for the ID token's `sub`, and the page.
    fn finish_login(
        &self,
        login: Login,
        params: &HashMap<String, String>,
    ) -> anyhow::Result<String> {
        let (token, claims) = self.redeem(login, params)?;
        let info: CoreUserInfoClaims = self
            .client
            .user_info(token.access_token().clone(), Some(claims.subject().clone()))
            .context("the provider has no userinfo endpoint")?
            .request(&self.http)
            .context("reading userinfo")?;
        Ok(page::logged_in(&claims, &info))
    }
}
