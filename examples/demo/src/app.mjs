// @ts-check
/**
 * The demo server: Passport for TypeScript mounted in a plain `node:http` server, with the host's
 * own login, protected API routes (for users, for client-credentials callers, for both) and a
 * client application page.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { loadKeysFrom, startKeyReloader, writeKeyFiles } from '@passport/cli';
import { createPassport, hashSecret, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { toNodeListener } from '@passport/http/node';
import { createMongoStore } from '@passport/store-mongo';
import { createPGliteStore, createPostgresStore } from '@passport/store-postgres';
import { createRedisStore } from '@passport/store-redis';
import pg from 'pg';
import { clientPage, homePage, layout, loginPage } from './pages.mjs';
import { createSessions, mongoSessionTable, redisSessionTable, sessionTable } from './session.mjs';
import { checkCredentials, demoUsers, userProvider } from './users.mjs';

/** Scopes the demo defines. */
export const demoScopes = {
  profile: 'Read your name and email address',
  'notes:read': 'Read your notes',
  'notes:write': 'Create and change your notes',
};

/**
 * @typedef {object} DemoOptions
 * @property {string} dataDir  where keys, the secret and the PGlite database live
 * @property {string} [databaseUrl]  postgres://... to use a PostgreSQL server instead of PGlite
 * @property {string} [redisUrl]  redis://... to use a Redis server instead of PGlite
 * @property {string} [redisPrefix]  key prefix on Redis; default `passport-demo:`
 * @property {string} [mongodbUrl]  mongodb://... to use a MongoDB server (or FerretDB) instead of PGlite
 * @property {string} [host]  default 127.0.0.1
 * @property {number} [port]  default 8000; 0 picks a free port
 * @property {string} [issuer]  the origin users reach the demo at, e.g. https://demo.example
 *   behind a TLS-terminating proxy: the issuer, and the base of every absolute URL (never the
 *   request's Host); cookies are `Secure` when it is https. Default http://host:port
 * @property {number} [accessTokenTtl]  access token lifetime in seconds; default core's (3600)
 * @property {number} [refreshTokenTtl]  refresh token lifetime in seconds; default core's (30 days)
 * @property {string} [secret]  signs the approval forms, the first-party cookie and the login
 *   form's CSRF token; instances that share a database and this secret share sessions. Default:
 *   a random secret kept in `dataDir/secret`
 * @property {import('@passport/core').KeySet} [keys]  signing keys (from PASSPORT_PRIVATE_KEY ...);
 *   default: the key directory `dataDir/keys`, created on first start and reloaded
 * @property {number} [revocationCacheSeconds]  how long a live token or client row is reused
 *   without asking the store (core's `revocationCacheSeconds`); default core's (5)
 * @property {(message: string) => void} [log]  where errors are reported; default console.error
 */

/**
 * @typedef {object} DemoServer
 * @property {string} url  the issuer, e.g. http://127.0.0.1:8000
 * @property {string} listening  where the server listens, e.g. http://127.0.0.1:8000
 * @property {boolean} firstStart  keys were generated on this start
 * @property {number[]} migrations  schema versions applied on this start
 * @property {string} database  where the data lives
 * @property {{ accessToken: number; refreshToken: number }} lifetimes  token lifetimes in seconds
 * @property {import('./pages.mjs').DemoClientInfo[]} clients
 * @property {() => Promise<void>} close
 */

/**
 * The file's content, or `null` when it does not exist.
 * @param {string} path
 */
