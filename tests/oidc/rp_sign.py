#!/usr/bin/env python3
"""kakunin serve's signing API (docs/signing.md) end to end, with Authlib as
the relying party and the card's approval through the real PC/SC stack:
a client-credentials token, documents registered, `kakunin card approve`,
the code flow, the result. Each signature is checked by `openssl pkeyutl
-verify` over a DigestInfo this script builds from its own digests (not
the server's echo), the certificate is compared with gen's, the facts
with gen's facts.json, an encrypted result is decrypted by jwe_decrypt.py
(joserfc, and RFC 7516 by hand on `cryptography`), and the evidence logs
are checked by `kakunin evidence verify` and line by line.

Run by tools/tests/cli/oidc_rp.rs:
  rp_sign.py CONFIG.json signed   the signed flow, the encrypted result,
                                  the result and the transaction refused
                                  to the wrong token or client, an
                                  expired transaction
  rp_sign.py CONFIG.json card     a wrong signing password, the card
                                  pulled mid-batch, a revoked signing
                                  certificate
See common.py for CONFIG.json.
"""

import atexit
import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse

import requests

from common import HTTP_TIMEOUT, Failed, approve, check, equal, expected_facts, insert_card, load_config, main
from rp_authlib import Browser, Rp, _json, refusal

# RFC 8017 §9.2 note 1: the DER DigestInfo prefixes.
DIGEST_INFO_PREFIX = {
    "SHA-256": bytes.fromhex("3031300d060960864801650304020105000420"),
    "SHA-512": bytes.fromhex("3051300d060960864801650304020305000440"),
}
# Not the card's signing password (card-sim's default is JPKI2026).
WRONG_SIGN_PASSWORD = "WRONG2026"
SCOPE = "openid sign"
TMP = tempfile.mkdtemp(prefix="rp_sign.")
atexit.register(shutil.rmtree, TMP, True)


def b64(b):
    return base64.b64encode(b).decode()


class Document:
    """A document the RP wants signed: its bytes, hashed here."""

    def __init__(self, label, content, algorithm, whole_digest_info=False):
        self.label = label
        self.algorithm = algorithm
        self.digest = hashlib.new(algorithm.replace("-", "").lower(), content).digest()
        self.digest_info = DIGEST_INFO_PREFIX[algorithm] + self.digest
        self.whole_digest_info = whole_digest_info

    def registration(self):
        if self.whole_digest_info:
            return {"label": self.label, "digest_info": b64(self.digest_info)}
        return {"label": self.label, "digest": b64(self.digest)}


def three_documents(tag):
    """Two SHA-256 digests and one SHA-512 DigestInfo of real bytes; `tag`
    makes each batch's documents its own."""
    return [
        Document(f"契約書 2026-12 ({tag}).pdf", f"%PDF-1.7\n契約書 {tag}\n%%EOF\n".encode(), "SHA-256"),
        Document(f"申請書 ({tag}).xml", f'<?xml version="1.0"?><申請 id="{tag}"/>'.encode(), "SHA-256"),
        Document(f"報告書 ({tag}).txt", f"報告書 {tag}: SHA-512 DigestInfo\n".encode(), "SHA-512", whole_digest_info=True),
    ]


