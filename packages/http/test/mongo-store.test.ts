import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createPassport, KeySet, type Passport } from '@passport/core';
import { createMongoStore, type MongoStore } from '@passport/store-mongo';
import { requireService, services } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPassportHandler } from '../src/index.js';

// The handler with @passport/store-mongo behind it (the store's own suites cover the store; these
// cover what the HTTP layer makes of it). They live here, beside the PostgreSQL outage suite, so
// the store package does not depend on this one.

/** A store with its indexes in a fresh database of its own, failing fast when the server is gone. */
function createTestStore(url = services.mongo.url, serverSelectionTimeoutMS = 3000): Promise<MongoStore> {
  return createMongoStore({
    url,
    dbName: `passport_http_${crypto.getRandomValues(new Uint32Array(2)).join('_')}`,
    clientOptions: {
      serverSelectionTimeoutMS,
      connectTimeoutMS: 1000,
      socketTimeoutMS: 3000,
      heartbeatFrequencyMS: 500,
    },
    ensureIndexes: true,
  });
}

/** Drops the store's database and closes its client. */
async function destroyStore(store: MongoStore): Promise<void> {
  try {
    await store.db.dropDatabase();
  } finally {
    await store.close();
  }
}

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

// The server really goes away: a PRIVATE FerretDB (the test bed's script, on a port and in a
// directory of this run) is stopped and started again; the shared server is never touched.
const run = promisify(execFile);
const SERVICES = join(import.meta.dirname, '..', '..', '..', 'scripts', 'services.sh');
const SERVER_SELECTION_MS = 1500;

/** A TCP port nothing listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

describe.skipIf(!(await requireService('ferretdb')))('the Mongo store stops behind the handler', () => {
  let dir: string;
  let port: number;
  let store: MongoStore;

  async function server(action: 'start' | 'stop'): Promise<void> {
    await run('bash', [SERVICES, action, 'ferretdb'], {
      env: { ...process.env, PASSPORT_SERVICES_DIR: dir, PASSPORT_FERRETDB_PORT: String(port) },
      timeout: 60_000,
    });
  }

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'passport-http-mongo-fault-'));
    port = await freePort();
    await server('start');
    store = await createTestStore(`mongodb://127.0.0.1:${port}`, SERVER_SELECTION_MS);
  }, 120_000);

  afterAll(async () => {
    await server('start').catch(() => undefined);
    await destroyStore(store).catch(() => undefined);
    await server('stop').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }, 120_000);

  it('through the HTTP handler: 503 with an OAuth error while the server is down, 200 again once it is back, in the same process', async () => {
    // The cache off, so every request asks the store.
    const passport = createPassport({
      issuer: 'https://auth.example.test',
      store,
      keys: await KeySet.generate('ES256'),
      revocationCacheSeconds: 0,
    });
    const handler = createPassportHandler({
      passport,
      secret: 'test-secret-that-is-at-least-32-characters-long',
      authenticateUser: () => null,
    });
    const created = await passport.clients.create({ name: 'Backend', grantTypes: ['client_credentials'] });
    const tokenRequest = () =>
      handler(
        new Request('https://auth.example.test/oauth/token', {
          method: 'POST',
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            authorization: `Basic ${btoa(`${created.client.id}:${created.plainSecret}`)}`,
          },
          body: 'grant_type=client_credentials',
        }),
      );
    expect((await tokenRequest()).status).toBe(200);

    await server('stop');
    const started = performance.now();
    const down = await tokenRequest();
    expect(down.status).toBe(503);
    expect(((await down.json()) as { error?: unknown }).error).toEqual(expect.any(String));
    expect(performance.now() - started).toBeLessThan(SERVER_SELECTION_MS + 4000);

    await server('start');
    await expect
      .poll(async () => (await tokenRequest()).status, { timeout: 30_000, interval: 500 })
      .toBe(200);
  }, 120_000);
});
