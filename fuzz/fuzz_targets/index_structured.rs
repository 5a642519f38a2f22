//! A valid index built from fuzzer-chosen entries, then optionally patched
//! with both checksums fixed up, so that the fuzzer gets past the header
//! checksum that stops `index` (random bytes never pass it).
//!
//! Unpatched, the index must open, verify, hold as many entries as were
//! built, and answer the built serials (all but the inside of long runs,
//! see CHECK_STRIDE) with the first listing's time and reason, and no
//! other serial among the probes. Patched,
//! it must be refused or answered, never panic or read out of bounds.
//!
//! The checksums are recomputed here the way `engine/src/index` computes
//! them (xxh3-64 of the body at offset 24; xxh3-64 of the header with its
//! own field, bytes 32..40, zeroed, at offset 32): nothing in the engine's
//! public API had to change for it.
#![no_main]

use arbitrary::Arbitrary;
use kakunin_engine::internals;
use kakunin_engine::crl::CrlScope;
use kakunin_engine::index::{IndexBuilder, IndexInfo, SerialIndex};
use kakunin_engine::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};
use rustc_hash::FxHashMap;

const HEADER_LEN: usize = 512;
/// Bounds the work per input (a run can expand to many serials); above
/// 4,096 in one 2^16 chunk so that bitmap containers are reached.
const MAX_ENTRIES: usize = 4_500;
/// Of a run, its first and last serials and every CHECK_STRIDE-th are
/// looked up after the build (every serial of the other entries is):
/// looking up all 4,500 of a long run cost about as much as building
/// them. Every container a run fills is still probed, at its ends too,
/// and the entry count covers the rest.
const CHECK_STRIDE: u64 = 8;

#[derive(Arbitrary, Debug)]
enum Serials {
    /// One serial, a 64-bit key.
    Key(u64),
    /// One serial near the previous one (keeps chunks dense).
    Next(u16),
    /// `len` serials from `start`, `step` apart: bitmap and run containers.
    Run { start: u64, len: u16, step: u8 },
    /// Any DER INTEGER content: negative and ≥ 2^64 serials.
    Der(Vec<u8>),
}

#[derive(Arbitrary, Debug)]
struct Entry {
    serials: Serials,
    /// Seconds from thisUpdate; `wide` scales it to reach far times.
    offset: i32,
    wide: bool,
    reason: u8,
}

#[derive(Arbitrary, Debug)]
struct Patch {
    at: u32,
    xor: u8,
    /// Patch inside the header (where the structure is described).
    header: bool,
}

#[derive(Arbitrary, Debug)]
struct Input {
    entries: Vec<Entry>,
    this_update: u32,
    crl_number: Option<u64>,
    partitioned: bool,
    patches: Vec<Patch>,
    /// Leave the checksums as the patch left them (to reach the refusals).
    keep_checksums: bool,
    probes: Vec<u64>,
    long_probes: Vec<Vec<u8>>,
}

fn fix_checksums(b: &mut [u8]) {
    let body = xxhash_rust::xxh3::xxh3_64(&b[HEADER_LEN..]);
    b[24..32].copy_from_slice(&body.to_le_bytes());
    let mut h = [0u8; HEADER_LEN];
    h.copy_from_slice(&b[..HEADER_LEN]);
    h[32..40].fill(0);
    let header = xxhash_rust::xxh3::xxh3_64(&h);
    b[32..40].copy_from_slice(&header.to_le_bytes());
}

