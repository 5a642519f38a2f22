// kakunin serve's OpenID Provider against openid-client (npm), an OpenID
// Certified relying-party library: discovery, plain and pushed (PAR)
// authorization requests with PKCE S256, private_key_jwt with an ES256 and
// an RS256 key, the library's own checks of the authorization response
// (state, RFC 9207 iss) and of the ID token (signature by the provider's
// JWKS — enableNonRepudiationChecks — iss, aud, exp, iat, nonce, alg), and
// userinfo (sub checked against the ID token's). The card's approval is
// the command in the configuration (`kakunin card approve`).
//
// Run by tools/tests/cli/oidc_rp.rs: node rp_openid_client.mjs CONFIG.json
// (tests/oidc/common.py documents CONFIG.json). Prints one `ok:` line per
// check; the first failure prints `FAILED: ...` and exits 1.

import { spawnSync } from "node:child_process";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { inspect } from "node:util";

import * as client from "openid-client";

const HTTP_TIMEOUT_MS = 10_000;
const APPROVE_TIMEOUT_MS = 60_000;
const ALL_FACTS = "openid name address birthdate gender";

class Failed extends Error {}

function check(cond, what, found) {
  if (!cond) {
    throw new Failed(found === undefined ? what : `${what}; found: ${inspect(found, { depth: 4 })}`);
  }
  console.log(`ok: ${what}`);
}

function equal(found, expected, what) {
  check(
    JSON.stringify(found) === JSON.stringify(expected),
    `${what} = ${JSON.stringify(expected)}`,
    found,
  );
}

const cfg = JSON.parse(readFileSync(process.argv[2], "utf8"));

/** The 4 facts as userinfo claims, from gen's facts.json. */
function expectedFacts(holder) {
  const f = JSON.parse(readFileSync(cfg.facts[String(holder)], "utf8"));
  const b = f.birth_date; // era digit + YYYYMMDD
  return {
    name: f.name,
    address: { formatted: f.address },
    birthdate: `${b.slice(1, 5)}-${b.slice(5, 7)}-${b.slice(7, 9)}`,
    gender: { 1: "male", 2: "female" }[f.sex],
  };
}

