//! The benchmark report: reads the JSON results the comparison scripts
//! wrote (see `kakunin_benches::results`) and writes SVG plots and
//! `report.md` (Markdown tables and the plots), each naming the machine
//! and the exact command behind its data.
//!
//! Run: `cargo run --release -p kakunin-benches --bin plot -- \
//!       --results docs/results --out docs [--report-command "benches/report"]`
//! (`benches/report` runs every bench and then this.)
//!
//! A bench whose file is missing is left out of the report.

mod chart;
mod markdown;

use std::path::{Path, PathBuf};

use chart::{figure, si, trim, Chart};
use kakunin_benches::results::{self, load, IngestRun, LookupRun, Machine, ServeRun, VerifyRun};

/// Every result file a report may hold.
pub struct Report {
    /// `ingest-dense.json`, `ingest-random.json` (those present).
    pub ingest: Vec<IngestRun>,
    /// `lookup.json`.
    pub lookup: Option<LookupRun>,
    /// `verify.json`.
    pub verify: Option<VerifyRun>,
    /// `serve.json`.
    pub serve: Option<ServeRun>,
}

impl Report {
    fn load(dir: &Path) -> Result<Report, String> {
        let mut ingest = Vec::new();
        for shape in ["dense", "random"] {
            if let Some(run) = load(&dir.join(format!("ingest-{shape}.json")))? {
                ingest.push(run);
            }
        }
        Ok(Report {
            ingest,
            lookup: load(&dir.join("lookup.json"))?,
            verify: load(&dir.join("verify.json"))?,
            serve: load(&dir.join("serve.json"))?,
        })
    }

    /// The machine of the first file present.
    fn machine(&self) -> Option<&Machine> {
        self.ingest
            .first()
            .map(|r| &r.machine)
            .or(self.lookup.as_ref().map(|r| &r.machine))
            .or(self.verify.as_ref().map(|r| &r.machine))
            .or(self.serve.as_ref().map(|r| &r.machine))
    }
}

struct Args {
    results: PathBuf,
    out: PathBuf,
    report_command: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        results: PathBuf::from("docs/results"),
        out: PathBuf::from("docs"),
        report_command: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--results" => args.results = value()?.into(),
            "--out" => args.out = value()?.into(),
            "--report-command" => args.report_command = Some(value()?),
            _ => {
                return Err(format!(
                "unknown argument {flag}; expected --results DIR --out DIR [--report-command CMD]"
            ))
            }
        }
    }
    Ok(args)
}

/// Caption lines for a figure made from runs with these machines and
/// commands.
fn caption<'a>(runs: impl IntoIterator<Item = (&'a Machine, &'a str, &'a str)>) -> Vec<String> {
    let mut lines = Vec::new();
    let mut last_machine = None;
    for (machine, command, started) in runs {
        let m = format!("machine: {}", machine.describe());
        if last_machine.as_ref() != Some(&m) {
            lines.push(m.clone());
            last_machine = Some(m);
        }
        lines.push(format!("command: {command}   (started {started})"));
    }
    lines
}

fn plain(v: f64) -> String {
    trim(v)
}

