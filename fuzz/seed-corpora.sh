#!/bin/sh
# Seeds fuzz/corpus/<target> from the repository's test data and OpenSSL.
# Corpora are not committed (fuzz/corpus is ignored); run this once before
# `RUSTC_BOOTSTRAP=1 cargo fuzz run <target>` from fuzz/.
set -eu
cd "$(dirname "$0")"
data=../data
c=corpus
mkdir -p $c/crl $c/crl_entries $c/ocsp_request $c/apdu $c/card_client \
  $c/cert_bundle $c/verify_path $c/http_request $c/vpcd_framing \
  $c/oidc_request $c/oidc_assertion $c/sign_registration
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
# oidc_request: query strings against kakunin_fuzz::oidc's registry
# (clients demo and par): valid ones, and each refusal a step away.
q() { printf '%s' "$2" > "$c/oidc_request/$1"; }
base='response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Frp.example%2Fcb&state=st-1&nonce=n-1&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'
q valid "$base&scope=openid"
q facts "$base&scope=openid+name+address+birthdate+gender&acr_values=aal3+crl&prompt=login+consent"
q claims "$base&scope=openid%20name&claims=%7B%22userinfo%22%3A%7B%22verified_claims%22%3A%7B%22verification%22%3A%7B%22trust_framework%22%3Anull%7D%2C%22claims%22%3A%7B%22name%22%3Anull%7D%7D%7D%7D"
q sign "$base&scope=openid+sign&sign_transaction_id=123e4567-e89b-12d3-a456-426614174000"
q redirect-query "response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Frp.example%2Fcb%3Fx%3D1&scope=openid&state=s&nonce=n&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
q par "response_type=code&client_id=par&redirect_uri=http%3A%2F%2F127.0.0.1%3A8081%2Fcallback&scope=openid+name&state=s&nonce=n&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
q prompt-none "$base&scope=openid&prompt=none"
q plain "response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Frp.example%2Fcb&scope=openid&state=s&nonce=n&code_challenge_method=plain&code_challenge=abc"
q request-uri "client_id=demo&request_uri=urn%3Aietf%3Aparams%3Aoauth%3Arequest_uri%3Aabc"
q bad-redirect "response_type=code&client_id=demo&redirect_uri=https%3A%2F%2Fevil.example%2Fcb&scope=openid"
q repeated "$base&scope=openid&state=again&client_id=demo"
q scope-too-wide "response_type=code&client_id=par&redirect_uri=https%3A%2F%2Fother.example%2Fcb&scope=openid+gender&state=s&nonce=n&code_challenge_method=S256&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

# sign_registration: registration bodies (docs/signing.md), accepted and
# a step away from it.
r() { printf '%s' "$2" > "$c/sign_registration/$1"; }
d256='AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8='
r one "{\"documents\":[{\"label\":\"契約書.pdf\",\"digest\":\"$d256\"}],\"facts\":true}"
r digest-info "{\"documents\":[{\"label\":\"a\",\"digest_info\":\"MDEwDQYJYIZIAWUDBAIBBQAEIAABAgMEBQYHCAkKCwwNDg8QERITFBUWFxgZGhscHR4f\"}]}"
r sha1 "{\"documents\":[{\"label\":\"a\",\"digest_info\":\"MCEwCQYFKw4DAhoFAAQUAAECAwQFBgcICQoLDA0ODxAREhM=\"}]}"
r short "{\"documents\":[{\"label\":\"a\",\"digest\":\"AAEC\"}]}"
r both "{\"documents\":[{\"label\":\"a\",\"digest\":\"$d256\",\"digest_info\":\"$d256\"}]}"