class Signing:
    """One registered client's use of the signing API at one provider."""

    def __init__(self, cfg, which, server=None):
        self.cfg = cfg
        self.which = which
        self.rp = Rp(cfg, which, server)
        self.server = self.rp.server
        self.api = self.server + "/v1/sign-transactions"

    def cc_token(self):
        """A client-credentials access token with scope sign
        (private_key_jwt)."""
        code, body = self.rp.token_request({"grant_type": "client_credentials", "scope": "sign"})
        equal(code, 200, f"{self.which}: client-credentials token with scope sign")
        return body["access_token"]

    def post(self, token, body):
        h = {"Content-Type": "application/json"}
        if token:
            h["Authorization"] = "Bearer " + token
        return requests.post(self.api, data=json.dumps(body).encode(), headers=h, timeout=HTTP_TIMEOUT)

    def register(self, token, documents, facts=False):
        r = self.post(token, {"documents": [d.registration() for d in documents], "facts": facts})
        equal(r.status_code, 201, f"{self.which}: POST /v1/sign-transactions with {len(documents)} documents: status")
        body = r.json()
        check(re.fullmatch(r"[0-9a-f-]{36}", body["sign_transaction_id"]) is not None, "sign_transaction_id is a UUID", body)
        equal(body["documents"], len(documents), "registered document count")
        check(0 < body["expires_in"] <= 900, "expires_in within the lifetime", body)
        return body

    def get(self, path, token):
        h = {"Authorization": "Bearer " + token} if token else {}
        return requests.get(self.api + path, headers=h, timeout=HTTP_TIMEOUT)

    def state(self, tx_id, token):
        r = self.get("/" + tx_id, token)
        equal(r.status_code, 200, f"{self.which}: GET /v1/sign-transactions/{{id}}: status")
        equal(r.headers.get("Cache-Control"), "no-store", "the state's Cache-Control")
        return r.json()

    def start_login(self, tx_id):
        """The authorization request for `tx_id`, as the person's browser
        makes it: (auth, browser, pending)."""
        auth = self.rp.authorization(SCOPE, sign_transaction_id=tx_id)
        browser = Browser()
        pending = browser.start(auth["url"])
        return auth, browser, pending

    def finish_login(self, auth, browser, pending):
        """After the card's approval: the redirect, then the code for
        tokens with Authlib checking the ID token. Returns the token."""
        equal(browser.wait_state(pending), (200, {"state": "approved"}), "the wait URL's state after approval")
        token, _ = self.rp.redeem(browser.follow(pending), auth)
        return token["access_token"]

    def result(self, tx_id, token):
        return self.get(f"/{tx_id}/result", token)


# --- independent checks ------------------------------------------------------


def run(argv, what, ok_codes=(0,)):
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
    if p.returncode not in ok_codes:
        raise Failed(f"{what}: `{' '.join(argv)}` exited {p.returncode}: {(p.stdout + p.stderr).decode(errors='replace')}")
    return p


