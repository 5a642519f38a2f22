//! CRL parsing and entry walking must never panic, whatever the bytes.
//! Run: `cargo +nightly fuzz run crl` (from this directory).
#![no_main]

use kakunin_engine::crl::{der_from_pem_or_der, Crl};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(der) = der_from_pem_or_der(data) {
        if let Ok(crl) = Crl::parse(&der) {
            for e in crl.entries() {
                if e.is_err() {
                    break;
                }
            }
        }
    }
});
