//! The JSON files the comparison scripts write with `--json` (see
//! `benches/machine.py` for the common part), read back for the report:
//! each file is a [`Run`] of its bench's rows, and the functions here turn
//! a run into the [`Series`] the `plot` binary draws.
//!
//! | file (under `docs/results/`) | written by | rows |
//! |---|---|---|
//! | `ingest-dense.json`, `ingest-random.json` | `compare_openssl.py --json` | [`IngestRow`] |
//! | `lookup.json` | `benches/report` around `--bin lookup-curve` | [`LookupRow`] |
//! | `verify.json` | `compare_verify.py --json` | [`VerifyRow`] |
//! | `serve.json` | `compare_serve.py --json` | [`ServeRow`], plus [`ServeExtra`] |

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The machine a run was made on (`machine.probe()` in `benches/machine.py`).
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct Machine {
    /// lscpu's "Model name".
    pub model_name: String,
    /// lscpu's "CPU family".
    pub cpu_family: Option<String>,
    /// lscpu's "Model".
    pub model: Option<String>,
    /// lscpu's "Stepping".
    pub stepping: Option<String>,
    /// lscpu's "Hypervisor vendor", on a VM.
    pub hypervisor: Option<String>,
    /// Which of avx2, avx512f, avx512ifma, sha_ni, aes, vaes the CPU has.
    pub flags: Vec<String>,
    /// Logical CPUs.
    pub cores: u32,
    /// Memory in GiB.
    pub memory_gib: Option<f64>,
    /// `uname -sr`.
    pub kernel: String,
    /// `openssl version`.
    pub openssl: Option<String>,
    /// `nginx -v`, when installed.
    pub nginx: Option<String>,
    /// `wrk -v`, when installed.
    pub wrk: Option<String>,
}

impl Machine {
    /// One line naming the CPU (model, family/model/stepping), cores,
    /// memory and flags — what every plot's caption starts with.
    pub fn describe(&self) -> String {
        let opt = |v: &Option<String>| v.as_deref().unwrap_or("?").to_string();
        let vm = match &self.hypervisor {
            Some(h) => format!(" ({h} VM)"),
            None => String::new(),
        };
        let mem = match self.memory_gib {
            Some(g) => format!(", {g} GiB"),
            None => String::new(),
        };
        format!(
            "{}{vm}, family {} model {} stepping {}; {} CPUs{mem}; flags: {}; {}",
            self.model_name,
            opt(&self.cpu_family),
            opt(&self.model),
            opt(&self.stepping),
            self.cores,
            self.flags.join(" "),
            self.kernel
        )
    }
}

/// One result file: what ran, where and when, and its rows.
#[derive(Clone, Debug, Deserialize)]
pub struct Run<R, X = NoExtra> {
    /// Which bench: `ingest`, `lookup`, `verify` or `serve`.
    pub bench: String,
    /// The exact command line, from the repository root.
    pub command: String,
    /// Where it ran.
    pub machine: Machine,
    /// When it started (UTC, RFC 3339).
    pub started: String,
    /// The table rows.
    pub rows: Vec<R>,
    /// What else the bench stores beside its rows.
    #[serde(flatten)]
    pub extra: X,
}

/// For benches that store nothing beside their rows.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NoExtra {}

/// A run of `compare_openssl.py`: one CRL size.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct IngestRow {
    /// Revoked entries on the CRL.
    pub entries: u64,
    /// The CRL's size in MiB.
    pub crl_mib: f64,
    /// `openssl crl -noout -CAfile`: best wall time, s.
    pub openssl_s: f64,
    /// Its peak RSS, MiB.
    pub openssl_mib: f64,
    /// `kakunin ingest`: best wall time, s.
    pub kakunin_s: f64,
    /// Its peak RSS, MiB.
    pub kakunin_mib: f64,
    /// Size of the index written.
    pub index_bytes: u64,
}

/// What `compare_openssl.py` stores beside its rows.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IngestExtra {
    /// `dense` or `random` serials.
    pub shape: String,
    /// Who made the CRLs: `openssl` (`openssl ca -gencrl`) or `gen`.
    pub source: String,
}