async function readIfExists(path) {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (/** @type {NodeJS.ErrnoException} */ (error).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Opens the store: PGlite in `dataDir/pglite`, PostgreSQL at `databaseUrl`, Redis at `redisUrl`
 * or MongoDB at `mongodbUrl`; applies the schema (Redis has none: clients are kept without a TTL,
 * tokens expire by themselves; MongoDB: its indexes).
 * @param {DemoOptions} options
 * @param {(message: string) => void} log
 */
async function openStore(options, log) {
  if (options.redisUrl) {
    const prefix = options.redisPrefix ?? 'passport-demo:';
    const store = await createRedisStore({ url: options.redisUrl, prefix });
    const url = new URL(options.redisUrl);
    if (url.password) url.password = '***';
    return {
      store,
      applied: /** @type {number[]} */ ([]),
      database: `Redis ${url.origin}, keys under ${prefix}`,
    };
  }
  if (options.mongodbUrl) {
    const store = await createMongoStore({ url: options.mongodbUrl, ensureIndexes: true });
    const url = new URL(options.mongodbUrl);
    if (url.password) url.password = '***';
    return {
      store,
      applied: /** @type {number[]} */ ([]),
      database: `MongoDB ${url} (indexes ensured)`,
    };
  }
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    pool.on('error', () => {});
    // the store logs one line when its change feed loses its connection, one when it is back
    const store = createPostgresStore({ pool, log });
    const { applied } = await store.migrate();
    const url = new URL(options.databaseUrl);
    if (url.password) url.password = '***';
    return { store, applied, database: `PostgreSQL ${url}` };
  }
  const directory = join(options.dataDir, 'pglite');
  const store = await createPGliteStore({ dataDir: directory, migrate: false });
  const { applied } = await store.migrate();
  return { store, applied, database: `PGlite in ${directory}` };
}

/**
 * Finds the demo client named `name` or creates it; keeps a confidential client's secret in
 * `secrets` (the demo prints it on every start: a real server shows it once).
 * @param {import('@passport/core').Passport<import('./users.mjs').DemoUser>} passport
 * @param {Record<string, string>} secrets
 * @param {import('@passport/core').CreateClientInput & { kind: string }} input
 * @returns {Promise<import('./pages.mjs').DemoClientInfo>}
 */
async function ensureClient(passport, secrets, input) {
  const { kind, ...create } = input;
  const existing = (await passport.clients.list()).find(
    (client) => client.name === create.name && !client.revoked,
  );
  if (existing) {
    if (create.redirectUris && create.redirectUris.join(' ') !== existing.redirectUris.join(' ')) {
      await passport.clients.update(existing.id, { redirectUris: create.redirectUris });
    }
    let secret = secrets[existing.id] ?? null;
    if (existing.confidential && (secret === null || hashSecret(secret) !== existing.secretHash)) {
      secret = (await passport.clients.regenerateSecret(existing.id))?.plainSecret ?? null;
    }
    if (secret) secrets[existing.id] = secret;
    return { id: existing.id, name: existing.name, secret: existing.confidential ? secret : null, kind };
  }
  const { client, plainSecret } = await passport.clients.create(create);
  if (plainSecret) secrets[client.id] = plainSecret;
  return { id: client.id, name: client.name, secret: plainSecret, kind };
}

/**
 * Reads a form-encoded body.
 * @param {Request} request
 */
async function form(request) {
  return new URLSearchParams(await request.text());
}

/** Longest return path accepted after login. */
const MAX_RETURN_TO = 4096;

/**
 * The path to return to after login, or `/`: never an open redirect. Accepted only when it is a
 * path starting with a single `/` (no scheme, no `//` or `/\` authority), with no control
 * character, blank or backslash anywhere (browsers drop tabs and newlines, and read `\` as `/`),
 * that resolves to `origin` with a path not starting with `//` once dot segments are removed
 * (`/.//evil.example`) and once percent-decoded (`/%2F%2Fevil.example`, `/%5Cevil.example`).
 * @param {string | null | undefined} value
 * @param {string} origin  the demo's public origin
 * @returns {string}
 */
export function safeReturnTo(value, origin) {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return '/';
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f || code === 0x5c) return '/'; // controls, blanks, backslash
  }
  if (value[0] !== '/' || value[1] === '/') return '/';
  let url;
  try {
    url = new URL(value, origin);
  } catch {
    return '/';
  }
  if (url.origin !== origin || url.pathname.startsWith('//')) return '/';
  let decoded;
  try {
    decoded = decodeURIComponent(url.pathname);
  } catch {
    return '/';
  }
  if (decoded.startsWith('//') || decoded.startsWith('/\\') || decoded.includes('\\')) return '/';
  return `${url.pathname}${url.search}`;
}

/**
 * The path and query of a Passport return URL on `origin` (it sends absolute URLs), or `/`.
 * @param {string} returnTo
 * @param {string} origin
 */
function localPath(returnTo, origin) {
  try {
    const url = new URL(returnTo);
    return url.origin === origin ? `${url.pathname}${url.search}` : '/';
  } catch {
    return '/';
  }
}

/**
 * @param {string} html
 * @param {number} [status]
 * @param {string | null} [cookie]  a `Set-Cookie` value
 */
function htmlResponse(html, status = 200, cookie = null) {
  /** @type {Record<string, string>} */
  const headers = {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'x-frame-options': 'DENY',
  };
  if (cookie) headers['set-cookie'] = cookie;
  return new Response(html, { status, headers });
}

/** A `403` page for a form post that failed its CSRF check. */
function forbidden() {
  const body =
    '<h2>Request refused</h2><p>The form was stale or sent from another site. <a href="/">Home</a></p>';
  return htmlResponse(layout('Request refused', body, null), 403);
}

