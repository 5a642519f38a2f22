//! The client registry: the relying parties allowed to log people in, read
//! from a TOML file (`--clients FILE`).
//!
//! ```toml
//! [[client]]
//! client_id = "demo"                        # [0-9a-zA-Z]{1,255}
//! name = "Demo RP (test material)"          # shown to the person
//! redirect_uris = ["http://127.0.0.1:8081/callback"]
//! scopes = ["openid", "name", "birthdate"]  # what it may ask for
//! jwks_file = "demo-rp.jwks.json"           # or: jwks = { keys = [...] }
//! # sector = "rp.example"                   # default: the redirect URIs' host
//! # require_par = true                      # default false
//! # id_token_signed_response_alg = "RS256"  # default ES256
//! ```
//!
//! The JWK Set holds the client's signature keys (RSA ≥ 2048 bits or EC
//! P-256; `use`, when present, `"sig"`), at least one, since every client
//! authenticates with private_key_jwt; and at most one RSA encryption key
//! (`"use": "enc"`, `"alg": "RSA-OAEP-256"` or no `alg`), to which results
//! are encrypted ([`crate::jwe`]):
//!
//! ```json
//! {"keys": [
//!   {"kty": "EC", "crv": "P-256", "kid": "sig1", "use": "sig", "x": "…", "y": "…"},
//!   {"kty": "RSA", "kid": "enc1", "use": "enc", "alg": "RSA-OAEP-256", "n": "…", "e": "AQAB"}
//! ]}
//! ```
//!
//! A bad file is refused as a whole, with a message naming the client and
//! the field, so that a reload keeps the old registry serving.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use jsonwebtoken::jwk::{
    AlgorithmParameters, EllipticCurve, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use thiserror::Error;

use crate::jwe::{self, EncryptionKey};
use crate::scope::{Scope, Scopes};
use crate::uri;

/// Why a client registry was refused.
#[derive(Debug, Error)]
pub enum ClientsError {
    /// The registry file (or a `jwks_file`) could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not the TOML shape described in the module docs.
    #[error("expected a TOML client registry ([[client]] tables), found: {0}")]
    Toml(String),
    /// One client's field is wrong.
    #[error("client {client:?}, field `{field}`: expected {expected}, found {found}")]
    Field {
        /// The client's id (as written, possibly invalid).
        client: String,
        /// The field.
        field: &'static str,
        /// What the field must hold.
        expected: String,
        /// What it held.
        found: String,
    },
    /// Two clients have the same `client_id`.
    #[error("client {0:?} is registered twice; expected each client_id once")]
    Duplicate(String),
}

/// The algorithm a client wants its ID tokens signed with
/// (`id_token_signed_response_alg`, OpenID Connect Dynamic Client
/// Registration §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdTokenAlg {
    /// ECDSA P-256 with SHA-256: the default, as the Digital Agency signs.
    Es256,
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    Rs256,
}

impl IdTokenAlg {
    /// The JWS algorithm.
    pub fn algorithm(self) -> Algorithm {
        match self {
            IdTokenAlg::Es256 => Algorithm::ES256,
            IdTokenAlg::Rs256 => Algorithm::RS256,
        }
    }
}

/// The type of a client's public key, which fixes the algorithms it may
/// sign assertions with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    /// An RSA key (≥ 2048 bits): RS256 or PS256.
    Rsa,
    /// An EC P-256 key: ES256.
    EcP256,
}

impl KeyKind {
    /// Whether a JWS `alg` fits this key type (RFC 7518 §3.1).
    pub fn fits(self, alg: Algorithm) -> bool {
        matches!(
            (self, alg),
            (KeyKind::Rsa, Algorithm::RS256 | Algorithm::PS256)
                | (KeyKind::EcP256, Algorithm::ES256)
        )
    }
}

/// One public key from a client's registered JWKS, checked at load.
#[derive(Clone)]
pub struct ClientKey {
    /// The key's `kid`, if the JWKS gave one.
    pub kid: Option<String>,
    /// Its type.
    pub kind: KeyKind,
    /// Its `alg`, if the JWKS pinned one.
    pub alg: Option<Algorithm>,
    /// The verification key.
    pub decoding: DecodingKey,
}

impl std::fmt::Debug for ClientKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientKey")
            .field("kid", &self.kid)
            .field("kind", &self.kind)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A registered relying party.
