//! Faults end to end (issue 11), on the real binary: processes killed with
//! SIGKILL at random points, a full and a read-only file system, one byte
//! flipped in an index, a torn evidence log, and pcscd dying under the
//! card front end. (A CRL going stale under a running server is tested
//! in-process in server/tests/it/status.rs.)
//!
//! Every loop and wait is bounded. Random choices come from a seed printed
//! by each test; `FAULTS_SEED=N` repeats a run. File systems are tmpfs
//! mounts (root only): without the right to mount, those tests skip
//! locally and fail under `CI=true`, like the other prerequisites.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant, SystemTime};

use kakunin_gen::Options;
use serde_json::Value;

use crate::card::{card_on, spawn_sign_on, stderr};
use crate::card_sim::{found, missing, pcscd_program, stop_pcscd, CardSim, PcscEnv, VPCD_DRIVER};
use crate::common::{at, evidence_entries, evidence_key, found_or_skip, gen, json_lines, kakunin};
use crate::serve::{
    crl_dir, data, drop_file, expected_serials, need_curl, oracle, s, sample_serials, serve_args,
    today, Served,
};

/// Entries on the big CRL: enough that `kakunin ingest` takes a good part
/// of a second in a debug build, so that kills land inside it.
const REVOKED: u64 = 200_000;

/// A small xorshift generator: the tests need spread, not quality, and its
/// seed is printed so that a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn new(test: &str) -> Rng {
        let seed = std::env::var("FAULTS_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                SystemTime::now()
                    .duration_since(SystemTime::UNIX_EPOCH)
                    .map_or(1, |d| d.as_nanos() as u64)
            });
        eprintln!("{test}: FAULTS_SEED={seed}");
        // One splitmix64 step, so that close seeds start far apart.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..=max`, to the microsecond.
    fn up_to(&mut self, max: Duration) -> Duration {
        Duration::from_micros(self.next() % (max.as_micros() as u64 + 1))
    }
}

/// Today's PKI of the sample's CAs (seed 1) with [`REVOKED`] entries per
/// CRL, and the two signing indexes the tests compare with: the sample's
/// CRL ("old") and today's big one ("new").
struct Big {
    /// `kakunin gen --out` (today, 30-day CRLs).
    pki: PathBuf,
    old_idx: PathBuf,
    new_idx: PathBuf,
    /// Serials of both bundles, and some never issued.
    probes: Vec<String>,
    /// How long one `kakunin ingest` of the big CRL took.
    ingest_time: Duration,
}

impl Big {
    fn crl(&self) -> PathBuf {
        self.pki.join("sign.crl")
    }

    fn ca(&self) -> PathBuf {
        self.pki.join("sign-ca.pem")
    }

    /// `kakunin ingest` of the big CRL into `out` (not waited for).
    fn spawn_ingest(&self, out: &Path) -> Child {
        Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["ingest", "--quiet", "--crl", s(&self.crl())])
            .args(["--ca", s(&self.ca()), "--out", s(out)])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start kakunin ingest")
    }
}

/// The big PKI, made once a day under the target directory (generating it
/// takes seconds in a debug build) and indexed once per test run.
fn big() -> &'static Big {
    static BIG: OnceLock<Big> = OnceLock::new();
    BIG.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let day = today();
        let name = format!("faults-{}-{REVOKED}", &day[..10]);
        let pki = root.join(&name);
        if !pki.join("expected.jsonl").exists() {
            // Other days' copies go; this one is made under a temporary
            // name and renamed, so a concurrent run never sees half of it.
            for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
                let n = entry.file_name().to_string_lossy().into_owned();
                if n.starts_with("faults-") && !n.starts_with(&name) {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
            let tmp = root.join(format!("{name}.tmp-{}", std::process::id()));
            gen(
                &tmp,
                &Options::new(at(&day))
                    .seed(1)
                    .crl_days(30)
                    .revoked(REVOKED)
                    .certs(100)
                    .holders(0),
            );
            if std::fs::rename(&tmp, &pki).is_err() {
                // Another run made it first.
                let _ = std::fs::remove_dir_all(&tmp);
            }
        }
        let (old_idx, new_idx) = (pki.join("old.idx"), pki.join("new.idx"));
        crate::serve::ingest(&data("sign.crl"), "sign-ca.pem", &old_idx);
        let started = Instant::now();
        crate::serve::ingest(&pki.join("sign.crl"), "sign-ca.pem", &new_idx);
        let ingest_time = started.elapsed();
        let mut probes = sample_serials("sign");
        probes.extend(expected_serials(&pki.join("expected.jsonl"), "sign"));
        Big {
            pki,
            old_idx,
            new_idx,
            probes,
            ingest_time,
        }
    })
}

