/**
 * The worst-case cost scenario's server: Passport's whole handler (every endpoint) plus a route
 * guarded by `authenticateNode`, on the memory store, and the corpus of requests the parent sends
 * to it: for each endpoint one normal request and the hostile ones that endpoint could meet (long
 * blank runs, deep or huge JSON, long scopes, many parameters, long percent-encoding, maximum-size
 * headers, long cookies, a long Host). The parent measures the server's CPU per request of each.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { type ClientRecord, createPassport, hashSecret, importPrivateKeyPem, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { authenticateNode, toNodeListener } from '@passport/http/node';
import { createMemoryStore } from '@passport/store-memory';
import type { HostileCase, ServerConfig } from '../protocol.js';
import { type BenchTarget, basicAuthorization, CLIENT_CREDENTIALS_BODY } from './common.js';

const REDIRECT_URI = 'https://client.bench.test/callback';
const USER = { id: 'bench-user' };
/** The header the bench server's `authenticateUser` reads: a signed-in user for the JSON API. */
const USER_HEADER = 'x-bench-user';

/** Node refuses request heads over 16 KiB: the "maximum-size" inputs stay just under it. */
const HEAD_ROOM = 15_000;
/** Passport's default body limit. */
const BODY_LIMIT = 64 * 1024;

const blanks = (n: number) => ' '.repeat(n);

/** Hostile header sets, each just under Node's 16 KiB head limit. */
function hostileHeaders(): { name: string; headers: Record<string, string> }[] {
  const half = Math.floor(HEAD_ROOM / 2) - 10;
  const cookies = Array.from({ length: 1100 }, (_, i) => `c${i}=v${i}`).join('; ');
  const many: Record<string, string> = {};
  for (let i = 0; i < 900; i++) many[`x-h${i}`] = 'v';
  return [
    {
      name: 'Basic + 7.5k blanks + a + 7.5k blanks + b',
      headers: { authorization: `Basic${blanks(half)}a${blanks(half)}b` },
    },
    {
      name: 'Bearer + 7.5k blanks + a + 7.5k blanks + b',
      headers: { authorization: `Bearer${blanks(half)}a${blanks(half)}b` },
    },
    {
      name: 'Authorization of 15 KB base64',
      headers: { authorization: `Basic ${'QUFB'.repeat(HEAD_ROOM / 4)}` },
    },
    { name: 'a 15 KB header', headers: { 'x-filler': 'a'.repeat(HEAD_ROOM) } },
    { name: '900 headers', headers: many },
    { name: 'a 12 KB cookie header (1,100 cookies)', headers: { cookie: cookies } },
    { name: 'a 15 KB Host', headers: { host: 'a'.repeat(HEAD_ROOM) } },
    { name: 'Host with a path', headers: { host: '127.0.0.1:1/oauth/jwks?' } },
  ];
}

/** Hostile form bodies for the form endpoints, each within the 64 KiB body limit. */
function hostileForms(base: string): { name: string; body: string }[] {
  const room = BODY_LIMIT - base.length - 16;
  return [
    {
      name: '8,000 parameters',
      body: `${base}&${Array.from({ length: 8000 }, (_, i) => `p${i}=1`)
        .join('&')
        .slice(0, room)}`,
    },
    { name: '64 KB of percent-encoding', body: `${base}&x=${'%41'.repeat(Math.floor(room / 3))}` },
    { name: '64 KB of encoded blanks', body: `${base}&x=${'+'.repeat(room)}` },
    { name: 'a scope of 1,600 scopes (8 KB)', body: `${base}&scope=${'read+'.repeat(1600)}` },
    { name: 'a scope of 64 KB', body: `${base}&scope=${'r'.repeat(room)}` },
    { name: '8,000 repeated parameters', body: `${base}&${'x=1&'.repeat(8000)}`.slice(0, BODY_LIMIT - 1) },
    { name: 'NUL bytes', body: `${base}&client_id=${'%00'.repeat(Math.floor(room / 3))}` },
  ];
}

/** Hostile JSON bodies for the JSON API. */
function hostileJson(): { name: string; body: string }[] {
  const depth = Math.floor((BODY_LIMIT - 2) / 2);
  const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}":1`).join(',');
  return [
    { name: 'JSON nested 32,000 deep', body: `${'['.repeat(depth)}${']'.repeat(depth)}` },
    { name: 'JSON object nested 10,000 deep', body: `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}` },
    { name: 'JSON with 5,000 keys', body: `{${keys}}`.slice(0, BODY_LIMIT) },
    { name: 'a 60 KB name', body: JSON.stringify({ name: 'n'.repeat(60_000), redirect: REDIRECT_URI }) },
    {
      name: '3,000 redirect URIs',
      body: JSON.stringify({
        name: 'x',
        redirect: Array.from({ length: 3000 }, (_, i) => `https://a.test/${i}`).join(','),
      }),
    },
    { name: 'scopes: 12,000 words', body: JSON.stringify({ name: 'x', scopes: 'read '.repeat(12_000) }) },
    {
      name: 'a name of 60 KB blanks',
      body: JSON.stringify({ name: blanks(60_000), redirect: REDIRECT_URI }),
    },
  ];
}

