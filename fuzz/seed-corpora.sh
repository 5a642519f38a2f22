#!/bin/sh
# Seeds fuzz/corpus/<target> from the repository's test data and OpenSSL.
# Corpora are not committed (fuzz/corpus is ignored); run this once before
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target>` from fuzz/.
set -eu
cd "$(dirname "$0")"
data=../data
c=corpus
mkdir -p $c/crl $c/crl_entries $c/ocsp_request $c/apdu $c/card_client
cp $data/*.crl $c/crl/

# crl_entries: a flags byte (bit 0 indirect, 1 delta, 2 v1), then the
# content of a CRL's revokedCertificates.
python3 - "$data" "$c/crl_entries" <<'PY'
import sys, pathlib
data, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
def tlv(b, i):
    tag, n, i = b[i], b[i + 1], i + 2
    if n & 0x80:
        k = n & 0x7F
        n, i = int.from_bytes(b[i:i + k], "big"), i + k
    return tag, i, i + n  # tag, content start, end
for crl in sorted(data.glob("*.crl")):
    b = crl.read_bytes()
    _, s, _ = tlv(b, 0)           # CertificateList
    _, i, _ = tlv(b, s)           # tbsCertList
    while True:
        tag, cs, end = tlv(b, i)
        if tag == 0x30 and cs - i >= 3 and b[cs] == 0x30 and b[cs + 2] == 0x02:
            break                 # revokedCertificates: SEQUENCE OF SEQUENCE { INTEGER
        i = end
    body = b[cs:end]
    for flags in (0, 1, 2):
        (out / f"{crl.stem}-{flags}").write_bytes(bytes([flags]) + body)
    (out / f"{crl.stem}-first").write_bytes(b"\0" + body[:41])
PY

# ocsp_request: 00 + DER requests (SHA-1 and SHA-256 CertIDs, with and
# without a nonce), 01 + the GET path of one.
n=0
for h in 1 2 3; do
  for opts in "-no_nonce" "" "-sha256 -no_nonce" "-sha256"; do
    n=$((n + 1))
    # shellcheck disable=SC2086
    openssl ocsp $opts -issuer $data/auth-ca.pem -cert $data/holders/$h/auth.pem \
      -reqout $c/ocsp.tmp >/dev/null 2>&1
    { printf '\000'; cat $c/ocsp.tmp; } > $c/ocsp_request/req-$n
  done
done
{ printf '\001//'; base64 -w0 $c/ocsp.tmp | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g'; } \
  > $c/ocsp_request/get-1
rm -f $c/ocsp.tmp

# apdu: the commands the client sends, and a response.
printf '\000\244\004\014\012\323\222\360\000\046\001\000\000\000\001' > $c/apdu/select-jpki
printf '\000\260\000\000\000' > $c/apdu/read-256
printf '\000\040\000\200\0041234' > $c/apdu/verify
printf '\200\052\000\200\003abc\000' > $c/apdu/sign
printf '\000\260\000\000\000\001\000' > $c/apdu/read-ext
printf 'data\220\000' > $c/apdu/response

# card_client: a policy byte, then answers (length, bytes): a card that
# says 9000 to everything, and one that hands out a short certificate.
python3 - "$c/card_client" <<'PY'
import sys, pathlib
out = pathlib.Path(sys.argv[1])
ok = b"\x02\x90\x00"
(out / "all-ok").write_bytes(b"\x01" + ok * 64)
cert = b"\x30\x82\x01\x00" + bytes(range(256))
first, rest = cert[:256], cert[256:]
a = lambda r: bytes([len(r)]) if len(r) < 255 else b"\xff" + len(r).to_bytes(2, "big")
s = b"\x00" + ok + ok + ok  # SELECT AP, token info EF, ...
s += a(b"JPKIAPICCTOKEN2" + b" " * 17 + b"\x90\x00") + b"JPKIAPICCTOKEN2" + b" " * 17 + b"\x90\x00"
s += ok + a(first + b"\x90\x00") + first + b"\x90\x00" + a(rest + b"\x90\x00") + rest + b"\x90\x00"
s += ok + b"\x02\x63\xc3" + ok + b"\x02\x63\xc5" + ok + b"\x02\x63\xc3" + ok
(out / "token-and-cert").write_bytes(s)
PY
echo "seeded: $(ls $c | tr '\n' ' ')"
