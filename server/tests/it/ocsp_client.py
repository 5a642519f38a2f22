"""An independent OCSP client for the kakunin serve tests.

Builds the request with Python `cryptography` (CertID hashes computed here,
not by kakunin), sends it by POST or GET, parses the answer with
`x509.ocsp.load_der_ocsp_response`, checks the signature and the responder
certificate itself, and prints every field as one JSON object. The Rust
test compares that object with data/expected.jsonl and with openssl.

Usage: python3 ocsp_client.py '<json args>'
args: url, issuer (PEM path), serial (hex), hash (sha1|sha256),
      nonce (hex or null), method (post|get)
"""

import base64
import binascii
import hashlib
import json
import sys
import urllib.parse
import urllib.request

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID


def iso(t):
    return None if t is None else t.strftime("%Y-%m-%dT%H:%M:%SZ")


def main():
    args = json.loads(sys.argv[1])
    issuer = x509.load_pem_x509_certificate(open(args["issuer"], "rb").read())
    alg = {"sha1": hashes.SHA1(), "sha256": hashes.SHA256()}[args["hash"]]
    hl = {"sha1": hashlib.sha1, "sha256": hashlib.sha256}[args["hash"]]
    name_hash = hl(issuer.subject.public_bytes()).digest()
    key_bits = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    key_hash = hl(key_bits).digest()
    serial = int(args["serial"], 16)
    builder = ocsp.OCSPRequestBuilder().add_certificate_by_hash(
        name_hash, key_hash, serial, alg
    )
    nonce = None
    if args.get("nonce"):
        nonce = binascii.unhexlify(args["nonce"])
        builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
    der = builder.build().public_bytes(serialization.Encoding.DER)
    if args["method"] == "post":
        req = urllib.request.Request(
            args["url"],
            data=der,
            headers={"Content-Type": "application/ocsp-request"},
        )
    else:
        # Standard base64, URL-escaped (the RFC 6960 A.1 spelling).
        b64 = urllib.parse.quote(base64.b64encode(der).decode(), safe="")
        req = urllib.request.Request(args["url"].rstrip("/") + "/" + b64)
    with urllib.request.urlopen(req, timeout=20) as r:
        body = r.read()
        headers = {k.lower(): v for k, v in r.headers.items()}
    resp = ocsp.load_der_ocsp_response(body)
    out = {
        "response_status": resp.response_status.name,
        "content_type": headers.get("content-type"),
        "cache_control": headers.get("cache-control"),
        "etag": headers.get("etag"),
        "last_modified": headers.get("last-modified"),
        "expires": headers.get("expires"),
    }
    if resp.response_status != ocsp.OCSPResponseStatus.SUCCESSFUL:
        print(json.dumps(out))
        return
    responder = resp.certificates[0] if resp.certificates else issuer
    eku = None
    try:
        eku = responder.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    except x509.ExtensionNotFound:
        pass
    try:
        responder.verify_directly_issued_by(issuer)
        issued_by_ca = True
    except Exception:  # noqa: BLE001 - any failure means "not issued by"
        issued_by_ca = responder == issuer
    try:
        responder.public_key().verify(
            resp.signature,
            resp.tbs_response_bytes,
            padding.PKCS1v15(),
            resp.signature_hash_algorithm,
        )
        signature_ok = True
    except Exception:  # noqa: BLE001
        signature_ok = False
    responder_bits = responder.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.PKCS1
    )
    got_nonce = None
    for ext in resp.extensions:
        if isinstance(ext.value, x509.OCSPNonce):
            got_nonce = ext.value.nonce.hex()
    singles = list(resp.responses)
    s = singles[0]
    out.update(
        {
            "responses": len(singles),
            "certificate_status": s.certificate_status.name,
            "revocation_time": iso(s.revocation_time_utc),
            "revocation_reason": None
            if s.revocation_reason is None
            else s.revocation_reason.name,
            "this_update": iso(s.this_update_utc),
            "next_update": iso(s.next_update_utc),
            "produced_at": iso(resp.produced_at_utc),
            "serial": format(s.serial_number, "X"),
            "hash_algorithm": s.hash_algorithm.name,
            "issuer_name_hash_matches": s.issuer_name_hash == name_hash,
            "issuer_key_hash_matches": s.issuer_key_hash == key_hash,
            "responder_key_hash_matches": resp.responder_key_hash
            == hashlib.sha1(responder_bits).digest(),
            "responder_name": None
            if resp.responder_name is None
            else resp.responder_name.rfc4514_string(),
            "signature_algorithm": resp.signature_hash_algorithm.name,
            "signature_ok": signature_ok,
            "responder_issued_by_ca": issued_by_ca,
            "responder_is_ocsp_signer": eku is not None
            and ExtendedKeyUsageOID.OCSP_SIGNING in eku,
            "certificates": len(resp.certificates),
            "nonce": got_nonce,
            "sent_nonce": None if nonce is None else nonce.hex(),
        }
    )
    print(json.dumps(out))


if __name__ == "__main__":
    main()
