import { createPassport, KeySet, type Passport } from '@passport/core';
import { createPassportHandler } from '@passport/http';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MongoStore } from '../src/index.js';
import { createTestStore, destroyStore } from './helpers.js';

// The HTTP layer with the Mongo store behind it: hostile ids and names in form fields, query
// strings and JSON bodies answer an RFC 6749 error with a 4xx, never a 500, and reach no query
// operator (nothing is read as an operator, nothing is written).

const origin = 'http://localhost';
const user = { id: 'alice', name: 'Alice' };

const HOSTILE = ['{"$ne":null}', '$where', 'a.b', '$', 'id\u0000x', 'x'.repeat(10_000), '\u{1F600}.$gt'];

describe.skipIf(!(await requireService('ferretdb')))('HTTP with the Mongo store behind the handler', () => {
  let store: MongoStore;
  let passport: Passport<typeof user>;
  let handler: (request: Request) => Promise<Response>;
  let client: { id: string; secret: string };

  beforeAll(async () => {
    store = await createTestStore();
    passport = createPassport({
      issuer: origin,
      store,
      keys: await KeySet.generate('ES256'),
      scopes: { read: 'Read' },
      userProviders: { users: { findById: async (id) => (id === user.id ? user : null) } },
    });
    handler = createPassportHandler({
      passport,
      secret: 'test-secret-that-is-at-least-32-characters-long',
      authenticateUser: (request) => (request.headers.get('x-test-user') === user.id ? user : null),
    });
    const created = await passport.clients.create({ name: 'Backend', grantTypes: ['client_credentials'] });
    client = { id: created.client.id, secret: created.plainSecret ?? '' };
  });
  afterAll(async () => {
    await destroyStore(store);
  });

  const tokenRequest = (body: Record<string, string>, headers: Record<string, string> = {}) =>
    handler(
      new Request(`${origin}/oauth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams(body).toString(),
      }),
    );

  /** Counts every document of the store, to show a request wrote nothing. */
  const documents = async () => {
    let total = 0;
    for (const name of Object.values(store.collectionNames)) {
      total += await store.db.collection(name).countDocuments();
    }
    return total;
  };

  /** A 4xx with an RFC 6749 error body, never a 500. */
  async function expectOAuthError(response: Response, statuses: number[]): Promise<string> {
    expect(statuses).toContain(response.status);
    const body = (await response.json()) as { error?: unknown };
    expect(typeof body.error).toBe('string');
    return body.error as string;
  }

  it('the token endpoint works on the Mongo store', async () => {
    const response = await tokenRequest({
      grant_type: 'client_credentials',
      client_id: client.id,
      client_secret: client.secret,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('hostile client ids, secrets, codes and refresh tokens: an OAuth error, nothing written', async () => {
    const before = await documents();
    for (const value of HOSTILE) {
      await expectOAuthError(
        await tokenRequest({ grant_type: 'client_credentials', client_id: value, client_secret: value }),
        [400, 401],
      );
      await expectOAuthError(
        await tokenRequest({
          grant_type: 'authorization_code',
          code: value,
          redirect_uri: 'https://app.example/cb',
          client_id: client.id,
          client_secret: client.secret,
        }),
        [400],
      );
      await expectOAuthError(
        await tokenRequest({
          grant_type: 'refresh_token',
          refresh_token: value,
          client_id: client.id,
          client_secret: client.secret,
        }),
        [400],
      );
      const revoke = await handler(
        new Request(`${origin}/oauth/revoke`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${btoa(`${client.id}:${client.secret}`)}`,
          },
          body: new URLSearchParams({ token: value }).toString(),
        }),
      );
      // RFC 7009 section 2.2: an unknown token is answered 200; a refused one with an OAuth error.
      expect(revoke.status === 200 || revoke.status === 400).toBe(true);
      const authorize = await handler(
        new Request(
          `${origin}/oauth/authorize?${new URLSearchParams({ response_type: 'code', client_id: value })}`,
          {
            headers: { 'x-test-user': user.id },
          },
        ),
      );
      expect(authorize.status).toBeGreaterThanOrEqual(400);
      expect(authorize.status).toBeLessThan(500);
    }
    expect(await documents()).toBe(before);
  });

  it('objects where the JSON API expects strings: 422 (its validation answer), and no client is created', async () => {
    const before = await documents();
    for (const name of [{ $ne: null }, { $gt: '' }, ['a', 'b'], 42]) {
      const response = await handler(
        new Request(`${origin}/oauth/clients`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin, 'x-test-user': user.id },
          body: JSON.stringify({ name, redirect: 'https://app.example/cb' }),
        }),
      );
      expect(response.status).toBe(422);
    }
    for (const id of ['{"$ne":null}', '$where', 'a.b']) {
      const response = await handler(
        new Request(`${origin}/oauth/clients/${encodeURIComponent(id)}`, {
          method: 'DELETE',
          headers: { origin, 'x-test-user': user.id },
        }),
      );
      expect(response.status).toBe(404);
    }
    expect(await documents()).toBe(before);
  });
});
