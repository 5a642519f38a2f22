#!/usr/bin/env python3
"""kakunin serve's OpenID Provider against Authlib (PyPI `authlib`), an
independent relying-party library: its OpenID client (discovery,
authorization URL with PKCE S256 and nonce, `private_key_jwt` token
requests, ID token validation — signature by the provider's JWKS, `iss`,
`aud`, `exp`, `iat`, `nonce`, `at_hash` — and userinfo), and the refusals
an RP must see, each with its RFC error code and HTTP status, asked with
`requests`.

Run by tools/tests/cli/oidc_rp.rs:
  rp_authlib.py CONFIG.json requests   refusals that need no card
  rp_authlib.py CONFIG.json card       logins approved with the card (holder
                                       1 in the reader), the refusals that
                                       need a code, and a revoked card
                                       (asks the harness for holder 2)
  rp_authlib.py CONFIG.json deviations RFC details the server once missed:
                                       fails if one comes back
See common.py for CONFIG.json.
"""

import base64
import hashlib
import hmac
import json
import re
import secrets
import sys
import time
import urllib.parse

import requests
from authlib.integrations.base_client import BaseApp, OAuth2Mixin, OpenIDMixin
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from authlib.oauth2.rfc7523.assertion import private_key_jwt_sign
from authlib.oauth2.rfc9068 import JWTBearerTokenValidator
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey, RSAKey

from common import HTTP_TIMEOUT, Failed, approve, check, equal, expected_facts, insert_card, load_config, main

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALL_FACTS = "openid name address birthdate gender"
ASSERTION_LIFETIME = 60


class NoFramework:
    """Authlib's app classes keep tokens through a web framework; this RP
    keeps them in variables."""

    def update_token(self, *args, **kwargs):
        pass


class ShortLivedPrivateKeyJWT(PrivateKeyJWT):
    """Authlib's private_key_jwt with assertions that expire in 60 s.
    Authlib's default is 3600 s, which kakunin refuses: it takes `exp` at
    most 300 s ahead (RFC 7523 §3 item 4 lets a server refuse an `exp`
    unreasonably far in the future). A fresh claims dict each time: Authlib
    adds the `jti` to the dict it is given."""

    def sign(self, auth, token_endpoint):
        self.claims = {"exp": int(time.time()) + ASSERTION_LIFETIME}
        return super().sign(auth, token_endpoint)


class OpenIDApp(OAuth2Mixin, OpenIDMixin, BaseApp):
    """Authlib's OpenID client on `requests`, as its Flask and Django
    integrations compose it."""

    client_cls = OAuth2Session


class AccessTokenValidator(JWTBearerTokenValidator):
    """Authlib's resource-server check of an RFC 9068 access token
    (signature by /jwks, typ, iss, aud = the userinfo endpoint, exp, sub,
    client_id, iat, jti, scope)."""

    def __init__(self, meta):
        super().__init__(issuer=meta["issuer"], resource_server=meta["userinfo_endpoint"])
        self.jwks = requests.get(meta["jwks_uri"], timeout=HTTP_TIMEOUT).json()

    def get_jwks(self):
        return self.jwks