/// `kakunin status` on the old and on the new index.
fn both_answers(big: &Big, serials: &[String]) -> (Vec<Value>, Vec<Value>) {
    let old = oracle(&big.old_idx, serials);
    let new = oracle(&big.new_idx, serials);
    assert_ne!(old, new, "the two CRLs must answer differently");
    (old, new)
}

/// Which of `old` and `new` the answers `got` are, whole; panics on a mix
/// or anything else.
fn old_or_new(got: &[Value], old: &[Value], new: &[Value], what: &str) -> &'static str {
    if got == old {
        "old"
    } else if got == new {
        "new"
    } else {
        panic!("{what}: answers of neither the old nor the new CRL: {got:?}")
    }
}

/// Temporary files `kakunin ingest` left in `dir` (a killed writer cannot
/// remove its own).
fn temp_files(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .expect("list directory")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect()
}

/// Waits (bounded) until ingest's temporary file appears in `dir`, or the
/// child ends first; whether it appeared.
fn wait_for_temp(dir: &Path, child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if !temp_files(dir).is_empty() {
            return true;
        }
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    false
}

#[test]
fn ingest_killed_at_random_points_leaves_the_old_or_the_new_index_whole() {
    let big = big();
    let mut rng = Rng::new("ingest_killed");
    let work = kakunin_testkit::tempdir();
    let out = work.path().join("sign.idx");
    let (old, new) = (
        std::fs::read(&big.old_idx).unwrap(),
        std::fs::read(&big.new_idx).unwrap(),
    );
    let (want_old, want_new) = both_answers(big, &big.probes);
    let (mut seen, mut mid_write, mut strays) = (Vec::new(), 0, 0);
    for kill in 0..16 {
        drop_file(work.path(), "sign.idx", &old);
        let mut child = big.spawn_ingest(&out);
        // Even kills: anywhere in a whole run. Odd ones: while the index
        // is being written (its temporary file exists).
        let delay = if kill % 2 == 0 {
            rng.up_to(big.ingest_time * 11 / 10)
        } else if wait_for_temp(work.path(), &mut child) {
            rng.up_to(Duration::from_millis(3))
        } else {
            Duration::ZERO
        };
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().expect("wait for ingest");
        let temps = temp_files(work.path());
        if temps.len() > strays {
            mid_write += 1;
        }
        strays = temps.len();
        // What a killed ingest leaves is hidden and not an index name, so
        // `kakunin serve` never takes it for one.
        for t in &temps {
            assert!(t.starts_with(".kakunin-index-"), "stray file {t}");
        }
        let what = format!("kill {kill} after {delay:?} ({status})");
        let got = std::fs::read(&out).expect("sign.idx is still there");
        let answers = oracle(&out, &big.probes);
        let which = old_or_new(&answers, &want_old, &want_new, &what);
        let bytes = if got == old { "old" } else { "new" };
        assert!(got == old || got == new, "{what}: neither file");
        assert_eq!(which, bytes, "{what}");
        seen.push(which);
    }
    eprintln!("ingest kills: {seen:?}; {mid_write} while writing the index");
    assert!(mid_write > 0, "no kill landed while the index was written");
    // A server on that directory serves sign.idx and never looks at the
    // temporary files beside it.
    if need_curl() {
        let srv = Served::start(&serve_args(work.path(), &[]));
        let want = oracle(&out, &big.probes);
        assert_eq!(srv.status_batch("sign", &big.probes), want);
        let log = srv.stderr_text();
        assert!(!log.contains(".kakunin-index-"), "{log}");
    }
}

