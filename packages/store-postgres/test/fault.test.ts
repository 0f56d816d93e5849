import type { IssuedTokens } from '@passport/core';
import { StoreUnavailableError } from '@passport/core';
import { makeAuthCode, makeClient, makeDeviceCode, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPGliteStore, createPostgresStore, type PostgresStore } from '../src/index.js';
import { createPool, createServerStore, DATABASE_URL, destroyStore, randomSchema } from './helpers.js';
import { TcpProxy } from './tcp-proxy.js';

/** The pair a rotation or redemption of `family` writes. */
const nextOf = (family: { familyId: string; userId: string | null; clientId: string }): IssuedTokens =>
  makeTokenPair({ accessToken: { ...family } });

describe.skipIf(!(await requireService('postgres')))('faults of the PostgreSQL server', () => {
  // The database fails for real in the middle of a run: through a TCP proxy that refuses, hangs or
  // cuts connections, and by terminating the store's backends with pg_terminate_backend. Every
  // failure must surface as StoreUnavailableError, nothing half-written may remain, and the store
  // must work again as soon as the database is back.

  const server = new URL(DATABASE_URL);
  const CONNECT_TIMEOUT = 800;
  const QUERY_TIMEOUT = 1200;

  let admin: PostgresStore; // a direct, healthy view of the same schema
  let proxy: TcpProxy;
  let store: PostgresStore; // the store under test, through the proxy

  async function expectUnavailable(operation: Promise<unknown>, withinMs: number): Promise<void> {
    const started = performance.now();
    const error = await operation.then(
      () => null,
      (e: unknown) => e,
    );
    const elapsed = performance.now() - started;
    expect(error).toBeInstanceOf(StoreUnavailableError);
    expect((error as StoreUnavailableError).code).toBe('ERR_STORE_UNAVAILABLE');
    expect(elapsed).toBeLessThan(withinMs);
  }

  beforeAll(async () => {
    admin = await createServerStore({ schema: randomSchema('fault') });
    proxy = new TcpProxy({ host: server.hostname, port: Number(server.port || 5432) });
    await proxy.start();
    const pool = new pg.Pool({
      host: '127.0.0.1',
      port: proxy.port,
      user: decodeURIComponent(server.username) || 'postgres',
      password: decodeURIComponent(server.password),
      database: server.pathname.slice(1),
      max: 4,
    });
    store = createPostgresStore({
      pool,
      schema: admin.schema.schema,
      connectTimeoutMs: CONNECT_TIMEOUT,
      queryTimeoutMs: QUERY_TIMEOUT,
      // The proxy recognises statements by their SQL text, which a prepared statement sends only the
      // first time a connection runs it; prepared statements are covered by prepared.test.ts.
      preparedStatements: false,
    });
  });

  beforeEach(async () => {
    await proxy.restore();
  });

  afterAll(async () => {
    await proxy.restore();
    await store.close();
    await proxy.close();
    await destroyStore(admin);
  });

  describe('fault: the server stops accepting connections (port closed)', () => {
    it('requests fail fast with StoreUnavailableError, nothing is written, and the store recovers', async () => {
      const before = makeTokenPair();
      await store.saveTokens(before);
      expect(await store.findAccessToken(before.accessToken.id)).toEqual(before.accessToken);

      await proxy.cut();
      const during = makeTokenPair();
      const code = makeAuthCode();
      await expectUnavailable(store.findAccessToken(before.accessToken.id), 5000);
      await expectUnavailable(
        store.rotateRefreshToken(before.refreshToken.id, new Date(), nextOf(before.refreshToken)),
        5000,
      );
      await expectUnavailable(store.saveTokens(during), 5000);
      await expectUnavailable(store.saveAuthCode(code), 5000);
      await expectUnavailable(store.createClient(makeClient()), 5000);
      await expectUnavailable(
        store.purge({
          revoked: true,
          expiredBefore: new Date(),
          revokedClientsBefore: null,
          now: new Date(),
        }),
        5000,
      );
      await expectUnavailable(store.listClients(), 5000);

      expect(await admin.findAccessToken(during.accessToken.id)).toBeNull();
      expect(await admin.findRefreshToken(during.refreshToken.id)).toBeNull();
      expect(await admin.findAuthCode(code.id)).toBeNull();
      expect((await admin.findRefreshToken(before.refreshToken.id))?.consumedAt).toBeNull();

      await proxy.restore();
      expect(await store.findAccessToken(before.accessToken.id)).toEqual(before.accessToken);
      expect(
        await store.rotateRefreshToken(before.refreshToken.id, new Date(), nextOf(before.refreshToken)),
      ).not.toBeNull();
      await store.saveTokens(during);
      expect(await admin.findRefreshToken(during.refreshToken.id)).toEqual(during.refreshToken);
    });
  });

  describe('fault: the server stops answering (hung or unreachable)', () => {
    it('a new connection that never completes times out with StoreUnavailableError', async () => {
      proxy.blackhole();
      await expectUnavailable(store.findAccessToken('anything'), CONNECT_TIMEOUT + 3000);
      await proxy.restore();
      expect(await store.findAccessToken('anything')).toBeNull();
    });

    it('a statement on an open connection that gets no answer times out with StoreUnavailableError', async () => {
      const pair = makeTokenPair();
      await store.saveTokens(pair);
      proxy.stall();
      await expectUnavailable(
        store.rotateRefreshToken(pair.refreshToken.id, new Date(), nextOf(pair.refreshToken)),
        QUERY_TIMEOUT + 3000,
      );
      await proxy.restore();
      // The statement never reached the server: the token is still unconsumed and can be used.
      expect((await admin.findRefreshToken(pair.refreshToken.id))?.consumedAt).toBeNull();
      expect(
        await store.rotateRefreshToken(pair.refreshToken.id, new Date(), nextOf(pair.refreshToken)),
      ).not.toBeNull();
    });
  });

  describe('fault: the connection drops in the middle of saveTokens', () => {
    it('saveTokens sends ONE statement for the pair; cut as it is sent, neither token is stored', async () => {
      const pair = makeTokenPair();
      const accessTable = `${store.schema.tablePrefix}access_tokens`;
      const refreshTable = `${store.schema.tablePrefix}refresh_tokens`;
      const sent: string[] = [];
      proxy.cutWhen((chunk) => {
        const text = chunk.toString('latin1');
        if (!text.includes('INSERT INTO')) return false;
        sent.push(text);
        return true;
      });
      await expectUnavailable(store.saveTokens(pair), 5000);
      // The first INSERT the store sent already names both tables: there is no BEGIN and no second
      // statement that a dropped connection could separate from the first.
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain(accessTable);
      expect(sent[0]).toContain(refreshTable);
      expect(sent[0]).not.toMatch(/\bBEGIN\b/);
      expect(await admin.findAccessToken(pair.accessToken.id)).toBeNull();
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toBeNull();

      await store.saveTokens(pair); // a fresh connection: works again
      expect(await admin.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    });
  });

  describe('fault: the connection drops in the middle of rotateRefreshToken', () => {
    it('after the consume and before the inserts: nothing is written and the token rotates after recovery', async () => {
      const pair = makeTokenPair();
      await store.saveTokens(pair);
      const family = { familyId: pair.accessToken.familyId, userId: pair.accessToken.userId };
      const next = makeTokenPair({ accessToken: { ...family, clientId: pair.accessToken.clientId } });
      const refreshTable = `${store.schema.tablePrefix}refresh_tokens`;
      const accessTable = `${store.schema.tablePrefix}access_tokens`;
      let sawConsume = false;
      proxy.cutWhen((chunk) => {
        const text = chunk.toString('latin1');
        if (text.includes('UPDATE') && text.includes(refreshTable) && text.includes('consumed_at')) {
          sawConsume = true;
        }
        return sawConsume && text.includes('INSERT INTO') && text.includes(accessTable);
      });
      const now = new Date();
      await expectUnavailable(store.rotateRefreshToken(pair.refreshToken.id, now, next), 5000);
      expect(sawConsume).toBe(true);
      // Rolled back: the old token is unconsumed, its access token live, nothing new stored.
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
      expect(await admin.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      expect(await admin.findAccessToken(next.accessToken.id)).toBeNull();
      expect(await admin.findRefreshToken(next.refreshToken.id)).toBeNull();

      // A fresh connection: the same refresh token rotates.
      expect(await store.rotateRefreshToken(pair.refreshToken.id, now, next)).toEqual({
        ...pair.refreshToken,
        consumedAt: now,
        replacedBy: next.refreshToken?.id,
      });
      expect(await admin.findRefreshToken(next.refreshToken.id)).toEqual(next.refreshToken);
      expect((await admin.findAccessToken(pair.accessToken.id))?.revoked).toBe(true);
    });
  });

  describe('fault: the connection drops in the middle of redeemAuthCode', () => {
    it('redeemAuthCode sends ONE statement; cut as it is sent, the code stays redeemable and no token is stored', async () => {
      const code = makeAuthCode();
      await store.saveAuthCode(code);
      const tokens = nextOf({ familyId: code.id, userId: code.userId, clientId: code.clientId });
      const codesTable = `${store.schema.tablePrefix}auth_codes`;
      const sent: string[] = [];
      proxy.cutWhen((chunk) => {
        const text = chunk.toString('latin1');
        if (!text.includes(codesTable) || !text.includes('UPDATE')) return false;
        sent.push(text);
        return true;
      });
      const now = new Date();
      await expectUnavailable(store.redeemAuthCode(code.id, now, tokens), 5000);
      // The consume and both INSERTs travel as one statement: nothing can separate them.
      expect(sent).toHaveLength(1);
      expect(sent[0]).toContain(`${store.schema.tablePrefix}access_tokens`);
      expect(sent[0]).toContain(`${store.schema.tablePrefix}refresh_tokens`);
      expect(sent[0]).not.toMatch(/\bBEGIN\b/);
      expect(await admin.findAuthCode(code.id)).toEqual(code);
      expect(await admin.findAccessToken(tokens.accessToken.id)).toBeNull();

      await proxy.restore();
      expect(await store.redeemAuthCode(code.id, now, tokens)).toEqual({ ...code, consumedAt: now });
      expect(await admin.findAccessToken(tokens.accessToken.id)).toEqual(tokens.accessToken);
    });
  });

  describe('fault: backends terminated by the server (pg_terminate_backend)', () => {
    const applicationName = `passport_fault_${crypto.randomUUID().slice(0, 8)}`;
    let direct: PostgresStore;
    let locker: pg.Pool;

    beforeAll(() => {
      direct = createPostgresStore({
        pool: createPool({ application_name: applicationName, max: 4 }),
        schema: admin.schema.schema,
      });
      locker = createPool({ max: 2 });
    });
    afterAll(async () => {
      await direct.close();
      await locker.end();
    });

    /** Waits until one of the store's backends is blocked on a lock, then terminates all of them. */
    async function terminateWhenWaiting(): Promise<number> {
      for (let attempt = 0; attempt < 200; attempt++) {
        const { rows } = await locker.query<{ pid: number }>(
          `SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
          [applicationName],
        );
        if (rows.length > 0) {
          const killed = await locker.query(
            'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
            [applicationName],
          );
          return killed.rowCount ?? 0;
        }
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      throw new Error('the store never blocked on the lock');
    }

    it('an in-flight rotation fails with StoreUnavailableError and leaves the token unconsumed', async () => {
      const pair = makeTokenPair();
      await direct.saveTokens(pair);
      const lock = await locker.connect();
      try {
        await lock.query('BEGIN');
        await lock.query(`SELECT 1 FROM ${admin.schema.tables.refreshTokens} WHERE id = $1 FOR UPDATE`, [
          pair.refreshToken.id,
        ]);
        // The outcome is observed from the start, so the rejection is never unhandled.
        const rotating = expectUnavailable(
          direct.rotateRefreshToken(pair.refreshToken.id, new Date(), nextOf(pair.refreshToken)),
          5000,
        );
        expect(await terminateWhenWaiting()).toBeGreaterThan(0);
        await rotating;
        await lock.query('ROLLBACK');
      } finally {
        lock.release();
      }
      expect((await admin.findRefreshToken(pair.refreshToken.id))?.consumedAt).toBeNull();
      expect(
        await direct.rotateRefreshToken(pair.refreshToken.id, new Date(), nextOf(pair.refreshToken)),
      ).not.toBeNull();
    });

    for (const kind of ['authorization code', 'device code'] as const) {
      it(`a ${kind} redemption killed after its consume and access token INSERT, waiting on the refresh token INSERT, leaves the code redeemable and stores no token`, async () => {
        const code =
          kind === 'authorization code'
            ? makeAuthCode()
            : makeDeviceCode({ status: 'approved', userId: 'user-1' });
        if (kind === 'authorization code') await direct.saveAuthCode(code as ReturnType<typeof makeAuthCode>);
        else await direct.saveDeviceCode(code as ReturnType<typeof makeDeviceCode>);
        const redeem = (tokens: IssuedTokens) =>
          kind === 'authorization code'
            ? direct.redeemAuthCode(code.id, new Date(), tokens)
            : direct.redeemDeviceCode(code.id, new Date(), tokens);
        const find = () =>
          kind === 'authorization code' ? admin.findAuthCode(code.id) : admin.findDeviceCode(code.id);
        const tokens = nextOf({ familyId: code.id, userId: code.userId, clientId: code.clientId });
        const lock = await locker.connect();
        try {
          // An uncommitted row with the refresh token's id makes the one statement wait on its refresh
          // token INSERT, after it consumed the code and inserted the access token: the connection is
          // cut exactly between the halves.
          await lock.query('BEGIN');
          await lock.query(
            `INSERT INTO ${admin.schema.tables.refreshTokens} (id, access_token_id, client_id, family_id, created_at, expires_at)
           VALUES ($1, 'x', $2, 'x', now(), now())`,
            [tokens.refreshToken?.id, code.clientId],
          );
          const redeeming = expectUnavailable(redeem(tokens), 5000);
          expect(await terminateWhenWaiting()).toBeGreaterThan(0);
          await redeeming;
          await lock.query('ROLLBACK');
        } finally {
          lock.release();
        }
        expect((await find())?.consumedAt).toBeNull();
        expect(await admin.findAccessToken(tokens.accessToken.id)).toBeNull();
        expect(await admin.findRefreshToken(tokens.refreshToken?.id ?? '')).toBeNull();
        expect(await redeem(tokens)).toMatchObject({ id: code.id });
        expect(await admin.findAccessToken(tokens.accessToken.id)).toEqual(tokens.accessToken);
      });
    }

    it('a saveTokens statement killed after its access token INSERT, waiting on the refresh token INSERT, stores neither token', async () => {
      const pair = makeTokenPair();
      const lock = await locker.connect();
      try {
        // An uncommitted row with the refresh token's id makes the single statement wait on its refresh
        // token INSERT, after its CTE already inserted the access token row.
        await lock.query('BEGIN');
        await lock.query(
          `INSERT INTO ${admin.schema.tables.refreshTokens} (id, access_token_id, client_id, family_id, created_at, expires_at)
         VALUES ($1, 'x', $2, 'x', now(), now())`,
          [pair.refreshToken.id, pair.refreshToken.clientId],
        );
        const saving = expectUnavailable(direct.saveTokens(pair), 5000);
        expect(await terminateWhenWaiting()).toBeGreaterThan(0);
        await saving;
        await lock.query('ROLLBACK');
      } finally {
        lock.release();
      }
      expect(await admin.findAccessToken(pair.accessToken.id)).toBeNull();
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toBeNull();
      await direct.saveTokens(pair);
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    });

    it('idle pooled connections killed between requests are replaced without an error', async () => {
      expect(await direct.findAccessToken('warm-up')).toBeNull();
      await locker.query(
        'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1',
        [applicationName],
      );
      await new Promise((resolve) => setTimeout(resolve, 50)); // let the pool notice
      expect(await direct.findAccessToken('warm-up')).toBeNull();
    });
  });

  describe('fault: PGlite', () => {
    it('a closed PGlite instance answers StoreUnavailableError', async () => {
      const embedded = await createPGliteStore();
      await embedded.close();
      await expectUnavailable(embedded.findAccessToken('x'), 1000);
    }, 120_000);
  });
});
