#!/usr/bin/env python3
"""RFC 5280 conformance cases for kakunin, built with independent tools.

    python3 make_cases.py OUT_DIR [--no-openssl]

Builds a small PKI (root CA -> sub CA -> leaves, RSA-2048, sha256WithRSA) and
one case per relying-party-observable rule of RFC 5280 §5, §6.3 and the parts
of §4 / §6.1 a path verifier relies on (see engine/CONFORMANCE.md). Each case
breaks exactly one rule; the `ctrl_*` cases break none.

Tools: Python `cryptography` (CertificateBuilder,
CertificateRevocationListBuilder; `UnrecognizedExtension` for raw extension
values the typed API refuses) and, for the cases it can make, `openssl ca`.
What neither can express (wrong versions, time encodings, an empty
revokedCertificates, duplicated extensions, ...) is a DER edit of a
cryptography-built TBS, re-signed here with the same key (PKCS#1 v1.5, so
deterministic). Every case's `note` says which tool made it.

Deterministic: RSA keys come from a seeded PRNG (Miller-Rabin here), all times
are fixed, and PKCS#1 v1.5 signatures are deterministic, so the same
cryptography/OpenSSL versions give the same bytes.

Writes OUT_DIR/manifest.json: a list of
  {"id", "rule", "trust": [..], "intermediates": [..], "crls": [..],
   "cert", "expect": "valid|revoked|unknown|invalid", "refused": [..],
   "note", "at", "crl_ca": {crl: ca cert}}
Paths are relative to OUT_DIR. `crl_ca` (an addition) names the CA each CRL
is to be ingested against. Convention: a CRL that breaks a rule must be
refused, so a certificate depending on it is `unknown` (fail closed); a CA
certificate that breaks a §4/§6.1 rule makes the leaf `invalid`.
"""

import datetime as dt
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import ExtensionOID, NameOID, ObjectIdentifier

UTC = dt.timezone.utc
AT = dt.datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC)
AT_S = "2026-03-01T00:00:00Z"
THIS = AT - dt.timedelta(days=1)  # 2026-02-28
NEXT = AT + dt.timedelta(days=6)  # 2026-03-07
REVOKED_AT = dt.datetime(2026, 2, 1, tzinfo=UTC)
CA_FROM = dt.datetime(2025, 1, 1, tzinfo=UTC)
CA_TO = dt.datetime(2035, 1, 1, tzinfo=UTC)
LEAF_FROM = dt.datetime(2025, 6, 1, tzinfo=UTC)
LEAF_TO = dt.datetime(2030, 6, 1, tzinfo=UTC)

GOOD_SERIAL = 0x1001
REVOKED_SERIAL = 0x1002
OTHER_REVOKED = 0x2001

# --------------------------------------------------------------------------
# Deterministic RSA keys


_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % q for q in range(2, int(p**0.5) + 1))]


def _is_probable_prime(n, rng):
    if n < 2:
        return False
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(40):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(rng, bits, e=65537):
    while True:
        c = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if (c - 1) % e and _is_probable_prime(c, rng):
            return c


def det_rsa_key(label, bits=2048):
    rng = random.Random(hashlib.sha256(b"kakunin-conformance:" + label.encode()).digest())
    e = 65537
    while True:
        p = _prime(rng, bits // 2)
        q = _prime(rng, bits // 2)
        if p != q and (p * q).bit_length() == bits:
            break
    if p < q:
        p, q = q, p
    n = p * q
    d = pow(e, -1, (p - 1) * (q - 1))
    pub = rsa.RSAPublicNumbers(e, n)
    priv = rsa.RSAPrivateNumbers(
        p, q, d, rsa.rsa_crt_dmp1(d, p), rsa.rsa_crt_dmq1(d, q), rsa.rsa_crt_iqmp(p, q), pub
    )
    return priv.private_key()


# --------------------------------------------------------------------------
# Minimal DER


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, content):
    return bytes([tag]) + der_len(len(content)) + content


def seq(*parts):
    return tlv(0x30, b"".join(parts))


def der_int(v):
    n = (v.bit_length() + 8) // 8 if v >= 0 else ((-v - 1).bit_length() + 8) // 8
    return tlv(0x02, v.to_bytes(max(n, 1), "big", signed=True))


def der_int_raw(content):
    return tlv(0x02, content)


def utc(s):  # "YYMMDDHHMMSSZ"
    return tlv(0x17, s.encode())


def gen(s):  # "YYYYMMDDHHMMSSZ"
    return tlv(0x18, s.encode())


def octets(b):
    return tlv(0x04, b)


def der_bool(b):
    return tlv(0x01, b"\xff" if b else b"\x00")


def read_tlv(b, i=0):
    """(tag, content, raw, next index) of the TLV at b[i:]."""
    tag = b[i]
    ln = b[i + 1]
    j = i + 2
    if ln & 0x80:
        k = ln & 0x7F
        ln = int.from_bytes(b[j : j + k], "big")
        j += k
    return tag, b[j : j + ln], b[i : j + ln], j + ln


def children(content):
    out, i = [], 0
    while i < len(content):
        _, _, raw, i = read_tlv(content, i)
        out.append(raw)
    return out


def tag_of(raw):
    return raw[0]


def content_of(raw):
    return read_tlv(raw)[1]


def extension(oid_dotted, critical, value):
    parts = [tlv(0x06, _oid_bytes(oid_dotted))]
    if critical:
        parts.append(der_bool(True))
    parts.append(octets(value))
    return seq(*parts)


def _oid_bytes(dotted):
    arcs = [int(a) for a in dotted.split(".")]
    out = bytes([arcs[0] * 40 + arcs[1]])
    for a in arcs[2:]:
        enc = [a & 0x7F]
        a >>= 7
        while a:
            enc.append(0x80 | (a & 0x7F))
            a >>= 7
        out += bytes(reversed(enc))
    return out


SHA256_RSA = seq(tlv(0x06, _oid_bytes("1.2.840.113549.1.1.11")), tlv(0x05, b""))
SHA384_RSA = seq(tlv(0x06, _oid_bytes("1.2.840.113549.1.1.12")), tlv(0x05, b""))


def sign_tbs(tbs, key, alg=SHA256_RSA, outer_alg=None, hash_alg=None):
    sig = key.sign(tbs, padding.PKCS1v15(), hash_alg or hashes.SHA256())
    return seq(tbs, outer_alg or alg, tlv(0x03, b"\x00" + sig))


def resign(der, key, edit_tbs=None, outer_alg=None):
    """Re-sign `der` (a Certificate or CertificateList) after `edit_tbs`
    (list of the TBS's child TLVs -> new list)."""
    _, body, _, _ = read_tlv(der)
    tbs_raw, alg_raw, _sig = children(body)
    kids = children(content_of(tbs_raw))
    if edit_tbs:
        kids = edit_tbs(kids)
    tbs = seq(*kids)
    return sign_tbs(tbs, key, alg=alg_raw, outer_alg=outer_alg)


def edit_exts(kids, fn, ctx_tag):
    """Apply fn to the list of extension TLVs inside the [ctx_tag] EXPLICIT
    Extensions of a TBS child list."""
    out = []
    for k in kids:
        if tag_of(k) == ctx_tag:
            exts = children(content_of(content_of(k)))
            k = tlv(ctx_tag, seq(*fn(exts)))
        out.append(k)
    return out


def ext_oid(ext_raw):
    return content_of(children(content_of(ext_raw))[0])


# --------------------------------------------------------------------------
# The PKI


def name(cn, o="kakunin conformance"):
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, o),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


