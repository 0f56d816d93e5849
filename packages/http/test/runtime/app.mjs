// The small app every runtime serves: Passport's handler, a fake session (cookie `session=<user>`),
// a protected route and a setup route that registers the scenario's clients. Plain JS, Web APIs
// only, so the same file runs on Node, Bun, Deno and workerd. Its keys come from the environment
// (`keySetFromEnv`: the active, previous and next key as PEM strings), as on a host without a key
// directory.
import { createPassport, keySetFromEnv, keySetFromPem } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';

const users = { alice: { id: 'alice', name: 'Alice' } };

function sessionUser(request) {
  const match = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '');
  return match ? (users[match[1]] ?? null) : null;
}

async function build(issuer, env) {
  const keys = await keySetFromEnv(env);
  if (keys === null) throw new Error('the runtime app needs PASSPORT_PRIVATE_KEY in its environment');
  const store = new MemoryStore();
  const passport = createPassport({
    issuer,
    store,
    keys,
    scopes: { 'orders:read': 'Read your orders', 'orders:write': 'Change your orders' },
    userProviders: { users: { findById: async (id) => users[id] ?? null } },
  });
  const handler = createPassportHandler({
    passport,
    secret: 'runtime-suite-secret-0123456789abcdef',
    authenticateUser: sessionUser,
    loginUrl: '/login',
  });
  const guard = createGuard({ passport });
  // users' tokens and client-credentials tokens alike
  const orders = guard.requireScopes(
    ['orders:read'],
    (_request, auth) =>
      Response.json({ user: auth.user?.id ?? null, client: auth.client?.id ?? null, scopes: auth.scopes }),
    { accept: 'any' },
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
    // a token issued before the rotation, when the previous key still signed: a passport over the
    // same store whose only key is the previous one (SCENARIO_PREVIOUS_PRIVATE_KEY, test only)
    const beforeRotation = createPassport({
      issuer,
      store,
      keys: await keySetFromPem({ active: env.SCENARIO_PREVIOUS_PRIVATE_KEY }),
      scopes: { 'orders:read': 'Read your orders' },
    });
    const previous = await beforeRotation.handleTokenRequest({
      params: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read' }),
      authorization: `Basic ${btoa(`${machine.client.id}:${machine.plainSecret}`)}`,
    });
    return Response.json({
      machine: { id: machine.client.id, secret: machine.plainSecret },
      spa: { id: spa.client.id, redirectUri: 'http://127.0.0.1/callback' },
      previousKeyToken: previous.access_token,
    });
  }

  return async (request) => {
    const { pathname } = new URL(request.url);
    if (pathname === '/setup' && request.method === 'POST') return setup();
    if (pathname === '/api/orders') return orders(request);
    return handler(request);
  };
}

/**
 * A fetch function for the app, with its keys from `env` (`process.env`, `Deno.env.toObject()`, a
 * Worker's `env`). Built on the first request, since workerd forbids crypto at start-up and the
 * issuer is the origin the server is reached at.
 */
export function createApp(env) {
  let app = null;
  return (request) => {
    app ??= build(new URL(request.url).origin, env);
    return app.then((fetchApp) => fetchApp(request));
  };
}