#[derive(Debug, Clone)]
pub struct Client {
    /// `client_id`, `[0-9a-zA-Z]{1,255}`.
    pub client_id: String,
    /// The name shown to the person logging in.
    pub name: String,
    /// The redirect URIs, compared as exact strings (RFC 6749 §3.1.2.3,
    /// OIDC Core §3.1.2.1).
    pub redirect_uris: Vec<String>,
    /// The public keys its assertions may be signed with.
    pub keys: Vec<ClientKey>,
    /// The key results are encrypted to ([`crate::jwe::encrypt`]), when
    /// its JWKS has one with `"use": "enc"`; without it results go back
    /// in the clear (inside TLS).
    pub encryption_key: Option<EncryptionKey>,
    /// The scopes it may ask for (always including `openid`).
    pub scopes: Scopes,
    /// The sector its pairwise `sub` is computed for (OIDC Core §8.1).
    pub sector: String,
    /// Whether its authorization requests must be pushed (RFC 9126 §6).
    pub require_par: bool,
    /// The ID token signing algorithm.
    pub id_token_alg: IdTokenAlg,
}

impl Client {
    /// Whether `redirect_uri` is one of the registered ones, byte for byte
    /// (no case folding, no prefix match, no normalisation).
    pub fn has_redirect_uri(&self, redirect_uri: &str) -> bool {
        self.redirect_uris.iter().any(|r| r == redirect_uri)
    }
}