class Pki:
    def __init__(self):
        self.root_key = det_rsa_key("root")
        self.sub_key = det_rsa_key("sub")
        self.leaf_key = det_rsa_key("leaf")
        self.rogue_key = det_rsa_key("rogue")
        self.root_name = name("Conformance Root CA")
        self.sub_name = name("Conformance Sub CA")
        self.root = self.ca_cert(self.root_name, self.root_key, self.root_name, self.root_key, 1)
        self.sub = self.ca_cert(self.sub_name, self.sub_key, self.root_name, self.root_key, 0x100)

    def ca_cert(
        self,
        subject,
        key,
        issuer,
        issuer_key,
        serial,
        bc=(True, None),
        bc_critical=True,
        ku=True,
        crl_sign=True,
        ski=True,
        aki=True,
        not_before=CA_FROM,
        not_after=CA_TO,
        extra=(),
    ):
        b = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
        )
        if bc is not None:
            b = b.add_extension(x509.BasicConstraints(ca=bc[0], path_length=bc[1]), bc_critical)
        if ku:
            b = b.add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=ku != "no_keycertsign",
                    crl_sign=crl_sign,
                    encipher_only=False,
                    decipher_only=False,
                ),
                True,
            )
        if ski:
            b = b.add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        if aki and issuer_key is not key:
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        for ext, crit in extra:
            b = b.add_extension(ext, crit)
        return b.sign(issuer_key, hashes.SHA256())

    def leaf(self, serial, issuer_key=None, issuer_name=None, aki=True, extra=(), not_before=LEAF_FROM,
             not_after=LEAF_TO, subject_cn=None):
        issuer_key = issuer_key or self.sub_key
        b = (
            x509.CertificateBuilder()
            .subject_name(name(subject_cn or f"leaf {serial:x}"))
            .issuer_name(issuer_name or self.sub_name)
            .public_key(self.leaf_key.public_key())
            .serial_number(serial)
            .not_valid_before(not_before)
            .not_valid_after(not_after)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), True)
            .add_extension(
                x509.KeyUsage(True, False, False, False, False, False, False, False, False), True
            )
        )
        if aki:
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()), False
            )
        for ext, crit in extra:
            b = b.add_extension(ext, crit)
        return b.sign(issuer_key, hashes.SHA256())

    def crl(
        self,
        issuer_name=None,
        key=None,
        revoked=None,
        aki=True,
        aki_critical=False,
        number=1,
        number_critical=False,
        this=THIS,
        nxt=NEXT,
        extra=(),
        hash_alg=None,
    ):
        """A CRL through CertificateRevocationListBuilder. `revoked`: list of
        (serial, date, [(ext, critical)]); default: the sub CA's standard
        list."""
        key = key or self.sub_key
        b = (
            x509.CertificateRevocationListBuilder()
            .issuer_name(self.sub_name if issuer_name is None else issuer_name)
            .last_update(this)
            .next_update(nxt)
        )
        if revoked is None:
            revoked = standard_revoked()
        for serial, date, exts in revoked:
            rb = x509.RevokedCertificateBuilder().serial_number(serial).revocation_date(date)
            for e, c in exts:
                rb = rb.add_extension(e, c)
            b = b.add_revoked_certificate(rb.build())
        if aki:
            b = b.add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(key.public_key()), aki_critical
            )
        if number is not None:
            b = b.add_extension(x509.CRLNumber(number), number_critical)
        for e, c in extra:
            b = b.add_extension(e, c)
        return b.sign(key, hash_alg or hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def reason(r):
    return (x509.CRLReason(r), False)


def standard_revoked():
    return [
        (REVOKED_SERIAL, REVOKED_AT, [reason(x509.ReasonFlags.key_compromise)]),
        (OTHER_REVOKED, REVOKED_AT, [reason(x509.ReasonFlags.superseded)]),
    ]


def pem(cert):
    return cert.public_bytes(serialization.Encoding.PEM)


def der_of(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def unrec(oid, value):
    return x509.UnrecognizedExtension(ObjectIdentifier(oid), value)


OID_AKI = "2.5.29.35"
OID_CRL_NUMBER = "2.5.29.20"
OID_DELTA = "2.5.29.27"
OID_IDP = "2.5.29.28"
OID_REASON = "2.5.29.21"
OID_INVALIDITY = "2.5.29.24"
OID_CERT_ISSUER = "2.5.29.29"
OID_FRESHEST = "2.5.29.46"
OID_AIA = "1.3.6.1.5.5.7.1.1"
OID_IAN = "2.5.29.18"
OID_PRIVATE = "1.3.6.1.4.1.55555.1.1"  # an arc nobody processes

# --------------------------------------------------------------------------
# Cases


class Out:
    def __init__(self, root):
        self.root = root
        self.cases = []

    def write(self, rel, data):
        p = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(data)
        return rel

    def case(self, id, rule, cert, expect, crls, trust=None, intermediates=None, refused=(),
             note="", crl_ca=None, tool="cryptography"):
        self.cases.append(
            {
                "id": id,
                "rule": rule,
                "trust": trust or ["root.pem"],
                "intermediates": intermediates if intermediates is not None else ["sub.pem"],
                "crls": crls,
                "cert": cert,
                "expect": expect,
                "refused": list(refused),
                "note": f"[{tool}] {note}".strip(),
                "at": AT_S,
                "crl_ca": crl_ca or {c: ("root.pem" if c == "root.crl" else "sub.pem") for c in crls},
            }
        )


def build(outdir, use_openssl=True):
    pki = Pki()
    o = Out(outdir)
    o.write("root.pem", pem(pki.root))
    o.write("sub.pem", pem(pki.sub))
    root_crl = pki.crl(issuer_name=pki.root_name, key=pki.root_key,
                       revoked=[(0x999, REVOKED_AT, [reason(x509.ReasonFlags.key_compromise)])])
    o.write("root.crl", root_crl)
    good_leaf = o.write("leaf-good.pem", pem(pki.leaf(GOOD_SERIAL)))
    revoked_leaf = o.write("leaf-revoked.pem", pem(pki.leaf(REVOKED_SERIAL)))

    def crl_case(id, rule, der, expect="unknown", cert=good_leaf, refused=True, note="", tool="cryptography",
                 extra_crls=()):
        f = o.write(f"{id}/sub.crl", der)
        o.case(id, rule, cert, expect, ["root.crl", f, *extra_crls],
               refused=[f] if refused else [], note=note, tool=tool)

    # ---- controls
    crl_case("ctrl_valid", "control: conforming CRLs, good leaf", pki.crl(), "valid", refused=False)
    crl_case("ctrl_revoked", "control: conforming CRLs, revoked leaf (keyCompromise)", pki.crl(),
             "revoked", cert=revoked_leaf, refused=False)
    crl_case("ctrl_empty_crl", "control §5.1.2.6: no entries, revokedCertificates absent",
             pki.crl(revoked=[]), "valid", refused=False)
    crl_case("ctrl_unknown_noncritical_crl_ext",
             "§5.2: applications may ignore unrecognized non-critical extensions",
             pki.crl(extra=[(unrec(OID_PRIVATE, b"\x05\x00"), False)]), "valid", refused=False)
    crl_case("ctrl_unknown_noncritical_entry_ext",
             "§5.3: applications may ignore unrecognized non-critical CRL entry extensions",
             pki.crl(revoked=[(REVOKED_SERIAL, REVOKED_AT, [(unrec(OID_PRIVATE, b"\x05\x00"), False)])]),
             "revoked", cert=revoked_leaf, refused=False)
    crl_case("ctrl_invalidity_date",
             "control §5.3.2: invalidityDate GeneralizedTime, Zulu, no fraction",
             pki.crl(revoked=[(REVOKED_SERIAL, REVOKED_AT, [
                 reason(x509.ReasonFlags.key_compromise),
                 (x509.InvalidityDate(dt.datetime(2026, 1, 15)), False)])]),
             "revoked", cert=revoked_leaf, refused=False)

    # ---- §5.1 fields
    def set_version(kids, v):
        if tag_of(kids[0]) == 0x02:
            kids = kids[1:]
        return ([der_int(v)] if v is not None else []) + kids

    crl_case("crl_version_3", "§5.1.2.1: version, if present, MUST be v2 (INTEGER 1)",
             resign(pki.crl(), pki.sub_key, lambda k: set_version(k, 2)),
             note="TBS version set to INTEGER 2 and re-signed")
    crl_case("crl_v1_with_extensions", "§5.1.2.1 / §5.1: crlExtensions present => version MUST be v2",
             resign(pki.crl(), pki.sub_key, lambda k: set_version(k, None)),
             note="version field removed (v1) with extensions kept, re-signed")
    crl_case("crl_v1_with_entry_extensions",
             "§5.1: crlEntryExtensions present => version MUST be v2",
             resign(pki.crl(), pki.sub_key,
                    lambda k: [x for x in set_version(k, None) if tag_of(x) != 0xA0]),
             note="v1 (no version, no crlExtensions) but entries keep reasonCode, re-signed")
    crl_case("crl_sigalg_mismatch",
             "§5.1.1.2 / §5.1.2.2: signatureAlgorithm MUST equal tbsCertList.signature",
             resign(pki.crl(), pki.sub_key, outer_alg=SHA384_RSA),
             note="outer AlgorithmIdentifier sha384WithRSA, TBS sha256WithRSA; signed with SHA-256")
    crl_case("crl_bad_signature", "§6.3.3 (g): the CRL signature MUST verify",
             (lambda d: d[:-8] + bytes([d[-8] ^ 1]) + d[-7:])(pki.crl()),
             note="one bit of signatureValue flipped")
    crl_case("crl_signed_by_other_key",
             "§6.3.3 (f)/(g): CRL signed by a key other than the CA's (same issuer name, AKI of the CA)",
             resign(pki.crl(), pki.rogue_key), note="sub CA's CRL re-signed with an unrelated key")
    crl_case("crl_issuer_mismatch",
             "§5.1.2.3 / §6.3.3 (b)(1): CRL issuer MUST be the certificate issuer (or cRLIssuer)",
             pki.crl(issuer_name=name("Some Other CA")),
             note="issuer DN differs, signed by the sub CA key with its AKI")
    crl_case("crl_issuer_empty", "§5.1.2.3: the issuer field MUST contain a non-empty DN",
             pki.crl(issuer_name=x509.Name([])), note="empty issuer Name, sub CA key and AKI")

    # times
    def set_times(kids, this_raw=None, next_raw=None, drop_next=False):
        out = []
        i_this = 2 if tag_of(kids[0]) == 0x02 else 1
        i_this += 1
        for i, k in enumerate(kids):
            if i == i_this and this_raw is not None:
                k = this_raw
            elif i == i_this + 1 and tag_of(k) in (0x17, 0x18):
                if drop_next:
                    continue
                if next_raw is not None:
                    k = next_raw
            out.append(k)
        return out

    crl_case("crl_next_update_missing",
             "§5.1.2.5: conforming CRL issuers MUST include nextUpdate",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, drop_next=True)),
             note="nextUpdate removed, re-signed")
    crl_case("crl_next_before_this", "§5.1.2.5 (implied): nextUpdate before thisUpdate",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, next_raw=utc("260227000000Z"))),
             note="nextUpdate 2026-02-27 < thisUpdate 2026-02-28, re-signed")
    crl_case("crl_this_update_generalized_2026",
             "§5.1.2.4: thisUpdate MUST be UTCTime for dates through 2049",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, this_raw=gen("20260228000000Z"))),
             note="thisUpdate as GeneralizedTime 20260228000000Z, re-signed")
    crl_case("crl_next_update_generalized_2026",
             "§5.1.2.5: nextUpdate MUST be UTCTime for dates through 2049",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, next_raw=gen("20260307000000Z"))),
             note="nextUpdate as GeneralizedTime 20260307000000Z, re-signed")
    crl_case("crl_next_update_utc_2050",
             "§5.1.2.5: nextUpdate MUST be GeneralizedTime for 2050 or later (UTCTime 50 = 1950)",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, next_raw=utc("500101000000Z"))),
             note="nextUpdate UTCTime 500101000000Z (meant 2050, reads 1950), re-signed")
    crl_case("crl_ctrl_next_update_generalized_2050",
             "control §5.1.2.5: nextUpdate in 2050 as GeneralizedTime",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, next_raw=gen("20500101000000Z"))),
             "valid", refused=False, note="nextUpdate GeneralizedTime 20500101000000Z, re-signed")
    crl_case("crl_time_no_seconds", "§5.1.2.4 / §4.1.2.5.1: UTCTime MUST include seconds",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, this_raw=utc("2602280000Z"))),
             note="thisUpdate UTCTime 2602280000Z, re-signed")
    crl_case("crl_time_not_zulu", "§5.1.2.4 / §4.1.2.5.1: UTCTime MUST be Zulu (end in Z)",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, this_raw=utc("260228090000+0900"))),
             note="thisUpdate UTCTime 260228090000+0900, re-signed")
    crl_case("crl_time_fraction",
             "§5.1.2.5 / §4.1.2.5.2: GeneralizedTime MUST NOT include fractional seconds",
             resign(pki.crl(), pki.sub_key, lambda k: set_times(k, next_raw=gen("20500101000000.5Z"))),
             note="nextUpdate GeneralizedTime 20500101000000.5Z, re-signed")
    crl_case("crl_expired", "§6.3.3 (a)(2): nextUpdate MUST be after the validation time",
             pki.crl(this=AT - dt.timedelta(days=10), nxt=AT - dt.timedelta(days=3)),
             note="thisUpdate 2026-02-19, nextUpdate 2026-02-26 < at. Refused at ingest; raw: stale -> unknown")
    crl_case("crl_not_yet_valid", "§6.3.3 (a) (currency): thisUpdate after the validation time",
             pki.crl(this=AT + dt.timedelta(days=2), nxt=AT + dt.timedelta(days=9)),
             note="thisUpdate 2026-03-03 > at. Refused at ingest; raw: not current -> unknown")
    crl_case("crl_empty_revoked_sequence",
             "§5.1.2.6: when there are no revoked certificates the list MUST be absent",
             resign(pki.crl(revoked=[]), pki.sub_key,
                    lambda k: [*k[:-1], seq(), k[-1]] if tag_of(k[-1]) == 0xA0 else k),
             note="empty SEQUENCE inserted before crlExtensions, re-signed")
    crl_case("crl_entry_time_generalized_2026",
             "§5.1.2.6 -> §5.1.2.4: revocationDate MUST be UTCTime through 2049",
             resign(pki.crl(revoked=[(REVOKED_SERIAL, REVOKED_AT, [])]), pki.sub_key,
                        lambda k: _edit_revoked(k, lambda es: [_entry_time(e, gen("20260201000000Z")) for e in es])),
             cert=revoked_leaf, note="revocationDate GeneralizedTime 20260201000000Z, re-signed")
    crl_case("crl_duplicate_serial",
             "§5.1.2.6: 'Certificates revoked by the CA are uniquely identified by the certificate serial number' (no MUST)",
             pki.crl(revoked=[(REVOKED_SERIAL, REVOKED_AT, [reason(x509.ReasonFlags.key_compromise)]),
                              (REVOKED_SERIAL, REVOKED_AT + dt.timedelta(days=1),
                               [reason(x509.ReasonFlags.superseded)])]),
             "revoked", cert=revoked_leaf, refused=False,
             note="the same serial listed twice with different reasons; not an RFC MUST: revoked either way")

    # ---- §5.2 CRL extensions
    crl_case("crl_aki_missing", "§5.2.1: conforming CRL issuers MUST include the AKI",
             pki.crl(aki=False))
    crl_case("crl_aki_no_key_id",
             "§5.2.1: conforming CRL issuers MUST use the key identifier method",
             pki.crl(aki=False, extra=[(x509.AuthorityKeyIdentifier(
                 None, [x509.DirectoryName(pki.root_name)], 0x100), False)]),
             note="AKI with authorityCertIssuer + serial only")
    crl_case("crl_aki_critical", "§4.2.1.1 (via §5.2.1): AKI MUST be marked non-critical",
             pki.crl(aki_critical=True))
    crl_case("crl_aki_wrong_key_id", "§5.2.1 / §6.3.3 (f): AKI must identify the CRL signing key",
             pki.crl(aki=False, extra=[(x509.AuthorityKeyIdentifier(b"\x01" * 20, None, None), False)]))
    crl_case("crl_number_missing", "§5.2.3: CRL issuers MUST include cRLNumber in all CRLs",
             pki.crl(number=None))
    crl_case("crl_number_critical", "§5.2.3: cRLNumber MUST be marked non-critical",
             pki.crl(number_critical=True))
    crl_case("crl_number_negative", "§5.2.3: CRLNumber ::= INTEGER (0..MAX)",
             pki.crl(number=None, extra=[(unrec(OID_CRL_NUMBER, der_int(-1)), False)]),
             note="cRLNumber INTEGER -1 via UnrecognizedExtension")
    crl_case("crl_number_21_octets", "§5.2.3: CRL issuers MUST NOT use CRLNumber longer than 20 octets",
             pki.crl(number=None, extra=[(unrec(OID_CRL_NUMBER, der_int(1 << 160)), False)]),
             note="cRLNumber 2^160 (21 content octets) via UnrecognizedExtension")
    crl_case("crl_ctrl_number_20_octets", "control §5.2.3: verifiers MUST handle CRLNumber up to 20 octets",
             pki.crl(number=(1 << 159) - 1), "valid", refused=False,
             note="cRLNumber 2^159-1 (20 content octets)")
    crl_case("crl_duplicate_extension",
             "§4.2 (applies to CRLs, §5.2): 'A certificate MUST NOT include more than one instance of a particular extension'",
             resign(pki.crl(), pki.sub_key, lambda k: edit_exts(
                 k, lambda es: es + [e for e in es if ext_oid(e) == _oid_bytes(OID_CRL_NUMBER)], 0xA0)),
             note="cRLNumber extension appended twice, re-signed (cryptography refuses duplicates)")
    crl_case("crl_unknown_critical_extension",
             "§5.2: a CRL with a critical extension the application cannot process MUST NOT be used",
             pki.crl(extra=[(unrec(OID_PRIVATE, b"\x05\x00"), True)]))
    crl_case("crl_empty_extensions", "§5.1.2.7 / §4.1: Extensions ::= SEQUENCE SIZE (1..MAX)",
             resign(pki.crl(), pki.sub_key,
                    lambda k: [x if tag_of(x) != 0xA0 else tlv(0xA0, seq()) for x in k]),
             note="crlExtensions [0] { SEQUENCE {} }, re-signed")
    crl_case("crl_ian_critical", "§5.2.2: issuerAltName SHOULD be non-critical",
             pki.crl(extra=[(x509.IssuerAlternativeName([x509.DirectoryName(pki.sub_name)]), True)]),
             "valid", refused=False, note="SHOULD only: accepted")
    crl_case("crl_aia_critical", "§5.2.7: the CRL AIA extension MUST be marked non-critical",
             pki.crl(extra=[(x509.AuthorityInformationAccess([x509.AccessDescription(
                 x509.oid.AuthorityInformationAccessOID.CA_ISSUERS,
                 x509.UniformResourceIdentifier("http://example.invalid/sub.cer"))]), True)]))
    crl_case("crl_aia_ocsp_method",
             "§5.2.7: access methods other than id-ad-caIssuers MUST NOT be included",
             pki.crl(extra=[(x509.AuthorityInformationAccess([x509.AccessDescription(
                 x509.oid.AuthorityInformationAccessOID.OCSP,
                 x509.UniformResourceIdentifier("http://example.invalid/ocsp"))]), False)]))
    crl_case("crl_freshest_critical", "§5.2.6: freshestCRL MUST be marked non-critical",
             pki.crl(extra=[(x509.FreshestCRL([x509.DistributionPoint(
                 [x509.UniformResourceIdentifier("http://example.invalid/delta.crl")], None, None, None)]),
                 True)]))

    crl_case("crl_freshest_with_reasons", "§5.2.6: the reasons and cRLIssuer fields MUST be omitted from freshestCRL",
             pki.crl(extra=[(x509.FreshestCRL([x509.DistributionPoint(
                 [x509.UniformResourceIdentifier("http://example.invalid/delta.crl")], None,
                 frozenset([x509.ReasonFlags.key_compromise]), None)]), False)]))

    # delta CRLs: base = the sub CA's standard CRL (number 1)
    base = o.write("delta_base.crl", pki.crl())

    def delta_case(id, rule, der, expect, refused=True, note="", cert=good_leaf):
        f = o.write(f"{id}/delta.crl", der)
        o.case(id, rule, cert, expect, ["root.crl", base, f], refused=[f] if refused else [], note=note,
               crl_ca={"root.crl": "root.pem", base: "sub.pem", f: "sub.pem"})

    held = [(GOOD_SERIAL, REVOKED_AT, [reason(x509.ReasonFlags.key_compromise)])]
    delta_case("ctrl_delta", "control §5.2.4: delta (base 1, number 2) lists the leaf",
               pki.crl(number=2, revoked=held, extra=[(x509.DeltaCRLIndicator(1), True)]), "revoked",
               refused=False)
    delta_case("delta_indicator_noncritical",
               "§5.2.4: a delta CRL MUST include a critical delta CRL indicator",
               pki.crl(number=2, revoked=held, extra=[(x509.DeltaCRLIndicator(1), False)]), "valid",
               note="refused delta: the base alone answers, so the leaf stays valid; "
                    "the verdict is unchanged, the refusal is the check")
    delta_case("delta_base_not_below_number",
               "§5.2.4 (c)/(d): BaseCRLNumber >= the delta's own cRLNumber cannot be combined with any base",
               pki.crl(number=2, revoked=held, extra=[(x509.DeltaCRLIndicator(5), True)]), "valid",
               note="delta number 2, base 5: refused; base alone answers")
    delta_case("delta_without_crl_number", "§5.2.3 / §5.2.4: a delta CRL MUST carry cRLNumber",
               pki.crl(number=None, revoked=held, extra=[(x509.DeltaCRLIndicator(1), True)]), "valid",
               note="refused; base alone answers")
    delta_case("delta_with_freshest_crl", "§5.2.6: freshestCRL MUST NOT appear in delta CRLs",
               pki.crl(number=2, revoked=held, extra=[(x509.DeltaCRLIndicator(1), True), (x509.FreshestCRL(
                   [x509.DistributionPoint([x509.UniformResourceIdentifier("http://example.invalid/d.crl")],
                                           None, None, None)]), False)]), "valid",
               note="refused; base alone answers")

    # IDP
    def idp(**kw):
        a = dict(full_name=None, relative_name=None, only_contains_user_certs=False,
                 only_contains_ca_certs=False, only_some_reasons=None, indirect_crl=False,
                 only_contains_attribute_certs=False)
        a.update(kw)
        return x509.IssuingDistributionPoint(**a)

    crl_case("crl_ctrl_idp_user_certs", "control §5.2.5: IDP onlyContainsUserCerts, leaf in scope",
             pki.crl(extra=[(idp(only_contains_user_certs=True), True)]), "valid", refused=False)
    crl_case("crl_idp_noncritical", "§5.2.5: 'The issuing distribution point is a critical CRL extension'",
             pki.crl(extra=[(idp(only_contains_user_certs=True), False)]), "valid", refused=False,
             note="IDP onlyContainsUserCerts marked non-critical: descriptive, no MUST; kakunin processes the "
                  "IDP whatever its flag, so the scope is honoured")
    crl_case("crl_idp_user_and_ca", "§5.2.5: at most one of onlyContainsUserCerts/CACerts/AttributeCerts TRUE",
             pki.crl(extra=[(unrec(OID_IDP, seq(tlv(0x81, b"\xff"), tlv(0x82, b"\xff"))), True)]),
             note="raw IDP value via UnrecognizedExtension (cryptography refuses the combination)")
    crl_case("crl_idp_empty", "§5.2.5: IDP MUST NOT be an empty sequence",
             pki.crl(extra=[(unrec(OID_IDP, seq()), True)]), note="raw IDP value SEQUENCE {}")
    crl_case("crl_idp_false_encoded", "§5.2.5 + X.690 DER: a DEFAULT FALSE boolean must be omitted",
             pki.crl(extra=[(unrec(OID_IDP, seq(tlv(0x81, b"\xff"), tlv(0x82, b"\x00"))), True)]),
             note="onlyContainsCACerts [2] FALSE encoded explicitly")
    crl_case("crl_idp_attribute_certs", "§5.2.5: conforming issuers MUST set onlyContainsAttributeCerts FALSE; §6.3.3 (b)(2)(iv)",
             pki.crl(extra=[(idp(only_contains_attribute_certs=True), True)]))
    crl_case("crl_idp_ca_certs_for_leaf", "§6.3.3 (b)(2)(ii): onlyContainsCACerts CRL does not cover a leaf",
             pki.crl(extra=[(idp(only_contains_ca_certs=True), True)]), refused=False,
             note="a well-formed CRL out of scope for the leaf: unknown, not refused")
    crl_case("crl_idp_some_reasons", "§6.3.3 (d): onlySomeReasons CRL alone does not cover all reasons",
             pki.crl(extra=[(idp(only_some_reasons=frozenset([x509.ReasonFlags.key_compromise])), True)]),
             refused=False, note="well-formed, partial reasons: unknown, not refused")

    # a v1 leaf (no extensions) against a user-certs-only CRL
    v1_leaf = resign(der_of(pki.leaf(0x1008)), pki.sub_key, lambda k: [x for x in k[1:] if tag_of(x) != 0xA3])
    f = o.write("crl_idp_user_certs_v1_leaf/leaf.pem", _pem_cert(v1_leaf))
    c = o.write("crl_idp_user_certs_v1_leaf/sub.crl", pki.crl(extra=[(idp(only_contains_user_certs=True), True)]))
    o.case("crl_idp_user_certs_v1_leaf",
           "§5.2.5: with onlyContainsUserCerts/CACerts TRUE the scope MUST NOT include v1 or v2 certificates",
           f, "unknown", ["root.crl", c], note="v1 leaf (no extensions, re-signed) + IDP onlyContainsUserCerts CRL: "
           "the CRL does not cover the leaf, so no CRL covers it")

    # ---- §5.3 entry extensions
    def entry_crl(exts, serial=REVOKED_SERIAL):
        return pki.crl(revoked=[(serial, REVOKED_AT, exts)])

    crl_case("entry_unknown_critical_extension",
             "§5.3: a critical CRL entry extension the application cannot process: MUST NOT use the CRL",
             entry_crl([(unrec(OID_PRIVATE, b"\x05\x00"), True)]), cert=revoked_leaf)
    crl_case("entry_duplicate_extension", "§4.2 (applies to entries): at most one instance per extension",
             resign(entry_crl([reason(x509.ReasonFlags.key_compromise)]), pki.sub_key,
                    lambda k: _edit_revoked(k, lambda es: [_entry_dup_ext(e) for e in es])),
             cert=revoked_leaf, note="reasonCode twice in one entry, re-signed")
    crl_case("entry_reason_unspecified",
             "§5.3.1: reasonCode SHOULD be absent instead of unspecified (0)",
             entry_crl([reason(x509.ReasonFlags.unspecified)]), "revoked", cert=revoked_leaf, refused=False,
             note="SHOULD only: accepted, the entry revokes")
    crl_case("entry_reason_7", "§5.3.1: CRLReason value 7 is not used",
             entry_crl([(unrec(OID_REASON, tlv(0x0A, b"\x07")), False)]), cert=revoked_leaf,
             note="ENUMERATED 7 via UnrecognizedExtension")
    crl_case("entry_reason_11", "§5.3.1: CRLReason has no value 11",
             entry_crl([(unrec(OID_REASON, tlv(0x0A, b"\x0b")), False)]), cert=revoked_leaf)
    crl_case("entry_reason_critical", "§5.3.1: 'The reasonCode is a non-critical CRL entry extension'",
             entry_crl([(x509.CRLReason(x509.ReasonFlags.key_compromise), True)]), "revoked", cert=revoked_leaf,
             refused=False, note="descriptive, no MUST; the extension is processed, so its criticality is moot")
    crl_case("entry_remove_from_crl_in_base", "§5.3.1: removeFromCRL (8) may only appear in delta CRLs",
             entry_crl([reason(x509.ReasonFlags.remove_from_crl)]), cert=revoked_leaf,
             note="a base CRL listing the leaf with removeFromCRL")
    crl_case("entry_invalidity_utctime", "§5.3.2: InvalidityDate ::= GeneralizedTime",
             entry_crl([reason(x509.ReasonFlags.key_compromise),
                        (unrec(OID_INVALIDITY, utc("260115000000Z")), False)]), cert=revoked_leaf,
             note="invalidityDate as UTCTime via UnrecognizedExtension")
    crl_case("entry_invalidity_fraction", "§5.3.2 / §4.1.2.5.2: no fractional seconds",
             entry_crl([reason(x509.ReasonFlags.key_compromise),
                        (unrec(OID_INVALIDITY, gen("20260115000000.25Z")), False)]), cert=revoked_leaf)
    crl_case("entry_invalidity_critical", "§5.3.2: 'The invalidity date is a non-critical CRL entry extension'",
             entry_crl([reason(x509.ReasonFlags.key_compromise),
                        (x509.InvalidityDate(dt.datetime(2026, 1, 15)), True)]), "revoked", cert=revoked_leaf,
             refused=False, note="descriptive, no MUST; the extension is processed, so its criticality is moot")
    crl_case("entry_certificate_issuer_not_indirect",
             "§5.3.3: certificateIssuer belongs in indirect CRLs only",
             entry_crl([(x509.CertificateIssuer([x509.DirectoryName(pki.sub_name)]), True)]), cert=revoked_leaf)
    crl_case("entry_certificate_issuer_noncritical",
             "§5.3.3: CRL issuers MUST mark certificateIssuer critical",
             pki.crl(revoked=[(REVOKED_SERIAL, REVOKED_AT,
                               [(x509.CertificateIssuer([x509.DirectoryName(pki.sub_name)]), False)])],
                     extra=[(idp(indirect_crl=True), True)]), cert=revoked_leaf,
             note="indirect CRL (IDP indirectCRL) whose entry names the sub CA itself, non-critically")
    crl_case("entry_serial_empty", "§4.1.2.2 / §5.1.2.6: userCertificate is an INTEGER (non-empty)",
             resign(entry_crl([]), pki.sub_key,
                    lambda k: _edit_revoked(k, lambda es: [_entry_serial(e, b"") for e in es])),
             cert=revoked_leaf, note="zero-length INTEGER serial in the entry, re-signed")

    # ---- issuer key usage (§4.2.1.3 / §6.3.3 (f))
    sub_nocrlsign = pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x101, crl_sign=False)
    f = o.write("crl_issuer_without_crl_sign/sub.pem", pem(sub_nocrlsign))
    c = o.write("crl_issuer_without_crl_sign/sub.crl", pki.crl())
    o.case("crl_issuer_without_crl_sign",
           "§4.2.1.3 / §6.3.3 (f): the CRL issuer's keyUsage MUST have cRLSign", good_leaf, "unknown",
           ["root.crl", c], intermediates=[f], refused=[c], crl_ca={"root.crl": "root.pem", c: f},
           note="sub CA with keyUsage keyCertSign only")

    # ---- certificate-side §4 / §6.1
    def ca_case(id, rule, sub_cert, expect="invalid", leaf=None, note="", trust=None, crls=None, crl_ca=None,
                tool="cryptography"):
        f = o.write(f"{id}/sub.pem", _pem_cert(sub_cert))
        lf = leaf if leaf is not None else good_leaf
        crls = crls or ["root.crl", f"{id}/sub.crl"]
        if f"{id}/sub.crl" in crls:
            o.write(f"{id}/sub.crl", pki.crl())
        cc = crl_ca or {c: ("root.pem" if c == "root.crl" else f) for c in crls}
        o.case(id, rule, lf, expect, crls, trust=trust, intermediates=[f], note=note, crl_ca=cc, tool=tool)

    ca_case("ca_no_basic_constraints", "§4.2.1.9 / §6.1.4 (k): a CA certificate MUST assert basicConstraints cA",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x102, bc=None))
    ca_case("ca_basic_constraints_false", "§6.1.4 (k): cA FALSE on an intermediate",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x103, bc=(False, None)))
    ca_case("ca_basic_constraints_noncritical",
            "§4.2.1.9: CAs MUST mark basicConstraints critical in CA certificates that sign certificates",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x104, bc_critical=False),
            "valid", note="deliberately accepted: PKITS 4.6.4 (ValidbasicConstraintsNotCriticalTest4) requires "
                          "a relying party to accept it, and §6.1 recommends against profile checks")
    ca_case("ca_no_key_cert_sign", "§4.2.1.3 / §6.1.4 (n): keyUsage present => keyCertSign MUST be set",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x105, ku="no_keycertsign"))
    ca_case("ca_ctrl_no_key_usage", "control §6.1.4 (n): keyUsage absent is acceptable to a relying party",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x106, ku=False), "valid",
            note="the CA SHOULD/MUST include keyUsage (§4.2.1.3) but §6.1.4 (n) only checks it if present")
    ca_case("ca_expired", "§6.1.3 (a)(2): the validity period MUST include the validation time",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x107,
                        not_after=dt.datetime(2026, 1, 1, tzinfo=UTC)))
    ca_case("ca_not_yet_valid", "§6.1.3 (a)(2): notBefore after the validation time",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x108,
                        not_before=dt.datetime(2026, 6, 1, tzinfo=UTC)))
    ca_case("ca_unknown_critical_extension", "§4.2 / §6.1: MUST reject a certificate with an unsupported critical extension",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x109,
                        extra=[(unrec(OID_PRIVATE, b"\x05\x00"), True)]))
    ca_case("ca_ski_missing", "§4.2.1.2: SKI MUST appear in all conforming CA certificates",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10A, ski=False), "valid",
            note="deliberately accepted: OpenSSL 3.0 accepts it (it refuses it only with -x509_strict), §6.1 "
                 "recommends against profile checks, and the key id falls back to the SHA-1 of the key")
    ca_case("ca_ski_critical", "§4.2.1.2: conforming CAs MUST mark SKI non-critical",
            resign(der_of(pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10B)),
                   pki.root_key, lambda k: edit_exts(k, lambda es: [
                       _make_critical(e) if ext_oid(e) == _oid_bytes("2.5.29.14") else e for e in es], 0xA3)),
            note="SKI critical, re-signed")
    ca_case("ca_aki_missing", "§4.2.1.1: AKI MUST be included in all certificates except self-signed CA certs",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10C, aki=False), "valid",
            note="deliberately accepted: OpenSSL 3.0 accepts it (it refuses it only with -x509_strict), §6.1 "
                 "recommends against profile checks; the issuer is chosen by name and confirmed by signature")
    ca_case("ca_aki_critical", "§4.2.1.1: conforming CAs MUST mark AKI non-critical",
            resign(der_of(pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10D)),
                   pki.root_key, lambda k: edit_exts(k, lambda es: [
                       _make_critical(e) if ext_oid(e) == _oid_bytes(OID_AKI) else e for e in es], 0xA3)),
            note="AKI critical, re-signed")
    ca_case("ca_duplicate_extension", "§4.2: MUST NOT include more than one instance of an extension",
            resign(der_of(pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10E)),
                   pki.root_key, lambda k: edit_exts(k, lambda es: es + [
                       e for e in es if ext_oid(e) == _oid_bytes("2.5.29.19")], 0xA3)),
            note="basicConstraints twice, re-signed")
    ca_case("ca_bad_signature", "§6.1.3 (a)(1): the signature on the certificate MUST verify",
            resign(der_of(pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x10F)),
                   pki.rogue_key), note="sub CA cert re-signed with an unrelated key")

    ca_case("ca_policy_constraints_critical",
            "§6.1 / §4.2: a critical extension the client does not process MUST be rejected "
            "(policyConstraints requireExplicitPolicy 0, leaf without certificatePolicies: §6.1.5 (g) fails too)",
            pki.ca_cert(pki.sub_name, pki.sub_key, pki.root_name, pki.root_key, 0x111,
                        extra=[(x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None),
                                True)]),
            note="OpenSSL 3.0 accepts it by default (policy checking off) and refuses it with -policy_check")

    # pathLen: root with pathLenConstraint 0 above the sub CA
    root_pl0_name = name("Conformance Root CA pathLen 0")
    root_pl0 = pki.ca_cert(root_pl0_name, pki.root_key, root_pl0_name, pki.root_key, 2, bc=(True, 0))
    rp = o.write("ca_path_len_exceeded/root.pem", pem(root_pl0))
    rpc = o.write("ca_path_len_exceeded/root.crl", pki.crl(issuer_name=root_pl0_name, key=pki.root_key, revoked=[]))
    ca_case("ca_path_len_exceeded", "§4.2.1.9 / §6.1.4 (l),(m): pathLenConstraint 0 forbids the sub CA below",
            pki.ca_cert(pki.sub_name, pki.sub_key, root_pl0_name, pki.root_key, 0x110), trust=[rp],
            crls=[rpc, "ca_path_len_exceeded/sub.crl"],
            crl_ca={rpc: rp, "ca_path_len_exceeded/sub.crl": "ca_path_len_exceeded/sub.pem"})

    # ---- leaf-side
    def leaf_case(id, rule, leaf_der, expect="invalid", note="", tool="cryptography"):
        f = o.write(f"{id}/leaf.pem", _pem_cert(leaf_der))
        o.case(id, rule, f, expect, ["root.crl", "sub.crl"], note=note, tool=tool)

    o.write("sub.crl", pki.crl())
    leaf_der = der_of(pki.leaf(GOOD_SERIAL))

    def leaf_edit(fn):
        return resign(leaf_der, pki.sub_key, fn)

    def set_serial(kids, content):
        return [kids[0], der_int_raw(content), *kids[2:]]

    leaf_case("leaf_serial_zero", "§4.1.2.2: serial MUST be positive; users SHOULD gracefully handle zero",
              leaf_edit(lambda k: set_serial(k, b"\x00")), "valid",
              note="serial 0, re-signed: the RFC asks relying parties to cope, so valid")
    leaf_case("leaf_serial_negative", "§4.1.2.2: serial MUST be positive; users SHOULD gracefully handle negative",
              leaf_edit(lambda k: set_serial(k, b"\xff\x01")), "valid", note="serial -255, re-signed")
    leaf_case("leaf_serial_21_octets", "§4.1.2.2: CAs MUST NOT use serialNumber longer than 20 octets",
              leaf_edit(lambda k: set_serial(k, b"\x01" + b"\x00" * 20)), "valid",
              note="21 content octets, re-signed. Deliberately accepted (up to 32 octets): §4.1.2.2 asks "
                   "certificate users to handle such certificates gracefully, and OpenSSL 3.0 accepts it")
    leaf_case("leaf_ctrl_serial_20_octets", "control §4.1.2.2: users MUST handle serials up to 20 octets",
              leaf_edit(lambda k: set_serial(k, b"\x7f" + b"\x11" * 19)), "valid", note="20 octets, re-signed")
    leaf_case("leaf_v1_with_extensions", "§4.1.2.1 / §4.1.2.9: extensions present => version MUST be v3",
              leaf_edit(lambda k: k[1:]), note="version field dropped (v1), extensions kept, re-signed")
    leaf_case("leaf_v2_with_extensions", "§4.1.2.1: extensions present => version MUST be v3 (2)",
              leaf_edit(lambda k: [tlv(0xA0, der_int(1)), *k[1:]]), note="version v2, re-signed")
    leaf_case("leaf_sigalg_mismatch", "§4.1.1.2: signatureAlgorithm MUST equal tbsCertificate.signature",
              resign(leaf_der, pki.sub_key, outer_alg=SHA384_RSA))
    leaf_case("leaf_bad_signature", "§6.1.3 (a)(1): signature MUST verify",
              (lambda d: d[:-8] + bytes([d[-8] ^ 1]) + d[-7:])(leaf_der))

    def set_validity(kids, nb, na):
        return [*kids[:4], seq(nb, na), *kids[5:]]

    leaf_case("leaf_validity_generalized_2030", "§4.1.2.5: dates through 2049 MUST be UTCTime",
              leaf_edit(lambda k: set_validity(k, utc("250601000000Z"), gen("20300601000000Z"))), "valid",
              note="notAfter GeneralizedTime 20300601000000Z, re-signed. Deliberately accepted: PKITS 4.2.4 "
                   "(ValidGeneralizedTimenotBeforeDateTest4) requires accepting a pre-2050 GeneralizedTime")
    leaf_case("leaf_validity_no_seconds", "§4.1.2.5.1: UTCTime MUST include seconds",
              leaf_edit(lambda k: set_validity(k, utc("2506010000Z"), utc("300601000000Z"))))
    leaf_case("leaf_validity_not_zulu", "§4.1.2.5.1: UTCTime MUST be Zulu",
              leaf_edit(lambda k: set_validity(k, utc("250601090000+0900"), utc("300601000000Z"))))
    leaf_case("leaf_ctrl_no_well_defined_expiry", "control §4.1.2.5: notAfter 99991231235959Z (GeneralizedTime)",
              leaf_edit(lambda k: set_validity(k, utc("250601000000Z"), gen("99991231235959Z"))), "valid")
    leaf_case("leaf_expired", "§6.1.3 (a)(2): validity period MUST include the validation time",
              pki.leaf(0x1003, not_after=dt.datetime(2026, 2, 1, tzinfo=UTC)))
    leaf_case("leaf_unknown_critical_extension", "§4.2 / §6.1: reject unsupported critical extensions",
              pki.leaf(0x1004, extra=[(unrec(OID_PRIVATE, b"\x05\x00"), True)]))
    leaf_case("leaf_duplicate_extension", "§4.2: MUST NOT include more than one instance of an extension",
              leaf_edit(lambda k: edit_exts(k, lambda es: es + [
                  e for e in es if ext_oid(e) == _oid_bytes("2.5.29.15")], 0xA3)), note="keyUsage twice, re-signed")
    leaf_case("leaf_name_chaining", "§6.1.3 (a)(4): certificate issuer name MUST be the working_issuer_name",
              pki.leaf(0x1005, issuer_name=name("Not The Sub CA")),
              note="signed by the sub CA key, AKI = sub CA SKI, issuer DN differs")
    leaf_case("leaf_aki_missing", "§4.2.1.1: AKI MUST be included in all certificates (but self-signed CA certs)",
              pki.leaf(0x1006, aki=False), "valid",
              note="deliberately accepted: OpenSSL 3.0 accepts it (it refuses it only with -x509_strict), §6.1 "
                   "recommends against profile checks; the issuer is chosen by name and confirmed by signature")
    leaf_case("leaf_aki_wrong", "§4.2.1.1: AKI keyIdentifier names a key no configured CA has",
              pki.leaf(0x1007, aki=False, extra=[(x509.AuthorityKeyIdentifier(b"\x02" * 20, None, None), False)]))
    leaf_case("leaf_aki_critical", "§4.2.1.1: conforming CAs MUST mark AKI non-critical",
              leaf_edit(lambda k: edit_exts(k, lambda es: [
                  _make_critical(e) if ext_oid(e) == _oid_bytes(OID_AKI) else e for e in es], 0xA3)))
    leaf_case("leaf_empty_extensions", "§4.1: Extensions ::= SEQUENCE SIZE (1..MAX)",
              leaf_edit(lambda k: [x if tag_of(x) != 0xA3 else tlv(0xA3, seq()) for x in k]))

    # ---- openssl ca
    if use_openssl and shutil.which("openssl"):
        openssl_cases(o, pki, good_leaf, revoked_leaf)

    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(o.cases, f, indent=1)
        f.write("\n")
    return o.cases


