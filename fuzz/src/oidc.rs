//! What the OpenID Provider targets share (`oidc_request`,
//! `oidc_assertion`): a small fixed client registry, built once with
//! `ClientRegistry::from_toml`, whose keys are the demo's test keys in
//! `data/oidc/` (public test material), and those keys' private halves
//! for assertions the harness signs itself.
//!
//! Clients:
//! - `demo`: two redirect URIs (one with a query of its own), every
//!   scope, an EC key (`demo-rp.key`, with its `kid`) and an RSA key
//!   (`op-rs256.key`, no `alg` pinned, so RS256 and PS256 both fit);
//! - `par`: `require_par`, RS256 ID tokens, a sector, redirect URIs on two
//!   hosts, the RSA key alone with `alg` RS256 pinned.

use std::path::Path;
use std::sync::OnceLock;

use jsonwebtoken::EncodingKey;
use kakunin_oidc::clients::ClientRegistry;
use kakunin_oidc::keys::{ProviderKeys, SigningKey};
use serde_json::Value;

use crate::data;

/// The issuer the targets' requests and assertions are for.
pub const ISSUER: &str = "https://op.example";
/// The token endpoint assertions name in `aud`.
pub const TOKEN_ENDPOINT: &str = "https://op.example/token";
/// The fixed "now" of the assertion checks (seconds since the epoch,
/// 2027-01-15): seeds are signed for it.
pub const NOW: u64 = 1_800_000_000;

/// The registry, its keys and their `kid`s.
pub struct Fixture {
    /// The client registry.
    pub registry: ClientRegistry,
    /// `demo-rp.key`, P-256.
    pub ec: EncodingKey,
    /// Its `kid` (RFC 7638 thumbprint, as data/oidc/demo-rp.jwks.json has it).
    pub ec_kid: String,
    /// `op-rs256.key`, RSA-2048.
    pub rsa: EncodingKey,
    /// Its `kid`.
    pub rsa_kid: String,
}

/// Built on first use.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(build)
}

fn public_jwk(label: &str, file: &str) -> Value {
    let key = SigningKey::from_pem(label, &data(file)).expect("a data/oidc test key");
    let keys = ProviderKeys::new(vec![key]).expect("one key");
    let mut set = serde_json::to_value(keys.jwks()).expect("a JWKS serialises");
    set["keys"][0].take()
}

fn build() -> Fixture {
    let ec_jwk = public_jwk("demo-rp", "oidc/demo-rp.key");
    let rsa_jwk = public_jwk("op-rs256", "oidc/op-rs256.key");
    let kid = |j: &Value| j["kid"].as_str().expect("a kid").to_string();
    let (ec_kid, rsa_kid) = (kid(&ec_jwk), kid(&rsa_jwk));
    let mut rsa_any_alg = rsa_jwk.clone();
    if let Some(o) = rsa_any_alg.as_object_mut() {
        o.remove("alg");
        o.remove("use");
    }
    let toml = format!(
        r#"
[[client]]
client_id = "demo"
name = "Demo RP"
redirect_uris = ["https://rp.example/cb", "https://rp.example/cb?x=1"]
scopes = ["openid", "name", "address", "birthdate", "gender", "sign"]
jwks = {{ keys = [{ec}, {rsa_any}] }}

[[client]]
client_id = "par"
name = "PAR RP"
redirect_uris = ["http://127.0.0.1:8081/callback", "https://other.example/cb"]
sector = "par.example"
scopes = ["openid", "name"]
require_par = true
id_token_signed_response_alg = "RS256"
jwks = {{ keys = [{rsa}] }}
"#,
        ec = toml_inline(&ec_jwk),
        rsa_any = toml_inline(&rsa_any_alg),
        rsa = toml_inline(&rsa_jwk),
    );
    let registry = ClientRegistry::from_toml(&toml, Path::new(".")).expect("the fixed registry");
    Fixture {
        registry,
        ec: EncodingKey::from_ec_pem(&data("oidc/demo-rp.key")).expect("demo-rp.key"),
        ec_kid,
        rsa: EncodingKey::from_rsa_pem(&data("oidc/op-rs256.key")).expect("op-rs256.key"),
        rsa_kid,
    }
}

/// A JSON value as inline TOML (strings, arrays and tables coincide).
fn toml_inline(v: &Value) -> String {
    match v {
        Value::Object(m) => format!(
            "{{ {} }}",
            m.iter()
                .map(|(k, v)| format!("{k:?} = {}", toml_inline(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Value::Array(a) => format!(
            "[{}]",
            a.iter().map(toml_inline).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// Whether `uri` is registered, byte for byte, for any client.
pub fn registered_anywhere(uri: &str) -> bool {
    ["demo", "par"].iter().any(|id| {
        fixture()
            .registry
            .get(id)
            .is_some_and(|c| c.has_redirect_uri(uri))
    })
}
