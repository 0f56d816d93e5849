import {
  type IssuedTokens,
  StoreConflictError,
  StoreInvalidInputError,
  StoreUnavailableError,
} from '@passport/core';
import { makeAccessToken, makeTokenPair, useClientIdType } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SqlDriver } from '../src/driver.js';
import { type ClientIdType, MAX_WRITE_BATCH, PostgresStore } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore, storeView } from './helpers.js';

/**
 * A view of `store` whose driver counts the issuance statements it sends (single inserts and
 * batches), with the number of access tokens each batch carried.
 */
function counted(store: PostgresStore, options: { coalesceWrites?: boolean } = {}) {
  const sent: { kind: 'one' | 'batch'; size: number }[] = [];
  const t = store.schema.tables;
  const view = storeView(
    store,
    (sql, params) => {
      if (sql.includes('jsonb_to_recordset')) {
        sent.push({ kind: 'batch', size: (JSON.parse(String(params?.[0])) as unknown[]).length });
      } else if (
        sql.startsWith('INSERT INTO') ||
        sql.startsWith(`WITH access AS (\n        INSERT INTO ${t.accessTokens}`)
      ) {
        if (sql.includes(t.accessTokens)) sent.push({ kind: 'one', size: 1 });
      }
      return store.driver.query(sql, params);
    },
    options,
  );
  return { view, sent };
}

const targets: { name: string; idType: ClientIdType; server: boolean }[] = [
  { name: 'PostgreSQL server', idType: 'uuid', server: true },
  { name: "PostgreSQL server, idType 'bigint'", idType: 'bigint', server: true },
  { name: "PGlite, idType 'text'", idType: 'text', server: false },
];
const hasServer = await requireService('postgres');