/// A run of the `lookup-curve` bin: one index size and serial shape.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct LookupRow {
    /// `dense` or `random`.
    pub shape: String,
    /// Entries in the index.
    pub entries: u64,
    /// Size of the index file.
    pub index_bytes: u64,
    /// Nanoseconds per look-up with revocation time and reason.
    pub lookup_ns: f64,
    /// Nanoseconds per membership test.
    pub contains_ns: f64,
}

/// A run of `compare_verify.py`: one thread count.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct VerifyRow {
    /// Certificates verified.
    pub certs: u64,
    /// Revoked entries in the index they are checked against.
    pub revoked: u64,
    /// rayon threads.
    pub threads: u32,
    /// Whether the bundle was streamed through stdin.
    pub stdin: bool,
    /// Certificates per second.
    pub certs_per_s: f64,
    /// `openssl speed rsa2048` verify/s on one core.
    pub openssl_verify_per_s: f64,
    /// 0.9 × that × threads.
    pub target_per_s: f64,
    /// Peak RSS, MiB.
    pub peak_mib: f64,
}

/// A throughput row of `compare_serve.py`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct ServeRow {
    /// What was asked (route and kind of request).
    pub workload: String,
    /// kakunin's rate (requests, signatures or logins per second).
    pub rate: f64,
    /// wrk's p50, ms.
    pub p50_ms: f64,
    /// wrk's p90, ms.
    pub p90_ms: f64,
    /// wrk's p99, ms.
    pub p99_ms: f64,
    /// What kakunin is compared with.
    pub baseline: String,
    /// The baseline's rate.
    pub baseline_rate: f64,
    /// The baseline's p50, ms, when it is a server.
    pub baseline_p50_ms: Option<f64>,
    /// The baseline's p99, ms, when it is a server.
    pub baseline_p99_ms: Option<f64>,
    /// rate / baseline_rate.
    pub ratio: f64,
    /// The target, in words.
    pub target: String,
    /// Whether it was met.
    pub met: bool,
}

/// One wrk run, as `compare_serve.py` parses it.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct WrkRun {
    /// Connections (set in the latency-against-load runs).
    pub connections: Option<u32>,
    /// Requests per second.
    pub rps: f64,
    /// Latency percentiles, ms.
    pub p50: f64,
    /// 75th percentile, ms.
    pub p75: f64,
    /// 90th percentile, ms.
    pub p90: f64,
    /// 99th percentile, ms.
    pub p99: f64,
    /// Non-2xx/3xx answers.
    #[serde(default)]
    pub non2xx: u64,
    /// Socket errors of any kind.
    #[serde(default)]
    pub socket_errors: u64,
    /// During a hot swap: the server's own figures per interval.
    #[serde(default)]
    pub timeline: Vec<Interval>,
}

/// A sampling interval (0.25 s) during a hot swap: the server's request
/// counter, and a probe client's latencies (one keep-alive connection
/// beside wrk's, a request every 2 ms, timed as a client sees it).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Interval {
    /// End of the interval, s after the rename.
    pub t: f64,
    /// Requests the server answered per second in it.
    pub rps: f64,
    /// The probe's median latency, ms (none when no probe answered).
    pub p50_ms: Option<f64>,
    /// The probe's 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// The probe's slowest answer, ms.
    #[serde(default)]
    pub max_ms: Option<f64>,
    /// Probe requests answered in the interval.
    #[serde(default)]
    pub probes: u64,
    /// Probe requests that failed.
    #[serde(default)]
    pub probe_failed: u64,
    /// The server's own 99th percentile (its histogram, which does not see
    /// time spent queued in the kernel), ms.
    #[serde(default)]
    pub server_p99_ms: Option<f64>,
}

/// A hot swap under load.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct Swap {
    /// `idx` (an index renamed in) or `crl` (a raw CRL).
    pub what: String,
    /// Size of the file swapped in.
    pub file_mib: f64,
    /// Its revoked entries.
    pub revoked: u64,
    /// The same load just before.
    pub steady: WrkRun,
    /// The run during which the rename happened.
    pub during: WrkRun,
    /// Failed requests during it.
    pub failed: u64,
    /// From the rename to the first answer with the new CRL number.
    pub served_after_s: f64,
    /// Whether the target (0 failed, p99 ≤ 2 × steady) was met.
    pub met: bool,
}

