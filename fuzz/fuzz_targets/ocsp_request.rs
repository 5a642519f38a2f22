//! The server's OCSP request decoding (`POST /ocsp` body) and the
//! `GET /ocsp/{base64}` path decoder, through
//! `kakunin_server::fuzzing` (they are private to the server).
//!
//! First byte even: the rest is a DER OCSPRequest; it is also spelled as
//! real clients spell it in a GET path (percent-escaped standard base64,
//! raw, base64url without padding, after a double slash), and every
//! spelling must decode back to the same bytes (when it starts as DER
//! does, with a SEQUENCE tag). Odd: the rest is a path.
#![no_main]

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine;
use kakunin_server::fuzzing::{ocsp_get_path, ocsp_request};

fn escape(b64: &str) -> String {
    b64.replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Some((serials, _nonce)) = ocsp_request(rest) {
            assert!(!serials.is_empty() && serials.len() <= 256);
        }
        // A DER OCSPRequest is a SEQUENCE: its base64 starts with `M`,
        // never `/`, which is why the decoder may take leading slashes for
        // separators. Other bytes need not survive the trip.
        if rest.first() != Some(&0x30) {
            return;
        }
        let std = STANDARD.encode(rest);
        let spellings = [
            escape(&std),
            std.clone(),
            format!("/{}", escape(&std)),
            URL_SAFE_NO_PAD.encode(rest),
            std.replace('+', "%20"),
        ];
        for s in &spellings {
            assert_eq!(
                ocsp_get_path(s).as_deref(),
                Some(rest),
                "GET spelling {s:?}"
            );
        }
    } else if let Ok(path) = std::str::from_utf8(rest) {
        if let Some(der) = ocsp_get_path(path) {
            assert!(!der.is_empty());
            let _ = ocsp_request(&der);
        }
    }
});
