//! The APDU codec: command decoding (the virtual card's side) and
//! response parsing never panic; a decoded command encodes, the encoding
//! decodes to the same command, and it is never longer than the input (it
//! is the canonical, shortest form, so equal to the input when the input
//! was canonical).
#![no_main]

use kakunin_card::apdu::{Command, Response, StatusWord};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(c) = Command::decode(data) {
        let _ = format!("{c:?}");
        let bytes = c.encode().expect("a decoded command encodes");
        assert!(
            bytes.len() <= data.len(),
            "{c:?} encodes longer than it came"
        );
        assert_eq!(Command::decode(&bytes).as_ref(), Ok(&c));
        // The form decides the length: an input as long as the encoding
        // is the encoding.
        if bytes.len() == data.len() {
            assert_eq!(bytes, data);
        }
    }
    if let Ok(r) = Response::parse(data) {
        let _ = format!("{r:?} {}", r.sw);
        assert_eq!(r.encode(), data);
        let sw = StatusWord::from_bytes(data[data.len() - 2], data[data.len() - 1]);
        assert_eq!(sw, r.sw);
        assert_eq!(
            StatusWord::from_bytes(sw.to_bytes()[0], sw.to_bytes()[1]),
            sw
        );
        let _ = sw.is_locked();
    }
});
