// The small app every runtime serves: Passport's handler, a fake session (cookie `session=<user>`),
// a protected route and a setup route that registers the scenario's clients. Plain JS, Web APIs
// only, so the same file runs on Node, Bun, Deno and workerd.
import { createPassport, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';

const users = { alice: { id: 'alice', name: 'Alice' } };

function sessionUser(request) {
  const match = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '');
  return match ? (users[match[1]] ?? null) : null;
}

async function build(issuer) {
  const passport = createPassport({
    issuer,
    store: new MemoryStore(),
    // ES256 keeps start-up fast on every runtime; RS256 works the same way.
    keys: await KeySet.generate('ES256'),
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
  const orders = guard.requireScopes(['orders:read'], (_request, auth) =>
    Response.json({ user: auth.user?.id ?? null, client: auth.client?.id ?? null, scopes: auth.scopes }),
  );

  async function setup() {
    const machine = await passport.clients.create({ name: 'Machine', grantTypes: ['client_credentials'] });
    const spa = await passport.clients.create({
      name: 'Single page app',
      confidential: false,
      redirectUris: ['http://127.0.0.1/callback'],
    });
    return Response.json({
      machine: { id: machine.client.id, secret: machine.plainSecret },
      spa: { id: spa.client.id, redirectUri: 'http://127.0.0.1/callback' },
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
 * A fetch function for the app. Built on the first request, since workerd forbids generating keys
 * at start-up and the issuer is the origin the server is reached at.
 */
export function createApp() {
  let app = null;
  return (request) => {
    app ??= build(new URL(request.url).origin);
    return app.then((fetchApp) => fetchApp(request));
  };
}
