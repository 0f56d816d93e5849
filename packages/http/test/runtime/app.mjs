// The small app every runtime serves, on the store a cell of the runtime matrix names: Passport's
// handler, a fake session (cookie `session=<user>`), three guarded routes (users' tokens and the
// first-party cookie, client-credentials tokens, both), a page that sets the first-party cookie,
// a setup route that registers the scenario's clients, and `/__store` that opens the store and
// reads from it once (so a driver that cannot run in a runtime is told apart from a scenario that
// fails). Plain JS, Web APIs only, so the same file runs on Node, Bun, Deno and workerd. Its keys
// come from the environment (`keySetFromEnv`: the active, previous and next key as PEM strings),
// as on a host without a key directory.
import { createPassport, keySetFromEnv, keySetFromPem } from '@passport/core';
import { createGuard, createPassportHandler, withFirstPartyCookie } from '@passport/http';

const users = {
  alice: { id: 'alice', name: 'Alice', email: 'alice@example.com', password: 'alice-password' },
};
const secret = 'runtime-suite-secret-0123456789abcdef';
const scopes = { 'orders:read': 'Read your orders', 'orders:write': 'Change your orders' };

function sessionUser(request) {
  const match = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '');
  return match ? (users[match[1]] ?? null) : null;
}

const userProvider = {
  findById: async (id) => users[id] ?? null,
  findForPassport: async (username) => Object.values(users).find((user) => user.email === username) ?? null,
  // a fixture: a real host compares with a slow password hash
  validateForPassportPasswordGrant: async (user, password) => user.password === password,
};

/** The passport, handler and routes over one store. */
function buildRoutes(issuer, keys, store, env, options) {
  const passport = createPassport({
    issuer,
    store,
    keys,
    scopes,
    userProviders: { users: userProvider },
    grants: { password: true, implicit: true },
    // A Worker builds all of this per request (see worker.mjs): no cache outlives the request.
    ...(options.perRequest ? { revocationCacheSeconds: 0 } : {}),
  });
  const handler = createPassportHandler({
    passport,
    secret,
    authenticateUser: sessionUser,
    loginUrl: '/login',
  });
  const guard = createGuard({ passport, cookie: { secret } });
  const orders = guard.requireScopes(
    ['orders:read'],
    (_request, auth) =>
      Response.json({ user: auth.user?.id ?? null, client: auth.client?.id ?? null, scopes: auth.scopes }),
    { accept: 'any' },
  );
  const me = guard.requireToken((_request, { user, via }) => Response.json({ user: user.id, via }));
  const reports = guard.requireClient(
    (_request, { client }) => Response.json({ client: client.id }),
    ['orders:read'],
  );
  const appPage = withFirstPartyCookie(
    () => new Response('<!doctype html><title>app</title>', { headers: { 'content-type': 'text/html' } }),
    { secret, authenticateUser: sessionUser, clock: passport.now },
  );

  async function setup() {
    // A resource server: it introspects the tokens of other clients (RFC 7662 section 2.1).
    const machine = await passport.clients.create({
      name: 'Machine',
      grantTypes: ['client_credentials'],
      resourceServer: true,
    });
    const spa = await passport.clients.create({
      name: 'Single page app',
      confidential: false,
      redirectUris: ['http://127.0.0.1/callback'],
    });
    const web = await passport.clients.create({ name: 'Web', grantTypes: ['password', 'refresh_token'] });
    const tv = await passport.clients.create({
      name: 'TV app',
      confidential: false,
      grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    });
    const legacy = await passport.clients.create({
      name: 'Legacy app',
      confidential: false,
      grantTypes: ['implicit'],
      redirectUris: ['http://127.0.0.1/legacy'],
    });
    // a token issued before the rotation, when the previous key still signed: a passport over the
    // same store whose only key is the previous one (SCENARIO_PREVIOUS_PRIVATE_KEY, test only)
    const beforeRotation = createPassport({
      issuer,
      store,
      keys: await keySetFromPem({ active: env.SCENARIO_PREVIOUS_PRIVATE_KEY }),
      scopes,
    });
    const previous = await beforeRotation.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
      authorization: `Basic ${btoa(`${machine.client.id}:${machine.plainSecret}`)}`,
    });
    return Response.json({
      machine: { id: machine.client.id, secret: machine.plainSecret },
      spa: { id: spa.client.id, redirectUri: 'http://127.0.0.1/callback' },
      web: { id: web.client.id, secret: web.plainSecret },
      tv: { id: tv.client.id },
      legacy: { id: legacy.client.id, redirectUri: 'http://127.0.0.1/legacy' },
      previousKeyToken: previous.access_token,
    });
  }

  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/setup' && request.method === 'POST') return setup();
    if (pathname === '/api/orders') return orders(request);
    if (pathname === '/api/me') return me(request);
    if (pathname === '/api/reports') return reports(request);
    if (pathname === '/app') return appPage(request);
    return handler(request);
  };
}

