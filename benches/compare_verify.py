#!/usr/bin/env python3
"""Batch verification rate of `kakunin verify` against OpenSSL's RSA verify rate.

In one run, on this machine:
  1. `openssl speed -seconds 3 rsa2048` gives OpenSSL's single-core RSA-2048
     verify rate (the floor of any certificate verifier);
  2. `kakunin gen` makes a JPKI-shaped PKI with --revoked revoked entries per
     CRL and --certs signing certificates (cached under --work);
  3. `kakunin ingest` indexes the signing CRL;
  4. `kakunin verify --index` checks every certificate of sign-certs.pem
     (path, signature, validity, revocation), best of --runs, output to
     /dev/null; peak RSS is reported too. With --threads 1,2 it runs once
     per thread count, with RAYON_NUM_THREADS set (`kakunin verify` uses
     rayon's global pool, which reads it; unset, it takes every core).
It prints certificates/s, the target (0.9 x OpenSSL single-core x threads)
and the ratio. The machine line (CPU model, family, flags) comes first;
--json FILE also writes the rows, the machine and this command line.

Usage: python3 benches/compare_verify.py [--certs 100000] [--revoked 10000000] [--runs 3]
                                         [--threads 1,2] [--stream-repeat N] [--json FILE]
"""

import argparse
import os
import re
import subprocess
import sys
import time

import machine

ROOT = machine.ROOT
# The PKI is generated and verified at this time, so that a cached PKI and
# its CRL stay current whatever day the bench runs.
AT = "2026-11-01T00:00:00Z"


def timed(cmd, runs, stdin_file=None, repeat=1, env=None):
    """Best wall time and peak RSS of `cmd` over `runs`; with stdin_file,
    that file is streamed `repeat` times into the command's stdin; `env`
    replaces the environment."""
    best, peak = None, 0.0
    for _ in range(runs):
        t0 = time.perf_counter()
        rfd, wfd = os.pipe() if stdin_file else (None, None)
        pid = os.fork()
        if pid == 0:
            fd = os.open(os.devnull, os.O_WRONLY)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            if rfd is not None:
                os.dup2(rfd, 0)
                os.close(rfd)
                os.close(wfd)
            os.execvpe(cmd[0], cmd, env if env is not None else os.environ)
        if rfd is not None:
            os.close(rfd)
            with os.fdopen(wfd, "wb") as w:
                for _ in range(repeat):
                    with open(stdin_file, "rb") as f:
                        while chunk := f.read(1 << 20):
                            w.write(chunk)
        _, status, ru = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
        code = os.waitstatus_to_exitcode(status)
        if code not in (0, 1):
            sys.exit(f"failed ({code}): {' '.join(cmd)}")
        best = dt if best is None else min(best, dt)
        peak = max(peak, ru.ru_maxrss / 1024.0)
    return best, peak


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--certs", type=int, default=100000)
    ap.add_argument("--revoked", type=int, default=10000000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--threads", default="", metavar="LIST",
                    help="comma-separated thread counts (RAYON_NUM_THREADS), e.g. 1,2; "
                         "default: one run on every core")
    ap.add_argument("--stream-repeat", type=int, default=0, metavar="N",
                    help="also stream sign-certs.pem N times through stdin (N x --certs certificates) "
                         "to show that memory does not grow with the batch")
    ap.add_argument("--work", default=os.path.join(ROOT, "benches", "out"))
    ap.add_argument("--wait-quiet", type=int, default=60, metavar="SECS",
                    help="before each measurement, wait at most this long for the CPUs to be <10%% busy")
    ap.add_argument("--json", metavar="FILE", help="also write the rows and the machine as JSON")
    a = ap.parse_args()
    m = machine.print_machine()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kakunin"], cwd=ROOT, check=True)
    kakunin = os.path.join(ROOT, "target", "release", "kakunin")
    cores = os.cpu_count() or 1

    machine.wait_quiet(a.wait_quiet)
    speed = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"],
                           capture_output=True, text=True, check=True).stdout
    mt = re.search(r"rsa\s+2048 bits\s+\S+\s+\S+\s+\S+\s+([0-9.]+)", speed)
    if not mt:
        sys.exit("cannot read `openssl speed` output:\n" + speed)
    ossl = float(mt.group(1))

    d = os.path.join(a.work, f"gen-{a.revoked}-{a.certs}-{AT[:10]}")
    if not os.path.exists(os.path.join(d, "expected.jsonl")):
        subprocess.run([kakunin, "gen", "--out", d, "--revoked", str(a.revoked), "--certs",
                        str(a.certs), "--holders", "1", "--crl-days", "3650", "--at", AT], check=True)
    idx = os.path.join(d, "sign.idx")
    subprocess.run([kakunin, "ingest", "--crl", os.path.join(d, "sign.crl"), "--ca",
                    os.path.join(d, "sign-ca.pem"), "--out", idx, "--quiet",
                    "--at", AT], check=True, capture_output=True)
    cmd = [kakunin, "verify", "--quiet", "--trust", os.path.join(d, "sign-ca.pem"),
           "--index", idx, "--at", AT, os.path.join(d, "sign-certs.pem")]
    print("| certificates | revoked entries in index | threads | openssl rsa2048 verify/s (1 core) | target (0.9 x 1-core x threads) | kakunin verify certs/s | ratio to target | kakunin peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []

    def measure(threads, n, stdin):
        """One row: `n` certificates on `threads` threads (None: every core)."""
        env = dict(os.environ)
        env.pop("RAYON_NUM_THREADS", None)
        if threads:
            env["RAYON_NUM_THREADS"] = str(threads)
        busy = machine.wait_quiet(a.wait_quiet)
        if stdin:
            secs, peak = timed(cmd[:-1] + ["-"], a.runs, cmd[-1], a.stream_repeat, env=env)
        else:
            secs, peak = timed(cmd, a.runs, env=env)
        t = threads or cores
        target = 0.9 * ossl * t
        print(f"| {n:,}{' (stdin)' if stdin else ''} | {a.revoked:,} | {t} | {ossl:,.0f} | "
              f"{target:,.0f} | {n / secs:,.0f} | {n / secs / target:.2f} | {peak:.0f} |", flush=True)
        rows.append({"certs": n, "revoked": a.revoked, "threads": t, "stdin": stdin,
                     "seconds": secs, "certs_per_s": n / secs, "openssl_verify_per_s": ossl,
                     "target_per_s": target, "peak_mib": peak, "busy_before": busy})

    for threads in [int(t) for t in a.threads.split(",") if t] or [None]:
        measure(threads, a.certs, False)
    if a.stream_repeat:
        measure(None, a.certs * a.stream_repeat, True)
    machine.write_json(a.json, "verify", m, rows, cores=cores, runs=a.runs)


if __name__ == "__main__":
    main()