def _pem_cert(cert):
    der = cert if isinstance(cert, bytes) else der_of(cert)
    return b"-----BEGIN CERTIFICATE-----\n" + _b64(der) + b"-----END CERTIFICATE-----\n"


def _b64(der):
    import base64
    s = base64.b64encode(der)
    return b"".join(s[i:i + 64] + b"\n" for i in range(0, len(s), 64))


def _make_critical(ext_raw):
    kids = children(content_of(ext_raw))
    return seq(kids[0], der_bool(True), kids[-1])


def _edit_revoked(kids, fn):
    out = []
    i_rev = None
    for i, k in enumerate(kids):
        if tag_of(k) == 0x30 and i >= 4 and tag_of(kids[i - 1]) in (0x17, 0x18):
            i_rev = i
    for i, k in enumerate(kids):
        if i == i_rev:
            k = seq(*fn(children(content_of(k))))
        out.append(k)
    return out


def _entry_time(entry, t):
    k = children(content_of(entry))
    return seq(k[0], t, *k[2:])


def _entry_serial(entry, content):
    k = children(content_of(entry))
    return seq(der_int_raw(content), *k[1:])


def _entry_dup_ext(entry):
    k = children(content_of(entry))
    exts = children(content_of(k[2]))
    return seq(k[0], k[1], seq(*exts, exts[0]))