def b64url(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def private_key(path):
    """A PEM private key as the joserfc key Authlib signs with."""
    with open(path, "rb") as f:
        pem = f.read()
    key = serialization.load_pem_private_key(pem, None)
    return ECKey.import_key(pem) if isinstance(key, ec.EllipticCurvePrivateKey) else RSAKey.import_key(pem)


def public_pem(path):
    with open(path, "rb") as f:
        key = serialization.load_pem_private_key(f.read(), None)
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


class Rp:
    """One registered client at one provider."""

    def __init__(self, cfg, which, server=None):
        self.c = cfg["clients"][which]
        self.server = server or cfg["issuer"]
        self.key = private_key(self.c["key"])
        self.app = OpenIDApp(
            NoFramework(),
            name=which,
            client_id=self.c["client_id"],
            client_secret=self.key,
            server_metadata_url=self.server + "/.well-known/openid-configuration",
            client_kwargs={
                "code_challenge_method": "S256",
                "token_endpoint_auth_method": ShortLivedPrivateKeyJWT(alg=self.c["alg"], headers={"kid": self.c["kid"]}),
                "timeout": HTTP_TIMEOUT,
            },
        )
        self.meta = self.app.load_server_metadata()

    def assertion(self, aud=None, key=None, alg=None, kid="default", claims=None):
        """A client assertion as Authlib signs one (RFC 7523 §3): `kid`
        "default" is the client's, None leaves it out."""
        header = {} if kid is None else {"kid": self.c["kid"] if kid == "default" else kid}
        claims = dict({"exp": int(time.time()) + ASSERTION_LIFETIME}, **(claims or {}))
        jwt = private_key_jwt_sign(
            key or self.key,
            client_id=self.c["client_id"],
            token_endpoint=aud or self.meta["token_endpoint"],
            alg=alg or self.c["alg"],
            header=header,
            claims=claims,
        )
        return jwt.decode() if isinstance(jwt, bytes) else jwt

    def authorization(self, scope, **extra):
        """Authlib's authorization URL: state, nonce and a PKCE S256
        verifier of its own making."""
        return self.app.create_authorization_url(redirect_uri=self.c["redirect_uri"], scope=scope, **extra)

    def pushed(self, scope, **extra):
        """The same request pushed to /par (RFC 9126), the client
        authenticated by Authlib's private_key_jwt; the authorization URL
        then carries only client_id and request_uri."""
        auth = self.authorization(scope, **extra)
        params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(auth["url"]).query))
        with self.app._get_oauth_client(**self.meta) as session:
            r = session.post(
                self.meta["pushed_authorization_request_endpoint"],
                data=params,
                auth=session.client_auth(session.token_endpoint_auth_method),
                withhold_token=True,
                timeout=HTTP_TIMEOUT,
            )
        equal(r.status_code, 201, f"PAR of {self.c['client_id']}: status (RFC 9126 §2.2)")
        body = r.json()
        check(body["request_uri"].startswith("urn:ietf:params:oauth:request_uri:"), "PAR gives a request_uri", body)
        check(0 < body["expires_in"] <= 600, "PAR gives a short expires_in", body)
        q = urllib.parse.urlencode({"client_id": self.c["client_id"], "request_uri": body["request_uri"]})
        auth["url"] = self.meta["authorization_endpoint"] + "?" + q
        return auth

    def redeem(self, callback, auth):
        """The callback's code for tokens, with Authlib checking the ID
        token; returns (token, ID token claims)."""
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
        equal(q.get("state"), auth["state"], "the callback's state")
        equal(q.get("iss"), self.meta["issuer"], "the callback's iss (RFC 9207)")
        token = self.app.fetch_access_token(
            redirect_uri=self.c["redirect_uri"], code=q["code"], code_verifier=auth["code_verifier"]
        )
        claims = self.app.parse_id_token(token, nonce=auth["nonce"])
        equal(claims["iss"], self.meta["issuer"], "ID token iss (checked by Authlib)")
        equal(claims["aud"], self.c["client_id"], "ID token aud (checked by Authlib)")
        equal(claims["nonce"], auth["nonce"], "ID token nonce (checked by Authlib)")
        check(claims["exp"] > time.time() > claims["iat"] - 60, "ID token exp and iat are current", claims)
        equal(claims["amr"], ["hwk", "pin", "sc"], "ID token amr")
        header = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))
        equal(header["alg"], self.c["id_token_alg"], f"ID token alg for {self.c['client_id']}")
        jwks = requests.get(self.meta["jwks_uri"], timeout=HTTP_TIMEOUT).json()
        check(any(k["kid"] == header["kid"] for k in jwks["keys"]), "the ID token's kid is in /jwks", header)
        self._id_token_checks_are_live(token, auth)
        return token, claims

    def _id_token_checks_are_live(self, token, auth):
        """Authlib's own checks refuse a wrong nonce and a changed
        signature: the acceptance above was not vacuous."""
        try:
            self.app.parse_id_token(token, nonce="not-" + auth["nonce"])
            raise Failed("Authlib accepted the ID token with another nonce")
        except Failed:
            raise
        except Exception as e:
            check(True, f"Authlib refuses the ID token for another nonce ({type(e).__name__})")
        h, p, s = token["id_token"].split(".")
        sig = bytearray(base64.urlsafe_b64decode(s + "=="))
        sig[5] ^= 1
        forged = dict(token, id_token=f"{h}.{p}.{b64url(bytes(sig))}")
        try:
            self.app.parse_id_token(forged, nonce=auth["nonce"])
            raise Failed("Authlib accepted an ID token with a changed signature")
        except Failed:
            raise
        except Exception as e:
            check(True, f"Authlib refuses an ID token with a changed signature ({type(e).__name__})")

    def token_request(self, data, assertion=None):
        """POST /token with `data` and a client assertion: (status, JSON)."""
        body = dict(data)
        body.update(client_assertion_type=JWT_BEARER, client_assertion=assertion or self.assertion())
        r = requests.post(self.meta["token_endpoint"], data=body, timeout=HTTP_TIMEOUT)
        return r.status_code, _json(r)

    def par_request(self, params, assertion=None):
        body = dict(params)
        body.update(client_assertion_type=JWT_BEARER, client_assertion=assertion or self.assertion(aud=self.meta["pushed_authorization_request_endpoint"]))
        r = requests.post(self.meta["pushed_authorization_request_endpoint"], data=body, timeout=HTTP_TIMEOUT)
        return r.status_code, _json(r)