/// What `compare_serve.py` stores beside its throughput rows.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ServeExtra {
    /// workload (`status`, `ocsp_get`) → server (`kakunin`, `nginx`,
    /// `openssl`) → one wrk run per load.
    #[serde(default)]
    pub curves: BTreeMap<String, BTreeMap<String, Vec<WrkRun>>>,
    /// The hot swaps, when the big runs ran.
    #[serde(default)]
    pub swap: Vec<Swap>,
}

/// Results of each bench, as present under a results directory.
pub type IngestRun = Run<IngestRow, IngestExtra>;
/// `lookup.json`.
pub type LookupRun = Run<LookupRow>;
/// `verify.json`.
pub type VerifyRun = Run<VerifyRow>;
/// `serve.json`.
pub type ServeRun = Run<ServeRow, ServeExtra>;

/// Reads one result file; `Ok(None)` when it is not there (that bench was
/// not run).
pub fn load<T: serde::de::DeserializeOwned>(path: &Path) -> Result<Option<T>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("reading {}: {e}", path.display())),
    };
    serde_json::from_str(&text).map(Some).map_err(|e| {
        format!(
            "{}: {e} (expected the JSON a benches/compare_*.py --json writes)",
            path.display()
        )
    })
}

/// A named line of (x, y) points.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points, in x order.
    pub points: Vec<(f64, f64)>,
    /// How the line is drawn.
    pub line: Line,
    /// Lines of one family (one server's percentiles) share a number and
    /// so a colour; `None`: a colour of its own, by position.
    pub family: Option<usize>,
}

/// How a [`Series`] is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// A measurement, with its points marked.
    Solid,
    /// A line to compare against (a target, a file size), or a second
    /// percentile of a family.
    Dashed,
    /// A third percentile of a family.
    Dotted,
}

impl Series {
    fn new(label: impl Into<String>, mut points: Vec<(f64, f64)>) -> Series {
        points.sort_by(|a, b| a.0.total_cmp(&b.0));
        Series {
            label: label.into(),
            points,
            line: Line::Solid,
            family: None,
        }
    }

    fn reference(label: impl Into<String>, points: Vec<(f64, f64)>) -> Series {
        Series {
            line: Line::Dashed,
            ..Series::new(label, points)
        }
    }
}

/// Ingest wall time (s) against entries: kakunin, OpenSSL.
pub fn ingest_seconds(run: &IngestRun) -> Vec<Series> {
    let pts =
        |f: fn(&IngestRow) -> f64| run.rows.iter().map(|r| (r.entries as f64, f(r))).collect();
    vec![
        Series::new("kakunin ingest", pts(|r| r.kakunin_s)),
        Series::new("openssl crl -noout -CAfile", pts(|r| r.openssl_s)),
    ]
}

/// Ingest peak memory (MiB) against entries: kakunin, OpenSSL, and the
/// CRL's own size.
pub fn ingest_memory(run: &IngestRun) -> Vec<Series> {
    let pts =
        |f: fn(&IngestRow) -> f64| run.rows.iter().map(|r| (r.entries as f64, f(r))).collect();
    vec![
        Series::new("kakunin ingest, peak RSS", pts(|r| r.kakunin_mib)),
        Series::new("openssl crl, peak RSS", pts(|r| r.openssl_mib)),
        Series::reference("CRL file size", pts(|r| r.crl_mib)),
    ]
}

/// Look-up time (ns) against index entries, per serial shape, with time
/// and reason and membership only.
pub fn lookup_ns(run: &LookupRun) -> Vec<Series> {
    let mut shapes: Vec<&str> = run.rows.iter().map(|r| r.shape.as_str()).collect();
    shapes.dedup();
    let mut out = Vec::new();
    for shape in shapes {
        let rows = run.rows.iter().filter(|r| r.shape == shape);
        out.push(Series::new(
            format!("{shape} serials: look-up"),
            rows.clone()
                .map(|r| (r.entries as f64, r.lookup_ns))
                .collect(),
        ));
        out.push(Series::new(
            format!("{shape} serials: membership"),
            rows.map(|r| (r.entries as f64, r.contains_ns)).collect(),
        ));
    }
    out
}