/** `/__store`: one read on the store, before any passport is built over it. */
async function storeCheck(store) {
  await store.findClient('00000000-0000-4000-8000-000000000000');
  return new Response('store ready');
}

/** The error of a failed `/__store` check, as the runtime reported it, for the matrix to print. */
function storeFailure(error) {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  const cause =
    error instanceof Error && error.cause !== undefined ? ` (cause: ${storeFailureText(error.cause)})` : '';
  return new Response(`${message}${cause}`, { status: 500, headers: { 'x-store-failure': '1' } });
}

function storeFailureText(cause) {
  return cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
}

/**
 * A fetch function for the app on the store `openStore(env)` opens, with its keys from `env`
 * (`process.env`, `Deno.env.toObject()`, a Worker's `env`). Built on the first request, since
 * workerd forbids crypto at start-up and the issuer is the origin the server is reached at.
 *
 * With `perRequest` (workerd), the store, passport and handler are built for each request and the
 * store is closed after it (through `ctx.waitUntil`, the Worker's second argument, when given): a
 * Worker may not use a socket another request opened. `close()` closes the store of a long-lived
 * app.
 *
 * @param {Record<string, string>} env
 * @param {(env: Record<string, string>) => Promise<import('@passport/core').PassportStore>} openStore
 * @param {{ perRequest?: boolean }} [options]
 */
export function createApp(env, openStore, options = {}) {
  let keys = null;
  let opened = null;
  let app = null;
  const failure = (request, error) => {
    if (new URL(request.url).pathname === '/__store') return storeFailure(error);
    throw error;
  };
  const fetchApp = async (request, ctx) => {
    const issuer = new URL(request.url).origin;
    keys ??= keySetFromEnv(env).then((keySet) => {
      if (keySet === null) throw new Error('the runtime app needs PASSPORT_PRIVATE_KEY in its environment');
      return keySet;
    });
    if (options.perRequest) {
      let store;
      try {
        store = await openStore(env);
      } catch (error) {
        return failure(request, error);
      }
      try {
        if (new URL(request.url).pathname === '/__store') return await storeCheck(store);
        return await buildRoutes(issuer, await keys, store, env, options)(request);
      } catch (error) {
        return failure(request, error);
      } finally {
        const closed = store.close?.() ?? Promise.resolve();
        if (typeof ctx?.waitUntil === 'function') ctx.waitUntil(closed);
        else await closed;
      }
    }
    try {
      opened ??= openStore(env);
      if (new URL(request.url).pathname === '/__store') return await storeCheck(await opened);
      app ??= Promise.all([keys, opened]).then(([keySet, store]) =>
        buildRoutes(issuer, keySet, store, env, options),
      );
      return await (await app)(request);
    } catch (error) {
      const failed = (promise) =>
        promise?.then(
          () => false,
          () => true,
        );
      if ((await failed(opened)) || (await failed(app))) {
        // a failed start is tried again by the next request
        opened = null;
        app = null;
      }
      return failure(request, error);
    }
  };
  /** Closes the store of a long-lived app. */
  fetchApp.close = async () => {
    const store = await opened?.catch(() => null);
    await store?.close?.();
  };
  return fetchApp;
}
