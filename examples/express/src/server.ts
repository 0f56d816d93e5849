/**
 * Mounting Passport in an Express 5 app through `@passport/http/node`.
 *
 * Mount it before any body parser (`express.json()`, `express.urlencoded()`): the handler reads
 * the raw body itself, with its own size limit.
 */
import { createPassport, KeySet, type PassportUser } from '@passport/core';
import { createGuard, createPassportHandler, type UserAuthentication } from '@passport/http';
import { authenticateNode, toNodeListener } from '@passport/http/node';
import { MemoryStore } from '@passport/store-memory';
import express, {
  type Request as ExpressRequest,
  type Response as ExpressResponse,
  type NextFunction,
} from 'express';

interface User extends PassportUser {
  name: string;
}

const users = new Map<string, User>([['alice', { id: 'alice', name: 'Alice' }]]);

/** Stand-in for the app's real session lookup (express-session, a JWT cookie...). */
function sessionUser(request: Request): User | null {
  const id = /(?:^|;\s*)session=([^;]+)/.exec(request.headers.get('cookie') ?? '')?.[1];
  return id === undefined ? null : (users.get(id) ?? null);
}

const passport = createPassport<User>({
  issuer: 'http://localhost:3000',
  store: new MemoryStore(),
  keys: await KeySet.generate(),
  scopes: { 'orders:read': 'Read your orders' },
  userProviders: { users: { findById: async (id) => users.get(id) ?? null } },
});

const oauthListener = toNodeListener(
  createPassportHandler<User>({
    passport,
    secret: 'replace-with-32-or-more-random-characters',
    authenticateUser: sessionUser,
    loginUrl: '/login',
  }),
);
const api = createGuard<User>({ passport });

const app = express();

// Passport's endpoints. A path-less middleware keeps `req.url` whole (app.use('/oauth', ...) would strip it).
app.use((req: ExpressRequest, res: ExpressResponse, next: NextFunction) => {
  if (req.path.startsWith('/oauth/') || req.path === '/.well-known/oauth-authorization-server') {
    oauthListener(req, res);
    return;
  }
  next();
});

// Protect a route with a guard: the handler answers with a Fetch Response.
app.get(
  '/api/orders',
  toNodeListener(
    api.requireScopes(['orders:read'], (_request, auth) =>
      Response.json({ orders: [], owner: auth.user.name }),
    ),
  ),
);

// Or as classic Express middleware that stores the authentication on res.locals: authenticateNode
// answers the refusal itself (401 Bearer challenge, 403 insufficient_scope, 503 while the store is
// down) and builds no Fetch Request or Response.
async function requireToken(req: ExpressRequest, res: ExpressResponse, next: NextFunction): Promise<void> {
  const auth = await authenticateNode(api, req, res);
  if (auth === null) return;
  res.locals.auth = auth;
  next();
}

app.get('/api/me', requireToken, (_req: ExpressRequest, res: ExpressResponse) => {
  const auth = res.locals.auth as UserAuthentication<User>; // users' tokens only, the default
  res.json({ user: auth.user.id });
});

app.listen(3000, () => console.log('Listening on http://localhost:3000'));