/// Certificates per second against threads: kakunin, OpenSSL's bare
/// RSA-2048 verify rate × threads, and the target (0.9 × that).
pub fn verify_rate(run: &VerifyRun) -> Vec<Series> {
    let rows: Vec<&VerifyRow> = run.rows.iter().filter(|r| !r.stdin).collect();
    let pts =
        |f: &dyn Fn(&VerifyRow) -> f64| rows.iter().map(|r| (r.threads as f64, f(r))).collect();
    vec![
        Series::new("kakunin verify, certificates/s", pts(&|r| r.certs_per_s)),
        Series::new(
            "openssl speed rsa2048 verify/s x threads",
            pts(&|r| r.openssl_verify_per_s * r.threads as f64),
        ),
        Series::reference("target: 0.9 x openssl x threads", pts(&|r| r.target_per_s)),
    ]
}

/// Latency percentiles (ms) against connections for one workload of
/// `serve.json`'s curves: p50, p90 and p99 of every server measured.
pub fn latency_curve(run: &ServeRun, workload: &str) -> Vec<Series> {
    let Some(servers) = run.extra.curves.get(workload) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    // kakunin first, so it keeps the same colours in every chart.
    let mut names: Vec<&String> = servers.keys().collect();
    names.sort_by_key(|n| (n.as_str() != "kakunin", n.as_str()));
    for (family, name) in names.into_iter().enumerate() {
        let runs = &servers[name];
        for (q, line, f) in [
            (
                "p99",
                Line::Solid,
                (|r: &WrkRun| r.p99) as fn(&WrkRun) -> f64,
            ),
            ("p90", Line::Dashed, |r| r.p90),
            ("p50", Line::Dotted, |r| r.p50),
        ] {
            out.push(Series {
                line,
                family: Some(family),
                ..Series::new(
                    format!("{name} {q}"),
                    runs.iter()
                        .filter_map(|r| Some((r.connections? as f64, f(r))))
                        .collect(),
                )
            });
        }
    }
    out
}

/// Throughput against connections for one workload (the same runs).
pub fn load_throughput(run: &ServeRun, workload: &str) -> Vec<Series> {
    let Some(servers) = run.extra.curves.get(workload) else {
        return Vec::new();
    };
    servers
        .iter()
        .map(|(name, runs)| {
            Series::new(
                name.clone(),
                runs.iter()
                    .filter_map(|r| Some((r.connections? as f64, r.rps)))
                    .collect(),
            )
        })
        .collect()
}