/// All registered clients.
#[derive(Debug, Clone, Default)]
pub struct ClientRegistry {
    clients: HashMap<String, Client>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    client: Vec<RawClient>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClient {
    client_id: String,
    name: String,
    redirect_uris: Vec<String>,
    #[serde(default)]
    scopes: Vec<String>,
    jwks: Option<toml::Value>,
    jwks_file: Option<PathBuf>,
    sector: Option<String>,
    #[serde(default)]
    require_par: bool,
    id_token_signed_response_alg: Option<String>,
}

/// `client_id` syntax as the Digital Agency documents it: `[0-9a-zA-Z]{1,255}`.
pub fn is_valid_client_id(s: &str) -> bool {
    (1..=255).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl ClientRegistry {
    /// Reads and checks the registry at `path`; a `jwks_file` is relative to
    /// the registry's directory.
    pub fn load(path: &Path) -> Result<ClientRegistry, ClientsError> {
        let text = std::fs::read_to_string(path).map_err(|source| ClientsError::Io {
            path: path.to_owned(),
            source,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        ClientRegistry::from_toml(&text, base)
    }

    /// Parses and checks a registry; `base` resolves relative `jwks_file`s.
    pub fn from_toml(text: &str, base: &Path) -> Result<ClientRegistry, ClientsError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| ClientsError::Toml(e.to_string()))?;
        let mut clients = HashMap::new();
        for rc in raw.client {
            let client = check_client(rc, base)?;
            if clients.contains_key(&client.client_id) {
                return Err(ClientsError::Duplicate(client.client_id));
            }
            clients.insert(client.client_id.clone(), client);
        }
        Ok(ClientRegistry { clients })
    }

    /// The client registered as `client_id`.
    pub fn get(&self, client_id: &str) -> Option<&Client> {
        self.clients.get(client_id)
    }

    /// The number of clients.
    pub fn len(&self) -> usize {
        self.clients.len()
    }

    /// Whether no client is registered.
    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }
}

fn check_client(rc: RawClient, base: &Path) -> Result<Client, ClientsError> {
    let id = rc.client_id.clone();
    let field = |field: &'static str, expected: &str, found: String| ClientsError::Field {
        client: id.clone(),
        field,
        expected: expected.into(),
        found,
    };
    if !is_valid_client_id(&rc.client_id) {
        return Err(field(
            "client_id",
            "1-255 characters of [0-9a-zA-Z]",
            format!("{:?}", rc.client_id),
        ));
    }
    if rc.name.trim().is_empty() || rc.name.len() > 200 || rc.name.chars().any(char::is_control) {
        return Err(field(
            "name",
            "a display name of 1-200 characters without control characters",
            format!("{:?}", rc.name),
        ));
    }
    if rc.redirect_uris.is_empty() {
        return Err(field(
            "redirect_uris",
            "at least one redirect URI",
            "none".into(),
        ));
    }
    let mut hosts = HashSet::new();
    for r in &rc.redirect_uris {
        // RFC 6749 §3.1.2: absolute, no fragment.
        match uri::parse_http(r) {
            Some(u) if !u.has_fragment && r.len() <= 2000 => {
                hosts.insert(u.host.to_owned());
            }
            _ => {
                return Err(field(
                    "redirect_uris",
                    "absolute http(s) URIs without a fragment or userinfo (RFC 6749 §3.1.2), at most 2000 characters",
                    format!("{r:?}"),
                ))
            }
        }
    }
    let mut scopes = Scopes::default();
    scopes.insert(Scope::OpenId);
    for s in &rc.scopes {
        let scope = Scope::from_name(s).ok_or_else(|| {
            field(
                "scopes",
                "scopes among openid name address birthdate gender sign",
                format!("{s:?}"),
            )
        })?;
        scopes.insert(scope);
    }
    let sector = match rc.sector {
        Some(s)
            if !s.is_empty() && s.len() <= 255 && s.bytes().all(|b| (0x21..=0x7e).contains(&b)) =>
        {
            s
        }
        Some(s) => {
            return Err(field(
                "sector",
                "1-255 printable ASCII characters without spaces",
                format!("{s:?}"),
            ))
        }
        // OIDC Core §8.1: without a sector identifier, the redirect URIs'
        // host is the sector — and there must be only one.
        None if hosts.len() == 1 => hosts.into_iter().next().unwrap_or_default(),
        None => {
            let mut hs: Vec<_> = hosts.into_iter().collect();
            hs.sort();
            return Err(field(
                "sector",
                "a sector when the redirect URIs have several hosts (OIDC Core §8.1)",
                format!("none, and hosts {hs:?}"),
            ));
        }
    };
    let id_token_alg = match rc.id_token_signed_response_alg.as_deref() {
        None | Some("ES256") => IdTokenAlg::Es256,
        Some("RS256") => IdTokenAlg::Rs256,
        Some(other) => {
            return Err(field(
                "id_token_signed_response_alg",
                "ES256 or RS256",
                format!("{other:?}"),
            ))
        }
    };
    let set: JwkSet = match (rc.jwks, rc.jwks_file) {
        (Some(v), None) => serde_json::to_value(&v)
            .and_then(serde_json::from_value)
            .map_err(|e| {
                field(
                    "jwks",
                    "a JWK Set (RFC 7517 §5) as a TOML table",
                    e.to_string(),
                )
            })?,
        (None, Some(f)) => {
            let path = base.join(f);
            let text = std::fs::read_to_string(&path).map_err(|source| ClientsError::Io {
                path: path.clone(),
                source,
            })?;
            serde_json::from_str(&text).map_err(|e| {
                field(
                    "jwks_file",
                    "a JWK Set (RFC 7517 §5) in JSON",
                    format!("{}: {e}", path.display()),
                )
            })?
        }
        (Some(_), Some(_)) => return Err(field("jwks", "either jwks or jwks_file", "both".into())),
        (None, None) => {
            return Err(field(
                "jwks",
                "the client's public keys (jwks or jwks_file)",
                "neither".into(),
            ))
        }
    };
    let (keys, encryption_key) =
        check_keys(&set).map_err(|(expected, found)| field("jwks", &expected, found))?;
    Ok(Client {
        client_id: rc.client_id,
        name: rc.name,
        redirect_uris: rc.redirect_uris,
        keys,
        encryption_key,
        scopes,
        sector,
        require_par: rc.require_par,
        id_token_alg,
    })
}

