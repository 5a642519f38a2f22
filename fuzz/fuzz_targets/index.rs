//! Opening and querying an index must never panic, whatever the bytes.
//! Run: `cargo +nightly fuzz run index` (from this directory).
#![no_main]

use kakunin_engine::internals;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::Serial;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(idx) = SerialIndex::from_bytes(data) {
        let _ = idx.verify();
        for k in [0u64, 1, 0x0123_0000_0000, u64::MAX] {
            let _ = internals::lookup_key(&idx, k);
        }
        if let Ok(s) = Serial::from_hex("-1234") {
            let _ = idx.lookup(&s);
        }
    }
});
