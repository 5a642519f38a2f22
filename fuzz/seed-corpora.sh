#!/bin/sh
# Seeds fuzz/corpus/<target> from the repository's test data and OpenSSL.
# Corpora are not committed (fuzz/corpus is ignored); run this once before
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target>` from fuzz/.
set -eu
cd "$(dirname "$0")"
data=../data
c=corpus
mkdir -p $c/crl $c/crl_entries $c/ocsp_request $c/apdu $c/card_client \
  $c/cert_bundle $c/verify_path $c/http_request $c/vpcd_framing
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
# cert_bundle: 00 + an input as `kakunin verify` reads it: data/'s PEM
# bundles and single certificates, DER (one and concatenated), a PEM
# bundle with CRLF line ends from OpenSSL, and a fresh `kakunin gen` PKI's
# bundles when the binary is built (target/release or target/debug).
n=0
for f in $data/sign-certs.pem $data/auth-certs.pem $data/ocsp.pem $data/sign-ca.pem \
         $data/holders/1/sign.pem $data/holders/2/auth.pem; do
  n=$((n + 1))
  { printf '\000'; cat "$f"; } > $c/cert_bundle/pem-$n
done
openssl x509 -in $data/holders/1/sign.pem -outform DER -out $c/one.der
openssl x509 -in $data/holders/1/auth.pem -outform DER -out $c/two.der
{ printf '\000'; cat $c/one.der; } > $c/cert_bundle/der-1
{ printf '\000'; cat $c/one.der $c/two.der; } > $c/cert_bundle/der-2
{ printf '\000'; sed 's/$/\r/' $data/holders/3/sign.pem; } > $c/cert_bundle/pem-crlf
kakunin=""
for k in ../target/release/kakunin ../target/debug/kakunin; do
  [ -x "$k" ] && { kakunin=$k; break; }
done
if [ -n "$kakunin" ]; then
  "$kakunin" gen --out $c/gen --revoked 20 --certs 8 --holders 2 --seed 7 >/dev/null
  { printf '\000'; cat $c/gen/sign-certs.pem; } > $c/cert_bundle/gen-sign
  { printf '\000'; cat $c/gen/auth-certs.pem; } > $c/cert_bundle/gen-auth
fi

# verify_path: 00 + a CRL, 01 + an intermediate, 02 + a leaf, checked
# beside data/'s CAs and CRLs. OpenSSL signs them with data/'s CA key, so
# they pass the signature check and reach what lies behind it: an empty
# CRL of the signing CA, a CA certificate it issues (an intermediate) and
# a leaf that intermediate issues.
tmp=$(mktemp -d)
cat > $tmp/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = $tmp/index.txt
crlnumber = $tmp/crlnumber
default_md = sha256
default_crl_days = 3650
[v3_ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
CNF
: > $tmp/index.txt
echo 1000 > $tmp/crlnumber
openssl ca -gencrl -config $tmp/ca.cnf -keyfile $data/sign-ca.key -cert $data/sign-ca.pem \
  -out $tmp/sign.crl >/dev/null 2>&1
{ printf '\000'; openssl crl -in $tmp/sign.crl -outform DER; } > $c/verify_path/crl-openssl
{ printf '\000'; cat $data/auth.crl; } > $c/verify_path/crl-data
openssl req -new -newkey rsa:2048 -nodes -keyout $tmp/i.key -subj "/C=JP/O=JPKI/OU=fuzz" \
  -out $tmp/i.csr >/dev/null 2>&1
openssl x509 -req -in $tmp/i.csr -CA $data/sign-ca.pem -CAkey $data/sign-ca.key \
  -set_serial 77 -days 3650 -extfile $tmp/ca.cnf -extensions v3_ca -out $tmp/i.pem >/dev/null 2>&1
{ printf '\001'; openssl x509 -in $tmp/i.pem -outform DER; } > $c/verify_path/intermediate
openssl req -new -newkey rsa:2048 -nodes -keyout $tmp/l.key -subj "/C=JP/CN=leaf" \
  -out $tmp/l.csr >/dev/null 2>&1
openssl x509 -req -in $tmp/l.csr -CA $tmp/i.pem -CAkey $tmp/i.key -set_serial 78 \
  -days 365 -extfile $tmp/ca.cnf -extensions leaf -out $tmp/l.pem >/dev/null 2>&1
{ printf '\002'; openssl x509 -in $tmp/l.pem -outform DER; } > $c/verify_path/leaf
{ printf '\002'; cat $c/one.der; } > $c/verify_path/leaf-data
rm -rf "$tmp"

# http_request: 00 + raw requests to the real routes.
h() { printf '\000'; printf '%b' "$1"; }
h 'GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n' > $c/http_request/healthz
h 'GET /v1/status/sign/1D153435497E08BD HTTP/1.1\r\nhost: x\r\n\r\nGET /readyz HTTP/1.1\r\nhost: x\r\n\r\n' \
  > $c/http_request/status-pipelined
h 'HEAD /metrics HTTP/1.1\r\nhost: x\r\n\r\n' > $c/http_request/metrics-head
h 'POST /v1/status?issuer=sign HTTP/1.1\r\nhost: x\r\ncontent-length: 34\r\n\r\n1D153435497E08BD\n1D1534354987EBB1\n' \
  > $c/http_request/status-batch
{ h "POST /v1/verify?facts=true HTTP/1.1\r\nhost: x\r\ncontent-length: $(wc -c < $data/holders/1/sign.pem)\r\n\r\n"
  cat $data/holders/1/sign.pem; } > $c/http_request/verify
openssl ocsp -issuer $data/auth-ca.pem -cert $data/holders/1/auth.pem -reqout $c/ocsp.der >/dev/null 2>&1
{ h "POST /ocsp HTTP/1.1\r\nhost: x\r\ncontent-type: application/ocsp-request\r\ncontent-length: $(wc -c < $c/ocsp.der)\r\n\r\n"
  cat $c/ocsp.der; } > $c/http_request/ocsp-post
h "GET /ocsp/$(base64 -w0 $c/ocsp.der | sed 's/+/%2B/g; s,/,%2F,g; s/=/%3D/g') HTTP/1.1\r\nhost: x\r\n\r\n" \
  > $c/http_request/ocsp-get
h 'GET /v1/challenge HTTP/1.1\r\nhost: x\r\norigin: http://127.0.0.1:8080\r\n\r\n' > $c/http_request/challenge
h 'POST /v1/status HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n11\r\n1D153435497E08BD\n\r\n0\r\n\r\n' \
  > $c/http_request/chunked

# vpcd_framing: 00 + what pcscd sends: power on, ATR requests, SELECT of
# the JPKI AP, reading the token info, a wrong and a right VERIFY, reset.
v() { printf '\000'; printf "$1"; }
v '\000\001\001\000\001\004\000\001\004' > $c/vpcd_framing/power-atr
v '\000\001\001\000\017\000\244\004\014\012\323\222\360\000\046\001\000\000\000\001\000\007\000\244\002\014\002\000\006\000\005\000\260\000\000\040' \
  > $c/vpcd_framing/select-read
v '\000\001\001\000\017\000\244\004\014\012\323\222\360\000\046\001\000\000\000\001\000\007\000\244\002\014\002\000\030\000\004\000\040\000\200\000\011\000\040\000\200\0041111\000\011\000\040\000\200\0041234\000\001\002\000\001\000' \
  > $c/vpcd_framing/verify-reset
{ printf '\001'; tail -c +2 $c/vpcd_framing/select-read; } > $c/vpcd_framing/select-read-bytewise
rm -f $c/one.der $c/two.der $c/ocsp.der
rm -rf $c/gen
echo "seeded: $(ls $c | tr '\n' ' ')"
