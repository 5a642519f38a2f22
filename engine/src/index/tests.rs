//! Whole-index tests: lookups equal a `BTreeMap` of the same entries, and
//! damaged files are refused.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;

fn info() -> IndexInfo {
    IndexInfo {
        issuer_key_id: IssuerKeyId::from_bytes(&[7; 20]).unwrap(),
        issuer_spki_sha256: [1; 32],
        crl_digest: [2; 16],
        crl_number: Some(CrlNumber::from_u64(42)),
        delta_base: None,
        this_update: Timestamp::from_unix(1_790_000_000),
        next_update: Timestamp::from_unix(1_790_086_400),
        scope: crate::crl::CrlScope::default(),
        idp_distribution_point: None,
    }
}

type Entry = (Serial, i64, Option<RevocationReason>);

fn build(entries: &[Entry]) -> (Vec<u8>, BuildStats) {
    let mut b = IndexBuilder::new();
    for (s, t, r) in entries {
        b.push(s, Timestamp::from_unix(*t), *r);
    }
    b.finish_to_vec(&info()).unwrap()
}

/// The oracle: first listing of each serial wins.
fn oracle(entries: &[Entry]) -> BTreeMap<Serial, (i64, Option<RevocationReason>)> {
    let mut m = BTreeMap::new();
    for (s, t, r) in entries {
        m.entry(*s).or_insert((*t, *r));
    }
    m
}

fn check(entries: &[Entry], probes: &[Serial]) {
    let (bytes, stats) = build(entries);
    let idx = SerialIndex::from_bytes(&bytes[..]).unwrap();
    idx.verify().unwrap();
    let want = oracle(entries);
    assert_eq!(stats.entries, want.len() as u64);
    assert_eq!(idx.meta().entries, want.len() as u64);
    assert_eq!(
        stats.duplicates,
        entries.len() as u64 - want.len() as u64,
        "duplicates"
    );
    for (s, (t, r)) in &want {
        let got = idx.lookup(s);
        assert_eq!(
            got,
            Some(Revocation {
                revoked_at: Timestamp::from_unix(*t),
                reason: *r
            }),
            "serial {s}"
        );
    }
    for p in probes {
        assert_eq!(idx.lookup(p).is_some(), want.contains_key(p), "probe {p}");
    }
}

fn serial_strategy() -> impl Strategy<Value = Serial> {
    prop_oneof![
        // Dense-ish: a few ranges.
        4 => (0u64..3, 0u64..300_000).prop_map(|(r, i)| Serial::from_u64((r << 40) + i)),
        // Random 64-bit.
        2 => any::<u64>().prop_map(Serial::from_u64),
        // Negative and long serials, up to 20 octets and beyond.
        1 => proptest::collection::vec(any::<u8>(), 1..=21)
            .prop_map(|c| Serial::from_der_content(&c).unwrap()),
    ]
}

fn entry_strategy() -> impl Strategy<Value = Entry> {
    (
        serial_strategy(),
        prop_oneof![Just(1_780_000_000i64), 1_600_000_000i64..1_790_000_000],
        prop_oneof![Just(None), (0u8..=10).prop_map(RevocationReason::from_code)],
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn lookups_equal_btreemap(entries in proptest::collection::vec(entry_strategy(), 0..3000),
                              probes in proptest::collection::vec(serial_strategy(), 0..300),
                              sorted in any::<bool>()) {
        let mut entries = entries;
        if sorted {
            entries.sort_by_key(|e| e.0.key());
        }
        check(&entries, &probes);
    }
}

#[test]
fn dense_sequential_is_compact() {
    let entries: Vec<Entry> = (0..200_000u64)
        .filter(|i| i % 1000 < 900)
        .map(|i| {
            (
                Serial::from_u64(0x0A00_0000_0000 + i),
                1_780_000_000,
                Some(RevocationReason::Superseded),
            )
        })
        .collect();
    let (bytes, stats) = build(&entries);
    assert_eq!(stats.sparse, 0);
    assert_eq!(stats.dense, entries.len() as u64);
    // Runs and one (time, reason) pair: far below a byte per entry.
    assert!(bytes.len() < entries.len() / 4, "{} bytes", bytes.len());
    check(&entries, &[Serial::from_u64(0x0A00_0000_0000 + 950)]);
}

#[test]
fn random_serials_go_to_the_sparse_table() {
    let entries: Vec<Entry> = (0..50_000u64)
        .map(|i| {
            (
                Serial::from_u64(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)),
                1_780_000_000,
                None,
            )
        })
        .collect();
    let (_, stats) = build(&entries);
    assert_eq!(stats.dense, 0);
    assert_eq!(stats.sparse, 50_000);
    check(&entries, &[Serial::from_u64(1)]);
}

