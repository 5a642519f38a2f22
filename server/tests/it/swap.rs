//! Hot swap: a newer CRL renamed into the watched directory, then forged,
//! truncated and older ones and prebuilt indexes, one keep-alive client
//! asking meanwhile; and under load, clients on keep-alive connections
//! asking `GET /v1/status`, `GET /ocsp/{base64}` (no nonce: the response
//! cache) and `POST /ocsp` (with a nonce: a signature each time). The
//! oracle is `kakunin status` (its library calls) on the old and on the
//! new CRL; OCSP requests are made by `openssl ocsp -reqout`, responses
//! decoded with x509-ocsp and spot-checked by `openssl ocsp -respin`.
//! Refusals are checked in the servers' captured log. Every loop is
//! bounded.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde_json::Value;

use kakunin_server::Config;
use kakunin_testkit::ocsp::{
    b64, ocsp_answer, ocsp_request_nonce, openssl_check_response, openssl_request_with,
    status_as_ocsp,
};

use crate::common::{
    config, crl_dir, data, drop_file, ingest, log_lines_naming, need_curl, oracle, same_answer,
    sample_signer, KeepAlive, Library, NewerSign, Reply, Served,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Status,
    OcspGet,
    OcspPost,
}

/// Which CRL an answer came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Crl {
    Old,
    New,
}

/// A serial asked about, what each CRL says of it, and its OCSP requests.
struct Probe {
    serial: String,
    old: Value,
    new: Value,
    sha256: bool,
    /// `/ocsp/{base64}` of a nonce-less request.
    get_path: String,
    /// A request with a nonce, for POST.
    post_body: Vec<u8>,
}

/// One answered request.
struct Seen {
    kind: Kind,
    probe: usize,
    sent: Instant,
    got: Instant,
    crl: Crl,
}

/// What a client thread has done so far, for the main thread to wait on.
#[derive(Default)]
struct Progress {
    answers: AtomicUsize,
    new: AtomicUsize,
}

/// What a client hands back: every answer, and the first OCSP response body
/// of each (kind, probe, CRL) for openssl to check afterwards.
type ClientRun = (Vec<Seen>, HashMap<(Kind, usize, Crl), Vec<u8>>);

/// The CRL `reply` to a request of `kind` about `p` came from; panics when
/// it is neither the old nor the new CRL's answer, or not a 200.
fn which_crl(kind: Kind, p: &Probe, reply: &Reply) -> Crl {
    assert_eq!(reply.code, 200, "{kind:?} {}: {}", p.serial, reply.text());
    let pick = |old: bool, new: bool, got: &dyn std::fmt::Debug| match (old, new) {
        (true, _) => Crl::Old,
        (_, true) => Crl::New,
        _ => panic!(
            "{kind:?} {}: {got:?} is neither the old CRL's {} nor the new one's {}",
            p.serial, p.old, p.new
        ),
    };
    if kind == Kind::Status {
        let got: Value = serde_json::from_slice(&reply.body).expect("status JSON");
        return pick(got == p.old, got == p.new, &got);
    }
    assert_eq!(
        reply.header("content-type"),
        Some("application/ocsp-response")
    );
    let mut got = ocsp_answer(&reply.body);
    if kind == Kind::OcspPost {
        assert_eq!(got.nonce, ocsp_request_nonce(&p.post_body), "nonce echo");
        got.nonce = None;
    } else {
        assert_eq!(got.nonce, None);
    }
    pick(
        got == status_as_ocsp(&p.old),
        got == status_as_ocsp(&p.new),
        &got,
    )
}