def write(name, data):
    path = os.path.join(TMP, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def pkeyutl(pub, data, signature, *opts):
    """`openssl pkeyutl -pubin -inkey PUB -sigfile SIG -in DATA` with
    PKCS#1 v1.5 padding and `opts` (-verify, -verifyrecover, digest):
    (exit status, stdout bytes, what it said)."""
    args = ["openssl", "pkeyutl", "-pubin", "-inkey", pub, "-pkeyopt", "rsa_padding_mode:pkcs1", *opts]
    if "-verify" in opts:
        args += ["-in", write("data.bin", data), "-sigfile", write("sig.bin", signature)]
    else:
        args += ["-in", write("sig.bin", signature)]
    p = subprocess.run(args, stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return p.returncode, p.stdout, (p.stdout + p.stderr).decode(errors="replace").strip()


def openssl_verify(pub, doc, signature, digest=None):
    """The signature checked by OpenSSL over the document's DigestInfo:
    `pkeyutl -verify` of the DER DigestInfo built here when OpenSSL takes
    it (at most 64 bytes: SHA-256's), and `pkeyutl -verify -pkeyopt
    digest:ALG` over the digest, OpenSSL building the DigestInfo itself.
    `digest`: another digest to try instead. (verified, what it said)."""
    digest = doc.digest if digest is None else digest
    said = []
    if len(doc.digest_info) <= 64:
        di = DIGEST_INFO_PREFIX[doc.algorithm] + digest
        code, _, out = pkeyutl(pub, di, signature, "-verify")
        said.append(f"DigestInfo: {out}")
        if code != 0 or "Signature Verified Successfully" not in out:
            return False, said
    md = doc.algorithm.replace("-", "").lower()
    code, _, out = pkeyutl(pub, digest, signature, "-verify", "-pkeyopt", f"digest:{md}")
    said.append(f"digest:{md}: {out}")
    return code == 0 and "Signature Verified Successfully" in out, said


def openssl_recovered(pub, signature):
    """`pkeyutl -verifyrecover`: the DigestInfo inside the signature, as
    OpenSSL unpads it (PKCS#1 v1.5 type 1)."""
    code, out, said = pkeyutl(pub, None, signature, "-verifyrecover")
    if code != 0:
        raise Failed(f"openssl pkeyutl -verifyrecover failed: {said}")
    return out


def gen_sign_certificate(cfg, holder):
    pem = os.path.join(cfg["pki"], "holders", str(holder), "sign.pem")
    return run(["openssl", "x509", "-in", pem, "-outform", "DER"], "gen's signing certificate as DER").stdout


def check_result(cfg, result, tx_id, documents, holder, facts):
    """A signed result: the documents as registered, every signature
    verified by OpenSSL with gen's signing certificate's key over the
    DigestInfo built here, a changed digest refused, the verification
    block, the facts (gen's facts.json) only when asked for."""
    equal(result.get("status"), "signed", "result status")
    equal(result.get("sign_transaction_id"), tx_id, "result sign_transaction_id")
    cert = base64.b64decode(result["certificate"])
    check(cert == gen_sign_certificate(cfg, holder), f"the result's certificate is holder {holder}'s signing certificate (gen's sign.pem)", len(cert))
    pub = os.path.join(TMP, "signer.pub.pem")
    with open(pub, "wb") as f:
        f.write(run(["openssl", "x509", "-inform", "DER", "-in", write("cert.der", cert), "-pubkey", "-noout"], "the certificate's public key").stdout)
    equal(len(result["documents"]), len(documents), "result document count")
    for i, (doc, got) in enumerate(zip(documents, result["documents"])):
        equal((got["label"], got["algorithm"], got["digest"]), (doc.label, doc.algorithm, b64(doc.digest)), f"documents[{i}] label, algorithm, digest")
        sig = base64.b64decode(got["signature"])
        verified, said = openssl_verify(pub, doc, sig)
        check(verified, f"documents[{i}] ({doc.algorithm}): openssl pkeyutl -verify over the DigestInfo", said)
        recovered = openssl_recovered(pub, sig)
        check(recovered == doc.digest_info, f"documents[{i}]: the DigestInfo OpenSSL recovers = the one built here", recovered.hex())
        changed = bytearray(doc.digest)
        changed[-1] ^= 1
        verified, said = openssl_verify(pub, doc, sig, digest=bytes(changed))
        check(not verified, f"documents[{i}]: the signature does not verify over a digest with one bit changed", said)
    v = result["verification"]
    equal(v["status"], "valid", "verification status")
    check(isinstance(v.get("crl_number"), str) and v["crl_number"].isdigit(), "verification names the CRL number it was checked against", v)
    check(isinstance(v.get("checked_at"), str), "verification checked_at", v)
    check(re.fullmatch(r"[0-9a-f]{64}", result.get("evidence_id", "")) is not None, "evidence_id is a hex SHA-256", result.get("evidence_id"))
    if facts:
        equal(result.get("facts"), expected_facts(cfg, holder), "result facts (gen's facts.json)")
    else:
        check("facts" not in result, "no facts when not asked for", result.get("facts"))


def kakunin(cfg, *args, ok_codes=(0,)):
    return run([cfg["kakunin"], *args], f"kakunin {args[0]} {args[1]}", ok_codes)


def evidence_lines(cfg, server, tx_id):
    """The lines (without `\n`) of `server`'s evidence log whose record
    is the transaction `tx_id`'s."""
    return [raw for raw, e in read_chain(cfg, server) if e["kind"] == "sign_transaction" and e["record"].get("id") == tx_id]


def read_chain(cfg, server):
    """`server`'s evidence log: (line bytes without `\n`, parsed) each."""
    path = cfg["evidence"][server]
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        data = f.read()
    if data and not data.endswith(b"\n"):
        raise Failed(f"{server}'s evidence log ends inside a line: {data[-200:]!r}")
    for secret in (b"JPKI2026", WRONG_SIGN_PASSWORD.encode()):
        if secret in data.upper():
            raise Failed(f"{server}'s evidence log holds a signing password")
    return [(raw, json.loads(raw)) for raw in data.split(b"\n")[:-1]]


def check_chain_by_hand(cfg, server):
    """The hash chain and the checkpoints' signatures, checked here with
    hashlib and `cryptography` (docs/evidence.md): `seq` up by one, `prev`
    the SHA-256 of the line before (64 zeros first), each checkpoint's
    `head` the hash of line `head_seq`, its ECDSA P-256 signature over the
    fixed text verified with the evidence key; every record sealed."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    with open(cfg["evidence_pub"], "rb") as f:
        pub = serialization.load_pem_public_key(f.read())
    chain = read_chain(cfg, server)
    # seq 0: before the first line (a new chain's `start` checkpoint).
    prev, by_seq, sealed_to, checkpoints = "0" * 64, {0: "0" * 64}, 0, 0
    for i, (raw, e) in enumerate(chain):
        where = f"{server}'s evidence log, line {i + 1}"
        if e["prev"] != prev or (i > 0 and e["seq"] != chain[i - 1][1]["seq"] + 1):
            raise Failed(f"{where}: expected prev {prev} after seq {chain[i - 1][1]['seq'] if i else '-'}, found {raw[:200]!r}")
        prev = hashlib.sha256(raw).hexdigest()
        by_seq[e["seq"]] = prev
        if e["kind"] == "checkpoint":
            c = e["record"]
            if by_seq.get(c["head_seq"]) != c["head"]:
                raise Failed(f"{where}: the checkpoint's head is not the hash of line seq {c['head_seq']}: {c}")
            message = f"kakunin-evidence-checkpoint v1\n{c['head_seq']}\n{c['head']}\n{c['at']}\n{c['reason']}\n{c['key_id']}\n"
            try:
                pub.verify(base64.b64decode(c["signature"]), message.encode(), ec.ECDSA(hashes.SHA256()))
            except Exception as e2:
                raise Failed(f"{where}: the checkpoint's signature does not verify with the evidence key ({type(e2).__name__}): {c}")
            sealed_to, checkpoints = c["head_seq"], checkpoints + 1
    records = [e["seq"] for _, e in chain if e["kind"] != "checkpoint"]
    check(all(s <= sealed_to for s in records), f"{server}'s evidence log: {len(chain)} lines, hash chain and {checkpoints} checkpoint signatures verified here, every record sealed", (records, sealed_to))


def check_evidence_record(cfg, server, tx_id, evidence_id, status):
    """The transaction's one evidence record: its line's SHA-256 is the
    evidence_id (docs/signing.md), it says this status, and `kakunin
    evidence show` prints it."""
    lines = evidence_lines(cfg, server, tx_id)
    equal(len(lines), 1, f"evidence records of {tx_id}")
    equal(hashlib.sha256(lines[0]).hexdigest(), evidence_id, "evidence_id: the SHA-256 of the record's line")
    record = json.loads(lines[0])["record"]
    equal(record["status"], status, "the evidence record's status")
    out = kakunin(cfg, "evidence", "show", tx_id, cfg["evidence"][server]).stdout.decode()
    check(tx_id in out and re.search(r'"status"\s*:\s*"' + status + '"', out) is not None, f"kakunin evidence show {tx_id}: a record with status {status}", out[:800])
    return record


def check_evidence_logs(cfg, servers):
    """Each log checked by hand, then by `kakunin evidence verify FILE
    --key PUB` (exit 0)."""
    for server in servers:
        check_chain_by_hand(cfg, server)
        path = cfg["evidence"][server]
        p = kakunin(cfg, "evidence", "verify", path, "--key", cfg["evidence_pub"])
        said = "; ".join(p.stdout.decode().strip().splitlines())
        check(True, f"kakunin evidence verify of {server}'s log exits 0: {said}")


def card_tries(cfg):
    """Tries left on the auth PIN and the signing password, from `kakunin
    card info --json`."""
    out = kakunin(cfg, "card", "info", "--json", "--reader", cfg["reader"], "--wait", "10").stdout
    pins = json.loads(out)["pins"]
    return pins["auth"]["tries_left"], pins["sign"]["tries_left"]


def front_refusal(rp, url, what, why):
    """An authorization request the provider sends back to the RP with
    error=invalid_request (no code), the description matching `why`."""
    r = requests.get(url, headers={"Accept": "application/json"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    check(r.status_code in (302, 303), f"{what}: redirected to the RP", (r.status_code, r.text[:300]))
    loc = r.headers["Location"]
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    check(loc.startswith(rp.c["redirect_uri"] + "?"), f"{what}: to the registered redirect URI", loc)
    equal(q.get("error"), "invalid_request", f"{what}: error")
    check("code" not in q, f"{what}: no code", loc)
    check(re.search(why, q.get("error_description", ""), re.I) is not None, f"{what}: the description says /{why}/", q.get("error_description"))


# --- part "signed" -------------------------------------------------------------


def check_registration_refusals(signer, other):
    docs = three_documents("refused")
    r = signer.post(None, {"documents": [d.registration() for d in docs]})
    equal(r.status_code, 401, "POST /v1/sign-transactions without a token")
    check(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), "... asks for Bearer", r.headers.get("WWW-Authenticate"))
    token = signer.cc_token()
    short = dict(docs[0].registration(), digest=b64(docs[0].digest[:31]))
    r = signer.post(token, {"documents": [short]})
    equal(r.status_code, 400, "a 31-byte digest: status")
    check("documents[0]" in r.text and "31 bytes" in r.text, "the refusal names the document and the length", r.text)
    r = other.post(other.cc_token(), {"documents": [docs[0].registration()], "facts": True})
    equal(r.status_code, 400, "facts asked by a client not registered for them: status")
    check("facts" in r.text, "the refusal says facts", r.text)


def check_signed_flow(cfg, signer):
    """Three documents with facts: registered, shown to the card front
    end, approved, the code flow, the result verified; fetched again."""
    token = signer.cc_token()
    docs = three_documents("signed")
    tx_id = signer.register(token, docs, facts=True)["sign_transaction_id"]
    equal(signer.state(tx_id, token)["status"], "open", "a new transaction is open")
    auth, browser, pending = signer.start_login(tx_id)
    shown = requests.get(pending["approval_url"], headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT).json()
    equal(shown.get("sign_transaction_id"), tx_id, "the approval request names the transaction")
    equal([(d["label"], d["algorithm"], d["digest"]) for d in shown["documents"]], [(d.label, d.algorithm, b64(d.digest)) for d in docs], "the approval request lists the documents")
    out = approve(cfg, signer.server, pending["pairing_code"], 0)
    check(all(d.label in out for d in docs), "card approve shows each document's label", out)
    at = signer.finish_login(auth, browser, pending)
    r = signer.result(tx_id, at)
    equal((r.status_code, r.headers.get("Content-Type", "").split(";")[0]), (200, "application/json"), "GET .../result with the login's token")
    equal(r.headers.get("Cache-Control"), "no-store", "the result's Cache-Control")
    result = r.json()
    check_result(cfg, result, tx_id, docs, 1, facts=True)
    state = signer.state(tx_id, token)
    equal((state["status"], state.get("evidence_id")), ("signed", result["evidence_id"]), "the state after approval: signed, the same evidence_id")
    again = signer.result(tx_id, at)
    check(again.status_code == 200 and again.json() == result, "the result fetched again with the right token: the same", again.text[:300])
    record = check_evidence_record(cfg, "main", tx_id, result["evidence_id"], "signed")
    check(record["documents"] == result["documents"], "the evidence record's documents and signatures = the result's", record["documents"])
    check(record["certificate"] == result["certificate"] and record["facts_released"] is True, "the evidence record's certificate = the result's, facts released", record)
    return tx_id, at, token


def check_result_refusals(cfg, signer, tx_id, at, cc_token):
    """The result is the approving login's: refused without a token, with
    a client-credentials token, with another login's token (both ways)."""
    docs = three_documents("second")
    tx2 = signer.register(cc_token, docs, facts=False)["sign_transaction_id"]
    auth, browser, pending = signer.start_login(tx2)
    approve(cfg, signer.server, pending["pairing_code"], 0)
    at2 = signer.finish_login(auth, browser, pending)
    r = signer.result(tx2, at2)
    equal(r.status_code, 200, "the second transaction's result")
    check_result(cfg, r.json(), tx2, docs, 1, facts=False)

    r = signer.result(tx_id, None)
    equal(r.status_code, 401, "the result without a token")
    check(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), "... asks for Bearer", r.headers.get("WWW-Authenticate"))
    for token, what in (
        (cc_token, "a client-credentials token"),
        (at2, "another login's token (the second transaction's)"),
    ):
        r = signer.result(tx_id, token)
        equal((r.status_code, _json(r).get("error")), (403, "insufficient_scope"), f"the result with {what}")
        check("signature" not in r.text, "... and no signature in the answer", r.text[:300])
    r = signer.result(tx2, at)
    equal((r.status_code, _json(r).get("error")), (403, "insufficient_scope"), "the second result with the first login's token")
    r = signer.get("/" + tx_id, at)
    equal((r.status_code, _json(r).get("error")), (403, "insufficient_scope"), "the state with a login's token")


def check_other_client(signer, other):
    """Another client's transaction: refused at /authorize, "no such" at
    its state."""
    token = signer.cc_token()
    tx_id = signer.register(token, three_documents("other"))["sign_transaction_id"]
    url = other.rp.authorization(SCOPE, sign_transaction_id=tx_id)["url"]
    front_refusal(other.rp, url, "another client's sign_transaction_id at /authorize", "no such sign transaction")
    r = other.get("/" + tx_id, other.cc_token())
    equal(r.status_code, 404, "another client's transaction's state")
    equal(signer.state(tx_id, token)["status"], "open", "the transaction is still open for its own client")


def check_encrypted_result(cfg, sealed):
    """A client with an encryption key gets the result as a compact JWE,
    decrypted by jwe_decrypt.py (joserfc, and by hand)."""
    token = sealed.cc_token()
    docs = three_documents("sealed")
    tx_id = sealed.register(token, docs, facts=True)["sign_transaction_id"]
    auth, browser, pending = sealed.start_login(tx_id)
    approve(cfg, sealed.server, pending["pairing_code"], 0)
    at = sealed.finish_login(auth, browser, pending)
    r = sealed.result(tx_id, at)
    equal((r.status_code, r.headers.get("Content-Type")), (200, "application/jose"), "the encrypted result: status, Content-Type")
    jwe = r.text.strip()
    equal(jwe.count("."), 4, "the result is a compact JWE (5 parts)")
    here = os.path.dirname(os.path.abspath(__file__))
    p = subprocess.run(
        [sys.executable, os.path.join(here, "jwe_decrypt.py"), sealed.rp.c["enc_key"]],
        input=jwe + "\n", capture_output=True, text=True, timeout=60,
    )
    check(p.returncode == 0, "jwe_decrypt.py decrypts the result (joserfc and RFC 7516 by hand agree)", p.stderr)
    out = json.loads(p.stdout.strip())
    header = out["protected"]
    equal((header.get("alg"), header.get("enc"), header.get("cty")), ("RSA-OAEP-256", "A256GCM", "JSON"), "the JWE's alg, enc, cty")
    equal(header.get("kid"), "rpsealed-enc", "the JWE's kid: the client's encryption key")
    check_result(cfg, json.loads(bytes.fromhex(out["plaintext"])), tx_id, docs, 1, facts=True)


def check_expired(cfg):
    """A transaction not approved within --sign-lifetime 2s: expired, its
    login refused, a login started in time cannot be approved late."""
    server = cfg["servers"]["short_sign"]
    signer = Signing(cfg, "signer", server)
    token = signer.cc_token()
    reg = signer.register(token, three_documents("late"))
    tx_id = reg["sign_transaction_id"]
    registered = time.monotonic()
    check(reg["expires_in"] <= 2, "--sign-lifetime 2s: expires_in", reg)
    _, _, pending = signer.start_login(tx_id)
    time.sleep(max(0.0, 3.2 - (time.monotonic() - registered)))
    equal(signer.state(tx_id, token)["status"], "expired", "the transaction's state after its lifetime")
    front_refusal(signer.rp, signer.rp.authorization(SCOPE, sign_transaction_id=tx_id)["url"], "an expired transaction at /authorize", "expired|no such")
    approve(cfg, server, pending["pairing_code"], None)
    equal(signer.state(tx_id, token)["status"], "expired", "the transaction after a late approval")
    equal(evidence_lines(cfg, "short_sign", tx_id), [], "no evidence record for an expired transaction")


def part_signed(cfg):
    signer, other, sealed = Signing(cfg, "signer"), Signing(cfg, "other"), Signing(cfg, "sealed")
    check_registration_refusals(signer, other)
    tx_id, at, cc_token = check_signed_flow(cfg, signer)
    check_result_refusals(cfg, signer, tx_id, at, cc_token)
    check_other_client(signer, other)
    check_encrypted_result(cfg, sealed)
    check_expired(cfg)
    check_evidence_logs(cfg, ["main", "short_sign"])


# --- part "card" ---------------------------------------------------------------


def check_wrong_sign_password(cfg, signer):
    """A wrong signing password costs exactly one try, posts nothing and
    leaves the transaction open; the right one then signs."""
    token = signer.cc_token()
    docs = three_documents("password")
    tx_id = signer.register(token, docs)["sign_transaction_id"]
    auth, browser, pending = signer.start_login(tx_id)
    equal(card_tries(cfg), (3, 5), "tries left (auth PIN, signing password) before")
    out = approve(cfg, signer.server, pending["pairing_code"], 2, env={"KAKUNIN_SIGN_PASSWORD": WRONG_SIGN_PASSWORD})
    check(WRONG_SIGN_PASSWORD.lower() not in out.lower(), "card approve's output holds no wrong signing password", out)
    said = out.splitlines()[-1] if out else ""
    check(re.search(r"signing password", said, re.I) and re.search(r"\b4 tries left", said), f"card approve says the signing password was wrong, 4 tries left ({said})", out)
    equal(card_tries(cfg), (3, 4), "tries left after a wrong signing password: exactly one spent")
    equal(signer.state(tx_id, token)["status"], "open", "the transaction after a wrong signing password")
    equal(browser.wait_state(pending), (200, {"state": "pending"}), "the login after a wrong signing password: still pending")
    equal(evidence_lines(cfg, "main", tx_id), [], "no evidence record after a wrong signing password")
    approve(cfg, signer.server, pending["pairing_code"], 0)
    equal(card_tries(cfg), (3, 5), "tries left after the right signing password (reset)")
    at = signer.finish_login(auth, browser, pending)
    r = signer.result(tx_id, at)
    equal(r.status_code, 200, "the result after the retry")
    result = r.json()
    check_result(cfg, result, tx_id, docs, 1, facts=False)
    check_evidence_record(cfg, "main", tx_id, result["evidence_id"], "signed")


def check_card_pulled(cfg, signer):
    """The card taken out after the first document (signature 3: auth
    login, signing login, document 1): nothing posted, the transaction
    open, no evidence; with the card back, the same login is approved."""
    insert_card(1, remove_after_signatures=3)
    token = signer.cc_token()
    docs = three_documents("pulled")
    tx_id = signer.register(token, docs)["sign_transaction_id"]
    auth, browser, pending = signer.start_login(tx_id)
    out = approve(cfg, signer.server, pending["pairing_code"], 2)
    said = out.splitlines()[-1] if out else ""
    check(re.search(r"nothing was (sent|posted)", said, re.I), f"card approve says nothing was sent ({said})", out)
    equal(signer.state(tx_id, token)["status"], "open", "the transaction after the card was pulled mid-batch")
    equal(browser.wait_state(pending), (200, {"state": "pending"}), "the login after the card was pulled: still pending")
    equal(evidence_lines(cfg, "main", tx_id), [], "no evidence record after the card was pulled")
    insert_card(1)
    equal(card_tries(cfg), (3, 5), "tries left with the card back (the signing password was right)")
    approve(cfg, signer.server, pending["pairing_code"], 0)
    at = signer.finish_login(auth, browser, pending)
    r = signer.result(tx_id, at)
    equal(r.status_code, 200, "the result with the card back")
    result = r.json()
    check_result(cfg, result, tx_id, docs, 1, facts=False)
    check_evidence_record(cfg, "main", tx_id, result["evidence_id"], "signed")


def check_revoked_signing_certificate(cfg):
    """Holder 1's signing certificate revoked in the served CRL: the
    approval is refused, the transaction ends refused saying why, and the
    evidence record says so."""
    server = cfg["servers"]["sign_revoked"]
    signer = Signing(cfg, "signer", server)
    token = signer.cc_token()
    tx_id = signer.register(token, three_documents("revoked"))["sign_transaction_id"]
    auth, browser, pending = signer.start_login(tx_id)
    out = approve(cfg, server, pending["pairing_code"], 1)
    check("refused" in out and "revoked" in out, "card approve says refused, revoked", out)
    code, state = browser.wait_state(pending)
    equal((code, state.get("state")), (200, "refused"), "the login after a revoked signing certificate")
    st = signer.state(tx_id, token)
    equal(st["status"], "refused", "the transaction's state")
    check("revoked" in st.get("reason", ""), "the transaction's reason says revoked", st)
    r = browser.s.get(pending["wait_url"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    if r.status_code in (302, 303):
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.headers["Location"]).query))
        check("error" in q and "code" not in q, "the RP gets an error, no code", r.headers["Location"])
    else:
        check("code=" not in r.headers.get("Location", ""), "the RP gets no code", r.status_code)
    record = check_evidence_record(cfg, "sign_revoked", tx_id, st["evidence_id"], "refused")
    check("revoked" in (record.get("reason") or ""), "the evidence record's reason says revoked", record.get("reason"))
    check(base64.b64decode(record["certificate"]) == gen_sign_certificate(cfg, 1), "the evidence record's certificate: holder 1's signing certificate", record["certificate"][:80])
    equal(record["verification"]["status"], "revoked", "the evidence record's verification status")


def part_card(cfg):
    signer = Signing(cfg, "signer")
    check_wrong_sign_password(cfg, signer)
    check_card_pulled(cfg, signer)
    check_revoked_signing_certificate(cfg)
    check_evidence_logs(cfg, ["main", "sign_revoked"])


def run_part():
    cfg = load_config()
    part = sys.argv[2] if len(sys.argv) > 2 else "signed"
    {"signed": part_signed, "card": part_card}[part](cfg)


if __name__ == "__main__":
    main(run_part)
