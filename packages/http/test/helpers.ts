/// <reference types="node" />
import { createPassport, KeySet, type Passport, type PassportOptions } from '@passport/core';
import { MemoryStore } from '@passport/store-memory';
import { createPassportHandler, type PassportHandlerOptions } from '../src/index.js';

export interface TestUser {
  id: string;
  name: string;
}

export const users: Record<string, TestUser> = {
  alice: { id: 'alice', name: 'Alice' },
  bob: { id: 'bob', name: 'Bob' },
};
export const admins: Record<string, TestUser> = {
  root: { id: 'root', name: 'Root' },
};

export const secret = 'test-secret-that-is-at-least-32-characters-long';
export const origin = 'http://localhost';

let sharedKeys: Promise<KeySet> | null = null;
/** One ES256 key set for the whole file (key generation is the slow part). */
export function testKeys(): Promise<KeySet> {
  sharedKeys ??= KeySet.generate('ES256');
  return sharedKeys;
}

export interface Setup {
  store: MemoryStore;
  passport: Passport<TestUser>;
  handler: (request: Request) => Promise<Response>;
  errors: unknown[];
  clock: { now: number };
}

/**
 * The passport as HTTP may use it: everything but `store`, which throws. `@passport/http` talks to
 * core's facade only (ownership rules, nonces and token listings included), so every handler and
 * guard test runs on this view and fails if a route reaches for the store.
 */
function facadeOnly<User extends TestUser>(passport: Passport<User>): Passport<User> {
  return new Proxy(passport, {
    get(target, name, receiver) {
      if (name === 'store') throw new Error('@passport/http must not use passport.store');
      return Reflect.get(target, name, receiver);
    },
  });
}

/** `store` as a store without a change feed: what is done directly on it is seen within the cache bound. */
function withoutChangeFeed(store: MemoryStore): MemoryStore {
  return new Proxy(store, {
    get: (target, property) => {
      if (property === 'subscribeChanges') return undefined;
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * A passport on a fresh memory store and its handler; the signed-in user comes from `x-test-user`.
 * With `{ changeFeed: false }` the passport does not follow the store's change feed, so writes made
 * directly on `store` act like another instance's writes without a feed.
 */
export async function setup(
  overrides: Partial<PassportOptions<TestUser>> = {},
  handlerOverrides: Partial<PassportHandlerOptions<TestUser>> = {},
  harness: { changeFeed?: boolean } = {},
): Promise<Setup> {
  const store = new MemoryStore();
  const clock = { now: Date.UTC(2026, 0, 1, 12) };
  const passport = facadeOnly(
    createPassport<TestUser>({
      issuer: origin,
      store: harness.changeFeed === false ? withoutChangeFeed(store) : store,
      keys: await testKeys(),
      scopes: { 'orders:read': 'Read your orders', 'orders:write': 'Create & change <your> orders' },
      userProviders: {
        users: { findById: async (id) => users[id] ?? null },
        admins: { findById: async (id) => admins[id] ?? null },
      },
      clock: () => clock.now,
      ...overrides,
    }),
  );
  const errors: unknown[] = [];
  const handler = createPassportHandler<TestUser>({
    passport,
    secret,
    authenticateUser: (request) => {
      const id = request.headers.get('x-test-user');
      return id === null ? null : (users[id] ?? null);
    },
    loginUrl: '/login',
    onError: (error) => errors.push(error),
    ...handlerOverrides,
  });
  return { store, passport, handler, errors, clock };
}

/** A form-encoded POST. */
export function form(
  path: string,
  body: Record<string, string> | string,
  headers: Record<string, string> = {},
): Request {
  return new Request(`${origin}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body).toString(),
  });
}

export function basic(id: string, secretValue: string): string {
  return `Basic ${btoa(`${encodeURIComponent(id)}:${encodeURIComponent(secretValue)}`)}`;
}

/** The JSON payload of a JWT (no verification). */
export function jwtPayload(token: string): Record<string, unknown> {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/** PKCE pair. */
export async function pkce(): Promise<{ verifier: string; challenge: string }> {
  const verifier = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return { verifier, challenge: Buffer.from(digest).toString('base64url') };
}

/** Cookie header value from a response's Set-Cookie headers. */
export function cookiesFrom(response: Response): string {
  return response.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ');
}

/** Extracts a hidden input's value from HTML. */
export function hidden(html: string, name: string): string {
  const match = new RegExp(`name="${name}" value="([^"]*)"`).exec(html);
  if (!match) throw new Error(`no hidden input ${name}`);
  return (match[1] as string).replace(/&quot;/g, '"').replace(/&amp;/g, '&');
}