for (const target of targets) {
  describe.skipIf(target.server && !hasServer)(`coalesced saveTokens (${target.name})`, () => {
    let store: PostgresStore;

    beforeAll(async () => {
      useClientIdType(target.idType);
      store = target.server
        ? await createServerStore({ idType: target.idType })
        : await createMemoryPGliteStore({ idType: target.idType });
    });
    afterAll(async () => {
      useClientIdType('uuid');
      await destroyStore(store);
    });

    it('a lone saveTokens is sent at once, alone', async () => {
      const { view, sent } = counted(store);
      const pair = makeTokenPair();
      await view.saveTokens(pair);
      expect(sent).toEqual([{ kind: 'one', size: 1 }]);
      expect(await store.findAccessToken(pair.accessToken.id)).toEqual(pair.accessToken);
      expect(await store.findRefreshToken(pair.refreshToken.id)).toEqual(pair.refreshToken);
    });

    it('concurrent saveTokens: the first alone, all the others in ONE statement, every row stored exactly', async () => {
      const { view, sent } = counted(store);
      // Access tokens alone (client_credentials) and pairs, mixed in one batch.
      const issued: IssuedTokens[] = Array.from({ length: 20 }, (_, i) =>
        i % 3 === 0
          ? { accessToken: makeAccessToken({ scopes: ['read', `s ${i}`, 'é"\\,{}'] }), refreshToken: null }
          : makeTokenPair({ accessToken: { name: i % 2 === 0 ? `token "${i}"` : null } }),
      );
      await Promise.all(issued.map((tokens) => view.saveTokens(tokens)));
      expect(sent).toEqual([
        { kind: 'one', size: 1 },
        { kind: 'batch', size: 19 },
      ]);
      for (const { accessToken, refreshToken } of issued) {
        expect(await store.findAccessToken(accessToken.id)).toEqual(accessToken);
        if (refreshToken) expect(await store.findRefreshToken(refreshToken.id)).toEqual(refreshToken);
      }
    });

    it(`a batch carries at most ${MAX_WRITE_BATCH} issuances`, async () => {
      const { view, sent } = counted(store);
      const issued = Array.from({ length: 1 + 2 * MAX_WRITE_BATCH + 5 }, () => makeTokenPair());
      await Promise.all(issued.map((tokens) => view.saveTokens(tokens)));
      expect(sent).toEqual([
        { kind: 'one', size: 1 },
        { kind: 'batch', size: MAX_WRITE_BATCH },
        { kind: 'batch', size: MAX_WRITE_BATCH },
        { kind: 'batch', size: 5 },
      ]);
      const t = store.schema.tables;
      const { rows } = await store.driver.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ${t.refreshTokens} WHERE id = ANY($1)`,
        [issued.map((tokens) => tokens.refreshToken.id)],
      );
      expect(rows[0]?.n).toBe(issued.length);
    });

    it('a taken id fails only its own issuance: the rest of its batch is stored', async () => {
      const taken = makeTokenPair();
      await store.saveTokens(taken);
      const { view, sent } = counted(store);
      const issued = Array.from({ length: 10 }, () => makeTokenPair());
      // The 6th reuses a stored refresh token id: its access token must not be stored either.
      const clash = makeTokenPair({ refreshToken: { id: taken.refreshToken.id } });
      issued[5] = clash;
      const outcomes = await Promise.allSettled(issued.map((tokens) => view.saveTokens(tokens)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(
        issued.map((_, i) => (i === 5 ? 'rejected' : 'fulfilled')),
      );
      expect((outcomes[5] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
      // One alone, one batch of 9 that failed, then its 9 members one by one.
      expect(sent.filter((s) => s.kind === 'batch')).toEqual([{ kind: 'batch', size: 9 }]);
      expect(sent.filter((s) => s.kind === 'one')).toHaveLength(10);
      expect(await store.findAccessToken(clash.accessToken.id)).toBeNull();
      expect(await store.findRefreshToken(taken.refreshToken.id)).toEqual(taken.refreshToken);
      for (const [i, tokens] of issued.entries()) {
        if (i === 5) continue;
        expect(await store.findAccessToken(tokens.accessToken.id)).toEqual(tokens.accessToken);
        expect(await store.findRefreshToken(tokens.refreshToken.id)).toEqual(tokens.refreshToken);
      }
    });

    it('two issuances of one batch with the same id: the first is stored, the second conflicts', async () => {
      const { view } = counted(store);
      const first = makeTokenPair();
      const twin = makeTokenPair({ accessToken: { id: first.accessToken.id } });
      const outcomes = await Promise.allSettled(
        [makeTokenPair(), first, twin].map((tokens) => view.saveTokens(tokens)),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'rejected']);
      expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(StoreConflictError);
      expect(await store.findRefreshToken(first.refreshToken.id)).toEqual(first.refreshToken);
      expect(await store.findRefreshToken(twin.refreshToken.id)).toBeNull();
    });

    it('a value a column cannot hold fails only its own issuance (StoreInvalidInputError)', async () => {
      const { view } = counted(store);
      const issued = Array.from({ length: 5 }, () => makeTokenPair());
      const bad = makeTokenPair({ accessToken: { name: 'nul \u0000 byte' } });
      issued[3] = bad;
      const outcomes = await Promise.allSettled(issued.map((tokens) => view.saveTokens(tokens)));
      expect(outcomes.map((outcome) => outcome.status)).toEqual(
        issued.map((_, i) => (i === 3 ? 'rejected' : 'fulfilled')),
      );
      expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(StoreInvalidInputError);
      expect(await store.findAccessToken(bad.accessToken.id)).toBeNull();
      expect(await store.findAccessToken(issued[4]?.accessToken.id ?? '')).toEqual(issued[4]?.accessToken);
    });

    it('coalesceWrites: false sends every saveTokens as its own statement', async () => {
      const { view, sent } = counted(store, { coalesceWrites: false });
      const issued = Array.from({ length: 8 }, () => makeTokenPair());
      await Promise.all(issued.map((tokens) => view.saveTokens(tokens)));
      expect(sent).toEqual(issued.map(() => ({ kind: 'one', size: 1 })));
    });
  });
}

describe('coalesced saveTokens when the database is unavailable', () => {
  // A driver whose batch statement fails as a lost connection does: every issuance of the batch
  // gets StoreUnavailableError (its outcome is unknown), none is retried alone.
  let sentAlone = 0;
  const lost = Object.assign(new Error('Connection terminated unexpectedly'), { code: '08006' });
  const driver: SqlDriver = {
    async query(sql) {
      if (sql.includes('jsonb_to_recordset')) throw lost;
      sentAlone++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return { rows: [], rowCount: 1 };
    },
    transaction: () => Promise.reject(new Error('unused')),
    close: async () => undefined,
  };
  const store = new PostgresStore(driver);
  afterEach(() => {
    sentAlone = 0;
  });

  it('StoreUnavailableError reaches every issuance of the failed batch', async () => {
    const outcomes = await Promise.allSettled(
      Array.from({ length: 6 }, () => store.saveTokens(makeTokenPair())),
    );
    expect(outcomes[0]?.status).toBe('fulfilled'); // sent alone, before the batch formed
    for (const outcome of outcomes.slice(1)) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
    }
    expect(sentAlone).toBe(1);
  });

  it('close() waits for the issuances in flight and queued', async () => {
    const slow = new PostgresStore({ ...driver, query: driver.query });
    const pending = Promise.allSettled([slow.saveTokens(makeTokenPair()), slow.saveTokens(makeTokenPair())]);
    await slow.close();
    const outcomes = await Promise.race([pending, Promise.resolve('not settled' as const)]);
    expect(outcomes).not.toBe('not settled');
  });
});