def _json(r):
    try:
        return r.json()
    except ValueError:
        return {"_body": r.text[:300]}


class Browser:
    """The person's browser, as far as the provider can tell: a cookie jar,
    `Accept: application/json` on the authorization request (docs/oidc.md)
    and the wait URL."""

    def __init__(self):
        self.s = requests.Session()

    def start(self, url):
        r = self.s.get(url, headers={"Accept": "application/json"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
        equal(r.status_code, 200, "the authorization request starts a pending request")
        return r.json()

    def wait_state(self, pending):
        r = self.s.get(pending["wait_url"], headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT)
        return r.status_code, _json(r)

    def follow(self, pending):
        """The navigation to the wait URL once decided: the 303 to the RP."""
        r = self.s.get(pending["wait_url"], allow_redirects=False, timeout=HTTP_TIMEOUT)
        equal(r.status_code, 303, "the decided login redirects to the RP")
        return r.headers["Location"]


def login(cfg, rp, scope=ALL_FACTS, par=False, **extra):
    """A whole login approved by the card: returns (auth, callback URL)."""
    auth = rp.pushed(scope, **extra) if par else rp.authorization(scope, **extra)
    browser = Browser()
    pending = browser.start(auth["url"])
    approve(cfg, rp.server, pending["pairing_code"], 0)
    equal(browser.wait_state(pending), (200, {"state": "approved"}), "the wait URL's state after approval")
    return auth, browser.follow(pending)


def refused_navigation(browser, pending, rp, what, says):
    """The browser's navigation to the wait URL after a refusal never
    brings the RP a code: kakunin's page saying why (docs/oidc.md), or —
    should the provider tell the RP, as RFC 6749 §4.1.2.1 describes — a
    redirect with an error and no code."""
    r = browser.s.get(pending["wait_url"], allow_redirects=False, timeout=HTTP_TIMEOUT)
    if r.status_code in (302, 303):
        loc = r.headers["Location"]
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        check(loc.startswith(rp.c["redirect_uri"] + "?") and "error" in q and "code" not in q, f"{what}: redirected to the RP with an error, no code", loc)
    else:
        equal(r.status_code, 200, f"{what}: the browser gets a page")
        check(says in r.text and "id=\"message\"" in r.text, f"{what}: the page says {says!r}", r.text[:500])


def refusal(status_body, status, error, what, why=None):
    """An OAuth error answer (RFC 6749 §5.2): this status and error code,
    and an error_description matching `why` (a regular expression) — so
    that a refusal for another reason does not pass."""
    code, body = status_body
    described = body.get("error_description")
    equal((code, body.get("error")), (status, error), what)
    check(isinstance(described, str), f"{what}: error_description {described!r}", body)
    if why is not None:
        check(re.search(why, described, re.I) is not None, f"{what}: the description says /{why}/ ({described})", described)


# --- refusals that need no card -------------------------------------------


def part_requests(cfg):
    es, rs, par = Rp(cfg, "es256"), Rp(cfg, "rs256"), Rp(cfg, "par")
    meta = es.meta
    equal(meta["issuer"], cfg["issuer"], "discovery issuer")
    for k in ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri", "pushed_authorization_request_endpoint"):
        check(meta[k].startswith(cfg["issuer"] + "/"), f"discovery {k} under the issuer", meta[k])
    equal(meta["code_challenge_methods_supported"], ["S256"], "PKCE methods")
    equal(meta["token_endpoint_auth_methods_supported"], ["private_key_jwt"], "client authentication methods")
    check(meta["authorization_response_iss_parameter_supported"] is True, "RFC 9207 iss in responses")
    check({"ES256", "RS256"} <= set(meta["id_token_signing_alg_values_supported"]), "ES256 and RS256 ID tokens", meta)

    authz = meta["authorization_endpoint"]
    good = es.authorization("openid")
    good_q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(good["url"]).query))

    def front(params, accept_json=False):
        h = {"Accept": "application/json"} if accept_json else {}
        return requests.get(authz, params=params, headers=h, allow_redirects=False, timeout=HTTP_TIMEOUT)

    # An unknown client: an error page, never a redirect (RFC 6749 §4.1.2.1).
    for accept_json in (False, True):
        r = front(dict(good_q, client_id="nosuchclient"), accept_json)
        equal((r.status_code, r.headers.get("Location")), (400, None), f"unknown client at /authorize ({'JSON' if accept_json else 'page'}): 400, not redirected")
    check("nosuchclient" in r.json()["error_description"], "the error names the unknown client", r.text)
    equal(r.json()["error"], "invalid_request", "unknown client at /authorize: error")
    ghost = dict(cfg["clients"]["es256"], client_id="nosuchclient")
    cfg_ghost = dict(cfg, clients=dict(cfg["clients"], ghost=ghost))
    ghost_rp = Rp(cfg_ghost, "ghost")
    refusal(ghost_rp.token_request({"grant_type": "authorization_code", "code": "x", "redirect_uri": ghost["redirect_uri"], "code_verifier": "x" * 43}), 401, "invalid_client", "unknown client at /token (RFC 6749 §5.2)", "registered client_id")
    refusal(ghost_rp.par_request(dict(good_q, client_id="nosuchclient")), 401, "invalid_client", "unknown client at /par (RFC 9126 §2.3)", "registered client_id")

    # Redirect URIs are compared byte for byte: no prefix, case or
    # normalisation tricks (RFC 6749 §3.1.2.3, RFC 9700 §4.1.3).
    registered = es.c["redirect_uri"]
    u = urllib.parse.urlsplit(registered)
    tricks = {
        "longer path": registered + "/evil",
        "shorter path": registered[:-1],
        "extra query": registered + "?next=https://evil.example/",
        "fragment": registered + "#x",
        "trailing slash": registered + "/",
        "path case": registered.replace(u.path, u.path.upper()),
        "scheme case": registered.replace("http://", "HTTP://"),
        "localhost for 127.0.0.1": registered.replace("127.0.0.1", "localhost"),
        "prefix of another host": registered.replace(u.netloc, u.netloc + ".evil.example"),
        "userinfo": registered.replace("://", "://evil.example@"),
        "dot segment": registered.replace(u.path, "/x/.." + u.path),
        "percent-encoded path": registered.replace(u.path, u.path.replace("c", "%63", 1)),
        "another registered client's URI": cfg["clients"]["rs256"]["redirect_uri"] + "/x",
    }
    for name, uri in tricks.items():
        for accept_json in (False, True):
            r = front(dict(good_q, redirect_uri=uri), accept_json)
            equal((r.status_code, r.headers.get("Location")), (400, None), f"redirect URI {name} ({uri}) at /authorize{' (JSON)' if accept_json else ''}: 400, not redirected")
        refusal(es.par_request(dict(good_q, redirect_uri=uri)), 400, "invalid_request", f"redirect URI {name} at /par", "redirect_uri registered")
    r = front({k: v for k, v in good_q.items() if k != "redirect_uri"})
    equal((r.status_code, r.headers.get("Location")), (400, None), "no redirect URI: 400, not redirected")

    # PKCE: required, S256 only (RFC 7636 §4.4.1, RFC 9700 §2.1.1); the
    # error goes back to the verified redirect URI with state and iss.
    def redirected_error(params, error, what):
        r = front(params)
        check(r.status_code in (302, 303), f"{what}: redirected to the RP", r.status_code)
        loc = r.headers["Location"]
        check(loc.startswith(registered + "?"), f"{what}: to the registered URI", loc)
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
        equal(q.get("error"), error, f"{what}: error (RFC 6749 §4.1.2.1)")
        equal(q.get("state"), params.get("state"), f"{what}: state")
        equal(q.get("iss"), cfg["issuer"], f"{what}: iss (RFC 9207)")
        check("code" not in q, f"{what}: no code", loc)

    no_pkce = {k: v for k, v in good_q.items() if not k.startswith("code_challenge")}
    redirected_error(no_pkce, "invalid_request", "no PKCE")
    redirected_error(dict(no_pkce, code_challenge="x" * 43), "invalid_request", "PKCE without a method (plain by default)")
    verifier = secrets.token_urlsafe(48)
    redirected_error(dict(no_pkce, code_challenge=verifier, code_challenge_method="plain"), "invalid_request", "PKCE plain")
    redirected_error({k: v for k, v in good_q.items() if k != "code_challenge"}, "invalid_request", "S256 without a challenge")
    refusal(es.par_request(no_pkce), 400, "invalid_request", "no PKCE at /par", "PKCE is required")
    refusal(es.par_request(dict(no_pkce, code_challenge=verifier, code_challenge_method="plain")), 400, "invalid_request", "PKCE plain at /par", "plain")
    # Other requests the RP hears about at its redirect URI, each with its
    # code (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6).
    redirected_error(dict(good_q, response_type="token"), "unsupported_response_type", "response_type=token")
    redirected_error(dict(good_q, scope="name"), "invalid_scope", "a scope without openid")
    redirected_error(dict(good_q, scope="openid my_number"), "invalid_scope", "a scope nobody registers (my_number)")
    redirected_error(dict(good_q, prompt="none"), "login_required", "prompt=none (every login needs the card)")
    redirected_error(dict(good_q, request="eyJhbGciOiJub25lIn0.e30."), "request_not_supported", "a request object")
    redirected_error({k: v for k, v in good_q.items() if k != "nonce"}, "invalid_request", "no nonce")
    for grant in ("refresh_token", "password", "urn:ietf:params:oauth:grant-type:device_code"):
        refusal(es.token_request({"grant_type": grant, "refresh_token": "x", "username": "x", "password": "x"}), 400, "unsupported_grant_type", f"grant_type {grant}", "grant_type")

    # A client registered with require_par may not use the front channel.
    par_q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(par.authorization("openid")["url"]).query))
    r = front(par_q)
    loc = r.headers.get("Location", "")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(loc).query))
    equal((r.status_code, q.get("error")), (303, "invalid_request"), "require_par client on the front channel (RFC 9126 §6)")

    # A pushed request's request_uri is single use (RFC 9126 §7.3).
    pushed = rs.pushed("openid")
    equal(Browser().s.get(pushed["url"], headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT).status_code, 200, "a request_uri's first use")
    r = requests.get(pushed["url"], headers={"Accept": "application/json"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    equal((r.status_code, r.headers.get("Location")), (400, None), "a request_uri's second use: 400 (RFC 9126 §7.3)")
    pushed = rs.pushed("openid")
    other = pushed["url"].replace("client_id=" + rs.c["client_id"], "client_id=" + es.c["client_id"])
    r = requests.get(other, headers={"Accept": "application/json"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    equal((r.status_code, r.headers.get("Location")), (400, None), "a request_uri with another client's client_id: 400 (RFC 9126 §4)")

    # A client-credentials token is no login: userinfo refuses it with
    # insufficient_scope, 403 (RFC 6750 §3.1).
    code, body = es.token_request({"grant_type": "client_credentials"})
    equal(code, 200, "client_credentials grant")
    r = requests.get(meta["userinfo_endpoint"], headers={"Authorization": "Bearer " + body["access_token"]}, timeout=HTTP_TIMEOUT)
    equal((r.status_code, _json(r).get("error")), (403, "insufficient_scope"), "userinfo with a client-credentials token")

    # Client assertions (RFC 7523 §3, OIDC Core §9): each refused with
    # invalid_client, 401 (RFC 6749 §5.2). The control first: a good
    # assertion with a bogus code gets past authentication to invalid_grant.
    code_req = {"grant_type": "authorization_code", "code": "bogus", "redirect_uri": registered, "code_verifier": verifier}
    refusal(es.token_request(code_req), 400, "invalid_grant", "control: a good assertion, a bogus code", "authorization code")
    refusal(rs.token_request(dict(code_req, redirect_uri=rs.c["redirect_uri"])), 400, "invalid_grant", "control: RS256 assertion, a bogus code", "authorization code")
    once = es.assertion()
    refusal(es.token_request(code_req, once), 400, "invalid_grant", "an assertion's first use", "authorization code")
    refusal(es.token_request(code_req, once), 401, "invalid_client", "the same assertion again (jti replay, RFC 7523 §3 item 7)", "replayed")
    par_once = es.assertion(aud=meta["pushed_authorization_request_endpoint"])
    check(es.par_request(good_q, par_once)[0] == 201, "a PAR assertion's first use")
    refusal(es.par_request(good_q, par_once), 401, "invalid_client", "the same assertion again at /par", "replayed")
    for aud in ("https://evil.example/token", meta["token_endpoint"] + "/", meta["userinfo_endpoint"]):
        refusal(es.token_request(code_req, es.assertion(aud=aud)), 401, "invalid_client", f"assertion aud {aud}", "aud")
    refusal(es.token_request(code_req, es.assertion(claims={"exp": int(time.time()) - 120})), 401, "invalid_client", "an expired assertion", "exp")
    claims = {"iss": es.c["client_id"], "sub": es.c["client_id"], "aud": meta["token_endpoint"], "exp": int(time.time()) + 60, "iat": int(time.time()), "jti": secrets.token_hex(16)}

    def unsigned(header, payload, key=b""):
        signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(payload).encode())}"
        if header["alg"] == "none":
            return signing_input + "."
        return signing_input + "." + b64url(hmac.new(key, signing_input.encode(), hashlib.sha256).digest())

    refusal(es.token_request(code_req, unsigned({"alg": "none", "typ": "JWT"}, claims)), 401, "invalid_client", "alg none", "found alg")
    refusal(es.token_request(code_req, unsigned({"alg": "None"}, dict(claims, jti=secrets.token_hex(16)))), 401, "invalid_client", "alg None", "found alg")
    rs_claims = dict(claims, iss=rs.c["client_id"], sub=rs.c["client_id"], jti=secrets.token_hex(16))
    rs_pub = public_pem(rs.c["key"])
    rs_req = dict(code_req, redirect_uri=rs.c["redirect_uri"])
    refusal(rs.token_request(rs_req, unsigned({"alg": "HS256", "kid": rs.c["kid"]}, rs_claims, rs_pub)), 401, "invalid_client", "HS256 keyed with the RSA client's public key (PEM)", "found alg \"HS256")
    jwk = json.dumps(RSAKey.import_key(rs_pub).as_dict(private=False)).encode()
    refusal(rs.token_request(rs_req, unsigned({"alg": "HS256"}, dict(rs_claims, jti=secrets.token_hex(16)), jwk)), 401, "invalid_client", "HS256 keyed with the RSA client's public JWK", "found alg \"HS256")
    refusal(es.token_request(code_req, unsigned({"alg": "HS256", "kid": es.c["kid"]}, dict(claims, jti=secrets.token_hex(16)), public_pem(es.c["key"]))), 401, "invalid_client", "HS256 keyed with the EC client's public key", "found alg \"HS256")
    stranger = ECKey.import_key(open(cfg["stranger_key"], "rb").read())
    refusal(es.token_request(code_req, es.assertion(key=stranger)), 401, "invalid_client", "a key not in the JWKS, under the client's kid", "does not verify")
    refusal(es.token_request(code_req, es.assertion(key=stranger, kid=None)), 401, "invalid_client", "a key not in the JWKS, no kid", "does not verify")
    refusal(es.token_request(code_req, es.assertion(key=stranger, kid="stranger")), 401, "invalid_client", "a key not in the JWKS, its own kid", "registered JWKS")
    refusal(es.token_request(code_req, es.assertion(key=rs.key, alg="RS256", kid=None)), 401, "invalid_client", "another client's key", "registered JWKS")
    r = requests.post(meta["token_endpoint"], data=code_req, timeout=HTTP_TIMEOUT)
    equal((r.status_code, _json(r).get("error")), (401, "invalid_client"), "no client authentication at all")


# --- with the card ----------------------------------------------------------


def part_card(cfg):
    es, rs, par = Rp(cfg, "es256"), Rp(cfg, "rs256"), Rp(cfg, "par")
    servers = cfg["servers"]
    # Started now, checked at the end: expiry costs no sleeping.
    short_pending = Rp(cfg, "es256", servers["short_pending"])
    stale_browser = Browser()
    stale = stale_browser.start(short_pending.authorization("openid")["url"])
    short_code = Rp(cfg, "es256", servers["short_code"])
    late_auth, late_callback = login(cfg, short_code, "openid")
    late_at = time.monotonic()

    # A login with the facts and verified_claims, front channel, ES256.
    claims_req = json.dumps({"userinfo": {"verified_claims": {"verification": {"trust_framework": None}, "claims": {"name": None, "address": None}}}})
    auth, callback = login(cfg, es, ALL_FACTS, claims=claims_req)
    token, id_claims = es.redeem(callback, auth)
    equal(token["token_type"].lower(), "bearer", "token_type")
    check("refresh_token" not in token, "no refresh token", token)
    info = es.app.userinfo(token=token)
    equal(info["sub"], id_claims["sub"], "userinfo sub = ID token sub")
    at_header = json.loads(base64.urlsafe_b64decode(token["access_token"].split(".")[0] + "=="))
    equal(at_header.get("typ"), "at+jwt", "access token typ (RFC 9068 §2.1)")
    validator = AccessTokenValidator(es.meta)
    at = validator.authenticate_token(token["access_token"])
    validator.validate_token(at, ["openid", "name"], None)
    equal((at["sub"], at["client_id"]), (id_claims["sub"], es.c["client_id"]), "access token sub and client_id (checked by Authlib's RFC 9068 validator)")
    want = expected_facts(cfg, 1)
    for k, v in want.items():
        equal(info.get(k), v, f"userinfo {k} (gen's facts.json)")
    vc = info["verified_claims"]
    equal(vc["verification"]["trust_framework"], "jp_aml", "verified_claims trust framework")
    equal(vc["verification"]["evidence"][0]["type"], "electronic_signature", "verified_claims evidence")
    equal(vc["claims"]["name"], want["name"], "verified_claims name")
    es_sub = id_claims["sub"]

    # RS256 client, pushed request, login only.
    auth, callback = login(cfg, rs, "openid", par=True)
    token, id_claims = rs.redeem(callback, auth)
    info = rs.app.userinfo(token=token)
    equal(set(info), {"sub"}, "userinfo of a login-only grant holds only sub")
    check(id_claims["sub"] != es_sub, "pairwise sub: another sector, another sub (OIDC Core §8.1)", id_claims["sub"])
    # The require_par client through PAR.
    auth, callback = login(cfg, par, "openid name", par=True)
    token, id_claims = par.redeem(callback, auth)
    equal(par.app.userinfo(token=token).get("name"), want["name"], "require_par client: userinfo name")

    # The same client and person again: the same sub.
    auth, callback = login(cfg, es, "openid")
    token, again = es.redeem(callback, auth)
    equal(again["sub"], es_sub, "pairwise sub is stable for one client and card")

    # A wrong PKCE verifier (RFC 7636 §4.6): invalid_grant.
    auth, callback = login(cfg, es, "openid")
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    req = {"grant_type": "authorization_code", "code": code, "redirect_uri": es.c["redirect_uri"]}
    refusal(es.token_request(dict(req, code_verifier=auth["code_verifier"][:-1] + ("A" if auth["code_verifier"][-1] != "A" else "B"))), 400, "invalid_grant", "a wrong code_verifier", "verifier|PKCE|challenge")
    refusal(es.token_request(dict(req, code_verifier=auth["code_verifier"])), 400, "invalid_grant", "the right verifier after a wrong one (the code is spent)", "already redeemed")

    # Another client's code, and a redirect_uri other than the request's.
    auth, callback = login(cfg, es, "openid")
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    refusal(rs.token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": es.c["redirect_uri"], "code_verifier": auth["code_verifier"]}), 400, "invalid_grant", "another client redeems the code (RFC 6749 §4.1.3)", "client")
    auth, callback = login(cfg, es, "openid")
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    refusal(es.token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": es.c["redirect_uri"] + "/x", "code_verifier": auth["code_verifier"]}), 400, "invalid_grant", "a redirect_uri other than the request's at /token (RFC 6749 §4.1.3)", "redirect_uri")

    # Code replay: refused, and the first redemption's access token is
    # revoked (RFC 6749 §4.1.2, RFC 9700 §4.5).
    auth, callback = login(cfg, es, "openid")
    token, _ = es.redeem(callback, auth)
    userinfo = es.meta["userinfo_endpoint"]
    bearer = {"Authorization": "Bearer " + token["access_token"]}
    equal(requests.get(userinfo, headers=bearer, timeout=HTTP_TIMEOUT).status_code, 200, "userinfo before the replay")
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    refusal(es.token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": es.c["redirect_uri"], "code_verifier": auth["code_verifier"]}), 400, "invalid_grant", "the code replayed", "already redeemed")
    r = requests.get(userinfo, headers=bearer, timeout=HTTP_TIMEOUT)
    equal((r.status_code, _json(r).get("error")), (401, "invalid_token"), "userinfo with the first access token after the replay (RFC 6750 §3.1)")
    check('error="invalid_token"' in r.headers.get("WWW-Authenticate", ""), "WWW-Authenticate says invalid_token", r.headers.get("WWW-Authenticate"))
    r = requests.get(userinfo, timeout=HTTP_TIMEOUT)
    equal(r.status_code, 401, "userinfo without a token")
    check(r.headers.get("WWW-Authenticate", "").startswith("Bearer"), "userinfo without a token asks for Bearer", r.headers)
    r = requests.get(userinfo, headers={"Authorization": "Bearer " + token["id_token"]}, timeout=HTTP_TIMEOUT)
    equal((r.status_code, _json(r).get("error")), (401, "invalid_token"), "userinfo with the ID token as a bearer token")

    # An expired code (the provider runs with --code-lifetime 1s).
    time.sleep(max(0.0, 2.2 - (time.monotonic() - late_at)))
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(late_callback).query))["code"]
    refusal(short_code.token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": es.c["redirect_uri"], "code_verifier": late_auth["code_verifier"]}), 400, "invalid_grant", "an expired code", "unknown or expired")

    # A signing certificate that is revoked (a provider whose sign CRL
    # revokes holder 1's): refused when facts are asked, fine without.
    signrev = Rp(cfg, "es256", servers["sign_revoked"])
    b = Browser()
    pending = b.start(signrev.authorization("openid name")["url"])
    approve(cfg, signrev.server, pending["pairing_code"], 1)
    code, state = b.wait_state(pending)
    equal((code, state.get("state")), (200, "refused"), "facts from a revoked signing certificate: refused")
    check("署名用電子証明書は失効" in state["message"] and "signing certificate is revoked" in state["message"], "the refusal says the signing certificate is revoked", state)
    refused_navigation(b, pending, signrev, "facts from a revoked signing certificate", "signing certificate is revoked")
    auth, callback = login(cfg, signrev, "openid")
    signrev.redeem(callback, auth)

    # The pending request nobody approved in time (--pending-lifetime 2s).
    time.sleep(max(0.0, 2.2 - (time.monotonic() - late_at)))
    equal(requests.get(stale["approval_url"], timeout=HTTP_TIMEOUT).status_code, 404, "an expired pending request's approval URL")
    equal(stale_browser.wait_state(stale), (404, {"state": "expired"}), "an expired pending request's wait state")
    approve(cfg, short_pending.server, stale["pairing_code"], 2)

    # A revoked card.
    insert_card(2)
    b = Browser()
    auth = es.authorization(ALL_FACTS)
    pending = b.start(auth["url"])
    approve(cfg, es.server, pending["pairing_code"], 1)
    code, state = b.wait_state(pending)
    equal((code, state.get("state")), (200, "refused"), "a revoked card: refused")
    check("失効" in state["message"] and "revoked" in state["message"], "the refusal says the card is revoked", state)
    refused_navigation(b, pending, es, "a revoked card", "revoked")
    equal(requests.get(pending["approval_url"], timeout=HTTP_TIMEOUT).status_code, 404, "a decided request cannot be approved again")


# --- RFC details these tests once found the server missing ---------------


def part_deviations(cfg):
    """RFC details kakunin serve once missed. Every one is checked and
    reported (`DEVIATION:` lines); the part fails if any comes back."""
    es = Rp(cfg, "es256")
    meta = es.meta
    found = []

    def expect(cond, what, got):
        if cond:
            print(f"ok: {what}", flush=True)
        else:
            print(f"DEVIATION: {what}; found: {got!r}", flush=True)
            found.append(what)

    # RFC 6749 §5.2: "If the client attempted to authenticate via the
    # Authorization request header field, the authorization server MUST
    # respond with an HTTP 401 (Unauthorized) status code and include the
    # WWW-Authenticate response header field matching the authentication
    # scheme used by the client." (RFC 9126 §2.3 answers PAR errors so too.)
    basic = "Basic " + base64.b64encode(f"{es.c['client_id']}:secret".encode()).decode()
    form = {"grant_type": "client_credentials"}
    for name, url in (("/token", meta["token_endpoint"]), ("/par", meta["pushed_authorization_request_endpoint"])):
        r = requests.post(url, data=form, headers={"Authorization": basic}, timeout=HTTP_TIMEOUT)
        got = (r.status_code, _json(r).get("error"), r.headers.get("WWW-Authenticate"))
        expect(
            got[:2] == (401, "invalid_client") and (got[2] or "").lower().startswith("basic"),
            f"client_secret_basic tried at {name}: 401 invalid_client with WWW-Authenticate: Basic (RFC 6749 §5.2)",
            got,
        )

    # RFC 9110 §11.1: the authentication scheme is case-insensitive, so
    # `BEARER` is the Bearer scheme of RFC 6750 §2.1. A client-credentials
    # token makes the check without a card: recognised, it gets 403
    # insufficient_scope; unrecognised, 401 as if no token was sent.
    code, body = es.token_request({"grant_type": "client_credentials"})
    for scheme in ("Bearer", "bearer", "BEARER", "BeArEr"):
        r = requests.get(meta["userinfo_endpoint"], headers={"Authorization": f"{scheme} {body['access_token']}"}, timeout=HTTP_TIMEOUT)
        got = (r.status_code, _json(r).get("error"))
        expect(got == (403, "insufficient_scope"), f"userinfo reads the scheme {scheme!r} as Bearer (RFC 9110 §11.1, RFC 6750 §2.1)", got)

    # OpenID Connect Discovery 1.0 §3: request_uri_parameter_supported
    # defaults to true when omitted, but /authorize takes no request_uri
    # except its own from /par (RFC 9126 §5: a PAR request_uri works
    # whatever this says).
    external = {"client_id": es.c["client_id"], "request_uri": "https://rp.example/request.jwt"}
    r = requests.get(meta["authorization_endpoint"], params=external, headers={"Accept": "application/json"}, allow_redirects=False, timeout=HTTP_TIMEOUT)
    supported = meta.get("request_uri_parameter_supported", True)
    expect(
        not (supported and r.status_code == 400),
        "discovery's request_uri_parameter_supported agrees with /authorize (OIDC Discovery §3: omitted means true)",
        {"request_uri_parameter_supported": meta.get("request_uri_parameter_supported", "(omitted)"), "an RP's own request_uri": (r.status_code, _json(r).get("error_description"))},
    )

    if found:
        raise Failed(f"{len(found)} deviation(s) from the RFCs remain (DEVIATION lines above)")


def run():
    cfg = load_config()
    part = sys.argv[2] if len(sys.argv) > 2 else "requests"
    {"requests": part_requests, "card": part_card, "deviations": part_deviations}[part](cfg)


if __name__ == "__main__":
    main(run)
