"""What machine a benchmark ran on, whether it is quiet, and the JSON every
comparison script writes with --json.

Imported by compare_openssl.py, compare_verify.py, compare_serve.py and
benches/report, so that all of them describe the machine the same way:

  probe()          the CPU (lscpu), cores, memory, kernel, tool versions
  describe(m)      that as the one line each script prints at its start
  command()        the exact command line of this script, from the repo root
  wait_quiet(s)    waits until other processes leave the CPUs mostly idle
  write_json(...)  {"bench", "command", "machine", "started", "rows", ...}
"""

import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The CPU features kakunin's fast paths depend on: AVX2/AVX-512 IFMA for
# the eight-wide RSA kernel, SHA-NI for CRL and certificate digests.
FLAGS_OF_INTEREST = ["avx2", "avx512f", "avx512ifma", "sha_ni", "aes", "vaes"]


def lscpu():
    """lscpu's "Key: value" lines as a dict ({} if lscpu is missing)."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    except OSError:
        return {}
    pairs = (line.split(":", 1) for line in out.splitlines() if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def version(cmd):
    """The first line a tool prints about its version, or None if it is
    not installed (nginx -v writes to stderr)."""
    exe = shutil.which(cmd[0]) or next(
        (p for p in (f"/usr/sbin/{cmd[0]}", f"/usr/bin/{cmd[0]}") if os.access(p, os.X_OK)), None)
    if not exe:
        return None
    p = subprocess.run([exe, *cmd[1:]], capture_output=True, text=True)
    lines = (p.stdout + p.stderr).strip().splitlines()
    if not lines:
        return None
    # "nginx version: nginx/1.22.1", "wrk 4.1.0 [epoll] Copyright (C) ..."
    return lines[0].replace("nginx version: ", "").split(" Copyright")[0]


def memory_gib():
    """MemTotal in GiB."""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 2**20, 1)
    return None


def probe():
    """The machine object stored in every JSON result."""
    info = lscpu()
    flags = set(info.get("Flags", "").split())
    return {
        "model_name": info.get("Model name", platform.processor() or "?"),
        "cpu_family": info.get("CPU family"),
        "model": info.get("Model"),
        "stepping": info.get("Stepping"),
        "hypervisor": info.get("Hypervisor vendor"),
        "flags": [f for f in FLAGS_OF_INTEREST if f in flags],
        "cores": os.cpu_count(),
        "memory_gib": memory_gib(),
        "kernel": f"{platform.system()} {platform.release()}",
        "openssl": version(["openssl", "version"]),
        "nginx": version(["nginx", "-v"]),
        "wrk": version(["wrk", "-v"]),
    }


def describe(m):
    """One line: CPU, family/model/stepping, cores, memory, flags, kernel, tools."""
    tools = "; ".join(v for v in (m["openssl"], m["nginx"], m["wrk"]) if v)
    vm = f" ({m['hypervisor']} VM)" if m.get("hypervisor") else ""
    return (f"{m['model_name']}{vm}, family {m['cpu_family']} model {m['model']} "
            f"stepping {m['stepping']}; {m['cores']} CPUs, {m['memory_gib']} GiB; "
            f"flags: {' '.join(m['flags']) or '(none of ' + ' '.join(FLAGS_OF_INTEREST) + ')'}; "
            f"{m['kernel']}; {tools}")


def print_machine():
    """Probes the machine, prints the `machine:` line and returns the probe."""
    m = probe()
    print(f"machine: {describe(m)}", flush=True)
    return m


def command(argv=None):
    """This process's command line as one would type it from the repo root."""
    argv = list(sys.argv if argv is None else argv)
    script = os.path.relpath(os.path.abspath(argv[0]), ROOT)
    head = ["python3", script] if script.endswith(".py") else [script]
    return shlex.join(head + argv[1:])


def cpu_busy(seconds=0.5):
    """Share of all CPUs busy over `seconds` (0..1), from /proc/stat."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v), v[3] + v[4]
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def wait_quiet(limit, threshold=0.10):
    """Waits (at most `limit` s) until the machine is idle enough to
    measure; returns the busy share seen last (other engineers build here)."""
    deadline = time.time() + limit
    busy = cpu_busy()
    while busy > threshold and time.time() < deadline:
        time.sleep(2)
        busy = cpu_busy()
    return busy


def write_json(path, bench, machine, rows, cmd=None, **extra):
    """Writes one result file: what ran (`bench`, `command`: this script's
    command line unless `cmd` names another), where (`machine`), when
    (`started`, UTC) and the `rows`, plus any `extra` keys the bench adds."""
    if not path:
        return
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    doc = {"bench": bench, "command": cmd or command(), "machine": machine,
           "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(STARTED)),
           "rows": rows, **extra}
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(f"wrote {path}", file=sys.stderr)


STARTED = time.time()
