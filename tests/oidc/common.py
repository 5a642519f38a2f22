"""What rp_authlib.py and browser.py share: the configuration the Rust
harness (tools/tests/cli/oidc_rp.rs) writes, the card approval step, the
card swap protocol, and the expected facts.

The configuration (a JSON file named on the command line):
  issuer                  the main provider's issuer (= its base URL)
  servers                 more providers: short_code, short_pending,
                          sign_revoked (rp_authlib.py only)
  clients.{es256,rs256,par,web}
                          client_id, key (PKCS#8 PEM path), kid, alg,
                          redirect_uri, id_token_alg
  stranger_key            a P-256 key in no client's JWKS
  approve                 the approval command (argv); `--server URL CODE`
                          is appended. PINs are in KAKUNIN_PIN and
                          KAKUNIN_SIGN_PASSWORD, which it inherits.
  facts                   {holder number: path of gen's facts.json}

rp_sign.py's configuration also has (the signing API, docs/signing.md):
  servers                 short_sign (--sign-lifetime 2s), sign_revoked
                          (holder 1's signing certificate revoked)
  clients.{signer,other,sealed}
                          as above; sealed also has enc_key, the RSA private
                          key (PEM path) its results are encrypted to
  kakunin, reader         the kakunin binary and the card's reader
  pki                     gen's directory (holders/N/sign.pem)
  evidence                {server name ("main" for the issuer): its
                          evidence log}
  evidence_pub            the evidence key's public half (PEM)

Swapping the card: a script prints `card: insert holder N` and the
harness answers `card: holder N inserted` on stdin once pcscd sees it.
`card: insert holder N remove-after-signatures K` inserts a card that
takes itself out right after its Kth signature (a card pulled mid-batch).

Every check prints one `ok:` line; the first failure raises `Failed`,
and `main()` prints `FAILED: ...` and exits 1.
"""

import json
import os
import subprocess
import sys
import time
import traceback

HTTP_TIMEOUT = 10
APPROVE_TIMEOUT = 60


class Failed(Exception):
    pass


def check(cond, what, found=None):
    """`what` must hold; otherwise fail saying what was found."""
    if not cond:
        raise Failed(f"{what}; found: {found!r}" if found is not None else what)
    print(f"ok: {what}", flush=True)


def equal(found, expected, what):
    check(found == expected, f"{what} = {expected!r}", found)


def load_config():
    if len(sys.argv) < 2:
        raise SystemExit(f"usage: {sys.argv[0]} CONFIG.json [PART]")
    with open(sys.argv[1], encoding="utf-8") as f:
        return json.load(f)


def approve(cfg, server, code, expect, env=None):
    """Runs the approval command for pairing `code` on `server`; its exit
    status must be `expect` (0 approved, 1 refused, 2 error; None: any
    non-zero). `env`: variables to set for it (e.g. another
    KAKUNIN_SIGN_PASSWORD). Returns its output."""
    argv = cfg["approve"] + ["--server", server, code]
    started = time.monotonic()
    run_env = dict(os.environ, **env) if env else None
    try:
        p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=APPROVE_TIMEOUT, env=run_env)
    except subprocess.TimeoutExpired:
        raise Failed(f"`{' '.join(argv)}` did not finish within {APPROVE_TIMEOUT} s")
    took = time.monotonic() - started
    out = (p.stdout + p.stderr).strip()
    if expect is None:
        check(p.returncode != 0, f"card approve {code} on {server} fails (exit {p.returncode}, {took:.1f} s)", out)
    else:
        check(p.returncode == expect, f"card approve {code} on {server} exits {expect} ({took:.1f} s)", f"exit {p.returncode}: {out}")
    # The signing password is distinctive enough to look for; the 4-digit
    # PIN could appear by chance (a port, the verification code).
    check("jpki2026" not in out.lower(), "card approve's output holds no signing password", out)
    return out


def insert_card(holder, remove_after_signatures=None):
    """Asks the harness to put `holder`'s card in the reader; with
    `remove_after_signatures` K, a card that is taken out right after its
    Kth signature."""
    pull = f" remove-after-signatures {remove_after_signatures}" if remove_after_signatures else ""
    print(f"card: insert holder {holder}{pull}", flush=True)
    line = sys.stdin.readline().strip()
    equal(line, f"card: holder {holder} inserted", "the harness's answer to the card swap")


def expected_facts(cfg, holder):
    """The userinfo claims of the 4 facts, from gen's facts.json (an
    oracle independent of the server's certificate decoding)."""
    with open(cfg["facts"][str(holder)], encoding="utf-8") as f:
        facts = json.load(f)
    b = facts["birth_date"]  # era digit + YYYYMMDD
    return {
        "name": facts["name"],
        "address": {"formatted": facts["address"]},
        "birthdate": f"{b[1:5]}-{b[5:7]}-{b[7:9]}",
        "gender": {"1": "male", "2": "female"}[facts["sex"]],
    }


def main(run):
    """Runs `run()`, turning the first failure into exit 1."""
    started = time.monotonic()
    try:
        run()
    except Failed as e:
        print(f"FAILED: {e}", flush=True)
        sys.exit(1)
    except Exception:
        print("FAILED with an exception:", flush=True)
        traceback.print_exc(file=sys.stdout)
        sys.exit(1)
    print(f"all checks passed in {time.monotonic() - started:.1f} s", flush=True)

