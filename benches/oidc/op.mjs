// The baseline of benches/compare_oidc.py: Node's oidc-provider (an OpenID
// Certified provider) set up like `kakunin serve`'s OpenID Provider, for
// the token endpoint with client credentials.
//
//   node op.mjs --port 8900 --client-jwks data/oidc/demo-rp.jwks.json \
//       --key data/oidc/op-es256.key --key data/oidc/op-rs256.key [--workers 2]
//
// - issuer http://127.0.0.1:PORT, token endpoint /token (the default route);
// - one client, `bench`: private_key_jwt with ES256 assertions, its public
//   JWKS from --client-jwks (the same file kakunin registers), grant type
//   client_credentials only (no redirect URIs, no response types: that is
//   a valid registration in oidc-provider);
// - the provider's keys are kakunin's own (PEM PKCS#8, the P-256 one first);
// - access tokens are RFC 9068 JWTs (`typ` at+jwt) signed ES256, lasting
//   300 s, like kakunin's. oidc-provider issues opaque access tokens unless
//   the resourceIndicators feature says otherwise, so it is on with one
//   resource server (audience ISSUER/userinfo, scope `sign`, format jwt),
//   which is also the default resource: a request needs no `resource`
//   parameter, as kakunin's needs none;
// - production settings: NODE_ENV=production (set by the caller), no
//   devInteractions, no debug output. The adapter is oidc-provider's
//   built-in in-memory one (no Redis): it holds the used assertion ids
//   (replay detection) in a 1,000-entry LRU, cheaper than kakunin's store;
// - --workers N forks N processes (node:cluster) on the same port. Each
//   then has its own memory adapter, so replay detection holds per process
//   only: a configuration for measuring what Node can do on all cores, not
//   one to deploy without a shared adapter.
//
// Prints "listening on http://127.0.0.1:PORT" once every worker listens.

import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

import * as jose from 'jose';
import Provider from 'oidc-provider';

const { values: args } = parseArgs({
  options: {
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    'client-jwks': { type: 'string' },
    key: { type: 'string', multiple: true },
    workers: { type: 'string', default: '1' },
  },
});
if (!args.port || !args['client-jwks'] || !args.key?.length) {
  console.error('usage: node op.mjs --port PORT --client-jwks FILE --key PEM [--key PEM] [--workers N]');
  process.exit(2);
}
const workers = Number(args.workers);
const issuer = `http://${args.host}:${args.port}`;

if (workers > 1 && cluster.isPrimary) {
  let up = 0;
  for (let i = 0; i < workers; i += 1) {
    cluster.fork().on('message', (m) => {
      if (m === 'listening' && ++up === workers) console.log(`listening on ${issuer} (${workers} workers)`);
    });
  }
  cluster.on('exit', (w, code, signal) => {
    if (!shuttingDown) {
      console.error(`worker ${w.process.pid} ended (${signal || code})`);
      process.exit(1);
    }
  });
  let shuttingDown = false;
  for (const s of ['SIGTERM', 'SIGINT']) {
    process.on(s, () => {
      shuttingDown = true;
      for (const w of Object.values(cluster.workers)) w.kill('SIGTERM');
      process.exit(0);
    });
  }
} else {
  await serve();
}

async function providerKeys(files) {
  const keys = [];
  for (const file of files) {
    const pem = readFileSync(file, 'utf8');
    // The PEM's type decides the algorithm: P-256 → ES256, RSA → RS256.
    let key;
    let alg;
    for (alg of ['ES256', 'RS256']) {
      try {
        key = await jose.importPKCS8(pem, alg, { extractable: true });
        break;
      } catch {
        key = undefined;
      }
    }
    if (!key) throw new Error(`${file}: not a P-256 or RSA PKCS#8 key`);
    const jwk = await jose.exportJWK(key);
    jwk.kid = await jose.calculateJwkThumbprint(jwk); // RFC 7638, as kakunin
    jwk.alg = alg;
    jwk.use = 'sig';
    keys.push(jwk);
  }
  return keys;
}

async function serve() {
  const clientJwks = JSON.parse(readFileSync(args['client-jwks'], 'utf8'));
  const resource = `${issuer}/userinfo`;
  const provider = new Provider(issuer, {
    clients: [{
      client_id: 'bench',
      client_name: 'compare_oidc.py',
      token_endpoint_auth_method: 'private_key_jwt',
      token_endpoint_auth_signing_alg: 'ES256',
      jwks: clientJwks,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      id_token_signed_response_alg: 'ES256',
      scope: 'openid sign',
    }],
    jwks: { keys: await providerKeys(args.key) },
    scopes: ['openid', 'sign'],
    clientAuthMethods: ['private_key_jwt'],
    enabledJWA: {
      clientAuthSigningAlgValues: ['ES256', 'PS256', 'RS256'],
      idTokenSigningAlgValues: ['ES256', 'RS256'],
    },
    cookies: { keys: ['compare_oidc.py: a cookie key for the benchmark only'] },
    ttl: { ClientCredentials: 300 },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: false },
      revocation: { enabled: false },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== resource) throw new Provider.errors.InvalidTarget();
          return {
            scope: 'sign',
            audience: resource,
            accessTokenTTL: 300,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: 'ES256' } },
          };
        },
      },
    },
  });
  // Quiet: only what goes wrong on the server's side is printed.
  provider.on('server_error', (_ctx, err) => console.error('server_error', err));
  const server = provider.listen(Number(args.port), args.host, () => {
    if (cluster.isWorker) process.send('listening');
    else console.log(`listening on ${issuer}`);
  });
  server.keepAliveTimeout = 60_000;
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