/// Checks a client's JWK Set: `kid`s unique; at least one signature key,
/// each RSA (≥ 2048 bits) or EC P-256 (RFC 7517 §4.2 `use`, when present,
/// is `sig`), since every client authenticates with private_key_jwt; and
/// at most one encryption key (`use` `enc`), RSA for RSA-OAEP-256 — one,
/// so that which key a result is encrypted to is never a choice. A
/// symmetric (`oct`) key is refused: private_key_jwt is an asymmetric
/// method (OIDC Core §9).
fn check_keys(set: &JwkSet) -> Result<(Vec<ClientKey>, Option<EncryptionKey>), (String, String)> {
    if set.keys.is_empty() {
        return Err(("at least one key".into(), "an empty key set".into()));
    }
    let mut kids = HashSet::new();
    let mut out = Vec::new();
    let mut encryption: Option<(String, EncryptionKey)> = None;
    for (i, jwk) in set.keys.iter().enumerate() {
        let kid = jwk.common.key_id.clone();
        let name = kid.clone().unwrap_or_else(|| format!("#{i}"));
        if let Some(k) = &kid {
            if !kids.insert(k.clone()) {
                return Err(("unique kids".into(), format!("kid {k:?} twice")));
            }
        }
        match &jwk.common.public_key_use {
            None | Some(PublicKeyUse::Signature) => {}
            Some(PublicKeyUse::Encryption) => {
                let key = EncryptionKey::from_jwk(jwk).map_err(|e| {
                    (
                        format!("an encryption key (use \"enc\") for {}", jwe::ALG),
                        format!("key {name}: {e}"),
                    )
                })?;
                if let Some((first, _)) = &encryption {
                    return Err((
                        "at most one encryption key (use \"enc\")".into(),
                        format!("keys {first} and {name}"),
                    ));
                }
                encryption = Some((name, key));
                continue;
            }
            Some(PublicKeyUse::Other(other)) => {
                return Err((
                    "keys for signatures (use \"sig\") or one for encryption (use \"enc\")".into(),
                    format!("key {name} with use {other:?}"),
                ))
            }
        }
        let kind = key_kind(jwk).map_err(|found| {
            (
                "RSA (2048 bits or more) or EC P-256 public keys".to_string(),
                format!("key {name}: {found}"),
            )
        })?;
        let alg = match jwk.common.key_algorithm {
            None => None,
            Some(a) => match Algorithm::try_from(a) {
                Ok(alg) if kind.fits(alg) => Some(alg),
                // An encryption key that forgot its `use` would otherwise
                // be refused as a signature key with a puzzling message.
                _ if a == KeyAlgorithm::RSA_OAEP_256 => {
                    return Err((
                        "an encryption key to say use \"enc\" (RFC 7517 §4.2)".into(),
                        format!("key {name} with alg RSA-OAEP-256 and no use"),
                    ))
                }
                _ => {
                    return Err((
                        format!("an alg that fits a {kind:?} key"),
                        format!("key {name} with alg {a:?}"),
                    ))
                }
            },
        };
        let decoding = DecodingKey::from_jwk(jwk)
            .map_err(|e| ("usable public keys".to_string(), format!("key {name}: {e}")))?;
        out.push(ClientKey {
            kid,
            kind,
            alg,
            decoding,
        });
    }
    if out.is_empty() {
        return Err((
            "at least one signature key, for private_key_jwt (OIDC Core §9)".into(),
            "only an encryption key".into(),
        ));
    }
    Ok((out, encryption.map(|(_, key)| key)))
}

