// @ts-check
/**
 * The demo server: Passport for TypeScript mounted in a plain `node:http` server, with the host's
 * own login, a protected API route and a client application page.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { loadKeysFrom, writeKeyFiles } from '@passport/cli';
import { createPassport, hashSecret, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { toNodeListener } from '@passport/http/node';
import { createPGliteStore, createPostgresStore } from '@passport/store-postgres';
import pg from 'pg';
import { clientPage, homePage, layout, loginPage } from './pages.mjs';
import { createSessions } from './session.mjs';
import { checkCredentials, demoUsers, userProvider } from './users.mjs';

/** Scopes the demo defines (PARITY S1). */
export const demoScopes = {
  profile: 'Read your name and email address',
  'notes:read': 'Read your notes',
  'notes:write': 'Create and change your notes',
};

/**
 * @typedef {object} DemoOptions
 * @property {string} dataDir  where keys, the secret and the PGlite database live
 * @property {string} [databaseUrl]  postgres://... to use a PostgreSQL server instead of PGlite
 * @property {string} [host]  default 127.0.0.1
 * @property {number} [port]  default 8000; 0 picks a free port
 * @property {(message: string) => void} [log]  where errors are reported; default console.error
 */

/**
 * @typedef {object} DemoServer
 * @property {string} url  the issuer, e.g. http://127.0.0.1:8000
 * @property {boolean} firstStart  keys were generated on this start
 * @property {number[]} migrations  schema versions applied on this start
 * @property {string} database  where the data lives
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
 * Opens the store: PGlite in `dataDir/pglite`, or PostgreSQL at `databaseUrl`; applies the schema.
 * @param {DemoOptions} options
 */
async function openStore(options) {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 10 });
    pool.on('error', () => {});
    const store = createPostgresStore({ pool });
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

/**
 * A same-origin path to return to after login, or `/`: never an open redirect.
 * @param {string | null} value
 * @param {string} origin
 */
function safeReturnTo(value, origin) {
  if (!value) return '/';
  try {
    const url = new URL(value, origin);
    return url.origin === origin ? `${url.pathname}${url.search}` : '/';
  } catch {
    return '/';
  }
}

/**
 * @param {string} html
 * @param {number} [status]
 */
function htmlResponse(html, status = 200) {
  return new Response(html, {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'x-frame-options': 'DENY',
    },
  });
}

/**
 * Starts the demo server. First start: generates keys and a signing secret in `dataDir`, applies
 * the schema, creates the demo clients. Later starts reuse all of it.
 * @param {DemoOptions} options
 * @returns {Promise<DemoServer>}
 */
export async function startDemo(options) {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((message) => console.error(message));
  await mkdir(options.dataDir, { recursive: true });

  const secretPath = join(options.dataDir, 'secret');
  let secret = (await readIfExists(secretPath))?.trim() ?? '';
  if (secret.length < 32) {
    secret = randomBytes(32).toString('base64url');
    await writeFile(secretPath, `${secret}\n`, { mode: 0o600 });
  }

  const keysPath = join(options.dataDir, 'keys');
  let keys = await loadKeysFrom(keysPath);
  const firstStart = keys === null;
  if (keys === null) keys = KeySet.from([(await writeKeyFiles(keysPath)).key]);

  const { store, applied, database } = await openStore(options);

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
  const issuer = `http://${host}:${port}`;

  const passport = createPassport({
    issuer,
    store,
    keys,
    scopes: demoScopes,
    defaultScopes: ['profile'],
    userProviders: { users: userProvider },
  });

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
      redirectUris: ['http://127.0.0.1/client/callback', `http://localhost:${port}/client/callback`],
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

  const sessions = createSessions(secret);
  const oauth = createPassportHandler({
    passport,
    secret,
    authenticateUser: (request) => sessions.user(request),
    loginUrl: '/login',
    onError: (error) =>
      log(`passport: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`),
  });
  const guard = createGuard({ passport });
  const me = guard.requireScopes(['profile'], async (_request, auth) =>
    Response.json({
      message: `Hello ${auth.user?.name ?? 'client'}: this route is protected by @passport/http's guard.`,
      user: auth.user,
      client: auth.client ? { id: auth.client.id, name: auth.client.name } : null,
      scopes: auth.scopes,
      tokenExpiresAt: auth.token ? new Date(auth.token.claims.exp * 1000).toISOString() : null,
    }),
  );

  app = async (request) => {
    const url = new URL(request.url);
    const path = url.pathname;
    const method = request.method;
    if (path === '/' && method === 'GET') {
      return htmlResponse(homePage({ issuer, clients, user: await sessions.user(request) }));
    }
    if (path === '/login' && method === 'GET') {
      const user = await sessions.user(request);
      const returnTo = safeReturnTo(url.searchParams.get('return_to'), url.origin);
      return htmlResponse(loginPage({ returnTo, error: null, user }));
    }
    if (path === '/login' && method === 'POST') {
      const body = await form(request);
      const returnTo = safeReturnTo(body.get('return_to'), url.origin);
      const user = checkCredentials(body.get('email') ?? '', body.get('password') ?? '');
      if (!user)
        return htmlResponse(loginPage({ returnTo, error: 'Wrong email or password.', user: null }), 422);
      return new Response(null, {
        status: 303,
        headers: { location: returnTo, 'set-cookie': sessions.issue(user.id) },
      });
    }
    if (path === '/logout' && method === 'POST') {
      return new Response(null, { status: 303, headers: { location: '/', 'set-cookie': sessions.clear() } });
    }
    if ((path === '/client' || path === '/client/callback') && method === 'GET') {
      return htmlResponse(
        clientPage({
          clientId: appClient.id,
          scope: 'profile notes:read',
          user: await sessions.user(request),
        }),
      );
    }
    if (path === '/api/me') return me(request);
    if (path.startsWith('/oauth') || path.startsWith('/.well-known/')) return oauth(request);
    return htmlResponse(layout('Not found', '<h2>Not found</h2><p><a href="/">Home</a></p>', null), 404);
  };

  return {
    url: issuer,
    firstStart,
    migrations: applied,
    database,
    clients,
    close: async () => {
      await new Promise((resolve) => {
        server.close(() => resolve(undefined));
        server.closeAllConnections();
      });
      await store.close();
    },
  };
}

export { demoUsers };
