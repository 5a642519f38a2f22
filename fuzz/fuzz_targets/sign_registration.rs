//! The signing API's registration body (`POST /v1/sign-transactions`,
//! docs/signing.md), through `kakunin_server::fuzzing`: whatever the
//! bytes, an accepted registration holds 1 to 16 documents, each with a
//! label a person can read (1–200 characters, no control or bidirectional
//! override) and a DigestInfo the engine parses back to the same bytes
//! over SHA-256, SHA-384 or SHA-512 (never SHA-1, never anything else the
//! card would be made to sign).
#![no_main]

use kakunin_engine::docsig::DigestInfo;
use kakunin_server::fuzzing::sign_registration;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((docs, _facts)) = sign_registration(data) else {
        return;
    };
    assert!((1..=16).contains(&docs.len()), "{} documents", docs.len());
    for (label, der) in docs {
        let chars = label.chars().count();
        assert!((1..=200).contains(&chars), "label of {chars} characters");
        assert!(!label.chars().any(char::is_control), "{label:?}");
        assert!(!label.contains('\u{202E}'), "{label:?}");
        let di = DigestInfo::parse(&der).expect("a DigestInfo the engine reads");
        assert_eq!(di.as_der(), &der[..]);
        assert_eq!(di.digest().len(), di.algorithm().digest_len());
    }
});