/** Hostile query strings for the GET pages (authorize, device). */
function hostileQueries(base: string): { name: string; query: string }[] {
  return [
    {
      name: '2,000 query parameters',
      query: `${base}&${Array.from({ length: 2000 }, (_, i) => `q${i}=1`).join('&')}`.slice(0, HEAD_ROOM),
    },
    { name: '14 KB of percent-encoding in the query', query: `${base}&state=${'%41'.repeat(4600)}` },
    { name: '14 KB of encoded blanks in the query', query: `${base}&state=${'+'.repeat(14_000)}` },
    { name: 'a scope of 2,800 scopes', query: `${base}&scope=${'read+'.repeat(2800)}` },
  ];
}

/**
 * Builds the server and its corpus. The user is signed in through a header, as a host's session
 * lookup would find them; the approval and device decisions are sent with invalid tokens (each real
 * one is single use), which is also what an attacker sends.
 */
export async function createWorstCaseTarget(
  config: ServerConfig,
): Promise<BenchTarget & { cases: HostileCase[] }> {
  const keys = KeySet.from([await importPrivateKeyPem(config.keys.ecPrivatePem, 'ES256')]);
  const store = createMemoryStore();
  const passport = createPassport({
    issuer: config.issuer,
    store,
    keys,
    scopes: { read: 'Read the bench API', write: 'Write' },
    grants: { deviceCode: true },
    // The scenario measures what each request costs to parse and answer: with the rate limits on,
    // the repeated normal requests of an endpoint would soon be cheap 429s.
    rateLimits: false,
  });
  const now = new Date();
  const client: ClientRecord = {
    id: config.client.id,
    ownerId: USER.id,
    name: 'bench',
    secretHash: hashSecret(config.client.secret),
    provider: null,
    redirectUris: [REDIRECT_URI],
    grantTypes: ['client_credentials', 'authorization_code', 'refresh_token'],
    scopes: null,
    confidential: true,
    firstParty: false,
    resourceServer: false,
    revoked: false,
    createdAt: now,
    updatedAt: now,
  };
  await store.createClient(client);
  const device = await passport.clients.create({
    name: 'bench tv',
    confidential: false,
    grantTypes: ['urn:ietf:params:oauth:grant-type:device_code'],
  });
  const publicApp = await passport.clients.create({
    name: 'bench app',
    confidential: false,
    redirectUris: [REDIRECT_URI],
    grantTypes: ['authorization_code'],
  });

  const handler = createPassportHandler({
    passport,
    secret: randomBytes(32).toString('base64url'),
    authenticateUser: (request) => (request.headers.get(USER_HEADER) === USER.id ? USER : null),
    loginUrl: '/login',
  });
  const guard = createGuard({ passport });
  const passportListener = toNodeListener(handler);
  const listener: BenchTarget['listener'] = (request, response) => {
    if (request.url === '/bare') {
      // node:http alone: what parsing the request costs before any library runs.
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '2' });
      response.end('ok');
      return;
    }
    if (!(request.url ?? '/').startsWith('/api/')) {
      passportListener(request, response);
      return;
    }
    void authenticateNode(guard, request, response, { accept: 'client' }).then((auth) => {
      if (auth === null) return;
      response.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      response.end('{"ok":true}');
    });
  };

  const authorization = basicAuthorization(config.client);
  const { access_token: accessToken } = await passport.handleTokenRequest({
    params: new URLSearchParams(CLIENT_CREDENTIALS_BODY),
    authorization,
  });
  const formType = { 'content-type': 'application/x-www-form-urlencoded' };
  const jsonType = { 'content-type': 'application/json', origin: new URL(config.issuer).origin };
  const signedIn = { [USER_HEADER]: USER.id };
  const authorizeQuery = new URLSearchParams({
    response_type: 'code',
    client_id: publicApp.client.id,
    redirect_uri: REDIRECT_URI,
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    scope: 'read',
    state: 'xyz',
  }).toString();

  const cases: HostileCase[] = [];
  const add = (
    endpoint: string,
    request: Omit<HostileCase, 'endpoint' | 'name' | 'normal'>,
    name = 'normal',
  ) => cases.push({ endpoint, name, normal: name === 'normal', ...request });

  /** An endpoint: its normal request, then that request with each hostile header set. */
  const endpoint = (label: string, request: Omit<HostileCase, 'endpoint' | 'name' | 'normal'>) => {
    add(label, request);
    for (const hostile of hostileHeaders()) {
      add(label, { ...request, headers: { ...request.headers, ...hostile.headers } }, hostile.name);
    }
  };
  const formEndpoint = (label: string, path: string, base: string, headers: Record<string, string>) => {
    endpoint(label, { method: 'POST', path, headers: { ...formType, ...headers }, body: base });
    for (const hostile of hostileForms(base)) {
      add(
        label,
        { method: 'POST', path, headers: { ...formType, ...headers }, body: hostile.body },
        hostile.name,
      );
    }
  };
  const jsonEndpoint = (label: string, method: 'POST' | 'PUT', path: string, body: string) => {
    endpoint(label, { method, path, headers: { ...jsonType, ...signedIn }, body });
    for (const hostile of hostileJson()) {
      add(label, { method, path, headers: { ...jsonType, ...signedIn }, body: hostile.body }, hostile.name);
    }
    for (const hostile of hostileForms('name=x')) {
      add(
        label,
        { method, path, headers: { ...formType, ...signedIn, origin: jsonType.origin }, body: hostile.body },
        `form: ${hostile.name}`,
      );
    }
  };
  const pageEndpoint = (label: string, path: string, query: string) => {
    endpoint(label, { method: 'GET', path: `${path}?${query}`, headers: signedIn });
    for (const hostile of hostileQueries(query)) {
      add(label, { method: 'GET', path: `${path}?${hostile.query}`, headers: signedIn }, hostile.name);
    }
  };

  formEndpoint('POST /oauth/token (client_credentials)', '/oauth/token', CLIENT_CREDENTIALS_BODY, {
    authorization,
  });
  formEndpoint('POST /oauth/revoke', '/oauth/revoke', 'token=unknown-token', { authorization });
  formEndpoint('POST /oauth/introspect', '/oauth/introspect', `token=${accessToken}`, { authorization });
  formEndpoint(
    'POST /oauth/device/code',
    '/oauth/device/code',
    `client_id=${device.client.id}&scope=read`,
    {},
  );
  endpoint('GET /oauth/jwks', { method: 'GET', path: '/oauth/jwks', headers: {} });
  endpoint('GET /.well-known/oauth-authorization-server', {
    method: 'GET',
    path: '/.well-known/oauth-authorization-server',
    headers: {},
  });
  pageEndpoint('GET /oauth/authorize (approval page)', '/oauth/authorize', authorizeQuery);
  formEndpoint(
    'POST /oauth/authorize (decision)',
    '/oauth/authorize',
    'auth_token=forged&csrf_token=x',
    signedIn,
  );
  pageEndpoint('GET /oauth/device (code entry)', '/oauth/device', 'user_code=BCDF-GHJK');
  formEndpoint(
    'POST /oauth/device (decision)',
    '/oauth/device',
    'device_token=forged&action=approve',
    signedIn,
  );
  endpoint('GET /oauth/clients', { method: 'GET', path: '/oauth/clients', headers: signedIn });
  jsonEndpoint(
    'POST /oauth/clients',
    'POST',
    '/oauth/clients',
    JSON.stringify({ name: 'x', redirect: REDIRECT_URI }),
  );
  jsonEndpoint(
    'PUT /oauth/clients/{id}',
    'PUT',
    `/oauth/clients/${client.id}`,
    JSON.stringify({ name: 'bench', redirect: REDIRECT_URI }),
  );
  endpoint('GET /oauth/tokens', { method: 'GET', path: '/oauth/tokens', headers: signedIn });
  endpoint('DELETE /oauth/tokens/{id}', {
    method: 'DELETE',
    path: `/oauth/tokens/${crypto.randomUUID()}`,
    headers: { ...signedIn, origin: jsonType.origin },
  });
  add(
    'DELETE /oauth/tokens/{id}',
    {
      method: 'DELETE',
      path: `/oauth/tokens/${'%00'.repeat(4000)}`,
      headers: { ...signedIn, origin: jsonType.origin },
    },
    'a 12 KB id of encoded NULs',
  );
  endpoint('GET /oauth/scopes', { method: 'GET', path: '/oauth/scopes', headers: signedIn });
  jsonEndpoint(
    'POST /oauth/personal-access-tokens',
    'POST',
    '/oauth/personal-access-tokens',
    JSON.stringify({ name: 'x', scopes: ['read'] }),
  );
  endpoint('POST /oauth/token/refresh (first-party cookie)', {
    method: 'POST',
    path: '/oauth/token/refresh',
    headers: { ...signedIn, origin: jsonType.origin },
  });
  endpoint('GET /api (bearer guard)', {
    method: 'GET',
    path: '/api/resource',
    headers: { authorization: `Bearer ${accessToken}` },
  });
  const bare = cases.length;
  endpoint('GET /bare (node:http alone, for reference)', { method: 'GET', path: '/bare', headers: {} });
  for (const c of cases.slice(bare)) c.reference = true;
  add('GET /nonexistent (404)', { method: 'GET', path: '/oauth/nope', headers: {} });
  add(
    'GET /nonexistent (404)',
    { method: 'GET', path: `/oauth/${'a'.repeat(HEAD_ROOM)}`, headers: {} },
    'a 15 KB path',
  );
  add(
    'GET /nonexistent (404)',
    { method: 'GET', path: `/oauth/${'/'.repeat(HEAD_ROOM)}`, headers: {} },
    '15 KB of slashes',
  );

  return {
    listener,
    plan: { method: 'GET', path: '/oauth/jwks', headers: {} },
    cases,
    close: async () => {},
  };
}
