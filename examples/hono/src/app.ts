/**
 * Mounting Passport in a Hono app (runs on Node, Bun, Deno and Workers alike).
 *
 * The OAuth endpoints are one Fetch handler, so Hono only forwards the raw `Request`. The host's
 * own API is protected with a guard.
 */
import { createPassport, KeySet, type PassportUser } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';
import { Hono } from 'hono';

interface User extends PassportUser {
  name: string;
}

const users = new Map<string, User>([['alice', { id: 'alice', name: 'Alice' }]]);

/** Stand-in for the app's real session lookup. */
function sessionUser(request: Request): User | null {
  const id = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  return id === undefined ? null : (users.get(id) ?? null);
}

const passport = createPassport<User>({
  issuer: 'http://localhost:3000',
  store: new MemoryStore(),
  keys: await KeySet.generate('ES256'),
  scopes: { 'orders:read': 'Read your orders' },
  userProviders: { users: { findById: async (id) => users.get(id) ?? null } },
});

const oauth = createPassportHandler<User>({
  passport,
  secret: 'replace-with-32-or-more-random-characters',
  authenticateUser: sessionUser,
  loginUrl: '/login',
});
const api = createGuard<User>({ passport });

export const app = new Hono();

// Every Passport endpoint, plus the RFC 8414 metadata document.
app.all('/oauth/*', (c) => oauth(c.req.raw));
app.get('/.well-known/oauth-authorization-server', (c) => oauth(c.req.raw));

// A route of the app itself, for users' tokens carrying `orders:read` (a client-credentials token
// is refused: `api.requireClient` serves those, `{ accept: 'any' }` both).
const listOrders = api.requireScopes(['orders:read'], (_request, auth) =>
  Response.json({ orders: [], owner: auth.user.name }),
);
app.get('/api/orders', (c) => listOrders(c.req.raw));

// Or read the authentication inside a normal Hono handler.
app.get('/api/me', async (c) => {
  const auth = await api.authenticate(c.req.raw);
  if (auth === null) return c.json({ error: 'unauthenticated' }, 401);
  return c.json({ user: auth.user?.id ?? null, scopes: auth.scopes, canRead: auth.tokenCan('orders:read') });
});

export default app;
