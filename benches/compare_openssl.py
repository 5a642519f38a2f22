#!/usr/bin/env python3
"""Time `kakunin ingest` against `openssl crl -noout -CAfile` on the same CRLs.

For each size, the CRL is made by OpenSSL itself (`openssl ca -gencrl` over an
index.txt written here) unless --source gen asks for `kakunin gen`. Both tools
then read the same DER file and verify its signature against the same CA; we
report the best wall time of --runs runs, the peak resident memory of each
(ru_maxrss of the child), the ratio, and the index size per entry.

Prints the machine (CPU model, family, flags; see machine.py) first.
--json FILE also writes the rows, the machine and this command line.

Usage:
  python3 benches/compare_openssl.py [--entries 1000000,10000000]
      [--shape dense|random] [--source openssl|gen] [--runs 3] [--work DIR]
      [--wait-quiet SECS] [--json FILE]
"""

import argparse
import json
import os
import random
import subprocess
import sys
import time

import machine

ROOT = machine.ROOT
# Peak memory per CRL entry measured on OpenSSL 3.0: `openssl ca -gencrl`
# ~610 bytes (61 MiB at 100k), `openssl crl` ~460 bytes (4.4 GiB at 10M).
GENCRL_BYTES_PER_ENTRY = 610
REASONS = ["keyCompromise", "affiliationChanged", "superseded",
           "cessationOfOperation", "unspecified"]


def measure(cmd, runs):
    """Best wall time (s), peak RSS of any run (MiB, the child's
    ru_maxrss) and the last run's stdout."""
    best = None
    peak = 0.0
    out = b""
    for _ in range(runs):
        t0 = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            fd = os.open(os.path.join(WORK, "stdout.tmp"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd, 1)
            os.execvp(cmd[0], cmd)
        _, status, ru = os.wait4(pid, 0)
        dt = time.perf_counter() - t0
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"failed: {' '.join(cmd)}")
        best = dt if best is None else min(best, dt)
        peak = max(peak, ru.ru_maxrss / 1024.0)
        with open(os.path.join(WORK, "stdout.tmp"), "rb") as f:
            out = f.read()
    return best, peak, out


def mem_available():
    """MemAvailable in bytes (None if /proc/meminfo has no such line)."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def openssl_crl(n, shape, d):
    """A CRL of n entries made by `openssl ca -gencrl`."""
    need, avail = n * GENCRL_BYTES_PER_ENTRY, mem_available()
    if avail is not None and need > 0.9 * avail:
        print(f"warning: `openssl ca -gencrl` of {n:,} entries needs ~{need / 2**30:.1f} GiB, "
              f"{avail / 2**30:.1f} GiB available; it may be killed", file=sys.stderr, flush=True)
    os.makedirs(d, exist_ok=True)
    key, ca = os.path.join(d, "ca.key"), os.path.join(d, "ca.pem")
    if not os.path.exists(ca):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                        "-keyout", key, "-out", ca, "-days", "3650", "-subj",
                        "/C=JP/O=JPKI/OU=JPKI for digital signature/OU=Japan Agency for Local Authority Information Systems",
                        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                        "-addext", "basicConstraints=critical,CA:TRUE"],
                       check=True, capture_output=True)
    rng = random.Random(n)
    base = 1793491200
    with open(os.path.join(d, "index.txt"), "w") as f:
        k = 0x0123000000
        for i in range(n):
            if shape == "dense":
                k += 1 if rng.random() < 0.95 else rng.randint(2, 300)
                s = k
            else:
                s = rng.getrandbits(63) | (1 << 62)
            rd = time.strftime("%y%m%d%H%M%SZ", time.gmtime(
                base - 86400 * rng.randint(0, 1800) - rng.randint(0, 86399)))
            h = "%X" % s
            h = "0" * (len(h) % 2) + h
            f.write(f"R\t310101000000Z\t{rd},{REASONS[i % 5]}\t{h}\tunknown\t/CN=c{i}\n")
    with open(os.path.join(d, "index.txt.attr"), "w") as f:
        f.write("unique_subject = no\n")
    with open(os.path.join(d, "crlnumber"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, "ca.cnf"), "w") as f:
        f.write(f"""[ca]
