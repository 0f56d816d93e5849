import { createPassport, KeySet, type StoreChangeEvent, type StoreChangeListener } from '@passport/core';
import { makeClient, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createPGliteStore,
  createPostgresStore,
  PostgresStore,
  pgliteDriver,
  type SqlDriver,
} from '../src/index.js';
import { notificationPayload } from '../src/internal/change-feed.js';
import { createPool, DATABASE_URL, destroyStore, randomSchema } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

/** A listener that records what it hears. */
function recorder() {
  const events: StoreChangeEvent[] = [];
  const states: string[] = [];
  const listener: StoreChangeListener = {
    changed: (event) => events.push(event),
    connected: () => states.push('connected'),
    disconnected: () => states.push('disconnected'),
  };
  return { events, states, listener };
}

const heard = (events: StoreChangeEvent[], event: StoreChangeEvent) =>
  expect.poll(() => events, { timeout: 5000, interval: 20 }).toContainEqual(event);

describe('notification payloads', () => {
  it('carry the event as JSON, or reset when it would not fit in a notification (8000 bytes)', () => {
    const event: StoreChangeEvent = { type: 'client', clientId: 'c1' };
    expect(JSON.parse(notificationPayload(event))).toEqual(event);
    expect(JSON.parse(notificationPayload({ type: 'client', clientId: 'x'.repeat(7980) }))).toEqual({
      type: 'reset',
    });
    // 2,700 three-byte characters: under 8,000 characters, over 7,999 bytes
    expect(JSON.parse(notificationPayload({ type: 'family', familyId: '€'.repeat(2700) }))).toEqual({
      type: 'reset',
    });
    const fits = { type: 'family', familyId: 'f'.repeat(7900) } as const;
    expect(JSON.parse(notificationPayload(fits))).toEqual(fits);
  });
});

describe('change channel', () => {
  it('is named after the schema and table prefix, hashed past 63 bytes', async () => {
    const store = await createPGliteStore({ schema: 'auth', tablePrefix: 'oauth_' });
    try {
      expect(store.changeChannel).toBe('passport:auth.oauth_changes');
    } finally {
      await store.close();
    }
    const long = new PostgresStore(
      {
        query: async () => ({ rows: [], rowCount: 0 }),
        transaction: async () => undefined as never,
        close: async () => {},
      },
      { schema: 's'.repeat(63) },
    );
    expect(long.changeChannel).toMatch(/^passport:[0-9a-z]+$/);
    expect(long.changeChannel.length).toBeLessThanOrEqual(63);
  });

  it('a store whose driver cannot listen has no change feed', () => {
    const driver: SqlDriver = {
      query: async () => ({ rows: [], rowCount: 0 }),
      transaction: async () => undefined as never,
      close: async () => {},
    };
    expect(new PostgresStore(driver).subscribeChanges).toBeUndefined();
  });
});

describe('the change feed on PGlite (its own LISTEN, in process)', () => {
  it('delivers a revocation made through another store object on the same database', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const db = new PGlite();
    const first = await createPGliteStore({ db });
    const second = new PostgresStore(pgliteDriver(db));
    const { events, states, listener } = recorder();
    const unsubscribe = await second.subscribeChanges?.(listener);
    try {
      expect(states).toEqual(['connected']);
      const pair = makeTokenPair();
      await first.saveTokens(pair);
      await first.revokeAccessToken(pair.accessToken.id);
      await heard(events, { type: 'accessTokens', ids: [pair.accessToken.id] });
    } finally {
      await unsubscribe?.();
      await first.close();
    }
  });
});