/** A PKCS#8 PEM key as the WebCrypto key openid-client signs with. */
async function signingKey(c) {
  const der = createPrivateKey(readFileSync(c.key)).export({ type: "pkcs8", format: "der" });
  const alg =
    c.alg === "ES256"
      ? { name: "ECDSA", namedCurve: "P-256" }
      : { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" };
  return crypto.subtle.importKey("pkcs8", der, alg, false, ["sign"]);
}

/** Discovery for one client, authenticated by private_key_jwt. */
async function configure(which) {
  const c = cfg.clients[which];
  const key = await signingKey(c);
  const config = await client.discovery(
    new URL(cfg.issuer),
    c.client_id,
    { id_token_signed_response_alg: c.id_token_alg, redirect_uris: [c.redirect_uri] },
    client.PrivateKeyJwt({ key, kid: c.kid }),
    {
      // The provider is a loopback http:// issuer; the ID token's
      // signature is checked against /jwks.
      execute: [client.allowInsecureRequests, client.enableNonRepudiationChecks],
      timeout: HTTP_TIMEOUT_MS / 1000,
    },
  );
  return { c, config };
}

/** The person's browser as far as the provider can tell: cookies and
 * `Accept: application/json` (docs/oidc.md). */
async function startLogin(url) {
  const r = await fetch(url, {
    headers: { Accept: "application/json" },
    redirect: "manual",
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  equal(r.status, 200, "the authorization request starts a pending request");
  const cookies = r.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  return { pending: await r.json(), cookies };
}

function approve(code, expectStatus) {
  const [cmd, ...args] = cfg.approve;
  const started = Date.now();
  const p = spawnSync(cmd, [...args, "--server", cfg.issuer, code], {
    encoding: "utf8",
    timeout: APPROVE_TIMEOUT_MS,
    stdio: ["ignore", "pipe", "pipe"],
  });
  const took = ((Date.now() - started) / 1000).toFixed(1);
  const out = `${p.stdout}${p.stderr}`.trim();
  check(p.status === expectStatus, `card approve ${code} exits ${expectStatus} (${took} s)`, `exit ${p.status}: ${out}`);
  // The signing password is distinctive enough to look for; the 4-digit
  // PIN could appear by chance (a port, the verification code).
  check(!out.toLowerCase().includes("jpki2026"), "card approve's output holds no signing password", out);
}

/** After the approval, the browser's navigation to the wait URL: the 303
 * to the RP's callback. */
async function callback({ pending, cookies }) {
  const state = await fetch(pending.wait_url, {
    headers: { Accept: "application/json", Cookie: cookies },
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  equal(await state.json(), { state: "approved" }, "the wait URL's state after approval");
  const r = await fetch(pending.wait_url, {
    headers: { Cookie: cookies },
    redirect: "manual",
    signal: AbortSignal.timeout(HTTP_TIMEOUT_MS),
  });
  equal(r.status, 303, "the decided login redirects to the RP");
  return new URL(r.headers.get("location"));
}

/** A fetch that flips one bit of the ID token's signature in token
 * responses, for the check that openid-client verifies it. */
async function tamperedFetch(url, options) {
  const r = await fetch(url, options);
  const body = await r.json();
  if (body.id_token) {
    const [h, p, sig] = body.id_token.split(".");
    const bytes = Buffer.from(sig, "base64url");
    bytes[5] ^= 1;
    body.id_token = `${h}.${p}.${bytes.toString("base64url")}`;
  }
  return new Response(JSON.stringify(body), { status: r.status, headers: r.headers });
}

/** One whole login; returns (tokens, ID token claims). With `tamper`,
 * the ID token's signature is changed on its way to openid-client, which
 * must refuse it. */
async function login({ c, config }, { scope, par = false, extra = {}, tamper = false }) {
  const verifier = client.randomPKCECodeVerifier();
  const params = {
    redirect_uri: c.redirect_uri,
    scope,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state: client.randomState(),
    nonce: client.randomNonce(),
    ...extra,
  };
  const url = par
    ? await client.buildAuthorizationUrlWithPAR(config, params)
    : client.buildAuthorizationUrl(config, params);
  if (par) {
    equal(
      [...url.searchParams.keys()].sort(),
      ["client_id", "request_uri"],
      `${c.client_id}: a pushed request's URL holds only client_id and request_uri`,
    );
  }
  const browser = await startLogin(url);
  approve(browser.pending.pairing_code, 0);
  const cb = await callback(browser);
  equal(cb.origin + cb.pathname, c.redirect_uri, "the callback is the registered redirect URI");
  // openid-client's state check is live: another expected state is
  // refused before the code is spent.
  try {
    await client.authorizationCodeGrant(config, cb, {
      pkceCodeVerifier: verifier,
      expectedState: "another-state",
      expectedNonce: params.nonce,
    });
    throw new Failed("openid-client accepted a callback with another state");
  } catch (e) {
    if (e instanceof Failed) throw e;
    const why = `${e.message}: ${e.cause?.message ?? ""}`;
    check(/"state"/.test(why), `openid-client refuses another state (${why})`, e);
  }
  const checks = {
    pkceCodeVerifier: verifier,
    expectedState: params.state,
    expectedNonce: params.nonce,
    idTokenExpected: true,
  };
  if (tamper) {
    config[client.customFetch] = tamperedFetch;
    try {
      await client.authorizationCodeGrant(config, cb, checks);
      throw new Failed("openid-client accepted an ID token with a changed signature");
    } catch (e) {
      if (e instanceof Failed) throw e;
      const why = `${e.message}: ${e.cause?.message ?? ""}`;
      check(/signature/i.test(why), `openid-client refuses an ID token with a changed signature (${why})`, e);
      return null;
    } finally {
      delete config[client.customFetch];
    }
  }
  const tokens = await client.authorizationCodeGrant(config, cb, checks);
  const claims = tokens.claims();
  equal(claims.iss, cfg.issuer, "ID token iss (checked by openid-client)");
  equal(claims.aud, c.client_id, "ID token aud (checked by openid-client)");
  equal(claims.nonce, params.nonce, "ID token nonce (checked by openid-client)");
  const now = Date.now() / 1000;
  check(claims.exp > now && claims.iat <= now + 60, "ID token exp and iat are current", claims);
  equal(claims.amr, ["hwk", "pin", "sc"], "ID token amr");
  const header = JSON.parse(Buffer.from(tokens.id_token.split(".")[0], "base64url"));
  equal(header.alg, c.id_token_alg, `${c.client_id}: ID token alg`);
  equal(tokens.token_type.toLowerCase(), "bearer", "token_type");
  check(tokens.refresh_token === undefined, "no refresh token");
  return { tokens, claims };
}

async function main() {
  const es = await configure("es256");
  const meta = es.config.serverMetadata();
  equal(meta.issuer, cfg.issuer, "discovery issuer");
  check(meta.supportsPKCE("S256"), "discovery: PKCE S256 supported");
  check(
    meta.pushed_authorization_request_endpoint?.startsWith(cfg.issuer),
    "discovery: a PAR endpoint",
    meta,
  );
  equal(meta.token_endpoint_auth_methods_supported, ["private_key_jwt"], "client authentication methods");
  const want = expectedFacts(1);

  // ES256 client, front channel, the 4 facts.
  const a = await login(es, { scope: ALL_FACTS });
  const info = await client.fetchUserInfo(es.config, a.tokens.access_token, a.claims.sub);
  for (const [k, v] of Object.entries(want)) {
    equal(info[k], v, `userinfo ${k} (gen's facts.json)`);
  }
  try {
    await client.fetchUserInfo(es.config, a.tokens.access_token, "someone-else");
    throw new Failed("openid-client accepted userinfo for another sub");
  } catch (e) {
    if (e instanceof Failed) throw e;
    const why = `${e.message}: ${e.cause?.message ?? ""}`;
    check(/"sub"/.test(why), `openid-client refuses userinfo whose sub is not the ID token's (${why})`, e);
  }

  // The ID token's signature is checked against /jwks.
  await login(es, { scope: "openid", tamper: true });

  // RS256 client (RS256 ID tokens), pushed request, login only.
  const rs = await configure("rs256");
  const b = await login(rs, { scope: "openid", par: true });
  const infoB = await client.fetchUserInfo(rs.config, b.tokens.access_token, b.claims.sub);
  equal(Object.keys(infoB), ["sub"], "userinfo of a login-only grant holds only sub");
  check(b.claims.sub !== a.claims.sub, "pairwise sub: another sector, another sub", b.claims.sub);

  // RS256 client again, front channel with the name and acr_values: the
  // same sub, and the one acr the provider meets stated back.
  const c = await login(rs, { scope: "openid name", extra: { acr_values: "urn:example:loa:4 aal3" } });
  equal(c.claims.sub, b.claims.sub, "pairwise sub is stable for one client and card");
  equal(c.claims.acr, "aal3", "ID token acr: the asked-for value the card login meets");
  equal(
    (await client.fetchUserInfo(rs.config, c.tokens.access_token, c.claims.sub)).name,
    want.name,
    "userinfo name",
  );

  // A client registered with require_par: pushed works; the front channel
  // is refused, and openid-client reads the refusal (state, iss checked).
  const par = await configure("par");
  const d = await login(par, { scope: "openid address", par: true });
  equal(
    (await client.fetchUserInfo(par.config, d.tokens.access_token, d.claims.sub)).address,
    want.address,
    "require_par client: userinfo address",
  );
  const verifier = client.randomPKCECodeVerifier();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(par.config, {
    redirect_uri: par.c.redirect_uri,
    scope: "openid",
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: "S256",
    state,
    nonce: client.randomNonce(),
  });
  const r = await fetch(url, { redirect: "manual", signal: AbortSignal.timeout(HTTP_TIMEOUT_MS) });
  equal(r.status, 303, "require_par client on the front channel: redirected back");
  try {
    await client.authorizationCodeGrant(par.config, new URL(r.headers.get("location")), {
      pkceCodeVerifier: verifier,
      expectedState: state,
    });
    throw new Failed("openid-client accepted an error response");
  } catch (e) {
    if (e instanceof Failed) throw e;
    equal(e.error, "invalid_request", "openid-client reads the error (RFC 9126 §6, RFC 6749 §4.1.2.1)");
  }
}

const started = Date.now();
try {
  await main();
  console.log(`all checks passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} catch (e) {
  if (e instanceof Failed) {
    console.log(`FAILED: ${e.message}`);
  } else {
    console.log(`FAILED with an exception: ${e?.stack ?? e}`);
    if (e?.cause) console.log(`cause: ${inspect(e.cause, { depth: 4 })}`);
  }
  process.exit(1);
}
