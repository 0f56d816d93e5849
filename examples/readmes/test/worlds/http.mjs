// What the @passport/http README's snippets take as given: your passport, your app's data, login
// sessions and logger, a handler and a guard already made, a request, a user and a client. The
// snippets refer to them by name, so they are globals of the child process that runs a snippet.
import { createPassport, KeySet } from '@passport/core';
import { createGuard, createPassportHandler } from '@passport/http';
import { MemoryStore } from '@passport/store-memory';

const user = { id: 'user-1', name: 'Ada' };
const db = {
  users: { find: async (id) => (id === user.id ? user : null) },
  orders: (userId) => [{ id: 'order-1', userId }],
};
const sessions = { userFor: () => null };
const passport = createPassport({
  issuer: 'https://auth.example.com',
  store: new MemoryStore(),
  keys: await KeySet.generate('ES256'),
  scopes: { 'orders:read': 'Read your orders', 'reports:push': 'Push reports' },
  userProviders: { users: { findById: (id) => db.users.find(id) } },
});
const secret = process.env.PASSPORT_SECRET;
const api = createGuard({ passport });
const { client } = await passport.clients.create({ name: 'Reports', grantTypes: ['client_credentials'] });

Object.assign(globalThis, {
  passport,
  user,
  client,
  db,
  sessions,
  secret,
  api,
  handler: createPassportHandler({
    passport,
    secret,
    authenticateUser: (request) => sessions.userFor(request),
  }),
  orders: api.requireScopes(['orders:read'], (_request, { user: owner }) =>
    Response.json(db.orders(owner.id)),
  ),
  ordersOf: async (owner) => db.orders(owner?.id),
  request: new Request('https://auth.example.com/api/orders'),
  renderPages: () =>
    new Response('<!doctype html><title>Shop</title>', { headers: { 'content-type': 'text/html' } }),
  sessionUser: (request) => sessions.userFor(request),
  myTemplate: ({ client: asking }) => `<!doctype html><title>Authorize ${asking.name}</title>`,
  myErrorTemplate: ({ title }) => `<!doctype html><title>${title}</title>`,
  log: { error: () => {}, warn: () => {} },
});