describe.skipIf(!(await requireService('postgres')))(
  'the change feed on PostgreSQL (LISTEN / NOTIFY)',
  () => {
    const schema = randomSchema('feed');
    const appName = `passport-feed-${schema.slice(-12)}`;
    let writer: PostgresStore;
    let reader: PostgresStore;
    let admin: pg.Client;
    const logged: string[] = [];

    /** The pids of the reader's listening connections (its application name, a `LISTEN` as last statement). */
    async function listeningBackends(name = appName): Promise<number[]> {
      const { rows } = await admin.query<{ pid: number }>(
        "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'LISTEN %'",
        [name],
      );
      return rows.map((row) => row.pid);
    }

    beforeAll(async () => {
      admin = new pg.Client({ connectionString: DATABASE_URL });
      await admin.connect();
      writer = createPostgresStore({ pool: createPool(), schema });
      await writer.migrate();
      reader = createPostgresStore({
        pool: createPool({ application_name: appName }),
        schema,
        log: (message) => logged.push(message),
      });
    });

    afterAll(async () => {
      await reader?.close();
      await destroyStore(writer);
      await admin?.end();
    });

    afterEach(() => {
      logged.length = 0;
    });

    it('delivers every revoking change made by another store (another pool, as another process would)', async () => {
      const { events, listener } = recorder();
      const unsubscribe = await reader.subscribeChanges?.(listener);
      try {
        expect(await listeningBackends()).toHaveLength(1);
        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.revokeAccessToken(pair.accessToken.id);
        await heard(events, { type: 'accessTokens', ids: [pair.accessToken.id] });

        const family = makeTokenPair();
        await writer.saveTokens(family);
        await writer.revokeFamily(family.accessToken.familyId ?? '');
        await heard(events, { type: 'family', familyId: family.accessToken.familyId ?? '' });

        const rotated = makeTokenPair();
        await writer.saveTokens(rotated);
        const next = makeTokenPair({
          accessToken: { familyId: rotated.accessToken.familyId, clientId: rotated.accessToken.clientId },
        });
        expect(await writer.rotateRefreshToken(rotated.refreshToken.id, new Date(), next)).not.toBeNull();
        await heard(events, { type: 'accessTokens', ids: [rotated.accessToken.id] });

        for (const change of ['update', 'revokeTokens', 'delete'] as const) {
          const client = makeClient();
          await writer.createClient(client);
          if (change === 'update')
            await writer.updateClient(client.id, { name: 'Renamed', updatedAt: new Date() });
          else if (change === 'revokeTokens') await writer.revokeClientTokens(client.id);
          else expect(await writer.deleteClient(client.id)).toBe(true);
          await heard(events, { type: 'client', clientId: client.id });
        }
      } finally {
        await unsubscribe?.();
      }
      // the last listener gone, the connection is closed
      await expect.poll(() => listeningBackends(), { timeout: 5000 }).toEqual([]);
    });

    it('notifies nothing for a change that rolled back, nor for one that changed nothing', async () => {
      const { events, listener } = recorder();
      const unsubscribe = await reader.subscribeChanges?.(listener);
      try {
        // a rotation whose insert conflicts: its access token revocation rolls back with it
        const pair = makeTokenPair();
        const taken = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.saveTokens(taken);
        const clash = makeTokenPair({
          accessToken: {
            id: taken.accessToken.id,
            familyId: pair.accessToken.familyId,
            clientId: pair.accessToken.clientId,
          },
        });
        await expect(writer.rotateRefreshToken(pair.refreshToken.id, new Date(), clash)).rejects.toThrow();
        expect((await writer.findAccessToken(pair.accessToken.id))?.revoked).toBe(false);
        // an update that fails (a NUL byte cannot be stored): the statement and its notification roll back
        const client = makeClient();
        await writer.createClient(client);
        await expect(
          writer.updateClient(client.id, { name: 'a\u0000b', updatedAt: new Date() }),
        ).rejects.toThrow();
        // unknown ids change nothing
        await writer.revokeAccessToken('no-such-token');
        await writer.revokeFamily('no-such-family');
        // notifications arrive in commit order: once this one is here, any earlier one would be too
        const sentinel = makeTokenPair();
        await writer.saveTokens(sentinel);
        await writer.revokeAccessToken(sentinel.accessToken.id);
        await heard(events, { type: 'accessTokens', ids: [sentinel.accessToken.id] });
        expect(events).toEqual([{ type: 'accessTokens', ids: [sentinel.accessToken.id] }]);
      } finally {
        await unsubscribe?.();
      }
    });

    it('pg_terminate_backend on the listening connection: one log line, then it reconnects and delivers again', async () => {
      const { events, states, listener } = recorder();
      const unsubscribe = await reader.subscribeChanges?.(listener);
      try {
        const [pid] = await listeningBackends();
        expect(pid).toBeDefined();
        await admin.query('SELECT pg_terminate_backend($1)', [pid]);
        await expect
          .poll(() => states, { timeout: 5000 })
          .toEqual(['connected', 'disconnected', 'connected']);
        const [again] = await listeningBackends();
        expect(again).toBeDefined();
        expect(again).not.toBe(pid);
        expect(logged).toHaveLength(2);
        expect(logged[0]).toMatch(/change feed cannot listen on "passport:.*"/);
        expect(logged[1]).toMatch(/change feed listens again on .* the read-through cache starts over/);

        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.revokeAccessToken(pair.accessToken.id);
        await heard(events, { type: 'accessTokens', ids: [pair.accessToken.id] });
      } finally {
        await unsubscribe?.();
      }
    });

    it('a warm cache of another passport refuses a revoked token at once, and after the feed reconnected', async () => {
      const keys = await KeySet.generate('ES256');
      const options = { issuer: 'https://auth.example.test', keys, revocationCacheSeconds: 300 };
      const a = createPassport({ ...options, store: writer });
      const b = createPassport({ ...options, store: reader });
      const { client, plainSecret } = await a.clients.create({
        name: 'Feed app',
        grantTypes: ['client_credentials'],
      });
      const issue = async () =>
        (
          await a.handleTokenRequest({
            params: new URLSearchParams({
              grant_type: 'client_credentials',
              client_id: client.id,
              client_secret: plainSecret ?? '',
            }),
            authorization: null,
          })
        ).access_token;
      const verdict = (token: string) =>
        b.verifyAccessToken(token).then(
          () => 'accepted',
          () => 'refused',
        );
      await expect.poll(() => listeningBackends(), { timeout: 5000 }).toHaveLength(1);

      const first = await issue();
      expect(await verdict(first)).toBe('accepted'); // cached by b for up to 300 s
      await a.revokeAccessToken((await a.verifyAccessToken(first)).record.id);
      await expect.poll(() => verdict(first), { timeout: 5000, interval: 20 }).toBe('refused');

      // A revocation b never hears of (written straight to the table, no notification: as one sent
      // while b's connection was down): b's warm cache still accepts the token.
      const second = await issue();
      expect(await verdict(second)).toBe('accepted');
      const missed = (await a.verifyAccessToken(second)).record.id;
      await admin.query(`UPDATE ${writer.schema.tables.accessTokens} SET revoked = true WHERE id = $1`, [
        missed,
      ]);
      expect(await verdict(second)).toBe('accepted');
      // The feed drops and comes back: b forgets everything it cached, and hears the next revocation.
      const [pid] = await listeningBackends();
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect.poll(() => logged.length, { timeout: 5000 }).toBe(2);
      expect(await verdict(second)).toBe('refused');
      const third = await issue();
      expect(await verdict(third)).toBe('accepted');
      await a.revokeAccessToken((await a.verifyAccessToken(third)).record.id);
      await expect.poll(() => verdict(third), { timeout: 5000, interval: 20 }).toBe('refused');
    });

    it('while the server cannot be reached it says so once, keeps trying with backoff, and recovers', async () => {
      const proxy = new TcpProxy({
        host: new URL(DATABASE_URL).hostname,
        port: Number(new URL(DATABASE_URL).port || 5432),
      });
      await proxy.start();
      const through = new URL(DATABASE_URL);
      through.port = String(proxy.port);
      const messages: string[] = [];
      const store = createPostgresStore({
        pool: createPool(),
        schema,
        listenClient: () => new pg.Client({ connectionString: through.toString() }),
        log: (message) => messages.push(message),
      });
      const { events, states, listener } = recorder();
      const unsubscribe = await store.subscribeChanges?.(listener);
      try {
        expect(states).toEqual(['connected']);
        await proxy.cut(); // the connection drops and new ones are refused
        await expect.poll(() => states, { timeout: 5000 }).toEqual(['connected', 'disconnected']);
        // several attempts fail (50 ms, 250 ms, 500 ms, 1 s ...): still one line
        await new Promise((resolve) => setTimeout(resolve, 1500));
        expect(messages).toHaveLength(1);
        expect(messages[0]).toMatch(/cannot listen .* within revocationCacheSeconds/);

        await proxy.restore();
        await expect
          .poll(() => states, { timeout: 10_000 })
          .toEqual(['connected', 'disconnected', 'connected']);
        expect(messages).toHaveLength(2);
        const pair = makeTokenPair();
        await writer.saveTokens(pair);
        await writer.revokeAccessToken(pair.accessToken.id);
        await heard(events, { type: 'accessTokens', ids: [pair.accessToken.id] });
      } finally {
        await unsubscribe?.();
        await store.close();
        await proxy.close();
      }
    });

    it('an event too long for a notification reaches the listeners as reset', async () => {
      const textSchema = randomSchema('feedtext');
      const store = createPostgresStore({ pool: createPool(), schema: textSchema, idType: 'text' });
      await store.migrate();
      const { events, listener } = recorder();
      const unsubscribe = await store.subscribeChanges?.(listener);
      try {
        const client = makeClient({ id: `client-${'x'.repeat(9000)}` });
        await store.createClient(client);
        expect(
          await store.updateClient(client.id, { name: 'Renamed', updatedAt: new Date() }),
        ).not.toBeNull();
        await heard(events, { type: 'reset' });
      } finally {
        await unsubscribe?.();
        await destroyStore(store);
      }
    });

    it('close() ends the listening connection with the pool', async () => {
      const name = `${appName}-close`;
      const store = createPostgresStore({ pool: createPool({ application_name: name }), schema });
      await store.subscribeChanges?.({ changed: () => {} });
      expect(await listeningBackends(name)).toHaveLength(1);
      await store.close();
      await expect.poll(() => listeningBackends(name), { timeout: 5000 }).toEqual([]);
    });
  },
);