#[test]
fn empty_index() {
    check(&[], &[Serial::from_u64(1), Serial::from_hex("-5").unwrap()]);
}

#[test]
fn truncated_and_corrupted_files_are_refused() {
    let entries: Vec<Entry> = (0..5_000u64)
        .map(|i| {
            (
                Serial::from_u64(i * 3),
                1_700_000_000 + i as i64,
                Some(RevocationReason::KeyCompromise),
            )
        })
        .chain([(Serial::from_hex("-1234").unwrap(), 1_700_000_000, None)])
        .collect();
    let (bytes, _) = build(&entries);
    assert!(SerialIndex::from_bytes(&bytes[..]).is_ok());
    for cut in [0, 7, 100, HEADER_LEN, bytes.len() / 2, bytes.len() - 1] {
        let err = SerialIndex::from_bytes(&bytes[..cut]).unwrap_err();
        assert!(
            matches!(
                err,
                IndexError::Truncated { .. } | IndexError::BadMagic { .. }
            ),
            "cut {cut}: {err}"
        );
    }
    // A flipped bit in the header: refused at open.
    let mut h = bytes.clone();
    h[60] ^= 1;
    assert!(matches!(
        SerialIndex::from_bytes(&h[..]).unwrap_err(),
        IndexError::Checksum { part: "header", .. }
    ));
    // A flipped bit anywhere in the body: refused by verify.
    for at in [HEADER_LEN + 3, bytes.len() / 2, bytes.len() - 9] {
        let mut b = bytes.clone();
        b[at] ^= 0x10;
        let r = SerialIndex::from_bytes(&b[..]).and_then(|i| i.verify());
        assert!(r.is_err(), "flip at {at} went unnoticed");
    }
    let mut v = bytes.clone();
    v[8] = 9;
    assert!(SerialIndex::from_bytes(&v[..]).is_err());
    assert!(matches!(
        SerialIndex::from_bytes(&b"not an index at all"[..]).unwrap_err(),
        IndexError::BadMagic { .. }
    ));
}

#[test]
fn atomic_write_and_mmap_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.idx");
    let mut b = IndexBuilder::new();
    b.push(
        &Serial::from_u64(5),
        Timestamp::from_unix(1_700_000_000),
        None,
    );
    b.write_to_path(&info(), &path).unwrap();
    let idx = SerialIndex::open_verified(&path).unwrap();
    assert!(idx.lookup(&Serial::from_u64(5)).is_some());
    assert_eq!(idx.meta().crl.crl_number, Some(CrlNumber::from_u64(42)));
    assert_eq!(idx.meta().crl.issuer_key_id, info().issuer_key_id);
    // Only the final file remains: no temporaries left behind.
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1);
}

/// A sink that takes no byte, as a full disk.
struct FullDisk;

impl std::io::Write for FullDisk {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from_raw_os_error(28)) // ENOSPC
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::io::Seek for FullDisk {
    fn seek(&mut self, _: std::io::SeekFrom) -> std::io::Result<u64> {
        Ok(0)
    }
}

