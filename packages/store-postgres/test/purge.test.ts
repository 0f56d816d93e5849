import { requireService } from '@passport/test-bed';
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore, type SqlDriver } from '../src/index.js';
import { createMemoryPGliteStore, createServerStore, destroyStore } from './helpers.js';

// Purge on a table of many expired rows plus the live rows it must keep. The timing on
// 1,000,000 rows is scripts/purge-bench.mjs; this asserts correctness and batching.

const DAY = 86_400_000;
const now = new Date('2026-06-01T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const ahead = (ms: number) => new Date(now.getTime() + ms);
const CLIENT = '00000000-0000-4000-8000-000000000001';

/** Wraps a real driver to record how many rows each DELETE removed (the SQL still runs for real). */
function countingDriver(driver: SqlDriver, deletes: number[]): SqlDriver {
  return {
    ...driver,
    query: async (sql, params) => {
      const result = await driver.query<never>(sql, params);
      if (sql.startsWith('DELETE')) deletes.push(result.rowCount);
      return result;
    },
  };
}

async function seed(store: PostgresStore, expired: number): Promise<void> {
  const t = store.schema.tables;
  const q = (sql: string, params: unknown[] = []) => store.driver.query(sql, params);
  // `expired` dead pairs: access token and refresh token both expired ten days ago.
  await q(
    `INSERT INTO ${t.accessTokens} (id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT 'dead-at-' || i, 'user-' || (i % 500), $1, '{}', 'dead-family-' || i, $2, $2 FROM generate_series(1, ${expired}) i`,
    [CLIENT, ago(10 * DAY)],
  );
  await q(
    `INSERT INTO ${t.refreshTokens} (id, access_token_id, user_id, client_id, scopes, family_id, created_at, expires_at)
     SELECT 'dead-rt-' || i, 'dead-at-' || i, 'user-' || (i % 500), $1, '{}', 'dead-family-' || i, $2, $2 FROM generate_series(1, ${expired}) i`,
    [CLIENT, ago(10 * DAY)],
  );
  await q(
    `INSERT INTO ${t.authCodes} (id, client_id, user_id, scopes, created_at, expires_at)
     SELECT 'dead-code-' || i, $1, 'user-1', '{}', $2, $2 FROM generate_series(1, ${expired / 4}) i`,
    [CLIENT, ago(10 * DAY)],
  );
  await q(
    `INSERT INTO ${t.deviceCodes} (id, user_code, client_id, scopes, poll_interval, created_at, expires_at)
     SELECT 'dead-device-' || i, 'UC' || i, $1, '{}', 5, $2, $2 FROM generate_series(1, ${expired / 4}) i`,
    [CLIENT, ago(10 * DAY)],
  );
  await q(
    `INSERT INTO ${t.nonces} (id, expires_at) SELECT 'dead-nonce-' || i, $1 FROM generate_series(1, ${expired / 4}) i`,
    [ago(10 * DAY)],
  );

  // 50 live rotation families. Each: a0 (expired) + r0 (consumed, expired); a1 (expired) + r1 (live).
  for (let i = 0; i < 50; i++) {
    await store.saveTokens({
      accessToken: at(`live-a0-${i}`, `live-family-${i}`, ago(20 * DAY), ago(20 * DAY - 3_600_000)),
      refreshToken: {
        ...rt(`live-r0-${i}`, `live-a0-${i}`, `live-family-${i}`, ago(20 * DAY), ago(9 * DAY)),
        consumedAt: ago(10 * DAY),
        replacedBy: `live-r1-${i}`,
      },
    });
    await store.saveTokens({
      accessToken: at(`live-a1-${i}`, `live-family-${i}`, ago(10 * DAY), ago(10 * DAY - 3_600_000)),
      refreshToken: rt(`live-r1-${i}`, `live-a1-${i}`, `live-family-${i}`, ago(10 * DAY), ahead(20 * DAY)),
    });
  }
  // A family whose last refresh token was consumed and never replaced: nothing protects it.
  await store.saveTokens({
    accessToken: at('orphan-a', 'orphan-family', ago(20 * DAY), ago(20 * DAY - 3_600_000)),
    refreshToken: {
      ...rt('orphan-r', 'orphan-a', 'orphan-family', ago(20 * DAY), ago(8 * DAY)),
      consumedAt: ago(10 * DAY),
    },
  });
  // Unexpired rows: one revoked pair, one plain live access token, a live code, a consumed code.
  await store.saveTokens({
    accessToken: { ...at('revoked-a', 'revoked-family', ago(DAY), ahead(DAY)), revoked: true },
    refreshToken: { ...rt('revoked-r', 'revoked-a', 'revoked-family', ago(DAY), ahead(DAY)), revoked: true },
  });
  await store.saveTokens({
    accessToken: at('live-pat', null, ago(DAY), ahead(300 * DAY)),
    refreshToken: null,
  });
  for (const id of ['live-code', 'used-code']) {
    await store.saveAuthCode({
      id,
      clientId: CLIENT,
      userId: 'user-1',
      scopes: [],
      redirectUri: null,
      codeChallenge: null,
      codeChallengeMethod: null,
      revoked: false,
      consumedAt: id === 'used-code' ? ago(30_000) : null,
      createdAt: ago(60_000),
      expiresAt: ahead(540_000),
    });
  }
  await store.useNonce('live-nonce', ahead(3_600_000));
}

function at(id: string, familyId: string | null, createdAt: Date, expiresAt: Date) {
  return {
    id,
    userId: 'user-1',
    clientId: CLIENT,
    name: null,
    scopes: ['read'],
    familyId,
    revoked: false,
    createdAt,
    expiresAt,
  };
}

function rt(id: string, accessTokenId: string, familyId: string, createdAt: Date, expiresAt: Date) {
  return {
    id,
    accessTokenId,
    userId: 'user-1',
    clientId: CLIENT,
    scopes: ['read'],
    familyId,
    revoked: false,
    consumedAt: null as Date | null,
    replacedBy: null as string | null,
    createdAt,
    expiresAt,
  };
}

async function ids(store: PostgresStore, table: string): Promise<Set<string>> {
  const { rows } = await store.driver.query<{ id: string }>(`SELECT id FROM ${table}`);
  return new Set(rows.map((row) => row.id));
}

const opened: PostgresStore[] = [];
afterEach(async () => {
  for (const store of opened.splice(0)) await destroyStore(store);
});

const backends = [
  ...((await requireService('postgres')) ? [['server', createServerStore, 20_000] as const] : []),
  ['pglite', createMemoryPGliteStore, 4_000] as const,
];

describe.each(backends)('purge in bounded batches (%s)', (_, create, expired) => {
  it(`deletes ${expired} expired pairs in batches and keeps everything a live refresh token needs`, async () => {
    const base = await create();
    opened.push(base);
    await seed(base, expired);
    const deletes: number[] = [];
    const batchSize = 1000;
    const store = new PostgresStore(countingDriver(base.driver, deletes), {
      schema: base.schema.schema,
      purgeBatchSize: batchSize,
    });

    const result = await store.purge({
      revoked: false,
      expiredBefore: ago(7 * DAY),
      revokedClientsBefore: null,
      now,
    });
    expect(result).toEqual({
      // dead pairs + every live family's a0 + the orphan's access token
      accessTokens: expired + 50 + 1,
      // dead refresh tokens + the orphan's consumed one (no live sibling)
      refreshTokens: expired + 1,
      authCodes: expired / 4,
      deviceCodes: expired / 4,
      nonces: expired / 4,
      rateLimits: 0,
      clients: 0,
    });
    expect(Math.max(...deletes)).toBeLessThanOrEqual(batchSize);
    expect(deletes.filter((count) => count === batchSize).length).toBeGreaterThanOrEqual(
      (2 * expired) / batchSize,
    );

    const t = base.schema.tables;
    const access = await ids(base, t.accessTokens);
    const refresh = await ids(base, t.refreshTokens);
    for (let i = 0; i < 50; i++) {
      expect(access.has(`live-a1-${i}`), 'access token of a live refresh token').toBe(true);
      expect(refresh.has(`live-r1-${i}`), 'live refresh token').toBe(true);
      expect(refresh.has(`live-r0-${i}`), 'consumed refresh token of a live family').toBe(true);
      expect(access.has(`live-a0-${i}`)).toBe(false);
    }
    expect([...access].filter((id) => id.startsWith('dead-'))).toEqual([]);
    expect([...refresh].filter((id) => id.startsWith('dead-'))).toEqual([]);
    expect(access.has('revoked-a') && access.has('live-pat')).toBe(true);
    expect(refresh.has('revoked-r')).toBe(true);
    expect(await ids(base, t.authCodes)).toEqual(new Set(['live-code', 'used-code']));
    expect(await ids(base, t.nonces)).toEqual(new Set(['live-nonce']));

    // Second pass: revoked and consumed rows go, live ones still stay, and so does the consumed
    // code until it expires (a replay must still find it).
    const second = await store.purge({
      revoked: true,
      expiredBefore: ago(7 * DAY),
      revokedClientsBefore: null,
      now,
    });
    expect(second).toEqual({
      accessTokens: 1,
      refreshTokens: 1,
      authCodes: 0,
      deviceCodes: 0,
      nonces: 0,
      rateLimits: 0,
      clients: 0,
    });
    expect(await store.findAccessToken('revoked-a')).toBeNull();
    expect(await store.findRefreshToken('live-r0-7')).not.toBeNull();
    expect(await store.findAccessToken('live-a1-7')).not.toBeNull();
    expect(await store.findAccessToken('live-pat')).not.toBeNull();
    expect(await store.findAuthCode('used-code')).not.toBeNull();
    expect(await store.findAuthCode('live-code')).not.toBeNull();

    // Once the live refresh tokens expire, their families can go too.
    const later = ahead(60 * DAY);
    const third = await store.purge({
      revoked: true,
      expiredBefore: later,
      revokedClientsBefore: null,
      now: later,
    });
    expect(third.refreshTokens).toBe(100);
    expect(third.accessTokens).toBe(50); // the personal access token lives 300 days
    expect(await store.findAccessToken('live-pat')).not.toBeNull();
  }, 120_000);
});
