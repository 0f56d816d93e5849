import { StoreUnavailableError } from '@passport/core';
import { makeAccessToken, makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_READ_BATCH, type PostgresStore } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore, storeView } from './helpers.js';

/**
 * A view of `store` whose driver records every access-token read it sends: `one` for a read of one
 * id, or the ids of a coalesced read. `failNext` makes the next read fail as a lost connection.
 */
function counted(store: PostgresStore, options: { coalesceReads?: boolean } = {}) {
  const sent: ('one' | string[])[] = [];
  const control = { failNext: false };
  const table = store.schema.tables.accessTokens;
  const view = storeView(
    store,
    (sql, params) => {
      if (sql.startsWith('SELECT') && sql.includes(`FROM ${table} WHERE id`)) {
        sent.push(sql.includes('ANY($1)') ? [...((params ?? [])[0] as string[])] : 'one');
        if (control.failNext) {
          control.failNext = false;
          return Promise.reject(new StoreUnavailableError('connection lost (test)'));
        }
      }
      return store.driver.query(sql, params);
    },
    options,
  );
  return { view, sent, control };
}

const targets = [
  { name: 'PostgreSQL server', server: true },
  { name: 'PGlite', server: false },
];
const hasServer = await requireService('postgres');

for (const target of targets) {
  describe.skipIf(target.server && !hasServer)(`coalesced token reads (${target.name})`, () => {
    let store: PostgresStore;

    beforeAll(async () => {
      store = target.server ? await createServerStore() : await createMemoryPGliteStore();
    });
    afterAll(async () => {
      await destroyStore(store);
    });

    it('a lone read is sent at once, alone; concurrent reads share the next statement and each gets its own row', async () => {
      const tokens = Array.from({ length: 12 }, () => makeAccessToken());
      for (const accessToken of tokens) await store.saveTokens({ accessToken, refreshToken: null });
      const { view, sent } = counted(store);
      expect(await view.findAccessToken(tokens[0]?.id as string)).toEqual(tokens[0]);
      expect(sent).toEqual(['one']);
      sent.length = 0;
      // Twelve stored ids, one of them asked twice, and an unknown id.
      const asked = [...tokens.map((t) => t.id), tokens[3]?.id as string, 'no-such-token'];
      const found = await Promise.all(asked.map((id) => view.findAccessToken(id)));
      expect(found).toEqual([...tokens, tokens[3], null]);
      // The first alone, every other in ONE statement with each distinct id once.
      expect(sent).toHaveLength(2);
      expect(sent[0]).toBe('one');
      expect(new Set(sent[1])).toEqual(new Set(asked.slice(1)));
      expect(sent[1]).toHaveLength(asked.length - 2);
      // Two callers asking for one id get equal records, not one shared object.
      expect(found[3]).not.toBe(found[12]);
    });

    it(`at most ${MAX_READ_BATCH} ids per statement`, async () => {
      const { view, sent } = counted(store);
      const ids = Array.from({ length: MAX_READ_BATCH + 11 }, (_, i) => `absent-${i}`);
      expect(await Promise.all(ids.map((id) => view.findAccessToken(id)))).toEqual(ids.map(() => null));
      expect(sent.map((s) => (s === 'one' ? 1 : s.length))).toEqual([1, MAX_READ_BATCH, 10]);
    });

    it('reads see every write completed before they were asked (a revocation included)', async () => {
      const { view } = counted(store);
      const pair = makeTokenPair();
      const pending = Array.from({ length: 5 }, () => view.findAccessToken(pair.accessToken.id));
      await view.saveTokens(pair);
      await view.revokeAccessToken(pair.accessToken.id);
      // Asked after the revocation completed: revoked, though reads asked before were still in flight.
      const after = await Promise.all(
        Array.from({ length: 5 }, () => view.findAccessToken(pair.accessToken.id)),
      );
      for (const record of after) expect(record?.revoked).toBe(true);
      await Promise.all(pending);
    });

    it('a failed statement fails every read of its batch with the store error, and the next reads work', async () => {
      const { view, sent, control } = counted(store);
      const accessToken = makeAccessToken();
      await store.saveTokens({ accessToken, refreshToken: null });
      const first = view.findAccessToken(accessToken.id);
      control.failNext = false;
      const batch = Array.from({ length: 4 }, () => view.findAccessToken(accessToken.id));
      control.failNext = true;
      // `first` was sent before failNext was set; the batch of four is the statement that fails.
      expect(await first).toEqual(accessToken);
      const outcomes = await Promise.allSettled(batch);
      expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected', 'rejected']);
      for (const o of outcomes)
        expect((o as PromiseRejectedResult).reason).toBeInstanceOf(StoreUnavailableError);
      // One id asked four times: the batch is a read of that one id.
      expect(sent).toEqual(['one', 'one']);
      expect(await view.findAccessToken(accessToken.id)).toEqual(accessToken);
    });

    it('coalesceReads: false sends every read alone', async () => {
      const { view, sent } = counted(store, { coalesceReads: false });
      await Promise.all(Array.from({ length: 6 }, (_, i) => view.findAccessToken(`absent-${i}`)));
      expect(sent).toEqual(['one', 'one', 'one', 'one', 'one', 'one']);
    });
  });
}