fn plots(r: &Report, out: &Path) -> Result<Vec<(String, &'static str)>, String> {
    let mut made = Vec::new();
    let ingest_caption = || {
        caption(
            r.ingest
                .iter()
                .map(|i| (&i.machine, i.command.as_str(), i.started.as_str())),
        )
    };
    if !r.ingest.is_empty() {
        // One panel per serial shape, the same axes for time and memory.
        let ingest = |what: &str, y_desc: &str, series: fn(&IngestRun) -> Vec<results::Series>| {
            r.ingest
                .iter()
                .map(|run| Chart {
                    title: format!(
                        "Ingest {what}, {} serials (CRLs by {})",
                        run.extra.shape, run.extra.source
                    ),
                    x_desc: "revoked entries on the CRL".into(),
                    y_desc: y_desc.into(),
                    log_x: true,
                    log_y: true,
                    x_fmt: si,
                    series: series(run),
                    markers: Vec::new(),
                })
                .collect::<Vec<_>>()
        };
        let charts = ingest(
            "time (best of the runs)",
            "wall time, s",
            results::ingest_seconds,
        );
        figure(&out.join("ingest-time.svg"), &charts, &ingest_caption())?;
        made.push((
            "ingest-time.svg".to_string(),
            "Ingest time against CRL entries, kakunin and OpenSSL",
        ));
        let charts = ingest("peak memory", "peak RSS, MiB", results::ingest_memory);
        figure(&out.join("ingest-memory.svg"), &charts, &ingest_caption())?;
        made.push((
            "ingest-memory.svg".to_string(),
            "Ingest peak memory against CRL entries",
        ));
    }
    if let Some(run) = &r.lookup {
        let c = Chart {
            title: "Index look-up time against index size (one thread, half hits)".into(),
            x_desc: "entries in the index".into(),
            y_desc: "ns per look-up".into(),
            log_x: true,
            log_y: false,
            x_fmt: si,
            series: results::lookup_ns(run),
            markers: Vec::new(),
        };
        figure(
            &out.join("lookup.svg"),
            &[c],
            &caption([(&run.machine, run.command.as_str(), run.started.as_str())]),
        )?;
        made.push((
            "lookup.svg".to_string(),
            "Look-up latency against index size",
        ));
    }
    if let Some(run) = &r.verify {
        let certs = run.rows.first().map_or(0, |r| r.certs);
        let revoked = run.rows.first().map_or(0, |r| r.revoked);
        let c = Chart {
            title: format!(
                "kakunin verify: {} certificates against a {}-entry index",
                si(certs as f64),
                si(revoked as f64)
            ),
            x_desc: "threads (RAYON_NUM_THREADS)".into(),
            y_desc: "certificates / s".into(),
            log_x: false,
            log_y: false,
            x_fmt: plain,
            series: results::verify_rate(run),
            markers: Vec::new(),
        };
        figure(
            &out.join("verify-threads.svg"),
            &[c],
            &caption([(&run.machine, run.command.as_str(), run.started.as_str())]),
        )?;
        made.push((
            "verify-threads.svg".to_string(),
            "Batch verification throughput against threads",
        ));
    }
    if let Some(run) = &r.serve {
        let cap = caption([(&run.machine, run.command.as_str(), run.started.as_str())]);
        let curves: Vec<Chart> = [
            (
                "status",
                "GET /v1/status/sign/{serial}: kakunin vs nginx (static file)",
            ),
            (
                "ocsp_get",
                "OCSP GET /ocsp/{base64}, cache hit: kakunin vs openssl ocsp",
            ),
        ]
        .into_iter()
        .filter(|(w, _)| run.extra.curves.contains_key(*w))
        .map(|(w, title)| Chart {
            title: format!("{title}; wrk latency"),
            x_desc: "wrk connections".into(),
            y_desc: "latency, ms".into(),
            log_x: true,
            log_y: true,
            x_fmt: plain,
            series: results::latency_curve(run, w),
            markers: Vec::new(),
        })
        .collect();
        if !curves.is_empty() {
            figure(&out.join("serve-latency.svg"), &curves, &cap)?;
            made.push((
                "serve-latency.svg".to_string(),
                "HTTP status and OCSP latency percentiles against load",
            ));
        }
        if !run.extra.swap.is_empty() {
            let (rps, latency) = results::swap_timeline(run);
            // The rename in grey; when each file's new CRL answered, in
            // that file's colour.
            let mut markers = vec![(0.0, "rename into --crl-dir".to_string(), None)];
            for (i, s) in run.extra.swap.iter().enumerate() {
                markers.push((
                    s.served_after_s,
                    format!("sign.{}: new CRL served", s.what),
                    Some(i),
                ));
            }
            let title = format!(
                "Hot swap of a {}-entry CRL under load, per 0.25 s",
                si(run.extra.swap[0].revoked as f64)
            );
            let charts = [
                Chart {
                    title: format!("{title}: requests the server answered"),
                    x_desc: "s from the rename".into(),
                    y_desc: "requests / s".into(),
                    log_x: false,
                    log_y: false,
                    x_fmt: plain,
                    series: rps,
                    markers: markers.clone(),
                },
                Chart {
                    title: "p99 latency of a probe client beside wrk (a request every 2 ms)".into(),
                    x_desc: "s from the rename".into(),
                    y_desc: "ms".into(),
                    log_x: false,
                    log_y: true,
                    x_fmt: plain,
                    series: latency,
                    markers,
                },
            ];
            figure(&out.join("swap.svg"), &charts, &cap)?;
            made.push((
                "swap.svg".to_string(),
                "Throughput and latency around a hot swap",
            ));
        }
    }
    Ok(made)
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("plot: {e}");
            std::process::exit(2);
        }
    };
    let run = || -> Result<Vec<PathBuf>, String> {
        let report = Report::load(&args.results)?;
        if report.machine().is_none() {
            return Err(format!(
                "no results under {}: run benches/report, or a benches/compare_*.py with --json",
                args.results.display()
            ));
        }
        std::fs::create_dir_all(&args.out)
            .map_err(|e| format!("creating {}: {e}", args.out.display()))?;
        let made = plots(&report, &args.out)?;
        let md = markdown::report(
            &report,
            &made,
            &args.results,
            &args.out,
            args.report_command.as_deref(),
        );
        let path = args.out.join("report.md");
        std::fs::write(&path, md).map_err(|e| format!("writing {}: {e}", path.display()))?;
        let mut files: Vec<PathBuf> = made.iter().map(|(f, _)| args.out.join(f)).collect();
        files.push(path);
        Ok(files)
    };
    match run() {
        Ok(files) => {
            for f in files {
                println!("wrote {}", f.display());
            }
        }
        Err(e) => {
            eprintln!("plot: {e}");
            std::process::exit(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixtures_make_every_plot_and_the_report() {
        let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/results");
        let out = std::env::temp_dir().join("kakunin-plot-test");
        let _ = std::fs::create_dir_all(&out);
        let report = Report::load(&fixtures).unwrap_or_else(|e| panic!("{e}"));
        let made = plots(&report, &out).unwrap_or_else(|e| panic!("{e}"));
        let files: Vec<&str> = made.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            files,
            [
                "ingest-time.svg",
                "ingest-memory.svg",
                "lookup.svg",
                "verify-threads.svg",
                "serve-latency.svg",
                "swap.svg"
            ]
        );
        // Every plot names the machine and the command behind it.
        for f in &files {
            let svg = std::fs::read_to_string(out.join(f)).unwrap_or_default();
            assert!(svg.contains("family 25 model 17"), "{f}");
            assert!(
                svg.contains("command: python3 benches/compare_")
                    || svg.contains("command: target/release/lookup-curve"),
                "{f}"
            );
        }
        let md = markdown::report(
            &report,
            &made,
            &fixtures,
            &out,
            Some("benches/report --quick"),
        );
        assert!(md.contains("![Look-up latency against index size](lookup.svg)"));
        assert!(md.contains("| 100,000 | 3.6 |"), "{md}");
    }
}
