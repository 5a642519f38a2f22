#!/usr/bin/env python3
"""`kakunin serve`'s OpenID Provider under load, against Node's
`oidc-provider` (an OpenID Certified provider), in one run.

Every figure comes from this run, on this machine, with the clients on the
same cores as the servers:

  1. token endpoint: `POST /token` with `grant_type=client_credentials` and
     `private_key_jwt` (an ES256 client assertion, a distinct one for every
     request: each carries its own `jti`, and both servers refuse a replay),
     on kakunin and on oidc-provider (benches/oidc/op.mjs: the same client
     and public JWKS, the same provider keys, access tokens as RFC 9068 JWTs
     signed ES256, 300 s). wrk (Debian's) sends them from a file of
     assertions made beforehand (Python `cryptography`), one file per
     server and run (each server's token endpoint is the `aud`). Only 2xx
     answers count. oidc-provider runs as one process (its in-memory
     adapter holds the used `jti`s of one process) and, for what Node does
     with both cores, as a 2-worker cluster. Target: kakunin ≥ 5× it;
  2. whole logins: authorize (Accept: application/json) → GET /approve →
     the card's signature (RSA PKCS#1 v1.5 SHA-256 over the login message,
     made here with a holder's data/holders/N/auth.key, and sign.key when
     facts are asked) → POST /approve → GET /authorize/wait with the cookie
     (303 with the code) → POST /token (authorization_code, PKCE verifier,
     private_key_jwt) → GET /userinfo, against kakunin's own card login
     (GET /v1/challenge, sign, POST /v1/authenticate), both driven by the
     same multi-process Python client (--login-clients processes, one
     keep-alive connection each, a minimal HTTP/1.1 client) in the same
     run. Scope `openid` for the main figure, and the 4 facts as a variant.
     Target: logins ≥ 0.5× the authenticate rate;
  3. with --state-compare (or --only state): kakunin's short-lived state
     in memory against Redis, in one run. The script starts Debian's
     redis-server on a free loopback port (no persistence; stopped by its
     pid at the end) and two kakunin servers, `--state memory` and
     `--state redis://127.0.0.1:PORT/0`, with the same --challenge-key
     (a file of 32 random bytes it writes). On each: the token endpoint
     (1.), whole logins with scope `openid` and card logins (2.), which
     mark used challenges in the store too. Per token or login: the
     server's state operations (its /metrics) and the time it awaited
     them, Redis's round trips (SET/GET/GETDEL calls from `INFO
     commandstats`), redis-server's CPU (/proc), and each side's CPU.
     Target: Redis costs ≤ 25% of the whole-login rate, i.e. the Redis
     whole-login rate ≥ 0.75× the memory one.

The client and the server share the cores, and the client signs with RSA
as the card would (one or two RSA-2048 signatures per login, ~0.5 ms of
CPU each here, made in Python's `cryptography`, i.e. OpenSSL). So the
table also gives each side's CPU time per login (from /proc and
getrusage): the server's CPU per login says what the server could do on
its own.

Each comparison runs --runs times, interleaved, and the median is kept.
Before each run the script waits for the shared machine to be quiet
(--wait-quiet); --quiet-flag FILE is created while it measures, to tell
other sessions on the machine not to start builds.

Usage: python3 benches/compare_oidc.py [--runs 3] [--duration 10] [--connections 32]
           [--threads 2] [--login-clients 6] [--login-duration 10] [--only token,login]
           [--state-compare]
           [--kakunin PATH] [--quiet-flag /tmp/bench-quiet] [--json FILE]
Needs: wrk (apt-get install wrk), redis-server and redis-tools for --state-compare,
Node.js ≥ 20 with npm (benches/oidc: `npm ci`, run
by this script when node_modules is missing), Python `cryptography`.
Builds `cargo build --release -p kakunin` (in $CARGO_TARGET_DIR if set) unless --kakunin.
"""

import argparse
import base64
import hashlib
import json
import multiprocessing
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

import machine
from machine import wait_quiet
from compare_serve import (LUA_THREADS, Kakunin, Proc, cpu_by_pid, find_tool, foreign_share,
                           free_port, login_message, met, parse_wrk, row, write)

ROOT = machine.ROOT
DATA = os.path.join(ROOT, "data")
OIDC_DIR = os.path.join(ROOT, "benches", "oidc")
CLIENT_KEY = os.path.join(DATA, "oidc", "demo-rp.key")
CLIENT_JWKS = os.path.join(DATA, "oidc", "demo-rp.jwks.json")
OP_KEYS = [os.path.join(DATA, "oidc", "op-es256.key"), os.path.join(DATA, "oidc", "op-rs256.key")]
CLIENT_ID = "bench"
REDIRECT_URI = "http://127.0.0.1:9/callback"
JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
FACTS = "name address birthdate gender"
CLK = os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------- CPU time

def tree_jiffies(table, root):
    """CPU jiffies of `root` and its live descendants in a cpu_by_pid() table."""
    total = 0
    for pid, (j, _) in table.items():
        p, seen = pid, 0
        while p in table and seen < 64:
            if p == root:
                total += j
                break
            p, seen = table[p][1], seen + 1
    return total


# ---------------------------------------------------------------- assertions

def b64u(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def _assertion_signer():
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
    with open(CLIENT_KEY, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), password=None)
    with open(CLIENT_JWKS) as f:
        kid = json.load(f)["keys"][0]["kid"]
    header = b64u(json.dumps({"alg": "ES256", "typ": "JWT", "kid": kid},
                             separators=(",", ":")).encode())
    algo = ec.ECDSA(hashes.SHA256())

    def sign(aud):
        now = int(time.time())
        claims = b64u(json.dumps({"iss": CLIENT_ID, "sub": CLIENT_ID, "aud": aud,
                                  "jti": b64u(os.urandom(16)), "iat": now, "exp": now + 300},
                                 separators=(",", ":")).encode())
        r, s = decode_dss_signature(key.sign(f"{header}.{claims}".encode(), algo))
        return f"{header}.{claims}.{b64u(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"
    return sign


def _assertions_job(job):
    aud, n = job
    sign = _assertion_signer()
    return "".join(sign(aud) + "\n" for _ in range(n))