default_ca=d
[d]
database={d}/index.txt
certificate={ca}
private_key={key}
default_md=sha256
default_crl_days=30
crlnumber={d}/crlnumber
crl_extensions=ext
[ext]
authorityKeyIdentifier=keyid
""")
    pem = os.path.join(d, "crl.pem")
    subprocess.run(["openssl", "ca", "-config", os.path.join(d, "ca.cnf"), "-gencrl",
                    "-out", pem], check=True, capture_output=True)
    der = os.path.join(d, f"crl-{n}.der")
    subprocess.run(["openssl", "crl", "-in", pem, "-outform", "DER", "-out", der],
                   check=True, capture_output=True)
    os.remove(pem)
    return der, ca


def gen_crl(n, d, kakunin):
    subprocess.run([kakunin, "gen", "--out", d, "--revoked", str(n), "--certs", "100",
                    "--holders", "1", "--crl-days", "3650"], check=True, capture_output=True)
    return os.path.join(d, "sign.crl"), os.path.join(d, "sign-ca.pem")


def main():
    global WORK
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--entries", default="1000000,10000000", help="comma-separated CRL sizes")
    ap.add_argument("--shape", default="dense", choices=["dense", "random"])
    ap.add_argument("--source", default="openssl", choices=["openssl", "gen"])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--work", default=os.path.join(ROOT, "benches", "out"))
    ap.add_argument("--wait-quiet", type=int, default=60, metavar="SECS",
                    help="before each size, wait at most this long for the CPUs to be <10%% busy")
    ap.add_argument("--json", metavar="FILE", help="also write the rows and the machine as JSON")
    a = ap.parse_args()
    WORK = a.work
    os.makedirs(WORK, exist_ok=True)
    m = machine.print_machine()
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "kakunin"], cwd=ROOT, check=True)
    kakunin = os.path.join(ROOT, "target", "release", "kakunin")
    print(f"source: {a.source}, shape: {a.shape}, best of {a.runs} runs\n")
    print("| entries | CRL MiB | openssl s | openssl MiB | kakunin s | kakunin MiB | speed-up | kakunin MiB / CRL MiB | index bytes/entry |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for n in [int(x) for x in a.entries.split(",")]:
        d = os.path.join(WORK, f"{a.source}-{a.shape}-{n}")
        if a.source == "openssl":
            crl = os.path.join(d, f"crl-{n}.der")
            ca = os.path.join(d, "ca.pem")
            if not os.path.exists(crl):
                crl, ca = openssl_crl(n, a.shape, d)
        else:
            crl, ca = gen_crl(n, d, kakunin)
        size = os.path.getsize(crl) / 2**20
        busy = machine.wait_quiet(a.wait_quiet)
        o_s, o_m, _ = measure(["openssl", "crl", "-inform", "DER", "-in", crl, "-noout",
                               "-CAfile", ca], a.runs)
        idx = os.path.join(d, "crl.idx")
        k_s, k_m, out = measure([kakunin, "ingest", "--crl", crl, "--ca", ca, "--out", idx,
                                 "--quiet"], a.runs)
        rep = json.loads(out)
        assert rep["entries"] == n, rep
        print(f"| {n:,} | {size:.1f} | {o_s:.3f} | {o_m:.0f} | {k_s:.3f} | {k_m:.0f} | "
              f"{o_s / k_s:.1f}x | {k_m / size:.2f} | {rep['index_bytes'] / n:.2f} |", flush=True)
        rows.append({"entries": n, "crl_mib": size, "openssl_s": o_s, "openssl_mib": o_m,
                     "kakunin_s": k_s, "kakunin_mib": k_m, "index_bytes": rep["index_bytes"],
                     "busy_before": busy})
        # Written after every size, so a long run that is stopped keeps
        # what it measured.
        machine.write_json(a.json, "ingest", m, rows, shape=a.shape, source=a.source, runs=a.runs)


if __name__ == "__main__":
    main()