/// A client on one keep-alive connection, cycling through the probes until
/// `stop` (or a 120 s bound).
fn client(
    addr: String,
    kind: Kind,
    probes: Arc<Vec<Probe>>,
    stop: Arc<AtomicBool>,
    progress: Arc<Progress>,
) -> JoinHandle<ClientRun> {
    std::thread::spawn(move || {
        let mut conn = KeepAlive::connect(&addr);
        let deadline = Instant::now() + Duration::from_secs(120);
        let (mut seen, mut bodies) = (Vec::new(), HashMap::new());
        let mut n = 0usize;
        while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
            let i = n % probes.len();
            let p = &probes[i];
            let sent = Instant::now();
            let reply = match kind {
                Kind::Status => {
                    conn.request("GET", &format!("/v1/status/sign/{}", p.serial), &[], &[])
                }
                Kind::OcspGet => conn.request("GET", &p.get_path, &[], &[]),
                Kind::OcspPost => conn.request(
                    "POST",
                    "/ocsp",
                    &[("Content-Type", "application/ocsp-request")],
                    &p.post_body,
                ),
            };
            let got = Instant::now();
            let crl = which_crl(kind, p, &reply);
            if kind != Kind::Status {
                bodies.entry((kind, i, crl)).or_insert(reply.body);
            }
            seen.push(Seen {
                kind,
                probe: i,
                sent,
                got,
                crl,
            });
            progress.answers.fetch_add(1, Ordering::Relaxed);
            if crl == Crl::New {
                progress.new.fetch_add(1, Ordering::Relaxed);
            }
            n += 1;
        }
        (seen, bodies)
    })
}

