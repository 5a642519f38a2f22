//! `private_key_jwt` client authentication,
//! `kakunin_oidc::assertion::authenticate`, against the fixed registry of
//! `kakunin_fuzz::oidc`, a fresh `MemoryStore` per input and a fixed now
//! (`kakunin_fuzz::oidc::NOW`).
//!
//! The first byte chooses: bits 0-1 the request's `client_id` (none,
//! `demo`, `par`, an unknown one); bit 2 a wrong `client_assertion_type`;
//! bit 3 what the rest is: clear, the assertion itself (read as UTF-8,
//! lossily); set, a JSON claims set that the harness signs with a
//! registered key (bits 4-5: ES256 with the EC key, RS256 or PS256 with
//! the RSA key; bit 6: no `kid`), so that fuzzed claims get past the
//! signature, as a registered client's own would.
//!
//! Never panics, and an accepted assertion is the client's own (the
//! `client_id` sent, if any), its `exp` within the window, its `jti` 1-255
//! bytes, and the same assertion again is refused as a replay (RFC 7523
//! §3 item 7).
#![no_main]

use jsonwebtoken::{Algorithm, Header};
use kakunin_fuzz::oidc::{fixture, Fixture, ISSUER, NOW, TOKEN_ENDPOINT};
use kakunin_oidc::assertion::{
    authenticate, AssertionError, Audience, JWT_BEARER, LEEWAY_SECS, MAX_LIFETIME_SECS,
};
use kakunin_oidc::state::MemoryStore;
use serde_json::Value;

fn sign(f: &Fixture, mode: u8, claims: &Value) -> String {
    let (alg, key, kid) = match (mode >> 4) & 3 {
        0 | 1 => (Algorithm::ES256, &f.ec, &f.ec_kid),
        2 => (Algorithm::RS256, &f.rsa, &f.rsa_kid),
        _ => (Algorithm::PS256, &f.rsa, &f.rsa_kid),
    };
    let mut header = Header::new(alg);
    if mode & 0x40 == 0 {
        header.kid = Some(kid.clone());
    }
    jsonwebtoken::encode(&header, claims, key).unwrap_or_default()
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let f = fixture();
    let client_id = match mode & 3 {
        0 => None,
        1 => Some("demo"),
        2 => Some("par"),
        _ => Some("nobody"),
    };
    let assertion_type = if mode & 4 == 0 {
        JWT_BEARER
    } else {
        "urn:ietf:params:oauth:client-assertion-type:saml2-bearer"
    };
    let text = String::from_utf8_lossy(rest);
    let assertion = if mode & 8 == 0 {
        text.into_owned()
    } else {
        match serde_json::from_str::<Value>(&text) {
            Ok(claims @ Value::Object(_)) => sign(f, mode, &claims),
            _ => return,
        }
    };
    let audience = Audience {
        issuer: ISSUER,
        endpoint: TOKEN_ENDPOINT,
    };
    let store = MemoryStore::new(64);
    // The memory store answers at once: one poll runs the check.
    let run = || {
        kakunin_testkit::ready(authenticate(
            &f.registry,
            client_id,
            assertion_type,
            &assertion,
            audience,
            NOW,
            &store,
        ))
    };
    match run() {
        Ok((client, verified)) => {
            assert_eq!(client.client_id, verified.client_id);
            if let Some(id) = client_id {
                assert_eq!(id, verified.client_id);
            }
            assert!(
                verified.exp + LEEWAY_SECS > NOW
                    && verified.exp <= NOW + MAX_LIFETIME_SECS + LEEWAY_SECS,
                "{verified:?}"
            );
            assert!((1..=255).contains(&verified.jti.len()), "{verified:?}");
            let again = run();
            assert!(
                matches!(again, Err(AssertionError::Replayed { .. })),
                "a second use was not refused as a replay: {again:?}"
            );
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
});