/// The server's answers for `serials` of the signing CA, in one request.
#[test]
fn serve_killed_mid_reload_restarts_on_a_whole_index() {
    if !need_curl() {
        return;
    }
    let big = big();
    let mut rng = Rng::new("serve_killed");
    let probes: Vec<String> = big.probes.iter().step_by(4).cloned().collect();
    let (want_old, want_new) = both_answers(big, &probes);
    let crl = std::fs::read(big.crl()).unwrap();
    let answers = |srv: &Served| srv.status_batch("sign", &probes);
    for round in 0..3 {
        let dir = crl_dir(&["sign.crl", "auth.crl"]);
        let srv = Served::start(&serve_args(dir.path(), &[]));
        drop_file(dir.path(), "sign.crl", &crl);
        // A reload takes about as long as an ingest.
        let delay = rng.up_to(big.ingest_time * 3 / 2);
        std::thread::sleep(delay);
        let what = format!("round {round}, killed {delay:?} after the rename");
        let before = old_or_new(&answers(&srv), &want_old, &want_new, &what);
        drop(srv); // SIGKILL
        let srv = Served::start(&serve_args(dir.path(), &[]));
        let after = old_or_new(&answers(&srv), &want_old, &want_new, &what);
        eprintln!("{what}: served {before} before, {after} after the restart");
        assert_eq!(
            after, "new",
            "{what}: the new CRL is the one in the directory"
        );
        let key = want_new[0]["issuer"].as_str().unwrap();
        assert_eq!(
            srv.metric(&format!(
                "kakunin_crl_entries{{issuer=\"{key}\",alias=\"sign\"}} "
            )),
            REVOKED as f64,
            "{what}: every entry"
        );
    }
}

/// A tmpfs mounted on a fresh directory, unmounted on drop (even when the
/// test panics). Mounting needs root: `None` (a skip, or a failure in CI)
/// when it is refused.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Option<Tmpfs> {
        let dir = kakunin_testkit::tempdir();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output();
        let ok = out.as_ref().is_ok_and(|o| o.status.success());
        if !found_or_skip("the right to mount a tmpfs (root)", ok) {
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `mount -o remount,OPTIONS`.
    fn remount(&self, options: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .output()
            .expect("run mount");
        assert!(out.status.success(), "remount,{options}: {}", stderr(&out));
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let umount = |lazy: bool| {
            let mut cmd = Command::new("umount");
            if lazy {
                cmd.arg("-l");
            }
            cmd.arg(self.dir.path()).status().is_ok_and(|s| s.success())
        };
        // Lazily if something (a server being dropped) still holds it.
        if !umount(false) {
            umount(true);
        }
    }
}

/// The exit status is 2 and stderr names each of `needles`.
fn fails_naming(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
}

/// `kakunin verify --evidence EVIDENCE --evidence-key KEY` of the big
/// PKI's signing bundle, `copies` times over, against the new index; KEY
/// is `evidence-key.pem` beside EVIDENCE (made by [`evidence_key`]).
fn verify_with_evidence(big: &Big, evidence: &Path, copies: usize) -> Command {
    let key = evidence.with_file_name("evidence-key.pem");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kakunin"));
    cmd.args(["verify", "--quiet", "--trust", s(&big.ca())])
        .args(["--index", s(&big.new_idx), "--evidence", s(evidence)])
        .args(["--evidence-key", s(&key)])
        .args(std::iter::repeat_n(
            s(&big.pki.join("sign-certs.pem")),
            copies,
        ))
        .stdin(Stdio::null());
    cmd
}

/// Every line of the evidence file is a whole JSON entry; the status
/// records (checkpoints left out).
fn evidence_lines(evidence: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(evidence).expect("evidence file");
    assert!(text.is_empty() || text.ends_with('\n'), "torn last line");
    let records = evidence_entries(evidence, true);
    for v in &records {
        let r = &v["record"];
        assert!(
            v["kind"] == "status" && r["cert_sha256"].is_string() && r["sources"].is_array(),
            "{v}"
        );
    }
    records
}