libfuzzer_sys::fuzz_target!(|input: Input| {
    let this_update = 1_600_000_000 + input.this_update as i64;
    let mut builder = IndexBuilder::new();
    // First listing wins (the builder drops later duplicates).
    // A HashMap, not a BTreeMap: every comparison of two serials is a
    // memcmp that libFuzzer intercepts, and a tree walk makes a dozen.
    // FxHash, not SipHash, and room for every entry up front: with
    // coverage instrumentation on each of SipHash's rounds, hashing and
    // rehashing took half of each input.
    let mut expected: FxHashMap<Serial, (i64, Option<RevocationReason>)> =
        FxHashMap::with_capacity_and_hasher(MAX_ENTRIES, Default::default());
    // The serials looked up afterwards (see CHECK_STRIDE), in push order.
    let mut checked: Vec<Serial> = Vec::new();
    let mut last = 0u64;
    let mut pushed = 0usize;
    'outer: for e in &input.entries {
        let t = this_update
            + if e.wide {
                e.offset as i64 * 4096
            } else {
                e.offset as i64
            };
        let reason = RevocationReason::from_code(e.reason);
        let mut push = |s: Serial, check: bool| {
            builder.push(&s, Timestamp::from_unix(t), reason);
            if check {
                checked.push(s);
            }
            expected.entry(s).or_insert((t, reason));
        };
        match &e.serials {
            Serials::Key(k) => {
                last = *k;
                push(Serial::from_u64(*k), true);
                pushed += 1;
            }
            Serials::Next(d) => {
                last = last.wrapping_add(*d as u64);
                push(Serial::from_u64(last), true);
                pushed += 1;
            }
            Serials::Run { start, len, step } => {
                let step = (*step as u64).max(1);
                for i in 0..*len as u64 {
                    if pushed >= MAX_ENTRIES {
                        break 'outer;
                    }
                    last = start.wrapping_add(i * step);
                    let ends = i == 0 || i + 1 == *len as u64 || pushed + 1 == MAX_ENTRIES;
                    push(Serial::from_u64(last), ends || i % CHECK_STRIDE == 0);
                    pushed += 1;
                }
            }
            Serials::Der(content) => {
                if let Ok(s) = Serial::from_der_content(content) {
                    push(s, true);
                    pushed += 1;
                }
            }
        }
        if pushed >= MAX_ENTRIES {
            break;
        }
    }
    let info = IndexInfo {
        issuer_key_id: IssuerKeyId::from_bytes(&[9; 20]).expect("a 20-byte key id"),
        issuer_spki_sha256: [7; 32],
        crl_digest: [3; 16],
        crl_number: input.crl_number.map(CrlNumber::from_u64),
        delta_base: None,
        this_update: Timestamp::from_unix(this_update),
        next_update: Timestamp::from_unix(this_update + 86_400),
        scope: CrlScope {
            partitioned: input.partitioned,
            ..CrlScope::default()
        },
        // A fullName with one URI.
        idp_distribution_point: input
            .partitioned
            .then(|| b"\xa0\x0a\x86\x08http://x".to_vec()),
    };
    let Ok((mut bytes, stats)) = builder.finish_to_vec(&info) else {
        return;
    };

    if input.patches.is_empty() {
        let idx = SerialIndex::from_bytes(&bytes[..]).expect("a built index opens");
        idx.verify().expect("a built index verifies");
        assert_eq!(stats.entries, expected.len() as u64);
        assert_eq!(idx.meta().entries, expected.len() as u64);
        for s in &checked {
            let (t, reason) = &expected[s];
            let r = idx
                .lookup(s)
                .unwrap_or_else(|| panic!("{s} was built but is not found"));
            assert_eq!(r.revoked_at, Timestamp::from_unix(*t), "time of {s}");
            assert_eq!(r.reason, *reason, "reason of {s}");
            if let Some(k) = s.key() {
                assert!(idx.contains_key(k));
            }
        }
        for &k in &input.probes {
            let s = Serial::from_u64(k);
            assert_eq!(
                idx.lookup(&s).is_some(),
                expected.contains_key(&s),
                "probe {s}"
            );
            assert_eq!(
                idx.contains_key(k),
                expected.contains_key(&s),
                "probe key {k}"
            );
        }
        for c in &input.long_probes {
            if let Ok(s) = Serial::from_der_content(c) {
                assert_eq!(
                    idx.lookup(&s).is_some(),
                    expected.contains_key(&s),
                    "probe {s}"
                );
            }
        }
        return;
    }

    let len = bytes.len();
    for p in &input.patches {
        let at = if p.header {
            p.at as usize % HEADER_LEN
        } else {
            p.at as usize % len
        };
        bytes[at] ^= p.xor;
    }
    if !input.keep_checksums {
        fix_checksums(&mut bytes);
    }
    let Ok(idx) = SerialIndex::from_bytes(&bytes[..]) else {
        return;
    };
    let _ = idx.verify();
    let _ = idx.meta();
    for s in &checked {
        let _ = idx.lookup(s);
    }
    for &k in &input.probes {
        let _ = internals::lookup_key(&idx, k);
        let _ = idx.contains_key(k);
    }
    for c in &input.long_probes {
        if let Ok(s) = Serial::from_der_content(c) {
            let _ = idx.lookup(&s);
        }
    }
});