/**
 * Starts the demo server. First start: generates keys and a signing secret in `dataDir` (unless
 * given as `keys` and `secret`), applies the schema, creates the demo clients. Later starts reuse
 * all of it. Keys from the directory are reloaded from `dataDir/keys` every minute and on SIGHUP,
 * so `passport keys --rotate` takes effect without a restart.
 * @param {DemoOptions} options
 * @returns {Promise<DemoServer>}
 */
export async function startDemo(options) {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((message) => console.error(message));
  await mkdir(options.dataDir, { recursive: true });

  let secret = options.secret ?? '';
  if (options.secret === undefined) {
    const secretPath = join(options.dataDir, 'secret');
    secret = (await readIfExists(secretPath))?.trim() ?? '';
    if (secret.length < 32) {
      secret = randomBytes(32).toString('base64url');
      await writeFile(secretPath, `${secret}\n`, { mode: 0o600 });
    }
  }

  const keysPath = join(options.dataDir, 'keys');
  let keys = options.keys ?? (await loadKeysFrom(keysPath));
  const firstStart = keys === null;
  if (keys === null) keys = KeySet.from([(await writeKeyFiles(keysPath)).key]);

  const { store, applied, database } = await openStore(options, log);
  // The login sessions live in the store's backend: a table beside Passport's on PostgreSQL and
  // PGlite, keys under the store's prefix on Redis, a collection under the store's prefix on MongoDB.
  const sessionsTable =
    'driver' in store
      ? await sessionTable(store.driver).catch(async (error) => {
          await store.close();
          throw error;
        })
      : 'db' in store
        ? mongoSessionTable(store.db, store.collectionPrefix)
        : redisSessionTable(store.client, options.redisPrefix ?? 'passport-demo:');

  /** @type {(request: Request) => Promise<Response>} */
  let app = async () => new Response('Starting', { status: 503 });
  const server = createServer(
    toNodeListener((request) => app(request), { onError: (error) => log(String(error)) }),
  );
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8000, host, () => resolve(undefined));
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 8000);
  const listening = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const issuer = new URL(options.issuer ?? listening).origin;
  const origin = issuer;

  /** @type {{ accessToken?: number; refreshToken?: number }} */
  const lifetimes = {};
  if (options.accessTokenTtl !== undefined) lifetimes.accessToken = options.accessTokenTtl;
  if (options.refreshTokenTtl !== undefined) lifetimes.refreshToken = options.refreshTokenTtl;
  const passport = createPassport({
    issuer,
    store,
    keys,
    scopes: demoScopes,
    defaultScopes: ['profile'],
    userProviders: { users: userProvider },
    lifetimes,
    ...(options.revocationCacheSeconds === undefined
      ? {}
      : { revocationCacheSeconds: options.revocationCacheSeconds }),
  });
  // a rotation (`passport keys --rotate --path <dataDir>/keys`) reaches the running server
  const keyReloader = options.keys ? null : startKeyReloader({ passport, path: keysPath, log });

  const secretsPath = join(options.dataDir, 'demo-secrets.json');
  /** @type {Record<string, string>} */
  const secrets = JSON.parse((await readIfExists(secretsPath)) ?? '{}');
  const clients = [
    await ensureClient(passport, secrets, {
      kind: 'authorization code + PKCE, public',
      name: 'Demo client app',
      confidential: false,
      grantTypes: ['authorization_code', 'refresh_token'],
      // 127.0.0.1 matches any port (RFC 8252); localhost is listed with this port.
      redirectUris: [
        'http://127.0.0.1/client/callback',
        `http://localhost:${port}/client/callback`,
        ...(options.issuer ? [`${origin}/client/callback`] : []),
      ],
    }),
    await ensureClient(passport, secrets, {
      kind: 'client credentials',
      name: 'Demo backend service',
      grantTypes: ['client_credentials'],
    }),
    await ensureClient(passport, secrets, {
      kind: 'device flow',
      name: 'Demo TV',
      confidential: false,
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    }),
  ];
  await writeFile(secretsPath, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  const appClient = /** @type {import('./pages.mjs').DemoClientInfo} */ (clients[0]);

  const sessions = createSessions(secret, {
    secure: origin.startsWith('https:'),
    origin,
    table: sessionsTable,
  });
  const oauth = createPassportHandler({
    passport,
    secret,
    authenticateUser: (request) => sessions.user(request),
    // Passport's return URL is absolute (on the issuer): the login page takes only a local path.
    loginUrl: (returnTo) => `/login?return_to=${encodeURIComponent(localPath(returnTo, origin))}`,
    onError: (error) =>
      log(`passport: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
    // One line when the database goes away and one when it is back, not a stack per request.
    onStoreOutage: (event) =>
      log(
        event.type === 'started'
          ? `passport: the store is unavailable (${event.error instanceof Error ? event.error.message : String(event.error)}); answering 503 until it is back`
          : `passport: the store is back after ${((event.endedAt.getTime() - event.startedAt.getTime()) / 1000).toFixed(1)} s; ${event.refused} request(s) were refused with 503`,
      ),
  });
  // The demo's API: one route for users, one for client-credentials callers, one for both.
  const guard = createGuard({ passport });
  /** @param {import('@passport/http').Authentication<import('./users.mjs').DemoUser>} auth */
  const tokenExpiresAt = (auth) => (auth.token ? new Date(auth.token.claims.exp * 1000).toISOString() : null);
  // users only (a client-credentials token gets 401 invalid_token), like Laravel Passport's auth:api
  const me = guard.requireScopes(['profile'], async (_request, auth) =>
    Response.json({
      message: `Hello ${auth.user.name}: this route is protected by @passport/http's guard.`,
      user: auth.user,
      client: auth.client ? { id: auth.client.id, name: auth.client.name } : null,
      scopes: auth.scopes,
      tokenExpiresAt: tokenExpiresAt(auth),
    }),
  );
  // client-credentials tokens only, like Laravel Passport's CheckClientCredentials middleware
  const clientRoute = guard.requireClient(async (_request, auth) =>
    Response.json({
      message: `Hello ${auth.client.name}: this route accepts client-credentials tokens only.`,
      client: { id: auth.client.id, name: auth.client.name },
      scopes: auth.scopes,
      tokenExpiresAt: tokenExpiresAt(auth),
    }),
  );
  // both: who the token acts for
  const whoami = guard.requireToken(
    async (_request, auth) =>
      Response.json({
        kind: auth.user === null ? 'client' : 'user',
        user: auth.user,
        client: auth.client ? { id: auth.client.id, name: auth.client.name } : null,
        scopes: auth.scopes,
      }),
    { accept: 'any' },
  );

  app = async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method;
    if (path === '/' && method === 'GET') {
      return htmlResponse(homePage({ issuer, clients, session: await sessions.session(request) }));
    }
    if (path === '/login' && method === 'GET') {
      const session = await sessions.session(request);
      const returnTo = safeReturnTo(url.searchParams.get('return_to'), origin);
      const login = sessions.loginForm(request);
      return htmlResponse(loginPage({ returnTo, error: null, session, csrf: login.csrf }), 200, login.cookie);
    }
    if (path === '/login' && method === 'POST') {
      const body = await form(request);
      if (!sessions.checkLoginForm(request, body)) return forbidden();
      const returnTo = safeReturnTo(body.get('return_to'), origin);
      const user = checkCredentials(body.get('email') ?? '', body.get('password') ?? '');
      if (!user) {
        const { csrf } = sessions.loginForm(request);
        const page = loginPage({ returnTo, error: 'Wrong email or password.', session: null, csrf });
        return htmlResponse(page, 422);
      }
      return new Response(null, {
        status: 303,
        headers: { location: returnTo, 'set-cookie': await sessions.start(request, user.id) },
      });
    }
    if (path === '/logout' && method === 'POST') {
      if (!(await sessions.checkSessionForm(request, await form(request)))) return forbidden();
      return new Response(null, {
        status: 303,
        headers: { location: '/', 'set-cookie': await sessions.end(request) },
      });
    }
    if ((path === '/client' || path === '/client/callback') && method === 'GET') {
      return htmlResponse(
        clientPage({
          clientId: appClient.id,
          scope: 'profile notes:read',
          session: await sessions.session(request),
        }),
      );
    }
    if (path === '/api/me') return me(request);
    if (path === '/api/client') return clientRoute(request);
    if (path === '/api/whoami') return whoami(request);
    if (path.startsWith('/oauth') || path.startsWith('/.well-known/')) return oauth(request);
    return htmlResponse(layout('Not found', '<h2>Not found</h2><p><a href="/">Home</a></p>', null), 404);
  };

  return {
    url: issuer,
    listening,
    firstStart,
    migrations: applied,
    database,
    lifetimes: {
      accessToken: passport.options.lifetimes.accessToken,
      refreshToken: passport.options.lifetimes.refreshToken,
    },
    clients,
    close: async () => {
      keyReloader?.close();
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

export { demoUsers };