fn key_kind(jwk: &Jwk) -> Result<KeyKind, String> {
    match &jwk.algorithm {
        AlgorithmParameters::RSA(p) => {
            let bits = crate::keys::rsa_modulus_bits(&p.n)?;
            if bits < 2048 {
                return Err(format!("an RSA key of about {bits} bits"));
            }
            Ok(KeyKind::Rsa)
        }
        AlgorithmParameters::EllipticCurve(p) if p.curve == EllipticCurve::P256 => {
            Ok(KeyKind::EcP256)
        }
        AlgorithmParameters::EllipticCurve(p) => Err(format!("an EC key on {:?}", p.curve)),
        AlgorithmParameters::OctetKey(_) => Err("a symmetric (oct) key".into()),
        AlgorithmParameters::OctetKeyPair(_) => Err("an OKP key".into()),
        _ => Err("an unknown key type".into()),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::testkeys;

    pub(crate) fn registry_toml(jwks_json: &str) -> String {
        format!(
            r#"
[[client]]
client_id = "demo"
name = "Demo RP"
redirect_uris = ["https://rp.example/cb", "https://rp.example/cb2?x=1"]
scopes = ["openid", "name", "birthdate"]
jwks = {jwks}
"#,
            jwks = json_to_toml_inline(jwks_json)
        )
    }

    /// A JWKS JSON object as an inline TOML table (the shapes coincide for
    /// strings, arrays and tables).
    pub(crate) fn json_to_toml_inline(json: &str) -> String {
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        fn go(v: &serde_json::Value) -> String {
            match v {
                serde_json::Value::Object(m) => format!(
                    "{{ {} }}",
                    m.iter()
                        .map(|(k, v)| format!("{k:?} = {}", go(v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                serde_json::Value::Array(a) => {
                    format!("[{}]", a.iter().map(go).collect::<Vec<_>>().join(", "))
                }
                other => other.to_string(),
            }
        }
        go(&v)
    }

    pub(crate) fn demo_registry() -> ClientRegistry {
        let jwks = testkeys::jwks_json(&[testkeys::ec_jwk("ec1"), testkeys::rsa_jwk("rsa1")]);
        ClientRegistry::from_toml(&registry_toml(&jwks), Path::new(".")).unwrap()
    }

    #[test]
    fn loads_a_client_with_defaults() {
        let reg = demo_registry();
        let c = reg.get("demo").unwrap();
        assert_eq!(c.sector, "rp.example");
        assert_eq!(c.id_token_alg, IdTokenAlg::Es256);
        assert!(!c.require_par);
        assert_eq!(c.scopes.to_string(), "openid name birthdate");
        assert_eq!(c.keys.len(), 2);
        assert!(c.has_redirect_uri("https://rp.example/cb"));
        assert!(!c.has_redirect_uri("https://rp.example/cb/"));
        assert!(!c.has_redirect_uri("https://RP.example/cb"));
        assert!(reg.get("Demo").is_none());
    }

    #[test]
    fn jwks_file_is_relative_to_the_registry() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("k.json"),
            testkeys::jwks_json(&[testkeys::ec_jwk("a")]),
        )
        .unwrap();
        let toml = "[[client]]\nclient_id = \"x1\"\nname = \"X\"\nredirect_uris = [\"http://127.0.0.1:9/cb\"]\njwks_file = \"k.json\"\n";
        std::fs::write(dir.path().join("clients.toml"), toml).unwrap();
        let reg = ClientRegistry::load(&dir.path().join("clients.toml")).unwrap();
        assert_eq!(reg.get("x1").unwrap().sector, "127.0.0.1");
    }

    fn refused(toml: &str) -> String {
        let e = ClientRegistry::from_toml(toml, Path::new(".")).unwrap_err();
        e.to_string()
    }

    fn one(extra: &str, id: &str, redirect: &str) -> String {
        let jwks = json_to_toml_inline(&testkeys::jwks_json(&[testkeys::ec_jwk("a")]));
        format!("[[client]]\nclient_id = {id:?}\nname = \"X\"\nredirect_uris = [{redirect:?}]\njwks = {jwks}\n{extra}")
    }

    #[test]
    fn refusals_name_client_and_field() {
        let e = refused(&one("", "bad-id", "https://a/cb"));
        assert!(e.contains("\"bad-id\"") && e.contains("`client_id`"), "{e}");
        let e = refused(&one("", "ok", "https://a/cb#frag"));
        assert!(e.contains("`redirect_uris`"), "{e}");
        let e = refused(&one("", "ok", "/relative"));
        assert!(e.contains("`redirect_uris`"), "{e}");
        let e = refused(&one(
            "scopes = [\"openid\", \"profile\"]",
            "ok",
            "https://a/cb",
        ));
        assert!(e.contains("`scopes`") && e.contains("profile"), "{e}");
        let e = refused(&one(
            "id_token_signed_response_alg = \"HS256\"",
            "ok",
            "https://a/cb",
        ));
        assert!(e.contains("`id_token_signed_response_alg`"), "{e}");
        let e = refused(&one("unknown = 1", "ok", "https://a/cb"));
        assert!(e.contains("unknown"), "{e}");
    }

    #[test]
    fn several_hosts_need_a_sector() {
        let jwks = json_to_toml_inline(&testkeys::jwks_json(&[testkeys::ec_jwk("a")]));
        let t = format!("[[client]]\nclient_id = \"c\"\nname = \"X\"\nredirect_uris = [\"https://a/cb\", \"https://b/cb\"]\njwks = {jwks}\n");
        assert!(refused(&t).contains("`sector`"));
        let ok = format!("{t}sector = \"example\"\n");
        assert_eq!(
            ClientRegistry::from_toml(&ok, Path::new("."))
                .unwrap()
                .get("c")
                .unwrap()
                .sector,
            "example"
        );
    }

    #[test]
    fn duplicate_client_refused() {
        let t = one("", "c", "https://a/cb");
        assert!(refused(&format!("{t}\n{t}")).contains("twice"));
    }

    #[test]
    fn symmetric_small_and_foreign_keys_refused() {
        let jwks = |k: &str| {
            format!("[[client]]\nclient_id = \"c\"\nname = \"X\"\nredirect_uris = [\"https://a/cb\"]\njwks = {{ keys = [{k}] }}\n")
        };
        let e = refused(&jwks(r#"{ kty = "oct", k = "c2VjcmV0" }"#));
        assert!(e.contains("`jwks`") && e.contains("symmetric"), "{e}");
        let e = refused(&jwks(r#"{ kty = "RSA", n = "AQAB", e = "AQAB" }"#));
        assert!(e.contains("bits"), "{e}");
        let e = refused("[[client]]\nclient_id = \"c\"\nname = \"X\"\nredirect_uris = [\"https://a/cb\"]\njwks = { keys = [] }\n");
        assert!(e.contains("at least one key"), "{e}");
        let e = refused(
            "[[client]]\nclient_id = \"c\"\nname = \"X\"\nredirect_uris = [\"https://a/cb\"]\n",
        );
        assert!(e.contains("neither"), "{e}");
    }

    /// The JWK of the RSA test key `rsa-<kid>` as an encryption key.
    fn enc_jwk(kid: &str) -> String {
        with_members(
            &testkeys::rsa_jwk(kid),
            r#"{"use": "enc", "alg": "RSA-OAEP-256"}"#,
        )
    }

    /// `jwk` with the members of `patch` added or replaced.
    fn with_members(jwk: &str, patch: &str) -> String {
        let mut v: serde_json::Value = serde_json::from_str(jwk).unwrap();
        let patch: serde_json::Value = serde_json::from_str(patch).unwrap();
        v.as_object_mut()
            .unwrap()
            .extend(patch.as_object().unwrap().clone());
        v.to_string()
    }

    fn with_keys(keys: &[String]) -> Result<ClientRegistry, String> {
        ClientRegistry::from_toml(&registry_toml(&testkeys::jwks_json(keys)), Path::new("."))
            .map_err(|e| e.to_string())
    }

    #[test]
    fn one_rsa_encryption_key_beside_the_signature_keys() {
        let reg = with_keys(&[testkeys::ec_jwk("ec1"), enc_jwk("enc1")]).unwrap();
        let c = reg.get("demo").unwrap();
        assert_eq!(c.keys.len(), 1, "the encryption key signs nothing");
        assert_eq!(c.keys[0].kind, KeyKind::EcP256);
        let enc = c.encryption_key.as_ref().unwrap();
        assert_eq!(enc.kid.as_deref(), Some("enc1"));
        assert_eq!(enc.bits(), 2048);
        // `alg` may be left out.
        let no_alg = with_members(&testkeys::rsa_jwk("enc1"), r#"{"use": "enc"}"#);
        let reg = with_keys(&[testkeys::ec_jwk("ec1"), no_alg]).unwrap();
        assert!(reg.get("demo").unwrap().encryption_key.is_some());
        // Without one, none.
        assert!(demo_registry()
            .get("demo")
            .unwrap()
            .encryption_key
            .is_none());
    }

    #[test]
    fn encryption_keys_refused() {
        let sig = testkeys::ec_jwk("ec1");
        let refused = |enc: String| {
            let e = with_keys(&[sig.clone(), enc]).unwrap_err();
            assert!(e.contains("`jwks`"), "{e}");
            e
        };
        let e = refused(with_members(&enc_jwk("enc1"), r#"{"use": "wrap"}"#));
        assert!(e.contains("key enc1 with use \"wrap\""), "{e}");
        let e = refused(with_members(&enc_jwk("enc1"), r#"{"alg": "RSA-OAEP"}"#));
        assert!(e.contains("key enc1") && e.contains("\"RSA-OAEP\""), "{e}");
        // 1024 bits.
        let short = with_members(
            &enc_jwk("enc1"),
            &format!(r#"{{"n": "{}w"}}"#, "_".repeat(170)),
        );
        let e = refused(short);
        assert!(
            e.contains("key enc1") && e.contains("1024-bit modulus"),
            "{e}"
        );
        let e = refused(with_members(
            &testkeys::ec_jwk("ecenc"),
            r#"{"use": "enc"}"#,
        ));
        assert!(
            e.contains("key ecenc") && e.contains("found an EC key"),
            "{e}"
        );
        let e = with_keys(&[sig.clone(), enc_jwk("enc1"), enc_jwk("enc2")]).unwrap_err();
        assert!(
            e.contains("at most one encryption key") && e.contains("keys enc1 and enc2"),
            "{e}"
        );
        // An encryption key that forgot its `use` is named as such.
        let e = refused(with_members(
            &testkeys::rsa_jwk("enc1"),
            r#"{"alg": "RSA-OAEP-256"}"#,
        ));
        assert!(e.contains("use \"enc\"") && e.contains("key enc1"), "{e}");
        // private_key_jwt still needs a signature key.
        let e = with_keys(&[enc_jwk("enc1")]).unwrap_err();
        assert!(
            e.contains("at least one signature key") && e.contains("only an encryption key"),
            "{e}"
        );
    }
}
