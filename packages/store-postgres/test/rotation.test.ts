import { makeTokenPair } from '@passport/store-testkit';
import { requireService } from '@passport/test-bed';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresStore, type PostgresStore } from '../src/index.js';
import { createPool, createServerStore, destroyStore, randomSchema } from './helpers.js';

describe.skipIf(!(await requireService('postgres')))('rotation on the PostgreSQL server', () => {
  // rotateRefreshToken against revokeFamily on the real server, with the rotation held open in the
  // middle of its transaction: under READ COMMITTED a revocation that starts while a rotation is in
  // flight must still revoke the pair that rotation writes (store contract of revokeFamily).

  const applicationName = `passport_rotation_${crypto.randomUUID().slice(0, 8)}`;
  let admin: PostgresStore;
  let store: PostgresStore; // tagged with applicationName, so its waits can be observed
  let locker: pg.Pool;

  beforeAll(async () => {
    admin = await createServerStore({ schema: randomSchema('rotation') });
    store = createPostgresStore({
      pool: createPool({ application_name: applicationName, max: 4 }),
      schema: admin.schema.schema,
    });
    locker = createPool({ max: 2 });
  });

  afterAll(async () => {
    await store.close();
    await locker.end();
    await destroyStore(admin);
  });

  /** Waits until `count` of the store's backends are blocked on a lock. */
  async function waitForBlocked(count: number): Promise<void> {
    for (let attempt = 0; attempt < 300; attempt++) {
      const { rows } = await locker.query<{ waiting: number }>(
        `SELECT count(*)::int AS waiting FROM pg_stat_activity WHERE application_name = $1 AND wait_event_type = 'Lock'`,
        [applicationName],
      );
      if ((rows[0]?.waiting ?? 0) >= count) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    throw new Error(`fewer than ${count} store backends ever blocked on a lock`);
  }

  describe('rotateRefreshToken and revokeFamily on a live server', () => {
    it('a revokeFamily that starts while a rotation is in flight revokes the rotated pair too', async () => {
      const pair = makeTokenPair();
      await admin.saveTokens(pair);
      const next = makeTokenPair({
        accessToken: {
          familyId: pair.accessToken.familyId,
          userId: pair.accessToken.userId,
          clientId: pair.accessToken.clientId,
        },
      });
      const lock = await locker.connect();
      try {
        // An uncommitted row with the next access token's id holds the rotation on its first INSERT,
        // after it has consumed the old token (and taken the family lock shared).
        await lock.query('BEGIN');
        await lock.query(
          `INSERT INTO ${admin.schema.tables.accessTokens} (id, client_id, created_at, expires_at) VALUES ($1, $2, now(), now())`,
          [next.accessToken.id, next.accessToken.clientId],
        );
        const now = new Date();
        const rotating = store.rotateRefreshToken(pair.refreshToken.id, now, next);
        await waitForBlocked(1);
        const revoking = store.revokeFamily(pair.refreshToken.familyId);
        await waitForBlocked(2);
        await lock.query('ROLLBACK'); // the rotation's INSERT proceeds and commits
        expect(await rotating).toMatchObject({ id: pair.refreshToken.id, consumedAt: now });
        expect(await revoking).toBeGreaterThanOrEqual(3);
      } finally {
        lock.release();
      }
      expect((await admin.findAccessToken(next.accessToken.id))?.revoked).toBe(true);
      expect((await admin.findRefreshToken(next.refreshToken.id))?.revoked).toBe(true);
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toMatchObject({ revoked: true });
    });

    it('400 rotations racing revokeFamily of their family: never a live token left, the pair written only by a rotation that won', async () => {
      const t = admin.schema.tables;
      const tick = () => new Promise((resolve) => setImmediate(resolve));
      const outcomes = { rotated: 0, refused: 0 };
      for (let round = 0; round < 50; round++) {
        await Promise.all(
          Array.from({ length: 8 }, async (_, i) => {
            const pair = makeTokenPair();
            await admin.saveTokens(pair);
            const family = pair.accessToken.familyId ?? '';
            const next = makeTokenPair({
              accessToken: {
                familyId: family,
                userId: pair.accessToken.userId,
                clientId: pair.accessToken.clientId,
              },
            });
            // Who sends first varies with i and the round, so both orders (and overlaps) occur.
            const first = (i + round) % 3;
            const [rotated] = await Promise.all([
              (async () => {
                if (first === 1) await tick();
                return store.rotateRefreshToken(pair.refreshToken.id, new Date(), next);
              })(),
              (async () => {
                if (first === 0) await tick();
                return store.revokeFamily(family);
              })(),
            ]);
            const { rows } = await admin.driver.query<{ live: number; written: number }>(
              `SELECT (SELECT count(*) FROM ${t.accessTokens} WHERE family_id = $1 AND NOT revoked)
                    + (SELECT count(*) FROM ${t.refreshTokens} WHERE family_id = $1 AND NOT revoked) AS live,
                      (SELECT count(*) FROM ${t.accessTokens} WHERE id = $2)
                    + (SELECT count(*) FROM ${t.refreshTokens} WHERE id = $3) AS written`,
              [family, next.accessToken.id, next.refreshToken.id],
            );
            expect(Number(rows[0]?.live)).toBe(0);
            expect(Number(rows[0]?.written)).toBe(rotated === null ? 0 : 2);
            outcomes[rotated === null ? 'refused' : 'rotated']++;
          }),
        );
      }
      // Both orders happened: rotations that won (their pair revoked after) and ones refused.
      expect(outcomes.rotated).toBeGreaterThan(0);
      expect(outcomes.refused).toBeGreaterThan(0);
    }, 120_000);

    it('a rotation that starts while revokeFamily holds the family finds the token revoked', async () => {
      const pair = makeTokenPair();
      await admin.saveTokens(pair);
      const next = makeTokenPair({
        accessToken: {
          familyId: pair.accessToken.familyId,
          userId: pair.accessToken.userId,
          clientId: pair.accessToken.clientId,
        },
      });
      const lock = await locker.connect();
      try {
        // A row lock on the old access token holds revokeFamily inside its transaction.
        await lock.query('BEGIN');
        await lock.query(`SELECT 1 FROM ${admin.schema.tables.accessTokens} WHERE id = $1 FOR UPDATE`, [
          pair.accessToken.id,
        ]);
        const revoking = store.revokeFamily(pair.refreshToken.familyId);
        await waitForBlocked(1);
        const rotating = store.rotateRefreshToken(pair.refreshToken.id, new Date(), next);
        await waitForBlocked(2);
        await lock.query('ROLLBACK');
        expect(await revoking).toBe(2);
        expect(await rotating).toBeNull();
      } finally {
        lock.release();
      }
      expect(await admin.findAccessToken(next.accessToken.id)).toBeNull();
      expect(await admin.findRefreshToken(next.refreshToken.id)).toBeNull();
      expect(await admin.findRefreshToken(pair.refreshToken.id)).toMatchObject({
        consumedAt: null,
        revoked: true,
      });
    });
  });
});
