#!/usr/bin/env python3
"""Stand-in for `kakunin card approve CODE|URL --server URL --yes` until it
is merged (docs/oidc.md, "kakunin card approve"): the same card work
through the real PC/SC stack, done with the `kakunin card` commands that
exist — `card cert` and `card sign` with the user-authentication key (and
the signing key when facts are asked for) over the login message — then
`POST /approve/{pairing}`. Same exit codes: 0 approved, 1 refused, 2 error.

PINs come from KAKUNIN_PIN (authentication) and KAKUNIN_SIGN_PASSWORD.
"""

import argparse
import base64
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request


def card(args, kakunin, reader, wait, pin):
    env = {k: v for k, v in os.environ.items() if k not in ("KAKUNIN_PIN", "KAKUNIN_SIGN_PASSWORD")}
    env["KAKUNIN_PIN"] = pin
    cmd = [kakunin, "card", *args, "--reader", reader, "--wait", str(wait)]
    p = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        print(f"card approve: `kakunin card {' '.join(args)}` failed ({p.returncode}): {p.stderr.strip()}", file=sys.stderr)
        sys.exit(2)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kakunin", required=True)
    ap.add_argument("--reader", required=True)
    ap.add_argument("--wait", default="10")
    ap.add_argument("--server", required=True)
    ap.add_argument("--yes", action="store_true")
    ap.add_argument("code")
    a = ap.parse_args()
    auth_pin = os.environ.get("KAKUNIN_PIN", "")
    sign_pin = os.environ.get("KAKUNIN_SIGN_PASSWORD", "")

    if a.code.startswith("http://") or a.code.startswith("https://"):
        url = a.code
    else:
        url = a.server.rstrip("/") + "/approve/" + a.code.replace("-", "")
    server = urllib.parse.urlsplit(a.server)
    origin = f"{server.scheme}://{server.netloc}"
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            asked = json.load(r)
    except urllib.error.HTTPError as e:
        print(f"card approve: {url}: {e.code} (no such pending request: unknown, expired or decided)", file=sys.stderr)
        sys.exit(2)
    print(f"{asked['client_name']} asks for {', '.join(asked['scopes'])}; verification code {asked['verification_code']}")

    message = b"kakunin-login-v1\0" + hashlib.sha256(origin.encode()).digest() + hashlib.sha256(asked["challenge"].encode()).digest()
    with tempfile.TemporaryDirectory() as d:
        msg = os.path.join(d, "message")
        with open(msg, "wb") as f:
            f.write(message)
        body = {"origin": origin}
        keys = [("auth", "--auth", auth_pin, "cert", "signature")]
        if asked["needs_signing_certificate"]:
            keys.append(("sign", "--sign", sign_pin, "sign_cert", "sign_signature"))
        for key, which, pin, cert_field, sig_field in keys:
            cert, sig = os.path.join(d, key + ".der"), os.path.join(d, key + ".sig")
            card(["cert", which, "--out", cert], a.kakunin, a.reader, a.wait, pin)
            card(["sign", "--key", key, "--in", msg, "--out", sig], a.kakunin, a.reader, a.wait, pin)
            for field, path in ((cert_field, cert), (sig_field, sig)):
                with open(path, "rb") as f:
                    body[field] = base64.b64encode(f.read()).decode()
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            answer = json.load(r)
    except urllib.error.HTTPError as e:
        print(f"card approve: POST {url}: {e.code} {e.read().decode(errors='replace')}", file=sys.stderr)
        sys.exit(2)
    if answer.get("accepted"):
        print("approved")
        sys.exit(0)
    print(f"refused ({answer.get('status')}): {answer.get('detail')}")
    sys.exit(1)


if __name__ == "__main__":
    main()
