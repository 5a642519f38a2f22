//! `GET /ocsp/{base64}`: turning what real clients put in the path back
//! into the DER OCSPRequest (RFC 6960 Appendix A.1: "url-encoding of
//! base-64 encoding of the DER encoding of the OCSPRequest").
//!
//! Clients differ, and a responder that is strict here fails some of them
//! at random (whenever their request happens to contain a `+` or `/`):
//! - `+`, `/`, `=` percent-escaped (`%2B`, `%2F`, `%3D`) or sent raw;
//! - `+` arriving as a space (`%20`, or a raw `+` a proxy turned into one):
//!   base64 has no spaces, so a space can only have been a `+`;
//! - `/` inside the base64, so the request spans several path segments;
//! - a double slash after `/ocsp/` (an AIA URL ending in `/` plus the
//!   client's own `/`): base64 of DER starts with `M` (0x30), never `/`,
//!   so leading slashes are separators;
//! - base64url (`-`, `_`) and missing `=` padding.
//!
//! The path is taken raw from the request line: nothing normalises it on
//! the way here (routes.rs matches paths itself).

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine;
use percent_encoding::percent_decode;

/// Standard alphabet, padding optional.
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// The request DER from the part of the path after `/ocsp/`; `None` for
/// anything that does not decode.
pub(crate) fn decode_path(rest: &str) -> Option<Vec<u8>> {
    let raw = rest.trim_start_matches('/');
    // A `%` not followed by two hex digits passes through undecoded, and
    // then fails the base64 decode: `%` is not in either alphabet. Decoded
    // into one buffer of the input's size in one pass: collecting the
    // decoder's iterator reallocates as it goes, which cost this path (a
    // cached OCSP GET) 6% more instructions per request.
    let mut b64 = Vec::with_capacity(raw.len());
    for b in percent_decode(raw.as_bytes()) {
        match b {
            b'\r' | b'\n' => {}
            b' ' | b'-' => b64.push(b'+'),
            b'_' => b64.push(b'/'),
            other => b64.push(other),
        }
    }
    if b64.is_empty() {
        return None;
    }
    LENIENT.decode(&b64).ok().filter(|der| !der.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

    /// Bytes whose base64 has `+`, `/` and padding.
    const DER: &[u8] = &[0x30, 0x0f, 0xbf, 0xff];

    #[test]
    fn every_spelling_real_clients_send_decodes_to_the_same_der() {
        let std = STANDARD.encode(DER);
        assert!(
            std.contains('+') && std.contains('/') && std.ends_with('='),
            "{std}"
        );
        let escaped = std
            .replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D");
        let spellings = [
            std.clone(),
            escaped.clone(),
            std.replace('+', " ").replace(' ', "%20"),
            std.replace('+', "%20"),
            format!("/{std}"),
            format!("//{escaped}"),
            std.trim_end_matches('=').to_string(),
            URL_SAFE_NO_PAD.encode(DER),
            format!("{std}%0A"),
        ];
        for s in &spellings {
            assert_eq!(decode_path(s).as_deref(), Some(DER), "{s}");
        }
        // Lower-case escapes are escapes too.
        assert_eq!(
            decode_path(&std.replace('+', "%2b").replace('=', "%3d")).as_deref(),
            Some(DER)
        );
    }

    #[test]
    fn garbage_does_not_decode() {
        for bad in ["", "/", "%", "%2", "%zz", "!!!!", "M", "M=", "%00%01"] {
            assert_eq!(decode_path(bad), None, "{bad:?}");
        }
    }
}