# oidc_assertion: a mode byte, then an assertion (bit 3 clear) or claims
# the harness signs (bit 3 set; bits 4-5 ES256, RS256, PS256; bit 6 no
# kid). The assertions below are signed by OpenSSL with data/oidc's test
# keys for kakunin_fuzz::oidc::NOW (1800000000), for the demo client.
python3 - "$data/oidc" "$c/oidc_assertion" <<'PY'
import base64, hashlib, json, pathlib, subprocess, sys
keys, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
NOW, AUD = 1800000000, "https://op.example/token"
b64 = lambda b: base64.urlsafe_b64encode(b).rstrip(b"=").decode()
ec_kid = json.loads((keys / "demo-rp.jwks.json").read_text())["keys"][0]["kid"]
def der_int(b, i):  # (value, next index) of a DER INTEGER at b[i]
    n = b[i + 1]
    return int.from_bytes(b[i + 2:i + 2 + n], "big"), i + 2 + n
def sign(alg, data):
    if alg == "ES256":
        der = subprocess.run(["openssl", "dgst", "-sha256", "-sign", str(keys / "demo-rp.key")],
                             input=data, capture_output=True, check=True).stdout
        r, i = der_int(der, 2)
        s, _ = der_int(der, i)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    pss = ["-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:32"] if alg == "PS256" else []
    return subprocess.run(["openssl", "dgst", "-sha256", *pss, "-sign", str(keys / "op-rs256.key")],
                          input=data, capture_output=True, check=True).stdout
def jwt(header, claims, alg=None):
    h = b64(json.dumps(header).encode())
    p = b64(json.dumps(claims).encode())
    signing = f"{h}.{p}".encode()
    return f"{h}.{p}.{b64(sign(alg or header['alg'], signing))}"
good = {"iss": "demo", "sub": "demo", "aud": AUD, "exp": NOW + 60, "iat": NOW, "jti": "j-1"}
def put(name, mode, text):
    (out / name).write_bytes(bytes([mode]) + text.encode())
put("es256-kid", 0, jwt({"alg": "ES256", "typ": "JWT", "kid": ec_kid}, good))
put("es256-client-id", 1, jwt({"alg": "ES256", "kid": ec_kid}, dict(good, aud=[AUD, "x"])))
put("rs256", 0, jwt({"alg": "RS256"}, dict(good, jti="j-2", nbf=NOW)))
put("ps256", 1, jwt({"alg": "PS256"}, dict(good, jti="j-3")))
put("expired", 0, jwt({"alg": "ES256", "kid": ec_kid}, dict(good, exp=NOW - 600, iat=NOW - 660)))
put("aud-issuer", 0, jwt({"alg": "ES256", "kid": ec_kid}, dict(good, aud="https://op.example")))
put("wrong-aud", 0, jwt({"alg": "ES256", "kid": ec_kid}, dict(good, aud="https://rp.example")))
put("none", 0, b64(b'{"alg":"none"}') + "." + b64(json.dumps(good).encode()) + ".")
put("hs256", 0, b64(b'{"alg":"HS256","kid":"' + ec_kid.encode() + b'"}') + "." + b64(json.dumps(good).encode()) + ".c2ln")
put("crit", 0, jwt({"alg": "ES256", "kid": ec_kid, "crit": ["exp"]}, good))
put("wrong-type", 4, jwt({"alg": "ES256", "kid": ec_kid}, good))
claims = json.dumps(good)
for name, mode in [("signed-es256", 0x08), ("signed-demo", 0x09), ("signed-rs256", 0x28),
                   ("signed-ps256-nokid", 0x78), ("signed-par-iss-demo", 0x2A),
                   ("signed-nobody", 0x0B)]:
    put(name, mode, claims)
put("signed-par", 0x2A, json.dumps(dict(good, iss="par", sub="par")))
# The first crash this target found: exp + leeway overflowing u64.
put("signed-exp-max", 0x08, json.dumps(dict(good, exp=2**64 - 1)))
put("signed-par-ps256", 0x3A, json.dumps(dict(good, iss="par", sub="par")))
put("signed-no-jti", 0x08, json.dumps({k: v for k, v in good.items() if k != "jti"}))
put("signed-long-exp", 0x08, json.dumps(dict(good, exp=NOW + 3600)))
put("signed-iat-future", 0x08, json.dumps(dict(good, iat=NOW + 120, exp=NOW + 180)))
PY

rm -f $c/one.der $c/two.der $c/ocsp.der
rm -rf $c/gen
echo "seeded: $(ls $c | tr '\n' ' ')"
