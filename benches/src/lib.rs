//! Shared helpers for kakunin's benches: synthetic revocation sets shaped
//! like real CRLs, built into index files; and [`results`], the JSON the
//! comparison scripts write, read back for the benchmark report.

use std::path::Path;

pub mod results;

use kakunin_engine::crl::CrlScope;
use kakunin_engine::index::{BuildStats, IndexBuilder, IndexInfo};
use kakunin_engine::{CrlNumber, IssuerKeyId, RevocationReason, Serial, Timestamp};

/// Shape of the serial numbers on a CRL.
#[derive(Clone, Copy, Debug)]
pub enum Shape {
    /// A national issuer: sequential batches of 50–500 serials with gaps of
    /// up to the same size (as `kakunin gen` makes them).
    Dense,
    /// Random 64-bit serials (CAs that follow the CA/B Forum's entropy rule).
    Random,
}

/// How revocation times are spread.
#[derive(Clone, Copy, Debug)]
pub enum Times {
    /// A handful of batch times (CRLs built from an `index.txt`).
    Batched,
    /// A distinct second for every entry, over five years.
    EverySecond,
}

/// A deterministic xorshift generator (benches need no crypto RNG).
pub struct Rng(u64);

impl Rng {
    /// Seeded generator.
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    /// Next value.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}

/// `n` sorted serial keys of the given shape.
pub fn keys(shape: Shape, n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    let mut v = Vec::with_capacity(n);
    match shape {
        Shape::Dense => {
            let mut k = 0x0123_0000_0000u64;
            while v.len() < n {
                let batch = 50 + rng.next_u64() % 450;
                for _ in 0..batch.min((n - v.len()) as u64) {
                    v.push(k);
                    k += 1;
                }
                k += rng.next_u64() % batch;
            }
        }
        Shape::Random => {
            for _ in 0..n {
                v.push(rng.next_u64());
            }
            v.sort_unstable();
            v.dedup();
            while v.len() < n {
                v.push(rng.next_u64());
                v.sort_unstable();
                v.dedup();
            }
        }
    }
    v
}

/// `n` look-up probes over sorted `keys`: every other one a revoked serial
/// (a hit), the others a serial near one (`k ^ 2^32`, a miss).
pub fn probes(keys: &[u64], n: usize, seed: u64) -> Vec<u64> {
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|i| {
            let k = keys[(rng.next_u64() % keys.len() as u64) as usize];
            if i % 2 == 0 {
                k
            } else {
                k ^ 0x1_0000_0000
            }
        })
        .collect()
}

/// Metadata for a synthetic index.
pub fn info() -> IndexInfo {
    IndexInfo {
        issuer_key_id: IssuerKeyId::from_bytes(&[0x42; 20]).unwrap_or_else(|_| unreachable!()),
        issuer_spki_sha256: [0; 32],
        crl_digest: [0; 16],
        crl_number: Some(CrlNumber::from_u64(1)),
        delta_base: None,
        this_update: Timestamp::from_unix(1_793_491_200),
        next_update: Timestamp::from_unix(1_793_577_600),
        scope: CrlScope::default(),
        idp_distribution_point: None,
    }
}

/// Builds an index of the keys with times spread as asked.
pub fn build(keys: &[u64], times: Times, path: &Path) -> BuildStats {
    let mut rng = Rng::new(7);
    let reasons = [
        RevocationReason::AffiliationChanged,
        RevocationReason::Superseded,
        RevocationReason::CessationOfOperation,
        RevocationReason::KeyCompromise,
    ];
    let mut b = IndexBuilder::new();
    for &k in keys {
        let t = match times {
            Times::Batched => 1_790_000_000 + (rng.next_u64() % 4) as i64 * 86_400,
            Times::EverySecond => 1_793_491_200 - (rng.next_u64() % (5 * 365 * 86_400)) as i64,
        };
        let r = reasons[(rng.next_u64() % 4) as usize];
        b.push(&Serial::from_u64(k), Timestamp::from_unix(t), Some(r));
    }
    match b.write_to_path(&info(), path) {
        Ok(s) => s,
        Err(e) => panic!("building bench index: {e}"),
    }
}

/// A CRL of `n` entries made by `openssl ca -gencrl` (cached under
/// `target/bench-data`), with its CA certificate: (crl DER path, CA PEM path).
pub fn openssl_crl(n: usize, shape: Shape) -> (std::path::PathBuf, std::path::PathBuf) {
    use std::fmt::Write as _;
    use std::process::Command;
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data");
    let dir = root.join(format!("openssl-{shape:?}-{n}").to_lowercase());
    let crl = dir.join("crl.der");
    let ca = dir.join("ca.pem");
    if crl.exists() && ca.exists() {
        return (crl, ca);
    }
    let _ = std::fs::create_dir_all(&dir);
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .current_dir(&dir)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("openssl: {e}"));
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "3650",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-subj",
        "/C=JP/O=JPKI/OU=JPKI for digital signature",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
    ]);
    let reasons = [
        "keyCompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
    ];
    let mut rng = Rng::new(11);
    let mut index = String::with_capacity(n * 80);
    for (i, k) in keys(shape, n, 5).into_iter().enumerate() {
        let t = time::OffsetDateTime::from_unix_timestamp(
            1_793_491_200 - (rng.next_u64() % (5 * 365 * 86_400)) as i64,
        )
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        let _ = writeln!(
            index,
            "R\t351231000000Z\t{:02}{:02}{:02}{:02}{:02}{:02}Z,{}\t{:016X}\tunknown\t/CN=c{i}",
            t.year() % 100,
            t.month() as u8,
            t.day(),
            t.hour(),
            t.minute(),
            t.second(),
            reasons[i % 4],
            k
        );
    }
    let w =
        |name: &str, s: &str| std::fs::write(dir.join(name), s).unwrap_or_else(|e| panic!("{e}"));
    w("index.txt", &index);
    w("index.txt.attr", "unique_subject = no\n");
    w("crlnumber", "1000\n");
    w(
        "ca.cnf",
        "[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncertificate=ca.pem\nprivate_key=ca.key\n\
         default_md=sha256\ndefault_crl_days=3650\ncrlnumber=crlnumber\ncrl_extensions=ext\n\
         [ext]\nauthorityKeyIdentifier=keyid\n",
    );
    run(&["ca", "-config", "ca.cnf", "-gencrl", "-out", "crl.pem"]);
    run(&[
        "crl", "-in", "crl.pem", "-outform", "DER", "-out", "crl.der",
    ]);
    let _ = std::fs::remove_file(dir.join("index.txt"));
    (crl, ca)
}
