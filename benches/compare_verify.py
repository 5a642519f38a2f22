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
     /dev/null; peak RSS is reported too.
It prints certificates/s, the target (0.9 x OpenSSL single-core x cores) and
the ratio.

Usage: python3 benches/compare_verify.py [--certs 100000] [--revoked 10000000] [--runs 3]
                                         [--stream-repeat N]
"""

import argparse
import os
import re
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def timed(cmd, runs, stdin_file=None, repeat=1):
    """Best wall time and peak RSS of `cmd` over `runs`; with stdin_file,
    that file is streamed `repeat` times into the command's stdin."""
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
            os.execvp(cmd[0], cmd)
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
    ap.add_argument("--stream-repeat", type=int, default=0, metavar="N",
                    help="also stream sign-certs.pem N times through stdin (N x --certs certificates) "
                         "to show that memory does not grow with the batch")
    ap.add_argument("--work", default=os.path.join(ROOT, "benches", "out"))
    a = ap.parse_args()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kakunin"], cwd=ROOT, check=True)
    kakunin = os.path.join(ROOT, "target", "release", "kakunin")
    cores = os.cpu_count() or 1

    speed = subprocess.run(["openssl", "speed", "-seconds", "3", "rsa2048"],
                           capture_output=True, text=True, check=True).stdout
    m = re.search(r"rsa\s+2048 bits\s+\S+\s+\S+\s+\S+\s+([0-9.]+)", speed)
    if not m:
        sys.exit("cannot read `openssl speed` output:\n" + speed)
    ossl = float(m.group(1))

    d = os.path.join(a.work, f"gen-{a.revoked}-{a.certs}")
    if not os.path.exists(os.path.join(d, "expected.jsonl")):
        subprocess.run([kakunin, "gen", "--out", d, "--revoked", str(a.revoked), "--certs",
                        str(a.certs), "--holders", "1", "--crl-days", "3650"], check=True)
    idx = os.path.join(d, "sign.idx")
    subprocess.run([kakunin, "ingest", "--crl", os.path.join(d, "sign.crl"), "--ca",
                    os.path.join(d, "sign-ca.pem"), "--out", idx, "--quiet",
                    "--at", "2026-11-01T00:00:00Z"], check=True, capture_output=True)
    cmd = [kakunin, "verify", "--quiet", "--trust", os.path.join(d, "sign-ca.pem"),
           "--index", idx, "--at", "2026-11-01T00:00:00Z", os.path.join(d, "sign-certs.pem")]
    secs, peak = timed(cmd, a.runs)
    rate = a.certs / secs
    target = 0.9 * ossl * cores
    print(f"machine: {cores} cores; {subprocess.run(['openssl', 'version'], capture_output=True, text=True).stdout.strip()}")
    print("| certificates | revoked entries in index | openssl rsa2048 verify/s (1 core) | target (0.9 x 1-core x cores) | kakunin verify certs/s | ratio to target | kakunin peak MiB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| {a.certs:,} | {a.revoked:,} | {ossl:,.0f} | {target:,.0f} | {rate:,.0f} | {rate / target:.2f} | {peak:.0f} |")
    if a.stream_repeat:
        n = a.certs * a.stream_repeat
        secs, peak = timed(cmd[:-1] + ["-"], a.runs, os.path.join(d, "sign-certs.pem"), a.stream_repeat)
        print(f"| {n:,} (stdin) | {a.revoked:,} | {ossl:,.0f} | {target:,.0f} | {n / secs:,.0f} | {n / secs / target:.2f} | {peak:.0f} |")


if __name__ == "__main__":
    main()