/// Waits (bounded) until every client's progress passes `cond`; a client
/// that stopped early (it panicked) fails the test with its own message.
fn wait_clients(
    what: &str,
    clients: &mut Vec<JoinHandle<ClientRun>>,
    progress: &[Arc<Progress>],
    cond: impl Fn(usize, &Progress) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if let Some(i) = clients.iter().position(|c| c.is_finished()) {
            let c = clients.remove(i);
            match c.join() {
                Err(panic) => std::panic::resume_unwind(panic),
                Ok(_) => panic!("a client stopped early, waiting for {what}"),
            }
        }
        if progress.iter().enumerate().all(|(i, p)| cond(i, p)) {
            return;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("timed out waiting for {what}");
}

#[test]
fn serve_swap_under_status_and_ocsp_load_answers_old_or_new_never_flips_back_and_refuses_bad_crls()
{
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let srv = Served::start(Config {
        ocsp: sample_signer(),
        ..config(dir.path())
    });
    let work = kakunin_testkit::tempdir();
    let newer = NewerSign::make(work.path(), &Library);

    // Probes: newly revoked (good, then revoked), revoked on both CRLs, and
    // never revoked.
    let old_revoked: Vec<String> = newer
        .serials
        .iter()
        .filter(|s| !newer.newly.contains(s))
        .take(3)
        .cloned()
        .collect();
    let mut serials: Vec<String> = newer.newly.iter().take(6).cloned().collect();
    serials.extend(old_revoked);
    serials.extend(["01", "0123456789ABCDEF"].map(String::from));
    let old = oracle(&newer.old_idx, &serials);
    let new = oracle(&newer.new_idx, &serials);
    let ca = data("sign-ca.pem");
    let probes: Vec<Probe> = serials
        .iter()
        .zip(old.into_iter().zip(new))
        .enumerate()
        .map(|(i, (serial, (old, new)))| {
            let sha256 = i % 2 == 1;
            Probe {
                serial: serial.clone(),
                old,
                new,
                sha256,
                get_path: format!(
                    "/ocsp/{}",
                    b64(&openssl_request_with(&ca, serial, sha256, false))
                ),
                post_body: openssl_request_with(&ca, serial, sha256, true),
            }
        })
        .collect();
    let statuses = |crl: fn(&Probe) -> &Value| -> Vec<String> {
        probes
            .iter()
            .map(|p| crl(p)["status"].as_str().unwrap().to_string())
            .collect()
    };
    let (old_status, new_status) = (statuses(|p| &p.old), statuses(|p| &p.new));
    assert_eq!(&old_status[..6], ["good"; 6], "newly revoked: good before");
    assert_eq!(&new_status[..9], ["revoked"; 9], "{new_status:?}");
    assert_eq!(&old_status[6..9], ["revoked"; 3]);
    assert_eq!(&new_status[9..], ["good"; 2]);
    let probes = Arc::new(probes);

    let stop = Arc::new(AtomicBool::new(false));
    let kinds = [Kind::Status, Kind::OcspGet, Kind::OcspPost];
    let progress: Vec<Arc<Progress>> = kinds.iter().map(|_| Arc::default()).collect();
    let mut clients: Vec<JoinHandle<ClientRun>> = kinds
        .iter()
        .zip(&progress)
        .map(|(&kind, p)| {
            client(
                srv.addr().to_string(),
                kind,
                probes.clone(),
                stop.clone(),
                p.clone(),
            )
        })
        .collect();
    wait_clients("the load to start", &mut clients, &progress, |_, p| {
        p.answers.load(Ordering::Relaxed) >= 2 * probes.len()
    });
    assert!(progress.iter().all(|p| p.new.load(Ordering::Relaxed) == 0));

    // The newer CRL, renamed over the old one.
    drop_file(dir.path(), "sign.crl", &newer.crl);
    let renamed = Instant::now();
    wait_clients(
        "every client to see the new CRL",
        &mut clients,
        &progress,
        |_, p| p.new.load(Ordering::Relaxed) >= probes.len(),
    );

    // Forged (one signature bit flipped), truncated and older (the
    // sample's, under another name): each refused and counted while the
    // load goes on. (Names no other test uses: the log is the process's.)
    let failures = "kakunin_reload_failures_total{kind=\"crl\"}";
    assert_eq!(srv.metric(failures), 0.0);
    let mut forged = newer.crl.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    let older = std::fs::read(data("sign.crl")).unwrap();
    let bad: [(&str, &[u8]); 3] = [
        ("swap-forged.crl", &forged),
        ("swap-truncated.crl", &newer.crl[..newer.crl.len() / 2]),
        ("swap-older.crl", &older),
    ];
    for (n, (name, bytes)) in bad.iter().enumerate() {
        drop_file(dir.path(), name, bytes);
        srv.wait_for(&format!("{name} to be refused"), || {
            srv.metric(failures) >= (n + 1) as f64
        });
    }
    let after: Vec<usize> = progress
        .iter()
        .map(|p| p.answers.load(Ordering::Relaxed))
        .collect();
    wait_clients(
        "more answers after the refusals",
        &mut clients,
        &progress,
        |i, p| p.answers.load(Ordering::Relaxed) >= after[i] + 2 * probes.len(),
    );
    stop.store(true, Ordering::Relaxed);
    let mut seen = Vec::new();
    let mut bodies = HashMap::new();
    for c in clients {
        let (s, b) = c.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
        seen.extend(s);
        bodies.extend(b);
    }

    // Nothing new before the rename; the first new answer within 1 s of
    // it; and from then on only new answers, on every connection, whatever
    // was dropped after.
    assert!(seen
        .iter()
        .filter(|r| r.got < renamed)
        .all(|r| r.crl == Crl::Old));
    let first_new = seen
        .iter()
        .filter(|r| r.crl == Crl::New)
        .map(|r| r.got)
        .min()
        .expect("new answers");
    let visible = first_new.duration_since(renamed);
    for r in &seen {
        assert!(
            r.crl == Crl::New || r.sent <= first_new,
            "{:?} {}: an old answer {:?} after the first new one",
            r.kind,
            probes[r.probe].serial,
            r.sent.duration_since(first_new)
        );
    }
    let count = |kind: Kind, crl: Crl| {
        seen.iter()
            .filter(|r| r.kind == kind && r.crl == crl)
            .count()
    };
    eprintln!(
        "new CRL visible {visible:?} after the rename; answers (old, new): {:?}",
        kinds.map(|k| (k, count(k, Crl::Old), count(k, Crl::New)))
    );
    assert!(visible < Duration::from_secs(1), "{visible:?}");
    for kind in kinds {
        for crl in [Crl::Old, Crl::New] {
            let n = seen
                .iter()
                .filter(|r| r.kind == kind && r.crl == crl && r.probe < 6)
                .count();
            assert!(
                n > 0,
                "no {crl:?} answer about a newly revoked serial by {kind:?}"
            );
        }
    }

    // The OCSP answers verify with openssl and say good before, revoked
    // after (the first newly revoked serial, GET and POST).
    let p = &probes[0];
    for (crl, want) in [(Crl::Old, "good"), (Crl::New, "revoked")] {
        let body = &bodies[&(Kind::OcspGet, 0, crl)];
        let out = openssl_check_response(body, &ca, &p.serial, p.sha256);
        assert!(out.contains("Response verify OK"), "{out}");
        assert!(out.contains(&format!("0x{}: {want}", p.serial)), "{out}");
    }

    // The refusals: counted, logged with their reasons; the server is up.
    assert_eq!(srv.metric(failures), 3.0);
    assert!(srv.metric("kakunin_reload_successes_total{kind=\"crl\"}") >= 1.0);
    let mut log = Vec::new();
    for (name, _) in &bad {
        let lines = log_lines_naming(name);
        assert!(!lines.is_empty(), "{name}: not in the log");
        log.extend(lines);
    }
    let log = log.join("\n");
    assert!(
        log.contains("signature") && log.contains("rollback"),
        "{log}"
    );
    assert!(srv.is_running());
    assert_eq!(srv.curl("/healthz", &[]).0, 200);
    assert_eq!(srv.curl("/readyz", &[]).0, 200);
}

/// The log lines naming `file`, which must come (the refusal is counted
/// just before it is logged).
fn logged(srv: &Served, file: &str) -> String {
    srv.wait_for(&format!("{file} in the log"), || {
        !log_lines_naming(file).is_empty()
    });
    log_lines_naming(file).join("\n")
}

#[test]
fn hot_swap_takes_newer_crls_and_refuses_forged_truncated_and_older_ones() {
    if !need_curl() {
        return;
    }
    let dir = crl_dir(&["sign.crl", "auth.crl"]);
    let srv = Served::start(config(dir.path()));
    let work = kakunin_testkit::tempdir();

    let NewerSign {
        gen,
        crl: new_sign,
        old_idx,
        new_idx,
        serials: new_serials,
        newly,
    } = NewerSign::make(work.path(), &Library);
    let probe = newly[0].clone();
    let status_of = |serial: &str| srv.get_json(&format!("/v1/status/sign/{serial}"), &[]).1;
    let old_number = status_of(&probe)["crl_number"].clone();
    assert_eq!(status_of(&probe)["status"], "good");

    // Forged (one signature bit flipped) and truncated copies: refused,
    // counted, nothing changes. (Names no other test uses: the log is the
    // process's.)
    let mut forged = new_sign.clone();
    let last = forged.len() - 1;
    forged[last] ^= 0x01;
    drop_file(dir.path(), "hot-forged.crl", &forged);
    srv.wait_for("the forged CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 1.0
    });
    drop_file(
        dir.path(),
        "hot-truncated.crl",
        &new_sign[..new_sign.len() / 2],
    );
    srv.wait_for("the truncated CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 2.0
    });
    let a = status_of(&probe);
    assert_eq!(
        (a["status"].as_str(), &a["crl_number"]),
        (Some("good"), &old_number)
    );
    let log = logged(&srv, "hot-forged.crl");
    assert!(log.contains("signature"), "{log}");
    logged(&srv, "hot-truncated.crl");

    // The new CRL renamed over the old while a client keeps asking on one
    // keep-alive connection: every answer is 200 and equals `kakunin
    // status` on the old or on the new CRL (never a mix), and the new
    // revocations are visible within 1 s of the rename.
    let mut probes: Vec<String> = newly.iter().take(20).map(|s| s.to_string()).collect();
    probes.extend(new_serials.iter().step_by(101).cloned());
    probes.push("01".into());
    let expect: std::collections::HashMap<(String, String), Value> = oracle(&old_idx, &probes)
        .into_iter()
        .chain(oracle(&new_idx, &probes))
        .map(|a| {
            (
                (
                    a["serial"].as_str().unwrap().to_string(),
                    a["crl_number"].to_string(),
                ),
                a,
            )
        })
        .collect();
    let new_number = oracle(&new_idx, &probes[..1])[0]["crl_number"].clone();
    assert_ne!(new_number, old_number);
    let addr = srv.addr().to_string();
    let sent = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let load = {
        let sent = sent.clone();
        let new_number = new_number.to_string();
        std::thread::spawn(move || {
            let mut conn = KeepAlive::connect(&addr);
            let deadline = Instant::now() + Duration::from_secs(30);
            let (mut first_new, mut new_answers) = (None, 0usize);
            let mut n = 0usize;
            while new_answers < 300 && Instant::now() < deadline {
                let serial = &probes[n % probes.len()];
                let (code, body) = conn.get(&format!("/v1/status/sign/{serial}"));
                assert_eq!(code, 200, "{body}");
                let got: Value = serde_json::from_str(&body).unwrap();
                let key = (serial.to_uppercase(), got["crl_number"].to_string());
                let want = expect
                    .get(&key)
                    .unwrap_or_else(|| panic!("answer from an unknown CRL: {got}"));
                assert_eq!(&got, want);
                if key.1 == new_number {
                    first_new.get_or_insert_with(Instant::now);
                    new_answers += 1;
                } else {
                    assert!(first_new.is_none(), "an old answer after a new one: {got}");
                }
                n += 1;
                sent.store(n, std::sync::atomic::Ordering::Relaxed);
            }
            (first_new, n)
        })
    };
    srv.wait_for("the load to start", || {
        sent.load(std::sync::atomic::Ordering::Relaxed) > 50
    });
    drop_file(dir.path(), "sign.crl", &new_sign);
    let renamed = Instant::now();
    let (first_new, requests) = load.join().expect("load thread");
    let first_new = first_new.expect("the new CRL was never served");
    let visible_after = first_new.saturating_duration_since(renamed);
    eprintln!("swap visible after {visible_after:?}, {requests} requests under load");
    assert!(visible_after < Duration::from_secs(1), "{visible_after:?}");
    assert_eq!(status_of(&probe)["status"], "revoked");
    let sample: Vec<String> = new_serials
        .iter()
        .step_by(37)
        .cloned()
        .chain(["01".to_string()])
        .collect();
    for (serial, w) in sample.iter().zip(oracle(&new_idx, &sample)) {
        same_answer(&status_of(serial), &w);
    }
    assert!(srv.metric("kakunin_reload_successes_total{kind=\"crl\"}") >= 1.0);

    // The sample's (older) CRL dropped again under another name: rollback,
    // refused; the new one keeps serving.
    drop_file(
        dir.path(),
        "hot-sign-old.crl",
        &std::fs::read(data("sign.crl")).unwrap(),
    );
    srv.wait_for("the older CRL to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"crl\"}") >= 3.0
    });
    assert_eq!(status_of(&probe)["status"], "revoked");
    let log = logged(&srv, "hot-sign-old.crl");
    assert!(log.contains("rollback"), "{log}");

    // Prebuilt indexes: a corrupted one is refused (checksum), a good one
    // swaps in.
    let auth_idx = work.path().join("auth.idx");
    ingest(&gen.join("auth.crl"), &data("auth-ca.pem"), &auth_idx);
    let idx = std::fs::read(&auth_idx).unwrap();
    let mut bad = idx.clone();
    let mid = bad.len() - 40;
    bad[mid] ^= 0xFF;
    drop_file(dir.path(), "bad.idx", &bad);
    srv.wait_for("the corrupted index to be refused", || {
        srv.metric("kakunin_reload_failures_total{kind=\"idx\"}") >= 1.0
    });
    let auth_before = srv.get_json("/v1/status/auth/01", &[]).1["crl_number"].clone();
    drop_file(dir.path(), "auth.idx", &idx);
    srv.wait_for("the auth index to be served", || {
        srv.get_json("/v1/status/auth/01", &[]).1["crl_number"] != auth_before
    });
    let auth_want = oracle(&auth_idx, &["01".to_string()]);
    same_answer(&srv.get_json("/v1/status/auth/01", &[]).1, &auth_want[0]);

    // An explicit reload from loopback reports nothing new. (SIGHUP, which
    // asks for the same, is sent to the `kakunin` process in
    // tools/tests/cli/serve.rs.)
    let (code, report) = srv.get_json("/admin/reload", &["-X", "POST"]);
    assert_eq!(code, 200, "{report}");
    assert_eq!(report["refused"], 0);
    let (code, _) = srv.curl("/healthz", &[]);
    assert_eq!(code, 200);
    let (code, _) = srv.curl("/readyz", &[]);
    assert_eq!(code, 200);
}
