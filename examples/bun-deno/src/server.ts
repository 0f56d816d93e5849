/**
 * A plain Bun or Deno server: Passport's Fetch handler is the whole app, plus one protected route.
 *
 *   bun run src/server.ts
 *   deno run --allow-net --allow-env src/server.ts
 */
import { createPassport, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';

const passport = createPassport({
  issuer: 'http://localhost:3000',
  store: new MemoryStore(),
  keys: await KeySet.generate('EdDSA'),
  scopes: { 'orders:read': 'Read your orders' },
});

const oauth = createPassportHandler({
  passport,
  secret: 'replace-with-32-or-more-random-characters',
  // Replace with the app's session: this demo treats `?as=<id>` as the signed-in user.
  authenticateUser: (request) => {
    const id = new URL(request.url).searchParams.get('as');
    return id === null ? null : { id };
  },
  loginUrl: '/login',
});
const api = createGuard({ passport });
const orders = api.requireScopes(['orders:read'], (_request, auth) => Response.json({ user: auth.user.id }));

async function fetch(request: Request): Promise<Response> {
  if (new URL(request.url).pathname === '/api/orders') return orders(request);
  return oauth(request);
}

if (typeof Bun !== 'undefined') {
  Bun.serve({ port: 3000, fetch });
} else if (typeof Deno !== 'undefined') {
  Deno.serve({ port: 3000 }, fetch);
}