/// Around each hot swap, per sampling interval against seconds from the
/// rename: (the server's requests/s, the probe's p99 in ms). With ~125
/// probes an interval, the p99 is about the slowest of them.
pub fn swap_timeline(run: &ServeRun) -> (Vec<Series>, Vec<Series>) {
    let mut rps = Vec::new();
    let mut latency = Vec::new();
    for s in &run.extra.swap {
        let label = format!("sign.{} ({:.0} MiB)", s.what, s.file_mib);
        let tl = &s.during.timeline;
        rps.push(Series::new(
            label.clone(),
            tl.iter().map(|i| (i.t, i.rps)).collect(),
        ));
        latency.push(Series::new(
            format!("{label}: p99"),
            tl.iter().filter_map(|i| Some((i.t, i.p99_ms?))).collect(),
        ));
    }
    (rps, latency)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture<T: serde::de::DeserializeOwned>(name: &str) -> T {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/results")
            .join(name);
        match load(&path) {
            Ok(Some(v)) => v,
            Ok(None) => panic!("missing fixture {}", path.display()),
            Err(e) => panic!("{e}"),
        }
    }

    #[test]
    fn ingest_fixture_gives_both_tools_per_size() {
        let run: IngestRun = fixture("ingest-dense.json");
        assert_eq!(run.bench, "ingest");
        assert_eq!(run.extra.shape, "dense");
        assert!(run
            .command
            .starts_with("python3 benches/compare_openssl.py"));
        assert_eq!(run.machine.cpu_family.as_deref(), Some("25"));
        assert!(run.machine.describe().contains("family 25 model 17"));
        let s = ingest_seconds(&run);
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].label, "kakunin ingest");
        let xs: Vec<f64> = s[0].points.iter().map(|p| p.0).collect();
        assert_eq!(xs, [10_000.0, 100_000.0]);
        assert_eq!(s[1].points.len(), 2);
        // kakunin is faster than OpenSSL at every size in the fixture.
        for (k, o) in s[0].points.iter().zip(&s[1].points) {
            assert!(k.1 < o.1, "{k:?} vs {o:?}");
        }
        let m = ingest_memory(&run);
        assert_eq!(m.len(), 3);
        assert_eq!(m[2].label, "CRL file size");
        assert_eq!((m[0].line, m[2].line), (Line::Solid, Line::Dashed));
        assert_eq!(m[2].points[1].1, run.rows[1].crl_mib);
    }

    #[test]
    fn verify_fixture_gives_rate_per_thread_and_the_target() {
        let run: VerifyRun = fixture("verify.json");
        let s = verify_rate(&run);
        assert_eq!(s.len(), 3);
        let threads: Vec<f64> = s[0].points.iter().map(|p| p.0).collect();
        assert_eq!(threads, [1.0, 2.0]);
        // The target is 0.9 × OpenSSL's rate at each thread count.
        for (o, t) in s[1].points.iter().zip(&s[2].points) {
            assert!((t.1 - 0.9 * o.1).abs() < 1e-6 * o.1, "{o:?} {t:?}");
        }
    }

    #[test]
    fn serve_fixture_gives_percentiles_per_load_and_the_swap() {
        let run: ServeRun = fixture("serve.json");
        assert!(!run.rows.is_empty());
        let status = latency_curve(&run, "status");
        // kakunin and nginx, three percentiles each.
        assert_eq!(status.len(), 6);
        assert_eq!(status[0].label, "kakunin p99");
        assert_eq!(status[3].label, "nginx p99");
        assert_eq!(status[1].family, Some(0));
        assert_eq!(status[4].family, Some(1));
        let loads: Vec<f64> = status[2].points.iter().map(|p| p.0).collect();
        assert_eq!(loads, [1.0, 16.0]);
        for (p99, p50) in status[0].points.iter().zip(&status[2].points) {
            assert!(p50.1 <= p99.1);
        }
        assert_eq!(latency_curve(&run, "ocsp_get").len(), 6);
        assert!(latency_curve(&run, "absent").is_empty());
        let (rps, latency) = swap_timeline(&run);
        assert_eq!(rps.len(), 2);
        assert!(rps[0].label.starts_with("sign.idx"));
        // Intervals before and after the rename.
        assert!(rps[0].points.iter().any(|p| p.0 < 0.0) && rps[0].points.iter().any(|p| p.0 > 0.0));
        assert_eq!(latency.len(), 2);
        assert!(latency[1].label.starts_with("sign.crl") && latency[1].label.ends_with("p99"));
        // Each interval's p99 is at most its slowest probe.
        for (p, i) in latency[0]
            .points
            .iter()
            .zip(&run.extra.swap[0].during.timeline)
        {
            assert!(p.1 <= i.max_ms.unwrap_or(f64::INFINITY), "{p:?} {i:?}");
        }
    }

    #[test]
    fn lookup_fixture_gives_a_line_per_shape_and_kind() {
        let run: LookupRun = fixture("lookup.json");
        let s = lookup_ns(&run);
        let labels: Vec<&str> = s.iter().map(|s| s.label.as_str()).collect();
        assert_eq!(
            labels,
            [
                "dense serials: look-up",
                "dense serials: membership",
                "random serials: look-up",
                "random serials: membership"
            ]
        );
        assert!(s.iter().all(|s| s.points.len() == 2));
    }

    #[test]
    fn a_missing_file_is_none_and_a_bad_one_says_what_was_expected() {
        let dir = std::env::temp_dir().join("kakunin-results-test");
        let _ = std::fs::create_dir_all(&dir);
        assert!(matches!(
            load::<LookupRun>(&dir.join("absent.json")),
            Ok(None)
        ));
        let bad = dir.join("bad.json");
        let _ = std::fs::write(&bad, "{\"bench\": 3}");
        let err = load::<LookupRun>(&bad).err().unwrap_or_default();
        assert!(err.contains("compare_*.py --json"), "{err}");
    }
}