def openssl_cases(o, pki, good_leaf, revoked_leaf):
    """CRLs made by `openssl ca -gencrl` with the sub CA's key, from a
    hand-written index.txt (fixed dates, so deterministic)."""
    work = tempfile.mkdtemp(prefix="kakunin-conf-ossl-")
    try:
        key = os.path.join(work, "sub.key")
        cert = os.path.join(work, "sub.pem")
        with open(key, "wb") as f:
            f.write(pki.sub_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
        with open(cert, "wb") as f:
            f.write(pem(pki.sub))

        def gencrl(id, entries, exts="authorityKeyIdentifier=keyid:always", number=True,
                   last="260228000000Z", nxt="260307000000Z"):
            d = os.path.join(work, id)
            os.makedirs(d)
            subj = "/C=JP/O=kakunin conformance/CN=leaf"
            with open(os.path.join(d, "index.txt"), "w") as f:
                for serial, rev in entries:
                    f.write(f"R\t300601000000Z\t{rev}\t{serial:04X}\tunknown\t{subj}{serial:x}\n")
            if number:
                with open(os.path.join(d, "crlnumber"), "w") as f:
                    f.write("01\n")
            cnf = os.path.join(d, "ca.cnf")
            with open(cnf, "w") as f:
                f.write(f"""[ca]
default_ca = c
[c]
dir = {d}
database = {d}/index.txt
{"crlnumber = " + d + "/crlnumber" if number else ""}
default_md = sha256
{"crl_extensions = crlext" if exts else ""}
{"[crlext]" if exts else ""}
{exts or ""}
""")
            outp = os.path.join(d, "crl.der")
            r = subprocess.run(["openssl", "ca", "-batch", "-gencrl", "-config", cnf, "-keyfile", key, "-cert",
                                cert, "-crl_lastupdate", last, "-crl_nextupdate", nxt, "-out", outp + ".pem"],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise RuntimeError(f"openssl ca -gencrl ({id}) failed: {r.stderr}")
            subprocess.run(["openssl", "crl", "-in", outp + ".pem", "-outform", "DER", "-out", outp],
                           check=True, capture_output=True)
            with open(outp, "rb") as f:
                return f.read()

        kc = [(REVOKED_SERIAL, "260201000000Z,keyCompromise"), (OTHER_REVOKED, "260201000000Z,superseded")]

        def case(id, rule, der, expect, cert, refused, note=""):
            f = o.write(f"{id}/sub.crl", der)
            o.case(id, rule, cert, expect, ["root.crl", f], refused=[f] if refused else [], note=note,
                   tool="openssl ca")

        case("ossl_ctrl_valid", "control (openssl ca): conforming CRL, good leaf", gencrl("v", kc), "valid",
             good_leaf, False)
        case("ossl_ctrl_revoked", "control (openssl ca): conforming CRL, revoked leaf", gencrl("r", kc), "revoked",
             revoked_leaf, False)
        case("ossl_aki_missing", "§5.2.1: CRL issuers MUST include the AKI (openssl ca, no crl_extensions)",
             gencrl("a", kc, exts=None), "unknown", good_leaf, True, "v2 with cRLNumber only")
        case("ossl_crl_number_missing", "§5.2.3: cRLNumber MUST be included (openssl ca, no crlnumber file)",
             gencrl("n", kc, number=False), "unknown", good_leaf, True, "v2 with AKI only")
        case("ossl_v1_crl", "§5: CRLs MUST be v2 (CA); but applications are REQUIRED to process v1 complete CRLs",
             gencrl("v1", [(REVOKED_SERIAL, "260201000000Z")], exts=None, number=False), "valid", good_leaf,
             False, "v1 CRL (no extensions at all): the RP-side REQUIRED wins over the fail-closed default")
        case("ossl_reason_unspecified", "§5.3.1: reasonCode SHOULD be absent instead of unspecified (0)",
             gencrl("u", [(REVOKED_SERIAL, "260201000000Z,unspecified")]), "revoked", revoked_leaf, False,
             "SHOULD only: accepted")
        case("ossl_remove_from_crl_in_base", "§5.3.1: removeFromCRL (8) may only appear in delta CRLs",
             gencrl("rm", [(REVOKED_SERIAL, "260201000000Z,removeFromCRL")]), "unknown", revoked_leaf, True)
        case("ossl_certificate_hold", "control §5.3.1: certificateHold in a base CRL revokes",
             gencrl("h", [(REVOKED_SERIAL, "260201000000Z,certificateHold,holdInstructionReject")]), "revoked", revoked_leaf, False)
        case("ossl_expired", "§6.3.3 (a)(2): nextUpdate before the validation time (openssl ca)",
             gencrl("e", kc, last="260201000000Z", nxt="260215000000Z"), "unknown", good_leaf, True,
             "refused at ingest; raw: stale -> unknown")
        case("ossl_next_before_this", "§5.1.2.5: nextUpdate before thisUpdate (openssl ca)",
             gencrl("nb", kc, last="260228000000Z", nxt="260227000000Z"), "unknown", good_leaf, True)
        case("ossl_invalidity_date", "control §5.3.2: keyCompromise with invalidityDate (openssl -crl_compromise)",
             gencrl("kt", [(REVOKED_SERIAL, "260201000000Z,keyTime,20260115000000Z")]), "revoked", revoked_leaf,
             False)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    out = args[0]
    os.makedirs(out, exist_ok=True)
    cases = build(out, use_openssl="--no-openssl" not in sys.argv)
    print(f"{len(cases)} cases in {out}/manifest.json")


if __name__ == "__main__":
    main()
