#!/usr/bin/env python3
"""Decrypts kakunin's JWEs (RSA-OAEP-256 + A256GCM, compact serialization)
with two implementations that share no code with kakunin:

- joserfc (PyPI `joserfc`), the JOSE library of Authlib's authors that
  Authlib depends on and that its own `authlib.jose` (deprecated) points to;
- the RFC 7516 §5.2 steps by hand on PyPI `cryptography`'s RSA-OAEP and
  AES-GCM, which also pins the additional data to the ASCII of the encoded
  protected header (§5.1 step 14).

Run by oidc/tests/jwe_python.rs:
  jwe_decrypt.py KEY.pem < JWES

KEY.pem is the RSA private key (PEM); JWES has one compact JWE a line. For
each it prints one JSON line, {"protected": {...}, "plaintext": "<hex>"},
once both decryptions agree; on any failure it prints `FAILED: ...` to
stderr and exits 1.
"""

import base64
import json
import sys

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from joserfc import jwe
from joserfc.jwk import RSAKey

ALGORITHMS = ["RSA-OAEP-256", "A256GCM"]


def b64url(part):
    if "=" in part:
        raise ValueError(f"padding in a base64url part: {part!r}")
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def by_hand(private_key, token):
    """RFC 7516 §5.2 on `cryptography`'s primitives."""
    parts = token.split(".")
    if len(parts) != 5:
        raise ValueError(f"expected 5 parts, found {len(parts)}")
    header_b64, ek, iv, ciphertext, tag = parts
    header = json.loads(b64url(header_b64))
    if header.get("alg") != "RSA-OAEP-256" or header.get("enc") != "A256GCM":
        raise ValueError(f"expected alg RSA-OAEP-256 and enc A256GCM, found {header}")
    cek = private_key.decrypt(
        b64url(ek),
        padding.OAEP(mgf=padding.MGF1(hashes.SHA256()), algorithm=hashes.SHA256(), label=None),
    )
    if len(cek) != 32 or len(b64url(iv)) != 12 or len(b64url(tag)) != 16:
        raise ValueError("expected a 256-bit key, a 96-bit IV and a 128-bit tag")
    plaintext = AESGCM(cek).decrypt(
        b64url(iv), b64url(ciphertext) + b64url(tag), header_b64.encode("ascii")
    )
    return header, plaintext


def main():
    pem = open(sys.argv[1], "rb").read()
    private_key = serialization.load_pem_private_key(pem, password=None)
    key = RSAKey.import_key(pem)
    for line in sys.stdin:
        token = line.strip()
        if not token:
            continue
        found = jwe.decrypt_compact(token, key, algorithms=ALGORITHMS)
        header, plaintext = by_hand(private_key, token)
        if found.plaintext != plaintext or dict(found.protected) != header:
            raise ValueError("joserfc and the hand decryption disagree")
        print(json.dumps({"protected": header, "plaintext": plaintext.hex()}), flush=True)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # every failure is the test's answer
        print(f"FAILED: {type(e).__name__}: {e}", file=sys.stderr)
        sys.exit(1)
