#!/usr/bin/env python3
"""Runs the conformance cases of make_cases.py against a kakunin binary.

    python3 run_cli.py CASE_DIR KAKUNIN [--json OUT.json] [--only ID,ID]

For each case:
  raw    kakunin verify --trust .. --intermediate .. --crl .. --at AT CERT
  ingest kakunin ingest --crl X --ca CA --out X.idx --at AT   (each CRL)
  index  kakunin verify --trust .. --intermediate .. --index X.idx.. --at AT CERT
         (the indexes of the CRLs that ingested; a refused CRL is absent)

Prints one row per case: id, expect, got (raw), got (index), ingest, result.

Refusals: today's binary exits 2 with no verdict when a --crl (or an
intermediate) fails its checks; the engine is to report a refused CRL on
stderr and answer `unknown`. Both count as "refused" here: exit 2 shows as
`refused`, and for a case whose `refused` list is non-empty it matches the
expectation (the error text is recorded). Result column:
  ok       raw, index and ingest all as expected
  GAP      the engine accepted what it should refuse, or answered a better
           verdict than expected (valid/revoked where unknown/invalid is due):
           fails open; the engine must fix these
  strict   the engine refused or failed closed where the case expects an
           answer (over-strict, or closed by another route: e.g. exit 2 on a
           CA certificate where the verdict `invalid` is expected)
Exit status: 0 when every case is ok, 1 otherwise.
"""

import json
import os
import subprocess
import sys
import tempfile

RANK = {"valid": 0, "revoked": 1, "unknown": 2, "invalid": 3, "refused": 2}


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def first_line(s, n=200):
    lines = [l.strip() for l in s.strip().splitlines() if l.strip()]
    msg = " | ".join(lines)
    return msg[:n] + ("…" if len(msg) > n else "")


def verify(kakunin, d, case, sources, flag):
    cmd = [kakunin, "verify", "--quiet", "--at", case["at"]]
    for t in case["trust"]:
        cmd += ["--trust", os.path.join(d, t)]
    for i in case["intermediates"]:
        cmd += ["--intermediate", os.path.join(d, i)]
    for s in sources:
        cmd += [flag, s]
    cmd.append(os.path.join(d, case["cert"]))
    rc, out, err = run(cmd)
    if rc == 2:
        return {"got": "refused", "detail": first_line(err), "rc": rc}
    try:
        j = json.loads(out.strip().splitlines()[0])
    except Exception:
        return {"got": "error", "detail": f"rc={rc} stdout={out[:100]!r} stderr={first_line(err)}", "rc": rc}
    detail = j.get("detail") or ""
    if j.get("reason"):
        detail = f"reason={j['reason']} {detail}".strip()
    return {"got": j.get("status"), "detail": detail, "rc": rc, "stderr": first_line(err) if err.strip() else ""}


def judge(expect, got, refused_expected):
    """ok / GAP / strict for one verdict."""
    if got == expect:
        return "ok"
    if got == "refused":
        # Exit 2: no verdict. Fine when a refusal is expected and the
        # certificate would then come out unknown (or the answer of the
        # CRLs that remain, which today's exit 2 cannot show).
        return "ok" if refused_expected else "strict"
    if got in RANK and expect in RANK and RANK[got] < RANK[expect]:
        return "GAP"
    return "strict"


def main():
    args = [a for a in sys.argv[1:]]
    js = None
    only = None
    if "--json" in args:
        i = args.index("--json")
        js = args[i + 1]
        del args[i : i + 2]
    if "--only" in args:
        i = args.index("--only")
        only = set(args[i + 1].split(","))
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    d, kakunin = args
    cases = json.load(open(os.path.join(d, "manifest.json")))
    tmp = tempfile.mkdtemp(prefix="kakunin-conf-idx-")
    results = []
    for case in cases:
        if only and case["id"] not in only:
            continue
        refused = set(case.get("refused", []))
        raw = verify(kakunin, d, case, [os.path.join(d, c) for c in case["crls"]], "--crl")
        ing = []
        idxs = []
        for n, c in enumerate(case["crls"]):
            out = os.path.join(tmp, f"{case['id']}-{n}.idx")
            ca = case["crl_ca"][c]
            rc, so, se = run([kakunin, "ingest", "--quiet", "--crl", os.path.join(d, c), "--ca",
                              os.path.join(d, ca), "--out", out, "--at", case["at"]])
            ok = rc == 0
            if ok:
                idxs.append(out)
            ing.append({"crl": c, "ok": ok, "msg": "" if ok else first_line(se),
                        "as_expected": ok != (c in refused)})
        idx = verify(kakunin, d, case, idxs, "--index")
        r_raw = judge(case["expect"], raw["got"], bool(refused))
        r_idx = judge(case["expect"], idx["got"], False)
        r_ing = "ok"
        for i in ing:
            if not i["as_expected"]:
                # accepted what must be refused: open; refused a good one: strict
                r_ing = "GAP" if i["ok"] else "strict"
                break
        parts = [r_raw, r_idx, r_ing]
        result = "GAP" if "GAP" in parts else ("strict" if "strict" in parts else "ok")
        results.append({"id": case["id"], "rule": case["rule"], "expect": case["expect"], "raw": raw,
                        "index": idx, "ingest": ing, "result": result,
                        "judged": {"raw": r_raw, "index": r_idx, "ingest": r_ing}})

    def ing_cell(r):
        bad = [i for i in r["ingest"] if not i["ok"]]
        if not bad:
            return "all ok"
        return "; ".join(f"{os.path.basename(os.path.dirname(i['crl'])) or i['crl']}/{os.path.basename(i['crl'])}: refused" for i in bad)

    w = max(len(r["id"]) for r in results)
    print(f"{'id':<{w}}  {'expect':<8} {'raw':<8} {'index':<8} {'result':<7} ingest")
    print("-" * (w + 60))
    for r in results:
        print(f"{r['id']:<{w}}  {r['expect']:<8} {r['raw']['got']:<8} {r['index']['got']:<8} {r['result']:<7} {ing_cell(r)}")
    n_ok = sum(r["result"] == "ok" for r in results)
    n_gap = sum(r["result"] == "GAP" for r in results)
    n_strict = sum(r["result"] == "strict" for r in results)
    print(f"\n{len(results)} cases: {n_ok} ok, {n_gap} GAP (fails open), {n_strict} strict/other")
    print("\nMessages (raw verify exit 2 / detail, and ingest refusals) for cases not ok or refused:")
    for r in results:
        msgs = []
        if r["raw"]["got"] in ("refused", "error") or r["result"] != "ok":
            msgs.append(f"raw: {r['raw']['got']}: {r['raw']['detail']}")
        if r["result"] != "ok" and r["index"]["got"] != r["raw"]["got"]:
            msgs.append(f"index: {r['index']['got']}: {r['index']['detail']}")
        for i in r["ingest"]:
            if not i["ok"]:
                msgs.append(f"ingest {i['crl']}: {i['msg']}")
        if msgs:
            print(f"- {r['id']} [{r['result']}]")
            for m in msgs:
                print(f"    {m}")
    if js:
        with open(js, "w") as f:
            json.dump(results, f, indent=1)
    sys.exit(0 if n_ok == len(results) else 1)


if __name__ == "__main__":
    main()