/// `kakunin evidence verify --key` of EVIDENCE with the public half of the
/// key beside it: (exit code, stdout).
fn evidence_verify(evidence: &Path) -> (Option<i32>, String) {
    let public = evidence.with_file_name("evidence-pub.pem");
    let out = kakunin(&["evidence", "verify", "--key", s(&public), s(evidence)]);
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// After a run that was killed or failed, before the next one repairs the
/// file: the chain verifies up to the last whole line. Only a torn last
/// line (a crash mid-append) may break it, and whole lines after the last
/// checkpoint (a write cut at a line boundary) may be unsealed.
fn chain_whole_up_to_the_last_record(evidence: &Path, what: &str) {
    let (code, text) = evidence_verify(evidence);
    let torn = text.contains("BROKEN at") && text.contains("a crash mid-append");
    let unsealed_only = text.contains("NOT SEALED") && !text.contains("BROKEN at");
    let ok = code == Some(0) || (code == Some(1) && (torn || unsealed_only));
    assert!(ok, "{what}: {code:?}\n{text}");
}

/// Runs `kakunin verify --evidence` again (one bundle more) after a run
/// that failed or was killed: it must append after the last whole record,
/// every line must be whole JSON, and a torn tail, if there was one, must
/// have moved to `FILE.torn` and been reported. Returns the torn tail's
/// length.
fn restart_appends_after_the_last_whole_record(big: &Big, evidence: &Path, what: &str) -> usize {
    let torn = PathBuf::from(format!("{}.torn", evidence.display()));
    chain_whole_up_to_the_last_record(evidence, what);
    let before = std::fs::read(evidence).unwrap();
    let torn_before = std::fs::read(&torn).unwrap_or_default();
    let out = verify_with_evidence(big, evidence, 1)
        .stdout(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{what}: {}", stderr(&out));
    let kept = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let after = std::fs::read(evidence).unwrap();
    assert_eq!(after[..kept], before[..kept], "{what}: whole records kept");
    assert_eq!(
        evidence_lines(evidence).len(),
        count_records(&before[..kept]) + 100,
        "{what}"
    );
    // Repaired, sealed and continued: the whole chain verifies.
    let (code, text) = evidence_verify(evidence);
    assert_eq!(code, Some(0), "{what}: after the restart:\n{text}");
    let mut want_torn = torn_before;
    if kept < before.len() {
        want_torn.extend_from_slice(&before[kept..]);
        want_torn.push(b'\n');
        assert!(stderr(&out).contains(s(&torn)), "{what}: {}", stderr(&out));
    }
    assert_eq!(
        std::fs::read(&torn).unwrap_or_default(),
        want_torn,
        "{what}: the torn tail is kept"
    );
    before.len() - kept
}

#[test]
fn a_full_or_read_only_file_system_fails_clearly_and_keeps_the_old_index() {
    if !need_curl() {
        return;
    }
    let big = big();
    // The old index fits, the new one (1.7 MB) does not.
    let Some(fs) = Tmpfs::mount("1m") else {
        return;
    };
    let old = std::fs::read(&big.old_idx).unwrap();
    let target = fs.path().join("sign.idx");
    drop_file(fs.path(), "sign.idx", &old);
    let probes: Vec<String> = big.probes.iter().step_by(4).cloned().collect();
    let (want_old, _) = both_answers(big, &probes);
    let srv = Served::start(&serve_args(fs.path(), &[]));
    let still_serving = |what: &str| {
        for (serial, want) in probes.iter().zip(&want_old) {
            let (code, got) = srv.get_json(&format!("/v1/status/sign/{serial}"), &[]);
            assert_eq!((code, &got), (200, want), "{what}");
        }
    };
    still_serving("at start");

    // Disk full while the index is written.
    let out = big.spawn_ingest(&target).wait_with_output().unwrap();
    // Named: the index, and the temporary file that filled the disk.
    fails_naming(
        &out,
        &["No space left on device", s(&target), ".kakunin-index-"],
    );
    assert_eq!(std::fs::read(&target).unwrap(), old, "old index intact");
    assert_eq!(
        temp_files(fs.path()),
        Vec::<String>::new(),
        "temp file left"
    );
    still_serving("after a full disk");

    // Disk full while evidence is written: 4,000 records of ~800 bytes.
    evidence_key(fs.path());
    let evidence = fs.path().join("evidence.jsonl");
    let out = verify_with_evidence(big, &evidence, 40).output().unwrap();
    fails_naming(&out, &["No space left on device", s(&evidence)]);
    assert_eq!(std::fs::read(&target).unwrap(), old, "old index intact");
    // With room again, a new run appends after the last whole record.
    fs.remount("size=16m");
    let torn = restart_appends_after_the_last_whole_record(big, &evidence, "after a full disk");
    eprintln!("the full disk left a torn evidence tail of {torn} bytes");

    // A read-only file system.
    fs.remount("ro");
    let out = big.spawn_ingest(&target).wait_with_output().unwrap();
    fails_naming(&out, &["Read-only file system", s(&target)]);
    assert_eq!(std::fs::read(&target).unwrap(), old, "old index intact");
    let out = verify_with_evidence(big, &evidence, 1).output().unwrap();
    fails_naming(&out, &["Read-only file system", s(&evidence)]);
    still_serving("on a read-only file system");
    drop(srv);
}

/// The status records among whole lines of evidence.
fn count_records(bytes: &[u8]) -> usize {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .filter(|l| {
            let v: Value = serde_json::from_slice(l).expect("a whole line is JSON");
            v["kind"] != "checkpoint"
        })
        .count()
}

/// Bytes worth flipping in an index: header fields, the section table,
/// the middle of the bitmap and of the largest side table, the last byte.
/// Offsets from the section table (`engine/src/index/mod.rs`: 11 pairs of
/// little-endian u64 offset and length from byte 256).
fn flip_positions(idx: &[u8]) -> Vec<(&'static str, usize)> {
    let section = |i: usize| {
        let at = 256 + 16 * i;
        let word = |at: usize| u64::from_le_bytes(idx[at..at + 8].try_into().unwrap()) as usize;
        (word(at), word(at + 8))
    };
    let (bitmap, bitmap_len) = section(0);
    let (side, side_len) = (6..=9).map(section).max_by_key(|&(_, len)| len).unwrap();
    assert!(bitmap_len > 0 && side_len > 0, "bitmap and side tables");
    vec![
        ("the stored body checksum", 26),
        ("a header field", 100),
        ("the section table", 256 + 3),
        ("the bitmap", bitmap + bitmap_len / 2),
        ("a side table", side + side_len / 2),
        ("the last byte", idx.len() - 1),
    ]
}

#[test]
fn one_flipped_byte_anywhere_in_an_index_is_refused_and_the_server_keeps_its_snapshot() {
    if !need_curl() {
        return;
    }
    let big = big();
    let probes: Vec<String> = big.probes.iter().step_by(4).cloned().collect();
    let (want_old, want_new) = both_answers(big, &probes);
    let new = std::fs::read(&big.new_idx).unwrap();
    let dir = kakunin_testkit::tempdir();
    drop_file(
        dir.path(),
        "sign.idx",
        &std::fs::read(&big.old_idx).unwrap(),
    );
    let srv = Served::start(&serve_args(dir.path(), &[]));
    let served = || srv.status_batch("sign", &probes);
    assert_eq!(served(), want_old);
    let work = kakunin_testkit::tempdir();
    for (n, (what, at)) in flip_positions(&new).into_iter().enumerate() {
        let mut bad = new.clone();
        bad[at] ^= 0x01;
        let file = work.path().join(format!("flipped-{at}.idx"));
        std::fs::write(&file, &bad).unwrap();
        // `kakunin status` refuses it.
        let out = kakunin(&["status", "--index", s(&file), &probes[0]]);
        fails_naming(&out, &["checksum", s(&file)]);
        assert!(out.stdout.is_empty(), "{what}: answers from a bad index");
        // `kakunin verify --index` refuses it, names it, and no
        // certificate comes out valid.
        let out = Command::new(env!("CARGO_BIN_EXE_kakunin"))
            .args(["verify", "--quiet", "--trust", s(&big.ca())])
            .args(["--index", s(&file), s(&big.pki.join("sign-certs.pem"))])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(
            err.contains("refused") && err.contains("checksum") && err.contains(s(&file)),
            "{what}: {err}"
        );
        let lines = json_lines(&out);
        assert!(lines.iter().all(|l| l["status"] != "valid"), "{what}");
        assert!(lines.iter().any(|l| l["status"] == "unknown"), "{what}");
        // Renamed over the served index: refused and counted; the old
        // snapshot answers on.
        drop_file(dir.path(), "sign.idx", &bad);
        srv.wait_for("the flipped index to be refused", || {
            srv.metric("kakunin_reload_failures_total{kind=\"idx\"}") >= (n + 1) as f64
        });
        assert_eq!(served(), want_old, "{what}: the previous snapshot");
        assert!(srv.stderr_text().contains("checksum"), "{what}");
    }
    // The same file unflipped is taken: the refusals were the bytes.
    drop_file(dir.path(), "sign.idx", &new);
    srv.wait_for("the good index to be served", || served() == want_new);
}

#[test]
fn verify_killed_mid_batch_never_leaves_a_torn_evidence_line() {
    let big = big();
    let mut rng = Rng::new("evidence_killed");
    let work = kakunin_testkit::tempdir();
    let evidence = work.path().join("evidence.jsonl");
    evidence_key(work.path());
    const COPIES: usize = 20;
    let started = Instant::now();
    let out = verify_with_evidence(big, &evidence, COPIES)
        .output()
        .unwrap();
    let whole_run = started.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(evidence_lines(&evidence).len(), COPIES * 100);
    assert_eq!(
        evidence_verify(&evidence).0,
        Some(0),
        "the whole run verifies"
    );

    let restart = |what: &str| restart_appends_after_the_last_whole_record(big, &evidence, what);
    let mut torn_tails = 0;
    for kill in 0..10 {
        let mut child = verify_with_evidence(big, &evidence, COPIES)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let delay = rng.up_to(whole_run);
        std::thread::sleep(delay);
        let _ = child.kill();
        let status = child.wait().unwrap();
        if restart(&format!("kill {kill} after {delay:?} ({status})")) > 0 {
            torn_tails += 1;
        }
    }
    eprintln!("evidence kills: {torn_tails} of 10 left a torn tail");
    // A torn tail made by hand: half a record.
    let text = std::fs::read(&evidence).unwrap();
    let last = &text[..text.len() - 1];
    let start = last.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    let half = &last[start..start + (last.len() - start) / 2];
    std::fs::OpenOptions::new()
        .append(true)
        .open(&evidence)
        .unwrap()
        .write_all(half)
        .unwrap();
    assert_eq!(restart("half a line appended"), half.len());
}

/// A pcscd of this test's own, so that killing it disturbs no other test
/// and no pcscd this test did not start: in a mount namespace of its own
/// (`unshare --mount`), where a directory of the test stands in for
/// `/run/pcscd`, with a reader.conf.d that puts vpcd on ports no other test
/// uses. Clients find it through `PCSCLITE_CSOCK_NAME`.
struct PrivatePcscd {
    dir: tempfile::TempDir,
    child: Option<Child>,
    pcsc: PcscEnv,
}

/// Ports for the private pcscd's vpcd (slot 0; slot 1 is the next port),
/// tried in turn: below Linux's ephemeral range (32768 up), so that no
/// client socket of a parallel test takes one between a kill and a restart.
const PRIVATE_VPCD_PORTS: [u16; 3] = [31869, 31969, 30869];

/// Whether nothing listens on `port` (or holds it) now.
fn port_free(port: u16) -> bool {
    std::net::TcpListener::bind(("0.0.0.0", port)).is_ok()
}

impl PrivatePcscd {
    fn start(test: &str) -> Option<PrivatePcscd> {
        for program in ["opensc-tool", "unshare"] {
            if !found(program) {
                return missing(test, &format!("{program} not found"));
            }
        }
        if !found(pcscd_program()) {
            return missing(test, "pcscd not found");
        }
        if !Path::new(VPCD_DRIVER).exists() {
            return missing(test, &format!("no vpcd driver at {VPCD_DRIVER}"));
        }
        let Some(port) = PRIVATE_VPCD_PORTS
            .into_iter()
            .find(|&p| port_free(p) && port_free(p + 1))
        else {
            return missing(
                test,
                &format!("no free port pair of {PRIVATE_VPCD_PORTS:?}"),
            );
        };
        let dir = kakunin_testkit::tempdir();
        for d in ["run", "conf"] {
            std::fs::create_dir(dir.path().join(d)).unwrap();
        }
        std::fs::write(
            dir.path().join("conf/vpcd"),
            format!(
                "FRIENDLYNAME \"Virtual PCD\"\nDEVICENAME /dev/null:0x{port:X}\n\
                 LIBPATH {VPCD_DRIVER}\nCHANNELID 0x{port:X}\n"
            ),
        )
        .unwrap();
        let pcsc = PcscEnv {
            socket: Some(dir.path().join("run/pcscd.comm")),
            vpcd: format!("127.0.0.1:{port}"),
            reader: "Virtual PCD 00 00".into(),
        };
        let mut me = PrivatePcscd {
            dir,
            child: None,
            pcsc,
        };
        if let Err(e) = me.spawn() {
            return missing(test, &format!("cannot start pcscd under unshare: {e}"));
        }
        if !me.ready() {
            return missing(
                test,
                &format!("a pcscd of its own (unshare --mount, root; vpcd on port {port}) lists no reader"),
            );
        }
        Some(me)
    }

    /// Starts pcscd as CI does (`pcscd -f`, stdin from /dev/null), in its
    /// own mount namespace.
    fn spawn(&mut self) -> std::io::Result<()> {
        let script =
            "mkdir -p /run/pcscd && mount --bind \"$1\" /run/pcscd && exec \"$2\" -f -c \"$3\"";
        let child = Command::new("unshare")
            .args([
                "--mount",
                "--propagation",
                "private",
                "sh",
                "-c",
                script,
                "sh",
            ])
            .arg(self.dir.path().join("run"))
            .arg(pcscd_program())
            .arg(self.dir.path().join("conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    /// Waits (bounded) until it lists the reader; false if it died first.
    fn ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if self.pcsc.lists_reader() {
                return true;
            }
            if let Some(Ok(Some(_))) = self.child.as_mut().map(Child::try_wait) {
                return false;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// SIGKILL: no goodbye to clients, its socket file left behind.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for PrivatePcscd {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            stop_pcscd(child);
        }
    }
}

/// Waits (at most `within`) for `child` to exit; its output. A child still
/// running then is killed and the test fails: a hang.
fn exits_within(mut child: Child, within: Duration, what: &str) -> Output {
    let deadline = Instant::now() + within;
    while child.try_wait().expect("try_wait").is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("{what} hangs");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn pcscd_killed_under_card_and_card_sim_gives_clear_errors_and_the_card_comes_back() {
    let Some(mut pcscd) = PrivatePcscd::start("pcscd_killed") else {
        return;
    };
    let pcsc = pcscd.pcsc.clone();
    let tmp = kakunin_testkit::tempdir();
    std::fs::write(tmp.path().join("doc"), "kakunin faults").unwrap();
    let mut sim = CardSim::start_on(&pcsc, &data(""), 1, &tmp.path().join("state.json"));
    let out = card_on(&pcsc, &["info", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));

    // pcscd dies while `card sign` holds the card and waits for its PIN.
    let mut sign = spawn_sign_on(&pcsc, "auth", tmp.path());
    std::thread::sleep(Duration::from_millis(1500));
    assert!(sign.try_wait().unwrap().is_none(), "card sign ended early");
    pcscd.kill();
    sign.stdin.take().unwrap().write_all(b"1234\n").unwrap();
    let out = exits_within(sign, Duration::from_secs(20), "card sign without pcscd");
    fails_naming(&out, &["smart-card service (pcscd) stopped"]);
    assert!(!stderr(&out).contains("1234"), "the PIN is in the error");
    eprintln!("card sign as pcscd died: {}", stderr(&out).trim());

    // While it is down, a new command says so at once.
    let started = Instant::now();
    let info = pcsc
        .command(env!("CARGO_BIN_EXE_kakunin"))
        .args(["card", "info", "--reader", &pcsc.reader, "--wait", "10"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let out = exits_within(info, Duration::from_secs(20), "card info without pcscd");
    fails_naming(&out, &["smart-card service is not running", "pcscd"]);
    eprintln!("card info without pcscd: {}", stderr(&out).trim());
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(sim.is_running(), "card-sim gave up while pcscd was down");

    // pcscd back, started the same way: the card comes back by itself.
    pcscd.spawn().expect("restart pcscd");
    assert!(pcscd.ready(), "pcscd did not come back");
    assert!(
        sim.inserted_within(Duration::from_secs(30)),
        "card-sim did not reconnect"
    );
    let out = card_on(&pcsc, &["info", "--json"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        info["pins"]["auth"]["tries_left"], 3,
        "no try spent: {info}"
    );
    assert_eq!(sim.stop().code(), Some(0));
}
