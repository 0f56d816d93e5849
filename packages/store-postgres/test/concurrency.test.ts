import { StoreConflictError } from '@passport/core';
import { makeDeviceCode } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PostgresStore } from '../src/index.js';
import { createPool, createServerStore, destroyStore } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('device codes on the PostgreSQL server', () => {
  // Concurrency on the server beyond the kit's single-id races: the user-code rule, enforced under an
  // advisory lock, and touchDeviceCode's "previous row" under concurrent polls.

  let store: PostgresStore;
  beforeAll(async () => {
    store = await createServerStore({ pool: createPool({ max: 20 }) });
  });
  afterAll(async () => {
    await destroyStore(store);
  });

  describe('device codes under concurrency (server)', () => {
    it('20 concurrent saveDeviceCode with one user code: exactly one is stored, the rest conflict', async () => {
      const now = new Date();
      const userCode = 'BCDFGHJK';
      const codes = Array.from({ length: 20 }, () => makeDeviceCode({ userCode, createdAt: now }));
      const outcomes = await Promise.allSettled(codes.map((code) => store.saveDeviceCode(code)));
      const stored = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const conflicts = outcomes.filter(
        (outcome) => outcome.status === 'rejected' && outcome.reason instanceof StoreConflictError,
      );
      expect(stored).toHaveLength(1);
      expect(conflicts).toHaveLength(19);
      const { rows } = await store.driver.query(
        `SELECT id FROM ${store.schema.tables.deviceCodes} WHERE user_code = $1`,
        [userCode],
      );
      expect(rows).toHaveLength(1);
    });

    it('concurrent polls each get the row as the previous poll left it (no two see the same state)', async () => {
      const code = makeDeviceCode({ createdAt: new Date('2026-01-01T00:00:00Z') });
      await store.saveDeviceCode(code);
      const polls = Array.from({ length: 20 }, (_, i) => new Date(Date.UTC(2026, 0, 1, 0, 0, i + 1)));
      const previous = await Promise.all(polls.map((at) => store.touchDeviceCode(code.id, at)));
      const seen = previous.map((record) => record?.lastPolledAt?.getTime() ?? null);
      // Serialised by the row lock: one caller saw no previous poll, and every other caller saw a
      // distinct earlier poll; together they are exactly "nothing" plus 19 of the 20 poll times.
      expect(seen.filter((value) => value === null)).toHaveLength(1);
      const times = seen.filter((value): value is number => value !== null);
      expect(new Set(times).size).toBe(19);
      const last = (await store.findDeviceCode(code.id))?.lastPolledAt?.getTime();
      expect(new Set([...times, last])).toEqual(new Set(polls.map((at) => at.getTime())));
    });
  });
});
