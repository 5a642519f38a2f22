//! End to end: a PKI from `kakunin gen`, every certificate verified by the
//! engine's verifier, every verdict equal to `expected.jsonl`
//! (valid → Valid, revoked → Revoked with the same reason, invalid →
//! Invalid expired). Raw CRLs and ingested indexes must agree.

use std::path::Path;

use kakunin_engine::index::IndexBytes;
use kakunin_engine::index::SerialIndex;
use kakunin_engine::ingest::{ingest, IngestOptions};
use kakunin_engine::verify::{Check, Status, Verifier, VerifierBuilder};
use kakunin_engine::{CaCert, RevocationReason, Serial, Timestamp};
use kakunin_gen::Options;

use crate::common::gen;

fn pem_certs(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap();
    x509_parser::pem::Pem::iter_from_buffer(&bytes)
        .map(|p| p.unwrap())
        .filter(|p| p.label == "CERTIFICATE")
        .map(|p| p.contents)
        .collect()
}

fn verifiers(dir: &Path, at: Timestamp) -> (Verifier, Verifier) {
    let mut raw = VerifierBuilder::new();
    let mut idx = VerifierBuilder::new();
    for kind in ["sign", "auth"] {
        let ca_der = pem_certs(&dir.join(format!("{kind}-ca.pem"))).remove(0);
        raw.trust_anchor_der(&ca_der).unwrap();
        idx.trust_anchor_der(&ca_der).unwrap();
        let crl = std::fs::read(dir.join(format!("{kind}.crl"))).unwrap();
        raw.crl_der(&crl).unwrap();
        let ca = CaCert::from_der(&ca_der).unwrap();
        let out = dir.join(format!("{kind}.idx"));
        let opts = IngestOptions {
            now: at,
            max_clock_skew: 0,
        };
        ingest(&crl, &ca, &out, &opts, &|_, _| {}).unwrap();
        let data = std::fs::read(&out).unwrap();
        idx.index(SerialIndex::from_bytes(IndexBytes::from(data)).unwrap())
            .unwrap();
    }
    (raw.build().unwrap(), idx.build().unwrap())
}

#[test]
fn every_generated_certificate_matches_expected_jsonl() {
    let tmp = kakunin_testkit::tempdir();
    let dir = tmp.path();
    // The generation time: CRL thisUpdate and the "now" of expected.jsonl.
    let at = Timestamp::parse_rfc3339("2026-11-01T00:00:00Z").unwrap();
    gen(dir, &Options::new(at).certs(2000).revoked(3000));
    let (raw, idx) = verifiers(dir, at);

    let expected = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let mut lines = expected.lines();
    let mut counts = [0usize; 3];
    for kind in ["sign", "auth"] {
        for der in pem_certs(&dir.join(format!("{kind}-certs.pem"))) {
            let line: serde_json::Value = serde_json::from_str(lines.next().unwrap()).unwrap();
            assert_eq!(line["kind"], kind);
            let v = raw.verify(&der, at);
            let w = idx.verify(&der, at);
            assert_eq!(v.status, w.status, "raw CRL and index disagree");
            let serial = Serial::from_hex(line["serial"].as_str().unwrap()).unwrap();
            assert_eq!(v.serial, Some(serial));
            match line["status"].as_str().unwrap() {
                "valid" => {
                    assert_eq!(v.status, Status::Valid, "{line}");
                    counts[0] += 1;
                }
                "revoked" => {
                    let want = RevocationReason::from_name(line["reason"].as_str().unwrap());
                    assert!(
                        matches!(v.status, Status::Revoked { reason, depth: 0, .. } if reason == want),
                        "{line}: {:?}",
                        v.status
                    );
                    counts[1] += 1;
                }
                "invalid" => {
                    assert!(
                        matches!(
                            v.status,
                            Status::Invalid {
                                check: Check::Expired,
                                ..
                            }
                        ),
                        "{line}: {:?}",
                        v.status
                    );
                    counts[2] += 1;
                }
                other => panic!("unexpected status {other}"),
            }
        }
    }
    assert!(lines.next().is_none(), "expected.jsonl has more lines");
    assert_eq!(counts.iter().sum::<usize>(), 4000);
    assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
}
