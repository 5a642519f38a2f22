//! `report.md`: a table per bench, the command and machine behind it, and
//! the plots.

use std::fmt::Write as _;
use std::path::Path;

use crate::chart::si;
use crate::Report;

/// `1234567.8` → `1,234,568`.
fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 && digits != "0" {
        out.insert(0, '-');
    }
    out
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |v| format!("{v:.2}"))
}

fn yes(ok: bool) -> &'static str {
    if ok {
        "**yes**"
    } else {
        "**no**"
    }
}

fn image(md: &mut String, made: &[(String, &str)], file: &str) {
    if let Some((f, alt)) = made.iter().find(|(f, _)| f == file) {
        let _ = writeln!(md, "\n![{alt}]({f})");
    }
}

fn source(
    md: &mut String,
    command: &str,
    machine: &kakunin_benches::results::Machine,
    started: &str,
) {
    let _ = writeln!(md, "Produced by `{command}` (started {started})  ");
    let _ = writeln!(md, "on {}.\n", machine.describe());
}

/// The whole report.
pub(crate) fn report(
    r: &Report,
    made: &[(String, &str)],
    results: &Path,
    out: &Path,
    report_command: Option<&str>,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# kakunin benchmark report\n");
    let _ = writeln!(
        md,
        "Written by `cargo run --release -p kakunin-benches --bin plot -- --results {} --out {}`{}.",
        results.display(),
        out.display(),
        report_command.map_or(String::new(), |c| format!(", after `{c}` ran every bench"))
    );
    if let Some(m) = r.machine() {
        let tools: Vec<&str> = [&m.openssl, &m.nginx, &m.wrk]
            .into_iter()
            .filter_map(|t| t.as_deref())
            .collect();
        let _ = writeln!(
            md,
            "\n**Machine:** {}; {}.\n\nEvery plot's caption names the machine and the command behind its data; \
             the JSON files under `{}` hold every figure.",
            m.describe(),
            tools.join("; "),
            results.display()
        );
    }

    if !r.ingest.is_empty() {
        let _ = writeln!(md, "\n## Ingest time and memory against CRL size\n");
        let _ = writeln!(
            md,
            "`kakunin ingest` against `openssl crl -inform DER -noout -CAfile` on the same CRL; best wall \
             time of the runs, peak RSS of either.\n"
        );
        for run in &r.ingest {
            let _ = writeln!(
                md,
                "**{} serials** (CRLs by {}):\n",
                run.extra.shape, run.extra.source
            );
            source(&mut md, &run.command, &run.machine, &run.started);
            let _ = writeln!(md, "| entries | CRL MiB | openssl s | openssl MiB | kakunin s | kakunin MiB | speed-up | kakunin MiB / CRL MiB | index bytes/entry |");
            let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
            for row in &run.rows {
                let _ = writeln!(
                    md,
                    "| {} | {:.1} | {:.3} | {:.0} | {:.3} | {:.0} | {:.1}x | {:.2} | {:.2} |",
                    thousands(row.entries as f64),
                    row.crl_mib,
                    row.openssl_s,
                    row.openssl_mib,
                    row.kakunin_s,
                    row.kakunin_mib,
                    row.openssl_s / row.kakunin_s,
                    row.kakunin_mib / row.crl_mib,
                    row.index_bytes as f64 / row.entries as f64
                );
            }
            md.push('\n');
        }
        image(&mut md, made, "ingest-time.svg");
        image(&mut md, made, "ingest-memory.svg");
    }

    if let Some(run) = &r.lookup {
        let _ = writeln!(md, "\n## Look-up latency against index size\n");
        source(&mut md, &run.command, &run.machine, &run.started);
        let _ = writeln!(md, "| serials | entries | index bytes/entry | look-up with time and reason, ns | membership only, ns |");
        let _ = writeln!(md, "|---|---:|---:|---:|---:|");
        for row in &run.rows {
            let _ = writeln!(
                md,
                "| {} | {} | {:.2} | {:.1} | {:.1} |",
                row.shape,
                thousands(row.entries as f64),
                row.index_bytes as f64 / row.entries as f64,
                row.lookup_ns,
                row.contains_ns
            );
        }
        image(&mut md, made, "lookup.svg");
    }

    if let Some(run) = &r.verify {
        let _ = writeln!(md, "\n## Batch verification against threads\n");
        source(&mut md, &run.command, &run.machine, &run.started);
        let _ = writeln!(md, "| certificates | revoked entries in index | threads | openssl rsa2048 verify/s (1 core) | target (0.9 x 1-core x threads) | kakunin verify certs/s | ratio to target | peak MiB |");
        let _ = writeln!(md, "|---:|---:|---:|---:|---:|---:|---:|---:|");
        for row in &run.rows {
            let _ = writeln!(
                md,
                "| {}{} | {} | {} | {} | {} | {} | {:.2} | {:.0} |",
                thousands(row.certs as f64),
                if row.stdin { " (stdin)" } else { "" },
                thousands(row.revoked as f64),
                row.threads,
                thousands(row.openssl_verify_per_s),
                thousands(row.target_per_s),
                thousands(row.certs_per_s),
                row.certs_per_s / row.target_per_s,
                row.peak_mib
            );
        }
        image(&mut md, made, "verify-threads.svg");
    }

    if let Some(run) = &r.serve {
        let _ = writeln!(md, "\n## kakunin serve\n");
        source(&mut md, &run.command, &run.machine, &run.started);
        if !run.rows.is_empty() {
            let _ = writeln!(md, "| workload | kakunin /s | p50 ms | p90 ms | p99 ms | baseline | baseline /s | p50 ms | p99 ms | ratio | target | met |");
            let _ = writeln!(
                md,
                "|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---|---|"
            );
            for row in &run.rows {
                let _ = writeln!(
                    md,
                    "| {} | {} | {:.2} | {:.2} | {:.2} | {} | {} | {} | {} | {:.2}x | {} | {} |",
                    row.workload,
                    thousands(row.rate),
                    row.p50_ms,
                    row.p90_ms,
                    row.p99_ms,
                    row.baseline,
                    thousands(row.baseline_rate),
                    opt(row.baseline_p50_ms),
                    opt(row.baseline_p99_ms),
                    row.ratio,
                    row.target,
                    yes(row.met)
                );
            }
        }
        if !run.extra.curves.is_empty() {
            let _ = writeln!(
                md,
                "\n**Latency against load** (wrk, one run per connection count):\n"
            );
            let _ = writeln!(
                md,
                "| workload | server | connections | req/s | p50 ms | p90 ms | p99 ms |"
            );
            let _ = writeln!(md, "|---|---|---:|---:|---:|---:|---:|");
            for (workload, servers) in &run.extra.curves {
                for (server, runs) in servers {
                    for w in runs {
                        let _ = writeln!(
                            md,
                            "| {workload} | {server} | {} | {} | {:.2} | {:.2} | {:.2} |",
                            w.connections.unwrap_or(0),
                            thousands(w.rps),
                            w.p50,
                            w.p90,
                            w.p99
                        );
                    }
                }
            }
            image(&mut md, made, "serve-latency.svg");
        }
        if !run.extra.swap.is_empty() {
            let _ = writeln!(md, "\n**Hot swap under load** (`GET /v1/status/sign/{{serial}}`; per 0.25 s interval, the server's request counter and the latency of a probe client beside wrk, a request every 2 ms):\n");
            let _ = writeln!(md, "| swapped in | steady req/s | steady p99 ms | req/s during | p99 ms during | failed | new CRL served after | worst interval req/s | worst probe p99 ms | slowest probe ms | met |");
            let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
            for s in &run.extra.swap {
                let tl = &s.during.timeline;
                // The intervals from the rename until the new CRL answered.
                let around = tl
                    .iter()
                    .filter(|i| i.t > 0.0 && i.t <= s.served_after_s + 0.5);
                let worst_rps = around.clone().map(|i| i.rps).fold(f64::INFINITY, f64::min);
                let worst_p99 = around.clone().filter_map(|i| i.p99_ms).fold(0.0, f64::max);
                let slowest = around.filter_map(|i| i.max_ms).fold(0.0, f64::max);
                let _ = writeln!(
                    md,
                    "| sign.{} ({:.0} MiB, {} entries) | {} | {:.2} | {} | {:.2} | {} | {:.0} ms | {} | {:.2} | {:.2} | {} |",
                    s.what,
                    s.file_mib,
                    si(s.revoked as f64),
                    thousands(s.steady.rps),
                    s.steady.p99,
                    thousands(s.during.rps),
                    s.during.p99,
                    s.failed,
                    s.served_after_s * 1000.0,
                    if worst_rps.is_finite() { thousands(worst_rps) } else { String::new() },
                    worst_p99,
                    slowest,
                    yes(s.met)
                );
            }
            image(&mut md, made, "swap.svg");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1_234_567.8), "1,234,568");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(0.2), "0");
        assert_eq!(thousands(-1000.0), "-1,000");
    }
}