#[test]
fn a_failed_write_names_the_file_being_written() {
    let mut b = IndexBuilder::new();
    b.push(
        &Serial::from_u64(5),
        Timestamp::from_unix(1_700_000_000),
        None,
    );
    let e = b.finish(&info(), &mut FullDisk).unwrap_err();
    let e = e.on_file(Path::new("/srv/.kakunin-index-x.tmp"));
    assert_eq!(e.to_string(), "index I/O on /srv/.kakunin-index-x.tmp");
    let IndexError::Io { source, .. } = e else {
        panic!("not an I/O error")
    };
    assert_eq!(source.raw_os_error(), Some(28));
    // Other errors are left as they are.
    let e = IndexError::Corrupt("x".into()).on_file(Path::new("/srv/a"));
    assert!(matches!(e, IndexError::Corrupt(_)));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1024))]
    /// A damaged index either fails to open or answers without panicking,
    /// even before `verify` (which a careless caller might skip).
    #[test]
    fn damaged_index_never_panics(flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
                                  cut in proptest::option::of(any::<prop::sample::Index>()),
                                  forge_header in any::<bool>()) {
        let entries: Vec<Entry> = (0..3000u64)
            .map(|i| (Serial::from_u64(if i % 3 == 0 { i.wrapping_mul(0x9E37_79B9_7F4A_7C15) } else { 0x0A00_0000 + i }),
                      1_700_000_000 + (i as i64 % 7) * 1000 + if i % 5 == 0 { i as i64 * 13 } else { 0 },
                      RevocationReason::from_code((i % 11) as u8)))
            .chain([(Serial::from_hex("-77").unwrap(), 1_700_000_000, None)])
            .collect();
        let (mut bytes, _) = build(&entries);
        for (at, x) in flips {
            let i = at.index(bytes.len());
            bytes[i] ^= x | 1;
        }
        if let Some(c) = cut {
            let n = c.index(bytes.len());
            bytes.truncate(n);
        }
        if forge_header && bytes.len() >= HEADER_LEN {
            // A deliberately crafted file: header checksum made to match,
            // file length too, so the structural checks are what stands.
            let len = bytes.len() as u64;
            bytes[16..24].copy_from_slice(&len.to_le_bytes());
            let c = header_checksum(&bytes);
            bytes[32..40].copy_from_slice(&c.to_le_bytes());
        }
        if let Ok(idx) = SerialIndex::from_bytes(&bytes[..]) {
            let _ = idx.verify();
            for (s, _, _) in entries.iter().step_by(7) {
                let _ = idx.lookup(s);
            }
            let _ = idx.lookup_key(u64::MAX);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Two part builders joined with `append` answer exactly like one
    /// builder fed the whole sorted list, wherever the split falls.
    #[test]
    fn parts_joined_equal_one_builder(entries in proptest::collection::vec(entry_strategy(), 1..3000),
                                      at in any::<prop::sample::Index>()) {
        let mut entries = entries;
        entries.sort_by_key(|e| e.0.key());
        let split = at.index(entries.len() + 1);
        let center = Timestamp::from_unix(1_790_000_000);
        let mut a = IndexBuilder::for_part(10, center, false);
        let mut b = IndexBuilder::for_part(10, center, true);
        for (s, t, r) in &entries[..split] {
            a.push(s, Timestamp::from_unix(*t), *r);
        }
        for (s, t, r) in &entries[split..] {
            b.push(s, Timestamp::from_unix(*t), *r);
        }
        let want = oracle(&entries);
        // A duplicate across the split is the one case `append` refuses
        // (ingest then walks the CRL whole).
        let straddles = split > 0 && split < entries.len()
            && entries[split - 1].0.key().is_some()
            && entries[split - 1].0.key() == entries[split].0.key();
        let ok = a.append(b);
        prop_assert_eq!(ok, !straddles);
        if ok {
            let (bytes, stats) = a.finish_to_vec(&info()).unwrap();
            prop_assert_eq!(stats.entries, want.len() as u64);
            let idx = SerialIndex::from_bytes(&bytes[..]).unwrap();
            idx.verify().unwrap();
            for (s, (t, r)) in &want {
                prop_assert_eq!(idx.lookup(s), Some(Revocation { revoked_at: Timestamp::from_unix(*t), reason: *r }));
            }
        }
    }
}

/// The distribution point name of a partitioned CRL survives the round
/// trip; an index written before the IDP_NAME section existed (zeros in
/// its table slot) still opens, with no name; a section that is not a
/// DistributionPointName is refused.
#[test]
fn distribution_point_name_section() {
    let entries = [(Serial::from_u64(5), 1_789_000_000, None)];
    let with = |dpn: Option<Vec<u8>>| {
        let mut b = IndexBuilder::new();
        for (s, t, r) in &entries {
            b.push(s, Timestamp::from_unix(*t), *r);
        }
        let mut i = info();
        i.scope.partitioned = dpn.is_some();
        i.idp_distribution_point = dpn;
        b.finish_to_vec(&i).unwrap().0
    };
    // fullName [0] { uniformResourceIdentifier [6] "a" }
    let dpn = vec![0xA0, 0x03, 0x86, 0x01, b'a'];
    let bytes = with(Some(dpn.clone()));
    let idx = SerialIndex::from_bytes(&bytes[..]).unwrap();
    idx.verify().unwrap();
    assert_eq!(idx.idp_distribution_point(), Some(&dpn[..]));

    let mut old = with(None);
    assert_eq!(
        SerialIndex::from_bytes(&old[..])
            .unwrap()
            .idp_distribution_point(),
        None
    );
    let slot = SECTIONS_AT + 16 * section::IDP_NAME;
    old[slot..slot + 16].fill(0);
    let hc = header_checksum(&old);
    old[32..40].copy_from_slice(&hc.to_le_bytes());
    let idx = SerialIndex::from_bytes(&old[..]).unwrap();
    idx.verify().unwrap();
    assert_eq!(idx.idp_distribution_point(), None);
    assert!(idx.lookup(&Serial::from_u64(5)).is_some());

    let bad = with(Some(vec![0x30, 0x00]));
    assert!(matches!(
        SerialIndex::from_bytes(&bad[..]),
        Err(IndexError::Corrupt(_))
    ));
}