def make_assertions(aud, n, path):
    """n client assertions for the token endpoint `aud`, one per line, each
    with its own jti; exp is 300 s ahead (the most kakunin accepts), so a
    file is good for ~4 minutes. Made on every core."""
    cores = os.cpu_count()
    chunks = [(aud, n // cores + (1 if i < n % cores else 0)) for i in range(cores)]
    with multiprocessing.Pool(cores) as pool:
        parts = pool.map(_assertions_job, chunks)
    with open(path, "w") as f:
        f.writelines(parts)
    return path


TOKEN_LUA = LUA_THREADS + """
-- args: a file of client assertions (one a line), the number of wrk
-- threads, the token endpoint's path, the form before client_assertion=.
-- Thread t takes lines t, t+T, t+2T, ... so no assertion is sent twice
-- (unless a thread runs out and starts over: then the replays are refused
-- and counted as non-2xx).
function init(args)
   local stride = tonumber(args[2])
   local headers = {["Content-Type"] = "application/x-www-form-urlencoded"}
   reqs = {}
   local n = 0
   for line in io.lines(args[1]) do
      if n % stride == id then
         reqs[#reqs + 1] = wrk.format("POST", args[3], headers, args[4] .. line)
      end
      n = n + 1
   end
   k = 0
end

function request()
   k = k + 1
   if k > #reqs then k = 1 end
   return reqs[k]
end
"""

TOKEN_FORM = (f"grant_type=client_credentials&scope=sign&client_id={CLIENT_ID}"
              f"&client_assertion_type={urllib.parse.quote(JWT_BEARER, safe='')}&client_assertion=")


# ---------------------------------------------------------------- servers

class OidcProvider(Proc):
    """benches/oidc/op.mjs on a free port; `base` is its issuer."""

    def __init__(self, a, workers, log):
        port = free_port()
        env = dict(os.environ, NODE_ENV="production")
        super().__init__([a.node, os.path.join(OIDC_DIR, "op.mjs"), "--port", str(port),
                          "--client-jwks", CLIENT_JWKS, *sum((["--key", k] for k in OP_KEYS), []),
                          "--workers", str(workers)], log, env=env, cwd=OIDC_DIR)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            line = self.p.stdout.readline()
            if not line:
                break
            if line.startswith("listening on"):
                break
        else:
            line = ""
        if not line.startswith("listening on"):
            self.close()
            sys.exit(f"oidc-provider did not start; see {log}")
        self.drain()
        self.token_path = "/token"


def alive(srv):
    """Stops the bench, saying how, if a server has exited."""
    rc = srv.p.poll()
    if rc is not None:
        sys.exit(f"{srv.base}: the server exited ({'signal ' + str(-rc) if rc < 0 else 'status ' + str(rc)}); "
                 f"see its log in {srv.log.name}")


def kakunin_oidc(a, kakunin, work, extra=(), log="kakunin.log"):
    """`kakunin serve` on the sample PKI (data/) with the OpenID Provider on:
    client `bench` (the same JWKS as oidc-provider's), the demo's provider
    keys (P-256 first, so access tokens are ES256) and pairwise key;
    `extra`: more arguments (--state, --challenge-key)."""
    clients = write(os.path.join(work, "clients.toml"), f"""
[[client]]
client_id = "{CLIENT_ID}"
name = "compare_oidc.py"
redirect_uris = ["{REDIRECT_URI}"]
scopes = ["openid", "name", "address", "birthdate", "gender", "sign"]
jwks_file = "{CLIENT_JWKS}"
""")
    # The used jtis live 330 s each; a run at tens of thousands a second
    # fills the default 1,000,000 in under a minute (then: 503).
    srv = Kakunin(kakunin, ["--trust", os.path.join(DATA, "sign-ca.pem"),
                            "--trust", os.path.join(DATA, "auth-ca.pem"), "--crl-dir", DATA,
                            "--clients", clients, *sum((["--oidc-key", k] for k in OP_KEYS), []),
                            "--pairwise-key", os.path.join(DATA, "oidc", "pairwise.key"),
                            "--max-state-entries", str(a.max_state_entries), "--log", "warn",
                            *extra],
                  os.path.join(work, log))
    srv.token_path = "/token"
    return srv


def token_format(base):
    """Asks `base` for one client-credentials token; returns its JOSE header
    and claims (to show both servers issue the same kind of token)."""
    sign = _assertion_signer()
    body = (TOKEN_FORM + sign(base + "/token")).encode()
    req = urllib.request.Request(base + "/token", body,
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(req, timeout=10) as r:
        tok = json.load(r)
    h, c, _ = tok["access_token"].split(".")
    dec = lambda s: json.loads(base64.urlsafe_b64decode(s + "=" * (-len(s) % 4)))
    return dec(h), dec(c), len(tok["access_token"])


# ---------------------------------------------------------------- token bench

def token_run(a, srv, label, n, work, duration, probe=None):
    """One wrk run of distinct assertions (n of them) against srv's /token;
    `probe` (a StateProbe) adds the state store's figures per token."""
    alive(srv)
    path = make_assertions(srv.base + srv.token_path, n, os.path.join(work, f"assertions-{label}.txt"))
    lua = write(os.path.join(work, "token.lua"), TOKEN_LUA)
    busy = wait_quiet(a.wait_quiet)
    cmd = [a.wrk, f"-t{a.threads}", f"-c{a.connections}", f"-d{duration}s", "--latency",
           "-s", lua, srv.base + srv.token_path, "--", path, str(a.threads), srv.token_path,
           TOKEN_FORM]
    mark = probe.begin() if probe else None
    before, t0 = cpu_by_pid(), time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    after = cpu_by_pid()  # before wrk is reaped, though it has stopped loading
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode, secs = os.waitstatus_to_exitcode(status), time.time() - t0
    if p.returncode:
        sys.exit(f"wrk failed: {cmd}")
    r = parse_wrk(out)
    r["ok"] = r["requests"] - r["non2xx"] - r["socket_errors"]
    r["rate"] = r["ok"] / r["secs"]
    r["assertions"] = n
    r["exhausted"] = r["requests"] > n
    r["busy_before"] = busy
    r["foreign"] = foreign_share(before, after, secs)
    server = (tree_jiffies(after, srv.p.pid) - tree_jiffies(before, srv.p.pid)) / CLK
    client = ru.ru_utime + ru.ru_stime
    r["server_cpu_s"], r["client_cpu_s"], r["wall_s"] = server, client, secs
    r["server_us_per_ok"] = server / max(1, r["ok"]) * 1e6
    if probe:
        r["state"] = probe.end(mark, before, after, r["ok"])
    os.unlink(path)
    return r


def bench_token(a, kakunin, work):
    """Returns {name: {"runs": [...], "median": result}} for kakunin (unless
    `kakunin` is None) and oidc-provider (1 process, and a cluster)."""
    servers = [("kakunin", lambda: kakunin_oidc(a, kakunin, work))] if kakunin else []
    servers += [("oidc-provider", lambda: OidcProvider(a, 1, os.path.join(work, "op-1.log"))),
               (f"oidc-provider ×{a.op_workers}",
                lambda: OidcProvider(a, a.op_workers, os.path.join(work, f"op-{a.op_workers}.log")))]
    out = {}
    started = {}
    try:
        for name, start in servers:
            started[name] = srv = start()
            h, c, size = token_format(srv.base)
            out[name] = {"runs": [], "token_header": h, "token_claims": sorted(c), "token_bytes": size}
            print(f"  {name}: access token {json.dumps(h)}, claims {sorted(c)}, {size} bytes",
                  file=sys.stderr)
            # Warm up (Node's JIT) with a short run, then probe the rate with
            # another, which sizes the measured runs' files. A probe that
            # ran out of assertions is done again with twice as many.
            n = a.probe_assertions if name == "kakunin" else a.probe_assertions // 5
            token_run(a, srv, name.split()[0] + "-warm", n // 2, work, 3)
            while True:
                probe = token_run(a, srv, name.split()[0] + "-probe", n, work, 3)
                if not probe["exhausted"] or n >= 4_000_000:
                    break
                n *= 2
            out[name]["probe_rate"] = probe["rate"]
            print(f"  {name}: probe {probe['rate']:,.0f} tokens/s"
                  f"{' (ran out of assertions)' if probe['exhausted'] else ''}", file=sys.stderr)
        for i in range(a.runs):
            order = servers if i % 2 == 0 else list(reversed(servers))
            for name, _ in order:
                srv = started[name]
                est = max([out[name]["probe_rate"]] + [r["rate"] for r in out[name]["runs"]])
                n = int(est * a.duration * 2) + 5000
                r = token_run(a, srv, name.split()[0], n, work, a.duration)
                out[name]["runs"].append(r)
                print(f"  token run {i + 1}: {name}: {r['rate']:,.0f} tokens/s "
                      f"(non-2xx {r['non2xx']}, socket errors {r['socket_errors']}; p50 "
                      f"{r['p50']:.2f} ms, p99 {r['p99']:.2f} ms; CPU s: server {r['server_cpu_s']:.1f}, "
                      f"wrk {r['client_cpu_s']:.1f} of {r['wall_s'] * os.cpu_count():.1f}; other "
                      f"processes {r['busy_before']:.0%} before, {r['foreign']:.0%} during)"
                      + (" RAN OUT OF ASSERTIONS" if r["exhausted"] else ""), file=sys.stderr)
    finally:
        for srv in started.values():
            srv.close()
    for name in out:
        runs = sorted(out[name]["runs"], key=lambda r: r["rate"])
        out[name]["median"] = runs[len(runs) // 2]
    return out


# ---------------------------------------------------------------- login client

class Http:
    """A minimal keep-alive HTTP/1.1 client (Content-Length bodies only):
    http.client costs several times more CPU per request, and this client
    shares the cores with the server."""

    def __init__(self, base):
        u = urllib.parse.urlsplit(base)
        self.host = u.netloc
        self.sock = socket.create_connection((u.hostname, u.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, method, path, headers=(), body=b""):
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n"
        for h in headers:
            head += h + "\r\n"
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        self.sock.sendall(head.encode() + b"\r\n" + body)
        while b"\r\n\r\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        hdrs = {}
        for l in lines[1:]:
            k, _, v = l.partition(":")
            k = k.strip().lower()
            hdrs[k] = hdrs[k] + "\n" + v.strip() if k in hdrs else v.strip()
        if "chunked" in hdrs.get("transfer-encoding", ""):
            raise ValueError("chunked answers are not supported by this client")
        n = int(hdrs.get("content-length", "0"))
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("server closed the connection")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return status, hdrs, data


def holders():
    """The sample's holders whose authentication and signing certificates
    are valid now (data/expected.jsonl, and not_after in the future)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    kinds = {}
    with open(os.path.join(DATA, "expected.jsonl")) as f:
        for line in f:
            e = json.loads(line)
            if e.get("holder") and e["status"] == "valid" and e["not_after"] > now:
                kinds.setdefault(e["holder"], set()).add(e["kind"])
    return sorted(h for h, k in kinds.items() if k >= {"auth", "sign"})


def _der_b64(pem_path):
    with open(pem_path) as f:
        return "".join(l for l in f.read().splitlines() if not l.startswith("-----"))


def login_worker(job):
    """One client process: `flow` logins in a loop on one connection until
    `deadline`; returns (completed, failures, latencies in ms, CPU seconds
    of the loop: this process's own user + system time once started)."""
    base, flow, scope, holder_ids, seed, ready, start = job
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding
    cards = []
    for h in holder_ids:
        d = os.path.join(DATA, "holders", str(h))
        load = lambda p: serialization.load_pem_private_key(open(p, "rb").read(), password=None)
        cards.append((load(os.path.join(d, "auth.key")), _der_b64(os.path.join(d, "auth.pem")),
                      load(os.path.join(d, "sign.key")), _der_b64(os.path.join(d, "sign.pem"))))
    pkcs1, sha256 = padding.PKCS1v15(), hashes.SHA256()
    origin = base
    assertion = _assertion_signer()
    token_aud = base + "/token"
    conn = Http(base)
    done, failures, lat = 0, {}, []
    k = seed

    def fail(what, status, data):
        failures[what] = failures.get(what, 0) + 1
        if failures[what] == 1:
            print(f"  login client: {what}: {status} {data[:300]!r}", file=sys.stderr)

    def card_login():
        c = cards[k % len(cards)]
        st, _, data = conn.request("GET", "/v1/challenge")
        if st != 200:
            return fail("challenge", st, data)
        ch = json.loads(data)["challenge"]
        sig = c[0].sign(login_message(origin, ch), pkcs1, sha256)
        body = json.dumps({"origin": origin, "cert": c[1],
                           "signature": base64.b64encode(sig).decode()}).encode()
        st, _, data = conn.request("POST", f"/v1/authenticate?challenge={ch}",
                                   ["Content-Type: application/json"], body)
        if st != 200 or not json.loads(data).get("accepted"):
            return fail("authenticate", st, data)
        return True

    def oidc_login():
        c = cards[k % len(cards)]
        verifier = b64u(os.urandom(32))
        state, nonce = b64u(os.urandom(12)), b64u(os.urandom(12))
        q = urllib.parse.urlencode({
            "response_type": "code", "client_id": CLIENT_ID, "redirect_uri": REDIRECT_URI,
            "scope": scope, "state": state, "nonce": nonce,
            "code_challenge": b64u(hashlib.sha256(verifier.encode()).digest()),
            "code_challenge_method": "S256"})
        st, hd, data = conn.request("GET", "/authorize?" + q, ["Accept: application/json"])
        if st != 200:
            return fail("authorize", st, data)
        pend = json.loads(data)
        cookie = hd.get("set-cookie", "").split("\n")[0].split(";", 1)[0]
        approve = urllib.parse.urlsplit(pend["approval_url"]).path
        wait = urllib.parse.urlsplit(pend["wait_url"]).path
        st, _, data = conn.request("GET", approve)
        if st != 200:
            return fail("approve (GET)", st, data)
        ask = json.loads(data)
        msg = login_message(origin, ask["challenge"])
        card = {"origin": origin, "cert": c[1],
                "signature": base64.b64encode(c[0].sign(msg, pkcs1, sha256)).decode()}
        if ask.get("needs_signing_certificate"):
            card["sign_cert"] = c[3]
            card["sign_signature"] = base64.b64encode(c[2].sign(msg, pkcs1, sha256)).decode()
        st, _, data = conn.request("POST", approve, ["Content-Type: application/json"],
                                   json.dumps(card).encode())
        if st != 200 or not json.loads(data).get("accepted"):
            return fail("approve (POST)", st, data)
        st, hd, data = conn.request("GET", wait, [f"Cookie: {cookie}"])
        loc = hd.get("location", "")
        got = urllib.parse.parse_qs(urllib.parse.urlsplit(loc).query)
        if st != 303 or got.get("state") != [state] or "code" not in got:
            return fail("wait", st, data or loc.encode())
        form = urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": got["code"][0],
            "redirect_uri": REDIRECT_URI, "code_verifier": verifier, "client_id": CLIENT_ID,
            "client_assertion_type": JWT_BEARER, "client_assertion": assertion(token_aud)}).encode()
        st, _, data = conn.request("POST", "/token",
                                   ["Content-Type: application/x-www-form-urlencoded"], form)
        if st != 200:
            return fail("token", st, data)
        tok = json.loads(data)
        st, _, data = conn.request("GET", "/userinfo", [f"Authorization: Bearer {tok['access_token']}"])
        info = json.loads(data) if st == 200 else {}
        if st != 200 or "sub" not in info or ("name" in scope and "name" not in info):
            return fail("userinfo", st, data)
        return True

    run = card_login if flow == "authenticate" else oidc_login
    ready.put(1)
    deadline = start.get()  # all start together, once every process is ready
    cpu0 = time.process_time()
    while time.time() < deadline:
        t0 = time.perf_counter()
        try:
            ok = run()
        except (OSError, ValueError, KeyError) as e:
            fail(type(e).__name__, 0, str(e).encode())
            conn = Http(base)
            ok = False
        if ok:
            done += 1
            lat.append((time.perf_counter() - t0) * 1000)
        k += 1
    return done, failures, lat, time.process_time() - cpu0


def _login_proc(job, out):
    out.put(login_worker(job))


def login_run(a, srv, flow, scope="", probe=None):
    """--login-clients processes doing `flow` for --login-duration s;
    `probe` (a StateProbe) adds the state store's figures per login."""
    busy = wait_quiet(a.wait_quiet)
    alive(srv)
    ids = holders()
    ctx = multiprocessing.get_context("fork")
    ready, start, results = ctx.Queue(), ctx.Queue(), ctx.Queue()
    # Each process gets ready (keys loaded, connection open) first; the
    # clock starts when all are released.
    procs = [ctx.Process(target=_login_proc,
                         args=((srv.base, flow, scope, ids, i, ready, start), results))
             for i in range(a.login_clients)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    mark = probe.begin() if probe else None
    before, t0 = cpu_by_pid(), time.time()
    for _ in procs:
        start.put(t0 + a.login_duration)
    got = [results.get() for _ in procs]
    after, secs = cpu_by_pid(), time.time() - t0
    for p in procs:
        p.join()
    done = sum(g[0] for g in got)
    failures = {}
    for g in got:
        for k, v in g[1].items():
            failures[k] = failures.get(k, 0) + v
    lat = sorted(l for g in got for l in g[2])
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] if lat else float("nan")
    server = (tree_jiffies(after, srv.p.pid) - tree_jiffies(before, srv.p.pid)) / CLK
    client = sum(g[3] for g in got)
    # Every login that began before the deadline has finished by now, so
    # the store's counters (read after) cover exactly the `done` logins
    # (and the failed ones, which there should be none of).
    state = probe.end(mark, before, after, done) if probe else None
    return {"flow": flow, "scope": scope, "done": done, "rate": done / secs, "secs": secs,
            "failures": failures, "p50": pct(0.5), "p99": pct(0.99),
            "server_cpu_s": server, "client_cpu_s": client,
            "server_us_per_login": server / max(1, done) * 1e6,
            "client_us_per_login": client / max(1, done) * 1e6,
            "busy_before": busy, "foreign": foreign_share(before, after, secs),
            **({"state": state} if state else {})}


def bench_login(a, kakunin, work):
    variants = [("authenticate", "authenticate", ""), ("oidc", "oidc", "openid"),
                ("oidc + facts", "oidc", "openid " + FACTS)]
    srv = kakunin_oidc(a, kakunin, work)
    out = {name: {"runs": []} for name, _, _ in variants}
    try:
        for i in range(a.runs):
            order = variants if i % 2 == 0 else list(reversed(variants))
            for name, flow, scope in order:
                r = login_run(a, srv, flow, scope)
                out[name]["runs"].append(r)
                print(f"  login run {i + 1}: {name}: {r['rate']:,.0f}/s (failed {r['failures'] or 0}; "
                      f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; CPU µs per login: server "
                      f"{r['server_us_per_login']:,.0f}, client {r['client_us_per_login']:,.0f}; "
                      f"other processes {r['busy_before']:.0%} before, {r['foreign']:.0%} during)",
                      file=sys.stderr)
    finally:
        srv.close()
    for name in out:
        runs = sorted(out[name]["runs"], key=lambda r: r["rate"])
        out[name]["median"] = runs[len(runs) // 2]
    return out


# ---------------------------------------------------------------- state: memory vs Redis

STATE_CMDS = ("set", "get", "getdel")  # put and mark_once, get, take (state-redis/src/store.rs)


class RedisServer(Proc):
    """Debian's redis-server on a free loopback port, no persistence;
    killed (by its pid) when closed."""

    def __init__(self, a, log):
        self.port = free_port()
        self.cli_path = find_tool("redis-cli")
        super().__init__([find_tool("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no"], log)
        self.drain()  # it logs to stdout
        deadline = time.time() + 30
        while self.cli("ping") != "PONG":
            if self.p.poll() is not None or time.time() > deadline:
                self.close()
                sys.exit(f"redis-server did not start; see {log}")
            time.sleep(0.1)
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.version = self.info("server").get("redis_version", "?")

    def cli(self, *args):
        return subprocess.run([self.cli_path, "-p", str(self.port), *args],
                              capture_output=True, text=True).stdout.strip()

    def info(self, section):
        out = {}
        for line in self.cli("info", section).splitlines():
            k, sep, v = line.partition(":")
            if sep and not k.startswith("#"):
                out[k] = v.strip()
        return out

    def commandstats(self):
        """{command: (calls, usec)} from INFO commandstats."""
        out = {}
        for k, v in self.info("commandstats").items():
            f = dict(x.split("=", 1) for x in v.split(","))
            out[k.removeprefix("cmdstat_")] = (int(f["calls"]), int(f["usec"]))
        return out

    def rtt(self):
        """redis-benchmark with one connection, no pipelining: the round
        trip of a GET and a SET on this machine at rest, in µs (avg, p50)."""
        bench = find_tool("redis-benchmark")
        out = subprocess.run([bench, "-p", str(self.port), "-c", "1", "-n", "50000", "-t", "get,set",
                              "--csv"], capture_output=True, text=True).stdout
        got = {}
        for line in out.splitlines()[1:]:
            f = [x.strip('"') for x in line.split(",")]
            got[f[0].lower()] = {"rps": float(f[1]), "avg_us": float(f[2]) * 1000,
                                 "p50_us": float(f[4]) * 1000, "p99_us": float(f[6]) * 1000}
        return got


STATE_METRIC = re.compile(r'kakunin_state_operation_duration_seconds_(sum|count)\{op="(\w+)"\}\s+(\S+)')


def state_metrics(srv):
    """{op: [count, seconds]} from the server's state-operation histogram."""
    out = {}
    for m in STATE_METRIC.finditer(srv.get("/metrics").decode()):
        out.setdefault(m.group(2), [0, 0.0])[0 if m.group(1) == "count" else 1] = float(m.group(3))
    return out


class StateProbe:
    """Around one measured run of `srv`: the server's state operations
    (its own metrics), and with Redis the commands Redis served (INFO
    commandstats), the CPU time Redis used (/proc) and Redis's own time in
    those commands. Both snapshots are taken outside the timed window."""

    def __init__(self, srv, redis=None):
        self.srv, self.redis = srv, redis

    def begin(self):
        return (state_metrics(self.srv), self.redis.commandstats() if self.redis else {})

    def end(self, mark, cpu_before, cpu_after, done):
        m0, c0 = mark
        m1 = state_metrics(self.srv)
        n = max(1, done)
        ops = {op: (v[0] - m0.get(op, [0, 0.0])[0], v[1] - m0.get(op, [0, 0.0])[1])
               for op, v in m1.items()}
        ops = {op: v for op, v in ops.items() if v[0]}
        count = sum(v[0] for v in ops.values())
        wait = sum(v[1] for v in ops.values())
        out = {"ops_per_op": {op: v[0] / n for op, v in sorted(ops.items())},
               "ops": count / n,
               "op_mean_us": wait / max(1, count) * 1e6,  # the server's view of one call
               "wait_us": wait / n * 1e6}                 # the server's time awaiting the store
        if self.redis:
            c1 = self.redis.commandstats()
            calls = {c: c1.get(c, (0, 0))[0] - c0.get(c, (0, 0))[0] for c in STATE_CMDS}
            usec = sum(c1.get(c, (0, 0))[1] - c0.get(c, (0, 0))[1] for c in STATE_CMDS)
            other = {c: v[0] - c0.get(c, (0, 0))[0] for c, v in c1.items()
                     if c not in STATE_CMDS and c != "info" and v[0] != c0.get(c, (0, 0))[0]}
            pid = self.redis.p.pid
            cpu = (tree_jiffies(cpu_after, pid) - tree_jiffies(cpu_before, pid)) / CLK
            out.update({"redis_calls": calls, "redis_other_calls": other,
                        "round_trips": sum(calls.values()) / n,
                        "redis_cmd_us": usec / n,            # Redis's own time in the commands
                        "redis_cpu_us": cpu / n * 1e6,       # redis-server's CPU (/proc)
                        "redis_cpu_s": cpu})
        return out


def bench_state(a, kakunin, work):
    """kakunin with --state memory and with --state redis://, in one run:
    the token endpoint (wrk), whole logins (scope openid) and card logins,
    interleaved, median of --runs."""
    redis = RedisServer(a, os.path.join(work, "redis.log"))
    key = os.path.join(work, "challenge.key")
    with open(key, "wb") as f:
        f.write(os.urandom(32))
    started = {}
    out = {"redis_version": redis.version, "token": {}, "login": {}}
    try:
        wait_quiet(a.wait_quiet)
        rtt = redis.rtt()
        out["rtt"] = rtt
        print(f"  Redis {redis.version} on port {redis.port}; redis-benchmark -c1, at rest: "
              + ", ".join(f"{k.upper()} {v['avg_us']:.0f} µs avg ({v['rps']:,.0f}/s)" for k, v in rtt.items()),
              file=sys.stderr)
        # Both servers get the same challenge key: memory does not need it,
        # but then the two differ only in where the state lives.
        backends = [("memory", ["--challenge-key", key], None),
                    ("redis", ["--challenge-key", key, "--state", redis.url], redis)]
        for name, extra, rd in backends:
            started[name] = (kakunin_oidc(a, kakunin, work, extra, f"kakunin-{name}.log"), rd)
        # Token endpoint: warm-up and probe, then interleaved runs.
        for name, _, _ in backends:
            srv, rd = started[name]
            n = a.probe_assertions
            token_run(a, srv, name + "-warm", n // 2, work, 3)
            while True:
                probe = token_run(a, srv, name + "-probe", n, work, 3)
                if not probe["exhausted"] or n >= 4_000_000:
                    break
                n *= 2
            out["token"][name] = {"runs": [], "probe_rate": probe["rate"]}
            print(f"  {name}: probe {probe['rate']:,.0f} tokens/s", file=sys.stderr)
        for i in range(a.runs):
            order = backends if i % 2 == 0 else list(reversed(backends))
            for name, _, _ in order:
                srv, rd = started[name]
                res = out["token"][name]
                est = max([res["probe_rate"]] + [r["rate"] for r in res["runs"]])
                r = token_run(a, srv, name, int(est * a.duration * 2) + 5000, work, a.duration,
                              StateProbe(srv, rd))
                res["runs"].append(r)
                st = r["state"]
                print(f"  token run {i + 1}: {name}: {r['rate']:,.0f} tokens/s (non-2xx {r['non2xx']}, "
                      f"socket errors {r['socket_errors']}; p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms; "
                      f"server CPU µs/token {r['server_us_per_ok']:,.0f}; store ops/token {st['ops']:.2f}"
                      + (f", Redis round trips/token {st['round_trips']:.2f}, Redis CPU µs/token "
                         f"{st['redis_cpu_us']:.0f}" if rd else "")
                      + f"; other processes {r['foreign']:.0%})"
                      + (" RAN OUT OF ASSERTIONS" if r["exhausted"] else ""), file=sys.stderr)
        # Logins: card logins and whole OpenID logins on each backend.
        flows = [("authenticate", "authenticate", ""), ("oidc", "oidc", "openid")]
        items = [(b, f) for b, _, _ in backends for f in flows]
        for b, (f, _, _) in items:
            out["login"].setdefault(f, {})[b] = {"runs": []}
        for i in range(a.runs):
            order = items if i % 2 == 0 else list(reversed(items))
            for b, (f, flow, scope) in order:
                srv, rd = started[b]
                r = login_run(a, srv, flow, scope, StateProbe(srv, rd))
                out["login"][f][b]["runs"].append(r)
                st = r["state"]
                print(f"  login run {i + 1}: {f}, {b}: {r['rate']:,.0f}/s (failed {r['failures'] or 0}; "
                      f"p50 {r['p50']:.1f} ms, p99 {r['p99']:.1f} ms; CPU µs per login: server "
                      f"{r['server_us_per_login']:,.0f}, client {r['client_us_per_login']:,.0f}; "
                      f"store ops {st['ops']:.2f}, awaited {st['wait_us']:.0f} µs"
                      + (f"; Redis round trips {st['round_trips']:.2f} {st['redis_calls']}, "
                         f"Redis CPU µs {st['redis_cpu_us']:.0f}" if rd else "")
                      + f"; other processes {r['foreign']:.0%})", file=sys.stderr)
        out["redis_memory"] = redis.info("memory").get("used_memory_human")
        out["redis_keys"] = redis.info("keyspace")
    finally:
        for srv, _ in started.values():
            srv.close()
        redis.close()
    for part in (out["token"], *out["login"].values()):
        for res in part.values():
            runs = sorted(res["runs"], key=lambda r: r["rate"])
            res["median"] = runs[len(runs) // 2]
    return out


def report_state(a, st, cores):
    """Prints the memory-vs-Redis table and the target; returns JSON rows."""
    rows = []
    runs = lambda res: " · ".join(f"{x['rate']:,.0f}" for x in res["runs"])
    print(f"\n**The provider's state: memory vs Redis** (Redis {st['redis_version']} on the same "
          f"{cores} cores, loopback; token: wrk -t{a.threads} -c{a.connections} -d{a.duration}s; "
          f"logins: {a.login_clients} Python client processes, {a.login_duration} s; median of {a.runs} "
          f"interleaved runs):\n")
    row("workload", "state", "per s (runs)", "p50 ms", "p99 ms", "failed", "kakunin CPU µs",
        "store calls", "Redis round trips (SET/GET/GETDEL)", "Redis CPU µs", "store wait µs",
        "cores busy: kakunin + Redis + client", "redis ÷ memory", "other load")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    parts = [("token", "`POST /token` client_credentials (per token)", st["token"]),
             ("authenticate", "`/v1/challenge` → sign → `POST /v1/authenticate`", st["login"]["authenticate"]),
             ("oidc", "whole OpenID login, scope `openid`", st["login"]["oidc"])]
    ratios = {}
    for key, label, res in parts:
        mem, red = res["memory"]["median"], res["redis"]["median"]
        ratios[key] = red["rate"] / mem["rate"]
        for b in ("memory", "redis"):
            r = res[b]["median"]
            s = r["state"]
            is_tok = key == "token"
            srv_us = r["server_us_per_ok"] if is_tok else r["server_us_per_login"]
            wall = r["wall_s"] if is_tok else r["secs"]
            client_cpu = r["client_cpu_s"]
            rd_cpu = s.get("redis_cpu_s", 0.0)
            c = s.get("redis_calls")
            trips = (f"{s['round_trips']:.2f} ({c['set'] / max(1, r['ok'] if is_tok else r['done']):.2f}/"
                     f"{c['get'] / max(1, r['ok'] if is_tok else r['done']):.2f}/"
                     f"{c['getdel'] / max(1, r['ok'] if is_tok else r['done']):.2f})") if c else ""
            failed = r["non2xx"] + r["socket_errors"] if is_tok else sum(r["failures"].values())
            row(label if b == "memory" else "", b, f"{r['rate']:,.0f} ({runs(res[b])})",
                f"{r['p50']:.2f}", f"{r['p99']:.2f}", failed, f"{srv_us:,.0f}", f"{s['ops']:.2f}",
                trips, f"{s['redis_cpu_us']:.0f}" if c else "", f"{s['wait_us']:.0f}",
                f"{r['server_cpu_s'] / wall:.2f} + {rd_cpu / wall:.2f} + {client_cpu / wall:.2f} of {cores}",
                f"{ratios[key]:.2f}x" if b == "redis" else "", f"{r['foreign']:.0%}")
            rows.append({"workload": f"state {key}", "state": b, "rate": r["rate"], "p50_ms": r["p50"],
                         "p99_ms": r["p99"], "failed": failed, "server_us": srv_us,
                         "store": s, "ratio": ratios[key] if b == "redis" else None,
                         "other_load": r["foreign"], "runs": [x["rate"] for x in res[b]["runs"]]})
    mem, red = st["login"]["oidc"]["memory"]["median"], st["login"]["oidc"]["redis"]["median"]
    extra_us = red["server_us_per_login"] - mem["server_us_per_login"]
    redis_us = red["state"]["redis_cpu_us"]
    ok = red["rate"] >= 0.75 * mem["rate"]
    rtt = st["rtt"]
    print(f"\nRedis's cost per whole login: {red['state']['round_trips']:.2f} round trips; kakunin's CPU "
          f"{extra_us:+,.0f} µs ({mem['server_us_per_login']:,.0f} → {red['server_us_per_login']:,.0f}), "
          f"redis-server's CPU {redis_us:,.0f} µs (of which {red['state']['redis_cmd_us']:.0f} µs in "
          f"the commands themselves): {extra_us + redis_us:,.0f} µs of CPU per login in all; the "
          f"server awaited the store {red['state']['wait_us']:,.0f} µs per login "
          f"({red['state']['op_mean_us']:.0f} µs a call under load; at rest, redis-benchmark -c1: "
          f"GET {rtt['get']['avg_us']:.0f} µs, SET {rtt['set']['avg_us']:.0f} µs).")
    print(f"Target: Redis costs ≤ 25% of the whole-login rate (redis ≥ 0.75 × memory): "
          f"{red['rate']:,.0f} vs {mem['rate']:,.0f}/s = {ratios['oidc']:.2f}x: {met(ok)}")
    print("(store calls: the server's state operations per token or login (put, get, take, "
          "mark_once), from its own metrics; store wait: the time the server awaited them, summed "
          "over a login; Redis CPU: redis-server's CPU time from /proc.)")
    rows.append({"workload": "state target", "redis_over_memory": ratios["oidc"], "target": "≥ 0.75x",
                 "met": ok, "extra_kakunin_us": extra_us, "redis_us": redis_us,
                 "round_trips": red["state"]["round_trips"]})
    return rows


# ---------------------------------------------------------------- main

def openssl_p256():
    """(sign/s, verify/s) of one core, from `openssl speed -seconds 3 ecdsap256`:
    the cost of the ES256 work every token request needs (one verification
    of the client's assertion, one signature of the access token)."""
    out = subprocess.run(["openssl", "speed", "-seconds", "3", "ecdsap256"],
                         capture_output=True, text=True, check=True).stdout
    m = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([0-9.]+)\s+([0-9.]+)", out)
    if not m:
        sys.exit("cannot read `openssl speed ecdsap256` output:\n" + out)
    return float(m.group(1)), float(m.group(2))


def op_version():
    with open(os.path.join(OIDC_DIR, "node_modules", "oidc-provider", "package.json")) as f:
        return json.load(f)["version"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    ap.add_argument("--threads", type=int, default=2, help="wrk threads")
    ap.add_argument("--connections", type=int, default=32, help="wrk connections")
    ap.add_argument("--runs", type=int, default=3, help="interleaved runs per comparison (median kept)")
    ap.add_argument("--op-workers", type=int, default=2,
                    help="processes of the oidc-provider cluster variant")
    ap.add_argument("--probe-assertions", type=int, default=150_000,
                    help="assertions for each server's 3 s probe run (sizes the real runs' files)")
    ap.add_argument("--max-state-entries", type=int, default=20_000_000,
                    help="kakunin's --max-state-entries (used jtis are held 330 s each)")
    ap.add_argument("--login-clients", type=int, default=6, help="client processes for the login runs")
    ap.add_argument("--login-duration", type=int, default=10, help="seconds per login run")
    ap.add_argument("--wait-quiet", type=int, default=120, metavar="SECS",
                    help="before each run, wait at most this long for the CPUs to be <10%% busy")
    ap.add_argument("--only", default="", metavar="LIST",
                    help="comma-separated subset: token,login,state; or op: oidc-provider's token rate "
                         "alone (no kakunin, no build)")
    ap.add_argument("--state-compare", action="store_true",
                    help="kakunin with --state memory against --state redis:// (a redis-server this "
                         "script starts): token, whole-login and card-login rates; the same as --only state")
    ap.add_argument("--kakunin", metavar="PATH", help="use this binary instead of building one")
    ap.add_argument("--quiet-flag", metavar="FILE",
                    help="create FILE while measuring (others on the machine hold builds), remove it after")
    ap.add_argument("--work", default=os.path.join(ROOT, "benches", "out", "oidc"))
    ap.add_argument("--json", metavar="FILE", help="also write every figure and the machine as JSON")
    a = ap.parse_args()
    only = set(filter(None, a.only.split(",")))
    if a.state_compare:
        only.add("state")
    want = lambda part: not only or part in only
    m = machine.print_machine()
    a.wrk = find_tool("wrk")
    if "state" in only:
        for tool in ("redis-server", "redis-cli", "redis-benchmark"):
            find_tool(tool)
    need_node = only != {"state"}
    a.node = find_tool("node") if need_node else None
    node_version = subprocess.run([a.node, "--version"], capture_output=True,
                                  text=True).stdout.strip() if need_node else None
    if need_node and not os.path.isdir(os.path.join(OIDC_DIR, "node_modules", "oidc-provider")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=OIDC_DIR, check=True)
    os.makedirs(a.work, exist_ok=True)
    a.work = os.path.abspath(a.work)
    if only == {"op"}:
        kakunin = None
    elif a.kakunin:
        kakunin = os.path.abspath(a.kakunin)
    else:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "kakunin"], cwd=ROOT, check=True)
        target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(ROOT, "target")
        kakunin = os.path.join(target, "release", "kakunin")
    version = op_version() if need_node else None
    cores = os.cpu_count()
    print((f"oidc-provider {version} on Node.js {node_version}; " if need_node else "") + f"load: wrk -t{a.threads} "
          f"-c{a.connections} -d{a.duration}s and {a.login_clients} Python client processes "
          f"on the same {cores} cores as the servers; median of {a.runs} interleaved runs; "
          f"load average at start {open('/proc/loadavg').read().split()[0]}\n")

    work = tempfile.mkdtemp(prefix="run-", dir=a.work)
    token = login = state = None
    flag = a.quiet_flag
    if flag:
        open(flag, "w").close()
    try:
        wait_quiet(a.wait_quiet)
        p256 = openssl_p256()
        bound = cores / (1 / p256[0] + 1 / p256[1])
        print(f"openssl speed ecdsap256 (1 core): {p256[0]:,.0f} sign/s, {p256[1]:,.0f} verify/s: "
              f"one ES256 verification and one signature per token allow at most {bound:,.0f} "
              f"tokens/s on {cores} cores, with nothing else running")
        if want("token") or "op" in only:
            token = bench_token(a, kakunin, work)
        if want("login"):
            login = bench_login(a, kakunin, work)
        if "state" in only:
            state = bench_state(a, kakunin, work)
    finally:
        if flag and os.path.exists(flag):
            os.unlink(flag)

    rows = []
    if token:
        k = token.get("kakunin", {}).get("median")
        print(f"\n**Token endpoint** (`POST /token`, client_credentials, private_key_jwt ES256, a "
              f"distinct assertion per request; wrk -t{a.threads} -c{a.connections} -d{a.duration}s; "
              f"median of {a.runs}):\n")
        row("server", "tokens/s", "p50 ms", "p99 ms", "non-2xx", "server CPU µs/token",
            "wrk CPU share", "kakunin ÷ this", "target", "met", "other load")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
        for name, res in token.items():
            r = res["median"]
            ratio = k["rate"] / r["rate"] if k else float("nan")
            is_k = name == "kakunin" or not k
            row(name if not name.startswith("oidc") else f"`oidc-provider` {version}"
                + (f", {a.op_workers}-worker cluster" if "×" in name else ", 1 process"),
                f"{r['rate']:,.0f}", f"{r['p50']:.2f}", f"{r['p99']:.2f}", r["non2xx"],
                f"{r['server_us_per_ok']:,.0f}", f"{r['client_cpu_s'] / (r['wall_s'] * cores):.0%}",
                "" if is_k else f"{ratio:.1f}x", "" if is_k else "≥ 5x",
                "" if is_k else met(ratio >= 5), f"{r['foreign']:.0%}")
            rows.append({"workload": "token client_credentials private_key_jwt", "server": name,
                         "rate": r["rate"], "p50_ms": r["p50"], "p99_ms": r["p99"],
                         "non2xx": r["non2xx"], "server_us": r["server_us_per_ok"],
                         "ratio": None if is_k else ratio, "target": None if is_k else "≥ 5x",
                         "met": None if is_k else ratio >= 5, "other_load": r["foreign"],
                         "runs": [x["rate"] for x in res["runs"]]})
    if login:
        auth = login["authenticate"]["median"]
        print(f"\n**Whole logins** (kakunin, the sample PKI's {len(holders())} valid holders; "
              f"{a.login_clients} Python client processes, one keep-alive connection each, on the "
              f"same cores; {a.login_duration} s; median of {a.runs}):\n")
        row("flow", "per s", "p50 ms", "p99 ms", "failed", "server CPU µs", "client CPU µs",
            "cores busy: server + client", "÷ authenticate", "server CPU ratio", "target", "met",
            "other load")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---:|")
        for name, res in login.items():
            r = res["median"]
            ratio = r["rate"] / auth["rate"]
            cpu_ratio = auth["server_us_per_login"] / r["server_us_per_login"]
            is_a = name == "authenticate"
            label = {"authenticate": "`/v1/challenge` → sign → `POST /v1/authenticate`",
                     "oidc": "authorize → approve → wait → token → userinfo, scope `openid`",
                     "oidc + facts": f"the same, scope `openid {FACTS}` (2 card signatures)"}[name]
            target = "≥ 0.5x" if name == "oidc" else ""
            row(label, f"{r['rate']:,.0f}", f"{r['p50']:.1f}", f"{r['p99']:.1f}",
                sum(r["failures"].values()), f"{r['server_us_per_login']:,.0f}",
                f"{r['client_us_per_login']:,.0f}",
                f"{r['server_cpu_s'] / r['secs']:.2f} + {r['client_cpu_s'] / r['secs']:.2f} of {cores}",
                "" if is_a else f"{ratio:.2f}x",
                "" if is_a else f"{cpu_ratio:.2f}x", target,
                met(ratio >= 0.5) if name == "oidc" else "", f"{r['foreign']:.0%}")
            rows.append({"workload": f"login {name}", "scope": r["scope"], "rate": r["rate"],
                         "p50_ms": r["p50"], "p99_ms": r["p99"], "failed": r["failures"],
                         "server_us": r["server_us_per_login"], "client_us": r["client_us_per_login"],
                         "ratio": None if is_a else ratio, "server_cpu_ratio": None if is_a else cpu_ratio,
                         "target": target or None, "met": (ratio >= 0.5) if name == "oidc" else None,
                         "other_load": r["foreign"], "runs": [x["rate"] for x in res["runs"]]})
        print("\n(server CPU ratio: the authenticate flow's server CPU per login ÷ this flow's: "
              "the rate ratio the server alone would reach if the client cost nothing.)")
    if state:
        rows += report_state(a, state, cores)
    print("(other load: the share of the CPUs used by processes outside this benchmark "
          "during the median run.)")
    machine.write_json(a.json, "oidc", m, rows, oidc_provider=version, node=node_version,
                       openssl_speed_p256={"sign_per_s": p256[0], "verify_per_s": p256[1]},
                       wrk={"threads": a.threads, "connections": a.connections, "duration": a.duration},
                       login_clients=a.login_clients, token=token, login=login, state=state)


if __name__ == "__main__":
    main()
