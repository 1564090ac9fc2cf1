// The reference peer of ops/bench/run.sh: node-oidc-provider 9 (installed from npm by
// ops/bench/reference/install.sh into a scratch directory outside git), configured for the same
// workloads as Grantry's client_credentials and introspection rows, with its default in-memory
// adapter (nothing durable: a token is not written to disk before its answer, unlike Grantry's).
//
//   node oidc-provider.mjs PORT
//
// Clients (client_secret_basic, scope "api"), all client_credentials:
//   ref-jwt     access tokens are RS256 JWTs (resource server urn:bench:jwt)
//   ref-es256   access tokens are ES256 JWTs (urn:bench:es256)
//   ref-opaque  access tokens are opaque, kept in memory (urn:bench:opaque)
// Introspection (POST /token/introspection) is on, for the opaque tokens. The secret of every
// client is the value of REF_SECRET (default "ref-secret-of-the-benchmark").
// Listens on 127.0.0.1 only.
import { generateKeyPairSync } from 'node:crypto';
import { createRequire } from 'node:module';
import path from 'node:path';

const port = Number(process.argv[2] || 18190);
const moduleDir = process.env.REF_MODULES; // the scratch directory's node_modules
const require = createRequire(path.join(moduleDir, 'x.js'));
const { default: Provider } = await import(require.resolve('oidc-provider'));

const secret = process.env.REF_SECRET || 'ref-secret-of-the-benchmark';
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });

const resources = {
  'urn:bench:jwt': { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } },
  'urn:bench:es256': { accessTokenFormat: 'jwt', jwt: { sign: { alg: 'ES256' } } },
  'urn:bench:opaque': { accessTokenFormat: 'opaque' },
};
const resourceOf = { 'ref-jwt': 'urn:bench:jwt', 'ref-es256': 'urn:bench:es256', 'ref-opaque': 'urn:bench:opaque' };

const client = (id) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  response_types: [],
  redirect_uris: [],
  token_endpoint_auth_method: 'client_secret_basic',
  scope: 'api',
});

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: Object.keys(resourceOf).map(client),
  jwks: { keys: [{ ...rsa, alg: 'RS256', use: 'sig', kid: 'rs' }, { ...ec, alg: 'ES256', use: 'sig', kid: 'es' }] },
  scopes: ['api'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: (ctx, c) => resourceOf[c.clientId],
      getResourceServerInfo: (ctx, indicator) => ({ scope: 'api', accessTokenTTL: 3600, ...resources[indicator] }),
      useGrantedResource: () => true,
    },
  },
});
provider.on('server_error', (ctx, err) => console.error('server_error', err));
provider.listen(port, '127.0.0.1', () => console.log(`reference ready on ${port}`));
